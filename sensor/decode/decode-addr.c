/*
 * Text form of an address, for events.  Called twice per event, so both
 * families are formatted by hand: glibc's inet_ntop() goes through the printf
 * machinery (about 4,500 instructions for an IPv6 address).  The output is
 * exactly inet_ntop()'s (tests/unit/sensor/decode/test_decode_addr.c checks
 * both against it).
 */
#include <string.h>

#include "decode/decode.h"

static char *put_octet(char *o, unsigned v)
{
    if (v >= 100) {
        *o++ = (char)('0' + v / 100);
        v %= 100;
        *o++ = (char)('0' + v / 10);
        *o++ = (char)('0' + v % 10);
    } else if (v >= 10) {
        *o++ = (char)('0' + v / 10);
        *o++ = (char)('0' + v % 10);
    } else {
        *o++ = (char)('0' + v);
    }
    return o;
}

/* Lower-case hex of a 16-bit group without leading zeros, as "%x" writes it. */
static char *put_group(char *o, unsigned v)
{
    static const char hx[] = "0123456789abcdef";
    if (v >= 0x1000)
        *o++ = hx[v >> 12];
    if (v >= 0x100)
        *o++ = hx[(v >> 8) & 15];
    if (v >= 0x10)
        *o++ = hx[(v >> 4) & 15];
    *o++ = hx[v & 15];
    return o;
}

/*
 * RFC 4291 text as glibc writes it (BIND's inet_ntop6): the first longest
 * run of two or more zero groups becomes "::", and an address whose first
 * 96 bits are zero (but not ::1 or ::) or that is IPv4-mapped (::ffff:0:0/96)
 * ends in dotted IPv4.
 */
static size_t fmt_v6(const uint8_t *b, char *out)
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
        char *o = out;
        for (int i = 0; i < 4; i++) {
            if (i)
                *o++ = '.';
            o = put_octet(o, a->u.b[i]);
        }
        *o = '\0';
        return (size_t)(o - out);
    }
    return fmt_v6(a->u.b, out);
}
