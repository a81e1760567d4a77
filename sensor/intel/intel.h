/*
 * The sensor's threat intelligence: the indicator set built from the
 * configured files, and its reload on SIGHUP.
 *
 * ot_intel_load() builds the first set at start (synchronously: the sensor
 * does not start without it).  ot_intel_reload_start() builds a new set from
 * the same files on a loader thread while packets keep flowing against the
 * current one; the packet thread calls ot_intel_poll() between packets,
 * which, once the new set is complete, publishes it (returns it) and frees
 * the old one.  So no packet is ever matched against a half-loaded set, and
 * a reload that fails (a file vanished, the limit was hit) keeps the old set
 * and says why.
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

struct ot_ioc_set;
struct ot_sensor_config;

struct ot_intel_stats {
    uint64_t loads;          /* sets published (the first one included) */
    uint64_t reload_failed;  /* reloads that kept the old set */
    uint64_t indicators;     /* in the current set */
    uint64_t load_errors;    /* bad lines in the current set's files */
    double last_load_s;      /* seconds the last build took */
};

struct ot_intel {
    const struct ot_sensor_config *cfg;
    struct ot_ioc_set *current;   /* read by the packet thread only */
    pthread_t loader;
    bool loader_running;
    _Atomic int state;            /* loader: 0 idle, 1 running, 2 done */
    struct ot_ioc_set *built;     /* the loader's result, valid when state == 2 */
    int built_rc;
    uint64_t built_errors;
    double built_s;
    struct ot_intel_stats st;
};

/* Build the first set (no files: no set, returns 0). Errors go to stderr as FILE:LINE. */
int ot_intel_load(struct ot_intel *in, const struct ot_sensor_config *cfg);
/* Start building a new set in the background (ignored while one is being built). */
void ot_intel_reload_start(struct ot_intel *in);
/*
 * Between packets: if a reload finished, publish its set (returned through
 * *out, which then differs from before) and return true.
 */
bool ot_intel_poll(struct ot_intel *in, struct ot_ioc_set **out);
void ot_intel_free(struct ot_intel *in);

#endif
