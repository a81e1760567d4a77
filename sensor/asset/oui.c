/*
 * IEEE registry (ieee-data) loading and MAC vendor lookup.  See oui.h.
 */
#include "asset/oui.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "otasuke/error.h"

#define NAME_BITS  28 /* low bits of a key: offset of the name in the pool */
#define NAME_LIMIT (1u << NAME_BITS)
#define FIELD_MAX  256        /* bytes kept of a CSV field; the rest is skipped */
#define DH_MIN     4096       /* first size of the name set */
#define DH_MAX     (1u << 20) /* largest size chosen up front (it grows past if need be) */

/* Tables in lookup order: the longest prefix wins. */
enum { T36, T28, T24, T__COUNT };
static const unsigned table_bits[T__COUNT] = {36, 28, 24};

struct ot_oui {
    uint64_t *tab[T__COUNT];
    uint32_t n[T__COUNT];
    char *pool; /* NUL-terminated names */
    size_t pool_len;
    struct ot_oui_stats st;
};

/* Load-time state: growing tables and a hash that makes each name stored once. */
struct builder {
    uint64_t *tab[T__COUNT];
    uint32_t n[T__COUNT], cap[T__COUNT];
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t *dh; /* pool offset + 1; 0 = empty */
    uint32_t dh_mask, dh_n;
    uint32_t bad;
    bool nomem;
};

/* A name about to be stored: trimmed, cut, hashed. */
struct name {
    const char *s;
    size_t n;
    uint32_t hash;
    bool odd; /* holds a control character (NUL, CR, tab...) */
};

/* Non-zero if a byte of w is below 0x20 (a control character: NUL, tab, CR...). */
static inline uint64_t has_ctrl(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull;
    return (w - 0x20 * ones) & ~w & 0x80 * ones;
}

/*
 * Hash of a name, 8 bytes a step (the names average 22 bytes; a byte-wise
 * FNV-1a cost 10 million instructions for the registry), noting in the same
 * pass whether a byte is a control character (NUL, CR, tab...).
 */
static uint32_t name_hash(const char *s, size_t n, bool *odd)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = n * k, w, z = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        z |= has_ctrl(w);
        h = (h ^ w) * k;
    }
    if (i < n) {
        if (n >= 8) {
            memcpy(&w, s + n - 8, 8); /* the last 8 bytes, overlapping the ones hashed */
        } else {
            w = ~0ull;
            for (size_t j = 0; j < n; j++)
                w = w << 8 | (uint8_t)s[j];
        }
        z |= has_ctrl(w);
        h = (h ^ w) * k;
    }
    *odd = z != 0;
    h ^= h >> 32;
    return (uint32_t)h;
}

/* Rehash the name set into ncap (a power of two) slots. */
static bool dh_grow(struct builder *b, uint32_t ncap)
{
    uint32_t *nh = calloc(ncap, sizeof(*nh));
    if (!nh)
        return false;
    for (uint32_t i = 0; b->dh && i <= b->dh_mask; i++) {
        if (!b->dh[i])
            continue;
        const char *s = b->pool + b->dh[i] - 1;
        bool odd;
        uint32_t j = name_hash(s, strlen(s), &odd) & (ncap - 1);
        while (nh[j])
            j = (j + 1) & (ncap - 1);
        nh[j] = b->dh[i];
    }
    free(b->dh);
    b->dh = nh;
    b->dh_mask = ncap - 1;
    return true;
}

/* Cut a name to OT_OUI_NAME_MAX bytes without splitting a UTF-8 sequence. */
static size_t cut_utf8(const char *s, size_t n)
{
    if (n <= OT_OUI_NAME_MAX)
        return n;
    n = OT_OUI_NAME_MAX;
    while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

/* Blanks around a name cut (and CRs after it), then at most OT_OUI_NAME_MAX bytes. */
static void name_prep(struct name *nm, const char *s, size_t n)
{
    while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    n = cut_utf8(s, n);
    nm->s = s;
    nm->n = n;
    nm->odd = false;
    nm->hash = n ? name_hash(s, n, &nm->odd) : 0;
}

/*
 * Store a prepared name once; returns its pool offset, or -1 (empty name, a
 * NUL in it, no memory, pool full).
 */
static int64_t name_put(struct builder *b, const struct name *nm)
{
    const char *s = nm->s;
    size_t n = nm->n;
    if (n == 0 || (nm->odd && memchr(s, 0, n)))
        return -1;
    if ((b->dh_n + 1) * 2 > b->dh_mask + 1 && !dh_grow(b, (b->dh_mask + 1) * 2)) {
        b->nomem = true;
        return -1;
    }
    uint32_t j = nm->hash & b->dh_mask;
    while (b->dh[j]) {
        const char *t = b->pool + b->dh[j] - 1;
        if (strncmp(t, s, n) == 0 && t[n] == 0)
            return b->dh[j] - 1;
        j = (j + 1) & b->dh_mask;
    }
    if (b->pool_len + n + 1 >= NAME_LIMIT)
        return -1;
    if (b->pool_len + n + 1 > b->pool_cap) {
        size_t ncap = b->pool_cap ? b->pool_cap * 2 : 65536;
        while (ncap < b->pool_len + n + 1)
            ncap *= 2;
        char *np = realloc(b->pool, ncap);
        if (!np) {
            b->nomem = true;
            return -1;
        }
        b->pool = np;
        b->pool_cap = ncap;
    }
    size_t off = b->pool_len;
    memcpy(b->pool + off, s, n);
    b->pool[off + n] = 0;
    b->pool_len += n + 1;
    b->dh[j] = (uint32_t)off + 1;
    b->dh_n++;
    return (int64_t)off;
}

static void add_named(struct builder *b, int t, uint64_t prefix, const struct name *nm)
{
    int64_t off = name_put(b, nm);
    if (off < 0) {
        b->bad++;
        return;
    }
    if (b->n[t] == b->cap[t]) {
        uint32_t ncap = b->cap[t] ? b->cap[t] * 2 : 1024;
        uint64_t *nt = realloc(b->tab[t], ncap * sizeof(*nt));
        if (!nt) {
            b->nomem = true;
            return;
        }
        b->tab[t] = nt;
        b->cap[t] = ncap;
    }
    b->tab[t][b->n[t]++] = prefix << NAME_BITS | (uint64_t)off;
}

static void add_entry(struct builder *b, int t, uint64_t prefix, const char *name, size_t nlen)
{
    struct name nm;
    name_prep(&nm, name, nlen);
    add_named(b, t, prefix, &nm);
}

/* A hex digit's value | 16; 0 for other bytes. */
static const uint8_t hex16[256] = {
    ['0'] = 16, ['1'] = 17, ['2'] = 18, ['3'] = 19, ['4'] = 20, ['5'] = 21, ['6'] = 22, ['7'] = 23,
    ['8'] = 24, ['9'] = 25, ['A'] = 26, ['B'] = 27, ['C'] = 28, ['D'] = 29, ['E'] = 30, ['F'] = 31,
    ['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31,
};

static int hexval(char c)
{
    return hex16[(uint8_t)c] ? hex16[(uint8_t)c] - 16 : -1;
}

/* Exactly n hex digits → value; false otherwise. */
static bool parse_hex(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 12)
        return false;
    for (size_t i = 0; i < n; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint64_t)h;
    }
    *out = v;
    return true;
}

/* An assignment of 6, 7 or 9 hex digits (MA-L, MA-M, MA-S/IAB). */
static void add_assignment(struct builder *b, const char *hex, size_t hn, const char *name,
                           size_t nlen)
{
    uint64_t v;
    int t = hn == 9 ? T36 : hn == 7 ? T28 : hn == 6 ? T24 : -1;
    if (t < 0 || !parse_hex(hex, hn, &v)) {
        b->bad++;
        return;
    }
    add_entry(b, t, v, name, nlen);
}

/* Appends up to FIELD_MAX bytes in all to out (NULL: the field is not kept). */
static void field_put(char *out, size_t *n, const char *s, size_t k)
{
    if (!out)
        return;
    if (k > FIELD_MAX - *n)
        k = FIELD_MAX - *n;
    memcpy(out + *n, s, k);
    *n += k;
}

/*
 * One CSV field from d[*pos]: quoted ("" is a quote; newlines allowed inside)
 * or not.  Keeps up to FIELD_MAX bytes in out (NULL:
 * skipped, such as the long address field); sets *eor when
 * the record ends after it.  Always moves *pos forward unless it is at the end.
 */
static size_t csv_field(const char *d, size_t len, size_t *pos, char *out, bool *eor)
{
    size_t i = *pos, n = 0;
    if (i < len && d[i] == '"') {
        i++;
        while (i < len) {
            /* A run up to the next quote in one copy (the address fields are long). */
            const char *q = memchr(d + i, '"', len - i);
            size_t e = q ? (size_t)(q - d) : len;
            field_put(out, &n, d + i, e - i);
            i = e;
            if (i >= len)
                break;
            if (i + 1 < len && d[i + 1] == '"') {
                field_put(out, &n, "\"", 1);
                i += 2;
                continue;
            }
            i++;
            break;
        }
    }
    /* Unquoted text, or whatever follows a closing quote up to the separator. */
    size_t j = i;
    while (j < len && d[j] != ',' && d[j] != '\n')
        j++;
    if (out)
        for (size_t k = i; k < j && n < FIELD_MAX; k++)
            if (d[k] != '\r')
                out[n++] = d[k];
    i = j;
    *eor = i >= len || d[i] == '\n';
    *pos = i < len ? i + 1 : len;
    return n;
}

/* One record, any shape, from d[*pos] (see csv_field()); the first may be the header. */
static void csv_record(struct builder *b, const char *d, size_t len, size_t *pos, bool first)
{
    char f[3][FIELD_MAX];
    size_t fl[3] = {0, 0, 0};
    unsigned nf = 0;
    bool eor = false;
    while (!eor) {
        if (nf == 3) {
            /* The rest of the record (address) is not kept: jump to its end unless quoted. */
            const char *nl = memchr(d + *pos, '\n', len - *pos);
            size_t e = nl ? (size_t)(nl - d) : len;
            if (!memchr(d + *pos, '"', e - *pos)) {
                *pos = e < len ? e + 1 : len;
                nf++;
                break;
            }
        }
        size_t n = csv_field(d, len, pos, nf < 3 ? f[nf] : NULL, &eor);
        if (nf < 3)
            fl[nf] = n;
        nf++;
    }
    bool header = first && fl[0] == 8 && memcmp(f[0], "Registry", 8) == 0;
    if (header || (nf == 1 && fl[0] == 0))
        return; /* the header, or an empty line */
    if (nf < 3) {
        b->bad++;
        return;
    }
    add_assignment(b, f[1], fl[1], f[2], fl[2]);
}

/*
 * An assignment of 6, 7 or 9 hex digits followed by a comma before e: the
 * table it goes to, its value and its length; -1 otherwise.  The first six
 * digits, which every assignment has, are read without a loop.
 */
static int assignment(const char *p, const char *e, uint64_t *v, size_t *len)
{
    if (e - p < 7)
        return -1;
    const uint8_t *u = (const uint8_t *)p;
    unsigned x0 = hex16[u[0]], x1 = hex16[u[1]], x2 = hex16[u[2]], x3 = hex16[u[3]],
             x4 = hex16[u[4]], x5 = hex16[u[5]];
    if (!(x0 & x1 & x2 & x3 & x4 & x5))
        return -1;
    uint64_t r = (uint64_t)(x0 & 15) << 20 | (x1 & 15) << 16 | (x2 & 15) << 12 | (x3 & 15) << 8 |
                 (x4 & 15) << 4 | (x5 & 15);
    size_t n = 6;
    while (n < 9 && p + n < e && hex16[u[n]])
        r = r << 4 | (hex16[u[n++]] & 15);
    if (p + n >= e || p[n] != ',' || n == 8)
        return -1;
    *v = r;
    *len = n;
    return n == 6 ? T24 : n == 7 ? T28 : T36;
}

/*
 * The common record, parsed in place: "MA-L,002272,Name,Address" with the
 * name and the address each plain or quoted (no "" inside), the address up to
 * the end of its line or of its quotes.  Finds the line's end, the fields'
 * ends and the address's end with memchr() and copies nothing: the registry
 * is 4 MB, most of it addresses that are skipped.  Returns false, having done
 * nothing, for any other shape (a bad assignment, a line end inside the first
 * three fields, a quote inside a field, fewer or more than four fields, a
 * plain name longer than OT_OUI_NAME_MAX or a name with a control character...): the
 * caller then parses the record with csv_record(), whose result is the same
 * for the records taken here.
 */
static bool csv_fast(struct builder *b, const char *d, size_t len, size_t *pos)
{
    const char *p = d + *pos, *end = d + len;
    const char *nl = memchr(p, '\n', len - *pos);
    if (!nl)
        nl = end;
    /* Registry: not kept (only the header's is looked at). */
    if (*p == '"' || !(p = memchr(p, ',', (size_t)(nl - p))))
        return false;
    p++;
    uint64_t v;
    size_t hn;
    int t = assignment(p, nl, &v, &hn);
    if (t < 0)
        return false;
    p += hn + 1;
    /* Name: quoted and followed by a comma, or plain up to a comma. */
    const char *name = p, *ne;
    if (p < nl && *p == '"') {
        name++;
        ne = memchr(name, '"', (size_t)(nl - name));
        if (!ne || ne + 1 >= nl || ne[1] != ',')
            return false;
        p = ne + 2;
    } else {
        ne = memchr(name, ',', (size_t)(nl - name));
        if (!ne || ne - name > OT_OUI_NAME_MAX)
            return false;
        p = ne + 1;
    }
    /* Address: quoted up to a quote followed by the line end, or plain without quotes. */
    if (p < nl && *p == '"') {
        const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
        if (!q)
            return false;
        p = q + 1;
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p != '\n')
            return false;
    } else {
        if (memchr(p, '"', (size_t)(nl - p)))
            return false;
        p = nl;
    }
    /*
     * csv_field() keeps at most FIELD_MAX bytes and drops the CRs of a plain
     * field; a trimmed name without CR (or other control character) is the
     * same either way.
     */
    size_t nlen = (size_t)(ne - name);
    struct name nm;
    name_prep(&nm, name, nlen < FIELD_MAX ? nlen : FIELD_MAX);
    if (nm.odd)
        return false;
    *pos = p < end ? (size_t)(p - d) + 1 : len;
    add_named(b, t, v, &nm);
    return true;
}

static void parse_csv(struct builder *b, const char *d, size_t len)
{
    size_t pos = 0;
    bool first = true;
    while (pos < len && !b->nomem) {
        if (!first && csv_fast(b, d, len, &pos))
            continue;
        csv_record(b, d, len, &pos, first);
        first = false;
    }
}

/*
 * A "(base 16)" line of the text listing: "002272  (base 16)  Name" (MA-L)
 * or "900000-9FFFFF  (base 16)  Name" (MA-M, MA-S, IAB: a range inside the
 * 24-bit block given by the "(hex)" line before it).
 */
static void txt_base16(struct builder *b, const char *l, size_t n, const char *mark, uint64_t block,
                       bool have_block)
{
    const char *tok = l;
    while (tok < mark && (*tok == ' ' || *tok == '\t'))
        tok++;
    size_t tn = 0;
    while (tok + tn < mark && tok[tn] != ' ' && tok[tn] != '\t')
        tn++;
    const char *name = mark + 9;
    size_t nlen = (size_t)(l + n - name);
    uint64_t lo, hi;
    if (tn == 6) {
        add_assignment(b, tok, 6, name, nlen);
    } else if (tn == 13 && tok[6] == '-' && have_block && parse_hex(tok, 6, &lo) &&
               parse_hex(tok + 7, 6, &hi)) {
        if ((lo & 0xfffff) == 0 && hi == (lo | 0xfffff))
            add_entry(b, T28, block << 4 | lo >> 20, name, nlen);
        else if ((lo & 0xfff) == 0 && hi == (lo | 0xfff))
            add_entry(b, T36, block << 12 | lo >> 12, name, nlen);
        else
            b->bad++;
    } else {
        b->bad++;
    }
}

static void parse_txt(struct builder *b, const char *d, size_t len)
{
    uint64_t block = 0;
    bool have_block = false;
    size_t pos = 0;
    while (pos < len && !b->nomem) {
        const char *l = d + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + 1;
        const char *m = memmem(l, n, "(base 16)", 9);
        if (m) {
            txt_base16(b, l, n, m, block, have_block);
            continue;
        }
        if (memmem(l, n, "(hex)", 5)) {
            /* "74-1A-E0   (hex)   Name" */
            size_t i = 0;
            while (i < n && (l[i] == ' ' || l[i] == '\t'))
                i++;
            char hx[6];
            size_t k = 0;
            for (; i < n && k < 6; i++) {
                if (l[i] == '-')
                    continue;
                if (hexval(l[i]) < 0)
                    break;
                hx[k++] = l[i];
            }
            have_block = k == 6 && parse_hex(hx, 6, &block);
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Sorts v[0..n) by prefix (key >> NAME_BITS, at most 36 bits): a
 * least-significant-digit radix sort, 12 bits a pass with one counting pass
 * for all digits, skipping the passes where every key has the same digit
 * (under a million instructions for the 46,000 registry entries; qsort()
 * took 19 million).  Keys of one prefix end in no set order.  Falls back to
 * qsort() on the whole key when the scratch memory cannot be had.
 */
static void sort_by_prefix(uint64_t *v, size_t n)
{
    enum { DIGIT = 12, BUCKETS = 1 << DIGIT, PASSES = 3 };
    if (n < 2)
        return;
    uint64_t *tmp = malloc(n * sizeof(*v));
    uint32_t(*count)[BUCKETS] = tmp ? calloc(PASSES, sizeof(*count)) : NULL;
    if (!count) {
        free(tmp);
        qsort(v, n, sizeof(*v), cmp_u64);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t p = v[i] >> NAME_BITS;
        for (int k = 0; k < PASSES; k++)
            count[k][(p >> (k * DIGIT)) & (BUCKETS - 1)]++;
    }
    uint64_t *src = v, *dst = tmp;
    for (int k = 0; k < PASSES; k++) {
        unsigned shift = NAME_BITS + (unsigned)k * DIGIT;
        uint32_t *c = count[k];
        if (c[(src[0] >> shift) & (BUCKETS - 1)] == n)
            continue; /* one digit for all: this pass would not move anything */
        uint32_t sum = 0;
        for (size_t d = 0; d < BUCKETS; d++) {
            uint32_t x = c[d];
            c[d] = sum;
            sum += x;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[(src[i] >> shift) & (BUCKETS - 1)]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof(*v));
    free(count);
    free(tmp);
}

/*
 * Sort, keep one entry per prefix: the one whose name came first in the pool
 * (the lowest key), and move the tables and the pool into o.
 */
static int seal(struct builder *b, struct ot_oui *o)
{
    for (int t = 0; t < T__COUNT; t++) {
        uint64_t *v = b->tab[t];
        uint32_t n = b->n[t], k = 0;
        sort_by_prefix(v, n);
        for (uint32_t i = 0; i < n; i++) {
            if (k && v[k - 1] >> NAME_BITS == v[i] >> NAME_BITS) {
                if (v[i] < v[k - 1])
                    v[k - 1] = v[i];
                continue;
            }
            v[k++] = v[i];
        }
        if (k && k < b->cap[t]) {
            uint64_t *nv = realloc(v, k * sizeof(*v));
            if (nv)
                v = nv;
        }
        o->tab[t] = v;
        o->n[t] = k;
        b->tab[t] = NULL;
    }
    if (b->pool_len && b->pool_len < b->pool_cap) {
        char *np = realloc(b->pool, b->pool_len);
        if (np)
            b->pool = np;
    }
    o->pool = b->pool;
    o->pool_len = b->pool_len;
    b->pool = NULL;
    o->st.ma_s = o->n[T36];
    o->st.ma_m = o->n[T28];
    o->st.ma_l = o->n[T24];
    o->st.bad_records = b->bad;
    o->st.bytes = sizeof(*o) + o->pool_len;
    for (int t = 0; t < T__COUNT; t++)
        o->st.bytes += (size_t)o->n[t] * sizeof(uint64_t);
    return o->n[T36] + o->n[T28] + o->n[T24] ? OT_OK : OT_EINVAL;
}

static void builder_free(struct builder *b)
{
    for (int t = 0; t < T__COUNT; t++)
        free(b->tab[t]);
    free(b->pool);
    free(b->dh);
}

int ot_oui_load_buffers(const struct ot_oui_src *src, size_t n, struct ot_oui **out)
{
    *out = NULL;
    struct builder b;
    memset(&b, 0, sizeof(b));
    /*
     * Size the name set once for the input: a registry record takes 90 bytes
     * and two in three names are new, so len / 128 slots keep it about half
     * full (the Debian registry: 4.3 MB, 29,600 names, 65,536 slots).
     */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += src[i].len;
    uint32_t slots = DH_MIN;
    while (slots < DH_MAX && slots < total / 128)
        slots *= 2;
    if (!dh_grow(&b, slots))
        return OT_ENOMEM;
    for (size_t i = 0; i < n && !b.nomem; i++) {
        if (src[i].csv)
            parse_csv(&b, src[i].data, src[i].len);
        else
            parse_txt(&b, src[i].data, src[i].len);
    }
    struct ot_oui *o = b.nomem ? NULL : calloc(1, sizeof(*o));
    if (!o) {
        builder_free(&b);
        return OT_ENOMEM;
    }
    int rc = seal(&b, o);
    o->st.files = (uint32_t)n;
    builder_free(&b);
    if (rc) {
        ot_oui_free(o);
        return rc;
    }
    *out = o;
    return OT_OK;
}

/*
 * A registry file mapped read-only (bounded by OT_OUI_FILE_MAX), its pages
 * populated in one go: the parsers only read it.  Reading the four files
 * into memory instead cost a copy and, in fresh pages, a fault or a huge
 * page's clearing for every part of them: about a quarter of the registry's
 * load time (docs/performance.md).  An empty file is a zero-length buffer
 * that is not mapped.  (A file cut short by someone else while it is mapped
 * would fault the reader: package updates replace these files, they do not
 * rewrite them in place.)  Unmap with unmap_file(*data, *len).
 */
static int map_file(const char *path, const char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? OT_ENOENT : OT_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)OT_OUI_FILE_MAX) {
        close(fd);
        return OT_EIO;
    }
    *len = (size_t)st.st_size;
    *data = "";
    if (*len) {
        void *m = mmap(NULL, *len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return errno == ENOMEM ? OT_ENOMEM : OT_EIO;
        }
        *data = m;
    }
    close(fd);
    return OT_OK;
}

static void unmap_file(const char *data, size_t len)
{
    if (len)
        munmap((void *)(uintptr_t)data, len);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int ot_oui_load(const char *path, struct ot_oui **out)
{
    static const char *const siblings[] = {"mam", "oui36", "iab"};
    struct ot_oui_src src[4];
    size_t n = 0;
    *out = NULL;
    int rc = map_file(path, &src[0].data, &src[0].len);
    if (rc)
        return rc;
    /* The CSV files start with their header; the name decides otherwise. */
    bool csv =
        ends_with(path, ".csv") || (src[0].len >= 9 && memcmp(src[0].data, "Registry,", 9) == 0);
    src[n++].csv = csv;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "oui.csv") == 0 || strcmp(base, "oui.txt") == 0) {
        size_t dl = (size_t)(base - path);
        for (size_t i = 0; i < 3; i++) {
            char p[4096];
            int k = snprintf(p, sizeof(p), "%.*s%s%s", (int)dl, path, siblings[i],
                             csv ? ".csv" : ".txt");
            if (k < 0 || (size_t)k >= sizeof(p))
                break;
            if (map_file(p, &src[n].data, &src[n].len) != OT_OK)
                continue; /* siblings are optional */
            src[n++].csv = csv;
        }
    }
    rc = ot_oui_load_buffers(src, n, out);
    for (size_t i = 0; i < n; i++)
        unmap_file(src[i].data, src[i].len);
    return rc;
}

const char *ot_oui_lookup(const struct ot_oui *o, const uint8_t mac[6])
{
    if (!o || (mac[0] & 3)) /* multicast or locally administered */
        return NULL;
    uint64_t m = 0;
    for (int i = 0; i < 6; i++)
        m = m << 8 | mac[i];
    for (int t = 0; t < T__COUNT; t++) {
        uint64_t want = m >> (48 - table_bits[t]);
        const uint64_t *v = o->tab[t];
        size_t lo = 0, hi = o->n[t];
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            uint64_t p = v[mid] >> NAME_BITS;
            if (p == want)
                return o->pool + (v[mid] & (NAME_LIMIT - 1));
            if (p < want)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    return NULL;
}

const struct ot_oui_stats *ot_oui_stats(const struct ot_oui *o)
{
    return &o->st;
}

void ot_oui_free(struct ot_oui *o)
{
    if (!o)
        return;
    for (int t = 0; t < T__COUNT; t++)
        free(o->tab[t]);
    free(o->pool);
    free(o);
}
