/*
 * Incident work from the command line: list, show (what happened, what to
 * do, the alerts and the audit trail), status changes, the alert → incident
 * funnel for tuning, and suppression rules (docs/api.md).  Titles,
 * summaries and steps come from the server's message catalogue in the
 * language asked for with --lang; this file only lays them out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/util.h"
#include "otasuke/error.h"

/* "1" → "high" and so on (Suricata's scale); anything else as it came. */
static const char *severity_word(const json_t *obj, char *buf, size_t len)
{
    const char *v = ot_cli_jstr(obj, "severity", buf, len);
    if (!strcmp(v, "1"))
        return "high";
    if (!strcmp(v, "2"))
        return "medium";
    if (!strcmp(v, "3"))
        return "low";
    return v;
}

/* Appends "&name=value" (or "?name=value" first) to path; value must need no escaping. */
static void add_query(char *path, size_t len, const char *name, const char *value)
{
    size_t n = strlen(path);
    if (n < len)
        snprintf(path + n, len - n, "%c%s=%s", strchr(path, '?') ? '&' : '?', name, value);
}

/* incident list [--customer ID] [--status S] [--limit N] */
int ot_cli_cmd_incident_list(struct ot_cli_ctx *c)
{
    const struct ot_cli_args *a = c->args;
    char path[256] = "/api/v1/incidents", num[32];
    if (a->opt[OT_OPT_CUSTOMER]) {
        int64_t cid;
        int code = ot_cli_customer_id(c, a->opt[OT_OPT_CUSTOMER], &cid);
        if (code != OT_CLI_EXIT_OK)
            return code;
        snprintf(num, sizeof(num), "%" PRId64, cid);
        add_query(path, sizeof(path), "customer", num);
    }
    if (a->opt[OT_OPT_STATUS]) {
        const char *st = ot_cli_status_name(a->opt[OT_OPT_STATUS], true);
        if (!st)
            return ot_cli_fail(c, OT_CLI_EXIT_USAGE,
                               "--status must be new, acknowledged, in_progress, resolved or open");
        add_query(path, sizeof(path), "status", st);
    }
    if (a->opt[OT_OPT_LIMIT]) {
        uint64_t lim;
        if (ot_parse_u64(a->opt[OT_OPT_LIMIT], 1, 100000, &lim) != OT_OK)
            return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "--limit must be a number from 1 to 100000");
        snprintf(num, sizeof(num), "%" PRIu64, lim);
        add_query(path, sizeof(path), "limit", num);
    }
    add_query(path, sizeof(path), "lang", a->lang);

    struct ot_cli_answer ans;
    int code = ot_cli_call(c, "GET", path, NULL, true, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    const json_t *items = ot_cli_items(c, &ans);
    if (!items || a->json) {
        ot_cli_answer_free(&ans);
        return items ? OT_CLI_EXIT_OK : OT_CLI_EXIT_REFUSED;
    }
    static const char *const head[] = {
        "ID",     "CUSTOMER", "SEVERITY", "STATUS",          "FAMILY",
        "ENTITY", "ALERTS",   "EVENTS",   "LAST SEEN (UTC)", "TITLE"};
    static const char *const keys[] = {"id",        "customer_id", "severity",    "status",
                                       "family",    "entity",      "alert_count", "event_count",
                                       "last_seen", "title"};
    struct ot_cli_table t;
    ot_cli_table_init(&t, head, 10);
    t.right[0] = t.right[1] = t.right[6] = t.right[7] = true;
    t.maxw[5] = 40;
    t.maxw[9] = 60;
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it)
    {
        char bufs[10][40], tb[24];
        const char *cells[10];
        for (unsigned k = 0; k < 10; k++)
            cells[k] = ot_cli_jstr(it, keys[k], bufs[k], sizeof(bufs[k]));
        cells[2] = severity_word(it, bufs[2], sizeof(bufs[2]));
        cells[8] = ot_cli_time_short(strcmp(cells[8], "-") ? cells[8] : NULL, tb, sizeof(tb));
        if (ot_cli_table_add(&t, cells) == OT_ENOMEM) {
            ot_cli_table_free(&t);
            ot_cli_answer_free(&ans);
            return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "out of memory");
        }
    }
    if (t.nrows == 0)
        fprintf(c->out, "no incidents\n");
    else
        ot_cli_table_print(&t, c->out);
    ot_cli_table_free(&t);
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}

/* Prints text line by line, each cleaned and indented (server text may hold newlines). */
static void print_block(FILE *fp, const char *indent, const char *text)
{
    char line[2048], clean[2048 + 64];
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        size_t k = OT_MIN(n, sizeof(line) - 1);
        memcpy(line, text, k);
        line[k] = '\0';
        ot_cli_text_clean(line, 0, clean, sizeof(clean));
        fprintf(fp, "%s%s\n", indent, clean);
        text = nl ? nl + 1 : NULL;
    }
}

/* One "label: value" line with the value cleaned. */
static void print_field(FILE *fp, const char *label, const char *value)
{
    char clean[512];
    ot_cli_text_clean(value, 200, clean, sizeof(clean));
    fprintf(fp, "%-13s %s\n", label, clean);
}

/* The alerts of an incident as a table. */
static void print_alerts(FILE *fp, const json_t *alerts)
{
    static const char *const head[] = {"TIME (UTC)", "SID",         "SEV",   "SIGNATURE",
                                       "SOURCE",     "DESTINATION", "COUNT", "SUPPRESSED BY"};
    struct ot_cli_table t;
    ot_cli_table_init(&t, head, 8);
    t.right[1] = t.right[6] = true;
    t.maxw[3] = 50;
    size_t i;
    const json_t *al;
    json_array_foreach(alerts, i, al)
    {
        char b[8][64], tb[24], src[96], dst[96];
        const char *ts = ot_cli_jstr(al, "ts", b[0], sizeof(b[0]));
        if (!strcmp(ts, "-"))
            ts = ot_cli_jstr(al, "timestamp", b[0], sizeof(b[0]));
        snprintf(src, sizeof(src), "%s:%s", ot_cli_jstr(al, "src_ip", b[4], sizeof(b[4])),
                 ot_cli_jstr(al, "src_port", b[5], sizeof(b[5])));
        snprintf(dst, sizeof(dst), "%s:%s", ot_cli_jstr(al, "dest_ip", b[4], sizeof(b[4])),
                 ot_cli_jstr(al, "dest_port", b[5], sizeof(b[5])));
        const char *sup = ot_cli_jstr(al, "suppressed_by", b[7], sizeof(b[7]));
        const char *cells[8] = {
            ot_cli_time_short(strcmp(ts, "-") ? ts : NULL, tb, sizeof(tb)),
            ot_cli_jstr(al, "sid", b[1], sizeof(b[1])),
            severity_word(al, b[2], sizeof(b[2])),
            ot_cli_jstr(al, "signature", b[3], sizeof(b[3])),
            src,
            dst,
            ot_cli_jstr(al, "count", b[6], sizeof(b[6])),
            strcmp(sup, "0") ? sup : "-",
        };
        if (ot_cli_table_add(&t, cells) == OT_ENOMEM)
            break;
    }
    ot_cli_table_print(&t, fp);
    ot_cli_table_free(&t);
}

/* The audit trail of an incident as a table. */
static void print_audit(FILE *fp, const json_t *audit)
{
    static const char *const head[] = {"TIME (UTC)", "ACTOR", "ACTION", "DETAIL"};
    struct ot_cli_table t;
    ot_cli_table_init(&t, head, 4);
    t.maxw[3] = 80;
    size_t i;
    const json_t *au;
    json_array_foreach(audit, i, au)
    {
        char b[4][64], tb[24];
        const char *det = ot_cli_jstr(au, "detail", b[3], sizeof(b[3]));
        char *dumped = NULL;
        const json_t *dj = json_object_get(au, "detail");
        if (json_is_object(dj) || json_is_array(dj))
            det = dumped = json_dumps(dj, JSON_COMPACT);
        const char *at = ot_cli_jstr(au, "at", b[0], sizeof(b[0]));
        const char *cells[4] = {
            ot_cli_time_short(strcmp(at, "-") ? at : NULL, tb, sizeof(tb)),
            ot_cli_jstr(au, "actor", b[1], sizeof(b[1])),
            ot_cli_jstr(au, "action", b[2], sizeof(b[2])),
            det ? det : "-",
        };
        int rc = ot_cli_table_add(&t, cells);
        free(dumped);
        if (rc == OT_ENOMEM)
            break;
    }
    ot_cli_table_print(&t, fp);
    ot_cli_table_free(&t);
}

/* Prints an incident object in full (used by show and after set). */
static void print_incident(FILE *fp, const json_t *inc)
{
    char b[64], b2[64], tb[24], tb2[24], line[256];
    snprintf(line, sizeof(line), "%s  [%s]  severity %s", ot_cli_jstr(inc, "id", b, sizeof(b)),
             ot_cli_jstr(inc, "status", b2, sizeof(b2)), severity_word(inc, tb, sizeof(tb)));
    print_field(fp, "incident", line);
    print_field(fp, "title", ot_cli_jstr(inc, "title", b, sizeof(b)));
    print_field(fp, "customer", ot_cli_jstr(inc, "customer_id", b, sizeof(b)));
    print_field(fp, "family", ot_cli_jstr(inc, "family", b, sizeof(b)));
    print_field(fp, "entity", ot_cli_jstr(inc, "entity", b, sizeof(b)));
    snprintf(line, sizeof(line), "%s .. %s UTC",
             ot_cli_time_short(ot_cli_jstr(inc, "first_seen", b, sizeof(b)), tb, sizeof(tb)),
             ot_cli_time_short(ot_cli_jstr(inc, "last_seen", b2, sizeof(b2)), tb2, sizeof(tb2)));
    print_field(fp, "seen", line);
    snprintf(line, sizeof(line), "%s (%s events)", ot_cli_jstr(inc, "alert_count", b, sizeof(b)),
             ot_cli_jstr(inc, "event_count", b2, sizeof(b2)));
    print_field(fp, "alerts", line);
    const char *corr = ot_cli_jstr(inc, "correlation", b, sizeof(b));
    if (strcmp(corr, "-") != 0 && corr[0]) {
        snprintf(line, sizeof(line), "%s (with incident %s)", corr,
                 ot_cli_jstr(inc, "related_id", b2, sizeof(b2)));
        print_field(fp, "correlation", line);
    }
    const char *res = ot_cli_jstr(inc, "resolution", b, sizeof(b));
    if (strcmp(res, "-") != 0 && res[0] && strcmp(res, "none") != 0)
        print_field(fp, "resolution", res);
    const json_t *summary = json_object_get(inc, "summary");
    if (json_is_string(summary)) {
        fprintf(fp, "\nsummary:\n");
        print_block(fp, "  ", json_string_value(summary));
    }
    const json_t *steps = json_object_get(inc, "steps");
    if (json_is_array(steps) && json_array_size(steps) > 0) {
        fprintf(fp, "\nwhat to do:\n");
        size_t i;
        const json_t *st;
        json_array_foreach(steps, i, st)
        {
            char ind[32];
            snprintf(ind, sizeof(ind), "  %zu. ", i + 1);
            print_block(fp, ind, json_is_string(st) ? json_string_value(st) : "-");
        }
    }
}

/* incident show ID */
int ot_cli_cmd_incident_show(struct ot_cli_ctx *c)
{
    int64_t id;
    if (ot_cli_parse_id(c->args->words[2], &id) != OT_OK)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "the incident id must be a whole number above 0");
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/incidents/%" PRId64 "?lang=%s", id, c->args->lang);
    int code = ot_cli_scope(c, path, sizeof(path));
    if (code != OT_CLI_EXIT_OK)
        return code;
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "GET", path, NULL, true, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (!c->args->json) {
        print_incident(c->out, ans.json);
        const json_t *alerts = json_object_get(ans.json, "alerts");
        if (json_is_array(alerts)) {
            fprintf(c->out, "\nalerts:\n");
            if (json_array_size(alerts) == 0)
                fprintf(c->out, "  (none)\n");
            else
                print_alerts(c->out, alerts);
        }
        const json_t *audit = json_object_get(ans.json, "audit");
        if (json_is_array(audit)) {
            fprintf(c->out, "\naudit:\n");
            if (json_array_size(audit) == 0)
                fprintf(c->out, "  (no changes yet)\n");
            else
                print_audit(c->out, audit);
        }
    }
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}

/* incident set ID STATUS [--resolution R] [--note TEXT] [--actor NAME] */
int ot_cli_cmd_incident_set(struct ot_cli_ctx *c)
{
    const struct ot_cli_args *a = c->args;
    int64_t id;
    if (ot_cli_parse_id(a->words[2], &id) != OT_OK)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "the incident id must be a whole number above 0");
    const char *st = ot_cli_status_name(a->words[3], false);
    if (!st)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE,
                           "the status must be new, acknowledged, in_progress or resolved");
    json_t *body = json_pack("{s:s}", "status", st);
    if (!body)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "out of memory");
    char res[32];
    if (a->opt[OT_OPT_RESOLUTION]) {
        if (!ot_strlcpy(res, a->opt[OT_OPT_RESOLUTION], sizeof(res))) {
            json_decref(body);
            return ot_cli_fail(c, OT_CLI_EXIT_USAGE,
                               "--resolution is true_positive, false_positive or benign");
        }
        for (char *p = res; *p; p++)
            if (*p == '-')
                *p = '_';
        json_object_set_new(body, "resolution", json_string(res));
    }
    const char *actor = a->opt[OT_OPT_ACTOR] ? a->opt[OT_OPT_ACTOR] : getenv("USER");
    if (a->opt[OT_OPT_NOTE])
        json_object_set_new(body, "note", json_string(a->opt[OT_OPT_NOTE]));
    json_object_set_new(body, "actor", json_string(actor && *actor ? actor : "admin"));
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/incidents/%" PRId64 "/status?lang=%s", id, a->lang);
    int code = ot_cli_scope(c, path, sizeof(path));
    if (code != OT_CLI_EXIT_OK) {
        json_decref(body);
        return code;
    }
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "POST", path, body, true, &ans);
    json_decref(body);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (!a->json) {
        char b[32];
        fprintf(c->out, "incident %" PRId64 " is now %s\n", id,
                ot_cli_jstr(ans.json, "status", b, sizeof(b)));
    }
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}

/* One funnel table: the rows of answer member `key` with the columns given. */
static void print_funnel_rows(struct ot_cli_ctx *c, const json_t *rows, bool per_sig)
{
    static const char *const head_f[] = {"FAMILY", "ALERTS", "SUPPRESSED", "INCIDENTS"};
    static const char *const keys_f[] = {"family", "alerts", "suppressed", "incidents"};
    static const char *const head_s[] = {"SID",    "FAMILY",     "SIGNATURE",
                                         "ALERTS", "SUPPRESSED", "INCIDENTS"};
    static const char *const keys_s[] = {"sid",    "family",     "signature",
                                         "alerts", "suppressed", "incidents"};
    const char *const *head = per_sig ? head_s : head_f;
    const char *const *keys = per_sig ? keys_s : keys_f;
    unsigned n = per_sig ? 6 : 4;
    struct ot_cli_table t;
    ot_cli_table_init(&t, head, n);
    for (unsigned k = n - 3; k < n; k++)
        t.right[k] = true;
    if (per_sig) {
        t.right[0] = true;
        t.maxw[2] = 60;
    }
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r)
    {
        char b[6][64];
        const char *cells[6];
        for (unsigned k = 0; k < n; k++)
            cells[k] = ot_cli_jstr(r, keys[k], b[k], sizeof(b[k]));
        if (ot_cli_table_add(&t, cells) == OT_ENOMEM)
            break;
    }
    ot_cli_table_print(&t, c->out);
    ot_cli_table_free(&t);
}

/* funnel [--customer ID] [--since DATE] */
int ot_cli_cmd_funnel(struct ot_cli_ctx *c)
{
    const struct ot_cli_args *a = c->args;
    char path[256] = "/api/v1/funnel", val[48];
    if (a->opt[OT_OPT_CUSTOMER]) {
        int64_t cid;
        int code = ot_cli_customer_id(c, a->opt[OT_OPT_CUSTOMER], &cid);
        if (code != OT_CLI_EXIT_OK)
            return code;
        snprintf(val, sizeof(val), "%" PRId64, cid);
        add_query(path, sizeof(path), "customer", val);
    }
    if (a->opt[OT_OPT_SINCE]) {
        if (ot_cli_parse_since(a->opt[OT_OPT_SINCE], (int64_t)time(NULL), val, sizeof(val)) !=
            OT_OK)
            return ot_cli_fail(c, OT_CLI_EXIT_USAGE,
                               "--since must be a date (2026-01-31), an RFC 3339 time "
                               "(2026-01-31T09:00:00+09:00) or a span back from now (7d, 12h)");
        add_query(path, sizeof(path), "since", val);
    }
    struct ot_cli_answer ans;
    int code = ot_cli_call(c, "GET", path, NULL, true, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (!a->json) {
        char b[5][32];
        const json_t *f = ans.json;
        fprintf(c->out, "events %s -> alerts %s -> suppressed %s -> incidents %s (open %s)\n",
                ot_cli_jstr(f, "events", b[0], sizeof(b[0])),
                ot_cli_jstr(f, "alerts", b[1], sizeof(b[1])),
                ot_cli_jstr(f, "suppressed", b[2], sizeof(b[2])),
                ot_cli_jstr(f, "incidents", b[3], sizeof(b[3])),
                ot_cli_jstr(f, "incidents_open", b[4], sizeof(b[4])));
        const json_t *fam = json_object_get(f, "families");
        if (json_is_array(fam) && json_array_size(fam) > 0) {
            fprintf(c->out, "\nper family:\n");
            print_funnel_rows(c, fam, false);
        }
        const json_t *rules = json_object_get(f, "rules");
        if (json_is_array(rules) && json_array_size(rules) > 0) {
            fprintf(c->out, "\nper signature:\n");
            print_funnel_rows(c, rules, true);
        }
    }
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}

/* suppress add --customer ID [--name] [--sid] [--family] [--src] [--dest] */
int ot_cli_cmd_suppress_add(struct ot_cli_ctx *c)
{
    const struct ot_cli_args *a = c->args;
    const unsigned crit = OT_OPT_BIT(OT_OPT_SID) | OT_OPT_BIT(OT_OPT_FAMILY) |
                          OT_OPT_BIT(OT_OPT_SRC) | OT_OPT_BIT(OT_OPT_DEST);
    if (!(a->seen & crit))
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE,
                           "a rule needs at least one of --sid, --family, --src, --dest "
                           "(an empty rule would hide every alert)");
    uint64_t sid = 0;
    if (a->opt[OT_OPT_SID] && ot_parse_u64(a->opt[OT_OPT_SID], 1, INT64_MAX, &sid) != OT_OK)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "--sid must be a signature id (a number)");
    if (a->opt[OT_OPT_FAMILY] && !ot_cli_family_known(a->opt[OT_OPT_FAMILY]))
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE,
                           "unknown --family (one of ioc, scan, bruteforce, exposure, "
                           "cleartext-credentials, dns-tunnel, dga, beacon, cryptomining, "
                           "lateral-movement, remote-access-tool, new-device, malware, "
                           "persistence, privilege, suspicious-process)");
    int64_t cid;
    int code = ot_cli_customer_id(c, a->opt[OT_OPT_CUSTOMER], &cid);
    if (code != OT_CLI_EXIT_OK)
        return code;
    json_t *body = json_object();
    if (!body)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "out of memory");
    /* names are unique per customer: without --name, the criteria make one */
    char name[320];
    if (a->opt[OT_OPT_NAME]) {
        ot_strlcpy(name, a->opt[OT_OPT_NAME], sizeof(name));
    } else {
        name[0] = '\0';
        static const enum ot_cli_opt crit_opts[] = {OT_OPT_SID, OT_OPT_FAMILY, OT_OPT_SRC,
                                                    OT_OPT_DEST};
        for (size_t i = 0; i < OT_ARRAY_SIZE(crit_opts); i++) {
            const char *v = a->opt[crit_opts[i]];
            size_t n = strlen(name);
            if (v)
                snprintf(name + n, sizeof(name) - n, "%s%s=%.60s", n ? " " : "",
                         ot_cli_opt_name(crit_opts[i]), v);
        }
    }
    json_object_set_new(body, "name", json_string(name));
    json_object_set_new(body, "sid", json_integer((json_int_t)sid));
    json_object_set_new(body, "family",
                        json_string(a->opt[OT_OPT_FAMILY] ? a->opt[OT_OPT_FAMILY] : ""));
    json_object_set_new(body, "src", json_string(a->opt[OT_OPT_SRC] ? a->opt[OT_OPT_SRC] : ""));
    json_object_set_new(body, "dest", json_string(a->opt[OT_OPT_DEST] ? a->opt[OT_OPT_DEST] : ""));
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/customers/%" PRId64 "/suppressions", cid);
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "POST", path, body, true, &ans);
    json_decref(body);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (!a->json) {
        char b[32];
        fprintf(c->out, "suppression rule %s added for customer %" PRId64 "\n",
                ot_cli_jstr(ans.json, "id", b, sizeof(b)), cid);
    }
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}

/* suppress list --customer ID */
int ot_cli_cmd_suppress_list(struct ot_cli_ctx *c)
{
    static const char *const head[] = {"ID",  "NAME", "SID",          "FAMILY",
                                       "SRC", "DEST", "CREATED (UTC)"};
    static const char *const keys[] = {"id", "name", "sid", "family", "src", "dest", "created_at"};
    int64_t cid;
    int code = ot_cli_customer_id(c, c->args->opt[OT_OPT_CUSTOMER], &cid);
    if (code != OT_CLI_EXIT_OK)
        return code;
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/customers/%" PRId64 "/suppressions", cid);
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "GET", path, NULL, true, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    code = ot_cli_print_items(c, &ans, head, keys, 7, 0x5u);
    ot_cli_answer_free(&ans);
    return code;
}

/* suppress delete RULE --customer ID */
int ot_cli_cmd_suppress_delete(struct ot_cli_ctx *c)
{
    int64_t cid, rid;
    if (ot_cli_parse_id(c->args->words[2], &rid) != OT_OK)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "the rule id must be a whole number above 0");
    int code = ot_cli_customer_id(c, c->args->opt[OT_OPT_CUSTOMER], &cid);
    if (code != OT_CLI_EXIT_OK)
        return code;
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/customers/%" PRId64 "/suppressions/%" PRId64, cid, rid);
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "DELETE", path, NULL, false, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (!c->args->json)
        fprintf(c->out, "suppression rule %" PRId64 " deleted\n", rid);
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}
