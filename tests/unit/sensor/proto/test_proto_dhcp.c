/*
 * DHCP parser: requests and replies field by field, option overload, pads,
 * bad option lengths, BOOTP without the cookie, truncation, and the probe.
 * Every packet is built here byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_dhcp;

struct pkt {
    uint8_t b[1500];
    size_t n;
};

static void u8(struct pkt *p, unsigned v)
{
    assert_true(p->n < sizeof(p->b));
    p->b[p->n++] = (uint8_t)v;
}

static void bytes(struct pkt *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof(p->b));
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void opt(struct pkt *p, unsigned code, const void *d, size_t n)
{
    u8(p, code);
    u8(p, (unsigned)n);
    bytes(p, d, n);
}

static const uint8_t mac[6] = {0x00, 0x11, 0x32, 0x17, 0x49, 0xf0};

/* Fixed header; the options (after the cookie) are appended by the caller. */
static void header(struct pkt *p, unsigned op, uint32_t xid, const char *ci, const char *yi,
                   const char *si, const char *gi, bool cookie)
{
    memset(p->b, 0, sizeof(p->b));
    p->b[0] = (uint8_t)op;
    p->b[1] = 1;
    p->b[2] = 6;
    p->b[4] = (uint8_t)(xid >> 24);
    p->b[5] = (uint8_t)(xid >> 16);
    p->b[6] = (uint8_t)(xid >> 8);
    p->b[7] = (uint8_t)xid;
    assert_int_equal(inet_pton(AF_INET, ci, p->b + 12), 1);
    assert_int_equal(inet_pton(AF_INET, yi, p->b + 16), 1);
    assert_int_equal(inet_pton(AF_INET, si, p->b + 20), 1);
    assert_int_equal(inet_pton(AF_INET, gi, p->b + 24), 1);
    memcpy(p->b + 28, mac, 6);
    p->n = 236;
    if (cookie)
        bytes(p, "\x63\x82\x53\x63", 4);
}

static json_t *jget(json_t *v, const char *path)
{
    while (v && *path) {
        char key[64];
        size_t n = strcspn(path, ".");
        assert_true(n < sizeof(key));
        memcpy(key, path, n);
        key[n] = 0;
        path += n + (path[n] == '.');
        if (json_is_array(v))
            v = json_array_get(v, strtoul(key, NULL, 10));
        else
            v = json_object_get(v, key);
    }
    return v;
}

static const char *jstr(json_t *v, const char *path)
{
    const char *s = json_string_value(jget(v, path));
    return s ? s : "(absent)";
}

static long long jint(json_t *v, const char *path)
{
    json_t *x = jget(v, path);
    assert_non_null(x);
    return json_integer_value(x);
}

/* Feed packets (dir, pkt) through a fresh flow and return its dhcp events. */
static json_t *run(struct ot_harness *h, const char *cli, uint16_t cport, const char *srv,
                   uint16_t sport, const struct pkt *const *pk, const int *dirs, size_t n)
{
    assert_int_equal(ot_harness_init(h, cli, cport, srv, sport, 17, true), 0);
    for (size_t i = 0; i < n; i++)
        ot_harness_feed(h, dirs[i], pk[i]->b, pk[i]->n);
    ot_harness_finish(h);
    json_t *ev = ot_harness_events(h, "dhcp");
    ot_harness_cleanup(h);
    return ev;
}

static json_t *run1(struct ot_harness *h, const struct pkt *p, int dir)
{
    const struct pkt *pk[] = {p};
    return run(h, "0.0.0.0", 68, "255.255.255.255", 67, pk, &dir, 1);
}

static void build_discover(struct pkt *p)
{
    header(p, 1, 0xef65c344, "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", true);
    opt(p, 53, "\x01", 1);
    opt(p, 61, "\x01\x00\x11\x32\x17\x49\xf0", 7);
    opt(p, 50, "\xc0\xa8\x01\x64", 4);
    opt(p, 12, "nas1\0", 5);
    opt(p, 60, "MSFT 5.0", 8);
    opt(p, 55, "\x01\x0f\x03\x06\x2c\x2e\x2f\x1f\x21\x79\xf9\x2b", 12);
    u8(p, 255);
    for (int i = 0; i < 20; i++)
        u8(p, 0); /* trailing padding after END */
}

static void test_discover(void **unused)
{
    struct pkt p;
    build_discover(&p);
    struct ot_harness h;
    json_t *ev = run1(&h, &p, 0);
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(jstr(e, "app_proto"), "dhcp");
    assert_string_equal(jstr(e, "src_ip"), "0.0.0.0");
    assert_int_equal(jint(e, "src_port"), 68);
    assert_int_equal(jint(e, "dest_port"), 67);
    assert_string_equal(jstr(e, "dhcp.type"), "request");
    assert_int_equal(jint(e, "dhcp.id"), 0xef65c344);
    assert_string_equal(jstr(e, "dhcp.client_mac"), "00:11:32:17:49:f0");
    assert_string_equal(jstr(e, "dhcp.assigned_ip"), "0.0.0.0");
    assert_string_equal(jstr(e, "dhcp.client_ip"), "0.0.0.0");
    assert_null(jget(e, "dhcp.relay_ip"));
    assert_null(jget(e, "dhcp.next_server_ip"));
    assert_string_equal(jstr(e, "dhcp.dhcp_type"), "discover");
    assert_string_equal(jstr(e, "dhcp.client_id"), "00:11:32:17:49:f0");
    json_t *hn = jget(e, "dhcp.hostname");
    assert_int_equal(json_string_length(hn), 5);
    assert_memory_equal(json_string_value(hn), "nas1\0", 5);
    assert_string_equal(jstr(e, "dhcp.requested_ip"), "192.168.1.100");
    assert_string_equal(jstr(e, "dhcp.vendor_class_identifier"), "MSFT 5.0");
    json_t *params = jget(e, "dhcp.params");
    assert_int_equal(json_array_size(params), 4);
    assert_string_equal(jstr(params, "0"), "subnet_mask");
    assert_string_equal(jstr(params, "1"), "domain");
    assert_string_equal(jstr(params, "2"), "router");
    assert_string_equal(jstr(params, "3"), "dns_server");
    json_t *codes = jget(e, "dhcp.param_codes");
    assert_int_equal(json_array_size(codes), 12);
    assert_int_equal(jint(codes, "0"), 1);
    assert_int_equal(jint(codes, "11"), 43);
    assert_null(jget(e, "dhcp.lease_time"));
    assert_null(jget(e, "dhcp.options_malformed"));
    json_decref(ev);
}

static void build_ack(struct pkt *p)
{
    header(p, 2, 0xef65c344, "10.16.1.4", "10.16.1.4", "10.16.1.1", "10.16.1.254", true);
    opt(p, 53, "\x05", 1);
    opt(p, 54, "\x0a\x10\x01\x01", 4);
    opt(p, 51, "\x00\x00\x0e\x10", 4);
    opt(p, 58, "\x00\x00\x06\x91", 4);
    opt(p, 59, "\x00\x00\x0b\xd7", 4);
    opt(p, 1, "\xff\xff\x00\x00", 4);
    opt(p, 3, "\x0a\x10\x01\x01\x0a\x10\x01\x02", 8);
    u8(p, 0); /* pads between options */
    u8(p, 0);
    opt(p, 6, "\x0a\x10\x01\x01", 4);
    opt(p, 15, "example.lan", 11);
    opt(p, 12, "nas1", 4);
    u8(p, 255);
}

static void test_ack(void **unused)
{
    struct pkt p;
    build_ack(&p);
    struct ot_harness h;
    const struct pkt *pk[] = {&p};
    int dirs[] = {1};
    json_t *ev = run(&h, "10.16.1.4", 68, "10.16.1.1", 67, pk, dirs, 1);
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(jstr(e, "src_ip"), "10.16.1.1");
    assert_string_equal(jstr(e, "dhcp.type"), "reply");
    assert_string_equal(jstr(e, "dhcp.dhcp_type"), "ack");
    assert_string_equal(jstr(e, "dhcp.assigned_ip"), "10.16.1.4");
    assert_string_equal(jstr(e, "dhcp.client_ip"), "10.16.1.4");
    assert_string_equal(jstr(e, "dhcp.relay_ip"), "10.16.1.254");
    assert_string_equal(jstr(e, "dhcp.next_server_ip"), "10.16.1.1");
    assert_string_equal(jstr(e, "dhcp.server_id"), "10.16.1.1");
    assert_int_equal(jint(e, "dhcp.lease_time"), 3600);
    assert_int_equal(jint(e, "dhcp.renewal_time"), 1681);
    assert_int_equal(jint(e, "dhcp.rebinding_time"), 3031);
    assert_string_equal(jstr(e, "dhcp.subnet_mask"), "255.255.0.0");
    assert_int_equal(json_array_size(jget(e, "dhcp.routers")), 2);
    assert_string_equal(jstr(e, "dhcp.routers.0"), "10.16.1.1");
    assert_string_equal(jstr(e, "dhcp.routers.1"), "10.16.1.2");
    assert_string_equal(jstr(e, "dhcp.dns_servers.0"), "10.16.1.1");
    assert_string_equal(jstr(e, "dhcp.domain"), "example.lan");
    assert_string_equal(jstr(e, "dhcp.hostname"), "nas1");
    assert_null(jget(e, "dhcp.client_id"));
    assert_null(jget(e, "dhcp.params"));
    json_decref(ev);
}

/* Every message type name, and an unknown one. */
static void test_message_types(void **unused)
{
    static const char *const want[] = {"discover", "offer",   "request", "decline", "ack",
                                       "nak",      "release", "inform",  "unknown"};
    struct pkt p[9];
    const struct pkt *pk[9];
    int dirs[9];
    for (unsigned i = 0; i < 9; i++) {
        header(&p[i], 1, i, "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", true);
        uint8_t t = (uint8_t)(i < 8 ? i + 1 : 18);
        opt(&p[i], 53, &t, 1);
        u8(&p[i], 255);
        pk[i] = &p[i];
        dirs[i] = 0;
    }
    struct ot_harness h;
    json_t *ev = run(&h, "0.0.0.0", 68, "255.255.255.255", 67, pk, dirs, 9);
    assert_int_equal(json_array_size(ev), 9);
    for (unsigned i = 0; i < 9; i++)
        assert_string_equal(jstr(json_array_get(ev, i), "dhcp.dhcp_type"), want[i]);
    json_decref(ev);
}

/* Option 52: options continue in `file` (read first), then `sname`. */
static void test_overload(void **unused)
{
    struct pkt p;
    header(&p, 1, 1, "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", true);
    opt(&p, 53, "\x03", 1);
    opt(&p, 52, "\x03", 1);
    u8(&p, 255);
    /* file at 108: lease time and a hostname */
    size_t o = 108;
    memcpy(p.b + o,
           "\x33\x04\x00\x00\x0e\x10\x0c\x04"
           "file\xff",
           13);
    /* sname at 44: a hostname (ignored: file's came first) and a requested ip */
    o = 44;
    memcpy(p.b + o, "\x0c\x05sname\x32\x04\x0a\x00\x00\x07\xff", 14);
    struct ot_harness h;
    json_t *ev = run1(&h, &p, 0);
    json_t *e = json_array_get(ev, 0);
    assert_non_null(e);
    assert_string_equal(jstr(e, "dhcp.dhcp_type"), "request");
    assert_int_equal(jint(e, "dhcp.lease_time"), 3600);
    assert_string_equal(jstr(e, "dhcp.hostname"), "file");
    assert_string_equal(jstr(e, "dhcp.requested_ip"), "10.0.0.7");
    assert_null(jget(e, "dhcp.options_malformed"));
    json_decref(ev);

    /* Without option 52 those fields are plain sname/file bytes. */
    header(&p, 1, 1, "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", true);
    opt(&p, 53, "\x03", 1);
    u8(&p, 255);
    memcpy(p.b + 108, "\x33\x04\x00\x00\x0e\x10\xff", 7);
    ev = run1(&h, &p, 0);
    assert_null(jget(json_array_get(ev, 0), "dhcp.lease_time"));
    json_decref(ev);

    /* Overload 2 (sname only) with an option overrunning sname. */
    header(&p, 1, 1, "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", true);
    opt(&p, 53, "\x03", 1);
    opt(&p, 52, "\x02", 1);
    u8(&p, 255);
    memcpy(p.b + 44 + 60, "\x0c\x10", 2); /* 16 bytes claimed, 2 left */
    ev = run1(&h, &p, 0);
    e = json_array_get(ev, 0);
    assert_string_equal(jstr(e, "dhcp.dhcp_type"), "request");
    assert_true(json_is_true(jget(e, "dhcp.options_malformed")));
    assert_null(jget(e, "dhcp.hostname"));
    json_decref(ev);
}

/* An option overrunning the datagram: fields before it kept, flag set. */
static void test_bad_option_length(void **unused)
{
    struct pkt p;
    header(&p, 1, 1, "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", true);
    opt(&p, 53, "\x03", 1);
    opt(&p, 50, "\x0a\x00\x00", 3); /* wrong length for an address: left out */
    opt(&p, 61, "\x01", 1);         /* client id with no data: left out */
    opt(&p, 55, "", 0);             /* empty parameter list */
    u8(&p, 12);
    u8(&p, 40);
    bytes(&p, "short", 5);
    struct ot_harness h;
    json_t *ev = run1(&h, &p, 0);
    json_t *e = json_array_get(ev, 0);
    assert_non_null(e);
    assert_string_equal(jstr(e, "dhcp.dhcp_type"), "request");
    assert_true(json_is_true(jget(e, "dhcp.options_malformed")));
    assert_null(jget(e, "dhcp.requested_ip"));
    assert_null(jget(e, "dhcp.client_id"));
    assert_null(jget(e, "dhcp.hostname"));
    assert_int_equal(json_array_size(jget(e, "dhcp.params")), 0);
    json_decref(ev);

    /* An option code as the very last byte (no length): malformed too. */
    header(&p, 1, 1, "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", true);
    opt(&p, 53, "\x01", 1);
    u8(&p, 12);
    ev = run1(&h, &p, 0);
    e = json_array_get(ev, 0);
    assert_string_equal(jstr(e, "dhcp.dhcp_type"), "discover");
    assert_true(json_is_true(jget(e, "dhcp.options_malformed")));
    json_decref(ev);

    /* No END option at all: tolerated. */
    header(&p, 1, 1, "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", true);
    opt(&p, 53, "\x01", 1);
    ev = run1(&h, &p, 0);
    e = json_array_get(ev, 0);
    assert_string_equal(jstr(e, "dhcp.dhcp_type"), "discover");
    assert_null(jget(e, "dhcp.options_malformed"));
    json_decref(ev);
}

/* BOOTP (no cookie) on the DHCP ports: header fields only. */
static void test_bootp(void **unused)
{
    struct pkt p;
    header(&p, 2, 77, "0.0.0.0", "10.1.2.3", "10.1.2.1", "0.0.0.0", false);
    p.n = 300;
    struct ot_harness h;
    const struct pkt *pk[] = {&p};
    int dirs[] = {1};
    json_t *ev = run(&h, "10.1.2.3", 68, "10.1.2.1", 67, pk, dirs, 1);
    json_t *e = json_array_get(ev, 0);
    assert_non_null(e);
    assert_true(json_is_true(jget(e, "dhcp.bootp")));
    assert_string_equal(jstr(e, "dhcp.assigned_ip"), "10.1.2.3");
    assert_null(jget(e, "dhcp.dhcp_type"));
    json_decref(ev);
}

/* Every prefix of a packet: no crash; shorter than the fixed header, no event. */
static void test_truncated(void **unused)
{
    struct pkt p, first;
    build_discover(&p);
    build_discover(&first);
    for (size_t cut = 0; cut <= p.n; cut++) {
        struct pkt q = p;
        q.n = cut;
        struct ot_harness h;
        const struct pkt *pk[] = {&first, &q};
        int dirs[] = {0, 0};
        json_t *ev = run(&h, "0.0.0.0", 68, "255.255.255.255", 67, pk, dirs, 2);
        assert_int_equal(json_array_size(ev), cut >= 236 ? 2 : 1);
        json_decref(ev);
    }
}

/* A flow that keeps sending non-DHCP after identification is given up. */
static void test_junk_run(void **unused)
{
    struct pkt p, junk;
    build_discover(&p);
    memset(&junk, 0, sizeof(junk));
    junk.n = 100;
    const struct pkt *pk[10];
    int dirs[10] = {0};
    pk[0] = &p;
    for (int i = 1; i < 9; i++)
        pk[i] = &junk;
    pk[9] = &p;
    struct ot_harness h;
    json_t *ev = run(&h, "0.0.0.0", 68, "255.255.255.255", 67, pk, dirs, 10);
    assert_int_equal(json_array_size(ev), 1);
    assert_int_equal(h.pe.stats.errors[OT_APP_DHCP], 1);
    json_decref(ev);
}

static enum ot_probe_result pr(uint16_t cport, uint16_t sport, const void *d, size_t n)
{
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.ip_proto = 17;
    f.cli_port = cport;
    f.srv_port = sport;
    return ot_proto_dhcp.probe(&f, 0, d, n);
}

static void test_probe(void **unused)
{
    struct pkt p;
    build_discover(&p);
    assert_int_equal(pr(68, 67, p.b, p.n), OT_PROBE_YES);
    assert_int_equal(pr(5000, 6000, p.b, p.n), OT_PROBE_YES); /* the cookie is proof */
    assert_int_equal(pr(68, 67, p.b, 235), OT_PROBE_NO);
    struct pkt b = p;
    b.b[236] = 0; /* no cookie: BOOTP only on its ports */
    assert_int_equal(pr(68, 67, b.b, b.n), OT_PROBE_YES);
    assert_int_equal(pr(5000, 6000, b.b, b.n), OT_PROBE_NO);
    b = p;
    b.b[0] = 3; /* bad op */
    assert_int_equal(pr(68, 67, b.b, b.n), OT_PROBE_NO);
    b = p;
    b.b[2] = 17; /* hardware address longer than chaddr */
    assert_int_equal(pr(68, 67, b.b, b.n), OT_PROBE_NO);
}

/* Other protocols' first bytes are not DHCP, even on DHCP ports. */
static void test_probe_other_protocols(void **unused)
{
    uint8_t dns[64] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0,
                       0,    3,    'w',  'w',  'w',  0,    0, 1, 0, 1};
    static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    uint8_t zero[300] = {0};
    uint8_t ntp[48] = {0x23};
    assert_int_equal(pr(40000, 53, dns, 21), OT_PROBE_NO);
    assert_int_equal(pr(68, 67, dns, sizeof(dns)), OT_PROBE_NO);
    assert_int_equal(pr(68, 67, http, sizeof(http) - 1), OT_PROBE_NO);
    assert_int_equal(pr(68, 67, zero, sizeof(zero)), OT_PROBE_NO);
    assert_int_equal(pr(123, 123, ntp, sizeof(ntp)), OT_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discover),
        cmocka_unit_test(test_ack),
        cmocka_unit_test(test_message_types),
        cmocka_unit_test(test_overload),
        cmocka_unit_test(test_bad_option_length),
        cmocka_unit_test(test_bootp),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_junk_run),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_probe_other_protocols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
