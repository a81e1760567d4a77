/*
 * Triage rows: alerts, incidents, suppression rules, the audit log and the
 * alert -> incident funnel, written once for both backends.  Every read
 * names the customer (0 only where store.h says "any"/"all"), so one
 * customer's rows never answer another's query.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/store-int.h"

/* ---- statements ---- */

#define ALERT_COLS                                                                                 \
    "id, customer_id, device_id, ts, sid, severity, family, signature, src_ip, dest_ip, "          \
    "src_port, dest_port, entity, count, incident_id, suppressed_by"
static const struct ot_sql SQL_ALERT_ADD = {
    OT_SQL_ALERT_ADD,
    "INSERT INTO alerts (" ALERT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
    "$12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING RETURNING id",
    NULL};
static const struct ot_sql SQL_ALERT_LIST = {
    OT_SQL_ALERT_LIST,
    "SELECT " ALERT_COLS " FROM alerts WHERE customer_id = $1 ORDER BY id DESC LIMIT 10001", NULL};
static const struct ot_sql SQL_ALERT_LIST_INC = {
    OT_SQL_ALERT_LIST_INC,
    "SELECT " ALERT_COLS " FROM alerts WHERE customer_id = $1 AND incident_id = $2 "
    "ORDER BY id LIMIT 10001",
    NULL};

#define INCIDENT_COLS                                                                              \
    "id, customer_id, family, entity, severity, status, resolution, first_seen, last_seen, "       \
    "alert_count, event_count, correlation, related_id, created_at, updated_at"
static const struct ot_sql SQL_INCIDENT_FIND_OPEN = {
    OT_SQL_INCIDENT_FIND_OPEN,
    "SELECT " INCIDENT_COLS " FROM incidents WHERE customer_id = $1 AND family = $2 "
    "AND entity = $3 AND last_seen >= $4 AND status <> 3 ORDER BY last_seen DESC, id DESC LIMIT 1",
    NULL};
static const struct ot_sql SQL_INCIDENT_FIND_RECENT = {
    OT_SQL_INCIDENT_FIND_RECENT,
    "SELECT " INCIDENT_COLS " FROM incidents WHERE customer_id = $1 AND family = $2 "
    "AND entity = $3 AND last_seen >= $4 ORDER BY last_seen DESC, id DESC LIMIT 1",
    NULL};
static const struct ot_sql SQL_INCIDENT_CREATE = {
    OT_SQL_INCIDENT_CREATE,
    "INSERT INTO incidents (customer_id, family, entity, severity, status, resolution, "
    "first_seen, last_seen, alert_count, event_count, correlation, related_id, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
    "RETURNING id",
    NULL};
static const struct ot_sql SQL_INCIDENT_UPDATE = {
    OT_SQL_INCIDENT_UPDATE,
    "UPDATE incidents SET severity = $3, status = $4, resolution = $5, first_seen = $6, "
    "last_seen = $7, alert_count = $8, event_count = $9, correlation = $10, related_id = $11, "
    "updated_at = $12 WHERE id = $1 AND customer_id = $2 RETURNING id",
    NULL};
static const struct ot_sql SQL_INCIDENT_GET = {
    OT_SQL_INCIDENT_GET,
    "SELECT " INCIDENT_COLS " FROM incidents WHERE id = $2 AND ($1 = 0 OR customer_id = $1)", NULL};
#define INCIDENT_STATUS_WHERE "($2 = -1 OR ($2 = -2 AND status <> 3) OR status = $2)"
static const struct ot_sql SQL_INCIDENT_LIST = {
    OT_SQL_INCIDENT_LIST,
    "SELECT " INCIDENT_COLS " FROM incidents WHERE customer_id = $1 AND " INCIDENT_STATUS_WHERE
    " ORDER BY last_seen DESC, id DESC LIMIT $3 OFFSET $4",
    NULL};
static const struct ot_sql SQL_INCIDENT_LIST_ALL = {
    OT_SQL_INCIDENT_LIST_ALL,
    "SELECT " INCIDENT_COLS " FROM incidents WHERE $1 = 0 AND " INCIDENT_STATUS_WHERE
    " ORDER BY last_seen DESC, id DESC LIMIT $3 OFFSET $4",
    NULL};

#define SUPP_COLS "id, customer_id, name, sid, family, src, dest, created_at"
static const struct ot_sql SQL_SUPP_ADD = {
    OT_SQL_SUPP_ADD,
    "INSERT INTO suppressions (customer_id, name, sid, family, src, dest, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (customer_id, name) DO NOTHING "
    "RETURNING id",
    NULL};
static const struct ot_sql SQL_SUPP_DELETE = {
    OT_SQL_SUPP_DELETE, "DELETE FROM suppressions WHERE customer_id = $1 AND id = $2 RETURNING id",
    NULL};
static const struct ot_sql SQL_SUPP_LIST = {
    OT_SQL_SUPP_LIST,
    "SELECT " SUPP_COLS " FROM suppressions WHERE customer_id = $1 ORDER BY id LIMIT 10001", NULL};

#define AUDIT_COLS "id, customer_id, at, actor, action, object, detail"
static const struct ot_sql SQL_AUDIT_ADD = {
    OT_SQL_AUDIT_ADD,
    "INSERT INTO audit (customer_id, at, actor, action, object, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    NULL};
static const struct ot_sql SQL_AUDIT_LIST_OBJECT = {
    OT_SQL_AUDIT_LIST_OBJECT,
    "SELECT " AUDIT_COLS " FROM audit WHERE object = $2 AND ($1 = 0 OR customer_id = $1) "
    "ORDER BY id LIMIT 10001",
    NULL};
static const struct ot_sql SQL_AUDIT_LIST = {
    OT_SQL_AUDIT_LIST,
    "SELECT " AUDIT_COLS " FROM audit WHERE customer_id = $1 ORDER BY id LIMIT 10001", NULL};
static const struct ot_sql SQL_AUDIT_LIST_ALL = {
    OT_SQL_AUDIT_LIST_ALL, "SELECT " AUDIT_COLS " FROM audit ORDER BY id LIMIT 10001", NULL};

/* The funnel: one statement per figure; the _ALL twins leave out the customer ($1 unused). */
#define SUPPRESSED_SUM     "COALESCE(SUM(CASE WHEN suppressed_by <> 0 THEN 1 ELSE 0 END), 0)"
#define INCIDENTS_DISTINCT "COUNT(DISTINCT NULLIF(incident_id, 0))"
static const struct ot_sql SQL_FUNNEL_EVENTS = {
    OT_SQL_FUNNEL_EVENTS,
    "SELECT COUNT(*) FROM events WHERE customer_id = $1 AND received_at >= $2", NULL};
static const struct ot_sql SQL_FUNNEL_EVENTS_ALL = {
    OT_SQL_FUNNEL_EVENTS_ALL, "SELECT COUNT(*) FROM events WHERE $1 = 0 AND received_at >= $2",
    NULL};
static const struct ot_sql SQL_FUNNEL_ALERTS = {OT_SQL_FUNNEL_ALERTS,
                                                "SELECT COUNT(*), " SUPPRESSED_SUM
                                                ", " INCIDENTS_DISTINCT
                                                " FROM alerts WHERE customer_id = $1 AND ts >= $2",
                                                NULL};
static const struct ot_sql SQL_FUNNEL_ALERTS_ALL = {OT_SQL_FUNNEL_ALERTS_ALL,
                                                    "SELECT COUNT(*), " SUPPRESSED_SUM
                                                    ", " INCIDENTS_DISTINCT
                                                    " FROM alerts WHERE $1 = 0 AND ts >= $2",
                                                    NULL};
static const struct ot_sql SQL_FUNNEL_OPEN = {
    OT_SQL_FUNNEL_OPEN,
    "SELECT COUNT(*) FROM incidents WHERE customer_id = $1 AND status <> 3 AND id IN "
    "(SELECT incident_id FROM alerts WHERE customer_id = $1 AND ts >= $2)",
    NULL};
static const struct ot_sql SQL_FUNNEL_OPEN_ALL = {
    OT_SQL_FUNNEL_OPEN_ALL,
    "SELECT COUNT(*) FROM incidents WHERE $1 = 0 AND status <> 3 AND id IN "
    "(SELECT incident_id FROM alerts WHERE ts >= $2)",
    NULL};
static const struct ot_sql SQL_FUNNEL_FAMILIES = {
    OT_SQL_FUNNEL_FAMILIES,
    "SELECT family, COUNT(*), " SUPPRESSED_SUM ", " INCIDENTS_DISTINCT
    " FROM alerts WHERE customer_id = $1 AND ts >= $2 GROUP BY family "
    "ORDER BY COUNT(*) DESC, family LIMIT 10001",
    NULL};
static const struct ot_sql SQL_FUNNEL_FAMILIES_ALL = {
    OT_SQL_FUNNEL_FAMILIES_ALL,
    "SELECT family, COUNT(*), " SUPPRESSED_SUM ", " INCIDENTS_DISTINCT
    " FROM alerts WHERE $1 = 0 AND ts >= $2 GROUP BY family "
    "ORDER BY COUNT(*) DESC, family LIMIT 10001",
    NULL};
static const struct ot_sql SQL_FUNNEL_RULES = {
    OT_SQL_FUNNEL_RULES,
    "SELECT sid, family, MAX(signature), COUNT(*), " SUPPRESSED_SUM ", " INCIDENTS_DISTINCT
    " FROM alerts WHERE customer_id = $1 AND ts >= $2 GROUP BY sid, family "
    "ORDER BY COUNT(*) DESC, sid, family LIMIT 10001",
    NULL};
static const struct ot_sql SQL_FUNNEL_RULES_ALL = {
    OT_SQL_FUNNEL_RULES_ALL,
    "SELECT sid, family, MAX(signature), COUNT(*), " SUPPRESSED_SUM ", " INCIDENTS_DISTINCT
    " FROM alerts WHERE $1 = 0 AND ts >= $2 GROUP BY sid, family "
    "ORDER BY COUNT(*) DESC, sid, family LIMIT 10001",
    NULL};

/* ---- alerts ---- */

/* A repeated id in the queue; rows already in the database are checked at flush. */
static bool queued(const struct ot_store_tx *tx, int64_t id)
{
    for (size_t i = 0; i < tx->nalerts; i++)
        if (tx->alerts[i].id == id)
            return true;
    return false;
}

/*
 * SQLite writes the row at once.  PostgreSQL queues it (one round trip
 * saved per alert) and writes the queue in one statement before the next
 * read of alerts and at commit; a row whose id is already stored is then
 * skipped, and OT_EEXIST is answered only for an id repeated in the queue.
 */
int ot_store_alert_add(struct ot_store_tx *tx, const struct ot_alert_row *a)
{
    if (a->id <= 0 || a->customer_id <= 0 || !ot_text_fits(a->family, sizeof(a->family), true) ||
        !ot_text_fits(a->signature, sizeof(a->signature), true) ||
        !ot_text_fits(a->src_ip, sizeof(a->src_ip), true) ||
        !ot_text_fits(a->dest_ip, sizeof(a->dest_ip), true) ||
        !ot_text_fits(a->entity, sizeof(a->entity), true))
        return OT_EINVAL;
    if (tx->st->ops->alerts_flush) {
        int rc = tx->failed;
        if (rc)
            return rc;
        if (queued(tx, a->id))
            return OT_EEXIST;
        if (tx->nalerts == OT_STORE_ALERT_QUEUE && (rc = ot_store_alerts_flush(tx)))
            return rc;
        if (!tx->alerts && !(tx->alerts = malloc(OT_STORE_ALERT_QUEUE * sizeof(*tx->alerts))))
            return OT_ENOMEM;
        tx->alerts[tx->nalerts++] = *a;
        return 0;
    }
    struct ot_sp p[] = {
        ot_sp_int(a->id),           ot_sp_int(a->customer_id), ot_sp_int(a->device_id),
        ot_sp_int(a->ts),           ot_sp_int(a->sid),         ot_sp_int(a->severity),
        ot_sp_text(a->family),      ot_sp_text(a->signature),  ot_sp_text(a->src_ip),
        ot_sp_text(a->dest_ip),     ot_sp_int(a->src_port),    ot_sp_int(a->dest_port),
        ot_sp_text(a->entity),      ot_sp_int(a->count),       ot_sp_int(a->incident_id),
        ot_sp_int(a->suppressed_by)};
    int64_t id;
    int rc = ot_q_int1(tx, &SQL_ALERT_ADD, p, OT_ARRAY_SIZE(p), &id);
    return rc == OT_ENOENT ? OT_EEXIST : rc;
}

static void read_alert(const struct ot_cur *cur, struct ot_alert_row *a)
{
    a->id = ot_q_int(cur, 0);
    a->customer_id = ot_q_int(cur, 1);
    a->device_id = ot_q_int(cur, 2);
    a->ts = ot_q_int(cur, 3);
    a->sid = ot_q_int(cur, 4);
    a->severity = (int)ot_q_int(cur, 5);
    ot_q_text_copy(cur, 6, a->family, sizeof(a->family));
    ot_q_text_copy(cur, 7, a->signature, sizeof(a->signature));
    ot_q_text_copy(cur, 8, a->src_ip, sizeof(a->src_ip));
    ot_q_text_copy(cur, 9, a->dest_ip, sizeof(a->dest_ip));
    a->src_port = (int)ot_q_int(cur, 10);
    a->dest_port = (int)ot_q_int(cur, 11);
    ot_q_text_copy(cur, 12, a->entity, sizeof(a->entity));
    a->count = ot_q_int(cur, 13);
    a->incident_id = ot_q_int(cur, 14);
    a->suppressed_by = ot_q_int(cur, 15);
}

struct alert_cb {
    int (*cb)(void *ctx, const struct ot_alert_row *a);
    void *ctx;
};

static int alert_row(const struct ot_cur *cur, void *arg)
{
    struct alert_cb *a = arg;
    struct ot_alert_row r;
    read_alert(cur, &r);
    return a->cb(a->ctx, &r);
}

/*
 * incident_id != 0: that incident's alerts, oldest first (customer_id 0 =
 * whichever customer owns it).  incident_id 0: the customer's most recent
 * alerts, newest first (customer_id must be set).
 */
int ot_store_alert_list(struct ot_store_tx *tx, int64_t customer_id, int64_t incident_id,
                        int (*cb)(void *ctx, const struct ot_alert_row *a), void *ctx)
{
    struct alert_cb a = {cb, ctx};
    int rc = ot_store_alerts_flush(tx);
    if (rc)
        return rc;
    if (incident_id && !customer_id) {
        struct ot_incident inc;
        rc = ot_store_incident_get(tx, 0, incident_id, &inc);
        if (rc)
            return rc;
        customer_id = inc.customer_id;
    }
    if (!customer_id)
        return OT_EINVAL;
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_int(incident_id)};
    if (incident_id)
        return ot_q_each(tx, &SQL_ALERT_LIST_INC, p, 2, alert_row, &a);
    return ot_q_each(tx, &SQL_ALERT_LIST, p, 1, alert_row, &a);
}

/* ---- incidents ---- */

static void read_incident(const struct ot_cur *cur, struct ot_incident *i)
{
    i->id = ot_q_int(cur, 0);
    i->customer_id = ot_q_int(cur, 1);
    ot_q_text_copy(cur, 2, i->family, sizeof(i->family));
    ot_q_text_copy(cur, 3, i->entity, sizeof(i->entity));
    i->severity = (int)ot_q_int(cur, 4);
    i->status = (enum ot_incident_status)ot_q_int(cur, 5);
    i->resolution = (enum ot_incident_resolution)ot_q_int(cur, 6);
    i->first_seen = ot_q_int(cur, 7);
    i->last_seen = ot_q_int(cur, 8);
    i->alert_count = ot_q_int(cur, 9);
    i->event_count = ot_q_int(cur, 10);
    ot_q_text_copy(cur, 11, i->correlation, sizeof(i->correlation));
    i->related_id = ot_q_int(cur, 12);
    i->created_at = ot_q_int(cur, 13);
    i->updated_at = ot_q_int(cur, 14);
}

static int incident_one(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p,
                        size_t n, struct ot_incident *out)
{
    struct ot_cur cur;
    int rc = ot_q_open(tx, q, p, n, &cur);
    if (!rc && (rc = ot_q_next(&cur)) == 1) {
        read_incident(&cur, out);
        rc = 0;
    } else if (rc == 0) {
        rc = OT_ENOENT;
    }
    ot_q_done(&cur);
    return rc;
}

int ot_store_incident_find_open(struct ot_store_tx *tx, int64_t customer_id, const char *family,
                                const char *entity, int64_t since, struct ot_incident *out)
{
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_text(family), ot_sp_text(entity),
                        ot_sp_int(since)};
    return incident_one(tx, &SQL_INCIDENT_FIND_OPEN, p, 4, out);
}

int ot_store_incident_find_recent(struct ot_store_tx *tx, int64_t customer_id, const char *family,
                                  const char *entity, int64_t since, struct ot_incident *out)
{
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_text(family), ot_sp_text(entity),
                        ot_sp_int(since)};
    return incident_one(tx, &SQL_INCIDENT_FIND_RECENT, p, 4, out);
}

static bool incident_ok(const struct ot_incident *i)
{
    return i->customer_id > 0 && ot_text_fits(i->family, sizeof(i->family), false) &&
           ot_text_fits(i->entity, sizeof(i->entity), true) &&
           ot_text_fits(i->correlation, sizeof(i->correlation), true) && i->status >= OT_INC_NEW &&
           i->status <= OT_INC_RESOLVED && i->resolution >= OT_RES_NONE &&
           i->resolution <= OT_RES_BENIGN;
}

int ot_store_incident_create(struct ot_store_tx *tx, struct ot_incident *inc)
{
    if (!incident_ok(inc))
        return OT_EINVAL;
    struct ot_sp p[] = {
        ot_sp_int(inc->customer_id), ot_sp_text(inc->family),      ot_sp_text(inc->entity),
        ot_sp_int(inc->severity),    ot_sp_int(inc->status),       ot_sp_int(inc->resolution),
        ot_sp_int(inc->first_seen),  ot_sp_int(inc->last_seen),    ot_sp_int(inc->alert_count),
        ot_sp_int(inc->event_count), ot_sp_text(inc->correlation), ot_sp_int(inc->related_id),
        ot_sp_int(inc->created_at),  ot_sp_int(inc->updated_at)};
    return ot_q_int1(tx, &SQL_INCIDENT_CREATE, p, OT_ARRAY_SIZE(p), &inc->id);
}

/* Writes the changeable fields (not customer, family, entity, created_at); OT_ENOENT if gone. */
int ot_store_incident_update(struct ot_store_tx *tx, const struct ot_incident *inc)
{
    if (!incident_ok(inc))
        return OT_EINVAL;
    struct ot_sp p[] = {
        ot_sp_int(inc->id),           ot_sp_int(inc->customer_id), ot_sp_int(inc->severity),
        ot_sp_int(inc->status),       ot_sp_int(inc->resolution),  ot_sp_int(inc->first_seen),
        ot_sp_int(inc->last_seen),    ot_sp_int(inc->alert_count), ot_sp_int(inc->event_count),
        ot_sp_text(inc->correlation), ot_sp_int(inc->related_id),  ot_sp_int(inc->updated_at)};
    int64_t id;
    return ot_q_int1(tx, &SQL_INCIDENT_UPDATE, p, OT_ARRAY_SIZE(p), &id);
}

int ot_store_incident_get(struct ot_store_tx *tx, int64_t customer_id, int64_t id,
                          struct ot_incident *out)
{
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_int(id)};
    return incident_one(tx, &SQL_INCIDENT_GET, p, 2, out);
}

struct incident_cb {
    int (*cb)(void *ctx, const struct ot_incident *i);
    void *ctx;
};

static int incident_row(const struct ot_cur *cur, void *arg)
{
    struct incident_cb *a = arg;
    struct ot_incident i;
    read_incident(cur, &i);
    return a->cb(a->ctx, &i);
}

/* Most recently active first; a limit above OT_STORE_LIST_MAX is cut to it (and counted). */
int ot_store_incident_list(struct ot_store_tx *tx, const struct ot_incident_filter *f,
                           int (*cb)(void *ctx, const struct ot_incident *i), void *ctx)
{
    struct incident_cb a = {cb, ctx};
    int64_t limit = f->limit ? f->limit : 100;
    if (limit < 0 || f->offset < 0 || f->status < -2 || f->status > OT_INC_RESOLVED)
        return OT_EINVAL;
    if (limit > OT_STORE_LIST_MAX) {
        limit = OT_STORE_LIST_MAX;
        ot_store_count_truncated(tx->st);
    }
    struct ot_sp p[] = {ot_sp_int(f->customer_id), ot_sp_int(f->status), ot_sp_int(limit),
                        ot_sp_int(f->offset)};
    return ot_q_each(tx, f->customer_id ? &SQL_INCIDENT_LIST : &SQL_INCIDENT_LIST_ALL, p, 4,
                     incident_row, &a);
}

/* ---- suppression ---- */

int ot_store_suppression_add(struct ot_store_tx *tx, const struct ot_suppression *s, int64_t *id)
{
    if (!ot_text_fits(s->name, sizeof(s->name), false) ||
        !ot_text_fits(s->family, sizeof(s->family), true) ||
        !ot_text_fits(s->src, sizeof(s->src), true) ||
        !ot_text_fits(s->dest, sizeof(s->dest), true) || s->sid < 0)
        return OT_EINVAL;
    struct ot_customer c;
    int rc = ot_store_customer_get(tx, s->customer_id, &c);
    if (rc)
        return rc;
    struct ot_sp p[] = {ot_sp_int(s->customer_id), ot_sp_text(s->name), ot_sp_int(s->sid),
                        ot_sp_text(s->family),     ot_sp_text(s->src),  ot_sp_text(s->dest),
                        ot_sp_int(s->created_at)};
    int64_t v = 0;
    tx->supp.customer_id = 0;
    rc = ot_q_int1(tx, &SQL_SUPP_ADD, p, OT_ARRAY_SIZE(p), &v);
    if (rc == OT_ENOENT)
        return OT_EEXIST;
    if (!rc && id)
        *id = v;
    return rc;
}

int ot_store_suppression_delete(struct ot_store_tx *tx, int64_t customer_id, int64_t id)
{
    int64_t v;
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_int(id)};
    tx->supp.customer_id = 0;
    return ot_q_int1(tx, &SQL_SUPP_DELETE, p, 2, &v);
}

struct supp_cb {
    int (*cb)(void *ctx, const struct ot_suppression *s);
    void *ctx;
};

static void read_supp(const struct ot_cur *cur, struct ot_suppression *s)
{
    s->id = ot_q_int(cur, 0);
    s->customer_id = ot_q_int(cur, 1);
    ot_q_text_copy(cur, 2, s->name, sizeof(s->name));
    s->sid = ot_q_int(cur, 3);
    ot_q_text_copy(cur, 4, s->family, sizeof(s->family));
    ot_q_text_copy(cur, 5, s->src, sizeof(s->src));
    ot_q_text_copy(cur, 6, s->dest, sizeof(s->dest));
    s->created_at = ot_q_int(cur, 7);
}

static int supp_row(const struct ot_cur *cur, void *arg)
{
    struct supp_cb *a = arg;
    struct ot_suppression s;
    read_supp(cur, &s);
    return a->cb(a->ctx, &s);
}

/* Fills the transaction's cache; 1 (stop) when the customer has more rules than it holds. */
static int supp_cache_row(const struct ot_cur *cur, void *arg)
{
    struct ot_store_tx *tx = arg;
    if (tx->supp.n == OT_STORE_SUPP_CACHE)
        return 1;
    read_supp(cur, &tx->supp.rows[tx->supp.n++]);
    return 0;
}

/* From the transaction's cache when this customer's rules were read in it already. */
int ot_store_suppression_list(struct ot_store_tx *tx, int64_t customer_id,
                              int (*cb)(void *ctx, const struct ot_suppression *s), void *ctx)
{
    struct supp_cb a = {cb, ctx};
    struct ot_sp p[] = {ot_sp_int(customer_id)};
    int rc;
    if (!customer_id || tx->supp.customer_id != customer_id) {
        tx->supp.customer_id = 0;
        tx->supp.n = 0;
        rc = ot_q_each(tx, &SQL_SUPP_LIST, p, 1, supp_cache_row, tx);
        if (rc == 1) /* too many to keep: read them through */
            return ot_q_each(tx, &SQL_SUPP_LIST, p, 1, supp_row, &a);
        if (rc)
            return rc;
        tx->supp.customer_id = customer_id;
    }
    for (size_t i = 0; i < tx->supp.n; i++)
        if ((rc = cb(ctx, &tx->supp.rows[i])))
            return rc;
    return 0;
}

/* ---- audit ---- */

int ot_store_audit_add(struct ot_store_tx *tx, const struct ot_audit *a)
{
    if (a->customer_id < 0 || !ot_text_fits(a->actor, sizeof(a->actor), false) ||
        !ot_text_fits(a->action, sizeof(a->action), false) ||
        !ot_text_fits(a->object, sizeof(a->object), true) ||
        !ot_text_fits(a->detail, sizeof(a->detail), true))
        return OT_EINVAL;
    struct ot_sp p[] = {ot_sp_int(a->customer_id), ot_sp_int(a->at),      ot_sp_text(a->actor),
                        ot_sp_text(a->action),     ot_sp_text(a->object), ot_sp_text(a->detail)};
    int64_t id;
    return ot_q_int1(tx, &SQL_AUDIT_ADD, p, OT_ARRAY_SIZE(p), &id);
}

struct audit_cb {
    int (*cb)(void *ctx, const struct ot_audit *a);
    void *ctx;
};

static int audit_row(const struct ot_cur *cur, void *arg)
{
    struct audit_cb *a = arg;
    struct ot_audit r;
    r.id = ot_q_int(cur, 0);
    r.customer_id = ot_q_int(cur, 1);
    r.at = ot_q_int(cur, 2);
    ot_q_text_copy(cur, 3, r.actor, sizeof(r.actor));
    ot_q_text_copy(cur, 4, r.action, sizeof(r.action));
    ot_q_text_copy(cur, 5, r.object, sizeof(r.object));
    ot_q_text_copy(cur, 6, r.detail, sizeof(r.detail));
    return a->cb(a->ctx, &r);
}

/* Oldest first. */
int ot_store_audit_list(struct ot_store_tx *tx, int64_t customer_id, const char *object,
                        int (*cb)(void *ctx, const struct ot_audit *a), void *ctx)
{
    struct audit_cb a = {cb, ctx};
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_text(object ? object : "")};
    const struct ot_sql *q = object        ? &SQL_AUDIT_LIST_OBJECT
                             : customer_id ? &SQL_AUDIT_LIST
                                           : &SQL_AUDIT_LIST_ALL;
    return ot_q_each(tx, q, p, object ? 2 : customer_id ? 1 : 0, audit_row, &a);
}

/* ---- funnel ---- */

struct funnel_cb {
    int (*cb)(void *ctx, const struct ot_funnel_row *r);
    void *ctx;
};

static int family_row(const struct ot_cur *cur, void *arg)
{
    struct funnel_cb *a = arg;
    struct ot_funnel_row r = {0};
    ot_q_text_copy(cur, 0, r.family, sizeof(r.family));
    r.alerts = ot_q_int(cur, 1);
    r.suppressed = ot_q_int(cur, 2);
    r.incidents = ot_q_int(cur, 3);
    return a->cb(a->ctx, &r);
}

static int rule_row(const struct ot_cur *cur, void *arg)
{
    struct funnel_cb *a = arg;
    struct ot_funnel_row r = {0};
    r.sid = ot_q_int(cur, 0);
    ot_q_text_copy(cur, 1, r.family, sizeof(r.family));
    ot_q_text_copy(cur, 2, r.signature, sizeof(r.signature));
    r.alerts = ot_q_int(cur, 3);
    r.suppressed = ot_q_int(cur, 4);
    r.incidents = ot_q_int(cur, 5);
    return a->cb(a->ctx, &r);
}

/*
 * Events received since `since`; alerts (by their own timestamp) since
 * `since`, how many were suppressed, the distinct incidents they joined and
 * how many of those are still open.  Then the same per family and per rule.
 */
int ot_store_funnel(struct ot_store_tx *tx, int64_t customer_id, int64_t since,
                    struct ot_funnel_totals *tot,
                    int (*cb)(void *ctx, const struct ot_funnel_row *r), void *ctx)
{
    bool all = customer_id == 0;
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_int(since)};
    struct ot_cur cur;
    memset(tot, 0, sizeof(*tot));
    int rc = ot_store_alerts_flush(tx);
    if (rc)
        return rc;
    rc = ot_q_int1(tx, all ? &SQL_FUNNEL_EVENTS_ALL : &SQL_FUNNEL_EVENTS, p, 2, &tot->events);
    if (rc)
        return rc;
    rc = ot_q_open(tx, all ? &SQL_FUNNEL_ALERTS_ALL : &SQL_FUNNEL_ALERTS, p, 2, &cur);
    if (!rc && (rc = ot_q_next(&cur)) == 1) {
        tot->alerts = ot_q_int(&cur, 0);
        tot->suppressed = ot_q_int(&cur, 1);
        tot->incidents = ot_q_int(&cur, 2);
        rc = 0;
    }
    ot_q_done(&cur);
    if (rc)
        return rc;
    rc = ot_q_int1(tx, all ? &SQL_FUNNEL_OPEN_ALL : &SQL_FUNNEL_OPEN, p, 2, &tot->incidents_open);
    if (rc || !cb)
        return rc;
    struct funnel_cb a = {cb, ctx};
    rc = ot_q_each(tx, all ? &SQL_FUNNEL_FAMILIES_ALL : &SQL_FUNNEL_FAMILIES, p, 2, family_row, &a);
    if (rc)
        return rc;
    return ot_q_each(tx, all ? &SQL_FUNNEL_RULES_ALL : &SQL_FUNNEL_RULES, p, 2, rule_row, &a);
}
