/*
 * The QUIC parser's pieces that tests and the fuzzer reach directly
 * (proto-quic.c): the Initial keys (RFC 9001 5.2), and the frames of an
 * Initial packet already decrypted, which cannot be reached through
 * encrypted packets without the keys.
 */
#ifndef OT_SENSOR_QUIC_H
#define OT_SENSOR_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto/tls-hello.h"

#define OT_QUIC_V1      0x00000001u
#define OT_QUIC_V2      0x6b3343cfu
#define OT_QUIC_DRAFT29 0xff00001du

struct ot_quic_keys {
    uint8_t key[16], iv[12], hp[16];
};

/* The client's Initial keys for VERSION and the client's first DCID. */
void ot_quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                          struct ot_quic_keys *k /* OUT */);

/*
 * The frames of one decrypted client Initial packet of the flow (state is
 * the parser's, from ot_proto_quic.state_size, zeroed): CRYPTO data is
 * collected and the event written once the ClientHello is whole.  Returns
 * what parse() would.
 */
int ot_quic_initial_frames(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state,
                           uint32_t version, const uint8_t *plain, size_t len);

/*
 * The flow's quic event from a read ClientHello (version 0: unknown, not
 * written; ua may be NULL), and its names and fingerprints to the detectors
 * as a TLS handshake (ctx->sink), at ctx->ts_us.  Our parser and nDPI's
 * reading of Google QUIC (sensor.c) both write through it.
 */
void ot_quic_write(struct ot_proto_ctx *ctx, const struct ot_flow *f, uint32_t version,
                   const struct ot_tls_client_hello *ch, const char *ua);

#endif
