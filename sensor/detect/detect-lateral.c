/*
 * lateral: one inside host reaching the Windows remote-administration
 * services (SMB, RDP, WinRM, RPC/DCOM) on many inside hosts.
 *
 * Office PCs talk SMB to a file server or two and RDP to a terminal server;
 * they do not open admin shares, remote desktops or remote shells on ten
 * colleagues' machines within minutes.  Ransomware operators and worms do
 * (PsExec, WMI, WinRM, RDP hopping), right before encrypting everything.
 *
 * A target counts when the service answered (the server sent data, or at
 * least completed the TCP handshake): a sweep of closed ports is the scan
 * detector's host sweep; this one fires when the service was actually
 * reached on many hosts.  Distinct targets per (source, service) are kept
 * in a sliding window (detect-window.h); the alert is one-sided (source
 * only), raised when the window holds `hosts` targets and again for every
 * further new host (paced by ot_dwin_raise_due()), so the merged line's
 * count is the hosts reached from the threshold on.
 */
#include <stdio.h>
#include <string.h>

#include "detect/detect-window.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "otasuke/error.h"

extern const struct ot_detector ot_detector_lateral;

enum svc { L_SMB = 0, L_RDP, L_WINRM, L_RPC, L__COUNT };

static const char *const svc_name[L__COUNT] = {"smb", "rdp", "winrm", "rpc"};

static const struct ot_signature sigs[] = {
    {8109001,
     "Lateral movement: one inside host reached SMB (file sharing/admin shares) on many inside "
     "hosts",
     1, "T1021.002,T1570"},
    {8109002, "Lateral movement: one inside host reached RDP (remote desktop) on many inside hosts",
     1, "T1021.001"},
    {8109003,
     "Lateral movement: one inside host reached WinRM (remote PowerShell) on many inside hosts", 1,
     "T1021.006"},
    {8109004, "Lateral movement: one inside host reached RPC/DCOM (WMI) on many inside hosts", 2,
     "T1021.003,T1047"},
};

enum { P_WINDOW = 0, P_HOSTS, P_SMB, P_RDP, P_WINRM, P_RPC, P_MAX_ENTRIES };

static const struct ot_detect_param params[] = {
    {"window", 600, 10, 86400, "seconds over which distinct inside targets are counted"},
    {"hosts", 10, 2, 256, "inside hosts reached on one service by one inside source"},
    {"smb", 1, 0, 1, "1: watch SMB (445, 139)"},
    {"rdp", 1, 0, 1, "1: watch RDP (3389)"},
    {"winrm", 1, 0, 1, "1: watch WinRM (5985, 5986)"},
    {"rpc", 1, 0, 1, "1: watch RPC endpoint mapper (135), used by WMI and DCOM"},
    {"max-entries", 4096, 64, 262144, "(source, service) pairs tracked at once (oldest evicted)"},
};

#define EXPIRE_SLACK_S 120u

struct lat_state {
    struct ot_dwin tab;
    bool on[L__COUNT];
    uint32_t window_s, hosts;
};

static int init(struct ot_detect *d, void *state, const uint64_t *p)
{
    struct lat_state *s = state;
    s->window_s = (uint32_t)p[P_WINDOW];
    s->hosts = (uint32_t)p[P_HOSTS];
    for (int i = 0; i < L__COUNT; i++)
        s->on[i] = p[P_SMB + i] != 0;
    return ot_dwin_init(&s->tab, d, &ot_detector_lateral, (uint32_t)p[P_MAX_ENTRIES], s->hosts * 2,
                        s->window_s);
}

static void fini(void *state)
{
    struct lat_state *s = state;
    ot_dwin_free(&s->tab);
}

static int svc_of(const struct lat_state *s, uint16_t port)
{
    int svc;
    switch (port) {
    case 445:
    case 139:
        svc = L_SMB;
        break;
    case 3389:
        svc = L_RDP;
        break;
    case 5985:
    case 5986:
        svc = L_WINRM;
        break;
    case 135:
        svc = L_RPC;
        break;
    default:
        return -1;
    }
    return s->on[svc] ? svc : -1;
}

static void raise_alert(struct ot_detect *d, struct lat_state *s, const struct ot_flow *f,
                        struct ot_dwin_entry *e, int svc)
{
    struct ot_alert a;
    ot_alert_init_addrs(&a, &sigs[svc], e->newest_us, &f->cli, NULL, f->v6, 6, 0, 0);
    ot_alert_str(&a, "service", svc_name[svc], strlen(svc_name[svc]));
    ot_alert_u64(&a, "distinct_hosts", e->n);
    ot_alert_u64(&a, "seconds", ot_dwin_span_s(&s->tab, e));
    ot_alert_u64(&a, "window_s", s->window_s);
    char hosts[8 * 16 + 1] = ""; /* the alert points at it until ot_detect_alert() */
    if (!f->v6) {
        uint32_t v[8];
        size_t n = ot_dwin_values(&s->tab, e, v, 8), used = 0;
        for (size_t i = 0; i < n; i++) {
            int w = snprintf(hosts + used, sizeof(hosts) - used, "%s%u.%u.%u.%u", i ? "," : "",
                             v[i] >> 24, (v[i] >> 16) & 0xff, (v[i] >> 8) & 0xff, v[i] & 0xff);
            if (w < 0 || (size_t)w >= sizeof(hosts) - used)
                break;
            used += (size_t)w;
        }
        hosts[used] = '\0';
        if (used)
            ot_alert_str(&a, "hosts", hosts, used);
    }
    ot_detect_alert(d, &ot_detector_lateral, &a);
}

static void reached(struct ot_detect *d, struct lat_state *s, const struct ot_flow *f,
                    uint64_t t_us)
{
    if (f->ip_proto != 6)
        return;
    int svc = svc_of(s, f->srv_port);
    if (svc < 0 || ot_addr_eq(&f->cli, &f->srv))
        return;
    if (!ot_detect_is_home(d, &f->cli, f->v6) || !ot_detect_is_home(d, &f->srv, f->v6))
        return;
    /* Only when we saw who opened it: a guessed direction could invert client and server. */
    if (!(f->tcp_flags[0] & OT_TH_SYN))
        return;
    struct ot_dwin_key k;
    ot_dwin_key_make(&k, &f->cli, NULL, f->v6, 0, (uint8_t)svc);
    struct ot_dwin_entry *e = ot_dwin_get(&s->tab, &k, t_us);
    uint64_t before = e->added;
    uint32_t n = ot_dwin_add(&s->tab, e, ot_dwin_addr_val(&f->srv, f->v6), 1, t_us, true);
    if (n < s->hosts)
        return;
    /* Every new host from the threshold on is an occurrence: they merge into one line. */
    if (e->raised_us && e->added == before)
        return;
    if (ot_dwin_raise_due(e, e->newest_us, s->window_s))
        raise_alert(d, s, f, e, svc);
}

/* The server's first payload: the service answered (counted at once, not when the flow ends). */
static void payload(struct ot_detect *d, void *state, const struct ot_flow *f, int dir,
                    const uint8_t *data, size_t len)
{
    if (dir == 1)
        reached(d, state, f, f->start_us);
}

/* A handshake without server data (payload() counted the others; distinct sets ignore repeats). */
static void flow_end(struct ot_detect *d, void *state, const struct ot_flow *f)
{
    if (f->ip_proto != 6 || (f->detect_seen & 2))
        return;
    if ((f->tcp_flags[1] & (OT_TH_SYN | OT_TH_ACK)) == (OT_TH_SYN | OT_TH_ACK))
        reached(d, state, f, f->start_us);
}

static void tick(struct ot_detect *d, void *state, uint64_t now_us)
{
    struct lat_state *s = state;
    ot_dwin_expire(&s->tab, now_us, EXPIRE_SLACK_S);
}

const struct ot_detector ot_detector_lateral = {
    .name = "lateral",
    .family = "lateral-movement",
    .summary = "one inside host reaching SMB, RDP, WinRM or RPC on many inside hosts",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct lat_state),
    .init = init,
    .free = fini,
    .flow_end = flow_end,
    .payload = payload,
    .tick = tick,
};
