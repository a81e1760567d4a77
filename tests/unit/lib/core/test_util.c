#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

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
    /* Leap day, end of a leap year, and times going backwards. */
    ot_timefmt_us(&tf, 1709208000123456ULL, out);
    assert_string_equal(out, "2024-02-29T12:00:00.123456+0000");
    ot_timefmt_us(&tf, 1735689599000000ULL, out);
    assert_string_equal(out, "2024-12-31T23:59:59.000000+0000");
    ot_timefmt_us(&tf, 951782400000000ULL, out);
    assert_string_equal(out, "2000-02-29T00:00:00.000000+0000");
}

/* Every day for 200 years against gmtime_r/strftime. */
static void test_timefmt_against_libc(void **state)
{
    struct ot_timefmt tf;
    ot_timefmt_init(&tf);
    for (uint64_t s = 0; s < 200ULL * 366 * 86400; s += 86400 + 3661) {
        char out[OT_TS_LEN + 1], want[64];
        ot_timefmt_us(&tf, s * 1000000 + 7, out);
        time_t t = (time_t)s;
        struct tm tm;
        gmtime_r(&t, &tm);
        size_t n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.000007+0000", &tm);
        assert_int_equal(n, OT_TS_LEN);
        assert_string_equal(out, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_strlcpy),
        cmocka_unit_test(test_timefmt),
        cmocka_unit_test(test_timefmt_against_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
