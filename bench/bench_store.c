/*
 * Ingest throughput of the store.
 *
 *   bench_store [-n BATCHES] [-b EVENTS] [-a ALERT_EVERY] [-p POSTGRES_URL]
 *
 * For SQLite (a fresh file in a temporary folder) and, when -p or
 * OT_BENCH_PG_URL names a database, PostgreSQL: BATCHES (default 30)
 * batches of EVENTS (default 1,000) events of about 400 bytes, each batch in
 * one write transaction as the ingest API does (begin, events insert, device
 * counters, commit with synchronous commit on).  Two passes:
 *   events   only the events;
 *   +triage  also, for every ALERT_EVERY-th event (default 20, i.e. 5 %),
 *            the store calls triage makes for a new alert: customer lock,
 *            find the open incident, update or create it, add the alert row.
 *   triage   every ALERT_EVERY-th event is an alert (scan, bruteforce, beacon
 *            over 50 hosts), parsed with jansson and handed to the real
 *            ot_triage_alert() as the ingest API does.
 * Prints events/s for each (wall clock over all batches), and the duplicate
 * pass: the first batch sent again (all duplicates).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "otasuke/error.h"
#include "store/store.h"
#include "triage/triage.h"

struct opts {
    unsigned batches, batch, alert_every;
    const char *pg;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One batch of events; ids carry tag and batch number so every pass is new. */
static const char *const families[] = {"scan", "bruteforce", "beacon"};

static void fill_batch(struct ot_store_event *ev, char *ids, char *bodies, unsigned n,
                       const char *tag, unsigned b, unsigned alert_every)
{
    for (unsigned i = 0; i < n; i++) {
        char *id = ids + (size_t)i * 64, *body = bodies + (size_t)i * 512;
        int il = snprintf(id, 64, "%s-%u-%u", tag, b, i);
        if (alert_every && i % alert_every == 0) {
            unsigned f = (i / alert_every) % 3;
            int bl = snprintf(body, 512,
                              "{\"timestamp\":\"2026-11-26T01:02:%02u.456789+0000\",\"event_id\":"
                              "\"%s\",\"event_type\":\"alert\",\"src_ip\":\"%s%u\",\"src_port\":"
                              "%u,\"dest_ip\":\"%s\",\"dest_port\":22,\"proto\":\"TCP\","
                              "\"alert\":{\"signature_id\":%u,\"signature\":\"%s detected\","
                              "\"category\":\"%s\",\"severity\":2,\"count\":3},"
                              "\"host\":\"sensor-01\",\"pad\":\"%090u\"}",
                              b % 60, id, f == 2 ? "192.168.10." : "203.0.113.", i % 50, 40000 + i,
                              f == 2 ? "198.51.100.7" : "192.168.10.5", 2100000 + f, families[f],
                              families[f], 0);
            ev[i] = (struct ot_store_event){.event_id = id,
                                            .event_id_len = (size_t)il,
                                            .event_type = "alert",
                                            .event_type_len = 5,
                                            .ts = 1000000 + i,
                                            .body = body,
                                            .body_len = (size_t)bl};
            continue;
        }
        int bl = snprintf(body, 512,
                          "{\"timestamp\":\"2026-11-26T01:02:03.456789+0000\",\"event_id\":\"%s\","
                          "\"event_type\":\"dns\",\"src_ip\":\"192.168.10.%u\",\"src_port\":%u,"
                          "\"dest_ip\":\"192.168.10.1\",\"dest_port\":53,\"proto\":\"UDP\","
                          "\"flow_id\":%u,\"dns\":{\"type\":\"query\",\"id\":%u,\"rrname\":"
                          "\"host%u.updates.example-cdn.net\",\"rrtype\":\"A\",\"answers\":"
                          "[\"93.184.216.34\",\"93.184.216.35\"]},\"host\":\"sensor-01\","
                          "\"pad\":\"%090u\"}",
                          id, i % 250, 40000 + i % 20000, b * 100000 + i, i, i, i);
        ev[i] = (struct ot_store_event){.event_id = id,
                                        .event_id_len = (size_t)il,
                                        .event_type = "dns",
                                        .event_type_len = 3,
                                        .ts = 1000000 + i,
                                        .body = body,
                                        .body_len = (size_t)bl};
    }
}

/* The store side of triage for one alert: join or open the incident, store the alert row. */
static int triage_one(struct ot_store_tx *tx, int64_t cid, int64_t did,
                      const struct ot_store_event *e, unsigned i)
{
    struct ot_incident inc;
    char entity[32];
    snprintf(entity, sizeof(entity), "192.168.10.%u", i % 50);
    int rc = ot_store_incident_find_open(tx, cid, "scan", entity, 0, &inc);
    if (rc == OT_ENOENT) {
        memset(&inc, 0, sizeof(inc));
        inc.customer_id = cid;
        snprintf(inc.family, sizeof(inc.family), "scan");
        snprintf(inc.entity, sizeof(inc.entity), "%s", entity);
        inc.severity = 2;
        inc.first_seen = inc.last_seen = e->ts;
        inc.alert_count = inc.event_count = 1;
        rc = ot_store_incident_create(tx, &inc);
    } else if (rc == 0) {
        inc.alert_count++;
        inc.event_count++;
        inc.last_seen = e->ts;
        rc = ot_store_incident_update(tx, &inc);
    }
    if (rc)
        return rc;
    struct ot_alert_row a = {.id = e->row_id,
                             .customer_id = cid,
                             .device_id = did,
                             .ts = e->ts,
                             .sid = 2100001,
                             .severity = 2,
                             .count = 1,
                             .incident_id = inc.id};
    snprintf(a.family, sizeof(a.family), "scan");
    snprintf(a.signature, sizeof(a.signature), "port scan");
    snprintf(a.src_ip, sizeof(a.src_ip), "%s", entity);
    snprintf(a.entity, sizeof(a.entity), "%s", entity);
    return ot_store_alert_add(tx, &a);
}

/* Sends opts->batches batches; returns events/s, or -1 on a store error. */
enum mode { EVENTS, STORE_TRIAGE, REAL_TRIAGE };

/* The real triage of the batch's new alerts, parsed as the ingest API parses them. */
static int real_triage(struct ot_triage *t, struct ot_store_tx *tx, int64_t cid, int64_t did,
                       const struct ot_store_event *ev, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (ev[i].duplicate || ev[i].event_type_len != 5)
            continue;
        json_t *j = json_loadb(ev[i].body, ev[i].body_len, 0, NULL);
        if (!j)
            return OT_EINVAL;
        struct ot_triage_result r;
        int rc = ot_triage_alert(t, tx, cid, did, ev[i].row_id, j, &r);
        json_decref(j);
        if (rc)
            return rc;
    }
    return 0;
}

static double run_pass(struct ot_store *st, const struct opts *o, int64_t cid, int64_t did,
                       const char *tag, enum mode mode, unsigned *dups, double *stmts)
{
    struct ot_store_event *ev = calloc(o->batch, sizeof(*ev));
    char *ids = malloc((size_t)o->batch * 64), *bodies = malloc((size_t)o->batch * 512);
    double rate = -1;
    struct ot_triage *t = NULL;
    if (!ev || !ids || !bodies)
        goto out;
    double busy = 0;
    struct ot_store_stats s0, s1;
    ot_store_stats(st, &s0);
    bool triage = mode == STORE_TRIAGE;
    struct ot_triage_conf tc;
    ot_triage_conf_defaults(&tc);
    if (mode == REAL_TRIAGE && ot_triage_new(&tc, &t))
        goto out;
    *dups = 0;
    for (unsigned b = 0; b < o->batches; b++) {
        fill_batch(ev, ids, bodies, o->batch, tag, b, mode == REAL_TRIAGE ? o->alert_every : 0);
        double t0 = now_s();
        struct ot_store_tx *tx;
        int rc = ot_store_begin(st, true, &tx);
        if (rc)
            goto out_err;
        rc = ot_store_events_insert(tx, cid, did, 1000 + b, ev, o->batch);
        if (!rc && mode != EVENTS)
            rc = ot_store_lock_customer(tx, cid);
        if (!rc && mode == REAL_TRIAGE)
            rc = real_triage(t, tx, cid, did, ev, o->batch);
        for (unsigned i = 0; !rc && triage && i < o->batch; i += o->alert_every)
            if (!ev[i].duplicate)
                rc = triage_one(tx, cid, did, &ev[i], i);
        if (!rc)
            rc = ot_store_device_seen(tx, did, 1000 + b, o->batch, 0);
        if (rc) {
            fprintf(stderr, "bench_store: %s: %s\n", ot_strerror(rc), ot_store_errmsg(tx));
            ot_store_rollback(tx);
            goto out_err;
        }
        rc = ot_store_commit(tx);
        if (rc)
            goto out_err;
        busy += now_s() - t0;
        for (unsigned i = 0; i < o->batch; i++)
            *dups += ev[i].duplicate;
    }
    rate = (double)o->batches * o->batch / busy;
    ot_store_stats(st, &s1);
    *stmts = (double)(s1.statements - s0.statements) / o->batches;
    goto out;
out_err:
    fprintf(stderr, "bench_store: pass %s failed\n", tag);
out:
    if (t)
        ot_triage_free(t);
    free(ev);
    free(ids);
    free(bodies);
    return rate;
}

static int bench(const char *name, const char *url, const struct opts *o)
{
    char err[256], tag[80], cname[64];
    struct ot_store *st;
    int rc = ot_store_open(url, 2, &st, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    snprintf(cname, sizeof(cname), "bench-%d-%ld", (int)getpid(), (long)time(NULL));
    struct ot_store_tx *tx;
    int64_t cid, sid, did;
    struct ot_device d = {0};
    uint8_t h[32] = {0};
    memcpy(h, cname, strlen(cname) < 32 ? strlen(cname) : 32);
    if ((rc = ot_store_begin(st, true, &tx)) || (rc = ot_store_customer_add(tx, cname, 1, &cid)) ||
        (rc = ot_store_site_add(tx, cid, "site", 1, &sid)))
        goto out_fail;
    d.customer_id = cid;
    d.site_id = sid;
    snprintf(d.name, sizeof(d.name), "sensor");
    snprintf(d.kind, sizeof(d.kind), "sensor");
    if ((rc = ot_store_device_add(tx, &d, h, &did)) || (rc = ot_store_commit(tx)))
        goto out_close;
    unsigned dups;
    snprintf(tag, sizeof(tag), "%s-ev", cname);
    double q1, q2, q3, q4;
    double r1 = run_pass(st, o, cid, did, tag, EVENTS, &dups, &q1);
    snprintf(tag, sizeof(tag), "%s-tr", cname);
    double r2 = run_pass(st, o, cid, did, tag, STORE_TRIAGE, &dups, &q2);
    snprintf(tag, sizeof(tag), "%s-rt", cname);
    double r4 = run_pass(st, o, cid, did, tag, REAL_TRIAGE, &dups, &q4);
    struct opts once = *o;
    once.batches = 1;
    snprintf(tag, sizeof(tag), "%s-ev", cname);
    double r3 = run_pass(st, &once, cid, did, tag, EVENTS, &dups, &q3);
    printf("%-10s [%u batches x %u events of ~400 B, 1 alert per %u events]\n"
           "  events only              %8.0f ev/s  %6.0f statements/batch\n"
           "  + store calls of triage  %8.0f ev/s  %6.0f statements/batch\n"
           "  + real ot_triage_alert   %8.0f ev/s  %6.0f statements/batch\n"
           "  duplicate batch          %8.0f ev/s  %6.0f statements/batch (%u of %u duplicates)\n",
           name, o->batches, o->batch, o->alert_every, r1, q1, r2, q2, r4, q4, r3, q3, dups,
           o->batch);
    ot_store_close(st);
    return r1 < 0 || r2 < 0 || r3 < 0 || r4 < 0 || dups != o->batch;
out_fail:
    fprintf(stderr, "bench_store: setup: %s: %s\n", ot_strerror(rc), ot_store_errmsg(tx));
    ot_store_rollback(tx);
out_close:
    ot_store_close(st);
    return 1;
}

int main(int argc, char **argv)
{
    struct opts o = {
        .batches = 30, .batch = 1000, .alert_every = 20, .pg = getenv("OT_BENCH_PG_URL")};
    int c;
    while ((c = getopt(argc, argv, "n:b:a:p:")) != -1) {
        switch (c) {
        case 'n':
            o.batches = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'b':
            o.batch = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'a':
            o.alert_every = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'p':
            o.pg = optarg;
            break;
        default:
            fprintf(stderr, "usage: %s [-n BATCHES] [-b EVENTS] [-a ALERT_EVERY] [-p PG_URL]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!o.batches || !o.batch || o.batch > 100000 || !o.alert_every) {
        fprintf(stderr, "bench_store: BATCHES, EVENTS (<= 100000) and ALERT_EVERY must be > 0\n");
        return 2;
    }
    char dir[] = "/tmp/ot-bench-store.XXXXXX", url[128];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(url, sizeof(url), "sqlite:%s/otasuke.db", dir);
    int fails = bench("sqlite", url, &o);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_store: could not remove %s\n", dir);
    if (o.pg && *o.pg)
        fails += bench("postgresql", o.pg, &o);
    else
        printf("postgresql: skipped (pass -p URL or set OT_BENCH_PG_URL; "
               "tests/support/pg-tmp.sh start DIR prints one)\n");
    return fails ? 1 : 0;
}
