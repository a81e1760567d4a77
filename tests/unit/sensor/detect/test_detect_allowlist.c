/*
 * The allowlist as the detection engine's filter (sensor/intel/intel.c):
 * ot_intel_allowed() on alert terms (sid, addresses, names that are not
 * NUL-terminated), the engine dropping and counting what it suppresses,
 * and the allowlist's reload with the indicator set on the loader thread
 * (a good reload swaps it, a failed one keeps the old).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "config.h"
#include "detect/detect.h"
#include "indicators/allowlist.h"
#include "intel/intel.h"
#include "otasuke/error.h"
#include "output/eve.h"

#define SEC 1000000ull
#define T0 (1770026400ull * SEC)

static const char rules[] = "# office allowlist\n"
                            "192.0.2.10\n"
                            "198.51.100.0/24\n"
                            "backup.example.com\n"
                            "sid:8101003\n"
                            "sid:8104001 203.0.113.7\n"
                            "10.0.0.5 203.0.113.0/24\n"
                            "not a rule at all\n";

static struct ot_allowlist *load(void)
{
    struct ot_allowlist *al;
    assert_int_equal(ot_allowlist_new(&al, 0), 0);
    struct ot_ioc_load_opts o = {.max_reports = 1};
    struct ot_ioc_load_stats ls;
    assert_int_equal(ot_allowlist_load_buffer(al, "allow.txt", rules, strlen(rules), &o, &ls), 0);
    assert_int_equal(ls.errors, 1);
    assert_int_equal(ot_allowlist_count(al), 6);
    return al;
}

static void addr4(struct ot_addr *a, const char *s)
{
    memset(a, 0, sizeof(*a));
    assert_int_equal(inet_pton(AF_INET, s, a->u.b), 1);
}

/* An alert sid, src -> dst (dst NULL: one-sided), names (a list of strings, NULL-ended). */
static bool allowed(const struct ot_allowlist *al, uint32_t sid, const char *src, const char *dst,
                    const char *const *names)
{
    struct ot_addr a[2];
    bool v6[2] = {false, false};
    addr4(&a[0], src);
    if (dst)
        addr4(&a[1], dst);
    struct ot_str ns[4];
    size_t nn = 0;
    /* Names are not NUL-terminated in alerts: give them with a trailing byte that must not count. */
    char buf[4][300];
    for (; names && names[nn] && nn < 4; nn++) {
        size_t l = strlen(names[nn]);
        memcpy(buf[nn], names[nn], l);
        buf[nn][l] = 'X';
        ns[nn] = ot_str_make(buf[nn], l);
    }
    return ot_intel_allowed(al, sid, a, v6, dst ? 2 : 1, ns, nn);
}

static void test_terms(void **state)
{
    struct ot_allowlist *al = load();
    static const char *const backup[] = {"nas.backup.example.com", NULL};
    static const char *const other[] = {"backup.example.com.evil.test", NULL};
    static const char *const longname[] = {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.backup.example.com",
        NULL};
    /* by address, either end */
    assert_true(allowed(al, 8100001, "192.0.2.10", "203.0.113.99", NULL));
    assert_true(allowed(al, 8100001, "192.168.1.4", "192.0.2.10", NULL));
    assert_true(allowed(al, 8111001, "192.0.2.10", NULL, NULL)); /* one-sided */
    /* by network */
    assert_true(allowed(al, 8100001, "192.168.1.4", "198.51.100.200", NULL));
    assert_false(allowed(al, 8100001, "192.168.1.4", "198.51.101.1", NULL));
    /* by domain: itself and below, not a look-alike, not a name too long to be one */
    assert_true(allowed(al, 8100002, "192.168.1.4", "192.168.1.1", backup));
    assert_false(allowed(al, 8100002, "192.168.1.4", "192.168.1.1", other));
    assert_false(allowed(al, 8100002, "192.168.1.4", "192.168.1.1", longname));
    /* by signature */
    assert_true(allowed(al, 8101003, "192.168.1.4", NULL, NULL));
    assert_false(allowed(al, 8101002, "192.168.1.4", NULL, NULL));
    /* by a pair: both terms must match */
    assert_true(allowed(al, 8104001, "192.168.1.4", "203.0.113.7", NULL));
    assert_false(allowed(al, 8104002, "192.168.1.4", "203.0.113.7", NULL));
    assert_false(allowed(al, 8104001, "192.168.1.4", "203.0.113.8", NULL));
    assert_true(allowed(al, 8102001, "10.0.0.5", "203.0.113.50", NULL));
    assert_true(allowed(al, 8102001, "203.0.113.50", "10.0.0.5", NULL));
    assert_false(allowed(al, 8102001, "10.0.0.6", "203.0.113.50", NULL));
    assert_false(allowed(al, 8102001, "10.0.0.5", NULL, NULL)); /* one address cannot be two */
    /* nothing to match: no */
    assert_false(allowed(NULL, 8101003, "192.0.2.10", NULL, NULL));
    ot_allowlist_free(al);
}

/* The engine drops what the filter suppresses and counts it; the rest is written. */
static void test_engine_filter(void **state)
{
    char path[] = "/tmp/ot-detect-allow-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ot_eve eve;
    struct ot_eve_config ec;
    ot_eve_config_defaults(&ec);
    ec.path = path;
    ec.sensor_id = "t";
    assert_int_equal(ot_eve_open(&eve, &ec), 0);
    struct ot_detect_conf c;
    ot_detect_conf_defaults(&c);
    struct ot_detect *d;
    assert_int_equal(ot_detect_new(&c, &eve, &d), 0);
    struct ot_intel in;
    memset(&in, 0, sizeof(in));
    in.allow = load();
    struct ot_detect_filter flt;
    ot_intel_filter(&in, &flt);
    ot_detect_set_filter(d, &flt);

    extern const struct ot_detector ot_detector_cleartext;
    static const struct ot_signature sig = {8104001, "test", 2, "T1040"};
    struct ot_addr a, b, e;
    addr4(&a, "192.168.1.4");
    addr4(&b, "203.0.113.7");
    addr4(&e, "203.0.113.8");
    struct ot_alert al;
    ot_alert_init_addrs(&al, &sig, T0, &a, &b, false, 6, 40000, 21);
    ot_detect_alert(d, &ot_detector_cleartext, &al); /* the pair rule: dropped */
    ot_alert_init_addrs(&al, &sig, T0, &a, &e, false, 6, 40000, 21);
    ot_detect_alert(d, &ot_detector_cleartext, &al); /* kept */
    ot_alert_init_addrs(&al, &sig, T0, &a, &e, false, 6, 40000, 21);
    ot_alert_name(&al, "http_host", "www.backup.example.com", 22);
    ot_detect_alert(d, &ot_detector_cleartext, &al); /* the domain rule: dropped */
    const struct ot_detect_stats *st = ot_detect_stats(d);
    assert_int_equal(st->alerts_raised, 3);
    assert_int_equal(st->alerts_allowlisted, 2);
    ot_detect_finish(d);
    assert_int_equal(ot_detect_stats(d)->alerts_written, 1);
    ot_detect_free(d);
    ot_allowlist_free(in.allow);
    assert_int_equal(ot_eve_close(&eve), 0);
    unlink(path);
}

static void write_file(const char *p, const char *text)
{
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* Poll until the loader is done (it is quick: a few lines). */
static bool wait_poll(struct ot_intel *in)
{
    struct ot_ioc_set *set;
    for (int i = 0; i < 5000; i++) {
        if (ot_intel_poll(in, &set))
            return true;
        if (atomic_load(&in->state) == 0)
            return false; /* done, but failed */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("the reload did not finish");
    return false;
}

/* SIGHUP's reload: the allowlist is rebuilt with the set and swapped; a failure keeps it. */
static void test_reload(void **state)
{
    char dir[] = "/tmp/ot-allow-reload-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char ap[128], ip[128];
    snprintf(ap, sizeof(ap), "%s/allow.txt", dir);
    snprintf(ip, sizeof(ip), "%s/feed.txt", dir);
    write_file(ap, "192.0.2.10\n");
    write_file(ip, "evil.example\n");
    static struct ot_sensor_config cfg; /* large: not on the stack */
    ot_sensor_config_defaults(&cfg);
    assert_int_equal(ot_sensor_config_set(&cfg, "allowlist", ap, "test"), 0);
    assert_int_equal(ot_sensor_config_set(&cfg, "indicators", ip, "test"), 0);
    struct ot_intel in;
    assert_int_equal(ot_intel_load(&in, &cfg), 0);
    assert_non_null(in.allow);
    assert_non_null(in.current);
    assert_int_equal(in.st.allow_rules, 1);
    assert_true(allowed(in.allow, 1, "192.0.2.10", NULL, NULL));

    write_file(ap, "192.0.2.10\nsid:8101003\n198.51.100.0/24\n");
    ot_intel_reload_start(&in);
    assert_true(wait_poll(&in));
    assert_int_equal(in.st.allow_rules, 3);
    assert_int_equal(in.st.loads, 2);
    assert_true(allowed(in.allow, 8101003, "192.168.1.1", NULL, NULL));

    /* The indicator file vanishes: the reload fails, both stay as they were. */
    const struct ot_allowlist *before = in.allow;
    unlink(ip);
    ot_intel_reload_start(&in);
    assert_false(wait_poll(&in));
    assert_ptr_equal(in.allow, before);
    assert_int_equal(in.st.reload_failed, 1);
    assert_int_equal(in.st.allow_rules, 3);

    /* An allowlist that vanishes fails the reload the same way. */
    write_file(ip, "evil.example\n");
    unlink(ap);
    ot_intel_reload_start(&in);
    assert_false(wait_poll(&in));
    assert_int_equal(in.st.reload_failed, 2);
    assert_true(allowed(in.allow, 8101003, "192.168.1.1", NULL, NULL));
    ot_intel_free(&in);
    unlink(ip);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_engine_filter),
        cmocka_unit_test(test_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
