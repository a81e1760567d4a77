/*
 * bench_ingest: load generator for otasuke-server's ingest API.
 *
 * N simulated devices, each with its own credential and keep-alive HTTPS
 * connection (libcurl multi, the server's CA), POST gzip NDJSON batches of
 * sensor-like events: flow, dns and tls events with a small share of alerts
 * drawn from a few attackers and inside hosts, so triage groups them into a
 * handful of incidents per customer.  Every event_id is unique (a random
 * run id, the device and a sequence number).
 *
 * The devices enrol themselves through the API with the admin key (one
 * customer and site per device, like one sensor per small firm), or take
 * credentials from a file written by an earlier run (--save-creds).
 *
 * Modes: as fast as the server answers (one batch in flight per device,
 * as the real sender does) for --duration seconds, or a fixed --rate of
 * events per second spread over the devices (open loop: latency counts from
 * the moment a batch was due, so a slow server cannot hide its queueing).
 * A batch answered 429/5xx or lost to the network is sent again (same
 * event_ids: the server must count them once).
 *
 * Prints sustained events/s, batch latency p50/p90/p99/max, errors by
 * status, and the targets beside the figures; the last line is
 * "RESULT key=value ..." for scripts/bench-server.sh.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/timefmt.h"
#include "core/util.h"

#define TARGET_EPS    30000.0 /* events/s with triage on */
#define TARGET_P99_MS 200.0   /* at half that rate */
#define MAX_DEVICES   4096
#define MAX_LAT       (4u << 20) /* latency samples kept; more are counted */
#define MAX_ANSWER    (1u << 20)

struct conf {
    const char *url;
    const char *data;
    const char *key_file;
    const char *ca;
    const char *creds_in;
    const char *creds_out;
    unsigned devices;
    double duration;
    double rate;       /* events/s in total; 0 = as fast as possible */
    unsigned batch;    /* lines per batch */
    unsigned alert_pm; /* alerts per mille of events */
    int gzip_level;
    bool generate_only; /* measure the generator itself, no server */
};

/* A growable byte buffer with a hard maximum. */
struct buf {
    char *p;
    size_t len, cap, max;
};

struct device {
    unsigned idx;
    int64_t device_id, customer_id;
    char cred[256];
    CURL *easy;
    struct curl_slist *hdr;
    uint64_t seq; /* events generated */
    uint64_t flow_id;
    struct buf ndjson, gz, answer;
    unsigned lines; /* events in the batch in gz */
    bool busy;      /* a request is in flight */
    bool pending;   /* gz holds a batch not yet accepted (a retry is due) */
    double due;     /* when the next batch (or the retry) should go */
    double sched;   /* when the batch in flight was due */
};

struct stats {
    uint64_t batches, accepted, duplicates, rejected, retries, dropped_batches, late;
    uint64_t status[600];
    uint64_t neterr;
    double *lat;
    size_t nlat;
    uint64_t lat_dropped;
    double lat_max;
};

struct bench {
    struct conf c;
    struct device *dev;
    unsigned ndev;
    CURLM *multi;
    struct stats st;
    char run[9];
    struct ot_timefmt tf;
    uint64_t rng;
    char admin_key[260];
    char ca_path[4096];
};

/* Monotonic seconds, for intervals and latency. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall-clock microseconds, for event timestamps. */
static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* xorshift64*: fast, good enough to pick event kinds and addresses. */
static uint32_t rnd(struct bench *b, uint32_t n)
{
    b->rng ^= b->rng >> 12;
    b->rng ^= b->rng << 25;
    b->rng ^= b->rng >> 27;
    return (uint32_t)((b->rng * 2685821657736338717ull) >> 33) % (n ? n : 1);
}

/* Makes room for n more bytes; false (nothing changed) past the maximum or out of memory. */
static bool buf_reserve(struct buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return true;
    if (b->len + n + 1 > b->max)
        return false;
    size_t ncap = b->cap ? b->cap : 65536;
    while (ncap < b->len + n + 1)
        ncap *= 2;
    if (ncap > b->max)
        ncap = b->max;
    char *np = realloc(b->p, ncap);
    if (!np)
        return false;
    b->p = np;
    b->cap = ncap;
    return true;
}

/* Appends printf-formatted text; false when the buffer bound was hit. */
static bool __attribute__((format(printf, 2, 3))) buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    for (int pass = 0; pass < 2; pass++) {
        size_t room = b->cap > b->len ? b->cap - b->len : 0;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return false;
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return true;
        }
        if (!buf_reserve(b, (size_t)n))
            return false;
    }
    return false;
}

/* ---- events ---- */

struct alert_kind {
    const char *family;
    uint32_t sid;
    int severity;
    const char *signature;
    bool outside_src; /* the attacker is outside (scan, bruteforce, exposure) */
    uint16_t port;
};

static const struct alert_kind alert_kinds[] = {
    {"scan", 2100001, 2, "Port scan: one source probed many ports", true, 0},
    {"bruteforce", 2100101, 1, "SSH password guessing", true, 22},
    {"exposure", 2100201, 2, "RDP answered from outside the home networks", true, 3389},
    {"beacon", 2100301, 2, "Regular check-ins to one outside host", false, 443},
    {"ioc", 2100401, 1, "Connection to a known-bad address", false, 443},
    {"dga", 2100501, 2, "Many algorithm-generated names resolved", false, 53},
    {"remote-access-tool", 2100601, 3, "Remote access tool in use (AnyDesk)", false, 443},
};

static const char *const domains[] = {"www.example.com",      "mail.example.net",
                                      "cdn.example.org",      "login.example.jp",
                                      "update.example.co.jp", "api.example.com"};

/* The common EVE head of one event line. */
static bool event_head(struct bench *b, struct device *d, const char *type, const char *ts,
                       uint32_t inside, uint32_t sport, const char *dst, uint32_t dport,
                       const char *proto)
{
    d->seq++;
    d->flow_id++;
    return buf_printf(&d->ndjson,
                      "{\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"event_type\":\"%s\","
                      "\"event_id\":\"%s-%u-%" PRIu64 "\",\"sensor_id\":\"bench-%u\","
                      "\"src_ip\":\"192.168.%u.%u\",\"src_port\":%u,\"dest_ip\":\"%s\","
                      "\"dest_port\":%u,\"proto\":\"%s\"",
                      ts, d->flow_id * 7919 + d->idx, type, b->run, d->idx, d->seq, d->idx,
                      d->idx % 250, 10 + inside, sport, dst, dport, proto);
}

/* One event of a random kind at the configured mix. */
static bool event_line(struct bench *b, struct device *d, const char *ts)
{
    uint32_t r = rnd(b, 1000);
    uint32_t inside = rnd(b, 20);
    uint32_t sport = 32768 + rnd(b, 28000);
    char dst[48];
    snprintf(dst, sizeof(dst), "198.51.100.%u", 1 + rnd(b, 200));
    if (r < b->c.alert_pm) {
        const struct alert_kind *k = &alert_kinds[rnd(b, OT_ARRAY_SIZE(alert_kinds))];
        char src_out[48], in_ip[48];
        snprintf(src_out, sizeof(src_out), "203.0.113.%u", 1 + rnd(b, 4)); /* few attackers */
        snprintf(in_ip, sizeof(in_ip), "192.168.%u.%u", d->idx % 250, 10 + inside % 4);
        d->seq++;
        d->flow_id++;
        return buf_printf(
            &d->ndjson,
            "{\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"event_type\":\"alert\","
            "\"event_id\":\"%s-%u-%" PRIu64 "\",\"sensor_id\":\"bench-%u\","
            "\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":%u,"
            "\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"signature_id\":%u,"
            "\"signature\":\"%s\",\"category\":\"%s\",\"severity\":%d,\"count\":%u,"
            "\"first_seen\":\"%s\",\"last_seen\":\"%s\","
            "\"metadata\":{\"detector\":\"%s\",\"mitre_technique_id\":[\"T1046\"]}}}\n",
            ts, d->flow_id * 7919 + d->idx, b->run, d->idx, d->seq, d->idx,
            k->outside_src ? src_out : in_ip, sport, k->outside_src ? in_ip : dst,
            k->port ? k->port : 80, k->sid, k->signature, k->family, k->severity, 1 + rnd(b, 50),
            ts, ts, k->family);
    }
    r = rnd(b, 100);
    if (r < 55) { /* flow */
        uint32_t pk = 2 + rnd(b, 40);
        return event_head(b, d, "flow", ts, inside, sport, dst, 443, "TCP") &&
               buf_printf(&d->ndjson,
                          ",\"app_proto\":\"tls\",\"flow\":{\"pkts_toserver\":%u,"
                          "\"pkts_toclient\":%u,\"bytes_toserver\":%u,\"bytes_toclient\":%u,"
                          "\"start\":\"%s\",\"end\":\"%s\",\"age\":%u,\"state\":\"closed\","
                          "\"reason\":\"timeout\",\"alerted\":false},"
                          "\"community_id\":\"1:%08x%08x%08x%04x=\"}\n",
                          pk, pk - 1, pk * 120, pk * 900, ts, ts, rnd(b, 60), rnd(b, 1u << 31),
                          rnd(b, 1u << 31), rnd(b, 1u << 31), rnd(b, 65536));
    }
    const char *name = domains[rnd(b, OT_ARRAY_SIZE(domains))];
    if (r < 85) { /* dns */
        return event_head(b, d, "dns", ts, inside, sport, "192.168.0.1", 53, "UDP") &&
               buf_printf(&d->ndjson,
                          ",\"app_proto\":\"dns\",\"dns\":{\"version\":2,\"type\":\"answer\","
                          "\"id\":%u,\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,"
                          "\"rrname\":\"%s\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\","
                          "\"answers\":[{\"rrname\":\"%s\",\"rrtype\":\"A\",\"ttl\":%u,"
                          "\"rdata\":\"%s\"}]}}\n",
                          rnd(b, 65536), name, name, 60 + rnd(b, 3600), dst);
    }
    return event_head(b, d, "tls", ts, inside, sport, dst, 443, "TCP") &&
           buf_printf(&d->ndjson,
                      ",\"app_proto\":\"tls\",\"tls\":{\"sni\":\"%s\",\"version\":\"TLS 1.3\","
                      "\"ja3\":{\"hash\":\"%08x%08x%08x%08x\"},"
                      "\"ja4\":\"t13d1516h2_8daaf6152771_%08x%04x\"}}\n",
                      name, rnd(b, 1u << 31), rnd(b, 1u << 31), rnd(b, 1u << 31), rnd(b, 1u << 31),
                      rnd(b, 1u << 31), rnd(b, 65536));
}

/* Fills d->gz with a new gzip batch of c.batch events. */
static int make_batch(struct bench *b, struct device *d)
{
    char ts[OT_TS_LEN + 1];
    uint64_t us = wall_us();
    d->ndjson.len = 0;
    for (unsigned i = 0; i < b->c.batch; i++) {
        ot_timefmt_us(&b->tf, us + i, ts);
        if (!event_line(b, d, ts))
            return -1;
    }
    d->lines = b->c.batch;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, b->c.gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t bound = deflateBound(&z, d->ndjson.len) + 64;
    d->gz.len = 0;
    if (!buf_reserve(&d->gz, bound)) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)d->ndjson.p;
    z.avail_in = (uInt)d->ndjson.len;
    z.next_out = (Bytef *)d->gz.p;
    z.avail_out = (uInt)bound;
    int zr = deflate(&z, Z_FINISH);
    d->gz.len = z.total_out;
    deflateEnd(&z);
    return zr == Z_STREAM_END ? 0 : -1;
}

/* ---- admin calls and enrolment (blocking, before the run) ---- */

/* libcurl write callback into a bounded buffer; 0 (past the bound) makes curl stop. */
static size_t sink_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *s = userdata;
    size_t n = size * nmemb;
    if (!buf_reserve(s, n))
        return 0;
    memcpy(s->p + s->len, ptr, n);
    s->len += n;
    s->p[s->len] = '\0';
    return n;
}

/* POSTs body to path with an optional bearer; returns the parsed answer on 2xx, else NULL. */
static json_t *admin_post(struct bench *b, const char *path, json_t *body, const char *bearer)
{
    char url[1024], auth[300];
    struct buf ans = {.max = MAX_ANSWER};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (bearer) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        h = curl_slist_append(h, auth);
    }
    char *payload = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    snprintf(url, sizeof(url), "%s%s", b->c.url, path);
    CURL *e = curl_easy_init();
    json_t *out = NULL;
    long status = 0;
    if (!e || !payload || !h)
        goto out;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &ans);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    if (b->ca_path[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, b->ca_path);
    CURLcode cc = curl_easy_perform(e);
    if (cc != CURLE_OK) {
        fprintf(stderr, "bench_ingest: POST %s: %s\n", url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        fprintf(stderr, "bench_ingest: POST %s: %ld %.300s\n", url, status, ans.p ? ans.p : "");
        goto out;
    }
    out = ans.p ? json_loads(ans.p, 0, NULL) : NULL;
out:
    if (e)
        curl_easy_cleanup(e);
    curl_slist_free_all(h);
    free(payload);
    free(ans.p);
    return out;
}

/* An integer member or -1. */
static int64_t jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* One customer, site, token and enrolment per device. */
static int enrol(struct bench *b, struct device *d)
{
    char name[64], path[128];
    snprintf(name, sizeof(name), "bench-%s-%u", b->run, d->idx);
    json_t *a = admin_post(b, "/api/v1/customers", json_pack("{s:s}", "name", name), b->admin_key);
    int64_t cid = jint(a, "id");
    json_decref(a);
    if (cid < 0)
        return -1;
    snprintf(path, sizeof(path), "/api/v1/customers/%" PRId64 "/sites", cid);
    a = admin_post(b, path, json_pack("{s:s}", "name", "office"), b->admin_key);
    int64_t sid = jint(a, "id");
    json_decref(a);
    if (sid < 0)
        return -1;
    a = admin_post(b, "/api/v1/tokens",
                   json_pack("{s:I,s:I,s:s,s:i}", "customer_id", (json_int_t)cid, "site_id",
                             (json_int_t)sid, "kind", "sensor", "ttl", 3600),
                   b->admin_key);
    const char *tok = json_string_value(json_object_get(a, "token"));
    char secret[256];
    if (!tok || !ot_strlcpy(secret, tok, sizeof(secret))) {
        json_decref(a);
        return -1;
    }
    json_decref(a);
    char *dot = strchr(secret, '.');
    if (dot)
        *dot = '\0'; /* the pin is for the sensor; the server takes the secret */
    a = admin_post(b, "/api/v1/enroll",
                   json_pack("{s:s,s:s,s:s}", "token", secret, "name", name, "kind", "sensor"),
                   NULL);
    const char *cred = json_string_value(json_object_get(a, "credential"));
    d->device_id = jint(a, "device_id");
    d->customer_id = jint(a, "customer_id");
    bool ok = cred && ot_strlcpy(d->cred, cred, sizeof(d->cred)) && d->device_id > 0;
    json_decref(a);
    return ok ? 0 : -1;
}

/* Reads NDJSON credentials {"device_id","customer_id","credential"} written by --save-creds. */
static int load_creds(struct bench *b)
{
    FILE *fp = fopen(b->c.creds_in, "r");
    if (!fp) {
        fprintf(stderr, "bench_ingest: %s: %s\n", b->c.creds_in, strerror(errno));
        return -1;
    }
    char line[1024];
    unsigned n = 0, lineno = 0;
    while (n < b->ndev && fgets(line, sizeof(line), fp)) {
        lineno++;
        json_t *o = json_loads(line, 0, NULL);
        const char *cred = json_string_value(json_object_get(o, "credential"));
        if (!cred || !ot_strlcpy(b->dev[n].cred, cred, sizeof(b->dev[n].cred))) {
            fprintf(stderr, "bench_ingest: %s:%u: no credential\n", b->c.creds_in, lineno);
            json_decref(o);
            fclose(fp);
            return -1;
        }
        b->dev[n].device_id = jint(o, "device_id");
        b->dev[n].customer_id = jint(o, "customer_id");
        json_decref(o);
        n++;
    }
    fclose(fp);
    if (n < b->ndev) {
        fprintf(stderr, "bench_ingest: %s holds %u credentials, %u devices asked\n", b->c.creds_in,
                n, b->ndev);
        return -1;
    }
    return 0;
}

/* Writes the devices' credentials as NDJSON, for --creds in a later run. */
static int save_creds(struct bench *b)
{
    FILE *fp = fopen(b->c.creds_out, "w");
    if (!fp) {
        fprintf(stderr, "bench_ingest: %s: %s\n", b->c.creds_out, strerror(errno));
        return -1;
    }
    for (unsigned i = 0; i < b->ndev; i++)
        fprintf(fp,
                "{\"device_id\":%" PRId64 ",\"customer_id\":%" PRId64 ",\"credential\":\"%s\"}\n",
                b->dev[i].device_id, b->dev[i].customer_id, b->dev[i].cred);
    return fclose(fp) == 0 ? 0 : -1;
}

/* ---- the run ---- */

/* Sets up the device's keep-alive handle and headers. */
static int device_init(struct bench *b, struct device *d)
{
    char auth[300];
    d->ndjson.max = 64u << 20;
    d->gz.max = 64u << 20;
    d->answer.max = MAX_ANSWER;
    d->easy = curl_easy_init();
    if (!d->easy)
        return -1;
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", d->cred);
    static const char *const fixed[] = {"Content-Type: application/x-ndjson",
                                        "Content-Encoding: gzip", "Expect:"};
    d->hdr = curl_slist_append(NULL, auth);
    for (size_t i = 0; d->hdr && i < OT_ARRAY_SIZE(fixed); i++)
        d->hdr = curl_slist_append(d->hdr, fixed[i]);
    if (!d->hdr)
        return -1;
    char url[1024];
    snprintf(url, sizeof(url), "%s/api/v1/events", b->c.url);
    curl_easy_setopt(d->easy, CURLOPT_URL, url);
    curl_easy_setopt(d->easy, CURLOPT_HTTPHEADER, d->hdr);
    curl_easy_setopt(d->easy, CURLOPT_WRITEFUNCTION, sink_cb);
    curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, &d->answer);
    curl_easy_setopt(d->easy, CURLOPT_PRIVATE, d);
    curl_easy_setopt(d->easy, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(d->easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(d->easy, CURLOPT_NOSIGNAL, 1L);
    if (b->ca_path[0])
        curl_easy_setopt(d->easy, CURLOPT_CAINFO, b->ca_path);
    return 0;
}

/* Records one batch latency; past MAX_LAT samples only the maximum and a counter move. */
static void lat_add(struct stats *st, double ms)
{
    if (ms > st->lat_max)
        st->lat_max = ms;
    if (st->nlat >= MAX_LAT) {
        st->lat_dropped++;
        return;
    }
    st->lat[st->nlat++] = ms;
}

/* Hands the device's current batch to the multi handle. */
static void send_batch(struct bench *b, struct device *d, double now)
{
    d->answer.len = 0;
    curl_easy_setopt(d->easy, CURLOPT_POSTFIELDS, d->gz.p);
    curl_easy_setopt(d->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->gz.len);
    d->sched = b->c.rate > 0 ? d->due : now;
    d->busy = true;
    curl_multi_add_handle(b->multi, d->easy);
}

/* A request finished: count it, decide whether the batch is done or must be retried. */
static void finish(struct bench *b, struct device *d, CURLcode cc, double now, double interval)
{
    long status = 0;
    curl_multi_remove_handle(b->multi, d->easy);
    d->busy = false;
    double retry = 0.25;
    if (cc != CURLE_OK) {
        b->st.neterr++;
    } else {
        curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 0 && status < 600)
            b->st.status[status]++;
        curl_off_t ra = 0;
        if (curl_easy_getinfo(d->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
            retry = (double)ra;
    }
    if (status == 200) {
        json_t *a = d->answer.p ? json_loadb(d->answer.p, d->answer.len, 0, NULL) : NULL;
        int64_t acc = jint(a, "accepted"), dup = jint(a, "duplicates");
        b->st.accepted += acc > 0 ? (uint64_t)acc : 0;
        b->st.duplicates += dup > 0 ? (uint64_t)dup : 0;
        b->st.rejected += json_array_size(json_object_get(a, "rejected"));
        json_decref(a);
        b->st.batches++;
        lat_add(&b->st, (now - d->sched) * 1000.0);
        d->pending = false;
        if (b->c.rate > 0) {
            d->due += interval;
            if (d->due < now - 1.0) { /* hopelessly behind: restart the schedule */
                b->st.late++;
                d->due = now;
            }
        } else {
            d->due = now;
        }
        return;
    }
    if (cc == CURLE_OK && status >= 400 && status < 500 && status != 429 && status != 408) {
        b->st.dropped_batches++; /* refused for good: do not resend */
        d->pending = false;
        d->due = now + 0.5;
        return;
    }
    b->st.retries++;
    d->due = now + retry;
}

/* qsort order for latencies. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank) of the sorted latencies. */
static double pct(const struct stats *st, double p)
{
    if (st->nlat == 0)
        return 0;
    size_t i = (size_t)ceil(p / 100.0 * (double)st->nlat);
    return st->lat[i ? i - 1 : 0];
}

/* The measured run; returns the elapsed seconds. */
static double run(struct bench *b)
{
    double interval = b->c.rate > 0 ? (double)b->c.batch * b->ndev / b->c.rate : 0;
    double start = now_s(), end = start + b->c.duration, last_done = start;
    for (unsigned i = 0; i < b->ndev; i++)
        b->dev[i].due = start + (interval > 0 ? interval * i / b->ndev : 0);
    for (;;) {
        double now = now_s();
        unsigned busy = 0;
        double next = now + 0.05;
        for (unsigned i = 0; i < b->ndev; i++) {
            struct device *d = &b->dev[i];
            if (!d->busy && now < end && d->due <= now) {
                if (!d->pending) {
                    if (make_batch(b, d) != 0) {
                        fprintf(stderr, "bench_ingest: cannot build a batch\n");
                        return -1;
                    }
                    d->pending = true;
                }
                send_batch(b, d, now);
            }
            if (d->busy)
                busy++;
            else if (d->due < next)
                next = d->due;
        }
        if (now >= end && busy == 0)
            break;
        int running;
        curl_multi_perform(b->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(b->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct device *d;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&d);
            double t = now_s();
            finish(b, d, m->data.result, t, interval);
            last_done = t;
        }
        int wait_ms = (int)((next - now_s()) * 1000.0);
        if (wait_ms < 0)
            wait_ms = 0;
        if (wait_ms > 50)
            wait_ms = 50;
        curl_multi_poll(b->multi, NULL, 0, wait_ms, NULL);
    }
    return (last_done > end ? last_done : end) - start;
}

/* Prints the figures beside the targets, then the RESULT line. */
static void report(struct bench *b, double elapsed)
{
    struct stats *st = &b->st;
    qsort(st->lat, st->nlat, sizeof(double), cmp_double);
    double eps = elapsed > 0 ? (double)st->accepted / elapsed : 0;
    const char *mode = b->c.rate > 0 ? "rate" : "max";
    printf("bench_ingest: %s, %u devices, mode %s", b->c.url, b->ndev, mode);
    if (b->c.rate > 0)
        printf(" (%.0f events/s asked)", b->c.rate);
    printf(", %.1f s, %u lines per batch, %.1f %% alerts\n", elapsed, b->c.batch,
           b->c.alert_pm / 10.0);
    printf("  batches accepted  %" PRIu64 "   events accepted %" PRIu64 "   duplicates %" PRIu64
           "   rejected lines %" PRIu64 "\n",
           st->batches, st->accepted, st->duplicates, st->rejected);
    if (b->c.rate > 0)
        printf("  sustained         %.0f events/s of %.0f asked%s\n", eps, b->c.rate,
               eps < b->c.rate * 0.95 ? "  ** BELOW THE RATE ASKED **" : "");
    else
        printf("  sustained         %.0f events/s   (target >= %.0f events/s with triage on: %s)\n",
               eps, TARGET_EPS, eps >= TARGET_EPS ? "met" : "NOT MET");
    printf("  batch latency ms  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f", pct(st, 50), pct(st, 90),
           pct(st, 99), st->lat_max);
    if (b->c.rate > 0)
        printf("   (target p99 < %.0f ms at half the max rate: %s)", TARGET_P99_MS,
               pct(st, 99) < TARGET_P99_MS ? "met" : "NOT MET");
    printf("\n  errors            network %" PRIu64, st->neterr);
    for (unsigned s = 0; s < 600; s++)
        if (s != 200 && st->status[s])
            printf("  %u: %" PRIu64, s, st->status[s]);
    printf("   retried %" PRIu64 "   dropped batches %" PRIu64, st->retries, st->dropped_batches);
    if (st->late)
        printf("   schedule resets %" PRIu64, st->late);
    if (st->lat_dropped)
        printf("   latency samples not kept %" PRIu64, st->lat_dropped);
    printf("\nRESULT mode=%s devices=%u rate=%.0f events_per_s=%.0f p50_ms=%.1f p90_ms=%.1f "
           "p99_ms=%.1f max_ms=%.1f accepted=%" PRIu64 " duplicates=%" PRIu64 " errors=%" PRIu64
           "\n",
           mode, b->ndev, b->c.rate, eps, pct(st, 50), pct(st, 90), pct(st, 99), st->lat_max,
           st->accepted, st->duplicates, st->neterr + st->retries + st->dropped_batches);
}

/* The options. */
static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: bench_ingest [options]\n"
            "  --server URL       the server (default https://127.0.0.1:8443)\n"
            "  --data DIR         its data folder: admin.key and ca.pem (default ./otasuke-data)\n"
            "  --key-file FILE    admin key (default DIR/admin.key)\n"
            "  --ca FILE          CA to trust (default DIR/ca.pem)\n"
            "  --devices N        simulated devices, one connection each (default 8)\n"
            "  --duration S       seconds to send (default 10)\n"
            "  --rate R           events/s in total (default: as fast as answered)\n"
            "  --batch N          lines per batch (default 1000, the sender's)\n"
            "  --alerts PERMILLE  alerts per 1000 events (default 10)\n"
            "  --gzip-level L     0-9 (default 1)\n"
            "  --creds FILE       use these credentials (NDJSON) instead of enrolling\n"
            "  --save-creds FILE  write the enrolled credentials for later runs\n"
            "  --generate-only    build and gzip batches for --duration s, no server: the\n"
            "                     generator's own ceiling on this machine (one core)\n");
}

/* Parses the options into b->c; exits on a usage error (start-up only). */
static void parse_args(struct bench *b, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, 's'},
        {"data", required_argument, NULL, 'D'},
        {"key-file", required_argument, NULL, 'k'},
        {"ca", required_argument, NULL, 'c'},
        {"devices", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'r'},
        {"batch", required_argument, NULL, 'b'},
        {"alerts", required_argument, NULL, 'a'},
        {"gzip-level", required_argument, NULL, 'z'},
        {"creds", required_argument, NULL, 'C'},
        {"save-creds", required_argument, NULL, 'S'},
        {"generate-only", no_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct conf *c = &b->c;
    *c = (struct conf){.url = "https://127.0.0.1:8443",
                       .data = "./otasuke-data",
                       .devices = 8,
                       .duration = 10,
                       .batch = 1000,
                       .alert_pm = 10,
                       .gzip_level = 1};
    int opt;
    uint64_t v;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        bool ok = true;
        switch (opt) {
        case 's':
            c->url = optarg;
            break;
        case 'D':
            c->data = optarg;
            break;
        case 'k':
            c->key_file = optarg;
            break;
        case 'c':
            c->ca = optarg;
            break;
        case 'C':
            c->creds_in = optarg;
            break;
        case 'S':
            c->creds_out = optarg;
            break;
        case 'n':
            ok = ot_parse_u64(optarg, 1, MAX_DEVICES, &v) == 0;
            c->devices = (unsigned)v;
            break;
        case 'd':
            ok = ot_parse_u64(optarg, 1, 86400, &v) == 0;
            c->duration = (double)v;
            break;
        case 'r':
            ok = ot_parse_u64(optarg, 1, 100000000, &v) == 0;
            c->rate = (double)v;
            break;
        case 'b':
            ok = ot_parse_u64(optarg, 1, 10000, &v) == 0;
            c->batch = (unsigned)v;
            break;
        case 'a':
            ok = ot_parse_u64(optarg, 0, 1000, &v) == 0;
            c->alert_pm = (unsigned)v;
            break;
        case 'z':
            ok = ot_parse_u64(optarg, 0, 9, &v) == 0;
            c->gzip_level = (int)v;
            break;
        case 'g':
            c->generate_only = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
        if (!ok) {
            fprintf(stderr, "bench_ingest: bad value '%s'\n", optarg);
            exit(2);
        }
    }
    if (optind != argc) {
        usage(stderr);
        exit(2);
    }
}

/* Builds batches as fast as it can for the duration: what one core of the generator can feed. */
static int generate_only(struct bench *b)
{
    struct device *d = &b->dev[0];
    d->ndjson.max = d->gz.max = 64u << 20;
    uint64_t events = 0, bytes = 0, gz = 0;
    double start = now_s(), el;
    do {
        if (make_batch(b, d) != 0)
            return -1;
        events += d->lines;
        bytes += d->ndjson.len;
        gz += d->gz.len;
    } while ((el = now_s() - start) < b->c.duration);
    printf("bench_ingest --generate-only: %.0f events/s built and gzipped on one core "
           "(%.0f bytes per event, gzip level %d to %.1f %%)\n",
           (double)events / el, (double)bytes / (double)events, b->c.gzip_level,
           100.0 * (double)gz / (double)bytes);
    return 0;
}

/* Reads the admin key and picks the CA file. */
static int setup_keys(struct bench *b)
{
    char path[4096];
    if (b->c.ca)
        ot_strlcpy(b->ca_path, b->c.ca, sizeof(b->ca_path));
    else {
        snprintf(path, sizeof(path), "%s/ca.pem", b->c.data);
        if (access(path, R_OK) == 0)
            ot_strlcpy(b->ca_path, path, sizeof(b->ca_path));
    }
    if (b->c.creds_in)
        return 0;
    if (b->c.key_file)
        ot_strlcpy(path, b->c.key_file, sizeof(path));
    else
        snprintf(path, sizeof(path), "%s/admin.key", b->c.data);
    FILE *fp = fopen(path, "r");
    if (!fp || !fgets(b->admin_key, sizeof(b->admin_key), fp)) {
        fprintf(stderr, "bench_ingest: cannot read the admin key %s\n", path);
        if (fp)
            fclose(fp);
        return -1;
    }
    fclose(fp);
    b->admin_key[strcspn(b->admin_key, "\r\n \t")] = '\0';
    return 0;
}

/* Enrol (or load credentials), run one mode, report.  Exit 0 when the run completed. */
int main(int argc, char **argv)
{
    struct bench *b = calloc(1, sizeof(*b));
    int rc = 1;
    if (!b)
        return 1;
    parse_args(b, argc, argv);
    b->ndev = b->c.devices;
    b->rng = wall_us() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
    snprintf(b->run, sizeof(b->run), "%08x", (unsigned)(b->rng >> 17));
    ot_timefmt_init(&b->tf);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    b->dev = calloc(b->ndev, sizeof(*b->dev));
    b->st.lat = malloc(MAX_LAT * sizeof(double));
    b->multi = curl_multi_init();
    if (!b->dev || !b->st.lat || !b->multi)
        goto out;
    if (b->c.generate_only) {
        rc = generate_only(b) == 0 ? 0 : 1;
        goto out;
    }
    if (setup_keys(b) != 0)
        goto out;
    for (unsigned i = 0; i < b->ndev; i++)
        b->dev[i].idx = i;
    if (b->c.creds_in) {
        if (load_creds(b) != 0)
            goto out;
    } else {
        fprintf(stderr, "bench_ingest: enrolling %u devices at %s ...\n", b->ndev, b->c.url);
        for (unsigned i = 0; i < b->ndev; i++) {
            if (enrol(b, &b->dev[i]) != 0) {
                fprintf(stderr, "bench_ingest: enrolling device %u failed\n", i);
                goto out;
            }
        }
    }
    if (b->c.creds_out && save_creds(b) != 0)
        goto out;
    for (unsigned i = 0; i < b->ndev; i++)
        if (device_init(b, &b->dev[i]) != 0)
            goto out;
    curl_multi_setopt(b->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    double elapsed = run(b);
    if (elapsed < 0)
        goto out;
    report(b, elapsed);
    rc = 0;
out:
    if (b->dev) {
        for (unsigned i = 0; i < b->ndev; i++) {
            struct device *d = &b->dev[i];
            if (d->easy) {
                if (d->busy)
                    curl_multi_remove_handle(b->multi, d->easy);
                curl_easy_cleanup(d->easy);
            }
            curl_slist_free_all(d->hdr);
            free(d->ndjson.p);
            free(d->gz.p);
            free(d->answer.p);
        }
    }
    if (b->multi)
        curl_multi_cleanup(b->multi);
    curl_global_cleanup();
    free(b->dev);
    free(b->st.lat);
    free(b);
    return rc;
}
