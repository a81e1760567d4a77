/*
 * The parsers' memory budget (app.max-memory): buffer growth takes from
 * one budget for all flows, a refusal is OT_ELIMIT and counted (what the
 * buffer held is kept), freeing gives back, and the parsers' other buffers
 * take and give through the same budget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "otasuke/error.h"
#include "proto-harness.h"

static void test_budget(void **state)
{
    (void)state;
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 1, "10.0.0.2", 2, 6, false), 0);
    struct ot_proto_conf c = h.pe.conf;
    c.max_memory = 4096;
    ot_proto_engine_init(&h.pe, &c, &h.eve);
    struct ot_proto_mem_stats st0, st;
    ot_proto_mem_stats(&st0);
    assert_int_equal(st0.limit, 4096);
    uint8_t data[3000];
    memset(data, 'x', sizeof(data));
    struct ot_pbuf a = {0}, b = {0};
    assert_int_equal(ot_pbuf_append(&a, data, 100, 65536), OT_OK);  /* 512 bytes */
    assert_int_equal(ot_pbuf_append(&a, data, 1500, 65536), OT_OK); /* grows to 2048 */
    ot_proto_mem_stats(&st);
    assert_int_equal(st.used, st0.used + 2048);
    /* 2048 more would fit exactly; 4096 for the second buffer does not. */
    assert_int_equal(ot_pbuf_append(&b, data, 2000, 65536), OT_OK);
    assert_int_equal(ot_pbuf_append(&b, data, 100, 65536), OT_ELIMIT);
    ot_proto_mem_stats(&st);
    assert_int_equal(st.refused, st0.refused + 1);
    assert_int_equal(st.used, st0.used + 4096);
    assert_int_equal(b.len, 2000); /* what it held is kept */
    ot_pbuf_free(&a);
    ot_pbuf_free(&b);
    ot_proto_mem_stats(&st);
    assert_int_equal(st.used, st0.used);
    assert_true(st.peak >= st0.used + 4096);
    /* Take and give for the parsers' other buffers. */
    assert_true(ot_proto_mem_take(4096));
    assert_false(ot_proto_mem_take(1));
    /* A limit lowered below what is held: nothing more fits (no wrap-around). */
    c.max_memory = 1024;
    ot_proto_engine_init(&h.pe, &c, &h.eve);
    assert_false(ot_proto_mem_take(1));
    c.max_memory = 4096;
    ot_proto_engine_init(&h.pe, &c, &h.eve);
    ot_proto_mem_give(4096);
    assert_true(ot_proto_mem_take(1));
    ot_proto_mem_give(1);
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
