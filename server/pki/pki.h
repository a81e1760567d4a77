/*
 * The server's own certificate authority and TLS certificate
 * (docs/server/design.md "Data folder").  On first start the data folder gets
 * ca.pem/ca.key (ECDSA P-256, 10 years) and server.pem/server.key (P-256,
 * 2 years, signed by the CA, SANs localhost, 127.0.0.1, ::1, the host name
 * and the operator's --san names).  Later starts load them; the server
 * certificate is issued again (same CA) when a wanted name is missing from
 * it, it does not verify against the CA, or it expires within 30 days.
 *
 * Ownership: struct ot_pki owns its PEM strings; ot_pki_free() releases them.
 */
#ifndef OT_SERVER_PKI_H
#define OT_SERVER_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OT_PKI_MAX_SANS 32

struct ot_pki {
    char *ca_pem;   /* CA certificate, PEM (served at GET /api/v1/ca) */
    char *cert_pem; /* server certificate, PEM */
    char *key_pem;  /* server private key, PEM (PKCS#8) */
    uint8_t ca_sha256[32];
    char ca_pin[65];   /* lower-case hex of ca_sha256: the pin in enrolment tokens */
    bool ca_created;   /* made on this start */
    bool cert_created; /* server certificate issued on this start */
};

/*
 * Loads or creates the CA and server certificate in dir (which exists).
 * sans[0..nsans) are extra names (DNS names or IP addresses) besides the
 * built-in ones.  On failure returns a negative ot_err and writes a one-line
 * reason naming the file into err.
 */
int ot_pki_load_or_create(const char *dir, const char *const *sans, size_t nsans,
                          struct ot_pki *out /* OUT */, char *err, size_t errlen);
void ot_pki_free(struct ot_pki *p);

/* true when s is usable as a SAN: an IPv4/IPv6 address or a DNS name (letters, digits, '-', '.').
 */
bool ot_pki_san_valid(const char *s);

/* SHA-256 of the DER of the first certificate in pem, as 64 hex digits + NUL. */
int ot_pki_pem_pin(const char *pem, char hex[65]);

#endif
