/* Bad input against every function of the C ABI: NULL in every position, malformed, oversize and wrongly typed
 * JSON, invalid UTF-8, ids and zones that would leave their path segment ("/", "..", "%2e%2e", control
 * characters), 1 MB strings, negative and huge numbers. Each case must return its error code with *out NULL, the
 * thread's last error holding the same code and a short, valid UTF-8 message that does not repeat a 1 MB input;
 * and none may send a request or change anything: the emulator's log has no request for the zone at the end. */
#include "harness.h"

#include <stdint.h>

static int cases = 0;
static char zone[33];
static cfcerts_client *client;
static char *huge;            /* 1 MB of 'a' */
static char huge_json[1100000]; /* a JSON object with a 1 MB string */

/* A UTF-8 validator (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static int valid_utf8(const unsigned char *s) {
    while (*s) {
        if (*s < 0x80) { s++; continue; }
        int extra = (*s & 0xE0) == 0xC0 ? 1 : (*s & 0xF0) == 0xE0 ? 2 : (*s & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0 || *s == 0xC0 || *s == 0xC1 || *s > 0xF4) return 0;
        for (int i = 1; i <= extra; i++) if ((s[i] & 0xC0) != 0x80) return 0;
        s += extra + 1;
    }
    return 1;
}

static void check_case(const char *name, int rc, int expected, const char *out, int out_checked) {
    cases++;
    const cfcerts_error *last = cfcerts_error_last();
    int ok = rc == expected && (!out_checked || out == NULL) && last->code == rc && last->message != NULL &&
             last->message[0] != '\0' && strlen(last->message) < 2048 && valid_utf8((const unsigned char *)last->message);
    if (ok) {
        harness_passed++;
    } else {
        harness_failed++;
        fprintf(stderr, "FAIL case \"%s\": returned %d (expected %d), out %s, last error %d: %.200s\n", name, rc,
                expected, out ? "set" : "NULL", last->code, last->message ? last->message : "(null)");
    }
}

/* Runs `call` (which writes `out`), starting from a non-NULL *out that must come back NULL. */
#define CASE(name, expected, call)                                                    \
    do {                                                                              \
        char *out = (char *)&cases;                                                   \
        int rc_ = (call);                                                             \
        check_case(name, rc_, expected, out, 1);                                      \
        if (rc_ == CFCERTS_OK || (out != NULL && out != (char *)&cases)) cfcerts_string_free(out); \
    } while (0)
/* For calls without an out string (NULL out pointers themselves). */
#define CASE_NO_OUT(name, expected, call) check_case(name, (call), expected, NULL, 0)

static void null_positions(void) {
    CASE_NO_OUT("list_page out NULL", CFCERTS_EINVAL, cfcerts_list_page(NULL, client, zone, NULL));
    CASE("list_page client NULL", CFCERTS_EINVAL, cfcerts_list_page(&out, NULL, zone, NULL));
    CASE("list_page zone NULL", CFCERTS_EINVAL, cfcerts_list_page(&out, client, NULL, NULL));
    CASE_NO_OUT("get out NULL", CFCERTS_EINVAL, cfcerts_get(NULL, client, zone, "0123"));
    CASE("get client NULL", CFCERTS_EINVAL, cfcerts_get(&out, NULL, zone, "0123"));
    CASE("get zone NULL", CFCERTS_EINVAL, cfcerts_get(&out, client, NULL, "0123"));
    CASE("get id NULL", CFCERTS_EINVAL, cfcerts_get(&out, client, zone, NULL));
    CASE_NO_OUT("create out NULL", CFCERTS_EINVAL, cfcerts_create(NULL, client, zone, "{}"));
    CASE("create client NULL", CFCERTS_EINVAL, cfcerts_create(&out, NULL, zone, "{}"));
    CASE("create zone NULL", CFCERTS_EINVAL, cfcerts_create(&out, client, NULL, "{}"));
    CASE("create params NULL", CFCERTS_EINVAL, cfcerts_create(&out, client, zone, NULL));
    CASE_NO_OUT("revoke out NULL", CFCERTS_EINVAL, cfcerts_revoke(NULL, client, zone, "0123"));
    CASE("revoke client NULL", CFCERTS_EINVAL, cfcerts_revoke(&out, NULL, zone, "0123"));
    CASE("revoke zone NULL", CFCERTS_EINVAL, cfcerts_revoke(&out, client, NULL, "0123"));
    CASE("revoke id NULL", CFCERTS_EINVAL, cfcerts_revoke(&out, client, zone, NULL));
    CASE_NO_OUT("reactivate out NULL", CFCERTS_EINVAL, cfcerts_reactivate(NULL, client, zone, "0123"));
    CASE("reactivate client NULL", CFCERTS_EINVAL, cfcerts_reactivate(&out, NULL, zone, "0123"));
    CASE("reactivate zone NULL", CFCERTS_EINVAL, cfcerts_reactivate(&out, client, NULL, "0123"));
    CASE("reactivate id NULL", CFCERTS_EINVAL, cfcerts_reactivate(&out, client, zone, NULL));
    CASE_NO_OUT("iter_new out NULL", CFCERTS_EINVAL, cfcerts_iter_new(NULL, client, zone, NULL));
    cfcerts_iter *iter = (cfcerts_iter *)&cases;
    CASE_NO_OUT("iter_new client NULL", CFCERTS_EINVAL, cfcerts_iter_new(&iter, NULL, zone, NULL));
    CHECK(iter == NULL);
    iter = (cfcerts_iter *)&cases;
    CASE_NO_OUT("iter_new zone NULL", CFCERTS_EINVAL, cfcerts_iter_new(&iter, client, NULL, NULL));
    CHECK(iter == NULL);
    CASE("iter_next iter NULL", CFCERTS_EINVAL, cfcerts_iter_next(&out, NULL));
    CASE("iter_next_page iter NULL", CFCERTS_EINVAL, cfcerts_iter_next_page(&out, NULL));
    CASE_NO_OUT("bulk_new out NULL", CFCERTS_EINVAL, cfcerts_bulk_new(NULL, client, zone, "{}"));
    cfcerts_bulk *bulk = (cfcerts_bulk *)&cases;
    CASE_NO_OUT("bulk_new client NULL", CFCERTS_EINVAL, cfcerts_bulk_new(&bulk, NULL, zone, "{\"operation\": \"revoke\", \"ids\": [\"a\"]}"));
    CHECK(bulk == NULL);
    bulk = (cfcerts_bulk *)&cases;
    CASE_NO_OUT("bulk_new zone NULL", CFCERTS_EINVAL, cfcerts_bulk_new(&bulk, client, NULL, "{\"operation\": \"revoke\", \"ids\": [\"a\"]}"));
    CHECK(bulk == NULL);
    bulk = (cfcerts_bulk *)&cases;
    CASE_NO_OUT("bulk_new params NULL", CFCERTS_EINVAL, cfcerts_bulk_new(&bulk, client, zone, NULL));
    CHECK(bulk == NULL);
    CASE("bulk_next bulk NULL", CFCERTS_EINVAL, cfcerts_bulk_next(&out, NULL));
    CASE("bulk_summary bulk NULL", CFCERTS_EINVAL, cfcerts_bulk_summary(&out, NULL));
    CASE_NO_OUT("csr_generate out NULL", CFCERTS_EINVAL, cfcerts_csr_generate(NULL, "{\"common_name\": \"x\"}"));
    CASE("csr_generate subject NULL", CFCERTS_EINVAL, cfcerts_csr_generate(&out, NULL));
    CASE_NO_OUT("csr_inspect out NULL", CFCERTS_EINVAL, cfcerts_csr_inspect(NULL, "x"));
    CASE("csr_inspect pem NULL", CFCERTS_EINVAL, cfcerts_csr_inspect(&out, NULL));
    cfcerts_client_options options = CFCERTS_CLIENT_OPTIONS_INIT;
    CASE_NO_OUT("client_new out NULL", CFCERTS_EINVAL, cfcerts_client_new(NULL, &options));
    cfcerts_client *other = (cfcerts_client *)&cases;
    CASE_NO_OUT("client_new opts NULL", CFCERTS_EINVAL, cfcerts_client_new(&other, NULL));
    CHECK(other == NULL);
    CASE_NO_OUT("client_options_init NULL", CFCERTS_EINVAL, cfcerts_client_options_init(NULL, CFCERTS_CLIENT_OPTIONS_VERSION));
    CASE_NO_OUT("cancellable_new NULL", CFCERTS_EINVAL, cfcerts_cancellable_new(NULL));
    CASE_NO_OUT("cancellable_push NULL", CFCERTS_EINVAL, cfcerts_cancellable_push_current(NULL));
}

/* Requests the server received for the zone from cases that are not refused locally (see below). */
static int sent_for_zone = 0;

static void bad_ids_and_zones(void) {
    /* Refused before any request: they would name another path ("." and ".." even encoded), or cannot be sent. */
    static const char *refused[] = {"..", ".", "id\n", "id\x01", "", "\xff\xfe", "\xc0\xaf", "id\x7f"};
    char name[64];
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(name, sizeof name, "get id refused #%zu", i);
        CASE(name, CFCERTS_EINVAL, cfcerts_get(&out, client, zone, refused[i]));
        snprintf(name, sizeof name, "revoke id refused #%zu", i);
        CASE(name, CFCERTS_EINVAL, cfcerts_revoke(&out, client, zone, refused[i]));
        snprintf(name, sizeof name, "list_page zone refused #%zu", i);
        CASE(name, CFCERTS_EINVAL, cfcerts_list_page(&out, client, refused[i], NULL));
    }
    /* Sent percent-encoded, so they stay one path segment ("%2e%2e" arrives as %252e%252e, never as ".."): the
     * server answers that no such certificate (or zone route) exists, and nothing changes. */
    static const char *encoded[] = {"a/b", "%2e%2e", "%2F", "..%2f..", "a b", "id?x=1", "id#frag", "id\\..", "\xe2\x80\xae" "abc"};
    for (size_t i = 0; i < sizeof encoded / sizeof encoded[0]; i++) {
        snprintf(name, sizeof name, "get id encoded #%zu", i);
        CASE(name, CFCERTS_ENOTFOUND, cfcerts_get(&out, client, zone, encoded[i]));
        snprintf(name, sizeof name, "revoke id encoded #%zu", i);
        CASE(name, CFCERTS_ENOTFOUND, cfcerts_revoke(&out, client, zone, encoded[i]));
        snprintf(name, sizeof name, "list_page zone encoded #%zu", i);
        CASE(name, CFCERTS_ERROR, cfcerts_list_page(&out, client, encoded[i], NULL));
        sent_for_zone += 2;
    }
    CASE("get id 1 MB", CFCERTS_EINVAL, cfcerts_get(&out, client, zone, huge));
    CASE("reactivate id 1 MB", CFCERTS_EINVAL, cfcerts_reactivate(&out, client, zone, huge));
    CASE("create zone 1 MB", CFCERTS_EINVAL, cfcerts_create(&out, client, huge, "{\"csr\": \"x\"}"));
}

static void bad_json(void) {
    static const char *create_params[] = {
        "", "{", "[]", "null", "\"csr\"", "{\"csr\": 5}", "{\"csr\": null}", "{\"csr\": \"\"}",
        "{\"csr\": \"x\", \"validity_days\": \"30\"}", "{\"csr\": \"x\", \"validity_days\": -1}",
        "{\"csr\": \"x\", \"validity_days\": 0}",
        "{\"csr\": \"x\", \"validity_days\": 1e300}", "{\"csr\": \"x\", \"validity_days\": 9223372036854775808}",
        "{\"csr\": \"x\", \"validity_days\": 30.5}", "{\"csr\": \"\xff\xfe\"}", "{\"csr\": \"x\"} trailing",
        "{\"csr\": \"x\", \"csr\": \"y\"}",
    };
    char name[64];
    for (size_t i = 0; i < sizeof create_params / sizeof create_params[0]; i++) {
        snprintf(name, sizeof name, "create params #%zu", i);
        CASE(name, CFCERTS_EINVAL, cfcerts_create(&out, client, zone, create_params[i]));
    }
    CASE("create csr 1 MB", CFCERTS_EINVAL, cfcerts_create(&out, client, zone, huge_json));
    /* In range for the library, out of range for the API: the server's refusal, nothing issued. */
    CASE("create validity_days 3651", CFCERTS_ERROR,
         cfcerts_create(&out, client, zone, "{\"csr\": \"-----BEGIN CERTIFICATE REQUEST-----\", \"validity_days\": 3651}"));
    sent_for_zone++;
    static const char *list_params[] = {
        "{\"per_page\": 0}", "{\"per_page\": 51}", "{\"per_page\": -1}", "{\"per_page\": \"5\"}", "{\"page\": 0}",
        "{\"page\": -3}", "{\"page\": 1e20}", "{\"status\": \"bogus\"}", "{\"status\": 7}", "{", "[1]",
        "{\"per_page\": 5", "{\"page\": 99999999999999999999}",
    };
    for (size_t i = 0; i < sizeof list_params / sizeof list_params[0]; i++) {
        snprintf(name, sizeof name, "list_page params #%zu", i);
        CASE(name, CFCERTS_EINVAL, cfcerts_list_page(&out, client, zone, list_params[i]));
    }
    /* 100,000 nested arrays: refused, not recursed into. */
    char *nested = malloc(200002);
    memset(nested, '[', 100000);
    memset(nested + 100000, ']', 100000);
    nested[200000] = '\0';
    CASE("list_page params nested 100,000 deep", CFCERTS_EINVAL, cfcerts_list_page(&out, client, zone, nested));
    CASE("create params nested 100,000 deep", CFCERTS_EINVAL, cfcerts_create(&out, client, zone, nested));
    free(nested);
    static const char *bulk_params[] = {
        "{\"operation\": \"explode\", \"ids\": [\"a\"]}", "{\"operation\": \"revoke\", \"ids\": \"a\"}",
        "{\"operation\": \"revoke\", \"ids\": [1, 2]}", "{\"operation\": \"revoke\", \"ids\": [\"..\"]}",
        "{\"operation\": \"revoke\", \"ids\": [\"a\", \"a\"]}", "{\"operation\": \"revoke\", \"ids\": [\"a\"], \"concurrency\": 0}",
        "{\"operation\": \"revoke\", \"ids\": [\"a\"], \"concurrency\": 65}", "{\"operation\": \"create\", \"items\": [{\"csr\": \"\"}]}",
        "{\"operation\": \"create\", \"items\": [{}]}", "{\"operation\": \"revoke\", \"ids\": [\"a\"], \"journal\": \"\"}",
        "{\"operation\": \"revoke\", \"ids\": [\"a\"], \"journal\": \"/nonexistent-folder/j\"}", "not json",
    };
    for (size_t i = 0; i < sizeof bulk_params / sizeof bulk_params[0]; i++) {
        cfcerts_bulk *bulk = (cfcerts_bulk *)&cases;
        snprintf(name, sizeof name, "bulk_new params #%zu", i);
        check_case(name, cfcerts_bulk_new(&bulk, client, zone, bulk_params[i]), CFCERTS_EINVAL, NULL, 0);
        CHECK(bulk == NULL);
    }
    static const char *subjects[] = {
        "{}", "{\"common_name\": \"\"}", "{\"common_name\": 5}", "{\"common_name\": \"x\", \"key_type\": \"dsa\"}",
        "{\"common_name\": \"x\", \"country\": \"USA\"}", "{\"common_name\": \"\xff\"}", "subject",
    };
    for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
        snprintf(name, sizeof name, "csr_generate subject #%zu", i);
        CASE(name, CFCERTS_EINVAL, cfcerts_csr_generate(&out, subjects[i]));
    }
    snprintf(huge_json, sizeof huge_json, "{\"common_name\": \"%s\"}", huge);
    CASE("csr_generate common name 1 MB", CFCERTS_EINVAL, cfcerts_csr_generate(&out, huge_json));
    static const char *pems[] = {
        "", "garbage", "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
        "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n", "\xff\xfe\xfd",
    };
    for (size_t i = 0; i < sizeof pems / sizeof pems[0]; i++) {
        snprintf(name, sizeof name, "csr_inspect pem #%zu", i);
        CASE(name, CFCERTS_EINVAL, cfcerts_csr_inspect(&out, pems[i]));
    }
    CASE("csr_inspect 1 MB", CFCERTS_EINVAL, cfcerts_csr_inspect(&out, huge));
}

static void bad_options(void) {
    char name[64];
    for (int i = 0; i < 12; i++) {
        cfcerts_client_options options = CFCERTS_CLIENT_OPTIONS_INIT;
        options.api_token = "cfcerts-emulator-token";
        options.base_url = harness_base_url();
        switch (i) {
        case 0: options.version = 0; break;
        case 1: options.version = 99; break;
        case 2: options.base_url = "ftp://127.0.0.1/client/v4"; break;
        case 3: options.base_url = "http://user:pass@127.0.0.1/client/v4"; break;
        case 4: options.api_token = "token\nX-Injected: 1"; break;
        case 5: options.max_retries = -2; break;
        case 6: options.max_retries = 1000; break;
        case 7: options.request_timeout_ms = -5; break;
        case 8: options.pacing_requests = -7; break;
        case 9: options.api_key = "key"; options.api_email = "a@example.com"; break; /* two schemes */
        case 10: options.pacing_requests = 10; options.pacing_window_seconds = 86401; break;
        case 11: options.api_token = huge; break;
        }
        cfcerts_client *other = (cfcerts_client *)&cases;
        snprintf(name, sizeof name, "client_new options #%d", i);
        check_case(name, cfcerts_client_new(&other, &options), CFCERTS_EINVAL, NULL, 0);
        CHECK(other == NULL);
    }
}

/* The pacing syntax every face reads (cfcerts_pacing_parse): "off" or REQUESTS/SECONDS within bounds; anything
 * else CFCERTS_EINVAL, both outputs 0, and the core's one message. */
static void pacing_syntax(void) {
    const char *bad[] = {"", "0/10", "5/86401", "+5/10", "5/ 10", "1000000001/5", "99999999999/5", "5/10/1",
                         "sometimes", "OFF"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int requests = 7, seconds = 7;
        char name[64];
        snprintf(name, sizeof name, "pacing_parse \"%s\"", bad[i]);
        check_case(name, cfcerts_pacing_parse(&requests, &seconds, bad[i]), CFCERTS_EINVAL, NULL, 0);
        CHECK(requests == 0 && seconds == 0);
        CHECK(strstr(cfcerts_error_last()->message, "1 to 1000000000 requests per 1 to 86400 seconds") != NULL);
    }
    int requests = 7, seconds = 7;
    CASE_NO_OUT("pacing_parse text NULL", CFCERTS_EINVAL, cfcerts_pacing_parse(&requests, &seconds, NULL));
    CASE_NO_OUT("pacing_parse out NULL", CFCERTS_EINVAL, cfcerts_pacing_parse(NULL, &seconds, "5/10"));
    CHECK_CODE(cfcerts_pacing_parse(&requests, &seconds, "1000000000/86400"), CFCERTS_OK);
    CHECK(requests == 1000000000 && seconds == 86400);
    CHECK_CODE(cfcerts_pacing_parse(&requests, &seconds, "off"), CFCERTS_OK);
    CHECK(requests == CFCERTS_PACING_OFF && seconds == 0);
}

/* cfcerts_pkcs12_create: NULL in each position, malformed JSON, wrong types, 1 MB inputs, a bad password. Each
 * starts from a non-NULL *out and a non-zero *out_len, which must come back NULL and 0. */
static void pkcs12_case(const char *name, const char *params, const char *password, int null_out, int null_length) {
    unsigned char *der = (unsigned char *)&cases;
    size_t length = 7;
    int rc = cfcerts_pkcs12_create(null_out ? NULL : &der, null_length ? NULL : &length, params, password);
    check_case(name, rc, CFCERTS_EINVAL, null_out ? NULL : (const char *)der, !null_out);
    CHECK(null_length || length == 0);
}

static void pkcs12_inputs(void) {
    static const char *params[] = {
        "", "{", "[]", "null", "{\"certificate_pem\": 5, \"private_key_pem\": \"x\"}",
        "{\"certificate_pem\": \"x\"}", "{\"certificate_pem\": \"x\", \"private_key_pem\": \"y\"}",
        "{\"certificate_pem\": \"\xff\", \"private_key_pem\": \"y\"}", "{\"certificate_pem\": \"x\", \"private_key_pem\": \"y\", \"chain_pems\": {}}",
        "{\"certificate_pem\": \"x\", \"private_key_pem\": \"y\", \"profile\": 1}", "{\"certificate_pem\": \"x\", \"pin\": 1}",
    };
    char name[64];
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        snprintf(name, sizeof name, "pkcs12_create params #%zu", i);
        pkcs12_case(name, params[i], "password", 0, 0);
    }
    const char *valid = "{\"certificate_pem\": \"x\", \"private_key_pem\": \"y\"}";
    pkcs12_case("pkcs12_create out NULL", valid, "pw", 1, 0);
    pkcs12_case("pkcs12_create out_len NULL", valid, "pw", 0, 1);
    pkcs12_case("pkcs12_create params NULL", NULL, "pw", 0, 0);
    pkcs12_case("pkcs12_create password NULL", valid, NULL, 0, 0);
    pkcs12_case("pkcs12_create password 1 MB", valid, huge, 0, 0);
    pkcs12_case("pkcs12_create password invalid UTF-8", valid, "\xc3\x28", 0, 0);
    snprintf(huge_json, sizeof huge_json, "{\"certificate_pem\": \"%s\", \"private_key_pem\": \"y\"}", huge);
    pkcs12_case("pkcs12_create certificate 1 MB", huge_json, "pw", 0, 0);
    cfcerts_bytes_free(NULL);
}

int main(void) {
    harness_new_zone(zone);
    client = harness_client(0);
    huge = malloc((1 << 20) + 1);
    memset(huge, 'a', 1 << 20);
    huge[1 << 20] = '\0';
    snprintf(huge_json, sizeof huge_json, "{\"csr\": \"%s\", \"validity_days\": 30}", huge);
    null_positions();
    bad_ids_and_zones();
    bad_json();
    bad_options();
    pacing_syntax();
    pkcs12_inputs();
    /* Nothing reached the server, and the zone is as it was: empty. */
    CHECK(harness_requests_for_zone(zone) == sent_for_zone);
    char *page = NULL;
    CHECK_CODE(cfcerts_list_page(&page, client, zone, NULL), CFCERTS_OK);
    CHECK(page != NULL && strstr(page, "\"total_count\":0") != NULL);
    cfcerts_string_free(page);
    printf("bad input: %d cases\n", cases);
    CHECK(cases >= 60);
    cfcerts_client_free(client);
    free(huge);
    return harness_finish("test_bad_input");
}
