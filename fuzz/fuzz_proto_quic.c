/*
 * libFuzzer target for the QUIC parser (sensor/proto/proto-quic.c), through
 * the real dispatcher and EVE writer (to /dev/null).
 *
 * Encrypted packets only reach the header parser and the AEAD (whose tag a
 * fuzzer cannot forge), so the input chooses between two ways in:
 *
 * Input: one config byte, then the rest.
 *   config bit 0 clear: datagrams (as fuzz_proto_dhcp: header byte h, bit 7
 *           the direction, bit 6 a second length byte, low bits the
 *           length), through the probe and parse().
 *   config bit 0 set: decrypted Initial packets' frames, given to
 *           ot_quic_initial_frames() one packet per chunk (same chunk
 *           headers), so CRYPTO reassembly and the ClientHello reader run
 *           on anything.
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto-harness.h"
#include "proto/quic.h"

extern const struct ot_proto_parser ot_proto_quic;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfg = data[0];
    data++;
    size--;
    struct ot_harness h;
    if (ot_harness_init(&h, "192.168.1.20", 50000, "203.0.113.5", 443, 17, false) != 0)
        return 0;
    void *st = NULL;
    if (cfg & 1) {
        st = calloc(1, ot_proto_quic.state_size);
        if (!st) {
            ot_eve_close(&h.eve);
            return 0;
        }
    }
    int dir;
    const uint8_t *chunk;
    size_t n;
    while (ot_harness_chunk(&data, &size, &dir, &chunk, &n)) {
        if (st)
            ot_quic_initial_frames(&h.pe.ctx, &h.flow, st, OT_QUIC_V1, chunk, n);
        else
            ot_harness_feed(&h, dir, chunk, n);
    }
    if (st) {
        ot_proto_quic.close(&h.pe.ctx, &h.flow, st);
        free(st);
    }
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
    return 0;
}
