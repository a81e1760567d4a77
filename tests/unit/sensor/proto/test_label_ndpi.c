/*
 * The nDPI labeler (sensor/proto/label-ndpi.c) on hand-built IPv4 packets:
 * a DNS query is named, a payload nDPI does not know is not, and the
 * unknown-service cache skips new flows of the same client to the same
 * server port for its window only, keyed by client, server, port and
 * protocol, and only after nDPI has seen payload.  UDP flows without an
 * answer are labelled from their ports without inspection, answered ones as
 * if every flow were inspected, within the held-bytes bound.  The sensor's own
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
#include "l4-packet.h"
#include "proto/label.h"

#define SEC UINT64_C(1000000)
#define T0  (UINT64_C(1700000000) * SEC)

struct pkt {
    uint8_t buf[2200];
    struct ot_packet p;
};

/* An IPv4 packet SRC:SP -> DST:DP (UDP, or TCP with FLAGS) with PAYLOAD at T. */
static void mk(struct pkt *k, uint8_t proto, const char *src, uint16_t sp, const char *dst,
               uint16_t dp, uint8_t flags, const void *payload, uint32_t len, uint64_t t)
{
    uint8_t s4[4], d4[4];
    assert_true(OT_L4_PACKET_HDR + len <= sizeof(k->buf));
    assert_int_equal(inet_pton(AF_INET, src, s4), 1);
    assert_int_equal(inet_pton(AF_INET, dst, d4), 1);
    ot_l4_packet(k->buf, proto, s4, sp, d4, dp, flags, payload, len, t, &k->p);
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

/*
 * One flow of N packets, DIRS[i] the direction of packet i (0: from the
 * client, the first sender; 1: the answer; NULL: all from the client),
 * counted as the flow table counts them before it calls the labeler; ended;
 * its label, into LABEL (64 bytes).
 */
static const char *run_flow(struct ot_labeler *l, struct pkt *pk, const int *dirs, int n,
                            char *label)
{
    struct ot_flow *f = flow_for(&pk[0].p);
    for (int i = 0; i < n; i++) {
        int dir = dirs ? dirs[i] : 0;
        f->pkts[dir]++;
        f->last_us = pk[i].p.ts_us;
        ot_labeler_packet(l, f, dir, &pk[i].p);
    }
    ot_labeler_flow_end(l, f);
    ot_labeler_name(l, f, label, 64);
    free(f);
    return label;
}

static const uint8_t junk[] = {0x9e, 0x01, 0x77, 0x42, 0x00, 0x13, 0xfe, 0x88, 0x21, 0x5a,
                               0xc3, 0x07, 0x66, 0x19, 0xd0, 0x2b, 0x91, 0x4e, 0x3f, 0xa7};

/* "example.com" A query. */
static const uint8_t dns_query[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                    0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};

/* The defaults, checked, with these three settings. */
static struct ot_labeler *make_labeler(uint64_t unknown_us, bool unanswered_udp,
                                       uint64_t held_bytes)
{
    struct ot_labeler_conf c;
    ot_labeler_conf_defaults(&c);
    assert_int_equal(c.unknown_us, 300 * SEC);
    assert_false(c.unanswered_udp);
    assert_int_equal(c.held_bytes, 8u << 20);
    c.unknown_us = unknown_us;
    c.unanswered_udp = unanswered_udp;
    c.held_bytes = held_bytes;
    struct ot_labeler *l = NULL;
    assert_int_equal(ot_labeler_new(&c, &l), OT_OK);
    return l;
}

/* A labeler that inspects unanswered UDP flows too (the tests of the cache use one-way flows). */
static struct ot_labeler *labeler(uint64_t unknown_us)
{
    return make_labeler(unknown_us, true, 8u << 20);
}

/* Junk from CLI:5000 to SRV:PORT at T, as a one-packet UDP flow; its label. */
static const char *junk_flow(struct ot_labeler *l, const char *cli, const char *srv, uint16_t port,
                             uint64_t t, char *label)
{
    struct pkt k;
    mk(&k, 17, cli, 5000, srv, port, 0, junk, sizeof(junk), t);
    run_flow(l, &k, NULL, 1, label);
    return label;
}

static void test_known_and_unknown(void **state)
{
    (void)state;
    struct ot_labeler *l = labeler(0);
    char label[64];
    struct pkt k;
    mk(&k, 17, "192.168.1.10", 40000, "192.168.1.1", 53, 0, dns_query, sizeof(dns_query), T0);
    run_flow(l, &k, NULL, 1, label);
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
    run_flow(l, &k, NULL, 1, label);
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
    run_flow(l, &k, NULL, 1, label);
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
    run_flow(l, syn, NULL, 2, label);
    assert_int_equal(st->flows_unknown, 1);
    uint64_t before = st->packets_inspected;
    assert_true(before > 0);
    mk(&syn[0], 6, "192.168.1.10", 5001, "203.0.113.9", 41236, OT_TH_SYN, NULL, 0, T0 + SEC);
    run_flow(l, syn, NULL, 1, label);
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

/* A BitTorrent DHT ping (bencoded): nDPI names it from the payload on any port. */
static const char dht_ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
static const char dht_pong[] = "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
/* An SSDP search, as sent to 239.255.255.250:1900. */
static const char msearch[] = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
                              "MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";

/* The default cache, with HELD_BYTES held at most (UNANSWERED_UDP: inspect those flows too). */
static struct ot_labeler *labeler_default(uint64_t held_bytes, bool unanswered_udp)
{
    return make_labeler(300 * SEC, unanswered_udp, held_bytes);
}

/* An unanswered UDP flow is labelled from its ports, without inspection. */
static void test_unanswered_udp_not_inspected(void **state)
{
    (void)state;
    static const int one[] = {0}, three[] = {0, 0, 0};
    char label[64];
    struct pkt k[3];
    const char *pc = "192.168.1.10", *peer = "203.0.113.7";

    /* Inspected, the DHT ping is BitTorrent on any port... */
    struct ot_labeler *l = labeler_default(8u << 20, true);
    mk(&k[0], 17, pc, 40001, peer, 41234, 0, dht_ping, sizeof(dht_ping) - 1, T0);
    assert_string_equal(run_flow(l, k, one, 1, label), "BitTorrent");
    assert_int_equal(ot_labeler_stats(l)->packets_inspected, 1);
    ot_labeler_free(l);

    /* ...unanswered by default, it is not looked at: no port says BitTorrent. */
    l = labeler_default(8u << 20, false);
    const struct ot_label_stats *st = ot_labeler_stats(l);
    for (int i = 0; i < 3; i++)
        mk(&k[i], 17, pc, 40001, peer, 41234, 0, dht_ping, sizeof(dht_ping) - 1, T0 + i);
    assert_string_equal(run_flow(l, k, three, 3, label), "");
    assert_int_equal(st->packets_inspected, 0);
    assert_int_equal(st->flows_unanswered, 1);
    assert_int_equal(st->flows_unknown, 1);
    assert_int_equal(st->held_bytes, 0);

    /* nDPI's port guess, and SSDP, which nDPI 4.2 does not list by port. */
    mk(&k[0], 17, pc, 40002, "192.168.1.1", 53, 0, dns_query, sizeof(dns_query), T0);
    assert_string_equal(run_flow(l, k, one, 1, label), "DNS");
    mk(&k[0], 17, pc, 40003, "239.255.255.250", 1900, 0, msearch, sizeof(msearch) - 1, T0);
    assert_string_equal(run_flow(l, k, one, 1, label), "SSDP");
    assert_int_equal(st->packets_inspected, 0);
    assert_int_equal(st->flows_unanswered, 3);
    assert_int_equal(st->flows_guessed, 2);
    assert_int_equal(st->held_bytes, 0);
    ot_labeler_free(l);
}

/*
 * An answered flow gets the label and the inspections it gets with every
 * flow inspected: the held packets go to nDPI, in order, before the answer.
 */
static void test_answered_udp_as_inspected(void **state)
{
    (void)state;
    static const int ping_pong[] = {0, 0, 1}, junk_then_answer[] = {0, 0, 0, 0, 0, 0, 1};
    const char *pc = "192.168.1.10", *peer = "203.0.113.7";
    for (int mode = 0; mode < 2; mode++) {
        struct ot_labeler *l = labeler_default(8u << 20, mode == 1);
        const struct ot_label_stats *st = ot_labeler_stats(l);
        char label[64];
        struct pkt k[7];
        /* Two pings (the first held until the answer), then the answer. */
        mk(&k[0], 17, pc, 40001, peer, 41234, 0, dht_ping, sizeof(dht_ping) - 1, T0);
        mk(&k[1], 17, pc, 40001, peer, 41234, 0, dht_ping, sizeof(dht_ping) - 1, T0 + 1);
        mk(&k[2], 17, peer, 41234, pc, 40001, 0, dht_pong, sizeof(dht_pong) - 1, T0 + 2);
        assert_string_equal(run_flow(l, k, ping_pong, 3, label), "BitTorrent");
        uint64_t after_dht = st->packets_inspected;
        assert_true(after_dht >= 1);
        /*
         * Six unknown datagrams, then an answer: nDPI sees max-packets (4) of
         * them either way.  Other ends: nDPI remembers BitTorrent peers.
         */
        const char *pc2 = "192.168.1.20", *peer2 = "198.51.100.7";
        for (int i = 0; i < 6; i++)
            mk(&k[i], 17, pc2, 40005, peer2, 41234, 0, junk, sizeof(junk), T0 + 10 + i);
        mk(&k[6], 17, peer2, 41234, pc2, 40005, 0, junk, sizeof(junk), T0 + 20);
        assert_string_equal(run_flow(l, k, junk_then_answer, 7, label), "");
        assert_int_equal(st->packets_inspected - after_dht, 4);
        assert_int_equal(st->flows_unanswered, 0);
        assert_int_equal(st->held_bytes, 0);
        ot_labeler_free(l);
    }
}

/*
 * A packet too long to hold sends the held ones to nDPI first, in order, and
 * none of them is held again: the label is the one inspection gives.
 */
static void test_unanswered_long_packet_keeps_order(void **state)
{
    (void)state;
    static const int two[] = {0, 0};
    static uint8_t big[2100];
    memset(big, 0x5a, sizeof(big));
    struct ot_labeler *l = labeler_default(8u << 20, false);
    const struct ot_label_stats *st = ot_labeler_stats(l);
    char label[64];
    struct pkt *k = calloc(2, sizeof(*k));
    assert_non_null(k);
    mk(&k[0], 17, "192.168.1.10", 40001, "203.0.113.7", 41234, 0, dht_ping, sizeof(dht_ping) - 1,
       T0);
    mk(&k[1], 17, "192.168.1.10", 40001, "203.0.113.7", 41234, 0, big, sizeof(big), T0 + 1);
    assert_string_equal(run_flow(l, k, two, 2, label), "BitTorrent");
    assert_int_equal(st->flows_unanswered, 0);
    assert_int_equal(st->held_bytes, 0);
    free(k);
    ot_labeler_free(l);
}

/* Past ndpi.held-bytes a packet goes to nDPI at once, and is counted. */
static void test_held_bytes_bound(void **state)
{
    (void)state;
    static const int one[] = {0};
    struct ot_labeler *l = labeler_default(0, false);
    const struct ot_label_stats *st = ot_labeler_stats(l);
    char label[64];
    struct pkt k[2];
    mk(&k[0], 17, "192.168.1.10", 40001, "203.0.113.7", 41234, 0, dht_ping, sizeof(dht_ping) - 1,
       T0);
    assert_string_equal(run_flow(l, k, one, 1, label), "BitTorrent");
    assert_int_equal(st->held_full, 1);
    assert_int_equal(st->packets_inspected, 1);
    assert_int_equal(st->flows_unanswered, 0);
    ot_labeler_free(l);

    /* Room for one small flow's packets but not a second's: the second is inspected. */
    l = labeler_default(200, false);
    st = ot_labeler_stats(l);
    struct ot_flow *a = flow_for(&k[0].p);
    a->pkts[0] = 1;
    ot_labeler_packet(l, a, 0, &k[0].p);
    mk(&k[1], 17, "192.168.1.11", 40002, "203.0.113.8", 41234, 0, dht_ping, sizeof(dht_ping) - 1,
       T0 + 2);
    struct ot_flow *b = flow_for(&k[1].p);
    b->pkts[0] = 1;
    ot_labeler_packet(l, b, 0, &k[1].p);
    /* The second packet released the first (held until the parsers had seen it). */
    assert_true(st->held_bytes > 0 && st->held_bytes <= 200);
    ot_labeler_flow_end(l, b);
    assert_int_equal(st->held_full, 1);
    assert_int_equal(st->packets_inspected, 1);
    ot_labeler_flow_end(l, a);
    assert_int_equal(st->held_bytes, 0);
    assert_int_equal(st->flows_unanswered, 1);
    ot_labeler_name(l, b, label, sizeof(label));
    assert_string_equal(label, "BitTorrent");
    free(a);
    free(b);
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
        cmocka_unit_test(test_unanswered_udp_not_inspected),
        cmocka_unit_test(test_answered_udp_as_inspected),
        cmocka_unit_test(test_unanswered_long_packet_keeps_order),
        cmocka_unit_test(test_held_bytes_bound),
        cmocka_unit_test(test_bitmask_compare_as_ndpi),
        cmocka_unit_test(test_bitmask_compare_interposed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
