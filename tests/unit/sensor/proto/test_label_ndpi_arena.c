/*
 * The arena for nDPI's start-up allocations (proto/label-ndpi-arena.h): a
 * labeler's module is built in its arena, labels still come out, nDPI's
 * allocations after start-up go to malloc again, more labelers than arenas
 * still work (without one), and everything is released (the ASan run checks
 * leaks and bad frees).
 */
#include <ndpi/ndpi_api.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otasuke/error.h"
#include "proto/label-ndpi-arena.h"
#include "proto/label.h"

static struct ot_labeler *new_labeler(void)
{
    struct ot_labeler_conf c;
    ot_labeler_conf_defaults(&c);
    struct ot_labeler *l = NULL;
    assert_int_equal(ot_labeler_new(&c, &l), OT_OK);
    return l;
}

static void test_fill_then_malloc(void **state)
{
    (void)state;
    struct ot_ndpi_arena *a = ot_ndpi_arena_begin();
    assert_non_null(a);
    struct ndpi_detection_module_struct *mod = ndpi_init_detection_module(ndpi_no_prefs);
    assert_non_null(mod);
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(mod, &all);
    ndpi_finalize_initialization(mod);
    ot_ndpi_arena_end_fill(a);
    /* nDPI 4.2 asks for about 4.4 MB at start-up; all of it fitted. */
    size_t used = ot_ndpi_arena_used(a);
    assert_true(used > ((size_t)1 << 20));
    assert_int_equal(ot_ndpi_arena_overflows(a), 0);
    /* After the fill, nDPI's allocations are the heap's: they do not move the arena. */
    void *p = ndpi_malloc(100);
    assert_non_null(p);
    assert_int_equal(ot_ndpi_arena_used(a), used);
    ndpi_free(p);
    ndpi_exit_detection_module(mod);
    ot_ndpi_arena_release(a);
    ot_ndpi_arena_release(NULL);
    assert_int_equal(ot_ndpi_arena_used(NULL), 0);
}

/*
 * More labelers than arenas: each builds its module (in an arena or on the
 * heap) and frees it cleanly, in any order (labels: test_label_ndpi, golden).
 */
static void test_labelers_beyond_arenas(void **state)
{
    (void)state;
    enum { N = 10 }; /* more than the arenas kept (8): the last ones use malloc */
    struct ot_labeler *l[N];
    for (int i = 0; i < N; i++)
        l[i] = new_labeler();
    /* Free out of order, then build again in the freed slots. */
    for (int i = 0; i < N; i += 2)
        ot_labeler_free(l[i]);
    for (int i = 0; i < N; i += 2)
        l[i] = new_labeler();
    for (int i = 0; i < N; i++)
        ot_labeler_free(l[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_then_malloc),
        cmocka_unit_test(test_labelers_beyond_arenas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
