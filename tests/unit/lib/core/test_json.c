#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/json.h"

static void expect_doc(struct ot_jw *w, const char *want)
{
    assert_true(ot_jw_ok(w));
    assert_int_equal(w->len, strlen(want));
    assert_memory_equal(w->buf, want, w->len);
}

static void test_structure(void **state)
{
    struct ot_jw w;
    assert_int_equal(ot_jw_init(&w, 8, 4096), 0);
    ot_jw_obj_open(&w, NULL);
    ot_jw_str(&w, "a", "x");
    ot_jw_u64(&w, "n", 18446744073709551615ULL);
    ot_jw_i64(&w, "neg", -42);
    ot_jw_bool(&w, "t", true);
    ot_jw_null(&w, "z");
    ot_jw_arr_open(&w, "arr");
    ot_jw_u64(&w, NULL, 1);
    ot_jw_obj_open(&w, NULL);
    ot_jw_obj_close(&w);
    ot_jw_arr_open(&w, NULL);
    ot_jw_arr_close(&w);
    ot_jw_arr_close(&w);
    ot_jw_obj_open(&w, "o");
    ot_jw_hex(&w, "h", (const uint8_t *)"\x01\xab", 2, ':');
    ot_jw_obj_close(&w);
    ot_jw_obj_close(&w);
    expect_doc(&w, "{\"a\":\"x\",\"n\":18446744073709551615,\"neg\":-42,\"t\":true,\"z\":null,"
                   "\"arr\":[1,{},[]],\"o\":{\"h\":\"01:ab\"}}");
    ot_jw_free(&w);
}

static void test_escaping(void **state)
{
    struct ot_jw w;
    assert_int_equal(ot_jw_init(&w, 16, 4096), 0);
    /* quote, backslash, control, valid UTF-8 (日本), invalid bytes, NUL */
    const char in[] = "q\"b\\c\x01\n\xe6\x97\xa5\xe6\x9c\xac\xff\xc0\x80z\0end";
    ot_jw_obj_open(&w, NULL);
    ot_jw_strn(&w, "s", in, sizeof(in) - 1);
    ot_jw_obj_close(&w);
    expect_doc(&w, "{\"s\":\"q\\\"b\\\\c\\u0001\\n\xe6\x97\xa5\xe6\x9c\xac\\u00ff\\u00c0\\u0080z"
                   "\\u0000end\"}");
    /* The result must parse as JSON and give back the valid characters. */
    json_error_t err;
    json_t *j = json_loadb(w.buf, w.len, JSON_ALLOW_NUL, &err);
    assert_non_null(j);
    json_decref(j);
    ot_jw_free(&w);
}

static void test_bound(void **state)
{
    struct ot_jw w;
    assert_int_equal(ot_jw_init(&w, 8, 64), 0);
    ot_jw_obj_open(&w, NULL);
    char big[100];
    memset(big, 'x', sizeof(big));
    ot_jw_strn(&w, "s", big, sizeof(big));
    ot_jw_obj_close(&w);
    assert_false(ot_jw_ok(&w));
    assert_true(w.len <= 64);
    ot_jw_reset(&w);
    ot_jw_obj_open(&w, NULL);
    ot_jw_obj_close(&w);
    expect_doc(&w, "{}");
    ot_jw_free(&w);
}

/* Fields rendered in place: the same document as ot_jw_fields(), and NULL near the bound. */
static void test_fields_in_place(void **state)
{
    struct ot_jw w;
    assert_int_equal(ot_jw_init(&w, 8, 256), 0);
    ot_jw_obj_open(&w, NULL);
    ot_jw_u64(&w, "a", 1);
    char *o = ot_jw_fields_reserve(&w, 100); /* grows the buffer, writes the comma */
    assert_non_null(o);
    static const char bc[] = "\"b\":2,\"c\":\"x\"";
    memcpy(o, bc, sizeof(bc) - 1);
    ot_jw_fields_commit(&w, o + sizeof(bc) - 1);
    o = ot_jw_fields_reserve(&w, 10);
    assert_non_null(o);
    static const char d[] = "\"d\":[]";
    memcpy(o, d, sizeof(d) - 1);
    ot_jw_fields_commit(&w, o + sizeof(d) - 1);
    ot_jw_obj_close(&w);
    expect_doc(&w, "{\"a\":1,\"b\":2,\"c\":\"x\",\"d\":[]}");

    /* Past the bound: NULL and nothing written; the fields still fit through ot_jw_fields(). */
    ot_jw_reset(&w);
    ot_jw_obj_open(&w, NULL);
    ot_jw_u64(&w, "a", 1);
    size_t len = w.len;
    assert_null(ot_jw_fields_reserve(&w, 300));
    assert_true(ot_jw_ok(&w));
    assert_int_equal(w.len, len);
    ot_jw_fields(&w, "\"b\":2", 5);
    ot_jw_obj_close(&w);
    expect_doc(&w, "{\"a\":1,\"b\":2}");
    ot_jw_free(&w);
}

static void test_plain(void **state)
{
    assert_true(ot_jw_plain("", 0));
    assert_true(ot_jw_plain("flow", 4));
    assert_true(ot_jw_plain("a-long-event-type-name-with-several-words", 41));
    assert_true(ot_jw_plain("del\x7f", 4)); /* DEL needs no escape in JSON */
    char s[40];
    for (size_t n = 1; n < sizeof(s); n++) {
        memset(s, 'a', n);
        for (size_t i = 0; i < n; i++) {
            static const char bad[] = {'"', '\\', '\n', 0x1f, (char)0x80, (char)0xc3};
            for (size_t k = 0; k < sizeof(bad); k++) {
                s[i] = bad[k];
                assert_false(ot_jw_plain(s, n));
            }
            s[i] = 'a';
        }
        assert_true(ot_jw_plain(s, n));
    }
}

static void test_depth(void **state)
{
    struct ot_jw w;
    assert_int_equal(ot_jw_init(&w, 8, 4096), 0);
    for (int i = 0; i < OT_JW_MAX_DEPTH + 2; i++)
        ot_jw_arr_open(&w, NULL);
    assert_false(ot_jw_ok(&w));
    ot_jw_reset(&w);
    ot_jw_obj_close(&w); /* close without open */
    assert_false(ot_jw_ok(&w));
    ot_jw_free(&w);
}

static void test_random_strings_roundtrip(void **state)
{
    struct ot_jw w;
    assert_int_equal(ot_jw_init(&w, 8, 1 << 16), 0);
    uint32_t x = 12345;
    for (int round = 0; round < 2000; round++) {
        uint8_t s[64];
        size_t n = round % 64;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            s[i] = (uint8_t)(x >> 16);
        }
        ot_jw_reset(&w);
        ot_jw_arr_open(&w, NULL);
        ot_jw_strn(&w, NULL, s, n);
        ot_jw_arr_close(&w);
        assert_true(ot_jw_ok(&w));
        json_error_t err;
        json_t *j = json_loadb(w.buf, w.len, JSON_ALLOW_NUL, &err);
        if (!j)
            fail_msg("invalid JSON for round %d: %s", round, err.text);
        json_decref(j);
    }
    ot_jw_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_fields_in_place),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_random_strings_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
