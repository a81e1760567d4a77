/*
 * Tunnels: GRE (options, bridging, PPTP), ERSPAN I/II/III, VXLAN, VXLAN-GPE,
 * Geneve, GTP-U, IP in IP,
 * nesting and its bound, and what p describes when a tunnel's content is
 * not IP.
 */
#include "frames.h"

#define OUT_SRC IP4(192, 0, 2, 1)
#define OUT_DST IP4(192, 0, 2, 2)

static uint32_t outer_v4(struct fb *f, uint8_t proto)
{
    fb_reset(f);
    fb_eth(f, 0x0800);
    return fb_ipv4_begin(f, proto, OUT_SRC, OUT_DST);
}

/* Closes what udp_outer() opened: the UDP and IPv4 lengths. */
static void udp_outer_end(struct fb *f, uint32_t udp, uint32_t ip)
{
    fb_udp_end(f, udp);
    fb_ipv4_end(f, ip);
}

/* The frame decodes with no decode counter moved. */
static void assert_decodes_clean(struct tdec *t, struct fb *f, struct ot_packet *p)
{
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, p), OT_DECODE_OK);
    assert_no_counter(t);
}

static void assert_tunnelled(const struct tdec *t, const struct ot_packet *p, unsigned depth)
{
    assert_true(p->flags & OT_PKT_TUNNELLED);
    assert_int_equal(p->tunnel_depth, depth);
    assert_true(p->flags & OT_PKT_HAS_MAC);
    assert_ptr_equal(p->eth_dst, t->frame); /* outermost Ethernet */
    assert_ptr_equal(p->eth_src, t->frame + 6);
}

/* p describes the outer 192.0.2.1 -> 192.0.2.2 packet itself. */
static void assert_outer(const struct ot_packet *p, uint8_t proto)
{
    assert_false(p->flags & OT_PKT_TUNNELLED);
    assert_int_equal(p->tunnel_depth, 0);
    assert_true(p->flags & OT_PKT_IPV4);
    assert_int_equal(ip4_of(&p->src), OUT_SRC);
    assert_int_equal(ip4_of(&p->dst), OUT_DST);
    assert_int_equal(p->ip_proto, proto);
}

static void test_gre_plain(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    uint32_t ip = outer_v4(f, 47);
    fb_gre(f, 0, 0x0800);
    fb_v4_udp(f, 16);
    fb_ipv4_end(f, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 16);
    assert_tunnelled(t, &p, 1);
    assert_ptr_equal(p.l3, t->frame + 14 + 20 + 4); /* the inner header */
    assert_int_equal(p.l3_caplen, 28 + 16);
    free(f);
}

static void test_gre_options(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    const uint16_t variants[] = {0x8000, 0x2000, 0x1000, 0xb000};
    for (int i = 0; i < 4; i++) {
        uint32_t ip = outer_v4(f, 47);
        fb_gre(f, variants[i], 0x86dd);
        uint32_t words = (variants[i] & 0x8000 ? 1 : 0) + (variants[i] & 0x2000 ? 1 : 0) +
                         (variants[i] & 0x1000 ? 1 : 0);
        for (uint32_t w = 0; w < words; w++)
            fb_put32(f, 0x11111111 * (w + 1));
        fb_v6_tcp(f, 7);
        fb_ipv4_end(f, ip);
        assert_decodes_clean(t, f, &p);
        assert_v6_tcp(&p, 7);
        assert_tunnelled(t, &p, 1);

        /* Cut inside the optional words. */
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 34 + 4 + words * 4 - 1, f->len, &p),
                         OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_gre_truncated);
    }
    /* Less than the base header. */
    uint32_t ip = outer_v4(f, 47);
    fb_put16(f, 0);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_gre_truncated);
    free(f);
}

static void test_gre_bridging(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    uint32_t ip = outer_v4(f, 47);
    fb_gre(f, 0x2000, 0x6558); /* NVGRE-style, with a key */
    fb_put32(f, 0x00123400);
    fb_eth(f, 0x8100);
    fb_vlan(f, 99, 0x0800);
    fb_v4_udp(f, 3);
    fb_ipv4_end(f, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 3);
    assert_tunnelled(t, &p, 1);
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.vlan[0], 99);

    /* ARP bridged over GRE: p stays on the GRE packet, the inner tag is not kept. */
    ip = outer_v4(f, 47);
    fb_gre(f, 0, 0x6558);
    fb_eth(f, 0x8100);
    fb_vlan(f, 99, 0x0806);
    fb_zero(f, 28);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_non_ip);
    assert_outer(&p, 47);
    assert_ptr_equal(p.l3, t->frame + 14);
    assert_int_equal(p.l3_caplen, f->len - 14);
    assert_int_equal(p.vlan_count, 0);
    assert_int_equal(p.vlan[0], 0);
    assert_ptr_equal(p.payload, t->frame + 34);
    assert_int_equal(p.payload_len, f->len - 34);
    free(f);
}

static void test_gre_unsupported(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    const uint16_t flags[] = {0x0002 /* version 2 */, 0x4000 /* routing */,
                              0x0001 /* v1 without key */};
    for (int i = 0; i < 3; i++) {
        uint32_t ip = outer_v4(f, 47);
        fb_gre(f, flags[i], 0x0800);
        fb_v4_udp(f, 4);
        fb_ipv4_end(f, ip);
        assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
        assert_only_counter(t, OT_DEC_gre_unsupported);
        assert_outer(&p, 47);
        assert_int_equal(p.sp, 0);
        assert_int_equal(p.payload_len, 4 + 32);
    }
    /* An unknown protocol type is a non-IP payload. */
    uint32_t ip = outer_v4(f, 47);
    fb_gre(f, 0, 0x883e);
    fb_zero(f, 30);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_non_ip);
    assert_outer(&p, 47);
    free(f);
}

static void pptp_header(struct fb *f, bool seq, bool ack, uint32_t payload)
{
    fb_gre(f, 0x2001 | (seq ? 0x1000 : 0) | (ack ? 0x0080 : 0), 0x880b);
    fb_put16(f, payload);
    fb_put16(f, 0x0c01); /* call id */
    if (seq)
        fb_put32(f, 5);
    if (ack)
        fb_put32(f, 4);
}

static void test_gre_pptp(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    /* With address/control and a two-byte protocol. */
    uint32_t ip = outer_v4(f, 47);
    pptp_header(f, true, true, 4 + 28 + 6);
    fb_put16(f, 0xff03);
    fb_put16(f, 0x0021);
    fb_v4_udp(f, 6);
    fb_ipv4_end(f, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 6);
    assert_tunnelled(t, &p, 1);

    /* Compressed: one-byte protocol, no address/control. */
    ip = outer_v4(f, 47);
    pptp_header(f, true, false, 1 + 60);
    fb_put8(f, 0x57);
    fb_v6_tcp(f, 0);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 0);

    /* Acknowledgment only. */
    ip = outer_v4(f, 47);
    pptp_header(f, false, true, 0);
    fb_ipv4_end(f, ip);
    assert_decodes_clean(t, f, &p);
    assert_outer(&p, 47);

    /* Encrypted (MPPE, 0x00fd): the GRE packet is what we see. */
    ip = outer_v4(f, 47);
    pptp_header(f, true, false, 2 + 40);
    fb_put16(f, 0x00fd);
    fb_pattern(f, 40, 0);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_non_ip);
    assert_outer(&p, 47);

    /* Header cut before the PPP protocol. */
    ip = outer_v4(f, 47);
    pptp_header(f, true, true, 5);
    fb_put16(f, 0xff03);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_gre_truncated);
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 34 + 10, f->len, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_gre_truncated);
    free(f);
}

static void test_erspan(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    /* Type II. */
    uint32_t ip = outer_v4(f, 47);
    fb_gre(f, 0x1000, 0x88be);
    fb_put32(f, 1);
    fb_put32(f, 0x10640000 | 7); /* version 1, vlan 100, session 7 */
    fb_put32(f, 0);
    fb_eth(f, 0x0800);
    fb_v4_udp(f, 12);
    fb_ipv4_end(f, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 12);
    assert_tunnelled(t, &p, 1);
    for (uint32_t n = 42; n < 50; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_erspan_truncated);
    }
    for (uint32_t n = 50; n < 64; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ethernet_truncated);
    }
    f->b[42] = 0x30; /* version 3 under the type II protocol */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_erspan_unsupported);
    assert_outer(&p, 47);

    /* Type I: no sequence number, no header. */
    ip = outer_v4(f, 47);
    fb_gre(f, 0, 0x88be);
    fb_eth(f, 0x86dd);
    fb_v6_tcp(f, 2);
    fb_ipv4_end(f, ip);
    assert_decodes_clean(t, f, &p);
    assert_v6_tcp(&p, 2);
    assert_tunnelled(t, &p, 1);
    free(f);
}

static void erspan3(struct fb *f, uint32_t ft, bool sub)
{
    fb_gre(f, 0x1000, 0x22eb);
    fb_put32(f, 9);
    fb_put32(f, 0x20640000 | 7); /* version 2, vlan 100, session 7 */
    fb_put32(f, 0x12345678);     /* timestamp */
    fb_put16(f, 0);              /* SGT */
    fb_put16(f, (ft << 10) | (sub ? 1 : 0));
    if (sub)
        fb_zero(f, 8);
}

static void test_erspan3(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    for (int sub = 0; sub < 2; sub++) {
        uint32_t ip = outer_v4(f, 47);
        erspan3(f, 0, sub);
        fb_eth(f, 0x0800);
        fb_v4_udp(f, 12);
        fb_ipv4_end(f, ip);
        assert_decodes_clean(t, f, &p);
        assert_v4_udp(&p, 12);
        assert_tunnelled(t, &p, 1);
        uint32_t hdr_end = 42 + 12 + (sub ? 8 : 0);
        for (uint32_t n = 42; n < hdr_end; n++) {
            assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
            assert_only_counter(t, OT_DEC_erspan_truncated);
        }
    }
    /* Frame type 2: a bare IP packet, either version. */
    uint32_t ip = outer_v4(f, 47);
    erspan3(f, 2, false);
    fb_v6_tcp(f, 1);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 1);
    assert_false(p.vlan_count);
    ip = outer_v4(f, 47);
    erspan3(f, 2, false);
    fb_v4_udp(f, 1);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 1);
    assert_tunnelled(t, &p, 1);

    ip = outer_v4(f, 47);
    erspan3(f, 5, false);
    fb_zero(f, 40);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_erspan_unsupported);
    assert_outer(&p, 47);
    free(f);
}

static uint32_t vxlan_outer(struct fb *f, uint32_t *udp)
{
    uint32_t ip = outer_v4(f, 17);
    *udp = fb_udp_begin(f, 49152, 4789);
    return ip;
}

static void test_vxlan(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    uint32_t u, ip = vxlan_outer(f, &u);
    fb_vxlan(f, 5001);
    uint32_t inner_eth = f->len;
    fb_eth(f, 0x86dd);
    fb_v6_tcp(f, 21);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v6_tcp(&p, 21);
    assert_tunnelled(t, &p, 1);
    assert_false(p.flags & OT_PKT_UDP);
    assert_ptr_not_equal(p.eth_dst, t->frame + inner_eth);

    /* Inner cut inside the inner Ethernet header. */
    for (uint32_t n = inner_eth; n < inner_eth + 14; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_vxlan_truncated);
    }
    /* Inner protocol without ports: the outer UDP ports must not show through. */
    ip = vxlan_outer(f, &u);
    fb_vxlan(f, 1);
    fb_eth(f, 0x0800);
    uint32_t iip = fb_ipv4_begin(f, 50, IP4(10, 9, 9, 9), IP4(10, 8, 8, 8));
    fb_zero(f, 20);
    fb_ipv4_end(f, iip);
    udp_outer_end(f, u, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.ip_proto, 50);
    assert_int_equal(p.sp, 0);
    assert_int_equal(p.dp, 0);
    assert_false(p.flags & OT_PKT_UDP);
    assert_int_equal(ip4_of(&p.src), IP4(10, 9, 9, 9));
    free(f);
}

static void test_vxlan_not_vxlan(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    /* No I flag. */
    uint32_t u, ip = vxlan_outer(f, &u);
    fb_put32(f, 0);
    fb_put32(f, 0);
    fb_eth(f, 0x0800);
    fb_v4_udp(f, 1);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_outer(&p, 17);
    assert_true(p.flags & OT_PKT_UDP);
    assert_int_equal(p.dp, 4789);
    assert_int_equal(p.payload_len, 8 + 14 + 29);

    /* Too short to be VXLAN: a UDP packet to port 4789. */
    ip = vxlan_outer(f, &u);
    fb_put32(f, 0x08000000);
    udp_outer_end(f, u, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_outer(&p, 17);
    assert_int_equal(p.payload_len, 4);

    /* VXLAN carrying ARP: the UDP packet is what p describes. */
    ip = vxlan_outer(f, &u);
    fb_vxlan(f, 1);
    fb_eth(f, 0x0806);
    fb_zero(f, 28);
    udp_outer_end(f, u, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_non_ip);
    assert_outer(&p, 17);
    assert_true(p.flags & OT_PKT_UDP);
    assert_int_equal(p.sp, 49152);
    assert_int_equal(p.dp, 4789);
    assert_int_equal(p.payload_len, 8 + 14 + 28);
    free(f);
}

static void test_ip_in_ip(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    uint32_t ip = outer_v4(f, 4);
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_v4_udp(f, 2);
    fb_ipv4_end(f, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 2);
    assert_tunnelled(t, &p, 1);
    for (uint32_t n = 34; n < 54; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ipv4_truncated);
    }
    /* Inner packet that is not IPv4. */
    f->b[34] = 0x65;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_version);

    /* 6in4. */
    ip = outer_v4(f, 41);
    fb_v6_tcp(f, 2);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 2);
    assert_tunnelled(t, &p, 1);

    /* IPv4 in IPv6 and IPv6 in IPv6. */
    fb_reset(f);
    fb_eth(f, 0x86dd);
    uint32_t ip6 = fb_ipv6_begin(f, 4, 0x10, 0x20);
    fb_v4_udp(f, 2);
    fb_ipv6_end(f, ip6);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 2);
    assert_tunnelled(t, &p, 1);
    for (int i = 4; i < 16; i++)
        assert_int_equal(p.src.u.b[i], 0); /* no IPv6 leftovers in the IPv4 address */

    fb_reset(f);
    fb_eth(f, 0x86dd);
    ip6 = fb_ipv6_begin(f, 60, 0x10, 0x20);
    fb_ipv6_ext(f, 41, 0);
    fb_v6_tcp(f, 2);
    fb_ipv6_end(f, ip6);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 2);
    assert_tunnelled(t, &p, 1);
    free(f);
}

/* IPv4 / GRE / IPv4 / UDP VXLAN / Ethernet / IPv6 / IPv6-in-IPv6 / TCP. */
static void test_nested(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    uint32_t ip = outer_v4(f, 47);
    fb_gre(f, 0x2000, 0x0800);
    fb_put32(f, 42);
    uint32_t ip2 = fb_ipv4_begin(f, 17, IP4(172, 16, 0, 1), IP4(172, 16, 0, 2));
    uint32_t u = fb_udp_begin(f, 1111, 4789);
    fb_vxlan(f, 77);
    fb_eth(f, 0x8100);
    fb_vlan(f, 3, 0x86dd);
    uint32_t ip3 = fb_ipv6_begin(f, 41, 7, 8);
    fb_v6_tcp(f, 4);
    fb_ipv6_end(f, ip3);
    fb_udp_end(f, u);
    fb_ipv4_end(f, ip2);
    fb_ipv4_end(f, ip);
    assert_decodes_clean(t, f, &p);
    assert_v6_tcp(&p, 4);
    assert_tunnelled(t, &p, 3);
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.vlan[0], 3);

    /* Every cut of the nest fails with one counter, or decodes a cut payload. */
    for (uint32_t n = 0; n < f->len; n++) {
        enum ot_decode_result r = tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p);
        int first;
        unsigned changed = tdec_changed(t, &first);
        if (r == OT_DECODE_ERROR) {
            assert_int_equal(changed, 1);
        } else {
            assert_int_equal(r, OT_DECODE_OK);
            assert_true(p.flags & OT_PKT_L4_TRUNC);
            assert_payload_in_frame(t, &p, n);
        }
    }
    free(f);
}

static void nest_ipip(struct fb *f, int levels)
{
    fb_reset(f);
    fb_eth(f, 0x0800);
    uint32_t off[8];
    for (int i = 0; i < levels; i++)
        off[i] = fb_ipv4_begin(f, 4, IP4(10, 0, 1, i), IP4(10, 0, 2, i));
    fb_v4_udp(f, 1);
    for (int i = levels - 1; i >= 0; i--)
        fb_ipv4_end(f, off[i]);
}

static void test_depth_bound(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    nest_ipip(f, OT_DECODE_MAX_TUNNEL_DEPTH); /* outer, then 4 tunnels */
    enum ot_decode_result r = tdec(t, OT_DLT_EN10MB, f, &p);
    assert_no_counter(t);
    assert_int_equal(r, OT_DECODE_OK);
    assert_v4_udp(&p, 1);
    assert_tunnelled(t, &p, OT_DECODE_MAX_TUNNEL_DEPTH);

    nest_ipip(f, OT_DECODE_MAX_TUNNEL_DEPTH + 1);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_tunnel_too_deep);

    /* GRE and VXLAN count the same way. */
    uint32_t ip = outer_v4(f, 47);
    fb_gre(f, 0, 0x0800);
    uint32_t a = fb_ipv4_begin(f, 47, 1, 2);
    fb_gre(f, 0, 0x0800);
    uint32_t b = fb_ipv4_begin(f, 4, 3, 4);
    uint32_t c = fb_ipv4_begin(f, 17, 5, 6);
    uint32_t u = fb_udp_begin(f, 1, 4789);
    fb_vxlan(f, 1);
    fb_eth(f, 0x0800);
    fb_v4_udp(f, 0);
    fb_udp_end(f, u);
    fb_ipv4_end(f, c);
    fb_ipv4_end(f, b);
    fb_ipv4_end(f, a);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_tunnelled(t, &p, 4);
    free(f);
}

enum last_tunnel { LAST_GRE, LAST_VXLAN, LAST_6IN4, LAST_MPLS_PW };

/* n IP-in-IP levels, then one last tunnel of `kind`, then IPv4/UDP. */
static void build_nest(struct fb *f, int n, enum last_tunnel kind)
{
    uint32_t off[8], u = 0, ip6 = 0;
    fb_reset(f);
    fb_eth(f, 0x0800);
    for (int i = 0; i < n; i++)
        off[i] = fb_ipv4_begin(f, 4, IP4(10, 0, 1, i), IP4(10, 0, 2, i));
    switch (kind) {
    case LAST_GRE:
        off[n] = fb_ipv4_begin(f, 47, 1, 2);
        fb_gre(f, 0, 0x0800);
        break;
    case LAST_VXLAN:
        off[n] = fb_ipv4_begin(f, 17, 1, 2);
        u = fb_udp_begin(f, 1, 4789);
        fb_vxlan(f, 1);
        fb_eth(f, 0x0800);
        break;
    case LAST_6IN4:
        off[n] = fb_ipv4_begin(f, 41, 1, 2);
        ip6 = fb_ipv6_begin(f, 4, 1, 2);
        break;
    case LAST_MPLS_PW:
        off[n] = fb_ipv4_begin(f, 47, 1, 2);
        fb_gre(f, 0, 0x8847);
        fb_mpls(f, 5, true);
        fb_put32(f, 0);
        fb_eth(f, 0x0800);
        break;
    }
    fb_v4_udp(f, 1);
    if (kind == LAST_VXLAN)
        fb_udp_end(f, u);
    if (kind == LAST_6IN4)
        fb_ipv6_end(f, ip6);
    for (int i = n; i >= 0; i--)
        fb_ipv4_end(f, off[i]);
}

/* Every kind of tunnel counts toward the bound, and stops at it. */
static void test_depth_bound_each_kind(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    const enum last_tunnel kinds[] = {LAST_GRE, LAST_VXLAN, LAST_6IN4, LAST_MPLS_PW};
    for (int k = 0; k < 4; k++) {
        int levels = kinds[k] == LAST_6IN4 || kinds[k] == LAST_MPLS_PW ? 2 : 1;
        int n = OT_DECODE_MAX_TUNNEL_DEPTH - levels;
        build_nest(f, n, kinds[k]);
        assert_decodes_clean(t, f, &p);
        assert_v4_udp(&p, 1);
        assert_tunnelled(t, &p, OT_DECODE_MAX_TUNNEL_DEPTH);
        build_nest(f, n + 1, kinds[k]);
        assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_tunnel_too_deep);
    }
    free(f);
}

static uint32_t udp_outer(struct fb *f, uint32_t *udp, uint16_t port)
{
    uint32_t ip = outer_v4(f, 17);
    *udp = fb_udp_begin(f, 49152, port);
    return ip;
}

static void fb_gpe(struct fb *f, uint8_t flags, uint8_t next, uint32_t vni)
{
    fb_put8(f, flags);
    fb_put8(f, 0);
    fb_put8(f, 0);
    fb_put8(f, next);
    fb_put32(f, vni << 8);
}

/* VXLAN-GPE on UDP 4790: its next-protocol byte says what follows. */
static void test_vxlan_gpe(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    uint32_t u, ip;
    /* IPv4 and IPv6 with no inner Ethernet. */
    ip = udp_outer(f, &u, 4790);
    fb_gpe(f, 0x0c, 1, 7);
    fb_v4_udp(f, 9);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 9);
    assert_tunnelled(t, &p, 1);
    ip = udp_outer(f, &u, 4790);
    fb_gpe(f, 0x0c, 2, 7);
    fb_v6_tcp(f, 5);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v6_tcp(&p, 5);
    assert_tunnelled(t, &p, 1);
    /* Ethernet, said (next protocol 3, as in Arkime's capture) or not (no P flag). */
    for (int said = 0; said < 2; said++) {
        ip = udp_outer(f, &u, 4790);
        fb_gpe(f, said ? 0x0c : 0x08, said ? 3 : 0, 7);
        fb_eth(f, 0x0800);
        fb_v4_udp(f, 3);
        udp_outer_end(f, u, ip);
        assert_decodes_clean(t, f, &p);
        assert_v4_udp(&p, 3);
        assert_tunnelled(t, &p, 1);
    }
    /* MPLS. */
    ip = udp_outer(f, &u, 4790);
    fb_gpe(f, 0x0c, 5, 7);
    fb_mpls(f, 100, true);
    fb_v4_udp(f, 4);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 4);
    /* NSH is not decoded: counted as not IP, p describes the UDP packet. */
    ip = udp_outer(f, &u, 4790);
    fb_gpe(f, 0x0c, 4, 7);
    fb_zero(f, 24);
    udp_outer_end(f, u, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_non_ip);
    assert_outer(&p, 17);
    assert_int_equal(p.dp, 4790);
    /* Not GPE: another version, or no I flag; a header cut before the inner Ethernet. */
    const uint8_t flags[] = {0x2c, 0x04};
    for (int i = 0; i < 2; i++) {
        ip = udp_outer(f, &u, 4790);
        fb_gpe(f, flags[i], 3, 7);
        fb_eth(f, 0x0800);
        fb_v4_udp(f, 3);
        udp_outer_end(f, u, ip);
        assert_decodes_clean(t, f, &p);
        assert_outer(&p, 17);
        assert_int_equal(p.payload_len, 8 + 14 + 31);
    }
    ip = udp_outer(f, &u, 4790);
    fb_gpe(f, 0x0c, 3, 7);
    fb_zero(f, 10);
    udp_outer_end(f, u, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_vxlan_truncated);
    free(f);
}

static void fb_geneve(struct fb *f, uint8_t ver, uint8_t opt_words, uint16_t type)
{
    fb_put8(f, (uint8_t)(ver << 6 | opt_words));
    fb_put8(f, 0);
    fb_put16(f, type);
    fb_put32(f, 5001u << 8);
    for (unsigned i = 0; i < opt_words; i++)
        fb_put32(f, 0x01020304);
}

/* Geneve on UDP 6081: options skipped, then Ethernet or what the EtherType names. */
static void test_geneve(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    uint32_t u, ip = udp_outer(f, &u, 6081);
    fb_geneve(f, 0, 2, 0x6558);
    uint32_t inner_eth = f->len;
    fb_eth(f, 0x86dd);
    fb_v6_tcp(f, 12);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v6_tcp(&p, 12);
    assert_tunnelled(t, &p, 1);
    /* Options or the inner Ethernet header cut short. */
    for (uint32_t n = inner_eth - 8; n < inner_eth + 14; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_geneve_truncated);
    }

    ip = udp_outer(f, &u, 6081);
    fb_geneve(f, 0, 0, 0x0800);
    fb_v4_udp(f, 6);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 6);
    assert_tunnelled(t, &p, 1);

    /* ARP inside: not IP, p describes the UDP packet. */
    ip = udp_outer(f, &u, 6081);
    fb_geneve(f, 0, 1, 0x0806);
    fb_zero(f, 28);
    udp_outer_end(f, u, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_non_ip);
    assert_outer(&p, 17);
    assert_int_equal(p.dp, 6081);

    /* Another version, or too short for the header: a UDP packet to 6081. */
    ip = udp_outer(f, &u, 6081);
    fb_geneve(f, 1, 0, 0x0800);
    fb_v4_udp(f, 6);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_outer(&p, 17);
    ip = udp_outer(f, &u, 6081);
    fb_put32(f, 0x00000800);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_outer(&p, 17);
    assert_int_equal(p.payload_len, 4);
    free(f);
}

static void fb_gtpu(struct fb *f, uint8_t flags, uint8_t type)
{
    fb_put8(f, flags);
    fb_put8(f, type);
    fb_put16(f, 0); /* length: not used to bound the packet */
    fb_put32(f, 0x11223344);
}

/* GTP-U on UDP 2152: the optional word and extension headers are skipped. */
static void test_gtpu(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    uint32_t u, ip = udp_outer(f, &u, 2152);
    fb_gtpu(f, 0x30, 255);
    fb_v4_udp(f, 8);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 8);
    assert_tunnelled(t, &p, 1);
    /* A sequence number (S), then two extension headers (E). */
    ip = udp_outer(f, &u, 2152);
    fb_gtpu(f, 0x32, 255);
    fb_put32(f, 0x00070000);
    fb_v6_tcp(f, 4);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v6_tcp(&p, 4);
    ip = udp_outer(f, &u, 2152);
    fb_gtpu(f, 0x34, 255);
    fb_put32(f, 0x00000085); /* next: PDU session container */
    fb_put32(f, 0x01001040); /* 4 bytes, next 0x40 */
    fb_put32(f, 0x02000000); /* 8 bytes */
    fb_put32(f, 0x00000000); /* ..., next 0: end */
    uint32_t inner = f->len;
    fb_v4_udp(f, 2);
    udp_outer_end(f, u, ip);
    assert_decodes_clean(t, f, &p);
    assert_v4_udp(&p, 2);
    /* Extension headers cut short, or one of length 0. */
    for (uint32_t n = inner - 16; n < inner; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_gtp_truncated);
    }
    f->b[inner - 8] = 0;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_gtp_truncated);

    /* Signalling (echo request) and a G-PDU that holds no IP: not IP, p is the UDP packet. */
    const uint8_t types[] = {1, 255};
    for (int i = 0; i < 2; i++) {
        ip = udp_outer(f, &u, 2152);
        fb_gtpu(f, 0x30, types[i]);
        fb_put32(f, 0xc0210102); /* PPP LCP-ish bytes */
        udp_outer_end(f, u, ip);
        assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
        assert_only_counter(t, OT_DEC_non_ip);
        assert_outer(&p, 17);
        assert_int_equal(p.dp, 2152);
    }
    /* GTPv2 (control plane) or GTP': not decoded, no counter. */
    const uint8_t other[] = {0x48, 0x20};
    for (int i = 0; i < 2; i++) {
        ip = udp_outer(f, &u, 2152);
        fb_gtpu(f, other[i], 255);
        fb_v4_udp(f, 1);
        udp_outer_end(f, u, ip);
        assert_decodes_clean(t, f, &p);
        assert_outer(&p, 17);
    }
    free(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tdec_setup, tdec_teardown)
    const struct CMUnitTest tests[] = {
        T(test_gre_plain),
        T(test_gre_options),
        T(test_gre_bridging),
        T(test_gre_unsupported),
        T(test_gre_pptp),
        T(test_erspan),
        T(test_erspan3),
        T(test_vxlan),
        T(test_vxlan_not_vxlan),
        T(test_vxlan_gpe),
        T(test_geneve),
        T(test_gtpu),
        T(test_ip_in_ip),
        T(test_nested),
        T(test_depth_bound),
        T(test_depth_bound_each_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
