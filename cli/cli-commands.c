/*
 * The command table of `otasuke`, its help texts, the dispatch from the
 * parsed words to a command, and the helpers every command uses to call the
 * server and report what it refused.  Adding a command is one row here and
 * one function in a cli-cmd-*.c file.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "otasuke/version.h"

#define B(o) OT_OPT_BIT(OT_OPT_##o)

static const struct ot_cli_cmd commands[] = {
    {"customer", "add", "NAME", 1, 0, 0, "", "register a customer (a small firm)",
     ot_cli_cmd_customer_add},
    {"customer", "list", "", 0, 0, 0, "", "list the customers", ot_cli_cmd_customer_list},
    {"site", "add", "CUSTOMER NAME", 2, 0, 0, "",
     "add a site (an office) to a customer, given by id or exact name", ot_cli_cmd_site_add},
    {"site", "list", "CUSTOMER", 1, 0, 0, "", "list a customer's sites", ot_cli_cmd_site_list},
    {"token", "create", "", 0, B(CUSTOMER) | B(SITE) | B(TTL), B(CUSTOMER) | B(SITE),
     "--customer ID --site ID [--ttl 24h]",
     "make a one-time enrolment token and print the sensor's enrol command",
     ot_cli_cmd_token_create},
    {"device", "list", "", 0, B(CUSTOMER), 0, "[--customer ID]", "list enrolled devices",
     ot_cli_cmd_device_list},
    {"device", "revoke", "ID", 1, B(CUSTOMER), 0, "[--customer ID]",
     "revoke a device: its next request is refused", ot_cli_cmd_device_revoke},
    {"incident", "list", "", 0, B(CUSTOMER) | B(STATUS) | B(LIMIT), 0,
     "[--customer ID] [--status new|acknowledged|in_progress|resolved|open] [--limit N]",
     "list incidents, newest first", ot_cli_cmd_incident_list},
    {"incident", "show", "ID", 1, B(CUSTOMER), 0, "[--customer ID]",
     "show an incident: what happened, what to do, its alerts and audit trail",
     ot_cli_cmd_incident_show},
    {"incident", "set", "ID STATUS", 2, B(RESOLUTION) | B(NOTE) | B(ACTOR) | B(CUSTOMER), 0,
     "[--resolution true_positive|false_positive|benign] [--note TEXT] [--actor NAME] "
     "[--customer ID]",
     "change an incident's status (resolved needs --resolution)", ot_cli_cmd_incident_set},
    {"funnel", NULL, "", 0, B(CUSTOMER) | B(SINCE), 0, "[--customer ID] [--since DATE|7d]",
     "alerts -> suppressed -> incidents, per family and per signature", ot_cli_cmd_funnel},
    {"suppress", "add", "", 0, B(CUSTOMER) | B(NAME) | B(SID) | B(FAMILY) | B(SRC) | B(DEST),
     B(CUSTOMER), "--customer ID [--name TEXT] [--sid N] [--family F] [--src CIDR] [--dest CIDR]",
     "add a suppression rule: matching alerts are kept but open no incident",
     ot_cli_cmd_suppress_add},
    {"suppress", "list", "", 0, B(CUSTOMER), B(CUSTOMER), "--customer ID",
     "list a customer's suppression rules", ot_cli_cmd_suppress_list},
    {"suppress", "delete", "RULE", 1, B(CUSTOMER), B(CUSTOMER), "--customer ID",
     "delete a suppression rule", ot_cli_cmd_suppress_delete},
};

static const char global_help[] =
    "global options (anywhere on the line):\n"
    "  --server URL     the server (default " OT_CLI_DEFAULT_SERVER ")\n"
    "  --data DIR       the server's data folder: DIR/admin.key and DIR/ca.pem\n"
    "                   (default " OT_CLI_DEFAULT_DATA ")\n"
    "  --key-file FILE  the admin key (default DIR/admin.key)\n"
    "  --ca FILE        the CA certificate to trust (default DIR/ca.pem when present,\n"
    "                   else the system's trust store)\n"
    "  --json           print the server's JSON answer instead of a table\n"
    "  --lang ja|en     language of incident texts (default from LC_ALL/LC_MESSAGES/LANG)\n"
    "  -h, --help       help (after a command: that command's help)\n"
    "  -V, --version    print the version\n"
    "\n"
    "exit status: 0 done, 1 usage or local problem, 2 the server refused (its reason\n"
    "is printed), 3 cannot connect.  More: docs/cli.md\n";

/* The words of a command row as the user types them ("incident set"). */
static void cmd_name(const struct ot_cli_cmd *cmd, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", cmd->group, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
}

/* The usage line of one command. */
static void print_cmd_usage(const struct ot_cli_cmd *cmd, FILE *fp)
{
    char name[64];
    cmd_name(cmd, name, sizeof(name));
    fprintf(fp, "usage: otasuke %s%s%s%s%s\n", name, cmd->args[0] ? " " : "", cmd->args,
            cmd->usage[0] ? " " : "", cmd->usage);
}

/* The program's help: every command with its summary. */
static void print_help(FILE *fp, const char *group)
{
    fprintf(fp, "usage: otasuke [global options] COMMAND [arguments]\n\n"
                "The admin CLI of otasuke-server: customers, sites, enrolment tokens, devices,\n"
                "incidents, suppression rules and the alert funnel.\n\ncommands:\n");
    for (size_t i = 0; i < OT_ARRAY_SIZE(commands); i++) {
        const struct ot_cli_cmd *cmd = &commands[i];
        if (group && strcmp(group, cmd->group) != 0)
            continue;
        char name[64], line[160];
        cmd_name(cmd, name, sizeof(name));
        snprintf(line, sizeof(line), "%s%s%s", name, cmd->args[0] ? " " : "", cmd->args);
        fprintf(fp, "  %-28s %s\n", line, cmd->help);
    }
    fprintf(fp, "\n%s", global_help);
}

/* Finds the row for the words (see cli.h). */
const struct ot_cli_cmd *ot_cli_find(const struct ot_cli_args *a, bool *group_only)
{
    *group_only = false;
    if (a->nwords == 0)
        return NULL;
    for (size_t i = 0; i < OT_ARRAY_SIZE(commands); i++) {
        const struct ot_cli_cmd *cmd = &commands[i];
        if (strcmp(a->words[0], cmd->group) != 0)
            continue;
        *group_only = true;
        if (!cmd->verb)
            return cmd;
        if (a->nwords >= 2 && !strcmp(a->words[1], cmd->verb))
            return cmd;
    }
    return NULL;
}

/* Checks positional count and options against the row (see cli.h). */
int ot_cli_check(const struct ot_cli_cmd *cmd, const struct ot_cli_args *a, char *err,
                 size_t errlen)
{
    char name[64];
    cmd_name(cmd, name, sizeof(name));
    unsigned skip = cmd->verb ? 2 : 1;
    unsigned given = a->nwords - skip;
    if (given != cmd->nargs) {
        if (given > cmd->nargs)
            snprintf(err, errlen, "'%s' takes %u argument%s, got an extra '%.40s'", name,
                     cmd->nargs, cmd->nargs == 1 ? "" : "s", a->words[skip + cmd->nargs]);
        else
            snprintf(err, errlen, "'%s' needs %s", name, cmd->args);
        return OT_EINVAL;
    }
    for (unsigned o = 0; o < OT_OPT_COUNT_; o++) {
        if ((a->seen & OT_OPT_BIT(o)) && !(cmd->opts & OT_OPT_BIT(o))) {
            snprintf(err, errlen, "option --%s does not apply to '%s'", ot_cli_opt_name(o), name);
            return OT_EINVAL;
        }
        if ((cmd->required & OT_OPT_BIT(o)) && !(a->seen & OT_OPT_BIT(o))) {
            snprintf(err, errlen, "'%s' needs --%s", name, ot_cli_opt_name(o));
            return OT_EINVAL;
        }
    }
    return OT_OK;
}

/* Prints "otasuke: message" on the error stream and hands back the exit code. */
int ot_cli_fail(struct ot_cli_ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    fputs("otasuke: ", c->err);
    va_start(ap, fmt);
    vfprintf(c->err, fmt, ap);
    va_end(ap);
    fputc('\n', c->err);
    return code;
}

/* Calls the server; prints its reason and returns the exit code when it refused. */
int ot_cli_call(struct ot_cli_ctx *c, const char *method, const char *path, const json_t *body,
                bool expect_json, struct ot_cli_answer *ans)
{
    char err[512];
    int rc = ot_cli_http_call(c->http, method, path, body, ans, err, sizeof(err));
    if (rc == OT_ENOMEM)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "out of memory");
    if (rc != OT_OK)
        return ot_cli_fail(c, OT_CLI_EXIT_CONNECT, "%s", err);
    if (ans->status < 200 || ans->status > 299) {
        const json_t *e = ans->json ? json_object_get(ans->json, "error") : NULL;
        char reason[256];
        if (json_is_string(e))
            ot_cli_text_clean(json_string_value(e), 200, reason, sizeof(reason));
        else
            ot_cli_text_clean(ans->len ? ans->body : "no reason given", 200, reason,
                              sizeof(reason));
        int code = ot_cli_fail(c, OT_CLI_EXIT_REFUSED, "the server refused %s %s (%ld): %s", method,
                               path, ans->status, reason);
        ot_cli_answer_free(ans);
        return code;
    }
    if (expect_json && !ans->json) {
        ot_cli_answer_free(ans);
        return ot_cli_fail(c, OT_CLI_EXIT_REFUSED, "the server's answer to %s %s is not JSON",
                           method, path);
    }
    if (c->args->json && !c->quiet && ans->len > 0) {
        fwrite(ans->body, 1, ans->len, c->out);
        if (ans->body[ans->len - 1] != '\n')
            fputc('\n', c->out);
    }
    return OT_CLI_EXIT_OK;
}

/* A JSON member as cell text (see cli.h). */
const char *ot_cli_jstr(const json_t *obj, const char *key, char *buf, size_t len)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, len, "%.3f", json_real_value(v));
        return buf;
    }
    if (json_is_true(v))
        return "yes";
    if (json_is_false(v))
        return "no";
    return "-";
}

/* The "items" array of a list answer. */
const json_t *ot_cli_items(struct ot_cli_ctx *c, const struct ot_cli_answer *ans)
{
    const json_t *items = json_object_get(ans->json, "items");
    if (!json_is_array(items)) {
        ot_cli_fail(c, OT_CLI_EXIT_REFUSED, "the server's answer has no \"items\" list");
        return NULL;
    }
    return items;
}

/* Prints one table of the list answer's items with the given columns (JSON keys). */
int ot_cli_print_items(struct ot_cli_ctx *c, const struct ot_cli_answer *ans,
                       const char *const *head, const char *const *keys, unsigned ncols,
                       unsigned right_mask)
{
    const json_t *items = ot_cli_items(c, ans);
    if (!items)
        return OT_CLI_EXIT_REFUSED;
    if (c->args->json)
        return OT_CLI_EXIT_OK;
    struct ot_cli_table t;
    if (ot_cli_table_init(&t, head, ncols) != OT_OK)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "bad table");
    for (unsigned i = 0; i < ncols; i++)
        t.right[i] = (right_mask >> i) & 1;
    size_t i;
    const json_t *it;
    int rc = OT_OK;
    json_array_foreach(items, i, it)
    {
        char bufs[OT_TABLE_MAX_COLS][40], tbuf[OT_TABLE_MAX_COLS][24];
        const char *cells[OT_TABLE_MAX_COLS];
        for (unsigned k = 0; k < ncols; k++) {
            const char *v = ot_cli_jstr(it, keys[k], bufs[k], sizeof(bufs[k]));
            if (strstr(keys[k], "_at") || !strcmp(keys[k], "last_seen"))
                v = ot_cli_time_short(strcmp(v, "-") ? v : NULL, tbuf[k], sizeof(tbuf[k]));
            cells[k] = v;
        }
        rc = ot_cli_table_add(&t, cells);
        if (rc == OT_ENOMEM)
            break;
    }
    if (rc != OT_ENOMEM)
        ot_cli_table_print(&t, c->out);
    ot_cli_table_free(&t);
    return rc == OT_ENOMEM ? ot_cli_fail(c, OT_CLI_EXIT_USAGE, "out of memory") : OT_CLI_EXIT_OK;
}

/* Parse, find the command, connect, run; returns the exit status. */
int ot_cli_main(int argc, char **argv, FILE *out, FILE *errf)
{
    struct ot_cli_args a;
    char err[512];
    if (ot_cli_parse(argc, argv, ot_cli_env_locale(), &a, err, sizeof(err)) != OT_OK) {
        fprintf(errf, "otasuke: %s\n(otasuke --help lists the commands)\n", err);
        return OT_CLI_EXIT_USAGE;
    }
    if (a.version) {
        fprintf(out, "otasuke %s\n", OT_VERSION);
        return OT_CLI_EXIT_OK;
    }
    bool group_only;
    const struct ot_cli_cmd *cmd = ot_cli_find(&a, &group_only);
    if (a.nwords > 0 && !strcmp(a.words[0], "help")) {
        a.help = true;
        memmove(a.words, a.words + 1, --a.nwords * sizeof(a.words[0]));
        cmd = ot_cli_find(&a, &group_only);
    }
    if (a.help) {
        if (cmd) {
            print_cmd_usage(cmd, out);
            fprintf(out, "\n%s.\n\n%s", cmd->help, global_help);
        } else {
            print_help(out, group_only ? a.words[0] : NULL);
        }
        return OT_CLI_EXIT_OK;
    }
    if (!cmd) {
        if (a.nwords == 0)
            print_help(errf, NULL);
        else if (group_only) {
            fprintf(errf, "otasuke: '%s' needs a command\n", a.words[0]);
            print_help(errf, a.words[0]);
        } else
            fprintf(errf, "otasuke: unknown command '%.40s' (otasuke --help lists them)\n",
                    a.words[0]);
        return OT_CLI_EXIT_USAGE;
    }
    if (ot_cli_check(cmd, &a, err, sizeof(err)) != OT_OK) {
        fprintf(errf, "otasuke: %s\n", err);
        print_cmd_usage(cmd, errf);
        return OT_CLI_EXIT_USAGE;
    }
    struct ot_cli_ctx c = {.args = &a, .out = out, .err = errf};
    if (ot_cli_http_new(&a, &c.http, err, sizeof(err)) != OT_OK) {
        fprintf(errf, "otasuke: %s\n", err);
        return OT_CLI_EXIT_USAGE;
    }
    int code = cmd->run(&c);
    ot_cli_http_free(c.http);
    if (fflush(out) != 0 && code == OT_CLI_EXIT_OK)
        code = OT_CLI_EXIT_USAGE;
    return code;
}
