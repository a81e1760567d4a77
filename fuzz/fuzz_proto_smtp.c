/*
 * libFuzzer target for the SMTP parser, through the real dispatcher and EVE
 * writer (to /dev/null).  Input format: tests/support/fuzz-stream.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz-stream.h"

extern const struct ot_proto_parser ot_proto_smtp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ports[] = {25, 587, 2525, 21, 110, 143, 23, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ot_fuzz_stream(&ot_proto_smtp, ports, data, size);
}
