/*
 * TCP reassembly for one direction of a flow: in-order delivery of payload up
 * to a depth, with retransmissions and overlaps trimmed and out-of-order
 * segments held in a bounded list.  Owned by flow.c.
 *
 * Sequence numbers are compared with serial-number arithmetic (RFC 1982), so
 * a stream may wrap past 2^32.  Overlapping data is resolved "first data
 * wins": bytes already delivered or already held are never replaced.  Held
 * segments are copies (the only allocations of the flow stage), accounted
 * against the table's stream_memcap and freed when delivered, skipped or
 * when the flow ends.
 */
#ifndef OT_SENSOR_STREAM_H
#define OT_SENSOR_STREAM_H

#include <stdbool.h>
#include <stdint.h>

struct ot_stream_seg; /* held out-of-order segment (stream.c) */

struct ot_stream {
    uint32_t isn;              /* first sequence number of payload */
    uint32_t next_seq;         /* next byte to deliver */
    uint32_t delivered;        /* bytes delivered so far (stops at depth) */
    uint32_t ooo_bytes;        /* bytes held out of order */
    struct ot_stream_seg *ooo; /* held segments, sorted by sequence */
    bool seq_known;
    bool depth_reached;
    bool fin_seen;
    bool ack_wait;                  /* a bare ACK acknowledged bytes not seen yet (stream.c) */
    uint16_t ooo_segs;              /* segments held */
    uint16_t wait_slot;             /* the wait's entry in the table's ring, when ack_wait */
    uint32_t fin_seq;               /* sequence number of the FIN, when fin_seen */
    uint32_t wait_ack;              /* what that ACK acknowledged, when ack_wait */
    struct ot_stream_seg *ooo_tail; /* last held segment (appends are the common case) */
};

#endif
