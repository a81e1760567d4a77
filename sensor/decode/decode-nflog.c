/*
 * Linux netfilter log (DLT_NFLOG 239): what `tcpdump -i nflog:N` or a sensor
 * reading an NFLOG group captures on a Linux router, where iptables or
 * nftables rules choose the packets (`-j NFLOG --nflog-group N`).
 *
 * A 4-byte header (address family, version 0, resource id) and then
 * type-length-value attributes, each padded to 4 bytes: the one of type 9
 * (NFULA_PAYLOAD) holds the packet from its IP header.  The other attributes
 * (hook, marks, interface indexes, prefix, uid) are skipped.  The TLV
 * length and type are in the byte order of the host that captured, which
 * the record does not say: types are small numbers, so the order that makes
 * the type below 256 is taken.  A header or attribute cut short is
 * nflog_truncated, a version other than 0 or an attribute shorter than its
 * own header nflog_bad_header; a record without a payload (logged metadata
 * only) counts non_ip.
 */
#include "decode/decode-internal.h"

#define NFLOG_HLEN      4
#define NFLOG_TLV_HLEN  4
#define NFULA_PAYLOAD   9
#define NFLOG_TYPE_BITS 0x7fffu /* the top bit marks nested attributes */

enum ot_decode_result ot_decode_nflog(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < NFLOG_HLEN))
        return ot_dec_err(d, OT_DEC_nflog_truncated);
    if (OT_UNLIKELY(data[1] != 0))
        return ot_dec_err(d, OT_DEC_nflog_bad_header);
    uint32_t off = NFLOG_HLEN;
    while (len - off >= NFLOG_TLV_HLEN) {
        uint32_t tlen = ot_le16(data + off), type = ot_le16(data + off + 2) & NFLOG_TYPE_BITS;
        if (type >= 0x100) { /* written big-endian */
            tlen = ot_be16(data + off);
            type = ot_be16(data + off + 2) & NFLOG_TYPE_BITS;
        }
        if (OT_UNLIKELY(tlen < NFLOG_TLV_HLEN))
            return ot_dec_err(d, OT_DEC_nflog_bad_header);
        if (type == NFULA_PAYLOAD) {
            uint32_t n = tlen - NFLOG_TLV_HLEN;
            uint32_t have = len - off - NFLOG_TLV_HLEN;
            if (n > have) {
                if (!ot_frame_cut(p))
                    return ot_dec_err(d, OT_DEC_nflog_truncated);
                n = have;
            }
            return ot_decode_raw(d, p, data + off + NFLOG_TLV_HLEN, n, depth);
        }
        uint32_t step = (tlen + 3u) & ~3u;
        if (step > len - off)
            break;
        off += step;
    }
    if (ot_frame_cut(p))
        return ot_dec_err(d, OT_DEC_nflog_truncated);
    d->counters[OT_DEC_non_ip]++;
    return OT_DECODE_SKIP;
}
