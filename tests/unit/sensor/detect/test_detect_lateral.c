/*
 * lateral detector: one inside host reaching SMB, RDP, WinRM or RPC on many
 * inside hosts, around the threshold; failed attempts, outside targets and
 * the ordinary many-clients-one-server pattern raise nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flows-rig.h"

#define PC "192.168.1.66"

/* SRC reaches PORT on N inside hosts, STEP apart, with SHAPE. */
static void spread(struct rig *r, const char *src, uint16_t port, unsigned n, uint64_t t0,
                   uint64_t step, enum tcp_shape shape)
{
    for (unsigned i = 0; i < n; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "192.168.1.%u", 100 + i);
        struct ot_flow f;
        tcp_flow(r, &f, src, (uint16_t)(50000 + i), ip, port, t0 + i * step, 2 * SEC, shape);
        run_flow(r, &f);
    }
}

static void test_smb_threshold(void **state)
{
    struct rig r;
    rig_init(&r, "lateral");
    rig_open(&r);
    spread(&r, PC, 445, 9, T0, 2 * SEC, TCP_SESSION);
    spread(&r, PC, 445, 9, T0 + 30 * SEC, 2 * SEC, TCP_SESSION); /* the same nine again */
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "lateral");
    rig_open(&r);
    spread(&r, PC, 445, 10, T0, 2 * SEC, TCP_SESSION);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = get_sid(arr, 8109001);
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 1);
    assert_int_equal(alert_int(a, "count"), 1);
    assert_string_equal(json_string_value(json_object_get(alert_of(a), "category")),
                        "lateral-movement");
    assert_string_equal(top_str(a, "src_ip"), PC);
    assert_null(json_object_get(a, "dest_ip"));
    assert_string_equal(ev_str(a, "service"), "smb");
    assert_int_equal(ev_int(a, "distinct_hosts"), 10);
    assert_int_equal(ev_int(a, "seconds"), 18);
    assert_int_equal(ev_int(a, "window_s"), 600);
    assert_non_null(strstr(ev_str(a, "hosts"), "192.168.1.100,192.168.1.101"));
    json_decref(arr);
}

/* Spreading on: one line whose count is the hosts reached from the threshold on. */
static void test_spreading_count(void **state)
{
    struct rig r;
    rig_init(&r, "lateral");
    rig_open(&r);
    spread(&r, PC, 445, 18, T0, SEC, TCP_SESSION);
    spread(&r, PC, 445, 18, T0 + 30 * SEC, SEC, TCP_SESSION); /* the same 18 again */
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(alert_int(json_array_get(arr, 0), "count"), 18 - 9);
    json_decref(arr);
}

/* A bare handshake reaches the service too (139 is SMB as well). */
static void test_handshake_counts(void **state)
{
    struct rig r;
    rig_init(&r, "lateral");
    rig_open(&r);
    spread(&r, PC, 139, 10, T0, SEC, TCP_HALF_OPEN);
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8109001), 1);
    json_decref(arr);
}

/* Unanswered or refused attempts are a sweep (the scan detector's), not movement. */
static void test_failures_do_not_count(void **state)
{
    struct rig r;
    rig_init(&r, "lateral");
    rig_open(&r);
    spread(&r, PC, 445, 50, T0, SEC / 10, TCP_SYN_SILENT);
    spread(&r, PC, 3389, 50, T0, SEC / 10, TCP_SYN_RST);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* Many office PCs on one file server, and one PC on many outside servers: ordinary. */
static void test_ordinary_patterns(void **state)
{
    struct rig r;
    rig_init(&r, "lateral");
    rig_open(&r);
    for (unsigned i = 0; i < 50; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "192.168.1.%u", 100 + i);
        struct ot_flow f;
        tcp_flow(&r, &f, ip, 50000, "192.168.1.10", 445, T0 + i * SEC, 600 * SEC, TCP_SESSION);
        run_flow(&r, &f);
        snprintf(ip, sizeof(ip), "203.0.113.%u", 10 + i);
        tcp_flow(&r, &f, PC, (uint16_t)(50000 + i), ip, 3389, T0 + i * SEC, 60 * SEC, TCP_SESSION);
        run_flow(&r, &f);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

static void test_services_and_switches(void **state)
{
    struct rig r;
    rig_init(&r, "lateral");
    rig_open(&r);
    spread(&r, "192.168.1.61", 3389, 10, T0, SEC, TCP_SESSION);
    spread(&r, "192.168.1.62", 5985, 5, T0, SEC, TCP_SESSION);
    spread(&r, "192.168.1.62", 5986, 5, T0 + 10 * SEC, SEC, TCP_SESSION); /* hosts 100-104 again */
    spread(&r, "192.168.1.63", 135, 10, T0, SEC, TCP_SESSION);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    assert_int_equal(n_sid(arr, 8109002), 1);
    assert_int_equal(n_sid(arr, 8109004), 1);
    assert_int_equal(alert_int(get_sid(arr, 8109004), "severity"), 2);
    json_decref(arr);

    rig_init(&r, "lateral");
    rig_set(&r, "detect.lateral.rpc", "0");
    rig_set(&r, "detect.lateral.hosts", "5");
    rig_open(&r);
    spread(&r, "192.168.1.62", 5986, 5, T0, SEC, TCP_SESSION);
    spread(&r, "192.168.1.63", 135, 10, T0, SEC, TCP_SESSION);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(n_sid(arr, 8109003), 1);
    json_decref(arr);
}

/* Slower than the window: nothing; the window is a parameter. */
static void test_window(void **state)
{
    struct rig r;
    rig_init(&r, "lateral");
    rig_open(&r);
    spread(&r, PC, 445, 20, T0, 70 * SEC, TCP_SESSION); /* 9 hosts in any 600 s */
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "lateral");
    rig_set(&r, "detect.lateral.window", "3600");
    rig_open(&r);
    spread(&r, PC, 445, 20, T0, 70 * SEC, TCP_SESSION);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8109001), 1);
    json_decref(arr);
}

static void test_ipv6_and_bound(void **state)
{
    struct rig r;
    rig_init(&r, "lateral");
    rig_set(&r, "detect.lateral.max-entries", "64");
    rig_open(&r);
    for (unsigned i = 0; i < 100; i++) {
        char src[32];
        snprintf(src, sizeof(src), "192.168.2.%u", i);
        struct ot_flow f;
        tcp_flow(&r, &f, src, 50000, "192.168.1.10", (uint16_t)(i % 2 ? 445 : 3389), T0 + i * SEC,
                 SEC, TCP_SESSION);
        run_flow(&r, &f);
    }
    assert_true(table_full(&r, "lateral") > 0);
    for (unsigned i = 0; i < 10; i++) {
        char ip[64];
        snprintf(ip, sizeof(ip), "fd6f:7461:7375:1::%x", 0x100 + i);
        struct ot_flow f;
        tcp_flow(&r, &f, "fd6f:7461:7375:1::66", (uint16_t)(50000 + i), ip, 445, T0 + 200 * SEC,
                 SEC, TCP_SESSION);
        run_flow(&r, &f);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = get_sid(arr, 8109001);
    assert_string_equal(top_str(a, "src_ip"), "fd6f:7461:7375:1::66");
    assert_null(ev_str(a, "hosts")); /* IPv6 targets are counted by hash: no sample */
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smb_threshold),
        cmocka_unit_test(test_spreading_count),
        cmocka_unit_test(test_handshake_counts),
        cmocka_unit_test(test_failures_do_not_count),
        cmocka_unit_test(test_ordinary_patterns),
        cmocka_unit_test(test_services_and_switches),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_ipv6_and_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
