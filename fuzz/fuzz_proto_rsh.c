/*
 * libFuzzer target for the rexec/rlogin/rsh parser, through the real
 * dispatcher and EVE writer (to /dev/null).  Input format:
 * tests/support/fuzz-stream.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz-stream.h"

extern const struct ot_proto_parser ot_proto_rsh;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ports[] = {512, 513, 514, 514, 23, 0, 1022, 601};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ot_fuzz_stream(&ot_proto_rsh, ports, data, size);
}
