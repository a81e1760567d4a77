/*
 * The X.509 fields of a server certificate, as Suricata's "tls" event shows
 * them: subject and issuer ("C=US, O=Let's Encrypt, CN=R3", in the
 * certificate's order), serial (upper-case hex bytes joined by ':'),
 * validity ("2020-01-01T00:00:00", UTC) and the SHA-1 fingerprint of the DER
 * (lower-case hex joined by ':').  The DER is walked directly (no OpenSSL, no
 * allocation); a certificate is accepted exactly when OpenSSL's d2i_X509
 * would accept it, except BER constructed strings (see tls-cert.c).
 */
#ifndef OT_SENSOR_TLS_CERT_H
#define OT_SENSOR_TLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sha1.h"

struct ot_jw;

/*
 * Writes "subject", "issuerdn", "serial", "fingerprint", "notbefore" and
 * "notafter" into the object open in `w` for the DER certificate `der`.
 * The fingerprint is written for any non-empty input; the other fields only
 * when the certificate decodes.  Returns 0, or OT_EINVAL when it does not.
 */
int ot_tls_cert_write(struct ot_jw *w, const uint8_t *der, size_t len);

/* A rendered name longer than this is cut (real ones are a few hundred bytes). */
#define OT_TLS_CERT_NAME_MAX 2048

/*
 * The fields of one certificate, read once by ot_tls_cert_parse() for the
 * event and the detectors (the remote-access detector looks at the names).
 * About 4 KiB: meant for the stack.
 */
struct ot_tls_cert {
    bool ok; /* the certificate decoded: the fields below are set */
    char subject[OT_TLS_CERT_NAME_MAX];
    char issuer[OT_TLS_CERT_NAME_MAX];
    size_t subject_len, issuer_len;
    char not_before[20], not_after[20]; /* "2020-01-01T00:00:00"; "" when it does not convert */
};

/* Decodes DER into C.  Returns 0, or OT_EINVAL (c->ok false) when it does not decode. */
int ot_tls_cert_parse(const uint8_t *der, size_t len, struct ot_tls_cert *c /* OUT */);
/*
 * Writes what ot_tls_cert_write_sha1() writes, from C (ot_tls_cert_parse()
 * of the same DER) and the DER's SHA-1.
 */
void ot_tls_cert_write_parsed(struct ot_jw *w, const struct ot_tls_cert *c, const uint8_t *der,
                              size_t len, const uint8_t sha1[OT_SHA1_LEN]);
/*
 * The same, with the SHA-1 of `der` already computed by the caller (the TLS
 * parser also hands it to the detection stage): a certificate is about 25
 * SHA-1 blocks, so hashing it once instead of twice is worth the argument.
 */
int ot_tls_cert_write_sha1(struct ot_jw *w, const uint8_t *der, size_t len,
                           const uint8_t sha1[OT_SHA1_LEN]);

#endif
