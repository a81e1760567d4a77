/*
 * Times in owner texts (owner.time-zone): JST by default, UTC, fixed
 * offsets; what is not a zone is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/api.h"

#define T(s) ((int64_t)(s)*1000000) /* seconds since the epoch, in microseconds */

static void test_zones(void **state)
{
    (void)state;
    int off;
    char label[16];
    assert_int_equal(ot_api_time_zone("JST", &off, label), 0);
    assert_int_equal(off, 540);
    assert_string_equal(label, "JST");
    assert_int_equal(ot_api_time_zone("UTC", &off, label), 0);
    assert_int_equal(off, 0);
    assert_int_equal(ot_api_time_zone("+05:30", &off, label), 0);
    assert_int_equal(off, 330);
    assert_string_equal(label, "UTC+05:30");
    assert_int_equal(ot_api_time_zone("-03:00", &off, label), 0);
    assert_int_equal(off, -180);
    assert_int_equal(ot_api_time_zone("+14:00", &off, label), 0);
    const char *bad[] = {"",       "jst",   "Asia/Tokyo", "+9:00",  "+09:60",
                         "+14:01", "09:00", "+09-00",     "+09:000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ot_api_time_zone(bad[i], &off, label), -1);
}

static void test_text_time(void **state)
{
    (void)state;
    char buf[48];
    /* 2024-05-01 10:00:00 UTC */
    ot_api_text_time("JST", T(1714557600), buf, sizeof(buf));
    assert_string_equal(buf, "2024-05-01 19:00 JST");
    ot_api_text_time("UTC", T(1714557600), buf, sizeof(buf));
    assert_string_equal(buf, "2024-05-01 10:00 UTC");
    /* Across midnight and the date line. */
    ot_api_text_time("JST", T(1714582800), buf, sizeof(buf)); /* 17:00 UTC */
    assert_string_equal(buf, "2024-05-02 02:00 JST");
    ot_api_text_time("-03:00", T(1714557600), buf, sizeof(buf));
    assert_string_equal(buf, "2024-05-01 07:00 UTC-03:00");
    /* Not a zone: UTC, said so. */
    ot_api_text_time("Mars", T(1714557600), buf, sizeof(buf));
    assert_string_equal(buf, "2024-05-01 10:00 UTC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_text_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
