/*
 * The sensor pipeline: decode → flow → (labels, parsers) → events.
 *
 * struct ot_sensor owns every stage.  ot_sensor_packet() takes one captured
 * frame; ot_sensor_finish() ends all flows and writes the final stats event.
 * Time inside the pipeline is packet time, so a capture file gives the same
 * events whenever it is read.
 */
#ifndef OT_SENSOR_SENSOR_H
#define OT_SENSOR_SENSOR_H

#include <stdint.h>

#include "asset/asset.h"
#include "capture/capture.h"
#include "config.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "intel/intel.h"
#include "output/eve.h"
#include "output/server-out.h"
#include "proto/dispatch.h"
#include "proto/label.h"

struct ot_sensor_counters {
    uint64_t packets;
    uint64_t bytes;        /* wire bytes */
    uint64_t decoded;      /* IP packets given to the flow table */
    uint64_t skipped;      /* not IP */
    uint64_t invalid;      /* rejected by the decoder (see decoder counters) */
    uint64_t frag_held;
    uint64_t first_ts_us, last_ts_us;
};

struct ot_sensor {
    const struct ot_sensor_config *cfg;
    struct ot_decoder dec;
    struct ot_flow_table *flows;
    struct ot_labeler *labeler;
    struct ot_proto_engine pe;
    struct ot_eve eve;
    struct ot_eve app_sink;     /* /dev/null: parsers' events when only detection wants them */
    bool app_sink_open;
    struct ot_detect *detect;   /* NULL when detection is off */
    struct ot_assets *assets;   /* NULL when the asset inventory is off */
    struct ot_obs_sink obs;     /* parsers → detect, assets */
    struct ot_intel intel;      /* indicator set, allowlist and their reload */
    bool asset_learning;        /* the state file was empty: new devices of the first
                                   asset.learning seconds are the baseline */
    uint64_t asset_baseline;    /* new devices not alerted because of that */
    struct ot_server_out *server; /* NULL unless server.enabled (--server) */
    struct ot_capture *capture; /* for kernel drop counts in stats; may be NULL */
    struct ot_sensor_counters c;
    uint64_t next_expire_us;
    uint64_t next_stats_us;
};

int ot_sensor_init(struct ot_sensor *s, const struct ot_sensor_config *cfg);
void ot_sensor_packet(struct ot_sensor *s, int dlt, const uint8_t *frame, uint32_t caplen,
                      uint32_t wirelen, uint64_t ts_us);
/* End every flow, write the final stats event, flush. Returns 0 or OT_EIO (output failed). */
int ot_sensor_finish(struct ot_sensor *s);
void ot_sensor_free(struct ot_sensor *s);
/*
 * Live capture with no packets for a while: move the clock to `now_us`
 * (wall time) so idle flows still end and stats are still written.
 */
void ot_sensor_tick(struct ot_sensor *s, uint64_t now_us);
/*
 * Rebuild the indicator set and the allowlist in the background (SIGHUP);
 * they are swapped in together between packets.
 */
void ot_sensor_reload(struct ot_sensor *s);
/* Write a stats event now. */
void ot_sensor_write_stats(struct ot_sensor *s, uint64_t ts_us, bool final);

#endif
