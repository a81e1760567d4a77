/*
 * Bounded windowed counters for detectors (scan, bruteforce, exposure,
 * lateral): "how many distinct ports did this source probe on that host in
 * the last five minutes", "how many failed logins from this source to that
 * service".
 *
 * A table holds at most `max_entries` entries, each keyed by two addresses,
 * a port and a detector-defined kind, and each holding at most `cap` items
 * (a value, the time it was seen, a weight).  Items older than the window
 * (counted back from the entry's newest item) are dropped as items are
 * added, so an entry always describes one sliding window.  Bounds:
 *   - an entry that is full drops its oldest item to take a new one, so a
 *     count saturates at `cap` (detectors size cap at or above their
 *     thresholds);
 *   - a table that is full evicts its least recently touched entry and
 *     counts it with ot_detect_count_full();
 *   - ot_dwin_expire() (from the detector's tick) drops entries idle for
 *     longer than the window plus a slack.
 * All memory is allocated by ot_dwin_init() and freed by ot_dwin_free();
 * nothing allocates afterwards.  Times are packet time; items keep whole
 * seconds, which is all a window of seconds needs.
 */
#ifndef OT_SENSOR_DETECT_WINDOW_H
#define OT_SENSOR_DETECT_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"

/* Build keys with ot_dwin_key_make(): the struct is hashed and compared whole. */
struct ot_dwin_key {
    struct ot_addr a, b; /* b is all zero when the key has one address */
    uint16_t port;
    uint8_t kind; /* detector-defined */
    uint8_t v6;
    uint32_t zero; /* no padding: keeps memcmp and hashing exact */
};

struct ot_dwin_item {
    uint32_t val; /* a port, an IPv4 address, an address hash, a user hash... */
    uint32_t t_s; /* seconds since the epoch */
    uint32_t w;   /* weight */
};

struct ot_dwin_entry {
    struct ot_dwin_key key;
    uint64_t newest_us;  /* newest item's time */
    uint64_t touched_us; /* table clock when last used (LRU order, expiry) */
    uint64_t raised_us;  /* for the detector: when it last alerted on this entry (0 never) */
    uint64_t total;      /* items added since the entry was created */
    uint64_t added;      /* of those, new items (not refreshes of a held value) */
    uint32_t aux;        /* for the detector */
    uint32_t n;          /* items held */
    /* table internals */
    uint64_t hash;
    uint32_t hnext, prev, next;
    bool in_use;
};

struct ot_dwin {
    struct ot_detect *d; /* for ot_detect_count_full() */
    const struct ot_detector *det;
    struct ot_dwin_entry *e;
    struct ot_dwin_item *items; /* max_entries * cap */
    uint32_t *buckets;
    uint32_t n_buckets, max, cap, n, free_head, lru_head, lru_tail;
    uint32_t unused; /* entries [unused, max) were never used */
    uint32_t window_s;
    uint64_t clock_us; /* newest time the table has seen */
    uint64_t evicted;
};

void ot_dwin_key_make(struct ot_dwin_key *k, const struct ot_addr *a, const struct ot_addr *b,
                      bool v6, uint16_t port, uint8_t kind);

/* 0 or OT_ENOMEM / OT_EINVAL.  ot_dwin_free() is safe after a failed init. */
int ot_dwin_init(struct ot_dwin *w, struct ot_detect *d, const struct ot_detector *det,
                 uint32_t max_entries, uint32_t cap, uint32_t window_s);
void ot_dwin_free(struct ot_dwin *w);

/* The entry for K, or NULL. */
struct ot_dwin_entry *ot_dwin_find(struct ot_dwin *w, const struct ot_dwin_key *k);
/*
 * The entry for K, created when absent (evicting the least recently touched
 * entry if the table is full, counted).  NOW_US moves the table clock.
 */
struct ot_dwin_entry *ot_dwin_get(struct ot_dwin *w, const struct ot_dwin_key *k, uint64_t now_us);
void ot_dwin_remove(struct ot_dwin *w, struct ot_dwin_entry *e);

/*
 * Add an item seen at T_US and return how many items the entry holds within
 * the window.  DISTINCT: an item with the same value is refreshed (newer
 * time, larger weight) instead of added.  An item older than the window of
 * the entry's newest item is ignored.
 */
uint32_t ot_dwin_add(struct ot_dwin *w, struct ot_dwin_entry *e, uint32_t val, uint32_t weight,
                     uint64_t t_us, bool distinct);

/* Sum of the weights of the items held. */
uint32_t ot_dwin_weight(const struct ot_dwin *w, const struct ot_dwin_entry *e);
/* Items held with weight >= MIN_W. */
uint32_t ot_dwin_count_weight(const struct ot_dwin *w, const struct ot_dwin_entry *e,
                              uint32_t min_w);
/* Distinct values among the items held (for non-distinct entries: distinct users...). */
uint32_t ot_dwin_distinct(const struct ot_dwin *w, const struct ot_dwin_entry *e);
/* Seconds from the oldest to the newest item held. */
uint32_t ot_dwin_span_s(const struct ot_dwin *w, const struct ot_dwin_entry *e);
/* Up to MAX distinct values held, smallest first. Returns how many. */
size_t ot_dwin_values(const struct ot_dwin *w, const struct ot_dwin_entry *e, uint32_t *out,
                      size_t max);

/*
 * Raising repeats.  Once an entry is over its threshold, each new occurrence
 * (a new target, another attempt) is worth raising only if the engine will
 * merge it into the line already pending, or if a new line is due: true when
 * nothing was raised yet, when the last raise was less than
 * OT_DWIN_LINGER_S seconds before T_US (a burst going on: the engine's
 * default quiet time is 30 s, so it merges), or at least WINDOW_S seconds
 * before (a new episode).  A slow trickle above the threshold thus gives at
 * most one line per window, a fast attack one line per max-hold whose count
 * is its occurrences.  Records T_US as the last raise when it returns true.
 */
#define OT_DWIN_LINGER_S 20u
bool ot_dwin_raise_due(struct ot_dwin_entry *e, uint64_t t_us, uint32_t window_s);

/* Drop entries not touched for the window plus SLACK_S seconds before NOW_US. */
void ot_dwin_expire(struct ot_dwin *w, uint64_t now_us, uint32_t slack_s);

/* Helpers for values. */
/* An IPv4 address as its 32-bit number; an IPv6 address as a 32-bit hash. */
uint32_t ot_dwin_addr_val(const struct ot_addr *a, bool v6);
/* 32-bit FNV-1a of a string (user names...). */
uint32_t ot_dwin_str_val(const char *s, size_t len);
/* Multicast or broadcast (never the target of a real connection attempt). */
bool ot_dwin_addr_is_group(const struct ot_addr *a, bool v6);

#endif
