/*
 * MD5 for short inputs on the hot path (JA3/JA3S and HASSH fingerprints:
 * an MD5 of a string of a few hundred bytes per TLS or SSH handshake).
 * OpenSSL 3's EVP_Digest() spends far more on its context and provider
 * dispatch than on the hashing at these sizes; this is plain C.
 * Not for security purposes (MD5 is broken; the fingerprints are defined
 * with it).
 */
#ifndef OT_CORE_MD5_H
#define OT_CORE_MD5_H

#include <stddef.h>
#include <stdint.h>

#define OT_MD5_LEN 16

void ot_md5(const void *data, size_t len, uint8_t out[OT_MD5_LEN]);

#endif
