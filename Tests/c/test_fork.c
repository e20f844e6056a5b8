/* fork() with a client in use: the child has none of the parent's threads (the library's event loops and call
 * threads), so the library starts its own there. A client made before the fork keeps working in the child, a
 * client made in the child works, a listing started before the fork fails at once there, and the parent is
 * unaffected. Each child runs under alarm(): a hang kills it and fails the check instead of stalling the run. */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ZONE "feedfacefeedfacefeedfacefeedface"

static int count_page(cfcerts_client *client) {
    char *out = NULL;
    if (cfcerts_list_page(&out, client, ZONE, "{\"per_page\": 50}") != CFCERTS_OK) return -1;
    json_t *page = json_loads(out, 0, NULL);
    cfcerts_string_free(out);
    int count = page ? (int)json_array_size(json_object_get(page, "result")) : -1;
    json_decref(page);
    return count;
}

/* Runs `child` in a forked child under a 20 s alarm; 1 when it exited 0. */
static int in_child(int (*child)(void *), void *context) {
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        _exit(child(context) ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status)) fprintf(stderr, "child ended by signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct inherited {
    cfcerts_client *client;
    cfcerts_iter *iterator;
};

static int child_uses_inherited(void *context) {
    struct inherited *inherited = context;
    int ok = count_page(inherited->client) == 7;
    char *out = NULL;
    /* The listing's pages in flight belonged to the parent: refused at once, with a message. */
    ok = ok && cfcerts_iter_next(&out, inherited->iterator) == CFCERTS_EINVAL && out == NULL;
    ok = ok && strstr(cfcerts_error_last()->message, "fork") != NULL;
    cfcerts_iter_free(inherited->iterator);
    cfcerts_client *fresh = harness_client(CFCERTS_NO_RETRIES);
    ok = ok && count_page(fresh) == 7;
    cfcerts_client_free(fresh);
    cfcerts_client_free(inherited->client);
    return ok;
}

static void *slow_call(void *client) {
    count_page(client);
    return NULL;
}

static int child_while_a_thread_was_in_a_call(void *client) {
    int ok = count_page(client) == 7;
    cfcerts_client_free(client);
    return ok;
}

int main(void) {
    CHECK(harness_control("POST", "/zones/" ZONE "/seed", "{\"count\": 7}") == 0);
    cfcerts_client *client = harness_client(0);
    CHECK(count_page(client) == 7);
    cfcerts_iter *iterator = NULL;
    CHECK_CODE(cfcerts_iter_new(&iterator, client, ZONE, "{\"per_page\": 5}"), CFCERTS_OK);
    char *out = NULL;
    CHECK_CODE(cfcerts_iter_next(&out, iterator), CFCERTS_OK);
    cfcerts_string_free(out);

    struct inherited inherited = {client, iterator};
    CHECK(in_child(child_uses_inherited, &inherited));
    /* The parent's client, iterator and connections are untouched. */
    CHECK(count_page(client) == 7);
    int rest = 0;
    while (cfcerts_iter_next(&out, iterator) == CFCERTS_OK) {
        rest++;
        cfcerts_string_free(out);
    }
    CHECK(rest == 6);
    cfcerts_iter_free(iterator);

    /* Another thread is waiting in a call (the server delays it) when the fork happens. */
    CHECK(harness_control("POST", "/faults", "{\"kind\": \"delay\", \"method\": \"GET\", \"delay_ms\": 1500}") == 0);
    pthread_t thread;
    pthread_create(&thread, NULL, slow_call, client);
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK(in_child(child_while_a_thread_was_in_a_call, client));
    pthread_join(thread, NULL);
    CHECK(count_page(client) == 7);

    cfcerts_client_free(client);
    return harness_finish("test_fork");
}
