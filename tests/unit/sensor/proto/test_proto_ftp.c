/*
 * FTP login parser: field by field, every split of the stream, brute force
 * over one connection, AUTH TLS, malformed and truncated input, bounds, probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_ftp;

#define PROTO "ftp"
#define APP   OT_APP_FTP

#include "login-test.h"

static void check_login(json_t *o, const char *user, bool clear, const char *result)
{
    assert_string_equal(str(o, "type"), "login");
    if (user)
        assert_string_equal(str(o, "user"), user);
    else
        assert_null(json_object_get(o, "user"));
    assert_string_equal(str(o, "auth_method"), "user");
    assert_true(json_is_boolean(json_object_get(o, "password_in_clear")));
    assert_int_equal(json_is_true(json_object_get(o, "password_in_clear")), clear);
    assert_string_equal(str(o, "login_result"), result);
    assert_true(json_is_false(json_object_get(o, "starttls")));
}

static const struct step normal[] = {
    S("220 ProFTPD 1.3.5 Server (Debian) [::ffff:10.0.0.2]\r\n"),
    C("USER bob\r\n"),
    S("331 Password required for bob\r\n"),
    C("PASS s3cr3t-pw\r\n"),
    S("230 User bob logged in\r\n"),
    C("SYST\r\n"),
    S("215 UNIX Type: L8\r\n"),
    C("QUIT\r\n"),
    S("221 Goodbye.\r\n"),
};

static void test_normal(void **unused)
{
    struct run r;
    run(&r, normal, OT_ARRAY_SIZE(normal), 21, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_FTP);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *ev = json_array_get(r.events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "ftp");
    assert_string_equal(json_string_value(json_object_get(ev, "src_ip")), "10.0.0.1");
    assert_int_equal(json_integer_value(json_object_get(ev, "dest_port")), 21);
    json_t *o = ev_obj(r.events, 0);
    check_login(o, "bob", true, "success");
    assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 1);
    assert_string_equal(str(o, "server_banner"),
                        "220 ProFTPD 1.3.5 Server (Debian) [::ffff:10.0.0.2]");
    assert_null(strstr(r.raw, "s3cr3t")); /* never the password */
    run_free(&r);
}

static void test_splits(void **unused)
{
    check_splits(normal, OT_ARRAY_SIZE(normal), 21);
}

static const struct step brute[] = {
    S("220 (vsFTPd 3.0.3)\r\n"),
    C("USER admin\r\n"),
    S("331 Please specify the password.\r\n"),
    C("PASS 123456\r\n"),
    S("530 Login incorrect.\r\n"),
    C("USER admin\r\n"),
    S("331 Please specify the password.\r\n"),
    C("PASS password\r\n"),
    S("530 Login incorrect.\r\n"),
    C("USER root\r\n"),
    S("331 Please specify the password.\r\n"),
    C("PASS toor\r\n"),
    S("230 Login successful.\r\n"),
};

static void test_bruteforce(void **unused)
{
    struct run r;
    run(&r, brute, OT_ARRAY_SIZE(brute), 2121, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 3);
    check_login(ev_obj(r.events, 0), "admin", true, "failure");
    check_login(ev_obj(r.events, 1), "admin", true, "failure");
    check_login(ev_obj(r.events, 2), "root", true, "success");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(json_integer_value(json_object_get(ev_obj(r.events, i), "attempt")),
                         i + 1);
    run_free(&r);
    check_splits(brute, OT_ARRAY_SIZE(brute), 2121);
}

static void test_anonymous_multiline(void **unused)
{
    static const struct step st[] = {
        S("220-Welcome to the archive\r\n220-Be nice\r\n220 ready\r\n"),
        C("user anonymous\r\n"),
        S("331 Guest login ok, send your email address as password.\r\n"),
        C("pass guest@example.com\r\n"),
        S("230-Welcome, archive user!\r\n 230 this line is text\r\n230 Guest login ok.\r\n"),
        C("PWD\r\n"),
        S("257 \"/\"\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    check_login(o, "anonymous", true, "success");
    assert_string_equal(str(o, "server_banner"), "220-Welcome to the archive");
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 21);
}

static void test_auth_tls(void **unused)
{
    static const struct step st[] = {
        S("220 FTP server ready\r\n"),
        C("AUTH TLS\r\n"),
        S("234 AUTH TLS successful\r\n"),
        C("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03USER x\r\nPASS y\r\n"),
        S("\x16\x03\x03\x00\x5a\x02\x00\x00\x56\r\n230 \r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    assert_string_equal(str(o, "type"), "starttls");
    assert_true(json_is_true(json_object_get(o, "starttls")));
    assert_true(json_is_false(json_object_get(o, "password_in_clear")));
    assert_string_equal(str(o, "login_result"), "unknown");
    assert_null(json_object_get(o, "user"));
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 21);
}

static void test_auth_tls_refused(void **unused)
{
    static const struct step st[] = {
        S("220 FTP server ready\r\n"), C("AUTH TLS\r\n"),     S("500 AUTH not understood\r\n"),
        C("USER carol\r\n"),           S("331 Password\r\n"), C("PASS pw\r\n"),
        S("530 Not logged in.\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login(ev_obj(r.events, 0), "carol", true, "failure");
    run_free(&r);
}

static void test_user_only_then_close(void **unused)
{
    static const struct step st[] = {
        S("220 FTP server ready\r\n"),
        C("USER dave\r\n"),
        S("331 Password required\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login(ev_obj(r.events, 0), "dave", false, "unknown");
    run_free(&r);
}

static void test_user_rejected_and_no_password_needed(void **unused)
{
    static const struct step st[] = {
        S("220 FTP server ready\r\n"),    C("USER nobody\r\n"),
        S("530 User nobody unknown\r\n"), C("USER ftp\r\n"),
        S("230 Logged in\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login(ev_obj(r.events, 0), "nobody", false, "failure");
    check_login(ev_obj(r.events, 1), "ftp", false, "success");
    run_free(&r);
}

static void test_pass_without_user(void **unused)
{
    /* A PASS whose USER was never seen still is a password in clear. */
    static const struct step st[] = {
        S("220 FTP ready\r\n"),         C("PASS y\r\n"), S("230 ok\r\n"), C("PASS z\r\n"),
        S("503 Already logged in\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login(ev_obj(r.events, 0), NULL, true, "success");
    check_login(ev_obj(r.events, 1), NULL, true, "failure");
    run_free(&r);
}

static void test_gssapi_and_pass_retry(void **unused)
{
    /* PASS again after a failure: the same user tries again. */
    static const struct step st[] = {
        S("220 FTP ready\r\n"), C("USER eve\r\n"), S("331 pw\r\n"), C("PASS a\r\n"),
        S("530 no\r\n"),        C("PASS b\r\n"),   S("230 ok\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_login(ev_obj(r.events, 0), "eve", true, "failure");
    check_login(ev_obj(r.events, 1), "eve", true, "success");
    run_free(&r);
    /* AUTH GSSAPI, ADAT exchange, 235: the channel is protected from there on. */
    static const struct step gss[] = {
        S("220 alpha GridFTP Server ready.\r\n"),
        C("AUTH GSSAPI\r\n"),
        S("334 Using authentication type; ADAT must follow.\r\n"),
        C("ADAT FgMBAGsBAABnAwFQ\r\n"),
        S("335 ADAT=FgMBADUCAAAx\r\n"),
        C("ADAT FwMBACAaXmW+\r\n"),
        S("235 GSSAPI Authentication successful.\r\n"),
        C("ENC FwMBADDdzzrsNoWT\r\n"),
        S("632 FwMBAFDq9rd7u1ax\r\n"),
    };
    run(&r, gss, OT_ARRAY_SIZE(gss), 2811, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    assert_string_equal(str(o, "type"), "starttls");
    assert_true(json_is_true(json_object_get(o, "starttls")));
    run_free(&r);
}

static void test_not_ftp_replies(void **unused)
{
    /* A "220 ... FTP" greeting, then binary noise: the parser gives up, counted. */
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)((i * 131 + 7) % 251);
    for (size_t i = 40; i < sizeof(noise); i += 40)
        noise[i] = '\n';
    struct step st[] = {S("220 FTP ready\r\n"), {1, (const char *)noise, sizeof(noise)}};
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(r.errors, 1);
    assert_int_equal(json_array_size(r.events), 0);
    run_free(&r);
    /* The same noise as the client's commands: never an error, no events. */
    st[1].dir = 0;
    run(&r, st, OT_ARRAY_SIZE(st), 21, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    run_free(&r);
}

static void test_truncated(void **unused)
{
    /* Every prefix of the conversation: no crash, never more than one event. */
    char all[1024];
    size_t n = 0;
    for (size_t i = 0; i < OT_ARRAY_SIZE(normal); i++) {
        memcpy(all + n, normal[i].s, normal[i].n);
        n += normal[i].n;
    }
    for (size_t cut = 1; cut < n; cut++) {
        size_t acc = 0;
        struct step st[OT_ARRAY_SIZE(normal)];
        size_t k = 0;
        for (size_t i = 0; i < OT_ARRAY_SIZE(normal) && acc < cut; i++) {
            st[k] = normal[i];
            if (acc + st[k].n > cut)
                st[k].n = cut - acc;
            acc += st[k].n;
            k++;
        }
        struct run r;
        run(&r, st, k, 21, 0, 0, 0);
        assert_true(json_array_size(r.events) <= 1);
        run_free(&r);
    }
}

static void test_limits(void **unused)
{
    /* A user name longer than the field and than the line bound. */
    static char user_line[6000];
    memcpy(user_line, "USER ", 5);
    memset(user_line + 5, 'u', sizeof(user_line) - 8);
    memcpy(user_line + sizeof(user_line) - 3, "\r\n", 3);
    struct step st[] = {
        S("220 FTP ready\r\n"), {0, user_line, sizeof(user_line) - 1},
        S("331 Password\r\n"),  C("PASS x\r\n"),
        S("230 ok\r\n"),
    };
    for (int pass = 0; pass < 3; pass++) {
        struct run r;
        run(&r, st, OT_ARRAY_SIZE(st), 21, pass == 1 ? 7 : 0, 0, pass == 2 ? 16 : 0);
        assert_int_equal(json_array_size(r.events), 1);
        json_t *o = ev_obj(r.events, 0);
        assert_int_equal(strlen(str(o, "user")), pass == 2 ? 11 : 128);
        assert_string_equal(str(o, "login_result"), "success");
        run_free(&r);
    }
    /* More pipelined commands than the reply queue holds: no crash. */
    static char many[64 * 6];
    for (size_t i = 0; i < 64; i++)
        memcpy(many + i * 6, "NOOP\r\n", 6);
    struct step st2[] = {S("220 FTP ready\r\n"), {0, many, sizeof(many)}, S("200 ok\r\n")};
    struct run r;
    run(&r, st2, OT_ARRAY_SIZE(st2), 21, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    run_free(&r);
}

#define FEED(h, dir, lit) ot_harness_feed(h, dir, lit, sizeof(lit) - 1)

static void test_gap(void **unused)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 21, 6, true), 0);
    FEED(&h, 1, "220 FTP ready\r\n");
    FEED(&h, 0, "USER al");
    ot_harness_gap(&h, 0, 100);
    FEED(&h, 0, "ice\r\nUSER eve\r\n"); /* resynchronises after the LF */
    FEED(&h, 1, "331 Password\r\n");
    ot_harness_gap(&h, 1, 10);
    FEED(&h, 1, "xx\r\n");
    FEED(&h, 0, "PASS p\r\n");
    FEED(&h, 1, "530 no\r\n");
    ot_harness_finish(&h);
    json_t *evs = ot_harness_events(&h, "ftp");
    assert_int_equal(json_array_size(evs), 1);
    check_login(ev_obj(evs, 0), "eve", true, "failure");
    json_decref(evs);
    ot_harness_cleanup(&h);
}

static enum ot_probe_result probe(uint16_t port, int dir, const char *s, size_t n)
{
    return login_probe(&ot_proto_ftp, 40000, port, dir, s, n);
}
#define PROBE(port, dir, lit) probe(port, dir, lit, sizeof(lit) - 1)

static void test_probe(void **unused)
{
    assert_int_equal(PROBE(2121, 1, "220 ProFTPD Server ready\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(21, 1, "220-FileZilla Server 1.7\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(0, 1, "220-FileZilla Server 1.7\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 1, "220 Welcome\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(21, 0, "USER bob\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(21, 0, "AUTH TLS\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(21, 0, "FEAT\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(2121, 0, "USER bob\r\n"), OT_PROBE_YES);
    /* Too little to tell. */
    assert_int_equal(PROBE(21, 1, "22"), OT_PROBE_MORE);
    assert_int_equal(PROBE(21, 0, "US"), OT_PROBE_MORE);
    /* SMTP greets with 220 too. */
    assert_int_equal(PROBE(25, 1, "220 mx.example.com ESMTP Postfix\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 1, "220 mail.example.com SMTP ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 1, "220 mail.example.com ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(2121, 1, "220 hello\r\n"), OT_PROBE_NO);
    /* Other protocols' first bytes. */
    assert_int_equal(PROBE(110, 0, "USER bob\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 1, "+OK POP3 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(143, 1, "* OK IMAP4rev1 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 0, "EHLO client\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(23, 1, "\xff\xfd\x18\xff\xfd\x20"), OT_PROBE_NO);
    assert_int_equal(PROBE(22, 1, "SSH-2.0-OpenSSH_9.2\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(80, 0, "GET / HTTP/1.1\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 0, "GET / HTTP/1.1\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(443, 0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 1, "221 bye\r\n"), OT_PROBE_NO);
    /* IRC clients send a one-word USER too: followed by NICK, or on IRC's ports, not FTP. */
    assert_int_equal(PROBE(8000, 0, "USER foo\nNICK foo\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(6667, 0, "USER foo\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "USER foo\nPASS x\n"), OT_PROBE_YES);
}

static void test_smtp_not_claimed(void **unused)
{
    /* Through the dispatcher: an SMTP greeting on port 25 is not FTP. */
    static const struct step st[] = {
        S("220 mx.example.com ESMTP Postfix\r\n"),
        C("EHLO c\r\n"),
        S("250 ok\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 25, 0, 0, 0);
    assert_int_not_equal(r.app, OT_APP_FTP);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_bruteforce),
        cmocka_unit_test(test_anonymous_multiline),
        cmocka_unit_test(test_auth_tls),
        cmocka_unit_test(test_auth_tls_refused),
        cmocka_unit_test(test_user_only_then_close),
        cmocka_unit_test(test_user_rejected_and_no_password_needed),
        cmocka_unit_test(test_pass_without_user),
        cmocka_unit_test(test_gssapi_and_pass_retry),
        cmocka_unit_test(test_not_ftp_replies),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_smtp_not_claimed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
