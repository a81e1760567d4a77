/*
 * Bounded tables for detectors: a fixed array of entries found by hash with
 * a short linear probe.  When no slot in the probe window is free or holds
 * the key, the least recently used entry of the window is reused, so memory
 * never grows and the state lost is the stalest; the caller counts that
 * (ot_detect_count_full) when the reused entry was still live.
 *
 * Each entry type starts with a struct ot_slot.  The caller owns the array
 * (allocated in its init hook, freed in its free hook).
 */
#ifndef OT_SENSOR_SLOT_TABLE_H
#define OT_SENSOR_SLOT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/decode.h"

#define OT_SLOT_PROBE 8

struct ot_slot {
    uint64_t hash;
    uint64_t last_us; /* last use: the entry the table gives up first is the oldest */
    bool used;
};

struct ot_slot_table {
    void *base;
    size_t stride; /* sizeof the entry type */
    size_t n;      /* entries, a power of two */
};

enum ot_slot_result {
    OT_SLOT_FOUND = 0,
    OT_SLOT_NEW,      /* a free slot: zeroed, caller fills the key */
    OT_SLOT_REPLACED, /* a used slot was taken over: zeroed, caller fills the key */
};

/* Allocate N entries (rounded up to a power of two) of STRIDE bytes. Returns 0 or -1. */
int ot_slot_table_init(struct ot_slot_table *t, size_t n, size_t stride);
void ot_slot_table_free(struct ot_slot_table *t);

static inline struct ot_slot *ot_slot_at(const struct ot_slot_table *t, size_t i)
{
    return (struct ot_slot *)(void *)((char *)t->base + i * t->stride);
}

/*
 * Find the entry for KEY (EQ compares an entry with it), or make one when
 * CREATE.  A new or replaced entry comes back zeroed with hash, used and
 * last_us set; *REPLACED_LAST (may be NULL) gets the last use of the entry
 * that was given up, so the caller can tell a live loss from a stale one.
 * Returns NULL only when !CREATE and the key is absent.
 */
void *ot_slot_get(struct ot_slot_table *t, uint64_t hash,
                  bool (*eq)(const void *entry, const void *key), const void *key, bool create,
                  uint64_t now_us, enum ot_slot_result *res, uint64_t *replaced_last);

/*
 * "Alert once" sets: has (host, id, extra) alerted within the last
 * REALERT_US?  If not, records NOW and returns true.  *LOST_LIVE (may be
 * NULL) is set when recording it pushed out an entry still inside its
 * realert period (the caller counts that as table full).
 */
struct ot_once {
    struct ot_slot slot;
    struct ot_addr host;
    bool v6;
    uint32_t id;
    uint64_t extra;
    uint64_t alerted_us;
};

bool ot_once_check(struct ot_slot_table *t, const struct ot_addr *host, bool v6, uint32_t id,
                   uint64_t extra, uint64_t now_us, uint64_t realert_us, bool *lost_live);

/*
 * A small Bloom filter over NBITS bits (a multiple of 8) in BITS, with four
 * probes (double hashing of one 64-bit hash): adds H and returns true when
 * H was not there before.  Counting distinct names this way can only
 * under-count (a false "seen"), which errs towards not alerting.
 */
static inline bool ot_bloom_add(uint8_t *bits, size_t nbits, uint64_t h)
{
    bool fresh = false;
    uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1u;
    for (uint32_t k = 0; k < 4; k++) {
        size_t b = (size_t)((h1 + k * h2) % nbits);
        if (!(bits[b / 8] & (1u << (b % 8)))) {
            bits[b / 8] |= (uint8_t)(1u << (b % 8));
            fresh = true;
        }
    }
    return fresh;
}

#endif
