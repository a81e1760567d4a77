/*
 * Between the link and IP: 802.1Q VLAN and QinQ, PPPoE sessions, MPLS label
 * stacks (with the pseudowire control word).
 */
#include "frames.h"

static void test_vlan_single(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x8100);
    fb_vlan(f, 100, 0x0800);
    fb_v4_udp(f, 8);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 8);
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.vlan[0], 100);
    assert_int_equal(p.vlan[1], 0);

    /* Priority tag: id 0 is still a tag. */
    fb_reset(f);
    fb_eth(f, 0x8100);
    fb_vlan(f, 0, 0x86dd);
    fb_v6_tcp(f, 1);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 1);
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.vlan[0], 0);

    /* 4095 and the priority bits do not leak into the id. */
    fb_reset(f);
    fb_eth(f, 0x8100);
    fb_put16(f, 0xefff);
    fb_put16(f, 0x0800);
    fb_v4_udp(f, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.vlan[0], 4095);
    free(f);
}

static void test_qinq(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    const uint16_t outer[] = {0x88a8, 0x9100, 0x8100};
    for (int i = 0; i < 3; i++) {
        fb_reset(f);
        fb_eth(f, outer[i]);
        fb_vlan(f, 10, 0x8100);
        fb_vlan(f, 20, 0x0800);
        fb_v4_udp(f, 8);
        assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
        assert_no_counter(t);
        assert_v4_udp(&p, 8);
        assert_int_equal(p.vlan_count, 2);
        assert_int_equal(p.vlan[0], 10);
        assert_int_equal(p.vlan[1], 20);
    }
    free(f);
}

/* Three tags (QinQ around a customer's own tag) are all kept, as Suricata does. */
static void test_vlan_three(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x88a8);
    fb_vlan(f, 100, 0x8100);
    fb_vlan(f, 200, 0x8100);
    fb_vlan(f, 4095, 0x0800);
    fb_v4_udp(f, 8);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 8);
    assert_int_equal(p.vlan_count, 3);
    assert_int_equal(p.vlan[0], 100);
    assert_int_equal(p.vlan[1], 200);
    assert_int_equal(p.vlan[2], 4095);
    free(f);
}

/* Deeper than three tags: counted once, the three outer ids kept, decoding goes on. */
static void test_vlan_too_deep(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x88a8);
    fb_vlan(f, 1, 0x8100);
    fb_vlan(f, 2, 0x8100);
    fb_vlan(f, 3, 0x8100);
    fb_vlan(f, 4, 0x8100);
    fb_vlan(f, 5, 0x86dd);
    fb_v6_tcp(f, 3);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_vlan_too_deep);
    assert_v6_tcp(&p, 3);
    assert_int_equal(p.vlan_count, 3);
    assert_int_equal(p.vlan[0], 1);
    assert_int_equal(p.vlan[1], 2);
    assert_int_equal(p.vlan[2], 3);

    /* A frame of nothing but tags costs a loop, not stack, and ends truncated. */
    fb_reset(f);
    fb_eth(f, 0x8100);
    for (int i = 0; i < 2000; i++)
        fb_vlan(f, (uint16_t)i, 0x8100);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_int_equal(t->d.counters[OT_DEC_vlan_truncated], 1);
    free(f);
}

static void test_vlan_truncated(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x8100);
    fb_vlan(f, 5, 0x8100);
    fb_vlan(f, 6, 0x0800);
    for (uint32_t n = 14; n < 22; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, 100, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_vlan_truncated);
    }
    fb_reset(f);
    fb_eth(f, 0x8100);
    fb_vlan(f, 5, 0x0806); /* ARP in a VLAN */
    fb_zero(f, 28);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);
    free(f);
}

static void test_pppoe(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x8864);
    uint32_t po = fb_pppoe_begin(f, 0x0021);
    fb_v4_udp(f, 12);
    fb_pppoe_end(f, po);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 12);

    fb_reset(f);
    fb_eth(f, 0x8100);
    fb_vlan(f, 7, 0x8864);
    po = fb_pppoe_begin(f, 0x0057);
    fb_v6_tcp(f, 12);
    fb_pppoe_end(f, po);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 12);
    assert_int_equal(p.vlan[0], 7);

    /* Protocol-field compression: one byte 0x21. */
    fb_reset(f);
    fb_eth(f, 0x8864);
    po = f->len;
    fb_put8(f, 0x11);
    fb_put8(f, 0);
    fb_put16(f, 1);
    fb_put16(f, 0);
    fb_put8(f, 0x21);
    fb_v4_udp(f, 2);
    fb_pppoe_end(f, po);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 2);
    free(f);
}

/* Ethernet padding after a PPPoE frame: the IP total length trims it. */
static void test_pppoe_padding(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x8864);
    uint32_t po = fb_pppoe_begin(f, 0x0021);
    fb_v4_udp(f, 0);
    fb_pppoe_end(f, po);
    fb_zero(f, 60 - f->len);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 0);
    free(f);
}

static void test_pppoe_not_ip(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    const uint16_t protos[] = {0xc021 /* LCP */, 0x8021 /* IPCP */, 0xc223 /* CHAP */};
    for (int i = 0; i < 3; i++) {
        fb_reset(f);
        fb_eth(f, 0x8864);
        uint32_t po = fb_pppoe_begin(f, protos[i]);
        fb_pattern(f, 10, 0);
        fb_pppoe_end(f, po);
        assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_SKIP);
        assert_only_counter(t, OT_DEC_pppoe_not_ip);
    }
    /* Discovery stage (PADI...). */
    fb_reset(f);
    fb_eth(f, 0x8863);
    fb_put8(f, 0x11);
    fb_put8(f, 0x09);
    fb_zero(f, 30);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);
    free(f);
}

static void test_pppoe_bad(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x8864);
    uint32_t po = fb_pppoe_begin(f, 0x0021);
    fb_v4_udp(f, 4);
    fb_pppoe_end(f, po);

    f->b[po + 1] = 0x09; /* a discovery code in a session frame */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_pppoe_bad_header);
    f->b[po + 1] = 0;
    f->b[po] = 0x21; /* version 2 */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_pppoe_bad_header);
    f->b[po] = 0x11;

    /* Length past the frame, without a snap length to blame. */
    fb_set16(f, po + 4, 500);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_pppoe_truncated);
    /* A length shorter than the frame is not trusted to cut it (some concentrators
     * send one 6 bytes short): the IP total length decides. */
    fb_set16(f, po + 4, 1);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 4);
    fb_pppoe_end(f, po);

    for (uint32_t n = 14; n < 22; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_pppoe_truncated);
    }
    free(f);
}

static void test_mpls(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x8847);
    fb_mpls(f, 16, true);
    fb_v4_udp(f, 5);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 5);
    assert_false(p.flags & OT_PKT_TUNNELLED);

    /* A stack of three (multicast), IPv6 at the bottom, behind a VLAN. */
    fb_reset(f);
    fb_eth(f, 0x8100);
    fb_vlan(f, 30, 0x8848);
    fb_mpls(f, 100, false);
    fb_mpls(f, 200, false);
    fb_mpls(f, 2, true);
    fb_v6_tcp(f, 5);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 5);
    assert_int_equal(p.vlan[0], 30);
    free(f);
}

/* Ethernet pseudowire with a control word: the inner frame is a tunnel. */
static void test_mpls_pseudowire(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x8847);
    fb_mpls(f, 300, false);
    fb_mpls(f, 301, true);
    fb_put32(f, 0x00000007); /* control word, sequence 7 */
    fb_putn(f, fb_mac_src, 6);
    fb_putn(f, fb_mac_src, 6);
    fb_put16(f, 0x8100);
    fb_vlan(f, 44, 0x0800);
    fb_v4_udp(f, 9);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 9);
    assert_true(p.flags & OT_PKT_TUNNELLED);
    assert_int_equal(p.tunnel_depth, 1);
    assert_ptr_equal(p.eth_dst, t->frame); /* outermost MACs */
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.vlan[0], 44);

    /* ARP over the pseudowire: nothing IP anywhere. */
    fb_reset(f);
    fb_eth(f, 0x8847);
    fb_mpls(f, 301, true);
    fb_put32(f, 0);
    fb_eth(f, 0x0806);
    fb_zero(f, 28);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);
    assert_false(p.flags & OT_PKT_TUNNELLED);
    free(f);
}

static void test_mpls_bad(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x8847);
    fb_mpls(f, 16, false);
    fb_mpls(f, 17, true);
    fb_put8(f, 0x90); /* neither IP nor a control word */
    fb_zero(f, 40);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_mpls_bad_payload);

    f->b[22] = 0x10; /* associated channel (OAM) */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);

    /* Cut anywhere in the stack, or right after it. */
    for (uint32_t n = 14; n <= 22; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_mpls_truncated);
    }
    /* Control word cut. */
    f->b[22] = 0x00;
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 25, f->len, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_mpls_truncated);

    /* A stack that never ends. */
    fb_reset(f);
    fb_eth(f, 0x8847);
    for (int i = 0; i < 100; i++)
        fb_mpls(f, (uint32_t)i, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_mpls_truncated);
    free(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tdec_setup, tdec_teardown)
    const struct CMUnitTest tests[] = {
        T(test_vlan_single),     T(test_qinq),      T(test_vlan_three),    T(test_vlan_too_deep),
        T(test_vlan_truncated),  T(test_pppoe),     T(test_pppoe_padding),
        T(test_pppoe_not_ip),    T(test_pppoe_bad), T(test_mpls),
        T(test_mpls_pseudowire), T(test_mpls_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
