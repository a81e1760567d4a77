/*
 * dns-tunnel: data smuggled through DNS names or records (iodine, dnscat2,
 * dns2tcp, DNS beacons of C2 frameworks, DNS exfiltration scripts).
 *
 * A tunnel has to put its data somewhere the resolver passes on: in the
 * names it asks for (upstream) and in the records it gets back
 * (downstream).  Caching defeats it unless every name is new.  So per
 * querying host and registered domain (dns-name.h: example.com,
 * example.co.jp) we count, within a window:
 *   - distinct "encoded" names: a label of at least min-length bytes that
 *     looks machine-made (hex, bytes outside letters, digits and '-' as
 *     base64 has, or a high score in the DGA letter-pair model, which
 *     base32 gets) and whose
 *     subdomain is not repetitive (min-entropy) -> 8105001;
 *   - distinct names answered with large TXT or NULL records -> 8105002;
 *   - distinct subdomain names of any shape (a tunnel with short labels
 *     still needs many of them) -> 8105003.
 * Ordinary browsing touches a handful of names per domain; CDN names are
 * short or few per client.  Names no detector judges (dns-name.h: reverse
 * lookups, .local, DNS-SD and other '_' names), mDNS/LLMNR flows, and the
 * reputation services that answer through DNS by design (DNS blocklists,
 * antivirus look-ups) are skipped.
 *
 * Each (host, domain, signature) alerts at most once per `realert`
 * seconds.  State: one bounded table (table-size entries of about 2.3
 * KB); when full the stalest entry is reused and counted.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "detect/dga-model.h"
#include "detect/dns-name.h"
#include "detect/slot-table.h"
#include "flow/flow.h"
#include "otasuke/error.h"

#define MITRE "T1071.004,T1572,T1048"

extern const struct ot_detector ot_detector_dns_tunnel;

static const struct ot_signature sigs[] = {
    {8105001, "DNS tunnel: many distinct encoded subdomain names under one domain", 1, MITRE},
    {8105002, "DNS tunnel: many large TXT/NULL answers from one domain", 2, MITRE},
    {8105003, "DNS tunnel: unusually many distinct subdomain names under one domain", 3, MITRE},
};
enum { SIG_ENCODED = 0, SIG_TXT, SIG_VOLUME, N_SIGS };

enum {
    P_WINDOW = 0,
    P_NAMES,
    P_MIN_LENGTH,
    P_MIN_ENTROPY,
    P_TXT_ANSWERS,
    P_TXT_BYTES,
    P_VOLUME,
    P_REALERT,
    P_TABLE
};

static const struct ot_detect_param params[] = {
    {"window", 300, 10, 86400, "seconds over which names are counted per host and domain"},
    {"names", 40, 2, 1000000, "distinct encoded subdomain names per host and domain in a window"},
    {"min-length", 16, 4, 63, "bytes a label needs to count as encoded"},
    {"min-entropy", 250, 0, 800,
     "hundredths of a bit per byte an encoded subdomain needs (repetitive names do not count)"},
    {"txt-answers", 20, 1, 1000000,
     "distinct names with large TXT/NULL answers per host and domain"},
    {"txt-bytes", 100, 16, 65535, "bytes of TXT/NULL data that make an answer large"},
    {"volume", 500, 10, 10000000, "distinct subdomain names of any shape per host and domain"},
    {"realert", 3600, 0, 2592000, "seconds before the same host and domain can alert again"},
    {"table-size", 2048, 64, 1048576, "host/domain pairs tracked at once (about 2.3 KB each)"},
};

/*
 * Services that carry data in DNS on purpose: blocklists (mail servers
 * query one name per address or URL) and antivirus/URL reputation look-ups.
 */
static const char *const benign_data_domains[] = {
    "spamhaus.org",
    "spamhaus.net",
    "spamcop.net",
    "sorbs.net",
    "barracudacentral.org",
    "surbl.org",
    "uribl.com",
    "dnswl.org",
    "mailspike.net",
    "abuseat.org",
    "senderscore.com",
    "spameatingmonkey.net",
    "junkemailfilter.com",
    "nixspam.net",
    "manitu.net",
    "mailshell.net",
    "sophosxl.net",
    "mcafee.com",
    "trendmicro.com",
    "e5.sk",
    "avast.com",
    "avqs.mcafee.com",
    "webroot.com",
    "brightcloud.com",
    "cymru.com",
    "team-cymru.org",
    "dnsbl.info",
    "zen.spamhaus.org",
};

#define SAMPLES    3
#define SAMPLE_LEN 96
#define BLOOM_BITS 16384 /* about 0.02 names missed by 500: the volume threshold */
#define DOM_MAX    192

struct entry {
    struct ot_slot slot;
    struct ot_addr host;
    bool v6;
    uint8_t dom_len;
    char dom[DOM_MAX];
    uint64_t win_start;
    uint64_t last_alert[N_SIGS];
    uint32_t queries, names, encoded, big_answers;
    uint64_t name_bytes, answer_bytes;
    uint8_t n_samples;
    uint8_t sample_len[SAMPLES];
    char samples[SAMPLES][SAMPLE_LEN];
    uint8_t bloom[BLOOM_BITS / 8];
};

struct key {
    const struct ot_addr *host;
    bool v6;
    const char *dom;
    size_t dom_len;
};

struct state {
    uint64_t p[OT_DETECT_MAX_PARAMS];
    struct ot_slot_table tab;
    struct ot_dga_model model;
    struct ot_dn_set benign; /* benign_data_domains */
};

static int init(struct ot_detect *d, void *sv, const uint64_t *p)
{
    struct state *st = sv;
    memcpy(st->p, p, sizeof(st->p));
    ot_dga_model_init(&st->model);
    for (size_t i = 0; i < sizeof(benign_data_domains) / sizeof(benign_data_domains[0]); i++) {
        int rc = ot_dn_set_add(&st->benign, benign_data_domains[i], (int)i);
        if (rc)
            return rc;
    }
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
    return e->v6 == k->v6 && ot_addr_eq(&e->host, k->host) && e->dom_len == k->dom_len &&
           memcmp(e->dom, k->dom, k->dom_len) == 0;
}

/*
 * Four tokens of one to three digits in a row, split by '-' or '.': an
 * address written into a name (ec2-54-1-2-3, ip-10-0-0-1, 1.2.3.4.sslip).
 */
static bool has_embedded_ipv4(const char *s, size_t n)
{
    unsigned run = 0; /* consecutive short all-digit tokens */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '-' && s[i] != '.')
            continue;
        size_t tl = i - start;
        bool num = tl >= 1 && tl <= 3;
        for (size_t j = start; j < i && num; j++)
            num = s[j] >= '0' && s[j] <= '9';
        run = num ? run + 1 : 0;
        if (run == 4)
            return true;
        start = i + 1;
    }
    return false;
}

/* Does one label look machine-made? */
static bool label_encoded(const struct state *st, const char *l, size_t n)
{
    if (n < st->p[P_MIN_LENGTH])
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok)
            return true; /* base64 '+', '/', '=', or raw bytes */
    }
    /* Hex (dnscat2, most exfiltration scripts): hex digits with both digits and letters. */
    size_t digits = 0, hexletters = 0;
    for (size_t i = 0; i < n; i++) {
        char c = l[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
            hexletters++;
    }
    if (digits + hexletters == n && digits && hexletters)
        return true;
    int32_t s = ot_dga_score(&st->model, l, n);
    return s != INT32_MIN && s >= OT_DGA_THRESHOLD;
}

/* Is the subdomain part SUB (labels left of the registered domain) encoded data? */
static bool sub_encoded(const struct state *st, const char *sub, size_t n)
{
    if (has_embedded_ipv4(sub, n))
        return false;
    bool any = false;
    size_t start = 0;
    for (size_t i = 0; i <= n && !any; i++) {
        if (i == n || sub[i] == '.') {
            any = label_encoded(st, sub + start, i - start);
            start = i + 1;
        }
    }
    if (!any)
        return false;
    /* Entropy over the subdomain without its dots. */
    char buf[256];
    size_t m = 0;
    for (size_t i = 0; i < n && m < sizeof(buf); i++)
        if (sub[i] != '.')
            buf[m++] = sub[i];
    return ot_dga_entropy(buf, m) >= st->p[P_MIN_ENTROPY];
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
    ot_alert_name(&a, "domain", e->dom, e->dom_len);
    ot_alert_key(&a, e->dom, e->dom_len); /* two tunnels through one resolver: two alerts */
    ot_alert_u64(&a, "queries", e->queries);
    ot_alert_u64(&a, "distinct_names", e->names);
    ot_alert_u64(&a, "encoded_names", e->encoded);
    ot_alert_u64(&a, "encoded_name_bytes", e->name_bytes);
    ot_alert_u64(&a, "large_answers", e->big_answers);
    ot_alert_u64(&a, "large_answer_bytes", e->answer_bytes);
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
    ot_detect_alert(d, &ot_detector_dns_tunnel, &a);
}

static bool mdns_or_llmnr(const struct ot_flow *f)
{
    return f->srv_port == 5353 || f->cli_port == 5353 || f->srv_port == 5355 || f->cli_port == 5355;
}

static void observe(struct ot_detect *d, void *sv, const struct ot_flow *f, const struct ot_obs *o)
{
    if (o->kind != OT_OBS_DNS_QUERY && o->kind != OT_OBS_DNS_ANSWER)
        return;
    struct state *st = sv;
    const char *name = o->u.dns.qname.s;
    size_t len = o->u.dns.qname.len;
    while (len && name[len - 1] == '.')
        len--;
    if (!len || mdns_or_llmnr(f))
        return;
    struct ot_dn_name *dn = ot_detect_name(d, name, len); /* shared with dga, rat ... */
    if (ot_dn_name_ignored(dn))
        return;
    size_t r = ot_dn_name_registered(dn);
    if (len - r >= DOM_MAX)
        return;
    if (ot_dn_set_match_name(&st->benign, dn) >= 0)
        return;
    /* The querying host: the sender of a query, the receiver of an answer. */
    int qdir = o->kind == OT_OBS_DNS_QUERY ? o->dir : !o->dir;
    const struct ot_addr *host = qdir == 0 ? &f->cli : &f->srv;
    char dom[DOM_MAX];
    size_t dl = ot_dn_copy_lower(dom, sizeof(dom), name + r, len - r);
    struct key k = {host, f->v6, dom, dl};
    uint64_t h = ot_dn_hash(dom, dl, ot_detect_hash_addr(host, 0x7475));
    enum ot_slot_result res;
    uint64_t old = 0;
    struct entry *e = ot_slot_get(&st->tab, h, eq, &k, true, o->ts_us, &res, &old);
    uint64_t window = st->p[P_WINDOW] * 1000000u;
    if (res != OT_SLOT_FOUND) {
        if (res == OT_SLOT_REPLACED && old + window > o->ts_us)
            ot_detect_count_full(d, &ot_detector_dns_tunnel);
        e->host = *host;
        e->v6 = f->v6;
        memcpy(e->dom, dom, dl);
        e->dom_len = (uint8_t)dl;
        e->win_start = o->ts_us;
    } else if (o->ts_us >= e->win_start + window) {
        /* A new window: the counts start again; alert times are kept. */
        e->win_start = o->ts_us;
        e->queries = e->names = e->encoded = e->big_answers = 0;
        e->name_bytes = e->answer_bytes = 0;
        e->n_samples = 0;
        memset(e->bloom, 0, sizeof(e->bloom));
    }
    size_t sub_len = r ? r - 1 : 0; /* without the dot before the registered domain */
    uint64_t nh = ot_dn_hash(name, len, 0);
    bool rev = qdir == 1;
    if (o->kind == OT_OBS_DNS_QUERY) {
        e->queries++;
        if (sub_len == 0 || !ot_bloom_add(e->bloom, BLOOM_BITS, nh))
            return;
        e->names++;
        if (sub_encoded(st, name, sub_len)) {
            e->encoded++;
            e->name_bytes += sub_len;
            add_sample(e, name, len);
            if (e->encoded >= st->p[P_NAMES])
                alert_once(d, st, e, SIG_ENCODED, f, rev, o->ts_us);
        }
        if (e->names >= st->p[P_VOLUME])
            alert_once(d, st, e, SIG_VOLUME, f, rev, o->ts_us);
        return;
    }
    /* An answer: TXT (16) and NULL (10) records carry a tunnel's downstream. */
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < o->u.dns.n_rrs; i++)
        if (o->u.dns.rrs[i].rtype == 16 || o->u.dns.rrs[i].rtype == 10)
            bytes += o->u.dns.rrs[i].data_len;
    if (sub_len == 0 || bytes < st->p[P_TXT_BYTES])
        return;
    if (!ot_bloom_add(e->bloom, BLOOM_BITS, nh ^ 0x5458545458545854ull))
        return;
    e->big_answers++;
    e->answer_bytes += bytes;
    if (e->n_samples < SAMPLES)
        add_sample(e, name, len);
    if (e->big_answers >= st->p[P_TXT_ANSWERS])
        alert_once(d, st, e, SIG_TXT, f, rev, o->ts_us);
}

const struct ot_detector ot_detector_dns_tunnel = {
    .name = "dns-tunnel",
    .family = "dns-tunnel",
    .summary = "data smuggled through DNS: many encoded names or large TXT answers for one domain",
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
