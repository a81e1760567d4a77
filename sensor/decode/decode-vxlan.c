/*
 * VXLAN (RFC 7348) on UDP port 4789: an 8-byte header (flags with the I bit,
 * 24-bit VNI) then an Ethernet frame, decoded as a tunnel.  A payload too
 * short for the header, or without the I bit, is not VXLAN: p keeps
 * describing the UDP packet.  A VXLAN header with less than an Ethernet
 * header after it is vxlan_truncated.
 *
 * VXLAN-GPE (the IETF nvo3 draft; Wireshark and Arkime decode UDP 4790 as
 * it) adds a P flag and a next-protocol byte (the header's fourth): IPv4,
 * IPv6, Ethernet or MPLS follow; without P it is Ethernet as in VXLAN.  A
 * next protocol we do not decode (NSH) counts non_ip, as a tunnel carrying
 * ARP does, and p keeps describing the UDP packet.
 */
#include "decode/decode-internal.h"

#define VXLAN_HLEN 8
#define VXLAN_I    0x08
#define GPE_P      0x04
#define GPE_VER    0x30

enum gpe_next { GPE_IPV4 = 1, GPE_IPV6 = 2, GPE_ETHERNET = 3, GPE_NSH = 4, GPE_MPLS = 5 };

static enum ot_decode_result inner_ethernet(struct ot_decoder *d, struct ot_packet *p,
                                            const uint8_t *data, uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < VXLAN_HLEN + OT_ETH_HLEN))
        return ot_dec_err(d, OT_DEC_vxlan_truncated);
    struct ot_tunnel_save s;
    if (!ot_tunnel_enter(d, p, depth, &s))
        return OT_DECODE_ERROR;
    return ot_tunnel_leave(
        p, &s, ot_decode_ethernet(d, p, data + VXLAN_HLEN, len - VXLAN_HLEN, depth + 1));
}

enum ot_decode_result ot_decode_vxlan(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth)
{
    if (len < VXLAN_HLEN || !(data[0] & VXLAN_I))
        return OT_DECODE_OK;
    return inner_ethernet(d, p, data, len, depth);
}

enum ot_decode_result ot_decode_vxlan_gpe(struct ot_decoder *d, struct ot_packet *p,
                                          const uint8_t *data, uint32_t len, unsigned depth)
{
    if (len < VXLAN_HLEN || !(data[0] & VXLAN_I) || (data[0] & GPE_VER))
        return OT_DECODE_OK;
    if (!(data[0] & GPE_P) || data[3] == GPE_ETHERNET)
        return inner_ethernet(d, p, data, len, depth);
    uint16_t type;
    switch (data[3]) {
    case GPE_IPV4:
        type = OT_ETHERTYPE_IPV4;
        break;
    case GPE_IPV6:
        type = OT_ETHERTYPE_IPV6;
        break;
    case GPE_MPLS:
        type = OT_ETHERTYPE_MPLS_UC;
        break;
    default: /* NSH, or a value not assigned */
        d->counters[OT_DEC_non_ip]++;
        return OT_DECODE_OK;
    }
    struct ot_tunnel_save s;
    if (!ot_tunnel_enter(d, p, depth, &s))
        return OT_DECODE_ERROR;
    return ot_tunnel_leave(
        p, &s, ot_decode_ethertype(d, p, type, data + VXLAN_HLEN, len - VXLAN_HLEN, depth + 1));
}
