/*
 * MPLS (ethertypes 0x8847 unicast, 0x8848 multicast): a stack of 4-byte
 * label entries down to the one with the bottom-of-stack bit.  The payload
 * type is not in the header; as routers and Suricata do, we guess by its
 * first nibble: 4 IPv4, 6 IPv6, 0 a pseudowire control word (RFC 4385)
 * followed by an Ethernet frame (decoded as a tunnel), 1 the associated
 * channel (OAM, not IP).  Anything else is mpls_bad_payload.
 */
#include "decode/decode-internal.h"

#define MPLS_BOS 0x00000100u

enum ot_decode_result ot_decode_mpls(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    uint32_t entry;
    do {
        if (OT_UNLIKELY(len < 4))
            return ot_dec_err(d, OT_DEC_mpls_truncated);
        entry = ot_be32(data);
        data += 4;
        len -= 4;
    } while (!(entry & MPLS_BOS));

    if (OT_UNLIKELY(len < 1))
        return ot_dec_err(d, OT_DEC_mpls_truncated);
    switch (data[0] >> 4) {
    case 4:
        return ot_decode_ipv4(d, p, data, len, depth);
    case 6:
        return ot_decode_ipv6(d, p, data, len, depth);
    case 0: {
        if (OT_UNLIKELY(len < 4))
            return ot_dec_err(d, OT_DEC_mpls_truncated);
        struct ot_tunnel_save s;
        if (!ot_tunnel_enter(d, p, depth, &s))
            return OT_DECODE_ERROR;
        return ot_tunnel_leave(p, &s, ot_decode_ethernet(d, p, data + 4, len - 4, depth + 1));
    }
    case 1:
        d->counters[OT_DEC_non_ip]++;
        return OT_DECODE_SKIP;
    }
    return ot_dec_err(d, OT_DEC_mpls_bad_payload);
}
