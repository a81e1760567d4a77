/*
 * Community ID v1 (https://github.com/corelight/community-id-spec): a
 * SHA-1 over seed, addresses, protocol and ports, with the endpoints in a
 * canonical order so both directions of a flow give the same string.  ICMP
 * types are mapped to port-like pairs as Zeek does (echo request <-> echo
 * reply, ...); a message without a counterpart is "one-way" and keeps the
 * order it was given.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include "core/sha1.h"

#include "flow/flow-int.h"

#define PROTO_ICMP   1
#define PROTO_TCP    6
#define PROTO_UDP    17
#define PROTO_ICMPV6 58
#define PROTO_SCTP   132

/* Request/reply pairs: the mapped type of each, or -1 when there is none. */
static int icmp4_counterpart(uint8_t type)
{
    switch (type) {
    case 8: /* echo */
        return 0;
    case 0: /* echo reply */
        return 8;
    case 13: /* timestamp */
        return 14;
    case 14:
        return 13;
    case 15: /* information */
        return 16;
    case 16:
        return 15;
    case 10: /* router solicitation */
        return 9;
    case 9: /* router advertisement */
        return 10;
    case 17: /* address mask */
        return 18;
    case 18:
        return 17;
    }
    return -1;
}

static int icmp6_counterpart(uint8_t type)
{
    switch (type) {
    case 128: /* echo request */
        return 129;
    case 129:
        return 128;
    case 130: /* MLD listener query */
        return 131;
    case 131:
        return 130;
    case 133: /* router solicitation */
        return 134;
    case 134:
        return 133;
    case 135: /* neighbour solicitation */
        return 136;
    case 136:
        return 135;
    case 139: /* who-are-you request */
        return 140;
    case 140:
        return 139;
    case 144: /* home agent address discovery */
        return 145;
    case 145:
        return 144;
    }
    return -1;
}

bool ot_icmp_port_equivalents(uint8_t proto, uint8_t type, uint8_t code, uint16_t *sp, uint16_t *dp)
{
    int peer = proto == PROTO_ICMPV6 ? icmp6_counterpart(type) : icmp4_counterpart(type);
    *sp = type;
    if (peer < 0) {
        *dp = code;
        return true;
    }
    *dp = (uint16_t)peer;
    return false;
}

static bool proto_has_ports(uint8_t proto)
{
    return proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP || proto == PROTO_ICMP ||
           proto == PROTO_ICMPV6;
}

void ot_community_id(uint16_t seed, const struct ot_addr *a, uint16_t ap, const struct ot_addr *b,
                     uint16_t bp, uint8_t proto, bool v6, char *out)
{
    size_t alen = v6 ? 16 : 4;
    bool ports = proto_has_ports(proto);
    bool one_way = false;
    uint16_t sp = ap, dp = bp;
    if (proto == PROTO_ICMP || proto == PROTO_ICMPV6)
        one_way = ot_icmp_port_equivalents(proto, (uint8_t)ap, (uint8_t)bp, &sp, &dp);

    const struct ot_addr *src = a, *dst = b;
    if (!one_way) {
        int c = memcmp(a->u.b, b->u.b, alen);
        if (c > 0 || (c == 0 && ports && sp > dp)) {
            src = b;
            dst = a;
            uint16_t tmp = sp;
            sp = dp;
            dp = tmp;
        }
    }

    /* seed(2) src dst proto(1) pad(1) [sport(2) dport(2)], all in network order */
    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, src->u.b, alen);
    n += alen;
    memcpy(buf + n, dst->u.b, alen);
    n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    if (ports) {
        buf[n++] = (uint8_t)(sp >> 8);
        buf[n++] = (uint8_t)sp;
        buf[n++] = (uint8_t)(dp >> 8);
        buf[n++] = (uint8_t)dp;
    }

    unsigned char digest[OT_SHA1_LEN];
    ot_sha1(buf, n, digest);
    out[0] = '1';
    out[1] = ':';
    /* 20 bytes -> 28 base64 characters + NUL: fits the 64-byte field. */
    EVP_EncodeBlock((unsigned char *)out + 2, digest, OT_SHA1_LEN);
}
