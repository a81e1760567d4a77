/*
 * CSV indicator files (RFC 4180): fields separated by ',', optionally
 * quoted with '"' ("" inside quotes is one quote; a quoted field may span
 * lines).  Columns: value, type, category, confidence, source.
 *
 * The first record is a header when it names columns (any order, any case,
 * with aliases: see the role table); otherwise the order is
 * value,type,category,confidence,source.  abuse.ch files put their header in
 * a comment ("# Listingdate,SHA1,Listingreason"): a comment before the first
 * record that reads as a header is used when no real header follows.
 * Lines starting with '#' outside a quoted field are comments; blank lines
 * are skipped; columns a header does not know are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

#define MAX_FIELDS 64
#define TYPE_MEMO  8

enum col { C_VALUE, C_TYPE, C_CATEGORY, C_CONFIDENCE, C_SOURCE, C_COUNT };

enum role { R_NONE, R_VALUE, R_VALUE_TYPED, R_TYPE, R_CATEGORY, R_CONFIDENCE, R_SOURCE };

/* Header names after folding (lower case, letters and digits only).
 * R_VALUE names win over R_VALUE_TYPED ones ("url", "ip"...), which are
 * value columns only when no explicit one exists; for the other roles the
 * first column wins. */
static const struct {
    const char *name;
    enum role role;
} roles[] = {
    {"value", R_VALUE},
    {"indicator", R_VALUE},
    {"indicatorvalue", R_VALUE},
    {"ioc", R_VALUE},
    {"iocvalue", R_VALUE},
    {"observable", R_VALUE},
    {"observablevalue", R_VALUE},
    {"url", R_VALUE_TYPED},
    {"uri", R_VALUE_TYPED},
    {"ip", R_VALUE_TYPED},
    {"ipaddress", R_VALUE_TYPED},
    {"ipaddr", R_VALUE_TYPED},
    {"ipv4", R_VALUE_TYPED},
    {"ipv6", R_VALUE_TYPED},
    {"address", R_VALUE_TYPED},
    {"dstip", R_VALUE_TYPED},
    {"ipdst", R_VALUE_TYPED},
    {"cidr", R_VALUE_TYPED},
    {"network", R_VALUE_TYPED},
    {"domain", R_VALUE_TYPED},
    {"domainname", R_VALUE_TYPED},
    {"hostname", R_VALUE_TYPED},
    {"host", R_VALUE_TYPED},
    {"fqdn", R_VALUE_TYPED},
    {"sha1", R_VALUE_TYPED},
    {"sha256", R_VALUE_TYPED},
    {"sha1fingerprint", R_VALUE_TYPED},
    {"sha256fingerprint", R_VALUE_TYPED},
    {"ja3", R_VALUE_TYPED},
    {"ja3md5", R_VALUE_TYPED},
    {"ja4", R_VALUE_TYPED},
    {"hash", R_VALUE_TYPED},
    {"fingerprint", R_VALUE_TYPED},
    {"type", R_TYPE},
    {"ioctype", R_TYPE},
    {"indicatortype", R_TYPE},
    {"observabletype", R_TYPE},
    {"kind", R_TYPE},
    {"category", R_CATEGORY},
    {"reason", R_CATEGORY},
    {"listingreason", R_CATEGORY},
    {"threat", R_CATEGORY},
    {"threattype", R_CATEGORY},
    {"family", R_CATEGORY},
    {"malwarefamily", R_CATEGORY},
    {"classification", R_CATEGORY},
    {"tags", R_CATEGORY},
    {"tag", R_CATEGORY},
    {"label", R_CATEGORY},
    {"confidence", R_CONFIDENCE},
    {"confidencelevel", R_CONFIDENCE},
    {"confidencescore", R_CONFIDENCE},
    {"score", R_CONFIDENCE},
    {"source", R_SOURCE},
    {"feed", R_SOURCE},
    {"feedname", R_SOURCE},
    {"provider", R_SOURCE},
    {"reporter", R_SOURCE},
    {"origin", R_SOURCE},
};

struct field {
    uint32_t off, len; /* in fbuf, NUL-terminated there */
};

struct csv {
    struct ot_ioc_load *ld;
    size_t rlen;
    uint32_t rline;   /* first line of the record being read */
    bool open;        /* inside a quoted field at the end of the last line */
    bool decided;     /* the header question is answered */
    bool headerless;  /* default column order */
    bool have_cmt;    /* a commented header was seen */
    int col[C_COUNT]; /* field index per column, -1: absent */
    int cmt[C_COUNT];
    unsigned nf;
    struct field f[MAX_FIELDS];
    /* Type columns already parsed: a feed uses a handful of names. */
    struct {
        char text[24];
        uint8_t len; /* 0: unused */
        enum ot_ioc_type type;
    } types[TYPE_MEMO];
    unsigned types_next; /* the entry to replace next */
    char rec[OT_IOC_MAX_LINE + 1];
    char fbuf[OT_IOC_MAX_LINE + MAX_FIELDS + 2];
};

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Split a record into unquoted fields.  0: done; 1: the record ends inside
 * quotes (more lines needed); -1: malformed, *why says how. */
static int split(struct csv *c, const char *r, size_t n, const char **why)
{
    size_t i = 0, o = 0;
    c->nf = 0;
    for (;;) {
        if (c->nf == MAX_FIELDS) {
            *why = "more than 64 fields";
            return -1;
        }
        while (i < n && blank(r[i]))
            i++;
        size_t start = o;
        if (i < n && r[i] == '"') {
            for (i++;; i++) {
                if (i >= n)
                    return 1;
                if (r[i] == '"') {
                    if (i + 1 < n && r[i + 1] == '"') {
                        c->fbuf[o++] = '"';
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                c->fbuf[o++] = r[i];
            }
            while (i < n && blank(r[i]))
                i++;
            if (i < n && r[i] != ',') {
                *why = "text after a closing quote";
                return -1;
            }
        } else {
            size_t s = i;
            const char *comma = memchr(r + i, ',', n - i);
            i = comma ? (size_t)(comma - r) : n;
            size_t e = i;
            while (e > s && blank(r[e - 1]))
                e--;
            memcpy(c->fbuf + o, r + s, e - s);
            o += e - s;
        }
        c->f[c->nf].off = (uint32_t)start;
        c->f[c->nf].len = (uint32_t)(o - start);
        c->nf++;
        c->fbuf[o++] = '\0';
        if (i >= n)
            return 0;
        i++; /* the ',' */
    }
}

static const char *field(const struct csv *c, int idx, size_t *len)
{
    if (idx < 0 || (unsigned)idx >= c->nf || c->f[idx].len == 0)
        return NULL;
    *len = c->f[idx].len;
    return c->fbuf + c->f[idx].off;
}

static enum role role_of(const char *s, size_t n)
{
    char fold[40];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = ot_ioc_lower((unsigned char)s[i]);
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (k + 1 >= sizeof(fold))
                return R_NONE;
            fold[k++] = (char)ch;
        }
    }
    fold[k] = '\0';
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(fold, roles[i].name) == 0)
            return roles[i].role;
    return R_NONE;
}

/* A header names an explicit value column, or at least two known columns;
 * it has no number in it, and its first field is not an indicator (a bare
 * word such as "Family" reads as a one-label domain, so those do not count). */
static bool looks_like_header(const struct csv *c)
{
    unsigned known = 0;
    bool explicit_value = false;
    for (unsigned i = 0; i < c->nf; i++) {
        const char *s = c->fbuf + c->f[i].off;
        size_t n = c->f[i].len;
        if (n && strspn(s, "0123456789") == n)
            return false;
        enum role r = role_of(s, n);
        known += r != R_NONE;
        explicit_value |= r == R_VALUE;
    }
    const char *f0 = c->fbuf + c->f[0].off;
    enum ot_ioc_type t = ot_ioc_detect_type(f0, c->f[0].len);
    if (t != OT_IOC_AUTO && !(t == OT_IOC_DOMAIN && !memchr(f0, '.', c->f[0].len)))
        return false;
    return explicit_value || known >= 2;
}

static void map_header(const struct csv *c, int col[C_COUNT])
{
    int typed = -1;
    for (int k = 0; k < C_COUNT; k++)
        col[k] = -1;
    for (unsigned i = 0; i < c->nf; i++) {
        int slot = -1;
        switch (role_of(c->fbuf + c->f[i].off, c->f[i].len)) {
        case R_VALUE:
            slot = C_VALUE;
            break;
        case R_VALUE_TYPED:
            if (typed < 0)
                typed = (int)i;
            break;
        case R_TYPE:
            slot = C_TYPE;
            break;
        case R_CATEGORY:
            slot = C_CATEGORY;
            break;
        case R_CONFIDENCE:
            slot = C_CONFIDENCE;
            break;
        case R_SOURCE:
            slot = C_SOURCE;
            break;
        case R_NONE:
            break;
        }
        if (slot >= 0 && col[slot] < 0)
            col[slot] = (int)i;
    }
    if (col[C_VALUE] < 0)
        col[C_VALUE] = typed;
}

static void comment(struct csv *c, const char *s, size_t n)
{
    const char *why;
    if (c->decided)
        return;
    ot_ioc_trim_(&s, &n);
    if (n == 0 || split(c, s, n, &why) != 0 || c->nf < 2 || !looks_like_header(c))
        return;
    int col[C_COUNT];
    map_header(c, col);
    if (col[C_VALUE] < 0)
        return;
    memcpy(c->cmt, col, sizeof(col));
    c->have_cmt = true;
}

static int parse_confidence(const char *s, size_t n, uint8_t *out)
{
    unsigned v = 0;
    if (n == 0 || n > 3)
        return OT_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return OT_EINVAL;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 100)
        return OT_EINVAL;
    *out = (uint8_t)v;
    return OT_OK;
}

/* ot_ioc_type_parse() of a type column (S, N > 0), remembered by its text. */
static int type_of(struct csv *c, const char *s, size_t n, enum ot_ioc_type *out)
{
    for (unsigned i = 0; i < TYPE_MEMO; i++)
        if (c->types[i].len == n && memcmp(c->types[i].text, s, n) == 0) {
            *out = c->types[i].type;
            return OT_OK;
        }
    int rc = ot_ioc_type_parse(s, n, out);
    if (rc == OT_OK && n < sizeof(c->types[0].text)) {
        unsigned i = c->types_next++ % TYPE_MEMO;
        memcpy(c->types[i].text, s, n);
        c->types[i].len = (uint8_t)n;
        c->types[i].type = *out;
    }
    return rc;
}

static int row(struct csv *c)
{
    struct ot_ioc_load *ld = c->ld;
    char q[96];
    size_t vlen, n;
    if (c->headerless && c->nf > C_COUNT) {
        ot_ioc_load_error_(ld, c->rline,
                           "%u fields; without a header row the columns are "
                           "value,type,category,confidence,source",
                           c->nf);
        return 0;
    }
    const char *value = field(c, c->col[C_VALUE], &vlen);
    if (!value) {
        ot_ioc_load_error_(ld, c->rline, "empty value");
        return 0;
    }
    enum ot_ioc_type type = OT_IOC_AUTO;
    const char *s = field(c, c->col[C_TYPE], &n);
    if (s && type_of(c, s, n, &type) != OT_OK) {
        ot_ioc_quote_(q, sizeof(q), s, n);
        ot_ioc_load_error_(ld, c->rline, "unknown type %s", q);
        return 0;
    }
    uint8_t confidence = ld->confidence;
    s = field(c, c->col[C_CONFIDENCE], &n);
    if (s && parse_confidence(s, n, &confidence) != OT_OK) {
        ot_ioc_quote_(q, sizeof(q), s, n);
        ot_ioc_load_error_(ld, c->rline, "invalid confidence %s (a whole number from 0 to 100)", q);
        return 0;
    }
    const char *category = field(c, c->col[C_CATEGORY], &n);
    const char *source = field(c, c->col[C_SOURCE], &n);
    return ot_ioc_load_add_(ld, c->rline, type, value, vlen, category, source, confidence);
}

static int record(struct csv *c)
{
    if (!c->decided) {
        c->decided = true;
        if (looks_like_header(c)) {
            map_header(c, c->col);
            if (c->col[C_VALUE] >= 0)
                return 0;
            ot_ioc_load_error_(c->ld, c->rline,
                               "header names no value column (value, indicator, ioc, url, "
                               "domain, ip, sha1, ...); nothing loaded");
            return OT_EINVAL;
        }
        if (c->have_cmt) {
            memcpy(c->col, c->cmt, sizeof(c->col));
        } else {
            c->headerless = true;
            for (int k = 0; k < C_COUNT; k++)
                c->col[k] = k;
        }
    }
    return row(c);
}

static int csv_line(void *ctx, uint32_t lineno, const char *s, size_t n, bool too_long)
{
    struct csv *c = ctx;
    struct ot_ioc_load *ld = c->ld;
    ld->st->lines++;
    if (too_long || memchr(s, '\0', n)) {
        if (too_long)
            ot_ioc_load_error_(ld, c->open ? c->rline : lineno, "line longer than %d bytes",
                               OT_IOC_MAX_LINE);
        else
            ot_ioc_load_error_(ld, c->open ? c->rline : lineno, "NUL byte in line");
        c->open = false;
        return 0;
    }
    if (!c->open) {
        const char *t = s;
        size_t tn = n;
        ot_ioc_trim_(&t, &tn);
        if (tn == 0)
            return 0;
        if (t[0] == '#') {
            comment(c, t + 1, tn - 1);
            return 0;
        }
        c->rline = lineno;
        c->rlen = 0;
    } else {
        c->rec[c->rlen++] = '\n'; /* rec has room for one byte past the limit */
    }
    if (c->rlen + n > OT_IOC_MAX_LINE) {
        ot_ioc_load_error_(ld, c->rline, "record longer than %d bytes", OT_IOC_MAX_LINE);
        c->open = false;
        return 0;
    }
    memcpy(c->rec + c->rlen, s, n);
    c->rlen += n;
    const char *why;
    int r = split(c, c->rec, c->rlen, &why);
    c->open = r == 1;
    if (r == 1)
        return 0;
    if (r < 0) {
        ot_ioc_load_error_(ld, c->rline, "%s", why);
        return 0;
    }
    return record(c);
}

int ot_ioc_load_csv_(struct ot_ioc_load *ld, const char *path, const void *data, size_t len)
{
    struct csv *c = calloc(1, sizeof(*c));
    if (!c)
        return OT_ENOMEM;
    c->ld = ld;
    int rc = ot_ioc_read_lines_(path, data, len, csv_line, c, &ld->rep);
    if (rc == 0 && c->open)
        ot_ioc_load_error_(ld, c->rline, "unterminated quoted field");
    free(c);
    return rc;
}
