/*
 * Tenancy commands: customers, sites, enrolment tokens and devices
 * (docs/api.md).  Each prints a table, or with --json the server's answer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "otasuke/error.h"

/* Looks a customer up by id or exact name (see cli.h). */
int ot_cli_customer_id(struct ot_cli_ctx *c, const char *text, int64_t *id)
{
    if (ot_cli_parse_id(text, id) == OT_OK)
        return OT_CLI_EXIT_OK;
    struct ot_cli_answer ans;
    bool was = c->quiet;
    c->quiet = true;
    int code = ot_cli_call(c, "GET", "/api/v1/customers", NULL, true, &ans);
    c->quiet = was;
    if (code != OT_CLI_EXIT_OK)
        return code;
    const json_t *items = ot_cli_items(c, &ans);
    size_t i;
    const json_t *it;
    int found = 0;
    json_array_foreach(items, i, it)
    {
        const json_t *name = json_object_get(it, "name");
        const json_t *cid = json_object_get(it, "id");
        if (json_is_string(name) && json_is_integer(cid) &&
            !strcmp(json_string_value(name), text)) {
            *id = json_integer_value(cid);
            found++;
        }
    }
    ot_cli_answer_free(&ans);
    if (!items)
        return OT_CLI_EXIT_REFUSED;
    if (found == 1)
        return OT_CLI_EXIT_OK;
    char clean[160];
    ot_cli_text_clean(text, 60, clean, sizeof(clean));
    return ot_cli_fail(c, OT_CLI_EXIT_REFUSED,
                       found ? "several customers are named '%s': give the id"
                             : "no customer with id or name '%s' (otasuke customer list)",
                       clean);
}

/* Scopes an object call to --customer (see cli.h). */
int ot_cli_scope(struct ot_cli_ctx *c, char *path, size_t len)
{
    const char *text = c->args->opt[OT_OPT_CUSTOMER];
    if (!text)
        return OT_CLI_EXIT_OK;
    int64_t cid;
    int code = ot_cli_customer_id(c, text, &cid);
    if (code != OT_CLI_EXIT_OK)
        return code;
    size_t n = strlen(path);
    if (n < len)
        snprintf(path + n, len - n, "%ccustomer=%" PRId64, strchr(path, '?') ? '&' : '?', cid);
    return OT_CLI_EXIT_OK;
}

/* The id from a positional word, or a usage error naming what it is. */
static int word_id(struct ot_cli_ctx *c, const char *word, const char *what, int64_t *id)
{
    if (ot_cli_parse_id(word, id) == OT_OK)
        return OT_CLI_EXIT_OK;
    char clean[64];
    ot_cli_text_clean(word, 40, clean, sizeof(clean));
    return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "%s must be a whole number above 0, not '%s'", what,
                       clean);
}

/* customer add NAME */
int ot_cli_cmd_customer_add(struct ot_cli_ctx *c)
{
    struct ot_cli_answer ans;
    json_t *body = json_pack("{s:s}", "name", c->args->words[2]);
    if (!body)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "the name must be UTF-8 text");
    int code = ot_cli_call(c, "POST", "/api/v1/customers", body, true, &ans);
    json_decref(body);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (!c->args->json) {
        char b1[32], name[200];
        ot_cli_text_clean(ot_cli_jstr(ans.json, "name", b1, sizeof(b1)), 80, name, sizeof(name));
        fprintf(c->out, "customer %s created: %s\n", ot_cli_jstr(ans.json, "id", b1, sizeof(b1)),
                name);
    }
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}

/* customer list */
int ot_cli_cmd_customer_list(struct ot_cli_ctx *c)
{
    static const char *const head[] = {"ID", "NAME", "CREATED (UTC)"};
    static const char *const keys[] = {"id", "name", "created_at"};
    struct ot_cli_answer ans;
    int code = ot_cli_call(c, "GET", "/api/v1/customers", NULL, true, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    code = ot_cli_print_items(c, &ans, head, keys, 3, 1u);
    ot_cli_answer_free(&ans);
    return code;
}

/* site add CUSTOMER NAME */
int ot_cli_cmd_site_add(struct ot_cli_ctx *c)
{
    int64_t cid;
    int code = ot_cli_customer_id(c, c->args->words[2], &cid);
    if (code != OT_CLI_EXIT_OK)
        return code;
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/customers/%" PRId64 "/sites", cid);
    json_t *body = json_pack("{s:s}", "name", c->args->words[3]);
    if (!body)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "the name must be UTF-8 text");
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "POST", path, body, true, &ans);
    json_decref(body);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (!c->args->json) {
        char b1[32], b2[32], name[200];
        ot_cli_text_clean(ot_cli_jstr(ans.json, "name", b1, sizeof(b1)), 80, name, sizeof(name));
        fprintf(c->out, "site %s created for customer %s: %s\n",
                ot_cli_jstr(ans.json, "id", b1, sizeof(b1)),
                ot_cli_jstr(ans.json, "customer_id", b2, sizeof(b2)), name);
    }
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}

/* site list CUSTOMER */
int ot_cli_cmd_site_list(struct ot_cli_ctx *c)
{
    static const char *const head[] = {"ID", "CUSTOMER", "NAME", "CREATED (UTC)"};
    static const char *const keys[] = {"id", "customer_id", "name", "created_at"};
    int64_t cid;
    int code = ot_cli_customer_id(c, c->args->words[2], &cid);
    if (code != OT_CLI_EXIT_OK)
        return code;
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/customers/%" PRId64 "/sites", cid);
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "GET", path, NULL, true, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    code = ot_cli_print_items(c, &ans, head, keys, 4, 3u);
    ot_cli_answer_free(&ans);
    return code;
}

/* token create --customer ID --site ID [--ttl 24h] */
int ot_cli_cmd_token_create(struct ot_cli_ctx *c)
{
    const struct ot_cli_args *a = c->args;
    int64_t cid, sid, ttl = 86400;
    int code = ot_cli_customer_id(c, a->opt[OT_OPT_CUSTOMER], &cid);
    if (code != OT_CLI_EXIT_OK)
        return code;
    code = word_id(c, a->opt[OT_OPT_SITE], "--site", &sid);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (a->opt[OT_OPT_TTL] && ot_cli_parse_ttl(a->opt[OT_OPT_TTL], &ttl) != OT_OK)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE,
                           "--ttl must be a duration from 1m to 30d such as 30m, 24h or 7d");
    json_t *body = json_pack("{s:I,s:I,s:s,s:I}", "customer_id", (json_int_t)cid, "site_id",
                             (json_int_t)sid, "kind", "sensor", "ttl", (json_int_t)ttl);
    if (!body)
        return ot_cli_fail(c, OT_CLI_EXIT_USAGE, "out of memory");
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "POST", "/api/v1/tokens", body, true, &ans);
    json_decref(body);
    if (code != OT_CLI_EXIT_OK)
        return code;
    const json_t *tok = json_object_get(ans.json, "token");
    if (!json_is_string(tok)) {
        ot_cli_answer_free(&ans);
        return ot_cli_fail(c, OT_CLI_EXIT_REFUSED, "the server's answer holds no token");
    }
    if (!a->json) {
        char b[40], t[40], token[300];
        ot_cli_text_clean(json_string_value(tok), 0, token, sizeof(token));
        fprintf(c->out,
                "token:   %s\n"
                "expires: %s UTC (works once)\n"
                "\n"
                "On the sensor, run:\n"
                "  otasuke-sensor enroll %s %s\n",
                token,
                ot_cli_time_short(ot_cli_jstr(ans.json, "expires_at", b, sizeof(b)), t, sizeof(t)),
                ot_cli_http_url(c->http), token);
    }
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}

/* device list [--customer ID] */
int ot_cli_cmd_device_list(struct ot_cli_ctx *c)
{
    static const char *const head[] = {"ID",     "CUSTOMER", "SITE",
                                       "NAME",   "KIND",     "LAST SEEN (UTC)",
                                       "EVENTS", "DROPPED",  "REVOKED (UTC)"};
    static const char *const keys[] = {"id",     "customer_id",   "site_id",
                                       "name",   "kind",          "last_seen",
                                       "events", "spool_dropped", "revoked_at"};
    char path[96] = "/api/v1/devices";
    if (c->args->opt[OT_OPT_CUSTOMER]) {
        int64_t cid;
        int code = ot_cli_customer_id(c, c->args->opt[OT_OPT_CUSTOMER], &cid);
        if (code != OT_CLI_EXIT_OK)
            return code;
        snprintf(path, sizeof(path), "/api/v1/devices?customer=%" PRId64, cid);
    }
    struct ot_cli_answer ans;
    int code = ot_cli_call(c, "GET", path, NULL, true, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    code = ot_cli_print_items(c, &ans, head, keys, 9, 0x7u | 0x40u | 0x80u);
    ot_cli_answer_free(&ans);
    return code;
}

/* device revoke ID */
int ot_cli_cmd_device_revoke(struct ot_cli_ctx *c)
{
    int64_t id;
    int code = word_id(c, c->args->words[2], "the device id", &id);
    if (code != OT_CLI_EXIT_OK)
        return code;
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/devices/%" PRId64 "/revoke", id);
    code = ot_cli_scope(c, path, sizeof(path));
    if (code != OT_CLI_EXIT_OK)
        return code;
    struct ot_cli_answer ans;
    code = ot_cli_call(c, "POST", path, NULL, true, &ans);
    if (code != OT_CLI_EXIT_OK)
        return code;
    if (!c->args->json)
        fprintf(c->out, "device %" PRId64 " revoked: its next request will be refused\n", id);
    ot_cli_answer_free(&ans);
    return OT_CLI_EXIT_OK;
}
