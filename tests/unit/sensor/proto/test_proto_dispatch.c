/* The dispatcher: probing split first segments, replay to the chosen parser, giving up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto-harness.h"

static const char client_banner[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
static const char server_banner[] = "SSH-2.0-OpenSSH_8.4p1 Debian-5\r\n";

static const char *field(json_t *ev, const char *a, const char *b, const char *c)
{
    json_t *o = json_object_get(json_object_get(json_object_get(ev, a), b), c);
    return json_string_value(o);
}

/* A banner split after one byte is still recognised, and the parser sees it from byte 0. */
static void test_split_first_segment(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 22, 6, true), 0);
    ot_harness_feed(&h, 1, server_banner, 1);
    ot_harness_feed(&h, 1, server_banner + 1, 3);
    ot_harness_feed(&h, 1, server_banner + 4, strlen(server_banner) - 4);
    ot_harness_feed(&h, 0, client_banner, strlen(client_banner));
    assert_int_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_finish(&h);
    json_t *ev = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(field(e, "ssh", "server", "software_version"), "OpenSSH_8.4p1");
    assert_string_equal(field(e, "ssh", "client", "software_version"), "OpenSSH_9.2p1");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* Bytes held from both sides before the decision are replayed, in order. */
static void test_both_sides_held(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 22, 6, true), 0);
    ot_harness_feed(&h, 1, "SS", 2);
    ot_harness_feed(&h, 0, "SS", 2);
    ot_harness_feed(&h, 1, server_banner + 2, strlen(server_banner) - 2);
    ot_harness_feed(&h, 0, client_banner + 2, strlen(client_banner) - 2);
    assert_int_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_finish(&h);
    json_t *ev = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(field(e, "ssh", "server", "proto_version"), "2.0");
    assert_string_equal(field(e, "ssh", "client", "software_version"), "OpenSSH_9.2p1");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* Unknown binary traffic: the dispatcher stops probing and holds nothing afterwards. */
static void test_gives_up(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 9999, 6, true), 0);
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    for (int i = 0; i < 4; i++) {
        ot_harness_feed(&h, 0, junk, sizeof(junk));
        ot_harness_feed(&h, 1, junk, sizeof(junk));
    }
    assert_int_equal(h.flow.app_proto, OT_APP_UNKNOWN);
    assert_null(h.flow.app_state);
    assert_null(h.flow.parser);
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
}

/* A gap while probing drops what was held; probing goes on after it. */
static void test_gap_while_probing(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 22, 6, true), 0);
    ot_harness_feed(&h, 1, "XX", 2);
    ot_harness_gap(&h, 1, 100);
    ot_harness_feed(&h, 1, server_banner, strlen(server_banner));
    assert_int_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
}

/* The flow ends while probing: the held bytes are freed (ASan checks the leak). */
static void test_end_while_probing(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 22, 6, true), 0);
    ot_harness_feed(&h, 1, "S", 1);
    assert_non_null(h.flow.app_state);
    ot_harness_finish(&h);
    assert_null(h.flow.app_state);
    ot_harness_cleanup(&h);
}

/* A protocol that starts after unknown bytes (TLS after a STARTTLS-like exchange) is found. */
static void test_protocol_after_unknown_bytes(void **state)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.2", 40000, "192.168.1.10", 7777, 6, true), 0);
    uint8_t junk[40];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(0x30 + i * 7);
    ot_harness_feed(&h, 0, junk, sizeof(junk));
    ot_harness_feed(&h, 1, junk, 10);
    ot_harness_feed(&h, 1, server_banner, strlen(server_banner));
    assert_int_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_feed(&h, 0, client_banner, strlen(client_banner));
    ot_harness_finish(&h);
    json_t *ev = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(field(json_array_get(ev, 0), "ssh", "client", "software_version"),
                        "OpenSSH_9.2p1");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_first_segment), cmocka_unit_test(test_both_sides_held),
        cmocka_unit_test(test_gives_up),            cmocka_unit_test(test_gap_while_probing),
        cmocka_unit_test(test_end_while_probing),   cmocka_unit_test(test_protocol_after_unknown_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
