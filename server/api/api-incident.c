/*
 * Incident endpoints: list, detail (with its alerts and audit trail) and
 * status changes.  Titles, summaries and steps are not stored: they come
 * from the message catalogue in the reader's language (?lang=ja|en).
 * An admin call may name ?customer=ID; an incident of another customer is
 * then "no such incident" (404), never its data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "catalog/catalog.h"
#include "core/util.h"
#include "otasuke/error.h"

static const char *const status_names[] = {"new", "acknowledged", "in_progress", "resolved"};
static const char *const resolution_names[] = {"", "true_positive", "false_positive", "benign"};

static int status_from(const char *s)
{
    for (size_t i = 0; i < OT_ARRAY_SIZE(status_names); i++)
        if (strcmp(s, status_names[i]) == 0)
            return (int)i;
    return -1;
}

static int resolution_from(const char *s)
{
    for (size_t i = 1; i < OT_ARRAY_SIZE(resolution_names); i++)
        if (strcmp(s, resolution_names[i]) == 0)
            return (int)i;
    return -1;
}

/* Writes one catalogue text of the incident (key incident.<family>.<part>). */
static void catalog_text(struct ot_jw *w, const char *lang, const char *tz,
                         const struct ot_incident *inc, const char *part, char *buf, size_t len)
{
    char key[96], count[24], first[48], last[48], sev[8];
    snprintf(key, sizeof(key), "incident.%s.%s", inc->family, part);
    snprintf(count, sizeof(count), "%lld", (long long)inc->event_count);
    snprintf(sev, sizeof(sev), "%d", inc->severity);
    ot_api_text_time(tz, inc->first_seen, first, sizeof(first));
    ot_api_text_time(tz, inc->last_seen, last, sizeof(last));
    const char *vars[] = {"entity",    inc->entity, "count",    count, "first_seen", first,
                          "last_seen", last,        "severity", sev,   NULL};
    ot_catalog_format(lang, key, buf, len, vars);
    if (w)
        ot_jw_str(w, part, buf);
}

/* Writes the incident object's fields (the caller opened the object). */
static void incident_fields(struct ot_jw *w, const char *lang, const char *tz,
                            const struct ot_incident *inc)
{
    ot_jw_i64(w, "id", inc->id);
    ot_jw_i64(w, "customer_id", inc->customer_id);
    ot_jw_str(w, "family", inc->family);
    ot_jw_str(w, "entity", inc->entity);
    ot_jw_i64(w, "severity", inc->severity);
    unsigned st = (unsigned)inc->status < OT_ARRAY_SIZE(status_names) ? inc->status : 0;
    ot_jw_str(w, "status", status_names[st]);
    unsigned res =
        (unsigned)inc->resolution < OT_ARRAY_SIZE(resolution_names) ? inc->resolution : 0;
    if (res)
        ot_jw_str(w, "resolution", resolution_names[res]);
    else
        ot_jw_null(w, "resolution");
    ot_api_jw_time(w, "first_seen", inc->first_seen);
    ot_api_jw_time(w, "last_seen", inc->last_seen);
    ot_jw_i64(w, "alert_count", inc->alert_count);
    ot_jw_i64(w, "event_count", inc->event_count);
    if (inc->correlation[0])
        ot_jw_str(w, "correlation", inc->correlation);
    else
        ot_jw_null(w, "correlation");
    if (inc->related_id)
        ot_jw_i64(w, "related_id", inc->related_id);
    else
        ot_jw_null(w, "related_id");
    char buf[4096];
    catalog_text(w, lang, tz, inc, "title", buf, sizeof(buf));
    catalog_text(w, lang, tz, inc, "summary", buf, sizeof(buf));
    catalog_text(NULL, lang, tz, inc, "steps", buf, sizeof(buf));
    ot_jw_arr_open(w, "steps");
    for (char *p = buf; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0)
            ot_jw_strn(w, NULL, p, n);
        p += n + (nl ? 1 : 0);
    }
    ot_jw_arr_close(w);
    ot_api_jw_time(w, "created_at", inc->created_at);
    ot_api_jw_time(w, "updated_at", inc->updated_at);
}

struct list_ctx {
    struct ot_jw *w;
    const char *lang, *tz;
};

static int incident_cb(void *ctx, const struct ot_incident *i)
{
    struct list_ctx *l = ctx;
    ot_jw_obj_open(l->w, NULL);
    incident_fields(l->w, l->lang, l->tz, i);
    ot_jw_obj_close(l->w);
    return 0;
}

/* A non-negative integer query parameter in [0, max]; dflt when absent; false = 400 answered. */
static bool query_num(struct ot_req *rq, const char *name, uint64_t max, int64_t dflt, int64_t *out)
{
    const char *v = rq->query ? rq->query(rq->ctx, name) : NULL;
    *out = dflt;
    if (!v)
        return true;
    uint64_t x;
    if (ot_parse_u64(v, 0, max, &x) != 0) {
        char why[96];
        snprintf(why, sizeof(why), "%s must be an integer from 0 to %llu", name,
                 (unsigned long long)max);
        ot_api_error(rq, 400, why);
        return false;
    }
    *out = (int64_t)x;
    return true;
}

void ot_api_h_incident_list(struct ot_api *api, struct ot_req *rq)
{
    struct ot_incident_filter f = {.status = -1};
    if (!ot_api_query_id(rq, "customer", &f.customer_id) ||
        !query_num(rq, "limit", 1000, 100, &f.limit) ||
        !query_num(rq, "offset", INT64_MAX, 0, &f.offset))
        return;
    if (f.limit == 0)
        f.limit = 100;
    const char *st = rq->query ? rq->query(rq->ctx, "status") : NULL;
    if (st) {
        f.status = strcmp(st, "open") == 0 ? -2 : status_from(st);
        if (f.status == -1) {
            ot_api_error(rq, 400,
                         "status must be new, acknowledged, in_progress, resolved or open");
            return;
        }
    }
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, false, &tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return;
    }
    rq->status = 200;
    ot_jw_obj_open(&rq->out, NULL);
    ot_jw_arr_open(&rq->out, "items");
    struct list_ctx l = {&rq->out, ot_catalog_lang(rq->lang), api->conf.time_zone};
    rc = ot_store_incident_list(tx, &f, incident_cb, &l);
    ot_store_rollback(tx);
    if (rc) {
        ot_api_store_error(rq, rc, "incident");
        return;
    }
    ot_jw_arr_close(&rq->out);
    ot_jw_obj_close(&rq->out);
}

static int alert_cb(void *ctx, const struct ot_alert_row *a)
{
    struct ot_jw *w = ctx;
    ot_jw_obj_open(w, NULL);
    ot_jw_i64(w, "id", a->id);
    ot_jw_i64(w, "device_id", a->device_id);
    ot_api_jw_time(w, "timestamp", a->ts);
    ot_jw_i64(w, "sid", a->sid);
    ot_jw_i64(w, "severity", a->severity);
    ot_jw_str(w, "family", a->family);
    ot_jw_str(w, "signature", a->signature);
    ot_jw_str(w, "src_ip", a->src_ip);
    ot_jw_i64(w, "src_port", a->src_port);
    ot_jw_str(w, "dest_ip", a->dest_ip);
    ot_jw_i64(w, "dest_port", a->dest_port);
    ot_jw_str(w, "entity", a->entity);
    ot_jw_i64(w, "count", a->count);
    ot_jw_obj_close(w);
    return 0;
}

/* Writes the whole incident (fields, alerts, audit) into rq's answer. */
static int write_detail(struct ot_api *api, struct ot_req *rq, struct ot_store_tx *tx,
                        const struct ot_incident *inc)
{
    struct ot_jw *w = &rq->out;
    ot_jw_reset(w);
    ot_jw_obj_open(w, NULL);
    incident_fields(w, ot_catalog_lang(rq->lang), api->conf.time_zone, inc);
    ot_jw_arr_open(w, "alerts");
    int rc = ot_store_alert_list(tx, inc->customer_id, inc->id, alert_cb, w);
    ot_jw_arr_close(w);
    if (rc)
        return rc;
    char obj[64];
    snprintf(obj, sizeof(obj), "incident:%lld", (long long)inc->id);
    ot_api_write_audit_items(w, tx, inc->customer_id, obj, &rc);
    ot_jw_obj_close(w);
    return rc;
}

void ot_api_h_incident_get(struct ot_api *api, struct ot_req *rq)
{
    int64_t customer;
    if (!ot_api_query_id(rq, "customer", &customer))
        return;
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, false, &tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return;
    }
    struct ot_incident inc;
    rc = ot_store_incident_get(tx, customer, rq->m.param[0], &inc);
    if (!rc)
        rc = write_detail(api, rq, tx, &inc);
    ot_store_rollback(tx);
    if (rc) {
        ot_api_store_error(rq, rc, "incident");
        return;
    }
    rq->status = 200;
}

/* Status change request, validated before the store is touched. */
struct change {
    int status;
    int resolution; /* 0 = none */
    char note[301];
    char actor[64];
};

static bool parse_change(struct ot_req *rq, struct change *c)
{
    json_t *b;
    if (!ot_api_body_object(rq, &b))
        return false;
    char st[24], res[24];
    bool ok = ot_api_body_str(rq, b, "status", true, st, sizeof(st)) &&
              ot_api_body_str(rq, b, "resolution", false, res, sizeof(res)) &&
              ot_api_body_str(rq, b, "note", false, c->note, sizeof(c->note)) &&
              ot_api_body_str(rq, b, "actor", false, c->actor, sizeof(c->actor));
    json_decref(b);
    if (!ok)
        return false;
    if (!c->actor[0])
        ot_strlcpy(c->actor, "admin", sizeof(c->actor));
    c->status = status_from(st);
    if (c->status < 0) {
        ot_api_error(rq, 400, "status must be new, acknowledged, in_progress or resolved");
        return false;
    }
    c->resolution = 0;
    if (res[0]) {
        c->resolution = resolution_from(res);
        if (c->resolution < 0) {
            ot_api_error(rq, 400, "resolution must be true_positive, false_positive or benign");
            return false;
        }
    }
    if (c->status == OT_INC_RESOLVED && !c->resolution) {
        ot_api_error(rq, 400, "resolved needs a resolution");
        return false;
    }
    if (c->status != OT_INC_RESOLVED && c->resolution) {
        ot_api_error(rq, 400, "only resolved carries a resolution");
        return false;
    }
    return true;
}

/* The audit detail {"from","to","resolution","note"} as JSON text (escaped, bounded). */
static void change_detail(const struct ot_incident *old, const struct change *c, char *out,
                          size_t len)
{
    struct ot_jw w;
    snprintf(out, len, "{}");
    if (ot_jw_init(&w, 256, len - 1) != 0)
        return;
    ot_jw_obj_open(&w, NULL);
    ot_jw_str(&w, "from", status_names[old->status]);
    ot_jw_str(&w, "to", status_names[c->status]);
    if (c->resolution)
        ot_jw_str(&w, "resolution", resolution_names[c->resolution]);
    if (c->note[0])
        ot_jw_str(&w, "note", c->note);
    ot_jw_obj_close(&w);
    if (ot_jw_ok(&w))
        snprintf(out, len, "%.*s", (int)w.len, w.buf);
    ot_jw_free(&w);
}

/*
 * POST /api/v1/incidents/{id}/status: moves the incident to another status
 * (any other; the same one is 400), writes who did it and from/to in the
 * audit log, in one transaction.  Leaving "resolved" clears the resolution.
 */
void ot_api_h_incident_status(struct ot_api *api, struct ot_req *rq)
{
    int64_t customer;
    struct change c;
    if (!ot_api_query_id(rq, "customer", &customer) || !parse_change(rq, &c))
        return;
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, true, &tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return;
    }
    struct ot_incident inc;
    rc = ot_store_incident_get(tx, customer, rq->m.param[0], &inc);
    if (rc)
        goto out_fail;
    if ((int)inc.status == c.status) {
        ot_store_rollback(tx);
        char why[64];
        snprintf(why, sizeof(why), "incident is already %s", status_names[c.status]);
        ot_api_error(rq, 400, why);
        return;
    }
    if ((unsigned)inc.status >= OT_ARRAY_SIZE(status_names))
        inc.status = OT_INC_NEW;
    struct ot_audit a = {.customer_id = inc.customer_id, .at = rq->now_us};
    change_detail(&inc, &c, a.detail, sizeof(a.detail));
    ot_strlcpy(a.actor, c.actor, sizeof(a.actor));
    ot_strlcpy(a.action, "incident.status", sizeof(a.action));
    snprintf(a.object, sizeof(a.object), "incident:%lld", (long long)inc.id);
    inc.status = (enum ot_incident_status)c.status;
    inc.resolution = (enum ot_incident_resolution)c.resolution;
    inc.updated_at = rq->now_us;
    rc = ot_store_incident_update(tx, &inc);
    if (!rc)
        rc = ot_store_audit_add(tx, &a);
    if (!rc)
        rc = write_detail(api, rq, tx, &inc);
    if (rc)
        goto out_fail;
    rc = ot_store_commit(tx);
    if (rc) {
        ot_api_store_error(rq, rc, "incident");
        return;
    }
    rq->status = 200;
    return;

out_fail:
    ot_store_rollback(tx);
    ot_api_store_error(rq, rc, "incident");
}
