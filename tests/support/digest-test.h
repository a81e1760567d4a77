/*
 * Shared checks for the digest tests (test_md5.c, test_sha256.c): known
 * answers, and every length of pseudo-random data against OpenSSL.
 * Include after <cmocka.h>.
 */
#ifndef OT_TESTS_DIGEST_TEST_H
#define OT_TESTS_DIGEST_TEST_H

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*ot_digest_fn)(const void *data, size_t len, uint8_t *out);

/* The 56- and 112-byte two-block messages of FIPS 180 (also used for MD5). */
#define OT_MSG56 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define OT_MSG112                                                                                  \
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"                                     \
    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

/* fn's digest (n bytes) of data, in hex, must be `hex`. */
static inline void ot_check_digest(ot_digest_fn fn, size_t n, const void *data, size_t len,
                                   const char *hex)
{
    uint8_t d[64];
    char got[129];
    fn(data, len, d);
    for (size_t i = 0; i < n; i++)
        snprintf(got + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(got, hex);
}

/* The standard vectors: "", "abc", the two-block messages, a million 'a's. */
static inline void ot_check_vectors(ot_digest_fn fn, size_t n, const char *const hex[5])
{
    ot_check_digest(fn, n, "", 0, hex[0]);
    ot_check_digest(fn, n, "abc", 3, hex[1]);
    ot_check_digest(fn, n, OT_MSG56, 56, hex[2]);
    ot_check_digest(fn, n, OT_MSG112, 112, hex[3]);
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    ot_check_digest(fn, n, million, 1000000, hex[4]);
    free(million);
}

/*
 * Every length from 0 to 1100 (all padding cases, up to 17 blocks), then
 * some long ones, of pseudo-random data at varying alignments: fn's digest
 * must be OpenSSL's EVP_Digest() with md.
 */
static inline void ot_check_against_openssl(ot_digest_fn fn, const EVP_MD *md)
{
    static uint8_t buf[70000 + 8];
    uint32_t x = 2463534242u; /* xorshift32 */
    for (size_t i = 0; i < sizeof(buf); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    size_t n = (size_t)EVP_MD_get_size(md);
    for (size_t len = 0; len <= 70000; len = len < 1100 ? len + 1 : len * 4 + 13) {
        const uint8_t *p = buf + len % 8;
        uint8_t a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
        unsigned int blen = 0;
        fn(p, len, a);
        assert_int_equal(EVP_Digest(p, len, b, &blen, md, NULL), 1);
        assert_int_equal(blen, n);
        if (memcmp(a, b, n) != 0)
            fail_msg("length %zu differs from OpenSSL", len);
    }
}

#endif
