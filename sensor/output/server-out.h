/*
 * Shipping events to otasuke-server.
 *
 * The EVE writer's tee (struct ot_eve.tee) hands every finished event line to
 * ot_server_out_tee(); lines whose event type is in the configured list go
 * to the disk spool of a lib/transport sender, whose thread delivers them to
 * the server the sensor enrolled with (state_dir/enroll.json, written by
 * `otasuke-sensor enroll`).  The packet loop never waits for the network:
 * submitting is a buffered append to the spool.
 */
#ifndef OT_SENSOR_SERVER_OUT_H
#define OT_SENSOR_SERVER_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/json.h"

struct ot_server_out_conf {
    const char *state_dir;   /* enroll.json, ca.pem and spool/ */
    const char *event_types; /* comma-separated, e.g. "alert,asset,stats" */
    uint64_t spool_max_bytes; /* 0 = the sender's default (256 MiB) */
    uint32_t drain_ms;        /* at close: time allowed to deliver what is spooled */
};

struct ot_server_out;

/*
 * What the sensor's -T checks before a run with server output: the event
 * types parse, the sensor is enrolled (its enroll.json reads), and libcurl,
 * which the sender loads on demand, can be loaded.  0, or a negative ot_err
 * with an operator-facing reason in err.  Starts nothing.
 */
int ot_server_out_check(const struct ot_server_out_conf *c, char *err, size_t errlen);

/*
 * Reads the enrolment, opens the spool and starts the sender thread.  On
 * failure returns a negative ot_err with an operator-facing reason in err
 * (e.g. "not enrolled: run otasuke-sensor enroll URL TOKEN first").
 */
int ot_server_out_open(const struct ot_server_out_conf *c, struct ot_server_out **out /* OUT */,
                       char *err, size_t errlen);
/* The EVE tee: line ends with '\n'. */
void ot_server_out_tee(void *ctx, const char *event_type, const char *line, size_t len);
/* Adds a "server" object with the sender's counters to an open stats object. */
void ot_server_out_write_stats(struct ot_server_out *o, struct ot_jw *w);
/* Delivers what it can within drain_ms, persists the spool, stops and frees. */
void ot_server_out_close(struct ot_server_out *o);

#endif
