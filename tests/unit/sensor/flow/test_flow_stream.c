/*
 * TCP reassembly through the flow table: order, retransmissions, overlaps,
 * gaps, depth, sequence wraparound, the out-of-order bounds and the flush
 * when a flow ends.  Offsets in conn_send() are relative to the first
 * payload byte, so each test reads as a byte diagram.
 */
#include "flow-test.h"

#define ACKPSH (OT_TH_ACK | OT_TH_PSH)

static void test_in_order_uncopied(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    static const char a[] = "GET / HTTP/1.1\r\n", b[] = "Host: x\r\n\r\n";
    conn_send(&x->c, 0, ACKPSH, 0, a, 16);
    assert_ptr_equal(x->r->last_data, (const uint8_t *)a);
    conn_send(&x->c, 0, ACKPSH, 16, b, 11);
    assert_ptr_equal(x->r->last_data, (const uint8_t *)b);
    conn_send(&x->c, 1, ACKPSH, 0, "HTTP/1.1 200 OK", 15);
    struct rec_flow *rf = fx_flow(x);
    assert_stream(rf, 0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_stream(rf, 1, "HTTP/1.1 200 OK");
    assert_string_equal(x->r->log, "P0 D0:16 P0 D0:11 P1 D1:15 ");
    const struct ot_flow_stats *st = ot_flow_table_stats(x->t);
    assert_int_equal(st->tcp_retransmits + st->tcp_overlaps + st->tcp_reassembly_gaps, 0);
    fx_free(x);
}

static void test_out_of_order(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 6, "ghi", 3);
    conn_send(&x->c, 0, ACKPSH, 3, "def", 3);
    assert_int_equal(fx_flow(x)->len[0], 0);
    assert_true(ot_flow_table_stats(x->t)->tcp_ooo_memuse > 6);
    conn_send(&x->c, 0, ACKPSH, 0, "abc", 3);
    assert_stream(fx_flow(x), 0, "abcdefghi");
    assert_string_equal(x->r->log, "P0 P0 P0 D0:3 D0:3 D0:3 ");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_memuse, 0);
    /* Held segments arriving in reverse order, one spanning two holes. */
    conn_send(&x->c, 0, ACKPSH, 20, "uv", 2);
    conn_send(&x->c, 0, ACKPSH, 14, "op", 2);
    conn_send(&x->c, 0, ACKPSH, 12, "mnopqrstuvwx", 12);
    conn_send(&x->c, 0, ACKPSH, 9, "jkl", 3);
    assert_stream(fx_flow(x), 0, "abcdefghijklmnopqrstuvwx");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_memuse, 0);
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_overlaps, 1);
    fx_free(x);
}

static void test_retransmission(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "abc", 3);
    conn_send(&x->c, 0, ACKPSH, 0, "abc", 3);
    conn_send(&x->c, 0, ACKPSH, 1, "b", 1);
    /* Retransmission of held (not yet delivered) data. */
    conn_send(&x->c, 0, ACKPSH, 5, "fg", 2);
    conn_send(&x->c, 0, ACKPSH, 5, "fg", 2);
    conn_send(&x->c, 0, ACKPSH, 3, "de", 2);
    assert_stream(fx_flow(x), 0, "abcdefg");
    const struct ot_flow_stats *st = ot_flow_table_stats(x->t);
    assert_int_equal(st->tcp_retransmits, 3);
    assert_int_equal(st->tcp_overlaps, 0);
    fx_free(x);
}

/* First data wins, against delivered bytes and against held bytes. */
static void test_partial_overlap(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "abcd", 4);
    conn_send(&x->c, 0, ACKPSH, 2, "ZZef", 4);
    assert_stream(fx_flow(x), 0, "abcdef");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_overlaps, 1);

    conn_send(&x->c, 0, ACKPSH, 10, "KLMN", 4);       /* held 10..14 */
    conn_send(&x->c, 0, ACKPSH, 6, "ghijzzzzop", 10); /* 6..16: zzzz loses to KLMN */
    assert_stream(fx_flow(x), 0, "abcdefghijKLMNop");
    assert_string_equal(x->r->log, "P0 D0:4 P0 D0:2 P0 P0 D0:4 D0:4 D0:2 ");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_overlaps, 2);
    /* A new held segment overlapping two held ones fills only the holes between. */
    conn_send(&x->c, 0, ACKPSH, 20, "U", 1);
    conn_send(&x->c, 0, ACKPSH, 23, "X", 1);
    conn_send(&x->c, 0, ACKPSH, 19, "tuvwxy", 6);
    conn_send(&x->c, 0, ACKPSH, 16, "qrs", 3);
    assert_stream(fx_flow(x), 0, "abcdefghijKLMNopqrstUvwXy");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_overlaps, 3);
    fx_free(x);
}

/*
 * The receiver acknowledges past a hole and answers: the hole is lost,
 * reported before the answer, and delivery goes on.
 */
static void test_gap_on_ack_then_continue(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "abc", 3);
    /* 3..6 never captured */
    conn_send(&x->c, 0, ACKPSH, 6, "ghi", 3);
    assert_int_equal(fx_flow(x)->len[0], 3);
    conn_send_ack(&x->c, 1, ACKPSH, 0, 9, "ok", 2);
    assert_stream(fx_flow(x), 0, "abc___ghi");
    conn_send(&x->c, 0, ACKPSH, 9, "jkl", 3);
    assert_stream(fx_flow(x), 0, "abc___ghijkl");
    assert_string_equal(x->r->log, "P0 D0:3 P0 P1 G0:3 D0:3 D1:2 P0 D0:3 ");
    /* Lost at the tail with nothing held: reported with the next answer. */
    conn_send_ack(&x->c, 1, ACKPSH, 2, 20, "ok", 2);
    assert_stream(fx_flow(x), 0, "abc___ghijkl________");
    /* Late arrival of lost bytes is a retransmission now. */
    conn_send(&x->c, 0, ACKPSH, 3, "def", 3);
    const struct ot_flow_stats *st = ot_flow_table_stats(x->t);
    assert_int_equal(st->tcp_reassembly_gaps, 2);
    assert_int_equal(st->tcp_retransmits, 1);
    assert_int_equal(fx_flow(x)->gaps[0], 2);
    assert_int_equal(fx_flow(x)->gap_bytes[0], 11);
    fx_free(x);
}

/* Acknowledging a FIN (one sequence number past the data) is not a gap. */
static void test_fin_ack_is_not_gap(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH | OT_TH_FIN, 0, "bye", 3);
    conn_send_ack(&x->c, 1, OT_TH_ACK | OT_TH_FIN, 0, 4, NULL, 0);
    conn_send_ack(&x->c, 0, OT_TH_ACK, 4, 1, NULL, 0);
    assert_stream(fx_flow(x), 0, "bye");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_reassembly_gaps, 0);
    fx_free(x);
}

static void test_depth_limit(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.stream_depth = 10;
    struct fixture *x = fx_new(&cfg, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "012345", 6);
    conn_send(&x->c, 0, ACKPSH, 15, "held", 4); /* freed when the depth is reached */
    conn_send(&x->c, 0, ACKPSH, 6, "6789abc", 7);
    struct ot_flow *f = x->r->last_flow;
    assert_true(f->stream[0].depth_reached);
    assert_int_equal(f->stream[0].delivered, 10);
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_memuse, 0);
    conn_send(&x->c, 0, ACKPSH, 13, "more", 4);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 100, NULL, 0); /* no gap past the depth */
    assert_stream(fx_flow(x), 0, "0123456789");
    assert_false(f->stream[1].depth_reached);
    conn_send(&x->c, 1, ACKPSH, 0, "other side", 10);
    assert_true(f->stream[1].depth_reached);
    assert_stream(fx_flow(x), 1, "other side");
    assert_string_equal(x->r->log, "P0 D0:6 P0 P0 D0:4 P0 P1 P1 D1:10 ");
    fx_free(x);
}

static void test_depth_zero_delivers_nothing(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.stream_depth = 0;
    struct fixture *x = fx_new(&cfg, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "abc", 3);
    conn_send(&x->c, 0, ACKPSH, 5, "fgh", 3);
    assert_int_equal(x->r->n, 1);
    assert_int_equal(fx_flow(x)->data_calls[0], 0);
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_memuse, 0);
    fx_free(x);
}

/* Sequence numbers wrap past 2^32 in the middle of the data, out of order. */
static void test_wraparound(void **state)
{
    struct fixture *x = fx_new(NULL, 0xfffffff0u, 0xffffffffu);
    const char *s = "0123456789abcdefghijklmnopqrstuvwxyzABCDEF";
    conn_send(&x->c, 0, ACKPSH, 20, s + 20, 10); /* seq wraps: 0x3..0xd */
    conn_send(&x->c, 0, ACKPSH, 0, s, 8);        /* 0xfffffff1.. */
    conn_send(&x->c, 0, ACKPSH, 12, s + 12, 8);  /* crosses 2^32 */
    conn_send(&x->c, 0, ACKPSH, 6, s + 6, 8);    /* overlap, crossing too */
    conn_send(&x->c, 0, ACKPSH, 30, s + 30, 12);
    assert_stream(fx_flow(x), 0, s);
    /* The server's ISN is 0xffffffff: its payload starts at 0. */
    conn_send(&x->c, 1, ACKPSH, 0, "srv", 3);
    assert_stream(fx_flow(x), 1, "srv");
    struct ot_flow *f = x->r->last_flow;
    assert_int_equal(f->stream[1].isn, 0);
    assert_int_equal(f->stream[0].next_seq, 0xfffffff1u + 42);
    /* An acknowledgement across the wrap, with an answer (so not waited for). */
    conn_send_ack(&x->c, 1, ACKPSH, 3, 50, "!", 1);
    assert_stream(fx_flow(x), 0, "0123456789abcdefghijklmnopqrstuvwxyzABCDEF________");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_retransmits, 0);
    fx_free(x);
}

/* The per-direction bound: the first hole is given up so the buffer can move on. */
static void test_ooo_bound_skips_hole(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.stream_ooo_max = 10;
    struct fixture *x = fx_new(&cfg, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "a", 1);
    conn_send(&x->c, 0, ACKPSH, 3, "ddddd", 5);    /* held 3..8 */
    conn_send(&x->c, 0, ACKPSH, 10, "kkkkkkk", 7); /* 12 > 10 held: hole 1..3 given up */
    assert_stream(fx_flow(x), 0, "a__ddddd");
    assert_int_equal(x->r->last_flow->stream[0].ooo_bytes, 7);
    conn_send(&x->c, 0, ACKPSH, 8, "ii", 2);
    assert_stream(fx_flow(x), 0, "a__dddddiikkkkkkk");
    assert_string_equal(x->r->log, "P0 D0:1 P0 P0 G0:2 D0:5 P0 D0:2 D0:7 ");
    const struct ot_flow_stats *st = ot_flow_table_stats(x->t);
    assert_int_equal(st->tcp_reassembly_gaps, 1);
    assert_int_equal(st->tcp_ooo_dropped, 0);
    /* The new segment lies inside the hole: skip only up to it, not past it. */
    conn_send(&x->c, 0, ACKPSH, 25, "zzzzzzzz", 8); /* held 25..33 */
    conn_send(&x->c, 0, ACKPSH, 20, "uuuu", 4);     /* 12 > 10: hole 17..20 given up */
    assert_stream(fx_flow(x), 0, "a__dddddiikkkkkkk___uuuu");
    conn_send(&x->c, 0, ACKPSH, 24, "y", 1);
    assert_stream(fx_flow(x), 0, "a__dddddiikkkkkkk___uuuuyzzzzzzzz");
    fx_free(x);
}

/* A segment that cannot be held even with the buffer empty is dropped and counted. */
static void test_ooo_bound_drop_counter(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.stream_ooo_max = 10;
    struct fixture *x = fx_new(&cfg, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "a", 1);
    conn_send(&x->c, 0, ACKPSH, 5, "0123456789X", 11);
    const struct ot_flow_stats *st = ot_flow_table_stats(x->t);
    assert_int_equal(st->tcp_ooo_dropped, 11);
    assert_int_equal(st->tcp_retransmits, 0);
    assert_int_equal(st->tcp_ooo_memuse, 0);
    /* In order, the same size needs no buffer. */
    conn_send(&x->c, 0, ACKPSH, 1, "bcde0123456789X", 15);
    assert_stream(fx_flow(x), 0, "abcde0123456789X");
    fx_free(x);
}

/* Many tiny held segments: their number is bounded too (ooo_max / 256, at least 16). */
static void test_ooo_segment_count_bound(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.stream_ooo_max = 4096; /* 16 segments */
    struct fixture *x = fx_new(&cfg, 1000, 9000);
    for (unsigned i = 0; i < 16; i++)
        conn_send(&x->c, 0, ACKPSH, 1 + 2 * i, "s", 1);
    struct ot_flow *f = x->r->last_flow;
    assert_int_equal(f->stream[0].ooo_segs, 16);
    assert_int_equal(fx_flow(x)->len[0], 0);
    conn_send(&x->c, 0, ACKPSH, 33, "t", 1); /* a 17th: the first hole is given up */
    assert_int_equal(f->stream[0].ooo_segs, 16);
    assert_stream(fx_flow(x), 0, "_s");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_reassembly_gaps, 1);
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_dropped, 0);
    fx_free(x);
}

/* The table-wide memcap: another flow's held data leaves no room, so this one drops. */
static void test_memcap(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.stream_ooo_max = 1000;
    cfg.stream_memcap = 150;
    struct fixture *x = fx_new(&cfg, 1000, 9000);
    static uint8_t blob[60];
    memset(blob, 'A', sizeof(blob));
    conn_send(&x->c, 0, ACKPSH, 10, blob, 60);
    const struct ot_flow_stats *st = ot_flow_table_stats(x->t);
    uint64_t held = st->tcp_ooo_memuse;
    assert_true(held > 60 && held <= 150);
    assert_int_equal(st->tcp_ooo_dropped, 0);

    struct conn c2;
    conn_init(&c2, x->t, 5, 6);
    c2.cport = 40001;
    c2.ts = x->c.ts;
    conn_handshake(&c2);
    conn_send(&c2, 0, ACKPSH, 10, blob, 60);
    assert_int_equal(st->tcp_ooo_dropped, 60);
    assert_int_equal(st->tcp_ooo_memuse, held);
    /* The first flow's own hole is given up to make room for its next segment. */
    conn_send(&x->c, 0, ACKPSH, 100, blob, 60);
    char want[71];
    memset(want, '_', 10);
    memset(want + 10, 'A', 60);
    want[70] = 0;
    assert_stream(fx_flow(x), 0, want);
    assert_int_equal(st->tcp_ooo_memuse, held);
    ot_flow_flush(x->t, x->c.ts);
    assert_int_equal(st->tcp_ooo_memuse, 0);
    fx_free(x);
}

/* Nothing a TCP window (2^30) or more ahead is believed: not data, not an acknowledgement. */
static void test_far_ahead_ignored(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "abc", 3);
    conn_send(&x->c, 0, ACKPSH, (1u << 30) + 3, "bogus", 5);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, (1u << 30) + 3, NULL, 0);
    const struct ot_flow_stats *st = ot_flow_table_stats(x->t);
    assert_int_equal(st->tcp_ooo_dropped, 5);
    assert_int_equal(st->tcp_reassembly_gaps, 0);
    conn_send(&x->c, 0, ACKPSH, 3, "def", 3);
    conn_send(&x->c, 0, ACKPSH, (1u << 30) - 1, "far", 3); /* just inside: held */
    ot_flow_flush(x->t, x->c.ts);
    assert_int_equal(fx_flow(x)->gap_bytes[0], (1u << 30) - 7); /* counted, not stored */
    assert_stream(fx_flow(x), 0, "abcdeffar");
    fx_free(x);
}

/* When a flow ends, held data is delivered (after a gap) before on_end. */
static void test_flush_at_end(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "ab", 2);
    conn_send(&x->c, 0, ACKPSH, 4, "ef", 2);
    conn_send(&x->c, 0, ACKPSH, 8, "ij", 2);
    conn_send(&x->c, 1, ACKPSH, 3, "XY", 2);
    ot_flow_flush(x->t, x->c.ts);
    assert_string_equal(x->r->log, "P0 D0:2 P0 P0 P1 G0:2 D0:2 G0:2 D0:2 G1:3 D1:2 E:shutdown ");
    assert_stream(fx_flow(x), 0, "ab__ef__ij");
    assert_stream(fx_flow(x), 1, "___XY");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_memuse, 0);
    fx_free(x);
}

/* Where the payload starts without a SYN: from the SYN-ACK, or from the first data. */
static void test_isn_learning(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    /* SYN missed: the SYN-ACK's acknowledgement says where the client starts. */
    struct ot_packet p =
        mk_tcp("10.0.0.2", 80, "10.0.0.1", 40000, OT_TH_SYN | OT_TH_ACK, 500, 1001, NULL, 0, T0);
    ot_flow_process(t, &p);
    p = mk_tcp("10.0.0.1", 40000, "10.0.0.2", 80, ACKPSH, 1004, 501, "def", 3, T0 + 1);
    ot_flow_process(t, &p);
    p = mk_tcp("10.0.0.1", 40000, "10.0.0.2", 80, ACKPSH, 1001, 501, "abc", 3, T0 + 2);
    ot_flow_process(t, &p);
    assert_stream(&r->flows[0], 0, "abcdef");
    /* Midstream: the first segment seen starts the stream. */
    p = mk_tcp("10.0.0.3", 40000, "10.0.0.2", 80, ACKPSH, 77777, 1, "xyz", 3, T0 + 3);
    ot_flow_process(t, &p);
    p = mk_tcp("10.0.0.3", 40000, "10.0.0.2", 80, ACKPSH, 77780, 1, "123", 3, T0 + 4);
    ot_flow_process(t, &p);
    assert_stream(&r->flows[1], 0, "xyz123");
    /* Payload on a SYN (TCP Fast Open) starts after the SYN's own number. */
    p = mk_tcp("10.0.0.4", 40000, "10.0.0.2", 80, OT_TH_SYN, 9, 0, "tfo", 3, T0 + 5);
    ot_flow_process(t, &p);
    p = mk_tcp("10.0.0.4", 40000, "10.0.0.2", 80, ACKPSH, 13, 1, "!", 1, T0 + 6);
    ot_flow_process(t, &p);
    assert_stream(&r->flows[2], 0, "tfo!");
    /* Payload on a RST is not stream data. */
    p = mk_tcp("10.0.0.4", 40000, "10.0.0.2", 80, OT_TH_RST, 14, 0, "rst", 3, T0 + 7);
    ot_flow_process(t, &p);
    assert_stream(&r->flows[2], 0, "tfo!");
    ot_flow_table_free(t, T0 + 8);
    rec_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_uncopied),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_retransmission),
        cmocka_unit_test(test_partial_overlap),
        cmocka_unit_test(test_gap_on_ack_then_continue),
        cmocka_unit_test(test_fin_ack_is_not_gap),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_depth_zero_delivers_nothing),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_ooo_bound_skips_hole),
        cmocka_unit_test(test_ooo_bound_drop_counter),
        cmocka_unit_test(test_ooo_segment_count_bound),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_far_ahead_ignored),
        cmocka_unit_test(test_flush_at_end),
        cmocka_unit_test(test_isn_learning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
