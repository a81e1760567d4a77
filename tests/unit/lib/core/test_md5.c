#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/md5.h"
#include "digest-test.h"

static void md5(const void *data, size_t len, uint8_t *out)
{
    ot_md5(data, len, out);
}

static void test_vectors(void **state)
{
    static const char *const hex[5] = {
        "d41d8cd98f00b204e9800998ecf8427e", "900150983cd24fb0d6963f7d28e17f72",
        "8215ef0796a20bcaaae116d3876c664a", "03dd8807a93175fb062dfb55dc7d359c",
        "7707d6ae4e027c70eea2a935c2296f21"};
    ot_check_vectors(md5, OT_MD5_LEN, hex);
    /* More of RFC 1321's test suite (appendix A.5). */
    ot_check_digest(md5, OT_MD5_LEN, "a", 1, "0cc175b9c0f1b6a831c399e269772661");
    ot_check_digest(md5, OT_MD5_LEN, "message digest", 14, "f96b697d7cb7938d525a2f31aaf161d0");
    ot_check_digest(md5, OT_MD5_LEN,
                    "1234567890123456789012345678901234567890"
                    "1234567890123456789012345678901234567890",
                    80, "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_against_openssl(void **state)
{
    ot_check_against_openssl(md5, EVP_md5());
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vectors),
                                       cmocka_unit_test(test_against_openssl)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
