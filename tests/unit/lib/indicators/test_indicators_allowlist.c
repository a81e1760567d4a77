/*
 * Allowlists: single-term rules (address, network, domain, sid), two-term
 * rules that must both match, which rule is reported, errors with
 * FILE:LINE, limits, files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "indicators/allowlist.h"
#include "ioc-test.h"

struct alert {
    uint32_t sid;
    uint8_t a[4][16];
    struct ot_allow_addr addrs[4];
    size_t n_addrs;
    const char *names[4];
    size_t n_names;
};

/* Build an alert from text: addresses "a,b", names "x,y" (NULL: none). */
static void mk(struct alert *al, uint32_t sid, const char *a1, const char *a2, const char *n1,
               const char *n2)
{
    memset(al, 0, sizeof(*al));
    al->sid = sid;
    const char *as[2] = {a1, a2};
    for (int i = 0; i < 2; i++) {
        if (!as[i])
            continue;
        bool v6 = strchr(as[i], ':') != NULL;
        assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, as[i], al->a[al->n_addrs]), 1);
        al->addrs[al->n_addrs].addr = al->a[al->n_addrs];
        al->addrs[al->n_addrs].v6 = v6;
        al->n_addrs++;
    }
    if (n1)
        al->names[al->n_names++] = n1;
    if (n2)
        al->names[al->n_names++] = n2;
}

static bool sup(const struct ot_allowlist *l, const struct alert *a, struct ot_allow_hit *h)
{
    return ot_allowlist_match(l, a->sid, a->addrs, a->n_addrs, a->names, a->n_names, h);
}

static struct ot_allowlist *load(const char *text, struct reports *r, struct ot_ioc_load_stats *st)
{
    struct ot_allowlist *l;
    assert_int_equal(ot_allowlist_new(&l, 0), 0);
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = r};
    r->n = 0;
    assert_int_equal(ot_allowlist_load_buffer(l, "allow.txt", text, strlen(text), &o, st), 0);
    return l;
}

static void test_single_terms(void **state)
{
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_allow_hit h;
    struct alert a;
    struct ot_allowlist *l = load("# office allowlist\n"
                                  "\n"
                                  "192.0.2.10            # backup server\n"
                                  "198.51.100.0/24\n"
                                  "2001:db8:1::/48\n"
                                  "backup.example.com\n"
                                  "SID:2100498\n",
                                  &r, &st);
    dump_reports(&r);
    assert_int_equal(st.loaded, 5);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.lines, 7);
    assert_int_equal(ot_allowlist_count(l), 5);

    mk(&a, 1, "203.0.113.1", "192.0.2.10", NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_string_equal(h.file, "allow.txt");
    assert_int_equal(h.line, 3);
    assert_string_equal(h.rule, "192.0.2.10");
    mk(&a, 1, "198.51.100.200", NULL, NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 4);
    mk(&a, 1, "198.51.101.1", "192.0.2.11", NULL, NULL);
    assert_false(sup(l, &a, NULL));
    mk(&a, 1, "2001:db8:1:ffff::1", NULL, NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 5);
    mk(&a, 1, "2001:db8:2::1", NULL, NULL, NULL);
    assert_false(sup(l, &a, NULL));
    mk(&a, 1, NULL, NULL, "backup.example.com", NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 6);
    mk(&a, 1, NULL, NULL, "nas.Backup.Example.COM.", NULL);
    assert_true(sup(l, &a, NULL));
    mk(&a, 1, NULL, NULL, "notbackup.example.com", "example.com");
    assert_false(sup(l, &a, NULL));
    mk(&a, 2100498, "203.0.113.1", NULL, "x.example", NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 7);
    assert_string_equal(h.rule, "SID:2100498");
    mk(&a, 2100499, "203.0.113.1", NULL, "x.example", NULL);
    assert_false(sup(l, &a, NULL));
    mk(&a, 0, NULL, NULL, NULL, NULL);
    assert_false(sup(l, &a, NULL));
    ot_allowlist_free(l);
}

static void test_pairs(void **state)
{
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_allow_hit h;
    struct alert a;
    struct ot_allowlist *l = load("sid:1000 192.0.2.10\n"          /* 1 */
                                  "10.0.0.5 203.0.113.0/24\n"      /* 2 */
                                  "partner.example 198.51.100.7\n" /* 3 */
                                  "sid:2000\tupdates.example\n"    /* 4 */
                                  "10.0.0.0/8 10.1.0.0/16\n"       /* 5 */
                                  "a.example b.example\n",         /* 6 */
                                  &r, &st);
    dump_reports(&r);
    assert_int_equal(st.loaded, 6);

    /* sid + address: both */
    mk(&a, 1000, "192.0.2.10", "203.0.113.99", NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 1);
    mk(&a, 1001, "192.0.2.10", NULL, NULL, NULL);
    assert_false(sup(l, &a, NULL));
    mk(&a, 1000, "192.0.2.11", NULL, NULL, NULL);
    assert_false(sup(l, &a, NULL));

    /* two addresses: one alert address for each term */
    mk(&a, 5, "203.0.113.4", "10.0.0.5", NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 2);
    mk(&a, 5, "10.0.0.5", "198.51.100.1", NULL, NULL);
    assert_false(sup(l, &a, NULL));

    /* domain + address */
    mk(&a, 5, "198.51.100.7", NULL, "www.partner.example", NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 3);
    mk(&a, 5, "198.51.100.7", NULL, "www.other.example", NULL);
    assert_false(sup(l, &a, NULL));
    mk(&a, 5, "198.51.100.8", NULL, "www.partner.example", NULL);
    assert_false(sup(l, &a, NULL));

    /* sid + domain */
    mk(&a, 2000, NULL, NULL, "dl.updates.example", NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 4);
    mk(&a, 2001, NULL, NULL, "dl.updates.example", NULL);
    assert_false(sup(l, &a, NULL));

    /* nested networks: one address cannot satisfy both terms */
    mk(&a, 5, "10.1.2.3", NULL, NULL, NULL);
    assert_false(sup(l, &a, NULL));
    mk(&a, 5, "10.1.2.3", "10.9.9.9", NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 5);

    /* two names */
    mk(&a, 5, NULL, NULL, "x.a.example", NULL);
    assert_false(sup(l, &a, NULL));
    mk(&a, 5, NULL, NULL, "x.a.example", "b.example");
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 6);
    ot_allowlist_free(l);
}

static void test_first_rule_wins(void **state)
{
    struct reports r;
    struct ot_ioc_load_stats st;
    struct ot_allow_hit h;
    struct alert a;
    struct ot_allowlist *l = load("sid:7 192.0.2.1\n192.0.2.0/24\nsid:7\n", &r, &st);
    mk(&a, 7, "192.0.2.1", NULL, NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 1);
    mk(&a, 7, "192.0.2.2", NULL, NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 2);
    mk(&a, 7, "203.0.113.1", NULL, NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_int_equal(h.line, 3);
    ot_allowlist_free(l);
}

static void test_errors(void **state)
{
    struct reports r;
    struct ot_ioc_load_stats st;
    char text[6000];
    size_t n = (size_t)snprintf(text, sizeof(text),
                                "192.0.2.1 192.0.2.2 192.0.2.3\n" /* 1 */
                                "sid:abc\n"                       /* 2 */
                                "sid:0\n"                         /* 3 */
                                "sid:4294967296\n"                /* 4 */
                                "sid:1 sid:2\n"                   /* 5 */
                                "http://evil.example/x\n"         /* 6 */
                                "foo@bar\n"                       /* 7 */
                                "192.0.2.1:80\n"                  /* 8 */
                                "10.0.0.0/40\n"                   /* 9 */
                                "bad..example\n"                  /* 10 */
                                "ok.example # fine\n");           /* 11 */
    memset(text + n, 'x', 4200);                                  /* 12 */
    n += 4200;
    memcpy(text + n, "\nn\0ul\n", 6); /* 13 */
    n += 6;
    struct ot_allowlist *l;
    assert_int_equal(ot_allowlist_new(&l, 0), 0);
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = &r};
    r.n = 0;
    assert_int_equal(ot_allowlist_load_buffer(l, "al.txt", text, n, &o, &st), 0);
    dump_reports(&r);
    assert_int_equal(st.loaded, 1);
    assert_int_equal(st.errors, 12);
    assert_true(reported(&r, "al.txt:1: ", "more than two terms"));
    assert_true(reported(&r, "al.txt:2: ", "invalid signature id 'sid:abc'"));
    assert_true(reported(&r, "al.txt:3: ", "invalid signature id 'sid:0'"));
    assert_true(reported(&r, "al.txt:4: ", "invalid signature id 'sid:4294967296'"));
    assert_true(reported(&r, "al.txt:5: ", "two sid terms can never both match"));
    assert_true(reported(&r, "al.txt:6: ", "'http://evil.example/x' is a url; allowlist terms"));
    assert_true(reported(&r, "al.txt:7: ", "unknown term 'foo@bar'"));
    assert_true(reported(&r, "al.txt:8: ", "a port is not allowed here: '192.0.2.1:80'"));
    assert_true(reported(&r, "al.txt:9: ", "prefix length /40 out of range"));
    assert_true(reported(&r, "al.txt:10: ", "empty label in domain name"));
    assert_true(reported(&r, "al.txt:12: ", "line longer than 4096 bytes"));
    assert_true(reported(&r, "al.txt:13: ", "NUL byte in line"));

    /* the single-rule API */
    char why[200];
    assert_int_equal(ot_allowlist_add(l, "# just a comment", 16, "api", 1, why, sizeof(why)), 0);
    assert_int_equal(ot_allowlist_count(l), 1);
    assert_int_equal(ot_allowlist_add(l, "sid:9 a.example", 15, "api", 2, why, sizeof(why)), 0);
    assert_int_equal(ot_allowlist_count(l), 2);
    assert_int_equal(ot_allowlist_add(l, "a b c", 5, "api", 3, why, sizeof(why)), OT_EINVAL);
    assert_non_null(strstr(why, "more than two terms"));
    struct alert a;
    struct ot_allow_hit h;
    mk(&a, 9, NULL, NULL, "a.example", NULL);
    assert_true(sup(l, &a, &h));
    assert_string_equal(h.file, "api");
    assert_int_equal(h.line, 2);
    ot_allowlist_free(l);
}

static void test_limit_and_files(void **state)
{
    struct reports r = {0};
    struct ot_ioc_load_stats st;
    struct ot_allowlist *l;
    assert_int_equal(ot_allowlist_new(&l, 2), 0);
    const char *text = "192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n";
    char path[256];
    temp_file(path, sizeof(path), "customer-42.allow", text, strlen(text));
    struct ot_ioc_load_opts o = {.report = collect, .report_ctx = &r};
    assert_int_equal(ot_allowlist_load_file(l, path, &o, &st), OT_ELIMIT);
    assert_int_equal(st.loaded, 2);
    assert_int_equal(st.errors, 1);
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "%s:3: ", path);
    assert_true(reported(&r, prefix, "maximum of 2 rules; the rest of the file is not loaded"));
    struct alert a;
    struct ot_allow_hit h;
    mk(&a, 1, "192.0.2.2", NULL, NULL, NULL);
    assert_true(sup(l, &a, &h));
    assert_string_equal(h.file, path);
    temp_remove(path);
    r.n = 0;
    assert_int_equal(ot_allowlist_load_file(l, "/nonexistent.allow", &o, &st), OT_ENOENT);
    assert_true(reported(&r, "/nonexistent.allow: ", "cannot open"));
    assert_false(ot_allowlist_match(NULL, 1, NULL, 0, NULL, 0, NULL));
    assert_false(ot_allowlist_match(l, 1, NULL, 3, NULL, 3, NULL));
    ot_allowlist_free(l);
    ot_allowlist_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_terms),    cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_first_rule_wins), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limit_and_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
