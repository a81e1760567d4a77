/*
 * SMTP / ESMTP (RFC 5321, RFC 4954 AUTH, RFC 3207 STARTTLS, RFC 3030 BDAT).
 *
 * Writes one "smtp" event per AUTH attempt (type "login": PLAIN and LOGIN
 * carry the password in base64, i.e. in clear; CRAM-MD5 and the like do
 * not) and one per mail transaction (type "mail": helo, mail_from, rcpt_to;
 * at the end of its message, or incomplete when it is reset, replaced or the
 * flow ends first), both with the session's login fields.  When STARTTLS is accepted (220)
 * the session is encrypted: the parser writes a "starttls" event and reads
 * no further.
 *
 * Commands wait in a FIFO for their replies (ESMTP pipelining); a reply
 * counts at its last line ("250-" ... "250 ").  Message bodies are skipped
 * without buffering: DATA until the "." line, BDAT by its byte count.
 */
#include "proto/proto-line.h"

#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "otasuke/error.h"

#define QMAX      32  /* pipelined commands awaiting a reply */
#define BAD_MAX   16  /* consecutive server lines that are not replies before we give up */
#define TEXT_MAX  256 /* helo, mail_from, one rcpt_to */
#define RCPT_MAX  16  /* recipients kept per transaction (more are counted) */
#define RCPT_POOL 1024

enum cmd {
    CMD_OTHER = 0,
    CMD_AUTH,
    CMD_STARTTLS,
    CMD_DATA,
    CMD_BODY, /* the end of a message: its reply */
};

enum body_mode {
    BODY_NONE = 0,
    BODY_DOT,  /* DATA: until a line holding "." */
    BODY_BDAT, /* BDAT: bdat_left raw bytes */
};

struct smtp_state {
    struct ot_line_reader rd[2];
    struct ot_login_session sess;
    struct ot_login login;
    struct ot_sasl sasl;
    struct ot_cmdq cq; /* commands awaiting a reply */
    uint16_t ml_code;  /* inside a multi-line reply with this code */
    uint8_t bad_lines;
    uint8_t body; /* enum body_mode (client direction) */
    uint8_t dot_state;
    bool bdat_last;
    bool greeted;
    bool encrypted;
    enum ot_login_result last_result;
    uint64_t bdat_left;
    uint64_t body_seen; /* DATA body bytes read so far */

    /* The mail transaction. */
    bool tx_open;
    uint16_t helo_len, from_len, pool_len;
    uint32_t rcpt_count;
    uint16_t rcpt_off[RCPT_MAX], rcpt_len[RCPT_MAX];
    char helo[TEXT_MAX];
    char from[TEXT_MAX];
    char pool[RCPT_POOL];
};

static void push(struct smtp_state *st, enum cmd c)
{
    ot_cmdq_push(&st->cq, (uint8_t)c, QMAX);
}

static enum cmd head(const struct smtp_state *st)
{
    return (enum cmd)ot_cmdq_head(&st->cq);
}

static enum cmd pop(struct smtp_state *st)
{
    return (enum cmd)ot_cmdq_pop(&st->cq);
}

static void put_helo(struct ot_jw *w, const struct smtp_state *st)
{
    if (st->helo_len)
        ot_jw_strn(w, "helo", st->helo, st->helo_len);
}

static void emit_login(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct smtp_state *st,
                       enum ot_login_result r)
{
    if (!st->login.active)
        return;
    struct ot_jw *w = ot_login_event_begin(ctx, f, "smtp", "login", &st->login, r, &st->sess);
    put_helo(w, st);
    ot_login_event_end(ctx);
    st->login.active = false;
    st->last_result = r;
    memset(&st->sasl, 0, sizeof(st->sasl));
}

static void tx_reset(struct smtp_state *st)
{
    st->tx_open = false;
    st->from_len = 0;
    st->pool_len = 0;
    st->rcpt_count = 0;
}

/*
 * The end of a mail transaction: one "mail" event, `complete` when its
 * message was transferred to the end (DATA's "." line or BDAT LAST).
 */
static void emit_mail(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct smtp_state *st,
                      bool complete)
{
    /* The login fields are those of the last attempt (the session's identity). */
    const struct ot_login *l = st->login.seq ? &st->login : NULL;
    struct ot_jw *w = ot_login_event_begin(ctx, f, "smtp", "mail", l,
                                           l ? st->last_result : OT_LOGIN_UNKNOWN, &st->sess);
    put_helo(w, st);
    if (st->tx_open)
        ot_jw_strn(w, "mail_from", st->from, st->from_len);
    ot_jw_arr_open(w, "rcpt_to");
    for (uint32_t i = 0; i < st->rcpt_count && i < RCPT_MAX; i++)
        ot_jw_strn(w, NULL, st->pool + st->rcpt_off[i], st->rcpt_len[i]);
    ot_jw_arr_close(w);
    ot_jw_u64(w, "rcpt_count", st->rcpt_count);
    ot_jw_bool(w, "complete", complete);
    ot_login_event_end(ctx);
    tx_reset(st);
}

/* A transaction given up before its message (RSET, a new MAIL, the end of the flow). */
static void tx_abandon(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct smtp_state *st)
{
    if (st->tx_open)
        emit_mail(ctx, f, st, false);
    tx_reset(st);
}

/* The address of "MAIL FROM:<a> params" / "RCPT TO:<a> params", without the brackets. */
static void path_arg(const uint8_t *p, size_t n, size_t from, const uint8_t **a, size_t *al)
{
    while (from < n && p[from] == ' ')
        from++;
    size_t end = from;
    if (from < n && p[from] == '<') {
        from++;
        end = from;
        while (end < n && p[end] != '>')
            end++;
    } else {
        while (end < n && p[end] != ' ')
            end++;
    }
    *a = p + from;
    *al = end - from;
}

static void copy_text(char *dst, uint16_t *dl, const uint8_t *p, size_t n)
{
    if (n > TEXT_MAX)
        n = TEXT_MAX;
    if (n)
        memcpy(dst, p, n);
    *dl = (uint16_t)n;
}

static void add_rcpt(struct smtp_state *st, const uint8_t *a, size_t al)
{
    uint32_t i = st->rcpt_count;
    if (st->rcpt_count < UINT32_MAX)
        st->rcpt_count++;
    if (i >= RCPT_MAX)
        return;
    if (al > TEXT_MAX)
        al = TEXT_MAX;
    if (al > (size_t)(RCPT_POOL - st->pool_len))
        al = RCPT_POOL - st->pool_len;
    if (al)
        memcpy(st->pool + st->pool_len, a, al);
    st->rcpt_off[i] = st->pool_len;
    st->rcpt_len[i] = (uint16_t)al;
    st->pool_len = (uint16_t)(st->pool_len + al);
}

/* "BDAT <size> [LAST]": the chunk follows at once, without waiting for a reply. */
static void bdat(struct smtp_state *st, const uint8_t *p, size_t n, size_t arg)
{
    uint64_t v = 0;
    size_t i = arg;
    while (i < n && p[i] >= '0' && p[i] <= '9' && v < (UINT64_MAX - 9) / 10)
        v = v * 10 + (uint64_t)(p[i++] - '0');
    size_t last = ot_line_next_word(p, n, arg);
    st->bdat_last = last < n && ot_line_ieq(p + last, ot_line_word(p + last, n - last), "LAST");
    st->bdat_left = v;
    st->body = BODY_BDAT;
    push(st, CMD_OTHER);
}

static void client_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct smtp_state *st,
                        const uint8_t *p, size_t n)
{
    if (st->sasl.want_response && st->login.active) {
        ot_sasl_response(&st->sasl, &st->login, p, n);
        return;
    }
    size_t vl = ot_line_word(p, n);
    size_t arg = ot_line_next_word(p, n, 0);

    if (ot_line_ieq(p, vl, "EHLO") || ot_line_ieq(p, vl, "HELO")) {
        tx_abandon(ctx, f, st);
        copy_text(st->helo, &st->helo_len, p + arg, ot_line_word(p + arg, n - arg));
        push(st, CMD_OTHER);
    } else if (ot_line_ieq(p, vl, "AUTH")) {
        emit_login(ctx, f, st, OT_LOGIN_UNKNOWN);
        size_t ml = ot_line_word(p + arg, n - arg);
        ot_sasl_begin(&st->sasl, &st->login, &st->sess, p + arg, ml);
        size_t ir = ot_line_next_word(p, n, arg);
        if (ir < n)
            ot_sasl_response(&st->sasl, &st->login, p + ir, n - ir);
        push(st, CMD_AUTH);
    } else if (ot_line_ieq(p, vl, "STARTTLS")) {
        push(st, CMD_STARTTLS);
    } else if (n >= 10 && ot_bytes_istarts(p, n, "MAIL FROM:")) {
        const uint8_t *a;
        size_t al;
        path_arg(p, n, 10, &a, &al);
        tx_abandon(ctx, f, st);
        st->tx_open = true;
        copy_text(st->from, &st->from_len, a, al);
        push(st, CMD_OTHER);
    } else if (n >= 8 && ot_bytes_istarts(p, n, "RCPT TO:")) {
        const uint8_t *a;
        size_t al;
        path_arg(p, n, 8, &a, &al);
        add_rcpt(st, a, al);
        push(st, CMD_OTHER);
    } else if (ot_line_ieq(p, vl, "DATA")) {
        /*
         * The body starts now, before the 354: clients that do not wait for
         * it (and captures of one side only) are read right.  A refusal
         * before any body byte arrived takes it back (see reply()).
         */
        push(st, CMD_DATA);
        st->body = BODY_DOT;
        st->dot_state = OT_DOTEND_START;
        st->body_seen = 0;
    } else if (ot_line_ieq(p, vl, "BDAT")) {
        bdat(st, p, n, arg);
    } else if (ot_line_ieq(p, vl, "RSET")) {
        tx_abandon(ctx, f, st);
        push(st, CMD_OTHER);
    } else {
        push(st, CMD_OTHER);
    }
}

/* The last line of a reply with code `code`. */
static void reply(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct smtp_state *st,
                  int code)
{
    if (!st->greeted && st->cq.len == 0 && (code == 220 || code == 421 || code == 554)) {
        st->greeted = true;
        return;
    }
    st->greeted = true;
    if (code == 334 && head(st) == CMD_AUTH) {
        st->sasl.want_response = true; /* a challenge: the AUTH command goes on */
        return;
    }
    switch (pop(st)) {
    case CMD_AUTH:
        emit_login(ctx, f, st, code >= 200 && code < 300 ? OT_LOGIN_SUCCESS : OT_LOGIN_FAILURE);
        break;
    case CMD_STARTTLS:
        if (code == 220) {
            emit_login(ctx, f, st, OT_LOGIN_UNKNOWN);
            tx_abandon(ctx, f, st);
            st->sess.starttls = true;
            struct ot_jw *w =
                ot_login_event_begin(ctx, f, "smtp", "starttls", NULL, OT_LOGIN_UNKNOWN, &st->sess);
            put_helo(w, st);
            ot_login_event_end(ctx);
            st->encrypted = true;
        }
        break;
    case CMD_DATA:
        if (code != 354 && st->body == BODY_DOT && st->body_seen == 0)
            st->body = BODY_NONE; /* refused: the client goes on with commands */
        break;
    default:
        break;
    }
}

static int server_line(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct smtp_state *st,
                       const struct ot_line *ln)
{
    int code = ot_line_reply_code(ln->p, ln->len);
    if (code < 0) {
        if (++st->bad_lines >= BAD_MAX)
            return OT_EINVAL; /* not SMTP after all */
        return 0;
    }
    st->bad_lines = 0;
    if (!st->sess.banner_done && code == 220 && !st->greeted && !st->ml_code)
        ot_login_banner(&st->sess, ln->p, ln->len);
    if (ln->len > 3 && ln->p[3] == '-') {
        st->ml_code = (uint16_t)code;
        return 0;
    }
    st->ml_code = 0;
    reply(ctx, f, st, code);
    return 0;
}

/* Skip message bytes in the client direction; returns bytes used. */
static size_t body_bytes(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct smtp_state *st,
                         const uint8_t *p, size_t n)
{
    if (st->body == BODY_DOT) {
        bool done;
        size_t used = ot_dotend_scan(&st->dot_state, p, n, &done);
        st->body_seen += used;
        if (done) {
            st->body = BODY_NONE;
            push(st, CMD_BODY);
            emit_mail(ctx, f, st, true);
        }
        return used;
    }
    size_t used = st->bdat_left < n ? (size_t)st->bdat_left : n;
    st->bdat_left -= used;
    if (st->bdat_left == 0) {
        st->body = BODY_NONE;
        if (st->bdat_last)
            emit_mail(ctx, f, st, true);
    }
    return used;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct smtp_state *st = state;
    ot_line_init_pair(st->rd, ctx->conf);
    if (st->encrypted)
        return 0;
    dir = dir ? 1 : 0;
    if (flags & OT_DATA_GAP) {
        if (dir == 0 && st->body == BODY_DOT) {
            st->dot_state = 0; /* still in the body: look for its end */
            st->body_seen += len;
        } else if (dir == 0 && st->body == BODY_BDAT) {
            size_t lost = data ? 0 : len;
            st->bdat_left -= OT_MIN(st->bdat_left, (uint64_t)lost);
        } else {
            ot_line_gap(&st->rd[dir]);
            if (dir == 1)
                st->ml_code = 0;
        }
        if (!data)
            return 0;
    }
    struct ot_line ln;
    int rc = 0;
    while (len > 0 && !st->encrypted) {
        if (dir == 0 && st->body != BODY_NONE) {
            size_t used = body_bytes(ctx, f, st, data, len);
            data += used;
            len -= used;
            continue;
        }
        rc = ot_line_next(&st->rd[dir], &data, &len, &ln);
        if (rc <= 0)
            break;
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
    struct smtp_state *st = state;
    emit_login(ctx, f, st, OT_LOGIN_UNKNOWN);
    if (!st->encrypted)
        tx_abandon(ctx, f, st);
    ot_line_free(&st->rd[0]);
    ot_line_free(&st->rd[1]);
}

static const uint16_t smtp_ports[] = {25, 465, 587, 2525};

/* A greeting line is judged whole, unless it runs longer than this. */
#define GREETING_WAIT 200

/*
 * Server: a "220" greeting that names SMTP/ESMTP, or one that names neither
 * FTP nor SMTP on a mail port.  Client: EHLO/HELO anywhere; other SMTP
 * commands on a mail port (the greeting was missed).
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
            return OT_PROBE_YES;
        if (ot_line_icontains(data, ll, "FTP"))
            return OT_PROBE_NO;
        return ot_port_is(f, smtp_ports, OT_ARRAY_SIZE(smtp_ports)) ? OT_PROBE_YES : OT_PROBE_NO;
    }
    /* EHLO or HELO; on an SMTP port also a later command (the capture began mid-session). */
    uint8_t c0 = len ? (uint8_t)(data[0] | 0x20) : 'e';
    bool helo = c0 == 'e' || c0 == 'h';
    if (!helo && !ot_port_is(f, smtp_ports, OT_ARRAY_SIZE(smtp_ports)))
        return OT_PROBE_NO;
    if (len < 5)
        return ot_line_iprefix(data, len, "EHLO ") || ot_line_iprefix(data, len, "HELO ")
                   ? OT_PROBE_MORE
                   : OT_PROBE_NO;
    if (helo)
        return ot_bytes_istarts(data, len, "EHLO ") || ot_bytes_istarts(data, len, "HELO ")
                   ? OT_PROBE_YES
                   : OT_PROBE_NO;
    /* Here on an SMTP port. */
    if (ot_bytes_istarts(data, len, "MAIL FROM:") || ot_bytes_istarts(data, len, "RCPT TO:") ||
        ot_bytes_istarts(data, len, "AUTH ") || ot_bytes_istarts(data, len, "STARTTLS\r\n"))
        return OT_PROBE_YES;
    return OT_PROBE_NO;
}

/* STARTTLS was accepted (or nothing more can be learnt): a ClientHello may follow. */
static bool handed_over(const void *state)
{
    const struct smtp_state *st = state;
    return st->encrypted;
}

const struct ot_proto_parser ot_proto_smtp = {
    .id = OT_APP_SMTP,
    .name = "smtp",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct smtp_state),
    .probe = probe,
    .parse = parse,
    .close = close_flow,
    .handed_over = handed_over,
};
