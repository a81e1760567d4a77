/*
 * TLS (SSLv3 to TLS 1.3) and the clear part of SSL 2.0: one "tls" event per
 * flow.
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
 * SSL 2.0 records (2-byte header with the high bit set, or 3-byte header
 * with a padding count) carry one message each, read whole: the client's
 * CLIENT-HELLO (an SSLv2 client, or an SSLv3/TLS client sending the
 * v2-compatible hello), the server's SERVER-HELLO with its certificate, and
 * the client's CLIENT-MASTER-KEY, which names the cipher; everything after
 * those is encrypted.  A server that answers a v2-format hello with a TLS
 * ServerHello is read as TLS from there on (see the SSL 2.0 sections below).
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

/* d->rec_type of an SSL 2.0 record (not a TLS content type). */
#define REC_V2 0x80

/* SSL 2.0 message types (the first byte of a record's data). */
enum {
    V2_ERROR = 0,
    V2_CLIENT_HELLO = 1,
    V2_CLIENT_MASTER_KEY = 2,
    V2_SERVER_HELLO = 4,
};

#define V2_VERSION   0x0002 /* SSL 2.0 on the wire */
#define V2_CERT_X509 1      /* SERVER-HELLO certificate type */

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
    uint8_t hdr_len;  /* record header bytes collected across chunks */
    uint8_t hdr_need; /* the size of that header: 5, or 2 or 3 (SSL 2.0) */
    uint8_t rec_type;
    uint8_t hs_hdr[HS_HDR_LEN];
    uint8_t hs_hdr_len; /* handshake header bytes collected across records */
    uint8_t hs_type;
    uint8_t pad;  /* padding bytes at the end of the current SSL 2.0 record */
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
    struct ot_pbuf v2_cert;  /* SSL 2.0: the SERVER-HELLO's certificate, kept for the event */
    uint16_t client_version; /* ClientHello.legacy_version (SSL 2.0: 0x0200) */
    uint16_t version;        /* negotiated: supported_versions, else ServerHello.legacy_version */
    uint32_t cipher;         /* TLS cipher suite, or SSL 2.0 cipher kind (24 bits) */
    uint16_t sni_len, alpn_len;
    uint8_t salpn_len, sid_len;
    bool client_hello; /* the first ClientHello was parsed */
    bool server_hello; /* a ServerHello (or HelloRetryRequest) was parsed */
    bool hrr;          /* the last one was a HelloRetryRequest: the real one follows */
    bool tls13;        /* TLS 1.3 (or a draft) was chosen: the rest is encrypted */
    bool resumed;
    bool emitted;
    bool client_cert; /* the client's Certificate was read */
    bool has_cipher;  /* `cipher` is known (ServerHello, or CLIENT-MASTER-KEY) */
    bool v2_client;   /* the client's hello was in SSL 2.0 format */
    bool v2_server;   /* the server answered in SSL 2.0 (SERVER-HELLO) */
    bool v2_wait;     /* SSL 2.0: the event waits for the CLIENT-MASTER-KEY */
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

/*
 * SSL 2.0 cipher kinds (3 bytes), named as in Netscape's SSL 2.0
 * specification, and the one OpenSSL added (RC4_64).
 */
static const struct {
    uint32_t id;
    const char *name;
} v2_cipher_names[] = {
    {0x010080, "SSL_CK_RC4_128_WITH_MD5"},
    {0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5"},
    {0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5"},
    {0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5"},
    {0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5"},
    {0x060040, "SSL_CK_DES_64_CBC_WITH_MD5"},
    {0x0700c0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"},
    {0x080080, "SSL_CK_RC4_64_WITH_MD5"},
};

static const char *cipher_name(uint32_t id, bool v2, char tmp[24])
{
    if (v2) {
        for (size_t i = 0; i < OT_ARRAY_SIZE(v2_cipher_names); i++)
            if (v2_cipher_names[i].id == id)
                return v2_cipher_names[i].name;
        snprintf(tmp, 24, "0x%06x", id);
        return tmp;
    }
    for (size_t i = 0; i < OT_ARRAY_SIZE(cipher_names); i++)
        if (cipher_names[i].id == id)
            return cipher_names[i].name;
    snprintf(tmp, 24, "0x%04x", id);
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

/* Body length of an SSL 2.0 record with the 2-byte header (high bit set). */
static size_t v2_len2(const uint8_t *h)
{
    return (size_t)(h[0] & 0x7f) << 8 | h[1];
}

/*
 * An SSL 2.0 CLIENT-HELLO: `b` holds `avail` bytes of a record body of
 * `rec_len` bytes.  Message type 1, version 2.0 or 3.0-3.4, then the lengths
 * of the cipher specs (a non-zero multiple of 3), the session id (at most
 * 32) and the challenge (16..32), which with the 9 fixed bytes must fill the
 * record exactly.  OT_PROBE_MORE while the fixed bytes are not all there and
 * those present fit.
 */
static enum ot_probe_result v2_hello_check(size_t rec_len, const uint8_t *b, size_t avail)
{
    if (avail >= 1 && b[0] != V2_CLIENT_HELLO)
        return OT_PROBE_NO;
    if (avail >= 3) {
        uint16_t v = ot_be16(b + 1);
        if (v != V2_VERSION && (v < 0x0300 || v > 0x0304))
            return OT_PROBE_NO;
    }
    if (avail >= 5) {
        size_t cl = ot_be16(b + 3);
        if (cl == 0 || cl % 3 != 0)
            return OT_PROBE_NO;
    }
    if (avail >= 7 && ot_be16(b + 5) > 32)
        return OT_PROBE_NO;
    if (avail < 9)
        return OT_PROBE_MORE;
    size_t chl = ot_be16(b + 7);
    if (chl < 16 || chl > 32)
        return OT_PROBE_NO;
    if (rec_len != 9 + (size_t)ot_be16(b + 3) + ot_be16(b + 5) + chl)
        return OT_PROBE_NO;
    return OT_PROBE_YES;
}

/*
 * A TLS handshake record header: type 22, version 3.0-3.4, a sane length,
 * then (when present) handshake type 1 from the client or 2 from the server
 * and a hello whose version major is 3.  Every byte present must fit.  Or,
 * from the client only, an SSL 2.0 record (2-byte header) holding a
 * CLIENT-HELLO that passes v2_hello_check().
 */
static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (len >= 1 && (data[0] & 0x80) && dir == 0) {
        if (len < 2)
            return OT_PROBE_MORE;
        return v2_hello_check(v2_len2(data), data + 2, len - 2);
    }
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
    s->has_cipher = true;
    s->tls13 = is_tls13(s->version);
    s->server_hello = true;
    s->hrr = hrr;
    if (!s->tls13 && s->sid_len && sl == s->sid_len && memcmp(sid, s->sid, sl) == 0)
        s->resumed = true;
    return OT_OK;
}

/* ---- SSL 2.0 messages -------------------------------------------------- */

/*
 * CLIENT-HELLO: msg(1) version(2) cipher-specs-length(2)
 * session-id-length(2) challenge-length(2), then the cipher specs (3 bytes
 * each), the session id and the challenge.  An SSLv3/TLS client sends it
 * with its own version (3.x) to reach SSL 2.0 servers too.  No JA3 or JA4:
 * both are defined over the TLS ClientHello (its extensions, groups, point
 * formats, signature algorithms), which this message does not have.
 */
static int v2_client_hello(struct tls_state *s, const uint8_t *b, size_t n)
{
    if (v2_hello_check(n, b, n) != OT_PROBE_YES)
        return OT_EINVAL;
    uint16_t v = ot_be16(b + 1);
    size_t cl = ot_be16(b + 3), sl = ot_be16(b + 5);
    memcpy(s->sid, b + 9 + cl, sl);
    s->sid_len = (uint8_t)sl;
    s->client_version = v == V2_VERSION ? 0x0200 : v;
    s->client_hello = true;
    s->v2_client = true;
    return OT_OK;
}

/*
 * SERVER-HELLO: msg(4) session-id-hit(1) certificate-type(1) version(2)
 * certificate-length(2) cipher-specs-length(2) connection-id-length(2),
 * then the certificate, the cipher specs and the connection id (16..32
 * bytes).  The X.509 certificate is kept for the event, which waits for the
 * client's CLIENT-MASTER-KEY (its cipher); a session-id hit (resumption)
 * has neither certificate nor CLIENT-MASTER-KEY.
 */
static int v2_server_hello(struct ot_proto_ctx *ctx, struct tls_state *s, const uint8_t *b,
                           size_t n)
{
    if (n < 11)
        return OT_EINVAL;
    uint8_t hit = b[1], type = b[2];
    size_t cl = ot_be16(b + 5), csl = ot_be16(b + 7), idl = ot_be16(b + 9);
    if (hit > 1 || ot_be16(b + 3) != V2_VERSION || csl % 3 != 0 || idl < 16 || idl > 32 ||
        n != 11 + cl + csl + idl)
        return OT_EINVAL;
    s->version = 0x0200;
    s->server_hello = true;
    s->v2_server = true;
    s->resumed = hit == 1;
    if (hit || type != V2_CERT_X509 || cl == 0)
        return OT_OK;
    return ot_pbuf_append(&s->v2_cert, b + 11, cl, ctx->conf->max_buffer);
}

/*
 * CLIENT-MASTER-KEY: msg(2) cipher-kind(3) clear-key-length(2)
 * encrypted-key-length(2) key-arg-length(2), then those three.
 */
static int v2_client_master_key(struct tls_state *s, const uint8_t *b, size_t n)
{
    if (n < 10 || n != 10 + (size_t)ot_be16(b + 4) + ot_be16(b + 6) + ot_be16(b + 8))
        return OT_EINVAL;
    s->cipher = ot_be24(b + 1);
    s->has_cipher = true;
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

/* A Certificate message's entries: the first one (the sender's own) and how many. */
struct certs {
    const uint8_t *first; /* DER of the first one (NULL: none) */
    size_t first_len;
    uint64_t count;
};

/*
 * Walks a Certificate message body (TLS <= 1.2: certificate_list<0..2^24-1>
 * of entries of a 3-byte length and the DER).  Returns OT_EINVAL when it is
 * malformed; the entries before the fault are counted.
 */
static int chain_walk(const uint8_t *chain, size_t len, struct certs *c /* OUT */)
{
    memset(c, 0, sizeof(*c));
    size_t list = len >= 3 ? ot_be24(chain) : 0;
    if (len < 3 || list > len - 3)
        return OT_EINVAL;
    const uint8_t *p = chain + 3;
    for (size_t o = 0; o < list;) {
        if (list - o < 3)
            return OT_EINVAL;
        size_t cl = ot_be24(p + o);
        if (cl > list - o - 3)
            return OT_EINVAL;
        if (c->count == 0) {
            c->first = p + o + 3;
            c->first_len = cl;
        }
        c->count++;
        o += 3 + cl;
    }
    return OT_OK;
}

/*
 * Writes the event.  `chain` is the server's Certificate message body (or
 * NULL): its first certificate is described and its entries counted.
 * Without one, an SSL 2.0 SERVER-HELLO's certificate (s->v2_cert) is.
 * Returns OT_EINVAL when the chain was malformed (the event is written anyway).
 */
static int emit(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s,
                const uint8_t *chain, size_t chain_len)
{
    int rc = OT_OK;
    char tmp[24];
    s->emitted = true;
    s->d[0].done = s->d[1].done = true;

    struct certs c = {.first = NULL};
    bool certs = true;
    if (chain)
        rc = chain_walk(chain, chain_len, &c);
    else if (s->v2_cert.len)
        c = (struct certs){.first = s->v2_cert.data, .first_len = s->v2_cert.len, .count = 1};
    else
        certs = false;
    /* The first certificate is hashed and decoded once, for the event and the detectors. */
    const uint8_t *cert = c.first_len ? c.first : NULL;
    uint8_t cert_sha1[20];
    struct ot_tls_cert parsed;
    parsed.ok = false;
    if (cert) {
        ot_sha1(cert, c.first_len, cert_sha1);
        (void)ot_tls_cert_parse(cert, c.first_len, &parsed); /* parsed.ok says */
    }
    if (ctx->sink)
        observe(ctx, f, s, cert ? cert_sha1 : NULL, &parsed);
    struct ot_jw *w = ot_eve_begin(ctx->eve, "tls", ctx->ts_us, f, 0);
    ot_jw_obj_open(w, "tls");
    if (s->sni_len)
        ot_jw_strn(w, "sni", s->sni, s->sni_len);
    ot_jw_str(w, "version", version_name(s->server_hello ? s->version : 0, tmp));
    if (certs) {
        if (cert)
            ot_tls_cert_write_parsed(w, &parsed, cert, c.first_len, cert_sha1);
        ot_jw_u64(w, "chain_length", c.count);
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
    if (s->has_cipher) {
        ot_jw_str(w, "cipher_suite", cipher_name(s->cipher, s->v2_server, tmp));
        ot_jw_u64(w, "cipher_suite_id", s->cipher);
    }
    if (s->client_hello)
        ot_jw_str(w, "client_version", version_name(s->client_version, tmp));
    ot_jw_obj_close(w);
    ot_eve_end(ctx->eve);
    ot_pbuf_free(&s->v2_cert);
    return rc;
}

/*
 * A direction ends: once the server's does, there is nothing more to learn;
 * nor after an SSL 2.0 SERVER-HELLO once the client's does.
 */
static int dir_done(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s, int dir)
{
    s->d[dir].done = true;
    if ((dir == 1 || s->v2_wait) && !s->emitted && (s->client_hello || s->server_hello))
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
    if (!ctx->sink)
        return OT_OK;
    struct certs chain;
    (void)chain_walk(body, len, &chain); /* the first entry counts even if a later one is bad */
    if (chain.first_len == 0)
        return OT_OK;
    struct ot_tls_cert c;
    if (ot_tls_cert_parse(chain.first, chain.first_len, &c) != OT_OK)
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

/*
 * A message we must read is larger than max_buffer: an error, after the
 * event when it is the server's (written without what that message held).
 */
static int too_large(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s,
                     int dir)
{
    if (dir == 1)
        emit(ctx, f, s, NULL, 0);
    return OT_ELIMIT;
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
        return too_large(ctx, f, s, dir);
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

/* ---- SSL 2.0 records ---------------------------------------------------- */

/*
 * Header bytes of the record that starts with `b0` in direction `dir`: 5 for
 * TLS, 2 for an SSL 2.0 record with the high bit set, 3 for one without
 * (the 3-byte form, with a padding count).  SSL 2.0 records are expected
 * only where an SSL 2.0 message can come: the client's first record, the
 * client's records after it when its hello was SSL 2.0 (a CLIENT-MASTER-KEY;
 * after a TLS ServerHello the client's records are TLS, which never have
 * the high bit), and the server's first record after an SSL 2.0 hello.  The
 * 3-byte form is taken only where a TLS record cannot come: from the client
 * after an SSL 2.0 SERVER-HELLO, and from the server when the client offered
 * SSL 2.0 alone and the byte is no TLS content type.
 */
static size_t header_len(const struct tls_state *s, int dir, uint8_t b0)
{
    const struct tls_dir *d = &s->d[dir];
    bool first = !d->started;
    if (b0 & 0x80) {
        if (dir == 0 ? first || s->v2_client : first && s->v2_client)
            return 2;
        return REC_HDR_LEN;
    }
    if (dir == 0 && s->v2_server)
        return 3;
    if (dir == 1 && first && s->v2_client && s->client_version == 0x0200 &&
        (b0 < CT_CCS || b0 > CT_HEARTBEAT))
        return 3;
    return REC_HDR_LEN;
}

/*
 * An SSL 2.0 record header `h` of `hl` (2 or 3) bytes: its body is one
 * message, read whole (SSL 2.0 does not split messages across records), its
 * padding cut off.  A client's first record that cannot be a CLIENT-HELLO
 * ends that side politely, as a first record that is no TLS does.
 */
static int v2_record_start(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s,
                           int dir, const uint8_t *h, size_t hl)
{
    struct tls_dir *d = &s->d[dir];
    size_t len = hl == 2 ? v2_len2(h) : (size_t)(h[0] & 0x3f) << 8 | h[1];
    size_t pad = hl == 2 ? 0 : h[2];
    bool first = !d->started;
    d->started = true;
    d->rec_type = REC_V2;
    d->rec_left = (uint32_t)len;
    d->pad = (uint8_t)pad;
    d->buf.len = 0;
    if (dir == 0 && first && (len < 28 || len > ctx->conf->max_buffer))
        return dir_done(ctx, f, s, dir); /* 28: the smallest CLIENT-HELLO */
    if (len == 0 || pad >= len)
        return OT_EINVAL;
    if (len > ctx->conf->max_buffer)
        return too_large(ctx, f, s, dir);
    return OT_OK;
}

/* A whole SSL 2.0 message (a record's data without its padding). */
static int v2_message(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s,
                      int dir, const uint8_t *b, size_t n)
{
    int rc;
    if (dir == 0 && !s->client_hello) {
        /*
         * The probe checks the same fields, so a hello that does not fit
         * reaches us only when the server's side claimed the flow: that side
         * is still read, as after a client's first record that is no TLS.
         */
        if (b[0] != V2_CLIENT_HELLO || v2_client_hello(s, b, n) < 0)
            return dir_done(ctx, f, s, dir);
        return OT_OK;
    }
    if (dir == 0) {
        /* After it the client's side is encrypted (or not SSL 2.0 we know). */
        rc = b[0] == V2_CLIENT_MASTER_KEY && s->v2_server ? v2_client_master_key(s, b, n) : OT_OK;
        int rc2 = dir_done(ctx, f, s, dir);
        return rc < 0 ? rc : rc2;
    }
    if (b[0] != V2_SERVER_HELLO) /* an ERROR message, or garbage: the server's side is over */
        return dir_done(ctx, f, s, dir);
    rc = v2_server_hello(ctx, s, b, n);
    if (rc < 0) {
        dir_done(ctx, f, s, dir);
        return rc;
    }
    if (s->resumed || s->d[0].done)
        return emit(ctx, f, s, NULL, 0);
    /* Everything after SERVER-HELLO is encrypted: the client names the cipher next. */
    s->d[1].done = true;
    s->v2_wait = true;
    return OT_OK;
}

/* `take` bytes of an SSL 2.0 record's body: the message is read once whole. */
static int v2_body(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s, int dir,
                   const uint8_t *p, size_t take)
{
    struct tls_dir *d = &s->d[dir];
    const uint8_t *msg = p;
    size_t len = take;
    if (d->buf.len > 0 || take < d->rec_left) {
        int rc = ot_pbuf_append(&d->buf, p, take, ctx->conf->max_buffer);
        if (rc < 0 || take < d->rec_left)
            return rc;
        msg = d->buf.data;
        len = d->buf.len;
    }
    int rc = v2_message(ctx, f, s, dir, msg, len - d->pad);
    d->buf.len = 0;
    return rc;
}

static int records(struct ot_proto_ctx *ctx, const struct ot_flow *f, struct tls_state *s, int dir,
                   const uint8_t *p, size_t n)
{
    struct tls_dir *d = &s->d[dir];
    int rc;
    while (n > 0 && !d->done) {
        if (d->rec_left == 0) {
            const uint8_t *h;
            if (d->hdr_len == 0)
                d->hdr_need = (uint8_t)header_len(s, dir, p[0]);
            size_t need = d->hdr_need;
            if (d->hdr_len == 0 && n >= need) {
                h = p;
                p += need;
                n -= need;
            } else {
                size_t take = OT_MIN(n, need - d->hdr_len);
                memcpy(d->hdr + d->hdr_len, p, take);
                d->hdr_len = (uint8_t)(d->hdr_len + take);
                p += take;
                n -= take;
                if (d->hdr_len < need)
                    return OT_OK;
                h = d->hdr;
                d->hdr_len = 0;
            }
            if (need != REC_HDR_LEN) {
                rc = v2_record_start(ctx, f, s, dir, h, need);
                if (rc < 0 || d->done)
                    return rc;
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
        if (d->rec_type == CT_HANDSHAKE || d->rec_type == REC_V2) {
            rc = d->rec_type == REC_V2 ? v2_body(ctx, f, s, dir, p, take)
                                       : handshake(ctx, f, s, dir, p, take);
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
    /* An SSL 2.0 message is read whole, and after the client's hello only SSL 2.0 may follow. */
    if ((d->rec_type == REC_V2 && d->rec_left > 0) || (dir == 0 && s->v2_server))
        return dir_done(ctx, f, s, dir);
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
    ot_pbuf_free(&s->v2_cert);
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
