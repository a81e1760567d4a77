/*
 * A hand-built IPv4 packet with a UDP or TCP header and a payload, and the
 * struct ot_packet the decoder would make of it, for tests and fuzz targets
 * that feed the flow-level stages (the nDPI labeler) without a capture.
 * Header-only.
 */
#ifndef OT_TESTS_L4_PACKET_H
#define OT_TESTS_L4_PACKET_H

#include <stdint.h>
#include <string.h>

#include "decode/decode.h"

#define OT_L4_PACKET_HDR 40 /* IPv4 + TCP headers without options: buf needs this + len */

/*
 * SRC:SP -> DST:DP (4-byte addresses), UDP (proto 17) or TCP (6, with
 * FLAGS, sequence number 1), LEN bytes of PAYLOAD at TS, into BUF; *P
 * describes it.
 */
static inline void ot_l4_packet(uint8_t *buf, uint8_t proto, const uint8_t src[4], uint16_t sp,
                                const uint8_t dst[4], uint16_t dp, uint8_t flags,
                                const void *payload, uint32_t len, uint64_t ts, struct ot_packet *p)
{
    uint32_t l4 = proto == 6 ? 20 : 8, total = 20 + l4 + len;
    memset(buf, 0, 20 + l4);
    buf[0] = 0x45;
    buf[2] = (uint8_t)(total >> 8);
    buf[3] = (uint8_t)total;
    buf[8] = 64;
    buf[9] = proto;
    memcpy(buf + 12, src, 4);
    memcpy(buf + 16, dst, 4);
    uint8_t *th = buf + 20;
    th[0] = (uint8_t)(sp >> 8);
    th[1] = (uint8_t)sp;
    th[2] = (uint8_t)(dp >> 8);
    th[3] = (uint8_t)dp;
    if (proto == 6) {
        th[7] = 1; /* seq 1 */
        th[12] = 5 << 4;
        th[13] = flags;
        th[14] = 0xff;
    } else {
        th[4] = (uint8_t)((8 + len) >> 8);
        th[5] = (uint8_t)(8 + len);
    }
    if (len)
        memcpy(th + l4, payload, len);
    memset(p, 0, sizeof(*p));
    p->ts_us = ts;
    p->caplen = p->wirelen = p->ip_len = p->l3_caplen = total;
    p->flags = OT_PKT_IPV4 | (proto == 6 ? OT_PKT_TCP : OT_PKT_UDP);
    p->l3 = buf;
    p->ip_proto = proto;
    memcpy(p->src.u.b, src, 4);
    memcpy(p->dst.u.b, dst, 4);
    p->sp = sp;
    p->dp = dp;
    p->tcp_flags = proto == 6 ? flags : 0;
    p->payload = th + l4;
    p->payload_len = len;
}

#endif
