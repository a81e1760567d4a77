/*
 * libFuzzer target for the spool's state-file parser (spool.state is read
 * back from disk after crashes and by hand-edits), with a round-trip
 * oracle: whatever the parser accepts, formatted again, must parse into the
 * same state; whatever it refuses must name a line inside the input.
 *
 * Input: the file's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otasuke/error.h"
#include "transport/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ot_spool_state st, back;
    uint32_t bad = 0;
    if (ot_spool_state_parse((const char *)data, size, &st, &bad) != OT_OK) {
        if (bad == 0 || bad > size + 1)
            abort();
        return 0;
    }
    char text[256];
    size_t n = ot_spool_state_format(&st, text, sizeof(text));
    if (ot_spool_state_parse(text, n, &back, &bad) != OT_OK || memcmp(&st, &back, sizeof(st)))
        abort();
    return 0;
}
