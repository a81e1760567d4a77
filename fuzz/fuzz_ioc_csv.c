/*
 * libFuzzer target for the CSV indicator loader (RFC 4180 quoting, header
 * detection, commented headers, multi-line records) and the lookups.
 *
 * Input: a CSV file, loaded with ot_ioc_load_buffer() into a set capped at
 * 512 indicators.  Then the first field of each line is looked up as a
 * domain, a URL and each digest type.  Invariants (abort on failure):
 * every error is reported (up to the cap), and the counts add up:
 * loaded + duplicates + errors never exceed the records read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/indicators.h"
#include "otasuke/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(void *ctx, const char *file, uint32_t line, const char *reason)
{
    (*(unsigned *)ctx)++;
    if (!file || !reason || !*reason)
        abort();
    (void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ot_ioc_set *s;
    if (ot_ioc_set_new(&s, 512) != 0)
        return 0;
    unsigned reports = 0;
    struct ot_ioc_load_opts o = {
        .format = OT_IOC_FMT_CSV, .report = count, .report_ctx = &reports, .max_reports = 50};
    struct ot_ioc_load_stats st;
    int rc = ot_ioc_load_buffer(s, "fuzz/feed.csv", data, size, &o, &st);
    if (rc != 0 && rc != OT_ELIMIT && rc != OT_EINVAL)
        abort();
    if (st.errors <= 50 ? reports != st.errors : reports != 51)
        abort();
    if (st.loaded + st.duplicates + st.errors > st.lines + 1)
        abort();
    ot_ioc_set_finalize(s);
    struct ot_ioc_set_info in;
    ot_ioc_set_info(s, &in);
    if (in.count != st.loaded)
        abort();
    const char *p = (const char *)data, *end = p + size;
    unsigned lines = 0;
    while (p < end && lines++ < 64) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        const char *comma = memchr(p, ',', n);
        size_t w = comma ? (size_t)(comma - p) : n;
        struct ot_ioc_hit h;
        if (ot_ioc_match_domain(s, p, w, &h) && (!h.value || !h.category || !h.file))
            abort();
        ot_ioc_match_url(s, "", 0, p, w, &h);
        ot_ioc_match_url(s, p, w, "/", 1, &h);
        for (int t = OT_IOC_JA3; t <= OT_IOC_SHA256; t++)
            ot_ioc_match_hash(s, (enum ot_ioc_type)t, p, w, &h);
        p += n + 1;
    }
    ot_ioc_set_free(s);
    return 0;
}
