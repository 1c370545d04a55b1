/* A small JSON reader and writer for wasmgate's C guests.
 *
 * Reading works on spans of JSON text: no tree is built and nothing is
 * allocated; every function checks its input and never reads past the span,
 * so malformed text makes a lookup fail, never overrun. Writing appends to a
 * growable buffer (`wg_buf`) whose bytes can be handed to the generated
 * bindings as an owned string.
 *
 * It does not depend on the generated bindings, so it is unit-tested
 * natively: `guest-sdk/c/test.sh`.
 */
#ifndef WASMGATE_JSON_H
#define WASMGATE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Borrowed bytes: not NUL-terminated, not owned. */
typedef struct wg_span {
    const char *ptr;
    size_t len;
} wg_span;

/* A span over a NUL-terminated string. */
wg_span wg_span_c(const char *s);
/* Whether the two spans hold the same bytes. */
bool wg_span_eq(wg_span a, wg_span b);

typedef enum wg_json_kind {
    WG_JSON_INVALID = 0,
    WG_JSON_NULL,
    WG_JSON_BOOL,
    WG_JSON_NUMBER,
    WG_JSON_STRING,
    WG_JSON_ARRAY,
    WG_JSON_OBJECT,
} wg_json_kind;

/* Whether `text` is exactly one well-formed JSON value (whitespace around it
 * allowed; nesting deeper than 128 levels is refused). */
bool wg_json_valid(wg_span text);

/* The kind of the single JSON value in `value` (WG_JSON_INVALID unless the
 * whole span is one well-formed value). */
wg_json_kind wg_json_kind_of(wg_span value);

/* The value of member `key` of the object `object` (the last one if the key
 * repeats, as serde_json and Python do). False if `object` is not a
 * well-formed object or has no such member. `*value` is trimmed. */
bool wg_json_get(wg_span object, wg_span key, wg_span *value);

/* Iteration over an object's members or an array's items:
 *
 *     wg_json_iter it;
 *     wg_span key, value;
 *     if (!wg_json_members(object, &it)) ...not an object...
 *     while (wg_json_next_member(&it, &key, &value)) { ... }
 *     if (it.error) ...malformed...
 *
 * `key` is the member's raw JSON string token, quotes included (decode it
 * with wg_json_string / compare it with wg_json_string_eq). */
typedef struct wg_json_iter {
    const char *at;
    const char *end;
    bool first;
    bool done;
    bool error;
} wg_json_iter;

bool wg_json_members(wg_span object, wg_json_iter *it);
bool wg_json_next_member(wg_json_iter *it, wg_span *key, wg_span *value);
bool wg_json_items(wg_span array, wg_json_iter *it);
bool wg_json_next_item(wg_json_iter *it, wg_span *item);

/* Whether the JSON string token `string` decodes to exactly `bytes`. */
bool wg_json_string_eq(wg_span string, wg_span bytes);

/* Decodes the JSON string token `string` into a fresh NUL-terminated buffer
 * (malloc'd; free it, or hand it to the bindings as an owned string). NULL if
 * `string` is not a well-formed JSON string (lone surrogates included).
 * `*len` (if not NULL) receives the decoded length. */
char *wg_json_string(wg_span string, size_t *len);

/* A growable output buffer (malloc'd). Start with `wg_buf b = {0};`. Running
 * out of memory traps: a fault, which wasmgate answers with a 500 and never
 * takes as a decision. */
typedef struct wg_buf {
    char *ptr;
    size_t len;
    size_t cap;
} wg_buf;

void wg_buf_raw(wg_buf *b, const char *bytes, size_t len);
void wg_buf_span(wg_buf *b, wg_span s);
void wg_buf_cstr(wg_buf *b, const char *s);
/* `bytes` as a quoted, escaped JSON string. */
void wg_buf_json_string(wg_buf *b, const char *bytes, size_t len);
void wg_buf_free(wg_buf *b);

/* Writes `object` with member `key` set to the JSON text `value` into `out`:
 * the first `key` member is replaced in place, later duplicates are dropped,
 * and the member is appended if absent. False if `object` is not a
 * well-formed object. */
bool wg_json_set(wg_span object, wg_span key, wg_span value, wg_buf *out);

/* Whether `bytes` is valid UTF-8. */
bool wg_utf8_valid(const char *bytes, size_t len);

#ifdef __cplusplus
}
#endif

#endif
