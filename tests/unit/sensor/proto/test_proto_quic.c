/*
 * QUIC parser: the Initial keys against RFC 9001's example (Appendix A.1),
 * then client Initial packets protected here with OpenSSL (as a client
 * would) and fed through the real dispatcher: a ClientHello split over two
 * packets in reverse order (version 1 and version 2), a packet whose tag
 * fails, a Retry's new keys, coalesced packets; and decrypted frames given
 * directly: malformed frames, data past the bound, not a ClientHello.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "otasuke/error.h"
#include "proto-harness.h"
#include "proto/quic.h"
#include "tls-build.h"

extern const struct ot_proto_parser ot_proto_quic;

static void hex_eq(const uint8_t *b, size_t n, const char *hex)
{
    char s[80];
    assert_true(2 * n < sizeof(s));
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", b[i]);
    assert_string_equal(s, hex);
}

/* RFC 9001 A.1: keys from the client's DCID 0x8394c8f03e515708. */
static void test_initial_keys(void **state)
{
    (void)state;
    static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
    struct ot_quic_keys k;
    ot_quic_initial_keys(OT_QUIC_V1, dcid, sizeof(dcid), &k);
    hex_eq(k.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
    hex_eq(k.iv, 12, "fa044b2f42a3fd3b46fb255c");
    hex_eq(k.hp, 16, "9f50449e04a0e810283a1e9933adedd2");
    struct ot_quic_keys k2;
    ot_quic_initial_keys(OT_QUIC_V2, dcid, sizeof(dcid), &k2);
    assert_memory_not_equal(k.key, k2.key, 16);
}

/* ---- protecting packets as a client does ----------------------------------- */

/*
 * Append a client Initial of VERSION with DCID and packet number PN carrying
 * PLAIN (frames) to out: long header, 4-byte packet number, AES-128-GCM,
 * then header protection (RFC 9001 5.3, 5.4).
 */
static void initial(struct bb *out, uint32_t version, const uint8_t *dcid, size_t dcid_len,
                    uint32_t pkt_num, const uint8_t *plain, size_t n)
{
    struct ot_quic_keys k;
    ot_quic_initial_keys(version, dcid, dcid_len, &k);
    size_t start = out->n;
    unsigned type = version == OT_QUIC_V2 ? 1 : 0;
    p8(out, 0xc0 | type << 4 | 3); /* 4-byte packet number */
    p8(out, version >> 24);
    p8(out, (version >> 16) & 0xff);
    p16(out, version & 0xffff);
    p8(out, (unsigned)dcid_len);
    pn(out, dcid, dcid_len);
    p8(out, 0); /* no SCID */
    p8(out, 0); /* no token */
    p16(out, 0x4000 | (unsigned)(4 + n + 16));
    size_t pn_off = out->n;
    p16(out, pkt_num >> 16);
    p16(out, pkt_num & 0xffff);
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    for (int i = 0; i < 4; i++)
        nonce[11 - i] ^= (uint8_t)(pkt_num >> (8 * i));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce), 1);
    assert_int_equal(EVP_EncryptUpdate(c, NULL, &l, out->b + start, (int)(out->n - start)), 1);
    assert_true(out->n + n + 16 <= sizeof(out->b));
    assert_int_equal(EVP_EncryptUpdate(c, out->b + out->n, &l, plain, (int)n), 1);
    out->n += (size_t)l;
    assert_int_equal(EVP_EncryptFinal_ex(c, out->b + out->n, &l), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out->b + out->n), 1);
    out->n += 16;
    uint8_t mask[16];
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_int_equal(EVP_EncryptUpdate(c, mask, &l, out->b + pn_off + 4, 16), 1);
    EVP_CIPHER_CTX_free(c);
    out->b[start] ^= mask[0] & 0x0f;
    for (int i = 0; i < 4; i++)
        out->b[pn_off + (size_t)i] ^= mask[1 + i];
}

/* A CRYPTO frame of bytes [off, off + n) of `data`, then `pad` PADDING bytes. */
static void crypto_frame(struct bb *f, const uint8_t *data, size_t off, size_t n, size_t pad)
{
    p8(f, 0x06);
    p16(f, 0x4000 | (unsigned)off);
    p16(f, 0x4000 | (unsigned)n);
    pn(f, data + off, n);
    for (size_t i = 0; i < pad; i++)
        p8(f, 0);
}

static const uint8_t dcid_a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t dcid_b[8] = {9, 9, 9, 9, 9, 9, 9, 9};

struct run {
    struct ot_harness h;
    struct bb ch, frames, dgram;
};

static struct run *run_new(void)
{
    struct run *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    assert_int_equal(ot_harness_init(&r->h, "192.168.1.20", 50000, "203.0.113.5", 443, 17, true),
                     0);
    client_hello_modern(&r->ch, "quic.example");
    return r;
}

/* The quic events written (the harness is finished). */
static json_t *run_events(struct run *r)
{
    ot_harness_finish(&r->h);
    return ot_harness_events(&r->h, "quic");
}

static void run_free(struct run *r, json_t *ev)
{
    json_decref(ev);
    ot_harness_cleanup(&r->h);
    free(r);
}

/* One datagram: an Initial with CRYPTO bytes [off, off + n) of the ClientHello. */
static void send_part(struct run *r, uint32_t version, const uint8_t *dcid, uint32_t pkt_num,
                      size_t off, size_t n)
{
    r->frames.n = r->dgram.n = 0;
    if (pkt_num & 1)
        p8(&r->frames, 0x01); /* PING first */
    crypto_frame(&r->frames, r->ch.b, off, n, 40);
    initial(&r->dgram, version, dcid, 8, pkt_num, r->frames.b, r->frames.n);
    ot_harness_feed(&r->h, 0, r->dgram.b, r->dgram.n);
}

static void expect_hello(json_t *ev, const char *version)
{
    assert_int_equal(json_array_size(ev), 1);
    json_t *q = json_object_get(json_array_get(ev, 0), "quic");
    assert_string_equal(json_string_value(json_object_get(q, "version")), version);
    assert_string_equal(json_string_value(json_object_get(q, "sni")), "quic.example");
    /* JA4 of the same hello, with QUIC's transport letter. */
    assert_string_equal(json_string_value(json_object_get(q, "ja4")),
                        "q13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_string_equal(MODERN_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(q, "ja3"), "hash")),
                        MODERN_JA3_MD5);
    json_t *alpn = json_object_get(q, "alpn");
    assert_int_equal(json_array_size(alpn), 2);
    assert_string_equal(json_string_value(json_array_get(alpn, 0)), "h2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "app_proto")),
                        "quic");
}

/* The hello's second half first, then the first half; both versions. */
static void test_split_hello(void **state)
{
    (void)state;
    const uint32_t versions[] = {OT_QUIC_V1, OT_QUIC_V2, OT_QUIC_DRAFT29};
    const char *names[] = {"1", "2", "ff00001d"};
    for (int v = 0; v < 3; v++) {
        struct run *r = run_new();
        size_t half = r->ch.n / 2;
        send_part(r, versions[v], dcid_a, 0, half, r->ch.n - half);
        ot_harness_feed(&r->h, 1, "\xc0\x00\x00\x00\x01\x00\x00", 7); /* server: not read */
        send_part(r, versions[v], dcid_a, 1, 0, half);
        json_t *ev = run_events(r);
        expect_hello(ev, names[v]);
        run_free(r, ev);
    }
}

/* A packet whose tag fails is skipped; the same bytes protected right complete the hello. */
static void test_bad_tag(void **state)
{
    (void)state;
    struct run *r = run_new();
    size_t half = r->ch.n / 2;
    send_part(r, OT_QUIC_V1, dcid_a, 0, 0, half);
    r->frames.n = r->dgram.n = 0;
    crypto_frame(&r->frames, r->ch.b, half, r->ch.n - half, 40);
    initial(&r->dgram, OT_QUIC_V1, dcid_a, 8, 1, r->frames.b, r->frames.n);
    r->dgram.b[r->dgram.n - 20] ^= 1;
    ot_harness_feed(&r->h, 0, r->dgram.b, r->dgram.n);
    r->dgram.b[r->dgram.n - 20] ^= 1;
    ot_harness_feed(&r->h, 0, r->dgram.b, r->dgram.n);
    json_t *ev = run_events(r);
    expect_hello(ev, "1");
    run_free(r, ev);
}

/* After a Retry the client sends the whole hello again under the new DCID's keys. */
static void test_retry_keys(void **state)
{
    (void)state;
    struct run *r = run_new();
    send_part(r, OT_QUIC_V1, dcid_a, 0, 0, 100);
    send_part(r, OT_QUIC_V1, dcid_b, 0, 0, r->ch.n);
    json_t *ev = run_events(r);
    expect_hello(ev, "1");
    run_free(r, ev);
}

/* An Initial coalesced behind another long-header packet of the datagram is read too. */
static void test_coalesced(void **state)
{
    (void)state;
    struct run *r = run_new();
    r->frames.n = r->dgram.n = 0;
    crypto_frame(&r->frames, r->ch.b, 0, r->ch.n, 0);
    /* A 0-RTT packet (type 1) with 30 opaque bytes, then the Initial. */
    p8(&r->dgram, 0xd3);
    p16(&r->dgram, 0);
    p16(&r->dgram, 1);
    p8(&r->dgram, 8);
    pn(&r->dgram, dcid_a, 8);
    p8(&r->dgram, 0);
    p8(&r->dgram, 30);
    for (int i = 0; i < 30; i++)
        p8(&r->dgram, 0x55);
    initial(&r->dgram, OT_QUIC_V1, dcid_a, 8, 0, r->frames.b, r->frames.n);
    /* The probe wants an Initial first: this datagram goes in second. */
    struct bb *first = calloc(1, sizeof(*first));
    struct bb *pad = calloc(1, sizeof(*pad));
    p8(pad, 0x01);
    for (int i = 0; i < 40; i++)
        p8(pad, 0);
    initial(first, OT_QUIC_V1, dcid_a, 8, 1, pad->b, pad->n);
    ot_harness_feed(&r->h, 0, first->b, first->n);
    ot_harness_feed(&r->h, 0, r->dgram.b, r->dgram.n);
    json_t *ev = run_events(r);
    expect_hello(ev, "1");
    run_free(r, ev);
    free(first);
    free(pad);
}

/* Decrypted frames given directly: what the parser makes of bad ones. */
static void test_frames(void **state)
{
    (void)state;
    struct run *r = run_new();
    void *st = calloc(1, ot_proto_quic.state_size);
    struct ot_proto_ctx *ctx = &r->h.pe.ctx;
    struct ot_flow *f = &r->h.flow;
    /* An unknown frame type ends the packet; a CRYPTO past 8 KiB is ignored. */
    static const uint8_t junk[] = {0x00, 0x01, 0x1f, 0x06, 0x00, 0x05};
    assert_int_equal(ot_quic_initial_frames(ctx, f, st, OT_QUIC_V1, junk, sizeof(junk)), 0);
    r->frames.n = 0;
    p8(&r->frames, 0x06);
    p16(&r->frames, 0x4000 | 9000);
    p8(&r->frames, 4);
    pn(&r->frames, "\x01\x00\x00\x10", 4);
    assert_int_equal(ot_quic_initial_frames(ctx, f, st, OT_QUIC_V1, r->frames.b, r->frames.n), 0);
    /* A CRYPTO stream that is not a ClientHello: given up. */
    r->frames.n = 0;
    static const uint8_t not_hello[8] = {0x02, 0x00, 0x00, 0x04, 'a', 'b', 'c', 'd'};
    crypto_frame(&r->frames, not_hello, 0, sizeof(not_hello), 0);
    assert_int_equal(ot_quic_initial_frames(ctx, f, st, OT_QUIC_V1, r->frames.b, r->frames.n),
                     OT_EINVAL);
    /* Given up: later frames, even a good hello, are not read. */
    r->frames.n = 0;
    crypto_frame(&r->frames, r->ch.b, 0, r->ch.n, 0);
    assert_int_equal(ot_quic_initial_frames(ctx, f, st, OT_QUIC_V1, r->frames.b, r->frames.n), 0);
    ot_proto_quic.close(ctx, f, st);
    free(st);
    json_t *ev = run_events(r);
    assert_int_equal(json_array_size(ev), 0);
    run_free(r, ev);
}

/* The probe: a client Initial of a version we read, nothing else. */
static void test_probe(void **state)
{
    (void)state;
    struct run *r = run_new();
    send_part(r, OT_QUIC_V1, dcid_a, 0, 0, 50);
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    assert_int_equal(ot_proto_quic.probe(&f, 0, r->dgram.b, r->dgram.n), OT_PROBE_YES);
    assert_int_equal(ot_proto_quic.probe(&f, 1, r->dgram.b, r->dgram.n), OT_PROBE_NO);
    r->dgram.b[4] = 0x02; /* version 0x00000102 */
    assert_int_equal(ot_proto_quic.probe(&f, 0, r->dgram.b, r->dgram.n), OT_PROBE_NO);
    r->dgram.b[4] = 0x01;
    r->dgram.b[0] = 0x40; /* short header */
    assert_int_equal(ot_proto_quic.probe(&f, 0, r->dgram.b, r->dgram.n), OT_PROBE_NO);
    assert_int_equal(ot_proto_quic.probe(&f, 0, r->dgram.b, 6), OT_PROBE_NO);
    json_t *ev = run_events(r);
    run_free(r, ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_keys), cmocka_unit_test(test_split_hello),
        cmocka_unit_test(test_bad_tag),      cmocka_unit_test(test_retry_keys),
        cmocka_unit_test(test_coalesced),    cmocka_unit_test(test_frames),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
