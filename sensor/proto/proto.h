/*
 * Application-layer parsers.
 *
 * Every protocol is one file, sensor/proto/proto-<name>.c, exporting one
 * `const struct ot_proto_parser ot_proto_<name>`, and one row in the table
 * in proto.c.  The dispatcher (proto.c) chooses a parser for a flow by
 * asking each candidate's probe() about the first payload bytes in either
 * direction (ports are a hint the probe may use, never the only proof), then
 * feeds that parser every in-order payload chunk of the flow: TCP stream
 * data from the reassembler, or whole UDP datagrams.
 *
 * Parser state: the dispatcher allocates `state_size` zeroed bytes per flow,
 * calls close() once when the flow ends (the parser emits anything pending
 * and frees what it allocated inside its state), then frees the state.
 * Parsers must bound every buffer they keep (struct ot_pbuf helps) and must
 * treat every byte as hostile: a parse error returns a negative code, which
 * the dispatcher counts per protocol (stats.errors) and stops feeding that
 * flow to the parser.
 */
#ifndef OT_SENSOR_PROTO_H
#define OT_SENSOR_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/observe.h"
#include "flow/flow.h"

struct ot_eve;

enum ot_app_proto {
    OT_APP_UNKNOWN = 0,
    OT_APP_DNS,
    OT_APP_TLS,
    OT_APP_HTTP,
    OT_APP_SSH,
    OT_APP_DHCP,
    OT_APP_SMB,
    OT_APP_RDP,
    OT_APP_FTP,
    OT_APP_TELNET,
    OT_APP_POP3,
    OT_APP_IMAP,
    OT_APP_SMTP,
    OT_APP_QUIC,
    OT_APP_IRC,
    OT_APP_RSH, /* BSD r-services: rexec, rlogin, rsh */
    OT_APP__COUNT
};

enum ot_probe_result {
    OT_PROBE_NO = 0, /* not this protocol */
    OT_PROBE_YES,    /* this protocol */
    OT_PROBE_MORE,   /* cannot tell yet: ask again with more data */
};

/* The protocols a parser accepts (bit mask). */
#define OT_PROTO_TCP 0x01
#define OT_PROTO_UDP 0x02

/* What a parser may use while it runs. */
struct ot_proto_ctx {
    struct ot_eve *eve; /* where events go */
    uint64_t ts_us;     /* time of the packet that delivered this data */
    const struct ot_proto_conf *conf;
    const struct ot_obs_sink *sink; /* detection stage, or NULL */
};

/* Hand an observation to the detection stage (detect/observe.h), if any. */
static inline void ot_proto_observe(const struct ot_proto_ctx *ctx, const struct ot_flow *f,
                                    struct ot_obs *o)
{
    if (ctx->sink) {
        o->ts_us = ctx->ts_us;
        ctx->sink->observe(ctx->sink->ctx, f, o);
    }
}

/* Options for the parsers (sensor config). */
struct ot_proto_conf {
    uint32_t max_buffer;   /* bytes a parser may hold per direction (default 64 KiB) */
    uint64_t max_memory;   /* bytes all parsers' buffers may hold together (default 64 MiB) */
    bool http_log_headers; /* reserved */
};

struct ot_proto_parser {
    enum ot_app_proto id;
    const char *name;   /* app_proto value and event_type */
    uint8_t transports; /* OT_PROTO_TCP | OT_PROTO_UDP */
    size_t state_size;
    /* Is this flow speaking the protocol? `data` is the first payload in direction `dir`. */
    enum ot_probe_result (*probe)(const struct ot_flow *f, int dir, const uint8_t *data,
                                  size_t len);
    /* Feed in-order payload. flags: OT_DATA_GAP (then data may be NULL, len = bytes lost). */
    int (*parse)(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags);
    /* Flow ends: emit pending transactions, free what the state owns. May be NULL. */
    void (*close)(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state);
    /*
     * May be NULL.  True once the protocol has handed the connection over to
     * something it does not read (STARTTLS accepted, a CONNECT tunnel): the
     * dispatcher then moves the flow to the TLS parser if a ClientHello
     * comes from the client.
     */
    bool (*handed_over)(const void *state);
};

/* The registration table (proto.c), NULL-terminated. */
extern const struct ot_proto_parser *const ot_proto_parsers[];

const char *ot_app_proto_name(enum ot_app_proto id);

/*
 * A bounded accumulation buffer for records that span TCP segments.
 * ot_pbuf_append() returns OT_ELIMIT (and keeps nothing new) past `max`.
 */
struct ot_pbuf {
    uint8_t *data;
    uint32_t len, cap;
};

/*
 * The parsers' buffers of every flow together are bounded (app.max-memory):
 * ot_pbuf growth, and the other buffers a parser keeps across packets, take
 * their bytes from one budget first.  A parser refused gives the flow up as
 * when its own bound is hit (OT_ELIMIT), and the refusal is counted.  The
 * budget is the process's (one sensor per process); ot_proto_engine_init()
 * sets it.
 */
bool ot_proto_mem_take(size_t n); /* false (and counted) when it would pass the budget */
void ot_proto_mem_give(size_t n);
struct ot_proto_mem_stats {
    uint64_t used, peak, limit;
    uint64_t refused; /* allocations refused for the budget */
};
void ot_proto_mem_stats(struct ot_proto_mem_stats *st /* OUT */);

/* OT_ELIMIT past `max` bytes or past the budget above. */
int ot_pbuf_append(struct ot_pbuf *b, const uint8_t *data, size_t len, size_t max);
/* Drop the first n bytes. */
void ot_pbuf_consume(struct ot_pbuf *b, size_t n);
void ot_pbuf_free(struct ot_pbuf *b);

#endif
