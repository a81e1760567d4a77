/*
 * dga detector: the score (generated-looking domains + nx-weight x those
 * answered NXDOMAIN) around its threshold, the NXDOMAIN-volume signal,
 * repeats, the window, and the look-alikes that must stay quiet (a
 * browsing session with typos, CDN names, mDNS, single labels, reverse
 * look-ups, DNS blocklists).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "content-rig.h"

/*
 * Labels of the kind DGAs make (hand-typed random strings, and the style of
 * Conficker/Ramnit/Necurs): every one scores above the model's threshold
 * (test_dga_model.c checks that).
 */
static const char *const generated[] = {
    "kq0qw6o2siwq",       "xkqwzlvbnmfghjd",    "ufmkdjyvfkl",         "hwevqwlocbvmrjdor",
    "mqjjotwswxiy",       "rhlbgzpxprjy",       "fvggbmrwprje",        "ddpyxdxskzhcpaig",
    "wrbofsakibgccmkkr",  "saxmqdsnrkpjl",      "pughdhnoaynrcrrbd",   "tkflvvfqwz",
    "vcwhdsvlqpt",        "gxhnpkoylyzr",       "cjijdcbnsaatphlnunn", "ojpdtkklrbtfseutc",
    "ylev7ytdjgniclc2xf", "u2zxwenltmwodpuhug", "mxtwungcmfvekquq",    "wskjggvqtavskt",
    "fzibxdusqdkw",       "qrvbnxtplkmz",       "zzkqpwrtvbnx",        "bvcxzlkjhgfd",
    "plmoknijbuhv",       "qazwsxedcrfvtgb",    "njdkslqwpeox",        "xvbrtqlpzmwk",
    "hjkgfdsrtwqz",       "lkjhqwrtzxcv",       "mnbvcxzlkjhg",        "trewqzxcvbnm",
    "zxqvbnmlkjwr",       "pqwmznxbcvlk",       "dfghjklzxcvb",        "wqrtypzxcvbn",
    "ghjkqwrtzxvb",       "vbnmqwrtzxlk",       "rtzxqwlkjhgf",        "cvbnmlkjqwrt",
};
#define N_GEN (sizeof(generated) / sizeof(generated[0]))

static const char *const tlds[] = {"com", "net", "org", "info", "biz", "ru"};

/* N generated names from PC, one every 2 s, NX answers when NX. */
static void dga(struct rig *r, const char *host, unsigned n, bool nx, uint64_t t, unsigned first)
{
    for (unsigned i = 0; i < n; i++) {
        char name[96];
        snprintf(name, sizeof(name), "%s.%s", generated[(first + i) % N_GEN],
                 tlds[((first + i) / N_GEN + i) % 6]);
        dns_lookup(r, host, name, nx, t + i * 2 * SEC);
    }
}

static json_t *run_dga(unsigned n, bool nx)
{
    struct rig r;
    rig_init(&r, "dga");
    rig_open(&r);
    dga(&r, PC, n, nx, T0, 0);
    return rig_close(&r);
}

/* Resolving generated names: one point each, threshold 30. */
static void test_score_threshold_resolving(void **state)
{
    json_t *arr = run_dga(29, false);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    arr = run_dga(30, false);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8106001);
    assert_non_null(ev);
    assert_int_equal(alert_int(ev, "severity"), 1);
    assert_int_equal(alert_int(ev, "count"), 1);
    assert_string_equal(json_string_value(json_object_get(alert_of(ev), "category")), "dga");
    assert_int_equal(ev_int(ev, "names_counted"), 30);
    assert_int_equal(ev_int(ev, "nxdomain"), 0);
    assert_int_equal(ev_int(ev, "score"), 30);
    assert_string_equal(top_str(ev, "src_ip"), PC);
    json_t *samples = json_object_get(json_object_get(alert_of(ev), "evidence"), "sample_names");
    assert_int_equal(json_array_size(samples), 5);
    json_t *mitre =
        json_object_get(json_object_get(alert_of(ev), "metadata"), "mitre_technique_id");
    assert_string_equal(json_string_value(json_array_get(mitre, 0)), "T1568.002");
    json_decref(arr);
}

/* NXDOMAIN weighs 1 + 3: 7 names make 28, 8 make 32. */
static void test_score_threshold_nxdomain(void **state)
{
    /* Below the score: only the low note about the first NXDOMAIN (8106003). */
    json_t *arr = run_dga(7, true);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(n_sid(arr, 8106003), 1);
    json_decref(arr);
    arr = run_dga(8, true);
    assert_int_equal(json_array_size(arr), 2);
    assert_int_equal(n_sid(arr, 8106003), 1);
    json_t *ev = get_sid(arr, 8106001);
    assert_non_null(ev);
    assert_int_equal(ev_int(ev, "names_counted"), 8);
    assert_int_equal(ev_int(ev, "nxdomain"), 8);
    assert_int_equal(ev_int(ev, "score"), 32);
    json_decref(arr);
    /* Far beyond: still one line. */
    arr = run_dga(40, true);
    assert_int_equal(n_sid(arr, 8106001), 1);
    assert_int_equal(alert_int(get_sid(arr, 8106001), "count"), 1);
    json_decref(arr);
    /* nx-weight 0: NXDOMAIN counts like a resolved name. */
    struct rig r;
    rig_init(&r, "dga");
    rig_set(&r, "detect.dga.nx-weight", "0");
    rig_open(&r);
    dga(&r, PC, 29, true, T0, 0);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8106001), 0);
    json_decref(arr);
}

/* One generated-looking name answered NXDOMAIN: one low note, once per host and hour. */
static void test_single_nx(void **state)
{
    json_t *arr = run_dga(1, true);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8106003);
    assert_non_null(ev);
    assert_int_equal(alert_int(ev, "severity"), 3);
    assert_int_equal(ev_int(ev, "nxdomain"), 1);
    json_decref(arr);
    /* resolving: nothing */
    arr = run_dga(1, false);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    /* an ordinary name answered NXDOMAIN: nothing */
    struct rig r;
    rig_init(&r, "dga");
    rig_open(&r);
    dns_lookup(&r, PC, "www.gooogle.com", true, T0);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    /* switched off */
    rig_init(&r, "dga");
    rig_set(&r, "detect.dga.nx-single", "0");
    rig_open(&r);
    dga(&r, PC, 7, true, T0, 0);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* The same names over and over count once. */
static void test_repeats(void **state)
{
    struct rig r;
    rig_init(&r, "dga");
    rig_open(&r);
    for (unsigned k = 0; k < 20; k++)
        dga(&r, PC, 5, true, T0 + k * 12 * SEC, 0);
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8106001), 0);
    json_decref(arr);
}

/* Per host and per window. */
static void test_window_and_hosts(void **state)
{
    struct rig r;
    rig_init(&r, "dga");
    rig_open(&r);
    dga(&r, PC, 7, true, T0, 0);
    dga(&r, PC, 7, true, T0 + 601 * SEC, 10);
    dga(&r, "192.168.1.67", 7, true, T0, 20);
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8106001), 0);
    json_decref(arr);
}

/* Distinct domains answered NXDOMAIN, whatever they look like: 50 -> one low alert. */
static void test_nx_domains(void **state)
{
    for (unsigned n = 49; n <= 50; n++) {
        struct rig r;
        rig_init(&r, "dga");
        rig_open(&r);
        for (unsigned i = 0; i < n; i++) {
            char name[64];
            snprintf(name, sizeof(name), "www.shop%u-online.com", i);
            dns_lookup(&r, PC, name, true, T0 + i * SEC);
        }
        json_t *arr = rig_close(&r);
        assert_int_equal(json_array_size(arr), n == 50 ? 1 : 0);
        if (n == 50) {
            json_t *ev = get_sid(arr, 8106002);
            assert_non_null(ev);
            assert_int_equal(alert_int(ev, "severity"), 3);
            assert_int_equal(ev_int(ev, "nxdomain_any"), 50);
            assert_int_equal(ev_int(ev, "names_counted"), 0);
        }
        json_decref(arr);
    }
}

/* An office morning: ordinary names, typos answered NXDOMAIN, CDNs. */
static void test_benign_browsing(void **state)
{
    static const char *const names[] = {
        "www.google.com",
        "www.youtube.com",
        "www.yahoo.co.jp",
        "news.yahoo.co.jp",
        "www.amazon.co.jp",
        "www.rakuten.co.jp",
        "www.nikkei.com",
        "www3.nhk.or.jp",
        "outlook.office365.com",
        "login.microsoftonline.com",
        "teams.microsoft.com",
        "mail.google.com",
        "drive.google.com",
        "www.dropbox.com",
        "app.slack.com",
        "zoom.us",
        "www.chatwork.com",
        "kintone.cybozu.com",
        "www.freee.co.jp",
        "biz.moneyforward.com",
        "tabelog.com",
        "www.jalan.net",
        "ja.wikipedia.org",
        "github.com",
        "stackoverflow.com",
        "www.linkedin.com",
        "twitter.com",
        "www.instagram.com",
        "www.facebook.com",
        "line.me",
        "www.apple.com",
        "www.bing.com",
        "ocsp.digicert.com",
        "ctldl.windowsupdate.com",
        "connectivitycheck.gstatic.com",
        "www.googletagmanager.com",
        "static.criteo.net",
        "cdn.taboola.com",
        "b.scorecardresearch.com",
        "ib.adnxs.com",
        "www.netflix.com",
        "open.spotify.com",
        "d1a2b3c4d5e6f7.cloudfront.net",
        "e1234.dscb.akamaiedge.net",
        "rr3---sn-5hne6nzk.googlevideo.com",
        "ipv4-c001-sjc001-ix.1.oca.nflxvideo.net",
        "scontent-nrt1-1.xx.fbcdn.net",
        "i.ytimg.com",
        "yt3.ggpht.com",
        "pbs.twimg.com",
        "cdn.jsdelivr.net",
        "cdnjs.cloudflare.com",
        "securepubads.g.doubleclick.net",
        "pagead2.googlesyndication.com",
        "www.google-analytics.com",
        "i.scdn.co",
        "use.typekit.net",
        "m.media-amazon.com",
        "www.msftconnecttest.com",
        "kakaku.com",
    };
    static const char *const typos[] = {"www.gooogle.com", "www.amazn.co.jp", "wwww.nikkei.com",
                                        "www.yaho.co.jp", "mail.gogle.com"};
    struct rig r;
    rig_init(&r, "dga");
    rig_open(&r);
    uint64_t t = T0;
    for (unsigned k = 0; k < 5; k++) {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            dns_lookup(&r, PC, names[i], false, t += SEC);
        for (size_t i = 0; i < sizeof(typos) / sizeof(typos[0]); i++)
            dns_lookup(&r, PC, typos[i], true, t += SEC);
    }
    /* Chrome's intranet-redirect probes: random single labels, NXDOMAIN. */
    for (unsigned i = 0; i < 60; i++)
        dns_lookup(&r, PC, generated[i % N_GEN], true, t += SEC);
    /* Reverse look-ups and .local names answered NXDOMAIN. */
    for (unsigned i = 0; i < 200; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%u.1.168.192.in-addr.arpa", i);
        dns_lookup(&r, PC, name, true, t += SEC / 10);
        snprintf(name, sizeof(name), "%s.local", generated[i % N_GEN]);
        dns_lookup(&r, PC, name, true, t += SEC / 10);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* mDNS flows never count. */
static void test_mdns(void **state)
{
    struct rig r;
    rig_init(&r, "dga");
    rig_open(&r);
    struct ot_flow f;
    udp_flow(&r, &f, PC, 5353, "224.0.0.251", 5353, T0, 1, 0);
    for (unsigned i = 0; i < N_GEN; i++) {
        char name[96];
        snprintf(name, sizeof(name), "%s.com", generated[i]);
        dns_query(&r, &f, name, 1, T0 + i * SEC);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* A small host table under many hosts: bounded and counted. */
static void test_table_bound(void **state)
{
    struct rig r;
    rig_init(&r, "dga");
    rig_set(&r, "detect.dga.table-size", "64");
    rig_open(&r);
    for (unsigned i = 0; i < 2000; i++) {
        char ip[32], name[96];
        snprintf(ip, sizeof(ip), "10.%u.%u.%u", i / 65536, (i / 256) % 256, i % 256);
        snprintf(name, sizeof(name), "%s.com", generated[i % N_GEN]);
        dns_lookup(&r, ip, name, true, T0 + i * 1000);
    }
    assert_true(table_full(&r, "dga") > 0);
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8106001), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_threshold_resolving),
        cmocka_unit_test(test_score_threshold_nxdomain),
        cmocka_unit_test(test_single_nx),
        cmocka_unit_test(test_repeats),
        cmocka_unit_test(test_window_and_hosts),
        cmocka_unit_test(test_nx_domains),
        cmocka_unit_test(test_benign_browsing),
        cmocka_unit_test(test_mdns),
        cmocka_unit_test(test_table_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
