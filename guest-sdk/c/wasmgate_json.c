/* See wasmgate_json.h. Input text is assumed to be UTF-8 (WIT strings are);
 * the grammar is RFC 8259's, checked strictly: no trailing commas, no
 * comments, no leading zeros, no control characters in strings, no lone
 * surrogate escapes (serde_json's rules). */
#include "wasmgate_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 128

wg_span wg_span_c(const char *s) {
    wg_span span = {s, s ? strlen(s) : 0};
    return span;
}

bool wg_span_eq(wg_span a, wg_span b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && is_ws(*p)) p++;
    return p;
}

static wg_span trim(wg_span s) {
    const char *p = s.ptr, *end = s.ptr + s.len;
    if (!p) return s;
    p = skip_ws(p, end);
    while (end > p && is_ws(end[-1])) end--;
    wg_span out = {p, (size_t)(end - p)};
    return out;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the four hex digits at p (p + 4 <= end checked by the caller). */
static int32_t hex4(const char *p) {
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* One `\uXXXX` escape (p at the backslash), and its low surrogate if it is a
 * high one. Returns the position after it and the code point in *cp. */
static const char *scan_unicode_escape(const char *p, const char *end, uint32_t *cp) {
    if (end - p < 6 || p[1] != 'u') return NULL;
    int32_t hi = hex4(p + 2);
    if (hi < 0) return NULL;
    p += 6;
    if (hi >= 0xDC00 && hi <= 0xDFFF) return NULL; /* lone low surrogate */
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return NULL;
        int32_t lo = hex4(p + 2);
        if (lo < 0xDC00 || lo > 0xDFFF) return NULL;
        p += 6;
        *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        return p;
    }
    *cp = (uint32_t)hi;
    return p;
}

/* A string token starting at p (which must be '"'); returns the position
 * after its closing quote, or NULL. */
static const char *scan_string(const char *p, const char *end) {
    if (p >= end || *p != '"') return NULL;
    p++;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL;
        if (c != '\\') {
            p++;
            continue;
        }
        if (end - p < 2) return NULL;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u': {
            uint32_t cp;
            p = scan_unicode_escape(p, end, &cp);
            if (!p) return NULL;
            break;
        }
        default:
            return NULL;
        }
    }
    return NULL;
}

static const char *scan_digits(const char *p, const char *end) {
    const char *start = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    return p == start ? NULL : p;
}

static const char *scan_number(const char *p, const char *end) {
    if (p < end && *p == '-') p++;
    if (p >= end) return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        p = scan_digits(p, end);
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p = scan_digits(p + 1, end);
        if (!p) return NULL;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        p = scan_digits(p, end);
    }
    return p;
}

static const char *scan_literal(const char *p, const char *end, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0) return NULL;
    return p + n;
}

static const char *scan_value(const char *p, const char *end, int depth);

static const char *scan_array(const char *p, const char *end, int depth) {
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') return p + 1;
    for (;;) {
        p = scan_value(p, end, depth);
        if (!p) return NULL;
        p = skip_ws(p, end);
        if (p >= end) return NULL;
        if (*p == ']') return p + 1;
        if (*p != ',') return NULL;
        p = skip_ws(p + 1, end);
    }
}

static const char *scan_object(const char *p, const char *end, int depth) {
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') return p + 1;
    for (;;) {
        p = scan_string(p, end);
        if (!p) return NULL;
        p = skip_ws(p, end);
        if (p >= end || *p != ':') return NULL;
        p = scan_value(skip_ws(p + 1, end), end, depth);
        if (!p) return NULL;
        p = skip_ws(p, end);
        if (p >= end) return NULL;
        if (*p == '}') return p + 1;
        if (*p != ',') return NULL;
        p = skip_ws(p + 1, end);
    }
}

/* One value starting exactly at p (no leading whitespace); returns the
 * position after it, or NULL. */
static const char *scan_value(const char *p, const char *end, int depth) {
    if (p >= end) return NULL;
    switch (*p) {
    case '{':
        return depth >= MAX_DEPTH ? NULL : scan_object(p, end, depth + 1);
    case '[':
        return depth >= MAX_DEPTH ? NULL : scan_array(p, end, depth + 1);
    case '"':
        return scan_string(p, end);
    case 't':
        return scan_literal(p, end, "true");
    case 'f':
        return scan_literal(p, end, "false");
    case 'n':
        return scan_literal(p, end, "null");
    default:
        return scan_number(p, end);
    }
}

bool wg_json_valid(wg_span text) {
    if (!text.ptr) return false;
    const char *end = text.ptr + text.len;
    const char *p = scan_value(skip_ws(text.ptr, end), end, 0);
    return p && skip_ws(p, end) == end;
}

wg_json_kind wg_json_kind_of(wg_span value) {
    value = trim(value);
    if (!wg_json_valid(value)) return WG_JSON_INVALID;
    switch (value.ptr[0]) {
    case '{': return WG_JSON_OBJECT;
    case '[': return WG_JSON_ARRAY;
    case '"': return WG_JSON_STRING;
    case 't': case 'f': return WG_JSON_BOOL;
    case 'n': return WG_JSON_NULL;
    default: return WG_JSON_NUMBER;
    }
}

/* --- iteration ---------------------------------------------------------- */

static bool iter_open(wg_span s, char open, wg_json_iter *it) {
    memset(it, 0, sizeof *it);
    s = trim(s);
    if (!s.ptr || s.len == 0 || s.ptr[0] != open) {
        it->done = it->error = true;
        return false;
    }
    it->at = s.ptr + 1;
    it->end = s.ptr + s.len;
    it->first = true;
    return true;
}

/* Consumes the separator before the next entry. Returns the start of the
 * entry, or NULL when the container closed (done) or is malformed (error). */
static const char *iter_step(wg_json_iter *it, char close) {
    if (it->done) return NULL;
    const char *p = skip_ws(it->at, it->end);
    if (p < it->end && *p == close) {
        /* Closed: nothing but whitespace may follow. */
        it->done = true;
        if (skip_ws(p + 1, it->end) != it->end) it->error = true;
        return NULL;
    }
    if (!it->first) {
        if (p >= it->end || *p != ',') {
            it->done = it->error = true;
            return NULL;
        }
        p = skip_ws(p + 1, it->end);
    }
    it->first = false;
    return p;
}

bool wg_json_members(wg_span object, wg_json_iter *it) {
    return iter_open(object, '{', it);
}

bool wg_json_items(wg_span array, wg_json_iter *it) {
    return iter_open(array, '[', it);
}

bool wg_json_next_member(wg_json_iter *it, wg_span *key, wg_span *value) {
    const char *p = iter_step(it, '}');
    if (!p) return false;
    const char *key_end = scan_string(p, it->end);
    if (!key_end) goto malformed;
    const char *q = skip_ws(key_end, it->end);
    if (q >= it->end || *q != ':') goto malformed;
    q = skip_ws(q + 1, it->end);
    const char *value_end = scan_value(q, it->end, 1);
    if (!value_end) goto malformed;
    key->ptr = p;
    key->len = (size_t)(key_end - p);
    value->ptr = q;
    value->len = (size_t)(value_end - q);
    it->at = value_end;
    return true;
malformed:
    it->done = it->error = true;
    return false;
}

bool wg_json_next_item(wg_json_iter *it, wg_span *item) {
    const char *p = iter_step(it, ']');
    if (!p) return false;
    const char *item_end = scan_value(p, it->end, 1);
    if (!item_end) {
        it->done = it->error = true;
        return false;
    }
    item->ptr = p;
    item->len = (size_t)(item_end - p);
    it->at = item_end;
    return true;
}

bool wg_json_get(wg_span object, wg_span key, wg_span *value) {
    wg_json_iter it;
    wg_span k, v;
    bool found = false;
    if (!wg_json_members(object, &it)) return false;
    while (wg_json_next_member(&it, &k, &v)) {
        if (wg_json_string_eq(k, key)) {
            *value = v;
            found = true;
        }
    }
    return found && !it.error;
}

/* --- strings ------------------------------------------------------------ */

static size_t put_utf8(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a token already checked by scan_string into out (room for at
 * least token.len bytes: decoding never grows). Returns the decoded length. */
static size_t decode_checked(wg_span token, char *out) {
    const char *p = token.ptr + 1, *end = token.ptr + token.len - 1;
    size_t n = 0;
    while (p < end) {
        if (*p != '\\') {
            out[n++] = *p++;
            continue;
        }
        switch (p[1]) {
        case 'b': out[n++] = '\b'; p += 2; break;
        case 'f': out[n++] = '\f'; p += 2; break;
        case 'n': out[n++] = '\n'; p += 2; break;
        case 'r': out[n++] = '\r'; p += 2; break;
        case 't': out[n++] = '\t'; p += 2; break;
        case 'u': {
            uint32_t cp = 0;
            p = scan_unicode_escape(p, end, &cp);
            n += put_utf8(out + n, cp);
            break;
        }
        default: /* '"', '\\', '/' */
            out[n++] = p[1];
            p += 2;
            break;
        }
    }
    return n;
}

static bool is_string_token(wg_span token) {
    return token.ptr && token.len >= 2 && scan_string(token.ptr, token.ptr + token.len) == token.ptr + token.len;
}

char *wg_json_string(wg_span string, size_t *len) {
    string = trim(string);
    if (!is_string_token(string)) return NULL;
    char *out = malloc(string.len + 1);
    if (!out) abort();
    size_t n = decode_checked(string, out);
    out[n] = '\0';
    if (len) *len = n;
    return out;
}

bool wg_json_string_eq(wg_span string, wg_span bytes) {
    string = trim(string);
    if (!is_string_token(string)) return false;
    wg_span body = {string.ptr + 1, string.len - 2};
    if (!memchr(body.ptr, '\\', body.len)) return wg_span_eq(body, bytes);
    if (bytes.len > body.len) return false; /* decoding never grows */
    char small[256];
    char *out = body.len <= sizeof small ? small : malloc(body.len);
    if (!out) abort();
    size_t n = decode_checked(string, out);
    wg_span decoded = {out, n};
    bool eq = wg_span_eq(decoded, bytes);
    if (out != small) free(out);
    return eq;
}

/* --- writing ------------------------------------------------------------ */

void wg_buf_raw(wg_buf *b, const char *bytes, size_t len) {
    if (len == 0) return;
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len < len) {
            if (cap > SIZE_MAX / 2) abort();
            cap *= 2;
        }
        char *grown = realloc(b->ptr, cap);
        if (!grown) abort();
        b->ptr = grown;
        b->cap = cap;
    }
    memcpy(b->ptr + b->len, bytes, len);
    b->len += len;
}

void wg_buf_span(wg_buf *b, wg_span s) {
    wg_buf_raw(b, s.ptr, s.len);
}

void wg_buf_cstr(wg_buf *b, const char *s) {
    wg_buf_raw(b, s, strlen(s));
}

void wg_buf_json_string(wg_buf *b, const char *bytes, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* bytes copied verbatim since the last escape */
    wg_buf_raw(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        const char *esc = NULL;
        char u[6];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 0xF];
            }
        }
        if (!esc && c >= 0x20) {
            run++;
            continue;
        }
        wg_buf_raw(b, bytes + i - run, run);
        run = 0;
        if (esc) wg_buf_cstr(b, esc);
        else wg_buf_raw(b, u, sizeof u);
    }
    wg_buf_raw(b, bytes + len - run, run);
    wg_buf_raw(b, "\"", 1);
}

void wg_buf_free(wg_buf *b) {
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

bool wg_json_set(wg_span object, wg_span key, wg_span value, wg_buf *out) {
    wg_json_iter it;
    wg_span k, v;
    bool replaced = false, first = true;
    if (!wg_json_members(object, &it)) return false;
    wg_buf_raw(out, "{", 1);
    while (wg_json_next_member(&it, &k, &v)) {
        bool match = wg_json_string_eq(k, key);
        if (match && replaced) continue;
        if (!first) wg_buf_raw(out, ",", 1);
        first = false;
        wg_buf_span(out, k);
        wg_buf_raw(out, ":", 1);
        wg_buf_span(out, match ? value : v);
        replaced |= match;
    }
    if (it.error) return false;
    if (!replaced) {
        if (!first) wg_buf_raw(out, ",", 1);
        wg_buf_json_string(out, key.ptr, key.len);
        wg_buf_raw(out, ":", 1);
        wg_buf_span(out, value);
    }
    wg_buf_raw(out, "}", 1);
    return true;
}

/* --- UTF-8 -------------------------------------------------------------- */

bool wg_utf8_valid(const char *bytes, size_t len) {
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= n) return false;
        for (size_t j = 1; j <= n; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}
