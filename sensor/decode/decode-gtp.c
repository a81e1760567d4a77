/*
 * GTP-U (3GPP TS 29.281) on UDP port 2152: the user-plane tunnel of mobile
 * networks, seen where a capture taps a mobile core or a 4G/5G router's
 * backhaul.  An 8-byte header (version 1, protocol type GTP, the E/S/PN
 * flags, message type, length, TEID); with any of E/S/PN set, 4 more bytes
 * (sequence number, N-PDU number, next extension header type), then the
 * chain of extension headers, each a multiple of 4 bytes whose last byte is
 * the next type.  Only a G-PDU (message type 255) carries a user packet,
 * which starts with its IP header.  A payload that is not GTP-U version 1
 * leaves p describing the UDP packet; signalling messages (echo, error
 * indication, end marker) and a G-PDU whose content is not IPv4 or IPv6
 * count non_ip as a tunnel carrying no IP does.
 * Headers cut short are gtp_truncated.
 */
#include "decode/decode-internal.h"

#define GTP_HLEN 8
#define GTP_OPT  4
#define GTP_GPDU 255

enum ot_decode_result ot_decode_gtpu(struct ot_decoder *d, struct ot_packet *p,
                                     const uint8_t *data, uint32_t len, unsigned depth)
{
    /* Version 1 and PT = 1 (GTP, not GTP'). */
    if (len < GTP_HLEN || (data[0] & 0xf0) != 0x30)
        return OT_DECODE_OK;
    if (data[1] != GTP_GPDU) {
        d->counters[OT_DEC_non_ip]++;
        return OT_DECODE_OK;
    }
    uint32_t off = GTP_HLEN;
    if (data[0] & 0x07) { /* E, S or PN: the optional word is there */
        if (len < GTP_HLEN + GTP_OPT)
            return ot_dec_err(d, OT_DEC_gtp_truncated);
        uint8_t next = data[GTP_HLEN + 3];
        off += GTP_OPT;
        /* Each extension header is at least 4 bytes: the loop ends with the bytes. */
        while ((data[0] & 0x04) && next != 0) {
            if (len - off < 1 || data[off] == 0)
                return ot_dec_err(d, OT_DEC_gtp_truncated);
            uint32_t el = (uint32_t)data[off] * 4u;
            if (len - off < el)
                return ot_dec_err(d, OT_DEC_gtp_truncated);
            next = data[off + el - 1];
            off += el;
        }
    }
    if (len - off < 1) /* an empty G-PDU */
        return ot_dec_err(d, OT_DEC_gtp_truncated);
    uint8_t version = data[off] >> 4;
    if (version != 4 && version != 6) { /* a PPP or Ethernet PDU, or not a packet */
        d->counters[OT_DEC_non_ip]++;
        return OT_DECODE_OK;
    }
    struct ot_tunnel_save s;
    if (!ot_tunnel_enter(d, p, depth, &s))
        return OT_DECODE_ERROR;
    return ot_tunnel_leave(p, &s, ot_decode_raw(d, p, data + off, len - off, depth + 1));
}
