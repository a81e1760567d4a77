/*
 * VXLAN (RFC 7348) on UDP port 4789: an 8-byte header (flags with the I bit,
 * 24-bit VNI) then an Ethernet frame, decoded as a tunnel.  A payload too
 * short for the header, or without the I bit, is not VXLAN: p keeps
 * describing the UDP packet.  A VXLAN header with less than an Ethernet
 * header after it is vxlan_truncated.
 */
#include "decode/decode-internal.h"

#define VXLAN_HLEN 8
#define VXLAN_I    0x08

enum ot_decode_result ot_decode_vxlan(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth)
{
    if (len < VXLAN_HLEN || !(data[0] & VXLAN_I))
        return OT_DECODE_OK;
    if (OT_UNLIKELY(len < VXLAN_HLEN + OT_ETH_HLEN))
        return ot_dec_err(d, OT_DEC_vxlan_truncated);
    struct ot_tunnel_save s;
    if (!ot_tunnel_enter(d, p, depth, &s))
        return OT_DECODE_ERROR;
    return ot_tunnel_leave(
        p, &s, ot_decode_ethernet(d, p, data + VXLAN_HLEN, len - VXLAN_HLEN, depth + 1));
}
