/*
 * Helpers for the flow-table tests: synthetic packets (no decoder needed)
 * and callbacks that record what the table delivered, per flow, so a test
 * can check streams, gaps, directions and flow ends after the fact.
 */
#ifndef OT_TESTS_FLOW_TEST_H
#define OT_TESTS_FLOW_TEST_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"

#define T0  1700000000000000ULL /* a packet time, microseconds */
#define SEC 1000000ULL

#define REC_MAX_FLOWS 64

/* What one flow (one flow_id) received. */
struct rec_flow {
    uint64_t flow_id;
    uint8_t *buf[2];  /* delivered bytes; a gap is stored as zero bytes ... */
    uint8_t *mask[2]; /* ... with mask 1 */
    size_t len[2], cap[2];
    unsigned data_calls[2];
    unsigned gaps[2];
    uint64_t gap_bytes[2];
    unsigned packets[2];
    unsigned ends;
    enum ot_flow_end_reason reason;
    uint64_t end_now;
    struct ot_flow at_end; /* copy of the flow when on_end ran */
};

struct rec {
    struct rec_flow flows[REC_MAX_FLOWS];
    unsigned n;
    char log[8192]; /* "P0 D0 E ..." in call order */
    size_t loglen;
    const uint8_t *last_data;
    uint32_t last_len;
    unsigned last_flags;
    struct ot_flow *last_flow; /* the flow of the latest on_packet (valid until it ends) */
};

static inline struct rec_flow *rec_find(struct rec *r, uint64_t id)
{
    for (unsigned i = 0; i < r->n; i++)
        if (r->flows[i].flow_id == id)
            return &r->flows[i];
    assert_true(r->n < REC_MAX_FLOWS);
    struct rec_flow *rf = &r->flows[r->n++];
    memset(rf, 0, sizeof(*rf));
    rf->flow_id = id;
    return rf;
}

static inline void rec_log(struct rec *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void rec_log(struct rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->log + r->loglen, sizeof(r->log) - r->loglen, fmt, ap);
    va_end(ap);
    if (n > 0 && r->loglen + (size_t)n < sizeof(r->log))
        r->loglen += (size_t)n;
}

static inline void rec_append(struct rec_flow *rf, int dir, const uint8_t *data, uint32_t len)
{
    if (rf->len[dir] + len > rf->cap[dir]) {
        size_t cap = rf->cap[dir] ? rf->cap[dir] : 256;
        while (cap < rf->len[dir] + len)
            cap *= 2;
        rf->buf[dir] = realloc(rf->buf[dir], cap);
        rf->mask[dir] = realloc(rf->mask[dir], cap);
        assert_non_null(rf->buf[dir]);
        assert_non_null(rf->mask[dir]);
        rf->cap[dir] = cap;
    }
    if (data) {
        memcpy(rf->buf[dir] + rf->len[dir], data, len);
        memset(rf->mask[dir] + rf->len[dir], 0, len);
    } else {
        memset(rf->buf[dir] + rf->len[dir], 0, len);
        memset(rf->mask[dir] + rf->len[dir], 1, len);
    }
    rf->len[dir] += len;
}

static inline void rec_on_packet(void *ctx, struct ot_flow *f, int dir, const struct ot_packet *p)
{
    struct rec *r = ctx;
    struct rec_flow *rf = rec_find(r, f->flow_id);
    assert_int_equal(rf->ends, 0);
    rf->packets[dir]++;
    r->last_flow = f;
    rec_log(r, "P%d ", dir);
}

static inline void rec_on_data(void *ctx, struct ot_flow *f, int dir, const uint8_t *data,
                               uint32_t len, unsigned flags, uint64_t ts_us)
{
    struct rec *r = ctx;
    struct rec_flow *rf = rec_find(r, f->flow_id);
    assert_int_equal(rf->ends, 0);
    assert_true(len > 0);
    if (flags & OT_DATA_GAP) {
        assert_null(data);
        rf->gaps[dir]++;
        rf->gap_bytes[dir] += len;
        rec_log(r, "G%d:%u ", dir, len);
    } else {
        assert_non_null(data);
        rec_log(r, "D%d:%u ", dir, len);
    }
    rf->data_calls[dir]++;
    if (data || len <= (1u << 20)) /* huge gaps are counted, not stored */
        rec_append(rf, dir, data, len);
    r->last_data = data;
    r->last_len = len;
    r->last_flags = flags;
}

static inline void rec_on_end(void *ctx, struct ot_flow *f, enum ot_flow_end_reason reason,
                              uint64_t now_us)
{
    struct rec *r = ctx;
    struct rec_flow *rf = rec_find(r, f->flow_id);
    rf->ends++;
    rf->reason = reason;
    rf->end_now = now_us;
    rf->at_end = *f;
    if (r->last_flow == f)
        r->last_flow = NULL;
    rec_log(r, "E:%s ", ot_flow_end_reason_name(reason));
}

static inline void rec_free(struct rec *r)
{
    for (unsigned i = 0; i < r->n; i++)
        for (int d = 0; d < 2; d++) {
            free(r->flows[i].buf[d]);
            free(r->flows[i].mask[d]);
        }
    free(r);
}

static inline struct rec *rec_new(void)
{
    struct rec *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    return r;
}

static inline struct ot_flow_table *table_new(struct rec *r, const struct ot_flow_config *cfg)
{
    struct ot_flow_config def;
    if (!cfg) {
        ot_flow_config_defaults(&def);
        cfg = &def;
    }
    struct ot_flow_callbacks cb = {
        .ctx = r, .on_packet = rec_on_packet, .on_data = rec_on_data, .on_end = rec_on_end};
    struct ot_flow_table *t = NULL;
    assert_int_equal(ot_flow_table_new(cfg, &cb, &t), 0);
    assert_non_null(t);
    return t;
}

static inline void set_addr(struct ot_addr *a, const char *ip, bool *v6)
{
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, ip, a->u.b) == 1) {
        *v6 = false;
        return;
    }
    assert_int_equal(inet_pton(AF_INET6, ip, a->u.b), 1);
    *v6 = true;
}

/* An IP packet of protocol `proto` from src to dst, with a transport payload. */
static inline struct ot_packet mk_ip(const char *src, uint16_t sp, const char *dst, uint16_t dp,
                                     uint8_t proto, const void *data, uint32_t len, uint64_t ts)
{
    struct ot_packet p;
    memset(&p, 0, sizeof(p));
    bool v6a, v6b;
    set_addr(&p.src, src, &v6a);
    set_addr(&p.dst, dst, &v6b);
    assert_int_equal(v6a, v6b);
    p.flags = v6a ? OT_PKT_IPV6 : OT_PKT_IPV4;
    p.ts_us = ts;
    p.ip_proto = proto;
    p.sp = sp;
    p.dp = dp;
    p.payload = data;
    p.payload_len = len;
    uint32_t l4 = proto == 6 ? 20 : proto == 17 ? 8 : proto == 1 || proto == 58 ? 8 : 0;
    p.ip_len = (v6a ? 40 : 20) + l4 + len;
    p.caplen = p.wirelen = p.ip_len + 14;
    if (proto == 6)
        p.flags |= OT_PKT_TCP;
    else if (proto == 17)
        p.flags |= OT_PKT_UDP;
    else if (proto == 1 || proto == 58)
        p.flags |= OT_PKT_ICMP;
    return p;
}

static inline struct ot_packet mk_tcp(const char *src, uint16_t sp, const char *dst, uint16_t dp,
                                      uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                                      uint32_t len, uint64_t ts)
{
    struct ot_packet p = mk_ip(src, sp, dst, dp, 6, data, len, ts);
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_win = 65535;
    return p;
}

static inline struct ot_packet mk_udp(const char *src, uint16_t sp, const char *dst, uint16_t dp,
                                      const void *data, uint32_t len, uint64_t ts)
{
    return mk_ip(src, sp, dst, dp, 17, data, len, ts);
}

static inline struct ot_packet mk_icmp(const char *src, const char *dst, bool v6, uint8_t type,
                                       uint8_t code, uint64_t ts)
{
    struct ot_packet p = mk_ip(src, type, dst, code, v6 ? 58 : 1, NULL, 0, ts);
    p.icmp_type = type;
    p.icmp_code = code;
    return p;
}

/*
 * One TCP connection between a client and a server, for stream tests.
 * Sequence numbers are given relative to the first payload byte of each
 * side (isn + 1), so a test reads like a byte-offset diagram.
 */
struct conn {
    struct ot_flow_table *t;
    const char *cli, *srv;
    uint16_t cport, sport;
    uint32_t isn[2];
    uint64_t ts;
};

static inline void conn_send(struct conn *c, int dir, uint8_t flags, uint32_t rel_seq,
                             const void *data, uint32_t len)
{
    c->ts += 1000;
    uint32_t seq = c->isn[dir] + 1 + rel_seq;
    uint32_t ack = (flags & OT_TH_ACK) ? c->isn[dir ^ 1] + 1 : 0;
    struct ot_packet p =
        dir == 0 ? mk_tcp(c->cli, c->cport, c->srv, c->sport, flags, seq, ack, data, len, c->ts)
                 : mk_tcp(c->srv, c->sport, c->cli, c->cport, flags, seq, ack, data, len, c->ts);
    ot_flow_process(c->t, &p);
}

/* Send with an explicit acknowledgement number, relative to the peer's first payload byte. */
static inline void conn_send_ack(struct conn *c, int dir, uint8_t flags, uint32_t rel_seq,
                                 uint32_t rel_ack, const void *data, uint32_t len)
{
    c->ts += 1000;
    uint32_t seq = c->isn[dir] + 1 + rel_seq;
    uint32_t ack = c->isn[dir ^ 1] + 1 + rel_ack;
    struct ot_packet p =
        dir == 0 ? mk_tcp(c->cli, c->cport, c->srv, c->sport, flags, seq, ack, data, len, c->ts)
                 : mk_tcp(c->srv, c->sport, c->cli, c->cport, flags, seq, ack, data, len, c->ts);
    ot_flow_process(c->t, &p);
}

/* SYN, SYN-ACK, ACK. */
static inline void conn_handshake(struct conn *c)
{
    c->ts += 1000;
    struct ot_packet p =
        mk_tcp(c->cli, c->cport, c->srv, c->sport, OT_TH_SYN, c->isn[0], 0, NULL, 0, c->ts);
    ot_flow_process(c->t, &p);
    c->ts += 1000;
    p = mk_tcp(c->srv, c->sport, c->cli, c->cport, OT_TH_SYN | OT_TH_ACK, c->isn[1], c->isn[0] + 1,
               NULL, 0, c->ts);
    ot_flow_process(c->t, &p);
    conn_send(c, 0, OT_TH_ACK, 0, NULL, 0);
}

static inline void conn_init(struct conn *c, struct ot_flow_table *t, uint32_t isn_c,
                             uint32_t isn_s)
{
    memset(c, 0, sizeof(*c));
    c->t = t;
    c->cli = "10.0.0.1";
    c->srv = "10.0.0.2";
    c->cport = 40000;
    c->sport = 80;
    c->isn[0] = isn_c;
    c->isn[1] = isn_s;
    c->ts = T0;
}
/*
 * A stream test's fixture: a recorder, a table and one connection past its
 * handshake, with the log emptied so it holds only what the test causes.
 */
struct fixture {
    struct rec *r;
    struct ot_flow_table *t;
    struct conn c;
};

static inline struct fixture *fx_new(const struct ot_flow_config *cfg, uint32_t isn_c,
                                     uint32_t isn_s)
{
    struct fixture *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->r = rec_new();
    x->t = table_new(x->r, cfg);
    conn_init(&x->c, x->t, isn_c, isn_s);
    conn_handshake(&x->c);
    x->r->loglen = 0; /* keep only what the test itself causes */
    x->r->log[0] = 0;
    return x;
}

static inline struct rec_flow *fx_flow(struct fixture *x)
{
    assert_true(x->r->n >= 1);
    return &x->r->flows[0];
}

static inline void fx_free(struct fixture *x)
{
    ot_flow_table_free(x->t, x->c.ts);
    rec_free(x->r);
    free(x);
}

static inline void assert_stream(struct rec_flow *rf, int dir, const char *want)
{
    size_t n = strlen(want);
    assert_int_equal(rf->len[dir], n);
    for (size_t i = 0; i < n; i++) {
        if (want[i] == '_')
            assert_int_equal(rf->mask[dir][i], 1); /* a gap byte */
        else
            assert_int_equal(rf->buf[dir][i], (uint8_t)want[i]);
    }
}

#endif
