/*
 * libFuzzer target for the DNS parser, through the real dispatcher and EVE
 * writer (to /dev/null).
 *
 * Input: one config byte, then chunks.
 *   config: bit 0 TCP (else UDP); bits 1-2 server port 53/5353/5355/4444;
 *           bit 3 max_buffer 256 (else the default); bit 4 skip the probe
 *           (the parser is attached to the flow directly).
 *   chunk:  header byte h: bit 7 direction; bit 6 set: length is
 *           (h & 0x3f) << 8 | next byte, else h & 0x3f; length 0 = a gap of
 *           37 bytes in that direction.  Then that many bytes (or what is left).
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_dns;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t ports[4] = {53, 5353, 5355, 4444};
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    data++;
    size--;
    struct ot_harness h;
    if (ot_harness_init(&h, "192.0.2.1", 40000, "192.0.2.53", ports[(cfg >> 1) & 3],
                        (cfg & 1) ? 6 : 17, false) != 0)
        return 0;
    if (cfg & 8)
        h.pe.conf.max_buffer = 256;
    if (cfg & 16) {
        h.flow.app_state = calloc(1, ot_proto_dns.state_size);
        if (!h.flow.app_state) {
            ot_eve_close(&h.eve);
            return 0;
        }
        h.flow.parser = &ot_proto_dns;
        h.flow.app_proto = OT_APP_DNS;
    }
    int dir;
    const uint8_t *chunk;
    size_t n;
    while (ot_harness_chunk(&data, &size, &dir, &chunk, &n)) {
        if (n == 0) {
            ot_harness_gap(&h, dir, 37);
            continue;
        }
        ot_harness_feed(&h, dir, chunk, n);
    }
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
    return 0;
}
