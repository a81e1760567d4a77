/*
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) share a header shape: type, code,
 * checksum and four message-specific bytes.  As Community ID expects, the
 * type and code also go to p->sp and p->dp.  The quoted packet inside error
 * messages is left in the payload, not decoded.
 */
#include "decode/decode-internal.h"

#define ICMP_HLEN 8

enum ot_decode_result ot_decode_icmp(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < ICMP_HLEN))
        return ot_dec_err(d, OT_DEC_icmp_truncated);
    p->flags |= OT_PKT_ICMP;
    p->icmp_type = data[0];
    p->icmp_code = data[1];
    p->sp = data[0];
    p->dp = data[1];
    p->payload = data + ICMP_HLEN;
    p->payload_len = len - ICMP_HLEN;
    return OT_DECODE_OK;
}
