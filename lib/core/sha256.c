/*
 * SHA-256 as specified in FIPS 180-4, section 6.2.
 *
 * As in core/sha1.c: the 64 rounds are written out, the names of the eight
 * working variables rotate instead of their values, and the message
 * schedule lives in a 16-word ring.  A block costs ~2,800 instructions
 * (~3,350 with the textbook forms of the functions; OpenSSL's vectorised
 * code ~1,900).  On x86-64 processors with the SHA extensions the blocks go
 * to the SHA-NI instructions instead, ~160 instructions a block; the choice
 * is made once, from CPUID.  (valgrind hides SHA-NI from CPUID, so
 * callgrind counts the portable path.)
 */
#include "core/sha256.h"

#include "core/digest-impl.h"

/* Section 4.2.2: the first 32 bits of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/*
 * Section 4.1.2, with each sum of three rotations as nested ones
 * (ROTR^6 ^ ROTR^11 ^ ROTR^25 = ROTR^6(ROTR^5(ROTR^14(x) ^ x) ^ x)): x86
 * rotates in place, so this form needs one copy of x instead of three.
 */
#define BSIG0(x)    ROR(ROR(ROR(x, 9) ^ (x), 11) ^ (x), 2)
#define BSIG1(x)    ROR(ROR(ROR(x, 14) ^ (x), 5) ^ (x), 6)
#define SSIG0(x)    (ROR(ROR(x, 11) ^ (x), 7) ^ ((x) >> 3))
#define SSIG1(x)    (ROR(ROR(x, 2) ^ (x), 17) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))

/* Message word i: one of the block's sixteen, or (i >= 16) computed in place in the ring. */
#define WORD(i)                                                                                    \
    ((i) < 16 ? w[i]                                                                               \
              : (w[(i)&15] += SSIG1(w[((i)-2) & 15]) + w[((i)-7) & 15] + SSIG0(w[((i)-15) & 15])))

/*
 * Round i: T1 = h + BSIG1(e) + Ch(e,f,g) + K[i] + W[i]; d += T1;
 * h = T1 + BSIG0(a) + Maj(a,b,c).  The callers rotate the names, so h and d
 * are the next round's a and e.  Maj(a,b,c) = b ^ ((a ^ b) & (b ^ c)), and
 * this round's a ^ b (into x) is the next round's b ^ c (y): x and y swap
 * names each round too.
 */
#define R(a, b, c, d, e, f, g, h, i, x, y)                                                         \
    do {                                                                                           \
        uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[i] + WORD(i);                                 \
        d += t1;                                                                                   \
        x = a ^ b;                                                                                 \
        h = t1 + BSIG0(a) + (b ^ (x & y));                                                         \
    } while (0)

/* Eight rounds with the names rotated back to where they started. */
#define EIGHT(i)                                                                                   \
    do {                                                                                           \
        R(a, b, c, d, e, f, g, h, (i), x, y);                                                      \
        R(h, a, b, c, d, e, f, g, (i) + 1, y, x);                                                  \
        R(g, h, a, b, c, d, e, f, (i) + 2, x, y);                                                  \
        R(f, g, h, a, b, c, d, e, (i) + 3, y, x);                                                  \
        R(e, f, g, h, a, b, c, d, (i) + 4, x, y);                                                  \
        R(d, e, f, g, h, a, b, c, (i) + 5, y, x);                                                  \
        R(c, d, e, f, g, h, a, b, (i) + 6, x, y);                                                  \
        R(b, c, d, e, f, g, h, a, (i) + 7, y, x);                                                  \
    } while (0)

static void block(uint32_t *st, const uint8_t *p)
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = load_be32(p + 4 * i);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    uint32_t x, y = b ^ c;
    EIGHT(0);
    EIGHT(8);
    EIGHT(16);
    EIGHT(24);
    EIGHT(32);
    EIGHT(40);
    EIGHT(48);
    EIGHT(56);
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
}

#ifdef OT_SHA_NI
/*
 * Rounds 4g..4g+3 (0 <= g < 16).  m is a ring of four groups of four
 * message words; from g = 4 on, group g replaces group g-4: sha256msg1
 * adds SSIG0 of the next word, the aligned pair adds W[i-7], sha256msg2
 * adds SSIG1 of W[i-2].  sha256rnds2 takes C,D,G,H and A,B,E,F and returns
 * the new A,B,E,F, two rounds on, whose old value is then the C,D,G,H: the
 * two states swap names for the second pair of rounds, and back.
 */
#define NI_ROUNDS(g)                                                                               \
    do {                                                                                           \
        if ((g) >= 4)                                                                              \
            m[(g)&3] = _mm_sha256msg2_epu32(                                                       \
                _mm_add_epi32(_mm_sha256msg1_epu32(m[(g)&3], m[((g) + 1) & 3]),                    \
                              _mm_alignr_epi8(m[((g) + 3) & 3], m[((g) + 2) & 3], 4)),             \
                m[((g) + 3) & 3]);                                                                 \
        __m128i wk = _mm_add_epi32(m[(g)&3], _mm_loadu_si128((const __m128i *)(K + 4 * (g))));     \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                              \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));                     \
    } while (0)

/* `n` blocks with the SHA-NI instructions (Intel's SHA extensions reference flow). */
__attribute__((target("sha,sse4.1"))) static void blocks_ni(uint32_t *st, const uint8_t *p,
                                                            size_t n)
{
    /* Byte swap within each 32-bit word: the message words are big-endian. */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    /* Lanes low to high: {A,B,C,D} {E,F,G,H} -> {F,E,B,A} and {H,G,D,C}. */
    __m128i badc = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0xb1);
    __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(st + 4)), 0x1b);
    __m128i abef = _mm_alignr_epi8(badc, hgfe, 8);
    __m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xf0);
    for (; n; n--, p += 64) {
        __m128i abef_save = abef, cdgh_save = cdgh, m[4];
        for (int i = 0; i < 4; i++)
            m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
        NI_ROUNDS(0);
        NI_ROUNDS(1);
        NI_ROUNDS(2);
        NI_ROUNDS(3);
        NI_ROUNDS(4);
        NI_ROUNDS(5);
        NI_ROUNDS(6);
        NI_ROUNDS(7);
        NI_ROUNDS(8);
        NI_ROUNDS(9);
        NI_ROUNDS(10);
        NI_ROUNDS(11);
        NI_ROUNDS(12);
        NI_ROUNDS(13);
        NI_ROUNDS(14);
        NI_ROUNDS(15);
        abef = _mm_add_epi32(abef, abef_save);
        cdgh = _mm_add_epi32(cdgh, cdgh_save);
    }
    /* Back: {A,B,E,F} and {G,H,C,D} -> {A,B,C,D} and {E,F,G,H}. */
    __m128i abef_lo = _mm_shuffle_epi32(abef, 0x1b);
    __m128i ghcd = _mm_shuffle_epi32(cdgh, 0xb1);
    _mm_storeu_si128((__m128i *)st, _mm_blend_epi16(abef_lo, ghcd, 0xf0));
    _mm_storeu_si128((__m128i *)(st + 4), _mm_alignr_epi8(ghcd, abef_lo, 8));
}
#endif

#ifndef OT_SHA_NI
#define blocks_ni NULL /* no SHA-NI code on this compiler or processor family */
#endif

/* Section 5.3.3: the first 32 bits of the square roots of the first 8 primes. */
static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static void sha256(const void *data, size_t len, uint8_t out[OT_SHA256_LEN], bool ni)
{
    uint32_t st[8];
    memcpy(st, H0, sizeof(st));
    md_hash(st, data, len, true, block, ni ? blocks_ni : NULL);
    md_out(out, st, 8, true);
}

/* SHA-256 of (the 64-byte key block xor pad) followed by the message. */
static void keyed(const uint8_t kb[64], uint8_t pad, const void *msg, size_t len,
                  uint8_t out[OT_SHA256_LEN])
{
    uint8_t b[64];
    for (int i = 0; i < 64; i++)
        b[i] = kb[i] ^ pad;
    uint32_t st[8];
    memcpy(st, H0, sizeof(st));
    md_blocks(st, b, 1, block, blocks_ni);
    md_hash_after(st, 64, msg, len, true, block, blocks_ni);
    md_out(out, st, 8, true);
}

void ot_sha256(const void *data, size_t len, uint8_t out[OT_SHA256_LEN])
{
    sha256(data, len, out, true);
}

void ot_sha256_portable(const void *data, size_t len, uint8_t out[OT_SHA256_LEN])
{
    sha256(data, len, out, false);
}

void ot_hmac_sha256(const void *key, size_t klen, const void *msg, size_t len,
                    uint8_t out[OT_SHA256_LEN])
{
    /* RFC 2104: a key longer than the block is hashed first; the block is the key, zero-padded. */
    uint8_t kb[64] = {0};
    if (klen > sizeof(kb))
        ot_sha256(key, klen, kb);
    else if (klen)
        memcpy(kb, key, klen);
    uint8_t inner[OT_SHA256_LEN];
    keyed(kb, 0x36, msg, len, inner);
    keyed(kb, 0x5c, inner, sizeof(inner), out);
}
