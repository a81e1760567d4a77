/*
 * Fingerprints and digests: JA3 (MD5 hex), JA4 strings, certificate SHA-1
 * fingerprints and SHA-256 digests.  Exact, case-insensitive matches; SHA-1
 * and SHA-256 may be written with colons between byte pairs, as tools print
 * certificate fingerprints ("AB:CD:...").  Keys are lower-case hex without
 * colons (JA4: the lower-case string).
 */
#include <stdio.h>
#include <string.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

/* Hex digits expected per type, 0 for JA4. */
static size_t hex_digits(enum ot_ioc_type t)
{
    switch (t) {
    case OT_IOC_JA3:
        return 32;
    case OT_IOC_SHA1:
        return 40;
    case OT_IOC_SHA256:
        return 64;
    default:
        return 0;
    }
}

static enum ot_ioc_kind kind_of(enum ot_ioc_type t)
{
    switch (t) {
    case OT_IOC_JA3:
        return OT_IOC_K_JA3;
    case OT_IOC_JA4:
        return OT_IOC_K_JA4;
    case OT_IOC_SHA1:
        return OT_IOC_K_SHA1;
    case OT_IOC_SHA256:
        return OT_IOC_K_SHA256;
    default:
        return OT_IOC_K_NONE;
    }
}

/* Lower-case hex of exactly `want` digits, plain or as colon-separated pairs
 * (colons only for SHA-1/SHA-256).  out has room for want + 1. */
static bool hex_key(const char *s, size_t n, size_t want, bool colons, char *out)
{
    size_t o = 0;
    bool paired = colons && n == want + want / 2 - 1;
    if (n != want && !paired)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (paired && i % 3 == 2) {
            if (c != ':')
                return false;
            continue;
        }
        if (!ot_ioc_is_hex(c))
            return false;
        out[o++] = (char)ot_ioc_lower(c);
    }
    out[o] = '\0';
    return o == want;
}

/* The JA4 TLS client fingerprint as the FoxIO spec prints it:
 * t13d1516h2_8daaf6152771_e5627efa2ab1 -- protocol [tqd], version (2),
 * SNI [di], cipher and extension counts (2 digits each), ALPN (2), then two
 * 12-hex-digit hashes.  This strict shape is what type detection uses. */
bool ot_ioc_ja4_shape_(const char *s, size_t n)
{
    if (n != 36 || s[10] != '_' || s[23] != '_')
        return false;
    unsigned char p = ot_ioc_lower((unsigned char)s[0]);
    unsigned char d = ot_ioc_lower((unsigned char)s[3]);
    if ((p != 't' && p != 'q' && p != 'd') || (d != 'd' && d != 'i'))
        return false;
    for (int i = 1; i < 10; i++) {
        unsigned char c = ot_ioc_lower((unsigned char)s[i]);
        bool digit = c >= '0' && c <= '9';
        bool alnum = digit || (c >= 'a' && c <= 'z');
        if (i == 3)
            continue;
        if ((i >= 4 && i <= 7) ? !digit : !alnum)
            return false;
    }
    for (int i = 11; i < 36; i++)
        if (i != 23 && !ot_ioc_is_hex((unsigned char)s[i]))
            return false;
    return true;
}

/* Given as type ja4, the whole JA4+ family is accepted (JA4S, JA4H, JA4X,
 * raw "_r" forms): letters, digits, '_' and ',', at least one '_'. */
static bool ja4_key(const char *s, size_t n, char *out)
{
    if (n < 10 || n > OT_IOC_JA4_MAX || !memchr(s, '_', n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = ot_ioc_lower((unsigned char)s[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ','))
            return false;
        out[i] = (char)c;
    }
    out[n] = '\0';
    return true;
}

static bool make_key(enum ot_ioc_type type, const char *s, size_t n, char *key, size_t *klen)
{
    size_t want = hex_digits(type);
    bool ok =
        type == OT_IOC_JA4 ? ja4_key(s, n, key) : hex_key(s, n, want, type != OT_IOC_JA3, key);
    if (ok)
        *klen = type == OT_IOC_JA4 ? n : want;
    return ok;
}

int ot_ioc_add_hash_(struct ot_ioc_set *set, enum ot_ioc_type type, const char *s, size_t n,
                     const struct ot_ioc_meta *meta, char *why, size_t why_cap)
{
    char key[OT_IOC_JA4_MAX + 1];
    size_t klen;
    if (kind_of(type) == OT_IOC_K_NONE) {
        snprintf(why, why_cap, "unsupported type %d", (int)type);
        return OT_EINVAL;
    }
    if (!make_key(type, s, n, key, &klen)) {
        char q[96];
        ot_ioc_quote_(q, sizeof(q), s, n);
        switch (type) {
        case OT_IOC_JA3:
            snprintf(why, why_cap, "invalid JA3 hash %s (32 hex digits)", q);
            break;
        case OT_IOC_JA4:
            snprintf(why, why_cap, "invalid JA4 fingerprint %s", q);
            break;
        default:
            snprintf(why, why_cap, "invalid %s %s (%zu hex digits, colons between pairs allowed)",
                     type == OT_IOC_SHA1 ? "SHA-1 fingerprint" : "SHA-256 digest", q,
                     hex_digits(type));
            break;
        }
        return OT_EINVAL;
    }
    struct ot_ioc_new nw = {
        .kind = kind_of(type),
        .type = type,
        .key = key,
        .key_len = klen,
        .value = s,
        .value_len = n,
        .meta = meta,
    };
    return ot_ioc_insert_(set, &nw);
}

bool ot_ioc_match_hash(const struct ot_ioc_set *set, enum ot_ioc_type type, const char *text,
                       size_t len, struct ot_ioc_hit *hit)
{
    char key[OT_IOC_JA4_MAX + 1];
    size_t klen;
    if (!set || !text || kind_of(type) == OT_IOC_K_NONE || !make_key(type, text, len, key, &klen))
        return false;
    const struct ot_ioc_rec *r = ot_ioc_find_(set, kind_of(type), key, klen);
    if (r)
        ot_ioc_hit_fill_(set, r, hit);
    return r != NULL;
}

bool ot_ioc_match_digest(const struct ot_ioc_set *set, enum ot_ioc_type type, const uint8_t *digest,
                         size_t len, struct ot_ioc_hit *hit)
{
    static const char hex[] = "0123456789abcdef";
    char key[65];
    size_t want = hex_digits(type);
    if (!set || !digest || want == 0 || len * 2 != want)
        return false;
    for (size_t i = 0; i < len; i++) {
        key[2 * i] = hex[digest[i] >> 4];
        key[2 * i + 1] = hex[digest[i] & 15];
    }
    const struct ot_ioc_rec *r = ot_ioc_find_(set, kind_of(type), key, want);
    if (r)
        ot_ioc_hit_fill_(set, r, hit);
    return r != NULL;
}
