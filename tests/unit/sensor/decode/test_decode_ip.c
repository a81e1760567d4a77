/*
 * IPv4 (header checks, options, total length against the capture) and IPv6
 * (payload length, extension-header chains).
 */
#include "frames.h"

static void test_ipv4_fields(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 6, IP4(192, 168, 1, 10), IP4(8, 8, 4, 4));
    fb_tcp(f, 51000, 443, 0x01020304, 0x0a0b0c0d, OT_TH_ACK | OT_TH_PSH, 0);
    fb_pattern(f, 100, 0);
    fb_ipv4_end(f, ip);
    f->b[ip + 8] = 17; /* ttl */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_int_equal(p.flags, OT_PKT_IPV4 | OT_PKT_TCP | OT_PKT_HAS_MAC);
    assert_int_equal(ip4_of(&p.src), IP4(192, 168, 1, 10));
    assert_int_equal(ip4_of(&p.dst), IP4(8, 8, 4, 4));
    assert_int_equal(p.ttl, 17);
    assert_int_equal(p.ip_proto, 6);
    assert_int_equal(p.ip_len, 140);
    assert_int_equal(p.payload_len, 100);
    assert_ptr_equal(p.payload, t->frame + 14 + 20 + 20);
    assert_ptr_equal(p.l3, t->frame + 14);
    assert_int_equal(p.l3_caplen, 140);
    free(f);
}

static void test_ipv4_options(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    /* Router alert (4 bytes), NOP, record route with room for 2 (11 bytes), EOL. */
    const uint8_t good[16] = {0x94, 4, 0, 0, 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0};
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin_opts(f, 17, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), good, 16);
    uint32_t u = fb_udp_begin(f, 1000, 2000);
    fb_pattern(f, 4, 0x40);
    fb_udp_end(f, u);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_int_equal(p.ip_len, 36 + 12);
    assert_int_equal(p.sp, 1000);
    assert_int_equal(p.payload_len, 4);
    assert_int_equal(p.payload[0], 0x40);

    /* Maximum header: 40 bytes of NOPs. */
    uint8_t nops[40];
    memset(nops, 1, sizeof(nops));
    fb_reset(f);
    fb_eth(f, 0x0800);
    ip = fb_ipv4_begin_opts(f, 17, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), nops, 40);
    u = fb_udp_begin(f, 1000, 2000);
    fb_udp_end(f, u);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.dp, 2000);

    /* Broken lists: length 0, length 1, running past the header, cut length byte. */
    const uint8_t bad[][4] = {{0x07, 0, 0, 0}, {0x07, 1, 0, 0}, {0x44, 12, 0, 0}, {1, 1, 1, 0x83}};
    for (int i = 0; i < 4; i++) {
        fb_reset(f);
        fb_eth(f, 0x0800);
        ip = fb_ipv4_begin_opts(f, 17, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), bad[i], 4);
        u = fb_udp_begin(f, 1000, 2000);
        fb_udp_end(f, u);
        fb_ipv4_end(f, ip);
        assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ipv4_bad_options);
    }
    free(f);
}

static void test_ipv4_bad_headers(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    fb_v4_udp(f, 30);
    const uint32_t ip = 14;

    f->b[ip] = 0x65; /* version 6 */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_version);

    f->b[ip] = 0x44; /* header 16 bytes */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_header_len);

    f->b[ip] = 0x4f; /* 60-byte header in a 58-byte packet */
    fb_set16(f, ip + 2, 58);
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 14 + 50, 14 + 50, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_truncated);
    f->b[ip] = 0x45;

    fb_set16(f, ip + 2, 19); /* shorter than the header */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);
    fb_set16(f, ip + 2, 0); /* as TSO captures show it */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);

    /* Longer than the frame, which the capture did not cut: the header lies. */
    fb_set16(f, ip + 2, 59);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);
    fb_set16(f, ip + 2, 58);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 30);

    for (uint32_t n = 14; n < 34; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ipv4_truncated);
    }
    free(f);
}

/* Cut by the snap length: decoded as far as it goes, flagged, lengths per the headers. */
static void test_ipv4_snaplen(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_tcp(f, 1, 2, 3, 4, OT_TH_ACK, 12);
    fb_pattern(f, 1400, 0);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 96, f->len, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_true(p.flags & OT_PKT_L4_TRUNC);
    assert_true(p.flags & OT_PKT_TCP);
    assert_int_equal(p.ip_len, 20 + 32 + 1400);
    assert_int_equal(p.payload_len, 96 - 14 - 20 - 32);
    assert_payload_in_frame(t, &p, 96);
    assert_ptr_equal(p.l3, t->frame + 14);
    assert_int_equal(p.l3_caplen, 96 - 14);

    /* Cut inside the TCP options: the header is not all there. */
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 14 + 20 + 24, f->len, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_tcp_truncated);
    free(f);
}

/* Segmentation offload seen on the sending host: total length 0 on a big TCP segment. */
static void test_ipv4_tso(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_tcp(f, 1, 2, 3, 4, OT_TH_ACK, 0);
    fb_pattern(f, 3000, 0);
    fb_ipv4_end(f, ip);
    fb_set16(f, ip + 2, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_ipv4_tso_len);
    assert_int_equal(p.ip_len, 3040);
    assert_int_equal(p.payload_len, 3000);
    assert_false(p.flags & OT_PKT_L4_TRUNC);

    /* Not for a cut frame, a fragment, another protocol or an inner packet. */
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 1000, f->len, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);
    fb_set16(f, ip + 6, 0x2000);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);
    fb_set16(f, ip + 6, 0);
    f->b[ip + 9] = 17;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);

    fb_reset(f);
    fb_eth(f, 0x0800);
    uint32_t outer = fb_ipv4_begin(f, 4, IP4(192, 0, 2, 1), IP4(192, 0, 2, 2));
    ip = fb_ipv4_begin(f, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_tcp(f, 1, 2, 3, 4, OT_TH_ACK, 0);
    fb_ipv4_end(f, ip);
    fb_ipv4_end(f, outer);
    fb_set16(f, ip + 2, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);
    free(f);
}

/* Inside a tunnel, and for UDP, only a length the 16-bit field cannot say is taken. */
static void test_ipv4_tso_tunnel(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    uint32_t outer = fb_ipv4_begin(f, 17, IP4(192, 0, 2, 1), IP4(192, 0, 2, 2));
    uint32_t u = fb_udp_begin(f, 40000, 4789);
    fb_put32(f, 0x08000000); /* VXLAN, VNI 5001 */
    fb_put32(f, 5001 << 8);
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_tcp(f, 1, 2, 3, 4, OT_TH_ACK, 0);
    fb_pattern(f, 66000, 0);
    fb_set16(f, outer + 2, 0);
    fb_set16(f, u + 4, 0);
    fb_set16(f, ip + 2, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    /* Outer and inner header, and nothing else counted. */
    for (int i = 0; i < OT_DEC__COUNT; i++)
        assert_int_equal(t->d.counters[i] - t->before[i], i == OT_DEC_ipv4_tso_len ? 2 : 0);
    assert_true(p.flags & OT_PKT_TUNNELLED);
    assert_int_equal(p.ip_proto, 6);
    assert_int_equal(p.ip_len, 20 + 20 + 66000);
    assert_int_equal(p.payload_len, 66000);

    /* A datagram whose length fits the field is malformed with a 0 there. */
    fb_reset(f);
    fb_eth(f, 0x0800);
    ip = fb_ipv4_begin(f, 17, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    u = fb_udp_begin(f, 1, 2);
    fb_pattern(f, 3000, 0);
    fb_set16(f, ip + 2, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);
    fb_ipv4_end(f, ip);
    fb_set16(f, u + 4, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_udp_bad_len);
    free(f);
}

/* AH authenticates without hiding: p describes what it protects, as in IPv6. */
static void test_ipv4_ah(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 51, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_put8(f, 1); /* next: ICMP */
    fb_put8(f, 4); /* (4 + 2) * 4 = 24 bytes */
    fb_zero(f, 22);
    fb_icmp(f, 8, 0);
    fb_pattern(f, 10, 0);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_int_equal(p.ip_proto, 1);
    assert_true(p.flags & OT_PKT_ICMP);
    assert_int_equal(p.sp, 8);
    assert_int_equal(p.payload_len, 10);
    assert_int_equal(p.ip_len, 20 + 24 + 18);

    /* Cut inside the AH header; an AH longer than the datagram. */
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 14 + 20 + 20, f->len, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_truncated);
    f->b[14 + 20 + 1] = 40;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_total_len);
    free(f);
}

static void test_other_ip_proto(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 50, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2)); /* ESP */
    fb_pattern(f, 40, 0);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_other_ip_proto);
    assert_int_equal(p.flags, OT_PKT_IPV4 | OT_PKT_HAS_MAC);
    assert_int_equal(p.ip_proto, 50);
    assert_int_equal(p.sp, 0);
    assert_int_equal(p.dp, 0);
    assert_int_equal(p.payload_len, 40);
    assert_ptr_equal(p.payload, t->frame + 34);

    /* Zero-length payload is fine too. */
    fb_reset(f);
    fb_eth(f, 0x0800);
    ip = fb_ipv4_begin(f, 132, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.payload_len, 0);
    free(f);
}

static void test_ipv6_fields(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x86dd);
    fb_v6_tcp(f, 33);
    f->b[14 + 7] = 200; /* hop limit */
    fb_zero(f, 4);      /* trailer past the payload length */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v6_tcp(&p, 33);
    assert_int_equal(p.ttl, 200);
    assert_int_equal(p.flags, OT_PKT_IPV6 | OT_PKT_TCP | OT_PKT_HAS_MAC);
    assert_ptr_equal(p.l3, t->frame + 14);
    assert_int_equal(p.l3_caplen, 40 + 20 + 33); /* not the trailer */

    f->b[14] = 0x40;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_version);
    f->b[14] = 0x60;

    fb_set16(f, 14 + 4, 20 + 33 + 5); /* past the frame, not cut */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_payload_len);
    fb_set16(f, 14 + 4, 20 + 33);

    for (uint32_t n = 14; n < 54; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ipv6_truncated);
    }
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 80, f->len, &p), OT_DECODE_OK);
    assert_true(p.flags & OT_PKT_L4_TRUNC);
    assert_int_equal(p.payload_len, 80 - 74);
    assert_int_equal(p.ip_len, 40 + 20 + 33);
    free(f);
}

/* Hop-by-hop, destination options, routing, AH, destination options, then UDP. */
static void test_ipv6_ext_chain(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(f, 0, 1, 2);
    fb_ipv6_ext(f, 60, 0); /* HBH, 8 bytes */
    fb_ipv6_ext(f, 43, 1); /* dst opts, 16 bytes */
    fb_ipv6_ext(f, 51, 2); /* routing, 24 bytes */
    fb_put8(f, 60);        /* AH: next, len 4 (24 bytes) */
    fb_put8(f, 4);
    fb_zero(f, 22);
    fb_ipv6_ext(f, 17, 0); /* dst opts before the upper layer */
    uint32_t u = fb_udp_begin(f, 5353, 5353);
    fb_pattern(f, 11, 0);
    fb_udp_end(f, u);
    fb_ipv6_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_true(p.flags & OT_PKT_UDP);
    assert_int_equal(p.ip_proto, 17);
    assert_int_equal(p.sp, 5353);
    assert_int_equal(p.payload_len, 11);
    assert_int_equal(p.ip_len, 40 + 8 + 16 + 24 + 24 + 8 + 8 + 11);
    assert_ptr_equal(p.payload, t->frame + 14 + 40 + 80 + 8);

    /* Every cut inside the chain is ipv6_truncated. */
    for (uint32_t n = 54; n < 54 + 80; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ipv6_truncated);
    }
    /* A header longer than the payload length says: malformed, not cut. */
    f->b[54 + 8 + 1] = 200;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_exthdr);
    free(f);
}

static void test_ipv6_hbh_not_first(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(f, 60, 1, 2);
    fb_ipv6_ext(f, 0, 0);
    fb_ipv6_ext(f, 6, 0);
    fb_tcp(f, 1, 2, 3, 4, OT_TH_SYN, 0);
    fb_ipv6_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_exthdr);
    free(f);
}

static void test_ipv6_chain_ends(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    /* ESP after a destination option: the rest is opaque. */
    fb_eth(f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(f, 60, 1, 2);
    fb_ipv6_ext(f, 50, 0);
    fb_pattern(f, 32, 0);
    fb_ipv6_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_other_ip_proto);
    assert_int_equal(p.ip_proto, 50);
    assert_int_equal(p.payload_len, 32);
    assert_int_equal(p.flags, OT_PKT_IPV6 | OT_PKT_HAS_MAC);

    /* No next header. */
    fb_reset(f);
    fb_eth(f, 0x86dd);
    ip = fb_ipv6_begin(f, 0, 1, 2);
    fb_ipv6_ext(f, 59, 0);
    fb_ipv6_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.ip_proto, 59);
    assert_int_equal(p.payload_len, 0);

    /* An atomic fragment (offset 0, no more fragments) is just a header. */
    fb_reset(f);
    fb_eth(f, 0x86dd);
    ip = fb_ipv6_begin(f, 44, 1, 2);
    fb_ipv6_frag(f, 6, 0, false, 0x1234);
    fb_tcp(f, 1000, 443, 100, 0, OT_TH_SYN, 0);
    fb_pattern(f, 3, 0x60);
    fb_ipv6_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_int_equal(p.ip_proto, 6);
    assert_int_equal(p.sp, 1000);
    assert_int_equal(p.payload_len, 3);
    assert_false(p.flags & OT_PKT_REASSEMBLED);
    free(f);
}

/* A long chain costs a loop, not stack. */
static void test_ipv6_long_chain(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(f, 60, 1, 2);
    for (int i = 0; i < 5000; i++)
        fb_ipv6_ext(f, 60, 0);
    fb_ipv6_ext(f, 59, 0);
    fb_ipv6_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.ip_proto, 59);
    free(f);
}

/* A hop-by-hop header of 8 bytes with one Jumbo Payload option (RFC 2675). */
static void fb_jumbo_hbh(struct fb *f, uint8_t nh, uint32_t jumbo)
{
    fb_put8(f, nh);
    fb_put8(f, 0);
    fb_put8(f, 0xc2);
    fb_put8(f, 4);
    fb_put32(f, jumbo);
}

/* Payload length 0: the length is in the Jumbo Payload option, and UDP's is 0 too. */
static void test_ipv6_jumbogram(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(f, 0, 1, 2);
    uint32_t hbh = f->len;
    fb_jumbo_hbh(f, 17, 8 + 8 + 66000);
    uint32_t u = fb_udp_begin(f, 1000, 2000);
    fb_pattern(f, 66000, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_ipv6_jumbogram);
    assert_true(p.flags & OT_PKT_UDP);
    assert_int_equal(p.ip_len, 40 + 8 + 8 + 66000);
    assert_int_equal(p.payload_len, 66000);
    assert_int_equal(p.dp, 2000);
    assert_payload_in_frame(t, &p, f->len);

    /* A capture cut by its snap length: the rest of the datagram is missing, not wrong. */
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 2000, f->len, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_ipv6_jumbogram);
    assert_true(p.flags & OT_PKT_L4_TRUNC);
    assert_int_equal(p.ip_len, 40 + 8 + 8 + 66000);

    /* A jumbo length longer than the frame, or one that fits 16 bits, is malformed. */
    fb_set16(f, hbh + 4, 2);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_payload_len);
    fb_set16(f, hbh + 4, 0);
    fb_set16(f, hbh + 6, 65535);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_payload_len);

    /* Length 0, a hop-by-hop header, but no Jumbo Payload option in it. */
    f->b[hbh + 2] = 1; /* PadN of 4 bytes instead */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_payload_len);
    /* An option running past its header. */
    f->b[hbh + 3] = 9;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_exthdr);

    /* With a payload length the option is not read: the field's length holds. */
    f->b[hbh + 2] = 0xc2;
    f->b[hbh + 3] = 4;
    fb_set16(f, ip + 4, 8 + 8 + 100);
    fb_set16(f, u + 4, 8 + 100);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_int_equal(p.ip_len, 40 + 8 + 8 + 100);
    assert_int_equal(p.payload_len, 100);
    free(f);
}

/* Linux BIG TCP on the capturing host: payload length 0, no option, >64 KiB there. */
static void test_ipv6_tso(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(f, 6, 1, 2);
    fb_tcp(f, 1, 2, 3, 4, OT_TH_ACK, 0);
    fb_pattern(f, 66000, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_ipv6_tso_len);
    assert_true(p.flags & OT_PKT_TCP);
    assert_int_equal(p.ip_len, 40 + 20 + 66000);
    assert_int_equal(p.payload_len, 66000);

    /* Not for a cut frame: how long the packet was is then unknown. */
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 3000, f->len + 10, &p), OT_DECODE_ERROR);
    assert_int_equal(t->d.counters[OT_DEC_ipv6_tso_len], t->before[OT_DEC_ipv6_tso_len]);

    /* Nor when the bytes there would have fitted the field: an empty packet and padding. */
    fb_reset(f);
    fb_eth(f, 0x86dd);
    ip = fb_ipv6_begin(f, 6, 1, 2);
    fb_tcp(f, 1, 2, 3, 4, OT_TH_ACK, 0);
    fb_pattern(f, 3000, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_tcp_truncated);

    /* UDP likewise, its own length 0 as well. */
    fb_reset(f);
    fb_eth(f, 0x86dd);
    ip = fb_ipv6_begin(f, 17, 1, 2);
    uint32_t u = fb_udp_begin(f, 5, 6);
    fb_pattern(f, 66000, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_ipv6_tso_len);
    assert_true(p.flags & OT_PKT_UDP);
    assert_int_equal(p.payload_len, 66000);
    fb_set16(f, u + 4, 100); /* a UDP length that says less trims as usual */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.payload_len, 92);
    (void)ip;
    free(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tdec_setup, tdec_teardown)
    const struct CMUnitTest tests[] = {
        T(test_ipv4_fields),     T(test_ipv4_options),       T(test_ipv4_bad_headers),
        T(test_ipv4_snaplen),    T(test_ipv4_tso),           T(test_ipv4_tso_tunnel),
        T(test_ipv4_ah),         T(test_other_ip_proto),     T(test_ipv6_fields),
        T(test_ipv6_ext_chain),  T(test_ipv6_hbh_not_first), T(test_ipv6_chain_ends),
        T(test_ipv6_long_chain), T(test_ipv6_jumbogram),     T(test_ipv6_tso),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
