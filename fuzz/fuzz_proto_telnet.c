/*
 * libFuzzer target for the Telnet parser, through the real dispatcher and EVE
 * writer (to /dev/null).  Input format: tests/support/fuzz-stream.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz-stream.h"

extern const struct ot_proto_parser ot_proto_telnet;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ports[] = {23, 2323, 21, 25, 110, 143, 0, 992};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ot_fuzz_stream(&ot_proto_telnet, ports, data, size);
}
