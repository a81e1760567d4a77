/*
 * Fuzz target for the flow table and the TCP reassembler.
 *
 * The input is a sequence of 8-byte packet descriptions fed to one small
 * table (3 flows, tiny out-of-order bounds and depth, short timeouts) so that
 * eviction, bounds, gaps and expiry all happen within a few records:
 *
 *   [0] bit 0: direction; bits 1-2: which of 4 tuples; bit 3: UDP, not TCP;
 *       bit 4: run expiry first; bit 5: IPv6; bit 6: VLAN 7
 *   [1] TCP flags
 *   [2..3] sequence number, offset from the side's ISN (near 2^32, so it wraps)
 *   [4..5] acknowledgement number, offset from the other side's ISN
 *   [6] payload length
 *   [7] time step, in units of 10 ms
 *
 * Payload bytes are a function of their sequence number, so on_data can
 * check that every delivered byte is the one at its stream offset (in order,
 * nothing lost without a gap, nothing duplicated) and that no direction gets
 * more than the depth.  Flow ends are checked to happen exactly once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_flow: check failed: %s (line %d)\n", #c, __LINE__);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define DEPTH 300

struct track {
    uint64_t id;
    bool ended;
    bool started[2];
    uint32_t pos[2];       /* sequence number of the next byte expected */
    uint64_t delivered[2]; /* data bytes */
};

struct state {
    struct track *tr;
    size_t n, cap;
};

static uint8_t pattern(uint32_t seq)
{
    return (uint8_t)((seq * 2654435761u) >> 24);
}

static struct track *find(struct state *s, uint64_t id, bool create)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->tr[i].id == id)
            return &s->tr[i];
    CHECK(create);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct track *t = realloc(s->tr, cap * sizeof(*t));
        CHECK(t != NULL);
        s->tr = t;
        s->cap = cap;
    }
    struct track *t = &s->tr[s->n++];
    memset(t, 0, sizeof(*t));
    t->id = id;
    return t;
}

static void on_packet(void *ctx, struct ot_flow *f, int dir, const struct ot_packet *p)
{
    struct track *t = find(ctx, f->flow_id, true);
    CHECK(!t->ended);
    CHECK(f->in_use);
    CHECK(dir == 0 || dir == 1);
}

static void on_data(void *ctx, struct ot_flow *f, int dir, const uint8_t *data, uint32_t len,
                    unsigned flags, uint64_t ts_us)
{
    struct track *t = find(ctx, f->flow_id, false);
    CHECK(!t->ended);
    CHECK(len > 0);
    if (f->ip_proto != 6)
        return;
    if (!t->started[dir]) {
        t->started[dir] = true;
        t->pos[dir] = f->stream[dir].isn;
    }
    if (flags & OT_DATA_GAP) {
        CHECK(data == NULL);
    } else {
        CHECK(data != NULL);
        for (uint32_t i = 0; i < len; i++)
            CHECK(data[i] == pattern(t->pos[dir] + i));
        t->delivered[dir] += len;
        CHECK(t->delivered[dir] <= DEPTH);
        CHECK(t->delivered[dir] == f->stream[dir].delivered);
    }
    t->pos[dir] += len;
}

static void on_end(void *ctx, struct ot_flow *f, enum ot_flow_end_reason reason, uint64_t now)
{
    struct track *t = find(ctx, f->flow_id, true);
    CHECK(!t->ended);
    t->ended = true;
    CHECK(f->stream[0].ooo == NULL && f->stream[1].ooo == NULL);
    CHECK(f->stream[0].ooo_bytes == 0 && f->stream[1].ooo_bytes == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct state st = {0};
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.max_flows = 3;
    cfg.timeout_new_s = 2;
    cfg.timeout_est_s = 5;
    cfg.timeout_closed_s = 1;
    cfg.timeout_udp_s = 3;
    cfg.stream_depth = DEPTH;
    cfg.stream_ooo_max = 200;
    cfg.stream_memcap = 600;
    struct ot_flow_callbacks cb = {
        .ctx = &st, .on_packet = on_packet, .on_data = on_data, .on_end = on_end};
    struct ot_flow_table *t = NULL;
    CHECK(ot_flow_table_new(&cfg, &cb, &t) == 0);

    uint64_t ts = 1700000000000000ULL;
    uint8_t payload[256];
    for (size_t off = 0; off + 8 <= size; off += 8) {
        const uint8_t *b = data + off;
        int dir = b[0] & 1;
        unsigned tuple = (b[0] >> 1) & 3;
        bool udp = b[0] & 8, v6 = b[0] & 32;
        ts += (uint64_t)b[7] * 10000;
        if (b[0] & 16)
            ot_flow_expire(t, ts);

        struct ot_packet p;
        memset(&p, 0, sizeof(p));
        p.ts_us = ts;
        p.flags = (v6 ? OT_PKT_IPV6 : OT_PKT_IPV4) | (udp ? OT_PKT_UDP : OT_PKT_TCP);
        p.ip_proto = udp ? 17 : 6;
        struct ot_addr cli = {0}, srv = {0};
        cli.u.b[0] = 10;
        cli.u.b[3] = (uint8_t)(1 + tuple);
        srv.u.b[0] = 10;
        srv.u.b[3] = 200;
        if (v6) {
            cli.u.b[15] = 1;
            srv.u.b[15] = 2;
        }
        uint16_t cport = (uint16_t)(40000 + tuple), sport = 80;
        p.src = dir ? srv : cli;
        p.dst = dir ? cli : srv;
        p.sp = dir ? sport : cport;
        p.dp = dir ? cport : sport;
        if (b[0] & 64) {
            p.vlan[0] = 7;
            p.vlan_count = 1;
        }
        /* Both sides' ISNs sit just below 2^32: offsets up to 65535 wrap. */
        uint32_t isn[2] = {0xffff8000u + tuple * 16, 0xfffff000u + tuple};
        p.tcp_flags = udp ? 0 : b[1];
        p.tcp_seq = isn[dir] + (uint32_t)((b[2] << 8) | b[3]);
        p.tcp_ack = isn[dir ^ 1] + (uint32_t)((b[4] << 8) | b[5]);
        uint32_t len = b[6];
        uint32_t first = p.tcp_seq + ((p.tcp_flags & OT_TH_SYN) ? 1 : 0);
        for (uint32_t i = 0; i < len; i++)
            payload[i] = pattern(first + i);
        p.payload = payload;
        p.payload_len = len;
        p.ip_len = (v6 ? 40 : 20) + (udp ? 8 : 20) + len;
        ot_flow_process(t, &p);

        const struct ot_flow_stats *fs = ot_flow_table_stats(t);
        CHECK(fs->created - fs->ended == fs->active);
        CHECK(fs->active <= cfg.max_flows);
        CHECK(fs->tcp_ooo_memuse <= cfg.stream_memcap);
    }
    ot_flow_flush(t, ts);
    const struct ot_flow_stats *fs = ot_flow_table_stats(t);
    CHECK(fs->active == 0);
    CHECK(fs->tcp_ooo_memuse == 0);
    CHECK(fs->created == st.n);
    for (size_t i = 0; i < st.n; i++)
        CHECK(st.tr[i].ended);
    ot_flow_table_free(t, ts);
    free(st.tr);
    return 0;
}
