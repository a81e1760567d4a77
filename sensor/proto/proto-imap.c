/*
 * IMAP4 (RFC 9051 / 3501, RFC 4959 SASL-IR, RFC 7888 literals): logins.
 *
 * Writes one "imap" event per login attempt: "tag LOGIN user password"
 * (password in clear) or "tag AUTHENTICATE mechanism" (SASL: PLAIN and LOGIN
 * carry the password in base64, i.e. in clear), decided by the tagged
 * OK/NO/BAD response with the same tag.  When STARTTLS gets its tagged OK
 * the session is encrypted: the parser writes a "starttls" event and reads
 * no further; after a successful login too (the authenticated state has no
 * second login: the rest of the session is mail).
 *
 * Literals ("{N}" or "{N+}" at the end of a line, then N raw bytes) are
 * skipped in both directions without buffering, so message text inside an
 * APPEND or a FETCH response can never pass for a command or a response;
 * LOGIN arguments sent as literals are read as they stream by.
 */
#include "proto/proto-line.h"

#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"

#define TAG_MAX 32
#define BAD_MAX 16 /* consecutive server lines that are not responses before we give up */

enum pending {
    PEND_NONE = 0,
    PEND_LOGIN,
    PEND_AUTH,
};

struct imap_state {
    struct ot_line_reader rd[2];
    struct ot_login_session sess;
    struct ot_login login;
    struct ot_sasl sasl;
    uint64_t lit[2];   /* literal bytes still to skip per direction */
    uint8_t pending;   /* enum pending: the login command awaiting its tagged response */
    uint8_t login_arg; /* LOGIN arguments read so far (0 user, 1 password) */
    uint8_t lit_arg;   /* the client literal being skipped is LOGIN argument n + 1 (0: none) */
    bool cont[2];      /* the next line continues a command/response after a literal */
    bool in_login;     /* the client command being read is a LOGIN */
    uint8_t tag_len, tls_tag_len;
    uint8_t bad_lines;
    bool greeted;
    bool stopped;          /* encrypted, or logged in: nothing more to learn */
    char tag[TAG_MAX];     /* tag of the pending login command */
    char tls_tag[TAG_MAX]; /* tag of a STARTTLS awaiting its response */
};

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct imap_state *st,
                 enum ot_login_result r)
{
    if (!st->login.active)
        return;
    ot_login_event_begin(ctx, f, "imap", "login", &st->login, r, &st->sess);
    ot_login_event_end(ctx);
    st->login.active = false;
    if (r == OT_LOGIN_SUCCESS)
        st->stopped = true; /* no second login in this session: the rest is mail */
    st->pending = PEND_NONE;
    st->tag_len = 0;
    memset(&st->sasl, 0, sizeof(st->sasl));
}

/* "{123}" or "{123+}" ending a line: the literal's size. */
static bool literal_at_end(const uint8_t *p, size_t n, uint64_t *size, size_t *start)
{
    if (n < 3 || p[n - 1] != '}')
        return false;
    size_t i = n - 1;
    if (i > 0 && p[i - 1] == '+')
        i--;
    size_t end = i;
    while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
        i--;
    if (i == end || i == 0 || p[i - 1] != '{' || end - i > 19)
        return false;
    uint64_t v = 0;
    for (size_t k = i; k < end; k++)
        v = v * 10 + (uint64_t)(p[k] - '0');
    *size = v;
    *start = i - 1;
    return true;
}

/* An IMAP atom character (tags and bare words). */
static bool atom_char(uint8_t c)
{
    return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '%' && c != '*' &&
           c != '"' && c != '\\' && c != ']';
}

/* Copy a quoted string's content (unescaped) into the user field. */
static size_t quoted(struct imap_state *st, const uint8_t *p, size_t n, size_t i, bool keep)
{
    uint8_t buf[OT_LOGIN_USER_MAX];
    size_t o = 0;
    i++; /* opening quote */
    while (i < n && p[i] != '"') {
        if (p[i] == '\\' && i + 1 < n)
            i++;
        if (o < sizeof(buf))
            buf[o++] = p[i];
        i++;
    }
    if (keep)
        ot_login_set_user(&st->login, buf, o);
    else if (o)
        st->login.password_in_clear = true;
    return i < n ? i + 1 : n;
}

/*
 * Read LOGIN arguments from p[i..n).  A literal marker ends the segment:
 * the caller streams the literal into the argument.
 */
static void login_args(struct imap_state *st, const uint8_t *p, size_t n, size_t i, size_t lit_at)
{
    while (st->login_arg < 2) {
        while (i < lit_at && p[i] == ' ')
            i++;
        if (i >= lit_at)
            return;
        bool user = st->login_arg == 0;
        if (p[i] == '"') {
            i = quoted(st, p, lit_at, i, user);
        } else {
            size_t s = i;
            while (i < lit_at && p[i] != ' ')
                i++;
            if (user)
                ot_login_set_user(&st->login, p + s, i - s);
            else if (i > s)
                st->login.password_in_clear = true;
        }
        st->login_arg++;
    }
}

/* A new tagged command line. */
static void command(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct imap_state *st,
                    const uint8_t *p, size_t n, size_t lit_at)
{
    size_t tl = ot_line_word(p, lit_at);
    size_t c = ot_line_next_word(p, lit_at, 0);
    size_t cl = ot_line_word(p + c, lit_at - c);
    size_t arg = ot_line_next_word(p, lit_at, c);
    st->in_login = false;

    if (ot_line_ieq(p + c, cl, "LOGIN")) {
        emit(ctx, f, st, OT_LOGIN_UNKNOWN);
        ot_login_start(&st->login, &st->sess, "login");
        st->pending = PEND_LOGIN;
        st->in_login = true;
        st->login_arg = 0;
        login_args(st, p, n, arg, lit_at);
    } else if (ot_line_ieq(p + c, cl, "AUTHENTICATE")) {
        emit(ctx, f, st, OT_LOGIN_UNKNOWN);
        size_t ml = ot_line_word(p + arg, lit_at - arg);
        ot_sasl_begin(&st->sasl, &st->login, &st->sess, p + arg, ml);
        size_t ir = ot_line_next_word(p, lit_at, arg);
        if (ir < lit_at)
            ot_sasl_response(&st->sasl, &st->login, p + ir, lit_at - ir);
        st->pending = PEND_AUTH;
    } else if (ot_line_ieq(p + c, cl, "STARTTLS")) {
        st->tls_tag_len = tl <= TAG_MAX ? (uint8_t)tl : 0; /* a longer tag is not matched */
        memcpy(st->tls_tag, p, st->tls_tag_len);
        return;
    } else {
        return;
    }
    st->tag_len = tl <= TAG_MAX ? (uint8_t)tl : 0;
    memcpy(st->tag, p, st->tag_len);
}

static void client_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct imap_state *st,
                        const struct ot_line *ln)
{
    const uint8_t *p = ln->p;
    size_t n = ln->len;
    uint64_t lsize = 0;
    size_t lit_at = n;
    bool lit = !ln->cut && literal_at_end(p, n, &lsize, &lit_at);
    bool cont = st->cont[0];
    st->cont[0] = lit;
    if (lit)
        st->lit[0] = lsize;

    if (cont) {
        if (st->in_login)
            login_args(st, p, n, 0, lit_at);
    } else if (st->pending == PEND_AUTH && st->sasl.want_response) {
        ot_sasl_response(&st->sasl, &st->login, p, n);
        return;
    } else {
        command(ctx, f, st, p, n, lit_at);
    }
    /* A literal that is a LOGIN argument streams into it. */
    st->lit_arg = 0;
    if (lit && st->in_login && st->login_arg < 2) {
        if (lsize == 0) {
            st->login_arg++; /* "{0}": an empty argument */
            return;
        }
        st->lit_arg = (uint8_t)(st->login_arg + 1);
        if (st->login_arg == 0)
            st->login.user_len = 0;
    }
}

/* Literal bytes from the client: maybe a LOGIN argument. */
static void client_literal(struct imap_state *st, const uint8_t *p, size_t n)
{
    if (st->lit_arg == 1) {
        size_t room = sizeof(st->login.user) - st->login.user_len;
        size_t k = OT_MIN(room, n);
        memcpy(st->login.user + st->login.user_len, p, k);
        st->login.user_len = (uint8_t)(st->login.user_len + k);
    } else if (st->lit_arg == 2 && n) {
        st->login.password_in_clear = true;
    }
    if (st->lit[0] == 0 && st->lit_arg) {
        st->login_arg++;
        st->lit_arg = 0;
    }
}

static int server_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct imap_state *st,
                       const struct ot_line *ln)
{
    const uint8_t *p = ln->p;
    size_t n = ln->len;
    uint64_t lsize = 0;
    size_t lit_at = n;
    bool lit = !ln->cut && literal_at_end(p, n, &lsize, &lit_at);
    bool cont = st->cont[1];
    st->cont[1] = lit;
    if (lit)
        st->lit[1] = lsize;
    if (cont)
        return 0; /* the rest of a response after a literal */

    if (n >= 1 && p[0] == '*') {
        st->bad_lines = 0;
        if (!st->greeted) {
            st->greeted = true;
            if (ot_bytes_istarts(p, n, "* OK") || ot_bytes_istarts(p, n, "* PREAUTH") ||
                ot_bytes_istarts(p, n, "* BYE"))
                ot_login_banner(&st->sess, p, n);
        }
        return 0;
    }
    if (n >= 1 && p[0] == '+') {
        st->bad_lines = 0;
        if (st->pending == PEND_AUTH)
            st->sasl.want_response = true;
        return 0;
    }
    size_t tl = ot_line_word(p, n);
    size_t s = ot_line_next_word(p, n, 0);
    size_t sl = ot_line_word(p + s, n - s);
    bool ok = ot_line_ieq(p + s, sl, "OK");
    bool no = ot_line_ieq(p + s, sl, "NO") || ot_line_ieq(p + s, sl, "BAD");
    bool tag_ok = tl > 0;
    for (size_t i = 0; i < tl && tag_ok; i++)
        tag_ok = atom_char(p[i]) && p[i] != '+';
    if (!tag_ok || (!ok && !no)) {
        if (++st->bad_lines >= BAD_MAX)
            return OT_EINVAL; /* not IMAP after all */
        return 0;
    }
    st->bad_lines = 0;
    st->greeted = true;
    if (st->pending != PEND_NONE && st->tag_len && tl == st->tag_len &&
        memcmp(p, st->tag, tl) == 0) {
        emit(ctx, f, st, ok ? OT_LOGIN_SUCCESS : OT_LOGIN_FAILURE);
    } else if (st->tls_tag_len && tl == st->tls_tag_len && memcmp(p, st->tls_tag, tl) == 0) {
        st->tls_tag_len = 0;
        if (ok) {
            emit(ctx, f, st, OT_LOGIN_UNKNOWN);
            st->sess.starttls = true;
            ot_login_event_begin(ctx, f, "imap", "starttls", NULL, OT_LOGIN_UNKNOWN, &st->sess);
            ot_login_event_end(ctx);
            st->stopped = true;
        }
    }
    return 0;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct imap_state *st = state;
    ot_line_init_pair(st->rd, ctx->conf);
    if (st->stopped)
        return 0;
    dir = dir ? 1 : 0;
    if (flags & OT_DATA_GAP) {
        if (st->lit[dir] > 0) {
            if (!data)
                st->lit[dir] -= OT_MIN(st->lit[dir], (uint64_t)len);
        } else {
            ot_line_gap(&st->rd[dir]);
            st->cont[dir] = false;
        }
        if (dir == 0)
            st->lit_arg = 0;
        if (!data)
            return 0;
    }
    struct ot_line ln;
    int rc = 0;
    while (len > 0 && !st->stopped) {
        if (st->lit[dir] > 0) {
            size_t used = st->lit[dir] < len ? (size_t)st->lit[dir] : len;
            st->lit[dir] -= used;
            if (dir == 0)
                client_literal(st, data, used);
            data += used;
            len -= used;
            continue;
        }
        rc = ot_line_next(&st->rd[dir], &data, &len, &ln);
        if (rc <= 0)
            break;
        if (dir == 0) {
            client_line(ctx, f, st, &ln);
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
    struct imap_state *st = state;
    emit(ctx, f, st, OT_LOGIN_UNKNOWN);
    ot_line_free(&st->rd[0]);
    ot_line_free(&st->rd[1]);
}

static const uint16_t imap_ports[] = {143};

/*
 * Server: an untagged "* OK" or "* PREAUTH" greeting (any port).  Client:
 * "tag CAPABILITY|AUTHENTICATE|STARTTLS" anywhere, or "tag LOGIN" on port
 * 143 (the greeting was missed).
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (dir == 1) {
        if (len && data[0] != '*') /* what most server payloads are refused by */
            return OT_PROBE_NO;
        if (len < 5)
            return ot_line_iprefix(data, len, "* OK ") || ot_line_iprefix(data, len, "* PRE")
                       ? OT_PROBE_MORE
                       : OT_PROBE_NO;
        if (ot_bytes_istarts(data, len, "* OK ") || ot_bytes_istarts(data, len, "* OK\r") ||
            ot_bytes_istarts(data, len, "* PREAUTH"))
            return OT_PROBE_YES;
        return OT_PROBE_NO;
    }
    size_t tl = 0;
    while (tl < len && tl < TAG_MAX && atom_char(data[tl]) && data[tl] != '+')
        tl++;
    if (tl == 0 || tl == len || data[tl] != ' ')
        return tl == len && tl < TAG_MAX ? OT_PROBE_MORE : OT_PROBE_NO;
    const uint8_t *c = data + tl + 1;
    size_t cn = len - tl - 1;
    size_t cl = ot_line_verb(c, cn);
    if (cl == 0)
        return OT_PROBE_NO;
    if (ot_line_ieq(c, cl, "CAPABILITY") || ot_line_ieq(c, cl, "AUTHENTICATE") ||
        ot_line_ieq(c, cl, "STARTTLS"))
        return OT_PROBE_YES;
    if (ot_line_ieq(c, cl, "LOGIN") && ot_port_is(f, imap_ports, OT_ARRAY_SIZE(imap_ports)))
        return OT_PROBE_YES;
    return OT_PROBE_NO;
}

/* STARTTLS was accepted (or nothing more can be learnt): a ClientHello may follow. */
static bool handed_over(const void *state)
{
    const struct imap_state *st = state;
    return st->stopped;
}

const struct ot_proto_parser ot_proto_imap = {
    .id = OT_APP_IMAP,
    .name = "imap",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct imap_state),
    .probe = probe,
    .parse = parse,
    .close = close_flow,
    .handed_over = handed_over,
};
