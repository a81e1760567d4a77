/*
 * Types: their names, the aliases a CSV "type" column may use, and the
 * detection of a value's type from its shape (docs/indicators.md, "Type
 * detection").  Detection only picks the parser; the parser decides whether
 * the value is valid and says why not.
 */
#include <stdio.h>
#include <string.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

static const char *const type_names[OT_IOC_TYPE_COUNT] = {
    [OT_IOC_AUTO] = "auto",     [OT_IOC_IP] = "ip",     [OT_IOC_CIDR] = "cidr",
    [OT_IOC_DOMAIN] = "domain", [OT_IOC_URL] = "url",   [OT_IOC_JA3] = "ja3",
    [OT_IOC_JA4] = "ja4",       [OT_IOC_SHA1] = "sha1", [OT_IOC_SHA256] = "sha256",
};

const char *ot_ioc_type_name(enum ot_ioc_type type)
{
    if ((unsigned)type >= OT_IOC_TYPE_COUNT)
        return "unknown";
    return type_names[type];
}

/* Aliases after folding: lower case, only letters and digits kept. */
static const struct {
    const char *name;
    enum ot_ioc_type type;
} type_aliases[] = {
    {"auto", OT_IOC_AUTO},
    {"ip", OT_IOC_IP},
    {"ipv4", OT_IOC_IP},
    {"ipv6", OT_IOC_IP},
    {"ipaddr", OT_IOC_IP},
    {"ipaddress", OT_IOC_IP},
    {"ipdst", OT_IOC_IP},
    {"ipsrc", OT_IOC_IP},
    {"ipport", OT_IOC_IP},
    {"ipv4addr", OT_IOC_IP},
    {"ipv6addr", OT_IOC_IP},
    {"address", OT_IOC_IP},
    {"cidr", OT_IOC_CIDR},
    {"net", OT_IOC_CIDR},
    {"network", OT_IOC_CIDR},
    {"subnet", OT_IOC_CIDR},
    {"ipv4cidr", OT_IOC_CIDR},
    {"ipv6cidr", OT_IOC_CIDR},
    {"domain", OT_IOC_DOMAIN},
    {"domainname", OT_IOC_DOMAIN},
    {"hostname", OT_IOC_DOMAIN},
    {"host", OT_IOC_DOMAIN},
    {"fqdn", OT_IOC_DOMAIN},
    {"dns", OT_IOC_DOMAIN},
    {"url", OT_IOC_URL},
    {"uri", OT_IOC_URL},
    {"link", OT_IOC_URL},
    {"ja3", OT_IOC_JA3},
    {"ja3md5", OT_IOC_JA3},
    {"ja3hash", OT_IOC_JA3},
    {"ja3fingerprint", OT_IOC_JA3},
    {"ja3fingerprintmd5", OT_IOC_JA3},
    {"ja4", OT_IOC_JA4},
    {"ja4fingerprint", OT_IOC_JA4},
    {"sha1", OT_IOC_SHA1},
    {"sha1hash", OT_IOC_SHA1},
    {"sha1fingerprint", OT_IOC_SHA1},
    {"certsha1", OT_IOC_SHA1},
    {"sslcertsha1", OT_IOC_SHA1},
    {"x509fingerprintsha1", OT_IOC_SHA1},
    {"sha256", OT_IOC_SHA256},
    {"sha256hash", OT_IOC_SHA256},
    {"sha256fingerprint", OT_IOC_SHA256},
    {"certsha256", OT_IOC_SHA256},
    {"filesha256", OT_IOC_SHA256},
    {"x509fingerprintsha256", OT_IOC_SHA256},
};

int ot_ioc_type_parse(const char *name, size_t len, enum ot_ioc_type *out)
{
    char fold[32];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = ot_ioc_lower((unsigned char)name[i]);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (n + 1 >= sizeof(fold))
                return OT_EINVAL;
            fold[n++] = (char)c;
        } else if (c != '-' && c != '_' && c != ' ' && c != '\t' && c != ':' && c != '.') {
            return OT_EINVAL;
        }
    }
    fold[n] = '\0';
    if (n == 0) {
        *out = OT_IOC_AUTO;
        return OT_OK;
    }
    for (size_t i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]); i++)
        if (fold[0] == type_aliases[i].name[0] && strcmp(fold, type_aliases[i].name) == 0) {
            *out = type_aliases[i].type;
            return OT_OK;
        }
    return OT_EINVAL;
}

void ot_ioc_quote_(char *dst, size_t cap, const char *s, size_t n)
{
    enum { SHOWN = 64 };
    size_t o = 0;
    if (cap < 8) {
        if (cap)
            dst[0] = '\0';
        return;
    }
    dst[o++] = '\'';
    for (size_t i = 0; i < n && i < SHOWN; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o + 8 >= cap)
            break;
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            dst[o++] = (char)c;
        } else {
            static const char hex[] = "0123456789abcdef";
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    dst[o++] = '\'';
    if (n > SHOWN && o + 4 < cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

const char *ot_ioc_quoted_(char *dst, size_t cap, const char *s, size_t n)
{
    ot_ioc_quote_(dst, cap, s, n);
    return dst;
}

void ot_ioc_trim_(const char **s, size_t *n)
{
    const char *p = *s;
    size_t l = *n;
    while (l && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
        l--;
    }
    while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\r' || p[l - 1] == '\n'))
        l--;
    *s = p;
    *n = l;
}

/* The character classes values are told apart by. */
static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_v4(unsigned char c)
{
    return is_digit(c) || c == '.';
}

static bool is_v6(unsigned char c)
{
    return ot_ioc_is_hex(c) || c == ':' || c == '.';
}

static bool is_dom(unsigned char c)
{
    unsigned char l = c | 0x20;
    return (l >= 'a' && l <= 'z') || is_digit(c) || c == '.' || c == '-' || c == '_' || c == '*';
}

static bool all_of(const char *s, size_t n, bool (*in)(unsigned char))
{
    for (size_t i = 0; i < n; i++)
        if (!in((unsigned char)s[i]))
            return false;
    return true;
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ot_ioc_is_hex((unsigned char)s[i]))
            return false;
    return true;
}

/* "aa:bb:cc..." with k pairs: return k, else 0. */
static size_t hex_pairs(const char *s, size_t n)
{
    if (n < 5 || (n + 1) % 3)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((i % 3 == 2) ? s[i] != ':' : !ot_ioc_is_hex((unsigned char)s[i]))
            return 0;
    return (n + 1) / 3;
}

static bool has_substr(const char *s, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    for (size_t i = 0; i + l <= n; i++)
        if (memcmp(s + i, needle, l) == 0)
            return true;
    return false;
}

enum ot_ioc_type ot_ioc_detect_(const char *s, size_t n, char *why, size_t why_cap)
{
    char q[96];
    if (n == 0) {
        snprintf(why, why_cap, "empty value");
        return OT_IOC_AUTO;
    }
    if (s[0] == '/' || has_substr(s, n, "://"))
        return OT_IOC_URL;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close && all_of(s + 1, (size_t)(close - s) - 1, is_v6))
            return OT_IOC_IP;
    }
    size_t pairs = hex_pairs(s, n);
    if (pairs == 20)
        return OT_IOC_SHA1;
    if (pairs == 32)
        return OT_IOC_SHA256;
    if (all_hex(s, n)) {
        if (n == 32)
            return OT_IOC_JA3;
        if (n == 40)
            return OT_IOC_SHA1;
        if (n == 64)
            return OT_IOC_SHA256;
        if (n > 24) {
            ot_ioc_quote_(q, sizeof(q), s, n);
            snprintf(why, why_cap,
                     "%s: %zu hex digits is no JA3 (32), SHA-1 (40) or SHA-256 (64) value", q, n);
            return OT_IOC_AUTO;
        }
    }
    if (ot_ioc_ja4_shape_(s, n))
        return OT_IOC_JA4;
    const char *slash = memchr(s, '/', n);
    if (slash) {
        size_t a = (size_t)(slash - s), b = n - a - 1;
        bool digits = b >= 1 && b <= 3 && all_of(slash + 1, b, is_digit);
        if (digits && a > 0 && (all_of(s, a, is_v4) || (memchr(s, ':', a) && all_of(s, a, is_v6))))
            return OT_IOC_CIDR;
        return OT_IOC_URL;
    }
    const char *colon = memchr(s, ':', n);
    if (colon) {
        size_t a = (size_t)(colon - s);
        bool one = !memchr(colon + 1, ':', n - a - 1);
        if (!one && all_of(s, n, is_v6))
            return OT_IOC_IP;
        if (one && all_of(s, a, is_v4))
            return OT_IOC_IP;
        if (one && a > 0 && all_of(s, a, is_dom) && n - a - 1 > 0 &&
            all_of(colon + 1, n - a - 1, is_digit)) {
            ot_ioc_quote_(q, sizeof(q), s, n);
            snprintf(why, why_cap,
                     "%s: a port after a domain name is not supported (list the domain, or a "
                     "URL)",
                     q);
            return OT_IOC_AUTO;
        }
    } else {
        if (all_of(s, n, is_v4))
            return OT_IOC_IP;
        if (all_of(s, n, is_dom))
            return OT_IOC_DOMAIN;
    }
    ot_ioc_quote_(q, sizeof(q), s, n);
    snprintf(why, why_cap,
             "%s is not a recognised indicator (IP, CIDR, domain, URL, JA3, JA4, SHA-1 or "
             "SHA-256)",
             q);
    return OT_IOC_AUTO;
}

enum ot_ioc_type ot_ioc_detect_type(const char *value, size_t len)
{
    char why[OT_IOC_WHY_LEN];
    if (!value)
        return OT_IOC_AUTO;
    ot_ioc_trim_(&value, &len);
    return ot_ioc_detect_(value, len, why, sizeof(why));
}
