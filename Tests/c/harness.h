/* A small test harness for the C suites: checks that count, an emulator to talk to, and its controls. */
#ifndef CFCERTS_TEST_HARNESS_H
#define CFCERTS_TEST_HARNESS_H

#include <cfcerts.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_passed = 0;
static int harness_failed = 0;

#define CHECK(condition)                                                                                 \
    do {                                                                                                 \
        if (condition) {                                                                                 \
            harness_passed++;                                                                            \
        } else {                                                                                         \
            harness_failed++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: %s (last error %d: %s)\n", __FILE__, __LINE__, #condition,      \
                    cfcerts_error_last()->code, cfcerts_error_last()->message);                          \
        }                                                                                                \
    } while (0)

/* CHECK that `call` returns `code`. */
#define CHECK_CODE(call, code)                                                                           \
    do {                                                                                                 \
        int check_rc_ = (call);                                                                          \
        if (check_rc_ == (code)) {                                                                       \
            harness_passed++;                                                                            \
        } else {                                                                                         \
            harness_failed++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: %s returned %d (%s), expected %d; last error: %s\n", __FILE__,   \
                    __LINE__, #call, check_rc_, cfcerts_strerror(check_rc_), (code),                     \
                    cfcerts_error_last()->message);                                                      \
        }                                                                                                \
    } while (0)

/* The closing line the CI reads: "N passed, N failed". Returns the exit status. */
static inline int harness_finish(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, harness_passed, harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

/* The emulator's API base URL (http://127.0.0.1:PORT/client/v4), from CFCERTS_TEST_BASE_URL. */
static inline const char *harness_base_url(void) {
    const char *url = getenv("CFCERTS_TEST_BASE_URL");
    if (url == NULL || *url == '\0') {
        fprintf(stderr, "CFCERTS_TEST_BASE_URL is not set: run the C tests with scripts/run-c-tests.sh\n");
        exit(2);
    }
    return url;
}

/* Sends `body` (JSON, may be NULL) to the emulator control `path` (e.g. "/faults") with `method`. */
static inline int harness_control(const char *method, const char *path, const char *body) {
    char root[512];
    snprintf(root, sizeof root, "%s", harness_base_url());
    char *api = strstr(root, "/client/v4");
    if (api != NULL) *api = '\0';
    char command[4096];
    snprintf(command, sizeof command, "curl -sf -o /dev/null -X %s -H 'Content-Type: application/json' %s%s%s '%s/__emulator%s'",
             method, body ? "--data '" : "", body ? body : "", body ? "'" : "", root, path);
    return system(command);
}

/* A client for the emulator with the default token and quick retries. */
static inline cfcerts_client *harness_client(int max_retries) {
    cfcerts_client_options opts = CFCERTS_CLIENT_OPTIONS_INIT;
    opts.api_token = "cfcerts-emulator-token";
    opts.base_url = harness_base_url();
    opts.max_retries = max_retries;
    cfcerts_client *client = NULL;
    if (cfcerts_client_new(&client, &opts) != CFCERTS_OK) {
        fprintf(stderr, "cannot create a client: %s\n", cfcerts_error_last()->message);
        exit(2);
    }
    return client;
}

/* How many requests the emulator's log holds for `zone` (-1 when the log cannot be read). */
static inline int harness_requests_for_zone(const char *zone) {
    char root[512];
    snprintf(root, sizeof root, "%s", harness_base_url());
    char *api = strstr(root, "/client/v4");
    if (api != NULL) *api = '\0';
    char command[1024];
    snprintf(command, sizeof command, "curl -sf '%s/__emulator/requests'", root);
    FILE *log = popen(command, "r");
    if (log == NULL) return -1;
    size_t size = 0, capacity = 1 << 16;
    char *text = malloc(capacity);
    size_t got;
    while (text != NULL && (got = fread(text + size, 1, capacity - size - 1, log)) > 0) {
        size += got;
        if (capacity - size < 2) text = realloc(text, capacity *= 2);
    }
    int status = pclose(log);
    if (text == NULL || status != 0) {
        free(text);
        return -1;
    }
    text[size] = '\0';
    int count = 0;
    for (const char *at = strstr(text, zone); at != NULL; at = strstr(at + 1, zone)) count++;
    free(text);
    return count;
}

/* A fresh random zone id (32 lower-case hex digits). */
static inline void harness_new_zone(char zone[33]) {
    static const char digits[] = "0123456789abcdef";
    FILE *random = fopen("/dev/urandom", "rb");
    for (int i = 0; i < 32; i++) {
        unsigned char byte = 0;
        if (random == NULL || fread(&byte, 1, 1, random) != 1) byte = (unsigned char)rand();
        zone[i] = digits[byte & 0xf];
    }
    zone[32] = '\0';
    if (random) fclose(random);
}

/* The string field `key` of a JSON object text; a copy to free(), or NULL. */
static inline char *harness_json_string(const char *json, const char *key) {
    json_error_t error;
    json_t *root = json_loads(json, 0, &error);
    if (root == NULL) return NULL;
    const char *value = json_string_value(json_object_get(root, key));
    char *copy = value ? strdup(value) : NULL;
    json_decref(root);
    return copy;
}

#endif
