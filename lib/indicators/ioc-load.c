/*
 * Public loaders: pick the format, work out the per-file defaults (category
 * = base name without extension, source = base name, confidence 100 unless
 * the caller says otherwise), run the plain or CSV reader, and keep the
 * counts.  The readers call ot_ioc_load_add_() for each value, which turns
 * the set's answer into counts and "FILE:LINE: reason" reports.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "indicators/ioc-internal.h"
#include "otasuke/error.h"

void ot_ioc_load_error_(struct ot_ioc_load *ld, uint32_t line, const char *fmt, ...)
{
    char msg[OT_IOC_WHY_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ld->st->errors++;
    ot_ioc_report_(&ld->rep, line, "%s", msg);
}

int ot_ioc_load_add_(struct ot_ioc_load *ld, uint32_t line, enum ot_ioc_type type,
                     const char *value, size_t len, const char *category, const char *source,
                     uint8_t confidence)
{
    char why[OT_IOC_WHY_LEN];
    struct ot_ioc_meta meta = {
        .category = category ? category : ld->category,
        .source = source ? source : ld->source,
        .file = ld->file,
        .line = line,
        .confidence = confidence,
    };
    int rc = ot_ioc_set_add(ld->set, type, value, len, &meta, why, sizeof(why));
    switch (rc) {
    case OT_OK:
        ld->st->loaded++;
        return OT_OK;
    case OT_EEXIST:
        ld->st->duplicates++;
        return OT_OK;
    case OT_EINVAL:
        ot_ioc_load_error_(ld, line, "%s", why);
        return OT_OK;
    case OT_ELIMIT:
        ot_ioc_load_error_(ld, line, "%s; the rest of the file is not loaded", why);
        return rc;
    default:
        ot_ioc_load_error_(ld, line, "%s", why[0] ? why : "cannot add the indicator");
        return rc;
    }
}

static bool name_is_csv(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

static int load(struct ot_ioc_set *set, const char *name, const void *data, size_t len,
                const struct ot_ioc_load_opts *opts, struct ot_ioc_load_stats *stats)
{
    static const struct ot_ioc_load_opts defaults;
    struct ot_ioc_load_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (!set || !name)
        return OT_EINVAL;
    if (set->frozen)
        return OT_EPERM;
    if (!opts)
        opts = &defaults;
    if (opts->confidence > 100)
        return OT_EINVAL;
    struct ot_ioc_load ld = {
        .set = set,
        .st = stats,
        .file = name,
        .confidence = opts->confidence ? opts->confidence : OT_IOC_DEFAULT_CONFIDENCE,
    };
    ot_ioc_reporter_init_(&ld.rep, name, opts->report, opts->report_ctx, opts->max_reports);
    ot_ioc_name_defaults_(name, ld.category, sizeof(ld.category), ld.source, sizeof(ld.source));
    if (opts->category)
        snprintf(ld.category, sizeof(ld.category), "%s", opts->category);
    if (opts->source)
        snprintf(ld.source, sizeof(ld.source), "%s", opts->source);
    bool csv =
        opts->format == OT_IOC_FMT_CSV || (opts->format == OT_IOC_FMT_AUTO && name_is_csv(name));
    int rc =
        csv ? ot_ioc_load_csv_(&ld, name, data, len) : ot_ioc_load_plain_(&ld, name, data, len);
    ot_ioc_report_end_(&ld.rep);
    return rc;
}

int ot_ioc_load_file(struct ot_ioc_set *set, const char *path, const struct ot_ioc_load_opts *opts,
                     struct ot_ioc_load_stats *stats)
{
    return load(set, path, NULL, 0, opts, stats);
}

int ot_ioc_load_buffer(struct ot_ioc_set *set, const char *name, const void *data, size_t len,
                       const struct ot_ioc_load_opts *opts, struct ot_ioc_load_stats *stats)
{
    if (!data && len)
        return OT_EINVAL;
    return load(set, name, data ? data : "", len, opts, stats);
}
