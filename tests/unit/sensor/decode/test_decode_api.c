/*
 * The decoder's public surface: counter names, configuration, set-up and
 * tear-down, link types, address formatting, and "p is fully overwritten".
 */
#include "frames.h"

#include "otasuke/error.h"

static void test_counter_names(void **state)
{
    (void)state;
    for (int i = 0; i < OT_DEC__COUNT; i++) {
        assert_non_null(ot_decode_counter_names[i]);
        assert_true(strlen(ot_decode_counter_names[i]) > 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ot_decode_counter_names[i], ot_decode_counter_names[j]);
    }
    assert_string_equal(ot_decode_counter_names[OT_DEC_non_ip], "non_ip");
    assert_string_equal(ot_decode_counter_names[OT_DEC_frag_overlap], "frag_overlap");
}

static void test_config(void **state)
{
    (void)state;
    struct ot_decode_config cfg;
    ot_decode_config_defaults(&cfg);
    assert_int_equal(cfg.frag_max_datagrams, 1024);
    assert_int_equal(cfg.frag_max_bytes, 8u << 20);
    assert_int_equal(cfg.frag_timeout_us, 30000000u);

    struct ot_decoder d;
    assert_int_equal(ot_decoder_init(&d, &cfg), 0);
    for (int i = 0; i < OT_DEC__COUNT; i++)
        assert_int_equal(d.counters[i], 0);
    ot_decoder_free(&d);
    ot_decoder_free(&d); /* twice is harmless */

    assert_int_equal(ot_decoder_init(&d, NULL), 0); /* defaults */
    assert_int_equal(d.cfg.frag_max_datagrams, 1024);
    ot_decoder_free(&d);

    struct ot_decode_config bad = cfg;
    bad.frag_max_datagrams = 0;
    assert_int_equal(ot_decoder_init(&d, &bad), OT_EINVAL);
    ot_decoder_free(&d);
    bad = cfg;
    bad.frag_max_bytes = 0;
    assert_int_equal(ot_decoder_init(&d, &bad), OT_EINVAL);
    ot_decoder_free(&d);
    bad = cfg;
    bad.frag_timeout_us = 0;
    assert_int_equal(ot_decoder_init(&d, &bad), OT_EINVAL);
    ot_decoder_free(&d);

    /* A large table costs address space only until used. */
    bad = cfg;
    bad.frag_max_datagrams = 1u << 22;
    assert_int_equal(ot_decoder_init(&d, &bad), 0);
    ot_decoder_free(&d);
}

static void test_linktypes(void **state)
{
    (void)state;
    const int yes[] = {OT_DLT_NULL,      OT_DLT_EN10MB, OT_DLT_RAW,  OT_DLT_RAW_ALT,   OT_DLT_LOOP,
                       OT_DLT_LINUX_SLL, OT_DLT_IPV4,   OT_DLT_IPV6, OT_DLT_LINUX_SLL2};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(ot_decode_linktype_supported(yes[i]));
    assert_false(ot_decode_linktype_supported(105)); /* 802.11 */
    assert_false(ot_decode_linktype_supported(127)); /* radiotap */
    assert_false(ot_decode_linktype_supported(-1));
}

static void test_unsupported_linktype(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    fb_pattern(f, 60, 0);
    struct ot_packet p;
    assert_int_equal(tdec(t, 105, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_unsupported_linktype);
    free(f);
}

static void test_addr_fmt(void **state)
{
    (void)state;
    struct ot_addr a;
    char buf[46];
    memset(&a, 0, sizeof(a));
    a.u.b[0] = 192;
    a.u.b[1] = 168;
    a.u.b[2] = 1;
    a.u.b[3] = 200;
    assert_int_equal(ot_addr_fmt(&a, false, buf), strlen("192.168.1.200"));
    assert_string_equal(buf, "192.168.1.200");
    fb_addr6(a.u.b, 0x5);
    assert_int_equal(ot_addr_fmt(&a, true, buf), strlen("2001:db8::5"));
    assert_string_equal(buf, "2001:db8::5");
    memset(a.u.b, 0xff, 16);
    assert_int_equal(ot_addr_fmt(&a, true, buf), 39);
    assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* Fields a path does not set must not keep what the caller's struct held. */
static void test_packet_overwritten(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 17, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    uint32_t u = fb_udp_begin(f, 53, 5353);
    fb_pattern(f, 10, 1);
    fb_udp_end(f, u);
    fb_ipv4_end(f, ip);

    struct ot_packet p;
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.ts_us, t->ts_us);
    assert_int_equal(p.caplen, f->len);
    assert_int_equal(p.wirelen, f->len);
    assert_int_equal(p.flags, OT_PKT_IPV4 | OT_PKT_UDP | OT_PKT_HAS_MAC);
    assert_int_equal(p.vlan[0], 0);
    assert_int_equal(p.vlan[1], 0);
    assert_int_equal(p.vlan_count, 0);
    assert_int_equal(p.tunnel_depth, 0);
    for (int i = 4; i < 16; i++) {
        assert_int_equal(p.src.u.b[i], 0);
        assert_int_equal(p.dst.u.b[i], 0);
    }
    assert_int_equal(p.tcp_flags, 0);
    assert_int_equal(p.tcp_seq, 0);
    assert_int_equal(p.tcp_ack, 0);
    assert_int_equal(p.tcp_win, 0);
    assert_int_equal(p.icmp_type, 0);
    assert_int_equal(p.icmp_code, 0);
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.ip_len, 38);
    assert_int_equal(p.payload_len, 10);
    assert_no_counter(t);

    /* A skipped frame still leaves a clean packet. */
    fb_reset(f);
    fb_eth(f, 0x0806);
    fb_zero(f, 28);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_SKIP);
    assert_int_equal(p.flags & ~OT_PKT_HAS_MAC, 0);
    assert_int_equal(p.payload_len, 0);
    assert_null(p.payload);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_names),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_linktypes),
        cmocka_unit_test_setup_teardown(test_unsupported_linktype, tdec_setup, tdec_teardown),
        cmocka_unit_test(test_addr_fmt),
        cmocka_unit_test_setup_teardown(test_packet_overwritten, tdec_setup, tdec_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
