/*
 * SHA-1 for short inputs on the hot path (Community ID: one digest per flow).
 * OpenSSL 3's one-shot SHA1() looks the algorithm up on every call, behind
 * read-write locks; this plain implementation costs a few hundred cycles.
 * Not for security purposes.
 */
#ifndef OT_CORE_SHA1_H
#define OT_CORE_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define OT_SHA1_LEN 20

void ot_sha1(const void *data, size_t len, uint8_t out[OT_SHA1_LEN]);

#endif
