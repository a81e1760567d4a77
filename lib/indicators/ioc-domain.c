/*
 * Domains: a listed name matches itself and every name below it
 * ("evil.example" matches "a.b.evil.example", not "notevil.example").
 *
 * Stored under the lower-case name without a trailing dot.  A lookup probes
 * the whole name, then the name minus its first label, and so on: the first
 * hit is the most specific listed suffix, and the cost is one probe per label
 * whatever the size of the set.
 */
#include <stdio.h>
#include <string.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

static bool label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Listing form: "*.x" and ".x" mean the same as "x" (subdomains always
 * match); one trailing dot is the root and is dropped. Labels are 1-63 bytes
 * of letters, digits, '-' and '_' (seen in real names); the name at most 253
 * bytes; a last label of digits only would be a mistyped IPv4 address. */
int ot_ioc_domain_norm_(const char *s, size_t n, char *out, size_t *out_len, char *why,
                        size_t why_cap)
{
    char q[96]; /* the value quoted, for a reason: filled only on error */
    const char *orig = s;
    size_t on = n;
    if (n >= 2 && s[0] == '*' && s[1] == '.') {
        s += 2;
        n -= 2;
    } else if (n >= 1 && s[0] == '.') {
        s++;
        n--;
    }
    if (n && s[n - 1] == '.')
        n--;
    if (n == 0) {
        snprintf(why, why_cap, "empty domain name %s", ot_ioc_quoted_(q, sizeof(q), orig, on));
        return OT_EINVAL;
    }
    if (n > OT_IOC_DOMAIN_MAX) {
        snprintf(why, why_cap, "domain name longer than %d bytes %s", OT_IOC_DOMAIN_MAX,
                 ot_ioc_quoted_(q, sizeof(q), orig, on));
        return OT_EINVAL;
    }
    size_t label = 0;
    bool digits_only = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = ot_ioc_lower((unsigned char)s[i]);
        out[i] = (char)c;
        if (c == '.') {
            if (label == 0) {
                snprintf(why, why_cap, "empty label in domain name %s",
                         ot_ioc_quoted_(q, sizeof(q), orig, on));
                return OT_EINVAL;
            }
            label = 0;
            digits_only = true;
            continue;
        }
        if (!label_char(c)) {
            if (c >= 0x21 && c < 0x7f)
                snprintf(why, why_cap, "invalid character '%c' in domain name %s", c,
                         ot_ioc_quoted_(q, sizeof(q), orig, on));
            else
                snprintf(why, why_cap, "invalid byte 0x%02x in domain name %s (write IDNs as xn--)",
                         c, ot_ioc_quoted_(q, sizeof(q), orig, on));
            return OT_EINVAL;
        }
        if (c < '0' || c > '9')
            digits_only = false;
        if (++label > 63) {
            snprintf(why, why_cap, "label longer than 63 bytes in domain name %s",
                     ot_ioc_quoted_(q, sizeof(q), orig, on));
            return OT_EINVAL;
        }
    }
    if (label == 0) {
        snprintf(why, why_cap, "empty label in domain name %s",
                 ot_ioc_quoted_(q, sizeof(q), orig, on));
        return OT_EINVAL;
    }
    if (digits_only) {
        snprintf(why, why_cap, "%s is not a domain name (its last label is all digits)",
                 ot_ioc_quoted_(q, sizeof(q), orig, on));
        return OT_EINVAL;
    }
    out[n] = '\0';
    *out_len = n;
    return OT_OK;
}

bool ot_ioc_domain_key_(const char *s, size_t n, char *out, size_t *out_len)
{
    if (n && s[n - 1] == '.')
        n--;
    if (n == 0 || n > OT_IOC_DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)ot_ioc_lower((unsigned char)s[i]);
    out[n] = '\0';
    *out_len = n;
    return true;
}

bool ot_ioc_domain_under_(const char *name, size_t nlen, const char *dom, size_t dlen)
{
    if (nlen == dlen)
        return memcmp(name, dom, dlen) == 0;
    return nlen > dlen && name[nlen - dlen - 1] == '.' &&
           memcmp(name + nlen - dlen, dom, dlen) == 0;
}

int ot_ioc_add_domain_(struct ot_ioc_set *set, const char *s, size_t n,
                       const struct ot_ioc_meta *meta, char *why, size_t why_cap)
{
    char key[OT_IOC_DOMAIN_MAX + 1];
    size_t klen;
    int rc = ot_ioc_domain_norm_(s, n, key, &klen, why, why_cap);
    if (rc)
        return rc;
    struct ot_ioc_new nw = {
        .kind = OT_IOC_K_DOMAIN,
        .type = OT_IOC_DOMAIN,
        .key = key,
        .key_len = klen,
        .value = s,
        .value_len = n,
        .meta = meta,
    };
    return ot_ioc_insert_(set, &nw);
}

/* The listed domain that key[0..klen) is, or is below, into hit. */
static bool match_suffixes(const struct ot_ioc_set *set, const char *key, size_t klen,
                           struct ot_ioc_hit *hit)
{
    uint8_t start[OT_IOC_DOMAIN_MAX]; /* where each suffix starts */
    uint32_t hashes[OT_IOC_DOMAIN_MAX];
    unsigned n = 0;
    /* every suffix hashed first (their slots load in parallel), then probed
     * longest first */
    for (size_t p = 0;;) {
        start[n] = (uint8_t)p;
        hashes[n++] = ot_ioc_hash_prefetch_(set, OT_IOC_K_DOMAIN, key + p, klen - p);
        const char *dot = memchr(key + p, '.', klen - p);
        if (!dot || (size_t)(dot - key) + 1 >= klen)
            break;
        p = (size_t)(dot - key) + 1;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct ot_ioc_rec *r =
            ot_ioc_find_hashed_(set, OT_IOC_K_DOMAIN, key + start[i], klen - start[i], hashes[i]);
        if (r) {
            ot_ioc_hit_fill_(set, r, hit);
            return true;
        }
    }
    return false;
}

/*
 * The end of the onion name in "x.onion.gateway.tld" (a Tor2web gateway:
 * onion.to, onion.ws, onion.ly ... serve onion services on the open web,
 * and ransom notes send victims there), or 0.  "onion.to" alone names no
 * onion service.
 */
static size_t onion_end(const char *key, size_t klen)
{
    for (size_t i = 1; i + 7 <= klen; i++)
        if (key[i - 1] == '.' && memcmp(key + i, "onion.", 6) == 0)
            return i + 5;
    return 0;
}

bool ot_ioc_match_domain(const struct ot_ioc_set *set, const char *name, size_t len,
                         struct ot_ioc_hit *hit)
{
    char key[OT_IOC_DOMAIN_MAX + 1];
    size_t klen;
    if (!set || !name || !ot_ioc_domain_key_(name, len, key, &klen))
        return false;
    if (match_suffixes(set, key, klen, hit))
        return true;
    size_t e = onion_end(key, klen);
    return e && match_suffixes(set, key, e, hit);
}
