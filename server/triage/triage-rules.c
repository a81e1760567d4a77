/*
 * The family table (which end of an alert is the incident's key entity, and
 * how long an incident stays open for more alerts), the reading of alert
 * events, and suppression matching.  See docs/server/triage.md.
 */
#include <stdio.h>
#include <string.h>

#include "otasuke/error.h"
#include "triage/triage.h"
#include "triage/triage-int.h"
#include "core/timefmt.h"
#include "core/util.h"

#define DAYS(n) ((int64_t)(n)*OT_TRIAGE_DAY_US)

/*
 * One row per family of the design's list; window 0 = the configured
 * default (24 h).  Longer windows for what re-alerts slowly or persists: an
 * exposed server, a password sent in clear by a mail client every few
 * minutes, a remote-access tool (the sensor re-alerts once a day), a beacon
 * or a miner (they run until someone removes them).  "other" must stay last.
 */
static const struct ot_triage_family families[] = {
    {"ioc", OT_ENTITY_INSIDE, 0},
    {"scan", OT_ENTITY_SOURCE, 0},
    {"bruteforce", OT_ENTITY_SOURCE, 0},
    {"exposure", OT_ENTITY_SERVER, DAYS(7)},
    {"cleartext-credentials", OT_ENTITY_INSIDE, DAYS(7)},
    {"dns-tunnel", OT_ENTITY_INSIDE, 0},
    {"dga", OT_ENTITY_INSIDE, 0},
    {"beacon", OT_ENTITY_INSIDE, DAYS(3)},
    {"cryptomining", OT_ENTITY_INSIDE, DAYS(3)},
    {"lateral-movement", OT_ENTITY_INSIDE, 0},
    {"remote-access-tool", OT_ENTITY_INSIDE, DAYS(7)},
    {"new-device", OT_ENTITY_NETWORK, 0}, /* new devices of a day: one incident, not one each */
    {"malware", OT_ENTITY_INSIDE, 0},
    {"persistence", OT_ENTITY_INSIDE, 0},
    {"privilege", OT_ENTITY_INSIDE, 0},
    {"suspicious-process", OT_ENTITY_INSIDE, 0},
    {"other", OT_ENTITY_SOURCE, 0},
};
#define N_FAMILIES OT_ARRAY_SIZE(families)

/* The table's row for family, or the "other" row (last). */
const struct ot_triage_family *ot_triage_family_find(const char *family)
{
    if (family)
        for (size_t i = 0; i + 1 < N_FAMILIES; i++)
            if (strcmp(families[i].family, family) == 0)
                return &families[i];
    return &families[N_FAMILIES - 1];
}

/* The whole table, "other" included (last); *n its length. */
const struct ot_triage_family *ot_triage_families(size_t *n)
{
    *n = N_FAMILIES;
    return families;
}

/* True when family has a row of its own. */
bool ot_triage_family_known(const char *family)
{
    return ot_triage_family_find(family) != &families[N_FAMILIES - 1];
}

/* family when the table has a row for it, else "other" (for catalogue keys). */
const char *ot_triage_catalog_family(const char *family)
{
    return ot_triage_family_find(family)->family;
}

/* Writes the key entity of an alert (src, dest "" when one-sided) into out. */
void ot_triage_entity_pick(const struct ot_triage_family *f, const struct ot_homenet *h,
                           const char *src, const char *dest, char *out, size_t len)
{
    bool src_in, dest_in;
    const char *pick = src;

    if (!dest)
        dest = "";
    src_in = ot_homenet_contains(h, src);
    dest_in = *dest && ot_homenet_contains(h, dest);
    switch (f->entity) {
    case OT_ENTITY_SOURCE:
        pick = src;
        break;
    case OT_ENTITY_INSIDE:
        pick = (!src_in && dest_in) ? dest : src;
        break;
    case OT_ENTITY_SERVER:
        if (src_in && !dest_in)
            pick = src;
        else if (dest_in)
            pick = dest;
        else
            pick = *dest ? dest : src;
        break;
    case OT_ENTITY_NETWORK:
        pick = "network";
        break;
    }
    ot_strlcpy(out, pick, len);
}

/* ---- time ---- */

/* RFC 3339 (with Suricata's "+0000" offsets too) into microseconds since the epoch. */
int ot_triage_parse_time(const char *s, int64_t *us)
{
    return s && ot_rfc3339_parse(s, strlen(s), us) ? 0 : OT_EINVAL;
}

/* ---- reading an alert ---- */

/* Copies s into dst (cap bytes) cutting at a UTF-8 character boundary. */
static void copy_utf8(char *dst, const char *s, size_t cap)
{
    size_t n = strlen(s);

    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* True when s is a family slug: [a-z0-9-], 1..31 bytes. */
static bool is_slug(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 31)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

/* An optional time field: absent = fallback; present and bad = OT_EINVAL. */
static int opt_time(const json_t *o, const char *key, int64_t fallback, int64_t *out)
{
    const json_t *v = json_object_get(o, key);

    if (!v) {
        *out = fallback;
        return 0;
    }
    if (!json_is_string(v))
        return OT_EINVAL;
    return ot_triage_parse_time(json_string_value(v), out);
}

/* A port field: an integer 0..65535, else 0. */
static int port_of(const json_t *ev, const char *key)
{
    const json_t *v = json_object_get(ev, key);
    json_int_t p;

    if (!json_is_integer(v))
        return 0;
    p = json_integer_value(v);
    return p >= 0 && p <= 65535 ? (int)p : 0;
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(why, whylen, __VA_ARGS__);                                                        \
        return OT_EINVAL;                                                                          \
    } while (0)

/* Reads what triage needs of an alert event into in; OT_EINVAL with a reason. */
int ot_triage_parse_alert(const json_t *ev, struct ot_triage_in *in, char *why, size_t whylen)
{
    const json_t *alert, *v;
    struct ot_ipaddr ip;
    const char *s;

    memset(in, 0, sizeof(*in));
    alert = json_object_get(ev, "alert");
    if (!json_is_object(alert))
        BAD("no alert object");

    v = json_object_get(alert, "category");
    if (!json_is_string(v))
        BAD("no alert.category");
    s = json_string_value(v);
    if (!is_slug(s))
        BAD("alert.category is not a family slug");
    ot_strlcpy(in->row.family, s, sizeof(in->row.family));

    v = json_object_get(alert, "signature_id");
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        BAD("no alert.signature_id (a positive integer)");
    in->row.sid = json_integer_value(v);

    v = json_object_get(alert, "severity");
    if (!v) {
        in->row.severity = 3;
    } else {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 3)
            BAD("alert.severity is not 1, 2 or 3");
        in->row.severity = (int)json_integer_value(v);
    }

    v = json_object_get(alert, "signature");
    if (json_is_string(v))
        copy_utf8(in->row.signature, json_string_value(v), sizeof(in->row.signature));

    v = json_object_get(alert, "count");
    if (!v) {
        in->row.count = 1;
    } else {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            BAD("alert.count is not a positive integer");
        in->row.count = json_integer_value(v);
    }

    v = json_object_get(ev, "timestamp");
    if (!json_is_string(v) || ot_triage_parse_time(json_string_value(v), &in->row.ts) != 0)
        BAD("timestamp is not an RFC 3339 time");
    if (opt_time(alert, "first_seen", in->row.ts, &in->first_seen) != 0)
        BAD("alert.first_seen is not an RFC 3339 time");
    if (opt_time(alert, "last_seen", in->first_seen, &in->last_seen) != 0)
        BAD("alert.last_seen is not an RFC 3339 time");
    if (in->last_seen < in->first_seen)
        in->last_seen = in->first_seen;

    v = json_object_get(ev, "src_ip");
    if (!json_is_string(v) || !ot_ipaddr_parse(json_string_value(v), &ip))
        BAD("src_ip is not an IP address");
    ot_ipaddr_format(&ip, in->row.src_ip, sizeof(in->row.src_ip));
    v = json_object_get(ev, "dest_ip");
    if (v) {
        if (!json_is_string(v) || !ot_ipaddr_parse(json_string_value(v), &ip))
            BAD("dest_ip is not an IP address");
        ot_ipaddr_format(&ip, in->row.dest_ip, sizeof(in->row.dest_ip));
    }
    in->row.src_port = port_of(ev, "src_port");
    in->row.dest_port = port_of(ev, "dest_port");

    v = json_object_get(json_object_get(alert, "evidence"), "login_result");
    in->login_success = json_is_string(v) && strcmp(json_string_value(v), "success") == 0;
    return 0;
}

/* True when the rule's address field (IP or CIDR, "" = any) covers ip. */
static bool addr_match(const char *rule, const char *ip)
{
    struct ot_cidr c;
    struct ot_ipaddr a;

    if (!rule[0])
        return true;
    if (ot_cidr_parse(rule, &c) != 0 || !ot_ipaddr_parse(ip, &a))
        return false;
    return ot_cidr_contains(&c, &a);
}

/* True when every non-empty field of rule s covers alert a. */
bool ot_triage_suppression_match(const struct ot_suppression *s, const struct ot_alert_row *a)
{
    if (s->sid != 0 && s->sid != a->sid)
        return false;
    if (s->family[0] && strcmp(s->family, a->family) != 0)
        return false;
    return addr_match(s->src, a->src_ip) && addr_match(s->dest, a->dest_ip);
}
