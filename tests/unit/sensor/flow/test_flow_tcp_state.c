/*
 * TCP state machine: new -> established -> closing -> closed, and a new
 * connection on the 5-tuple of a closed one (port reuse).
 */
#include "flow-test.h"

static void test_handshake_establishes(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct conn c;
    conn_init(&c, t, 100, 900);
    struct ot_packet p = mk_tcp(c.cli, c.cport, c.srv, c.sport, OT_TH_SYN, 100, 0, NULL, 0, T0);
    ot_flow_process(t, &p);
    struct ot_flow *f = r->last_flow;
    assert_int_equal(f->state, OT_FLOW_NEW);
    p = mk_tcp(c.srv, c.sport, c.cli, c.cport, OT_TH_SYN | OT_TH_ACK, 900, 101, NULL, 0, T0 + 1);
    ot_flow_process(t, &p);
    assert_int_equal(f->state, OT_FLOW_NEW);
    p = mk_tcp(c.cli, c.cport, c.srv, c.sport, OT_TH_ACK, 101, 901, NULL, 0, T0 + 2);
    ot_flow_process(t, &p);
    assert_int_equal(f->state, OT_FLOW_ESTABLISHED);
    ot_flow_table_free(t, T0 + 3);
    rec_free(r);
}

/* No SYN-ACK, no handshake: only payload in both directions establishes. */
static void test_data_both_ways_establishes(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct conn c;
    conn_init(&c, t, 100, 900);
    conn_send(&c, 0, OT_TH_ACK, 0, "a", 1);
    struct ot_flow *f = r->last_flow;
    conn_send(&c, 1, OT_TH_ACK, 0, NULL, 0);
    conn_send(&c, 0, OT_TH_ACK, 1, "b", 1);
    assert_int_equal(f->state, OT_FLOW_NEW);
    conn_send(&c, 1, OT_TH_ACK, 0, "c", 1);
    assert_int_equal(f->state, OT_FLOW_ESTABLISHED);
    ot_flow_table_free(t, c.ts);
    rec_free(r);
}

static void test_fin_closing_closed(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct conn c;
    conn_init(&c, t, 100, 900);
    conn_handshake(&c);
    struct ot_flow *f = r->last_flow;
    conn_send(&c, 0, OT_TH_ACK | OT_TH_PSH, 0, "hi", 2);
    conn_send(&c, 0, OT_TH_ACK | OT_TH_FIN, 2, NULL, 0);
    assert_int_equal(f->state, OT_FLOW_CLOSING);
    conn_send(&c, 1, OT_TH_ACK, 0, NULL, 0);
    assert_int_equal(f->state, OT_FLOW_CLOSING);
    conn_send(&c, 1, OT_TH_ACK | OT_TH_FIN, 0, NULL, 0);
    assert_int_equal(f->state, OT_FLOW_CLOSED);
    ot_flow_table_free(t, c.ts);
    assert_int_equal(r->flows[0].at_end.state, OT_FLOW_CLOSED);
    rec_free(r);
}

static void test_rst_closes(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct conn c;
    conn_init(&c, t, 100, 900);
    /* A refused connection: SYN, RST-ACK. */
    struct ot_packet p = mk_tcp(c.cli, c.cport, c.srv, c.sport, OT_TH_SYN, 100, 0, NULL, 0, T0);
    ot_flow_process(t, &p);
    struct ot_flow *f = r->last_flow;
    p = mk_tcp(c.srv, c.sport, c.cli, c.cport, OT_TH_RST | OT_TH_ACK, 0, 101, NULL, 0, T0 + 1);
    ot_flow_process(t, &p);
    assert_int_equal(f->state, OT_FLOW_CLOSED);
    /* An established connection reset mid-way. */
    c.cport = 40001;
    conn_handshake(&c);
    f = r->last_flow;
    assert_int_equal(f->state, OT_FLOW_ESTABLISHED);
    conn_send(&c, 1, OT_TH_RST, 0, NULL, 0);
    assert_int_equal(f->state, OT_FLOW_CLOSED);
    ot_flow_table_free(t, c.ts);
    rec_free(r);
}

/* A SYN in an established connection does not end it; after a close it does. */
static void test_port_reuse_after_close(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct conn c;
    conn_init(&c, t, 100, 900);
    conn_handshake(&c);
    struct ot_flow *f = r->last_flow;
    uint64_t first = f->flow_id;
    conn_send(&c, 0, OT_TH_ACK, 0, "one", 3);
    struct ot_packet p =
        mk_tcp(c.cli, c.cport, c.srv, c.sport, OT_TH_SYN, 100, 0, NULL, 0, c.ts + 1);
    ot_flow_process(t, &p); /* a stray SYN retransmission */
    assert_int_equal(ot_flow_table_stats(t)->created, 1);
    conn_send(&c, 0, OT_TH_ACK | OT_TH_FIN, 3, NULL, 0);
    conn_send(&c, 1, OT_TH_ACK | OT_TH_FIN, 0, NULL, 0);
    assert_int_equal(f->state, OT_FLOW_CLOSED);

    /* New connection, same ports, new ISNs. */
    conn_init(&c, t, 777777, 888888);
    c.ts = T0 + 5 * SEC;
    conn_handshake(&c);
    const struct ot_flow_stats *st = ot_flow_table_stats(t);
    assert_int_equal(st->created, 2);
    assert_int_equal(st->tcp_reused, 1);
    struct rec_flow *old = rec_find(r, first);
    assert_int_equal(old->ends, 1);
    assert_int_equal(old->reason, OT_FLOW_END_TCP_REUSE);
    assert_memory_equal(old->buf[0], "one", 3);
    f = r->last_flow;
    assert_true(f->flow_id != first);
    assert_int_equal(f->state, OT_FLOW_ESTABLISHED);
    assert_int_equal(f->pkts[0], 2);
    assert_int_equal(f->pkts[1], 1);
    conn_send(&c, 0, OT_TH_ACK, 0, "two", 3);
    uint64_t second = f->flow_id;
    ot_flow_table_free(t, c.ts);
    struct rec_flow *nw = rec_find(r, second);
    assert_int_equal(nw->len[0], 3);
    assert_memory_equal(nw->buf[0], "two", 3);
    assert_int_equal(nw->reason, OT_FLOW_END_SHUTDOWN);
    rec_free(r);
}

/* The new SYN may come from the old server: it becomes the new flow's client. */
static void test_port_reuse_reverse_direction(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct conn c;
    conn_init(&c, t, 100, 900);
    conn_handshake(&c);
    conn_send(&c, 1, OT_TH_RST | OT_TH_ACK, 0, NULL, 0);
    struct ot_packet p =
        mk_tcp(c.srv, c.sport, c.cli, c.cport, OT_TH_SYN, 5555, 0, NULL, 0, c.ts + 1);
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->created, 2);
    assert_int_equal(r->last_flow->cli_port, c.sport);
    ot_flow_table_free(t, c.ts + 2);
    rec_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_establishes),
        cmocka_unit_test(test_data_both_ways_establishes),
        cmocka_unit_test(test_fin_closing_closed),
        cmocka_unit_test(test_rst_closes),
        cmocka_unit_test(test_port_reuse_after_close),
        cmocka_unit_test(test_port_reuse_reverse_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
