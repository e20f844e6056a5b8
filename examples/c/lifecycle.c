/*
 * The lifecycle of a client certificate: generate a key and CSR, create, get, revoke, reactivate.
 *
 *   cc lifecycle.c -o lifecycle $(pkg-config --cflags --libs cfcerts jansson)
 *   CLOUDFLARE_API_TOKEN=... ./lifecycle ZONE_ID
 */
#include <cfcerts.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *step, int rc) {
    const cfcerts_error *error = cfcerts_error_last();
    fprintf(stderr, "%s failed: %s: %s (HTTP %d, cf-ray %s, errors %s)\n", step, cfcerts_strerror(rc), error->message,
            error->http_status, error->ray_id, error->cloudflare_errors);
    return 1;
}

/* Prints "<step> <id> status=<status>" from a certificate JSON, and frees it. */
static void report(const char *step, char *certificate_text) {
    json_t *certificate = json_loads(certificate_text, 0, NULL);
    printf("%-12s %s  status=%s\n", step, json_string_value(json_object_get(certificate, "id")),
           json_string_value(json_object_get(certificate, "status")));
    json_decref(certificate);
    cfcerts_string_free(certificate_text);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ZONE_ID\n", argv[0]);
        return 2;
    }
    const char *zone = argv[1];
    cfcerts_client *client = NULL;
    int rc = cfcerts_client_new(&client, NULL);
    if (rc != CFCERTS_OK) return fail("client", rc);

    char *generated = NULL;
    rc = cfcerts_csr_generate(&generated, "{\"common_name\": \"lifecycle.example.com\", \"organization\": \"Example\"}");
    if (rc != CFCERTS_OK) return fail("generate", rc);
    json_t *key_and_csr = json_loads(generated, 0, NULL);
    cfcerts_string_free(generated);
    /* Keep json_object_get(key_and_csr, "private_key_pem") secret: it is the certificate's key. */
    json_t *params = json_pack("{s:O, s:i}", "csr", json_object_get(key_and_csr, "csr_pem"), "validity_days", 365);
    char *params_text = json_dumps(params, 0);

    char *out = NULL;
    rc = cfcerts_create(&out, client, zone, params_text);
    free(params_text);
    json_decref(params);
    json_decref(key_and_csr);
    if (rc != CFCERTS_OK) return fail("create", rc);
    json_t *created = json_loads(out, 0, NULL);
    char id[128];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(created, "id")));
    printf("%-12s %s  serial=%s\n", "issued", id, json_string_value(json_object_get(created, "serial_number")));
    json_decref(created);
    report("created", out);

    if ((rc = cfcerts_get(&out, client, zone, id)) != CFCERTS_OK) return fail("get", rc);
    report("fetched", out);
    if ((rc = cfcerts_revoke(&out, client, zone, id)) != CFCERTS_OK) return fail("revoke", rc);
    report("revoked", out);
    if ((rc = cfcerts_reactivate(&out, client, zone, id)) != CFCERTS_OK) return fail("reactivate", rc);
    report("reactivated", out);

    cfcerts_client_free(client);
    return 0;
}
