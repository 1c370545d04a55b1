/* wasmgate's C guest SDK: a thin layer over the bindings that
 * `wasmgate-componentize bindgen-c` generates for world
 * `langgraph:auth/authorizer` (authorizer.h), plus the JSON helpers of
 * wasmgate_json.h.
 *
 * 1. Write an authenticate function and a table of authorization rules:
 *
 *        static bool authenticate(const wg_request *request, wg_user *user,
 *                                 wg_http_error *error) { ... }
 *        static void owner(const wg_authz *authz, wg_outcome *out) { ... }
 *        static const wg_rule rules[] = {{"*", "*", owner}, ...};
 *        WASMGATE_EXPORT_AUTHENTICATE(authenticate)
 *        WASMGATE_EXPORT_RULES(rules)
 *
 *    An authentication-only handler exports an empty table
 *    (`WASMGATE_EXPORT_NO_RULES()`): wasmgate then authorizes nothing.
 * 2. The export macros own the call's arguments (they free them after your
 *    function returns): your functions only borrow them.
 * 3. Everything you put into `*user`, `*error` or `*out` must be owned heap
 *    memory, because the generated post-return frees it: use the builders
 *    below (or `authorizer_string_dup`), never string literals or spans into
 *    the arguments.
 * 4. Running out of memory traps. A trap is a fault: wasmgate answers 500
 *    and never takes it as a decision.
 *
 * Build: see examples/policy-c/build.sh (clang-19 for wasm32-wasi as a
 * reactor, then `wasmgate-componentize strip` and `new`).
 */
#ifndef WASMGATE_AUTH_H
#define WASMGATE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authorizer.h"
#include "wasmgate_json.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef langgraph_auth_types_request_t wg_request;
typedef langgraph_auth_types_user_t wg_user;
typedef langgraph_auth_types_http_error_t wg_http_error;
typedef exports_langgraph_auth_authorize_auth_context_t wg_auth_context;
typedef exports_langgraph_auth_authorize_outcome_t wg_outcome;

/* The bytes of a generated string (borrowed). */
wg_span wg_str(const authorizer_string_t *s);

/* --- requests ----------------------------------------------------------- */

/* The value of header `name` (ASCII case-insensitive; the last one if it
 * repeats). Borrowed from the request. */
bool wg_request_header(const wg_request *request, const char *name, wg_span *value);

/* The `x-api-key` header; false when it is missing, empty or not UTF-8. */
bool wg_request_api_key(const wg_request *request, wg_span *key);

/* --- settings ----------------------------------------------------------- */

/* The raw text of setting `name` (JSON text unless it is a string setting);
 * false if it is not declared. `*value` is yours: authorizer_string_free it. */
bool wg_setting(const char *name, authorizer_string_t *value);

/* --- users and errors --------------------------------------------------- */

/* Fills `*user` from a JSON object: `identity` (a string, required),
 * `display_name` (string or null), `is_authenticated` (bool or null),
 * `permissions` (array of strings, default []); every other member becomes a
 * custom field. On failure returns false with `*problem` set to a static
 * message that names the field but never quotes a value (so it is safe in a
 * response detail even when the entry holds secrets), and `*user` empty. */
bool wg_user_from_json(wg_span entry, wg_user *user, const char **problem);

/* `*error` = status with `detail` (copied; NULL or "" for the status's
 * reason phrase) and no headers. */
void wg_http_error_init(wg_http_error *error, uint16_t status, const char *detail);
/* Same, with `detail` from a buffer, which it takes over. */
void wg_http_error_take(wg_http_error *error, uint16_t status, wg_buf *detail);
/* Appends a response header (both copied). */
void wg_http_error_add_header(wg_http_error *error, const char *name, const char *value);

/* --- authorization ------------------------------------------------------ */

/* One authorize call, as a rule sees it. Everything is borrowed. */
typedef struct wg_authz {
    const wg_auth_context *context;
    /* The action's value: the text of a JSON object. */
    wg_span value;
    /* The user's `identity`, decoded; empty if the user JSON has none. */
    wg_span identity;
    /* `context.is-studio-user`, or the user JSON has `kind: "StudioUser"`. */
    bool is_studio_user;
} wg_authz;

/* A rule: `out` starts as allow with the value unchanged. */
typedef void (*wg_rule_fn)(const wg_authz *authz, wg_outcome *out);

/* One rule of a table. `resource` and `action` may be "*"; "*"/"*" is the
 * global rule. Only the most specific rule runs, as in LangGraph:
 * (resource, action), then (resource, *), then (*, action), then (*, *). */
typedef struct wg_rule {
    const char *resource;
    const char *action;
    wg_rule_fn run;
} wg_rule;

/* The rule that handles (resource, action), or NULL. */
const wg_rule *wg_route(const wg_rule *rules, size_t n, wg_span resource, wg_span action);

/* Decisions. Each replaces the decision in `out`. */
void wg_allow(wg_outcome *out);
void wg_deny(wg_outcome *out);
/* A filter (JSON object text); the buffer is taken over. */
void wg_filter(wg_outcome *out, wg_buf *filter);
/* Refuse with `status` and `detail` (copied), no headers. */
void wg_refuse(wg_outcome *out, uint16_t status, const char *detail);
/* The action's value as edited (JSON object text); the buffer is taken over. */
void wg_edit(wg_outcome *out, wg_buf *value);

/* The first label of `value.namespace` when that is a non-empty array of
 * strings (its raw JSON string token: compare with wg_json_string_eq). */
bool wg_namespace_first(wg_span value, wg_span *first);

/* --- exports ------------------------------------------------------------ */

typedef bool (*wg_authenticate_fn)(const wg_request *request, wg_user *user, wg_http_error *error);

bool wg_export_authenticate(wg_authenticate_fn fn, wg_request *request, wg_user *user,
                            wg_http_error *error);
void wg_export_handlers(const wg_rule *rules, size_t n,
                        exports_langgraph_auth_authorize_list_handler_key_t *ret);
void wg_export_authorize(const wg_rule *rules, size_t n, wg_auth_context *context,
                         authorizer_string_t *value, wg_outcome *ret);

/* Exports `fn` as `authenticate`. */
#define WASMGATE_EXPORT_AUTHENTICATE(fn)                                              \
    bool exports_langgraph_auth_authenticate_authenticate(                            \
        exports_langgraph_auth_authenticate_request_t *request,                        \
        exports_langgraph_auth_authenticate_user_t *ret,                               \
        exports_langgraph_auth_authenticate_http_error_t *err) {                       \
        return wg_export_authenticate((fn), request, ret, err);                        \
    }

/* Exports the rule table `rules` (an array) as `handlers` and `authorize`. */
#define WASMGATE_EXPORT_RULES(rules)                                                  \
    void exports_langgraph_auth_authorize_handlers(                                   \
        exports_langgraph_auth_authorize_list_handler_key_t *ret) {                    \
        wg_export_handlers((rules), sizeof(rules) / sizeof((rules)[0]), ret);          \
    }                                                                                  \
    void exports_langgraph_auth_authorize_authorize(                                  \
        exports_langgraph_auth_authorize_auth_context_t *context,                      \
        authorizer_string_t *value, exports_langgraph_auth_authorize_outcome_t *ret) { \
        wg_export_authorize((rules), sizeof(rules) / sizeof((rules)[0]), context,      \
                            value, ret);                                               \
    }

/* No authorization: every action is allowed. */
#define WASMGATE_EXPORT_NO_RULES()                                                    \
    void exports_langgraph_auth_authorize_handlers(                                   \
        exports_langgraph_auth_authorize_list_handler_key_t *ret) {                    \
        wg_export_handlers(NULL, 0, ret);                                              \
    }                                                                                  \
    void exports_langgraph_auth_authorize_authorize(                                  \
        exports_langgraph_auth_authorize_auth_context_t *context,                      \
        authorizer_string_t *value, exports_langgraph_auth_authorize_outcome_t *ret) { \
        wg_export_authorize(NULL, 0, context, value, ret);                             \
    }

#ifdef __cplusplus
}
#endif

#endif
