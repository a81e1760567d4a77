/*
 * Point-to-point link types: PPP (DLT_PPP 9, and DLT_PPP_SERIAL 50, PPP in
 * HDLC-like framing, RFC 1662) and Cisco HDLC (DLT_C_HDLC 104), as captured
 * on serial, ISDN, dial-up and some DSL router interfaces.
 *
 * PPP: the address and control bytes (ff 03) when present, then the
 * protocol field, one byte when compressed (RFC 1661 section 6.5).  IPv4
 * and IPv6 are decoded; LCP, IPCP, authentication and compressed data count
 * non_ip.  Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control 0,
 * then an EtherType: IP, and whatever else the EtherType table decodes; SLARP
 * and CDP count non_ip.  Too short for its header: ppp_truncated.
 */
#include "decode/decode-internal.h"

#define CHDLC_HLEN 4

enum ot_decode_result ot_decode_ppp(struct ot_decoder *d, struct ot_packet *p, const uint8_t *data,
                                    uint32_t len, unsigned depth)
{
    return ot_decode_ppp_proto(d, p, data, len, depth, true, OT_DEC_ppp_truncated, OT_DEC_non_ip);
}

/*
 * The PPP protocol field and what it carries, for PPP link types, PPTP's GRE
 * and PPPoE: IPv4 and IPv6 are decoded, anything else counts `not_ip`; too
 * short for the field counts `truncated`.
 */
enum ot_decode_result ot_decode_ppp_proto(struct ot_decoder *d, struct ot_packet *p,
                                          const uint8_t *data, uint32_t len, unsigned depth,
                                          bool acf, enum ot_decode_counter truncated,
                                          enum ot_decode_counter not_ip)
{
    uint16_t proto = 0;
    uint32_t hl = ot_ppp_header(data, len, acf, &proto);
    if (OT_UNLIKELY(hl == 0))
        return ot_dec_err(d, truncated);
    switch (proto) {
    case OT_PPP_IPV4:
        return ot_decode_ipv4(d, p, data + hl, len - hl, depth);
    case OT_PPP_IPV6:
        return ot_decode_ipv6(d, p, data + hl, len - hl, depth);
    }
    d->counters[not_ip]++;
    return OT_DECODE_SKIP;
}

enum ot_decode_result ot_decode_chdlc(struct ot_decoder *d, struct ot_packet *p,
                                      const uint8_t *data, uint32_t len, unsigned depth)
{
    if (OT_UNLIKELY(len < CHDLC_HLEN))
        return ot_dec_err(d, OT_DEC_ppp_truncated);
    return ot_decode_ethertype(d, p, ot_be16(data + 2), data + CHDLC_HLEN, len - CHDLC_HLEN,
                               depth);
}
