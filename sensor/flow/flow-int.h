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
 * How long a bare acknowledgement of bytes not seen yet waits for them
 * (packet time), and how many such waits the table keeps at once.  Captures
 * reorder a segment behind the peer's ACK of it (the two were seen on
 * different paths or queues); giving the hole up at once would lose bytes
 * that arrive a packet later.  See ot_stream_ack_ahead().
 */
#define OT_REASM_WAIT_US    1000000u
#define OT_REASM_WAIT_SLOTS 1024u

/* One pending wait: when it is due, and whose it is (flow index * 2 + direction). */
struct ot_reasm_wait {
    uint64_t due_us;
    uint32_t who;
};

/*
 * What the reassembler needs from its table: limits, callbacks, counters,
 * and the ring of pending waits.  One per table; the table owns it.
 *
 * The ring is a FIFO in start order, so (packet time being nearly
 * monotonic) in due order: only its head is ever compared with the clock.
 * A stream's wait that ends early (its bytes came) leaves its entry behind;
 * the entry is recognised as stale (the stream no longer waits, or waits
 * with another slot) and dropped when it comes out.  A full ring makes room
 * by ending its oldest wait at once (a gap, as without the wait).
 */
struct ot_reasm {
    const struct ot_flow_callbacks *cb;
    struct ot_flow_stats *stats; /* tcp_* counters and tcp_ooo_memuse */
    struct ot_flow *flows;       /* the table's flows, which wait[].who indexes */
    uint64_t memcap;             /* bytes for all held segments, overhead included */
    uint32_t depth;              /* payload bytes delivered per direction */
    uint32_t ooo_max;            /* payload bytes held per direction */
    uint32_t ooo_max_segs;       /* segments held per direction */
    uint32_t wait_head;          /* oldest entry of wait[] */
    uint32_t wait_count;         /* entries in wait[], stale ones included */
    struct ot_reasm_wait wait[OT_REASM_WAIT_SLOTS];
};

void ot_reasm_init(struct ot_reasm *r, const struct ot_flow_config *cfg,
                   const struct ot_flow_callbacks *cb, struct ot_flow_stats *stats,
                   struct ot_flow *flows);

/* End the waits due at `now_us` (ot_reasm_tick() when its head is due). */
void ot_reasm_expire(struct ot_reasm *r, uint64_t now_us);

/* Called with every packet's time: one comparison unless a wait is due. */
static inline void ot_reasm_tick(struct ot_reasm *r, uint64_t now_us)
{
    if (r->wait_count && r->wait[r->wait_head].due_us <= now_us)
        ot_reasm_expire(r, now_us);
}

/* A SYN with sequence number `seq` (payload, if any, starts at seq + 1). */
void ot_stream_syn(struct ot_stream *s, uint32_t seq);
/* Learn where payload starts when no SYN was seen (e.g. from the peer's SYN-ACK). */
void ot_stream_learn(struct ot_stream *s, uint32_t next_seq);
/* A FIN: the stream's data ends at `fin_seq` (which may end a wait for it). */
void ot_stream_fin(struct ot_stream *s, uint32_t fin_seq);
/*
 * Payload of one segment of direction `dir`, first byte at `seq`.  Delivers
 * what is in order (the packet's own bytes, uncopied, when possible), holds
 * what is ahead, drops what was already seen.
 */
void ot_stream_data(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t seq,
                    const uint8_t *data, uint32_t len, uint64_t ts_us);
/*
 * The peer acknowledged everything before `ack` in direction `dir`: the
 * bytes before it were sent.  With `bare` (the acknowledgement carries no
 * payload) a hole before `ack` is given OT_REASM_WAIT_US to fill, since
 * the capture may just have the data after its ACK; otherwise (the peer has
 * moved on and sends data of its own) the hole is given up as a gap at
 * once.  Nearly every acknowledgement is of bytes already delivered, so that
 * test is inline and only the rest reach ot_stream_ack_ahead() (stream.c).
 */
void ot_stream_ack_ahead(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t ack, bool bare,
                         uint64_t ts_us);

static inline void ot_stream_ack(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t ack,
                                 bool bare, uint64_t ts_us)
{
    const struct ot_stream *s = &f->stream[dir];
    if (s->seq_known && !s->depth_reached && ot_seq_lt(s->next_seq, ack))
        ot_stream_ack_ahead(r, f, dir, ack, bare, ts_us);
}
/* The flow ends: end its wait, deliver every held segment (with gaps) and free them. */
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
