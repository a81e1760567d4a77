/*
 * EVE event output: one JSON object per line.
 *
 * ot_eve_begin() starts an event with the common fields every event carries
 * (timestamp, flow_id, event_type, endpoints, proto, app_proto, community_id,
 * event_id, sensor_id) and returns the JSON writer positioned inside the
 * top-level object; the caller adds its own fields (usually one object named
 * after the event type) and calls ot_eve_end(), which closes the object and
 * hands the line to the sink.  An event that passes the size bound is dropped
 * and counted, never written half.
 *
 * The sink buffers lines and writes them to stdout or a file; a file is
 * rotated when it passes `rotate_bytes` (name.1, name.2, ... up to
 * `rotate_keep`).  The writer owns its buffers; ot_eve_close() flushes and
 * frees them.
 */
#ifndef OT_SENSOR_EVE_H
#define OT_SENSOR_EVE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/json.h"
#include "core/timefmt.h"

struct ot_flow;

struct ot_eve_config {
    const char *path;       /* "-" for stdout */
    uint64_t rotate_bytes;  /* 0: never rotate */
    uint32_t rotate_keep;   /* rotated files kept (default 5) */
    const char *sensor_id;  /* copied */
    size_t max_event_bytes; /* default 256 KiB */
};

struct ot_eve_stats {
    uint64_t events;        /* written */
    uint64_t dropped_large; /* passed max_event_bytes */
    uint64_t write_errors;
    uint64_t rotations;
    uint64_t bytes;
};

struct ot_eve {
    struct ot_jw jw;
    struct ot_timefmt tf;
    struct ot_eve_stats stats;
    char sensor_id[64];
    char sensor_field[16 + 63 * 6]; /* `"sensor_id":"<escaped>"`, rendered once at open */
    size_t sensor_field_len;
    char run_id[17];     /* random per run: event ids are run_id + counter */
    uint64_t next_seq;
    int fd;
    bool own_fd;
    char *path;
    uint64_t file_bytes;
    uint64_t rotate_bytes;
    uint32_t rotate_keep;
    char *obuf;          /* pending output */
    size_t olen, ocap;
    /*
     * Optional: sees every event written, as the finished line (with its
     * newline) and its event type, before it goes to the sink; the line is
     * only valid during the call.  The server sender hangs here.
     */
    void (*tee)(void *ctx, const char *event_type, const char *line, size_t len);
    void *tee_ctx;
    const char *cur_type; /* of the event being written */
};

void ot_eve_config_defaults(struct ot_eve_config *cfg);
int ot_eve_open(struct ot_eve *e, const struct ot_eve_config *cfg);
/* Flush pending output and close. Returns 0 or OT_EIO if a write failed at any point. */
int ot_eve_close(struct ot_eve *e);
int ot_eve_flush(struct ot_eve *e);

/*
 * Start an event.  `f` may be NULL (stats, asset events).  `dir` says which
 * side is written as src: 0 = the flow's client, 1 = its server (for a DNS
 * response, say).
 */
struct ot_jw *ot_eve_begin(struct ot_eve *e, const char *event_type, uint64_t ts_us,
                           const struct ot_flow *f, int dir);
/* Finish and emit the event started by ot_eve_begin(). */
int ot_eve_end(struct ot_eve *e);

struct ot_labeler;
/*
 * Writes the flow event of `f` (Suricata's "flow" shape: counters, times,
 * state, `reason` ("timeout", ...), the nDPI label when `l` is given, TCP
 * flags).  One call does begin, fields and end.
 */
void ot_eve_flow(struct ot_eve *e, const struct ot_flow *f, const char *reason,
                 const struct ot_labeler *l);

/* Adds "src_ip", "src_port", ... "proto" for a flow in the given direction (used by begin). */
void ot_eve_endpoints(struct ot_jw *w, const struct ot_flow *f, int dir);

/* Name of an IP protocol as Suricata writes it ("TCP", "UDP", "ICMP", "IPv6-ICMP", or the number). */
const char *ot_ipproto_name(uint8_t proto, char *tmp /* 4 bytes */);

#endif
