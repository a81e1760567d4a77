/*
 * TLS parser, SSL 2.0: the probe of a v2 CLIENT-HELLO, a whole v2 session
 * (SERVER-HELLO certificate, CLIENT-MASTER-KEY cipher) with 2- and 3-byte
 * record headers, resumption, a v2-compatible hello answered by TLS, and
 * cut or corrupt records.  Every input is built here byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_tls;

#include "tls-build.h"
#include "tls-run.h"

/* ---- SSL 2.0 ---------------------------------------------------------------------- */

#define SELKS_SUBJECT "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS" /* make_cert()'s */

/* The "tls" object of the only event in `ev` (owned by `ev`). */
static json_t *tls_of(json_t *ev)
{
    assert_int_equal(json_array_size(ev), 1);
    return json_object_get(json_array_get(ev, 0), "tls");
}

/*
 * An SSL 2.0 record around `msg`: the 2-byte header when `pad` < 0, else the
 * 3-byte header and `pad` bytes of padding after the message.
 */
static void v2_record(struct bb *o, const struct bb *msg, int pad)
{
    if (pad < 0) {
        p16(o, 0x8000 | (unsigned)msg->n);
    } else {
        p16(o, (unsigned)(msg->n + (size_t)pad));
        p8(o, (unsigned)pad);
    }
    pn(o, msg->b, msg->n);
    for (int i = 0; i < pad; i++)
        p8(o, 0xee);
}

/* DES_192_EDE3_CBC_WITH_MD5, IDEA_128_CBC_WITH_MD5, RC4_128_WITH_MD5 */
static const uint8_t v2_specs[] = {0x07, 0x00, 0xc0, 0x05, 0x00, 0x80, 0x01, 0x00, 0x80};

/* CLIENT-HELLO offering v2_specs, with a session id and a challenge of the given sizes. */
static void v2_client_hello(struct bb *m, unsigned version, size_t sid_len, size_t ch_len)
{
    p8(m, 1);
    p16(m, version);
    p16(m, sizeof(v2_specs));
    p16(m, (unsigned)sid_len);
    p16(m, (unsigned)ch_len);
    pn(m, v2_specs, sizeof(v2_specs));
    for (size_t i = 0; i < sid_len; i++)
        p8(m, 0x30 + (unsigned)i);
    for (size_t i = 0; i < ch_len; i++)
        p8(m, 0xc0 + (unsigned)i);
}

/* SERVER-HELLO with `der` (none when der_len is 0), two cipher specs, a 16-byte connection id. */
static void v2_server_hello(struct bb *m, unsigned hit, const uint8_t *der, size_t der_len)
{
    p8(m, 4);
    p8(m, hit);
    p8(m, der_len ? 1 : 0);
    p16(m, 0x0002);
    p16(m, (unsigned)der_len);
    p16(m, 6);
    p16(m, 16);
    pn(m, der, der_len);
    pn(m, v2_specs, 6);
    for (int i = 0; i < 16; i++)
        p8(m, 0xaa);
}

/* CLIENT-MASTER-KEY for `kind`: no clear key, 64 bytes of encrypted key, 8 of key argument. */
static void v2_master_key(struct bb *m, uint32_t kind)
{
    p8(m, 2);
    p24(m, kind);
    p16(m, 0);
    p16(m, 64);
    p16(m, 8);
    for (int i = 0; i < 64 + 8; i++)
        p8(m, 0x42);
}

/*
 * An SSL 2.0 session: CLIENT-HELLO, SERVER-HELLO with a certificate,
 * CLIENT-MASTER-KEY for `kind`, then an encrypted record each way.  With
 * `three`, the SERVER-HELLO and the CLIENT-MASTER-KEY have 3-byte headers
 * (the latter with 5 bytes of padding).
 */
static void v2_flow(struct bb *cli, struct bb *srv, uint32_t kind, bool three, uint8_t *der,
                    size_t *der_len)
{
    struct bb *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    v2_client_hello(m, 0x0002, 0, 16);
    v2_record(cli, m, -1);
    m->n = 0;
    *der_len = make_cert(der, 4096, false);
    v2_server_hello(m, 0, der, *der_len);
    v2_record(srv, m, three ? 0 : -1);
    m->n = 0;
    v2_master_key(m, kind);
    v2_record(cli, m, three ? 5 : -1);
    m->n = 0;
    for (int i = 0; i < 40; i++)
        p8(m, 0x99); /* CLIENT-FINISHED, SERVER-VERIFY: encrypted */
    v2_record(cli, m, -1);
    v2_record(srv, m, -1);
    free(m);
}

static void test_sslv2_probe(void **st)
{
    (void)st;
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    struct bb *m = calloc(1, sizeof(*m)), *r = calloc(1, sizeof(*r));
    v2_client_hello(m, 0x0002, 0, 16);
    v2_record(r, m, -1);
    assert_int_equal(ot_proto_tls.probe(&f, 0, r->b, r->n), OT_PROBE_YES);
    /* The 9 fixed bytes after the header decide; before, more is needed. */
    for (size_t n = 1; n < 11; n++)
        assert_int_equal(ot_proto_tls.probe(&f, 0, r->b, n), OT_PROBE_MORE);
    assert_int_equal(ot_proto_tls.probe(&f, 0, r->b, 11), OT_PROBE_YES);
    /* Only from the client. */
    assert_int_equal(ot_proto_tls.probe(&f, 1, r->b, r->n), OT_PROBE_NO);
    /* Versions 2.0 and 3.0-3.4 only, then every field's bounds. */
    static const struct {
        size_t at;
        uint8_t v;
        enum ot_probe_result want;
    } edits[] = {
        {2, 2, OT_PROBE_NO},    /* CLIENT-MASTER-KEY */
        {2, 4, OT_PROBE_NO},    /* SERVER-HELLO */
        {4, 3, OT_PROBE_NO},    /* version 0x0003 */
        {3, 3, OT_PROBE_YES},   /* version 0x0302 (TLS 1.1) */
        {6, 10, OT_PROBE_NO},   /* cipher specs 10 bytes: not a multiple of 3 */
        {6, 0, OT_PROBE_NO},    /* no cipher specs */
        {8, 33, OT_PROBE_NO},   /* session id 33 */
        {10, 15, OT_PROBE_NO},  /* challenge 15 */
        {10, 33, OT_PROBE_NO},  /* challenge 33 */
        {1, 0x21, OT_PROBE_NO}, /* record shorter than its fields */
        {1, 0x23, OT_PROBE_NO}, /* longer */
        {0, 0x81, OT_PROBE_NO}, /* much longer */
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(edits); i++) {
        uint8_t b[64];
        memcpy(b, r->b, r->n);
        b[edits[i].at] = edits[i].v;
        assert_int_equal(ot_proto_tls.probe(&f, 0, b, r->n), edits[i].want);
    }
    /* Version 3.5 and 1.0 are not SSL. */
    uint8_t b[64];
    memcpy(b, r->b, r->n);
    b[3] = 3;
    b[4] = 5;
    assert_int_equal(ot_proto_tls.probe(&f, 0, b, r->n), OT_PROBE_NO);
    b[3] = 1;
    b[4] = 0;
    assert_int_equal(ot_proto_tls.probe(&f, 0, b, r->n), OT_PROBE_NO);
    /* A 32-byte session id and challenge fit. */
    m->n = r->n = 0;
    v2_client_hello(m, 0x0301, 32, 32);
    v2_record(r, m, -1);
    assert_int_equal(ot_proto_tls.probe(&f, 0, r->b, r->n), OT_PROBE_YES);
    /* Binary first bytes with the high bit set. */
    const uint8_t other[] = {0x80, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0};
    const uint8_t rpc[] = {0x80, 0x00, 0x00, 0x28, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0};
    assert_int_equal(ot_proto_tls.probe(&f, 0, other, sizeof(other)), OT_PROBE_NO);
    assert_int_equal(ot_proto_tls.probe(&f, 0, rpc, sizeof(rpc)), OT_PROBE_NO);
    free(m);
    free(r);
}

/* SSL 2.0 both ways: version, certificate, the client's cipher; no fingerprints. */
static void test_sslv2_session(void **st)
{
    (void)st;
    for (int three = 0; three < 2; three++) {
        struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
        uint8_t der[4096];
        size_t dl;
        v2_flow(cli, srv, 0x0700c0, three, der, &dl);
        /* The client's hello, the server's hello, the client's master key and the rest. */
        size_t hello = 2 + 9 + sizeof(v2_specs) + 16;
        struct seg segs[] = {
            {0, cli->b, hello}, {1, srv->b, srv->n}, {0, cli->b + hello, cli->n - hello}};
        uint64_t errors = 9;
        json_t *ev = run(segs, 3, WHOLE, 0, 0, &errors);
        assert_int_equal(errors, 0);
        assert_int_equal(json_array_size(ev), 1);
        json_t *e0 = json_array_get(ev, 0);
        assert_string_equal(str_at(e0, "app_proto"), "tls");
        json_t *t = json_object_get(e0, "tls");
        assert_string_equal(str_at(t, "version"), "SSLv2");
        assert_string_equal(str_at(t, "client_version"), "SSLv2");
        assert_string_equal(str_at(t, "cipher_suite"), "SSL_CK_DES_192_EDE3_CBC_WITH_MD5");
        assert_int_equal(json_integer_value(json_object_get(t, "cipher_suite_id")), 0x0700c0);
        assert_string_equal(str_at(t, "subject"), SELKS_SUBJECT);
        assert_string_equal(str_at(t, "issuerdn"),
                            "C=US, O=Let's Encrypt, CN=R3, Email=ca@example.org");
        assert_string_equal(str_at(t, "serial"), "00:97:E6:47:09:8E:EA:C9:B4");
        assert_string_equal(str_at(t, "notbefore"), "2015-02-12T18:07:27");
        assert_string_equal(str_at(t, "notafter"), "2025-02-12T18:07:27");
        char fp[60];
        sha1_hex(der, dl, fp);
        assert_string_equal(str_at(t, "fingerprint"), fp);
        assert_int_equal(json_integer_value(json_object_get(t, "chain_length")), 1);
        assert_null(json_object_get(t, "ja3"));
        assert_null(json_object_get(t, "ja3s"));
        assert_null(json_object_get(t, "ja4"));
        assert_null(json_object_get(t, "sni"));
        assert_null(json_object_get(t, "session_resumed"));
        json_decref(ev);
        check_splits(segs, 3);
        free(cli);
        free(srv);
    }
}

/* Other cipher kinds, an unknown one, and a session that ends before the CLIENT-MASTER-KEY. */
static void test_sslv2_ciphers(void **st)
{
    (void)st;
    static const struct {
        uint32_t kind;
        const char *name;
    } kinds[] = {
        {0x010080, "SSL_CK_RC4_128_WITH_MD5"},
        {0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5"},
        {0x060040, "SSL_CK_DES_64_CBC_WITH_MD5"},
        {0x123456, "0x123456"},
    };
    uint8_t der[4096];
    size_t dl;
    for (size_t i = 0; i < OT_ARRAY_SIZE(kinds); i++) {
        struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
        v2_flow(cli, srv, kinds[i].kind, false, der, &dl);
        size_t hello = 2 + 9 + sizeof(v2_specs) + 16;
        struct seg segs[] = {
            {0, cli->b, hello}, {1, srv->b, srv->n}, {0, cli->b + hello, cli->n - hello}};
        json_t *ev = run(segs, 3, WHOLE, 0, 0, NULL);
        json_t *t = json_object_get(json_array_get(ev, 0), "tls");
        assert_string_equal(str_at(t, "cipher_suite"), kinds[i].name);
        assert_int_equal(json_integer_value(json_object_get(t, "cipher_suite_id")), kinds[i].kind);
        json_decref(ev);
        /* Without the client's master key: the certificate, no cipher (written at the end). */
        struct seg half[] = {{0, cli->b, hello}, {1, srv->b, srv->n}};
        ev = run(half, 2, WHOLE, 0, 0, NULL);
        t = tls_of(ev);
        assert_string_equal(str_at(t, "version"), "SSLv2");
        assert_string_equal(str_at(t, "subject"), SELKS_SUBJECT);
        assert_null(json_object_get(t, "cipher_suite"));
        json_decref(ev);
        free(cli);
        free(srv);
    }
}

/* A session-id hit: resumed, no certificate, no master key; the event comes at once. */
static void test_sslv2_resumed(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    struct bb *m = calloc(1, sizeof(*m));
    v2_client_hello(m, 0x0002, 16, 16);
    v2_record(cli, m, -1);
    m->n = 0;
    v2_server_hello(m, 1, NULL, 0);
    v2_record(srv, m, -1);
    struct seg segs[] = {{0, cli->b, cli->n}, {1, srv->b, srv->n}};
    uint64_t errors = 9;
    json_t *ev = run(segs, 2, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    json_t *t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "SSLv2");
    assert_true(json_is_true(json_object_get(t, "session_resumed")));
    assert_null(json_object_get(t, "subject"));
    assert_null(json_object_get(t, "chain_length"));
    json_decref(ev);
    free(cli);
    free(srv);
    free(m);
}

/*
 * A v2-compatible CLIENT-HELLO (an SSLv3/TLS client) answered by a TLS
 * ServerHello: the client's version from the v2 hello, the rest from TLS.
 */
static void test_sslv2_hello(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    struct bb *m = calloc(1, sizeof(*m));
    /* msg CLIENT-HELLO, version 3.1, cipher-spec length 6, session id 0, challenge 16 */
    const uint8_t v2[] = {0x80, 0x1f, 0x01, 0x03, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x10,
                          0x00, 0x00, 0x04, 0x00, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05,
                          0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
    pn(cli, v2, sizeof(v2));
    uint8_t der[4096];
    size_t dl = make_cert(der, sizeof(der), false);
    server_hello(m, 0x0301, NULL, NULL, 0, 0x0004, NULL);
    certificate(m, der, dl, 1);
    records(srv, 22, m->b, m->n, 16384);
    /* The client goes on in TLS records: ClientKeyExchange, ChangeCipherSpec. */
    m->n = 0;
    struct bb *cke = calloc(1, sizeof(*cke));
    for (int i = 0; i < 20; i++)
        p8(cke, 0x33);
    hs(m, 16, cke);
    size_t v2_len = cli->n;
    records(cli, 22, m->b, m->n, 16384);
    const uint8_t ccs[] = {20, 3, 1, 0, 1, 1};
    pn(cli, ccs, sizeof(ccs));
    struct seg segs[] = {
        {0, cli->b, v2_len}, {1, srv->b, srv->n}, {0, cli->b + v2_len, cli->n - v2_len}};
    uint64_t errors = 9;
    json_t *ev = run(segs, 3, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    json_t *t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "TLSv1");
    assert_string_equal(str_at(t, "client_version"), "TLSv1");
    assert_string_equal(str_at(t, "cipher_suite"), "TLS_RSA_WITH_RC4_128_MD5");
    assert_int_equal(json_integer_value(json_object_get(t, "cipher_suite_id")), 4);
    assert_string_equal(str_at(t, "subject"), SELKS_SUBJECT);
    assert_int_equal(json_integer_value(json_object_get(t, "chain_length")), 1);
    assert_string_equal(str_at(json_object_get(t, "ja3s"), "string"), "769,4,");
    /* JA3 and JA4 are defined over the TLS ClientHello only. */
    assert_null(json_object_get(t, "ja3"));
    assert_null(json_object_get(t, "ja4"));
    json_decref(ev);
    check_splits(segs, 3);

    /* The v2 hello alone claims the flow: an event with the client's version. */
    struct seg only[] = {{0, cli->b, v2_len}};
    ev = run(only, 1, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "UNDETERMINED");
    assert_string_equal(str_at(t, "client_version"), "TLSv1");
    json_decref(ev);
    free(cli);
    free(srv);
    free(m);
    free(cke);
}

/* Every cut of a session, and corrupt messages: no crash, nothing invented. */
static void test_sslv2_malformed(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    struct bb *c2 = calloc(1, sizeof(*c2)), *m = calloc(1, sizeof(*m));
    uint8_t der[4096];
    size_t dl;
    v2_flow(cli, srv, 0x0700c0, false, der, &dl);
    size_t hello = 2 + 9 + sizeof(v2_specs) + 16;
    uint64_t errors;
    json_t *ev, *t;

    /* The flow cut anywhere in the server's hello: the client's side only. */
    size_t sh = srv->n - (2 + 40); /* less the encrypted record after it */
    for (size_t cut = 1; cut < sh; cut += 13) {
        struct seg segs[] = {{0, cli->b, hello}, {1, srv->b, cut}};
        ev = run(segs, 2, WHOLE, 0, 0, &errors);
        assert_int_equal(errors, 0);
        t = tls_of(ev);
        assert_string_equal(str_at(t, "client_version"), "SSLv2");
        assert_null(json_object_get(t, "subject"));
        json_decref(ev);
    }
    /* Cut in the client's hello: the flow is not claimed, or claimed and no event. */
    for (size_t cut = 1; cut < hello; cut++) {
        struct seg segs[] = {{0, cli->b, cut}, {1, srv->b, srv->n}};
        ev = run(segs, 2, WHOLE, 0, 0, &errors);
        assert_int_equal(json_array_size(ev), 0);
        json_decref(ev);
    }

    /* A SERVER-HELLO whose lengths do not add up: an error, the client's side reported. */
    memcpy(c2->b, srv->b, srv->n);
    c2->n = srv->n;
    c2->b[2 + 10] = 8; /* connection id 8 bytes */
    struct seg s1[] = {{0, cli->b, hello}, {1, c2->b, c2->n}, {0, cli->b + hello, cli->n - hello}};
    ev = run(s1, 3, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 1);
    t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "UNDETERMINED");
    assert_string_equal(str_at(t, "client_version"), "SSLv2");
    assert_null(json_object_get(t, "subject"));
    assert_null(json_object_get(t, "cipher_suite"));
    json_decref(ev);

    /* A CLIENT-MASTER-KEY whose lengths do not add up: an error, no cipher. */
    memcpy(c2->b, cli->b, cli->n);
    c2->n = cli->n;
    c2->b[hello + 2 + 7] = 65; /* encrypted key 65 bytes */
    struct seg s2[] = {{0, c2->b, hello}, {1, srv->b, srv->n}, {0, c2->b + hello, c2->n - hello}};
    ev = run(s2, 3, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 1);
    t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "SSLv2");
    assert_string_equal(str_at(t, "subject"), SELKS_SUBJECT);
    assert_null(json_object_get(t, "cipher_suite"));
    json_decref(ev);

    /* A v2 ERROR from the server (no cipher in common): the client's side only. */
    m->n = c2->n = 0;
    p8(m, 0);
    p16(m, 1); /* NO-CIPHER-ERROR */
    v2_record(c2, m, -1);
    struct seg s3[] = {{0, cli->b, hello}, {1, c2->b, c2->n}};
    ev = run(s3, 2, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "UNDETERMINED");
    assert_string_equal(str_at(t, "client_version"), "SSLv2");
    json_decref(ev);

    /* 3-byte header whose padding is not shorter than the record. */
    m->n = c2->n = 0;
    v2_master_key(m, 0x010080);
    p16(c2, (unsigned)m->n);
    p8(c2, (unsigned)m->n);
    pn(c2, m->b, m->n);
    struct bb *c3 = calloc(1, sizeof(*c3));
    pn(c3, cli->b, hello);
    pn(c3, c2->b, c2->n);
    struct seg s4[] = {{0, c3->b, hello}, {1, srv->b, srv->n}, {0, c3->b + hello, c3->n - hello}};
    /* The first record was a 2-byte SERVER-HELLO: the client's 3-byte records are read. */
    ev = run(s4, 3, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 1);
    t = tls_of(ev);
    assert_null(json_object_get(t, "cipher_suite"));
    json_decref(ev);

    /*
     * The client's first bytes have the high bit but are no CLIENT-HELLO;
     * the flow is the server's TLS: the client side stops, no error.  (The
     * server's first 3 bytes come alone, so that the dispatcher recognises
     * the flow on the bytes it held and gives the parser the client's too.)
     */
    c2->n = 0;
    p16(c2, 0x8040);
    for (int i = 0; i < 0x40; i++)
        p8(c2, 7);
    m->n = srv->n = 0;
    server_hello(m, 0x0301, NULL, NULL, 0, 0x0004, NULL);
    certificate(m, der, dl, 1);
    records(srv, 22, m->b, m->n, 16384);
    struct seg s5[] = {{0, c2->b, c2->n}, {1, srv->b, srv->n}};
    ev = run(s5, 2, AT, 1, 3, &errors);
    assert_int_equal(errors, 0);
    t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "TLSv1");
    assert_null(json_object_get(t, "client_version"));
    json_decref(ev);
    /* Nor when it is a CLIENT-HELLO whose challenge is too short (8 bytes). */
    c2->n = m->n = 0;
    v2_client_hello(m, 0x0301, 16, 8);
    v2_record(c2, m, -1);
    struct seg s6[] = {{0, c2->b, c2->n}, {1, srv->b, srv->n}};
    ev = run(s6, 2, AT, 1, 3, &errors);
    assert_int_equal(errors, 0);
    t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "TLSv1");
    assert_string_equal(str_at(t, "subject"), SELKS_SUBJECT);
    assert_null(json_object_get(t, "client_version"));
    json_decref(ev);

    /* Lost bytes inside the server's hello: the certificate is not guessed. */
    struct ot_harness h;
    srv->n = 0;
    v2_flow(cli, srv, 0x0700c0, false, der, &dl); /* cli grows: only its start is used */
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 443, 6, true), 0);
    ot_harness_feed(&h, 0, cli->b, hello);
    ot_harness_feed(&h, 1, srv->b, 40);
    ot_harness_gap(&h, 1, 32);
    ot_harness_feed(&h, 1, srv->b + 72, srv->n - 72);
    ot_harness_feed(&h, 0, cli->b + hello, 2 + 10 + 72);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_TLS], 0);
    ev = ot_harness_events(&h, "tls");
    t = tls_of(ev);
    assert_string_equal(str_at(t, "version"), "UNDETERMINED");
    assert_null(json_object_get(t, "subject"));
    json_decref(ev);
    ot_harness_cleanup(&h);
    free(cli);
    free(srv);
    free(c2);
    free(c3);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sslv2_probe),   cmocka_unit_test(test_sslv2_session),
        cmocka_unit_test(test_sslv2_ciphers), cmocka_unit_test(test_sslv2_resumed),
        cmocka_unit_test(test_sslv2_hello),   cmocka_unit_test(test_sslv2_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
