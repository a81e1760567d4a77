/*
 * ERSPAN, Cisco's remote mirroring over GRE (draft-foschiano-erspan).
 *
 * Type II (GRE 0x88be with a sequence number): 8-byte header, version 1,
 * then the mirrored Ethernet frame.  Type III (GRE 0x22eb): 12-byte header,
 * version 2, plus an 8-byte platform sub-header when the O bit is set; the
 * frame type says Ethernet (0) or a bare IP packet (2).  Type I has no
 * header and is handled in decode-gre.c.  The mirrored frame is decoded as
 * the inner packet; the header's VLAN and session id are not recorded.  A
 * version or frame type we do not know counts erspan_unsupported and leaves
 * p describing the GRE packet (see ot_tunnel_leave()).
 */
#include "decode/decode-internal.h"

#define ERSPAN2_HLEN 8
#define ERSPAN3_HLEN 12

enum ot_decode_result ot_decode_erspan2(struct ot_decoder *d, struct ot_packet *p,
                                        const uint8_t *data, uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < ERSPAN2_HLEN))
        return ot_dec_err(d, OT_DEC_erspan_truncated);
    if ((data[0] >> 4) != 1) {
        d->counters[OT_DEC_erspan_unsupported]++;
        return OT_DECODE_SKIP;
    }
    return ot_decode_ethernet(d, p, data + ERSPAN2_HLEN, len - ERSPAN2_HLEN, depth);
}

enum ot_decode_result ot_decode_erspan3(struct ot_decoder *d, struct ot_packet *p,
                                        const uint8_t *data, uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < ERSPAN3_HLEN))
        return ot_dec_err(d, OT_DEC_erspan_truncated);
    if ((data[0] >> 4) != 2) {
        d->counters[OT_DEC_erspan_unsupported]++;
        return OT_DECODE_SKIP;
    }
    uint16_t w = ot_be16(data + 10); /* P | FT(5) | HW id(6) | D | Gra(2) | O */
    uint32_t hl = ERSPAN3_HLEN + ((w & 1) ? 8 : 0);
    if (OT_UNLIKELY(len < hl))
        return ot_dec_err(d, OT_DEC_erspan_truncated);
    switch ((w >> 10) & 0x1f) {
    case 0:
        return ot_decode_ethernet(d, p, data + hl, len - hl, depth);
    case 2:
        if (len > hl && (data[hl] >> 4) == 6)
            return ot_decode_ipv6(d, p, data + hl, len - hl, depth);
        return ot_decode_ipv4(d, p, data + hl, len - hl, depth);
    }
    d->counters[OT_DEC_erspan_unsupported]++;
    return OT_DECODE_SKIP;
}
