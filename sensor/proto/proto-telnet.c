/*
 * Telnet (RFC 854, RFC 1572 NEW-ENVIRON): logins typed at a prompt.
 *
 * Option negotiation is stripped from both directions (IAC IAC is a data
 * 0xff; subnegotiation SB ... SE is skipped, bounded).  What is left is
 * terminal text, read as a small state machine: a server prompt ending in
 * "login:"/"username:" starts an attempt and the client's keystrokes up to
 * CR/LF are the user (client bytes, not the server's echo); a prompt ending
 * in "password:" means the next line the client types is a password sent
 * in clear.  The server's next words decide: "Last login"/"Welcome" or a
 * shell prompt is a success, "incorrect"/"failed"/"denied"/"invalid" a
 * failure, another prompt or the end of the flow leaves it unknown.  One
 * "telnet" event per attempt; after a success the parser stops reading (the
 * rest is a shell session).
 *
 * Servers often write a prompt a few bytes per segment, so prompts are read
 * only when the client speaks next (the server then waits for input) or the
 * flow ends; verdict words are noted as they complete in a small window of
 * recent server text.  Either way the result does not depend on how the
 * stream was cut.
 */
#include "proto/proto-line.h"

#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"

#define IAC  255
#define DONT 254
#define DO   253
#define WONT 252
#define WILL 251
#define SB   250
#define SE   240

#define OPT_ENVIRON     36
#define OPT_NEW_ENVIRON 39

#define WIN_MAX 160  /* recent server text searched for prompts and verdicts */
#define SB_KEEP 128  /* NEW-ENVIRON bytes kept (the client's USER variable) */
#define SB_MAX  4096 /* a subnegotiation longer than this is abandoned */

enum iac_state {
    S_DATA = 0,
    S_IAC,
    S_OPT,
    S_SB_OPT,
    S_SB,
    S_SB_IAC,
};

enum phase {
    P_IDLE = 0,  /* waiting for a prompt */
    P_USER,      /* the client types the user name */
    P_WAIT_PASS, /* user given, waiting for the password prompt */
    P_PASS,      /* the client types the password */
    P_RESULT,    /* password given, waiting for the verdict */
    P_DONE,      /* logged in: the rest is a shell session */
};

struct telnet_state {
    struct ot_login_session sess;
    struct ot_login login;
    uint8_t iac[2]; /* enum iac_state per direction */
    uint8_t sb_opt[2];
    uint16_t sb_count[2];
    uint8_t phase;     /* enum phase */
    uint8_t typed_len; /* user name typed so far */
    uint8_t env_len;
    uint8_t sb_len;
    uint8_t win_len;
    bool banner_started;
    bool saw_ok, saw_bad; /* verdict words seen since the user/password was sent */
    uint32_t pass_typed;
    uint8_t typed[OT_LOGIN_USER_MAX];
    uint8_t env_user[64];
    uint8_t sb[SB_KEEP];
    uint8_t win[WIN_MAX];
};

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct telnet_state *st,
                 enum ot_login_result r)
{
    if (!st->login.active)
        return;
    st->login.active = false;
    if (!st->login.user_len && !st->login.password_in_clear && st->phase < P_RESULT)
        return; /* an empty prompt is not an attempt */
    ot_login_event_begin(ctx, f, "telnet", "login", &st->login, r, &st->sess);
    ot_login_event_end(ctx);
}

static void start(struct telnet_state *st)
{
    ot_login_start(&st->login, &st->sess, "prompt");
    if (st->env_len)
        ot_login_set_user(&st->login, st->env_user, st->env_len);
}

/* NEW-ENVIRON IS/INFO: VAR "USER" VALUE "bob" (RFC 1572). */
static void environ_user(struct telnet_state *st)
{
    const uint8_t *p = st->sb;
    size_t n = st->sb_len;
    if (n < 1 || (p[0] != 0 && p[0] != 2))
        return;
    size_t i = 1;
    while (i < n) {
        uint8_t type = p[i++];
        size_t s = i;
        while (i < n && p[i] > 3)
            i++;
        bool is_user = (type == 0 || type == 3) && ot_line_ieq(p + s, i - s, "USER");
        if (i < n && p[i] == 1) { /* VALUE */
            size_t v = ++i;
            while (i < n && p[i] > 3)
                i++;
            if (is_user) {
                size_t k = OT_MIN(i - v, sizeof(st->env_user));
                memcpy(st->env_user, p + v, k);
                st->env_len = (uint8_t)k;
                if (st->login.active && !st->login.user_len)
                    ot_login_set_user(&st->login, st->env_user, st->env_len);
            }
        }
    }
}

/* A client keystroke (option negotiation already removed). */
static void client_byte(struct telnet_state *st, uint8_t c)
{
    bool eol = c == '\r' || c == '\n';
    if (st->phase == P_USER) {
        if (eol) {
            if (st->typed_len) {
                ot_login_set_user(&st->login, st->typed, st->typed_len);
                st->phase = P_WAIT_PASS;
                st->win_len = 0; /* forget the echo: only what follows is a verdict */
                st->saw_ok = st->saw_bad = false;
            }
        } else if (c == 0x08 || c == 0x7f) {
            if (st->typed_len)
                st->typed_len--;
        } else if (c == 0x15) { /* ^U: kill the line */
            st->typed_len = 0;
        } else if (c >= 0x20 && st->typed_len < sizeof(st->typed)) {
            st->typed[st->typed_len++] = c;
        }
    } else if (st->phase == P_PASS) {
        if (eol) {
            if (st->pass_typed)
                st->login.password_in_clear = true;
            st->phase = P_RESULT;
            st->win_len = 0;
            st->saw_ok = st->saw_bad = false;
        } else if (c >= 0x20 && c != 0x7f && st->pass_typed < UINT32_MAX) {
            st->pass_typed++;
        }
    }
}

static const char *const login_prompts[] = {
    "login:", "username:", "user name:", "user:", "userid:", "login name:"};
static const char *const pass_prompts[] = {"password:", "passwd:", "passcode:"};
/* Verdict words in a run of server text (proto-line.h); they accumulate until the next decision. */
static void note_words(struct telnet_state *st, const uint8_t *p, size_t n)
{
    if (st->phase != P_RESULT && st->phase != P_WAIT_PASS)
        return;
    ot_login_verdict_words(st->win, st->win_len, p, n, &st->saw_ok, &st->saw_bad);
}

/* Server text: the banner (first non-empty line) and the window. */
static void server_text(struct telnet_state *st, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && !st->sess.banner_done; i++) {
        uint8_t c = p[i];
        if (c == '\r' || c == '\n') {
            if (st->banner_started)
                st->sess.banner_done = true;
        } else if (c >= 0x20 || st->banner_started) {
            if (c == 0)
                continue;
            st->banner_started = true;
            if (st->sess.banner_len < sizeof(st->sess.banner))
                st->sess.banner[st->sess.banner_len++] = (char)c;
            else
                st->sess.banner_done = true;
        }
    }
    note_words(st, p, n);
    ot_login_window_push(st->win, &st->win_len, WIN_MAX, p, n);
}

static bool tail_is(const uint8_t *t, size_t tn, const char *const *words, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        if (ot_line_iends(t, tn, words[i]))
            return true;
    return false;
}

/*
 * Read what the server said since the last decision.  Called when the
 * client speaks (the server has finished its output and waits for input)
 * and at the end of the flow, so the decision does not depend on how the
 * server's output was cut into segments.
 */
static void decide(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct telnet_state *st)
{
    size_t tn = st->win_len;
    while (tn && (st->win[tn - 1] == ' ' || st->win[tn - 1] == '\t' || st->win[tn - 1] == '\r' ||
                  st->win[tn - 1] == '\n' || st->win[tn - 1] == 0))
        tn--;
    const uint8_t *t = st->win;
    bool lp = tail_is(t, tn, login_prompts, OT_ARRAY_SIZE(login_prompts));
    bool pp = !lp && tail_is(t, tn, pass_prompts, OT_ARRAY_SIZE(pass_prompts));

    if (st->phase == P_RESULT || st->phase == P_WAIT_PASS) {
        if (st->saw_ok) {
            emit(ctx, f, st, OT_LOGIN_SUCCESS);
            st->phase = P_DONE;
            return;
        }
        if (st->saw_bad) {
            emit(ctx, f, st, OT_LOGIN_FAILURE);
            st->phase = P_IDLE; /* the same text may end with the next prompt: read on */
        } else if (st->phase == P_RESULT && !lp && !pp && tn &&
                   (t[tn - 1] == '$' || t[tn - 1] == '#' || t[tn - 1] == '>' ||
                    (t[tn - 1] == '%' && tn > 1 && t[tn - 2] != '\n'))) {
            emit(ctx, f, st, OT_LOGIN_SUCCESS); /* a shell prompt */
            st->phase = P_DONE;
            return;
        }
    }
    if (lp) {
        emit(ctx, f, st, OT_LOGIN_UNKNOWN);
        start(st);
        st->phase = P_USER;
        st->typed_len = 0;
        st->win_len = 0;
        st->sess.banner_done = true;
    } else if (pp) {
        if (st->phase == P_RESULT || st->phase == P_PASS) {
            /* Asked again without a verdict: a new attempt for the same user. */
            uint8_t u[OT_LOGIN_USER_MAX];
            size_t un = st->login.user_len;
            memcpy(u, st->login.user, un);
            emit(ctx, f, st, OT_LOGIN_UNKNOWN);
            start(st);
            ot_login_set_user(&st->login, u, un);
        } else if (!st->login.active) {
            start(st);
        }
        st->phase = P_PASS;
        st->pass_typed = 0;
        st->win_len = 0;
        st->sess.banner_done = true;
    }
}

static void sb_end(struct telnet_state *st, int dir)
{
    if (dir == 0 && (st->sb_opt[0] == OPT_NEW_ENVIRON || st->sb_opt[0] == OPT_ENVIRON))
        environ_user(st);
}

static void sb_byte(struct telnet_state *st, int dir, uint8_t c)
{
    if (dir == 0 && st->sb_len < sizeof(st->sb))
        st->sb[st->sb_len++] = c;
    if (++st->sb_count[dir] > SB_MAX)
        st->iac[dir] = S_DATA; /* not a real subnegotiation: read on as text */
}

/* Strip option negotiation; hand the text to the client/server readers. */
static void feed(struct telnet_state *st, int dir, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (st->iac[dir] == S_DATA) {
            const uint8_t *q = memchr(p + i, IAC, n - i);
            size_t end = q ? (size_t)(q - p) : n;
            if (end > i) {
                if (dir == 0) {
                    /* Keystrokes matter only while a user or password is typed. */
                    for (size_t k = i; k < end && (st->phase == P_USER || st->phase == P_PASS); k++)
                        client_byte(st, p[k]);
                } else {
                    server_text(st, p + i, end - i);
                }
            }
            i = end;
            if (q) {
                st->iac[dir] = S_IAC;
                i++;
            }
            continue;
        }
        uint8_t c = p[i++];
        switch (st->iac[dir]) {
        case S_IAC:
            if (c == IAC) {
                st->iac[dir] = S_DATA;
                if (dir == 0)
                    client_byte(st, c);
                else
                    server_text(st, &c, 1);
            } else if (c >= WILL && c <= DONT) {
                st->iac[dir] = S_OPT;
            } else if (c == SB) {
                st->iac[dir] = S_SB_OPT;
            } else {
                st->iac[dir] = S_DATA; /* a two-byte command (NOP, GA, ...) */
            }
            break;
        case S_OPT:
            st->iac[dir] = S_DATA;
            break;
        case S_SB_OPT:
            st->sb_opt[dir] = c;
            st->sb_count[dir] = 0;
            if (dir == 0)
                st->sb_len = 0;
            st->iac[dir] = S_SB;
            break;
        case S_SB:
            if (c == IAC)
                st->iac[dir] = S_SB_IAC;
            else
                sb_byte(st, dir, c);
            break;
        default: /* S_SB_IAC */
            if (c == SE) {
                st->iac[dir] = S_DATA;
                sb_end(st, dir);
            } else if (c == IAC) {
                st->iac[dir] = S_SB;
                sb_byte(st, dir, c);
            } else {
                st->iac[dir] = S_DATA; /* malformed: leave the subnegotiation */
            }
            break;
        }
    }
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct telnet_state *st = state;
    if (st->phase == P_DONE)
        return 0;
    dir = dir ? 1 : 0;
    if (flags & OT_DATA_GAP) {
        st->iac[dir] = S_DATA;
        if (dir == 0)
            st->typed_len = 0;
        else
            st->win_len = 0;
        if (!data)
            return 0;
    }
    if (dir == 0) {
        decide(ctx, f, st);
        if (st->phase == P_DONE)
            return 0;
    }
    feed(st, dir, data, len);
    return 0;
}

static void close_flow(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct telnet_state *st = state;
    if (st->phase != P_DONE)
        decide(ctx, f, st);
    emit(ctx, f, st, OT_LOGIN_UNKNOWN);
}

static const uint16_t telnet_ports[] = {23};

/* Printable terminal text (the first bytes of a server that does not negotiate). */
static bool text_like(const uint8_t *p, size_t n)
{
    size_t k = OT_MIN(n, (size_t)32);
    for (size_t i = 0; i < k; i++)
        if ((p[i] < 0x20 && p[i] != '\r' && p[i] != '\n' && p[i] != '\t' && p[i] != 0) ||
            p[i] >= 0x7f)
            return false;
    return k > 0;
}

/*
 * IAC followed by WILL/WONT/DO/DONT (or SB) at the start, in either
 * direction; or printable text on port 23.
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (len == 0)
        return OT_PROBE_MORE;
    if (data[0] == IAC) {
        if (len == 1)
            return OT_PROBE_MORE;
        return (data[1] >= WILL && data[1] <= DONT) || data[1] == SB ? OT_PROBE_YES : OT_PROBE_NO;
    }
    if (ot_port_is(f, telnet_ports, OT_ARRAY_SIZE(telnet_ports)) && text_like(data, len))
        return OT_PROBE_YES;
    return OT_PROBE_NO;
}

const struct ot_proto_parser ot_proto_telnet = {
    .id = OT_APP_TELNET,
    .name = "telnet",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct telnet_state),
    .probe = probe,
    .parse = parse,
    .close = close_flow,
};
