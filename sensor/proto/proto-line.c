/*
 * Shared helpers of the cleartext-login parsers: line assembly, block
 * skipping, base64/SASL and the common login event.  See proto-line.h.
 */
#include "proto/proto-line.h"

#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"

/* ---- line reader ---- */

void ot_line_init(struct ot_line_reader *r, const struct ot_proto_conf *conf)
{
    uint32_t max = OT_LINE_MAX;
    if (conf && conf->max_buffer < max)
        max = conf->max_buffer;
    r->max = max ? max : 1;
}

void ot_line_init_pair(struct ot_line_reader rd[2], const struct ot_proto_conf *conf)
{
    if (rd[0].max)
        return;
    ot_line_init(&rd[0], conf);
    ot_line_init(&rd[1], conf);
}

/* Drop a trailing CR (CRLF line end). */
static void strip_cr(struct ot_line *out)
{
    if (out->len && out->p[out->len - 1] == '\r')
        out->len--;
}

int ot_line_next(struct ot_line_reader *r, const uint8_t **data, size_t *len, struct ot_line *out)
{
    static const uint8_t empty[1];

    if (r->max == 0)
        r->max = OT_LINE_MAX;
    if (r->consumed) {
        r->buf.len = 0;
        r->consumed = false;
    }
    while (*len > 0) {
        const uint8_t *p = *data;
        const uint8_t *nl = memchr(p, '\n', *len);
        size_t n = nl ? (size_t)(nl - p) : *len; /* bytes of this line in the chunk */
        size_t adv = nl ? n + 1 : n;

        if (r->skipping) {
            *data += adv;
            *len -= adv;
            if (nl)
                r->skipping = false;
            continue;
        }
        if (nl && r->buf.len == 0) {
            /* Whole line inside the chunk: return it in place. */
            *data += adv;
            *len -= adv;
            out->p = p;
            out->len = n;
            out->cut = n > r->max;
            if (out->cut)
                out->len = r->max;
            else
                strip_cr(out);
            return 1;
        }
        /* The line spans chunks: keep what fits. */
        size_t room = r->max > r->buf.len ? r->max - r->buf.len : 0;
        size_t take = n < room ? n : room;
        if (take) {
            int rc = ot_pbuf_append(&r->buf, p, take, r->max);
            if (rc < 0)
                return rc;
        }
        *data += adv;
        *len -= adv;
        if (!nl && take == n)
            return 0; /* partial line kept, chunk used up */
        out->p = r->buf.data ? r->buf.data : empty;
        out->len = r->buf.len;
        out->cut = take < n;
        if (!out->cut)
            strip_cr(out);
        else if (!nl)
            r->skipping = true;
        r->consumed = true;
        return 1;
    }
    return 0;
}

void ot_line_gap(struct ot_line_reader *r)
{
    r->buf.len = 0;
    r->consumed = false;
    r->skipping = true;
}

void ot_line_free(struct ot_line_reader *r)
{
    ot_pbuf_free(&r->buf);
}

/* ---- dot-terminated blocks ---- */

/*
 * States: 0 inside a line, 1 at the start of a line, 2 after a line-leading
 * ".", 3 after ".\r".
 *
 * Inside a line the scan looks for the next "." rather than the next LF and
 * checks the byte before it: a block is mostly lines that hold no dot at
 * all (base64 attachments), so one memchr() covers a whole chunk instead of
 * one call per line.
 */
size_t ot_dotend_scan(uint8_t *state, const uint8_t *p, size_t n, bool *done)
{
    size_t i = 0;
    uint8_t st = *state;
    *done = false;
    while (i < n) {
        if (st == 0) {
            /* p[i] is inside a line: a dot at d > i leads its line when p[d - 1] is LF. */
            size_t from = i;
            const uint8_t *dot;
            for (;;) {
                dot = memchr(p + i, '.', n - i);
                if (!dot || (dot > p + from && dot[-1] == '\n'))
                    break;
                i = (size_t)(dot - p) + 1;
            }
            if (!dot) {
                *state = p[n - 1] == '\n' ? 1 : 0;
                return n;
            }
            i = (size_t)(dot - p) + 1;
            st = 2;
            continue;
        }
        uint8_t c = p[i++];
        switch (st) {
        case 1:
            st = c == '.' ? 2 : c == '\n' ? 1 : 0;
            break;
        case 2:
            if (c == '\n') {
                *done = true;
                *state = OT_DOTEND_START;
                return i;
            }
            st = c == '\r' ? 3 : 0;
            break;
        default: /* 3 */
            if (c == '\n') {
                *done = true;
                *state = OT_DOTEND_START;
                return i;
            }
            st = 0;
            break;
        }
    }
    *state = st;
    return i;
}

/* ---- text helpers ---- */

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

bool ot_line_ieq_n(const uint8_t *p, const char *s, size_t l)
{
    for (size_t i = 0; i < l; i++)
        if (lower(p[i]) != lower((uint8_t)s[i]))
            return false;
    return true;
}

bool ot_line_icontains(const uint8_t *p, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    if (l == 0)
        return true;
    if (n < l)
        return false;
    uint8_t first = lower((uint8_t)needle[0]);
    for (size_t i = 0; i + l <= n; i++) {
        if (lower(p[i]) != first)
            continue;
        if (ot_line_ieq_n(p + i, needle, l))
            return true;
    }
    return false;
}

bool ot_line_iends(const uint8_t *p, size_t n, const char *suffix)
{
    size_t l = strlen(suffix);
    return n >= l && ot_line_ieq(p + n - l, l, suffix);
}

bool ot_line_iprefix(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (n > l)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != lower((uint8_t)s[i]))
            return false;
    return true;
}

size_t ot_line_verb(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')))
        i++;
    if (i == 0 || i == n)
        return 0;
    return p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' ? i : 0;
}

size_t ot_line_word(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != ' ' && p[i] != '\t')
        i++;
    return i;
}

size_t ot_line_next_word(const uint8_t *p, size_t n, size_t from)
{
    size_t i = from;
    while (i < n && p[i] != ' ' && p[i] != '\t')
        i++;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i;
}

int ot_line_reply_code(const uint8_t *p, size_t n)
{
    if (n < 3)
        return -1;
    for (int i = 0; i < 3; i++)
        if (p[i] < '0' || p[i] > '9')
            return -1;
    if (p[0] < '1' || p[0] > '5')
        return -1;
    if (n > 3 && p[3] != ' ' && p[3] != '-')
        return -1;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* ---- base64 ---- */

/* 0..63: the value, 64: blank (skipped), 65: '=' (the end), 255: not base64. */
static uint8_t b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return (uint8_t)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (uint8_t)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (uint8_t)(c - '0' + 52);
    switch (c) {
    case '+':
        return 62;
    case '/':
        return 63;
    case ' ':
    case '\t':
    case '\r':
    case '\n':
        return 64;
    case '=':
        return 65;
    default:
        return 255;
    }
}

int ot_b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = b64_value(in[i]);
        if (v == 64)
            continue;
        if (v == 65)
            break;
        if (v == 255) {
            *outlen = o;
            return OT_EINVAL;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < cap)
                out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *outlen = o;
    return OT_OK;
}

/* ---- login attempts and events ---- */

void ot_login_start(struct ot_login *l, struct ot_login_session *s, const char *method)
{
    memset(l, 0, sizeof(*l));
    l->active = true;
    l->seq = ++s->attempts;
    size_t n = strlen(method);
    if (n >= sizeof(l->method))
        n = sizeof(l->method) - 1;
    memcpy(l->method, method, n);
    l->method_len = (uint8_t)n;
}

void ot_login_set_user(struct ot_login *l, const uint8_t *p, size_t n)
{
    if (n > sizeof(l->user))
        n = sizeof(l->user);
    if (n)
        memcpy(l->user, p, n);
    l->user_len = (uint8_t)n;
}

void ot_login_banner(struct ot_login_session *s, const uint8_t *p, size_t n)
{
    if (s->banner_done)
        return;
    s->banner_done = true;
    if (n > sizeof(s->banner))
        n = sizeof(s->banner);
    if (n)
        memcpy(s->banner, p, n);
    s->banner_len = (uint16_t)n;
}

static const char *result_name(enum ot_login_result r)
{
    switch (r) {
    case OT_LOGIN_SUCCESS:
        return "success";
    case OT_LOGIN_FAILURE:
        return "failure";
    default:
        return "unknown";
    }
}

struct ot_jw *ot_login_event_begin(struct ot_proto_ctx *ctx, const struct ot_flow *f,
                                   const char *proto, const char *type, const struct ot_login *l,
                                   enum ot_login_result result, const struct ot_login_session *s)
{
    if (l && strcmp(type, "login") == 0) {
        struct ot_obs o = {.kind = OT_OBS_LOGIN, .dir = 0};
        o.u.login.proto = proto;
        o.u.login.user = ot_str_make(l->user, l->user_len);
        o.u.login.password_in_clear = l->password_in_clear;
        o.u.login.result = result == OT_LOGIN_SUCCESS   ? OT_OBS_LOGIN_SUCCESS
                           : result == OT_LOGIN_FAILURE ? OT_OBS_LOGIN_FAILURE
                                                        : OT_OBS_LOGIN_UNKNOWN;
        ot_proto_observe(ctx, f, &o);
    }
    struct ot_jw *w = ot_eve_begin(ctx->eve, proto, ctx->ts_us, f, 0);
    ot_jw_obj_open(w, proto);
    ot_jw_str(w, "type", type);
    if (l && strcmp(type, "login") == 0)
        ot_jw_u64(w, "attempt", l->seq);
    if (l && l->user_len)
        ot_jw_strn(w, "user", l->user, l->user_len);
    if (l && l->method_len)
        ot_jw_strn(w, "auth_method", l->method, l->method_len);
    ot_jw_bool(w, "password_in_clear", l ? l->password_in_clear : false);
    ot_jw_str(w, "login_result", result_name(result));
    ot_jw_bool(w, "starttls", s->starttls);
    if (s->banner_done)
        ot_jw_strn(w, "server_banner", s->banner, s->banner_len);
    return w;
}

void ot_login_event_end(struct ot_proto_ctx *ctx)
{
    ot_jw_obj_close(&ctx->eve->jw);
    ot_eve_end(ctx->eve);
}

/* ---- verdict words ---- */

/* "Last failed login" is what some systems print after a successful one. */
static const char *const ok_words[] = {"last login", "last successful login", "last failed login",
                                       "welcome"};
static const char *const bad_words[] = {"incorrect",      "invalid",      "fail",
                                        "denied",         "bad password", "password error",
                                        "not authorized", "unauthorized", "rejected"};
#define VERDICT_WORD_MAX 24 /* longer than the longest word above */

static bool has_word(const uint8_t *p, size_t n, const char *const *words, size_t nw)
{
    for (size_t i = 0; i < nw; i++)
        if (ot_line_icontains(p, n, words[i]))
            return true;
    return false;
}

void ot_login_verdict_words(const uint8_t *prev, size_t prev_len, const uint8_t *p, size_t n,
                            bool *ok, bool *bad)
{
    uint8_t seam[2 * VERDICT_WORD_MAX];
    size_t a = prev_len < VERDICT_WORD_MAX ? prev_len : VERDICT_WORD_MAX;
    size_t b = n < VERDICT_WORD_MAX ? n : VERDICT_WORD_MAX;
    if (a)
        memcpy(seam, prev + prev_len - a, a);
    if (b)
        memcpy(seam + a, p, b);
    if (!*ok && (has_word(p, n, ok_words, OT_ARRAY_SIZE(ok_words)) ||
                 has_word(seam, a + b, ok_words, OT_ARRAY_SIZE(ok_words))))
        *ok = true;
    if (!*bad && (has_word(p, n, bad_words, OT_ARRAY_SIZE(bad_words)) ||
                  has_word(seam, a + b, bad_words, OT_ARRAY_SIZE(bad_words))))
        *bad = true;
}

void ot_login_window_push(uint8_t *win, uint8_t *len, size_t cap, const uint8_t *p, size_t n)
{
    if (n >= cap) {
        memcpy(win, p + n - cap, cap);
        *len = (uint8_t)cap;
        return;
    }
    if (*len + n > cap) {
        size_t drop = *len + n - cap;
        memmove(win, win + drop, *len - drop);
        *len = (uint8_t)(*len - drop);
    }
    memcpy(win + *len, p, n);
    *len = (uint8_t)(*len + n);
}

/* ---- SASL ---- */

struct mech_name {
    const char *name;
    enum ot_sasl_mech mech;
};

static const struct mech_name mech_names[] = {
    {"PLAIN", OT_SASL_PLAIN},
    {"LOGIN", OT_SASL_LOGIN},
    {"CRAM-MD5", OT_SASL_CRAM_MD5},
    {"DIGEST-MD5", OT_SASL_DIGEST_MD5},
    {"SCRAM-SHA-1", OT_SASL_SCRAM},
    {"SCRAM-SHA-1-PLUS", OT_SASL_SCRAM},
    {"SCRAM-SHA-256", OT_SASL_SCRAM},
    {"SCRAM-SHA-256-PLUS", OT_SASL_SCRAM},
    {"SCRAM-SHA-512", OT_SASL_SCRAM},
    {"XOAUTH2", OT_SASL_XOAUTH2},
    {"OAUTHBEARER", OT_SASL_OAUTHBEARER},
    {"EXTERNAL", OT_SASL_EXTERNAL},
};

void ot_sasl_begin(struct ot_sasl *sa, struct ot_login *l, struct ot_login_session *s,
                   const uint8_t *mech, size_t n)
{
    char method[OT_LOGIN_METHOD_MAX];
    size_t o = 0;
    memcpy(method, "sasl-", 5);
    o = 5;
    /* SASL mechanism names are [A-Z0-9-_]{1,20}; keep only such bytes. */
    for (size_t i = 0; i < n && o < sizeof(method) - 1; i++) {
        uint8_t c = lower(mech[i]);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
            method[o++] = (char)c;
        else
            break;
    }
    method[o] = '\0';
    ot_login_start(l, s, method);
    memset(sa, 0, sizeof(*sa));
    for (size_t i = 0; i < OT_ARRAY_SIZE(mech_names); i++) {
        if (ot_line_ieq(mech, n, mech_names[i].name)) {
            sa->mech = (uint8_t)mech_names[i].mech;
            break;
        }
    }
}

/* Position of byte c in p[from..n), or n. */
static size_t find_byte(const uint8_t *p, size_t n, size_t from, uint8_t c)
{
    if (from >= n)
        return n;
    const uint8_t *q = memchr(p + from, c, n - from);
    return q ? (size_t)(q - p) : n;
}

/* Offset just past `needle` in p, or n when absent. */
static size_t after(const uint8_t *p, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    for (size_t i = 0; i + l <= n; i++)
        if (memcmp(p + i, needle, l) == 0)
            return i + l;
    return n;
}

/* authzid NUL authcid NUL passwd (RFC 4616). */
static void sasl_plain(struct ot_login *l, const uint8_t *d, size_t n)
{
    size_t a = find_byte(d, n, 0, 0);
    if (a == n)
        return;
    size_t b = find_byte(d, n, a + 1, 0);
    if (b - (a + 1) > 0)
        ot_login_set_user(l, d + a + 1, b - (a + 1));
    else
        ot_login_set_user(l, d, a);
    if (b < n && n - (b + 1) > 0)
        l->password_in_clear = true;
}

/* gs2-header "n,a=user," then the mechanism's own text (RFC 5801). */
static size_t gs2_authzid(struct ot_login *l, const uint8_t *d, size_t n)
{
    size_t c1 = find_byte(d, n, 0, ',');
    if (c1 == n)
        return n;
    size_t c2 = find_byte(d, n, c1 + 1, ',');
    if (c2 - (c1 + 1) > 2 && d[c1 + 1] == 'a' && d[c1 + 2] == '=')
        ot_login_set_user(l, d + c1 + 3, c2 - (c1 + 3));
    return c2 < n ? c2 + 1 : n;
}

void ot_sasl_response(struct ot_sasl *sa, struct ot_login *l, const uint8_t *p, size_t n)
{
    uint8_t d[1024];
    size_t dn = 0;
    unsigned step = sa->step;
    if (sa->step < 255)
        sa->step++;
    sa->want_response = false;
    if (n == 1 && p[0] == '*')
        return; /* the client cancelled */
    if (ot_b64_decode(p, n, d, sizeof(d), &dn) != OT_OK)
        return;
    switch (sa->mech) {
    case OT_SASL_PLAIN:
        sasl_plain(l, d, dn);
        break;
    case OT_SASL_LOGIN:
        if (step == 0)
            ot_login_set_user(l, d, dn);
        else if (step == 1 && dn > 0)
            l->password_in_clear = true;
        break;
    case OT_SASL_CRAM_MD5: {
        /* "user SP hex-digest" */
        size_t sp = dn;
        while (sp > 0 && d[sp - 1] != ' ')
            sp--;
        if (sp > 1)
            ot_login_set_user(l, d, sp - 1);
        break;
    }
    case OT_SASL_DIGEST_MD5: {
        size_t u = after(d, dn, "username=\"");
        if (u < dn)
            ot_login_set_user(l, d + u, find_byte(d, dn, u, '"') - u);
        break;
    }
    case OT_SASL_SCRAM: {
        size_t bare = gs2_authzid(l, d, dn);
        if (bare + 2 <= dn && d[bare] == 'n' && d[bare + 1] == '=')
            ot_login_set_user(l, d + bare + 2, find_byte(d, dn, bare + 2, ',') - (bare + 2));
        break;
    }
    case OT_SASL_XOAUTH2: {
        /* "user=" user ^A "auth=Bearer " token ^A ^A */
        if (dn > 5 && memcmp(d, "user=", 5) == 0)
            ot_login_set_user(l, d + 5, find_byte(d, dn, 5, 1) - 5);
        if (after(d, dn, "auth=") < dn)
            l->password_in_clear = true;
        break;
    }
    case OT_SASL_OAUTHBEARER:
        gs2_authzid(l, d, dn);
        if (after(d, dn, "auth=") < dn)
            l->password_in_clear = true;
        break;
    case OT_SASL_EXTERNAL:
        if (step == 0 && dn)
            ot_login_set_user(l, d, dn);
        break;
    default:
        break;
    }
}

bool ot_port_is(const struct ot_flow *f, const uint16_t *ports, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (f->srv_port == ports[i])
            return true;
    return false;
}
