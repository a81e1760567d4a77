/*
 * IPv4 and IPv6 fragment reassembly: in order, out of order, overlapping
 * (first wins), timeout, the table and byte bounds, malformed fragments,
 * fragments inside and around tunnels, and every datagram given up reported
 * (on_lost) with its addresses.
 */
#include "frames.h"

#include "decode/decode-internal.h" /* to look at the table's occupancy */

#define SRC IP4(10, 1, 0, 1)
#define DST IP4(10, 1, 0, 2)

/* A UDP datagram (header + n bytes from `seed`) as the transport part of an IP datagram. */
static void udp_dgram(struct fb *dg, uint32_t n, uint8_t seed)
{
    fb_reset(dg);
    uint32_t u = fb_udp_begin(dg, 7000, 8000);
    fb_pattern(dg, n, seed);
    fb_udp_end(dg, u);
}

/* Ethernet + IPv4 fragment of dg: bytes [off, off + n). */
static void v4_frag(struct fb *f, const struct fb *dg, uint32_t off, uint32_t n, bool more,
                    uint16_t id)
{
    fb_reset(f);
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 17, SRC, DST);
    fb_set16(f, ip + 4, id);
    fb_set16(f, ip + 6, (more ? 0x2000 : 0) | (off / 8));
    fb_putn(f, dg->b + off, n);
    fb_ipv4_end(f, ip);
}

static enum ot_decode_result send_v4(struct tdec *t, struct fb *f, const struct fb *dg,
                                     uint32_t off, uint32_t n, bool more, uint16_t id,
                                     struct ot_packet *p)
{
    v4_frag(f, dg, off, n, more, id);
    return tdec(t, OT_DLT_EN10MB, f, p);
}

/* The whole IPv4 datagram the fragments of dg (id) came from, as one packet. */
static void v4_whole(struct fb *w, const struct fb *dg, uint16_t id)
{
    fb_reset(w);
    uint32_t ip = fb_ipv4_begin(w, 17, SRC, DST);
    fb_set16(w, ip + 4, id);
    fb_putn(w, dg->b, dg->len);
    fb_ipv4_end(w, ip);
}

/* p->l3 holds exactly w. */
static void assert_l3(const struct ot_packet *p, const struct fb *w)
{
    assert_non_null(p->l3);
    assert_int_equal(p->l3_caplen, w->len);
    assert_int_equal(p->ip_len, w->len);
    assert_memory_equal(p->l3, w->b, w->len);
    assert_ptr_equal(p->payload, p->l3 + p->l3_caplen - p->payload_len);
}

/* p is the reassembled UDP datagram dg. */
static void assert_reassembled(const struct tdec *t, const struct ot_packet *p, const struct fb *dg,
                               uint32_t hdr_len)
{
    assert_true(p->flags & OT_PKT_REASSEMBLED);
    assert_true(p->flags & OT_PKT_UDP);
    assert_false(p->flags & OT_PKT_L4_TRUNC);
    assert_int_equal(p->sp, 7000);
    assert_int_equal(p->dp, 8000);
    assert_int_equal(p->ip_proto, 17);
    assert_int_equal(p->ip_len, hdr_len + dg->len);
    assert_int_equal(p->payload_len, dg->len - 8);
    assert_memory_equal(p->payload, dg->b + 8, dg->len - 8);
    /* The datagram lives in the decoder's memory, not in the last frame. */
    assert_true(p->payload + p->payload_len <= t->frame || p->payload >= t->frame + t->frame_len);
}

static void test_v4_in_order(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 100, 0); /* 108 bytes */
    assert_int_equal(send_v4(t, f, dg, 0, 40, true, 1, &p), OT_DECODE_HELD);
    assert_no_counter(t);
    assert_true(p.flags & OT_PKT_IPV4);
    assert_int_equal(p.ip_proto, 17);
    assert_int_equal(send_v4(t, f, dg, 40, 40, true, 1, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 80, 28, false, 1, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_reassembled(t, &p, dg, 20);
    assert_int_equal(ip4_of(&p.src), SRC);
    struct fb *w = fb_new();
    v4_whole(w, dg, 1);
    assert_l3(&p, w); /* length, flags and checksum rewritten */
    free(w);
    assert_int_equal(t->d.defrag->used, 0);
    assert_int_equal(t->d.defrag->bytes, 0);

    /* The next call releases the datagram; the table is empty again. */
    fb_reset(f);
    fb_eth(f, 0x0800);
    fb_v4_udp(f, 1);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(t->d.defrag->ndone, 0);
    free(f);
    free(dg);
}

static void test_v4_out_of_order(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 3000, 9);
    /* Last, then the middle pieces backwards, the first last of all. */
    assert_int_equal(send_v4(t, f, dg, 2400, dg->len - 2400, false, 2, &p), OT_DECODE_HELD);
    for (uint32_t off = 1600; off > 0; off -= 800)
        assert_int_equal(send_v4(t, f, dg, off, 800, true, 2, &p), OT_DECODE_HELD);
    assert_int_equal(t->d.defrag->used, 1);
    assert_int_equal(send_v4(t, f, dg, 0, 800, true, 2, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_reassembled(t, &p, dg, 20);

    /* Interleaved with another datagram of another id. */
    struct fb *dg2 = fb_new();
    udp_dgram(dg2, 50, 0x80);
    assert_int_equal(send_v4(t, f, dg, 800, 800, true, 3, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg2, 24, dg2->len - 24, false, 4, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 0, 800, true, 3, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg2, 0, 24, true, 4, &p), OT_DECODE_OK);
    assert_reassembled(t, &p, dg2, 20);
    assert_int_equal(send_v4(t, f, dg, 1600, dg->len - 1600, false, 3, &p), OT_DECODE_OK);
    assert_reassembled(t, &p, dg, 20);
    assert_no_counter(t);
    free(dg2);
    free(f);
    free(dg);
}

/* Overlaps keep the bytes that arrived first, and are counted. */
static void test_v4_overlap(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new(), *other = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 56, 0x10);    /* 64 bytes */
    udp_dgram(other, 56, 0xa0); /* same length, other bytes */

    assert_int_equal(send_v4(t, f, dg, 0, 32, true, 5, &p), OT_DECODE_HELD);
    assert_no_counter(t);
    /* [16, 48) from the other datagram: 16..32 overlaps and must lose. */
    assert_int_equal(send_v4(t, f, other, 16, 32, true, 5, &p), OT_DECODE_HELD);
    assert_only_counter(t, OT_DEC_frag_overlap);
    /* An exact duplicate of held bytes. */
    assert_int_equal(send_v4(t, f, other, 0, 8, true, 5, &p), OT_DECODE_HELD);
    assert_only_counter(t, OT_DEC_frag_overlap);
    /* The last piece overlaps [40, 48) too. */
    assert_int_equal(send_v4(t, f, dg, 40, 24, false, 5, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_frag_overlap);

    struct fb *want = fb_new();
    fb_reset(want);
    fb_putn(want, dg->b, 32);
    fb_putn(want, other->b + 32, 16);
    fb_putn(want, dg->b + 48, 16);
    assert_memory_equal(p.payload, want->b + 8, 56);
    assert_int_equal(p.payload_len, 56);

    /* A fragment that fills a hole and covers held data on both sides. */
    assert_int_equal(send_v4(t, f, dg, 0, 16, true, 6, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 32, 8, true, 6, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 48, 16, false, 6, &p), OT_DECODE_HELD);
    assert_no_counter(t);
    assert_int_equal(send_v4(t, f, other, 8, 48, true, 6, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_frag_overlap);
    fb_reset(want);
    fb_putn(want, dg->b, 16);
    fb_putn(want, other->b + 16, 16);
    fb_putn(want, dg->b + 32, 8);
    fb_putn(want, other->b + 40, 8);
    fb_putn(want, dg->b + 48, 16);
    assert_memory_equal(p.payload, want->b + 8, 56);
    free(want);
    free(other);
    free(f);
    free(dg);
}

static void test_v4_timeout(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 40, 0);
    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 7, &p), OT_DECODE_HELD);
    t->ts_us += 29000000; /* within 30 s */
    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 8, &p), OT_DECODE_HELD);
    t->ts_us += 2000000; /* 31 s after the first */
    assert_int_equal(send_v4(t, f, dg, 24, 24, false, 7, &p), OT_DECODE_HELD);
    assert_only_counter(t, OT_DEC_frag_timeout);
    assert_int_equal(t->d.defrag->used, 2); /* id 8, and a new id 7 */
    /* The later datagram is still whole-able. */
    assert_int_equal(send_v4(t, f, dg, 24, 24, false, 8, &p), OT_DECODE_OK);
    assert_reassembled(t, &p, dg, 20);
    /* Packet time running backwards expires nothing. */
    t->ts_us -= 100000000;
    assert_int_equal(send_v4(t, f, dg, 0, 8, true, 9, &p), OT_DECODE_HELD);
    assert_no_counter(t);
    free(f);
    free(dg);
}

static int setup_small(void **state)
{
    struct ot_decode_config cfg;
    ot_decode_config_defaults(&cfg);
    cfg.frag_max_datagrams = 4;
    cfg.frag_max_bytes = 3 * (8192 + 1024);
    return tdec_setup_cfg(state, &cfg);
}

/* Full table: the oldest datagram makes room, counted once per frame. */
static void test_table_full(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 40, 0);
    for (uint16_t id = 1; id <= 4; id++) {
        assert_int_equal(send_v4(t, f, dg, 0, 24, true, id, &p), OT_DECODE_HELD);
        assert_no_counter(t);
    }
    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 5, &p), OT_DECODE_HELD);
    assert_only_counter(t, OT_DEC_frag_table_full);
    assert_int_equal(t->d.defrag->used, 4);
    /* Id 1 was dropped: its last piece starts over (and drops id 2). */
    assert_int_equal(send_v4(t, f, dg, 24, 24, false, 1, &p), OT_DECODE_HELD);
    assert_only_counter(t, OT_DEC_frag_table_full);
    /* Ids 3 and 5 are whole. */
    assert_int_equal(send_v4(t, f, dg, 24, 24, false, 3, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_int_equal(send_v4(t, f, dg, 24, 24, false, 5, &p), OT_DECODE_OK);
    assert_reassembled(t, &p, dg, 20);
    assert_int_equal(t->d.defrag->used, 2);
    free(f);
    free(dg);
}

/* Byte budget: big datagrams push the oldest out; one that cannot fit is refused. */
static void test_byte_budget(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 7000, 0);
    /* Each context holds about 8 KiB after its second piece. */
    for (uint16_t id = 1; id <= 3; id++) {
        assert_int_equal(send_v4(t, f, dg, 0, 1480, true, id, &p), OT_DECODE_HELD);
        assert_int_equal(send_v4(t, f, dg, 5920, 1080, true, id, &p), OT_DECODE_HELD);
        assert_no_counter(t);
    }
    assert_true(t->d.defrag->bytes <= t->d.cfg.frag_max_bytes);
    assert_int_equal(send_v4(t, f, dg, 0, 1480, true, 4, &p), OT_DECODE_HELD);
    assert_only_counter(t, OT_DEC_frag_table_full); /* id 1 made room */
    assert_int_equal(send_v4(t, f, dg, 5920, 1080, true, 4, &p), OT_DECODE_HELD);
    assert_no_counter(t);
    assert_int_equal(t->d.defrag->used, 3);
    assert_true(t->d.defrag->bytes <= t->d.cfg.frag_max_bytes);
    /* Complete id 4 (the newest). */
    for (uint32_t off = 1480; off < 5920; off += 1480)
        assert_int_equal(send_v4(t, f, dg, off, 1480, true, 4, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 7000, dg->len - 7000, false, 4, &p), OT_DECODE_OK);
    assert_reassembled(t, &p, dg, 20);
    assert_true(t->d.defrag->bytes <= t->d.cfg.frag_max_bytes);

    /* A 60 KB datagram cannot fit a 27 KiB budget at all. */
    struct fb *big = fb_new();
    udp_dgram(big, 60000, 0);
    assert_int_equal(send_v4(t, f, big, 59000, 1008, false, 9, &p), OT_DECODE_ERROR);
    assert_int_equal(t->d.counters[OT_DEC_frag_table_full], 2);
    assert_int_equal(t->d.defrag->used, 0); /* everything older went to make room */
    free(big);
    free(f);
    free(dg);
}

static void test_v4_bad(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 100, 0);

    /* Past 64 KiB. */
    v4_frag(f, dg, 0, 16, false, 10);
    fb_set16(f, 14 + 6, 8189); /* offset 65512, 16 bytes */
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_frag_too_large);

    /* A fragment with no payload. */
    v4_frag(f, dg, 8, 0, true, 11);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_frag_invalid);
    assert_int_equal(t->d.defrag->used, 0);

    /* Two different ends. */
    assert_int_equal(send_v4(t, f, dg, 80, 28, false, 12, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 80, 20, false, 12, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_frag_invalid);
    /* A piece past the end. */
    assert_int_equal(send_v4(t, f, dg, 104, 16, true, 12, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_frag_invalid);
    /* An end before data already held. */
    assert_int_equal(send_v4(t, f, dg, 40, 40, true, 13, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 16, 16, false, 13, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_frag_invalid);
    /* The good pieces still complete id 12. */
    assert_int_equal(send_v4(t, f, dg, 0, 80, true, 12, &p), OT_DECODE_OK);
    assert_reassembled(t, &p, dg, 20);
    free(f);
    free(dg);
}

/* More disjoint pieces than a context tracks. */
static void test_too_many_pieces(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 2000, 0);
    for (uint32_t i = 0; i < 64; i++) {
        assert_int_equal(send_v4(t, f, dg, 16 * i + 8, 8, true, 20, &p), OT_DECODE_HELD);
        assert_no_counter(t);
    }
    assert_int_equal(send_v4(t, f, dg, 16 * 64 + 8, 8, true, 20, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_frag_too_many_pieces);
    /* Filling a hole merges pieces and is fine. */
    assert_int_equal(send_v4(t, f, dg, 16, 8, true, 20, &p), OT_DECODE_HELD);
    assert_no_counter(t);
    free(f);
    free(dg);
}

/* A fragment cut by the snap length leaves a hole: held, never whole. */
static void test_v4_snaplen_fragment(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 200, 0);
    v4_frag(f, dg, 0, 104, true, 30);
    assert_int_equal(tdec_cut(t, OT_DLT_EN10MB, f, 14 + 20 + 50, f->len, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 104, 104, false, 30, &p), OT_DECODE_HELD);
    assert_no_counter(t);
    /* The lost bytes arrive again (a retransmitted fragment): whole. */
    assert_int_equal(send_v4(t, f, dg, 0, 104, true, 30, &p), OT_DECODE_OK);
    assert_only_counter(t, OT_DEC_frag_overlap);
    assert_reassembled(t, &p, dg, 20);
    free(f);
    free(dg);
}

/* Same id, other VLAN: another datagram. */
static void test_key_has_vlan(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 40, 0);
    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 40, &p), OT_DECODE_HELD);
    fb_reset(f);
    fb_eth(f, 0x8100);
    fb_vlan(f, 5, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 17, SRC, DST);
    fb_set16(f, ip + 4, 40);
    fb_set16(f, ip + 6, 3);
    fb_putn(f, dg->b + 24, 24);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_HELD);
    assert_int_equal(t->d.defrag->used, 2);
    free(f);
    free(dg);
}

/* IPv6 fragment: Ethernet, IPv6, [dst opts], fragment header, piece of dg. */
static void v6_frag(struct fb *f, const struct fb *dg, uint8_t nh, uint32_t off, uint32_t n,
                    bool more, uint32_t id, bool dstopts)
{
    fb_reset(f);
    fb_eth(f, 0x86dd);
    uint32_t ip = fb_ipv6_begin(f, dstopts ? 60 : 44, 1, 2);
    if (dstopts)
        fb_ipv6_ext(f, 44, 0);
    fb_ipv6_frag(f, nh, off, more, id);
    fb_putn(f, dg->b + off, n);
    fb_ipv6_end(f, ip);
}

static void test_v6(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 2900, 3);
    v6_frag(f, dg, 17, 1448, 1448, true, 0x01020304, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_HELD);
    assert_int_equal(p.ip_proto, 17);
    v6_frag(f, dg, 17, 2896, dg->len - 2896, false, 0x01020304, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_HELD);
    v6_frag(f, dg, 17, 0, 1448, true, 0x01020304, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_no_counter(t);
    assert_true(p.flags & OT_PKT_IPV6);
    assert_reassembled(t, &p, dg, 40);
    struct fb *w = fb_new();
    uint32_t wip = fb_ipv6_begin(w, 17, 1, 2);
    fb_putn(w, dg->b, dg->len);
    fb_ipv6_end(w, wip);
    assert_l3(&p, w); /* payload length rewritten, fragment header gone */

    /* Destination options before the fragment header count in the header length. */
    v6_frag(f, dg, 17, 0, 1448, true, 7, true);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_HELD);
    v6_frag(f, dg, 17, 1448, dg->len - 1448, false, 7, true);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_reassembled(t, &p, dg, 48);
    fb_reset(w);
    wip = fb_ipv6_begin(w, 60, 1, 2);
    fb_ipv6_ext(w, 17, 0);
    fb_putn(w, dg->b, dg->len);
    fb_ipv6_end(w, wip);
    assert_l3(&p, w);
    free(w);

    /* Headers inside the fragmentable part are walked after reassembly. */
    struct fb *dg2 = fb_new();
    fb_reset(dg2);
    fb_ipv6_ext(dg2, 17, 0);
    uint32_t u = fb_udp_begin(dg2, 7000, 8000);
    fb_pattern(dg2, 100, 0);
    fb_udp_end(dg2, u);
    v6_frag(f, dg2, 60, 0, 56, true, 8, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_HELD);
    v6_frag(f, dg2, 60, 56, dg2->len - 56, false, 8, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_OK);
    assert_int_equal(p.ip_proto, 17);
    assert_int_equal(p.sp, 7000);
    assert_int_equal(p.payload_len, 100);
    assert_int_equal(p.ip_len, 40 + dg2->len);

    /* A fragment header inside a reassembled datagram is not allowed. */
    fb_reset(dg2);
    fb_ipv6_frag(dg2, 17, 0, false, 1);
    fb_putn(dg2, dg->b, 100);
    v6_frag(f, dg2, 44, 0, 56, true, 9, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_HELD);
    v6_frag(f, dg2, 44, 56, dg2->len - 56, false, 9, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_ipv6_bad_exthdr);
    free(dg2);

    /* Past 64 KiB. */
    v6_frag(f, dg, 17, 65528, 16, false, 10, false);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_only_counter(t, OT_DEC_frag_too_large);
    free(f);
    free(dg);
}

/* Headers before the fragment header longer than the room kept for them: no l3. */
static void test_v6_long_unfragmentable(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 7, 0);
    for (int piece = 0; piece < 2; piece++) {
        fb_reset(f);
        fb_eth(f, 0x86dd);
        uint32_t ip = fb_ipv6_begin(f, 60, 1, 2);
        for (int i = 0; i < 31; i++)
            fb_ipv6_ext(f, 60, 255); /* 2048 bytes each */
        fb_ipv6_ext(f, 44, 252);     /* 2024 */
        fb_ipv6_frag(f, 17, piece ? 8 : 0, piece == 0, 77);
        fb_putn(f, dg->b + (piece ? 8 : 0), piece ? 7 : 8);
        fb_ipv6_end(f, ip);
        assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), piece ? OT_DECODE_OK : OT_DECODE_HELD);
    }
    assert_no_counter(t);
    assert_null(p.l3);
    assert_int_equal(p.l3_caplen, 0);
    assert_int_equal(p.ip_len, 40 + 65512 + 15);
    assert_int_equal(p.sp, 7000);
    assert_int_equal(p.payload_len, 7);
    assert_memory_equal(p.payload, dg->b + 8, 7);
    free(f);
    free(dg);
}

/* Inner fragments inside GRE: the inner datagram is reassembled, keyed by the inner addresses. */
static void test_fragments_in_tunnel(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new(), *inner = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 100, 0);
    for (int i = 0; i < 2; i++) {
        v4_frag(inner, dg, i ? 56 : 0, i ? dg->len - 56 : 56, i == 0, 50);
        fb_reset(f);
        fb_eth(f, 0x0800);
        uint32_t ip = fb_ipv4_begin(f, 47, IP4(192, 0, 2, 1), IP4(192, 0, 2, 2));
        fb_gre(f, 0, 0x0800);
        fb_putn(f, inner->b + 14, inner->len - 14);
        fb_ipv4_end(f, ip);
        enum ot_decode_result r = tdec(t, OT_DLT_EN10MB, f, &p);
        assert_int_equal(r, i ? OT_DECODE_OK : OT_DECODE_HELD);
    }
    assert_no_counter(t);
    assert_reassembled(t, &p, dg, 20);
    assert_true(p.flags & OT_PKT_TUNNELLED);
    assert_int_equal(ip4_of(&p.src), SRC);
    free(inner);
    free(f);
    free(dg);
}

/*
 * An outer datagram in fragments carrying IP-in-IP whose inner packet is the
 * last piece of an inner datagram: two reassemblies complete in one call,
 * the inner one read from the outer one's buffer.
 */
static void test_nested_reassembly(void **state)
{
    struct tdec *t = *state;
    struct fb *f = fb_new(), *dg = fb_new(), *inner = fb_new(), *outer = fb_new();
    struct ot_packet p;
    udp_dgram(dg, 300, 0x33);

    /* Inner first piece, in an ordinary IP-in-IP packet. */
    v4_frag(inner, dg, 0, 160, true, 60);
    fb_reset(f);
    fb_eth(f, 0x0800);
    uint32_t ip = fb_ipv4_begin(f, 4, IP4(192, 0, 2, 1), IP4(192, 0, 2, 2));
    fb_putn(f, inner->b + 14, inner->len - 14);
    fb_ipv4_end(f, ip);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_HELD);

    /* Inner last piece, as the payload of an outer datagram sent in two fragments. */
    v4_frag(inner, dg, 160, dg->len - 160, false, 60);
    fb_reset(outer);
    fb_putn(outer, inner->b + 14, inner->len - 14); /* outer payload: the inner IP packet */
    for (int i = 0; i < 2; i++) {
        fb_reset(f);
        fb_eth(f, 0x0800);
        ip = fb_ipv4_begin(f, 4, IP4(192, 0, 2, 1), IP4(192, 0, 2, 2));
        fb_set16(f, ip + 4, 61);
        fb_set16(f, ip + 6, i ? 64 / 8 : 0x2000);
        if (i)
            fb_putn(f, outer->b + 64, outer->len - 64);
        else
            fb_putn(f, outer->b, 64);
        fb_ipv4_end(f, ip);
        enum ot_decode_result r = tdec(t, OT_DLT_EN10MB, f, &p);
        assert_int_equal(r, i ? OT_DECODE_OK : OT_DECODE_HELD);
    }
    assert_no_counter(t);
    assert_reassembled(t, &p, dg, 20);
    assert_true(p.flags & OT_PKT_TUNNELLED);
    assert_int_equal(t->d.defrag->ndone, 2);
    assert_int_equal(t->d.defrag->used, 0);
    free(outer);
    free(inner);
    free(f);
    free(dg);
}

struct lost_log {
    unsigned n;
    struct ot_lost_datagram last;
};

static void on_lost(void *ctx, const struct ot_lost_datagram *g)
{
    struct lost_log *l = ctx;
    l->n++;
    l->last = *g;
}

static void assert_lost_v4(const struct lost_log *l, unsigned n, uint64_t first_us)
{
    assert_int_equal(l->n, n);
    assert_false(l->last.v6);
    assert_int_equal(l->last.ip_proto, 17);
    assert_int_equal(l->last.first_us, first_us);
    const uint8_t src[4] = {10, 1, 0, 1}, dst[4] = {10, 1, 0, 2};
    assert_memory_equal(l->last.src.u.b, src, 4);
    assert_memory_equal(l->last.dst.u.b, dst, 4);
}

/* Log the decoder's lost datagrams in *l; a 40-byte UDP datagram in *dg.  Returns the time. */
static uint64_t lost_setup(struct tdec *t, struct lost_log *l, struct fb **f, struct fb **dg)
{
    memset(l, 0, sizeof(*l));
    t->d.on_lost = on_lost;
    t->d.lost_ctx = l;
    *f = fb_new();
    *dg = fb_new();
    udp_dgram(*dg, 40, 0);
    return t->ts_us;
}

/* Whole datagrams are not lost; timed out, evicted, refused and left-over ones are, once each. */
static void test_lost_datagrams(void **state)
{
    struct tdec *t = *state;
    struct lost_log l;
    struct fb *f, *dg;
    struct ot_packet p;
    uint64_t t0 = lost_setup(t, &l, &f, &dg);

    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 1, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 24, 24, false, 1, &p), OT_DECODE_OK);
    assert_int_equal(l.n, 0);

    /* Timed out: found by the next fragment, or by the sensor's timer alone. */
    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 2, &p), OT_DECODE_HELD);
    t->ts_us += 31000000;
    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 3, &p), OT_DECODE_HELD);
    assert_lost_v4(&l, 1, t0);
    ot_decoder_expire(&t->d, t->ts_us + 29000000);
    assert_int_equal(l.n, 1);
    ot_decoder_expire(&t->d, t->ts_us + 31000000);
    assert_lost_v4(&l, 2, t->ts_us);
    assert_int_equal(t->d.defrag->used, 0);

    /* Refused before it had a slot (past 64 KiB). */
    v4_frag(f, dg, 0, 16, false, 4);
    fb_set16(f, 14 + 6, 8189);
    assert_int_equal(tdec(t, OT_DLT_EN10MB, f, &p), OT_DECODE_ERROR);
    assert_lost_v4(&l, 3, t->ts_us);

    /* Contradicting ends: the datagram waits (it may still complete) until the end of input. */
    t->ts_us += 1000;
    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 5, &p), OT_DECODE_HELD);
    assert_int_equal(send_v4(t, f, dg, 0, 16, false, 5, &p), OT_DECODE_ERROR);
    assert_int_equal(l.n, 3);
    ot_decoder_flush(&t->d);
    assert_lost_v4(&l, 4, t->ts_us);
    assert_int_equal(t->d.defrag->used, 0);
    ot_decoder_flush(&t->d);
    assert_int_equal(l.n, 4);
    free(f);
    free(dg);
}

/* A full table gives its oldest datagram up. */
static void test_lost_evicted(void **state)
{
    struct tdec *t = *state;
    struct lost_log l;
    struct fb *f, *dg;
    struct ot_packet p;
    uint64_t t0 = lost_setup(t, &l, &f, &dg);
    for (uint16_t id = 1; id <= 4; id++) {
        assert_int_equal(send_v4(t, f, dg, 0, 24, true, id, &p), OT_DECODE_HELD);
        t->ts_us += 10;
    }
    assert_int_equal(l.n, 0);
    assert_int_equal(send_v4(t, f, dg, 0, 24, true, 5, &p), OT_DECODE_HELD);
    assert_lost_v4(&l, 1, t0);
    free(f);
    free(dg);
}

int main(void)
{
#define T(fn)  cmocka_unit_test_setup_teardown(fn, tdec_setup, tdec_teardown)
#define TS(fn) cmocka_unit_test_setup_teardown(fn, setup_small, tdec_teardown)
    const struct CMUnitTest tests[] = {
        T(test_v4_in_order),
        T(test_v4_out_of_order),
        T(test_v4_overlap),
        T(test_v4_timeout),
        TS(test_table_full),
        TS(test_byte_budget),
        T(test_v4_bad),
        T(test_too_many_pieces),
        T(test_v4_snaplen_fragment),
        T(test_key_has_vlan),
        T(test_v6),
        T(test_v6_long_unfragmentable),
        T(test_fragments_in_tunnel),
        T(test_nested_reassembly),
        T(test_lost_datagrams),
        TS(test_lost_evicted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
