/* Ingest batch parser: line splitting, every rejection reason, limits, timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/ingest.h"
#include "core/timefmt.h"
#include "otasuke/error.h"

#define GOOD(id)                                                                                   \
    "{\"event_id\":\"" id "\",\"event_type\":\"alert\",\"timestamp\":\"2024-05-01T10:00:00Z\"}"

static int parse(const char *text, struct ot_ingest_batch *b)
{
    struct ot_ingest_limits l;
    ot_ingest_limits_defaults(&l);
    memset(b, 0, sizeof(*b));
    return ot_ingest_parse(text, strlen(text), &l, b);
}

/* The single rejection of a one-bad-line batch must be at `line` with `reason` in it. */
static void expect_reject(const char *text, size_t line, const char *reason)
{
    struct ot_ingest_batch b;
    assert_int_equal(parse(text, &b), 0);
    assert_int_equal(b.nrej, 1);
    assert_int_equal(b.rejected, 1);
    assert_int_equal(b.rej[0].line, line);
    if (!strstr(b.rej[0].reason, reason))
        fail_msg("reason '%s' does not contain '%s'", b.rej[0].reason, reason);
    ot_ingest_batch_free(&b);
}

static void test_split(void **state)
{
    struct ot_ingest_batch b;
    /* CRLF, blank lines (also "\r" only and spaces), final line without newline */
    const char *text = GOOD("a") "\r\n\r\n  \t\n" GOOD("b") "\n\n" GOOD("c");
    assert_int_equal(parse(text, &b), 0);
    assert_int_equal(b.n, 3);
    assert_int_equal(b.nrej, 0);
    assert_int_equal(b.lines, 3);
    assert_memory_equal(b.ev[0].event_id, "a", 1);
    assert_int_equal(b.ev[0].event_id_len, 1);
    assert_memory_equal(b.ev[2].event_id, "c", 1);
    /* body is the line without its \r\n */
    assert_int_equal(b.ev[0].body_len, strlen(GOOD("a")));
    assert_memory_equal(b.ev[0].body, GOOD("a"), b.ev[0].body_len);
    assert_int_equal(b.ev[0].event_type_len, 5);
    assert_true(b.ev[0].ts == (int64_t)1714557600 * 1000000);
    ot_ingest_batch_free(&b);

    assert_int_equal(parse("", &b), 0);
    assert_int_equal(b.n + b.nrej, 0);
    ot_ingest_batch_free(&b);
    /* line numbers count blank lines */
    expect_reject("\n\n[1]\n", 3, "not a JSON object");
}

static void test_reasons(void **state)
{
    expect_reject("{\"event_id\":", 1, "invalid JSON");
    expect_reject(GOOD("a") "\n{\"event_id\":\"\xff\xfe\",\"event_type\":\"x\"}", 2,
                  "invalid UTF-8");
    expect_reject("\"just a string\"", 1, "not a JSON object");
    expect_reject("{\"event_type\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\"}", 1,
                  "event_id missing");
    expect_reject("{\"event_id\":7,\"event_type\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\"}", 1,
                  "event_id missing or not a string");
    expect_reject("{\"event_id\":\"\",\"event_type\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\"}",
                  1, "event_id must be 1 to 128");
    char big[400];
    char id[130];
    memset(id, 'x', 129);
    id[129] = '\0';
    snprintf(big, sizeof(big),
             "{\"event_id\":\"%s\",\"event_type\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\"}",
             id);
    expect_reject(big, 1, "event_id must be 1 to 128");
    id[128] = '\0'; /* exactly 128 is fine */
    snprintf(big, sizeof(big),
             "{\"event_id\":\"%s\",\"event_type\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\"}",
             id);
    struct ot_ingest_batch b;
    assert_int_equal(parse(big, &b), 0);
    assert_int_equal(b.n, 1);
    ot_ingest_batch_free(&b);
    expect_reject("{\"event_id\":\"a\",\"timestamp\":\"2024-01-01T00:00:00Z\"}", 1,
                  "event_type missing");
    expect_reject("{\"event_id\":\"a\",\"event_type\":\"\",\"timestamp\":\"2024-01-01T00:00:00Z\"}",
                  1, "event_type must be");
    expect_reject("{\"event_id\":\"a\",\"event_type\":\"x\"}", 1, "timestamp missing");
    expect_reject("{\"event_id\":\"a\",\"event_type\":\"x\",\"timestamp\":1714557600}", 1,
                  "timestamp missing or not a string");
    expect_reject("{\"event_id\":\"a\",\"event_type\":\"x\",\"timestamp\":\"yesterday\"}", 1,
                  "timestamp is not RFC 3339");
    expect_reject(
        "{\"event_id\":\"a\\u0000b\",\"event_type\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\"}",
        1, "invalid JSON"); /* jansson refuses \u0000 without JSON_ALLOW_NUL */
    expect_reject("{\"event_id\":\"a\",\"event_id\":\"b\",\"event_type\":\"x\",\"timestamp\":"
                  "\"2024-01-01T00:00:00Z\"}",
                  1, "invalid JSON");
    /* a raw NUL byte inside a line */
    struct ot_ingest_limits l;
    ot_ingest_limits_defaults(&l);
    memset(&b, 0, sizeof(b));
    const char nul[] = "{\"event_id\":\"a\0\"}\n";
    assert_int_equal(ot_ingest_parse(nul, sizeof(nul) - 1, &l, &b), 0);
    assert_int_equal(b.nrej, 1);
    assert_int_equal(b.n, 0);
    ot_ingest_batch_free(&b);
}

/* A valid event whose "d" field nests `levels` arrays (the object is one more level). */
static void nested(char *line, size_t cap, int levels)
{
    int k = snprintf(line, cap,
                     "{\"event_id\":\"a\",\"event_type\":\"x\",\"timestamp\":"
                     "\"2024-01-01T00:00:00Z\",\"d\":");
    for (int i = 0; i < levels; i++)
        line[k++] = '[';
    for (int i = 0; i < levels; i++)
        line[k++] = ']';
    line[k++] = '}';
    line[k] = '\0';
}

static void test_depth(void **state)
{
    char line[512];
    nested(line, sizeof(line), 31); /* 32 levels in total is allowed */
    struct ot_ingest_batch b;
    assert_int_equal(parse(line, &b), 0);
    assert_int_equal(b.n, 1);
    ot_ingest_batch_free(&b);
    nested(line, sizeof(line), 32); /* one more is rejected before jansson parses it */
    expect_reject(line, 1, "nested deeper than 32");
    /* brackets inside strings do not count */
    const char *strs = "{\"a\":\"[[[[\\\"[[[\"}";
    assert_int_equal(ot_ingest_json_depth(strs, strlen(strs), 32), 1);
    /* a hostile line of 100000 brackets stops early */
    char *deep = malloc(100001);
    memset(deep, '[', 100000);
    deep[100000] = '\0';
    expect_reject(deep, 1, "nested deeper");
    free(deep);
}

static void test_limits(void **state)
{
    struct ot_ingest_limits l;
    ot_ingest_limits_defaults(&l);
    l.max_lines = 3;
    l.max_line = 100;
    l.max_rejects = 2;
    struct ot_ingest_batch b;
    memset(&b, 0, sizeof(b));
    const char *three = GOOD("a") "\n\n" GOOD("b") "\n" GOOD("c") "\n";
    assert_int_equal(ot_ingest_parse(three, strlen(three), &l, &b), 0);
    assert_int_equal(b.n, 3);
    ot_ingest_batch_free(&b);
    const char *four = GOOD("a") "\n" GOOD("b") "\n" GOOD("c") "\n" GOOD("d");
    assert_int_equal(ot_ingest_parse(four, strlen(four), &l, &b), OT_ELIMIT);
    assert_int_equal(b.n, 0);
    assert_null(b.ev);
    /* rejects past max_rejects are counted, not kept */
    assert_int_equal(ot_ingest_parse("1\n2\n3\n", 6, &l, &b), 0);
    assert_int_equal(b.nrej, 2);
    assert_int_equal(b.rejected, 3);
    ot_ingest_batch_free(&b);
    /* a line longer than max_line */
    char longline[300];
    snprintf(longline, sizeof(longline),
             "{\"event_id\":\"a\",\"event_type\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\","
             "\"pad\":\"%0100d\"}",
             0);
    assert_int_equal(ot_ingest_parse(longline, strlen(longline), &l, &b), 0);
    assert_int_equal(b.nrej, 1);
    assert_non_null(strstr(b.rej[0].reason, "longer than 100"));
    ot_ingest_batch_free(&b);
}

static void test_time(void **state)
{
    int64_t t;
#define T(s) ot_rfc3339_parse(s, strlen(s), &t)
    assert_true(T("1970-01-01T00:00:00Z"));
    assert_true(t == 0);
    assert_true(T("2024-01-02T03:04:05.123456+0000"));
    assert_true(t == (int64_t)1704164645 * 1000000 + 123456);
    assert_true(T("2024-01-02T12:04:05.5+09:00"));
    assert_true(t == (int64_t)1704164645 * 1000000 + 500000);
    assert_true(T("2024-01-02t03:04:05.123456789z"));
    assert_true(t == (int64_t)1704164645 * 1000000 + 123456);
    assert_true(T("2024-02-29T00:00:00Z"));
    assert_true(T("2016-12-31T23:59:60Z"));
    assert_true(T("1969-12-31T23:59:59-00:00"));
    assert_true(t == -1000000);
    assert_false(T("2023-02-29T00:00:00Z"));
    assert_false(T("2024-13-01T00:00:00Z"));
    assert_false(T("2024-01-01T24:00:00Z"));
    assert_false(T("2024-01-01T00:00:00"));
    assert_false(T("2024-01-01 00:00:00Z"));
    assert_false(T("2024-01-01T00:00:00.Z"));
    assert_false(T("2024-01-01T00:00:00.1234567890Z"));
    assert_false(T("2024-01-01T00:00:00+9:00"));
    assert_false(T("2024-01-01T00:00:00+09:0"));
    assert_false(T("2024-01-01T00:00:00Zjunk"));
    assert_false(T("+024-01-01T00:00:00Z"));
    assert_false(T(""));
#undef T
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),  cmocka_unit_test(test_reasons), cmocka_unit_test(test_depth),
        cmocka_unit_test(test_limits), cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
