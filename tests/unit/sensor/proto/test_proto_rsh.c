/*
 * rexec/rlogin/rsh parser: each service's success and failure field by
 * field, the rexec password in clear, rlogin with and without a password
 * prompt, every split of the stream, malformed and over-long input, gaps,
 * probe.
 *
 * Careful with the literals: "\0" followed by a digit would be an octal
 * escape, so such strings are written as "\0" "1...".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

#define PROTO "rsh"
#define APP   OT_APP_RSH

extern const struct ot_proto_parser ot_proto_rsh;

#include "login-test.h"

/* The common login fields (user NULL: absent; method NULL: absent), one attempt, the service. */
static void check_ev(json_t *o, const char *service, const char *user, const char *method,
                     bool clear, const char *result)
{
    check_login_ev(o, "login", user, method, clear, result);
    assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 1);
    assert_string_equal(str(o, "service"), service);
    assert_null(json_object_get(o, "server_banner"));
}

/* One event expected: its rsh object (the run stays owned by the caller). */
static json_t *one(struct run *r)
{
    assert_int_equal(r->errors, 0);
    assert_int_equal(r->app, OT_APP_RSH);
    assert_int_equal(json_array_size(r->events), 1);
    json_t *ev = json_array_get(r->events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "rsh");
    assert_string_equal(json_string_value(json_object_get(ev, "src_ip")), "10.0.0.1");
    return ev_obj(r->events, 0);
}

/* Events of type "rsh" (other parsers may write their own for junk). */
static size_t n_rsh(json_t *evs)
{
    size_t i, n = 0;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        const char *t = json_string_value(json_object_get(ev, "event_type"));
        n += t && strcmp(t, "rsh") == 0;
    }
    return n;
}

/* The parser forced onto the flow (as the fuzz target may), steps fed whole. */
static void run_forced(struct run *r, const struct step *st, size_t n, uint16_t port)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", port, 6, true), 0);
    h.flow.app_state = calloc(1, ot_proto_rsh.state_size);
    assert_non_null(h.flow.app_state);
    h.flow.parser = &ot_proto_rsh;
    h.flow.app_proto = OT_APP_RSH;
    for (size_t i = 0; i < n; i++)
        ot_harness_feed(&h, st[i].dir, st[i].s, st[i].n);
    r->app = h.flow.app_proto;
    ot_harness_finish(&h);
    r->events = ot_harness_events(&h, NULL);
    r->errors = h.pe.stats.errors[APP];
    r->raw = NULL;
    ot_harness_cleanup(&h);
}

/* ---- rsh (514) ---- */

/* As in rsh.pcap: the stderr port on its own, then the rest. */
static const struct step rsh_fail[] = {
    C("1022\0"),
    C("lns\0root\0mkdir testdir\0"),
    S("\1Password incorrect.\n"),
};

static void test_rsh_failure(void **unused)
{
    struct run r;
    run(&r, rsh_fail, OT_ARRAY_SIZE(rsh_fail), 514, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rsh", "root", "rsh-trust", false, "failure");
    assert_string_equal(str(o, "client_user"), "lns");
    assert_string_equal(str(o, "command"), "mkdir testdir");
    assert_true(json_is_false(json_object_get(o, "command_truncated")));
    assert_string_equal(str(o, "server_message"), "Password incorrect.");
    assert_null(json_object_get(o, "terminal"));
    run_free(&r);
    check_splits(rsh_fail, OT_ARRAY_SIZE(rsh_fail), 514);
}

static const struct step rsh_ok[] = {
    C("\0"),
    C("alice\0"),
    C("bob\0uname -a; cat /etc/passwd\0"),
    S("\0Linux host 6.1.0 x86_64\nroot:x:0:0::/root:/bin/bash\n\1not a message\n"),
    C("stdin data\0\1\0"),
};

static void test_rsh_success(void **unused)
{
    struct run r;
    run(&r, rsh_ok, OT_ARRAY_SIZE(rsh_ok), 514, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rsh", "bob", "rsh-trust", false, "success");
    assert_string_equal(str(o, "client_user"), "alice");
    assert_string_equal(str(o, "command"), "uname -a; cat /etc/passwd");
    assert_null(json_object_get(o, "server_message"));
    run_free(&r);
    check_splits(rsh_ok, OT_ARRAY_SIZE(rsh_ok), 514);
}

/* The server refuses before the command (rshd: "locuser too long"): a failure. */
static void test_rsh_early_refusal(void **unused)
{
    static const struct step st[] = {
        C("\0alice\0bob\0ls -"),
        S("\1Permission denied.\r\n"),
    };
    struct run r;
    /* The probes never saw a whole handshake: the flow is not claimed. */
    run(&r, st, OT_ARRAY_SIZE(st), 514, 0, 0, 0);
    assert_int_not_equal(r.app, OT_APP_RSH);
    assert_int_equal(n_rsh(r.events), 0);
    run_free(&r);
    /* The parser on its own reports it. */
    run_forced(&r, st, OT_ARRAY_SIZE(st), 514);
    json_t *o = one(&r);
    check_ev(o, "rsh", "bob", "rsh-trust", false, "failure");
    assert_null(json_object_get(o, "command")); /* not finished */
    assert_string_equal(str(o, "server_message"), "Permission denied.");
    run_free(&r);
}

/* No answer: one event at the end, once the account was named. */
static void test_rsh_no_answer(void **unused)
{
    static const struct step st[] = {C("\0alice\0bob\0ls\0")};
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 514, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rsh", "bob", "rsh-trust", false, "unknown");
    assert_string_equal(str(o, "command"), "ls");
    run_free(&r);
}

/* ---- rexec (512) ---- */

static const struct step rexec_ok[] = {
    C("\0"), C("bob\0"), C("s3cr3t\0"), C("id\0"), S("\0uid=1000(bob) gid=1000(bob)\n"),
};

static void test_rexec_success(void **unused)
{
    struct run r;
    run(&r, rexec_ok, OT_ARRAY_SIZE(rexec_ok), 512, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rexec", "bob", "rexec", true, "success");
    assert_null(json_object_get(o, "client_user"));
    assert_string_equal(str(o, "command"), "id");
    assert_null(json_object_get(o, "server_message"));
    assert_null(strstr(r.raw, "s3cr3t"));
    run_free(&r);
    check_splits(rexec_ok, OT_ARRAY_SIZE(rexec_ok), 512);
}

static const struct step rexec_fail[] = {
    C("4000\0"),
    C("root\0toor\0cat /etc/shadow\0"),
    S("\1Login incorrect.\n"),
};

static void test_rexec_failure(void **unused)
{
    struct run r;
    run(&r, rexec_fail, OT_ARRAY_SIZE(rexec_fail), 512, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rexec", "root", "rexec", true, "failure");
    assert_string_equal(str(o, "command"), "cat /etc/shadow");
    assert_string_equal(str(o, "server_message"), "Login incorrect.");
    assert_null(strstr(r.raw, "toor"));
    run_free(&r);
    check_splits(rexec_fail, OT_ARRAY_SIZE(rexec_fail), 512);
}

/* An empty password is not a password in clear. */
static void test_rexec_empty_password(void **unused)
{
    static const struct step st[] = {
        C("\0guest\0\0date\0"),
        S("\1Password incorrect.\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 512, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rexec", "guest", "rexec", false, "failure");
    assert_string_equal(str(o, "command"), "date");
    run_free(&r);
}

/* ---- rlogin (513) ---- */

static const struct step rlogin_pw_fail[] = {
    C("\0"),
    C("lns\0"),
    C("root\0xterm/38400\0"),
    S("\0"),
    S("\x80"),                           /* TIOCPKT_WINDOW (urgent data, inline here) */
    C("\xff\xffss\0\x18\0\x50\0\0\0\0"), /* the window size */
    S("Password: "),
    C("hunter2\r"),
    S("\r\nLogin incorrect\r\n\r\nlogin: "),
};

static void test_rlogin_password_failure(void **unused)
{
    struct run r;
    run(&r, rlogin_pw_fail, OT_ARRAY_SIZE(rlogin_pw_fail), 513, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rlogin", "root", "rlogin-password", true, "failure");
    assert_string_equal(str(o, "client_user"), "lns");
    assert_string_equal(str(o, "terminal"), "xterm/38400");
    assert_null(json_object_get(o, "command"));
    assert_null(json_object_get(o, "server_message"));
    assert_null(strstr(r.raw, "hunter2"));
    run_free(&r);
    check_splits(rlogin_pw_fail, OT_ARRAY_SIZE(rlogin_pw_fail), 513);
}

static const struct step rlogin_pw_ok[] = {
    C("\0lns\0lns\0vt100/9600\0"),
    S("\0\x80Password for lns@host:"),
    C("\xff\xffss\0\x18\0\x50\0\0\0\0pass"),
    C("word\r\n"),
    S("\r\nLast login: Mon Jun  3 17:00:01 on pts/1\r\n"),
    S("lns@host:~$ "),
    C("ls\r"),
    S("ls\r\nDesktop\r\nlns@host:~$ "),
    C("exit\r"),
};

static void test_rlogin_password_success(void **unused)
{
    struct run r;
    run(&r, rlogin_pw_ok, OT_ARRAY_SIZE(rlogin_pw_ok), 513, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rlogin", "lns", "rlogin-password", true, "success");
    assert_string_equal(str(o, "terminal"), "vt100/9600");
    run_free(&r);
    check_splits(rlogin_pw_ok, OT_ARRAY_SIZE(rlogin_pw_ok), 513);
}

/* .rhosts trust: no password prompt, the session goes on. */
static const struct step rlogin_trust[] = {
    C("\0alice\0alice\0xterm-256color/38400\0"),
    S("\0"),
    S("\x80Last login: Fri Jun  2 09:00:00 2023 from 10.0.0.1\r\n"),
    S("Linux host 6.1.0-9-amd64\r\n\r\nalice@host:~$ "),
    C("id\r"),
    S("id\r\nuid=1000(alice)\r\n"),
};

static void test_rlogin_trust(void **unused)
{
    struct run r;
    run(&r, rlogin_trust, OT_ARRAY_SIZE(rlogin_trust), 513, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rlogin", "alice", "rlogin-trust", false, "success");
    assert_string_equal(str(o, "client_user"), "alice");
    assert_string_equal(str(o, "terminal"), "xterm-256color/38400");
    run_free(&r);
    check_splits(rlogin_trust, OT_ARRAY_SIZE(rlogin_trust), 513);
}

/* Trust with nothing but a shell prompt; then a session that ends at the prompt. */
static void test_rlogin_trust_prompt_only(void **unused)
{
    static const struct step st[] = {
        C("\0u\0v\0vt220/9600\0"),
        S("\0bash-5.1# "),
        C("w"),
        C("\r"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 513, 0, 0, 0);
    check_ev(one(&r), "rlogin", "v", "rlogin-trust", false, "success");
    run_free(&r);
    /* The flow ends at the prompt: the end of the flow reads it. */
    run(&r, st, 2, 513, 0, 0, 0);
    check_ev(one(&r), "rlogin", "v", "rlogin-trust", false, "success");
    run_free(&r);
}

/* Only the words decide (no prompt follows them), wherever the stream is cut. */
static const struct step rlogin_words[] = {
    C("\0carol\0carol\0xterm/38400\0"),
    S("\0\x80Last login: Fri Jun  2 09:00:00 2023 from 10.0.0.1\r\n"),
    C("ls\r"),
};

static void test_rlogin_words_only(void **unused)
{
    struct run r;
    run(&r, rlogin_words, OT_ARRAY_SIZE(rlogin_words), 513, 0, 0, 0);
    check_ev(one(&r), "rlogin", "carol", "rlogin-trust", false, "success");
    run_free(&r);
    check_splits(rlogin_words, OT_ARRAY_SIZE(rlogin_words), 513);
}

/*
 * The window changes while the password prompt waits, then an empty line:
 * the 8 bytes of the window size (the last one 'X') are not keystrokes.
 */
static const struct step rlogin_winsize[] = {
    C("\0dave\0dave\0xterm/38400\0"),
    S("\0Password: "),
    C("\xff\xffss\0\x18\0\x50\x03\x20\x02\x58"),
    C("\r"),
    S("\r\nLogin incorrect\r\n"),
};

static void test_rlogin_winsize(void **unused)
{
    struct run r;
    run(&r, rlogin_winsize, OT_ARRAY_SIZE(rlogin_winsize), 513, 0, 0, 0);
    check_ev(one(&r), "rlogin", "dave", "rlogin-password", false, "failure");
    run_free(&r);
    check_splits(rlogin_winsize, OT_ARRAY_SIZE(rlogin_winsize), 513);
}

/* rlogind refuses before the acknowledgement; and a session with no verdict. */
static void test_rlogin_refused_and_unknown(void **unused)
{
    static const struct step refused[] = {
        C("\0a\0b\0xterm/9600\0"),
        S("\1rlogind: Permission denied.\r\n"),
    };
    struct run r;
    run(&r, refused, OT_ARRAY_SIZE(refused), 513, 0, 0, 0);
    json_t *o = one(&r);
    check_ev(o, "rlogin", "b", NULL, false, "failure");
    assert_string_equal(str(o, "server_message"), "rlogind: Permission denied.");
    run_free(&r);

    static const struct step unknown[] = {
        C("\0a\0b\0xterm/9600\0"),
        S("\0"),
        S("Password:"),
        C("x"),
    };
    run(&r, unknown, OT_ARRAY_SIZE(unknown), 513, 0, 0, 0);
    check_ev(one(&r), "rlogin", "b", "rlogin-password", true, "unknown");
    run_free(&r);
    run(&r, unknown, 2, 513, 0, 0, 0); /* acknowledged, then nothing */
    check_ev(one(&r), "rlogin", "b", NULL, false, "unknown");
    run_free(&r);
}

/* ---- malformed input ---- */

static void test_malformed(void **unused)
{
    struct run r;
    static const struct step bad_port[] = {C("12a\0bob\0bob\0ls\0"), S("\0")};
    static const struct step long_port[] = {C("123456\0bob\0bob\0ls\0")};
    static const struct step rlogin_port[] = {C("1023\0bob\0bob\0xterm\0")};
    static const struct step ctl_user[] = {C("\0bo\x01"
                                             "b\0bob\0ls\0"),
                                           S("\0")};
    const struct {
        const struct step *st;
        size_t n;
        uint16_t port;
    } cases[] = {
        {bad_port, 2, 514},
        {long_port, 1, 512},
        {rlogin_port, 1, 513},
        {ctl_user, 2, 514},
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(cases); i++) {
        run_forced(&r, cases[i].st, cases[i].n, cases[i].port);
        if (r.errors != 1 || json_array_size(r.events) != 0)
            fail_msg("case %zu: %u errors, %zu events", i, (unsigned)r.errors,
                     json_array_size(r.events));
        run_free(&r);
    }

    /* A control byte in the terminal: given up; the named account is still reported. */
    static const struct step ctl_term[] = {C("\0a\0b\0xterm\x1b[31m\0"), S("\0")};
    run_forced(&r, ctl_term, 2, 513);
    assert_int_equal(r.errors, 1);
    assert_int_equal(json_array_size(r.events), 1);
    check_ev(ev_obj(r.events, 0), "rlogin", "b", NULL, false, "unknown");
    assert_null(json_object_get(ev_obj(r.events, 0), "terminal"));
    run_free(&r);

    /* The server's first byte is neither \0 nor \1: not rsh; the attempt is still written. */
    static const struct step junk_answer[] = {C("\0a\0b\0ls\0"), S("HTTP/1.1 400 Bad\r\n")};
    run_forced(&r, junk_answer, 2, 514);
    assert_int_equal(r.errors, 1);
    assert_int_equal(json_array_size(r.events), 1);
    check_ev(ev_obj(r.events, 0), "rsh", "b", "rsh-trust", false, "unknown");
    run_free(&r);

    /* The server speaks first: nothing to report. */
    static const struct step server_first[] = {S("\0hello"), C("\0a\0b\0ls\0")};
    run_forced(&r, server_first, 2, 514);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 0);
    run_free(&r);
}

static void test_binary_junk(void **unused)
{
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)((i * 131 + 7) % 251);
    static const uint16_t ports[] = {512, 513, 514};
    for (size_t p = 0; p < OT_ARRAY_SIZE(ports); p++) {
        for (int dir = 0; dir < 2; dir++) {
            struct step st[] = {{dir, (const char *)noise, sizeof(noise)},
                                {!dir, (const char *)noise, sizeof(noise)}};
            struct run r;
            /* Through the probes: not claimed. */
            run(&r, st, OT_ARRAY_SIZE(st), ports[p], 0, 0, 0);
            assert_int_not_equal(r.app, OT_APP_RSH);
            assert_int_equal(n_rsh(r.events), 0);
            run_free(&r);
            /* Forced: a clean error, at most one event. */
            run_forced(&r, st, OT_ARRAY_SIZE(st), ports[p]);
            assert_true(r.errors <= 1);
            assert_true(json_array_size(r.events) <= 1);
            run_free(&r);
        }
    }
    /* A client that never sends a NUL: the field bound ends it. */
    static char nonul[3000];
    memset(nonul, 'a', sizeof(nonul));
    struct step st[] = {C("\0"), {0, nonul, sizeof(nonul)}};
    struct run r;
    run_forced(&r, st, OT_ARRAY_SIZE(st), 514);
    assert_int_equal(r.errors, 1);
    assert_int_equal(json_array_size(r.events), 0);
    run_free(&r);
}

static void test_limits(void **unused)
{
    /* A 300-byte command (kept: 256, marked cut), in pieces through the probes. */
    static char hs[1024];
    size_t n = 0;
    memcpy(hs, "\0alice\0bob\0", 11);
    n = 11;
    memset(hs + n, 'c', 300);
    n += 300;
    hs[n++] = '\0';
    struct step st[] = {{0, hs, n}, S("\0")};
    for (int piece = 0; piece < 3; piece++) {
        struct run r;
        run(&r, st, OT_ARRAY_SIZE(st), 514, piece == 1 ? 7 : piece == 2 ? 100 : 0, 0, 0);
        json_t *o = one(&r);
        check_ev(o, "rsh", "bob", "rsh-trust", false, "success");
        assert_int_equal(strlen(str(o, "command")), 256);
        assert_true(json_is_true(json_object_get(o, "command_truncated")));
        run_free(&r);
    }

    /* A 200-byte user (the probe takes none so long; the parser keeps 128 bytes). */
    static char lu[512];
    n = 0;
    memcpy(lu, "\0alice\0", 7);
    n = 7;
    memset(lu + n, 'u', 200);
    n += 200;
    memcpy(lu + n, "\0ls\0", 4);
    n += 4;
    char want[129];
    memset(want, 'u', 128);
    want[128] = '\0';
    struct step stu[] = {{0, lu, n}, S("\0")};
    struct run r;
    run_forced(&r, stu, OT_ARRAY_SIZE(stu), 514);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_ev(ev_obj(r.events, 0), "rsh", want, "rsh-trust", false, "success");
    run_free(&r);

    /* A command past 128 KiB without its NUL: given up; the named account is still reported. */
    static char big[140000];
    memset(big, 'x', sizeof(big));
    struct step st2[] = {C("\0a\0b\0"), {0, big, sizeof(big)}, S("\0")};
    run(&r, st2, OT_ARRAY_SIZE(st2), 514, 0, 0, 0);
    assert_int_equal(r.errors, 1);
    assert_int_equal(json_array_size(r.events), 1);
    check_ev(ev_obj(r.events, 0), "rsh", "b", "rsh-trust", false, "unknown");
    assert_null(json_object_get(ev_obj(r.events, 0), "command"));
    run_free(&r);

    /* A server message past 256 bytes without its LF: cut, the failure written. */
    static char msg[600];
    msg[0] = '\1';
    memset(msg + 1, 'm', sizeof(msg) - 1);
    struct step st3[] = {C("\0a\0b\0ls\0"), {1, msg, sizeof(msg)}};
    for (int piece = 0; piece < 2; piece++) {
        run(&r, st3, OT_ARRAY_SIZE(st3), 514, piece ? 33 : 0, 0, 0);
        json_t *o = one(&r);
        check_ev(o, "rsh", "b", "rsh-trust", false, "failure");
        assert_int_equal(strlen(str(o, "server_message")), 256);
        run_free(&r);
    }

    /* rlogin: a long typed password is counted, never kept. */
    static char pw[5000];
    memset(pw, 'p', sizeof(pw) - 1);
    pw[sizeof(pw) - 1] = '\r';
    struct step st4[] = {C("\0a\0b\0vt100/9600\0"),
                         S("\0Password: "),
                         {0, pw, sizeof(pw)},
                         S("\r\nLogin incorrect\r\n")};
    run(&r, st4, OT_ARRAY_SIZE(st4), 513, 0, 0, 0);
    check_ev(one(&r), "rlogin", "b", "rlogin-password", true, "failure");
    assert_null(strstr(r.raw, "ppppp"));
    run_free(&r);
}

/* Every prefix of a session: at most one event, never an error. */
static void test_truncated(void **unused)
{
    const struct {
        const struct step *st;
        size_t n;
        uint16_t port;
    } sessions[] = {
        {rsh_fail, OT_ARRAY_SIZE(rsh_fail), 514},
        {rexec_ok, OT_ARRAY_SIZE(rexec_ok), 512},
        {rlogin_pw_fail, OT_ARRAY_SIZE(rlogin_pw_fail), 513},
    };
    for (size_t s = 0; s < OT_ARRAY_SIZE(sessions); s++) {
        size_t total = steps_len(sessions[s].st, sessions[s].n);
        for (size_t cut = 1; cut < total; cut++) {
            struct step st[16];
            assert_true(sessions[s].n <= OT_ARRAY_SIZE(st));
            size_t k = steps_prefix(sessions[s].st, sessions[s].n, cut, st);
            struct run r;
            run(&r, st, k, sessions[s].port, 0, 0, 0);
            assert_int_equal(r.errors, 0);
            assert_true(json_array_size(r.events) <= 1);
            run_free(&r);
        }
    }
    /* Cut inside the remote user's name: no event (the account was never named whole). */
    static const struct step st[] = {C("\0alice\0bo")};
    struct run r;
    run(&r, st, 1, 514, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 0);
    run_free(&r);
}

#define FEED(h, dir, lit) ot_harness_feed(h, dir, lit, sizeof(lit) - 1)

static void test_gap(void **unused)
{
    /* Client bytes lost in the command: the account and the verdict still count. */
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 514, 6, true), 0);
    char cmd[260];
    memcpy(cmd, "\0alice\0bob\0", 11);
    memset(cmd + 11, 'c', sizeof(cmd) - 11); /* long enough for the probe to take it unfinished */
    ot_harness_feed(&h, 0, cmd, sizeof(cmd));
    assert_int_equal(h.flow.app_proto, OT_APP_RSH);
    ot_harness_gap(&h, 0, 10);
    FEED(&h, 0, "and\0");
    FEED(&h, 1, "\0output\n");
    ot_harness_finish(&h);
    json_t *evs = ot_harness_events(&h, "rsh");
    assert_int_equal(json_array_size(evs), 1);
    json_t *o = ev_obj(evs, 0);
    check_ev(o, "rsh", "bob", "rsh-trust", false, "success");
    assert_string_equal(str(o, "client_user"), "alice");
    assert_null(json_object_get(o, "command"));
    json_decref(evs);
    ot_harness_cleanup(&h);

    /* The server's answer lost: unknown. */
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 512, 6, true), 0);
    FEED(&h, 0, "\0bob\0pw\0id\0");
    ot_harness_gap(&h, 1, 1);
    FEED(&h, 1, "uid=0\n");
    ot_harness_finish(&h);
    evs = ot_harness_events(&h, "rsh");
    assert_int_equal(json_array_size(evs), 1);
    check_ev(ev_obj(evs, 0), "rexec", "bob", "rexec", true, "unknown");
    json_decref(evs);
    ot_harness_cleanup(&h);

    /* Part of the error message lost: a failure with what was seen. */
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 514, 6, true), 0);
    FEED(&h, 0, "\0a\0b\0ls\0");
    FEED(&h, 1, "\1Permis");
    ot_harness_gap(&h, 1, 5);
    FEED(&h, 1, "denied.\n");
    ot_harness_finish(&h);
    evs = ot_harness_events(&h, "rsh");
    assert_int_equal(json_array_size(evs), 1);
    o = ev_obj(evs, 0);
    check_ev(o, "rsh", "b", "rsh-trust", false, "failure");
    assert_string_equal(str(o, "server_message"), "Permis");
    json_decref(evs);
    ot_harness_cleanup(&h);
}

/* Not r-services: syslog over TCP on 514, another port, server-first. */
static void test_not_claimed(void **unused)
{
    static const struct step syslog[] = {
        C("<167>2016-05-24T09:50:52.926451+02:00 ldap01 slapd[34534]: conn=1159 op=2\n"),
        C("<13>May 24 09:50:53 host app: hello\n"),
    };
    struct run r;
    run(&r, syslog, OT_ARRAY_SIZE(syslog), 514, 0, 0, 0);
    assert_int_not_equal(r.app, OT_APP_RSH);
    assert_int_equal(json_array_size(r.events), 0);
    run_free(&r);
    /* Octet-counting framing (RFC 6587): digits, then a space. */
    static const struct step counted[] = {C("37 <13>May 24 09:50:53 host app: hello")};
    run(&r, counted, OT_ARRAY_SIZE(counted), 514, 0, 0, 0);
    assert_int_not_equal(r.app, OT_APP_RSH);
    run_free(&r);
    /* A perfect handshake on another port. */
    run(&r, rsh_fail, OT_ARRAY_SIZE(rsh_fail), 2514, 0, 0, 0);
    assert_int_not_equal(r.app, OT_APP_RSH);
    assert_int_equal(json_array_size(r.events), 0);
    run_free(&r);
}

static enum ot_probe_result probe(uint16_t port, int dir, const char *s, size_t n)
{
    return login_probe(&ot_proto_rsh, 1023, port, dir, s, n);
}
#define PROBE(port, dir, lit) probe(port, dir, lit, sizeof(lit) - 1)

static void test_probe(void **unused)
{
    /* yes: a whole handshake */
    assert_int_equal(PROBE(514, 0, "1022\0lns\0root\0mkdir testdir\0"), OT_PROBE_YES);
    assert_int_equal(PROBE(514, 0, "\0lns\0root\0ls\0"), OT_PROBE_YES);
    assert_int_equal(PROBE(512, 0, "\0bob\0s3cr3t\0id\0"), OT_PROBE_YES);
    assert_int_equal(PROBE(512, 0, "\0bob\0\0id\0"), OT_PROBE_YES); /* empty password */
    assert_int_equal(PROBE(512, 0, "65535\0bob\0pw\0id\0"), OT_PROBE_YES);
    assert_int_equal(PROBE(513, 0, "\0lns\0root\0xterm/38400\0"), OT_PROBE_YES);
    /* more: a plausible prefix */
    assert_int_equal(PROBE(514, 0, ""), OT_PROBE_MORE);
    assert_int_equal(PROBE(514, 0, "10"), OT_PROBE_MORE);
    assert_int_equal(PROBE(514, 0, "1022\0"), OT_PROBE_MORE);
    assert_int_equal(PROBE(514, 0, "1022\0lns"), OT_PROBE_MORE);
    assert_int_equal(PROBE(514, 0, "1022\0lns\0root\0mkdir"), OT_PROBE_MORE);
    assert_int_equal(PROBE(512, 0, "\0"), OT_PROBE_MORE);
    assert_int_equal(PROBE(513, 0, "\0"), OT_PROBE_MORE);
    assert_int_equal(PROBE(513, 0, "\0lns\0root\0xterm"), OT_PROBE_MORE);
    /* no */
    assert_int_equal(PROBE(514, 0, "<13>May 24 09:50:53 host app: hello\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(514, 0, "<"), OT_PROBE_NO);
    assert_int_equal(PROBE(514, 0, "<167>2016-05-24T09:50:52.926451+02:00 ldap01"), OT_PROBE_NO);
    assert_int_equal(PROBE(514, 0, "37 <13>May"), OT_PROBE_NO);
    assert_int_equal(PROBE(514, 0, "123456\0bob\0"), OT_PROBE_NO);  /* 6 digits */
    assert_int_equal(PROBE(514, 0, "\0\0root\0ls\0"), OT_PROBE_NO); /* empty user */
    assert_int_equal(PROBE(514, 0, "\0lns\0ro ot\0ls\0"), OT_PROBE_NO);
    assert_int_equal(PROBE(514, 0, "\0l\x01s\0"), OT_PROBE_NO);
    assert_int_equal(PROBE(513, 0, "1023\0lns\0root\0xterm\0"), OT_PROBE_NO); /* rlogin: no port */
    assert_int_equal(PROBE(513, 0, "\0lns\0root\0xt\x1b"), OT_PROBE_NO);
    assert_int_equal(PROBE(513, 0, "lns\0"), OT_PROBE_NO);
    assert_int_equal(PROBE(514, 0, "GET / HTTP/1.1\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(514, 0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc"), OT_PROBE_NO);
    assert_int_equal(PROBE(514, 1, "\0"), OT_PROBE_NO); /* server first */
    assert_int_equal(PROBE(514, 1, "\1Permission denied.\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(22, 0, "\0lns\0root\0ls\0"), OT_PROBE_NO);
    assert_int_equal(PROBE(515, 0, "\0lns\0root\0ls\0"), OT_PROBE_NO);
    assert_int_equal(PROBE(1022, 0, "\0lns\0root\0ls\0"), OT_PROBE_NO);
    assert_int_equal(PROBE(23, 0, "\0lns\0root\0ls\0"), OT_PROBE_NO);
    /* a name longer than any real one */
    char longname[100];
    memset(longname, 'a', sizeof(longname));
    longname[0] = '\0';
    assert_int_equal(probe(514, 0, longname, sizeof(longname)), OT_PROBE_NO);
    /* a long command still unfinished: taken */
    char longcmd[220];
    memcpy(longcmd, "\0a\0b\0", 5);
    memset(longcmd + 5, 'c', sizeof(longcmd) - 5);
    assert_int_equal(probe(514, 0, longcmd, sizeof(longcmd)), OT_PROBE_YES);
    assert_int_equal(probe(514, 0, longcmd, 100), OT_PROBE_MORE);
    /* UDP */
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.srv_port = 514;
    f.ip_proto = 17;
    assert_int_equal(ot_proto_rsh.probe(&f, 0, (const uint8_t *)"\0a\0b\0ls\0", 8), OT_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsh_failure),
        cmocka_unit_test(test_rsh_success),
        cmocka_unit_test(test_rsh_early_refusal),
        cmocka_unit_test(test_rsh_no_answer),
        cmocka_unit_test(test_rexec_success),
        cmocka_unit_test(test_rexec_failure),
        cmocka_unit_test(test_rexec_empty_password),
        cmocka_unit_test(test_rlogin_password_failure),
        cmocka_unit_test(test_rlogin_password_success),
        cmocka_unit_test(test_rlogin_trust),
        cmocka_unit_test(test_rlogin_trust_prompt_only),
        cmocka_unit_test(test_rlogin_words_only),
        cmocka_unit_test(test_rlogin_winsize),
        cmocka_unit_test(test_rlogin_refused_and_unknown),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_binary_junk),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_not_claimed),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
