/*
 * SHA-1 as specified in FIPS 180-4, section 6.1.
 *
 * The 80 rounds are written out (no branches on the round number) and the
 * message schedule lives in a 16-word ring instead of an 80-word array: the
 * sensor hashes every flow's Community ID tuple and every server
 * certificate, and the looped form cost ~1,900 instructions a block where
 * this one costs ~1,450.  On x86-64 processors with the SHA extensions
 * (most since 2017-2019) the blocks go to the SHA-NI instructions instead,
 * two to three times faster again (measured on AMD EPYC); the choice is made
 * once, from CPUID.
 */
#include "core/sha1.h"

#include "core/digest-impl.h"

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/* Schedule word i (16 <= i < 80), computed in place in the ring. */
#define W(i)                                                                                       \
    (w[(i)&15] = ROL(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i)&15], 1))

/*
 * One round: e += f(b,c,d) + k + rol(a,5) + word; b = rol(b,30).  Rather than
 * moving five variables each round, the callers rotate the names.
 */
#define R0(a, b, c, d, e, i)                                                                       \
    do {                                                                                           \
        e += ((b & (c ^ d)) ^ d) + w[i] + 0x5a827999u + ROL(a, 5);                                 \
        b = ROL(b, 30);                                                                            \
    } while (0)
#define R1(a, b, c, d, e, i)                                                                       \
    do {                                                                                           \
        e += ((b & (c ^ d)) ^ d) + W(i) + 0x5a827999u + ROL(a, 5);                                 \
        b = ROL(b, 30);                                                                            \
    } while (0)
#define R2(a, b, c, d, e, i)                                                                       \
    do {                                                                                           \
        e += (b ^ c ^ d) + W(i) + 0x6ed9eba1u + ROL(a, 5);                                         \
        b = ROL(b, 30);                                                                            \
    } while (0)
#define R3(a, b, c, d, e, i)                                                                       \
    do {                                                                                           \
        e += (((b | c) & d) | (b & c)) + W(i) + 0x8f1bbcdcu + ROL(a, 5);                           \
        b = ROL(b, 30);                                                                            \
    } while (0)
#define R4(a, b, c, d, e, i)                                                                       \
    do {                                                                                           \
        e += (b ^ c ^ d) + W(i) + 0xca62c1d6u + ROL(a, 5);                                         \
        b = ROL(b, 30);                                                                            \
    } while (0)

/* Five rounds with the names rotated back to where they started. */
#define FIVE(R, i)                                                                                 \
    do {                                                                                           \
        R(a, b, c, d, e, (i));                                                                     \
        R(e, a, b, c, d, (i) + 1);                                                                 \
        R(d, e, a, b, c, (i) + 2);                                                                 \
        R(c, d, e, a, b, (i) + 3);                                                                 \
        R(b, c, d, e, a, (i) + 4);                                                                 \
    } while (0)

static void block(uint32_t *h, const uint8_t *p)
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = load_be32(p + 4 * i);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    FIVE(R0, 0);
    FIVE(R0, 5);
    FIVE(R0, 10);
    R0(a, b, c, d, e, 15);
    R1(e, a, b, c, d, 16);
    R1(d, e, a, b, c, 17);
    R1(c, d, e, a, b, 18);
    R1(b, c, d, e, a, 19);
    FIVE(R2, 20);
    FIVE(R2, 25);
    FIVE(R2, 30);
    FIVE(R2, 35);
    FIVE(R3, 40);
    FIVE(R3, 45);
    FIVE(R3, 50);
    FIVE(R3, 55);
    FIVE(R4, 60);
    FIVE(R4, 65);
    FIVE(R4, 70);
    FIVE(R4, 75);
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

#ifdef OT_SHA_NI
/* Message words 4g..4g+3 from the previous sixteen (m is a ring of four such groups). */
#define NI_NEXT(g)                                                                                 \
    m[(g)&3] = _mm_sha1msg2_epu32(                                                                 \
        _mm_xor_si128(_mm_sha1msg1_epu32(m[(g)&3], m[((g) + 1) & 3]), m[((g) + 2) & 3]),           \
        m[((g) + 3) & 3])

/*
 * Rounds 4g..4g+3 (1 <= g < 20).  Their e term is the A of four rounds back,
 * which sha1nexte adds to the message words; e0 and e1 take turns holding it.
 */
#define NI_ROUNDS(g)                                                                               \
    do {                                                                                           \
        if ((g) >= 4)                                                                              \
            NI_NEXT(g);                                                                            \
        if ((g)&1) {                                                                               \
            e1 = _mm_sha1nexte_epu32(e1, m[(g)&3]);                                                \
            e0 = abcd;                                                                             \
            abcd = _mm_sha1rnds4_epu32(abcd, e1, (g) / 5);                                         \
        } else {                                                                                   \
            e0 = _mm_sha1nexte_epu32(e0, m[(g)&3]);                                                \
            e1 = abcd;                                                                             \
            abcd = _mm_sha1rnds4_epu32(abcd, e0, (g) / 5);                                         \
        }                                                                                          \
    } while (0)

/* `n` blocks with the SHA-NI instructions (Intel's SHA extensions reference flow). */
__attribute__((target("sha,ssse3,sse4.1"))) static void blocks_ni(uint32_t *h, const uint8_t *p,
                                                                  size_t n)
{
    const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
    __m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0), e1;
    for (; n; n--, p += 64) {
        __m128i abcd_save = abcd, e0_save = e0, m[4];
        for (int i = 0; i < 4; i++)
            m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
        e0 = _mm_add_epi32(e0, m[0]);
        e1 = abcd;
        abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
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
        NI_ROUNDS(16);
        NI_ROUNDS(17);
        NI_ROUNDS(18);
        NI_ROUNDS(19);
        e0 = _mm_sha1nexte_epu32(e0, e0_save);
        abcd = _mm_add_epi32(abcd, abcd_save);
    }
    _mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
    h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}
#endif

#ifndef OT_SHA_NI
#define blocks_ni NULL /* no SHA-NI code on this compiler or processor family */
#endif

static void sha1(const void *data, size_t len, uint8_t out[OT_SHA1_LEN], bool ni)
{
    uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    md_hash(h, data, len, true, block, ni ? blocks_ni : NULL);
    md_out(out, h, 5, true);
}

void ot_sha1(const void *data, size_t len, uint8_t out[OT_SHA1_LEN])
{
    sha1(data, len, out, true);
}

void ot_sha1_portable(const void *data, size_t len, uint8_t out[OT_SHA1_LEN])
{
    sha1(data, len, out, false);
}
