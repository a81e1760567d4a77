/*
 * Helpers for the indicator-library tests: a report collector, loading a
 * string as a named file, temp files with a chosen base name.
 * Header-only; include after <cmocka.h>.
 */
#ifndef OT_TEST_IOC_TEST_H
#define OT_TEST_IOC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "indicators/indicators.h"
#include "otasuke/error.h"

#define REPORTS_MAX 256

struct reports {
    unsigned n;
    char msg[REPORTS_MAX][400];
};

/* Keeps "FILE:LINE: reason" (or "FILE: reason") like the default reporter. */
static inline void collect(void *ctx, const char *file, uint32_t line, const char *reason)
{
    struct reports *r = ctx;
    if (r->n >= REPORTS_MAX)
        return;
    if (line)
        snprintf(r->msg[r->n++], sizeof(r->msg[0]), "%s:%u: %s", file, line, reason);
    else
        snprintf(r->msg[r->n++], sizeof(r->msg[0]), "%s: %s", file, reason);
}

/* Is there a report that starts with `prefix` and contains `needle`? */
static inline bool reported(const struct reports *r, const char *prefix, const char *needle)
{
    for (unsigned i = 0; i < r->n; i++)
        if (strncmp(r->msg[i], prefix, strlen(prefix)) == 0 && strstr(r->msg[i], needle))
            return true;
    return false;
}

static inline void dump_reports(const struct reports *r)
{
    for (unsigned i = 0; i < r->n; i++)
        print_message("  report: %s\n", r->msg[i]);
}

static inline int load_text(struct ot_ioc_set *s, const char *name, const char *text,
                            struct reports *r, struct ot_ioc_load_stats *st)
{
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = r, .max_reports = 1000};
    if (r)
        r->n = 0;
    return ot_ioc_load_buffer(s, name, text, strlen(text), &o, st);
}

/* A fresh temp folder with one file `base` holding `len` bytes of `data`;
 * the path is written to path[]. */
static inline void temp_file(char *path, size_t cap, const char *base, const void *data, size_t len)
{
    char dir[] = "/tmp/ot-ioc-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(path, cap, "%s/%s", dir, base);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static inline void temp_remove(const char *path)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    unlink(path);
    if (slash) {
        *slash = '\0';
        rmdir(dir);
    }
}

static inline struct ot_ioc_set *new_set(uint32_t max)
{
    struct ot_ioc_set *s;
    assert_int_equal(ot_ioc_set_new(&s, max), 0);
    return s;
}

static inline int add(struct ot_ioc_set *s, const char *v)
{
    struct ot_ioc_meta m = {
        .category = "c", .source = "s", .file = "f", .line = 1, .confidence = 100};
    return ot_ioc_set_add(s, OT_IOC_AUTO, v, strlen(v), &m, NULL, 0);
}

static inline bool ip4(const struct ot_ioc_set *s, const char *a, struct ot_ioc_hit *h)
{
    uint8_t b[4];
    assert_int_equal(inet_pton(AF_INET, a, b), 1);
    return ot_ioc_match_ip(s, b, false, h);
}

static inline bool ip6(const struct ot_ioc_set *s, const char *a, struct ot_ioc_hit *h)
{
    uint8_t b[16];
    assert_int_equal(inet_pton(AF_INET6, a, b), 1);
    return ot_ioc_match_ip(s, b, true, h);
}

static inline bool dom(const struct ot_ioc_set *s, const char *n, struct ot_ioc_hit *h)
{
    return ot_ioc_match_domain(s, n, strlen(n), h);
}

#endif
