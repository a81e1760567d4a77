/*
 * exposure: a risky service inside the home networks answered a client
 * outside them.
 *
 * Remote desktops, file sharing, Telnet and databases reachable from the
 * Internet are how most small-firm break-ins start (ransomware crews buy
 * and scan for open RDP).  A port forward nobody remembers shows up here
 * the first time someone outside actually gets an answer.
 *
 * "Answered" means the server sent data (its first payload, the payload
 * hook) or, for a connection that ends without any, completed the TCP
 * handshake (a SYN-ACK: the port is open to the world even if nothing more
 * was said).  A SYN the server never answers is not exposure.  The client
 * is the side that sent the SYN; for flows seen without one (first seen
 * midstream) we trust the guess only when the client's port is ephemeral.
 *
 * One alert per server and service, then at most one every `realert`
 * seconds while outside clients keep getting answers, each saying how many
 * distinct outside clients and connections were answered since the last
 * one (the alert's src is the exposed server; the first outside client is
 * in the evidence).  Each service family can be switched off, and one extra
 * port can be added.
 */
#include <string.h>

#include "detect/detect-window.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "otasuke/error.h"

extern const struct ot_detector ot_detector_exposure;

enum group { G_RDP = 0, G_SMB, G_TELNET, G_VNC, G_DB, G_SSH, G_EXTRA, G__COUNT };

static const struct ot_signature sigs[] = {
    {8103001, "RDP (remote desktop) server answered a client outside the home networks", 1,
     "T1133,T1021.001"},
    {8103002, "SMB (Windows file sharing) server answered a client outside the home networks", 1,
     "T1190,T1021.002"},
    {8103003, "Telnet server answered a client outside the home networks", 1, "T1133"},
    {8103004, "VNC (remote desktop) server answered a client outside the home networks", 1,
     "T1133,T1021.005"},
    {8103005, "MySQL database answered a client outside the home networks", 1, "T1190"},
    {8103006, "PostgreSQL database answered a client outside the home networks", 1, "T1190"},
    {8103007, "Microsoft SQL Server answered a client outside the home networks", 1, "T1190"},
    {8103008, "MongoDB database answered a client outside the home networks", 1, "T1190"},
    {8103009, "Redis database answered a client outside the home networks", 1, "T1190"},
    {8103010, "Elasticsearch answered a client outside the home networks", 1, "T1190"},
    {8103011, "SSH server answered a client outside the home networks", 2, "T1133,T1021.004"},
    {8103012, "Service on a port configured as risky answered a client outside the home networks",
     2, "T1133"},
};

struct service {
    uint16_t lo, hi; /* server ports */
    uint8_t group;   /* enum group: which switch enables it */
    uint8_t sig;     /* index into sigs */
    bool udp;        /* also over UDP */
    const char *name;
};

/* clang-format off */
static const struct service services[] = {
    {3389, 3389, G_RDP, 0, true, "rdp"},  /* RDP over UDP (RDPEUDP) too */
    {445, 445, G_SMB, 1, false, "smb"},
    {139, 139, G_SMB, 1, false, "smb"},
    {23, 23, G_TELNET, 2, false, "telnet"},
    {5900, 5903, G_VNC, 3, false, "vnc"},
    {3306, 3306, G_DB, 4, false, "mysql"},
    {5432, 5432, G_DB, 5, false, "postgresql"},
    {1433, 1433, G_DB, 6, false, "mssql"},
    {27017, 27017, G_DB, 7, false, "mongodb"},
    {6379, 6379, G_DB, 8, false, "redis"},
    {9200, 9200, G_DB, 9, false, "elasticsearch"},
    {22, 22, G_SSH, 10, false, "ssh"},
};
/* clang-format on */

static const struct service extra_service = {0, 0, G_EXTRA, 11, false, "configured"};

enum { P_RDP = 0, P_SMB, P_TELNET, P_VNC, P_DB, P_SSH, P_EXTRA, P_REALERT, P_MAX_ENTRIES };

static const struct ot_detect_param params[] = {
    {"rdp", 1, 0, 1, "1: watch RDP (3389/tcp and udp)"},
    {"smb", 1, 0, 1, "1: watch SMB (445, 139)"},
    {"telnet", 1, 0, 1, "1: watch Telnet (23)"},
    {"vnc", 1, 0, 1, "1: watch VNC (5900-5903)"},
    {"databases", 1, 0, 1,
     "1: watch MySQL 3306, PostgreSQL 5432, MSSQL 1433, MongoDB 27017, Redis 6379, "
     "Elasticsearch 9200"},
    {"ssh", 1, 0, 1, "1: watch SSH (22), at medium severity"},
    {"extra-port", 0, 0, 65535, "one more TCP port to treat as a risky service (0: none)"},
    {"realert", 3600, 60, 604800, "seconds before the same exposed service alerts again"},
    {"max-entries", 1024, 16, 262144, "exposed server ports tracked at once (oldest evicted)"},
};

/* Distinct outside clients remembered per exposed service (evidence saturates here). */
#define CLIENTS_CAP 64

struct exp_state {
    struct ot_dwin tab;
    bool on[G__COUNT];
    uint16_t extra_port;
    uint64_t realert_us;
};

static int init(struct ot_detect *d, void *state, const uint64_t *p)
{
    struct exp_state *s = state;
    for (int g = 0; g < G_EXTRA; g++)
        s->on[g] = p[P_RDP + g] != 0;
    s->extra_port = (uint16_t)p[P_EXTRA];
    s->on[G_EXTRA] = s->extra_port != 0;
    s->realert_us = p[P_REALERT] * 1000000u;
    return ot_dwin_init(&s->tab, d, &ot_detector_exposure, (uint32_t)p[P_MAX_ENTRIES], CLIENTS_CAP,
                        (uint32_t)p[P_REALERT]);
}

static void fini(void *state)
{
    struct exp_state *s = state;
    ot_dwin_free(&s->tab);
}

/* The watched service on this port (enabled), or NULL. */
static const struct service *service_of(const struct exp_state *s, uint16_t port, bool udp)
{
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        const struct service *sv = &services[i];
        if (port >= sv->lo && port <= sv->hi && (!udp || sv->udp))
            return s->on[sv->group] ? sv : NULL;
    }
    if (!udp && s->on[G_EXTRA] && port == s->extra_port)
        return &extra_service;
    return NULL;
}

/* Watched, server inside, client outside, and the direction is trustworthy. */
static const struct service *exposed(struct ot_detect *d, const struct exp_state *s,
                                     const struct ot_flow *f)
{
    bool udp = f->ip_proto == 17;
    if (f->ip_proto != 6 && !udp)
        return NULL;
    const struct service *sv = service_of(s, f->srv_port, udp);
    if (!sv)
        return NULL;
    bool syn = f->ip_proto == 6 && (f->tcp_flags[0] & OT_TH_SYN);
    if (!syn && (f->cli_port < 1024 || service_of(s, f->cli_port, udp)))
        return NULL; /* no SYN seen and the client's port is not ephemeral: direction unsure */
    if (!ot_detect_is_home(d, &f->srv, f->v6) || ot_detect_is_home(d, &f->cli, f->v6))
        return NULL;
    return sv;
}

static void answered(struct ot_detect *d, struct exp_state *s, const struct ot_flow *f,
                     const struct service *sv, uint64_t t_us)
{
    struct ot_dwin_key k;
    ot_dwin_key_make(&k, &f->srv, NULL, f->v6, f->srv_port, sv->sig);
    struct ot_dwin_entry *e = ot_dwin_get(&s->tab, &k, t_us);
    ot_dwin_add(&s->tab, e, ot_dwin_addr_val(&f->cli, f->v6), 1, t_us, true);
    e->aux++; /* connections answered since the last alert */
    if (e->raised_us && t_us < e->raised_us + s->realert_us)
        return;
    struct ot_alert a;
    /* src = the exposed server; one-sided, so every client's answers merge into one alert. */
    ot_alert_init_flow(&a, &sigs[sv->sig], t_us, f, true);
    a.has_dst = false;
    memset(&a.dst, 0, sizeof(a.dst));
    a.dp = 0;
    char ip[48];
    size_t n = ot_addr_fmt(&f->cli, f->v6, ip);
    ot_alert_str(&a, "service", sv->name, strlen(sv->name));
    ot_alert_u64(&a, "server_port", f->srv_port);
    ot_alert_str(&a, "client_ip", ip, n);
    ot_alert_u64(&a, "outside_clients", e->n);
    ot_alert_u64(&a, "connections", e->aux);
    ot_detect_alert(d, &ot_detector_exposure, &a);
    e->raised_us = t_us;
    e->aux = 0;
}

/* The server's first payload: it answered. */
static void payload(struct ot_detect *d, void *state, const struct ot_flow *f, int dir,
                    const uint8_t *data, size_t len)
{
    struct exp_state *s = state;
    if (dir != 1)
        return;
    const struct service *sv = exposed(d, s, f);
    if (sv)
        answered(d, s, f, sv, f->last_us);
}

/* A handshake that completed but carried no server data (payload() saw the others). */
static void flow_end(struct ot_detect *d, void *state, const struct ot_flow *f)
{
    struct exp_state *s = state;
    if (f->ip_proto != 6 || (f->detect_seen & 2))
        return;
    if ((f->tcp_flags[1] & (OT_TH_SYN | OT_TH_ACK)) != (OT_TH_SYN | OT_TH_ACK))
        return;
    const struct service *sv = exposed(d, s, f);
    if (sv)
        answered(d, s, f, sv, f->start_us);
}

static void tick(struct ot_detect *d, void *state, uint64_t now_us)
{
    struct exp_state *s = state;
    ot_dwin_expire(&s->tab, now_us, 0);
}

const struct ot_detector ot_detector_exposure = {
    .name = "exposure",
    .family = "exposure",
    .summary =
        "a risky service (RDP, SMB, Telnet, VNC, databases, SSH) inside answered a client outside",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct exp_state),
    .init = init,
    .free = fini,
    .flow_end = flow_end,
    .payload = payload,
    .tick = tick,
};
