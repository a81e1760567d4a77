/*
 * Triage: turns a customer's alerts into incidents (see docs/server/design.md
 * "Triage").  Runs inside the ingest transaction, after the alert's event row
 * was stored, so the alert, its incident and the event commit or vanish
 * together.  The rules (family -> key entity and window; correlation pairs)
 * are tables in triage-rules.c and triage-correlate.c; docs/server/triage.md
 * explains them.  The caller takes ot_store_lock_customer() before the first
 * triage call of a transaction.  One struct ot_triage serves every ingest
 * thread (its only mutable state, a bounded memory of recent successful
 * logins and the counters, is behind a mutex).
 */
#ifndef OT_SERVER_TRIAGE_H
#define OT_SERVER_TRIAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct ot_triage_conf {
    int64_t window_us;     /* default grouping window (24 h) */
    const char *home_nets; /* comma-separated CIDRs; NULL = OT_HOMENET_DEFAULT (triage-int.h) */
};
void ot_triage_conf_defaults(struct ot_triage_conf *c);

struct ot_triage;
/* OT_EINVAL (logged) for a bad window or home-net list; home_nets is copied. */
int ot_triage_new(const struct ot_triage_conf *c, struct ot_triage **out /* OUT */);
void ot_triage_free(struct ot_triage *t);

/* Counters since ot_triage_new (attempts: a rolled-back transaction still counts). */
struct ot_triage_stats {
    uint64_t created, joined;  /* alerts that opened / joined an incident */
    uint64_t suppressed;       /* alerts a customer's rule suppressed */
    uint64_t correlated;       /* calls where a correlation rule raised an incident */
    uint64_t invalid;          /* alerts not triaged (OT_EINVAL) */
    uint64_t logins_seen;      /* successful logins remembered for bruteforce-login */
    uint64_t logins_forgotten; /* remembered logins pushed out by newer ones (bound hit) */
};
void ot_triage_get_stats(struct ot_triage *t, struct ot_triage_stats *out /* OUT */);

struct ot_triage_result {
    int64_t incident_id;     /* 0 when suppressed */
    int64_t suppressed_by;   /* rule id, 0 = not suppressed */
    bool created;            /* a new incident was opened */
    const char *correlation; /* rule that raised severity, NULL = none */
};

/*
 * Triage one new (non-duplicate) alert event of customer_id.  event is the
 * parsed line (event_type "alert"); event_row is its stored row id.  Writes
 * the alert row, joins or opens the incident, applies suppression and
 * correlation.  Returns 0, OT_EINVAL when the alert lacks alert.category /
 * signature_id or has a malformed field triage reads (severity not 1-3,
 * timestamp not RFC 3339, src_ip not an address: see ot_triage_parse_alert
 * in triage-int.h; stored as an event but not triaged; the caller counts
 * it), or a store error (the caller rolls back).  out->correlation points
 * to a static string.
 */
int ot_triage_alert(struct ot_triage *t, struct ot_store_tx *tx, int64_t customer_id,
                    int64_t device_id, int64_t event_row, const json_t *event,
                    struct ot_triage_result *out /* OUT */);

/*
 * Some non-alert events matter to correlation (a successful login after
 * password guessing: a login event of ftp/telnet/pop3/imap/smtp with
 * login_result "success", or an http request with basic_auth answered
 * 2xx/3xx).  Called for every new event; cheap for the others (alerts
 * included: they are ot_triage_alert's).  Returns 0 or a store error.
 */
int ot_triage_event(struct ot_triage *t, struct ot_store_tx *tx, int64_t customer_id,
                    const json_t *event);

/*
 * The family name to use for catalogue keys (incident.<family>.title, ...):
 * family itself when the triage table knows it, else "other".  Static.
 */
const char *ot_triage_catalog_family(const char *family);

#endif
