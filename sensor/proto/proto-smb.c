/*
 * SMB over TCP (445, or 139 after a NetBIOS session request): the NetBIOS
 * session service framing (RFC 1002: type byte, then a length) carrying SMB1
 * ("\xffSMB"), SMB2/3 ("\xfeSMB"), SMB3 encryption ("\xfdSMB") and
 * compression ("\xfcSMB") transform headers.
 *
 * Only the messages that say who talks to whom are read: NEGOTIATE request
 * and response (the client's dialects, the one chosen), SESSION_SETUP
 * request (the NTLMSSP AUTHENTICATE message inside the security blob: user,
 * domain and workstation) and TREE_CONNECT request (the share path).  Those
 * records are parsed in place, or buffered (bounded by max_buffer) when they
 * span chunks; every other record is skipped without copying, however large.
 * After a gap inside a skipped record the parser stays in step; a gap
 * anywhere else makes it scan for the next record header (bounded).
 *
 * One "smb" event per flow, written when the first of these happens: the
 * flow ends; SMB_EMIT_DELAY_US of packet time have passed since the first
 * negotiate response (so long sessions report without waiting for their
 * end); the share list is full; both directions can no longer be parsed.
 */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"

#define SMB_DIALECTS_MAX  16
#define SMB_DIALECT_LEN   32
#define SMB_SHARES_MAX    8
#define SMB_SHARE_LEN     128
#define SMB_NAME_LEN      128          /* NTLMSSP user / domain / host, UTF-8 bytes */
#define SMB_RESYNC_MAX    (256 * 1024) /* bytes scanned for a header after a gap */
#define SMB_EMIT_DELAY_US (10ULL * 1000000)
#define SMB_CHAIN_MAX     16 /* SMB2 compound messages / SMB1 AndX blocks looked at */

/* Bytes of a record needed to classify it: NBSS header + SMB2 header up to Flags. */
#define SMB_HEAD 24

#define SMB1_HDR          32
#define SMB1_FLAGS_REPLY  0x80
#define SMB1_FLAGS2_UNI   0x8000
#define SMB1_NEGOTIATE    0x72
#define SMB1_SESSION_ANDX 0x73
#define SMB1_TREE_ANDX    0x75
#define SMB2_HDR          64
#define SMB2_FLAGS_REPLY  0x1
#define SMB2_NEGOTIATE    0
#define SMB2_SESSION      1
#define SMB2_TREE_CONNECT 3

enum smb_mode {
    M_REC = 0, /* at (or inside) a record */
    M_RESYNC,  /* looking for a record header */
    M_DONE,    /* nothing more from this direction */
};

struct smb_dir {
    uint8_t mode;
    bool synced;     /* a valid record was seen since the start or the last resync */
    uint8_t win_len; /* resync: last bytes of the previous chunk */
    uint8_t win[7];
    uint32_t skip;   /* bytes of the current record still to skip */
    uint32_t resync; /* bytes scanned while resynchronising */
    struct ot_pbuf buf;
};

struct smb_state {
    struct smb_dir d[2];
    bool emitted;
    bool seen;      /* at least one valid SMB header */
    bool smb1;      /* an SMB1 message was seen */
    bool encrypted; /* an SMB3 transform header was seen */
    bool dialects_smb1;
    bool ntlm;
    uint8_t version; /* 1, 2, 3 from the negotiated dialect; 0 unknown */
    uint8_t ndialects, nshares;
    uint64_t nego_us; /* time of the first negotiate response */
    char dialect[SMB_DIALECT_LEN];
    char dialects[SMB_DIALECTS_MAX][SMB_DIALECT_LEN];
    char shares[SMB_SHARES_MAX][SMB_SHARE_LEN];
    char user[SMB_NAME_LEN], domain[SMB_NAME_LEN], host[SMB_NAME_LEN];
};

static bool smb_magic(const uint8_t *p)
{
    return p[0] >= 0xfc && p[1] == 'S' && p[2] == 'M' && p[3] == 'B';
}

/* First bytes of a session message with an SMB header, or of a NetBIOS session request. */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    static const uint8_t smb[4] = {0xfe, 'S', 'M', 'B'};
    if (len == 0)
        return OT_PROBE_NO;
    if (data[0] == 0x00) {
        for (size_t i = 4; i < len && i < 8; i++) {
            bool ok = i == 4 ? data[i] >= 0xfc : data[i] == smb[i - 4];
            if (!ok)
                return OT_PROBE_NO;
        }
        return len < 8 ? OT_PROBE_MORE : OT_PROBE_YES;
    }
    /* NetBIOS session request (port 139): called name, 32 bytes, first-level encoded. */
    if (data[0] == 0x81 && dir == 0 && f->srv_port == 139) {
        if (len < 5)
            return OT_PROBE_MORE;
        return data[4] == 0x20 ? OT_PROBE_YES : OT_PROBE_NO;
    }
    return OT_PROBE_NO;
}

/*
 * The first `need` bytes of the current record: in place when the chunk holds
 * them, else gathered in b (then they count as consumed).  NULL when the
 * chunk ran out first (all of it buffered, *off == len) or on error (*rc).
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

/* The current record, `total` bytes with its NetBIOS header, is dealt with. */
static void drop_record(struct smb_dir *d, size_t len, size_t *off, size_t total)
{
    if (d->buf.len == 0) {
        size_t n = OT_MIN(total, len - *off);
        *off += n;
        d->skip = (uint32_t)(total - n);
    } else {
        d->skip = (uint32_t)(total - d->buf.len);
        d->buf.len = 0;
    }
}

/* UTF-16LE to UTF-8, stopping at a NUL or at `cap` - 1 bytes (whole characters). */
static size_t utf16_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t c = ot_le16(p + i);
        if (c == 0)
            break;
        if (c >= 0xd800 && c <= 0xdbff && i + 3 < n && ot_le16(p + i + 2) >= 0xdc00 &&
            ot_le16(p + i + 2) <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (ot_le16(p + i + 2) - 0xdc00u);
            i += 2;
        } else if (c >= 0xd800 && c <= 0xdfff) {
            c = 0xfffd;
        }
        char u[4];
        size_t k;
        if (c < 0x80) {
            u[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            u[0] = (char)(0xc0 | (c >> 6));
            u[1] = (char)(0x80 | (c & 0x3f));
            k = 2;
        } else if (c < 0x10000) {
            u[0] = (char)(0xe0 | (c >> 12));
            u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
            u[2] = (char)(0x80 | (c & 0x3f));
            k = 3;
        } else {
            u[0] = (char)(0xf0 | (c >> 18));
            u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
            u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
            u[3] = (char)(0x80 | (c & 0x3f));
            k = 4;
        }
        if (o + k >= cap)
            break;
        memcpy(out + o, u, k);
        o += k;
    }
    out[o] = 0;
    return o;
}

/* 8-bit text up to a NUL or `cap` - 1 bytes (escaped when written). */
static size_t oem_copy(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    while (o < n && o + 1 < cap && p[o])
        o++;
    memcpy(out, p, o);
    out[o] = 0;
    return o;
}

/* An SMB2 DialectRevision as Suricata writes it ("3.11"); unknown ones in hex. */
static void dialect2_name(uint16_t rev, char *out, size_t cap)
{
    switch (rev) {
    case 0x0202:
        ot_strlcpy(out, "2.02", cap);
        break;
    case 0x0210:
        ot_strlcpy(out, "2.10", cap);
        break;
    case 0x0222:
        ot_strlcpy(out, "2.22", cap);
        break;
    case 0x0224:
        ot_strlcpy(out, "2.24", cap);
        break;
    case 0x02ff:
        ot_strlcpy(out, "2.??", cap);
        break;
    case 0x0300:
        ot_strlcpy(out, "3.00", cap);
        break;
    case 0x0302:
        ot_strlcpy(out, "3.02", cap);
        break;
    case 0x0310:
        ot_strlcpy(out, "3.10", cap);
        break;
    case 0x0311:
        ot_strlcpy(out, "3.11", cap);
        break;
    default:
        snprintf(out, cap, "0x%04x", rev);
        break;
    }
}

static void add_share(struct smb_state *st, const uint8_t *p, size_t n, bool unicode)
{
    char s[SMB_SHARE_LEN];
    size_t l = unicode ? utf16_to_utf8(p, n, s, sizeof(s)) : oem_copy(p, n, s, sizeof(s));
    if (l == 0 || st->nshares >= SMB_SHARES_MAX)
        return;
    for (unsigned i = 0; i < st->nshares; i++)
        if (strcmp(st->shares[i], s) == 0)
            return;
    memcpy(st->shares[st->nshares++], s, l + 1);
}

/* One NTLMSSP field (len, maxlen, offset) of the message at m (n bytes). */
static void ntlm_field(const uint8_t *m, size_t n, size_t at, bool unicode, char *out)
{
    uint16_t l = ot_le16(m + at);
    uint32_t o = ot_le32(m + at + 4);
    if (o > n || l > n - o) {
        out[0] = 0;
        return;
    }
    if (unicode)
        utf16_to_utf8(m + o, l, out, SMB_NAME_LEN);
    else
        oem_copy(m + o, l, out, SMB_NAME_LEN);
}

/*
 * A security blob (SPNEGO/GSSAPI or raw NTLMSSP): find the NTLMSSP message
 * and, when it is an AUTHENTICATE (type 3), keep user, domain, workstation.
 */
static void ntlmssp_scan(struct smb_state *st, const uint8_t *p, size_t n)
{
    const uint8_t *m = memmem(p, n, "NTLMSSP\0", 8);
    if (!m)
        return;
    size_t mn = n - (size_t)(m - p);
    if (mn < 64 || ot_le32(m + 8) != 3)
        return;
    bool unicode = ot_le32(m + 60) & 0x1; /* NTLMSSP_NEGOTIATE_UNICODE */
    ntlm_field(m, mn, 28, unicode, st->domain);
    ntlm_field(m, mn, 36, unicode, st->user);
    ntlm_field(m, mn, 44, unicode, st->host);
    st->ntlm = true;
}

/* One SMB2 message (header + body) of mlen bytes. */
static void smb2_msg(struct smb_state *st, const uint8_t *m, size_t mlen, uint64_t ts_us)
{
    uint16_t cmd = ot_le16(m + 12);
    bool reply = ot_le32(m + 16) & SMB2_FLAGS_REPLY;
    const uint8_t *b = m + SMB2_HDR;
    size_t bl = mlen - SMB2_HDR;
    if (cmd == SMB2_NEGOTIATE && reply) {
        if (bl < 6 || ot_le32(m + 8) != 0 || ot_le16(b) != 65)
            return;
        uint16_t rev = ot_le16(b + 4);
        dialect2_name(rev, st->dialect, sizeof(st->dialect));
        st->version = (rev >> 8) == 2 ? 2 : (rev >> 8) == 3 ? 3 : 0;
        if (!st->nego_us)
            st->nego_us = ts_us;
    } else if (cmd == SMB2_NEGOTIATE) {
        if (bl < 36)
            return;
        uint16_t cnt = ot_le16(b + 2);
        st->ndialects = 0;
        st->dialects_smb1 = false;
        for (size_t i = 0; i < cnt && st->ndialects < SMB_DIALECTS_MAX; i++) {
            if (36 + 2 * i + 2 > bl)
                break;
            dialect2_name(ot_le16(b + 36 + 2 * i), st->dialects[st->ndialects++], SMB_DIALECT_LEN);
        }
    } else if (cmd == SMB2_SESSION && !reply) {
        if (bl < 24)
            return;
        uint16_t o = ot_le16(b + 12), l = ot_le16(b + 14);
        if (o <= mlen && l <= mlen - o)
            ntlmssp_scan(st, m + o, l);
    } else if (cmd == SMB2_TREE_CONNECT && !reply) {
        if (bl < 8 || (ot_le16(b + 2) & 0x0004)) /* extension present: path elsewhere */
            return;
        uint16_t o = ot_le16(b + 4), l = ot_le16(b + 6);
        if (o <= mlen && l <= mlen - o)
            add_share(st, m + o, l, true);
    }
}

/* An SMB2 record: follow the compound chain (NextCommand). */
static void smb2_record(struct smb_state *st, const uint8_t *p, size_t n, uint64_t ts_us)
{
    size_t pos = 0;
    for (int hop = 0; hop < SMB_CHAIN_MAX; hop++) {
        const uint8_t *m = p + pos;
        size_t rest = n - pos;
        if (rest < SMB2_HDR || !smb_magic(m) || m[0] != 0xfe)
            return;
        uint32_t next = ot_le32(m + 20);
        if (next && (next < SMB2_HDR || next > rest))
            next = 0;
        smb2_msg(st, m, next ? next : rest, ts_us);
        if (!next)
            return;
        pos += next;
    }
}

static void smb1_negotiate_req(struct smb_state *st, const uint8_t *b, size_t bl)
{
    st->ndialects = 0;
    st->dialects_smb1 = true;
    size_t i = 0;
    while (i < bl && st->ndialects < SMB_DIALECTS_MAX) {
        if (b[i] != 0x02) /* buffer format: dialect string */
            return;
        i++;
        const uint8_t *nul = memchr(b + i, 0, bl - i);
        size_t l = nul ? (size_t)(nul - (b + i)) : bl - i;
        oem_copy(b + i, l, st->dialects[st->ndialects++], SMB_DIALECT_LEN);
        i += l + 1;
    }
}

/* One SMB1 message: its AndX chain from the first block at offset 32. */
static void smb1_record(struct smb_state *st, const uint8_t *p, size_t n, uint64_t ts_us)
{
    uint8_t cmd = p[4];
    bool reply = p[9] & SMB1_FLAGS_REPLY;
    bool unicode = ot_le16(p + 10) & SMB1_FLAGS2_UNI;
    size_t at = SMB1_HDR;
    for (int hop = 0; hop < SMB_CHAIN_MAX && at < n; hop++) {
        size_t wc = p[at];
        size_t words = at + 1, bcpos = words + 2 * wc;
        if (bcpos + 2 > n)
            return;
        size_t bytes = bcpos + 2;
        size_t bl = OT_MIN((size_t)ot_le16(p + bcpos), n - bytes);
        if (cmd == SMB1_NEGOTIATE && !reply) {
            smb1_negotiate_req(st, p + bytes, bl);
            return;
        }
        if (cmd == SMB1_NEGOTIATE) {
            if (wc < 1)
                return;
            uint16_t idx = ot_le16(p + words);
            if (st->dialects_smb1 && idx < st->ndialects)
                memcpy(st->dialect, st->dialects[idx], SMB_DIALECT_LEN);
            else
                ot_strlcpy(st->dialect, "unknown", sizeof(st->dialect));
            st->version = 1;
            if (!st->nego_us)
                st->nego_us = ts_us;
            return;
        }
        if (reply)
            return;
        if (cmd == SMB1_SESSION_ANDX && wc == 12) {
            /* extended security: SecurityBlobLength, then the blob opens the bytes */
            size_t sbl = OT_MIN((size_t)ot_le16(p + words + 14), bl);
            ntlmssp_scan(st, p + bytes, sbl);
        } else if (cmd == SMB1_TREE_ANDX && wc == 4) {
            size_t pw = ot_le16(p + words + 6);
            if (pw > bl)
                return;
            size_t at_path = bytes + pw;
            if (unicode && (at_path & 1)) /* unicode strings are 2-aligned to the header */
                at_path++;
            if (at_path <= bytes + bl)
                add_share(st, p + at_path, bytes + bl - at_path, unicode);
        } else if (cmd != SMB1_SESSION_ANDX && cmd != SMB1_TREE_ANDX) {
            return;
        }
        if (wc < 2 || p[words] == 0xff)
            return;
        size_t next = ot_le16(p + words + 2);
        if (next <= at || next >= n)
            return;
        cmd = p[words];
        at = next;
    }
}

/* Worth buffering? NEGOTIATE both ways; SESSION_SETUP and TREE_CONNECT requests. */
static bool interesting(const uint8_t *m)
{
    if (m[0] == 0xfe) {
        uint16_t cmd = ot_le16(m + 12);
        bool reply = ot_le32(m + 16) & SMB2_FLAGS_REPLY;
        return cmd == SMB2_NEGOTIATE ||
               (!reply && (cmd == SMB2_SESSION || cmd == SMB2_TREE_CONNECT));
    }
    if (m[0] == 0xff) {
        bool reply = m[9] & SMB1_FLAGS_REPLY;
        return m[4] == SMB1_NEGOTIATE ||
               (!reply && (m[4] == SMB1_SESSION_ANDX || m[4] == SMB1_TREE_ANDX));
    }
    return false;
}

/* A header that is not one: before the direction is in step, look for one; else fail. */
static int bad_header(struct smb_dir *d, size_t *off)
{
    if (d->synced)
        return OT_EINVAL;
    if (d->buf.len == 0)
        (*off)++; /* in place: move past this byte (buffered bytes are already used) */
    d->buf.len = 0;
    d->mode = M_RESYNC;
    return 0;
}

/* Smallest SMB message (after the 4-byte NetBIOS header) each header kind needs. */
static size_t min_msg(uint8_t kind)
{
    switch (kind) {
    case 0xff:
        return SMB1_HDR + 3; /* header, WordCount, ByteCount */
    case 0xfe:
        return SMB2_HDR;
    case 0xfd:
        return 52; /* transform header */
    default:
        return 16; /* compression transform header */
    }
}

static int record(struct smb_state *st, struct smb_dir *d, const uint8_t *data, size_t len,
                  size_t *off, size_t max, uint64_t ts_us)
{
    int rc = 0;
    const uint8_t *h = gather(&d->buf, data, len, off, 4, &rc);
    if (!h)
        return rc;
    if (h[0] != 0x00) {
        /* other NetBIOS session packets: request, responses, keep-alive */
        if (h[0] < 0x81 || h[0] > 0x85 || (h[1] & 0xfe))
            return bad_header(d, off);
        drop_record(d, len, off, 4 + (((size_t)(h[1] & 1) << 16) | ot_be16(h + 2)));
        return 0;
    }
    size_t l = ot_be24(h + 1);
    if (l == 0) {
        drop_record(d, len, off, 4);
        return 0;
    }
    if (l < 16)
        return bad_header(d, off);
    h = gather(&d->buf, data, len, off, 4 + OT_MIN(l, (size_t)SMB_HEAD), &rc);
    if (!h)
        return rc;
    const uint8_t *m = h + 4;
    if (!smb_magic(m) || l < min_msg(m[0]))
        return bad_header(d, off); /* (SMB2 StructureSize is not checked, as Wireshark) */
    d->synced = true;
    d->resync = 0;
    st->seen = true;
    if (m[0] == 0xff)
        st->smb1 = true;
    else if (m[0] == 0xfd)
        st->encrypted = true;
    if (!interesting(m) || 4 + l > max) {
        drop_record(d, len, off, 4 + l);
        return 0;
    }
    h = gather(&d->buf, data, len, off, 4 + l, &rc);
    if (!h)
        return rc;
    if (h[4] == 0xfe)
        smb2_record(st, h + 4, l, ts_us);
    else
        smb1_record(st, h + 4, l, ts_us);
    drop_record(d, len, off, 4 + l);
    return 0;
}

static bool header_at(const uint8_t *q)
{
    return q[0] == 0 && smb_magic(q + 4);
}

/*
 * After a gap: look for "\0 len len len \xf[c-f] S M B".  A header that
 * straddles chunks is found through the last 7 bytes kept from the previous
 * chunk; a match there is pushed into the record buffer.
 */
static void resync(struct smb_dir *d, const uint8_t *data, size_t len, size_t *off)
{
    const uint8_t *p = data + *off;
    size_t n = len - *off;
    if (d->win_len) {
        uint8_t t[14];
        size_t tn = d->win_len + OT_MIN(n, (size_t)7);
        memcpy(t, d->win, d->win_len);
        memcpy(t + d->win_len, p, tn - d->win_len);
        for (size_t k = 0; k < d->win_len && k + 8 <= tn; k++) {
            if (header_at(t + k)) {
                if (ot_pbuf_append(&d->buf, t + k, d->win_len - k, 8) < 0) {
                    d->mode = M_DONE;
                    return;
                }
                d->win_len = 0;
                d->mode = M_REC;
                return;
            }
        }
        if (n < sizeof(d->win)) {
            /* a tiny chunk: no header can start in it alone; slide the window */
            size_t keep = OT_MIN(tn, sizeof(d->win));
            memmove(d->win, t + tn - keep, keep);
            d->win_len = (uint8_t)keep;
            *off = len;
            d->resync += (uint32_t)n;
            if (d->resync > SMB_RESYNC_MAX)
                d->mode = M_DONE;
            return;
        }
        d->win_len = 0;
    }
    for (size_t i = 0; i + 8 <= n;) {
        const uint8_t *s = memmem(p + i + 5, n - i - 5, "SMB", 3);
        if (!s)
            break;
        size_t at = (size_t)(s - p) - 5;
        if (header_at(p + at)) {
            *off += at;
            d->resync += (uint32_t)at;
            d->mode = M_REC;
            return;
        }
        i = at + 1;
    }
    size_t keep = OT_MIN(n, sizeof(d->win));
    memcpy(d->win, p + n - keep, keep);
    d->win_len = (uint8_t)keep;
    *off = len;
    d->resync += (uint32_t)n;
    if (d->resync > SMB_RESYNC_MAX)
        d->mode = M_DONE;
}

static int dir_feed(struct smb_state *st, struct smb_dir *d, const uint8_t *data, size_t len,
                    size_t max, uint64_t ts_us)
{
    size_t off = 0;
    while (off < len && d->mode != M_DONE && !st->emitted) {
        if (d->skip) {
            size_t n = OT_MIN((size_t)d->skip, len - off);
            d->skip -= (uint32_t)n;
            off += n;
        } else if (d->mode == M_RESYNC) {
            resync(d, data, len, &off);
        } else {
            int rc = record(st, d, data, len, &off, max, ts_us);
            if (rc < 0) {
                d->mode = M_DONE;
                return rc;
            }
            if (st->nshares >= SMB_SHARES_MAX)
                break;
        }
    }
    return 0;
}

/* Bytes were lost: still in step if they fell inside a record being skipped. */
static void dir_gap(struct smb_dir *d, size_t lost)
{
    if (d->mode == M_DONE)
        return;
    if (d->mode == M_REC && d->buf.len == 0 && d->skip >= lost) {
        d->skip -= (uint32_t)lost;
        return;
    }
    d->skip = 0;
    d->buf.len = 0;
    d->win_len = 0;
    d->synced = false;
    d->mode = M_RESYNC;
}

static void release(struct smb_state *st)
{
    ot_pbuf_free(&st->d[0].buf);
    ot_pbuf_free(&st->d[1].buf);
}

static void emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct smb_state *st)
{
    st->emitted = true;
    release(st);
    if (!st->seen)
        return;
    struct ot_jw *w = ot_eve_begin(ctx->eve, "smb", ctx->ts_us, f, 0);
    ot_jw_obj_open(w, "smb");
    if (st->dialect[0])
        ot_jw_strn(w, "dialect", st->dialect, strlen(st->dialect));
    if (st->version)
        ot_jw_u64(w, "version", st->version);
    ot_jw_bool(w, "smb1", st->smb1);
    ot_jw_bool(w, "encrypted", st->encrypted);
    if (st->ndialects) {
        ot_jw_arr_open(w, "client_dialects");
        for (unsigned i = 0; i < st->ndialects; i++)
            ot_jw_strn(w, NULL, st->dialects[i], strlen(st->dialects[i]));
        ot_jw_arr_close(w);
    }
    if (st->ntlm) {
        ot_jw_obj_open(w, "ntlmssp");
        ot_jw_strn(w, "user", st->user, strlen(st->user));
        ot_jw_strn(w, "domain", st->domain, strlen(st->domain));
        ot_jw_strn(w, "host", st->host, strlen(st->host));
        ot_jw_obj_close(w);
    }
    if (st->nshares) {
        ot_jw_arr_open(w, "shares");
        for (unsigned i = 0; i < st->nshares; i++)
            ot_jw_strn(w, NULL, st->shares[i], strlen(st->shares[i]));
        ot_jw_arr_close(w);
    }
    ot_jw_obj_close(w);
    ot_eve_end(ctx->eve);
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct smb_state *st = state;
    if (st->emitted)
        return 0;
    struct smb_dir *d = &st->d[dir ? 1 : 0];
    int rc = 0;
    if (flags & OT_DATA_GAP)
        dir_gap(d, data ? SIZE_MAX : len); /* with data: how much was lost is unknown */
    if (data && len)
        rc = dir_feed(st, d, data, len, ctx->conf->max_buffer, ctx->ts_us);
    bool late = st->nego_us && ctx->ts_us >= st->nego_us + SMB_EMIT_DELAY_US;
    bool stuck = st->d[0].mode == M_DONE && st->d[1].mode == M_DONE;
    if (late || stuck || st->nshares >= SMB_SHARES_MAX)
        emit(ctx, f, st);
    return rc;
}

static void smb_close(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct smb_state *st = state;
    if (!st->emitted)
        emit(ctx, f, st);
    release(st);
}

const struct ot_proto_parser ot_proto_smb = {
    .id = OT_APP_SMB,
    .name = "smb",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct smb_state),
    .probe = probe,
    .parse = parse,
    .close = smb_close,
};
