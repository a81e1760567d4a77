#include "detect/detect.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "detect/dns-name.h"
#include "flow/flow.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"

/* The registration table: adding a detector is one file plus one row. */
extern const struct ot_detector ot_detector_ioc;
extern const struct ot_detector ot_detector_cleartext;
extern const struct ot_detector ot_detector_newdev;
extern const struct ot_detector ot_detector_scan;
extern const struct ot_detector ot_detector_bruteforce;
extern const struct ot_detector ot_detector_exposure;
extern const struct ot_detector ot_detector_lateral;
extern const struct ot_detector ot_detector_dns_tunnel;
extern const struct ot_detector ot_detector_dga;
extern const struct ot_detector ot_detector_beacon;
extern const struct ot_detector ot_detector_cryptomining;
extern const struct ot_detector ot_detector_rat;

const struct ot_detector *const ot_detectors[] = {
    &ot_detector_ioc,
    &ot_detector_cleartext,
    &ot_detector_newdev,
    &ot_detector_scan,
    &ot_detector_bruteforce,
    &ot_detector_exposure,
    &ot_detector_lateral,
    &ot_detector_dns_tunnel,
    &ot_detector_dga,
    &ot_detector_beacon,
    &ot_detector_cryptomining,
    &ot_detector_rat,
    NULL,
};

static size_t n_detectors(void)
{
    size_t n = 0;
    while (ot_detectors[n])
        n++;
    return n;
}

/* ---- configuration ---- */

static const char *const default_home[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                           "fc00::/7"};

static int parse_cidr(const char *s, struct ot_cidr *out)
{
    char buf[64];
    if (!ot_strlcpy(buf, s, sizeof(buf)))
        return OT_EINVAL;
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1)
            return OT_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->addr.u.b) == 1) {
        out->v6 = false;
        if (bits < 0)
            bits = 32;
        if (bits > 32)
            return OT_EINVAL;
    } else if (inet_pton(AF_INET6, buf, out->addr.u.b) == 1) {
        out->v6 = true;
        if (bits < 0)
            bits = 128;
        if (bits > 128)
            return OT_EINVAL;
    } else {
        return OT_EINVAL;
    }
    out->bits = (uint8_t)bits;
    /* Mask the host bits so matching is a plain compare. */
    for (unsigned i = 0; i < 16; i++) {
        unsigned lo = i * 8;
        if (lo >= (unsigned)bits)
            out->addr.u.b[i] = 0;
        else if (lo + 8 > (unsigned)bits)
            out->addr.u.b[i] &= (uint8_t)(0xff << (8 - (bits - lo)));
    }
    return OT_OK;
}

int ot_detect_parse_home_net(struct ot_detect_conf *c, const char *value, char *why, size_t why_len)
{
    char tmp[2048];
    if (!ot_strlcpy(tmp, value, sizeof(tmp))) {
        snprintf(why, why_len, "home-net list too long");
        return OT_EINVAL;
    }
    struct ot_cidr nets[OT_DETECT_MAX_HOME_NETS];
    uint32_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(tmp, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        if (n == OT_DETECT_MAX_HOME_NETS) {
            snprintf(why, why_len, "more than %d home networks", OT_DETECT_MAX_HOME_NETS);
            return OT_EINVAL;
        }
        if (parse_cidr(t, &nets[n]) != 0) {
            snprintf(why, why_len, "'%s' is not an address or CIDR", t);
            return OT_EINVAL;
        }
        n++;
    }
    memcpy(c->home, nets, sizeof(nets[0]) * n);
    c->n_home = n;
    return OT_OK;
}

void ot_detect_conf_defaults(struct ot_detect_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->enabled = true;
    c->alert_quiet_s = 30;
    c->alert_max_hold_s = 300;
    c->alert_max_pending = 10000;
    for (size_t i = 0; ot_detectors[i] && i < OT_DETECT_MAX_DETECTORS; i++) {
        const struct ot_detector *det = ot_detectors[i];
        c->det_enabled[i] = true;
        for (size_t k = 0; k < det->n_params && k < OT_DETECT_MAX_PARAMS; k++)
            c->params[i][k] = det->params[k].def;
    }
    for (size_t i = 0; i < OT_ARRAY_SIZE(default_home); i++)
        (void)parse_cidr(default_home[i], &c->home[c->n_home++]);
}

static int parse_u64_bounded(const char *v, uint64_t lo, uint64_t hi, uint64_t *out, char *why,
                             size_t why_len)
{
    uint64_t x;
    if (ot_parse_u64(v, lo, hi, &x) != 0) {
        snprintf(why, why_len, "'%s' is not a number from %llu to %llu", v, (unsigned long long)lo,
                 (unsigned long long)hi);
        return OT_EINVAL;
    }
    *out = x;
    return OT_OK;
}

static int parse_yesno(const char *v, bool *out, char *why, size_t why_len)
{
    if (ot_parse_bool(v, out) != 0) {
        snprintf(why, why_len, "'%s' is not yes or no", v);
        return OT_EINVAL;
    }
    return OT_OK;
}

static const struct {
    const char *key;
    size_t off;
    uint64_t lo, hi;
    const char *help;
} engine_keys[] = {
    {"detect.alert.quiet", offsetof(struct ot_detect_conf, alert_quiet_s), 1, 86400,
     "seconds without a repeat before a merged alert is written"},
    {"detect.alert.max-hold", offsetof(struct ot_detect_conf, alert_max_hold_s), 1, 86400,
     "seconds an alert may wait for repeats before it is written"},
    {"detect.alert.max-pending", offsetof(struct ot_detect_conf, alert_max_pending), 16, 1000000,
     "alerts held for merging at once (when full the oldest is written early)"},
};

int ot_detect_conf_set(struct ot_detect_conf *c, const char *key, const char *value, char *why,
                       size_t why_len)
{
    if (!strcmp(key, "home-net"))
        return ot_detect_parse_home_net(c, value, why, why_len);
    if (!strcmp(key, "detect"))
        return parse_yesno(value, &c->enabled, why, why_len);
    if (strncmp(key, "detect.", 7) != 0)
        return OT_ENOENT;
    for (size_t i = 0; i < OT_ARRAY_SIZE(engine_keys); i++) {
        if (strcmp(key, engine_keys[i].key) == 0) {
            uint64_t x;
            int rc =
                parse_u64_bounded(value, engine_keys[i].lo, engine_keys[i].hi, &x, why, why_len);
            if (rc == 0)
                *(uint32_t *)(void *)((char *)c + engine_keys[i].off) = (uint32_t)x;
            return rc;
        }
    }
    const char *rest = key + 7;
    for (size_t i = 0; ot_detectors[i] && i < OT_DETECT_MAX_DETECTORS; i++) {
        const struct ot_detector *det = ot_detectors[i];
        size_t nl = strlen(det->name);
        if (strncmp(rest, det->name, nl) != 0 || rest[nl] != '.')
            continue;
        const char *param = rest + nl + 1;
        if (!strcmp(param, "enabled"))
            return parse_yesno(value, &c->det_enabled[i], why, why_len);
        for (size_t k = 0; k < det->n_params; k++) {
            const struct ot_detect_param *p = &det->params[k];
            if (strcmp(param, p->name) == 0)
                return parse_u64_bounded(value, p->min, p->max, &c->params[i][k], why, why_len);
        }
    }
    return OT_ENOENT;
}

static void fmt_cidr(const struct ot_cidr *n, char *out, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    inet_ntop(n->v6 ? AF_INET6 : AF_INET, n->addr.u.b, a, sizeof(a));
    snprintf(out, len, "%s/%u", a, n->bits);
}

void ot_detect_conf_dump(const struct ot_detect_conf *c, void *fpv)
{
    FILE *fp = fpv;
    char line[2048] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < c->n_home && used < sizeof(line); i++) {
        char one[80];
        fmt_cidr(&c->home[i], one, sizeof(one));
        used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s", i ? "," : "", one);
    }
    fprintf(fp, "%-28s = %s   # %s\n", "home-net", line, "home networks (addresses or CIDRs)");
    fprintf(fp, "%-28s = %s   # %s\n", "detect", c->enabled ? "yes" : "no", "run the detectors");
    for (size_t i = 0; i < OT_ARRAY_SIZE(engine_keys); i++)
        fprintf(fp, "%-28s = %u   # %s\n", engine_keys[i].key,
                *(const uint32_t *)(const void *)((const char *)c + engine_keys[i].off),
                engine_keys[i].help);
    for (size_t i = 0; ot_detectors[i] && i < OT_DETECT_MAX_DETECTORS; i++) {
        const struct ot_detector *det = ot_detectors[i];
        char key[96];
        snprintf(key, sizeof(key), "detect.%s.enabled", det->name);
        fprintf(fp, "%-28s = %s   # %s\n", key, c->det_enabled[i] ? "yes" : "no", det->summary);
        for (size_t k = 0; k < det->n_params; k++) {
            snprintf(key, sizeof(key), "detect.%s.%s", det->name, det->params[k].name);
            fprintf(fp, "%-28s = %llu   # %s\n", key, (unsigned long long)c->params[i][k],
                    det->params[k].help);
        }
    }
}

/* ---- the engine ---- */

#define EVIDENCE_MAX 2048
#define NONE         UINT32_MAX

/* An alert waiting for repeats. */
struct pending {
    uint32_t sid;
    uint16_t det;
    uint8_t ip_proto;
    uint8_t severity;
    bool v6, has_dst, has_flow;
    uint16_t sp, dp;
    struct ot_addr src, dst;
    uint64_t key_extra;
    uint64_t flow_id;
    uint16_t app_proto;
    char community_id[64];
    const struct ot_signature *sig;
    uint64_t first_us, last_us, count;
    char *evidence; /* rendered JSON object */
    size_t evidence_len;
    uint64_t hash;
    uint32_t hnext;
    uint32_t prev, next; /* age list (oldest first) */
};

struct userdata {
    const char *name;
    void *data;
};

/* The hooks the engine dispatches from lists of the detectors that have them. */
enum { H_FLOW_START = 0, H_FLOW_END, H_PAYLOAD, H_TICK, H_DATAGRAM, N_HOOKS };

struct hook_list {
    uint8_t n;
    uint8_t det[OT_DETECT_MAX_DETECTORS]; /* indices into ot_detectors, in table order */
};

struct ot_detect {
    struct ot_detect_conf conf;
    struct ot_eve *eve;
    struct ot_detect_filter filter;
    struct ot_detect_stats st;
    size_t n_det;
    void *states[OT_DETECT_MAX_DETECTORS];
    bool on[OT_DETECT_MAX_DETECTORS];
    /*
     * Who gets what: the switched-on detectors with each hook, and with an
     * observe hook for each observation kind (the last row: kinds out of
     * range, for the detectors that take every kind).
     */
    struct hook_list hooks[N_HOOKS];
    struct hook_list obs[OT_OBS__COUNT + 1];
    /* ot_detect_name(): the name shared within one observation. */
    bool observing, name_valid;
    struct ot_dn_name name;
    struct userdata ud[4];
    struct ot_jw ejw; /* renders evidence */
    struct pending *pend;
    uint32_t *buckets;
    uint32_t n_buckets, n_pend, free_head, old_head, old_tail;
    uint32_t n_used; /* records [n_used, alert_max_pending) were never used */
    uint64_t now_us;
};

static void list_add(struct hook_list *l, size_t i)
{
    l->det[l->n++] = (uint8_t)i;
}

/* Fill d->hooks and d->obs from the detectors switched on. */
static void build_hook_lists(struct ot_detect *d)
{
    for (size_t i = 0; i < d->n_det; i++) {
        const struct ot_detector *det = ot_detectors[i];
        if (!d->on[i])
            continue;
        if (det->flow_start)
            list_add(&d->hooks[H_FLOW_START], i);
        if (det->flow_end)
            list_add(&d->hooks[H_FLOW_END], i);
        if (det->payload)
            list_add(&d->hooks[H_PAYLOAD], i);
        if (det->tick)
            list_add(&d->hooks[H_TICK], i);
        if (det->datagram)
            list_add(&d->hooks[H_DATAGRAM], i);
        if (!det->observe)
            continue;
        for (unsigned k = 0; k < OT_OBS__COUNT; k++)
            if (!det->obs_kinds || (det->obs_kinds & OT_OBS_BIT(k)))
                list_add(&d->obs[k], i);
        if (!det->obs_kinds)
            list_add(&d->obs[OT_OBS__COUNT], i);
    }
}

int ot_detect_new(const struct ot_detect_conf *c, struct ot_eve *eve, struct ot_detect **out)
{
    struct ot_detect *d = calloc(1, sizeof(*d));
    if (!d)
        return OT_ENOMEM;
    d->conf = *c;
    d->eve = eve;
    d->n_det = n_detectors();
    if (d->n_det > OT_DETECT_MAX_DETECTORS)
        d->n_det = OT_DETECT_MAX_DETECTORS;
    int rc = ot_jw_init(&d->ejw, 512, EVIDENCE_MAX);
    if (rc)
        goto fail;
    uint32_t max = c->alert_max_pending;
    d->pend = calloc(max, sizeof(*d->pend));
    d->n_buckets = 1;
    while (d->n_buckets < max * 2)
        d->n_buckets <<= 1;
    d->buckets = malloc(sizeof(*d->buckets) * d->n_buckets);
    rc = OT_ENOMEM;
    if (!d->pend || !d->buckets)
        goto fail;
    for (uint32_t i = 0; i < d->n_buckets; i++)
        d->buckets[i] = NONE;
    /* Never-used records come from n_used, so the array is touched only as far as it fills. */
    d->free_head = NONE;
    d->n_used = 0;
    d->old_head = d->old_tail = NONE;
    for (size_t i = 0; i < d->n_det; i++) {
        const struct ot_detector *det = ot_detectors[i];
        d->on[i] = c->enabled && c->det_enabled[i];
        if (!d->on[i])
            continue;
        if (det->state_size) {
            d->states[i] = calloc(1, det->state_size);
            if (!d->states[i]) {
                rc = OT_ENOMEM;
                goto fail;
            }
        }
        if (det->init) {
            rc = det->init(d, d->states[i], c->params[i]);
            if (rc) {
                /* Detectors that did not init are not freed by their hook. */
                free(d->states[i]);
                d->states[i] = NULL;
                d->on[i] = false;
                goto fail;
            }
        }
    }
    build_hook_lists(d);
    *out = d;
    return OT_OK;
fail:
    ot_detect_free(d);
    return rc;
}

void ot_detect_free(struct ot_detect *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_det; i++) {
        if (d->on[i] && ot_detectors[i]->free)
            ot_detectors[i]->free(d->states[i]);
        free(d->states[i]);
    }
    if (d->pend)
        for (uint32_t i = 0; i < d->n_used; i++)
            free(d->pend[i].evidence);
    free(d->pend);
    free(d->buckets);
    ot_jw_free(&d->ejw);
    free(d);
}

void ot_detect_set_filter(struct ot_detect *d, const struct ot_detect_filter *flt)
{
    if (flt)
        d->filter = *flt;
    else
        memset(&d->filter, 0, sizeof(d->filter));
}

bool ot_detect_conf_is_home(const struct ot_detect_conf *c, const struct ot_addr *a, bool v6)
{
    for (uint32_t i = 0; i < c->n_home; i++) {
        const struct ot_cidr *n = &c->home[i];
        if (n->v6 != v6)
            continue;
        unsigned full = n->bits / 8, rem = n->bits % 8;
        if (memcmp(a->u.b, n->addr.u.b, full) != 0)
            continue;
        if (rem && (a->u.b[full] & (uint8_t)(0xff << (8 - rem))) != n->addr.u.b[full])
            continue;
        return true;
    }
    return false;
}

bool ot_detect_is_home(const struct ot_detect *d, const struct ot_addr *a, bool v6)
{
    return ot_detect_conf_is_home(&d->conf, a, v6);
}

static size_t det_index(const struct ot_detect *d, const struct ot_detector *det)
{
    for (size_t i = 0; i < d->n_det; i++)
        if (ot_detectors[i] == det)
            return i;
    return 0;
}

bool ot_detect_enabled(const struct ot_detect *d, const struct ot_detector *det)
{
    for (size_t i = 0; i < d->n_det; i++)
        if (ot_detectors[i] == det)
            return d->on[i];
    return false;
}

void ot_detect_count_full(struct ot_detect *d, const struct ot_detector *det)
{
    d->st.table_full[det_index(d, det)]++;
}

void *ot_detect_userdata(const struct ot_detect *d, const char *name)
{
    /* Callers pass string literals: the same pointer, nearly always (hooks ask per flow). */
    for (size_t i = 0; i < OT_ARRAY_SIZE(d->ud); i++)
        if (d->ud[i].name == name)
            return d->ud[i].data;
    for (size_t i = 0; i < OT_ARRAY_SIZE(d->ud); i++)
        if (d->ud[i].name && strcmp(d->ud[i].name, name) == 0)
            return d->ud[i].data;
    return NULL;
}

void ot_detect_set_userdata(struct ot_detect *d, const char *name, void *data)
{
    for (size_t i = 0; i < OT_ARRAY_SIZE(d->ud); i++) {
        if (!d->ud[i].name || strcmp(d->ud[i].name, name) == 0) {
            d->ud[i].name = name;
            d->ud[i].data = data;
            return;
        }
    }
}

uint64_t ot_detect_hash_addr(const struct ot_addr *a, uint64_t seed)
{
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
    h ^= a->u.q[0];
    h *= 0xff51afd7ed558ccdull;
    h ^= a->u.q[1] + (h >> 29);
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 32);
}

struct ot_dn_name *ot_detect_name(struct ot_detect *d, const char *name, size_t len)
{
    if (!d->observing || !d->name_valid || d->name.s != name || d->name.len != len) {
        ot_dn_name_init(&d->name, name, len);
        d->name_valid = true;
    }
    return &d->name;
}

void ot_detect_flow_start(struct ot_detect *d, const struct ot_flow *f, const struct ot_packet *p)
{
    const struct hook_list *l = &d->hooks[H_FLOW_START];
    for (unsigned j = 0; j < l->n; j++) {
        unsigned i = l->det[j];
        ot_detectors[i]->flow_start(d, d->states[i], f, p);
    }
}

void ot_detect_datagram(struct ot_detect *d, const struct ot_lost_datagram *g)
{
    const struct hook_list *l = &d->hooks[H_DATAGRAM];
    for (unsigned j = 0; j < l->n; j++) {
        unsigned i = l->det[j];
        ot_detectors[i]->datagram(d, d->states[i], g);
    }
}

void ot_detect_flow_end(struct ot_detect *d, const struct ot_flow *f)
{
    const struct hook_list *l = &d->hooks[H_FLOW_END];
    for (unsigned j = 0; j < l->n; j++) {
        unsigned i = l->det[j];
        ot_detectors[i]->flow_end(d, d->states[i], f);
    }
}

void ot_detect_observe(struct ot_detect *d, const struct ot_flow *f, const struct ot_obs *o)
{
    unsigned kind = (unsigned)o->kind < OT_OBS__COUNT ? (unsigned)o->kind : OT_OBS__COUNT;
    /* The names the detectors share live on the parser's stack: valid for this call only. */
    d->observing = true;
    d->name_valid = false;
    const struct hook_list *l = &d->obs[kind];
    for (unsigned j = 0; j < l->n; j++) {
        unsigned i = l->det[j];
        ot_detectors[i]->observe(d, d->states[i], f, o);
    }
    d->observing = false;
}

void ot_detect_payload(struct ot_detect *d, const struct ot_flow *f, int dir, const uint8_t *data,
                       size_t len)
{
    const struct hook_list *l = &d->hooks[H_PAYLOAD];
    for (unsigned j = 0; j < l->n; j++) {
        unsigned i = l->det[j];
        ot_detectors[i]->payload(d, d->states[i], f, dir, data, len);
    }
}

/* ---- alerts ---- */

void ot_alert_init_flow(struct ot_alert *a, const struct ot_signature *sig, uint64_t ts_us,
                        const struct ot_flow *f, bool reversed)
{
    memset(a, 0, sizeof(*a));
    a->sig = sig;
    a->ts_us = ts_us;
    a->flow = f;
    a->flow_reversed = reversed;
    a->src = reversed ? f->srv : f->cli;
    a->dst = reversed ? f->cli : f->srv;
    a->sp = reversed ? f->srv_port : f->cli_port;
    a->dp = reversed ? f->cli_port : f->srv_port;
    a->v6 = f->v6;
    a->has_dst = true;
    a->ip_proto = f->ip_proto;
}

void ot_alert_init_addrs(struct ot_alert *a, const struct ot_signature *sig, uint64_t ts_us,
                         const struct ot_addr *src, const struct ot_addr *dst, bool v6,
                         uint8_t ip_proto, uint16_t sp, uint16_t dp)
{
    memset(a, 0, sizeof(*a));
    a->sig = sig;
    a->ts_us = ts_us;
    a->src = *src;
    if (dst) {
        a->dst = *dst;
        a->has_dst = true;
    }
    a->v6 = v6;
    a->ip_proto = ip_proto;
    a->sp = sp;
    a->dp = dp;
}

static struct ot_evidence *next_ev(struct ot_alert *a, const char *key)
{
    if (a->n_ev >= OT_DETECT_MAX_EVIDENCE)
        return NULL;
    struct ot_evidence *e = &a->ev[a->n_ev++];
    memset(e, 0, sizeof(*e));
    e->key = key;
    return e;
}

void ot_alert_str(struct ot_alert *a, const char *key, const char *s, size_t len)
{
    struct ot_evidence *e = next_ev(a, key);
    if (e) {
        e->kind = OT_EV_STR;
        e->s = ot_str_make(s, len);
    }
}

void ot_alert_name(struct ot_alert *a, const char *key, const char *s, size_t len)
{
    struct ot_evidence *e = next_ev(a, key);
    if (e) {
        e->kind = OT_EV_STR;
        e->s = ot_str_make(s, len);
        e->is_name = true;
    }
}

void ot_alert_u64(struct ot_alert *a, const char *key, uint64_t v)
{
    struct ot_evidence *e = next_ev(a, key);
    if (e) {
        e->kind = OT_EV_U64;
        e->u = v;
    }
}

void ot_alert_bool(struct ot_alert *a, const char *key, bool v)
{
    struct ot_evidence *e = next_ev(a, key);
    if (e) {
        e->kind = OT_EV_BOOL;
        e->u = v;
    }
}

void ot_alert_key(struct ot_alert *a, const char *s, size_t len)
{
    /* FNV-1a over the bytes, continuing from the key so far. */
    uint64_t h = a->key_extra ? a->key_extra : 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c - 'A' + 'a');
        h = (h ^ c) * 0x100000001b3ull;
    }
    h = (h ^ 0xff) * 0x100000001b3ull; /* a separator: ("ab","c") differs from ("a","bc") */
    a->key_extra = h ? h : 1;
}

static uint64_t pend_hash(uint32_t sid, const struct ot_addr *src, const struct ot_addr *dst,
                          uint64_t key_extra)
{
    uint64_t h = ot_detect_hash_addr(src, sid ^ key_extra);
    return ot_detect_hash_addr(dst, h);
}

static void age_unlink(struct ot_detect *d, uint32_t i)
{
    struct pending *p = &d->pend[i];
    if (p->prev != NONE)
        d->pend[p->prev].next = p->next;
    else
        d->old_head = p->next;
    if (p->next != NONE)
        d->pend[p->next].prev = p->prev;
    else
        d->old_tail = p->prev;
}

static void write_pending(struct ot_detect *d, const struct pending *p)
{
    char tmp[4], ip[48];
    struct ot_jw *w = ot_eve_begin(d->eve, "alert", p->first_us, NULL, 0);
    if (p->has_flow)
        ot_jw_u64(w, "flow_id", p->flow_id);
    size_t n = ot_addr_fmt(&p->src, p->v6, ip);
    ot_jw_strn(w, "src_ip", ip, n);
    bool ports = p->ip_proto == 6 || p->ip_proto == 17 || p->ip_proto == 132;
    if (ports && p->sp)
        ot_jw_u64(w, "src_port", p->sp);
    if (p->has_dst) {
        n = ot_addr_fmt(&p->dst, p->v6, ip);
        ot_jw_strn(w, "dest_ip", ip, n);
        if (ports && p->dp)
            ot_jw_u64(w, "dest_port", p->dp);
    }
    if (p->ip_proto)
        ot_jw_str(w, "proto", ot_ipproto_name(p->ip_proto, tmp));
    if (p->app_proto)
        ot_jw_str(w, "app_proto", ot_app_proto_name(p->app_proto));
    if (p->community_id[0])
        ot_jw_str(w, "community_id", p->community_id);
    ot_jw_obj_open(w, "alert");
    ot_jw_str(w, "action", "allowed");
    ot_jw_u64(w, "signature_id", p->sig->id);
    ot_jw_str(w, "signature", p->sig->msg);
    ot_jw_str(w, "category", ot_detectors[p->det]->family);
    ot_jw_u64(w, "severity", p->severity);
    ot_jw_u64(w, "count", p->count);
    char ts[OT_TS_LEN + 1];
    ot_jw_strn(w, "first_seen", ts, ot_timefmt_us(&d->eve->tf, p->first_us, ts));
    ot_jw_strn(w, "last_seen", ts, ot_timefmt_us(&d->eve->tf, p->last_us, ts));
    ot_jw_obj_open(w, "metadata");
    ot_jw_str(w, "detector", ot_detectors[p->det]->name);
    ot_jw_arr_open(w, "mitre_technique_id");
    const char *m = p->sig->mitre;
    while (m && *m) {
        const char *comma = strchr(m, ',');
        size_t len = comma ? (size_t)(comma - m) : strlen(m);
        ot_jw_strn(w, NULL, m, len);
        m = comma ? comma + 1 : NULL;
    }
    ot_jw_arr_close(w);
    ot_jw_obj_close(w);
    if (p->evidence)
        ot_jw_raw(w, "evidence", p->evidence, p->evidence_len);
    ot_jw_obj_close(w);
    (void)ot_eve_end(d->eve);
    d->st.alerts_written++;
}

/* Write pending alert i and free its slot. */
static void flush_one(struct ot_detect *d, uint32_t i)
{
    struct pending *p = &d->pend[i];
    write_pending(d, p);
    uint32_t *pp = &d->buckets[p->hash & (d->n_buckets - 1)];
    while (*pp != i)
        pp = &d->pend[*pp].hnext;
    *pp = p->hnext;
    age_unlink(d, i);
    free(p->evidence);
    p->evidence = NULL;
    p->hnext = d->free_head;
    d->free_head = i;
    d->n_pend--;
}

static bool suppressed(struct ot_detect *d, const struct ot_alert *a)
{
    if (!d->filter.suppress)
        return false;
    struct ot_addr addrs[2] = {a->src, a->dst};
    bool v6[2] = {a->v6, a->v6};
    struct ot_str names[OT_DETECT_MAX_EVIDENCE];
    size_t nn = 0;
    for (size_t i = 0; i < a->n_ev; i++)
        if (a->ev[i].is_name && a->ev[i].kind == OT_EV_STR)
            names[nn++] = a->ev[i].s;
    return d->filter.suppress(d->filter.ctx, a->sig->id, addrs, v6, a->has_dst ? 2 : 1, names, nn);
}

static void render_evidence(struct ot_detect *d, const struct ot_alert *a, struct pending *p)
{
    struct ot_jw *w = &d->ejw;
    ot_jw_reset(w);
    ot_jw_obj_open(w, NULL);
    for (size_t i = 0; i < a->n_ev; i++) {
        const struct ot_evidence *e = &a->ev[i];
        switch (e->kind) {
        case OT_EV_STR:
            ot_jw_strn(w, e->key, e->s.s, e->s.len);
            break;
        case OT_EV_U64:
            ot_jw_u64(w, e->key, e->u);
            break;
        case OT_EV_BOOL:
            ot_jw_bool(w, e->key, e->u != 0);
            break;
        case OT_EV_STRS:
            ot_jw_arr_open(w, e->key);
            for (size_t k = 0; k < e->n; k++)
                ot_jw_strn(w, NULL, e->list[k].s, e->list[k].len);
            ot_jw_arr_close(w);
            break;
        }
    }
    ot_jw_obj_close(w);
    if (!ot_jw_ok(w))
        return; /* evidence too large: the alert goes out without it */
    p->evidence = malloc(w->len);
    if (p->evidence) {
        memcpy(p->evidence, w->buf, w->len);
        p->evidence_len = w->len;
    }
}

void ot_detect_alert(struct ot_detect *d, const struct ot_detector *det, const struct ot_alert *a)
{
    size_t di = det_index(d, det);
    d->st.alerts_raised++;
    d->st.by_detector[di]++;
    if (suppressed(d, a)) {
        d->st.alerts_allowlisted++;
        return;
    }
    static const struct ot_addr zero;
    const struct ot_addr *dst = a->has_dst ? &a->dst : &zero;
    uint64_t h = pend_hash(a->sig->id, &a->src, dst, a->key_extra);
    for (uint32_t i = d->buckets[h & (d->n_buckets - 1)]; i != NONE; i = d->pend[i].hnext) {
        struct pending *p = &d->pend[i];
        if (p->hash == h && p->sid == a->sig->id && p->v6 == a->v6 &&
            p->key_extra == a->key_extra && ot_addr_eq(&p->src, &a->src) &&
            ot_addr_eq(&p->dst, dst)) {
            p->count++;
            if (a->ts_us > p->last_us)
                p->last_us = a->ts_us;
            d->st.alerts_merged++;
            return;
        }
    }
    uint32_t i;
    if (d->free_head == NONE && d->n_used < d->conf.alert_max_pending) {
        i = d->n_used++;
    } else {
        if (d->free_head == NONE) {
            d->st.pending_full++;
            flush_one(d, d->old_head);
        }
        i = d->free_head;
        d->free_head = d->pend[i].hnext;
    }
    struct pending *p = &d->pend[i];
    memset(p, 0, sizeof(*p));
    p->sid = a->sig->id;
    p->sig = a->sig;
    p->det = (uint16_t)di;
    p->ip_proto = a->ip_proto;
    p->severity = a->severity ? a->severity : a->sig->severity;
    p->v6 = a->v6;
    p->has_dst = a->has_dst;
    p->sp = a->sp;
    p->dp = a->dp;
    p->src = a->src;
    p->dst = *dst;
    p->key_extra = a->key_extra;
    if (a->flow) {
        p->has_flow = true;
        p->flow_id = a->flow->flow_id;
        p->app_proto = a->flow->app_proto;
        memcpy(p->community_id, a->flow->community_id, sizeof(p->community_id));
    }
    p->first_us = p->last_us = a->ts_us;
    p->count = 1;
    render_evidence(d, a, p);
    p->hash = h;
    uint32_t *b = &d->buckets[h & (d->n_buckets - 1)];
    p->hnext = *b;
    *b = i;
    p->next = NONE;
    p->prev = d->old_tail;
    if (d->old_tail != NONE)
        d->pend[d->old_tail].next = i;
    else
        d->old_head = i;
    d->old_tail = i;
    d->n_pend++;
}

void ot_detect_tick(struct ot_detect *d, uint64_t now_us)
{
    d->now_us = now_us;
    const struct hook_list *l = &d->hooks[H_TICK];
    for (unsigned j = 0; j < l->n; j++) {
        unsigned i = l->det[j];
        ot_detectors[i]->tick(d, d->states[i], now_us);
    }
    uint64_t quiet = (uint64_t)d->conf.alert_quiet_s * 1000000u;
    uint64_t hold = (uint64_t)d->conf.alert_max_hold_s * 1000000u;
    for (uint32_t i = d->old_head; i != NONE;) {
        struct pending *p = &d->pend[i];
        uint32_t next = p->next;
        if (now_us >= p->last_us + quiet || now_us >= p->first_us + hold)
            flush_one(d, i);
        i = next;
    }
}

void ot_detect_finish(struct ot_detect *d)
{
    while (d->old_head != NONE)
        flush_one(d, d->old_head);
}

const struct ot_detect_stats *ot_detect_stats(const struct ot_detect *d)
{
    return &d->st;
}
