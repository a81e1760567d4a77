/*
 * Addresses, CIDRs and the home networks, for the key entity (which end of
 * an alert is "inside") and suppression rules (src/dest CIDRs).  IPv4 is
 * kept in its IPv4-mapped IPv6 form so one comparison serves both.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "otasuke/error.h"
#include "triage/triage-int.h"
#include "core/util.h"

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Parses a bare IPv4 or IPv6 address (no port, no brackets, no zone) into out. */
bool ot_ipaddr_parse(const char *s, struct ot_ipaddr *out)
{
    uint8_t b4[4];

    if (!s || !*s || strlen(s) >= INET6_ADDRSTRLEN)
        return false;
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, s, b4) == 1) {
        memcpy(out->b, v4_prefix, sizeof(v4_prefix));
        memcpy(out->b + 12, b4, 4);
        out->v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, s, out->b) == 1) {
        /* an IPv4-mapped IPv6 address is the IPv4 address */
        out->v4 = memcmp(out->b, v4_prefix, sizeof(v4_prefix)) == 0;
        return true;
    }
    return false;
}

/* Writes a in canonical text (IPv4 dotted, IPv6 RFC 5952) into out (48 bytes or more). */
void ot_ipaddr_format(const struct ot_ipaddr *a, char *out, size_t len)
{
    if (!inet_ntop(a->v4 ? AF_INET : AF_INET6, a->v4 ? a->b + 12 : a->b, out, (socklen_t)len) &&
        len > 0)
        out[0] = '\0';
}

/* True when a's bits past `bits` are all zero. */
static bool host_bits_clear(const struct ot_ipaddr *a, unsigned bits)
{
    for (unsigned i = bits; i < 128; i++)
        if (a->b[i / 8] & (0x80u >> (i % 8)))
            return false;
    return true;
}

/* Parses "ADDR" or "ADDR/BITS" into out; OT_EINVAL for anything else. */
int ot_cidr_parse(const char *s, struct ot_cidr *out)
{
    char addr[INET6_ADDRSTRLEN];
    const char *slash;
    uint64_t bits;
    size_t alen;

    if (!s)
        return OT_EINVAL;
    slash = strchr(s, '/');
    alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(addr))
        return OT_EINVAL;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    memset(out, 0, sizeof(*out));
    if (!ot_ipaddr_parse(addr, &out->addr))
        return OT_EINVAL;
    if (!slash) {
        out->bits = 128;
        return 0;
    }
    if (ot_parse_u64(slash + 1, 0, out->addr.v4 ? 32 : 128, &bits) != 0)
        return OT_EINVAL;
    out->bits = (uint8_t)(out->addr.v4 ? 96 + bits : bits);
    if (!host_bits_clear(&out->addr, out->bits))
        return OT_EINVAL;
    return 0;
}

/* True when address a lies in network c. */
bool ot_cidr_contains(const struct ot_cidr *c, const struct ot_ipaddr *a)
{
    unsigned full = c->bits / 8, rest = c->bits % 8;

    if (memcmp(c->addr.b, a->b, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        if ((c->addr.b[full] & mask) != (a->b[full] & mask))
            return false;
    }
    return true;
}

/* Parses a comma-separated CIDR list (NULL/"" = the default list) into h. */
int ot_homenet_parse(const char *list, struct ot_homenet *h, char *err, size_t errlen)
{
    char item[96];
    const char *p;

    if (!list || !*list)
        list = OT_HOMENET_DEFAULT;
    memset(h, 0, sizeof(*h));
    p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *b = p, *e = p + n;

        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b) {
            if ((size_t)(e - b) >= sizeof(item)) {
                snprintf(err, errlen, "home-net: item too long: %.40s...", b);
                return OT_EINVAL;
            }
            memcpy(item, b, (size_t)(e - b));
            item[e - b] = '\0';
            if (h->n == OT_HOMENET_MAX) {
                snprintf(err, errlen, "home-net: more than %d networks", OT_HOMENET_MAX);
                return OT_ELIMIT;
            }
            if (ot_cidr_parse(item, &h->nets[h->n]) != 0) {
                snprintf(err, errlen, "home-net: not an address or CIDR: \"%s\"", item);
                return OT_EINVAL;
            }
            h->n++;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (h->n == 0) {
        snprintf(err, errlen, "home-net: empty list");
        return OT_EINVAL;
    }
    return 0;
}

/* True when ip parses and lies in one of h's networks; false for "" and junk. */
bool ot_homenet_contains(const struct ot_homenet *h, const char *ip)
{
    struct ot_ipaddr a;

    if (!ot_ipaddr_parse(ip, &a))
        return false;
    for (size_t i = 0; i < h->n; i++)
        if (ot_cidr_contains(&h->nets[i], &a))
            return true;
    return false;
}
