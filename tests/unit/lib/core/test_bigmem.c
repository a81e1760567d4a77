/*
 * core/bigmem: zeroed, aligned, writable memory in each size class (heap,
 * mapped, mapped for huge pages), freed without leaks (the ASan run checks
 * that), and the huge-page advice reaching the kernel where it has THP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/bigmem.h"

static void check_block(size_t bytes, size_t align)
{
    unsigned char *p = ot_bigmem_alloc(bytes);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % align, 0);
    /* Zeroed everywhere (first, last and a stride of bytes between), and writable. */
    for (size_t i = 0; i < bytes; i += 4093)
        assert_int_equal(p[i], 0);
    assert_int_equal(p[bytes - 1], 0);
    memset(p, 0xa5, bytes);
    assert_int_equal(p[bytes - 1], 0xa5);
    ot_bigmem_free(p, bytes);
}

static void test_size_classes(void **state)
{
    (void)state;
    assert_null(ot_bigmem_alloc(0));
    ot_bigmem_free(NULL, 123);
    /* Heap: a cache line at least. */
    assert_false(ot_bigmem_is_mapped(1));
    check_block(1, 64);
    check_block(384, 64);
    check_block(((size_t)64 << 10) - 1, 64);
    /* Mapped: a page. */
    assert_true(ot_bigmem_is_mapped((size_t)64 << 10));
    assert_false(ot_bigmem_is_huge((size_t)64 << 10));
    check_block((size_t)64 << 10, 4096);
    check_block(OT_BIGMEM_HUGE_MIN - 1, 4096);
    /* Huge: 2 MiB-aligned, whatever the size's remainder. */
    assert_true(ot_bigmem_is_huge(OT_BIGMEM_HUGE_MIN));
    check_block(OT_BIGMEM_HUGE_MIN, OT_BIGMEM_HUGE);
    check_block(OT_BIGMEM_HUGE + 1, OT_BIGMEM_HUGE);
    check_block(5 * OT_BIGMEM_HUGE + 4096 * 3 + 17, OT_BIGMEM_HUGE);
    /* Absurd sizes fail cleanly. */
    assert_null(ot_bigmem_alloc(SIZE_MAX - 10));
}

/* "THPeligible: 1" on the mapping that holds P, read from /proc/self/smaps; -1 if not found. */
static int thp_eligible(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    char line[512];
    int in = 0, r = -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
            continue;
        }
        int v;
        if (in && sscanf(line, "THPeligible: %d", &v) == 1) {
            r = v;
            break;
        }
    }
    fclose(f);
    return r;
}

static void test_huge_advice(void **state)
{
    (void)state;
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char mode[128] = "";
    if (f) {
        if (!fgets(mode, sizeof(mode), f))
            mode[0] = '\0';
        fclose(f);
    }
    if (!strstr(mode, "[madvise]") && !strstr(mode, "[always]")) {
        printf("skip: transparent huge pages are off on this kernel (%s): nothing to advise\n",
               mode[0] ? mode : "no /sys/kernel/mm/transparent_hugepage/enabled");
        skip();
    }
    size_t bytes = 3 * OT_BIGMEM_HUGE;
    char *p = ot_bigmem_alloc(bytes);
    assert_non_null(p);
    assert_int_equal(thp_eligible(p), 1);
    ot_bigmem_free(p, bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_classes),
        cmocka_unit_test(test_huge_advice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
