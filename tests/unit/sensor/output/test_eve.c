#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "flow/flow.h"
#include "output/eve.h"
#include "proto/proto.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/ot-eve-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *read_line(const char *path, int n)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192];
    json_t *j = NULL;
    for (int i = 0; i <= n; i++)
        assert_non_null(fgets(line, sizeof(line), fp));
    fclose(fp);
    json_error_t err;
    j = json_loads(line, 0, &err);
    assert_non_null(j);
    return j;
}

static void test_common_fields(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/e.json", dir);
    struct ot_eve_config c;
    ot_eve_config_defaults(&c);
    c.path = path;
    c.sensor_id = "s1";
    struct ot_eve e;
    assert_int_equal(ot_eve_open(&e, &c), 0);

    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.cli.u.b[0] = 192, f.cli.u.b[1] = 168, f.cli.u.b[2] = 1, f.cli.u.b[3] = 2;
    f.srv.u.b[0] = 8, f.srv.u.b[1] = 8, f.srv.u.b[2] = 8, f.srv.u.b[3] = 8;
    f.cli_port = 5555;
    f.srv_port = 53;
    f.ip_proto = 17;
    f.flow_id = 77;
    f.app_proto = OT_APP_DNS;
    f.vlan_count = 1;
    f.vlan[0] = 10;
    snprintf(f.community_id, sizeof(f.community_id), "1:abc=");

    struct ot_jw *w = ot_eve_begin(&e, "dns", 1609556645000006ULL, &f, 1);
    ot_jw_obj_open(w, "dns");
    ot_jw_str(w, "type", "answer");
    ot_jw_obj_close(w);
    assert_int_equal(ot_eve_end(&e), 0);
    w = ot_eve_begin(&e, "stats", 1609556645000006ULL, NULL, 0);
    assert_int_equal(ot_eve_end(&e), 0);
    assert_int_equal(ot_eve_close(&e), 0);

    json_t *j = read_line(path, 0);
    assert_string_equal(json_string_value(json_object_get(j, "timestamp")),
                        "2021-01-02T03:04:05.000006+0000");
    assert_int_equal(json_integer_value(json_object_get(j, "flow_id")), 77);
    assert_string_equal(json_string_value(json_object_get(j, "event_type")), "dns");
    /* dir 1: the server is the source */
    assert_string_equal(json_string_value(json_object_get(j, "src_ip")), "8.8.8.8");
    assert_int_equal(json_integer_value(json_object_get(j, "src_port")), 53);
    assert_string_equal(json_string_value(json_object_get(j, "dest_ip")), "192.168.1.2");
    assert_int_equal(json_integer_value(json_object_get(j, "dest_port")), 5555);
    assert_string_equal(json_string_value(json_object_get(j, "proto")), "UDP");
    assert_string_equal(json_string_value(json_object_get(j, "app_proto")), "dns");
    assert_string_equal(json_string_value(json_object_get(j, "community_id")), "1:abc=");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "vlan"), 0)), 10);
    assert_string_equal(json_string_value(json_object_get(j, "sensor_id")), "s1");
    const char *id1 = json_string_value(json_object_get(j, "event_id"));
    assert_non_null(id1);
    json_t *k = read_line(path, 1);
    const char *id2 = json_string_value(json_object_get(k, "event_id"));
    assert_non_null(id2);
    assert_string_not_equal(id1, id2);
    assert_null(json_object_get(k, "flow_id"));
    json_decref(j);
    json_decref(k);
}

static void test_rotation(void **state)
{
    char path[128], p1[140], p2[140], p3[140];
    snprintf(path, sizeof(path), "%s/r.json", dir);
    snprintf(p1, sizeof(p1), "%s.1", path);
    snprintf(p2, sizeof(p2), "%s.2", path);
    snprintf(p3, sizeof(p3), "%s.3", path);
    struct ot_eve_config c;
    ot_eve_config_defaults(&c);
    c.path = path;
    c.rotate_bytes = 1000;
    c.rotate_keep = 2;
    struct ot_eve e;
    assert_int_equal(ot_eve_open(&e, &c), 0);
    for (int i = 0; i < 100; i++) {
        ot_eve_begin(&e, "stats", 1000000, NULL, 0);
        assert_int_equal(ot_eve_end(&e), 0);
    }
    assert_int_equal(ot_eve_close(&e), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size <= 1000);
    assert_int_equal(stat(p1, &st), 0);
    assert_true(st.st_size <= 1000);
    assert_int_equal(stat(p2, &st), 0);
    assert_int_not_equal(stat(p3, &st), 0); /* only 2 kept */
    assert_true(e.stats.rotations > 2);
}

static void test_oversized_event_dropped(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/big.json", dir);
    struct ot_eve_config c;
    ot_eve_config_defaults(&c);
    c.path = path;
    c.max_event_bytes = 512;
    struct ot_eve e;
    assert_int_equal(ot_eve_open(&e, &c), 0);
    struct ot_jw *w = ot_eve_begin(&e, "x", 0, NULL, 0);
    char big[1000];
    memset(big, 'a', sizeof(big));
    ot_jw_strn(w, "big", big, sizeof(big));
    assert_int_not_equal(ot_eve_end(&e), 0);
    ot_eve_begin(&e, "y", 0, NULL, 0);
    assert_int_equal(ot_eve_end(&e), 0);
    assert_int_equal(e.stats.dropped_large, 1);
    assert_int_equal(ot_eve_close(&e), 0);
    json_t *j = read_line(path, 0);
    assert_string_equal(json_string_value(json_object_get(j, "event_type")), "y");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_fields),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_oversized_event_dropped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
