/*
 * Decoder internals: one function per layer, all of one shape.
 *
 *   enum ot_decode_result ot_decode_<layer>(struct ot_decoder *d, struct ot_packet *p,
 *                                           const uint8_t *data, uint32_t len, unsigned depth);
 *
 * `data` points at the layer's first byte, `len` is how many bytes of it were
 * captured (and, below IP, how many the enclosing headers say belong to it).
 * `depth` is the tunnel depth: 0 for the outermost packet, +1 inside each
 * tunnel.  A layer checks its own header, fills its fields of `p`, and hands
 * the rest to the next layer; a malformed header increments one counter and
 * returns OT_DECODE_ERROR (see decode.h for the rules).
 *
 * The only recursion is through tunnels (ot_tunnel_enter() bounds it), so the
 * stack depth of one ot_decode() call is bounded whatever the frame holds.
 */
#ifndef OT_SENSOR_DECODE_INTERNAL_H
#define OT_SENSOR_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "decode/decode.h"
#include "core/util.h"

#define OT_LIKELY(x)   __builtin_expect(!!(x), 1)
#define OT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define OT_ETH_HLEN 14

#define OT_ETHERTYPE_IPV4     0x0800
#define OT_ETHERTYPE_ARP      0x0806
#define OT_ETHERTYPE_TEB      0x6558 /* transparent Ethernet bridging (GRE) */
#define OT_ETHERTYPE_VLAN     0x8100
#define OT_ETHERTYPE_QINQ     0x88a8
#define OT_ETHERTYPE_QINQ_OLD 0x9100
#define OT_ETHERTYPE_IPV6     0x86dd
#define OT_ETHERTYPE_PPP      0x880b /* PPTP's enhanced GRE */
#define OT_ETHERTYPE_PPPOE_D  0x8863
#define OT_ETHERTYPE_PPPOE_S  0x8864
#define OT_ETHERTYPE_MPLS_UC  0x8847
#define OT_ETHERTYPE_MPLS_MC  0x8848
#define OT_ETHERTYPE_ERSPAN2  0x88be
#define OT_ETHERTYPE_ERSPAN3  0x22eb

#define OT_IPPROTO_ICMP   1
#define OT_IPPROTO_IPIP   4
#define OT_IPPROTO_TCP    6
#define OT_IPPROTO_UDP    17
#define OT_IPPROTO_IPV6   41
#define OT_IPPROTO_GRE    47
#define OT_IPPROTO_AH     51
#define OT_IPPROTO_ICMPV6 58

#define OT_PPP_IPV4 0x0021
#define OT_PPP_IPV6 0x0057

#define OT_VXLAN_PORT     4789
#define OT_VXLAN_GPE_PORT 4790
#define OT_GENEVE_PORT    6081
#define OT_GTPU_PORT      2152

/* Flags that describe the IP layer p currently describes: reset by each IP header. */
#define OT_PKT_L3L4_MASK_                                                                          \
    (OT_PKT_IPV4 | OT_PKT_IPV6 | OT_PKT_TCP | OT_PKT_UDP | OT_PKT_ICMP | OT_PKT_L4_TRUNC)

/* Count one rejection and say so. */
static inline enum ot_decode_result ot_dec_err(struct ot_decoder *d, enum ot_decode_counter c)
{
    d->counters[c]++;
    return OT_DECODE_ERROR;
}

/* Was the frame cut by the capture's snap length? */
static inline bool ot_frame_cut(const struct ot_packet *p)
{
    return p->caplen < p->wirelen;
}

/* Link layers. */
enum ot_decode_result ot_decode_ethernet(struct ot_decoder *d, struct ot_packet *p,
                                         const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_sll(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_sll2(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_null(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_loop(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_ppp(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_ppp_proto(struct ot_decoder *d, struct ot_packet *p,
                                          const uint8_t *data, uint32_t len, unsigned depth,
                                          bool acf, enum ot_decode_counter truncated,
                                          enum ot_decode_counter not_ip);
enum ot_decode_result ot_decode_chdlc(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_nflog(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_raw(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth);

/* Between link and IP. */
enum ot_decode_result ot_decode_vlan(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_pppoe(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_mpls(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);

/* IP. */
enum ot_decode_result ot_decode_ipv4(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_ipv6(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);
/* The IPv6 extension-header chain of a reassembled fragmentable part, from next header `nh`. */
enum ot_decode_result ot_decode_ipv6_reassembled(struct ot_decoder *d, struct ot_packet *p,
                                                 uint8_t nh, const uint8_t *data, uint32_t len,
                                                 unsigned depth);

/* Tunnels. */
enum ot_decode_result ot_decode_gre(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_erspan2(struct ot_decoder *d, struct ot_packet *p,
                                        const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_erspan3(struct ot_decoder *d, struct ot_packet *p,
                                        const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_vxlan(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_vxlan_gpe(struct ot_decoder *d, struct ot_packet *p,
                                          const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_gtpu(struct ot_decoder *d, struct ot_packet *p,
                                     const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_geneve(struct ot_decoder *d, struct ot_packet *p,
                                       const uint8_t *data, uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_ipip(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_ip6ip(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth);

/* Transport. */
enum ot_decode_result ot_decode_tcp(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_udp(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth);
enum ot_decode_result ot_decode_icmp(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth);

/*
 * The two dispatch tables: by ethertype (Ethernet, VLAN, SLL, GRE) and by IP
 * protocol (IPv4, IPv6 and reassembled datagrams).  A non-IP ethertype
 * counts non_ip and returns OT_DECODE_SKIP.  Inline, so that each layer
 * jumps straight to the next one (the link-type table is in decode.c).
 */
static inline enum ot_decode_result ot_decode_ethertype(struct ot_decoder *d, struct ot_packet *p,
                                                        uint16_t type, const uint8_t *data,
                                                        uint32_t len, unsigned depth)
{
    switch (type) {
    case OT_ETHERTYPE_IPV4:
        return ot_decode_ipv4(d, p, data, len, depth);
    case OT_ETHERTYPE_IPV6:
        return ot_decode_ipv6(d, p, data, len, depth);
    case OT_ETHERTYPE_VLAN:
    case OT_ETHERTYPE_QINQ:
    case OT_ETHERTYPE_QINQ_OLD:
        return ot_decode_vlan(d, p, data, len, depth);
    case OT_ETHERTYPE_PPPOE_S:
        return ot_decode_pppoe(d, p, data, len, depth);
    case OT_ETHERTYPE_MPLS_UC:
    case OT_ETHERTYPE_MPLS_MC:
        return ot_decode_mpls(d, p, data, len, depth);
    }
    /* ARP, LLDP, PPPoE discovery, 802.3 length fields (< 0x0600), ... */
    d->counters[OT_DEC_non_ip]++;
    return OT_DECODE_SKIP;
}

static inline enum ot_decode_result ot_decode_l4(struct ot_decoder *d, struct ot_packet *p,
                                                 uint8_t proto, const uint8_t *data, uint32_t len,
                                                 unsigned depth)
{
    p->ip_proto = proto;
    switch (proto) {
    case OT_IPPROTO_TCP:
        return ot_decode_tcp(d, p, data, len, depth);
    case OT_IPPROTO_UDP:
        return ot_decode_udp(d, p, data, len, depth);
    case OT_IPPROTO_ICMP:
    case OT_IPPROTO_ICMPV6:
        return ot_decode_icmp(d, p, data, len, depth);
    }
    /* An enclosing UDP header (VXLAN) may have set the ports. */
    p->sp = 0;
    p->dp = 0;
    p->payload = data;
    p->payload_len = len;
    switch (proto) {
    case OT_IPPROTO_GRE:
        return ot_decode_gre(d, p, data, len, depth);
    case OT_IPPROTO_IPIP:
        return ot_decode_ipip(d, p, data, len, depth);
    case OT_IPPROTO_IPV6:
        return ot_decode_ip6ip(d, p, data, len, depth);
    }
    /* ESP, SCTP, no-next-header, ...: flows still track them by address. */
    d->counters[OT_DEC_other_ip_proto]++;
    return OT_DECODE_OK;
}

/*
 * PPP protocol field (RFC 1661) at `data`: with `acf`, an optional
 * address/control pair ff 03 first (PPTP); a one-byte protocol when
 * compressed (odd first byte).  Returns the header length, 0 when truncated.
 */
static inline uint32_t ot_ppp_header(const uint8_t *data, uint32_t len, bool acf,
                                     uint16_t *proto /* OUT */)
{
    uint32_t off = 0;
    if (acf && len >= 1 && data[0] == 0xff) { /* all-stations address, then control 03 */
        if (len < 2)
            return 0;
        if (data[1] == 0x03)
            off = 2;
    }
    if (len <= off)
        return 0;
    if (data[off] & 1) {
        *proto = data[off];
        return off + 1;
    }
    if (len < off + 2)
        return 0;
    *proto = ot_be16(data + off);
    return off + 2;
}

/*
 * Tunnels.  ot_tunnel_enter() bounds the depth (counting tunnel_too_deep) and
 * marks p; the caller decodes the inner layer at depth + 1 and passes its
 * result through ot_tunnel_leave().  When the inner payload is not IP (SKIP),
 * p goes back to describing the enclosing IP packet, which is then the
 * innermost IP packet of the frame, and the result becomes OK.
 */
struct ot_tunnel_save {
    uint32_t flags;
    uint16_t vlan[OT_VLAN_MAX];
    uint8_t vlan_count;
    uint8_t tunnel_depth;
};

static inline bool ot_tunnel_enter(struct ot_decoder *d, struct ot_packet *p, unsigned depth,
                                   struct ot_tunnel_save *s /* OUT */)
{
    if (OT_UNLIKELY(depth >= OT_DECODE_MAX_TUNNEL_DEPTH)) {
        d->counters[OT_DEC_tunnel_too_deep]++;
        return false;
    }
    s->flags = p->flags;
    memcpy(s->vlan, p->vlan, sizeof(s->vlan));
    s->vlan_count = p->vlan_count;
    s->tunnel_depth = p->tunnel_depth;
    p->flags |= OT_PKT_TUNNELLED;
    p->tunnel_depth = (uint8_t)(depth + 1);
    return true;
}

static inline enum ot_decode_result
ot_tunnel_leave(struct ot_packet *p, const struct ot_tunnel_save *s, enum ot_decode_result r)
{
    if (r != OT_DECODE_SKIP)
        return r;
    p->flags = s->flags;
    memcpy(p->vlan, s->vlan, sizeof(p->vlan));
    p->vlan_count = s->vlan_count;
    p->tunnel_depth = s->tunnel_depth;
    /* No enclosing IP packet (an MPLS pseudowire at the top): nothing to describe. */
    return (s->flags & (OT_PKT_IPV4 | OT_PKT_IPV6)) ? OT_DECODE_OK : OT_DECODE_SKIP;
}

/*
 * Fragment reassembly (defrag.c).
 *
 * The table holds up to cfg.frag_max_datagrams datagrams and
 * cfg.frag_max_bytes of their data; the oldest are dropped when it is full
 * (frag_table_full) or when they are older than cfg.frag_timeout_us in packet
 * time (frag_timeout).  Overlapping data is resolved first-wins
 * (frag_overlap).  A completed datagram (the first fragment's headers, made
 * to describe the whole datagram, then the payload) stays in memory the
 * decoder owns until the next ot_decode() call, then it is freed.
 */
struct ot_frag {
    const uint8_t *hdr;  /* this fragment's IP header */
    const uint8_t *data; /* this fragment's payload as captured */
    uint32_t len;        /* bytes at data */
    uint32_t wire_len;   /* payload bytes per the IP header (>= len when cut) */
    uint32_t offset;     /* byte offset in the datagram's payload */
    uint32_t id;
    uint32_t hdr_len; /* IPv4 header / IPv6 unfragmentable part, with the fixed header */
    uint32_t nh_off;  /* IPv6: offset in hdr of the next-header byte naming the fragment header */
    uint8_t proto;    /* IPv4 protocol / the fragment header's next header */
    bool more;
    bool v6;
};

struct ot_frag_out {
    const uint8_t *l3;   /* the whole datagram, headers first (NULL if they were too long) */
    const uint8_t *data; /* reassembled payload (after the IP headers) */
    uint32_t len;
    uint32_t hdr_len; /* header length of the first fragment */
    uint8_t proto;    /* protocol of the first fragment */
};

#define OT_DEFRAG_DONE_MAX (OT_DECODE_MAX_TUNNEL_DEPTH + 2)

struct ot_frag_ctx;
struct ot_frag_store;

struct ot_defrag {
    struct ot_decode_config cfg;
    struct ot_frag_ctx *ctx; /* cfg.frag_max_datagrams slots */
    uint32_t *hash;          /* bucket heads: slot index + 1, 0 = empty */
    uint32_t hash_mask;
    uint32_t seed;
    uint32_t used;
    uint32_t hw;             /* slots [0, hw) have been used; the rest are untouched */
    uint32_t free_head;      /* slot index + 1, 0 = none */
    uint32_t oldest, newest; /* age list: slot index + 1, 0 = empty */
    uint64_t bytes;          /* memory held by stores */
    /* Completed datagrams, freed at the next ot_decode() call. */
    struct ot_frag_store *done[OT_DEFRAG_DONE_MAX];
    uint32_t ndone;
};

int ot_defrag_new(const struct ot_decode_config *cfg, struct ot_defrag **out /* OUT */);
void ot_defrag_destroy(struct ot_defrag *df);
/* Free the datagrams completed during the previous ot_decode() call. */
void ot_defrag_release(struct ot_defrag *df);
/* Give up the datagrams older than the timeout, or every one still waiting (on_lost each). */
void ot_defrag_expire(struct ot_decoder *d, struct ot_defrag *df, uint64_t now_us);
void ot_defrag_flush(struct ot_decoder *d, struct ot_defrag *df);

/*
 * Add one fragment.  Returns OT_DECODE_HELD while the datagram is incomplete,
 * OT_DECODE_ERROR (one counter) when the fragment is rejected, or
 * OT_DECODE_OK with *out describing the complete datagram.
 */
enum ot_decode_result ot_defrag_add(struct ot_decoder *d, const struct ot_packet *p,
                                    const struct ot_frag *f, unsigned depth,
                                    struct ot_frag_out *out /* OUT */);

#endif
