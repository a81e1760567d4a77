#include "core/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SMALL_MAX ((size_t)64 << 10) /* below this: the heap */
#define LINE      ((size_t)64)

bool ot_bigmem_is_mapped(size_t bytes)
{
    return bytes >= SMALL_MAX;
}

bool ot_bigmem_is_huge(size_t bytes)
{
    return bytes >= OT_BIGMEM_HUGE_MIN;
}

/* The mapping behind an allocation of BYTES (0 when too large to map). */
static size_t mapped_len(size_t bytes)
{
    size_t unit = ot_bigmem_is_huge(bytes) ? OT_BIGMEM_HUGE : (size_t)4096;
    if (bytes > SIZE_MAX - 2 * OT_BIGMEM_HUGE)
        return 0;
    return (bytes + unit - 1) & ~(unit - 1);
}

void *ot_bigmem_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    if (!ot_bigmem_is_mapped(bytes)) {
        size_t n = (bytes + LINE - 1) & ~(LINE - 1);
        void *p = aligned_alloc(LINE, n);
        if (p)
            memset(p, 0, n);
        return p;
    }
    size_t len = mapped_len(bytes);
    if (len == 0)
        return NULL;
    if (!ot_bigmem_is_huge(bytes)) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    /*
     * Map one huge page more than needed and trim both ends, so the region
     * starts on a 2 MiB boundary: only aligned 2 MiB ranges can be huge.
     */
    char *raw = mmap(NULL, len + OT_BIGMEM_HUGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)raw + OT_BIGMEM_HUGE - 1) & ~(uintptr_t)(OT_BIGMEM_HUGE - 1);
    char *p = (char *)start;
    size_t head = (size_t)(p - raw), tail = OT_BIGMEM_HUGE - head;
    if (head)
        munmap(raw, head);
    if (tail)
        munmap(p + len, tail);
#ifdef MADV_HUGEPAGE
    (void)madvise(p, len, MADV_HUGEPAGE); /* advice only: small pages without it */
#endif
    return p;
}

void ot_bigmem_free(void *p, size_t bytes)
{
    if (!p)
        return;
    if (!ot_bigmem_is_mapped(bytes))
        free(p);
    else
        munmap(p, mapped_len(bytes));
}
