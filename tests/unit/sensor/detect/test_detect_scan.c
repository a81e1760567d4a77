/*
 * scan detector: port scans, host sweeps, UDP and ping sweeps, around every
 * threshold, the weighting of failed versus half-open probes, the window,
 * the busy browser that must stay quiet, and the table bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flows-rig.h"

#define OUTSIDE "198.51.100.77"
#define SERVER  "192.168.1.10"
#define PC      "192.168.1.66"

static void host_ip(char *out, size_t cap, unsigned i)
{
    snprintf(out, cap, "192.168.%u.%u", 1 + i / 200, 20 + i % 200);
}

/* N probes of SHAPE from SRC to N ports of DST, 100 ms apart. */
static void vertical(struct rig *r, const char *src, const char *dst, unsigned n,
                     enum tcp_shape shape, uint64_t t0, uint16_t first_port)
{
    for (unsigned i = 0; i < n; i++) {
        struct ot_flow f;
        tcp_flow(r, &f, src, (uint16_t)(50000 + i), dst, (uint16_t)(first_port + i),
                 t0 + i * SEC / 10, SEC / 100, shape);
        run_flow(r, &f);
    }
}

/* N probes of SHAPE from SRC to PORT on N hosts, 100 ms apart. */
static void horizontal(struct rig *r, const char *src, uint16_t port, unsigned n,
                       enum tcp_shape shape, uint64_t t0)
{
    for (unsigned i = 0; i < n; i++) {
        char ip[32];
        host_ip(ip, sizeof(ip), i);
        struct ot_flow f;
        tcp_flow(r, &f, src, (uint16_t)(50000 + i), ip, port, t0 + i * SEC / 10, SEC / 100, shape);
        run_flow(r, &f);
    }
}

static void test_vertical_threshold(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 14, TCP_SYN_RST, T0, 1000);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 15, TCP_SYN_RST, T0, 1000);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = get_sid(arr, 8101002); /* from outside */
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 3);
    assert_int_equal(alert_int(a, "count"), 1);
    assert_string_equal(json_string_value(json_object_get(alert_of(a), "category")), "scan");
    assert_string_equal(top_str(a, "src_ip"), OUTSIDE);
    assert_string_equal(top_str(a, "dest_ip"), SERVER);
    assert_int_equal(ev_int(a, "distinct_ports"), 15);
    assert_int_equal(ev_int(a, "failed_ports"), 15);
    assert_int_equal(ev_int(a, "window_s"), 300);
    assert_int_equal(ev_int(a, "seconds"), 1);
    assert_non_null(strstr(ev_str(a, "ports"), "1000,1001,1002"));
    json_decref(arr);
}

/* The same scan from an inside host is the medium-severity signature. */
static void test_vertical_inside(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, PC, SERVER, 15, TCP_SYN_SILENT, T0, 20);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = get_sid(arr, 8101001);
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 2);
    json_decref(arr);
}

/* Ports that completed the handshake (the client then said nothing) count half. */
static void test_vertical_weights(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 14, TCP_SYN_RST, T0, 1000);
    vertical(&r, OUTSIDE, SERVER, 1, TCP_HALF_OPEN, T0 + 2 * SEC, 2000);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0); /* 14 + 0.5 */
    json_decref(arr);

    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 14, TCP_SYN_RST, T0, 1000);
    vertical(&r, OUTSIDE, SERVER, 2, TCP_HALF_OPEN, T0 + 2 * SEC, 2000);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8101002), 1); /* 14 + 2 * 0.5 */
    assert_int_equal(ev_int(get_sid(arr, 8101002), "distinct_ports"), 16);
    assert_int_equal(ev_int(get_sid(arr, 8101002), "failed_ports"), 14);
    json_decref(arr);

    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 29, TCP_HALF_OPEN, T0, 1000);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 30, TCP_HALF_OPEN, T0, 1000);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8101002), 1);
    json_decref(arr);
}

/* The same port again is not a new target; used or politely closed connections never count. */
static void test_vertical_repeats_and_sessions(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    for (int k = 0; k < 5; k++)
        vertical(&r, OUTSIDE, SERVER, 10, TCP_SYN_RST, T0 + (uint64_t)k * 5 * SEC, 1000);
    vertical(&r, OUTSIDE, SERVER, 100, TCP_SESSION, T0 + 30 * SEC, 3000);
    vertical(&r, OUTSIDE, SERVER, 100, TCP_UNUSED, T0 + 40 * SEC, 5000);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* NULL and FIN probes are probes; bare ACKs (midstream traffic) and backscatter are not. */
static void test_stealth_probes(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 8, TCP_NULL_PROBE, T0, 2000);
    vertical(&r, OUTSIDE, SERVER, 7, TCP_FIN_PROBE, T0 + SEC, 3000);
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8101002), 1);
    json_decref(arr);

    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 40, TCP_BARE_ACK, T0, 3000);
    vertical(&r, OUTSIDE, SERVER, 40, TCP_SYNACK_ONLY, T0, 5000);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* Probes further apart than the window never add up; the window is a parameter. */
static void test_window(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    for (unsigned i = 0; i < 40; i++) {
        struct ot_flow f;
        tcp_flow(&r, &f, OUTSIDE, 50000, SERVER, (uint16_t)(1000 + i), T0 + i * 25 * SEC, SEC / 100,
                 TCP_SYN_RST);
        run_flow(&r, &f);
        ot_detect_tick(r.d, f.last_us);
    }
    json_t *arr = rig_close(&r); /* at most 12 ports in any 300 s */
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "scan");
    rig_set(&r, "detect.scan.window", "1000");
    rig_open(&r);
    for (unsigned i = 0; i < 40; i++) {
        struct ot_flow f;
        tcp_flow(&r, &f, OUTSIDE, 50000, SERVER, (uint16_t)(1000 + i), T0 + i * 25 * SEC, SEC / 100,
                 TCP_SYN_RST);
        run_flow(&r, &f);
        ot_detect_tick(r.d, f.last_us);
    }
    arr = rig_close(&r);
    /* ports 15 to 40, 25 s apart: a slow trickle is one line per window, not one per port */
    assert_int_equal(n_sid(arr, 8101002), 1);
    assert_int_equal(alert_int(json_array_get(arr, 0), "count"), 1);
    json_decref(arr);
}

/*
 * A scan that goes on raises again for every new target; the repeats merge,
 * so the line's count is the ports probed from the threshold on.  With the
 * clock ticking, max-hold cuts it into one line per 300 s.
 */
static void test_long_scan_merges(void **state)
{
    for (int ticking = 0; ticking <= 1; ticking++) {
        struct rig r;
        rig_init(&r, "scan");
        rig_set(&r, "detect.scan.window", "60");
        rig_open(&r);
        /* 600 ports, one a second, for ten minutes; each port probed twice */
        for (unsigned i = 0; i < 600; i++) {
            for (int again = 0; again < 2; again++) {
                struct ot_flow f;
                tcp_flow(&r, &f, OUTSIDE, 50000, SERVER, (uint16_t)(1000 + i),
                         T0 + i * SEC + (uint64_t)again * 1000, SEC / 100, TCP_SYN_RST);
                run_flow(&r, &f);
            }
            if (ticking)
                ot_detect_tick(r.d, T0 + i * SEC);
        }
        assert_int_equal(ot_detect_stats(r.d)->alerts_raised, 600 - 14);
        json_t *arr = rig_close(&r);
        assert_int_equal(json_array_size(arr), ticking ? 2 : 1);
        json_int_t sum = 0;
        size_t i;
        json_t *ev;
        json_array_foreach(arr, i, ev) sum += alert_int(ev, "count");
        assert_int_equal(sum, 600 - 14);
        json_decref(arr);
    }
}

static void test_horizontal_threshold(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    horizontal(&r, PC, 445, 24, TCP_SYN_SILENT, T0);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "scan");
    rig_open(&r);
    horizontal(&r, PC, 445, 25, TCP_SYN_SILENT, T0);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = get_sid(arr, 8101003);
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 2);
    assert_int_equal(alert_int(a, "count"), 1);
    assert_string_equal(top_str(a, "src_ip"), PC);
    assert_null(json_object_get(a, "dest_ip")); /* one source, many hosts */
    assert_int_equal(ev_int(a, "distinct_hosts"), 25);
    assert_int_equal(ev_int(a, "dest_port"), 445);
    assert_non_null(strstr(ev_str(a, "hosts"), "192.168.1.20,192.168.1.21"));
    json_decref(arr);

    rig_init(&r, "scan");
    rig_open(&r);
    horizontal(&r, OUTSIDE, 22, 25, TCP_SYN_RST, T0);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8101004), 1);
    assert_int_equal(alert_int(get_sid(arr, 8101004), "severity"), 3);
    json_decref(arr);
}

/*
 * A busy browser: 600 HTTPS connections to 60 servers in five minutes, 100
 * unused preconnections to distinct servers (closed with a FIN), a few
 * reset ones and a few dead servers.  Many hosts on one port, but it used
 * its connections: no alert.
 */
static void test_busy_web_client(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    for (unsigned i = 0; i < 600; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "203.0.113.%u", 10 + i % 60);
        struct ot_flow f;
        tcp_flow(&r, &f, PC, (uint16_t)(50000 + i), ip, 443, T0 + i * SEC / 2, 20 * SEC,
                 TCP_SESSION);
        run_flow(&r, &f);
    }
    for (unsigned i = 0; i < 100; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "198.51.%u.%u", 100 + i / 50, 100 + i % 50);
        struct ot_flow f;
        tcp_flow(&r, &f, PC, (uint16_t)(30000 + i), ip, 443, T0 + i * 3 * SEC, 10 * SEC,
                 i < 40 ? TCP_HALF_OPEN : TCP_UNUSED);
        run_flow(&r, &f);
    }
    for (unsigned i = 0; i < 4; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "198.51.100.%u", 200 + i);
        struct ot_flow f;
        tcp_flow(&r, &f, PC, (uint16_t)(20000 + i), ip, 443, T0 + i * 60 * SEC, 30 * SEC,
                 TCP_SYN_SILENT);
        run_flow(&r, &f);
    }
    json_t *arr = rig_close(&r); /* weight 40 * 1 + 60 * 0 + 4 * 2 = 48 < 2 * 25 */
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

static void test_udp_port_scan(void **state)
{
    struct rig r;
    for (unsigned n = 14; n <= 15; n++) {
        rig_init(&r, "scan");
        rig_open(&r);
        for (unsigned i = 0; i < n; i++) {
            struct ot_flow f;
            udp_flow(&r, &f, PC, 51234, SERVER, (uint16_t)(1000 + i), T0 + i * SEC / 20, 1, 0);
            run_flow(&r, &f);
        }
        json_t *arr = rig_close(&r);
        assert_int_equal(json_array_size(arr), n == 15);
        if (n == 15) {
            json_t *a = get_sid(arr, 8101005);
            assert_non_null(a);
            assert_int_equal(alert_int(a, "severity"), 2);
            assert_string_equal(top_str(a, "proto"), "UDP");
            assert_int_equal(ev_int(a, "distinct_ports"), 15);
        }
        json_decref(arr);
    }
}

/* Answered UDP, traceroute, one-way protocols, multicast and stray replies are not probes. */
static void test_udp_not_probes(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    struct ot_flow f;
    for (unsigned i = 0; i < 40; i++) {
        udp_flow(&r, &f, PC, 51234, SERVER, (uint16_t)(2000 + i), T0 + i * SEC / 20, 1, 1);
        run_flow(&r, &f); /* answered */
        udp_flow(&r, &f, PC, 51234, SERVER, (uint16_t)(33434 + i), T0 + i * SEC / 20, 3, 0);
        run_flow(&r, &f); /* traceroute */
        udp_flow(&r, &f, PC, 51234, SERVER, (uint16_t)(4000 + i), T0 + i * SEC / 20, 20, 0);
        run_flow(&r, &f); /* a one-way stream (or a one-sided capture) */
        udp_flow(&r, &f, SERVER, 53, PC, (uint16_t)(40000 + i), T0 + i * SEC / 20, 1, 0);
        run_flow(&r, &f); /* DNS replies whose queries were not captured */
        char ip[32];
        snprintf(ip, sizeof(ip), "239.1.2.%u", i);
        udp_flow(&r, &f, PC, 5000, ip, 5000, T0 + i * SEC / 20, 1, 0);
        run_flow(&r, &f); /* multicast */
        snprintf(ip, sizeof(ip), "192.168.%u.255", i);
        udp_flow(&r, &f, PC, 137, ip, 137, T0 + i * SEC / 20, 1, 0);
        run_flow(&r, &f); /* broadcast */
        host_ip(ip, sizeof(ip), i);
        udp_flow(&r, &f, PC, 514, ip, 514, T0 + i * SEC / 20, 1, 0);
        run_flow(&r, &f); /* syslog */
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

static void test_udp_sweep(void **state)
{
    struct rig r;
    for (unsigned n = 24; n <= 25; n++) {
        rig_init(&r, "scan");
        rig_open(&r);
        for (unsigned i = 0; i < n; i++) {
            char ip[32];
            host_ip(ip, sizeof(ip), i);
            struct ot_flow f;
            udp_flow(&r, &f, OUTSIDE, 40000, ip, 161, T0 + i * SEC / 10, 2, 0);
            run_flow(&r, &f);
        }
        json_t *arr = rig_close(&r);
        assert_int_equal(json_array_size(arr), n == 25);
        if (n == 25) {
            assert_int_equal(n_sid(arr, 8101008), 1);
            assert_int_equal(ev_int(get_sid(arr, 8101008), "dest_port"), 161);
        }
        json_decref(arr);
    }
}

static void test_ping_sweep(void **state)
{
    struct rig r;
    for (unsigned n = 24; n <= 25; n++) {
        rig_init(&r, "scan");
        rig_open(&r);
        for (unsigned i = 0; i < n; i++) {
            char ip[32];
            host_ip(ip, sizeof(ip), i);
            ping(&r, PC, ip, T0 + i * SEC / 10, false);
            ping(&r, PC, ip, T0 + i * SEC / 10 + 1000, false); /* the same host again */
        }
        json_t *arr = rig_close(&r);
        assert_int_equal(json_array_size(arr), n == 25);
        if (n == 25) {
            json_t *a = get_sid(arr, 8101009);
            assert_non_null(a);
            assert_int_equal(ev_int(a, "distinct_hosts"), 25);
            assert_string_equal(top_str(a, "proto"), "ICMP");
        }
        json_decref(arr);
    }
    /* Replies, broadcasts and multicast are no sweep; from outside it is low severity. */
    rig_init(&r, "scan");
    rig_open(&r);
    for (unsigned i = 0; i < 40; i++) {
        char ip[32];
        host_ip(ip, sizeof(ip), i);
        ping(&r, ip, PC, T0 + i * SEC / 10, true);
        snprintf(ip, sizeof(ip), "192.168.%u.255", i);
        ping(&r, PC, ip, T0 + i * SEC / 10, false);
        ping(&r, PC, "224.0.0.1", T0 + i * SEC / 10, false);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "scan");
    rig_set(&r, "detect.scan.ping-hosts", "5");
    rig_open(&r);
    for (unsigned i = 0; i < 5; i++) {
        char ip[32];
        host_ip(ip, sizeof(ip), i);
        ping(&r, OUTSIDE, ip, T0 + i * SEC, false);
    }
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8101010), 1);
    assert_int_equal(alert_int(get_sid(arr, 8101010), "severity"), 3);
    json_decref(arr);
}

static void test_ipv6(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, "2001:db8::77", "fd6f:7461:7375:1::10", 15, TCP_SYN_RST, T0, 1000);
    for (unsigned i = 0; i < 25; i++) {
        char ip[64];
        snprintf(ip, sizeof(ip), "fd6f:7461:7375:1::%x", 0x100 + i);
        ping(&r, "fd6f:7461:7375:1::66", ip, T0 + i * SEC / 10, false);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8101002), 1);
    assert_string_equal(top_str(get_sid(arr, 8101002), "dest_ip"), "fd6f:7461:7375:1::10");
    assert_int_equal(n_sid(arr, 8101009), 1);
    assert_string_equal(top_str(get_sid(arr, 8101009), "proto"), "IPv6-ICMP");
    json_decref(arr);
}

/* A full table evicts its oldest entry and counts it; detection still works. */
static void test_table_bound(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_set(&r, "detect.scan.max-entries", "64");
    rig_open(&r);
    for (unsigned i = 0; i < 500; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "203.0.%u.%u", 113 + i / 250, i % 250);
        struct ot_flow f;
        tcp_flow(&r, &f, ip, 40000, SERVER, 23, T0 + i * SEC / 100, SEC / 100, TCP_SYN_RST);
        run_flow(&r, &f);
    }
    assert_true(table_full(&r, "scan") > 0);
    vertical(&r, OUTSIDE, SERVER, 15, TCP_SYN_RST, T0 + 10 * SEC, 1000);
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8101002), 1);
    json_decref(arr);
}

/* Idle entries expire on the tick: a scan resumed much later starts from zero. */
static void test_expiry(void **state)
{
    struct rig r;
    rig_init(&r, "scan");
    rig_open(&r);
    vertical(&r, OUTSIDE, SERVER, 10, TCP_SYN_RST, T0, 1000);
    ot_detect_tick(r.d, T0 + 3600 * SEC);
    vertical(&r, OUTSIDE, SERVER, 10, TCP_SYN_RST, T0 + 3600 * SEC, 2000);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vertical_threshold),
        cmocka_unit_test(test_vertical_inside),
        cmocka_unit_test(test_vertical_weights),
        cmocka_unit_test(test_vertical_repeats_and_sessions),
        cmocka_unit_test(test_stealth_probes),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_long_scan_merges),
        cmocka_unit_test(test_horizontal_threshold),
        cmocka_unit_test(test_busy_web_client),
        cmocka_unit_test(test_udp_port_scan),
        cmocka_unit_test(test_udp_not_probes),
        cmocka_unit_test(test_udp_sweep),
        cmocka_unit_test(test_ping_sweep),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_table_bound),
        cmocka_unit_test(test_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
