/* Fleet as code through the C API: arguments refused as documented (a malformed manifest names its field, a hook
 * without "caller_runs_hooks"), plan on an empty zone, an apply pulled step by step to its report, plan again with
 * nothing to do, a state folder held by another apply (CFCERTS_EBUSY from _next and _report), a saved plan's basis,
 * an apply freed before it is pulled, and hooks handed out to the caller (answered, failed, cancelled while they
 * wait). Run under valgrind and ASan too. */
#define _GNU_SOURCE
#include <cfcerts.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char zone[33];
static char base[256];
static char params[600];

static char *manifest(int count, const char *extra) {
    json_t *root = json_object();
    json_object_set_new(root, "zone", json_string(zone));
    json_t *list = json_array();
    for (int i = 0; i < count; i++) {
        char name[32], common_name[64];
        snprintf(name, sizeof name, "dev-%d", i);
        snprintf(common_name, sizeof common_name, "dev-%d.example.com", i);
        json_t *subject = json_object();
        json_object_set_new(subject, "common_name", json_string(common_name));
        json_t *entry = json_object();
        json_object_set_new(entry, "name", json_string(name));
        json_object_set_new(entry, "subject", subject);
        json_array_append_new(list, entry);
    }
    json_object_set_new(root, "certificates", list);
    json_t *defaults = json_pack("{s:{s:s}}", "outputs", "dir", "out");
    if (extra) {
        json_error_t error;
        json_t *more = json_loads(extra, 0, &error);
        json_object_update(defaults, more);
        json_decref(more);
    }
    json_object_set_new(root, "defaults", defaults);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static json_int_t plan_count(cfcerts_client *client, const char *text, const char *action) {
    char *out = NULL;
    CHECK_CODE(cfcerts_fleet_plan(&out, client, text, params), CFCERTS_OK);
    json_error_t error;
    json_t *plan = out ? json_loads(out, 0, &error) : NULL;
    json_int_t count = plan ? json_integer_value(json_object_get(json_object_get(plan, "counts"), action)) : -1;
    json_decref(plan);
    cfcerts_string_free(out);
    return count;
}

static void test_refusals(cfcerts_client *client) {
    char *ok = manifest(1, NULL);
    char *out = (char *)0x1;
    CHECK_CODE(cfcerts_fleet_plan(NULL, client, ok, params), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_fleet_plan(&out, NULL, ok, params), CFCERTS_EINVAL);
    CHECK(out == NULL);
    CHECK_CODE(cfcerts_fleet_plan(&out, client, NULL, params), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_fleet_plan(&out, client, ok, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_fleet_plan(&out, client, ok, "{\"base_dir\": \"/tmp\"}"), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_fleet_plan(&out, client, ok, "{\"base_dir\": \"/tmp\", \"state_dir\": \"/tmp/x\", \"extra\": 1}"),
               CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_fleet_plan(&out, client, "{", params), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_fleet_plan(&out, client, "{\"zone\": \"..\", \"certificates\": []}", params), CFCERTS_EINVAL);
    const char *misspelt = "{\"zone\": \"0123456789abcdef0123456789abcdef\", \"certificates\": "
                           "[{\"name\": \"a\", \"subject\": {\"common_name\": \"a\"}, \"validty_days\": 5}]}";
    CHECK_CODE(cfcerts_fleet_plan(&out, client, misspelt, params), CFCERTS_EINVAL);
    CHECK(strstr(cfcerts_error_last()->message, "certificates[0].validty_days is not a manifest field") != NULL);
    const char bad_utf8[] = {'{', '"', (char)0xff, '"', '}', 0};
    CHECK_CODE(cfcerts_fleet_plan(&out, client, bad_utf8, params), CFCERTS_EINVAL);

    cfcerts_fleet_apply *apply = (cfcerts_fleet_apply *)0x1;
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, ok, "{\"base_dir\": \"/tmp\", \"state_dir\": \"/tmp/s\", \"concurrency\": 0}"),
               CFCERTS_EINVAL);
    CHECK(apply == NULL);
    char *hooked = manifest(1, "{\"hook\": \"true\"}");
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, hooked, params), CFCERTS_EINVAL);
    CHECK(strstr(cfcerts_error_last()->message, "caller_runs_hooks") != NULL);
    CHECK_CODE(cfcerts_fleet_apply_next(&out, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_fleet_apply_report(&out, NULL), CFCERTS_EINVAL);
    cfcerts_fleet_apply_cancel(NULL);
    cfcerts_fleet_apply_free(NULL);
    free(hooked);
    free(ok);
}

static void test_plan_apply_plan_again(cfcerts_client *client) {
    char *text = manifest(3, NULL);
    CHECK(plan_count(client, text, "create") == 3);
    char state[300];
    snprintf(state, sizeof state, "%s/state", base);
    struct stat info;
    CHECK(stat(state, &info) != 0);  /* plan creates nothing */

    cfcerts_fleet_apply *apply = NULL;
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, text, params), CFCERTS_OK);
    char *out = NULL;
    int done = 0, code;
    while ((code = cfcerts_fleet_apply_next(&out, apply)) == CFCERTS_OK) {
        char *outcome = harness_json_string(out, "outcome"), *action = harness_json_string(out, "action");
        if (outcome && action && strcmp(outcome, "done") == 0 && strcmp(action, "create") == 0) done++;
        free(outcome);
        free(action);
        cfcerts_string_free(out);
    }
    CHECK_CODE(code, CFCERTS_ITEROVER);
    CHECK(done == 3);
    CHECK_CODE(cfcerts_fleet_apply_next(&out, apply), CFCERTS_ITEROVER);
    CHECK_CODE(cfcerts_fleet_apply_report(&out, apply), CFCERTS_OK);
    CHECK(out && strstr(out, "\"done\":3") && strstr(out, "\"failed\":0"));
    cfcerts_string_free(out);
    cfcerts_fleet_apply_free(apply);
    CHECK(stat(state, &info) == 0 && (info.st_mode & 0777) == 0700);
    char key[400];
    snprintf(key, sizeof key, "%s/out/dev-1.key", base);
    CHECK(stat(key, &info) == 0 && (info.st_mode & 0777) == 0600);
    CHECK(plan_count(client, text, "none") == 3);
    CHECK(plan_count(client, text, "create") == 0);
    free(text);
}

static void test_held_state_and_saved_plan(cfcerts_client *client) {
    char *text = manifest(4, NULL);
    char lock_path[320];
    snprintf(lock_path, sizeof lock_path, "%s/state/.lock", base);
    int descriptor = open(lock_path, O_RDWR | O_CLOEXEC);
    CHECK(descriptor >= 0);
    struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    CHECK(fcntl(descriptor, F_OFD_SETLK, &whole) == 0);
    cfcerts_fleet_apply *apply = NULL;
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, text, params), CFCERTS_OK);
    char *out = NULL;
    CHECK_CODE(cfcerts_fleet_apply_next(&out, apply), CFCERTS_EBUSY);
    CHECK_CODE(cfcerts_fleet_apply_next(&out, apply), CFCERTS_EBUSY);
    CHECK_CODE(cfcerts_fleet_apply_report(&out, apply), CFCERTS_EBUSY);
    cfcerts_fleet_apply_free(apply);
    close(descriptor);

    char saved[900];
    snprintf(saved, sizeof saved, "{\"base_dir\": \"%s\", \"state_dir\": \"%s/state\", \"plan_basis\": \"%064d\"}", base, base, 0);
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, text, saved), CFCERTS_OK);
    CHECK_CODE(cfcerts_fleet_apply_next(&out, apply), CFCERTS_EINVAL);
    CHECK(strstr(cfcerts_error_last()->message, "no longer matches") != NULL);
    cfcerts_fleet_apply_free(apply);

    /* Freed before anything is pulled: the apply is cancelled, nothing leaks. */
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, text, params), CFCERTS_OK);
    cfcerts_fleet_apply_free(apply);
    free(text);
}

/* Pulls the apply to its end, answering each hook with succeeded[i] in turn (the i-th hook handed out); checks
 * what a hook carries and that the apply waits for its answer. Returns the number of hooks handed out. */
static int pull_answering(cfcerts_fleet_apply *apply, const int *succeeded, int count, char **report) {
    char *out = NULL;
    int hooks = 0, code;
    while ((code = cfcerts_fleet_apply_next(&out, apply)) == CFCERTS_OK) {
        json_error_t error;
        json_t *item = json_loads(out, 0, &error);
        json_t *hook = json_object_get(item, "hook");
        if (hook) {
            json_t *environment = json_object_get(hook, "environment");
            const char *name = json_string_value(json_object_get(hook, "name"));
            const char *cert_file = json_string_value(json_object_get(environment, "CFCERTS_CERT_FILE"));
            CHECK(name && strcmp(json_string_value(json_object_get(environment, "CFCERTS_NAME")), name) == 0);
            CHECK(strcmp(json_string_value(json_object_get(hook, "command")), "deploy --now") == 0);
            CHECK(json_string_length(json_object_get(environment, "CFCERTS_NEW_ID")) == 32);
            struct stat info;
            CHECK(cert_file && stat(cert_file, &info) == 0);  /* its files are in place before the hook */
            int unsets_token = 0;
            size_t index;
            json_t *variable;
            json_array_foreach(json_object_get(hook, "unset"), index, variable) {
                if (strcmp(json_string_value(variable), "CLOUDFLARE_API_TOKEN") == 0) unsets_token = 1;
            }
            CHECK(unsets_token);
            char *ignored = NULL;
            CHECK_CODE(cfcerts_fleet_apply_next(&ignored, apply), CFCERTS_EINVAL);  /* answer first */
            CHECK(strstr(cfcerts_error_last()->message, "cfcerts_fleet_apply_hook_done") != NULL);
            int ok = hooks < count ? succeeded[hooks] : 1;
            CHECK_CODE(cfcerts_fleet_apply_hook_done(apply, ok, ok ? NULL : "exited with status 3"), CFCERTS_OK);
            CHECK_CODE(cfcerts_fleet_apply_hook_done(apply, 1, NULL), CFCERTS_EINVAL);  /* answered already */
            hooks++;
        }
        json_decref(item);
        cfcerts_string_free(out);
    }
    CHECK_CODE(code, CFCERTS_ITEROVER);
    CHECK_CODE(cfcerts_fleet_apply_report(report, apply), CFCERTS_OK);
    return hooks;
}

static void test_caller_runs_hooks(cfcerts_client *client) {
    char *text = manifest(2, "{\"hook\": \"deploy --now\", \"outputs\": {\"dir\": \"out-hooks\"}}");
    char hook_params[900];
    snprintf(hook_params, sizeof hook_params,
             "{\"base_dir\": \"%s\", \"state_dir\": \"%s/state-hooks\", \"caller_runs_hooks\": true}", base, base);
    cfcerts_fleet_apply *apply = NULL;
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, text, hook_params), CFCERTS_OK);
    char *report = NULL;
    const int first_fails[] = {1, 0};
    CHECK(pull_answering(apply, first_fails, 2, &report) == 2);
    CHECK(report && strstr(report, "\"failed\":1") && strstr(report, "exited with status 3"));
    cfcerts_string_free(report);
    cfcerts_fleet_apply_free(apply);

    /* The failed hook is planned again; an apply cancelled while it waits counts it interrupted. */
    char plan_params[900];
    snprintf(plan_params, sizeof plan_params, "{\"base_dir\": \"%s\", \"state_dir\": \"%s/state-hooks\"}", base, base);
    char *out = NULL;
    CHECK_CODE(cfcerts_fleet_plan(&out, client, text, plan_params), CFCERTS_OK);
    CHECK(out && strstr(out, "\"run_hook\":1"));
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, text, hook_params), CFCERTS_OK);
    int code;
    while ((code = cfcerts_fleet_apply_next(&out, apply)) == CFCERTS_OK && strstr(out, "\"hook\"") == NULL) {
        cfcerts_string_free(out);
    }
    CHECK_CODE(code, CFCERTS_OK);
    cfcerts_string_free(out);
    cfcerts_fleet_apply_cancel(apply);
    while ((code = cfcerts_fleet_apply_next(&out, apply)) == CFCERTS_OK) cfcerts_string_free(out);
    CHECK_CODE(code, CFCERTS_ITEROVER);
    CHECK_CODE(cfcerts_fleet_apply_hook_done(apply, 1, NULL), CFCERTS_EINVAL);
    CHECK_CODE(cfcerts_fleet_apply_report(&report, apply), CFCERTS_OK);
    CHECK(report && strstr(report, "\"interrupted\":true"));
    cfcerts_string_free(report);
    cfcerts_fleet_apply_free(apply);

    /* Answered this time: nothing is left to do. */
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, text, hook_params), CFCERTS_OK);
    CHECK(pull_answering(apply, NULL, 0, &report) == 1);
    cfcerts_string_free(report);
    cfcerts_fleet_apply_free(apply);
    CHECK_CODE(cfcerts_fleet_plan(&out, client, text, plan_params), CFCERTS_OK);
    CHECK(out && strstr(out, "\"none\":2"));
    cfcerts_string_free(out);

    /* A hook freed while it waits: no leak, no hang. */
    char *fresh = manifest(1, "{\"hook\": \"deploy --now\", \"outputs\": {\"dir\": \"out-hooks-2\"}}");
    snprintf(hook_params, sizeof hook_params,
             "{\"base_dir\": \"%s\", \"state_dir\": \"%s/state-hooks-2\", \"caller_runs_hooks\": true}", base, base);
    CHECK_CODE(cfcerts_fleet_apply_new(&apply, client, fresh, hook_params), CFCERTS_OK);
    while ((code = cfcerts_fleet_apply_next(&out, apply)) == CFCERTS_OK && strstr(out, "\"hook\"") == NULL) {
        cfcerts_string_free(out);
    }
    CHECK_CODE(code, CFCERTS_OK);
    cfcerts_string_free(out);
    CHECK_CODE(cfcerts_fleet_apply_hook_done(NULL, 1, NULL), CFCERTS_EINVAL);
    const char bad_utf8[] = {(char)0xff, 0};
    CHECK_CODE(cfcerts_fleet_apply_hook_done(apply, 0, bad_utf8), CFCERTS_EINVAL);
    cfcerts_fleet_apply_free(apply);
    free(fresh);
    free(text);
}

int main(void) {
    harness_new_zone(zone);
    snprintf(base, sizeof base, "/tmp/cfcerts-c-fleet-%d-%s", (int)getpid(), zone);
    CHECK(mkdir(base, 0700) == 0);
    snprintf(params, sizeof params, "{\"base_dir\": \"%s\", \"state_dir\": \"%s/state\"}", base, base);
    cfcerts_client *client = harness_client(2);
    test_refusals(client);
    test_plan_apply_plan_again(client);
    test_held_state_and_saved_plan(client);
    test_caller_runs_hooks(client);
    cfcerts_client_free(client);
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", base);
    CHECK(system(command) == 0);
    return harness_finish("test_fleet");
}
