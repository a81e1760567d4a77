/*
 * The otasuke command line: options and positional words into struct
 * ot_cli_args, and the small value parsers (durations, dates, ids,
 * statuses).  No I/O here, so every rule is unit-tested
 * (tests/unit/cli/test_cli_args.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/family.h"
#include "core/timefmt.h"
#include "core/util.h"
#include "otasuke/error.h"

static const char *const opt_names[OT_OPT_COUNT_] = {
    [OT_OPT_CUSTOMER] = "customer",
    [OT_OPT_SITE] = "site",
    [OT_OPT_TTL] = "ttl",
    [OT_OPT_STATUS] = "status",
    [OT_OPT_RESOLUTION] = "resolution",
    [OT_OPT_NOTE] = "note",
    [OT_OPT_ACTOR] = "actor",
    [OT_OPT_SINCE] = "since",
    [OT_OPT_NAME] = "name",
    [OT_OPT_SID] = "sid",
    [OT_OPT_FAMILY] = "family",
    [OT_OPT_SRC] = "src",
    [OT_OPT_DEST] = "dest",
    [OT_OPT_LIMIT] = "limit",
};

/* The long name of a command option. */
const char *ot_cli_opt_name(enum ot_cli_opt o)
{
    return (unsigned)o < OT_OPT_COUNT_ ? opt_names[o] : "?";
}

/* "ja" for a Japanese locale string, "en" for anything else (including NULL). */
const char *ot_cli_lang_from_locale(const char *locale)
{
    if (locale && locale[0] == 'j' && locale[1] == 'a' &&
        (locale[2] == '\0' || locale[2] == '_' || locale[2] == '.' || locale[2] == '-'))
        return "ja";
    return "en";
}

/* POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG; empty values do not count. */
const char *ot_cli_env_locale(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < OT_ARRAY_SIZE(vars); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

/* Global options that take a value; the pointer is where the value goes. */
static const char **global_slot(struct ot_cli_args *a, const char *name)
{
    if (!strcmp(name, "server"))
        return &a->server;
    if (!strcmp(name, "data"))
        return &a->data;
    if (!strcmp(name, "key-file"))
        return &a->key_file;
    if (!strcmp(name, "ca"))
        return &a->ca;
    if (!strcmp(name, "lang"))
        return &a->lang;
    return NULL;
}

/* Global or command option "name" with its value; err set when unknown or repeated. */
static int take_option(struct ot_cli_args *a, const char *name, size_t nlen, const char *value,
                       char *err, size_t errlen)
{
    char key[32];
    if (nlen == 0 || nlen >= sizeof(key)) {
        snprintf(err, errlen, "unknown option '--%.*s'", (int)OT_MIN(nlen, 40), name);
        return OT_EINVAL;
    }
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    const char **slot = global_slot(a, key);
    if (slot) {
        *slot = value;
        return OT_OK;
    }
    for (unsigned o = 0; o < OT_OPT_COUNT_; o++) {
        if (strcmp(key, opt_names[o]) != 0)
            continue;
        if (a->seen & OT_OPT_BIT(o)) {
            snprintf(err, errlen, "option '--%s' given twice", key);
            return OT_EINVAL;
        }
        a->opt[o] = value;
        a->seen |= OT_OPT_BIT(o);
        return OT_OK;
    }
    snprintf(err, errlen, "unknown option '--%s'", key);
    return OT_EINVAL;
}

/* True for options that take no value. */
static bool flag_option(struct ot_cli_args *a, const char *arg)
{
    if (!strcmp(arg, "--json")) {
        a->json = true;
        return true;
    }
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
        a->help = true;
        return true;
    }
    if (!strcmp(arg, "--version") || !strcmp(arg, "-V")) {
        a->version = true;
        return true;
    }
    return false;
}

/* Parses the whole command line (see cli.h). */
int ot_cli_parse(int argc, char **argv, const char *env_lang, struct ot_cli_args *out, char *err,
                 size_t errlen)
{
    struct ot_cli_args a;
    memset(&a, 0, sizeof(a));
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && !strcmp(arg, "--")) {
            options_done = true;
            continue;
        }
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (a.nwords >= OT_CLI_MAX_WORDS) {
                snprintf(err, errlen, "too many arguments (from '%.40s' on)", arg);
                return OT_EINVAL;
            }
            a.words[a.nwords++] = arg;
            continue;
        }
        if (flag_option(&a, arg))
            continue;
        if (arg[1] != '-') {
            snprintf(err, errlen, "unknown option '%.40s' (options are long: --name)", arg);
            return OT_EINVAL;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        const char *value;
        size_t nlen;
        if (eq) {
            nlen = (size_t)(eq - name);
            value = eq + 1;
        } else {
            nlen = strlen(name);
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option '--%.40s' needs a value", name);
                return OT_EINVAL;
            }
            value = argv[++i];
        }
        int rc = take_option(&a, name, nlen, value, err, errlen);
        if (rc != OT_OK)
            return rc;
    }
    if (!a.server)
        a.server = OT_CLI_DEFAULT_SERVER;
    if (!a.data)
        a.data = OT_CLI_DEFAULT_DATA;
    if (!a.lang) {
        a.lang = ot_cli_lang_from_locale(env_lang);
    } else if (strcmp(a.lang, "ja") != 0 && strcmp(a.lang, "en") != 0) {
        snprintf(err, errlen, "--lang must be ja or en, not '%.20s'", a.lang);
        return OT_EINVAL;
    }
    if (strncmp(a.server, "https://", 8) != 0 && strncmp(a.server, "http://", 7) != 0) {
        snprintf(err, errlen, "--server must be an http:// or https:// URL, not '%.60s'", a.server);
        return OT_EINVAL;
    }
    *out = a;
    return OT_OK;
}

/* Digits then one unit letter (s, m, h, d, w) or none (seconds). */
int ot_cli_parse_ttl(const char *s, int64_t *secs)
{
    static const int64_t max = 30 * 86400; /* the server's limit (docs/api.md) */
    if (!s || !isdigit((unsigned char)s[0]))
        return OT_EINVAL;
    size_t n = strlen(s);
    int64_t mult = 1;
    char digits[24];
    char unit = s[n - 1];
    if (!isdigit((unsigned char)unit)) {
        switch (unit) {
        case 's':
            mult = 1;
            break;
        case 'm':
            mult = 60;
            break;
        case 'h':
            mult = 3600;
            break;
        case 'd':
            mult = 86400;
            break;
        case 'w':
            mult = 7 * 86400;
            break;
        default:
            return OT_EINVAL;
        }
        n--;
    }
    if (n == 0 || n >= sizeof(digits))
        return OT_EINVAL;
    memcpy(digits, s, n);
    digits[n] = '\0';
    uint64_t v;
    if (ot_parse_u64(digits, 1, (uint64_t)(max / mult), &v) != OT_OK)
        return OT_EINVAL;
    int64_t total = (int64_t)v * mult;
    if (total < 60 || total > max)
        return OT_EINVAL;
    *secs = total;
    return OT_OK;
}

/* Exactly `n` digits at p into *v. */
static bool digits_at(const char *p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return true;
}

/* Seconds since the epoch → "YYYY-MM-DDTHH:MM:SSZ". */
static int format_utc(int64_t t, char *out, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return OT_EINVAL;
    if (strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return OT_EINVAL;
    return OT_OK;
}

/* "YYYY-MM-DD[THH:MM:SS[.frac][Z|±HH:MM]]" → seconds since the epoch (UTC). */
static int parse_date(const char *s, int64_t *t)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (!digits_at(s, 4, &y) || s[4] != '-' || !digits_at(s + 5, 2, &mo) || s[7] != '-' ||
        !digits_at(s + 8, 2, &d))
        return OT_EINVAL;
    const char *p = s + 10;
    int64_t offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        if (!digits_at(p + 1, 2, &h) || p[3] != ':' || !digits_at(p + 4, 2, &mi) || p[6] != ':' ||
            !digits_at(p + 7, 2, &se))
            return OT_EINVAL;
        p += 9;
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return OT_EINVAL;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (!digits_at(p + 1, 2, &oh) || p[3] != ':' || !digits_at(p + 4, 2, &om) || oh > 23 ||
                om > 59)
                return OT_EINVAL;
            offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
            p += 6;
        } else {
            return OT_EINVAL; /* a time needs its zone: RFC 3339 */
        }
    }
    if (*p != '\0')
        return OT_EINVAL;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
        return OT_EINVAL;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return OT_EINVAL;
    *t = ot_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
    return OT_OK;
}

/* A --since value into RFC 3339 UTC (see cli.h). */
int ot_cli_parse_since(const char *s, int64_t now, char *out, size_t len)
{
    if (!s || !*s)
        return OT_EINVAL;
    int64_t t;
    if (strlen(s) >= 10 && s[4] == '-') {
        if (parse_date(s, &t) != OT_OK)
            return OT_EINVAL;
    } else {
        int64_t back;
        /* a duration back from now; reuse the ttl grammar but allow short spans */
        size_t n = strlen(s);
        char unit = s[n - 1];
        int64_t mult = unit == 'd'   ? 86400
                       : unit == 'h' ? 3600
                       : unit == 'm' ? 60
                       : unit == 'w' ? 7 * 86400
                                     : 0;
        if (mult == 0 || n < 2 || n > 10)
            return OT_EINVAL;
        char digits[12];
        memcpy(digits, s, n - 1);
        digits[n - 1] = '\0';
        uint64_t v;
        if (ot_parse_u64(digits, 1, (uint64_t)(100LL * 366 * 86400 / mult), &v) != OT_OK)
            return OT_EINVAL;
        back = (int64_t)v * mult;
        t = now - back;
        if (t < 0)
            t = 0;
    }
    return format_utc(t, out, len);
}

/* A positive decimal id. */
int ot_cli_parse_id(const char *s, int64_t *id)
{
    uint64_t v;
    if (!s || ot_parse_u64(s, 1, INT64_MAX, &v) != OT_OK)
        return OT_EINVAL;
    *id = (int64_t)v;
    return OT_OK;
}

/* The API's spelling of an incident status, or NULL when s is not one. */
const char *ot_cli_status_name(const char *s, bool allow_open)
{
    static const char *const names[] = {"new", "acknowledged", "in_progress", "resolved"};
    if (!s)
        return NULL;
    if (!strcmp(s, "in-progress"))
        return "in_progress";
    if (allow_open && !strcmp(s, "open"))
        return "open";
    for (size_t i = 0; i < OT_ARRAY_SIZE(names); i++)
        if (!strcmp(s, names[i]))
            return names[i];
    return NULL;
}

/* The alert families of /work/shared/DESIGN.md ("Event model"). */
bool ot_cli_family_known(const char *family)
{
    return ot_family_known(family);
}
