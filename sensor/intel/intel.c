#include "intel/intel.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "core/log.h"
#include "indicators/allowlist.h"
#include "indicators/indicators.h"
#include "otasuke/error.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What one build produced; everything is owned by it until published. */
struct build_out {
    struct ot_ioc_set *set;    /* NULL: no indicator files */
    struct ot_allowlist *allow; /* NULL: no allowlist files */
    uint64_t errors, allow_errors;
    double secs;
};

/*
 * A finalized set from every configured indicator file.  Bad lines are
 * reported (FILE:LINE) and skipped; an unreadable file or the indicator
 * limit fails the build.
 */
static int build_set(const struct ot_sensor_config *cfg, struct build_out *b)
{
    if (cfg->n_indicators == 0)
        return OT_OK;
    struct ot_ioc_set *set;
    int rc = ot_ioc_set_new(&set, cfg->max_indicators);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < cfg->n_indicators; i++) {
        struct ot_ioc_load_stats ls;
        rc = ot_ioc_load_file(set, cfg->indicators[i], NULL, &ls);
        b->errors += ls.errors;
        if (rc) {
            ot_err("indicators: %s: %s: the set is not %s", cfg->indicators[i], ot_strerror(rc),
                   "used");
            ot_ioc_set_free(set);
            return rc;
        }
        ot_info("indicators: %s: %llu loaded, %llu duplicates, %llu bad lines",
                cfg->indicators[i], (unsigned long long)ls.loaded,
                (unsigned long long)ls.duplicates, (unsigned long long)ls.errors);
    }
    (void)ot_ioc_set_finalize(set);
    b->set = set;
    return OT_OK;
}

/* The allowlist from every configured allowlist file (bad lines reported and skipped). */
static int build_allow(const struct ot_sensor_config *cfg, struct build_out *b)
{
    if (cfg->n_allowlists == 0)
        return OT_OK;
    struct ot_allowlist *al;
    int rc = ot_allowlist_new(&al, 0);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < cfg->n_allowlists; i++) {
        struct ot_ioc_load_stats ls;
        rc = ot_allowlist_load_file(al, cfg->allowlists[i], NULL, &ls);
        b->allow_errors += ls.errors;
        if (rc) {
            ot_err("allowlist: %s: %s: the allowlist is not %s", cfg->allowlists[i],
                   ot_strerror(rc), "used");
            ot_allowlist_free(al);
            return rc;
        }
        ot_info("allowlist: %s: %llu rules, %llu bad lines", cfg->allowlists[i],
                (unsigned long long)ls.loaded, (unsigned long long)ls.errors);
    }
    b->allow = al;
    return OT_OK;
}

/* Both, or neither: a failure frees what was built. */
static int build(const struct ot_sensor_config *cfg, struct build_out *b)
{
    double t0 = now_s();
    memset(b, 0, sizeof(*b));
    int rc = build_set(cfg, b);
    if (rc == OT_OK)
        rc = build_allow(cfg, b);
    if (rc) {
        ot_ioc_set_free(b->set);
        b->set = NULL;
        return rc;
    }
    b->secs = now_s() - t0;
    return OT_OK;
}

static void publish(struct ot_intel *in, struct build_out *b)
{
    ot_ioc_set_free(in->current);
    ot_allowlist_free(in->allow);
    in->current = b->set;
    in->allow = b->allow;
    in->st.loads++;
    in->st.indicators = 0;
    in->st.load_errors = b->errors;
    in->st.allow_rules = b->allow ? ot_allowlist_count(b->allow) : 0;
    in->st.allow_errors = b->allow_errors;
    in->st.last_load_s = b->secs;
    if (b->set) {
        struct ot_ioc_set_info info;
        ot_ioc_set_info(b->set, &info);
        in->st.indicators = info.count;
        ot_info("indicators: %u in the set (%llu bad lines skipped), built in %.2f s, %.1f MiB",
                info.count, (unsigned long long)b->errors, b->secs,
                (double)info.bytes / 1048576.0);
    }
    if (b->allow)
        ot_info("allowlist: %llu rules (%llu bad lines skipped)",
                (unsigned long long)in->st.allow_rules, (unsigned long long)b->allow_errors);
    memset(b, 0, sizeof(*b));
}

static bool configured(const struct ot_sensor_config *cfg)
{
    return cfg->n_indicators || cfg->n_allowlists;
}

int ot_intel_load(struct ot_intel *in, const struct ot_sensor_config *cfg)
{
    memset(in, 0, sizeof(*in));
    in->cfg = cfg;
    atomic_init(&in->state, 0);
    if (!configured(cfg))
        return OT_OK;
    struct build_out b;
    int rc = build(cfg, &b);
    if (rc)
        return rc;
    publish(in, &b);
    return OT_OK;
}

static void *loader_main(void *arg)
{
    struct ot_intel *in = arg;
    struct build_out b;
    in->built_rc = build(in->cfg, &b);
    in->built = b.set;
    in->built_allow = b.allow;
    in->built_errors = b.errors;
    in->built_allow_errors = b.allow_errors;
    in->built_s = b.secs;
    atomic_store_explicit(&in->state, 2, memory_order_release);
    return NULL;
}

void ot_intel_reload_start(struct ot_intel *in)
{
    if (!configured(in->cfg) || atomic_load_explicit(&in->state, memory_order_acquire) != 0)
        return;
    ot_info("intel: reloading %u indicator file(s) and %u allowlist file(s)",
            in->cfg->n_indicators, in->cfg->n_allowlists);
    atomic_store_explicit(&in->state, 1, memory_order_relaxed);
    if (pthread_create(&in->loader, NULL, loader_main, in) != 0) {
        ot_err("intel: cannot start the reload thread; keeping the current set and allowlist");
        atomic_store_explicit(&in->state, 0, memory_order_relaxed);
        in->st.reload_failed++;
        return;
    }
    in->loader_running = true;
}

bool ot_intel_poll(struct ot_intel *in, struct ot_ioc_set **out)
{
    if (atomic_load_explicit(&in->state, memory_order_acquire) != 2)
        return false;
    pthread_join(in->loader, NULL);
    in->loader_running = false;
    atomic_store_explicit(&in->state, 0, memory_order_relaxed);
    if (in->built_rc) {
        in->st.reload_failed++;
        ot_err("intel: reload failed (%s): keeping the current set and allowlist",
               ot_strerror(in->built_rc));
        return false;
    }
    struct build_out b = {in->built, in->built_allow, in->built_errors, in->built_allow_errors,
                          in->built_s};
    in->built = NULL;
    in->built_allow = NULL;
    publish(in, &b);
    *out = in->current;
    return true;
}

void ot_intel_free(struct ot_intel *in)
{
    if (in->loader_running) {
        pthread_join(in->loader, NULL);
        ot_ioc_set_free(in->built);
        ot_allowlist_free(in->built_allow);
    }
    ot_ioc_set_free(in->current);
    ot_allowlist_free(in->allow);
    memset(in, 0, sizeof(*in));
}

#define NAME_MAX_LEN 253 /* longest DNS name in text form */

bool ot_intel_allowed(const struct ot_allowlist *al, uint32_t sid, const struct ot_addr *addrs,
                      const bool *v6, size_t n_addrs, const struct ot_str *names, size_t n_names)
{
    if (!al)
        return false;
    struct ot_allow_addr aa[2];
    size_t na = n_addrs < 2 ? n_addrs : 2;
    for (size_t i = 0; i < na; i++) {
        aa[i].addr = addrs[i].u.b;
        aa[i].v6 = v6[i];
    }
    /* The allowlist wants NUL-terminated names: copy them, bounded. */
    char buf[OT_DETECT_MAX_EVIDENCE][NAME_MAX_LEN + 1];
    const char *dom[OT_DETECT_MAX_EVIDENCE];
    size_t nd = 0;
    for (size_t i = 0; i < n_names && nd < OT_DETECT_MAX_EVIDENCE; i++) {
        if (!names[i].len || names[i].len > NAME_MAX_LEN || memchr(names[i].s, 0, names[i].len))
            continue;
        memcpy(buf[nd], names[i].s, names[i].len);
        buf[nd][names[i].len] = 0;
        dom[nd] = buf[nd];
        nd++;
    }
    struct ot_allow_hit hit;
    if (!ot_allowlist_match(al, sid, aa, na, dom, nd, &hit))
        return false;
    ot_debug("allowlist: %s:%u (%s) suppressed an alert of signature %u", hit.file, hit.line,
             hit.rule, sid);
    return true;
}

static bool suppress(void *ctx, uint32_t sid, const struct ot_addr *addrs, const bool *v6,
                     size_t n_addrs, const struct ot_str *names, size_t n_names)
{
    const struct ot_intel *in = ctx;
    return ot_intel_allowed(in->allow, sid, addrs, v6, n_addrs, names, n_names);
}

void ot_intel_filter(struct ot_intel *in, struct ot_detect_filter *out)
{
    out->ctx = in;
    out->suppress = suppress;
}
