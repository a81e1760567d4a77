/*
 * Host names from the local name protocols, for the asset inventory.
 *
 * Each parser reads one UDP payload and reports what it says about names:
 * "name N belongs to address A" (or, for a NetBIOS node status response,
 * "N is the sender's own name").  They keep no state and allocate nothing.
 *
 *   mDNS (RFC 6762, UDP 5353): A and AAAA records (class IN, the cache-flush
 *     bit ignored, TTL > 0) whose owner name ends in ".local", from every
 *     section of a response and from the authority section of a query (a
 *     host probing for its own name).  The name is reported without
 *     ".local".  Known answers in a query's answer section are other
 *     hosts' names as cached by the asker, and are ignored.
 *   LLMNR (RFC 4795, UDP 5355): responses (QR set, opcode 0, rcode 0), the
 *     A and AAAA records of the answer section, name as sent.
 *   NetBIOS name service (RFC 1002, UDP 137): name registrations and
 *     refreshes (question name + the NB address of the additional record),
 *     positive name query and registration responses (answer name + every
 *     NB address), and node status responses (the first unique name with
 *     suffix 0x00 in the sender's name table).  Only unique names (group bit
 *     clear) with suffix 0x00 (workstation) or 0x20 (server) are host names;
 *     user names (0x03), domain and browser names are not.
 *
 * Names: at most OT_ASSET_NAME_MAX bytes, no control characters, not empty;
 * anything else is skipped.  Every length is checked against the datagram;
 * compression pointers are followed at most NAMES_MAX_HOPS times and a
 * name's wire form is bounded by 255 bytes as RFC 1035 says, so every loop
 * is bounded by the datagram's size.  A datagram with a malformed record
 * returns OT_EINVAL and nothing from it is used.
 */
#ifndef OT_SENSOR_ASSET_NAMES_H
#define OT_SENSOR_ASSET_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asset/asset.h"

#define OT_NAMES_MAX 16 /* findings reported per datagram */

struct ot_name_find {
    char name[OT_ASSET_NAME_MAX + 1]; /* NUL-terminated */
    struct ot_addr addr;              /* valid unless `self` */
    bool v6;
    bool self; /* no address: the name is the sender's own */
};

/*
 * Each returns the number of findings written to out[0..max), 0 when the
 * datagram says nothing about names, or OT_EINVAL when it is malformed.
 */
int ot_names_mdns(const uint8_t *msg, size_t len, struct ot_name_find *out, size_t max);
int ot_names_llmnr(const uint8_t *msg, size_t len, struct ot_name_find *out, size_t max);
int ot_names_nbns(const uint8_t *msg, size_t len, struct ot_name_find *out, size_t max);

/* Is this a host name we keep? 1..OT_ASSET_NAME_MAX bytes, no control characters. */
bool ot_asset_name_ok(const char *s, size_t n);

/*
 * Undo NetBIOS first-level encoding (RFC 1001 14.1): 32 bytes 'A'..'P', two
 * per byte, give 16 bytes: a 15-byte name padded with spaces, then the
 * suffix byte.  Writes the name without its padding (spaces or NULs at the
 * end), NUL-terminated, at most 15 bytes (which may include NUL bytes: check
 * it with ot_asset_name_ok()), and the suffix.  Returns the name's length, or OT_EINVAL when
 * `len` is not 32 or a byte is outside 'A'..'P'.
 */
int ot_nbns_decode_name(const uint8_t *enc, size_t len, char out[16], uint8_t *suffix /* OUT */);

#endif
