/* The dispatcher: probing split first segments, replay to the chosen parser, giving up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto-harness.h"

static const char client_banner[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
static const char server_banner[] = "SSH-2.0-OpenSSH_8.4p1 Debian-5\r\n";

static const char *field(json_t *ev, const char *a, const char *b, const char *c)
{
    json_t *o = json_object_get(json_object_get(json_object_get(ev, a), b), c);
    return json_string_value(o);
}

/* A banner split after one byte is still recognised, and the parser sees it from byte 0. */
static void test_split_first_segment(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 22, 6, true), 0);
    ot_harness_feed(&h, 1, server_banner, 1);
    ot_harness_feed(&h, 1, server_banner + 1, 3);
    ot_harness_feed(&h, 1, server_banner + 4, strlen(server_banner) - 4);
    ot_harness_feed(&h, 0, client_banner, strlen(client_banner));
    assert_int_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_finish(&h);
    json_t *ev = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(field(e, "ssh", "server", "software_version"), "OpenSSH_8.4p1");
    assert_string_equal(field(e, "ssh", "client", "software_version"), "OpenSSH_9.2p1");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* Bytes held from both sides before the decision are replayed, in order. */
static void test_both_sides_held(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 22, 6, true), 0);
    ot_harness_feed(&h, 1, "SS", 2);
    ot_harness_feed(&h, 0, "SS", 2);
    ot_harness_feed(&h, 1, server_banner + 2, strlen(server_banner) - 2);
    ot_harness_feed(&h, 0, client_banner + 2, strlen(client_banner) - 2);
    assert_int_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_finish(&h);
    json_t *ev = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(field(e, "ssh", "server", "proto_version"), "2.0");
    assert_string_equal(field(e, "ssh", "client", "software_version"), "OpenSSH_9.2p1");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* Unknown binary traffic: the dispatcher stops probing and holds nothing afterwards. */
static void test_gives_up(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 9999, 6, true), 0);
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    for (int i = 0; i < 4; i++) {
        ot_harness_feed(&h, 0, junk, sizeof(junk));
        ot_harness_feed(&h, 1, junk, sizeof(junk));
    }
    assert_int_equal(h.flow.app_proto, OT_APP_UNKNOWN);
    assert_null(h.flow.app_state);
    assert_null(h.flow.parser);
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
}

/* A gap while probing drops what was held; probing goes on after it. */
static void test_gap_while_probing(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 22, 6, true), 0);
    ot_harness_feed(&h, 1, "XX", 2);
    ot_harness_gap(&h, 1, 100);
    ot_harness_feed(&h, 1, server_banner, strlen(server_banner));
    assert_int_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
}

/* The flow ends while probing: the held bytes are freed (ASan checks the leak). */
static void test_end_while_probing(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 22, 6, true), 0);
    ot_harness_feed(&h, 1, "S", 1);
    assert_non_null(h.flow.app_state);
    ot_harness_finish(&h);
    assert_null(h.flow.app_state);
    ot_harness_cleanup(&h);
}

/* A protocol that starts after unknown bytes (TLS after a STARTTLS-like exchange) is found. */
static void test_protocol_after_unknown_bytes(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 7777, 6, true), 0);
    uint8_t junk[40];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(0x30 + i * 7);
    ot_harness_feed(&h, 0, junk, sizeof(junk));
    ot_harness_feed(&h, 1, junk, 10);
    ot_harness_feed(&h, 1, server_banner, strlen(server_banner));
    assert_int_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_feed(&h, 0, client_banner, strlen(client_banner));
    ot_harness_finish(&h);
    json_t *ev = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(field(json_array_get(ev, 0), "ssh", "client", "software_version"),
                        "OpenSSH_9.2p1");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* A minimal TLS 1.2 ClientHello with one cipher suite and an SNI extension. */
static size_t client_hello(uint8_t *out, const char *sni)
{
    size_t nl = strlen(sni);
    uint8_t body[512];
    size_t b = 0;
    body[b++] = 0x03, body[b++] = 0x03; /* client version TLS 1.2 */
    for (int i = 0; i < 32; i++)
        body[b++] = (uint8_t)i;   /* random */
    body[b++] = 0;                /* session id */
    body[b++] = 0, body[b++] = 2; /* cipher suites */
    body[b++] = 0xc0, body[b++] = 0x2f;
    body[b++] = 1, body[b++] = 0; /* compression: null */
    size_t ext_len = 4 + 2 + 3 + nl;
    body[b++] = (uint8_t)(ext_len >> 8), body[b++] = (uint8_t)ext_len;
    body[b++] = 0, body[b++] = 0; /* server_name */
    body[b++] = (uint8_t)((nl + 5) >> 8), body[b++] = (uint8_t)(nl + 5);
    body[b++] = (uint8_t)((nl + 3) >> 8), body[b++] = (uint8_t)(nl + 3);
    body[b++] = 0; /* host_name */
    body[b++] = (uint8_t)(nl >> 8), body[b++] = (uint8_t)nl;
    memcpy(body + b, sni, nl);
    b += nl;
    size_t o = 0;
    out[o++] = 0x16, out[o++] = 0x03, out[o++] = 0x01;
    out[o++] = (uint8_t)((b + 4) >> 8), out[o++] = (uint8_t)(b + 4);
    out[o++] = 0x01, out[o++] = 0, out[o++] = (uint8_t)(b >> 8), out[o++] = (uint8_t)b;
    memcpy(out + o, body, b);
    return o + b;
}

/* SMTP STARTTLS accepted, then a ClientHello: the flow moves to the TLS parser. */
static void test_starttls_hands_over_to_tls(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.0.2.25", 25, 6, true), 0);
    static const char *const script[][2] = {
        {"1", "220 mail.example.com ESMTP\r\n"},           {"0", "EHLO pc\r\n"},
        {"1", "250-mail.example.com\r\n250 STARTTLS\r\n"}, {"0", "STARTTLS\r\n"},
        {"1", "220 2.0.0 Ready to start TLS\r\n"},
    };
    for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++)
        ot_harness_feed(&h, script[i][0][0] - '0', script[i][1], strlen(script[i][1]));
    assert_int_equal(h.flow.app_proto, OT_APP_SMTP);
    uint8_t hello[600];
    size_t n = client_hello(hello, "mail.example.com");
    ot_harness_feed(&h, 0, hello, n);
    assert_int_equal(h.flow.app_proto, OT_APP_TLS);
    assert_int_equal(h.flow.app_proto_orig, OT_APP_SMTP);
    ot_harness_finish(&h);
    json_t *tls = ot_harness_events(&h, "tls");
    assert_int_equal(json_array_size(tls), 1);
    json_t *e = json_array_get(tls, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "tls"), "sni")),
                        "mail.example.com");
    assert_string_equal(json_string_value(json_object_get(e, "app_proto_orig")), "smtp");
    json_decref(tls);
    json_t *smtp = ot_harness_events(&h, "smtp");
    assert_true(json_array_size(smtp) >= 1); /* the starttls event of the SMTP parser */
    json_decref(smtp);
    ot_harness_cleanup(&h);
}

/* Before STARTTLS is accepted, TLS-looking bytes do not take the flow away from SMTP. */
static void test_no_hand_over_without_starttls(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.0.2.25", 25, 6, true), 0);
    ot_harness_feed(&h, 1, "220 mail.example.com ESMTP\r\n", 28);
    uint8_t hello[600];
    size_t n = client_hello(hello, "evil.example");
    ot_harness_feed(&h, 0, hello, n);
    assert_int_equal(h.flow.app_proto, OT_APP_SMTP);
    ot_harness_finish(&h);
    json_t *tls = ot_harness_events(&h, "tls");
    assert_int_equal(json_array_size(tls), 0);
    json_decref(tls);
    ot_harness_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_first_segment),
        cmocka_unit_test(test_both_sides_held),
        cmocka_unit_test(test_gives_up),
        cmocka_unit_test(test_gap_while_probing),
        cmocka_unit_test(test_end_while_probing),
        cmocka_unit_test(test_protocol_after_unknown_bytes),
        cmocka_unit_test(test_starttls_hands_over_to_tls),
        cmocka_unit_test(test_no_hand_over_without_starttls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
