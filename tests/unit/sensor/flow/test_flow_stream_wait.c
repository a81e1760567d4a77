/*
 * TCP reassembly when a bare ACK acknowledges bytes not seen yet (KI-8): the
 * capture may hold the data just after its ACK, so the hole is waited for,
 * and given up (as a gap) only when the peer sends payload acknowledging it
 * too, after OT_REASM_WAIT_US of packet time, or when the flow ends.
 * Offsets are relative to each side's first payload byte (flow-test.h).
 */
#include "flow-test.h"

#define ACKPSH (OT_TH_ACK | OT_TH_PSH)
#define WAIT   1000000ULL /* OT_REASM_WAIT_US */

static uint64_t gaps(struct fixture *x)
{
    return ot_flow_table_stats(x->t)->tcp_reassembly_gaps;
}

/* The capture of suricata-verify smb1-02: the server's ACK of the request, then the request. */
static void test_ack_before_data(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 5, NULL, 0);
    conn_send(&x->c, 0, ACKPSH, 0, "hello", 5);
    conn_send(&x->c, 1, ACKPSH, 0, "world", 5);
    assert_stream(fx_flow(x), 0, "hello");
    assert_stream(fx_flow(x), 1, "world");
    assert_string_equal(x->r->log, "P1 P0 D0:5 P1 D1:5 ");
    /* The wait is over: a later hole acknowledged with an answer is a gap at once. */
    conn_send_ack(&x->c, 1, ACKPSH, 5, 8, "!", 1);
    assert_stream(fx_flow(x), 0, "hello___");
    assert_int_equal(gaps(x), 1);
    fx_free(x);
}

/* Held data after the hole, the ACK of all of it, then the hole's bytes. */
static void test_ack_before_data_with_held(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 3, "def", 3);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 6, NULL, 0);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 6, NULL, 0); /* a duplicate ACK changes nothing */
    assert_int_equal(x->r->flows[0].len[0], 0);
    conn_send(&x->c, 0, ACKPSH, 0, "abc", 3);
    assert_stream(fx_flow(x), 0, "abcdef");
    assert_int_equal(gaps(x), 0);
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_memuse, 0);
    fx_free(x);
}

/* The ACK covers the FIN too: the data and the FIN end the wait, nothing is lost. */
static void test_ack_of_fin_before_data(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send_ack(&x->c, 1, OT_TH_ACK | OT_TH_FIN, 0, 4, NULL, 0);
    conn_send(&x->c, 0, ACKPSH | OT_TH_FIN, 0, "bye", 3);
    x->c.ts += 5 * WAIT;
    ot_flow_expire(x->t, x->c.ts);
    ot_flow_flush(x->t, x->c.ts);
    assert_stream(fx_flow(x), 0, "bye");
    assert_int_equal(gaps(x), 0);
    fx_free(x);
}

/* The peer's payload acknowledging the hole ends the wait: the gap comes before that payload. */
static void test_wait_ends_with_peer_payload(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "ab", 2);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 5, NULL, 0);
    assert_int_equal(gaps(x), 0);
    conn_send_ack(&x->c, 1, ACKPSH, 0, 5, "re", 2);
    assert_string_equal(x->r->log, "P0 D0:2 P1 P1 G0:3 D1:2 ");
    assert_stream(fx_flow(x), 0, "ab___");
    assert_int_equal(gaps(x), 1);
    /* The lost bytes coming late are a retransmission. */
    conn_send(&x->c, 0, ACKPSH, 2, "cde", 3);
    assert_stream(fx_flow(x), 0, "ab___");
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_retransmits, 1);
    fx_free(x);
}

/* The peer acknowledging only part of what it waited for gives up only that part. */
static void test_peer_payload_acks_part(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 6, NULL, 0);
    conn_send_ack(&x->c, 1, ACKPSH, 0, 2, "re", 2);
    assert_stream(fx_flow(x), 0, "__");
    conn_send(&x->c, 0, ACKPSH, 2, "cdef", 4);
    assert_stream(fx_flow(x), 0, "__cdef");
    assert_int_equal(gaps(x), 1);
    fx_free(x);
}

/* Nothing comes: the hole is given up after the wait, by the next packet of any flow. */
static void test_wait_times_out(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "ab", 2);
    conn_send(&x->c, 0, ACKPSH, 4, "ef", 2); /* held */
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 8, NULL, 0);
    uint64_t acked = x->c.ts;
    struct ot_packet p = mk_udp("10.9.9.9", 53, "10.9.9.8", 53, "q", 1, acked + WAIT - 1);
    ot_flow_process(x->t, &p);
    ot_flow_expire(x->t, acked + WAIT - 1);
    assert_stream(fx_flow(x), 0, "ab");
    assert_int_equal(gaps(x), 0);
    p = mk_udp("10.9.9.9", 53, "10.9.9.8", 53, "q", 1, acked + WAIT);
    ot_flow_process(x->t, &p);
    assert_stream(fx_flow(x), 0, "ab__ef__");
    assert_int_equal(gaps(x), 2);
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_memuse, 0);
    fx_free(x);
}

/* With no packets at all, the once-a-second expiry call ends the wait. */
static void test_wait_times_out_on_expire(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 4, NULL, 0);
    ot_flow_expire(x->t, x->c.ts + WAIT);
    assert_stream(fx_flow(x), 0, "____");
    assert_int_equal(x->r->flows[0].ends, 0);
    fx_free(x);
}

/* The flow ending ends the wait: the gap is reported before on_end. */
static void test_wait_ends_with_flow(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send(&x->c, 0, ACKPSH, 0, "ab", 2);
    conn_send(&x->c, 0, ACKPSH, 4, "ef", 2);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 9, NULL, 0);
    ot_flow_flush(x->t, x->c.ts);
    assert_string_equal(x->r->log, "P0 D0:2 P0 P1 G0:2 D0:2 G0:3 E:shutdown ");
    assert_stream(fx_flow(x), 0, "ab__ef___");
    fx_free(x);
}

/*
 * A wait that ended early leaves its ring entry behind; when that entry comes
 * due it must not end a newer wait of the same stream, which gets its full
 * time.  A later ACK further on extends the wait without restarting it.
 */
static void test_stale_entry_spares_new_wait(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 2, NULL, 0); /* wait 1 */
    conn_send(&x->c, 0, ACKPSH, 0, "ab", 2);           /* ends it */
    x->c.ts += WAIT / 2;
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 4, NULL, 0); /* wait 2 */
    uint64_t started = x->c.ts;
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 6, NULL, 0); /* extends wait 2 */
    ot_flow_expire(x->t, started + WAIT / 2);          /* wait 1's entry is due */
    assert_stream(fx_flow(x), 0, "ab");
    ot_flow_expire(x->t, started + WAIT);
    assert_stream(fx_flow(x), 0, "ab____");
    assert_int_equal(gaps(x), 1);
    fx_free(x);
}

/*
 * An ACK far past a server that then retransmits its SYN-ACK: the server has
 * sent nothing, so the wait ends without a gap (it used to be one huge gap).
 */
static void test_syn_again_ends_wait(void **state)
{
    struct fixture *x = fx_new(NULL, 1000, 9000);
    conn_send_ack(&x->c, 0, OT_TH_ACK, 0, 993998, NULL, 0);
    struct ot_packet p = mk_tcp(x->c.srv, x->c.sport, x->c.cli, x->c.cport, OT_TH_SYN | OT_TH_ACK,
                                9000, 1001, NULL, 0, x->c.ts + 1000);
    ot_flow_process(x->t, &p);
    ot_flow_flush(x->t, x->c.ts + 2000);
    assert_int_equal(fx_flow(x)->len[1], 0);
    assert_int_equal(gaps(x), 0);
    fx_free(x);
}

/* Holding data while waiting stays within the per-direction bound. */
static void test_wait_keeps_bounds(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.stream_ooo_max = 10;
    struct fixture *x = fx_new(&cfg, 1000, 9000);
    conn_send_ack(&x->c, 1, OT_TH_ACK, 0, 40, NULL, 0);
    struct ot_flow *f = x->r->last_flow;
    for (uint32_t off = 2; off < 40; off += 4) {
        conn_send(&x->c, 0, ACKPSH, off, "wxyz", 4);
        assert_true(f->stream[0].ooo_bytes <= 10);
    }
    /* The first hole was given up to make room, and the rest is delivered. */
    char want[43] = "__";
    for (int i = 0; i < 10; i++)
        memcpy(want + 2 + 4 * i, "wxyz", 4);
    want[42] = 0;
    assert_stream(fx_flow(x), 0, want);
    assert_int_equal(gaps(x), 1);
    assert_int_equal(ot_flow_table_stats(x->t)->tcp_ooo_memuse, 0);
    fx_free(x);
}

/* Counting callbacks for many flows (the recorder keeps only REC_MAX_FLOWS). */
struct count {
    uint64_t gaps, gap_bytes, bytes;
};

static void count_data(void *ctx, struct ot_flow *f, int dir, const uint8_t *data, uint32_t len,
                       unsigned flags, uint64_t ts_us)
{
    struct count *c = ctx;
    if (flags & OT_DATA_GAP) {
        c->gaps++;
        c->gap_bytes += len;
    } else {
        c->bytes += len;
    }
}

/*
 * More waits than the ring's 1024 slots: the oldest are given up early (as
 * gaps) to make room, so the waits never take more than the ring.
 */
static void test_ring_full_gives_up_oldest(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.max_flows = 4096;
    struct count cnt = {0};
    struct ot_flow_callbacks cb = {.ctx = &cnt, .on_data = count_data};
    struct ot_flow_table *t = NULL;
    assert_int_equal(ot_flow_table_new(&cfg, &cb, &t), 0);
    const unsigned n = 3000, slots = 1024;
    uint64_t ts = T0;
    for (unsigned i = 0; i < n; i++) {
        uint16_t port = (uint16_t)(10000 + i);
        struct ot_packet p =
            mk_tcp("10.0.0.1", port, "10.0.0.2", 445, OT_TH_SYN, 100, 0, NULL, 0, ts++);
        ot_flow_process(t, &p);
        p = mk_tcp("10.0.0.2", 445, "10.0.0.1", port, OT_TH_SYN | OT_TH_ACK, 500, 101, NULL, 0,
                   ts++);
        ot_flow_process(t, &p);
        p = mk_tcp("10.0.0.2", 445, "10.0.0.1", port, OT_TH_ACK, 501, 111, NULL, 0, ts++);
        ot_flow_process(t, &p);
        assert_int_equal(cnt.gaps, i < slots ? 0 : i + 1 - slots);
    }
    assert_int_equal(cnt.gap_bytes, (uint64_t)(n - slots) * 10);
    /* The latest waits are still on: their data arrives and is whole. */
    for (unsigned i = n - 10; i < n; i++) {
        uint16_t port = (uint16_t)(10000 + i);
        struct ot_packet p =
            mk_tcp("10.0.0.1", port, "10.0.0.2", 445, ACKPSH, 101, 501, "0123456789", 10, ts++);
        ot_flow_process(t, &p);
    }
    assert_int_equal(cnt.bytes, 100);
    assert_int_equal(cnt.gaps, n - slots);
    /* The flows' end gives up the waits still on. */
    ot_flow_table_free(t, ts);
    assert_int_equal(cnt.gaps, n - 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_before_data),
        cmocka_unit_test(test_ack_before_data_with_held),
        cmocka_unit_test(test_ack_of_fin_before_data),
        cmocka_unit_test(test_wait_ends_with_peer_payload),
        cmocka_unit_test(test_peer_payload_acks_part),
        cmocka_unit_test(test_wait_times_out),
        cmocka_unit_test(test_wait_times_out_on_expire),
        cmocka_unit_test(test_wait_ends_with_flow),
        cmocka_unit_test(test_stale_entry_spares_new_wait),
        cmocka_unit_test(test_syn_again_ends_wait),
        cmocka_unit_test(test_wait_keeps_bounds),
        cmocka_unit_test(test_ring_full_gives_up_oldest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
