/*
 * RDP parser: X.224 connection request (cookie, RDP_NEG_REQ), confirm
 * (RDP_NEG_RSP / RDP_NEG_FAILURE), MCS Connect-Initial client data under
 * standard RDP security, splits at every byte, gaps, malformed TPKT, probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_rdp;

struct buf {
    uint8_t b[4096];
    size_t n;
};

static void put(struct buf *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof(o->b));
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put8(struct buf *o, uint8_t v)
{
    put(o, &v, 1);
}

static void put16(struct buf *o, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(o, b, 2);
}

static void put32(struct buf *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(o, b, 4);
}

static void put_zero(struct buf *o, size_t n)
{
    assert_true(o->n + n <= sizeof(o->b));
    memset(o->b + o->n, 0, n);
    o->n += n;
}

/* TPKT around `x` (an X.224 TPDU and what follows). */
static void tpkt(struct buf *o, const struct buf *x)
{
    size_t l = x->n + 4;
    uint8_t h[4] = {3, 0, (uint8_t)(l >> 8), (uint8_t)l};
    put(o, h, 4);
    put(o, x->b, x->n);
}

/* Connection Request: cookie line (may be NULL), then RDP_NEG_REQ when neg >= 0. */
static void cr(struct buf *o, const char *cookie, int64_t neg, uint8_t flags)
{
    struct buf x = {.n = 0};
    put8(&x, 0); /* LI, set below */
    put8(&x, 0xe0);
    put16(&x, 0), put16(&x, 0), put8(&x, 0);
    if (cookie)
        put(&x, cookie, strlen(cookie));
    if (neg >= 0) {
        put8(&x, 1), put8(&x, flags), put16(&x, 8), put32(&x, (uint32_t)neg);
    }
    x.b[0] = (uint8_t)(x.n - 1);
    tpkt(o, &x);
}

/* Connection Confirm: type 2 (response) or 3 (failure) with a value, or none (type 0). */
static void cc(struct buf *o, uint8_t type, uint8_t flags, uint32_t v)
{
    struct buf x = {.n = 0};
    put8(&x, 0);
    put8(&x, 0xd0);
    put16(&x, 0), put16(&x, 0x1234), put8(&x, 0);
    if (type) {
        put8(&x, type), put8(&x, flags), put16(&x, 8), put32(&x, v);
    }
    x.b[0] = (uint8_t)(x.n - 1);
    tpkt(o, &x);
}

static void put_u16s(struct buf *o, const char *s, size_t field)
{
    size_t n = 0;
    for (; *s; s++, n += 2)
        put16(o, (uint8_t)*s);
    put_zero(o, field - n);
}

/* MCS Connect-Initial with GCC client core and network data. */
static void mcs_ci(struct buf *o, const char *name)
{
    struct buf blocks = {.n = 0};
    put16(&blocks, 0xc001); /* CS_CORE */
    put16(&blocks, 216);
    put32(&blocks, 0x0008000c);
    put16(&blocks, 1920), put16(&blocks, 1080);
    put16(&blocks, 0xca01), put16(&blocks, 0xaa03);
    put32(&blocks, 0x411); /* keyboard layout ja-JP */
    put32(&blocks, 19041); /* build */
    put_u16s(&blocks, name, 32);
    put32(&blocks, 7), put32(&blocks, 2), put32(&blocks, 12);
    put_zero(&blocks, 64); /* ime */
    put16(&blocks, 0xca01), put16(&blocks, 1), put32(&blocks, 0);
    put16(&blocks, 24), put16(&blocks, 0xf), put16(&blocks, 0x7e5);
    put_u16s(&blocks, "55274-OEM-0011903-00107", 64);
    put8(&blocks, 0), put8(&blocks, 0), put32(&blocks, 0);
    assert_int_equal(blocks.n, 216);
    put16(&blocks, 0xc003); /* CS_NET */
    put16(&blocks, 8 + 2 * 12);
    put32(&blocks, 2);
    put(&blocks, "rdpdr\0\0\0", 8), put32(&blocks, 0x80800000);
    put(&blocks, "cliprdr\0", 8), put32(&blocks, 0xc0a00000);

    struct buf x = {.n = 0};
    put(&x, "\x02\xf0\x80", 3);
    put(&x, "\x7f\x65\x82\x00\x00", 5); /* BER length left loose: the parser does not need it */
    put(&x, "\x04\x01\x01\x04\x01\x01\x01\x01\xff", 9);
    put(&x, "\x30\x02\x02\x00", 4);
    put(&x, "\x04\x82\x00\x00", 4);
    put(&x, "\x00\x05\x00\x14\x7c\x00\x01\x81\x00", 9);
    put(&x, "\x00\x08\x00\x10\x00\x01\xc0\x00", 8);
    put(&x, "Duca", 4);
    put8(&x, (uint8_t)(0x80 | (blocks.n >> 8)));
    put8(&x, (uint8_t)blocks.n);
    put(&x, blocks.b, blocks.n);
    tpkt(o, &x);
}

static void start(struct ot_harness *h)
{
    assert_int_equal(ot_harness_init(h, "10.1.1.5", 51000, "10.1.1.9", 3389, 6, true), 0);
}

static json_t *events(struct ot_harness *h)
{
    ot_eve_flush(&h->eve);
    return ot_harness_events(h, "rdp");
}

static json_t *only_event(struct ot_harness *h)
{
    json_t *evs = ot_harness_events(h, "rdp");
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_incref(json_object_get(json_array_get(evs, 0), "rdp"));
    json_decref(evs);
    return ev;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *item(json_t *o, const char *k, size_t i)
{
    return json_string_value(json_array_get(json_object_get(o, k), i));
}

static void check_nla(json_t *rdp)
{
    assert_string_equal(str(rdp, "cookie"), "alice");
    json_t *rp = json_object_get(rdp, "requested_protocols");
    assert_int_equal(json_array_size(rp), 3);
    assert_string_equal(item(rdp, "requested_protocols", 0), "ssl");
    assert_string_equal(item(rdp, "requested_protocols", 1), "hybrid");
    assert_string_equal(item(rdp, "requested_protocols", 2), "hybrid_ex");
    assert_string_equal(str(rdp, "selected_protocol"), "hybrid");
    json_t *ss = json_object_get(rdp, "server_supports");
    assert_int_equal(json_array_size(ss), 4);
    assert_string_equal(item(rdp, "server_supports", 0), "extended_client_data");
    assert_string_equal(item(rdp, "server_supports", 3), "redirected_authentication");
    assert_null(json_object_get(rdp, "flags"));
    assert_null(json_object_get(rdp, "error_code"));
    assert_null(json_object_get(rdp, "client"));
}

/* Client: request, then (after the confirm) TLS; server: confirm, then TLS. */
static void nla_streams(struct buf *c, struct buf *s)
{
    c->n = s->n = 0;
    cr(c, "Cookie: mstshash=alice\r\n", 0xb, 0);
    cc(s, 2, 0x1f, 2);
}

static const char tls_c[] = "\x16\x03\x01\x00\x05hello";
static const char tls_s[] = "\x16\x03\x03\x00\x05hello";

/* CredSSP (NLA): the event is written at the confirm; the TLS after it is ignored. */
static void test_nla(void **unused)
{
    struct ot_harness h;
    struct buf c, s;
    nla_streams(&c, &s);
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    json_t *evs = events(&h);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    ot_harness_feed(&h, 1, s.b, s.n);
    evs = events(&h);
    assert_int_equal(json_array_size(evs), 1);
    json_decref(evs);
    ot_harness_feed(&h, 0, tls_c, 10);
    ot_harness_feed(&h, 1, tls_s, 10);
    ot_harness_finish(&h);
    json_t *rdp = only_event(&h);
    check_nla(rdp);
    json_decref(rdp);
    assert_int_equal(h.pe.stats.flows[OT_APP_RDP], 1);
    assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 0);
    ot_harness_cleanup(&h);
}

/* Every split of both directions after a first chunk long enough for the probe; byte by byte. */
static void test_split_everywhere(void **unused)
{
    struct buf c, s;
    nla_streams(&c, &s);
    const size_t first = 19; /* TPKT + X.224 + "Cookie: " */
    for (size_t cut = first; cut < c.n; cut++) {
        for (size_t scut = 1; scut < s.n; scut += (cut == first ? 1 : s.n)) {
            struct ot_harness h;
            start(&h);
            ot_harness_feed(&h, 0, c.b, first);
            ot_harness_feed(&h, 0, c.b + first, cut - first);
            ot_harness_feed(&h, 0, c.b + cut, c.n - cut);
            ot_harness_feed(&h, 1, s.b, scut);
            ot_harness_feed(&h, 1, s.b + scut, s.n - scut);
            ot_harness_feed(&h, 0, tls_c, 10);
            ot_harness_finish(&h);
            json_t *rdp = only_event(&h);
            check_nla(rdp);
            json_decref(rdp);
            assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 0);
            ot_harness_cleanup(&h);
        }
    }
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, first);
    for (size_t i = first; i < c.n; i++)
        ot_harness_feed(&h, 0, c.b + i, 1);
    for (size_t i = 0; i < s.n; i++)
        ot_harness_feed(&h, 1, s.b + i, 1);
    ot_harness_finish(&h);
    json_t *rdp = only_event(&h);
    check_nla(rdp);
    json_decref(rdp);
    ot_harness_cleanup(&h);
}

/* Standard RDP security: the client data (name, build, channels) follows in clear. */
static void test_standard_security(void **unused)
{
    static struct buf c, s, m;
    c.n = s.n = m.n = 0;
    cr(&c, "Cookie: mstshash=FTBCO\\A70\r\n", 0, 0);
    cc(&s, 2, 0, 0);
    mcs_ci(&m, "FROG-POND");
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 0, c.b, c.n);
        ot_harness_feed(&h, 1, s.b, s.n);
        json_t *evs = events(&h);
        assert_int_equal(json_array_size(evs), 0); /* waits for the client data */
        json_decref(evs);
        if (bytewise) {
            for (size_t i = 0; i < m.n; i++)
                ot_harness_feed(&h, 0, m.b + i, 1);
        } else {
            ot_harness_feed(&h, 0, m.b, m.n);
        }
        evs = events(&h);
        assert_int_equal(json_array_size(evs), 1);
        json_decref(evs);
        ot_harness_finish(&h);
        json_t *rdp = only_event(&h);
        assert_string_equal(str(rdp, "cookie"), "FTBCO\\A70");
        assert_int_equal(json_array_size(json_object_get(rdp, "requested_protocols")), 1);
        assert_string_equal(item(rdp, "requested_protocols", 0), "rdp");
        assert_string_equal(str(rdp, "selected_protocol"), "rdp");
        json_t *cl = json_object_get(rdp, "client");
        assert_string_equal(str(cl, "client_name"), "FROG-POND");
        assert_string_equal(str(cl, "version"), "v10.7");
        assert_string_equal(str(cl, "id"), "55274-OEM-0011903-00107");
        assert_int_equal(json_integer_value(json_object_get(cl, "build_number")), 19041);
        assert_int_equal(json_integer_value(json_object_get(cl, "desktop_width")), 1920);
        assert_int_equal(json_integer_value(json_object_get(cl, "desktop_height")), 1080);
        assert_int_equal(json_array_size(json_object_get(rdp, "channels")), 2);
        assert_string_equal(item(rdp, "channels", 0), "rdpdr");
        assert_string_equal(item(rdp, "channels", 1), "cliprdr");
        json_decref(rdp);
        assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 0);
        ot_harness_cleanup(&h);
    }
}

/* Negotiation failure: error code and reason. */
static void test_failure(void **unused)
{
    struct buf c = {.n = 0}, s = {.n = 0};
    cr(&c, "Cookie: mstshash=bob\r\n", 1, 0x1);
    cc(&s, 3, 0, 2);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_finish(&h);
    json_t *rdp = only_event(&h);
    assert_string_equal(str(rdp, "cookie"), "bob");
    assert_string_equal(item(rdp, "requested_protocols", 0), "ssl");
    assert_string_equal(item(rdp, "flags", 0), "restricted_admin_mode_required");
    assert_int_equal(json_integer_value(json_object_get(rdp, "error_code")), 2);
    assert_string_equal(str(rdp, "reason"), "ssl not allowed by server");
    assert_null(json_object_get(rdp, "selected_protocol"));
    json_decref(rdp);
    ot_harness_cleanup(&h);
}

/* Variants of the request: routing token, no cookie, no negotiation, cookie without CRLF. */
static void test_request_variants(void **unused)
{
    struct {
        const char *cookie;
        int64_t neg;
        const char *want_cookie;
        const char *first_proto;
        size_t nproto;
    } cases[] = {
        {"Cookie: msts=3640205228.15629.0000\r\n", 3, NULL, "ssl", 2},
        {NULL, 0x8, NULL, "hybrid_ex", 1},
        {NULL, -1, NULL, "rdp", 1},
        {"Cookie: mstshash=carol", -1, "carol", "rdp", 1},
        {"Cookie: mstshash=\r\n", 0x10, NULL, "rds_aad", 1},
        {"Cookie: mstshash=dave\r\n", 0x4, "dave", "rds_tls", 1},
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(cases); i++) {
        struct buf c = {.n = 0};
        cr(&c, cases[i].cookie, cases[i].neg, 0);
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 0, c.b, c.n);
        ot_harness_finish(&h); /* no confirm: written at close */
        json_t *rdp = only_event(&h);
        if (cases[i].want_cookie)
            assert_string_equal(str(rdp, "cookie"), cases[i].want_cookie);
        else
            assert_null(json_object_get(rdp, "cookie"));
        assert_int_equal(json_array_size(json_object_get(rdp, "requested_protocols")),
                         cases[i].nproto);
        assert_string_equal(item(rdp, "requested_protocols", 0), cases[i].first_proto);
        assert_null(json_object_get(rdp, "selected_protocol"));
        json_decref(rdp);
        assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 0);
        ot_harness_cleanup(&h);
    }
}

/* A confirm without negotiation data, then fast-path (not TPKT) from the client: no error. */
static void test_old_server_fastpath(void **unused)
{
    struct buf c = {.n = 0}, s = {.n = 0};
    cr(&c, "Cookie: mstshash=eve\r\n", 3, 0);
    cc(&s, 0, 0, 0);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_feed(&h, 0, "\x44\x05\x01\x02\x03", 5);
    json_t *evs = events(&h);
    assert_int_equal(json_array_size(evs), 1);
    json_decref(evs);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 0);
    json_t *rdp = only_event(&h);
    assert_string_equal(str(rdp, "selected_protocol"), "rdp");
    assert_null(json_object_get(rdp, "client"));
    json_decref(rdp);
    ot_harness_cleanup(&h);
}

/* Malformed: non-TPKT where a confirm must be, short TPKT, LI past the record. */
static void test_malformed(void **unused)
{
    static const struct {
        const char *b;
        size_t n;
    } bad[] = {
        {"HTTP/1.1 400 Bad\r\n", 18},
        {"\x03\x00\x00\x05\x00", 5},
        {"\x03\x00\x00\x0b\x40\xd0\x00\x00\x12\x34\x00", 11},
        {"\x03\x01\x00\x0b\x06\xd0\x00\x00\x12\x34\x00", 11},
        /* RDP_NEG_RSP with length 0 (Zeek's rdp-invalid-length capture), unknown type */
        {"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x03\x00\x00\x01\x00\x00\x02", 19},
        {"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x07\x00\x08\x00\x01\x00\x00\x00", 19},
        {"\x03\x00\x00\x0f\x0a\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00", 15},
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(bad); i++) {
        struct buf c = {.n = 0};
        cr(&c, "Cookie: mstshash=mal\r\n", 3, 0);
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 0, c.b, c.n);
        ot_harness_feed(&h, 1, bad[i].b, bad[i].n);
        assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 1);
        ot_harness_finish(&h);
        json_t *rdp = only_event(&h);
        assert_string_equal(str(rdp, "cookie"), "mal");
        assert_null(json_object_get(rdp, "selected_protocol"));
        assert_null(json_object_get(rdp, "selected_protocol_id"));
        json_decref(rdp);
        ot_harness_cleanup(&h);
    }
}

/* Hostile MCS data: block lengths past the end, a huge channel count. */
static void test_hostile_mcs(void **unused)
{
    static struct buf c, s, m;
    c.n = s.n = m.n = 0;
    cr(&c, NULL, 0, 0);
    cc(&s, 2, 0, 0);
    mcs_ci(&m, "X");
    static struct buf m2;
    m2 = m;
    /* CS_NET channel count 0x7fffffff */
    size_t at = m2.n - 2 * 12 - 4;
    m2.b[at] = 0xff, m2.b[at + 1] = 0xff, m2.b[at + 2] = 0xff, m2.b[at + 3] = 0x7f;
    static struct buf m3;
    m3 = m;
    /* CS_CORE length 0xffff */
    const uint8_t *duca = memmem(m3.b, m3.n, "Duca", 4);
    size_t core = (size_t)(duca - m3.b) + 6;
    m3.b[core + 2] = 0xff, m3.b[core + 3] = 0xff;
    const struct buf *variants[] = {&m2, &m3};
    for (size_t v = 0; v < 2; v++) {
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 0, c.b, c.n);
        ot_harness_feed(&h, 1, s.b, s.n);
        ot_harness_feed(&h, 0, variants[v]->b, variants[v]->n);
        ot_harness_finish(&h);
        assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 0);
        json_t *rdp = only_event(&h);
        if (v == 0)
            assert_int_equal(json_array_size(json_object_get(rdp, "channels")), 2);
        else
            assert_null(json_object_get(rdp, "client"));
        json_decref(rdp);
        ot_harness_cleanup(&h);
    }
}

/* A gap: written at once with what was seen. */
static void test_gap(void **unused)
{
    struct buf c = {.n = 0};
    cr(&c, "Cookie: mstshash=gap\r\n", 3, 0);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_gap(&h, 1, 30);
    json_t *evs = events(&h);
    assert_int_equal(json_array_size(evs), 1);
    json_decref(evs);
    ot_harness_finish(&h);
    json_t *rdp = only_event(&h);
    assert_string_equal(str(rdp, "cookie"), "gap");
    json_decref(rdp);
    ot_harness_cleanup(&h);
}

/* Truncated request at every length after the probe's bytes: no crash, no error. */
static void test_truncated(void **unused)
{
    struct buf c = {.n = 0};
    cr(&c, "Cookie: mstshash=trunc\r\n", 3, 0);
    for (size_t n = 19; n < c.n; n++) {
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 0, c.b, n);
        ot_harness_finish(&h);
        assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 0);
        json_t *evs = ot_harness_events(&h, "rdp");
        assert_int_equal(json_array_size(evs), 0);
        json_decref(evs);
        ot_harness_cleanup(&h);
    }
}

/* A record larger than max_buffer is a counted error; what came before is still reported. */
static void test_buffer_limit(void **unused)
{
    static struct buf c, s, m;
    c.n = s.n = m.n = 0;
    cr(&c, "Cookie: mstshash=big\r\n", 0, 0);
    cc(&s, 2, 0, 0);
    mcs_ci(&m, "BIG");
    struct ot_harness h;
    start(&h);
    h.pe.conf.max_buffer = 100;
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_feed(&h, 0, m.b, m.n);
    assert_int_equal(h.pe.stats.errors[OT_APP_RDP], 1);
    ot_harness_finish(&h);
    json_t *rdp = only_event(&h);
    assert_string_equal(str(rdp, "cookie"), "big");
    assert_string_equal(str(rdp, "selected_protocol"), "rdp");
    assert_null(json_object_get(rdp, "client"));
    json_decref(rdp);
    ot_harness_cleanup(&h);
}

/* A long cookie (X.224 allows up to ~240 bytes) is cut at 128 bytes. */
static void test_long_cookie(void **unused)
{
    char ck[400];
    int n = snprintf(ck, sizeof(ck), "Cookie: mstshash=");
    memset(ck + n, 'u', 200);
    memcpy(ck + n + 200, "\r\n", 3);
    struct buf c = {.n = 0};
    cr(&c, ck, 3, 0);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_finish(&h);
    json_t *rdp = only_event(&h);
    assert_int_equal(strlen(str(rdp, "cookie")), 128);
    assert_int_equal(json_array_size(json_object_get(rdp, "requested_protocols")), 2);
    json_decref(rdp);
    ot_harness_cleanup(&h);
}

static enum ot_probe_result probe(int dir, const char *s, size_t n)
{
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.ip_proto = 6;
    f.srv_port = 3389;
    return ot_proto_rdp.probe(&f, dir, (const uint8_t *)s, n);
}

static void test_probe(void **unused)
{
    struct buf c = {.n = 0}, s = {.n = 0}, old = {.n = 0}, neg = {.n = 0};
    cr(&c, "Cookie: mstshash=alice\r\n", 3, 0);
    cc(&s, 2, 0, 2);
    cr(&old, NULL, -1, 0);
    cr(&neg, NULL, 3, 0);
    assert_int_equal(probe(0, (const char *)c.b, c.n), OT_PROBE_YES);
    assert_int_equal(probe(1, (const char *)s.b, s.n), OT_PROBE_YES);
    assert_int_equal(probe(0, (const char *)old.b, old.n), OT_PROBE_YES);
    assert_int_equal(probe(0, (const char *)neg.b, neg.n), OT_PROBE_YES);
    assert_int_equal(probe(0, (const char *)c.b, 1), OT_PROBE_MORE);
    assert_int_equal(probe(0, (const char *)c.b, 11), OT_PROBE_MORE);
    assert_int_equal(probe(0, (const char *)c.b, 15), OT_PROBE_MORE);
    assert_int_equal(probe(0, (const char *)c.b, 19), OT_PROBE_YES);
    assert_int_equal(probe(1, (const char *)s.b, 11), OT_PROBE_MORE);
    /* ISO-TSAP / S7comm connection request: TSAP parameters, not RDP */
    assert_int_equal(probe(0,
                           "\x03\x00\x00\x16\x11\xe0\x00\x00\x00\x01\x00\xc0\x01\x0a\xc1\x02"
                           "\x01\x00\xc2\x02\x01\x02",
                           22),
                     OT_PROBE_NO);
    /* LI inconsistent with the TPKT length */
    assert_int_equal(probe(0, "\x03\x00\x00\x0b\x07\xe0\x00\x00\x00\x00\x00", 11), OT_PROBE_NO);
    /* other protocols' first bytes */
    assert_int_equal(probe(0, "GET / HTTP/1.1\r\n", 16), OT_PROBE_NO);
    assert_int_equal(probe(0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), OT_PROBE_NO);
    assert_int_equal(probe(0, "SSH-2.0-x\r\n", 11), OT_PROBE_NO);
    assert_int_equal(probe(0, "\x00\x00\x00\x54\xfeSMB\x40\x00\x00", 11), OT_PROBE_NO);
    assert_int_equal(probe(1, "220 ready\r\n", 11), OT_PROBE_NO);
    assert_int_equal(probe(0, "\x03\x01\x00\x0b\x06\xe0\x00\x00\x00\x00\x00", 11), OT_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nla),
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_standard_security),
        cmocka_unit_test(test_failure),
        cmocka_unit_test(test_request_variants),
        cmocka_unit_test(test_old_server_fastpath),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_hostile_mcs),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_buffer_limit),
        cmocka_unit_test(test_long_cookie),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
