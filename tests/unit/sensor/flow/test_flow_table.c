/*
 * Flow table: keys, directions, client detection, counters, ids, eviction,
 * callbacks and their order, flow end exactly once.
 */
#include "flow-test.h"

#include "otasuke/error.h"

static void test_both_directions_one_flow(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct ot_packet p = mk_udp("192.168.1.10", 5353, "8.8.8.8", 53, "q", 1, T0);
    ot_flow_process(t, &p);
    p = mk_udp("8.8.8.8", 53, "192.168.1.10", 5353, "ans", 3, T0 + 10);
    ot_flow_process(t, &p);
    p = mk_udp("192.168.1.10", 5353, "8.8.8.8", 53, "q2", 2, T0 + 20);
    ot_flow_process(t, &p);
    const struct ot_flow_stats *st = ot_flow_table_stats(t);
    assert_int_equal(st->created, 1);
    assert_int_equal(st->active, 1);

    struct ot_flow *f = r->last_flow;
    assert_non_null(f);
    assert_int_equal(f->pkts[0], 2);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(f->bytes[0], (20 + 8 + 1) + (20 + 8 + 2));
    assert_int_equal(f->bytes[1], 20 + 8 + 3);
    assert_int_equal(f->cli_port, 5353);
    assert_int_equal(f->srv_port, 53);
    assert_int_equal(f->start_us, T0);
    assert_int_equal(f->last_us, T0 + 20);
    assert_int_equal(f->state, OT_FLOW_ESTABLISHED);
    assert_int_equal(f->ip_proto, 17);
    assert_false(f->v6);
    char ip[16];
    inet_ntop(AF_INET, f->cli.u.b, ip, sizeof(ip));
    assert_string_equal(ip, "192.168.1.10");

    ot_flow_table_free(t, T0 + 30);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->flows[0].ends, 1);
    assert_int_equal(r->flows[0].reason, OT_FLOW_END_SHUTDOWN);
    rec_free(r);
}

static void test_same_addresses_different_ports(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    /* Same address both ends: ports alone decide the order. */
    struct ot_packet p = mk_udp("127.0.0.1", 1000, "127.0.0.1", 2000, "a", 1, T0);
    ot_flow_process(t, &p);
    p = mk_udp("127.0.0.1", 2000, "127.0.0.1", 1000, "b", 1, T0 + 1);
    ot_flow_process(t, &p);
    p = mk_udp("127.0.0.1", 1000, "127.0.0.1", 2001, "c", 1, T0 + 2);
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->created, 2);
    ot_flow_table_free(t, T0 + 3);
    assert_int_equal(r->flows[0].at_end.pkts[0], 1);
    assert_int_equal(r->flows[0].at_end.pkts[1], 1);
    rec_free(r);
}

static void test_tcp_counters_and_flags(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct conn c;
    conn_init(&c, t, 1000, 5000);
    conn_handshake(&c);
    conn_send(&c, 0, OT_TH_ACK | OT_TH_PSH, 0, "GET", 3);
    conn_send(&c, 1, OT_TH_ACK | OT_TH_URG, 0, "200", 3);
    struct ot_flow *f = r->last_flow;
    assert_int_equal(f->pkts[0], 3);
    assert_int_equal(f->pkts[1], 2);
    assert_int_equal(f->bytes[0], 40 + 40 + 43);
    assert_int_equal(f->bytes[1], 40 + 43);
    assert_int_equal(f->tcp_flags[0], OT_TH_SYN | OT_TH_ACK | OT_TH_PSH);
    assert_int_equal(f->tcp_flags[1], OT_TH_SYN | OT_TH_ACK | OT_TH_URG);
    assert_true(f->tcp_saw_syn);
    ot_flow_table_free(t, c.ts);
    rec_free(r);
}

/* Which side is the client, for each way a TCP flow can start. */
static void test_client_detection(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);

    /* A bare SYN: its sender. */
    struct ot_packet p = mk_tcp("10.0.0.9", 40000, "10.0.0.1", 22, OT_TH_SYN, 1, 0, NULL, 0, T0);
    ot_flow_process(t, &p);
    assert_int_equal(r->last_flow->cli_port, 40000);
    assert_int_equal(r->last_flow->srv_port, 22);

    /* A SYN-ACK first: its receiver. */
    p = mk_tcp("10.0.0.1", 443, "10.0.0.9", 40001, OT_TH_SYN | OT_TH_ACK, 7, 2, NULL, 0, T0);
    ot_flow_process(t, &p);
    struct ot_flow *f = r->last_flow;
    assert_int_equal(f->cli_port, 40001);
    assert_int_equal(f->srv_port, 443);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(f->pkts[0], 0);
    char ip[16];
    inet_ntop(AF_INET, f->cli.u.b, ip, sizeof(ip));
    assert_string_equal(ip, "10.0.0.9");
    /* The client's ACK then goes to the server: dir 0. */
    p = mk_tcp("10.0.0.9", 40001, "10.0.0.1", 443, OT_TH_ACK, 2, 8, NULL, 0, T0 + 1);
    ot_flow_process(t, &p);
    assert_int_equal(f->pkts[0], 1);
    assert_int_equal(f->state, OT_FLOW_ESTABLISHED);

    /* Midstream data: the first packet's sender, even if it is really the server. */
    p = mk_tcp("10.0.0.1", 80, "10.0.0.9", 40002, OT_TH_ACK | OT_TH_PSH, 100, 200, "x", 1, T0);
    ot_flow_process(t, &p);
    assert_int_equal(r->last_flow->cli_port, 80);
    assert_int_equal(r->last_flow->srv_port, 40002);

    /* UDP: the first packet's sender. */
    p = mk_udp("10.0.0.1", 53, "10.0.0.9", 40003, "r", 1, T0);
    ot_flow_process(t, &p);
    assert_int_equal(r->last_flow->cli_port, 53);

    ot_flow_table_free(t, T0 + 10);
    rec_free(r);
}

/* First seen: a stray ACK from the server; then the real client's SYN turns the flow round. */
static void test_client_turn_round_on_syn(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct ot_packet p = mk_tcp("10.0.0.1", 80, "10.0.0.9", 40000, OT_TH_ACK, 5, 6, NULL, 0, T0);
    ot_flow_process(t, &p);
    struct ot_flow *f = r->last_flow;
    assert_int_equal(f->cli_port, 80);
    p = mk_tcp("10.0.0.9", 40000, "10.0.0.1", 80, OT_TH_SYN, 1000, 0, NULL, 0, T0 + 1);
    ot_flow_process(t, &p);
    assert_ptr_equal(r->last_flow, f);
    assert_int_equal(f->cli_port, 40000);
    assert_int_equal(f->srv_port, 80);
    assert_int_equal(f->pkts[0], 1);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(f->tcp_flags[0], OT_TH_SYN);
    assert_int_equal(f->tcp_flags[1], OT_TH_ACK);
    p = mk_tcp("10.0.0.1", 80, "10.0.0.9", 40000, OT_TH_SYN | OT_TH_ACK, 9000, 1001, NULL, 0,
               T0 + 2);
    ot_flow_process(t, &p);
    assert_int_equal(f->pkts[1], 2);
    assert_string_equal(r->log, "P0 P0 P1 ");
    ot_flow_table_free(t, T0 + 3);
    rec_free(r);
}

static void test_vlan_separates_flows(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct ot_packet p = mk_udp("10.1.1.1", 1234, "10.1.1.2", 53, "a", 1, T0);
    ot_flow_process(t, &p);
    p.vlan[0] = 100;
    p.vlan_count = 1;
    ot_flow_process(t, &p);
    p.vlan[1] = 7;
    p.vlan_count = 2;
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->created, 3);
    assert_int_equal(r->last_flow->vlan[0], 100);
    assert_int_equal(r->last_flow->vlan[1], 7);
    assert_int_equal(r->last_flow->vlan_count, 2);
    /* A third tag is part of the key too. */
    p.vlan[2] = 9;
    p.vlan_count = 3;
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->created, 4);
    assert_int_equal(r->last_flow->vlan[2], 9);
    assert_int_equal(r->last_flow->vlan_count, 3);
    /* The reply on the same VLANs joins the flow. */
    struct ot_packet q = mk_udp("10.1.1.2", 53, "10.1.1.1", 1234, "b", 1, T0 + 1);
    q.vlan[0] = 100;
    q.vlan[1] = 7;
    q.vlan[2] = 9;
    q.vlan_count = 3;
    ot_flow_process(t, &q);
    assert_int_equal(ot_flow_table_stats(t)->created, 4);
    assert_int_equal(r->last_flow->pkts[1], 1);
    ot_flow_table_free(t, T0 + 2);
    rec_free(r);
}

static void test_ipv6_and_other_protocols(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct ot_packet p = mk_udp("2001:db8::1", 5000, "2001:db8::2", 53, "q", 1, T0);
    ot_flow_process(t, &p);
    assert_true(r->last_flow->v6);
    p = mk_udp("2001:db8::2", 53, "2001:db8::1", 5000, "r", 1, T0 + 1);
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->created, 1);

    /* GRE (47): no ports; one flow both ways, on_data with each payload. */
    p = mk_ip("10.0.0.1", 0, "10.0.0.2", 0, 47, "gre", 3, T0 + 2);
    ot_flow_process(t, &p);
    p = mk_ip("10.0.0.2", 0, "10.0.0.1", 0, 47, "gre!", 4, T0 + 3);
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->created, 2);
    struct ot_flow *f = r->last_flow;
    assert_int_equal(f->state, OT_FLOW_ESTABLISHED);
    struct rec_flow *rf = rec_find(r, f->flow_id);
    assert_int_equal(rf->len[0], 3);
    assert_int_equal(rf->len[1], 4);
    ot_flow_table_free(t, T0 + 4);
    rec_free(r);
}

static void test_icmp_echo_one_flow(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct ot_packet p = mk_icmp("192.168.0.89", "192.168.0.1", false, 8, 0, T0);
    ot_flow_process(t, &p);
    struct ot_flow *f = r->last_flow;
    assert_string_equal(f->community_id, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    assert_int_equal(f->cli_port, 8);
    assert_int_equal(f->srv_port, 0);
    p = mk_icmp("192.168.0.1", "192.168.0.89", false, 0, 0, T0 + 1);
    ot_flow_process(t, &p);
    assert_ptr_equal(r->last_flow, f);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(f->state, OT_FLOW_ESTABLISHED);
    /* Destination unreachable is a flow of its own, one per direction (one-way messages). */
    p = mk_icmp("192.168.0.1", "192.168.0.89", false, 3, 3, T0 + 2);
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->created, 2);
    char cid[64];
    ot_community_id(0, &p.src, 3, &p.dst, 3, 1, false, cid);
    assert_string_equal(r->last_flow->community_id, cid);
    p = mk_icmp("192.168.0.89", "192.168.0.1", false, 3, 3, T0 + 2);
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->created, 3);
    ot_community_id(0, &p.src, 3, &p.dst, 3, 1, false, cid);
    assert_string_equal(r->last_flow->community_id, cid);
    assert_int_equal(r->last_flow->pkts[1], 0);
    /* ICMPv6 neighbour solicitation and advertisement pair up. */
    p = mk_icmp("fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", true, 135, 0, T0 + 3);
    ot_flow_process(t, &p);
    f = r->last_flow;
    assert_string_equal(f->community_id, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
    p = mk_icmp("fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", true, 136, 0, T0 + 4);
    ot_flow_process(t, &p);
    assert_ptr_equal(r->last_flow, f);
    assert_int_equal(ot_flow_table_stats(t)->created, 4);
    ot_flow_table_free(t, T0 + 5);
    rec_free(r);
}

static void last_id(void *ctx, struct ot_flow *f, int dir, const struct ot_packet *p)
{
    *(uint64_t *)ctx = f->flow_id;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void count_end(void *ctx, struct ot_flow *f, enum ot_flow_end_reason reason, uint64_t now);
static void count_end_fwd(void *ctx, struct ot_flow *f, enum ot_flow_end_reason reason,
                          uint64_t now)
{
    count_end(ctx, f, reason, now);
}

static void test_flow_id_unique(void **state)
{
    enum { N = 20000 };
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.max_flows = 1024; /* ids must stay unique across slot reuse */
    uint64_t *ids = calloc(N, sizeof(*ids));
    assert_non_null(ids);
    uint64_t id = 0;
    struct ot_flow_callbacks cb = {.ctx = &id, .on_packet = last_id};
    struct ot_flow_table *t = NULL;
    assert_int_equal(ot_flow_table_new(&cfg, &cb, &t), 0);
    for (unsigned i = 0; i < N; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        struct ot_packet p = mk_udp(ip, 1000, "10.255.255.255", 53, NULL, 0, T0 + i);
        ot_flow_process(t, &p);
        ids[i] = id;
        assert_true(ids[i] != 0);
        assert_true(ids[i] < (1ULL << 53));
    }
    assert_int_equal(ot_flow_table_stats(t)->evicted, N - 1024);
    /* A second table draws from another random start. */
    struct ot_flow_table *t2 = NULL;
    assert_int_equal(ot_flow_table_new(&cfg, &cb, &t2), 0);
    struct ot_packet p = mk_udp("10.0.0.1", 1000, "10.255.255.255", 53, NULL, 0, T0);
    ot_flow_process(t2, &p);
    assert_true(id != ids[0]);
    ot_flow_table_free(t2, T0);

    qsort(ids, N, sizeof(*ids), cmp_u64);
    for (unsigned i = 1; i < N; i++)
        assert_true(ids[i] != ids[i - 1]);
    ot_flow_table_free(t, T0 + N);
    free(ids);
}

/*
 * The bucket array starts small and doubles as flows arrive: every flow must
 * still be found after each doubling (its second packet joins it instead of
 * starting a new flow), flows that ended in between must not be relinked,
 * and the array stops at one bucket per flow of the cap.
 */
/* One UDP packet of flow `i` of group `g` (10.g.x.y:1000+(i&7) -> 10.255.0.1:53). */
static void grow_pkt(struct ot_flow_table *t, unsigned g, unsigned i, uint64_t ts)
{
    char ip[32];
    snprintf(ip, sizeof(ip), "10.%u.%u.%u", g, i >> 8, i & 255);
    struct ot_packet p = mk_udp(ip, 1000 + (i & 7), "10.255.0.1", 53, NULL, 0, ts);
    ot_flow_process(t, &p);
}

static void test_buckets_grow(void **state)
{
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.max_flows = 4096;
    cfg.timeout_new_s = 30;
    unsigned ends[8] = {0};
    struct ot_flow_callbacks cb = {.ctx = ends, .on_end = count_end_fwd};
    struct ot_flow_table *t = NULL;
    assert_int_equal(ot_flow_table_new(&cfg, &cb, &t), 0);
    const struct ot_flow_stats *st = ot_flow_table_stats(t);
    assert_int_equal(st->buckets, 1024);
    /* 3,000 flows: the array doubles twice on the way. */
    for (unsigned i = 0; i < 3000; i++) {
        grow_pkt(t, 1, i, T0 + i);
        assert_int_equal(st->buckets, i < 1024 ? 1024 : i < 2048 ? 2048 : 4096);
    }
    assert_int_equal(st->created, 3000);
    /* Every one is found again after the doublings. */
    for (unsigned i = 0; i < 3000; i++)
        grow_pkt(t, 1, i, T0 + SEC + i);
    assert_int_equal(st->created, 3000);
    /* The first 1,000 time out; the others were seen since. */
    for (unsigned i = 1000; i < 3000; i++)
        grow_pkt(t, 1, i, T0 + 40 * SEC + i);
    ot_flow_expire(t, T0 + 40 * SEC + 3000);
    assert_int_equal(ends[OT_FLOW_END_TIMEOUT], 1000);
    assert_int_equal(st->active, 2000);
    /* 2,000 new flows reuse the freed slots; the array is at the cap's size and stays. */
    for (unsigned i = 0; i < 2000; i++)
        grow_pkt(t, 2, i, T0 + 41 * SEC + i);
    assert_int_equal(st->created, 5000);
    assert_int_equal(st->active, 4000);
    assert_int_equal(st->buckets, 4096);
    /* Survivors and newcomers are all found; nothing was evicted. */
    for (unsigned i = 1000; i < 3000; i++)
        grow_pkt(t, 1, i, T0 + 42 * SEC + i);
    for (unsigned i = 0; i < 2000; i++)
        grow_pkt(t, 2, i, T0 + 43 * SEC + i);
    assert_int_equal(st->created, 5000);
    assert_int_equal(st->evicted, 0);
    ot_flow_table_free(t, T0 + 44 * SEC);
    assert_int_equal(ends[OT_FLOW_END_SHUTDOWN], 4000);
}

static void count_end(void *ctx, struct ot_flow *f, enum ot_flow_end_reason reason, uint64_t now)
{
    unsigned *n = ctx;
    n[reason]++;
}

static void test_eviction_at_cap(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.max_flows = 4;
    struct ot_flow_table *t = table_new(r, &cfg);
    uint64_t ids[6];
    for (unsigned i = 0; i < 4; i++) {
        char ip[16];
        snprintf(ip, sizeof(ip), "10.0.0.%u", i + 1);
        struct ot_packet p = mk_udp(ip, 1000, "10.0.1.1", 53, "x", 1, T0 + i * SEC);
        ot_flow_process(t, &p);
        ids[i] = r->last_flow->flow_id;
    }
    /* Flow 0 becomes recent again: flow 1 is now the least recently active. */
    struct ot_packet p = mk_udp("10.0.0.1", 1000, "10.0.1.1", 53, "y", 1, T0 + 10 * SEC);
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->evicted, 0);
    p = mk_udp("10.0.0.5", 1000, "10.0.1.1", 53, "z", 1, T0 + 11 * SEC);
    ot_flow_process(t, &p);
    ids[4] = r->last_flow->flow_id;
    const struct ot_flow_stats *st = ot_flow_table_stats(t);
    assert_int_equal(st->evicted, 1);
    assert_int_equal(st->active, 4);
    assert_int_equal(st->created, 5);
    struct rec_flow *ev = rec_find(r, ids[1]);
    assert_int_equal(ev->ends, 1);
    assert_int_equal(ev->reason, OT_FLOW_END_EVICTED);
    assert_int_equal(ev->end_now, T0 + 11 * SEC);
    assert_int_equal(rec_find(r, ids[0])->ends, 0);
    /* The evicted tuple comes back as a new flow, evicting the next oldest (flow 2). */
    p = mk_udp("10.0.0.2", 1000, "10.0.1.1", 53, "w", 1, T0 + 12 * SEC);
    ot_flow_process(t, &p);
    ids[5] = r->last_flow->flow_id;
    assert_true(ids[5] != ids[1]);
    assert_int_equal(rec_find(r, ids[2])->reason, OT_FLOW_END_EVICTED);
    assert_int_equal(st->evicted, 2);
    ot_flow_table_free(t, T0 + 13 * SEC);
    for (unsigned i = 0; i < r->n; i++)
        assert_int_equal(r->flows[i].ends, 1);
    rec_free(r);
}

static void test_on_end_exactly_once(void **state)
{
    unsigned ends[4] = {0};
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.max_flows = 8;
    struct ot_flow_callbacks cb = {.ctx = ends, .on_end = count_end};
    struct ot_flow_table *t = NULL;
    assert_int_equal(ot_flow_table_new(&cfg, &cb, &t), 0);
    for (unsigned i = 0; i < 20; i++) {
        char ip[16];
        snprintf(ip, sizeof(ip), "10.0.0.%u", i + 1);
        struct ot_packet p = mk_udp(ip, 1000, "10.0.1.1", 53, "x", 1, T0 + i * SEC);
        ot_flow_process(t, &p);
    }
    ot_flow_expire(t, T0 + 19 * SEC + cfg.timeout_new_s * SEC - 3 * SEC);
    ot_flow_flush(t, T0 + 100 * SEC);
    ot_flow_flush(t, T0 + 101 * SEC);
    ot_flow_expire(t, T0 + 1000 * SEC);
    const struct ot_flow_stats *st = ot_flow_table_stats(t);
    assert_int_equal(ends[OT_FLOW_END_EVICTED], 12);
    assert_int_equal(ends[OT_FLOW_END_TIMEOUT], 4); /* idle > 30 s: flows seen at 12..15 s */
    assert_int_equal(ends[OT_FLOW_END_SHUTDOWN], 4);
    assert_int_equal(st->created, 20);
    assert_int_equal(st->ended, 20);
    assert_int_equal(st->active, 0);
    ot_flow_table_free(t, T0 + 1001 * SEC);
    assert_int_equal(ends[OT_FLOW_END_SHUTDOWN], 4);
}

/* on_packet runs after the counters, before on_data; UDP delivers every non-empty payload. */
static void test_callback_order(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, NULL);
    struct ot_packet p = mk_udp("10.0.0.1", 1000, "10.0.0.2", 53, "abc", 3, T0);
    ot_flow_process(t, &p);
    assert_ptr_equal(r->last_data, p.payload);
    p = mk_udp("10.0.0.2", 53, "10.0.0.1", 1000, NULL, 0, T0 + 1);
    ot_flow_process(t, &p);
    p = mk_udp("10.0.0.1", 1000, "10.0.0.2", 53, "de", 2, T0 + 2);
    ot_flow_process(t, &p);
    ot_flow_flush(t, T0 + 3);
    assert_string_equal(r->log, "P0 D0:3 P1 P0 D0:2 E:shutdown ");
    assert_memory_equal(r->flows[0].buf[0], "abcde", 5);
    ot_flow_table_free(t, T0 + 4);
    rec_free(r);
}

static void test_names_and_config(void **state)
{
    assert_string_equal(ot_flow_state_name(OT_FLOW_NEW), "new");
    assert_string_equal(ot_flow_state_name(OT_FLOW_ESTABLISHED), "established");
    assert_string_equal(ot_flow_state_name(OT_FLOW_CLOSING), "closing");
    assert_string_equal(ot_flow_state_name(OT_FLOW_CLOSED), "closed");
    assert_string_equal(ot_flow_end_reason_name(OT_FLOW_END_TIMEOUT), "timeout");
    assert_string_equal(ot_flow_end_reason_name(OT_FLOW_END_EVICTED), "evicted");
    assert_string_equal(ot_flow_end_reason_name(OT_FLOW_END_SHUTDOWN), "shutdown");
    assert_string_equal(ot_flow_end_reason_name(OT_FLOW_END_TCP_REUSE), "tcp_reuse");

    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    assert_int_equal(cfg.max_flows, 65536);
    assert_int_equal(cfg.timeout_new_s, 30);
    assert_int_equal(cfg.timeout_est_s, 300);
    assert_int_equal(cfg.timeout_closed_s, 10);
    assert_int_equal(cfg.timeout_udp_s, 60);
    assert_int_equal(cfg.stream_depth, 1 << 20);
    assert_int_equal(cfg.stream_ooo_max, 64 << 10);
    assert_int_equal(cfg.stream_memcap, 64 << 20);
    assert_int_equal(cfg.community_id_seed, 0);

    struct ot_flow_table *t = (void *)1;
    cfg.max_flows = 0;
    assert_int_equal(ot_flow_table_new(&cfg, NULL, &t), OT_EINVAL);
    assert_null(t);
    /* No callbacks at all is allowed. */
    cfg.max_flows = 1;
    assert_int_equal(ot_flow_table_new(&cfg, NULL, &t), 0);
    struct ot_packet p = mk_udp("10.0.0.1", 1, "10.0.0.2", 2, "x", 1, T0);
    ot_flow_process(t, &p);
    p = mk_udp("10.0.0.1", 1, "10.0.0.3", 2, "x", 1, T0);
    ot_flow_process(t, &p);
    assert_int_equal(ot_flow_table_stats(t)->evicted, 1);
    ot_flow_table_free(t, T0);
    ot_flow_table_free(NULL, T0);
}

/*
 * The previous packet's flow is checked before the hash lookup: packets that
 * alternate between flows, and a flow that ended (timeout, eviction, port
 * reuse) while it was the previous packet's, must still find the right flow.
 */
static void test_previous_flow_shortcut(void **state)
{
    struct rec *r = rec_new();
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.max_flows = 1;
    struct ot_flow_table *t = table_new(r, &cfg);
    struct ot_packet a = mk_udp("10.0.0.1", 1000, "10.0.1.1", 53, "a", 1, T0);
    struct ot_packet ra = mk_udp("10.0.1.1", 53, "10.0.0.1", 1000, "ra", 2, T0 + 1);
    ot_flow_process(t, &a);
    uint64_t id_a = r->last_flow->flow_id;
    ot_flow_process(t, &ra); /* same flow, other direction */
    assert_int_equal(r->last_flow->flow_id, id_a);
    assert_int_equal(r->last_flow->pkts[0], 1);
    assert_int_equal(r->last_flow->pkts[1], 1);

    /* Table of one: b evicts a (the previous packet's flow), then a evicts b. */
    struct ot_packet b = mk_udp("10.0.0.2", 1000, "10.0.1.1", 53, "b", 1, T0 + 2);
    ot_flow_process(t, &b);
    uint64_t id_b = r->last_flow->flow_id;
    assert_true(id_b != id_a);
    a.ts_us = T0 + 3;
    ot_flow_process(t, &a);
    uint64_t id_a2 = r->last_flow->flow_id;
    assert_true(id_a2 != id_a && id_a2 != id_b);
    assert_int_equal(r->last_flow->pkts[0], 1);
    assert_int_equal(ot_flow_table_stats(t)->evicted, 2);

    /* The previous packet's flow times out; the same key then starts a new flow. */
    ot_flow_expire(t, T0 + 3 + 120 * SEC);
    assert_int_equal(ot_flow_table_stats(t)->active, 0);
    a.ts_us = T0 + 4 + 120 * SEC;
    ot_flow_process(t, &a);
    assert_true(r->last_flow->flow_id != id_a2);
    assert_int_equal(r->last_flow->pkts[0], 1);
    assert_int_equal(ot_flow_table_stats(t)->created, 4);
    ot_flow_table_free(t, T0 + 5 + 120 * SEC);
    rec_free(r);

    /* Alternating flows in a larger table: each packet is counted to its own flow. */
    r = rec_new();
    t = table_new(r, NULL);
    uint64_t ids[3];
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < 3; i++) {
            char ip[16];
            snprintf(ip, sizeof(ip), "10.0.0.%u", i + 1);
            struct ot_packet p = mk_udp(ip, 1000, "10.0.1.1", 53, "x", 1, T0 + round * 3 + i);
            ot_flow_process(t, &p);
            if (round == 0)
                ids[i] = r->last_flow->flow_id;
            assert_int_equal(r->last_flow->flow_id, ids[i]);
            assert_int_equal(r->last_flow->pkts[0], round + 1);
        }
    }
    assert_int_equal(ot_flow_table_stats(t)->created, 3);
    ot_flow_table_free(t, T0 + 20);
    rec_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_directions_one_flow),
        cmocka_unit_test(test_same_addresses_different_ports),
        cmocka_unit_test(test_tcp_counters_and_flags),
        cmocka_unit_test(test_client_detection),
        cmocka_unit_test(test_client_turn_round_on_syn),
        cmocka_unit_test(test_vlan_separates_flows),
        cmocka_unit_test(test_ipv6_and_other_protocols),
        cmocka_unit_test(test_icmp_echo_one_flow),
        cmocka_unit_test(test_flow_id_unique),
        cmocka_unit_test(test_eviction_at_cap),
        cmocka_unit_test(test_buckets_grow),
        cmocka_unit_test(test_previous_flow_shortcut),
        cmocka_unit_test(test_on_end_exactly_once),
        cmocka_unit_test(test_callback_order),
        cmocka_unit_test(test_names_and_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
