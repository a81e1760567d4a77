/*
 * IPv6 (RFC 8200) and its extension headers.
 *
 * The fixed header is checked (version; payload length not past the
 * captured bytes unless the snap length cut the frame, as for IPv4; a
 * payload length of 0 with bytes after the header is a jumbogram or a
 * segment built by the capturing host's offload, see zero_payload_len()), then
 * the chain is walked: hop-by-hop (only first, as hosts require),
 * destination options, routing, AH, and fragment.  A fragment with offset 0
 * and no more-fragments bit (an "atomic" fragment, RFC 6946) is skipped like
 * any other header; real fragments go to reassembly (defrag.c) and the
 * reassembled fragmentable part is walked again from the fragment header's
 * next header.  ESP, no-next-header and unknown protocols end the chain.
 * The walk is a loop bounded by the bytes present (each header is at least
 * 8 bytes).
 */
#include <string.h>

#include "decode/decode-internal.h"

#define IPV6_HLEN 40

#define NH_HOPOPTS  0
#define NH_ROUTING  43
#define NH_FRAGMENT 44
#define NH_AH       51
#define NH_DSTOPTS  60

/* Out of line: its frame would otherwise be paid by every unfragmented packet. */
__attribute__((noinline)) static enum ot_decode_result
fragment(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data, uint32_t off, uint32_t end,
         uint32_t wire_end, uint32_t nh_off, unsigned depth)
{
    const uint8_t *fh = data + off;
    uint16_t fo = ot_be16(fh + 2);
    struct ot_frag f = {
        .hdr = data,
        .data = fh + 8,
        .len = end - off - 8,
        .wire_len = wire_end - off - 8,
        .offset = fo & 0xfff8u,
        .id = ot_be32(fh + 4),
        .hdr_len = off,
        .nh_off = nh_off,
        .proto = fh[0],
        .more = (fo & 1) != 0,
        .v6 = true,
    };
    p->ip_proto = fh[0];
    struct ot_frag_out out;
    enum ot_decode_result r = ot_defrag_add(d, p, &f, depth, &out);
    if (r != OT_DECODE_OK)
        return r;
    p->flags = (p->flags & ~OT_PKT_L4_TRUNC) | OT_PKT_REASSEMBLED;
    p->ip_len = out.hdr_len + out.len;
    p->l3 = out.l3;
    p->l3_caplen = out.l3 ? p->ip_len : 0;
    return ot_decode_ipv6_reassembled(d, p, out.proto, out.data, out.len, depth);
}

/*
 * Payload length 0 with bytes after the fixed header.  Either a jumbogram
 * (RFC 2675): the first header is hop-by-hop and its Jumbo Payload option
 * holds the length, above 65,535; or a TCP or UDP segment that the capturing
 * host's segmentation offload built above 64 KiB (Linux "BIG TCP"), which the
 * kernel hands to the capture with no option: the length is then what the
 * frame holds, accepted only when that is more than the 16-bit field could
 * say and the snap length did not cut the frame.  Anything else keeps the
 * payload length 0 (an empty packet, the rest is padding).  Counted as
 * ipv6_jumbogram or ipv6_tso_len.
 */
__attribute__((noinline)) static enum ot_decode_result
zero_payload_len(struct ot_decoder *d, const struct ot_packet *p, const uint8_t *data, uint32_t len,
                 uint32_t *wire_end)
{
    uint8_t nh = data[6];
    if (nh == NH_HOPOPTS) {
        enum ot_decode_counter bad =
            ot_frame_cut(p) ? OT_DEC_ipv6_truncated : OT_DEC_ipv6_bad_exthdr;
        if (len - IPV6_HLEN < 8)
            return ot_dec_err(d, bad);
        uint32_t end = IPV6_HLEN + ((uint32_t)data[IPV6_HLEN + 1] + 1) * 8;
        if (end > len)
            return ot_dec_err(d, bad);
        for (uint32_t i = IPV6_HLEN + 2; i < end;) {
            if (data[i] == 0) { /* Pad1 */
                i++;
                continue;
            }
            if (end - i < 2 || data[i + 1] > end - i - 2)
                return ot_dec_err(d, OT_DEC_ipv6_bad_exthdr);
            if (data[i] == 0xc2) { /* Jumbo Payload */
                uint32_t jumbo = data[i + 1] == 4 ? ot_be32(data + i + 2) : 0;
                if (jumbo <= 0xffff || jumbo > UINT32_MAX - IPV6_HLEN ||
                    (IPV6_HLEN + jumbo > len && !ot_frame_cut(p)))
                    return ot_dec_err(d, OT_DEC_ipv6_bad_payload_len);
                *wire_end = IPV6_HLEN + jumbo;
                d->counters[OT_DEC_ipv6_jumbogram]++;
                return OT_DECODE_OK;
            }
            i += 2u + data[i + 1];
        }
        /* Length 0 and a header present, but no option saying how long. */
        return ot_dec_err(d, OT_DEC_ipv6_bad_payload_len);
    }
    if ((nh == OT_IPPROTO_TCP || nh == OT_IPPROTO_UDP) && !ot_frame_cut(p) &&
        len - IPV6_HLEN > 0xffff) {
        *wire_end = len;
        d->counters[OT_DEC_ipv6_tso_len]++;
    }
    return OT_DECODE_OK;
}

/*
 * Walk the chain in data[off, end) starting with next header `nh`.
 * `wire_end` is where the payload ends per the header (past `end` when the
 * capture cut it); `in_frag` says we walk a reassembled fragmentable part,
 * where neither hop-by-hop nor another fragment header may appear.
 */
static enum ot_decode_result walk(struct ot_decoder *d, struct ot_packet *p, uint8_t nh,
                                  const uint8_t *data, uint32_t off, uint32_t end,
                                  uint32_t wire_end, unsigned depth, bool in_frag)
{
    bool first = !in_frag;
    uint32_t nh_off = 6; /* where the current next-header value was read */
    for (;; first = false) {
        uint32_t hl;
        switch (nh) {
        case NH_HOPOPTS:
            if (!first)
                return ot_dec_err(d, OT_DEC_ipv6_bad_exthdr);
            /* fall through */
        case NH_ROUTING:
        case NH_DSTOPTS:
            if (end - off < 8)
                goto truncated;
            hl = ((uint32_t)data[off + 1] + 1) * 8;
            break;
        case NH_AH:
            if (end - off < 8)
                goto truncated;
            hl = ((uint32_t)data[off + 1] + 2) * 4;
            break;
        case NH_FRAGMENT:
            if (in_frag)
                return ot_dec_err(d, OT_DEC_ipv6_bad_exthdr);
            if (end - off < 8)
                goto truncated;
            if ((ot_be16(data + off + 2) & 0xfff9u) != 0)
                return fragment(d, p, data, off, end, wire_end, nh_off, depth);
            hl = 8; /* atomic fragment */
            break;
        default:
            return ot_decode_l4(d, p, nh, data + off, end - off, depth);
        }
        if (end - off < hl)
            goto truncated;
        nh = data[off];
        nh_off = off;
        off += hl;
    }
truncated:
    /* Cut by the snap length, or a header claiming more than the payload holds. */
    return ot_dec_err(d, (p->flags & OT_PKT_L4_TRUNC) ? OT_DEC_ipv6_truncated
                                                      : OT_DEC_ipv6_bad_exthdr);
}

enum ot_decode_result ot_decode_ipv6(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < IPV6_HLEN))
        return ot_dec_err(d, OT_DEC_ipv6_truncated);
    if (OT_UNLIKELY((data[0] >> 4) != 6))
        return ot_dec_err(d, OT_DEC_ipv6_bad_version);
    uint32_t wire_end = IPV6_HLEN + (uint32_t)ot_be16(data + 4);
    if (OT_UNLIKELY(wire_end == IPV6_HLEN) && len > IPV6_HLEN) {
        enum ot_decode_result r = zero_payload_len(d, p, data, len, &wire_end);
        if (r != OT_DECODE_OK)
            return r;
    }
    uint32_t flags = (p->flags & ~OT_PKT_L3L4_MASK_) | OT_PKT_IPV6;
    if (OT_LIKELY(wire_end <= len)) {
        len = wire_end;
    } else {
        if (!ot_frame_cut(p))
            return ot_dec_err(d, OT_DEC_ipv6_bad_payload_len);
        flags |= OT_PKT_L4_TRUNC;
    }
    p->flags = flags;
    memcpy(p->src.u.b, data + 8, 16);
    memcpy(p->dst.u.b, data + 24, 16);
    p->ttl = data[7];
    p->ip_len = wire_end;
    p->l3 = data;
    p->l3_caplen = len;
    p->ip_proto = data[6];
    return walk(d, p, data[6], data, IPV6_HLEN, len, wire_end, depth, false);
}

enum ot_decode_result ot_decode_ipv6_reassembled(struct ot_decoder *d, struct ot_packet *p,
                                                 uint8_t nh, const uint8_t *data, uint32_t len,
                                                 unsigned depth)
{
    return walk(d, p, nh, data, 0, len, len, depth, true);
}
