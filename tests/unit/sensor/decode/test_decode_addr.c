/* ot_addr_fmt's hand-written IPv4 and IPv6 paths against inet_ntop. */
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

/*
 * IPv6: addresses built from groups that are mostly zero, 0xffff or small,
 * so every shape of zero run (none, one group, ties, at either end, all
 * zero) and every embedded-IPv4 case (::a.b.c.d, ::ffff:a.b.c.d, ::1, and
 * near misses such as ::fffe:a.b.c.d) comes up many times.
 */
static void test_ipv6_matches_inet_ntop(void **state)
{
    uint32_t x = 88675123u;
    for (int i = 0; i < 400000; i++) {
        struct ot_addr a;
        for (int g = 0; g < 8; g++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            unsigned v;
            switch (x % 8) {
            case 0:
            case 1:
            case 2:
            case 3:
                v = 0;
                break;
            case 4:
                v = 0xffff;
                break;
            case 5:
                v = (x >> 8) & 0xf;
                break;
            default:
                v = (x >> 8) & 0xffff;
            }
            a.u.b[2 * g] = (uint8_t)(v >> 8);
            a.u.b[2 * g + 1] = (uint8_t)v;
        }
        if (i < 65536) { /* ::w and ::ffff:w for every last group w */
            memset(a.u.b, 0, 12);
            if (i & 1)
                a.u.b[10] = a.u.b[11] = 0xff;
            a.u.b[14] = (uint8_t)(i >> 8);
            a.u.b[15] = (uint8_t)i;
        }
        char got[48], want[INET6_ADDRSTRLEN];
        size_t n = ot_addr_fmt(&a, true, got);
        assert_non_null(inet_ntop(AF_INET6, a.u.b, want, sizeof(want)));
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ipv4_matches_inet_ntop),
                                       cmocka_unit_test(test_ipv6_matches_inet_ntop)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
