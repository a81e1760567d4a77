/*
 * DNS parser: queries and answers field by field, every record type we
 * render, TCP framing split at every byte, gaps, limits, malformed input, and
 * the probe's yes/no/more verdicts.  Every message is built here byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_dns;

/* ---- building messages ---- */

struct msg {
    uint8_t b[70000];
    size_t n;
};

static void u8(struct msg *m, unsigned v)
{
    assert_true(m->n < sizeof(m->b));
    m->b[m->n++] = (uint8_t)v;
}

static void u16(struct msg *m, unsigned v)
{
    u8(m, v >> 8);
    u8(m, v & 0xff);
}

static void u32(struct msg *m, uint32_t v)
{
    u16(m, v >> 16);
    u16(m, v & 0xffff);
}

static void bytes(struct msg *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

/* "www.example.com" as uncompressed labels, with the root label. */
static void name(struct msg *m, const char *s)
{
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        u8(m, (unsigned)l);
        bytes(m, s, l);
        s += l;
        if (*s == '.')
            s++;
    }
    u8(m, 0);
}

static void ptr(struct msg *m, unsigned off)
{
    u16(m, 0xc000 | off);
}

static void hdr(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                unsigned ar)
{
    m->n = 0;
    u16(m, id);
    u16(m, flags);
    u16(m, qd);
    u16(m, an);
    u16(m, ns);
    u16(m, ar);
}

/* Resource record header whose owner name is a pointer; returns where rdlength sits. */
static size_t rr_ptr(struct msg *m, unsigned owner, unsigned type, uint32_t ttl)
{
    ptr(m, owner);
    u16(m, type);
    u16(m, 1);
    u32(m, ttl);
    size_t at = m->n;
    u16(m, 0);
    return at;
}

static void rr_end(struct msg *m, size_t at)
{
    size_t l = m->n - at - 2;
    m->b[at] = (uint8_t)(l >> 8);
    m->b[at + 1] = (uint8_t)l;
}

static void query(struct msg *m, unsigned id, const char *qname, unsigned qtype)
{
    hdr(m, id, 0x0100, 1, 0, 0, 0);
    name(m, qname);
    u16(m, qtype);
    u16(m, 1);
}

/* Prefix a message with its TCP length. */
static void tcp_frame(struct msg *out, const struct msg *in)
{
    out->n = 0;
    u16(out, (unsigned)in->n);
    bytes(out, in->b, in->n);
}

/* ---- reading events ---- */

/* Value at a dotted path ("dns.answers.0.rdata"); NULL when absent. */
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

struct run {
    struct ot_harness h;
    json_t *ev;
};

static void run_start(struct run *r, uint16_t sport, uint8_t ipproto)
{
    assert_int_equal(ot_harness_init(&r->h, "10.0.0.1", 40000, "10.0.0.53", sport, ipproto, true),
                     0);
    r->ev = NULL;
}

static json_t *run_finish(struct run *r)
{
    ot_harness_finish(&r->h);
    r->ev = ot_harness_events(&r->h, "dns");
    ot_harness_cleanup(&r->h);
    return r->ev;
}

/* ---- tests ---- */

static void test_udp_query(void **unused)
{
    struct msg m;
    query(&m, 0x1234, "www.example.com", 1);
    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 0, m.b, m.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_string_equal(jstr(e, "event_type"), "dns");
    assert_string_equal(jstr(e, "app_proto"), "dns");
    assert_string_equal(jstr(e, "src_ip"), "10.0.0.1");
    assert_int_equal(jint(e, "dest_port"), 53);
    assert_string_equal(jstr(e, "dns.type"), "query");
    assert_int_equal(jint(e, "dns.id"), 0x1234);
    assert_string_equal(jstr(e, "dns.rrname"), "www.example.com");
    assert_string_equal(jstr(e, "dns.rrtype"), "A");
    assert_int_equal(jint(e, "dns.tx_id"), 0);
    assert_int_equal(jint(e, "dns.opcode"), 0);
    assert_null(jget(e, "dns.z"));
    assert_int_equal(r.h.pe.stats.flows[OT_APP_DNS], 1);
    json_decref(ev);
}

/* A response with CNAME, A, AAAA answers and an NS authority, compressed. */
static void build_response(struct msg *m)
{
    hdr(m, 0x1234, 0x8180, 1, 3, 1, 0);
    name(m, "www.example.com"); /* at 12; "example.com" at 16 */
    u16(m, 1);
    u16(m, 1);
    size_t at = rr_ptr(m, 12, 5, 300); /* CNAME */
    size_t cname = m->n;
    u8(m, 3);
    bytes(m, "cdn", 3);
    ptr(m, 16);
    rr_end(m, at);
    at = rr_ptr(m, (unsigned)cname, 1, 60);
    bytes(m, "\x5d\xb8\xd8\x22", 4);
    rr_end(m, at);
    at = rr_ptr(m, (unsigned)cname, 28, 61);
    bytes(m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    rr_end(m, at);
    at = rr_ptr(m, 16, 2, 3600);
    u8(m, 3);
    bytes(m, "ns1", 3);
    ptr(m, 16);
    rr_end(m, at);
}

static void check_response(json_t *e)
{
    assert_string_equal(jstr(e, "src_ip"), "10.0.0.53");
    assert_int_equal(jint(e, "src_port"), 53);
    assert_int_equal(jint(e, "dns.version"), 2);
    assert_string_equal(jstr(e, "dns.type"), "answer");
    assert_int_equal(jint(e, "dns.id"), 0x1234);
    assert_string_equal(jstr(e, "dns.flags"), "8180");
    assert_true(json_is_true(jget(e, "dns.qr")));
    assert_true(json_is_false(jget(e, "dns.aa")));
    assert_true(json_is_false(jget(e, "dns.tc")));
    assert_true(json_is_true(jget(e, "dns.rd")));
    assert_true(json_is_true(jget(e, "dns.ra")));
    assert_int_equal(jint(e, "dns.opcode"), 0);
    assert_string_equal(jstr(e, "dns.rrname"), "www.example.com");
    assert_string_equal(jstr(e, "dns.rrtype"), "A");
    assert_string_equal(jstr(e, "dns.rcode"), "NOERROR");
    assert_int_equal(json_array_size(jget(e, "dns.answers")), 3);
    assert_string_equal(jstr(e, "dns.answers.0.rrname"), "www.example.com");
    assert_string_equal(jstr(e, "dns.answers.0.rrtype"), "CNAME");
    assert_int_equal(jint(e, "dns.answers.0.ttl"), 300);
    assert_string_equal(jstr(e, "dns.answers.0.rdata"), "cdn.example.com");
    assert_string_equal(jstr(e, "dns.answers.1.rrname"), "cdn.example.com");
    assert_string_equal(jstr(e, "dns.answers.1.rrtype"), "A");
    assert_int_equal(jint(e, "dns.answers.1.ttl"), 60);
    assert_string_equal(jstr(e, "dns.answers.1.rdata"), "93.184.216.34");
    assert_string_equal(jstr(e, "dns.answers.2.rrtype"), "AAAA");
    assert_string_equal(jstr(e, "dns.answers.2.rdata"), "2001:db8::1");
    assert_int_equal(json_array_size(jget(e, "dns.authorities")), 1);
    assert_string_equal(jstr(e, "dns.authorities.0.rrname"), "example.com");
    assert_string_equal(jstr(e, "dns.authorities.0.rrtype"), "NS");
    assert_string_equal(jstr(e, "dns.authorities.0.rdata"), "ns1.example.com");
    assert_null(jget(e, "dns.answers_truncated"));
}

static void test_udp_response(void **unused)
{
    struct msg q, a;
    query(&q, 0x1234, "www.example.com", 1);
    build_response(&a);
    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 0, q.b, q.n);
    ot_harness_feed(&r.h, 1, a.b, a.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 2);
    check_response(json_array_get(ev, 1));
    json_decref(ev);
}

/* A response seen first (capture started mid-flow) still identifies the flow. */
static void test_udp_response_first(void **unused)
{
    struct msg a;
    build_response(&a);
    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 1, a.b, a.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 1);
    check_response(json_array_get(ev, 0));
    json_decref(ev);
}

static void test_rdata_types(void **unused)
{
    struct msg m;
    hdr(&m, 7, 0x8580, 1, 9, 0, 0);
    name(&m, "example.com");
    u16(&m, 255);
    u16(&m, 1);
    size_t at = rr_ptr(&m, 12, 15, 10); /* MX */
    u16(&m, 10);
    u8(&m, 4);
    bytes(&m, "mail", 4);
    ptr(&m, 12);
    rr_end(&m, at);
    at = rr_ptr(&m, 12, 16, 11); /* TXT: two strings */
    u8(&m, 6);
    bytes(&m, "v=spf1", 6);
    u8(&m, 5);
    bytes(&m, " -all", 5);
    rr_end(&m, at);
    at = rr_ptr(&m, 12, 33, 12); /* SRV */
    u16(&m, 20);
    u16(&m, 5);
    u16(&m, 5060);
    u8(&m, 3);
    bytes(&m, "sip", 3);
    ptr(&m, 12);
    rr_end(&m, at);
    at = rr_ptr(&m, 12, 12, 13); /* PTR */
    name(&m, "host.example.net");
    rr_end(&m, at);
    at = rr_ptr(&m, 12, 44, 14); /* SSHFP */
    u8(&m, 1);
    u8(&m, 1);
    bytes(&m, "\x19\x8c\x34", 3);
    rr_end(&m, at);
    at = rr_ptr(&m, 12, 65534, 15); /* unknown */
    bytes(&m, "xyz", 3);
    rr_end(&m, at);
    at = rr_ptr(&m, 12, 65, 16); /* HTTPS: named, no rdata */
    bytes(&m, "\0\1\0", 3);
    rr_end(&m, at);
    at = rr_ptr(&m, 12, 1, 17); /* A with a bad length: no rdata */
    bytes(&m, "\1\2\3", 3);
    rr_end(&m, at);
    at = rr_ptr(&m, 12, 5, 18); /* CNAME whose rdata pointer loops: no rdata */
    ptr(&m, (unsigned)m.n);
    rr_end(&m, at);

    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 1, m.b, m.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_true(json_is_true(jget(e, "dns.aa")));
    assert_string_equal(jstr(e, "dns.rrtype"), "ANY");
    assert_string_equal(jstr(e, "dns.answers.0.rrtype"), "MX");
    assert_string_equal(jstr(e, "dns.answers.0.rdata"), "mail.example.com");
    assert_int_equal(jint(e, "dns.answers.0.mx_preference"), 10);
    assert_string_equal(jstr(e, "dns.answers.1.rrtype"), "TXT");
    assert_string_equal(jstr(e, "dns.answers.1.rdata"), "v=spf1 -all");
    assert_string_equal(jstr(e, "dns.answers.2.rrtype"), "SRV");
    assert_int_equal(jint(e, "dns.answers.2.srv.priority"), 20);
    assert_int_equal(jint(e, "dns.answers.2.srv.weight"), 5);
    assert_int_equal(jint(e, "dns.answers.2.srv.port"), 5060);
    assert_string_equal(jstr(e, "dns.answers.2.srv.name"), "sip.example.com");
    assert_null(jget(e, "dns.answers.2.rdata"));
    assert_string_equal(jstr(e, "dns.answers.3.rdata"), "host.example.net");
    assert_string_equal(jstr(e, "dns.answers.4.sshfp.fingerprint"), "19:8c:34");
    assert_int_equal(jint(e, "dns.answers.4.sshfp.algo"), 1);
    assert_int_equal(jint(e, "dns.answers.4.sshfp.type"), 1);
    assert_string_equal(jstr(e, "dns.answers.5.rrtype"), "65534");
    assert_null(jget(e, "dns.answers.5.rdata"));
    assert_int_equal(jint(e, "dns.answers.5.ttl"), 15);
    assert_string_equal(jstr(e, "dns.answers.6.rrtype"), "HTTPS");
    assert_null(jget(e, "dns.answers.6.rdata"));
    assert_null(jget(e, "dns.answers.7.rdata"));
    assert_string_equal(jstr(e, "dns.answers.8.rrtype"), "CNAME");
    assert_null(jget(e, "dns.answers.8.rdata"));
    json_decref(ev);
}

static void test_nxdomain_soa(void **unused)
{
    struct msg m;
    hdr(&m, 9, 0x8183, 1, 0, 1, 0);
    name(&m, "nope.example.org"); /* "example.org" at 17 */
    u16(&m, 28);
    u16(&m, 1);
    size_t at = rr_ptr(&m, 17, 6, 899);
    u8(&m, 2);
    bytes(&m, "ns", 2);
    ptr(&m, 17);
    u8(&m, 10);
    bytes(&m, "hostmaster", 10);
    ptr(&m, 17);
    u32(&m, 2024010101);
    u32(&m, 7200);
    u32(&m, 900);
    u32(&m, 1209600);
    u32(&m, 86400);
    rr_end(&m, at);
    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 1, m.b, m.n);
    json_t *ev = run_finish(&r);
    json_t *e = json_array_get(ev, 0);
    assert_non_null(e);
    assert_string_equal(jstr(e, "dns.rcode"), "NXDOMAIN");
    assert_string_equal(jstr(e, "dns.rrtype"), "AAAA");
    assert_null(jget(e, "dns.answers"));
    assert_string_equal(jstr(e, "dns.authorities.0.rrname"), "example.org");
    assert_string_equal(jstr(e, "dns.authorities.0.rrtype"), "SOA");
    assert_int_equal(jint(e, "dns.authorities.0.ttl"), 899);
    assert_string_equal(jstr(e, "dns.authorities.0.soa.mname"), "ns.example.org");
    assert_string_equal(jstr(e, "dns.authorities.0.soa.rname"), "hostmaster.example.org");
    assert_int_equal(jint(e, "dns.authorities.0.soa.serial"), 2024010101);
    assert_int_equal(jint(e, "dns.authorities.0.soa.refresh"), 7200);
    assert_int_equal(jint(e, "dns.authorities.0.soa.retry"), 900);
    assert_int_equal(jint(e, "dns.authorities.0.soa.expire"), 1209600);
    assert_int_equal(jint(e, "dns.authorities.0.soa.minimum"), 86400);
    json_decref(ev);
}

static void test_rcode_names(void **unused)
{
    static const char *const want[] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", "12",     "13",      "14",       "15"};
    struct run r;
    run_start(&r, 53, 17);
    for (unsigned rc = 0; rc < 16; rc++) {
        struct msg m;
        hdr(&m, rc, 0x8000 | rc, 1, 0, 0, 0);
        name(&m, "a.b");
        u16(&m, 1);
        u16(&m, 1);
        ot_harness_feed(&r.h, 1, m.b, m.n);
    }
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 16);
    for (unsigned rc = 0; rc < 16; rc++)
        assert_string_equal(jstr(json_array_get(ev, rc), "dns.rcode"), want[rc]);
    json_decref(ev);
}

/* Several questions: one event each, one tx_id per message; root is "". */
static void test_multi_question_tx_id(void **unused)
{
    struct msg m;
    hdr(&m, 1, 0x0000, 3, 0, 0, 0);
    name(&m, "_ipp._tcp.local");
    u16(&m, 12);
    u16(&m, 0x8001); /* mDNS QU bit */
    ptr(&m, 12 + 5);
    u16(&m, 12);
    u16(&m, 1);
    u8(&m, 0); /* root */
    u16(&m, 2);
    u16(&m, 1);
    struct msg q2;
    query(&q2, 2, "x.local", 1);
    struct run r;
    run_start(&r, 5353, 17);
    ot_harness_feed(&r.h, 0, m.b, m.n);
    ot_harness_feed(&r.h, 0, q2.b, q2.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 4);
    assert_string_equal(jstr(json_array_get(ev, 0), "dns.rrname"), "_ipp._tcp.local");
    assert_string_equal(jstr(json_array_get(ev, 0), "dns.rrtype"), "PTR");
    assert_string_equal(jstr(json_array_get(ev, 1), "dns.rrname"), "_tcp.local");
    assert_string_equal(jstr(json_array_get(ev, 2), "dns.rrname"), "");
    assert_string_equal(jstr(json_array_get(ev, 2), "dns.rrtype"), "NS");
    for (int i = 0; i < 3; i++)
        assert_int_equal(jint(json_array_get(ev, i), "dns.tx_id"), 0);
    assert_int_equal(jint(json_array_get(ev, 3), "dns.tx_id"), 1);
    assert_string_equal(jstr(json_array_get(ev, 3), "app_proto"), "dns");
    json_decref(ev);
}

static void test_opcode_z_llmnr(void **unused)
{
    struct msg m;
    hdr(&m, 5, (9u << 11) | 0x0040, 1, 0, 0, 0); /* opcode 9, Z set */
    name(&m, "wpad");
    u16(&m, 1);
    u16(&m, 1);
    struct run r;
    run_start(&r, 5355, 17);
    ot_harness_feed(&r.h, 0, m.b, m.n);
    json_t *ev = run_finish(&r);
    json_t *e = json_array_get(ev, 0);
    assert_non_null(e);
    assert_string_equal(jstr(e, "dns.rrname"), "wpad");
    assert_int_equal(jint(e, "dns.opcode"), 9);
    assert_true(json_is_true(jget(e, "dns.z")));
    json_decref(ev);
}

/* Names: odd bytes pass through the writer's escaping; 255-byte bound; forward pointers. */
static void test_names(void **unused)
{
    struct msg m;
    /* 5 labels of 63 = 319 text bytes: cut at 255. */
    hdr(&m, 1, 0x0100, 3, 0, 0, 0);
    for (int i = 0; i < 5; i++) {
        u8(&m, 63);
        for (int k = 0; k < 63; k++)
            u8(&m, 'a' + i);
    }
    u8(&m, 0);
    u16(&m, 1);
    u16(&m, 1);
    /* A label holding a dot, a quote and a 0xff byte. */
    u8(&m, 4);
    bytes(&m, "a.\"\xff", 4);
    u8(&m, 0);
    u16(&m, 16);
    u16(&m, 1);
    /* A forward pointer to a name placed after the question section. */
    size_t fwd = m.n;
    u16(&m, 0);
    u16(&m, 1);
    u16(&m, 1);
    m.b[fwd] = (uint8_t)(0xc0 | (m.n >> 8));
    m.b[fwd + 1] = (uint8_t)m.n;
    name(&m, "fwd.example");
    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 0, m.b, m.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 3);
    const char *n0 = jstr(json_array_get(ev, 0), "dns.rrname");
    assert_int_equal(strlen(n0), 255);
    assert_true(json_is_true(jget(json_array_get(ev, 0), "dns.rrname_truncated")));
    assert_string_equal(jstr(json_array_get(ev, 1), "dns.rrname"), "a.\"\xc3\xbf");
    assert_string_equal(jstr(json_array_get(ev, 1), "dns.rrtype"), "TXT");
    assert_string_equal(jstr(json_array_get(ev, 2), "dns.rrname"), "fwd.example");
    json_decref(ev);
}

/* Pointer loops, pointers past the end, reserved label types: no event, no crash. */
static void test_bad_names(void **unused)
{
    struct run r;
    run_start(&r, 53, 17);
    struct msg ok;
    query(&ok, 5, "ok.example", 1);
    ot_harness_feed(&r.h, 0, ok.b, ok.n); /* identifies the flow */
    struct msg m;
    hdr(&m, 1, 0x0100, 1, 0, 0, 0);
    ptr(&m, 12); /* points at itself */
    u16(&m, 1);
    u16(&m, 1);
    ot_harness_feed(&r.h, 0, m.b, m.n);
    hdr(&m, 2, 0x0100, 1, 0, 0, 0);
    u8(&m, 1);
    u8(&m, 'a');
    ptr(&m, 12); /* a -> a -> a ... */
    u16(&m, 1);
    u16(&m, 1);
    ot_harness_feed(&r.h, 0, m.b, m.n);
    hdr(&m, 3, 0x0100, 1, 0, 0, 0);
    ptr(&m, 0x3fff);
    u16(&m, 1);
    u16(&m, 1);
    ot_harness_feed(&r.h, 0, m.b, m.n);
    hdr(&m, 4, 0x0100, 1, 0, 0, 0);
    u8(&m, 0x41);
    u8(&m, 0);
    u16(&m, 1);
    u16(&m, 1);
    ot_harness_feed(&r.h, 0, m.b, m.n);
    ot_harness_feed(&r.h, 0, ok.b, ok.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(jstr(json_array_get(ev, 1), "dns.rrname"), "ok.example");
    assert_int_equal(r.h.pe.stats.errors[OT_APP_DNS], 0);
    json_decref(ev);
}

/* Every prefix of a response (cut by a snap length, say): no crash, valid JSON. */
static void test_truncated_response(void **unused)
{
    struct msg a;
    build_response(&a);
    for (size_t cut = 0; cut <= a.n; cut++) {
        struct run r;
        run_start(&r, 53, 17);
        struct msg q;
        query(&q, 1, "x.y", 1);
        ot_harness_feed(&r.h, 0, q.b, q.n); /* identify the flow first */
        ot_harness_feed(&r.h, 1, a.b, cut);
        json_t *ev = run_finish(&r);
        size_t n = json_array_size(ev);
        if (cut == a.n) {
            assert_int_equal(n, 2);
            check_response(json_array_get(ev, 1));
        } else if (cut < 33) { /* header + question incomplete: skipped */
            assert_int_equal(n, 1);
        } else { /* partial answers: event with what parsed */
            assert_int_equal(n, 2);
            assert_string_equal(jstr(json_array_get(ev, 1), "dns.rrname"), "www.example.com");
        }
        json_decref(ev);
    }
}

/* A flow that keeps sending non-DNS after identification is given up (error counted). */
static void test_udp_junk_run(void **unused)
{
    struct run r;
    run_start(&r, 53, 17);
    struct msg q;
    query(&q, 1, "a.example", 1);
    ot_harness_feed(&r.h, 0, q.b, q.n);
    static const uint8_t junk[] = "\x01\x02\x03";
    for (int i = 0; i < 7; i++)
        ot_harness_feed(&r.h, 0, junk, 3);
    ot_harness_feed(&r.h, 0, q.b, q.n); /* resets the run */
    assert_int_equal(r.h.pe.stats.errors[OT_APP_DNS], 0);
    for (int i = 0; i < 8; i++)
        ot_harness_feed(&r.h, 0, junk, 3);
    assert_int_equal(r.h.pe.stats.errors[OT_APP_DNS], 1);
    ot_harness_feed(&r.h, 0, q.b, q.n); /* no longer fed */
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 2);
    json_decref(ev);
}

/* Junk first on port 53, then DNS: the probe waits and then identifies. */
static void test_udp_junk_first(void **unused)
{
    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 0, "\x16\x03\x01", 3);
    struct msg q;
    query(&q, 1, "late.example", 1);
    ot_harness_feed(&r.h, 0, q.b, q.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(jstr(json_array_get(ev, 0), "dns.rrname"), "late.example");
    json_decref(ev);
}

static void test_answers_bound(void **unused)
{
    struct msg m;
    hdr(&m, 1, 0x8180, 1, 100, 0, 0);
    name(&m, "many.example");
    u16(&m, 1);
    u16(&m, 1);
    for (unsigned i = 0; i < 100; i++) {
        size_t at = rr_ptr(&m, 12, 1, i);
        u32(&m, 0x0a000000 | i);
        rr_end(&m, at);
    }
    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 1, m.b, m.n);
    json_t *ev = run_finish(&r);
    json_t *e = json_array_get(ev, 0);
    assert_non_null(e);
    assert_int_equal(json_array_size(jget(e, "dns.answers")), 64);
    assert_true(json_is_true(jget(e, "dns.answers_truncated")));
    assert_string_equal(jstr(e, "dns.answers.63.rdata"), "10.0.0.63");
    json_decref(ev);
}

/* ---- TCP ---- */

/* Two queries and a response per direction, framed; all events of a run. */
static void tcp_stream(struct msg *c2s, struct msg *s2c)
{
    struct msg q, f;
    c2s->n = s2c->n = 0;
    query(&q, 0x1234, "www.example.com", 1);
    tcp_frame(&f, &q);
    bytes(c2s, f.b, f.n);
    query(&q, 0x4321, "mail.example.com", 15);
    tcp_frame(&f, &q);
    bytes(c2s, f.b, f.n);
    build_response(&q);
    tcp_frame(&f, &q);
    bytes(s2c, f.b, f.n);
}

static void check_tcp_events(json_t *ev)
{
    assert_int_equal(json_array_size(ev), 3);
    assert_string_equal(jstr(json_array_get(ev, 0), "dns.rrname"), "www.example.com");
    assert_string_equal(jstr(json_array_get(ev, 1), "dns.rrname"), "mail.example.com");
    assert_string_equal(jstr(json_array_get(ev, 1), "dns.rrtype"), "MX");
    assert_int_equal(jint(json_array_get(ev, 1), "dns.tx_id"), 1);
    assert_string_equal(jstr(json_array_get(ev, 2), "proto"), "TCP");
    check_response(json_array_get(ev, 2));
}

static void test_tcp_whole(void **unused)
{
    struct msg c, s;
    tcp_stream(&c, &s);
    struct run r;
    run_start(&r, 53, 6);
    ot_harness_feed(&r.h, 0, c.b, c.n);
    ot_harness_feed(&r.h, 1, s.b, s.n);
    json_t *ev = run_finish(&r);
    check_tcp_events(ev);
    json_decref(ev);
}

static void test_tcp_split_everywhere(void **unused)
{
    struct msg c, s;
    tcp_stream(&c, &s);
    for (size_t k = 1; k < c.n; k++) {
        struct run r;
        run_start(&r, 53, 6);
        ot_harness_feed(&r.h, 0, c.b, k);
        ot_harness_feed(&r.h, 0, c.b + k, c.n - k);
        size_t k2 = k < s.n ? k : s.n - 1;
        ot_harness_feed(&r.h, 1, s.b, k2);
        ot_harness_feed(&r.h, 1, s.b + k2, s.n - k2);
        json_t *ev = run_finish(&r);
        check_tcp_events(ev);
        json_decref(ev);
    }
}

static void test_tcp_byte_by_byte(void **unused)
{
    struct msg c, s;
    tcp_stream(&c, &s);
    struct run r;
    run_start(&r, 53, 6);
    for (size_t i = 0; i < c.n; i++)
        ot_harness_feed(&r.h, 0, c.b + i, 1);
    for (size_t i = 0; i < s.n; i++)
        ot_harness_feed(&r.h, 1, s.b + i, 1);
    json_t *ev = run_finish(&r);
    check_tcp_events(ev);
    json_decref(ev);
}

/* A gap mid-message: the direction drops data until a chunk starts a message. */
static void test_tcp_gap_resync(void **unused)
{
    struct msg q, f1, f2;
    query(&q, 1, "one.example", 1);
    tcp_frame(&f1, &q);
    query(&q, 2, "two.example", 1);
    tcp_frame(&f2, &q);
    struct run r;
    run_start(&r, 53, 6);
    ot_harness_feed(&r.h, 0, f1.b, 7);         /* partial */
    ot_harness_gap(&r.h, 0, 100);              /* lost the rest and more */
    ot_harness_feed(&r.h, 0, "\x00\x05zz", 4); /* mid-message garbage: dropped */
    ot_harness_feed(&r.h, 0, f2.b, f2.n);      /* a message boundary: resync */
    ot_harness_feed(&r.h, 0, f1.b, f1.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(jstr(json_array_get(ev, 0), "dns.rrname"), "two.example");
    assert_string_equal(jstr(json_array_get(ev, 1), "dns.rrname"), "one.example");
    assert_int_equal(r.h.pe.stats.errors[OT_APP_DNS], 0);
    json_decref(ev);
}

/* A message longer than max_buffer that spans chunks is skipped, framing kept. */
static void test_tcp_oversize(void **unused)
{
    struct msg big, fb, q, fq;
    hdr(&big, 9, 0x8180, 1, 1, 0, 0);
    name(&big, "big.example");
    u16(&big, 16);
    u16(&big, 1);
    size_t at = rr_ptr(&big, 12, 16, 1);
    for (int i = 0; i < 40; i++) {
        u8(&big, 50);
        for (int k = 0; k < 50; k++)
            u8(&big, 'x');
    }
    rr_end(&big, at);
    tcp_frame(&fb, &big);
    query(&q, 2, "after.example", 1);
    tcp_frame(&fq, &q);
    struct run r;
    run_start(&r, 53, 6);
    r.h.pe.conf.max_buffer = 1024;
    ot_harness_feed(&r.h, 1, fb.b, 600);
    ot_harness_feed(&r.h, 1, fb.b + 600, fb.n - 600);
    ot_harness_feed(&r.h, 1, fq.b, fq.n);
    /* Whole in one chunk: parsed in place whatever its size; TXT rdata bounded. */
    ot_harness_feed(&r.h, 1, fb.b, fb.n);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(jstr(json_array_get(ev, 0), "dns.rrname"), "after.example");
    json_t *e = json_array_get(ev, 1);
    assert_string_equal(jstr(e, "dns.rrname"), "big.example");
    assert_int_equal(strlen(jstr(e, "dns.answers.0.rdata")), 2000);
    assert_null(jget(e, "dns.answers.0.rdata_truncated"));
    json_decref(ev);
}

static void test_txt_bound(void **unused)
{
    struct msg m;
    hdr(&m, 9, 0x8180, 1, 1, 0, 0);
    name(&m, "t.example");
    u16(&m, 16);
    u16(&m, 1);
    size_t at = rr_ptr(&m, 12, 16, 1);
    for (int i = 0; i < 40; i++) {
        u8(&m, 200);
        for (int k = 0; k < 200; k++)
            u8(&m, 'y');
    }
    rr_end(&m, at);
    struct run r;
    run_start(&r, 53, 17);
    ot_harness_feed(&r.h, 1, m.b, m.n);
    json_t *ev = run_finish(&r);
    json_t *e = json_array_get(ev, 0);
    assert_non_null(e);
    assert_int_equal(strlen(jstr(e, "dns.answers.0.rdata")), 4096);
    assert_true(json_is_true(jget(e, "dns.answers.0.rdata_truncated")));
    json_decref(ev);
}

/* A length prefix below a header's size: framing is lost, error counted. */
static void test_tcp_bad_length(void **unused)
{
    struct msg q, f;
    query(&q, 1, "a.example", 1);
    tcp_frame(&f, &q);
    struct run r;
    run_start(&r, 53, 6);
    ot_harness_feed(&r.h, 0, f.b, f.n);
    ot_harness_feed(&r.h, 0, "\x00\x03\x01\x02\x03", 5);
    assert_int_equal(r.h.pe.stats.errors[OT_APP_DNS], 1);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 1);
    json_decref(ev);
}

/* ---- probe ---- */

static struct ot_flow mkflow(uint8_t proto, uint16_t cport, uint16_t sport)
{
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.ip_proto = proto;
    f.cli_port = cport;
    f.srv_port = sport;
    return f;
}

static enum ot_probe_result pr(uint8_t proto, uint16_t sport, const void *d, size_t n)
{
    struct ot_flow f = mkflow(proto, 40000, sport);
    return ot_proto_dns.probe(&f, 0, d, n);
}

static void test_probe(void **unused)
{
    struct msg q, a, f;
    query(&q, 1, "www.example.com", 1);
    build_response(&a);
    /* UDP on DNS ports. */
    assert_int_equal(pr(17, 53, q.b, q.n), OT_PROBE_YES);
    assert_int_equal(pr(17, 53, a.b, a.n), OT_PROBE_YES);
    assert_int_equal(pr(17, 5353, q.b, q.n), OT_PROBE_YES);
    assert_int_equal(pr(17, 5355, q.b, q.n), OT_PROBE_YES);
    assert_int_equal(pr(17, 53, q.b, 11), OT_PROBE_NO);
    assert_int_equal(pr(17, 53, q.b, q.n - 3), OT_PROBE_NO);
    /* Elsewhere only a message that parses whole and exactly. */
    assert_int_equal(pr(17, 4444, q.b, q.n), OT_PROBE_YES);
    assert_int_equal(pr(17, 4444, a.b, a.n), OT_PROBE_YES);
    memcpy(f.b, q.b, q.n);
    f.b[q.n] = 0;
    assert_int_equal(pr(17, 4444, f.b, q.n + 1), OT_PROBE_NO); /* trailing byte */
    assert_int_equal(pr(17, 53, f.b, q.n + 1), OT_PROBE_YES);
    /* NetBIOS name service and DHCP ports are never DNS. */
    assert_int_equal(pr(17, 137, q.b, q.n), OT_PROBE_NO);
    assert_int_equal(pr(17, 67, q.b, q.n), OT_PROBE_NO);
    /* Query with no question; response with nothing at all. */
    struct msg e;
    hdr(&e, 1, 0x0100, 0, 0, 0, 0);
    assert_int_equal(pr(17, 53, e.b, e.n), OT_PROBE_NO);
    hdr(&e, 1, 0x8180, 0, 0, 0, 0);
    assert_int_equal(pr(17, 53, e.b, e.n), OT_PROBE_NO);
    /* TCP. */
    tcp_frame(&f, &q);
    assert_int_equal(pr(6, 53, f.b, f.n), OT_PROBE_YES);
    assert_int_equal(pr(6, 53, f.b, 2), OT_PROBE_YES); /* length alone, on port 53 */
    assert_int_equal(pr(6, 53, f.b, 1), OT_PROBE_YES); /* one byte, on port 53 */
    assert_int_equal(pr(6, 4444, f.b, 1), OT_PROBE_NO);
    assert_int_equal(pr(6, 53, f.b, 20), OT_PROBE_YES); /* partial but plausible */
    assert_int_equal(pr(6, 4444, f.b, f.n), OT_PROBE_YES);
    assert_int_equal(pr(6, 4444, f.b, f.n - 1), OT_PROBE_NO);
    assert_int_equal(pr(6, 4444, f.b, 4), OT_PROBE_NO);
    assert_int_equal(pr(6, 4444, f.b, 2), OT_PROBE_NO);
    assert_int_equal(pr(6, 53, "\x00\x05hello", 7), OT_PROBE_NO);
}

/* Other protocols' first bytes are not DNS, on their ports or on 53. */
static void test_probe_other_protocols(void **unused)
{
    static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    static const char ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";
    static const char smtp[] = "220 mail.example.com ESMTP Postfix\r\n";
    static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03,
                                  0x03, 1,    2,    3,    4,    5,    6,    7,    8,    9};
    static const uint8_t smb[] = {0x00, 0x00, 0x00, 0x40, 0xfe, 'S', 'M', 'B', 0x40, 0,
                                  0,    0,    0,    0,    0,    0,   0,   0,   0,    0};
    uint8_t dhcp[300];
    memset(dhcp, 0, sizeof(dhcp));
    dhcp[0] = 1;
    dhcp[1] = 1;
    dhcp[2] = 6;
    memcpy(dhcp + 236, "\x63\x82\x53\x63\x35\x01\x01\xff", 8);
    uint8_t ntp[48] = {0x23};
    for (uint16_t port = 0; port < 2; port++) {
        uint16_t sp = port ? 53 : 8080;
        assert_int_equal(pr(6, sp, http, sizeof(http) - 1), OT_PROBE_NO);
        assert_int_equal(pr(6, sp, ssh, sizeof(ssh) - 1), OT_PROBE_NO);
        assert_int_equal(pr(6, sp, smtp, sizeof(smtp) - 1), OT_PROBE_NO);
        assert_int_equal(pr(6, sp, tls, sizeof(tls)), OT_PROBE_NO);
        assert_int_equal(pr(6, sp, smb, sizeof(smb)), OT_PROBE_NO);
        assert_int_equal(pr(17, sp, ntp, sizeof(ntp)), OT_PROBE_NO);
    }
    assert_int_equal(pr(17, 67, dhcp, sizeof(dhcp)), OT_PROBE_NO);
    assert_int_equal(pr(17, 4444, dhcp, sizeof(dhcp)), OT_PROBE_NO);
    /* Modbus/TCP read request; SOCKS5 greeting: short, length-like first bytes. */
    static const uint8_t modbus[] = {0x00, 0xd1, 0x00, 0x00, 0x00, 0x06,
                                     0x01, 0x03, 0x00, 0x01, 0x00, 0x01};
    assert_int_equal(pr(6, 502, modbus, sizeof(modbus)), OT_PROBE_NO);
    assert_int_equal(pr(6, 1080, "\x05\x02\x00\x01", 4), OT_PROBE_NO);
}

/* An unidentified flow's payload never produces a dns event. */
static void test_not_claimed(void **unused)
{
    struct run r;
    run_start(&r, 8080, 6);
    static const char http[] = "GET / HTTP/1.1\r\n\r\n";
    ot_harness_feed(&r.h, 0, http, sizeof(http) - 1);
    json_t *ev = run_finish(&r);
    assert_int_equal(json_array_size(ev), 0);
    assert_int_equal(r.h.pe.stats.flows[OT_APP_DNS], 0);
    json_decref(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_query),
        cmocka_unit_test(test_udp_response),
        cmocka_unit_test(test_udp_response_first),
        cmocka_unit_test(test_rdata_types),
        cmocka_unit_test(test_nxdomain_soa),
        cmocka_unit_test(test_rcode_names),
        cmocka_unit_test(test_multi_question_tx_id),
        cmocka_unit_test(test_opcode_z_llmnr),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_truncated_response),
        cmocka_unit_test(test_udp_junk_run),
        cmocka_unit_test(test_udp_junk_first),
        cmocka_unit_test(test_answers_bound),
        cmocka_unit_test(test_tcp_whole),
        cmocka_unit_test(test_tcp_split_everywhere),
        cmocka_unit_test(test_tcp_byte_by_byte),
        cmocka_unit_test(test_tcp_gap_resync),
        cmocka_unit_test(test_tcp_oversize),
        cmocka_unit_test(test_txt_bound),
        cmocka_unit_test(test_tcp_bad_length),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_probe_other_protocols),
        cmocka_unit_test(test_not_claimed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
