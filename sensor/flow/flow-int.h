/*
 * Internal interface between the flow table (flow.c), the TCP reassembler
 * (stream.c) and Community ID (community-id.c).  Nothing outside
 * sensor/flow/ (and its tests) includes this.
 */
#ifndef OT_SENSOR_FLOW_INT_H
#define OT_SENSOR_FLOW_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"

/* Serial-number comparisons (RFC 1982) for TCP sequence numbers. */
static inline bool ot_seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static inline bool ot_seq_leq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}

/*
 * What the reassembler needs from its table: limits, callbacks, counters.
 * One per table; the table owns it.
 */
struct ot_reasm {
    const struct ot_flow_callbacks *cb;
    struct ot_flow_stats *stats; /* tcp_* counters and tcp_ooo_memuse */
    uint64_t memcap;             /* bytes for all held segments, overhead included */
    uint32_t depth;              /* payload bytes delivered per direction */
    uint32_t ooo_max;            /* payload bytes held per direction */
    uint32_t ooo_max_segs;       /* segments held per direction */
};

void ot_reasm_init(struct ot_reasm *r, const struct ot_flow_config *cfg,
                   const struct ot_flow_callbacks *cb, struct ot_flow_stats *stats);

/* A SYN with sequence number `seq` (payload, if any, starts at seq + 1). */
void ot_stream_syn(struct ot_stream *s, uint32_t seq);
/* Learn where payload starts when no SYN was seen (e.g. from the peer's SYN-ACK). */
void ot_stream_learn(struct ot_stream *s, uint32_t next_seq);
/* A FIN: the stream's data ends at `fin_seq`. */
void ot_stream_fin(struct ot_stream *s, uint32_t fin_seq);
/*
 * Payload of one segment of direction `dir`, first byte at `seq`.  Delivers
 * what is in order (the packet's own bytes, uncopied, when possible), holds
 * what is ahead, drops what was already seen.
 */
void ot_stream_data(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t seq,
                    const uint8_t *data, uint32_t len, uint64_t ts_us);
/*
 * The peer acknowledged everything before `ack` in direction `dir`: any hole
 * before it is lost.  Nearly every acknowledgement is of bytes already
 * delivered, so that test is inline and only the rest reach
 * ot_stream_ack_ahead() (stream.c).
 */
void ot_stream_ack_ahead(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t ack,
                         uint64_t ts_us);

static inline void ot_stream_ack(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t ack,
                                 uint64_t ts_us)
{
    const struct ot_stream *s = &f->stream[dir];
    if (s->seq_known && !s->depth_reached && ot_seq_lt(s->next_seq, ack))
        ot_stream_ack_ahead(r, f, dir, ack, ts_us);
}
/* The flow ends: deliver every held segment (with gaps) and free them. */
void ot_stream_end(struct ot_reasm *r, struct ot_flow *f, int dir, uint64_t ts_us);

/*
 * Community ID's port equivalents for an ICMP (proto 1) or ICMPv6 (58)
 * message: *sp = type, *dp = the type of the matching reply/request, or the
 * code when the message has no counterpart.  Returns true for such one-way
 * messages (their tuple is never flipped).
 */
bool ot_icmp_port_equivalents(uint8_t proto, uint8_t type, uint8_t code, uint16_t *sp,
                              uint16_t *dp);

#endif
