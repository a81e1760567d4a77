/*
 * TLS (SSLv3 to TLS 1.3): the clear part of the handshake, one "tls" event
 * per flow.
 *
 * Each direction runs two small layers over the stream: records (5-byte
 * header, body up to 2^14 + 2048 bytes) and, inside handshake records,
 * handshake messages (4-byte header, 24-bit length), which may span records
 * and chunks.  Only the messages we read are kept: the first ClientHello,
 * the ServerHello (and a HelloRetryRequest), and the server's Certificate.
 * A message that lies whole inside one chunk and one record is parsed in
 * place; one that spans is collected in a buffer bounded by
 * conf->max_buffer (a larger one is counted as an error, OT_ELIMIT).
 *
 * The event is written when the handshake is as complete as it will get in
 * clear: after the server's Certificate (TLS <= 1.2), after the ServerHello
 * (TLS 1.3: certificates are encrypted), when the server moves on without a
 * certificate (resumption, anonymous or PSK suites), when the server's
 * direction ends (ChangeCipherSpec, application data, lost bytes), or at
 * close() when only part was seen.  After that nothing more is read.
 *
 * Lost bytes (OT_DATA_GAP) inside the body of a message we skip anyway are
 * absorbed; otherwise the direction must restart on a record boundary (the
 * next chunk must begin like a record header) or it is abandoned politely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"
#include "proto/tls-cert.h"
#include "core/sha1.h"
#include "proto/tls-fingerprint.h"
#include "proto/tls-hello.h"

#define REC_HDR_LEN 5
#define HS_HDR_LEN  4
#define REC_MAX     (16384 + 2048) /* TLSCiphertext.length bound (RFC 5246 6.2.3) */
#define SNI_MAX     255            /* a DNS name is at most 253 bytes */
#define ALPN_MAX    256            /* client ALPN list kept for the event (whole names) */

enum {
    CT_CCS = 20,
    CT_ALERT = 21,
    CT_HANDSHAKE = 22,
    CT_APPDATA = 23,
    CT_HEARTBEAT = 24,
};

enum {
    HS_CLIENT_HELLO = 1,
    HS_SERVER_HELLO = 2,
    HS_CERTIFICATE = 11,
};

enum {
    EXT_SNI = 0x0000,
    EXT_GROUPS = 0x000a,
    EXT_POINT_FORMATS = 0x000b,
    EXT_SIGALGS = 0x000d,
    EXT_ALPN = 0x0010,
    EXT_SUPPORTED_VERSIONS = 0x002b,
};

/* ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

struct tls_dir {
    struct ot_pbuf buf; /* a kept handshake message that spans records or chunks */
    uint32_t rec_left;  /* body bytes of the current record still to come */
    uint32_t hs_left;   /* body bytes of the current handshake message still to come */
    uint8_t hdr[REC_HDR_LEN];
    uint8_t hdr_len; /* record header bytes collected across chunks */
    uint8_t rec_type;
    uint8_t hs_hdr[HS_HDR_LEN];
    uint8_t hs_hdr_len; /* handshake header bytes collected across records */
    uint8_t hs_type;
    bool in_msg;  /* inside a handshake message body */
    bool keep;    /* that message is parsed (collected when it spans) */
    bool done;    /* nothing more is read in this direction */
    bool resync;  /* bytes were lost: the next chunk must start a record */
    bool started; /* a record header was read in this direction */
};

struct tls_state {
    struct tls_dir d[2];
    char *ja3, *ja3s; /* owned strings */
    char ja3_md5[OT_TLS_MD5_HEX_SIZE];
    char ja3s_md5[OT_TLS_MD5_HEX_SIZE];
    char ja4[OT_TLS_JA4_SIZE];
    uint16_t client_version; /* ClientHello.legacy_version */
    uint16_t version;        /* negotiated: supported_versions, else ServerHello.legacy_version */
    uint16_t cipher;
    uint16_t sni_len, alpn_len;
    uint8_t salpn_len, sid_len;
    bool client_hello; /* the first ClientHello was parsed */
    bool server_hello; /* a ServerHello (or HelloRetryRequest) was parsed */
    bool hrr;          /* the last one was a HelloRetryRequest: the real one follows */
    bool tls13;        /* TLS 1.3 (or a draft) was chosen: the rest is encrypted */
    bool resumed;
    bool emitted;
    bool client_cert; /* the client's Certificate was read */
    uint8_t sid[32];  /* client session id, to tell a resumed session */
    uint8_t sni[SNI_MAX];
    uint8_t alpn[ALPN_MAX]; /* client ALPN names in wire form (length-prefixed) */
    uint8_t salpn[255];
};

/* The usual suites by IANA name; others are printed as "0x%04x". */
static const struct {
    uint16_t id;
    const char *name;
} cipher_names[] = {
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
};

static const char *cipher_name(uint16_t id, char tmp[8])
{
    for (size_t i = 0; i < OT_ARRAY_SIZE(cipher_names); i++)
        if (cipher_names[i].id == id)
            return cipher_names[i].name;
    snprintf(tmp, 8, "0x%04x", id);
    return tmp;
}

static bool is_tls13(uint16_t v)
{
    return v == 0x0304 || (v >> 8) == 0x7f || (v >> 8) == 0xfb;
}

/* Versions as Suricata prints them (SSLVersionToString). */
static const char *version_name(uint16_t v, char tmp[24])
{
    switch (v) {
    case 0:
        return "UNDETERMINED";
    case 0x0200:
        return "SSLv2";
    case 0x0300:
        return "SSLv3";
    case 0x0301:
        return "TLSv1";
    case 0x0302:
        return "TLS 1.1";
    case 0x0303:
        return "TLS 1.2";
    case 0x0304:
        return "TLS 1.3";
    default:
        break;
    }
    if (v >= 0x7f10 && v <= 0x7f1c)
        snprintf(tmp, 24, "TLS 1.3 draft-%u", v & 0xffu);
    else if (v >= 0x7f01 && v < 0x7f10)
        snprintf(tmp, 24, "TLS 1.3 draft-<16");
    else if (v == 0xfb14 || v == 0xfb15 || v == 0xfb16 || v == 0xfb17 || v == 0xfb1a)
        snprintf(tmp, 24, "TLS 1.3 draft-%u-fb", v & 0xffu);
    else
        snprintf(tmp, 24, "0x%04x", v);
    return tmp;
}

/*
 * A TLS handshake record header: type 22, version 3.0-3.4, a sane length,
 * then (when present) handshake type 1 from the client or 2 from the server
 * and a hello whose version major is 3.  Every byte present must fit.
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (len < 1 || data[0] != CT_HANDSHAKE)
        return OT_PROBE_NO;
    if (len >= 2 && data[1] != 3)
        return OT_PROBE_NO;
    if (len >= 3 && data[2] > 4)
        return OT_PROBE_NO;
    if (len >= 5) {
        uint16_t rl = ot_be16(data + 3);
        if (rl < HS_HDR_LEN || rl > REC_MAX)
            return OT_PROBE_NO;
    }
    if (len >= 6 && data[5] != (dir == 0 ? HS_CLIENT_HELLO : HS_SERVER_HELLO))
        return OT_PROBE_NO;
    if (len >= 10 && data[9] != 3)
        return OT_PROBE_NO;
    /* The dispatcher holds the first bytes until the hello's type is there. */
    return len >= 6 ? OT_PROBE_YES : OT_PROBE_MORE;
}

/* ---- ClientHello ------------------------------------------------------ */

static void client_sni(struct tls_state *s, const uint8_t *v, size_t l)
{
    if (l < 2)
        return;
    size_t end = 2 + OT_MIN((size_t)ot_be16(v), l - 2);
    for (size_t o = 2; o + 3 <= end;) {
        uint8_t type = v[o];
        size_t nl = ot_be16(v + o + 1);
        if (nl > end - o - 3)
            return;
        if (type == 0) {
            s->sni_len = (uint16_t)OT_MIN(nl, (size_t)SNI_MAX);
            memcpy(s->sni, v + o + 3, s->sni_len);
            return;
        }
        o += 3 + nl;
    }
}

static void client_alpn(struct tls_state *s, struct ot_tls_hello *h, const uint8_t *v, size_t l)
{
    if (l < 2)
        return;
    size_t end = 2 + OT_MIN((size_t)ot_be16(v), l - 2);
    for (size_t o = 2; o < end;) {
        size_t nl = v[o];
        if (nl > end - o - 1)
            return;
        if (!h->alpn0) {
            h->alpn0 = v + o + 1;
            h->alpn0_len = nl;
        }
        if (s->alpn_len + 1 + nl <= ALPN_MAX) {
            memcpy(s->alpn + s->alpn_len, v + o, 1 + nl);
            s->alpn_len = (uint16_t)(s->alpn_len + 1 + nl);
        }
        o += 1 + nl;
    }
}

/* A vector of 16-bit values with a 2-byte length; odd or overlong lengths are cut. */
static void u16_vector(const uint8_t *v, size_t l, const uint8_t **out, size_t *n)
{
    if (*out || l < 2)
        return;
    *out = v + 2;
    *n = OT_MIN((size_t)ot_be16(v), l - 2) / 2;
}

static int client_extensions(struct tls_state *s, struct ot_tls_hello *h)
{
    const uint8_t *e = h->exts;
    size_t n = h->exts_len;
    bool versions = false;
    for (size_t off = 0; off < n;) {
        if (n - off < 4)
            return OT_EINVAL;
        uint16_t type = ot_be16(e + off);
        size_t l = ot_be16(e + off + 2);
        const uint8_t *v = e + off + 4;
        if (l > n - off - 4)
            return OT_EINVAL;
        switch (type) {
        case EXT_SNI:
            if (!h->has_sni)
                client_sni(s, v, l);
            h->has_sni = true;
            break;
        case EXT_GROUPS:
            u16_vector(v, l, &h->groups, &h->n_groups);
            break;
        case EXT_SIGALGS:
            u16_vector(v, l, &h->sigalgs, &h->n_sigalgs);
            break;
        case EXT_POINT_FORMATS:
            if (!h->point_formats && l >= 1) {
                h->point_formats = v + 1;
                h->n_point_formats = OT_MIN((size_t)v[0], l - 1);
            }
            break;
        case EXT_ALPN:
            if (!h->alpn0)
                client_alpn(s, h, v, l);
            break;
        case EXT_SUPPORTED_VERSIONS:
            if (!versions && l >= 1) {
                size_t vl = OT_MIN((size_t)v[0], l - 1);
                for (size_t i = 0; i + 2 <= vl; i += 2) {
                    uint16_t ver = ot_be16(v + 1 + i);
                    if (!ot_tls_is_grease(ver) && ver > h->max_version)
                        h->max_version = ver;
                }
            }
            versions = true;
            break;
        default:
            break;
        }
        off += 4 + l;
    }
    return OT_OK;
}

static int client_hello(struct tls_state *s, const uint8_t *b, size_t n)
{
    struct ot_tls_hello h;
    memset(&h, 0, sizeof(h));
    /* legacy_version(2) random(32) session_id<0..32> cipher_suites<2..> compression<1..> */
    if (n < 35)
        return OT_EINVAL;
    h.version = ot_be16(b);
    size_t o = 34;
    size_t sl = b[o++];
    if (sl > 32 || sl > n - o)
        return OT_EINVAL;
    memcpy(s->sid, b + o, sl);
    s->sid_len = (uint8_t)sl;
    o += sl;
    if (n - o < 2)
        return OT_EINVAL;
    size_t cl = ot_be16(b + o);
    o += 2;
    if ((cl & 1) || cl > n - o)
        return OT_EINVAL;
    h.ciphers = b + o;
    h.n_ciphers = cl / 2;
    o += cl;
    if (n - o < 1)
        return OT_EINVAL;
    size_t ml = b[o++];
    if (ml > n - o)
        return OT_EINVAL;
    o += ml;
    if (n - o >= 2) {
        size_t el = ot_be16(b + o);
        o += 2;
        if (el > n - o)
            return OT_EINVAL;
        h.exts = b + o;
        h.exts_len = el;
        int rc = client_extensions(s, &h);
        if (rc < 0)
            return rc;
    }
    s->client_version = h.version;
    s->client_hello = true;
    int rc = ot_tls_ja3(&h, &s->ja3, s->ja3_md5);
    if (rc < 0)
        return rc;
    return ot_tls_ja4(&h, s->ja4);
}

int ot_tls_client_hello_read(const uint8_t *body, size_t len, struct ot_tls_client_hello *out)
{
    memset(out, 0, sizeof(*out));
    struct tls_state *s = calloc(1, sizeof(*s));
    if (!s)
        return OT_ENOMEM;
    int rc = client_hello(s, body, len);
    if (rc == OT_OK) {
        _Static_assert(sizeof(out->sni) >= SNI_MAX && sizeof(out->alpn) >= ALPN_MAX,
                       "ot_tls_client_hello holds what the tls parser keeps");
        memcpy(out->sni, s->sni, s->sni_len);
        out->sni_len = s->sni_len;
        memcpy(out->alpn, s->alpn, s->alpn_len);
        out->alpn_len = s->alpn_len;
        out->ja3 = s->ja3;
        s->ja3 = NULL;
        memcpy(out->ja3_md5, s->ja3_md5, sizeof(out->ja3_md5));
        memcpy(out->ja4, s->ja4, sizeof(out->ja4));
    }
    free(s->ja3);
    free(s);
    return rc;
}

void ot_tls_client_hello_free(struct ot_tls_client_hello *ch)
{
    free(ch->ja3);
    ch->ja3 = NULL;
}

/* ---- ServerHello ------------------------------------------------------ */

static int server_hello(struct tls_state *s, const uint8_t *b, size_t n)
{
    /*
     * legacy_version(2) random(32) session_id<0..32> cipher(2) compression(1)
     * [extensions]; TLS 1.3 drafts before 22 (version 0x7fxx, or 0x0304 for
     * the earliest, here) had neither session id nor compression.
     */
    if (n < 36)
        return OT_EINVAL;
    uint16_t legacy = ot_be16(b);
    bool hrr = memcmp(b + 2, hrr_random, sizeof(hrr_random)) == 0;
    bool draft = legacy == 0x0304 || (legacy >> 8) == 0x7f;
    size_t o = 34, sl = 0;
    if (!draft) {
        sl = b[o++];
        if (sl > 32 || n - o < sl + 3)
            return OT_EINVAL;
    }
    const uint8_t *sid = b + o;
    o += sl;
    uint16_t cipher = ot_be16(b + o);
    o += draft ? 2 : 3;
    const uint8_t *exts = NULL;
    size_t el = 0;
    if (n - o >= 2) {
        el = ot_be16(b + o);
        o += 2;
        if (el > n - o)
            return OT_EINVAL;
        exts = b + o;
    }
    uint16_t selected = 0;
    for (size_t off = 0; off < el;) {
        if (el - off < 4)
            return OT_EINVAL;
        uint16_t type = ot_be16(exts + off);
        size_t l = ot_be16(exts + off + 2);
        const uint8_t *v = exts + off + 4;
        if (l > el - off - 4)
            return OT_EINVAL;
        if (type == EXT_SUPPORTED_VERSIONS && l == 2) {
            selected = ot_be16(v);
        } else if (type == EXT_ALPN && l >= 3 && (size_t)v[2] + 3 <= l) {
            s->salpn_len = v[2];
            memcpy(s->salpn, v + 3, v[2]);
        }
        off += 4 + l;
    }
    free(s->ja3s);
    int rc = ot_tls_ja3s(legacy, cipher, exts, el, &s->ja3s, s->ja3s_md5);
    if (rc < 0)
        return rc;
    /* Suricata's reading: 0x0304 in the legacy field means a draft before 16. */
    if (selected)
        s->version = selected;
    else
        s->version = legacy == 0x0304 ? 0x7f01 : legacy;
    s->cipher = cipher;
    s->tls13 = is_tls13(s->version);
    s->server_hello = true;
    s->hrr = hrr;
    if (!s->tls13 && s->sid_len && sl == s->sid_len && memcmp(sid, s->sid, sl) == 0)
        s->resumed = true;
    return OT_OK;
}

/* ---- the event -------------------------------------------------------- */

/*
 * Tell the detection stage what the handshake showed (SNI, JA3/JA4, and the
 * first certificate's SHA-1 when `cert_sha1` is not NULL).
 */
static void observe(struct ot_proto_ctx *ctx, const struct ot_flow *f, const struct tls_state *s,
                    const uint8_t *cert_sha1, const struct ot_tls_cert *cert)
{
    struct ot_obs o = {.kind = OT_OBS_TLS, .dir = 0};
    o.u.tls.sni = ot_str_make((const char *)s->sni, s->sni_len);
    if (s->ja3)
        o.u.tls.ja3 = ot_str_make(s->ja3_md5, strlen(s->ja3_md5));
    if (s->ja3s)
        o.u.tls.ja3s = ot_str_make(s->ja3s_md5, strlen(s->ja3s_md5));
    o.u.tls.ja4 = ot_str_make(s->ja4, strlen(s->ja4));
    char hex[41];
    if (cert_sha1) {
        for (int i = 0; i < 20; i++) {
            hex[2 * i] = "0123456789abcdef"[cert_sha1[i] >> 4];
            hex[2 * i + 1] = "0123456789abcdef"[cert_sha1[i] & 15];
        }
        o.u.tls.cert_sha1 = ot_str_make(hex, 40);
        if (cert->ok) {
            o.u.tls.cert_subject = ot_str_make(cert->subject, cert->subject_len);
            o.u.tls.cert_issuer = ot_str_make(cert->issuer, cert->issuer_len);
        }
    }
    ot_proto_observe(ctx, f, &o);
}

/*
 * The first certificate of a Certificate message body (TLS <= 1.2:
 * certificate_list<0..2^24-1> of 3-byte lengths and DER), when its lengths
 * hold; false otherwise.
 */
static bool first_cert(const uint8_t *body, size_t len, const uint8_t **cert, size_t *cert_len)
{
    if (len < 6)
        return false;
    size_t list = ot_be24(body), cl = ot_be24(body + 3);
    if (list < 3 || list > len - 3 || cl == 0 || cl > list - 3)
        return false;
    *cert = body + 6;
    *cert_len = cl;
    return true;
}

/*
 * Writes the event.  `chain` is the server's Certificate message body (or
 * NULL): its first certificate is described and its entries counted.
 * Returns OT_EINVAL when the chain was malformed (the event is written anyway).
 */
static int emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s,
                const uint8_t *chain, size_t chain_len)
{
    int rc = OT_OK;
    char tmp[24];
    s->emitted = true;
    s->d[0].done = s->d[1].done = true;

    /* The first certificate is hashed and decoded once, for the event and the detectors. */
    const uint8_t *cert = NULL;
    size_t cert_len = 0;
    uint8_t cert_sha1[20];
    struct ot_tls_cert parsed;
    parsed.ok = false;
    if (chain && first_cert(chain, chain_len, &cert, &cert_len)) {
        ot_sha1(cert, cert_len, cert_sha1);
        (void)ot_tls_cert_parse(cert, cert_len, &parsed); /* parsed.ok says */
    }
    if (ctx->sink)
        observe(ctx, f, s, cert ? cert_sha1 : NULL, &parsed);
    struct ot_jw *w = ot_eve_begin(ctx->eve, "tls", ctx->ts_us, f, 0);
    ot_jw_obj_open(w, "tls");
    if (s->sni_len)
        ot_jw_strn(w, "sni", s->sni, s->sni_len);
    ot_jw_str(w, "version", version_name(s->server_hello ? s->version : 0, tmp));
    if (chain) {
        /* certificate_list<0..2^24-1>: entries of a 3-byte length and the DER. */
        size_t list = chain_len >= 3 ? ot_be24(chain) : 0;
        if (chain_len < 3 || list > chain_len - 3) {
            rc = OT_EINVAL;
            list = 0;
        }
        const uint8_t *p = chain + 3;
        uint64_t count = 0;
        for (size_t o = 0; o < list;) {
            if (list - o < 3) {
                rc = OT_EINVAL;
                break;
            }
            size_t cl = ot_be24(p + o);
            if (cl > list - o - 3) {
                rc = OT_EINVAL;
                break;
            }
            if (count == 0 && cert == p + o + 3)
                ot_tls_cert_write_parsed(w, &parsed, cert, cl, cert_sha1);
            else if (count == 0)
                ot_tls_cert_write(w, p + o + 3, cl);
            count++;
            o += 3 + cl;
        }
        ot_jw_u64(w, "chain_length", count);
    }
    if (s->resumed)
        ot_jw_bool(w, "session_resumed", true);
    if (s->ja3) {
        ot_jw_obj_open(w, "ja3");
        ot_jw_str(w, "hash", s->ja3_md5);
        ot_jw_str(w, "string", s->ja3);
        ot_jw_obj_close(w);
    }
    if (s->ja3s) {
        ot_jw_obj_open(w, "ja3s");
        ot_jw_str(w, "hash", s->ja3s_md5);
        ot_jw_str(w, "string", s->ja3s);
        ot_jw_obj_close(w);
    }
    if (s->ja4[0])
        ot_jw_str(w, "ja4", s->ja4);
    if (s->alpn_len) {
        ot_jw_arr_open(w, "client_alpns");
        for (size_t o = 0; o < s->alpn_len; o += 1 + (size_t)s->alpn[o])
            ot_jw_strn(w, NULL, s->alpn + o + 1, s->alpn[o]);
        ot_jw_arr_close(w);
    }
    if (s->salpn_len)
        ot_jw_strn(w, "server_alpn", s->salpn, s->salpn_len);
    if (s->server_hello) {
        ot_jw_str(w, "cipher_suite", cipher_name(s->cipher, tmp));
        ot_jw_u64(w, "cipher_suite_id", s->cipher);
    }
    if (s->client_hello)
        ot_jw_str(w, "client_version", version_name(s->client_version, tmp));
    ot_jw_obj_close(w);
    ot_eve_end(ctx->eve);
    return rc;
}

/* A direction ends: once the server's does, there is nothing more to learn. */
static int dir_done(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s, int dir)
{
    s->d[dir].done = true;
    if (dir == 1 && !s->emitted && (s->client_hello || s->server_hello))
        return emit(ctx, f, s, NULL, 0);
    return OT_OK;
}

/* ---- handshake and record layers --------------------------------------- */

/*
 * The client's Certificate message (mutual TLS, read while the handshake is
 * still in clear): its first certificate's names go to the detectors (AnyDesk
 * peers show their self-signed "CN=AnyDesk Client" certificate from either
 * side).  Not in the event; a malformed one is ignored.
 */
static int client_certificate(struct ot_proto_ctx *ctx, const struct ot_flow *f,
                              struct tls_state *s, const uint8_t *body, size_t len)
{
    s->client_cert = true;
    const uint8_t *cert;
    size_t cl;
    if (!ctx->sink || !first_cert(body, len, &cert, &cl))
        return OT_OK;
    struct ot_tls_cert c;
    if (ot_tls_cert_parse(cert, cl, &c) != OT_OK)
        return OT_OK;
    struct ot_obs o = {.kind = OT_OBS_TLS_CLIENT_CERT, .dir = 0};
    o.u.tls.cert_subject = ot_str_make(c.subject, c.subject_len);
    o.u.tls.cert_issuer = ot_str_make(c.issuer, c.issuer_len);
    ot_proto_observe(ctx, f, &o);
    return OT_OK;
}

/* A whole handshake message we chose to keep. */
static int message(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s, int dir,
                   uint8_t type, const uint8_t *body, size_t len)
{
    if (dir == 0 && type == HS_CERTIFICATE)
        return client_certificate(ctx, f, s, body, len);
    if (dir == 0)
        return client_hello(s, body, len);
    if (type == HS_SERVER_HELLO) {
        int rc = server_hello(s, body, len);
        if (rc < 0)
            return rc;
        if (s->tls13 && !s->hrr)
            return emit(ctx, f, s, NULL, 0);
        return OT_OK;
    }
    return emit(ctx, f, s, body, len);
}

/* A handshake message header: decide whether to keep its body. */
static int message_start(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s,
                         int dir, uint8_t type, uint32_t len)
{
    struct tls_dir *d = &s->d[dir];
    d->hs_type = type;
    d->hs_left = len;
    d->keep = false;
    if (dir == 0 && type == HS_CERTIFICATE) {
        /* For the detectors only (never an error): see client_certificate(). */
        d->keep = ctx->sink && !s->client_cert && len <= ctx->conf->max_buffer;
    } else if (dir == 0) {
        d->keep = type == HS_CLIENT_HELLO && !s->client_hello;
    } else if (type == HS_SERVER_HELLO) {
        d->keep = true;
    } else if (type == HS_CERTIFICATE && !s->tls13) {
        d->keep = true;
    } else if (s->server_hello && !s->tls13) {
        /* Past the ServerHello with no certificate: nothing more will come in clear. */
        return emit(ctx, f, s, NULL, 0);
    }
    if (d->keep && len > ctx->conf->max_buffer) {
        d->keep = false;
        if (dir == 1)
            emit(ctx, f, s, NULL, 0);
        return OT_ELIMIT;
    }
    return OT_OK;
}

/* `n` bytes of handshake records' content in direction `dir`. */
static int handshake(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s,
                     int dir, const uint8_t *p, size_t n)
{
    struct tls_dir *d = &s->d[dir];
    int rc;
    while (n > 0 && !d->done) {
        if (!d->in_msg) {
            const uint8_t *h;
            if (d->hs_hdr_len == 0 && n >= HS_HDR_LEN) {
                h = p;
                p += HS_HDR_LEN;
                n -= HS_HDR_LEN;
            } else {
                size_t take = OT_MIN(n, (size_t)(HS_HDR_LEN - d->hs_hdr_len));
                memcpy(d->hs_hdr + d->hs_hdr_len, p, take);
                d->hs_hdr_len = (uint8_t)(d->hs_hdr_len + take);
                p += take;
                n -= take;
                if (d->hs_hdr_len < HS_HDR_LEN)
                    return OT_OK;
                h = d->hs_hdr;
                d->hs_hdr_len = 0;
            }
            rc = message_start(ctx, f, s, dir, h[0], ot_be24(h + 1));
            if (rc < 0 || d->done)
                return rc;
            if (d->hs_left == 0) {
                /* An empty message: only HelloRequest and ServerHelloDone may be. */
                if (d->keep && (rc = message(ctx, f, s, dir, d->hs_type, NULL, 0)) < 0)
                    return rc;
                continue;
            }
            d->in_msg = true;
            continue;
        }
        size_t take = OT_MIN(n, (size_t)d->hs_left);
        if (d->keep) {
            if (d->buf.len == 0 && take == d->hs_left) {
                rc = message(ctx, f, s, dir, d->hs_type, p, take);
            } else {
                rc = ot_pbuf_append(&d->buf, p, take, ctx->conf->max_buffer);
                if (rc == OT_OK && take == d->hs_left) {
                    rc = message(ctx, f, s, dir, d->hs_type, d->buf.data, d->buf.len);
                    d->buf.len = 0;
                }
            }
            if (rc < 0)
                return rc;
        }
        p += take;
        n -= take;
        d->hs_left -= (uint32_t)take;
        if (d->hs_left == 0)
            d->in_msg = false;
    }
    return OT_OK;
}

static bool record_header_ok(const uint8_t *h)
{
    return h[0] >= CT_CCS && h[0] <= CT_HEARTBEAT && h[1] == 3 && h[2] <= 4 &&
           ot_be16(h + 3) <= REC_MAX;
}

/*
 * An SSLv2 record header (2-byte form) holding a CLIENT-HELLO, as old
 * clients send to reach SSLv3/TLS servers: length, msg type 1, version.
 */
static bool sslv2_client_hello(const uint8_t *h)
{
    size_t len = (size_t)(h[0] & 0x7f) << 8 | h[1];
    return (h[0] & 0x80) && h[2] == HS_CLIENT_HELLO && (h[3] == 0 || h[3] == 3) && len > 3;
}

static int records(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s, int dir,
                   const uint8_t *p, size_t n)
{
    struct tls_dir *d = &s->d[dir];
    while (n > 0 && !d->done) {
        if (d->rec_left == 0) {
            const uint8_t *h;
            if (d->hdr_len == 0 && n >= REC_HDR_LEN) {
                h = p;
                p += REC_HDR_LEN;
                n -= REC_HDR_LEN;
            } else {
                size_t take = OT_MIN(n, (size_t)(REC_HDR_LEN - d->hdr_len));
                memcpy(d->hdr + d->hdr_len, p, take);
                d->hdr_len = (uint8_t)(d->hdr_len + take);
                p += take;
                n -= take;
                if (d->hdr_len < REC_HDR_LEN)
                    return OT_OK;
                h = d->hdr;
                d->hdr_len = 0;
            }
            if (!d->started && sslv2_client_hello(h)) {
                /* An SSLv2-format hello offering SSLv3/TLS: skipped, not described. */
                d->started = true;
                d->rec_type = 0;
                d->rec_left = (uint32_t)(((h[0] & 0x7f) << 8 | h[1]) - 3);
                continue;
            }
            if (!record_header_ok(h)) {
                /*
                 * The flow was recognised by the other side's first bytes:
                 * this side not being TLS at all ends it, politely.
                 */
                if (!d->started)
                    return dir_done(ctx, f, s, dir);
                return OT_EINVAL;
            }
            d->started = true;
            d->rec_type = h[0];
            d->rec_left = ot_be16(h + 3);
            /*
             * Encrypted from here on.  A TLS 1.3 server's ChangeCipherSpec
             * after a HelloRetryRequest is only for middleboxes: the real
             * ServerHello still follows in clear.
             */
            if (d->rec_type == CT_APPDATA || (d->rec_type == CT_CCS && !(dir == 1 && s->tls13)))
                return dir_done(ctx, f, s, dir);
            continue;
        }
        size_t take = OT_MIN(n, (size_t)d->rec_left);
        if (d->rec_type == CT_HANDSHAKE) {
            int rc = handshake(ctx, f, s, dir, p, take);
            if (rc < 0 || d->done)
                return rc;
        }
        p += take;
        n -= take;
        d->rec_left -= (uint32_t)take;
    }
    return OT_OK;
}

/*
 * `lost` bytes are missing (SIZE_MAX: unknown).  Inside a record body that we
 * skip anyway they are simply skipped; otherwise the position is lost.
 */
static int gap(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s, int dir,
               size_t lost)
{
    struct tls_dir *d = &s->d[dir];
    if (lost != SIZE_MAX && d->hdr_len == 0 && lost <= d->rec_left) {
        if (d->rec_type != CT_HANDSHAKE) {
            d->rec_left -= (uint32_t)lost;
            return OT_OK;
        }
        if (d->in_msg && !d->keep && lost <= d->hs_left) {
            d->rec_left -= (uint32_t)lost;
            d->hs_left -= (uint32_t)lost;
            if (d->hs_left == 0)
                d->in_msg = false;
            return OT_OK;
        }
    }
    if (d->in_msg && d->keep) /* a message we needed is gone */
        return dir_done(ctx, f, s, dir);
    d->hdr_len = d->hs_hdr_len = 0;
    d->rec_left = d->hs_left = 0;
    d->in_msg = d->keep = false;
    d->buf.len = 0;
    d->resync = true;
    return OT_OK;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct tls_state *s = state;
    struct tls_dir *d = &s->d[dir & 1];
    int rc = OT_OK;
    dir &= 1;
    if (s->emitted || d->done)
        return OT_OK;
    if (flags & OT_DATA_GAP) {
        rc = gap(ctx, f, s, dir, data ? SIZE_MAX : len);
        if (rc < 0 || d->done || !data)
            goto out;
    }
    if (!data || len == 0)
        return OT_OK;
    if (d->resync) {
        /* Start again only where a record plainly starts. */
        if (len < REC_HDR_LEN || !record_header_ok(data)) {
            rc = dir_done(ctx, f, s, dir);
            goto out;
        }
        d->resync = false;
    }
    rc = records(ctx, f, s, dir, data, len);
out:
    if (d->done) {
        ot_pbuf_free(&d->buf);
        if (s->emitted)
            ot_pbuf_free(&s->d[dir ^ 1].buf);
    }
    return rc;
}

static void tls_close(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct tls_state *s = state;
    if (!s->emitted && (s->client_hello || s->server_hello))
        emit(ctx, f, s, NULL, 0);
    ot_pbuf_free(&s->d[0].buf);
    ot_pbuf_free(&s->d[1].buf);
    free(s->ja3);
    free(s->ja3s);
    s->ja3 = s->ja3s = NULL;
}

const struct ot_proto_parser ot_proto_tls = {
    .id = OT_APP_TLS,
    .name = "tls",
    .transports = OT_PROTO_TCP,
    .state_size = sizeof(struct tls_state),
    .probe = probe,
    .parse = parse,
    .close = tls_close,
};
