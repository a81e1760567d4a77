/*
 * Running TLS flows through the real dispatcher for the tls parser tests
 * (test_proto_tls.c, test_proto_tls_sslv2.c): TLS records, ServerHello and
 * Certificate messages, an OpenSSL-made certificate, and run() /
 * check_splits(), which feed segments whole, cut at a point or byte by byte
 * and return the events.  Include after tls-build.h and a declaration of
 * ot_proto_tls.
 */
#ifndef OT_TESTS_TLS_RUN_H
#define OT_TESTS_TLS_RUN_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "proto-harness.h"

/* Records of `type` carrying `data`, at most `max` bytes each. */
static inline void records(struct bb *o, unsigned type, const uint8_t *data, size_t n, size_t max)
{
    size_t off = 0;
    do {
        size_t l = OT_MIN(n - off, max);
        p8(o, type);
        p16(o, 0x0303);
        p16(o, (unsigned)l);
        pn(o, data + off, l);
        off += l;
    } while (off < n);
}

/* A ServerHello; `exts` (may be empty) is the raw extension block. */
static inline void server_hello(struct bb *m, uint16_t version, const uint8_t random[32],
                                const uint8_t *sid, size_t sid_len, uint16_t cipher,
                                const struct bb *exts)
{
    struct bb *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    p16(b, version);
    for (int i = 0; i < 32; i++)
        p8(b, random ? random[i] : 0x66);
    p8(b, (unsigned)sid_len);
    pn(b, sid, sid_len);
    p16(b, cipher);
    p8(b, 0);
    if (exts) {
        p16(b, (unsigned)exts->n);
        pn(b, exts->b, exts->n);
    }
    hs(m, 2, b);
    free(b);
}

/* ---- certificates ----------------------------------------------------------------- */

/* A self-signed-looking P-256 certificate; returns its DER length in out. */
static inline size_t make_cert(uint8_t *out, size_t cap, bool multi_rdn)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    /* 00:97:E6:47:09:8E:EA:C9:B4 once DER-encoded (high bit set: a 00 is prepended). */
    static const uint8_t serial[] = {0x97, 0xe6, 0x47, 0x09, 0x8e, 0xea, 0xc9, 0xb4};
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
    X509_set_serialNumber(x, ai);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    X509_NAME *sub = X509_NAME_new(), *iss = X509_NAME_new();
    const char *keys[] = {"C", "ST", "L", "O", "CN"};
    const char *vals[] = {"FR", "IDF", "Paris", "Stamus", "SELKS"};
    for (int i = 0; i < 5; i++)
        X509_NAME_add_entry_by_txt(sub, keys[i], MBSTRING_ASC, (const unsigned char *)vals[i], -1,
                                   -1, 0);
    X509_NAME_add_entry_by_txt(iss, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(iss, "O", MBSTRING_ASC, (const unsigned char *)"Let's Encrypt", -1,
                               -1, 0);
    if (multi_rdn)
        X509_NAME_add_entry_by_txt(iss, "OU", MBSTRING_ASC, (const unsigned char *)"Unit", -1, -1,
                                   -1); /* joins the previous RDN */
    X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, (const unsigned char *)"R3", -1, -1, 0);
    X509_NAME_add_entry_by_txt(iss, "emailAddress", MBSTRING_ASC,
                               (const unsigned char *)"ca@example.org", -1, -1, 0);
    X509_set_subject_name(x, sub);
    X509_set_issuer_name(x, iss);
    X509_NAME_free(sub);
    X509_NAME_free(iss);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)1423764447); /* 2015-02-12T18:07:27 */
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)1739383647);  /* 2025-02-12T18:07:27 */
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    int n = i2d_X509(x, NULL);
    assert_true(n > 0 && (size_t)n <= cap);
    unsigned char *p = out;
    i2d_X509(x, &p);
    X509_free(x);
    EVP_PKEY_free(k);
    return (size_t)n;
}

static inline void sha1_hex(const uint8_t *p, size_t n, char out[60])
{
    unsigned char md[20];
    unsigned int l = 0;
    assert_int_equal(EVP_Digest(p, n, md, &l, EVP_sha1(), NULL), 1);
    size_t o = 0;
    for (unsigned i = 0; i < l; i++)
        o += (size_t)snprintf(out + o, 60 - o, i ? ":%02x" : "%02x", md[i]);
}

/* A Certificate message with the given DERs (the first one repeated `count` times). */
static inline void certificate(struct bb *m, const uint8_t *der, size_t n, int count)
{
    struct bb *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    size_t l = hole(b, 3);
    for (int i = 0; i < count; i++) {
        p24(b, (unsigned)n);
        pn(b, der, n);
    }
    fill(b, l, 3);
    hs(m, 11, b);
    free(b);
}

/* ---- running flows ------------------------------------------------------------------ */

struct seg {
    int dir;
    const uint8_t *p;
    size_t n;
};

enum split { WHOLE, AT, BYTES };

/*
 * Feeds the segments (split as asked: segment `which` cut at `at`, or
 * every segment byte by byte), ends the flow and returns the events.
 */
static inline json_t *run(const struct seg *segs, size_t nseg, enum split how, size_t which,
                          size_t at, uint64_t *errors)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "10.0.0.1", 40000, "10.0.0.2", 443, 6, true), 0);
    for (size_t i = 0; i < nseg; i++) {
        const struct seg *s = &segs[i];
        if (how == BYTES) {
            for (size_t k = 0; k < s->n; k++)
                ot_harness_feed(&h, s->dir, s->p + k, 1);
        } else if (how == AT && i == which && at > 0 && at < s->n) {
            ot_harness_feed(&h, s->dir, s->p, at);
            ot_harness_feed(&h, s->dir, s->p + at, s->n - at);
        } else {
            ot_harness_feed(&h, s->dir, s->p, s->n);
        }
    }
    ot_harness_finish(&h);
    if (errors)
        *errors = h.pe.stats.errors[OT_APP_TLS];
    json_t *ev = ot_harness_events(&h, "tls");
    ot_harness_cleanup(&h);
    return ev;
}

/* The "tls" object of the only event, serialised with sorted keys (caller frees). */
static inline char *only_tls(json_t *ev)
{
    assert_int_equal(json_array_size(ev), 1);
    json_t *t = json_object_get(json_array_get(ev, 0), "tls");
    assert_non_null(t);
    char *s = json_dumps(t, JSON_SORT_KEYS);
    json_decref(ev);
    return s;
}

static inline const char *str_at(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return v ? json_string_value(v) : NULL;
}

/* Every split point of every segment gives the same event as the whole flow. */
static inline void check_splits(const struct seg *segs, size_t nseg)
{
    char *ref = only_tls(run(segs, nseg, WHOLE, 0, 0, NULL));
    for (size_t i = 0; i < nseg; i++) {
        for (size_t k = 1; k < segs[i].n; k++) {
            char *got = only_tls(run(segs, nseg, AT, i, k, NULL));
            if (strcmp(ref, got) != 0)
                fail_msg("split seg %zu at %zu:\n%s\n%s", i, k, ref, got);
            free(got);
        }
    }
    char *got = only_tls(run(segs, nseg, BYTES, 0, 0, NULL));
    assert_string_equal(ref, got);
    free(got);
    free(ref);
}

#endif
