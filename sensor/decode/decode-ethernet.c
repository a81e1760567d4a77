/*
 * Ethernet II (DLT_EN10MB, and the inner frame of VXLAN, GRE bridging,
 * ERSPAN and MPLS pseudowires).  The outermost frame's MAC addresses are
 * recorded; 802.3 frames (length instead of ethertype) are not IP.
 *
 * Cisco FabricPath (ethertype 0x8903, as Suricata reads it): the outer
 * header's addresses are switch ids, followed by 2 bytes of tag and TTL and
 * the host's own Ethernet frame, whose MACs are the ones recorded.  Read in
 * a loop, so stacked headers cost no stack.
 */
#include "decode/decode-internal.h"

#define ETHERTYPE_FABRICPATH 0x8903
#define FABRICPATH_TAG_LEN   2

enum ot_decode_result ot_decode_ethernet(struct ot_decoder *d, struct ot_packet *p,
                                         const uint8_t *data, uint32_t len, unsigned depth)
{
    uint16_t type;
    for (;;) {
        if (OT_UNLIKELY(len < OT_ETH_HLEN))
            return ot_dec_err(d, OT_DEC_ethernet_truncated);
        type = ot_be16(data + 12);
        if (OT_LIKELY(type != ETHERTYPE_FABRICPATH))
            break;
        if (OT_UNLIKELY(len < OT_ETH_HLEN + FABRICPATH_TAG_LEN))
            return ot_dec_err(d, OT_DEC_ethernet_truncated);
        data += OT_ETH_HLEN + FABRICPATH_TAG_LEN;
        len -= OT_ETH_HLEN + FABRICPATH_TAG_LEN;
    }
    if (!(p->flags & OT_PKT_HAS_MAC)) {
        p->eth_dst = data;
        p->eth_src = data + 6;
        p->flags |= OT_PKT_HAS_MAC;
    }
    return ot_decode_ethertype(d, p, type, data + OT_ETH_HLEN, len - OT_ETH_HLEN, depth);
}
