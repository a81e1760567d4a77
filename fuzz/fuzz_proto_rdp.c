/*
 * libFuzzer target: the rdp parser through the real dispatcher and EVE
 * writer (to /dev/null), fed in chunks in both directions so that records
 * split at any byte, gaps and interleavings are exercised.
 *
 * Input: one configuration byte (bit 0: a small max_buffer of 512 bytes),
 * then chunks, each introduced by one byte b: direction = b & 1, length =
 * (b >> 1) + 1; b >> 1 == 127 instead means a gap in that direction of
 * (next byte + 1) * 16 bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto-harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ot_harness h;
    if (size < 1)
        return 0;
    if (ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 3389, 6, false) != 0)
        return 0;
    if (data[0] & 1)
        h.pe.conf.max_buffer = 512;
    size_t i = 1;
    while (i < size) {
        uint8_t b = data[i++];
        int dir = b & 1;
        if ((b >> 1) == 127) {
            size_t lost = i < size ? ((size_t)data[i++] + 1) * 16 : 16;
            ot_harness_gap(&h, dir, lost);
            continue;
        }
        size_t n = (size_t)(b >> 1) + 1;
        if (n > size - i)
            n = size - i;
        if (n)
            ot_harness_feed(&h, dir, data + i, n);
        i += n;
    }
    ot_harness_finish(&h);
    return 0;
}
