/*
 * Properties over whole stacks, at every cut:
 *  - a frame cut by the snap length inside a header fails with exactly the
 *    counter of the layer that was cut (the frame's marks, frames.h), and
 *    one cut inside the payload decodes, flagged OT_PKT_L4_TRUNC;
 *  - a frame that simply ends early (headers that lie) fails with exactly
 *    one rejecting counter or decodes;
 *  - random byte mutations never read outside the frame (run under ASan),
 *    and every result keeps the counting rules of decode.h.
 * Every frame is copied into a heap block of exactly its captured length.
 */
#include "frames.h"

typedef void (*build_fn)(struct fb *f, int *dlt);

/* Counters that are events, not rejections (decode.h). */
static bool is_event(int c)
{
    switch (c) {
    case OT_DEC_vlan_too_deep:
    case OT_DEC_other_ip_proto:
    case OT_DEC_ipv4_tso_len:
    case OT_DEC_gre_unsupported:
    case OT_DEC_erspan_unsupported:
    case OT_DEC_frag_overlap:
    case OT_DEC_frag_timeout:
    case OT_DEC_non_ip:
    case OT_DEC_pppoe_not_ip:
        return true;
    }
    return false;
}

/* Changes, since the last decode started, in counters that reject a frame. */
static unsigned rejections(const struct tdec *t, bool table_full_is_event, int *which)
{
    unsigned n = 0;
    *which = -1;
    for (int i = 0; i < OT_DEC__COUNT; i++) {
        if (is_event(i) || (table_full_is_event && i == OT_DEC_frag_table_full))
            continue;
        if (t->d.counters[i] != t->before[i]) {
            n += (unsigned)(t->d.counters[i] - t->before[i]);
            *which = i;
        }
    }
    return n;
}

/* The rules every result keeps, whatever the input. */
static void check_rules(const struct tdec *t, enum ot_decode_result r, const struct ot_packet *p)
{
    int which;
    switch (r) {
    case OT_DECODE_ERROR:
        assert_int_equal(rejections(t, false, &which), 1);
        break;
    case OT_DECODE_SKIP:
        assert_int_equal(rejections(t, false, &which), 0);
        assert_int_equal(t->d.counters[OT_DEC_non_ip] - t->before[OT_DEC_non_ip] +
                             t->d.counters[OT_DEC_pppoe_not_ip] - t->before[OT_DEC_pppoe_not_ip],
                         1);
        break;
    case OT_DECODE_HELD:
        assert_int_equal(rejections(t, true, &which), 0);
        break;
    case OT_DECODE_OK:
        assert_int_equal(rejections(t, true, &which), 0);
        assert_true(p->flags & (OT_PKT_IPV4 | OT_PKT_IPV6));
        assert_true(!(p->flags & OT_PKT_IPV4) != !(p->flags & OT_PKT_IPV6));
        assert_true(p->tunnel_depth <= OT_DECODE_MAX_TUNNEL_DEPTH);
        assert_true(p->vlan_count <= 2);
        assert_true(!(p->flags & OT_PKT_TUNNELLED) == (p->tunnel_depth == 0));
        if (p->payload_len)
            assert_non_null(p->payload);
        if (!(p->flags & OT_PKT_REASSEMBLED) && p->payload)
            assert_payload_in_frame(t, p, t->frame_len);
        if (!(p->flags & OT_PKT_REASSEMBLED)) {
            assert_true(p->l3 >= t->frame && p->l3 + p->l3_caplen <= t->frame + t->frame_len);
            assert_true(p->l3_caplen <= p->ip_len);
        }
        if (p->l3) { /* all of it readable (ASan), the payload inside it */
            unsigned sum = 0;
            for (uint32_t k = 0; k < p->l3_caplen; k++)
                sum += p->l3[k];
            assert_true(sum != 0xffffffffu);
            assert_true(p->payload >= p->l3 && p->payload + p->payload_len <= p->l3 + p->l3_caplen);
        }
        if (p->flags & OT_PKT_HAS_MAC) {
            assert_ptr_equal(p->eth_src, p->eth_dst + 6);
            assert_true(p->eth_dst >= t->frame && p->eth_dst + 12 <= t->frame + t->frame_len);
        }
        break;
    default:
        fail_msg("result %d", r);
    }
}

/* Move the last mark `extra` bytes further. */
static void mark_plus(struct fb *f, int what, uint32_t extra)
{
    fb_mark(f, what);
    f->mark_end[f->nmarks - 1] += extra;
}

static void b_eth_v4_udp(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_v4_udp(f, 20);
}

static void b_eth_v6_tcp(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x86dd);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_v6_tcp(f, 20);
}

static void b_qinq(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x88a8);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_vlan(f, 1, 0x8100);
    fb_vlan(f, 2, 0x0800);
    fb_mark(f, OT_DEC_vlan_truncated);
    fb_v4_udp(f, 10);
}

static void b_sll(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_LINUX_SLL;
    fb_sll(f, 0x0800);
    fb_mark(f, OT_DEC_sll_truncated);
    fb_v4_udp(f, 10);
}

static void b_sll2(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_LINUX_SLL2;
    fb_sll2(f, 0x86dd);
    fb_mark(f, OT_DEC_sll_truncated);
    fb_v6_tcp(f, 10);
}

static void b_null(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_NULL;
    fb_put32(f, 0x02000000); /* AF_INET, little-endian host */
    fb_mark(f, OT_DEC_null_truncated);
    fb_v4_udp(f, 10);
}

static void b_loop(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_LOOP;
    fb_put32(f, 30);
    fb_mark(f, OT_DEC_null_truncated);
    fb_v6_tcp(f, 10);
}

static void b_raw(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_RAW;
    mark_plus(f, OT_DEC_raw_not_ip, 1);
    fb_v4_udp(f, 10);
}

static void b_pppoe(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x8864);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t po = fb_pppoe_begin(f, 0x0021);
    fb_mark(f, OT_DEC_pppoe_truncated);
    fb_v4_udp(f, 10);
    fb_pppoe_end(f, po);
}

static void b_mpls(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x8847);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_mpls(f, 1000, false);
    fb_mpls(f, 2000, true);
    mark_plus(f, OT_DEC_mpls_truncated, 1);
    fb_v6_tcp(f, 10);
}

static void b_mpls_pw(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x8847);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_mpls(f, 1000, true);
    fb_put32(f, 0);
    fb_mark(f, OT_DEC_mpls_truncated);
    fb_eth(f, 0x8100);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_vlan(f, 9, 0x0800);
    fb_mark(f, OT_DEC_vlan_truncated);
    fb_v4_udp(f, 10);
}

static void b_options(struct fb *f, int *dlt)
{
    static const uint8_t opts[8] = {0x94, 4, 0, 0, 1, 1, 1, 0};
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin_opts(f, 6, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2), opts, 8);
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_tcp(f, 1, 2, 3, 4, OT_TH_ACK, 12);
    fb_mark(f, OT_DEC_tcp_truncated);
    fb_pattern(f, 30, 0);
    fb_mark(f, M_OK_TRUNC);
    fb_ipv4_end(f, ip);
}

static void b_v6_ext(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x86dd);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv6_begin(f, 0, 1, 2);
    fb_ipv6_ext(f, 60, 1);
    fb_ipv6_ext(f, 44, 0);
    fb_ipv6_frag(f, 51, 0, false, 99); /* atomic */
    fb_put8(f, 17);                    /* AH */
    fb_put8(f, 1);
    fb_zero(f, 10);
    fb_mark(f, OT_DEC_ipv6_truncated);
    uint32_t u = fb_udp_begin(f, 3, 4);
    fb_mark(f, OT_DEC_udp_truncated);
    fb_pattern(f, 10, 0);
    fb_mark(f, M_OK_TRUNC);
    fb_udp_end(f, u);
    fb_ipv6_end(f, ip);
}

static void b_icmp(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin(f, 1, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2));
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_icmp(f, 8, 0);
    fb_mark(f, OT_DEC_icmp_truncated);
    fb_pattern(f, 30, 0);
    fb_mark(f, M_OK_TRUNC);
    fb_ipv4_end(f, ip);
}

static void b_icmp6(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x86dd);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv6_begin(f, 58, 1, 2);
    fb_mark(f, OT_DEC_ipv6_truncated);
    fb_icmp(f, 135, 0);
    fb_mark(f, OT_DEC_icmp_truncated);
    fb_pattern(f, 20, 0);
    fb_mark(f, M_OK_TRUNC);
    fb_ipv6_end(f, ip);
}

static void b_gre(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin(f, 47, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2));
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_gre(f, 0xb000, 0x0800);
    fb_zero(f, 12);
    fb_mark(f, OT_DEC_gre_truncated);
    fb_v4_udp(f, 10);
    fb_ipv4_end(f, ip);
}

static void b_erspan2(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin(f, 47, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2));
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_gre(f, 0x1000, 0x88be);
    fb_put32(f, 1);
    fb_mark(f, OT_DEC_gre_truncated);
    fb_put32(f, 0x10000001);
    fb_put32(f, 0);
    fb_mark(f, OT_DEC_erspan_truncated);
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_v4_udp(f, 10);
    fb_ipv4_end(f, ip);
}

static void b_erspan3(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin(f, 47, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2));
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_gre(f, 0x1000, 0x22eb);
    fb_put32(f, 1);
    fb_mark(f, OT_DEC_gre_truncated);
    fb_put32(f, 0x20000001);
    fb_put32(f, 0);
    fb_put32(f, 1); /* O: platform sub-header follows */
    fb_zero(f, 8);
    fb_mark(f, OT_DEC_erspan_truncated);
    fb_eth(f, 0x86dd);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_v6_tcp(f, 10);
    fb_ipv4_end(f, ip);
}

static void b_pptp(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin(f, 47, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2));
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_gre(f, 0x3081, 0x880b);
    fb_put16(f, 4 + 28 + 10);
    fb_put16(f, 7);
    fb_put32(f, 1);
    fb_put32(f, 1);
    fb_put32(f, 0xff030021);
    fb_mark(f, OT_DEC_gre_truncated);
    fb_v4_udp(f, 10);
    fb_ipv4_end(f, ip);
}

static void b_vxlan(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin(f, 17, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2));
    fb_mark(f, OT_DEC_ipv4_truncated);
    uint32_t u = fb_udp_begin(f, 5000, 4789);
    fb_mark(f, OT_DEC_udp_truncated);
    fb_vxlan(f, 12);
    fb_mark(f, M_OK_TRUNC); /* too short for VXLAN: a cut UDP packet */
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_vxlan_truncated);
    uint32_t ip2 = fb_ipv4_begin(f, 6, IP4(3, 3, 3, 3), IP4(4, 4, 4, 4));
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_tcp(f, 1, 2, 3, 4, OT_TH_SYN, 0);
    fb_mark(f, OT_DEC_tcp_truncated);
    fb_pattern(f, 10, 0);
    fb_mark(f, M_OK_TRUNC);
    fb_ipv4_end(f, ip2);
    fb_udp_end(f, u);
    fb_ipv4_end(f, ip);
}

static void b_4in6(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x86dd);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv6_begin(f, 4, 1, 2);
    fb_mark(f, OT_DEC_ipv6_truncated);
    fb_v4_udp(f, 10);
    fb_ipv6_end(f, ip);
}

static void b_padding(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_v4_udp(f, 1);
    fb_zero(f, 15);
    fb_mark(f, M_OK);
}

static void b_fabricpath(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_zero(f, 12);
    fb_put16(f, 0x8903);
    fb_put16(f, 0);
    fb_eth(f, 0x86dd);
    fb_mark(f, OT_DEC_ethernet_truncated);
    fb_v6_tcp(f, 10);
}

static void b_ah4(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin(f, 51, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2));
    fb_put8(f, 17);
    fb_put8(f, 2);
    fb_zero(f, 14);
    fb_mark(f, OT_DEC_ipv4_truncated);
    uint32_t u = fb_udp_begin(f, 1, 2);
    fb_mark(f, OT_DEC_udp_truncated);
    fb_pattern(f, 10, 0);
    fb_mark(f, M_OK_TRUNC);
    fb_udp_end(f, u);
    fb_ipv4_end(f, ip);
}

static void b_esp(struct fb *f, int *dlt)
{
    *dlt = OT_DLT_EN10MB;
    fb_eth(f, 0x0800);
    fb_mark(f, OT_DEC_ethernet_truncated);
    uint32_t ip = fb_ipv4_begin(f, 50, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2));
    fb_mark(f, OT_DEC_ipv4_truncated);
    fb_pattern(f, 40, 0);
    fb_mark(f, M_OK_TRUNC);
    fb_ipv4_end(f, ip);
}

static const build_fn builders[] = {
    b_eth_v4_udp, b_eth_v6_tcp, b_qinq,       b_sll,     b_sll2,    b_null,   b_loop,
    b_raw,        b_pppoe,      b_mpls,       b_mpls_pw, b_options, b_v6_ext, b_icmp,
    b_icmp6,      b_gre,        b_erspan2,    b_erspan3, b_pptp,    b_vxlan,  b_4in6,
    b_padding,    b_esp,        b_fabricpath, b_ah4,
};

static int expected_at(const struct fb *f, uint32_t cut)
{
    for (uint32_t i = 0; i < f->nmarks; i++)
        if (cut < f->mark_end[i])
            return f->mark_what[i];
    return M_OK;
}

static void test_snaplen_cuts(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    for (size_t b = 0; b < sizeof(builders) / sizeof(builders[0]); b++) {
        int dlt;
        fb_reset(f);
        builders[b](f, &dlt);
        for (uint32_t cut = 0; cut <= f->len; cut++) {
            int want = expected_at(f, cut);
            enum ot_decode_result r = tdec_cut(t, dlt, f, cut, f->len, &p);
            check_rules(t, r, &p);
            if (want >= 0) {
                int which;
                if (r != OT_DECODE_ERROR || (rejections(t, false, &which), which != want))
                    fail_msg("frame %zu cut %u: want %s, got result %d", b, cut,
                             ot_decode_counter_names[want], r);
            } else {
                if (r != OT_DECODE_OK)
                    fail_msg("frame %zu cut %u: want OK, got %d", b, cut, r);
                if (want == M_OK_TRUNC && cut < f->len)
                    assert_true(p.flags & OT_PKT_L4_TRUNC);
                else
                    assert_false(p.flags & OT_PKT_L4_TRUNC);
            }
        }
    }
    free(f);
}

static void test_short_frames(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new();
    struct ot_packet p;
    for (size_t b = 0; b < sizeof(builders) / sizeof(builders[0]); b++) {
        int dlt;
        fb_reset(f);
        builders[b](f, &dlt);
        for (uint32_t cut = 0; cut <= f->len; cut++) {
            enum ot_decode_result r = tdec_cut(t, dlt, f, cut, cut, &p);
            check_rules(t, r, &p);
            if (r == OT_DECODE_OK)
                assert_false(p.flags & OT_PKT_L4_TRUNC);
        }
    }
    free(f);
}

/* xorshift: deterministic mutations. */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_mutations(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *m = fb_new();
    struct ot_packet p;
    uint32_t seed = 0x12345678;
    unsigned results[4] = {0};
    for (size_t b = 0; b < sizeof(builders) / sizeof(builders[0]); b++) {
        int dlt;
        fb_reset(f);
        builders[b](f, &dlt);
        for (int i = 0; i < 3000; i++) {
            fb_reset(m);
            fb_putn(m, f->b, f->len);
            unsigned flips = 1 + rnd(&seed) % 4;
            for (unsigned k = 0; k < flips; k++) {
                uint32_t at = rnd(&seed) % m->len;
                m->b[at] = (rnd(&seed) & 1) ? (uint8_t)rnd(&seed) : (uint8_t)(m->b[at] ^ 0xff);
            }
            uint32_t cut = (rnd(&seed) & 3) ? m->len : rnd(&seed) % (m->len + 1);
            uint32_t wire = (rnd(&seed) & 1) ? m->len : cut;
            t->ts_us += rnd(&seed) % 2000000;
            enum ot_decode_result r = tdec_cut(t, dlt, m, cut, wire, &p);
            check_rules(t, r, &p);
            results[r]++;
            if (r == OT_DECODE_OK) { /* touch every byte: ASan checks it */
                unsigned sum = 0;
                for (uint32_t k = 0; k < p.payload_len; k++)
                    sum += p.payload[k];
                results[0] += sum == 0xffffffffu;
            }
        }
    }
    /* The mix is not degenerate. */
    assert_true(results[OT_DECODE_OK] > 1000);
    assert_true(results[OT_DECODE_ERROR] > 1000);
    assert_true(results[OT_DECODE_SKIP] > 10);
    free(m);
    free(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tdec_setup, tdec_teardown)
    const struct CMUnitTest tests[] = {
        T(test_snaplen_cuts),
        T(test_short_frames),
        T(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
