/*
 * beacon: regular check-ins from one inside host to one outside
 * destination (a C2 implant polling its server every N seconds).
 *
 * Per (inside host, outside address, protocol, port) we keep the start
 * times of the last connections the inside host opened and the outside
 * host answered (a TCP SYN answered by a SYN-ACK, or a UDP flow with a
 * reply), recorded when each flow ends; starts closer than min-interval to
 * another are folded into it (one check-in may open several connections).
 * Unanswered attempts do not count: a peer-to-peer client retrying dead
 * peers every minute is periodic too, and harmless.  Once `connections`
 * check-ins are recorded, the intervals between the last `connections`
 * starts are measured:
 *   - median interval within [min-interval, max-interval],
 *   - jitter = median absolute deviation / median <= max-jitter percent,
 *   - every interval but one in seven (at least one) within max-jitter
 *     percent (and at least a second) of the median, so one missed or
 *     retried check-in does not hide a beacon but half-regular traffic
 *     does not pass,
 *   - the check-ins span at least min-span seconds.
 * A silence longer than twice max-interval starts the series again.  Each
 * pair alerts at most once per `realert` seconds.
 *
 * Not counted, because they are periodic by design and have their own
 * detectors or are harmless: DNS (53) and DNS over TLS (853), NTP (123),
 * DHCP (67/68), NetBIOS (137/138), SSDP (1900), mDNS/LLMNR (5353/5355),
 * STUN (3478, 19302), mail polling (POP3 110/995, IMAP 143/993: mail
 * clients poll on a timer), ICMP (connectivity monitors ping), and
 * multicast/broadcast destinations.  Periodic HTTPS polling by ordinary
 * software (update checks, chat presence) does look like a beacon: the
 * alert is medium severity and the allowlist takes the destination.
 *
 * State: a bounded table (table-size pairs, about 330 bytes each); when
 * full the stalest pair is reused and counted.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "detect/slot-table.h"
#include "flow/flow.h"
#include "otasuke/error.h"

extern const struct ot_detector ot_detector_beacon;

static const struct ot_signature sigs[] = {
    {8107001, "Beacon: regular periodic connections from an inside host to one outside host", 2,
     "T1071,T1573"},
};

enum { P_CONNS = 0, P_MIN_INT, P_MAX_INT, P_JITTER, P_MIN_SPAN, P_REALERT, P_TABLE };

#define MAX_STARTS 32

static const struct ot_detect_param params[] = {
    {"connections", 8, 4, MAX_STARTS, "check-ins (answered connection starts) measured"},
    {"min-interval", 10, 1, 86400,
     "seconds: shortest beacon interval (closer starts fold into one check-in)"},
    {"max-interval", 3600, 2, 604800, "seconds: longest beacon interval"},
    {"max-jitter", 10, 0, 100, "percent: median absolute deviation of intervals / median"},
    {"min-span", 300, 0, 2592000, "seconds the measured check-ins must span"},
    {"realert", 3600, 0, 2592000, "seconds before the same pair can alert again"},
    {"table-size", 8192, 64, 4194304, "host/destination pairs tracked (about 330 bytes each)"},
};

struct entry {
    struct ot_slot slot;
    struct ot_addr cli, srv;
    bool v6;
    uint8_t proto;
    uint16_t port;
    uint8_t n;                 /* starts recorded (up to MAX_STARTS) */
    uint64_t t_us[MAX_STARTS]; /* check-in start times, oldest first */
    uint64_t last_alert_us;
    uint64_t total; /* check-ins since the series started */
};

struct key {
    const struct ot_addr *cli, *srv;
    bool v6;
    uint8_t proto;
    uint16_t port;
};

struct state {
    uint64_t p[OT_DETECT_MAX_PARAMS];
    struct ot_slot_table tab;
};

static int init(struct ot_detect *d, void *sv, const uint64_t *p)
{
    struct state *st = sv;
    memcpy(st->p, p, sizeof(st->p));
    if (ot_slot_table_init(&st->tab, (size_t)p[P_TABLE], sizeof(struct entry)) != 0)
        return OT_ENOMEM;
    return OT_OK;
}

static void fini(void *sv)
{
    struct state *st = sv;
    ot_slot_table_free(&st->tab);
}

static bool eq(const void *ev, const void *kv)
{
    const struct entry *e = ev;
    const struct key *k = kv;
    return e->v6 == k->v6 && e->proto == k->proto && e->port == k->port &&
           ot_addr_eq(&e->cli, k->cli) && ot_addr_eq(&e->srv, k->srv);
}

/* Services that are periodic by design (see the top of the file). */
static bool excluded_port(uint16_t port)
{
    static const uint16_t ports[] = {53,   853,  123,   67,  68,  137, 138, 1900, 5353,
                                     5355, 3478, 19302, 110, 995, 143, 993, 0};
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
        if (port == ports[i])
            return true;
    return false;
}

static bool multicast_or_broadcast(const struct ot_addr *a, bool v6)
{
    if (v6)
        return a->u.b[0] == 0xff;
    return (a->u.b[0] >= 224 && a->u.b[0] <= 239) || a->u.w[0] == 0xffffffffu;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

struct stats {
    uint64_t max_jitter_pct; /* in: beacon.max-jitter */
    uint32_t median_ms, mad_ms, mean_ms, cv_permille, jitter_permille, regular, n_int;
    uint64_t span_ms;
};

/* Interval statistics of the last N recorded starts (2 <= N <= e->n). */
static void measure(const struct entry *e, unsigned n, struct stats *s)
{
    uint32_t iv[MAX_STARTS], dev[MAX_STARTS];
    unsigned k = n - 1, first = e->n - n;
    uint64_t sum = 0;
    for (unsigned i = 0; i < k; i++) {
        iv[i] = (uint32_t)((e->t_us[first + i + 1] - e->t_us[first + i]) / 1000);
        sum += iv[i];
    }
    s->span_ms = sum;
    s->n_int = k;
    s->mean_ms = (uint32_t)(sum / k);
    double var = 0;
    for (unsigned i = 0; i < k; i++) {
        double dlt = (double)iv[i] - (double)s->mean_ms;
        var += dlt * dlt;
    }
    double sd = sqrt(var / k);
    s->cv_permille = s->mean_ms ? (uint32_t)(sd * 1000.0 / s->mean_ms) : 0;
    qsort(iv, k, sizeof(iv[0]), cmp_u32);
    s->median_ms = k % 2 ? iv[k / 2] : (uint32_t)(((uint64_t)iv[k / 2 - 1] + iv[k / 2]) / 2);
    for (unsigned i = 0; i < k; i++)
        dev[i] = iv[i] > s->median_ms ? iv[i] - s->median_ms : s->median_ms - iv[i];
    qsort(dev, k, sizeof(dev[0]), cmp_u32);
    s->mad_ms = k % 2 ? dev[k / 2] : (uint32_t)(((uint64_t)dev[k / 2 - 1] + dev[k / 2]) / 2);
    s->jitter_permille =
        s->median_ms ? (uint32_t)((uint64_t)s->mad_ms * 1000 / s->median_ms) : 1000;
    /* Regular: within the allowed jitter of the median, and at least a second. */
    uint64_t tol = (uint64_t)s->median_ms * s->max_jitter_pct / 100;
    if (tol < 1000)
        tol = 1000;
    s->regular = 0;
    for (unsigned i = 0; i < k; i++)
        if (dev[i] <= tol)
            s->regular++;
}

static void check(struct ot_detect *d, struct state *st, struct entry *e, const struct ot_flow *f,
                  uint64_t ts)
{
    unsigned n = (unsigned)st->p[P_CONNS];
    if (e->n < n)
        return;
    if (e->last_alert_us && ts < e->last_alert_us + st->p[P_REALERT] * 1000000u)
        return;
    struct stats s;
    s.max_jitter_pct = st->p[P_JITTER];
    measure(e, n, &s);
    if (s.median_ms < st->p[P_MIN_INT] * 1000u || s.median_ms > st->p[P_MAX_INT] * 1000u)
        return;
    if (s.jitter_permille > st->p[P_JITTER] * 10 || s.span_ms < st->p[P_MIN_SPAN] * 1000u)
        return;
    unsigned outliers = s.n_int / 7 ? s.n_int / 7 : 1;
    if (s.regular + outliers < s.n_int)
        return;
    e->last_alert_us = ts;
    struct ot_alert a;
    ot_alert_init_flow(&a, &sigs[0], ts, f, false);
    ot_alert_u64(&a, "checkins", n);
    ot_alert_u64(&a, "checkins_total", e->total);
    ot_alert_u64(&a, "interval_median_ms", s.median_ms);
    ot_alert_u64(&a, "interval_mean_ms", s.mean_ms);
    ot_alert_u64(&a, "jitter_mad_ms", s.mad_ms);
    ot_alert_u64(&a, "jitter_permille", s.jitter_permille);
    ot_alert_u64(&a, "cv_permille", s.cv_permille);
    ot_alert_u64(&a, "regular_intervals", s.regular);
    ot_alert_u64(&a, "span_s", s.span_ms / 1000);
    ot_detect_alert(d, &ot_detector_beacon, &a);
}

/* Record a check-in starting at TS; false when it folds into one already recorded. */
static bool record(struct entry *e, uint64_t ts, uint64_t min_int_us, uint64_t gap_reset_us)
{
    if (e->n && ts > e->t_us[e->n - 1] + gap_reset_us) {
        e->n = 0; /* a long silence: a new series */
        e->total = 0;
    }
    /* Flows end out of order now and then: insert in time order. */
    unsigned pos = e->n;
    while (pos > 0 && e->t_us[pos - 1] > ts)
        pos--;
    if (pos > 0 && ts < e->t_us[pos - 1] + min_int_us)
        return false;
    if (pos < e->n && e->t_us[pos] < ts + min_int_us)
        return false;
    if (e->n == MAX_STARTS) {
        if (pos == 0)
            return false; /* older than everything kept */
        memmove(e->t_us, e->t_us + 1, sizeof(e->t_us[0]) * (MAX_STARTS - 1));
        e->n--;
        pos--;
    }
    memmove(e->t_us + pos + 1, e->t_us + pos, sizeof(e->t_us[0]) * (e->n - pos));
    e->t_us[pos] = ts;
    e->n++;
    e->total++;
    return true;
}

/*
 * A flow ended: if it was a check-in (opened by an inside host to an
 * outside one, and answered), record its start.  Waiting for the end lets
 * unanswered attempts stay out.
 */
static void flow_end(struct ot_detect *d, void *sv, const struct ot_flow *f)
{
    struct state *st = sv;
    if (f->ip_proto == 6) {
        /* the client sent the SYN, the server answered SYN-ACK */
        if (!(f->tcp_flags[0] & 0x02) || (f->tcp_flags[1] & 0x12) != 0x12)
            return;
    } else if (f->ip_proto == 17) {
        if (!f->pkts[0] || !f->pkts[1])
            return;
    } else {
        return;
    }
    if (excluded_port(f->srv_port) || excluded_port(f->cli_port))
        return;
    if (!ot_detect_is_home(d, &f->cli, f->v6) || ot_detect_is_home(d, &f->srv, f->v6) ||
        multicast_or_broadcast(&f->srv, f->v6))
        return;
    struct key k = {&f->cli, &f->srv, f->v6, f->ip_proto, f->srv_port};
    uint64_t h = ot_detect_hash_addr(&f->srv, ot_detect_hash_addr(&f->cli, f->srv_port) ^
                                                  ((uint64_t)f->ip_proto << 17));
    enum ot_slot_result res;
    uint64_t old = 0;
    struct entry *e = ot_slot_get(&st->tab, h, eq, &k, true, f->last_us, &res, &old);
    uint64_t gap_reset = st->p[P_MAX_INT] * 2 * 1000000u;
    if (res != OT_SLOT_FOUND) {
        if (res == OT_SLOT_REPLACED && old + gap_reset > f->last_us)
            ot_detect_count_full(d, &ot_detector_beacon);
        e->cli = f->cli;
        e->srv = f->srv;
        e->v6 = f->v6;
        e->proto = f->ip_proto;
        e->port = f->srv_port;
    }
    if (record(e, f->start_us, st->p[P_MIN_INT] * 1000000u, gap_reset))
        check(d, st, e, f, f->last_us);
}

const struct ot_detector ot_detector_beacon = {
    .name = "beacon",
    .family = "beacon",
    .summary = "regular periodic connections from an inside host to one outside destination",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct state),
    .init = init,
    .free = fini,
    .flow_end = flow_end,
};
