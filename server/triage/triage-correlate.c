/*
 * The correlation table: pairs of findings on one customer that together
 * mean more than either alone (docs/server/design.md "Triage" step 4,
 * docs/server/triage.md).  One row per rule; triage.c applies them.  This
 * file holds only the table and its pure tests (partner lookup, time), and
 * the reading of successful logins from the login protocols' events.
 */
#include <string.h>

#include "otasuke/error.h"
#include "triage/triage-int.h"
#include "core/util.h"

#define HOURS(n) ((int64_t)(n)*OT_TRIAGE_HOUR_US)

static const struct ot_triage_corr rules[] = {
    /* a known-bad destination and regular check-ins from the same PC: an implant calling home */
    {"ioc-beacon", "ioc", "beacon", OT_CORR_SAME_ENTITY, false, 1, HOURS(24)},
    /* password guessing from X at Y, then a login from X to Y that worked */
    {"bruteforce-login", "bruteforce", NULL, OT_CORR_LOGIN, true, 1, HOURS(2)},
    /* a PC scanned the network, then reached the admin services of many PCs */
    {"scan-lateral", "scan", "lateral-movement", OT_CORR_SAME_ENTITY, true, 1, HOURS(24)},
    /* a remote-access tool on a PC that also talks to a known-bad address */
    {"rat-ioc", "remote-access-tool", "ioc", OT_CORR_SAME_ENTITY, false, 1, HOURS(24)},
};

/* The table; *n its length. */
const struct ot_triage_corr *ot_triage_corr_rules(size_t *n)
{
    *n = OT_ARRAY_SIZE(rules);
    return rules;
}

/* The next rule from *iter on that names family on either side. */
const struct ot_triage_corr *ot_triage_corr_next(const char *family, size_t *iter,
                                                 const char **other, bool *is_first)
{
    while (*iter < OT_ARRAY_SIZE(rules)) {
        const struct ot_triage_corr *r = &rules[(*iter)++];
        if (strcmp(r->first, family) == 0) {
            *other = r->second;
            *is_first = true;
            return r;
        }
        if (r->second && strcmp(r->second, family) == 0) {
            *other = r->first;
            *is_first = false;
            return r;
        }
    }
    return NULL;
}

/* True when spans a (the first family's) and b (the second's) meet rule r's time tests. */
bool ot_triage_corr_in_time(const struct ot_triage_corr *r, int64_t a_first, int64_t a_last,
                            int64_t b_first, int64_t b_last)
{
    /* the gap between the spans (0 when they overlap) */
    int64_t gap = 0;

    if (b_first > a_last)
        gap = b_first - a_last;
    else if (a_first > b_last)
        gap = a_first - b_last;
    if (gap > r->window_us)
        return false;
    if (r->ordered && a_first > b_last)
        return false;
    return true;
}

/* The OT_CORR_LOGIN row. */
const struct ot_triage_corr *ot_triage_corr_login_rule(void)
{
    for (size_t i = 0; i < OT_ARRAY_SIZE(rules); i++)
        if (rules[i].link == OT_CORR_LOGIN)
            return &rules[i];
    return NULL;
}

static const char *const login_protocols[] = {"ftp",  "telnet", "pop3", "imap",
                                              "smtp", "irc",    "rsh"};

/* src/dest/timestamp of an event into the caller's buffers; false when any is missing. */
static bool endpoints(const json_t *ev, char *src, char *dest, int64_t *ts)
{
    const json_t *s = json_object_get(ev, "src_ip"), *d = json_object_get(ev, "dest_ip");
    const json_t *t = json_object_get(ev, "timestamp");
    struct ot_ipaddr a, b;

    if (!json_is_string(s) || !json_is_string(d) || !json_is_string(t))
        return false;
    if (!ot_ipaddr_parse(json_string_value(s), &a) || !ot_ipaddr_parse(json_string_value(d), &b))
        return false;
    if (ot_triage_parse_time(json_string_value(t), ts) != 0)
        return false;
    ot_ipaddr_format(&a, src, 48);
    ot_ipaddr_format(&b, dest, 48);
    return true;
}

/* True for a login event that worked, or an HTTP Basic request answered 2xx/3xx. */
bool ot_triage_login_success(const json_t *ev, char *src, char *dest, int64_t *ts)
{
    const json_t *et = json_object_get(ev, "event_type"), *o, *v;
    const char *type;

    if (!json_is_string(et))
        return false;
    type = json_string_value(et);
    for (size_t i = 0; i < OT_ARRAY_SIZE(login_protocols); i++) {
        if (strcmp(type, login_protocols[i]) != 0)
            continue;
        o = json_object_get(ev, type);
        v = json_object_get(o, "type");
        if (!json_is_string(v) || strcmp(json_string_value(v), "login") != 0)
            return false;
        v = json_object_get(o, "login_result");
        if (!json_is_string(v) || strcmp(json_string_value(v), "success") != 0)
            return false;
        return endpoints(ev, src, dest, ts);
    }
    if (strcmp(type, "http") == 0) {
        o = json_object_get(ev, "http");
        if (!json_is_true(json_object_get(o, "basic_auth")))
            return false;
        v = json_object_get(o, "status");
        if (!json_is_integer(v) || json_integer_value(v) < 200 || json_integer_value(v) > 399)
            return false;
        return endpoints(ev, src, dest, ts);
    }
    return false;
}
