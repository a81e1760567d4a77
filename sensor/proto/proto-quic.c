/*
 * QUIC (RFC 9000 and 9001; version 2, RFC 9369; draft-29): the client's
 * Initial packets, one "quic" event per flow with the ClientHello's server
 * name, ALPN, JA3 and JA4 ('q' variant).
 *
 * Initial packets are protected with keys any observer derives from the
 * Destination Connection ID of the client's first Initial (RFC 9001 5.2):
 * HKDF-SHA256 with a salt per version, then header protection (AES-128-ECB
 * of a 16-byte sample) and the AEAD (AES-128-GCM, whose tag proves the keys
 * and the packet right) are removed.  CRYPTO frame data is put together by
 * offset, because a ClientHello may span several Initial packets in any
 * order (recent browsers send it so); once the handshake message is whole
 * it is read by the tls parser's ClientHello reader (tls-hello.h).
 *
 * Read: the client's datagrams (coalesced packets included), up to
 * MAX_DGRAMS of them or until the ClientHello is read.  Not read: the
 * server's Initial (ServerHello, no JA3S), every later packet type, Google
 * QUIC (its versions are not ours: the probe says no and nDPI labels such
 * flows, see docs/events/quic.md).  A packet that does not decrypt (its
 * tag fails, a Retry changed the keys without our noticing, or it is not
 * QUIC at all) is skipped; the CRYPTO data kept is bounded by CRYPTO_MAX.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"
#include "proto/quic.h"
#include "proto/tls-hello.h"

#define CRYPTO_MAX 8192 /* ClientHello bytes kept (Chrome's post-quantum one is about 1.8 KiB) */
#define MAX_DGRAMS 8    /* client datagrams read before giving up on the ClientHello */
#define PLAIN_MAX  4096 /* largest Initial packet decrypted */

enum { V1 = OT_QUIC_V1, V2 = OT_QUIC_V2 };

struct quic_state {
    uint32_t version;
    uint8_t dcid[20], dcid_len;
    bool have_keys;
    bool done;    /* the event was written, or the flow was given up */
    bool refused; /* no memory for the CRYPTO data (app.max-memory) */
    uint8_t dgrams;
    struct ot_quic_keys k;
    uint8_t *crypto;    /* CRYPTO_MAX bytes, allocated with the first CRYPTO frame */
    uint8_t *have;      /* CRYPTO_MAX / 8: which of them arrived */
    uint32_t crypto_hi; /* end of the highest byte kept */
};

static bool supported(uint32_t v)
{
    return v == V1 || v == V2 || (v >= 0xff00001du && v <= 0xff000020u);
}

/* A variable-length integer (RFC 9000 16); false when it runs past end. */
static bool varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    if (*pos >= len)
        return false;
    size_t n = (size_t)1 << (p[*pos] >> 6);
    if (len - *pos < n)
        return false;
    uint64_t x = p[*pos] & 0x3f;
    for (size_t i = 1; i < n; i++)
        x = x << 8 | p[*pos + i];
    *pos += n;
    *v = x;
    return true;
}

/* The long header up to the Length field: where the packet number starts and the packet ends. */
struct long_hdr {
    uint32_t version;
    const uint8_t *dcid;
    uint8_t dcid_len;
    bool initial;
    size_t pn_off, end; /* offsets in the datagram */
};

static bool long_header(const uint8_t *d, size_t len, size_t off, struct long_hdr *h)
{
    if (len - off < 7 || !(d[off] & 0x80))
        return false;
    h->version = ot_be32(d + off + 1);
    size_t pos = off + 5;
    h->dcid_len = d[pos++];
    if (h->dcid_len > 20 || len - pos < (size_t)h->dcid_len + 1)
        return false;
    h->dcid = d + pos;
    pos += h->dcid_len;
    size_t scil = d[pos++];
    if (scil > 20 || len - pos < scil)
        return false;
    pos += scil;
    if (!supported(h->version))
        return false;
    unsigned type = (d[off] >> 4) & 3;
    h->initial = h->version == V2 ? type == 1 : type == 0;
    if (h->version == V2 ? type == 0 : type == 3)
        return false; /* Retry: no Length, nothing of ours */
    uint64_t v;
    if (h->initial && (!varint(d, len, &pos, &v) || v > len - pos))
        return false; /* token */
    if (h->initial)
        pos += (size_t)v;
    if (!varint(d, len, &pos, &v) || v > len - pos || v < 20)
        return false;
    h->pn_off = pos;
    h->end = pos + (size_t)v;
    return true;
}

/* The client's first datagram: a long header packet of a version we read, Initial first. */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    (void)f;
    if (dir != 0 || len < 1 || (data[0] & 0xc0) != 0xc0)
        return OT_PROBE_NO;
    struct long_hdr h;
    if (!long_header(data, len, 0, &h) || !h.initial || h.dcid_len < 8)
        return OT_PROBE_NO;
    return OT_PROBE_YES;
}

/* ---- keys (RFC 9001 5.2, RFC 9369 3.3) ------------------------------------ */

/* HKDF-Expand-Label(secret, label, "", n) for n <= 32: one HMAC block. */
static void expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t n)
{
    uint8_t info[64];
    size_t ll = 6 + strlen(label), o = 0;
    info[o++] = 0;
    info[o++] = (uint8_t)n;
    info[o++] = (uint8_t)ll;
    memcpy(info + o, "tls13 ", 6);
    memcpy(info + o + 6, label, ll - 6);
    o += ll;
    info[o++] = 0; /* empty context */
    info[o++] = 1; /* HKDF-Expand: T(1) = HMAC(PRK, info | 0x01) */
    uint8_t t[OT_SHA256_LEN];
    ot_hmac_sha256(secret, 32, info, o, t);
    memcpy(out, t, n);
}

void ot_quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                          struct ot_quic_keys *k)
{
    static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                        0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
    static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                        0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
    static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2,
                                         0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61,
                                         0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
    const uint8_t *salt = version == V1 ? salt_v1 : version == V2 ? salt_v2 : salt_d29;
    uint8_t initial[OT_SHA256_LEN], client[32];
    /*
     * HKDF-Extract(salt, dcid).  HMAC-SHA-256 is core/sha256.c's: OpenSSL's
     * HMAC() looks both algorithms up again on every call, some 100,000
     * instructions for one Initial's keys.
     */
    ot_hmac_sha256(salt, 20, dcid, dcid_len, initial);
    expand_label(initial, "client in", client, 32);
    bool v2 = version == V2;
    expand_label(client, v2 ? "quicv2 key" : "quic key", k->key, 16);
    expand_label(client, v2 ? "quicv2 iv" : "quic iv", k->iv, 12);
    expand_label(client, v2 ? "quicv2 hp" : "quic hp", k->hp, 16);
}

/*
 * Remove the protection of the packet at d[off, h->end) into plain; returns
 * the plaintext length, or -1 when it does not decrypt (the AEAD tag).
 */
static int unprotect(const struct ot_quic_keys *k, const uint8_t *d, size_t off,
                     const struct long_hdr *h, uint8_t *plain)
{
    size_t pn_off = h->pn_off;
    if (h->end - pn_off < 4 + 16 || h->end - off > PLAIN_MAX)
        return -1;
    uint8_t mask[32];
    int ml = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return -1;
    bool ok = EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL) == 1 &&
              EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
              EVP_EncryptUpdate(c, mask, &ml, d + pn_off + 4, 16) == 1 && ml == 16;
    if (!ok) {
        EVP_CIPHER_CTX_free(c);
        return -1;
    }
    /* The header as the AEAD saw it: first byte and packet number unmasked. */
    uint8_t hdr[PLAIN_MAX];
    size_t hl = pn_off - off;
    memcpy(hdr, d + off, hl);
    hdr[0] ^= mask[0] & 0x0f;
    size_t pnl = (size_t)(hdr[0] & 3) + 1;
    uint64_t pn = 0;
    for (size_t i = 0; i < pnl; i++) {
        hdr[hl + i] = d[pn_off + i] ^ mask[1 + i];
        pn = pn << 8 | hdr[hl + i];
    }
    hl += pnl;
    uint8_t nonce[12];
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    const uint8_t *ct = d + pn_off + pnl;
    size_t ctl = h->end - (pn_off + pnl) - 16;
    int n = 0, fl = 0;
    ok = EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce) == 1 &&
         EVP_DecryptUpdate(c, NULL, &n, hdr, (int)hl) == 1 &&
         EVP_DecryptUpdate(c, plain, &n, ct, (int)ctl) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(ct + ctl)) == 1 &&
         EVP_DecryptFinal_ex(c, plain + n, &fl) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? n + fl : -1;
}

/* ---- frames ---------------------------------------------------------------- */

static bool crypto_data(struct quic_state *s, uint64_t off, const uint8_t *p, size_t n)
{
    if (off >= CRYPTO_MAX || n > CRYPTO_MAX - off)
        return true; /* beyond what a ClientHello we read can be: ignored */
    if (!s->crypto) {
        if (!ot_proto_mem_take(CRYPTO_MAX + CRYPTO_MAX / 8)) {
            s->refused = true; /* the parsers' memory budget is spent: give the flow up */
            return false;
        }
        s->crypto = malloc(CRYPTO_MAX);
        s->have = calloc(CRYPTO_MAX / 8, 1);
        if (!s->crypto || !s->have) {
            free(s->crypto);
            free(s->have);
            s->crypto = s->have = NULL;
            ot_proto_mem_give(CRYPTO_MAX + CRYPTO_MAX / 8);
            return false;
        }
    }
    memcpy(s->crypto + off, p, n);
    for (size_t i = (size_t)off; i < off + n; i++)
        s->have[i >> 3] |= (uint8_t)(1u << (i & 7));
    if (off + n > s->crypto_hi)
        s->crypto_hi = (uint32_t)(off + n);
    return true;
}

/* The frames of one decrypted Initial packet; false on a malformed frame (the rest is skipped). */
static bool frames(struct quic_state *s, const uint8_t *p, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        uint64_t type, a, b, c;
        if (!varint(p, len, &pos, &type))
            return false;
        switch (type) {
        case 0x00: /* PADDING */
        case 0x01: /* PING */
            break;
        case 0x02: /* ACK */
        case 0x03: {
            uint64_t ranges;
            if (!varint(p, len, &pos, &a) || !varint(p, len, &pos, &b) ||
                !varint(p, len, &pos, &ranges) || !varint(p, len, &pos, &c))
                return false;
            for (uint64_t i = 0; i < ranges; i++)
                if (!varint(p, len, &pos, &a) || !varint(p, len, &pos, &b))
                    return false;
            if (type == 0x03)
                for (int i = 0; i < 3; i++)
                    if (!varint(p, len, &pos, &a))
                        return false;
            break;
        }
        case 0x06: /* CRYPTO */
            if (!varint(p, len, &pos, &a) || !varint(p, len, &pos, &b) || b > len - pos)
                return false;
            if (!crypto_data(s, a, p + pos, (size_t)b))
                return false;
            pos += (size_t)b;
            break;
        case 0x1c: /* CONNECTION_CLOSE */
            if (!varint(p, len, &pos, &a) || !varint(p, len, &pos, &b) ||
                !varint(p, len, &pos, &c) || c > len - pos)
                return false;
            return true;
        default: /* not allowed in an Initial packet */
            return false;
        }
    }
    return true;
}

/* Bytes [0, n) of the CRYPTO stream all arrived. */
static bool have_upto(const struct quic_state *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(s->have[i >> 3] & (1u << (i & 7))))
            return false;
    return true;
}

static void version_text(uint32_t v, char out[16])
{
    static const char hx[] = "0123456789abcdef";
    if (v == V1 || v == V2) {
        out[0] = v == V1 ? '1' : '2';
        out[1] = '\0';
        return;
    }
    for (int i = 0; i < 8; i++)
        out[i] = hx[(v >> (28 - 4 * i)) & 15];
    out[8] = '\0';
}

void ot_quic_write(struct ot_proto_ctx *ctx, const struct ot_flow *f, uint32_t version,
                   const struct ot_tls_client_hello *ch, const char *ua)
{
    size_t ja3_len = strlen(ch->ja3_md5);
    struct ot_jw *w = ot_eve_begin(ctx->eve, "quic", ctx->ts_us, f, 0);
    ot_jw_obj_open(w, "quic");
    if (version) {
        char ver[16];
        version_text(version, ver);
        ot_jw_str(w, "version", ver);
    }
    if (ch->sni_len)
        ot_jw_strn(w, "sni", (const char *)ch->sni, ch->sni_len);
    if (ch->alpn_len) {
        ot_jw_arr_open(w, "alpn");
        for (size_t o = 0; o < ch->alpn_len; o += 1 + (size_t)ch->alpn[o])
            ot_jw_strn(w, NULL, (const char *)ch->alpn + o + 1, ch->alpn[o]);
        ot_jw_arr_close(w);
    }
    if (ua && ua[0])
        ot_jw_str(w, "ua", ua);
    if (ja3_len) {
        ot_jw_obj_open(w, "ja3");
        ot_jw_strn(w, "hash", ch->ja3_md5, ja3_len);
        if (ch->ja3)
            ot_jw_str(w, "string", ch->ja3);
        ot_jw_obj_close(w);
    }
    if (ch->ja4[0])
        ot_jw_str(w, "ja4", ch->ja4);
    ot_jw_obj_close(w);
    ot_eve_end(ctx->eve);

    struct ot_obs o;
    memset(&o, 0, sizeof(o));
    o.kind = OT_OBS_TLS;
    o.u.tls.sni = ot_str_make((const char *)ch->sni, ch->sni_len);
    o.u.tls.ja3 = ot_str_make(ch->ja3_md5, ja3_len);
    o.u.tls.ja4 = ot_str_make(ch->ja4, strlen(ch->ja4));
    ot_proto_observe(ctx, f, &o);
}

/* The ClientHello, once whole: read it, write the event.  Returns 0 or an error. */
static int try_hello(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct quic_state *s)
{
    if (!s->crypto || !have_upto(s, 4))
        return OT_OK;
    if (s->crypto[0] != 1) { /* not a ClientHello */
        s->done = true;
        return OT_EINVAL;
    }
    size_t n = 4 + (size_t)ot_be24(s->crypto + 1);
    if (n > CRYPTO_MAX) {
        s->done = true;
        return OT_ELIMIT;
    }
    if (!have_upto(s, n))
        return OT_OK;
    s->done = true;
    struct ot_tls_client_hello ch;
    int rc = ot_tls_client_hello_read(s->crypto + 4, n - 4, &ch);
    if (rc != OT_OK)
        return rc;
    ch.ja4[0] = ch.ja4[0] ? 'q' : '\0'; /* JA4's transport letter: QUIC */
    ot_quic_write(ctx, f, s->version, &ch, NULL);
    ot_tls_client_hello_free(&ch);
    return OT_OK;
}

static void release(struct quic_state *s)
{
    if (s->crypto)
        ot_proto_mem_give(CRYPTO_MAX + CRYPTO_MAX / 8);
    free(s->crypto);
    free(s->have);
    s->crypto = s->have = NULL;
}

int ot_quic_initial_frames(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state,
                           uint32_t version, const uint8_t *plain, size_t len)
{
    struct quic_state *s = state;
    if (s->done)
        return OT_OK;
    s->version = version;
    frames(s, plain, len);
    if (s->refused) {
        s->done = true;
        release(s);
        return OT_ELIMIT;
    }
    int rc = try_hello(ctx, f, s);
    if (s->done)
        release(s);
    return rc;
}

/* The flow's Initial keys from now on: those of packet h's version and DCID. */
static void adopt_keys(struct quic_state *s, const struct long_hdr *h, const struct ot_quic_keys *k)
{
    s->k = *k;
    s->version = h->version;
    s->dcid_len = h->dcid_len;
    memcpy(s->dcid, h->dcid, h->dcid_len);
    s->have_keys = true;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct quic_state *s = state;
    (void)flags;
    if (s->done || dir != 0 || !data || len == 0)
        return OT_OK;
    if (++s->dgrams > MAX_DGRAMS) {
        s->done = true;
        release(s);
        return OT_OK;
    }
    uint8_t plain[PLAIN_MAX];
    for (size_t off = 0; off < len && !s->done;) {
        struct long_hdr h;
        if (!long_header(data, len, off, &h))
            break; /* a short header packet (1-RTT), or not ours: the rest of the datagram too */
        if (h.initial) {
            struct ot_quic_keys k;
            if (!s->have_keys) {
                ot_quic_initial_keys(h.version, h.dcid, h.dcid_len, &k);
                adopt_keys(s, &h, &k);
            }
            int n = s->have_keys ? unprotect(&s->k, data, off, &h, plain) : -1;
            if (n < 0 && (h.dcid_len != s->dcid_len || memcmp(h.dcid, s->dcid, h.dcid_len))) {
                /* After a Retry: keys from the client's new DCID. */
                ot_quic_initial_keys(h.version, h.dcid, h.dcid_len, &k);
                if ((n = unprotect(&k, data, off, &h, plain)) >= 0)
                    adopt_keys(s, &h, &k);
            }
            if (n >= 0) {
                int rc = ot_quic_initial_frames(ctx, f, s, s->version, plain, (size_t)n);
                if (rc != OT_OK)
                    return rc;
            }
        }
        off = h.end;
    }
    return OT_OK;
}

static void quic_close(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    (void)ctx;
    (void)f;
    release(state);
}

const struct ot_proto_parser ot_proto_quic = {
    .id = OT_APP_QUIC,
    .name = "quic",
    .transports = OT_PROTO_UDP,
    .state_size = sizeof(struct quic_state),
    .probe = probe,
    .parse = parse,
    .close = quic_close,
};
