/*
 * TCP reassembly, one direction at a time.
 *
 * A segment exactly at next_seq with nothing held is handed to on_data
 * straight from the packet (the fast path).  Otherwise the segment is
 * trimmed against what was already delivered, its in-order part is delivered
 * (still uncopied), and what lies ahead of a hole is copied into the held
 * list, filling only the parts no held segment covers ("first data wins").
 * The held list is sorted, its segments never overlap, and every one starts
 * after next_seq.
 *
 * A hole is given up (reported as a gap, see OT_DATA_GAP) when the peer
 * acknowledges past it, when holding more would pass a bound, or when the
 * flow ends.  A bare acknowledgement (no payload) past a hole only starts a
 * wait (ack_wait): captures often hold a segment just after the ACK of it.
 * The wait ends well when the sender's data (or FIN) reaches the
 * acknowledged point, and gives the hole up when the peer sends payload
 * acknowledging it too, after OT_REASM_WAIT_US of packet time (the table's
 * ring of waits, flow-int.h), or when the flow ends.  Waiting holds nothing
 * more than the held list already may, so the bounds stay as they are.
 *
 * A segment that cannot be held even with this direction's held data given
 * up (larger than the per-direction bound, or the table-wide memcap is used
 * by other flows) is dropped and counted in tcp_ooo_dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flow-int.h"

struct ot_stream_seg {
    struct ot_stream_seg *next;
    uint32_t seq;
    uint32_t len;
    uint8_t data[];
};

/*
 * The largest TCP window (65535 << 14).  Data or an acknowledgement further
 * ahead than this cannot belong to the stream; believing it would give up
 * everything in between as one huge gap.
 */
#define MAX_WINDOW (1u << 30)

/* What one held segment costs against the memcap besides its payload (malloc's header included). */
#define SEG_OVERHEAD ((uint64_t)sizeof(struct ot_stream_seg) + 16)

void ot_reasm_init(struct ot_reasm *r, const struct ot_flow_config *cfg,
                   const struct ot_flow_callbacks *cb, struct ot_flow_stats *stats,
                   struct ot_flow *flows)
{
    r->cb = cb;
    r->stats = stats;
    r->flows = flows;
    r->wait_head = r->wait_count = 0;
    r->memcap = cfg->stream_memcap;
    r->depth = cfg->stream_depth;
    r->ooo_max = cfg->stream_ooo_max;
    uint32_t segs = cfg->stream_ooo_max / 256;
    r->ooo_max_segs = segs < 16 ? 16 : segs > 1024 ? 1024 : segs;
}

void ot_stream_syn(struct ot_stream *s, uint32_t seq)
{
    /* A second SYN with another ISN before any payload: the first was a false start. */
    if (!s->seq_known || (s->delivered == 0 && !s->ooo && s->next_seq == s->isn)) {
        s->isn = s->next_seq = seq + 1;
        s->seq_known = true;
        /*
         * A SYN again before any payload: the sender has sent nothing past
         * it, so an ACK waiting for more acknowledged bytes that never were
         * (or were of the false start's numbering): nothing is lost.
         */
        s->ack_wait = false;
    }
}

void ot_stream_learn(struct ot_stream *s, uint32_t next_seq)
{
    if (!s->seq_known) {
        s->isn = s->next_seq = next_seq;
        s->seq_known = true;
    }
}

/* Where a wait ends: the acknowledged point, or the FIN when that comes first. */
static uint32_t wait_target(const struct ot_stream *s)
{
    return s->fin_seen && ot_seq_lt(s->fin_seq, s->wait_ack) ? s->fin_seq : s->wait_ack;
}

/* End the wait when nothing before its target is missing any more (or nothing more is wanted). */
static void wait_check(struct ot_stream *s)
{
    if (s->ack_wait && (s->depth_reached || !ot_seq_lt(s->next_seq, wait_target(s))))
        s->ack_wait = false;
}

void ot_stream_fin(struct ot_stream *s, uint32_t fin_seq)
{
    if (!s->fin_seen) {
        s->fin_seen = true;
        s->fin_seq = fin_seq;
        wait_check(s);
    }
}

static void seg_free(struct ot_reasm *r, struct ot_stream *s, struct ot_stream_seg *seg)
{
    s->ooo_bytes -= seg->len;
    s->ooo_segs--;
    r->stats->tcp_ooo_memuse -= seg->len + SEG_OVERHEAD;
    free(seg);
}

static void release_all(struct ot_reasm *r, struct ot_stream *s)
{
    struct ot_stream_seg *seg = s->ooo;
    while (seg) {
        struct ot_stream_seg *next = seg->next;
        seg_free(r, s, seg);
        seg = next;
    }
    s->ooo = s->ooo_tail = NULL;
}

/*
 * Hand `n` in-order bytes to the parser, up to the depth.  next_seq moves
 * past all of them; reaching the depth ends delivery for this direction.
 */
static inline void deliver(struct ot_reasm *r, struct ot_flow *f, int dir, const uint8_t *data,
                           uint32_t n, uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    s->next_seq += n;
    uint32_t room = r->depth - s->delivered;
    if (n >= room) {
        n = room;
        s->depth_reached = true;
    }
    if (n) {
        s->delivered += n;
        r->cb->on_data(r->cb->ctx, f, dir, data, n, 0, ts_us);
    }
}

/* deliver(), and at the depth free what is held. */
static void emit(struct ot_reasm *r, struct ot_flow *f, int dir, const uint8_t *data, uint32_t n,
                 uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    deliver(r, f, dir, data, n, ts_us);
    if (s->depth_reached)
        release_all(r, s);
}

/* Deliver held segments that have become contiguous. */
static void drain(struct ot_reasm *r, struct ot_flow *f, int dir, uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    struct ot_stream_seg *seg;
    while (!s->depth_reached && (seg = s->ooo) && seg->seq == s->next_seq) {
        s->ooo = seg->next;
        if (!s->ooo)
            s->ooo_tail = NULL;
        emit(r, f, dir, seg->data, seg->len, ts_us);
        seg_free(r, s, seg);
    }
}

/* Give up the bytes before `target` (a hole): report the gap, then deliver what follows. */
static void skip_to(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t target, uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    uint32_t n = target - s->next_seq;
    if (n) {
        s->next_seq = target;
        r->stats->tcp_reassembly_gaps++;
        r->cb->on_data(r->cb->ctx, f, dir, NULL, n, OT_DATA_GAP, ts_us);
    }
    drain(r, f, dir, ts_us);
}

/* Bytes and segments [seq, seq+len) would add to the held list (parts already held excluded). */
static void measure(const struct ot_stream *s, uint32_t seq, uint32_t len, uint32_t *bytes,
                    uint32_t *segs)
{
    const struct ot_stream_seg *t = s->ooo_tail;
    if (!t || ot_seq_leq(t->seq + t->len, seq)) {
        *bytes = len;
        *segs = 1;
        return;
    }
    uint32_t end = seq + len, cur = seq;
    *bytes = 0;
    *segs = 0;
    for (const struct ot_stream_seg *h = s->ooo; h && ot_seq_lt(cur, end); h = h->next) {
        uint32_t he = h->seq + h->len;
        if (ot_seq_leq(he, cur))
            continue;
        if (ot_seq_lt(cur, h->seq)) {
            uint32_t pe = ot_seq_lt(end, h->seq) ? end : h->seq;
            *bytes += pe - cur;
            (*segs)++;
        }
        cur = he;
    }
    if (ot_seq_lt(cur, end)) {
        *bytes += end - cur;
        (*segs)++;
    }
}

static bool fits(const struct ot_reasm *r, const struct ot_stream *s, uint32_t bytes, uint32_t segs)
{
    return (uint64_t)s->ooo_bytes + bytes <= r->ooo_max &&
           (uint64_t)s->ooo_segs + segs <= r->ooo_max_segs &&
           r->stats->tcp_ooo_memuse + bytes + segs * SEG_OVERHEAD <= r->memcap;
}

static struct ot_stream_seg *seg_new(struct ot_reasm *r, struct ot_stream *s, uint32_t seq,
                                     const uint8_t *data, uint32_t len)
{
    struct ot_stream_seg *seg = malloc(sizeof(*seg) + len);
    if (!seg) {
        r->stats->tcp_ooo_dropped += len;
        return NULL;
    }
    seg->next = NULL;
    seg->seq = seq;
    seg->len = len;
    memcpy(seg->data, data, len);
    s->ooo_bytes += len;
    s->ooo_segs++;
    r->stats->tcp_ooo_memuse += len + SEG_OVERHEAD;
    return seg;
}

/* Copy the parts of [seq, seq+len) no held segment covers into the list (room was checked). */
static void hold(struct ot_reasm *r, struct ot_stream *s, uint32_t seq, const uint8_t *data,
                 uint32_t len)
{
    struct ot_stream_seg *t = s->ooo_tail, *seg;
    if (!t || ot_seq_leq(t->seq + t->len, seq)) {
        if (!(seg = seg_new(r, s, seq, data, len)))
            return;
        if (t)
            t->next = seg;
        else
            s->ooo = seg;
        s->ooo_tail = seg;
        return;
    }
    uint32_t end = seq + len, cur = seq;
    struct ot_stream_seg **pp = &s->ooo;
    while (*pp && ot_seq_lt(cur, end)) {
        struct ot_stream_seg *h = *pp;
        uint32_t he = h->seq + h->len;
        if (ot_seq_lt(cur, h->seq)) {
            uint32_t pe = ot_seq_lt(end, h->seq) ? end : h->seq;
            if ((seg = seg_new(r, s, cur, data + (cur - seq), pe - cur))) {
                seg->next = h;
                *pp = seg;
            }
        }
        if (ot_seq_lt(cur, he))
            cur = he;
        pp = &h->next;
    }
    if (ot_seq_lt(cur, end) && (seg = seg_new(r, s, cur, data + (cur - seq), end - cur))) {
        *pp = seg; /* *pp is NULL here: the walk ran off the end */
        s->ooo_tail = seg;
    }
}

/* ot_stream_data() for a segment that is not simply the next one: trim, deliver, hold. */
__attribute__((noinline)) static void data_slow(struct ot_reasm *r, struct ot_flow *f, int dir,
                                                uint32_t seq, const uint8_t *data, uint32_t len,
                                                uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    bool used = false, trimmed = false, dropped = false;
    while (!s->depth_reached) {
        if (ot_seq_lt(seq, s->next_seq)) {
            uint32_t behind = s->next_seq - seq;
            if (behind >= len)
                break;
            seq += behind;
            data += behind;
            len -= behind;
            trimmed = true;
        }
        if (seq == s->next_seq) {
            /* In order: deliver up to the first held segment, then what follows it. */
            uint32_t n = len;
            if (s->ooo && ot_seq_lt(s->ooo->seq, seq + len))
                n = s->ooo->seq - seq;
            emit(r, f, dir, data, n, ts_us);
            used = true;
            seq += n;
            data += n;
            len -= n;
            drain(r, f, dir, ts_us);
            if (len == 0)
                break;
            continue;
        }
        if (seq - s->next_seq >= MAX_WINDOW) {
            r->stats->tcp_ooo_dropped += len;
            dropped = true;
            break;
        }
        uint32_t bytes, segs;
        measure(s, seq, len, &bytes, &segs);
        if (bytes < len)
            trimmed = true;
        if (bytes == 0)
            break;
        if (fits(r, s, bytes, segs)) {
            hold(r, s, seq, data, len);
            used = true;
            break;
        }
        if (s->ooo) {
            /* Full: give up the first hole (up to this segment if it starts inside it). */
            skip_to(r, f, dir, ot_seq_lt(seq, s->ooo->seq) ? seq : s->ooo->seq, ts_us);
            continue;
        }
        r->stats->tcp_ooo_dropped += len;
        dropped = true;
        break;
    }
    if (!used && !dropped)
        r->stats->tcp_retransmits++;
    else if (trimmed)
        r->stats->tcp_overlaps++;
    wait_check(s);
}

void ot_stream_data(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t seq,
                    const uint8_t *data, uint32_t len, uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    if (len == 0 || s->depth_reached)
        return;
    if (!s->seq_known) {
        s->isn = s->next_seq = seq;
        s->seq_known = true;
    }
    if (seq != s->next_seq || s->ooo || s->ack_wait) {
        data_slow(r, f, dir, seq, data, len, ts_us);
        return;
    }
    /* The next segment with nothing held: emit() without its release_all(), which has nothing to
     * free. */
    deliver(r, f, dir, data, len, ts_us);
}

/* Give up every hole before `ack` (the FIN's own number excluded), delivering what is held. */
static void give_up_to(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t ack, uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    /* The FIN takes a sequence number of its own: acknowledging it loses no data. */
    if (s->fin_seen && ot_seq_lt(s->fin_seq, ack))
        ack = s->fin_seq;
    while (!s->depth_reached && ot_seq_lt(s->next_seq, ack)) {
        uint32_t target = s->ooo && ot_seq_lt(s->ooo->seq, ack) ? s->ooo->seq : ack;
        skip_to(r, f, dir, target, ts_us);
    }
}

/* A wait ends without its bytes: the hole before what was acknowledged is a gap. */
static void wait_give_up(struct ot_reasm *r, struct ot_flow *f, int dir, uint64_t ts_us)
{
    f->stream[dir].ack_wait = false;
    give_up_to(r, f, dir, f->stream[dir].wait_ack, ts_us);
}

/* Take the oldest entry off the ring; if its wait is still on, the hole is given up. */
static void wait_pop(struct ot_reasm *r, uint64_t now_us)
{
    uint32_t slot = r->wait_head;
    uint32_t who = r->wait[slot].who;
    r->wait_head = (slot + 1) % OT_REASM_WAIT_SLOTS;
    r->wait_count--;
    struct ot_flow *f = &r->flows[who >> 1];
    int dir = (int)(who & 1);
    struct ot_stream *s = &f->stream[dir];
    if (!s->ack_wait || s->wait_slot != slot)
        return; /* stale: that wait ended early */
    wait_give_up(r, f, dir, now_us);
}

void ot_reasm_expire(struct ot_reasm *r, uint64_t now_us)
{
    while (r->wait_count && r->wait[r->wait_head].due_us <= now_us)
        wait_pop(r, now_us);
}

/*
 * Wait for the bytes before `ack`, or, already waiting, for these as well
 * (the wait keeps its start time).  A full ring first ends its oldest wait.
 * A waiting stream's entry is always in the ring, and the ring's entries are
 * at most OT_REASM_WAIT_SLOTS consecutive slots, so the slot names the wait.
 */
static void wait_start(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t ack, uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    if (s->ack_wait) {
        if (ot_seq_lt(s->wait_ack, ack))
            s->wait_ack = ack;
        return;
    }
    if (r->wait_count == OT_REASM_WAIT_SLOTS)
        wait_pop(r, ts_us);
    uint32_t slot = (r->wait_head + r->wait_count) % OT_REASM_WAIT_SLOTS;
    r->wait[slot].due_us = ts_us + OT_REASM_WAIT_US;
    r->wait[slot].who = (uint32_t)(f - r->flows) << 1 | (uint32_t)dir;
    r->wait_count++;
    s->ack_wait = true;
    s->wait_ack = ack;
    s->wait_slot = (uint16_t)slot;
}

/* ot_stream_ack() (flow-int.h) when `ack` is past next_seq. */
void ot_stream_ack_ahead(struct ot_reasm *r, struct ot_flow *f, int dir, uint32_t ack, bool bare,
                         uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    if (!s->seq_known || s->depth_reached)
        return;
    uint32_t upto = s->fin_seen && ot_seq_lt(s->fin_seq, ack) ? s->fin_seq : ack;
    uint32_t ahead = upto - s->next_seq;
    if (ahead == 0 || ahead >= MAX_WINDOW)
        return;
    if (bare) {
        wait_start(r, f, dir, ack, ts_us);
        return;
    }
    give_up_to(r, f, dir, ack, ts_us);
    wait_check(s);
}

void ot_stream_end(struct ot_reasm *r, struct ot_flow *f, int dir, uint64_t ts_us)
{
    struct ot_stream *s = &f->stream[dir];
    if (s->ack_wait)
        wait_give_up(r, f, dir, ts_us);
    while (!s->depth_reached && s->ooo)
        skip_to(r, f, dir, s->ooo->seq, ts_us);
    release_all(r, s);
}
