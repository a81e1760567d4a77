/*
 * ot-pcapgen payloads: application messages byte for byte as the real
 * programs send them (DNS with name compression, TLS ClientHello/ServerHello
 * and the TLS 1.2 handshake records, SSH binary packets, DHCP, SMB2
 * NEGOTIATE over NetBIOS, RDP X.224).
 *
 * Every builder appends to a bounded buffer owned by the caller.  Running out
 * of room sets the buffer's overflow flag and drops the rest; the caller
 * checks it once when the message is done.
 */
#ifndef OT_TOOLS_PCAPGEN_PROTO_H
#define OT_TOOLS_PCAPGEN_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ot_pg_buf {
    uint8_t *p;
    size_t len, cap;
    bool overflow;
};

void ot_pg_buf_init(struct ot_pg_buf *b, uint8_t *mem, size_t cap);
/* Append N bytes of DATA (NULL: zeros); returns where they went, or NULL on overflow. */
uint8_t *ot_pg_put(struct ot_pg_buf *b, const void *data, size_t n);
void ot_pg_put8(struct ot_pg_buf *b, uint32_t v);
void ot_pg_put16(struct ot_pg_buf *b, uint32_t v); /* big-endian */
void ot_pg_put24(struct ot_pg_buf *b, uint32_t v);
void ot_pg_put32(struct ot_pg_buf *b, uint32_t v);
void ot_pg_puts(struct ot_pg_buf *b, const char *s);
void ot_pg_putf(struct ot_pg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reserve a big-endian length field of WIDTH bytes; close it once its contents are written. */
size_t ot_pg_len_open(struct ot_pg_buf *b, unsigned width);
void ot_pg_len_close(struct ot_pg_buf *b, size_t at, unsigned width);
/* Base64 of IN into OUT (NUL-terminated); returns OT_ELIMIT if CAP is too small. */
int ot_pg_base64(const char *in, char *out, size_t cap);

/* --- DNS ---------------------------------------------------------------- */

#define OT_PG_DNS_NAMES 48

enum {
    OT_PG_DNS_A = 1,
    OT_PG_DNS_NS = 2,
    OT_PG_DNS_CNAME = 5,
    OT_PG_DNS_SOA = 6,
    OT_PG_DNS_MX = 15,
    OT_PG_DNS_TXT = 16,
    OT_PG_DNS_AAAA = 28,
    OT_PG_DNS_OPT = 41,
    OT_PG_DNS_DNSKEY = 48,
};

#define OT_PG_DNS_QUERY    0x0100u /* RD */
#define OT_PG_DNS_RESPONSE 0x8180u /* QR RD RA, NOERROR */
#define OT_PG_DNS_NXDOMAIN 0x8183u
#define OT_PG_DNS_TC       0x0200u

enum { OT_PG_DNS_SEC_AN = 1, OT_PG_DNS_SEC_NS = 2, OT_PG_DNS_SEC_AR = 3 };

/*
 * One DNS message being built: the question, then records, which go to the
 * answer section until ot_pg_dns_section() moves on; ot_pg_dns_end() sets
 * the section counts.  Names are compressed against earlier ones; the
 * strings passed in must stay valid until the message is done.
 */
struct ot_pg_dns {
    struct ot_pg_buf *b;
    size_t base; /* message start in the buffer */
    unsigned section;
    uint16_t count[4];
    unsigned n;
    const char *name[OT_PG_DNS_NAMES];
    uint16_t off[OT_PG_DNS_NAMES];
};

void ot_pg_dns_begin(struct ot_pg_dns *d, struct ot_pg_buf *b, uint16_t id, uint16_t flags);
void ot_pg_dns_section(struct ot_pg_dns *d, unsigned section);
void ot_pg_dns_end(struct ot_pg_dns *d);
void ot_pg_dns_question(struct ot_pg_dns *d, const char *name, uint16_t type);
void ot_pg_dns_rr(struct ot_pg_dns *d, const char *name, uint16_t type, uint32_t ttl,
                  const void *rdata, size_t rdlen);
/* A or AAAA record from an address literal. */
void ot_pg_dns_rr_addr(struct ot_pg_dns *d, const char *name, uint32_t ttl, const char *ip);
/* CNAME, NS or PTR: the data is a (compressed) name. */
void ot_pg_dns_rr_name(struct ot_pg_dns *d, const char *name, uint16_t type, uint32_t ttl,
                       const char *target);
void ot_pg_dns_rr_mx(struct ot_pg_dns *d, const char *name, uint32_t ttl, uint16_t pref,
                     const char *exchange);
/* TXT: TEXT split into character-strings of at most 255 bytes. */
void ot_pg_dns_rr_txt(struct ot_pg_dns *d, const char *name, uint32_t ttl, const char *text);
void ot_pg_dns_rr_soa(struct ot_pg_dns *d, const char *name, uint32_t ttl, const char *mname,
                      const char *rname, uint32_t serial);
/* EDNS0 OPT pseudo-record advertising UDP_SIZE (in the additional section). */
void ot_pg_dns_opt(struct ot_pg_dns *d, uint16_t udp_size);

/* --- TLS ---------------------------------------------------------------- */

enum {
    OT_PG_TLS_CCS = 20,
    OT_PG_TLS_ALERT = 21,
    OT_PG_TLS_HANDSHAKE = 22,
    OT_PG_TLS_APPDATA = 23,
};

/* A Chrome-like ClientHello. */
struct ot_pg_tls_hello {
    const uint8_t *random;     /* 32 bytes */
    const uint8_t *session_id; /* 32 bytes, or NULL for none */
    const char *sni;           /* NULL: no server_name */
    const char *const *alpn;   /* protocol names, N_ALPN of them */
    size_t n_alpn;
    bool tls13;               /* offer TLS 1.3: supported_versions, key_share, psk modes */
    const uint8_t *key_share; /* 32-byte X25519 public key, with TLS13 */
    uint16_t grease[5];       /* 0: no GREASE; else ciphers, first ext, group, version, last ext */
};

struct ot_pg_tls_server {
    const uint8_t *random;     /* 32 bytes */
    const uint8_t *session_id; /* 32 bytes (the client's, echoed, for TLS 1.3) */
    uint16_t cipher;
    bool tls13;               /* supported_versions 1.3 and key_share */
    const uint8_t *key_share; /* 32 bytes, with TLS13 */
    const char *alpn;         /* selected protocol (TLS 1.2), or NULL */
};

/* Each call appends one whole record. */
void ot_pg_tls_new_session_ticket(struct ot_pg_buf *b, uint32_t lifetime, const uint8_t *ticket,
                                  size_t len);
void ot_pg_tls_client_hello(struct ot_pg_buf *b, const struct ot_pg_tls_hello *h);
void ot_pg_tls_server_hello(struct ot_pg_buf *b, const struct ot_pg_tls_server *s);
void ot_pg_tls_certificate(struct ot_pg_buf *b, const uint8_t *der, size_t len);
/* ECDHE (X25519) parameters signed with rsa_pss_rsae_sha256 (SIG is opaque). */
void ot_pg_tls_server_key_exchange(struct ot_pg_buf *b, const uint8_t *pub, const uint8_t *sig,
                                   size_t siglen);
void ot_pg_tls_server_hello_done(struct ot_pg_buf *b);
void ot_pg_tls_client_key_exchange(struct ot_pg_buf *b, const uint8_t *pub);
void ot_pg_tls_change_cipher_spec(struct ot_pg_buf *b);
/* A record of TYPE with opaque (encrypted) contents. */
void ot_pg_tls_record(struct ot_pg_buf *b, uint8_t type, const uint8_t *data, size_t len);

/* --- SSH ---------------------------------------------------------------- */

/* KEXINIT as an OpenSSH 9.2 client or an OpenSSH 8.4 server (RSA host key only) sends it. */
void ot_pg_ssh_kexinit(struct ot_pg_buf *b, const uint8_t *cookie, bool server);
/* SSH_MSG_KEX_ECDH_INIT with the client's 32-byte curve25519 key. */
void ot_pg_ssh_ecdh_init(struct ot_pg_buf *b, const uint8_t *q_c);
/* SSH_MSG_KEX_ECDH_REPLY: RSA-2048 host key modulus (256), server key (32), signature (256). */
void ot_pg_ssh_ecdh_reply(struct ot_pg_buf *b, const uint8_t *rsa_n, const uint8_t *q_s,
                          const uint8_t *sig);
void ot_pg_ssh_newkeys(struct ot_pg_buf *b);

/* --- DHCP --------------------------------------------------------------- */

/* BOOTP fixed part and magic cookie; addresses are 4 bytes or NULL (0.0.0.0). */
void ot_pg_dhcp_begin(struct ot_pg_buf *b, uint8_t op, uint32_t xid, uint16_t secs, uint16_t flags,
                      const uint8_t *ciaddr, const uint8_t *yiaddr, const uint8_t *siaddr,
                      const uint8_t *chaddr);
void ot_pg_dhcp_opt(struct ot_pg_buf *b, uint8_t code, const void *data, size_t len);
/* End option and padding to the 300-byte BOOTP minimum. */
void ot_pg_dhcp_end(struct ot_pg_buf *b);

/* --- SMB2 over NetBIOS session service ------------------------------------ */

void ot_pg_smb2_negotiate_request(struct ot_pg_buf *b, uint64_t msg_id, const uint8_t *guid,
                                  const uint8_t *salt);
/* Dialect 3.1.1; times are Windows FILETIMEs. */
void ot_pg_smb2_negotiate_response(struct ot_pg_buf *b, uint64_t msg_id, const uint8_t *guid,
                                   const uint8_t *salt, uint64_t now, uint64_t boot);

/* --- RDP ---------------------------------------------------------------- */

/* TPKT + X.224 Connection Request with "Cookie: mstshash=USER" and RDP_NEG_REQ. */
void ot_pg_rdp_connection_request(struct ot_pg_buf *b, const char *user, uint32_t protocols);
/* TPKT + X.224 Connection Confirm with RDP_NEG_RSP. */
void ot_pg_rdp_connection_confirm(struct ot_pg_buf *b, uint32_t protocol);

#endif
