/*
 * POP3 (RFC 1939, RFC 5034 AUTH, RFC 2595 STLS): logins.
 *
 * Writes one "pop3" event per login attempt: USER/PASS (password in
 * clear), APOP (a digest: not in clear), AUTH <mechanism> (SASL: PLAIN and
 * LOGIN carry the password in base64, i.e. in clear).  When STLS is
 * accepted the session is encrypted: the parser writes a "starttls" event
 * and reads no further.  After a successful login it reads no further
 * either: the rest of the session is mail, and no second login can follow.
 *
 * Commands wait in a small FIFO for their "+OK"/"-ERR".  Multi-line
 * responses (RETR, TOP, LIST, UIDL, CAPA, AUTH without a mechanism) are
 * skipped up to their "." line without buffering, so a message body can
 * never pass for a response.
 */
#include "proto/proto-line.h"

#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"

#define QMAX    16
#define BAD_MAX 16 /* consecutive server lines that are not responses before we give up */

enum cmd {
    CMD_OTHER = 0,
    CMD_MULTI, /* "+OK" starts a multi-line response */
    CMD_USER,
    CMD_PASS,
    CMD_APOP,
    CMD_AUTH,
    CMD_STLS,
};

struct pop3_state {
    struct ot_line_reader rd[2];
    struct ot_login_session sess;
    struct ot_login login;
    struct ot_sasl sasl;
    struct ot_cmdq cq; /* commands awaiting a reply */
    uint8_t bad_lines;
    uint8_t dot_state;
    bool in_body; /* server: inside a multi-line response */
    bool greeted;
    bool stopped; /* encrypted, or logged in: nothing more to learn */
};

static void push(struct pop3_state *st, enum cmd c)
{
    ot_cmdq_push(&st->cq, (uint8_t)c, QMAX);
}

static enum cmd head(const struct pop3_state *st)
{
    return (enum cmd)ot_cmdq_head(&st->cq);
}

static enum cmd pop(struct pop3_state *st)
{
    return (enum cmd)ot_cmdq_pop(&st->cq);
}

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct pop3_state *st,
                 enum ot_login_result r)
{
    if (!st->login.active)
        return;
    ot_login_event_begin(ctx, f, "pop3", "login", &st->login, r, &st->sess);
    ot_login_event_end(ctx);
    st->login.active = false;
    if (r == OT_LOGIN_SUCCESS)
        st->stopped = true; /* no second login in this session: the rest is mail */
    memset(&st->sasl, 0, sizeof(st->sasl));
}

static void client_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct pop3_state *st,
                        const uint8_t *p, size_t n)
{
    if (st->sasl.want_response && st->login.active) {
        ot_sasl_response(&st->sasl, &st->login, p, n);
        return;
    }
    size_t vl = ot_line_word(p, n);
    size_t arg = ot_line_next_word(p, n, 0);
    bool has_arg = arg < n;

    if (ot_line_ieq(p, vl, "USER")) {
        emit(ctx, f, st, OT_LOGIN_UNKNOWN);
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
    } else if (ot_line_ieq(p, vl, "APOP")) {
        emit(ctx, f, st, OT_LOGIN_UNKNOWN);
        ot_login_start(&st->login, &st->sess, "apop");
        ot_login_set_user(&st->login, p + arg, ot_line_word(p + arg, n - arg));
        push(st, CMD_APOP);
    } else if (ot_line_ieq(p, vl, "AUTH")) {
        if (!has_arg) {
            push(st, CMD_MULTI); /* lists the mechanisms */
            return;
        }
        emit(ctx, f, st, OT_LOGIN_UNKNOWN);
        size_t ml = ot_line_word(p + arg, n - arg);
        ot_sasl_begin(&st->sasl, &st->login, &st->sess, p + arg, ml);
        size_t ir = ot_line_next_word(p, n, arg);
        if (ir < n)
            ot_sasl_response(&st->sasl, &st->login, p + ir, n - ir);
        push(st, CMD_AUTH);
    } else if (ot_line_ieq(p, vl, "STLS")) {
        push(st, CMD_STLS);
    } else if (ot_line_ieq(p, vl, "RETR") || ot_line_ieq(p, vl, "TOP") ||
               ot_line_ieq(p, vl, "CAPA")) {
        push(st, CMD_MULTI);
    } else if (ot_line_ieq(p, vl, "LIST") || ot_line_ieq(p, vl, "UIDL")) {
        push(st, has_arg ? CMD_OTHER : CMD_MULTI);
    } else {
        push(st, CMD_OTHER);
    }
}

static void response(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct pop3_state *st,
                     bool ok)
{
    if (!st->greeted && st->cq.len == 0) {
        st->greeted = true;
        return;
    }
    st->greeted = true;
    switch (pop(st)) {
    case CMD_MULTI:
        if (ok) {
            st->in_body = true;
            st->dot_state = OT_DOTEND_START;
        }
        break;
    case CMD_USER:
        if (!ok)
            emit(ctx, f, st, OT_LOGIN_FAILURE);
        break; /* +OK: PASS comes next */
    case CMD_PASS:
    case CMD_APOP:
    case CMD_AUTH:
        emit(ctx, f, st, ok ? OT_LOGIN_SUCCESS : OT_LOGIN_FAILURE);
        break;
    case CMD_STLS:
        if (ok) {
            emit(ctx, f, st, OT_LOGIN_UNKNOWN);
            st->sess.starttls = true;
            ot_login_event_begin(ctx, f, "pop3", "starttls", NULL, OT_LOGIN_UNKNOWN, &st->sess);
            ot_login_event_end(ctx);
            st->stopped = true;
        }
        break;
    default:
        break;
    }
}

static int server_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct pop3_state *st,
                       const uint8_t *p, size_t n)
{
    size_t wl = ot_line_word(p, n);
    bool ok = ot_line_ieq(p, wl, "+OK");
    if (ok || ot_line_ieq(p, wl, "-ERR")) {
        st->bad_lines = 0;
        if (!st->greeted && ok && st->cq.len == 0)
            ot_login_banner(&st->sess, p, n);
        response(ctx, f, st, ok);
        return 0;
    }
    if (n >= 1 && p[0] == '+' && (n == 1 || p[1] == ' ')) {
        /* "+ challenge": the SASL exchange goes on */
        st->bad_lines = 0;
        if (head(st) == CMD_AUTH)
            st->sasl.want_response = true;
        return 0;
    }
    if (++st->bad_lines >= BAD_MAX)
        return OT_EINVAL; /* not POP3 after all */
    return 0;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct pop3_state *st = state;
    ot_line_init_pair(st->rd, ctx->conf);
    if (st->stopped)
        return 0;
    dir = dir ? 1 : 0;
    if (flags & OT_DATA_GAP) {
        if (dir == 1 && st->in_body)
            st->dot_state = 0; /* still in the body: look for its end */
        else
            ot_line_gap(&st->rd[dir]);
        if (!data)
            return 0;
    }
    struct ot_line ln;
    int rc = 0;
    while (len > 0 && !st->stopped) {
        if (dir == 1 && st->in_body) {
            bool done;
            size_t used = ot_dotend_scan(&st->dot_state, data, len, &done);
            data += used;
            len -= used;
            if (done)
                st->in_body = false;
            continue;
        }
        rc = ot_line_next(&st->rd[dir], &data, &len, &ln);
        if (rc <= 0)
            break;
        if (dir == 0) {
            client_line(ctx, f, st, ln.p, ln.len);
        } else {
            rc = server_line(ctx, f, st, ln.p, ln.len);
            if (rc < 0)
                return rc;
        }
    }
    return rc < 0 ? rc : 0;
}

static void close_flow(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct pop3_state *st = state;
    emit(ctx, f, st, OT_LOGIN_UNKNOWN);
    ot_line_free(&st->rd[0]);
    ot_line_free(&st->rd[1]);
}

static const uint16_t pop3_ports[] = {110};

/*
 * Server: a "+OK" greeting (any port: nothing else starts that way).
 * Client on port 110: a POP3 command (the greeting was missed).
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (dir == 1) {
        if (len && data[0] != '+') /* "+OK", or nothing */
            return OT_PROBE_NO;
        if (len < 4)
            return ot_line_iprefix(data, len, "+OK ") ? OT_PROBE_MORE : OT_PROBE_NO;
        if (!ot_bytes_istarts(data, len, "+OK"))
            return OT_PROBE_NO;
        return data[3] == ' ' || data[3] == '\r' || data[3] == '\n' ? OT_PROBE_YES : OT_PROBE_NO;
    }
    if (!ot_port_is(f, pop3_ports, OT_ARRAY_SIZE(pop3_ports)))
        return OT_PROBE_NO;
    static const char *const verbs[] = {"USER", "CAPA", "STLS", "AUTH", "APOP", "PASS", "QUIT"};
    size_t vl = ot_line_verb(data, len);
    for (size_t i = 0; i < OT_ARRAY_SIZE(verbs); i++)
        if (ot_line_ieq(data, vl, verbs[i]))
            return OT_PROBE_YES;
    return OT_PROBE_NO;
}

/* STARTTLS was accepted (or nothing more can be learnt): a ClientHello may follow. */
static bool handed_over(const void *state)
{
    const struct pop3_state *st = state;
    return st->stopped;
}

const struct ot_proto_parser ot_proto_pop3 = {
    .id = OT_APP_POP3,
    .name = "pop3",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct pop3_state),
    .probe = probe,
    .parse = parse,
    .close = close_flow,
    .handed_over = handed_over,
};
