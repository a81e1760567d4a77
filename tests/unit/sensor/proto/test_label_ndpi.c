/*
 * The nDPI labeler (sensor/proto/label-ndpi.c) on hand-built IPv4 packets:
 * a DNS query is named, a payload nDPI does not know is not, and the
 * unknown-service cache skips new flows of the same client to the same
 * server port for its window only, keyed by client, server, port and
 * protocol, and only after nDPI has seen payload.  The sensor's own
 * NDPI_BITMASK_COMPARE answers as the library's does, and is the one
 * libndpi's calls reach.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <ndpi/ndpi_api.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otasuke/error.h"
#include "proto/label.h"

#define SEC UINT64_C(1000000)
#define T0  (UINT64_C(1700000000) * SEC)

struct pkt {
    uint8_t buf[128];
    struct ot_packet p;
};

/* An IPv4 packet SRC:SP -> DST:DP (UDP, or TCP with FLAGS) with PAYLOAD at T. */
static void mk(struct pkt *k, uint8_t proto, const char *src, uint16_t sp, const char *dst,
               uint16_t dp, uint8_t flags, const void *payload, uint32_t len, uint64_t t)
{
    memset(k, 0, sizeof(*k));
    uint32_t l4 = proto == 6 ? 20 : 8;
    uint32_t total = 20 + l4 + len;
    assert_true(total <= sizeof(k->buf));
    uint8_t *ip = k->buf;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(total >> 8);
    ip[3] = (uint8_t)total;
    ip[8] = 64;
    ip[9] = proto;
    assert_int_equal(inet_pton(AF_INET, src, ip + 12), 1);
    assert_int_equal(inet_pton(AF_INET, dst, ip + 16), 1);
    uint8_t *th = ip + 20;
    th[0] = (uint8_t)(sp >> 8);
    th[1] = (uint8_t)sp;
    th[2] = (uint8_t)(dp >> 8);
    th[3] = (uint8_t)dp;
    if (proto == 6) {
        th[7] = 1; /* seq 1 */
        th[12] = 5 << 4;
        th[13] = flags;
        th[14] = 0xff;
    } else {
        th[4] = (uint8_t)((8 + len) >> 8);
        th[5] = (uint8_t)(8 + len);
    }
    if (len)
        memcpy(th + l4, payload, len);
    struct ot_packet *p = &k->p;
    p->ts_us = t;
    p->caplen = p->wirelen = total;
    p->flags = OT_PKT_IPV4 | (proto == 6 ? OT_PKT_TCP : OT_PKT_UDP);
    p->l3 = ip;
    p->l3_caplen = total;
    p->ip_len = total;
    p->ip_proto = proto;
    memcpy(p->src.u.b, ip + 12, 4);
    memcpy(p->dst.u.b, ip + 16, 4);
    p->sp = sp;
    p->dp = dp;
    p->tcp_flags = flags;
    p->payload = th + l4;
    p->payload_len = len;
}

/* A fresh flow as the table would start it for the packet's sender as client. */
static struct ot_flow *flow_for(const struct ot_packet *p)
{
    struct ot_flow *f = aligned_alloc(64, sizeof(struct ot_flow));
    assert_non_null(f);
    memset(f, 0, sizeof(*f));
    f->cli = p->src;
    f->srv = p->dst;
    f->cli_port = p->sp;
    f->srv_port = p->dp;
    f->ip_proto = p->ip_proto;
    f->start_us = f->last_us = p->ts_us;
    return f;
}

/* One flow of NPKTS packets (the first sender is the client), ended; returns its label. */
static void run_flow(struct ot_labeler *l, struct pkt *pk, int npkts, char *label, size_t len)
{
    struct ot_flow *f = flow_for(&pk[0].p);
    for (int i = 0; i < npkts; i++) {
        f->last_us = pk[i].p.ts_us;
        ot_labeler_packet(l, f, 0, &pk[i].p);
    }
    ot_labeler_flow_end(l, f);
    ot_labeler_name(l, f, label, len);
    free(f);
}

static const uint8_t junk[] = {0x9e, 0x01, 0x77, 0x42, 0x00, 0x13, 0xfe, 0x88, 0x21, 0x5a,
                               0xc3, 0x07, 0x66, 0x19, 0xd0, 0x2b, 0x91, 0x4e, 0x3f, 0xa7};

/* "example.com" A query. */
static const uint8_t dns_query[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                    0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};

static struct ot_labeler *labeler(uint64_t unknown_us)
{
    struct ot_labeler_conf c;
    ot_labeler_conf_defaults(&c);
    assert_int_equal(c.unknown_us, 300 * SEC);
    c.unknown_us = unknown_us;
    struct ot_labeler *l = NULL;
    assert_int_equal(ot_labeler_new(&c, &l), OT_OK);
    return l;
}

/* Junk from CLI:5000 to SRV:PORT at T, as a one-packet UDP flow; its label. */
static const char *junk_flow(struct ot_labeler *l, const char *cli, const char *srv, uint16_t port,
                             uint64_t t, char *label)
{
    struct pkt k;
    mk(&k, 17, cli, 5000, srv, port, 0, junk, sizeof(junk), t);
    run_flow(l, &k, 1, label, 64);
    return label;
}

static void test_known_and_unknown(void **state)
{
    (void)state;
    struct ot_labeler *l = labeler(0);
    char label[64];
    struct pkt k;
    mk(&k, 17, "192.168.1.10", 40000, "192.168.1.1", 53, 0, dns_query, sizeof(dns_query), T0);
    run_flow(l, &k, 1, label, sizeof(label));
    assert_string_equal(label, "DNS");
    assert_string_equal(junk_flow(l, "192.168.1.10", "203.0.113.9", 41234, T0, label), "");
    const struct ot_label_stats *st = ot_labeler_stats(l);
    assert_int_equal(st->flows_classified, 1);
    assert_int_equal(st->flows_unknown, 1);
    assert_int_equal(st->packets_inspected, 2);
    /* With the cache off, the same junk is inspected again. */
    junk_flow(l, "192.168.1.10", "203.0.113.9", 41234, T0 + SEC, label);
    assert_int_equal(st->flows_unknown, 2);
    assert_int_equal(st->flows_unknown_cached, 0);
    assert_int_equal(st->packets_inspected, 3);
    ot_labeler_free(l);
}

static void test_unknown_cache_window(void **state)
{
    (void)state;
    struct ot_labeler *l = labeler(60 * SEC);
    const struct ot_label_stats *st = ot_labeler_stats(l);
    char label[64];
    const char *pc = "192.168.1.10", *srv = "203.0.113.9";
    junk_flow(l, pc, srv, 41234, T0, label);
    assert_int_equal(st->flows_unknown, 1);
    assert_int_equal(st->packets_inspected, 1);
    /* Inside the window: skipped, no label, nothing inspected. */
    assert_string_equal(junk_flow(l, pc, srv, 41234, T0 + 59 * SEC, label), "");
    assert_int_equal(st->flows_unknown_cached, 1);
    assert_int_equal(st->packets_inspected, 1);
    /* Another client, another server, another port: inspected. */
    junk_flow(l, "192.168.1.11", srv, 41234, T0 + 2 * SEC, label);
    junk_flow(l, pc, "203.0.113.10", 41234, T0 + 2 * SEC, label);
    junk_flow(l, pc, srv, 41235, T0 + 2 * SEC, label);
    assert_int_equal(st->packets_inspected, 4);
    assert_int_equal(st->flows_unknown_cached, 1);
    /* The window runs from the verdict, skipped flows do not extend it. */
    junk_flow(l, pc, srv, 41234, T0 + 60 * SEC, label);
    assert_int_equal(st->packets_inspected, 5);
    assert_int_equal(st->flows_unknown, 5);
    /* A clock that went back does not keep the entry. */
    junk_flow(l, pc, srv, 41234, T0 - 10 * SEC, label);
    assert_int_equal(st->packets_inspected, 6);
    /* Same ends over TCP: another protocol, inspected. */
    struct pkt k;
    mk(&k, 6, pc, 5000, srv, 41234, OT_TH_PSH | OT_TH_ACK, junk, sizeof(junk), T0 + 70 * SEC);
    run_flow(l, &k, 1, label, sizeof(label));
    assert_int_equal(st->packets_inspected, 7);
    assert_int_equal(st->flows_unknown_cached, 1);
    ot_labeler_free(l);
}

/* One TCP segment with PAYLOAD from CLI:5000 to SRV:PORT at T, as a flow; its label. */
static const char *tcp_flow(struct ot_labeler *l, const char *cli, const char *srv, uint16_t port,
                            const void *payload, uint32_t len, uint64_t t, char *label)
{
    struct pkt k;
    mk(&k, 6, cli, 5000, srv, port, OT_TH_PSH | OT_TH_ACK, payload, len, t);
    run_flow(l, &k, 1, label, 64);
    return label;
}

/* A service that never sent payload has not been judged; a known protocol after the window is
 * named. */
static void test_unknown_cache_needs_payload(void **state)
{
    (void)state;
    struct ot_labeler *l = labeler(60 * SEC);
    const struct ot_label_stats *st = ot_labeler_stats(l);
    char label[64];
    struct pkt syn[2];
    mk(&syn[0], 6, "192.168.1.10", 5000, "203.0.113.9", 41236, OT_TH_SYN, NULL, 0, T0);
    mk(&syn[1], 6, "192.168.1.10", 5000, "203.0.113.9", 41236, OT_TH_RST, NULL, 0, T0 + 1);
    run_flow(l, syn, 2, label, sizeof(label));
    assert_int_equal(st->flows_unknown, 1);
    uint64_t before = st->packets_inspected;
    assert_true(before > 0);
    mk(&syn[0], 6, "192.168.1.10", 5001, "203.0.113.9", 41236, OT_TH_SYN, NULL, 0, T0 + SEC);
    run_flow(l, syn, 1, label, sizeof(label));
    assert_true(st->packets_inspected > before);
    assert_int_equal(st->flows_unknown_cached, 0);

    /* Junk to a port makes it unknown; an HTTP request in the window is skipped... */
    static const char get[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
    const char *pc = "192.168.1.10", *srv = "203.0.113.20";
    tcp_flow(l, pc, srv, 41300, junk, sizeof(junk), T0, label);
    assert_string_equal(tcp_flow(l, pc, srv, 41300, get, sizeof(get) - 1, T0 + SEC, label), "");
    assert_int_equal(st->flows_unknown_cached, 1);
    /* ...and named after it. */
    assert_string_equal(tcp_flow(l, pc, srv, 41300, get, sizeof(get) - 1, T0 + 61 * SEC, label),
                        "HTTP");
    assert_int_equal(st->flows_unknown_cached, 1);
    ot_labeler_free(l);
}

typedef int (*bitmask_compare_fn)(NDPI_PROTOCOL_BITMASK, NDPI_PROTOCOL_BITMASK);

/* xorshift64*: reproducible bits for the comparison below. */
static uint64_t next_bits(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(0x2545f4914f6cdd1d);
}

/*
 * Ours against libndpi's own definition (the next one after the
 * executable's): empty masks, every single bit against itself and against
 * its neighbours, and random masks sparse and dense.
 */
static void test_bitmask_compare_as_ndpi(void **state)
{
    (void)state;
    bitmask_compare_fn theirs = (bitmask_compare_fn)dlsym(RTLD_NEXT, "NDPI_BITMASK_COMPARE");
    assert_non_null(theirs);
    bitmask_compare_fn ours = NDPI_BITMASK_COMPARE;
    assert_ptr_not_equal(theirs, ours);

    NDPI_PROTOCOL_BITMASK a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    assert_int_equal(ours(a, b), 0);
    assert_int_equal(ours(a, b), theirs(a, b));
    unsigned bits = NDPI_NUM_FDS_BITS * 32;
    unsigned ones = 0;
    for (unsigned i = 0; i < bits; i++) {
        memset(&a, 0, sizeof(a));
        NDPI_ADD_PROTOCOL_TO_BITMASK(a, i);
        for (unsigned j = i > 0 ? i - 1 : 0; j <= i + 1 && j < bits; j++) {
            memset(&b, 0, sizeof(b));
            NDPI_ADD_PROTOCOL_TO_BITMASK(b, j);
            int r = ours(a, b);
            assert_int_equal(r, theirs(a, b));
            assert_int_equal(r, i == j);
            ones += (unsigned)r;
        }
    }
    assert_int_equal(ones, bits);
    uint64_t seed = UINT64_C(0x6f746173756b65);
    unsigned agree_one = 0, agree_zero = 0;
    for (unsigned n = 0; n < 20000; n++) {
        for (unsigned w = 0; w < NDPI_NUM_FDS_BITS; w++) {
            uint32_t wa = (uint32_t)next_bits(&seed), wb = (uint32_t)next_bits(&seed);
            if (n & 1) {
                /* Sparse: a word in four keeps one of four bits; masks often share none. */
                wa = wa % 4 == 0 ? 1u << (wa >> 8) % 4 : 0;
                wb = wb % 4 == 0 ? 1u << (wb >> 8) % 4 : 0;
            }
            a.fds_bits[w] = wa;
            b.fds_bits[w] = wb;
        }
        int r = ours(a, b);
        assert_int_equal(r, theirs(a, b));
        if (r)
            agree_one++;
        else
            agree_zero++;
    }
    /* Both answers were exercised. */
    assert_true(agree_one > 100);
    assert_true(agree_zero > 100);
}

/* libndpi's own calls reach the sensor's definition: the symbol resolves to it. */
static void test_bitmask_compare_interposed(void **state)
{
    (void)state;
    void *bound = dlsym(RTLD_DEFAULT, "NDPI_BITMASK_COMPARE");
    assert_non_null(bound);
    assert_ptr_equal(bound, (void *)NDPI_BITMASK_COMPARE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_and_unknown),
        cmocka_unit_test(test_unknown_cache_window),
        cmocka_unit_test(test_unknown_cache_needs_payload),
        cmocka_unit_test(test_bitmask_compare_as_ndpi),
        cmocka_unit_test(test_bitmask_compare_interposed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
