/*
 * Tenancy and ingest rows: customers, sites, enrolment tokens, devices and
 * events, written once for both backends over the query helpers of
 * store-int.h.  Names are refused (OT_EINVAL) when empty or longer than the
 * struct field that reads them back, so nothing stored is ever cut short.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/store-int.h"

/* ---- statements ---- */

static const struct ot_sql SQL_CUSTOMER_ADD = {
    OT_SQL_CUSTOMER_ADD,
    "INSERT INTO customers (name, created_at) VALUES ($1, $2) "
    "ON CONFLICT (name) DO NOTHING RETURNING id",
    NULL};
static const struct ot_sql SQL_CUSTOMER_GET = {
    OT_SQL_CUSTOMER_GET, "SELECT id, name, created_at FROM customers WHERE id = $1", NULL};
static const struct ot_sql SQL_CUSTOMER_LIST = {
    OT_SQL_CUSTOMER_LIST, "SELECT id, name, created_at FROM customers ORDER BY id LIMIT 10001",
    NULL};
static const struct ot_sql SQL_SITE_ADD = {
    OT_SQL_SITE_ADD,
    "INSERT INTO sites (customer_id, name, created_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (customer_id, name) DO NOTHING RETURNING id",
    NULL};
static const struct ot_sql SQL_SITE_GET = {
    OT_SQL_SITE_GET,
    "SELECT id, customer_id, name, created_at FROM sites WHERE customer_id = $1 AND id = $2", NULL};
static const struct ot_sql SQL_SITE_LIST = {
    OT_SQL_SITE_LIST,
    "SELECT id, customer_id, name, created_at FROM sites WHERE customer_id = $1 "
    "ORDER BY id LIMIT 10001",
    NULL};

#define TOKEN_COLS "id, customer_id, site_id, kind, expires_at, used_at, device_id"
static const struct ot_sql SQL_TOKEN_ADD = {
    OT_SQL_TOKEN_ADD,
    "INSERT INTO tokens (customer_id, site_id, kind, hash, created_at, expires_at) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING RETURNING id",
    NULL};
/* One UPDATE decides: of two concurrent consumers the row lock lets one through. */
static const struct ot_sql SQL_TOKEN_CONSUME = {
    OT_SQL_TOKEN_CONSUME,
    "UPDATE tokens SET used_at = $2 WHERE hash = $1 AND used_at = 0 AND expires_at > $2 "
    "RETURNING " TOKEN_COLS,
    NULL};
static const struct ot_sql SQL_TOKEN_BY_HASH = {
    OT_SQL_TOKEN_BY_HASH, "SELECT " TOKEN_COLS " FROM tokens WHERE hash = $1", NULL};
static const struct ot_sql SQL_TOKEN_BIND = {
    OT_SQL_TOKEN_BIND, "UPDATE tokens SET device_id = $2 WHERE id = $1 RETURNING id", NULL};

#define DEVICE_COLS                                                                                \
    "id, customer_id, site_id, name, kind, created_at, revoked_at, last_seen, spool_dropped, "     \
    "events"
static const struct ot_sql SQL_DEVICE_ADD = {
    OT_SQL_DEVICE_ADD,
    "INSERT INTO devices (customer_id, site_id, name, kind, cred_hash, created_at, revoked_at, "
    "last_seen, spool_dropped, events) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
    "ON CONFLICT (cred_hash) DO NOTHING RETURNING id",
    NULL};
static const struct ot_sql SQL_DEVICE_BY_CRED = {
    OT_SQL_DEVICE_BY_CRED, "SELECT " DEVICE_COLS " FROM devices WHERE cred_hash = $1", NULL};
static const struct ot_sql SQL_DEVICE_GET = {
    OT_SQL_DEVICE_GET,
    "SELECT " DEVICE_COLS " FROM devices WHERE id = $2 AND ($1 = 0 OR customer_id = $1)", NULL};
static const struct ot_sql SQL_DEVICE_LIST = {OT_SQL_DEVICE_LIST,
                                              "SELECT " DEVICE_COLS
                                              " FROM devices WHERE ($1 = 0 OR customer_id = $1) "
                                              "ORDER BY id LIMIT 10001",
                                              NULL};
static const struct ot_sql SQL_DEVICE_REVOKE = {
    OT_SQL_DEVICE_REVOKE,
    "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at = 0 RETURNING id", NULL};
static const struct ot_sql SQL_DEVICE_EXISTS = {OT_SQL_DEVICE_EXISTS,
                                                "SELECT id FROM devices WHERE id = $1", NULL};
static const struct ot_sql SQL_DEVICE_SEEN = {
    OT_SQL_DEVICE_SEEN,
    "UPDATE devices SET last_seen = CASE WHEN $2 > last_seen THEN $2 ELSE last_seen END, "
    "events = events + $3, spool_dropped = spool_dropped + $4 WHERE id = $1 RETURNING id",
    NULL};

static const struct ot_sql SQL_EVENT_INSERT = {
    OT_SQL_EVENT_INSERT,
    "INSERT INTO events (customer_id, device_id, event_id, event_type, ts, received_at, body) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (customer_id, event_id) DO NOTHING RETURNING id",
    NULL};
static const struct ot_sql SQL_EVENT_ID = {
    OT_SQL_EVENT_ID, "SELECT id FROM events WHERE customer_id = $1 AND event_id = $2", NULL};
static const struct ot_sql SQL_EVENTS_COUNT = {
    OT_SQL_EVENTS_COUNT, "SELECT COUNT(*) FROM events WHERE customer_id = $1", NULL};
static const struct ot_sql SQL_EVENTS_COUNT_ALL = {OT_SQL_EVENTS_COUNT_ALL,
                                                   "SELECT COUNT(*) FROM events", NULL};

/* ---- helpers ---- */

/* Runs an INSERT ... RETURNING id: OT_EEXIST when it returned nothing (a conflict). */
static int insert_id(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p,
                     size_t n, int64_t *id)
{
    int64_t v = 0;
    int rc = ot_q_int1(tx, q, p, n, &v);
    if (rc == OT_ENOENT)
        return OT_EEXIST;
    if (rc == 0 && id)
        *id = v;
    return rc;
}

/* Does the customer exist (and, when site_id != 0, own that site)? */
static int check_owner(struct ot_store_tx *tx, int64_t customer_id, int64_t site_id)
{
    struct ot_customer c;
    int rc = ot_store_customer_get(tx, customer_id, &c);
    if (rc || !site_id)
        return rc;
    struct ot_site s;
    return ot_store_site_get(tx, customer_id, site_id, &s);
}

/* ---- customers and sites ---- */

int ot_store_customer_add(struct ot_store_tx *tx, const char *name, int64_t now, int64_t *id)
{
    if (!ot_text_fits(name, sizeof(((struct ot_customer *)0)->name), false))
        return OT_EINVAL;
    struct ot_sp p[] = {ot_sp_text(name), ot_sp_int(now)};
    return insert_id(tx, &SQL_CUSTOMER_ADD, p, 2, id);
}

static void read_customer(const struct ot_cur *cur, struct ot_customer *c)
{
    c->id = ot_q_int(cur, 0);
    ot_q_text_copy(cur, 1, c->name, sizeof(c->name));
    c->created_at = ot_q_int(cur, 2);
}

int ot_store_customer_get(struct ot_store_tx *tx, int64_t id, struct ot_customer *out)
{
    struct ot_sp p[] = {ot_sp_int(id)};
    struct ot_cur cur;
    int rc = ot_q_open(tx, &SQL_CUSTOMER_GET, p, 1, &cur);
    if (!rc && (rc = ot_q_next(&cur)) == 1) {
        read_customer(&cur, out);
        rc = 0;
    } else if (rc == 0) {
        rc = OT_ENOENT;
    }
    ot_q_done(&cur);
    return rc;
}

struct customer_cb {
    int (*cb)(void *ctx, const struct ot_customer *c);
    void *ctx;
};

static int customer_row(const struct ot_cur *cur, void *arg)
{
    struct customer_cb *a = arg;
    struct ot_customer c;
    read_customer(cur, &c);
    return a->cb(a->ctx, &c);
}

int ot_store_customer_list(struct ot_store_tx *tx,
                           int (*cb)(void *ctx, const struct ot_customer *c), void *ctx)
{
    struct customer_cb a = {cb, ctx};
    return ot_q_each(tx, &SQL_CUSTOMER_LIST, NULL, 0, customer_row, &a);
}

int ot_store_site_add(struct ot_store_tx *tx, int64_t customer_id, const char *name, int64_t now,
                      int64_t *id)
{
    if (!ot_text_fits(name, sizeof(((struct ot_site *)0)->name), false))
        return OT_EINVAL;
    int rc = check_owner(tx, customer_id, 0);
    if (rc)
        return rc;
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_text(name), ot_sp_int(now)};
    return insert_id(tx, &SQL_SITE_ADD, p, 3, id);
}

static void read_site(const struct ot_cur *cur, struct ot_site *s)
{
    s->id = ot_q_int(cur, 0);
    s->customer_id = ot_q_int(cur, 1);
    ot_q_text_copy(cur, 2, s->name, sizeof(s->name));
    s->created_at = ot_q_int(cur, 3);
}

int ot_store_site_get(struct ot_store_tx *tx, int64_t customer_id, int64_t id, struct ot_site *out)
{
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_int(id)};
    struct ot_cur cur;
    int rc = ot_q_open(tx, &SQL_SITE_GET, p, 2, &cur);
    if (!rc && (rc = ot_q_next(&cur)) == 1) {
        read_site(&cur, out);
        rc = 0;
    } else if (rc == 0) {
        rc = OT_ENOENT;
    }
    ot_q_done(&cur);
    return rc;
}

struct site_cb {
    int (*cb)(void *ctx, const struct ot_site *s);
    void *ctx;
};

static int site_row(const struct ot_cur *cur, void *arg)
{
    struct site_cb *a = arg;
    struct ot_site s;
    read_site(cur, &s);
    return a->cb(a->ctx, &s);
}

int ot_store_site_list(struct ot_store_tx *tx, int64_t customer_id,
                       int (*cb)(void *ctx, const struct ot_site *s), void *ctx)
{
    struct site_cb a = {cb, ctx};
    struct ot_sp p[] = {ot_sp_int(customer_id)};
    return ot_q_each(tx, &SQL_SITE_LIST, p, 1, site_row, &a);
}

/* ---- tokens ---- */

int ot_store_token_add(struct ot_store_tx *tx, const struct ot_token *t, const uint8_t hash[32],
                       int64_t now, int64_t *id)
{
    char hex[65];
    if (!ot_text_fits(t->kind, sizeof(t->kind), false))
        return OT_EINVAL;
    int rc = check_owner(tx, t->customer_id, t->site_id);
    if (rc)
        return rc;
    ot_store_hex32(hash, hex);
    struct ot_sp p[] = {ot_sp_int(t->customer_id), ot_sp_int(t->site_id), ot_sp_text(t->kind),
                        ot_sp_text(hex),           ot_sp_int(now),        ot_sp_int(t->expires_at)};
    return insert_id(tx, &SQL_TOKEN_ADD, p, 6, id);
}

static void read_token(const struct ot_cur *cur, struct ot_token *t)
{
    t->id = ot_q_int(cur, 0);
    t->customer_id = ot_q_int(cur, 1);
    t->site_id = ot_q_int(cur, 2);
    ot_q_text_copy(cur, 3, t->kind, sizeof(t->kind));
    t->expires_at = ot_q_int(cur, 4);
    t->used_at = ot_q_int(cur, 5);
    t->device_id = ot_q_int(cur, 6);
}

/* Reads one token row of q into out; OT_ENOENT when none. */
static int token_one(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p,
                     size_t n, struct ot_token *out)
{
    struct ot_cur cur;
    int rc = ot_q_open(tx, q, p, n, &cur);
    if (!rc && (rc = ot_q_next(&cur)) == 1) {
        read_token(&cur, out);
        rc = 0;
    } else if (rc == 0) {
        rc = OT_ENOENT;
    }
    ot_q_done(&cur);
    return rc;
}

int ot_store_token_consume(struct ot_store_tx *tx, const uint8_t hash[32], int64_t now,
                           struct ot_token *out)
{
    char hex[65];
    ot_store_hex32(hash, hex);
    struct ot_sp p[] = {ot_sp_text(hex), ot_sp_int(now)};
    int rc = token_one(tx, &SQL_TOKEN_CONSUME, p, 2, out);
    if (rc != OT_ENOENT)
        return rc;
    /* Not taken: say why (the row as it is, for the caller's message). */
    rc = token_one(tx, &SQL_TOKEN_BY_HASH, p, 1, out);
    if (rc)
        return rc;
    return out->used_at ? OT_EEXIST : OT_ELIMIT;
}

int ot_store_token_bind(struct ot_store_tx *tx, int64_t token_id, int64_t device_id)
{
    int64_t v;
    struct ot_sp p[] = {ot_sp_int(token_id), ot_sp_int(device_id)};
    return ot_q_int1(tx, &SQL_TOKEN_BIND, p, 2, &v);
}

/* ---- devices ---- */

int ot_store_device_add(struct ot_store_tx *tx, const struct ot_device *d,
                        const uint8_t cred_hash[32], int64_t *id)
{
    char hex[65];
    if (!ot_text_fits(d->name, sizeof(d->name), false) ||
        !ot_text_fits(d->kind, sizeof(d->kind), false))
        return OT_EINVAL;
    int rc = check_owner(tx, d->customer_id, d->site_id);
    if (rc)
        return rc;
    ot_store_hex32(cred_hash, hex);
    struct ot_sp p[] = {
        ot_sp_int(d->customer_id), ot_sp_int(d->site_id),   ot_sp_text(d->name),
        ot_sp_text(d->kind),       ot_sp_text(hex),         ot_sp_int(d->created_at),
        ot_sp_int(d->revoked_at),  ot_sp_int(d->last_seen), ot_sp_int(d->spool_dropped),
        ot_sp_int(d->events)};
    return insert_id(tx, &SQL_DEVICE_ADD, p, 10, id);
}

static void read_device(const struct ot_cur *cur, struct ot_device *d)
{
    d->id = ot_q_int(cur, 0);
    d->customer_id = ot_q_int(cur, 1);
    d->site_id = ot_q_int(cur, 2);
    ot_q_text_copy(cur, 3, d->name, sizeof(d->name));
    ot_q_text_copy(cur, 4, d->kind, sizeof(d->kind));
    d->created_at = ot_q_int(cur, 5);
    d->revoked_at = ot_q_int(cur, 6);
    d->last_seen = ot_q_int(cur, 7);
    d->spool_dropped = ot_q_int(cur, 8);
    d->events = ot_q_int(cur, 9);
}

static int device_one(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p,
                      size_t n, struct ot_device *out)
{
    struct ot_cur cur;
    int rc = ot_q_open(tx, q, p, n, &cur);
    if (!rc && (rc = ot_q_next(&cur)) == 1) {
        read_device(&cur, out);
        rc = 0;
    } else if (rc == 0) {
        rc = OT_ENOENT;
    }
    ot_q_done(&cur);
    return rc;
}

int ot_store_device_by_cred(struct ot_store_tx *tx, const uint8_t cred_hash[32],
                            struct ot_device *out)
{
    char hex[65];
    ot_store_hex32(cred_hash, hex);
    struct ot_sp p[] = {ot_sp_text(hex)};
    return device_one(tx, &SQL_DEVICE_BY_CRED, p, 1, out);
}

int ot_store_device_get(struct ot_store_tx *tx, int64_t customer_id, int64_t id,
                        struct ot_device *out)
{
    struct ot_sp p[] = {ot_sp_int(customer_id), ot_sp_int(id)};
    return device_one(tx, &SQL_DEVICE_GET, p, 2, out);
}

struct device_cb {
    int (*cb)(void *ctx, const struct ot_device *d);
    void *ctx;
};

static int device_row(const struct ot_cur *cur, void *arg)
{
    struct device_cb *a = arg;
    struct ot_device d;
    read_device(cur, &d);
    return a->cb(a->ctx, &d);
}

int ot_store_device_list(struct ot_store_tx *tx, int64_t customer_id,
                         int (*cb)(void *ctx, const struct ot_device *d), void *ctx)
{
    struct device_cb a = {cb, ctx};
    struct ot_sp p[] = {ot_sp_int(customer_id)};
    return ot_q_each(tx, &SQL_DEVICE_LIST, p, 1, device_row, &a);
}

/* Revoking twice keeps the first time; OT_ENOENT for an unknown device. */
int ot_store_device_revoke(struct ot_store_tx *tx, int64_t id, int64_t now)
{
    int64_t v;
    struct ot_sp p[] = {ot_sp_int(id), ot_sp_int(now)};
    int rc = ot_q_int1(tx, &SQL_DEVICE_REVOKE, p, 2, &v);
    if (rc != OT_ENOENT)
        return rc;
    return ot_q_int1(tx, &SQL_DEVICE_EXISTS, p, 1, &v);
}

int ot_store_device_seen(struct ot_store_tx *tx, int64_t id, int64_t now, int64_t accepted,
                         int64_t dropped)
{
    int64_t v;
    struct ot_sp p[] = {ot_sp_int(id), ot_sp_int(now), ot_sp_int(accepted), ot_sp_int(dropped)};
    return ot_q_int1(tx, &SQL_DEVICE_SEEN, p, 4, &v);
}

/* ---- events ---- */

int ot_store_events_insert_rows(struct ot_store_tx *tx, int64_t customer_id, int64_t device_id,
                                int64_t received_at, struct ot_store_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct ot_sp p[] = {ot_sp_int(customer_id),
                            ot_sp_int(device_id),
                            ot_sp_textn(ev[i].event_id, ev[i].event_id_len),
                            ot_sp_textn(ev[i].event_type, ev[i].event_type_len),
                            ot_sp_int(ev[i].ts),
                            ot_sp_int(received_at),
                            ot_sp_textn(ev[i].body, ev[i].body_len)};
        int64_t id = 0;
        int rc = ot_q_int1(tx, &SQL_EVENT_INSERT, p, 7, &id);
        ev[i].duplicate = rc == OT_ENOENT;
        if (rc == OT_ENOENT) {
            struct ot_sp q[] = {p[0], p[2]};
            rc = ot_q_int1(tx, &SQL_EVENT_ID, q, 2, &id);
        }
        if (rc)
            return rc;
        ev[i].row_id = id;
    }
    return 0;
}

/* An event the store can keep: an id and a type, no NUL byte anywhere (the API validated). */
static bool event_ok(const struct ot_store_event *e)
{
    return e->event_id && e->event_id_len > 0 && e->event_type && e->event_type_len > 0 &&
           e->body && !memchr(e->event_id, '\0', e->event_id_len) &&
           !memchr(e->event_type, '\0', e->event_type_len) && !memchr(e->body, '\0', e->body_len);
}

int ot_store_events_insert(struct ot_store_tx *tx, int64_t customer_id, int64_t device_id,
                           int64_t received_at, struct ot_store_event *ev, size_t n)
{
    if (customer_id <= 0 || (n && !ev))
        return OT_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!event_ok(&ev[i]))
            return OT_EINVAL;
    if (tx->failed)
        return tx->failed;
    if (tx->st->ops->events_insert)
        return tx->st->ops->events_insert(tx, customer_id, device_id, received_at, ev, n);
    return ot_store_events_insert_rows(tx, customer_id, device_id, received_at, ev, n);
}

int64_t ot_store_events_count(struct ot_store_tx *tx, int64_t customer_id)
{
    int64_t v = 0;
    struct ot_sp p[] = {ot_sp_int(customer_id)};
    int rc = customer_id ? ot_q_int1(tx, &SQL_EVENTS_COUNT, p, 1, &v)
                         : ot_q_int1(tx, &SQL_EVENTS_COUNT_ALL, NULL, 0, &v);
    return rc ? rc : v;
}
