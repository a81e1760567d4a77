/*
 * POP3 parser: USER/PASS, APOP and AUTH (SASL) attempts field by field,
 * multi-line responses skipped, STLS, every split of the stream, malformed
 * and truncated input, bounds, probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

#define PROTO "pop3"
#define APP   OT_APP_POP3

extern const struct ot_proto_parser ot_proto_pop3;

#include "login-test.h"

static const struct step normal[] = {
    S("+OK Dovecot (Debian) ready.\r\n"),
    C("CAPA\r\n"),
    S("+OK\r\nCAPA\r\nTOP\r\nUSER\r\nSASL PLAIN LOGIN\r\nSTLS\r\n.\r\n"),
    C("USER bob\r\n"),
    S("+OK\r\n"),
    C("PASS s3cr3t\r\n"),
    S("+OK Logged in.\r\n"),
    C("STAT\r\n"),
    S("+OK 2 320\r\n"),
    C("LIST\r\n"),
    S("+OK 2 messages:\r\n1 120\r\n2 200\r\n.\r\n"),
    C("RETR 1\r\n"),
    S("+OK 120 octets\r\nSubject: x\r\n\r\n-ERR not a response\r\n+OK neither\r\n..stuffed\r\n"),
    S(".\r\n"),
    C("LIST 2\r\n"),
    S("+OK 2 200\r\n"),
    C("QUIT\r\n"),
    S("+OK Logging out.\r\n"),
};

static void test_normal(void **unused)
{
    struct run r;
    run(&r, normal, OT_ARRAY_SIZE(normal), 110, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_POP3);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *ev = json_array_get(r.events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "pop3");
    assert_string_equal(json_string_value(json_object_get(ev, "src_ip")), "10.0.0.1");
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "bob", "user", true, "success");
    assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 1);
    assert_true(json_is_false(json_object_get(o, "starttls")));
    assert_string_equal(str(o, "server_banner"), "+OK Dovecot (Debian) ready.");
    assert_null(strstr(r.raw, "s3cr3t"));
    run_free(&r);
}

static void test_splits(void **unused)
{
    check_splits(normal, OT_ARRAY_SIZE(normal), 110);
}

static const struct step brute[] = {
    S("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    C("USER admin\r\n"),
    S("+OK\r\n"),
    C("PASS 123456\r\n"),
    S("-ERR [AUTH] Authentication failed.\r\n"),
    C("USER nosuch\r\n"),
    S("-ERR no such user\r\n"),
    C("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
    S("-ERR permission denied\r\n"),
    C("USER admin\r\n"),
    S("+OK\r\n"),
    C("PASS admin\r\n"),
    S("+OK maildrop has 2 messages\r\n"),
};

static void test_bruteforce_apop(void **unused)
{
    struct run r;
    run(&r, brute, OT_ARRAY_SIZE(brute), 110, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 4);
    check_login_ev(ev_obj(r.events, 0), "login", "admin", "user", true, "failure");
    check_login_ev(ev_obj(r.events, 1), "login", "nosuch", "user", false, "failure");
    check_login_ev(ev_obj(r.events, 2), "login", "mrose", "apop", false, "failure");
    check_login_ev(ev_obj(r.events, 3), "login", "admin", "user", true, "success");
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_object_get(ev_obj(r.events, i), "attempt")),
                         i + 1);
    run_free(&r);
    check_splits(brute, OT_ARRAY_SIZE(brute), 110);
}

/* "\0bob\0s3cr3t" = AGJvYgBzM2NyM3Q=, "alice" = YWxpY2U=, "wrong" = d3Jvbmc= */
static const struct step sasl[] = {
    S("+OK ready\r\n"),
    C("AUTH\r\n"),
    S("+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n"),
    C("AUTH LOGIN\r\n"),
    S("+ VXNlcm5hbWU6\r\n"),
    C("YWxpY2U=\r\n"),
    S("+ UGFzc3dvcmQ6\r\n"),
    C("d3Jvbmc=\r\n"),
    S("-ERR [AUTH] Authentication failed.\r\n"),
    C("AUTH PLAIN\r\n"),
    S("+ \r\n"),
    C("AGJvYgBzM2NyM3Q=\r\n"),
    S("+OK Logged in.\r\n"),
};

static void test_sasl(void **unused)
{
    struct run r;
    run(&r, sasl, OT_ARRAY_SIZE(sasl), 110, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login_ev(ev_obj(r.events, 0), "login", "alice", "sasl-login", true, "failure");
    check_login_ev(ev_obj(r.events, 1), "login", "bob", "sasl-plain", true, "success");
    assert_null(strstr(r.raw, "s3cr3t"));
    run_free(&r);
    check_splits(sasl, OT_ARRAY_SIZE(sasl), 110);
}

static void test_sasl_ir_and_cancel(void **unused)
{
    static const struct step st[] = {
        S("+OK ready\r\n"),
        C("AUTH PLAIN AGJvYgBzM2NyM3Q=\r\n"),
        S("-ERR no\r\n"),
        C("AUTH CRAM-MD5\r\n"),
        S("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n"),
        C("*\r\n"),
        S("-ERR cancelled\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 110, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login_ev(ev_obj(r.events, 0), "login", "bob", "sasl-plain", true, "failure");
    check_login_ev(ev_obj(r.events, 1), "login", NULL, "sasl-cram-md5", false, "failure");
    run_free(&r);
}

static void test_stls(void **unused)
{
    static const struct step st[] = {
        S("+OK ready\r\n"),
        C("STLS\r\n"),
        S("+OK Begin TLS negotiation now.\r\n"),
        C("\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03USER a\r\nPASS b\r\n"),
        S("\x16\x03\x03\x00\x5a\x02\x00\x00\x56\r\n+OK\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 110, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "starttls", NULL, NULL, false, "unknown");
    assert_true(json_is_true(json_object_get(o, "starttls")));
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 110);
}

static void test_stls_refused_then_login(void **unused)
{
    static const struct step st[] = {
        S("+OK ready\r\n"), C("STLS\r\n"), S("-ERR not available\r\n"),
        C("USER u\r\n"),    S("+OK\r\n"),  C("PASS p\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 110, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login_ev(ev_obj(r.events, 0), "login", "u", "user", true, "unknown");
    run_free(&r);
}

static void test_not_pop3(void **unused)
{
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)((i * 131 + 7) % 251);
    for (size_t i = 40; i < sizeof(noise); i += 40)
        noise[i] = '\n';
    struct step st[] = {S("+OK ready\r\n"), {1, (const char *)noise, sizeof(noise)}};
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 110, 0, 0, 0);
    assert_int_equal(r.errors, 1);
    run_free(&r);
    st[1].dir = 0;
    run(&r, st, OT_ARRAY_SIZE(st), 110, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    run_free(&r);
}

static void test_truncated(void **unused)
{
    size_t n = steps_len(normal, OT_ARRAY_SIZE(normal));
    for (size_t cut = 1; cut < n; cut++) {
        struct step st[OT_ARRAY_SIZE(normal)];
        size_t k = steps_prefix(normal, OT_ARRAY_SIZE(normal), cut, st);
        struct run r;
        run(&r, st, k, 110, 0, 0, 0);
        assert_true(json_array_size(r.events) <= 1);
        assert_int_equal(r.errors, 0);
        run_free(&r);
    }
}

static void test_limits(void **unused)
{
    /* A big message (long lines, split) and a user name past every bound. */
    static char msg[200000];
    size_t n = (size_t)snprintf(msg, sizeof(msg), "+OK message follows\r\n");
    memset(msg + n, 'm', sizeof(msg) - n);
    for (size_t i = n + 5000; i < sizeof(msg); i += 5000) {
        msg[i] = '\r';
        msg[i + 1] = '\n';
    }
    memcpy(msg + sizeof(msg) - 5, "\r\n.\r\n", 5);
    static char user[5000];
    memcpy(user, "USER ", 5);
    memset(user + 5, 'u', sizeof(user) - 5);
    memcpy(user + sizeof(user) - 2, "\r\n", 2);
    struct step st[] = {
        S("+OK ready\r\n"), C("RETR 1\r\n"), {1, msg, sizeof(msg)}, {0, user, sizeof(user)},
        S("+OK\r\n"),       C("PASS x\r\n"), S("+OK\r\n"),
    };
    for (int pass = 0; pass < 3; pass++) {
        struct run r;
        run(&r, st, OT_ARRAY_SIZE(st), 110, pass == 1 ? 999 : 0, 0, pass == 2 ? 32 : 0);
        assert_int_equal(r.errors, 0);
        assert_int_equal(json_array_size(r.events), 1);
        json_t *o = ev_obj(r.events, 0);
        check_login_ev(o, "login", "*", "user", true, "success");
        assert_int_equal(strlen(str(o, "user")), pass == 2 ? 27 : 128);
        run_free(&r);
    }
}

#define FEED(h, dir, lit) ot_harness_feed(h, dir, lit, sizeof(lit) - 1)

static void test_gap(void **unused)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 110, 6, true), 0);
    FEED(&h, 1, "+OK ready\r\n");
    FEED(&h, 0, "RETR 1\r\n");
    FEED(&h, 1, "+OK\r\nline 1\r\nli");
    ot_harness_gap(&h, 1, 4000); /* lost inside the message */
    FEED(&h, 1, "ne 99\r\n+OK still body\r\n.\r\n");
    FEED(&h, 0, "USER x");
    ot_harness_gap(&h, 0, 10);
    FEED(&h, 0, "yz\r\nUSER carl\r\n");
    FEED(&h, 1, "+OK\r\n");
    FEED(&h, 0, "PASS p\r\n");
    FEED(&h, 1, "-ERR no\r\n");
    ot_harness_finish(&h);
    json_t *evs = ot_harness_events(&h, "pop3");
    assert_int_equal(json_array_size(evs), 1);
    check_login_ev(ev_obj(evs, 0), "login", "carl", "user", true, "failure");
    json_decref(evs);
    ot_harness_cleanup(&h);
}

static enum ot_probe_result probe(uint16_t port, int dir, const char *s, size_t n)
{
    return login_probe(&ot_proto_pop3, 40000, port, dir, s, n);
}
#define PROBE(port, dir, lit) probe(port, dir, lit, sizeof(lit) - 1)

static void test_probe(void **unused)
{
    assert_int_equal(PROBE(110, 1, "+OK Dovecot ready.\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(1110, 1, "+OK\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(110, 0, "USER bob\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(110, 0, "CAPA\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(110, 1, "+O"), OT_PROBE_MORE);
    assert_int_equal(PROBE(110, 1, "+OKAY"), OT_PROBE_NO);
    assert_int_equal(PROBE(1110, 0, "USER bob\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 1, "-ERR go away\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 1, "220 FTP ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 1, "220 mx ESMTP\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(143, 1, "* OK IMAP4rev1 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 0, "EHLO c\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(23, 1, "\xff\xfd\x18"), OT_PROBE_NO);
    assert_int_equal(PROBE(22, 1, "SSH-2.0-OpenSSH_9.2\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 0, "GET / HTTP/1.1\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(995, 0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc"), OT_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_bruteforce_apop),
        cmocka_unit_test(test_sasl),
        cmocka_unit_test(test_sasl_ir_and_cancel),
        cmocka_unit_test(test_stls),
        cmocka_unit_test(test_stls_refused_then_login),
        cmocka_unit_test(test_not_pop3),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
