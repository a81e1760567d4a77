/*
 * The flow table: bidirectional flows keyed by (VLAN ids, protocol, the two
 * addresses and ports), in bounded memory.
 *
 * The table preallocates `max_flows` flows.  When every slot is in use, the
 * least recently active flow is ended early ("evicted", counted in
 * stats.evicted) so the new one can start: memory never grows past the cap.
 * Idle flows end after a timeout that depends on their state.
 *
 * Direction: dir 0 is "to server" (sent by the flow's client), dir 1 is "to
 * client".  The client is the side that sent a SYN without ACK; when the
 * first packet seen is a SYN-ACK, its receiver; otherwise the sender of the
 * first packet.  (A flow first seen midstream is turned round when a bare
 * SYN then comes from the other side, as long as no payload was delivered.)
 *
 * Keys: VLAN ids, IP protocol, and the two (address, port) endpoints in a
 * normalised order, so both directions find the same flow.  ICMP and ICMPv6
 * use Community ID's mapping of (type, code) to ports, so an echo request and
 * its reply share a flow, while a message with no reply type (an error) makes
 * a one-way flow of its own in each direction.  cli_port/srv_port of an ICMP
 * flow hold the type and code of its first packet.  Protocols other than TCP,
 * UDP, SCTP and ICMP have ports 0.
 *
 * TCP states: new -> established (handshake seen, or payload both ways) ->
 * closing (a FIN) -> closed (both FINs, or a RST).  A bare SYN on a closing
 * or closed flow ends it (reason tcp_reuse) and starts a new flow.
 *
 * The table calls back into the caller (struct ot_flow_callbacks) with every
 * packet, with in-order TCP payload from the reassembler, with every UDP or
 * ICMP payload, and once when a flow ends.  Callbacks must not re-enter the
 * table.  The table owns the flows; a callback may keep no pointer to one
 * after its on_end call returns.
 */
#ifndef OT_SENSOR_FLOW_H
#define OT_SENSOR_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/stream.h"

enum ot_flow_state {
    OT_FLOW_NEW = 0,     /* seen from one side only */
    OT_FLOW_ESTABLISHED, /* TCP handshake done, or packets both ways */
    OT_FLOW_CLOSING,     /* TCP FIN seen */
    OT_FLOW_CLOSED,      /* TCP both FINs or a RST */
};

enum ot_flow_end_reason {
    OT_FLOW_END_TIMEOUT = 0, /* idle longer than the state's timeout */
    OT_FLOW_END_EVICTED,     /* ended early because the table was full */
    OT_FLOW_END_SHUTDOWN,    /* end of input */
    OT_FLOW_END_TCP_REUSE,   /* closed TCP flow whose 5-tuple a new SYN reused */
};

const char *ot_flow_state_name(enum ot_flow_state s);
const char *ot_flow_end_reason_name(enum ot_flow_end_reason r);

/* Normalised lookup key (flow.c): both endpoints in a fixed order. */
struct ot_flow_key {
    uint64_t w[6];
};

/*
 * Fields are ordered by when they are touched, not by topic: the first 64
 * bytes are what the table's lookup and LRU move read (flow.c), the next 64
 * what every packet updates, then what only some packets or the flow's start
 * and end use.  The flow table allocates its flows 64-byte aligned and the
 * struct is 384 bytes (six cache lines), so each of those groups is one
 * cache line: keep the size a multiple of 64 when adding a field.
 */
struct ot_flow {
    /* Table internals (flow.c): lookup and LRU. */
    uint32_t hash;
    uint32_t hnext; /* next index in the hash chain, or UINT32_MAX */
    struct ot_flow_key key;
    uint32_t lru_prev, lru_next;

    /* Counters and state, updated by every packet. */
    uint64_t last_us;
    uint64_t pkts[2], bytes[2]; /* per direction; bytes are IP datagram lengths */
    uint64_t start_us;
    uint8_t tcp_flags[2]; /* OR of the flags each side sent */
    uint8_t state;        /* enum ot_flow_state */
    bool tcp_saw_syn;
    uint8_t tcp_seen;  /* handshake/FIN/payload bits per side (flow.c) */
    bool key_cli_b;    /* the client is the key's second endpoint (flow.c) */
    uint8_t lru_class; /* which LRU list (one per timeout) (flow.c) */
    bool in_use;       /* (flow.c) */
    uint8_t ip_proto;
    bool v6;
    uint8_t vlan_count;
    uint8_t app_flags; /* application layer (see below) */
    uint8_t ndpi_pkts;
    uint8_t detect_seen; /* bit dir: the detectors saw this direction's first payload */
    uint16_t app_proto;  /* enum ot_app_proto */

    /* Identity, as the client sees it (dir 0 = client → server). */
    struct ot_addr cli, srv;
    uint16_t cli_port, srv_port;
    uint16_t vlan[OT_VLAN_MAX];

    /* Application layer, owned by sensor/proto (proto.c and proto-ndpi.c); see also above. */
    uint16_t app_proto_orig; /* the protocol before a hand-over to TLS (STARTTLS, CONNECT), or 0 */
    uint16_t ndpi_master, ndpi_app;

    uint64_t flow_id;   /* unique in this run, < 2^53 so JSON readers keep it exact */
    uint64_t ndpi_risk; /* nDPI flow-risk bit mask */

    struct ot_stream stream[2]; /* TCP reassembly per direction (flow/stream.h) */

    const struct ot_proto_parser *parser;
    void *app_state;
    void *ndpi;    /* struct ndpi_flow_struct * */
    void *ndpi_hs; /* packets held back for nDPI (label-ndpi.c): TCP handshake, unanswered UDP */

    char community_id[64]; /* "1:base64", filled when the flow starts */
};
_Static_assert(sizeof(struct ot_flow) % 64 == 0,
               "struct ot_flow: keep a multiple of 64 bytes (its hot groups are cache lines)");

struct ot_flow_config {
    uint32_t max_flows;         /* preallocated flows (default 65536) */
    uint32_t timeout_new_s;     /* default 30 */
    uint32_t timeout_est_s;     /* default 300 */
    uint32_t timeout_closed_s;  /* default 10 (closing and closed) */
    uint32_t timeout_udp_s;     /* default 60 (UDP/ICMP/other once both ways) */
    uint32_t stream_depth;      /* bytes per direction given to parsers (default 1 MiB) */
    uint32_t stream_ooo_max;    /* out-of-order bytes buffered per direction (default 64 KiB),
                                   in at most ooo_max/256 segments (clamped to 16..1024) */
    uint64_t stream_memcap;     /* total out-of-order bytes for all flows (default 64 MiB) */
    uint16_t community_id_seed; /* default 0 */
};

/*
 * Flags passed with data to on_data.  A hole in a TCP stream that will not
 * be filled (the receiver acknowledged past it and sent payload, or its bare
 * acknowledgement was not followed by the bytes within OT_REASM_WAIT_US; the
 * out-of-order buffer hit its bound; or the flow ended) is reported as one
 * call with data NULL, len = bytes lost and flags OT_DATA_GAP; the data after
 * it follows in later calls.  Gaps do not count against stream_depth.
 */
#define OT_DATA_GAP 0x01

struct ot_flow_callbacks {
    void *ctx;
    /* Every decoded packet that belongs to the flow, after counters are updated. */
    void (*on_packet)(void *ctx, struct ot_flow *f, int dir, const struct ot_packet *p);
    /* In-order TCP payload, or one UDP/ICMP payload. */
    void (*on_data)(void *ctx, struct ot_flow *f, int dir, const uint8_t *data, uint32_t len,
                    unsigned flags, uint64_t ts_us);
    /* The flow ends; its memory is reused after this returns. */
    void (*on_end)(void *ctx, struct ot_flow *f, enum ot_flow_end_reason reason, uint64_t now_us);
};

struct ot_flow_stats {
    uint64_t created;
    uint64_t ended;
    uint64_t evicted; /* ended early: table full */
    uint64_t timed_out;
    uint64_t active;
    uint64_t tcp_reassembly_gaps;
    uint64_t tcp_ooo_dropped; /* out-of-order bytes dropped at a bound */
    uint64_t tcp_retransmits; /* segments whose bytes were all already delivered */
    uint64_t tcp_overlaps;    /* segments partly overlapping data already seen (trimmed) */
    uint64_t tcp_reused;      /* closed TCP flows ended by a new SYN (reason tcp_reuse) */
    uint64_t tcp_ooo_memuse;  /* out-of-order memory held now (payload + per-segment overhead) */
    uint64_t buckets;         /* hash buckets now (they grow with the active flows) */
};

struct ot_flow_table; /* opaque */

void ot_flow_config_defaults(struct ot_flow_config *cfg);
int ot_flow_table_new(const struct ot_flow_config *cfg, const struct ot_flow_callbacks *cb,
                      struct ot_flow_table **out /* OUT */);
/* Ends every flow (reason shutdown) and frees the table. */
void ot_flow_table_free(struct ot_flow_table *t, uint64_t now_us);

/* Account one decoded IP packet to its flow, creating it if needed, and run the callbacks. */
void ot_flow_process(struct ot_flow_table *t, const struct ot_packet *p);
/* End flows idle past their timeout at time `now_us` (packet time). Call about once a second. */
void ot_flow_expire(struct ot_flow_table *t, uint64_t now_us);
/* End every flow now (reason shutdown). */
void ot_flow_flush(struct ot_flow_table *t, uint64_t now_us);

const struct ot_flow_stats *ot_flow_table_stats(const struct ot_flow_table *t);

/*
 * Community ID v1 of a 5-tuple (Corelight spec); `out` needs 64 bytes.
 * For ICMP/ICMPv6 pass the type as `ap` and the code as `bp`; for protocols
 * without ports the ports are ignored.
 */
void ot_community_id(uint16_t seed, const struct ot_addr *a, uint16_t ap, const struct ot_addr *b,
                     uint16_t bp, uint8_t proto, bool v6, char *out);

#endif
