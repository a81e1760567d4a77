/*
 * Raw IP link types (LINKTYPE_RAW 101, DLT_RAW 12 on some BSDs): the
 * version nibble says IPv4 or IPv6.  LINKTYPE_IPV4/IPV6 (228/229) need no
 * guess and go straight to ot_decode_ipv4/ipv6 (decode.c).
 */
#include "decode/decode-internal.h"

enum ot_decode_result ot_decode_raw(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < 1))
        return ot_dec_err(d, OT_DEC_raw_not_ip);
    switch (data[0] >> 4) {
    case 4:
        return ot_decode_ipv4(d, p, data, len, depth);
    case 6:
        return ot_decode_ipv6(d, p, data, len, depth);
    }
    return ot_dec_err(d, OT_DEC_raw_not_ip);
}
