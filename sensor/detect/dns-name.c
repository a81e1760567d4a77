/*
 * Domain-name helpers (dns-name.h).
 */
#include "detect/dns-name.h"

#include <string.h>
#include <strings.h>

#include "otasuke/error.h"

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

/* A built-in list entry with its length (the lists are tried on every name). */
struct lit {
    const char *s;
    size_t len;
};
#define L(str)                                                                                     \
    {                                                                                              \
        str, sizeof(str) - 1                                                                       \
    }

/* Index of the first entry of LIST that NAME ends with (ot_dn_has_suffix()), or -1. */
static int match_lits(const char *name, size_t len, const struct lit *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ot_dn_has_suffix_n(name, len, list[i].s, list[i].len))
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

static bool label_is(const char *name, size_t start, size_t end, const struct lit *set, size_t n)
{
    size_t l = end - start;
    for (size_t i = 0; i < n; i++)
        if (set[i].len == l && strncasecmp(name + start, set[i].s, l) == 0)
            return true;
    return false;
}

/*
 * Generic second levels that registries under a country code sell names
 * below (co.jp, com.au, org.uk, ne.jp, go.kr ...).
 */
static const struct lit generic_sld[] = {
    L("co"),  L("com"),  L("net"), L("org"), L("ac"),  L("edu"),  L("gov"), L("go"),  L("ne"),
    L("or"),  L("gr"),   L("ad"),  L("ed"),  L("lg"),  L("mil"),  L("ltd"), L("plc"), L("nic"),
    L("gob"), L("gouv"), L("nom"), L("sch"), L("biz"), L("info"), L("web"),
};

/*
 * Shared suffixes where every label below belongs to a different owner:
 * dynamic DNS and free hosting (one name per customer), so the owner's
 * label is the one that matters.
 */
static const struct lit shared_suffixes[] = {
    L("ddns.net"),          L("dyndns.org"),      L("dyndns.com"),        L("no-ip.org"),
    L("no-ip.com"),         L("no-ip.biz"),       L("no-ip.info"),        L("hopto.org"),
    L("zapto.org"),         L("sytes.net"),       L("serveftp.com"),      L("duckdns.org"),
    L("mooo.com"),          L("dynserv.com"),     L("afraid.org"),        L("changeip.com"),
    L("3utilities.com"),    L("myftp.biz"),       L("servebeer.com"),     L("blogspot.com"),
    L("wordpress.com"),     L("tumblr.com"),      L("tripod.com"),        L("github.io"),
    L("herokuapp.com"),     L("appspot.com"),     L("azurewebsites.net"), L("cloudapp.net"),
    L("pages.dev"),         L("workers.dev"),     L("netlify.app"),       L("vercel.app"),
    L("web.app"),           L("firebaseapp.com"), L("weebly.com"),        L("wixsite.com"),
    L("000webhostapp.com"), L("ngrok.io"),        L("ngrok-free.app"),    L("cloudfront.net"),
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
        size_t sl = shared_suffixes[i].len;
        if (sl < len && name[len - sl - 1] == '.' &&
            strncasecmp(name + len - sl, shared_suffixes[i].s, sl) == 0) {
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

static const struct lit local_suffixes[] = {
    L("arpa"),      L("local"),    L("localhost"), L("localdomain"), L("lan"),
    L("home"),      L("internal"), L("intranet"),  L("corp"),        L("domain"),
    L("workgroup"), L("invalid"),  L("test"),      L("example"),     L("onion"),
};

bool ot_dn_is_ignored(const char *name, size_t len)
{
    if (len == 0 || !memchr(name, '.', len))
        return true;
    if (match_lits(name, len, local_suffixes, sizeof(local_suffixes) / sizeof(local_suffixes[0])) >=
        0)
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

/*
 * The suffix set hashes from the last byte backwards (FNV-1a over the
 * lowercased bytes in reverse), so one pass over a name yields the hash of
 * every suffix; the lookup happens at each label start.
 */
#define SET_SEED  0xcbf29ce484222325ull
#define SET_PRIME 0x100000001b3ull

static uint32_t set_pos(uint64_t h)
{
    return (uint32_t)((h ^ (h >> 29)) * 0x9e3779b97f4a7c15ull >> 56) & (OT_DN_SET_SLOTS - 1);
}

static bool set_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

int ot_dn_set_add(struct ot_dn_set *s, const char *suffix, int value)
{
    size_t len = strlen(suffix);
    if (!len || value < 0 || len > UINT32_MAX)
        return OT_EINVAL;
    uint64_t h = SET_SEED;
    for (size_t i = len; i-- > 0;)
        h = (h ^ (uint64_t)lower((unsigned char)suffix[i])) * SET_PRIME;
    for (uint32_t i = set_pos(h);; i = (i + 1) & (OT_DN_SET_SLOTS - 1)) {
        struct ot_dn_set_slot *sl = &s->slot[i];
        if (!sl->s) {
            if (s->n >= OT_DN_SET_SLOTS / 2)
                return OT_ELIMIT;
            *sl = (struct ot_dn_set_slot){h, suffix, (uint32_t)len, value};
            s->n++;
            return 0;
        }
        if (sl->hash == h && sl->len == len && set_eq(sl->s, suffix, len)) {
            if (value < sl->value)
                sl->value = value;
            return 0;
        }
    }
}

static int set_find(const struct ot_dn_set *s, uint64_t h, const char *p, size_t len)
{
    for (uint32_t i = set_pos(h);; i = (i + 1) & (OT_DN_SET_SLOTS - 1)) {
        const struct ot_dn_set_slot *sl = &s->slot[i];
        if (!sl->s)
            return -1;
        if (sl->hash == h && sl->len == len && set_eq(sl->s, p, len))
            return sl->value;
    }
}

int ot_dn_set_match(const struct ot_dn_set *s, const char *name, size_t len)
{
    int best = -1;
    if (!s->n)
        return -1;
    uint64_t h = SET_SEED;
    for (size_t i = len; i-- > 0;) {
        h = (h ^ (uint64_t)lower((unsigned char)name[i])) * SET_PRIME;
        if (i == 0 || name[i - 1] == '.') {
            int v = set_find(s, h, name + i, len - i);
            if (v >= 0 && (best < 0 || v < best))
                best = v;
        }
    }
    return best;
}
