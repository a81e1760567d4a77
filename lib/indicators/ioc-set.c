/*
 * The indicator set proper: storage (records, string arena, hash tables,
 * interning), insertion with duplicate detection, lookup by key, and the
 * public create / add / finalize / free entry points.  The per-type files
 * (ioc-ip.c, ioc-domain.c, ioc-url.c, ioc-hash.c) turn values into keys and
 * call ot_ioc_insert_() / ot_ioc_find_().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

#define ARENA_LIMIT ((size_t)UINT32_MAX) /* offsets are 32-bit */

_Static_assert(sizeof(struct ot_ioc_rec) == 20, "record layout (see ioc-internal.h)");
#define TAB_MIN 256u
#define TAB_MAX (1u << 31)

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* A fast keyed hash over (kind, key): eight bytes per step, a full
 * avalanche at the end.  The seed is per set, so a feed cannot be crafted to
 * collide on every machine. */
uint32_t ot_ioc_hash_(uint64_t seed, unsigned kind, const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = seed ^ ((uint64_t)kind << 56) ^ ((uint64_t)len * 0x9E3779B97F4A7C15ULL);
    while (len >= 8) {
        h = (h ^ load64(p)) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t t = 0;
    memcpy(&t, p, len);
    h ^= t;
    return (uint32_t)mix64(h);
}

/* Make room for `need` more arena bytes.  Doubling keeps appends amortised
 * O(1); large reallocs are mremap()s, so growing copies nothing. */
static int arena_reserve(struct ot_ioc_set *s, size_t need)
{
    if (need > ARENA_LIMIT - s->alen)
        return OT_ELIMIT;
    size_t want = s->alen + need;
    if (want <= s->acap)
        return OT_OK;
    size_t cap = s->acap ? s->acap : 1u << 16;
    while (cap < want)
        cap *= 2;
    if (cap > ARENA_LIMIT)
        cap = ARENA_LIMIT;
    char *a = realloc(s->arena, cap);
    if (!a)
        return OT_ENOMEM;
    s->arena = a;
    s->acap = cap;
    return OT_OK;
}

/* Append bytes plus a NUL; *off is where they start. */
static int arena_put(struct ot_ioc_set *s, const void *p, size_t n, uint32_t *off)
{
    int rc = arena_reserve(s, n + 1);
    if (rc)
        return rc;
    *off = (uint32_t)s->alen;
    memcpy(s->arena + s->alen, p, n);
    s->arena[s->alen + n] = '\0';
    s->alen += n + 1;
    return OT_OK;
}

/* Double a hash table when adding one more entry would pass 70% load.
 * Entries carry their hash, so rehashing never touches the keys. */
static int table_make_room(struct ot_ioc_slot **tab, uint32_t *mask, uint32_t used)
{
    uint32_t size = *tab ? *mask + 1 : 0;
    if (size && (uint64_t)(used + 1) * 10 <= (uint64_t)size * 7)
        return OT_OK;
    if (size >= TAB_MAX)
        return OT_ELIMIT;
    uint32_t nsize = size ? size * 2 : TAB_MIN;
    struct ot_ioc_slot *nt = calloc(nsize, sizeof(*nt));
    if (!nt)
        return OT_ENOMEM;
    uint32_t nmask = nsize - 1;
    for (uint32_t i = 0; i < size; i++) {
        if (!(*tab)[i].off)
            continue;
        uint32_t j = (*tab)[i].hash & nmask;
        while (nt[j].off)
            j = (j + 1) & nmask;
        nt[j] = (*tab)[i];
    }
    free(*tab);
    *tab = nt;
    *mask = nmask;
    return OT_OK;
}

static uint32_t interned_len(const struct ot_ioc_set *s, uint32_t off)
{
    uint32_t n;
    memcpy(&n, s->arena + off - 4, 4);
    return n;
}

/* Intern n bytes: the same bytes always give the same arena offset.  Stored
 * as [u32 length][bytes][NUL]; the empty string is offset 0. */
static int intern(struct ot_ioc_set *s, const void *p, size_t n, uint32_t *off)
{
    if (n == 0) {
        *off = 0;
        return OT_OK;
    }
    if (n > UINT16_MAX)
        return OT_EINVAL;
    int rc = table_make_room(&s->itab, &s->imask, s->iused);
    if (rc)
        return rc;
    uint32_t h = ot_ioc_hash_(s->seed, 0, p, n);
    uint32_t i = h & s->imask;
    for (; s->itab[i].off; i = (i + 1) & s->imask) {
        uint32_t o = s->itab[i].off;
        if (s->itab[i].hash == h && interned_len(s, o) == n && memcmp(s->arena + o, p, n) == 0) {
            *off = o;
            return OT_OK;
        }
    }
    uint32_t len32 = (uint32_t)n, start;
    rc = arena_reserve(s, 4 + n + 1);
    if (rc)
        return rc;
    memcpy(s->arena + s->alen, &len32, 4);
    s->alen += 4;
    rc = arena_put(s, p, n, &start);
    if (rc)
        return rc;
    s->itab[i].hash = h;
    s->itab[i].off = start;
    s->iused++;
    *off = start;
    return OT_OK;
}

static bool origin_same(const struct ot_ioc_set *s, uint32_t origin, const char *cat,
                        const char *src, const char *file)
{
    uint32_t o[3];
    memcpy(o, s->arena + origin, sizeof(o));
    return strcmp(s->arena + o[0], cat) == 0 && strcmp(s->arena + o[1], src) == 0 &&
           strcmp(s->arena + o[2], file) == 0;
}

/* The interned [category, source, file] triple for an indicator.  A loader
 * adds thousands of lines with the same triple in a row, so the last one is
 * checked first with three short compares. */
static int origin_get(struct ot_ioc_set *s, const struct ot_ioc_meta *m, uint32_t *out)
{
    const char *cat = m->category ? m->category : "";
    const char *src = m->source ? m->source : "";
    const char *file = m->file ? m->file : "";
    if (s->last_origin && origin_same(s, s->last_origin, cat, src, file)) {
        *out = s->last_origin;
        return OT_OK;
    }
    uint32_t o[3];
    int rc;
    if ((rc = intern(s, cat, strlen(cat), &o[0])) || (rc = intern(s, src, strlen(src), &o[1])) ||
        (rc = intern(s, file, strlen(file), &o[2])) || (rc = intern(s, o, sizeof(o), out)))
        return rc;
    s->last_origin = *out;
    return OT_OK;
}

static const struct ot_ioc_rec *entry(const struct ot_ioc_set *s, uint32_t off)
{
    return (const struct ot_ioc_rec *)(const void *)(s->arena + off);
}

static bool rec_is(const struct ot_ioc_rec *r, unsigned kind, const void *key, size_t len)
{
    return r->kind == kind && r->key_len == len && memcmp(ot_ioc_rec_key(r), key, len) == 0;
}

/* Keep the list of prefix lengths present in a family sorted, longest
 * first, so a lookup probes only lengths that exist. */
void ot_ioc_ip_len_present_(struct ot_ioc_set *set, bool v6, uint8_t plen)
{
    uint8_t *lens = v6 ? set->lens6 : set->lens4;
    uint8_t *n = v6 ? &set->nlens6 : &set->nlens4;
    unsigned i = 0;
    while (i < *n && lens[i] > plen)
        i++;
    if (i < *n && lens[i] == plen)
        return;
    memmove(lens + i + 1, lens + i, *n - i);
    lens[i] = plen;
    (*n)++;
}

/* Insert one normalised indicator.  The table is probed first so that a
 * duplicate is reported as such even when the set is full.  Nothing the
 * caller passes is kept: the record, key and value are copied into the
 * arena, the entry aligned for the record. */
int ot_ioc_insert_(struct ot_ioc_set *s, const struct ot_ioc_new *n)
{
    if (s->frozen)
        return OT_EPERM;
    if (n->key_len == 0 || n->key_len > UINT16_MAX)
        return OT_EINVAL;
    int rc = table_make_room(&s->tab, &s->tmask, s->tused);
    if (!rc && n->kind == OT_IOC_K_IP4)
        rc = ot_ioc_v4_filter_reserve_(s, n->plen);
    if (rc)
        return rc;
    uint32_t h = ot_ioc_hash_(s->seed, n->kind, n->key, n->key_len);
    uint32_t i = h & s->tmask;
    for (; s->tab[i].off; i = (i + 1) & s->tmask)
        if (s->tab[i].hash == h && rec_is(entry(s, s->tab[i].off), n->kind, n->key, n->key_len))
            return OT_EEXIST;
    if (s->n >= s->max)
        return OT_ELIMIT;
    struct ot_ioc_rec r = {
        .line = n->meta->line,
        .key_len = (uint16_t)n->key_len,
        .port = n->port,
        .type = (uint8_t)n->type,
        .kind = (uint8_t)n->kind,
        .plen = n->plen,
        .confidence = n->meta->confidence,
    };
    if ((rc = origin_get(s, n->meta, &r.origin)))
        return rc;
    size_t pad = (size_t)(-s->alen & (_Alignof(struct ot_ioc_rec) - 1));
    size_t size = pad + sizeof(r) + n->key_len + 1;
    if ((rc = arena_reserve(s, size)))
        return rc;
    uint32_t off = (uint32_t)(s->alen + pad);
    uint32_t key_off = off + (uint32_t)sizeof(r);
    memset(s->arena + s->alen, 0, pad);
    s->alen += size;
    memcpy(s->arena + key_off, n->key, n->key_len);
    s->arena[key_off + n->key_len] = '\0';
    bool textual = n->kind != OT_IOC_K_IP4 && n->kind != OT_IOC_K_IP6;
    if (textual && n->value_len == n->key_len && memcmp(n->value, n->key, n->key_len) == 0)
        r.value = key_off;
    else if ((rc = arena_put(s, n->value, n->value_len, &r.value))) {
        s->alen = off - pad; /* drop the half-made entry */
        return rc;
    }
    memcpy(s->arena + off, &r, sizeof(r));
    s->tab[i].hash = h;
    s->tab[i].off = off;
    s->tused++;
    s->n++;
    s->by_type[n->type]++;
    if (!textual)
        ot_ioc_ip_len_present_(s, n->kind == OT_IOC_K_IP6, n->plen);
    if (n->kind == OT_IOC_K_IP4)
        ot_ioc_v4_filter_add_(s, (const uint8_t *)n->key + 1, n->plen);
    return OT_OK;
}

/* Hash a key for ot_ioc_find_hashed_() and start loading its slot: a
 * lookup that will probe several keys (one per prefix length, per label)
 * hashes them all first, so their cache misses overlap. */
uint32_t ot_ioc_hash_prefetch_(const struct ot_ioc_set *s, enum ot_ioc_kind kind, const void *key,
                               size_t len)
{
    uint32_t h = ot_ioc_hash_(s->seed, kind, key, len);
#if defined(__GNUC__)
    if (s->tab)
        __builtin_prefetch(&s->tab[h & s->tmask]);
#endif
    return h;
}

/* The record with this exact key (whose hash is h), or NULL.  Read-only:
 * safe from many threads once the set is finalized. */
const struct ot_ioc_rec *ot_ioc_find_hashed_(const struct ot_ioc_set *s, enum ot_ioc_kind kind,
                                             const void *key, size_t len, uint32_t h)
{
    if (!s->tab || len == 0)
        return NULL;
    for (uint32_t i = h & s->tmask; s->tab[i].off; i = (i + 1) & s->tmask) {
        if (s->tab[i].hash != h)
            continue;
        const struct ot_ioc_rec *r = entry(s, s->tab[i].off);
        if (rec_is(r, kind, key, len))
            return r;
    }
    return NULL;
}

const struct ot_ioc_rec *ot_ioc_find_(const struct ot_ioc_set *s, enum ot_ioc_kind kind,
                                      const void *key, size_t len)
{
    return ot_ioc_find_hashed_(s, kind, key, len, ot_ioc_hash_(s->seed, kind, key, len));
}

/* Describe record r in *hit (NULL: nothing to do).  The strings point into
 * the arena: valid while the set lives; before finalize, only until the next
 * add or the finalize, either of which may move the arena. */
void ot_ioc_hit_fill_(const struct ot_ioc_set *s, const struct ot_ioc_rec *r,
                      struct ot_ioc_hit *hit)
{
    if (!hit)
        return;
    uint32_t o[3];
    memcpy(o, s->arena + r->origin, sizeof(o));
    *hit = (struct ot_ioc_hit){
        .type = (enum ot_ioc_type)r->type,
        .v6 = r->kind == OT_IOC_K_IP6,
        .prefix_len = r->plen,
        .confidence = r->confidence,
        .port = r->port,
        .line = r->line,
        .value = s->arena + r->value,
        .category = s->arena + o[0],
        .source = s->arena + o[1],
        .file = s->arena + o[2],
    };
}

int ot_ioc_set_new(struct ot_ioc_set **out, uint32_t max_indicators)
{
    *out = NULL;
    struct ot_ioc_set *s = calloc(1, sizeof(*s));
    if (!s)
        return OT_ENOMEM;
    s->max = max_indicators ? max_indicators : OT_IOC_DEFAULT_MAX;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s->seed = mix64((uint64_t)(uintptr_t)s ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec);
    /* Offset 0 is the empty string. */
    if (arena_reserve(s, 1) != OT_OK) {
        free(s);
        return OT_ENOMEM;
    }
    s->arena[0] = '\0';
    s->alen = 1;
    *out = s;
    return OT_OK;
}

void ot_ioc_set_free(struct ot_ioc_set *s)
{
    if (!s)
        return;
    free(s->arena);
    free(s->tab);
    free(s->itab);
    ot_ioc_v4_filter_free_(s);
    free(s);
}

/* Public adder: trims, checks the metadata, detects the type when asked,
 * then hands over to the type's parser, which writes the reason on error. */
int ot_ioc_set_add(struct ot_ioc_set *s, enum ot_ioc_type type, const char *value, size_t len,
                   const struct ot_ioc_meta *meta, char *why, size_t why_cap)
{
    char local[OT_IOC_WHY_LEN];
    if (!why || why_cap == 0) {
        why = local;
        why_cap = sizeof(local);
    }
    why[0] = '\0';
    if (!s || (!value && len) || (unsigned)type >= OT_IOC_TYPE_COUNT) {
        snprintf(why, why_cap, "invalid argument");
        return OT_EINVAL;
    }
    if (s->frozen) {
        snprintf(why, why_cap, "the set is finalized");
        return OT_EPERM;
    }
    static const struct ot_ioc_meta none = {.confidence = OT_IOC_DEFAULT_CONFIDENCE};
    if (!meta)
        meta = &none;
    if (meta->confidence > 100) {
        snprintf(why, why_cap, "confidence %u is above 100", meta->confidence);
        return OT_EINVAL;
    }
    ot_ioc_trim_(&value, &len);
    if (len == 0) {
        snprintf(why, why_cap, "empty value");
        return OT_EINVAL;
    }
    if (len > OT_IOC_MAX_LINE) {
        snprintf(why, why_cap, "value longer than %d bytes", OT_IOC_MAX_LINE);
        return OT_EINVAL;
    }
    if (type == OT_IOC_AUTO) {
        type = ot_ioc_detect_(value, len, why, why_cap);
        if (type == OT_IOC_AUTO)
            return OT_EINVAL;
    }
    int rc;
    switch (type) {
    case OT_IOC_IP:
    case OT_IOC_CIDR:
        rc = ot_ioc_add_ip_(s, type, value, len, meta, why, why_cap);
        break;
    case OT_IOC_DOMAIN:
        rc = ot_ioc_add_domain_(s, value, len, meta, why, why_cap);
        break;
    case OT_IOC_URL:
        rc = ot_ioc_add_url_(s, value, len, meta, why, why_cap);
        break;
    default:
        rc = ot_ioc_add_hash_(s, type, value, len, meta, why, why_cap);
        break;
    }
    if (rc == OT_ELIMIT && !why[0])
        snprintf(why, why_cap, "the set already holds its maximum of %u indicators", s->max);
    else if (rc == OT_ENOMEM && !why[0])
        snprintf(why, why_cap, "out of memory");
    return rc;
}

#if defined(MADV_HUGEPAGE)
#define HUGE_PAGE (2u << 20)
/* A copy of a large array on transparent huge pages: lookups in a big set
 * touch random cache lines all over it, and with 4 KiB pages each of them is
 * a TLB miss too (measured: about a third off a lookup in a 1M set).  NULL
 * when not worth it (under 4 MiB) or not possible; *size is what was
 * allocated. */
static void *huge_copy(const void *p, size_t n, size_t *size)
{
    if (n < 2 * HUGE_PAGE)
        return NULL;
    *size = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    void *q = aligned_alloc(HUGE_PAGE, *size);
    if (!q)
        return NULL;
    madvise(q, *size, MADV_HUGEPAGE);
    memcpy(q, p, n);
    return q;
}
#else
static void *huge_copy(const void *p, size_t n, size_t *size)
{
    (void)p;
    (void)n;
    (void)size;
    return NULL;
}
#endif

/* Freeze, give back the arena's spare capacity, and move the big arrays to
 * huge pages.  One array is copied at a time, so the peak is the set plus
 * its largest array.  A failed copy or shrink keeps the old block, which is
 * harmless. */
int ot_ioc_set_finalize(struct ot_ioc_set *s)
{
    if (!s)
        return OT_EINVAL;
    if (s->frozen)
        return OT_OK;
    size_t size;
    void *h;
    if (s->tab && (h = huge_copy(s->tab, ((size_t)s->tmask + 1) * sizeof(*s->tab), &size))) {
        free(s->tab);
        s->tab = h;
    }
    if ((h = huge_copy(s->arena, s->alen, &size))) {
        free(s->arena);
        s->arena = h;
        s->acap = size;
    } else if (s->alen < s->acap) {
        char *a = realloc(s->arena, s->alen);
        if (a) {
            s->arena = a;
            s->acap = s->alen;
        }
    }
    s->frozen = true;
    return OT_OK;
}

void ot_ioc_set_info(const struct ot_ioc_set *s, struct ot_ioc_set_info *out)
{
    memset(out, 0, sizeof(*out));
    if (!s)
        return;
    out->count = s->n;
    memcpy(out->by_type, s->by_type, sizeof(out->by_type));
    out->max_indicators = s->max;
    out->bytes = sizeof(*s) + s->acap + (s->tab ? ((size_t)s->tmask + 1) * sizeof(*s->tab) : 0) +
                 (s->itab ? ((size_t)s->imask + 1) * sizeof(*s->itab) : 0) +
                 ot_ioc_v4_filter_bytes_(s);
    out->finalized = s->frozen;
}
