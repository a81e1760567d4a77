/*
 * Ethernet II (DLT_EN10MB, and the inner frame of VXLAN, GRE bridging,
 * ERSPAN and MPLS pseudowires).  The outermost frame's MAC addresses are
 * recorded; 802.3 frames (length instead of ethertype) are not IP.
 */
#include "decode/decode-internal.h"

enum ot_decode_result ot_decode_ethernet(struct ot_decoder *d, struct ot_packet *p,
                                         const uint8_t *data, uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < OT_ETH_HLEN))
        return ot_dec_err(d, OT_DEC_ethernet_truncated);
    if (!(p->flags & OT_PKT_HAS_MAC)) {
        p->eth_dst = data;
        p->eth_src = data + 6;
        p->flags |= OT_PKT_HAS_MAC;
    }
    return ot_decode_ethertype(d, p, ot_be16(data + 12), data + OT_ETH_HLEN, len - OT_ETH_HLEN,
                               depth);
}
