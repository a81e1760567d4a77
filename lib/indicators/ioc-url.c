/*
 * URLs, normalised the same way when listed and when looked up, so that the
 * many spellings of one resource meet on one key:
 *
 *   scheme        dropped (http, https, ftp... all alike; the HTTP parser
 *                 does not see it for origin-form requests anyway)
 *   userinfo      dropped
 *   host          lower-cased, one trailing dot dropped, IPv6 literal in
 *                 canonical form ("[2001:db8::1]")
 *   port          dropped when 80 or 443 (and 21 for ftp://), kept otherwise
 *   path          percent-escapes of unreserved characters decoded, other
 *                 escapes upper-cased, bytes outside printable ASCII escaped,
 *                 dot segments removed (RFC 3986 5.2.4), empty path = "/"
 *   query         kept (escapes normalised as above); an empty "?" dropped
 *   fragment      dropped
 *
 * Key: "host[:port]/path[?query]".  A listing that starts with "/" has an
 * empty host and matches that path on any host.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

#define HOST_MAX 300 /* "[v6]" or a name (253) plus ":65535" */

struct out {
    char *p;
    size_t len, cap;
    bool over;
};

static void put(struct out *o, char c)
{
    if (o->len < o->cap)
        o->p[o->len++] = c;
    else
        o->over = true;
}

static void puts_n(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = ot_ioc_lower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void put_escaped(struct out *o, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    put(o, '%');
    put(o, hex[c >> 4]);
    put(o, hex[c & 15]);
}

/* Percent-normalise s into o (RFC 3986 6.2.2.1-2).  A '%' not followed by
 * two hex digits is kept as it is, on both sides of a comparison. */
static void put_pct_norm(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            unsigned char v = (unsigned char)(hexval((unsigned char)s[i + 1]) * 16 +
                                              hexval((unsigned char)s[i + 2]));
            if (unreserved(v))
                put(o, (char)v);
            else
                put_escaped(o, v);
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f) {
            put_escaped(o, c);
        } else {
            put(o, (char)c);
        }
    }
}

/* RFC 3986 5.2.4 for a path that starts with "/" (or is empty): "."
 * segments vanish, ".." removes the segment before it, never climbing above
 * the root; a path ending in "." or ".." keeps its trailing "/". */
static void put_path(struct out *o, const char *p, size_t n)
{
    size_t base = o->len;
    size_t i = (n && p[0] == '/') ? 1 : 0; /* start of the current segment */
    if (n == 0) {
        put(o, '/');
        return;
    }
    for (;;) {
        const char *next = memchr(p + i, '/', n - i);
        size_t j = next ? (size_t)(next - p) : n;
        size_t seg = j - i;
        bool last = !next;
        if (seg == 1 && p[i] == '.') {
            if (last)
                put(o, '/');
        } else if (seg == 2 && p[i] == '.' && p[i + 1] == '.') {
            while (o->len > base && o->p[o->len - 1] != '/')
                o->len--;
            if (o->len > base)
                o->len--;
            if (last)
                put(o, '/');
        } else {
            put(o, '/');
            puts_n(o, p + i, seg);
        }
        if (last)
            break;
        i = j + 1;
    }
    if (o->len == base)
        put(o, '/');
}

/* Path and query part: percent-normalise, split at the first '?', remove
 * dot segments from the path.  *qpos: where "?query" starts in o (o->len if
 * none), so a lookup can also try the key without the query. */
static void put_target(struct out *o, const char *t, size_t n, size_t *qpos)
{
    char tmp[OT_IOC_URL_MAX];
    struct out norm = {.p = tmp, .cap = sizeof(tmp)};
    const char *hash = memchr(t, '#', n);
    if (hash)
        n = (size_t)(hash - t);
    put_pct_norm(&norm, t, n);
    if (norm.over) {
        o->over = true;
        return;
    }
    const char *q = memchr(tmp, '?', norm.len);
    size_t plen = q ? (size_t)(q - tmp) : norm.len;
    put_path(o, tmp, plen);
    *qpos = o->len;
    if (q && norm.len - plen > 1)
        puts_n(o, q, norm.len - plen);
}

struct authority {
    const char *host;
    size_t hlen;
    const char *port;
    size_t plen;
};

/* Split "userinfo@host:port" (any part optional). */
static void split_authority(const char *a, size_t n, struct authority *au)
{
    for (size_t i = n; i > 0; i--)
        if (a[i - 1] == '@') {
            a += i;
            n -= i;
            break;
        }
    au->host = a;
    au->hlen = n;
    au->port = NULL;
    au->plen = 0;
    const char *colon = NULL;
    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (close && (size_t)(close - a) + 1 < n && close[1] == ':')
            colon = close + 1;
    } else {
        colon = memchr(a, ':', n);
    }
    if (colon) {
        au->hlen = (size_t)(colon - a);
        au->port = colon + 1;
        au->plen = n - au->hlen - 1;
    }
}

/* Normalised "host[:port]" into o.  `strict` (listings) checks the host is
 * a valid name or address and the port a number; a lookup only folds case,
 * and gives up (false) on a port that is not a number. */
static bool put_host(struct out *o, const struct authority *au, bool ftp, bool strict, char *why,
                     size_t why_cap)
{
    char q[96];
    const char *h = au->host;
    size_t hn = au->hlen;
    if (hn && h[0] == '[') {
        uint8_t a6[16];
        char txt[INET6_ADDRSTRLEN];
        if (hn < 2 || h[hn - 1] != ']' || ot_ioc_parse_ip6_(h + 1, hn - 2, a6) ||
            !inet_ntop(AF_INET6, a6, txt, sizeof(txt))) {
            if (strict) {
                ot_ioc_quote_(q, sizeof(q), h, hn);
                snprintf(why, why_cap, "invalid IPv6 address %s in URL", q);
                return false;
            }
            for (size_t i = 0; i < hn; i++)
                put(o, (char)ot_ioc_lower((unsigned char)h[i]));
        } else {
            put(o, '[');
            puts_n(o, txt, strlen(txt));
            put(o, ']');
        }
    } else {
        if (hn && h[hn - 1] == '.')
            hn--;
        if (strict) {
            uint8_t a4[4];
            char dom[OT_IOC_DOMAIN_MAX + 1];
            size_t dlen;
            bool v4 = hn > 0;
            for (size_t i = 0; i < hn && v4; i++)
                v4 = (h[i] >= '0' && h[i] <= '9') || h[i] == '.';
            if (v4 ? ot_ioc_parse_ip4_(h, hn, a4) != 0
                   : ot_ioc_domain_norm_(h, hn, dom, &dlen, why, why_cap) != 0 ||
                         memchr(h, '*', hn)) {
                ot_ioc_quote_(q, sizeof(q), au->host, au->hlen);
                snprintf(why, why_cap, "invalid host %s in URL", q);
                return false;
            }
        }
        if (hn > OT_IOC_DOMAIN_MAX)
            return false;
        for (size_t i = 0; i < hn; i++)
            put(o, (char)ot_ioc_lower((unsigned char)h[i]));
    }
    if (!au->port || au->plen == 0) /* "host:" is "host" (RFC 3986 6.2.3) */
        return true;
    unsigned v = 0;
    bool ok = au->plen >= 1 && au->plen <= 5;
    for (size_t i = 0; ok && i < au->plen; i++) {
        ok = au->port[i] >= '0' && au->port[i] <= '9';
        v = v * 10 + (unsigned)(au->port[i] - '0');
    }
    if (!ok || v == 0 || v > 65535) {
        if (strict) {
            ot_ioc_quote_(q, sizeof(q), au->port, au->plen);
            snprintf(why, why_cap, "invalid port %s in URL", q);
        }
        return false;
    }
    if (v == 80 || v == 443 || (ftp && v == 21))
        return true;
    char pb[8];
    int pn = snprintf(pb, sizeof(pb), ":%u", v);
    puts_n(o, pb, (size_t)pn);
    return true;
}

/* Pieces of a URL text: [scheme://][authority][path?query][#fragment]. */
struct url {
    bool has_scheme, ftp;
    const char *scheme;
    size_t slen;
    struct authority au;
    const char *target; /* from the first '/', '?' or '#' after the authority */
    size_t tlen;
};

static void split_url(const char *s, size_t n, struct url *u)
{
    memset(u, 0, sizeof(*u));
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] == '/' || s[i] == '?' || s[i] == '#')
            break;
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            u->has_scheme = true;
            u->scheme = s;
            u->slen = i;
            u->ftp = i == 3 && ot_ioc_lower((unsigned char)s[0]) == 'f' &&
                     ot_ioc_lower((unsigned char)s[1]) == 't' &&
                     ot_ioc_lower((unsigned char)s[2]) == 'p';
            s += i + 3;
            n -= i + 3;
            break;
        }
    }
    size_t a = 0;
    while (a < n && s[a] != '/' && s[a] != '?' && s[a] != '#')
        a++;
    split_authority(s, a, &u->au);
    u->target = s + a;
    u->tlen = n - a;
}

static bool scheme_ok(const char *s, size_t n)
{
    if (n == 0 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') && c != '+' &&
            c != '-' && c != '.')
            return false;
    }
    return true;
}

int ot_ioc_add_url_(struct ot_ioc_set *set, const char *s, size_t n, const struct ot_ioc_meta *meta,
                    char *why, size_t why_cap)
{
    char key[OT_IOC_URL_MAX];
    char q[96];
    struct out o = {.p = key, .cap = sizeof(key)};
    size_t qpos;
    if (s[0] == '/') {
        put_target(&o, s, n, &qpos);
    } else {
        struct url u;
        split_url(s, n, &u);
        if (u.has_scheme && !scheme_ok(u.scheme, u.slen)) {
            snprintf(why, why_cap, "invalid scheme in URL %s", ot_ioc_quoted_(q, sizeof(q), s, n));
            return OT_EINVAL;
        }
        if (u.au.hlen == 0) {
            snprintf(why, why_cap, "URL without a host %s", ot_ioc_quoted_(q, sizeof(q), s, n));
            return OT_EINVAL;
        }
        if (!put_host(&o, &u.au, u.ftp, true, why, why_cap))
            return OT_EINVAL;
        put_target(&o, u.target, u.tlen, &qpos);
    }
    if (o.over) {
        snprintf(why, why_cap, "URL longer than %d bytes once normalised %s", OT_IOC_URL_MAX,
                 ot_ioc_quoted_(q, sizeof(q), s, n));
        return OT_EINVAL;
    }
    struct ot_ioc_new nw = {
        .kind = OT_IOC_K_URL,
        .type = OT_IOC_URL,
        .key = key,
        .key_len = o.len,
        .value = s,
        .value_len = n,
        .meta = meta,
    };
    return ot_ioc_insert_(set, &nw);
}

/* A key a URL lookup will probe. */
struct cand {
    const char *k;
    size_t n;
    uint32_t h;
};

bool ot_ioc_match_url(const struct ot_ioc_set *set, const char *host, size_t host_len,
                      const char *target, size_t target_len, struct ot_ioc_hit *hit)
{
    char key[OT_IOC_URL_MAX];
    struct out o = {.p = key, .cap = sizeof(key)};
    struct authority au;
    size_t qpos;
    bool ftp = false;
    if (!set || (!host && host_len) || !target || target_len == 0)
        return false;
    if (target[0] == '/') {
        split_authority(host ? host : "", host_len, &au);
    } else {
        /* absolute-form: the authority in the target is the host */
        struct url u;
        split_url(target, target_len, &u);
        if (!u.has_scheme)
            return false; /* authority-form (CONNECT) or "*": no URL */
        au = u.au;
        ftp = u.ftp;
        target = u.target;
        target_len = u.tlen;
    }
    if (!put_host(&o, &au, ftp, false, NULL, 0))
        return false;
    size_t hlen = o.len;
    put_target(&o, target, target_len, &qpos);
    if (o.over)
        return false;
    /* the candidate keys, most specific first; all hashed before probing so
     * their slots load in parallel */
    struct cand c[4];
    unsigned nc = 0;
    if (hlen)
        c[nc++] = (struct cand){key, o.len, 0};
    if (hlen && qpos < o.len)
        c[nc++] = (struct cand){key, qpos, 0};
    c[nc++] = (struct cand){key + hlen, o.len - hlen, 0};
    if (qpos < o.len)
        c[nc++] = (struct cand){key + hlen, qpos - hlen, 0};
    for (unsigned i = 0; i < nc; i++)
        c[i].h = ot_ioc_hash_prefetch_(set, OT_IOC_K_URL, c[i].k, c[i].n);
    for (unsigned i = 0; i < nc; i++) {
        const struct ot_ioc_rec *r = ot_ioc_find_hashed_(set, OT_IOC_K_URL, c[i].k, c[i].n, c[i].h);
        if (r) {
            ot_ioc_hit_fill_(set, r, hit);
            return true;
        }
    }
    return false;
}
