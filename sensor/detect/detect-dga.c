/*
 * dga: a host resolving many algorithm-generated domain names.
 *
 * Malware with a domain generation algorithm (Conficker, Necurs, Ramnit,
 * Qakbot ...) tries hundreds of made-up names until one resolves; most of
 * them answer NXDOMAIN.  Every queried name's registered label (the
 * "kq0qw6o2siwq" of www.kq0qw6o2siwq.org, dns-name.h) is scored by the
 * letter-pair model (dga-model.h); per querying host and window we keep
 *   score = distinct generated-looking domains
 *         + nx-weight * those of them answered NXDOMAIN
 * and alert once when it reaches `score` (8106001).  One generated-looking
 * name is common (the model is wrong about 3 % of real names, and CDNs use
 * odd names); many in a window, mostly failing, is not.  A second, weaker
 * signal counts distinct domains answered NXDOMAIN whatever they look like
 * (8106002): dictionary-word DGAs (Suppobox, Matsnu) pass the letter model
 * but not that.  And a host's first generated-looking domain answered
 * NXDOMAIN is worth a low-severity note (8106003, detect.dga.nx-single):
 * one such name is weak evidence (a typo-like random string, a broken
 * link), but it is the earliest sign of an infection that has only just
 * started guessing.
 *
 * Skipped: names no detector judges (dns-name.h), mDNS/LLMNR flows, labels
 * under OT_DGA_MIN_LEN letters.  A host that forwards others' queries (an
 * inside resolver seen from the edge) sums its clients: raise `score`
 * there or allowlist it.  State: a bounded table of hosts (table-size
 * entries, about 900 bytes each); when full the stalest entry is reused
 * and counted.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "detect/dga-model.h"
#include "detect/dns-name.h"
#include "detect/slot-table.h"
#include "flow/flow.h"
#include "otasuke/error.h"

extern const struct ot_detector ot_detector_dga;

static const struct ot_signature sigs[] = {
    {8106001, "DGA: host resolving many algorithm-generated domain names", 1,
     "T1568.002,T1071.004"},
    {8106002, "DGA: host receiving NXDOMAIN for many distinct domains", 3, "T1568.002"},
    {8106003, "DGA: a generated-looking domain answered NXDOMAIN", 3, "T1568.002"},
};
enum { SIG_DGA = 0, SIG_NX, SIG_SINGLE, N_SIGS };

enum {
    P_WINDOW = 0,
    P_MIN_SCORE,
    P_SCORE,
    P_NX_WEIGHT,
    P_NX_DOMAINS,
    P_SINGLE,
    P_REALERT,
    P_TABLE
};

static const struct ot_detect_param params[] = {
    {"window", 600, 10, 86400, "seconds over which a host's names are counted"},
    {"min-score", OT_DGA_THRESHOLD, 0, 2000,
     "label score (hundredths) from which a name looks generated"},
    {"score", 30, 1, 1000000,
     "alert at: generated-looking domains + nx-weight x those answered NXDOMAIN, per window"},
    {"nx-weight", 3, 0, 100, "extra weight of a generated-looking domain answered NXDOMAIN"},
    {"nx-domains", 50, 1, 1000000, "distinct domains answered NXDOMAIN per host and window"},
    {"nx-single", 1, 0, 1,
     "1: a low alert at a host's first generated-looking domain answered NXDOMAIN"},
    {"realert", 3600, 0, 2592000, "seconds before the same host can alert again"},
    {"table-size", 1024, 64, 1048576, "hosts tracked at once (about 900 bytes each)"},
};

#define SAMPLES    5
#define SAMPLE_LEN 64
#define BLOOM_BITS 4096
#define SALT_Q     0x51ull
#define SALT_NX    0x4e58ull

struct entry {
    struct ot_slot slot;
    struct ot_addr host;
    bool v6;
    uint64_t win_start;
    uint64_t last_alert[N_SIGS];
    uint32_t names, nx, nx_any;
    uint64_t score;
    uint8_t n_samples;
    uint8_t sample_len[SAMPLES];
    char samples[SAMPLES][SAMPLE_LEN];
    uint8_t bloom[BLOOM_BITS / 8];
};

struct key {
    const struct ot_addr *host;
    bool v6;
};

struct state {
    uint64_t p[OT_DETECT_MAX_PARAMS];
    struct ot_slot_table tab;
    struct ot_dga_model model;
};

static int init(struct ot_detect *d, void *sv, const uint64_t *p)
{
    struct state *st = sv;
    memcpy(st->p, p, sizeof(st->p));
    ot_dga_model_init(&st->model);
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
    return e->v6 == k->v6 && ot_addr_eq(&e->host, k->host);
}

static void add_sample(struct entry *e, const char *name, size_t len)
{
    if (e->n_samples >= SAMPLES)
        return;
    size_t n = len < SAMPLE_LEN ? len : SAMPLE_LEN;
    memcpy(e->samples[e->n_samples], name, n);
    e->sample_len[e->n_samples++] = (uint8_t)n;
}

static void alert_once(struct ot_detect *d, struct state *st, struct entry *e, int sig,
                       const struct ot_flow *f, bool reversed, uint64_t ts)
{
    if (e->last_alert[sig] && ts < e->last_alert[sig] + st->p[P_REALERT] * 1000000u)
        return;
    e->last_alert[sig] = ts;
    struct ot_alert a;
    ot_alert_init_flow(&a, &sigs[sig], ts, f, reversed);
    ot_alert_u64(&a, "names_counted", e->names);
    ot_alert_u64(&a, "nxdomain", e->nx);
    ot_alert_u64(&a, "nxdomain_any", e->nx_any);
    ot_alert_u64(&a, "score", e->score);
    ot_alert_u64(&a, "window_s", st->p[P_WINDOW]);
    struct ot_str list[SAMPLES];
    for (unsigned i = 0; i < e->n_samples; i++)
        list[i] = ot_str_make(e->samples[i], e->sample_len[i]);
    if (e->n_samples && a.n_ev < OT_DETECT_MAX_EVIDENCE) {
        struct ot_evidence *ev = &a.ev[a.n_ev++];
        memset(ev, 0, sizeof(*ev));
        ev->key = "sample_names";
        ev->kind = OT_EV_STRS;
        ev->list = list;
        ev->n = e->n_samples;
    }
    ot_detect_alert(d, &ot_detector_dga, &a);
}

static void observe(struct ot_detect *d, void *sv, const struct ot_flow *f, const struct ot_obs *o)
{
    if (o->kind != OT_OBS_DNS_QUERY && o->kind != OT_OBS_DNS_ANSWER)
        return;
    if (f->srv_port == 5353 || f->cli_port == 5353 || f->srv_port == 5355 || f->cli_port == 5355)
        return;
    struct state *st = sv;
    const char *name = o->u.dns.qname.s;
    size_t len = o->u.dns.qname.len;
    while (len && name[len - 1] == '.')
        len--;
    if (!len)
        return;
    struct ot_dn_name *dn = ot_detect_name(d, name, len); /* shared with dns-tunnel, rat ... */
    if (ot_dn_name_ignored(dn))
        return;
    bool nx = o->kind == OT_OBS_DNS_ANSWER && o->u.dns.rcode == 3;
    if (o->kind == OT_OBS_DNS_ANSWER && !nx && o->u.dns.rcode != 0)
        return; /* SERVFAIL, REFUSED: says nothing about the name */
    size_t r = ot_dn_name_registered(dn);
    const char *label = name + r;
    const char *dot = memchr(label, '.', len - r);
    size_t label_len = dot ? (size_t)(dot - label) : len - r;
    int32_t sc = ot_dga_score(&st->model, label, label_len);
    bool generated = sc != INT32_MIN && sc >= (int64_t)st->p[P_MIN_SCORE];
    if (!generated && !nx)
        return; /* the common case: nothing to count */

    int qdir = o->kind == OT_OBS_DNS_QUERY ? o->dir : !o->dir;
    const struct ot_addr *host = qdir == 0 ? &f->cli : &f->srv;
    struct key k = {host, f->v6};
    enum ot_slot_result res;
    uint64_t old = 0;
    struct entry *e = ot_slot_get(&st->tab, ot_detect_hash_addr(host, 0x6467 + f->v6), eq, &k, true,
                                  o->ts_us, &res, &old);
    uint64_t window = st->p[P_WINDOW] * 1000000u;
    if (res != OT_SLOT_FOUND) {
        if (res == OT_SLOT_REPLACED && old + window > o->ts_us)
            ot_detect_count_full(d, &ot_detector_dga);
        e->host = *host;
        e->v6 = f->v6;
        e->win_start = o->ts_us;
    } else if (o->ts_us >= e->win_start + window) {
        e->win_start = o->ts_us;
        e->names = e->nx = e->nx_any = 0;
        e->score = 0;
        e->n_samples = 0;
        memset(e->bloom, 0, sizeof(e->bloom));
    }
    uint64_t dh = ot_dn_hash(name + r, len - r, 0);
    if (generated && ot_bloom_add(e->bloom, BLOOM_BITS, dh ^ SALT_Q)) {
        e->names++;
        e->score++;
        add_sample(e, name, len);
    }
    if (nx && ot_bloom_add(e->bloom, BLOOM_BITS, dh * SALT_NX)) {
        e->nx_any++;
        if (generated) {
            e->nx++;
            e->score += st->p[P_NX_WEIGHT];
        }
    }
    bool rev = qdir == 1;
    if (nx && generated && e->nx == 1 && st->p[P_SINGLE])
        alert_once(d, st, e, SIG_SINGLE, f, rev, o->ts_us);
    if (e->score >= st->p[P_SCORE])
        alert_once(d, st, e, SIG_DGA, f, rev, o->ts_us);
    if (e->nx_any >= st->p[P_NX_DOMAINS])
        alert_once(d, st, e, SIG_NX, f, rev, o->ts_us);
}

const struct ot_detector ot_detector_dga = {
    .name = "dga",
    .family = "dga",
    .summary = "a host resolving many algorithm-generated (random-looking, mostly failing) names",
    .sigs = sigs,
    .n_sigs = N_SIGS,
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct state),
    .init = init,
    .free = fini,
    .observe = observe,
    .obs_kinds = OT_OBS_BIT(OT_OBS_DNS_QUERY) | OT_OBS_BIT(OT_OBS_DNS_ANSWER),
};
