/*
 * SHA-256 for short inputs on the hot path (JA4: two digests of a few
 * hundred bytes per TLS client hello).  OpenSSL 3's EVP_Digest() spends far
 * more on its context and provider dispatch than on the hashing at these
 * sizes; this implementation uses the SHA-NI instructions where the
 * processor has them, else plain C.  Not for security purposes.
 */
#ifndef OT_CORE_SHA256_H
#define OT_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define OT_SHA256_LEN 32

void ot_sha256(const void *data, size_t len, uint8_t out[OT_SHA256_LEN]);
/* The same without the SHA-NI path (for tests: the portable code on any processor). */
void ot_sha256_portable(const void *data, size_t len, uint8_t out[OT_SHA256_LEN]);

/*
 * HMAC-SHA-256 (RFC 2104) of `len` bytes at msg under a key of any length:
 * QUIC's Initial key derivation (HKDF) on the hot path.  Not constant-time.
 */
void ot_hmac_sha256(const void *key, size_t klen, const void *msg, size_t len,
                    uint8_t out[OT_SHA256_LEN]);

#endif
