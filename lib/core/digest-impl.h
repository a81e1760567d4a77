/*
 * What core/md5.c, core/sha1.c and core/sha256.c share: byte-order loads,
 * the CPUID test for the SHA-NI instructions, and the Merkle-Damgard frame
 * around each one's block function (whole blocks, then the padded tail,
 * then the state out in bytes).  Internal to those files.
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

/* One 64-byte block into the state; `n` consecutive blocks (the SHA-NI paths). */
typedef void md_block_fn(uint32_t *st, const uint8_t *p);
typedef void md_blocks_fn(uint32_t *st, const uint8_t *p, size_t n);

/* `n` blocks: with `ni` when it is given and the processor has SHA-NI, else one by one. */
static inline void md_blocks(uint32_t *st, const uint8_t *p, size_t n, md_block_fn *block,
                             md_blocks_fn *ni)
{
#ifdef OT_SHA_NI
    if (ni && have_sha_ni()) {
        ni(st, p, n);
        return;
    }
#else
    (void)ni;
#endif
    for (; n; n--, p += 64)
        block(st, p);
}

/*
 * The message (`len` bytes at data) into the state: its whole blocks, then
 * the last block or two, made of the bytes left over, 0x80, zeros, and the
 * length in bits in the last eight bytes, most significant byte first (SHA,
 * big_endian) or last (MD5).  `before`: bytes (whole blocks) the state has
 * already taken in, counted in that length (HMAC's key block).
 */
static inline void md_hash_after(uint32_t *st, uint64_t before, const void *data, size_t len,
                                 bool big_endian, md_block_fn *block, md_blocks_fn *ni)
{
    const uint8_t *p = data;
    size_t left = len;
    if (left >= 64) {
        md_blocks(st, p, left / 64, block, ni);
        p += left / 64 * 64;
        left %= 64;
    }
    uint8_t tail[128];
    memset(tail, 0, sizeof(tail));
    if (left)
        memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tl = left + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (before + len) * 8;
    for (int i = 0; i < 8; i++)
        tail[big_endian ? tl - 1 - i : tl - 8 + i] = (uint8_t)(bits >> (8 * i));
    md_blocks(st, tail, tl / 64, block, ni);
}

static inline void md_hash(uint32_t *st, const void *data, size_t len, bool big_endian,
                           md_block_fn *block, md_blocks_fn *ni)
{
    md_hash_after(st, 0, data, len, big_endian, block, ni);
}

/* The state's `n` words as the digest, each in the byte order of md_hash(). */
static inline void md_out(uint8_t *out, const uint32_t *st, int n, bool big_endian)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint8_t)(st[i] >> (big_endian ? 24 - 8 * j : 8 * j));
}

#endif
