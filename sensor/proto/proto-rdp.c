/*
 * RDP connection start (MS-RDPBCGR 1.3.1.1): TPKT (RFC 1006: 3, 0, length)
 * framing X.224 (ISO 8073) TPDUs.
 *
 *   client: Connection Request  - routing token or "Cookie: mstshash=USER\r\n",
 *                                 then RDP_NEG_REQ (requested protocols)
 *   server: Connection Confirm  - RDP_NEG_RSP (selected protocol) or
 *                                 RDP_NEG_FAILURE (failure code)
 *   client: MCS Connect-Initial - only when standard RDP security was chosen,
 *                                 in clear: GCC client data (client name,
 *                                 build, product id, static channels)
 *
 * After that the flow turns to TLS / CredSSP or to RDP's own encryption, and
 * the parser ignores the rest.  Records are parsed in place, or buffered
 * (bounded) when they span chunks.  One "rdp" event per flow, written when
 * the handshake above is complete, or at close() with what was seen.
 */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"

#define RDP_TPKT_MIN     7 /* header + the shortest TPDU (data: LI, code, EOT) */
#define RDP_COOKIE_MAX   128
#define RDP_NAME_MAX     64  /* client name: 15 UTF-16 characters, as UTF-8 */
#define RDP_ID_MAX       128 /* client digital product id: 31 UTF-16 characters */
#define RDP_CHANNELS_MAX 16

#define X224_CR 0xe0
#define X224_CC 0xd0
#define X224_DT 0xf0

#define NEG_REQ     0x01
#define NEG_RSP     0x02
#define NEG_FAILURE 0x03

#define CS_CORE 0xc001
#define CS_NET  0xc003

struct rdp_dir {
    struct ot_pbuf buf;
};

struct rdp_state {
    struct rdp_dir d[2];
    bool emitted;
    bool cr, cc;  /* connection request / confirm parsed */
    bool neg_req; /* the request carried RDP_NEG_REQ */
    bool neg_rsp, neg_fail;
    bool core;     /* client core data parsed */
    int8_t cr_dir; /* direction of the request: the client */
    uint8_t req_flags, rsp_flags;
    uint8_t cookie_len, name_len, id_len, nchannels;
    uint16_t width, height;
    uint32_t requested, selected, fail_code;
    uint32_t version, build;
    char cookie[RDP_COOKIE_MAX];
    char name[RDP_NAME_MAX];
    char id[RDP_ID_MAX];
    char channels[RDP_CHANNELS_MAX][8];
};

/*
 * TPKT + X.224 Connection Request whose variable part is empty, a cookie or
 * routing token ("Cookie: "), or an RDP_NEG_REQ; or a Connection Confirm
 * from the server.  Other TPKT users (ISO-TSAP, S7comm) send CR parameters
 * (0xc0-0xc2) there instead.
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if ((len >= 1 && data[0] != 3) || (len >= 2 && data[1] != 0))
        return OT_PROBE_NO;
    if (len < 11)
        return OT_PROBE_MORE;
    uint16_t tl = ot_be16(data + 2);
    uint8_t li = data[4], code = data[5] & 0xf0;
    if (tl < 11 || (size_t)li + 5 != tl || data[10] != 0)
        return OT_PROBE_NO;
    if (code != X224_CR && code != X224_CC)
        return OT_PROBE_NO;
    if (tl == 11)
        return OT_PROBE_YES;
    if (len < 12)
        return OT_PROBE_MORE;
    if (code == X224_CC)
        return data[11] == NEG_RSP || data[11] == NEG_FAILURE ? OT_PROBE_YES : OT_PROBE_NO;
    if (data[11] == NEG_REQ)
        return OT_PROBE_YES;
    if (data[11] != 'C')
        return OT_PROBE_NO;
    size_t n = OT_MIN(len - 11, (size_t)8);
    return memcmp(data + 11, "Cookie: ", n) != 0 ? OT_PROBE_NO
           : n < 8                               ? OT_PROBE_MORE
                                                 : OT_PROBE_YES;
}

/*
 * The first `need` bytes of the current record: in place when the chunk holds
 * them, else gathered in b.  NULL when the chunk ran out first (all of it
 * buffered, *off == len) or on error (*rc).
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

/* UTF-16LE to UTF-8 up to a NUL; `cap` - 1 bytes at most (whole characters). */
static size_t utf16_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t c = ot_le16(p + i);
        if (c == 0)
            break;
        if (c >= 0xd800 && c <= 0xdfff)
            c = 0xfffd; /* no surrogate pairs in these short Windows names */
        char u[3];
        size_t k;
        if (c < 0x80) {
            u[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            u[0] = (char)(0xc0 | (c >> 6));
            u[1] = (char)(0x80 | (c & 0x3f));
            k = 2;
        } else {
            u[0] = (char)(0xe0 | (c >> 12));
            u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
            u[2] = (char)(0x80 | (c & 0x3f));
            k = 3;
        }
        if (o + k >= cap)
            break;
        memcpy(out + o, u, k);
        o += k;
    }
    out[o] = 0;
    return o;
}

/* Connection Request: p = TPKT record (n bytes). */
static void parse_cr(struct rdp_state *st, const uint8_t *p, size_t n)
{
    st->cr = true;
    size_t i = 11;
    if (n - i >= 8 && memcmp(p + i, "Cookie: ", 8) == 0) {
        const uint8_t *v = p + i + 8;
        size_t rest = n - i - 8;
        const uint8_t *crlf = memmem(v, rest, "\r\n", 2);
        size_t l = crlf ? (size_t)(crlf - v) : rest;
        if (l >= 9 && memcmp(v, "mstshash=", 9) == 0) {
            size_t c = OT_MIN(l - 9, sizeof(st->cookie));
            memcpy(st->cookie, v + 9, c);
            st->cookie_len = (uint8_t)c;
        }
        i += 8 + l + (crlf ? 2 : 0);
    }
    if (n - i >= 8 && p[i] == NEG_REQ && ot_le16(p + i + 2) == 8) {
        st->neg_req = true;
        st->req_flags = p[i + 1];
        st->requested = ot_le32(p + i + 4);
    }
}

/*
 * Connection Confirm.  Returns 1 when nothing more will be read in clear, 0
 * when the client data follows, or a negative error for a negotiation
 * structure that is not one (wrong type or length).
 */
static int parse_cc(struct rdp_state *st, const uint8_t *p, size_t n)
{
    if (n == 11) {
        st->cc = true;
        return 0; /* no negotiation: standard RDP security, client data follows in clear */
    }
    if (n < 19 || ot_le16(p + 13) != 8 || (p[11] != NEG_RSP && p[11] != NEG_FAILURE))
        return OT_EINVAL;
    st->cc = true;
    if (p[11] == NEG_RSP) {
        st->neg_rsp = true;
        st->rsp_flags = p[12];
        st->selected = ot_le32(p + 15);
        return st->selected != 0; /* TLS, CredSSP...: the rest is encrypted */
    }
    st->neg_fail = true;
    st->fail_code = ot_le32(p + 15);
    return 1;
}

static void cs_core(struct rdp_state *st, const uint8_t *b, size_t n)
{
    if (n < 56)
        return;
    st->core = true;
    st->version = ot_le32(b + 4);
    st->width = ot_le16(b + 8);
    st->height = ot_le16(b + 10);
    st->build = ot_le32(b + 20);
    st->name_len = (uint8_t)utf16_to_utf8(b + 24, 32, st->name, sizeof(st->name));
    if (n >= 146 + 64)
        st->id_len = (uint8_t)utf16_to_utf8(b + 146, 64, st->id, sizeof(st->id));
}

static void cs_net(struct rdp_state *st, const uint8_t *b, size_t n)
{
    if (n < 8)
        return;
    uint32_t cnt = ot_le32(b + 4);
    for (uint32_t i = 0; i < cnt && st->nchannels < RDP_CHANNELS_MAX; i++) {
        size_t at = 8 + (size_t)i * 12; /* CHANNEL_DEF: name[8], options */
        if (at + 12 > n)
            break;
        memcpy(st->channels[st->nchannels++], b + at, 8);
    }
}

/*
 * MCS Connect-Initial in an X.224 data TPDU: the GCC conference create
 * request carries the client data blocks after the "Duca" H.221 key and a
 * PER length; each block is (type, length) little-endian.
 */
static void parse_mcs(struct rdp_state *st, const uint8_t *p, size_t n)
{
    if (n < 9 || p[4] != 2 || p[6] != 0x80 || p[7] != 0x7f || p[8] != 0x65)
        return;
    const uint8_t *k = memmem(p + 9, n - 9, "Duca", 4);
    if (!k)
        return;
    size_t i = (size_t)(k - p) + 4;
    if (i >= n)
        return;
    i += (p[i] & 0x80) ? 2 : 1;
    for (int blocks = 0; blocks < 32 && i + 4 <= n; blocks++) {
        uint16_t type = ot_le16(p + i), bl = ot_le16(p + i + 2);
        if (bl < 4 || bl > n - i)
            return;
        if (type == CS_CORE)
            cs_core(st, p + i, bl);
        else if (type == CS_NET)
            cs_net(st, p + i, bl);
        i += bl;
    }
}

static const char *proto_name(uint32_t bit)
{
    switch (bit) {
    case 0x1:
        return "ssl";
    case 0x2:
        return "hybrid";
    case 0x4:
        return "rds_tls";
    case 0x8:
        return "hybrid_ex";
    case 0x10:
        return "rds_aad";
    default:
        return NULL;
    }
}

static const char *failure_reason(uint32_t code)
{
    static const char *const r[] = {
        NULL,
        "ssl required by server",
        "ssl not allowed by server",
        "ssl cert not on server",
        "inconsistent flags",
        "hybrid required by server",
        "ssl with user auth required by server",
    };
    return code < OT_ARRAY_SIZE(r) ? r[code] : NULL;
}

static void write_flags(struct ot_jw *w, const char *key, uint8_t flags, const char *const names[8])
{
    bool open = false;
    for (unsigned b = 0; b < 8; b++) {
        if (!(flags & (1u << b)) || !names[b])
            continue;
        if (!open)
            ot_jw_arr_open(w, key);
        open = true;
        ot_jw_str(w, NULL, names[b]);
    }
    if (open)
        ot_jw_arr_close(w);
}

static void write_client(struct ot_jw *w, const struct rdp_state *st)
{
    ot_jw_obj_open(w, "client");
    if (st->version == 0x00080001 || st->version == 0x00080004) {
        ot_jw_str(w, "version", st->version == 0x00080001 ? "v4" : "v5");
    } else if (st->version >= 0x00080005 && st->version <= 0x00080005 + 20) {
        char v[16];
        int l = snprintf(v, sizeof(v), "v10.%u", (unsigned)(st->version - 0x00080005));
        ot_jw_strn(w, "version", v, (size_t)l);
    }
    ot_jw_u64(w, "desktop_width", st->width);
    ot_jw_u64(w, "desktop_height", st->height);
    ot_jw_u64(w, "build_number", st->build);
    if (st->name_len)
        ot_jw_strn(w, "client_name", st->name, st->name_len);
    if (st->id_len)
        ot_jw_strn(w, "id", st->id, st->id_len);
    ot_jw_obj_close(w);
}

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct rdp_state *st)
{
    static const char *const req_flags[8] = {"restricted_admin_mode_required",
                                             "redirected_authentication_mode_required", NULL,
                                             "correlation_info_present"};
    static const char *const rsp_flags[8] = {"extended_client_data", "dynvc_gfx", NULL,
                                             "restricted_admin", "redirected_authentication"};
    st->emitted = true;
    ot_pbuf_free(&st->d[0].buf);
    ot_pbuf_free(&st->d[1].buf);
    if (!st->cr && !st->cc)
        return;
    struct ot_jw *w = ot_eve_begin(ctx->eve, "rdp", ctx->ts_us, f, 0);
    ot_jw_obj_open(w, "rdp");
    if (st->cookie_len)
        ot_jw_strn(w, "cookie", st->cookie, st->cookie_len);
    if (st->cr) {
        ot_jw_arr_open(w, "requested_protocols");
        if (!st->requested)
            ot_jw_str(w, NULL, "rdp");
        for (unsigned b = 0; b < 32; b++)
            if ((st->requested & (1u << b)) && proto_name(1u << b))
                ot_jw_str(w, NULL, proto_name(1u << b));
        ot_jw_arr_close(w);
        write_flags(w, "flags", st->req_flags, req_flags);
    }
    if (st->neg_rsp) {
        const char *p = st->selected ? proto_name(st->selected) : "rdp";
        if (p)
            ot_jw_str(w, "selected_protocol", p);
        else
            ot_jw_u64(w, "selected_protocol_id", st->selected);
        write_flags(w, "server_supports", st->rsp_flags, rsp_flags);
    } else if (st->cc && !st->neg_fail) {
        ot_jw_str(w, "selected_protocol", "rdp"); /* a confirm without negotiation */
    }
    if (st->neg_fail) {
        ot_jw_u64(w, "error_code", st->fail_code);
        const char *r = failure_reason(st->fail_code);
        if (r)
            ot_jw_str(w, "reason", r);
    }
    if (st->core)
        write_client(w, st);
    if (st->nchannels) {
        ot_jw_arr_open(w, "channels");
        for (unsigned i = 0; i < st->nchannels; i++)
            ot_jw_strn(w, NULL, st->channels[i], strnlen(st->channels[i], 8));
        ot_jw_arr_close(w);
    }
    ot_jw_obj_close(w);
    ot_eve_end(ctx->eve);
}

/*
 * One TPKT record.  Returns 1 when the handshake is over (emit), 0 to go on,
 * or a negative error for data that is not TPKT where it must be.
 */
static int record(struct rdp_state *st, int dir, const uint8_t *data, size_t len, size_t *off,
                  size_t max)
{
    struct rdp_dir *d = &st->d[dir];
    bool client_after_cc = st->cc && st->cr_dir == dir;
    int rc = 0;
    const uint8_t *h = gather(&d->buf, data, len, off, 4, &rc);
    if (!h)
        return rc;
    size_t tl = ot_be16(h + 2);
    if (h[0] != 3 || h[1] != 0 || tl < RDP_TPKT_MIN)
        return client_after_cc ? 1 : OT_EINVAL; /* e.g. fast-path after the confirm */
    if (tl > max)
        return OT_ELIMIT;
    bool direct = d->buf.len == 0;
    h = gather(&d->buf, data, len, off, tl, &rc);
    if (!h)
        return rc;
    if (direct)
        *off += tl;
    d->buf.len = 0;
    uint8_t li = h[4], code = h[5] & 0xf0;
    if ((size_t)li + 5 > tl)
        return OT_EINVAL;
    if (code == X224_CR && !st->cr && tl >= 11) {
        st->cr_dir = (int8_t)dir;
        parse_cr(st, h, tl);
        return 0;
    }
    if (code == X224_CC && !st->cc && tl >= 11) {
        if (!st->cr)
            st->cr_dir = (int8_t)!dir;
        return parse_cc(st, h, tl);
    }
    if (client_after_cc) {
        if (code == X224_DT)
            parse_mcs(st, h, tl);
        return 1;
    }
    return 0;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct rdp_state *st = state;
    if (st->emitted)
        return 0;
    dir = dir ? 1 : 0;
    if (flags & OT_DATA_GAP) {
        /* records cannot be found again: report what we have */
        emit(ctx, f, st);
        return 0;
    }
    size_t max = OT_MIN((size_t)ctx->conf->max_buffer, (size_t)65535);
    size_t off = 0;
    while (data && off < len) {
        int rc = record(st, dir, data, len, &off, max);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            emit(ctx, f, st);
            break;
        }
    }
    return 0;
}

static void rdp_close(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct rdp_state *st = state;
    if (!st->emitted)
        emit(ctx, f, st);
    ot_pbuf_free(&st->d[0].buf);
    ot_pbuf_free(&st->d[1].buf);
}

const struct ot_proto_parser ot_proto_rdp = {
    .id = OT_APP_RDP,
    .name = "rdp",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct rdp_state),
    .probe = probe,
    .parse = parse,
    .close = rdp_close,
};
