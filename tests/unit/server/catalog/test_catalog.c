/*
 * The message catalogues: English and Japanese have the same keys; every
 * family of the triage table has a title, summary and steps in both (3 to 5
 * steps), every status, resolution, severity and correlation rule has a
 * name; look-up fallbacks and {placeholder} formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/catalog.h"
#include "triage/triage-int.h"

static void test_same_keys(void **state)
{
    static const char *const langs[][2] = {{"en", "ja"}, {"ja", "en"}};
    int missing = 0;

    (void)state;
    assert_true(ot_catalog_size("en") > 50);
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < ot_catalog_size(langs[l][0]); i++) {
            const char *k = ot_catalog_key_at(langs[l][0], i);
            if (!ot_catalog_has(langs[l][1], k)) {
                print_error("%s: key %s is missing from %s\n", langs[l][0], k, langs[l][1]);
                missing++;
            }
        }
    }
    assert_int_equal(missing, 0);
    assert_int_equal(ot_catalog_size("en"), ot_catalog_size("ja"));
    assert_null(ot_catalog_key_at("en", ot_catalog_size("en")));
    assert_int_equal(ot_catalog_size("fr"), 0);
}

/* Number of lines (steps) in text. */
static int lines(const char *text)
{
    int n = 1;

    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void need(const char *lang, const char *key, int *missing)
{
    if (!ot_catalog_has(lang, key)) {
        print_error("%s: no %s\n", lang, key);
        (*missing)++;
    }
}

static void test_families_covered(void **state)
{
    static const char *const langs[] = {"en", "ja"};
    static const char *const fields[] = {"title", "summary", "steps"};
    size_t n;
    const struct ot_triage_family *f = ot_triage_families(&n);
    int missing = 0;
    char key[96];

    (void)state;
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < 3; k++) {
                snprintf(key, sizeof(key), "incident.%s.%s", f[i].family, fields[k]);
                need(langs[l], key, &missing);
            }
            snprintf(key, sizeof(key), "family.%s", f[i].family);
            need(langs[l], key, &missing);
            snprintf(key, sizeof(key), "incident.%s.steps", f[i].family);
            if (ot_catalog_has(langs[l], key) && strcmp(f[i].family, "other") != 0) {
                int s = lines(ot_catalog_get(langs[l], key));
                if (s < 3 || s > 5) {
                    print_error("%s: %s has %d steps (want 3 to 5)\n", langs[l], key, s);
                    missing++;
                }
            }
            snprintf(key, sizeof(key), "incident.%s.title", f[i].family);
            /* Titles name the host, except where the entity is the whole network. */
            if (ot_catalog_has(langs[l], key) && f[i].entity != OT_ENTITY_NETWORK &&
                !strstr(ot_catalog_get(langs[l], key), "{entity}")) {
                print_error("%s: %s does not name {entity}\n", langs[l], key);
                missing++;
            }
        }
    }
    assert_int_equal(missing, 0);
}

static void test_names_covered(void **state)
{
    static const char *const langs[] = {"en", "ja"};
    static const char *const keys[] = {"status.new",
                                       "status.acknowledged",
                                       "status.in_progress",
                                       "status.resolved",
                                       "resolution.none",
                                       "resolution.true_positive",
                                       "resolution.false_positive",
                                       "resolution.benign",
                                       "severity.1",
                                       "severity.2",
                                       "severity.3"};
    size_t n;
    const struct ot_triage_corr *r = ot_triage_corr_rules(&n);
    int missing = 0;
    char key[96];

    (void)state;
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            need(langs[l], keys[i], &missing);
        for (size_t i = 0; i < n; i++) {
            snprintf(key, sizeof(key), "correlation.%s", r[i].name);
            need(langs[l], key, &missing);
        }
    }
    assert_int_equal(missing, 0);
}

static void test_lang_and_fallback(void **state)
{
    (void)state;
    assert_string_equal(ot_catalog_lang("en"), "en");
    assert_string_equal(ot_catalog_lang("en-US"), "en");
    assert_string_equal(ot_catalog_lang("ja"), "ja");
    assert_string_equal(ot_catalog_lang("fr"), "ja");
    assert_string_equal(ot_catalog_lang("english"), "ja");
    assert_string_equal(ot_catalog_lang(NULL), "ja");
    assert_string_equal(ot_catalog_get("en", "status.new"), "New");
    assert_string_equal(ot_catalog_get("ja", "status.new"), "新規");
    assert_string_equal(ot_catalog_get(NULL, "status.new"), "新規");
    assert_string_equal(ot_catalog_get("en", "no.such.key"), "no.such.key");
    /* the steps' escapes became real new lines */
    assert_non_null(strchr(ot_catalog_get("en", "incident.ioc.steps"), '\n'));
    assert_null(strstr(ot_catalog_get("en", "incident.ioc.steps"), "\\n"));
}

static void test_format(void **state)
{
    const char *vars[] = {"entity", "192.168.1.5", "count", "12", NULL};
    char buf[512];
    size_t n;

    (void)state;
    n = ot_catalog_format("en", "incident.ioc.title", buf, sizeof(buf), vars);
    assert_string_equal(buf, "192.168.1.5 talked to a known-bad address");
    assert_int_equal(n, strlen(buf));
    n = ot_catalog_format("ja", "incident.ioc.title", buf, sizeof(buf), vars);
    assert_string_equal(buf, "192.168.1.5 が危険なアドレスと通信しました");
    /* a placeholder without a value stays as it is */
    ot_catalog_format("en", "incident.ioc.summary", buf, sizeof(buf), vars);
    assert_non_null(strstr(buf, "{first_seen}"));
    assert_non_null(strstr(buf, "12 times"));
    /* no vars at all */
    ot_catalog_format("en", "incident.ioc.title", buf, sizeof(buf), NULL);
    assert_string_equal(buf, "{entity} talked to a known-bad address");
    /* truncation keeps whole characters: "192.168.1.5 が" is 12 + 3 bytes */
    n = ot_catalog_format("ja", "incident.ioc.title", buf, 15, vars);
    assert_int_equal(n, 12);
    assert_string_equal(buf, "192.168.1.5 ");
    n = ot_catalog_format("ja", "incident.ioc.title", buf, 16, vars);
    assert_int_equal(n, 15);
    n = ot_catalog_format("en", "incident.ioc.title", buf, 5, vars);
    assert_int_equal(n, 4);
    assert_string_equal(buf, "192.");
    assert_int_equal(ot_catalog_format("en", "incident.ioc.title", buf, 0, vars), 0);
    /* an unknown key formats as itself */
    ot_catalog_format("en", "x.{entity}", buf, sizeof(buf), vars);
    assert_string_equal(buf, "x.192.168.1.5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_keys),     cmocka_unit_test(test_families_covered),
        cmocka_unit_test(test_names_covered), cmocka_unit_test(test_lang_and_fallback),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
