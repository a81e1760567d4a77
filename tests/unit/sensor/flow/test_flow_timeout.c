/*
 * Timeouts: each state has its own, expiry is driven by packet time, stops
 * at the first live flow of each list, and flush ends everything.
 */
#include "flow-test.h"

static struct ot_flow_config small_timeouts(void)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.timeout_new_s = 30;
    cfg.timeout_est_s = 300;
    cfg.timeout_closed_s = 10;
    cfg.timeout_udp_s = 60;
    return cfg;
}

/* Expire at `idle_s` seconds (and just before) after the flow's last packet. */
static void expect_timeout(struct ot_flow_table *t, struct rec *r, uint64_t id, uint64_t last,
                           uint64_t timeout_s)
{
    ot_flow_expire(t, last + timeout_s * SEC);
    assert_int_equal(rec_find(r, id)->ends, 0);
    ot_flow_expire(t, last + timeout_s * SEC + 1);
    struct rec_flow *rf = rec_find(r, id);
    assert_int_equal(rf->ends, 1);
    assert_int_equal(rf->reason, OT_FLOW_END_TIMEOUT);
    assert_int_equal(rf->end_now, last + timeout_s * SEC + 1);
}

static void test_timeout_new(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg = small_timeouts();
    struct ot_flow_table *t = table_new(r, &cfg);
    struct ot_packet p = mk_tcp("10.0.0.1", 1, "10.0.0.2", 2, OT_TH_SYN, 1, 0, NULL, 0, T0);
    ot_flow_process(t, &p);
    expect_timeout(t, r, r->last_flow->flow_id, T0, 30);
    /* A one-way UDP flow is "new" too. */
    p = mk_udp("10.0.0.1", 1, "10.0.0.2", 2, "x", 1, T0 + 100 * SEC);
    ot_flow_process(t, &p);
    expect_timeout(t, r, r->last_flow->flow_id, T0 + 100 * SEC, 30);
    assert_int_equal(ot_flow_table_stats(t)->timed_out, 2);
    assert_int_equal(ot_flow_table_stats(t)->active, 0);
    ot_flow_table_free(t, T0 + 1000 * SEC);
    rec_free(r);
}

static void test_timeout_established(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg = small_timeouts();
    struct ot_flow_table *t = table_new(r, &cfg);
    struct conn c;
    conn_init(&c, t, 1, 2);
    conn_handshake(&c);
    uint64_t id = r->last_flow->flow_id;
    /* Activity keeps it alive past the idle timeout measured from its start. */
    c.ts += 200 * SEC;
    conn_send(&c, 0, OT_TH_ACK, 0, "a", 1);
    ot_flow_expire(t, T0 + 301 * SEC);
    assert_int_equal(rec_find(r, id)->ends, 0);
    expect_timeout(t, r, id, c.ts, 300);
    ot_flow_table_free(t, c.ts + 1000 * SEC);
    rec_free(r);
}

static void test_timeout_closing_and_closed(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg = small_timeouts();
    struct ot_flow_table *t = table_new(r, &cfg);
    struct conn c;
    conn_init(&c, t, 1, 2);
    conn_handshake(&c);
    uint64_t closing = r->last_flow->flow_id;
    conn_send(&c, 0, OT_TH_ACK | OT_TH_FIN, 0, NULL, 0);
    assert_int_equal(r->last_flow->state, OT_FLOW_CLOSING);
    uint64_t t_closing = c.ts;

    c.cport = 40001;
    conn_handshake(&c);
    uint64_t closed = r->last_flow->flow_id;
    conn_send(&c, 1, OT_TH_RST, 0, NULL, 0);
    assert_int_equal(r->last_flow->state, OT_FLOW_CLOSED);
    uint64_t t_closed = c.ts;

    expect_timeout(t, r, closing, t_closing, 10);
    expect_timeout(t, r, closed, t_closed, 10);
    ot_flow_table_free(t, c.ts + 1000 * SEC);
    rec_free(r);
}

static void test_timeout_udp_icmp(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg = small_timeouts();
    struct ot_flow_table *t = table_new(r, &cfg);
    struct ot_packet p = mk_udp("10.0.0.1", 1000, "10.0.0.2", 53, "q", 1, T0);
    ot_flow_process(t, &p);
    uint64_t udp = r->last_flow->flow_id;
    p = mk_udp("10.0.0.2", 53, "10.0.0.1", 1000, "r", 1, T0 + SEC);
    ot_flow_process(t, &p);
    assert_int_equal(r->last_flow->state, OT_FLOW_ESTABLISHED);
    p = mk_icmp("10.0.0.1", "10.0.0.2", false, 8, 0, T0 + 2 * SEC);
    ot_flow_process(t, &p);
    uint64_t icmp = r->last_flow->flow_id;
    p = mk_icmp("10.0.0.2", "10.0.0.1", false, 0, 0, T0 + 3 * SEC);
    ot_flow_process(t, &p);
    /* Past the "new" timeout: both are established, so they stay. */
    ot_flow_expire(t, T0 + 40 * SEC);
    assert_int_equal(rec_find(r, udp)->ends, 0);
    expect_timeout(t, r, udp, T0 + SEC, 60);
    expect_timeout(t, r, icmp, T0 + 3 * SEC, 60);
    ot_flow_table_free(t, T0 + 1000 * SEC);
    rec_free(r);
}

/*
 * Many flows of mixed states; one expiry pass ends exactly the idle ones,
 * oldest first, and an early call ends nothing.
 */
static void test_expire_mixed(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg = small_timeouts();
    struct ot_flow_table *t = table_new(r, &cfg);
    /* 10 one-way UDP flows (new, 30 s), one per second. */
    for (unsigned i = 0; i < 10; i++) {
        char ip[16];
        snprintf(ip, sizeof(ip), "10.0.1.%u", i + 1);
        struct ot_packet p = mk_udp(ip, 1000, "10.0.0.2", 53, "q", 1, T0 + i * SEC);
        ot_flow_process(t, &p);
    }
    /* A closed TCP flow at 5 s (10 s). */
    struct conn c;
    conn_init(&c, t, 1, 2);
    c.ts = T0 + 5 * SEC;
    conn_handshake(&c);
    conn_send(&c, 0, OT_TH_RST, 1, NULL, 0);
    uint64_t closed = r->last_flow->flow_id;

    ot_flow_expire(t, T0 + 10 * SEC);
    assert_int_equal(ot_flow_table_stats(t)->ended, 0);
    ot_flow_expire(t, T0 + 16 * SEC);
    assert_int_equal(rec_find(r, closed)->ends, 1);
    assert_int_equal(ot_flow_table_stats(t)->ended, 1);
    /* At 34.5 s the flows seen at 0..4 s have been idle more than 30 s. */
    ot_flow_expire(t, T0 + 34 * SEC + SEC / 2);
    assert_int_equal(ot_flow_table_stats(t)->timed_out, 6);
    assert_int_equal(ot_flow_table_stats(t)->active, 5);
    /* Time going backwards ends nothing. */
    ot_flow_expire(t, T0);
    assert_int_equal(ot_flow_table_stats(t)->active, 5);
    ot_flow_flush(t, T0 + 35 * SEC);
    assert_int_equal(ot_flow_table_stats(t)->active, 0);
    assert_int_equal(ot_flow_table_stats(t)->ended, 11);
    /* Flush ends the oldest first. */
    assert_string_equal(r->log + r->loglen - strlen("E:shutdown ") * 5,
                        "E:shutdown E:shutdown E:shutdown E:shutdown E:shutdown ");
    for (unsigned i = 0; i < r->n; i++)
        assert_int_equal(r->flows[i].ends, 1);
    uint64_t prev = 0;
    for (unsigned i = 0; i < r->n; i++) {
        if (r->flows[i].reason != OT_FLOW_END_SHUTDOWN)
            continue;
        assert_true(r->flows[i].at_end.last_us >= prev);
        prev = r->flows[i].at_end.last_us;
    }
    ot_flow_table_free(t, T0 + 36 * SEC);
    rec_free(r);
}

/* A state change moves a flow to the list of its new timeout. */
static void test_state_change_changes_timeout(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg = small_timeouts();
    struct ot_flow_table *t = table_new(r, &cfg);
    struct conn c;
    conn_init(&c, t, 1, 2);
    conn_handshake(&c);
    uint64_t id = r->last_flow->flow_id;
    ot_flow_expire(t, c.ts + 31 * SEC);
    assert_int_equal(rec_find(r, id)->ends, 0); /* established: 300 s */
    c.ts += 31 * SEC;
    conn_send(&c, 0, OT_TH_ACK | OT_TH_FIN, 0, NULL, 0);
    expect_timeout(t, r, id, c.ts, 10);
    ot_flow_table_free(t, c.ts + 1000 * SEC);
    rec_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout_new),
        cmocka_unit_test(test_timeout_established),
        cmocka_unit_test(test_timeout_closing_and_closed),
        cmocka_unit_test(test_timeout_udp_icmp),
        cmocka_unit_test(test_expire_mixed),
        cmocka_unit_test(test_state_change_changes_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
