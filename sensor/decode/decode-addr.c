/*
 * Text form of an address, for events.  Called twice per event, so both
 * families are formatted by hand: glibc's inet_ntop() goes through the printf
 * machinery (about 4,500 instructions for an IPv6 address).  The output is
 * exactly inet_ntop()'s (tests/unit/sensor/decode/test_decode_addr.c checks
 * both against it).
 */
#include <string.h>

#include "decode/decode.h"

/*
 * Decimal text of every octet value: up to three digits, then the digit
 * count in the last byte.  put_octet() stores all four bytes and moves on by
 * the count, so the byte after the digits is scratch: the caller writes the
 * separator or the terminating NUL over it (`out` has room, see decode.h).
 */
#define OCT(v)                                                                                     \
    {                                                                                              \
        (char)((v) >= 100  ? '0' + (v) / 100                                                       \
               : (v) >= 10 ? '0' + (v) / 10                                                        \
                           : '0' + (v)),                                                           \
            (char)((v) >= 100  ? '0' + (v) / 10 % 10                                               \
                   : (v) >= 10 ? '0' + (v) % 10                                                    \
                               : 0),                                                               \
            (char)((v) >= 100 ? '0' + (v) % 10 : 0),                                               \
            (char)((v) >= 100  ? 3                                                                 \
                   : (v) >= 10 ? 2                                                                 \
                               : 1)                                                                \
    }
#define OCT4(v)  OCT(v), OCT((v) + 1), OCT((v) + 2), OCT((v) + 3)
#define OCT16(v) OCT4(v), OCT4((v) + 4), OCT4((v) + 8), OCT4((v) + 12)
#define OCT64(v) OCT16(v), OCT16((v) + 16), OCT16((v) + 32), OCT16((v) + 48)
static const char octet_text[256][4] = {OCT64(0), OCT64(64), OCT64(128), OCT64(192)};
#undef OCT64
#undef OCT16
#undef OCT4
#undef OCT

static inline char *put_octet(char *o, unsigned v)
{
    memcpy(o, octet_text[v], 4);
    return o + octet_text[v][3];
}

/* Lower-case hex of a 16-bit group without leading zeros, as "%x" writes it. */
static char *put_group(char *o, unsigned v)
{
    static const char hx[] = "0123456789abcdef";
    /* Hex digits: one per started nibble of the significant bits, at least one. */
    unsigned nd = (unsigned)(35 - __builtin_clz(v | 1)) >> 2;
    switch (nd) {
    case 4:
        *o++ = hx[v >> 12];
        /* fall through */
    case 3:
        *o++ = hx[(v >> 8) & 15];
        /* fall through */
    case 2:
        *o++ = hx[(v >> 4) & 15];
        /* fall through */
    default:
        *o++ = hx[v & 15];
    }
    return o;
}

/*
 * RFC 4291 text as glibc writes it (BIND's inet_ntop6): the first longest
 * run of two or more zero groups becomes "::", and an address whose first
 * 96 bits are zero (but not ::1 or ::) or that is IPv4-mapped (::ffff:0:0/96)
 * ends in dotted IPv4.
 */
__attribute__((noinline)) static size_t fmt_v6(const uint8_t *b, char *out)
{
    unsigned words[8];
    for (int i = 0; i < 8; i++)
        words[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; i++) {
        if (words[i] == 0) {
            if (cur < 0) {
                cur = i;
                cur_len = 1;
            } else {
                cur_len++;
            }
        } else if (cur >= 0) {
            if (best < 0 || cur_len > best_len) {
                best = cur;
                best_len = cur_len;
            }
            cur = -1;
        }
    }
    if (cur >= 0 && (best < 0 || cur_len > best_len)) {
        best = cur;
        best_len = cur_len;
    }
    if (best >= 0 && best_len < 2)
        best = -1;
    char *o = out;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                *o++ = ':';
            continue;
        }
        if (i != 0)
            *o++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
            for (int k = 12; k < 16; k++) {
                if (k != 12)
                    *o++ = '.';
                o = put_octet(o, b[k]);
            }
            *o = '\0';
            return (size_t)(o - out);
        }
        o = put_group(o, words[i]);
    }
    if (best >= 0 && best + best_len == 8)
        *o++ = ':';
    *o = '\0';
    return (size_t)(o - out);
}

size_t ot_addr_fmt(const struct ot_addr *a, bool v6, char *out)
{
    if (!v6) {
        char *o = put_octet(out, a->u.b[0]);
        *o++ = '.';
        o = put_octet(o, a->u.b[1]);
        *o++ = '.';
        o = put_octet(o, a->u.b[2]);
        *o++ = '.';
        o = put_octet(o, a->u.b[3]);
        *o = '\0';
        return (size_t)(o - out);
    }
    return fmt_v6(a->u.b, out);
}
