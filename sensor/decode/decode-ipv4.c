/*
 * IPv4 (RFC 791).
 *
 * Checks: version, header length (20..60 bytes, all captured), total length
 * (at least the header; not past the captured bytes unless the capture's
 * snap length cut the frame, in which case the packet is decoded as far as
 * it goes and flagged OT_PKT_L4_TRUNC; 0 is accepted for offloaded TCP
 * segments, see tso_frame()), and the option list (every option's
 * length inside the header).  A total length shorter than what was captured
 * trims the rest (Ethernet padding, trailers).  The header checksum is not
 * verified: captures taken on the sending host carry offloaded, unfilled
 * checksums.  Fragments go to reassembly (defrag.c).  An authentication
 * header (AH) is skipped, as in IPv6, so p describes the protocol it protects.
 */
#include <string.h>

#include "decode/decode-internal.h"

#define IPV4_HLEN   20
#define IPV4_MF     0x2000
#define IPV4_OFFSET 0x1fff

/* The option list is well formed: hosts drop a packet whose options are not. */
static bool options_ok(const uint8_t *o, uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        uint8_t type = o[i];
        if (type == 0) /* end of list: the rest is padding */
            return true;
        if (type == 1) { /* no-op */
            i++;
            continue;
        }
        if (n - i < 2)
            return false;
        uint8_t olen = o[i + 1];
        if (olen < 2 || olen > n - i)
            return false;
        i += olen;
    }
    return true;
}

/*
 * A TCP segment built by segmentation offload, captured on the sending host
 * before the NIC cut it up, may carry a total length of 0 (Windows LSO,
 * Linux BIG TCP).  Taken as "the whole capture" for the outermost,
 * unfragmented, uncut TCP packet, as Wireshark and Zeek do.  A BIG TCP
 * segment sent through a tunnel (VXLAN, GRE) zeroes the length of the outer
 * UDP datagram and of the inner packet too: those are taken likewise, but
 * only when more than 65,535 bytes are there, which the field cannot say.
 * Anywhere else a zero length is malformed.
 */
static bool tso_frame(const struct ot_packet *p, const uint8_t *data, uint32_t len, unsigned depth)
{
    if ((ot_be16(data + 6) & 0x3fff) || ot_frame_cut(p) || len <= 20)
        return false;
    if (data[9] == OT_IPPROTO_TCP && depth == 0)
        return true;
    return (data[9] == OT_IPPROTO_TCP || data[9] == OT_IPPROTO_UDP) && len > 0xffff;
}

/*
 * Skip AH (RFC 4302): it authenticates but does not hide what follows.  A
 * header longer than what is there is ipv4_truncated when the capture cut
 * it, ipv4_bad_total_len when the datagram itself is too short.
 */
static enum ot_decode_result ipv4_l4(struct ot_decoder *d, struct ot_packet *p, uint8_t proto,
                                     const uint8_t *data, uint32_t len, unsigned depth)
{
    while (OT_UNLIKELY(proto == OT_IPPROTO_AH)) {
        uint32_t hl = len >= 8 ? ((uint32_t)data[1] + 2) * 4 : 8;
        if (hl > len)
            return ot_dec_err(d, (p->flags & OT_PKT_L4_TRUNC) ? OT_DEC_ipv4_truncated
                                                              : OT_DEC_ipv4_bad_total_len);
        proto = data[0];
        data += hl;
        len -= hl;
    }
    return ot_decode_l4(d, p, proto, data, len, depth);
}

/* Out of line: its frame would otherwise be paid by every unfragmented packet. */
__attribute__((noinline)) static enum ot_decode_result
fragment(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data, uint32_t hlen,
         uint32_t len, uint32_t total, uint16_t fo, unsigned depth)
{
    struct ot_frag f = {
        .hdr = data,
        .data = data + hlen,
        .len = len - hlen,
        .wire_len = total - hlen,
        .offset = (uint32_t)(fo & IPV4_OFFSET) * 8u,
        .id = ot_be16(data + 4),
        .hdr_len = hlen,
        .proto = data[9],
        .more = (fo & IPV4_MF) != 0,
        .v6 = false,
    };
    struct ot_frag_out out;
    enum ot_decode_result r = ot_defrag_add(d, p, &f, depth, &out);
    if (r != OT_DECODE_OK)
        return r;
    p->flags = (p->flags & ~OT_PKT_L4_TRUNC) | OT_PKT_REASSEMBLED;
    p->ip_len = out.hdr_len + out.len;
    p->l3 = out.l3;
    p->l3_caplen = out.l3 ? p->ip_len : 0;
    return ipv4_l4(d, p, out.proto, out.data, out.len, depth);
}

enum ot_decode_result ot_decode_ipv4(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < IPV4_HLEN))
        return ot_dec_err(d, OT_DEC_ipv4_truncated);
    if (OT_UNLIKELY((data[0] >> 4) != 4))
        return ot_dec_err(d, OT_DEC_ipv4_bad_version);
    uint32_t hlen = (data[0] & 0x0fu) * 4u;
    if (OT_UNLIKELY(hlen < IPV4_HLEN))
        return ot_dec_err(d, OT_DEC_ipv4_bad_header_len);
    if (OT_UNLIKELY(hlen > len))
        return ot_dec_err(d, OT_DEC_ipv4_truncated);
    uint32_t total = ot_be16(data + 2);
    if (OT_UNLIKELY(total < hlen)) {
        if (total != 0 || !tso_frame(p, data, len, depth))
            return ot_dec_err(d, OT_DEC_ipv4_bad_total_len);
        d->counters[OT_DEC_ipv4_tso_len]++;
        total = len;
    }

    uint32_t flags = (p->flags & ~OT_PKT_L3L4_MASK_) | OT_PKT_IPV4;
    if (OT_LIKELY(total <= len)) {
        len = total;
    } else {
        if (!ot_frame_cut(p))
            return ot_dec_err(d, OT_DEC_ipv4_bad_total_len);
        flags |= OT_PKT_L4_TRUNC;
    }
    if (hlen > IPV4_HLEN && OT_UNLIKELY(!options_ok(data + IPV4_HLEN, hlen - IPV4_HLEN)))
        return ot_dec_err(d, OT_DEC_ipv4_bad_options);

    p->flags = flags;
    ot_addr_set_v4(&p->src, data + 12);
    ot_addr_set_v4(&p->dst, data + 16);
    p->ttl = data[8];
    p->ip_len = total;
    p->l3 = data;
    p->l3_caplen = len;
    p->ip_proto = data[9];

    uint16_t fo = ot_be16(data + 6);
    if (OT_UNLIKELY(fo & (IPV4_MF | IPV4_OFFSET)))
        return fragment(d, p, data, hlen, len, total, fo, depth);
    return ipv4_l4(d, p, data[9], data + hlen, len - hlen, depth);
}
