/*
 * cryptomining: a host mining for a pool (often a cryptojacking implant:
 * XMRig dropped by a worm, or a browser miner).
 *
 * Four sightings, strongest first:
 *   8108001  the Stratum protocol itself: the first payload of either
 *            direction (any port, no TLS) is a JSON-RPC line with a mining
 *            method ("mining.subscribe", "mining.authorize", "mining.notify",
 *            "mining.submit", "mining.set_difficulty", "eth_submitLogin",
 *            "eth_getWork"), an XMRig-style "login" carrying "agent"/"algo"/
 *            "rigid", a Monero "job" push, or a login reply holding a job
 *            (blob + job_id + target);
 *   8108004  nDPI labelled the flow "Mining" (at flow end).  nDPI gives that
 *            label to Bitcoin and Ethereum peer-to-peer node traffic too
 *            (ports 8333, 30303), which is a wallet or node, not a miner,
 *            and plain JSON-RPC: low severity, once per inside host, and
 *            not for flows whose first payload we judged ourselves;
 *   8108002  a TLS ClientHello names a well-known pool (stratum over TLS);
 *   8108003  a DNS query for a well-known pool (the built-in suffix list).
 * Each (host, signature, pool) alerts at most once per `realert` seconds, so
 * a miner's reconnects do not flood the output.  State: one bounded "alert
 * once" table.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "detect/dns-name.h"
#include "detect/slot-table.h"
#include "flow/flow.h"
#include "otasuke/error.h"
#include "proto/label.h"

extern const struct ot_detector ot_detector_cryptomining;

#define MITRE "T1496"

static const struct ot_signature sigs[] = {
    {8108001, "Cryptocurrency mining: Stratum mining protocol", 2, MITRE},
    {8108002, "Cryptocurrency mining: TLS connection to a known mining pool", 2, MITRE},
    {8108003, "Cryptocurrency mining: DNS lookup of a known mining pool", 3, MITRE},
    {8108004, "Cryptocurrency network traffic (nDPI 'Mining': a coin peer-to-peer node or pool)", 3,
     MITRE},
};
enum { SIG_STRATUM = 0, SIG_SNI, SIG_DNS, SIG_LABEL, N_SIGS };

enum { P_REALERT = 0, P_TABLE };

static const struct ot_detect_param params[] = {
    {"realert", 3600, 0, 2592000, "seconds before the same host and pool can alert again"},
    {"table-size", 4096, 64, 1048576, "host/pool pairs remembered for realert"},
};

/* Well-known public pools and browser-mining services (suffix match). */
static const char *const pools[] = {
    "nanopool.org",
    "minexmr.com",
    "supportxmr.com",
    "moneroocean.stream",
    "f2pool.com",
    "ethermine.org",
    "2miners.com",
    "hashvault.pro",
    "xmrpool.eu",
    "nicehash.com",
    "miningpoolhub.com",
    "slushpool.com",
    "braiins.com",
    "antpool.com",
    "viabtc.com",
    "poolin.com",
    "herominers.com",
    "c3pool.com",
    "unmineable.com",
    "flexpool.io",
    "dwarfpool.com",
    "xmrig.com",
    "coinhive.com",
    "coin-hive.com",
    "crypto-loot.com",
    "cryptoloot.pro",
    "webmine.pro",
    "minergate.com",
    "monerohash.com",
    "zergpool.com",
    "zpool.ca",
    "mining-dutch.nl",
    "prohashing.com",
    "emcd.io",
    "pool.binance.com",
    "ethpool.org",
    "sparkpool.com",
    "hiveon.net",
    "kryptex.network",
    "woolypooly.com",
    "p2pool.io",
    "xmrfast.com",
    "minemonero.pro",
    "moneropool.com",
    "gulf.moneroocean.stream",
    "rplant.xyz",
    "solo-xmr.com",
    "bitminter.com",
};

#define JSON_RING 256

struct state {
    uint64_t p[OT_DETECT_MAX_PARAMS];
    struct ot_slot_table once;
    /*
     * Flows whose first payload we already judged as JSON (Stratum or not):
     * nDPI's "Mining" label adds nothing there, and it also names plain
     * JSON-RPC ("echo") as mining.  A ring: the label comes at flow end,
     * usually soon; a flow pushed out early only risks a low alert.
     */
    uint64_t json_flows[JSON_RING];
    unsigned json_next;
    struct ot_dn_set pools; /* pools[], value = index */
};

static int init(struct ot_detect *d, void *sv, const uint64_t *p)
{
    struct state *st = sv;
    memcpy(st->p, p, sizeof(st->p));
    for (size_t i = 0; i < sizeof(pools) / sizeof(pools[0]); i++) {
        int rc = ot_dn_set_add(&st->pools, pools[i], (int)i);
        if (rc)
            return rc;
    }
    if (ot_slot_table_init(&st->once, (size_t)p[P_TABLE], sizeof(struct ot_once)) != 0)
        return OT_ENOMEM;
    return OT_OK;
}

static void fini(void *sv)
{
    struct state *st = sv;
    ot_slot_table_free(&st->once);
}

static bool first_time(struct ot_detect *d, struct state *st, const struct ot_addr *host, bool v6,
                       int sig, uint64_t extra, uint64_t ts)
{
    bool lost = false;
    bool ok = ot_once_check(&st->once, host, v6, sigs[sig].id, extra, ts,
                            st->p[P_REALERT] * 1000000u, &lost);
    if (lost)
        ot_detect_count_full(d, &ot_detector_cryptomining);
    return ok;
}

/* Bounded search for a NUL-free needle in a byte buffer. */
static const uint8_t *find(const uint8_t *h, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    if (l == 0 || l > n)
        return NULL;
    for (size_t i = 0; i + l <= n; i++)
        if (h[i] == (uint8_t)needle[0] && memcmp(h + i + 1, needle + 1, l - 1) == 0)
            return h + i;
    return NULL;
}

/*
 * The string value of "KEY" in a JSON text (not a parser: the first
 * occurrence, a plain string value without escapes).  Returns its length
 * (0 = absent) and where it starts.
 */
static size_t json_str(const uint8_t *h, size_t n, const char *key, const uint8_t **val)
{
    char pat[40];
    size_t kl = strlen(key);
    if (kl + 3 > sizeof(pat))
        return 0;
    pat[0] = '"';
    memcpy(pat + 1, key, kl);
    pat[kl + 1] = '"';
    pat[kl + 2] = '\0';
    const uint8_t *p = find(h, n, pat);
    if (!p)
        return 0;
    const uint8_t *end = h + n;
    p += kl + 2;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p != ':')
        return 0;
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p != '"')
        return 0;
    p++;
    const uint8_t *s = p;
    while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && p - s < 128)
        p++;
    if (p >= end || *p != '"')
        return 0;
    *val = s;
    return (size_t)(p - s);
}

static bool eq_str(const uint8_t *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* JSON-RPC methods only miners use. */
static const char *const mining_methods[] = {
    "mining.subscribe", "mining.authorize",      "mining.notify",
    "mining.submit",    "mining.set_difficulty", "mining.extranonce.subscribe",
    "mining.configure", "mining.set_target",     "eth_submitLogin",
    "eth_getWork",      "eth_submitWork",        "eth_submitHashrate",
};

/*
 * What in PAYLOAD says Stratum: the method (or "job reply"), or NULL.
 * *AGENT gets the miner's "agent" string when there is one; *JSON is set
 * when the payload is a JSON object at all.
 */
static const char *stratum_method(const uint8_t *data, size_t len, const uint8_t **agent,
                                  size_t *agent_len, bool *json)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i >= len || data[i] != '{')
        return NULL;
    *json = true;
    size_t n = len > 2048 ? 2048 : len;
    *agent_len = json_str(data, n, "agent", agent);
    const uint8_t *m;
    size_t ml = json_str(data, n, "method", &m);
    if (ml) {
        for (size_t k = 0; k < sizeof(mining_methods) / sizeof(mining_methods[0]); k++)
            if (eq_str(m, ml, mining_methods[k]))
                return mining_methods[k];
        /* XMRig / xmr-stak login: "login" with miner fields in its params. */
        if (eq_str(m, ml, "login") &&
            (*agent_len || find(data, n, "\"algo\"") || find(data, n, "\"rigid\"")))
            return "login";
        if (eq_str(m, ml, "job") && find(data, n, "\"blob\"") && find(data, n, "\"job_id\""))
            return "job";
        return NULL;
    }
    /* The pool's answer to a login: a job to work on. */
    if (find(data, n, "\"blob\"") && find(data, n, "\"job_id\"") && find(data, n, "\"target\""))
        return "login reply with job";
    return NULL;
}

static void payload(struct ot_detect *d, void *sv, const struct ot_flow *f, int dir,
                    const uint8_t *data, size_t len)
{
    struct state *st = sv;
    const uint8_t *agent = NULL;
    size_t agent_len = 0;
    bool json = false;
    const char *method = stratum_method(data, len, &agent, &agent_len, &json);
    if (json && f->flow_id)
        st->json_flows[st->json_next++ % JSON_RING] = f->flow_id;
    if (!method)
        return;
    /* The miner is the flow's client (it dials the pool). */
    uint64_t pool = ot_detect_hash_addr(&f->srv, f->srv_port);
    uint64_t ts = f->last_us;
    if (!first_time(d, st, &f->cli, f->v6, SIG_STRATUM, pool, ts))
        return;
    struct ot_alert a;
    ot_alert_init_flow(&a, &sigs[SIG_STRATUM], ts, f, false);
    ot_alert_str(&a, "method", method, strlen(method));
    ot_alert_str(&a, "direction", dir ? "from pool" : "from miner", dir ? 9 : 10);
    if (agent_len)
        ot_alert_str(&a, "agent", (const char *)agent, agent_len);
    char ip[48];
    size_t il = ot_addr_fmt(&f->srv, f->v6, ip);
    ot_alert_str(&a, "pool", ip, il);
    ot_alert_u64(&a, "pool_port", f->srv_port);
    ot_detect_alert(d, &ot_detector_cryptomining, &a);
}

static void observe(struct ot_detect *d, void *sv, const struct ot_flow *f, const struct ot_obs *o)
{
    struct state *st = sv;
    struct ot_str name;
    int sig;
    const struct ot_addr *host;
    bool rev;
    if (o->kind == OT_OBS_TLS && o->u.tls.sni.len) {
        name = o->u.tls.sni;
        sig = SIG_SNI;
        host = &f->cli;
        rev = false;
    } else if (o->kind == OT_OBS_DNS_QUERY) {
        name = o->u.dns.qname;
        sig = SIG_DNS;
        rev = o->dir == 1;
        host = rev ? &f->srv : &f->cli;
    } else {
        return;
    }
    int i = ot_dn_set_match_name(&st->pools, ot_detect_name(d, name.s, name.len));
    if (i < 0)
        return;
    if (!first_time(d, st, host, f->v6, sig, (uint64_t)i + 1, o->ts_us))
        return;
    struct ot_alert a;
    ot_alert_init_flow(&a, &sigs[sig], o->ts_us, f, rev);
    ot_alert_name(&a, "pool_host", name.s, name.len);
    ot_alert_str(&a, "pool_domain", pools[i], strlen(pools[i]));
    ot_alert_str(&a, "method", sig == SIG_SNI ? "tls-sni" : "dns-query", sig == SIG_SNI ? 7 : 9);
    ot_detect_alert(d, &ot_detector_cryptomining, &a);
}

/* Does an nDPI label ("Mining", "TLS.Mining") name mining? */
static bool label_is_mining(const char *l)
{
    const char *dot = strchr(l, '.');
    return strcasecmp(l, "Mining") == 0 || (dot && strcasecmp(dot + 1, "Mining") == 0) ||
           (dot && (size_t)(dot - l) == 6 && strncasecmp(l, "Mining", 6) == 0);
}

static void flow_end(struct ot_detect *d, void *sv, const struct ot_flow *f)
{
    struct ot_labeler *lab = ot_detect_userdata(d, "labeler");
    if (!lab)
        return;
    char buf[64];
    const char *l = ot_labeler_name(lab, f, buf, sizeof(buf));
    if (!l[0] || !label_is_mining(l))
        return;
    struct state *st = sv;
    for (unsigned i = 0; i < JSON_RING; i++)
        if (st->json_flows[i] == f->flow_id && f->flow_id)
            return;
    /* The inside end (peers also connect in to a node). */
    bool rev = !ot_detect_is_home(d, &f->cli, f->v6) && ot_detect_is_home(d, &f->srv, f->v6);
    const struct ot_addr *host = rev ? &f->srv : &f->cli;
    if (!first_time(d, st, host, f->v6, SIG_LABEL, 0, f->last_us))
        return;
    struct ot_alert a;
    ot_alert_init_flow(&a, &sigs[SIG_LABEL], f->last_us, f, rev);
    ot_alert_str(&a, "method", "ndpi", 4);
    ot_alert_str(&a, "ndpi_label", l, strlen(l));
    ot_detect_alert(d, &ot_detector_cryptomining, &a);
}

const struct ot_detector ot_detector_cryptomining = {
    .name = "cryptomining",
    .family = "cryptomining",
    .summary = "mining-pool traffic: Stratum JSON-RPC, known pool names in DNS/TLS, nDPI 'Mining'",
    .sigs = sigs,
    .n_sigs = N_SIGS,
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct state),
    .init = init,
    .free = fini,
    .flow_start = NULL,
    .flow_end = flow_end,
    .observe = observe,
    .obs_kinds = OT_OBS_BIT(OT_OBS_DNS_QUERY) | OT_OBS_BIT(OT_OBS_TLS),
    .payload = payload,
};
