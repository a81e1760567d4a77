/*
 * libFuzzer target for the IMAP parser, through the real dispatcher and EVE
 * writer (to /dev/null).  Input format: tests/support/fuzz-stream.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz-stream.h"

extern const struct ot_proto_parser ot_proto_imap;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ports[] = {143, 1143, 21, 25, 110, 23, 0, 993};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ot_fuzz_stream(&ot_proto_imap, ports, data, size);
}
