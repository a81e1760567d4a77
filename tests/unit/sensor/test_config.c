#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "otasuke/error.h"

static char path[64];

static void write_file(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/ot-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Run a load with stderr captured into `msg`. */
static int load_capture(struct ot_sensor_config *cfg, char *msg, size_t cap)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(fileno(stderr));
    dup2(fileno(tmp), fileno(stderr));
    int rc = ot_sensor_config_load(cfg, path);
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    rewind(tmp);
    size_t n = fread(msg, 1, cap - 1, tmp);
    msg[n] = '\0';
    fclose(tmp);
    return rc;
}

static void test_defaults_valid(void **state)
{
    struct ot_sensor_config cfg;
    ot_sensor_config_defaults(&cfg);
    assert_int_equal(ot_sensor_config_check(&cfg), 0);
    assert_string_equal(cfg.output, "-");
    assert_true(cfg.flow.max_flows > 0);
}

static void test_load_values(void **state)
{
    write_file("# comment\n"
               "sensor-id = office-1   # trailing comment\n"
               "output = \"/tmp/x.json\"\n"
               "output.rotate-size = 64M\n"
               "flow.max-flows = 1000\n"
               "ndpi = no\n"
               "events = flow, app\n"
               "\n");
    struct ot_sensor_config cfg;
    ot_sensor_config_defaults(&cfg);
    char msg[512];
    assert_int_equal(load_capture(&cfg, msg, sizeof(msg)), 0);
    assert_string_equal(cfg.sensor_id, "office-1");
    assert_string_equal(cfg.output, "/tmp/x.json");
    assert_int_equal(cfg.rotate_bytes, 64u << 20);
    assert_int_equal(cfg.flow.max_flows, 1000);
    assert_false(cfg.ndpi);
    assert_int_equal(cfg.event_types, OT_EV_FLOW | OT_EV_APP);
    unlink(path);
}

static void test_errors_have_file_line(void **state)
{
    write_file("sensor-id = a\n"
               "no-such-key = 1\n"
               "flow.max-flows = lots\n"
               "just words\n");
    struct ot_sensor_config cfg;
    ot_sensor_config_defaults(&cfg);
    char msg[2048];
    assert_int_equal(load_capture(&cfg, msg, sizeof(msg)), OT_EINVAL);
    char want[128];
    snprintf(want, sizeof(want), "%s:2: unknown setting 'no-such-key'", path);
    assert_non_null(strstr(msg, want));
    snprintf(want, sizeof(want), "%s:3: flow.max-flows: expected a whole number", path);
    assert_non_null(strstr(msg, want));
    snprintf(want, sizeof(want), "%s:4: expected 'key = value'", path);
    assert_non_null(strstr(msg, want));
    unlink(path);
}

static void test_check_conflicts(void **state)
{
    struct ot_sensor_config cfg;
    ot_sensor_config_defaults(&cfg);
    assert_int_equal(ot_sensor_config_set(&cfg, "read", "/tmp/a.pcap", "t"), 0);
    assert_int_equal(ot_sensor_config_set(&cfg, "interface", "eth0", "t"), 0);
    assert_int_equal(ot_sensor_config_check(&cfg), OT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_valid),
        cmocka_unit_test(test_load_values),
        cmocka_unit_test(test_errors_have_file_line),
        cmocka_unit_test(test_check_conflicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
