/* Bulk runs through the C API: every argument refused as documented, outcomes pulled as items complete, a failure
 * that stops nothing, the summary, a cancel from another thread while the puller waits, a run outliving its
 * client, a journal one run at a time (CFCERTS_EBUSY), and the options versions (2 still works, 3's pacing fields are
 * checked). Run under valgrind and ASan too. */
#include <cfcerts.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char zone[33];

/* Version 2 of the options: the struct a program built against the previous header passes. */
typedef struct {
    unsigned int version;
    const char *api_token, *api_email, *api_key, *user_service_key, *base_url;
    int connect_timeout_ms, request_timeout_ms, max_retries;
    const char *user_agent_suffix;
    int allow_insecure_http, total_timeout_ms;
} options_v2;

static int seed_and_list_ids(int count, char ***ids) {
    char body[128];
    snprintf(body, sizeof body, "{\"count\": %d}", count);
    char path[128];
    snprintf(path, sizeof path, "/zones/%s/seed", zone);
    CHECK(harness_control("POST", path, body) == 0);
    cfcerts_client *client = harness_client(2);
    cfcerts_iter *iter = NULL;
    CHECK_CODE(cfcerts_iter_new(&iter, client, zone, "{\"status\": \"active\"}"), CFCERTS_OK);
    *ids = calloc((size_t)count + 64, sizeof(char *));
    int found = 0;
    char *json = NULL;
    while (cfcerts_iter_next(&json, iter) == CFCERTS_OK) {
        if (found < count + 64) (*ids)[found++] = harness_json_string(json, "id");
        cfcerts_string_free(json);
    }
    cfcerts_iter_free(iter);
    cfcerts_client_free(client);
    return found;
}

static void free_ids(char **ids, int count) {
    for (int i = 0; i < count; i++) free(ids[i]);
    free(ids);
}

/* {"operation": OP, "ids": [...], EXTRA} */
static char *revoke_params(const char *operation, char **ids, int count, const char *extra) {
    json_t *root = json_object();
    json_object_set_new(root, "operation", json_string(operation));
    json_t *list = json_array();
    for (int i = 0; i < count; i++) json_array_append_new(list, json_string(ids[i]));
    json_object_set_new(root, "ids", list);
    if (extra) {
        json_error_t error;
        json_t *more = json_loads(extra, 0, &error);
        json_object_update(root, more);
        json_decref(more);
    }
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static void test_refusals(cfcerts_client *client) {
    cfcerts_bulk *bulk = (cfcerts_bulk *)0x1;
    const char *ok = "{\"operation\": \"revoke\", \"ids\": [\"a\"]}";
    CHECK_CODE(cfcerts_bulk_new(NULL, client, zone, ok), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_bulk_new(&bulk, NULL, zone, ok), CFCERTS_EINVAL);
    CHECK(bulk == NULL);
    CHECK_CODE(cfcerts_bulk_new(&bulk, client, NULL, ok), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_bulk_new(&bulk, client, zone, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_bulk_new(&bulk, client, "..", ok), CFCERTS_EINVAL);
    const char *bad[] = {
        "{", "[]", "{\"operation\": \"delete\", \"ids\": []}", "{\"ids\": [\"a\"]}",
        "{\"operation\": \"revoke\"}", "{\"operation\": \"revoke\", \"ids\": \"a\"}",
        "{\"operation\": \"revoke\", \"ids\": [1]}", "{\"operation\": \"revoke\", \"ids\": [\"a\", \"a\"]}",
        "{\"operation\": \"revoke\", \"ids\": [\"..\"]}", "{\"operation\": \"revoke\", \"ids\": [\"a/b\"], \"x\": 1}",
        "{\"operation\": \"revoke\", \"ids\": [\"a\"], \"concurrency\": 0}",
        "{\"operation\": \"revoke\", \"ids\": [\"a\"], \"concurrency\": 65}",
        "{\"operation\": \"revoke\", \"ids\": [\"a\"], \"concurrency\": 1e300}",
        "{\"operation\": \"revoke\", \"ids\": [\"a\"], \"journal\": \"/nonexistent/folder/journal\"}",
        "{\"operation\": \"revoke\", \"items\": [{\"csr\": \"x\", \"validity_days\": 1}]}",
        "{\"operation\": \"create\", \"ids\": [\"a\"]}", "{\"operation\": \"create\", \"items\": [{}]}",
        "{\"operation\": \"create\", \"items\": [{\"csr\": \"\", \"validity_days\": 5}]}",
        "{\"operation\": \"create\", \"items\": [{\"csr\": \"x\", \"validity_days\": -5}]}",
        "{\"operation\": \"create\", \"items\": [{\"csr\": \"x\", \"validity_days\": 5, \"days\": 5}]}",
        "{\"operation\": \"create\", \"items\": [\"x\"]}",
        "{\"operation\": \"revoke\", \"ids\": [\"\xff\xfe\"]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bulk = (cfcerts_bulk *)0x1;
        int rc = cfcerts_bulk_new(&bulk, client, zone, bad[i]);
        if (rc != CFCERTS_EINVAL) fprintf(stderr, "case %zu: %s -> %d\n", i, bad[i], rc);
        CHECK(rc == CFCERTS_EINVAL && bulk == NULL);
        CHECK(strlen(cfcerts_error_last()->message) > 0);
    }
    char *out = (char *)0x1;
    CHECK_CODE(cfcerts_bulk_next(&out, NULL), CFCERTS_EINVAL);
    CHECK(out == NULL);
    CHECK_CODE(cfcerts_bulk_next(NULL, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_bulk_summary(&out, NULL), CFCERTS_EINVAL);
    cfcerts_bulk_cancel(NULL);
    cfcerts_bulk_free(NULL);
}

static void test_outcomes_and_summary(cfcerts_client *client) {
    char **ids = NULL;
    int count = seed_and_list_ids(20, &ids);
    CHECK(count == 20);
    ids[count] = strdup("00000000000000000000000000000000");
    char *params = revoke_params("revoke", ids, count + 1, "{\"concurrency\": 4}");
    cfcerts_bulk *bulk = NULL;
    CHECK_CODE(cfcerts_bulk_new(&bulk, client, zone, params), CFCERTS_OK);
    char *out = NULL;
    CHECK_CODE(cfcerts_bulk_summary(&out, bulk), CFCERTS_EINVAL); /* not over yet */
    int seen[21] = {0}, done = 0, failed = 0, total = 0;
    while (cfcerts_bulk_next(&out, bulk) == CFCERTS_OK) {
        json_error_t error;
        json_t *outcome = json_loads(out, 0, &error);
        CHECK(outcome != NULL);
        int index = (int)json_integer_value(json_object_get(outcome, "index"));
        if (index >= 0 && index < 21) seen[index]++;
        const char *status = json_string_value(json_object_get(outcome, "status"));
        if (status && strcmp(status, "done") == 0) {
            done++;
            json_t *certificate = json_object_get(outcome, "certificate");
            CHECK(strcmp(json_string_value(json_object_get(certificate, "status")), "pending_revocation") == 0);
        } else if (status && strcmp(status, "failed") == 0) {
            failed++;
            json_t *failure = json_object_get(outcome, "error");
            CHECK(index == 20);
            CHECK(json_integer_value(json_object_get(failure, "code")) == CFCERTS_ENOTFOUND);
            CHECK(json_integer_value(json_object_get(failure, "http_status")) == 404);
            CHECK(strlen(json_string_value(json_object_get(failure, "ray_id"))) > 0);
        }
        total++;
        json_decref(outcome);
        cfcerts_string_free(out);
    }
    CHECK(cfcerts_error_last()->code == CFCERTS_OK || cfcerts_error_last()->code == CFCERTS_ITEROVER ||
          total == 21);
    CHECK(total == 21 && done == 20 && failed == 1);
    for (int i = 0; i < 21; i++) CHECK(seen[i] == 1);
    CHECK_CODE(cfcerts_bulk_next(&out, bulk), CFCERTS_ITEROVER);
    CHECK_CODE(cfcerts_bulk_summary(&out, bulk), CFCERTS_OK);
    json_error_t error;
    json_t *summary = json_loads(out, 0, &error);
    CHECK(json_integer_value(json_object_get(summary, "total")) == 21);
    CHECK(json_integer_value(json_object_get(summary, "done")) == 20);
    CHECK(json_integer_value(json_object_get(summary, "failed")) == 1);
    CHECK(json_integer_value(json_object_get(summary, "rate_limited_answers")) == 0);
    CHECK(json_is_integer(json_object_get(summary, "elapsed_ms")));
    json_decref(summary);
    cfcerts_string_free(out);
    cfcerts_bulk_free(bulk);
    free(params);
    free_ids(ids, count + 1);
}

struct puller {
    cfcerts_bulk *bulk;
    int pulled;
};

static void *pull_all(void *argument) {
    struct puller *puller = argument;
    char *out = NULL;
    while (cfcerts_bulk_next(&out, puller->bulk) == CFCERTS_OK) {
        puller->pulled++;
        cfcerts_string_free(out);
    }
    return NULL;
}

static void test_cancel_from_another_thread(void) {
    char **ids = NULL;
    int count = seed_and_list_ids(30, &ids);
    char body[256];
    snprintf(body, sizeof body, "{\"kind\": \"delay\", \"method\": \"DELETE\", \"count\": 100, \"delay_ms\": 150, "
             "\"path\": \"/client/v4/zones/%s/client_certificates/*\"}", zone);
    CHECK(harness_control("POST", "/faults", body) == 0);
    cfcerts_client *client = harness_client(2);
    char *params = revoke_params("revoke", ids, count, "{\"concurrency\": 2}");
    struct puller puller = {NULL, 0};
    CHECK_CODE(cfcerts_bulk_new(&puller.bulk, client, zone, params), CFCERTS_OK);
    cfcerts_client_free(client); /* the run keeps it alive */
    pthread_t thread;
    pthread_create(&thread, NULL, pull_all, &puller);
    usleep(400 * 1000);
    cfcerts_bulk_cancel(puller.bulk);
    pthread_join(thread, NULL);
    char *out = NULL;
    CHECK_CODE(cfcerts_bulk_summary(&out, puller.bulk), CFCERTS_OK);
    json_error_t error;
    json_t *summary = json_loads(out, 0, &error);
    int not_started = (int)json_integer_value(json_object_get(summary, "not_started"));
    CHECK(not_started > 15);
    CHECK(puller.pulled + not_started == 30);
    json_decref(summary);
    cfcerts_string_free(out);
    cfcerts_bulk_free(puller.bulk);
    CHECK(harness_control("DELETE", "/faults", NULL) == 0);
    usleep(400 * 1000); /* the revokes in flight at the cancel reach the server's log within their 150 ms delay */
    free(params);
    free_ids(ids, count);
}

static void test_free_midway(cfcerts_client *client) {
    char **ids = NULL;
    int count = seed_and_list_ids(10, &ids);
    char *params = revoke_params("revoke", ids, count, NULL);
    cfcerts_bulk *bulk = NULL;
    CHECK_CODE(cfcerts_bulk_new(&bulk, client, zone, params), CFCERTS_OK);
    char *out = NULL;
    CHECK_CODE(cfcerts_bulk_next(&out, bulk), CFCERTS_OK);
    cfcerts_string_free(out);
    cfcerts_bulk_free(bulk);
    free(params);
    free_ids(ids, count);
}

/* A second run on a journal another run holds is refused at once with CFCERTS_EBUSY; once the first is over the
 * journal is free again (and, its run finished, refused as such with CFCERTS_EINVAL). */
static void test_journal_in_use(cfcerts_client *client) {
    char **ids = NULL;
    int count = seed_and_list_ids(1, &ids);
    char body[256];
    snprintf(body, sizeof body, "{\"kind\": \"delay\", \"method\": \"DELETE\", \"delay_ms\": 1000, "
             "\"path\": \"/client/v4/zones/%s/client_certificates/*\"}", zone);
    CHECK(harness_control("POST", "/faults", body) == 0);
    char journal[] = "/tmp/cfcerts-test-journal-XXXXXX";
    int descriptor = mkstemp(journal);
    CHECK(descriptor >= 0);
    close(descriptor);
    unlink(journal); /* the run creates it */
    char extra[128];
    snprintf(extra, sizeof extra, "{\"journal\": \"%s\"}", journal);
    char *params = revoke_params("revoke", ids, count, extra);
    cfcerts_bulk *first = NULL, *second = (cfcerts_bulk *)0x1;
    CHECK_CODE(cfcerts_bulk_new(&first, client, zone, params), CFCERTS_OK);
    CHECK_CODE(cfcerts_bulk_new(&second, client, zone, params), CFCERTS_EBUSY);
    CHECK(second == NULL && strstr(cfcerts_error_last()->message, "in use") != NULL);
    CHECK(strcmp(cfcerts_strerror(CFCERTS_EBUSY), "in use") == 0);
    char *out = NULL;
    int pulled = 0;
    while (cfcerts_bulk_next(&out, first) == CFCERTS_OK) {
        CHECK(strstr(out, "\"status\":\"done\"") != NULL);
        pulled++;
        cfcerts_string_free(out);
    }
    CHECK(pulled == 1);
    cfcerts_bulk_free(first);
    CHECK_CODE(cfcerts_bulk_new(&second, client, zone, params), CFCERTS_EINVAL);
    CHECK(strstr(cfcerts_error_last()->message, "pass a new journal") != NULL);
    unlink(journal);
    free(params);
    free_ids(ids, count);
}

static void test_options_v2_and_pacing(void) {
    struct {
        options_v2 opts;
        unsigned int canary[4];
    } v2;
    memset(&v2, 0xAB, sizeof v2);
    CHECK_CODE(cfcerts_client_options_init((cfcerts_client_options *)&v2.opts, 2), CFCERTS_OK);
    CHECK(v2.opts.version == 2 && v2.opts.total_timeout_ms == 0);
    for (int i = 0; i < 4; i++) CHECK(v2.canary[i] == 0xABABABABu);
    v2.opts.api_token = "cfcerts-emulator-token";
    v2.opts.base_url = harness_base_url();
    cfcerts_client *client = NULL;
    CHECK_CODE(cfcerts_client_new(&client, (cfcerts_client_options *)&v2.opts), CFCERTS_OK);
    cfcerts_client_free(client);

    cfcerts_client_options opts = CFCERTS_CLIENT_OPTIONS_INIT;
    opts.api_token = "cfcerts-emulator-token";
    opts.base_url = harness_base_url();
    int refused[][2] = {{5, 0}, {0, 5}, {-2, 0}, {CFCERTS_PACING_OFF, 5}, {10, 86401}, {-5, -5}, {2000000000, 1}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        opts.pacing_requests = refused[i][0];
        opts.pacing_window_seconds = refused[i][1];
        client = (cfcerts_client *)0x1;
        CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
        CHECK(client == NULL);
    }
    int accepted[][2] = {{0, 0}, {CFCERTS_PACING_OFF, 0}, {100, 10}, {1, 86400}};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        opts.pacing_requests = accepted[i][0];
        opts.pacing_window_seconds = accepted[i][1];
        CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_OK);
        char *out = NULL;
        CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_OK);
        cfcerts_string_free(out);
        cfcerts_client_free(client);
    }
}

int main(void) {
    harness_new_zone(zone);
    cfcerts_client *client = harness_client(2);
    test_refusals(client);
    test_outcomes_and_summary(client);
    test_free_midway(client);
    harness_new_zone(zone);
    test_journal_in_use(client);
    cfcerts_client_free(client);
    harness_new_zone(zone);
    test_cancel_from_another_thread();
    test_options_v2_and_pacing();
    return harness_finish("test_bulk");
}
