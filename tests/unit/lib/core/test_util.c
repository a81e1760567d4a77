#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/timefmt.h"
#include "core/util.h"
#include "otasuke/error.h"

static void test_parse_u64(void **state)
{
    uint64_t v;
    assert_int_equal(ot_parse_u64("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(ot_parse_u64("101", 0, 100, &v), OT_EINVAL);
    assert_int_equal(ot_parse_u64("-1", 0, 100, &v), OT_EINVAL);
    assert_int_equal(ot_parse_u64("12x", 0, 100, &v), OT_EINVAL);
    assert_int_equal(ot_parse_u64("", 0, 100, &v), OT_EINVAL);
    assert_int_equal(ot_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), OT_EINVAL);
}

static void test_parse_size(void **state)
{
    uint64_t v;
    assert_int_equal(ot_parse_size("64k", &v), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(ot_parse_size("8M", &v), 0);
    assert_int_equal(v, 8u << 20);
    assert_int_equal(ot_parse_size("1G", &v), 0);
    assert_int_equal(v, 1u << 30);
    assert_int_equal(ot_parse_size("10", &v), 0);
    assert_int_equal(v, 10);
    assert_int_equal(ot_parse_size("10kb", &v), OT_EINVAL);
    assert_int_equal(ot_parse_size("x", &v), OT_EINVAL);
}

static void test_strlcpy(void **state)
{
    char b[4];
    assert_true(ot_strlcpy(b, "abc", sizeof(b)));
    assert_string_equal(b, "abc");
    assert_false(ot_strlcpy(b, "abcd", sizeof(b)));
    assert_string_equal(b, "abc");
}

static void test_timefmt(void **state)
{
    struct ot_timefmt tf;
    ot_timefmt_init(&tf);
    char out[OT_TS_LEN + 1];
    /* 2021-01-02T03:04:05.000006 UTC */
    size_t n = ot_timefmt_us(&tf, 1609556645000006ULL, out);
    assert_int_equal(n, OT_TS_LEN);
    assert_string_equal(out, "2021-01-02T03:04:05.000006+0000");
    n = ot_timefmt_us(&tf, 1609556645999999ULL, out);
    assert_string_equal(out, "2021-01-02T03:04:05.999999+0000");
    n = ot_timefmt_us(&tf, 0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000+0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_strlcpy),
        cmocka_unit_test(test_timefmt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
