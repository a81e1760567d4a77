/*
 * POST /api/v1/events: a device's NDJSON batch (docs/server/design.md
 * "Ingest").  The rate limit and the body limits come first; then the lines
 * are validated (ingest.c); then the events, their triage and the device's
 * counters go into the store in one write transaction, and the answer is
 * sent only after it committed.  The customer is the credential's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/ingest.h"
#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "triage/triage.h"

struct ingest_result {
    int64_t accepted, duplicates, untriaged;
};

/* The store part, in one transaction; returns 0 or the store error (rolled back). */
static int store_batch(struct ot_api *api, struct ot_req *rq, struct ot_ingest_batch *b,
                       int64_t dropped, struct ingest_result *res)
{
    const struct ot_device *d = &rq->dev;
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, true, &tx);
    if (rc)
        return rc;
    rc = ot_store_lock_customer(tx, d->customer_id);
    if (!rc && b->n > 0)
        rc = ot_store_events_insert(tx, d->customer_id, d->id, rq->now_us, b->ev, b->n);
    for (size_t i = 0; !rc && i < b->n; i++) {
        if (b->ev[i].duplicate) {
            res->duplicates++;
            continue;
        }
        res->accepted++;
        rc = ot_triage_event(api->triage, tx, d->customer_id, b->json[i]);
        if (rc || b->ev[i].event_type_len != 5 || memcmp(b->ev[i].event_type, "alert", 5) != 0)
            continue;
        struct ot_triage_result tr;
        rc = ot_triage_alert(api->triage, tx, d->customer_id, d->id, b->ev[i].row_id, b->json[i],
                             &tr);
        if (rc == OT_EINVAL) { /* stored as an event, not triaged */
            res->untriaged++;
            rc = 0;
        }
    }
    if (!rc)
        rc = ot_store_device_seen(tx, d->id, rq->now_us, res->accepted, dropped);
    if (rc) {
        ot_warn("device %lld: batch rolled back: %s (%s)", (long long)d->id, ot_strerror(rc),
                ot_store_errmsg(tx));
        ot_store_rollback(tx);
        return rc;
    }
    rc = ot_store_commit(tx);
    if (rc)
        ot_warn("device %lld: commit failed: %s", (long long)d->id, ot_strerror(rc));
    return rc;
}

static void answer(struct ot_req *rq, const struct ingest_result *res,
                   const struct ot_ingest_batch *b)
{
    rq->status = 200;
    struct ot_jw *w = &rq->out;
    ot_jw_obj_open(w, NULL);
    ot_jw_i64(w, "accepted", res->accepted);
    ot_jw_i64(w, "duplicates", res->duplicates);
    ot_jw_arr_open(w, "rejected");
    for (size_t i = 0; i < b->nrej; i++) {
        ot_jw_obj_open(w, NULL);
        ot_jw_u64(w, "line", b->rej[i].line);
        ot_jw_str(w, "reason", b->rej[i].reason);
        ot_jw_obj_close(w);
    }
    ot_jw_arr_close(w);
    if (b->rejected > b->nrej)
        ot_jw_u64(w, "rejected_omitted", b->rejected - b->nrej);
    if (res->untriaged)
        ot_jw_i64(w, "untriaged", res->untriaged);
    ot_jw_obj_close(w);
}

/*
 * Body to parse: the request body, or its gzip inflation (bounded).  *owned
 * is set when the caller must free *text.  false: answered (400/413/415).
 */
static bool body_text(struct ot_api *api, struct ot_req *rq, const char **text, size_t *len,
                      char **owned)
{
    const char *enc = rq->header ? rq->header(rq->ctx, "Content-Encoding") : NULL;
    *owned = NULL;
    if (!enc || !*enc || strcasecmp(enc, "identity") == 0) {
        *text = rq->body;
        *len = rq->body_len;
        return true;
    }
    if (strcasecmp(enc, "gzip") != 0) {
        ot_api_error(rq, 415, "unsupported Content-Encoding (gzip or none)");
        return false;
    }
    const char *why = NULL;
    int rc =
        ot_inflate_gzip(rq->body, rq->body_len, atomic_load(&api->max_inflated), owned, len, &why);
    if (rc == OT_INFLATE_TOO_BIG) {
        atomic_fetch_add(&api->n.body_too_large, 1);
        ot_api_error(rq, 413, why);
        return false;
    }
    if (rc == OT_INFLATE_BAD) {
        ot_api_error(rq, 400, why);
        return false;
    }
    if (rc) {
        ot_api_error(rq, 503, "out of memory");
        rq->retry_after = 1;
        return false;
    }
    *text = *owned;
    return true;
}

/* See the file comment. */
void ot_api_h_events(struct ot_api *api, struct ot_req *rq)
{
    unsigned wait;
    if (!ot_rate_take(&api->rate, rq->dev.id, rq->now_us, &wait)) {
        ot_api_error(rq, 429, "too many requests");
        rq->retry_after = wait;
        return;
    }
    int64_t dropped = 0;
    const char *dh = rq->header ? rq->header(rq->ctx, "X-Otasuke-Dropped") : NULL;
    if (dh) {
        uint64_t v;
        if (ot_parse_u64(dh, 0, (uint64_t)1 << 48, &v) != 0) {
            ot_api_error(rq, 400, "X-Otasuke-Dropped must be a non-negative integer");
            return;
        }
        dropped = (int64_t)v;
    }
    const char *text;
    size_t len;
    char *owned;
    if (!body_text(api, rq, &text, &len, &owned))
        return;
    struct ot_ingest_limits lim;
    ot_ingest_limits_defaults(&lim);
    lim.max_lines = atomic_load(&api->max_lines);
    struct ot_ingest_batch b = {0};
    int rc = ot_ingest_parse(text, len, &lim, &b);
    if (rc == OT_ELIMIT) {
        char why[96];
        snprintf(why, sizeof(why), "more than %zu lines in one batch", lim.max_lines);
        ot_api_error(rq, 413, why);
        goto out;
    }
    if (rc) {
        ot_api_error(rq, 503, "out of memory");
        rq->retry_after = 1;
        goto out;
    }
    struct ingest_result res = {0};
    rc = store_batch(api, rq, &b, dropped, &res);
    if (rc) {
        ot_api_error(rq, 503, "store unavailable");
        rq->retry_after = 1;
        goto out;
    }
    atomic_fetch_add(&api->n.events_accepted, (uint64_t)res.accepted);
    atomic_fetch_add(&api->n.events_duplicate, (uint64_t)res.duplicates);
    atomic_fetch_add(&api->n.events_rejected, b.rejected);
    atomic_fetch_add(&api->n.alerts_untriaged, (uint64_t)res.untriaged);
    answer(rq, &res, &b);
out:
    ot_ingest_batch_free(&b);
    free(owned);
}
