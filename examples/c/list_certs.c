/*
 * Prints every client certificate of a zone as a table.
 *
 *   cc list_certs.c -o list_certs $(pkg-config --cflags --libs cfcerts jansson)
 *   CLOUDFLARE_API_TOKEN=... ./list_certs ZONE_ID [STATUS]
 */
#include <cfcerts.h>
#include <jansson.h>
#include <stdio.h>

static const char *field(json_t *object, const char *key) {
    const char *value = json_string_value(json_object_get(object, key));
    return value ? value : "";
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ZONE_ID [STATUS]\n", argv[0]);
        return 2;
    }
    cfcerts_client *client = NULL;
    if (cfcerts_client_new(&client, NULL) != CFCERTS_OK) { /* credentials from the environment */
        fprintf(stderr, "cfcerts: %s\n", cfcerts_error_last()->message);
        return 1;
    }

    json_t *params = json_pack("{s:s}", "status", argc > 2 ? argv[2] : "all");
    char *params_text = json_dumps(params, 0);
    cfcerts_iter *iter = NULL;
    int rc = cfcerts_iter_new(&iter, client, argv[1], params_text);
    free(params_text);
    json_decref(params);

    int count = 0;
    char *text = NULL;
    if (rc == CFCERTS_OK) {
        printf("%-32s  %-20s  %-20s  %s\n", "ID", "STATUS", "EXPIRES", "COMMON NAME");
        while ((rc = cfcerts_iter_next(&text, iter)) == CFCERTS_OK) {
            json_error_t error;
            json_t *certificate = json_loads(text, 0, &error);
            cfcerts_string_free(text);
            if (certificate == NULL) continue;
            printf("%-32s  %-20s  %-20s  %s\n", field(certificate, "id"), field(certificate, "status"),
                   field(certificate, "expires_on"), field(certificate, "common_name"));
            json_decref(certificate);
            count++;
        }
    }
    if (rc != CFCERTS_ITEROVER) {
        const cfcerts_error *error = cfcerts_error_last();
        fprintf(stderr, "cfcerts: %s: %s (HTTP %d, cf-ray %s)\n", cfcerts_strerror(rc), error->message,
                error->http_status, error->ray_id);
    } else {
        printf("%d certificate(s)\n", count);
    }
    cfcerts_iter_free(iter);
    cfcerts_client_free(client);
    return rc == CFCERTS_ITEROVER ? 0 : 1;
}
