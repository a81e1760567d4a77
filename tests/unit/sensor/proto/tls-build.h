/*
 * Byte builders for TLS handshake messages, shared by the TLS and QUIC
 * parser tests: a growable-free buffer with big-endian writers and length
 * holes, extensions, handshake messages, and a Chrome-like ClientHello whose
 * JA3 and JA4 are known from outside references.  Include after cmocka.h.
 */
#ifndef OT_TESTS_TLS_BUILD_H
#define OT_TESTS_TLS_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ---- building bytes --------------------------------------------------------- */

struct bb {
    uint8_t b[65536];
    size_t n;
};

static inline void pn(struct bb *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof(o->b));
    if (n)
        memcpy(o->b + o->n, p, n);
    o->n += n;
}

static inline void p8(struct bb *o, unsigned v)
{
    uint8_t b = (uint8_t)v;
    pn(o, &b, 1);
}

static inline void p16(struct bb *o, unsigned v)
{
    p8(o, v >> 8);
    p8(o, v);
}

static inline void p24(struct bb *o, unsigned v)
{
    p8(o, v >> 16);
    p16(o, v & 0xffff);
}

/* Placeholders for a length of `w` bytes, patched by fill(). */
static inline size_t hole(struct bb *o, int w)
{
    size_t at = o->n;
    for (int i = 0; i < w; i++)
        p8(o, 0);
    return at;
}

static inline void fill(struct bb *o, size_t at, int w)
{
    size_t l = o->n - at - (size_t)w;
    for (int i = 0; i < w; i++)
        o->b[at + (size_t)i] = (uint8_t)(l >> (8 * (w - 1 - i)));
}

static inline void ext(struct bb *o, unsigned type, const void *body, size_t n)
{
    p16(o, type);
    p16(o, (unsigned)n);
    pn(o, body, n);
}

/* A handshake message of `type` around `body`. */
static inline void hs(struct bb *o, unsigned type, const struct bb *body)
{
    p8(o, type);
    p24(o, (unsigned)body->n);
    pn(o, body->b, body->n);
}

/* ---- ClientHellos -------------------------------------------------------------- */

static const uint16_t foxio_ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                         0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                         0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t foxio_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                         0x0805, 0x0501, 0x0806, 0x0601};

/*
 * A Chrome-like ClientHello with GREASE, the cipher and extension lists of
 * FoxIO's JA4 example (JA4 t13d1516h2_8daaf6152771_e5627efa2ab1).
 */
static inline void client_hello_modern(struct bb *m, const char *sni)
{
    struct bb *b = calloc(1, sizeof(*b)), *e = calloc(1, sizeof(*e)), *t = calloc(1, sizeof(*t));
    assert_non_null(b);
    p16(b, 0x0303);
    for (int i = 0; i < 32; i++)
        p8(b, i);
    p8(b, 32);
    for (int i = 0; i < 32; i++)
        p8(b, 0x80 + i);
    size_t cl = hole(b, 2);
    p16(b, 0x0a0a); /* GREASE */
    for (size_t i = 0; i < OT_ARRAY_SIZE(foxio_ciphers); i++)
        p16(b, foxio_ciphers[i]);
    fill(b, cl, 2);
    p8(b, 1);
    p8(b, 0);

    ext(e, 0x3a3a, NULL, 0); /* GREASE */
    ext(e, 0x001b, "\x02\x00\x02", 3);
    t->n = 0;
    size_t l1 = hole(t, 2);
    p8(t, 0);
    size_t l2 = hole(t, 2);
    pn(t, sni, strlen(sni));
    fill(t, l2, 2);
    fill(t, l1, 2);
    ext(e, 0x0000, t->b, t->n);
    t->n = 0;
    p16(t, 0x0024);
    p16(t, 0x001d);
    p16(t, 0x0020);
    for (int i = 0; i < 32; i++)
        p8(t, 0x11);
    ext(e, 0x0033, t->b, t->n);
    ext(e, 0x0010, "\x00\x0c\x02h2\x08http/1.1", 14);
    ext(e, 0x4469, "\x00\x03\x02h2", 5);
    ext(e, 0x0017, NULL, 0);
    ext(e, 0x002d, "\x01\x01", 2);
    t->n = 0;
    p16(t, 2 * OT_ARRAY_SIZE(foxio_sigalgs));
    for (size_t i = 0; i < OT_ARRAY_SIZE(foxio_sigalgs); i++)
        p16(t, foxio_sigalgs[i]);
    ext(e, 0x000d, t->b, t->n);
    ext(e, 0x0005, "\x01\x00\x00\x00\x00", 5);
    ext(e, 0x0023, NULL, 0);
    ext(e, 0x0012, NULL, 0);
    ext(e, 0x002b, "\x06\x2a\x2a\x03\x04\x03\x03", 7);
    ext(e, 0xff01, "\x00", 1);
    ext(e, 0x000b, "\x01\x00", 2);
    ext(e, 0x000a, "\x00\x08\x4a\x4a\x00\x1d\x00\x17\x00\x18", 10);
    ext(e, 0x0015, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
    ext(e, 0x1a1a, "\x00", 1); /* GREASE */
    p16(b, (unsigned)e->n);
    pn(b, e->b, e->n);
    hs(m, 1, b);
    free(b);
    free(e);
    free(t);
}

#define MODERN_JA3                                                                                 \
    "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"            \
    "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0"
#define MODERN_JA3_MD5 "c000e2caf3a25423f9de6c8a4b12a975"     /* python hashlib */
#define MODERN_JA4     "t13d1516h2_8daaf6152771_e5627efa2ab1" /* FoxIO's JA4.md */

#endif
