/* ot_addr_fmt's hand-written IPv4 path against inet_ntop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "decode/decode.h"

static void test_ipv4_matches_inet_ntop(void **state)
{
    uint32_t x = 2463534242u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        struct ot_addr a;
        memset(&a, 0, sizeof(a));
        memcpy(a.u.b, &x, 4);
        if (i < 256) /* every octet value in every position */
            a.u.b[0] = a.u.b[1] = a.u.b[2] = a.u.b[3] = (uint8_t)i;
        char got[48], want[INET6_ADDRSTRLEN];
        size_t n = ot_addr_fmt(&a, false, got);
        assert_non_null(inet_ntop(AF_INET, a.u.b, want, sizeof(want)));
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ipv4_matches_inet_ntop)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
