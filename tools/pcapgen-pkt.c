/*
 * ot-pcapgen frames: Ethernet/802.1Q, IPv4/IPv6, UDP, ICMP, ARP and TCP
 * conversations with correct checksums, lengths, sequence and ack numbers.
 */
#include <arpa/inet.h>
#include <string.h>

#include "otasuke/error.h"
#include "pcapgen-pkt.h"

#define ETH_MIN        60u /* frames are padded like a NIC would */
#define ETH_HDR        14u
#define VLAN_TAG       4u
#define IP4_HDR        20u
#define IP6_HDR        40u
#define MTU            1500u
#define UDP_HDR        8u
#define TCP_HDR        20u
#define TCP_SYN_OPTS   12u
#define IP4_DF         0x4000u
#define IP4_MF         0x2000u
#define FRAG_DGRAM_MAX 9216u /* largest UDP datagram we fragment */
#define LOCAL_US       45u   /* reaction time of a host next to the capture point */

uint64_t ot_pg_rand(struct ot_pg_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t ot_pg_below(struct ot_pg_rng *r, uint32_t n)
{
    return (uint32_t)(((ot_pg_rand(r) >> 32) * (uint64_t)n) >> 32);
}

void ot_pg_fill(struct ot_pg_rng *r, uint8_t *out, size_t n)
{
    while (n) {
        uint64_t v = ot_pg_rand(r);
        size_t k = n < 8 ? n : 8;
        memcpy(out, &v, k);
        out += k;
        n -= k;
    }
}

static void be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    be16(p, v >> 16);
    be16(p + 2, v);
}

/*
 * Internet checksum (RFC 1071) summed in host byte order: the folded sum,
 * stored back with memcpy, is right on either endianness.  DATA starts at an
 * even offset of the checksummed range.
 */
static uint64_t csum_add(uint64_t acc, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + 4, 4);
        acc += (uint64_t)a + b;
        p += 8;
        n -= 8;
    }
    while (n >= 2) {
        uint16_t w;
        memcpy(&w, p, 2);
        acc += w;
        p += 2;
        n -= 2;
    }
    if (n) {
        uint8_t last[2] = {p[0], 0};
        uint16_t w;
        memcpy(&w, last, 2);
        acc += w;
    }
    return acc;
}

static uint16_t csum_fold(uint64_t acc)
{
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    return (uint16_t)~acc;
}

static void csum_store(uint8_t *at, uint64_t acc, bool zero_is_ffff)
{
    uint16_t c = csum_fold(acc);
    if (c == 0 && zero_is_ffff)
        c = 0xffff;
    memcpy(at, &c, 2);
}

/* Sum of the IPv4 or IPv6 pseudo-header. */
static uint64_t pseudo_sum(const struct ot_pg_host *src, const struct ot_pg_host *dst,
                           uint8_t proto, size_t l4len)
{
    uint8_t ph[40];
    if (!src->v6) {
        memcpy(ph, src->ip, 4);
        memcpy(ph + 4, dst->ip, 4);
        ph[8] = 0;
        ph[9] = proto;
        be16(ph + 10, (uint32_t)l4len);
        return csum_add(0, ph, 12);
    }
    uint64_t acc = csum_add(0, src->ip, 16);
    acc = csum_add(acc, dst->ip, 16);
    be32(ph, (uint32_t)l4len);
    ph[4] = ph[5] = ph[6] = 0;
    ph[7] = proto;
    return csum_add(acc, ph, 8);
}

int ot_pg_host_init(struct ot_pg_host *h, const uint8_t mac[6], const char *ip, uint8_t ttl)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->mac, mac, 6);
    h->ttl = ttl;
    if (inet_pton(AF_INET, ip, h->ip) == 1)
        return OT_OK;
    if (inet_pton(AF_INET6, ip, h->ip) == 1) {
        h->v6 = true;
        return OT_OK;
    }
    return OT_EINVAL;
}

size_t ot_pg_ip_room(const struct ot_pg_host *src)
{
    return MTU - (src->v6 ? IP6_HDR : IP4_HDR);
}

/* Ethernet header (and 802.1Q tag); returns its length. */
static size_t put_eth(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, uint16_t vlan,
                      uint16_t ethertype)
{
    size_t n = 12;
    memcpy(f, dmac, 6);
    memcpy(f + 6, smac, 6);
    if (vlan) {
        be16(f + 12, 0x8100);
        be16(f + 14, vlan & 0x0fffu);
        n += VLAN_TAG;
    }
    be16(f + n, ethertype);
    return n + 2;
}

uint8_t *ot_pg_ip_begin(struct ot_pg_ip *p, struct ot_pg_sink *sk, struct ot_pg_host *src,
                        const struct ot_pg_host *dst, uint16_t vlan, uint8_t proto)
{
    p->sk = sk;
    p->src = src;
    p->dst = dst;
    p->proto = proto;
    p->flow_label = 0;
    p->frame = ot_pg_sink_frame(sk);
    if (src->v6 != dst->v6)
        ot_pg_sink_fail(sk, OT_EINVAL);
    p->l3 = p->frame + put_eth(p->frame, dst->mac, src->mac, vlan, src->v6 ? 0x86dd : 0x0800);
    p->l4 = p->l3 + (src->v6 ? IP6_HDR : IP4_HDR);
    return p->l4;
}

/* Commit the frame, padded to the Ethernet minimum. */
static void frame_commit(struct ot_pg_sink *sk, uint8_t *frame, size_t len, uint64_t ts_us)
{
    if (len < ETH_MIN) {
        memset(frame + len, 0, ETH_MIN - len);
        len = ETH_MIN;
    }
    ot_pg_sink_commit(sk, ts_us, len);
}

static void put_ip4(struct ot_pg_ip *p, size_t l4len, uint16_t id, uint16_t frag)
{
    uint8_t *h = p->l3;
    h[0] = 0x45;
    h[1] = 0;
    be16(h + 2, (uint32_t)(IP4_HDR + l4len));
    be16(h + 4, id);
    be16(h + 6, frag);
    h[8] = p->src->ttl;
    h[9] = p->proto;
    h[10] = h[11] = 0;
    memcpy(h + 12, p->src->ip, 4);
    memcpy(h + 16, p->dst->ip, 4);
    csum_store(h + 10, csum_add(0, h, IP4_HDR), false);
}

static void put_ip6(struct ot_pg_ip *p, size_t l4len)
{
    uint8_t *h = p->l3;
    be32(h, 0x60000000u | (p->flow_label & 0xfffffu));
    be16(h + 4, (uint32_t)l4len);
    h[6] = p->proto;
    h[7] = p->src->ttl;
    memcpy(h + 8, p->src->ip, 16);
    memcpy(h + 24, p->dst->ip, 16);
}

void ot_pg_ip_end(struct ot_pg_ip *p, uint64_t ts_us, size_t l4len)
{
    if (l4len > ot_pg_ip_room(p->src)) {
        ot_pg_sink_fail(p->sk, OT_ELIMIT);
        return;
    }
    if (p->src->v6)
        put_ip6(p, l4len);
    else
        put_ip4(p, l4len, p->src->ip_id++, p->proto == OT_PG_IPPROTO_TCP ? IP4_DF : 0);

    size_t at;
    bool pseudo = true;
    switch (p->proto) {
    case OT_PG_IPPROTO_TCP:
        at = 16;
        break;
    case OT_PG_IPPROTO_UDP:
        at = 6;
        break;
    case OT_PG_IPPROTO_ICMP:
        at = 2;
        pseudo = false;
        break;
    default: /* ICMPv6 */
        at = 2;
        break;
    }
    p->l4[at] = p->l4[at + 1] = 0;
    uint64_t acc = pseudo ? pseudo_sum(p->src, p->dst, p->proto, l4len) : 0;
    csum_store(p->l4 + at, csum_add(acc, p->l4, l4len), p->proto == OT_PG_IPPROTO_UDP);
    frame_commit(p->sk, p->frame, (size_t)(p->l4 - p->frame) + l4len, ts_us);
}

/* A UDP datagram too large for one packet, as IPv4 fragments of FRAG bytes each. */
static void udp_fragments(struct ot_pg_sink *sk, uint64_t ts_us, struct ot_pg_host *src,
                          uint16_t sport, const struct ot_pg_host *dst, uint16_t dport,
                          uint16_t vlan, const void *data, size_t len, size_t frag)
{
    uint8_t dgram[FRAG_DGRAM_MAX];
    size_t total = UDP_HDR + len;
    if (src->v6 || total > sizeof(dgram)) {
        ot_pg_sink_fail(sk, OT_ELIMIT);
        return;
    }
    be16(dgram, sport);
    be16(dgram + 2, dport);
    be16(dgram + 4, (uint32_t)total);
    dgram[6] = dgram[7] = 0;
    memcpy(dgram + UDP_HDR, data, len);
    uint64_t acc = pseudo_sum(src, dst, OT_PG_IPPROTO_UDP, total);
    csum_store(dgram + 6, csum_add(acc, dgram, total), true);

    size_t room = ot_pg_ip_room(src) & ~(size_t)7;
    frag = (frag == 0 || frag > room) ? room : frag & ~(size_t)7;
    if (frag == 0)
        frag = 8;
    uint16_t id = src->ip_id++;
    for (size_t off = 0; off < total; off += frag, ts_us += 12) {
        size_t n = total - off < frag ? total - off : frag;
        struct ot_pg_ip p;
        uint8_t *l4 = ot_pg_ip_begin(&p, sk, src, dst, vlan, OT_PG_IPPROTO_UDP);
        memcpy(l4, dgram + off, n);
        put_ip4(&p, n, id, (uint16_t)((off / 8) | (off + n < total ? IP4_MF : 0)));
        frame_commit(sk, p.frame, (size_t)(l4 - p.frame) + n, ts_us);
    }
}

void ot_pg_udp(struct ot_pg_sink *sk, uint64_t ts_us, struct ot_pg_host *src, uint16_t sport,
               const struct ot_pg_host *dst, uint16_t dport, uint16_t vlan, const void *data,
               size_t len, size_t frag)
{
    if (UDP_HDR + len > ot_pg_ip_room(src) || (frag && UDP_HDR + len > frag)) {
        udp_fragments(sk, ts_us, src, sport, dst, dport, vlan, data, len, frag);
        return;
    }
    struct ot_pg_ip p;
    uint8_t *u = ot_pg_ip_begin(&p, sk, src, dst, vlan, OT_PG_IPPROTO_UDP);
    be16(u, sport);
    be16(u + 2, dport);
    be16(u + 4, (uint32_t)(UDP_HDR + len));
    memcpy(u + UDP_HDR, data, len);
    ot_pg_ip_end(&p, ts_us, UDP_HDR + len);
}

void ot_pg_icmp_echo(struct ot_pg_sink *sk, uint64_t ts_us, struct ot_pg_host *src,
                     const struct ot_pg_host *dst, bool reply, uint16_t id, uint16_t seq,
                     const void *data, size_t len)
{
    uint8_t proto = src->v6 ? OT_PG_IPPROTO_ICMPV6 : OT_PG_IPPROTO_ICMP;
    if (8 + len > ot_pg_ip_room(src)) {
        ot_pg_sink_fail(sk, OT_ELIMIT);
        return;
    }
    struct ot_pg_ip p;
    uint8_t *h = ot_pg_ip_begin(&p, sk, src, dst, 0, proto);
    h[0] = src->v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
    h[1] = 0;
    be16(h + 4, id);
    be16(h + 6, seq);
    memcpy(h + 8, data, len);
    ot_pg_ip_end(&p, ts_us, 8 + len);
}

void ot_pg_arp(struct ot_pg_sink *sk, uint64_t ts_us, const struct ot_pg_host *src,
               const struct ot_pg_host *dst, bool reply)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t zero[6] = {0};
    uint8_t *f = ot_pg_sink_frame(sk);
    uint8_t *a = f + put_eth(f, reply ? dst->mac : bcast, src->mac, 0, 0x0806);
    be16(a, 1);
    be16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    be16(a + 6, reply ? 2 : 1);
    memcpy(a + 8, src->mac, 6);
    memcpy(a + 14, src->ip, 4);
    memcpy(a + 18, reply ? dst->mac : zero, 6);
    memcpy(a + 24, dst->ip, 4);
    frame_commit(sk, f, (size_t)(a - f) + 28, ts_us);
}

void ot_pg_tcp_init(struct ot_pg_tcp *c, struct ot_pg_sink *sk, struct ot_pg_host *cli,
                    uint16_t cport, struct ot_pg_host *srv, uint16_t sport, uint32_t isn_c,
                    uint32_t isn_s, uint64_t t)
{
    memset(c, 0, sizeof(*c));
    c->sk = sk;
    c->host[0] = cli;
    c->host[1] = srv;
    c->port[0] = cport;
    c->port[1] = sport;
    c->nxt[0] = isn_c;
    c->nxt[1] = isn_s;
    c->win[0] = 502; /* 64256 with window scale 7 */
    c->win[1] = 509;
    c->mss = cli->v6 ? 1440 : 1460;
    c->t = t;
    c->gap_us = 12;
    c->rtt_us = 20000;
}

void ot_pg_tcp_segment(struct ot_pg_tcp *c, int dir, uint64_t ts_us, uint8_t flags, uint32_t seq,
                       uint32_t ack, const void *data, size_t len)
{
    struct ot_pg_host *src = c->host[dir];
    size_t hl = TCP_HDR + ((flags & OT_PG_TCP_SYN) ? TCP_SYN_OPTS : 0);
    if (hl + len > ot_pg_ip_room(src)) {
        ot_pg_sink_fail(c->sk, OT_ELIMIT);
        return;
    }
    struct ot_pg_ip p;
    uint8_t *h = ot_pg_ip_begin(&p, c->sk, src, c->host[!dir], c->vlan, OT_PG_IPPROTO_TCP);
    be16(h, c->port[dir]);
    be16(h + 2, c->port[!dir]);
    be32(h + 4, seq);
    be32(h + 8, (flags & OT_PG_TCP_ACK) ? ack : 0);
    h[12] = (uint8_t)((hl / 4) << 4);
    h[13] = flags;
    be16(h + 14, (flags & OT_PG_TCP_SYN) ? (dir ? 65160u : 64240u) : c->win[dir]);
    h[16] = h[17] = h[18] = h[19] = 0;
    if (flags & OT_PG_TCP_SYN) {
        static const uint8_t opts[TCP_SYN_OPTS] = {2, 4, 0, 0, 1, 3, 3, 7, 1, 1, 4, 2};
        memcpy(h + TCP_HDR, opts, sizeof(opts));
        be16(h + TCP_HDR + 2, c->mss);
    }
    if (len)
        memcpy(h + hl, data, len);
    ot_pg_ip_end(&p, ts_us, hl + len);
}

void ot_pg_tcp_syn(struct ot_pg_tcp *c, uint32_t delay_us)
{
    c->t += delay_us;
    ot_pg_tcp_segment(c, OT_PG_C2S, c->t, OT_PG_TCP_SYN, c->nxt[0], 0, NULL, 0);
    c->nxt[0]++;
}

void ot_pg_tcp_handshake(struct ot_pg_tcp *c, uint32_t delay_us, uint32_t rtt_us)
{
    c->rtt_us = rtt_us;
    ot_pg_tcp_syn(c, delay_us);
    c->t += rtt_us;
    ot_pg_tcp_segment(c, OT_PG_S2C, c->t, OT_PG_TCP_SYN | OT_PG_TCP_ACK, c->nxt[1], c->nxt[0], NULL,
                      0);
    c->nxt[1]++;
    ot_pg_tcp_ack(c, OT_PG_C2S, LOCAL_US);
}

void ot_pg_tcp_send(struct ot_pg_tcp *c, int dir, const void *data, size_t len, uint32_t delay_us)
{
    const uint8_t *d = data;
    c->t += delay_us;
    for (size_t off = 0; off < len;) {
        size_t n = len - off < c->mss ? len - off : c->mss;
        uint8_t flags = OT_PG_TCP_ACK | (off + n == len ? OT_PG_TCP_PSH : 0);
        if (off)
            c->t += c->gap_us;
        ot_pg_tcp_segment(c, dir, c->t, flags, c->nxt[dir], c->nxt[!dir], d + off, n);
        c->nxt[dir] += (uint32_t)n;
        off += n;
    }
}

void ot_pg_tcp_ack(struct ot_pg_tcp *c, int dir, uint32_t delay_us)
{
    c->t += delay_us;
    ot_pg_tcp_segment(c, dir, c->t, OT_PG_TCP_ACK, c->nxt[dir], c->nxt[!dir], NULL, 0);
}

void ot_pg_tcp_close(struct ot_pg_tcp *c, int dir, uint32_t delay_us)
{
    const uint8_t fin = OT_PG_TCP_FIN | OT_PG_TCP_ACK;
    /* The capture point sits next to the client: the server's packets trail by a round trip. */
    uint32_t reply_us = dir == OT_PG_C2S ? c->rtt_us : LOCAL_US * 4;
    c->t += delay_us;
    ot_pg_tcp_segment(c, dir, c->t, fin, c->nxt[dir], c->nxt[!dir], NULL, 0);
    c->nxt[dir]++;
    c->t += reply_us;
    ot_pg_tcp_segment(c, !dir, c->t, fin, c->nxt[!dir], c->nxt[dir], NULL, 0);
    c->nxt[!dir]++;
    ot_pg_tcp_ack(c, dir, dir == OT_PG_C2S ? LOCAL_US : c->rtt_us);
}
