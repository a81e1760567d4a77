/*
 * Triage on a real store, the way ingest runs it: one write transaction per
 * event (insert, ot_triage_event, ot_triage_alert, commit).  Grouping and
 * windows, suppression and its funnel counts, each correlation rule
 * (positive; negative for another host, outside the window, another
 * customer), tenant separation.  On SQLite in a temporary file always; on
 * PostgreSQL too when OT_TEST_PG_URL is set (each test makes its own
 * customers, so a shared database is fine).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "otasuke/error.h"
#include "store/store.h"
#include "triage/triage.h"
#include "triage/triage-int.h"

#define T0  INT64_C(1770026400) /* 2026-02-02T10:00:00Z, seconds */
#define HRS 3600

struct fx {
    struct ot_store *st;
    struct ot_triage *t;
    int64_t cust[2], dev[2];
    unsigned seq;
    char path[128];
};

static const char *pg_url;
static unsigned run_id;

/* Opens the store named by url (NULL: a fresh SQLite file) and makes two customers. */
static int open_fx(void **state, const char *url)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct ot_triage_conf c;
    struct ot_store_tx *tx;
    char u[256], err[256], name[64];
    static unsigned n_fx;

    assert_non_null(f);
    if (!url) {
        snprintf(f->path, sizeof(f->path), "/tmp/ot-triage-test-%d-%u.db", (int)getpid(), n_fx);
        unlink(f->path);
        snprintf(u, sizeof(u), "sqlite:%s", f->path);
        url = u;
    }
    n_fx++;
    if (ot_store_open(url, 2, &f->st, err, sizeof(err)) != 0)
        fail_msg("ot_store_open: %s", err);
    ot_triage_conf_defaults(&c);
    assert_int_equal(ot_triage_new(&c, &f->t), 0);
    assert_int_equal(ot_store_begin(f->st, true, &tx), 0);
    for (int i = 0; i < 2; i++) {
        struct ot_device d;
        uint8_t hash[32];
        int64_t site;

        snprintf(name, sizeof(name), "triage-test-%u-%u-%u-%d", run_id, (unsigned)getpid(), n_fx,
                 i);
        assert_int_equal(ot_store_customer_add(tx, name, T0 * 1000000, &f->cust[i]), 0);
        assert_int_equal(ot_store_site_add(tx, f->cust[i], "office", T0 * 1000000, &site), 0);
        memset(&d, 0, sizeof(d));
        d.customer_id = f->cust[i];
        d.site_id = site;
        snprintf(d.name, sizeof(d.name), "sensor-%d", i);
        snprintf(d.kind, sizeof(d.kind), "sensor");
        d.created_at = T0 * 1000000;
        for (size_t k = 0; k < sizeof(hash); k++)
            hash[k] = (uint8_t)(name[k % strlen(name)] + k * 7 + i);
        memcpy(hash, &f->cust[i], sizeof(f->cust[i]));
        assert_int_equal(ot_store_device_add(tx, &d, hash, &f->dev[i]), 0);
    }
    assert_int_equal(ot_store_commit(tx), 0);
    *state = f;
    return 0;
}

static int setup_sqlite(void **state)
{
    return open_fx(state, NULL);
}

static int setup_pg(void **state)
{
    return open_fx(state, pg_url);
}

static int teardown(void **state)
{
    struct fx *f = *state;

    ot_triage_free(f->t);
    ot_store_close(f->st);
    if (f->path[0]) {
        char p[160];
        unlink(f->path);
        snprintf(p, sizeof(p), "%s-wal", f->path);
        unlink(p);
        snprintf(p, sizeof(p), "%s-shm", f->path);
        unlink(p);
    }
    free(f);
    return 0;
}

/* RFC 3339 of T0 + off seconds. */
static void ts_text(int64_t off, char *out, size_t len)
{
    time_t t = (time_t)(T0 + off);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%S.000000+0000", &tm);
}

/*
 * Ingests one event (text with "%s" where the event_id goes) for customer
 * ci as the API does, in its own transaction.  Returns ot_triage_alert's
 * result (0 for non-alerts) and its output in res.
 */
static int feed(struct fx *f, int ci, const char *doc, struct ot_triage_result *res)
{
    struct ot_store_tx *tx;
    struct ot_store_event ev;
    struct ot_triage_result dummy;
    char id[32], line[4096];
    json_t *j;
    int rc;

    snprintf(id, sizeof(id), "ev-%u", ++f->seq);
    const char *at = strstr(doc, "%s");
    assert_non_null(at);
    assert_true((size_t)snprintf(line, sizeof(line), "%.*s%s%s", (int)(at - doc), doc, id, at + 2) <
                sizeof(line));
    j = json_loads(line, 0, NULL);
    assert_non_null(j);
    memset(&ev, 0, sizeof(ev));
    ev.event_id = id;
    ev.event_id_len = strlen(id);
    ev.event_type = json_string_value(json_object_get(j, "event_type"));
    assert_non_null(ev.event_type);
    ev.event_type_len = strlen(ev.event_type);
    assert_int_equal(
        ot_triage_parse_time(json_string_value(json_object_get(j, "timestamp")), &ev.ts), 0);
    ev.body = line;
    ev.body_len = strlen(line);

    assert_int_equal(ot_store_begin(f->st, true, &tx), 0);
    assert_int_equal(ot_store_lock_customer(tx, f->cust[ci]), 0);
    assert_int_equal(ot_store_events_insert(tx, f->cust[ci], f->dev[ci], T0 * 1000000, &ev, 1), 0);
    assert_false(ev.duplicate);
    assert_int_equal(ot_triage_event(f->t, tx, f->cust[ci], j), 0);
    rc = 0;
    if (strcmp(ev.event_type, "alert") == 0)
        rc = ot_triage_alert(f->t, tx, f->cust[ci], f->dev[ci], ev.row_id, j, res ? res : &dummy);
    assert_true(rc == 0 || rc == OT_EINVAL);
    assert_int_equal(ot_store_commit(tx), 0);
    json_decref(j);
    return rc;
}

/* An alert of family/sid/severity from src to dest ("" = one-sided) at T0+off, count n. */
static int64_t alert(struct fx *f, int ci, const char *family, int sid, int sev, const char *src,
                     const char *dest, int64_t off, int n, struct ot_triage_result *res)
{
    char doc[2048], t1[40], t2[40], d[80] = "";
    struct ot_triage_result r;

    ts_text(off, t1, sizeof(t1));
    ts_text(off + 60, t2, sizeof(t2));
    if (*dest)
        snprintf(d, sizeof(d), "\"dest_ip\":\"%s\",\"dest_port\":22,", dest);
    snprintf(doc, sizeof(doc),
             "{\"timestamp\":\"%s\",\"event_type\":\"alert\",\"event_id\":\"%%s\","
             "\"src_ip\":\"%s\",\"src_port\":40000,%s\"proto\":\"TCP\","
             "\"alert\":{\"action\":\"allowed\",\"signature_id\":%d,\"signature\":\"test %s\","
             "\"category\":\"%s\",\"severity\":%d,\"count\":%d,\"first_seen\":\"%s\","
             "\"last_seen\":\"%s\"}}",
             t1, src, d, sid, family, family, sev, n, t1, t2);
    assert_int_equal(feed(f, ci, doc, &r), 0);
    if (res)
        *res = r;
    return r.incident_id;
}

static void incident(struct fx *f, int ci, int64_t id, struct ot_incident *out)
{
    struct ot_store_tx *tx;

    assert_int_equal(ot_store_begin(f->st, false, &tx), 0);
    assert_int_equal(ot_store_incident_get(tx, f->cust[ci], id, out), 0);
    ot_store_rollback(tx);
}

#define PC1  "192.168.1.10"
#define PC2  "192.168.1.11"
#define SRV  "192.168.1.20"
#define BAD  "198.51.100.7"
#define BAD2 "203.0.113.9"

/* ---- grouping ---- */

static void test_grouping(void **state)
{
    struct fx *f = *state;
    struct ot_triage_result r;
    struct ot_incident inc;
    int64_t a, b, c, d;

    a = alert(f, 0, "scan", 8101002, 3, BAD, PC1, 0, 5, &r);
    assert_true(a > 0);
    assert_true(r.created);
    b = alert(f, 0, "scan", 8101004, 2, BAD, PC2, 2 * HRS, 7, &r);
    assert_int_equal(b, a); /* same attacker: one incident */
    assert_false(r.created);
    incident(f, 0, a, &inc);
    assert_string_equal(inc.family, "scan");
    assert_string_equal(inc.entity, BAD);
    assert_int_equal(inc.alert_count, 2);
    assert_int_equal(inc.event_count, 12);
    assert_int_equal(inc.severity, 2); /* the highest */
    assert_int_equal(inc.first_seen, T0 * 1000000);
    assert_int_equal(inc.last_seen, (T0 + 2 * HRS + 60) * 1000000);
    assert_int_equal(inc.status, OT_INC_NEW);
    assert_string_equal(inc.correlation, "");

    /* another source: another incident */
    c = alert(f, 0, "scan", 8101002, 3, BAD2, PC1, 3 * HRS, 1, &r);
    assert_true(c != a && r.created);
    /* same source and family after the 24 h window: a new incident */
    d = alert(f, 0, "scan", 8101002, 3, BAD, PC1, 2 * HRS + 60 + 25 * HRS, 1, &r);
    assert_true(d != a && r.created);
    /* same source, another family: another incident */
    assert_true(alert(f, 0, "bruteforce", 8102001, 2, BAD, SRV, 3 * HRS, 1, NULL) != a);
    /* the inside host is the key of an ioc alert, whichever way it went */
    a = alert(f, 0, "ioc", 8100001, 1, PC1, BAD, 0, 1, NULL);
    assert_int_equal(alert(f, 0, "ioc", 8100002, 1, BAD2, PC1, 60, 1, NULL), a);
    incident(f, 0, a, &inc);
    assert_string_equal(inc.entity, PC1);
    /* an unknown family groups under its own name, by source */
    a = alert(f, 0, "made-up", 9000001, 3, PC2, BAD, 0, 1, NULL);
    incident(f, 0, a, &inc);
    assert_string_equal(inc.family, "made-up");
    assert_string_equal(inc.entity, PC2);
}

static void test_resolved_not_joined(void **state)
{
    struct fx *f = *state;
    struct ot_store_tx *tx;
    struct ot_incident inc;
    int64_t a;

    a = alert(f, 0, "dga", 8106001, 2, PC1, "", 0, 1, NULL);
    assert_int_equal(ot_store_begin(f->st, true, &tx), 0);
    assert_int_equal(ot_store_incident_get(tx, f->cust[0], a, &inc), 0);
    inc.status = OT_INC_RESOLVED;
    inc.resolution = OT_RES_TRUE_POSITIVE;
    assert_int_equal(ot_store_incident_update(tx, &inc), 0);
    assert_int_equal(ot_store_commit(tx), 0);
    /* a resolved incident takes no more alerts */
    assert_true(alert(f, 0, "dga", 8106001, 2, PC1, "", HRS, 1, NULL) != a);
}

static void test_bad_alert(void **state)
{
    struct fx *f = *state;
    struct ot_triage_result r;
    struct ot_triage_stats s;

    assert_int_equal(
        feed(f, 0,
             "{\"timestamp\":\"2026-02-02T10:00:00Z\",\"event_type\":\"alert\","
             "\"event_id\":\"%s\",\"src_ip\":\"10.0.0.1\",\"alert\":{\"signature\":\"x\"}}",
             &r),
        OT_EINVAL);
    assert_int_equal(r.incident_id, 0);
    ot_triage_get_stats(f->t, &s);
    assert_int_equal(s.invalid, 1);
}

/* ---- suppression ---- */

static int funnel_row(void *ctx, const struct ot_funnel_row *r)
{
    (void)ctx;
    (void)r;
    return 0;
}

static void test_suppression(void **state)
{
    struct fx *f = *state;
    struct ot_suppression s;
    struct ot_store_tx *tx;
    struct ot_triage_result r;
    struct ot_funnel_totals tot;
    int64_t rule;

    memset(&s, 0, sizeof(s));
    s.customer_id = f->cust[0];
    snprintf(s.name, sizeof(s.name), "the provider's scanner");
    snprintf(s.family, sizeof(s.family), "scan");
    snprintf(s.src, sizeof(s.src), "198.51.100.0/24");
    s.created_at = T0 * 1000000;
    assert_int_equal(ot_store_begin(f->st, true, &tx), 0);
    assert_int_equal(ot_store_suppression_add(tx, &s, &rule), 0);
    assert_int_equal(ot_store_commit(tx), 0);

    alert(f, 0, "scan", 8101002, 3, BAD, PC1, 0, 4, &r);
    assert_int_equal(r.incident_id, 0);
    assert_int_equal(r.suppressed_by, rule);
    alert(f, 0, "scan", 8101002, 3, BAD, PC2, 60, 4, &r);
    assert_int_equal(r.suppressed_by, rule);
    /* other source, other family: not covered */
    alert(f, 0, "scan", 8101002, 3, BAD2, PC1, 0, 1, &r);
    assert_int_equal(r.suppressed_by, 0);
    assert_true(r.incident_id > 0);
    alert(f, 0, "bruteforce", 8102001, 2, BAD, SRV, 0, 1, &r);
    assert_int_equal(r.suppressed_by, 0);
    /* the other customer is not covered by this customer's rule */
    alert(f, 1, "scan", 8101002, 3, BAD, PC1, 0, 1, &r);
    assert_int_equal(r.suppressed_by, 0);
    assert_true(r.incident_id > 0);

    assert_int_equal(ot_store_begin(f->st, false, &tx), 0);
    assert_int_equal(ot_store_funnel(tx, f->cust[0], 0, &tot, funnel_row, NULL), 0);
    ot_store_rollback(tx);
    assert_int_equal(tot.alerts, 4);
    assert_int_equal(tot.suppressed, 2);
    assert_int_equal(tot.incidents, 2);
}

/* ---- correlation ---- */

/* Rule `name` raised incident id (of customer ci) to 1 and points at related. */
static void raised(struct fx *f, int ci, int64_t id, const char *name, int64_t related)
{
    struct ot_incident inc;

    incident(f, ci, id, &inc);
    assert_int_equal(inc.severity, 1);
    assert_string_equal(inc.correlation, name);
    assert_int_equal(inc.related_id, related);
}

static void not_raised(struct fx *f, int ci, int64_t id, int severity)
{
    struct ot_incident inc;

    incident(f, ci, id, &inc);
    assert_int_equal(inc.severity, severity);
    assert_string_equal(inc.correlation, "");
    assert_int_equal(inc.related_id, 0);
}

static void test_ioc_beacon(void **state)
{
    struct fx *f = *state;
    struct ot_triage_result r;
    int64_t ioc, bc;

    ioc = alert(f, 0, "ioc", 8100001, 2, PC1, BAD, 0, 1, NULL);
    bc = alert(f, 0, "beacon", 8107001, 2, PC1, BAD2, 3 * HRS, 9, &r);
    assert_string_equal(r.correlation, "ioc-beacon");
    raised(f, 0, bc, "ioc-beacon", ioc);
    not_raised(f, 0, ioc, 2); /* only the newer is raised */

    /* another host */
    bc = alert(f, 0, "beacon", 8107001, 2, PC2, BAD2, 3 * HRS, 9, &r);
    assert_null(r.correlation);
    not_raised(f, 0, bc, 2);
    /* the other customer */
    bc = alert(f, 1, "beacon", 8107001, 2, PC1, BAD2, 3 * HRS, 9, NULL);
    not_raised(f, 1, bc, 2);
    /* outside the window: ioc on PC2 30 h after PC2's beacon ended */
    ioc = alert(f, 0, "ioc", 8100001, 2, PC2, BAD, 3 * HRS + 31 * HRS, 1, &r);
    assert_null(r.correlation);
    not_raised(f, 0, ioc, 2);
}

/* Closes incident id of customer ci with resolution res. */
static void resolve(struct fx *f, int ci, int64_t id, enum ot_incident_resolution res)
{
    struct ot_store_tx *tx;
    struct ot_incident inc;

    assert_int_equal(ot_store_begin(f->st, true, &tx), 0);
    assert_int_equal(ot_store_incident_get(tx, f->cust[ci], id, &inc), 0);
    inc.status = OT_INC_RESOLVED;
    inc.resolution = res;
    assert_int_equal(ot_store_incident_update(tx, &inc), 0);
    assert_int_equal(ot_store_commit(tx), 0);
}

static void test_resolved_partners(void **state)
{
    struct fx *f = *state;
    struct ot_triage_result r;
    struct ot_incident inc;
    int64_t ioc, bc;

    /* a partner closed as a false alarm correlates with nothing */
    ioc = alert(f, 0, "ioc", 8100001, 2, PC1, BAD, 0, 1, NULL);
    resolve(f, 0, ioc, OT_RES_FALSE_POSITIVE);
    bc = alert(f, 0, "beacon", 8107001, 2, PC1, BAD2, HRS, 9, &r);
    assert_null(r.correlation);
    not_raised(f, 0, bc, 2);

    /* a newer partner that is resolved stays as it was: the open one is raised */
    bc = alert(f, 0, "beacon", 8107001, 2, PC2, BAD2, 0, 9, NULL);
    ioc = alert(f, 0, "ioc", 8100001, 2, PC2, BAD, 60, 1, NULL);
    raised(f, 0, ioc, "ioc-beacon", bc);
    resolve(f, 0, ioc, OT_RES_TRUE_POSITIVE);
    alert(f, 0, "beacon", 8107001, 2, PC2, BAD2, 2 * HRS, 9, &r); /* joins bc */
    incident(f, 0, ioc, &inc);
    assert_int_equal(inc.status, OT_INC_RESOLVED);
    raised(f, 0, bc, "ioc-beacon", ioc);
}

static void test_rat_ioc(void **state)
{
    struct fx *f = *state;
    struct ot_triage_result r;
    int64_t rat, ioc;

    rat = alert(f, 0, "remote-access-tool", 8110011, 2, PC1, BAD, 0, 1, NULL);
    ioc = alert(f, 0, "ioc", 8100001, 2, BAD2, PC1, HRS, 1, &r); /* inbound: still PC1 */
    assert_string_equal(r.correlation, "rat-ioc");
    raised(f, 0, ioc, "rat-ioc", rat);
    not_raised(f, 0, rat, 2);

    /* another host */
    ioc = alert(f, 0, "ioc", 8100001, 2, PC2, BAD, HRS, 1, NULL);
    not_raised(f, 0, ioc, 2);
    /* the other customer */
    ioc = alert(f, 1, "ioc", 8100001, 2, PC1, BAD, HRS, 1, NULL);
    not_raised(f, 1, ioc, 2);
    /* outside the window: a tool on PC2 two days after PC2's ioc */
    rat = alert(f, 0, "remote-access-tool", 8110011, 2, PC2, BAD, HRS + 48 * HRS, 1, NULL);
    not_raised(f, 0, rat, 2);
}

static void test_scan_lateral(void **state)
{
    struct fx *f = *state;
    struct ot_triage_result r;
    int64_t sc, lat;

    sc = alert(f, 0, "scan", 8101003, 2, PC1, "", 0, 30, NULL);
    lat = alert(f, 0, "lateral-movement", 8109001, 2, PC1, "", HRS, 10, &r);
    assert_string_equal(r.correlation, "scan-lateral");
    raised(f, 0, lat, "scan-lateral", sc);
    not_raised(f, 0, sc, 2);

    /* another host */
    lat = alert(f, 0, "lateral-movement", 8109001, 2, PC2, "", HRS, 10, NULL);
    not_raised(f, 0, lat, 2);
    /* the other customer */
    lat = alert(f, 1, "lateral-movement", 8109001, 2, PC1, "", HRS, 10, NULL);
    not_raised(f, 1, lat, 2);
    /* outside the window: SRV scans, and spreads 30 h later */
    alert(f, 0, "scan", 8101003, 2, SRV, "", 0, 30, NULL);
    lat = alert(f, 0, "lateral-movement", 8109001, 2, SRV, "", 30 * HRS, 10, NULL);
    not_raised(f, 0, lat, 2);
}

/* A successful (or not) login event of proto from src to dest at T0+off. */
static void login(struct fx *f, int ci, const char *proto, const char *src, const char *dest,
                  int64_t off, const char *result)
{
    char doc[1024], t[40];

    ts_text(off, t, sizeof(t));
    snprintf(doc, sizeof(doc),
             "{\"timestamp\":\"%s\",\"event_type\":\"%s\",\"event_id\":\"%%s\","
             "\"src_ip\":\"%s\",\"src_port\":50000,\"dest_ip\":\"%s\",\"dest_port\":21,"
             "\"proto\":\"TCP\",\"app_proto\":\"%s\",\"%s\":{\"type\":\"login\",\"attempt\":9,"
             "\"user\":\"admin\",\"password_in_clear\":true,\"login_result\":\"%s\"}}",
             t, proto, src, dest, proto, proto, result);
    assert_int_equal(feed(f, ci, doc, NULL), 0);
}

static void test_bruteforce_login(void **state)
{
    struct fx *f = *state;
    int64_t bf, bf2, bf3;

    bf = alert(f, 0, "bruteforce", 8102004, 2, BAD, SRV, 0, 200, NULL);
    login(f, 0, "ftp", BAD, SRV, 10 * 60, "failure");
    not_raised(f, 0, bf, 2);
    login(f, 0, "ftp", BAD, PC1, 10 * 60, "success"); /* another server */
    not_raised(f, 0, bf, 2);
    login(f, 1, "ftp", BAD, SRV, 10 * 60, "success"); /* the other customer */
    not_raised(f, 0, bf, 2);
    login(f, 0, "ftp", BAD, SRV, 5 * HRS, "success"); /* outside the window */
    not_raised(f, 0, bf, 2);
    login(f, 0, "ftp", BAD, SRV, 10 * 60, "success");
    raised(f, 0, bf, "bruteforce-login", 0);

    /* the login first (the guessing alert is held by the sensor), then the guessing */
    login(f, 0, "pop3", BAD2, SRV, 24 * HRS + 300, "success");
    bf2 = alert(f, 0, "bruteforce", 8102006, 2, BAD2, SRV, 24 * HRS, 50, NULL);
    raised(f, 0, bf2, "bruteforce-login", 0);
    /* ...but not when the remembered login went to another customer */
    login(f, 1, "imap", "198.51.100.99", SRV, 48 * HRS + 300, "success");
    bf3 = alert(f, 0, "bruteforce", 8102007, 2, "198.51.100.99", SRV, 48 * HRS, 50, NULL);
    not_raised(f, 0, bf3, 2);
}

static int audit_cb(void *ctx, const struct ot_audit *a)
{
    struct audit_find {
        const char *action;
        int n;
        char *detail;
        size_t dlen;
    } *c = ctx;
    if (strcmp(a->action, c->action) == 0) {
        c->n++;
        snprintf(c->detail, c->dlen, "%s", a->detail);
    }
    return 0;
}

/* Audit entries of incident id (customer ci) whose action is `action`. */
static int audit_count(struct fx *f, int ci, int64_t id, const char *action, char *detail,
                       size_t dlen)
{
    struct ot_store_tx *tx;
    char obj[64];
    struct audit_find {
        const char *action;
        int n;
        char *detail;
        size_t dlen;
    } c = {action, 0, detail, dlen};
    snprintf(obj, sizeof(obj), "incident:%lld", (long long)id);
    assert_int_equal(ot_store_begin(f->st, false, &tx), 0);
    assert_int_equal(ot_store_audit_list(tx, f->cust[ci], obj, audit_cb, &c), 0);
    ot_store_rollback(tx);
    return c.n;
}

/* Resolved, then a login works: opened again, with an audit entry; not for a false alarm. */
static void test_bruteforce_login_reopens(void **state)
{
    struct fx *f = *state;
    struct ot_incident inc;
    char detail[512];

    int64_t bf = alert(f, 0, "bruteforce", 8102004, 2, BAD, SRV, 0, 200, NULL);
    resolve(f, 0, bf, OT_RES_TRUE_POSITIVE);
    login(f, 0, "ftp", BAD, SRV, 10 * 60, "success");
    incident(f, 0, bf, &inc);
    assert_int_equal(inc.status, OT_INC_NEW);
    assert_int_equal(inc.resolution, OT_RES_NONE);
    raised(f, 0, bf, "bruteforce-login", 0);
    assert_int_equal(audit_count(f, 0, bf, "incident.reopen", detail, sizeof(detail)), 1);
    assert_non_null(strstr(detail, "\"reason\":\"bruteforce-login\""));
    assert_non_null(strstr(detail, "\"src_ip\":\"" BAD "\""));

    /* Closed as a false alarm: it stays closed and unraised. */
    int64_t bf2 = alert(f, 0, "bruteforce", 8102006, 2, BAD2, SRV, 24 * HRS, 50, NULL);
    resolve(f, 0, bf2, OT_RES_FALSE_POSITIVE);
    login(f, 0, "pop3", BAD2, SRV, 24 * HRS + 300, "success");
    incident(f, 0, bf2, &inc);
    assert_int_equal(inc.status, OT_INC_RESOLVED);
    not_raised(f, 0, bf2, 2);
    assert_int_equal(audit_count(f, 0, bf2, "incident.reopen", detail, sizeof(detail)), 0);
}

static void test_bruteforce_cleartext(void **state)
{
    struct fx *f = *state;
    struct ot_triage_result r;
    char doc[2048], t1[40], t2[40];
    int64_t bf;

    bf = alert(f, 0, "bruteforce", 8102005, 2, BAD, SRV, 0, 100, NULL);
    ts_text(600, t1, sizeof(t1));
    ts_text(660, t2, sizeof(t2));
    snprintf(doc, sizeof(doc),
             "{\"timestamp\":\"%s\",\"event_type\":\"alert\",\"event_id\":\"%%s\","
             "\"src_ip\":\"%s\",\"src_port\":50000,\"dest_ip\":\"%s\",\"dest_port\":23,"
             "\"alert\":{\"signature_id\":8104002,\"category\":\"cleartext-credentials\","
             "\"severity\":2,\"count\":1,\"first_seen\":\"%s\",\"last_seen\":\"%s\","
             "\"evidence\":{\"protocol\":\"telnet\",\"user\":\"root\","
             "\"login_result\":\"success\"}}}",
             t1, BAD, SRV, t1, t2);
    assert_int_equal(feed(f, 0, doc, &r), 0);
    assert_string_equal(r.correlation, "bruteforce-login");
    raised(f, 0, r.incident_id, "bruteforce-login", bf); /* the cleartext incident is newer */
    not_raised(f, 0, bf, 2);

    /* a cleartext alert whose login failed is no success */
    bf = alert(f, 0, "bruteforce", 8102005, 2, BAD2, PC1, 0, 100, NULL);
    assert_int_equal(alert(f, 0, "cleartext-credentials", 8104002, 2, BAD2, PC1, 600, 1, &r) > 0,
                     1);
    assert_null(r.correlation);
    not_raised(f, 0, bf, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_resolved_not_joined),
        cmocka_unit_test(test_bad_alert),
        cmocka_unit_test(test_suppression),
        cmocka_unit_test(test_ioc_beacon),
        cmocka_unit_test(test_resolved_partners),
        cmocka_unit_test(test_bruteforce_login_reopens),
        cmocka_unit_test(test_rat_ioc),
        cmocka_unit_test(test_scan_lateral),
        cmocka_unit_test(test_bruteforce_login),
        cmocka_unit_test(test_bruteforce_cleartext),
    };
    struct CMUnitTest pg[sizeof(tests) / sizeof(tests[0])];
    int rc;

    run_id = (unsigned)time(NULL);
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        pg[i] = tests[i];
        pg[i].setup_func = setup_pg;
        pg[i].teardown_func = teardown;
    }
    struct CMUnitTest lite[sizeof(tests) / sizeof(tests[0])];
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        lite[i] = tests[i];
        lite[i].setup_func = setup_sqlite;
        lite[i].teardown_func = teardown;
    }
    rc = cmocka_run_group_tests_name("triage on sqlite", lite, NULL, NULL);
    pg_url = getenv("OT_TEST_PG_URL");
    if (!pg_url || !*pg_url) {
        printf("SKIP: triage on postgresql: OT_TEST_PG_URL is not set\n");
        return rc;
    }
    return rc | cmocka_run_group_tests_name("triage on postgresql", pg, NULL, NULL);
}
