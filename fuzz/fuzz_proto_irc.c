/*
 * libFuzzer target for the IRC parser, through the real dispatcher and EVE
 * writer (to /dev/null).  Input format: tests/support/fuzz-stream.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz-stream.h"

extern const struct ot_proto_parser ot_proto_irc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ports[] = {6667, 6660, 7000, 6697, 0, 80, 21, 443};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ot_fuzz_stream(&ot_proto_irc, ports, data, size);
}
