/*
 * The ioc detector and the engine's merge key: repeats of one indicator
 * between two hosts are one alert with a count; a different indicator
 * between the same hosts is another alert with its own evidence (the bug
 * of issue 3: it used to only add to the first one's count).  Also the
 * merge key itself (ot_alert_key): case-insensitive, order-sensitive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>

#include "detect/detect.h"
#include "flow/flow.h"
#include "indicators/indicators.h"
#include "otasuke/error.h"
#include "output/eve.h"

#define SEC 1000000ull
#define T0  (1770026400ull * SEC)

static char path[64];

static int setup(void **state)
{
    snprintf(path, sizeof(path), "/tmp/ot-detect-ioc-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    return unlink(path);
}

struct rig {
    struct ot_eve eve;
    struct ot_detect *d;
    struct ot_ioc_set *set;
};

static const char feed[] = "# test feed\n"
                           "evil.example\n"
                           "bad.example\n"
                           "203.0.113.66\n"
                           "198.51.100.0/24\n";

static void rig_open(struct rig *r)
{
    struct ot_detect_conf c;
    ot_detect_conf_defaults(&c);
    struct ot_eve_config ec;
    ot_eve_config_defaults(&ec);
    ec.path = path;
    ec.sensor_id = "t";
    assert_int_equal(truncate(path, 0), 0);
    assert_int_equal(ot_eve_open(&r->eve, &ec), 0);
    assert_int_equal(ot_detect_new(&c, &r->eve, &r->d), 0);
    assert_int_equal(ot_ioc_set_new(&r->set, 100), 0);
    struct ot_ioc_load_stats ls;
    assert_int_equal(ot_ioc_load_buffer(r->set, "feed.txt", feed, strlen(feed), NULL, &ls), 0);
    assert_int_equal(ls.loaded, 4);
    assert_int_equal(ot_ioc_set_finalize(r->set), 0);
    ot_detect_set_userdata(r->d, "indicators", r->set);
}

/* Finish and close; returns the alert lines as a JSON array. */
static json_t *rig_close(struct rig *r)
{
    ot_detect_finish(r->d);
    ot_detect_free(r->d);
    ot_ioc_set_free(r->set);
    assert_int_equal(ot_eve_close(&r->eve), 0);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    json_t *arr = json_array();
    char line[16384];
    while (fgets(line, sizeof(line), fp)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        assert_non_null(j);
        json_array_append_new(arr, j);
    }
    fclose(fp);
    return arr;
}

static void flow_v4(struct ot_flow *f, const char *cli, const char *srv, uint16_t dport,
                    uint8_t proto)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(inet_pton(AF_INET, cli, f->cli.u.b), 1);
    assert_int_equal(inet_pton(AF_INET, srv, f->srv.u.b), 1);
    f->cli_port = 40000;
    f->srv_port = dport;
    f->ip_proto = proto;
    f->flow_id = 5;
}

static void query(struct ot_detect *d, const struct ot_flow *f, const char *name, uint64_t ts)
{
    struct ot_obs o = {.kind = OT_OBS_DNS_QUERY, .ts_us = ts};
    o.u.dns.qname = ot_str_make(name, strlen(name));
    o.u.dns.qtype = 1;
    ot_detect_observe(d, f, &o);
}

static const char *ev_str(json_t *alert_ev, const char *key)
{
    json_t *ev = json_object_get(json_object_get(alert_ev, "alert"), "evidence");
    return json_string_value(json_object_get(ev, key));
}

static json_int_t count_of(json_t *alert_ev)
{
    return json_integer_value(json_object_get(json_object_get(alert_ev, "alert"), "count"));
}

/* Find the line whose evidence.indicator is `ind`, or NULL. */
static json_t *by_indicator(json_t *arr, const char *ind)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *v = ev_str(json_array_get(arr, i), "indicator");
        if (v && strcmp(v, ind) == 0)
            return json_array_get(arr, i);
    }
    return NULL;
}

/* Two listed domains asked by one host of one resolver: two lines, each with its evidence. */
static void test_two_indicators_two_alerts(void **state)
{
    struct rig r;
    rig_open(&r);
    struct ot_flow f;
    flow_v4(&f, "192.168.1.5", "192.168.1.1", 53, 17);
    query(r.d, &f, "evil.example", T0);
    query(r.d, &f, "www.evil.example", T0 + SEC); /* same indicator: merges */
    query(r.d, &f, "EVIL.example", T0 + 2 * SEC); /* same, other case: merges */
    query(r.d, &f, "bad.example", T0 + 3 * SEC);  /* another indicator: its own line */
    const struct ot_detect_stats *st = ot_detect_stats(r.d);
    assert_int_equal(st->alerts_raised, 4);
    assert_int_equal(st->alerts_merged, 2);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    json_t *evil = by_indicator(arr, "evil.example"), *bad = by_indicator(arr, "bad.example");
    assert_non_null(evil);
    assert_non_null(bad);
    assert_int_equal(count_of(evil), 3);
    assert_int_equal(count_of(bad), 1);
    assert_string_equal(ev_str(evil, "seen"), "evil.example"); /* the first one's evidence */
    assert_string_equal(ev_str(bad, "seen"), "bad.example");
    json_decref(arr);
}

/* Both ends of a flow listed (an address and a network): two lines, not one with count 2. */
static void test_both_ends_listed(void **state)
{
    struct rig r;
    rig_open(&r);
    struct ot_flow f;
    flow_v4(&f, "198.51.100.9", "203.0.113.66", 443, 6);
    struct ot_packet p;
    memset(&p, 0, sizeof(p));
    p.ts_us = T0;
    ot_detect_flow_start(r.d, &f, &p);
    p.ts_us = T0 + SEC;
    ot_detect_flow_start(r.d, &f, &p); /* the same again: both merge */
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    json_t *a = by_indicator(arr, "203.0.113.66"), *b = by_indicator(arr, "198.51.100.0/24");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(count_of(a), 2);
    assert_int_equal(count_of(b), 2);
    assert_string_equal(ev_str(a, "matched"), "dest_ip");
    assert_string_equal(ev_str(b, "matched"), "src_ip");
    json_decref(arr);
}

/* Fragments that were never reassembled: their listed address alerts without a flow. */
static void test_lost_datagram(void **state)
{
    struct rig r;
    rig_open(&r);
    struct ot_lost_datagram g;
    memset(&g, 0, sizeof(g));
    assert_int_equal(inet_pton(AF_INET, "192.168.1.5", g.src.u.b), 1);
    assert_int_equal(inet_pton(AF_INET, "203.0.113.66", g.dst.u.b), 1);
    g.ip_proto = 6;
    g.first_us = T0;
    ot_detect_datagram(r.d, &g);
    /* An unlisted pair: nothing. */
    assert_int_equal(inet_pton(AF_INET, "203.0.113.67", g.dst.u.b), 1);
    ot_detect_datagram(r.d, &g);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = by_indicator(arr, "203.0.113.66");
    assert_non_null(a);
    assert_string_equal(ev_str(a, "matched"), "dest_ip");
    assert_string_equal(json_string_value(json_object_get(a, "dest_ip")), "203.0.113.66");
    assert_string_equal(json_string_value(json_object_get(a, "proto")), "TCP");
    assert_null(json_object_get(a, "flow_id"));
    assert_null(json_object_get(a, "dest_port"));
    json_t *ev = json_object_get(json_object_get(a, "alert"), "evidence");
    assert_true(json_is_true(json_object_get(ev, "fragments_not_reassembled")));
    json_decref(arr);
}

static const struct ot_signature test_sig = {8199999, "test", 3, "T0000"};
extern const struct ot_detector ot_detector_ioc;

/* The merge key: equal keys merge, ASCII case is folded, and the pieces' boundaries count. */
/*
 * HTTP: the Host header without its port is matched; a request without a
 * Host header (HTTP/1.0) is looked at without one (it used to pass a NULL
 * host to memchr(), which UBSan reports).
 */
static void test_http_host(void **state)
{
    struct rig r;
    rig_open(&r);
    struct ot_flow f;
    flow_v4(&f, "192.168.1.5", "192.0.2.80", 80, 6);
    struct ot_obs o;
    memset(&o, 0, sizeof(o));
    o.kind = OT_OBS_HTTP;
    o.ts_us = T0;
    o.u.http.uri = ot_str_make("/index.html", 11);
    ot_detect_observe(r.d, &f, &o); /* no Host */
    o.u.http.host = ot_str_make("www.bad.example:8080", 20);
    ot_detect_observe(r.d, &f, &o);
    o.u.http.host = ot_str_make("notbad.example", 14);
    ot_detect_observe(r.d, &f, &o);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = by_indicator(arr, "bad.example");
    assert_non_null(a);
    assert_string_equal(ev_str(a, "seen"), "www.bad.example"); /* without its port */
    json_decref(arr);
}

static void test_alert_key(void **state)
{
    struct rig r;
    rig_open(&r);
    struct ot_addr a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.u.b[0] = 10, a.u.b[3] = 1;
    b.u.b[0] = 10, b.u.b[3] = 2;
    static const char *const keys[][2] = {
        {"ab", "c"},  {"AB", "c"}, /* merges with the first */
        {"a", "bc"},               /* another */
        {NULL, NULL},              /* no key: another */
        {NULL, NULL},              /* merges with the previous */
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct ot_alert al;
        ot_alert_init_addrs(&al, &test_sig, T0 + i, &a, &b, false, 6, 1, 2);
        for (size_t k = 0; k < 2 && keys[i][k]; k++)
            ot_alert_key(&al, keys[i][k], strlen(keys[i][k]));
        assert_true(keys[i][0] == NULL ? al.key_extra == 0 : al.key_extra != 0);
        ot_detect_alert(r.d, &ot_detector_ioc, &al);
    }
    assert_int_equal(ot_detect_stats(r.d)->alerts_merged, 2);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 3);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_indicators_two_alerts),
        cmocka_unit_test(test_both_ends_listed),
        cmocka_unit_test(test_lost_datagram),
        cmocka_unit_test(test_http_host),
        cmocka_unit_test(test_alert_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
