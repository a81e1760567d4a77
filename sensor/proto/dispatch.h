/*
 * The application-layer dispatcher: picks a parser for each flow and feeds it.
 * See proto.h for the parser contract.
 */
#ifndef OT_SENSOR_PROTO_DISPATCH_H
#define OT_SENSOR_PROTO_DISPATCH_H

#include "proto/proto.h"

struct ot_proto_stats {
    uint64_t flows[OT_APP__COUNT];  /* flows identified per protocol */
    uint64_t errors[OT_APP__COUNT]; /* flows whose parser gave up on malformed data */
    uint64_t state_alloc_failed;
};

struct ot_proto_engine {
    struct ot_proto_ctx ctx;
    struct ot_proto_conf conf;
    struct ot_proto_stats stats;
    uint32_t probe_max_chunks; /* chunks per direction to try before giving up (default 4) */
    /* The parsers to ask per transport (0 TCP, 1 UDP), in table order, NULL-terminated. */
    const struct ot_proto_parser *candidates[2][OT_APP__COUNT + 1];
};

void ot_proto_conf_defaults(struct ot_proto_conf *conf);
void ot_proto_engine_init(struct ot_proto_engine *pe, const struct ot_proto_conf *conf,
                          struct ot_eve *eve);
/* In-order payload of a flow (flow table on_data callback). */
void ot_proto_on_data(struct ot_proto_engine *pe, struct ot_flow *f, int dir, const uint8_t *data,
                      uint32_t len, unsigned flags, uint64_t ts_us);
/* The flow ends: the parser emits what is pending and its state is freed. */
void ot_proto_on_end(struct ot_proto_engine *pe, struct ot_flow *f, uint64_t ts_us);

#endif
