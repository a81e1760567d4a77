/*
 * dns-tunnel detector: encoded subdomain names, large TXT answers and
 * name volume around each threshold, the window, realert, and the
 * look-alikes that must stay quiet (CDN and video names, browsing, reverse
 * lookups, mDNS and DNS-SD, DNS blocklists, addresses in names), plus the
 * table bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "content-rig.h"

/* Deterministic hex of I (LEN digits, LEN <= 64), varied so names are distinct. */
static void hexname(char *out, size_t cap, unsigned i, const char *suffix)
{
    static const char d[] = "0123456789abcdef";
    char h1[40], h2[16];
    uint64_t x = 0x9e3779b97f4a7c15ull * (i + 1);
    for (int k = 0; k < 32; k++) {
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        h1[k] = d[(x >> 40) & 15];
    }
    h1[32] = '\0';
    for (int k = 0; k < 12; k++) {
        x ^= x >> 31;
        x *= 0x94d049bb133111ebull;
        h2[k] = d[(x >> 40) & 15];
    }
    h2[12] = '\0';
    snprintf(out, cap, "%s.%s.%s", h1, h2, suffix);
}

/* N encoded TXT queries from PC under SUFFIX, 500 ms apart from T. */
static void tunnel(struct rig *r, unsigned n, const char *suffix, uint64_t t, unsigned first)
{
    struct ot_flow f;
    dns_flow(r, &f, PC, 0, t);
    for (unsigned i = 0; i < n; i++) {
        char name[128];
        hexname(name, sizeof(name), first + i, suffix);
        dns_query(r, &f, name, 16, t + i * SEC / 2);
    }
}

static json_t *run_tunnel(unsigned n, const char *key, const char *val)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    if (key)
        rig_set(&r, key, val);
    rig_open(&r);
    tunnel(&r, n, "t.example.net", T0, 0);
    return rig_close(&r);
}

static void test_encoded_threshold(void **state)
{
    json_t *arr = run_tunnel(39, NULL, NULL);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    arr = run_tunnel(40, NULL, NULL);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8105001);
    assert_non_null(ev);
    assert_int_equal(alert_int(ev, "severity"), 1);
    assert_int_equal(alert_int(ev, "count"), 1);
    assert_string_equal(json_string_value(json_object_get(alert_of(ev), "category")), "dns-tunnel");
    assert_string_equal(ev_str(ev, "domain"), "example.net");
    assert_int_equal(ev_int(ev, "encoded_names"), 40);
    assert_int_equal(ev_int(ev, "distinct_names"), 40);
    assert_true(ev_int(ev, "encoded_name_bytes") >= 40 * 46);
    assert_string_equal(top_str(ev, "src_ip"), PC);
    assert_string_equal(top_str(ev, "dest_ip"), RESOLVER);
    json_t *samples = json_object_get(json_object_get(alert_of(ev), "evidence"), "sample_names");
    assert_int_equal(json_array_size(samples), 3);
    json_t *mitre =
        json_object_get(json_object_get(alert_of(ev), "metadata"), "mitre_technique_id");
    assert_string_equal(json_string_value(json_array_get(mitre, 0)), "T1071.004");
    json_decref(arr);

    /* Far past the threshold: still one line (realert). */
    arr = run_tunnel(400, NULL, NULL);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(alert_int(json_array_get(arr, 0), "count"), 1);
    json_decref(arr);

    /* The threshold is a parameter. */
    arr = run_tunnel(4, "detect.dns-tunnel.names", "5");
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    arr = run_tunnel(5, "detect.dns-tunnel.names", "5");
    assert_int_equal(n_sid(arr, 8105001), 1);
    json_decref(arr);
}

/* Repeating the same names does not count: caching would hide a tunnel that did. */
static void test_repeats_do_not_count(void **state)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    struct ot_flow f;
    dns_flow(&r, &f, PC, 0, T0);
    for (unsigned k = 0; k < 20; k++)
        for (unsigned i = 0; i < 10; i++) {
            char name[128];
            hexname(name, sizeof(name), i, "t.example.net");
            dns_query(&r, &f, name, 16, T0 + (k * 10 + i) * SEC);
        }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* 39 names, then a window later 39 more: never 40 in one window. */
static void test_window(void **state)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    tunnel(&r, 39, "t.example.net", T0, 0);
    tunnel(&r, 39, "t.example.net", T0 + 301 * SEC, 100);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    /* Two domains of 30 each: per domain, so nothing either. */
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    tunnel(&r, 30, "t.example.net", T0, 0);
    tunnel(&r, 30, "t.example.org", T0, 100);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    /* Two hosts of 30 each under one domain: per host. */
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    tunnel(&r, 30, "t.example.net", T0, 0);
    struct ot_flow f;
    dns_flow(&r, &f, "192.168.1.67", 0, T0);
    for (unsigned i = 0; i < 30; i++) {
        char name[128];
        hexname(name, sizeof(name), 500 + i, "t.example.net");
        dns_query(&r, &f, name, 16, T0 + i * SEC);
    }
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* N short names under d.example.net answered with TXT records of BYTES bytes. */
static json_t *run_txt(unsigned n, uint32_t bytes, uint16_t rtype)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    struct ot_flow f;
    dns_flow(&r, &f, PC, 0, T0);
    for (unsigned i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "q%04u.d.example.net", i);
        struct ot_obs_dns_rr rr;
        memset(&rr, 0, sizeof(rr));
        rr.rtype = rtype;
        rr.data_len = bytes;
        dns_query(&r, &f, name, rtype, T0 + i * SEC);
        dns_answer(&r, &f, name, rtype, 0, &rr, 1, T0 + i * SEC + 30000);
    }
    return rig_close(&r);
}

static void test_txt_threshold(void **state)
{
    json_t *arr = run_txt(19, 220, 16);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    arr = run_txt(20, 220, 16);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8105002);
    assert_non_null(ev);
    assert_int_equal(alert_int(ev, "severity"), 2);
    assert_int_equal(ev_int(ev, "large_answers"), 20);
    assert_int_equal(ev_int(ev, "large_answer_bytes"), 20 * 220);
    assert_int_equal(ev_int(ev, "encoded_names"), 0);
    json_decref(arr);
    /* NULL records count too. */
    arr = run_txt(20, 220, 10);
    assert_int_equal(n_sid(arr, 8105002), 1);
    json_decref(arr);
    /* Small TXT answers (SPF-sized) do not. */
    arr = run_txt(100, 99, 16);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    /* Nor large A-record sets. */
    arr = run_txt(100, 400, 1);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

static json_t *run_volume(unsigned n)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    struct ot_flow f;
    dns_flow(&r, &f, PC, 0, T0);
    for (unsigned i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "n%u.v.example.net", i);
        dns_query(&r, &f, name, 1, T0 + i * SEC / 4);
    }
    return rig_close(&r);
}

static void test_volume_threshold(void **state)
{
    json_t *arr = run_volume(499);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    arr = run_volume(500);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8105003);
    assert_non_null(ev);
    assert_int_equal(alert_int(ev, "severity"), 3);
    assert_int_equal(ev_int(ev, "distinct_names"), 500);
    json_decref(arr);
}

/* Many look-ups that carry no data: nothing, whatever the count. */
static void test_benign_lookalikes(void **state)
{
    static const char *const cdn[] = {
        "d1a2b3c4d5e6f7.cloudfront.net",
        "dz9x8c7v6b5n4m.cloudfront.net",
        "e1234.dscb.akamaiedge.net",
        "a248.e.akamai.net",
        "rr3---sn-5hne6nzk.googlevideo.com",
        "rr1---sn-oguelnzz.googlevideo.com",
        "rr5---sn-a5mekn6s.googlevideo.com",
        "ipv4-c001-sjc001-ix.1.oca.nflxvideo.net",
        "ipv4-c017-tyo001-ix.1.oca.nflxvideo.net",
        "1234567890-abc123def456ghi789jkl012mno345pq.apps.googleusercontent.com",
        "scontent-nrt1-1.xx.fbcdn.net",
        "officecdn-microsoft-com.akamaized.net",
        "audio-ak-spotify-com.akamaized.net",
        "www.google.com",
        "fonts.gstatic.com",
        "login.microsoftonline.com",
        "outlook.office365.com",
        "news.yahoo.co.jp",
    };
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    struct ot_flow f;
    dns_flow(&r, &f, PC, 0, T0);
    uint64_t t = T0;
    for (unsigned k = 0; k < 30; k++)
        for (size_t i = 0; i < sizeof(cdn) / sizeof(cdn[0]); i++)
            dns_query(&r, &f, cdn[i], 1, t += SEC / 3);
    /* Cloud host names with addresses in them: many distinct, not encoded. */
    for (unsigned i = 0; i < 200; i++) {
        char name[96];
        snprintf(name, sizeof(name), "ec2-54-%u-%u-%u.ap-northeast-1.compute.amazonaws.com",
                 i % 250, (i * 7) % 250, (i * 13) % 250);
        dns_query(&r, &f, name, 1, t += SEC / 3);
    }
    /* Reverse look-ups: thousands of distinct names, all ignored. */
    for (unsigned i = 0; i < 1000; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%u.%u.168.192.in-addr.arpa", i % 250, i / 250);
        dns_query(&r, &f, name, 12, t += SEC / 10);
        snprintf(name, sizeof(name), "%x.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", i);
        dns_query(&r, &f, name, 12, t += SEC / 10);
    }
    /* DNS blocklists: one name per address checked, by design. */
    for (unsigned i = 0; i < 1000; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%u.%u.113.203.zen.spamhaus.org", i % 250, i / 250);
        dns_query(&r, &f, name, 1, t += SEC / 10);
    }
    /* DNS-SD over unicast: '_' labels. */
    for (unsigned i = 0; i < 100; i++) {
        char name[128];
        hexname(name, sizeof(name), i, "_googlecast._tcp.example.net");
        dns_query(&r, &f, name, 33, t += SEC / 10);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* mDNS and LLMNR flows are local service discovery, never a tunnel. */
static void test_mdns_ignored(void **state)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    struct ot_flow f;
    udp_flow(&r, &f, PC, 5353, "224.0.0.251", 5353, T0, 1, 0);
    for (unsigned i = 0; i < 100; i++) {
        char name[128];
        hexname(name, sizeof(name), i, "t.example.net");
        dns_query(&r, &f, name, 16, T0 + i * SEC / 2);
    }
    for (unsigned i = 0; i < 100; i++) {
        char name[128];
        hexname(name, sizeof(name), i, "local");
        dns_query(&r, &f, name, 16, T0 + 60 * SEC + i * SEC / 2);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* Answers only (one direction captured): the querier is the answer's receiver. */
static void test_answers_only(void **state)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    struct ot_flow f;
    /* The flow table saw the answer first: the resolver is the flow's client. */
    udp_flow(&r, &f, RESOLVER, 53, PC, 53000, T0, 1, 0);
    for (unsigned i = 0; i < 20; i++) {
        char name[64];
        snprintf(name, sizeof(name), "q%04u.d.example.net", i);
        struct ot_obs_dns_rr rr = {.rtype = 16, .data_len = 300};
        struct ot_obs o;
        memset(&o, 0, sizeof(o));
        o.kind = OT_OBS_DNS_ANSWER;
        o.dir = 0;
        o.ts_us = T0 + i * SEC;
        o.u.dns.qname = ot_str_make(name, strlen(name));
        o.u.dns.qtype = 16;
        o.u.dns.n_answers = o.u.dns.n_rrs = 1;
        o.u.dns.rrs = &rr;
        ot_detect_observe(r.d, &f, &o);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(top_str(json_array_get(arr, 0), "src_ip"), PC);
    json_decref(arr);
}

/* A registered domain under a two-level public suffix is counted as one. */
static void test_public_suffix(void **state)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_open(&r);
    tunnel(&r, 40, "x.example.co.jp", T0, 0);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(ev_str(json_array_get(arr, 0), "domain"), "example.co.jp");
    json_decref(arr);
}

/* A small table under many domains: bounded, counted, no crash. */
static void test_table_bound(void **state)
{
    struct rig r;
    rig_init(&r, "dns-tunnel");
    rig_set(&r, "detect.dns-tunnel.table-size", "64");
    rig_open(&r);
    struct ot_flow f;
    dns_flow(&r, &f, PC, 0, T0);
    for (unsigned i = 0; i < 5000; i++) {
        char name[64];
        snprintf(name, sizeof(name), "www.domain%u.com", i);
        dns_query(&r, &f, name, 1, T0 + i * 1000);
    }
    assert_true(table_full(&r, "dns-tunnel") > 0);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoded_threshold),
        cmocka_unit_test(test_repeats_do_not_count),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_txt_threshold),
        cmocka_unit_test(test_volume_threshold),
        cmocka_unit_test(test_benign_lookalikes),
        cmocka_unit_test(test_mdns_ignored),
        cmocka_unit_test(test_answers_only),
        cmocka_unit_test(test_public_suffix),
        cmocka_unit_test(test_table_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
