/*
 * beacon detector: regular check-ins around the connection-count
 * threshold, jitter, a missed check-in, min-span and the interval bounds,
 * realert, and the look-alikes that must stay quiet (irregular use,
 * unanswered retries, NTP and DNS polling, inside-to-inside and inbound
 * traffic, connection bursts), plus the table bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "content-rig.h"

#define C2 "203.0.113.50"

/* One answered HTTPS check-in from SRC to DST:PORT at T. */
static void checkin(struct rig *r, const char *src, const char *dst, uint16_t port, uint64_t t,
                    enum tcp_shape shape, unsigned i)
{
    struct ot_flow f;
    tcp_flow(r, &f, src, (uint16_t)(49152 + i % 16000), dst, port, t, 2 * SEC, shape);
    run_flow(r, &f);
}

/* Deterministic jitter in [-J, +J] microseconds for check-in I. */
static int64_t jitter(unsigned i, int64_t j)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * (i + 7);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return j ? (int64_t)(x % (uint64_t)(2 * j + 1)) - j : 0;
}

/* N check-ins every PERIOD seconds with +-J us of jitter. */
static json_t *run_periodic(unsigned n, uint64_t period_s, int64_t j, const char *key,
                            const char *val)
{
    struct rig r;
    rig_init(&r, "beacon");
    if (key)
        rig_set(&r, key, val);
    rig_open(&r);
    for (unsigned i = 0; i < n; i++)
        checkin(&r, PC, C2, 443, T0 + i * period_s * SEC + jitter(i, j), TCP_SESSION, i);
    return rig_close(&r);
}

static void test_threshold(void **state)
{
    json_t *arr = run_periodic(7, 60, 1500000, NULL, NULL);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    arr = run_periodic(8, 60, 1500000, NULL, NULL);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8107001);
    assert_non_null(ev);
    assert_int_equal(alert_int(ev, "severity"), 2);
    assert_int_equal(alert_int(ev, "count"), 1);
    assert_string_equal(json_string_value(json_object_get(alert_of(ev), "category")), "beacon");
    assert_string_equal(top_str(ev, "src_ip"), PC);
    assert_string_equal(top_str(ev, "dest_ip"), C2);
    assert_int_equal(json_integer_value(json_object_get(ev, "dest_port")), 443);
    assert_int_equal(ev_int(ev, "checkins"), 8);
    assert_true(ev_int(ev, "interval_median_ms") > 57000 &&
                ev_int(ev, "interval_median_ms") < 63000);
    assert_true(ev_int(ev, "jitter_permille") <= 100);
    assert_true(ev_int(ev, "span_s") >= 400);
    json_decref(arr);
    /*
     * An hour of it: raised once; 100 minutes: raised again after realert
     * (3600 s), which the engine merges (no ticks here) into a count of 2.
     */
    arr = run_periodic(60, 60, 1500000, NULL, NULL);
    assert_int_equal(n_sid(arr, 8107001), 1);
    assert_int_equal(alert_int(json_array_get(arr, 0), "count"), 1);
    json_decref(arr);
    arr = run_periodic(100, 60, 1500000, NULL, NULL);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(alert_int(json_array_get(arr, 0), "count"), 2);
    json_decref(arr);
    /* The count is a parameter. */
    arr = run_periodic(5, 120, 0, "detect.beacon.connections", "6");
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    arr = run_periodic(6, 120, 0, "detect.beacon.connections", "6");
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
}

static void test_jitter(void **state)
{
    /* +-5 s on 60 s: MAD about 2.5 s, 4 %: still a beacon. */
    json_t *arr = run_periodic(12, 60, 5 * 1000000, NULL, NULL);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
    /* +-25 s on 60 s: not regular enough at the default 10 %. */
    arr = run_periodic(30, 60, 25 * 1000000, NULL, NULL);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    /* ... but with max-jitter 50 it is. */
    arr = run_periodic(30, 60, 25 * 1000000, "detect.beacon.max-jitter", "50");
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
}

/* One check-in missed (a 120 s gap) among eight: still a beacon. */
static void test_missed_checkin(void **state)
{
    struct rig r;
    rig_init(&r, "beacon");
    rig_open(&r);
    static const unsigned slots[] = {0, 1, 2, 4, 5, 6, 7, 8};
    for (unsigned i = 0; i < 8; i++)
        checkin(&r, PC, C2, 443, T0 + slots[i] * 60 * SEC, TCP_SESSION, i);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
}

/* Irregular use of one server: no alert however long it goes on. */
static void test_irregular(void **state)
{
    struct rig r;
    rig_init(&r, "beacon");
    rig_open(&r);
    uint64_t t = T0;
    for (unsigned i = 0; i < 200; i++) {
        checkin(&r, PC, C2, 443, t, TCP_SESSION, i);
        t += (15 + (uint64_t)(jitter(i, 112) + 112)) * SEC;
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* Bounds: too fast, too slow, too short a span. */
static void test_bounds(void **state)
{
    /* every 20 s: span of 8 check-ins is 140 s < min-span 300 */
    json_t *arr = run_periodic(100, 20, 0, NULL, NULL);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    /* every 5 s: every other start folds into the one before (min-interval 10 s), so
     * the series is every 10 s and 8 check-ins never span 300 s */
    arr = run_periodic(400, 5, 0, NULL, NULL);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    /* every 2 h: beyond max-interval 3600 */
    arr = run_periodic(12, 7200, 0, NULL, NULL);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    /* every 30 min: within */
    arr = run_periodic(8, 1800, 0, NULL, NULL);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
}

/* Look-alikes and what is out of scope. */
static void test_benign(void **state)
{
    struct rig r;
    rig_init(&r, "beacon");
    rig_open(&r);
    for (unsigned i = 0; i < 30; i++) {
        uint64_t t = T0 + i * 60 * SEC;
        /* a dead peer retried every minute: never answered */
        checkin(&r, PC, "198.51.100.9", 6346, t, TCP_SYN_SILENT, i);
        checkin(&r, PC, "198.51.100.10", 8080, t, TCP_SYN_RST, i);
        /* NTP and DNS to outside servers */
        struct ot_flow f;
        udp_flow(&r, &f, PC, (uint16_t)(50000 + i), "203.0.113.123", 123, t, 1, 1);
        run_flow(&r, &f);
        udp_flow(&r, &f, PC, (uint16_t)(51000 + i), "8.8.8.8", 53, t, 1, 1);
        run_flow(&r, &f);
        /* POP3 polling */
        checkin(&r, PC, "203.0.113.25", 995, t, TCP_SESSION, i);
        /* inside to inside, and outside to inside */
        checkin(&r, PC, "192.168.1.10", 445, t, TCP_SESSION, i);
        checkin(&r, "198.51.100.77", "192.168.1.10", 443, t, TCP_SESSION, i);
        /* a UDP datagram nobody answers, to a multicast group */
        udp_flow(&r, &f, PC, 40000, "198.51.100.11", 40000, t, 1, 0);
        run_flow(&r, &f);
        udp_flow(&r, &f, PC, 1900, "239.255.255.250", 1901, t, 1, 1);
        run_flow(&r, &f);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* UDP check-ins that are answered count like TCP ones. */
static void test_udp(void **state)
{
    struct rig r;
    rig_init(&r, "beacon");
    rig_open(&r);
    for (unsigned i = 0; i < 8; i++) {
        struct ot_flow f;
        udp_flow(&r, &f, PC, (uint16_t)(50000 + i), C2, 4444, T0 + i * 60 * SEC, 1, 1);
        run_flow(&r, &f);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
}

/* Flows that end out of order are put back in order. */
static void test_out_of_order(void **state)
{
    struct rig r;
    rig_init(&r, "beacon");
    rig_open(&r);
    static const unsigned order[] = {1, 0, 2, 4, 3, 5, 7, 6};
    for (unsigned i = 0; i < 8; i++)
        checkin(&r, PC, C2, 443, T0 + order[i] * 60 * SEC, TCP_SESSION, i);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
}

static void test_table_bound(void **state)
{
    struct rig r;
    rig_init(&r, "beacon");
    rig_set(&r, "detect.beacon.table-size", "64");
    rig_open(&r);
    for (unsigned i = 0; i < 3000; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "203.0.%u.%u", 113 + i / 250, i % 250);
        checkin(&r, PC, ip, 443, T0 + i * SEC / 10, TCP_SESSION, i);
    }
    assert_true(table_full(&r, "beacon") > 0);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_missed_checkin),
        cmocka_unit_test(test_irregular),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_benign),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_table_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
