/*
 * IEEE registry (ieee-data) loading and MAC vendor lookup.  See oui.h.
 */
#include "asset/oui.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "otasuke/error.h"

#define NAME_BITS  28 /* low bits of a key: offset of the name in the pool */
#define NAME_LIMIT (1u << NAME_BITS)
#define FIELD_MAX  256 /* bytes kept of a CSV field; the rest is skipped */

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

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static bool dh_grow(struct builder *b)
{
    uint32_t ncap = b->dh ? (b->dh_mask + 1) * 2 : 4096;
    uint32_t *nh = calloc(ncap, sizeof(*nh));
    if (!nh)
        return false;
    for (uint32_t i = 0; b->dh && i <= b->dh_mask; i++) {
        if (!b->dh[i])
            continue;
        const char *s = b->pool + b->dh[i] - 1;
        uint32_t j = name_hash(s, strlen(s)) & (ncap - 1);
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

/* Store a name once; returns its pool offset, or -1 (empty name, no memory, pool full). */
static int64_t intern(struct builder *b, const char *s, size_t n)
{
    while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    n = cut_utf8(s, n);
    if (n == 0 || memchr(s, 0, n))
        return -1;
    if ((b->dh_n + 1) * 2 > (b->dh ? b->dh_mask + 1 : 0) && !dh_grow(b)) {
        b->nomem = true;
        return -1;
    }
    uint32_t j = name_hash(s, n) & b->dh_mask;
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

static void add_entry(struct builder *b, int t, uint64_t prefix, const char *name, size_t nlen)
{
    int64_t off = intern(b, name, nlen);
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

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
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

static void parse_csv(struct builder *b, const char *d, size_t len)
{
    size_t pos = 0;
    bool first = true;
    while (pos < len && !b->nomem) {
        char f[3][FIELD_MAX];
        size_t fl[3] = {0, 0, 0};
        unsigned nf = 0;
        bool eor = false;
        while (!eor) {
            if (nf == 3) {
                /* The rest of the record (address) is not kept: jump to its end unless quoted. */
                const char *nl = memchr(d + pos, '\n', len - pos);
                size_t e = nl ? (size_t)(nl - d) : len;
                if (!memchr(d + pos, '"', e - pos)) {
                    pos = e < len ? e + 1 : len;
                    nf++;
                    break;
                }
            }
            size_t n = csv_field(d, len, &pos, nf < 3 ? f[nf] : NULL, &eor);
            if (nf < 3)
                fl[nf] = n;
            nf++;
        }
        bool header = first && fl[0] == 8 && memcmp(f[0], "Registry", 8) == 0;
        first = false;
        if (header || (nf == 1 && fl[0] == 0))
            continue; /* the header, or an empty line */
        if (nf < 3) {
            b->bad++;
            continue;
        }
        add_assignment(b, f[1], fl[1], f[2], fl[2]);
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
 * Sorts v[0..n) ascending: a least-significant-digit radix sort, 16 bits a
 * pass, skipping the passes where every key has the same digit (about 3
 * million instructions for the 46,000 registry entries where qsort() took
 * 19 million).  Falls back to qsort() when the scratch buffer cannot be had.
 */
static void sort_u64(uint64_t *v, size_t n)
{
    uint64_t *tmp = n > 1 ? malloc(n * sizeof(*v)) : NULL;
    uint32_t *count = tmp ? malloc(65536 * sizeof(*count)) : NULL;
    if (!count) {
        free(tmp);
        if (n > 1)
            qsort(v, n, sizeof(*v), cmp_u64);
        return;
    }
    uint64_t *src = v, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof(*count));
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift) & 0xffff]++;
        if (count[(src[0] >> shift) & 0xffff] == n)
            continue; /* one digit for all: this pass would not move anything */
        uint32_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof(*v));
    free(count);
    free(tmp);
}

/* Sort, drop repeated prefixes (the first in key order stays), move into o. */
static int seal(struct builder *b, struct ot_oui *o)
{
    for (int t = 0; t < T__COUNT; t++) {
        uint64_t *v = b->tab[t];
        uint32_t n = b->n[t], k = 0;
        sort_u64(v, n);
        for (uint32_t i = 0; i < n; i++) {
            if (k && v[k - 1] >> NAME_BITS == v[i] >> NAME_BITS)
                continue;
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

/* Whole file into memory (bounded by OT_OUI_FILE_MAX). */
static int read_file(const char *path, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? OT_ENOENT : OT_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)OT_OUI_FILE_MAX) {
        close(fd);
        return OT_EIO;
    }
    size_t cap = (size_t)st.st_size, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return OT_ENOMEM;
    }
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = n;
    return OT_OK;
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
    char *bufs[4] = {NULL, NULL, NULL, NULL};
    size_t n = 0;
    *out = NULL;
    int rc = read_file(path, &bufs[0], &src[0].len);
    if (rc)
        return rc;
    /* The CSV files start with their header; the name decides otherwise. */
    bool csv = ends_with(path, ".csv") || (src[0].len >= 9 && memcmp(bufs[0], "Registry,", 9) == 0);
    src[n].data = bufs[n];
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
            if (read_file(p, &bufs[n], &src[n].len) != OT_OK)
                continue; /* siblings are optional */
            src[n].data = bufs[n];
            src[n++].csv = csv;
        }
    }
    rc = ot_oui_load_buffers(src, n, out);
    for (size_t i = 0; i < n; i++)
        free(bufs[i]);
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
