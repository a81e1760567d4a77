/*
 * GRE (RFC 2784/2890 version 0; RFC 2637 version 1, PPTP).
 *
 * Version 0: optional checksum, key and sequence words, then the payload
 * named by the protocol type: IPv4, IPv6, MPLS, transparent Ethernet
 * bridging (0x6558), ERSPAN type I/II (0x88be; type I when the sequence bit
 * is clear) and type III (0x22eb).  Version 1 carries PPP: IPv4 and IPv6
 * inside are decoded; PPP control and encrypted (MPPE) frames are not IP.
 *
 * GRE is a tunnel: the inner IP packet is what p describes.  When the inner
 * payload is not IP, or the GRE variant is one we do not decode (other
 * versions, RFC 1701 routing: gre_unsupported), p describes the GRE packet
 * itself and the result is OK, so the tunnel still shows up as a flow.
 */
#include "decode/decode-internal.h"

#define GRE_C   0x8000
#define GRE_R   0x4000
#define GRE_K   0x2000
#define GRE_S   0x1000
#define GRE_A   0x0080 /* version 1: acknowledgment number present */
#define GRE_VER 0x0007

static enum ot_decode_result gre_v0(struct ot_decoder *d, struct ot_packet *p, uint16_t fl,
                                    uint16_t proto, const uint8_t *data, uint32_t len,
                                    unsigned depth)
{
    switch (proto) {
    case OT_ETHERTYPE_TEB:
        return ot_decode_ethernet(d, p, data, len, depth);
    case OT_ETHERTYPE_ERSPAN2:
        if (fl & GRE_S)
            return ot_decode_erspan2(d, p, data, len, depth);
        return ot_decode_ethernet(d, p, data, len, depth); /* ERSPAN type I: no header */
    case OT_ETHERTYPE_ERSPAN3:
        return ot_decode_erspan3(d, p, data, len, depth);
    }
    return ot_decode_ethertype(d, p, proto, data, len, depth);
}

static enum ot_decode_result gre_v1(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth)
{
    return ot_decode_ppp_proto(d, p, data, len, depth, true, OT_DEC_gre_truncated, OT_DEC_non_ip);
}

enum ot_decode_result ot_decode_gre(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < 4))
        return ot_dec_err(d, OT_DEC_gre_truncated);
    uint16_t fl = ot_be16(data);
    uint16_t proto = ot_be16(data + 2);
    uint32_t hl;
    uint32_t ver = fl & GRE_VER;

    if (ver == 0) {
        if (fl & GRE_R) {
            d->counters[OT_DEC_gre_unsupported]++;
            return OT_DECODE_OK;
        }
        hl = 4 + ((fl & GRE_C) ? 4 : 0) + ((fl & GRE_K) ? 4 : 0) + ((fl & GRE_S) ? 4 : 0);
        if (OT_UNLIKELY(len < hl))
            return ot_dec_err(d, OT_DEC_gre_truncated);
    } else if (ver == 1 && proto == OT_ETHERTYPE_PPP && (fl & GRE_K) && !(fl & (GRE_C | GRE_R))) {
        /* Key word: payload length, call id. */
        hl = 8 + ((fl & GRE_S) ? 4 : 0) + ((fl & GRE_A) ? 4 : 0);
        if (OT_UNLIKELY(len < hl))
            return ot_dec_err(d, OT_DEC_gre_truncated);
        uint32_t plen = ot_be16(data + 4);
        if (plen == 0) /* acknowledgment only */
            return OT_DECODE_OK;
        if (plen < len - hl)
            len = hl + plen;
    } else {
        d->counters[OT_DEC_gre_unsupported]++;
        return OT_DECODE_OK;
    }

    struct ot_tunnel_save s;
    if (!ot_tunnel_enter(d, p, depth, &s))
        return OT_DECODE_ERROR;
    enum ot_decode_result r = ver == 0 ? gre_v0(d, p, fl, proto, data + hl, len - hl, depth + 1)
                                       : gre_v1(d, p, data + hl, len - hl, depth + 1);
    return ot_tunnel_leave(p, &s, r);
}
