/*
 * detect-window's table on its own: entries are created from the never-used
 * part first, found again, reused after removal, and once the table is full
 * the least recently touched entry makes room (counted); items are counted
 * within the window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect-window.h"

#define SEC 1000000ull
#define T0  (1700000000ull * SEC)

static struct ot_dwin_key key(uint32_t n)
{
    struct ot_addr a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.u.w[0] = 0x0a000000u | n; /* 10.x.y.z, network order does not matter here */
    b.u.w[0] = 0xc0a80001u;
    struct ot_dwin_key k;
    ot_dwin_key_make(&k, &a, &b, false, 22, 1);
    return k;
}

static void test_fill_find_evict_reuse(void **state)
{
    (void)state;
    struct ot_dwin w;
    assert_int_equal(ot_dwin_init(&w, NULL, NULL, 8, 4, 60), 0);
    struct ot_dwin_entry *e[8];
    for (uint32_t i = 0; i < 8; i++) {
        struct ot_dwin_key k = key(i);
        e[i] = ot_dwin_get(&w, &k, T0 + i * SEC);
        assert_non_null(e[i]);
        assert_int_equal(w.n, i + 1);
        /* Never-used entries are taken in order. */
        assert_ptr_equal(e[i], &w.e[i]);
    }
    assert_int_equal(w.evicted, 0);
    for (uint32_t i = 0; i < 8; i++) {
        struct ot_dwin_key k = key(i);
        assert_ptr_equal(ot_dwin_find(&w, &k), e[i]);
    }
    /* Touch 0 again: 1 is now the least recently touched. */
    struct ot_dwin_key k0 = key(0);
    assert_ptr_equal(ot_dwin_get(&w, &k0, T0 + 10 * SEC), e[0]);
    struct ot_dwin_key k8 = key(8);
    struct ot_dwin_entry *n8 = ot_dwin_get(&w, &k8, T0 + 11 * SEC);
    assert_ptr_equal(n8, e[1]); /* 1's slot, evicted */
    assert_int_equal(w.evicted, 1);
    assert_int_equal(w.n, 8);
    struct ot_dwin_key k1 = key(1);
    assert_null(ot_dwin_find(&w, &k1));
    /* A removed entry's slot is the next one used; nothing is evicted for it. */
    struct ot_dwin_key k5 = key(5);
    ot_dwin_remove(&w, ot_dwin_find(&w, &k5));
    assert_int_equal(w.n, 7);
    struct ot_dwin_key k9 = key(9);
    assert_ptr_equal(ot_dwin_get(&w, &k9, T0 + 12 * SEC), e[5]);
    assert_int_equal(w.evicted, 1);
    /* Every key held is still found. */
    uint32_t held[] = {0, 2, 3, 4, 6, 7, 8, 9};
    for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
        struct ot_dwin_key k = key(held[i]);
        assert_non_null(ot_dwin_find(&w, &k));
    }
    ot_dwin_free(&w);
}

static void test_partial_table_removal_then_growth(void **state)
{
    (void)state;
    struct ot_dwin w;
    assert_int_equal(ot_dwin_init(&w, NULL, NULL, 100, 4, 60), 0);
    /* Three entries, remove the middle one, then fill to the cap: no eviction on the way. */
    for (uint32_t i = 0; i < 3; i++) {
        struct ot_dwin_key k = key(i);
        assert_non_null(ot_dwin_get(&w, &k, T0));
    }
    struct ot_dwin_key k1 = key(1);
    ot_dwin_remove(&w, ot_dwin_find(&w, &k1));
    for (uint32_t i = 3; i < 101; i++) {
        struct ot_dwin_key k = key(i);
        assert_non_null(ot_dwin_get(&w, &k, T0 + i));
    }
    assert_int_equal(w.n, 100);
    assert_int_equal(w.evicted, 0);
    struct ot_dwin_key k101 = key(101);
    assert_non_null(ot_dwin_get(&w, &k101, T0 + 200));
    assert_int_equal(w.evicted, 1);
    ot_dwin_free(&w);
}

static void test_items_in_window(void **state)
{
    (void)state;
    struct ot_dwin w;
    assert_int_equal(ot_dwin_init(&w, NULL, NULL, 4, 8, 60), 0);
    struct ot_dwin_key k = key(1);
    struct ot_dwin_entry *e = ot_dwin_get(&w, &k, T0);
    assert_int_equal(ot_dwin_add(&w, e, 22, 1, T0, true), 1);
    assert_int_equal(ot_dwin_add(&w, e, 22, 1, T0 + SEC, true), 1); /* same value: refreshed */
    assert_int_equal(ot_dwin_add(&w, e, 23, 1, T0 + 2 * SEC, true), 2);
    /* 60 s after the refreshed 22: it falls out of the window, 23 (a second younger) stays. */
    assert_int_equal(ot_dwin_add(&w, e, 24, 1, T0 + 61 * SEC, true), 2);
    assert_int_equal(ot_dwin_add(&w, e, 25, 1, T0 + 62 * SEC, true), 2);
    ot_dwin_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_find_evict_reuse),
        cmocka_unit_test(test_partial_table_removal_then_growth),
        cmocka_unit_test(test_items_in_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
