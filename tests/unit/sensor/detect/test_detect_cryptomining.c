/*
 * cryptomining detector: Stratum in the first payload of either direction
 * (XMRig login, Bitcoin mining.subscribe, a pool's job push), pool names in
 * DNS and TLS SNI, one alert per host and pool, and the look-alikes that
 * must stay quiet (other JSON-RPC, HTTP carrying the words, names that
 * only contain a pool's name).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "content-rig.h"

#define POOL "198.51.100.33"

static const char xmrig[] =
    "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"48edfHu7V9Z84Y\","
    "\"pass\":\"x\",\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0\","
    "\"algo\":[\"rx/0\"]}}\n";

/* A TCP session from CLI to POOL:PORT whose first payloads are C2S and S2C (NULL: none). */
static void session(struct rig *r, const char *cli, const char *srv, uint16_t port, uint64_t t,
                    const char *c2s, const char *s2c)
{
    struct ot_flow f;
    tcp_flow(r, &f, cli, 40000, srv, port, t, SEC, TCP_SESSION);
    struct ot_packet p;
    memset(&p, 0, sizeof(p));
    p.ts_us = t;
    p.tcp_flags = OT_TH_SYN;
    ot_detect_flow_start(r->d, &f, &p);
    if (c2s)
        first_payload(r, &f, 0, c2s, strlen(c2s));
    if (s2c)
        first_payload(r, &f, 1, s2c, strlen(s2c));
    ot_detect_flow_end(r->d, &f);
}

static void test_xmrig_login(void **state)
{
    struct rig r;
    rig_init(&r, "cryptomining");
    rig_open(&r);
    session(&r, PC, POOL, 3333, T0, xmrig, NULL);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 1);
    json_t *ev = get_sid(arr, 8108001);
    assert_non_null(ev);
    assert_int_equal(alert_int(ev, "severity"), 2);
    assert_string_equal(json_string_value(json_object_get(alert_of(ev), "category")),
                        "cryptomining");
    assert_string_equal(ev_str(ev, "method"), "login");
    assert_string_equal(ev_str(ev, "agent"), "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0");
    assert_string_equal(ev_str(ev, "pool"), POOL);
    assert_int_equal(ev_int(ev, "pool_port"), 3333);
    assert_string_equal(top_str(ev, "src_ip"), PC);
    json_t *mitre =
        json_object_get(json_object_get(alert_of(ev), "metadata"), "mitre_technique_id");
    assert_string_equal(json_string_value(json_array_get(mitre, 0)), "T1496");
    json_decref(arr);
}

static void test_stratum_variants(void **state)
{
    static const char *const c2s[] = {
        "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/4.12.0\"]}\n",
        "  {\"params\": [\"worker.1\", \"x\"], \"id\": 2, \"method\": \"mining.authorize\"}\n",
        "{\"id\":1,\"method\":\"eth_submitLogin\",\"params\":[\"0xabc\"]}\n",
        "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"w\",\"pass\":"
        "\"x\","
        "\"rigid\":\"rig1\"}}\n",
    };
    static const char *const s2c[] = {
        "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"ae6812eb\",\"00\"]}\n",
        "{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{\"blob\":\"0e0e\",\"job_id\":\"31\","
        "\"target\":\"b88d\"}}\n",
        "{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"8a\",\"job\":{\"blob\":"
        "\"0e0e\",\"job_id\":\"3\",\"target\":\"b8\"},\"status\":\"OK\"}}\n",
    };
    struct rig r;
    rig_init(&r, "cryptomining");
    rig_open(&r);
    unsigned host = 10;
    for (size_t i = 0; i < sizeof(c2s) / sizeof(c2s[0]); i++, host++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "192.168.1.%u", host);
        session(&r, ip, POOL, (uint16_t)(3333 + i * 1000), T0 + i * SEC, c2s[i], NULL);
    }
    for (size_t i = 0; i < sizeof(s2c) / sizeof(s2c[0]); i++, host++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "192.168.1.%u", host);
        session(&r, ip, POOL, 14444, T0 + i * SEC, "", s2c[i]);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(n_sid(arr, 8108001), 7);
    json_decref(arr);
}

/* A miner reconnecting all day: one line per host and pool (realert an hour). */
static void test_once_per_pool(void **state)
{
    struct rig r;
    rig_init(&r, "cryptomining");
    rig_open(&r);
    for (unsigned i = 0; i < 50; i++)
        session(&r, PC, POOL, 3333, T0 + i * 30 * SEC, xmrig, NULL);
    session(&r, PC, "198.51.100.34", 3333, T0, xmrig, NULL);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    assert_int_equal(alert_int(json_array_get(arr, 0), "count"), 1);
    json_decref(arr);
}

static void test_not_stratum(void **state)
{
    static const char *const payloads[] = {
        "{\"jsonrpc\": \"2.0\", \"method\": \"echo\", \"params\": [\"Testing!\"], \"id\": 1}\n",
        ("{\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"user\":\"sato\",\"password\":"
         "\"x\"},\"id\":2}\n"),
        "POST /rpc HTTP/1.1\r\nHost: x\r\n\r\n{\"method\":\"mining.subscribe\"}",
        "[{\"method\":\"mining.subscribe\"}]",
        "{\"method\":\"mining.subscribe-later\"}",
        "{\"method\": 5}",
        "{\"blob\":\"a\",\"job_id\":\"b\"}",
        "{",
    };
    struct rig r;
    rig_init(&r, "cryptomining");
    rig_open(&r);
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        session(&r, PC, POOL, 3333, T0 + i * SEC, payloads[i], NULL);
        session(&r, PC, POOL, 3333, T0 + i * SEC, NULL, payloads[i]);
    }
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

static void test_pool_names(void **state)
{
    struct rig r;
    rig_init(&r, "cryptomining");
    rig_open(&r);
    for (unsigned i = 0; i < 5; i++) {
        struct ot_flow f;
        dns_flow(&r, &f, PC, 0, T0 + i * SEC);
        dns_query(&r, &f, "pool.supportxmr.com", 1, T0 + i * SEC);
        tcp_flow(&r, &f, PC, 42000, POOL, 443, T0 + i * SEC, SEC, TCP_SESSION);
        tls_sni(&r, &f, "gulf.moneroocean.stream", T0 + i * SEC);
    }
    /* look-alikes */
    struct ot_flow f;
    dns_flow(&r, &f, "192.168.1.70", 0, T0);
    dns_query(&r, &f, "supportxmr.com.example.net", 1, T0);
    dns_query(&r, &f, "notsupportxmr.com", 1, T0);
    dns_query(&r, &f, "www.binance.com", 1, T0);
    tls_sni(&r, &f, "nanopool.org.evil.example", T0);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 2);
    json_t *dns = get_sid(arr, 8108003), *sni = get_sid(arr, 8108002);
    assert_non_null(dns);
    assert_non_null(sni);
    assert_int_equal(alert_int(dns, "severity"), 3);
    assert_int_equal(alert_int(sni, "severity"), 2);
    assert_string_equal(ev_str(dns, "pool_host"), "pool.supportxmr.com");
    assert_string_equal(ev_str(dns, "pool_domain"), "supportxmr.com");
    assert_string_equal(ev_str(sni, "pool_host"), "gulf.moneroocean.stream");
    assert_string_equal(top_str(dns, "src_ip"), PC);
    json_decref(arr);
}

/* No labeler (nDPI off): flow ends are harmless. */
static void test_no_labeler(void **state)
{
    struct rig r;
    rig_init(&r, "cryptomining");
    rig_open(&r);
    struct ot_flow f;
    tcp_flow(&r, &f, PC, 40000, POOL, 8333, T0, SEC, TCP_SESSION);
    run_flow(&r, &f);
    json_t *arr = rig_close(&r);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xmrig_login),   cmocka_unit_test(test_stratum_variants),
        cmocka_unit_test(test_once_per_pool), cmocka_unit_test(test_not_stratum),
        cmocka_unit_test(test_pool_names),    cmocka_unit_test(test_no_labeler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
