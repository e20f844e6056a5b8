/* 16 threads share one client: 10,000 calls, no error. */
#include "harness.h"

#include <pthread.h>

#define THREADS 16
#define CALLS_PER_THREAD 625

static cfcerts_client *shared_client;
static char zone[33];
static char certificate_id[64];

static void *worker(void *arg) {
    long failures = 0;
    (void)arg;
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        char *out = NULL;
        int rc = (i % 2 == 0) ? cfcerts_get(&out, shared_client, zone, certificate_id)
                              : cfcerts_list_page(&out, shared_client, zone, "{\"per_page\": 5}");
        if (rc != CFCERTS_OK || out == NULL || strstr(out, certificate_id) == NULL) {
            failures++;
            fprintf(stderr, "call failed: %d %s\n", rc, cfcerts_error_last()->message);
        }
        cfcerts_string_free(out);
        /* An invalid call on every thread too: its error must stay on this thread. */
        if (cfcerts_get(&out, shared_client, zone, "..") != CFCERTS_EINVAL || cfcerts_error_last()->code != CFCERTS_EINVAL) failures++;
    }
    return (void *)failures;
}

int main(void) {
    harness_new_zone(zone);
    shared_client = harness_client(2);
    char *generated = NULL;
    CHECK_CODE(cfcerts_csr_generate(&generated, "{\"common_name\": \"threads\"}"), CFCERTS_OK);
    char *csr = harness_json_string(generated, "csr_pem");
    json_t *params = json_pack("{s:s, s:i}", "csr", csr, "validity_days", 1);
    char *params_text = json_dumps(params, 0);
    char *created = NULL;
    CHECK_CODE(cfcerts_create(&created, shared_client, zone, params_text), CFCERTS_OK);
    char *id = harness_json_string(created, "id");
    snprintf(certificate_id, sizeof certificate_id, "%s", id ? id : "");
    free(id);
    free(params_text);
    json_decref(params);
    free(csr);
    cfcerts_string_free(generated);
    cfcerts_string_free(created);

    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&threads[i], NULL, worker, NULL) == 0);
    long failures = 0;
    for (int i = 0; i < THREADS; i++) {
        void *result = NULL;
        pthread_join(threads[i], &result);
        failures += (long)result;
    }
    printf("%d threads x %d calls, %ld failures\n", THREADS, CALLS_PER_THREAD, failures);
    CHECK(failures == 0);
    cfcerts_client_free(shared_client);
    return harness_finish("test_threads");
}
