/*
 * The loaders against real public feeds from ../shared/data/intel (or
 * $OT_DATA/intel): Maltrail trails, IPsum, FireHOL feodo, abuse.ch SSLBL and
 * ViriBack.  Each test is skipped when the data is absent; nothing is copied
 * into the project.  The counts checked are loose (feeds change) but would
 * catch a loader that rejects a whole format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>

#include "ioc-test.h"

struct counter {
    uint64_t problems;
};

/* Count problems and show the first few, so a failure says why. */
static void count_report(void *ctx, const char *file, uint32_t line, const char *reason)
{
    struct counter *c = ctx;
    if (c->problems++ < 5)
        print_message("  %s:%u: %s\n", file, line, reason);
}

static bool intel_path(char *out, size_t cap, const char *rel)
{
    const char *env = getenv("OT_DATA");
    if (env && *env)
        snprintf(out, cap, "%s/intel/%s", env, rel);
    else
        snprintf(out, cap, "%s/../shared/data/intel/%s", OT_SOURCE_DIR, rel);
    struct stat st;
    return stat(out, &st) == 0;
}

#define NEED(path, rel)                                                                            \
    do {                                                                                           \
        if (!intel_path(path, sizeof(path), rel)) {                                                \
            print_message("skipped: %s is absent (public feed data not installed)\n", path);       \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static int load_one(struct ot_ioc_set *s, const char *path, struct ot_ioc_load_stats *total,
                    struct counter *c)
{
    struct ot_ioc_load_stats st;
    struct ot_ioc_load_opts o = {.report = count_report, .report_ctx = c, .max_reports = 1000};
    int rc = ot_ioc_load_file(s, path, &o, &st);
    total->lines += st.lines;
    total->loaded += st.loaded;
    total->duplicates += st.duplicates;
    total->errors += st.errors;
    return rc;
}

static void load_dir(struct ot_ioc_set *s, const char *dir, struct ot_ioc_load_stats *total,
                     struct counter *c, unsigned *files)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".txt") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        assert_int_equal(load_one(s, path, total, c), 0);
        (*files)++;
    }
    closedir(d);
}

static void test_maltrail(void **state)
{
    char root[1024], dir[1100];
    NEED(root, "maltrail/trails/static");
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_load_stats t = {0};
    struct counter c = {0};
    unsigned files = 0;
    load_dir(s, root, &t, &c, &files);
    snprintf(dir, sizeof(dir), "%s/malware", root);
    load_dir(s, dir, &t, &c, &files);
    snprintf(dir, sizeof(dir), "%s/suspicious", root);
    load_dir(s, dir, &t, &c, &files);
    ot_ioc_set_finalize(s);
    print_message("  maltrail: %u files, %llu lines, %llu loaded, %llu duplicates, %llu errors\n",
                  files, (unsigned long long)t.lines, (unsigned long long)t.loaded,
                  (unsigned long long)t.duplicates, (unsigned long long)t.errors);
    assert_true(files > 100);
    assert_true(t.loaded > 100000);
    /* the few errors are genuine: regexes, port 0, typos; under 0.1% */
    assert_true(t.errors * 1000 < t.loaded);
    assert_int_equal(c.problems, t.errors);
    struct ot_ioc_set_info in;
    ot_ioc_set_info(s, &in);
    assert_true(in.by_type[OT_IOC_IP] > 10000);
    assert_true(in.by_type[OT_IOC_DOMAIN] > 10000);
    assert_true(in.by_type[OT_IOC_URL] > 1000);
    assert_true(in.by_type[OT_IOC_CIDR] > 100);
    ot_ioc_set_free(s);
}

static void test_ipsum_and_firehol(void **state)
{
    char ipsum[1024], feodo[1024];
    NEED(ipsum, "ipsum/ipsum.txt");
    NEED(feodo, "firehol/feodo.ipset");
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_load_stats t = {0};
    struct counter c = {0};
    assert_int_equal(load_one(s, ipsum, &t, &c), 0);
    assert_int_equal(t.errors, 0);
    assert_true(t.loaded > 10000);
    assert_int_equal(t.loaded + t.duplicates, t.lines - 7); /* 7 comment lines */
    memset(&t, 0, sizeof(t));
    assert_int_equal(load_one(s, feodo, &t, &c), 0);
    assert_int_equal(t.errors, 0);
    assert_true(t.loaded + t.duplicates > 200);
    ot_ioc_set_finalize(s);
    struct ot_ioc_hit h;
    assert_true(ip4(s, "2.50.11.28", &h) || ip4(s, "5.39.222.172", &h));
    ot_ioc_set_free(s);
}

static void test_abuse_ch(void **state)
{
    char sslbl[1024], viri[1024];
    NEED(sslbl, "abuse-ch/sslblacklist_1.csv");
    NEED(viri, "abuse-ch/viriback_dump.csv");
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_load_stats t = {0};
    struct counter c = {0};
    assert_int_equal(load_one(s, sslbl, &t, &c), 0);
    assert_int_equal(t.errors, 0);
    assert_true(t.loaded > 100);
    struct ot_ioc_set_info in;
    ot_ioc_set_info(s, &in);
    assert_int_equal(in.by_type[OT_IOC_SHA1], t.loaded);
    memset(&t, 0, sizeof(t));
    assert_int_equal(load_one(s, viri, &t, &c), 0);
    assert_int_equal(t.errors, 0);
    assert_true(t.loaded >= 5);
    ot_ioc_set_finalize(s);
    ot_ioc_set_info(s, &in);
    assert_true(in.by_type[OT_IOC_URL] >= 5);
    /* the commented header gave the category from Listingreason */
    struct ot_ioc_hit h;
    assert_true(
        ot_ioc_match_hash(s, OT_IOC_SHA1, "854c68ab7ad70b6f95f76ec64b8a46c145997629", 40, &h));
    assert_string_equal(h.category, "AsyncRAT C&C");
    assert_string_equal(h.source, "sslblacklist_1.csv");
    ot_ioc_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maltrail),
        cmocka_unit_test(test_ipsum_and_firehol),
        cmocka_unit_test(test_abuse_ch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
