/*
 * libFuzzer target for the POP3 parser, through the real dispatcher and EVE
 * writer (to /dev/null).  Input format: tests/support/fuzz-stream.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz-stream.h"

extern const struct ot_proto_parser ot_proto_pop3;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ports[] = {110, 1110, 21, 25, 143, 23, 0, 995};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ot_fuzz_stream(&ot_proto_pop3, ports, data, size);
}
