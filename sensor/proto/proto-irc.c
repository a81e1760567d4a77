/*
 * IRC (RFC 1459, RFC 2812; IRCv3 capability negotiation, message tags and
 * SASL): logins.
 *
 * Writes one "irc" event per login attempt:
 *   - the registration (PASS, NICK, USER): auth_method "pass" when PASS was
 *     sent (the password crosses in clear), else "nick"; decided by 001
 *     RPL_WELCOME (success), 464 ERR_PASSWDMISMATCH or ERROR before 001
 *     (failure);
 *   - AUTHENTICATE <mechanism> (IRCv3 SASL, "sasl-plain" etc.): 903 success,
 *     902/904/905/906/907 failure;
 *   - NickServ IDENTIFY (PRIVMSG NickServ, NS, NICKSERV): "nickserv",
 *     decided by the wording of a NOTICE from NickServ;
 *   - OPER <name> <password>: "oper", 381 success, 464/491 failure.
 * Several attempts may be open at once (a SASL exchange runs inside the
 * registration): each has its own verdict.  STARTTLS answered 670 writes a
 * "starttls" event and the parser stops (the TLS parser takes the flow).
 * Channels the client joins are written once, in a "channels" event, when
 * the parser stops or the flow ends.
 *
 * Cost bound: the parser reads at most WIN_LINES client lines and WIN_BYTES
 * bytes of lines (both directions), counted from the start of the flow and
 * again from RPL_WELCOME; then it writes what is pending and stops.
 * BAD_MAX server lines in a row that are not IRC messages stop it with an
 * error (a flow the probe claimed wrongly).
 */
#include "proto/proto-line.h"

#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "otasuke/error.h"

#define BAD_MAX    16 /* consecutive server lines that are not IRC before we give up */
#define WIN_LINES  200
#define WIN_BYTES  (128u * 1024)
#define NICK_MAX   64
#define REAL_MAX   128
#define CHAN_KEEP  8
#define CHAN_LEN   50  /* RFC 2812: channel names are at most 50 bytes */
#define SASL_CHUNK 400 /* IRCv3: a response of exactly 400 bytes continues on the next line */
#define PROBE_LINE 512 /* RFC 1459: a message is at most 512 bytes with its CR LF */

enum att {
    A_REG = 0, /* the registration (PASS/NICK/USER) */
    A_SASL,
    A_NS, /* NickServ IDENTIFY */
    A_OPER,
    A__N,
};

enum reg {
    REG_NONE = 0, /* no registration seen yet */
    REG_OPEN,     /* an attempt is open */
    REG_FAILED,   /* 464 or ERROR: a new PASS or USER opens a new attempt */
    REG_DONE,     /* 001 seen: registered */
};

struct irc_state {
    struct ot_line_reader rd[2];
    struct ot_login_session sess;
    struct ot_login att[A__N];
    struct ot_sasl sasl;
    uint32_t win_lines; /* client lines in the current window */
    uint32_t win_bytes; /* bytes of lines (both directions) in the current window */
    uint8_t reg;        /* enum reg */
    uint8_t bad_lines;
    uint8_t nick_len, real_len;
    uint8_t nchan;
    uint8_t chan_len[CHAN_KEEP];
    bool reg_full;     /* the open registration saw PASS or USER (not only NICK) */
    bool user_is_nick; /* the registration's user is the nick (no USER yet) */
    bool chan_more;    /* more channels were joined than are kept */
    bool sasl_more;    /* the last SASL response filled a 400-byte chunk: more follows */
    bool tls_pending;  /* STARTTLS awaits 670 or 691 */
    bool stopped;
    char nick[NICK_MAX];
    char real[REAL_MAX];
    char chan[CHAN_KEEP][CHAN_LEN];
};

/* ---- message syntax ---- */

static bool is_letter(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static size_t skip_sp(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && p[i] == ' ')
        i++;
    return i;
}

static size_t word_end(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && p[i] != ' ')
        i++;
    return i;
}

/* One message: [@tags SP] [:prefix SP] command params. Offsets into p. */
struct msg {
    const uint8_t *p;
    size_t n;
    size_t body;         /* after the tags */
    size_t pre, pre_len; /* the prefix without ':' (pre_len 0: none) */
    size_t cmd, cmd_len; /* a word of letters, or three digits */
    size_t arg;          /* the first parameter (n: none) */
    int num;             /* the numeric reply, or -1 */
};

/* False when the line is not shaped like an IRC message. */
static bool parse_msg(const uint8_t *p, size_t n, struct msg *m)
{
    memset(m, 0, sizeof(*m));
    m->p = p;
    m->n = n;
    m->num = -1;
    size_t i = skip_sp(p, n, 0);
    if (i < n && p[i] == '@')
        i = skip_sp(p, n, word_end(p, n, i));
    m->body = i;
    if (i < n && p[i] == ':') {
        size_t e = word_end(p, n, i);
        m->pre = i + 1;
        m->pre_len = e - i - 1;
        if (m->pre_len == 0)
            return false;
        i = skip_sp(p, n, e);
    }
    size_t e = word_end(p, n, i);
    size_t cl = e - i;
    if (cl == 0 || cl > 32)
        return false;
    if (cl == 3 && is_digit(p[i]) && is_digit(p[i + 1]) && is_digit(p[i + 2])) {
        m->num = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
    } else {
        for (size_t k = i; k < e; k++)
            if (!is_letter(p[k]))
                return false;
    }
    m->cmd = i;
    m->cmd_len = cl;
    m->arg = skip_sp(p, n, e);
    return true;
}

static bool cmd_is(const struct msg *m, const char *s)
{
    return ot_line_ieq(m->p + m->cmd, m->cmd_len, s);
}

/* The parameter at *pos (a word, or the ":trailing" rest of the line); advances *pos. */
static bool param(const struct msg *m, size_t *pos, size_t *off, size_t *len)
{
    size_t i = skip_sp(m->p, m->n, *pos);
    if (i >= m->n) {
        *pos = m->n;
        return false;
    }
    if (m->p[i] == ':') {
        *off = i + 1;
        *len = m->n - i - 1;
        *pos = m->n;
        return true;
    }
    size_t e = word_end(m->p, m->n, i);
    *off = i;
    *len = e - i;
    *pos = e;
    return true;
}

/* Parameter k (from 0), or false. */
static bool nth(const struct msg *m, unsigned k, size_t *off, size_t *len)
{
    size_t pos = m->arg;
    for (unsigned i = 0; i <= k; i++)
        if (!param(m, &pos, off, len))
            return false;
    return true;
}

/* The nick part of the prefix (up to '!' or '@'). */
static size_t prefix_nick(const struct msg *m)
{
    size_t i = 0;
    while (i < m->pre_len && m->p[m->pre + i] != '!' && m->p[m->pre + i] != '@')
        i++;
    return i;
}

/* A word of free text at *i (blanks and one leading ':' skipped); advances *i. */
static bool text_word(const uint8_t *t, size_t n, size_t *i, size_t *off, size_t *len)
{
    size_t k = skip_sp(t, n, *i);
    if (k < n && t[k] == ':')
        k++;
    k = skip_sp(t, n, k);
    if (k >= n) {
        *i = n;
        return false;
    }
    size_t e = word_end(t, n, k);
    *off = k;
    *len = e - k;
    *i = e;
    return true;
}

/* ---- attempts and events ---- */

static void set_nick(struct irc_state *st, const uint8_t *p, size_t n)
{
    if (n > sizeof(st->nick))
        n = sizeof(st->nick);
    memcpy(st->nick, p, n);
    st->nick_len = (uint8_t)n;
    if (st->reg == REG_OPEN && st->user_is_nick)
        ot_login_set_user(&st->att[A_REG], p, n);
}

static void set_method(struct ot_login *l, const char *m)
{
    size_t n = strlen(m);
    if (n >= sizeof(l->method))
        n = sizeof(l->method) - 1;
    memcpy(l->method, m, n);
    l->method_len = (uint8_t)n;
}

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st,
                 enum att a, enum ot_login_result r)
{
    struct ot_login *l = &st->att[a];
    if (!l->active)
        return;
    l->active = false;
    if (a == A_SASL) {
        memset(&st->sasl, 0, sizeof(st->sasl));
        st->sasl_more = false;
    }
    if (a == A_REG) {
        st->reg = r == OT_LOGIN_SUCCESS ? REG_DONE : r == OT_LOGIN_FAILURE ? REG_FAILED : st->reg;
        /*
         * A bare NICK without a verdict is not written: it is as likely a
         * nick change in a capture that began after the registration.
         */
        if (r == OT_LOGIN_UNKNOWN && !st->reg_full)
            return;
    }
    struct ot_jw *w = ot_login_event_begin(ctx, f, "irc", "login", l, r, &st->sess);
    if (st->nick_len)
        ot_jw_strn(w, "nick", st->nick, st->nick_len);
    if (a == A_REG && st->real_len)
        ot_jw_strn(w, "realname", st->real, st->real_len);
    ot_login_event_end(ctx);
}

/* The open attempts, oldest first, with no verdict. */
static void emit_open(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st)
{
    for (;;) {
        int oldest = -1;
        for (int a = 0; a < A__N; a++)
            if (st->att[a].active && (oldest < 0 || st->att[a].seq < st->att[oldest].seq))
                oldest = a;
        if (oldest < 0)
            return;
        emit(ctx, f, st, (enum att)oldest, OT_LOGIN_UNKNOWN);
    }
}

static void emit_channels(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st)
{
    if (st->nchan == 0)
        return;
    struct ot_jw *w =
        ot_login_event_begin(ctx, f, "irc", "channels", NULL, OT_LOGIN_UNKNOWN, &st->sess);
    if (st->nick_len)
        ot_jw_strn(w, "nick", st->nick, st->nick_len);
    ot_jw_arr_open(w, "channels");
    for (size_t i = 0; i < st->nchan; i++)
        ot_jw_strn(w, NULL, st->chan[i], st->chan_len[i]);
    ot_jw_arr_close(w);
    ot_jw_bool(w, "channels_truncated", st->chan_more);
    ot_login_event_end(ctx);
    st->nchan = 0;
}

/* Write everything pending and read no further. */
static void finish(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st)
{
    emit_open(ctx, f, st);
    emit_channels(ctx, f, st);
    st->stopped = true;
}

static void add_channel(struct irc_state *st, const uint8_t *p, size_t n)
{
    if (n == 0 || (p[0] != '#' && p[0] != '&' && p[0] != '+' && p[0] != '!'))
        return;
    if (n > CHAN_LEN)
        n = CHAN_LEN;
    for (size_t i = 0; i < st->nchan; i++)
        if (st->chan_len[i] == n && ot_line_ieq_n(p, st->chan[i], n))
            return;
    if (st->nchan == CHAN_KEEP) {
        st->chan_more = true;
        return;
    }
    memcpy(st->chan[st->nchan], p, n);
    st->chan_len[st->nchan++] = (uint8_t)n;
}

/* "#a,#b,&c" */
static void add_channels(struct irc_state *st, const uint8_t *p, size_t n)
{
    size_t s = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == ',') {
            add_channel(st, p + s, i - s);
            s = i + 1;
        }
    }
}

/* ---- client ---- */

/* Open the registration attempt unless one is open. */
static struct ot_login *reg_open(struct irc_state *st)
{
    struct ot_login *l = &st->att[A_REG];
    if (st->reg != REG_OPEN) {
        ot_login_start(l, &st->sess, "nick");
        st->reg = REG_OPEN;
        st->reg_full = false;
        st->real_len = 0;
        st->user_is_nick = true;
        if (st->nick_len)
            ot_login_set_user(l, (const uint8_t *)st->nick, st->nick_len);
    }
    return l;
}

static void client_nick(struct irc_state *st, const struct msg *m)
{
    size_t o, n;
    /* Once registered, a nick change counts when the server confirms it (NICK from us). */
    if (st->reg == REG_DONE || !nth(m, 0, &o, &n) || n == 0)
        return;
    if (st->reg == REG_NONE)
        reg_open(st);
    set_nick(st, m->p + o, n);
}

static void client_user(struct irc_state *st, const struct msg *m)
{
    size_t o, n;
    if (st->reg == REG_DONE || !nth(m, 0, &o, &n))
        return;
    struct ot_login *l = reg_open(st);
    st->reg_full = true;
    if (n) {
        ot_login_set_user(l, m->p + o, n);
        st->user_is_nick = false;
    }
    size_t ro, rn;
    if (nth(m, 3, &ro, &rn)) {
        if (rn > sizeof(st->real))
            rn = sizeof(st->real);
        memcpy(st->real, m->p + ro, rn);
        st->real_len = (uint8_t)rn;
    }
}

static void client_pass(struct irc_state *st, const struct msg *m)
{
    if (st->reg == REG_DONE)
        return; /* 462: already registered */
    struct ot_login *l = reg_open(st);
    st->reg_full = true;
    set_method(l, "pass");
    size_t o, n;
    if (nth(m, 0, &o, &n) && n > 0)
        l->password_in_clear = true;
}

/* Mechanism names are [A-Z0-9-_]{1,20} (RFC 4422); base64 data mostly is not. */
static bool mech_like(const uint8_t *p, size_t n)
{
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || is_digit(p[i]) || p[i] == '-' || p[i] == '_'))
            return false;
    return true;
}

static void client_authenticate(struct ot_proto_ctx *ctx, const struct ot_flow *f,
                                struct irc_state *st, const struct msg *m)
{
    size_t o, n;
    if (!nth(m, 0, &o, &n) || n == 0)
        return;
    const uint8_t *a = m->p + o;
    struct ot_login *l = &st->att[A_SASL];
    if (l->active && st->sasl_more) {
        st->sasl_more = n == SASL_CHUNK; /* the rest of a long response */
        return;
    }
    if (l->active && (st->sasl.want_response || (st->sasl.step == 0 && !mech_like(a, n)))) {
        st->sasl_more = n == SASL_CHUNK;
        ot_sasl_response(&st->sasl, l, a, n == 1 && a[0] == '+' ? 0 : n);
        return;
    }
    if (n == 1 && (a[0] == '*' || a[0] == '+'))
        return;
    emit(ctx, f, st, A_SASL, OT_LOGIN_UNKNOWN);
    ot_sasl_begin(&st->sasl, l, &st->sess, a, n);
}

/* "IDENTIFY [account] password" in t[i..n). */
static void nickserv(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st,
                     const uint8_t *t, size_t n, size_t i)
{
    size_t wo, wl, a1, l1, a2, l2;
    if (!text_word(t, n, &i, &wo, &wl) || !ot_line_ieq(t + wo, wl, "IDENTIFY"))
        return;
    if (!text_word(t, n, &i, &a1, &l1))
        return; /* no password: the services answer with the syntax */
    bool account = text_word(t, n, &i, &a2, &l2);
    emit(ctx, f, st, A_NS, OT_LOGIN_UNKNOWN);
    struct ot_login *l = &st->att[A_NS];
    ot_login_start(l, &st->sess, "nickserv");
    if (account)
        ot_login_set_user(l, t + a1, l1);
    else if (st->nick_len)
        ot_login_set_user(l, (const uint8_t *)st->nick, st->nick_len);
    l->password_in_clear = true;
}

static bool is_nickserv(const uint8_t *p, size_t n)
{
    return ot_line_ieq(p, n, "NickServ") || (n > 9 && ot_line_ieq_n(p, "NickServ@", 9));
}

static void client_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st,
                        const uint8_t *p, size_t n)
{
    struct msg m;
    if (!parse_msg(p, n, &m) || m.num >= 0)
        return;
    size_t o, l;
    if (cmd_is(&m, "NICK")) {
        client_nick(st, &m);
    } else if (cmd_is(&m, "USER")) {
        client_user(st, &m);
    } else if (cmd_is(&m, "PASS")) {
        client_pass(st, &m);
    } else if (cmd_is(&m, "AUTHENTICATE")) {
        client_authenticate(ctx, f, st, &m);
    } else if (cmd_is(&m, "PRIVMSG")) {
        size_t pos = m.arg;
        if (param(&m, &pos, &o, &l) && is_nickserv(p + o, l))
            nickserv(ctx, f, st, p, n, pos);
    } else if (cmd_is(&m, "NS") || cmd_is(&m, "NICKSERV")) {
        nickserv(ctx, f, st, p, n, m.arg);
    } else if (cmd_is(&m, "OPER")) {
        size_t po, pl;
        if (!nth(&m, 0, &o, &l))
            return;
        emit(ctx, f, st, A_OPER, OT_LOGIN_UNKNOWN);
        ot_login_start(&st->att[A_OPER], &st->sess, "oper");
        ot_login_set_user(&st->att[A_OPER], p + o, l);
        if (nth(&m, 1, &po, &pl) && pl > 0)
            st->att[A_OPER].password_in_clear = true;
    } else if (cmd_is(&m, "JOIN")) {
        if (nth(&m, 0, &o, &l))
            add_channels(st, p + o, l);
    } else if (cmd_is(&m, "STARTTLS")) {
        st->tls_pending = true;
    }
}

/* ---- server ---- */

static void numeric(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st,
                    const struct msg *m)
{
    size_t o, n;
    switch (m->num) {
    case 1: /* RPL_WELCOME: the first parameter is the nick the server gave us */
        if (nth(m, 0, &o, &n) && n > 0 && !(n == 1 && m->p[o] == '*'))
            set_nick(st, m->p + o, n);
        if (st->reg == REG_OPEN)
            emit(ctx, f, st, A_REG, OT_LOGIN_SUCCESS);
        st->reg = REG_DONE;
        st->win_lines = 0;
        st->win_bytes = 0;
        break;
    case 464: /* ERR_PASSWDMISMATCH: the registration's PASS, else OPER's */
        if (st->reg == REG_OPEN)
            emit(ctx, f, st, A_REG, OT_LOGIN_FAILURE);
        else
            emit(ctx, f, st, A_OPER, OT_LOGIN_FAILURE);
        break;
    case 381: /* RPL_YOUREOPER */
        emit(ctx, f, st, A_OPER, OT_LOGIN_SUCCESS);
        break;
    case 491: /* ERR_NOOPERHOST */
        emit(ctx, f, st, A_OPER, OT_LOGIN_FAILURE);
        break;
    case 903: /* RPL_SASLSUCCESS */
        emit(ctx, f, st, A_SASL, OT_LOGIN_SUCCESS);
        break;
    case 902: /* ERR_NICKLOCKED */
    case 904: /* ERR_SASLFAIL */
    case 905: /* ERR_SASLTOOLONG */
    case 906: /* ERR_SASLABORTED */
    case 907: /* ERR_SASLALREADY */
        emit(ctx, f, st, A_SASL, OT_LOGIN_FAILURE);
        break;
    case 670: /* RPL_STARTTLS */
        if (st->tls_pending) {
            emit_open(ctx, f, st);
            st->sess.starttls = true;
            ot_login_event_begin(ctx, f, "irc", "starttls", NULL, OT_LOGIN_UNKNOWN, &st->sess);
            ot_login_event_end(ctx);
            finish(ctx, f, st);
        }
        break;
    case 691: /* ERR_STARTTLS */
        st->tls_pending = false;
        break;
    default:
        break;
    }
}

/* A NOTICE from NickServ: its wording is the verdict of IDENTIFY. */
static void nickserv_notice(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st,
                            const struct msg *m)
{
    size_t o, n;
    if (!st->att[A_NS].active || !nth(m, 1, &o, &n))
        return;
    const uint8_t *t = m->p + o;
    if (ot_line_icontains(t, n, "you are now identified") ||
        ot_line_icontains(t, n, "password accepted") ||
        ot_line_icontains(t, n, "you are now logged in"))
        emit(ctx, f, st, A_NS, OT_LOGIN_SUCCESS);
    else if (ot_line_icontains(t, n, "invalid password") || ot_line_icontains(t, n, "incorrect") ||
             ot_line_icontains(t, n, "is not registered") ||
             ot_line_icontains(t, n, "isn't registered"))
        emit(ctx, f, st, A_NS, OT_LOGIN_FAILURE);
}

static int server_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct irc_state *st,
                       const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    struct msg m;
    if (!parse_msg(p, n, &m)) {
        if (++st->bad_lines >= BAD_MAX)
            return OT_EINVAL; /* not IRC after all */
        return 0;
    }
    st->bad_lines = 0;
    ot_login_banner(&st->sess, p + m.body, n - m.body);
    if (m.num >= 0) {
        numeric(ctx, f, st, &m);
        return 0;
    }
    size_t pn = prefix_nick(&m);
    bool from_us = st->nick_len && pn == st->nick_len && ot_line_ieq_n(p + m.pre, st->nick, pn);
    size_t o, l;
    if (cmd_is(&m, "ERROR")) {
        if (st->reg == REG_OPEN)
            emit(ctx, f, st, A_REG, OT_LOGIN_FAILURE);
    } else if (cmd_is(&m, "AUTHENTICATE")) {
        if (st->att[A_SASL].active)
            st->sasl.want_response = true;
    } else if (cmd_is(&m, "NOTICE") || cmd_is(&m, "PRIVMSG")) {
        if (pn && is_nickserv(p + m.pre, pn))
            nickserv_notice(ctx, f, st, &m);
    } else if (cmd_is(&m, "JOIN")) {
        if (from_us && nth(&m, 0, &o, &l))
            add_channels(st, p + o, l);
    } else if (cmd_is(&m, "NICK")) {
        if (from_us && nth(&m, 0, &o, &l) && l > 0)
            set_nick(st, p + o, l);
    }
    return 0;
}

/* ---- stream ---- */

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct irc_state *st = state;
    ot_line_init_pair(st->rd, ctx->conf);
    if (st->stopped)
        return 0;
    dir = dir ? 1 : 0;
    if (flags & OT_DATA_GAP) {
        ot_line_gap(&st->rd[dir]);
        if (dir == 0)
            st->sasl_more = false;
        if (!data)
            return 0;
    }
    struct ot_line ln;
    int rc = 0;
    while (len > 0 && !st->stopped) {
        rc = ot_line_next(&st->rd[dir], &data, &len, &ln);
        if (rc <= 0)
            break;
        /* Counted per line (not per chunk) so that the bound falls alike however the stream is
         * cut. */
        st->win_bytes += (uint32_t)ln.len + 1;
        if (dir == 0) {
            st->win_lines++;
            client_line(ctx, f, st, ln.p, ln.len);
        } else {
            rc = server_line(ctx, f, st, ln.p, ln.len);
            if (rc < 0)
                return rc;
        }
        if (!st->stopped && (st->win_lines >= WIN_LINES || st->win_bytes >= WIN_BYTES))
            finish(ctx, f, st);
    }
    return rc < 0 ? rc : 0;
}

static void close_flow(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct irc_state *st = state;
    if (!st->stopped)
        finish(ctx, f, st);
    ot_line_free(&st->rd[0]);
    ot_line_free(&st->rd[1]);
}

/* ---- probe ---- */

static bool irc_port(const struct ot_flow *f)
{
    uint16_t p = f->srv_port;
    return (p >= 6660 && p <= 6669) || p == 194 || p == 529 || p == 994 || p == 6679 || p == 6697 ||
           p == 7000;
}

static bool nick_char(uint8_t c)
{
    return is_letter(c) || is_digit(c) || c == '-' || c == '[' || c == ']' || c == '\\' ||
           c == '`' || c == '_' || c == '^' || c == '{' || c == '|' || c == '}';
}

static bool host_char(uint8_t c)
{
    return is_letter(c) || is_digit(c) || c == '.' || c == '-';
}

/* A visible ASCII byte (no blank, no control). */
static bool visible(uint8_t c)
{
    return c > 0x20 && c < 0x7f;
}

/* Text of a realname or a password: no NUL, CR or LF. */
static bool text_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == 0 || p[i] == '\r' || p[i] == '\n')
            return false;
    return true;
}

/* Commands a client sends once registered: a first line on an IRC port (mid-session capture). */
static const char *const later_verbs[] = {
    "PRIVMSG",  "NOTICE", "JOIN",     "PART", "PING", "PONG",         "MODE",     "QUIT",
    "WHO",      "WHOIS",  "USERHOST", "ISON", "OPER", "AUTHENTICATE", "STARTTLS", "NS",
    "NICKSERV", "TOPIC",  "NAMES",    "AWAY", "KICK", "INVITE",
};

/* "NICK" args: SP [:]nick, then the line ends. */
static enum ot_probe_result probe_nick(const uint8_t *a, size_t n, bool complete)
{
    size_t i = skip_sp(a, n, 0);
    if (i == 0)
        return OT_PROBE_NO;
    if (i < n && a[i] == ':')
        i++;
    size_t s = i;
    while (i < n && nick_char(a[i]) && i - s <= NICK_MAX)
        i++;
    if (i - s > NICK_MAX)
        return OT_PROBE_NO;
    if (i < n && a[i] != ' ')
        return OT_PROBE_NO;
    if (!complete)
        return i == n ? OT_PROBE_MORE : (i > s ? OT_PROBE_YES : OT_PROBE_NO);
    return i > s && skip_sp(a, n, i) == n ? OT_PROBE_YES : OT_PROBE_NO;
}

/* "USER" args: SP user SP mode SP unused SP [:]realname (four parameters). */
static enum ot_probe_result probe_user(const uint8_t *a, size_t n, bool complete)
{
    size_t i = 0;
    unsigned params = 0;
    if (n == 0 || a[0] != ' ')
        return complete ? OT_PROBE_NO : (n == 0 ? OT_PROBE_MORE : OT_PROBE_NO);
    while (params < 4) {
        i = skip_sp(a, n, i);
        if (i == n)
            return complete ? OT_PROBE_NO : OT_PROBE_MORE;
        if (a[i] == ':' && params < 3)
            return OT_PROBE_NO; /* a trailing parameter before the fourth */
        if (params == 3)
            return text_ok(a + i, n - i) ? OT_PROBE_YES : OT_PROBE_NO;
        size_t s = i;
        while (i < n && a[i] != ' ') {
            if (!visible(a[i]))
                return OT_PROBE_NO;
            i++;
        }
        if (i == n && !complete)
            return OT_PROBE_MORE; /* the word may go on */
        if (i == s)
            return OT_PROBE_NO;
        params++;
    }
    return OT_PROBE_YES;
}

/* "PASS" args: SP [:]password. `rest` is what follows the line. */
static enum ot_probe_result probe_pass(const struct ot_flow *f, const uint8_t *a, size_t n,
                                       bool complete, const uint8_t *rest, size_t rn)
{
    size_t i = skip_sp(a, n, 0);
    if (i == 0)
        return OT_PROBE_NO;
    bool trailing = i < n && a[i] == ':';
    if (trailing)
        i++;
    size_t s = i;
    while (i < n && (trailing ? a[i] >= 0x20 : visible(a[i])))
        i++;
    if (i < n && !(a[i] == ' ' && skip_sp(a, n, i) == n))
        return OT_PROBE_NO;
    if (!complete)
        return OT_PROBE_MORE;
    if (i == s)
        return OT_PROBE_NO;
    if (irc_port(f))
        return OT_PROBE_YES;
    /* Elsewhere a lone PASS line is FTP-like too: IRC has NICK, USER or CAP next. */
    static const char *const next[] = {"NICK ", "USER ", "CAP "};
    bool more = rn == 0;
    for (size_t k = 0; k < OT_ARRAY_SIZE(next); k++) {
        if (ot_bytes_istarts(rest, rn, next[k]))
            return OT_PROBE_YES;
        if (ot_line_iprefix(rest, rn, next[k]))
            more = true;
    }
    return more ? OT_PROBE_MORE : OT_PROBE_NO;
}

/* "CAP" args: SP LS|LIST|REQ|END then SP or the end of the line. */
static enum ot_probe_result probe_cap(const uint8_t *a, size_t n)
{
    static const char *const subs[] = {"LS", "LIST", "REQ", "END"};
    if (n == 0)
        return OT_PROBE_MORE;
    if (a[0] != ' ')
        return OT_PROBE_NO;
    size_t s = skip_sp(a, n, 0);
    size_t e = s;
    while (e < n && is_letter(a[e]))
        e++;
    bool more = false;
    for (size_t k = 0; k < OT_ARRAY_SIZE(subs); k++) {
        if (e < n && ot_line_ieq(a + s, e - s, subs[k]))
            return a[e] == ' ' || a[e] == '\r' || a[e] == '\n' ? OT_PROBE_YES : OT_PROBE_NO;
        if (e == n && ot_line_iprefix(a + s, e - s, subs[k]))
            more = true;
    }
    return more ? OT_PROBE_MORE : OT_PROBE_NO;
}

static enum ot_probe_result probe_client(const struct ot_flow *f, const uint8_t *d, size_t len)
{
    size_t vl = 0;
    while (vl < len && vl < 13 && is_letter(d[vl]))
        vl++;
    if (vl == len) {
        /* Only letters so far: could they begin a verb we know? */
        if (ot_line_iprefix(d, len, "NICK") || ot_line_iprefix(d, len, "USER") ||
            ot_line_iprefix(d, len, "PASS") || ot_line_iprefix(d, len, "CAP"))
            return OT_PROBE_MORE;
        if (irc_port(f))
            for (size_t k = 0; k < OT_ARRAY_SIZE(later_verbs); k++)
                if (ot_line_iprefix(d, len, later_verbs[k]))
                    return OT_PROBE_MORE;
        return OT_PROBE_NO;
    }
    if (d[vl] != ' ' && d[vl] != '\r' && d[vl] != '\n')
        return OT_PROBE_NO;
    const uint8_t *nl = memchr(d, '\n', len);
    bool complete = nl != NULL;
    size_t ll = complete ? (size_t)(nl - d) : len;
    size_t after = complete ? ll + 1 : len;
    if (ll > 0 && d[ll - 1] == '\r')
        ll--;
    if (ll >= PROBE_LINE)
        return OT_PROBE_NO; /* longer than an IRC message */
    const uint8_t *a = d + vl;
    size_t an = ll - vl;
    if (ot_line_ieq(d, vl, "NICK"))
        return probe_nick(a, an, complete);
    if (ot_line_ieq(d, vl, "USER"))
        return probe_user(a, an, complete);
    if (ot_line_ieq(d, vl, "PASS"))
        return probe_pass(f, a, an, complete, d + after, len - after);
    if (ot_line_ieq(d, vl, "CAP"))
        return probe_cap(d + vl, len - vl);
    if (irc_port(f))
        for (size_t k = 0; k < OT_ARRAY_SIZE(later_verbs); k++)
            if (ot_line_ieq(d, vl, later_verbs[k]))
                return OT_PROBE_YES;
    return OT_PROBE_NO;
}

/* The first words of a server message after its prefix (or with none). */
static enum ot_probe_result probe_words(const uint8_t *r, size_t rn, const char *const *w,
                                        size_t nw)
{
    bool more = false;
    for (size_t k = 0; k < nw; k++) {
        if (ot_bytes_istarts(r, rn, w[k]))
            return OT_PROBE_YES;
        if (ot_line_iprefix(r, rn, w[k]))
            more = true;
    }
    return more ? OT_PROBE_MORE : OT_PROBE_NO;
}

static enum ot_probe_result probe_server(const struct ot_flow *f, const uint8_t *d, size_t len)
{
    size_t i = 0;
    if (len > 0 && d[0] == '@') {
        /* IRCv3 message tags */
        while (i < len && i < PROBE_LINE && visible(d[i]))
            i++;
        if (i == len)
            return len < PROBE_LINE ? OT_PROBE_MORE : OT_PROBE_NO;
        if (d[i] != ' ')
            return OT_PROBE_NO;
        i++;
    }
    if (i == len)
        return OT_PROBE_MORE;
    if (d[i] == ':') {
        size_t s = ++i;
        while (i < len && i - s <= 63 && host_char(d[i]))
            i++;
        if (i - s > 63)
            return OT_PROBE_NO;
        if (i == len)
            return OT_PROBE_MORE;
        if (d[i] != ' ' || i == s)
            return OT_PROBE_NO;
        i++;
        const uint8_t *r = d + i;
        size_t rn = len - i;
        size_t k = 0;
        while (k < rn && k < 3 && is_digit(r[k]))
            k++;
        if (k == rn && k < 4)
            return OT_PROBE_MORE; /* digits so far (or nothing) */
        if (k == 3)
            return r[3] == ' ' ? OT_PROBE_YES : OT_PROBE_NO;
        static const char *const words[] = {"NOTICE ", "CAP "};
        return probe_words(r, rn, words, OT_ARRAY_SIZE(words));
    }
    /* No prefix: old servers greet with "NOTICE AUTH :", some ping first. */
    static const char *const bare[] = {"NOTICE AUTH :", "PING :"};
    return probe_words(d + i, len - i, bare, irc_port(f) ? 2 : 1);
}

/*
 * Client: a first line NICK <nick>, USER with IRC's four parameters, CAP
 * LS/LIST/REQ/END (any port), PASS <password> on an IRC port or followed by
 * NICK/USER/CAP, or on an IRC port a command of a registered client (a
 * capture that began mid-session).  Server: ":<server name> NOTICE", a
 * numeric reply or CAP (any port), "NOTICE AUTH :" or on an IRC port
 * "PING :".
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    return dir ? probe_server(f, data, len) : probe_client(f, data, len);
}

/* STARTTLS was accepted: a ClientHello may follow. */
static bool handed_over(const void *state)
{
    const struct irc_state *st = state;
    return st->sess.starttls;
}

const struct ot_proto_parser ot_proto_irc = {
    .id = OT_APP_IRC,
    .name = "irc",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct irc_state),
    .probe = probe,
    .parse = parse,
    .close = close_flow,
    .handed_over = handed_over,
};
