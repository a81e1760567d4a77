/*
 * JA3, JA3S and JA4 fingerprints of TLS hellos.
 *
 * JA3/JA3S: https://github.com/salesforce/ja3 (MD5 of the decimal string).
 * JA4: FoxIO's technical_details/JA4.md (the 't' variant: TLS over TCP).
 * Strings are built once per hello into one allocation sized up front; the
 * values come from views the TLS parser has already bounds-checked.
 */
#include "proto/tls-fingerprint.h"

#include <stdlib.h>
#include <string.h>

#include "core/md5.h"
#include "core/sha256.h"
#include "core/util.h"
#include "otasuke/error.h"

static const char hexdig[] = "0123456789abcdef";

bool ot_tls_is_grease(uint16_t v)
{
    /* 0x0a0a, 0x1a1a, ... 0xfafa: both bytes equal, low nibble 0xa. */
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* "00" to "99": two digits per lookup instead of one division each. */
static const char dec2[] = "0001020304050607080910111213141516171819"
                           "2021222324252627282930313233343536373839"
                           "4041424344454647484950515253545556575859"
                           "6061626364656667686970717273747576777879"
                           "8081828384858687888990919293949596979899";

/* Writes v (< 65536) in decimal at o; returns the number of characters written (1..5). */
static size_t put_dec(char *o, unsigned v)
{
    if (v < 10) {
        o[0] = (char)('0' + v);
        return 1;
    }
    if (v < 100) {
        memcpy(o, dec2 + 2 * v, 2);
        return 2;
    }
    if (v < 1000) {
        o[0] = (char)('0' + v / 100);
        memcpy(o + 1, dec2 + 2 * (v % 100), 2);
        return 3;
    }
    size_t n = v < 10000 ? 4 : 5;
    if (n == 5) {
        o[0] = (char)('0' + v / 10000);
        v %= 10000;
    }
    memcpy(o + n - 4, dec2 + 2 * (v / 100), 2);
    memcpy(o + n - 2, dec2 + 2 * (v % 100), 2);
    return n;
}

static void put_hex16(char *o, uint16_t v)
{
    o[0] = hexdig[(v >> 12) & 15];
    o[1] = hexdig[(v >> 8) & 15];
    o[2] = hexdig[(v >> 4) & 15];
    o[3] = hexdig[v & 15];
}

/* The first `bytes` bytes of md as lower-case hex at out (2 * bytes characters). */
static void put_md_hex(char *out, const unsigned char *md, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        out[2 * i] = hexdig[md[i] >> 4];
        out[2 * i + 1] = hexdig[md[i] & 15];
    }
}

/*
 * The hashes are core/md5.c's and core/sha256.c's: through OpenSSL's
 * EVP_Digest(), the context, dispatch and locking cost several times the
 * hashing of these few hundred bytes.
 */
static void md5_hex(const char *s, size_t n, char out[OT_TLS_MD5_HEX_SIZE])
{
    uint8_t md[OT_MD5_LEN];
    ot_md5(s, n, md);
    put_md_hex(out, md, OT_MD5_LEN);
    out[2 * OT_MD5_LEN] = '\0';
}

/* The first 12 lower-case hex characters of SHA-256(s), as JA4 prints them. */
static void sha256_12(const char *s, size_t n, char out[12])
{
    uint8_t md[OT_SHA256_LEN];
    ot_sha256(s, n, md);
    put_md_hex(out, md, 6);
}

/* Appends the non-GREASE 16-bit values of a list, '-' separated; returns the new end. */
static char *put_list16(char *o, const uint8_t *p, size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        uint16_t v = ot_be16(p + 2 * i);
        if (ot_tls_is_grease(v))
            continue;
        if (!first)
            *o++ = '-';
        o += put_dec(o, v);
        first = false;
    }
    return o;
}

/* Appends the non-GREASE extension types of an extension block, '-' separated. */
static char *put_ext_types(char *o, const uint8_t *exts, size_t len)
{
    bool first = true;
    for (size_t off = 0; off + 4 <= len; off += 4 + (size_t)ot_be16(exts + off + 2)) {
        uint16_t t = ot_be16(exts + off);
        if (ot_tls_is_grease(t))
            continue;
        if (!first)
            *o++ = '-';
        o += put_dec(o, t);
        first = false;
    }
    return o;
}

static size_t count_exts(const uint8_t *exts, size_t len)
{
    size_t n = 0;
    for (size_t off = 0; off + 4 <= len; off += 4 + (size_t)ot_be16(exts + off + 2))
        n++;
    return n;
}

int ot_tls_ja3(const struct ot_tls_hello *h, char **str, char md5[OT_TLS_MD5_HEX_SIZE])
{
    *str = NULL;
    size_t n_exts = count_exts(h->exts, h->exts_len);
    /* Each value is at most 5 digits plus a separator. */
    size_t cap = 6 * (1 + h->n_ciphers + n_exts + h->n_groups) + 4 * h->n_point_formats + 8;
    char *s = malloc(cap);
    if (!s)
        return OT_ENOMEM;
    char *o = s;
    o += put_dec(o, h->version);
    *o++ = ',';
    o = put_list16(o, h->ciphers, h->n_ciphers);
    *o++ = ',';
    o = put_ext_types(o, h->exts, h->exts_len);
    *o++ = ',';
    o = put_list16(o, h->groups, h->n_groups);
    *o++ = ',';
    for (size_t i = 0; i < h->n_point_formats; i++) {
        if (i)
            *o++ = '-';
        o += put_dec(o, h->point_formats[i]);
    }
    *o = '\0';
    md5_hex(s, (size_t)(o - s), md5);
    *str = s;
    return OT_OK;
}

int ot_tls_ja3s(uint16_t version, uint16_t cipher, const uint8_t *exts, size_t exts_len, char **str,
                char md5[OT_TLS_MD5_HEX_SIZE])
{
    *str = NULL;
    size_t cap = 6 * (2 + count_exts(exts, exts_len)) + 4;
    char *s = malloc(cap);
    if (!s)
        return OT_ENOMEM;
    char *o = s;
    o += put_dec(o, version);
    *o++ = ',';
    o += put_dec(o, cipher);
    *o++ = ',';
    o = put_ext_types(o, exts, exts_len);
    *o = '\0';
    md5_hex(s, (size_t)(o - s), md5);
    *str = s;
    return OT_OK;
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    default:
        return "00";
    }
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/*
 * First and last characters of the first ALPN value; "00" when there is none
 * or it is empty; when either end byte is not alphanumeric, the first and
 * last characters of the value's hex form instead (0xAB 0xCD gives "ad").
 */
static void ja4_alpn(const struct ot_tls_hello *h, char out[2])
{
    out[0] = out[1] = '0';
    if (!h->alpn0 || h->alpn0_len == 0)
        return;
    uint8_t a = h->alpn0[0], z = h->alpn0[h->alpn0_len - 1];
    if (is_alnum(a) && is_alnum(z)) {
        out[0] = (char)a;
        out[1] = (char)z;
    } else {
        out[0] = hexdig[a >> 4];
        out[1] = hexdig[z & 15];
    }
}

/* Above this many values a radix sort is cheaper than an insertion sort. */
#define SORT_RADIX_MIN 48

/*
 * Sorts the values in place; `tmp` has room for n of them.  A hello carries
 * a few dozen ciphers and extensions, where an insertion sort is cheapest.
 * Longer lists (scanners and old clients offer 60 to 100 suites, a hostile
 * hello thousands) get a radix sort, low byte then high byte: linear, with
 * no allocation and no comparison called through a pointer, where glibc's
 * qsort cost ~25,000 instructions for 80 values.
 */
static void sort_u16(uint16_t *v, size_t n, uint16_t *tmp)
{
    if (n >= SORT_RADIX_MIN) {
        uint32_t lo[256] = {0}, hi[256] = {0};
        for (size_t i = 0; i < n; i++) {
            lo[v[i] & 0xff]++;
            hi[v[i] >> 8]++;
        }
        uint32_t at_lo = 0, at_hi = 0;
        for (size_t b = 0; b < 256; b++) {
            uint32_t c = lo[b];
            lo[b] = at_lo;
            at_lo += c;
            c = hi[b];
            hi[b] = at_hi;
            at_hi += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[lo[v[i] & 0xff]++] = v[i];
        for (size_t i = 0; i < n; i++)
            v[hi[tmp[i] >> 8]++] = tmp[i];
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint16_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* "xxxx,yyyy,..." of n values; returns the length written. */
static size_t put_hex_list(char *o, const uint16_t *v, size_t n)
{
    char *s = o;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        put_hex16(o, v[i]);
        o += 4;
    }
    return (size_t)(o - s);
}

int ot_tls_ja4(const struct ot_tls_hello *h, char out[OT_TLS_JA4_SIZE])
{
    size_t n_exts_all = count_exts(h->exts, h->exts_len);
    size_t n_vals = h->n_ciphers + n_exts_all + h->n_sigalgs;
    /*
     * One scratch block: the values to sort, the radix sort's room, then the
     * text that is hashed ("xxxx," per value).  Most hellos fit on the stack.
     */
    uint16_t small[1024];
    size_t need = n_vals * (2 * sizeof(uint16_t) + 5) + 2;
    uint16_t *vals = need <= sizeof(small) ? small : malloc(need);
    if (!vals)
        return OT_ENOMEM;
    uint16_t *tmp = vals + n_vals;
    char *text = (char *)(tmp + n_vals);
    char hb[12], hc[12];

    /* b: the non-GREASE ciphers, sorted. */
    size_t nc = 0;
    for (size_t i = 0; i < h->n_ciphers; i++) {
        uint16_t v = ot_be16(h->ciphers + 2 * i);
        if (!ot_tls_is_grease(v))
            vals[nc++] = v;
    }
    if (nc == 0) {
        memset(hb, '0', sizeof(hb));
    } else {
        sort_u16(vals, nc, tmp);
        sha256_12(text, put_hex_list(text, vals, nc), hb);
    }

    /* c: the non-GREASE extensions but SNI and ALPN, sorted, "_" signature algorithms. */
    size_t n_ext_count = 0, ne = 0;
    for (size_t off = 0; off + 4 <= h->exts_len; off += 4 + (size_t)ot_be16(h->exts + off + 2)) {
        uint16_t t = ot_be16(h->exts + off);
        if (ot_tls_is_grease(t))
            continue;
        n_ext_count++;
        if (t != 0x0000 && t != 0x0010)
            vals[ne++] = t;
    }
    if (ne == 0) {
        memset(hc, '0', sizeof(hc));
    } else {
        sort_u16(vals, ne, tmp);
        size_t len = put_hex_list(text, vals, ne);
        size_t ns = 0;
        for (size_t i = 0; i < h->n_sigalgs; i++) {
            uint16_t v = ot_be16(h->sigalgs + 2 * i);
            if (!ot_tls_is_grease(v))
                vals[ns++] = v;
        }
        if (ns) {
            text[len++] = '_';
            len += put_hex_list(text + len, vals, ns);
        }
        sha256_12(text, len, hc);
    }
    if (vals != small)
        free(vals);

    char alpn[2];
    ja4_alpn(h, alpn);
    uint16_t ver = h->max_version ? h->max_version : h->version;
    /* As snprintf("t%s%c%02u%02u%c%c_%.12s_%.12s") would write it, without the printf cost. */
    const char *vs = ja4_version(ver);
    unsigned c1 = (unsigned)OT_MIN(nc, 99), c2 = (unsigned)OT_MIN(n_ext_count, 99);
    char *o = out;
    *o++ = 't';
    *o++ = vs[0];
    *o++ = vs[1];
    *o++ = h->has_sni ? 'd' : 'i';
    *o++ = (char)('0' + c1 / 10);
    *o++ = (char)('0' + c1 % 10);
    *o++ = (char)('0' + c2 / 10);
    *o++ = (char)('0' + c2 % 10);
    *o++ = alpn[0];
    *o++ = alpn[1];
    *o++ = '_';
    memcpy(o, hb, 12);
    o += 12;
    *o++ = '_';
    memcpy(o, hc, 12);
    o += 12;
    *o = '\0';
    return OT_OK;
}
