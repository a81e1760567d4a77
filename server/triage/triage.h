/*
 * Triage: turns a customer's alerts into incidents (see docs/server/design.md
 * "Triage").  Runs inside the ingest transaction, after the alert's event row
 * was stored, so the alert, its incident and the event commit or vanish
 * together.  The rules (family -> key entity and window; correlation pairs)
 * are tables in triage-rules.c and triage-correlate.c.
 */
#ifndef OT_SERVER_TRIAGE_H
#define OT_SERVER_TRIAGE_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

struct ot_triage_conf {
    int64_t window_us;      /* default grouping window (24 h) */
    const char *home_nets;  /* comma-separated CIDRs; NULL = RFC 1918 + ULA */
};
void ot_triage_conf_defaults(struct ot_triage_conf *c);

struct ot_triage;
int ot_triage_new(const struct ot_triage_conf *c, struct ot_triage **out /* OUT */);
void ot_triage_free(struct ot_triage *t);

struct ot_triage_result {
    int64_t incident_id;   /* 0 when suppressed */
    int64_t suppressed_by; /* rule id, 0 = not suppressed */
    bool created;          /* a new incident was opened */
    const char *correlation; /* rule that raised severity, NULL = none */
};

/*
 * Triage one new (non-duplicate) alert event of customer_id.  event is the
 * parsed line (event_type "alert"); event_row is its stored row id.  Writes
 * the alert row, joins or opens the incident, applies suppression and
 * correlation.  Returns 0, OT_EINVAL when the alert lacks alert.category /
 * signature_id (stored as an event but not triaged; the caller counts it),
 * or a store error (the caller rolls back).
 */
int ot_triage_alert(struct ot_triage *t, struct ot_store_tx *tx, int64_t customer_id,
                    int64_t device_id, int64_t event_row, const json_t *event,
                    struct ot_triage_result *out /* OUT */);

/*
 * Some non-alert events matter to correlation (a successful login after
 * password guessing).  Called for every new event; cheap for the others.
 */
int ot_triage_event(struct ot_triage *t, struct ot_store_tx *tx, int64_t customer_id,
                    const json_t *event);

#endif
