#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/hmac.h>

#include "core/sha256.h"
#include "digest-test.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

static void sha256(const void *data, size_t len, uint8_t *out)
{
    ot_sha256(data, len, out);
}

static void sha256_portable(const void *data, size_t len, uint8_t *out)
{
    ot_sha256_portable(data, len, out);
}

/* FIPS 180 examples, on the path this processor takes (SHA-NI or not) and the portable one. */
static void test_vectors(void **state)
{
    static const char *const hex[5] = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"};
    ot_check_vectors(sha256, OT_SHA256_LEN, hex);
    ot_check_vectors(sha256_portable, OT_SHA256_LEN, hex);
}

static void test_against_openssl(void **state)
{
    ot_check_against_openssl(sha256, EVP_sha256());
    ot_check_against_openssl(sha256_portable, EVP_sha256());
}

/* The two paths agree on every length up to 1100 (the same in effect where there is no SHA-NI). */
static void test_ni_against_portable(void **state)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    unsigned a, b, c, d;
    bool ni = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
    print_message("SHA-NI %s\n", ni ? "present: both paths tested" : "absent");
#endif
    static uint8_t buf[1100];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 167 + 13 + (i >> 7));
    for (size_t len = 0; len <= sizeof(buf); len++) {
        uint8_t x[OT_SHA256_LEN], y[OT_SHA256_LEN];
        ot_sha256(buf, len, x);
        ot_sha256_portable(buf, len, y);
        if (memcmp(x, y, sizeof(x)) != 0)
            fail_msg("length %zu: SHA-NI and portable differ", len);
    }
}

/* HMAC key and message of the RFC 4231 cases 1, 2 and 6 (a key longer than the block). */
static void check_hmac(const void *key, size_t klen, const char *msg, const char *hex)
{
    uint8_t d[OT_SHA256_LEN];
    char got[2 * OT_SHA256_LEN + 1];
    ot_hmac_sha256(key, klen, msg, strlen(msg), d);
    for (size_t i = 0; i < sizeof(d); i++)
        snprintf(got + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(got, hex);
}

static void test_hmac_vectors(void **state)
{
    uint8_t k1[20], k6[131];
    memset(k1, 0x0b, sizeof(k1));
    memset(k6, 0xaa, sizeof(k6));
    check_hmac(k1, sizeof(k1), "Hi There",
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac("Jefe", 4, "what do ya want for nothing?",
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    check_hmac(k6, sizeof(k6), "Test Using Larger Than Block-Size Key - Hash Key First",
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* Against OpenSSL's HMAC() for key lengths 0..140 and message lengths 0..300. */
static void test_hmac_against_openssl(void **state)
{
    static uint8_t key[140], msg[300];
    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(i * 29 + 7);
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 131 + 3 + (i >> 5));
    for (size_t kl = 0; kl <= sizeof(key); kl += 7) {
        for (size_t ml = 0; ml <= sizeof(msg); ml++) {
            uint8_t ours[OT_SHA256_LEN], theirs[EVP_MAX_MD_SIZE];
            unsigned tl = 0;
            ot_hmac_sha256(key, kl, msg, ml, ours);
            assert_non_null(HMAC(EVP_sha256(), key, (int)kl, msg, ml, theirs, &tl));
            assert_int_equal(tl, OT_SHA256_LEN);
            if (memcmp(ours, theirs, OT_SHA256_LEN) != 0)
                fail_msg("key %zu bytes, message %zu bytes: HMAC differs", kl, ml);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors), cmocka_unit_test(test_against_openssl),
        cmocka_unit_test(test_ni_against_portable), cmocka_unit_test(test_hmac_vectors),
        cmocka_unit_test(test_hmac_against_openssl)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
