/*
 * Aligned text tables for the CLI's human output.  Widths are display
 * columns, not bytes: incident titles come in Japanese, whose characters
 * take two columns in a terminal.  Every cell is cleaned of control
 * characters because names and titles come from the server's data, which
 * customers' devices and operators typed.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "otasuke/error.h"

/*
 * Decodes one UTF-8 sequence at s (NUL-terminated); returns its length in
 * bytes and the code point, or 0 for an invalid or truncated sequence.
 */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* Terminal columns of one printable code point: 0 combining, 2 East Asian wide, else 1. */
static unsigned cp_width(uint32_t cp)
{
    if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) ||
        (cp >= 0x3099 && cp <= 0x309a) || (cp >= 0xfe00 && cp <= 0xfe0f))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
        (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
        (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
        (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
        (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
        (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
        (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
        return 2;
    return 1;
}

/* True for code points a terminal would act on instead of print. */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Cleans and cuts s into out (see cli.h). */
size_t ot_cli_text_clean(const char *s, unsigned maxw, char *out, size_t len)
{
    static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026, one column */
    size_t o = 0, w = 0;
    if (len == 0)
        return 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (maxw > 0 && ot_cli_text_width((const char *)p) <= maxw)
        maxw = 0; /* fits: no cut, so no room kept for the ellipsis */
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        const unsigned char *src = p;
        unsigned cw;
        if (n == 0 || is_control(cp)) {
            src = (const unsigned char *)"?";
            cw = 1;
            n = n ? n : 1;
            p += n;
            n = 1;
        } else {
            cw = cp_width(cp);
            p += n;
        }
        if (maxw > 0 && w + cw > maxw - 1) {
            if (o + sizeof(ellipsis) - 1 < len) {
                memcpy(out + o, ellipsis, sizeof(ellipsis) - 1);
                o += sizeof(ellipsis) - 1;
                w += 1;
            }
            break;
        }
        if (o + n >= len)
            break;
        memcpy(out + o, src, n);
        o += n;
        w += cw;
    }
    out[o] = '\0';
    return w;
}

/* Display width of s after cleaning (controls and bad bytes count as one '?'). */
size_t ot_cli_text_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (n == 0 || is_control(cp)) {
            w += 1;
            p += n ? n : 1;
            continue;
        }
        w += cp_width(cp);
        p += n;
    }
    return w;
}

/* The first 19 characters of an RFC 3339 time with the 'T' made a space. */
const char *ot_cli_time_short(const char *rfc3339, char *buf, size_t len)
{
    if (!rfc3339 || !*rfc3339 || len < 20)
        return "-";
    if (strlen(rfc3339) < 19 || rfc3339[10] != 'T') {
        ot_strlcpy(buf, rfc3339, len);
        return buf;
    }
    memcpy(buf, rfc3339, 19);
    buf[10] = ' ';
    buf[19] = '\0';
    return buf;
}

/* Starts an empty table; the column titles are borrowed. */
int ot_cli_table_init(struct ot_cli_table *t, const char *const *head, unsigned ncols)
{
    memset(t, 0, sizeof(*t));
    if (ncols == 0 || ncols > OT_TABLE_MAX_COLS)
        return OT_EINVAL;
    t->ncols = ncols;
    for (unsigned i = 0; i < ncols; i++)
        t->head[i] = head[i];
    t->max_rows = OT_TABLE_MAX_ROWS;
    return OT_OK;
}

/* Copies one row of cleaned, cut cells into the table. */
int ot_cli_table_add(struct ot_cli_table *t, const char *const *cells)
{
    if (t->nrows >= t->max_rows) {
        t->dropped++;
        return OT_ELIMIT;
    }
    if (t->nrows == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, ncap * t->ncols * sizeof(*nc));
        if (!nc)
            return OT_ENOMEM;
        t->cells = nc;
        t->cap = ncap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (unsigned i = 0; i < t->ncols; i++) {
        const char *src = cells[i] && cells[i][0] ? cells[i] : "-";
        size_t len = strlen(src) + 4; /* room for "…" replacing the cut part */
        char *c = malloc(len);
        if (!c) {
            for (unsigned j = 0; j < i; j++)
                free(row[j]);
            return OT_ENOMEM;
        }
        ot_cli_text_clean(src, t->maxw[i], c, len);
        row[i] = c;
    }
    t->nrows++;
    return OT_OK;
}

/* Writes s then pad spaces. */
static void put_padded(FILE *fp, const char *s, size_t col, bool right, bool last)
{
    size_t w = ot_cli_text_width(s);
    size_t pad = col > w ? col - w : 0;
    if (right)
        fprintf(fp, "%*s%s", (int)pad, "", s);
    else if (last)
        fputs(s, fp); /* no trailing blanks */
    else
        fprintf(fp, "%s%*s", s, (int)pad, "");
}

/* Prints the table with two spaces between columns. */
int ot_cli_table_print(const struct ot_cli_table *t, FILE *fp)
{
    size_t width[OT_TABLE_MAX_COLS];
    for (unsigned i = 0; i < t->ncols; i++)
        width[i] = ot_cli_text_width(t->head[i]);
    for (size_t r = 0; r < t->nrows; r++) {
        for (unsigned i = 0; i < t->ncols; i++) {
            size_t w = ot_cli_text_width(t->cells[r * t->ncols + i]);
            if (w > width[i])
                width[i] = w;
        }
    }
    for (unsigned i = 0; i < t->ncols; i++) {
        put_padded(fp, t->head[i], width[i], t->right[i], i + 1 == t->ncols);
        fputs(i + 1 == t->ncols ? "\n" : "  ", fp);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        for (unsigned i = 0; i < t->ncols; i++) {
            put_padded(fp, t->cells[r * t->ncols + i], width[i], t->right[i], i + 1 == t->ncols);
            fputs(i + 1 == t->ncols ? "\n" : "  ", fp);
        }
    }
    if (t->dropped)
        fprintf(fp, "(%zu more rows not shown)\n", t->dropped);
    return ferror(fp) ? OT_EIO : OT_OK;
}

/* Frees every cell. */
void ot_cli_table_free(struct ot_cli_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap = 0;
}
