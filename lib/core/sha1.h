/*
 * SHA-1 for short inputs on the hot path (Community ID: one digest per flow;
 * certificate fingerprints).  OpenSSL 3's one-shot SHA1() looks the
 * algorithm up on every call, behind read-write locks; this implementation
 * uses the SHA-NI instructions where the processor has them, else plain C.
 * Not for security purposes.
 */
#ifndef OT_CORE_SHA1_H
#define OT_CORE_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define OT_SHA1_LEN 20

void ot_sha1(const void *data, size_t len, uint8_t out[OT_SHA1_LEN]);
/* The same without the SHA-NI path (for tests: the portable code on any processor). */
void ot_sha1_portable(const void *data, size_t len, uint8_t out[OT_SHA1_LEN]);

#endif
