/*
 * ioc: traffic to, from or about a known-bad IP, network, domain, URL,
 * certificate or TLS client fingerprint.
 *
 * The indicator set is the one the sensor publishes as userdata
 * "indicators" (lib/indicators/indicators.h): the sensor swaps it between
 * packets when a reload finishes, so every lookup here sees one whole set.
 * Checked: both ends of every flow (at its first packet) and of every
 * fragmented datagram that was never reassembled, DNS query names,
 * DNS answers (addresses and CNAME targets), TLS SNI, JA3, JA4 and the
 * server certificate's SHA-1, HTTP host and URL.
 *
 * Alerts between the same two hosts merge only when they name the same
 * indicator (type and value): a second indicator is a new alert line with
 * its own evidence.
 *
 * Severity follows the indicator's confidence: >= high-confidence is 1,
 * >= medium-confidence is 2, else 3 (both are parameters).
 */
#include <string.h>

#include "detect/detect.h"
#include "flow/flow.h"
#include "indicators/indicators.h"

extern const struct ot_detector ot_detector_ioc;

#define MITRE_C2 "T1071"

enum {
    SIG_IP = 0,
    SIG_DNS_QUERY,
    SIG_DNS_ANSWER,
    SIG_TLS_SNI,
    SIG_HTTP_HOST,
    SIG_URL,
    SIG_JA3,
    SIG_JA4,
    SIG_CERT,
};

static const struct ot_signature sigs[] = {
    [SIG_IP] = {8100001, "Traffic with a listed IP address or network", 1, MITRE_C2},
    [SIG_DNS_QUERY] = {8100002, "DNS query for a listed domain", 1, "T1071.004"},
    [SIG_DNS_ANSWER] = {8100003, "DNS answer points to a listed address or domain", 1, "T1071.004"},
    [SIG_TLS_SNI] = {8100004, "TLS connection to a listed domain (SNI)", 1, "T1071.001,T1573"},
    [SIG_HTTP_HOST] = {8100005, "HTTP request to a listed domain", 1, "T1071.001"},
    [SIG_URL] = {8100006, "HTTP request for a listed URL", 1, "T1071.001,T1105"},
    [SIG_JA3] = {8100007, "TLS client fingerprint (JA3) of a listed tool", 1, "T1071.001,T1573"},
    [SIG_JA4] = {8100008, "TLS client fingerprint (JA4) of a listed tool", 1, "T1071.001,T1573"},
    [SIG_CERT] = {8100009, "TLS server certificate on a blocklist (SHA-1)", 1, "T1573,T1587.003"},
};

enum { P_HIGH = 0, P_MEDIUM };

static const struct ot_detect_param params[] = {
    [P_HIGH] = {"severity-high-confidence", 80, 0, 100,
                "indicator confidence (0-100) at or above which an alert has severity 1"},
    [P_MEDIUM] = {"severity-medium-confidence", 50, 0, 100,
                  "confidence at or above which severity is 2 (below: 3)"},
};

struct ioc_state {
    uint8_t high, medium;
};

static int init(struct ot_detect *d, void *state, const uint64_t *p)
{
    struct ioc_state *st = state;
    st->high = (uint8_t)p[P_HIGH];
    st->medium = (uint8_t)p[P_MEDIUM];
    return 0;
}

static const struct ot_ioc_set *set_of(const struct ot_detect *d)
{
    return ot_detect_userdata(d, "indicators");
}

/*
 * Raise one alert for `hit` on flow `f`, or (f NULL) between the addresses of
 * the lost datagram `g`; `what` names where the value was seen.
 */
static void raise(struct ot_detect *d, const struct ioc_state *st, const struct ot_flow *f,
                  const struct ot_lost_datagram *g, int sig, uint64_t ts, const char *what,
                  const char *seen, size_t seen_len, bool seen_is_name,
                  const struct ot_ioc_hit *hit)
{
    struct ot_alert a;
    if (f)
        ot_alert_init_flow(&a, &sigs[sig], ts, f, false);
    else
        ot_alert_init_addrs(&a, &sigs[sig], ts, &g->src, &g->dst, g->v6, g->ip_proto, 0, 0);
    a.severity = hit->confidence >= st->high ? 1 : hit->confidence >= st->medium ? 2 : 3;
    /* Repeats of one indicator between two hosts merge; another indicator is another alert. */
    const char *type = ot_ioc_type_name(hit->type);
    ot_alert_key(&a, type, strlen(type));
    ot_alert_key(&a, hit->value, strlen(hit->value));
    ot_alert_str(&a, "matched", what, strlen(what));
    if (seen_is_name)
        ot_alert_name(&a, "seen", seen, seen_len);
    else
        ot_alert_str(&a, "seen", seen, seen_len);
    ot_alert_str(&a, "indicator_type", type, strlen(type));
    ot_alert_str(&a, "indicator", hit->value, strlen(hit->value));
    ot_alert_str(&a, "indicator_category", hit->category, strlen(hit->category));
    ot_alert_str(&a, "indicator_source", hit->source, strlen(hit->source));
    ot_alert_u64(&a, "indicator_confidence", hit->confidence);
    ot_alert_str(&a, "indicator_file", hit->file, strlen(hit->file));
    ot_alert_u64(&a, "indicator_line", hit->line);
    if (!f)
        ot_alert_bool(&a, "fragments_not_reassembled", true);
    ot_detect_alert(d, &ot_detector_ioc, &a);
}

static void check_ip(struct ot_detect *d, const struct ioc_state *st, const struct ot_ioc_set *set,
                     const struct ot_flow *f, const struct ot_lost_datagram *g, int sig,
                     uint64_t ts, const char *what, const struct ot_addr *addr, bool v6)
{
    struct ot_ioc_hit hit;
    if (!ot_ioc_match_ip(set, addr->u.b, v6, &hit))
        return;
    char text[48];
    size_t n = ot_addr_fmt(addr, v6, text);
    raise(d, st, f, g, sig, ts, what, text, n, false, &hit);
}

static void check_name(struct ot_detect *d, const struct ioc_state *st,
                       const struct ot_ioc_set *set, const struct ot_flow *f, int sig, uint64_t ts,
                       const char *what, struct ot_str name)
{
    struct ot_ioc_hit hit;
    if (name.len && ot_ioc_match_domain(set, name.s, name.len, &hit))
        raise(d, st, f, NULL, sig, ts, what, name.s, name.len, true, &hit);
}

static void check_hash(struct ot_detect *d, const struct ioc_state *st,
                       const struct ot_ioc_set *set, const struct ot_flow *f, int sig, uint64_t ts,
                       const char *what, enum ot_ioc_type type, struct ot_str text)
{
    struct ot_ioc_hit hit;
    if (text.len && ot_ioc_match_hash(set, type, text.s, text.len, &hit))
        raise(d, st, f, NULL, sig, ts, what, text.s, text.len, false, &hit);
}

static void flow_start(struct ot_detect *d, void *state, const struct ot_flow *f,
                       const struct ot_packet *p)
{
    const struct ot_ioc_set *set = set_of(d);
    if (!set)
        return;
    check_ip(d, state, set, f, NULL, SIG_IP, p->ts_us, "dest_ip", &f->srv, f->v6);
    check_ip(d, state, set, f, NULL, SIG_IP, p->ts_us, "src_ip", &f->cli, f->v6);
}

/* Fragments that never made a flow: their addresses were on the wire all the same. */
static void datagram(struct ot_detect *d, void *state, const struct ot_lost_datagram *g)
{
    const struct ot_ioc_set *set = set_of(d);
    if (!set)
        return;
    check_ip(d, state, set, NULL, g, SIG_IP, g->first_us, "dest_ip", &g->dst, g->v6);
    check_ip(d, state, set, NULL, g, SIG_IP, g->first_us, "src_ip", &g->src, g->v6);
}

/* HTTP Host without its port, for the domain match. */
static struct ot_str host_only(struct ot_str h)
{
    if (!h.len)
        return h; /* no Host header (HTTP/1.0): s may be NULL */
    if (h.s[0] == '[')
        return h; /* an IPv6 literal: no domain to match anyway */
    const char *colon = memchr(h.s, ':', h.len);
    if (colon)
        h.len = (size_t)(colon - h.s);
    return h;
}

static void observe(struct ot_detect *d, void *state, const struct ot_flow *f,
                    const struct ot_obs *o)
{
    const struct ot_ioc_set *set = set_of(d);
    const struct ioc_state *st = state;
    if (!set)
        return;
    switch (o->kind) {
    case OT_OBS_DNS_QUERY:
        check_name(d, st, set, f, SIG_DNS_QUERY, o->ts_us, "dns.rrname", o->u.dns.qname);
        break;
    case OT_OBS_DNS_ANSWER:
        for (uint16_t i = 0; i < o->u.dns.n_rrs; i++) {
            const struct ot_obs_dns_rr *rr = &o->u.dns.rrs[i];
            if (rr->rtype == 1 || rr->rtype == 28)
                check_ip(d, st, set, f, NULL, SIG_DNS_ANSWER, o->ts_us, "dns.answers.rdata",
                         &rr->addr, rr->rtype == 28);
            else if (rr->name.len)
                check_name(d, st, set, f, SIG_DNS_ANSWER, o->ts_us, "dns.answers.rdata", rr->name);
        }
        break;
    case OT_OBS_TLS:
        check_name(d, st, set, f, SIG_TLS_SNI, o->ts_us, "tls.sni", o->u.tls.sni);
        check_hash(d, st, set, f, SIG_JA3, o->ts_us, "tls.ja3.hash", OT_IOC_JA3, o->u.tls.ja3);
        check_hash(d, st, set, f, SIG_JA4, o->ts_us, "tls.ja4", OT_IOC_JA4, o->u.tls.ja4);
        check_hash(d, st, set, f, SIG_CERT, o->ts_us, "tls.fingerprint", OT_IOC_SHA1,
                   o->u.tls.cert_sha1);
        break;
    case OT_OBS_HTTP: {
        struct ot_ioc_hit hit;
        const struct ot_obs_http *h = &o->u.http;
        if (h->uri.len &&
            ot_ioc_match_url(set, h->host.s, h->host.len, h->uri.s, h->uri.len, &hit)) {
            raise(d, st, f, NULL, SIG_URL, o->ts_us, "http.url", h->uri.s, h->uri.len, false, &hit);
            break; /* the URL says more than its host */
        }
        check_name(d, st, set, f, SIG_HTTP_HOST, o->ts_us, "http.hostname", host_only(h->host));
        break;
    }
    default:
        break;
    }
}

const struct ot_detector ot_detector_ioc = {
    .name = "ioc",
    .family = "ioc",
    .summary = "traffic to, from or about a listed IP, domain, URL, certificate or JA3/JA4",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct ioc_state),
    .init = init,
    .flow_start = flow_start,
    .datagram = datagram,
    .observe = observe,
    .obs_kinds = OT_OBS_BIT(OT_OBS_DNS_QUERY) | OT_OBS_BIT(OT_OBS_DNS_ANSWER) |
                 OT_OBS_BIT(OT_OBS_TLS) | OT_OBS_BIT(OT_OBS_HTTP),
};
