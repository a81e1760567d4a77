/*
 * scan: port scans (many ports on one host), host sweeps (one port on many
 * hosts), the same over UDP, and ping sweeps.
 *
 * What tells a scan from a busy client is failure, not volume.  A browser
 * opens hundreds of connections to dozens of web servers, but it sends data
 * on every one of them; a scanner sends a SYN (or a NULL/FIN/Xmas probe)
 * and learns what it wants from the answer, or from the silence.  So a TCP
 * flow counts only when the client sent no payload at all, and then
 *   - as a full "failed" attempt when the server never completed the
 *     handshake (no answer: filtered; a RST: closed port);
 *   - as half an attempt when the handshake completed but the client said
 *     nothing and tore the connection down with a RST (a SYN scan's open
 *     ports, nmap's connect scan) or not at all; only half, because an
 *     open port that was never used is weaker evidence.  A browser's unused
 *     preconnection also carries no data, but it ends with a FIN: it does
 *     not count.
 * A UDP flow counts when the client sent at most three datagrams and got no
 * answer (an ICMP port unreachable is a separate flow: the UDP flow itself
 * stays unanswered, which is what we use).  Multicast and broadcast
 * destinations, traceroute's ports and the one-way UDP protocols (syslog,
 * SNMP traps, NetBIOS and discovery broadcasts) never count.  A ping sweep
 * counts echo requests to distinct hosts, answered or not.
 *
 * The decision is made when the flow ends (its answer is known by then: an
 * unanswered SYN ends after the flow table's new-flow timeout), and each
 * attempt is dated by the flow's start.  Per source we keep sliding windows
 * of distinct targets (detect-window.h): ports per (source, host) and hosts
 * per (source, port), per transport.  An alert is raised when the weighted
 * count reaches the threshold, then for every further new target while the
 * window stays at or above it (paced by ot_dwin_raise_due()).  The repeats
 * merge (detect.h), so a fast scan is one line (one per max-hold if it
 * lasts) whose count is the targets from the threshold on and whose
 * last_seen says how long it lasted; a slow one at most a line per window.
 * The evidence is the picture when the line was opened.
 *
 * Severity: reconnaissance from an inside host (a compromised PC, a worm)
 * is medium; the Internet's constant background scanning of a public
 * address is low.
 */
#include <stdio.h>
#include <string.h>

#include "detect/detect-window.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "otasuke/error.h"

extern const struct ot_detector ot_detector_scan;

enum { K_TCP_PORTS = 0, K_TCP_HOSTS, K_UDP_PORTS, K_UDP_HOSTS, K_PING, K__COUNT };

/* Weights: a failed attempt counts fully; a handshake the client then left unused, half. */
#define W_FAILED 2u
#define W_HALF   1u

/* Seconds an idle entry outlives its window: attempts are reported when their flow ends,
 * up to the flow table's timeouts (30 s for unanswered, 60 s for UDP) after they started. */
#define EXPIRE_SLACK_S 120u

/* UDP probes: at most this many datagrams and no answer. */
#define UDP_PROBE_MAX_PKTS 3u

#define SAMPLE_MAX 16

static const struct ot_signature sigs[] = {
    /* [kind * 2] from an inside source, [kind * 2 + 1] from outside */
    {8101001, "Port scan: an inside host probed many TCP ports on one host", 2, "T1046"},
    {8101002, "Port scan from outside: many TCP ports probed on one host", 3, "T1595"},
    {8101003, "Host sweep: an inside host probed one TCP port on many hosts", 2, "T1046,T1018"},
    {8101004, "Host sweep from outside: one TCP port probed on many hosts", 3, "T1595.001"},
    {8101005, "UDP port scan: an inside host probed many UDP ports on one host", 2, "T1046"},
    {8101006, "UDP port scan from outside: many UDP ports probed on one host", 3, "T1595"},
    {8101007, "UDP host sweep: an inside host probed one UDP port on many hosts", 2, "T1046,T1018"},
    {8101008, "UDP host sweep from outside: one UDP port probed on many hosts", 3, "T1595.001"},
    {8101009, "Ping sweep: an inside host pinged many hosts", 2, "T1018"},
    {8101010, "Ping sweep from outside: many hosts pinged", 3, "T1595.001"},
};

enum { P_WINDOW = 0, P_PORTS, P_HOSTS, P_UDP_PORTS, P_UDP_HOSTS, P_PING_HOSTS, P_MAX_ENTRIES };

static const struct ot_detect_param params[] = {
    {"window", 300, 10, 86400, "seconds over which distinct targets are counted"},
    {"ports", 15, 3, 256, "failed TCP ports on one host that make a port scan"},
    {"hosts", 25, 3, 256, "hosts failing on one TCP port that make a host sweep"},
    {"udp-ports", 15, 3, 256, "unanswered UDP ports on one host that make a UDP port scan"},
    {"udp-hosts", 25, 3, 256, "hosts not answering one UDP port that make a UDP host sweep"},
    {"ping-hosts", 25, 3, 256, "hosts pinged by one source that make a ping sweep"},
    {"max-entries", 4096, 64, 262144, "(source, target) pairs tracked at once (oldest evicted)"},
};

struct scan_state {
    struct ot_dwin tab;
    uint32_t window_s;
    uint32_t thr[K__COUNT];
};

static int init(struct ot_detect *d, void *state, const uint64_t *p)
{
    struct scan_state *s = state;
    s->window_s = (uint32_t)p[P_WINDOW];
    s->thr[K_TCP_PORTS] = (uint32_t)p[P_PORTS];
    s->thr[K_TCP_HOSTS] = (uint32_t)p[P_HOSTS];
    s->thr[K_UDP_PORTS] = (uint32_t)p[P_UDP_PORTS];
    s->thr[K_UDP_HOSTS] = (uint32_t)p[P_UDP_HOSTS];
    s->thr[K_PING] = (uint32_t)p[P_PING_HOSTS];
    uint32_t max_thr = 0;
    for (int k = 0; k < K__COUNT; k++)
        if (s->thr[k] > max_thr)
            max_thr = s->thr[k];
    /* Room for a threshold's worth of half-weight targets. */
    return ot_dwin_init(&s->tab, d, &ot_detector_scan, (uint32_t)p[P_MAX_ENTRIES],
                        max_thr * W_FAILED, s->window_s);
}

static void fini(void *state)
{
    struct scan_state *s = state;
    ot_dwin_free(&s->tab);
}

static bool port_kind(int kind)
{
    return kind == K_TCP_PORTS || kind == K_UDP_PORTS;
}

/* "21,22,23" or "192.0.2.1,192.0.2.7": the smallest few targets, for the evidence. */
static size_t fmt_sample(const struct scan_state *s, const struct ot_dwin_entry *e, int kind,
                         char *out, size_t cap)
{
    uint32_t v[SAMPLE_MAX];
    size_t n = ot_dwin_values(&s->tab, e, v, port_kind(kind) ? SAMPLE_MAX : 8);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w;
        if (port_kind(kind))
            w = snprintf(out + used, cap - used, "%s%u", i ? "," : "", v[i]);
        else
            w = snprintf(out + used, cap - used, "%s%u.%u.%u.%u", i ? "," : "", v[i] >> 24,
                         (v[i] >> 16) & 0xff, (v[i] >> 8) & 0xff, v[i] & 0xff);
        if (w < 0 || (size_t)w >= cap - used) {
            out[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    return used;
}

static void raise_alert(struct ot_detect *d, struct scan_state *s, struct ot_dwin_entry *e,
                        int kind, uint8_t ip_proto)
{
    const struct ot_dwin_key *k = &e->key;
    bool inside = ot_detect_is_home(d, &k->a, k->v6);
    const struct ot_signature *sig = &sigs[kind * 2 + (inside ? 0 : 1)];
    struct ot_alert a;
    if (port_kind(kind))
        ot_alert_init_addrs(&a, sig, e->newest_us, &k->a, &k->b, k->v6, ip_proto, 0, 0);
    else /* one source, many hosts: one-sided, so every sweep of this source merges */
        ot_alert_init_addrs(&a, sig, e->newest_us, &k->a, NULL, k->v6, ip_proto, 0, 0);
    uint32_t distinct = e->n;
    ot_alert_u64(&a, port_kind(kind) ? "distinct_ports" : "distinct_hosts", distinct);
    if (kind != K_PING)
        ot_alert_u64(&a, port_kind(kind) ? "failed_ports" : "failed_hosts",
                     ot_dwin_count_weight(&s->tab, e, W_FAILED));
    if (kind == K_TCP_HOSTS || kind == K_UDP_HOSTS)
        ot_alert_u64(&a, "dest_port", k->port);
    ot_alert_u64(&a, "seconds", ot_dwin_span_s(&s->tab, e));
    ot_alert_u64(&a, "window_s", s->window_s);
    char sample[160];
    size_t n = 0;
    if (port_kind(kind) || !k->v6)
        n = fmt_sample(s, e, kind, sample, sizeof(sample));
    if (n)
        ot_alert_str(&a, port_kind(kind) ? "ports" : "hosts", sample, n);
    ot_detect_alert(d, &ot_detector_scan, &a);
}

/* Count one attempt on one target and alert when the window holds enough. */
static void attempt(struct ot_detect *d, struct scan_state *s, int kind, const struct ot_addr *src,
                    const struct ot_addr *dst, bool v6, uint16_t dport, uint8_t ip_proto,
                    uint32_t weight, uint64_t t_us, uint64_t now_us)
{
    struct ot_dwin_key k;
    uint32_t val;
    if (port_kind(kind)) {
        ot_dwin_key_make(&k, src, dst, v6, 0, (uint8_t)kind);
        val = dport;
    } else {
        ot_dwin_key_make(&k, src, NULL, v6, kind == K_PING ? 0 : dport, (uint8_t)kind);
        val = ot_dwin_addr_val(dst, v6);
    }
    struct ot_dwin_entry *e = ot_dwin_get(&s->tab, &k, now_us);
    uint64_t before = e->added;
    ot_dwin_add(&s->tab, e, val, weight, t_us, true);
    if (ot_dwin_weight(&s->tab, e) < s->thr[kind] * W_FAILED)
        return;
    /*
     * Every new target from the one that crossed the threshold on is an
     * occurrence (a target probed again is not); the engine merges them into
     * one line with a count (detect.h, detect-window.h).
     */
    if (e->raised_us && e->added == before)
        return;
    if (ot_dwin_raise_due(e, e->newest_us, s->window_s))
        raise_alert(d, s, e, kind, ip_proto);
}

/* How much a TCP flow says "probe": 0 not at all, W_HALF or W_FAILED. */
static uint32_t tcp_weight(const struct ot_flow *f)
{
    uint8_t c = f->tcp_flags[0], sv = f->tcp_flags[1];
    if (f->pkts[0] == 0 || (f->detect_seen & 1))
        return 0; /* only answers seen (backscatter), or the client used the connection */
    bool syn = c & OT_TH_SYN;
    /* NULL, FIN and Xmas probes carry no SYN and no ACK; bare ACKs are mid-stream traffic. */
    bool stealth = !syn && !(c & (OT_TH_ACK | OT_TH_RST));
    if (!syn && !stealth)
        return 0;
    bool synack = (sv & (OT_TH_SYN | OT_TH_ACK)) == (OT_TH_SYN | OT_TH_ACK);
    if (!synack)
        return W_FAILED;
    /*
     * Open port, nothing said.  Scanners tear down with a RST (a SYN scan's
     * kernel, nmap's connect scan); a browser closes an unused preconnection
     * politely with a FIN: that one is not a probe at all.
     */
    if ((c & OT_TH_FIN) && !(c & OT_TH_RST))
        return 0;
    return W_HALF;
}

/* Destination ports whose unanswered UDP is normal: one-way or broadcast protocols. */
static bool udp_quiet_port(uint16_t p)
{
    switch (p) {
    case 67: /* DHCP */
    case 68:
    case 137: /* NetBIOS name and datagram services */
    case 138:
    case 162:  /* SNMP traps */
    case 514:  /* syslog */
    case 1900: /* SSDP */
    case 2055: /* NetFlow */
    case 3702: /* WS-Discovery */
    case 4739: /* IPFIX */
    case 5353: /* mDNS */
    case 5355: /* LLMNR */
    case 6343: /* sFlow */
        return true;
    default:
        /* traceroute's default UDP ports */
        return p >= 33434 && p <= 33534;
    }
}

static bool udp_probe(const struct ot_flow *f)
{
    if (f->pkts[0] == 0 || f->pkts[1] != 0 || f->pkts[0] > UDP_PROBE_MAX_PKTS)
        return false;
    if (udp_quiet_port(f->srv_port))
        return false;
    /* From a well-known port to a high one: a reply whose request was not captured. */
    if (f->cli_port < 1024 && f->srv_port >= 1024)
        return false;
    return true;
}

static void flow_end(struct ot_detect *d, void *state, const struct ot_flow *f)
{
    struct scan_state *s = state;
    if (ot_addr_eq(&f->cli, &f->srv) || ot_dwin_addr_is_group(&f->srv, f->v6))
        return;
    uint32_t w;
    int kp, kh;
    if (f->ip_proto == 6) {
        w = tcp_weight(f);
        kp = K_TCP_PORTS;
        kh = K_TCP_HOSTS;
    } else if (f->ip_proto == 17) {
        w = udp_probe(f) ? W_FAILED : 0;
        kp = K_UDP_PORTS;
        kh = K_UDP_HOSTS;
    } else {
        return;
    }
    if (!w)
        return;
    attempt(d, s, kp, &f->cli, &f->srv, f->v6, f->srv_port, f->ip_proto, w, f->start_us,
            f->last_us);
    attempt(d, s, kh, &f->cli, &f->srv, f->v6, f->srv_port, f->ip_proto, w, f->start_us,
            f->last_us);
}

/* Pings are counted at the first echo request: whether it is answered does not matter. */
static void flow_start(struct ot_detect *d, void *state, const struct ot_flow *f,
                       const struct ot_packet *p)
{
    struct scan_state *s = state;
    bool echo =
        (p->ip_proto == 1 && p->icmp_type == 8) || (p->ip_proto == 58 && p->icmp_type == 128);
    if (!echo || !(p->flags & OT_PKT_ICMP) || ot_addr_eq(&p->src, &p->dst) ||
        ot_dwin_addr_is_group(&p->dst, f->v6))
        return;
    attempt(d, s, K_PING, &p->src, &p->dst, f->v6, 0, p->ip_proto, W_FAILED, p->ts_us, p->ts_us);
}

static void tick(struct ot_detect *d, void *state, uint64_t now_us)
{
    struct scan_state *s = state;
    ot_dwin_expire(&s->tab, now_us, EXPIRE_SLACK_S);
}

const struct ot_detector ot_detector_scan = {
    .name = "scan",
    .family = "scan",
    .summary =
        "port scans, host sweeps (TCP and UDP) and ping sweeps: many failed probes from one source",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct scan_state),
    .init = init,
    .free = fini,
    .flow_start = flow_start,
    .flow_end = flow_end,
    .tick = tick,
};
