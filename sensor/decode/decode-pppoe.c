/*
 * PPPoE session stage (RFC 2516, ethertype 0x8864): a 6-byte header, then a
 * PPP protocol field.  IPv4 (0x0021) and IPv6 (0x0057) are decoded; LCP,
 * IPCP, authentication and the like count pppoe_not_ip.  The discovery
 * stage (0x8863) never carries IP and is skipped as non_ip by the ethertype
 * table.  A length field past the frame (not cut by the snap length) is
 * pppoe_truncated; one shorter than the frame is not used to trim it, as
 * some access concentrators get it wrong (Wireshark flags it, Suricata and
 * Zeek decode on): the IP total length trims the Ethernet padding instead.
 */
#include "decode/decode-internal.h"

#define PPPOE_HLEN 6

enum ot_decode_result ot_decode_pppoe(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < PPPOE_HLEN))
        return ot_dec_err(d, OT_DEC_pppoe_truncated);
    /* Version 1, type 1; code 0 in the session stage. */
    if (OT_UNLIKELY(data[0] != 0x11 || data[1] != 0x00))
        return ot_dec_err(d, OT_DEC_pppoe_bad_header);
    uint32_t plen = ot_be16(data + 4);
    data += PPPOE_HLEN;
    len -= PPPOE_HLEN;
    if (OT_UNLIKELY(plen > len) && !ot_frame_cut(p))
        return ot_dec_err(d, OT_DEC_pppoe_truncated);
    return ot_decode_ppp_proto(d, p, data, len, depth, false, OT_DEC_pppoe_truncated,
                               OT_DEC_pppoe_not_ip);
}
