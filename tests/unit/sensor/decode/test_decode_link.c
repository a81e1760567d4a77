/*
 * Link layers: Ethernet, Linux cooked (SLL, SLL2), raw IP, BSD null and
 * loopback, PPP, Cisco HDLC, NFLOG; non-IP frames; each link header's
 * truncation counter.
 */
#include "frames.h"

static void test_ethernet_ipv4(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    fb_eth(f, 0x0800);
    fb_v4_udp(f, 20);
    struct ot_packet p;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 20);
    assert_true(p.flags & OT_PKT_HAS_MAC);
    assert_memory_equal(p.eth_src, fb_mac_src, 6);
    assert_memory_equal(p.eth_dst, fb_mac_dst, 6);
    assert_ptr_equal(p.eth_dst, t->frame);
    assert_false(p.flags & (OT_PKT_TUNNELLED | OT_PKT_L4_TRUNC | OT_PKT_REASSEMBLED));
    assert_payload_in_frame(t, &p, f->len);
    free(f);
}

static void test_ethernet_ipv6(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    fb_eth(f, 0x86dd);
    fb_v6_tcp(f, 5);
    struct ot_packet p;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v6_tcp(&p, 5);
    free(f);
}

/* A 60-byte minimum frame: the IP total length, not the frame, ends the packet. */
static void test_ethernet_padding(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    fb_eth(f, 0x0800);
    fb_v4_udp(f, 2); /* 14 + 30 bytes */
    fb_pattern(f, 16, 0xee);
    assert_int_equal(f->len, 60);
    struct ot_packet p;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 2);
    assert_false(p.flags & OT_PKT_L4_TRUNC);
    assert_ptr_equal(p.l3, t->frame + 14);
    assert_int_equal(p.l3_caplen, 30); /* not the padding */

    /* Same with a TCP segment with no payload, and a trailing FCS. */
    fb_reset(f);
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 6, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2));
    fb_tcp(f, 80, 40000, 1, 2, OT_TH_ACK, 0);
    fb_ipv4_end(f, ip);
    fb_zero(f, 6);
    fb_put32(f, 0xdeadbeef);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.payload_len, 0);
    assert_int_equal(p.ip_len, 40);
    free(f);
}

/* Cisco FabricPath: switch-id addresses, 2 bytes of tag, then the host's frame. */
static void test_fabricpath(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_zero(f, 12);
    fb_put16(f, 0x8903);
    fb_put16(f, 0x4020);
    fb_eth(f, 0x8100);
    fb_vlan(f, 7, 0x0800);
    fb_v4_udp(f, 5);
    fb_put32(f, 0x01020304); /* FCS */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 5);
    assert_ptr_equal(p.eth_dst, t->frame + 16); /* the host's MACs */
    assert_memory_equal(p.eth_src, fb_mac_src, 6);
    assert_int_equal(p.vlan[0], 7);
    assert_false(p.flags & OT_PKT_TUNNELLED);
    for (uint32_t n = 14; n < 30; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ethernet_truncated);
    }
    /* A frame of nothing but FabricPath headers. */
    fb_reset(f);
    for (int i = 0; i < 1000; i++) {
        fb_zero(f, 12);
        fb_put16(f, 0x8903);
        fb_put16(f, 0);
    }
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ethernet_truncated);
    free(f);
}

static void test_non_ip(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    const uint16_t types[] = {0x0806 /* ARP */, 0x88cc /* LLDP */, 0x8863 /* PPPoE discovery */,
                              0x888e /* EAPOL */, 0x0026 /* 802.3 length: STP over LLC */};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        fb_reset(f);
        fb_eth(f, types[i]);
        fb_pattern(f, 46, 0);
        assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_SKIP);
        assert_only_counter(t, OT_DEC_non_ip);
        assert_true(p.flags & OT_PKT_HAS_MAC);
    }
    assert_int_equal(t->d.counters[OT_DEC_non_ip], 5);
    free(f);
}

static void test_ethernet_truncated(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    for (uint32_t n = 0; n < 14; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, n, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ethernet_truncated);
        assert_false(p.flags & OT_PKT_HAS_MAC);
    }
    /* Header only: the IP layer is what is missing. */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_truncated);
    free(f);
}

static void test_sll(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_sll(f, 0x0800);
    fb_v4_udp(f, 3);
    assert_int_equal(tdec(t, OT_DLT_LINUX_SLL, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 3);
    assert_false(p.flags & OT_PKT_HAS_MAC);

    fb_reset(f);
    fb_sll(f, 0x86dd);
    fb_v6_tcp(f, 0);
    assert_int_equal(tdec(t, OT_DLT_LINUX_SLL, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 0);

    /* VLAN tag left in place by the capture. */
    fb_reset(f);
    fb_sll(f, 0x8100);
    fb_vlan(f, 12, 0x0800);
    fb_v4_udp(f, 1);
    assert_int_equal(tdec(t, OT_DLT_LINUX_SLL, f, &p), OT_DECODE_OK);
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.vlan[0], 12);

    fb_reset(f);
    fb_sll(f, 0x0004); /* 802.2 LLC */
    fb_zero(f, 20);
    assert_int_equal(tdec(t, OT_DLT_LINUX_SLL, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);

    fb_reset(f);
    fb_sll(f, 0x0800);
    for (uint32_t n = 0; n < 16; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_LINUX_SLL, f, n, 100, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_sll_truncated);
    }
    free(f);
}

static void test_sll2(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_sll2(f, 0x0800);
    fb_v4_udp(f, 7);
    assert_int_equal(tdec(t, OT_DLT_LINUX_SLL2, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 7);

    fb_reset(f);
    fb_sll2(f, 0x86dd);
    fb_v6_tcp(f, 9);
    assert_int_equal(tdec(t, OT_DLT_LINUX_SLL2, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 9);

    fb_reset(f);
    fb_sll2(f, 0x0806);
    fb_zero(f, 28);
    assert_int_equal(tdec(t, OT_DLT_LINUX_SLL2, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);

    fb_reset(f);
    fb_sll2(f, 0x0800);
    for (uint32_t n = 0; n < 20; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_LINUX_SLL2, f, n, n, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_sll_truncated);
    }
    free(f);
}

static void test_raw(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    const int dlts[] = {OT_DLT_RAW, OT_DLT_RAW_ALT};
    for (size_t i = 0; i < 2; i++) {
        fb_reset(f);
        fb_v4_udp(f, 4);
        assert_int_equal(tdec(t, dlts[i], f, &p), OT_DECODE_OK);
        assert_no_counter(t);
        assert_v4_udp(&p, 4);
        assert_false(p.flags & OT_PKT_HAS_MAC);

        fb_reset(f);
        fb_v6_tcp(f, 4);
        assert_int_equal(tdec(t, dlts[i], f, &p), OT_DECODE_OK);
        assert_v6_tcp(&p, 4);

        fb_reset(f);
        fb_put8(f, 0x55);
        fb_zero(f, 30);
        assert_int_equal(tdec(t, dlts[i], f, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_raw_not_ip);
        assert_int_equal(tdec_cut(t, dlts[i], f, 0, 0, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_raw_not_ip);
    }

    /* LINKTYPE_IPV4 / IPV6 need no guess, and check the version. */
    fb_reset(f);
    fb_v4_udp(f, 20);
    assert_int_equal(tdec(t, OT_DLT_IPV4, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 20);
    assert_int_equal(tdec(t, OT_DLT_IPV6, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_version);
    fb_reset(f);
    fb_v6_tcp(f, 1);
    assert_int_equal(tdec(t, OT_DLT_IPV6, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 1);
    assert_int_equal(tdec(t, OT_DLT_IPV4, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv4_bad_version);
    free(f);
}

static void put_family(struct fb *f, uint32_t fam, bool little)
{
    if (little) {
        fb_put8(f, fam);
        fb_put8(f, fam >> 8);
        fb_put8(f, fam >> 16);
        fb_put8(f, fam >> 24);
    } else {
        fb_put32(f, fam);
    }
}

static void test_null(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    for (int little = 0; little < 2; little++) {
        fb_reset(f);
        put_family(f, 2, little);
        fb_v4_udp(f, 6);
        assert_int_equal(tdec(t, OT_DLT_NULL, f, &p), OT_DECODE_OK);
        assert_no_counter(t);
        assert_v4_udp(&p, 6);

        const uint32_t v6fams[] = {24, 28, 30};
        for (int i = 0; i < 3; i++) {
            fb_reset(f);
            put_family(f, v6fams[i], little);
            fb_v6_tcp(f, 6);
            assert_int_equal(tdec(t, OT_DLT_NULL, f, &p), OT_DECODE_OK);
            assert_v6_tcp(&p, 6);
        }

        fb_reset(f);
        put_family(f, 7, little); /* AF_OSI-ish: not IP */
        fb_v4_udp(f, 6);
        assert_int_equal(tdec(t, OT_DLT_NULL, f, &p), OT_DECODE_SKIP);
        assert_only_counter(t, OT_DEC_non_ip);
    }
    fb_reset(f);
    put_family(f, 2, true);
    for (uint32_t n = 0; n < 4; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_NULL, f, n, n, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_null_truncated);
    }
    free(f);
}

static void test_loop(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    put_family(f, 2, false);
    fb_v4_udp(f, 6);
    assert_int_equal(tdec(t, OT_DLT_LOOP, f, &p), OT_DECODE_OK);
    assert_v4_udp(&p, 6);

    fb_reset(f);
    put_family(f, 24, false);
    fb_v6_tcp(f, 6);
    assert_int_equal(tdec(t, OT_DLT_LOOP, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 6);

    /* Network order only: a little-endian family is not a family. */
    fb_reset(f);
    put_family(f, 2, true);
    fb_v4_udp(f, 6);
    assert_int_equal(tdec(t, OT_DLT_LOOP, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);

    assert_int_equal(tdec_cut(t, OT_DLT_LOOP, f, 3, 3, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_null_truncated);
    free(f);
}

/* PPP: with or without address and control, a compressed or full protocol field. */
static void test_ppp(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    for (int acf = 0; acf < 2; acf++) {
        for (int pfc = 0; pfc < 2; pfc++) {
            fb_reset(f);
            if (acf) {
                fb_put8(f, 0xff);
                fb_put8(f, 0x03);
            }
            if (pfc)
                fb_put8(f, 0x21);
            else
                fb_put16(f, 0x0021);
            fb_v4_udp(f, 7);
            int dlt = acf ? OT_DLT_PPP_SERIAL : OT_DLT_PPP;
            assert_int_equal(tdec(t, dlt, f, &p), OT_DECODE_OK);
            assert_no_counter(t);
            assert_v4_udp(&p, 7);
            assert_false(p.flags & OT_PKT_HAS_MAC);
        }
    }
    fb_reset(f);
    fb_put16(f, 0x0057);
    fb_v6_tcp(f, 3);
    assert_int_equal(tdec(t, OT_DLT_PPP, f, &p), OT_DECODE_OK);
    assert_v6_tcp(&p, 3);
    /* LCP is not IP; a frame with no protocol field is truncated. */
    fb_reset(f);
    fb_put16(f, 0xc021);
    fb_zero(f, 8);
    assert_int_equal(tdec(t, OT_DLT_PPP, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);
    fb_reset(f);
    fb_put8(f, 0xff);
    fb_put8(f, 0x03);
    assert_int_equal(tdec(t, OT_DLT_PPP, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ppp_truncated);
    free(f);
}

/* Cisco HDLC: address, control, EtherType. */
static void test_chdlc(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_put8(f, 0x0f);
    fb_put8(f, 0);
    fb_put16(f, 0x0800);
    fb_v4_udp(f, 5);
    assert_int_equal(tdec(t, OT_DLT_C_HDLC, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 5);
    fb_reset(f);
    fb_put8(f, 0x8f);
    fb_put8(f, 0);
    fb_put16(f, 0x8035); /* SLARP */
    fb_zero(f, 20);
    assert_int_equal(tdec(t, OT_DLT_C_HDLC, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);
    for (uint32_t n = 0; n < 4; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_C_HDLC, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_ppp_truncated);
    }
    free(f);
}

/* One NFLOG attribute, its length and type in the capturing host's order. */
static void fb_nflog_tlv(struct fb *f, bool be, uint16_t type, uint32_t value_len)
{
    uint16_t len = (uint16_t)(4 + value_len);
    if (be) {
        fb_put16(f, len);
        fb_put16(f, type);
    } else {
        fb_put8(f, len & 0xff);
        fb_put8(f, len >> 8);
        fb_put8(f, type & 0xff);
        fb_put8(f, type >> 8);
    }
}

/* NFLOG: the header, attributes skipped up to the payload's, in either byte order. */
static void test_nflog(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    for (int be = 0; be < 2; be++) {
        fb_reset(f);
        fb_put8(f, 2); /* AF_INET */
        fb_put8(f, 0);
        fb_put16(f, 5);            /* group 5 */
        fb_nflog_tlv(f, be, 1, 4); /* packet header: hw protocol, hook */
        fb_put32(f, 0x08000300);
        fb_nflog_tlv(f, be, 10, 5); /* prefix "drop\0", padded to 8 */
        fb_putn(f, "drop", 5);
        fb_zero(f, 3);
        fb_nflog_tlv(f, be, 9, 20 + 8 + 11);
        fb_v4_udp(f, 11);
        fb_zero(f, 1); /* padding */
        assert_int_equal(tdec(t, OT_DLT_NFLOG, f, &p), OT_DECODE_OK);
        assert_no_counter(t);
        assert_v4_udp(&p, 11);
        assert_payload_in_frame(t, &p, f->len);
    }
    /* The payload attribute says more than the record holds. */
    uint32_t whole = f->len;
    assert_int_equal(tdec_cut(t, OT_DLT_NFLOG, f, whole - 6, whole - 6, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_nflog_truncated);
    /* Cut by the snap length: what is there is decoded, flagged as cut. */
    assert_int_equal(tdec_cut(t, OT_DLT_NFLOG, f, whole - 6, whole, &p), OT_DECODE_OK);
    assert_true(p.flags & OT_PKT_L4_TRUNC);

    /* No payload attribute: logged metadata only. */
    fb_reset(f);
    fb_put8(f, 10); /* AF_INET6 */
    fb_put8(f, 0);
    fb_put16(f, 0);
    fb_nflog_tlv(f, false, 1, 4);
    fb_put32(f, 0);
    assert_int_equal(tdec(t, OT_DLT_NFLOG, f, &p), OT_DECODE_SKIP);
    assert_only_counter(t, OT_DEC_non_ip);
    /* An attribute shorter than its own header; another version; a cut header. */
    fb_reset(f);
    fb_put32(f, 0x02000000);
    fb_nflog_tlv(f, false, 9, 0);
    f->b[4] = 2;
    assert_int_equal(tdec(t, OT_DLT_NFLOG, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_nflog_bad_header);
    f->b[4] = 4;
    f->b[1] = 1;
    assert_int_equal(tdec(t, OT_DLT_NFLOG, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_nflog_bad_header);
    assert_int_equal(tdec_cut(t, OT_DLT_NFLOG, f, 3, 3, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_nflog_truncated);
    free(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tdec_setup, tdec_teardown)
    const struct CMUnitTest tests[] = {
        T(test_ethernet_ipv4), T(test_ethernet_ipv6), T(test_ethernet_padding),
        T(test_non_ip),        T(test_fabricpath),    T(test_ethernet_truncated),
        T(test_sll),           T(test_sll2),          T(test_raw),
        T(test_null),          T(test_loop),          T(test_ppp),
        T(test_chdlc),         T(test_nflog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
