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
 * - Calls block until the request (with its retries) is done, and never longer than their worst case:
 *   (max_retries + 1) x request_timeout_ms + max_retries x 60 s (the longest wait between attempts: the backoff
 *   caps at 8 s, a server's Retry-After is honoured up to 60 s and a longer one ends the call). With the defaults
 *   that is 3 x 60 s + 2 x 60 s = 300 s; cfcerts_revoke() and cfcerts_reactivate() may add one read of the same
 *   bound (see there). Set total_timeout_ms to bound a whole call, everything included, or cancel calls from
 *   another thread with a cfcerts_cancellable (see "Cancelling calls"). request_timeout_ms bounds an attempt
 *   from connecting to the last byte of the answer, however slowly a server sends it.
 * - Pacing (on by default): every call of a process that uses one credential against one base URL draws on one
 *   request budget, shared by all its clients. It starts at Cloudflare's documented 1200 requests per 300 s (or
 *   the pacing_* options of the first client), then follows each answer's Ratelimit / Ratelimit-Policy headers
 *   (the server's figures, and what other programs spent); only those headers declare it spent, for as long as
 *   they say (a 429 without them is retried after its Retry-After and spends nothing). pacing_* options set a
 *   ceiling for that client's calls: the server's figures may lower it, never raise it. Budgets belong to the
 *   process: a child of fork() starts its own. A call waits for budget rather than drawing a 429; the
 *   wait counts against total_timeout_ms, and without it is at most 60 s in all: when the budget returns later, the
 *   call fails at once with CFCERTS_ERATELIMIT and cfcerts_error.retry_after_ms set to the wait (http_status 0:
 *   nothing was sent). With pacing, the worst case above grows by those 60 s: 360 s with the defaults.
 * - Nothing a server sends, and no argument, makes the library crash or abort the process: absurd numbers
 *   (Retry-After: 1e16), malformed, truncated, oversized (over 16 MiB) or deeply nested bodies end the call with
 *   a code. docs/RELIABILITY.md lists the guarantees and the tested cases.
 *
 * Threads
 * - A cfcerts_client may be used by any number of threads at once.
 * - A cfcerts_iter, and a cfcerts_bulk (but for cfcerts_bulk_cancel()), may be used by one thread at a time.
 * - The last error is per thread.
 * - A timeout ends a call on time whatever the calling program does with its own threads: the library waits on
 *   threads of its own, never on a thread pool the program could keep busy (Swift's, when C calls come from
 *   Swift tasks).
 *
 * fork()
 * - The library's threads and connections belong to the process that started them. It registers
 *   pthread_atfork() handlers, so in a child of fork() it starts its own threads and opens its own connections
 *   on first use; the parent's are never touched there. A cfcerts_client made before the fork keeps working in the
 *   child (whatever other threads were doing in it at the fork), a client made in the child works, and the
 *   parent is unaffected. A cfcerts_iter made before the fork returns CFCERTS_EINVAL from cfcerts_iter_next() in
 *   the child (its pages in flight were the parent's): free it and start a new one.
 *
 * Link with `pkg-config --cflags --libs cfcerts`. The library is self-contained (Swift runtime included).
 */
#ifndef CFCERTS_H
#define CFCERTS_H

#include <stddef.h> /* size_t */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------------------ */
/* Versions                                                                                                    */

#define CFCERTS_VERSION_MAJOR 0
#define CFCERTS_VERSION_MINOR 5
#define CFCERTS_VERSION_PATCH 0
/** "MAJOR.MINOR.PATCH" of this header. */
#define CFCERTS_VERSION "0.5.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH of this header: compare with cfcerts_version_number() at run time. */
#define CFCERTS_VERSION_NUMBER (CFCERTS_VERSION_MAJOR * 10000 + CFCERTS_VERSION_MINOR * 100 + CFCERTS_VERSION_PATCH)

/** The ABI generation: the library's SONAME is libcfcerts.so.CFCERTS_SOVERSION. It changes only when a change
 *  breaks programs built against an older header (a removed function, a changed signature or struct), not with
 *  the release version; new functions and codes are appended without changing it. */
#define CFCERTS_SOVERSION 0

/** The version number of the loaded library (CFCERTS_VERSION_NUMBER of the header it was built with). */
int cfcerts_version_number(void);

/** The version of the loaded library as a static string, e.g. "0.5.0". Never NULL; do not free. */
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
/** Valid credentials without permission for this (HTTP 403). Cloudflare answers a token that lacks the
 *  operation's permission with code 10000, as it answers some invalid credentials: that answer is CFCERTS_EPERM
 *  once the same client's credentials were accepted by an earlier call, and CFCERTS_EAUTH otherwise; either way
 *  the message names the permission group needed ("SSL and Certificates Read" / "SSL and Certificates Write"). */
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
/** A result could not be allocated. */
#define CFCERTS_ENOMEM (-11)
/** The call was cancelled through a cfcerts_cancellable (see "Cancelling calls"). */
#define CFCERTS_ECANCELLED (-12)
/** Another run holds what the call needs alone: a bulk journal in use by another run (in this process or another).
 *  Nothing was sent. */
#define CFCERTS_EBUSY (-13)

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
    /** 1 when the failed call changes the zone (create, revoke, reactivate) and may have been carried out all the
     *  same: its answer was lost (a timeout, a broken connection, a cancel in flight) or was a 5xx. Read the zone
     *  before sending it again (a bulk run does this itself). 0 otherwise. Since 0.5.0: read it only when
     *  cfcerts_version_number() >= 500 (an older library's struct ends before it). */
    int outcome_unknown;
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

#define CFCERTS_CLIENT_OPTIONS_VERSION 3

/** max_retries (options version 2): no retries at all. */
#define CFCERTS_NO_RETRIES (-1)

/** pacing_requests (options version 3): no pacing; every call is sent at once. */
#define CFCERTS_PACING_OFF (-1)

/**
 * Client options. Initialise with CFCERTS_CLIENT_OPTIONS_INIT or cfcerts_client_options_init(); a zeroed struct
 * with `version` set is the same thing: 0 means "the default" in every field.
 *
 * Credentials: set api_token, or api_email + api_key, or user_service_key -- exactly one scheme, each value
 * printable ASCII of at most 8 KiB (else CFCERTS_EINVAL). When none is set they come from the environment: CLOUDFLARE_API_TOKEN, then
 * CLOUDFLARE_API_TOKEN_FILE (a file whose one line is the token), then CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL, then
 * CLOUDFLARE_API_USER_SERVICE_KEY. The strings are copied; they need not outlive cfcerts_client_new().
 *
 * Versions: the library reads `version` first, then only the fields that version has, so a program built
 * against an older header keeps working. Version 1 ends at allow_insecure_http, and its max_retries takes -1
 * for the default and 0 for none.
 */
typedef struct cfcerts_client_options {
    unsigned int version;
    const char *api_token;
    const char *api_email;
    const char *api_key;
    const char *user_service_key;
    /** NULL: CLOUDFLARE_BASE_URL, else https://api.cloudflare.com/client/v4. Plain http:// only for loopback
     *  hosts unless allow_insecure_http is set. A user name or password in the URL is refused. */
    const char *base_url;
    /** Milliseconds to open a connection; 0: 5000. */
    int connect_timeout_ms;
    /** Milliseconds for one attempt, from connecting to the answer's last byte; 0: 60000. */
    int request_timeout_ms;
    /** Retries after the first attempt: 0: the default, 2; 1..10; CFCERTS_NO_RETRIES: none. */
    int max_retries;
    /** Appended to the User-Agent "cfcerts/VERSION"; NULL: none. */
    const char *user_agent_suffix;
    /** Non-zero allows http:// to hosts other than loopback (credentials then cross the network in clear). */
    int allow_insecure_http;
    /* ---- version 2 ---- */
    /** Milliseconds for a whole call: every attempt, the waits between them and any reconciling read. When it
     *  runs out the call returns CFCERTS_ETIMEOUT (or the last answer's code, when a retry's wait would outlast
     *  it). 0: no bound beyond the worst case above. */
    int total_timeout_ms;
    /* ---- version 3 ---- */
    /** Pacing: the calls of a process that use one credential share its request budget, and a call waits for
     *  budget instead of drawing a 429 (see "Pacing" above). Requests per pacing_window_seconds: 0: Cloudflare's
     *  1200 per 300 s, which the server's figures replace; 1..1000000000: a ceiling, which the server's figures
     *  may lower, never raise; CFCERTS_PACING_OFF: no pacing. cfcerts_pacing_parse() reads "600/300" or "off"
     *  into these two fields. */
    int pacing_requests;
    /** Seconds of the budget's window, 1..86400; 0: 300 (with pacing_requests 0) or required. */
    int pacing_window_seconds;
} cfcerts_client_options;

#define CFCERTS_CLIENT_OPTIONS_INIT { CFCERTS_CLIENT_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Fills *opts with the defaults of options `version` (1 to 3; pass CFCERTS_CLIENT_OPTIONS_VERSION), writing
 *  only the fields that version has. Returns CFCERTS_EINVAL for a NULL opts or an unknown version. */
int cfcerts_client_options_init(cfcerts_client_options *opts, unsigned int version);

/**
 * Creates a client. `opts` NULL means defaults and credentials from the environment.
 * On success *out is a client to release with cfcerts_client_free(); on failure *out is NULL.
 * Returns CFCERTS_EINVAL for a bad option (a timeout over a day, more than 10 retries, a base URL with
 * credentials in it), missing credentials or an unknown options version.
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
 * *out: {"result": [certificate, ...], "result_info": {...}}: each certificate as the server sent it (as
 * cfcerts_iter_next() hands them out), and result_info exactly as sent (omitted when the server sent none).
 * A page with more certificates than per_page is refused with CFCERTS_EDECODE.
 */
int cfcerts_list_page(char **out, cfcerts_client *client, const char *zone_id, const char *params_json);

/** One certificate; *out is the certificate object. */
int cfcerts_get(char **out, cfcerts_client *client, const char *zone_id, const char *certificate_id);

/**
 * Has Cloudflare's CA issue a certificate. params_json: {"csr": "<PEM>", "validity_days": N}.
 * *out is the new certificate. Never retried in a way that could issue two certificates.
 */
int cfcerts_create(char **out, cfcerts_client *client, const char *zone_id, const char *params_json);

/**
 * Reactivates a certificate in pending_revocation; *out is the certificate (status pending_reactivation).
 * Reconciled like cfcerts_revoke(): done is reported as done, with the certificate's current state
 * (pending_reactivation or active).
 */
int cfcerts_reactivate(char **out, cfcerts_client *client, const char *zone_id, const char *certificate_id);

/**
 * Starts revoking an active certificate; *out is the certificate (status pending_revocation).
 * Reconciled: when an attempt got no answer (a timeout, a dropped connection) or a 5xx (an edge that gave up waiting
 * for the origin), it may have been carried out, and the retry is then refused ("only an active certificate can be revoked"). In that case the certificate is read
 * (one get, within the call's bounds), and if it is already pending_revocation or revoked, that is returned with
 * CFCERTS_OK. Worst case: the call's bound above plus one get.
 */
int cfcerts_revoke(char **out, cfcerts_client *client, const char *zone_id, const char *certificate_id);

/* ------------------------------------------------------------------------------------------------------------ */
/* Iterating over every certificate of a zone                                                                  */

/** An iteration over every certificate of a zone, page by page. Use from one thread at a time. */
typedef struct cfcerts_iter cfcerts_iter;

/**
 * Starts an iteration. params_json: NULL or an object with any of "status", "per_page" (5..50, default 50),
 * "prefetch_pages" (0..8, default 4: once the first page has told how many there are, up to that many following
 * pages are fetched while one is consumed; 0 fetches strictly one page at a time). No request is made yet.
 * The iterator keeps the client alive: cfcerts_client_free() may come first.
 * Each certificate is handed out as the JSON object the server sent (checked to be valid JSON and UTF-8, numbers
 * within a double's range), with line endings in its strings made "\n" (CR LF and a lone CR, however escaped), as
 * cfcerts_get() hands them out; a page is fetched and cut into certificates once, so every call but
 * one a page returns without blocking.
 */
int cfcerts_iter_new(cfcerts_iter **out, cfcerts_client *client, const char *zone_id, const char *params_json);

/**
 * The next certificate (a certificate object in *out), or CFCERTS_ITEROVER when there are no more.
 * Stops at the last page the server announced (result_info.total_pages), or, when it announces none, at the
 * first short or empty page. Each certificate is handed out at most once: one the server sends again is skipped
 * (with a status filter, a certificate entering the filtered set mid-listing shifts the pages by one), and a page
 * holding nothing new (a page repeated, pages alternating) ends it with CFCERTS_EDECODE, as do a page with more
 * certificates than per_page and a listing of over 100,000 pages. A certificate leaving the filtered set
 * mid-listing shifts the pages the other way: one certificate may then be missed (the API pages by offset). Blocks for at most one page's call (see the
 * worst case above); a page already fetched ahead returns at once.
 * After CFCERTS_ITEROVER or an error, further calls return CFCERTS_ITEROVER.
 */
int cfcerts_iter_next(char **out, cfcerts_iter *iter);

/**
 * The rest of the current page at once: a JSON array of one or more certificate objects (each as
 * cfcerts_iter_next() hands it out), fetching the next page first when the current one is used up; or
 * CFCERTS_ITEROVER. One crossing a page instead of one a certificate (bindings use it); mixes freely with
 * cfcerts_iter_next().
 */
int cfcerts_iter_next_page(char **out, cfcerts_iter *iter);

/** Frees an iterator. NULL is a no-op. */
void cfcerts_iter_free(cfcerts_iter *iter);

/* ------------------------------------------------------------------------------------------------------------ */
/* Cancelling calls                                                                                            */

/**
 * A cancellable: a flag that any thread may raise to end the calls that observe it (GLib's GCancellable model).
 * A thread makes it current with cfcerts_cancellable_push_current(); every blocking call that thread then makes
 * (cfcerts_list_page, _get, _create, _reactivate, _revoke, cfcerts_iter_next, cfcerts_iter_next_page) observes
 * it until cfcerts_cancellable_pop_current(). cfcerts_cancellable_cancel() from any thread makes each such call
 * return CFCERTS_ECANCELLED within 100 ms, whatever it waits for (connecting, the answer's head or body, the
 * wait between retries, the wait for budget); a call started while it is cancelled returns CFCERTS_ECANCELLED
 * at once, sending nothing. The client stays usable; an iterator whose call was cancelled is over (free it).
 *
 * What a cancelled call means: a request already sent may still be carried out by the server. A cancelled
 * revoke or reactivate may have been done (read the certificate to know); a cancelled create may have issued a
 * certificate (its message says so; list the zone and look for its CSR before creating again).
 *
 * Ownership: cfcerts_cancellable_new() hands out one reference, released by cfcerts_cancellable_free(); a pushed
 * cancellable is kept alive by the push until its pop, so it may be freed while pushed. Threads: cancel,
 * is_cancelled and reset from any thread; push and pop on the thread that makes the calls, in nested order.
 * cfcerts_cancellable_cancel() is not async-signal-safe: from a signal handler, write to a pipe and cancel
 * from a thread that reads it.
 */
typedef struct cfcerts_cancellable cfcerts_cancellable;

/** A new cancellable, not cancelled. */
int cfcerts_cancellable_new(cfcerts_cancellable **out);

/** Raises the flag: every call observing it returns CFCERTS_ECANCELLED. Idempotent; NULL is a no-op. */
void cfcerts_cancellable_cancel(cfcerts_cancellable *cancellable);

/** 1 once cancelled (until reset), else 0; NULL: 0. */
int cfcerts_cancellable_is_cancelled(const cfcerts_cancellable *cancellable);

/** Lowers the flag, so the cancellable can serve the next call. NULL is a no-op. */
void cfcerts_cancellable_reset(cfcerts_cancellable *cancellable);

/** Makes `cancellable` the calling thread's current one (a thread may nest up to 64). CFCERTS_EINVAL for NULL. */
int cfcerts_cancellable_push_current(cfcerts_cancellable *cancellable);

/** Undoes the last push; CFCERTS_EINVAL unless `cancellable` is the thread's current one. */
int cfcerts_cancellable_pop_current(cfcerts_cancellable *cancellable);

/** Releases the reference cfcerts_cancellable_new() handed out. NULL is a no-op. */
void cfcerts_cancellable_free(cfcerts_cancellable *cancellable);

/* ------------------------------------------------------------------------------------------------------------ */
/* Bulk operations: many certificates revoked, reactivated or created, concurrently and resumably              */

/** A bulk run: items done `concurrency` at a time, their outcomes pulled one by one. */
typedef struct cfcerts_bulk cfcerts_bulk;

/**
 * Starts a bulk run on `client` in the background; pull its outcomes with cfcerts_bulk_next().
 * params_json, an object:
 *   "operation": "revoke" | "reactivate" (with "ids": ["<certificate id>", ...]) or "create" (with
 *       "items": [{"csr": "<PEM>", "validity_days": N, "name": "<your label, optional>"}, ...]);
 *   "concurrency": items in flight at once, 1..64 (default 8);
 *   "journal": a file path (optional), the record of this one run. Each item is recorded there before and after
 *       its request (append-only, fsync'ed, created 0600). A run killed at any moment, or with items failed, and
 *       started again with the same items and journal skips what is done, and never does an item twice: a revoke
 *       or reactivate whose answer was lost is found done by reading the certificate; a create by the one
 *       certificate of the zone with the same CSR, issued after the item was sent and not revoked (when its answer
 *       could still be in flight, the run looks again once one attempt's timeout has passed; when several fit,
 *       the item fails and names them). A journal of another operation, zone or items, or of a finished run
 *       (every item done), is refused with CFCERTS_EINVAL: pass a new one. The journal is locked for the whole
 *       run: another run on it, in this process or another, is refused at once with CFCERTS_EBUSY.
 * Every item is checked before anything is sent: CFCERTS_EINVAL for a bad id, an empty CSR, an item listed twice,
 * or a journal that cannot be opened. Calls share the client's pacing; one item's failure never stops the others.
 * The run keeps the client alive (cfcerts_client_free() may come first).
 */
int cfcerts_bulk_new(cfcerts_bulk **out, cfcerts_client *client, const char *zone_id, const char *params_json);

/**
 * The next item's outcome, as items complete (not in list order), or CFCERTS_ITEROVER after the last. Blocks
 * until an item completes. *out:
 *   {"index": N (the item's position), "id": "<certificate id, when known>", "name": "<your label>",
 *    "status": "done" | "already_done" | "failed",
 *    "certificate": {...} (the certificate as the API last described it, when this run saw it),
 *    "error": {"code": CFCERTS_E*, "message", "http_status", "ray_id", "cloudflare_errors": [...]} (failed only),
 *    "journal_error": {...} (as "error": the item is done, its certificate is here to be saved, but the journal
 *        could not record it; the run starts no more items)}.
 * "already_done": no request was made for it (the journal says an earlier run did it, or an earlier request whose
 * answer was lost turned out to have been carried out). Use from one thread at a time. In a child of fork(), a
 * run started in the parent returns CFCERTS_EINVAL.
 */
int cfcerts_bulk_next(char **out, cfcerts_bulk *bulk);

/**
 * The run's totals, once cfcerts_bulk_next() has returned CFCERTS_ITEROVER (CFCERTS_EINVAL before):
 * {"total", "done", "already_done", "failed", "not_started" (after a cancel, or a journal that could not be
 * written), "rate_limited_answers" (429s the run drew), "elapsed_ms", "journal_error": {...} (only when the journal
 * could not be written)}.
 */
int cfcerts_bulk_summary(char **out, cfcerts_bulk *bulk);

/**
 * Starts no more items, and ends the items in flight at once, a zone listing that settles creates included
 * (their outcome: failed with CFCERTS_ECANCELLED; such a request may still have been carried out, which a journal
 * settles on the next run). Any thread may call it, while another waits in cfcerts_bulk_next(); that call then goes
 * on returning the outcomes of what completed, then CFCERTS_ITEROVER. NULL is a no-op.
 */
void cfcerts_bulk_cancel(cfcerts_bulk *bulk);

/** Cancels the run if it is not over (as cfcerts_bulk_cancel()) and frees it without waiting. Its journal stays
 *  locked until the cancelled run has wound down (moments later): a run started on it at once may get CFCERTS_EBUSY;
 *  pull until CFCERTS_ITEROVER first to be sure it is free. NULL is a no-op. */
void cfcerts_bulk_free(cfcerts_bulk *bulk);

/* ------------------------------------------------------------------------------------------------------------ */
/* Hostname associations: where the edge asks for a client certificate                                         */

/*
 * Cloudflare's edge asks clients for a certificate of a CA only on the hostnames associated with it
 * (/zones/{zone_id}/certificate_authorities/hostname_associations). Each CA has one list per zone:
 * mtls_certificate_id NULL (or absent from params_json) is the Cloudflare-managed CA, the CA of every
 * certificate cfcerts_create() issues; otherwise the 36-character id (a UUID) of a CA uploaded to mTLS
 * certificate management, checked before any request (CFCERTS_EINVAL). Reading needs the token permission
 * "SSL and Certificates Read", changing "SSL and Certificates Write". Each *out is {"hostnames": [...]}, the list
 * the server answered. Hostnames are 1 to 253 bytes of letters, digits, '-', '.', '_' and '*'.
 */

/** The CA's hostnames. */
int cfcerts_hostname_associations_get(char **out, cfcerts_client *client, const char *zone_id,
                                      const char *mtls_certificate_id);

/**
 * Replaces the CA's whole list. params_json: {"hostnames": [...] (required; [] removes every hostname),
 * "mtls_certificate_id": "..." (optional)}.
 */
int cfcerts_hostname_associations_update(char **out, cfcerts_client *client, const char *zone_id,
                                         const char *params_json);

/**
 * Adds hostnames to the CA's list (params_json as for cfcerts_hostname_associations_update()): reads the list,
 * then replaces it with the union; a hostname already there in any letter case is not added twice, and nothing
 * is written when nothing is missing. Another writer between the read and the write loses its change.
 */
int cfcerts_hostname_associations_add(char **out, cfcerts_client *client, const char *zone_id,
                                      const char *params_json);

/** Removes hostnames (compared without letter case) from the CA's list, as cfcerts_hostname_associations_add(). */
int cfcerts_hostname_associations_remove(char **out, cfcerts_client *client, const char *zone_id,
                                         const char *params_json);

/* ------------------------------------------------------------------------------------------------------------ */
/* Keys and certificate signing requests (no network)                                                          */

/**
 * Generates a private key and a CSR. subject_json: {"common_name": required, "organization",
 * "organizational_unit", "country" (two letters), "state", "location", "key_type": "p256" (default) | "rsa2048"}.
 * *out: {"private_key_pem": "...", "csr_pem": "...", "key_type": "p256"}; the key is PKCS#8 PEM
 * ("-----BEGIN PRIVATE KEY-----") for both key types. Keep the private key secret.
 */
int cfcerts_csr_generate(char **out, const char *subject_json);

/**
 * Reads a PEM CSR. *out: {"subject": {"common_name", ...}, "key_type": "p256" | "rsa2048" | ... (the names
 * cfcerts_csr_generate() takes; also "p384", "p521", "rsa3072", "rsa4096", "ed25519", "unknown"),
 * "signature_valid": true}. Returns CFCERTS_EINVAL for anything that is not a PEM CSR.
 */
int cfcerts_csr_inspect(char **out, const char *csr_pem);

/* ------------------------------------------------------------------------------------------------------------ */
/* Pacing syntax                                                                                               */

/**
 * Reads the pacing syntax every cfcerts face takes (the CLI's --pacing, the bindings' pacing keyword): "off", or
 * "REQUESTS/SECONDS" in ASCII digits, 1 to 1000000000 requests per 1 to 86400 seconds (e.g. "1200/300"), which
 * is a ceiling: the server's Ratelimit headers may lower it, never raise it. On success *out_requests and
 * *out_window_seconds hold the values for cfcerts_client_options' pacing_requests and pacing_window_seconds
 * (CFCERTS_PACING_OFF and 0 for "off"). Returns CFCERTS_EINVAL for anything else (both outputs then 0), the
 * message in cfcerts_error_last(). No network; any thread.
 */
int cfcerts_pacing_parse(int *out_requests, int *out_window_seconds, const char *text);

/* ------------------------------------------------------------------------------------------------------------ */
/* Fleet as code: a manifest of the certificates that should exist, planned and applied                        */

/**
 * What an apply of the manifest would do now (the `cfcerts plan` of README's "Fleet as code"). manifest_json: the
 * manifest in its JSON shape (docs/fleet-manifest.schema.json; at most 16 MiB). params_json: {"base_dir": the
 * folder the manifest's relative paths are read from, "state_dir": the manifest's state folder} (both required;
 * the state folder is read, never created). Reads each zone once. *out: {"steps": [{"name", "zone", "action":
 * "create" | "renew" | "replace" | "reactivate" | "revoke" | "revoke_replaced" | "run_hook" | "write_outputs" |
 * "keep" | "none", "reason", "certificate_id"}], "counts": {action: N, ...}, "requests", "estimated_seconds",
 * "budget", "basis"}. A malformed manifest is CFCERTS_EINVAL, its message naming the field.
 */
int cfcerts_fleet_plan(char **out, cfcerts_client *client, const char *manifest_json, const char *params_json);

/** An apply in progress: its steps' results pulled one by one. */
typedef struct cfcerts_fleet_apply cfcerts_fleet_apply;

/**
 * Starts applying the manifest in the background (manifest_json and params_json as for cfcerts_fleet_plan(), and
 * in params_json "concurrency": requests in flight, 1..64 (default 8); "plan_basis": the "basis" of a plan, to
 * apply only while the manifest, the state and the zone still give that plan). The state folder is made (0700)
 * and locked for the apply. New certificates are issued with their keys recorded first, saved with their outputs,
 * and only then are the certificates they replace revoked; an apply killed at any moment and started again
 * finishes what was under way and issues nothing twice. The apply keeps the client alive.
 *
 * Hooks: the library runs no process. A manifest with a hook needs "caller_runs_hooks": true in params_json
 * (CFCERTS_EINVAL without it): cfcerts_fleet_apply_next() then hands out each hook to run, and the apply waits
 * for cfcerts_fleet_apply_hook_done() before it goes on (a certificate a new one replaces is revoked only once the
 * new one's hook has succeeded).
 */
int cfcerts_fleet_apply_new(cfcerts_fleet_apply **out, cfcerts_client *client, const char *manifest_json,
                            const char *params_json);

/**
 * The next step's result as it ends, or CFCERTS_ITEROVER after the last: {"name", "action", "outcome": "done" |
 * "failed", "certificate_id", "detail"}. With "caller_runs_hooks", also a hook to run: {"hook": {"name",
 * "command", "environment": {"CFCERTS_NAME": ..., "CFCERTS_NEW_ID": ..., "CFCERTS_CERT_FILE": ..., ...},
 * "unset": [the credential variables]}}: run `/bin/sh -c command` with your environment less "unset" plus
 * "environment" (what `cfcerts apply` and the bindings do: stdin from /dev/null, a process group of its own, ended
 * after its timeout with SIGTERM to the group, then SIGKILL 5 s later or once the shell has ended), then answer with cfcerts_fleet_apply_hook_done(); until
 * then this call returns CFCERTS_EINVAL. When the apply stopped with an error (its state folder in use by another
 * apply: CFCERTS_EBUSY; a zone that could not be read; a saved plan that no longer matches: CFCERTS_EINVAL), that
 * error is returned in place of CFCERTS_ITEROVER, and again by later calls. Blocks until a step ends. Use from
 * one thread at a time; in a child of fork(), an apply started in the parent returns CFCERTS_EINVAL.
 */
int cfcerts_fleet_apply_next(char **out, cfcerts_fleet_apply *apply);

/**
 * Answers the hook cfcerts_fleet_apply_next() handed out: succeeded nonzero when it succeeded (exit status 0);
 * otherwise detail (NULL, or UTF-8 of at most 1 KiB, e.g. "exited with status 3") says how it failed, and the
 * step is reported failed: the next apply runs the hook again, and the certificate its entry's new one replaces
 * stays active until then. CFCERTS_EINVAL when no hook waits: none was handed out, it was answered, or the apply
 * was cancelled meanwhile (the hook then counts as interrupted; the next apply runs it again).
 */
int cfcerts_fleet_apply_hook_done(cfcerts_fleet_apply *apply, int succeeded, const char *detail);  /* since 0.5.0 */

/**
 * The apply's report, once cfcerts_fleet_apply_next() has returned CFCERTS_ITEROVER (CFCERTS_EINVAL before, and
 * the apply's own error when it stopped with one): {"done", "failed", "interrupted", "rate_limited_answers",
 * "results": [...]}.
 */
int cfcerts_fleet_apply_report(char **out, cfcerts_fleet_apply *apply);

/** Stops the apply between steps and ends its requests in flight (a hook waiting for its answer counts as
 *  interrupted); the next apply finishes what it left. Any thread. NULL is a no-op. */
void cfcerts_fleet_apply_cancel(cfcerts_fleet_apply *apply);

/** Cancels the apply if it is not over and frees it without waiting (its state folder stays locked until the
 *  cancelled apply has wound down). NULL is a no-op. */
void cfcerts_fleet_apply_free(cfcerts_fleet_apply *apply);

/* ------------------------------------------------------------------------------------------------------------ */
/* Device bundles: PKCS#12 files (no network)                                                                  */

/**
 * Makes a PKCS#12 file (.p12, .pfx; RFC 7292): a certificate, its private key and CA certificates under a
 * password, the form iOS, Android, Windows and Java keystores import.
 * params_json, an object:
 *   "certificate_pem": the certificate, one PEM block (required; the API's "certificate");
 *   "private_key_pem": its private key, PEM: PKCS#8 ("BEGIN PRIVATE KEY", what cfcerts_csr_generate() hands out),
 *       SEC1 ("BEGIN EC PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY"); P-256, P-384, P-521 or RSA of 2048 bits
 *       or more; not encrypted (required). It must be the certificate's key;
 *   "chain_pems": ["<PEM>", ...]: CA certificates to add, in that order, each string holding one or more PEM
 *       certificates, at most 32 in all (optional; Cloudflare's managed CA cannot be downloaded through the API);
 *   "profile": "modern" (default: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, an HMAC-SHA256 MAC: what OpenSSL 3
 *       writes) or "legacy" (PBE-SHA1-3DES, an HMAC-SHA1 MAC: for older Android, iOS and Windows keystores);
 *   "friendly_name": the name keystores show (their alias), 1 to 64 characters, no control characters (optional).
 * password: UTF-8, 1 to 1024 bytes, apart from params_json so that the JSON can be logged. It never appears in
 * an error message.
 * On success *out points to *out_len bytes of DER (binary, not a string: write them to a file as they are), which
 * the caller frees with cfcerts_bytes_free(); on failure *out is NULL and *out_len 0.
 * Returns CFCERTS_EINVAL for a NULL argument, JSON that is malformed, not UTF-8 or over 1 MiB, an unknown key, and
 * any input refused (the message says which), e.g. a key that is not the certificate's. Each call draws fresh
 * random salts and IVs, so two files of the same inputs differ. Any thread.
 */
int cfcerts_pkcs12_create(unsigned char **out, size_t *out_len, const char *params_json, const char *password);

/** Frees bytes handed out by this library (cfcerts_pkcs12_create()). NULL is a no-op. */
void cfcerts_bytes_free(unsigned char *bytes);

#ifdef __cplusplus
}
#endif

#endif /* CFCERTS_H */
