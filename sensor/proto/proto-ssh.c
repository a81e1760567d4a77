/*
 * SSH: the identification banners of both sides (RFC 4253 section 4.2) and,
 * when the key exchange starts in clear, each side's SSH_MSG_KEXINIT for
 * HASSH / HASSHServer (Salesforce's fingerprint: MD5 of
 * "kex;encryption;mac;compression", the client-to-server lists for the
 * client and the server-to-client lists for the server, as Suricata does).
 *
 * Each direction goes through three phases: text lines until the
 * "SSH-" line (a server may send other lines first; bounded), then the first
 * binary packet (only a KEXINIT is of interest; it is parsed in place, or
 * buffered when it spans chunks), then nothing.  One "ssh" event is written
 * when both directions are done, or at close() with whatever was seen.
 */
#include <string.h>

#include "core/md5.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"

#define SSH_LINE_MAX      255   /* RFC 4253 4.2: identification line incl. CR LF */
#define SSH_PREBANNER_MAX 8192  /* bytes of text accepted before the banner's LF */
#define SSH_PKT_MAX       35000 /* RFC 4253 6.1: packet size every peer must accept */
#define SSH_MSG_KEXINIT   20

enum ssh_phase {
    PH_LINE = 0, /* text lines until the identification line */
    PH_PKT,      /* the first binary packet: a KEXINIT? */
    PH_DONE,     /* nothing more of interest in this direction */
};

struct ssh_side {
    uint8_t phase;
    bool banner;       /* identification line complete */
    bool line_other;   /* the current line is not "SSH-...": skipped */
    bool banner_trunc; /* identification line longer than SSH_LINE_MAX */
    bool hassh;        /* md5/str hold a fingerprint */
    uint16_t line_len; /* bytes kept in line[] */
    uint32_t text;     /* bytes seen in PH_LINE */
    /* Pieces of the banner inside line[]. */
    uint16_t ver_len, sw_off, sw_len, com_off, com_len;
    char line[SSH_LINE_MAX];
    uint8_t md5[OT_MD5_LEN];
    struct ot_pbuf pkt; /* the KEXINIT packet, only when it spans chunks */
    struct ot_pbuf str; /* the HASSH string */
};

struct ssh_state {
    struct ssh_side side[2]; /* by direction: 0 client, 1 server */
    bool emitted;
};

static bool is_banner_prefix(const char *p, size_t n)
{
    return memcmp(p, "SSH-", n < 4 ? n : 4) == 0;
}

/*
 * "SSH-" at the very start in either direction.  A server may send text
 * lines before its banner, so from the server a chunk of printable text with
 * "\nSSH-" in its first 512 bytes also counts.
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (len < 4)
        return is_banner_prefix((const char *)data, len) ? OT_PROBE_MORE : OT_PROBE_NO;
    if (memcmp(data, "SSH-", 4) == 0)
        return OT_PROBE_YES;
    if (dir != 1 || data[0] < 0x20 || data[0] > 0x7e)
        return OT_PROBE_NO;
    /*
     * A "\nSSH-" after pre-banner lines; a NUL before it means binary data.
     * memchr, not a byte loop: this runs on the first server payload of
     * every TCP flow no other parser took.
     */
    size_t n = OT_MIN(len, (size_t)512);
    const uint8_t *nul = memchr(data, 0, n);
    size_t end = nul ? (size_t)(nul - data) : n;
    for (size_t i = 0; i + 5 <= n && i < end;) {
        const uint8_t *nl = memchr(data + i, '\n', end - i);
        if (!nl)
            break;
        i = (size_t)(nl - data);
        if (i + 5 <= n && memcmp(nl + 1, "SSH-", 4) == 0)
            return OT_PROBE_YES;
        i++;
    }
    return OT_PROBE_NO;
}

static size_t span_until(const char *p, size_t n, char c)
{
    const char *e = memchr(p, c, n);
    return e ? (size_t)(e - p) : n;
}

/* line[] holds "SSH-protoversion-softwareversion[ SP comments]" without CR LF. */
static void banner_split(struct ssh_side *s)
{
    size_t n = s->line_len;
    while (n > 4 && (s->line[n - 1] == '\n' || s->line[n - 1] == '\r'))
        n--;
    s->line_len = (uint16_t)n;
    const char *v = s->line + 4;
    size_t rest = n - 4;
    s->ver_len = (uint16_t)span_until(v, rest, '-');
    if (s->ver_len == rest)
        return; /* no software version */
    s->sw_off = (uint16_t)(4 + s->ver_len + 1);
    const char *sw = s->line + s->sw_off;
    size_t swmax = n - s->sw_off;
    s->sw_len = (uint16_t)span_until(sw, swmax, ' ');
    if (s->sw_len < swmax) {
        s->com_off = (uint16_t)(s->sw_off + s->sw_len + 1);
        s->com_len = (uint16_t)(n - s->com_off);
    }
}

static void banner_done(struct ssh_side *s)
{
    banner_split(s);
    s->banner = true;
    /* SSH-1 ("1.x" but not "1.99") has no SSH-2 KEXINIT. */
    bool v1 = s->ver_len >= 2 && memcmp(s->line + 4, "1.", 2) == 0 &&
              !(s->ver_len == 4 && memcmp(s->line + 4, "1.99", 4) == 0);
    s->phase = v1 ? PH_DONE : PH_PKT;
}

/* Text lines before and including the banner. Returns bytes used or a negative error. */
static int feed_line(struct ssh_side *s, const uint8_t *p, size_t n, size_t *used)
{
    const uint8_t *nl = memchr(p, '\n', n);
    size_t upto = nl ? (size_t)(nl - p) + 1 : n;
    if (!s->line_other) {
        size_t c = OT_MIN(upto, (size_t)(SSH_LINE_MAX - s->line_len));
        memcpy(s->line + s->line_len, p, c);
        s->line_len = (uint16_t)(s->line_len + c);
        if (!is_banner_prefix(s->line, s->line_len))
            s->line_other = true;
        else if (c < upto)
            s->banner_trunc = true;
    }
    s->text += (uint32_t)upto;
    *used = upto;
    if (nl) {
        if (!s->line_other && s->line_len >= 4) {
            banner_done(s);
            return 0;
        }
        s->line_len = 0;
        s->line_other = false;
    }
    if (s->text > SSH_PREBANNER_MAX)
        return OT_EINVAL; /* no identification line where one must be */
    return 0;
}

/*
 * The first `need` bytes of the current packet: in place when the chunk holds
 * them, else gathered in s->pkt.  NULL when the chunk ran out first (then all
 * of it is buffered and *off == len).
 */
static const uint8_t *gather(struct ot_pbuf *b, const uint8_t *data, size_t len, size_t *off,
                             size_t need, int *rc)
{
    if (b->len == 0 && len - *off >= need)
        return data + *off;
    if (b->len < need) {
        size_t n = OT_MIN(need - b->len, len - *off);
        *rc = ot_pbuf_append(b, data + *off, n, need);
        if (*rc < 0)
            return NULL;
        *off += n;
        if (b->len < need)
            return NULL;
    }
    return b->data;
}

struct name_list {
    const uint8_t *p;
    uint32_t len;
};

/* SSH_MSG_KEXINIT payload after the message number: cookie and ten name-lists. */
static int kexinit_parse(struct ssh_side *s, int dir, const uint8_t *p, size_t n, size_t max)
{
    struct name_list nl[10];
    if (n < 16)
        return OT_EINVAL;
    size_t off = 16;
    for (int i = 0; i < 10; i++) {
        if (n - off < 4)
            return OT_EINVAL;
        uint32_t l = ot_be32(p + off);
        off += 4;
        if (l > n - off)
            return OT_EINVAL;
        nl[i].p = p + off;
        nl[i].len = l;
        off += l;
    }
    /* kex, then client-to-server (2, 4, 6) or server-to-client (3, 5, 7) lists. */
    const struct name_list *parts[4] = {&nl[0], &nl[2 + dir], &nl[4 + dir], &nl[6 + dir]};
    for (int i = 0; i < 4; i++) {
        if (i > 0 && ot_pbuf_append(&s->str, (const uint8_t *)";", 1, max) < 0)
            return OT_ELIMIT;
        if (parts[i]->len && ot_pbuf_append(&s->str, parts[i]->p, parts[i]->len, max) < 0)
            return OT_ELIMIT;
    }
    ot_md5(s->str.data ? s->str.data : (const uint8_t *)"", s->str.len, s->md5);
    s->hassh = true;
    return 0;
}

/* The first binary packet after the banner. Returns bytes used or a negative error. */
static int feed_pkt(struct ssh_side *s, int dir, const uint8_t *data, size_t len, size_t *off,
                    size_t max)
{
    int rc = 0;
    const uint8_t *h = gather(&s->pkt, data, len, off, 6, &rc);
    if (!h)
        return rc;
    uint32_t plen = ot_be32(h);
    uint8_t pad = h[4];
    if (plen < 2 || plen > SSH_PKT_MAX || pad > plen - 2)
        return OT_EINVAL;
    if (h[5] != SSH_MSG_KEXINIT || (size_t)plen + 4 > max) {
        s->phase = PH_DONE; /* not a clear-text KEXINIT, or more than we may hold */
        return 0;
    }
    size_t total = (size_t)plen + 4;
    bool direct = s->pkt.len == 0;
    h = gather(&s->pkt, data, len, off, total, &rc);
    if (!h)
        return rc;
    if (direct)
        *off += total;
    s->phase = PH_DONE;
    /* payload = msg byte + body, of plen - pad - 1 bytes */
    return kexinit_parse(s, dir, h + 6, plen - pad - 2, max);
}

static int side_feed(struct ssh_side *s, int dir, const uint8_t *data, size_t len, size_t max)
{
    size_t off = 0;
    while (off < len && s->phase != PH_DONE) {
        int rc;
        if (s->phase == PH_LINE) {
            size_t used = 0;
            rc = feed_line(s, data + off, len - off, &used);
            off += used;
        } else {
            rc = feed_pkt(s, dir, data, len, &off, max);
        }
        if (rc < 0) {
            s->phase = PH_DONE;
            return rc;
        }
    }
    if (s->phase == PH_DONE)
        ot_pbuf_free(&s->pkt);
    return 0;
}

static void write_side(struct ot_jw *w, const char *key, const struct ssh_side *s)
{
    if (!s->banner && !s->hassh)
        return;
    ot_jw_obj_open(w, key);
    if (s->banner) {
        ot_jw_strn(w, "proto_version", s->line + 4, s->ver_len);
        if (s->sw_off)
            ot_jw_strn(w, "software_version", s->line + s->sw_off, s->sw_len);
        if (s->com_off)
            ot_jw_strn(w, "comments", s->line + s->com_off, s->com_len);
        if (s->banner_trunc)
            ot_jw_bool(w, "banner_truncated", true);
    }
    if (s->hassh) {
        ot_jw_obj_open(w, "hassh");
        ot_jw_hex(w, "hash", s->md5, sizeof(s->md5), 0);
        ot_jw_strn(w, "string", s->str.data, s->str.len);
        ot_jw_obj_close(w);
    }
    ot_jw_obj_close(w);
}

static void release(struct ssh_state *st)
{
    for (int d = 0; d < 2; d++) {
        ot_pbuf_free(&st->side[d].pkt);
        ot_pbuf_free(&st->side[d].str);
    }
}

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct ssh_state *st)
{
    st->emitted = true;
    for (int d = 0; ctx->sink && d < 2; d++) {
        const struct ssh_side *sd = &st->side[d];
        if (!sd->banner || !sd->sw_len)
            continue;
        struct ot_obs o = {.kind = OT_OBS_SSH, .dir = d};
        o.u.ssh.software = ot_str_make(sd->line + sd->sw_off, sd->sw_len);
        o.u.ssh.server = d == 1;
        ot_proto_observe(ctx, f, &o);
    }
    if (st->side[0].banner || st->side[1].banner) {
        struct ot_jw *w = ot_eve_begin(ctx->eve, "ssh", ctx->ts_us, f, 0);
        ot_jw_obj_open(w, "ssh");
        write_side(w, "client", &st->side[0]);
        write_side(w, "server", &st->side[1]);
        ot_jw_obj_close(w);
        ot_eve_end(ctx->eve);
    }
    release(st);
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct ssh_state *st = state;
    if (st->emitted)
        return 0;
    struct ssh_side *s = &st->side[dir ? 1 : 0];
    int rc = 0;
    if (flags & OT_DATA_GAP)
        s->phase = PH_DONE; /* lines and packets cannot be found again after a hole */
    else if (data && len)
        rc = side_feed(s, dir ? 1 : 0, data, len, ctx->conf->max_buffer);
    if (st->side[0].phase == PH_DONE && st->side[1].phase == PH_DONE)
        emit(ctx, f, st);
    return rc;
}

static void ssh_close(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct ssh_state *st = state;
    if (!st->emitted)
        emit(ctx, f, st);
    release(st);
}

const struct ot_proto_parser ot_proto_ssh = {
    .id = OT_APP_SSH,
    .name = "ssh",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct ssh_state),
    .probe = probe,
    .parse = parse,
    .close = ssh_close,
};
