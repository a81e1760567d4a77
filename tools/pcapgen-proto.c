/*
 * ot-pcapgen payloads: DNS, TLS, SSH, DHCP, SMB2, RDP messages.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "otasuke/error.h"
#include "pcapgen-proto.h"

/* --- buffer ------------------------------------------------------------- */

void ot_pg_buf_init(struct ot_pg_buf *b, uint8_t *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->overflow = false;
}

uint8_t *ot_pg_put(struct ot_pg_buf *b, const void *data, size_t n)
{
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = true;
        return NULL;
    }
    uint8_t *at = b->p + b->len;
    if (data)
        memcpy(at, data, n);
    else
        memset(at, 0, n);
    b->len += n;
    return at;
}

static void put_be(struct ot_pg_buf *b, uint64_t v, unsigned width)
{
    uint8_t tmp[8];
    for (unsigned i = 0; i < width; i++)
        tmp[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    ot_pg_put(b, tmp, width);
}

static void put_le(struct ot_pg_buf *b, uint64_t v, unsigned width)
{
    uint8_t tmp[8];
    for (unsigned i = 0; i < width; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    ot_pg_put(b, tmp, width);
}

void ot_pg_put8(struct ot_pg_buf *b, uint32_t v)
{
    put_be(b, v, 1);
}

void ot_pg_put16(struct ot_pg_buf *b, uint32_t v)
{
    put_be(b, v, 2);
}

void ot_pg_put24(struct ot_pg_buf *b, uint32_t v)
{
    put_be(b, v, 3);
}

void ot_pg_put32(struct ot_pg_buf *b, uint32_t v)
{
    put_be(b, v, 4);
}

void ot_pg_puts(struct ot_pg_buf *b, const char *s)
{
    ot_pg_put(b, s, strlen(s));
}

void ot_pg_putf(struct ot_pg_buf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)b->p + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        b->overflow = true;
        return;
    }
    b->len += (size_t)n;
}

size_t ot_pg_len_open(struct ot_pg_buf *b, unsigned width)
{
    size_t at = b->len;
    ot_pg_put(b, NULL, width);
    return at;
}

void ot_pg_len_close(struct ot_pg_buf *b, size_t at, unsigned width)
{
    if (b->overflow)
        return;
    size_t n = b->len - at - width;
    if (width < 8 && n >> (8 * width)) {
        b->overflow = true;
        return;
    }
    for (unsigned i = 0; i < width; i++)
        b->p[at + i] = (uint8_t)(n >> (8 * (width - 1 - i)));
}

int ot_pg_base64(const char *in, char *out, size_t cap)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    if (cap < (n + 2) / 3 * 4 + 1)
        return OT_ELIMIT;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(uint8_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (uint8_t)in[i + 2];
        out[o++] = al[(v >> 18) & 63];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = i + 1 < n ? al[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? al[v & 63] : '=';
    }
    out[o] = '\0';
    return OT_OK;
}

/* --- DNS ---------------------------------------------------------------- */

void ot_pg_dns_begin(struct ot_pg_dns *d, struct ot_pg_buf *b, uint16_t id, uint16_t flags)
{
    memset(d, 0, sizeof(*d));
    d->b = b;
    d->base = b->len;
    d->section = OT_PG_DNS_SEC_AN;
    ot_pg_put16(b, id);
    ot_pg_put16(b, flags);
    ot_pg_put(b, NULL, 8);
}

void ot_pg_dns_section(struct ot_pg_dns *d, unsigned section)
{
    if (section >= OT_PG_DNS_SEC_AN && section <= OT_PG_DNS_SEC_AR)
        d->section = section;
}

void ot_pg_dns_end(struct ot_pg_dns *d)
{
    if (d->b->overflow)
        return;
    for (unsigned i = 0; i < 4; i++) {
        d->b->p[d->base + 4 + 2 * i] = (uint8_t)(d->count[i] >> 8);
        d->b->p[d->base + 5 + 2 * i] = (uint8_t)d->count[i];
    }
}

/* Write NAME, pointing at the longest suffix already in the message. */
static void dns_name(struct ot_pg_dns *d, const char *name)
{
    const char *s = name;
    while (*s && strcmp(s, ".") != 0) {
        for (unsigned i = 0; i < d->n; i++) {
            if (strcasecmp(d->name[i], s) == 0) {
                ot_pg_put16(d->b, 0xc000u | d->off[i]);
                return;
            }
        }
        size_t here = d->b->len - d->base;
        if (d->n < OT_PG_DNS_NAMES && here < 0x3fff) {
            d->name[d->n] = s;
            d->off[d->n++] = (uint16_t)here;
        }
        const char *dot = strchr(s, '.');
        size_t label = dot ? (size_t)(dot - s) : strlen(s);
        if (label == 0 || label > 63) {
            d->b->overflow = true; /* not a valid name: treat as a builder error */
            return;
        }
        ot_pg_put8(d->b, (uint32_t)label);
        ot_pg_put(d->b, s, label);
        s += label + (dot ? 1 : 0);
    }
    ot_pg_put8(d->b, 0);
}

void ot_pg_dns_question(struct ot_pg_dns *d, const char *name, uint16_t type)
{
    d->count[0]++;
    dns_name(d, name);
    ot_pg_put16(d->b, type);
    ot_pg_put16(d->b, 1);
}

/* Owner, type, class IN, TTL and an open RDLENGTH. */
static size_t rr_open(struct ot_pg_dns *d, const char *name, uint16_t type, uint32_t ttl)
{
    d->count[d->section]++;
    dns_name(d, name);
    ot_pg_put16(d->b, type);
    ot_pg_put16(d->b, 1);
    ot_pg_put32(d->b, ttl);
    return ot_pg_len_open(d->b, 2);
}

void ot_pg_dns_rr(struct ot_pg_dns *d, const char *name, uint16_t type, uint32_t ttl,
                  const void *rdata, size_t rdlen)
{
    size_t at = rr_open(d, name, type, ttl);
    ot_pg_put(d->b, rdata, rdlen);
    ot_pg_len_close(d->b, at, 2);
}

void ot_pg_dns_rr_addr(struct ot_pg_dns *d, const char *name, uint32_t ttl, const char *ip)
{
    uint8_t a[16];
    if (inet_pton(AF_INET, ip, a) == 1)
        ot_pg_dns_rr(d, name, OT_PG_DNS_A, ttl, a, 4);
    else if (inet_pton(AF_INET6, ip, a) == 1)
        ot_pg_dns_rr(d, name, OT_PG_DNS_AAAA, ttl, a, 16);
    else
        d->b->overflow = true;
}

void ot_pg_dns_rr_name(struct ot_pg_dns *d, const char *name, uint16_t type, uint32_t ttl,
                       const char *target)
{
    size_t at = rr_open(d, name, type, ttl);
    dns_name(d, target);
    ot_pg_len_close(d->b, at, 2);
}

void ot_pg_dns_rr_mx(struct ot_pg_dns *d, const char *name, uint32_t ttl, uint16_t pref,
                     const char *exchange)
{
    size_t at = rr_open(d, name, OT_PG_DNS_MX, ttl);
    ot_pg_put16(d->b, pref);
    dns_name(d, exchange);
    ot_pg_len_close(d->b, at, 2);
}

void ot_pg_dns_rr_txt(struct ot_pg_dns *d, const char *name, uint32_t ttl, const char *text)
{
    size_t at = rr_open(d, name, OT_PG_DNS_TXT, ttl);
    size_t len = strlen(text);
    do {
        size_t n = len > 255 ? 255 : len;
        ot_pg_put8(d->b, (uint32_t)n);
        ot_pg_put(d->b, text, n);
        text += n;
        len -= n;
    } while (len);
    ot_pg_len_close(d->b, at, 2);
}

void ot_pg_dns_rr_soa(struct ot_pg_dns *d, const char *name, uint32_t ttl, const char *mname,
                      const char *rname, uint32_t serial)
{
    size_t at = rr_open(d, name, OT_PG_DNS_SOA, ttl);
    dns_name(d, mname);
    dns_name(d, rname);
    ot_pg_put32(d->b, serial);
    ot_pg_put32(d->b, 7200);    /* refresh */
    ot_pg_put32(d->b, 3600);    /* retry */
    ot_pg_put32(d->b, 1209600); /* expire */
    ot_pg_put32(d->b, 3600);    /* minimum (negative caching) */
    ot_pg_len_close(d->b, at, 2);
}

void ot_pg_dns_opt(struct ot_pg_dns *d, uint16_t udp_size)
{
    d->count[OT_PG_DNS_SEC_AR]++;
    ot_pg_put8(d->b, 0); /* root */
    ot_pg_put16(d->b, OT_PG_DNS_OPT);
    ot_pg_put16(d->b, udp_size);
    ot_pg_put32(d->b, 0); /* extended rcode, version, flags */
    ot_pg_put16(d->b, 0);
}

/* --- TLS ---------------------------------------------------------------- */

static size_t record_open(struct ot_pg_buf *b, uint8_t type, uint16_t version)
{
    ot_pg_put8(b, type);
    ot_pg_put16(b, version);
    return ot_pg_len_open(b, 2);
}

/* Record + handshake header; close both with handshake_close(). */
static size_t handshake_open(struct ot_pg_buf *b, uint8_t msg, uint16_t record_version, size_t *rec)
{
    *rec = record_open(b, OT_PG_TLS_HANDSHAKE, record_version);
    ot_pg_put8(b, msg);
    return ot_pg_len_open(b, 3);
}

static void handshake_close(struct ot_pg_buf *b, size_t rec, size_t hs)
{
    ot_pg_len_close(b, hs, 3);
    ot_pg_len_close(b, rec, 2);
}

static size_t ext_open(struct ot_pg_buf *b, uint16_t type)
{
    ot_pg_put16(b, type);
    return ot_pg_len_open(b, 2);
}

static void ext_close(struct ot_pg_buf *b, size_t at)
{
    ot_pg_len_close(b, at, 2);
}

static void ext_bytes(struct ot_pg_buf *b, uint16_t type, const void *data, size_t len)
{
    size_t at = ext_open(b, type);
    ot_pg_put(b, data, len);
    ext_close(b, at);
}

static void put16_list(struct ot_pg_buf *b, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ot_pg_put16(b, v[i]);
}

static void put_alpn(struct ot_pg_buf *b, const char *const *alpn, size_t n)
{
    size_t at = ext_open(b, 16);
    size_t list = ot_pg_len_open(b, 2);
    for (size_t i = 0; i < n; i++) {
        ot_pg_put8(b, (uint32_t)strlen(alpn[i]));
        ot_pg_puts(b, alpn[i]);
    }
    ot_pg_len_close(b, list, 2);
    ext_close(b, at);
}

static void client_hello_extensions(struct ot_pg_buf *b, const struct ot_pg_tls_hello *h)
{
    static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                       0x0805, 0x0501, 0x0806, 0x0601};
    static const uint16_t groups[] = {0x001d, 0x0017, 0x0018};
    bool grease = h->grease[0] != 0;
    size_t at;

    if (grease)
        ext_bytes(b, h->grease[1], NULL, 0);
    if (h->sni) {
        at = ext_open(b, 0);
        size_t list = ot_pg_len_open(b, 2);
        ot_pg_put8(b, 0); /* host_name */
        size_t name = ot_pg_len_open(b, 2);
        ot_pg_puts(b, h->sni);
        ot_pg_len_close(b, name, 2);
        ot_pg_len_close(b, list, 2);
        ext_close(b, at);
    }
    ext_bytes(b, 23, NULL, 0);     /* extended_master_secret */
    ext_bytes(b, 0xff01, "\0", 1); /* renegotiation_info */
    at = ext_open(b, 10);          /* supported_groups */
    size_t list = ot_pg_len_open(b, 2);
    if (grease)
        ot_pg_put16(b, h->grease[2]);
    put16_list(b, groups, 3);
    ot_pg_len_close(b, list, 2);
    ext_close(b, at);
    ext_bytes(b, 11, "\x01\x00", 2); /* ec_point_formats: uncompressed */
    ext_bytes(b, 35, NULL, 0);       /* session_ticket */
    if (h->n_alpn)
        put_alpn(b, h->alpn, h->n_alpn);
    ext_bytes(b, 5, "\x01\0\0\0\0", 5); /* status_request: OCSP */
    at = ext_open(b, 13);               /* signature_algorithms */
    list = ot_pg_len_open(b, 2);
    put16_list(b, sigalgs, sizeof(sigalgs) / sizeof(sigalgs[0]));
    ot_pg_len_close(b, list, 2);
    ext_close(b, at);
    ext_bytes(b, 18, NULL, 0); /* signed_certificate_timestamp */
    if (h->tls13) {
        at = ext_open(b, 51); /* key_share */
        list = ot_pg_len_open(b, 2);
        if (grease) {
            ot_pg_put16(b, h->grease[2]);
            ot_pg_put16(b, 1);
            ot_pg_put8(b, 0);
        }
        ot_pg_put16(b, 0x001d);
        ot_pg_put16(b, 32);
        ot_pg_put(b, h->key_share, 32);
        ot_pg_len_close(b, list, 2);
        ext_close(b, at);
        ext_bytes(b, 45, "\x01\x01", 2); /* psk_key_exchange_modes: psk_dhe_ke */
        at = ext_open(b, 43);            /* supported_versions */
        list = ot_pg_len_open(b, 1);
        if (grease)
            ot_pg_put16(b, h->grease[3]);
        ot_pg_put16(b, 0x0304);
        ot_pg_put16(b, 0x0303);
        ot_pg_len_close(b, list, 1);
        ext_close(b, at);
    }
    ext_bytes(b, 27, "\x02\x00\x02", 3); /* compress_certificate: brotli */
    if (h->tls13 && h->n_alpn && strcmp(h->alpn[0], "h2") == 0)
        ext_bytes(b, 17513, "\x00\x03\x02h2", 5); /* application_settings */
    if (grease)
        ext_bytes(b, h->grease[4], "\0", 1);
}

void ot_pg_tls_client_hello(struct ot_pg_buf *b, const struct ot_pg_tls_hello *h)
{
    static const uint16_t ciphers13[] = {0x1301, 0x1302, 0x1303};
    static const uint16_t ciphers12[] = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                                         0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
    size_t rec, hs = handshake_open(b, 1, 0x0301, &rec);
    ot_pg_put16(b, 0x0303);
    ot_pg_put(b, h->random, 32);
    ot_pg_put8(b, h->session_id ? 32 : 0);
    if (h->session_id)
        ot_pg_put(b, h->session_id, 32);
    size_t list = ot_pg_len_open(b, 2);
    if (h->grease[0])
        ot_pg_put16(b, h->grease[0]);
    if (h->tls13)
        put16_list(b, ciphers13, 3);
    put16_list(b, ciphers12, sizeof(ciphers12) / sizeof(ciphers12[0]));
    ot_pg_len_close(b, list, 2);
    ot_pg_put8(b, 1); /* compression methods: null */
    ot_pg_put8(b, 0);
    size_t exts = ot_pg_len_open(b, 2);
    client_hello_extensions(b, h);
    /*
     * BoringSSL pads a ClientHello whose handshake message would be 256..511
     * bytes long up to 512, working around servers that choke on those sizes.
     */
    size_t msg = 4 + (b->len - hs - 3);
    if (msg > 0xff && msg < 0x200) {
        size_t pad = 0x200 - msg;
        pad = pad >= 5 ? pad - 4 : 1;
        ext_bytes(b, 21, NULL, pad);
    }
    ot_pg_len_close(b, exts, 2);
    handshake_close(b, rec, hs);
}

void ot_pg_tls_server_hello(struct ot_pg_buf *b, const struct ot_pg_tls_server *s)
{
    size_t rec, hs = handshake_open(b, 2, 0x0303, &rec);
    ot_pg_put16(b, 0x0303);
    ot_pg_put(b, s->random, 32);
    ot_pg_put8(b, s->session_id ? 32 : 0);
    if (s->session_id)
        ot_pg_put(b, s->session_id, 32);
    ot_pg_put16(b, s->cipher);
    ot_pg_put8(b, 0);
    size_t exts = ot_pg_len_open(b, 2);
    if (s->tls13) {
        size_t at = ext_open(b, 51);
        ot_pg_put16(b, 0x001d);
        ot_pg_put16(b, 32);
        ot_pg_put(b, s->key_share, 32);
        ext_close(b, at);
        ext_bytes(b, 43, "\x03\x04", 2);
    } else {
        ext_bytes(b, 0xff01, "\0", 1);
        ext_bytes(b, 11, "\x03\x00\x01\x02", 4);
        ext_bytes(b, 35, NULL, 0);
        if (s->alpn)
            put_alpn(b, &s->alpn, 1);
        ext_bytes(b, 23, NULL, 0);
    }
    ot_pg_len_close(b, exts, 2);
    handshake_close(b, rec, hs);
}

void ot_pg_tls_certificate(struct ot_pg_buf *b, const uint8_t *der, size_t len)
{
    size_t rec, hs = handshake_open(b, 11, 0x0303, &rec);
    size_t list = ot_pg_len_open(b, 3);
    ot_pg_put24(b, (uint32_t)len);
    ot_pg_put(b, der, len);
    ot_pg_len_close(b, list, 3);
    handshake_close(b, rec, hs);
}

void ot_pg_tls_server_key_exchange(struct ot_pg_buf *b, const uint8_t *pub, const uint8_t *sig,
                                   size_t siglen)
{
    size_t rec, hs = handshake_open(b, 12, 0x0303, &rec);
    ot_pg_put8(b, 3); /* named_curve */
    ot_pg_put16(b, 0x001d);
    ot_pg_put8(b, 32);
    ot_pg_put(b, pub, 32);
    ot_pg_put16(b, 0x0804); /* rsa_pss_rsae_sha256 */
    ot_pg_put16(b, (uint32_t)siglen);
    ot_pg_put(b, sig, siglen);
    handshake_close(b, rec, hs);
}

void ot_pg_tls_new_session_ticket(struct ot_pg_buf *b, uint32_t lifetime, const uint8_t *ticket,
                                  size_t len)
{
    size_t rec, hs = handshake_open(b, 4, 0x0303, &rec);
    ot_pg_put32(b, lifetime);
    ot_pg_put16(b, (uint32_t)len);
    ot_pg_put(b, ticket, len);
    handshake_close(b, rec, hs);
}

void ot_pg_tls_server_hello_done(struct ot_pg_buf *b)
{
    size_t rec, hs = handshake_open(b, 14, 0x0303, &rec);
    handshake_close(b, rec, hs);
}

void ot_pg_tls_client_key_exchange(struct ot_pg_buf *b, const uint8_t *pub)
{
    size_t rec, hs = handshake_open(b, 16, 0x0303, &rec);
    ot_pg_put8(b, 32);
    ot_pg_put(b, pub, 32);
    handshake_close(b, rec, hs);
}

void ot_pg_tls_change_cipher_spec(struct ot_pg_buf *b)
{
    ot_pg_tls_record(b, OT_PG_TLS_CCS, (const uint8_t *)"\x01", 1);
}

void ot_pg_tls_record(struct ot_pg_buf *b, uint8_t type, const uint8_t *data, size_t len)
{
    size_t rec = record_open(b, type, 0x0303);
    ot_pg_put(b, data, len);
    ot_pg_len_close(b, rec, 2);
}

/* --- SSH ---------------------------------------------------------------- */

/* Binary packet (RFC 4253 6): open before the payload, close after it. */
static size_t ssh_open(struct ot_pg_buf *b, uint8_t msg)
{
    size_t at = ot_pg_len_open(b, 4);
    ot_pg_put8(b, 0); /* padding length, set on close */
    ot_pg_put8(b, msg);
    return at;
}

static void ssh_close(struct ot_pg_buf *b, size_t at)
{
    if (b->overflow)
        return;
    size_t payload = b->len - at - 5;
    size_t pad = 8 - (5 + payload) % 8;
    if (pad < 4)
        pad += 8;
    ot_pg_put(b, NULL, pad);
    if (b->overflow)
        return;
    b->p[at + 4] = (uint8_t)pad;
    ot_pg_len_close(b, at, 4);
}

static void ssh_string(struct ot_pg_buf *b, const void *data, size_t len)
{
    ot_pg_put32(b, (uint32_t)len);
    ot_pg_put(b, data, len);
}

static void ssh_cstring(struct ot_pg_buf *b, const char *s)
{
    ssh_string(b, s, strlen(s));
}

void ot_pg_ssh_kexinit(struct ot_pg_buf *b, const uint8_t *cookie, bool server)
{
    static const char *const kex_c =
        "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"
        "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
        "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
        "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c";
    /* OpenSSH 8.4 as Debian 11 ships it: no sntrup761 yet, so curve25519-sha256 wins. */
    static const char *const kex_s =
        "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
        "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
        "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";
    static const char *const hostkey_c =
        "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
        "ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"
        "sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
        "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,"
        "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
        "sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,"
        "rsa-sha2-256";
    /* A server with only an RSA host key. */
    static const char *const hostkey_s = "rsa-sha2-512,rsa-sha2-256,ssh-rsa";
    static const char *const ciphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,"
                                       "aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com";
    static const char *const macs =
        "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
        "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
        "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
    static const char *const comp_c = "none,zlib@openssh.com,zlib";
    static const char *const comp_s = "none,zlib@openssh.com";

    size_t at = ssh_open(b, 20);
    ot_pg_put(b, cookie, 16);
    ssh_cstring(b, server ? kex_s : kex_c);
    ssh_cstring(b, server ? hostkey_s : hostkey_c);
    for (int i = 0; i < 2; i++)
        ssh_cstring(b, ciphers);
    for (int i = 0; i < 2; i++)
        ssh_cstring(b, macs);
    for (int i = 0; i < 2; i++)
        ssh_cstring(b, server ? comp_s : comp_c);
    ssh_cstring(b, "");
    ssh_cstring(b, "");
    ot_pg_put8(b, 0);  /* first_kex_packet_follows */
    ot_pg_put32(b, 0); /* reserved */
    ssh_close(b, at);
}

void ot_pg_ssh_ecdh_init(struct ot_pg_buf *b, const uint8_t *q_c)
{
    size_t at = ssh_open(b, 30);
    ssh_string(b, q_c, 32);
    ssh_close(b, at);
}

void ot_pg_ssh_ecdh_reply(struct ot_pg_buf *b, const uint8_t *rsa_n, const uint8_t *q_s,
                          const uint8_t *sig)
{
    size_t at = ssh_open(b, 31);
    size_t blob = ot_pg_len_open(b, 4); /* K_S: ssh-rsa, e, n */
    ssh_cstring(b, "ssh-rsa");
    ssh_string(b, "\x01\x00\x01", 3);
    ot_pg_put32(b, 257); /* mpint n: a zero byte keeps it positive */
    ot_pg_put8(b, 0);
    uint8_t *n = ot_pg_put(b, rsa_n, 256);
    if (n)
        n[0] |= 0x80;
    ot_pg_len_close(b, blob, 4);
    ssh_string(b, q_s, 32);
    blob = ot_pg_len_open(b, 4);
    ssh_cstring(b, "rsa-sha2-512");
    ssh_string(b, sig, 256);
    ot_pg_len_close(b, blob, 4);
    ssh_close(b, at);
}

void ot_pg_ssh_newkeys(struct ot_pg_buf *b)
{
    ssh_close(b, ssh_open(b, 21));
}

/* --- DHCP --------------------------------------------------------------- */

static void put_addr4(struct ot_pg_buf *b, const uint8_t *a)
{
    ot_pg_put(b, a, 4); /* NULL: 0.0.0.0 */
}

void ot_pg_dhcp_begin(struct ot_pg_buf *b, uint8_t op, uint32_t xid, uint16_t secs, uint16_t flags,
                      const uint8_t *ciaddr, const uint8_t *yiaddr, const uint8_t *siaddr,
                      const uint8_t *chaddr)
{
    ot_pg_put8(b, op);
    ot_pg_put8(b, 1); /* Ethernet */
    ot_pg_put8(b, 6);
    ot_pg_put8(b, 0); /* hops */
    ot_pg_put32(b, xid);
    ot_pg_put16(b, secs);
    ot_pg_put16(b, flags);
    put_addr4(b, ciaddr);
    put_addr4(b, yiaddr);
    put_addr4(b, siaddr);
    put_addr4(b, NULL); /* giaddr */
    ot_pg_put(b, chaddr, 6);
    ot_pg_put(b, NULL, 10 + 64 + 128); /* chaddr padding, sname, file */
    ot_pg_put32(b, 0x63825363);
}

void ot_pg_dhcp_opt(struct ot_pg_buf *b, uint8_t code, const void *data, size_t len)
{
    if (len > 255) {
        b->overflow = true;
        return;
    }
    ot_pg_put8(b, code);
    ot_pg_put8(b, (uint32_t)len);
    ot_pg_put(b, data, len);
}

void ot_pg_dhcp_end(struct ot_pg_buf *b)
{
    ot_pg_put8(b, 255);
    if (b->len < 300)
        ot_pg_put(b, NULL, 300 - b->len);
}

/* --- SMB2 --------------------------------------------------------------- */

/* Pad with zeros to a multiple of 8 from the SMB2 header at BASE. */
static void pad8(struct ot_pg_buf *b, size_t base)
{
    while (!b->overflow && (b->len - base) % 8)
        ot_pg_put8(b, 0);
}

static void smb2_header(struct ot_pg_buf *b, uint64_t msg_id, bool response)
{
    ot_pg_put(b, "\xfeSMB", 4);
    put_le(b, 64, 2);                /* structure size */
    put_le(b, 0, 2);                 /* credit charge */
    put_le(b, 0, 4);                 /* status */
    put_le(b, 0, 2);                 /* command: NEGOTIATE */
    put_le(b, response ? 1 : 31, 2); /* credits */
    put_le(b, response ? 1 : 0, 4);  /* flags: SERVER_TO_REDIR */
    put_le(b, 0, 4);                 /* next command */
    put_le(b, msg_id, 8);
    put_le(b, response ? 0 : 0xfeff, 4); /* reserved (process id) */
    put_le(b, 0, 4);                     /* tree id */
    put_le(b, 0, 8);                     /* session id */
    ot_pg_put(b, NULL, 16);              /* signature */
}

/* Preauth integrity (SHA-512 with SALT) and encryption contexts, 8-aligned. */
static void smb2_contexts(struct ot_pg_buf *b, size_t base, const uint8_t *salt, bool response)
{
    put_le(b, 1, 2); /* SMB2_PREAUTH_INTEGRITY_CAPABILITIES */
    put_le(b, 38, 2);
    put_le(b, 0, 4);
    put_le(b, 1, 2);  /* hash algorithm count */
    put_le(b, 32, 2); /* salt length */
    put_le(b, 1, 2);  /* SHA-512 */
    ot_pg_put(b, salt, 32);
    pad8(b, base);
    put_le(b, 2, 2); /* SMB2_ENCRYPTION_CAPABILITIES */
    put_le(b, response ? 4 : 6, 2);
    put_le(b, 0, 4);
    put_le(b, response ? 1 : 2, 2);
    put_le(b, 2, 2); /* AES-128-GCM */
    if (!response)
        put_le(b, 1, 2); /* AES-128-CCM */
}

void ot_pg_smb2_negotiate_request(struct ot_pg_buf *b, uint64_t msg_id, const uint8_t *guid,
                                  const uint8_t *salt)
{
    static const uint16_t dialects[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};
    size_t nb = ot_pg_len_open(b, 4); /* NetBIOS session message: type 0, 24-bit length */
    size_t base = b->len;
    smb2_header(b, msg_id, false);
    put_le(b, 36, 2);
    put_le(b, 5, 2);    /* dialect count */
    put_le(b, 1, 2);    /* security mode: signing enabled */
    put_le(b, 0, 2);    /* reserved */
    put_le(b, 0x7f, 4); /* capabilities */
    ot_pg_put(b, guid, 16);
    size_t ctx_off = b->len;
    put_le(b, 0, 4); /* negotiate context offset, set below */
    put_le(b, 2, 2);
    put_le(b, 0, 2);
    for (size_t i = 0; i < 5; i++)
        put_le(b, dialects[i], 2);
    pad8(b, base);
    if (!b->overflow) {
        uint32_t off = (uint32_t)(b->len - base);
        for (int i = 0; i < 4; i++)
            b->p[ctx_off + (size_t)i] = (uint8_t)(off >> (8 * i));
    }
    smb2_contexts(b, base, salt, false);
    ot_pg_len_close(b, nb, 4);
}

/* SPNEGO negTokenInit as Windows servers send it: Kerberos, NTLMSSP, negHints. */
static void spnego_init(struct ot_pg_buf *b)
{
    static const uint8_t blob[] = {
        0x60, 0x5e, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x54, 0x30, 0x52,
        0xa0, 0x24, 0x30, 0x22, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02,
        0x02, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x06, 0x0a,
        0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a, 0xa3, 0x2a, 0x30, 0x28,
        0xa0, 0x26, 0x1b, 0x24, 'n',  'o',  't',  '_',  'd',  'e',  'f',  'i',  'n',  'e',
        'd',  '_',  'i',  'n',  '_',  'R',  'F',  'C',  '4',  '1',  '7',  '8',  '@',  'p',
        'l',  'e',  'a',  's',  'e',  '_',  'i',  'g',  'n',  'o',  'r',  'e'};
    ot_pg_put(b, blob, sizeof(blob));
}

void ot_pg_smb2_negotiate_response(struct ot_pg_buf *b, uint64_t msg_id, const uint8_t *guid,
                                   const uint8_t *salt, uint64_t now, uint64_t boot)
{
    size_t nb = ot_pg_len_open(b, 4);
    size_t base = b->len;
    smb2_header(b, msg_id, true);
    put_le(b, 65, 2);
    put_le(b, 1, 2);      /* security mode: signing enabled */
    put_le(b, 0x0311, 2); /* dialect */
    put_le(b, 2, 2);      /* negotiate context count */
    ot_pg_put(b, guid, 16);
    put_le(b, 0x2f, 4); /* DFS, leasing, large MTU, multi-channel, directory leasing */
    put_le(b, 8388608, 4);
    put_le(b, 8388608, 4);
    put_le(b, 8388608, 4);
    put_le(b, now, 8);
    put_le(b, boot, 8);
    size_t sec = b->len;
    put_le(b, 128, 2); /* security buffer offset */
    put_le(b, 0, 2);   /* and length, set below */
    size_t ctx_off = b->len;
    put_le(b, 0, 4);
    size_t blob = b->len;
    spnego_init(b);
    size_t bloblen = b->len - blob;
    pad8(b, base);
    if (!b->overflow) {
        uint32_t off = (uint32_t)(b->len - base);
        b->p[sec + 2] = (uint8_t)bloblen;
        b->p[sec + 3] = (uint8_t)(bloblen >> 8);
        for (int i = 0; i < 4; i++)
            b->p[ctx_off + (size_t)i] = (uint8_t)(off >> (8 * i));
    }
    smb2_contexts(b, base, salt, true);
    ot_pg_len_close(b, nb, 4);
}

/* --- RDP ---------------------------------------------------------------- */

void ot_pg_rdp_connection_request(struct ot_pg_buf *b, const char *user, uint32_t protocols)
{
    size_t tpkt = b->len;
    ot_pg_put(b, "\x03\x00", 2);
    size_t len = ot_pg_len_open(b, 2);
    size_t li = b->len;
    ot_pg_put8(b, 0);                            /* length indicator, set below */
    ot_pg_put(b, "\xe0\x00\x00\x00\x00\x00", 6); /* CR, dst-ref, src-ref, class 0 */
    ot_pg_putf(b, "Cookie: mstshash=%s\r\n", user);
    ot_pg_put(b, "\x01\x00\x08\x00", 4); /* RDP_NEG_REQ */
    put_le(b, protocols, 4);
    if (!b->overflow) {
        b->p[li] = (uint8_t)(b->len - li - 1);
        size_t total = b->len - tpkt;
        b->p[len] = (uint8_t)(total >> 8);
        b->p[len + 1] = (uint8_t)total;
    }
}

void ot_pg_rdp_connection_confirm(struct ot_pg_buf *b, uint32_t protocol)
{
    ot_pg_put(b, "\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00", 11);
    ot_pg_put(b, "\x02\x1f\x08\x00", 4); /* RDP_NEG_RSP, flags */
    put_le(b, protocol, 4);
}
