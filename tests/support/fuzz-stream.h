/*
 * Shared body of the stream-parser fuzz targets: one synthetic TCP flow
 * through the real dispatcher and EVE writer (to /dev/null).
 *
 * Input: byte 0 picks the server port (bits 0-2, from `ports`) and whether
 * `parser` is forced onto the flow (bit 7) or must be chosen by the probes.
 * Then chunks: one byte whose bit 0 is the direction and bits 1-7 the
 * length - 1, followed by that many bytes; length 128 means "a gap of the
 * next byte's value" instead, so reassembly splits and losses are both
 * exercised.
 */
#ifndef OT_TESTS_FUZZ_STREAM_H
#define OT_TESTS_FUZZ_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto-harness.h"

static inline int ot_fuzz_stream(const struct ot_proto_parser *parser, const uint16_t ports[8],
                                 const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct ot_harness h;
    if (ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", ports[data[0] & 7], 6, false) != 0)
        return 0;
    if (data[0] & 0x80) {
        h.flow.app_state = calloc(1, parser->state_size);
        if (!h.flow.app_state)
            abort();
        h.flow.parser = parser;
        h.flow.app_proto = (uint16_t)parser->id;
    }
    size_t i = 1;
    while (i < size) {
        uint8_t b = data[i++];
        int dir = b & 1;
        size_t n = (size_t)(b >> 1) + 1;
        if (n == 128) {
            if (i < size)
                ot_harness_gap(&h, dir, data[i++]);
            continue;
        }
        if (n > size - i)
            n = size - i;
        ot_harness_feed(&h, dir, data + i, n);
        i += n;
    }
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
    return 0;
}

#endif
