/*
 * The sensor's threat intelligence: the indicator set and the allowlist
 * built from the configured files, and their reload on SIGHUP.
 *
 * ot_intel_load() builds the first set at start (synchronously: the sensor
 * does not start without it).  ot_intel_reload_start() builds a new set from
 * the same files on a loader thread while packets keep flowing against the
 * current one; the packet thread calls ot_intel_poll() between packets,
 * which, once the new set is complete, publishes it (returns it) and frees
 * the old one.  So no packet is ever matched against a half-loaded set, and
 * a reload that fails (a file vanished, the limit was hit) keeps the old set
 * and says why.  The allowlist (`allowlist` files, lib/indicators/allowlist.h)
 * is built and swapped together with the set, in the same build: both
 * change at once or neither does.
 *
 * The detection engine asks the allowlist through ot_intel_filter(), whose
 * context is the struct ot_intel itself, so the filter always reads the
 * allowlist published last.
 *
 * Only the packet thread reads the published set, so no reader can hold
 * the old set when it is freed.
 */
#ifndef OT_SENSOR_INTEL_H
#define OT_SENSOR_INTEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "detect/detect.h"

struct ot_ioc_set;
struct ot_allowlist;
struct ot_sensor_config;

struct ot_intel_stats {
    uint64_t loads;          /* sets published (the first one included) */
    uint64_t reload_failed;  /* reloads that kept the old set */
    uint64_t indicators;     /* in the current set */
    uint64_t load_errors;    /* bad lines in the current set's files */
    uint64_t allow_rules;    /* rules in the current allowlist */
    uint64_t allow_errors;   /* bad lines in the current allowlist's files */
    double last_load_s;      /* seconds the last build took */
};

struct ot_intel {
    const struct ot_sensor_config *cfg;
    struct ot_ioc_set *current;   /* read by the packet thread only; NULL: no indicator files */
    struct ot_allowlist *allow;   /* likewise; NULL: no allowlist files */
    pthread_t loader;
    bool loader_running;
    _Atomic int state;            /* loader: 0 idle, 1 running, 2 done */
    struct ot_ioc_set *built;     /* the loader's result, valid when state == 2 */
    struct ot_allowlist *built_allow;
    int built_rc;
    uint64_t built_errors, built_allow_errors;
    double built_s;
    struct ot_intel_stats st;
};

/*
 * Build the first set and allowlist (no files: none, returns 0).  Bad lines
 * go to stderr as FILE:LINE; an unreadable file fails (OT_ENOENT, OT_EIO...).
 */
int ot_intel_load(struct ot_intel *in, const struct ot_sensor_config *cfg);
/* Start building a new set and allowlist in the background (ignored while one is being built). */
void ot_intel_reload_start(struct ot_intel *in);
/*
 * Between packets: if a reload finished, publish its set and allowlist (the
 * set returned through *out, which then differs from before; it may be
 * NULL) and return true.
 */
bool ot_intel_poll(struct ot_intel *in, struct ot_ioc_set **out);
void ot_intel_free(struct ot_intel *in);

/* The engine's filter (ot_detect_set_filter): suppresses what in->allow matches. */
void ot_intel_filter(struct ot_intel *in, struct ot_detect_filter *out /* OUT */);

/*
 * Does the allowlist suppress an alert with signature `sid`, these
 * addresses and these domain names (not NUL-terminated; names longer than
 * 253 bytes cannot be listed and are skipped)?  NULL allowlist: no.  The
 * rule that matched is logged at debug level.
 */
bool ot_intel_allowed(const struct ot_allowlist *al, uint32_t sid, const struct ot_addr *addrs,
                      const bool *v6, size_t n_addrs, const struct ot_str *names, size_t n_names);

#endif
