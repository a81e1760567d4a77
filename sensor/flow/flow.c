/*
 * The flow table.
 *
 * Flows live in one preallocated array and are named by index.  Lookup is one
 * keyed hash of the normalised 5-tuple (struct ot_flow_key) and a walk of a
 * short chain (buckets >= active flows, chained through hnext); the stored
 * 32-bit hash is compared before the 48-byte key.  The bucket array starts
 * small and doubles when the active flows outnumber its buckets, up to one
 * bucket per flow of the cap: sized for the cap from the start (256 KiB at
 * the default 65,536 flows) nearly every lookup missed the cache, sized for
 * the flows actually active (a few thousand on a small firm's link) it stays
 * in cache.  The hash is seeded per table from getrandom(), so traffic
 * cannot be crafted to collide without knowing it.
 *
 * Every flow is on exactly one of four LRU lists, one per timeout (new,
 * established TCP, closing/closed TCP, established UDP/ICMP/other), least
 * recently active at the head.  A list is in last-activity order and all its
 * flows share one timeout, so expiry walks each list from the head and stops
 * at the first flow still alive: the work is the flows that end, plus four.
 * When the table is full the oldest of the four heads is evicted.
 *
 * Free slots: indexes never used yet come from `unused` (so untouched flow
 * memory stays untouched), recycled ones from a free list through hnext.
 *
 * Packets come in runs of one flow (a burst of segments and their ACKs), so
 * the flow of the previous packet (`last`) is compared with the key first;
 * only when it differs is the key hashed and its bucket walked (64 % of the
 * packets of the mixed benchmark capture skip the hash and the bucket's cache
 * miss that way).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/bigmem.h"
#include "flow/flow-int.h"
#include "otasuke/error.h"

#define NONE        UINT32_MAX
#define MAX_FLOWS   (1u << 30)
#define MIN_BUCKETS 1024u

#define PROTO_ICMP   1
#define PROTO_TCP    6
#define PROTO_UDP    17
#define PROTO_ICMPV6 58
#define PROTO_SCTP   132

enum { LRU_NEW, LRU_EST, LRU_CLOSED, LRU_UDP, LRU__COUNT };

/* struct ot_flow.tcp_seen */
#define SEEN_SYNACK 0x01 /* the server answered with a SYN-ACK */
#define SEEN_DATA0  0x02 /* payload from the client */
#define SEEN_DATA1  0x04 /* payload from the server */
#define SEEN_FIN0   0x08
#define SEEN_FIN1   0x10

struct lru_list {
    uint32_t head, tail;
};

struct ot_flow_table {
    struct ot_flow *flows;
    uint32_t *buckets;
    uint32_t mask;
    uint32_t max_mask;  /* the bucket array grows up to max_mask + 1 buckets */
    uint32_t free_head; /* recycled slots, chained through hnext */
    uint32_t unused;    /* slots [unused, max_flows) were never used */
    uint32_t last;      /* the flow of the previous packet, or NONE */
    struct lru_list lru[LRU__COUNT];
    uint64_t timeout_us[LRU__COUNT];
    uint64_t seed[4];
    uint64_t id_base, id_count;
    struct ot_flow_config cfg;
    struct ot_flow_callbacks cb;
    struct ot_reasm reasm;
    struct ot_flow_stats stats;
};

const char *ot_flow_state_name(enum ot_flow_state s)
{
    switch (s) {
    case OT_FLOW_NEW:
        return "new";
    case OT_FLOW_ESTABLISHED:
        return "established";
    case OT_FLOW_CLOSING:
        return "closing";
    case OT_FLOW_CLOSED:
        return "closed";
    }
    return "unknown";
}

const char *ot_flow_end_reason_name(enum ot_flow_end_reason r)
{
    switch (r) {
    case OT_FLOW_END_TIMEOUT:
        return "timeout";
    case OT_FLOW_END_EVICTED:
        return "evicted";
    case OT_FLOW_END_SHUTDOWN:
        return "shutdown";
    case OT_FLOW_END_TCP_REUSE:
        return "tcp_reuse";
    }
    return "unknown";
}

void ot_flow_config_defaults(struct ot_flow_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_flows = 65536;
    cfg->timeout_new_s = 30;
    cfg->timeout_est_s = 300;
    cfg->timeout_closed_s = 10;
    cfg->timeout_udp_s = 60;
    cfg->stream_depth = 1u << 20;
    cfg->stream_ooo_max = 64u << 10;
    cfg->stream_memcap = 64u << 20;
    cfg->community_id_seed = 0;
}

/* ---- randomness, hashing, ids ---------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Random words from the kernel; if it cannot give them (no entropy yet), a clock-based mix. */
static void fill_random(uint64_t *w, size_t n, const void *salt)
{
    uint8_t *p = (uint8_t *)w;
    size_t want = n * sizeof(*w), got = 0;
    while (got < want) {
        ssize_t r = getrandom(p + got, want - got, GRND_NONBLOCK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got == want)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)salt;
    for (size_t i = 0; i < n; i++)
        w[i] ^= splitmix64(&x);
}

/* 64x64 -> 128 multiply, folded: the mixing step of wyhash. */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32, lb = (uint32_t)b;
    uint64_t hh = ha * hb, hl = ha * lb, lh = la * hb, ll = la * lb;
    uint64_t t = ll + (hl << 32);
    uint64_t c = t < ll;
    uint64_t lo = t + (lh << 32);
    c += lo < t;
    uint64_t hi = hh + (hl >> 32) + (lh >> 32) + c;
    return lo ^ hi;
#endif
}

static inline uint32_t key_hash(const struct ot_flow_table *t, const struct ot_flow_key *k)
{
    uint64_t h = mum(k->w[0] ^ t->seed[0], k->w[1] ^ t->seed[1]);
    h = mum(k->w[2] ^ t->seed[2], k->w[3] ^ h);
    h = mum(k->w[4] ^ t->seed[3], k->w[5] ^ h);
    h = mum(h ^ t->seed[0], UINT64_C(0x9e3779b97f4a7c15));
    return (uint32_t)(h ^ (h >> 32));
}

static inline bool key_eq(const struct ot_flow_key *a, const struct ot_flow_key *b)
{
    return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) | (a->w[3] ^ b->w[3]) |
            (a->w[4] ^ b->w[4]) | (a->w[5] ^ b->w[5])) == 0;
}

#define ID_MASK ((UINT64_C(1) << 53) - 1)

/*
 * Flow ids: a random 53-bit start plus a counter, put through a bijection of
 * the 53-bit space (xor-shifts and odd multipliers, all mod 2^53).  Distinct
 * counters give distinct ids, so ids never repeat within a run, and they look
 * random, so two runs (or two tables) practically never share one.
 */
static uint64_t next_flow_id(struct ot_flow_table *t)
{
    for (;;) {
        uint64_t x = (t->id_base + t->id_count++) & ID_MASK;
        x ^= x >> 29;
        x = (x * UINT64_C(0xbf58476d1ce4e5b9)) & ID_MASK;
        x ^= x >> 32;
        x = (x * UINT64_C(0x94d049bb133111eb)) & ID_MASK;
        x ^= x >> 29;
        if (x)
            return x;
    }
}

/* ---- keys --------------------------------------------------------------- */

/* Ports as the flow records them: TCP/UDP/SCTP ports, ICMP type and code, else 0. */
static void packet_ports(const struct ot_packet *p, uint16_t *sp, uint16_t *dp)
{
    switch (p->ip_proto) {
    case PROTO_TCP:
    case PROTO_UDP:
    case PROTO_SCTP:
        *sp = p->sp;
        *dp = p->dp;
        return;
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        *sp = p->icmp_type;
        *dp = p->icmp_code;
        return;
    }
    *sp = *dp = 0;
}

/*
 * Build the normalised key; returns true when the packet's source is the
 * key's second endpoint.  One-way ICMP messages (errors, ...) are not
 * normalised, as Community ID does not flip them: a flow's community_id then
 * holds for every packet of it.
 */
static bool make_key(const struct ot_packet *p, struct ot_flow_key *k)
{
    uint16_t sp, dp;
    bool one_way = false;
    if (p->ip_proto == PROTO_ICMP || p->ip_proto == PROTO_ICMPV6)
        one_way = ot_icmp_port_equivalents(p->ip_proto, p->icmp_type, p->icmp_code, &sp, &dp);
    else
        packet_ports(p, &sp, &dp);
    const struct ot_addr *a = &p->src, *b = &p->dst;
    bool swap;
    if (one_way) /* an ICMP message with no reply type: each direction is its own flow */
        swap = false;
    else if (a->u.q[0] != b->u.q[0])
        swap = a->u.q[0] > b->u.q[0];
    else if (a->u.q[1] != b->u.q[1])
        swap = a->u.q[1] > b->u.q[1];
    else
        swap = sp > dp;
    if (swap) {
        const struct ot_addr *ta = a;
        a = b;
        b = ta;
        uint16_t tp = sp;
        sp = dp;
        dp = tp;
    }
    k->w[0] = a->u.q[0];
    k->w[1] = a->u.q[1];
    k->w[2] = b->u.q[0];
    k->w[3] = b->u.q[1];
    k->w[4] = (uint64_t)sp << 48 | (uint64_t)dp << 32 | (uint64_t)p->vlan[0] << 16 | p->vlan[1];
    k->w[5] = p->ip_proto | ((p->flags & OT_PKT_IPV6) ? 0x100u : 0) | (uint64_t)p->vlan[2] << 16;
    return swap;
}

/* ---- lists ------------------------------------------------------------ */

static inline uint32_t flow_index(const struct ot_flow_table *t, const struct ot_flow *f)
{
    return (uint32_t)(f - t->flows);
}

static void lru_unlink(struct ot_flow_table *t, struct ot_flow *f)
{
    struct lru_list *l = &t->lru[f->lru_class];
    if (f->lru_prev != NONE)
        t->flows[f->lru_prev].lru_next = f->lru_next;
    else
        l->head = f->lru_next;
    if (f->lru_next != NONE)
        t->flows[f->lru_next].lru_prev = f->lru_prev;
    else
        l->tail = f->lru_prev;
}

static void lru_append(struct ot_flow_table *t, struct ot_flow *f, unsigned cls)
{
    uint32_t idx = flow_index(t, f);
    struct lru_list *l = &t->lru[cls];
    f->lru_class = (uint8_t)cls;
    f->lru_next = NONE;
    f->lru_prev = l->tail;
    if (l->tail != NONE)
        t->flows[l->tail].lru_next = idx;
    else
        l->head = idx;
    l->tail = idx;
}

static unsigned flow_class(const struct ot_flow *f)
{
    switch (f->state) {
    case OT_FLOW_NEW:
        return LRU_NEW;
    case OT_FLOW_ESTABLISHED:
        return f->ip_proto == PROTO_TCP ? LRU_EST : LRU_UDP;
    }
    return LRU_CLOSED;
}

/* The flow (index idx) was active: move it to the tail of its (possibly new) list. */
static void lru_touch(struct ot_flow_table *t, struct ot_flow *f, uint32_t idx)
{
    unsigned cls = flow_class(f);
    if (cls == f->lru_class && t->lru[cls].tail == idx)
        return;
    lru_unlink(t, f);
    lru_append(t, f, cls);
}

/* The least recently active flow of the table, or NULL when it is empty. */
static struct ot_flow *oldest(struct ot_flow_table *t)
{
    struct ot_flow *best = NULL;
    for (unsigned c = 0; c < LRU__COUNT; c++) {
        if (t->lru[c].head == NONE)
            continue;
        struct ot_flow *f = &t->flows[t->lru[c].head];
        if (!best || f->last_us < best->last_us)
            best = f;
    }
    return best;
}

static void hash_unlink(struct ot_flow_table *t, struct ot_flow *f)
{
    uint32_t idx = flow_index(t, f);
    uint32_t *pp = &t->buckets[f->hash & t->mask];
    while (*pp != idx)
        pp = &t->flows[*pp].hnext;
    *pp = f->hnext;
}

/* ---- flow life -------------------------------------------------------- */

/* Deliver what the reassembler holds, tell the caller, and free the slot. */
static void end_flow(struct ot_flow_table *t, struct ot_flow *f, enum ot_flow_end_reason reason,
                     uint64_t now_us)
{
    ot_stream_end(&t->reasm, f, 0, now_us);
    ot_stream_end(&t->reasm, f, 1, now_us);
    t->cb.on_end(t->cb.ctx, f, reason, now_us);
    hash_unlink(t, f);
    lru_unlink(t, f);
    f->in_use = false;
    f->hnext = t->free_head;
    t->free_head = flow_index(t, f);
    if (t->last == t->free_head)
        t->last = NONE;
    t->stats.ended++;
    t->stats.active--;
    switch (reason) {
    case OT_FLOW_END_TIMEOUT:
        t->stats.timed_out++;
        break;
    case OT_FLOW_END_EVICTED:
        t->stats.evicted++;
        break;
    case OT_FLOW_END_TCP_REUSE:
        t->stats.tcp_reused++;
        break;
    case OT_FLOW_END_SHUTDOWN:
        break;
    }
}

/*
 * Double the bucket array and relink every active flow by its stored hash.
 * Without memory for it the table keeps the array it has (longer chains,
 * nothing lost) and stops growing.
 */
static void grow_buckets(struct ot_flow_table *t)
{
    uint32_t nb = (t->mask + 1) * 2;
    uint32_t *b = malloc((size_t)nb * sizeof(*b));
    if (!b) {
        t->max_mask = t->mask;
        return;
    }
    memset(b, 0xff, (size_t)nb * sizeof(*b));
    for (uint32_t i = 0; i < t->unused; i++) {
        struct ot_flow *f = &t->flows[i];
        if (!f->in_use)
            continue;
        f->hnext = b[f->hash & (nb - 1)];
        b[f->hash & (nb - 1)] = i;
    }
    free(t->buckets);
    t->buckets = b;
    t->mask = nb - 1;
    t->stats.buckets = nb;
}

/* Start a flow for the packet; returns its index. */
static uint32_t flow_new(struct ot_flow_table *t, const struct ot_packet *p,
                         const struct ot_flow_key *k, uint32_t h, bool src_is_b)
{
    uint32_t idx;
    if (t->free_head == NONE && t->unused == t->cfg.max_flows)
        end_flow(t, oldest(t), OT_FLOW_END_EVICTED, p->ts_us);
    if (t->free_head != NONE) {
        idx = t->free_head;
        t->free_head = t->flows[idx].hnext;
    } else {
        idx = t->unused++;
    }
    if (t->stats.active > t->mask && t->mask < t->max_mask)
        grow_buckets(t);
    struct ot_flow *f = &t->flows[idx];
    memset(f, 0, sizeof(*f));
    f->key = *k;
    f->hash = h;
    f->hnext = t->buckets[h & t->mask];
    t->buckets[h & t->mask] = idx;
    f->in_use = true;

    /* The client: a SYN-ACK's receiver, else the sender (a bare SYN's sender included). */
    bool synack = p->ip_proto == PROTO_TCP && (p->flags & OT_PKT_TCP) &&
                  (p->tcp_flags & (OT_TH_SYN | OT_TH_ACK)) == (OT_TH_SYN | OT_TH_ACK);
    f->key_cli_b = synack ? !src_is_b : src_is_b;
    uint16_t sp, dp;
    packet_ports(p, &sp, &dp);
    if (!synack) {
        f->cli = p->src;
        f->srv = p->dst;
        f->cli_port = sp;
        f->srv_port = dp;
    } else {
        f->cli = p->dst;
        f->srv = p->src;
        f->cli_port = dp;
        f->srv_port = sp;
    }
    memcpy(f->vlan, p->vlan, sizeof(f->vlan));
    f->vlan_count = p->vlan_count;
    f->ip_proto = p->ip_proto;
    f->v6 = (p->flags & OT_PKT_IPV6) != 0;
    f->flow_id = next_flow_id(t);
    f->start_us = f->last_us = p->ts_us;
    f->state = OT_FLOW_NEW;
    ot_community_id(t->cfg.community_id_seed, &f->cli, f->cli_port, &f->srv, f->srv_port,
                    f->ip_proto, f->v6, f->community_id);
    lru_append(t, f, LRU_NEW);
    t->stats.created++;
    t->stats.active++;
    return idx;
}

/*
 * A flow first seen midstream (no SYN yet) whose other side now sends a bare
 * SYN: that side is the client.  Only while nothing was delivered, so the
 * parsers never see a direction change meaning.
 */
static bool should_turn(const struct ot_flow *f, const struct ot_packet *p)
{
    return f->state == OT_FLOW_NEW && !f->tcp_saw_syn &&
           (p->tcp_flags & (OT_TH_SYN | OT_TH_ACK | OT_TH_RST)) == OT_TH_SYN &&
           !f->stream[0].seq_known && !f->stream[1].seq_known;
}

static void turn_round(struct ot_flow *f)
{
    struct ot_addr a = f->cli;
    f->cli = f->srv;
    f->srv = a;
    uint16_t port = f->cli_port;
    f->cli_port = f->srv_port;
    f->srv_port = port;
    f->key_cli_b = !f->key_cli_b;
    uint64_t u = f->pkts[0];
    f->pkts[0] = f->pkts[1];
    f->pkts[1] = u;
    u = f->bytes[0];
    f->bytes[0] = f->bytes[1];
    f->bytes[1] = u;
    uint8_t fl = f->tcp_flags[0];
    f->tcp_flags[0] = f->tcp_flags[1];
    f->tcp_flags[1] = fl;
    struct ot_stream s = f->stream[0];
    f->stream[0] = f->stream[1];
    f->stream[1] = s;
    uint8_t seen = f->tcp_seen & SEEN_SYNACK;
    seen |= (f->tcp_seen & SEEN_DATA0) ? SEEN_DATA1 : 0;
    seen |= (f->tcp_seen & SEEN_DATA1) ? SEEN_DATA0 : 0;
    seen |= (f->tcp_seen & SEEN_FIN0) ? SEEN_FIN1 : 0;
    seen |= (f->tcp_seen & SEEN_FIN1) ? SEEN_FIN0 : 0;
    f->tcp_seen = seen;
}

/* TCP state machine; runs before on_packet so callbacks see the state this packet made. */
static void tcp_track(struct ot_flow *f, int dir, const struct ot_packet *p)
{
    uint8_t fl = p->tcp_flags;
    uint8_t data = p->payload_len ? (dir ? SEEN_DATA1 : SEEN_DATA0) : 0;
    /* Most segments: past the start of the flow, and no SYN, FIN or RST to act on. */
    if (!(fl & (OT_TH_SYN | OT_TH_FIN | OT_TH_RST)) && f->state != OT_FLOW_NEW) {
        f->tcp_seen |= data;
        return;
    }
    if (fl & OT_TH_SYN) {
        f->tcp_saw_syn = true;
        if ((fl & OT_TH_ACK) && dir == 1)
            f->tcp_seen |= SEEN_SYNACK;
    }
    if (fl & OT_TH_RST) {
        f->state = OT_FLOW_CLOSED;
        return;
    }
    f->tcp_seen |= data;
    if (fl & OT_TH_FIN) {
        f->tcp_seen |= dir ? SEEN_FIN1 : SEEN_FIN0;
        if ((f->tcp_seen & (SEEN_FIN0 | SEEN_FIN1)) == (SEEN_FIN0 | SEEN_FIN1))
            f->state = OT_FLOW_CLOSED;
        else if (f->state < OT_FLOW_CLOSING)
            f->state = OT_FLOW_CLOSING;
        return;
    }
    if (f->state != OT_FLOW_NEW)
        return;
    bool data_both = (f->tcp_seen & (SEEN_DATA0 | SEEN_DATA1)) == (SEEN_DATA0 | SEEN_DATA1);
    bool handshake =
        dir == 0 && (fl & (OT_TH_SYN | OT_TH_ACK)) == OT_TH_ACK && (f->tcp_seen & SEEN_SYNACK);
    if (data_both || handshake)
        f->state = OT_FLOW_ESTABLISHED;
}

/*
 * Feed the reassembler; runs after on_packet.  The acknowledgement goes
 * first: what it gives up of the other direction (a gap) came before this
 * packet's own payload, which answers it, so parsers see them in that order.
 */
static void tcp_stream(struct ot_flow_table *t, struct ot_flow *f, int dir,
                       const struct ot_packet *p)
{
    uint8_t fl = p->tcp_flags;
    uint32_t seq = p->tcp_seq;
    if (fl & OT_TH_SYN) {
        ot_stream_syn(&f->stream[dir], seq);
        if (fl & OT_TH_ACK)
            ot_stream_learn(&f->stream[dir ^ 1], p->tcp_ack);
        seq++;
    }
    if (fl & OT_TH_RST)
        return;
    if (fl & OT_TH_ACK)
        ot_stream_ack(&t->reasm, f, dir ^ 1, p->tcp_ack, p->payload_len == 0, p->ts_us);
    if (p->payload_len)
        ot_stream_data(&t->reasm, f, dir, seq, p->payload, p->payload_len, p->ts_us);
    if (fl & OT_TH_FIN)
        ot_stream_fin(&f->stream[dir], seq + p->payload_len);
}

/* The index of the flow with key k (hash h), or NONE. */
static uint32_t lookup(const struct ot_flow_table *t, const struct ot_flow_key *k, uint32_t h)
{
    for (uint32_t idx = t->buckets[h & t->mask]; idx != NONE; idx = t->flows[idx].hnext) {
        const struct ot_flow *c = &t->flows[idx];
        if (c->hash == h && key_eq(&c->key, k))
            return idx;
    }
    return NONE;
}

void ot_flow_process(struct ot_flow_table *t, const struct ot_packet *p)
{
    ot_reasm_tick(&t->reasm, p->ts_us);
    struct ot_flow_key k;
    bool src_is_b = make_key(p, &k);
    uint32_t idx = t->last, h;
    if (idx != NONE && key_eq(&t->flows[idx].key, &k)) {
        h = t->flows[idx].hash;
    } else {
        h = key_hash(t, &k);
        idx = lookup(t, &k, h);
    }
    bool tcp = p->ip_proto == PROTO_TCP && (p->flags & OT_PKT_TCP);
    /* Port reuse: a bare SYN on a connection that has closed starts a new one. */
    if (idx != NONE && tcp && t->flows[idx].state >= OT_FLOW_CLOSING &&
        (p->tcp_flags & (OT_TH_SYN | OT_TH_ACK | OT_TH_RST)) == OT_TH_SYN) {
        end_flow(t, &t->flows[idx], OT_FLOW_END_TCP_REUSE, p->ts_us);
        idx = NONE;
    }
    if (idx == NONE)
        idx = flow_new(t, p, &k, h, src_is_b);
    t->last = idx;
    struct ot_flow *f = &t->flows[idx];
    int dir = src_is_b == f->key_cli_b ? 0 : 1;

    if (tcp) {
        if (dir == 1 && should_turn(f, p)) {
            turn_round(f);
            dir = 0;
        }
        tcp_track(f, dir, p);
        f->tcp_flags[dir] |= p->tcp_flags;
    } else if (f->ip_proto != PROTO_TCP && f->state == OT_FLOW_NEW && f->pkts[dir ^ 1]) {
        f->state = OT_FLOW_ESTABLISHED;
    }
    f->pkts[dir]++;
    f->bytes[dir] += p->ip_len;
    if (p->ts_us > f->last_us)
        f->last_us = p->ts_us;
    lru_touch(t, f, idx);

    t->cb.on_packet(t->cb.ctx, f, dir, p);
    if (tcp)
        tcp_stream(t, f, dir, p);
    else if (f->ip_proto != PROTO_TCP && p->payload_len)
        t->cb.on_data(t->cb.ctx, f, dir, p->payload, p->payload_len, 0, p->ts_us);
}

void ot_flow_expire(struct ot_flow_table *t, uint64_t now_us)
{
    ot_reasm_tick(&t->reasm, now_us);
    for (unsigned c = 0; c < LRU__COUNT; c++) {
        uint64_t timeout = t->timeout_us[c];
        uint32_t idx;
        while ((idx = t->lru[c].head) != NONE) {
            struct ot_flow *f = &t->flows[idx];
            if (now_us <= f->last_us || now_us - f->last_us <= timeout)
                break;
            end_flow(t, f, OT_FLOW_END_TIMEOUT, now_us);
        }
    }
}

void ot_flow_flush(struct ot_flow_table *t, uint64_t now_us)
{
    struct ot_flow *f;
    while ((f = oldest(t)))
        end_flow(t, f, OT_FLOW_END_SHUTDOWN, now_us);
}

const struct ot_flow_stats *ot_flow_table_stats(const struct ot_flow_table *t)
{
    return &t->stats;
}

/* ---- construction ----------------------------------------------------- */

static void noop_packet(void *ctx, struct ot_flow *f, int dir, const struct ot_packet *p)
{
}

static void noop_data(void *ctx, struct ot_flow *f, int dir, const uint8_t *data, uint32_t len,
                      unsigned flags, uint64_t ts_us)
{
}

static void noop_end(void *ctx, struct ot_flow *f, enum ot_flow_end_reason reason, uint64_t now_us)
{
}

static size_t flows_bytes(uint32_t max_flows)
{
    return (size_t)max_flows * sizeof(struct ot_flow);
}

int ot_flow_table_new(const struct ot_flow_config *cfg, const struct ot_flow_callbacks *cb,
                      struct ot_flow_table **out)
{
    *out = NULL;
    if (!cfg || cfg->max_flows == 0 || cfg->max_flows > MAX_FLOWS)
        return OT_EINVAL;
    struct ot_flow_table *t = calloc(1, sizeof(*t));
    if (!t)
        return OT_ENOMEM;
    uint32_t nmax = 16;
    while (nmax < cfg->max_flows)
        nmax <<= 1;
    uint32_t nb = nmax < MIN_BUCKETS ? nmax : MIN_BUCKETS;
    t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
    /*
     * Cache-line aligned at least (each flow's hot fields share a line,
     * flow.h), and from 64 KiB up mapped, in huge pages when large
     * (core/bigmem.h): pages never used are then never touched, as
     * flow_new() takes unused slots in order.
     */
    t->flows = ot_bigmem_alloc(flows_bytes(cfg->max_flows));
    if (!t->buckets || !t->flows) {
        free(t->buckets);
        ot_bigmem_free(t->flows, flows_bytes(cfg->max_flows));
        free(t);
        return OT_ENOMEM;
    }
    memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets));
    t->mask = nb - 1;
    t->max_mask = nmax - 1;
    t->stats.buckets = nb;
    t->free_head = NONE;
    t->unused = 0;
    t->last = NONE;
    for (unsigned c = 0; c < LRU__COUNT; c++)
        t->lru[c].head = t->lru[c].tail = NONE;
    t->cfg = *cfg;
    t->timeout_us[LRU_NEW] = (uint64_t)cfg->timeout_new_s * 1000000u;
    t->timeout_us[LRU_EST] = (uint64_t)cfg->timeout_est_s * 1000000u;
    t->timeout_us[LRU_CLOSED] = (uint64_t)cfg->timeout_closed_s * 1000000u;
    t->timeout_us[LRU_UDP] = (uint64_t)cfg->timeout_udp_s * 1000000u;
    fill_random(t->seed, 4, t);
    fill_random(&t->id_base, 1, t->flows);
    if (cb)
        t->cb = *cb;
    if (!t->cb.on_packet)
        t->cb.on_packet = noop_packet;
    if (!t->cb.on_data)
        t->cb.on_data = noop_data;
    if (!t->cb.on_end)
        t->cb.on_end = noop_end;
    ot_reasm_init(&t->reasm, cfg, &t->cb, &t->stats, t->flows);
    *out = t;
    return OT_OK;
}

void ot_flow_table_free(struct ot_flow_table *t, uint64_t now_us)
{
    if (!t)
        return;
    ot_flow_flush(t, now_us);
    free(t->buckets);
    ot_bigmem_free(t->flows, flows_bytes(t->cfg.max_flows));
    free(t);
}
