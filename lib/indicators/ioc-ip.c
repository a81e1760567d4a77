/*
 * IP addresses and networks: parsing ("a.b.c.d", "a.b.c.d/len", "v6",
 * "v6/len", Maltrail's "a.b.c.d:port", "[v6]:port"), adding, and
 * longest-prefix matching.
 *
 * A network is stored under the key [prefix length][masked address]; one
 * address is the same with length 32 or 128.  A lookup masks the address for
 * each prefix length present in the set, longest first, and probes the hash
 * table: the first hit is the longest match.  So the cost depends on how many
 * distinct lengths a set holds (at most 33 or 129), never on its size.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

/* Strict dotted quad: four decimal parts 0-255, no leading zeros (which
 * some parsers read as octal), nothing else. */
int ot_ioc_parse_ip4_(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return OT_EINVAL;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
            return OT_EINVAL;
        out[part] = (uint8_t)v;
    }
    return i == n ? OT_OK : OT_EINVAL;
}

/* IPv6 text (RFC 4291 forms, embedded IPv4 allowed, no zone id). */
int ot_ioc_parse_ip6_(const char *s, size_t n, uint8_t out[16])
{
    char buf[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof(buf) || memchr(s, '%', n) || memchr(s, '\0', n))
        return OT_EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1 ? OT_OK : OT_EINVAL;
}

void ot_ioc_mask_(uint8_t *addr, bool v6, unsigned plen)
{
    unsigned bytes = v6 ? 16 : 4;
    for (unsigned i = 0; i < bytes; i++) {
        unsigned bit = i * 8;
        if (bit >= plen)
            addr[i] = 0;
        else if (plen - bit < 8)
            addr[i] &= (uint8_t)(0xff << (8 - (plen - bit)));
    }
}

/* Do the first plen bits of net and addr agree? */
bool ot_ioc_prefix_eq_(const uint8_t *net, const uint8_t *addr, bool v6, unsigned plen)
{
    unsigned full = plen / 8, rest = plen % 8;
    if (plen > (v6 ? 128u : 32u))
        return false;
    if (memcmp(net, addr, full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (net[full] & m) == (addr[full] & m);
}

static int parse_port(const char *s, size_t n, uint16_t *out)
{
    unsigned v = 0;
    if (n == 0 || n > 5)
        return OT_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return OT_EINVAL;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return OT_EINVAL;
    *out = (uint16_t)v;
    return OT_OK;
}

static int bad(char *why, size_t cap, const char *what, const char *s, size_t n)
{
    char q[96];
    ot_ioc_quote_(q, sizeof(q), s, n);
    snprintf(why, cap, "%s %s", what, q);
    return OT_EINVAL;
}

static int parse_bracketed(const char *s, size_t n, bool allow_port, struct ot_ioc_ipspec *o,
                           char *why, size_t cap)
{
    const char *close = memchr(s, ']', n);
    if (!close)
        return bad(why, cap, "missing ']' in", s, n);
    size_t a = (size_t)(close - s) - 1, rest = n - a - 2;
    if (ot_ioc_parse_ip6_(s + 1, a, o->addr))
        return bad(why, cap, "invalid IPv6 address", s, n);
    o->v6 = true;
    o->plen = 128;
    if (rest == 0)
        return OT_OK;
    if (!allow_port)
        return bad(why, cap, "a port is not allowed here:", s, n);
    if (close[1] != ':' || parse_port(close + 2, rest - 1, &o->port))
        return bad(why, cap, "invalid port in", s, n);
    return OT_OK;
}

int ot_ioc_parse_ipspec_(const char *s, size_t n, bool allow_port, struct ot_ioc_ipspec *o,
                         char *why, size_t cap)
{
    memset(o, 0, sizeof(*o));
    if (n == 0)
        return bad(why, cap, "empty address", s, n);
    if (s[0] == '[')
        return parse_bracketed(s, n, allow_port, o, why, cap);
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    const char *colon = memchr(s, ':', alen);
    o->v6 = colon && memchr(colon + 1, ':', alen - (size_t)(colon - s) - 1);
    if (!o->v6 && colon) {
        /* a.b.c.d:port */
        if (slash)
            return bad(why, cap, "invalid network", s, n);
        if (!allow_port)
            return bad(why, cap, "a port is not allowed here:", s, n);
        alen = (size_t)(colon - s);
        if (ot_ioc_parse_ip4_(s, alen, o->addr))
            return bad(why, cap, "invalid IPv4 address", s, n);
        if (parse_port(colon + 1, n - alen - 1, &o->port))
            return bad(why, cap, "invalid port in", s, n);
        o->plen = 32;
        return OT_OK;
    }
    if (o->v6 && ot_ioc_parse_ip6_(s, alen, o->addr)) {
        /* "a.b.c.d:p:q" is a broken address:port, not IPv6 */
        bool dotted = memchr(s, '.', (size_t)(colon - s)) != NULL;
        return bad(why, cap, dotted ? "invalid address" : "invalid IPv6 address", s, n);
    }
    if (!o->v6 && ot_ioc_parse_ip4_(s, alen, o->addr))
        return bad(why, cap, "invalid IPv4 address", s, n);
    unsigned max = o->v6 ? 128 : 32;
    o->plen = (uint8_t)max;
    if (!slash)
        return OT_OK;
    size_t plen_len = n - alen - 1;
    unsigned v = 0;
    if (plen_len == 0 || plen_len > 3)
        return bad(why, cap, "invalid prefix length in", s, n);
    for (size_t i = 0; i < plen_len; i++) {
        if (slash[1 + i] < '0' || slash[1 + i] > '9')
            return bad(why, cap, "invalid prefix length in", s, n);
        v = v * 10 + (unsigned)(slash[1 + i] - '0');
    }
    if (v > max) {
        char q[96];
        ot_ioc_quote_(q, sizeof(q), s, n);
        snprintf(why, cap, "prefix length /%u out of range for %s (0-%u) in %s", v,
                 o->v6 ? "IPv6" : "IPv4", max, q);
        return OT_EINVAL;
    }
    o->plen = (uint8_t)v;
    o->net = true;
    ot_ioc_mask_(o->addr, o->v6, v);
    return OT_OK;
}

int ot_ioc_add_ip_(struct ot_ioc_set *set, enum ot_ioc_type type, const char *s, size_t n,
                   const struct ot_ioc_meta *meta, char *why, size_t why_cap)
{
    struct ot_ioc_ipspec ip;
    int rc = ot_ioc_parse_ipspec_(s, n, true, &ip, why, why_cap);
    if (rc)
        return rc;
    (void)type; /* IP and CIDR each accept the other: the shape decides */
    uint8_t key[17];
    key[0] = ip.plen;
    memcpy(key + 1, ip.addr, ip.v6 ? 16 : 4);
    struct ot_ioc_new nw = {
        .kind = ip.v6 ? OT_IOC_K_IP6 : OT_IOC_K_IP4,
        .type = ip.net ? OT_IOC_CIDR : OT_IOC_IP,
        .key = key,
        .key_len = ip.v6 ? 17 : 5,
        .value = s,
        .value_len = n,
        .port = ip.port,
        .plen = ip.plen,
        .meta = meta,
    };
    return ot_ioc_insert_(set, &nw);
}

/* ---- IPv4 filters (struct ot_ioc_set) ---- */

#define FB OT_IOC_V4_FILTER_BITS

static size_t v4net_words(unsigned plen)
{
    return ((size_t)1 << plen) / 64 + 1;
}

static uint32_t be32(const uint8_t a[4])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* The first `bits` bits of a (bits <= FB < 32). */
static uint32_t top(uint32_t a, unsigned bits)
{
    return bits ? a >> (32 - bits) : 0;
}

static bool bit_get(const uint64_t *b, uint32_t i)
{
    return b[i / 64] >> (i % 64) & 1;
}

int ot_ioc_v4_filter_reserve_(struct ot_ioc_set *set, unsigned plen)
{
    uint64_t **b = plen <= FB ? &set->v4net[plen] : &set->v4long;
    if (!*b)
        *b = calloc(plen <= FB ? v4net_words(plen) : v4net_words(FB), sizeof(uint64_t));
    return *b ? OT_OK : OT_ENOMEM;
}

void ot_ioc_v4_filter_add_(struct ot_ioc_set *set, const uint8_t addr[4], unsigned plen)
{
    uint64_t *b = plen <= FB ? set->v4net[plen] : set->v4long;
    uint32_t i = top(be32(addr), plen <= FB ? plen : FB);
    if (b)
        b[i / 64] |= (uint64_t)1 << (i % 64);
}

size_t ot_ioc_v4_filter_bytes_(const struct ot_ioc_set *set)
{
    size_t n = set->v4long ? v4net_words(FB) * sizeof(uint64_t) : 0;
    for (unsigned l = 0; l <= FB; l++)
        if (set->v4net[l])
            n += v4net_words(l) * sizeof(uint64_t);
    return n;
}

void ot_ioc_v4_filter_free_(struct ot_ioc_set *set)
{
    for (unsigned l = 0; l <= FB; l++)
        free(set->v4net[l]);
    free(set->v4long);
}

/* Can a network of length plen in the set hold a? (false: it certainly does not) */
static bool v4_maybe(const struct ot_ioc_set *set, uint32_t a, unsigned plen)
{
    if (plen <= FB)
        return set->v4net[plen] && bit_get(set->v4net[plen], top(a, plen));
    return set->v4long && bit_get(set->v4long, top(a, FB));
}

static bool match_family(const struct ot_ioc_set *set, const uint8_t *addr, bool v6,
                         struct ot_ioc_hit *hit)
{
    const uint8_t *lens = v6 ? set->lens6 : set->lens4;
    unsigned nlens = v6 ? set->nlens6 : set->nlens4;
    unsigned bytes = v6 ? 16 : 4;
    enum ot_ioc_kind kind = v6 ? OT_IOC_K_IP6 : OT_IOC_K_IP4;
    uint32_t a4 = v6 ? 0 : be32(addr);
    uint8_t keys[129][17];
    uint32_t hashes[129];
    unsigned n = 0;
    /* all keys first, so the table slots load in parallel; IPv4 skips the
     * lengths its filters rule out */
    for (unsigned i = 0; i < nlens; i++) {
        if (!v6 && !v4_maybe(set, a4, lens[i]))
            continue;
        keys[n][0] = lens[i];
        memcpy(keys[n] + 1, addr, bytes);
        ot_ioc_mask_(keys[n] + 1, v6, lens[i]);
        hashes[n] = ot_ioc_hash_prefetch_(set, kind, keys[n], bytes + 1);
        n++;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct ot_ioc_rec *r = ot_ioc_find_hashed_(set, kind, keys[i], bytes + 1, hashes[i]);
        if (r) {
            ot_ioc_hit_fill_(set, r, hit);
            return true;
        }
    }
    return false;
}

bool ot_ioc_match_ip(const struct ot_ioc_set *set, const uint8_t *addr, bool v6,
                     struct ot_ioc_hit *hit)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!set || !addr)
        return false;
    if (match_family(set, addr, v6, hit))
        return true;
    return v6 && memcmp(addr, mapped, 12) == 0 && match_family(set, addr + 12, false, hit);
}
