/*
 * exposure detector: a risky service inside answering a client outside
 * raises one alert per server and service; the other directions, silent
 * servers, unsure directions and switched-off services raise nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flows-rig.h"

#define OUT1   "203.0.113.5"
#define OUT2   "198.51.100.9"
#define SERVER "192.168.1.20"
#define PC     "192.168.1.101"

static void conn(struct rig *r, const char *cli, const char *srv, uint16_t port, uint64_t t,
                 enum tcp_shape shape)
{
    struct ot_flow f;
    tcp_flow(r, &f, cli, 50000, srv, port, t, 10 * SEC, shape);
    run_flow(r, &f);
}

static void test_rdp_answered_from_outside(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_open(&r);
    conn(&r, OUT1, SERVER, 3389, T0, TCP_SESSION);
    conn(&r, OUT2, SERVER, 3389, T0 + 60 * SEC, TCP_SESSION);
    conn(&r, OUT1, SERVER, 3389, T0 + 120 * SEC, TCP_SESSION);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *a = get_sid(arr, 8103001);
    assert_non_null(a);
    assert_int_equal(alert_int(a, "severity"), 1);
    assert_int_equal(alert_int(a, "count"), 1);
    assert_string_equal(json_string_value(json_object_get(alert_of(a), "category")), "exposure");
    assert_string_equal(top_str(a, "src_ip"), SERVER); /* the exposed server */
    assert_int_equal(json_integer_value(json_object_get(a, "src_port")), 3389);
    assert_null(json_object_get(a, "dest_ip"));
    assert_string_equal(ev_str(a, "service"), "rdp");
    assert_string_equal(ev_str(a, "client_ip"), OUT1);
    assert_int_equal(ev_int(a, "server_port"), 3389);
    json_decref(arr);
}

/* Inside to outside, inside to inside, outside to outside: no exposure. */
static void test_other_directions(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_open(&r);
    conn(&r, PC, OUT1, 3389, T0, TCP_SESSION);
    conn(&r, PC, SERVER, 3389, T0, TCP_SESSION);
    conn(&r, OUT2, OUT1, 3389, T0, TCP_SESSION);
    conn(&r, PC, OUT1, 22, T0, TCP_SESSION);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* Only an answer counts: an unanswered or refused SYN is no exposure; a bare handshake is. */
static void test_answer_needed(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_open(&r);
    conn(&r, OUT1, SERVER, 445, T0, TCP_SYN_SILENT);
    conn(&r, OUT1, SERVER, 23, T0, TCP_SYN_RST);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "exposure");
    rig_open(&r);
    conn(&r, OUT1, SERVER, 445, T0, TCP_HALF_OPEN);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8103002), 1);
    json_decref(arr);
}

/* Without a SYN the direction is a guess: trusted only when the client port is ephemeral. */
static void test_unsure_direction(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_open(&r);
    struct ot_flow f;
    tcp_flow(&r, &f, OUT1, 3389, SERVER, 3306, T0, SEC, TCP_SESSION);
    f.tcp_flags[0] &= (uint8_t)~OT_TH_SYN; /* first seen midstream */
    run_flow(&r, &f);
    tcp_flow(&r, &f, OUT1, 80, SERVER, 5900, T0, SEC, TCP_SESSION);
    f.tcp_flags[0] &= (uint8_t)~OT_TH_SYN;
    run_flow(&r, &f);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    rig_init(&r, "exposure");
    rig_open(&r);
    tcp_flow(&r, &f, OUT1, 51000, SERVER, 5900, T0, SEC, TCP_SESSION);
    f.tcp_flags[0] &= (uint8_t)~OT_TH_SYN;
    run_flow(&r, &f);
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8103004), 1);
    json_decref(arr);
}

/* Every service has its signature and severity; SSH is medium. */
static void test_services(void **state)
{
    static const struct {
        uint16_t port;
        json_int_t sid, sev;
        const char *name;
    } cases[] = {{3389, 8103001, 1, "rdp"},
                 {445, 8103002, 1, "smb"},
                 {139, 8103002, 1, "smb"},
                 {23, 8103003, 1, "telnet"},
                 {5901, 8103004, 1, "vnc"},
                 {3306, 8103005, 1, "mysql"},
                 {5432, 8103006, 1, "postgresql"},
                 {1433, 8103007, 1, "mssql"},
                 {27017, 8103008, 1, "mongodb"},
                 {6379, 8103009, 1, "redis"},
                 {9200, 8103010, 1, "elasticsearch"},
                 {22, 8103011, 2, "ssh"}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct rig r;
        rig_init(&r, "exposure");
        rig_open(&r);
        conn(&r, OUT1, SERVER, cases[k].port, T0, TCP_SESSION);
        conn(&r, OUT1, SERVER, 8080, T0, TCP_SESSION); /* not risky */
        conn(&r, OUT1, SERVER, 5904, T0, TCP_SESSION);
        json_t *arr = rig_close(&r);
        assert_int_equal(json_array_size(arr), 1);
        json_t *a = get_sid(arr, cases[k].sid);
        assert_non_null(a);
        assert_int_equal(alert_int(a, "severity"), cases[k].sev);
        assert_string_equal(ev_str(a, "service"), cases[k].name);
        json_decref(arr);
    }
}

/* RDP over UDP counts when the server answered; other UDP does not. */
static void test_udp(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_open(&r);
    struct ot_flow f;
    udp_flow(&r, &f, OUT1, 50000, SERVER, 3389, T0, 5, 5);
    run_flow(&r, &f);
    udp_flow(&r, &f, OUT1, 50000, SERVER, 3306, T0, 5, 5);
    run_flow(&r, &f);
    udp_flow(&r, &f, OUT2, 50000, "192.168.1.21", 3389, T0, 5, 0);
    run_flow(&r, &f);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(top_str(get_sid(arr, 8103001), "proto"), "UDP");
    json_decref(arr);
}

/* Switches per service family, and one extra port. */
static void test_switches(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_set(&r, "detect.exposure.rdp", "0");
    rig_set(&r, "detect.exposure.ssh", "0");
    rig_set(&r, "detect.exposure.databases", "0");
    rig_set(&r, "detect.exposure.extra-port", "8443");
    rig_open(&r);
    conn(&r, OUT1, SERVER, 3389, T0, TCP_SESSION);
    conn(&r, OUT1, SERVER, 22, T0, TCP_SESSION);
    conn(&r, OUT1, SERVER, 6379, T0, TCP_SESSION);
    conn(&r, OUT1, SERVER, 8443, T0, TCP_SESSION);
    conn(&r, OUT1, SERVER, 445, T0, TCP_SESSION);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    assert_int_equal(n_sid(arr, 8103012), 1);
    assert_int_equal(alert_int(get_sid(arr, 8103012), "severity"), 2);
    assert_int_equal(n_sid(arr, 8103002), 1);
    json_decref(arr);
}

/*
 * Repeats: within `realert` seconds nothing more is raised; after it, one
 * more raise saying how many clients and connections were answered since.
 */
static void test_realert(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_set(&r, "detect.exposure.realert", "600");
    rig_open(&r);
    for (unsigned i = 0; i < 10; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "203.0.113.%u", 10 + i % 4);
        conn(&r, ip, SERVER, 3389, T0 + i * 60 * SEC, TCP_SESSION);
        ot_detect_tick(r.d, T0 + i * 60 * SEC + 11 * SEC);
    }
    conn(&r, OUT1, SERVER, 3389, T0 + 700 * SEC, TCP_SESSION);
    const struct ot_detect_stats *st = ot_detect_stats(r.d);
    assert_int_equal(st->alerts_raised, 2);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2); /* the first was written after the quiet time */
    json_t *second = json_array_get(arr, 1);
    assert_int_equal(ev_int(second, "outside_clients"), 5);
    assert_int_equal(ev_int(second, "connections"), 10);
    json_decref(arr);
}

static void test_table_bound(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_set(&r, "detect.exposure.max-entries", "16");
    rig_open(&r);
    for (unsigned i = 0; i < 40; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "192.168.1.%u", 100 + i);
        conn(&r, OUT1, ip, 3389, T0 + i * SEC, TCP_SESSION);
    }
    assert_true(table_full(&r, "exposure") > 0);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 40); /* one per server */
    json_decref(arr);
}

static void test_home_net_setting(void **state)
{
    struct rig r;
    rig_init(&r, "exposure");
    rig_set(&r, "home-net", "203.0.113.0/24");
    rig_open(&r);
    conn(&r, OUT2, "203.0.113.44", 3389, T0, TCP_SESSION); /* a public server of ours */
    conn(&r, OUT2, SERVER, 3389, T0, TCP_SESSION);         /* no longer home */
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(top_str(json_array_get(arr, 0), "src_ip"), "203.0.113.44");
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdp_answered_from_outside),
        cmocka_unit_test(test_other_directions),
        cmocka_unit_test(test_answer_needed),
        cmocka_unit_test(test_unsure_direction),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_switches),
        cmocka_unit_test(test_realert),
        cmocka_unit_test(test_table_bound),
        cmocka_unit_test(test_home_net_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
