/*
 * The detection engine: configuration keys, home networks, merging of
 * repeated alerts (count, quiet time, maximum hold, full table), the
 * allowlist filter, and the alert's fields.  Alerts come from the
 * cleartext-credentials detector, driven with login observations.
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
#include "otasuke/error.h"
#include "output/eve.h"

#define SEC 1000000ull
#define T0 (1770026400ull * SEC)

static char path[64];

static int setup(void **state)
{
    snprintf(path, sizeof(path), "/tmp/ot-detect-XXXXXX");
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
    struct ot_detect_conf conf;
};

static void rig_open(struct rig *r)
{
    /* Only the cleartext detector: repeated failed logins would also be brute force. */
    char why[64];
    assert_int_equal(
        ot_detect_conf_set(&r->conf, "detect.bruteforce.enabled", "no", why, sizeof(why)), 0);
    struct ot_eve_config ec;
    ot_eve_config_defaults(&ec);
    ec.path = path;
    ec.sensor_id = "t";
    assert_int_equal(truncate(path, 0), 0);
    assert_int_equal(ot_eve_open(&r->eve, &ec), 0);
    assert_int_equal(ot_detect_new(&r->conf, &r->eve, &r->d), 0);
}

/* Close everything; returns the alerts written, as a JSON array. */
static json_t *rig_close(struct rig *r, bool finish)
{
    if (finish)
        ot_detect_finish(r->d);
    ot_detect_free(r->d);
    assert_int_equal(ot_eve_close(&r->eve), 0);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    json_t *arr = json_array();
    char line[16384];
    while (fgets(line, sizeof(line), fp)) {
        json_error_t err;
        json_t *j = json_loads(line, JSON_ALLOW_NUL, &err);
        assert_non_null(j);
        json_array_append_new(arr, j);
    }
    fclose(fp);
    return arr;
}

static void flow_v4(struct ot_flow *f, const char *cli, const char *srv, uint16_t dport)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(inet_pton(AF_INET, cli, f->cli.u.b), 1);
    assert_int_equal(inet_pton(AF_INET, srv, f->srv.u.b), 1);
    f->cli_port = 40000;
    f->srv_port = dport;
    f->ip_proto = 6;
    f->flow_id = 77;
    strcpy(f->community_id, "1:test");
}

static void login(struct ot_detect *d, const struct ot_flow *f, const char *proto, const char *user,
                  bool clear, uint64_t ts)
{
    struct ot_obs o = {.kind = OT_OBS_LOGIN, .ts_us = ts};
    o.u.login.proto = proto;
    o.u.login.user = ot_str_make(user, strlen(user));
    o.u.login.password_in_clear = clear;
    o.u.login.result = OT_OBS_LOGIN_FAILURE;
    ot_detect_observe(d, f, &o);
}

static void test_conf_keys(void **state)
{
    struct ot_detect_conf c;
    ot_detect_conf_defaults(&c);
    char why[256];
    assert_true(c.enabled);
    assert_int_equal(c.n_home, 4);
    assert_int_equal(ot_detect_conf_set(&c, "home-net", "10.1.0.0/16, 2001:db8::/32", why,
                                        sizeof(why)),
                     0);
    assert_int_equal(c.n_home, 2);
    assert_int_equal(ot_detect_conf_set(&c, "home-net", "10.1.0.0/33", why, sizeof(why)),
                     OT_EINVAL);
    assert_non_null(strstr(why, "10.1.0.0/33"));
    assert_int_equal(c.n_home, 2); /* a bad list changes nothing */
    assert_int_equal(ot_detect_conf_set(&c, "home-net", "bogus", why, sizeof(why)), OT_EINVAL);
    assert_int_equal(ot_detect_conf_set(&c, "detect.alert.quiet", "5", why, sizeof(why)), 0);
    assert_int_equal(c.alert_quiet_s, 5);
    assert_int_equal(ot_detect_conf_set(&c, "detect.alert.quiet", "0", why, sizeof(why)),
                     OT_EINVAL);
    assert_int_equal(ot_detect_conf_set(&c, "detect.cleartext.enabled", "no", why, sizeof(why)),
                     0);
    assert_int_equal(ot_detect_conf_set(&c, "detect.cleartext.enabled", "maybe", why,
                                        sizeof(why)),
                     OT_EINVAL);
    assert_int_equal(ot_detect_conf_set(&c, "detect.nosuch.enabled", "no", why, sizeof(why)),
                     OT_ENOENT);
    assert_int_equal(ot_detect_conf_set(&c, "flow.max-flows", "1", why, sizeof(why)), OT_ENOENT);
    assert_int_equal(ot_detect_conf_set(&c, "detect", "no", why, sizeof(why)), 0);
    assert_false(c.enabled);
}

static void test_home_net(void **state)
{
    struct rig r;
    ot_detect_conf_defaults(&r.conf);
    char why[128];
    assert_int_equal(ot_detect_parse_home_net(&r.conf, "192.168.1.0/24,fd00::/8,10.0.0.1",
                                              why, sizeof(why)),
                     0);
    rig_open(&r);
    struct ot_addr a;
    memset(&a, 0, sizeof(a));
    inet_pton(AF_INET, "192.168.1.200", a.u.b);
    assert_true(ot_detect_is_home(r.d, &a, false));
    assert_false(ot_detect_is_home(r.d, &a, true)); /* same bytes, other family */
    inet_pton(AF_INET, "192.168.2.1", a.u.b);
    assert_false(ot_detect_is_home(r.d, &a, false));
    inet_pton(AF_INET, "10.0.0.1", a.u.b);
    assert_true(ot_detect_is_home(r.d, &a, false));
    inet_pton(AF_INET, "10.0.0.2", a.u.b);
    assert_false(ot_detect_is_home(r.d, &a, false));
    memset(&a, 0, sizeof(a));
    inet_pton(AF_INET6, "fd12::1", a.u.b);
    assert_true(ot_detect_is_home(r.d, &a, true));
    inet_pton(AF_INET6, "fe80::1", a.u.b);
    assert_false(ot_detect_is_home(r.d, &a, true));
    json_decref(rig_close(&r, true));
}

/* Ten repeats between the same hosts: one line, count 10, first/last seen. */
static void test_merge_repeats(void **state)
{
    struct rig r;
    ot_detect_conf_defaults(&r.conf);
    rig_open(&r);
    struct ot_flow f;
    flow_v4(&f, "192.168.1.5", "198.51.100.7", 21);
    for (int i = 0; i < 10; i++)
        login(r.d, &f, "ftp", "alice", true, T0 + (uint64_t)i * SEC);
    const struct ot_detect_stats *st = ot_detect_stats(r.d);
    assert_int_equal(st->alerts_raised, 10);
    assert_int_equal(st->alerts_merged, 9);
    json_t *arr = rig_close(&r, true);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(a, "event_type")), "alert");
    assert_string_equal(json_string_value(json_object_get(a, "src_ip")), "192.168.1.5");
    assert_string_equal(json_string_value(json_object_get(a, "dest_ip")), "198.51.100.7");
    assert_int_equal(json_integer_value(json_object_get(a, "dest_port")), 21);
    assert_int_equal(json_integer_value(json_object_get(a, "flow_id")), 77);
    assert_string_equal(json_string_value(json_object_get(a, "community_id")), "1:test");
    json_t *al = json_object_get(a, "alert");
    assert_int_equal(json_integer_value(json_object_get(al, "signature_id")), 8104001);
    assert_string_equal(json_string_value(json_object_get(al, "category")),
                        "cleartext-credentials");
    assert_int_equal(json_integer_value(json_object_get(al, "severity")), 2);
    assert_int_equal(json_integer_value(json_object_get(al, "count")), 10);
    assert_string_equal(json_string_value(json_object_get(al, "first_seen")),
                        "2026-02-02T10:00:00.000000+0000");
    assert_string_equal(json_string_value(json_object_get(al, "last_seen")),
                        "2026-02-02T10:00:09.000000+0000");
    json_t *mitre = json_object_get(json_object_get(al, "metadata"), "mitre_technique_id");
    assert_int_equal(json_array_size(mitre), 2);
    assert_string_equal(json_string_value(json_array_get(mitre, 0)), "T1040");
    json_t *ev = json_object_get(al, "evidence");
    assert_string_equal(json_string_value(json_object_get(ev, "user")), "alice");
    json_decref(arr);
}

/* Other endpoints or another signature are other alerts. */
static void test_distinct_keys(void **state)
{
    struct rig r;
    ot_detect_conf_defaults(&r.conf);
    rig_open(&r);
    struct ot_flow f1, f2;
    flow_v4(&f1, "192.168.1.5", "198.51.100.7", 21);
    flow_v4(&f2, "192.168.1.6", "198.51.100.7", 21);
    login(r.d, &f1, "ftp", "a", true, T0);
    login(r.d, &f2, "ftp", "a", true, T0);
    login(r.d, &f1, "pop3", "a", true, T0);
    login(r.d, &f1, "ftp", "a", false, T0); /* user only: another signature */
    json_t *arr = rig_close(&r, true);
    assert_int_equal(json_array_size(arr), 4);
    json_decref(arr);
}

/* A pending alert is written after `quiet` seconds without repeats, or after max-hold. */
static void test_quiet_and_hold(void **state)
{
    struct rig r;
    ot_detect_conf_defaults(&r.conf);
    r.conf.alert_quiet_s = 30;
    r.conf.alert_max_hold_s = 100;
    rig_open(&r);
    struct ot_flow f;
    flow_v4(&f, "192.168.1.5", "198.51.100.7", 110);
    login(r.d, &f, "pop3", "bob", true, T0);
    ot_detect_tick(r.d, T0 + 29 * SEC);
    assert_int_equal(ot_detect_stats(r.d)->alerts_written, 0);
    ot_detect_tick(r.d, T0 + 30 * SEC);
    assert_int_equal(ot_detect_stats(r.d)->alerts_written, 1);
    /* A steady repeat every 10 s never goes quiet: max-hold writes it. */
    for (int i = 0; i <= 12; i++) {
        uint64_t t = T0 + 40 * SEC + (uint64_t)i * 10 * SEC;
        login(r.d, &f, "pop3", "bob", true, t);
        ot_detect_tick(r.d, t);
    }
    assert_int_equal(ot_detect_stats(r.d)->alerts_written, 2);
    json_t *arr = rig_close(&r, true);
    assert_int_equal(json_array_size(arr), 3);
    json_t *second = json_object_get(json_array_get(arr, 1), "alert");
    assert_int_equal(json_integer_value(json_object_get(second, "count")), 11);
    json_decref(arr);
}

/* When the pending table is full the oldest alert is written early and counted. */
static void test_pending_full(void **state)
{
    struct rig r;
    ot_detect_conf_defaults(&r.conf);
    r.conf.alert_max_pending = 16;
    rig_open(&r);
    for (int i = 0; i < 20; i++) {
        struct ot_flow f;
        char ip[32];
        snprintf(ip, sizeof(ip), "192.168.1.%d", 10 + i);
        flow_v4(&f, ip, "198.51.100.7", 23);
        login(r.d, &f, "telnet", "root", true, T0 + (uint64_t)i);
    }
    assert_int_equal(ot_detect_stats(r.d)->pending_full, 4);
    assert_int_equal(ot_detect_stats(r.d)->alerts_written, 4);
    json_t *arr = rig_close(&r, true);
    assert_int_equal(json_array_size(arr), 20);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "src_ip")),
                        "192.168.1.10");
    json_decref(arr);
}

static bool suppress_sid(void *ctx, uint32_t sid, const struct ot_addr *addrs, const bool *v6,
                         size_t n_addrs, const struct ot_str *names, size_t n_names)
{
    (void)addrs;
    (void)v6;
    (void)n_addrs;
    (void)names;
    (void)n_names;
    return sid == *(uint32_t *)ctx;
}

static void test_filter(void **state)
{
    struct rig r;
    ot_detect_conf_defaults(&r.conf);
    rig_open(&r);
    uint32_t sid = 8104002;
    struct ot_detect_filter flt = {.ctx = &sid, .suppress = suppress_sid};
    ot_detect_set_filter(r.d, &flt);
    struct ot_flow f;
    flow_v4(&f, "192.168.1.5", "198.51.100.7", 23);
    login(r.d, &f, "telnet", "root", true, T0);
    login(r.d, &f, "ftp", "root", true, T0);
    assert_int_equal(ot_detect_stats(r.d)->alerts_allowlisted, 1);
    json_t *arr = rig_close(&r, true);
    assert_int_equal(json_array_size(arr), 1);
    json_decref(arr);
}

/* A disabled detector raises nothing. */
static void test_disabled(void **state)
{
    struct rig r;
    ot_detect_conf_defaults(&r.conf);
    char why[64];
    assert_int_equal(
        ot_detect_conf_set(&r.conf, "detect.cleartext.enabled", "no", why, sizeof(why)), 0);
    rig_open(&r);
    struct ot_flow f;
    flow_v4(&f, "192.168.1.5", "198.51.100.7", 23);
    login(r.d, &f, "telnet", "root", true, T0);
    json_t *arr = rig_close(&r, true);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* Anonymous FTP is not a credential. */
static void test_anonymous_ftp(void **state)
{
    struct rig r;
    ot_detect_conf_defaults(&r.conf);
    rig_open(&r);
    struct ot_flow f;
    flow_v4(&f, "192.168.1.5", "198.51.100.7", 21);
    login(r.d, &f, "ftp", "anonymous", true, T0);
    login(r.d, &f, "ftp", "FTP", true, T0);
    json_t *arr = rig_close(&r, true);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_keys),
        cmocka_unit_test(test_home_net),
        cmocka_unit_test(test_merge_repeats),
        cmocka_unit_test(test_distinct_keys),
        cmocka_unit_test(test_quiet_and_hold),
        cmocka_unit_test(test_pending_full),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_anonymous_ftp),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
