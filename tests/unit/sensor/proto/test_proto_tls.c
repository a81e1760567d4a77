/*
 * TLS parser: ClientHello fields, JA3/JA3S/JA4, ServerHello, certificates,
 * record and handshake reassembly (splits at every byte, messages across
 * records), HelloRetryRequest, resumption, gaps, limits, malformed input and
 * the probe.  Every input is built here byte by byte; the certificates are
 * made at run time with OpenSSL.  SSL 2.0: test_proto_tls_sslv2.c.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/util.h"
#include "proto-harness.h"
#include "proto/tls-fingerprint.h"

extern const struct ot_proto_parser ot_proto_tls;

#include "tls-build.h"
#include "tls-run.h"

/* A plain TLS 1.2 ClientHello: two ciphers, SNI only, the given session id. */
static void client_hello_simple(struct bb *m, uint16_t version, const uint8_t *sid, size_t sid_len)
{
    struct bb *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    p16(b, version);
    for (int i = 0; i < 32; i++)
        p8(b, 0x55);
    p8(b, (unsigned)sid_len);
    pn(b, sid, sid_len);
    p16(b, 4);
    p16(b, 0xc02f);
    p16(b, 0x002f);
    p8(b, 1);
    p8(b, 0);
    size_t el = hole(b, 2);
    ext(b, 0x0000,
        "\x00\x0e\x00\x00\x0b"
        "example.org",
        16);
    fill(b, el, 2);
    hs(m, 1, b);
    free(b);
}
#define SIMPLE_JA3 "771,49199-47,0,,"

/* ---- tests ------------------------------------------------------------------------- */

static void test_probe(void **st)
{
    (void)st;
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    const uint8_t ch[] = {22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3};
    const uint8_t sh[] = {22, 3, 3, 0, 80, 2, 0, 0, 76, 3, 3};
    assert_int_equal(ot_proto_tls.probe(&f, 0, ch, sizeof(ch)), OT_PROBE_YES);
    assert_int_equal(ot_proto_tls.probe(&f, 1, sh, sizeof(sh)), OT_PROBE_YES);
    /* Until the handshake type is there: more (the dispatcher holds the bytes). */
    for (size_t n = 1; n < 6; n++)
        assert_int_equal(ot_proto_tls.probe(&f, 0, ch, n), OT_PROBE_MORE);
    const uint8_t short_bad[] = {22, 2};
    assert_int_equal(ot_proto_tls.probe(&f, 0, short_bad, 2), OT_PROBE_NO);
    /* A ServerHello from the client, a ClientHello from the server. */
    assert_int_equal(ot_proto_tls.probe(&f, 0, sh, sizeof(sh)), OT_PROBE_NO);
    assert_int_equal(ot_proto_tls.probe(&f, 1, ch, sizeof(ch)), OT_PROBE_NO);
    /* Bad version, absurd length, application data, hello version not 3.x. */
    const uint8_t v5[] = {22, 3, 5, 0, 200, 1};
    const uint8_t big[] = {22, 3, 1, 0xff, 0xff, 1};
    const uint8_t app[] = {23, 3, 3, 0, 20, 1};
    const uint8_t hv[] = {22, 3, 1, 0, 200, 1, 0, 0, 196, 0x7f, 3};
    assert_int_equal(ot_proto_tls.probe(&f, 0, v5, sizeof(v5)), OT_PROBE_NO);
    assert_int_equal(ot_proto_tls.probe(&f, 0, big, sizeof(big)), OT_PROBE_NO);
    assert_int_equal(ot_proto_tls.probe(&f, 0, app, sizeof(app)), OT_PROBE_NO);
    assert_int_equal(ot_proto_tls.probe(&f, 0, hv, sizeof(hv)), OT_PROBE_NO);
    /* Other protocols' first bytes. */
    const char *others[] = {"GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "SSH-2.0-OpenSSH_9\r\n",
                            "220 mail ESMTP\r\n", "USER anonymous\r\n"};
    for (size_t i = 0; i < OT_ARRAY_SIZE(others); i++)
        for (int dir = 0; dir < 2; dir++)
            assert_int_equal(
                ot_proto_tls.probe(&f, dir, (const uint8_t *)others[i], strlen(others[i])),
                OT_PROBE_NO);
    const uint8_t smb[] = {0, 0, 0, 0x85, 0xff, 'S', 'M', 'B', 0x72};
    const uint8_t rdp[] = {3, 0, 0, 0x13, 0x0e, 0xe0, 0, 0};
    const uint8_t dns[] = {0, 0x1d, 0x12, 0x34, 1, 0, 0, 1};
    assert_int_equal(ot_proto_tls.probe(&f, 0, smb, sizeof(smb)), OT_PROBE_NO);
    assert_int_equal(ot_proto_tls.probe(&f, 0, rdp, sizeof(rdp)), OT_PROBE_NO);
    assert_int_equal(ot_proto_tls.probe(&f, 0, dns, sizeof(dns)), OT_PROBE_NO);
}

/* TLS 1.3: ClientHello + ServerHello (supported_versions, ALPN), then encrypted records. */
static void tls13_flow(struct bb *cli, struct bb *srv)
{
    struct bb *m = calloc(1, sizeof(*m)), *e = calloc(1, sizeof(*e));
    assert_non_null(m);
    client_hello_modern(m, "www.example.com");
    records(cli, 22, m->b, m->n, 16384);
    const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
    pn(cli, ccs, sizeof(ccs));
    const uint8_t app[] = {23, 3, 3, 0, 3, 0xde, 0xad, 0xbe};
    pn(cli, app, sizeof(app));

    m->n = 0;
    ext(e, 0x002b, "\x03\x04", 2);
    ext(e, 0x0033, "\x00\x1d\x00\x04\x01\x02\x03\x04", 8);
    ext(e, 0x0010, "\x00\x03\x02h2", 5);
    server_hello(m, 0x0303, NULL, NULL, 0, 0x1301, e);
    records(srv, 22, m->b, m->n, 16384);
    pn(srv, ccs, sizeof(ccs));
    pn(srv, app, sizeof(app));
    free(m);
    free(e);
}

static void test_tls13_fields(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    tls13_flow(cli, srv);
    struct seg segs[] = {{0, cli->b, cli->n}, {1, srv->b, srv->n}};
    uint64_t errors = 9;
    json_t *ev = run(segs, 2, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    assert_int_equal(json_array_size(ev), 1);
    json_t *e0 = json_array_get(ev, 0);
    assert_string_equal(str_at(e0, "app_proto"), "tls");
    assert_string_equal(str_at(e0, "src_ip"), "10.0.0.1");
    json_t *t = json_object_get(e0, "tls");
    assert_string_equal(str_at(t, "sni"), "www.example.com");
    assert_string_equal(str_at(t, "version"), "TLS 1.3");
    assert_string_equal(str_at(t, "client_version"), "TLS 1.2");
    assert_string_equal(str_at(t, "ja4"), MODERN_JA4);
    json_t *ja3 = json_object_get(t, "ja3");
    assert_string_equal(str_at(ja3, "string"), MODERN_JA3);
    assert_string_equal(str_at(ja3, "hash"), MODERN_JA3_MD5);
    json_t *ja3s = json_object_get(t, "ja3s");
    assert_string_equal(str_at(ja3s, "string"), "771,4865,43-51-16");
    assert_string_equal(str_at(ja3s, "hash"), "b5d161dc269619705eba4f0e4a32116c");
    json_t *alpns = json_object_get(t, "client_alpns");
    assert_int_equal(json_array_size(alpns), 2);
    assert_string_equal(json_string_value(json_array_get(alpns, 0)), "h2");
    assert_string_equal(json_string_value(json_array_get(alpns, 1)), "http/1.1");
    assert_string_equal(str_at(t, "server_alpn"), "h2");
    assert_string_equal(str_at(t, "cipher_suite"), "TLS_AES_128_GCM_SHA256");
    assert_int_equal(json_integer_value(json_object_get(t, "cipher_suite_id")), 0x1301);
    assert_null(json_object_get(t, "subject"));
    assert_null(json_object_get(t, "session_resumed"));
    json_decref(ev);
    free(cli);
    free(srv);
}

static void test_tls13_splits(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    tls13_flow(cli, srv);
    struct seg segs[] = {{0, cli->b, cli->n}, {1, srv->b, srv->n}};
    check_splits(segs, 2);
    free(cli);
    free(srv);
}

/* TLS 1.2 with a certificate chain; `rec_max` cuts the server flight into small records. */
static void tls12_flow(struct bb *cli, struct bb *srv, size_t rec_max, bool multi_rdn, uint8_t *der,
                       size_t *der_len)
{
    struct bb *m = calloc(1, sizeof(*m)), *e = calloc(1, sizeof(*e));
    assert_non_null(m);
    client_hello_simple(m, 0x0303, NULL, 0);
    records(cli, 22, m->b, m->n, 16384);
    m->n = 0;
    ext(e, 0xff01, "\x00", 1);
    ext(e, 0x0000, NULL, 0);
    server_hello(m, 0x0303, NULL, NULL, 0, 0xc02f, e);
    *der_len = make_cert(der, 4096, multi_rdn);
    certificate(m, der, *der_len, 2);
    struct bb empty = {.n = 0};
    hs(m, 14, &empty); /* ServerHelloDone */
    records(srv, 22, m->b, m->n, rec_max);
    free(m);
    free(e);
}

static void test_tls12_certificate(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    uint8_t der[4096];
    size_t dl;
    tls12_flow(cli, srv, 16384, true, der, &dl);
    struct seg segs[] = {{0, cli->b, cli->n}, {1, srv->b, srv->n}};
    uint64_t errors = 9;
    json_t *ev = run(segs, 2, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    assert_int_equal(json_array_size(ev), 1);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    assert_string_equal(str_at(t, "sni"), "example.org");
    assert_string_equal(str_at(t, "version"), "TLS 1.2");
    assert_string_equal(str_at(t, "subject"), "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS");
    assert_string_equal(str_at(t, "issuerdn"),
                        /* DER sorts the SET OF: the shorter encoding first. */
                        "C=US, OU=Unit + O=Let's Encrypt, CN=R3, Email=ca@example.org");
    assert_string_equal(str_at(t, "serial"), "00:97:E6:47:09:8E:EA:C9:B4");
    assert_string_equal(str_at(t, "notbefore"), "2015-02-12T18:07:27");
    assert_string_equal(str_at(t, "notafter"), "2025-02-12T18:07:27");
    char fp[60];
    sha1_hex(der, dl, fp);
    assert_string_equal(str_at(t, "fingerprint"), fp);
    assert_int_equal(json_integer_value(json_object_get(t, "chain_length")), 2);
    assert_string_equal(str_at(json_object_get(t, "ja3"), "string"), SIMPLE_JA3);
    assert_string_equal(str_at(json_object_get(t, "ja3s"), "string"), "771,49199,65281-0");
    assert_string_equal(str_at(t, "cipher_suite"), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    /* JA4 of the simple hello: t12, SNI, 2 ciphers, 1 extension, no ALPN, no other extension. */
    assert_string_equal(str_at(t, "ja4"), "t12d020100_37f356531c84_000000000000");
    json_decref(ev);
    free(cli);
    free(srv);
}

/* Handshake messages cut across small records, and every chunk split. */
static void test_tls12_splits(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    uint8_t der[4096];
    size_t dl;
    tls12_flow(cli, srv, 100, false, der, &dl);
    struct seg segs[] = {{0, cli->b, cli->n}, {1, srv->b, srv->n}};
    json_t *ev = run(segs, 2, WHOLE, 0, 0, NULL);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    assert_string_equal(str_at(t, "issuerdn"),
                        "C=US, O=Let's Encrypt, CN=R3, Email=ca@example.org");
    json_decref(ev);
    check_splits(segs, 2);
    free(cli);
    free(srv);
}

/* Only a ClientHello, then the flow ends: the event comes from close(). */
static void test_client_only(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *m = calloc(1, sizeof(*m));
    client_hello_modern(m, "solo.example");
    records(cli, 22, m->b, m->n, 16384);
    struct seg segs[] = {{0, cli->b, cli->n}};
    json_t *ev = run(segs, 1, WHOLE, 0, 0, NULL);
    assert_int_equal(json_array_size(ev), 1);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    assert_string_equal(str_at(t, "sni"), "solo.example");
    assert_string_equal(str_at(t, "version"), "UNDETERMINED");
    assert_string_equal(str_at(t, "ja4"), MODERN_JA4);
    assert_null(json_object_get(t, "ja3s"));
    assert_null(json_object_get(t, "cipher_suite"));
    json_decref(ev);
    free(cli);
    free(m);
}

/* HelloRetryRequest, the server's middlebox CCS, a second ClientHello, the real ServerHello. */
static void test_hello_retry(void **st)
{
    (void)st;
    static const uint8_t hrr[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
        0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
        0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    };
    struct bb *m = calloc(1, sizeof(*m)), *e = calloc(1, sizeof(*e));
    struct bb *c1 = calloc(1, sizeof(*c1)), *c2 = calloc(1, sizeof(*c2));
    struct bb *s1 = calloc(1, sizeof(*s1)), *s2 = calloc(1, sizeof(*s2));
    client_hello_modern(m, "first.example");
    records(c1, 22, m->b, m->n, 16384);
    ext(e, 0x002b, "\x03\x04", 2);
    ext(e, 0x0033, "\x00\x17", 2);
    m->n = 0;
    server_hello(m, 0x0303, hrr, NULL, 0, 0x1302, e);
    records(s1, 22, m->b, m->n, 16384);
    const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
    pn(s1, ccs, sizeof(ccs));
    m->n = 0;
    client_hello_modern(m, "second.example");
    records(c2, 22, m->b, m->n, 16384);
    e->n = 0;
    ext(e, 0x002b, "\x03\x04", 2);
    m->n = 0;
    server_hello(m, 0x0303, NULL, NULL, 0, 0x1302, e);
    records(s2, 22, m->b, m->n, 16384);
    struct seg segs[] = {
        {0, c1->b, c1->n}, {1, s1->b, s1->n}, {0, c2->b, c2->n}, {1, s2->b, s2->n}};
    uint64_t errors = 9;
    json_t *ev = run(segs, 4, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    assert_int_equal(json_array_size(ev), 1);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    assert_string_equal(str_at(t, "sni"), "first.example");
    assert_string_equal(str_at(t, "version"), "TLS 1.3");
    assert_string_equal(str_at(t, "cipher_suite"), "TLS_AES_256_GCM_SHA384");
    assert_string_equal(str_at(json_object_get(t, "ja3s"), "string"), "771,4866,43");
    json_decref(ev);
    free(m);
    free(e);
    free(c1);
    free(c2);
    free(s1);
    free(s2);
}

/* Resumption: the server echoes the session id and goes straight to ChangeCipherSpec. */
static void test_resumed(void **st)
{
    (void)st;
    uint8_t sid[32];
    for (int i = 0; i < 32; i++)
        sid[i] = (uint8_t)(0xa0 + i);
    struct bb *m = calloc(1, sizeof(*m)), *cli = calloc(1, sizeof(*cli));
    struct bb *srv = calloc(1, sizeof(*srv));
    client_hello_simple(m, 0x0301, sid, sizeof(sid));
    records(cli, 22, m->b, m->n, 16384);
    m->n = 0;
    server_hello(m, 0x0301, NULL, sid, sizeof(sid), 0x0035, NULL);
    records(srv, 22, m->b, m->n, 16384);
    const uint8_t ccs[] = {20, 3, 1, 0, 1, 1};
    pn(srv, ccs, sizeof(ccs));
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    pn(srv, junk, sizeof(junk)); /* encrypted: never read */
    struct seg segs[] = {{0, cli->b, cli->n}, {1, srv->b, srv->n}};
    uint64_t errors = 9;
    json_t *ev = run(segs, 2, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    assert_true(json_is_true(json_object_get(t, "session_resumed")));
    assert_string_equal(str_at(t, "version"), "TLSv1");
    assert_string_equal(str_at(t, "client_version"), "TLSv1");
    assert_string_equal(str_at(t, "cipher_suite"), "TLS_RSA_WITH_AES_256_CBC_SHA");
    assert_string_equal(str_at(json_object_get(t, "ja3s"), "string"), "769,53,");
    assert_null(json_object_get(t, "subject"));
    json_decref(ev);
    free(m);
    free(cli);
    free(srv);
}

static const char *version_of(uint16_t legacy, const char *sv, size_t svl)
{
    static char out[64];
    struct bb *m = calloc(1, sizeof(*m)), *cli = calloc(1, sizeof(*cli));
    struct bb *srv = calloc(1, sizeof(*srv)), *e = calloc(1, sizeof(*e));
    client_hello_simple(m, 0x0303, NULL, 0);
    records(cli, 22, m->b, m->n, 16384);
    m->n = 0;
    if (sv)
        ext(e, 0x002b, sv, svl);
    server_hello(m, legacy, NULL, NULL, 0, 0x0005, sv ? e : NULL);
    records(srv, 22, m->b, m->n, 16384);
    struct seg segs[] = {{0, cli->b, cli->n}, {1, srv->b, srv->n}};
    json_t *ev = run(segs, 2, WHOLE, 0, 0, NULL);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    ot_strlcpy(out, str_at(t, "version"), sizeof(out));
    json_decref(ev);
    free(m);
    free(cli);
    free(srv);
    free(e);
    return out;
}

/* Early TLS 1.3 drafts: the version in the legacy field, no session id, no compression. */
static const char *draft_version(uint16_t version)
{
    static char out[64];
    struct bb *m = calloc(1, sizeof(*m)), *cli = calloc(1, sizeof(*cli));
    struct bb *srv = calloc(1, sizeof(*srv)), *b = calloc(1, sizeof(*b));
    client_hello_simple(m, 0x0303, NULL, 0);
    records(cli, 22, m->b, m->n, 16384);
    p16(b, version);
    for (int i = 0; i < 32; i++)
        p8(b, 0x42);
    p16(b, 0x1301);
    p16(b, 6);
    ext(b, 0x0028, "\x00\x1d", 2);
    m->n = 0;
    hs(m, 2, b);
    records(srv, 22, m->b, m->n, 16384);
    struct seg segs[] = {{0, cli->b, cli->n}, {1, srv->b, srv->n}};
    uint64_t errors = 9;
    json_t *ev = run(segs, 2, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    ot_strlcpy(out, str_at(t, "version"), sizeof(out));
    assert_string_equal(str_at(t, "cipher_suite"), "TLS_AES_128_GCM_SHA256");
    json_decref(ev);
    free(m);
    free(cli);
    free(srv);
    free(b);
    return out;
}

static void test_versions(void **st)
{
    (void)st;
    assert_string_equal(version_of(0x0300, NULL, 0), "SSLv3");
    assert_string_equal(version_of(0x0301, NULL, 0), "TLSv1");
    assert_string_equal(version_of(0x0302, NULL, 0), "TLS 1.1");
    assert_string_equal(version_of(0x0303, NULL, 0), "TLS 1.2");
    assert_string_equal(version_of(0x0303, "\x7f\x1c", 2), "TLS 1.3 draft-28");
    assert_string_equal(version_of(0x0303, "\xfb\x17", 2), "TLS 1.3 draft-23-fb");
    assert_string_equal(draft_version(0x7f12), "TLS 1.3 draft-18");
    assert_string_equal(draft_version(0x0304), "TLS 1.3 draft-<16");
}

/* JA4 against FoxIO's spec, field by field, through the fingerprint API. */
static void test_ja4_rules(void **st)
{
    (void)st;
    uint8_t ciphers[2 * OT_ARRAY_SIZE(foxio_ciphers)];
    for (size_t i = 0; i < OT_ARRAY_SIZE(foxio_ciphers); i++) {
        ciphers[2 * i] = (uint8_t)(foxio_ciphers[i] >> 8);
        ciphers[2 * i + 1] = (uint8_t)foxio_ciphers[i];
    }
    /* The spec's extension list, without signature algorithms: c = 6d807ffa2a79. */
    static const uint16_t exts[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
                                    0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015};
    struct bb *e = calloc(1, sizeof(*e));
    for (size_t i = 0; i < OT_ARRAY_SIZE(exts); i++)
        ext(e, exts[i], NULL, 0);
    struct ot_tls_hello h;
    memset(&h, 0, sizeof(h));
    h.version = 0x0303;
    h.max_version = 0x0304;
    h.ciphers = ciphers;
    h.n_ciphers = OT_ARRAY_SIZE(foxio_ciphers);
    h.exts = e->b;
    h.exts_len = e->n;
    h.has_sni = true;
    char out[OT_TLS_JA4_SIZE];
    struct {
        const char *alpn;
        size_t n;
        const char *want;
    } cases[] = {
        {NULL, 0, "00"},
        {"", 0, "00"},
        {"h2", 2, "h2"},
        {"http/1.1", 8, "h1"},
        {"h", 1, "hh"},
        {"\xab", 1, "ab"},
        {"\xab\xcd", 2, "ad"},
        {"0\xab", 2, "3b"},
        {"01\xab\xcd", 4, "3d"},
        {"0\xab\xcd"
         "1",
         4, "01"},
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(cases); i++) {
        h.alpn0 = (const uint8_t *)cases[i].alpn;
        h.alpn0_len = cases[i].n;
        assert_int_equal(ot_tls_ja4(&h, out), 0);
        char want[OT_TLS_JA4_SIZE];
        snprintf(want, sizeof(want), "t13d1516%s_8daaf6152771_6d807ffa2a79", cases[i].want);
        assert_string_equal(out, want);
    }
    /* No ciphers, no extensions: twelve zeros; no SNI: 'i'; legacy version when no 0x002b. */
    h.n_ciphers = 0;
    h.exts_len = 0;
    h.has_sni = false;
    h.max_version = 0;
    h.alpn0 = NULL;
    assert_int_equal(ot_tls_ja4(&h, out), 0);
    assert_string_equal(out, "t12i000000_000000000000_000000000000");
    /* Counts stop at 99; GREASE is not counted. */
    static uint8_t many[2 * 130];
    for (int i = 0; i < 130; i++) {
        many[2 * i] = (uint8_t)(i ? 0x01 : 0x0a);
        many[2 * i + 1] = (uint8_t)(i ? i : 0x0a);
    }
    h.ciphers = many;
    h.n_ciphers = 130;
    h.version = 0x0300;
    assert_int_equal(ot_tls_ja4(&h, out), 0);
    assert_memory_equal(out, "ts3i9900", 8);
    h.n_ciphers = 3; /* 0a0a (GREASE), 0101, 0102 */
    assert_int_equal(ot_tls_ja4(&h, out), 0);
    assert_memory_equal(out, "ts3i0200", 8);
    assert_true(ot_tls_is_grease(0x0a0a) && ot_tls_is_grease(0xfafa));
    assert_false(ot_tls_is_grease(0x0a0b) || ot_tls_is_grease(0x1301));
    free(e);
}

/* ---- fingerprints against a reference ---------------------------------------- */

/* The first `nhex` lower-case hex digits of a one-shot EVP digest of s. */
static void ref_digest(const EVP_MD *md, const char *s, size_t n, char *hex, size_t nhex)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(s, n, d, &len, md, NULL), 1);
    assert_true(nhex <= 2 * (size_t)len);
    for (size_t i = 0; i < nhex; i++)
        hex[i] = "0123456789abcdef"[i % 2 ? d[i / 2] & 15 : d[i / 2] >> 4];
    hex[nhex] = '\0';
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* JA4's hashed text of a list: "xxxx,yyyy", without GREASE (and SNI and ALPN), sorted or not. */
static size_t ref_list(char *o, const uint16_t *v, size_t n, bool sort, bool skip_sni_alpn)
{
    uint16_t *k = malloc((n + 1) * sizeof(*k));
    size_t m = 0, len = 0;
    for (size_t i = 0; i < n; i++)
        if (!ot_tls_is_grease(v[i]) && !(skip_sni_alpn && (v[i] == 0x0000 || v[i] == 0x0010)))
            k[m++] = v[i];
    if (sort)
        qsort(k, m, sizeof(*k), cmp_u16);
    for (size_t i = 0; i < m; i++)
        len += (size_t)sprintf(o + len, "%s%04x", i ? "," : "", k[i]);
    free(k);
    return len;
}

static void be16_list(uint8_t *o, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        o[2 * i] = (uint8_t)(v[i] >> 8);
        o[2 * i + 1] = (uint8_t)v[i];
    }
}

/*
 * JA4 of long lists, in random order with duplicates and GREASE: short
 * lists, lists around the size where the sort changes method, and lists too
 * long for the stack scratch, each against qsort and a fresh EVP digest.
 */
static void test_ja4_long_lists(void **st)
{
    (void)st;
    static const size_t sizes[] = {0, 1, 2, 15, 46, 47, 48, 49, 64, 100, 250, 1000, 5000};
    uint32_t seed = 12345;
    for (size_t si = 0; si < OT_ARRAY_SIZE(sizes); si++) {
        size_t n = sizes[si];
        uint16_t *c = malloc((n + 1) * sizeof(*c)), *x = malloc((n + 1) * sizeof(*x));
        uint16_t sig[40];
        uint8_t *cw = malloc(2 * n + 2), sw[2 * sizeof(sig) / sizeof(sig[0])];
        struct bb *e = calloc(1, sizeof(*e));
        char *text = malloc(10 * n + 500), want[13];
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            c[i] = (uint16_t)(seed >> 8);
            if (i % 7 == 3)
                c[i] = 0x3a3a; /* GREASE */
            if (i % 11 == 5)
                c[i] = c[i / 2]; /* a duplicate */
            x[i] = (uint16_t)(c[i] ^ 0x5555);
            if (i % 13 == 1)
                x[i] = (uint16_t)(i % 2 ? 0x0000 : 0x0010); /* SNI, ALPN */
        }
        for (size_t i = 0; i < OT_ARRAY_SIZE(sig); i++)
            sig[i] = (uint16_t)(0x0800 + 7 * (OT_ARRAY_SIZE(sig) - i));
        sig[3] = 0xdada;
        be16_list(cw, c, n);
        be16_list(sw, sig, OT_ARRAY_SIZE(sig));
        for (size_t i = 0; i < n && e->n + 4 <= sizeof(e->b); i++)
            ext(e, x[i], NULL, 0);
        struct ot_tls_hello h;
        memset(&h, 0, sizeof(h));
        h.version = 0x0303;
        h.ciphers = cw;
        h.n_ciphers = n;
        h.exts = e->b;
        h.exts_len = e->n;
        h.sigalgs = sw;
        h.n_sigalgs = OT_ARRAY_SIZE(sig);
        char out[OT_TLS_JA4_SIZE];
        assert_int_equal(ot_tls_ja4(&h, out), 0);
        assert_int_equal(strlen(out), OT_TLS_JA4_SIZE - 1);

        size_t len = ref_list(text, c, n, true, false);
        if (len)
            ref_digest(EVP_sha256(), text, len, want, 12);
        else
            strcpy(want, "000000000000");
        assert_memory_equal(out + 11, want, 12);

        len = ref_list(text, x, n, true, true);
        if (len) {
            text[len++] = '_';
            len += ref_list(text + len, sig, OT_ARRAY_SIZE(sig), false, false);
            ref_digest(EVP_sha256(), text, len, want, 12);
        } else {
            strcpy(want, "000000000000");
        }
        assert_memory_equal(out + 24, want, 12);
        free(c);
        free(x);
        free(cw);
        free(e);
        free(text);
    }
}

/* JA3 and JA3S decimal lists: every digit count, GREASE left out, against a fresh MD5. */
static void test_ja3_decimal(void **st)
{
    (void)st;
    static const uint16_t ciphers[] = {0x0000, 0x0009, 0x000a, 0x0063, 0x0064, 0x03e7,
                                       0x03e8, 0x0a0a, 0x270f, 0x2710, 0xffff, 0xfafa};
    static const uint16_t groups[] = {0x001d, 0x2a2a, 0x0017, 0x0100};
    static const uint8_t formats[] = {0, 1, 255};
    uint8_t cw[sizeof(ciphers)], gw[sizeof(groups)];
    be16_list(cw, ciphers, OT_ARRAY_SIZE(ciphers));
    be16_list(gw, groups, OT_ARRAY_SIZE(groups));
    struct bb *e = calloc(1, sizeof(*e));
    ext(e, 0x1a1a, NULL, 0);
    ext(e, 0x0005, "ab", 2);
    ext(e, 0xff01, NULL, 0);
    ext(e, 0x0000, NULL, 0);
    struct ot_tls_hello h;
    memset(&h, 0, sizeof(h));
    h.version = 0x0303;
    h.ciphers = cw;
    h.n_ciphers = OT_ARRAY_SIZE(ciphers);
    h.exts = e->b;
    h.exts_len = e->n;
    h.groups = gw;
    h.n_groups = OT_ARRAY_SIZE(groups);
    h.point_formats = formats;
    h.n_point_formats = OT_ARRAY_SIZE(formats);
    char *str = NULL, md5[OT_TLS_MD5_HEX_SIZE], want[OT_TLS_MD5_HEX_SIZE];
    assert_int_equal(ot_tls_ja3(&h, &str, md5), 0);
    static const char ja3[] =
        "771,0-9-10-99-100-999-1000-9999-10000-65535,5-65281-0,29-23-256,0-1-255";
    assert_string_equal(str, ja3);
    ref_digest(EVP_md5(), ja3, strlen(ja3), want, 32);
    assert_string_equal(md5, want);
    free(str);

    assert_int_equal(ot_tls_ja3s(0x0301, 0xc02f, e->b, e->n, &str, md5), 0);
    assert_string_equal(str, "769,49199,5-65281-0");
    ref_digest(EVP_md5(), str, strlen(str), want, 32);
    assert_string_equal(md5, want);
    free(str);
    assert_int_equal(ot_tls_ja3s(0x0303, 0x0005, NULL, 0, &str, md5), 0);
    assert_string_equal(str, "771,5,");
    free(str);
    free(e);
}

/* The JA3 hash and JA4 of a hello with FoxIO's ciphers, computed `times` times over. */
struct fp_run {
    int times;
    char md5[OT_TLS_MD5_HEX_SIZE];
    char ja4[OT_TLS_JA4_SIZE];
    bool same;
};

static void *fp_thread(void *arg)
{
    struct fp_run *r = arg;
    uint8_t cw[2 * OT_ARRAY_SIZE(foxio_ciphers)];
    be16_list(cw, foxio_ciphers, OT_ARRAY_SIZE(foxio_ciphers));
    struct ot_tls_hello h;
    memset(&h, 0, sizeof(h));
    h.version = 0x0303;
    h.ciphers = cw;
    h.n_ciphers = OT_ARRAY_SIZE(foxio_ciphers);
    r->same = true;
    for (int i = 0; i < r->times; i++) {
        char *str = NULL, md5[OT_TLS_MD5_HEX_SIZE], ja4[OT_TLS_JA4_SIZE];
        if (ot_tls_ja3(&h, &str, md5) != 0 || ot_tls_ja4(&h, ja4) != 0) {
            r->same = false;
            break;
        }
        free(str);
        if (i == 0) {
            memcpy(r->md5, md5, sizeof(md5));
            memcpy(r->ja4, ja4, sizeof(ja4));
        } else if (strcmp(md5, r->md5) != 0 || strcmp(ja4, r->ja4) != 0) {
            r->same = false;
        }
    }
    return NULL;
}

/*
 * The digest contexts are kept per thread: threads hashing at the same time
 * get the main thread's answers, and (under the sanitizers) a thread that
 * exits leaves nothing behind.
 */
static void test_fingerprints_in_threads(void **st)
{
    (void)st;
    struct fp_run main_run = {.times = 3}, runs[3];
    fp_thread(&main_run);
    assert_true(main_run.same);
    assert_string_equal(main_run.ja4, "t12i150000_8daaf6152771_000000000000");
    pthread_t th[OT_ARRAY_SIZE(runs)];
    for (size_t i = 0; i < OT_ARRAY_SIZE(runs); i++) {
        runs[i] = (struct fp_run){.times = 200};
        assert_int_equal(pthread_create(&th[i], NULL, fp_thread, &runs[i]), 0);
    }
    for (size_t i = 0; i < OT_ARRAY_SIZE(runs); i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_true(runs[i].same);
        assert_string_equal(runs[i].md5, main_run.md5);
        assert_string_equal(runs[i].ja4, main_run.ja4);
    }
}

/* Malformed hellos and records: counted as errors, nothing invented. */
static void test_malformed(void **st)
{
    (void)st;
    struct bb *m = calloc(1, sizeof(*m)), *cli = calloc(1, sizeof(*cli));
    client_hello_modern(m, "bad.example");
    /* Cipher-suites length pointing past the message. */
    m->b[4 + 35 + 32] = 0x7f;
    records(cli, 22, m->b, m->n, 16384);
    struct seg segs[] = {{0, cli->b, cli->n}};
    uint64_t errors = 0;
    json_t *ev = run(segs, 1, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 1);
    assert_int_equal(json_array_size(ev), 0);
    json_decref(ev);

    /* Every truncation of a valid hello inside a record that claims to be complete. */
    m->n = 0;
    client_hello_modern(m, "bad.example");
    for (size_t cut = 4; cut < m->n; cut += 7) {
        struct bb *c = calloc(1, sizeof(*c));
        uint8_t body[4096];
        memcpy(body, m->b, cut);
        body[1] = (uint8_t)((cut - 4) >> 16);
        body[2] = (uint8_t)((cut - 4) >> 8);
        body[3] = (uint8_t)(cut - 4);
        records(c, 22, body, cut, 16384);
        struct seg s1[] = {{0, c->b, c->n}};
        ev = run(s1, 1, WHOLE, 0, 0, &errors);
        assert_true(json_array_size(ev) <= 1);
        json_decref(ev);
        free(c);
    }

    /* A bad record header after a good one. */
    cli->n = 0;
    m->n = 0;
    client_hello_simple(m, 0x0303, NULL, 0);
    records(cli, 22, m->b, m->n, 16384);
    const uint8_t bad[] = {0x99, 3, 3, 0, 1, 0};
    pn(cli, bad, sizeof(bad));
    struct seg s2[] = {{0, cli->b, cli->n}};
    ev = run(s2, 1, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 1);
    /* The hello that was seen is still reported at close(). */
    assert_int_equal(json_array_size(ev), 1);
    json_decref(ev);

    /* The server side is not TLS at all: that side ends, no error. */
    cli->n = 0;
    records(cli, 22, m->b, m->n, 16384);
    struct seg s3[] = {{0, cli->b, cli->n}, {1, (const uint8_t *)"HTTP/1.1 400 Bad\r\n\r\n", 20}};
    ev = run(s3, 2, WHOLE, 0, 0, &errors);
    assert_int_equal(errors, 0);
    assert_int_equal(json_array_size(ev), 1);
    json_decref(ev);
    free(m);
    free(cli);
}

/* A certificate message larger than max_buffer: the event without certificate, one error. */
static void test_limit(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    uint8_t der[4096];
    size_t dl;
    tls12_flow(cli, srv, 16384, false, der, &dl);
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 443, 6, true), 0);
    h.pe.conf.max_buffer = 300; /* the hellos fit, the certificates do not */
    ot_harness_feed(&h, 0, cli->b, cli->n);
    ot_harness_feed(&h, 1, srv->b, srv->n);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_TLS], 1);
    json_t *ev = ot_harness_events(&h, "tls");
    assert_int_equal(json_array_size(ev), 1);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    assert_string_equal(str_at(t, "version"), "TLS 1.2");
    assert_null(json_object_get(t, "subject"));
    json_decref(ev);
    ot_harness_cleanup(&h);
    free(cli);
    free(srv);
}

/* Gaps: inside a skipped message they are absorbed; elsewhere the side resyncs or stops. */
static void test_gaps(void **st)
{
    (void)st;
    struct bb *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
    uint8_t der[4096];
    size_t dl;
    tls12_flow(cli, srv, 16384, false, der, &dl);

    /* A server gap inside the certificate: the event comes without it, no error. */
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 443, 6, true), 0);
    ot_harness_feed(&h, 0, cli->b, cli->n);
    ot_harness_feed(&h, 1, srv->b, 150);
    ot_harness_gap(&h, 1, 20);
    ot_harness_feed(&h, 1, srv->b + 170, srv->n - 170);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_TLS], 0);
    json_t *ev = ot_harness_events(&h, "tls");
    assert_int_equal(json_array_size(ev), 1);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    assert_string_equal(str_at(t, "sni"), "example.org");
    assert_null(json_object_get(t, "subject"));
    json_decref(ev);
    ot_harness_cleanup(&h);

    /*
     * The server's ServerHello record, three bytes of the next record header,
     * a gap, then a record that starts cleanly: the side resynchronises.
     */
    struct bb *m = calloc(1, sizeof(*m)), *r1 = calloc(1, sizeof(*r1)),
              *r2 = calloc(1, sizeof(*r2));
    server_hello(m, 0x0303, NULL, NULL, 0, 0xc02f, NULL);
    records(r1, 22, m->b, m->n, 16384);
    m->n = 0;
    certificate(m, der, dl, 1);
    records(r2, 22, m->b, m->n, 16384);
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 443, 6, true), 0);
    ot_harness_feed(&h, 0, cli->b, cli->n);
    ot_harness_feed(&h, 1, r1->b, r1->n);
    ot_harness_feed(&h, 1, r2->b, 3);
    ot_harness_gap(&h, 1, 10);
    ot_harness_feed(&h, 1, r2->b, r2->n);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_TLS], 0);
    ev = ot_harness_events(&h, "tls");
    assert_int_equal(json_array_size(ev), 1);
    t = json_object_get(json_array_get(ev, 0), "tls");
    assert_string_equal(str_at(t, "subject"), "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS");
    assert_string_equal(str_at(t, "sni"), "example.org");
    json_decref(ev);
    ot_harness_cleanup(&h);
    free(m);
    free(r1);
    free(r2);

    /* A gap then bytes that are not a record: the side stops politely. */
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 443, 6, true), 0);
    ot_harness_feed(&h, 0, cli->b, cli->n);
    ot_harness_feed(&h, 1, srv->b, 30);
    ot_harness_gap(&h, 1, 100);
    ot_harness_feed(&h, 1, (const uint8_t *)"garbage!", 8);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_TLS], 0);
    ev = ot_harness_events(&h, "tls");
    assert_int_equal(json_array_size(ev), 1);
    json_decref(ev);
    ot_harness_cleanup(&h);
    free(cli);
    free(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_tls13_fields),
        cmocka_unit_test(test_tls13_splits),
        cmocka_unit_test(test_tls12_certificate),
        cmocka_unit_test(test_tls12_splits),
        cmocka_unit_test(test_client_only),
        cmocka_unit_test(test_hello_retry),
        cmocka_unit_test(test_resumed),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_ja4_rules),
        cmocka_unit_test(test_ja4_long_lists),
        cmocka_unit_test(test_ja3_decimal),
        cmocka_unit_test(test_fingerprints_in_threads),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
