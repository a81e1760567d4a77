/*
 * The detection stage.
 *
 * Every detector is one file, sensor/detect/detect-<name>.c, exporting one
 * `const struct ot_detector ot_detector_<name>`, and one row in the table in
 * detect.c.  A detector sees flows start and end, the observations the
 * parsers make (observe.h), and a tick once a second of packet time; when
 * something is wrong it calls ot_detect_alert().
 *
 * Thresholds: a detector lists its parameters (struct ot_detect_param) with
 * defaults and bounds; the configuration sets them as
 * `detect.<detector>.<param> = value` and `detect.<detector>.enabled`.  The
 * engine validates them, so a detector reads them without checks.
 *
 * Alerts: a detector names one of its signatures (stable id, text,
 * severity, MITRE ATT&CK technique ids) and gives the endpoints and the
 * evidence.  The engine then
 *   - drops the alert if the allowlist suppresses it (counted);
 *   - merges repeats: alerts with the same signature, the same two
 *     endpoint addresses and the same merge key (ot_alert_key(): what makes
 *     two alerts distinct beyond their endpoints, such as the indicator that
 *     matched) become one pending alert with a count, first and last seen.
 *     The written line carries the evidence of the first of them.  A pending alert is written when `detect.alert.quiet`
 *     seconds pass without a repeat, when it has been pending
 *     `detect.alert.max-hold` seconds, at the end of the run, or early when
 *     the pending table is full (counted).  So an attack is one line with a
 *     count, written within a bounded delay.
 *
 * Detectors keep their own state (state_size bytes, zeroed, given to every
 * hook) and must bound every table they keep, counting when the bound is hit
 * with ot_detect_count_full().  Hooks run on the packet path: keep them cheap.
 */
#ifndef OT_SENSOR_DETECT_H
#define OT_SENSOR_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "detect/observe.h"

struct ot_flow;
struct ot_eve;
struct ot_detect;
struct ot_dn_name;

#define OT_DETECT_MAX_PARAMS 10
#define OT_DETECT_MAX_EVIDENCE 10
#define OT_DETECT_MAX_HOME_NETS 32

struct ot_detect_param {
    const char *name;     /* config key: detect.<detector>.<name> */
    uint64_t def, min, max;
    const char *help;     /* one line, with the unit */
};

struct ot_signature {
    uint32_t id;          /* stable: never reused for another meaning */
    const char *msg;      /* alert.signature, short English text */
    uint8_t severity;     /* 1 high, 2 medium, 3 low */
    const char *mitre;    /* technique ids, comma-separated: "T1110.001,T1021.004" */
};

struct ot_detector {
    const char *name;      /* config prefix; also in stats */
    const char *family;    /* alert.category: one slug of DESIGN.md's family table */
    const char *summary;   /* one line for docs and -T -v */
    const struct ot_signature *sigs;
    size_t n_sigs;
    const struct ot_detect_param *params;
    size_t n_params;
    size_t state_size;
    /* All hooks may be NULL.  init returns 0 or a negative OT_E* code. */
    int (*init)(struct ot_detect *d, void *state, const uint64_t *params);
    void (*free)(void *state);
    /* First packet of a flow (p is that packet). */
    void (*flow_start)(struct ot_detect *d, void *state, const struct ot_flow *f,
                       const struct ot_packet *p);
    /* The flow ended; its counters and state are final. */
    void (*flow_end)(struct ot_detect *d, void *state, const struct ot_flow *f);
    void (*observe)(struct ot_detect *d, void *state, const struct ot_flow *f,
                    const struct ot_obs *o);
    /*
     * The observation kinds observe wants, OT_OBS_BIT(kind) each; 0 = every
     * kind.  The engine calls observe only for those.
     */
    uint32_t obs_kinds;
    /*
     * The first in-order payload of each direction of a flow (the start of a
     * TCP stream, or the first UDP datagram), once per direction.
     */
    void (*payload)(struct ot_detect *d, void *state, const struct ot_flow *f, int dir,
                    const uint8_t *data, size_t len);
    /* Once a second of packet time (expire windows). */
    void (*tick)(struct ot_detect *d, void *state, uint64_t now_us);
    /*
     * An IP datagram that never became part of a flow: reassembly gave up on
     * its fragments (decode.h, struct ot_lost_datagram).  Only its addresses
     * and protocol are known.
     */
    void (*datagram)(struct ot_detect *d, void *state, const struct ot_lost_datagram *g);
};

#define OT_OBS_BIT(kind) (1u << (kind))

/* The registration table (detect.c), NULL-terminated. */
extern const struct ot_detector *const ot_detectors[];

/* ---- configuration ---- */

struct ot_cidr {
    struct ot_addr addr; /* masked */
    uint8_t bits;
    bool v6;
};

#define OT_DETECT_MAX_DETECTORS 24

struct ot_detect_conf {
    bool enabled;                                    /* detect = yes */
    bool det_enabled[OT_DETECT_MAX_DETECTORS];       /* detect.<name>.enabled */
    uint64_t params[OT_DETECT_MAX_DETECTORS][OT_DETECT_MAX_PARAMS];
    struct ot_cidr home[OT_DETECT_MAX_HOME_NETS];
    uint32_t n_home;
    uint32_t alert_quiet_s;      /* detect.alert.quiet */
    uint32_t alert_max_hold_s;   /* detect.alert.max-hold */
    uint32_t alert_max_pending;  /* detect.alert.max-pending */
};

void ot_detect_conf_defaults(struct ot_detect_conf *c);
/* Is the address in the configured home networks (also without an engine)? */
bool ot_detect_conf_is_home(const struct ot_detect_conf *c, const struct ot_addr *a, bool v6);
/*
 * Set one "detect.*" or "home-net" key.  Returns 0, OT_ENOENT for a key that
 * is not ours, or OT_EINVAL with a reason in `why`.
 */
int ot_detect_conf_set(struct ot_detect_conf *c, const char *key, const char *value, char *why,
                       size_t why_len);
/* "10.0.0.0/8,fd00::/8": replaces the home networks. */
int ot_detect_parse_home_net(struct ot_detect_conf *c, const char *value, char *why,
                             size_t why_len);
/* Print every detect key with its value and help, as "key = value   # help" lines. */
void ot_detect_conf_dump(const struct ot_detect_conf *c, void *fp /* FILE * */);

/* ---- the engine ---- */

struct ot_detect_stats {
    uint64_t alerts_raised;      /* ot_detect_alert calls */
    uint64_t alerts_written;     /* lines written */
    uint64_t alerts_merged;      /* repeats folded into a pending alert */
    uint64_t alerts_allowlisted; /* dropped by the allowlist */
    uint64_t pending_full;       /* pending alerts written early because the table was full */
    uint64_t by_detector[OT_DETECT_MAX_DETECTORS];   /* raised, per detector */
    uint64_t table_full[OT_DETECT_MAX_DETECTORS];    /* detector tables that hit their bound */
};

/*
 * Decides whether an alert is suppressed (the allowlist): given the
 * signature id, the alert's two addresses and the domain names in its
 * evidence.  NULL = nothing is suppressed.
 */
struct ot_detect_filter {
    void *ctx;
    bool (*suppress)(void *ctx, uint32_t sid, const struct ot_addr *addrs, const bool *v6,
                     size_t n_addrs, const struct ot_str *names, size_t n_names);
};

int ot_detect_new(const struct ot_detect_conf *c, struct ot_eve *eve, struct ot_detect **out);
void ot_detect_free(struct ot_detect *d); /* writes nothing: call ot_detect_finish first */
void ot_detect_set_filter(struct ot_detect *d, const struct ot_detect_filter *flt);

void ot_detect_flow_start(struct ot_detect *d, const struct ot_flow *f, const struct ot_packet *p);
/* A datagram whose fragments were never reassembled (the detectors' datagram hook). */
void ot_detect_datagram(struct ot_detect *d, const struct ot_lost_datagram *g);
void ot_detect_flow_end(struct ot_detect *d, const struct ot_flow *f);
void ot_detect_observe(struct ot_detect *d, const struct ot_flow *f, const struct ot_obs *o);
void ot_detect_payload(struct ot_detect *d, const struct ot_flow *f, int dir, const uint8_t *data,
                       size_t len);
void ot_detect_tick(struct ot_detect *d, uint64_t now_us);
/* Write every pending alert (end of run). */
void ot_detect_finish(struct ot_detect *d);
const struct ot_detect_stats *ot_detect_stats(const struct ot_detect *d);

/* ---- for detectors ---- */

bool ot_detect_is_home(const struct ot_detect *d, const struct ot_addr *a, bool v6);
/* Is this detector switched on? */
bool ot_detect_enabled(const struct ot_detect *d, const struct ot_detector *det);
/* The asset inventory saw a MAC it never saw before (detect-newdev.c). */
void ot_detect_new_device(struct ot_detect *d, const uint8_t mac[6], const struct ot_addr *ip,
                          bool v6, const char *vendor, const char *hostname, uint64_t ts_us);
/* Count that a detector's table hit its bound (shows in stats). */
void ot_detect_count_full(struct ot_detect *d, const struct ot_detector *det);
/*
 * Context the sensor shares with detectors, by name: "labeler" is the
 * struct ot_labeler * (proto/label.h: ot_labeler_name() gives a flow's nDPI
 * label at flow_end), "indicators" the current indicator set.  NULL when absent.
 */
void *ot_detect_userdata(const struct ot_detect *d, const char *name);
void ot_detect_set_userdata(struct ot_detect *d, const char *name, void *data);
/*
 * NAME (a DNS query name, TLS SNI, HTTP host: not copied) as a struct
 * ot_dn_name (dns-name.h) shared by the detectors that look at the same
 * observation, so that what they all compute (ignored?, registered domain,
 * suffix hashes) is computed once.  Within an observe hook the engine keeps
 * it for the rest of the observation; elsewhere it is computed afresh.
 */
struct ot_dn_name *ot_detect_name(struct ot_detect *d, const char *name, size_t len);

enum ot_evidence_kind { OT_EV_STR = 0, OT_EV_U64, OT_EV_BOOL, OT_EV_STRS };

struct ot_evidence {
    const char *key;             /* field name under alert.evidence */
    enum ot_evidence_kind kind;
    struct ot_str s;             /* OT_EV_STR */
    uint64_t u;                  /* OT_EV_U64, OT_EV_BOOL */
    const struct ot_str *list;   /* OT_EV_STRS */
    size_t n;
    bool is_name;                /* a domain name the allowlist should look at */
};

struct ot_alert {
    const struct ot_signature *sig;
    uint64_t ts_us;
    /* Endpoints: from a flow, or given directly (flow NULL). */
    const struct ot_flow *flow;
    bool flow_reversed;          /* src is the flow's server */
    struct ot_addr src, dst;     /* when flow is NULL */
    uint16_t sp, dp;
    bool v6;
    bool has_dst;                /* false: one-sided (a scan over many hosts) */
    uint8_t ip_proto;
    uint8_t severity;            /* 0: the signature's; else overrides it (e.g. by confidence) */
    uint64_t key_extra;          /* merge key beyond sid and endpoints (ot_alert_key); 0 = none */
    struct ot_evidence ev[OT_DETECT_MAX_EVIDENCE];
    size_t n_ev;
};

/* Begin an alert on a flow (src = the flow's client unless `reversed`). */
void ot_alert_init_flow(struct ot_alert *a, const struct ot_signature *sig, uint64_t ts_us,
                        const struct ot_flow *f, bool reversed);
/* Begin an alert between two addresses (dst may be NULL: one-sided). */
void ot_alert_init_addrs(struct ot_alert *a, const struct ot_signature *sig, uint64_t ts_us,
                         const struct ot_addr *src, const struct ot_addr *dst, bool v6,
                         uint8_t ip_proto, uint16_t sp, uint16_t dp);
void ot_alert_str(struct ot_alert *a, const char *key, const char *s, size_t len);
void ot_alert_name(struct ot_alert *a, const char *key, const char *s, size_t len); /* domain */
void ot_alert_u64(struct ot_alert *a, const char *key, uint64_t v);
void ot_alert_bool(struct ot_alert *a, const char *key, bool v);
/*
 * Add bytes to the alert's merge key: alerts of one signature between the
 * same endpoints merge only when their keys are equal too.  Call it with
 * what must not be lost in a merge (the indicator that matched, the user
 * whose password crossed in clear, the tunnel's domain); ASCII letters are
 * folded to lower case, so names that differ only in case still merge.
 */
void ot_alert_key(struct ot_alert *a, const char *s, size_t len);
/* Raise it (copies everything it needs). */
void ot_detect_alert(struct ot_detect *d, const struct ot_detector *det, const struct ot_alert *a);

/* Helpers shared by detectors. */
uint64_t ot_detect_hash_addr(const struct ot_addr *a, uint64_t seed);

#endif
