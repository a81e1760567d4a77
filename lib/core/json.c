#include "core/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otasuke/error.h"

int ot_jw_init(struct ot_jw *w, size_t initial, size_t max)
{
    memset(w, 0, sizeof(*w));
    if (initial == 0 || initial > max)
        return OT_EINVAL;
    w->buf = malloc(initial);
    if (!w->buf)
        return OT_ENOMEM;
    w->cap = initial;
    w->max = max;
    return OT_OK;
}

void ot_jw_free(struct ot_jw *w)
{
    free(w->buf);
    memset(w, 0, sizeof(*w));
}

void ot_jw_reset(struct ot_jw *w)
{
    w->len = 0;
    w->depth = 0;
    w->need_comma = 0;
    w->overflow = false;
}

/* Make room for `n` more bytes; false (and overflow set) past the bound. */
static bool reserve(struct ot_jw *w, size_t n)
{
    if (w->overflow)
        return false;
    if (w->len + n <= w->cap)
        return true;
    if (w->len + n > w->max) {
        w->overflow = true;
        return false;
    }
    size_t cap = w->cap * 2;
    while (cap < w->len + n)
        cap *= 2;
    if (cap > w->max)
        cap = w->max;
    char *nb = realloc(w->buf, cap);
    if (!nb) {
        w->overflow = true;
        return false;
    }
    w->buf = nb;
    w->cap = cap;
    return true;
}

static void put(struct ot_jw *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

void ot_jw_putc(struct ot_jw *w, char c)
{
    if (!reserve(w, 1))
        return;
    w->buf[w->len++] = c;
}

/* Keys are our own ASCII literals: no escaping needed. */
static void item(struct ot_jw *w, const char *key)
{
    uint64_t bit = 1ULL << w->depth;
    if (w->need_comma & bit)
        ot_jw_putc(w, ',');
    w->need_comma |= bit;
    if (key) {
        size_t n = strlen(key);
        if (!reserve(w, n + 3))
            return;
        w->buf[w->len++] = '"';
        memcpy(w->buf + w->len, key, n);
        w->len += n;
        w->buf[w->len++] = '"';
        w->buf[w->len++] = ':';
    }
}

static void open_(struct ot_jw *w, const char *key, char c)
{
    item(w, key);
    ot_jw_putc(w, c);
    if (w->depth + 1 >= OT_JW_MAX_DEPTH) {
        w->overflow = true;
        return;
    }
    w->depth++;
    w->need_comma &= ~(1ULL << w->depth);
}

static void close_(struct ot_jw *w, char c)
{
    if (w->depth == 0) {
        w->overflow = true;
        return;
    }
    w->need_comma &= ~(1ULL << w->depth);
    w->depth--;
    ot_jw_putc(w, c);
}

void ot_jw_obj_open(struct ot_jw *w, const char *key)
{
    open_(w, key, '{');
}

void ot_jw_obj_close(struct ot_jw *w)
{
    close_(w, '}');
}

void ot_jw_arr_open(struct ot_jw *w, const char *key)
{
    open_(w, key, '[');
}

void ot_jw_arr_close(struct ot_jw *w)
{
    close_(w, ']');
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not valid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0; /* overlong */
        if (c == 0xed && s[1] > 0x9f)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0;
        if (c == 0xf4 && s[1] > 0x8f)
            return 0;
        return 4;
    }
    return 0;
}

static const char hexdig[] = "0123456789abcdef";

/* Bytes that cannot be copied as they are: controls, '"', '\\', and non-ASCII (checked as UTF-8). */
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
static const uint8_t special[256] = {
    R16(1), R16(1),
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
    R16(0), R16(0),
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
    R16(0), R16(0),
    R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1),
};
#undef R16

static void put_escaped(struct ot_jw *w, const uint8_t *s, size_t n)
{
    /* Worst case every byte becomes \u00XX. */
    if (!reserve(w, n * 6 + 2))
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        /* Copy the run of bytes that need nothing, then handle one that does. */
        size_t j = i;
        while (j < n && !special[s[j]])
            j++;
        memcpy(o, s + i, j - i);
        o += j - i;
        i = j;
        if (i >= n)
            break;
        uint8_t c = s[i];
        if (c >= 0x80) {
            size_t l = utf8_len(s + i, n - i);
            if (l) {
                memcpy(o, s + i, l);
                o += l;
                i += l;
                continue;
            }
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hexdig[c >> 4];
            *o++ = hexdig[c & 15];
        }
        i++;
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
}

void ot_jw_strn(struct ot_jw *w, const char *key, const void *s, size_t n)
{
    item(w, key);
    put_escaped(w, s, n);
}

void ot_jw_str(struct ot_jw *w, const char *key, const char *s)
{
    ot_jw_strn(w, key, s, strlen(s));
}

void ot_jw_u64(struct ot_jw *w, const char *key, uint64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    item(w, key);
    put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void ot_jw_i64(struct ot_jw *w, const char *key, int64_t v)
{
    if (v >= 0) {
        ot_jw_u64(w, key, (uint64_t)v);
        return;
    }
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    item(w, key);
    put(w, tmp, (size_t)n);
}

void ot_jw_double(struct ot_jw *w, const char *key, double v)
{
    item(w, key);
    if (!isfinite(v)) {
        put(w, "null", 4);
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%.6g", v);
    put(w, tmp, (size_t)n);
}

void ot_jw_bool(struct ot_jw *w, const char *key, bool v)
{
    item(w, key);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void ot_jw_null(struct ot_jw *w, const char *key)
{
    item(w, key);
    put(w, "null", 4);
}

void ot_jw_hex(struct ot_jw *w, const char *key, const uint8_t *b, size_t n, char sep)
{
    item(w, key);
    size_t need = 2 + n * 3;
    if (!reserve(w, need))
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (sep && i)
            *o++ = sep;
        *o++ = hexdig[b[i] >> 4];
        *o++ = hexdig[b[i] & 15];
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
}

void ot_jw_raw(struct ot_jw *w, const char *key, const char *json, size_t n)
{
    item(w, key);
    put(w, json, n);
}
