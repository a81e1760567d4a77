/*
 * Sensor configuration: parsed once from defaults, then the config file,
 * then command-line options (which win), into one struct passed down.
 *
 * The file format is one "key = value" per line, '#' starts a comment.
 * Every key is documented in docs/configuration.md.  An unknown key or a bad
 * value is reported as FILE:LINE: reason, and the configuration is refused.
 */
#ifndef OT_SENSOR_CONFIG_H
#define OT_SENSOR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "asset/asset.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "proto/dispatch.h"

struct ot_sensor_config {
    char sensor_id[64];
    char read_path[4096];   /* -r: file or folder */
    char iface[64];         /* -i */
    char bpf[1024];         /* capture filter */
    char output[4096];      /* -o: "-" for stdout */
    uint64_t rotate_bytes;  /* output.rotate-size; 0: off */
    uint32_t rotate_keep;
    char run_as[64];        /* user to switch to after opening the capture ("" = stay) */
    uint32_t stats_interval_s; /* periodic stats events (packet time); 0: only at the end */
    uint32_t duration_s;    /* live: stop after this many seconds; 0: run until signalled */
    uint32_t snaplen;
    uint32_t live_buffer_mb;
    bool promisc;
    bool progress;          /* show progress on a terminal during file runs */
    bool ndpi;              /* label flows with nDPI */
    uint32_t ndpi_max_packets; /* packets per flow given to nDPI */
    bool ndpi_parsed_flows;    /* also label flows one of our parsers understood */
    bool ndpi_tls_flows;       /* label TLS flows even when ndpi_parsed_flows is off (default no) */
    uint32_t ndpi_unknown_s;   /* skip flows of a service nDPI could not name this recently (0: off) */
    bool ndpi_unanswered_udp;  /* inspect UDP flows before their first answer too (default no) */
    uint64_t ndpi_held_bytes;  /* bound of the packets held for unanswered UDP flows */
    uint32_t log_level;
    uint32_t event_types;   /* bit mask of OT_EV_* enabled */

    struct ot_decode_config decode;
    struct ot_flow_config flow;
    struct ot_proto_conf proto;
    struct ot_detect_conf detect;  /* detect.*, home-net */
    struct ot_asset_conf asset;    /* asset.* */

    /* Indicator files (--indicators, "indicators = FILE", repeatable) and allowlists. */
#define OT_MAX_INDICATOR_FILES 16
    char indicators[OT_MAX_INDICATOR_FILES][1024];
    uint32_t n_indicators;
    char allowlists[OT_MAX_INDICATOR_FILES][1024];
    uint32_t n_allowlists;
    uint32_t max_indicators;       /* indicators.max */

    /* Shipping to otasuke-server (docs/server/design.md "Sender"). */
    char state_dir[1024];          /* enroll.json, ca.pem, spool/ (--state) */
    bool server;                   /* server.enabled (--server) */
    char server_event_types[256];  /* server.event-types */
    uint64_t server_spool_max;     /* server.spool-max, bytes */
    uint32_t server_drain_s;       /* server.drain: seconds to deliver the spool at exit */
};

/* Event types that can be switched off (config: "events = flow,dns,..."). */
enum {
    OT_EV_FLOW = 1u << 0,
    OT_EV_STATS = 1u << 1,
    OT_EV_APP = 1u << 2, /* every application-layer event (dns, tls, http, ...) */
};

void ot_sensor_config_defaults(struct ot_sensor_config *cfg);
/* Load a config file over cfg. Errors are printed as FILE:LINE: reason. */
int ot_sensor_config_load(struct ot_sensor_config *cfg, const char *path);
/* Apply one "key=value" (from the file or --set). `where` prefixes error messages. */
int ot_sensor_config_set(struct ot_sensor_config *cfg, const char *key, const char *value,
                         const char *where);
/* Cross-field checks after everything is applied. */
int ot_sensor_config_check(const struct ot_sensor_config *cfg);
/* Print every key with its current value (for -T -v and the docs). */
void ot_sensor_config_dump(const struct ot_sensor_config *cfg, void *fp /* FILE * */);

#endif
