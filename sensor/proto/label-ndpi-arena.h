/*
 * nDPI's start-up allocations, from one arena per labeler (label-ndpi.c).
 *
 * ndpi_init_detection_module() and ndpi_finalize_initialization() make about
 * 100,000 small allocations (4.4 MB: the patricia trees of its address lists,
 * the Aho-Corasick automata of its host names, protocol tables) that live as
 * long as the module, and ndpi_exit_detection_module() frees them one by one
 * again: through malloc, a few milliseconds of every start and exit of the
 * sensor, and some 1,350 page faults.  nDPI sends all of them through its
 * allocation hooks (set_ndpi_malloc/set_ndpi_free).  So while a labeler
 * initialises its module, this thread's nDPI allocations are cut one after
 * the other from a single mapping (core/bigmem: huge pages where offered);
 * a free of a pointer inside a live arena does nothing, and the mapping goes
 * when the labeler is freed, after its module.  Every other nDPI allocation
 * (per flow, other threads, an arena that is full) goes to malloc/free as
 * before.
 */
#ifndef OT_SENSOR_PROTO_LABEL_NDPI_ARENA_H
#define OT_SENSOR_PROTO_LABEL_NDPI_ARENA_H

#include <stddef.h>

struct ot_ndpi_arena;

/*
 * Map an arena and route this thread's nDPI allocations to it until
 * ot_ndpi_arena_end_fill().  NULL when none can be had (no memory, too many
 * live arenas): nDPI then allocates with malloc, as without this.
 */
struct ot_ndpi_arena *ot_ndpi_arena_begin(void);
/* Stop filling: this thread's nDPI allocations go to malloc again. */
void ot_ndpi_arena_end_fill(struct ot_ndpi_arena *a);
/* Unmap A; only once everything allocated from it is freed (the module is gone). NULL is ignored.
 */
void ot_ndpi_arena_release(struct ot_ndpi_arena *a);

/* Bytes handed out from A, and allocations that did not fit (went to malloc). */
size_t ot_ndpi_arena_used(const struct ot_ndpi_arena *a);
size_t ot_ndpi_arena_overflows(const struct ot_ndpi_arena *a);

#endif
