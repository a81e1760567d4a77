/*
 * Geneve (RFC 8926) on UDP port 6081, the overlay of Open vSwitch, OVN and
 * cloud virtual networks: an 8-byte header (version, options length in
 * 4-byte words, protocol type as an EtherType, 24-bit VNI), the options,
 * then the inner packet: Ethernet (0x6558, transparent bridging) or what
 * the EtherType names, decoded as a tunnel.  A payload too short for the
 * fixed header, or of another version, is not Geneve: p keeps describing the
 * UDP packet.  Options or an inner Ethernet header cut short are
 * geneve_truncated.  An inner protocol that is not IP counts non_ip and p
 * keeps describing the UDP packet, as for VXLAN.
 */
#include "decode/decode-internal.h"

#define GENEVE_HLEN 8
#define ETH_BRIDGED 0x6558

enum ot_decode_result ot_decode_geneve(struct ot_decoder *d, struct ot_packet *p,
                                       const uint8_t *data, uint32_t len, unsigned depth)
{
    if (len < GENEVE_HLEN || (data[0] >> 6) != 0)
        return OT_DECODE_OK;
    uint32_t hlen = GENEVE_HLEN + (data[0] & 0x3fu) * 4u;
    uint16_t type = ot_be16(data + 2);
    if (OT_UNLIKELY(len < hlen + (type == ETH_BRIDGED ? OT_ETH_HLEN : 0)))
        return ot_dec_err(d, OT_DEC_geneve_truncated);
    struct ot_tunnel_save s;
    if (!ot_tunnel_enter(d, p, depth, &s))
        return OT_DECODE_ERROR;
    enum ot_decode_result r =
        type == ETH_BRIDGED
            ? ot_decode_ethernet(d, p, data + hlen, len - hlen, depth + 1)
            : ot_decode_ethertype(d, p, type, data + hlen, len - hlen, depth + 1);
    return ot_tunnel_leave(p, &s, r);
}
