/*
 * The admin CLI's command line: global and command options anywhere, values
 * as "--opt V" or "--opt=V", usage errors with reasons, the command table's
 * checks, durations, dates, statuses and the language default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "otasuke/error.h"

/* Parses a NULL-terminated list of words as argv (with a program name in front). */
static int parse(struct ot_cli_args *a, char *err, size_t errlen, const char *env_lang, ...)
{
    char *argv[32] = {"otasuke"};
    int argc = 1;
    va_list ap;
    va_start(ap, env_lang);
    const char *w;
    while ((w = va_arg(ap, const char *)) != NULL && argc < 31)
        argv[argc++] = (char *)w;
    va_end(ap);
    err[0] = '\0';
    return ot_cli_parse(argc, argv, env_lang, a, err, errlen);
}

static void test_defaults_and_globals(void **state)
{
    struct ot_cli_args a;
    char err[256];
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "customer", "list", NULL), OT_OK);
    assert_string_equal(a.server, OT_CLI_DEFAULT_SERVER);
    assert_string_equal(a.data, OT_CLI_DEFAULT_DATA);
    assert_null(a.key_file);
    assert_null(a.ca);
    assert_string_equal(a.lang, "en");
    assert_false(a.json);
    assert_int_equal(a.nwords, 2);
    assert_string_equal(a.words[0], "customer");
    assert_string_equal(a.words[1], "list");

    /* global options before, between and after the words, both spellings */
    assert_int_equal(parse(&a, err, sizeof(err), "ja_JP.UTF-8", "--server", "https://10.0.0.1:9443",
                           "incident", "--json", "list", "--data=/srv/ot", "--ca", "/x/ca.pem",
                           "--key-file=/k", NULL),
                     OT_OK);
    assert_string_equal(a.server, "https://10.0.0.1:9443");
    assert_string_equal(a.data, "/srv/ot");
    assert_string_equal(a.ca, "/x/ca.pem");
    assert_string_equal(a.key_file, "/k");
    assert_string_equal(a.lang, "ja");
    assert_true(a.json);
    assert_int_equal(a.nwords, 2);

    assert_int_equal(parse(&a, err, sizeof(err), "ja_JP.UTF-8", "--lang", "en", "funnel", NULL),
                     OT_OK);
    assert_string_equal(a.lang, "en");
}

static void test_command_options(void **state)
{
    struct ot_cli_args a;
    char err[256];
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "incident", "set", "7", "resolved",
                           "--resolution=false_positive", "--note", "printer firmware", NULL),
                     OT_OK);
    assert_int_equal(a.nwords, 4);
    assert_string_equal(a.opt[OT_OPT_RESOLUTION], "false_positive");
    assert_string_equal(a.opt[OT_OPT_NOTE], "printer firmware");
    assert_true(a.seen & OT_OPT_BIT(OT_OPT_NOTE));
    assert_false(a.seen & OT_OPT_BIT(OT_OPT_CUSTOMER));

    /* "--" makes the rest words, even when they look like options */
    assert_int_equal(
        parse(&a, err, sizeof(err), NULL, "customer", "add", "--", "--odd name--", NULL), OT_OK);
    assert_int_equal(a.nwords, 3);
    assert_string_equal(a.words[2], "--odd name--");
    /* an empty value is a value */
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "funnel", "--since=", NULL), OT_OK);
    assert_string_equal(a.opt[OT_OPT_SINCE], "");
}

static void test_usage_errors(void **state)
{
    struct ot_cli_args a;
    char err[256];
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "customer", "list", "--bogus", "1", NULL),
                     OT_EINVAL);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "device", "list", "--customer", NULL),
                     OT_EINVAL);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "incident", "list", "--status", "new",
                           "--status=open", NULL),
                     OT_EINVAL);
    assert_non_null(strstr(err, "given twice"));
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "-x", NULL), OT_EINVAL);
    assert_non_null(strstr(err, "options are long"));
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "--lang", "fr", "funnel", NULL), OT_EINVAL);
    assert_non_null(strstr(err, "ja or en"));
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "--server", "ftp://x", "funnel", NULL),
                     OT_EINVAL);
    assert_int_equal(
        parse(&a, err, sizeof(err), NULL, "a", "b", "c", "d", "e", "f", "g", "h", "i", NULL),
        OT_EINVAL);
    assert_non_null(strstr(err, "too many arguments"));
    /* a long unknown option is cut in the message, not overflowing it */
    char longopt[400];
    memset(longopt, 'z', sizeof(longopt) - 1);
    longopt[0] = longopt[1] = '-';
    longopt[sizeof(longopt) - 1] = '\0';
    char small[48];
    assert_int_equal(parse(&a, small, sizeof(small), NULL, longopt, NULL), OT_EINVAL);
    assert_true(strlen(small) < sizeof(small));
}

static void test_flags(void **state)
{
    struct ot_cli_args a;
    char err[256];
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "incident", "show", "-h", NULL), OT_OK);
    assert_true(a.help);
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "--version", NULL), OT_OK);
    assert_true(a.version);
    assert_int_equal(parse(&a, err, sizeof(err), NULL, "-", NULL), OT_OK);
    assert_int_equal(a.nwords, 1); /* a lone "-" is a word */
}

/* Finds and checks a command the way ot_cli_main does. */
static int find_check(const char *const *words, char *err, size_t errlen)
{
    struct ot_cli_args a;
    char *argv[24] = {"otasuke"};
    int argc = 1;
    for (; *words; words++)
        argv[argc++] = (char *)*words;
    if (ot_cli_parse(argc, argv, NULL, &a, err, errlen) != OT_OK)
        return -100;
    bool group_only;
    const struct ot_cli_cmd *cmd = ot_cli_find(&a, &group_only);
    if (!cmd)
        return group_only ? -2 : -1;
    return ot_cli_check(cmd, &a, err, errlen);
}

static void test_command_table(void **state)
{
    char err[256];
    const char *ok1[] = {"token", "create", "--customer", "3", "--site", "4", "--ttl", "2h", NULL};
    assert_int_equal(find_check(ok1, err, sizeof(err)), OT_OK);
    const char *ok2[] = {"funnel", "--since", "7d", NULL};
    assert_int_equal(find_check(ok2, err, sizeof(err)), OT_OK);
    const char *ok3[] = {"suppress", "delete", "5", "--customer", "2", NULL};
    assert_int_equal(find_check(ok3, err, sizeof(err)), OT_OK);

    const char *missing[] = {"token", "create", "--customer", "3", NULL};
    assert_int_equal(find_check(missing, err, sizeof(err)), OT_EINVAL);
    assert_string_equal(err, "'token create' needs --site");
    const char *extra[] = {"customer", "add", "A", "B", NULL};
    assert_int_equal(find_check(extra, err, sizeof(err)), OT_EINVAL);
    assert_non_null(strstr(err, "extra 'B'"));
    const char *few[] = {"site", "add", "3", NULL};
    assert_int_equal(find_check(few, err, sizeof(err)), OT_EINVAL);
    assert_string_equal(err, "'site add' needs CUSTOMER NAME");
    const char *wrong_opt[] = {"customer", "list", "--ttl", "1h", NULL};
    assert_int_equal(find_check(wrong_opt, err, sizeof(err)), OT_EINVAL);
    assert_string_equal(err, "option --ttl does not apply to 'customer list'");
    const char *group[] = {"incident", NULL};
    assert_int_equal(find_check(group, err, sizeof(err)), -2);
    const char *badverb[] = {"incident", "frob", NULL};
    assert_int_equal(find_check(badverb, err, sizeof(err)), -2);
    const char *unknown[] = {"frobnicate", NULL};
    assert_int_equal(find_check(unknown, err, sizeof(err)), -1);
}

static void test_ttl(void **state)
{
    int64_t s;
    assert_int_equal(ot_cli_parse_ttl("24h", &s), OT_OK);
    assert_int_equal(s, 86400);
    assert_int_equal(ot_cli_parse_ttl("30m", &s), OT_OK);
    assert_int_equal(s, 1800);
    assert_int_equal(ot_cli_parse_ttl("7d", &s), OT_OK);
    assert_int_equal(s, 7 * 86400);
    assert_int_equal(ot_cli_parse_ttl("2w", &s), OT_OK);
    assert_int_equal(s, 14 * 86400);
    assert_int_equal(ot_cli_parse_ttl("3600", &s), OT_OK);
    assert_int_equal(s, 3600);
    assert_int_equal(ot_cli_parse_ttl("90s", &s), OT_OK);
    assert_int_equal(s, 90);
    assert_int_equal(ot_cli_parse_ttl("59s", &s), OT_EINVAL); /* under a minute */
    assert_int_equal(ot_cli_parse_ttl("30d", &s), OT_OK);
    assert_int_equal(s, 30 * 86400);
    assert_int_equal(ot_cli_parse_ttl("31d", &s), OT_EINVAL); /* past the server's 30 days */
    assert_int_equal(ot_cli_parse_ttl("5w", &s), OT_EINVAL);
    assert_int_equal(ot_cli_parse_ttl("0h", &s), OT_EINVAL);
    assert_int_equal(ot_cli_parse_ttl("h", &s), OT_EINVAL);
    assert_int_equal(ot_cli_parse_ttl("", &s), OT_EINVAL);
    assert_int_equal(ot_cli_parse_ttl("-1h", &s), OT_EINVAL);
    assert_int_equal(ot_cli_parse_ttl("1.5h", &s), OT_EINVAL);
    assert_int_equal(ot_cli_parse_ttl("24x", &s), OT_EINVAL);
    assert_int_equal(ot_cli_parse_ttl("99999999999999999999h", &s), OT_EINVAL);
}

static void test_since(void **state)
{
    char out[40];
    const int64_t now = 1764119663; /* 2025-11-26T01:14:23Z */
    assert_int_equal(ot_cli_parse_since("2026-01-31", now, out, sizeof(out)), OT_OK);
    assert_string_equal(out, "2026-01-31T00:00:00Z");
    assert_int_equal(ot_cli_parse_since("2026-01-31T09:00:00+09:00", now, out, sizeof(out)), OT_OK);
    assert_string_equal(out, "2026-01-31T00:00:00Z");
    assert_int_equal(ot_cli_parse_since("2024-02-29T23:59:59.5Z", now, out, sizeof(out)), OT_OK);
    assert_string_equal(out, "2024-02-29T23:59:59Z");
    assert_int_equal(ot_cli_parse_since("7d", now, out, sizeof(out)), OT_OK);
    assert_string_equal(out, "2025-11-19T01:14:23Z");
    assert_int_equal(ot_cli_parse_since("12h", now, out, sizeof(out)), OT_OK);
    assert_string_equal(out, "2025-11-25T13:14:23Z");

    assert_int_equal(ot_cli_parse_since("2023-02-29", now, out, sizeof(out)), OT_EINVAL);
    assert_int_equal(ot_cli_parse_since("2026-13-01", now, out, sizeof(out)), OT_EINVAL);
    assert_int_equal(ot_cli_parse_since("2026-01-31T10:00:00", now, out, sizeof(out)),
                     OT_EINVAL); /* no zone */
    assert_int_equal(ot_cli_parse_since("2026-01-31 junk", now, out, sizeof(out)), OT_EINVAL);
    assert_int_equal(ot_cli_parse_since("yesterday", now, out, sizeof(out)), OT_EINVAL);
    assert_int_equal(ot_cli_parse_since("", now, out, sizeof(out)), OT_EINVAL);
    assert_int_equal(ot_cli_parse_since("d", now, out, sizeof(out)), OT_EINVAL);
    assert_int_equal(ot_cli_parse_since("99999999999d", now, out, sizeof(out)), OT_EINVAL);
}

static void test_ids_status_lang(void **state)
{
    int64_t id;
    assert_int_equal(ot_cli_parse_id("12", &id), OT_OK);
    assert_int_equal(id, 12);
    assert_int_equal(ot_cli_parse_id("0", &id), OT_EINVAL);
    assert_int_equal(ot_cli_parse_id("1/../2", &id), OT_EINVAL); /* never reaches a URL path */
    assert_int_equal(ot_cli_parse_id("9223372036854775808", &id), OT_EINVAL);
    assert_int_equal(ot_cli_parse_id(NULL, &id), OT_EINVAL);

    assert_string_equal(ot_cli_status_name("in-progress", false), "in_progress");
    assert_string_equal(ot_cli_status_name("resolved", false), "resolved");
    assert_null(ot_cli_status_name("open", false));
    assert_string_equal(ot_cli_status_name("open", true), "open");
    assert_null(ot_cli_status_name("closed", true));

    assert_string_equal(ot_cli_lang_from_locale("ja_JP.UTF-8"), "ja");
    assert_string_equal(ot_cli_lang_from_locale("ja"), "ja");
    assert_string_equal(ot_cli_lang_from_locale("jam"), "en");
    assert_string_equal(ot_cli_lang_from_locale("en_US.UTF-8"), "en");
    assert_string_equal(ot_cli_lang_from_locale("C"), "en");
    assert_string_equal(ot_cli_lang_from_locale(NULL), "en");

    assert_true(ot_cli_family_known("bruteforce"));
    assert_true(ot_cli_family_known("suspicious-process"));
    assert_false(ot_cli_family_known("brute-force"));
    assert_false(ot_cli_family_known(NULL));
}

static void test_env_locale(void **state)
{
    setenv("LANG", "ja_JP.UTF-8", 1);
    setenv("LC_MESSAGES", "", 1);
    unsetenv("LC_ALL");
    assert_string_equal(ot_cli_env_locale(), "ja_JP.UTF-8");
    setenv("LC_ALL", "en_GB.UTF-8", 1);
    assert_string_equal(ot_cli_env_locale(), "en_GB.UTF-8");
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    unsetenv("LANG");
    assert_null(ot_cli_env_locale());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_globals),
        cmocka_unit_test(test_command_options),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_command_table),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_since),
        cmocka_unit_test(test_ids_status_lang),
        cmocka_unit_test(test_env_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
