/*
 * 802.1Q VLAN tags and QinQ (802.1ad 0x88a8, and the older 0x9100).
 *
 * `data` points after the first tag's TPID.  A run of stacked tags is read
 * in one loop, so the number of tags costs no stack.  p->vlan keeps the three
 * outermost ids of the frame, as Suricata's EVE `vlan` does (QinQ carrying a
 * customer's own tag is three deep); a deeper tag counts vlan_too_deep once
 * per run and is otherwise ignored: the frame is still decoded, and flows in
 * it are told apart by their three outer ids.
 */
#include "decode/decode-internal.h"

static inline bool is_vlan_tpid(uint16_t type)
{
    return type == OT_ETHERTYPE_VLAN || type == OT_ETHERTYPE_QINQ || type == OT_ETHERTYPE_QINQ_OLD;
}

enum ot_decode_result ot_decode_vlan(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                     uint32_t len, unsigned depth)
{
    bool too_deep = false;
    uint16_t type;
    do {
        if (OT_UNLIKELY(len < 4))
            return ot_dec_err(d, OT_DEC_vlan_truncated);
        uint16_t id = ot_be16(data) & 0x0fff;
        type = ot_be16(data + 2);
        if (p->vlan_count < OT_VLAN_MAX) {
            p->vlan[p->vlan_count++] = id;
        } else if (!too_deep) {
            too_deep = true;
            d->counters[OT_DEC_vlan_too_deep]++;
        }
        data += 4;
        len -= 4;
    } while (is_vlan_tpid(type));
    return ot_decode_ethertype(d, p, type, data, len, depth);
}
