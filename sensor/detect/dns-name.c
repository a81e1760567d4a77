/*
 * Domain-name helpers (dns-name.h).
 */
#include "detect/dns-name.h"

#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "otasuke/error.h"

static int lower(int c)
{
    return ot_ascii_lower((unsigned char)c);
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

/*
 * Is S (L bytes, any case) the lower-case entry E?  The length and first
 * letter first: the lists are tried on every name and mostly miss.
 */
static bool lit_eq(const char *s, size_t l, const struct lit *e)
{
    return e->len == l && l && lower((unsigned char)s[0]) == e->s[0] &&
           strncasecmp(s, e->s, l) == 0;
}

static bool label_is(const char *name, size_t start, size_t end, const struct lit *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lit_eq(name + start, end - start, &set[i]))
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
 * label is the one that matters.  Each is exactly two labels
 * (ot_dn_registered() relies on it).
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
    /*
     * Shared hosting / dynamic DNS: the owner's label and the suffix.  Every
     * entry is two labels, so only the name's last two can be one.
     */
    size_t two = len - st[1];
    for (size_t i = 0; i < sizeof(shared_suffixes) / sizeof(shared_suffixes[0]); i++)
        if (lit_eq(name + st[1], two, &shared_suffixes[i]))
            return st[2]; /* the label before the suffix */
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

/* Single labels (ot_dn_is_ignored() compares them with the last label only). */
static const struct lit local_suffixes[] = {
    L("arpa"),      L("local"),    L("localhost"), L("localdomain"), L("lan"),
    L("home"),      L("internal"), L("intranet"),  L("corp"),        L("domain"),
    L("workgroup"), L("invalid"),  L("test"),      L("example"),     L("onion"),
};

bool ot_dn_is_ignored(const char *name, size_t len)
{
    const char *dot = len ? memrchr(name, '.', len) : NULL;
    if (!dot)
        return true;
    size_t last = (size_t)(dot - name) + 1; /* where the last label starts */
    if (label_is(name, last, len, local_suffixes,
                 sizeof(local_suffixes) / sizeof(local_suffixes[0])))
        return true;
    for (const char *u = memchr(name, '_', len); u;
         u = memchr(u + 1, '_', len - (size_t)(u + 1 - name)))
        if (u == name || u[-1] == '.')
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
            if (len > s->max_len)
                s->max_len = (uint32_t)len;
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
    /* Suffixes longer than every entry cannot match: stop there. */
    size_t stop = len > s->max_len ? len - s->max_len : 0;
    for (size_t i = len; i-- > stop;) {
        h = (h ^ (uint64_t)lower((unsigned char)name[i])) * SET_PRIME;
        if (i == 0 || name[i - 1] == '.') {
            int v = set_find(s, h, name + i, len - i);
            if (v >= 0 && (best < 0 || v < best))
                best = v;
        }
    }
    return best;
}

/* ---- a name looked at by several detectors ---- */

enum { HAVE_IGNORED = 1, HAVE_REG = 2, HAVE_SFX = 4 };

void ot_dn_name_init(struct ot_dn_name *n, const char *name, size_t len)
{
    n->s = name;
    n->len = len;
    n->have = 0;
}

bool ot_dn_name_ignored(struct ot_dn_name *n)
{
    if (!(n->have & HAVE_IGNORED)) {
        n->ignored = ot_dn_is_ignored(n->s, n->len);
        n->have |= HAVE_IGNORED;
    }
    return n->ignored;
}

size_t ot_dn_name_registered(struct ot_dn_name *n)
{
    if (!(n->have & HAVE_REG)) {
        n->reg = ot_dn_registered(n->s, n->len);
        n->have |= HAVE_REG;
    }
    return n->reg;
}

/* The hashes ot_dn_set_match() computes, for every suffix that starts a label. */
static void name_suffixes(struct ot_dn_name *n)
{
    /* Locals: the name's bytes may alias the struct as far as the compiler knows. */
    const char *s = n->s;
    size_t len = n->len;
    uint64_t h = SET_SEED;
    uint32_t k = len > UINT32_MAX ? UINT32_MAX : 0;
    for (size_t i = len; k != UINT32_MAX && i-- > 0;) {
        h = (h ^ (uint64_t)lower((unsigned char)s[i])) * SET_PRIME;
        if (i == 0 || s[i - 1] == '.') {
            if (k == OT_DN_NAME_MAX_LABELS) {
                k = UINT32_MAX; /* too many labels: match the slow way */
                break;
            }
            n->sfx_off[k] = (uint32_t)i;
            n->sfx_hash[k++] = h;
        }
    }
    n->n_sfx = k;
    n->have |= HAVE_SFX;
}

int ot_dn_set_match_name(const struct ot_dn_set *s, struct ot_dn_name *n)
{
    if (!s->n)
        return -1;
    if (!(n->have & HAVE_SFX))
        name_suffixes(n);
    if (n->n_sfx == UINT32_MAX)
        return ot_dn_set_match(s, n->s, n->len);
    int best = -1;
    for (uint32_t k = 0; k < n->n_sfx; k++) {
        size_t sl = n->len - n->sfx_off[k];
        if (sl > s->max_len)
            break; /* the rest are longer still */
        int v = set_find(s, n->sfx_hash[k], n->s + n->sfx_off[k], sl);
        if (v >= 0 && (best < 0 || v < best))
            best = v;
    }
    return best;
}
