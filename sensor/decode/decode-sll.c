/*
 * Linux "cooked" captures (the "any" device): SLL (DLT 113, 16-byte header,
 * protocol last) and SLL2 (DLT 276, 20-byte header, protocol first).  The
 * protocol field is an ethertype for everything we care about; the few
 * non-ethertype values (802.2 LLC, 802.3, netlink families) are not IP.
 * The header carries only the sender's link address, so no MACs are recorded.
 */
#include "decode/decode-internal.h"

#define SLL_HLEN  16
#define SLL2_HLEN 20

enum ot_decode_result ot_decode_sll(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < SLL_HLEN))
        return ot_dec_err(d, OT_DEC_sll_truncated);
    return ot_decode_ethertype(d, p, ot_be16(data + 14), data + SLL_HLEN, len - SLL_HLEN, depth);
}

enum ot_decode_result ot_decode_sll2(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < SLL2_HLEN))
        return ot_dec_err(d, OT_DEC_sll_truncated);
    return ot_decode_ethertype(d, p, ot_be16(data), data + SLL2_HLEN, len - SLL2_HLEN, depth);
}
