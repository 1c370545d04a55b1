/* See wasmgate_auth.h. */
#include "wasmgate_auth.h"

#include <stdlib.h>
#include <string.h>

wg_span wg_str(const authorizer_string_t *s) {
    wg_span span = {(const char *)s->ptr, s->len};
    return span;
}

/* --- ownership helpers -------------------------------------------------- */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* A generated string that owns `len` bytes at `p` (malloc'd). The generated
 * free functions skip empty strings, so an empty one owns nothing. */
static void own(authorizer_string_t *out, char *p, size_t len) {
    if (len == 0) {
        free(p);
        p = NULL;
    }
    out->ptr = (uint8_t *)p;
    out->len = len;
}

static void own_copy(authorizer_string_t *out, const char *bytes, size_t len) {
    char *p = NULL;
    if (len) {
        p = xmalloc(len);
        memcpy(p, bytes, len);
    }
    own(out, p, len);
}

static void own_buf(authorizer_string_t *out, wg_buf *b) {
    own(out, b->ptr, b->len);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

/* --- requests ----------------------------------------------------------- */

static char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ascii_ieq(wg_span a, wg_span b) {
    if (a.len != b.len) return false;
    for (size_t i = 0; i < a.len; i++) {
        if (ascii_lower(a.ptr[i]) != ascii_lower(b.ptr[i])) return false;
    }
    return true;
}

bool wg_request_header(const wg_request *request, const char *name, wg_span *value) {
    wg_span wanted = wg_span_c(name);
    for (size_t i = request->headers.len; i-- > 0;) {
        const langgraph_auth_types_header_t *h = &request->headers.ptr[i];
        if (ascii_ieq(wg_str(&h->name), wanted)) {
            value->ptr = (const char *)h->value.ptr;
            value->len = h->value.len;
            return true;
        }
    }
    return false;
}

bool wg_request_api_key(const wg_request *request, wg_span *key) {
    return wg_request_header(request, "x-api-key", key) && key->len > 0 &&
           wg_utf8_valid(key->ptr, key->len);
}

/* --- settings ----------------------------------------------------------- */

bool wg_setting(const char *name, authorizer_string_t *value) {
    authorizer_string_t borrowed;
    authorizer_string_set(&borrowed, name);
    return langgraph_auth_settings_get(&borrowed, value);
}

/* --- users and errors --------------------------------------------------- */

static bool is_reserved(wg_span key) {
    static const char *const reserved[] = {"identity", "display_name", "is_authenticated", "permissions"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        if (wg_json_string_eq(key, wg_span_c(reserved[i]))) return true;
    }
    return false;
}

static void own_decoded(authorizer_string_t *out, wg_span token) {
    size_t len;
    char *s = wg_json_string(token, &len); /* token already checked: never NULL */
    if (!s) abort();
    own(out, s, len);
}

static bool fail(wg_user *user, const char **problem, const char *message) {
    langgraph_auth_types_user_free(user);
    memset(user, 0, sizeof *user);
    *problem = message;
    return false;
}

bool wg_user_from_json(wg_span entry, wg_user *user, const char **problem) {
    wg_span identity = {0}, display_name = {0}, is_authenticated = {0}, permissions = {0};
    wg_span key, value;
    wg_json_iter it;
    wg_buf custom = {0};
    bool any_custom = false;

    memset(user, 0, sizeof *user);
    if (wg_json_kind_of(entry) != WG_JSON_OBJECT || !wg_json_members(entry, &it)) {
        return fail(user, problem, "a user must be a JSON object");
    }
    /* The last occurrence of a key wins, as when serde_json reads the entry. */
    wg_buf_raw(&custom, "{", 1);
    while (wg_json_next_member(&it, &key, &value)) {
        if (wg_json_string_eq(key, wg_span_c("identity"))) identity = value;
        else if (wg_json_string_eq(key, wg_span_c("display_name"))) display_name = value;
        else if (wg_json_string_eq(key, wg_span_c("is_authenticated"))) is_authenticated = value;
        else if (wg_json_string_eq(key, wg_span_c("permissions"))) permissions = value;
        if (is_reserved(key)) continue;
        if (any_custom) wg_buf_raw(&custom, ",", 1);
        any_custom = true;
        wg_buf_span(&custom, key);
        wg_buf_raw(&custom, ":", 1);
        wg_buf_span(&custom, value);
    }
    wg_buf_raw(&custom, "}", 1);

    if (!identity.ptr || wg_json_kind_of(identity) != WG_JSON_STRING) {
        wg_buf_free(&custom);
        return fail(user, problem, "user field `identity` must be a string");
    }
    own_decoded(&user->identity, identity);

    if (display_name.ptr && wg_json_kind_of(display_name) != WG_JSON_NULL) {
        if (wg_json_kind_of(display_name) != WG_JSON_STRING) {
            wg_buf_free(&custom);
            return fail(user, problem, "user field `display_name` must be a string or null");
        }
        user->display_name.is_some = true;
        own_decoded(&user->display_name.val, display_name);
    }

    if (is_authenticated.ptr && wg_json_kind_of(is_authenticated) != WG_JSON_NULL) {
        if (wg_json_kind_of(is_authenticated) != WG_JSON_BOOL) {
            wg_buf_free(&custom);
            return fail(user, problem, "user field `is_authenticated` must be a boolean or null");
        }
        user->is_authenticated.is_some = true;
        user->is_authenticated.val = is_authenticated.ptr[0] == 't';
    }

    if (permissions.ptr) {
        wg_span item;
        size_t n = 0;
        if (!wg_json_items(permissions, &it)) goto bad_permissions;
        while (wg_json_next_item(&it, &item)) {
            if (wg_json_kind_of(item) != WG_JSON_STRING) goto bad_permissions;
            n++;
        }
        if (it.error) goto bad_permissions;
        if (n) {
            user->permissions.ptr = xmalloc(n * sizeof(authorizer_string_t));
            wg_json_items(permissions, &it);
            for (size_t i = 0; i < n && wg_json_next_item(&it, &item); i++) {
                own_decoded(&user->permissions.ptr[i], item);
                user->permissions.len = i + 1;
            }
        }
    }

    own_buf(&user->custom_fields, &custom);
    return true;

bad_permissions:
    wg_buf_free(&custom);
    return fail(user, problem, "user field `permissions` must be an array of strings");
}

static void detail_of(authorizer_option_string_t *detail, const char *text, size_t len) {
    detail->is_some = len > 0;
    if (detail->is_some) own_copy(&detail->val, text, len);
}

void wg_http_error_init(wg_http_error *error, uint16_t status, const char *detail) {
    memset(error, 0, sizeof *error);
    error->status = status;
    if (detail) detail_of(&error->detail, detail, strlen(detail));
}

void wg_http_error_take(wg_http_error *error, uint16_t status, wg_buf *detail) {
    memset(error, 0, sizeof *error);
    error->status = status;
    if (detail->len) {
        error->detail.is_some = true;
        own_buf(&error->detail.val, detail);
    } else {
        wg_buf_free(detail);
    }
}

void wg_http_error_add_header(wg_http_error *error, const char *name, const char *value) {
    size_t n = error->headers.len + 1;
    authorizer_tuple2_string_string_t *grown =
        realloc(error->headers.ptr, n * sizeof(authorizer_tuple2_string_string_t));
    if (!grown) abort();
    own_copy(&grown[n - 1].f0, name, strlen(name));
    own_copy(&grown[n - 1].f1, value, strlen(value));
    error->headers.ptr = grown;
    error->headers.len = n;
}

/* --- authorization ------------------------------------------------------ */

const wg_rule *wg_route(const wg_rule *rules, size_t n, wg_span resource, wg_span action) {
    const wg_span star = wg_span_c("*");
    const wg_span order[4][2] = {{resource, action}, {resource, star}, {star, action}, {star, star}};
    for (size_t k = 0; k < 4; k++) {
        for (size_t i = 0; i < n; i++) {
            if (wg_span_eq(wg_span_c(rules[i].resource), order[k][0]) &&
                wg_span_eq(wg_span_c(rules[i].action), order[k][1])) {
                return &rules[i];
            }
        }
    }
    return NULL;
}

/* Drops whatever the decision owns. */
static void clear_decision(wg_outcome *out) {
    exports_langgraph_auth_authorize_decision_free(&out->decision);
    memset(&out->decision, 0, sizeof out->decision);
}

void wg_allow(wg_outcome *out) {
    clear_decision(out);
    out->decision.tag = EXPORTS_LANGGRAPH_AUTH_AUTHORIZE_DECISION_ALLOW;
}

void wg_deny(wg_outcome *out) {
    clear_decision(out);
    out->decision.tag = EXPORTS_LANGGRAPH_AUTH_AUTHORIZE_DECISION_DENY;
}

void wg_filter(wg_outcome *out, wg_buf *filter) {
    clear_decision(out);
    out->decision.tag = EXPORTS_LANGGRAPH_AUTH_AUTHORIZE_DECISION_FILTER;
    own_buf(&out->decision.val.filter, filter);
}

void wg_refuse(wg_outcome *out, uint16_t status, const char *detail) {
    clear_decision(out);
    out->decision.tag = EXPORTS_LANGGRAPH_AUTH_AUTHORIZE_DECISION_ERROR;
    wg_http_error_init(&out->decision.val.error, status, detail);
}

void wg_edit(wg_outcome *out, wg_buf *value) {
    authorizer_option_string_free(&out->value);
    out->value.is_some = true;
    own_buf(&out->value.val, value);
}

bool wg_namespace_first(wg_span value, wg_span *first) {
    wg_span namespace, item;
    wg_json_iter it;
    size_t n = 0;
    if (!wg_json_get(value, wg_span_c("namespace"), &namespace) || !wg_json_items(namespace, &it)) {
        return false;
    }
    while (wg_json_next_item(&it, &item)) {
        if (wg_json_kind_of(item) != WG_JSON_STRING) return false;
        if (n++ == 0) *first = item;
    }
    return n > 0 && !it.error;
}

/* --- exports ------------------------------------------------------------ */

bool wg_export_authenticate(wg_authenticate_fn fn, wg_request *request, wg_user *user,
                            wg_http_error *error) {
    memset(user, 0, sizeof *user);
    memset(error, 0, sizeof *error);
    bool ok = fn(request, user, error);
    exports_langgraph_auth_authenticate_request_free(request);
    return ok;
}

void wg_export_handlers(const wg_rule *rules, size_t n,
                        exports_langgraph_auth_authorize_list_handler_key_t *ret) {
    ret->ptr = NULL;
    ret->len = n;
    if (n == 0) return;
    ret->ptr = xmalloc(n * sizeof *ret->ptr);
    for (size_t i = 0; i < n; i++) {
        own_copy(&ret->ptr[i].resource, rules[i].resource, strlen(rules[i].resource));
        own_copy(&ret->ptr[i].action, rules[i].action, strlen(rules[i].action));
    }
}

void wg_export_authorize(const wg_rule *rules, size_t n, wg_auth_context *context,
                         authorizer_string_t *value, wg_outcome *ret) {
    wg_authz authz = {0};
    wg_span user = wg_str(&context->user), identity, kind;
    char *decoded = NULL;
    size_t len = 0;

    memset(ret, 0, sizeof *ret); /* allow, value unchanged */
    authz.context = context;
    authz.value = wg_str(value);
    if (wg_json_get(user, wg_span_c("identity"), &identity)) decoded = wg_json_string(identity, &len);
    authz.identity.ptr = decoded ? decoded : "";
    authz.identity.len = decoded ? len : 0;
    authz.is_studio_user = context->is_studio_user ||
                           (wg_json_get(user, wg_span_c("kind"), &kind) &&
                            wg_json_string_eq(kind, wg_span_c("StudioUser")));

    const wg_rule *rule = wg_route(rules, n, wg_str(&context->resource), wg_str(&context->action));
    if (rule) rule->run(&authz, ret);

    free(decoded);
    exports_langgraph_auth_authorize_auth_context_free(context);
    authorizer_string_free(value);
}
