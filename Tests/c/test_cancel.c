/* Cancelling calls through a cfcerts_cancellable, against servers that never answer: each waiting point
 * (connecting, the answer's head, its body, the wait between retries, the wait for budget) returns
 * CFCERTS_ECANCELLED within 100 ms of the cancel from another thread; a call started while cancelled sends
 * nothing; the client works afterwards; push/pop misuse is refused. */
#include <cfcerts.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static char zone[33];

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* A loopback listener that accepts (through the kernel's backlog) and never answers. backlog_full: a listener
 * whose backlog is already full, so that a connect waits for its SYN to be answered. */
static int listener(int *port, int backlog_full) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&address, sizeof address);
    listen(fd, backlog_full ? 0 : 64);
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    *port = ntohs(address.sin_port);
    if (backlog_full) {
        for (int i = 0; i < 4; i++) { /* fill the accept queue: later SYNs are dropped */
            int filler = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            connect(filler, (struct sockaddr *)&address, sizeof address);
        }
        usleep(100 * 1000);
    }
    return fd;
}

struct canceller {
    cfcerts_cancellable *cancellable;
    int after_ms;
    double cancelled_at;
};

static void *cancel_later(void *argument) {
    struct canceller *canceller = argument;
    usleep((useconds_t)canceller->after_ms * 1000);
    canceller->cancelled_at = now_ms();
    cfcerts_cancellable_cancel(canceller->cancellable);
    return NULL;
}

static cfcerts_client *client_for(const char *base_url, int pacing_requests, int pacing_seconds) {
    cfcerts_client_options opts = CFCERTS_CLIENT_OPTIONS_INIT;
    opts.api_token = "cfcerts-emulator-token";
    opts.base_url = base_url;
    opts.connect_timeout_ms = 60000;
    opts.pacing_requests = pacing_requests;
    opts.pacing_window_seconds = pacing_seconds;
    cfcerts_client *client = NULL;
    if (cfcerts_client_new(&client, &opts) != CFCERTS_OK) {
        fprintf(stderr, "client: %s\n", cfcerts_error_last()->message);
        exit(2);
    }
    return client;
}

/* Runs cfcerts_get on this thread with a cancellable current, cancelled from another thread after 300 ms: the
 * code, and how long after the cancel the call returned. */
static int cancelled_get(cfcerts_client *client, double *late_ms) {
    cfcerts_cancellable *cancellable = NULL;
    CHECK_CODE(cfcerts_cancellable_new(&cancellable), CFCERTS_OK);
    CHECK_CODE(cfcerts_cancellable_push_current(cancellable), CFCERTS_OK);
    struct canceller canceller = {cancellable, 300, 0};
    pthread_t thread;
    pthread_create(&thread, NULL, cancel_later, &canceller);
    char *out = NULL;
    int rc = cfcerts_get(&out, client, zone, "0123456789abcdef0123456789abcdef");
    *late_ms = now_ms() - canceller.cancelled_at;
    pthread_join(thread, NULL);
    CHECK(out == NULL);
    CHECK_CODE(cfcerts_cancellable_pop_current(cancellable), CFCERTS_OK);
    CHECK(cfcerts_cancellable_is_cancelled(cancellable) == 1);
    cfcerts_cancellable_free(cancellable);
    return rc;
}

static void check_point(const char *what, cfcerts_client *client) {
    double late = 0;
    int rc = cancelled_get(client, &late);
    printf("  %s: returned %d %.1f ms after the cancel\n", what, rc, late);
    CHECK(rc == CFCERTS_ECANCELLED);
    if (getenv("CFCERTS_TEST_NO_TIME_BOUNDS") == NULL) CHECK(late >= 0 && late < 100);
    CHECK(strstr(cfcerts_strerror(CFCERTS_ECANCELLED), "cancel") != NULL);
}

int main(void) {
    harness_new_zone(zone);
    char url[256];
    int port = 0;

    /* Connecting: the listener's backlog is full, so the SYN is never answered. */
    int full = listener(&port, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/client/v4", port);
    cfcerts_client *client = client_for(url, 0, 0);
    check_point("connect", client);
    cfcerts_client_free(client);
    close(full);

    /* The answer's head: connected, the request sent, nothing comes back. */
    int silent = listener(&port, 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/client/v4", port);
    client = client_for(url, 0, 0);
    check_point("head", client);

    cfcerts_client_free(client);
    close(silent);

    /* The wait for budget: one request per 50 s; the first takes it (and is cancelled), the second waits. (A server
     * of its own: a budget is per credential and base URL, and its first client's figures start it.) */
    int quiet = listener(&port, 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/client/v4", port);
    cfcerts_client *paced = client_for(url, 1, 50);
    double ignored;
    CHECK(cancelled_get(paced, &ignored) == CFCERTS_ECANCELLED);
    check_point("pacing", paced);
    cfcerts_client_free(paced);
    close(quiet);

    /* The body (headers, then silence) and the wait between retries, on the emulator. */
    client = client_for(harness_base_url(), 0, 0);
    char fault[512];
    snprintf(fault, sizeof fault, "{\"kind\": \"stall\", \"method\": \"GET\", \"count\": 1, \"delay_ms\": 30000, "
             "\"path\": \"/client/v4/zones/%s/client_certificates/*\"}", zone);
    CHECK(harness_control("POST", "/faults", fault) == 0);
    check_point("body", client);
    CHECK(harness_control("DELETE", "/faults", NULL) == 0);
    snprintf(fault, sizeof fault, "{\"kind\": \"status\", \"status\": 503, \"method\": \"GET\", \"count\": 5, "
             "\"headers\": {\"Retry-After\": \"30\"}, \"path\": \"/client/v4/zones/%s/client_certificates/*\"}", zone);
    CHECK(harness_control("POST", "/faults", fault) == 0);
    check_point("backoff", client);
    CHECK(harness_control("DELETE", "/faults", NULL) == 0);

    /* The client still works; a call started while cancelled sends nothing and returns at once. */
    char *out = NULL;
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_OK);
    cfcerts_string_free(out);
    cfcerts_cancellable *cancellable = NULL;
    CHECK_CODE(cfcerts_cancellable_new(&cancellable), CFCERTS_OK);
    cfcerts_cancellable_cancel(cancellable);
    cfcerts_cancellable_cancel(cancellable); /* idempotent */
    CHECK_CODE(cfcerts_cancellable_push_current(cancellable), CFCERTS_OK);
    double started = now_ms();
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_ECANCELLED);
    if (getenv("CFCERTS_TEST_NO_TIME_BOUNDS") == NULL) CHECK(now_ms() - started < 100);
    /* Reset: the same cancellable serves the next call. */
    cfcerts_cancellable_reset(cancellable);
    CHECK(cfcerts_cancellable_is_cancelled(cancellable) == 0);
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_OK);
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_cancellable_pop_current(cancellable), CFCERTS_OK);

    /* Misuse is refused; NULL is harmless. */
    cfcerts_cancellable *other = NULL;
    CHECK_CODE(cfcerts_cancellable_new(&other), CFCERTS_OK);
    CHECK_CODE(cfcerts_cancellable_push_current(cancellable), CFCERTS_OK);
    CHECK_CODE(cfcerts_cancellable_push_current(other), CFCERTS_OK);
    CHECK_CODE(cfcerts_cancellable_pop_current(cancellable), CFCERTS_EINVAL); /* not the top */
    CHECK_CODE(cfcerts_cancellable_pop_current(other), CFCERTS_OK);
    cfcerts_cancellable_free(cancellable); /* freed while pushed: the push keeps it alive */
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_OK);
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_cancellable_pop_current(cancellable), CFCERTS_OK);
    CHECK_CODE(cfcerts_cancellable_pop_current(other), CFCERTS_EINVAL); /* nothing pushed */
    CHECK_CODE(cfcerts_cancellable_new(NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_cancellable_push_current(NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_cancellable_pop_current(NULL), CFCERTS_EINVAL);
    CHECK(cfcerts_cancellable_is_cancelled(NULL) == 0);
    cfcerts_cancellable_cancel(NULL);
    cfcerts_cancellable_reset(NULL);
    cfcerts_cancellable_free(NULL);
    cfcerts_cancellable_free(other);
    cfcerts_client_free(client);
    return harness_finish("test_cancel");
}
