/* Every function and every return code of cfcerts.h, against the emulator, including bad input. */
#include "harness.h"

static char zone[33];

static void arm_fault(const char *kind_and_fields) {
    char body[1024];
    snprintf(body, sizeof body, "{\"path\": \"/client/v4/zones/%s/client_certificates\", %s}", zone, kind_and_fields);
    CHECK(harness_control("POST", "/faults", body) == 0);
}

static char *generate_csr(const char *key_type) {
    char subject[256];
    snprintf(subject, sizeof subject, "{\"common_name\": \"c-test.example.com\", \"organization\": \"Example\", \"key_type\": \"%s\"}", key_type);
    char *generated = NULL;
    CHECK_CODE(cfcerts_csr_generate(&generated, subject), CFCERTS_OK);
    char *csr = generated ? harness_json_string(generated, "csr_pem") : NULL;
    cfcerts_string_free(generated);
    return csr;
}

/* Creates a certificate and returns its id (free()). */
static char *create_certificate(cfcerts_client *client) {
    char *csr = generate_csr("p256");
    json_t *params = json_pack("{s:s, s:i}", "csr", csr ? csr : "", "validity_days", 30);
    char *params_text = json_dumps(params, 0);
    char *created = NULL;
    CHECK_CODE(cfcerts_create(&created, client, zone, params_text), CFCERTS_OK);
    char *id = created ? harness_json_string(created, "id") : NULL;
    cfcerts_string_free(created);
    free(params_text);
    json_decref(params);
    free(csr);
    return id;
}

static void test_versions_and_strings(void) {
    CHECK(cfcerts_version_number() == CFCERTS_VERSION_NUMBER);
    CHECK(strcmp(cfcerts_version(), CFCERTS_VERSION) == 0);
    const int codes[] = {CFCERTS_OK, CFCERTS_ERROR, CFCERTS_EINVAL, CFCERTS_ENOTFOUND, CFCERTS_EAUTH, CFCERTS_EPERM,
                         CFCERTS_ERATELIMIT, CFCERTS_ETIMEOUT, CFCERTS_ECONNECT, CFCERTS_EDECODE, CFCERTS_ITEROVER,
                         CFCERTS_ENOMEM};
    const int count = (int)(sizeof codes / sizeof codes[0]);
    for (int i = 0; i < count; i++) {
        CHECK(cfcerts_strerror(codes[i]) != NULL);
        for (int j = 0; j < i; j++) CHECK(strcmp(cfcerts_strerror(codes[i]), cfcerts_strerror(codes[j])) != 0);
    }
    CHECK(strcmp(cfcerts_strerror(12345), "unknown error code") == 0);
    CHECK(strcmp(cfcerts_strerror(CFCERTS_ENOTFOUND), "not found") == 0);
    CHECK(strcmp(cfcerts_strerror(CFCERTS_ENOMEM), "out of memory") == 0);
    cfcerts_string_free(NULL);
}

static void test_errors_and_options(void) {
    cfcerts_error_clear();
    const cfcerts_error *error = cfcerts_error_last();
    CHECK(error != NULL);
    CHECK(error->code == CFCERTS_OK && error->http_status == 0);
    CHECK(strcmp(error->message, "") == 0 && strcmp(error->ray_id, "") == 0);
    CHECK(strcmp(error->cloudflare_errors, "[]") == 0);

    cfcerts_client_options opts;
    CHECK_CODE(cfcerts_client_options_init(NULL, CFCERTS_CLIENT_OPTIONS_VERSION), CFCERTS_EINVAL);
    CHECK(cfcerts_error_last()->code == CFCERTS_EINVAL);
    CHECK(strstr(cfcerts_error_last()->message, "NULL") != NULL);
    CHECK_CODE(cfcerts_client_options_init(&opts, 99), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_client_options_init(&opts, CFCERTS_CLIENT_OPTIONS_VERSION), CFCERTS_OK);
    CHECK(opts.version == CFCERTS_CLIENT_OPTIONS_VERSION && opts.max_retries == 0 && opts.api_token == NULL);
    CHECK(opts.total_timeout_ms == 0);

    cfcerts_client *client = (cfcerts_client *)0x1;
    CHECK_CODE(cfcerts_client_new(NULL, NULL), CFCERTS_EINVAL);

    opts.version = 99;
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
    CHECK(client == NULL);
    cfcerts_client_options_init(&opts, CFCERTS_CLIENT_OPTIONS_VERSION);
    opts.base_url = harness_base_url();

    opts.api_token = "t";
    opts.user_service_key = "s";
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL); /* two schemes */
    opts.user_service_key = NULL;
    opts.api_token = NULL;
    opts.api_email = "a@example.com";
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL); /* email without key */
    opts.api_email = NULL;
    opts.api_token = "t";
    opts.base_url = "http://example.com/client/v4";
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL); /* plain http to a remote host */
    opts.base_url = "not a url";
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
    opts.base_url = harness_base_url();
    opts.max_retries = 11;
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
    opts.max_retries = 0;
    opts.request_timeout_ms = -5;
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
    opts.request_timeout_ms = 0;
    opts.api_token = "bad\xff\xfe";
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL); /* invalid UTF-8 */

    /* NULL options: credentials and base URL from the environment. */
    unsetenv("CLOUDFLARE_API_TOKEN");
    unsetenv("CLOUDFLARE_API_KEY");
    unsetenv("CLOUDFLARE_API_USER_SERVICE_KEY");
    CHECK_CODE(cfcerts_client_new(&client, NULL), CFCERTS_EINVAL);
    setenv("CLOUDFLARE_API_TOKEN", "cfcerts-emulator-token", 1);
    setenv("CLOUDFLARE_BASE_URL", harness_base_url(), 1);
    CHECK_CODE(cfcerts_client_new(&client, NULL), CFCERTS_OK);
    char *page = NULL;
    CHECK_CODE(cfcerts_list_page(&page, client, zone, NULL), CFCERTS_OK);
    cfcerts_string_free(page);
    cfcerts_client_free(client);
    unsetenv("CLOUDFLARE_API_TOKEN");
    unsetenv("CLOUDFLARE_BASE_URL");
    cfcerts_client_free(NULL);
}

static void test_csr_functions(void) {
    char *out = (char *)0x1;
    CHECK_CODE(cfcerts_csr_generate(NULL, "{\"common_name\": \"x\"}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_csr_generate(&out, NULL), CFCERTS_EINVAL);
    CHECK(out == NULL);
    const char *bad_subjects[] = {
        "{\"common_name\": ",                        /* malformed JSON */
        "[\"common_name\"]",                         /* not an object */
        "{\"common_name\": 5}",                      /* wrong type */
        "{\"organization\": \"x\"}",                 /* no common name */
        "{\"common_name\": \"x\", \"colour\": 1}",   /* unknown key */
        "{\"common_name\": \"x\", \"key_type\": \"dsa\"}",
        "{\"common_name\": \"x\", \"country\": \"USA\"}",
        "{\"common_name\": \"\xff\xfe\"}",           /* invalid UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad_subjects / sizeof bad_subjects[0]; i++) {
        CHECK_CODE(cfcerts_csr_generate(&out, bad_subjects[i]), CFCERTS_EINVAL);
        CHECK(out == NULL);
        CHECK(strlen(cfcerts_error_last()->message) > 0);
    }

    /* One vocabulary: what cfcerts_csr_generate() takes, cfcerts_csr_inspect() answers. */
    const char *key_types[] = {"p256", "rsa2048"};
    const char *inspected_types[] = {"p256", "rsa2048"};
    for (int i = 0; i < 2; i++) {
        char subject[200];
        snprintf(subject, sizeof subject, "{\"common_name\": \"k%d\", \"country\": \"US\", \"key_type\": \"%s\"}", i, key_types[i]);
        char *generated = NULL;
        CHECK_CODE(cfcerts_csr_generate(&generated, subject), CFCERTS_OK);
        json_t *root = generated ? json_loads(generated, 0, NULL) : NULL;
        const char *key = json_string_value(json_object_get(root, "private_key_pem"));
        const char *csr = json_string_value(json_object_get(root, "csr_pem"));
        CHECK(key != NULL && strstr(key, "PRIVATE KEY-----") != NULL);
        CHECK(csr != NULL && strncmp(csr, "-----BEGIN CERTIFICATE REQUEST-----", 35) == 0);
        CHECK(strcmp(json_string_value(json_object_get(root, "key_type")), key_types[i]) == 0);

        char *inspection = NULL;
        CHECK_CODE(cfcerts_csr_inspect(&inspection, csr), CFCERTS_OK);
        json_t *info = inspection ? json_loads(inspection, 0, NULL) : NULL;
        CHECK(strcmp(json_string_value(json_object_get(info, "key_type")), inspected_types[i]) == 0);
        CHECK(json_is_true(json_object_get(info, "signature_valid")));
        CHECK(strcmp(json_string_value(json_object_get(json_object_get(info, "subject"), "country")), "US") == 0);
        json_decref(info);
        cfcerts_string_free(inspection);
        json_decref(root);
        cfcerts_string_free(generated);
    }
    CHECK_CODE(cfcerts_csr_inspect(&out, "not a csr"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_csr_inspect(&out, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_csr_inspect(NULL, "x"), CFCERTS_EINVAL);
}

static void test_operations(cfcerts_client *client) {
    char *id = create_certificate(client);
    CHECK(id != NULL && strlen(id) == 32);
    if (id == NULL) return;

    char *out = NULL;
    CHECK_CODE(cfcerts_get(&out, client, zone, id), CFCERTS_OK);
    json_t *certificate = out ? json_loads(out, 0, NULL) : NULL;
    CHECK(strcmp(json_string_value(json_object_get(certificate, "status")), "active") == 0);
    CHECK(strcmp(json_string_value(json_object_get(certificate, "common_name")), "c-test.example.com") == 0);
    CHECK(json_integer_value(json_object_get(certificate, "validity_days")) == 30);
    CHECK(strstr(json_string_value(json_object_get(certificate, "csr")), "\r") == NULL);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(certificate, "certificate_authority"), "name")),
                 "Cloudflare Managed CA for account") == 0);
    json_decref(certificate);
    cfcerts_string_free(out);

    CHECK_CODE(cfcerts_list_page(&out, client, zone, "{\"per_page\": 5, \"page\": 1, \"status\": \"all\"}"), CFCERTS_OK);
    json_t *page = out ? json_loads(out, 0, NULL) : NULL;
    CHECK(json_array_size(json_object_get(page, "result")) == 1);
    CHECK(json_integer_value(json_object_get(json_object_get(page, "result_info"), "total_count")) == 1);
    CHECK(json_integer_value(json_object_get(json_object_get(page, "result_info"), "per_page")) == 5);
    json_decref(page);
    cfcerts_string_free(out);

    CHECK_CODE(cfcerts_reactivate(&out, client, zone, id), CFCERTS_ERROR); /* active: refused by the API */
    CHECK(cfcerts_error_last()->http_status == 400);
    CHECK(strstr(cfcerts_error_last()->cloudflare_errors, "1009") != NULL);

    CHECK_CODE(cfcerts_revoke(&out, client, zone, id), CFCERTS_OK);
    char *status = out ? harness_json_string(out, "status") : NULL;
    CHECK(status && strcmp(status, "pending_revocation") == 0);
    free(status);
    cfcerts_string_free(out);

    CHECK_CODE(cfcerts_reactivate(&out, client, zone, id), CFCERTS_OK);
    status = out ? harness_json_string(out, "status") : NULL;
    CHECK(status && strcmp(status, "pending_reactivation") == 0);
    free(status);
    cfcerts_string_free(out);

    /* API errors carry the HTTP status, Cloudflare's errors and the ray id. */
    CHECK_CODE(cfcerts_create(&out, client, zone, "{\"csr\": \"garbage\", \"validity_days\": 10}"), CFCERTS_ERROR);
    CHECK(out == NULL);
    const cfcerts_error *error = cfcerts_error_last();
    CHECK(error->code == CFCERTS_ERROR && error->http_status == 400);
    CHECK(strstr(error->ray_id, "-EMU") != NULL);
    json_t *errors = json_loads(error->cloudflare_errors, 0, NULL);
    CHECK(json_integer_value(json_object_get(json_array_get(errors, 0), "code")) == 1003);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(json_array_get(errors, 0), "source"), "pointer")), "/csr") == 0);
    json_decref(errors);

    CHECK_CODE(cfcerts_get(&out, client, zone, "00000000-0000-0000-0000-000000000000"), CFCERTS_ENOTFOUND);
    CHECK(cfcerts_error_last()->http_status == 404);
    CHECK_CODE(cfcerts_get(&out, client, zone, "../x"), CFCERTS_ENOTFOUND); /* encoded inside its segment */
    free(id);
}

static void test_bad_input(cfcerts_client *client) {
    char *out = (char *)0x1;
    /* Each pointer argument NULL. */
    CHECK_CODE(cfcerts_get(NULL, client, zone, "x"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_get(&out, NULL, zone, "x"), CFCERTS_EINVAL);
    CHECK(out == NULL);
    CHECK_CODE(cfcerts_get(&out, client, NULL, "x"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_get(&out, client, zone, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_revoke(&out, client, zone, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_reactivate(&out, NULL, zone, "x"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_list_page(NULL, client, zone, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_list_page(&out, client, NULL, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_create(&out, client, zone, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_create(&out, NULL, zone, "{}"), CFCERTS_EINVAL);

    /* Ids that could leave their segment, invalid UTF-8, a 1 MB id. */
    const char *bad_ids[] = {"", ".", "..", "a\nb", "\xc3\x28"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        CHECK_CODE(cfcerts_get(&out, client, zone, bad_ids[i]), CFCERTS_EINVAL);
        CHECK_CODE(cfcerts_revoke(&out, client, zone, bad_ids[i]), CFCERTS_EINVAL);
        CHECK_CODE(cfcerts_list_page(&out, client, bad_ids[i], NULL), CFCERTS_EINVAL);
    }
    size_t huge_size = 1 << 20;
    char *huge = malloc(huge_size + 1);
    memset(huge, 'a', huge_size);
    huge[huge_size] = '\0';
    CHECK_CODE(cfcerts_get(&out, client, zone, huge), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_create(&out, client, huge, "{}"), CFCERTS_EINVAL);
    free(huge);

    /* Malformed params, wrong types, unknown keys, out-of-range values. */
    const char *bad_list_params[] = {
        "{", "[]", "\"page\"", "{\"page\": \"1\"}", "{\"page\": 0}", "{\"per_page\": 4}", "{\"per_page\": 51}",
        "{\"per_page\": 2.5}", "{\"status\": \"expired\"}", "{\"status\": 1}", "{\"perpage\": 5}", "{\"limit\": 0}",
        "{\"offset\": -1}", "{\"page\": \"\xff\"}",
    };
    for (size_t i = 0; i < sizeof bad_list_params / sizeof bad_list_params[0]; i++) {
        CHECK_CODE(cfcerts_list_page(&out, client, zone, bad_list_params[i]), CFCERTS_EINVAL);
        CHECK(out == NULL);
    }
    const char *bad_create_params[] = {
        "{}", "{\"csr\": \"x\"}", "{\"validity_days\": 10}", "{\"csr\": 1, \"validity_days\": 10}",
        "{\"csr\": \"x\", \"validity_days\": \"10\"}", "{\"csr\": \"x\", \"validity_days\": 0}", "not json",
    };
    for (size_t i = 0; i < sizeof bad_create_params / sizeof bad_create_params[0]; i++) {
        CHECK_CODE(cfcerts_create(&out, client, zone, bad_create_params[i]), CFCERTS_EINVAL);
    }
}

static void test_iterator(cfcerts_client *client) {
    char iter_zone[33];
    harness_new_zone(iter_zone);
    char path[128];
    snprintf(path, sizeof path, "/zones/%s/seed", iter_zone);
    CHECK(harness_control("POST", path, "{\"count\": 250}") == 0);

    cfcerts_iter *iter = (cfcerts_iter *)0x1;
    CHECK_CODE(cfcerts_iter_new(NULL, client, iter_zone, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_iter_new(&iter, NULL, iter_zone, NULL), CFCERTS_EINVAL);
    CHECK(iter == NULL);
    CHECK_CODE(cfcerts_iter_new(&iter, client, "..", NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_iter_new(&iter, client, iter_zone, "{\"per_page\": 100}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_iter_new(&iter, client, iter_zone, "{\"prefetch_pages\": 9}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_iter_new(&iter, client, iter_zone, "{\"bogus\": 1}"), CFCERTS_EINVAL);
    char *out = NULL;
    CHECK_CODE(cfcerts_iter_next(&out, NULL), CFCERTS_EINVAL);
    cfcerts_iter_free(NULL);

    const char *params[] = {NULL, "{\"per_page\": 20, \"prefetch_pages\": 3, \"status\": \"active\"}"};
    for (int round = 0; round < 2; round++) {
        CHECK_CODE(cfcerts_iter_new(&iter, client, iter_zone, params[round]), CFCERTS_OK);
        CHECK_CODE(cfcerts_iter_next(NULL, iter), CFCERTS_EINVAL);
        int count = 0, in_order = 1;
        int rc;
        while ((rc = cfcerts_iter_next(&out, iter)) == CFCERTS_OK) {
            count++;
            char expected[32];
            snprintf(expected, sizeof expected, "seed-%d", count);
            char *name = harness_json_string(out, "common_name");
            if (name == NULL || strcmp(name, expected) != 0) in_order = 0;
            free(name);
            cfcerts_string_free(out);
        }
        CHECK(rc == CFCERTS_ITEROVER);
        CHECK(out == NULL);
        CHECK(count == 250);
        CHECK(in_order);
        CHECK_CODE(cfcerts_iter_next(&out, iter), CFCERTS_ITEROVER);
        cfcerts_iter_free(iter);
    }

    /* The iterator keeps its client alive. */
    cfcerts_client *own = harness_client(CFCERTS_NO_RETRIES);
    CHECK_CODE(cfcerts_iter_new(&iter, own, iter_zone, "{\"per_page\": 50}"), CFCERTS_OK);
    cfcerts_client_free(own);
    int count = 0;
    while (cfcerts_iter_next(&out, iter) == CFCERTS_OK) {
        count++;
        cfcerts_string_free(out);
    }
    CHECK(count == 250);
    cfcerts_iter_free(iter);
}

static void test_error_codes(cfcerts_client *client) {
    char *out = NULL;
    cfcerts_client *once = harness_client(CFCERTS_NO_RETRIES);

    arm_fault("\"kind\": \"status\", \"status\": 500");
    CHECK_CODE(cfcerts_list_page(&out, once, zone, NULL), CFCERTS_ERROR);
    CHECK(cfcerts_error_last()->http_status == 500);

    arm_fault("\"kind\": \"success_false\", \"code\": 4242, \"message\": \"nope\"");
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_ERROR);
    CHECK(cfcerts_error_last()->http_status == 200);
    CHECK(strstr(cfcerts_error_last()->cloudflare_errors, "4242") != NULL);

    arm_fault("\"kind\": \"status\", \"status\": 403, \"code\": 1403");
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_EPERM);

    arm_fault("\"kind\": \"rate_limit\", \"retry_after\": 7");
    CHECK_CODE(cfcerts_list_page(&out, once, zone, NULL), CFCERTS_ERATELIMIT);
    CHECK(cfcerts_error_last()->retry_after_ms == 7000);
    CHECK(cfcerts_error_last()->http_status == 429);

    arm_fault("\"kind\": \"truncated\"");
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_EDECODE);

    arm_fault("\"kind\": \"html\", \"status\": 502");
    CHECK_CODE(cfcerts_list_page(&out, once, zone, NULL), CFCERTS_ERROR);
    CHECK(cfcerts_error_last()->http_status == 502);

    /* Retries are real: two 503s, then the answer. */
    arm_fault("\"kind\": \"status\", \"status\": 503, \"count\": 2");
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_OK);
    cfcerts_string_free(out);
    cfcerts_client_free(once);

    cfcerts_client_options opts = CFCERTS_CLIENT_OPTIONS_INIT;
    opts.base_url = harness_base_url();
    opts.max_retries = CFCERTS_NO_RETRIES;
    cfcerts_client *other = NULL;

    opts.api_token = "not-a-known-token";
    CHECK_CODE(cfcerts_client_new(&other, &opts), CFCERTS_OK);
    CHECK_CODE(cfcerts_list_page(&out, other, zone, NULL), CFCERTS_EAUTH);
    CHECK(cfcerts_error_last()->http_status == 403);
    CHECK(strstr(cfcerts_error_last()->message, "not-a-known-token") == NULL);
    cfcerts_client_free(other);

    opts.api_token = "cfcerts-emulator-token";
    opts.request_timeout_ms = 300;
    CHECK_CODE(cfcerts_client_new(&other, &opts), CFCERTS_OK);
    arm_fault("\"kind\": \"delay\", \"delay_ms\": 3000");
    CHECK_CODE(cfcerts_list_page(&out, other, zone, NULL), CFCERTS_ETIMEOUT);
    CHECK(cfcerts_error_last()->outcome_unknown == 0);  /* a read changes nothing */
    /* A create whose answer is lost may have been carried out: the error says so. */
    arm_fault("\"kind\": \"delay\", \"method\": \"POST\", \"delay_ms\": 1500");
    char *csr = generate_csr("p256");
    json_t *params = json_pack("{s:s, s:i}", "csr", csr ? csr : "", "validity_days", 30);
    char *params_text = json_dumps(params, 0);
    CHECK_CODE(cfcerts_create(&out, other, zone, params_text), CFCERTS_ETIMEOUT);
    CHECK(cfcerts_error_last()->outcome_unknown == 1);
    cfcerts_error_clear();
    CHECK(cfcerts_error_last()->outcome_unknown == 0);
    free(params_text);
    json_decref(params);
    free(csr);
    cfcerts_client_free(other);

    opts.request_timeout_ms = 0;
    opts.base_url = "http://127.0.0.1:1/client/v4";
    CHECK_CODE(cfcerts_client_new(&other, &opts), CFCERTS_OK);
    CHECK_CODE(cfcerts_list_page(&out, other, zone, NULL), CFCERTS_ECONNECT);
    cfcerts_client_free(other);
}

/* The options struct as a program built against version 1 of the header has it. */
typedef struct {
    unsigned int version;
    const char *api_token, *api_email, *api_key, *user_service_key, *base_url;
    int connect_timeout_ms, request_timeout_ms, max_retries;
    const char *user_agent_suffix;
    int allow_insecure_http;
} options_v1;

static void arm_item_fault(const char *kind_and_fields) {
    char body[1024];
    snprintf(body, sizeof body, "{\"path\": \"/client/v4/zones/%s/client_certificates/*\", %s}", zone, kind_and_fields);
    CHECK(harness_control("POST", "/faults", body) == 0);
}

/* A 503 answers the next `failures` list requests: does a client with these options get through? */
static int lists_through(const cfcerts_client_options *opts, int failures) {
    char fault[128];
    snprintf(fault, sizeof fault, "\"kind\": \"status\", \"status\": 503, \"count\": %d", failures);
    arm_fault(fault);
    cfcerts_client *client = NULL;
    CHECK_CODE(cfcerts_client_new(&client, opts), CFCERTS_OK);
    char *out = NULL;
    int rc = cfcerts_list_page(&out, client, zone, NULL);
    cfcerts_string_free(out);
    cfcerts_client_free(client);
    CHECK(harness_control("DELETE", "/faults", NULL) == 0);
    return rc == CFCERTS_OK;
}

static void test_options_versions(void) {
    /* Version 1: init writes only its fields; -1 retries is the default, 0 none. */
    struct {
        options_v1 opts;
        unsigned int canary[4];
    } v1;
    memset(&v1, 0xAB, sizeof v1);
    CHECK_CODE(cfcerts_client_options_init((cfcerts_client_options *)&v1.opts, 1), CFCERTS_OK);
    CHECK(v1.opts.version == 1 && v1.opts.max_retries == -1 && v1.opts.api_token == NULL);
    for (int i = 0; i < 4; i++) CHECK(v1.canary[i] == 0xABABABABu);
    v1.opts.api_token = "cfcerts-emulator-token";
    v1.opts.base_url = harness_base_url();
    CHECK(lists_through((cfcerts_client_options *)&v1.opts, 2));
    v1.opts.max_retries = 0;
    CHECK(!lists_through((cfcerts_client_options *)&v1.opts, 1));

    /* The current version: a zeroed struct is the defaults (2 retries); CFCERTS_NO_RETRIES is none. */
    cfcerts_client_options opts;
    memset(&opts, 0, sizeof opts);
    opts.version = CFCERTS_CLIENT_OPTIONS_VERSION;
    opts.api_token = "cfcerts-emulator-token";
    opts.base_url = harness_base_url();
    CHECK(lists_through(&opts, 2));
    CHECK(!lists_through(&opts, 3));
    opts.max_retries = CFCERTS_NO_RETRIES;
    CHECK(!lists_through(&opts, 1));
    opts.max_retries = 1;
    CHECK(lists_through(&opts, 1));
    opts.max_retries = -2;
    cfcerts_client *client = (cfcerts_client *)0x1;
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
    CHECK(client == NULL);
    opts.max_retries = 0;

    /* Values that would overflow a clock are refused, and no password is echoed. */
    opts.request_timeout_ms = 2147483647;
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
    opts.request_timeout_ms = 0;
    opts.total_timeout_ms = -1;
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
    opts.total_timeout_ms = 0;
    opts.base_url = "https://user:hunter2pass@api.example.com/client/v4";
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_EINVAL);
    CHECK(strstr(cfcerts_error_last()->message, "hunter2pass") == NULL);
    opts.base_url = harness_base_url();

    /* total_timeout_ms bounds a call whose every attempt stalls in the body. */
    opts.total_timeout_ms = 700;
    opts.max_retries = 10;
    CHECK_CODE(cfcerts_client_new(&client, &opts), CFCERTS_OK);
    arm_fault("\"kind\": \"stall\", \"delay_ms\": 20000, \"count\": 20");
    char *out = NULL;
    CHECK_CODE(cfcerts_list_page(&out, client, zone, NULL), CFCERTS_ETIMEOUT);
    CHECK(strstr(cfcerts_error_last()->message, "total timeout") != NULL);
    CHECK(out == NULL);
    CHECK(harness_control("DELETE", "/faults", NULL) == 0);
    cfcerts_client_free(client);
}

/* A revoke whose answer is lost is reported done, with the certificate's state. */
static void test_reconciled_revoke(cfcerts_client *client) {
    char *id = create_certificate(client);
    arm_item_fault("\"kind\": \"lost_answer\", \"method\": \"DELETE\"");
    char *revoked = NULL;
    CHECK_CODE(cfcerts_revoke(&revoked, client, zone, id ? id : "missing"), CFCERTS_OK);
    char *status = revoked ? harness_json_string(revoked, "status") : NULL;
    CHECK(status != NULL && strcmp(status, "pending_revocation") == 0);
    free(status);
    cfcerts_string_free(revoked);
    free(id);
}

/* Hostname associations: replace, add and remove, the managed and a BYO CA's lists apart, bad input. */
static void test_hostname_associations(cfcerts_client *client) {
    static const char *byo = "b2134436-2555-4acf-be5b-26c48136575e";
    char *out = NULL;
    CHECK_CODE(cfcerts_hostname_associations_get(&out, client, zone, NULL), CFCERTS_OK);
    CHECK(out != NULL && strcmp(out, "{\"hostnames\":[]}") == 0);
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_hostname_associations_update(&out, client, zone,
                                                    "{\"hostnames\": [\"a.example.com\", \"b.example.com\"]}"),
               CFCERTS_OK);
    CHECK(out != NULL && strcmp(out, "{\"hostnames\":[\"a.example.com\",\"b.example.com\"]}") == 0);
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_hostname_associations_add(&out, client, zone, "{\"hostnames\": [\"B.example.com\", \"c.example.com\"]}"),
               CFCERTS_OK);
    CHECK(out != NULL && strcmp(out, "{\"hostnames\":[\"a.example.com\",\"b.example.com\",\"c.example.com\"]}") == 0);
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_hostname_associations_remove(&out, client, zone, "{\"hostnames\": [\"A.EXAMPLE.COM\"]}"), CFCERTS_OK);
    CHECK(out != NULL && strcmp(out, "{\"hostnames\":[\"b.example.com\",\"c.example.com\"]}") == 0);
    cfcerts_string_free(out);
    char byo_params[160];
    snprintf(byo_params, sizeof byo_params, "{\"hostnames\": [\"byo.example.com\"], \"mtls_certificate_id\": \"%s\"}", byo);
    CHECK_CODE(cfcerts_hostname_associations_update(&out, client, zone, byo_params), CFCERTS_OK);
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_hostname_associations_get(&out, client, zone, byo), CFCERTS_OK);
    CHECK(out != NULL && strcmp(out, "{\"hostnames\":[\"byo.example.com\"]}") == 0);
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_hostname_associations_get(&out, client, zone, NULL), CFCERTS_OK);
    CHECK(out != NULL && strcmp(out, "{\"hostnames\":[\"b.example.com\",\"c.example.com\"]}") == 0);
    cfcerts_string_free(out);
    /* [] clears. */
    CHECK_CODE(cfcerts_hostname_associations_update(&out, client, zone, "{\"hostnames\": []}"), CFCERTS_OK);
    CHECK(out != NULL && strcmp(out, "{\"hostnames\":[]}") == 0);
    cfcerts_string_free(out);
    /* Refused before any request: NULLs, a malformed id, a list that is not one, unknown keys, bad hostnames. */
    out = (char *)0x1;
    CHECK_CODE(cfcerts_hostname_associations_get(NULL, client, zone, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_get(&out, NULL, zone, NULL), CFCERTS_EINVAL);
    CHECK(out == NULL);
    CHECK_CODE(cfcerts_hostname_associations_get(&out, client, NULL, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_get(&out, client, zone, "../../zones"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_update(&out, client, zone, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_update(&out, client, zone, "{}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_update(&out, client, zone, "{\"hostnames\": \"a.example.com\"}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_update(&out, client, zone, "{\"hostnames\": [1]}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_update(&out, client, zone, "{\"hostnames\": [], \"mtls\": 1}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_add(&out, client, zone, "{\"hostnames\": [\"a b\"]}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_hostname_associations_remove(&out, client, zone, "{\"hostnames\": [\"x\"], \"mtls_certificate_id\": \"short\"}"),
               CFCERTS_EINVAL);
    CHECK(out == NULL);
}

/* The output of a shell command (free()), or NULL when it fails. */
static char *command_output(const char *command) {
    FILE *pipe = popen(command, "r");
    if (pipe == NULL) return NULL;
    size_t size = 0, capacity = 1 << 14;
    char *text = malloc(capacity);
    size_t got;
    while (text != NULL && (got = fread(text + size, 1, capacity - size - 1, pipe)) > 0) {
        size += got;
        if (capacity - size < 2) text = realloc(text, capacity *= 2);
    }
    int status = pclose(pipe);
    if (text == NULL || status != 0) {
        free(text);
        return NULL;
    }
    text[size] = '\0';
    return text;
}

/* Device bundles: a certificate the emulator issued, its key and the emulator's CA in a PKCS#12 file of each
 * profile, read back by openssl with the password (the key inside is the certificate's), refused with another;
 * and every bad argument refused with *out NULL and *out_len 0, the password in no message. */
static void test_pkcs12(cfcerts_client *client) {
    char root_url[512];
    snprintf(root_url, sizeof root_url, "%s", harness_base_url());
    char *api = strstr(root_url, "/client/v4");
    if (api != NULL) *api = '\0';
    char command[4096];
    snprintf(command, sizeof command, "curl -sf '%s/__emulator/ca.pem'", root_url);
    char *ca = command_output(command);
    CHECK(ca != NULL && strstr(ca, "-----BEGIN CERTIFICATE-----") != NULL);
    char directory[] = "/tmp/cfcerts-c-p12-XXXXXX";
    CHECK(mkdtemp(directory) != NULL);
    const char *password = "c-Test p\xc3\xa4ssword"; /* "c-Test pässword" */
    const char *key_types[] = {"p256", "rsa2048"};
    const char *profiles[] = {"modern", "legacy"};
    char *key = NULL, *certificate = NULL;
    for (int k = 0; k < 2; k++) {
        char subject[128];
        snprintf(subject, sizeof subject, "{\"common_name\": \"p12-%s.example.com\", \"key_type\": \"%s\"}", key_types[k], key_types[k]);
        char *generated = NULL;
        CHECK_CODE(cfcerts_csr_generate(&generated, subject), CFCERTS_OK);
        free(key);
        key = generated ? harness_json_string(generated, "private_key_pem") : NULL;
        char *csr = generated ? harness_json_string(generated, "csr_pem") : NULL;
        cfcerts_string_free(generated);
        json_t *params = json_pack("{s:s, s:i}", "csr", csr ? csr : "", "validity_days", 30);
        char *params_text = json_dumps(params, 0);
        char *created = NULL;
        CHECK_CODE(cfcerts_create(&created, client, zone, params_text), CFCERTS_OK);
        free(certificate);
        certificate = created ? harness_json_string(created, "certificate") : NULL;
        cfcerts_string_free(created);
        free(params_text);
        json_decref(params);
        free(csr);
        if (key == NULL || certificate == NULL || ca == NULL) continue;
        for (int p = 0; p < 2; p++) {
            json_t *bundle_params = json_pack("{s:s, s:s, s:[s], s:s, s:s}", "certificate_pem", certificate,
                                              "private_key_pem", key, "chain_pems", ca, "profile", profiles[p],
                                              "friendly_name", "device");
            char *bundle_text = json_dumps(bundle_params, 0);
            unsigned char *der = NULL;
            size_t length = 0;
            CHECK_CODE(cfcerts_pkcs12_create(&der, &length, bundle_text, password), CFCERTS_OK);
            CHECK(der != NULL && length > 500 && der[0] == 0x30);
            char file[128];
            snprintf(file, sizeof file, "%s/%s-%s.p12", directory, key_types[k], profiles[p]);
            FILE *output = fopen(file, "wb");
            CHECK(output != NULL && der != NULL && fwrite(der, 1, length, output) == length);
            if (output) fclose(output);
            cfcerts_bytes_free(der);
            snprintf(command, sizeof command,
                     "openssl pkcs12 -in '%s' -passin 'pass:%s' -nocerts -nodes | openssl pkey -pubout > '%s.key.pub' && "
                     "openssl pkcs12 -in '%s' -passin 'pass:%s' -clcerts -nokeys | openssl x509 -pubkey -noout > '%s.cert.pub' && "
                     "cmp -s '%s.key.pub' '%s.cert.pub' && "
                     "openssl pkcs12 -in '%s' -passin 'pass:%s' -cacerts -nokeys | grep -q 'BEGIN CERTIFICATE' && "
                     "openssl pkcs12 -info -in '%s' -passin 'pass:%s' -noout 2>&1 | grep -q '%s'",
                     file, password, file, file, password, file, file, file, file, password, file, password,
                     p == 0 ? "MAC: sha256" : "pbeWithSHA1And3-KeyTripleDES-CBC");
            CHECK(system(command) == 0);
            snprintf(command, sizeof command, "openssl pkcs12 -info -in '%s' -passin 'pass:wrong' -noout >/dev/null 2>&1", file);
            CHECK(system(command) != 0);
            free(bundle_text);
            json_decref(bundle_params);
        }
    }

    /* Refusals: *out NULL, *out_len 0, a message that does not repeat the password. */
    json_t *good = json_pack("{s:s, s:s}", "certificate_pem", certificate ? certificate : "", "private_key_pem", key ? key : "");
    char *good_text = json_dumps(good, 0);
    const char *bad_params[] = {
        "", "{", "[]", "{\"certificate_pem\": 5}", "{\"certificate_pem\": \"x\"}", "{\"private_key_pem\": \"x\"}",
        "{\"certificate_pem\": \"\xff\xfe\", \"private_key_pem\": \"x\"}", "{\"colour\": 1}",
    };
    for (size_t i = 0; i < sizeof bad_params / sizeof bad_params[0] + 4; i++) {
        char *params_text = NULL;
        if (i < sizeof bad_params / sizeof bad_params[0]) {
            params_text = strdup(bad_params[i]);
        } else {
            json_t *variant = json_deep_copy(good);
            size_t which = i - sizeof bad_params / sizeof bad_params[0];
            if (which == 0) json_object_set_new(variant, "profile", json_string("pkcs7"));
            if (which == 1) json_object_set_new(variant, "chain_pems", json_string("not an array"));
            if (which == 2) json_object_set_new(variant, "chain_pems", json_pack("[i]", 5));
            if (which == 3) json_object_set_new(variant, "private_key_pem", json_string(key_types[0])); /* not a key */
            params_text = json_dumps(variant, 0);
            json_decref(variant);
        }
        unsigned char *der = (unsigned char *)&harness_passed;
        size_t length = 99;
        CHECK_CODE(cfcerts_pkcs12_create(&der, &length, params_text, password), CFCERTS_EINVAL);
        CHECK(der == NULL && length == 0);
        CHECK(strstr(cfcerts_error_last()->message, password) == NULL && strlen(cfcerts_error_last()->message) > 0);
        free(params_text);
    }
    unsigned char *der = (unsigned char *)&harness_passed;
    size_t length = 99;
    /* A key that is not the certificate's. */
    char *other = NULL;
    CHECK_CODE(cfcerts_csr_generate(&other, "{\"common_name\": \"other\"}"), CFCERTS_OK);
    char *other_key = other ? harness_json_string(other, "private_key_pem") : NULL;
    cfcerts_string_free(other);
    json_t *mismatched = json_pack("{s:s, s:s}", "certificate_pem", certificate ? certificate : "", "private_key_pem",
                                   other_key ? other_key : "");
    char *mismatched_text = json_dumps(mismatched, 0);
    CHECK_CODE(cfcerts_pkcs12_create(&der, &length, mismatched_text, password), CFCERTS_EINVAL);
    CHECK(der == NULL && length == 0);
    CHECK(strstr(cfcerts_error_last()->message, "not the certificate's") != NULL);
    free(mismatched_text);
    json_decref(mismatched);
    free(other_key);
    CHECK_CODE(cfcerts_pkcs12_create(&der, &length, good_text, ""), CFCERTS_EINVAL);
    CHECK(der == NULL && length == 0);
    CHECK_CODE(cfcerts_pkcs12_create(&der, &length, good_text, "\xff\xfe"), CFCERTS_EINVAL);
    char *long_password = malloc(1026);
    memset(long_password, 'p', 1025);
    long_password[1025] = '\0';
    CHECK_CODE(cfcerts_pkcs12_create(&der, &length, good_text, long_password), CFCERTS_EINVAL);
    free(long_password);
    CHECK_CODE(cfcerts_pkcs12_create(NULL, &length, good_text, password), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_pkcs12_create(&der, NULL, good_text, password), CFCERTS_EINVAL);
    CHECK(der == NULL);
    CHECK_CODE(cfcerts_pkcs12_create(&der, &length, NULL, password), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_pkcs12_create(&der, &length, good_text, NULL), CFCERTS_EINVAL);
    CHECK(der == NULL && length == 0);
    /* A good call still works after the refusals, and NULL is a no-op to free. */
    CHECK_CODE(cfcerts_pkcs12_create(&der, &length, good_text, password), CFCERTS_OK);
    CHECK(der != NULL && length > 0);
    cfcerts_bytes_free(der);
    cfcerts_bytes_free(NULL);
    free(good_text);
    json_decref(good);
    snprintf(command, sizeof command, "rm -rf '%s'", directory);
    CHECK(system(command) == 0);
    free(key);
    free(certificate);
    free(ca);
}

int main(void) {
    harness_new_zone(zone);
    test_versions_and_strings();
    test_errors_and_options();
    test_csr_functions();
    cfcerts_client *client = harness_client(2);
    test_operations(client);
    test_bad_input(client);
    test_iterator(client);
    test_error_codes(client);
    test_options_versions();
    test_reconciled_revoke(client);
    test_hostname_associations(client);
    test_pkcs12(client);
    cfcerts_client_free(client);
    return harness_finish("test_api");
}
