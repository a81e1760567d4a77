#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "mock-server.h"
#include "otasuke/error.h"
#include "transport/spool.h"

static struct ot_spool *open_spool(const char *dir, uint64_t max_bytes)
{
    struct ot_spool_config cfg = {.dir = dir, .max_bytes = max_bytes};
    struct ot_spool *sp;
    assert_int_equal(ot_spool_open(&cfg, &sp), OT_OK);
    return sp;
}

static void append_events(struct ot_spool *sp, unsigned from, unsigned to, size_t pad)
{
    char line[4096];
    char filler[2048];
    assert_true(pad < sizeof(filler));
    memset(filler, 'x', pad);
    filler[pad] = '\0';
    for (unsigned i = from; i < to; i++) {
        int n = snprintf(line, sizeof(line), "{\"event_id\":\"e%u\",\"pad\":\"%s\"}", i, filler);
        assert_int_equal(ot_spool_append(sp, line, (size_t)n), OT_OK);
    }
}

/* The event number of each line of a batch, checked in order from *next. */
static void expect_batch_ids(const struct ot_spool_batch *b, unsigned *next)
{
    const char *p = b->body, *end = b->body + b->len;
    unsigned n = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        unsigned id;
        assert_int_equal(sscanf(p, "{\"event_id\":\"e%u\"", &id), 1);
        assert_int_equal(id, *next);
        (*next)++;
        n++;
        p = nl + 1;
    }
    assert_int_equal(n, b->lines);
}

/* Read and acknowledge everything; returns the number of lines. */
static unsigned drain(struct ot_spool *sp, unsigned *next, uint32_t max_lines)
{
    struct ot_spool_batch b = {0};
    unsigned total = 0;
    int rc;
    while ((rc = ot_spool_read(sp, &b, max_lines, 4 << 20)) == OT_OK) {
        expect_batch_ids(&b, next);
        total += b.lines;
        assert_int_equal(ot_spool_ack(sp, &b), OT_OK);
    }
    assert_int_equal(rc, OT_ENOENT);
    ot_spool_batch_free(&b);
    return total;
}

static void test_roundtrip_and_restart(void **state)
{
    char dir[64];
    mock_tempdir(dir, sizeof(dir));
    struct ot_spool *sp = open_spool(dir, 0);
    append_events(sp, 0, 250, 10);
    /* Refused lines. */
    assert_int_equal(ot_spool_append(sp, "", 0), OT_EINVAL);
    assert_int_equal(ot_spool_append(sp, "a\nb", 3), OT_EINVAL);
    assert_int_equal(ot_spool_append(sp, "a\0b", 3), OT_EINVAL);
    /* A trailing newline is tolerated. */
    assert_int_equal(ot_spool_append(sp, "{\"event_id\":\"e250\"}\n", 20), OT_OK);

    struct ot_spool_batch b = {0};
    unsigned next = 0;
    assert_int_equal(ot_spool_read(sp, &b, 100, 1 << 20), OT_OK);
    assert_int_equal(b.lines, 100);
    expect_batch_ids(&b, &next);
    assert_int_equal(ot_spool_ack(sp, &b), OT_OK);
    /* Read but not acknowledged: must come again after the restart. */
    assert_int_equal(ot_spool_read(sp, &b, 50, 1 << 20), OT_OK);
    ot_spool_batch_free(&b);

    struct ot_spool_stats st;
    ot_spool_stats(sp, &st);
    assert_int_equal(st.appended, 251);
    assert_int_equal(st.refused, 3);
    assert_int_equal(st.acked, 100);
    assert_int_equal(st.pending_lines, 151);
    assert_int_equal(ot_spool_close(sp), OT_OK);

    sp = open_spool(dir, 0);
    ot_spool_stats(sp, &st);
    assert_int_equal(st.pending_lines, 151);
    assert_int_equal(drain(sp, &next, 64), 151);
    assert_int_equal(next, 251);
    /* New appends after the restart follow. */
    append_events(sp, 251, 260, 0);
    assert_int_equal(drain(sp, &next, 64), 9);
    ot_spool_stats(sp, &st);
    assert_int_equal(st.pending_lines, 0);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(ot_spool_close(sp), OT_OK);
    mock_rmdir(dir);
}

/* A crash in the middle of a write leaves a line without its newline: cut, never sent. */
static void test_torn_last_line(void **state)
{
    char dir[64], path[128];
    mock_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/0000000003.ndjson", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"event_id\":\"e0\"}\n{\"event_id\":\"e1\"}\n{\"event_id\":\"e2\",\"dns\":{\"rrna", f);
    fclose(f);
    struct ot_spool *sp = open_spool(dir, 0);
    struct ot_spool_stats st;
    ot_spool_stats(sp, &st);
    assert_int_equal(st.torn, 1);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.pending_lines, 2);
    unsigned next = 0;
    assert_int_equal(drain(sp, &next, 10), 2);
    /* The server is told about the lost event with the next batch. */
    append_events(sp, 2, 3, 0);
    struct ot_spool_batch b = {0};
    assert_int_equal(ot_spool_read(sp, &b, 10, 1 << 20), OT_OK);
    assert_int_equal(b.dropped_report, 0); /* reported with the first batch already */
    ot_spool_batch_free(&b);
    assert_int_equal(ot_spool_close(sp), OT_OK);

    /* The file was cut back to complete lines. */
    struct stat sb;
    if (stat(path, &sb) == 0)
        assert_int_equal(sb.st_size, 36);
    mock_rmdir(dir);
}

/* Lines with NUL bytes (left by some file systems after a power cut) are skipped and counted. */
static void test_garbage_lines(void **state)
{
    char dir[64], path[128];
    mock_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/0000000001.ndjson", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    static const char data[] = "{\"event_id\":\"e0\"}\n\0\0\0\0\n\n{\"event_id\":\"e1\"}\n";
    fwrite(data, 1, sizeof(data) - 1, f);
    fclose(f);
    struct ot_spool *sp = open_spool(dir, 0);
    unsigned next = 0;
    assert_int_equal(drain(sp, &next, 10), 2);
    struct ot_spool_stats st;
    ot_spool_stats(sp, &st);
    assert_int_equal(st.torn, 2);
    assert_int_equal(st.dropped, 2);
    assert_int_equal(ot_spool_close(sp), OT_OK);
    mock_rmdir(dir);
}

/* The bound: oldest segments go, their unsent lines are counted and persisted. */
static void test_bound_drops_oldest(void **state)
{
    char dir[64];
    mock_tempdir(dir, sizeof(dir));
    /* 64 KiB in all, 16 KiB segments; each line is 100 bytes. */
    struct ot_spool *sp = open_spool(dir, 64 << 10);
    append_events(sp, 0, 2000, 100 - 31);
    struct ot_spool_stats st;
    ot_spool_stats(sp, &st);
    assert_true(st.dropped > 0);
    assert_true(st.bytes_on_disk + st.bytes_buffered <= 64 << 10);
    assert_int_equal(st.dropped + st.pending_lines, 2000);
    assert_int_equal(st.dropped_unreported, st.dropped);
    uint64_t dropped = st.dropped;
    assert_int_equal(ot_spool_close(sp), OT_OK);

    sp = open_spool(dir, 64 << 10);
    ot_spool_stats(sp, &st);
    assert_int_equal(st.dropped, dropped);
    struct ot_spool_batch b = {0};
    assert_int_equal(ot_spool_read(sp, &b, 10, 1 << 20), OT_OK);
    assert_int_equal(b.dropped_report, dropped);
    unsigned next = (unsigned)dropped;
    expect_batch_ids(&b, &next); /* the newest survive, in order */
    assert_int_equal(ot_spool_ack(sp, &b), OT_OK);
    ot_spool_stats(sp, &st);
    assert_int_equal(st.dropped_unreported, 0);
    assert_int_equal(drain(sp, &next, 500), 2000 - dropped - 10);
    assert_int_equal(next, 2000);
    ot_spool_batch_free(&b);
    assert_int_equal(ot_spool_close(sp), OT_OK);
    mock_rmdir(dir);
}

/* A batch in flight whose segment is deleted at the bound: its ack only fixes the counters. */
static void test_bound_during_flight(void **state)
{
    char dir[64];
    mock_tempdir(dir, sizeof(dir));
    struct ot_spool *sp = open_spool(dir, 64 << 10);
    append_events(sp, 0, 100, 69);
    struct ot_spool_batch b = {0};
    assert_int_equal(ot_spool_read(sp, &b, 50, 1 << 20), OT_OK);
    append_events(sp, 100, 2000, 69); /* deletes the segment being sent */
    struct ot_spool_stats before, after;
    ot_spool_stats(sp, &before);
    assert_int_equal(ot_spool_ack(sp, &b), OT_OK);
    ot_spool_stats(sp, &after);
    assert_int_equal(after.dropped, before.dropped - 50);
    struct ot_spool_batch c = {0};
    assert_int_equal(ot_spool_read(sp, &c, 1, 1 << 20), OT_OK);
    unsigned id;
    assert_int_equal(sscanf(c.body, "{\"event_id\":\"e%u\"", &id), 1);
    assert_true(id >= 100);
    ot_spool_batch_free(&b);
    ot_spool_batch_free(&c);
    assert_int_equal(ot_spool_close(sp), OT_OK);
    mock_rmdir(dir);
}

/* One line larger than a batch may be: skipped and counted, the rest flows. */
static void test_line_larger_than_batch(void **state)
{
    char dir[64];
    mock_tempdir(dir, sizeof(dir));
    struct ot_spool *sp = open_spool(dir, 0);
    append_events(sp, 0, 1, 0);
    append_events(sp, 1, 2, 1500);
    append_events(sp, 2, 3, 0);
    struct ot_spool_batch b = {0};
    assert_int_equal(ot_spool_read(sp, &b, 10, 1000), OT_OK);
    assert_int_equal(b.lines, 1);
    assert_int_equal(ot_spool_ack(sp, &b), OT_OK);
    assert_int_equal(ot_spool_read(sp, &b, 10, 1000), OT_OK);
    assert_int_equal(b.lines, 1);
    unsigned next = 2;
    expect_batch_ids(&b, &next);
    struct ot_spool_stats st;
    ot_spool_stats(sp, &st);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.discarded, 1);
    assert_int_equal(b.dropped_report, 1);
    ot_spool_batch_free(&b);
    assert_int_equal(ot_spool_close(sp), OT_OK);
    mock_rmdir(dir);
}

/* A damaged spool.state: reported with file:line, and everything is sent again. */
static void test_bad_state_file(void **state)
{
    char dir[64], path[128];
    mock_tempdir(dir, sizeof(dir));
    struct ot_spool *sp = open_spool(dir, 0);
    append_events(sp, 0, 20, 0);
    unsigned next = 0;
    assert_int_equal(drain(sp, &next, 5), 20);
    append_events(sp, 20, 30, 0);
    assert_int_equal(ot_spool_close(sp), OT_OK);
    snprintf(path, sizeof(path), "%s/spool.state", dir);
    FILE *f = fopen(path, "w");
    fputs("otasuke-spool 1\nsegment banana\n", f);
    fclose(f);
    sp = open_spool(dir, 0);
    next = 0; /* without a cursor every spooled event is sent again */
    assert_int_equal(drain(sp, &next, 7), 30);
    assert_int_equal(ot_spool_close(sp), OT_OK);
    mock_rmdir(dir);
}

static void test_state_parse(void **state)
{
    struct ot_spool_state st;
    uint32_t bad;
    const char ok[] = "otasuke-spool 1\nsegment 12\noffset 345\ndropped 6\n"
                      "dropped_unreported 2\nfuture_key 9\n";
    assert_int_equal(ot_spool_state_parse(ok, sizeof(ok) - 1, &st, &bad), OT_OK);
    assert_int_equal(st.segment, 12);
    assert_int_equal(st.offset, 345);
    assert_int_equal(st.dropped, 6);
    assert_int_equal(st.dropped_unreported, 2);
    char buf[256];
    size_t n = ot_spool_state_format(&st, buf, sizeof(buf));
    struct ot_spool_state back;
    assert_int_equal(ot_spool_state_parse(buf, n, &back, &bad), OT_OK);
    assert_memory_equal(&st, &back, sizeof(st));

    static const struct {
        const char *text;
        uint32_t line;
    } bads[] = {
        {"", 1},
        {"otasuke-spool 2\nsegment 1\noffset 0\n", 1},
        {"otasuke-spool 1\nsegment 1\n", 2},
        {"otasuke-spool 1\nsegment 1\noffset -1\n", 3},
        {"otasuke-spool 1\nsegment 1\nsegment 2\noffset 0\n", 3},
        {"otasuke-spool 1\nsegment 99999999999999999999\noffset 0\n", 2},
        {"otasuke-spool 1\nsegment\noffset 0\n", 2},
    };
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        assert_int_equal(ot_spool_state_parse(bads[i].text, strlen(bads[i].text), &st, &bad),
                         OT_EINVAL);
        assert_int_equal(bad, bads[i].line);
    }
}

/*
 * kill -9 while appending: every line read back afterwards is a complete
 * event, in order, starting right after the last acknowledged batch.
 */
static void test_kill9(void **state)
{
    char dir[64];
    mock_tempdir(dir, sizeof(dir));
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        struct ot_spool_config cfg = {.dir = dir, .max_bytes = 64ull << 20};
        struct ot_spool *sp;
        if (ot_spool_open(&cfg, &sp) != OT_OK)
            _exit(2);
        char line[256];
        for (unsigned i = 0; i < 1000; i++) {
            int n = snprintf(line, sizeof(line), "{\"event_id\":\"e%u\",\"pad\":\"%0*u\"}", i,
                             (int)(i % 90), i);
            ot_spool_append(sp, line, (size_t)n);
        }
        struct ot_spool_batch b = {0};
        for (int k = 0; k < 3; k++) {
            if (ot_spool_read(sp, &b, 100, 1 << 20) != OT_OK || ot_spool_ack(sp, &b) != OT_OK)
                _exit(3);
        }
        if (write(pfd[1], "r", 1) != 1)
            _exit(4);
        for (unsigned i = 1000; i < 60000; i++) {
            int n = snprintf(line, sizeof(line), "{\"event_id\":\"e%u\",\"pad\":\"%0*u\"}", i,
                             (int)(i % 90), i);
            ot_spool_append(sp, line, (size_t)n);
            if (i % 5000 == 0)
                ot_spool_sync_due(sp);
        }
        for (;;)
            pause();
    }
    close(pfd[1]);
    char c;
    assert_int_equal(read(pfd[0], &c, 1), 1);
    close(pfd[0]);
    usleep(150 * 1000);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));

    struct ot_spool *sp = open_spool(dir, 64ull << 20);
    unsigned next = 300;
    unsigned got = drain(sp, &next, 100000);
    assert_true(got >= 700);
    assert_int_equal(ot_spool_close(sp), OT_OK);
    mock_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_restart),
        cmocka_unit_test(test_torn_last_line),
        cmocka_unit_test(test_garbage_lines),
        cmocka_unit_test(test_bound_drops_oldest),
        cmocka_unit_test(test_bound_during_flight),
        cmocka_unit_test(test_line_larger_than_batch),
        cmocka_unit_test(test_bad_state_file),
        cmocka_unit_test(test_state_parse),
        cmocka_unit_test(test_kill9),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
