/*
 * Asset state file: round trip across runs ("new" only the first time, first
 * seen kept), corrupt lines reported as FILE:LINE: reason and skipped, the
 * version header, atomic replacement (no temporary left, a new file renamed
 * into place, failures counted and the old file kept), periodic saving, and
 * the max_assets bound on loading and eviction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "asset-test.h"
#include "otasuke/error.h"

static const uint8_t mac_a[6] = {0x00, 0x11, 0x32, 0x17, 0x49, 0xf0};
static const uint8_t mac_b[6] = {0x00, 0x25, 0x90, 0x34, 0xee, 0x54};
static const uint8_t mac_c[6] = {0x3c, 0x22, 0xfb, 0x01, 0x02, 0x03};

static char dir[64];
static char state[128];

static int setup(void **unused)
{
    snprintf(dir, sizeof(dir), "/tmp/ot-asset-state-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(state, sizeof(state), "%s/assets.state", dir);
    return 0;
}

static int teardown(void **unused)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Files in the test folder (to see that no temporary is left). */
static unsigned count_files(void)
{
    DIR *d = opendir(dir);
    unsigned n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void open_with_state(struct rig *r)
{
    rig_conf(r);
    ot_strlcpy(r->conf.state_path, state, sizeof(r->conf.state_path));
    rig_open(r);
}

static void test_round_trip(void **unused)
{
    unlink(state);
    struct rig r;
    /* Run 1: no file yet; two devices, both new. */
    open_with_state(&r);
    struct ot_addr yi;
    bool v6;
    rig_addr(&yi, "192.168.1.10", &v6);
    rig_dhcp(&r, mac_a, "My Host%1,", &yi, NULL, T0);
    rig_seen(&r, mac_a, "fe80::211:32ff:fe17:49f0", T0 + SEC);
    rig_seen(&r, mac_b, "192.168.1.11", T0 + 2 * SEC);
    ot_assets_tick(r.as, T0 + 7 * SEC);
    assert_int_equal(r.new_calls, 2);
    assert_int_equal(ot_assets_finish(r.as, T0 + 100 * SEC), 0);
    assert_int_equal(ot_assets_stats(r.as)->state_saves, 1);
    rig_close(&r);
    const char *text = read_all(state);
    assert_non_null(text);
    assert_non_null(strstr(text, "otasuke-asset-state 1\n"));
    /* Most recently seen first; the name percent-encoded; addresses most recent first. */
    const char *la = strstr(text, "00:11:32:17:49:f0 1700000000000000 1700000001000000 dhcp "
                                  "My%20Host%251%2C fe80::211:32ff:fe17:49f0,192.168.1.10\n");
    const char *lb = strstr(text, "00:25:90:34:ee:54 1700000002000000 1700000002000000 - - "
                                  "192.168.1.11\n");
    assert_non_null(la);
    assert_non_null(lb);
    assert_true(lb < la);

    /* Run 2: A and a new C; A is known (not new, first seen kept, name kept). */
    open_with_state(&r);
    assert_int_equal(ot_assets_stats(r.as)->state_loaded, 2);
    assert_int_equal(ot_assets_stats(r.as)->active, 0);
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 1000 * SEC);
    assert_int_equal(r.new_calls, 0);
    rig_seen(&r, mac_c, "192.168.1.12", T0 + 1001 * SEC);
    ot_assets_tick(r.as, T0 + 1006 * SEC);
    assert_int_equal(r.new_calls, 1);
    assert_memory_equal(r.last_new.mac, mac_c, 6);
    json_t *ev = rig_events(&r);
    assert_int_equal(json_array_size(ev), 2);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(ev_str(e, "mac"), "00:11:32:17:49:f0");
    assert_true(json_is_false(ev_get(e, "new")));
    assert_string_equal(ev_str(e, "first_seen"), "2023-11-14T22:13:20.000000+0000");
    assert_string_equal(ev_str(e, "hostname"), "My Host%1,");
    assert_string_equal(ev_str(e, "hostname_source"), "dhcp");
    assert_string_equal(ev_ip(e, 0), "192.168.1.10");
    assert_string_equal(ev_ip(e, 1), "fe80::211:32ff:fe17:49f0");
    assert_true(json_is_true(ev_get(json_array_get(ev, 1), "new")));
    json_decref(ev);
    const struct ot_asset_stats *st = ot_assets_stats(r.as);
    assert_int_equal(st->new_devices, 1);
    assert_int_equal(st->active, 2);
    assert_int_equal(st->tracked, 3);
    assert_int_equal(ot_assets_finish(r.as, T0 + 1100 * SEC), 0);
    rig_close(&r);

    /* Run 3: all three known (B was not seen in run 2 but is still remembered). */
    open_with_state(&r);
    assert_int_equal(ot_assets_stats(r.as)->state_loaded, 3);
    rig_seen(&r, mac_a, "192.168.1.10", T0 + 2000 * SEC);
    rig_seen(&r, mac_b, "192.168.1.11", T0 + 2000 * SEC);
    rig_seen(&r, mac_c, "192.168.1.12", T0 + 2000 * SEC);
    ot_assets_tick(r.as, T0 + 2005 * SEC);
    assert_int_equal(r.new_calls, 0);
    assert_int_equal(ot_assets_stats(r.as)->new_devices, 0);
    rig_close(&r);
}

/* Run `fn` with stderr captured into a buffer. */
static const char *capture_stderr(void (*fn)(struct rig *), struct rig *r)
{
    static char out[8192];
    char path[128];
    snprintf(path, sizeof(path), "%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    fn(r);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    const char *t = read_all(path);
    assert_non_null(t);
    ot_strlcpy(out, t, sizeof(out));
    unlink(path);
    return out;
}

static void test_corrupt_lines(void **unused)
{
    write_file(state, "# written by hand\n"
                      "otasuke-asset-state 1\n"
                      "zz:11:22:33:44:55 1 2 - - -\n"
                      "01:00:5e:00:00:01 1 2 - - -\n"
                      "00:11:22:33:44:55 abc 2 - - -\n"
                      "00:11:22:33:44:55 5 2 - - -\n"
                      "00:11:22:33:44:55 1 2 foo x -\n"
                      "00:11:22:33:44:55 1 2 - x -\n"
                      "00:11:22:33:44:55 1 2 dhcp a%zz -\n"
                      "00:11:22:33:44:55 1 2 dhcp a 1.2.3\n"
                      "00:11:22:33:44:55 1 2 dhcp a 10.0.0.1,10.0.0.1\n"
                      "00:11:22:33:44:55 1 2 dhcp a 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,"
                      "10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.8,10.0.0.9\n"
                      "00:11:22:33:44:55 1 2\n"
                      "00:11:22:33:44:55 1 2 dhcp good 10.0.0.1,fe80::1 a-later-field\r\n"
                      "00:11:22:33:44:55 1 3 - - -\n"
                      "\n"
                      "00:11:22:33:44:66 1 2 mdns %E5%B1%B1%E7%94%B0 -");
    struct rig r;
    const char *err = capture_stderr(open_with_state, &r);
    char want[256];
    static const struct {
        int line;
        const char *why;
    } lines[] = {
        {3, "bad MAC address"},
        {4, "not a unicast MAC address"},
        {5, "bad time"},
        {6, "first seen after last seen"},
        {7, "unknown host name source"},
        {8, "host name without a source"},
        {9, "bad %-escape in host name"},
        {10, "bad address"},
        {11, "address repeated"},
        {12, "more than 8 addresses"},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        snprintf(want, sizeof(want), "%s:%d: %s\n", state, lines[i].line, lines[i].why);
        if (!strstr(err, want))
            fail_msg("missing \"%s\" in:\n%s", want, err);
    }
    /* Past ten reports, one summary line instead. */
    assert_null(strstr(err, ":13: fewer than 6 fields"));
    assert_non_null(strstr(err, ": 2 more corrupt lines not shown"));
    const struct ot_asset_stats *st = ot_assets_stats(r.as);
    assert_int_equal(st->state_load_errors, 12);
    assert_int_equal(st->state_loaded, 2);
    uint8_t m1[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
    uint8_t m2[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x66};
    struct ot_asset_info info;
    assert_true(ot_assets_find_mac(r.as, m1, &info));
    assert_string_equal(info.hostname, "good");
    assert_int_equal(info.n_ips, 2);
    assert_int_equal(info.last_seen_us, 2); /* the first line with the MAC counts */
    assert_true(ot_assets_find_mac(r.as, m2, &info));
    assert_string_equal(info.hostname, "\xe5\xb1\xb1\xe7\x94\xb0");
    assert_int_equal(info.hostname_source, OT_NAME_MDNS);
    rig_close(&r);
}

static void test_long_line(void **unused)
{
    char big[5000];
    int n = snprintf(big, sizeof(big), "otasuke-asset-state 1\n00:11:22:33:44:55 1 2 dhcp ");
    memset(big + n, 'x', 3000);
    n += 3000;
    snprintf(big + n, sizeof(big) - (size_t)n, " -\n00:11:22:33:44:66 1 2 - - -\n");
    write_file(state, big);
    struct rig r;
    const char *err = capture_stderr(open_with_state, &r);
    assert_non_null(strstr(err, ":2: line too long"));
    assert_int_equal(ot_assets_stats(r.as)->state_loaded, 1);
    rig_close(&r);
}

static void test_version(void **unused)
{
    /* Another version: neither read nor overwritten. */
    static const char v2[] = "otasuke-asset-state 2\nsomething new\n";
    write_file(state, v2);
    struct rig r;
    const char *err = capture_stderr(open_with_state, &r);
    assert_non_null(strstr(err, ":1: asset state version 2 is not 1"));
    assert_int_equal(ot_assets_stats(r.as)->state_loaded, 0);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    assert_int_equal(ot_assets_finish(r.as, T0 + SEC), 0);
    assert_int_equal(ot_assets_stats(r.as)->state_saves, 0);
    rig_close(&r);
    assert_string_equal(read_all(state), v2);

    /* Not a state file at all: reported, then replaced by a good one. */
    write_file(state, "hello world\n00:11:22:33:44:55 1 2 - - -\n");
    err = capture_stderr(open_with_state, &r);
    assert_non_null(strstr(err, ":1: not an asset state file"));
    assert_int_equal(ot_assets_stats(r.as)->state_loaded, 0);
    assert_int_equal(ot_assets_finish(r.as, T0 + SEC), 0);
    rig_close(&r);
    assert_non_null(strstr(read_all(state), "otasuke-asset-state 1\n"));
}

static void test_atomic_save(void **unused)
{
    unlink(state);
    struct rig r;
    rig_conf(&r);
    ot_strlcpy(r.conf.state_path, state, sizeof(r.conf.state_path));
    r.conf.save_interval_s = 300;
    rig_open(&r);
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    ot_assets_tick(r.as, T0);             /* arms the timer */
    ot_assets_tick(r.as, T0 + 299 * SEC); /* not yet */
    assert_int_equal(access(state, F_OK), -1);
    ot_assets_tick(r.as, T0 + 300 * SEC);
    assert_int_equal(ot_assets_stats(r.as)->state_saves, 1);
    struct stat st1, st2;
    assert_int_equal(stat(state, &st1), 0);
    assert_int_equal(st1.st_mode & 0777, 0600);
    assert_int_equal(count_files(), 1); /* no temporary left beside it */
    rig_seen(&r, mac_b, "192.168.1.11", T0 + 400 * SEC);
    ot_assets_tick(r.as, T0 + 600 * SEC);
    assert_int_equal(ot_assets_stats(r.as)->state_saves, 2);
    assert_int_equal(stat(state, &st2), 0);
    assert_true(st1.st_ino != st2.st_ino); /* a new file renamed over the old one */
    assert_int_equal(count_files(), 1);
    assert_non_null(strstr(read_all(state), "00:25:90:34:ee:54"));
    rig_close(&r);

    /* Saving fails (the path is a folder): counted, reported, temporary removed. */
    char sub[160];
    snprintf(sub, sizeof(sub), "%s/folder", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    rig_conf(&r);
    ot_strlcpy(r.conf.state_path, sub, sizeof(r.conf.state_path));
    const char *err = capture_stderr(rig_open, &r);
    assert_non_null(strstr(err, "not a regular file"));
    rig_seen(&r, mac_a, "192.168.1.10", T0);
    assert_int_equal(ot_assets_finish(r.as, T0 + SEC), OT_EIO);
    assert_int_equal(ot_assets_stats(r.as)->state_save_errors, 1);
    assert_int_equal(count_files(), 2); /* the state file and the folder */
    rig_close(&r);
    rmdir(sub);

    /* A folder that does not exist: the same. */
    rig_conf(&r);
    snprintf(r.conf.state_path, sizeof(r.conf.state_path), "%s/no/such/dir/state", dir);
    rig_open(&r);
    assert_int_equal(ot_assets_finish(r.as, T0), OT_EIO);
    assert_int_equal(ot_assets_stats(r.as)->state_save_errors, 1);
    rig_close(&r);
}

/* More lines than max_assets: the first (most recent) are kept; later, eviction. */
static void test_bound(void **unused)
{
    write_file(state, "otasuke-asset-state 1\n"
                      "00:00:00:00:00:05 1 50 - - 10.0.0.5\n"
                      "00:00:00:00:00:04 1 40 - - 10.0.0.4\n"
                      "00:00:00:00:00:03 1 30 - - 10.0.0.3\n"
                      "00:00:00:00:00:02 1 20 - - 10.0.0.2\n"
                      "00:00:00:00:00:01 1 10 - - 10.0.0.1\n");
    struct rig r;
    rig_conf(&r);
    ot_strlcpy(r.conf.state_path, state, sizeof(r.conf.state_path));
    r.conf.max_assets = 3;
    const char *err = capture_stderr(rig_open, &r);
    assert_non_null(strstr(err, "2 entries past max-assets (3) were left out"));
    const struct ot_asset_stats *st = ot_assets_stats(r.as);
    assert_int_equal(st->state_loaded, 3);
    assert_int_equal(st->state_dropped, 2);
    /* A new device takes the place of the state entry unseen for longest (…:03). */
    uint8_t m3[6] = {0, 0, 0, 0, 0, 3}, m5[6] = {0, 0, 0, 0, 0, 5};
    struct ot_asset_info info;
    rig_seen(&r, m5, "10.0.0.5", T0);
    rig_seen(&r, mac_c, "10.0.0.9", T0);
    assert_int_equal(st->evicted, 1);
    assert_false(ot_assets_find_mac(r.as, m3, &info));
    struct ot_addr a;
    bool v6;
    rig_addr(&a, "10.0.0.3", &v6);
    assert_false(ot_assets_find_ip(r.as, &a, false, &info));
    assert_true(ot_assets_find_mac(r.as, mac_c, &info));
    /* Two more: one evicts …:04, the next finds every entry active. */
    rig_seen(&r, mac_a, "10.0.0.10", T0);
    rig_seen(&r, mac_b, "10.0.0.11", T0);
    assert_int_equal(st->evicted, 2);
    assert_int_equal(st->table_full, 1);
    assert_int_equal(st->tracked, 3);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_corrupt_lines),
        cmocka_unit_test(test_long_line),   cmocka_unit_test(test_version),
        cmocka_unit_test(test_atomic_save), cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
