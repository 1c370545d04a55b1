/* The shared policy in C: API keys with custom fields, owner scoping, store
 * namespaces scoped to the identity, Studio pass-through. It behaves exactly
 * as the Rust reference, examples/owner-scoping/src/lib.rs.
 *
 * Build: ./build.sh (see README.md). */
#include <stdlib.h>

#include "wasmgate_auth.h"

/* --- authentication ----------------------------------------------------- */

static bool misconfigured(wg_http_error *error, const char *why, const char *more) {
    wg_buf detail = {0};
    wg_buf_cstr(&detail, "auth handler misconfigured: ");
    wg_buf_cstr(&detail, why);
    if (more) wg_buf_cstr(&detail, more);
    wg_http_error_take(error, 500, &detail);
    return false;
}

/* `x-api-key`, looked up in the setting `api_keys`: {"<key>": {user entry}}. */
static bool authenticate(const wg_request *request, wg_user *user, wg_http_error *error) {
    authorizer_string_t setting;
    if (!wg_setting("api_keys", &setting)) {
        return misconfigured(error, "setting `api_keys` is not declared", NULL);
    }
    wg_span keys = wg_str(&setting), key, entry;
    const char *problem;
    bool ok = false;
    switch (wg_json_kind_of(keys)) {
    case WG_JSON_OBJECT:
        if (!wg_request_api_key(request, &key) || !wg_json_get(keys, key, &entry)) {
            wg_http_error_init(error, 401, "Invalid API key");
            wg_http_error_add_header(error, "www-authenticate", "ApiKey");
        } else if (!wg_user_from_json(entry, user, &problem)) {
            misconfigured(error, "an `api_keys` entry is not a user: ", problem);
        } else {
            ok = true;
        }
        break;
    case WG_JSON_INVALID:
        misconfigured(error, "setting `api_keys` is not valid JSON", NULL);
        break;
    default:
        misconfigured(error, "setting `api_keys` does not have the expected shape", NULL);
        break;
    }
    authorizer_string_free(&setting);
    return ok;
}

/* --- authorization ------------------------------------------------------ */

/* `{"owner": <identity>}`, optionally wrapped: `{"$or": [<that>, {"created_by": "system"}]}`. */
static void owner_filter(const wg_authz *authz, wg_outcome *out, bool or_system) {
    wg_buf filter = {0};
    if (or_system) wg_buf_cstr(&filter, "{\"$or\":[");
    wg_buf_cstr(&filter, "{\"owner\":");
    wg_buf_json_string(&filter, authz->identity.ptr, authz->identity.len);
    wg_buf_cstr(&filter, "}");
    if (or_system) wg_buf_cstr(&filter, ",{\"created_by\":\"system\"}]}");
    wg_filter(out, &filter);
}

/* Global: stamp `metadata.owner = identity` when `metadata` is an object, and
 * see only what you own. */
static void owner(const wg_authz *authz, wg_outcome *out) {
    if (authz->is_studio_user) {
        wg_allow(out);
        return;
    }
    wg_span metadata, current;
    if (wg_json_get(authz->value, wg_span_c("metadata"), &metadata) &&
        wg_json_kind_of(metadata) == WG_JSON_OBJECT &&
        !(wg_json_get(metadata, wg_span_c("owner"), &current) &&
          wg_json_string_eq(current, authz->identity))) {
        wg_buf identity = {0}, stamped = {0}, edited = {0};
        wg_buf_json_string(&identity, authz->identity.ptr, authz->identity.len);
        /* Both are well-formed objects (checked above), so neither set fails;
         * if one did, trapping fails closed. */
        if (!wg_json_set(metadata, wg_span_c("owner"), (wg_span){identity.ptr, identity.len}, &stamped) ||
            !wg_json_set(authz->value, wg_span_c("metadata"), (wg_span){stamped.ptr, stamped.len}, &edited)) {
            abort();
        }
        wg_edit(out, &edited);
        wg_buf_free(&identity);
        wg_buf_free(&stamped);
    }
    owner_filter(authz, out, false);
}

/* assistants.read / assistants.search: yours, and each graph's system assistant. */
static void own_or_system_assistants(const wg_authz *authz, wg_outcome *out) {
    if (authz->is_studio_user) {
        wg_allow(out);
        return;
    }
    owner_filter(authz, out, true);
}

/* store.*: the first namespace label must be your identity. */
static void own_namespace(const wg_authz *authz, wg_outcome *out) {
    if (authz->is_studio_user) {
        wg_allow(out);
        return;
    }
    wg_span first;
    if (wg_namespace_first(authz->value, &first) && wg_json_string_eq(first, authz->identity)) {
        wg_allow(out);
        return;
    }
    wg_refuse(out, 403, "Not authorized");
}

static const wg_rule rules[] = {
    {"*", "*", owner},
    {"assistants", "read", own_or_system_assistants},
    {"assistants", "search", own_or_system_assistants},
    {"store", "*", own_namespace},
};

WASMGATE_EXPORT_AUTHENTICATE(authenticate)
WASMGATE_EXPORT_RULES(rules)
