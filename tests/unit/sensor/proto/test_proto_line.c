/*
 * Shared line-protocol helpers (proto-line.c): the dot-terminated block
 * scanner against a byte-at-a-time reference on every split of generated
 * blocks, and the case-insensitive word comparisons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto-line.h"

/* The scanner's contract, one byte at a time (states as in proto-line.c). */
static size_t ref_dotend(uint8_t *state, const uint8_t *p, size_t n, bool *done)
{
    uint8_t st = *state;
    *done = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        switch (st) {
        case 0:
            st = c == '\n' ? 1 : 0;
            break;
        case 1:
            st = c == '.' ? 2 : c == '\n' ? 1 : 0;
            break;
        case 2:
        case 3:
            if (c == '\n') {
                *done = true;
                *state = OT_DOTEND_START;
                return i + 1;
            }
            st = st == 2 && c == '\r' ? 3 : 0;
            break;
        }
    }
    *state = st;
    return n;
}

/* Feeds p[0..n) in pieces cut at `cuts` (sorted offsets); returns where the block ended. */
static size_t scan_split(size_t (*scan)(uint8_t *, const uint8_t *, size_t, bool *),
                         const uint8_t *p, size_t n, const size_t *cuts, size_t ncuts, bool *done)
{
    uint8_t st = OT_DOTEND_START;
    size_t off = 0;
    *done = false;
    for (size_t k = 0; k <= ncuts && !*done; k++) {
        size_t end = k < ncuts ? cuts[k] : n;
        if (end <= off)
            continue;
        off += scan(&st, p + off, end - off, done);
        if (!*done && off != end)
            return SIZE_MAX; /* a scan that stops early must have found the end */
    }
    return off;
}

static void check_block(const uint8_t *p, size_t n)
{
    bool d1, d2;
    size_t none = scan_split(ref_dotend, p, n, NULL, 0, &d1);
    assert_int_equal(scan_split(ot_dotend_scan, p, n, NULL, 0, &d2), none);
    assert_int_equal(d1, d2);
    /* Every single split, and every split into three around it. */
    for (size_t a = 1; a < n; a++) {
        size_t cuts[2] = {a, 0};
        assert_int_equal(scan_split(ot_dotend_scan, p, n, cuts, 1, &d2), none);
        assert_int_equal(d2, d1);
        for (size_t b = a + 1; b < n && b < a + 4; b++) {
            cuts[1] = b;
            assert_int_equal(scan_split(ot_dotend_scan, p, n, cuts, 2, &d2), none);
            assert_int_equal(d2, d1);
        }
    }
}

static void test_dotend_examples(void **state)
{
    static const char *const blocks[] = {
        ".\r\n",
        ".\n",
        "line\r\n.\r\n",
        "a.b\r\n..dot stuffed\r\n. not the end\r\n.\r\nafter",
        "no end. at all.\r\n.x\r\n",
        "\n\n.\n",
        ".\r.\r\n.\r\r\n.\r\n",
        "base64AAAA\r\nQUJD\r\n",
        "x.\n.",
        "...\n..\n.",
    };
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        check_block((const uint8_t *)blocks[i], strlen(blocks[i]));
}

/* Blocks drawn from the bytes that matter, so that every state meets every byte. */
static void test_dotend_random(void **state)
{
    static const uint8_t alphabet[] = {'.', '\r', '\n', 'a', '.', '\n'};
    uint8_t buf[40];
    srand(7);
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 1 + (size_t)rand() % sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[(size_t)rand() % sizeof(alphabet)];
        check_block(buf, n);
    }
}

static void test_line_ieq(void **state)
{
    assert_true(ot_line_ieq((const uint8_t *)"uSeR", 4, "USER"));
    assert_false(ot_line_ieq((const uint8_t *)"USERS", 5, "USER"));
    assert_false(ot_line_ieq((const uint8_t *)"USE", 3, "USER"));
    assert_false(ot_line_ieq((const uint8_t *)"USEQ", 4, "USER"));
    /* Only ASCII letters fold: '@' (0x40) is not '`' (0x60). */
    assert_false(ot_line_ieq((const uint8_t *)"@", 1, "`"));
    assert_true(ot_line_ieq((const uint8_t *)"", 0, ""));
}

/* The server-text window keeps the last `cap` bytes, whatever the sizes of the pieces. */
/* A zeroed pair gets both bounds on the first call; later calls leave them. */
static void test_line_init_pair(void **unused)
{
    struct ot_line_reader rd[2];
    memset(rd, 0, sizeof(rd));
    struct ot_proto_conf small = {.max_buffer = 100}, big = {.max_buffer = 1000};
    ot_line_init_pair(rd, &small);
    assert_int_equal(rd[0].max, 100);
    assert_int_equal(rd[1].max, 100);
    ot_line_init_pair(rd, &big);
    assert_int_equal(rd[0].max, 100);
    assert_int_equal(rd[1].max, 100);
}

static void test_window_push(void **unused)
{
    uint8_t win[8];
    uint8_t len = 0;
    ot_login_window_push(win, &len, sizeof(win), (const uint8_t *)"abc", 3);
    assert_int_equal(len, 3);
    assert_memory_equal(win, "abc", 3);
    ot_login_window_push(win, &len, sizeof(win), (const uint8_t *)"defgh", 5);
    assert_int_equal(len, 8);
    assert_memory_equal(win, "abcdefgh", 8);
    ot_login_window_push(win, &len, sizeof(win), (const uint8_t *)"XY", 2); /* drops "ab" */
    assert_int_equal(len, 8);
    assert_memory_equal(win, "cdefghXY", 8);
    ot_login_window_push(win, &len, sizeof(win), (const uint8_t *)"0123456789", 10);
    assert_int_equal(len, 8);
    assert_memory_equal(win, "23456789", 8);
    ot_login_window_push(win, &len, sizeof(win), (const uint8_t *)"", 0);
    assert_int_equal(len, 8);
    assert_memory_equal(win, "23456789", 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dotend_examples), cmocka_unit_test(test_dotend_random),
        cmocka_unit_test(test_line_ieq),        cmocka_unit_test(test_window_push),
        cmocka_unit_test(test_line_init_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
