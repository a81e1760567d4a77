#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "core/sha1.h"

static void test_vectors(void **state)
{
    /* FIPS 180 examples */
    uint8_t d[OT_SHA1_LEN];
    ot_sha1("abc", 3, d);
    static const uint8_t abc[] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
                                  0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    assert_memory_equal(d, abc, OT_SHA1_LEN);
    ot_sha1("", 0, d);
    static const uint8_t empty[] = {0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55,
                                    0xbf, 0xef, 0x95, 0x60, 0x18, 0x90, 0xaf, 0xd8, 0x07, 0x09};
    assert_memory_equal(d, empty, OT_SHA1_LEN);
}

/*
 * Every length from 0 to 300 (all padding cases), and some long inputs,
 * against OpenSSL: both the path this processor takes (SHA-NI or not) and
 * the portable one.
 */
static void test_against_openssl(void **state)
{
    static uint8_t buf[70000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 131 + 7 + (i >> 8));
    for (size_t n = 0; n <= sizeof(buf); n = n < 300 ? n + 1 : n * 3 + 17) {
        uint8_t a[OT_SHA1_LEN], p[OT_SHA1_LEN], b[SHA_DIGEST_LENGTH];
        ot_sha1(buf, n, a);
        ot_sha1_portable(buf, n, p);
        SHA1(buf, n, b);
        assert_memory_equal(a, b, OT_SHA1_LEN);
        assert_memory_equal(p, b, OT_SHA1_LEN);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vectors),
                                       cmocka_unit_test(test_against_openssl)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
