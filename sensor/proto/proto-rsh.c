/*
 * BSD r-services: rexec (TCP 512), rlogin (TCP 513), rsh (TCP 514).
 *
 * All three open with the same client handshake, four NUL-terminated fields:
 *
 *   rexec   port \0 user \0 password \0 command \0
 *   rlogin       \0 client-user \0 server-user \0 terminal/speed \0
 *   rsh     port \0 local-user \0 remote-user \0 command \0
 *
 * (port: the client's stderr port in ASCII decimal, or empty).  The server
 * answers one byte: \0 (accepted) or \1 followed by an error message up to
 * LF.  For rexec and rsh that byte is the verdict.  For rlogin \0 is only an
 * acknowledgement: the login program may then print a password prompt, and
 * the client types the password; the server's text decides as in the Telnet
 * parser ("Last login" or a shell prompt: success, "Login incorrect" or
 * "Permission denied": failure).  Prompts are read when the client types
 * next or when the flow ends, and verdict words are noted as they complete,
 * so the result does not depend on how the stream was cut.
 *
 * One "rsh" login event per connection, at the verdict or at the end of the
 * flow; then the parser reads no further (the rest is a session).  The
 * fields are held in fixed buffers in the state (cut: user names 128 bytes,
 * command 256, terminal 64, server message 256; the rest of a field is
 * skipped); a field that goes on past FIELD_MAX (CMD_MAX for a command), a
 * non-digit stderr port, or control bytes in a user name are not an
 * r-service: parse error.  The password is counted, never kept.
 */
#include "proto/proto-line.h"

#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "otasuke/error.h"

#define NAME_KEEP   OT_LOGIN_USER_MAX /* user name bytes kept */
#define CMD_KEEP    256               /* command bytes kept */
#define TERM_KEEP   64                /* terminal bytes kept */
#define MSG_KEEP    256               /* server error message bytes kept */
#define PORT_DIGITS 5
#define FIELD_MAX   1024       /* a user, password or terminal field longer than this: not ours */
#define CMD_MAX     (1u << 17) /* a command longer than this (128 KiB): not ours */
#define WIN_MAX     160        /* rlogin: recent server text searched for prompts and verdicts */

/* Probe: user names longer than this, or a handshake this long still unfinished. */
#define PROBE_NAME_MAX 64
#define PROBE_LONG     200

enum svc { SVC_REXEC = 0, SVC_RLOGIN, SVC_RSH };
static const char *const svc_names[] = {"rexec", "rlogin", "rsh"};

enum srv_phase {
    S_FIRST = 0, /* waiting for the server's \0 or \1 */
    S_MESSAGE,   /* \1 seen: reading the error message up to LF */
    S_TERMINAL,  /* rlogin acknowledged: terminal text */
};

enum term_phase {
    T_WAIT = 0, /* no password prompt yet */
    T_PASS,     /* password prompt seen: the client types the password */
    T_RESULT,   /* password typed: waiting for the verdict */
};

struct rsh_state {
    struct ot_login_session sess;
    uint8_t svc;   /* enum svc, from the server port */
    uint8_t field; /* client field being read: 0 port .. 3; 4 handshake complete */
    uint8_t srv;   /* enum srv_phase */
    uint8_t term;  /* enum term_phase (rlogin after the acknowledgement) */
    uint8_t ws;    /* rlogin client window-size message: bytes of it seen so far */
    uint8_t f1_len, f2_len;
    uint8_t win_len;
    uint16_t f3_len, msg_len;
    uint32_t flen;     /* bytes of the current client field */
    uint32_t pass_len; /* password bytes (rexec field, rlogin keystrokes), never the bytes */
    bool inited;
    bool done;        /* stop reading: verdict written, or bytes lost */
    bool emitted;     /* the login event was written */
    bool cli_lost;    /* a client gap inside the handshake: its fields can't be trusted */
    bool cmd_cut;     /* the command was longer than CMD_KEEP */
    bool msg_seen;    /* the server answered \1 */
    bool pass_prompt; /* rlogin: the server asked for a password */
    bool server_new;  /* rlogin: server text since the last decision */
    bool saw_ok, saw_bad;
    uint8_t f1[NAME_KEEP]; /* rexec user, rlogin client-user, rsh local-user */
    uint8_t f2[NAME_KEEP]; /* rlogin server-user, rsh remote-user (rexec: password, not kept) */
    uint8_t f3[CMD_KEEP];  /* command, or rlogin terminal/speed */
    uint8_t msg[MSG_KEEP];
    uint8_t win[WIN_MAX];
};

static enum svc service_of(uint16_t port)
{
    switch (port) {
    case 512:
        return SVC_REXEC;
    case 513:
        return SVC_RLOGIN;
    default:
        return SVC_RSH;
    }
}

/* The handshake field that names the account on the server. */
static unsigned user_field(const struct rsh_state *st)
{
    return st->svc == SVC_REXEC ? 1 : 2;
}

static const char *method_of(const struct rsh_state *st, enum ot_login_result r)
{
    switch (st->svc) {
    case SVC_REXEC:
        return "rexec";
    case SVC_RSH:
        return "rsh-trust";
    default:
        if (st->pass_prompt)
            return "rlogin-password";
        /* Trust: the session went on (or was refused) without a password prompt. */
        return st->srv == S_TERMINAL && r != OT_LOGIN_UNKNOWN ? "rlogin-trust" : "";
    }
}

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct rsh_state *st,
                 enum ot_login_result r)
{
    if (st->emitted)
        return;
    st->emitted = true;
    st->done = true;
    struct ot_login l;
    ot_login_start(&l, &st->sess, method_of(st, r));
    /* Only fields the client finished are written (a cut field is still finished). */
    if (st->field > user_field(st)) {
        if (st->svc == SVC_REXEC)
            ot_login_set_user(&l, st->f1, st->f1_len);
        else
            ot_login_set_user(&l, st->f2, st->f2_len);
    }
    l.password_in_clear = st->svc != SVC_RSH && st->pass_len > 0;
    struct ot_jw *w = ot_login_event_begin(ctx, f, "rsh", "login", &l, r, &st->sess);
    ot_jw_str(w, "service", svc_names[st->svc]);
    if (st->svc != SVC_REXEC && st->field > 1)
        ot_jw_strn(w, "client_user", st->f1, st->f1_len);
    if (st->field > 3) {
        if (st->svc == SVC_RLOGIN) {
            ot_jw_strn(w, "terminal", st->f3, st->f3_len);
        } else {
            ot_jw_strn(w, "command", st->f3, st->f3_len);
            ot_jw_bool(w, "command_truncated", st->cmd_cut);
        }
    }
    if (st->msg_seen) {
        size_t n = st->msg_len;
        if (n && st->msg[n - 1] == '\r')
            n--;
        ot_jw_strn(w, "server_message", st->msg, n);
    }
    ot_login_event_end(ctx);
}

/* ---- the client's handshake ---- */

static bool name_byte(uint8_t c)
{
    return c >= 0x20 && c != 0x7f;
}

/* Bytes of the current field (no NUL among them). */
static int field_bytes(struct rsh_state *st, const uint8_t *p, size_t k)
{
    if (k == 0)
        return 0;
    size_t total = st->flen + k;
    switch (st->field) {
    case 0:
        if (st->svc == SVC_RLOGIN || total > PORT_DIGITS)
            return OT_EINVAL;
        for (size_t i = 0; i < k; i++)
            if (p[i] < '0' || p[i] > '9')
                return OT_EINVAL;
        break;
    case 1:
    case 2: {
        if (total > FIELD_MAX)
            return OT_EINVAL;
        if (st->field == 2 && st->svc == SVC_REXEC) {
            st->pass_len += (uint32_t)k; /* the password: counted, not kept */
            break;
        }
        for (size_t i = 0; i < k; i++)
            if (!name_byte(p[i]))
                return OT_EINVAL;
        uint8_t *buf = st->field == 1 ? st->f1 : st->f2;
        uint8_t *len = st->field == 1 ? &st->f1_len : &st->f2_len;
        size_t room = NAME_KEEP - *len;
        size_t c = OT_MIN(k, room);
        memcpy(buf + *len, p, c);
        *len = (uint8_t)(*len + c);
        break;
    }
    default: { /* 3: command, or terminal/speed */
        size_t keep = CMD_KEEP;
        if (st->svc == SVC_RLOGIN) {
            if (total > FIELD_MAX)
                return OT_EINVAL;
            for (size_t i = 0; i < k; i++)
                if (!name_byte(p[i]))
                    return OT_EINVAL;
            keep = TERM_KEEP;
        } else if (total > CMD_MAX) {
            return OT_EINVAL;
        }
        size_t room = keep - st->f3_len;
        size_t c = OT_MIN(k, room);
        memcpy(st->f3 + st->f3_len, p, c);
        st->f3_len = (uint16_t)(st->f3_len + c);
        if (c < k && st->svc != SVC_RLOGIN)
            st->cmd_cut = true;
        break;
    }
    }
    st->flen = (uint32_t)total;
    return 0;
}

/* Read handshake fields out of (*data, *len); what follows the last field is left there. */
static int handshake(struct rsh_state *st, const uint8_t **data, size_t *len)
{
    const uint8_t *p = *data;
    size_t n = *len, i = 0;
    while (i < n && st->field < 4) {
        const uint8_t *z = memchr(p + i, 0, n - i);
        size_t end = z ? (size_t)(z - p) : n;
        int rc = field_bytes(st, p + i, end - i);
        if (rc < 0)
            return rc;
        i = end;
        if (z) {
            st->field++;
            st->flen = 0;
            i++;
        }
    }
    *data = p + i;
    *len = n - i;
    return 0;
}

/* ---- rlogin after the acknowledgement: terminal text ---- */

/* Verdict words in new server text (proto-line.h). */
static void note_words(struct rsh_state *st, const uint8_t *p, size_t n)
{
    ot_login_verdict_words(st->win, st->win_len, p, n, &st->saw_ok, &st->saw_bad);
}

static void server_text(struct rsh_state *st, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    st->server_new = true;
    note_words(st, p, n);
    ot_login_window_push(st->win, &st->win_len, WIN_MAX, p, n);
}

/* The last line of the text asks for a password ("Password:", "bob's password:"). */
static bool password_prompt(const uint8_t *t, size_t tn)
{
    if (tn == 0 || t[tn - 1] != ':')
        return false;
    size_t s = tn;
    while (s > 0 && t[s - 1] != '\n' && t[s - 1] != '\r')
        s--;
    return ot_line_icontains(t + s, tn - s, "password") ||
           ot_line_icontains(t + s, tn - s, "passwd") ||
           ot_line_icontains(t + s, tn - s, "passcode");
}

static bool shell_prompt(const uint8_t *t, size_t tn)
{
    if (tn == 0)
        return false;
    uint8_t c = t[tn - 1];
    return c == '$' || c == '#' || c == '>' || (c == '%' && tn > 1 && t[tn - 2] != '\n');
}

static void forget_text(struct rsh_state *st)
{
    st->win_len = 0;
    st->saw_ok = st->saw_bad = false;
}

/*
 * Read what the server said since the last decision: called when the client
 * types (the server waits for input) and when the flow ends.
 */
static void decide(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct rsh_state *st)
{
    if (st->term == T_PASS)
        return; /* the client is typing its password */
    size_t tn = st->win_len;
    while (tn && (st->win[tn - 1] == ' ' || st->win[tn - 1] == '\t' || st->win[tn - 1] == '\r' ||
                  st->win[tn - 1] == '\n' || st->win[tn - 1] == 0))
        tn--;
    bool pp = password_prompt(st->win, tn);
    if (st->saw_ok) {
        emit(ctx, f, st, OT_LOGIN_SUCCESS);
    } else if (st->saw_bad) {
        emit(ctx, f, st, OT_LOGIN_FAILURE);
    } else if (pp) {
        st->pass_prompt = true;
        st->term = T_PASS;
        forget_text(st);
    } else if (shell_prompt(st->win, tn)) {
        emit(ctx, f, st, OT_LOGIN_SUCCESS);
    }
}

static void keystroke(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct rsh_state *st,
                      uint8_t c)
{
    if (st->server_new) {
        st->server_new = false;
        decide(ctx, f, st);
        if (st->emitted)
            return;
    }
    if (st->term != T_PASS)
        return;
    if (c == '\r' || c == '\n') {
        st->term = T_RESULT;
        forget_text(st);
    } else if (c >= 0x20 && c != 0x7f && st->pass_len < UINT32_MAX) {
        st->pass_len++;
    }
}

/* Client bytes after the handshake, without the window-size messages (FF FF 's' 's' + 8 bytes). */
static void client_terminal(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct rsh_state *st,
                            const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && !st->emitted; i++) {
        uint8_t c = p[i];
        if (st->ws >= 4) {
            if (++st->ws == 12)
                st->ws = 0;
            continue;
        }
        if (st->ws) {
            if (c == (st->ws == 1 ? 0xff : 's')) {
                st->ws++;
                continue;
            }
            st->ws = 0; /* not a window-size message: the bytes held were keystrokes */
            keystroke(ctx, f, st, 0xff);
            if (st->emitted)
                return;
        }
        if (c == 0xff) {
            st->ws = 1;
            continue;
        }
        keystroke(ctx, f, st, c);
    }
}

/* ---- the server ---- */

static int server_data(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct rsh_state *st,
                       const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && !st->done) {
        if (st->srv == S_FIRST) {
            uint8_t c = p[i++];
            if (st->field == 0) {
                st->done = true; /* the server spoke first: no handshake to report */
                return c <= 1 ? 0 : OT_EINVAL;
            }
            if (c == 1) {
                st->msg_seen = true;
                st->srv = S_MESSAGE;
            } else if (c != 0) {
                return OT_EINVAL;
            } else if (st->svc == SVC_RLOGIN) {
                st->srv = S_TERMINAL; /* acknowledged: the login program speaks next */
            } else {
                emit(ctx, f, st, OT_LOGIN_SUCCESS);
            }
        } else if (st->srv == S_MESSAGE) {
            const uint8_t *lf = memchr(p + i, '\n', n - i);
            size_t end = lf ? (size_t)(lf - p) : n;
            size_t k = end - i, room = MSG_KEEP - st->msg_len;
            size_t c = OT_MIN(k, room);
            memcpy(st->msg + st->msg_len, p + i, c);
            st->msg_len = (uint16_t)(st->msg_len + c);
            i = end;
            if (lf || k > room)
                emit(ctx, f, st, OT_LOGIN_FAILURE); /* whole, or cut at MSG_KEEP */
        } else {
            server_text(st, p + i, n - i);
            i = n;
        }
    }
    return 0;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct rsh_state *st = state;
    if (!st->inited) {
        st->svc = (uint8_t)service_of(f->srv_port);
        st->inited = true;
    }
    if (st->done)
        return 0;
    dir = dir ? 1 : 0;
    if (flags & OT_DATA_GAP) {
        if (dir == 0) {
            if (st->field < 4)
                st->cli_lost = true; /* the fields can no longer be told apart */
            st->ws = 0;
        } else if (st->srv == S_FIRST) {
            st->done = true; /* the verdict may be what was lost */
        } else if (st->srv == S_MESSAGE) {
            emit(ctx, f, st, OT_LOGIN_FAILURE);
        } else {
            st->win_len = 0;
        }
        if (!data)
            return 0;
    }
    if (dir == 1)
        return server_data(ctx, f, st, data, len);
    if (st->cli_lost)
        return 0;
    if (st->field < 4) {
        int rc = handshake(st, &data, &len);
        if (rc < 0)
            return rc;
    }
    /* rexec and rsh send nothing before the verdict; rlogin types after the acknowledgement. */
    if (len && st->field >= 4 && st->srv == S_TERMINAL)
        client_terminal(ctx, f, st, data, len);
    return 0;
}

static void close_flow(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct rsh_state *st = state;
    if (st->emitted || !st->inited)
        return;
    switch (st->srv) {
    case S_MESSAGE:
        emit(ctx, f, st, OT_LOGIN_FAILURE);
        break;
    case S_TERMINAL:
        decide(ctx, f, st);
        emit(ctx, f, st, OT_LOGIN_UNKNOWN);
        break;
    default:
        /* No answer: worth an event once the client named the account. */
        if (st->field > user_field(st))
            emit(ctx, f, st, OT_LOGIN_UNKNOWN);
        break;
    }
}

/* ---- probe ---- */

static const uint16_t rsh_ports[] = {512, 513, 514};

/*
 * Client first, on port 512, 513 or 514: the handshake so far must fit:
 * up to 5 digits (nothing for rlogin) and NUL, then printable user names.
 * YES once the fourth field ended (or the handshake is long and still
 * fits); MORE while it is shorter; NO at the first byte that does not fit.
 * Requiring whole fields keeps a chunk that starts in the middle of a
 * handshake (after held bytes) from being taken for its start.
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (dir != 0 || f->ip_proto != 6 || !ot_port_is(f, rsh_ports, OT_ARRAY_SIZE(rsh_ports)))
        return OT_PROBE_NO;
    enum svc svc = service_of(f->srv_port);
    size_t i = 0;
    /* field 0: the stderr port */
    for (; i < len && data[i] != 0; i++)
        if (svc == SVC_RLOGIN || i >= PORT_DIGITS || data[i] < '0' || data[i] > '9')
            return OT_PROBE_NO;
    if (i == len)
        return OT_PROBE_MORE;
    i++;
    /* fields 1 and 2: user names (rexec: the user and the password) */
    for (int fld = 1; fld <= 2; fld++) {
        bool password = svc == SVC_REXEC && fld == 2;
        size_t s = i;
        for (; i < len && data[i] != 0; i++) {
            if (i - s >= PROBE_NAME_MAX)
                return OT_PROBE_NO;
            if (!password && (data[i] <= 0x20 || data[i] == 0x7f))
                return OT_PROBE_NO;
        }
        if (i == len)
            return OT_PROBE_MORE;
        if (i == s && !password)
            return OT_PROBE_NO;
        i++;
    }
    /* field 3: the command, or the terminal */
    for (; i < len && data[i] != 0; i++)
        if (svc == SVC_RLOGIN && (data[i] < 0x20 || data[i] == 0x7f))
            return OT_PROBE_NO;
    if (i < len || len >= PROBE_LONG)
        return OT_PROBE_YES;
    return OT_PROBE_MORE;
}

const struct ot_proto_parser ot_proto_rsh = {
    .id = OT_APP_RSH,
    .name = "rsh",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct rsh_state),
    .probe = probe,
    .parse = parse,
    .close = close_flow,
};
