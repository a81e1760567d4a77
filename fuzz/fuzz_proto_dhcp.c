/*
 * libFuzzer target for the DHCP parser, through the real dispatcher and EVE
 * writer (to /dev/null).
 *
 * Input: one config byte, then datagrams.
 *   config: bit 0 ports 68->67 (else 5000->6000); bit 1 skip the probe (the
 *           parser is attached to the flow directly).
 *   datagram: header byte h: bit 7 direction; bit 6 set: length is
 *           (h & 0x3f) << 8 | next byte, else h & 0x3f.  Then that many bytes
 *           (or what is left).
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_dhcp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    data++;
    size--;
    struct ot_harness h;
    bool std_ports = cfg & 1;
    if (ot_harness_init(&h, "0.0.0.0", std_ports ? 68 : 5000, "255.255.255.255",
                        std_ports ? 67 : 6000, 17, false) != 0)
        return 0;
    if (cfg & 2) {
        h.flow.app_state = calloc(1, ot_proto_dhcp.state_size);
        if (!h.flow.app_state) {
            ot_eve_close(&h.eve);
            return 0;
        }
        h.flow.parser = &ot_proto_dhcp;
        h.flow.app_proto = OT_APP_DHCP;
    }
    int dir;
    const uint8_t *chunk;
    size_t n;
    while (ot_harness_chunk(&data, &size, &dir, &chunk, &n)) {
        ot_harness_feed(&h, dir, chunk, n);
    }
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
    return 0;
}
