/* Native unit tests of wasmgate_json.c: `./test.sh` (builds with the host's
 * C compiler, with AddressSanitizer and UBSan when available). */
#include "wasmgate_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond)                                                        \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                  \
    } while (0)

/* A heap copy of s without its NUL, so that ASan catches any read past it. */
static wg_span heap(const char *s) {
    size_t n = strlen(s);
    char *p = malloc(n ? n : 1);
    memcpy(p, s, n);
    wg_span span = {p, n};
    return span;
}

static void release(wg_span s) {
    free((void *)s.ptr);
}

static bool span_is(wg_span s, const char *want) {
    return wg_span_eq(s, wg_span_c(want));
}

static void test_validation(void) {
    const char *good[] = {
        "{}", "[]", " {\"a\": [1, -2.5e+3, true, false, null, \"x\"]} ", "\"\\u00e9\\ud83d\\ude00\"",
        "0", "-0", "1E9", "{\"a\":{\"b\":{}}}", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    };
    const char *bad[] = {
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{,}", "[1 2]", "01", "1.", ".5", "-", "1e",
        "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"a\nb\"", "{\"a\"}", "{\"a\" 1}", "{1:2}", "[]]", "{} x", "'a'",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        wg_span s = heap(good[i]);
        CHECK(wg_json_valid(s));
        release(s);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wg_span s = heap(bad[i]);
        if (wg_json_valid(s)) fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK(!wg_json_valid(s));
        release(s);
    }
    /* Nesting is capped. */
    char deep[600];
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    wg_span d = {deep, 600};
    CHECK(!wg_json_valid(d));
    wg_span ok = {deep + 200, 200}; /* 100 deep */
    CHECK(wg_json_valid(ok));

    wg_span s = heap(" {\"a\":1} ");
    CHECK(wg_json_kind_of(s) == WG_JSON_OBJECT);
    release(s);
    CHECK(wg_json_kind_of(wg_span_c("[1]")) == WG_JSON_ARRAY);
    CHECK(wg_json_kind_of(wg_span_c("\"x\"")) == WG_JSON_STRING);
    CHECK(wg_json_kind_of(wg_span_c("null")) == WG_JSON_NULL);
    CHECK(wg_json_kind_of(wg_span_c("false")) == WG_JSON_BOOL);
    CHECK(wg_json_kind_of(wg_span_c("-1")) == WG_JSON_NUMBER);
    CHECK(wg_json_kind_of(wg_span_c("{")) == WG_JSON_INVALID);
}

static void test_lookup(void) {
    wg_span obj = heap("{\"alice-key\": {\"identity\": \"alice\"}, \"b\\u0062\": [1], \"dup\": 1, \"dup\": 2}");
    wg_span v;
    CHECK(wg_json_get(obj, wg_span_c("alice-key"), &v) && span_is(v, "{\"identity\": \"alice\"}"));
    CHECK(wg_json_get(obj, wg_span_c("bb"), &v) && span_is(v, "[1]"));
    CHECK(wg_json_get(obj, wg_span_c("dup"), &v) && span_is(v, "2"));
    CHECK(!wg_json_get(obj, wg_span_c("alice"), &v));
    CHECK(!wg_json_get(obj, wg_span_c(""), &v));
    release(obj);

    /* Malformed or not an object: no lookup succeeds, even for an early key. */
    const char *bad[] = {"{\"a\": 1,", "{\"a\": 1} [", "[\"a\", 1]", "\"a\"", "{\"a\": 1 \"b\": 2}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wg_span s = heap(bad[i]);
        CHECK(!wg_json_get(s, wg_span_c("a"), &v));
        release(s);
    }

    wg_span arr = heap("[\"alice\", \"docs\"]");
    wg_json_iter it;
    wg_span item;
    int n = 0;
    CHECK(wg_json_items(arr, &it));
    while (wg_json_next_item(&it, &item)) n++;
    CHECK(n == 2 && !it.error);
    release(arr);

    wg_span empty = heap("[ ]");
    CHECK(wg_json_items(empty, &it) && !wg_json_next_item(&it, &item) && !it.error);
    release(empty);

    wg_span trailing = heap("[1,]");
    CHECK(wg_json_items(trailing, &it));
    CHECK(wg_json_next_item(&it, &item) && span_is(item, "1"));
    CHECK(!wg_json_next_item(&it, &item) && it.error);
    release(trailing);
}

static void test_strings(void) {
    size_t len;
    char *s = wg_json_string(wg_span_c("\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\\n\""), &len);
    CHECK(s && len == strlen("a\"b\\c\xc3\xa9\xf0\x9f\x98\x80\n") &&
          memcmp(s, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80\n", len) == 0);
    free(s);
    CHECK(wg_json_string(wg_span_c("\"\\ud800\""), NULL) == NULL);
    CHECK(wg_json_string(wg_span_c("1"), NULL) == NULL);
    CHECK(wg_json_string(wg_span_c("\"a\" \"b\""), NULL) == NULL);
    CHECK(wg_json_string_eq(wg_span_c("\"al\\u0069ce\""), wg_span_c("alice")));
    CHECK(!wg_json_string_eq(wg_span_c("\"alice\""), wg_span_c("alice-2")));
    CHECK(!wg_json_string_eq(wg_span_c("\"alice-2\""), wg_span_c("alice")));
    CHECK(!wg_json_string_eq(wg_span_c("alice"), wg_span_c("alice")));

    wg_buf b = {0};
    wg_buf_json_string(&b, "a\"b\\\n\x01z\xc3\xa9", 9);
    wg_span out = {b.ptr, b.len};
    CHECK(span_is(out, "\"a\\\"b\\\\\\n\\u0001z\xc3\xa9\""));
    /* Round trip. */
    char *back = wg_json_string(out, &len);
    CHECK(back && len == 9 && memcmp(back, "a\"b\\\n\x01z\xc3\xa9", 9) == 0);
    free(back);
    wg_buf_free(&b);
}

static void test_set(void) {
    wg_buf b = {0};
    CHECK(wg_json_set(wg_span_c("{\"owner\": \"mallory\", \"x\": 1, \"owner\": 3}"), wg_span_c("owner"),
                      wg_span_c("\"alice\""), &b));
    CHECK(span_is((wg_span){b.ptr, b.len}, "{\"owner\":\"alice\",\"x\":1}"));
    wg_buf_free(&b);
    CHECK(wg_json_set(wg_span_c("{}"), wg_span_c("owner"), wg_span_c("\"alice\""), &b));
    CHECK(span_is((wg_span){b.ptr, b.len}, "{\"owner\":\"alice\"}"));
    wg_buf_free(&b);
    CHECK(wg_json_set(wg_span_c("{\"x\": [1, 2]}"), wg_span_c("a\"b"), wg_span_c("{}"), &b));
    CHECK(span_is((wg_span){b.ptr, b.len}, "{\"x\":[1, 2],\"a\\\"b\":{}}"));
    wg_buf_free(&b);
    CHECK(!wg_json_set(wg_span_c("[1]"), wg_span_c("a"), wg_span_c("1"), &b));
    wg_buf_free(&b);
    CHECK(!wg_json_set(wg_span_c("{\"a\":}"), wg_span_c("a"), wg_span_c("1"), &b));
    wg_buf_free(&b);
}

static void test_utf8(void) {
    CHECK(wg_utf8_valid("alice-key", 9));
    CHECK(wg_utf8_valid("\xc3\xa9\xf0\x9f\x98\x80", 6));
    CHECK(!wg_utf8_valid("\xff", 1));
    CHECK(!wg_utf8_valid("\xc3", 1));
    CHECK(!wg_utf8_valid("\xc0\xaf", 2));         /* overlong */
    CHECK(!wg_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!wg_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}

int main(void) {
    test_validation();
    test_lookup();
    test_strings();
    test_set();
    test_utf8();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
