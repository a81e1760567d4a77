/*
 * The request layer without the network: routing answers, the
 * authentication matrix (none, wrong, admin, device, revoked), tenancy of
 * ingest (the credential's customer, never the payload's), JSON body
 * checks, and the answer shapes, against a SQLite store in a temporary folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/api.h"
#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "pki/pki.h"
#include "triage/triage.h"

struct env {
    char dir[64];
    struct ot_store *store;
    struct ot_triage *triage;
    struct ot_pki pki;
    struct ot_api api;
    char admin[128];
    int64_t now;
};

struct hdrs {
    const char *auth;
    const char *enc;
    const char *dropped;
    const char *qk[4], *qv[4];
};

static const char *hdr(void *ctx, const char *name)
{
    struct hdrs *h = ctx;
    if (!strcasecmp(name, "Authorization"))
        return h->auth;
    if (!strcasecmp(name, "Content-Encoding"))
        return h->enc;
    if (!strcasecmp(name, "X-Otasuke-Dropped"))
        return h->dropped;
    return NULL;
}

static const char *qry(void *ctx, const char *name)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 4 && h->qk[i]; i++)
        if (!strcmp(h->qk[i], name))
            return h->qv[i];
    return NULL;
}

/* Runs one request; returns the status and the parsed answer in *out (caller decrefs). */
static unsigned call(struct env *e, const char *method, const char *path, const char *key,
                     const char *body, json_t **out)
{
    char auth[200];
    struct hdrs h = {0};
    if (key) {
        snprintf(auth, sizeof(auth), "Bearer %s", key);
        h.auth = auth;
    }
    struct ot_req rq = {.method = method,
                        .path = path,
                        .header = hdr,
                        .query = qry,
                        .ctx = &h,
                        .body = body ? body : "",
                        .body_len = body ? strlen(body) : 0,
                        .now_us = e->now += 1000};
    assert_int_equal(ot_req_init(&rq), 0);
    ot_api_handle(&e->api, &rq);
    unsigned st = rq.status;
    if (out) {
        *out = rq.raw ? NULL : json_loadb(rq.out.buf, rq.out.len, 0, NULL);
        if (st != 204 && !rq.raw)
            assert_non_null(*out);
    }
    ot_req_done(&rq);
    return st;
}

static const char *str(json_t *j, const char *k)
{
    const char *v = json_string_value(json_object_get(j, k));
    return v ? v : "";
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    char err[256], url[128];
    snprintf(e->dir, sizeof(e->dir), "/tmp/ot-api-unit-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(url, sizeof(url), "sqlite:%s/t.db", e->dir);
    ot_log_set_level(OT_LOG_ERROR);
    if (ot_store_open(url, 2, &e->store, err, sizeof(err)) != 0)
        fail_msg("store: %s", err);
    struct ot_triage_conf tc;
    ot_triage_conf_defaults(&tc);
    assert_int_equal(ot_triage_new(&tc, &e->triage), 0);
    static char ca[] = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
    e->pki.ca_pem = ca;
    memset(e->pki.ca_pin, 'b', 64);
    struct ot_api_conf c;
    ot_api_conf_defaults(&c);
    assert_int_equal(ot_api_init(&e->api, &c, e->store, e->triage, &e->pki), 0);
    uint8_t hash[32];
    char hex[65];
    assert_int_equal(ot_api_secret_new("ota_", e->admin, sizeof(e->admin), hash), 0);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", hash[i]);
    struct ot_store_tx *tx;
    assert_int_equal(ot_store_begin(e->store, true, &tx), 0);
    assert_int_equal(ot_store_meta_set(tx, OT_API_META_ADMIN_HASH, hex), 0);
    assert_int_equal(ot_store_commit(tx), 0);
    e->now = (int64_t)1700000000 * 1000000;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    ot_api_free(&e->api);
    ot_triage_free(e->triage);
    ot_store_close(e->store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    assert_int_equal(system(cmd), 0);
    free(e);
    return 0;
}

/* Makes customer `name` with one site and an enrolled device; returns its credential. */
static void tenant(struct env *e, const char *name, char *cred, size_t len, int64_t *cust)
{
    json_t *j;
    char body[300], path[64];
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    assert_int_equal(call(e, "POST", "/api/v1/customers", e->admin, body, &j), 201);
    *cust = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/customers/%lld/sites", (long long)*cust);
    assert_int_equal(call(e, "POST", path, e->admin, "{\"name\":\"s\"}", &j), 201);
    int64_t site = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    snprintf(body, sizeof(body), "{\"customer_id\":%lld,\"site_id\":%lld}", (long long)*cust,
             (long long)site);
    assert_int_equal(call(e, "POST", "/api/v1/tokens", e->admin, body, &j), 201);
    const char *tok = str(j, "token");
    assert_non_null(strstr(tok, ".bbbb"));
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"name\":\"d\"}", tok);
    json_decref(j);
    assert_int_equal(call(e, "POST", "/api/v1/enroll", NULL, body, &j), 201);
    ot_strlcpy(cred, str(j, "credential"), len);
    assert_int_equal(strncmp(cred, "otd_", 4), 0);
    assert_int_equal(strlen(cred), 47);
    json_decref(j);
}

static void test_auth_matrix(void **state)
{
    struct env *e = *state;
    json_t *j;
    char dev[128];
    int64_t cust;
    tenant(e, "A", dev, sizeof(dev), &cust);
    assert_int_equal(call(e, "GET", "/api/v1/customers", NULL, NULL, &j), 401);
    assert_string_equal(str(j, "error"), "missing credential");
    json_decref(j);
    assert_int_equal(call(e, "GET", "/api/v1/customers", "ota_wrong", NULL, &j), 401);
    json_decref(j);
    assert_int_equal(call(e, "GET", "/api/v1/customers", dev, NULL, &j), 403);
    json_decref(j);
    assert_int_equal(call(e, "GET", "/api/v1/customers", "otd_unknown", NULL, &j), 401);
    json_decref(j);
    const char *ev =
        "{\"event_id\":\"1\",\"event_type\":\"dns\",\"timestamp\":\"2024-01-01T00:00:00Z\"}";
    assert_int_equal(call(e, "POST", "/api/v1/events", e->admin, ev, &j), 403);
    json_decref(j);
    assert_int_equal(call(e, "POST", "/api/v1/events", dev, ev, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 1);
    json_decref(j);
    assert_int_equal(call(e, "GET", "/api/v1/health", NULL, NULL, &j), 200);
    json_decref(j);
    assert_int_equal(call(e, "GET", "/api/v1/ca", NULL, NULL, NULL), 200);
    assert_int_equal(call(e, "GET", "/api/v1/nope", e->admin, NULL, &j), 404);
    json_decref(j);
    assert_int_equal(call(e, "PATCH", "/api/v1/customers", e->admin, NULL, &j), 405);
    json_decref(j);
    /* revocation is immediate */
    assert_int_equal(call(e, "POST", "/api/v1/devices/1/revoke", e->admin, NULL, &j), 200);
    json_decref(j);
    assert_int_equal(call(e, "POST", "/api/v1/events", dev, ev, &j), 401);
    assert_string_equal(str(j, "error"), "device revoked");
    json_decref(j);
}

/* A payload naming another customer or device changes nothing: the credential decides. */
static void test_tenancy(void **state)
{
    struct env *e = *state;
    json_t *j;
    char da[128], db[128];
    int64_t ca, cb;
    tenant(e, "A", da, sizeof(da), &ca);
    tenant(e, "B", db, sizeof(db), &cb);
    char ev[300];
    snprintf(ev, sizeof(ev),
             "{\"event_id\":\"x\",\"event_type\":\"dns\",\"timestamp\":\"2024-01-01T00:00:00Z\","
             "\"customer_id\":%lld,\"device_id\":2}",
             (long long)cb);
    assert_int_equal(call(e, "POST", "/api/v1/events", da, ev, &j), 200);
    json_decref(j);
    struct ot_store_tx *tx;
    assert_int_equal(ot_store_begin(e->store, false, &tx), 0);
    assert_true(ot_store_events_count(tx, ca) == 1);
    assert_true(ot_store_events_count(tx, cb) == 0);
    ot_store_rollback(tx);
    assert_int_equal(ot_store_begin(e->store, false, &tx), 0);
    assert_true(ot_store_events_count(tx, cb) == 0);
    ot_store_rollback(tx);
    /* the same event_id twice in one batch: one stored, one duplicate */
    char two[700];
    snprintf(two, sizeof(two), "%s\n%s\n", ev, ev);
    assert_int_equal(call(e, "POST", "/api/v1/events", da, two, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "duplicates")), 2);
    json_decref(j);
    const char *ev2 =
        "{\"event_id\":\"y\",\"event_type\":\"dns\",\"timestamp\":\"2024-01-01T00:00:00Z\"}";
    snprintf(two, sizeof(two), "%s\n%s", ev2, ev2);
    assert_int_equal(call(e, "POST", "/api/v1/events", da, two, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "duplicates")), 1);
    json_decref(j);
    /* same event_id from B is B's own, not a duplicate */
    assert_int_equal(call(e, "POST", "/api/v1/events", db, ev, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "accepted")), 1);
    json_decref(j);
}

static void test_bodies(void **state)
{
    struct env *e = *state;
    json_t *j;
    assert_int_equal(call(e, "POST", "/api/v1/customers", e->admin, "", &j), 400);
    json_decref(j);
    assert_int_equal(call(e, "POST", "/api/v1/customers", e->admin, "[1]", &j), 400);
    assert_string_equal(str(j, "error"), "body must be a JSON object");
    json_decref(j);
    assert_int_equal(call(e, "POST", "/api/v1/customers", e->admin, "{\"name\":5}", &j), 400);
    json_decref(j);
    assert_int_equal(call(e, "POST", "/api/v1/customers", e->admin, "{\"name\":\"a\\u0001\"}", &j),
                     400);
    json_decref(j);
    assert_int_equal(
        call(e, "POST", "/api/v1/customers", e->admin, "{\"name\":\"a\",\"name\":\"b\"}", &j), 400);
    json_decref(j);
    assert_int_equal(call(e, "POST", "/api/v1/tokens", e->admin,
                          "{\"customer_id\":1,\"site_id\":1,\"ttl\":0}", &j),
                     400);
    json_decref(j);
    assert_int_equal(
        call(e, "POST", "/api/v1/enroll", NULL, "{\"token\":\"ote_zz\",\"name\":\"n\"}", &j), 401);
    assert_string_equal(str(j, "error"), "unknown token");
    json_decref(j);
    assert_int_equal(call(e, "GET", "/api/v1/incidents/5", e->admin, NULL, &j), 404);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_auth_matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenancy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bodies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
