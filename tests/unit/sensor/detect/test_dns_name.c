/*
 * Domain-name helpers (dns-name.h): registered domains under one- and
 * two-level public suffixes and shared hosting, suffix matching on label
 * boundaries, and the names the DNS detectors leave alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/dns-name.h"
#include "otasuke/error.h"

static const char *reg(const char *name)
{
    return name + ot_dn_registered(name, strlen(name));
}

static void test_registered(void **state)
{
    assert_string_equal(reg("www.example.com"), "example.com");
    assert_string_equal(reg("a.b.c.example.com"), "example.com");
    assert_string_equal(reg("example.com"), "example.com");
    assert_string_equal(reg("com"), "com");
    assert_string_equal(reg("www.example.co.jp"), "example.co.jp");
    assert_string_equal(reg("example.co.jp"), "example.co.jp");
    assert_string_equal(reg("news.bbc.co.uk"), "bbc.co.uk");
    assert_string_equal(reg("shop.example.com.au"), "example.com.au");
    assert_string_equal(reg("www3.nhk.or.jp"), "nhk.or.jp");
    assert_string_equal(reg("hqxf.com.jm"), "hqxf.com.jm");
    assert_string_equal(reg("a.b.example.de"), "example.de");
    /* co under a long TLD is an ordinary label */
    assert_string_equal(reg("www.co.example"), "co.example");
    /* shared hosting and dynamic DNS: the owner's label */
    assert_string_equal(reg("omraecidpoeb.ddns.net"), "omraecidpoeb.ddns.net");
    assert_string_equal(reg("x.y.myblog.blogspot.com"), "myblog.blogspot.com");
    assert_string_equal(reg("semuacontoh.blogspot.co.id"), "semuacontoh.blogspot.co.id");
    assert_string_equal(reg("zonatec98.blogspot.com.es"), "zonatec98.blogspot.com.es");
    assert_string_equal(reg("d1a2b3c4d5e6f7.cloudfront.net"), "d1a2b3c4d5e6f7.cloudfront.net");
    /* a trailing dot */
    assert_int_equal(ot_dn_registered("www.example.com.", 16), 4);
}

static void test_suffix(void **state)
{
    assert_true(ot_dn_has_suffix("relay-1.net.anydesk.com", 23, "anydesk.com"));
    assert_true(ot_dn_has_suffix("ANYDESK.COM", 11, "anydesk.com"));
    assert_false(ot_dn_has_suffix("notanydesk.com", 14, "anydesk.com"));
    assert_false(ot_dn_has_suffix("anydesk.com.example.net", 23, "anydesk.com"));
    assert_false(ot_dn_has_suffix("desk.com", 8, "anydesk.com"));
    static const char *const list[] = {"a.com", "b.net"};
    assert_int_equal(ot_dn_match_list("x.b.net", 7, list, 2), 1);
    assert_int_equal(ot_dn_match_list("x.c.net", 7, list, 2), -1);
}

/* The suffix set gives what ot_dn_match_list() gives on the same list, for every name. */
static void test_suffix_set(void **state)
{
    static const char *const list[] = {"b.net", "a.com",   "x.a.com", "A.COM", ".dot.org",
                                       "local", "y.b.net", "com",     "ab.com"};
    static const char *const names[] = {
        "a.com",    "x.a.com", "X.A.Com", "b.a.com", "ba.com", "ab.com",        "q.ab.com",
        "y.b.net",  "b.net",   "zb.net",  "c.net",   "local",  "printer.local", "x..dot.org",
        ".dot.org", "dot.org", "",        "com",     "a.com.", "com.example",
    };
    struct ot_dn_set *set = calloc(1, sizeof(*set));
    assert_non_null(set);
    for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
        assert_int_equal(ot_dn_set_add(set, list[i], (int)i), 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_int_equal(
            ot_dn_set_match(set, names[i], strlen(names[i])),
            ot_dn_match_list(names[i], strlen(names[i]), list, sizeof(list) / sizeof(list[0])));
    assert_int_equal(ot_dn_set_match(set, "x.a.com", 7), 1); /* the first entry in list order */
    assert_int_equal(ot_dn_set_add(set, "", 0), OT_EINVAL);
    free(set);
}

static void test_ignored(void **state)
{
    static const char *const yes[] = {
        "localhost",
        "wpad",
        "4.3.2.1.in-addr.arpa",
        "b.a.9.8.ip6.arpa",
        "printer.local",
        "_ipp._tcp.local",
        "_ldap._tcp.dc._msdcs.corp.example.com",
        "nas.home.arpa",
        "router.lan",
        "host.localdomain",
        "x._domainkey.example.com",
        "db.internal",
        "HOST.LOCAL",
        "x.Onion",
        "_a",
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!ot_dn_is_ignored(yes[i], strlen(yes[i])))
            fail_msg("'%s' should be ignored", yes[i]);
    static const char *const no[] = {
        "www.example.com", "a_b.example.com", "local.example.com", "arpa.example.net",
        "x.locals",        "x.ocal",          "printer.local.",    "a.b_"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (ot_dn_is_ignored(no[i], strlen(no[i])))
            fail_msg("'%s' should not be ignored", no[i]);
}

/*
 * struct ot_dn_name gives what the plain functions give, each computed once,
 * for every name and set (a name of more than OT_DN_NAME_MAX_LABELS labels
 * too, which falls back to the plain walk).
 */
static void test_shared_name(void **state)
{
    static const char *const list[] = {"b.net",   "a.com",    "x.a.com",
                                       "A.COM",   ".dot.org", "local",
                                       "y.b.net", "ab.com",   "very.long.entry.example.org"};
    static const char *const names[] = {
        "a.com",
        "x.a.com",
        "X.A.Com",
        "b.a.com",
        "ba.com",
        "q.ab.com",
        "y.b.net",
        "zb.net",
        "printer.local",
        "x..dot.org",
        "",
        "a.com.",
        "www.example.co.jp",
        "omraecidpoeb.ddns.net",
        "X.DDNS.NET",
        "a.mooo.com",
        "x.y.myblog.blogspot.com",
        "_ldap._tcp.x.com",
        "4.3.2.1.in-addr.arpa",
        "q.very.long.entry.example.org",
        "long.entry.example.org",
    };
    struct ot_dn_set *set = calloc(1, sizeof(*set)), *small = calloc(1, sizeof(*small));
    assert_non_null(set);
    assert_non_null(small);
    for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
        assert_int_equal(ot_dn_set_add(set, list[i], (int)i), 0);
    assert_int_equal(ot_dn_set_add(small, "com", 3), 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *nm = names[i];
        size_t len = strlen(nm);
        struct ot_dn_name n;
        ot_dn_name_init(&n, nm, len);
        for (int round = 0; round < 2; round++) { /* the second time from what is kept */
            assert_int_equal(ot_dn_set_match_name(set, &n), ot_dn_set_match(set, nm, len));
            assert_int_equal(ot_dn_set_match_name(small, &n), ot_dn_set_match(small, nm, len));
            assert_int_equal(ot_dn_name_ignored(&n), ot_dn_is_ignored(nm, len));
            assert_int_equal(ot_dn_name_registered(&n), ot_dn_registered(nm, len));
        }
    }
    /* 200 labels: more than the struct keeps */
    char many[400 + 8];
    size_t m = 0;
    for (int i = 0; i < 200; i++) {
        many[m++] = 'q';
        many[m++] = '.';
    }
    memcpy(many + m, "a.com", 5);
    m += 5;
    struct ot_dn_name n;
    ot_dn_name_init(&n, many, m);
    assert_int_equal(ot_dn_set_match_name(set, &n), 1);
    assert_int_equal(ot_dn_set_match_name(set, &n), ot_dn_set_match(set, many, m));
    /* and against an entry that long */
    many[m] = '\0';
    struct ot_dn_set *big = calloc(1, sizeof(*big));
    assert_non_null(big);
    assert_int_equal(ot_dn_set_add(big, many + 2, 0), 0);
    ot_dn_name_init(&n, many, m);
    assert_int_equal(ot_dn_set_match_name(set, &n), 1);
    assert_int_equal(ot_dn_set_match_name(big, &n), 0);
    assert_int_equal(ot_dn_set_match_name(set, &n), 1);
    free(big);
    free(set);
    free(small);
}

static void test_misc(void **state)
{
    size_t lo, nl;
    ot_dn_label_stats("ab.cdef.g", 9, &lo, &nl);
    assert_int_equal(lo, 4);
    assert_int_equal(nl, 3);
    assert_true(ot_dn_hash("Example.COM", 11, 7) == ot_dn_hash("example.com", 11, 7));
    assert_true(ot_dn_hash("example.com", 11, 7) != ot_dn_hash("example.net", 11, 7));
    char out[8];
    assert_int_equal(ot_dn_copy_lower(out, sizeof(out), "ABCDEFGHIJ", 10), 7);
    assert_string_equal(out, "abcdefg");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered), cmocka_unit_test(test_suffix),
        cmocka_unit_test(test_suffix_set), cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_misc),       cmocka_unit_test(test_shared_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
