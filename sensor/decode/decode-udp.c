/*
 * UDP (RFC 768).  The length field is authoritative: shorter than what the
 * IP header gave, it trims the payload; longer, it is udp_bad_len unless the
 * snap length cut the packet; 0 is the length of a datagram above 64 KiB.
 * Port 4789 is tried as VXLAN, 4790 as VXLAN-GPE (decode-vxlan.c) and 6081
 * as Geneve (decode-geneve.c), 2152 as GTP-U (decode-gtp.c), each leaving p
 * describing this UDP packet when the payload is not what the port says.
 */
#include "decode/decode-internal.h"

#define UDP_HLEN 8

enum ot_decode_result ot_decode_udp(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < UDP_HLEN))
        return ot_dec_err(d, OT_DEC_udp_truncated);
    uint32_t ulen = ot_be16(data + 4);
    if (OT_UNLIKELY(ulen < UDP_HLEN)) {
        /* Above 64 KiB (a jumbogram, RFC 2675 section 4, or an offloaded
         * segment) the field is 0: the IP layer's length stands, and so does
         * its word on whether the capture cut the datagram. */
        bool big = len > 0xffff || ((p->flags & OT_PKT_L4_TRUNC) && p->ip_len > 0xffff);
        if (ulen != 0 || !big)
            return ot_dec_err(d, OT_DEC_udp_bad_len);
    } else if (OT_LIKELY(ulen <= len)) {
        len = ulen;
        p->flags &= ~OT_PKT_L4_TRUNC;
    } else if (!(p->flags & OT_PKT_L4_TRUNC)) {
        return ot_dec_err(d, OT_DEC_udp_bad_len);
    }
    p->flags |= OT_PKT_UDP;
    p->sp = ot_be16(data);
    p->dp = ot_be16(data + 2);
    p->payload = data + UDP_HLEN;
    p->payload_len = len - UDP_HLEN;
    switch (p->dp) {
    case OT_VXLAN_PORT:
        return ot_decode_vxlan(d, p, data + UDP_HLEN, len - UDP_HLEN, depth);
    case OT_VXLAN_GPE_PORT:
        return ot_decode_vxlan_gpe(d, p, data + UDP_HLEN, len - UDP_HLEN, depth);
    case OT_GENEVE_PORT:
        return ot_decode_geneve(d, p, data + UDP_HLEN, len - UDP_HLEN, depth);
    case OT_GTPU_PORT:
        return ot_decode_gtpu(d, p, data + UDP_HLEN, len - UDP_HLEN, depth);
    }
    return OT_DECODE_OK;
}
