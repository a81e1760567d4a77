#include "intel/intel.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "core/log.h"
#include "indicators/indicators.h"
#include "otasuke/error.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Build a finalized set from every configured file.  Bad lines are reported
 * (FILE:LINE) and skipped; an unreadable file or the indicator limit fails
 * the build.  On success *out owns the set.
 */
static int build(const struct ot_sensor_config *cfg, struct ot_ioc_set **out, uint64_t *errors,
                 double *secs)
{
    double t0 = now_s();
    struct ot_ioc_set *set;
    int rc = ot_ioc_set_new(&set, cfg->max_indicators);
    if (rc)
        return rc;
    *errors = 0;
    for (uint32_t i = 0; i < cfg->n_indicators; i++) {
        struct ot_ioc_load_stats ls;
        rc = ot_ioc_load_file(set, cfg->indicators[i], NULL, &ls);
        *errors += ls.errors;
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
    *secs = now_s() - t0;
    *out = set;
    return OT_OK;
}

static void publish(struct ot_intel *in, struct ot_ioc_set *set, uint64_t errors, double secs)
{
    ot_ioc_set_free(in->current);
    in->current = set;
    struct ot_ioc_set_info info;
    ot_ioc_set_info(set, &info);
    in->st.loads++;
    in->st.indicators = info.count;
    in->st.load_errors = errors;
    in->st.last_load_s = secs;
    ot_info("indicators: %u in the set (%llu bad lines skipped), built in %.2f s, %.1f MiB",
            info.count, (unsigned long long)errors, secs, (double)info.bytes / 1048576.0);
}

int ot_intel_load(struct ot_intel *in, const struct ot_sensor_config *cfg)
{
    memset(in, 0, sizeof(*in));
    in->cfg = cfg;
    atomic_init(&in->state, 0);
    if (cfg->n_indicators == 0)
        return OT_OK;
    struct ot_ioc_set *set;
    uint64_t errors;
    double secs;
    int rc = build(cfg, &set, &errors, &secs);
    if (rc)
        return rc;
    publish(in, set, errors, secs);
    return OT_OK;
}

static void *loader_main(void *arg)
{
    struct ot_intel *in = arg;
    in->built = NULL;
    in->built_rc = build(in->cfg, &in->built, &in->built_errors, &in->built_s);
    atomic_store_explicit(&in->state, 2, memory_order_release);
    return NULL;
}

void ot_intel_reload_start(struct ot_intel *in)
{
    if (in->cfg->n_indicators == 0 ||
        atomic_load_explicit(&in->state, memory_order_acquire) != 0)
        return;
    ot_info("indicators: reloading %u file(s)", in->cfg->n_indicators);
    atomic_store_explicit(&in->state, 1, memory_order_relaxed);
    if (pthread_create(&in->loader, NULL, loader_main, in) != 0) {
        ot_err("indicators: cannot start the reload thread; keeping the current set");
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
        ot_err("indicators: reload failed (%s): keeping the current set",
               ot_strerror(in->built_rc));
        return false;
    }
    publish(in, in->built, in->built_errors, in->built_s);
    in->built = NULL;
    *out = in->current;
    return true;
}

void ot_intel_free(struct ot_intel *in)
{
    if (in->loader_running) {
        pthread_join(in->loader, NULL);
        ot_ioc_set_free(in->built);
    }
    ot_ioc_set_free(in->current);
    memset(in, 0, sizeof(*in));
}
