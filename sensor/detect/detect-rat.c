/*
 * rat: remote-access tools (AnyDesk, TeamViewer, VNC, ScreenConnect ...).
 * Legitimate support tools, and one of the commonest first steps of a
 * ransomware crew or a "support" scammer, so the owner should know which
 * machines run one.
 *
 * Sightings:
 *   - protocol banners in the first payload of a direction, where simple
 *     and specific: VNC's "RFB 003.008\n" (server), NoMachine's "NXSH-" /
 *     "NXD-", TeamViewer's 0x17 0x24 framing on port 5938 (and its UDP
 *     header), Radmin's hello/reply pair (port-independent; the client
 *     hello is remembered per flow in a small ring);
 *   - nDPI's label at flow end ("AnyDesk", "TeamViewer", "VNC", ... when
 *     nDPI is on; TLS flows reach nDPI only with ndpi.tls-flows = yes);
 *   - AnyDesk's self-signed TLS certificate ("CN=AnyDesk Client" in the
 *     subject or issuer, the server's or the client's): where nDPI's
 *     "TLS.AnyDesk" came from;
 *   - a TLS SNI or an HTTP Host / User-Agent naming the tool's service;
 *   - a DNS query for the tool's domains (severity 3: a lookup alone may be
 *     a visit to the vendor's web site).
 * Each tool has two signatures, so an allowlist can accept the tool a firm
 * really uses: 81100N1 traffic (severity 2) and 81100N2 DNS only (severity
 * 3), N = the tool's row below (ids are stable: append, never reorder).
 * One alert per (inside host, tool, signature) per `realert` seconds (a
 * day by default): the inside end of the flow is the one reported, whether
 * it is the viewer or the machine being controlled.
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

extern const struct ot_detector ot_detector_rat;

#define MITRE "T1219"
#define T(n, tool)                                                                                 \
    {8110000 + (n)*10 + 1, "Remote access tool in use: " tool, 2, MITRE},                          \
    {                                                                                              \
        8110000 + (n)*10 + 2, "Remote access tool service looked up in DNS: " tool, 3, MITRE       \
    }

/* Row i of `tools` owns sigs[2*i] (traffic) and sigs[2*i + 1] (DNS). */
static const struct ot_signature sigs[] = {
    T(1, "AnyDesk"),
    T(2, "TeamViewer"),
    T(3, "VNC"),
    T(4, "NoMachine"),
    T(5, "Radmin"),
    T(6, "Splashtop"),
    T(7, "ScreenConnect (ConnectWise Control)"),
    T(8, "LogMeIn / GoTo"),
    T(9, "RustDesk"),
    T(10, "Atera"),
    T(11, "Ammyy Admin"),
    T(12, "Chrome Remote Desktop"),
    T(13, "Supremo"),
    T(14, "Zoho Assist"),
    T(15, "NetSupport Manager"),
    T(16, "Kaseya"),
    T(17, "RemotePC"),
    T(18, "UltraViewer"),
    T(19, "ToDesk"),
    T(20, "Sunlogin (Oray)"),
    T(21, "DWService"),
    T(22, "MeshCentral"),
    T(23, "BeyondTrust Remote Support (Bomgar)"),
    T(24, "ISL Online"),
    T(25, "Remote Utilities"),
    T(26, "pcAnywhere"),
};
#undef T

struct tool {
    const char *name;
    const char *domains[6]; /* DNS / SNI / HTTP Host suffixes */
    const char *labels[3];  /* nDPI label components */
};

enum { ANYDESK = 0, TEAMVIEWER, VNC, NOMACHINE, RADMIN, NETSUPPORT = 14, N_TOOLS = 26 };

_Static_assert(sizeof(sigs) / sizeof(sigs[0]) == 2 * N_TOOLS, "two signatures per tool");

static const struct tool tools[N_TOOLS] = {
    {"AnyDesk", {"anydesk.com", "anydesk.de", "anydesk.net"}, {"AnyDesk"}},
    {"TeamViewer", {"teamviewer.com", "teamviewer.cn", "tvc.mx"}, {"TeamViewer"}},
    {"VNC", {"realvnc.com", "services.vnc.com"}, {"VNC", "RFB"}},
    {"NoMachine", {"nomachine.com"}, {"NoMachine"}},
    {"Radmin", {"radmin.com", "radmin-vpn.com", "famatech.com"}, {"Radmin"}},
    {"Splashtop", {"splashtop.com", "splashtop.eu"}, {"Splashtop"}},
    {"ScreenConnect", {"screenconnect.com", "control.connectwise.com"}, {"ScreenConnect"}},
    {"LogMeIn",
     {"logmein.com", "logme.in", "logmeinrescue.com", "logmein-gateway.com", "gotoassist.com",
      "getgo.com"},
     {"LogMeIn", "GoTo"}},
    {"RustDesk", {"rustdesk.com"}, {"RustDesk"}},
    {"Atera", {"atera.com", "atera-agent-heartbeat.servicebus.windows.net"}, {"Atera"}},
    {"Ammyy", {"ammyy.com"}, {"Ammyy", "AmmyyAdmin"}},
    {"ChromeRemoteDesktop",
     {"remotedesktop.google.com", "remotedesktop-pa.googleapis.com"},
     {"ChromeRemoteDesktop"}},
    {"Supremo", {"supremocontrol.com", "nanosystems.it"}, {"Supremo"}},
    {"ZohoAssist", {"assist.zoho.com", "assist.zoho.eu", "zohoassist.com"}, {"ZohoAssist"}},
    {"NetSupport", {"netsupportsoftware.com", "netsupportmanager.com"}, {"NetSupport"}},
    {"Kaseya", {"kaseya.com", "kaseya.net"}, {"Kaseya"}},
    {"RemotePC", {"remotepc.com"}, {"RemotePC"}},
    {"UltraViewer", {"ultraviewer.net"}, {"UltraViewer"}},
    {"ToDesk", {"todesk.com", "todesk.cn"}, {"ToDesk"}},
    {"Sunlogin", {"sunlogin.oray.com", "oray.com", "oray.net", "sunlogin.net"}, {"Sunlogin"}},
    {"DWService", {"dwservice.net"}, {"DWService"}},
    {"MeshCentral", {"meshcentral.com"}, {"MeshCentral"}},
    {"BeyondTrust", {"bomgarcloud.com", "beyondtrustcloud.com"}, {"Bomgar", "BeyondTrust"}},
    {"ISLOnline", {"islonline.com", "islonline.net"}, {"ISLOnline"}},
    {"RemoteUtilities", {"remoteutilities.com", "remoteutilities.net"}, {"RemoteUtilities"}},
    {"pcAnywhere", {"pcanywhere.com"}, {"PcAnywhere", "pcAnywhere"}},
};

enum { P_REALERT = 0, P_TABLE };

static const struct ot_detect_param params[] = {
    {"realert", 86400, 0, 2592000, "seconds before the same host and tool can alert again"},
    {"table-size", 4096, 64, 1048576, "host/tool pairs remembered for realert"},
};

#define RADMIN_RING 64
#define LABEL_CACHE 256

struct state {
    uint64_t p[OT_DETECT_MAX_PARAMS];
    struct ot_slot_table once;
    uint64_t radmin_flows[RADMIN_RING]; /* flow ids whose client sent a Radmin hello */
    unsigned radmin_next;
    struct ot_dn_set domains; /* every tool's domains, value = tool index */
    /*
     * tool_by_label() of the nDPI labels met, by (master << 16 | app) + 1
     * (0 = empty): every flow end asks, and a run meets a few hundred labels.
     */
    uint32_t lab_key[LABEL_CACHE];
    int8_t lab_tool[LABEL_CACHE];
};

static int init(struct ot_detect *d, void *sv, const uint64_t *p)
{
    struct state *st = sv;
    memcpy(st->p, p, sizeof(st->p));
    for (int t = 0; t < N_TOOLS; t++)
        for (size_t k = 0; k < 6 && tools[t].domains[k]; k++) {
            int rc = ot_dn_set_add(&st->domains, tools[t].domains[k], t);
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

/*
 * Report tool T seen on flow F (traffic when !dns).  HOW says which
 * sighting; DETAIL (may be NULL) what was seen.  For DNS, QDIR is the
 * querying side (0 client).
 */
static void report(struct ot_detect *d, struct state *st, const struct ot_flow *f, int t, bool dns,
                   int qdir, const char *how, const char *detail, size_t detail_len, uint64_t ts)
{
    bool rev;
    if (dns)
        rev = qdir == 1;
    else /* the inside end: the client, unless only the server is inside */
        rev = !ot_detect_is_home(d, &f->cli, f->v6) && ot_detect_is_home(d, &f->srv, f->v6);
    const struct ot_addr *host = rev ? &f->srv : &f->cli;
    const struct ot_signature *sig = &sigs[2 * t + (dns ? 1 : 0)];
    bool lost = false;
    if (!ot_once_check(&st->once, host, f->v6, sig->id, 0, ts, st->p[P_REALERT] * 1000000u,
                       &lost)) {
        if (lost)
            ot_detect_count_full(d, &ot_detector_rat);
        return;
    }
    if (lost)
        ot_detect_count_full(d, &ot_detector_rat);
    struct ot_alert a;
    ot_alert_init_flow(&a, sig, ts, f, rev);
    ot_alert_str(&a, "tool", tools[t].name, strlen(tools[t].name));
    ot_alert_str(&a, "method", how, strlen(how));
    if (detail && detail_len) {
        if (dns || !strcmp(how, "tls-sni") || !strcmp(how, "http-host"))
            ot_alert_name(&a, "name", detail, detail_len);
        else
            ot_alert_str(&a, "detail", detail, detail_len);
    }
    ot_detect_alert(d, &ot_detector_rat, &a);
}

/* The first tool (table order) one of whose domains NAME is or is under; -1 if none. */
static int tool_by_name(struct ot_detect *d, const struct state *st, const char *name, size_t len)
{
    return ot_dn_set_match_name(&st->domains, ot_detect_name(d, name, len));
}

static bool radmin_client_hello(const uint8_t *p, size_t n)
{
    static const uint8_t a[] = {0x01, 0x00, 0x00, 0x00, 0x01};
    static const uint8_t b[] = {0x01, 0x00, 0x00, 0x00, 0x05};
    return (n == 10 && !memcmp(p, a, 5) && p[8] == 0x08 && p[9] == 0x08) ||
           (n == 14 && !memcmp(p, b, 5) && p[8] == 0x27 && p[9] == 0x27);
}

static bool radmin_server_reply(const uint8_t *p, size_t n)
{
    static const uint8_t a[] = {0x01, 0x00, 0x00, 0x00, 0x25};
    static const uint8_t b[] = {0x01, 0x00, 0x00, 0x00, 0x05};
    return (n == 46 && !memcmp(p, a, 5) && p[7] == 0x02 && p[8] == 0x12 && p[9] == 0x08 &&
            p[10] == 0x02 && p[13] == 0x0a) ||
           (n == 14 && !memcmp(p, b, 5) && p[8] == 0x27 && p[9] == 0x27);
}

/* "RFB 003.008\n": the VNC server speaks first. */
static bool rfb_banner(const uint8_t *p, size_t n)
{
    if (n < 12 || memcmp(p, "RFB ", 4) != 0 || p[7] != '.' || p[11] != '\n')
        return false;
    for (int i = 4; i < 11; i++)
        if (i != 7 && (p[i] < '0' || p[i] > '9'))
            return false;
    return true;
}

static void payload(struct ot_detect *d, void *sv, const struct ot_flow *f, int dir,
                    const uint8_t *data, size_t len)
{
    struct state *st = sv;
    uint64_t ts = f->last_us;
    if (f->ip_proto == 6) {
        if (rfb_banner(data, len)) {
            report(d, st, f, VNC, false, 0, "banner", (const char *)data, 11, ts);
            return;
        }
        if ((len >= 8 && memcmp(data, "NXSH-", 5) == 0 && data[5] >= '0' && data[5] <= '9') ||
            (len >= 7 && memcmp(data, "NXD-", 4) == 0 && data[4] >= '0' && data[4] <= '9')) {
            size_t l = 0;
            while (l < len && l < 24 && data[l] != '\n' && data[l] != '\r')
                l++;
            report(d, st, f, NOMACHINE, false, 0, "banner", (const char *)data, l, ts);
            return;
        }
        if ((f->srv_port == 5938 || f->cli_port == 5938) && len >= 4 && data[0] == 0x17 &&
            data[1] == 0x24) {
            report(d, st, f, TEAMVIEWER, false, 0, "banner", "0x1724 on 5938", 14, ts);
            return;
        }
        if (dir == 0 && radmin_client_hello(data, len)) {
            st->radmin_flows[st->radmin_next++ % RADMIN_RING] = f->flow_id;
            return;
        }
        if (dir == 1 && radmin_server_reply(data, len)) {
            for (unsigned i = 0; i < RADMIN_RING; i++)
                if (st->radmin_flows[i] == f->flow_id && f->flow_id) {
                    report(d, st, f, RADMIN, false, 0, "banner", "hello/reply", 11, ts);
                    return;
                }
        }
        return;
    }
    if (f->ip_proto == 17 && len >= 13) {
        /* TeamViewer over UDP: a zero header, then 0x17 0x24 at offset 11. */
        static const uint8_t zero[10];
        if (!memcmp(data, zero, 10) && data[11] == 0x17 && data[12] == 0x24)
            report(d, st, f, TEAMVIEWER, false, 0, "banner", "udp 0x1724", 10, ts);
    }
}

/*
 * Does the rendered name ("C=US, CN=AnyDesk Client", tls-cert.h) have a
 * common name equal to CN?
 */
static bool name_has_cn(struct ot_str name, const char *cn)
{
    size_t n = strlen(cn);
    for (size_t i = 0; i + 3 + n <= name.len; i++) {
        if ((i == 0 || (i >= 2 && name.s[i - 2] == ',' && name.s[i - 1] == ' ') ||
             (i >= 3 && !memcmp(name.s + i - 3, " + ", 3))) &&
            !memcmp(name.s + i, "CN=", 3) && !memcmp(name.s + i + 3, cn, n) &&
            (i + 3 + n == name.len || name.s[i + 3 + n] == ',' || name.s[i + 3 + n] == ' '))
            return true;
    }
    return false;
}

static void observe(struct ot_detect *d, void *sv, const struct ot_flow *f, const struct ot_obs *o)
{
    struct state *st = sv;
    int t;
    switch (o->kind) {
    case OT_OBS_DNS_QUERY: {
        struct ot_str q = o->u.dns.qname;
        if (f->srv_port == 5353 || f->cli_port == 5353 || (t = tool_by_name(d, st, q.s, q.len)) < 0)
            return;
        report(d, st, f, t, true, o->dir, "dns-query", q.s, q.len, o->ts_us);
        return;
    }
    case OT_OBS_TLS:
    case OT_OBS_TLS_CLIENT_CERT: {
        struct ot_str s = o->u.tls.sni;
        if (o->kind == OT_OBS_TLS && s.len && (t = tool_by_name(d, st, s.s, s.len)) >= 0) {
            report(d, st, f, t, false, 0, "tls-sni", s.s, s.len, o->ts_us);
            return;
        }
        /* AnyDesk's self-signed certificate, either side's, as nDPI saw it (TLS.AnyDesk). */
        struct ot_str subj = o->u.tls.cert_subject, iss = o->u.tls.cert_issuer;
        if (name_has_cn(subj, "AnyDesk Client") || name_has_cn(iss, "AnyDesk Client"))
            report(d, st, f, ANYDESK, false, 0, "tls-cert", subj.len ? subj.s : iss.s,
                   subj.len ? subj.len : iss.len, o->ts_us);
        return;
    }
    case OT_OBS_HTTP: {
        struct ot_str h = o->u.http.host, ua = o->u.http.user_agent;
        if (h.len && (t = tool_by_name(d, st, h.s, h.len)) >= 0) {
            report(d, st, f, t, false, 0, "http-host", h.s, h.len, o->ts_us);
            return;
        }
        /* NetSupport Manager's client talks HTTP with its own agent string. */
        if (ua.len >= 17 && memmem(ua.s, ua.len, "NetSupport Manager", 18))
            report(d, st, f, NETSUPPORT, false, 0, "http-user-agent", ua.s, ua.len, o->ts_us);
        return;
    }
    default:
        return;
    }
}

/* Which tool an nDPI label ("TLS.AnyDesk", "TeamViewer") names, or -1. */
static int tool_by_label(const char *l)
{
    const char *parts[2] = {l, strchr(l, '.')};
    size_t lens[2];
    lens[0] = parts[1] ? (size_t)(parts[1] - l) : strlen(l);
    if (parts[1]) {
        parts[1]++;
        lens[1] = strlen(parts[1]);
    }
    for (int t = 0; t < N_TOOLS; t++)
        for (size_t k = 0; k < 3 && tools[t].labels[k]; k++)
            for (int i = 0; i < 2; i++)
                if (parts[i] && strlen(tools[t].labels[k]) == lens[i] &&
                    strncasecmp(parts[i], tools[t].labels[k], lens[i]) == 0)
                    return t;
    return -1;
}

static void flow_end(struct ot_detect *d, void *sv, const struct ot_flow *f)
{
    struct ot_labeler *lab = ot_detect_userdata(d, "labeler");
    if (!lab)
        return;
    if (f->ndpi_master == 0 && f->ndpi_app == 0)
        return; /* no label */
    struct state *st = sv;
    uint32_t key = ((uint32_t)f->ndpi_master << 16 | f->ndpi_app) + 1;
    size_t slot = (key * 2654435761u) >> 24 & (LABEL_CACHE - 1);
    char buf[64];
    const char *l = NULL;
    if (st->lab_key[slot] != key) {
        l = ot_labeler_name(lab, f, buf, sizeof(buf));
        st->lab_key[slot] = key;
        st->lab_tool[slot] = (int8_t)(l[0] ? tool_by_label(l) : -1);
    }
    int t = st->lab_tool[slot];
    if (t < 0)
        return;
    if (!l)
        l = ot_labeler_name(lab, f, buf, sizeof(buf));
    /* "DNS.AnyDesk": a look-up, not a session. */
    bool dns = strncasecmp(l, "DNS.", 4) == 0;
    int qdir = 0;
    report(d, sv, f, t, dns, qdir, "ndpi", l, strlen(l), f->last_us);
}

const struct ot_detector ot_detector_rat = {
    .name = "rat",
    .family = "remote-access-tool",
    .summary = "remote-access tools (AnyDesk, TeamViewer, VNC, ScreenConnect ...) by banner, "
               "nDPI label, TLS SNI or certificate, or DNS",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct state),
    .init = init,
    .free = fini,
    .flow_end = flow_end,
    .observe = observe,
    .obs_kinds = OT_OBS_BIT(OT_OBS_DNS_QUERY) | OT_OBS_BIT(OT_OBS_TLS) |
                 OT_OBS_BIT(OT_OBS_TLS_CLIENT_CERT) | OT_OBS_BIT(OT_OBS_HTTP),
    .payload = payload,
};
