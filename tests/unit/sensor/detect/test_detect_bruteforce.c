/*
 * bruteforce detector: failed logins (FTP, Telnet, POP3, IMAP, SMTP), HTTP
 * Basic 401s, short SSH/RDP/SMB sessions, around each threshold; success
 * after guessing (observed, and inferred from a long session); what must
 * not count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flows-rig.h"
#include "proto/proto.h"

#define BOT    "203.0.113.66"
#define SERVER "192.168.1.10"

static void login(struct rig *r, const struct ot_flow *f, const char *proto, const char *user,
                  enum ot_obs_login_result res, uint64_t ts)
{
    struct ot_obs o = {.kind = OT_OBS_LOGIN, .ts_us = ts};
    o.u.login.proto = proto;
    o.u.login.user = ot_str_make(user, strlen(user));
    o.u.login.password_in_clear = true;
    o.u.login.result = res;
    ot_detect_observe(r->d, f, &o);
}

static void http(struct rig *r, const struct ot_flow *f, int dir, bool basic, uint16_t status,
                 uint64_t ts)
{
    struct ot_obs o = {.kind = OT_OBS_HTTP, .ts_us = ts, .dir = dir};
    o.u.http.method = ot_str_make("GET", 3);
    o.u.http.uri = ot_str_make("/admin/", 7);
    o.u.http.basic_auth = basic;
    o.u.http.status = status;
    ot_detect_observe(r->d, f, &o);
}

/* N failed logins of PROTO, three per connection, 2 s apart. */
static void failures(struct rig *r, const char *src, const char *proto, uint16_t port, unsigned n,
                     uint64_t t0, uint64_t step)
{
    static const char *const users[] = {"admin", "root", "user"};
    struct ot_flow f;
    for (unsigned i = 0; i < n; i++) {
        if (i % 3 == 0)
            tcp_flow(r, &f, src, (uint16_t)(40000 + i), SERVER, port, t0 + i * step, 5 * SEC,
                     TCP_SESSION);
        login(r, &f, proto, users[i % 3], OT_OBS_LOGIN_FAILURE, t0 + i * step);
    }
}

static void test_ftp_threshold(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_open(&r);
    failures(&r, BOT, "ftp", 21, 9, T0, 2 * SEC);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "bruteforce");
    rig_open(&r);
    failures(&r, BOT, "ftp", 21, 10, T0, 2 * SEC);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = get_sid(arr, 8102004);
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 2);
    assert_int_equal(alert_int(a, "count"), 1);
    assert_string_equal(json_string_value(json_object_get(alert_of(a), "category")), "bruteforce");
    assert_string_equal(top_str(a, "src_ip"), BOT);
    assert_string_equal(top_str(a, "dest_ip"), SERVER);
    assert_int_equal(json_integer_value(json_object_get(a, "dest_port")), 21);
    assert_string_equal(ev_str(a, "service"), "ftp");
    assert_int_equal(ev_int(a, "failed_logins"), 10);
    assert_int_equal(ev_int(a, "distinct_users"), 3);
    assert_int_equal(ev_int(a, "seconds"), 18);
    assert_int_equal(ev_int(a, "window_s"), 300);
    json_decref(arr);
}

/* Each clear-text protocol has its own signature; other sources and servers count apart. */
static void test_mail_and_telnet(void **state)
{
    static const struct {
        const char *proto;
        uint16_t port;
        json_int_t sid;
    } cases[] = {{"telnet", 23, 8102005},
                 {"pop3", 110, 8102006},
                 {"imap", 143, 8102007},
                 {"smtp", 587, 8102008}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct rig r;
        rig_init(&r, "bruteforce");
        rig_open(&r);
        failures(&r, BOT, cases[k].proto, cases[k].port, 10, T0, SEC);
        failures(&r, "203.0.113.67", cases[k].proto, cases[k].port, 9, T0, SEC);
        json_t *arr = rig_close(&r);
        assert_int_equal(json_array_size(arr), 1);
        assert_int_equal(n_sid(arr, cases[k].sid), 1);
        json_decref(arr);
    }
}

/* Failures spread thinner than the window never alert; unknown results never count. */
static void test_window_and_unknown(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_open(&r);
    failures(&r, BOT, "ftp", 21, 30, T0, 40 * SEC); /* at most 8 in 300 s */
    struct ot_flow f;
    tcp_flow(&r, &f, "203.0.113.70", 40000, SERVER, 21, T0, SEC, TCP_SESSION);
    for (int i = 0; i < 20; i++)
        login(&r, &f, "ftp", "x", OT_OBS_LOGIN_UNKNOWN, T0 + (uint64_t)i * SEC);
    /* "http" logins are counted from HTTP transactions, not twice */
    for (int i = 0; i < 20; i++)
        login(&r, &f, "http", "x", OT_OBS_LOGIN_FAILURE, T0 + (uint64_t)i * SEC);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "bruteforce");
    rig_set(&r, "detect.bruteforce.window", "1800");
    rig_open(&r);
    failures(&r, BOT, "ftp", 21, 30, T0, 40 * SEC);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8102004), 1);
    json_decref(arr);
}

static void test_success_after_failures(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_open(&r);
    failures(&r, BOT, "ftp", 21, 12, T0, SEC);
    struct ot_flow f;
    tcp_flow(&r, &f, BOT, 45000, SERVER, 21, T0 + 20 * SEC, SEC, TCP_SESSION);
    login(&r, &f, "ftp", "backup", OT_OBS_LOGIN_SUCCESS, T0 + 20 * SEC);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    assert_int_equal(n_sid(arr, 8102004), 1);
    json_t *a = get_sid(arr, 8102010);
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 1);
    assert_string_equal(ev_str(a, "user"), "backup");
    assert_int_equal(ev_int(a, "failed_logins"), 12);
    json_decref(arr);

    /* A user who mistyped twice, then got in: nothing. */
    rig_init(&r, "bruteforce");
    rig_open(&r);
    failures(&r, "192.168.1.50", "imap", 143, 2, T0, SEC);
    tcp_flow(&r, &f, "192.168.1.50", 45000, SERVER, 143, T0 + 5 * SEC, SEC, TCP_SESSION);
    login(&r, &f, "imap", "carol", OT_OBS_LOGIN_SUCCESS, T0 + 5 * SEC);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    /* A success long after the guessing stopped: not linked. */
    rig_init(&r, "bruteforce");
    rig_open(&r);
    failures(&r, BOT, "ftp", 21, 10, T0, SEC);
    tcp_flow(&r, &f, BOT, 45000, SERVER, 21, T0 + 3600 * SEC, SEC, TCP_SESSION);
    login(&r, &f, "ftp", "backup", OT_OBS_LOGIN_SUCCESS, T0 + 3600 * SEC);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8102010), 0);
    json_decref(arr);
}

static void test_http_basic(void **state)
{
    struct rig r;
    struct ot_flow f;
    for (unsigned n = 9; n <= 10; n++) {
        rig_init(&r, "bruteforce");
        rig_open(&r);
        tcp_flow(&r, &f, BOT, 40000, SERVER, 80, T0, 60 * SEC, TCP_SESSION);
        for (unsigned i = 0; i < n; i++)
            http(&r, &f, 0, true, 401, T0 + i * SEC);
        /* 401 challenges to requests without credentials are normal */
        for (unsigned i = 0; i < 30; i++)
            http(&r, &f, 0, false, 401, T0 + i * SEC);
        json_t *arr = rig_close(&r);
        assert_int_equal(json_array_size(arr), n == 10);
        if (n == 10) {
            json_t *a = get_sid(arr, 8102009);
            assert_non_null(a);
            assert_string_equal(ev_str(a, "service"), "http");
            assert_int_equal(ev_int(a, "failed_logins"), 10);
        }
        json_decref(arr);
    }
    /* Requests from the flow's server side (dir 1) are attributed to it; then a 200. */
    rig_init(&r, "bruteforce");
    rig_open(&r);
    tcp_flow(&r, &f, SERVER, 8080, BOT, 40000, T0, 60 * SEC, TCP_SESSION);
    for (unsigned i = 0; i < 10; i++)
        http(&r, &f, 1, true, 401, T0 + i * SEC);
    http(&r, &f, 1, true, 200, T0 + 11 * SEC);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    json_t *a = get_sid(arr, 8102009);
    assert_non_null(a);
    assert_string_equal(top_str(a, "src_ip"), BOT);
    assert_string_equal(top_str(a, "dest_ip"), SERVER);
    assert_non_null(get_sid(arr, 8102010));
    json_decref(arr);
}

/* N sessions of SHAPE from SRC to SERVER:PORT, STEP apart, each lasting DUR. */
static void sessions(struct rig *r, const char *src, uint16_t port, unsigned n, uint64_t t0,
                     uint64_t step, uint64_t dur, enum tcp_shape shape)
{
    for (unsigned i = 0; i < n; i++) {
        struct ot_flow f;
        tcp_flow(r, &f, src, (uint16_t)(40000 + i), SERVER, port, t0 + i * step, dur, shape);
        run_flow(r, &f);
    }
}

static void test_ssh_short_sessions(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_open(&r);
    sessions(&r, BOT, 22, 19, T0, 4 * SEC, 3 * SEC, TCP_SESSION);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "bruteforce");
    rig_open(&r);
    sessions(&r, BOT, 22, 20, T0, 4 * SEC, 3 * SEC, TCP_SESSION);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = get_sid(arr, 8102001);
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 2);
    assert_string_equal(ev_str(a, "service"), "ssh");
    assert_int_equal(ev_int(a, "short_sessions"), 20);
    assert_int_equal(ev_int(a, "seconds"), 76);
    json_decref(arr);
}

/* Long sessions, unfinished ones, probes without data and unanswered SYNs are not attempts. */
static void test_sessions_that_do_not_count(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_open(&r);
    sessions(&r, BOT, 22, 40, T0, 4 * SEC, 31 * SEC, TCP_SESSION);
    sessions(&r, "203.0.113.67", 22, 40, T0, 4 * SEC, 3 * SEC, TCP_SESSION_OPEN);
    sessions(&r, "203.0.113.68", 22, 40, T0, 4 * SEC, 1 * SEC, TCP_HALF_OPEN);
    sessions(&r, "203.0.113.69", 22, 40, T0, 4 * SEC, 1 * SEC, TCP_SYN_RST);
    sessions(&r, "203.0.113.70", 8022, 40, T0, 4 * SEC, 1 * SEC, TCP_SESSION);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    /* The short-session limit is a parameter. */
    rig_init(&r, "bruteforce");
    rig_set(&r, "detect.bruteforce.short-session", "60");
    rig_open(&r);
    sessions(&r, BOT, 22, 20, T0, 4 * SEC, 31 * SEC, TCP_SESSION);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8102001), 1);
    json_decref(arr);
}

static void test_rdp_smb_and_app_proto(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_open(&r);
    sessions(&r, BOT, 3389, 20, T0, 3 * SEC, 2 * SEC, TCP_SESSION);
    sessions(&r, "192.168.1.66", 445, 20, T0, 1 * SEC, SEC / 2, TCP_SESSION);
    sessions(&r, "192.168.1.67", 139, 20, T0, 1 * SEC, SEC / 2, TCP_SESSION);
    /* SSH on another port, known by what the parser saw */
    for (unsigned i = 0; i < 20; i++) {
        struct ot_flow f;
        tcp_flow(&r, &f, "203.0.113.80", (uint16_t)(40000 + i), SERVER, 2222, T0 + i * SEC, SEC / 2,
                 TCP_SESSION);
        f.app_proto = OT_APP_SSH;
        run_flow(&r, &f);
    }
    /* HTTP on port 22 is not SSH */
    for (unsigned i = 0; i < 20; i++) {
        struct ot_flow f;
        tcp_flow(&r, &f, "203.0.113.81", (uint16_t)(40000 + i), SERVER, 22, T0 + i * SEC, SEC / 2,
                 TCP_SESSION);
        f.app_proto = OT_APP_HTTP;
        run_flow(&r, &f);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8102002), 1);
    assert_int_equal(n_sid(arr, 8102003), 2);
    assert_int_equal(n_sid(arr, 8102001), 1);
    assert_string_equal(top_str(get_sid(arr, 8102001), "src_ip"), "203.0.113.80");
    assert_int_equal(json_array_size(arr), 4);
    json_decref(arr);
}

/* A long session after short ones that alerted: the guess may have worked. */
static void test_long_session_after(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_open(&r);
    sessions(&r, BOT, 3389, 25, T0, 3 * SEC, 2 * SEC, TCP_SESSION);
    struct ot_flow f;
    tcp_flow(&r, &f, BOT, 50000, SERVER, 3389, T0 + 80 * SEC, 3 * 3600 * SEC, TCP_SESSION);
    /* ticks in between: the memory of the guessing outlives the window */
    for (uint64_t t = T0 + 80 * SEC; t < f.last_us; t += 60 * SEC)
        ot_detect_tick(r.d, t);
    run_flow(&r, &f);
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8102002), 1);
    json_t *a = get_sid(arr, 8102011);
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 1);
    assert_string_equal(ev_str(a, "service"), "rdp");
    assert_int_equal(ev_int(a, "short_sessions"), 20);
    assert_int_equal(ev_int(a, "session_s"), 3 * 3600);
    json_decref(arr);

    /* Without the guessing before, a long session is just a session. */
    rig_init(&r, "bruteforce");
    rig_open(&r);
    sessions(&r, BOT, 3389, 19, T0, 3 * SEC, 2 * SEC, TCP_SESSION);
    tcp_flow(&r, &f, BOT, 50000, SERVER, 3389, T0 + 80 * SEC, 3600 * SEC, TCP_SESSION);
    run_flow(&r, &f);
    tcp_flow(&r, &f, "203.0.113.90", 50000, SERVER, 3389, T0 + 80 * SEC, 3600 * SEC, TCP_SESSION);
    run_flow(&r, &f);
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* A guessing run that goes on raises for every attempt: one line whose count is the attempts. */
static void test_long_run_merges(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_open(&r);
    sessions(&r, BOT, 22, 300, T0, 3 * SEC, 2 * SEC, TCP_SESSION); /* 15 minutes */
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(alert_int(json_array_get(arr, 0), "count"), 300 - 19);
    json_decref(arr);
}

static void test_table_bound(void **state)
{
    struct rig r;
    rig_init(&r, "bruteforce");
    rig_set(&r, "detect.bruteforce.max-entries", "64");
    rig_open(&r);
    for (unsigned i = 0; i < 300; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "203.0.113.%u", i % 250);
        struct ot_flow f;
        tcp_flow(&r, &f, ip, (uint16_t)(40000 + i), SERVER, (uint16_t)(21 + i / 250), T0 + i * SEC,
                 SEC, TCP_SESSION);
        login(&r, &f, "ftp", "u", OT_OBS_LOGIN_FAILURE, T0 + i * SEC);
    }
    assert_true(table_full(&r, "bruteforce") > 0);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ftp_threshold),
        cmocka_unit_test(test_mail_and_telnet),
        cmocka_unit_test(test_window_and_unknown),
        cmocka_unit_test(test_success_after_failures),
        cmocka_unit_test(test_http_basic),
        cmocka_unit_test(test_ssh_short_sessions),
        cmocka_unit_test(test_sessions_that_do_not_count),
        cmocka_unit_test(test_rdp_smb_and_app_proto),
        cmocka_unit_test(test_long_session_after),
        cmocka_unit_test(test_long_run_merges),
        cmocka_unit_test(test_table_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
