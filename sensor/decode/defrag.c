/*
 * IPv4 and IPv6 fragment reassembly, in bounded memory.
 *
 * A datagram in reassembly ("context") is keyed by IP version, addresses,
 * identification, IPv4 protocol, VLAN ids and tunnel depth.  Contexts live
 * in a preallocated array of cfg.frag_max_datagrams slots (touched only
 * when first used) found through a hash table; an age list orders them by
 * creation so the oldest can be expired (cfg.frag_timeout_us after its first
 * fragment, in packet time: frag_timeout) or dropped when the table or the
 * byte budget is full (frag_table_full).
 *
 * A context's data is one buffer (struct ot_frag_store) indexed by payload
 * offset, grown as fragments arrive, with the list of byte ranges already
 * filled, and room in front for the first fragment's headers: the complete
 * datagram is handed out as one contiguous IP packet (nDPI reads it whole),
 * its headers rewritten to describe it (IPv4 length, flags and checksum;
 * IPv6 payload length, fragment header removed).  Bytes already held win over later copies (first
 * wins, as BSD and old Linux did; frag_overlap counts each fragment that overlapped).  When the
 * ranges cover [0, end) and the last fragment is known, the buffer is handed to the caller and
 * freed at the next ot_decode() call.
 *
 * Memory: each context holds at most one buffer of at most 64 KiB plus its
 * range list; the sum over all contexts stays within cfg.frag_max_bytes.
 * Nothing here runs for unfragmented packets.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode-internal.h"
#include "otasuke/error.h"

/* Disjoint byte ranges one datagram may be in before it is whole. */
#define FRAG_MAX_PIECES  64
#define FRAG_MAX_PAYLOAD 65535u
#define FRAG_STORE_STEP  2048u
/* Headers of the first fragment kept in front of the payload (IPv4 needs 60). */
#define FRAG_HDR_ROOM 256u

struct ot_frag_store {
    uint32_t cap; /* payload bytes of data[], after FRAG_HDR_ROOM */
    uint32_t n;   /* ranges in use, sorted, disjoint and not touching */
    uint32_t r[FRAG_MAX_PIECES][2];
    uint8_t data[]; /* FRAG_HDR_ROOM bytes, then the payload */
};

struct ot_frag_ctx {
    struct ot_addr src, dst;
    uint32_t id;
    uint16_t vlan[OT_VLAN_MAX];
    uint8_t vlan_count;
    uint8_t proto; /* IPv4 key part; 0 for IPv6, whose key has no protocol */
    uint8_t v6;
    uint8_t depth;

    bool has_first, has_last;
    bool hdr_saved;      /* the offset-0 fragment's headers are in front of the payload */
    uint8_t first_proto; /* protocol of the payload, from the offset-0 fragment */
    uint32_t hdr_len;    /* header length of the offset-0 fragment */
    uint32_t nh_off;     /* IPv6: the next-header byte that named the fragment header */
    uint32_t end;        /* payload length, once has_last */
    uint64_t first_us;
    struct ot_frag_store *st;

    uint32_t hash;
    uint32_t hnext;        /* next in bucket (index + 1), or in the free list */
    uint32_t older, newer; /* age list (index + 1) */
};

static uint32_t mix(uint32_t h, uint32_t v)
{
    h ^= v;
    h *= 0xcc9e2d51u;
    h = (h << 15) | (h >> 17);
    h *= 0x1b873593u;
    return h ^ (h >> 13);
}

static uint32_t key_hash(const struct ot_defrag *df, const struct ot_frag_ctx *k)
{
    uint32_t h = df->seed;
    for (int i = 0; i < 4; i++) {
        h = mix(h, k->src.u.w[i]);
        h = mix(h, k->dst.u.w[i]);
    }
    h = mix(h, k->id);
    h = mix(h, (uint32_t)k->vlan[0] << 16 | k->vlan[1]);
    h = mix(h, k->vlan[2]);
    h = mix(h, (uint32_t)k->proto << 24 | (uint32_t)k->v6 << 16 | (uint32_t)k->depth << 8 |
                   k->vlan_count);
    return h;
}

static bool key_eq(const struct ot_frag_ctx *a, const struct ot_frag_ctx *b)
{
    return a->id == b->id && a->proto == b->proto && a->v6 == b->v6 && a->depth == b->depth &&
           a->vlan_count == b->vlan_count && !memcmp(a->vlan, b->vlan, sizeof(a->vlan)) &&
           ot_addr_eq(&a->src, &b->src) && ot_addr_eq(&a->dst, &b->dst);
}

static uint32_t next_pow2(uint32_t v)
{
    uint32_t n = 1;
    while (n < v)
        n <<= 1;
    return n;
}

int ot_defrag_new(const struct ot_decode_config *cfg, struct ot_defrag **out /* OUT */)
{
    *out = NULL;
    if (cfg->frag_max_datagrams == 0 || cfg->frag_max_datagrams > (1u << 24) ||
        cfg->frag_max_bytes == 0 || cfg->frag_timeout_us == 0)
        return OT_EINVAL;
    struct ot_defrag *df = calloc(1, sizeof(*df));
    if (!df)
        return OT_ENOMEM;
    df->cfg = *cfg;
    /* calloc: slots and buckets cost address space, not memory, until used. */
    df->ctx = calloc(cfg->frag_max_datagrams, sizeof(*df->ctx));
    uint32_t buckets = next_pow2(cfg->frag_max_datagrams);
    df->hash = calloc(buckets, sizeof(*df->hash));
    if (!df->ctx || !df->hash) {
        free(df->ctx);
        free(df->hash);
        free(df);
        return OT_ENOMEM;
    }
    df->hash_mask = buckets - 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    df->seed = mix((uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec, (uint32_t)(uintptr_t)df);
    *out = df;
    return OT_OK;
}

void ot_defrag_release(struct ot_defrag *df)
{
    for (uint32_t i = 0; i < df->ndone; i++)
        free(df->done[i]);
    df->ndone = 0;
}

void ot_defrag_destroy(struct ot_defrag *df)
{
    if (!df)
        return;
    ot_defrag_release(df);
    for (uint32_t i = 0; i < df->hw; i++)
        free(df->ctx[i].st); /* free slots hold NULL */
    free(df->ctx);
    free(df->hash);
    free(df);
}

static size_t store_size(uint32_t cap)
{
    return sizeof(struct ot_frag_store) + FRAG_HDR_ROOM + cap;
}

static uint8_t *payload_of(struct ot_frag_store *st)
{
    return st->data + FRAG_HDR_ROOM;
}

/* Unlink slot `i` from its bucket, the age list, free its data, return it to the free list. */
static void ctx_free(struct ot_defrag *df, uint32_t i)
{
    struct ot_frag_ctx *c = &df->ctx[i];
    uint32_t *link = &df->hash[c->hash & df->hash_mask];
    while (*link != i + 1)
        link = &df->ctx[*link - 1].hnext;
    *link = c->hnext;

    if (c->older)
        df->ctx[c->older - 1].newer = c->newer;
    else
        df->oldest = c->newer;
    if (c->newer)
        df->ctx[c->newer - 1].older = c->older;
    else
        df->newest = c->older;

    if (c->st) {
        df->bytes -= store_size(c->st->cap);
        free(c->st);
    }
    memset(c, 0, sizeof(*c));
    c->hnext = df->free_head;
    df->free_head = i + 1;
    df->used--;
}

/* Reassembly gives slot `i`'s datagram up: tell the decoder's on_lost, then free the slot. */
static void ctx_lose(struct ot_decoder *d, struct ot_defrag *df, uint32_t i)
{
    const struct ot_frag_ctx *c = &df->ctx[i];
    if (d->on_lost) {
        struct ot_lost_datagram g = {.src = c->src,
                                     .dst = c->dst,
                                     .v6 = c->v6,
                                     .ip_proto = c->proto ? c->proto : c->first_proto,
                                     .first_us = c->first_us};
        d->on_lost(d->lost_ctx, &g);
    }
    ctx_free(df, i);
}

/* A fragment refused before it had a slot: its datagram is lost with it. */
static enum ot_decode_result lose_fragment(struct ot_decoder *d, const struct ot_packet *p,
                                           const struct ot_frag *f, enum ot_decode_counter why)
{
    if (d->on_lost) {
        struct ot_lost_datagram g = {
            .src = p->src, .dst = p->dst, .v6 = f->v6, .ip_proto = f->proto, .first_us = p->ts_us};
        d->on_lost(d->lost_ctx, &g);
    }
    return ot_dec_err(d, why);
}

static void expire(struct ot_decoder *d, struct ot_defrag *df, uint64_t now);

void ot_defrag_expire(struct ot_decoder *d, struct ot_defrag *df, uint64_t now_us)
{
    expire(d, df, now_us);
}

void ot_defrag_flush(struct ot_decoder *d, struct ot_defrag *df)
{
    while (df->oldest)
        ctx_lose(d, df, df->oldest - 1);
}

/* Drop the datagrams that waited longer than the timeout (packet time). */
static void expire(struct ot_decoder *d, struct ot_defrag *df, uint64_t now)
{
    while (df->oldest) {
        const struct ot_frag_ctx *c = &df->ctx[df->oldest - 1];
        if (now < c->first_us || now - c->first_us < df->cfg.frag_timeout_us)
            return;
        d->counters[OT_DEC_frag_timeout]++;
        ctx_lose(d, df, df->oldest - 1);
    }
}

/* Drop the oldest datagram other than slot `keep` (index + 1, 0 for none); false if none. */
static bool evict_one(struct ot_decoder *d, struct ot_defrag *df, uint32_t keep, bool *counted)
{
    uint32_t v = df->oldest;
    if (v && v == keep)
        v = df->ctx[v - 1].newer;
    if (!v)
        return false;
    if (!*counted) {
        *counted = true;
        d->counters[OT_DEC_frag_table_full]++;
    }
    ctx_lose(d, df, v - 1);
    return true;
}

static uint32_t ctx_lookup(const struct ot_defrag *df, const struct ot_frag_ctx *k, uint32_t h)
{
    for (uint32_t i = df->hash[h & df->hash_mask]; i; i = df->ctx[i - 1].hnext) {
        const struct ot_frag_ctx *c = &df->ctx[i - 1];
        if (c->hash == h && key_eq(c, k))
            return i;
    }
    return 0;
}

/* A new context for key `k`, dropping the oldest when every slot is taken. */
static uint32_t ctx_new(struct ot_decoder *d, struct ot_defrag *df, const struct ot_frag_ctx *k,
                        uint32_t h, uint64_t now, bool *counted)
{
    if (df->used == df->cfg.frag_max_datagrams)
        evict_one(d, df, 0, counted);
    uint32_t i;
    if (df->free_head) {
        i = df->free_head;
        df->free_head = df->ctx[i - 1].hnext;
    } else {
        i = ++df->hw; /* every slot below hw is in use: take a fresh one */
    }
    struct ot_frag_ctx *c = &df->ctx[i - 1];
    *c = *k;
    c->first_us = now;
    c->hash = h;
    c->hnext = df->hash[h & df->hash_mask];
    df->hash[h & df->hash_mask] = i;
    c->older = df->newest;
    c->newer = 0;
    if (df->newest)
        df->ctx[df->newest - 1].newer = i;
    else
        df->oldest = i;
    df->newest = i;
    df->used++;
    return i;
}

/*
 * Make slot i's buffer hold at least `need` bytes within the byte budget,
 * dropping older datagrams if that is what it takes.
 */
static bool store_reserve(struct ot_decoder *d, struct ot_defrag *df, uint32_t i, uint32_t need,
                          bool *counted)
{
    struct ot_frag_ctx *c = &df->ctx[i - 1];
    uint32_t cap = c->st ? c->st->cap : 0;
    if (c->st && need <= cap)
        return true;
    uint32_t ncap = (need + FRAG_STORE_STEP - 1) / FRAG_STORE_STEP * FRAG_STORE_STEP;
    if (ncap == 0)
        ncap = FRAG_STORE_STEP;
    if (ncap < cap * 2)
        ncap = cap * 2;
    if (ncap > FRAG_MAX_PAYLOAD + 1)
        ncap = FRAG_MAX_PAYLOAD + 1;
    uint64_t grow = store_size(ncap) - (c->st ? store_size(cap) : 0);
    while (df->bytes + grow > df->cfg.frag_max_bytes) {
        if (!evict_one(d, df, i, counted))
            return false;
    }
    struct ot_frag_store *st = realloc(c->st, store_size(ncap));
    if (!st)
        return false;
    if (!c->st)
        st->n = 0;
    st->cap = ncap;
    c->st = st;
    df->bytes += grow;
    return true;
}

/* Ranges [lo, hi) of st touch or overlap [a, b). */
static void touching(const struct ot_frag_store *st, uint32_t a, uint32_t b, uint32_t *lo,
                     uint32_t *hi)
{
    uint32_t l = 0;
    while (l < st->n && st->r[l][1] < a)
        l++;
    uint32_t h = l;
    while (h < st->n && st->r[h][0] <= b)
        h++;
    *lo = l;
    *hi = h;
}

/* Copy the bytes of [a, a + n) not held yet; merge the range in.  Returns true on overlap. */
static bool store_insert(struct ot_frag_store *st, uint32_t a, const uint8_t *src, uint32_t n)
{
    uint32_t b = a + n, pos = a;
    bool overlap = false;
    for (uint32_t k = 0; k < st->n && pos < b; k++) {
        uint32_t s = st->r[k][0], e = st->r[k][1];
        if (e <= pos)
            continue;
        if (s >= b)
            break;
        if (s > pos)
            memcpy(payload_of(st) + pos, src + (pos - a), s - pos);
        overlap = true;
        pos = e;
    }
    if (pos < b)
        memcpy(payload_of(st) + pos, src + (pos - a), b - pos);

    uint32_t lo, hi;
    touching(st, a, b, &lo, &hi);
    uint32_t ns = a, ne = b;
    if (hi > lo) {
        ns = OT_MIN(a, st->r[lo][0]);
        ne = OT_MAX(b, st->r[hi - 1][1]);
    }
    uint32_t tail = st->n - hi;
    memmove(&st->r[lo + 1], &st->r[hi], tail * sizeof(st->r[0]));
    st->r[lo][0] = ns;
    st->r[lo][1] = ne;
    st->n = lo + 1 + tail;
    return overlap;
}

/* Highest payload offset held so far. */
static uint32_t held_end(const struct ot_frag_ctx *c)
{
    return (c->st && c->st->n) ? c->st->r[c->st->n - 1][1] : 0;
}

/*
 * Make the saved headers describe the reassembled datagram, which starts
 * hdr_len bytes before the payload.  Returns its first byte.
 */
static const uint8_t *whole_datagram(struct ot_frag_ctx *c)
{
    uint8_t *h = c->st->data + FRAG_HDR_ROOM - c->hdr_len;
    uint32_t total = c->hdr_len + c->end;
    if (c->v6) {
        uint32_t plen = total - 40;
        h[4] = (uint8_t)(plen >> 8);
        h[5] = (uint8_t)plen;
        h[c->nh_off] = c->first_proto;
        return h;
    }
    h[2] = (uint8_t)(total >> 8);
    h[3] = (uint8_t)total;
    h[6] &= 0x40; /* keep DF; no more fragments, offset 0 */
    h[7] = 0;
    h[10] = h[11] = 0;
    uint32_t sum = 0;
    for (uint32_t k = 0; k < c->hdr_len; k += 2)
        sum += (uint32_t)h[k] << 8 | h[k + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    h[10] = (uint8_t)(sum >> 8);
    h[11] = (uint8_t)sum;
    return h;
}

/* Reject the fragment; drop the context too when this fragment was its only reason to exist. */
static enum ot_decode_result reject(struct ot_decoder *d, struct ot_defrag *df, uint32_t i,
                                    enum ot_decode_counter why, bool counted)
{
    const struct ot_frag_ctx *c = &df->ctx[i - 1];
    if (!c->has_first && !c->has_last && held_end(c) == 0)
        ctx_lose(d, df, i - 1);
    if (!counted)
        d->counters[why]++;
    return OT_DECODE_ERROR;
}

enum ot_decode_result ot_defrag_add(struct ot_decoder *d, const struct ot_packet *p,
                                    const struct ot_frag *f, unsigned depth,
                                    struct ot_frag_out *out /* OUT */)
{
    struct ot_defrag *df = d->defrag;
    if (OT_UNLIKELY(!df))
        return lose_fragment(d, p, f, OT_DEC_frag_table_full);
    /* The reassembled datagram must fit the IP length field. */
    uint32_t overhead = f->v6 ? f->hdr_len - 40 : f->hdr_len; /* IPv6: hdr_len >= 40 */
    uint32_t fend = f->offset + f->wire_len;
    if (overhead > FRAG_MAX_PAYLOAD || fend + overhead > FRAG_MAX_PAYLOAD)
        return lose_fragment(d, p, f, OT_DEC_frag_too_large);
    if (f->wire_len == 0)
        return lose_fragment(d, p, f, OT_DEC_frag_invalid);

    expire(d, df, p->ts_us);

    struct ot_frag_ctx k;
    memset(&k, 0, sizeof(k));
    k.src = p->src;
    k.dst = p->dst;
    k.id = f->id;
    memcpy(k.vlan, p->vlan, sizeof(k.vlan));
    k.vlan_count = p->vlan_count;
    k.proto = f->v6 ? 0 : f->proto;
    k.v6 = f->v6;
    k.depth = (uint8_t)depth;
    uint32_t h = key_hash(df, &k);

    bool counted = false;
    uint32_t i = ctx_lookup(df, &k, h);
    if (!i)
        i = ctx_new(d, df, &k, h, p->ts_us, &counted);
    struct ot_frag_ctx *c = &df->ctx[i - 1];

    /* The datagram's end, once known, bounds every fragment. */
    if (!f->more) {
        if ((c->has_last && fend != c->end) || fend < held_end(c))
            return reject(d, df, i, OT_DEC_frag_invalid, counted);
    } else if (c->has_last && fend > c->end) {
        return reject(d, df, i, OT_DEC_frag_invalid, counted);
    }

    bool first = f->offset == 0 && !c->has_first;
    if (f->len > 0 || first) {
        if (c->st && f->len > 0) {
            uint32_t lo, hi;
            touching(c->st, f->offset, f->offset + f->len, &lo, &hi);
            if (c->st->n - (hi - lo) + 1 > FRAG_MAX_PIECES)
                return reject(d, df, i, OT_DEC_frag_too_many_pieces, counted);
        }
        if (!store_reserve(d, df, i, f->offset + f->len, &counted))
            return reject(d, df, i, OT_DEC_frag_table_full, counted);
        if (f->len > 0 && store_insert(c->st, f->offset, f->data, f->len))
            d->counters[OT_DEC_frag_overlap]++;
    }
    if (first) {
        c->has_first = true;
        c->first_proto = f->proto;
        c->hdr_len = f->hdr_len;
        c->nh_off = f->nh_off;
        c->hdr_saved = f->hdr_len <= FRAG_HDR_ROOM;
        if (c->hdr_saved)
            memcpy(c->st->data + FRAG_HDR_ROOM - f->hdr_len, f->hdr, f->hdr_len);
    }
    if (!f->more) {
        c->has_last = true;
        c->end = fend;
    }

    const struct ot_frag_store *st = c->st;
    if (!c->has_last || !c->has_first || !st || st->n != 1 || st->r[0][0] != 0 ||
        st->r[0][1] != c->end)
        return OT_DECODE_HELD;
    if (OT_UNLIKELY(df->ndone == OT_DEFRAG_DONE_MAX)) /* cannot happen: one per IP layer */
        return ot_dec_err(d, OT_DEC_frag_table_full);

    out->l3 = c->hdr_saved ? whole_datagram(c) : NULL;
    out->data = payload_of(c->st);
    out->len = c->end;
    out->hdr_len = c->hdr_len;
    out->proto = c->first_proto;
    df->done[df->ndone++] = c->st;
    df->bytes -= store_size(c->st->cap);
    c->st = NULL;
    ctx_free(df, i - 1);
    return OT_DECODE_OK;
}
