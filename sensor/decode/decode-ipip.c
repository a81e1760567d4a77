/*
 * IP in IP: protocol 4 (IPv4 inside, RFC 2003) and 41 (IPv6 inside: 6in4,
 * 6to4, ISATAP, or IPv6-in-IPv6), from either IP version.  The inner packet
 * is decoded as a tunnel.
 */
#include "decode/decode-internal.h"

enum ot_decode_result ot_decode_ipip(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    struct ot_tunnel_save s;
    if (!ot_tunnel_enter(d, p, depth, &s))
        return OT_DECODE_ERROR;
    return ot_tunnel_leave(p, &s, ot_decode_ipv4(d, p, data, len, depth + 1));
}

enum ot_decode_result ot_decode_ip6ip(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth)
{
    struct ot_tunnel_save s;
    if (!ot_tunnel_enter(d, p, depth, &s))
        return OT_DECODE_ERROR;
    return ot_tunnel_leave(p, &s, ot_decode_ipv6(d, p, data, len, depth + 1));
}
