/*
 * The admin CLI's tables: columns aligned by display width (Japanese takes
 * two columns), control characters from server data neutralised, long cells
 * cut with an ellipsis, the row bound counted, times shortened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "otasuke/error.h"

/* Prints the table into a string (caller frees). */
static char *render(const struct ot_cli_table *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    assert_int_equal(ot_cli_table_print(t, fp), OT_OK);
    fclose(fp);
    return buf;
}

static void test_alignment(void **state)
{
    static const char *const head[] = {"ID", "NAME", "EVENTS"};
    struct ot_cli_table t;
    assert_int_equal(ot_cli_table_init(&t, head, 3), OT_OK);
    t.right[0] = t.right[2] = true;
    const char *r1[] = {"1", "Acme", "12345"};
    const char *r2[] = {"12", "田中商店", "7"};
    const char *r3[] = {"3", NULL, "0"};
    assert_int_equal(ot_cli_table_add(&t, r1), OT_OK);
    assert_int_equal(ot_cli_table_add(&t, r2), OT_OK);
    assert_int_equal(ot_cli_table_add(&t, r3), OT_OK);
    char *out = render(&t);
    /* 田中商店 is 4 characters, 8 columns: the NAME column is 8 wide */
    assert_string_equal(out, "ID  NAME      EVENTS\n"
                             " 1  Acme       12345\n"
                             "12  田中商店       7\n"
                             " 3  -              0\n");
    free(out);
    ot_cli_table_free(&t);
}

static void test_last_column_no_trailing_blanks(void **state)
{
    static const char *const head[] = {"A", "TITLE"};
    struct ot_cli_table t;
    assert_int_equal(ot_cli_table_init(&t, head, 2), OT_OK);
    const char *r1[] = {"x", "a long title here"};
    const char *r2[] = {"y", "short"};
    ot_cli_table_add(&t, r1);
    ot_cli_table_add(&t, r2);
    char *out = render(&t);
    assert_string_equal(out, "A  TITLE\nx  a long title here\ny  short\n");
    free(out);
    ot_cli_table_free(&t);
}

static void test_controls_neutralised(void **state)
{
    static const char *const head[] = {"NAME"};
    struct ot_cli_table t;
    assert_int_equal(ot_cli_table_init(&t, head, 1), OT_OK);
    /* ESC sequences, newlines, C1 CSI, bidi override, a bad byte */
    const char *r1[] = {"evil\x1b[2J\nname\r\t\xc2\x9b"
                        "31m\xe2\x80\xae"
                        "x\xff"};
    ot_cli_table_add(&t, r1);
    char *out = render(&t);
    assert_string_equal(out, "NAME\nevil?[2J?name???31m?x?\n");
    assert_null(strchr(out, '\x1b'));
    free(out);
    ot_cli_table_free(&t);
}

static void test_cut_with_ellipsis(void **state)
{
    char buf[64];
    assert_int_equal(ot_cli_text_clean("abcdefghij", 5, buf, sizeof(buf)), 5);
    assert_string_equal(buf, "abcd\xe2\x80\xa6");
    assert_int_equal(ot_cli_text_clean("abcde", 5, buf, sizeof(buf)), 5); /* fits: no cut */
    assert_string_equal(buf, "abcde");
    /* a wide character is never split: 3 columns allow one 2-column one plus "…" */
    assert_int_equal(ot_cli_text_clean("日本語", 4, buf, sizeof(buf)), 3);
    assert_string_equal(buf, "日\xe2\x80\xa6");
    /* the output buffer bound holds, the string stays terminated */
    char small[4];
    ot_cli_text_clean("abcdefgh", 0, small, sizeof(small));
    assert_string_equal(small, "abc");
    ot_cli_text_clean("日本", 0, small, sizeof(small));
    assert_string_equal(small, "日");
    assert_int_equal(ot_cli_text_clean(NULL, 0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");

    static const char *const head[] = {"T"};
    struct ot_cli_table t;
    ot_cli_table_init(&t, head, 1);
    t.maxw[0] = 6;
    const char *r1[] = {"インシデント"};
    ot_cli_table_add(&t, r1);
    char *out = render(&t);
    assert_string_equal(out, "T\nイン\xe2\x80\xa6\n");
    free(out);
    ot_cli_table_free(&t);
}

static void test_widths(void **state)
{
    assert_int_equal(ot_cli_text_width("abc"), 3);
    assert_int_equal(ot_cli_text_width("ブルートフォース"), 16);
    assert_int_equal(ot_cli_text_width("ｱ"), 1);            /* half-width katakana */
    assert_int_equal(ot_cli_text_width("Ａ"), 2);           /* full-width Latin */
    assert_int_equal(ot_cli_text_width("e\xcc\x81"), 1);    /* e + combining acute */
    assert_int_equal(ot_cli_text_width("\xe3\x81"), 2);     /* truncated sequence: two '?' */
    assert_int_equal(ot_cli_text_width("\xc0\xaf"), 2);     /* overlong '/' */
    assert_int_equal(ot_cli_text_width("\xed\xa0\x80"), 3); /* surrogate */
    assert_int_equal(ot_cli_text_width(""), 0);
    assert_int_equal(ot_cli_text_width(NULL), 0);
}

static void test_row_bound(void **state)
{
    static const char *const head[] = {"N"};
    struct ot_cli_table t;
    ot_cli_table_init(&t, head, 1);
    t.max_rows = 2;
    const char *r[] = {"1"};
    assert_int_equal(ot_cli_table_add(&t, r), OT_OK);
    assert_int_equal(ot_cli_table_add(&t, r), OT_OK);
    assert_int_equal(ot_cli_table_add(&t, r), OT_ELIMIT);
    assert_int_equal(ot_cli_table_add(&t, r), OT_ELIMIT);
    assert_int_equal(t.dropped, 2);
    char *out = render(&t);
    assert_string_equal(out, "N\n1\n1\n(2 more rows not shown)\n");
    free(out);
    ot_cli_table_free(&t);

    assert_int_equal(ot_cli_table_init(&t, head, 0), OT_EINVAL);
    assert_int_equal(ot_cli_table_init(&t, head, OT_TABLE_MAX_COLS + 1), OT_EINVAL);
}

static void test_time_short(void **state)
{
    char b[24];
    assert_string_equal(ot_cli_time_short("2026-11-26T01:14:23.123456Z", b, sizeof(b)),
                        "2026-11-26 01:14:23");
    assert_string_equal(ot_cli_time_short("2026-11-26T01:14:23+0000", b, sizeof(b)),
                        "2026-11-26 01:14:23");
    assert_string_equal(ot_cli_time_short(NULL, b, sizeof(b)), "-");
    assert_string_equal(ot_cli_time_short("", b, sizeof(b)), "-");
    assert_string_equal(ot_cli_time_short("soon", b, sizeof(b)), "soon");
    assert_string_equal(ot_cli_time_short("2026-11-26T01", b, 8), "-"); /* buffer too small */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_last_column_no_trailing_blanks),
        cmocka_unit_test(test_controls_neutralised),
        cmocka_unit_test(test_cut_with_ellipsis),
        cmocka_unit_test(test_widths),
        cmocka_unit_test(test_row_bound),
        cmocka_unit_test(test_time_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
