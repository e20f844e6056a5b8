/*
 * cfcerts.h -- manage Cloudflare API Shield mTLS client certificates from C.
 *
 * This header is the whole C API: if it is not declared here, it is not API.
 *
 * Conventions
 * - Every function that can fail returns an int: CFCERTS_OK (0) or a negative CFCERTS_E* code. The details of the
 *   last failure on the calling thread are in cfcerts_error_last().
 * - Out-parameters come first. A string handed out through `char **out` belongs to the caller, who frees it with
 *   cfcerts_string_free() (never with free()). On failure *out is set to NULL.
 * - Certificates, pages and parameters cross the boundary as UTF-8 JSON in the API's own shapes: a certificate is
 *   the API's `result` object ({"id", "certificate", "common_name", "status", ...}); a page is
 *   {"result": [...], "result_info": {"count", "page", "per_page", "total_count", "total_pages"}}.
 *   PEM fields come with "\n" line endings.
 * - Calls block until the request (with its retries) is done.
 *
 * Threads
 * - A cfcerts_client may be used by any number of threads at once.
 * - A cfcerts_iter may be used by one thread at a time.
 * - The last error is per thread.
 *
 * Link with `pkg-config --cflags --libs cfcerts`. The library is self-contained (Swift runtime included).
 */
#ifndef CFCERTS_H
#define CFCERTS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------------------ */
/* Versions                                                                                                    */

#define CFCERTS_VERSION_MAJOR 0
#define CFCERTS_VERSION_MINOR 1
#define CFCERTS_VERSION_PATCH 0
/** "MAJOR.MINOR.PATCH" of this header. */
#define CFCERTS_VERSION "0.1.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH of this header: compare with cfcerts_version_number() at run time. */
#define CFCERTS_VERSION_NUMBER (CFCERTS_VERSION_MAJOR * 10000 + CFCERTS_VERSION_MINOR * 100 + CFCERTS_VERSION_PATCH)

/** The version number of the loaded library (CFCERTS_VERSION_NUMBER of the header it was built with). */
int cfcerts_version_number(void);

/** The version of the loaded library as a static string, e.g. "0.1.0". Never NULL; do not free. */
const char *cfcerts_version(void);

/* ------------------------------------------------------------------------------------------------------------ */
/* Return codes. New codes are only ever appended.                                                             */

/** Success. */
#define CFCERTS_OK 0
/** The API refused or failed the request (validation error, 5xx, `success: false`): see cfcerts_error_last(). */
#define CFCERTS_ERROR (-1)
/** An argument was refused before any request: NULL pointer, malformed or wrongly typed JSON, invalid UTF-8,
 *  an id that could leave its path segment (empty, ".", "..", control characters, over 256 bytes), a value out
 *  of range, a bad option. */
#define CFCERTS_EINVAL (-2)
/** The zone or certificate does not exist (HTTP 404). */
#define CFCERTS_ENOTFOUND (-3)
/** Credentials missing, malformed or unknown. */
#define CFCERTS_EAUTH (-4)
/** Valid credentials without permission for this (HTTP 403). */
#define CFCERTS_EPERM (-5)
/** Rate limited (HTTP 429) after every allowed retry; cfcerts_error_last()->retry_after_ms says for how long. */
#define CFCERTS_ERATELIMIT (-6)
/** No answer within the configured timeout. */
#define CFCERTS_ETIMEOUT (-7)
/** The server could not be reached, or the connection broke. */
#define CFCERTS_ECONNECT (-8)
/** The server's answer was not the JSON the API documents (or exceeded the size limit). */
#define CFCERTS_EDECODE (-9)
/** Not an error: cfcerts_iter_next() has no more certificates. */
#define CFCERTS_ITEROVER (-10)

/** A static, human-readable name for a return code, e.g. "not found". Never NULL; do not free. */
const char *cfcerts_strerror(int code);

/* ------------------------------------------------------------------------------------------------------------ */
/* Errors                                                                                                      */

/** The details of a failure. Owned by the library; fields may be appended in later versions. */
typedef struct cfcerts_error {
    /** The CFCERTS_* code the failing call returned (CFCERTS_OK when there was no failure). */
    int code;
    /** The HTTP status of the failing answer, 0 when there was none. */
    int http_status;
    /** A one-line explanation, free of secrets. Never NULL ("" when there was no failure). */
    const char *message;
    /** The `cf-ray` header of the failing answer, for Cloudflare support. Never NULL ("" when none). */
    const char *ray_id;
    /** Cloudflare's `errors` array as JSON ([{"code", "message", "documentation_url", "source": {"pointer"}}]).
     *  Never NULL ("[]" when none). */
    const char *cloudflare_errors;
    /** The delay the server asked for (Retry-After) in milliseconds, 0 when none. */
    long long retry_after_ms;
} cfcerts_error;

/** The last failure on the calling thread. Never NULL. Valid until the next cfcerts call on this thread. */
const cfcerts_error *cfcerts_error_last(void);

/** Resets the calling thread's last error to "no failure". */
void cfcerts_error_clear(void);

/* ------------------------------------------------------------------------------------------------------------ */
/* Strings                                                                                                     */

/** Frees a string handed out by this library. NULL is a no-op. */
void cfcerts_string_free(char *string);

/* ------------------------------------------------------------------------------------------------------------ */
/* Client                                                                                                      */

/** A client: credentials, base URL, connection pool. Thread-safe. */
typedef struct cfcerts_client cfcerts_client;

#define CFCERTS_CLIENT_OPTIONS_VERSION 1

/**
 * Client options. Initialise with CFCERTS_CLIENT_OPTIONS_INIT or cfcerts_client_options_init() so that fields
 * appended in later versions get their defaults.
 *
 * Credentials: set api_token, or api_email + api_key, or user_service_key -- exactly one scheme. When none is
 * set they come from the environment: CLOUDFLARE_API_TOKEN, then CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL, then
 * CLOUDFLARE_API_USER_SERVICE_KEY. The strings are copied; they need not outlive cfcerts_client_new().
 */
typedef struct cfcerts_client_options {
    unsigned int version;
    const char *api_token;
    const char *api_email;
    const char *api_key;
    const char *user_service_key;
    /** NULL: CLOUDFLARE_BASE_URL, else https://api.cloudflare.com/client/v4. Plain http:// only for loopback
     *  hosts unless allow_insecure_http is set. */
    const char *base_url;
    /** Milliseconds to open a connection; 0: 5000. */
    int connect_timeout_ms;
    /** Milliseconds for one attempt of a request; 0: 60000. */
    int request_timeout_ms;
    /** Retries after the first attempt, 0 to 10; -1: 2. */
    int max_retries;
    /** Appended to the User-Agent "cfcerts/VERSION"; NULL: none. */
    const char *user_agent_suffix;
    /** Non-zero allows http:// to hosts other than loopback (credentials then cross the network in clear). */
    int allow_insecure_http;
} cfcerts_client_options;

#define CFCERTS_CLIENT_OPTIONS_INIT { CFCERTS_CLIENT_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0 }

/** Fills *opts with the defaults of options `version` (pass CFCERTS_CLIENT_OPTIONS_VERSION).
 *  Returns CFCERTS_EINVAL for a NULL opts or an unknown version. */
int cfcerts_client_options_init(cfcerts_client_options *opts, unsigned int version);

/**
 * Creates a client. `opts` NULL means defaults and credentials from the environment.
 * On success *out is a client to release with cfcerts_client_free(); on failure *out is NULL.
 * Returns CFCERTS_EINVAL for a bad option, missing credentials or an unknown options version.
 */
int cfcerts_client_new(cfcerts_client **out, const cfcerts_client_options *opts);

/** Closes the client's connections and frees it, once no iterator uses it any more. NULL is a no-op.
 *  No other thread may be using the client. */
void cfcerts_client_free(cfcerts_client *client);

/* ------------------------------------------------------------------------------------------------------------ */
/* Client certificates: /zones/{zone_id}/client_certificates                                                   */

/**
 * One page of a zone's certificates.
 * params_json: NULL or an object with any of "page" (>= 1, default 1), "per_page" (5..50, default 20),
 * "status" ("all", "active", "pending_revocation", "revoked", "pending_reactivation"), "limit", "offset".
 * *out: {"result": [certificate, ...], "result_info": {...}}.
 */
int cfcerts_list_page(char **out, cfcerts_client *client, const char *zone_id, const char *params_json);

/** One certificate; *out is the certificate object. */
int cfcerts_get(char **out, cfcerts_client *client, const char *zone_id, const char *certificate_id);

/**
 * Has Cloudflare's CA issue a certificate. params_json: {"csr": "<PEM>", "validity_days": N}.
 * *out is the new certificate. Never retried in a way that could issue two certificates.
 */
int cfcerts_create(char **out, cfcerts_client *client, const char *zone_id, const char *params_json);

/** Reactivates a certificate in pending_revocation; *out is the certificate (status pending_reactivation). */
int cfcerts_reactivate(char **out, cfcerts_client *client, const char *zone_id, const char *certificate_id);

/** Starts revoking an active certificate; *out is the certificate (status pending_revocation). */
int cfcerts_revoke(char **out, cfcerts_client *client, const char *zone_id, const char *certificate_id);

/* ------------------------------------------------------------------------------------------------------------ */
/* Iterating over every certificate of a zone                                                                  */

/** An iteration over every certificate of a zone, page by page. Use from one thread at a time. */
typedef struct cfcerts_iter cfcerts_iter;

/**
 * Starts an iteration. params_json: NULL or an object with any of "status", "per_page" (5..50, default 50),
 * "prefetch_pages" (0..8, default 0: pages fetched ahead while one is consumed). No request is made yet.
 * The iterator keeps the client alive: cfcerts_client_free() may come first.
 */
int cfcerts_iter_new(cfcerts_iter **out, cfcerts_client *client, const char *zone_id, const char *params_json);

/**
 * The next certificate (a certificate object in *out), or CFCERTS_ITEROVER when there are no more.
 * Stops at the last page the server announced; a server repeating a page ends it with CFCERTS_EDECODE.
 * After CFCERTS_ITEROVER or an error, further calls return CFCERTS_ITEROVER.
 */
int cfcerts_iter_next(char **out, cfcerts_iter *iter);

/** Frees an iterator. NULL is a no-op. */
void cfcerts_iter_free(cfcerts_iter *iter);

/* ------------------------------------------------------------------------------------------------------------ */
/* Keys and certificate signing requests (no network)                                                          */

/**
 * Generates a private key and a CSR. subject_json: {"common_name": required, "organization",
 * "organizational_unit", "country" (two letters), "state", "location", "key_type": "p256" (default) | "rsa2048"}.
 * *out: {"private_key_pem": "...", "csr_pem": "...", "key_type": "p256"}. Keep the private key secret.
 */
int cfcerts_csr_generate(char **out, const char *subject_json);

/**
 * Reads a PEM CSR. *out: {"subject": {"common_name", ...}, "key_type": "P-256" | "RSA-2048" | ...,
 * "signature_valid": true}. Returns CFCERTS_EINVAL for anything that is not a PEM CSR.
 */
int cfcerts_csr_inspect(char **out, const char *csr_pem);

#ifdef __cplusplus
}
#endif

#endif /* CFCERTS_H */
