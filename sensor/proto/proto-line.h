/*
 * Shared pieces of the cleartext-login parsers (FTP, Telnet, POP3, IMAP,
 * SMTP): bounded line assembly across TCP chunks, dot-terminated block
 * skipping, base64 and SASL user extraction, and the one event shape all
 * five protocols write for a login attempt.
 *
 * Nothing here allocates except the line reader, and only when a line spans
 * chunks (struct ot_pbuf, bounded by the reader's max).  The owner of a
 * struct ot_line_reader frees it with ot_line_free().
 */
#ifndef OT_SENSOR_PROTO_LINE_H
#define OT_SENSOR_PROTO_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/proto.h"

struct ot_jw;

/* Longest line the login parsers keep (further bytes of a line are dropped). */
#define OT_LINE_MAX 2048

/*
 * Assembles lines (LF or CRLF terminated) from in-order chunks.  A line that
 * lies whole inside a chunk is returned in place (no copy); only a line that
 * spans chunks is copied into `buf`.  A line longer than `max` is returned
 * cut to its first `max` bytes and the rest of it, up to its LF, is skipped.
 */
struct ot_line_reader {
    struct ot_pbuf buf; /* the start of a line that spans chunks */
    uint32_t max;       /* 0: not initialised yet (see ot_line_init) */
    bool skipping;      /* dropping the rest of a cut line, or after a gap */
    bool consumed;      /* buf holds the line returned last: clear it on the next call */
};

struct ot_line {
    const uint8_t *p; /* valid until the next call on the reader */
    size_t len;       /* without the CR LF */
    bool cut;         /* the line was longer than max: the rest was dropped */
};

/* Set the bound: min(max_buffer, OT_LINE_MAX), at least 1. */
void ot_line_init(struct ot_line_reader *r, const struct ot_proto_conf *conf);
/*
 * A line parser's two readers (client, server) in its zeroed state: set
 * both bounds on the parser's first call (max 0 says not yet); later calls
 * do nothing.
 */
void ot_line_init_pair(struct ot_line_reader rd[2], const struct ot_proto_conf *conf);
/*
 * Take the next line out of (*data, *len), advancing both.  Returns 1 with a
 * line in *out, 0 when the chunk is used up (a partial line is kept), or a
 * negative error (OT_ENOMEM).  Between calls the caller may consume bytes
 * from the chunk itself (a literal, a message body): after a line was returned
 * the reader holds no partial data (unless that line was cut: its rest is
 * then still being skipped).
 */
int ot_line_next(struct ot_line_reader *r, const uint8_t **data, size_t *len,
                 struct ot_line *out /* OUT */);
/* Bytes were lost: drop the partial line and resynchronise at the next LF. */
void ot_line_gap(struct ot_line_reader *r);
void ot_line_free(struct ot_line_reader *r);

/*
 * Scan for the end of a dot-terminated block (SMTP DATA, POP3 multi-line
 * responses): a line holding only "." ("\n.\r\n" or "\n.\n").  *state is
 * OT_DOTEND_START at the start of the block (which begins a line).  Returns
 * the bytes consumed; sets *done when the terminator was among them.
 */
#define OT_DOTEND_START 1
size_t ot_dotend_scan(uint8_t *state, const uint8_t *p, size_t n, bool *done /* OUT */);

/* Text helpers over wire bytes (never NUL-terminated). */
/* p[0..l) equals s[0..l) ignoring ASCII case. */
bool ot_line_ieq_n(const uint8_t *p, const char *s, size_t l);
/*
 * p[0..n) is s, ignoring ASCII case.  Inline so that the length test comes
 * first and, for a literal, needs no strlen(): the command parsers try one
 * verb after another on every line.
 */
static inline bool ot_line_ieq(const uint8_t *p, size_t n, const char *s)
{
    return n == strlen(s) && ot_line_ieq_n(p, s, n);
}
bool ot_line_icontains(const uint8_t *p, size_t n, const char *needle);
bool ot_line_iends(const uint8_t *p, size_t n, const char *suffix);
/* p[0..n) is a case-insensitive prefix of s (the probe has seen too little to tell). */
bool ot_line_iprefix(const uint8_t *p, size_t n, const char *s);
/*
 * Length of a command verb (letters) at the start of p when it is followed by
 * a blank, CR or LF; 0 otherwise.
 */
size_t ot_line_verb(const uint8_t *p, size_t n);
/* Length of the first word (up to a space or tab). */
size_t ot_line_word(const uint8_t *p, size_t n);
/* Offset of the next word after the first one (skipping blanks); n when none. */
size_t ot_line_next_word(const uint8_t *p, size_t n, size_t from);
/* A three-digit reply code at the start of p (FTP, SMTP), or -1. */
int ot_line_reply_code(const uint8_t *p, size_t n);

/*
 * Base64 (RFC 4648) into at most `cap` bytes (further output is dropped);
 * blanks are skipped and decoding stops at '='.  Returns 0 with *outlen,
 * or OT_EINVAL on a character outside the alphabet.
 */
int ot_b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen /* OUT */);

/* ---- the login attempt and its event ---- */

#define OT_LOGIN_USER_MAX   128
#define OT_LOGIN_BANNER_MAX 256
#define OT_LOGIN_METHOD_MAX 32

enum ot_login_result {
    OT_LOGIN_UNKNOWN = 0,
    OT_LOGIN_SUCCESS,
    OT_LOGIN_FAILURE,
};

/* One login attempt. Never holds the password, only whether it was seen. */
struct ot_login {
    bool active;            /* an attempt is open (not yet emitted) */
    bool password_in_clear; /* a reusable secret crossed the wire readable */
    uint8_t user_len;
    uint8_t method_len;
    uint32_t seq; /* attempt number in the flow, from 1 */
    char user[OT_LOGIN_USER_MAX];
    char method[OT_LOGIN_METHOD_MAX];
};

/* What a flow says about itself, shared by its attempts. */
struct ot_login_session {
    bool banner_done;
    bool starttls; /* the session switched to TLS (the parser stops there) */
    uint16_t banner_len;
    uint32_t attempts;
    char banner[OT_LOGIN_BANNER_MAX];
};

/* Open a new attempt (any open one must have been emitted first). */
void ot_login_start(struct ot_login *l, struct ot_login_session *s, const char *method);
void ot_login_set_user(struct ot_login *l, const uint8_t *p, size_t n);
/* Record the first server greeting line (once; cut to OT_LOGIN_BANNER_MAX). */
void ot_login_banner(struct ot_login_session *s, const uint8_t *p, size_t n);

/*
 * Start an event of type `proto` with the common login fields inside the
 * object named `proto`:
 *   type, attempt (type "login" only), user, auth_method, password_in_clear,
 *   login_result, starttls, server_banner.
 * `l` may be NULL (no attempt: starttls/mail without login).  Returns the
 * writer inside the still-open object so the caller can add its own fields,
 * then calls ot_login_event_end().
 */
struct ot_jw *ot_login_event_begin(struct ot_proto_ctx *ctx, const struct ot_flow *f,
                                   const char *proto, const char *type, const struct ot_login *l,
                                   enum ot_login_result result, const struct ot_login_session *s);
void ot_login_event_end(struct ot_proto_ctx *ctx);

/*
 * Verdict words in a server's terminal text after a login (Telnet, rlogin):
 * "Last login" or "Welcome" say success; "incorrect", "denied", "invalid"
 * and the like, failure.  Looks in the new text p[0..n) and across its seam
 * with the text before it (the end of prev[0..prev_len), the parser's
 * window), so a word cut between segments is found.  Sets *ok and *bad,
 * never clears them.
 */
void ot_login_verdict_words(const uint8_t *prev, size_t prev_len, const uint8_t *p, size_t n,
                            bool *ok, bool *bad);

/*
 * Keep the last `cap` (at most 255) bytes of a server's text: append
 * p[0..n) to win[0..*len), dropping the oldest bytes.
 */
void ot_login_window_push(uint8_t *win, uint8_t *len, size_t cap, const uint8_t *p, size_t n);

/* ---- SASL (RFC 4422) as carried by SMTP AUTH, POP3 AUTH, IMAP AUTHENTICATE ---- */

enum ot_sasl_mech {
    OT_SASL_OTHER = 0,
    OT_SASL_PLAIN,
    OT_SASL_LOGIN,
    OT_SASL_CRAM_MD5,
    OT_SASL_DIGEST_MD5,
    OT_SASL_SCRAM,
    OT_SASL_XOAUTH2,
    OT_SASL_OAUTHBEARER,
    OT_SASL_EXTERNAL,
};

struct ot_sasl {
    uint8_t mech;       /* enum ot_sasl_mech */
    uint8_t step;       /* client responses seen */
    bool want_response; /* a server challenge waits for the client's answer */
};

/*
 * The client asked for mechanism `mech` (a word from the wire): open an
 * attempt named "sasl-<mech in lower case>".
 */
void ot_sasl_begin(struct ot_sasl *sa, struct ot_login *l, struct ot_login_session *s,
                   const uint8_t *mech, size_t n);
/*
 * One client response (base64; the SASL-IR initial response counts).  Fills
 * the user where the mechanism carries it and sets password_in_clear for
 * PLAIN, LOGIN (second response), XOAUTH2 and OAUTHBEARER.
 */
void ot_sasl_response(struct ot_sasl *sa, struct ot_login *l, const uint8_t *p, size_t n);

/* Ports as hints for the probes. */
bool ot_port_is(const struct ot_flow *f, const uint16_t *ports, size_t n);

/*
 * Commands awaiting a reply, oldest first, for the line protocols whose
 * replies carry no tag (FTP, POP3, SMTP).  At most `max` (<= OT_CMDQ_SIZE)
 * are held: replies to commands beyond that are not matched.  Command 0
 * means "no command"; the queue starts empty when zeroed.
 */
#define OT_CMDQ_SIZE 32

struct ot_cmdq {
    uint8_t q[OT_CMDQ_SIZE];
    uint8_t head, len;
};

static inline void ot_cmdq_push(struct ot_cmdq *q, uint8_t cmd, uint8_t max)
{
    if (q->len >= max || q->len == OT_CMDQ_SIZE)
        return;
    q->q[(q->head + q->len) % OT_CMDQ_SIZE] = cmd;
    q->len++;
}

static inline uint8_t ot_cmdq_head(const struct ot_cmdq *q)
{
    return q->len ? q->q[q->head] : 0;
}

static inline uint8_t ot_cmdq_pop(struct ot_cmdq *q)
{
    if (q->len == 0)
        return 0;
    uint8_t c = q->q[q->head];
    q->head = (uint8_t)((q->head + 1) % OT_CMDQ_SIZE);
    q->len--;
    return c;
}

#endif
