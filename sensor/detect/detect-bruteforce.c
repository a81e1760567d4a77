/*
 * bruteforce: password guessing against one service from one source.
 *
 * Two kinds of evidence, per (source, server, port, service), each counted
 * in a sliding window (detect-window.h):
 *   - failed logins where a parser can tell: FTP, Telnet, POP3, IMAP and
 *     SMTP AUTH (OT_OBS_LOGIN with result failure), and HTTP requests that
 *     carried Basic credentials and were answered 401 (OT_OBS_HTTP);
 *   - for the encrypted services (SSH, RDP, SMB) the login result cannot be
 *     seen, but guessing tools give themselves away by rhythm: one short
 *     connection per attempt (or per handful of attempts).  A short session
 *     is a TCP connection that completed its handshake, carried client data
 *     (so it is not a scan probe), closed (FIN or RST, not a timeout) and
 *     lasted less than `short-session` seconds.
 * When the window holds `failures` failed logins (or `sessions` short
 * sessions) an alert is raised, then again for every further attempt while
 * the window stays at or above it (paced by ot_dwin_raise_due()); the
 * repeats merge (detect.h), so one attack is one line between the two hosts
 * (one per max-hold if it lasts) whose count is the attempts from the
 * threshold on.
 *
 * Success after guessing is worse, and gets its own high-severity
 * signatures: a login that succeeds from a source whose failures already
 * raised the alert (seen for the clear-text protocols and HTTP), and, for
 * SSH/RDP/SMB, a long session (`long-session` seconds or more) from a source
 * whose short sessions raised the alert: the shape a successful guess
 * followed by interactive use leaves.  The second is an inference; the
 * sources that alerted are remembered for a day (bounded) so a session
 * that ends hours later still matches.
 */
#include <string.h>

#include "detect/detect-window.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "otasuke/error.h"
#include "proto/proto.h"

extern const struct ot_detector ot_detector_bruteforce;

enum svc { S_SSH = 0, S_RDP, S_SMB, S_FTP, S_TELNET, S_POP3, S_IMAP, S_SMTP, S_HTTP, S__COUNT };

static const char *const svc_name[S__COUNT] = {"ssh",  "rdp",  "smb",  "ftp", "telnet",
                                               "pop3", "imap", "smtp", "http"};

#define MITRE_GUESS "T1110.001"

static const struct ot_signature sigs[] = {
    /* indexed by enum svc */
    {8102001, "SSH password guessing: many short SSH sessions from one source to one server", 2,
     "T1110.001,T1021.004"},
    {8102002, "RDP password guessing: many short RDP sessions from one source to one server", 2,
     "T1110.001,T1021.001"},
    {8102003, "SMB password guessing: many short SMB sessions from one source to one server", 2,
     "T1110.001,T1021.002"},
    {8102004, "FTP password guessing: many failed logins from one source", 2, MITRE_GUESS},
    {8102005, "Telnet password guessing: many failed logins from one source", 2, MITRE_GUESS},
    {8102006, "POP3 password guessing: many failed logins from one source", 2, MITRE_GUESS},
    {8102007, "IMAP password guessing: many failed logins from one source", 2, MITRE_GUESS},
    {8102008, "SMTP AUTH password guessing: many failed logins from one source", 2, MITRE_GUESS},
    {8102009, "HTTP Basic authentication guessing: many 401 answers to requests with credentials",
     2, MITRE_GUESS},
    /* after the guessing */
    {8102010, "Login succeeded after many failed attempts from the same source: password guessed",
     1, "T1110.001,T1078"},
    {8102011,
     "Long session after many short ones from the same source: password guessing may have "
     "succeeded",
     1, "T1110.001,T1078"},
};

#define SIG_SUCCESS  9
#define SIG_INFERRED 10

enum { P_WINDOW = 0, P_FAILURES, P_SESSIONS, P_SHORT, P_LONG, P_MAX_ENTRIES };

static const struct ot_detect_param params[] = {
    {"window", 300, 10, 86400, "seconds over which failed logins and short sessions are counted"},
    {"failures", 10, 2, 1000,
     "failed logins (FTP, Telnet, POP3, IMAP, SMTP) or HTTP 401s from one source to one service"},
    {"sessions", 20, 2, 1000, "short SSH, RDP or SMB sessions from one source to one server"},
    {"short-session", 30, 1, 3600, "seconds under which an SSH, RDP or SMB session is short"},
    {"long-session", 120, 1, 86400,
     "seconds from which a session after short ones counts as a likely successful login"},
    {"max-entries", 4096, 64, 262144, "(source, service) pairs tracked at once (oldest evicted)"},
};

/* Sources that alerted, remembered this long for the long-session inference. */
#define HOT_KEEP_S     86400u
#define EXPIRE_SLACK_S 60u
#define US             1000000ull

struct bf_state {
    struct ot_dwin tab; /* failures and short sessions in the window */
    struct ot_dwin hot; /* sources whose short sessions alerted */
    uint32_t window_s, failures, sessions;
    uint64_t short_us, long_us;
};

static int init(struct ot_detect *d, void *state, const uint64_t *p)
{
    struct bf_state *s = state;
    s->window_s = (uint32_t)p[P_WINDOW];
    s->failures = (uint32_t)p[P_FAILURES];
    s->sessions = (uint32_t)p[P_SESSIONS];
    s->short_us = p[P_SHORT] * US;
    s->long_us = p[P_LONG] * US;
    uint32_t max = (uint32_t)p[P_MAX_ENTRIES];
    uint32_t cap = s->failures > s->sessions ? s->failures : s->sessions;
    int rc = ot_dwin_init(&s->tab, d, &ot_detector_bruteforce, max, cap, s->window_s);
    if (rc)
        return rc;
    uint32_t hot_max = max / 16 < 64 ? 64 : max / 16;
    rc = ot_dwin_init(&s->hot, d, &ot_detector_bruteforce, hot_max, 1, HOT_KEEP_S);
    if (rc)
        ot_dwin_free(&s->tab);
    return rc;
}

static void fini(void *state)
{
    struct bf_state *s = state;
    ot_dwin_free(&s->tab);
    ot_dwin_free(&s->hot);
}

/* The requesting side of a flow: the client unless the observation says otherwise. */
struct who {
    const struct ot_addr *src, *dst;
    uint16_t port;
    bool reversed;
};

static struct who who_of(const struct ot_flow *f, int dir)
{
    struct who w = {&f->cli, &f->srv, f->srv_port, false};
    if (dir == 1) {
        w.src = &f->srv;
        w.dst = &f->cli;
        w.port = f->cli_port;
        w.reversed = true;
    }
    return w;
}

static void key_of(struct ot_dwin_key *k, const struct ot_flow *f, const struct who *w,
                   enum svc svc)
{
    ot_dwin_key_make(k, w->src, w->dst, f->v6, w->port, (uint8_t)svc);
}

static bool is_session_svc(enum svc svc)
{
    return svc == S_SSH || svc == S_RDP || svc == S_SMB;
}

static void raise_guessing(struct ot_detect *d, struct bf_state *s, const struct ot_flow *f,
                           const struct who *w, struct ot_dwin_entry *e, enum svc svc,
                           uint64_t t_us)
{
    struct ot_alert a;
    ot_alert_init_flow(&a, &sigs[svc], t_us, f, w->reversed);
    ot_alert_str(&a, "service", svc_name[svc], strlen(svc_name[svc]));
    if (is_session_svc(svc)) {
        ot_alert_u64(&a, "short_sessions", e->n);
        ot_alert_u64(&a, "short_session_s", s->short_us / US);
    } else {
        ot_alert_u64(&a, "failed_logins", e->n);
        if (svc != S_HTTP)
            ot_alert_u64(&a, "distinct_users", ot_dwin_distinct(&s->tab, e));
    }
    ot_alert_u64(&a, "seconds", ot_dwin_span_s(&s->tab, e));
    ot_alert_u64(&a, "window_s", s->window_s);
    ot_detect_alert(d, &ot_detector_bruteforce, &a);
}

/* One failed attempt (or short session); alert at the threshold, then once per window. */
static void count_attempt(struct ot_detect *d, struct bf_state *s, const struct ot_flow *f,
                          const struct who *w, enum svc svc, uint32_t val, uint64_t t_us,
                          uint64_t now_us)
{
    struct ot_dwin_key k;
    key_of(&k, f, w, svc);
    struct ot_dwin_entry *e = ot_dwin_get(&s->tab, &k, now_us);
    uint64_t before = e->total;
    uint32_t n = ot_dwin_add(&s->tab, e, val, 1, t_us, false);
    if (n < (is_session_svc(svc) ? s->sessions : s->failures))
        return;
    /* Every attempt from the threshold on is an occurrence: they merge into one line. */
    if ((e->raised_us && e->total == before) || !ot_dwin_raise_due(e, e->newest_us, s->window_s))
        return;
    raise_guessing(d, s, f, w, e, svc, t_us);
    if (is_session_svc(svc)) {
        struct ot_dwin_entry *h = ot_dwin_get(&s->hot, &k, now_us);
        if (!h->raised_us)
            h->raised_us = e->newest_us;
        h->aux = e->n;
        ot_dwin_add(&s->hot, h, 0, 1, e->newest_us, true);
    }
}

/* A login succeeded: was this source guessing (its failures alerted within the window)? */
static void success(struct ot_detect *d, struct bf_state *s, const struct ot_flow *f,
                    const struct who *w, enum svc svc, struct ot_str user, uint64_t t_us)
{
    struct ot_dwin_key k;
    key_of(&k, f, w, svc);
    struct ot_dwin_entry *e = ot_dwin_find(&s->tab, &k);
    if (!e || !e->raised_us || t_us > e->newest_us + (uint64_t)s->window_s * US)
        return;
    struct ot_alert a;
    ot_alert_init_flow(&a, &sigs[SIG_SUCCESS], t_us, f, w->reversed);
    ot_alert_str(&a, "service", svc_name[svc], strlen(svc_name[svc]));
    if (user.len)
        ot_alert_str(&a, "user", user.s, user.len);
    ot_alert_u64(&a, "failed_logins", e->n);
    ot_alert_u64(&a, "window_s", s->window_s);
    ot_detect_alert(d, &ot_detector_bruteforce, &a);
}

static int login_svc(const char *proto)
{
    static const enum svc map[] = {S_FTP, S_TELNET, S_POP3, S_IMAP, S_SMTP};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(proto, svc_name[map[i]]) == 0)
            return map[i];
    /* "http": counted from OT_OBS_HTTP (status and credentials), never twice. */
    return -1;
}

static void observe(struct ot_detect *d, void *state, const struct ot_flow *f,
                    const struct ot_obs *o)
{
    struct bf_state *s = state;
    if (o->kind == OT_OBS_LOGIN) {
        const struct ot_obs_login *l = &o->u.login;
        int svc = l->proto ? login_svc(l->proto) : -1;
        if (svc < 0)
            return;
        struct who w = who_of(f, 0);
        if (l->result == OT_OBS_LOGIN_FAILURE)
            count_attempt(d, s, f, &w, (enum svc)svc, ot_dwin_str_val(l->user.s, l->user.len),
                          o->ts_us, o->ts_us);
        else if (l->result == OT_OBS_LOGIN_SUCCESS)
            success(d, s, f, &w, (enum svc)svc, l->user, o->ts_us);
    } else if (o->kind == OT_OBS_HTTP && o->u.http.basic_auth) {
        /* Only requests with credentials: a 401 to a bare request is the normal challenge. */
        struct who w = who_of(f, o->dir);
        uint16_t st = o->u.http.status;
        if (st == 401)
            count_attempt(d, s, f, &w, S_HTTP, 0, o->ts_us, o->ts_us);
        else if (st >= 200 && st < 400)
            success(d, s, f, &w, S_HTTP, (struct ot_str){0}, o->ts_us);
    }
}

/* SSH, RDP, SMB by what the parsers saw, else by the well-known port. */
static int session_svc(const struct ot_flow *f)
{
    uint16_t ap = f->app_proto_orig ? f->app_proto_orig : f->app_proto;
    switch (ap) {
    case OT_APP_SSH:
        return S_SSH;
    case OT_APP_RDP:
        return S_RDP;
    case OT_APP_SMB:
        return S_SMB;
    case OT_APP_UNKNOWN:
    case OT_APP_TLS: /* RDP's security layer */
        break;
    default:
        return -1;
    }
    switch (f->srv_port) {
    case 22:
        return S_SSH;
    case 3389:
        return S_RDP;
    case 445:
    case 139:
        return S_SMB;
    default:
        return -1;
    }
}

/* A long session after short ones that alerted: the guess may have worked. */
static void long_session(struct ot_detect *d, struct bf_state *s, const struct ot_flow *f,
                         enum svc svc, uint64_t dur_us)
{
    struct who w = who_of(f, 0);
    struct ot_dwin_key k;
    key_of(&k, f, &w, svc);
    struct ot_dwin_entry *h = ot_dwin_find(&s->hot, &k);
    uint64_t win = (uint64_t)s->window_s * US;
    if (!h || f->start_us + win < h->raised_us || f->start_us > h->newest_us + win)
        return;
    struct ot_alert a;
    ot_alert_init_flow(&a, &sigs[SIG_INFERRED], f->last_us, f, false);
    ot_alert_str(&a, "service", svc_name[svc], strlen(svc_name[svc]));
    ot_alert_u64(&a, "short_sessions", h->aux);
    ot_alert_u64(&a, "session_s", dur_us / US);
    ot_alert_u64(&a, "window_s", s->window_s);
    ot_detect_alert(d, &ot_detector_bruteforce, &a);
}

static void flow_end(struct ot_detect *d, void *state, const struct ot_flow *f)
{
    struct bf_state *s = state;
    if (f->ip_proto != 6)
        return;
    bool synack = (f->tcp_flags[1] & (OT_TH_SYN | OT_TH_ACK)) == (OT_TH_SYN | OT_TH_ACK);
    if (!synack || !(f->detect_seen & 1))
        return; /* never answered, or the client said nothing: the scan detector's business */
    int svc = session_svc(f);
    if (svc < 0)
        return;
    uint64_t dur = f->last_us - f->start_us;
    if (dur < s->short_us && f->state >= OT_FLOW_CLOSING) {
        struct who w = who_of(f, 0);
        count_attempt(d, s, f, &w, (enum svc)svc, 0, f->start_us, f->last_us);
    } else if (dur >= s->long_us) {
        long_session(d, s, f, (enum svc)svc, dur);
    }
}

static void tick(struct ot_detect *d, void *state, uint64_t now_us)
{
    struct bf_state *s = state;
    ot_dwin_expire(&s->tab, now_us, EXPIRE_SLACK_S);
    ot_dwin_expire(&s->hot, now_us, 0);
}

const struct ot_detector ot_detector_bruteforce = {
    .name = "bruteforce",
    .family = "bruteforce",
    .summary =
        "password guessing: many failed logins or short SSH/RDP/SMB sessions from one source",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
    .params = params,
    .n_params = sizeof(params) / sizeof(params[0]),
    .state_size = sizeof(struct bf_state),
    .init = init,
    .free = fini,
    .flow_end = flow_end,
    .observe = observe,
    .obs_kinds = OT_OBS_BIT(OT_OBS_LOGIN) | OT_OBS_BIT(OT_OBS_HTTP),
    .tick = tick,
};
