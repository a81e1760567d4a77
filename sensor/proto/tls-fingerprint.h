/*
 * TLS client and server fingerprints: JA3, JA3S (Salesforce) and JA4 (FoxIO).
 *
 * The TLS parser (proto-tls.c) validates a ClientHello and fills a struct
 * ot_tls_hello with views into the message; these functions only read those
 * views, so every length in the struct must already be bounds-checked.
 * GREASE values (RFC 8701) are left out everywhere the specifications say so.
 */
#ifndef OT_SENSOR_TLS_FINGERPRINT_H
#define OT_SENSOR_TLS_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of a JA4 string ("t13d1516h2_8daaf6152771_e5627efa2ab1") plus its NUL. */
#define OT_TLS_JA4_SIZE 37
/* An MD5 digest in lower-case hex plus its NUL. */
#define OT_TLS_MD5_HEX_SIZE 33

/* A validated ClientHello, as views into the handshake message (not owned). */
struct ot_tls_hello {
    uint16_t version;       /* legacy_version */
    uint16_t max_version;   /* highest non-GREASE supported_versions entry, 0: none */
    const uint8_t *ciphers; /* n_ciphers big-endian 16-bit values */
    size_t n_ciphers;
    const uint8_t *exts; /* extension block: type(2) len(2) body, walked and valid */
    size_t exts_len;
    const uint8_t *groups; /* supported_groups (0x000a): n_groups 16-bit values */
    size_t n_groups;
    const uint8_t *point_formats; /* ec_point_formats (0x000b): n_point_formats bytes */
    size_t n_point_formats;
    const uint8_t *sigalgs; /* signature_algorithms (0x000d): n_sigalgs 16-bit values */
    size_t n_sigalgs;
    const uint8_t *alpn0; /* first ALPN protocol name (may be empty), NULL: none */
    size_t alpn0_len;
    bool has_sni; /* a server_name extension (0x0000) was present */
};

bool ot_tls_is_grease(uint16_t v);

/*
 * JA3: "version,ciphers,extensions,groups,point_formats" (decimal, '-' inside
 * a list), GREASE removed.  *str is allocated here (the caller frees it);
 * md5 gets the MD5 of the string in lower-case hex.  0 or OT_ENOMEM.
 */
int ot_tls_ja3(const struct ot_tls_hello *h, char **str /* OUT */,
               char md5[OT_TLS_MD5_HEX_SIZE] /* OUT */);

/* JA3S: "version,cipher,extensions" of a ServerHello; same ownership as ot_tls_ja3(). */
int ot_tls_ja3s(uint16_t version, uint16_t cipher, const uint8_t *exts, size_t exts_len,
                char **str /* OUT */, char md5[OT_TLS_MD5_HEX_SIZE] /* OUT */);

/* JA4 (FoxIO spec, TLS over TCP: first character 't').  0 or OT_ENOMEM. */
int ot_tls_ja4(const struct ot_tls_hello *h, char out[OT_TLS_JA4_SIZE] /* OUT */);

#endif
