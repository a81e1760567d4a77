/*
 * TCP (RFC 9293): ports, sequence numbers, flags, window; options are
 * skipped (not validated).  A data offset beyond the captured bytes is
 * tcp_truncated when the snap length cut the packet, tcp_bad_header_len when
 * the IP header itself says the segment is shorter.
 */
#include "decode/decode-internal.h"

#define TCP_HLEN 20

enum ot_decode_result ot_decode_tcp(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < TCP_HLEN))
        return ot_dec_err(d, OT_DEC_tcp_truncated);
    uint32_t hl = (uint32_t)(data[12] >> 4) * 4u;
    if (OT_UNLIKELY(hl < TCP_HLEN))
        return ot_dec_err(d, OT_DEC_tcp_bad_header_len);
    if (OT_UNLIKELY(hl > len))
        return ot_dec_err(d, (p->flags & OT_PKT_L4_TRUNC) ? OT_DEC_tcp_truncated
                                                          : OT_DEC_tcp_bad_header_len);
    p->flags |= OT_PKT_TCP;
    p->sp = ot_be16(data);
    p->dp = ot_be16(data + 2);
    p->tcp_seq = ot_be32(data + 4);
    p->tcp_ack = ot_be32(data + 8);
    p->tcp_flags = data[13];
    p->tcp_win = ot_be16(data + 14);
    p->payload = data + hl;
    p->payload_len = len - hl;
    return OT_DECODE_OK;
}
