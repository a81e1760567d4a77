/*
 * Admin endpoints for tenants and devices: customers, sites, devices,
 * suppression rules, the audit log and the alert funnel (docs/api.md).
 * Every change is written to the audit log in the same transaction.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/timefmt.h"
#include "api/ingest.h"
#include "core/family.h"
#include "core/util.h"
#include "otasuke/error.h"

/* Begins a transaction or answers 503; NULL when answered. */
static struct ot_store_tx *begin(struct ot_api *api, struct ot_req *rq, bool write)
{
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, write, &tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return NULL;
    }
    return tx;
}

/* Commits; on failure answers 503 (the caller's answer is replaced). */
static bool commit(struct ot_req *rq, struct ot_store_tx *tx)
{
    int rc = ot_store_commit(tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return false;
    }
    return true;
}

static int audit(struct ot_store_tx *tx, struct ot_req *rq, int64_t customer, const char *action,
                 const char *object, const char *detail)
{
    struct ot_audit a = {.customer_id = customer, .at = rq->now_us};
    ot_strlcpy(a.actor, "admin", sizeof(a.actor));
    ot_strlcpy(a.action, action, sizeof(a.action));
    ot_strlcpy(a.object, object, sizeof(a.object));
    ot_strlcpy(a.detail, detail ? detail : "{}", sizeof(a.detail));
    return ot_store_audit_add(tx, &a);
}

/* true when customer id exists; else answers 404 (or 503) and rolls tx back. */
static bool customer_exists(struct ot_req *rq, struct ot_store_tx *tx, int64_t id)
{
    struct ot_customer c;
    int rc = ot_store_customer_get(tx, id, &c);
    if (rc == 0)
        return true;
    ot_store_rollback(tx);
    ot_api_store_error(rq, rc, "customer");
    return false;
}

static void list_open(struct ot_req *rq)
{
    rq->status = 200;
    ot_jw_obj_open(&rq->out, NULL);
    ot_jw_arr_open(&rq->out, "items");
}

static void list_close(struct ot_req *rq)
{
    ot_jw_arr_close(&rq->out);
    ot_jw_obj_close(&rq->out);
}

/* Ends a read: rolls back; on a list error replaces the answer with it. */
static void end_list(struct ot_req *rq, struct ot_store_tx *tx, int rc, const char *what)
{
    ot_store_rollback(tx);
    if (rc)
        ot_api_store_error(rq, rc, what);
    else
        list_close(rq);
}

/* ---- customers ---- */

static void write_customer(struct ot_jw *w, const struct ot_customer *c)
{
    ot_jw_obj_open(w, NULL);
    ot_jw_i64(w, "id", c->id);
    ot_jw_str(w, "name", c->name);
    ot_api_jw_time(w, "created_at", c->created_at);
    ot_jw_obj_close(w);
}

void ot_api_h_customer_add(struct ot_api *api, struct ot_req *rq)
{
    json_t *b;
    if (!ot_api_body_object(rq, &b))
        return;
    struct ot_customer c = {.created_at = rq->now_us};
    if (!ot_api_body_str(rq, b, "name", true, c.name, sizeof(c.name)))
        goto out;
    struct ot_store_tx *tx = begin(api, rq, true);
    if (!tx)
        goto out;
    int rc = ot_store_customer_add(tx, c.name, rq->now_us, &c.id);
    char obj[64];
    snprintf(obj, sizeof(obj), "customer:%lld", (long long)c.id);
    if (!rc)
        rc = audit(tx, rq, c.id, "customer.add", obj, NULL);
    if (rc) {
        ot_store_rollback(tx);
        if (rc == OT_EEXIST)
            ot_api_error(rq, 409, "name taken");
        else
            ot_api_store_error(rq, rc, "customer");
        goto out;
    }
    if (!commit(rq, tx))
        goto out;
    rq->status = 201;
    write_customer(&rq->out, &c);
out:
    json_decref(b);
}

static int customer_cb(void *ctx, const struct ot_customer *c)
{
    write_customer(ctx, c);
    return 0;
}

void ot_api_h_customer_list(struct ot_api *api, struct ot_req *rq)
{
    struct ot_store_tx *tx = begin(api, rq, false);
    if (!tx)
        return;
    list_open(rq);
    end_list(rq, tx, ot_store_customer_list(tx, customer_cb, &rq->out), "customer");
}

/* ---- sites ---- */

static void write_site(struct ot_jw *w, const struct ot_site *s)
{
    ot_jw_obj_open(w, NULL);
    ot_jw_i64(w, "id", s->id);
    ot_jw_i64(w, "customer_id", s->customer_id);
    ot_jw_str(w, "name", s->name);
    ot_api_jw_time(w, "created_at", s->created_at);
    ot_jw_obj_close(w);
}

void ot_api_h_site_add(struct ot_api *api, struct ot_req *rq)
{
    json_t *b;
    if (!ot_api_body_object(rq, &b))
        return;
    struct ot_site s = {.customer_id = rq->m.param[0], .created_at = rq->now_us};
    if (!ot_api_body_str(rq, b, "name", true, s.name, sizeof(s.name)))
        goto out;
    struct ot_store_tx *tx = begin(api, rq, true);
    if (!tx || !customer_exists(rq, tx, s.customer_id))
        goto out;
    int rc = ot_store_site_add(tx, s.customer_id, s.name, rq->now_us, &s.id);
    char obj[64];
    snprintf(obj, sizeof(obj), "site:%lld", (long long)s.id);
    if (!rc)
        rc = audit(tx, rq, s.customer_id, "site.add", obj, NULL);
    if (rc) {
        ot_store_rollback(tx);
        if (rc == OT_EEXIST)
            ot_api_error(rq, 409, "name taken");
        else
            ot_api_store_error(rq, rc, "site");
        goto out;
    }
    if (!commit(rq, tx))
        goto out;
    rq->status = 201;
    write_site(&rq->out, &s);
out:
    json_decref(b);
}

static int site_cb(void *ctx, const struct ot_site *s)
{
    write_site(ctx, s);
    return 0;
}

void ot_api_h_site_list(struct ot_api *api, struct ot_req *rq)
{
    struct ot_store_tx *tx = begin(api, rq, false);
    if (!tx || !customer_exists(rq, tx, rq->m.param[0]))
        return;
    list_open(rq);
    end_list(rq, tx, ot_store_site_list(tx, rq->m.param[0], site_cb, &rq->out), "site");
}

/* ---- devices ---- */

static void write_device(struct ot_jw *w, const struct ot_device *d)
{
    ot_jw_obj_open(w, NULL);
    ot_jw_i64(w, "id", d->id);
    ot_jw_i64(w, "customer_id", d->customer_id);
    ot_jw_i64(w, "site_id", d->site_id);
    ot_jw_str(w, "name", d->name);
    ot_jw_str(w, "kind", d->kind);
    ot_api_jw_time(w, "created_at", d->created_at);
    ot_api_jw_time(w, "revoked_at", d->revoked_at);
    ot_api_jw_time(w, "last_seen", d->last_seen);
    ot_jw_i64(w, "events", d->events);
    ot_jw_i64(w, "spool_dropped", d->spool_dropped);
    ot_jw_obj_close(w);
}

static int device_cb(void *ctx, const struct ot_device *d)
{
    write_device(ctx, d);
    return 0;
}

void ot_api_h_device_list(struct ot_api *api, struct ot_req *rq)
{
    int64_t customer;
    if (!ot_api_query_id(rq, "customer", &customer))
        return;
    struct ot_store_tx *tx = begin(api, rq, false);
    if (!tx)
        return;
    list_open(rq);
    end_list(rq, tx, ot_store_device_list(tx, customer, device_cb, &rq->out), "device");
}

/* POST /api/v1/devices/{id}/revoke: the next request of the device gets 401. */
void ot_api_h_device_revoke(struct ot_api *api, struct ot_req *rq)
{
    int64_t id = rq->m.param[0], customer;
    if (!ot_api_query_id(rq, "customer", &customer))
        return;
    struct ot_store_tx *tx = begin(api, rq, true);
    if (!tx)
        return;
    struct ot_device d;
    int rc = ot_store_device_get(tx, customer, id, &d);
    if (!rc && d.revoked_at == 0) {
        rc = ot_store_device_revoke(tx, id, rq->now_us);
        char obj[64];
        snprintf(obj, sizeof(obj), "device:%lld", (long long)id);
        if (!rc)
            rc = audit(tx, rq, d.customer_id, "device.revoke", obj, NULL);
        if (!rc)
            rc = ot_store_device_get(tx, customer, id, &d);
    }
    if (rc) {
        ot_store_rollback(tx);
        ot_api_store_error(rq, rc, "device");
        return;
    }
    if (!commit(rq, tx))
        return;
    rq->status = 200;
    write_device(&rq->out, &d);
}

/* ---- suppression rules ---- */

/* "" or an IPv4/IPv6 address, optionally with a /prefix in range. */
static bool valid_cidr(const char *s)
{
    if (!*s)
        return true;
    char host[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof(host))
        return false;
    memcpy(host, s, n);
    host[n] = '\0';
    unsigned char a[16];
    unsigned max;
    if (inet_pton(AF_INET, host, a) == 1)
        max = 32;
    else if (inet_pton(AF_INET6, host, a) == 1)
        max = 128;
    else
        return false;
    if (!slash)
        return true;
    uint64_t p;
    return ot_parse_u64(slash + 1, 0, max, &p) == 0;
}

/* Empty means "any family" in a suppression rule. */
static bool valid_family(const char *f)
{
    return !*f || ot_family_known(f);
}

static void write_suppression(struct ot_jw *w, const struct ot_suppression *s)
{
    ot_jw_obj_open(w, NULL);
    ot_jw_i64(w, "id", s->id);
    ot_jw_i64(w, "customer_id", s->customer_id);
    ot_jw_str(w, "name", s->name);
    ot_jw_i64(w, "sid", s->sid);
    ot_jw_str(w, "family", s->family);
    ot_jw_str(w, "src", s->src);
    ot_jw_str(w, "dest", s->dest);
    ot_api_jw_time(w, "created_at", s->created_at);
    ot_jw_obj_close(w);
}

void ot_api_h_suppression_add(struct ot_api *api, struct ot_req *rq)
{
    json_t *b;
    if (!ot_api_body_object(rq, &b))
        return;
    struct ot_suppression s = {.customer_id = rq->m.param[0], .created_at = rq->now_us};
    if (!ot_api_body_str(rq, b, "name", true, s.name, sizeof(s.name)) ||
        !ot_api_body_int(rq, b, "sid", false, 0, INT64_MAX, 0, &s.sid) ||
        !ot_api_body_str(rq, b, "family", false, s.family, sizeof(s.family)) ||
        !ot_api_body_str(rq, b, "src", false, s.src, sizeof(s.src)) ||
        !ot_api_body_str(rq, b, "dest", false, s.dest, sizeof(s.dest)))
        goto out;
    if (!valid_family(s.family)) {
        ot_api_error(rq, 400, "family is not one of the alert families");
        goto out;
    }
    if (!valid_cidr(s.src) || !valid_cidr(s.dest)) {
        ot_api_error(rq, 400, "src and dest must be an IP address or CIDR");
        goto out;
    }
    if (s.sid == 0 && !s.family[0] && !s.src[0] && !s.dest[0]) {
        ot_api_error(rq, 400, "a rule needs at least one of sid, family, src, dest");
        goto out;
    }
    struct ot_store_tx *tx = begin(api, rq, true);
    if (!tx || !customer_exists(rq, tx, s.customer_id))
        goto out;
    int rc = ot_store_suppression_add(tx, &s, &s.id);
    char obj[64], detail[400];
    snprintf(obj, sizeof(obj), "suppression:%lld", (long long)s.id);
    struct ot_jw dw;
    if (!rc && ot_jw_init(&dw, 256, sizeof(detail) - 1) == 0) {
        ot_jw_obj_open(&dw, NULL);
        ot_jw_str(&dw, "name", s.name);
        ot_jw_i64(&dw, "sid", s.sid);
        ot_jw_str(&dw, "family", s.family);
        ot_jw_str(&dw, "src", s.src);
        ot_jw_str(&dw, "dest", s.dest);
        ot_jw_obj_close(&dw);
        snprintf(detail, sizeof(detail), "%.*s", ot_jw_ok(&dw) ? (int)dw.len : 2,
                 ot_jw_ok(&dw) ? dw.buf : "{}");
        ot_jw_free(&dw);
        rc = audit(tx, rq, s.customer_id, "suppression.add", obj, detail);
    }
    if (rc) {
        ot_store_rollback(tx);
        ot_api_store_error(rq, rc, "suppression");
        goto out;
    }
    if (!commit(rq, tx))
        goto out;
    rq->status = 201;
    write_suppression(&rq->out, &s);
out:
    json_decref(b);
}

static int suppression_cb(void *ctx, const struct ot_suppression *s)
{
    write_suppression(ctx, s);
    return 0;
}

void ot_api_h_suppression_list(struct ot_api *api, struct ot_req *rq)
{
    struct ot_store_tx *tx = begin(api, rq, false);
    if (!tx || !customer_exists(rq, tx, rq->m.param[0]))
        return;
    list_open(rq);
    end_list(rq, tx, ot_store_suppression_list(tx, rq->m.param[0], suppression_cb, &rq->out),
             "suppression");
}

void ot_api_h_suppression_delete(struct ot_api *api, struct ot_req *rq)
{
    int64_t customer = rq->m.param[0], id = rq->m.param[1];
    struct ot_store_tx *tx = begin(api, rq, true);
    if (!tx)
        return;
    int rc = ot_store_suppression_delete(tx, customer, id);
    char obj[64];
    snprintf(obj, sizeof(obj), "suppression:%lld", (long long)id);
    if (!rc)
        rc = audit(tx, rq, customer, "suppression.delete", obj, NULL);
    if (rc) {
        ot_store_rollback(tx);
        ot_api_store_error(rq, rc, "suppression rule");
        return;
    }
    if (!commit(rq, tx))
        return;
    rq->status = 204;
}

/* ---- audit log ---- */

static int audit_cb(void *ctx, const struct ot_audit *a)
{
    struct ot_jw *w = ctx;
    ot_jw_obj_open(w, NULL);
    ot_jw_i64(w, "id", a->id);
    ot_jw_i64(w, "customer_id", a->customer_id);
    ot_api_jw_time(w, "at", a->at);
    ot_jw_str(w, "actor", a->actor);
    ot_jw_str(w, "action", a->action);
    ot_jw_str(w, "object", a->object);
    /* detail is JSON text we wrote; anything else is passed on as a string */
    json_t *d = json_loads(a->detail, JSON_DECODE_ANY, NULL);
    if (d && json_is_object(d))
        ot_jw_raw(w, "detail", a->detail, strlen(a->detail));
    else
        ot_jw_str(w, "detail", a->detail);
    json_decref(d);
    ot_jw_obj_close(w);
    return 0;
}

/* Writes an "audit" array of the entries of object (for the incident detail). */
void ot_api_write_audit_items(struct ot_jw *w, struct ot_store_tx *tx, int64_t customer,
                              const char *object, int *rc)
{
    ot_jw_arr_open(w, "audit");
    *rc = ot_store_audit_list(tx, customer, object, audit_cb, w);
    ot_jw_arr_close(w);
}

void ot_api_h_audit(struct ot_api *api, struct ot_req *rq)
{
    int64_t customer;
    if (!ot_api_query_id(rq, "customer", &customer))
        return;
    const char *object = rq->query ? rq->query(rq->ctx, "object") : NULL;
    if (object && (!*object || strlen(object) >= 64)) {
        ot_api_error(rq, 400, "object must be 1 to 63 bytes, like incident:7");
        return;
    }
    struct ot_store_tx *tx = begin(api, rq, false);
    if (!tx)
        return;
    list_open(rq);
    end_list(rq, tx, ot_store_audit_list(tx, customer, object, audit_cb, &rq->out), "audit");
}

/* ---- funnel ---- */

struct funnel_ctx {
    struct ot_jw fam, rules;
};

static void funnel_row(struct ot_jw *w, const struct ot_funnel_row *r, bool rule)
{
    ot_jw_obj_open(w, NULL);
    if (rule) {
        ot_jw_i64(w, "sid", r->sid);
        ot_jw_str(w, "signature", r->signature);
    }
    ot_jw_str(w, "family", r->family);
    ot_jw_i64(w, "alerts", r->alerts);
    ot_jw_i64(w, "suppressed", r->suppressed);
    ot_jw_i64(w, "incidents", r->incidents);
    ot_jw_obj_close(w);
}

static int funnel_cb(void *ctx, const struct ot_funnel_row *r)
{
    struct funnel_ctx *f = ctx;
    funnel_row(r->sid == 0 ? &f->fam : &f->rules, r, r->sid != 0);
    return 0;
}

void ot_api_h_funnel(struct ot_api *api, struct ot_req *rq)
{
    int64_t customer, since = 0;
    if (!ot_api_query_id(rq, "customer", &customer))
        return;
    const char *s = rq->query ? rq->query(rq->ctx, "since") : NULL;
    if (s && !ot_rfc3339_parse(s, strlen(s), &since)) {
        ot_api_error(rq, 400, "since must be an RFC 3339 time");
        return;
    }
    struct funnel_ctx f;
    if (ot_jw_init(&f.fam, 1024, (size_t)16 << 20) != 0)
        return;
    if (ot_jw_init(&f.rules, 1024, (size_t)32 << 20) != 0) {
        ot_jw_free(&f.fam);
        return;
    }
    /* two JSON arrays built side by side, then spliced into the answer */
    ot_jw_arr_open(&f.fam, NULL);
    ot_jw_arr_open(&f.rules, NULL);
    struct ot_funnel_totals tot = {0};
    struct ot_store_tx *tx = begin(api, rq, false);
    if (!tx)
        goto out;
    int rc = ot_store_funnel(tx, customer, since, &tot, funnel_cb, &f);
    ot_store_rollback(tx);
    if (rc) {
        ot_api_store_error(rq, rc, "funnel");
        goto out;
    }
    ot_jw_arr_close(&f.fam);
    ot_jw_arr_close(&f.rules);
    if (!ot_jw_ok(&f.fam) || !ot_jw_ok(&f.rules)) {
        ot_api_error(rq, 500, "answer too large");
        goto out;
    }
    rq->status = 200;
    struct ot_jw *w = &rq->out;
    ot_jw_obj_open(w, NULL);
    ot_jw_i64(w, "events", tot.events);
    ot_jw_i64(w, "alerts", tot.alerts);
    ot_jw_i64(w, "suppressed", tot.suppressed);
    ot_jw_i64(w, "incidents", tot.incidents);
    ot_jw_i64(w, "incidents_open", tot.incidents_open);
    ot_jw_raw(w, "families", f.fam.buf, f.fam.len);
    ot_jw_raw(w, "rules", f.rules.buf, f.rules.len);
    ot_jw_obj_close(w);
out:
    ot_jw_free(&f.fam);
    ot_jw_free(&f.rules);
}
