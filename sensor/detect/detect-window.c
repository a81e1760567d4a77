#include "detect/detect-window.h"

#include <stdlib.h>
#include <string.h>

#include "otasuke/error.h"

#define NONE UINT32_MAX
#define US   1000000ull

void ot_dwin_key_make(struct ot_dwin_key *k, const struct ot_addr *a, const struct ot_addr *b,
                      bool v6, uint16_t port, uint8_t kind)
{
    memset(k, 0, sizeof(*k));
    k->a = *a;
    if (b)
        k->b = *b;
    k->port = port;
    k->kind = kind;
    k->v6 = v6;
}

static uint64_t key_hash(const struct ot_dwin_key *k)
{
    uint64_t h =
        ot_detect_hash_addr(&k->a, (uint64_t)k->port << 16 | (uint64_t)k->kind << 8 | k->v6);
    return ot_detect_hash_addr(&k->b, h);
}

int ot_dwin_init(struct ot_dwin *w, struct ot_detect *d, const struct ot_detector *det,
                 uint32_t max_entries, uint32_t cap, uint32_t window_s)
{
    memset(w, 0, sizeof(*w));
    if (!max_entries || !cap || max_entries > (1u << 24) || cap > 65536)
        return OT_EINVAL;
    w->d = d;
    w->det = det;
    w->max = max_entries;
    w->cap = cap;
    w->window_s = window_s;
    w->n_buckets = 1;
    while (w->n_buckets < max_entries * 2)
        w->n_buckets <<= 1;
    w->e = calloc(max_entries, sizeof(*w->e));
    w->items = calloc((size_t)max_entries * cap, sizeof(*w->items));
    w->buckets = malloc(sizeof(*w->buckets) * w->n_buckets);
    if (!w->e || !w->items || !w->buckets) {
        ot_dwin_free(w);
        return OT_ENOMEM;
    }
    for (uint32_t i = 0; i < w->n_buckets; i++)
        w->buckets[i] = NONE;
    /*
     * Entries never used yet come from `unused`, freed ones from a list
     * through hnext: the entry array (calloc: zero pages the kernel maps on
     * first touch) is only touched as far as the table has filled.
     */
    w->free_head = NONE;
    w->unused = 0;
    w->lru_head = w->lru_tail = NONE;
    return OT_OK;
}

void ot_dwin_free(struct ot_dwin *w)
{
    free(w->e);
    free(w->items);
    free(w->buckets);
    w->e = NULL;
    w->items = NULL;
    w->buckets = NULL;
}

static uint32_t idx_of(const struct ot_dwin *w, const struct ot_dwin_entry *e)
{
    return (uint32_t)(e - w->e);
}

static struct ot_dwin_item *items_of(const struct ot_dwin *w, const struct ot_dwin_entry *e)
{
    return &w->items[(size_t)idx_of(w, e) * w->cap];
}

static void lru_unlink(struct ot_dwin *w, uint32_t i)
{
    struct ot_dwin_entry *e = &w->e[i];
    if (e->prev != NONE)
        w->e[e->prev].next = e->next;
    else
        w->lru_head = e->next;
    if (e->next != NONE)
        w->e[e->next].prev = e->prev;
    else
        w->lru_tail = e->prev;
}

static void lru_append(struct ot_dwin *w, uint32_t i)
{
    struct ot_dwin_entry *e = &w->e[i];
    e->next = NONE;
    e->prev = w->lru_tail;
    if (w->lru_tail != NONE)
        w->e[w->lru_tail].next = i;
    else
        w->lru_head = i;
    w->lru_tail = i;
}

static void touch(struct ot_dwin *w, struct ot_dwin_entry *e, uint64_t now_us)
{
    if (now_us > w->clock_us)
        w->clock_us = now_us;
    e->touched_us = w->clock_us;
    uint32_t i = idx_of(w, e);
    if (w->lru_tail != i) {
        lru_unlink(w, i);
        lru_append(w, i);
    }
}

struct ot_dwin_entry *ot_dwin_find(struct ot_dwin *w, const struct ot_dwin_key *k)
{
    uint64_t h = key_hash(k);
    for (uint32_t i = w->buckets[h & (w->n_buckets - 1)]; i != NONE; i = w->e[i].hnext) {
        struct ot_dwin_entry *e = &w->e[i];
        if (e->hash == h && memcmp(&e->key, k, sizeof(*k)) == 0)
            return e;
    }
    return NULL;
}

void ot_dwin_remove(struct ot_dwin *w, struct ot_dwin_entry *e)
{
    uint32_t i = idx_of(w, e);
    uint32_t *pp = &w->buckets[e->hash & (w->n_buckets - 1)];
    while (*pp != i)
        pp = &w->e[*pp].hnext;
    *pp = e->hnext;
    lru_unlink(w, i);
    e->in_use = false;
    e->hnext = w->free_head;
    w->free_head = i;
    w->n--;
}

struct ot_dwin_entry *ot_dwin_get(struct ot_dwin *w, const struct ot_dwin_key *k, uint64_t now_us)
{
    struct ot_dwin_entry *e = ot_dwin_find(w, k);
    if (e) {
        touch(w, e, now_us);
        return e;
    }
    uint32_t i;
    if (w->free_head == NONE && w->unused < w->max) {
        i = w->unused++;
    } else {
        if (w->free_head == NONE) {
            /* Full: the least recently touched entry makes room, and the bound shows in stats. */
            ot_dwin_remove(w, &w->e[w->lru_head]);
            w->evicted++;
            if (w->d && w->det)
                ot_detect_count_full(w->d, w->det);
        }
        i = w->free_head;
        w->free_head = w->e[i].hnext;
    }
    e = &w->e[i];
    memset(e, 0, sizeof(*e));
    e->key = *k;
    e->hash = key_hash(k);
    e->in_use = true;
    uint32_t *b = &w->buckets[e->hash & (w->n_buckets - 1)];
    e->hnext = *b;
    *b = i;
    lru_append(w, i);
    w->n++;
    touch(w, e, now_us);
    return e;
}

/* Drop items that fell out of the window of the newest one (swap-remove: order is not kept). */
static void purge(const struct ot_dwin *w, struct ot_dwin_entry *e)
{
    struct ot_dwin_item *it = items_of(w, e);
    uint32_t newest = (uint32_t)(e->newest_us / US);
    for (uint32_t i = 0; i < e->n;) {
        if ((uint64_t)it[i].t_s + w->window_s <= newest)
            it[i] = it[--e->n];
        else
            i++;
    }
}

uint32_t ot_dwin_add(struct ot_dwin *w, struct ot_dwin_entry *e, uint32_t val, uint32_t weight,
                     uint64_t t_us, bool distinct)
{
    struct ot_dwin_item *it = items_of(w, e);
    uint32_t t_s = (uint32_t)(t_us / US);
    touch(w, e, t_us);
    if (e->newest_us && (uint64_t)t_s + w->window_s <= e->newest_us / US)
        return e->n; /* older than the window: reported late, no longer counts */
    e->total++;
    if (t_us > e->newest_us) {
        e->newest_us = t_us;
        purge(w, e);
    }
    if (distinct) {
        for (uint32_t i = 0; i < e->n; i++) {
            if (it[i].val == val) {
                if (t_s > it[i].t_s)
                    it[i].t_s = t_s;
                if (weight > it[i].w)
                    it[i].w = weight;
                return e->n;
            }
        }
    }
    struct ot_dwin_item *slot;
    if (e->n < w->cap) {
        slot = &it[e->n++];
    } else {
        /* Full: the oldest item gives way, so the entry keeps describing the recent past. */
        slot = &it[0];
        for (uint32_t i = 1; i < e->n; i++)
            if (it[i].t_s < slot->t_s)
                slot = &it[i];
    }
    slot->val = val;
    slot->t_s = t_s;
    slot->w = weight;
    e->added++;
    return e->n;
}

uint32_t ot_dwin_weight(const struct ot_dwin *w, const struct ot_dwin_entry *e)
{
    const struct ot_dwin_item *it = items_of(w, e);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < e->n; i++)
        sum += it[i].w;
    return sum;
}

uint32_t ot_dwin_count_weight(const struct ot_dwin *w, const struct ot_dwin_entry *e,
                              uint32_t min_w)
{
    const struct ot_dwin_item *it = items_of(w, e);
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->n; i++)
        n += it[i].w >= min_w;
    return n;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorted distinct values into OUT (room for e->n); returns how many. */
static size_t sorted_values(const struct ot_dwin *w, const struct ot_dwin_entry *e, uint32_t *out)
{
    const struct ot_dwin_item *it = items_of(w, e);
    for (uint32_t i = 0; i < e->n; i++)
        out[i] = it[i].val;
    qsort(out, e->n, sizeof(*out), cmp_u32);
    size_t n = 0;
    for (uint32_t i = 0; i < e->n; i++)
        if (n == 0 || out[n - 1] != out[i])
            out[n++] = out[i];
    return n;
}

#define SMALL_CAP 512

uint32_t ot_dwin_distinct(const struct ot_dwin *w, const struct ot_dwin_entry *e)
{
    uint32_t stack[SMALL_CAP];
    uint32_t *buf = e->n <= SMALL_CAP ? stack : malloc(sizeof(*buf) * e->n);
    if (!buf)
        return e->n;
    uint32_t n = (uint32_t)sorted_values(w, e, buf);
    if (buf != stack)
        free(buf);
    return n;
}

size_t ot_dwin_values(const struct ot_dwin *w, const struct ot_dwin_entry *e, uint32_t *out,
                      size_t max)
{
    uint32_t stack[SMALL_CAP];
    uint32_t *buf = e->n <= SMALL_CAP ? stack : malloc(sizeof(*buf) * e->n);
    if (!buf)
        return 0;
    size_t n = sorted_values(w, e, buf);
    if (n > max)
        n = max;
    memcpy(out, buf, n * sizeof(*out));
    if (buf != stack)
        free(buf);
    return n;
}

uint32_t ot_dwin_span_s(const struct ot_dwin *w, const struct ot_dwin_entry *e)
{
    const struct ot_dwin_item *it = items_of(w, e);
    if (!e->n)
        return 0;
    uint32_t lo = it[0].t_s, hi = it[0].t_s;
    for (uint32_t i = 1; i < e->n; i++) {
        if (it[i].t_s < lo)
            lo = it[i].t_s;
        if (it[i].t_s > hi)
            hi = it[i].t_s;
    }
    return hi - lo;
}

bool ot_dwin_raise_due(struct ot_dwin_entry *e, uint64_t t_us, uint32_t window_s)
{
    bool due = !e->raised_us || t_us < e->raised_us + OT_DWIN_LINGER_S * US ||
               t_us >= e->raised_us + (uint64_t)window_s * US;
    if (due && t_us > e->raised_us)
        e->raised_us = t_us;
    return due;
}

void ot_dwin_expire(struct ot_dwin *w, uint64_t now_us, uint32_t slack_s)
{
    if (now_us > w->clock_us)
        w->clock_us = now_us;
    uint64_t idle = ((uint64_t)w->window_s + slack_s) * US;
    /* Oldest first: stop at the first entry still in use. */
    while (w->lru_head != NONE && w->e[w->lru_head].touched_us + idle < w->clock_us)
        ot_dwin_remove(w, &w->e[w->lru_head]);
}

uint32_t ot_dwin_addr_val(const struct ot_addr *a, bool v6)
{
    if (!v6)
        return (uint32_t)a->u.b[0] << 24 | (uint32_t)a->u.b[1] << 16 | (uint32_t)a->u.b[2] << 8 |
               a->u.b[3];
    return (uint32_t)ot_detect_hash_addr(a, 0x6f74);
}

uint32_t ot_dwin_str_val(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= 16777619u;
    }
    return h;
}

bool ot_dwin_addr_is_group(const struct ot_addr *a, bool v6)
{
    if (v6)
        return a->u.b[0] == 0xff;
    /* A last octet of 255 is the broadcast of every subnet of /24 or smaller: cheap, rarely wrong.
     */
    return a->u.b[0] >= 224 || a->u.b[3] == 255;
}
