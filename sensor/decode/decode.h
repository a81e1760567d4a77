/*
 * Packet decoding: link layer → tunnels → IP → transport.
 *
 * ot_decode() turns one captured frame into a struct ot_packet whose pointers
 * refer into the frame (or, for a reassembled IP datagram, into the decoder's
 * own buffer, valid until the next call).  Nothing is copied on the fast path.
 *
 * A malformed or truncated frame is never logged: it increments one counter
 * of struct ot_decoder.counters (named in OT_DECODE_COUNTERS) and the call
 * returns OT_DECODE_ERROR.  The decoder owns its fragment-reassembly state;
 * ot_decoder_free() releases it.
 *
 * Lengths: a header that claims more bytes than were captured is decoded as
 * far as the bytes go, with OT_PKT_L4_TRUNC, when the capture's snap length
 * cut the frame (caplen < wirelen); otherwise the header lies and the frame
 * is malformed (hosts drop such packets, so must we).  Lengths shorter than
 * the capture trim it (Ethernet padding and trailers are never payload).
 *
 * Tunnels (GRE, ERSPAN, VXLAN on UDP 4789, IP in IP, MPLS pseudowires):
 * p describes the innermost IP packet, with OT_PKT_TUNNELLED and
 * p->tunnel_depth; VLAN tags seen inside add to p->vlan; MACs stay the
 * outermost.  When a tunnel's content is not IP, p describes the tunnel
 * packet itself and the result is OK.
 *
 * OT_PKT_REASSEMBLED: some IP layer of the packet was reassembled, so
 * p->l3 and p->payload point into the decoder's memory (p->l3 then holds
 * the whole datagram with headers rewritten to describe it, or is NULL if
 * its IPv6 headers before the fragment header passed 256 bytes).
 */
#ifndef OT_SENSOR_DECODE_H
#define OT_SENSOR_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Link types we read (pcap DLT_/LINKTYPE_ values). */
#define OT_DLT_NULL       0   /* BSD loopback, host-order family */
#define OT_DLT_EN10MB     1   /* Ethernet */
#define OT_DLT_RAW        101 /* raw IPv4/IPv6 (LINKTYPE_RAW) */
#define OT_DLT_RAW_ALT    12  /* DLT_RAW on some BSDs */
#define OT_DLT_LOOP       108 /* OpenBSD loopback, network-order family */
#define OT_DLT_LINUX_SLL  113
#define OT_DLT_IPV4       228
#define OT_DLT_IPV6       229
#define OT_DLT_LINUX_SLL2 276
#define OT_DLT_PPP        9   /* PPP, address/control optional */
#define OT_DLT_PPP_SERIAL 50  /* PPP in HDLC-like framing (RFC 1662) */
#define OT_DLT_C_HDLC     104 /* Cisco HDLC */
#define OT_DLT_NFLOG      239 /* Linux netfilter log */

/* An IPv4 address is stored in the first 4 bytes, the rest zero. */
struct ot_addr {
    union {
        uint8_t b[16];
        uint32_t w[4];
        uint64_t q[2];
    } u;
};

static inline bool ot_addr_eq(const struct ot_addr *a, const struct ot_addr *b)
{
    return a->u.q[0] == b->u.q[0] && a->u.q[1] == b->u.q[1];
}

/*
 * Store the IPv4 address at `v4` (4 bytes, network order) in `a` as one
 * 16-byte value.  The flow table reads the address back 16 or 8 bytes at a
 * time a few hundred instructions later; built from smaller stores (4-byte
 * address, then zeroes) that read cannot be forwarded from the store buffer
 * and stalls until the stores retire (it was 0.9 % of the sensor's packet
 * loop in perf, docs/performance.md).
 */
static inline void ot_addr_set_v4(struct ot_addr *a, const uint8_t *v4)
{
    uint32_t w;
    memcpy(&w, v4, sizeof(w));
#if defined(__SSE2__)
    /* The compiler splits a struct store into 4- and 8-byte pieces. */
    _mm_storeu_si128((__m128i *)(void *)a->u.b, _mm_cvtsi32_si128((int)w));
#else
    const struct ot_addr t = {.u.w = {w, 0, 0, 0}};
    *a = t;
#endif
}

/* Render as text, exactly as inet_ntop() does; `out` needs 46 bytes. Returns the length. */
size_t ot_addr_fmt(const struct ot_addr *a, bool v6, char *out);

#define OT_PKT_IPV4        0x0001
#define OT_PKT_IPV6        0x0002
#define OT_PKT_TCP         0x0004
#define OT_PKT_UDP         0x0008
#define OT_PKT_ICMP        0x0010 /* ICMP or ICMPv6 */
#define OT_PKT_REASSEMBLED 0x0020 /* payload is a reassembled IP datagram */
#define OT_PKT_TUNNELLED   0x0040 /* inner packet of GRE/VXLAN/ERSPAN/IP-in-IP/MPLS pseudowire */
#define OT_PKT_L4_TRUNC    0x0080 /* transport header present, payload cut by snaplen */
#define OT_PKT_HAS_MAC     0x0100 /* eth_src/eth_dst valid (outermost Ethernet) */

/* TCP flag bits as on the wire. */
#define OT_TH_FIN 0x01
#define OT_TH_SYN 0x02
#define OT_TH_RST 0x04
#define OT_TH_PSH 0x08
#define OT_TH_ACK 0x10
#define OT_TH_URG 0x20
#define OT_TH_ECE 0x40
#define OT_TH_CWR 0x80

/* VLAN tags kept per frame (802.1Q, QinQ), as Suricata's EVE keeps them. */
#define OT_VLAN_MAX 3

struct ot_packet {
    uint64_t ts_us;   /* capture time, microseconds since the epoch */
    uint32_t caplen;  /* bytes captured */
    uint32_t wirelen; /* bytes on the wire */
    uint32_t flags;   /* OT_PKT_* */

    const uint8_t *eth_src; /* 6 bytes, when OT_PKT_HAS_MAC */
    const uint8_t *eth_dst;

    uint16_t vlan[OT_VLAN_MAX]; /* VLAN ids, outermost first (0 when absent) */
    uint8_t vlan_count;
    uint8_t tunnel_depth;

    /* Innermost IP header. */
    const uint8_t *l3;  /* start of the innermost IP header (nDPI wants it) */
    uint32_t l3_caplen; /* bytes available from l3 (bounded by ip_len) */
    struct ot_addr src, dst;
    uint8_t ip_proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, ... */
    uint8_t ttl;
    uint32_t ip_len; /* length of the innermost IP datagram (header + payload) */

    /* Transport. */
    uint16_t sp, dp; /* ports; for ICMP: sp = type, dp = code (as Community ID does) */
    uint8_t tcp_flags;
    uint8_t icmp_type, icmp_code;
    uint16_t tcp_win;
    uint32_t tcp_seq, tcp_ack;

    const uint8_t *payload; /* transport payload (after TCP/UDP/ICMP header) */
    uint32_t payload_len;   /* bytes available at payload */
};

/*
 * Every way a frame can be rejected or skipped: one counter each.
 *
 * A frame that returns OT_DECODE_ERROR has incremented exactly one of the
 * rejecting counters; one that returns OT_DECODE_SKIP exactly one of non_ip,
 * pppoe_not_ip.  A few counters are events rather than rejections and may be
 * incremented by a frame whatever it returns:
 *   vlan_too_deep      a fourth or deeper 802.1Q tag: counted once per run of
 *                      tags, ignored (p->vlan keeps the three outermost ids)
 *                      and decoding goes on
 *   other_ip_proto     an IP protocol we do not look into (ESP, SCTP, ...),
 *                      including IPv6 no-next-header: the packet is still OK
 *   gre_unsupported    GRE version or routing we do not decode, and
 *   erspan_unsupported ERSPAN version or frame type we do not decode: p
 *                      describes the outer (GRE) packet, result OK
 *   non_ip, pppoe_not_ip  also count a tunnel whose payload is not IP (ARP
 *                      over GRE, PPTP control or encrypted PPP): p then
 *                      describes the outer packet, result OK
 *   ipv4_tso_len       an outermost IPv4 TCP packet with total length 0, as
 *                      segmentation offload leaves it in captures taken on the
 *                      sending host: its length is taken from the capture
 *                      (also a TCP or UDP packet above 64 KiB in a tunnel)
 *   ipv6_jumbogram     an IPv6 jumbogram (RFC 2675): payload length 0, the
 *                      length in the hop-by-hop Jumbo Payload option
 *   ipv6_tso_len       an IPv6 TCP or UDP packet with payload length 0 and
 *                      more than 65,535 bytes after the header, as Linux's
 *                      BIG TCP leaves it in captures on the sending host
 *   frag_overlap       a fragment overlapped data already held (first wins)
 *   frag_timeout       a datagram expired incomplete (counted per datagram)
 *   frag_table_full    the reassembly table or byte budget was full: the
 *                      oldest datagrams were dropped (counted once per frame;
 *                      the frame is rejected only if it still does not fit)
 */
#define OT_DECODE_COUNTERS(X)                                                                      \
    X(unsupported_linktype)                                                                        \
    X(ethernet_truncated)                                                                          \
    X(vlan_truncated)                                                                              \
    X(vlan_too_deep)                                                                               \
    X(sll_truncated)                                                                               \
    X(null_truncated)                                                                              \
    X(ppp_truncated)                                                                               \
    X(nflog_truncated)                                                                             \
    X(nflog_bad_header)                                                                            \
    X(raw_not_ip)                                                                                  \
    X(pppoe_truncated)                                                                             \
    X(pppoe_bad_header)                                                                            \
    X(pppoe_not_ip)                                                                                \
    X(mpls_truncated)                                                                              \
    X(mpls_bad_payload)                                                                            \
    X(ipv4_truncated)                                                                              \
    X(ipv4_bad_version)                                                                            \
    X(ipv4_bad_header_len)                                                                         \
    X(ipv4_bad_total_len)                                                                          \
    X(ipv4_bad_options)                                                                            \
    X(ipv4_tso_len)                                                                                \
    X(ipv6_truncated)                                                                              \
    X(ipv6_bad_version)                                                                            \
    X(ipv6_bad_payload_len)                                                                        \
    X(ipv6_bad_exthdr)                                                                             \
    X(ipv6_jumbogram)                                                                              \
    X(ipv6_tso_len)                                                                                \
    X(frag_overlap)                                                                                \
    X(frag_too_large)                                                                              \
    X(frag_table_full)                                                                             \
    X(frag_timeout)                                                                                \
    X(frag_invalid)                                                                                \
    X(frag_too_many_pieces)                                                                        \
    X(gre_truncated)                                                                               \
    X(gre_unsupported)                                                                             \
    X(vxlan_truncated)                                                                             \
    X(geneve_truncated)                                                                            \
    X(gtp_truncated)                                                                               \
    X(erspan_truncated)                                                                            \
    X(erspan_unsupported)                                                                          \
    X(tunnel_too_deep)                                                                             \
    X(tcp_truncated)                                                                               \
    X(tcp_bad_header_len)                                                                          \
    X(udp_truncated)                                                                               \
    X(udp_bad_len)                                                                                 \
    X(icmp_truncated)                                                                              \
    X(non_ip)                                                                                      \
    X(other_ip_proto)

enum ot_decode_counter {
#define OT_X_ENUM(name) OT_DEC_##name,
    OT_DECODE_COUNTERS(OT_X_ENUM)
#undef OT_X_ENUM
        OT_DEC__COUNT
};

extern const char *const ot_decode_counter_names[OT_DEC__COUNT];

enum ot_decode_result {
    OT_DECODE_OK = 0,    /* an IP packet; transport fields valid per flags */
    OT_DECODE_SKIP = 1,  /* not IP (ARP, LLDP, ...): counted as non_ip, nothing to do */
    OT_DECODE_HELD = 2,  /* an IP fragment kept for reassembly */
    OT_DECODE_ERROR = 3, /* malformed; one counter incremented */
};

/* Tunnels (GRE, VXLAN, IP-in-IP, MPLS pseudowire) nest at most this deep. */
#define OT_DECODE_MAX_TUNNEL_DEPTH 4

struct ot_decode_config {
    uint32_t frag_max_datagrams; /* reassembly contexts in flight (default 1024) */
    uint32_t frag_max_bytes;     /* memory for all fragments held (default 8 MiB) */
    uint32_t frag_timeout_us;    /* drop incomplete datagrams after (default 30 s) */
};

struct ot_defrag; /* opaque: decode/decode-internal.h, decode/defrag.c */

/*
 * An IP datagram that never became a packet: reassembly gave up on its
 * fragments (they contradicted each other, the rest never came, or the
 * table was full).  Its addresses were seen on the wire all the same, so
 * the sensor still matches them against indicators (an attacker must not be
 * able to hide a listed address behind bad fragments).
 */
struct ot_lost_datagram {
    struct ot_addr src, dst;
    bool v6;
    uint8_t ip_proto;  /* IPv4's; for IPv6 the first fragment's payload protocol, or 0 */
    uint64_t first_us; /* time of its first fragment */
};

struct ot_decoder {
    struct ot_decode_config cfg;
    struct ot_defrag *defrag;
    uint64_t counters[OT_DEC__COUNT];
    /* Called for each datagram reassembly gives up on (may be NULL). */
    void (*on_lost)(void *ctx, const struct ot_lost_datagram *g);
    void *lost_ctx;
};

void ot_decode_config_defaults(struct ot_decode_config *cfg);
int ot_decoder_init(struct ot_decoder *d, const struct ot_decode_config *cfg);
void ot_decoder_free(struct ot_decoder *d);

/* Give up the datagrams that waited for fragments longer than frag-timeout (packet time). */
void ot_decoder_expire(struct ot_decoder *d, uint64_t now_us);
/* The end of the input: every datagram still waiting for fragments is given up (on_lost). */
void ot_decoder_flush(struct ot_decoder *d);

/* Does the decoder understand this pcap link type? */
bool ot_decode_linktype_supported(int dlt);

/* Decode one frame. `p` is fully overwritten. See enum ot_decode_result. */
enum ot_decode_result ot_decode(struct ot_decoder *d, int dlt, const uint8_t *frame,
                                uint32_t caplen, uint32_t wirelen, uint64_t ts_us,
                                struct ot_packet *p /* OUT */);

#endif
