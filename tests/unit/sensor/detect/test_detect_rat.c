/*
 * rat detector: protocol banners (VNC, NoMachine, TeamViewer, Radmin),
 * service names in TLS SNI, HTTP and DNS, one alert per (inside host,
 * tool, signature), the inside end as the source, and look-alikes that
 * must stay quiet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "content-rig.h"

/* A TCP flow CLI -> SRV:PORT with first payloads C2S / S2C (len 0: none). */
static void session(struct rig *r, const char *cli, const char *srv, uint16_t port, uint64_t t,
                    const void *c2s, size_t c2s_len, const void *s2c, size_t s2c_len)
{
    struct ot_flow f;
    tcp_flow(r, &f, cli, 45000, srv, port, t, SEC, TCP_SESSION);
    struct ot_packet p;
    memset(&p, 0, sizeof(p));
    p.ts_us = t;
    p.tcp_flags = OT_TH_SYN;
    ot_detect_flow_start(r->d, &f, &p);
    if (s2c_len)
        first_payload(r, &f, 1, s2c, s2c_len);
    if (c2s_len)
        first_payload(r, &f, 0, c2s, c2s_len);
    ot_detect_flow_end(r->d, &f);
}

static json_t *one_session(const char *cli, const char *srv, uint16_t port, const void *c2s,
                           size_t c2s_len, const void *s2c, size_t s2c_len)
{
    struct rig r;
    rig_init(&r, "rat");
    rig_open(&r);
    session(&r, cli, srv, port, T0, c2s, c2s_len, s2c, s2c_len);
    return rig_close(&r);
}

static void test_vnc_banner(void **state)
{
    /* From outside to an office PC: the PC is the source. */
    json_t *arr = one_session("198.51.100.20", "192.168.1.50", 5900, "RFB 003.008\n", 12,
                              "RFB 003.008\n", 12);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8110031);
    assert_non_null(ev);
    assert_int_equal(alert_int(ev, "severity"), 2);
    assert_string_equal(json_string_value(json_object_get(alert_of(ev), "category")),
                        "remote-access-tool");
    assert_string_equal(ev_str(ev, "tool"), "VNC");
    assert_string_equal(ev_str(ev, "method"), "banner");
    assert_string_equal(ev_str(ev, "detail"), "RFB 003.008");
    assert_string_equal(top_str(ev, "src_ip"), "192.168.1.50");
    assert_string_equal(top_str(ev, "dest_ip"), "198.51.100.20");
    json_t *mitre =
        json_object_get(json_object_get(alert_of(ev), "metadata"), "mitre_technique_id");
    assert_string_equal(json_string_value(json_array_get(mitre, 0)), "T1219");
    json_decref(arr);
    /* Any version, any port. */
    arr = one_session(PC, "203.0.113.5", 6900, NULL, 0, "RFB 004.001\n", 12);
    assert_int_equal(n_sid(arr, 8110031), 1);
    assert_string_equal(top_str(json_array_get(arr, 0), "src_ip"), PC);
    json_decref(arr);
    /* Not quite RFB. */
    static const char *const no[] = {"RFB 003.008", "RFB 3.8\n   ", "RFB 00x.008\n",
                                     "rfb 003.008\n"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        arr = one_session(PC, "203.0.113.5", 5900, NULL, 0, no[i], strlen(no[i]));
        assert_int_equal(json_array_size(arr), 0);
        json_decref(arr);
    }
}

static void test_nomachine_teamviewer(void **state)
{
    json_t *arr =
        one_session("192.168.1.51", "192.168.1.52", 4000, "NXSH-8.10.1\n", 12, "NXD-8.10.1\n", 11);
    assert_int_equal(n_sid(arr, 8110041), 1);
    /* the server's banner came first here (session() sends it first) */
    assert_string_equal(ev_str(json_array_get(arr, 0), "detail"), "NXD-8.10.1");
    json_decref(arr);

    static const uint8_t tv[] = {0x17, 0x24, 0x0a, 0x20, 0, 0, 0, 0, 0, 0, 0, 0};
    arr = one_session(PC, "203.0.113.7", 5938, tv, sizeof(tv), NULL, 0);
    assert_int_equal(n_sid(arr, 8110021), 1);
    json_decref(arr);
    /* The same two bytes elsewhere are not enough. */
    arr = one_session(PC, "203.0.113.7", 443, tv, sizeof(tv), NULL, 0);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    /* TeamViewer over UDP: ten zero bytes, then 0x17 0x24 at offset 11. */
    uint8_t udp[40] = {0};
    udp[10] = 3;
    udp[11] = 0x17;
    udp[12] = 0x24;
    struct rig r;
    rig_init(&r, "rat");
    rig_open(&r);
    struct ot_flow f;
    udp_flow(&r, &f, PC, 34417, "93.47.224.241", 36037, T0, 1, 1);
    first_payload(&r, &f, 0, udp, sizeof(udp));
    arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8110021), 1);
    json_decref(arr);
}

static void test_radmin(void **state)
{
    static const uint8_t hello[] = {1, 0, 0, 0, 1, 0, 0, 0, 8, 8};
    uint8_t reply[46] = {1, 0, 0, 0, 0x25, 0, 0, 2, 0x12, 8, 2, 0, 0, 0x0a};
    json_t *arr =
        one_session("192.168.88.208", "192.168.88.197", 4899, hello, sizeof(hello), NULL, 0);
    assert_int_equal(json_array_size(arr), 0); /* the hello alone */
    json_decref(arr);

    struct rig r;
    rig_init(&r, "rat");
    rig_open(&r);
    struct ot_flow f;
    tcp_flow(&r, &f, "192.168.88.208", 49736, "192.168.88.197", 4899, T0, SEC, TCP_SESSION);
    first_payload(&r, &f, 0, hello, sizeof(hello));
    first_payload(&r, &f, 1, reply, sizeof(reply));
    /* A reply on a flow whose hello we did not see: nothing. */
    struct ot_flow g;
    tcp_flow(&r, &g, "192.168.88.209", 49736, "192.168.88.197", 4899, T0, SEC, TCP_SESSION);
    first_payload(&r, &g, 1, reply, sizeof(reply));
    arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8110051);
    assert_non_null(ev);
    assert_string_equal(top_str(ev, "src_ip"), "192.168.88.208");
    json_decref(arr);
}

/* DNS first (low), then a session (medium), then more of both: two lines. */
static void test_names_and_once(void **state)
{
    struct rig r;
    rig_init(&r, "rat");
    rig_open(&r);
    for (unsigned i = 0; i < 10; i++) {
        struct ot_flow f;
        dns_flow(&r, &f, PC, 0, T0 + i * 60 * SEC);
        dns_query(&r, &f, "relay-3185a847.net.anydesk.com", 1, T0 + i * 60 * SEC);
        tcp_flow(&r, &f, PC, 50000, "203.0.113.90", 443, T0 + i * 60 * SEC + SEC, SEC, TCP_SESSION);
        tls_sni(&r, &f, "relay-3185a847.net.anydesk.com", T0 + i * 60 * SEC + SEC);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    json_t *dns = get_sid(arr, 8110012), *sni = get_sid(arr, 8110011);
    assert_non_null(dns);
    assert_non_null(sni);
    assert_int_equal(alert_int(dns, "severity"), 3);
    assert_int_equal(alert_int(sni, "severity"), 2);
    assert_int_equal(alert_int(dns, "count"), 1);
    assert_int_equal(alert_int(sni, "count"), 1);
    assert_string_equal(ev_str(sni, "tool"), "AnyDesk");
    assert_string_equal(ev_str(sni, "method"), "tls-sni");
    assert_string_equal(ev_str(sni, "name"), "relay-3185a847.net.anydesk.com");
    assert_string_equal(top_str(dns, "src_ip"), PC);
    assert_string_equal(top_str(dns, "dest_ip"), RESOLVER);
    json_decref(arr);
}

/* One line per tool, per host. */
static void test_tools_and_hosts(void **state)
{
    static const struct {
        const char *name;
        json_int_t sid;
    } cases[] = {
        {"router1.teamviewer.com", 8110022},
        {"sos.splashtop.com", 8110062},
        {"instance-x-relay.screenconnect.com", 8110072},
        {"secure.logmein.com", 8110082},
        {"rs-ny.rustdesk.com", 8110092},
        {"agent-api.atera.com", 8110102},
        {"boot.net.anydesk.com", 8110012},
        {"remotedesktop-pa.googleapis.com", 8110122},
        {"sunlogin.oray.com", 8110202},
        {"www.realvnc.com", 8110032},
    };
    struct rig r;
    rig_init(&r, "rat");
    rig_open(&r);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (unsigned h = 0; h < 2; h++) {
            char ip[32];
            snprintf(ip, sizeof(ip), "192.168.1.%u", 100 + h);
            struct ot_flow f;
            dns_flow(&r, &f, ip, 0, T0 + i * SEC);
            dns_query(&r, &f, cases[i].name, 1, T0 + i * SEC);
            dns_query(&r, &f, cases[i].name, 28, T0 + i * SEC + 1000);
        }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2 * sizeof(cases) / sizeof(cases[0]));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (n_sid(arr, cases[i].sid) != 2)
            fail_msg("%s: expected 2 alerts of %lld", cases[i].name, (long long)cases[i].sid);
    json_decref(arr);
}

static void test_http(void **state)
{
    struct rig r;
    rig_init(&r, "rat");
    rig_open(&r);
    struct ot_flow f;
    tcp_flow(&r, &f, PC, 50001, "203.0.113.91", 443, T0, SEC, TCP_SESSION);
    struct ot_obs o;
    memset(&o, 0, sizeof(o));
    o.kind = OT_OBS_HTTP;
    o.ts_us = T0;
    o.u.http.host = ot_str_make("geo.netsupportsoftware.com", 26);
    ot_detect_observe(r.d, &f, &o);
    tcp_flow(&r, &f, "192.168.1.80", 50002, "203.0.113.92", 443, T0, SEC, TCP_SESSION);
    o.u.http.host = ot_str_make("203.0.113.92", 12);
    o.u.http.user_agent = ot_str_make("NetSupport Manager/1.3", 22);
    ot_detect_observe(r.d, &f, &o);
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8110151), 2);
    json_decref(arr);
}

static void test_lookalikes(void **state)
{
    static const char *const names[] = {
        "anydesk.com.example.net", "myanydesk.com",   "teamviewer-alternatives.example.com",
        "www.google.com",          "vnc.example.com", "rustdesk.example.org",
    };
    struct rig r;
    rig_init(&r, "rat");
    rig_open(&r);
    struct ot_flow f;
    dns_flow(&r, &f, PC, 0, T0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        dns_query(&r, &f, names[i], 1, T0 + i * SEC);
        tls_sni(&r, &f, names[i], T0 + i * SEC);
    }
    /* mDNS advertising a VNC service is not a session. */
    struct ot_flow m;
    udp_flow(&r, &m, PC, 5353, "224.0.0.251", 5353, T0, 1, 0);
    dns_query(&r, &m, "_rfb._tcp.local", 12, T0);
    dns_query(&r, &m, "anydesk.com", 1, T0);
    /* Ordinary first payloads. */
    session(&r, PC, "203.0.113.5", 80, T0, "GET / HTTP/1.1\r\n\r\n", 18, "HTTP/1.1 200 OK\r\n", 17);
    session(&r, PC, "203.0.113.5", 22, T0, "SSH-2.0-OpenSSH_9.2\r\n", 21, "SSH-2.0-x\r\n", 11);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

/* No labeler (nDPI off): flow ends are harmless. */
static void test_no_labeler(void **state)
{
    struct rig r;
    rig_init(&r, "rat");
    rig_open(&r);
    struct ot_flow f;
    tcp_flow(&r, &f, PC, 40000, "203.0.113.90", 7070, T0, SEC, TCP_SESSION);
    run_flow(&r, &f);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vnc_banner),      cmocka_unit_test(test_nomachine_teamviewer),
        cmocka_unit_test(test_radmin),          cmocka_unit_test(test_names_and_once),
        cmocka_unit_test(test_tools_and_hosts), cmocka_unit_test(test_http),
        cmocka_unit_test(test_lookalikes),      cmocka_unit_test(test_no_labeler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
