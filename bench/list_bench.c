/*
 * Listing speed through the C ABI: every certificate of a seeded zone, sequentially and with prefetching, against
 * an emulator that delays each page (a high-latency link). Prints times and the ratio prefetch/sequential.
 * Usage: list_bench ZONE_ID COUNT (CFCERTS_TEST_BASE_URL set)
 */
#include <cfcerts.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double list_all(cfcerts_client *client, const char *zone, const char *params, int expected) {
    cfcerts_iter *iter = NULL;
    char *out = NULL;
    int count = 0;
    double start = now();
    if (cfcerts_iter_new(&iter, client, zone, params) != CFCERTS_OK) exit(1);
    while (cfcerts_iter_next(&out, iter) == CFCERTS_OK) {
        count++;
        cfcerts_string_free(out);
    }
    cfcerts_iter_free(iter);
    double elapsed = now() - start;
    if (count != expected) {
        fprintf(stderr, "listed %d of %d: %s\n", count, expected, cfcerts_error_last()->message);
        exit(1);
    }
    return elapsed;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    const char *zone = argv[1];
    int count = atoi(argv[2]);
    cfcerts_client_options opts = CFCERTS_CLIENT_OPTIONS_INIT;
    opts.api_token = "cfcerts-emulator-token";
    opts.base_url = getenv("CFCERTS_TEST_BASE_URL");
    cfcerts_client *client = NULL;
    if (cfcerts_client_new(&client, &opts) != CFCERTS_OK) return 1;

    list_all(client, zone, "{\"per_page\": 50}", count); /* warm-up: connections, signing of seeded certificates */
    double sequential = list_all(client, zone, "{\"per_page\": 50}", count);
    double prefetch = list_all(client, zone, "{\"per_page\": 50, \"prefetch_pages\": 4}", count);
    printf("list %d certificates, 50 a page, 20 ms a page: sequential %.2f s, prefetch 4 %.2f s, ratio %.2f\n", count,
           sequential, prefetch, prefetch / sequential);
    cfcerts_client_free(client);
    return 0;
}
