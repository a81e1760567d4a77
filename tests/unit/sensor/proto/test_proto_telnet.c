/*
 * Telnet parser: option negotiation stripped, prompt-driven login attempts
 * (one keystroke per packet with echo, line mode, editing, NEW-ENVIRON
 * user), verdicts, every split of the stream, malformed and truncated
 * input, bounds, probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

#define PROTO "telnet"
#define APP   OT_APP_TELNET

extern const struct ot_proto_parser ot_proto_telnet;

#include "login-test.h"

static void check_ev(json_t *o, const char *user, bool clear, const char *result)
{
    assert_string_equal(str(o, "type"), "login");
    if (user)
        assert_string_equal(str(o, "user"), user);
    else
        assert_null(json_object_get(o, "user"));
    assert_string_equal(str(o, "auth_method"), "prompt");
    assert_true(json_is_boolean(json_object_get(o, "password_in_clear")));
    assert_int_equal(json_is_true(json_object_get(o, "password_in_clear")), clear);
    assert_string_equal(str(o, "login_result"), result);
    assert_true(json_is_false(json_object_get(o, "starttls")));
}

/* A BSD telnetd session: negotiation, one keystroke per packet, echo. */
static const struct step normal[] = {
    S("\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"),
    C("\xff\xfb\x18\xff\xfb\x20\xff\xfb\x23\xff\xfb\x27"),
    S("\xff\xfa\x18\x01\xff\xf0"),
    C("\xff\xfa\x18\x00xterm-color\xff\xf0"),
    S("\xff\xfb\x03\xff\xfd\x01\xff\xfb\x05\xff\xfd\x21"),
    S("\r\n\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\n"),
    S("login: "),
    C("f"),
    S("f"),
    C("a"),
    S("a"),
    C("k"),
    S("k"),
    C("e"),
    S("e"),
    C("\r\x00"),
    S("\r\n"),
    S("Password:"),
    C("u"),
    C("s"),
    C("e"),
    C("r"),
    C("\r\x00"),
    S("\r\n"),
    S("Last login: Sat Nov 27 20:11:43 on ttyp2 from bam.zing.org\r\n"),
    S("Warning: no Kerberos tickets issued.\r\n"),
    S("$ "),
    C("ls\r\n"),
    S("ls\r\nlogin: password: Login incorrect\r\n$ "),
};

static void test_normal(void **unused)
{
    struct run r;
    run(&r, normal, OT_ARRAY_SIZE(normal), 23, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_TELNET);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *ev = json_array_get(r.events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "telnet");
    assert_string_equal(json_string_value(json_object_get(ev, "src_ip")), "10.0.0.1");
    json_t *o = ev_obj(r.events, 0);
    check_ev(o, "fake", true, "success");
    assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 1);
    assert_string_equal(str(o, "server_banner"), "OpenBSD/i386 (oof) (ttyp2)");
    run_free(&r);
}

static void test_splits(void **unused)
{
    check_splits(normal, OT_ARRAY_SIZE(normal), 23);
}

/* Linux login in line mode: a wrong password, then the right one. */
static const struct step retry[] = {
    S("\xff\xfd\x18\xff\xfd\x20"),
    S("Debian GNU/Linux 12\r\nhost login: "),
    C("root\r\n"),
    S("Password: "),
    C("hunter2\r\n"),
    S("\r\n"),
    S("Login incorrect\r\nhost login: "),
    C("admin\r\n"),
    S("Password: "),
    C("s3cr3t\r\n"),
    S("\r\nLinux host 6.1.0-13-amd64 #1 SMP\r\n"),
    S("admin@host:~$ "),
};

static void test_failure_then_success(void **unused)
{
    struct run r;
    run(&r, retry, OT_ARRAY_SIZE(retry), 23, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_ev(ev_obj(r.events, 0), "root", true, "failure");
    check_ev(ev_obj(r.events, 1), "admin", true, "success");
    assert_int_equal(json_integer_value(json_object_get(ev_obj(r.events, 1), "attempt")), 2);
    assert_string_equal(str(ev_obj(r.events, 0), "server_banner"), "Debian GNU/Linux 12");
    assert_null(strstr(r.raw, "hunter2"));
    assert_null(strstr(r.raw, "s3cr3t"));
    run_free(&r);
    check_splits(retry, OT_ARRAY_SIZE(retry), 23);
}

static void test_cisco(void **unused)
{
    static const struct step st[] = {
        S("\xff\xfb\x01\xff\xfb\x03\xff\xfd\x18\xff\xfd\x1f"),
        S("\r\n\r\nUser Access Verification\r\n\r\nUsername: "),
        C("admin\r\n"),
        S("Password: "),
        C("cisco\r\n"),
        S("\r\n% Login invalid\r\n\r\nUsername: "),
        C("\r\n"),
        S("Username: "),
        C("admin\r\n"),
        S("Password: "),
        C("Cisco123\r\n"),
        S("\r\nRouter>"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 23, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_ev(ev_obj(r.events, 0), "admin", true, "failure");
    check_ev(ev_obj(r.events, 1), "admin", true, "success");
    assert_string_equal(str(ev_obj(r.events, 0), "server_banner"), "User Access Verification");
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 23);
}

static void test_password_only_and_environ(void **unused)
{
    /* NEW-ENVIRON IS VAR "USER" VALUE "bob"; the server asks only a password. */
    static const struct step st[] = {
        S("\xff\xfd\x27"),
        C("\xff\xfb\x27"),
        S("\xff\xfa\x27\x01\x00USER\xff\xf0"),
        C("\xff\xfa\x27\x00\x00USER\x01"
          "bob\x00"
          "DISPLAY\x01"
          "x:0\xff\xf0"),
        S("Password:"),
        C("pw\r\n"),
        S("\r\nLogin incorrect\r\n"),
        S("Password:"),
        C("pw2\r\n"),
        S("\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 23, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    check_ev(ev_obj(r.events, 0), "bob", true, "failure");
    check_ev(ev_obj(r.events, 1), "bob", true, "unknown");
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 23);
}

static void test_editing_and_escapes(void **unused)
{
    static const struct step st[] = {
        S("\xff\xfd\x01"),
        S("login: "),
        C("ad"),
        C("x"),
        C("\x7f"),
        C("m"),
        C("\x15"),
        C("ad\x08"
          "dmin"),
        C("\xff\xff\r\n"),
        S("Password: "),
        C("\r\n"), /* an empty password */
        S("\r\nLogin incorrect\r\nlogin: "),
        C("\r\n"), /* an empty user: no attempt */
        S("login: "),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 2323, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_ev(ev_obj(r.events, 0), "admin\xc3\xbf", false, "failure");
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 2323);
}

static void test_long_motd(void **unused)
{
    /* "Last login" scrolls far out of the window before the client speaks again. */
    static char motd[3000];
    memcpy(motd, "\r\nLast login: Mon Jan  1 00:00:00 2024 from 10.0.0.9\r\n", 55);
    memset(motd + 55, 'm', sizeof(motd) - 55);
    struct step st[] = {
        S("\xff\xfd\x18"),       S("login: "),    C("ops\r\n"), S("Password: "), C("pw\r\n"),
        {1, motd, sizeof(motd)}, C("uptime\r\n"),
    };
    for (size_t k = 0; k < 3; k++) {
        struct run r;
        run(&r, st, OT_ARRAY_SIZE(st), 23, k == 1 ? 1 : k == 2 ? 200 : 0, 0, 0);
        assert_int_equal(json_array_size(r.events), 1);
        check_ev(ev_obj(r.events, 0), "ops", true, "success");
        run_free(&r);
    }
}

static void test_unknown_at_close(void **unused)
{
    static const struct step st[] = {
        S("\xff\xfd\x18"), S("login: "), C("guest\r\n"), S("Password: "), C("guest\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 23, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_ev(ev_obj(r.events, 0), "guest", true, "unknown");
    run_free(&r);
}

static void test_subnegotiation_bounds(void **unused)
{
    /* An SB that never ends (bounded: the parser reads on), IAC at chunk ends, junk commands. */
    static char sb[20000];
    sb[0] = (char)0xff;
    sb[1] = (char)0xfa;
    sb[2] = 0x27;
    memset(sb + 3, 'A', sizeof(sb) - 3);
    struct step st[] = {
        S("\xff\xfd\x27"),
        {0, sb, sizeof(sb)},
        S("\xff"),
        S("\xf1login: \xff"),
        S("\xfa\x18\xff\xff\x01\xff\xf0"),
        C("\xff\xfa\x27\x00\x03USER\x01\xff\xff\x02x\xff\x01ev\r\n"),
        C("\xff\xfa\x27\x00"), /* never ended */
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 23, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_true(json_array_size(r.events) <= 1);
    run_free(&r);
    for (size_t k = 1; k < 8; k++) {
        run(&r, st, OT_ARRAY_SIZE(st), 23, k, 0, 0);
        assert_int_equal(r.errors, 0);
        run_free(&r);
    }
}

static void test_limits(void **unused)
{
    /* A user line longer than the field; server output far past the window. */
    static char user[3000];
    memset(user, 'u', sizeof(user));
    memcpy(user + sizeof(user) - 2, "\r\n", 2);
    static char out[50000];
    memset(out, 'o', sizeof(out));
    memcpy(out + sizeof(out) - 10, "\r\nlogin: ", 9);
    out[sizeof(out) - 1] = ' ';
    struct step st[] = {
        S("\xff\xfd\x18"),
        {1, out, sizeof(out)},
        {0, user, sizeof(user)},
        S("Password: "),
        C("x\r\n"),
        S("\r\nWelcome to BusyBox\r\n# "),
    };
    for (int pass = 0; pass < 2; pass++) {
        struct run r;
        run(&r, st, OT_ARRAY_SIZE(st), 23, pass ? 97 : 0, 0, 0);
        assert_int_equal(json_array_size(r.events), 1);
        json_t *o = ev_obj(r.events, 0);
        assert_int_equal(strlen(str(o, "user")), 128);
        assert_string_equal(str(o, "login_result"), "success");
        assert_int_equal(strlen(str(o, "server_banner")), 256);
        run_free(&r);
    }
}

static void test_truncated(void **unused)
{
    size_t n = steps_len(retry, OT_ARRAY_SIZE(retry));
    for (size_t cut = 1; cut < n; cut++) {
        struct step st[OT_ARRAY_SIZE(retry)];
        size_t k = steps_prefix(retry, OT_ARRAY_SIZE(retry), cut, st);
        struct run r;
        run(&r, st, k, 23, 0, 0, 0);
        assert_true(json_array_size(r.events) <= 2);
        assert_int_equal(r.errors, 0);
        run_free(&r);
    }
}

#define FEED(h, dir, lit) ot_harness_feed(h, dir, lit, sizeof(lit) - 1)

static void test_gap(void **unused)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 23, 6, true), 0);
    FEED(&h, 1, "\xff\xfd\x18\xff\xfa");
    ot_harness_gap(&h, 1, 50); /* lost inside a subnegotiation */
    FEED(&h, 1, "login: ");
    FEED(&h, 0, "ab");
    ot_harness_gap(&h, 0, 3);
    FEED(&h, 0, "cd\r\n");
    FEED(&h, 1, "Password: ");
    FEED(&h, 0, "pw\r\n");
    FEED(&h, 1, "\r\nAccess denied\r\n");
    ot_harness_finish(&h);
    json_t *evs = ot_harness_events(&h, "telnet");
    assert_int_equal(json_array_size(evs), 1);
    check_ev(ev_obj(evs, 0), "cd", true, "failure");
    json_decref(evs);
    ot_harness_cleanup(&h);
}

static enum ot_probe_result probe(uint16_t port, int dir, const char *s, size_t n)
{
    return login_probe(&ot_proto_telnet, 40000, port, dir, s, n);
}
#define PROBE(port, dir, lit) probe(port, dir, lit, sizeof(lit) - 1)

static void test_probe(void **unused)
{
    assert_int_equal(PROBE(2323, 1, "\xff\xfd\x18"), OT_PROBE_YES);
    assert_int_equal(PROBE(2323, 0, "\xff\xfb\x18"), OT_PROBE_YES);
    assert_int_equal(PROBE(2323, 1, "\xff\xfe\x01"), OT_PROBE_YES);
    assert_int_equal(PROBE(2323, 1, "\xff\xfc\x01"), OT_PROBE_YES);
    assert_int_equal(PROBE(23, 1, "\r\nlogin: "), OT_PROBE_YES);
    assert_int_equal(PROBE(23, 1, "\xff"), OT_PROBE_MORE);
    assert_int_equal(PROBE(2323, 1, "\r\nlogin: "), OT_PROBE_NO);
    assert_int_equal(PROBE(23, 1, "\xff\x01\x02"), OT_PROBE_NO);
    assert_int_equal(PROBE(23, 1, "\x16\x03\x01\x02\x00"), OT_PROBE_NO);
    assert_int_equal(PROBE(2323, 1, "\xff\xfe\x00\x00 UTF-16 text"), OT_PROBE_YES);
    assert_int_equal(PROBE(21, 1, "220 FTP ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 1, "220 mx ESMTP\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 1, "+OK POP3 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(143, 1, "* OK IMAP4rev1 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(22, 1, "SSH-2.0-OpenSSH_9.2\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(80, 0, "GET / HTTP/1.1\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(445, 0, "\x00\x00\x00\x85\xffSMB"), OT_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_failure_then_success),
        cmocka_unit_test(test_cisco),
        cmocka_unit_test(test_password_only_and_environ),
        cmocka_unit_test(test_editing_and_escapes),
        cmocka_unit_test(test_long_motd),
        cmocka_unit_test(test_unknown_at_close),
        cmocka_unit_test(test_subnegotiation_bounds),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
