/* make load: 16 threads x 1,000 gets through one shared client (the C ABI as a threaded server would use it);
 * prints calls/s, p50 and p99 per call, and the errors (there must be none).
 * Usage: load_c BASE_URL TOKEN ZONE CERTIFICATE_ID */
#include <cfcerts.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 16
#define CALLS 1000

static cfcerts_client *client;
static const char *zone, *certificate_id;
static double latencies[THREADS * CALLS];
static long errors;
static pthread_mutex_t errors_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *worker(void *argument) {
    long index = (long)argument;
    for (int i = 0; i < CALLS; i++) {
        char *out = NULL;
        double started = now();
        int rc = cfcerts_get(&out, client, zone, certificate_id);
        latencies[index * CALLS + i] = now() - started;
        if (rc != CFCERTS_OK || out == NULL || strstr(out, certificate_id) == NULL) {
            pthread_mutex_lock(&errors_lock);
            if (errors++ < 5) fprintf(stderr, "call failed: %d %s\n", rc, cfcerts_error_last()->message);
            pthread_mutex_unlock(&errors_lock);
        }
        cfcerts_string_free(out);
    }
    return NULL;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: load_c BASE_URL TOKEN ZONE CERTIFICATE_ID\n");
        return 2;
    }
    zone = argv[3];
    certificate_id = argv[4];
    cfcerts_client_options options = {0};
    options.version = CFCERTS_CLIENT_OPTIONS_VERSION;
    options.base_url = argv[1];
    options.api_token = argv[2];
    options.pacing_requests = CFCERTS_PACING_OFF;
    if (cfcerts_client_new(&client, &options) != CFCERTS_OK) {
        fprintf(stderr, "client: %s\n", cfcerts_error_last()->message);
        return 1;
    }
    pthread_t threads[THREADS];
    double started = now();
    for (long t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, worker, (void *)t);
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    double elapsed = now() - started;
    qsort(latencies, THREADS * CALLS, sizeof latencies[0], by_value);
    printf("{\"calls\": %d, \"errors\": %ld, \"seconds\": %.3f, \"per_second\": %.0f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}\n",
           THREADS * CALLS, errors, elapsed, THREADS * CALLS / elapsed, latencies[THREADS * CALLS / 2] * 1e3,
           latencies[THREADS * CALLS * 99 / 100] * 1e3);
    cfcerts_client_free(client);
    return errors == 0 ? 0 : 1;
}
