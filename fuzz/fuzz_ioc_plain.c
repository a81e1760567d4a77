/*
 * libFuzzer target for the plain indicator-list loader and the lookups.
 *
 * Input: a plain list file, loaded through ot_ioc_load_buffer() into a set
 * capped at 512 indicators (so the limit path runs too).  Then every line's
 * first word is used as a lookup of every kind (domain, URL with host and
 * target split at the first '/', each digest type, the first bytes as an
 * address), and checked against invariants:
 *   - a value that adds cleanly to a fresh set is a duplicate the second time;
 *   - an added domain, digest, or URL with a scheme (as an absolute-form
 *     request target) or starting with "/" matches itself.
 * A broken invariant aborts, so libFuzzer reports it like a crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "indicators/indicators.h"
#include "otasuke/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const char *file, uint32_t line, const char *reason)
{
    (*(unsigned *)ctx)++;
    (void)file;
    (void)line;
    (void)reason;
}

/* "scheme://" before any '/', '?' or '#' (else "://" is inside a path). */
static bool has_scheme(const char *v, size_t n)
{
    const char *k = memmem(v, n, "://", 3);
    if (!k)
        return false;
    for (const char *p = v; p < k; p++)
        if (*p == '/' || *p == '?' || *p == '#')
            return false;
    return true;
}

static void check_self(const char *v, size_t n)
{
    struct ot_ioc_set *s;
    if (ot_ioc_set_new(&s, 4) != 0)
        return;
    char why[256];
    if (ot_ioc_set_add(s, OT_IOC_AUTO, v, n, NULL, why, sizeof(why)) != 0) {
        if (strlen(why) == 0)
            abort(); /* every rejection has a reason */
        ot_ioc_set_free(s);
        return;
    }
    if (ot_ioc_set_add(s, OT_IOC_AUTO, v, n, NULL, NULL, 0) != OT_EEXIST)
        abort();
    ot_ioc_set_finalize(s);
    struct ot_ioc_hit h;
    enum ot_ioc_type t = ot_ioc_detect_type(v, n);
    switch (t) {
    case OT_IOC_DOMAIN:
        if (!ot_ioc_match_domain(s, v, n, &h) || h.type != OT_IOC_DOMAIN)
            abort();
        break;
    case OT_IOC_JA3:
    case OT_IOC_JA4:
    case OT_IOC_SHA1:
    case OT_IOC_SHA256:
        if (!ot_ioc_match_hash(s, t, v, n, &h) || h.type != t)
            abort();
        break;
    case OT_IOC_URL:
        /* as an absolute-form request target, or a path on any host */
        if ((has_scheme(v, n) || v[0] == '/') && !ot_ioc_match_url(s, "", 0, v, n, &h))
            abort();
        break;
    default:
        break;
    }
    ot_ioc_set_free(s);
}

static void lookups(const struct ot_ioc_set *s, const char *v, size_t n)
{
    struct ot_ioc_hit h;
    ot_ioc_match_domain(s, v, n, &h);
    const char *slash = memchr(v, '/', n);
    size_t hl = slash ? (size_t)(slash - v) : 0;
    ot_ioc_match_url(s, v, hl, v + hl, n - hl, &h);
    ot_ioc_match_url(s, "", 0, v, n, &h);
    for (int t = OT_IOC_JA3; t <= OT_IOC_SHA256; t++)
        ot_ioc_match_hash(s, (enum ot_ioc_type)t, v, n, &h);
    if (n >= 16)
        ot_ioc_match_ip(s, (const uint8_t *)v, true, &h);
    if (n >= 4)
        ot_ioc_match_ip(s, (const uint8_t *)v, false, &h);
    if (n >= 20)
        ot_ioc_match_digest(s, OT_IOC_SHA1, (const uint8_t *)v, 20, &h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ot_ioc_set *s;
    if (ot_ioc_set_new(&s, 512) != 0)
        return 0;
    unsigned reports = 0;
    struct ot_ioc_load_opts o = {
        .format = OT_IOC_FMT_PLAIN, .report = ignore, .report_ctx = &reports, .max_reports = 50};
    struct ot_ioc_load_stats st;
    ot_ioc_load_buffer(s, "fuzz/list.txt", data, size, &o, &st);
    /* every error is reported, up to 50, then one summary line */
    if (st.errors <= 50 ? reports != st.errors : reports != 51)
        abort();
    ot_ioc_set_finalize(s);
    const char *p = (const char *)data, *end = p + size;
    unsigned lines = 0;
    while (p < end && lines++ < 64) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        size_t w = 0;
        while (w < n && p[w] != ' ' && p[w] != '\t' && p[w] != '\r')
            w++;
        if (w > 0 && w <= 512 && !memchr(p, '\0', w)) {
            lookups(s, p, w);
            check_self(p, w);
        }
        p += n + 1;
    }
    ot_ioc_set_free(s);
    return 0;
}
