/*
 * SMTP parser: AUTH PLAIN/LOGIN/CRAM-MD5/XOAUTH2 attempts field by field,
 * mail transactions (pipelined, DATA and BDAT bodies skipped), STARTTLS,
 * every split of the stream, malformed and truncated input, bounds, probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

#define PROTO "smtp"
#define APP   OT_APP_SMTP

extern const struct ot_proto_parser ot_proto_smtp;

#include "login-test.h"

/* AUTH PLAIN "\0bob\0s3cr3t" = AGJvYgBzM2NyM3Q= */
static const struct step normal[] = {
    S("220 mx.example.com ESMTP Postfix (Debian/GNU)\r\n"),
    C("EHLO client.example.org\r\n"),
    S("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n"
      "250 8BITMIME\r\n"),
    C("AUTH PLAIN AGJvYgBzM2NyM3Q=\r\n"),
    S("235 2.7.0 Authentication successful\r\n"),
    C("MAIL FROM:<bob@example.org> SIZE=120\r\n"),
    S("250 2.1.0 Ok\r\n"),
    C("RCPT TO:<alice@example.com>\r\n"),
    S("250 2.1.5 Ok\r\n"),
    C("RCPT TO:<carol@example.com> NOTIFY=NEVER\r\n"),
    S("250 2.1.5 Ok\r\n"),
    C("DATA\r\n"),
    S("354 End data with <CR><LF>.<CR><LF>\r\n"),
    C("Subject: hi\r\n\r\nAUTH PLAIN AGV2ZQBldmU=\r\n..dot-stuffed\r\n.x\r\nEHLO evil\r\n"),
    C("last line\r\n.\r\n"),
    S("250 2.0.0 Ok: queued as 12345\r\n"),
    C("QUIT\r\n"),
    S("221 2.0.0 Bye\r\n"),
};

static void test_normal(void **unused)
{
    struct run r;
    run(&r, normal, OT_ARRAY_SIZE(normal), 25, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_SMTP);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 2);
    json_t *ev = json_array_get(r.events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "smtp");
    assert_string_equal(json_string_value(json_object_get(ev, "src_ip")), "10.0.0.1");
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "bob", "sasl-plain", true, "success");
    assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 1);
    assert_true(json_is_false(json_object_get(o, "starttls")));
    assert_string_equal(str(o, "server_banner"), "220 mx.example.com ESMTP Postfix (Debian/GNU)");
    assert_string_equal(str(o, "helo"), "client.example.org");

    o = ev_obj(r.events, 1);
    check_login_ev(o, "mail", "bob", "sasl-plain", true, "success");
    assert_null(json_object_get(o, "attempt"));
    assert_string_equal(str(o, "helo"), "client.example.org");
    assert_string_equal(str(o, "mail_from"), "bob@example.org");
    json_t *rc = json_object_get(o, "rcpt_to");
    assert_int_equal(json_array_size(rc), 2);
    assert_string_equal(json_string_value(json_array_get(rc, 0)), "alice@example.com");
    assert_string_equal(json_string_value(json_array_get(rc, 1)), "carol@example.com");
    assert_int_equal(json_integer_value(json_object_get(o, "rcpt_count")), 2);
    assert_true(json_is_true(json_object_get(o, "complete")));
    assert_null(strstr(r.raw, "s3cr3t"));
    assert_null(strstr(r.raw, "AGJvYgBzM2NyM3Q"));
    run_free(&r);
}

static void test_splits(void **unused)
{
    check_splits(normal, OT_ARRAY_SIZE(normal), 25);
}

/* "alice" = YWxpY2U=, "wrong" = d3Jvbmc=, "right" = cmlnaHQ= */
static const struct step login[] = {
    S("220 smtp.example.com ESMTP\r\n"),
    C("EHLO [10.0.0.1]\r\n"),
    S("250-smtp.example.com\r\n250 AUTH LOGIN CRAM-MD5\r\n"),
    C("AUTH LOGIN\r\n"),
    S("334 VXNlcm5hbWU6\r\n"),
    C("YWxpY2U=\r\n"),
    S("334 UGFzc3dvcmQ6\r\n"),
    C("d3Jvbmc=\r\n"),
    S("535 5.7.8 Error: authentication failed\r\n"),
    C("AUTH LOGIN YWxpY2U=\r\n"),
    S("334 UGFzc3dvcmQ6\r\n"),
    C("cmlnaHQ=\r\n"),
    S("235 2.7.0 Authentication successful\r\n"),
};

static void test_auth_login(void **unused)
{
    struct run r;
    run(&r, login, OT_ARRAY_SIZE(login), 587, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login_ev(ev_obj(r.events, 0), "login", "alice", "sasl-login", true, "failure");
    check_login_ev(ev_obj(r.events, 1), "login", "alice", "sasl-login", true, "success");
    assert_int_equal(json_integer_value(json_object_get(ev_obj(r.events, 1), "attempt")), 2);
    assert_string_equal(str(ev_obj(r.events, 1), "helo"), "[10.0.0.1]");
    run_free(&r);
    check_splits(login, OT_ARRAY_SIZE(login), 587);
}

static void test_cram_md5_and_cancel(void **unused)
{
    /* "bob 0123456789abcdef0123456789abcdef" */
    static const struct step st[] = {
        S("220 smtp.example.com ESMTP\r\n"),
        C("EHLO c\r\n"),
        S("250 AUTH CRAM-MD5 LOGIN\r\n"),
        C("AUTH CRAM-MD5\r\n"),
        S("334 PDQxOTI5NDIzNDEwLjE2NzkwMDA4OTZAc210cC5leGFtcGxlLmNvbT4=\r\n"),
        C("Ym9iIDAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm\r\n"),
        S("235 2.7.0 ok\r\n"),
        C("AUTH LOGIN\r\n"),
        S("334 VXNlcm5hbWU6\r\n"),
        C("*\r\n"),
        S("501 5.7.0 Authentication aborted\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 25, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login_ev(ev_obj(r.events, 0), "login", "bob", "sasl-cram-md5", false, "success");
    check_login_ev(ev_obj(r.events, 1), "login", NULL, "sasl-login", false, "failure");
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 25);
}

static void test_xoauth2_and_unknown_mech(void **unused)
{
    /* "user=bob@example.com\1auth=Bearer ya29.token\1\1" */
    static const struct step st[] = {
        S("220 smtp.gmail.com ESMTP\r\n"),
        C("EHLO c\r\n"),
        S("250 AUTH XOAUTH2 GSSAPI\r\n"),
        C("AUTH XOAUTH2 dXNlcj1ib2JAZXhhbXBsZS5jb20BYXV0aD1CZWFyZXIgeWEyOS50b2tlbgEB\r\n"),
        S("235 2.7.0 Accepted\r\n"),
        C("AUTH GSSAPI\r\n"),
        S("334 \r\n"),
        C("YIIBfwYJKoZIhvcSAQICAQBuggFuMIIBaqADAgEFoQMCAQ6iBwMFACAAAACjgd==\r\n"),
        S("535 5.7.8 no\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 587, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login_ev(ev_obj(r.events, 0), "login", "bob@example.com", "sasl-xoauth2", true,
                   "success");
    check_login_ev(ev_obj(r.events, 1), "login", NULL, "sasl-gssapi", false, "failure");
    assert_null(strstr(r.raw, "ya29"));
    run_free(&r);
}

static void test_starttls(void **unused)
{
    static const struct step st[] = {
        S("220 mx.example.com ESMTP\r\n"),
        C("EHLO relay.example.net\r\n"),
        S("250-mx.example.com\r\n250 STARTTLS\r\n"),
        C("STARTTLS\r\n"),
        S("220 2.0.0 Ready to start TLS\r\n"),
        C("\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03"
          "AUTH PLAIN AGJvYgBzM2NyM3Q=\r\n"),
        S("\x16\x03\x03\x00\x5a\x02\x00\x00\x56\r\n235 ok\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 25, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "starttls", NULL, NULL, false, "unknown");
    assert_true(json_is_true(json_object_get(o, "starttls")));
    assert_string_equal(str(o, "helo"), "relay.example.net");
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 25);
}

static void test_pipelining_and_bdat(void **unused)
{
    static const struct step st[] = {
        S("220 mx.example.com ESMTP\r\n"),
        C("EHLO c.example\r\n"),
        S("250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"),
        C("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@z>\r\nDATA\r\n"),
        S("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
        C("body\r\n.\r\n"),
        S("250 queued\r\n"),
        C("MAIL FROM:<>\r\nRCPT TO:<postmaster@y>\r\nBDAT 15 LAST\r\n.\r\nAUTH LOGIN\r\n"),
        S("250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n"),
        C("RSET\r\n"),
        S("250 ok\r\n"),
        C("MAIL FROM:<spam@x>\r\nRCPT TO:<nobody@y>\r\n"),
        S("250 ok\r\n550 5.1.1 no such user\r\n"),
        C("RSET\r\n"),
        S("250 ok\r\n"),
        C("MAIL FROM:<spam2@x>\r\n"),
        S("250 ok\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 25, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 4);
    /* Abandoned by RSET, then by the end of the flow. */
    json_t *a = ev_obj(r.events, 2);
    assert_string_equal(str(a, "mail_from"), "spam@x");
    assert_int_equal(json_integer_value(json_object_get(a, "rcpt_count")), 1);
    assert_true(json_is_false(json_object_get(a, "complete")));
    a = ev_obj(r.events, 3);
    assert_string_equal(str(a, "mail_from"), "spam2@x");
    assert_int_equal(json_integer_value(json_object_get(a, "rcpt_count")), 0);
    assert_true(json_is_false(json_object_get(a, "complete")));
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "mail", NULL, NULL, false, "unknown");
    assert_string_equal(str(o, "mail_from"), "a@x");
    assert_int_equal(json_array_size(json_object_get(o, "rcpt_to")), 2);
    assert_true(json_is_true(json_object_get(o, "complete")));
    o = ev_obj(r.events, 1);
    check_login_ev(o, "mail", NULL, NULL, false, "unknown");
    assert_string_equal(str(o, "mail_from"), "");
    assert_true(json_is_true(json_object_get(o, "complete")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "rcpt_to"), 0)),
                        "postmaster@y");
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 25);
}

static void test_data_rejected(void **unused)
{
    /* DATA refused: the next lines are commands again, not a body. */
    static const struct step st[] = {
        S("220 mx ESMTP\r\n"),
        C("HELO c\r\n"),
        S("250 mx\r\n"),
        C("DATA\r\n"),
        S("554 no valid recipients\r\n"),
        C("AUTH PLAIN AGJvYgBwdw==\r\n"),
        S("535 no\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 25, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login_ev(ev_obj(r.events, 0), "login", "bob", "sasl-plain", true, "failure");
    run_free(&r);
}

static void test_client_does_not_wait(void **unused)
{
    /* The client writes its whole transaction before any reply; and one side only. */
    static const struct step st[] = {
        C("EHLO c.example\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: s\r\n\r\n"
          "AUTH PLAIN AGJvYgBwdw==\r\n.\r\nQUIT\r\n"),
        S("220 mx ESMTP\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 25, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "mail", NULL, NULL, false, "unknown");
    assert_string_equal(str(o, "helo"), "c.example");
    assert_string_equal(str(o, "mail_from"), "a@x");
    run_free(&r);
    run(&r, st, 1, 25, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 25);
}

static void test_limits(void **unused)
{
    /* 20 recipients: 16 kept, all counted; a long body in pieces; a long address. */
    static char rcpts[20 * 32];
    size_t n = 0;
    for (int i = 0; i < 20; i++)
        n +=
            (size_t)snprintf(rcpts + n, sizeof(rcpts) - n, "RCPT TO:<user%02d@example.com>\r\n", i);
    static char body[100000];
    memset(body, 'x', sizeof(body));
    for (size_t i = 70; i < sizeof(body); i += 72) {
        body[i] = '\r';
        body[i + 1] = '\n';
    }
    memcpy(body + sizeof(body) - 5, "\r\n.\r\n", 5);
    static char longfrom[3000];
    memcpy(longfrom, "MAIL FROM:<", 11);
    memset(longfrom + 11, 'f', sizeof(longfrom) - 11);
    memcpy(longfrom + sizeof(longfrom) - 4, ">\r\n", 3);
    struct step st[] = {
        S("220 mx ESMTP\r\n"),
        {0, longfrom, sizeof(longfrom) - 1},
        {0, rcpts, n},
        C("DATA\r\n"),
        S("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"
          "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"
          "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
        {0, body, sizeof(body)},
        S("250 ok\r\n"),
    };
    for (int pass = 0; pass < 3; pass++) {
        struct run r;
        run(&r, st, OT_ARRAY_SIZE(st), 25, pass == 1 ? 1000 : 0, 0, pass == 2 ? 64 : 0);
        assert_int_equal(r.errors, 0);
        assert_int_equal(json_array_size(r.events), 1);
        json_t *o = ev_obj(r.events, 0);
        assert_int_equal(json_array_size(json_object_get(o, "rcpt_to")), 16);
        assert_int_equal(json_integer_value(json_object_get(o, "rcpt_count")), 20);
        assert_int_equal(strlen(str(o, "mail_from")), pass == 2 ? 53 : 256);
        run_free(&r);
    }
}

static void test_not_smtp_replies(void **unused)
{
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)((i * 131 + 7) % 251);
    for (size_t i = 40; i < sizeof(noise); i += 40)
        noise[i] = '\n';
    struct step st[] = {S("220 mx ESMTP\r\n"), {1, (const char *)noise, sizeof(noise)}};
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 25, 0, 0, 0);
    assert_int_equal(r.errors, 1);
    run_free(&r);
    st[1].dir = 0;
    run(&r, st, OT_ARRAY_SIZE(st), 25, 0, 0, 0);
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
        run(&r, st, k, 25, 0, 0, 0);
        assert_true(json_array_size(r.events) <= 2);
        assert_int_equal(r.errors, 0);
        run_free(&r);
    }
}

#define FEED(h, dir, lit) ot_harness_feed(h, dir, lit, sizeof(lit) - 1)

static void test_gap(void **unused)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 25, 6, true), 0);
    FEED(&h, 1, "220 mx ESMTP\r\n");
    FEED(&h, 0, "MAIL FROM:<a@b>\r\nDATA\r\n");
    FEED(&h, 1, "250 ok\r\n354 go\r\n");
    FEED(&h, 0, "line one\r\nline");
    ot_harness_gap(&h, 0, 5000); /* lost inside the body */
    FEED(&h, 0, "tail\r\n.\r\nAUTH PLAIN AGJvYgBwdw==\r\n");
    FEED(&h, 1, "250 ok\r\n535 no\r\n");
    ot_harness_gap(&h, 1, 3);
    ot_harness_finish(&h);
    json_t *evs = ot_harness_events(&h, "smtp");
    assert_int_equal(json_array_size(evs), 2);
    check_login_ev(ev_obj(evs, 0), "mail", NULL, NULL, false, "unknown");
    check_login_ev(ev_obj(evs, 1), "login", "bob", "sasl-plain", true, "failure");
    json_decref(evs);
    ot_harness_cleanup(&h);
}

static enum ot_probe_result probe(uint16_t port, int dir, const char *s, size_t n)
{
    return login_probe(&ot_proto_smtp, 40000, port, dir, s, n);
}
#define PROBE(port, dir, lit) probe(port, dir, lit, sizeof(lit) - 1)

static void test_probe(void **unused)
{
    assert_int_equal(PROBE(25, 1, "220 mx.example.com ESMTP Postfix\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8025, 1, "220-mx.example.com ESMTP\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(2525, 1, "220 mail ready\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(587, 1, "220 ***************\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(1234, 0, "EHLO client\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(1234, 0, "helo client\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(25, 0, "MAIL FROM:<a@b>\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(25, 1, "22"), OT_PROBE_MORE);
    assert_int_equal(PROBE(25, 0, "EH"), OT_PROBE_MORE);
    /* FTP greets with 220 too. */
    assert_int_equal(PROBE(21, 1, "220 ProFTPD Server ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 1, "220 FTP server ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 1, "220 Welcome\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(1234, 1, "220 Welcome\r\n"), OT_PROBE_NO);
    /* Other protocols. */
    assert_int_equal(PROBE(1234, 0, "MAIL FROM:<a@b>\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 0, "USER bob\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 1, "+OK POP3 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(143, 1, "* OK IMAP4rev1 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(23, 1, "\xff\xfd\x18"), OT_PROBE_NO);
    assert_int_equal(PROBE(22, 1, "SSH-2.0-OpenSSH_9.2\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 0, "GET / HTTP/1.1\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(465, 0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 1, "554 go away\r\n"), OT_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_auth_login),
        cmocka_unit_test(test_cram_md5_and_cancel),
        cmocka_unit_test(test_xoauth2_and_unknown_mech),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_pipelining_and_bdat),
        cmocka_unit_test(test_data_rejected),
        cmocka_unit_test(test_client_does_not_wait),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_not_smtp_replies),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
