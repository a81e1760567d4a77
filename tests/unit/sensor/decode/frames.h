/*
 * Frame building for the decoder tests: every frame is written byte by byte
 * here, header by header, so a test reads as the stack it builds.
 *
 *   struct fb f; fb_reset(&f);
 *   fb_eth(&f, 0x0800);
 *   uint32_t ip = fb_ipv4_begin(&f, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
 *   fb_tcp(&f, 1234, 80, 1, 0, OT_TH_SYN, 0);
 *   fb_ipv4_end(&f, ip);
 *
 * fb_mark() records, after a header, which counter a frame cut before that
 * point must increment (the truncation tests walk every cut).  tdec()
 * decodes a copy of the frame in a heap block of exactly the captured
 * length, so AddressSanitizer sees any read past it.
 */
#ifndef OT_TEST_DECODE_FRAMES_H
#define OT_TEST_DECODE_FRAMES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"

#define FB_MAX     70000
#define FB_MARKS   32
#define M_OK_TRUNC (-1) /* cut here: OK, payload cut (OT_PKT_L4_TRUNC) */
#define M_OK       (-2) /* cut here: OK, packet complete (padding) */

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct fb {
    uint32_t len;
    uint32_t nmarks;
    uint32_t mark_end[FB_MARKS];
    int mark_what[FB_MARKS];
    uint8_t b[FB_MAX];
};

static const uint8_t fb_mac_src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t fb_mac_dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

static inline struct fb *fb_new(void)
{
    struct fb *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    return f;
}

static inline void fb_reset(struct fb *f)
{
    f->len = 0;
    f->nmarks = 0;
}

static inline void fb_put8(struct fb *f, uint32_t v)
{
    assert_true(f->len + 1 <= FB_MAX);
    f->b[f->len++] = (uint8_t)v;
}

static inline void fb_put16(struct fb *f, uint32_t v)
{
    fb_put8(f, v >> 8);
    fb_put8(f, v);
}

static inline void fb_put32(struct fb *f, uint32_t v)
{
    fb_put16(f, v >> 16);
    fb_put16(f, v);
}

static inline void fb_putn(struct fb *f, const void *p, uint32_t n)
{
    assert_true(f->len + n <= FB_MAX);
    memcpy(f->b + f->len, p, n);
    f->len += n;
}

static inline void fb_zero(struct fb *f, uint32_t n)
{
    assert_true(f->len + n <= FB_MAX);
    memset(f->b + f->len, 0, n);
    f->len += n;
}

/* n payload bytes: seed, seed + 1, ... */
static inline void fb_pattern(struct fb *f, uint32_t n, uint8_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        fb_put8(f, (uint8_t)(seed + i));
}

static inline void fb_set16(struct fb *f, uint32_t off, uint32_t v)
{
    f->b[off] = (uint8_t)(v >> 8);
    f->b[off + 1] = (uint8_t)v;
}

static inline void fb_mark(struct fb *f, int what)
{
    assert_true(f->nmarks < FB_MARKS);
    f->mark_end[f->nmarks] = f->len;
    f->mark_what[f->nmarks] = what;
    f->nmarks++;
}

/* ---- link layers ---- */

static inline void fb_eth(struct fb *f, uint16_t type)
{
    fb_putn(f, fb_mac_dst, 6);
    fb_putn(f, fb_mac_src, 6);
    fb_put16(f, type);
}

static inline void fb_vlan(struct fb *f, uint16_t id, uint16_t next_type)
{
    fb_put16(f, 0x2000 | id); /* priority 1 */
    fb_put16(f, next_type);
}

static inline void fb_sll(struct fb *f, uint16_t proto)
{
    fb_put16(f, 0); /* packet type: to us */
    fb_put16(f, 1); /* ARPHRD_ETHER */
    fb_put16(f, 6); /* address length */
    fb_putn(f, fb_mac_src, 6);
    fb_zero(f, 2);
    fb_put16(f, proto);
}

static inline void fb_sll2(struct fb *f, uint16_t proto)
{
    fb_put16(f, proto);
    fb_put16(f, 0); /* reserved */
    fb_put32(f, 3); /* interface index */
    fb_put16(f, 1); /* ARPHRD_ETHER */
    fb_put8(f, 0);  /* packet type */
    fb_put8(f, 6);  /* address length */
    fb_putn(f, fb_mac_src, 6);
    fb_zero(f, 2);
}

/* ---- IPv4 ---- */

static inline uint32_t fb_ipv4_begin_opts(struct fb *f, uint8_t proto, uint32_t src, uint32_t dst,
                                          const uint8_t *opts, uint32_t optlen)
{
    assert_int_equal(optlen % 4, 0);
    uint32_t off = f->len;
    fb_put8(f, 0x40 | (5 + optlen / 4));
    fb_put8(f, 0);
    fb_put16(f, 0); /* total length: fb_ipv4_end */
    fb_put16(f, 0x1234);
    fb_put16(f, 0);
    fb_put8(f, 64);
    fb_put8(f, proto);
    fb_put16(f, 0);
    fb_put32(f, src);
    fb_put32(f, dst);
    if (optlen)
        fb_putn(f, opts, optlen);
    return off;
}

static inline uint32_t fb_ipv4_begin(struct fb *f, uint8_t proto, uint32_t src, uint32_t dst)
{
    return fb_ipv4_begin_opts(f, proto, src, dst, NULL, 0);
}

static inline void fb_ipv4_end(struct fb *f, uint32_t off)
{
    fb_set16(f, off + 2, f->len - off);
    uint32_t hl = (f->b[off] & 0x0f) * 4u, sum = 0;
    f->b[off + 10] = f->b[off + 11] = 0;
    for (uint32_t i = 0; i < hl; i += 2)
        sum += (uint32_t)(f->b[off + i] << 8 | f->b[off + i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    fb_set16(f, off + 10, ~sum & 0xffff);
}

/* ---- IPv6 ---- */

static inline void fb_addr6(uint8_t out[16], uint8_t last)
{
    static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8};
    memcpy(out, base, 16);
    out[15] = last;
}

static inline uint32_t fb_ipv6_begin(struct fb *f, uint8_t nh, uint8_t src_last, uint8_t dst_last)
{
    uint32_t off = f->len;
    uint8_t a[16];
    fb_put32(f, 0x60000000);
    fb_put16(f, 0); /* payload length: fb_ipv6_end */
    fb_put8(f, nh);
    fb_put8(f, 64);
    fb_addr6(a, src_last);
    fb_putn(f, a, 16);
    fb_addr6(a, dst_last);
    fb_putn(f, a, 16);
    return off;
}

static inline void fb_ipv6_end(struct fb *f, uint32_t off)
{
    fb_set16(f, off + 4, f->len - off - 40);
}

/* A hop-by-hop, routing or destination-options header of 8 * (units + 1) bytes. */
static inline void fb_ipv6_ext(struct fb *f, uint8_t nh, uint8_t units)
{
    fb_put8(f, nh);
    fb_put8(f, units);
    fb_zero(f, 6 + 8u * units); /* Pad1 options */
}

static inline void fb_ipv6_frag(struct fb *f, uint8_t nh, uint32_t offset, bool more, uint32_t id)
{
    fb_put8(f, nh);
    fb_put8(f, 0);
    fb_put16(f, (offset & 0xfff8) | (more ? 1 : 0));
    fb_put32(f, id);
}

/* ---- transport ---- */

static inline void fb_tcp(struct fb *f, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
                          uint8_t flags, uint32_t optlen)
{
    assert_int_equal(optlen % 4, 0);
    fb_put16(f, sp);
    fb_put16(f, dp);
    fb_put32(f, seq);
    fb_put32(f, ack);
    fb_put8(f, (uint8_t)((5 + optlen / 4) << 4));
    fb_put8(f, flags);
    fb_put16(f, 65535);
    fb_put16(f, 0);
    fb_put16(f, 0);
    for (uint32_t i = 0; i < optlen; i++)
        fb_put8(f, 1); /* NOP */
}

static inline uint32_t fb_udp_begin(struct fb *f, uint16_t sp, uint16_t dp)
{
    uint32_t off = f->len;
    fb_put16(f, sp);
    fb_put16(f, dp);
    fb_put16(f, 0);
    fb_put16(f, 0);
    return off;
}

static inline void fb_udp_end(struct fb *f, uint32_t off)
{
    fb_set16(f, off + 4, f->len - off);
}

static inline void fb_icmp(struct fb *f, uint8_t type, uint8_t code)
{
    fb_put8(f, type);
    fb_put8(f, code);
    fb_put16(f, 0);
    fb_put32(f, 0x00010002);
}

/* ---- between link and IP, tunnels ---- */

static inline uint32_t fb_pppoe_begin(struct fb *f, uint16_t ppp_proto)
{
    uint32_t off = f->len;
    fb_put8(f, 0x11);
    fb_put8(f, 0);
    fb_put16(f, 0x0042); /* session id */
    fb_put16(f, 0);      /* length: fb_pppoe_end */
    fb_put16(f, ppp_proto);
    return off;
}

static inline void fb_pppoe_end(struct fb *f, uint32_t off)
{
    fb_set16(f, off + 4, f->len - off - 6);
}

static inline void fb_mpls(struct fb *f, uint32_t label, bool bottom)
{
    fb_put32(f, label << 12 | (bottom ? 0x100u : 0) | 64);
}

static inline void fb_gre(struct fb *f, uint16_t flags, uint16_t proto)
{
    fb_put16(f, flags);
    fb_put16(f, proto);
}

static inline void fb_vxlan(struct fb *f, uint32_t vni)
{
    fb_put32(f, 0x08000000);
    fb_put32(f, vni << 8);
}

static inline uint32_t ip4_of(const struct ot_addr *a)
{
    return (uint32_t)a->u.b[0] << 24 | (uint32_t)a->u.b[1] << 16 | (uint32_t)a->u.b[2] << 8 |
           a->u.b[3];
}

/* ---- whole packets, with their truncation marks ---- */

/* IPv4 10.0.0.1:1000 -> 10.0.0.2:2000 UDP with n payload bytes (pattern from 0x40). */
static inline void fb_v4_udp(struct fb *f, uint32_t n)
{
    uint32_t ip = fb_ipv4_begin(f, 17, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
    fb_mark(f, OT_DEC_ipv4_truncated);
    uint32_t u = fb_udp_begin(f, 1000, 2000);
    fb_mark(f, OT_DEC_udp_truncated);
    fb_pattern(f, n, 0x40);
    fb_mark(f, M_OK_TRUNC);
    fb_udp_end(f, u);
    fb_ipv4_end(f, ip);
}

/* IPv6 2001:db8::1:1000 -> 2001:db8::2:443 TCP SYN with n payload bytes (pattern from 0x60). */
static inline void fb_v6_tcp(struct fb *f, uint32_t n)
{
    uint32_t ip = fb_ipv6_begin(f, 6, 1, 2);
    fb_mark(f, OT_DEC_ipv6_truncated);
    fb_tcp(f, 1000, 443, 100, 0, OT_TH_SYN, 0);
    fb_mark(f, OT_DEC_tcp_truncated);
    fb_pattern(f, n, 0x60);
    fb_mark(f, M_OK_TRUNC);
    fb_ipv6_end(f, ip);
}

/* p describes fb_v4_udp(n). */
static inline void assert_v4_udp(const struct ot_packet *p, uint32_t n)
{
    assert_true(p->flags & OT_PKT_IPV4);
    assert_true(p->flags & OT_PKT_UDP);
    assert_false(p->flags & (OT_PKT_IPV6 | OT_PKT_TCP | OT_PKT_ICMP));
    assert_int_equal(ip4_of(&p->src), IP4(10, 0, 0, 1));
    assert_int_equal(ip4_of(&p->dst), IP4(10, 0, 0, 2));
    assert_int_equal(p->ip_proto, 17);
    assert_int_equal(p->ip_len, 28 + n);
    assert_int_equal(p->sp, 1000);
    assert_int_equal(p->dp, 2000);
    assert_int_equal(p->payload_len, n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(p->payload[i], (uint8_t)(0x40 + i));
}

/* p describes fb_v6_tcp(n). */
static inline void assert_v6_tcp(const struct ot_packet *p, uint32_t n)
{
    uint8_t a[16];
    assert_true(p->flags & OT_PKT_IPV6);
    assert_true(p->flags & OT_PKT_TCP);
    assert_false(p->flags & (OT_PKT_IPV4 | OT_PKT_UDP | OT_PKT_ICMP));
    fb_addr6(a, 1);
    assert_memory_equal(p->src.u.b, a, 16);
    fb_addr6(a, 2);
    assert_memory_equal(p->dst.u.b, a, 16);
    assert_int_equal(p->ip_proto, 6);
    assert_int_equal(p->ip_len, 60 + n);
    assert_int_equal(p->sp, 1000);
    assert_int_equal(p->dp, 443);
    assert_int_equal(p->tcp_flags, OT_TH_SYN);
    assert_int_equal(p->tcp_seq, 100);
    assert_int_equal(p->payload_len, n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(p->payload[i], (uint8_t)(0x60 + i));
}

/* ---- decoding ---- */

struct tdec {
    struct ot_decoder d;
    uint8_t *frame; /* the last frame decoded, kept until the next one */
    uint32_t frame_len;
    uint64_t ts_us;
    uint64_t before[OT_DEC__COUNT];
};

static inline int tdec_setup_cfg(void **state, const struct ot_decode_config *cfg)
{
    struct tdec *t = calloc(1, sizeof(*t));
    if (!t || ot_decoder_init(&t->d, cfg) != 0)
        return -1;
    t->ts_us = 1700000000000000ull;
    *state = t;
    return 0;
}

static inline int tdec_setup(void **state)
{
    return tdec_setup_cfg(state, NULL);
}

static inline int tdec_teardown(void **state)
{
    struct tdec *t = *state;
    ot_decoder_free(&t->d);
    free(t->frame);
    free(t);
    return 0;
}

/* Decode the first `caplen` bytes of f, which had `wirelen` on the wire. */
static inline enum ot_decode_result tdec_cut(struct tdec *t, int dlt, const struct fb *f,
                                             uint32_t caplen, uint32_t wirelen, struct ot_packet *p)
{
    free(t->frame);
    t->frame = malloc(caplen ? caplen : 1);
    assert_non_null(t->frame);
    memcpy(t->frame, f->b, caplen);
    t->frame_len = caplen;
    memcpy(t->before, t->d.counters, sizeof(t->before));
    memset(p, 0xa5, sizeof(*p)); /* "fully overwritten": garbage must not survive */
    return ot_decode(&t->d, dlt, t->frame, caplen, wirelen, t->ts_us, p);
}

static inline enum ot_decode_result tdec(struct tdec *t, int dlt, const struct fb *f,
                                         struct ot_packet *p)
{
    return tdec_cut(t, dlt, f, f->len, f->len, p);
}

/* Counters changed by the last decode: how many, and the first. */
static inline unsigned tdec_changed(const struct tdec *t, int *first)
{
    unsigned n = 0;
    *first = -1;
    for (int i = 0; i < OT_DEC__COUNT; i++) {
        if (t->d.counters[i] != t->before[i]) {
            n += (unsigned)(t->d.counters[i] - t->before[i]);
            if (*first < 0)
                *first = i;
        }
    }
    return n;
}

/* The last decode incremented exactly counter c, once (c < 0: nothing). */
#define assert_only_counter(t, c)                                                                  \
    do {                                                                                           \
        int first_;                                                                                \
        unsigned n_ = tdec_changed((t), &first_);                                                  \
        if ((int)(c) < 0) {                                                                        \
            if (n_ != 0)                                                                           \
                fail_msg("unexpected counter %s", ot_decode_counter_names[first_]);                \
        } else if (n_ != 1 || first_ != (int)(c)) {                                                \
            fail_msg("expected only %s, got %u change(s), first %s",                               \
                     ot_decode_counter_names[(int)(c)], n_,                                        \
                     first_ >= 0 ? ot_decode_counter_names[first_] : "none");                      \
        }                                                                                          \
    } while (0)

#define assert_no_counter(t) assert_only_counter((t), -1)

/* p->payload lies inside the frame last decoded. */
static inline void assert_payload_in_frame(const struct tdec *t, const struct ot_packet *p,
                                           uint32_t caplen)
{
    assert_true(p->payload >= t->frame);
    assert_true(p->payload + p->payload_len <= t->frame + caplen);
}

#endif
