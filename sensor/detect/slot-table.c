/*
 * Bounded detector tables (slot-table.h).
 */
#include "detect/slot-table.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/bigmem.h"

int ot_slot_table_init(struct ot_slot_table *t, size_t n, size_t stride)
{
    size_t p = OT_SLOT_PROBE;
    while (p < n)
        p <<= 1;
    if (stride && p > SIZE_MAX / stride)
        return -1;
    t->base = ot_bigmem_alloc(p * stride);
    if (!t->base)
        return -1;
    t->n = p;
    t->stride = stride;
    return 0;
}

void ot_slot_table_free(struct ot_slot_table *t)
{
    ot_bigmem_free(t->base, t->n * t->stride);
    t->base = NULL;
    t->n = 0;
}

void *ot_slot_get(struct ot_slot_table *t, uint64_t hash,
                  bool (*eq)(const void *entry, const void *key), const void *key, bool create,
                  uint64_t now_us, enum ot_slot_result *res, uint64_t *replaced_last)
{
    size_t mask = t->n - 1;
    struct ot_slot *free_slot = NULL, *oldest = NULL;
    for (size_t k = 0; k < OT_SLOT_PROBE; k++) {
        struct ot_slot *s = ot_slot_at(t, (hash + k) & mask);
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->hash == hash && eq(s, key)) {
            s->last_us = now_us;
            if (res)
                *res = OT_SLOT_FOUND;
            return s;
        }
        if (!oldest || s->last_us < oldest->last_us)
            oldest = s;
    }
    if (!create)
        return NULL;
    struct ot_slot *s = free_slot ? free_slot : oldest;
    if (res)
        *res = free_slot ? OT_SLOT_NEW : OT_SLOT_REPLACED;
    if (replaced_last)
        *replaced_last = free_slot ? 0 : s->last_us;
    memset(s, 0, t->stride);
    s->hash = hash;
    s->used = true;
    s->last_us = now_us;
    return s;
}

struct once_key {
    const struct ot_addr *host;
    bool v6;
    uint32_t id;
    uint64_t extra;
};

static bool once_eq(const void *ev, const void *kv)
{
    const struct ot_once *e = ev;
    const struct once_key *k = kv;
    return e->v6 == k->v6 && e->id == k->id && e->extra == k->extra &&
           ot_addr_eq(&e->host, k->host);
}

bool ot_once_check(struct ot_slot_table *t, const struct ot_addr *host, bool v6, uint32_t id,
                   uint64_t extra, uint64_t now_us, uint64_t realert_us, bool *lost_live)
{
    struct once_key k = {host, v6, id, extra};
    uint64_t h = extra * 0x9e3779b97f4a7c15ull ^ ((uint64_t)id << 32) ^ host->u.q[0] ^
                 (host->u.q[1] * 0xff51afd7ed558ccdull);
    h ^= h >> 31;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    enum ot_slot_result res;
    uint64_t old = 0;
    if (lost_live)
        *lost_live = false;
    struct ot_once *e = ot_slot_get(t, h, once_eq, &k, true, now_us, &res, &old);
    if (res == OT_SLOT_FOUND) {
        if (now_us < e->alerted_us + realert_us)
            return false;
        e->alerted_us = now_us;
        return true;
    }
    if (res == OT_SLOT_REPLACED && lost_live && old + realert_us > now_us)
        *lost_live = true;
    e->host = *host;
    e->v6 = v6;
    e->id = id;
    e->extra = extra;
    e->alerted_us = now_us;
    return true;
}
