/*
 * The store on both backends: every test runs on SQLite (a fresh file in a
 * temporary folder) and, when OT_TEST_PG_URL names a PostgreSQL database,
 * on PostgreSQL (a fresh schema per test, dropped after).
 * tests/server/test_store_pg.sh starts a throw-away cluster and runs this
 * binary with OT_TEST_PG_URL (and OT_TEST_PG_CTL/OT_TEST_PG_DIR, so the
 * outage test can stop and restart the server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "otasuke/error.h"
#include "store/store-int.h"
#include "store/store.h"

struct fx {
    enum ot_store_kind kind;
    char dir[256];
    char url[1024];
    char schema[64];
    struct ot_store *st;
};

static unsigned schema_seq;

static void rm_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void quiet(void *arg, const char *msg)
{
}

/* Runs one SQL command on the admin connection to OT_TEST_PG_URL. */
static void pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("OT_TEST_PG_URL"));
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to OT_TEST_PG_URL: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int open_store(struct fx *f, unsigned pool)
{
    char err[256];
    int rc = ot_store_open(f->url, pool, &f->st, err, sizeof(err));
    if (rc)
        print_message("open %s: %s\n", f->url, err);
    return rc;
}

static int setup_sqlite(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->kind = OT_STORE_SQLITE;
    snprintf(f->dir, sizeof(f->dir), "/tmp/ot-store-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->url, sizeof(f->url), "sqlite:%s/otasuke.db", f->dir);
    assert_int_equal(open_store(f, 4), 0);
    *state = f;
    return 0;
}

static int setup_pg(void **state)
{
    const char *base = getenv("OT_TEST_PG_URL");
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->kind = OT_STORE_PG;
    snprintf(f->schema, sizeof(f->schema), "t_%d_%u", (int)getpid(), ++schema_seq);
    char sql[256];
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", f->schema,
             f->schema);
    pg_admin(sql);
    snprintf(f->url, sizeof(f->url), "%s%soptions=-csearch_path%%3D%s", base,
             strchr(base, '?') ? "&" : "?", f->schema);
    assert_int_equal(open_store(f, 4), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ot_store_close(f->st);
    if (f->kind == OT_STORE_SQLITE) {
        rm_dir(f->dir);
    } else {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", f->schema);
        pg_admin(sql);
    }
    free(f);
    return 0;
}

static void hash_of(const char *s, uint8_t h[32])
{
    memset(h, 0, 32);
    for (size_t i = 0; s[i]; i++)
        h[i % 32] = (uint8_t)(h[i % 32] * 31 + (uint8_t)s[i] + i);
}

static struct ot_store_tx *wbegin(struct fx *f)
{
    struct ot_store_tx *tx = NULL;
    assert_int_equal(ot_store_begin(f->st, true, &tx), 0);
    return tx;
}

/* A customer with one site and one device; returns the ids. */
static void tenant(struct fx *f, const char *name, int64_t *cid, int64_t *sid, int64_t *did)
{
    struct ot_store_tx *tx = wbegin(f);
    assert_int_equal(ot_store_customer_add(tx, name, 1000, cid), 0);
    assert_int_equal(ot_store_site_add(tx, *cid, "main office", 1000, sid), 0);
    struct ot_device d = {.customer_id = *cid, .site_id = *sid, .created_at = 1000};
    snprintf(d.name, sizeof(d.name), "sensor-%s", name);
    snprintf(d.kind, sizeof(d.kind), "sensor");
    uint8_t h[32];
    hash_of(d.name, h);
    assert_int_equal(ot_store_device_add(tx, &d, h, did), 0);
    assert_int_equal(ot_store_commit(tx), 0);
}

/* n events "prefix-i" with ~400-byte bodies; the caller frees bodies with free_events. */
static struct ot_store_event *make_events(const char *prefix, size_t first, size_t n)
{
    struct ot_store_event *ev = calloc(n, sizeof(*ev));
    assert_non_null(ev);
    for (size_t i = 0; i < n; i++) {
        char *id = malloc(64), *body = malloc(512);
        assert_non_null(id);
        assert_non_null(body);
        snprintf(id, 64, "%s-%zu", prefix, first + i);
        int len = snprintf(body, 512,
                           "{\"event_id\":\"%s\",\"event_type\":\"dns\",\"timestamp\":"
                           "\"2026-01-01T00:00:00Z\",\"src_ip\":\"192.168.1.%zu\",\"dest_ip\":"
                           "\"8.8.8.8\",\"dns\":{\"rrname\":\"host%zu.example.com\",\"rrtype\":"
                           "\"A\",\"answers\":[\"93.184.216.34\"]},\"pad\":\"%0200d\"}",
                           id, i % 250, i, 0);
        assert_in_range(len, 1, 511);
        ev[i] = (struct ot_store_event){.event_id = id,
                                        .event_id_len = strlen(id),
                                        .event_type = "dns",
                                        .event_type_len = 3,
                                        .ts = (int64_t)(first + i),
                                        .body = body,
                                        .body_len = (size_t)len};
    }
    return ev;
}

static void free_events(struct ot_store_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((void *)ev[i].event_id);
        free((void *)ev[i].body);
    }
    free(ev);
}

/* ---- callbacks that collect ---- */

struct ids {
    int64_t id[64];
    int64_t cust[64];
    size_t n;
    int stop_after; /* 0 = never */
};

static int add_id(struct ids *s, int64_t id, int64_t cust)
{
    if (s->n < 64) {
        s->id[s->n] = id;
        s->cust[s->n] = cust;
    }
    s->n++;
    return s->stop_after && (int)s->n >= s->stop_after ? 99 : 0;
}

static int cb_customer(void *ctx, const struct ot_customer *c)
{
    return add_id(ctx, c->id, c->id);
}
static int cb_site(void *ctx, const struct ot_site *s)
{
    return add_id(ctx, s->id, s->customer_id);
}
static int cb_device(void *ctx, const struct ot_device *d)
{
    return add_id(ctx, d->id, d->customer_id);
}
static int cb_alert(void *ctx, const struct ot_alert_row *a)
{
    return add_id(ctx, a->id, a->customer_id);
}
static int cb_incident(void *ctx, const struct ot_incident *i)
{
    return add_id(ctx, i->id, i->customer_id);
}
static int cb_supp(void *ctx, const struct ot_suppression *s)
{
    return add_id(ctx, s->id, s->customer_id);
}
static int cb_audit(void *ctx, const struct ot_audit *a)
{
    return add_id(ctx, a->id, a->customer_id);
}

struct funnel_rows {
    struct ot_funnel_row fam[8], rule[8];
    size_t nfam, nrule;
};

static int cb_funnel(void *ctx, const struct ot_funnel_row *r)
{
    struct funnel_rows *fr = ctx;
    if (r->sid == 0 && fr->nfam < 8)
        fr->fam[fr->nfam++] = *r;
    else if (r->sid && fr->nrule < 8)
        fr->rule[fr->nrule++] = *r;
    return 0;
}

/* ---- tests ---- */

static void test_open_meta(void **state)
{
    struct fx *f = *state;
    assert_int_equal(ot_store_kind(f->st), f->kind);
    struct ot_store_tx *tx = wbegin(f);
    char v[64];
    assert_int_equal(ot_store_meta_get(tx, "admin_key_sha256", v, sizeof(v)), OT_ENOENT);
    assert_int_equal(ot_store_meta_set(tx, "admin_key_sha256", "abc"), 0);
    assert_int_equal(ot_store_meta_set(tx, "admin_key_sha256", "def"), 0);
    assert_int_equal(ot_store_meta_get(tx, "admin_key_sha256", v, sizeof(v)), 0);
    assert_string_equal(v, "def");
    assert_int_equal(ot_store_meta_get(tx, "admin_key_sha256", v, 2), OT_ELIMIT);
    assert_int_equal(ot_store_meta_get(tx, "schema_version", v, sizeof(v)), 0);
    assert_string_equal(v, "1");
    assert_int_equal(ot_store_commit(tx), 0);

    /* Reopening keeps the data and the schema. */
    ot_store_close(f->st);
    f->st = NULL;
    assert_int_equal(open_store(f, 2), 0);
    tx = wbegin(f);
    assert_int_equal(ot_store_meta_get(tx, "admin_key_sha256", v, sizeof(v)), 0);
    assert_string_equal(v, "def");
    /* A database from a newer server is refused, with the reason. */
    assert_int_equal(ot_store_meta_set(tx, "schema_version", "99"), 0);
    assert_int_equal(ot_store_commit(tx), 0);
    ot_store_close(f->st);
    f->st = NULL;
    char err[256];
    struct ot_store *st = NULL;
    assert_int_equal(ot_store_open(f->url, 1, &st, err, sizeof(err)), OT_EUNSUPP);
    assert_non_null(strstr(err, "newer"));
    /* Put it back so teardown can close a store. */
    assert_null(st);
    if (f->kind == OT_STORE_SQLITE) {
        char path[300];
        snprintf(path, sizeof(path), "%s/otasuke.db", f->dir);
        unlink(path);
    } else {
        char sql[200];
        snprintf(sql, sizeof(sql), "UPDATE %s.meta SET value = '1' WHERE name = 'schema_version'",
                 f->schema);
        pg_admin(sql);
    }
    assert_int_equal(open_store(f, 2), 0);
}

static void test_bad_urls(void **state)
{
    char err[256];
    struct ot_store *st = NULL;
    assert_int_equal(ot_store_open("", 1, &st, err, sizeof(err)), OT_EINVAL);
    assert_int_equal(ot_store_open("sqlite:", 1, &st, err, sizeof(err)), OT_EINVAL);
    assert_int_equal(
        ot_store_open("/tmp/never-made.db", OT_STORE_POOL_MAX + 1, &st, err, sizeof(err)),
        OT_EINVAL);
    assert_int_not_equal(ot_store_open("/nonexistent-dir/x/otasuke.db", 1, &st, err, sizeof(err)),
                         0);
    assert_non_null(strstr(err, "/nonexistent-dir/x/otasuke.db"));
    assert_int_equal(
        ot_store_open("postgresql://nobody@127.0.0.1:1/none", 1, &st, err, sizeof(err)), OT_EAGAIN);
    assert_non_null(strstr(err, "PostgreSQL"));
    assert_null(st);
}

static void test_customers_sites(void **state)
{
    struct fx *f = *state;
    struct ot_store_tx *tx = wbegin(f);
    int64_t a, b, s1, s2, x;
    assert_int_equal(ot_store_customer_add(tx, "Tanaka Kogyo", 5, &a), 0);
    assert_int_equal(ot_store_customer_add(tx, "Suzuki Shoten", 6, &b), 0);
    assert_int_equal(ot_store_customer_add(tx, "Tanaka Kogyo", 7, &x), OT_EEXIST);
    assert_int_equal(ot_store_customer_add(tx, "", 7, &x), OT_EINVAL);
    char longname[200];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(ot_store_customer_add(tx, longname, 7, &x), OT_EINVAL);
    /* The transaction still works after refused names (PostgreSQL too). */
    struct ot_customer c;
    assert_int_equal(ot_store_customer_get(tx, a, &c), 0);
    assert_string_equal(c.name, "Tanaka Kogyo");
    assert_int_equal(c.created_at, 5);
    assert_int_equal(ot_store_customer_get(tx, 9999, &c), OT_ENOENT);
    struct ids ids = {0};
    assert_int_equal(ot_store_customer_list(tx, cb_customer, &ids), 0);
    assert_int_equal(ids.n, 2);
    assert_int_equal(ids.id[0], a);
    ids = (struct ids){.stop_after = 1};
    assert_int_equal(ot_store_customer_list(tx, cb_customer, &ids), 99);

    assert_int_equal(ot_store_site_add(tx, a, "HQ", 8, &s1), 0);
    assert_int_equal(ot_store_site_add(tx, b, "HQ", 8, &s2), 0); /* same name, other customer */
    assert_int_equal(ot_store_site_add(tx, a, "HQ", 8, &x), OT_EEXIST);
    assert_int_equal(ot_store_site_add(tx, 9999, "HQ", 8, &x), OT_ENOENT);
    struct ot_site s;
    assert_int_equal(ot_store_site_get(tx, a, s1, &s), 0);
    assert_string_equal(s.name, "HQ");
    assert_int_equal(ot_store_site_get(tx, b, s1, &s), OT_ENOENT); /* not B's */
    ids = (struct ids){0};
    assert_int_equal(ot_store_site_list(tx, b, cb_site, &ids), 0);
    assert_int_equal(ids.n, 1);
    assert_int_equal(ids.id[0], s2);
    assert_int_equal(ot_store_commit(tx), 0);
}

static void test_tokens(void **state)
{
    struct fx *f = *state;
    int64_t cid, sid, did, tid, other_c, other_s, other_d;
    tenant(f, "A", &cid, &sid, &did);
    tenant(f, "B", &other_c, &other_s, &other_d);
    struct ot_store_tx *tx = wbegin(f);
    struct ot_token t = {.customer_id = cid, .site_id = sid, .expires_at = 2000};
    snprintf(t.kind, sizeof(t.kind), "sensor");
    uint8_t h1[32], h2[32], h3[32];
    hash_of("ote_one", h1);
    hash_of("ote_two", h2);
    hash_of("ote_unknown", h3);
    assert_int_equal(ot_store_token_add(tx, &t, h1, 1000, &tid), 0);
    assert_int_equal(ot_store_token_add(tx, &t, h1, 1000, &tid), OT_EEXIST);
    struct ot_token bad = t;
    bad.site_id = other_s; /* B's site under A */
    assert_int_equal(ot_store_token_add(tx, &bad, h2, 1000, &tid), OT_ENOENT);
    t.expires_at = 1500;
    int64_t tid2;
    assert_int_equal(ot_store_token_add(tx, &t, h2, 1000, &tid2), 0);

    struct ot_token out;
    assert_int_equal(ot_store_token_consume(tx, h3, 1200, &out), OT_ENOENT);
    assert_int_equal(ot_store_token_consume(tx, h1, 1200, &out), 0);
    assert_int_equal(out.customer_id, cid);
    assert_int_equal(out.site_id, sid);
    assert_string_equal(out.kind, "sensor");
    assert_int_equal(out.used_at, 1200);
    assert_int_equal(ot_store_token_consume(tx, h1, 1201, &out), OT_EEXIST);
    assert_int_equal(ot_store_token_consume(tx, h2, 1500, &out), OT_ELIMIT); /* expired */
    assert_int_equal(ot_store_token_bind(tx, out.id, did), 0);
    assert_int_equal(ot_store_token_bind(tx, 99999, did), OT_ENOENT);
    assert_int_equal(ot_store_commit(tx), 0);
}

struct race {
    struct ot_store *st;
    uint8_t hash[32];
    pthread_barrier_t *bar;
    int rc;
};

static void *race_consume(void *arg)
{
    struct race *r = arg;
    struct ot_store_tx *tx;
    struct ot_token out;
    pthread_barrier_wait(r->bar);
    r->rc = ot_store_begin(r->st, true, &tx);
    if (r->rc)
        return NULL;
    r->rc = ot_store_token_consume(tx, r->hash, 1100, &out);
    if (r->rc == 0) {
        struct timespec ts = {0, 20 * 1000 * 1000}; /* hold it while the other tries */
        nanosleep(&ts, NULL);
        r->rc = ot_store_commit(tx);
    } else {
        ot_store_rollback(tx);
    }
    return NULL;
}

static void test_token_race(void **state)
{
    struct fx *f = *state;
    int64_t cid, sid, did;
    tenant(f, "A", &cid, &sid, &did);
    for (int round = 0; round < 4; round++) {
        char name[32];
        snprintf(name, sizeof(name), "ote_race_%d", round);
        struct ot_token t = {.customer_id = cid, .site_id = sid, .expires_at = 5000};
        snprintf(t.kind, sizeof(t.kind), "sensor");
        struct race r[2] = {{.st = f->st}, {.st = f->st}};
        hash_of(name, r[0].hash);
        memcpy(r[1].hash, r[0].hash, 32);
        struct ot_store_tx *tx = wbegin(f);
        int64_t tid;
        assert_int_equal(ot_store_token_add(tx, &t, r[0].hash, 1000, &tid), 0);
        assert_int_equal(ot_store_commit(tx), 0);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, 2);
        pthread_t th[2];
        for (int i = 0; i < 2; i++) {
            r[i].bar = &bar;
            assert_int_equal(pthread_create(&th[i], NULL, race_consume, &r[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&bar);
        int ok = (r[0].rc == 0) + (r[1].rc == 0);
        int used = (r[0].rc == OT_EEXIST) + (r[1].rc == OT_EEXIST);
        if (ok != 1 || used != 1)
            fail_msg("round %d: results %d and %d", round, r[0].rc, r[1].rc);
    }
}

static void test_devices(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad, b, bs, bd;
    tenant(f, "A", &a, &as, &ad);
    tenant(f, "B", &b, &bs, &bd);
    struct ot_store_tx *tx = wbegin(f);
    uint8_t h[32];
    hash_of("sensor-A", h);
    struct ot_device d;
    assert_int_equal(ot_store_device_by_cred(tx, h, &d), 0);
    assert_int_equal(d.id, ad);
    assert_int_equal(d.customer_id, a);
    assert_string_equal(d.kind, "sensor");
    assert_int_equal(d.revoked_at, 0);
    hash_of("nobody", h);
    assert_int_equal(ot_store_device_by_cred(tx, h, &d), OT_ENOENT);
    hash_of("sensor-A", h);
    struct ot_device dup = {.customer_id = a, .site_id = as, .created_at = 1};
    snprintf(dup.name, sizeof(dup.name), "again");
    snprintf(dup.kind, sizeof(dup.kind), "sensor");
    int64_t x;
    assert_int_equal(ot_store_device_add(tx, &dup, h, &x), OT_EEXIST);
    dup.site_id = bs;
    hash_of("fresh", h);
    assert_int_equal(ot_store_device_add(tx, &dup, h, &x), OT_ENOENT); /* B's site */

    assert_int_equal(ot_store_device_get(tx, a, ad, &d), 0);
    assert_int_equal(ot_store_device_get(tx, b, ad, &d), OT_ENOENT);
    assert_int_equal(ot_store_device_get(tx, 0, ad, &d), 0);
    struct ids ids = {0};
    assert_int_equal(ot_store_device_list(tx, b, cb_device, &ids), 0);
    assert_int_equal(ids.n, 1);
    assert_int_equal(ids.id[0], bd);
    ids = (struct ids){0};
    assert_int_equal(ot_store_device_list(tx, 0, cb_device, &ids), 0);
    assert_int_equal(ids.n, 2);

    assert_int_equal(ot_store_device_seen(tx, ad, 5000, 10, 2), 0);
    assert_int_equal(ot_store_device_seen(tx, ad, 4000, 5, 0), 0); /* an older clock */
    assert_int_equal(ot_store_device_seen(tx, 9999, 4000, 5, 0), OT_ENOENT);
    assert_int_equal(ot_store_device_get(tx, a, ad, &d), 0);
    assert_int_equal(d.last_seen, 5000);
    assert_int_equal(d.events, 15);
    assert_int_equal(d.spool_dropped, 2);

    assert_int_equal(ot_store_device_revoke(tx, ad, 6000), 0);
    assert_int_equal(ot_store_device_revoke(tx, ad, 7000), 0);
    assert_int_equal(ot_store_device_revoke(tx, 9999, 7000), OT_ENOENT);
    hash_of("sensor-A", h);
    assert_int_equal(ot_store_device_by_cred(tx, h, &d), 0);
    assert_int_equal(d.revoked_at, 6000);
    assert_int_equal(ot_store_commit(tx), 0);
}

static void test_events_dedup(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    struct ot_store_event *ev = make_events("e", 0, 6);
    /* Within one batch: the 4th and 6th repeat the 1st and 2nd. */
    free((void *)ev[3].event_id);
    ev[3].event_id = strdup("e-0");
    ev[3].event_id_len = 3;
    free((void *)ev[5].event_id);
    ev[5].event_id = strdup("e-1");
    ev[5].event_id_len = 3;
    struct ot_store_tx *tx = wbegin(f);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 100, ev, 6), 0);
    assert_false(ev[0].duplicate);
    assert_false(ev[1].duplicate);
    assert_false(ev[2].duplicate);
    assert_true(ev[3].duplicate);
    assert_false(ev[4].duplicate);
    assert_true(ev[5].duplicate);
    assert_int_equal(ev[3].row_id, ev[0].row_id);
    assert_int_equal(ev[5].row_id, ev[1].row_id);
    assert_true(ev[0].row_id != ev[1].row_id && ev[1].row_id != ev[2].row_id);
    int64_t first[6];
    for (int i = 0; i < 6; i++)
        first[i] = ev[i].row_id;
    assert_int_equal(ot_store_commit(tx), 0);

    /* Across batches: the 4 stored ids again, plus 2 new ones. */
    struct ot_store_event *ev2 = make_events("e", 0, 6);
    tx = wbegin(f);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 200, ev2, 6), 0);
    for (int i = 0; i < 3; i++) {
        assert_true(ev2[i].duplicate);
        assert_int_equal(ev2[i].row_id, first[i]);
    }
    assert_true(ev2[4].duplicate);
    assert_int_equal(ev2[4].row_id, first[4]);
    assert_false(ev2[3].duplicate); /* "e-3" is new */
    assert_false(ev2[5].duplicate);
    assert_int_equal(ot_store_events_count(tx, a), 6);
    assert_int_equal(ot_store_events_count(tx, 0), 6);
    /* Bad input: no id, a NUL byte. */
    struct ot_store_event bad = ev2[0];
    bad.event_id_len = 0;
    assert_int_equal(ot_store_events_insert(tx, a, ad, 200, &bad, 1), OT_EINVAL);
    bad = ev2[0];
    bad.body = "{\"a\":\"\0\"}";
    bad.body_len = 9;
    assert_int_equal(ot_store_events_insert(tx, a, ad, 200, &bad, 1), OT_EINVAL);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 200, ev2, 0), 0);
    assert_int_equal(ot_store_commit(tx), 0);
    free_events(ev, 6);
    free_events(ev2, 6);
}

static void test_rollback(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    struct ot_store_tx *tx = wbegin(f);
    int64_t c2;
    assert_int_equal(ot_store_customer_add(tx, "Gone", 1, &c2), 0);
    struct ot_store_event *ev = make_events("r", 0, 50);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 1, ev, 50), 0);
    struct ot_incident inc = {.customer_id = a, .severity = 2, .first_seen = 1, .last_seen = 1};
    snprintf(inc.family, sizeof(inc.family), "scan");
    snprintf(inc.entity, sizeof(inc.entity), "10.0.0.1");
    assert_int_equal(ot_store_incident_create(tx, &inc), 0);
    struct ot_audit au = {.customer_id = a, .at = 1};
    snprintf(au.actor, sizeof(au.actor), "admin");
    snprintf(au.action, sizeof(au.action), "test");
    assert_int_equal(ot_store_audit_add(tx, &au), 0);
    assert_int_equal(ot_store_device_seen(tx, ad, 9, 50, 1), 0);
    struct ot_alert_row al = {.id = ev[0].row_id,
                              .customer_id = a,
                              .device_id = ad,
                              .sid = 1,
                              .incident_id = inc.id,
                              .count = 1};
    snprintf(al.family, sizeof(al.family), "scan");
    assert_int_equal(ot_store_alert_add(tx, &al), 0);
    ot_store_rollback(tx);

    assert_int_equal(ot_store_begin(f->st, false, &tx), 0);
    struct ot_customer c;
    assert_int_equal(ot_store_customer_get(tx, c2, &c), OT_ENOENT);
    assert_int_equal(ot_store_events_count(tx, 0), 0);
    assert_int_equal(ot_store_incident_get(tx, 0, inc.id, &inc), OT_ENOENT);
    struct ids ids = {0};
    assert_int_equal(ot_store_audit_list(tx, 0, NULL, cb_audit, &ids), 0);
    assert_int_equal(ids.n, 0);
    struct ot_device d;
    assert_int_equal(ot_store_device_get(tx, a, ad, &d), 0);
    assert_int_equal(d.events, 0);
    ids = (struct ids){0};
    assert_int_equal(ot_store_alert_list(tx, a, 0, cb_alert, &ids), 0);
    assert_int_equal(ids.n, 0);
    ot_store_rollback(tx);
    /* The same events go in afterwards as new. */
    tx = wbegin(f);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 1, ev, 50), 0);
    for (int i = 0; i < 50; i++)
        assert_false(ev[i].duplicate);
    assert_int_equal(ot_store_commit(tx), 0);
    free_events(ev, 50);
}

/* An alert row for event row `row` of customer c, family fam, joined to inc. */
static struct ot_alert_row alert(int64_t row, int64_t c, int64_t dev, const char *fam, int64_t sid,
                                 int64_t inc, int64_t supp, int64_t ts)
{
    struct ot_alert_row a = {.id = row,
                             .customer_id = c,
                             .device_id = dev,
                             .ts = ts,
                             .sid = sid,
                             .severity = 2,
                             .src_port = 1234,
                             .dest_port = 22,
                             .count = 3,
                             .incident_id = inc,
                             .suppressed_by = supp};
    snprintf(a.family, sizeof(a.family), "%s", fam);
    snprintf(a.signature, sizeof(a.signature), "sig %lld", (long long)sid);
    snprintf(a.src_ip, sizeof(a.src_ip), "203.0.113.5");
    snprintf(a.dest_ip, sizeof(a.dest_ip), "192.168.1.10");
    snprintf(a.entity, sizeof(a.entity), "203.0.113.5");
    return a;
}

static void test_incidents(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    struct ot_store_tx *tx = wbegin(f);
    assert_int_equal(ot_store_lock_customer(tx, a), 0);
    struct ot_incident i1 = {.customer_id = a,
                             .severity = 2,
                             .first_seen = 100,
                             .last_seen = 100,
                             .alert_count = 1,
                             .event_count = 3,
                             .created_at = 100,
                             .updated_at = 100};
    snprintf(i1.family, sizeof(i1.family), "bruteforce");
    snprintf(i1.entity, sizeof(i1.entity), "203.0.113.5");
    assert_int_equal(ot_store_incident_create(tx, &i1), 0);
    assert_true(i1.id > 0);
    struct ot_incident got;
    assert_int_equal(ot_store_incident_find_open(tx, a, "bruteforce", "203.0.113.5", 50, &got), 0);
    assert_int_equal(got.id, i1.id);
    assert_int_equal(got.event_count, 3);
    assert_string_equal(got.correlation, "");
    assert_int_equal(ot_store_incident_find_open(tx, a, "bruteforce", "203.0.113.5", 101, &got),
                     OT_ENOENT); /* outside the window */
    assert_int_equal(ot_store_incident_find_open(tx, a, "scan", "203.0.113.5", 0, &got), OT_ENOENT);
    i1.alert_count = 2;
    i1.event_count = 7;
    i1.last_seen = 200;
    i1.severity = 1;
    snprintf(i1.correlation, sizeof(i1.correlation), "bruteforce-login");
    i1.related_id = 42;
    assert_int_equal(ot_store_incident_update(tx, &i1), 0);
    assert_int_equal(ot_store_incident_get(tx, a, i1.id, &got), 0);
    assert_int_equal(got.alert_count, 2);
    assert_int_equal(got.last_seen, 200);
    assert_int_equal(got.severity, 1);
    assert_string_equal(got.correlation, "bruteforce-login");
    assert_int_equal(got.related_id, 42);
    assert_string_equal(got.family, "bruteforce");
    /* Resolved: no longer open, still recent. */
    i1.status = OT_INC_RESOLVED;
    i1.resolution = OT_RES_TRUE_POSITIVE;
    assert_int_equal(ot_store_incident_update(tx, &i1), 0);
    assert_int_equal(ot_store_incident_find_open(tx, a, "bruteforce", "203.0.113.5", 0, &got),
                     OT_ENOENT);
    assert_int_equal(ot_store_incident_find_recent(tx, a, "bruteforce", "203.0.113.5", 0, &got), 0);
    assert_int_equal(got.resolution, OT_RES_TRUE_POSITIVE);
    struct ot_incident bad = i1;
    bad.status = 9;
    assert_int_equal(ot_store_incident_update(tx, &bad), OT_EINVAL);
    bad = i1;
    bad.id = 99999;
    assert_int_equal(ot_store_incident_update(tx, &bad), OT_ENOENT);

    /* Five more, for list filters and paging. */
    for (int k = 0; k < 5; k++) {
        struct ot_incident n = {.customer_id = a,
                                .severity = 3,
                                .first_seen = 300 + k,
                                .last_seen = 300 + k,
                                .status = k % 2 ? OT_INC_ACKNOWLEDGED : OT_INC_NEW};
        snprintf(n.family, sizeof(n.family), "scan");
        snprintf(n.entity, sizeof(n.entity), "10.0.0.%d", k);
        assert_int_equal(ot_store_incident_create(tx, &n), 0);
    }
    struct ids ids = {0};
    struct ot_incident_filter flt = {.customer_id = a, .status = -1};
    assert_int_equal(ot_store_incident_list(tx, &flt, cb_incident, &ids), 0);
    assert_int_equal(ids.n, 6);
    assert_int_equal(ids.id[5], i1.id); /* most recent first: i1 (last_seen 200) is last */
    ids = (struct ids){0};
    flt.status = -2;
    assert_int_equal(ot_store_incident_list(tx, &flt, cb_incident, &ids), 0);
    assert_int_equal(ids.n, 5);
    ids = (struct ids){0};
    flt.status = OT_INC_ACKNOWLEDGED;
    assert_int_equal(ot_store_incident_list(tx, &flt, cb_incident, &ids), 0);
    assert_int_equal(ids.n, 2);
    ids = (struct ids){0};
    flt = (struct ot_incident_filter){.customer_id = 0, .status = -1, .limit = 2, .offset = 1};
    assert_int_equal(ot_store_incident_list(tx, &flt, cb_incident, &ids), 0);
    assert_int_equal(ids.n, 2);
    flt.offset = -1;
    assert_int_equal(ot_store_incident_list(tx, &flt, cb_incident, &ids), OT_EINVAL);

    /* Alerts of an incident, nested reads inside a list callback. */
    struct ot_alert_row al = alert(1001, a, ad, "bruteforce", 9001, i1.id, 0, 150);
    assert_int_equal(ot_store_alert_add(tx, &al), 0);
    assert_int_equal(ot_store_alert_add(tx, &al), OT_EEXIST);
    al = alert(1002, a, ad, "bruteforce", 9001, i1.id, 0, 160);
    assert_int_equal(ot_store_alert_add(tx, &al), 0);
    ids = (struct ids){0};
    assert_int_equal(ot_store_alert_list(tx, 0, i1.id, cb_alert, &ids), 0);
    assert_int_equal(ids.n, 2);
    assert_int_equal(ids.id[0], 1001);
    ids = (struct ids){0};
    assert_int_equal(ot_store_alert_list(tx, a, 0, cb_alert, &ids), 0);
    assert_int_equal(ids.n, 2);
    assert_int_equal(ids.id[0], 1002); /* newest first */
    assert_int_equal(ot_store_alert_list(tx, 0, 0, cb_alert, &ids), OT_EINVAL);
    assert_int_equal(ot_store_commit(tx), 0);
}

/* A list callback that reads through the same statement (cache in use). */
struct nested {
    struct ot_store_tx *tx;
    size_t outer, inner;
};

static int cb_nested(void *ctx, const struct ot_customer *c)
{
    struct nested *n = ctx;
    struct ids ids = {0};
    n->outer++;
    int rc = ot_store_customer_list(n->tx, cb_customer, &ids);
    n->inner += ids.n;
    return rc;
}

static void test_nested_reads(void **state)
{
    struct fx *f = *state;
    struct ot_store_tx *tx = wbegin(f);
    int64_t id;
    assert_int_equal(ot_store_customer_add(tx, "one", 1, &id), 0);
    assert_int_equal(ot_store_customer_add(tx, "two", 1, &id), 0);
    struct nested n = {.tx = tx};
    assert_int_equal(ot_store_customer_list(tx, cb_nested, &n), 0);
    assert_int_equal(n.outer, 2);
    assert_int_equal(n.inner, 4);
    assert_int_equal(ot_store_commit(tx), 0);
}

static void test_suppressions_audit(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    struct ot_store_tx *tx = wbegin(f);
    struct ot_suppression s = {.customer_id = a, .sid = 2001, .created_at = 5};
    snprintf(s.name, sizeof(s.name), "backup server scans");
    snprintf(s.src, sizeof(s.src), "192.168.1.0/24");
    int64_t id, id2;
    assert_int_equal(ot_store_suppression_add(tx, &s, &id), 0);
    assert_int_equal(ot_store_suppression_add(tx, &s, &id2), OT_EEXIST);
    s.customer_id = 9999;
    assert_int_equal(ot_store_suppression_add(tx, &s, &id2), OT_ENOENT);
    struct ids ids = {0};
    assert_int_equal(ot_store_suppression_list(tx, a, cb_supp, &ids), 0);
    assert_int_equal(ids.n, 1);
    /* A rule added in the same transaction shows in the next list (the cache is dropped). */
    s.customer_id = a;
    snprintf(s.name, sizeof(s.name), "second");
    assert_int_equal(ot_store_suppression_add(tx, &s, &id2), 0);
    ids = (struct ids){0};
    assert_int_equal(ot_store_suppression_list(tx, a, cb_supp, &ids), 0);
    assert_int_equal(ids.n, 2);
    ids = (struct ids){.stop_after = 1};
    assert_int_equal(ot_store_suppression_list(tx, a, cb_supp, &ids), 99);
    assert_int_equal(ot_store_suppression_delete(tx, a, id2), 0);
    ids = (struct ids){0};
    assert_int_equal(ot_store_suppression_list(tx, a, cb_supp, &ids), 0);
    assert_int_equal(ids.n, 1);
    assert_int_equal(ot_store_suppression_delete(tx, a + 1000, id), OT_ENOENT);
    assert_int_equal(ot_store_suppression_delete(tx, a, id), 0);
    assert_int_equal(ot_store_suppression_delete(tx, a, id), OT_ENOENT);

    struct ot_audit au = {.customer_id = a, .at = 10};
    snprintf(au.actor, sizeof(au.actor), "admin");
    snprintf(au.action, sizeof(au.action), "incident.status");
    snprintf(au.object, sizeof(au.object), "incident:7");
    snprintf(au.detail, sizeof(au.detail), "{\"from\":\"new\",\"to\":\"acknowledged\"}");
    assert_int_equal(ot_store_audit_add(tx, &au), 0);
    snprintf(au.object, sizeof(au.object), "device:3");
    assert_int_equal(ot_store_audit_add(tx, &au), 0);
    au.customer_id = 0;
    snprintf(au.action, sizeof(au.action), "customer.add");
    snprintf(au.object, sizeof(au.object), "customer:9");
    assert_int_equal(ot_store_audit_add(tx, &au), 0);
    au.actor[0] = '\0';
    assert_int_equal(ot_store_audit_add(tx, &au), OT_EINVAL);
    ids = (struct ids){0};
    assert_int_equal(ot_store_audit_list(tx, a, "incident:7", cb_audit, &ids), 0);
    assert_int_equal(ids.n, 1);
    ids = (struct ids){0};
    assert_int_equal(ot_store_audit_list(tx, a, NULL, cb_audit, &ids), 0);
    assert_int_equal(ids.n, 2);
    ids = (struct ids){0};
    assert_int_equal(ot_store_audit_list(tx, 0, NULL, cb_audit, &ids), 0);
    assert_int_equal(ids.n, 3);
    ids = (struct ids){0};
    assert_int_equal(ot_store_audit_list(tx, 0, "device:3", cb_audit, &ids), 0);
    assert_int_equal(ids.n, 1);
    assert_int_equal(ot_store_commit(tx), 0);
}

/* Everything for customer c: an incident, 2 alerts (one suppressed), audit, a rule. */
static int64_t fill_tenant(struct fx *f, int64_t c, int64_t dev, int64_t row0)
{
    struct ot_store_tx *tx = wbegin(f);
    struct ot_incident inc = {.customer_id = c,
                              .severity = 2,
                              .first_seen = 100,
                              .last_seen = 100,
                              .alert_count = 1,
                              .event_count = 3};
    snprintf(inc.family, sizeof(inc.family), "scan");
    snprintf(inc.entity, sizeof(inc.entity), "203.0.113.5");
    assert_int_equal(ot_store_incident_create(tx, &inc), 0);
    struct ot_alert_row al = alert(row0, c, dev, "scan", 2001, inc.id, 0, 100);
    assert_int_equal(ot_store_alert_add(tx, &al), 0);
    al = alert(row0 + 1, c, dev, "scan", 2002, 0, 77, 100);
    assert_int_equal(ot_store_alert_add(tx, &al), 0);
    struct ot_suppression s = {.customer_id = c, .sid = 2002};
    snprintf(s.name, sizeof(s.name), "quiet");
    int64_t sid;
    assert_int_equal(ot_store_suppression_add(tx, &s, &sid), 0);
    struct ot_audit au = {.customer_id = c, .at = 10};
    snprintf(au.actor, sizeof(au.actor), "admin");
    snprintf(au.action, sizeof(au.action), "incident.status");
    snprintf(au.object, sizeof(au.object), "incident:%lld", (long long)inc.id);
    assert_int_equal(ot_store_audit_add(tx, &au), 0);
    assert_int_equal(ot_store_commit(tx), 0);
    return inc.id;
}

static void only_customer(const struct ids *ids, int64_t c, size_t want)
{
    assert_int_equal(ids->n, want);
    for (size_t i = 0; i < ids->n && i < 64; i++)
        assert_int_equal(ids->cust[i], c);
}

static void test_isolation(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad, b, bs, bd;
    tenant(f, "A", &a, &as, &ad);
    tenant(f, "B", &b, &bs, &bd);
    /* The same event ids from both customers are not duplicates of each other. */
    struct ot_store_event *ea = make_events("same", 0, 5), *eb = make_events("same", 0, 3);
    struct ot_store_tx *tx = wbegin(f);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 100, ea, 5), 0);
    assert_int_equal(ot_store_events_insert(tx, b, bd, 100, eb, 3), 0);
    for (int i = 0; i < 3; i++) {
        assert_false(eb[i].duplicate);
        assert_true(eb[i].row_id != ea[i].row_id);
    }
    assert_int_equal(ot_store_commit(tx), 0);
    int64_t ia = fill_tenant(f, a, ad, 5000);
    int64_t ib = fill_tenant(f, b, bd, 6000);

    assert_int_equal(ot_store_begin(f->st, false, &tx), 0);
    struct ids ids = {0};
    struct ot_incident_filter flt = {.customer_id = a, .status = -1};
    assert_int_equal(ot_store_incident_list(tx, &flt, cb_incident, &ids), 0);
    only_customer(&ids, a, 1);
    struct ot_incident inc;
    assert_int_equal(ot_store_incident_get(tx, a, ib, &inc), OT_ENOENT);
    assert_int_equal(ot_store_incident_get(tx, b, ib, &inc), 0);
    assert_int_equal(ot_store_incident_find_open(tx, a, "scan", "203.0.113.5", 0, &inc), 0);
    assert_int_equal(inc.id, ia);
    inc.customer_id = a;
    inc.id = ib; /* A's credential touching B's incident */
    assert_int_equal(ot_store_incident_update(tx, &inc), OT_ENOENT);
    ids = (struct ids){0};
    assert_int_equal(ot_store_alert_list(tx, a, 0, cb_alert, &ids), 0);
    only_customer(&ids, a, 2);
    ids = (struct ids){0};
    assert_int_equal(ot_store_alert_list(tx, a, ib, cb_alert, &ids), 0);
    only_customer(&ids, a, 0);
    ids = (struct ids){0};
    assert_int_equal(ot_store_device_list(tx, a, cb_device, &ids), 0);
    only_customer(&ids, a, 1);
    struct ot_device d;
    assert_int_equal(ot_store_device_get(tx, a, bd, &d), OT_ENOENT);
    ids = (struct ids){0};
    assert_int_equal(ot_store_suppression_list(tx, b, cb_supp, &ids), 0);
    only_customer(&ids, b, 1);
    ids = (struct ids){0};
    assert_int_equal(ot_store_audit_list(tx, a, NULL, cb_audit, &ids), 0);
    only_customer(&ids, a, 1);
    char obj[64];
    snprintf(obj, sizeof(obj), "incident:%lld", (long long)ib);
    ids = (struct ids){0};
    assert_int_equal(ot_store_audit_list(tx, a, obj, cb_audit, &ids), 0);
    only_customer(&ids, a, 0);
    assert_int_equal(ot_store_events_count(tx, a), 5);
    assert_int_equal(ot_store_events_count(tx, b), 3);
    struct ot_funnel_totals tot;
    assert_int_equal(ot_store_funnel(tx, b, 0, &tot, NULL, NULL), 0);
    assert_int_equal(tot.events, 3);
    assert_int_equal(tot.alerts, 2);
    assert_int_equal(tot.incidents, 1);
    assert_int_equal(ot_store_funnel(tx, 0, 0, &tot, NULL, NULL), 0);
    assert_int_equal(tot.events, 8);
    assert_int_equal(tot.alerts, 4);
    assert_int_equal(tot.incidents, 2);
    ot_store_rollback(tx);
    free_events(ea, 5);
    free_events(eb, 3);
}

static void test_funnel(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    struct ot_store_event *ev = make_events("f", 0, 20);
    struct ot_store_tx *tx = wbegin(f);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 50, ev, 10), 0);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 500, ev + 10, 10), 0);
    struct ot_incident i1 = {.customer_id = a, .severity = 2, .first_seen = 600, .last_seen = 600};
    snprintf(i1.family, sizeof(i1.family), "scan");
    snprintf(i1.entity, sizeof(i1.entity), "x");
    assert_int_equal(ot_store_incident_create(tx, &i1), 0);
    struct ot_incident i2 = i1;
    snprintf(i2.family, sizeof(i2.family), "ioc");
    i2.status = OT_INC_RESOLVED;
    i2.resolution = OT_RES_BENIGN;
    assert_int_equal(ot_store_incident_create(tx, &i2), 0);
    struct ot_alert_row rows[] = {
        alert(1, a, ad, "scan", 2001, i1.id, 0, 600), alert(2, a, ad, "scan", 2001, i1.id, 0, 610),
        alert(3, a, ad, "scan", 2002, 0, 5, 620),     alert(4, a, ad, "ioc", 3001, i2.id, 0, 630),
        alert(5, a, ad, "ioc", 3001, i2.id, 0, 10), /* before `since` */
    };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ot_store_alert_add(tx, &rows[i]), 0);
    struct ot_funnel_totals tot;
    struct funnel_rows fr = {0};
    assert_int_equal(ot_store_funnel(tx, a, 100, &tot, cb_funnel, &fr), 0);
    assert_int_equal(tot.events, 10);
    assert_int_equal(tot.alerts, 4);
    assert_int_equal(tot.suppressed, 1);
    assert_int_equal(tot.incidents, 2);
    assert_int_equal(tot.incidents_open, 1);
    assert_int_equal(fr.nfam, 2);
    assert_string_equal(fr.fam[0].family, "scan");
    assert_int_equal(fr.fam[0].alerts, 3);
    assert_int_equal(fr.fam[0].suppressed, 1);
    assert_int_equal(fr.fam[0].incidents, 1);
    assert_string_equal(fr.fam[1].family, "ioc");
    assert_int_equal(fr.fam[1].alerts, 1);
    assert_int_equal(fr.nrule, 3);
    assert_int_equal(fr.rule[0].sid, 2001);
    assert_int_equal(fr.rule[0].alerts, 2);
    assert_string_equal(fr.rule[0].signature, "sig 2001");
    assert_int_equal(ot_store_funnel(tx, a, 0, &tot, NULL, NULL), 0);
    assert_int_equal(tot.events, 20);
    assert_int_equal(tot.alerts, 5);
    assert_int_equal(ot_store_commit(tx), 0);
    free_events(ev, 20);
}

/* More alert rows than PostgreSQL queues at once; written by commit, read back. */
static void test_many_alerts(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    struct ot_store_tx *tx = wbegin(f);
    struct ot_incident inc = {.customer_id = a, .severity = 2, .first_seen = 1, .last_seen = 1};
    snprintf(inc.family, sizeof(inc.family), "beacon");
    snprintf(inc.entity, sizeof(inc.entity), "192.168.1.2");
    assert_int_equal(ot_store_incident_create(tx, &inc), 0);
    for (int i = 1; i <= 700; i++) {
        struct ot_alert_row al = alert(i, a, ad, "beacon", 4000 + i % 3, inc.id, 0, 100 + i);
        assert_int_equal(ot_store_alert_add(tx, &al), 0);
    }
    assert_int_equal(ot_store_commit(tx), 0);
    assert_int_equal(ot_store_begin(f->st, false, &tx), 0);
    struct ids ids = {0};
    assert_int_equal(ot_store_alert_list(tx, a, inc.id, cb_alert, &ids), 0);
    assert_int_equal(ids.n, 700);
    assert_int_equal(ids.id[0], 1);
    assert_int_equal(ids.id[63], 64);
    struct ot_funnel_totals tot;
    struct funnel_rows fr = {0};
    assert_int_equal(ot_store_funnel(tx, a, 0, &tot, cb_funnel, &fr), 0);
    assert_int_equal(tot.alerts, 700);
    assert_int_equal(tot.incidents, 1);
    assert_int_equal(fr.nrule, 3);
    ot_store_rollback(tx);
}

struct ingest_thread {
    struct ot_store *st;
    int64_t cid, did;
    int k;
    int rc;
    unsigned dups;
};

/* Thread k sends 4 batches; batch r holds ids [1000 r + 50 k, +100): half shared with k + 1. */
static void *ingest_batches(void *arg)
{
    struct ingest_thread *t = arg;
    for (int r = 0; r < 4 && !t->rc; r++) {
        struct ot_store_event *ev = make_events("c", (size_t)(1000 * r + 50 * t->k), 100);
        struct ot_store_tx *tx;
        t->rc = ot_store_begin(t->st, true, &tx);
        if (!t->rc) {
            t->rc = ot_store_events_insert(tx, t->cid, t->did, r, ev, 100);
            if (!t->rc)
                t->rc = ot_store_lock_customer(tx, t->cid);
            if (!t->rc)
                t->rc = ot_store_device_seen(tx, t->did, r, 100, 0);
            if (!t->rc)
                t->rc = ot_store_commit(tx);
            else
                ot_store_rollback(tx);
        }
        for (int i = 0; i < 100; i++)
            t->dups += ev[i].duplicate;
        free_events(ev, 100);
    }
    return NULL;
}

/* Four writers at once with overlapping batches: every id stored once, nothing lost. */
static void test_concurrent_ingest(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    struct ingest_thread t[4];
    pthread_t th[4];
    for (int k = 0; k < 4; k++) {
        t[k] = (struct ingest_thread){.st = f->st, .cid = a, .did = ad, .k = k};
        assert_int_equal(pthread_create(&th[k], NULL, ingest_batches, &t[k]), 0);
    }
    unsigned dups = 0;
    for (int k = 0; k < 4; k++) {
        pthread_join(th[k], NULL);
        assert_int_equal(t[k].rc, 0);
        dups += t[k].dups;
    }
    struct ot_store_tx *tx;
    assert_int_equal(ot_store_begin(f->st, false, &tx), 0);
    assert_int_equal(ot_store_events_count(tx, a), 4 * 250);
    assert_int_equal(dups, 4 * 150);
    struct ot_device d;
    assert_int_equal(ot_store_device_get(tx, a, ad, &d), 0);
    assert_int_equal(d.events, 1600);
    ot_store_rollback(tx);
}

struct blocked {
    struct ot_store *st;
    volatile int done;
    int rc;
};

static void *begin_blocked(void *arg)
{
    struct blocked *b = arg;
    struct ot_store_tx *tx;
    b->rc = ot_store_begin(b->st, false, &tx);
    __atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
    if (!b->rc)
        ot_store_rollback(tx);
    return NULL;
}

static void test_pool_blocks(void **state)
{
    struct fx *f = *state;
    ot_store_close(f->st);
    f->st = NULL;
    assert_int_equal(open_store(f, 1), 0);
    struct ot_store_tx *tx = wbegin(f);
    struct blocked b = {.st = f->st};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, begin_blocked, &b), 0);
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_int_equal(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST), 0); /* waiting, not failed */
    assert_int_equal(ot_store_commit(tx), 0);
    pthread_join(th, NULL);
    assert_int_equal(b.done, 1);
    assert_int_equal(b.rc, 0);
    struct ot_store_stats s;
    ot_store_stats(f->st, &s);
    assert_true(s.waits >= 1);
}

/* Writes that must fail while the database cannot grow, then work again. */
static void check_unavailable_write(struct fx *f, int64_t a, int64_t ad, const char *prefix)
{
    struct ot_store_event *ev = make_events(prefix, 0, 5000); /* ~2.5 MB */
    struct ot_store_tx *tx;
    int rc = ot_store_begin(f->st, true, &tx);
    if (rc == 0) {
        rc = ot_store_events_insert(tx, a, ad, 1, ev, 5000);
        if (rc == 0) {
            rc = ot_store_commit(tx);
        } else {
            print_message("(%s)\n", ot_store_errmsg(tx));
            ot_store_rollback(tx);
        }
    }
    assert_int_equal(rc, OT_EAGAIN);
    free_events(ev, 5000);
}

static void test_unavailable_sqlite(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    /* A full disk (as root, file modes do not stop writes): limit the file size. */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 1 << 20;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    check_unavailable_write(f, a, ad, "full");
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    struct ot_store_stats s;
    ot_store_stats(f->st, &s);
    assert_true(s.unavailable >= 1);

    /* Recovered: the same batch goes in, and nothing of the failed one was kept. */
    struct ot_store_tx *tx = wbegin(f);
    assert_int_equal(ot_store_events_count(tx, a), 0);
    struct ot_store_event *ev = make_events("full", 0, 5000);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 1, ev, 5000), 0);
    assert_int_equal(ot_store_commit(tx), 0);
    free_events(ev, 5000);

    /* Another process (here: another store on the file) holds the write lock past the timeout. */
    struct ot_store *other;
    char err[256];
    assert_int_equal(ot_store_open(f->url, 1, &other, err, sizeof(err)), 0);
    struct ot_store_tx *held;
    assert_int_equal(ot_store_begin(other, true, &held), 0);
    time_t t0 = time(NULL);
    assert_int_equal(ot_store_begin(f->st, true, &tx), OT_EAGAIN);
    assert_true(time(NULL) - t0 >= 4);
    ot_store_rollback(held);
    ot_store_close(other);
    tx = wbegin(f);
    ot_store_rollback(tx);

    if (geteuid() != 0) {
        char path[300];
        snprintf(path, sizeof(path), "%s/otasuke.db", f->dir);
        ot_store_close(f->st);
        f->st = NULL;
        assert_int_equal(open_store(f, 2), 0);
        assert_int_equal(chmod(path, 0400), 0);
        ot_store_close(f->st);
        f->st = NULL;
        assert_int_equal(ot_store_open(f->url, 1, &f->st, err, sizeof(err)), OT_EAGAIN);
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(open_store(f, 2), 0);
    } else {
        print_message("(running as root: the read-only file case is covered by the "
                      "size limit only)\n");
    }
}

/* Ends the store's connections from another session (like a server restart). */
static void kill_backends(struct fx *f)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE application_name = 'otasuke-server' AND datname = current_database() "
             "AND pid <> pg_backend_pid()");
    pg_admin(sql);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static int pg_ctl(const char *verb)
{
    const char *ctl = getenv("OT_TEST_PG_CTL"), *dir = getenv("OT_TEST_PG_DIR");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s %s '%s' >/dev/null", ctl, verb, dir);
    return system(cmd);
}

static void test_unavailable_pg(void **state)
{
    struct fx *f = *state;
    int64_t a, as, ad;
    tenant(f, "A", &a, &as, &ad);
    struct ot_store_tx *tx = wbegin(f);

    /* Lost in the middle of a transaction: the call fails, commit fails, nothing kept. */
    int64_t c;
    assert_int_equal(ot_store_customer_add(tx, "before", 1, &c), 0);
    kill_backends(f);
    assert_int_equal(ot_store_customer_add(tx, "during", 1, &c), OT_EAGAIN);
    assert_int_equal(ot_store_commit(tx), OT_EAGAIN);
    /* The next transaction works on a reset connection. */
    tx = wbegin(f);
    struct ot_customer cu;
    assert_int_equal(ot_store_customer_get(tx, c, &cu), OT_ENOENT);
    assert_int_equal(ot_store_customer_add(tx, "after", 1, &c), 0);
    assert_int_equal(ot_store_commit(tx), 0);
    /* Lost while idle in the pool: BEGIN notices and reconnects at once. */
    kill_backends(f);
    tx = wbegin(f);
    assert_int_equal(ot_store_customer_get(tx, c, &cu), 0);
    ot_store_rollback(tx);
    struct ot_store_stats s;
    ot_store_stats(f->st, &s);
    assert_true(s.reconnects >= 2);

    if (!getenv("OT_TEST_PG_CTL") || !getenv("OT_TEST_PG_DIR")) {
        print_message("(server stop/start part skipped: OT_TEST_PG_CTL and OT_TEST_PG_DIR unset; "
                      "tests/server/test_store_pg.sh sets them)\n");
        return;
    }
    assert_int_equal(pg_ctl("halt"), 0);
    assert_int_equal(ot_store_begin(f->st, true, &tx), OT_EAGAIN);
    assert_int_equal(ot_store_begin(f->st, false, &tx), OT_EAGAIN);
    assert_int_equal(pg_ctl("start"), 0);
    tx = wbegin(f);
    assert_int_equal(ot_store_customer_get(tx, c, &cu), 0);
    struct ot_store_event *ev = make_events("back", 0, 10);
    assert_int_equal(ot_store_events_insert(tx, a, ad, 1, ev, 10), 0);
    assert_int_equal(ot_store_commit(tx), 0);
    free_events(ev, 10);
}

static void test_unavailable(void **state)
{
    struct fx *f = *state;
    if (f->kind == OT_STORE_SQLITE)
        test_unavailable_sqlite(state);
    else
        test_unavailable_pg(state);
}

#define STORE_TESTS(setup)                                                                         \
    cmocka_unit_test_setup_teardown(test_open_meta, setup, teardown),                              \
        cmocka_unit_test_setup_teardown(test_customers_sites, setup, teardown),                    \
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),                             \
        cmocka_unit_test_setup_teardown(test_token_race, setup, teardown),                         \
        cmocka_unit_test_setup_teardown(test_devices, setup, teardown),                            \
        cmocka_unit_test_setup_teardown(test_events_dedup, setup, teardown),                       \
        cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),                           \
        cmocka_unit_test_setup_teardown(test_incidents, setup, teardown),                          \
        cmocka_unit_test_setup_teardown(test_nested_reads, setup, teardown),                       \
        cmocka_unit_test_setup_teardown(test_suppressions_audit, setup, teardown),                 \
        cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),                          \
        cmocka_unit_test_setup_teardown(test_funnel, setup, teardown),                             \
        cmocka_unit_test_setup_teardown(test_many_alerts, setup, teardown),                        \
        cmocka_unit_test_setup_teardown(test_concurrent_ingest, setup, teardown),                  \
        cmocka_unit_test_setup_teardown(test_pool_blocks, setup, teardown),                        \
        cmocka_unit_test_setup_teardown(test_unavailable, setup, teardown)

int main(void)
{
    const struct CMUnitTest common[] = {cmocka_unit_test(test_bad_urls)};
    const struct CMUnitTest sqlite[] = {STORE_TESTS(setup_sqlite)};
    const struct CMUnitTest pg[] = {STORE_TESTS(setup_pg)};
    int failed = 0;
    if (!getenv("OT_TEST_PG_ONLY")) {
        failed += cmocka_run_group_tests_name("store_common", common, NULL, NULL);
        failed += cmocka_run_group_tests_name("store_sqlite", sqlite, NULL, NULL);
    }
    if (getenv("OT_TEST_PG_URL") && *getenv("OT_TEST_PG_URL"))
        failed += cmocka_run_group_tests_name("store_postgresql", pg, NULL, NULL);
    else
        printf("store_postgresql: skipped: OT_TEST_PG_URL is not set "
               "(tests/server/test_store_pg.sh runs this group on a throw-away cluster)\n");
    return failed ? 1 : 0;
}
