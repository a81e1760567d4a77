/*
 * Domain-name helpers (dns-name.h).
 */
#include "detect/dns-name.h"

#include <string.h>
#include <strings.h>

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * Compared from the end, inline: a name and a suffix nearly always differ in
 * their last letters, so most calls stop after one or two bytes (the
 * detectors call this hundreds of thousands of times a run).
 */
bool ot_dn_has_suffix_n(const char *name, size_t len, const char *suffix, size_t sl)
{
    if (sl > len)
        return false;
    const char *p = name + len - sl;
    for (size_t i = sl; i-- > 0;)
        if (lower((unsigned char)p[i]) != lower((unsigned char)suffix[i]))
            return false;
    return sl == len || p[-1] == '.';
}

bool ot_dn_has_suffix(const char *name, size_t len, const char *suffix)
{
    return ot_dn_has_suffix_n(name, len, suffix, strlen(suffix));
}

int ot_dn_match_list(const char *name, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ot_dn_has_suffix(name, len, list[i]))
            return (int)i;
    return -1;
}

/* Start offsets of the last MAX labels, last label first; returns how many were found. */
static size_t label_starts(const char *name, size_t len, size_t *starts, size_t max)
{
    size_t n = 0;
    size_t end = len;
    while (n < max && end > 0) {
        size_t i = end;
        while (i > 0 && name[i - 1] != '.')
            i--;
        starts[n++] = i;
        if (i == 0)
            break;
        end = i - 1;
    }
    return n;
}

static bool label_is(const char *name, size_t start, size_t end, const char *const *set, size_t n)
{
    size_t l = end - start;
    for (size_t i = 0; i < n; i++)
        if (strlen(set[i]) == l && strncasecmp(name + start, set[i], l) == 0)
            return true;
    return false;
}

/*
 * Generic second levels that registries under a country code sell names
 * below (co.jp, com.au, org.uk, ne.jp, go.kr ...).
 */
static const char *const generic_sld[] = {
    "co", "com", "net", "org", "ac",  "edu", "gov",  "go",  "ne",  "or",  "gr",   "ad",  "ed",
    "lg", "mil", "ltd", "plc", "nic", "gob", "gouv", "nom", "sch", "biz", "info", "web",
};

/*
 * Shared suffixes where every label below belongs to a different owner:
 * dynamic DNS and free hosting (one name per customer), so the owner's
 * label is the one that matters.
 */
static const char *const shared_suffixes[] = {
    "ddns.net",      "dyndns.org",        "dyndns.com",   "no-ip.org",       "no-ip.com",
    "no-ip.biz",     "no-ip.info",        "hopto.org",    "zapto.org",       "sytes.net",
    "serveftp.com",  "duckdns.org",       "mooo.com",     "dynserv.com",     "afraid.org",
    "changeip.com",  "3utilities.com",    "myftp.biz",    "servebeer.com",   "blogspot.com",
    "wordpress.com", "tumblr.com",        "tripod.com",   "github.io",       "herokuapp.com",
    "appspot.com",   "azurewebsites.net", "cloudapp.net", "pages.dev",       "workers.dev",
    "netlify.app",   "vercel.app",        "web.app",      "firebaseapp.com", "weebly.com",
    "wixsite.com",   "000webhostapp.com", "ngrok.io",     "ngrok-free.app",  "cloudfront.net",
};

size_t ot_dn_registered(const char *name, size_t len)
{
    while (len > 0 && name[len - 1] == '.')
        len--;
    size_t st[5];
    size_t n = label_starts(name, len, st, 5);
    if (n <= 2)
        return 0;
    /* Shared hosting / dynamic DNS: the owner's label and the suffix. */
    for (size_t i = 0; i < sizeof(shared_suffixes) / sizeof(shared_suffixes[0]); i++) {
        size_t sl = strlen(shared_suffixes[i]);
        if (sl < len && name[len - sl - 1] == '.' &&
            strncasecmp(name + len - sl, shared_suffixes[i], sl) == 0) {
            /* the label before the suffix */
            size_t end = len - sl - 1, s = end;
            while (s > 0 && name[s - 1] != '.')
                s--;
            return s;
        }
    }
    size_t tld_len = len - st[0];
    size_t k = 1; /* index (from the end) of the registered label */
    if (tld_len == 2 &&
        label_is(name, st[1], st[0] - 1, generic_sld, sizeof(generic_sld) / sizeof(generic_sld[0])))
        k = 2;
    if (k >= n)
        return 0;
    /* blogspot.<cc> and blogspot.co.<cc>: the blog is one label further left. */
    if (k + 1 < n && st[k - 1] - 1 - st[k] == 8 && strncasecmp(name + st[k], "blogspot", 8) == 0)
        k++;
    size_t r = st[k];
    return r;
}

static const char *const local_suffixes[] = {
    "arpa", "local",  "localhost", "localdomain", "lan",  "home",    "internal", "intranet",
    "corp", "domain", "workgroup", "invalid",     "test", "example", "onion",
};

bool ot_dn_is_ignored(const char *name, size_t len)
{
    if (len == 0 || !memchr(name, '.', len))
        return true;
    if (ot_dn_match_list(name, len, local_suffixes,
                         sizeof(local_suffixes) / sizeof(local_suffixes[0])) >= 0)
        return true;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '_' && (i == 0 || name[i - 1] == '.'))
            return true;
    return false;
}

void ot_dn_label_stats(const char *name, size_t len, size_t *longest, size_t *labels)
{
    size_t cur = 0, lo = 0, nl = len ? 1 : 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '.') {
            nl++;
            cur = 0;
        } else if (++cur > lo) {
            lo = cur;
        }
    }
    *longest = lo;
    *labels = nl;
}

uint64_t ot_dn_hash(const char *name, size_t len, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint64_t)lower((unsigned char)name[i]);
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

size_t ot_dn_copy_lower(char *out, size_t cap, const char *name, size_t len)
{
    if (cap == 0)
        return 0;
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)lower((unsigned char)name[i]);
    out[n] = '\0';
    return n;
}
