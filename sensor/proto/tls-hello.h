/*
 * A TLS ClientHello read outside a TLS record stream: QUIC carries the
 * handshake in its own CRYPTO frames (proto-quic.c).  The same reader as the
 * tls parser's (proto-tls.c), so names and fingerprints are computed the
 * same way.
 */
#ifndef OT_SENSOR_TLS_HELLO_H
#define OT_SENSOR_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "proto/tls-fingerprint.h"

struct ot_tls_client_hello {
    uint8_t sni[255]; /* server_name (cut at 255 bytes) */
    uint16_t sni_len;
    uint8_t alpn[256]; /* ALPN names in wire form (each length-prefixed), whole names only */
    uint16_t alpn_len;
    char *ja3; /* JA3 string (owned) */
    char ja3_md5[OT_TLS_MD5_HEX_SIZE];
    char ja4[OT_TLS_JA4_SIZE]; /* TLS-over-TCP variant ('t'); the caller sets the first letter */
};

/*
 * Read a ClientHello handshake body (after the 4-byte handshake header).
 * Returns 0, OT_EINVAL when it is malformed, or OT_ENOMEM; on success free
 * with ot_tls_client_hello_free().
 */
int ot_tls_client_hello_read(const uint8_t *body, size_t len, struct ot_tls_client_hello *out);
void ot_tls_client_hello_free(struct ot_tls_client_hello *ch);

#endif
