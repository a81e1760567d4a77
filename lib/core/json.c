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

/* Slow path of room(): grow the buffer (never past max), or mark the document overflowed. */
static bool grow(struct ot_jw *w, size_t n)
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

/* Make room for `n` more bytes; false (and overflow set) past the bound. */
static inline bool room(struct ot_jw *w, size_t n)
{
    if (__builtin_expect(w->len + n <= w->cap && !w->overflow, 1))
        return true;
    return grow(w, n);
}

void ot_jw_putc(struct ot_jw *w, char c)
{
    if (!room(w, 1))
        return;
    w->buf[w->len++] = c;
}

/*
 * Bytes the next item's prefix takes: a comma when the current level
 * already has an item, and `"key":`.  Each call makes room for its prefix
 * and value together, so one check covers the whole field (the bound is
 * the same as checking them one after the other).
 */
static inline size_t key_room(const struct ot_jw *w, const char *key, size_t klen)
{
    return ((w->need_comma >> w->depth) & 1) + (key ? klen + 3 : 0);
}

/* Write the prefix at o (room already made); returns the end. Keys are ours: never escaped. */
static inline char *put_key(struct ot_jw *w, char *o, const char *key, size_t klen)
{
    uint64_t bit = 1ULL << w->depth;
    if (w->need_comma & bit)
        *o++ = ',';
    w->need_comma |= bit;
    if (key) {
        *o++ = '"';
        o = ot_put_bytes(o, key, klen);
        *o++ = '"';
        *o++ = ':';
    }
    return o;
}

/* A field whose value is `n` bytes of trusted text. */
static void put_field(struct ot_jw *w, const char *key, size_t klen, const char *v, size_t n)
{
    if (!room(w, key_room(w, key, klen) + n))
        return;
    char *o = put_key(w, w->buf + w->len, key, klen);
    w->len = (size_t)(ot_put_bytes(o, v, n) - w->buf);
}

static void open_(struct ot_jw *w, const char *key, size_t klen, char c)
{
    put_field(w, key, klen, &c, 1);
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

void ot_jw_obj_open_k(struct ot_jw *w, const char *key, size_t klen)
{
    open_(w, key, klen, '{');
}

void ot_jw_obj_close(struct ot_jw *w)
{
    close_(w, '}');
}

void ot_jw_arr_open_k(struct ot_jw *w, const char *key, size_t klen)
{
    open_(w, key, klen, '[');
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

/* Bytes that cannot be copied as they are: controls, '"', '\\', and non-ASCII (checked as UTF-8).
 */
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
static const uint8_t special[256] = {
    R16(1), R16(1), 0,      0,      1,      0,      0,      0,      0,      0,
    0,      0,      0,      0,      0,      0,      0,      0, /* 0x20: '"' */
    R16(0), R16(0), 0,      0,      0,      0,      0,      0,      0,      0,
    0,      0,      0,      0,      1,      0,      0,      0, /* 0x50: '\\' */
    R16(0), R16(0), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1),
};
#undef R16

/*
 * Index of the first byte at or after i that needs escaping or a UTF-8
 * check, or n.  Eight bytes are tested at a time: a word is plain when no
 * byte is below 0x20, equal to '"' or '\\', or has its high bit set.  The
 * zero-byte tests ((v - 0x01..) & ~v & 0x80..) can flag bytes above a true
 * hit through the borrow, never below one, so the lowest flag is exact.
 */
static size_t plain_run(const uint8_t *s, size_t i, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    while (n - i >= 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        uint64_t m = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x;
        m &= highs;
        if (m)
            return i + ((size_t)__builtin_ctzll(m) >> 3);
        i += 8;
    }
#endif
    while (i < n && !special[s[i]])
        i++;
    return i;
}

/* The escaped string with its quotes at o (room for n * 6 + 2 bytes made); returns the end. */
static char *put_escaped(char *o, const uint8_t *s, size_t n)
{
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        /* Copy the run of bytes that need nothing, then handle one that does. */
        size_t j = plain_run(s, i, n);
        o = ot_put_bytes(o, s + i, j - i);
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
    return o;
}

void ot_jw_strn_k(struct ot_jw *w, const char *key, size_t klen, const void *s, size_t n)
{
    /* Worst case every byte becomes \u00XX. */
    if (!room(w, key_room(w, key, klen) + n * 6 + 2))
        return;
    char *o = put_key(w, w->buf + w->len, key, klen);
    o = put_escaped(o, s, n);
    w->len = (size_t)(o - w->buf);
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* Decimal digits of v, written backwards ending at `end`; returns the first. */
static char *put_dec(char *end, uint64_t v)
{
    char *p = end;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

void ot_jw_u64_k(struct ot_jw *w, const char *key, size_t klen, uint64_t v)
{
    char tmp[24];
    char *p = put_dec(tmp + sizeof(tmp), v);
    put_field(w, key, klen, p, (size_t)(tmp + sizeof(tmp) - p));
}

void ot_jw_i64_k(struct ot_jw *w, const char *key, size_t klen, int64_t v)
{
    if (v >= 0) {
        ot_jw_u64_k(w, key, klen, (uint64_t)v);
        return;
    }
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    put_field(w, key, klen, tmp, (size_t)n);
}

void ot_jw_double_k(struct ot_jw *w, const char *key, size_t klen, double v)
{
    if (!isfinite(v)) {
        put_field(w, key, klen, "null", 4);
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%.6g", v);
    put_field(w, key, klen, tmp, (size_t)n);
}

void ot_jw_bool_k(struct ot_jw *w, const char *key, size_t klen, bool v)
{
    if (v)
        put_field(w, key, klen, "true", 4);
    else
        put_field(w, key, klen, "false", 5);
}

void ot_jw_null_k(struct ot_jw *w, const char *key, size_t klen)
{
    put_field(w, key, klen, "null", 4);
}

void ot_jw_hex_k(struct ot_jw *w, const char *key, size_t klen, const uint8_t *b, size_t n,
                 char sep)
{
    if (!room(w, key_room(w, key, klen) + 2 + n * 3))
        return;
    char *o = put_key(w, w->buf + w->len, key, klen);
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

void ot_jw_raw_k(struct ot_jw *w, const char *key, size_t klen, const char *json, size_t n)
{
    put_field(w, key, klen, json, n);
}

void ot_jw_fields(struct ot_jw *w, const char *text, size_t n)
{
    put_field(w, NULL, 0, text, n);
}

char *ot_jw_fields_reserve(struct ot_jw *w, size_t max)
{
    size_t need = key_room(w, NULL, 0) + max;
    if (w->overflow || need > w->max - w->len || !room(w, need))
        return NULL;
    return put_key(w, w->buf + w->len, NULL, 0);
}

bool ot_jw_plain(const void *s, size_t n)
{
    return plain_run(s, 0, n) == n;
}
