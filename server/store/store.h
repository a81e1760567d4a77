/*
 * The server's store: customers, sites, enrolment tokens, devices, events,
 * alerts, incidents, suppression rules and the audit log, in SQLite (the
 * embedded default) or PostgreSQL (for providers, and for several server
 * processes sharing one database).  One interface, two backends; the SQL is
 * written once where the two dialects agree and per backend where they do not.
 *
 * Threads: a struct ot_store is shared by all threads; it hands out one
 * connection per transaction from a bounded pool.  A transaction is used by
 * one thread at a time.
 *
 * Errors: 0 or a negative enum ot_err.  OT_EAGAIN means the database is
 * unavailable, busy beyond the timeout, or full: the caller answers 503 and
 * nothing of the transaction is kept.  OT_ENOENT: no such row.  OT_EEXIST: a
 * unique name is taken.  Times are microseconds since the Unix epoch.
 *
 * Tenancy: every function that reads or changes customer data takes the
 * customer id explicitly (0 only where a provider-wide admin call means
 * "all customers").  Callers take it from the credential, never from a
 * payload.
 *
 * Bounds: a list call hands at most OT_STORE_LIST_MAX rows to its
 * callback (counted in ot_store_stats().list_truncated when cut).  Texts
 * that do not fit the struct field that reads them back are refused with
 * OT_EINVAL rather than cut.  A callback may run other store calls on the
 * same transaction.
 *
 * Layout: store.c (pool, transactions, migrations), store-tenants.c
 * (customers .. events), store-triage.c (alerts .. funnel) over a backend
 * vtable (store-int.h) implemented by store-sqlite.c and store-pg.c.
 */
#ifndef OT_SERVER_STORE_H
#define OT_SERVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ot_store;
struct ot_store_tx;

/* Rows one list call hands to its callback at most (the statements say LIMIT 10001). */
#define OT_STORE_LIST_MAX 10000
/* Connections one store keeps at most. */
#define OT_STORE_POOL_MAX 256

enum ot_store_kind { OT_STORE_SQLITE = 1, OT_STORE_PG = 2 };

/*
 * Opens the store named by url: "sqlite:PATH" or a plain path for SQLite
 * (WAL, synchronous=FULL, so a commit survives power loss; the file is
 * created 0600), or "postgresql://..." / "postgres://..." for PostgreSQL
 * (libpq URL; connect_timeout defaults to 5 s).  Creates or upgrades the
 * schema (version in meta "schema_version"; a newer database than this
 * build is refused with OT_EUNSUPP).  pool: connections kept (1 ..
 * OT_STORE_POOL_MAX; the first is made now, the others on first use).  On failure writes a
 * one-line reason into err: OT_EINVAL bad URL, OT_EAGAIN database
 * unreachable or unwritable.
 */
int ot_store_open(const char *url, unsigned pool, struct ot_store **out /* OUT */, char *err,
                  size_t errlen);
void ot_store_close(struct ot_store *st);
enum ot_store_kind ot_store_kind(const struct ot_store *st);

/*
 * Starts a transaction on a pooled connection.  write=true takes the write
 * lock up front (SQLite BEGIN IMMEDIATE), so two writers never deadlock on an
 * upgrade; SQLite writers wait at most 5 s for it, then OT_EAGAIN.  Blocks
 * while every pooled connection is in use.  A PostgreSQL connection that
 * was lost (server restart) is reset here; OT_EAGAIN while the server is
 * away.
 */
int ot_store_begin(struct ot_store *st, bool write, struct ot_store_tx **out /* OUT */);
/*
 * Commits and returns the connection to the pool; the tx is gone either way.
 * After any OT_EAGAIN inside the transaction (and after any error at all on
 * PostgreSQL, where a failed statement aborts the transaction) commit rolls
 * back and returns that error.  OT_EAGAIN from commit itself (connection
 * lost during COMMIT) means the outcome is unknown: callers resend, and the
 * event_id keys make the resend harmless.
 */
int ot_store_commit(struct ot_store_tx *tx);
void ot_store_rollback(struct ot_store_tx *tx);
/*
 * Serialises triage for one customer across every process on the database
 * until the transaction ends (PostgreSQL: pg_advisory_xact_lock; SQLite: the
 * write transaction already does).
 */
int ot_store_lock_customer(struct ot_store_tx *tx, int64_t customer_id);
/* The last error's text from the database, for logs (never for clients). */
const char *ot_store_errmsg(const struct ot_store_tx *tx);

/* Counters of the pool and of bounds that were hit, for the health page and logs. */
struct ot_store_stats {
    uint64_t begins;         /* transactions started */
    uint64_t waits;          /* begins that waited for a free pooled connection */
    uint64_t unavailable;    /* calls that answered OT_EAGAIN */
    uint64_t reconnects;     /* PostgreSQL connections re-established after a loss */
    uint64_t list_truncated; /* list calls stopped at 10,000 rows (OT_STORE_LIST_MAX) */
    uint64_t statements;     /* statements sent (PostgreSQL: round trips) by ended transactions */
};
void ot_store_stats(struct ot_store *st, struct ot_store_stats *out /* OUT */);

/* Key/value settings of the server itself (admin key hash, CA fingerprint). */
int ot_store_meta_get(struct ot_store_tx *tx, const char *key, char *val, size_t len);
int ot_store_meta_set(struct ot_store_tx *tx, const char *key, const char *val);

/* ---- customers and sites ---- */

struct ot_customer {
    int64_t id;
    char name[128];
    int64_t created_at;
};
struct ot_site {
    int64_t id;
    int64_t customer_id;
    char name[128];
    int64_t created_at;
};
int ot_store_customer_add(struct ot_store_tx *tx, const char *name, int64_t now,
                          int64_t *id /* OUT */);
int ot_store_customer_get(struct ot_store_tx *tx, int64_t id, struct ot_customer *out /* OUT */);
/* Calls cb for each customer in id order; a non-zero return from cb stops and is returned. */
int ot_store_customer_list(struct ot_store_tx *tx,
                           int (*cb)(void *ctx, const struct ot_customer *c), void *ctx);
int ot_store_site_add(struct ot_store_tx *tx, int64_t customer_id, const char *name, int64_t now,
                      int64_t *id /* OUT */);
int ot_store_site_get(struct ot_store_tx *tx, int64_t customer_id, int64_t id,
                      struct ot_site *out /* OUT */);
int ot_store_site_list(struct ot_store_tx *tx, int64_t customer_id,
                       int (*cb)(void *ctx, const struct ot_site *s), void *ctx);

/* ---- enrolment tokens and devices ---- */

/*
 * Tokens and device credentials are random secrets; the store keeps only
 * their SHA-256 (hash[32]).  A token is used once.
 */
struct ot_token {
    int64_t id;
    int64_t customer_id;
    int64_t site_id;
    char kind[16]; /* "sensor", later "agent" */
    int64_t expires_at;
    int64_t used_at; /* 0 = unused */
    int64_t device_id;
};
int ot_store_token_add(struct ot_store_tx *tx, const struct ot_token *t, const uint8_t hash[32],
                       int64_t now, int64_t *id /* OUT */);
/*
 * Marks the token used by device_id, atomically: of two concurrent
 * enrolments with one token exactly one succeeds.  Returns OT_ENOENT
 * (unknown), OT_EEXIST (already used) or OT_ELIMIT (expired: expires_at <=
 * now); fills out on success and on OT_EEXIST / OT_ELIMIT.  Use a write
 * transaction.  ot_store_token_add: OT_ENOENT when the customer does not
 * exist or site_id (0 = none) is not one of its sites.
 */
int ot_store_token_consume(struct ot_store_tx *tx, const uint8_t hash[32], int64_t now,
                           struct ot_token *out /* OUT */);
int ot_store_token_bind(struct ot_store_tx *tx, int64_t token_id, int64_t device_id);

struct ot_device {
    int64_t id;
    int64_t customer_id;
    int64_t site_id;
    char name[128];
    char kind[16];
    int64_t created_at;
    int64_t revoked_at;    /* 0 = active */
    int64_t last_seen;     /* last accepted request */
    int64_t spool_dropped; /* events its spool dropped, as it reported */
    int64_t events;        /* events accepted from it */
};
/* OT_ENOENT when the customer or its site is unknown, OT_EEXIST for a credential in use. */
int ot_store_device_add(struct ot_store_tx *tx, const struct ot_device *d,
                        const uint8_t cred_hash[32], int64_t *id /* OUT */);
/* The device whose credential hashes to cred_hash (revoked ones too: check revoked_at). */
int ot_store_device_by_cred(struct ot_store_tx *tx, const uint8_t cred_hash[32],
                            struct ot_device *out /* OUT */);
int ot_store_device_get(struct ot_store_tx *tx, int64_t customer_id /* 0 = any */, int64_t id,
                        struct ot_device *out /* OUT */);
int ot_store_device_list(struct ot_store_tx *tx, int64_t customer_id /* 0 = all */,
                         int (*cb)(void *ctx, const struct ot_device *d), void *ctx);
/* Revoking twice keeps the first time; OT_ENOENT for an unknown device. */
int ot_store_device_revoke(struct ot_store_tx *tx, int64_t id, int64_t now);
/* After an accepted batch: last_seen = now, events += accepted, spool_dropped += dropped. */
int ot_store_device_seen(struct ot_store_tx *tx, int64_t id, int64_t now, int64_t accepted,
                         int64_t dropped);

/* ---- events ---- */

/* One validated NDJSON line of an ingest batch. */
struct ot_store_event {
    const char *event_id; /* the idempotency key, unique per customer */
    size_t event_id_len;
    const char *event_type;
    size_t event_type_len;
    int64_t ts;       /* the event's own timestamp */
    const char *body; /* the line as received (valid UTF-8 JSON object) */
    size_t body_len;
    /* filled by ot_store_events_insert: */
    bool duplicate;  /* this customer already had this event_id */
    int64_t row_id;  /* the stored row (of the first copy when duplicate) */
};
/*
 * Stores the events under (customer_id, device_id), skipping those whose
 * event_id the customer already has (marked duplicate), in this batch or
 * an earlier one.  PostgreSQL inserts the batch in one statement; SQLite
 * with one prepared statement.  OT_EINVAL (nothing stored) when an event
 * has an empty event_id or event_type, or a NUL byte in a text.
 */
int ot_store_events_insert(struct ot_store_tx *tx, int64_t customer_id, int64_t device_id,
                           int64_t received_at, struct ot_store_event *ev, size_t n);
int64_t ot_store_events_count(struct ot_store_tx *tx, int64_t customer_id /* 0 = all */);

/* ---- alerts, incidents, suppression ---- */

enum ot_incident_status {
    OT_INC_NEW = 0,
    OT_INC_ACKNOWLEDGED = 1,
    OT_INC_IN_PROGRESS = 2,
    OT_INC_RESOLVED = 3,
};
enum ot_incident_resolution {
    OT_RES_NONE = 0,
    OT_RES_TRUE_POSITIVE = 1,
    OT_RES_FALSE_POSITIVE = 2,
    OT_RES_BENIGN = 3,
};

struct ot_alert_row {
    int64_t id;       /* = the event's row id */
    int64_t customer_id;
    int64_t device_id;
    int64_t ts;
    int64_t sid;
    int severity;     /* 1 high .. 3 low */
    char family[32];  /* alert.category */
    char signature[160];
    char src_ip[48];
    char dest_ip[48];
    int src_port, dest_port;
    char entity[64];  /* the key entity triage grouped by */
    int64_t count;    /* the sensor's merged repeat count (>= 1) */
    int64_t incident_id;   /* 0 = none (suppressed) */
    int64_t suppressed_by; /* suppression rule id, 0 = none */
};
/*
 * SQLite writes the row at once (OT_EEXIST for an id stored already).
 * PostgreSQL queues it and writes the queue in one statement before the
 * next alert read (list, funnel) and at commit, saving a round trip per
 * alert; an id stored already is then skipped, and OT_EEXIST is answered
 * only for an id repeated within the queue.
 */
int ot_store_alert_add(struct ot_store_tx *tx, const struct ot_alert_row *a);
/*
 * incident_id != 0: that incident's alerts, oldest first (customer_id 0 =
 * whichever customer owns it).  incident_id 0: the customer's most recent
 * alerts, newest first (customer_id must be set, else OT_EINVAL).
 */
int ot_store_alert_list(struct ot_store_tx *tx, int64_t customer_id, int64_t incident_id,
                        int (*cb)(void *ctx, const struct ot_alert_row *a), void *ctx);

struct ot_incident {
    int64_t id;
    int64_t customer_id;
    char family[32];
    char entity[64];
    int severity;
    enum ot_incident_status status;
    enum ot_incident_resolution resolution;
    int64_t first_seen, last_seen; /* of its alerts' timestamps */
    int64_t alert_count;           /* alerts joined (each may carry a sensor count) */
    int64_t event_count;           /* sum of the alerts' counts */
    char correlation[48];          /* correlation rule that raised it, "" = none */
    int64_t related_id;            /* incident it was correlated with, 0 = none */
    int64_t created_at, updated_at;
};
/*
 * The open (not resolved) incident of this customer, family and entity whose
 * last_seen >= since; OT_ENOENT when none.
 */
int ot_store_incident_find_open(struct ot_store_tx *tx, int64_t customer_id, const char *family,
                                const char *entity, int64_t since,
                                struct ot_incident *out /* OUT */);
/*
 * The most recent incident (any status) of this customer and family whose
 * entity is `entity` and last_seen >= since; for correlation.
 */
int ot_store_incident_find_recent(struct ot_store_tx *tx, int64_t customer_id,
                                  const char *family, const char *entity, int64_t since,
                                  struct ot_incident *out /* OUT */);
int ot_store_incident_create(struct ot_store_tx *tx, struct ot_incident *inc /* id set */);
/*
 * Writes severity, status, resolution, first/last_seen, the counts,
 * correlation, related_id and updated_at of the incident (id, customer_id);
 * OT_ENOENT when this customer has no such incident.
 */
int ot_store_incident_update(struct ot_store_tx *tx, const struct ot_incident *inc);
int ot_store_incident_get(struct ot_store_tx *tx, int64_t customer_id /* 0 = any */, int64_t id,
                          struct ot_incident *out /* OUT */);

struct ot_incident_filter {
    int64_t customer_id; /* 0 = all */
    int status;          /* -1 = any, -2 = any but resolved */
    int64_t limit;       /* 0 = 100; at most 10,000 */
    int64_t offset;
};
/* Most recently active (last_seen) first. */
int ot_store_incident_list(struct ot_store_tx *tx, const struct ot_incident_filter *f,
                           int (*cb)(void *ctx, const struct ot_incident *i), void *ctx);

/* A customer's rule: an alert matching every non-empty field is suppressed. */
struct ot_suppression {
    int64_t id;
    int64_t customer_id;
    char name[128];
    int64_t sid;       /* 0 = any */
    char family[32];   /* "" = any */
    char src[64];      /* IP or CIDR, "" = any */
    char dest[64];
    int64_t created_at;
};
/* OT_EEXIST when the customer has a rule of that name, OT_ENOENT for an unknown customer. */
int ot_store_suppression_add(struct ot_store_tx *tx, const struct ot_suppression *s,
                             int64_t *id /* OUT */);
int ot_store_suppression_delete(struct ot_store_tx *tx, int64_t customer_id, int64_t id);
/*
 * In id order.  Triage asks once per alert, so the first answer in a
 * transaction is kept (up to 64 rules) and served again until the
 * transaction adds or deletes a rule or ends.
 */
int ot_store_suppression_list(struct ot_store_tx *tx, int64_t customer_id,
                              int (*cb)(void *ctx, const struct ot_suppression *s), void *ctx);

/* ---- audit ---- */

struct ot_audit {
    int64_t id;
    int64_t customer_id; /* 0 = provider-wide */
    int64_t at;
    char actor[64];      /* "admin", "device:12", ... */
    char action[48];     /* "incident.status", "device.revoke", ... */
    char object[64];     /* "incident:7" */
    char detail[512];    /* JSON text: what changed from what to what */
};
int ot_store_audit_add(struct ot_store_tx *tx, const struct ot_audit *a);
/* Oldest first. */
int ot_store_audit_list(struct ot_store_tx *tx, int64_t customer_id /* 0 = all */,
                        const char *object /* NULL = all */,
                        int (*cb)(void *ctx, const struct ot_audit *a), void *ctx);

/* ---- the alert -> incident funnel, for tuning ---- */

struct ot_funnel_row {
    int64_t sid;          /* 0 in the per-family rows */
    char family[32];
    char signature[160];
    int64_t alerts;       /* alerts stored */
    int64_t suppressed;   /* of which suppressed */
    int64_t incidents;    /* distinct incidents they joined */
};
struct ot_funnel_totals {
    int64_t events, alerts, suppressed, incidents, incidents_open;
};
/*
 * Totals since `since`: events by received_at; alerts by their own ts, the
 * suppressed ones, the distinct incidents they joined and how many of those
 * are not resolved.  Then cb (may be NULL) once per family (sid = 0) and
 * once per (sid, family), most alerts first.
 */
int ot_store_funnel(struct ot_store_tx *tx, int64_t customer_id /* 0 = all */, int64_t since,
                    struct ot_funnel_totals *tot /* OUT */,
                    int (*cb)(void *ctx, const struct ot_funnel_row *r), void *ctx);

#endif
