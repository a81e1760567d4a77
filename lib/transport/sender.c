/*
 * Sender thread (see sender.h for the contract).
 *
 * One thread, one curl easy handle (kept for connection reuse), one batch
 * buffer and one gzip buffer, all owned by the sender.  The mutex `mu`
 * guards the control fields (stopping, deadlines, wake-ups) and the
 * counters; the spool has its own lock.
 */
#include "transport/sender.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "transport/curl-dl.h"
#include <jansson.h>
#include <zlib.h>

#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "otasuke/version.h"
#include "transport/http.h"

#define ANSWER_MAX        (64u << 10)
#define REJECT_LOG_MAX    5
#define EVENTS_PATH       "/api/v1/events"
#define BACKOFF_SHIFT_MAX 30
#define GROW_AFTER        64

struct ot_sender {
    /* configuration (strings owned) */
    char *events_url;
    char *auth_header;
    char *ca_file;
    uint32_t max_lines, max_bytes;
    uint32_t connect_ms, request_ms;
    uint32_t base_ms, cap_ms, retry_after_max_ms;
    uint32_t poll_ms;

    struct ot_spool *spool;
    CURL *curl;
    struct ot_http_buf answer;
    struct ot_spool_batch batch;
    unsigned char *gz;
    size_t gzcap;
    uint64_t rng;

    /* the thread's adaptive state */
    uint32_t cur_lines; /* batch line limit, halved by 413 and grown back */
    unsigned ok_streak; /* 200s in a row since the limit was last changed */
    unsigned attempt;   /* consecutive failures, for the backoff */
    bool refused_logged;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool started, joined;
    bool stopping;
    bool wake;
    uint64_t drain_deadline_ms;
    struct ot_sender_stats st;
};

enum outcome { OUT_ACKED, OUT_RETRY, OUT_THROTTLED, OUT_REFUSED, OUT_SPLIT, OUT_ABORTED };

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* xorshift64*: the jitter needs spread, not secrecy. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void ot_sender_config_init(struct ot_sender_config *cfg, const char *url, const char *credential,
                           const char *ca_file, const char *spool_dir)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->url = url;
    cfg->credential = credential;
    cfg->ca_file = ca_file;
    cfg->spool_dir = spool_dir;
}

static uint32_t or_default(uint32_t v, uint32_t def)
{
    return v ? v : def;
}

static void set_state(struct ot_sender *s, enum ot_sender_state state)
{
    pthread_mutex_lock(&s->mu);
    s->st.state = state;
    pthread_mutex_unlock(&s->mu);
}

/* Past the drain deadline of a stop? (caller holds mu) */
static bool must_quit_locked(struct ot_sender *s)
{
    return s->stopping && now_ms() >= s->drain_deadline_ms;
}

static bool must_quit(struct ot_sender *s)
{
    pthread_mutex_lock(&s->mu);
    bool q = must_quit_locked(s);
    pthread_mutex_unlock(&s->mu);
    return q;
}

/*
 * Sleep up to `ms`, in slices that keep the spool's fsync on time.  Returns
 * false when the sender must quit (a stop whose drain deadline comes before
 * the end of the wait), true when the wait ended or someone woke us.
 */
static bool wait_ms(struct ot_sender *s, uint64_t ms, bool wakeable)
{
    uint64_t until = now_ms() + ms;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->stopping && wakeable)
            break; /* an idle wait: go and drain */
        if (s->stopping && until > s->drain_deadline_ms) {
            /* A backoff that would outlast the drain: give up now. */
            pthread_mutex_unlock(&s->mu);
            return false;
        }
        uint64_t now = now_ms();
        if ((wakeable && s->wake) || now >= until)
            break;
        uint64_t slice = OT_MIN(until - now, (uint64_t)250);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)(slice / 1000);
        ts.tv_nsec += (long)(slice % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        pthread_mutex_unlock(&s->mu);
        ot_spool_sync_due(s->spool);
        pthread_mutex_lock(&s->mu);
    }
    s->wake = false;
    pthread_mutex_unlock(&s->mu);
    return true;
}

/* Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)]. */
static uint32_t backoff_delay(struct ot_sender *s)
{
    unsigned shift = OT_MIN(s->attempt, (unsigned)BACKOFF_SHIFT_MAX);
    uint64_t ceil = OT_MIN((uint64_t)s->base_ms << shift, (uint64_t)s->cap_ms);
    if (s->attempt < 64)
        s->attempt++;
    return (uint32_t)(rng_next(&s->rng) % (ceil + 1));
}

/* gzip the batch body into s->gz; returns the compressed length or 0 on failure. */
static size_t gzip_batch(struct ot_sender *s)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    size_t bound = deflateBound(&z, (uLong)s->batch.len) + 64;
    if (bound > s->gzcap) {
        unsigned char *n = realloc(s->gz, bound);
        if (!n) {
            deflateEnd(&z);
            return 0;
        }
        s->gz = n;
        s->gzcap = bound;
    }
    z.next_in = (Bytef *)s->batch.body;
    z.avail_in = (uInt)s->batch.len;
    z.next_out = s->gz;
    z.avail_out = (uInt)s->gzcap;
    int zr = deflate(&z, Z_FINISH);
    size_t out = zr == Z_STREAM_END ? (size_t)z.total_out : 0;
    deflateEnd(&z);
    return out;
}

/* Abandons an in-flight request when a stop's drain time is over; keeps the fsync on time. */
static int xfer_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
    struct ot_sender *s = ud;
    ot_spool_sync_due(s->spool);
    return must_quit(s) ? 1 : 0;
}

/* Log the server's rejected lines (a few) and return how many there were. */
static uint64_t log_rejected(json_t *arr)
{
    if (!json_is_array(arr))
        return 0;
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n && i < REJECT_LOG_MAX; i++) {
        json_t *r = json_array_get(arr, i);
        json_int_t line = json_integer_value(json_object_get(r, "line"));
        const char *why = json_string_value(json_object_get(r, "reason"));
        ot_warn("the server rejected event %lld of a batch: %s (not resent)", (long long)line,
                why ? why : "no reason given");
    }
    if (n > REJECT_LOG_MAX)
        ot_warn("the server rejected %zu more events of that batch", n - REJECT_LOG_MAX);
    return n;
}

/* A 200 answer: count what the server did with the batch and acknowledge it. */
static void handle_accepted(struct ot_sender *s)
{
    uint64_t accepted = 0, dups = 0, rejected = 0;
    json_error_t jerr;
    json_t *j = s->answer.data ? json_loadb(s->answer.data, s->answer.len, 0, &jerr) : NULL;
    if (!j || !json_is_object(j)) {
        /* The server committed (it answers 200 only after): take it as stored. */
        ot_warn("%s: 200 answer without a readable body: counting the batch as delivered",
                s->events_url);
        accepted = s->batch.lines;
    } else {
        accepted = (uint64_t)OT_MAX(json_integer_value(json_object_get(j, "accepted")), 0);
        dups = (uint64_t)OT_MAX(json_integer_value(json_object_get(j, "duplicates")), 0);
        rejected = log_rejected(json_object_get(j, "rejected"));
        /* The server lists only the first rejections; the rest are a count. */
        rejected += (uint64_t)OT_MAX(json_integer_value(json_object_get(j, "rejected_omitted")), 0);
    }
    json_decref(j);
    int rc = ot_spool_ack(s->spool, &s->batch);
    pthread_mutex_lock(&s->mu);
    s->st.batches_acked++;
    s->st.accepted += accepted;
    s->st.duplicates += dups;
    s->st.rejected += rejected;
    if (rc != OT_OK)
        s->st.ack_errors++;
    pthread_mutex_unlock(&s->mu);
}

/*
 * A batch the server will not take whole (413, 400): halve it; a single
 * line is dropped and counted.
 */
static enum outcome split_or_drop(struct ot_sender *s, long status)
{
    if (s->batch.lines > 1) {
        s->cur_lines = OT_MAX(s->batch.lines / 2, 1u);
        s->ok_streak = 0;
        ot_info("%s: answer %ld for %u events: trying batches of %u", s->events_url, status,
                s->batch.lines, s->cur_lines);
        return OUT_SPLIT;
    }
    ot_warn("%s: answer %ld for a single event of %zu bytes (%s): dropped, not resent",
            s->events_url, status, s->batch.len,
            status == 413 ? "too large for the server" : "the server calls it malformed");
    ot_spool_discard(s->spool, &s->batch);
    /* That line was the reason for the halving: start again from the full size. */
    s->cur_lines = s->max_lines;
    s->ok_streak = 0;
    pthread_mutex_lock(&s->mu);
    s->st.dropped_too_large++;
    pthread_mutex_unlock(&s->mu);
    return OUT_SPLIT;
}

/* POST the current batch once and classify the answer. */
static enum outcome post_batch(struct ot_sender *s, uint32_t *retry_after_ms)
{
    size_t gzlen = gzip_batch(s);
    if (gzlen == 0) {
        ot_err("cannot compress a batch of %zu bytes", s->batch.len);
        return OUT_RETRY;
    }
    char dropped[64];
    snprintf(dropped, sizeof(dropped), "X-Otasuke-Dropped: %llu",
             (unsigned long long)s->batch.dropped_report);
    struct curl_slist *h = NULL, *t;
    const char *lines[] = {s->auth_header, "Content-Type: application/x-ndjson",
                           "Content-Encoding: gzip", "Expect:", dropped};
    for (size_t i = 0; i < OT_ARRAY_SIZE(lines); i++) {
        t = ot_curl.slist_append(h, lines[i]);
        if (!t) {
            ot_curl.slist_free_all(h);
            return OUT_RETRY;
        }
        h = t;
    }
    ot_http_buf_reset(&s->answer);
    ot_curl.easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
    ot_curl.easy_setopt(s->curl, CURLOPT_POSTFIELDS, (const char *)s->gz);
    ot_curl.easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)gzlen);

    pthread_mutex_lock(&s->mu);
    s->st.requests++;
    s->st.lines_sent += s->batch.lines;
    s->st.bytes_sent += gzlen;
    s->st.state = OT_SENDER_SENDING;
    pthread_mutex_unlock(&s->mu);

    CURLcode cr = ot_curl.easy_perform(s->curl);
    ot_curl.slist_free_all(h);
    ot_curl.easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
    if (cr != CURLE_OK) {
        if (cr == CURLE_ABORTED_BY_CALLBACK)
            return OUT_ABORTED;
        ot_warn("%s: %s", s->events_url, ot_curl.easy_strerror(cr));
        pthread_mutex_lock(&s->mu);
        s->st.network_errors++;
        s->st.last_status = 0;
        pthread_mutex_unlock(&s->mu);
        return OUT_RETRY;
    }
    long status = 0;
    ot_curl.easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    pthread_mutex_lock(&s->mu);
    s->st.last_status = (uint32_t)status;
    pthread_mutex_unlock(&s->mu);

    switch (status) {
    case 200:
        handle_accepted(s);
        return OUT_ACKED;
    case 401:
    case 403:
        return OUT_REFUSED;
    case 413:
    case 400:
        return split_or_drop(s, status);
    case 429: {
        curl_off_t ra = 0;
        if (ot_curl.easy_getinfo(s->curl, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK || ra <= 0)
            ra = 1;
        uint64_t ms = OT_MIN((uint64_t)ra * 1000u, (uint64_t)s->retry_after_max_ms);
        *retry_after_ms = (uint32_t)ms;
        pthread_mutex_lock(&s->mu);
        s->st.throttled++;
        pthread_mutex_unlock(&s->mu);
        return OUT_THROTTLED;
    }
    default:
        ot_warn("%s: the server answered %ld%s%.200s", s->events_url, status,
                s->answer.len ? ": " : "", s->answer.len ? s->answer.data : "");
        pthread_mutex_lock(&s->mu);
        s->st.server_errors++;
        pthread_mutex_unlock(&s->mu);
        return OUT_RETRY;
    }
}

/* The thread: read, send, react, until stopped. */
static void *sender_main(void *arg)
{
    struct ot_sender *s = arg;
    for (;;) {
        ot_spool_sync_due(s->spool);
        if (must_quit(s))
            break;
        pthread_mutex_lock(&s->mu);
        bool refused = s->st.state == OT_SENDER_REFUSED, stopping = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (refused) {
            if (stopping || !wait_ms(s, s->poll_ms, true))
                break;
            continue;
        }
        int rc = ot_spool_read(s->spool, &s->batch, s->cur_lines, s->max_bytes);
        if (rc == OT_ENOENT) {
            set_state(s, OT_SENDER_IDLE);
            if (stopping || !wait_ms(s, s->poll_ms, true))
                break;
            continue;
        }
        if (rc != OT_OK) {
            ot_err("%s: cannot read the spool: %s", s->events_url, ot_strerror(rc));
            set_state(s, OT_SENDER_BACKOFF);
            if (!wait_ms(s, backoff_delay(s), false))
                break;
            continue;
        }
        uint32_t retry_after = 0, delay;
        switch (post_batch(s, &retry_after)) {
        case OUT_ACKED:
            s->attempt = 0;
            /* Grow a halved limit back slowly: a 413 costs one request in GROW_AFTER. */
            if (s->cur_lines < s->max_lines && ++s->ok_streak >= GROW_AFTER) {
                s->cur_lines = OT_MIN(s->cur_lines * 2, s->max_lines);
                s->ok_streak = 0;
            }
            set_state(s, OT_SENDER_IDLE);
            break;
        case OUT_SPLIT:
            s->attempt = 0;
            break;
        case OUT_REFUSED:
            if (!s->refused_logged)
                ot_err("%s: the server refused this device's credential (revoked?): not "
                       "sending; events stay in the spool until the device is enrolled again",
                       s->events_url);
            s->refused_logged = true;
            set_state(s, OT_SENDER_REFUSED);
            break;
        case OUT_THROTTLED:
            set_state(s, OT_SENDER_BACKOFF);
            pthread_mutex_lock(&s->mu);
            s->st.last_delay_ms = retry_after;
            pthread_mutex_unlock(&s->mu);
            if (!wait_ms(s, retry_after, false))
                goto out;
            break;
        case OUT_RETRY:
            delay = backoff_delay(s);
            set_state(s, OT_SENDER_BACKOFF);
            pthread_mutex_lock(&s->mu);
            s->st.last_delay_ms = delay;
            pthread_mutex_unlock(&s->mu);
            if (!wait_ms(s, delay, false))
                goto out;
            break;
        case OUT_ABORTED:
            goto out;
        }
    }
out:
    return NULL;
}

/* Configure the curl handle once: URL, TLS verification, timeouts, callbacks. */
static int curl_setup(struct ot_sender *s)
{
    CURL *c = s->curl;
    CURLcode r = CURLE_OK;
    r |= ot_curl.easy_setopt(c, CURLOPT_URL, s->events_url);
    r |= ot_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    r |= ot_curl.easy_setopt(c, CURLOPT_POST, 1L);
    r |= ot_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    r |= ot_curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    r |= ot_curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (s->ca_file)
        r |= ot_curl.easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
    r |= ot_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)s->connect_ms);
    r |= ot_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->request_ms);
    r |= ot_curl.easy_setopt(c, CURLOPT_USERAGENT, "otasuke/" OT_VERSION);
    r |= ot_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, ot_http_buf_write);
    r |= ot_curl.easy_setopt(c, CURLOPT_WRITEDATA, &s->answer);
    r |= ot_curl.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    r |= ot_curl.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xfer_cb);
    r |= ot_curl.easy_setopt(c, CURLOPT_XFERINFODATA, s);
    return r == CURLE_OK ? OT_OK : OT_EINVAL;
}

int ot_sender_new(const struct ot_sender_config *cfg, struct ot_sender **out)
{
    *out = NULL;
    if (!cfg || !cfg->url || !cfg->credential || !cfg->spool_dir)
        return OT_EINVAL;
    if (strncmp(cfg->url, "https://", 8) != 0 && strncmp(cfg->url, "http://", 7) != 0) {
        ot_err("%s: the server URL must start with https://", cfg->url);
        return OT_EINVAL;
    }
    for (const char *p = cfg->credential; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
            ot_err("the device credential contains a space or control character");
            return OT_EINVAL;
        }
    }
    if (strncmp(cfg->url, "http://", 7) == 0)
        ot_warn("%s: sending events without TLS (for tests only)", cfg->url);
    if (ot_http_global_init() != OT_OK)
        return OT_EIO;
    struct ot_sender *s = calloc(1, sizeof(*s));
    if (!s)
        return OT_ENOMEM;
    int rc = OT_ENOMEM;
    size_t ulen = strlen(cfg->url);
    while (ulen > 0 && cfg->url[ulen - 1] == '/')
        ulen--;
    if (asprintf(&s->events_url, "%.*s" EVENTS_PATH, (int)ulen, cfg->url) < 0) {
        s->events_url = NULL;
        goto out_free;
    }
    if (asprintf(&s->auth_header, "Authorization: Bearer %s", cfg->credential) < 0) {
        s->auth_header = NULL;
        goto out_free;
    }
    if (cfg->ca_file && !(s->ca_file = strdup(cfg->ca_file)))
        goto out_free;
    s->max_lines = or_default(cfg->batch_max_lines, 1000);
    s->max_bytes = or_default(cfg->batch_max_bytes, 1u << 20);
    s->cur_lines = s->max_lines;
    s->connect_ms = or_default(cfg->connect_timeout_ms, 10000);
    s->request_ms = or_default(cfg->request_timeout_ms, 60000);
    s->base_ms = or_default(cfg->backoff_base_ms, 500);
    s->cap_ms = or_default(cfg->backoff_cap_ms, 60000);
    s->retry_after_max_ms = or_default(cfg->retry_after_max_ms, 600000);
    s->poll_ms = or_default(cfg->poll_ms, 1000);
    s->answer.max = ANSWER_MAX;
    if (getrandom(&s->rng, sizeof(s->rng), GRND_NONBLOCK) != (ssize_t)sizeof(s->rng))
        s->rng = now_ms() ^ (uint64_t)(uintptr_t)s;
    s->rng |= 1;

    struct ot_spool_config sc = {.dir = cfg->spool_dir,
                                 .max_bytes = cfg->spool_max_bytes,
                                 .segment_max = cfg->segment_max,
                                 .sync_interval_ms = cfg->sync_interval_ms};
    rc = ot_spool_open(&sc, &s->spool);
    if (rc != OT_OK)
        goto out_free;
    rc = OT_ENOMEM;
    s->curl = ot_curl.easy_init();
    if (!s->curl)
        goto out_spool;
    rc = curl_setup(s);
    if (rc != OT_OK)
        goto out_curl;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int e1 = pthread_mutex_init(&s->mu, NULL);
    int e2 = pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (e1 || e2) {
        rc = OT_ENOMEM;
        goto out_curl;
    }
    *out = s;
    return OT_OK;

out_curl:
    ot_curl.easy_cleanup(s->curl);
out_spool:
    ot_spool_close(s->spool);
out_free:
    free(s->events_url);
    free(s->auth_header);
    free(s->ca_file);
    free(s);
    return rc;
}

int ot_sender_start(struct ot_sender *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->started) {
        pthread_mutex_unlock(&s->mu);
        return OT_EEXIST;
    }
    s->stopping = false;
    int e = pthread_create(&s->thread, NULL, sender_main, s);
    if (e == 0) {
        s->started = true;
        s->joined = false;
    }
    pthread_mutex_unlock(&s->mu);
    return e == 0 ? OT_OK : OT_ENOMEM;
}

int ot_sender_submit(struct ot_sender *s, const char *line, size_t len)
{
    return ot_spool_append(s->spool, line, len);
}

int ot_sender_flush(struct ot_sender *s)
{
    int rc = ot_spool_flush(s->spool);
    pthread_mutex_lock(&s->mu);
    s->wake = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void ot_sender_stats(struct ot_sender *s, struct ot_sender_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->st;
    pthread_mutex_unlock(&s->mu);
    ot_spool_stats(s->spool, &out->spool);
}

int ot_sender_stop(struct ot_sender *s, uint32_t drain_timeout_ms)
{
    pthread_mutex_lock(&s->mu);
    bool join = s->started && !s->joined;
    s->stopping = true;
    s->drain_deadline_ms = now_ms() + drain_timeout_ms;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (join) {
        pthread_join(s->thread, NULL);
        pthread_mutex_lock(&s->mu);
        s->joined = true;
        s->started = false;
        pthread_mutex_unlock(&s->mu);
    }
    set_state(s, OT_SENDER_STOPPED);
    return ot_spool_flush(s->spool);
}

void ot_sender_free(struct ot_sender *s)
{
    if (!s)
        return;
    ot_sender_stop(s, 0);
    ot_spool_close(s->spool);
    ot_curl.easy_cleanup(s->curl);
    ot_spool_batch_free(&s->batch);
    free(s->answer.data);
    free(s->gz);
    free(s->events_url);
    free(s->auth_header);
    free(s->ca_file);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
