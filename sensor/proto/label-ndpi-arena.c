#include "proto/label-ndpi-arena.h"

#include <ndpi/ndpi_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/bigmem.h"

#define ARENA_BYTES ((size_t)16 << 20) /* nDPI 4.2 asks for 4.4 MB; virtual until touched */
#define ARENA_MAX   8                  /* labelers alive at once with an arena */
#define ALIGN       16                 /* what malloc guarantees on x86-64 */

struct ot_ndpi_arena {
    char *base;
    size_t used, overflows;
    int slot;
};

/*
 * Live arenas' address ranges, read by the free hook on any thread without a
 * lock: a slot is published (release) before its arena hands anything out
 * and cleared only after its module, the only holder of its pointers, is gone.
 */
static struct {
    uintptr_t lo, hi;
} ranges[ARENA_MAX];
static pthread_mutex_t ranges_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

/* The arena this thread's nDPI allocations come from, or NULL. */
static _Thread_local struct ot_ndpi_arena *filling;

static void *arena_malloc(size_t n)
{
    struct ot_ndpi_arena *a = filling;
    if (a) {
        size_t need = n ? (n + ALIGN - 1) & ~(size_t)(ALIGN - 1) : ALIGN;
        if (n <= ARENA_BYTES && need <= ARENA_BYTES - a->used) {
            void *p = a->base + a->used;
            a->used += need;
            return p;
        }
        a->overflows++;
    }
    return malloc(n);
}

static void arena_free(void *p)
{
    uintptr_t x = (uintptr_t)p;
    for (int i = 0; i < ARENA_MAX; i++) {
        uintptr_t lo = __atomic_load_n(&ranges[i].lo, __ATOMIC_ACQUIRE);
        if (lo && x >= lo && x < __atomic_load_n(&ranges[i].hi, __ATOMIC_RELAXED))
            return; /* goes with its arena */
    }
    free(p);
}

static void install_hooks(void)
{
    set_ndpi_malloc(arena_malloc);
    set_ndpi_free(arena_free);
}

struct ot_ndpi_arena *ot_ndpi_arena_begin(void)
{
    pthread_once(&hooks_once, install_hooks);
    struct ot_ndpi_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->base = ot_bigmem_alloc(ARENA_BYTES);
    if (!a->base) {
        free(a);
        return NULL;
    }
    a->slot = -1;
    pthread_mutex_lock(&ranges_lock);
    for (int i = 0; i < ARENA_MAX; i++) {
        if (!ranges[i].lo) {
            a->slot = i;
            __atomic_store_n(&ranges[i].hi, (uintptr_t)a->base + ARENA_BYTES, __ATOMIC_RELAXED);
            __atomic_store_n(&ranges[i].lo, (uintptr_t)a->base, __ATOMIC_RELEASE);
            break;
        }
    }
    pthread_mutex_unlock(&ranges_lock);
    if (a->slot < 0) {
        ot_bigmem_free(a->base, ARENA_BYTES);
        free(a);
        return NULL;
    }
    filling = a;
    return a;
}

void ot_ndpi_arena_end_fill(struct ot_ndpi_arena *a)
{
    if (a && filling == a)
        filling = NULL;
}

void ot_ndpi_arena_release(struct ot_ndpi_arena *a)
{
    if (!a)
        return;
    ot_ndpi_arena_end_fill(a);
    pthread_mutex_lock(&ranges_lock);
    __atomic_store_n(&ranges[a->slot].lo, (uintptr_t)0, __ATOMIC_RELEASE);
    __atomic_store_n(&ranges[a->slot].hi, (uintptr_t)0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&ranges_lock);
    ot_bigmem_free(a->base, ARENA_BYTES);
    free(a);
}

size_t ot_ndpi_arena_used(const struct ot_ndpi_arena *a)
{
    return a ? a->used : 0;
}

size_t ot_ndpi_arena_overflows(const struct ot_ndpi_arena *a)
{
    return a ? a->overflows : 0;
}
