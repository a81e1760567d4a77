/*
 * IMAP parser: LOGIN (atoms, quoted strings, literals, LITERAL+) and
 * AUTHENTICATE (SASL) attempts matched by tag, literals skipped both ways,
 * STARTTLS, every split of the stream, malformed and truncated input,
 * bounds, probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

#define PROTO "imap"
#define APP   OT_APP_IMAP

extern const struct ot_proto_parser ot_proto_imap;

#include "login-test.h"

static const struct step normal[] = {
    S("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR STARTTLS AUTH=PLAIN] Dovecot ready.\r\n"),
    C("a001 CAPABILITY\r\n"),
    S("* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR STARTTLS AUTH=PLAIN\r\na001 OK done\r\n"),
    C("a002 LOGIN bob \"s3cr3t pw\"\r\n"),
    S("a002 OK [CAPABILITY IMAP4rev1] Logged in\r\n"),
    C("a003 SELECT INBOX\r\n"),
    S("* 2 EXISTS\r\n* FLAGS (\\Seen)\r\na003 OK [READ-WRITE] Select completed.\r\n"),
    C("a004 FETCH 1 BODY[]\r\n"),
    S("* 1 FETCH (BODY[] {40}\r\nSubject: x\r\n\r\na002 NO fake\r\n* BYE fake\r\n)\r\n"),
    S("a004 OK Fetch completed.\r\n"),
    C("a005 LOGOUT\r\n"),
    S("* BYE Logging out\r\na005 OK Logout completed.\r\n"),
};

static void test_normal(void **unused)
{
    struct run r;
    run(&r, normal, OT_ARRAY_SIZE(normal), 143, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IMAP);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *ev = json_array_get(r.events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "imap");
    assert_string_equal(json_string_value(json_object_get(ev, "src_ip")), "10.0.0.1");
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "bob", "login", true, "success");
    assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 1);
    assert_true(json_is_false(json_object_get(o, "starttls")));
    assert_string_equal(
        str(o, "server_banner"),
        "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR STARTTLS AUTH=PLAIN] Dovecot ready.");
    assert_null(strstr(r.raw, "s3cr3t"));
    run_free(&r);
}

static void test_splits(void **unused)
{
    check_splits(normal, OT_ARRAY_SIZE(normal), 143);
}

static const struct step literals[] = {
    S("* OK IMAP4rev1 ready\r\n"),
    C("a1 LOGIN {5}\r\n"),
    S("+ Ready for literal data\r\n"),
    C("alice {6}\r\n"),
    S("+ Ready for literal data\r\n"),
    C("secret\r\n"),
    S("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
    C("a2 LOGIN \"ca\\\"rol\" \"p\\\\w\"\r\n"),
    S("a2 BAD wrong\r\n"),
    C("a3 LOGIN {0}\r\n {0}\r\n\r\n"),
    S("a3 NO empty\r\n"),
    C("a4 LOGIN {3+}\r\nbob {2+}\r\npw\r\n"),
    S("a4 OK Logged in\r\n"),
    C("a5 LOGIN {3+}\r\neve {2+}\r\npw\r\n"),
    S("a5 OK after a login: not read\r\n"),
};

static void test_literals_and_quoting(void **unused)
{
    struct run r;
    run(&r, literals, OT_ARRAY_SIZE(literals), 143, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 4);
    check_login_ev(ev_obj(r.events, 0), "login", "alice", "login", true, "failure");
    check_login_ev(ev_obj(r.events, 1), "login", "ca\"rol", "login", true, "failure");
    check_login_ev(ev_obj(r.events, 2), "login", NULL, "login", false, "failure");
    check_login_ev(ev_obj(r.events, 3), "login", "bob", "login", true, "success");
    assert_null(strstr(r.raw, "secret"));
    run_free(&r);
    check_splits(literals, OT_ARRAY_SIZE(literals), 143);
}

/* "\0bob\0s3cr3t" = AGJvYgBzM2NyM3Q=, "alice" = YWxpY2U=, "right" = cmlnaHQ= */
static const struct step sasl[] = {
    S("* OK ready\r\n"),
    C("a1 AUTHENTICATE PLAIN\r\n"),
    S("+ \r\n"),
    C("AGJvYgBzM2NyM3Q=\r\n"),
    S("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
    C("a2 AUTHENTICATE PLAIN AGJvYgBzM2NyM3Q=\r\n"),
    S("a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
    C("a3 AUTHENTICATE LOGIN\r\n"),
    S("+ VXNlcm5hbWU6\r\n"),
    C("YWxpY2U=\r\n"),
    S("+ UGFzc3dvcmQ6\r\n"),
    C("cmlnaHQ=\r\n"),
    S("* CAPABILITY IMAP4rev1\r\na3 OK Logged in\r\n"),
};

static void test_authenticate(void **unused)
{
    struct run r;
    run(&r, sasl, OT_ARRAY_SIZE(sasl), 143, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 3);
    check_login_ev(ev_obj(r.events, 0), "login", "bob", "sasl-plain", true, "failure");
    check_login_ev(ev_obj(r.events, 1), "login", "bob", "sasl-plain", true, "failure");
    check_login_ev(ev_obj(r.events, 2), "login", "alice", "sasl-login", true, "success");
    run_free(&r);
    check_splits(sasl, OT_ARRAY_SIZE(sasl), 143);
}

static void test_starttls(void **unused)
{
    static const struct step st[] = {
        S("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"),
        C("a1 STARTTLS\r\n"),
        S("a1 OK Begin TLS negotiation now.\r\n"),
        C("\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03"
          "a2 LOGIN u p\r\n"),
        S("\x16\x03\x03\x00\x5a\x02\x00\x00\x56\r\na2 OK\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 143, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "starttls", NULL, NULL, false, "unknown");
    assert_true(json_is_true(json_object_get(o, "starttls")));
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 143);
}

static void test_tags_and_append(void **unused)
{
    /* Responses are matched by tag; an APPEND literal is message text, not commands. */
    static const struct step st[] = {
        S("* OK ready\r\n"),
        C("a1 NOOP\r\na2 LOGIN u p\r\n"),
        S("a1 OK NOOP done\r\n"),
        S("a2 NO wrong\r\n"),
        C("a3 STARTTLS\r\n"),
        S("a3 BAD not now\r\n"),
        C("a4 APPEND INBOX {37+}\r\na5 LOGIN evil pw\r\na5 AUTHENTICATE X\r\n\r\n"),
        S("a5 OK fake\r\na4 OK appended\r\n"),
        C("a6 LOGIN u2 p2\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 143, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login_ev(ev_obj(r.events, 0), "login", "u", "login", true, "failure");
    check_login_ev(ev_obj(r.events, 1), "login", "u2", "login", true, "unknown");
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 143);
}

static void test_preauth_and_bye(void **unused)
{
    static const struct step st[] = {
        S("* PREAUTH IMAP4rev1 server logged in as Smith\r\n"),
        C("a1 SELECT INBOX\r\n"),
        S("a1 OK done\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 143, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IMAP);
    assert_int_equal(json_array_size(r.events), 0);
    run_free(&r);
}

static void test_not_imap(void **unused)
{
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)((i * 131 + 7) % 251);
    for (size_t i = 40; i < sizeof(noise); i += 40)
        noise[i] = '\n';
    struct step st[] = {S("* OK ready\r\n"), {1, (const char *)noise, sizeof(noise)}};
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 143, 0, 0, 0);
    assert_int_equal(r.errors, 1);
    run_free(&r);
    st[1].dir = 0;
    run(&r, st, OT_ARRAY_SIZE(st), 143, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    run_free(&r);
}

static void test_truncated(void **unused)
{
    size_t n = steps_len(literals, OT_ARRAY_SIZE(literals));
    for (size_t cut = 1; cut < n; cut++) {
        struct step st[OT_ARRAY_SIZE(literals)];
        size_t k = steps_prefix(literals, OT_ARRAY_SIZE(literals), cut, st);
        struct run r;
        run(&r, st, k, 143, 0, 0, 0);
        assert_true(json_array_size(r.events) <= 4);
        assert_int_equal(r.errors, 0);
        run_free(&r);
    }
}

static void test_limits(void **unused)
{
    /* A huge literal user name; a huge FETCH literal; a literal size past any buffer. */
    static char big[300000];
    memset(big, 'b', sizeof(big));
    memcpy(big + 1000, "\r\na9 OK fake\r\n", 14);
    struct step st[] = {
        S("* OK ready\r\n"),
        C("a1 FETCH 1 BODY[]\r\n"),
        S("* 1 FETCH (BODY[] {300000}\r\n"),
        {1, big, sizeof(big)},
        S(")\r\na1 OK done\r\n"),
        C("a2 LOGIN {300000}\r\n"),
        {0, big, sizeof(big)},
        C(" pw\r\n"),
        S("a2 NO bad\r\n"),
        C("a3 LOGIN u {99999999999}\r\n"),
    };
    for (int pass = 0; pass < 3; pass++) {
        struct run r;
        run(&r, st, OT_ARRAY_SIZE(st), 143, pass == 1 ? 4096 : 0, 0, pass == 2 ? 64 : 0);
        assert_int_equal(r.errors, 0);
        assert_int_equal(json_array_size(r.events), 2);
        json_t *o = ev_obj(r.events, 0);
        check_login_ev(o, "login", "*", "login", true, "failure");
        assert_int_equal(strlen(str(o, "user")), 128);
        check_login_ev(ev_obj(r.events, 1), "login", "u", "login", false, "unknown");
        run_free(&r);
    }
}

#define FEED(h, dir, lit) ot_harness_feed(h, dir, lit, sizeof(lit) - 1)

static void test_gap(void **unused)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 143, 6, true), 0);
    FEED(&h, 1, "* OK ready\r\n");
    FEED(&h, 0, "a1 FETCH 1 BODY[]\r\n");
    FEED(&h, 1, "* 1 FETCH (BODY[] {100}\r\n0123456789");
    ot_harness_gap(&h, 1, 80); /* lost inside the literal */
    FEED(&h, 1, "0123456789)\r\na1 OK done\r\n");
    FEED(&h, 0, "a2 LOGIN x");
    ot_harness_gap(&h, 0, 10);
    FEED(&h, 0, "y z\r\na3 LOGIN dan pw\r\n");
    FEED(&h, 1, "a3 NO no\r\n");
    ot_harness_finish(&h);
    json_t *evs = ot_harness_events(&h, "imap");
    assert_int_equal(json_array_size(evs), 1);
    check_login_ev(ev_obj(evs, 0), "login", "dan", "login", true, "failure");
    json_decref(evs);
    ot_harness_cleanup(&h);
}

static enum ot_probe_result probe(uint16_t port, int dir, const char *s, size_t n)
{
    return login_probe(&ot_proto_imap, 40000, port, dir, s, n);
}
#define PROBE(port, dir, lit) probe(port, dir, lit, sizeof(lit) - 1)

static void test_probe(void **unused)
{
    assert_int_equal(PROBE(143, 1, "* OK [CAPABILITY IMAP4rev1] ready\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(1143, 1, "* OK ready\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(1143, 1, "* PREAUTH ready\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(1143, 0, "a1 CAPABILITY\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(1143, 0, "A001 AUTHENTICATE PLAIN\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(143, 0, "a1 LOGIN u p\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(143, 1, "* O"), OT_PROBE_MORE);
    assert_int_equal(PROBE(1143, 0, "a1 LOGIN u p\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(143, 1, "* BAD hello\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 1, "220 FTP ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 1, "220 mx ESMTP\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 1, "+OK POP3 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 0, "EHLO c\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 0, "USER bob\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(23, 1, "\xff\xfd\x18"), OT_PROBE_NO);
    assert_int_equal(PROBE(22, 1, "SSH-2.0-OpenSSH_9.2\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(143, 0, "GET / HTTP/1.1\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(993, 0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc"), OT_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_literals_and_quoting),
        cmocka_unit_test(test_authenticate),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_tags_and_append),
        cmocka_unit_test(test_preauth_and_bye),
        cmocka_unit_test(test_not_imap),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
