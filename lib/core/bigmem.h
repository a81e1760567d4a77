/*
 * Fixed tables (the flow table, detector state tables): zeroed memory,
 * 64-byte aligned at least; from 64 KiB up mapped on its own (page-aligned,
 * pages zeroed by the kernel when first touched), and from 1 MiB up rounded
 * to 2 MiB and mapped for transparent huge pages where the kernel offers
 * them (madvise mode, Debian's default).
 *
 * Such a table is filled at random places as keys arrive, so with 4 KiB
 * pages nearly every new key's first write is a page fault (about 1.7 us
 * each in a VM): on the benchmark capture 3,400 faults, 4 % of the packet
 * loop (docs/performance.md).  In 2 MiB pages a 5 MiB table takes three
 * faults, and random lookups in it miss the TLB less.  The cost: a touched
 * huge page is resident whole, so RSS reaches a table's full size sooner
 * than it would page by page; and where memory is fragmented, the kernel may
 * compact it to find a huge page at such a first touch (a stall of the
 * packet thread while a table fills, absorbed by the capture buffer).
 * Without huge pages (THP disabled, or none free) the kernel backs the
 * region with small pages as before: an operator who prefers that sets
 * /sys/kernel/mm/transparent_hugepage/enabled to "never".
 */
#ifndef OT_CORE_BIGMEM_H
#define OT_CORE_BIGMEM_H

#include <stdbool.h>
#include <stddef.h>

#define OT_BIGMEM_HUGE     ((size_t)2 << 20) /* a huge page */
#define OT_BIGMEM_HUGE_MIN ((size_t)1 << 20) /* sizes from this up are mapped for huge pages */

/* BYTES of zeroed memory (NULL when out of memory, or BYTES is 0). Free with ot_bigmem_free(). */
void *ot_bigmem_alloc(size_t bytes);
/* Free what ot_bigmem_alloc(BYTES) returned; BYTES must be the same. NULL is ignored. */
void ot_bigmem_free(void *p, size_t bytes);
/* Does ot_bigmem_alloc(BYTES) map the memory (not take it from the heap)? */
bool ot_bigmem_is_mapped(size_t bytes);
/* Does it map it 2 MiB-aligned with huge-page advice? */
bool ot_bigmem_is_huge(size_t bytes);

#endif
