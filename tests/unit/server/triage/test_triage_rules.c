/*
 * Triage's pure parts: addresses and CIDRs, the home networks, the family
 * table and the key entity per family, reading alert events (and RFC 3339
 * times), and suppression matching.  No store needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "otasuke/error.h"
#include "core/family.h"
#include "triage/triage.h"
#include "triage/triage-int.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);

    assert_non_null(j);
    return j;
}

static void test_cidr(void **state)
{
    struct ot_cidr c;
    struct ot_ipaddr a;

    (void)state;
    assert_int_equal(ot_cidr_parse("10.0.0.0/8", &c), 0);
    assert_true(ot_ipaddr_parse("10.255.1.2", &a));
    assert_true(ot_cidr_contains(&c, &a));
    assert_true(ot_ipaddr_parse("11.0.0.1", &a));
    assert_false(ot_cidr_contains(&c, &a));

    assert_int_equal(ot_cidr_parse("192.168.1.7", &c), 0); /* a host */
    assert_true(ot_ipaddr_parse("192.168.1.7", &a));
    assert_true(ot_cidr_contains(&c, &a));
    assert_true(ot_ipaddr_parse("192.168.1.8", &a));
    assert_false(ot_cidr_contains(&c, &a));

    assert_int_equal(ot_cidr_parse("172.16.0.0/12", &c), 0);
    assert_true(ot_ipaddr_parse("172.31.255.255", &a));
    assert_true(ot_cidr_contains(&c, &a));
    assert_true(ot_ipaddr_parse("172.32.0.0", &a));
    assert_false(ot_cidr_contains(&c, &a));

    assert_int_equal(ot_cidr_parse("2001:db8::/32", &c), 0);
    assert_true(ot_ipaddr_parse("2001:db8:1::5", &a));
    assert_true(ot_cidr_contains(&c, &a));
    assert_true(ot_ipaddr_parse("2001:db9::5", &a));
    assert_false(ot_cidr_contains(&c, &a));
    /* an IPv4 address never falls in an IPv6 network that is not ::ffff:0:0/96 */
    assert_true(ot_ipaddr_parse("10.0.0.1", &a));
    assert_false(ot_cidr_contains(&c, &a));
    assert_int_equal(ot_cidr_parse("0.0.0.0/0", &c), 0);
    assert_true(ot_cidr_contains(&c, &a));
    assert_true(ot_ipaddr_parse("::ffff:10.0.0.1", &a)); /* mapped = IPv4 */
    assert_true(a.v4);
    {
        char txt[48];
        ot_ipaddr_format(&a, txt, sizeof(txt));
        assert_string_equal(txt, "10.0.0.1");
        assert_true(ot_ipaddr_parse("2001:0DB8:0000::0001", &a));
        ot_ipaddr_format(&a, txt, sizeof(txt));
        assert_string_equal(txt, "2001:db8::1");
    }

    /* malformed */
    assert_int_equal(ot_cidr_parse("10.0.0.5/8", &c), OT_EINVAL); /* host bits set */
    assert_int_equal(ot_cidr_parse("10.0.0.0/33", &c), OT_EINVAL);
    assert_int_equal(ot_cidr_parse("10.0.0.0/", &c), OT_EINVAL);
    assert_int_equal(ot_cidr_parse("/8", &c), OT_EINVAL);
    assert_int_equal(ot_cidr_parse("10.0.0/8", &c), OT_EINVAL);
    assert_int_equal(ot_cidr_parse("fe80::/129", &c), OT_EINVAL);
    assert_int_equal(ot_cidr_parse("host.example", &c), OT_EINVAL);
    assert_int_equal(ot_cidr_parse("", &c), OT_EINVAL);
    assert_int_equal(ot_cidr_parse(NULL, &c), OT_EINVAL);
    assert_false(ot_ipaddr_parse("1.2.3.4:80", &a));
    assert_false(ot_ipaddr_parse("", &a));
}

static void test_homenet(void **state)
{
    struct ot_homenet h;
    char err[160];

    (void)state;
    assert_int_equal(ot_homenet_parse(NULL, &h, err, sizeof(err)), 0);
    assert_true(ot_homenet_contains(&h, "10.1.2.3"));
    assert_true(ot_homenet_contains(&h, "172.20.0.1"));
    assert_true(ot_homenet_contains(&h, "192.168.0.10"));
    assert_true(ot_homenet_contains(&h, "169.254.3.4"));
    assert_true(ot_homenet_contains(&h, "fd12:3456::1"));
    assert_true(ot_homenet_contains(&h, "fe80::1"));
    assert_false(ot_homenet_contains(&h, "100.64.0.1")); /* CGNAT: the ISP's side */
    assert_false(ot_homenet_contains(&h, "8.8.8.8"));
    assert_false(ot_homenet_contains(&h, "2001:db8::1"));
    assert_false(ot_homenet_contains(&h, ""));
    assert_false(ot_homenet_contains(&h, "junk"));

    assert_int_equal(ot_homenet_parse(" 203.0.113.0/24 , 2001:db8::/48,", &h, err, sizeof(err)), 0);
    assert_int_equal(h.n, 2);
    assert_true(ot_homenet_contains(&h, "203.0.113.9"));
    assert_true(ot_homenet_contains(&h, "2001:db8:0:1::1"));
    assert_false(ot_homenet_contains(&h, "10.0.0.1"));

    assert_int_equal(ot_homenet_parse("10.0.0.0/8,bogus", &h, err, sizeof(err)), OT_EINVAL);
    assert_non_null(strstr(err, "bogus"));
    assert_int_equal(ot_homenet_parse(" , ", &h, err, sizeof(err)), OT_EINVAL);
}

static void test_family_table(void **state)
{
    size_t n;
    const struct ot_triage_family *f = ot_triage_families(&n);

    (void)state;
    assert_string_equal(f[n - 1].family, "other");
    /* One row per family of the design's list (lib/core/family.c), then "other". */
    assert_int_equal(n, ot_family_count + 1);
    for (size_t i = 0; i < ot_family_count; i++) {
        assert_true(ot_triage_family_known(ot_families[i]));
        assert_string_equal(ot_triage_family_find(ot_families[i])->family, ot_families[i]);
    }
    assert_false(ot_triage_family_known("other"));
    assert_false(ot_triage_family_known("made-up"));
    assert_string_equal(ot_triage_family_find("made-up")->family, "other");
    assert_string_equal(ot_triage_family_find(NULL)->family, "other");
    assert_string_equal(ot_triage_catalog_family("made-up"), "other");
    assert_string_equal(ot_triage_catalog_family("dga"), "dga");
    assert_int_equal(ot_triage_family_find("other")->entity, OT_ENTITY_SOURCE);
    assert_int_equal(ot_triage_family_find("scan")->entity, OT_ENTITY_SOURCE);
    assert_int_equal(ot_triage_family_find("bruteforce")->entity, OT_ENTITY_SOURCE);
    assert_int_equal(ot_triage_family_find("exposure")->entity, OT_ENTITY_SERVER);
    assert_int_equal(ot_triage_family_find("beacon")->entity, OT_ENTITY_INSIDE);
}

/* The entity of an alert of family between src and dest under the default home nets. */
static const char *entity(const char *family, const char *src, const char *dest)
{
    static char out[64];
    struct ot_homenet h;
    char err[128];

    assert_int_equal(ot_homenet_parse(NULL, &h, err, sizeof(err)), 0);
    ot_triage_entity_pick(ot_triage_family_find(family), &h, src, dest, out, sizeof(out));
    return out;
}

static void test_entity(void **state)
{
    (void)state;
    /* the attacker, wherever it is */
    assert_string_equal(entity("scan", "203.0.113.5", "192.168.1.10"), "203.0.113.5");
    assert_string_equal(entity("scan", "192.168.1.66", ""), "192.168.1.66");
    assert_string_equal(entity("bruteforce", "198.51.100.7", "192.168.1.20"), "198.51.100.7");
    /* the inside host: the home-net end */
    assert_string_equal(entity("ioc", "192.168.1.5", "198.51.100.7"), "192.168.1.5");
    assert_string_equal(entity("ioc", "198.51.100.7", "192.168.1.5"), "192.168.1.5");
    assert_string_equal(entity("beacon", "10.0.0.8", "203.0.113.1"), "10.0.0.8");
    /* both inside or neither: src */
    assert_string_equal(entity("lateral-movement", "10.0.0.8", "10.0.0.9"), "10.0.0.8");
    assert_string_equal(entity("ioc", "198.51.100.7", "203.0.113.1"), "198.51.100.7");
    assert_string_equal(entity("cleartext-credentials", "fd00::5", "2001:db8::1"), "fd00::5");
    assert_string_equal(entity("cleartext-credentials", "2001:db8::1", "fd00::5"), "fd00::5");
    /* the inside server: exposure alerts name it as src with no dest */
    assert_string_equal(entity("exposure", "192.168.1.20", ""), "192.168.1.20");
    assert_string_equal(entity("exposure", "198.51.100.7", "192.168.1.20"), "192.168.1.20");
    assert_string_equal(entity("exposure", "192.168.1.20", "198.51.100.7"), "192.168.1.20");
    assert_string_equal(entity("exposure", "198.51.100.7", "203.0.113.1"), "203.0.113.1");
    /* new devices: the network as a whole, so a day's new devices are one incident */
    assert_string_equal(entity("new-device", "192.168.1.30", ""), "network");
    assert_string_equal(entity("new-device", "fd00::10", ""), "network");
    /* unknown family: the source */
    assert_string_equal(entity("made-up", "198.51.100.7", "192.168.1.20"), "198.51.100.7");
}

static void test_parse_time(void **state)
{
    int64_t t;

    (void)state;
    assert_int_equal(ot_triage_parse_time("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(ot_triage_parse_time("2026-02-02T10:00:00.000000+0000", &t), 0);
    assert_int_equal(t, INT64_C(1770026400) * 1000000);
    assert_int_equal(ot_triage_parse_time("2026-02-02T19:00:00.5+09:00", &t), 0);
    assert_int_equal(t, INT64_C(1770026400) * 1000000 + 500000);
    assert_int_equal(ot_triage_parse_time("2024-02-29T23:59:59.1234567Z", &t), 0);
    assert_int_equal(t % 1000000, 123456);
    assert_int_equal(ot_triage_parse_time("2023-02-29T00:00:00Z", &t), OT_EINVAL);
    assert_int_equal(ot_triage_parse_time("2026-02-02 10:00:00Z", &t), OT_EINVAL);
    assert_int_equal(ot_triage_parse_time("2026-02-02T10:00:00", &t), OT_EINVAL);
    assert_int_equal(ot_triage_parse_time("2026-02-02T10:00:00.Z", &t), OT_EINVAL);
    assert_int_equal(ot_triage_parse_time("2026-13-02T10:00:00Z", &t), OT_EINVAL);
    assert_int_equal(ot_triage_parse_time("2026-02-02T10:00:00Zjunk", &t), OT_EINVAL);
    assert_int_equal(ot_triage_parse_time("", &t), OT_EINVAL);
}

#define ALERT_DOC                                                                                  \
    "{\"timestamp\":\"2026-02-02T10:00:00.000000+0000\",\"event_type\":\"alert\","                 \
    "\"event_id\":\"e1\",\"src_ip\":\"192.168.1.5\",\"src_port\":40000,"                           \
    "\"dest_ip\":\"198.51.100.7\",\"dest_port\":21,\"alert\":{\"signature_id\":8104001,"           \
    "\"signature\":\"Password sent in clear text over FTP\","                                      \
    "\"category\":\"cleartext-credentials\",\"severity\":2,\"count\":10,"                          \
    "\"first_seen\":\"2026-02-02T10:00:00.000000+0000\","                                          \
    "\"last_seen\":\"2026-02-02T10:00:09.000000+0000\","                                           \
    "\"evidence\":{\"protocol\":\"ftp\",\"user\":\"alice\",\"login_result\":\"success\"}}}"

static void test_parse_alert(void **state)
{
    struct ot_triage_in in;
    char why[96];
    json_t *j = parse(ALERT_DOC);

    (void)state;
    assert_int_equal(ot_triage_parse_alert(j, &in, why, sizeof(why)), 0);
    assert_int_equal(in.row.sid, 8104001);
    assert_int_equal(in.row.severity, 2);
    assert_int_equal(in.row.count, 10);
    assert_string_equal(in.row.family, "cleartext-credentials");
    assert_string_equal(in.row.signature, "Password sent in clear text over FTP");
    assert_string_equal(in.row.src_ip, "192.168.1.5");
    assert_string_equal(in.row.dest_ip, "198.51.100.7");
    assert_int_equal(in.row.src_port, 40000);
    assert_int_equal(in.row.dest_port, 21);
    assert_int_equal(in.row.ts, INT64_C(1770026400) * 1000000);
    assert_int_equal(in.first_seen, in.row.ts);
    assert_int_equal(in.last_seen, in.row.ts + 9000000);
    assert_true(in.login_success);
    json_decref(j);

    /* the minimum: category, signature_id, timestamp, src_ip */
    j = parse("{\"timestamp\":\"2026-02-02T10:00:00Z\",\"src_ip\":\"10.0.0.1\","
              "\"alert\":{\"signature_id\":8101001,\"category\":\"scan\"}}");
    assert_int_equal(ot_triage_parse_alert(j, &in, why, sizeof(why)), 0);
    assert_int_equal(in.row.severity, 3);
    assert_int_equal(in.row.count, 1);
    assert_string_equal(in.row.dest_ip, "");
    assert_int_equal(in.first_seen, in.last_seen);
    assert_false(in.login_success);
    json_decref(j);
}

/* ALERT_DOC with `from` replaced by `to` must be refused with a reason naming `field`. */
static void refused(const char *from, const char *to, const char *field)
{
    char doc[2048], why[96];
    const char *at = strstr(ALERT_DOC, from);
    struct ot_triage_in in;
    json_t *j;

    assert_non_null(at);
    snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(at - ALERT_DOC), ALERT_DOC, to, at + strlen(from));
    j = parse(doc);
    why[0] = '\0';
    assert_int_equal(ot_triage_parse_alert(j, &in, why, sizeof(why)), OT_EINVAL);
    if (!strstr(why, field))
        fail_msg("reason \"%s\" does not name %s", why, field);
    json_decref(j);
}

static void test_parse_alert_bad(void **state)
{
    (void)state;
    refused("\"category\":\"cleartext-credentials\"", "\"category\":7", "category");
    refused("\"category\":\"cleartext-credentials\"", "\"category\":\"Bad Family\"", "category");
    refused("\"category\":\"cleartext-credentials\",", "", "category");
    refused("\"signature_id\":8104001", "\"signature_id\":\"8104001\"", "signature_id");
    refused("\"signature_id\":8104001", "\"signature_id\":0", "signature_id");
    refused("\"severity\":2", "\"severity\":4", "severity");
    refused("\"severity\":2", "\"severity\":\"high\"", "severity");
    refused("\"count\":10", "\"count\":0", "count");
    refused("\"timestamp\":\"2026-02-02T10:00:00.000000+0000\"", "\"timestamp\":\"yesterday\"",
            "timestamp");
    refused("\"last_seen\":\"2026-02-02T10:00:09.000000+0000\"", "\"last_seen\":5", "last_seen");
    refused("\"src_ip\":\"192.168.1.5\"", "\"src_ip\":\"office-pc\"", "src_ip");
    refused("\"dest_ip\":\"198.51.100.7\"", "\"dest_ip\":null", "dest_ip");
    refused("\"alert\":{", "\"alert\":[],\"x\":{", "alert");
}

static void test_signature_truncated_utf8(void **state)
{
    char doc[1024], sig[400], why[96];
    struct ot_triage_in in;
    json_t *j;
    size_t n = 0;

    (void)state;
    /* 157 ASCII bytes then a 3-byte character: must not be cut in half at 159 */
    memset(sig, 'a', 157);
    n = 157;
    memcpy(sig + n, "\xe3\x81\x82\xe3\x81\x82", 6);
    n += 6;
    sig[n] = '\0';
    snprintf(doc, sizeof(doc),
             "{\"timestamp\":\"2026-02-02T10:00:00Z\",\"src_ip\":\"10.0.0.1\","
             "\"alert\":{\"signature_id\":1,\"category\":\"scan\",\"signature\":\"%s\"}}",
             sig);
    j = parse(doc);
    assert_int_equal(ot_triage_parse_alert(j, &in, why, sizeof(why)), 0);
    assert_int_equal(strlen(in.row.signature), 157);
    json_decref(j);
}

static void test_suppression(void **state)
{
    struct ot_suppression s;
    struct ot_alert_row a;

    (void)state;
    memset(&a, 0, sizeof(a));
    a.sid = 8101002;
    strcpy(a.family, "scan");
    strcpy(a.src_ip, "203.0.113.5");
    strcpy(a.dest_ip, "192.168.1.10");

    memset(&s, 0, sizeof(s));
    assert_true(ot_triage_suppression_match(&s, &a)); /* all empty = any */
    s.sid = 8101002;
    assert_true(ot_triage_suppression_match(&s, &a));
    s.sid = 8101001;
    assert_false(ot_triage_suppression_match(&s, &a));

    memset(&s, 0, sizeof(s));
    strcpy(s.family, "scan");
    assert_true(ot_triage_suppression_match(&s, &a));
    strcpy(s.family, "ioc");
    assert_false(ot_triage_suppression_match(&s, &a));

    memset(&s, 0, sizeof(s));
    strcpy(s.src, "203.0.113.0/24");
    assert_true(ot_triage_suppression_match(&s, &a));
    strcpy(s.src, "203.0.114.0/24");
    assert_false(ot_triage_suppression_match(&s, &a));
    strcpy(s.src, "203.0.113.5");
    assert_true(ot_triage_suppression_match(&s, &a));

    memset(&s, 0, sizeof(s));
    strcpy(s.dest, "192.168.0.0/16");
    s.sid = 8101002;
    strcpy(s.family, "scan");
    assert_true(ot_triage_suppression_match(&s, &a));
    strcpy(s.dest, "10.0.0.0/8");
    assert_false(ot_triage_suppression_match(&s, &a));

    /* a dest rule never matches a one-sided alert */
    memset(&s, 0, sizeof(s));
    strcpy(s.dest, "0.0.0.0/0");
    a.dest_ip[0] = '\0';
    assert_false(ot_triage_suppression_match(&s, &a));

    /* a broken CIDR matches nothing (fail closed: the alert is kept) */
    memset(&s, 0, sizeof(s));
    strcpy(s.src, "203.0.113.5/8");
    assert_false(ot_triage_suppression_match(&s, &a));

    /* IPv6 */
    memset(&s, 0, sizeof(s));
    strcpy(a.src_ip, "2001:db8::77");
    strcpy(s.src, "2001:db8::/32");
    assert_true(ot_triage_suppression_match(&s, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_homenet),
        cmocka_unit_test(test_family_table),
        cmocka_unit_test(test_entity),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_parse_alert),
        cmocka_unit_test(test_parse_alert_bad),
        cmocka_unit_test(test_signature_truncated_utf8),
        cmocka_unit_test(test_suppression),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
