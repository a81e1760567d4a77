/*
 * The request layer: routing, authentication, the handler table and the
 * helpers every handler shares (see api.h).
 */
#include "api/api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "catalog/catalog.h"
#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"

#define ANSWER_MAX ((size_t)64 << 20)

typedef void (*handler_fn)(struct ot_api *api, struct ot_req *rq);

/* Indexed by enum ot_route_id. */
static const handler_fn handlers[OT_R_COUNT] = {
    [OT_R_HEALTH] = ot_api_h_health,
    [OT_R_CA] = ot_api_h_ca,
    [OT_R_ENROLL] = ot_api_h_enroll,
    [OT_R_EVENTS] = ot_api_h_events,
    [OT_R_CUSTOMER_ADD] = ot_api_h_customer_add,
    [OT_R_CUSTOMER_LIST] = ot_api_h_customer_list,
    [OT_R_SITE_ADD] = ot_api_h_site_add,
    [OT_R_SITE_LIST] = ot_api_h_site_list,
    [OT_R_TOKEN_ADD] = ot_api_h_token_add,
    [OT_R_DEVICE_LIST] = ot_api_h_device_list,
    [OT_R_DEVICE_REVOKE] = ot_api_h_device_revoke,
    [OT_R_INCIDENT_LIST] = ot_api_h_incident_list,
    [OT_R_INCIDENT_GET] = ot_api_h_incident_get,
    [OT_R_INCIDENT_STATUS] = ot_api_h_incident_status,
    [OT_R_FUNNEL] = ot_api_h_funnel,
    [OT_R_SUPPRESSION_ADD] = ot_api_h_suppression_add,
    [OT_R_SUPPRESSION_LIST] = ot_api_h_suppression_list,
    [OT_R_SUPPRESSION_DELETE] = ot_api_h_suppression_delete,
    [OT_R_AUDIT] = ot_api_h_audit,
};

int ot_api_time_zone(const char *tz, int *offset_min, char label[16])
{
    if (strcmp(tz, "JST") == 0 || strcmp(tz, "UTC") == 0) {
        *offset_min = tz[0] == 'J' ? 9 * 60 : 0;
        ot_strlcpy(label, tz, 16);
        return 0;
    }
    /* +HH:MM or -HH:MM */
    if (strlen(tz) != 6 || (tz[0] != '+' && tz[0] != '-') || tz[3] != ':')
        return -1;
    for (int i = 1; i < 6; i++)
        if (i != 3 && (tz[i] < '0' || tz[i] > '9'))
            return -1;
    int h = (tz[1] - '0') * 10 + (tz[2] - '0'), m = (tz[4] - '0') * 10 + (tz[5] - '0');
    if (m > 59 || h * 60 + m > 14 * 60)
        return -1;
    *offset_min = (tz[0] == '-' ? -1 : 1) * (h * 60 + m);
    snprintf(label, 16, "UTC%s", tz);
    return 0;
}

void ot_api_text_time(const char *tz, int64_t us, char *buf, size_t len)
{
    int off = 0;
    char label[16];
    if (ot_api_time_zone(tz, &off, label) != 0) {
        off = 0;
        ot_strlcpy(label, "UTC", sizeof(label));
    }
    time_t t = (time_t)(us / 1000000) + (time_t)off * 60;
    struct tm tm;
    char day[32];
    if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d %H:%M", &tm))
        snprintf(buf, len, "?");
    else
        snprintf(buf, len, "%s %s", day, label);
}

void ot_api_conf_defaults(struct ot_api_conf *c)
{
    memset(c, 0, sizeof(*c));
    ot_strlcpy(c->listen, "127.0.0.1:8443", sizeof(c->listen));
    ot_strlcpy(c->time_zone, "JST", sizeof(c->time_zone));
    c->threads = 4;
    c->max_conns = 1024;
    c->per_ip_conns = 0;
    c->timeout_s = 30;
    c->max_body = (size_t)8 << 20;
    c->max_inflated = (size_t)64 << 20;
    c->max_lines = 10000;
    c->max_json = (size_t)64 << 10;
    c->rate = 10;
    c->burst = 20;
    c->drain_s = 10;
}

/* Copies the settings that may change while running into the atomics. */
static void apply_limits(struct ot_api *api, const struct ot_api_conf *c)
{
    atomic_store(&api->max_body, c->max_body);
    atomic_store(&api->max_inflated, c->max_inflated);
    atomic_store(&api->max_lines, c->max_lines);
    atomic_store(&api->max_json, c->max_json);
}

int ot_api_init(struct ot_api *api, const struct ot_api_conf *c, struct ot_store *store,
                struct ot_triage *triage, const struct ot_pki *pki)
{
    memset(api, 0, sizeof(*api));
    api->conf = *c;
    api->store = store;
    api->triage = triage;
    api->pki = pki;
    apply_limits(api, c);
    if (sodium_init() < 0)
        return OT_ENOMEM;
    int rc = ot_rate_init(&api->enroll_rate, 8, 10, 30);
    if (!rc)
        rc = ot_rate_init(&api->rate, 65536, c->rate, c->burst);
    if (rc)
        ot_rate_free(&api->enroll_rate);
    return rc;
}

void ot_api_reload(struct ot_api *api, const struct ot_api_conf *c)
{
    apply_limits(api, c);
    ot_rate_set(&api->rate, c->rate, c->burst);
}

void ot_api_free(struct ot_api *api)
{
    ot_rate_free(&api->rate);
    ot_rate_free(&api->enroll_rate);
}

int ot_req_init(struct ot_req *rq)
{
    rq->status = 500;
    rq->raw = NULL;
    rq->retry_after = 0;
    rq->www_authenticate = false;
    return ot_jw_init(&rq->out, 1024, ANSWER_MAX);
}

void ot_req_done(struct ot_req *rq)
{
    ot_jw_free(&rq->out);
}

void ot_api_error(struct ot_req *rq, unsigned status, const char *reason)
{
    rq->status = status;
    rq->raw = NULL;
    ot_jw_reset(&rq->out);
    ot_jw_obj_open(&rq->out, NULL);
    ot_jw_str(&rq->out, "error", reason);
    ot_jw_obj_close(&rq->out);
}

void ot_api_time(int64_t us, char *buf, size_t len)
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, len, "1970-01-01T00:00:00.000000Z");
        return;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void ot_api_jw_time(struct ot_jw *w, const char *key, int64_t us)
{
    if (us == 0) {
        ot_jw_null(w, key);
        return;
    }
    char b[48];
    ot_api_time(us, b, sizeof(b));
    ot_jw_str(w, key, b);
}

void ot_api_sha256(const char *s, size_t n, uint8_t out[32])
{
    crypto_hash_sha256(out, (const unsigned char *)s, n);
}

int ot_api_secret_new(const char *prefix, char *out, size_t len, uint8_t hash[32])
{
    uint8_t raw[32];
    size_t pl = strlen(prefix);
    size_t need = pl + sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (len < need)
        return OT_ELIMIT;
    randombytes_buf(raw, sizeof(raw));
    memcpy(out, prefix, pl);
    sodium_bin2base64(out + pl, len - pl, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    ot_api_sha256(out, strlen(out), hash);
    return 0;
}

bool ot_api_body_object(struct ot_req *rq, json_t **obj)
{
    json_error_t err;
    *obj = NULL;
    if (rq->body_len == 0) {
        ot_api_error(rq, 400, "a JSON object body is required");
        return false;
    }
    json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!j) {
        char why[200];
        snprintf(why, sizeof(why), "body is not valid JSON: %s", err.text);
        ot_api_error(rq, 400, why);
        return false;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        ot_api_error(rq, 400, "body must be a JSON object");
        return false;
    }
    *obj = j;
    return true;
}

bool ot_api_query_id(struct ot_req *rq, const char *name, int64_t *out)
{
    *out = 0;
    const char *v = rq->query ? rq->query(rq->ctx, name) : NULL;
    if (!v || !*v)
        return true;
    uint64_t x;
    if (ot_parse_u64(v, 1, INT64_MAX, &x) != 0) {
        char why[96];
        snprintf(why, sizeof(why), "query parameter %s must be a positive integer id", name);
        ot_api_error(rq, 400, why);
        return false;
    }
    *out = (int64_t)x;
    return true;
}

void ot_api_store_error(struct ot_req *rq, int err, const char *what)
{
    if (err == OT_ENOENT) {
        char why[96];
        snprintf(why, sizeof(why), "no such %s", what);
        ot_api_error(rq, 404, why);
    } else if (err == OT_EEXIST) {
        char why[96];
        snprintf(why, sizeof(why), "%s already exists", what);
        ot_api_error(rq, 409, why);
    } else {
        ot_api_error(rq, 503, "store unavailable");
        rq->retry_after = 1;
    }
}

/* The bearer token of the Authorization header, or NULL. */
static const char *bearer(struct ot_req *rq)
{
    const char *h = rq->header ? rq->header(rq->ctx, "Authorization") : NULL;
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

/* Looks the device credential up; fills rq->dev.  Answers 401/503 and returns false when not
 * usable. */
static bool device_auth(struct ot_api *api, struct ot_req *rq, const char *cred)
{
    uint8_t h[32];
    ot_api_sha256(cred, strlen(cred), h);
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, false, &tx);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return false;
    }
    rc = ot_store_device_by_cred(tx, h, &rq->dev);
    ot_store_rollback(tx);
    if (rc == OT_ENOENT) {
        ot_api_error(rq, 401, "unknown credential");
        rq->www_authenticate = true;
        return false;
    }
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return false;
    }
    if (rq->dev.revoked_at != 0) {
        ot_api_error(rq, 401, "device revoked");
        rq->www_authenticate = true;
        return false;
    }
    return true;
}

/* true when key is the admin key (its SHA-256 matches the one in the store meta). */
static int admin_check(struct ot_api *api, const char *key, bool *ok)
{
    uint8_t h[32];
    char want[80] = "", got[65];
    *ok = false;
    ot_api_sha256(key, strlen(key), h);
    for (int i = 0; i < 32; i++)
        snprintf(got + 2 * i, 3, "%02x", h[i]);
    struct ot_store_tx *tx;
    int rc = ot_store_begin(api->store, false, &tx);
    if (rc)
        return rc;
    rc = ot_store_meta_get(tx, OT_API_META_ADMIN_HASH, want, sizeof(want));
    ot_store_rollback(tx);
    if (rc == OT_ENOENT)
        return 0;
    if (rc)
        return rc;
    *ok = strlen(want) == 64 && sodium_memcmp(want, got, 64) == 0;
    return 0;
}

/*
 * Checks the caller against the route's needs.  A device credential on an
 * admin route is 403 (it is known but not allowed); the admin key on the
 * ingest route likewise; anything unknown is 401.
 */
static bool authenticate(struct ot_api *api, struct ot_req *rq)
{
    enum ot_route_auth need = rq->m.route->auth;
    if (need == OT_AUTH_NONE)
        return true;
    const char *cred = bearer(rq);
    if (!cred || strlen(cred) > 256) {
        ot_api_error(rq, 401, cred ? "unknown credential" : "missing credential");
        rq->www_authenticate = true;
        return false;
    }
    if (need == OT_AUTH_DEVICE) {
        if (strncmp(cred, "ota_", 4) == 0) {
            bool ok;
            int rc = admin_check(api, cred, &ok);
            if (rc) {
                ot_api_store_error(rq, rc, "");
                return false;
            }
            if (ok) {
                ot_api_error(rq, 403, "the admin key cannot send events");
                return false;
            }
        }
        return device_auth(api, rq, cred);
    }
    if (strncmp(cred, "otd_", 4) == 0) {
        if (!device_auth(api, rq, cred))
            return false;
        ot_api_error(rq, 403, "a device credential cannot use admin endpoints");
        return false;
    }
    bool ok;
    int rc = admin_check(api, cred, &ok);
    if (rc) {
        ot_api_store_error(rq, rc, "");
        return false;
    }
    if (!ok) {
        ot_api_error(rq, 401, "unknown credential");
        rq->www_authenticate = true;
        return false;
    }
    return true;
}

/* See api.h. */
void ot_api_handle(struct ot_api *api, struct ot_req *rq)
{
    size_t n;
    const struct ot_route *t = ot_routes(&n);
    atomic_fetch_add(&api->n.requests, 1);
    int rc = ot_route_find(t, n, rq->method, rq->path, &rq->m);
    if (rc == OT_ENOENT) {
        ot_api_error(rq, 404, "no such endpoint");
    } else if (rc) {
        ot_api_error(rq, 405, "method not allowed on this endpoint");
    } else {
        const char *lang = rq->query ? rq->query(rq->ctx, "lang") : NULL;
        ot_strlcpy(rq->lang, ot_catalog_lang(lang), sizeof(rq->lang));
        if (authenticate(api, rq))
            handlers[rq->m.route->id](api, rq);
    }
    if (!rq->raw && !ot_jw_ok(&rq->out))
        ot_api_error(rq, 500, "answer too large");
    if (rq->status >= 500)
        atomic_fetch_add(&api->n.status_5xx, 1);
    else if (rq->status >= 400)
        atomic_fetch_add(&api->n.status_4xx, 1);
}

/* Printable text: no C0 control characters and no DEL (jansson already checked UTF-8). */
static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

bool ot_api_body_str(struct ot_req *rq, json_t *obj, const char *key, bool required, char *out,
                     size_t len)
{
    char why[128];
    json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!v || json_is_null(v)) {
        if (!required)
            return true;
        snprintf(why, sizeof(why), "%s is required", key);
        ot_api_error(rq, 400, why);
        return false;
    }
    if (!json_is_string(v)) {
        snprintf(why, sizeof(why), "%s must be a string", key);
        ot_api_error(rq, 400, why);
        return false;
    }
    size_t n = json_string_length(v);
    if ((required && n == 0) || n >= len) {
        snprintf(why, sizeof(why), "%s must be 1 to %zu bytes", key, len - 1);
        ot_api_error(rq, 400, why);
        return false;
    }
    if (!printable(json_string_value(v), n)) {
        snprintf(why, sizeof(why), "%s must not hold control characters", key);
        ot_api_error(rq, 400, why);
        return false;
    }
    memcpy(out, json_string_value(v), n);
    out[n] = '\0';
    return true;
}

bool ot_api_body_int(struct ot_req *rq, json_t *obj, const char *key, bool required, int64_t min,
                     int64_t max, int64_t dflt, int64_t *out)
{
    char why[128];
    json_t *v = json_object_get(obj, key);
    *out = dflt;
    if (!v || json_is_null(v)) {
        if (!required)
            return true;
        snprintf(why, sizeof(why), "%s is required", key);
        ot_api_error(rq, 400, why);
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(why, sizeof(why), "%s must be an integer from %" PRId64 " to %" PRId64, key, min,
                 max);
        ot_api_error(rq, 400, why);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}
