/*
 * Indicator sets: adding values of every type and matching them (exact,
 * longest prefix, subdomains, normalised URLs, digests), duplicates, the
 * maximum count, finalize.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ioc-test.h"

static void test_detect(void **state)
{
    static const struct {
        const char *v;
        enum ot_ioc_type t;
    } cases[] = {
        {"192.0.2.1", OT_IOC_IP},
        {"192.0.2.1:8080", OT_IOC_IP},
        {"192.0.2.0/24", OT_IOC_CIDR},
        {"2001:db8::1", OT_IOC_IP},
        {"[2001:db8::1]:443", OT_IOC_IP},
        {"2001:db8::/32", OT_IOC_CIDR},
        {"evil.example", OT_IOC_DOMAIN},
        {"*.evil.example", OT_IOC_DOMAIN},
        {"tk", OT_IOC_DOMAIN},
        {"http://evil.example/a", OT_IOC_URL},
        {"evil.example/path", OT_IOC_URL},
        {"/gate.php", OT_IOC_URL},
        {"e7d705a3286e19ea42f587b344ee6865", OT_IOC_JA3},
        {"t13d1516h2_8daaf6152771_e5627efa2ab1", OT_IOC_JA4},
        {"854c68ab7ad70b6f95f76ec64b8a46c145997629", OT_IOC_SHA1},
        {"85:4C:68:AB:7A:D7:0B:6F:95:F7:6E:C6:4B:8A:46:C1:45:99:76:29", OT_IOC_SHA1},
        {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", OT_IOC_SHA256},
        {"1.2.3.999", OT_IOC_IP}, /* detected; the parser rejects it */
        {"a b", OT_IOC_AUTO},
        {"foo@bar", OT_IOC_AUTO},
        {"e7d705a3286e19ea42f587b344ee68", OT_IOC_AUTO}, /* 30 hex digits */
        {"evil.example:8080", OT_IOC_AUTO},
        {"[a-z]+\\.evil", OT_IOC_AUTO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum ot_ioc_type t = ot_ioc_detect_type(cases[i].v, strlen(cases[i].v));
        if (t != cases[i].t)
            fail_msg("%s: detected %s, want %s", cases[i].v, ot_ioc_type_name(t),
                     ot_ioc_type_name(cases[i].t));
    }
}

static void test_type_names(void **state)
{
    enum ot_ioc_type t;
    for (int i = 0; i < OT_IOC_TYPE_COUNT; i++) {
        const char *n = ot_ioc_type_name((enum ot_ioc_type)i);
        assert_int_equal(ot_ioc_type_parse(n, strlen(n), &t), 0);
        assert_int_equal(t, i);
    }
    assert_int_equal(ot_ioc_type_parse("IP-DST", 6, &t), 0);
    assert_int_equal(t, OT_IOC_IP);
    assert_int_equal(ot_ioc_type_parse("x509-fingerprint-sha1", 21, &t), 0);
    assert_int_equal(t, OT_IOC_SHA1);
    assert_int_equal(ot_ioc_type_parse("ja3-fingerprint-md5", 19, &t), 0);
    assert_int_equal(t, OT_IOC_JA3);
    assert_int_equal(ot_ioc_type_parse("Hostname", 8, &t), 0);
    assert_int_equal(t, OT_IOC_DOMAIN);
    assert_int_equal(ot_ioc_type_parse("", 0, &t), 0);
    assert_int_equal(t, OT_IOC_AUTO);
    assert_int_equal(ot_ioc_type_parse("md5", 3, &t), OT_EINVAL);
    assert_int_equal(ot_ioc_type_parse("email", 5, &t), OT_EINVAL);
}

static void test_ip_exact(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    assert_int_equal(add(s, "192.0.2.1"), 0);
    assert_int_equal(add(s, "2001:db8::1"), 0);
    assert_int_equal(add(s, "198.51.100.7:8080"), 0);
    assert_int_equal(add(s, "[2001:db8::2]:443"), 0);
    assert_int_equal(ot_ioc_set_finalize(s), 0);
    assert_true(ip4(s, "192.0.2.1", &h));
    assert_int_equal(h.type, OT_IOC_IP);
    assert_false(h.v6);
    assert_int_equal(h.prefix_len, 32);
    assert_int_equal(h.port, 0);
    assert_string_equal(h.value, "192.0.2.1");
    assert_false(ip4(s, "192.0.2.2", NULL));
    assert_true(ip6(s, "2001:db8:0:0::1", &h));
    assert_true(h.v6);
    assert_int_equal(h.prefix_len, 128);
    assert_false(ip6(s, "2001:db8::3", NULL));
    /* Maltrail ip:port: the address matches, the port is metadata */
    assert_true(ip4(s, "198.51.100.7", &h));
    assert_int_equal(h.port, 8080);
    assert_string_equal(h.value, "198.51.100.7:8080");
    assert_true(ip6(s, "2001:db8::2", &h));
    assert_int_equal(h.port, 443);
    /* IPv4-mapped IPv6 falls back to IPv4 */
    assert_true(ip6(s, "::ffff:192.0.2.1", &h));
    assert_false(h.v6);
    /* families do not mix: the same 4 bytes as the start of an IPv6 address */
    assert_false(ip6(s, "c000:201::", NULL));
    ot_ioc_set_free(s);
}

static void test_lpm_v4(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    assert_int_equal(add(s, "10.0.0.0/8"), 0);
    assert_int_equal(add(s, "10.1.0.0/16"), 0);
    assert_int_equal(add(s, "10.1.2.0/24"), 0);
    assert_int_equal(add(s, "10.1.2.128/25"), 0);
    assert_int_equal(add(s, "10.1.2.3"), 0);
    assert_int_equal(add(s, "172.16.0.0/12"), 0);
    assert_int_equal(add(s, "192.0.2.6/31"), 0);
    ot_ioc_set_finalize(s);
    assert_true(ip4(s, "10.1.2.3", &h));
    assert_int_equal(h.prefix_len, 32);
    assert_int_equal(h.type, OT_IOC_IP);
    assert_true(ip4(s, "10.1.2.200", &h));
    assert_int_equal(h.prefix_len, 25);
    assert_int_equal(h.type, OT_IOC_CIDR);
    assert_true(ip4(s, "10.1.2.4", &h));
    assert_int_equal(h.prefix_len, 24);
    assert_true(ip4(s, "10.1.200.1", &h));
    assert_int_equal(h.prefix_len, 16);
    assert_string_equal(h.value, "10.1.0.0/16");
    assert_true(ip4(s, "10.255.255.255", &h));
    assert_int_equal(h.prefix_len, 8);
    assert_false(ip4(s, "11.0.0.0", NULL));
    assert_false(ip4(s, "9.255.255.255", NULL));
    assert_true(ip4(s, "172.31.255.255", &h));
    assert_int_equal(h.prefix_len, 12);
    assert_false(ip4(s, "172.32.0.0", NULL));
    assert_true(ip4(s, "192.0.2.7", &h));
    assert_int_equal(h.prefix_len, 31);
    assert_false(ip4(s, "192.0.2.8", NULL));
    ot_ioc_set_free(s);

    /* /0 is everything; host bits of a listed network are ignored */
    s = new_set(0);
    assert_int_equal(add(s, "0.0.0.0/0"), 0);
    assert_int_equal(add(s, "10.1.2.3/16"), 0);
    assert_true(ip4(s, "8.8.8.8", &h));
    assert_int_equal(h.prefix_len, 0);
    assert_true(ip4(s, "10.1.99.1", &h));
    assert_int_equal(h.prefix_len, 16);
    assert_string_equal(h.value, "10.1.2.3/16");
    assert_int_equal(add(s, "10.1.0.0/16"), OT_EEXIST);
    ot_ioc_set_free(s);
}

/*
 * Longest-prefix match against a brute-force answer, over networks of every
 * length: the IPv4 filters (exact bitmaps up to /20, one bitmap of the first
 * 20 bits for longer networks) must never hide a match.  Addresses are drawn
 * near the networks so the filters' shared bits are exercised.
 */
static void test_lpm_v4_filters(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    enum { NETS = 400, PROBES = 20000 };
    static uint32_t net[NETS];
    static uint8_t len[NETS];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t n = 0;
    for (size_t i = 0; i < NETS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned l = (unsigned)(x >> 40) % 33;
        uint32_t a = (uint32_t)x & 0x0a0fffffu; /* few distinct leading bits */
        a = l ? a & (uint32_t)(0xffffffffu << (32 - l)) : 0;
        char txt[32];
        snprintf(txt, sizeof(txt), "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255,
                 l);
        int rc = add(s, txt);
        assert_true(rc == 0 || rc == OT_EEXIST);
        if (rc == 0) {
            net[n] = a;
            len[n++] = (uint8_t)l;
        }
    }
    ot_ioc_set_finalize(s);
    for (size_t k = 0; k < PROBES; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t a = (uint32_t)x & 0x0a0fffffu;
        int best = -1;
        for (size_t i = 0; i < n; i++) {
            uint32_t m = len[i] ? (uint32_t)(0xffffffffu << (32 - len[i])) : 0;
            if ((a & m) == net[i] && (best < 0 || len[i] > len[best]))
                best = (int)i;
        }
        uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
        struct ot_ioc_hit h;
        bool hit = ot_ioc_match_ip(s, b, false, &h);
        assert_int_equal(hit, best >= 0);
        if (hit)
            assert_int_equal(h.prefix_len, len[best]);
    }
    ot_ioc_set_free(s);
}

static void test_lpm_v6(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    assert_int_equal(add(s, "2001:db8::/32"), 0);
    assert_int_equal(add(s, "2001:db8:1::/48"), 0);
    assert_int_equal(add(s, "2001:db8:1:2::/64"), 0);
    assert_int_equal(add(s, "2001:db8:1:2::4/126"), 0);
    assert_int_equal(add(s, "2001:db8:1:2::5"), 0);
    assert_int_equal(add(s, "2001:db8:8000::/33"), 0);
    assert_int_equal(add(s, "10.0.0.0/8"), 0);
    ot_ioc_set_finalize(s);
    assert_true(ip6(s, "2001:db8:1:2::5", &h));
    assert_int_equal(h.prefix_len, 128);
    assert_true(ip6(s, "2001:db8:1:2::6", &h));
    assert_int_equal(h.prefix_len, 126);
    assert_true(ip6(s, "2001:db8:1:2::8", &h));
    assert_int_equal(h.prefix_len, 64);
    assert_true(ip6(s, "2001:db8:1:3::1", &h));
    assert_int_equal(h.prefix_len, 48);
    assert_true(ip6(s, "2001:db8:2::1", &h));
    assert_int_equal(h.prefix_len, 32);
    assert_true(ip6(s, "2001:db8:8001::1", &h));
    assert_int_equal(h.prefix_len, 33);
    assert_true(h.v6);
    assert_int_equal(h.type, OT_IOC_CIDR);
    assert_false(ip6(s, "2001:db9::1", NULL));
    assert_false(ip6(s, "::1", NULL));
    /* an IPv4 network does not catch IPv6 addresses, except v4-mapped ones */
    assert_false(ip6(s, "a00::1", NULL));
    assert_true(ip6(s, "::ffff:10.9.9.9", &h));
    assert_int_equal(h.prefix_len, 8);
    ot_ioc_set_free(s);
}

static void test_domains(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    struct ot_ioc_meta m = {.category = "broad", .confidence = 10};
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "evil.example", 12, &m, NULL, 0), 0);
    m.category = "narrow";
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "B.Evil.Example.", 15, &m, NULL, 0), 0);
    assert_int_equal(add(s, "*.wild.example"), 0);
    assert_int_equal(add(s, ".dot.example"), 0);
    assert_int_equal(add(s, "tk"), 0);
    assert_int_equal(add(s, "under_score.example"), 0);
    ot_ioc_set_finalize(s);

    assert_true(dom(s, "evil.example", &h));
    assert_string_equal(h.category, "broad");
    assert_string_equal(h.value, "evil.example");
    assert_int_equal(h.type, OT_IOC_DOMAIN);
    assert_true(dom(s, "a.b.c.evil.example", &h));
    assert_string_equal(h.category, "broad");
    assert_true(dom(s, "EVIL.EXAMPLE.", &h));
    assert_false(dom(s, "notevil.example", NULL));
    assert_false(dom(s, "evil.example.com", NULL));
    assert_false(dom(s, "example", NULL));
    assert_false(dom(s, "vil.example", NULL));
    /* the most specific listed suffix wins */
    assert_true(dom(s, "x.b.evil.example", &h));
    assert_string_equal(h.category, "narrow");
    assert_string_equal(h.value, "B.Evil.Example.");
    assert_true(dom(s, "b.evil.example", &h));
    assert_string_equal(h.category, "narrow");
    assert_true(dom(s, "ab.evil.example", &h));
    assert_string_equal(h.category, "broad");
    /* "*." and "." prefixes mean the same as the bare name */
    assert_true(dom(s, "wild.example", NULL));
    assert_true(dom(s, "x.wild.example", NULL));
    assert_true(dom(s, "dot.example", NULL));
    /* a one-label listing is a whole TLD */
    assert_true(dom(s, "free-stuff.tk", NULL));
    assert_true(dom(s, "tk.", NULL));
    assert_false(dom(s, "tkx", NULL));
    assert_true(dom(s, "a.under_score.example", NULL));
    /* lookups of junk never match */
    assert_false(dom(s, "", NULL));
    assert_false(dom(s, ".", NULL));
    assert_false(dom(s, "..", NULL));
    char longname[300];
    memset(longname, 'a', sizeof(longname));
    memcpy(longname + sizeof(longname) - 13, ".evil.example", 13);
    assert_false(ot_ioc_match_domain(s, longname, sizeof(longname), NULL));
    assert_true(ot_ioc_match_domain(s, longname + 60, sizeof(longname) - 60, NULL));
    ot_ioc_set_free(s);
}

/* A listed onion service matches through a Tor2web gateway ("x.onion.to"). */
static void test_onion_gateways(void **state)
{
    (void)state;
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    struct ot_ioc_meta m = {.category = "ransom"};
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "payme3xample7ab.onion", 21, &m, NULL, 0), 0);
    assert_int_equal(add(s, "listed-gateway.example"), 0);
    ot_ioc_set_finalize(s);
    assert_true(dom(s, "payme3xample7ab.onion", &h));
    assert_true(dom(s, "payme3xample7ab.onion.to", &h));
    assert_string_equal(h.category, "ransom");
    assert_string_equal(h.value, "payme3xample7ab.onion");
    assert_true(dom(s, "www.payme3xample7ab.onion.ws", NULL));
    assert_true(dom(s, "PAYME3XAMPLE7AB.Onion.Cab.", NULL));
    /* another onion service, the gateway alone, onion not as a whole label: no */
    assert_false(dom(s, "other3xample7ab.onion.to", NULL));
    assert_false(dom(s, "onion.to", NULL));
    assert_false(dom(s, "payme3xample7ab.onionx.to", NULL));
    assert_false(dom(s, "payme3xample7ab.xonion.to", NULL));
    assert_true(dom(s, "payme3xample7ab.onion.", NULL)); /* one trailing dot ignored */
    /* a listed gateway domain still matches as itself */
    assert_true(dom(s, "a.onion.listed-gateway.example", NULL));
    ot_ioc_set_free(s);
}

static void test_domain_errors(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    char why[200];
    static const struct {
        const char *v;
        const char *why;
    } bad[] = {
        {"a..example", "empty label in domain name 'a..example'"},
        {"-bad$.example", "invalid character '$' in domain name '-bad$.example'"},
        {"abc.123", "'abc.123' is not a domain name (its last label is all digits)"},
        {"192.0.2.1", "'192.0.2.1' is not a domain name"},
        {"caf\xc3\xa9.example", "invalid byte 0xc3 in domain name 'caf\\xc3\\xa9.example' (write "
                                "IDNs as xn--)"},
        {"x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
         "label longer than 63 bytes"},
        {"*.", "empty domain name"},
        {"a*.example", "invalid character '*'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            ot_ioc_set_add(s, OT_IOC_DOMAIN, bad[i].v, strlen(bad[i].v), NULL, why, sizeof(why)),
            OT_EINVAL);
        if (!strstr(why, bad[i].why))
            fail_msg("%s: got \"%s\", want \"%s\"", bad[i].v, why, bad[i].why);
    }
    char name[300];
    memset(name, 'a', sizeof(name));
    for (int i = 50; i < 300; i += 50)
        name[i] = '.';
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_DOMAIN, name, 260, NULL, why, sizeof(why)),
                     OT_EINVAL);
    assert_non_null(strstr(why, "longer than 253 bytes"));
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_DOMAIN, name, 253, NULL, why, sizeof(why)), 0);
    ot_ioc_set_free(s);
}

static bool url(const struct ot_ioc_set *s, const char *host, const char *target,
                struct ot_ioc_hit *h)
{
    return ot_ioc_match_url(s, host, host ? strlen(host) : 0, target, strlen(target), h);
}

static void test_url_normalisation(void **state)
{
    static const struct {
        const char *listed;
        const char *host; /* Host header as the parser saw it */
        const char *target;
        bool match;
    } cases[] = {
        {"http://evil.example/gate.php", "evil.example", "/gate.php", true},
        {"https://evil.example/gate.php", "evil.example", "/gate.php", true},
        {"evil.example/gate.php", "evil.example", "/gate.php", true},
        {"HTTP://EVIL.Example/gate.php", "evil.EXAMPLE", "/gate.php", true},
        {"http://evil.example/Gate.php", "evil.example", "/gate.php", false}, /* path case */
        {"http://evil.example:80/a", "evil.example", "/a", true},
        {"http://evil.example/a", "evil.example:80", "/a", true},
        {"https://evil.example:443/a", "evil.example", "/a", true},
        {"ftp://evil.example:21/a", "evil.example", "/a", true},
        {"http://evil.example:8080/a", "evil.example:8080", "/a", true},
        {"http://evil.example:8080/a", "evil.example", "/a", false},
        {"http://evil.example/a", "evil.example:8080", "/a", false},
        {"http://evil.example./a", "evil.example", "/a", true},
        {"http://evil.example:/a", "evil.example:", "/a", true},
        {"http://evil.example/a", "evil.example.:80", "/a", true},
        {"http://user:pw@evil.example/a", "evil.example", "/a", true},
        {"http://evil.example/a#frag", "evil.example", "/a", true},
        {"http://evil.example", "evil.example", "/", true},
        {"http://evil.example?q=1", "evil.example", "/?q=1", true},
        {"http://evil.example/", "evil.example", "/", true},
        {"http://evil.example/%7Euser/%41%2d", "evil.example", "/~user/A-", true},
        {"http://evil.example/a%2fb", "evil.example", "/a%2Fb", true},
        {"http://evil.example/a%2fb", "evil.example", "/a/b", false},
        {"http://evil.example/a/./b/../c", "evil.example", "/a/c", true},
        {"http://evil.example/a/b/..", "evil.example", "/a/", true},
        {"http://evil.example/../../a", "evil.example", "/a", true},
        {"http://evil.example/a/%2E%2E/b", "evil.example", "/b", true},
        {"http://evil.example/a", "evil.example", "/x/../a", true},
        {"http://evil.example/a//b", "evil.example", "/a/b", false},
        {"http://evil.example/a?x=1&y=2", "evil.example", "/a?x=1&y=2", true},
        {"http://evil.example/a?x=1&y=2", "evil.example", "/a?y=2&x=1", false},
        {"http://evil.example/a", "evil.example", "/a?any=thing", true}, /* no query listed */
        {"http://evil.example/a?x=1", "evil.example", "/a", false},
        {"http://evil.example/a?", "evil.example", "/a", true},
        {"http://evil.example/caf\xc3\xa9", "evil.example", "/caf%C3%A9", true},
        {"http://evil.example/caf%c3%a9", "evil.example", "/caf\xc3\xa9", true},
        {"http://evil.example/a b", "evil.example", "/a%20b", true},
        {"http://192.0.2.1/x", "192.0.2.1", "/x", true},
        {"http://[2001:DB8:0::1]:8080/x", "[2001:db8::1]:8080", "/x", true},
        {"http://evil.example/x", "", "http://evil.example/x", true}, /* absolute-form */
        {"http://evil.example/x", "other.example", "http://EVIL.example:80/x", true},
        {"http://evil.example/x", "evil.example", "evil.example:443", false}, /* CONNECT */
        {"http://evil.example/x", "evil.example", "*", false},
        {"http://evil.example/x", "other.example", "/x", false},
        {"/gate.php", "anything.example", "/gate.php", true}, /* host-less listing */
        {"/gate.php", "anything.example", "/gate.php?id=7", true},
        {"/gate.php", "", "/gate.php", true},
        {"/gate.php", "anything.example", "/dir/gate.php", false},
        {"/%E8%8B%B1.apk", "x.example", "/\xe8\x8b\xb1.apk", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ot_ioc_set *s = new_set(0);
        char why[200];
        int rc = ot_ioc_set_add(s, OT_IOC_AUTO, cases[i].listed, strlen(cases[i].listed), NULL, why,
                                sizeof(why));
        if (rc)
            fail_msg("%s: add failed: %s", cases[i].listed, why);
        struct ot_ioc_hit h;
        bool got = url(s, cases[i].host, cases[i].target, &h);
        if (got != cases[i].match)
            fail_msg("listed %s, request host '%s' target '%s': %s", cases[i].listed, cases[i].host,
                     cases[i].target, got ? "matched" : "did not match");
        if (got) {
            assert_int_equal(h.type, OT_IOC_URL);
            assert_string_equal(h.value, cases[i].listed);
        }
        ot_ioc_set_free(s);
    }
}

static void test_url_specific_first(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_meta m = {.category = "with-query"};
    struct ot_ioc_hit h;
    const char *a = "http://evil.example/gate.php?id=1";
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, a, strlen(a), &m, NULL, 0), 0);
    m.category = "path";
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_URL, "evil.example/gate.php", 21, &m, NULL, 0), 0);
    m.category = "any-host";
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_URL, "/gate.php", 9, &m, NULL, 0), 0);
    /* the same key again, spelt differently, is a duplicate */
    assert_int_equal(add(s, "https://EVIL.example:443/x/../gate.php"), OT_EEXIST);
    ot_ioc_set_finalize(s);
    assert_true(url(s, "evil.example", "/gate.php?id=1", &h));
    assert_string_equal(h.category, "with-query");
    assert_true(url(s, "evil.example", "/gate.php?id=2", &h));
    assert_string_equal(h.category, "path");
    assert_true(url(s, "good.example", "/gate.php?id=1", &h));
    assert_string_equal(h.category, "any-host");
    ot_ioc_set_free(s);
}

static void test_url_errors(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    char why[200];
    static const struct {
        const char *v;
        const char *why;
    } bad[] = {
        {"http:///path", "URL without a host"},
        {"http://evil.example:99999/", "invalid port '99999' in URL"},
        {"http://evil.example:abc/", "invalid port 'abc' in URL"},
        {"http://ev!l.example/", "invalid host 'ev!l.example' in URL"},
        {"http://[2001:db8::zz]/", "invalid IPv6 address '[2001:db8::zz]' in URL"},
        {"1http://evil.example/", "invalid scheme in URL"},
        {"http://1.2.3.400/", "invalid host '1.2.3.400' in URL"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = ot_ioc_set_add(s, OT_IOC_AUTO, bad[i].v, strlen(bad[i].v), NULL, why, sizeof(why));
        if (rc != OT_EINVAL)
            fail_msg("%s: rc %d", bad[i].v, rc);
        if (!strstr(why, bad[i].why))
            fail_msg("%s: got \"%s\", want \"%s\"", bad[i].v, why, bad[i].why);
    }
    /* a URL that percent-encoding blows past the key limit */
    char big[4000];
    memcpy(big, "http://e.example/", 17);
    memset(big + 17, 0xff, sizeof(big) - 17);
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_URL, big, sizeof(big), NULL, why, sizeof(why)),
                     OT_EINVAL);
    assert_non_null(strstr(why, "once normalised"));
    /* lookups with junk never crash nor match */
    assert_false(url(s, "evil.example:0", "/", NULL));
    assert_false(url(s, "[::1", "/", NULL));
    assert_false(ot_ioc_match_url(s, NULL, 0, "/", 1, NULL));
    assert_false(ot_ioc_match_url(s, "h", 1, "", 0, NULL));
    ot_ioc_set_free(s);
}

static void test_hashes(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    const char *ja3 = "E7D705A3286E19EA42F587B344EE6865";
    const char *ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
    const char *sha1c = "85:4C:68:AB:7A:D7:0B:6F:95:F7:6E:C6:4B:8A:46:C1:45:99:76:29";
    const char *sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_int_equal(add(s, ja3), 0);
    assert_int_equal(add(s, ja4), 0);
    assert_int_equal(add(s, sha1c), 0);
    assert_int_equal(add(s, sha256), 0);
    /* JA4+ family given explicitly */
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_JA4, "t130200_1301_a56c5b993250", 25, NULL, NULL, 0),
                     0);
    assert_int_equal(add(s, "854c68ab7ad70b6f95f76ec64b8a46c145997629"), OT_EEXIST);
    ot_ioc_set_finalize(s);

    assert_true(ot_ioc_match_hash(s, OT_IOC_JA3, "e7d705a3286e19ea42f587b344ee6865", 32, &h));
    assert_int_equal(h.type, OT_IOC_JA3);
    assert_string_equal(h.value, ja3);
    assert_false(ot_ioc_match_hash(s, OT_IOC_SHA1, "e7d705a3286e19ea42f587b344ee6865", 32, NULL));
    assert_true(ot_ioc_match_hash(s, OT_IOC_JA4, "T13D1516H2_8DAAF6152771_E5627EFA2AB1", 36, &h));
    assert_int_equal(h.type, OT_IOC_JA4);
    assert_true(ot_ioc_match_hash(s, OT_IOC_JA4, "t130200_1301_a56c5b993250", 25, NULL));
    assert_true(
        ot_ioc_match_hash(s, OT_IOC_SHA1, "854c68ab7ad70b6f95f76ec64b8a46c145997629", 40, &h));
    assert_string_equal(h.value, sha1c);
    assert_true(ot_ioc_match_hash(s, OT_IOC_SHA1, sha1c, strlen(sha1c), NULL));
    assert_true(ot_ioc_match_hash(s, OT_IOC_SHA256, sha256, 64, &h));
    assert_int_equal(h.type, OT_IOC_SHA256);
    assert_false(ot_ioc_match_hash(s, OT_IOC_SHA256, sha256, 63, NULL));
    assert_false(ot_ioc_match_hash(s, OT_IOC_URL, sha256, 64, NULL));

    uint8_t d1[20] = {0x85, 0x4c, 0x68, 0xab, 0x7a, 0xd7, 0x0b, 0x6f, 0x95, 0xf7,
                      0x6e, 0xc6, 0x4b, 0x8a, 0x46, 0xc1, 0x45, 0x99, 0x76, 0x29};
    assert_true(ot_ioc_match_digest(s, OT_IOC_SHA1, d1, 20, &h));
    assert_int_equal(h.type, OT_IOC_SHA1);
    assert_false(ot_ioc_match_digest(s, OT_IOC_SHA256, d1, 20, NULL));
    d1[19] ^= 1;
    assert_false(ot_ioc_match_digest(s, OT_IOC_SHA1, d1, 20, NULL));
    uint8_t md5[16] = {0xe7, 0xd7, 0x05, 0xa3, 0x28, 0x6e, 0x19, 0xea,
                       0x42, 0xf5, 0x87, 0xb3, 0x44, 0xee, 0x68, 0x65};
    assert_true(ot_ioc_match_digest(s, OT_IOC_JA3, md5, 16, NULL));
    ot_ioc_set_free(s);
}

static void test_hash_errors(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    char why[200];
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_JA3, "abc", 3, NULL, why, sizeof(why)), OT_EINVAL);
    assert_string_equal(why, "invalid JA3 hash 'abc' (32 hex digits)");
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_SHA1, "zz", 2, NULL, why, sizeof(why)), OT_EINVAL);
    assert_string_equal(why, "invalid SHA-1 fingerprint 'zz' (40 hex digits, colons between pairs "
                             "allowed)");
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_SHA256, "00", 2, NULL, why, sizeof(why)), OT_EINVAL);
    assert_non_null(strstr(why, "invalid SHA-256 digest '00' (64 hex digits"));
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_JA4, "t13 d", 5, NULL, why, sizeof(why)), OT_EINVAL);
    assert_string_equal(why, "invalid JA4 fingerprint 't13 d'");
    const char *h30 = "e7d705a3286e19ea42f587b344ee68";
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, h30, 30, NULL, why, sizeof(why)), OT_EINVAL);
    assert_non_null(strstr(why, "30 hex digits is no JA3 (32), SHA-1 (40) or SHA-256 (64)"));
    ot_ioc_set_free(s);
}

static void test_ip_errors(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    char why[200];
    static const struct {
        const char *v;
        const char *why;
    } bad[] = {
        {"1.2.3.999", "invalid IPv4 address '1.2.3.999'"},
        {"1.2.3", "invalid IPv4 address '1.2.3'"},
        {"01.2.3.4", "invalid IPv4 address '01.2.3.4'"},
        {"1.2.3.4/33", "prefix length /33 out of range for IPv4 (0-32)"},
        {"2001:db8::/129", "prefix length /129 out of range for IPv6 (0-128)"},
        {"1.2.3.4:0", "invalid port in '1.2.3.4:0'"},
        {"1.2.3.4:65536", "invalid port in '1.2.3.4:65536'"},
        {"2001:db8::g", "not a recognised indicator"},
        {"2001:db8:::1", "invalid IPv6 address '2001:db8:::1'"},
        {"[2001:db8::1]:x", "invalid port in '[2001:db8::1]:x'"},
        {"1.2.3.4:5:6", "invalid address '1.2.3.4:5:6'"},
        {"fe80::1%eth0", "not a recognised indicator"},
        {"1.2.3.4:80/24", "invalid network '1.2.3.4:80/24'"},
        {"[2001:db8:::1]", "invalid IPv6 address '[2001:db8:::1]'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = ot_ioc_set_add(s, OT_IOC_AUTO, bad[i].v, strlen(bad[i].v), NULL, why, sizeof(why));
        if (rc != OT_EINVAL)
            fail_msg("%s: rc %d", bad[i].v, rc);
        if (!strstr(why, bad[i].why))
            fail_msg("%s: got \"%s\", want \"%s\"", bad[i].v, why, bad[i].why);
    }
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_IP, "[2001:db8::1", 12, NULL, why, sizeof(why)),
                     OT_EINVAL);
    assert_string_equal(why, "missing ']' in '[2001:db8::1'");
    static char huge[5000];
    memset(huge, 'a', sizeof(huge));
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, huge, sizeof(huge), NULL, why, sizeof(why)),
                     OT_EINVAL);
    assert_string_equal(why, "value longer than 4096 bytes");
    /* a type given explicitly is checked */
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_IP, "evil.example", 12, NULL, why, sizeof(why)),
                     OT_EINVAL);
    assert_non_null(strstr(why, "invalid IPv4 address 'evil.example'"));
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_CIDR, "192.0.2.1", 9, NULL, why, sizeof(why)), 0);
    /* "1.2.3.4/" alone reads as a URL; as a network it is an error */
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_CIDR, "1.2.3.4/", 8, NULL, why, sizeof(why)),
                     OT_EINVAL);
    assert_string_equal(why, "invalid prefix length in '1.2.3.4/'");
    assert_int_equal(ot_ioc_detect_type("1.2.3.4/", 8), OT_IOC_URL);
    ot_ioc_set_free(s);
}

static void test_metadata_and_duplicates(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    struct ot_ioc_meta m = {
        .category = "c2", .source = "feedA", .file = "/x/a.txt", .line = 7, .confidence = 80};
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, " 192.0.2.1 ", 11, &m, NULL, 0), 0);
    m.category = "other";
    m.line = 9;
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "192.0.2.1/32", 12, &m, NULL, 0), OT_EEXIST);
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "192.0.2.1:80", 12, &m, NULL, 0), OT_EEXIST);
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "Evil.Example", 12, &m, NULL, 0), 0);
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "evil.example.", 13, &m, NULL, 0), OT_EEXIST);
    /* same text, different family: not a duplicate */
    assert_int_equal(
        ot_ioc_set_add(s, OT_IOC_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", 36, &m, NULL, 0), 0);
    m.confidence = 101;
    char why[100];
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "192.0.2.9", 9, &m, why, sizeof(why)),
                     OT_EINVAL);
    assert_string_equal(why, "confidence 101 is above 100");
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "  ", 2, NULL, why, sizeof(why)), OT_EINVAL);
    assert_string_equal(why, "empty value");
    /* no metadata at all: empty strings, confidence 100 */
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "192.0.2.2", 9, NULL, NULL, 0), 0);
    ot_ioc_set_finalize(s);

    assert_true(ip4(s, "192.0.2.1", &h));
    assert_string_equal(h.value, "192.0.2.1");
    assert_string_equal(h.category, "c2");
    assert_string_equal(h.source, "feedA");
    assert_string_equal(h.file, "/x/a.txt");
    assert_int_equal(h.line, 7);
    assert_int_equal(h.confidence, 80);
    assert_true(dom(s, "evil.example", &h));
    assert_string_equal(h.category, "other");
    assert_int_equal(h.line, 9);
    assert_true(ip4(s, "192.0.2.2", &h));
    assert_string_equal(h.category, "");
    assert_string_equal(h.file, "");
    assert_int_equal(h.confidence, 100);

    struct ot_ioc_set_info in;
    ot_ioc_set_info(s, &in);
    assert_int_equal(in.count, 4);
    assert_int_equal(in.by_type[OT_IOC_IP], 2);
    assert_int_equal(in.by_type[OT_IOC_DOMAIN], 1);
    assert_int_equal(in.by_type[OT_IOC_JA4], 1);
    assert_true(in.finalized);
    assert_true(in.bytes > 0);
    ot_ioc_set_free(s);
}

static void test_max_count(void **state)
{
    struct ot_ioc_set *s = new_set(3);
    char why[200];
    assert_int_equal(add(s, "192.0.2.1"), 0);
    assert_int_equal(add(s, "evil.example"), 0);
    assert_int_equal(add(s, "2001:db8::/32"), 0);
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "192.0.2.2", 9, NULL, why, sizeof(why)),
                     OT_ELIMIT);
    assert_string_equal(why, "the set already holds its maximum of 3 indicators");
    /* a duplicate is still recognised as one when full */
    assert_int_equal(add(s, "EVIL.example"), OT_EEXIST);
    struct ot_ioc_set_info in;
    ot_ioc_set_info(s, &in);
    assert_int_equal(in.count, 3);
    assert_int_equal(in.max_indicators, 3);
    ot_ioc_set_free(s);
}

static void test_finalize(void **state)
{
    struct ot_ioc_set *s = new_set(0);
    struct ot_ioc_hit h;
    char why[100];
    /* many adds so the tables grow several times before the freeze */
    for (int i = 0; i < 5000; i++) {
        char v[32];
        snprintf(v, sizeof(v), "h%d.example", i);
        assert_int_equal(add(s, v), 0);
    }
    assert_int_equal(ot_ioc_set_finalize(s), 0);
    assert_int_equal(ot_ioc_set_finalize(s), 0);
    assert_int_equal(ot_ioc_set_add(s, OT_IOC_AUTO, "x.example", 9, NULL, why, sizeof(why)),
                     OT_EPERM);
    assert_string_equal(why, "the set is finalized");
    assert_int_equal(ot_ioc_load_buffer(s, "f.txt", "a.example\n", 10, NULL, NULL), OT_EPERM);
    for (int i = 0; i < 5000; i += 499) {
        char v[32];
        snprintf(v, sizeof(v), "www.h%d.example", i);
        assert_true(dom(s, v, &h));
        assert_string_equal(h.value, v + 4);
    }
    assert_false(dom(s, "h5000.example", NULL));
    /* NULL-safety of the read side */
    assert_false(ot_ioc_match_ip(NULL, (const uint8_t *)"abcd", false, NULL));
    assert_false(ot_ioc_match_domain(NULL, "a", 1, NULL));
    assert_false(ot_ioc_match_hash(NULL, OT_IOC_JA3, "a", 1, NULL));
    ot_ioc_set_free(s);
    ot_ioc_set_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_ip_exact),
        cmocka_unit_test(test_lpm_v4),
        cmocka_unit_test(test_lpm_v4_filters),
        cmocka_unit_test(test_lpm_v6),
        cmocka_unit_test(test_domains),
        cmocka_unit_test(test_onion_gateways),
        cmocka_unit_test(test_domain_errors),
        cmocka_unit_test(test_url_normalisation),
        cmocka_unit_test(test_url_specific_first),
        cmocka_unit_test(test_url_errors),
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_hash_errors),
        cmocka_unit_test(test_ip_errors),
        cmocka_unit_test(test_metadata_and_duplicates),
        cmocka_unit_test(test_max_count),
        cmocka_unit_test(test_finalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
