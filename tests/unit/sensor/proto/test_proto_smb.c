/*
 * SMB parser: SMB2/3 negotiate, NTLMSSP in session setup, tree connects,
 * SMB1 negotiate and AndX chains, multi-protocol negotiate, transform
 * headers, splits at every byte, gaps (in step and resync), malformed
 * framing, limits, emission rules, probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_smb;

struct buf {
    uint8_t b[1 << 17];
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

static void set16(struct buf *o, size_t at, uint16_t v)
{
    o->b[at] = (uint8_t)v;
    o->b[at + 1] = (uint8_t)(v >> 8);
}

/* ASCII as UTF-16LE, no terminator. */
static void put_u16s(struct buf *o, const char *s)
{
    for (; *s; s++)
        put16(o, (uint8_t)*s);
}

/* Wrap `m` in a NetBIOS session message and append it to `o`. */
static void nbss(struct buf *o, const struct buf *m)
{
    put8(o, 0);
    put8(o, (uint8_t)(m->n >> 16));
    put8(o, (uint8_t)(m->n >> 8));
    put8(o, (uint8_t)m->n);
    put(o, m->b, m->n);
}

static void smb2_hdr(struct buf *m, uint16_t cmd, bool reply, uint32_t status)
{
    m->n = 0;
    put(m, "\xfeSMB", 4);
    put16(m, 64);     /* StructureSize */
    put16(m, 1);      /* CreditCharge */
    put32(m, status); /* Status */
    put16(m, cmd);
    put16(m, 1);             /* Credits */
    put32(m, reply ? 1 : 0); /* Flags */
    put32(m, 0);             /* NextCommand */
    put32(m, 7);             /* MessageId */
    put32(m, 0);
    put32(m, 0);    /* Reserved / ProcessId */
    put32(m, 1);    /* TreeId */
    put32(m, 0x55); /* SessionId */
    put32(m, 0);
    put_zero(m, 16); /* Signature */
}

static void neg2_req(struct buf *o, const uint16_t *d, size_t nd)
{
    struct buf *m = calloc(1, sizeof(*m));
    smb2_hdr(m, 0, false, 0);
    put16(m, 36);
    put16(m, (uint16_t)nd);
    put16(m, 1); /* SecurityMode */
    put16(m, 0);
    put32(m, 0x7f); /* Capabilities */
    put_zero(m, 16);
    put_zero(m, 8);
    for (size_t i = 0; i < nd; i++)
        put16(m, d[i]);
    nbss(o, m);
    free(m);
}

static void neg2_rsp(struct buf *o, uint16_t dialect, uint32_t status)
{
    struct buf *m = calloc(1, sizeof(*m));
    smb2_hdr(m, 0, true, status);
    if (status) {
        put16(m, 9); /* error response */
        put_zero(m, 7);
    } else {
        put16(m, 65);
        put16(m, 1);
        put16(m, dialect);
        put16(m, 0);
        put_zero(m, 16 + 4 + 4 + 4 + 4 + 8 + 8);
        put16(m, 128); /* SecurityBufferOffset */
        put16(m, 6);
        put32(m, 0);
        put(m, "\x60\x04\x06\x02\x2b\x06", 6);
    }
    nbss(o, m);
    free(m);
}

/* An NTLMSSP AUTHENTICATE message (88-byte header with version and MIC). */
static void ntlm_auth(struct buf *o, const char *dom, const char *user, const char *host,
                      bool unicode)
{
    size_t base = o->n;
    struct buf *pl = calloc(1, sizeof(*pl));
    size_t off[3], len[3];
    const char *s[3] = {dom, user, host};
    for (int i = 0; i < 3; i++) {
        off[i] = 88 + pl->n;
        if (unicode)
            put_u16s(pl, s[i]);
        else
            put(pl, s[i], strlen(s[i]));
        len[i] = 88 + pl->n - off[i];
    }
    size_t lm = 88 + pl->n;
    put_zero(pl, 24);
    put(o, "NTLMSSP\0", 8);
    put32(o, 3);
    put16(o, 24), put16(o, 24), put32(o, (uint32_t)lm); /* LM response */
    put16(o, 0), put16(o, 0), put32(o, (uint32_t)lm);   /* NT response */
    for (int i = 0; i < 3; i++) {
        put16(o, (uint16_t)len[i]);
        put16(o, (uint16_t)len[i]);
        put32(o, (uint32_t)off[i]);
    }
    put16(o, 0), put16(o, 0), put32(o, (uint32_t)lm); /* session key */
    put32(o, unicode ? 0xe2888215 : 0xe2888214);
    put_zero(o, 8 + 16);
    assert_int_equal(o->n - base, 88);
    put(o, pl->b, pl->n);
    free(pl);
}

/* A SPNEGO-looking wrapper around an NTLMSSP message (the parser scans for the signature). */
static void spnego_auth(struct buf *o, const char *dom, const char *user, const char *host,
                        bool unicode)
{
    put(o, "\xa1\x82\x01\x00\x30\x82\x00\xfc\xa2\x82\x00\xf8\x04\x82\x00\xf4", 16);
    ntlm_auth(o, dom, user, host, unicode);
}

static void sess2_req(struct buf *o, int kind)
{
    struct buf *m = calloc(1, sizeof(*m));
    smb2_hdr(m, 1, false, 0);
    put16(m, 25);
    put8(m, 0);
    put8(m, 1);
    put32(m, 1);
    put32(m, 0);
    put16(m, 64 + 24); /* SecurityBufferOffset */
    size_t lenpos = m->n;
    put16(m, 0);
    put_zero(m, 8);
    size_t start = m->n;
    if (kind == 1)
        put(m, "\x60\x48\x06\x06\x2b\x06\x01\x05\x05\x02NTLMSSP\0\x01\x00\x00\x00zzzz", 26);
    else
        spnego_auth(m, "CONTOSO", "Administrator", "WS01", true);
    set16(m, lenpos, (uint16_t)(m->n - start));
    nbss(o, m);
    free(m);
}

static void tree2_req(struct buf *o, const char *path)
{
    struct buf *m = calloc(1, sizeof(*m));
    smb2_hdr(m, 3, false, 0);
    put16(m, 9);
    put16(m, 0);
    put16(m, 64 + 8);
    put16(m, (uint16_t)(2 * strlen(path)));
    put_u16s(m, path);
    nbss(o, m);
    free(m);
}

/* A non-interesting message with a large body (WRITE). */
static void write2_req(struct buf *o, size_t body)
{
    struct buf *m = calloc(1, sizeof(*m));
    smb2_hdr(m, 9, false, 0);
    put16(m, 49);
    for (size_t i = 0; i < body; i++)
        put8(m, (uint8_t)("SMB\xfe\x00"[i % 5])); /* looks a bit like headers */
    nbss(o, m);
    free(m);
}

static const uint16_t dialects[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};

/* A Windows 10-like client stream and server stream. */
static void smb2_streams(struct buf *c, struct buf *s)
{
    c->n = s->n = 0;
    neg2_req(c, dialects, 5);
    sess2_req(c, 1);
    sess2_req(c, 3);
    tree2_req(c, "\\\\10.0.0.2\\IPC$");
    tree2_req(c, "\\\\10.0.0.2\\C$");
    tree2_req(c, "\\\\10.0.0.2\\IPC$"); /* duplicates are listed once */
    neg2_rsp(s, 0x0311, 0);
}

static void start(struct ot_harness *h)
{
    assert_int_equal(ot_harness_init(h, "192.168.1.10", 49700, "192.168.1.20", 445, 6, true), 0);
}

static json_t *events(struct ot_harness *h)
{
    ot_eve_flush(&h->eve);
    return ot_harness_events(h, "smb");
}

static json_t *only_event(struct ot_harness *h)
{
    json_t *evs = ot_harness_events(h, "smb");
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_incref(json_object_get(json_array_get(evs, 0), "smb"));
    json_decref(evs);
    return ev;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void check_smb2(json_t *smb)
{
    assert_string_equal(str(smb, "dialect"), "3.11");
    assert_int_equal(json_integer_value(json_object_get(smb, "version")), 3);
    assert_true(json_is_false(json_object_get(smb, "smb1")));
    assert_true(json_is_false(json_object_get(smb, "encrypted")));
    json_t *d = json_object_get(smb, "client_dialects");
    assert_int_equal(json_array_size(d), 5);
    assert_string_equal(json_string_value(json_array_get(d, 0)), "2.02");
    assert_string_equal(json_string_value(json_array_get(d, 4)), "3.11");
    json_t *n = json_object_get(smb, "ntlmssp");
    assert_string_equal(str(n, "user"), "Administrator");
    assert_string_equal(str(n, "domain"), "CONTOSO");
    assert_string_equal(str(n, "host"), "WS01");
    json_t *sh = json_object_get(smb, "shares");
    assert_int_equal(json_array_size(sh), 2);
    assert_string_equal(json_string_value(json_array_get(sh, 0)), "\\\\10.0.0.2\\IPC$");
    assert_string_equal(json_string_value(json_array_get(sh, 1)), "\\\\10.0.0.2\\C$");
}

static void test_smb2_session(void **unused)
{
    struct ot_harness h;
    static struct buf c, s;
    smb2_streams(&c, &s);
    start(&h);
    ot_harness_feed(&h, 0, c.b, 4 + 64 + 36 + 10); /* the negotiate request */
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_feed(&h, 0, c.b + 114, c.n - 114);
    json_t *evs = events(&h);
    assert_int_equal(json_array_size(evs), 0); /* held until close or the delay */
    json_decref(evs);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    check_smb2(smb);
    json_decref(smb);
    assert_int_equal(h.pe.stats.flows[OT_APP_SMB], 1);
    assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
    ot_harness_cleanup(&h);
}

/* Every split point of the client stream, and byte by byte; the server's response first. */
static void test_split_everywhere(void **unused)
{
    static struct buf c, s;
    smb2_streams(&c, &s);
    for (size_t cut = 1; cut < c.n; cut++) {
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 1, s.b, s.n);
        ot_harness_feed(&h, 0, c.b, cut);
        ot_harness_feed(&h, 0, c.b + cut, c.n - cut);
        ot_harness_finish(&h);
        json_t *smb = only_event(&h);
        check_smb2(smb);
        json_decref(smb);
        ot_harness_cleanup(&h);
    }
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, 8);
    for (size_t i = 0; i < s.n; i++)
        ot_harness_feed(&h, 1, s.b + i, 1);
    for (size_t i = 8; i < c.n; i++)
        ot_harness_feed(&h, 0, c.b + i, 1);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    check_smb2(smb);
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* SMB2 compound: NEGOTIATE-less chain of two TREE_CONNECTs in one record (NextCommand). */
static void test_compound(void **unused)
{
    static struct buf c, m1, m2, rec;
    static struct buf t;
    c.n = rec.n = t.n = 0;
    tree2_req(&t, "\\\\srv\\a");
    memcpy(m1.b, t.b + 4, t.n - 4);
    m1.n = t.n - 4;
    while (m1.n % 8)
        put8(&m1, 0);
    set16(&m1, 20, (uint16_t)m1.n); /* NextCommand */
    t.n = 0;
    tree2_req(&t, "\\\\srv\\b");
    memcpy(m2.b, t.b + 4, t.n - 4);
    m2.n = t.n - 4;
    put(&rec, m1.b, m1.n);
    put(&rec, m2.b, m2.n);
    nbss(&c, &rec);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    json_t *sh = json_object_get(smb, "shares");
    assert_int_equal(json_array_size(sh), 2);
    assert_string_equal(json_string_value(json_array_get(sh, 1)), "\\\\srv\\b");
    assert_null(json_object_get(smb, "dialect"));
    assert_int_equal(json_integer_value(json_object_get(smb, "version")), 0);
    json_decref(smb);
    ot_harness_cleanup(&h);
}

static void smb1_hdr(struct buf *m, uint8_t cmd, bool reply)
{
    m->n = 0;
    put(m, "\xffSMB", 4);
    put8(m, cmd);
    put32(m, 0);
    put8(m, reply ? 0x98 : 0x18);
    put16(m, 0xc807); /* Flags2: unicode, NT status, extended security */
    put_zero(m, 12);
    put16(m, 0xffff); /* TID */
    put16(m, 0xfeff);
    put16(m, 0);
    put16(m, 1);
}

static void neg1_req(struct buf *o, const char *const *d, size_t nd)
{
    struct buf *m = calloc(1, sizeof(*m));
    smb1_hdr(m, 0x72, false);
    put8(m, 0);
    size_t bc = m->n;
    put16(m, 0);
    for (size_t i = 0; i < nd; i++) {
        put8(m, 2);
        put(m, d[i], strlen(d[i]) + 1);
    }
    set16(m, bc, (uint16_t)(m->n - bc - 2));
    nbss(o, m);
    free(m);
}

static void neg1_rsp(struct buf *o, uint16_t idx)
{
    struct buf *m = calloc(1, sizeof(*m));
    smb1_hdr(m, 0x72, true);
    put8(m, 17);
    put16(m, idx);
    put_zero(m, 32);
    put16(m, 0);
    nbss(o, m);
    free(m);
}

/* SESSION_SETUP_ANDX (extended security, OEM NTLMSSP strings) chained with TREE_CONNECT_ANDX. */
static void sess1_tree1(struct buf *o, const char *path)
{
    struct buf *m = calloc(1, sizeof(*m));
    smb1_hdr(m, 0x73, false);
    put8(m, 12);
    put8(m, 0x75); /* AndXCommand */
    put8(m, 0);
    size_t andx = m->n;
    put16(m, 0);
    put16(m, 4356), put16(m, 50), put16(m, 0), put32(m, 0);
    size_t sbl = m->n;
    put16(m, 0);
    put32(m, 0), put32(m, 0xa0000000);
    size_t bc = m->n;
    put16(m, 0);
    size_t blob = m->n;
    spnego_auth(m, "LAB", "bob", "PC-7", false);
    set16(m, sbl, (uint16_t)(m->n - blob));
    put(m, "Unix\0Samba\0", 11);
    set16(m, bc, (uint16_t)(m->n - bc - 2));
    set16(m, andx, (uint16_t)m->n);
    /* TREE_CONNECT_ANDX */
    put8(m, 4);
    put8(m, 0xff), put8(m, 0), put16(m, 0);
    put16(m, 0x8);
    put16(m, 1); /* PasswordLength */
    bc = m->n;
    put16(m, 0);
    size_t bytes = m->n;
    put8(m, 0); /* password */
    if (m->n & 1)
        put8(m, 0); /* pad */
    put_u16s(m, path);
    put16(m, 0);
    put(m, "?????\0", 6);
    set16(m, bc, (uint16_t)(m->n - bytes));
    nbss(o, m);
    free(m);
}

static void test_smb1(void **unused)
{
    static const char *const d[] = {"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"};
    static struct buf c, s;
    c.n = s.n = 0;
    neg1_req(&c, d, 3);
    sess1_tree1(&c, "\\\\FILES\\public");
    neg1_rsp(&s, 2);
    for (size_t step = 0; step <= 1; step++) {
        struct ot_harness h;
        start(&h);
        if (step == 0) {
            ot_harness_feed(&h, 0, c.b, c.n);
            ot_harness_feed(&h, 1, s.b, s.n);
        } else {
            ot_harness_feed(&h, 0, c.b, 8);
            for (size_t i = 8; i < c.n; i++)
                ot_harness_feed(&h, 0, c.b + i, 1);
            for (size_t i = 0; i < s.n; i++)
                ot_harness_feed(&h, 1, s.b + i, 1);
        }
        ot_harness_finish(&h);
        json_t *smb = only_event(&h);
        assert_string_equal(str(smb, "dialect"), "NT LM 0.12");
        assert_int_equal(json_integer_value(json_object_get(smb, "version")), 1);
        assert_true(json_is_true(json_object_get(smb, "smb1")));
        json_t *dl = json_object_get(smb, "client_dialects");
        assert_int_equal(json_array_size(dl), 3);
        assert_string_equal(json_string_value(json_array_get(dl, 1)), "LANMAN1.0");
        json_t *n = json_object_get(smb, "ntlmssp");
        assert_string_equal(str(n, "user"), "bob");
        assert_string_equal(str(n, "domain"), "LAB");
        assert_string_equal(str(n, "host"), "PC-7");
        json_t *sh = json_object_get(smb, "shares");
        assert_int_equal(json_array_size(sh), 1);
        assert_string_equal(json_string_value(json_array_get(sh, 0)), "\\\\FILES\\public");
        json_decref(smb);
        assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
        ot_harness_cleanup(&h);
    }
}

/* SMB1 negotiate offering SMB2, answered in SMB2 ("2.??"), then a real SMB2 negotiate. */
static void test_multiprotocol_negotiate(void **unused)
{
    static const char *const d[] = {"NT LM 0.12", "SMB 2.002", "SMB 2.???"};
    static const uint16_t d2[] = {0x0202, 0x0302};
    static struct buf c, s;
    c.n = s.n = 0;
    neg1_req(&c, d, 3);
    neg2_rsp(&s, 0x02ff, 0);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    c.n = s.n = 0;
    neg2_req(&c, d2, 2);
    neg2_rsp(&s, 0x0302, 0);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    assert_string_equal(str(smb, "dialect"), "3.02");
    assert_int_equal(json_integer_value(json_object_get(smb, "version")), 3);
    assert_true(json_is_true(json_object_get(smb, "smb1")));
    json_t *dl = json_object_get(smb, "client_dialects");
    assert_int_equal(json_array_size(dl), 2);
    assert_string_equal(json_string_value(json_array_get(dl, 1)), "3.02");
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* Dialect names, an error response (ignored), and the "2.??" wildcard. */
static void test_dialect_names(void **unused)
{
    static const struct {
        uint16_t rev;
        const char *name;
        int version;
    } cases[] = {
        {0x0202, "2.02", 2}, {0x0210, "2.10", 2}, {0x0300, "3.00", 3},   {0x0302, "3.02", 3},
        {0x0311, "3.11", 3}, {0x02ff, "2.??", 2}, {0x0999, "0x0999", 0},
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(cases); i++) {
        static struct buf s;
        s.n = 0;
        neg2_rsp(&s, 0, 0xc0000022); /* an error response carries no dialect */
        neg2_rsp(&s, cases[i].rev, 0);
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 1, s.b, s.n);
        ot_harness_finish(&h);
        json_t *smb = only_event(&h);
        assert_string_equal(str(smb, "dialect"), cases[i].name);
        assert_int_equal(json_integer_value(json_object_get(smb, "version")), cases[i].version);
        json_decref(smb);
        ot_harness_cleanup(&h);
    }
}

static void test_encrypted(void **unused)
{
    static struct buf c, s, m;
    smb2_streams(&c, &s);
    m.n = 0;
    put(&m, "\xfdSMB", 4);
    put_zero(&m, 48 + 100);
    nbss(&c, &m);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    assert_true(json_is_true(json_object_get(smb, "encrypted")));
    assert_string_equal(str(smb, "dialect"), "3.11");
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* A large uninteresting record is skipped; a gap inside it keeps the parser in step. */
static void test_gap_in_skipped_record(void **unused)
{
    static struct buf c, s;
    smb2_streams(&c, &s);
    size_t before = c.n;
    write2_req(&c, 100000);
    tree2_req(&c, "\\\\10.0.0.2\\D$");
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_feed(&h, 0, c.b, before + 1000);
    ot_harness_gap(&h, 0, 50000);
    ot_harness_feed(&h, 0, c.b + before + 51000, c.n - before - 51000);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    json_t *sh = json_object_get(smb, "shares");
    assert_int_equal(json_array_size(sh), 3);
    assert_string_equal(json_string_value(json_array_get(sh, 2)), "\\\\10.0.0.2\\D$");
    json_decref(smb);
    assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
    ot_harness_cleanup(&h);
}

/* A gap that lands mid-header: the parser looks for the next header (whole and byte by byte). */
static void test_gap_resync(void **unused)
{
    static struct buf c, s;
    smb2_streams(&c, &s);
    size_t tail = c.n;
    write2_req(&c, 3000);
    tree2_req(&c, "\\\\10.0.0.2\\E$");
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 1, s.b, s.n);
        ot_harness_feed(&h, 0, c.b, tail + 10); /* into the WRITE's header */
        ot_harness_gap(&h, 0, 20);
        size_t from = tail + 30;
        if (bytewise) {
            for (size_t i = from; i < c.n; i++)
                ot_harness_feed(&h, 0, c.b + i, 1);
        } else {
            ot_harness_feed(&h, 0, c.b + from, c.n - from);
        }
        ot_harness_finish(&h);
        json_t *smb = only_event(&h);
        json_t *sh = json_object_get(smb, "shares");
        assert_int_equal(json_array_size(sh), 3);
        assert_string_equal(json_string_value(json_array_get(sh, 2)), "\\\\10.0.0.2\\E$");
        json_decref(smb);
        assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
        ot_harness_cleanup(&h);
    }
}

/* A gap followed by endless non-SMB bytes: the direction gives up politely. */
static void test_gap_resync_limit(void **unused)
{
    static struct buf c, s;
    smb2_streams(&c, &s);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_gap(&h, 0, 20);
    static uint8_t junk[4096];
    memset(junk, 'A', sizeof(junk));
    for (int i = 0; i < 100; i++)
        ot_harness_feed(&h, 0, junk, sizeof(junk));
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
    json_t *smb = only_event(&h);
    assert_string_equal(str(smb, "dialect"), "3.11");
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* A bad frame after good ones is an error; the event still comes at close. */
static void test_malformed_framing(void **unused)
{
    static const uint8_t bad[][8] = {
        {0x42, 0, 0, 4, 1, 2, 3, 4},          /* unknown NetBIOS type */
        {0x00, 0, 0, 8, 0xfe, 'S', 'M', 'B'}, /* too short for an SMB2 header */
        {0x00, 0, 0, 0x50, 'X', 'S', 'M', 'B'},
        {0x81, 0x02, 0, 4, 0, 0, 0, 0}, /* reserved flag bits */
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(bad); i++) {
        static struct buf c, s;
        smb2_streams(&c, &s);
        put(&c, bad[i], 8);
        put_zero(&c, 200);
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 1, s.b, s.n);
        ot_harness_feed(&h, 0, c.b, c.n);
        assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 1);
        ot_harness_finish(&h);
        json_t *smb = only_event(&h);
        check_smb2(smb);
        json_decref(smb);
        ot_harness_cleanup(&h);
    }
}

/* Hostile lengths inside messages: offsets past the end, counts past the end. */
static void test_hostile_fields(void **unused)
{
    static struct buf c, m;
    c.n = 0;
    smb2_hdr(&m, 1, false, 0); /* session setup, blob offset past the end */
    put16(&m, 25), put8(&m, 0), put8(&m, 1), put32(&m, 0), put32(&m, 0);
    put16(&m, 0xfff0), put16(&m, 0xffff), put_zero(&m, 8);
    nbss(&c, &m);
    smb2_hdr(&m, 3, false, 0); /* tree connect, path past the end */
    put16(&m, 9), put16(&m, 0), put16(&m, 72), put16(&m, 5000);
    nbss(&c, &m);
    smb2_hdr(&m, 0, false, 0); /* negotiate, 60000 dialects */
    put16(&m, 36), put16(&m, 60000), put_zero(&m, 32), put16(&m, 0x0311);
    nbss(&c, &m);
    smb2_hdr(&m, 1, false, 0); /* session setup, NTLMSSP fields past the end */
    put16(&m, 25), put8(&m, 0), put8(&m, 1), put32(&m, 0), put32(&m, 0);
    put16(&m, 88), put16(&m, 64), put_zero(&m, 8);
    put(&m, "NTLMSSP\0\x03\0\0\0", 12);
    for (int i = 0; i < 13; i++)
        put32(&m, 0xfffffff0);
    nbss(&c, &m);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
    json_t *smb = only_event(&h);
    assert_null(json_object_get(smb, "shares"));
    assert_int_equal(json_array_size(json_object_get(smb, "client_dialects")), 1);
    json_t *n = json_object_get(smb, "ntlmssp");
    assert_string_equal(str(n, "user"), "");
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* Limits: 16 dialects listed, 8 shares (then the event is written at once). */
static void test_limits(void **unused)
{
    static struct buf c;
    uint16_t many[40];
    for (int i = 0; i < 40; i++)
        many[i] = (uint16_t)(0x0200 + i);
    c.n = 0;
    neg2_req(&c, many, 40);
    for (int i = 0; i < 12; i++) {
        char p[32];
        snprintf(p, sizeof(p), "\\\\srv\\share%d", i);
        tree2_req(&c, p);
    }
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    json_t *evs = events(&h);
    assert_int_equal(json_array_size(evs), 1); /* share list full: written before close */
    json_decref(evs);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    assert_int_equal(json_array_size(json_object_get(smb, "client_dialects")), 16);
    assert_int_equal(json_array_size(json_object_get(smb, "shares")), 8);
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* An interesting record larger than max_buffer is skipped, not held. */
static void test_buffer_limit(void **unused)
{
    static struct buf c, s;
    smb2_streams(&c, &s);
    struct ot_harness h;
    start(&h);
    h.pe.conf.max_buffer = 200;
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
    json_t *smb = only_event(&h);
    assert_string_equal(str(smb, "dialect"), "3.11");
    assert_null(json_object_get(smb, "ntlmssp")); /* its record was larger than 200 bytes */
    assert_int_equal(json_array_size(json_object_get(smb, "shares")), 2);
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* Long sessions report SMB_EMIT_DELAY (10 s) after the negotiate response. */
static void test_emit_delay(void **unused)
{
    static struct buf c, s;
    smb2_streams(&c, &s);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, c.b, 114);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_feed(&h, 0, c.b + 114, c.n - 114);
    json_t *evs = events(&h);
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    h.ts_us += 11 * 1000000ULL;
    static struct buf more;
    more.n = 0;
    tree2_req(&more, "\\\\late\\share");
    ot_harness_feed(&h, 0, more.b, more.n);
    evs = events(&h);
    assert_int_equal(json_array_size(evs), 1);
    json_decref(evs);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    assert_string_equal(str(smb, "dialect"), "3.11");
    /* the late share came with the chunk that triggered the event */
    json_t *sh = json_object_get(smb, "shares");
    assert_int_equal(json_array_size(sh), 3);
    assert_string_equal(json_string_value(json_array_get(sh, 2)), "\\\\late\\share");
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* Port 139: NetBIOS session request / positive response, keep-alives. */
static void test_netbios_139(void **unused)
{
    static struct buf c, s, c2, s2;
    smb2_streams(&c2, &s2);
    c.n = s.n = 0;
    put(&c, "\x81\x00\x00\x44\x20", 5);
    put_zero(&c, 0x44 - 1);
    put(&c, "\x85\x00\x00\x00", 4);
    put(&c, c2.b, c2.n);
    put(&s, "\x82\x00\x00\x00", 4);
    put(&s, s2.b, s2.n);
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.10", 1050, "192.168.1.20", 139, 6, true), 0);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_finish(&h);
    json_t *smb = only_event(&h);
    check_smb2(smb);
    json_decref(smb);
    ot_harness_cleanup(&h);
}

/* Truncated at every length: no crash, no error. */
static void test_truncated(void **unused)
{
    static struct buf c, s;
    smb2_streams(&c, &s);
    for (size_t n = 28; n < c.n; n += 3) { /* 28: enough to see the first header */
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 0, c.b, n);
        ot_harness_finish(&h);
        assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
        json_t *evs = ot_harness_events(&h, "smb");
        assert_int_equal(json_array_size(evs), 1);
        json_decref(evs);
        ot_harness_cleanup(&h);
    }
}

/* Midstream: the other direction starts inside a record; it finds the next header. */
static void test_midstream(void **unused)
{
    static struct buf c, s;
    smb2_streams(&c, &s);
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_feed(&h, 0, c.b + 50, c.n - 50);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_SMB], 0);
    json_t *smb = only_event(&h);
    assert_string_equal(str(json_object_get(smb, "ntlmssp"), "user"), "Administrator");
    json_decref(smb);
    ot_harness_cleanup(&h);
}

static enum ot_probe_result probe(int dir, uint16_t port, const char *s, size_t n)
{
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.ip_proto = 6;
    f.srv_port = port;
    return ot_proto_smb.probe(&f, dir, (const uint8_t *)s, n);
}

static void test_probe(void **unused)
{
    assert_int_equal(probe(0, 445, "\x00\x00\x00\x54\xfeSMB", 8), OT_PROBE_YES);
    assert_int_equal(probe(1, 445, "\x00\x00\x00\x54\xfeSMB", 8), OT_PROBE_YES);
    assert_int_equal(probe(0, 80, "\x00\x00\x00\x2f\xffSMB\x72", 9), OT_PROBE_YES);
    assert_int_equal(probe(0, 445, "\x00\x00\x00\x54\xfdSMB", 8), OT_PROBE_YES);
    assert_int_equal(probe(0, 445, "\x00\x00", 2), OT_PROBE_MORE);
    assert_int_equal(probe(0, 445, "\x00\x00\x00\x54\xfeS", 6), OT_PROBE_MORE);
    assert_int_equal(probe(0, 445, "\x00\x00\x00\x54\xfeSMX", 8), OT_PROBE_NO);
    assert_int_equal(probe(0, 445, "\x00\x00\x00\x54\x41", 5), OT_PROBE_NO);
    assert_int_equal(probe(0, 139, "\x81\x00\x00\x44\x20\x45", 6), OT_PROBE_YES);
    assert_int_equal(probe(0, 445, "\x81\x00\x00\x44\x20\x45", 6), OT_PROBE_NO);
    assert_int_equal(probe(0, 139, "\x81\x00", 2), OT_PROBE_MORE);
    /* other protocols' first bytes */
    assert_int_equal(probe(0, 445, "GET / HTTP/1.1\r\n", 16), OT_PROBE_NO);
    assert_int_equal(probe(0, 445, "\x16\x03\x01\x02\x00\x01\x00\x01", 8), OT_PROBE_NO);
    assert_int_equal(probe(0, 445, "SSH-2.0-x\r\n", 11), OT_PROBE_NO);
    assert_int_equal(probe(0, 445, "\x03\x00\x00\x13\x0e\xe0\x00\x00", 8), OT_PROBE_NO);
    /* DNS over TCP: length, id, flags */
    assert_int_equal(probe(0, 53, "\x00\x1c\x12\x34\x01\x00\x00\x01", 8), OT_PROBE_NO);
    assert_int_equal(probe(1, 445, "220 ready\r\n", 11), OT_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smb2_session),
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_compound),
        cmocka_unit_test(test_smb1),
        cmocka_unit_test(test_multiprotocol_negotiate),
        cmocka_unit_test(test_dialect_names),
        cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_gap_in_skipped_record),
        cmocka_unit_test(test_gap_resync),
        cmocka_unit_test(test_gap_resync_limit),
        cmocka_unit_test(test_malformed_framing),
        cmocka_unit_test(test_hostile_fields),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_buffer_limit),
        cmocka_unit_test(test_emit_delay),
        cmocka_unit_test(test_netbios_139),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_midstream),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
