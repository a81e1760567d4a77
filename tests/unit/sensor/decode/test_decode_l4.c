/*
 * Transport: TCP (header length, options, flags), UDP (length field against
 * what is there), ICMP and ICMPv6 (type and code as ports).
 */
#include "frames.h"

static void build_tcp(struct fb *f, uint32_t optlen, uint32_t n)
{
    fb_reset(f);
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_tcp(f, 40000, 22, 0xfffffff0, 0x80000001, OT_TH_SYN | OT_TH_ACK | OT_TH_ECE, optlen);
    fb_pattern(f, n, 0x30);
    fb_ipv4_end(f, ip);
}

static void test_tcp(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    build_tcp(f, 0, 10);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_int_equal(p.flags, OT_PKT_IPV4 | OT_PKT_TCP | OT_PKT_HAS_MAC);
    assert_int_equal(p.sp, 40000);
    assert_int_equal(p.dp, 22);
    assert_int_equal(p.tcp_seq, 0xfffffff0);
    assert_int_equal(p.tcp_ack, 0x80000001);
    assert_int_equal(p.tcp_flags, OT_TH_SYN | OT_TH_ACK | OT_TH_ECE);
    assert_int_equal(p.tcp_win, 65535);
    assert_int_equal(p.payload_len, 10);
    assert_int_equal(p.payload[0], 0x30);

    /* 40 bytes of options are skipped. */
    build_tcp(f, 40, 10);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.payload_len, 10);
    assert_ptr_equal(p.payload, t->frame + 14 + 20 + 60);
    assert_int_equal(p.payload[9], 0x39);
    free(f);
}

static void test_tcp_bad(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    build_tcp(f, 0, 10);
    const uint32_t th = 34;
    f->b[th + 12] = 0x40; /* 16-byte header */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_tcp_bad_header_len);
    f->b[th + 12] = 0xf0; /* 60-byte header in a 30-byte segment */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_tcp_bad_header_len);
    /* The IP length says the whole header is there, but the capture cut it: truncated. */
    fb_set16(f, 16, 20 + 60 + 10);
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, f->len, 14 + 90, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_tcp_truncated);
    fb_set16(f, 16, 20 + 20 + 10);
    f->b[th + 12] = 0x50;
    for (uint32_t n = th; n < th + 20; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_tcp_truncated);
    }
    /* An IP total length that leaves less than a TCP header. */
    fb_set16(f, 16, 20 + 12);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_tcp_truncated);
    free(f);
}

static void build_udp(struct fb *f, uint32_t n)
{
    fb_reset(f);
    fb_eth(f, 0x0800);
    fb_v4_udp(f, n);
}

static void test_udp(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    build_udp(f, 25);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_v4_udp(&p, 25);
    assert_int_equal(p.flags, OT_PKT_IPV4 | OT_PKT_UDP | OT_PKT_HAS_MAC);

    /* A UDP length shorter than the IP payload trims the payload. */
    fb_set16(f, 34 + 4, 8 + 5);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.payload_len, 5);
    assert_int_equal(p.ip_len, 28 + 25);

    /* Empty datagram. */
    build_udp(f, 0);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.payload_len, 0);
    free(f);
}

static void test_udp_bad(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    build_udp(f, 25);
    fb_set16(f, 34 + 4, 7);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_udp_bad_len);
    fb_set16(f, 34 + 4, 8 + 26); /* past the IP payload */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_udp_bad_len);
    fb_set16(f, 34 + 4, 8 + 25);

    for (uint32_t n = 34; n < 42; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_udp_truncated);
    }
    /* Cut in the payload: decoded, flagged. */
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 50, f->len, &p), OT_DECODE_OK);
    assert_true(p.flags & OT_PKT_L4_TRUNC);
    assert_int_equal(p.payload_len, 8);
    assert_payload_in_frame(t, &p, 50);
    /* Cut only in what follows the UDP length: the datagram is whole. */
    fb_set16(f, 34 + 4, 8 + 4);
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 50, f->len, &p), OT_DECODE_OK);
    assert_false(p.flags & OT_PKT_L4_TRUNC);
    assert_int_equal(p.payload_len, 4);
    free(f);
}

static void test_icmp(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 1, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_icmp(f, 3, 13); /* unreachable, administratively prohibited */
    fb_pattern(f, 28, 0x45);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_int_equal(p.flags, OT_PKT_IPV4 | OT_PKT_ICMP | OT_PKT_HAS_MAC);
    assert_int_equal(p.ip_proto, 1);
    assert_int_equal(p.icmp_type, 3);
    assert_int_equal(p.icmp_code, 13);
    assert_int_equal(p.sp, 3);
    assert_int_equal(p.dp, 13);
    assert_int_equal(p.payload_len, 28);
    assert_int_equal(p.payload[0], 0x45);
    for (uint32_t n = 34; n < 42; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_icmp_truncated);
    }

    fb_reset(f);
    fb_eth(f, 0x86dd);
    ip = fb_ipv6_begin(f, 58, 1, 2);
    fb_icmp(f, 128, 0); /* echo request */
    fb_pattern(f, 56, 0);
    fb_ipv6_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.flags, OT_PKT_IPV6 | OT_PKT_ICMP | OT_PKT_HAS_MAC);
    assert_int_equal(p.ip_proto, 58);
    assert_int_equal(p.sp, 128);
    assert_int_equal(p.dp, 0);
    assert_int_equal(p.icmp_type, 128);
    assert_int_equal(p.payload_len, 56);
    for (uint32_t n = 54; n < 62; n++) {
        assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, n, f->len, &p), OT_DECODE_ERROR);
        assert_only_counter(t, OT_DEC_icmp_truncated);
    }
    free(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tdec_setup, tdec_teardown)
    const struct CMUnitTest tests[] = {
        T(test_tcp), T(test_tcp_bad), T(test_udp), T(test_udp_bad), T(test_icmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
