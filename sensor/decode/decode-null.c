/*
 * BSD loopback: a 4-byte address family before the IP packet.  DLT_NULL
 * stores it in the capturing host's byte order, which the file does not
 * say: a value with bits in the upper half is taken as byte-swapped (real
 * families are small).  DLT_LOOP (OpenBSD) stores it in network order.
 * AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD, BSD/OS),
 * 28 (FreeBSD, DragonFly) or 30 (macOS).
 */
#include "decode/decode-internal.h"

#define NULL_HLEN 4

static enum ot_decode_result by_family(struct ot_decoder *d, struct ot_packet *p, uint32_t family,
                                       const uint8_t *data, uint32_t len, unsigned depth)
{
    switch (family) {
    case 2:
        return ot_decode_ipv4(d, p, data, len, depth);
    case 24:
    case 28:
    case 30:
        return ot_decode_ipv6(d, p, data, len, depth);
    }
    d->counters[OT_DEC_non_ip]++;
    return OT_DECODE_SKIP;
}

enum ot_decode_result ot_decode_null(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < NULL_HLEN))
        return ot_dec_err(d, OT_DEC_null_truncated);
    uint32_t family = ot_le32(data);
    if (family & 0xffff0000u)
        family = __builtin_bswap32(family);
    return by_family(d, p, family, data + NULL_HLEN, len - NULL_HLEN, depth);
}

enum ot_decode_result ot_decode_loop(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < NULL_HLEN))
        return ot_dec_err(d, OT_DEC_null_truncated);
    return by_family(d, p, ot_be32(data), data + NULL_HLEN, len - NULL_HLEN, depth);
}
