/*
 * FTP control channel (RFC 959, RFC 4217 AUTH TLS): logins.
 *
 * Tracks USER/PASS/ACCT and the replies they get, and writes one "ftp"
 * event per login attempt (several per flow when a client guesses
 * passwords over one connection).  A PASS seen here crossed the wire in
 * clear: once AUTH TLS/SSL is accepted (234), or an AUTH GSSAPI exchange
 * completes (235, RFC 2228), the channel is protected: the parser writes a
 * "starttls" event and reads no further.
 *
 * Commands wait in a small FIFO for their replies; 1xx replies are
 * preliminary and multi-line replies ("230-" ... "230 ") count once, at
 * their last line.
 */
#include "proto/proto-line.h"

#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "otasuke/error.h"

#define QMAX    8  /* commands awaiting a reply (FTP clients rarely pipeline) */
#define BAD_MAX 16 /* consecutive lines that are not replies before we give up */

enum cmd {
    CMD_OTHER = 0,
    CMD_USER,
    CMD_PASS,
    CMD_ACCT,
    CMD_AUTH, /* AUTH or ADAT (RFC 2228): 234/235 means the channel is protected */
};

struct ftp_state {
    struct ot_line_reader rd[2];
    struct ot_login_session sess;
    struct ot_login login;
    struct ot_cmdq cq; /* commands awaiting a reply */
    uint16_t ml_code;  /* inside a multi-line reply with this code */
    uint8_t bad_lines; /* consecutive server lines that are not replies */
    bool greeted;
    bool encrypted; /* AUTH TLS accepted: nothing more to read */
};

static void push(struct ftp_state *st, enum cmd c)
{
    ot_cmdq_push(&st->cq, (uint8_t)c, QMAX);
}

static enum cmd pop(struct ftp_state *st)
{
    return (enum cmd)ot_cmdq_pop(&st->cq);
}

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct ftp_state *st,
                 enum ot_login_result r)
{
    if (!st->login.active)
        return;
    ot_login_event_begin(ctx, f, "ftp", "login", &st->login, r, &st->sess);
    ot_login_event_end(ctx);
    st->login.active = false;
}

static void client_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct ftp_state *st,
                        const uint8_t *p, size_t n)
{
    size_t vl = ot_line_word(p, n);
    size_t arg = ot_line_next_word(p, n, 0);

    if (ot_line_ieq(p, vl, "USER")) {
        emit(ctx, f, st, OT_LOGIN_UNKNOWN); /* an attempt that never got its answer */
        ot_login_start(&st->login, &st->sess, "user");
        ot_login_set_user(&st->login, p + arg, n - arg);
        push(st, CMD_USER);
    } else if (ot_line_ieq(p, vl, "PASS")) {
        if (!st->login.active) {
            /* No USER since the last verdict: the last user tries again (or USER was missed). */
            uint8_t u[OT_LOGIN_USER_MAX];
            size_t un = st->login.user_len;
            memcpy(u, st->login.user, un);
            ot_login_start(&st->login, &st->sess, "user");
            ot_login_set_user(&st->login, u, un);
        }
        st->login.password_in_clear = true;
        push(st, CMD_PASS);
    } else if (ot_line_ieq(p, vl, "ACCT")) {
        push(st, CMD_ACCT);
    } else if (ot_line_ieq(p, vl, "AUTH") || ot_line_ieq(p, vl, "ADAT")) {
        push(st, CMD_AUTH);
    } else {
        push(st, CMD_OTHER);
    }
}

/* The last line of a reply with code `code`. */
static void reply(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct ftp_state *st, int code)
{
    if (code < 200)
        return; /* preliminary: the command still waits */
    if (!st->greeted && (code == 220 || code == 421) && st->cq.len == 0) {
        st->greeted = true;
        return;
    }
    st->greeted = true;
    enum cmd c = pop(st);
    switch (c) {
    case CMD_USER:
    case CMD_PASS:
    case CMD_ACCT:
        if (code == 331 || code == 332)
            break; /* needs PASS / ACCT next */
        if (code >= 200 && code < 300)
            emit(ctx, f, st, OT_LOGIN_SUCCESS);
        else if (code >= 400)
            emit(ctx, f, st, OT_LOGIN_FAILURE);
        break;
    case CMD_AUTH:
        /* 234: TLS (RFC 4217); 235: a GSSAPI-style exchange done (RFC 2228). */
        if (code == 234 || code == 235) {
            emit(ctx, f, st, OT_LOGIN_UNKNOWN);
            st->sess.starttls = true;
            ot_login_event_begin(ctx, f, "ftp", "starttls", NULL, OT_LOGIN_UNKNOWN, &st->sess);
            ot_login_event_end(ctx);
            st->encrypted = true;
        }
        break;
    default:
        break;
    }
}

static int server_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct ftp_state *st,
                       const struct ot_line *ln)
{
    int code = ot_line_reply_code(ln->p, ln->len);
    if (st->ml_code) {
        /* Inside a multi-line reply: only "<code> " ends it; other lines are text. */
        if (code == st->ml_code && (ln->len == 3 || ln->p[3] == ' ')) {
            st->ml_code = 0;
            reply(ctx, f, st, code);
        }
        return 0;
    }
    if (code < 0) {
        if (++st->bad_lines >= BAD_MAX)
            return OT_EINVAL; /* not FTP after all */
        return 0;
    }
    st->bad_lines = 0;
    if (!st->sess.banner_done && code == 220 && !st->greeted)
        ot_login_banner(&st->sess, ln->p, ln->len);
    if (ln->len > 3 && ln->p[3] == '-') {
        st->ml_code = (uint16_t)code;
        return 0;
    }
    reply(ctx, f, st, code);
    return 0;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct ftp_state *st = state;
    ot_line_init_pair(st->rd, ctx->conf);
    if (st->encrypted)
        return 0;
    dir = dir ? 1 : 0;
    if (flags & OT_DATA_GAP) {
        ot_line_gap(&st->rd[dir]);
        if (dir == 1)
            st->ml_code = 0;
        if (!data)
            return 0;
    }
    struct ot_line ln;
    int rc = 0;
    while (!st->encrypted && (rc = ot_line_next(&st->rd[dir], &data, &len, &ln)) > 0) {
        if (dir == 0) {
            client_line(ctx, f, st, ln.p, ln.len); /* a cut line still starts right */
        } else {
            rc = server_line(ctx, f, st, &ln);
            if (rc < 0)
                return rc;
        }
    }
    return rc < 0 ? rc : 0;
}

static void close_flow(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct ftp_state *st = state;
    emit(ctx, f, st, OT_LOGIN_UNKNOWN);
    ot_line_free(&st->rd[0]);
    ot_line_free(&st->rd[1]);
}

static const uint16_t ftp_ports[] = {21};

/* A greeting line is judged whole, unless it runs longer than this. */
#define GREETING_WAIT 200

/* Client commands that only FTP sends first (USER is shared with POP3). */
static bool ftp_command(const uint8_t *p, size_t n)
{
    static const char *const verbs[] = {"AUTH", "FEAT", "SYST", "OPTS", "PWD",  "TYPE", "PASV",
                                        "EPSV", "LIST", "NLST", "RETR", "STOR", "CWD",  "QUIT",
                                        "PORT", "EPRT", "PASS", "NOOP", "SIZE", "MLSD"};
    size_t vl = ot_line_verb(p, n);
    if (vl == 0)
        return false;
    for (size_t i = 0; i < OT_ARRAY_SIZE(verbs); i++)
        if (ot_line_ieq(p, vl, verbs[i]))
            return true;
    return false;
}

/*
 * Server: a "220" greeting that names FTP, or an unnamed one on port 21
 * (SMTP also greets with 220; its greeting names SMTP/ESMTP, so a greeting
 * that does is left to the SMTP probe).  Client: "USER name" (one argument)
 * anywhere but the POP3 port, or another FTP command on port 21.
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (dir == 1) {
        if (len && data[0] != '2') /* a 220 greeting, or nothing */
            return OT_PROBE_NO;
        if (len < 4)
            return ot_line_iprefix(data, len, "220 ") ? OT_PROBE_MORE : OT_PROBE_NO;
        if (ot_line_reply_code(data, len) != 220)
            return OT_PROBE_NO;
        const uint8_t *nl = memchr(data, '\n', len);
        if (!nl && len < GREETING_WAIT)
            return OT_PROBE_MORE; /* decide on the whole line */
        size_t ll = nl ? (size_t)(nl - data) : len;
        if (ot_line_icontains(data, ll, "SMTP"))
            return OT_PROBE_NO;
        if (ot_line_icontains(data, ll, "FTP"))
            return OT_PROBE_YES;
        return ot_port_is(f, ftp_ports, OT_ARRAY_SIZE(ftp_ports)) ? OT_PROBE_YES : OT_PROBE_NO;
    }
    /* USER; on an FTP port also a later command (the capture began mid-session). */
    if (len && (data[0] | 0x20) != 'u' && !ot_port_is(f, ftp_ports, OT_ARRAY_SIZE(ftp_ports)))
        return OT_PROBE_NO;
    if (len < 5)
        return ot_line_iprefix(data, len, "USER ") ? OT_PROBE_MORE : OT_PROBE_NO;
    if (ot_bytes_istarts(data, len, "USER ") && f->srv_port != 110) {
        /*
         * FTP's USER takes one argument; IRC's "USER name mode * :Real Name"
         * takes four, so a space inside the argument says "not FTP".
         */
        const uint8_t *nl = memchr(data, '\n', len);
        if (!nl && len < GREETING_WAIT)
            return OT_PROBE_MORE;
        size_t ll = nl ? (size_t)(nl - data) : len;
        /* IRC clients also send "USER foo" (one argument) then "NICK foo". */
        if (nl && ot_bytes_istarts(nl + 1, len - (size_t)(nl + 1 - data), "NICK "))
            return OT_PROBE_NO;
        if (f->srv_port >= 6660 && f->srv_port <= 6669)
            return OT_PROBE_NO; /* IRC's ports: its USER, not FTP's */
        while (ll > 5 && (data[ll - 1] == '\r' || data[ll - 1] == ' '))
            ll--;
        return memchr(data + 5, ' ', ll - 5) ? OT_PROBE_NO : OT_PROBE_YES;
    }
    if (ot_port_is(f, ftp_ports, OT_ARRAY_SIZE(ftp_ports)) && ftp_command(data, len))
        return OT_PROBE_YES;
    return OT_PROBE_NO;
}

/* STARTTLS was accepted (or nothing more can be learnt): a ClientHello may follow. */
static bool handed_over(const void *state)
{
    const struct ftp_state *st = state;
    return st->encrypted;
}

const struct ot_proto_parser ot_proto_ftp = {
    .id = OT_APP_FTP,
    .name = "ftp",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct ftp_state),
    .probe = probe,
    .parse = parse,
    .close = close_flow,
    .handed_over = handed_over,
};
