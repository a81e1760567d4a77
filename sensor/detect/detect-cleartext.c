/*
 * cleartext-credentials: a reusable password crossed the wire readable.
 *
 * The login parsers (FTP, Telnet, POP3, IMAP, SMTP, IRC, rexec/rlogin/rsh)
 * observe every attempt with password_in_clear; the HTTP parser observes
 * requests that carry "Authorization: Basic".  Anyone on the path could have
 * read the password, whether or not the login succeeded, so every such
 * attempt counts; repeats between the same two hosts merge into one alert
 * (detect.h).
 */
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "flow/flow.h"

#define MITRE "T1040,T1552.001"

extern const struct ot_detector ot_detector_cleartext;

static const struct ot_signature sigs[] = {
    {8104001, "Password sent in clear text over FTP", 2, MITRE},
    {8104002, "Password sent in clear text over Telnet", 2, MITRE},
    {8104003, "Password sent in clear text over POP3", 2, MITRE},
    {8104004, "Password sent in clear text over IMAP", 2, MITRE},
    {8104005, "Password sent in clear text over SMTP", 2, MITRE},
    {8104006, "Password sent in clear text with HTTP Basic authentication", 2, MITRE},
    {8104007, "Login attempt over a clear-text protocol (user name sent, no password seen)", 3,
     MITRE},
    {8104008, "Password sent in clear text over rexec or rlogin", 2, MITRE},
    {8104009, "Password sent in clear text over IRC", 2, MITRE},
};

static const struct {
    const char *proto;
    const struct ot_signature *sig;
} by_proto[] = {
    {"ftp", &sigs[0]},  {"telnet", &sigs[1]}, {"pop3", &sigs[2]}, {"imap", &sigs[3]},
    {"smtp", &sigs[4]}, {"http", &sigs[5]},   {"rsh", &sigs[7]},  {"irc", &sigs[8]},
};

static const struct ot_signature *sig_for(const char *proto)
{
    for (size_t i = 0; i < sizeof(by_proto) / sizeof(by_proto[0]); i++)
        if (strcmp(by_proto[i].proto, proto) == 0)
            return by_proto[i].sig;
    return NULL;
}

static bool is_anonymous(struct ot_str u)
{
    return (u.len == 9 && strncasecmp(u.s, "anonymous", 9) == 0) ||
           (u.len == 3 && strncasecmp(u.s, "ftp", 3) == 0);
}

static void observe(struct ot_detect *d, void *state, const struct ot_flow *f,
                    const struct ot_obs *o)
{
    const struct ot_signature *sig = NULL;
    const char *proto = NULL;
    struct ot_str user = {0};
    const char *result = NULL;
    if (o->kind == OT_OBS_LOGIN && o->u.login.user.len && !is_anonymous(o->u.login.user)) {
        proto = o->u.login.proto;
        sig = o->u.login.password_in_clear ? sig_for(proto) : &sigs[6];
        if (!sig)
            return; /* a protocol without a signature of its own */
        user = o->u.login.user;
        result = o->u.login.result == OT_OBS_LOGIN_SUCCESS   ? "success"
                 : o->u.login.result == OT_OBS_LOGIN_FAILURE ? "failure"
                                                             : "unknown";
    } else if (o->kind == OT_OBS_HTTP && o->u.http.basic_auth) {
        proto = "http";
        sig = &sigs[5];
    }
    if (!sig)
        return;
    struct ot_alert a;
    ot_alert_init_flow(&a, sig, o->ts_us, f, false);
    ot_alert_str(&a, "protocol", proto, strlen(proto));
    if (user.len)
        ot_alert_str(&a, "user", user.s, user.len);
    if (result)
        ot_alert_str(&a, "login_result", result, strlen(result));
    if (o->kind == OT_OBS_HTTP && o->u.http.host.len)
        ot_alert_name(&a, "http_host", o->u.http.host.s, o->u.http.host.len);
    ot_detect_alert(d, &ot_detector_cleartext, &a);
}

const struct ot_detector ot_detector_cleartext = {
    .name = "cleartext",
    .family = "cleartext-credentials",
    .summary = "a password crossed the network in clear text (FTP, Telnet, POP3, IMAP, SMTP, IRC, "
               "rexec/rlogin, HTTP Basic)",
    .sigs = sigs,
    .n_sigs = sizeof(sigs) / sizeof(sigs[0]),
    .observe = observe,
    .obs_kinds = OT_OBS_BIT(OT_OBS_LOGIN) | OT_OBS_BIT(OT_OBS_HTTP),
};
