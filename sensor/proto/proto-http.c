/*
 * HTTP/1.x: request and response heads, one "http" event per transaction.
 *
 * Each direction is a small state machine: a header block (request or
 * status line and headers, up to an empty line), then the body, which is
 * skipped without being copied: Content-Length bytes, or chunked encoding
 * (chunk-size lines parsed digit by digit, trailers scanned), or, for a
 * response with neither, everything until the flow ends.  HEAD requests and
 * 1xx/204/304 responses have no body.  A header block that lies whole in
 * one chunk is parsed in place; one that spans chunks is collected in a
 * buffer bounded by HDR_MAX (past it: OT_ELIMIT, counted by the dispatcher).
 *
 * Requests are queued (pipelining) with copies of the fields the event
 * needs, and each response is matched to the oldest one.  The event is
 * written when the response head arrives; requests never answered are
 * written at close().  A 101 response turns the flow into a tunnel: nothing
 * more is read; so does a 2xx answer to CONNECT, unless what the client sends
 * through it is plain HTTP again, which is then read on.
 *
 * Lost bytes (OT_DATA_GAP) inside a body of known length are skipped;
 * elsewhere the direction waits for a chunk that starts a new message.
 *
 * A request starts with a method from the table below and a space, or,
 * where a request may start (the flow's first bytes, the end of the previous
 * message), with a whole well-formed "TOKEN SP target SP HTTP/1.x CRLF"
 * line: any method (RPC_IN_DATA, QUERY...), without taking text for HTTP or
 * the tail of a cut request line ("ET /") for a method.  After lost bytes,
 * where a chunk may start anywhere, only the table's methods resume.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"

#define HDR_MAX        (16 * 1024) /* bytes of one header (or trailer) block */
#define EXT_METHOD_MAX 32          /* bytes of a method not in the table below */
#define EXT_LINE_MAX   8192        /* bytes of a request line with such a method */
#define CHUNK_LINE_MAX 1024        /* bytes of one chunk-size line, extensions included */
#define MAX_PENDING    8           /* requests waiting for their responses */
#define AUTH_B64_MAX   512         /* base64 characters of Basic credentials decoded */

enum phase {
    PH_HEADERS = 0, /* a request or response head */
    PH_BODY,        /* `left` body bytes to skip */
    PH_CHUNK_SIZE,  /* a chunk-size line: hex digits */
    PH_CHUNK_EXT,   /* the rest of a chunk-size line */
    PH_CHUNK_DATA,  /* `left` chunk bytes to skip */
    PH_CHUNK_END,   /* the CRLF after chunk data */
    PH_TRAILERS,    /* trailer lines up to an empty line */
    PH_UNTIL_CLOSE, /* a response body that ends with the flow */
    PH_CONNECT,     /* after a CONNECT was accepted: HTTP again inside, or a tunnel? */
    PH_TUNNEL,      /* not HTTP any more (CONNECT to something else, Upgrade) */
    PH_LOST,        /* bytes were lost: wait for the start of a message */
};

struct span {
    uint32_t off, len;
};

/* A request waiting for its response: the fields the event needs, copied. */
struct http_tx {
    char *buf; /* the strings below, one allocation (buf_len bytes of the parsers' budget) */
    uint32_t buf_len;
    struct span method, url, host, ua, referer, protocol, user;
    uint64_t req_len; /* request Content-Length */
    uint16_t port;    /* port in the Host header */
    bool has_port, has_req_len, basic_auth, head, connect, http09;
};

struct http_dir {
    struct ot_pbuf buf; /* a header block that spans chunks */
    uint64_t left;      /* body or chunk bytes still to skip */
    uint32_t line_len;  /* bytes of the current line so far (block scanning) */
    uint32_t block_len; /* bytes of the current header or trailer block so far */
    uint8_t phase;      /* enum phase */
    bool line_cr;       /* the current line so far is exactly "\r" */
    bool chunk_digit;   /* the chunk-size line has a digit */
};

struct http_state {
    struct http_dir d[2];
    struct http_tx q[MAX_PENDING];
    uint8_t q_head, q_len;
    uint8_t req_dir; /* the flow direction that carries requests */
    bool roles_known;
    uint32_t skip_responses; /* responses whose requests were already written */
};

/* The response fields of an event: views into the response head. */
struct http_resp {
    const uint8_t *proto, *ctype, *location;
    size_t proto_len, ctype_len, location_len;
    unsigned status;
    bool has_length;
    uint64_t length;
};

/* With their lengths: the probe runs on the first payload of every TCP flow. */
struct method {
    const char *name;
    uint8_t len;
};
#define M(s)                                                                                       \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
static const struct method methods[] = {
    M("GET"),        M("POST"),     M("HEAD"),   M("PUT"),      M("DELETE"),    M("OPTIONS"),
    M("CONNECT"),    M("PATCH"),    M("TRACE"),  M("PROPFIND"), M("PROPPATCH"), M("MKCOL"),
    M("COPY"),       M("MOVE"),     M("LOCK"),   M("UNLOCK"),   M("SEARCH"),    M("REPORT"),
    M("MKACTIVITY"), M("CHECKOUT"), M("MERGE"),  M("NOTIFY"),   M("SUBSCRIBE"), M("UNSUBSCRIBE"),
    M("PURGE"),      M("LINK"),     M("UNLINK"),
};
#undef M

/* The letters that start a method above: bit (c - 'A'). */
#define L(c) (1u << ((c) - 'A'))
#define METHOD_FIRST                                                                               \
    (L('G') | L('P') | L('H') | L('D') | L('O') | L('C') | L('T') | L('M') | L('L') | L('U') |     \
     L('S') | L('R') | L('N'))

/* ---- small helpers ------------------------------------------------------ */

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static void trim(const uint8_t **p, size_t *n)
{
    while (*n && is_ws((*p)[0])) {
        (*p)++;
        (*n)--;
    }
    while (*n && is_ws((*p)[*n - 1]))
        (*n)--;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* p starts with `lit` (ASCII, any case).  Inline: the literal's length is known. */
static inline bool istarts(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n < l)
        return false;
    for (size_t i = 0; i < l; i++)
        if (lower(p[i]) != lower((uint8_t)lit[i]))
            return false;
    return true;
}

/*
 * p[0..n) is `lit` in any case.  `lit` is lower case: a byte matches it as
 * it is, or upper-cased where `lit` has a letter.
 */
static inline bool name_is(const uint8_t *p, size_t n, const char *lit)
{
    if (n != strlen(lit))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i], l = (uint8_t)lit[i];
        if (c != l && (l < 'a' || l > 'z' || (c | 0x20) != l))
            return false;
    }
    return true;
}

/* A whole decimal number of at most 18 digits. */
static bool parse_dec(const uint8_t *p, size_t n, uint64_t *out)
{
    if (n == 0)
        return false;
    /* Leading zeros are valid (and a known evasion); only the significant digits are bounded. */
    size_t z = 0;
    while (z + 1 < n && p[z] == '0')
        z++;
    p += z;
    n -= z;
    if (n > 18)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* Does `p` hold `needle` (case-insensitive) anywhere? */
static bool contains_ci(const uint8_t *p, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    for (size_t i = 0; i + l <= n; i++)
        if (istarts(p + i, n - i, needle))
            return true;
    return false;
}

struct line {
    const uint8_t *p;
    size_t n;
};

/*
 * The lines of a head.  `whole`: the block is known to end at n (it was
 * collected first).  Otherwise it is read in place from a chunk that may
 * hold less (then `partial` is set when a line or the empty line is
 * missing) or more (a body, the next message) than the head.
 */
struct head {
    const uint8_t *b;
    size_t n, off;
    bool whole, partial;
};

/* Bytes the head scan has reached but no result yet: the chunk ended inside the head. */
#define HEAD_PARTIAL 1

/* The next line, without its CR LF; false at the end of the head's bytes. */
static bool head_line(struct head *h, struct line *l)
{
    if (h->off >= h->n) {
        h->partial = !h->whole;
        return false;
    }
    const uint8_t *s = h->b + h->off;
    const uint8_t *nl = memchr(s, '\n', h->n - h->off);
    if (!nl && !h->whole) {
        h->partial = true;
        return false;
    }
    size_t len = nl ? (size_t)(nl - s) : h->n - h->off;
    h->off += len + (nl ? 1 : 0);
    if (len && s[len - 1] == '\r')
        len--;
    l->p = s;
    l->n = len;
    return true;
}

/*
 * Once the head's lines are read: HEAD_PARTIAL when the chunk ended inside
 * it, OT_ELIMIT when it passed `limit`, else OT_OK (the head ends at off).
 */
static int head_end(const struct head *h, size_t limit)
{
    if (h->partial)
        return HEAD_PARTIAL;
    return h->off > limit ? OT_ELIMIT : OT_OK;
}

/*
 * A head that cannot be parsed: the error, but only once the head is known
 * to be complete and within `limit` (as if it had been collected first).
 */
static int head_fail(struct head *h, size_t limit, int rc)
{
    struct line l;
    while (head_line(h, &l) && l.n)
        ;
    int end = head_end(h, limit);
    return end != OT_OK ? end : rc;
}

/* Standard base64 into out[cap]; stops at '=' or the end.  -1 on a bad character. */
static int b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        uint8_t c = in[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < cap)
                out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (int)o;
}

static size_t header_limit(const struct ot_proto_ctx *ctx)
{
    return OT_MIN((size_t)HDR_MAX, (size_t)ctx->conf->max_buffer);
}

/* ---- probe ---------------------------------------------------------------- */

/* A known method and a space: YES; a prefix of one: MORE. */
static enum ot_probe_result method_start(const uint8_t *p, size_t n, size_t *mlen)
{
    if (n == 0)
        return OT_PROBE_MORE;
    /*
     * Every method is upper-case letters, and only 13 letters start one:
     * most payloads are refused by their first byte.
     */
    if (p[0] < 'A' || p[0] > 'Z' || !((METHOD_FIRST >> (p[0] - 'A')) & 1))
        return OT_PROBE_NO;
    bool more = false;
    for (size_t i = 0; i < OT_ARRAY_SIZE(methods); i++) {
        const struct method *m = &methods[i];
        if (m->name[0] != p[0])
            continue;
        size_t l = m->len;
        if (n > l) {
            if (memcmp(p, m->name, l) == 0 && p[l] == ' ') {
                *mlen = l;
                return OT_PROBE_YES;
            }
        } else if (memcmp(p, m->name, n) == 0) {
            more = true;
        }
    }
    return more ? OT_PROBE_MORE : OT_PROBE_NO;
}

/* "HTTP/1." : YES; a prefix of it: MORE. */
static enum ot_probe_result status_start(const uint8_t *p, size_t n)
{
    static const char resp[] = "HTTP/1.";
    size_t l = sizeof(resp) - 1;
    if (n >= l) /* the usual case: one 8-byte-or-less compare the compiler inlines */
        return memcmp(p, resp, l) == 0 ? OT_PROBE_YES : OT_PROBE_NO;
    return memcmp(p, resp, n) == 0 ? OT_PROBE_MORE : OT_PROBE_NO;
}

/* RFC 9110 tchar: the characters of a token such as a method. */
static bool is_tchar(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * p[0..n) is the end of a known method but not one itself ("T", "ET",
 * "OST", "ONNECT"): what a chunk that starts inside a request line begins
 * with, when the capture or a gap cut the line.
 */
static bool method_tail(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < OT_ARRAY_SIZE(methods); i++) {
        const struct method *m = &methods[i];
        if (m->len > n && memcmp(m->name + m->len - n, p, n) == 0)
            return true;
    }
    return false;
}

/*
 * A request with a method not in the table (RPC_IN_DATA, QUERY, BIND...):
 * any token is a method (RFC 9110 9.1), so the whole request line must be
 * well-formed to tell it from other text: "TOKEN SP target SP HTTP/1.d CRLF",
 * one space each, the target visible ASCII, the line at most EXT_LINE_MAX
 * bytes.  A token that is the tail of a known method is refused: it is a
 * request cut at its start.  MORE while the bytes so far fit that form.
 */
static enum ot_probe_result ext_request_line(const uint8_t *p, size_t n)
{
    size_t m = 0;
    while (m < n && m <= EXT_METHOD_MAX && is_tchar(p[m]))
        m++;
    if (m > EXT_METHOD_MAX)
        return OT_PROBE_NO;
    if (m == n)
        return OT_PROBE_MORE;
    if (m == 0 || p[m] != ' ' || method_tail(p, m))
        return OT_PROBE_NO;
    size_t t = m + 1, lim = OT_MIN(n, (size_t)EXT_LINE_MAX);
    while (t < lim && p[t] > ' ' && p[t] < 0x7f)
        t++;
    if (t == n)
        return OT_PROBE_MORE;
    if (t == lim || t == m + 1)
        return OT_PROBE_NO; /* too long, or no target */
    /* The version and the line end; '#' stands for a digit. */
    static const char rest[] = " HTTP/1.#\r\n";
    for (size_t k = 0; k < sizeof(rest) - 1; k++, t++) {
        if (t == n)
            return OT_PROBE_MORE;
        if (t >= EXT_LINE_MAX)
            return OT_PROBE_NO;
        bool ok = rest[k] == '#' ? p[t] >= '0' && p[t] <= '9' : p[t] == (uint8_t)rest[k];
        if (!ok)
            return OT_PROBE_NO;
    }
    return OT_PROBE_YES;
}

/*
 * Where a request may start (the first bytes of a flow, the end of the
 * previous message): a known method and a space, or a whole request line
 * with another method.  MORE when the bytes may still become either.
 */
static enum ot_probe_result request_start(const uint8_t *p, size_t n)
{
    size_t mlen;
    enum ot_probe_result r = method_start(p, n, &mlen);
    return r == OT_PROBE_NO ? ext_request_line(p, n) : r;
}

/*
 * A request line from the client or a status line from the server.  Either
 * is also taken from the other side: when the capture starts in the middle
 * of a connection, the flow table may have the roles the wrong way round
 * (parse() then swaps them).
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (len == 0)
        return OT_PROBE_MORE;
    if (data[0] == 'H') {
        enum ot_probe_result st = status_start(data, len);
        if (st != OT_PROBE_NO)
            return st;
    }
    size_t mlen = 0;
    enum ot_probe_result r = method_start(data, len, &mlen);
    if (r == OT_PROBE_NO)
        return ext_request_line(data, len); /* which ends in HTTP/1.x by itself */
    if (r != OT_PROBE_YES)
        return r;
    /*
     * Others speak "METHOD uri PROTO/x" too (RTSP's OPTIONS, SIP's NOTIFY):
     * when the whole request line is here, its last word must be HTTP/..., or
     * absent (HTTP/0.9).
     */
    const uint8_t *nl = memchr(data, '\n', len);
    if (!nl)
        return OT_PROBE_YES;
    size_t ll = (size_t)(nl - data);
    if (ll && data[ll - 1] == '\r')
        ll--;
    size_t sp = ll;
    while (sp > mlen + 1 && data[sp - 1] != ' ')
        sp--;
    if (sp <= mlen + 1)
        return OT_PROBE_YES; /* "GET /": HTTP/0.9 */
    return istarts(data + sp, ll - sp, "HTTP/") ? OT_PROBE_YES : OT_PROBE_NO;
}

/* Does a chunk start a message, so a direction that lost bytes can resume? */
static bool message_start(int role, const uint8_t *p, size_t n)
{
    size_t mlen;
    if (role == 1)
        return status_start(p, n) == OT_PROBE_YES;
    return method_start(p, n, &mlen) == OT_PROBE_YES;
}

/* ---- transactions ----------------------------------------------------------- */

static void tx_free(struct http_tx *tx)
{
    if (tx->buf)
        ot_proto_mem_give(tx->buf_len);
    free(tx->buf);
    memset(tx, 0, sizeof(*tx));
}

static void put_span(struct ot_jw *w, const char *key, const struct http_tx *tx, struct span s)
{
    if (s.len)
        ot_jw_strn(w, key, tx->buf + s.off, s.len);
}

/* Writes one event: a request (or NULL) and its response (or NULL). */
static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, const struct http_state *s,
                 const struct http_tx *tx, const struct http_resp *r)
{
    if (ctx->sink) {
        struct ot_obs o = {.kind = OT_OBS_HTTP, .dir = s->req_dir};
        if (tx) {
            o.u.http.method = ot_str_make(tx->buf + tx->method.off, tx->method.len);
            o.u.http.host = ot_str_make(tx->buf + tx->host.off, tx->host.len);
            o.u.http.uri = ot_str_make(tx->buf + tx->url.off, tx->url.len);
            o.u.http.user_agent = ot_str_make(tx->buf + tx->ua.off, tx->ua.len);
            o.u.http.basic_auth = tx->basic_auth;
        }
        if (r)
            o.u.http.status = r->status;
        ot_proto_observe(ctx, f, &o);
    }
    /* The requesting side is the source, whichever side the flow table calls client. */
    struct ot_jw *w = ot_eve_begin(ctx->eve, "http", ctx->ts_us, f, s->req_dir);
    ot_jw_obj_open(w, "http");
    if (tx) {
        put_span(w, "hostname", tx, tx->host);
        if (tx->has_port)
            ot_jw_u64(w, "http_port", tx->port);
        put_span(w, "url", tx, tx->url);
        put_span(w, "http_user_agent", tx, tx->ua);
    }
    if (r && r->ctype_len)
        ot_jw_strn(w, "http_content_type", r->ctype, r->ctype_len);
    if (tx) {
        put_span(w, "http_refer", tx, tx->referer);
        put_span(w, "http_method", tx, tx->method);
    }
    if (tx && tx->protocol.len)
        put_span(w, "protocol", tx, tx->protocol);
    else if (r && r->proto_len)
        ot_jw_strn(w, "protocol", r->proto, r->proto_len);
    if (r) {
        ot_jw_u64(w, "status", r->status);
        if (r->location_len)
            ot_jw_strn(w, "redirect", r->location, r->location_len);
        if (r->has_length)
            ot_jw_u64(w, "length", r->length);
    }
    if (tx) {
        if (tx->has_req_len)
            ot_jw_u64(w, "request_body_len", tx->req_len);
        if (tx->basic_auth) {
            ot_jw_bool(w, "basic_auth", true);
            put_span(w, "basic_auth_user", tx, tx->user);
        }
    }
    ot_jw_obj_close(w);
    ot_eve_end(ctx->eve);
}

static struct http_tx *q_front(struct http_state *s)
{
    return s->q_len ? &s->q[s->q_head] : NULL;
}

static void q_pop(struct http_state *s)
{
    tx_free(&s->q[s->q_head]);
    s->q_head = (uint8_t)((s->q_head + 1) % MAX_PENDING);
    s->q_len--;
}

/* Writes every waiting request without a response. */
static void q_flush(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct http_state *s)
{
    while (s->q_len) {
        emit(ctx, f, s, q_front(s), NULL);
        q_pop(s);
    }
}

/* ---- request head ------------------------------------------------------------ */

/* Views of the request fields inside the head, before they are copied. */
struct req_view {
    struct line method, url, protocol, host, ua, referer, user;
    uint8_t user_buf[AUTH_B64_MAX / 4 * 3];
};

static void basic_auth(struct http_tx *tx, struct req_view *v, const uint8_t *p, size_t n)
{
    if (n < 6 || !istarts(p, n, "basic") || !is_ws(p[5]))
        return;
    tx->basic_auth = true;
    p += 6;
    n -= 6;
    trim(&p, &n);
    int dl = b64_decode(p, OT_MIN(n, (size_t)AUTH_B64_MAX), v->user_buf, sizeof(v->user_buf));
    if (dl <= 0)
        return;
    /* user-id ":" password: only the user goes further. */
    const uint8_t *colon = memchr(v->user_buf, ':', (size_t)dl);
    if (colon) {
        v->user.p = v->user_buf;
        v->user.n = (size_t)(colon - v->user_buf);
    }
}

/* "host[:port]", "[v6]:port": the name without the port, and the port. */
static void host_port(struct http_tx *tx, struct req_view *v, const uint8_t *p, size_t n)
{
    size_t hl = n;
    if (n && p[0] == '[') {
        const uint8_t *rb = memchr(p, ']', n);
        hl = rb ? (size_t)(rb - p) + 1 : n;
    } else {
        const uint8_t *c = memchr(p, ':', n);
        /* A second colon: a bare IPv6 address, no port. */
        if (c && !memchr(c + 1, ':', n - (size_t)(c - p) - 1))
            hl = (size_t)(c - p);
    }
    v->host.p = p;
    v->host.n = hl;
    uint64_t port;
    if (hl + 1 < n && p[hl] == ':' && parse_dec(p + hl + 1, n - hl - 1, &port) && port <= 65535) {
        tx->port = (uint16_t)port;
        tx->has_port = true;
    }
}

/* "METHOD SP url SP HTTP/x.y", or "METHOD SP url" (HTTP/0.9). */
static int request_line(struct http_tx *tx, struct req_view *v, struct line l)
{
    size_t m = 0;
    while (m < l.n && l.p[m] != ' ')
        m++;
    if (m == 0 || m > 32 || m == l.n)
        return OT_EINVAL;
    for (size_t i = 0; i < m; i++) {
        uint8_t c = l.p[i];
        if (c >= 'A' && c <= 'Z') /* what methods are made of */
            continue;
        if (c <= ' ' || c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", c))
            return OT_EINVAL;
    }
    size_t u = m;
    while (u < l.n && l.p[u] == ' ')
        u++;
    size_t e = l.n;
    while (e > u && l.p[e - 1] == ' ')
        e--;
    size_t sp = e;
    while (sp > u && l.p[sp - 1] != ' ')
        sp--;
    v->method = (struct line){l.p, m};
    if (sp == u) {
        tx->http09 = true;
        v->url = (struct line){l.p + u, e - u};
    } else {
        v->protocol = (struct line){l.p + sp, e - sp};
        if (!istarts(v->protocol.p, v->protocol.n, "HTTP/"))
            return OT_EINVAL;
        size_t ue = sp;
        while (ue > u && l.p[ue - 1] == ' ')
            ue--;
        v->url = (struct line){l.p + u, ue - u};
    }
    /* Methods are case-sensitive (RFC 9110 9.1): "head" is some other method. */
    tx->head = m == 4 && memcmp(l.p, "HEAD", 4) == 0;
    tx->connect = m == 7 && memcmp(l.p, "CONNECT", 7) == 0;
    return OT_OK;
}

/* Copies the views into one allocation owned by the transaction. */
static int tx_copy(struct http_tx *tx, const struct req_view *v)
{
    const struct line *src[] = {&v->method,  &v->url,      &v->host, &v->ua,
                                &v->referer, &v->protocol, &v->user};
    struct span *dst[] = {&tx->method,  &tx->url,      &tx->host, &tx->ua,
                          &tx->referer, &tx->protocol, &tx->user};
    size_t total = 0;
    for (size_t i = 0; i < OT_ARRAY_SIZE(src); i++)
        total += src[i]->n;
    size_t n = total ? total : 1;
    if (!ot_proto_mem_take(n))
        return OT_ELIMIT;
    tx->buf = malloc(n);
    if (!tx->buf) {
        ot_proto_mem_give(n);
        return OT_ENOMEM;
    }
    tx->buf_len = (uint32_t)n;
    uint32_t off = 0;
    for (size_t i = 0; i < OT_ARRAY_SIZE(src); i++) {
        if (src[i]->n)
            memcpy(tx->buf + off, src[i]->p, src[i]->n);
        *dst[i] = (struct span){off, (uint32_t)src[i]->n};
        off += (uint32_t)src[i]->n;
    }
    return OT_OK;
}

/*
 * A header line: its name (trailing blanks dropped) and its value (not yet
 * trimmed: only the few headers we keep are).  False for a line that is not
 * a header, or an obsolete folded one.
 */
static bool header_split(struct line l, struct line *name, struct line *val)
{
    const uint8_t *colon = memchr(l.p, ':', l.n);
    if (!colon || is_ws(l.p[0]))
        return false;
    size_t nl = (size_t)(colon - l.p);
    while (nl && is_ws(l.p[nl - 1]))
        nl--;
    *name = (struct line){l.p, nl};
    *val = (struct line){colon + 1, (size_t)(l.p + l.n - colon - 1)};
    return true;
}

/*
 * A request head (see struct head); queues the transaction and chooses the
 * body mode.  In place (!h->whole): HEAD_PARTIAL, nothing done, when the
 * head does not end in the chunk; else *used gets its length.
 */
static int request(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct http_state *s,
                   struct head *h, size_t limit, size_t *used)
{
    struct http_tx tx;
    struct req_view v;
    memset(&tx, 0, sizeof(tx));
    memset(&v, 0, sizeof(v));
    struct line l;
    if (!head_line(h, &l))
        return h->partial ? HEAD_PARTIAL : OT_EINVAL;
    int rc = request_line(&tx, &v, l);
    if (rc < 0)
        return head_fail(h, limit, rc);
    bool chunked = false, has_host = false;
    while (head_line(h, &l) && l.n) {
        struct line name, val;
        if (!header_split(l, &name, &val))
            continue;
        /* The names we keep differ in length: one comparison at most per line. */
        switch (name.n) {
        case 4:
            if (name_is(name.p, name.n, "host") && !has_host) {
                has_host = true;
                trim(&val.p, &val.n);
                host_port(&tx, &v, val.p, val.n);
            }
            break;
        case 10:
            if (name_is(name.p, name.n, "user-agent") && !v.ua.p) {
                trim(&val.p, &val.n);
                v.ua = val;
            }
            break;
        case 7:
            if (name_is(name.p, name.n, "referer") && !v.referer.p) {
                trim(&val.p, &val.n);
                v.referer = val;
            }
            break;
        case 14:
            if (name_is(name.p, name.n, "content-length") && !tx.has_req_len) {
                /*
                 * An unusable length (negative, huge, junk) must not blind us to
                 * the connection: log the request, assume no body, and let the
                 * parser resynchronise on the next request line.
                 */
                trim(&val.p, &val.n);
                if (!parse_dec(val.p, val.n, &tx.req_len))
                    tx.req_len = 0;
                tx.has_req_len = true;
            }
            break;
        case 17:
            if (name_is(name.p, name.n, "transfer-encoding"))
                chunked = chunked || contains_ci(val.p, val.n, "chunked");
            break;
        case 13:
            if (name_is(name.p, name.n, "authorization") && !tx.basic_auth) {
                trim(&val.p, &val.n);
                basic_auth(&tx, &v, val.p, val.n);
            }
            break;
        default:
            break;
        }
    }
    int end = head_end(h, limit);
    if (end != OT_OK)
        return end;
    *used = h->off;
    /* No Host header: an absolute URL, or CONNECT's authority, names the host. */
    if (!has_host && tx.connect) {
        host_port(&tx, &v, v.url.p, v.url.n);
    } else if (!has_host && istarts(v.url.p, v.url.n, "http://")) {
        size_t hs = 7, he = hs;
        while (he < v.url.n && v.url.p[he] != '/' && v.url.p[he] != '?')
            he++;
        host_port(&tx, &v, v.url.p + hs, he - hs);
    }
    if ((rc = tx_copy(&tx, &v)) < 0)
        return rc;

    if (s->q_len == MAX_PENDING) {
        /* Too many unanswered: write the oldest now and skip its response later. */
        emit(ctx, f, s, q_front(s), NULL);
        q_pop(s);
        s->skip_responses++;
    }
    s->q[(s->q_head + s->q_len) % MAX_PENDING] = tx;
    s->q_len++;

    struct http_dir *d = &s->d[0];
    if (chunked) {
        d->phase = PH_CHUNK_SIZE;
    } else if (tx.has_req_len && tx.req_len) {
        d->phase = PH_BODY;
        d->left = tx.req_len;
    }
    return OT_OK;
}

/* ---- response head ----------------------------------------------------------- */

/* A response head (see struct head and request()); writes the event. */
static int response(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct http_state *s,
                    struct head *h, size_t limit, size_t *used)
{
    struct http_resp r;
    memset(&r, 0, sizeof(r));
    struct line l;
    if (!head_line(h, &l))
        return h->partial ? HEAD_PARTIAL : OT_EINVAL;
    if (!istarts(l.p, l.n, "HTTP/"))
        return head_fail(h, limit, OT_EINVAL);
    /* "HTTP/x.y SP 3DIGIT [SP reason]" */
    size_t p = 0;
    while (p < l.n && l.p[p] != ' ')
        p++;
    r.proto = l.p;
    r.proto_len = p;
    while (p < l.n && l.p[p] == ' ')
        p++;
    if (l.n - p < 3 || (l.n - p > 3 && !is_ws(l.p[p + 3])))
        return head_fail(h, limit, OT_EINVAL);
    uint64_t status;
    if (!parse_dec(l.p + p, 3, &status))
        return head_fail(h, limit, OT_EINVAL);
    r.status = (unsigned)status;
    bool chunked = false, has_cl = false;
    uint64_t cl = 0;
    while (head_line(h, &l) && l.n) {
        struct line name, val;
        if (!header_split(l, &name, &val))
            continue;
        switch (name.n) { /* as in request() */
        case 12:
            if (name_is(name.p, name.n, "content-type") && !r.ctype) {
                trim(&val.p, &val.n);
                r.ctype = val.p;
                r.ctype_len = val.n;
            }
            break;
        case 14:
            if (name_is(name.p, name.n, "content-length") && !has_cl) {
                trim(&val.p, &val.n);
                has_cl = parse_dec(val.p, val.n, &cl); /* a bad one: read until close */
            }
            break;
        case 17:
            if (name_is(name.p, name.n, "transfer-encoding"))
                chunked = chunked || contains_ci(val.p, val.n, "chunked");
            break;
        case 8:
            if (name_is(name.p, name.n, "location") && !r.location) {
                trim(&val.p, &val.n);
                r.location = val.p;
                r.location_len = val.n;
            }
            break;
        default:
            break;
        }
    }
    int end = head_end(h, limit);
    if (end != OT_OK)
        return end;
    *used = h->off;

    struct http_dir *d = &s->d[1];
    if (r.status >= 100 && r.status < 200 && r.status != 101)
        return OT_OK; /* interim: the final response follows */

    struct http_tx *tx = NULL;
    bool write = true;
    if (s->skip_responses) {
        s->skip_responses--;
        write = false;
    } else {
        tx = q_front(s);
    }
    bool connect = tx && tx->connect && r.status >= 200 && r.status < 300;
    bool tunnel = r.status == 101 || connect;
    if (tunnel || (tx && tx->head) || r.status == 204 || r.status == 304 || r.status < 200) {
        r.has_length = true;
        r.length = 0;
    } else if (chunked) {
        d->phase = PH_CHUNK_SIZE;
    } else if (has_cl) {
        r.has_length = true;
        r.length = cl;
        if (cl) {
            d->phase = PH_BODY;
            d->left = cl;
        }
    } else {
        d->phase = PH_UNTIL_CLOSE;
    }
    if (write)
        emit(ctx, f, s, tx, &r);
    if (tx)
        q_pop(s);
    if (tunnel)
        s->d[0].phase = s->d[1].phase = connect ? PH_CONNECT : PH_TUNNEL;
    return OT_OK;
}

/* ---- the stream ------------------------------------------------------------ */

/*
 * Scans for the empty line that ends a header or trailer block, across
 * chunks.  *used gets the bytes consumed (through the empty line when found).
 */
static bool block_end(struct http_dir *d, const uint8_t *p, size_t n, size_t *used)
{
    size_t i = 0;
    while (i < n) {
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        if (!nl) {
            size_t add = n - i;
            d->line_cr = d->line_len == 0 && add == 1 && p[i] == '\r';
            d->line_len += (uint32_t)OT_MIN(add, (size_t)UINT32_MAX - d->line_len);
            d->block_len += (uint32_t)OT_MIN(add, (size_t)UINT32_MAX - d->block_len);
            break;
        }
        size_t j = (size_t)(nl - p), add = j - i;
        bool empty = (d->line_len == 0 && add == 0) ||
                     (d->line_len == 0 && add == 1 && p[i] == '\r') ||
                     (d->line_len == 1 && add == 0 && d->line_cr);
        d->block_len += (uint32_t)OT_MIN(add + 1, (size_t)UINT32_MAX - d->block_len);
        d->line_len = 0;
        d->line_cr = false;
        i = j + 1;
        if (empty) {
            *used = i;
            return true;
        }
    }
    *used = n;
    return false;
}

static void block_reset(struct http_dir *d)
{
    d->buf.len = 0;
    d->block_len = d->line_len = 0;
    d->line_cr = false;
}

/*
 * "GET /path" with no version: an HTTP/0.9 request, which ends with its line.
 * Recognised only when the line is the whole chunk (a 0.9 client sends
 * nothing more); a versionless line followed by headers is read as a head.
 */
static bool http09_line(const uint8_t *p, size_t n, size_t *used)
{
    const uint8_t *nl = memchr(p, '\n', n);
    if (!nl || (size_t)(nl - p) + 1 != n)
        return false;
    size_t ll = (size_t)(nl - p);
    while (ll && (p[ll - 1] == '\r' || p[ll - 1] == ' '))
        ll--;
    const uint8_t *sp = memchr(p, ' ', ll);
    if (!sp || sp == p)
        return false;
    size_t rest = ll - (size_t)(sp - p);
    while (rest && *sp == ' ') {
        sp++;
        rest--;
    }
    if (rest == 0 || memchr(sp, ' ', rest))
        return false;
    *used = (size_t)(nl - p) + 1;
    return true;
}

static void lose(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct http_state *s, int dir,
                 size_t lost);

/* The head phase: collect a block, then parse it.  Returns bytes used or an error. */
static long headers(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct http_state *s,
                    int dir, const uint8_t *p, size_t n)
{
    struct http_dir *d = &s->d[dir];
    size_t skipped = 0;
    if (d->block_len == 0) {
        /* Empty lines between messages are allowed (RFC 9112 2.2). */
        while (skipped < n && (p[skipped] == '\r' || p[skipped] == '\n'))
            skipped++;
        if (skipped == n)
            return (long)n;
        p += skipped;
        n -= skipped;
        struct http_tx *tx = q_front(s);
        if (dir == 1 && tx && tx->http09 && !s->skip_responses) {
            /* An HTTP/0.9 response is the body alone, up to the end. */
            emit(ctx, f, s, tx, NULL);
            q_pop(s);
            d->phase = PH_UNTIL_CLOSE;
            return (long)skipped;
        }
        if (dir == 0 && d->block_len == 0 && s->q_len && request_start(p, n) != OT_PROBE_YES &&
            s->q[(s->q_head + s->q_len - 1) % MAX_PENDING].connect) {
            /* Data right behind a CONNECT, before its answer: the tunnel. */
            s->d[0].phase = PH_TUNNEL;
            return (long)(skipped + n);
        }
        enum ot_probe_result st = dir == 0 ? request_start(p, n) : status_start(p, n);
        if (st == OT_PROBE_NO) {
            /*
             * Not the start of a message (bytes the capture missed, or not
             * HTTP any more): wait for one rather than give up.
             */
            lose(ctx, f, s, dir, SIZE_MAX);
            return (long)(skipped + n);
        }
    }
    size_t used;
    bool found = false;
    size_t limit = header_limit(ctx);
    /* Still in a request's first line (block_end() has seen no line end in this block)? */
    bool first_line = dir == 0 && d->block_len == d->line_len;
    if (dir == 0 && d->block_len == 0 && http09_line(p, n, &used)) {
        found = true; /* an HTTP/0.9 request is its request line alone */
        d->block_len = (uint32_t)OT_MIN(used, (size_t)UINT32_MAX);
    } else {
        if (d->block_len == 0) {
            /*
             * Usually the whole head is in this chunk: parse it in place, in
             * the same pass that finds its end.  If it goes on past the
             * chunk, nothing was done: collect it below.
             */
            struct head h = {.b = p, .n = n};
            int rc = dir == 0 ? request(ctx, f, s, &h, limit, &used)
                              : response(ctx, f, s, &h, limit, &used);
            if (rc != HEAD_PARTIAL) {
                block_reset(d);
                return rc < 0 ? rc : (long)(skipped + used);
            }
        }
        /*
         * A request's first line is looked at alone as soon as it is whole
         * (below); the rest of the chunk is read on the next call.
         */
        size_t scan = n;
        const uint8_t *nl = first_line ? memchr(p, '\n', n) : NULL;
        if (nl)
            scan = (size_t)(nl - p) + 1;
        found = block_end(d, p, scan, &used);
    }
    if (d->block_len > limit)
        return OT_ELIMIT;
    if (!found || d->buf.len) {
        int rc = ot_pbuf_append(&d->buf, p, used, limit);
        if (rc < 0)
            return rc;
        p = d->buf.data;
        n = d->buf.len;
    } else {
        n = used;
    }
    if (first_line && d->block_len != d->line_len && request_start(p, n) != OT_PROBE_YES) {
        /*
         * The first line has just ended, and the start that could have been
         * a request line ("QUE", "FOO /a") is not one: not a message after
         * all, so wait for one, as for other bytes that cannot start one.
         */
        block_reset(d);
        lose(ctx, f, s, dir, SIZE_MAX);
        return (long)(skipped + used);
    }
    if (!found)
        return (long)(skipped + used);
    struct head h = {.b = p, .n = n, .whole = true};
    size_t head_len;
    int rc = dir == 0 ? request(ctx, f, s, &h, limit, &head_len)
                      : response(ctx, f, s, &h, limit, &head_len);
    block_reset(d);
    return rc < 0 ? rc : (long)(skipped + used);
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The end of a message in direction `dir`: the next one starts. */
static void message_done(struct http_dir *d)
{
    d->phase = PH_HEADERS;
    d->left = 0;
    block_reset(d);
}

/* A chunk-size line, byte by byte: "1a2b[;ext]\r\n". Returns bytes used or an error. */
static long chunk_size(struct http_dir *d, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i++];
        if (++d->line_len > CHUNK_LINE_MAX)
            return OT_ELIMIT;
        if (c == '\n') {
            if (!d->chunk_digit)
                return OT_EINVAL;
            d->line_len = 0;
            d->chunk_digit = false;
            if (d->left == 0) {
                d->phase = PH_TRAILERS;
                block_reset(d);
            } else {
                d->phase = PH_CHUNK_DATA;
            }
            return (long)i;
        }
        if (d->phase == PH_CHUNK_EXT)
            continue;
        int h = hexval(c);
        if (h >= 0) {
            if (d->left >> 59)
                return OT_EINVAL; /* more than 2^63 bytes: nonsense */
            d->left = (d->left << 4) | (uint64_t)h;
            d->chunk_digit = true;
        } else if (is_ws(c) && !d->chunk_digit) {
            continue; /* leading white space, tolerated */
        } else if (c == ';' || c == '\r' || is_ws(c)) {
            if (!d->chunk_digit)
                return OT_EINVAL;
            d->phase = PH_CHUNK_EXT;
        } else {
            return OT_EINVAL;
        }
    }
    return (long)n;
}

/* Lost bytes: skipped inside a body of known length, else the position is lost. */
static void lose(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct http_state *s, int dir,
                 size_t lost)
{
    struct http_dir *d = &s->d[dir];
    switch (d->phase) {
    case PH_BODY:
    case PH_CHUNK_DATA:
        if (lost != SIZE_MAX && lost <= d->left) {
            d->left -= lost;
            if (d->left == 0) {
                if (d->phase == PH_BODY)
                    message_done(d);
                else
                    d->phase = PH_CHUNK_END;
            }
            return;
        }
        break;
    case PH_UNTIL_CLOSE:
    case PH_CONNECT:
    case PH_TUNNEL:
    case PH_LOST:
        return;
    default:
        break;
    }
    block_reset(d);
    d->left = 0;
    d->line_len = 0;
    d->chunk_digit = false;
    d->phase = PH_LOST;
    /* Responses can no longer be matched to requests with confidence. */
    if (dir == 1) {
        q_flush(ctx, f, s);
        s->skip_responses = 0;
    }
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct http_state *s = state;
    if (!s->roles_known && data && len) {
        /* The first data: a status line means this side is the server. */
        s->req_dir = (uint8_t)((dir & 1) ^ (status_start(data, len) == OT_PROBE_YES));
        s->roles_known = true;
    }
    /* From here on `dir` is the role: 0 requests, 1 responses. */
    dir = (dir & 1) ^ s->req_dir;
    struct http_dir *d = &s->d[dir];
    if (flags & OT_DATA_GAP)
        lose(ctx, f, s, dir, data ? SIZE_MAX : len);
    if (!data)
        return OT_OK;
    const uint8_t *p = data;
    size_t n = len;
    while (n > 0) {
        long used;
        switch (d->phase) {
        case PH_HEADERS:
            used = headers(ctx, f, s, dir, p, n);
            break;
        case PH_BODY:
        case PH_CHUNK_DATA:
            used = (long)OT_MIN(n, d->left);
            d->left -= (uint64_t)used;
            if (d->left == 0) {
                if (d->phase == PH_BODY)
                    message_done(d);
                else
                    d->phase = PH_CHUNK_END;
            }
            break;
        case PH_CHUNK_SIZE:
        case PH_CHUNK_EXT:
            used = chunk_size(d, p, n);
            break;
        case PH_CHUNK_END:
            /* CR LF after the data; tolerate a bare LF, or nothing. */
            used = 0;
            if (p[0] == '\r' && d->line_len == 0) {
                d->line_len = 1;
                used = 1;
            } else {
                if (p[0] == '\n')
                    used = 1;
                d->line_len = 0;
                d->phase = PH_CHUNK_SIZE;
            }
            break;
        case PH_TRAILERS: {
            size_t u;
            bool found = block_end(d, p, n, &u);
            if (d->block_len > header_limit(ctx))
                return OT_ELIMIT;
            if (found)
                message_done(d);
            used = (long)u;
            break;
        }
        case PH_LOST:
            if (!message_start(dir, p, n))
                return OT_OK;
            message_done(d);
            used = 0;
            break;
        case PH_CONNECT:
            /*
             * Plain HTTP through the proxy is read on (another method only
             * with its whole request line here); anything else is a tunnel.
             */
            if (p[0] == '\r' || p[0] == '\n') {
                used = 1; /* stray line ends after a head */
                break;
            }
            size_t ml;
            if (dir == 0 && (method_start(p, n, &ml) != OT_PROBE_NO ||
                             ext_request_line(p, n) == OT_PROBE_YES)) {
                message_done(&s->d[0]);
                message_done(&s->d[1]);
                used = 0;
                break;
            }
            s->d[0].phase = s->d[1].phase = PH_TUNNEL;
            return OT_OK;
        default: /* PH_UNTIL_CLOSE, PH_TUNNEL */
            return OT_OK;
        }
        if (used < 0)
            return (int)used;
        p += used;
        n -= (size_t)used;
    }
    return OT_OK;
}

static void http_close(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct http_state *s = state;
    q_flush(ctx, f, s);
    ot_pbuf_free(&s->d[0].buf);
    ot_pbuf_free(&s->d[1].buf);
}

/* A CONNECT was accepted or the connection was upgraded: TLS may follow. */
static bool handed_over(const void *state)
{
    const struct http_state *s = state;
    return s->d[0].phase == PH_CONNECT || s->d[0].phase == PH_TUNNEL;
}

const struct ot_proto_parser ot_proto_http = {
    .id = OT_APP_HTTP,
    .name = "http",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct http_state),
    .probe = probe,
    .parse = parse,
    .close = http_close,
    .handed_over = handed_over,
};
