/*
 * The correlation table alone: the four rules of docs/server/design.md, the
 * partner look-up, the time tests, and which events count as a successful
 * login.  The rules applied to real incidents are in test_triage_store.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "triage/triage-int.h"

#define H OT_TRIAGE_HOUR_US

static const struct ot_triage_corr *rule(const char *name)
{
    size_t n;
    const struct ot_triage_corr *r = ot_triage_corr_rules(&n);

    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].name, name) == 0)
            return &r[i];
    fail_msg("no rule %s", name);
    return NULL;
}

static void test_table(void **state)
{
    size_t n;
    const struct ot_triage_corr *r = ot_triage_corr_rules(&n);

    (void)state;
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        /* every family named is one of the triage table's */
        assert_true(ot_triage_family_known(r[i].first));
        if (r[i].second)
            assert_true(ot_triage_family_known(r[i].second));
        assert_int_equal(r[i].severity, 1);
        assert_true(r[i].window_us > 0);
        assert_true(strlen(r[i].name) < sizeof(((struct ot_incident *)0)->correlation));
    }
    assert_string_equal(rule("ioc-beacon")->first, "ioc");
    assert_string_equal(rule("ioc-beacon")->second, "beacon");
    assert_string_equal(rule("rat-ioc")->first, "remote-access-tool");
    assert_string_equal(rule("rat-ioc")->second, "ioc");
    assert_string_equal(rule("scan-lateral")->first, "scan");
    assert_string_equal(rule("scan-lateral")->second, "lateral-movement");
    assert_true(rule("scan-lateral")->ordered);
    assert_string_equal(rule("bruteforce-login")->first, "bruteforce");
    assert_null(rule("bruteforce-login")->second);
    assert_int_equal(rule("bruteforce-login")->link, OT_CORR_LOGIN);
    assert_ptr_equal(ot_triage_corr_login_rule(), rule("bruteforce-login"));
}

static void test_next(void **state)
{
    const struct ot_triage_corr *r;
    const char *other;
    bool first;
    size_t it = 0, seen = 0;

    (void)state;
    /* ioc is in two rules: as first of ioc-beacon, as second of rat-ioc */
    while ((r = ot_triage_corr_next("ioc", &it, &other, &first))) {
        if (strcmp(r->name, "ioc-beacon") == 0) {
            assert_string_equal(other, "beacon");
            assert_true(first);
        } else {
            assert_string_equal(r->name, "rat-ioc");
            assert_string_equal(other, "remote-access-tool");
            assert_false(first);
        }
        seen++;
    }
    assert_int_equal(seen, 2);

    it = 0;
    r = ot_triage_corr_next("lateral-movement", &it, &other, &first);
    assert_non_null(r);
    assert_string_equal(r->name, "scan-lateral");
    assert_string_equal(other, "scan");
    assert_false(first);
    assert_null(ot_triage_corr_next("lateral-movement", &it, &other, &first));

    it = 0;
    r = ot_triage_corr_next("bruteforce", &it, &other, &first);
    assert_non_null(r);
    assert_null(other);
    assert_true(first);

    it = 0;
    assert_null(ot_triage_corr_next("dga", &it, &other, &first));
    it = 0;
    assert_null(ot_triage_corr_next("cleartext-credentials", &it, &other, &first));
}

static void test_in_time(void **state)
{
    const struct ot_triage_corr *ib = rule("ioc-beacon"), *sl = rule("scan-lateral");

    (void)state;
    /* overlapping spans */
    assert_true(ot_triage_corr_in_time(ib, 0, 2 * H, H, 3 * H));
    /* beacon first, ioc a day later: unordered, within 24 h */
    assert_true(ot_triage_corr_in_time(ib, 30 * H, 31 * H, 0, 7 * H));
    /* outside the window either way */
    assert_false(ot_triage_corr_in_time(ib, 0, H, H + 25 * H, 30 * H));
    assert_false(ot_triage_corr_in_time(ib, 40 * H, 41 * H, 0, H));
    /* ordered: scan then lateral */
    assert_true(ot_triage_corr_in_time(sl, 0, H, 2 * H, 3 * H));
    assert_true(ot_triage_corr_in_time(sl, 0, 5 * H, 2 * H, 3 * H));
    /* lateral movement that ended before the scan began is not "then" */
    assert_false(ot_triage_corr_in_time(sl, 5 * H, 6 * H, 2 * H, 3 * H));
    assert_false(ot_triage_corr_in_time(sl, 0, H, 30 * H, 31 * H));
}

static bool login(const char *doc)
{
    char src[48], dest[48];
    int64_t ts;
    json_t *j = json_loads(doc, 0, NULL);
    bool ok;

    assert_non_null(j);
    ok = ot_triage_login_success(j, src, dest, &ts);
    if (ok) {
        assert_string_equal(src, "198.51.100.7");
        assert_string_equal(dest, "192.168.1.20");
        assert_true(ts > 0);
    }
    json_decref(j);
    return ok;
}

#define EV(type, inner)                                                                            \
    "{\"timestamp\":\"2026-02-02T10:00:00.000000+0000\",\"event_type\":\"" type "\","              \
    "\"src_ip\":\"198.51.100.7\",\"src_port\":50000,\"dest_ip\":\"192.168.1.20\","                 \
    "\"dest_port\":21,\"" type "\":" inner "}"

static void test_login_success(void **state)
{
    (void)state;
    assert_true(login(EV("ftp", "{\"type\":\"login\",\"login_result\":\"success\"}")));
    assert_true(login(EV("telnet", "{\"type\":\"login\",\"login_result\":\"success\"}")));
    assert_true(login(EV("pop3", "{\"type\":\"login\",\"login_result\":\"success\"}")));
    assert_true(login(EV("imap", "{\"type\":\"login\",\"login_result\":\"success\"}")));
    assert_true(login(EV("smtp", "{\"type\":\"login\",\"login_result\":\"success\"}")));
    assert_true(login(EV("http", "{\"basic_auth\":true,\"status\":200}")));
    assert_true(login(EV("http", "{\"basic_auth\":true,\"status\":302}")));

    assert_false(login(EV("ftp", "{\"type\":\"login\",\"login_result\":\"failure\"}")));
    assert_false(login(EV("ftp", "{\"type\":\"login\",\"login_result\":\"unknown\"}")));
    assert_false(login(EV("ftp", "{\"type\":\"starttls\",\"login_result\":\"success\"}")));
    assert_false(login(EV("smtp", "{\"type\":\"mail\",\"login_result\":\"success\"}")));
    assert_false(login(EV("http", "{\"basic_auth\":true,\"status\":401}")));
    assert_false(login(EV("http", "{\"status\":200}")));
    assert_false(login(EV("ssh", "{\"type\":\"login\",\"login_result\":\"success\"}")));
    assert_false(login(EV("alert", "{\"type\":\"login\",\"login_result\":\"success\"}")));
    /* malformed endpoints */
    assert_false(login("{\"timestamp\":\"2026-02-02T10:00:00Z\",\"event_type\":\"ftp\","
                       "\"src_ip\":\"x\",\"dest_ip\":\"192.168.1.20\","
                       "\"ftp\":{\"type\":\"login\",\"login_result\":\"success\"}}"));
    assert_false(login("{\"event_type\":\"ftp\",\"src_ip\":\"198.51.100.7\","
                       "\"dest_ip\":\"192.168.1.20\","
                       "\"ftp\":{\"type\":\"login\",\"login_result\":\"success\"}}"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_in_time),
        cmocka_unit_test(test_login_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
