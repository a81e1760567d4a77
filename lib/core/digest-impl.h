/*
 * Pieces that core/md5.c, core/sha1.c and core/sha256.c share: byte-order
 * loads, the final padded block(s) every Merkle-Damgard hash ends with, and
 * the CPUID test for the SHA-NI instructions.  Internal to those files.
 */
#ifndef OT_CORE_DIGEST_IMPL_H
#define OT_CORE_DIGEST_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define OT_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static inline uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A little-endian word, through memcpy (p need not be aligned). */
static inline uint32_t load_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/*
 * The last block or two of a message of `len` bytes whose final `left`
 * (< 64) bytes are at p: those bytes, 0x80, zeros, and the length in bits
 * in the last eight bytes, most significant byte first (SHA, big_endian) or
 * last (MD5).  Returns how many bytes of tail to hash: 64 or 128.
 */
static inline size_t md_tail(uint8_t tail[128], const uint8_t *p, size_t left, size_t len,
                             bool big_endian)
{
    memset(tail, 0, 128);
    if (left)
        memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tl = left + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[big_endian ? tl - 1 - i : tl - 8 + i] = (uint8_t)(bits >> (8 * i));
    return tl;
}

#ifdef OT_SHA_NI
/*
 * Whether the processor has SHA-NI (and the SSSE3/SSE4.1 the code around
 * it needs).  Asked of CPUID once per file that includes this and kept: the
 * answer cannot change while we run.
 */
static inline bool have_sha_ni(void)
{
    static int known = -1; /* -1: not asked yet */
    int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (k < 0) {
        unsigned a, b, c, d;
        bool sse = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1);
        bool sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
        k = sse && sha;
        __atomic_store_n(&known, k, __ATOMIC_RELAXED);
    }
    return k;
}
#endif

#endif
