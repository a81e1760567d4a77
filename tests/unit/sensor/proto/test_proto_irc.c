/*
 * IRC parser: registration with and without PASS (001, 464, ERROR), SASL
 * PLAIN, NickServ IDENTIFY in its three spellings, OPER, CAP negotiation,
 * prefixes and message tags, channels, STARTTLS, every split of the stream,
 * malformed, over-long and binary input, the cost bound, probe and the
 * neighbouring line protocols.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

#define PROTO "irc"
#define APP   OT_APP_IRC

extern const struct ot_proto_parser ot_proto_irc;

#include "login-test.h"

static int attempt(json_t *o)
{
    return (int)json_integer_value(json_object_get(o, "attempt"));
}

/* The events of type "login" only. */
static size_t count_type(json_t *evs, const char *type)
{
    size_t n = 0, i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        const char *t = str(json_object_get(ev, PROTO), "type");
        if (t && strcmp(t, type) == 0)
            n++;
    }
    return n;
}

/* ---- registration ---- */

static const struct step plain_reg[] = {
    S(":irc.example.net NOTICE * :*** Looking up your hostname...\r\n"),
    C("USER bob 0 * :Bob the Builder\r\n"),
    C("NICK bobby\r\n"),
    S(":irc.example.net NOTICE * :*** Found your hostname\r\n"),
    S(":irc.example.net 001 bobby :Welcome to the Example IRC Network bobby!bob@host\r\n"
      ":irc.example.net 002 bobby :Your host is irc.example.net\r\n"
      ":irc.example.net 375 bobby :- irc.example.net Message of the Day -\r\n"
      ":irc.example.net 372 bobby :- ERROR :Closing link is only a MOTD line here\r\n"
      ":irc.example.net 376 bobby :End of /MOTD command.\r\n"),
    C("JOIN #chat\r\n"),
    S(":bobby!bob@host JOIN :#chat\r\n:irc.example.net 353 bobby = #chat :bobby\r\n"),
    C("PRIVMSG #chat :hello\r\n"),
    C("QUIT :bye\r\n"),
    S("ERROR :Closing link: (bob@host) [Quit: bye]\r\n"),
};

static void test_register_no_pass(void **unused)
{
    struct run r;
    run(&r, plain_reg, OT_ARRAY_SIZE(plain_reg), 6667, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IRC);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 2);
    json_t *ev = json_array_get(r.events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "irc");
    assert_string_equal(json_string_value(json_object_get(ev, "src_ip")), "10.0.0.1");
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "bob", "nick", false, "success");
    assert_int_equal(attempt(o), 1);
    assert_string_equal(str(o, "nick"), "bobby");
    assert_string_equal(str(o, "realname"), "Bob the Builder");
    assert_string_equal(str(o, "server_banner"),
                        ":irc.example.net NOTICE * :*** Looking up your hostname...");
    o = ev_obj(r.events, 1);
    check_login_ev(o, "channels", NULL, NULL, false, "unknown");
    assert_string_equal(str(o, "nick"), "bobby");
    json_t *ch = json_object_get(o, "channels");
    assert_int_equal(json_array_size(ch), 1);
    assert_string_equal(json_string_value(json_array_get(ch, 0)), "#chat");
    assert_true(json_is_false(json_object_get(o, "channels_truncated")));
    run_free(&r);
}

static const struct step pass_reg[] = {
    C("PASS s3cr3t\r\n"),
    C("NICK alice\r\nUSER al 8 * :Alice A.\r\n"),
    S(":irc.example.net NOTICE AUTH :*** Looking up your hostname...\r\n"),
    S(":irc.example.net 433 * alice :Nickname is already in use.\r\n"),
    C("NICK alice_\r\n"),
    S(":irc.example.net 001 alice_ :Welcome alice_\r\n"),
};

static void test_register_pass(void **unused)
{
    struct run r;
    run(&r, pass_reg, OT_ARRAY_SIZE(pass_reg), 6667, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IRC);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "al", "pass", true, "success");
    assert_string_equal(str(o, "nick"), "alice_");
    assert_string_equal(str(o, "realname"), "Alice A.");
    assert_null(strstr(r.raw, "s3cr3t"));
    run_free(&r);
}

static void test_register_failures(void **unused)
{
    /* 464 then ERROR: one failure; then a K-lined client without PASS: ERROR alone. */
    static const struct step bad_pass[] = {
        C("PASS wrong\r\nNICK eve\r\nUSER eve 0 * :Eve\r\n"),
        S(":irc.example.net 464 eve :Password incorrect\r\n"),
        S("ERROR :Closing link: eve[host] (Bad Password)\r\n"),
    };
    struct run r;
    run(&r, bad_pass, OT_ARRAY_SIZE(bad_pass), 6667, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login_ev(ev_obj(r.events, 0), "login", "eve", "pass", true, "failure");
    assert_null(strstr(r.raw, "wrong"));
    run_free(&r);
    check_splits(bad_pass, OT_ARRAY_SIZE(bad_pass), 6667);

    static const struct step klined[] = {
        S(":irc.example.net NOTICE * :*** Looking up your hostname...\r\n"),
        C("NICK mallory\r\nUSER m 0 * :M\r\n"),
        S("ERROR :Closing Link: mallory[10.0.0.1] (K-lined)\r\n"),
    };
    run(&r, klined, OT_ARRAY_SIZE(klined), 6667, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login_ev(ev_obj(r.events, 0), "login", "m", "nick", false, "failure");
    run_free(&r);

    /* No verdict: the flow ends after USER (written, unknown). */
    static const struct step open[] = {C("NICK nv\r\nUSER nv 0 * :x\r\n")};
    run(&r, open, OT_ARRAY_SIZE(open), 6667, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login_ev(ev_obj(r.events, 0), "login", "nv", "nick", false, "unknown");
    run_free(&r);
}

/* PASS and NICK without USER (Twitch): the nick is the user. */
static const struct step twitch[] = {
    C("CAP REQ :twitch.tv/tags twitch.tv/commands\r\n"),
    S(":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands\r\n"),
    C("PASS oauth:abcdefabcdef\r\n"),
    C("NICK the_user\r\n"),
    S(":tmi.twitch.tv 001 the_user :Welcome, GLHF!\r\n"),
    S("@badges=;color=;user-id=1 :tmi.twitch.tv GLOBALUSERSTATE\r\n"),
    C("JOIN #the_user\r\n"),
    S(":the_user!the_user@the_user.tmi.twitch.tv JOIN #the_user\r\n"),
};

static void test_cap_pass_nick(void **unused)
{
    struct run r;
    run(&r, twitch, OT_ARRAY_SIZE(twitch), 80, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IRC);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 2);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "the_user", "pass", true, "success");
    assert_null(json_object_get(o, "realname"));
    assert_null(strstr(r.raw, "oauth:abc"));
    assert_int_equal(count_type(r.events, "channels"), 1);
    run_free(&r);
    check_splits(twitch, OT_ARRAY_SIZE(twitch), 80);
}

/* ---- SASL ---- */

/* "\0bob\0s3cr3t" = AGJvYgBzM2NyM3Q=, "alice\0alice\0wr0ng" = YWxpY2UAYWxpY2UAd3Iwbmc= */
static const struct step sasl[] = {
    C("CAP LS 302\r\n"),
    C("NICK bob\r\n"),
    C("USER bob 0 * :Bob\r\n"),
    S(":irc.example.net CAP * LS :multi-prefix sasl=PLAIN,EXTERNAL\r\n"),
    C("CAP REQ :sasl\r\n"),
    S(":irc.example.net CAP bob ACK :sasl\r\n"),
    C("AUTHENTICATE PLAIN\r\n"),
    S("AUTHENTICATE +\r\n"),
    C("AUTHENTICATE YWxpY2UAYWxpY2UAd3Iwbmc=\r\n"),
    S(":irc.example.net 904 bob :SASL authentication failed\r\n"),
    C("AUTHENTICATE PLAIN\r\n"),
    S(":irc.example.net AUTHENTICATE +\r\n"),
    C("AUTHENTICATE AGJvYgBzM2NyM3Q=\r\n"),
    S(":irc.example.net 900 bob bob!bob@host bob :You are now logged in as bob\r\n"
      ":irc.example.net 903 bob :SASL authentication successful\r\n"),
    C("CAP END\r\n"),
    S(":irc.example.net 001 bob :Welcome bob\r\n"),
};

static void test_sasl(void **unused)
{
    struct run r;
    run(&r, sasl, OT_ARRAY_SIZE(sasl), 6697, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IRC);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 3);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "alice", "sasl-plain", true, "failure");
    assert_int_equal(attempt(o), 2);
    assert_null(json_object_get(o, "realname"));
    o = ev_obj(r.events, 1);
    check_login_ev(o, "login", "bob", "sasl-plain", true, "success");
    assert_int_equal(attempt(o), 3);
    o = ev_obj(r.events, 2);
    check_login_ev(o, "login", "bob", "nick", false, "success");
    assert_int_equal(attempt(o), 1);
    assert_string_equal(str(o, "realname"), "Bob");
    assert_null(strstr(r.raw, "s3cr3t"));
    assert_null(strstr(r.raw, "wr0ng"));
    run_free(&r);
    check_splits(sasl, OT_ARRAY_SIZE(sasl), 6697);
}

static void test_sasl_abort_and_long(void **unused)
{
    /*
     * An aborted exchange, then a PLAIN response of exactly 400 bytes of base64
     * ("\0longuser\0" and 290 'p') continued by "+" (IRCv3: nothing more).
     */
    static char big[512];
    size_t n = (size_t)snprintf(big, sizeof(big), "AUTHENTICATE AGxvbmd1c2VyAH");
    for (int i = 0; i < 96; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "BwcH");
    n += (size_t)snprintf(big + n, sizeof(big) - n, "Bw\r\nAUTHENTICATE +\r\n");
    assert_int_equal(n, 13 + 400 + 2 + 14 + 2);
    struct step st[] = {
        C("NICK c\r\nUSER c 0 * :c\r\nAUTHENTICATE EXTERNAL\r\n"),
        S("AUTHENTICATE +\r\n"),
        C("AUTHENTICATE *\r\n"),
        S(":s 906 c :SASL authentication aborted\r\n"),
        C("AUTHENTICATE PLAIN\r\n"),
        S("AUTHENTICATE +\r\n"),
        {0, big, n},
        S(":s 904 c :SASL authentication failed\r\n"),
        C("CAP END\r\n"),
        S(":s 001 c :Welcome\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 3);
    check_login_ev(ev_obj(r.events, 0), "login", NULL, "sasl-external", false, "failure");
    check_login_ev(ev_obj(r.events, 1), "login", "longuser", "sasl-plain", true, "failure");
    check_login_ev(ev_obj(r.events, 2), "login", "c", "nick", false, "success");
    run_free(&r);
}

/* ---- NickServ and OPER ---- */

static const struct step services[] = {
    S(":irc.example.net NOTICE * :*** Looking up your hostname...\r\n"),
    C("NICK carol\r\nUSER carol 0 * :Carol\r\n"),
    S(":irc.example.net 001 carol :Welcome carol\r\n"),
    S(":NickServ!NickServ@services. NOTICE carol :This nickname is registered. Please "
      "identify via /msg NickServ identify <password>.\r\n"),
    C("PRIVMSG NickServ :IDENTIFY hunter2\r\n"),
    S(":NickServ!NickServ@services. NOTICE carol :Invalid password for \x02"
      "carol\x02"
      ".\r\n"),
    C("NS IDENTIFY carolacct hunter3\r\n"),
    S(":NickServ!NickServ@services. NOTICE carol :You are now identified for "
      "\x02"
      "carolacct\x02"
      ".\r\n"),
    C("NICKSERV :IDENTIFY hunter4\r\n"),
    S(":NickServ!NickServ@services. NOTICE carol :Password accepted - you are now "
      "recognized.\r\n"),
    C("privmsg nickserv@services.example.net identify x y\r\n"),
    C("PRIVMSG NickServ :INFO carol\r\n"),
    S(":NickServ!NickServ@services. NOTICE carol :Information on carol:\r\n"),
    C("OPER carol wrongpw\r\n"),
    S(":irc.example.net 464 carol :Password incorrect\r\n"),
    C("OPER carol rightpw\r\n"),
    S(":irc.example.net 381 carol :You are now an IRC operator\r\n"),
    C("OPER nobody pw\r\n"),
    S(":irc.example.net 491 carol :No O-lines for your host\r\n"),
    C("OPER lastone pw\r\n"),
};

static void test_nickserv_oper(void **unused)
{
    struct run r;
    run(&r, services, OT_ARRAY_SIZE(services), 6667, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 9);
    /* Written at their verdicts; those without one when the flow ends, oldest first. */
    static const int order[] = {1, 2, 3, 4, 6, 7, 8, 5, 9};
    check_login_ev(ev_obj(r.events, 0), "login", "carol", "nick", false, "success");
    check_login_ev(ev_obj(r.events, 1), "login", "carol", "nickserv", true, "failure");
    check_login_ev(ev_obj(r.events, 2), "login", "carolacct", "nickserv", true, "success");
    check_login_ev(ev_obj(r.events, 3), "login", "carol", "nickserv", true, "success");
    check_login_ev(ev_obj(r.events, 4), "login", "carol", "oper", true, "failure");
    check_login_ev(ev_obj(r.events, 5), "login", "carol", "oper", true, "success");
    check_login_ev(ev_obj(r.events, 6), "login", "nobody", "oper", true, "failure");
    /* no verdict (INFO's answer is none): x is the account, y the password */
    check_login_ev(ev_obj(r.events, 7), "login", "x", "nickserv", true, "unknown");
    check_login_ev(ev_obj(r.events, 8), "login", "lastone", "oper", true, "unknown");
    for (size_t i = 0; i < 9; i++) {
        json_t *o = ev_obj(r.events, i);
        assert_int_equal(attempt(o), order[i]);
        assert_string_equal(str(o, "nick"), "carol");
        if (i > 0)
            assert_null(json_object_get(o, "realname"));
    }
    assert_null(strstr(r.raw, "hunter"));
    assert_null(strstr(r.raw, "wrongpw"));
    assert_null(strstr(r.raw, "rightpw"));
    run_free(&r);
    check_splits(services, OT_ARRAY_SIZE(services), 6667);
}

/* ---- syntax: prefixes, tags, case, whitespace ---- */

static void test_prefix_tags_case(void **unused)
{
    static const struct step st[] = {
        S("@time=2025-07-28T20:48:30.046Z :ircd1.local NOTICE * :*** Could not resolve\r\n"),
        C("  pass :with space\r\n"),
        C(":dave nick dave\nuser   dave  *  *  * extra words\n"),
        S("@time=2025-07-28T20:48:30.049Z PING :jNY28dDdI9\r\n"),
        C("PONG :jNY28dDdI9\r\n"),
        S("@time=2025-07-28T20:48:31.481Z :ircd1.local 001 dave :Welcome\r\n"),
        S("@time=x :dave!dave@h NICK :david\r\n"),
        C("JOIN #A,#b,&c,notachannel secret\r\n"),
        S("@time=x :david!dave@h JOIN #a * :extended join\r\n"),
        S(":other!o@h JOIN :#others\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 2);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "dave", "pass", true, "success");
    assert_string_equal(str(o, "realname"), "*");
    assert_string_equal(str(o, "nick"), "dave");
    assert_string_equal(str(o, "server_banner"), ":ircd1.local NOTICE * :*** Could not resolve");
    o = ev_obj(r.events, 1);
    check_login_ev(o, "channels", NULL, NULL, false, "unknown");
    assert_string_equal(str(o, "nick"), "david");
    json_t *ch = json_object_get(o, "channels");
    assert_int_equal(json_array_size(ch), 3);
    assert_string_equal(json_string_value(json_array_get(ch, 0)), "#A");
    assert_string_equal(json_string_value(json_array_get(ch, 1)), "#b");
    assert_string_equal(json_string_value(json_array_get(ch, 2)), "&c");
    assert_null(strstr(r.raw, "with space"));
    run_free(&r);
    check_splits(st, OT_ARRAY_SIZE(st), 6667);
}

static void test_channels_bound(void **unused)
{
    static const struct step st[] = {
        C("NICK n\r\nUSER n 0 * :n\r\n"),
        S(":s 001 n :hi\r\n"),
        C("JOIN #0123456789012345678901234567890123456789012345678901234567890123456789\r\n"),
        C("JOIN #1,#2,#3,#4\r\nJOIN #5,#6\r\nJOIN #7,#8,#9\r\nJOIN #1\r\nJOIN 0\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 2);
    json_t *o = ev_obj(r.events, 1);
    json_t *ch = json_object_get(o, "channels");
    assert_int_equal(json_array_size(ch), 8);
    /* a name is kept to 50 bytes (RFC 2812's longest) */
    assert_string_equal(json_string_value(json_array_get(ch, 0)),
                        "#0123456789012345678901234567890123456789012345678");
    assert_string_equal(json_string_value(json_array_get(ch, 1)), "#1");
    assert_string_equal(json_string_value(json_array_get(ch, 7)), "#7");
    assert_true(json_is_true(json_object_get(o, "channels_truncated")));
    run_free(&r);
    /* up to the bound, nothing is said to be missing */
    run(&r, st, 3, 6667, 0, 0, 0);
    o = ev_obj(r.events, 1);
    assert_int_equal(json_array_size(json_object_get(o, "channels")), 1);
    assert_true(json_is_false(json_object_get(o, "channels_truncated")));
    run_free(&r);
}

/* ---- STARTTLS ---- */

static void test_starttls(void **unused)
{
    static const struct step st[] = {
        C("STARTTLS\r\n"),
        S(":irc.joulunet.org 670  :STARTTLS successful, go ahead with TLS handshake\r\n"),
        C("\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03PASS a\r\nNICK b\r\nUSER c 0 * :d\r\n"),
        S("\x16\x03\x03\x00\x5a\x02\x00\x00\x56\r\n:s 001 b :x\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.app, OT_APP_TLS); /* handed over */
    json_t *evs = r.events;
    size_t found = 0, i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        const char *t = json_string_value(json_object_get(ev, "event_type"));
        if (strcmp(t, "irc") == 0) {
            json_t *o = json_object_get(ev, "irc");
            check_login_ev(o, "starttls", NULL, NULL, false, "unknown");
            assert_true(json_is_true(json_object_get(o, "starttls")));
            found++;
        }
    }
    assert_int_equal(found, 1);
    run_free(&r);

    /* Refused (691): the login that follows is read. */
    static const struct step refused[] = {
        C("STARTTLS\r\n"),
        S(":s 691 * :STARTTLS failure\r\n"),
        C("PASS pw\r\nNICK n\r\nUSER n 0 * :n\r\n"),
        S(":s 001 n :hi\r\n"),
    };
    run(&r, refused, OT_ARRAY_SIZE(refused), 6667, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IRC);
    assert_int_equal(json_array_size(r.events), 1);
    check_login_ev(ev_obj(r.events, 0), "login", "n", "pass", true, "success");
    run_free(&r);
}

/* ---- robustness ---- */

static void test_not_irc(void **unused)
{
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)((i * 131 + 7) % 251);
    for (size_t i = 40; i < sizeof(noise); i += 40)
        noise[i] = '\n';
    noise[sizeof(noise) - 1] = '\n';
    struct step st[] = {
        S(":irc.example.net NOTICE * :hello\r\n"),
        {1, (const char *)noise, sizeof(noise)},
        C("PASS late\r\nNICK late\r\nUSER late 0 * :late\r\n"),
        S(":irc.example.net 001 late :too late\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IRC);
    assert_int_equal(r.errors, 1); /* 16 server lines in a row that are not IRC */
    assert_int_equal(json_array_size(r.events), 0);
    run_free(&r);
    /* The same noise from the client costs nothing: client lines are not checked. */
    st[1].dir = 0;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login_ev(ev_obj(r.events, 0), "login", "late", "pass", true, "success");
    run_free(&r);
    /* A few junk server lines, then IRC again: the count starts over. */
    static const struct step few[] = {
        S(":s NOTICE * :x\r\n\x01\x02\r\n\xff\xfe\r\n: \r\n:s\r\n123456\r\n!!\r\n"),
        C("NICK k\r\nUSER k 0 * :k\r\n"),
        S(":s 001 k :hi\r\n"),
    };
    run(&r, few, OT_ARRAY_SIZE(few), 6667, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 1);
    check_login_ev(ev_obj(r.events, 0), "login", "k", "nick", false, "success");
    run_free(&r);
}

static void test_truncated(void **unused)
{
    size_t n = steps_len(services, OT_ARRAY_SIZE(services));
    for (size_t cut = 1; cut < n; cut++) {
        struct step st[OT_ARRAY_SIZE(services)];
        size_t k = steps_prefix(services, OT_ARRAY_SIZE(services), cut, st);
        struct run r;
        run(&r, st, k, 6667, 0, 0, 0);
        assert_true(json_array_size(r.events) <= 9);
        assert_int_equal(r.errors, 0);
        assert_null(strstr(r.raw, "hunter"));
        run_free(&r);
    }
}

static void test_limits(void **unused)
{
    /* Over-long USER line (cut at the line bound), over-long nick and realname. */
    static char user[6000];
    size_t n = (size_t)snprintf(user, sizeof(user), "USER ");
    memset(user + n, 'u', 300);
    n += 300;
    memcpy(user + n, " 0 * :", 6);
    n += 6;
    memset(user + n, 'r', sizeof(user) - n - 2);
    memcpy(user + sizeof(user) - 2, "\r\n", 2);
    static char nick[200];
    n = (size_t)snprintf(nick, sizeof(nick), "NICK ");
    memset(nick + n, 'n', sizeof(nick) - n - 2);
    memcpy(nick + sizeof(nick) - 2, "\r\n", 2);
    struct step st[] = {
        S(":s NOTICE * :hi\r\n"), {0, nick, sizeof(nick)}, {0, user, sizeof(user)},
        C("PASS p\r\n"),          S(":s 001 x :hi\r\n"),
    };
    for (int pass = 0; pass < 3; pass++) {
        struct run r;
        run(&r, st, OT_ARRAY_SIZE(st), 6667, pass == 1 ? 999 : 0, 0, pass == 2 ? 64 : 0);
        assert_int_equal(r.errors, 0);
        assert_int_equal(json_array_size(r.events), 1);
        json_t *o = ev_obj(r.events, 0);
        check_login_ev(o, "login", "*", "pass", true, "success");
        assert_int_equal(strlen(str(o, "user")), pass == 2 ? 59 : 128);
        assert_string_equal(str(o, "nick"), "x"); /* the server's word (001) wins */
        if (pass == 2)
            assert_null(json_object_get(o, "realname")); /* the line was cut before it */
        else
            assert_int_equal(strlen(str(o, "realname")), 128);
        run_free(&r);
    }
}

static void test_nick_bound(void **unused)
{
    static char nick[200];
    size_t n = (size_t)snprintf(nick, sizeof(nick), "NICK ");
    memset(nick + n, 'n', sizeof(nick) - n - 2);
    memcpy(nick + sizeof(nick) - 2, "\r\n", 2);
    struct step st[] = {S(":s NOTICE * :hi\r\n"), {0, nick, sizeof(nick)}, C("USER u 0 * :r\r\n")};
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(json_array_size(r.events), 1);
    json_t *o = ev_obj(r.events, 0);
    check_login_ev(o, "login", "u", "nick", false, "unknown");
    assert_int_equal(strlen(str(o, "nick")), 64);
    run_free(&r);
}

/* After the welcome, 200 client lines (or 128 KiB of lines) and the parser stops. */
static void test_post_login_bound(void **unused)
{
    static char lines[200 * 16 + 1];
    size_t n = 0;
    for (int i = 0; i < 198; i++)
        n += (size_t)snprintf(lines + n, sizeof(lines) - n, "PING :%05d\r\n", i);
    struct step st[] = {
        C("NICK b\r\nUSER b 0 * :b\r\n"),
        S(":s 001 b :hi\r\n"),
        {0, lines, n},
        C("PRIVMSG NickServ :IDENTIFY seen\r\n"), /* line 199 */
        C("JOIN #seen\r\n"),                      /* line 200: the parser stops after it */
        C("JOIN #unseen\r\nPRIVMSG NickServ :IDENTIFY unseen\r\n"),
        S(":NickServ!s@s NOTICE b :Password accepted\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.events), 3);
    check_login_ev(ev_obj(r.events, 0), "login", "b", "nick", false, "success");
    /* written when the parser stopped, before the NOTICE */
    check_login_ev(ev_obj(r.events, 1), "login", "b", "nickserv", true, "unknown");
    json_t *ch = json_object_get(ev_obj(r.events, 2), "channels");
    assert_int_equal(json_array_size(ch), 1);
    assert_string_equal(json_string_value(json_array_get(ch, 0)), "#seen");
    run_free(&r);

    /* Three lines fewer and the second IDENTIFY and its verdict are read. */
    st[2].n -= 3 * 13;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(count_type(r.events, "login"), 3);
    assert_int_equal(count_type(r.events, "channels"), 1);
    check_login_ev(ev_obj(r.events, 1), "login", "b", "nickserv", true, "unknown"); /* "seen" */
    check_login_ev(ev_obj(r.events, 2), "login", "b", "nickserv", true, "success"); /* "unseen" */
    run_free(&r);

    /* 128 KiB of server lines stop it too. */
    static char motd[140000];
    size_t m = 0;
    while (m + 100 < sizeof(motd))
        m += (size_t)snprintf(motd + m, sizeof(motd) - m, ":s 372 b :- %-80s\r\n",
                              "a message of the day line");
    struct step big[] = {
        C("NICK b\r\nUSER b 0 * :b\r\n"),
        S(":s 001 b :hi\r\n"),
        C("NS IDENTIFY pw\r\n"),
        {1, motd, m},
        S(":NickServ!s@s NOTICE b :Password accepted\r\n"),
    };
    for (int piece = 0; piece < 2; piece++) {
        run(&r, big, OT_ARRAY_SIZE(big), 6667, piece ? 1000 : 0, 0, 0);
        assert_int_equal(r.errors, 0);
        assert_int_equal(json_array_size(r.events), 2);
        check_login_ev(ev_obj(r.events, 1), "login", "b", "nickserv", true, "unknown");
        run_free(&r);
    }
}

#define FEED(h, dir, lit) ot_harness_feed(h, dir, lit, sizeof(lit) - 1)

static void test_gap(void **unused)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 6667, 6, true), 0);
    FEED(&h, 0, "NICK g\r\nUSER g 0 * :g\r\nPASS x");
    ot_harness_gap(&h, 0, 10); /* the rest of the PASS line is lost */
    FEED(&h, 0, "yz\r\nPRIVMSG NickServ :IDENTIFY p\r\n");
    FEED(&h, 1, ":s 001 g :hi\r\n:NickServ!a@b NOTI");
    ot_harness_gap(&h, 1, 100);
    FEED(&h, 1, "CE g :You are now identified for g\r\n");
    ot_harness_finish(&h);
    json_t *evs = ot_harness_events(&h, "irc");
    assert_int_equal(json_array_size(evs), 2);
    check_login_ev(ev_obj(evs, 0), "login", "g", "nick", false, "success");
    check_login_ev(ev_obj(evs, 1), "login", "g", "nickserv", true, "unknown");
    json_decref(evs);
    ot_harness_cleanup(&h);
}

/* A capture that begins after the registration: no attempt invented. */
static void test_mid_session(void **unused)
{
    static const struct step st[] = {
        C("PRIVMSG bob :.DCC SEND hello.txt 167772161 5555 12.\r\n"),
        C("NICK newnick\r\n"),
        S(":old!u@h NICK :newnick\r\n"),
        S(":newnick!u@h JOIN :#c2\r\n"),
    };
    struct run r;
    run(&r, st, OT_ARRAY_SIZE(st), 6667, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_IRC);
    assert_int_equal(r.errors, 0);
    assert_int_equal(count_type(r.events, "login"), 0);
    assert_int_equal(count_type(r.events, "channels"), 1);
    run_free(&r);
    /* the same first line elsewhere is not claimed */
    run(&r, st, 1, 8080, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_UNKNOWN);
    run_free(&r);
}

/* ---- probe ---- */

static enum ot_probe_result probe(uint16_t port, int dir, const char *s, size_t n)
{
    return login_probe(&ot_proto_irc, 40000, port, dir, s, n);
}
#define PROBE(port, dir, lit) probe(port, dir, lit, sizeof(lit) - 1)

static void test_probe(void **unused)
{
    /* client, any port */
    assert_int_equal(PROBE(8000, 0, "NICK molochtest\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 0, "NICK :bob\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 0, "USER xxxxx +iw xxxxx :Xxxxxx Xxxx\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 0, "USER brotest * * * * * \r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 0, "USER a b c :d"), OT_PROBE_YES); /* decided before the end */
    assert_int_equal(PROBE(80, 0, "CAP REQ :twitch.tv/tags\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 0, "CAP LS 302\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 0, "cap end\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 0, "PASS l0m3za\r\nNICK damn\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(6667, 0, "PASS l0m3za\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(6667, 0, "PRIVMSG bob :hi\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(6667, 0, "STARTTLS\r\n"), OT_PROBE_YES);
    /* client, too short to tell */
    assert_int_equal(PROBE(8000, 0, ""), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 0, "NI"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 0, "NICK "), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 0, "NICK bo"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 0, "USER bob"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 0, "USER bob 0 *"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 0, "CAP L"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 0, "PASS secret"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 0, "PASS secret\r\n"), OT_PROBE_MORE); /* NICK may follow */
    assert_int_equal(PROBE(8000, 0, "PASS secret\r\nNI"), OT_PROBE_MORE);
    assert_int_equal(PROBE(6667, 0, "PRIV"), OT_PROBE_MORE);
    /* client, not IRC */
    assert_int_equal(PROBE(6667, 0, "USER bob\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 0, "USER bob\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 0, "USER bob\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "USER a b :c d\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 0, "PASS secret\r\nSYST\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(6667, 0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(80, 0, "GET / HTTP/1.1\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 0, "EHLO mail.example.com\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(143, 0, "a1 LOGIN bob pw\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(5060, 0, "REGISTER sip:example.com SIP/2.0\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(5060, 0, "NOTIFY sip:bob@example.com SIP/2.0\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "NICK\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "NICK two words\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "NICK b\x01\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "NICKNAME x\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "CAP FOO\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "PRIVMSG bob :hi\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 0, "QUIT\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(443, 0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc"), OT_PROBE_NO);
    assert_int_equal(PROBE(22, 0, "SSH-2.0-OpenSSH_9.2\r\n"), OT_PROBE_NO);

    /* server */
    assert_int_equal(PROBE(8000, 1, ":card.freenode.net NOTICE * :*** Looking up\r\n"),
                     OT_PROBE_YES);
    assert_int_equal(PROBE(80, 1, ":tmi.twitch.tv CAP * ACK :twitch.tv/tags\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 1, ":irc.joulunet.org 670  :STARTTLS successful\r\n"),
                     OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 1, "@time=2025-07-28T20:48:30.046Z :ircd1.local NOTICE * :x\r\n"),
                     OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 1, "NOTICE AUTH :*** Looking up your hostname\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(6667, 1, "PING :12345\r\n"), OT_PROBE_YES);
    assert_int_equal(PROBE(8000, 1, ""), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 1, ":card.free"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 1, ":card.freenode.net "), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 1, ":card.freenode.net 00"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 1, ":card.freenode.net NOT"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 1, "@time=2025"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 1, "NOTICE AU"), OT_PROBE_MORE);
    assert_int_equal(PROBE(8000, 1, ":nick!user@host PRIVMSG #c :hi\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 1, ":card.freenode.net PRIVMSG #c :hi\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 1, ":card.freenode.net 0012 x\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(8000, 1, "PING :12345\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(21, 1, "220 FTP server ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(25, 1, "220 mx ESMTP\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(110, 1, "+OK ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(143, 1, "* OK IMAP4rev1 ready\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(80, 1, "HTTP/1.1 200 OK\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(5060, 1, "SIP/2.0 200 OK\r\n"), OT_PROBE_NO);
    assert_int_equal(PROBE(23, 1, "\xff\xfd\x18"), OT_PROBE_NO);
}

/* The whole dispatcher: the neighbours keep their flows, IRC takes its own. */
static void test_dispatch(void **unused)
{
    static const struct step ftp[] = {C("USER bob\r\n"), S("331 Password required\r\n")};
    struct run r;
    run(&r, ftp, OT_ARRAY_SIZE(ftp), 21, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_FTP);
    run_free(&r);
    run(&r, ftp, 1, 2121, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_FTP);
    run_free(&r);
    static const struct step pop3[] = {C("USER bob\r\n"), S("+OK\r\n")};
    run(&r, pop3, OT_ARRAY_SIZE(pop3), 110, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_POP3);
    run_free(&r);
    static const struct step ftp_greet[] = {S("220 FTP ready\r\n"), C("PASS x\r\n")};
    run(&r, ftp_greet, OT_ARRAY_SIZE(ftp_greet), 21, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_FTP);
    run_free(&r);
    static const struct step http[] = {C("GET / HTTP/1.1\r\nHost: x\r\n\r\n")};
    run(&r, http, OT_ARRAY_SIZE(http), 6667, 0, 0, 0);
    assert_int_equal(r.app, OT_APP_HTTP);
    run_free(&r);
    static const struct step irc_user[] = {C("USER xxxxx +iw xxxxx :Xxxxxx Xxxx\r\n")};
    for (size_t k = 0; k < 3; k++) {
        static const uint16_t ports[] = {8000, 21, 6667};
        run(&r, irc_user, 1, ports[k], 0, 0, 0);
        assert_int_equal(r.app, OT_APP_IRC);
        run_free(&r);
    }
}

static void test_splits(void **unused)
{
    check_splits(plain_reg, OT_ARRAY_SIZE(plain_reg), 6667);
    check_splits(plain_reg, OT_ARRAY_SIZE(plain_reg), 8000);
    check_splits(pass_reg, OT_ARRAY_SIZE(pass_reg), 6667);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_no_pass),
        cmocka_unit_test(test_register_pass),
        cmocka_unit_test(test_register_failures),
        cmocka_unit_test(test_cap_pass_nick),
        cmocka_unit_test(test_sasl),
        cmocka_unit_test(test_sasl_abort_and_long),
        cmocka_unit_test(test_nickserv_oper),
        cmocka_unit_test(test_prefix_tags_case),
        cmocka_unit_test(test_channels_bound),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_not_irc),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_nick_bound),
        cmocka_unit_test(test_post_login_bound),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_mid_session),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
