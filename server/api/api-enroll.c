/*
 * Health, the CA certificate, enrolment tokens and enrolment
 * (docs/server/design.md "Credentials and enrolment").
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "api/api.h"
#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "pki/pki.h"

#define TOKEN_TTL_DEFAULT 86400
#define TOKEN_TTL_MIN     1
#define TOKEN_TTL_MAX     (30 * 86400)

/* GET /api/v1/health: answers 200 when a store transaction can be opened, else 503. */
void ot_api_h_health(struct ot_api *api, struct ot_req *rq)
{
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, false, &tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return;
    }
    ot_store_rollback(tx);
    rq->status = 200;
    ot_jw_obj_open(&rq->out, NULL);
    ot_jw_str(&rq->out, "status", "ok");
    ot_jw_str(&rq->out, "store",
              ot_store_kind(api->store) == OT_STORE_PG ? "postgresql" : "sqlite");
    ot_jw_obj_close(&rq->out);
}

/* GET /api/v1/ca: the CA certificate (PEM), which the api's pki owns. */
void ot_api_h_ca(struct ot_api *api, struct ot_req *rq)
{
    rq->status = 200;
    rq->raw = api->pki->ca_pem;
    rq->raw_len = strlen(api->pki->ca_pem);
    rq->content_type = "application/x-pem-file";
}

static bool valid_kind(const char *k)
{
    return strcmp(k, "sensor") == 0 || strcmp(k, "agent") == 0;
}

/*
 * POST /api/v1/tokens: a one-time enrolment token for a site of a
 * customer.  The store keeps the SHA-256 of "ote_<secret>"; the answer adds
 * ".<CA pin>" so the enrolling device can check the server it talks to.
 */
void ot_api_h_token_add(struct ot_api *api, struct ot_req *rq)
{
    json_t *b;
    if (!ot_api_body_object(rq, &b))
        return;
    struct ot_token t = {0};
    int64_t ttl;
    char kind[16];
    if (!ot_api_body_int(rq, b, "customer_id", true, 1, INT64_MAX, 0, &t.customer_id) ||
        !ot_api_body_int(rq, b, "site_id", true, 1, INT64_MAX, 0, &t.site_id) ||
        !ot_api_body_int(rq, b, "ttl", false, TOKEN_TTL_MIN, TOKEN_TTL_MAX, TOKEN_TTL_DEFAULT,
                         &ttl) ||
        !ot_api_body_str(rq, b, "kind", false, kind, sizeof(kind)))
        goto out_json;
    if (!kind[0])
        ot_strlcpy(kind, "sensor", sizeof(kind));
    if (!valid_kind(kind)) {
        ot_api_error(rq, 400, "kind must be sensor or agent");
        goto out_json;
    }
    ot_strlcpy(t.kind, kind, sizeof(t.kind));
    t.expires_at = rq->now_us + ttl * 1000000;
    char secret[128];
    uint8_t hash[32];
    if (ot_api_secret_new("ote_", secret, sizeof(secret), hash) != 0) {
        ot_api_error(rq, 500, "could not make a token");
        goto out_json;
    }
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, true, &tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        goto out_secret;
    }
    struct ot_site site;
    int64_t id = 0;
    rc = ot_store_site_get(tx, t.customer_id, t.site_id, &site);
    if (rc == OT_ENOENT) {
        ot_store_rollback(tx);
        ot_api_error(rq, 404, "no such site for this customer");
        goto out_secret;
    }
    if (!rc)
        rc = ot_store_token_add(tx, &t, hash, rq->now_us, &id);
    if (!rc) {
        struct ot_audit a = {.customer_id = t.customer_id, .at = rq->now_us};
        ot_strlcpy(a.actor, "admin", sizeof(a.actor));
        ot_strlcpy(a.action, "token.add", sizeof(a.action));
        snprintf(a.object, sizeof(a.object), "token:%lld", (long long)id);
        snprintf(a.detail, sizeof(a.detail), "{\"site_id\":%lld,\"kind\":\"%s\",\"ttl\":%lld}",
                 (long long)t.site_id, t.kind, (long long)ttl);
        rc = ot_store_audit_add(tx, &a);
    }
    if (rc) {
        ot_store_rollback(tx);
        ot_api_store_error(rq, rc, "token");
        goto out_secret;
    }
    rc = ot_store_commit(tx);
    if (rc) {
        ot_api_store_error(rq, rc, "token");
        goto out_secret;
    }
    char full[200];
    snprintf(full, sizeof(full), "%s.%s", secret, api->pki->ca_pin);
    rq->status = 201;
    ot_jw_obj_open(&rq->out, NULL);
    ot_jw_i64(&rq->out, "id", id);
    ot_jw_str(&rq->out, "token", full);
    ot_jw_i64(&rq->out, "customer_id", t.customer_id);
    ot_jw_i64(&rq->out, "site_id", t.site_id);
    ot_jw_str(&rq->out, "kind", t.kind);
    ot_api_jw_time(&rq->out, "expires_at", t.expires_at);
    ot_jw_obj_close(&rq->out);
    sodium_memzero(full, sizeof(full));
out_secret:
    sodium_memzero(secret, sizeof(secret));
out_json:
    json_decref(b);
}

/* Answers a refused token with the status the design fixes. */
static void token_refused(struct ot_req *rq, int rc)
{
    if (rc == OT_ENOENT)
        ot_api_error(rq, 401, "unknown token");
    else if (rc == OT_EEXIST)
        ot_api_error(rq, 409, "token already used");
    else if (rc == OT_ELIMIT)
        ot_api_error(rq, 410, "token expired");
    else
        ot_api_store_error(rq, rc, "");
}

/*
 * POST /api/v1/enroll {"token","name","kind"}: consumes the token and makes
 * the device with a fresh credential, all in one transaction, so a failure
 * leaves the token unused.  The token may carry its ".<pin>" suffix.
 */
void ot_api_h_enroll(struct ot_api *api, struct ot_req *rq)
{
    /* each attempt takes the write lock, so a flood of bogus tokens must not starve ingest */
    unsigned wait;
    if (!ot_rate_take(&api->enroll_rate, 1, rq->now_us, &wait)) {
        ot_api_error(rq, 429, "too many enrolment attempts");
        rq->retry_after = wait;
        return;
    }
    json_t *b;
    if (!ot_api_body_object(rq, &b))
        return;
    char token[200], name[128], kind[16];
    if (!ot_api_body_str(rq, b, "token", true, token, sizeof(token)) ||
        !ot_api_body_str(rq, b, "name", true, name, sizeof(name)) ||
        !ot_api_body_str(rq, b, "kind", false, kind, sizeof(kind)))
        goto out_json;
    char *dot = strchr(token, '.');
    if (dot)
        *dot = '\0';
    if (strncmp(token, "ote_", 4) != 0) {
        ot_api_error(rq, 401, "unknown token");
        goto out_json;
    }
    uint8_t th[32], ch[32];
    ot_api_sha256(token, strlen(token), th);
    sodium_memzero(token, sizeof(token));
    char cred[128];
    if (ot_api_secret_new("otd_", cred, sizeof(cred), ch) != 0) {
        ot_api_error(rq, 500, "could not make a credential");
        goto out_json;
    }
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, true, &tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        goto out_cred;
    }
    struct ot_token t;
    rc = ot_store_token_consume(tx, th, rq->now_us, &t);
    if (rc) {
        ot_store_rollback(tx);
        token_refused(rq, rc);
        goto out_cred;
    }
    if (kind[0] && strcmp(kind, t.kind) != 0) {
        ot_store_rollback(tx);
        ot_api_error(rq, 400, "kind does not match the token");
        goto out_cred;
    }
    struct ot_device d = {
        .customer_id = t.customer_id, .site_id = t.site_id, .created_at = rq->now_us};
    ot_strlcpy(d.name, name, sizeof(d.name));
    ot_strlcpy(d.kind, t.kind, sizeof(d.kind));
    rc = ot_store_device_add(tx, &d, ch, &d.id);
    if (!rc)
        rc = ot_store_token_bind(tx, t.id, d.id);
    if (!rc) {
        struct ot_audit a = {.customer_id = t.customer_id, .at = rq->now_us};
        snprintf(a.actor, sizeof(a.actor), "device:%lld", (long long)d.id);
        ot_strlcpy(a.action, "device.enroll", sizeof(a.action));
        snprintf(a.object, sizeof(a.object), "device:%lld", (long long)d.id);
        snprintf(a.detail, sizeof(a.detail), "{\"token_id\":%lld,\"site_id\":%lld}",
                 (long long)t.id, (long long)t.site_id);
        rc = ot_store_audit_add(tx, &a);
    }
    if (rc) {
        ot_store_rollback(tx);
        ot_api_store_error(rq, rc, "device");
        goto out_cred;
    }
    rc = ot_store_commit(tx);
    if (rc) {
        ot_api_store_error(rq, rc, "device");
        goto out_cred;
    }
    ot_info("device %lld (%s) enrolled for customer %lld site %lld", (long long)d.id, d.kind,
            (long long)d.customer_id, (long long)d.site_id);
    rq->status = 201;
    ot_jw_obj_open(&rq->out, NULL);
    ot_jw_i64(&rq->out, "device_id", d.id);
    ot_jw_i64(&rq->out, "customer_id", d.customer_id);
    ot_jw_i64(&rq->out, "site_id", d.site_id);
    ot_jw_str(&rq->out, "credential", cred);
    ot_jw_obj_close(&rq->out);
out_cred:
    sodium_memzero(cred, sizeof(cred));
out_json:
    json_decref(b);
}
