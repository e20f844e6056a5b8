/*
 * make bench: the C ABI's side of the measurements (the Swift side is bench/swift). Credentials and base URL
 * come from CLOUDFLARE_API_TOKEN / CLOUDFLARE_BASE_URL.
 *   list_bench iter ZONE COUNT [PARAMS]   every certificate through cfcerts_iter_next; prints seconds
 *   list_bench gets ZONE ID N             N sequential cfcerts_get calls; prints median and p99 in microseconds
 */
#include <cfcerts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, cfcerts_error_last()->message);
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: list_bench iter ZONE COUNT [PARAMS] | gets ZONE ID N\n");
        return 2;
    }
    cfcerts_client *client = NULL;
    if (cfcerts_client_new(&client, NULL) != CFCERTS_OK) fail("client");
    if (strcmp(argv[1], "iter") == 0) {
        int expected = atoi(argv[3]), count = 0;
        cfcerts_iter *iter = NULL;
        char *out = NULL;
        double start = now();
        if (cfcerts_iter_new(&iter, client, argv[2], argc > 4 ? argv[4] : NULL) != CFCERTS_OK) fail("iter_new");
        while (cfcerts_iter_next(&out, iter) == CFCERTS_OK) {
            count++;
            cfcerts_string_free(out);
        }
        double elapsed = now() - start;
        if (count != expected) fail("listed fewer");
        cfcerts_iter_free(iter);
        printf("%.4f\n", elapsed);
    } else {
        int n = argc > 4 ? atoi(argv[4]) : 1000;
        double *times = calloc((size_t)n, sizeof *times);
        char *out = NULL;
        if (times == NULL || cfcerts_get(&out, client, argv[2], argv[3]) != CFCERTS_OK) fail("get");
        cfcerts_string_free(out);
        for (int i = 0; i < n; i++) {
            double start = now();
            if (cfcerts_get(&out, client, argv[2], argv[3]) != CFCERTS_OK) fail("get");
            times[i] = (now() - start) * 1e6;
            cfcerts_string_free(out);
        }
        qsort(times, (size_t)n, sizeof *times, compare);
        printf("%.1f %.1f\n", times[n / 2], times[n * 99 / 100 < n ? n * 99 / 100 : n - 1]);
        free(times);
    }
    cfcerts_client_free(client);
    return 0;
}
