/*
 * X.509 fields of a server certificate (sensor/proto/tls-cert.c): names with
 * UTF-8, BMPString, T61String and multi-valued RDNs, attribute keys, serial
 * forms, UTCTime/GeneralizedTime rules, what a malformed certificate gives
 * (the fingerprint only, OT_EINVAL) and truncation at every length.
 *
 * The two whole certificates were generated for this test with
 * `openssl req -x509` (a throw-away P-256 key); the other vectors are built
 * here element by element.  Expected strings are what the earlier
 * OpenSSL (d2i_X509) implementation wrote for the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/json.h"
#include "core/sha1.h"
#include "otasuke/error.h"
#include "proto/tls-cert.h"

/*
 * openssl req -x509 -new -key k.pem -days 3650 -utf8 -multivalue-rdn -set_serial 0xff
 *   -subj "/DC=com/DC=example/O=Ünïcødé GmbH/CN=alice+UID=a1/emailAddress=alice@example.com"
 *   -addext "basicConstraints=critical,CA:FALSE"
 */
static const uint8_t cert_utf8[] = {
    0x30, 0x82, 0x02, 0x5b, 0x30, 0x82, 0x02, 0x02, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x02, 0x00,
    0xff, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x81, 0x8d,
    0x31, 0x13, 0x30, 0x11, 0x06, 0x0a, 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19,
    0x16, 0x03, 0x63, 0x6f, 0x6d, 0x31, 0x17, 0x30, 0x15, 0x06, 0x0a, 0x09, 0x92, 0x26, 0x89, 0x93,
    0xf2, 0x2c, 0x64, 0x01, 0x19, 0x16, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x31, 0x19,
    0x30, 0x17, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x10, 0xc3, 0x9c, 0x6e, 0xc3, 0xaf, 0x63, 0xc3,
    0xb8, 0x64, 0xc3, 0xa9, 0x20, 0x47, 0x6d, 0x62, 0x48, 0x31, 0x20, 0x30, 0x0c, 0x06, 0x03, 0x55,
    0x04, 0x03, 0x0c, 0x05, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x30, 0x10, 0x06, 0x0a, 0x09, 0x92, 0x26,
    0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01, 0x0c, 0x02, 0x61, 0x31, 0x31, 0x20, 0x30, 0x1e, 0x06,
    0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01, 0x16, 0x11, 0x61, 0x6c, 0x69, 0x63,
    0x65, 0x40, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x30, 0x1e, 0x17,
    0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x35, 0x31, 0x39, 0x30, 0x39, 0x34, 0x36, 0x5a, 0x17, 0x0d,
    0x33, 0x36, 0x31, 0x31, 0x32, 0x32, 0x31, 0x39, 0x30, 0x39, 0x34, 0x36, 0x5a, 0x30, 0x81, 0x8d,
    0x31, 0x13, 0x30, 0x11, 0x06, 0x0a, 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19,
    0x16, 0x03, 0x63, 0x6f, 0x6d, 0x31, 0x17, 0x30, 0x15, 0x06, 0x0a, 0x09, 0x92, 0x26, 0x89, 0x93,
    0xf2, 0x2c, 0x64, 0x01, 0x19, 0x16, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x31, 0x19,
    0x30, 0x17, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x10, 0xc3, 0x9c, 0x6e, 0xc3, 0xaf, 0x63, 0xc3,
    0xb8, 0x64, 0xc3, 0xa9, 0x20, 0x47, 0x6d, 0x62, 0x48, 0x31, 0x20, 0x30, 0x0c, 0x06, 0x03, 0x55,
    0x04, 0x03, 0x0c, 0x05, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x30, 0x10, 0x06, 0x0a, 0x09, 0x92, 0x26,
    0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01, 0x0c, 0x02, 0x61, 0x31, 0x31, 0x20, 0x30, 0x1e, 0x06,
    0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01, 0x16, 0x11, 0x61, 0x6c, 0x69, 0x63,
    0x65, 0x40, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x30, 0x59, 0x30,
    0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x21, 0xba, 0x24, 0x0c, 0x89, 0x70, 0x99, 0x59,
    0x56, 0xba, 0xdf, 0x95, 0x36, 0x28, 0xb9, 0x9f, 0x67, 0xec, 0x73, 0x45, 0xb8, 0x83, 0x97, 0xa7,
    0x65, 0xc3, 0x47, 0x34, 0x59, 0x12, 0xa0, 0xfb, 0x3d, 0xa2, 0x1c, 0x91, 0x08, 0x3f, 0xbc, 0x1d,
    0x6c, 0x0a, 0xa6, 0x6b, 0x9f, 0xc8, 0x38, 0xcd, 0xc3, 0x11, 0x07, 0xab, 0x20, 0xdd, 0xc7, 0xd9,
    0x3c, 0x97, 0x4f, 0x7c, 0x04, 0x42, 0xb6, 0xea, 0xa3, 0x50, 0x30, 0x4e, 0x30, 0x1d, 0x06, 0x03,
    0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0x80, 0x7e, 0x50, 0x58, 0xaf, 0x94, 0x78, 0x69, 0x3b,
    0x7a, 0x30, 0xd3, 0xf2, 0xf7, 0x69, 0x56, 0x87, 0x86, 0xa6, 0xe1, 0x30, 0x1f, 0x06, 0x03, 0x55,
    0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x80, 0x7e, 0x50, 0x58, 0xaf, 0x94, 0x78, 0x69,
    0x3b, 0x7a, 0x30, 0xd3, 0xf2, 0xf7, 0x69, 0x56, 0x87, 0x86, 0xa6, 0xe1, 0x30, 0x0c, 0x06, 0x03,
    0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x47, 0x00, 0x30, 0x44, 0x02, 0x20, 0x08, 0xd1, 0x8b,
    0x96, 0xca, 0x9e, 0xf5, 0x76, 0x6a, 0x25, 0x4e, 0xca, 0xb4, 0x6e, 0x77, 0xe7, 0xb8, 0xb0, 0x55,
    0xf5, 0x2a, 0xff, 0x4e, 0xd3, 0x51, 0x7d, 0xb5, 0xbf, 0x6b, 0x68, 0x33, 0x97, 0x02, 0x20, 0x4d,
    0xea, 0x29, 0x0e, 0x6e, 0xfd, 0xc5, 0xd5, 0xab, 0xd5, 0x94, 0x38, 0xeb, 0x3e, 0x90, 0x66, 0x4c,
    0x27, 0x48, 0x18, 0xd0, 0x01, 0x20, 0xf7, 0x72, 0x83, 0x22, 0xda, 0xab, 0x3a, 0x61, 0x90,
};

/*
 * openssl req -x509 -new -key k.pem -days 30 -utf8 -set_serial -5 -subj "/C=JP/O=Café/CN=日本語"
 * with string_mask = default: "Café" is a T61String, "日本語" a BMPString.
 */
static const uint8_t cert_bmp[] = {
    0x30, 0x82, 0x01, 0x42, 0x30, 0x81, 0xe8, 0x02, 0x01, 0xfb, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x2d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04,
    0x06, 0x13, 0x02, 0x4a, 0x50, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x14, 0x04,
    0x43, 0x61, 0x66, 0xe9, 0x31, 0x0f, 0x30, 0x0d, 0x06, 0x03, 0x55, 0x04, 0x03, 0x1e, 0x06, 0x65,
    0xe5, 0x67, 0x2c, 0x8a, 0x9e, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x35, 0x31,
    0x39, 0x30, 0x39, 0x34, 0x36, 0x5a, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x32, 0x32, 0x35, 0x31, 0x39,
    0x30, 0x39, 0x34, 0x36, 0x5a, 0x30, 0x2d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06,
    0x13, 0x02, 0x4a, 0x50, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x14, 0x04, 0x43,
    0x61, 0x66, 0xe9, 0x31, 0x0f, 0x30, 0x0d, 0x06, 0x03, 0x55, 0x04, 0x03, 0x1e, 0x06, 0x65, 0xe5,
    0x67, 0x2c, 0x8a, 0x9e, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x21,
    0xba, 0x24, 0x0c, 0x89, 0x70, 0x99, 0x59, 0x56, 0xba, 0xdf, 0x95, 0x36, 0x28, 0xb9, 0x9f, 0x67,
    0xec, 0x73, 0x45, 0xb8, 0x83, 0x97, 0xa7, 0x65, 0xc3, 0x47, 0x34, 0x59, 0x12, 0xa0, 0xfb, 0x3d,
    0xa2, 0x1c, 0x91, 0x08, 0x3f, 0xbc, 0x1d, 0x6c, 0x0a, 0xa6, 0x6b, 0x9f, 0xc8, 0x38, 0xcd, 0xc3,
    0x11, 0x07, 0xab, 0x20, 0xdd, 0xc7, 0xd9, 0x3c, 0x97, 0x4f, 0x7c, 0x04, 0x42, 0xb6, 0xea, 0x30,
    0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x49, 0x00, 0x30, 0x46,
    0x02, 0x21, 0x00, 0xe8, 0x81, 0x9d, 0xeb, 0xd9, 0x2a, 0x38, 0x00, 0x5b, 0xe6, 0x28, 0x29, 0x04,
    0xa8, 0xe3, 0x7a, 0x61, 0xd0, 0x39, 0x47, 0x6b, 0xec, 0x5e, 0x77, 0x2b, 0xcc, 0x72, 0x78, 0x5e,
    0x3c, 0x39, 0x58, 0x02, 0x21, 0x00, 0x88, 0x6c, 0xba, 0xcc, 0x19, 0xae, 0x8d, 0x4b, 0xa3, 0xa1,
    0x9c, 0xe9, 0x40, 0x73, 0x5a, 0x4f, 0x5f, 0xd6, 0xfc, 0x46, 0x5b, 0xfd, 0x87, 0xd8, 0x22, 0xbe,
    0xdb, 0x55, 0x61, 0x30, 0x00, 0x76,
};

/* ---- running the writer ---- */

struct out {
    char s[8192];
    int rc;
};

/* Runs ot_tls_cert_write() inside an object and keeps the document. */
static void run(const uint8_t *der, size_t len, struct out *o)
{
    struct ot_jw w;
    assert_int_equal(ot_jw_init(&w, 256, 1 << 20), 0);
    ot_jw_obj_open(&w, NULL);
    o->rc = ot_tls_cert_write(&w, der, len);
    ot_jw_obj_close(&w);
    assert_true(ot_jw_ok(&w));
    assert_true(w.len < sizeof(o->s));
    memcpy(o->s, w.buf, w.len);
    o->s[w.len] = '\0';
    ot_jw_free(&w);
}

/* The value of `key` in the document, or NULL when absent. */
static const char *field(const struct out *o, const char *key, char *buf, size_t cap)
{
    json_error_t err;
    json_t *j = json_loads(o->s, 0, &err);
    assert_non_null(j);
    json_t *v = json_object_get(j, key);
    const char *r = NULL;
    if (v) {
        assert_true(json_is_string(v));
        snprintf(buf, cap, "%s", json_string_value(v));
        r = buf;
    }
    json_decref(j);
    return r;
}

static void assert_field(const struct out *o, const char *key, const char *want)
{
    char buf[4096];
    const char *got = field(o, key, buf, sizeof(buf));
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* What a certificate that does not decode gives: its fingerprint alone. */
static void assert_rejected(const uint8_t *der, size_t len)
{
    struct out o;
    run(der, len, &o);
    assert_int_equal(o.rc, OT_EINVAL);
    uint8_t md[OT_SHA1_LEN];
    ot_sha1(der, len, md);
    char want[128] = "{\"fingerprint\":\"";
    size_t n = strlen(want);
    for (size_t i = 0; i < sizeof(md); i++)
        n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%02x", i ? ":" : "", md[i]);
    snprintf(want + n, sizeof(want) - n, "\"}");
    assert_string_equal(o.s, want);
}

/* ---- building certificates ---- */

struct der {
    uint8_t b[16384];
    size_t n;
};

static void put(struct der *d, const void *p, size_t n)
{
    assert_true(n <= sizeof(d->b) - d->n);
    memcpy(d->b + d->n, p, n);
    d->n += n;
}

/* Appends tag, DER length and content. */
static void tlv(struct der *d, uint8_t tag, const void *c, size_t n)
{
    uint8_t h[6] = {tag};
    size_t k = 1;
    if (n < 0x80) {
        h[k++] = (uint8_t)n;
    } else if (n < 0x100) {
        h[k++] = 0x81;
        h[k++] = (uint8_t)n;
    } else {
        h[k++] = 0x82;
        h[k++] = (uint8_t)(n >> 8);
        h[k++] = (uint8_t)n;
    }
    put(d, h, k);
    put(d, c, n);
}

static void wrap(struct der *d, uint8_t tag, const struct der *c)
{
    tlv(d, tag, c->b, c->n);
}

/* An attribute: SEQUENCE { OID (content bytes), value (tag, bytes) }. */
static void atv(struct der *set, const char *oid, size_t oid_len, uint8_t tag, const void *v,
                size_t n)
{
    struct der a = {.n = 0};
    tlv(&a, 0x06, oid, oid_len);
    tlv(&a, tag, v, n);
    wrap(set, 0x30, &a);
}

#define OID_CN  "\x55\x04\x03"
#define OID_O   "\x55\x04\x0a"
#define OID_UID "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01"

/* Name ::= SEQUENCE { SET { CN=test } } */
static void name_cn(struct der *d, const char *cn)
{
    struct der set = {.n = 0}, rdn = {.n = 0};
    atv(&set, OID_CN, 3, 0x0c, cn, strlen(cn));
    wrap(&rdn, 0x31, &set);
    wrap(d, 0x30, &rdn);
}

struct parts {
    const struct der *serial;   /* whole INTEGER; NULL: 02 01 01 */
    const struct der *subject;  /* whole Name; NULL: CN=test */
    const struct der *validity; /* whole SEQUENCE; NULL: 2020..2030 */
};

/* A v3 certificate around the given parts; the signature is not a real one. */
static void build(struct der *out, const struct parts *p)
{
    static const uint8_t ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    static const uint8_t spki_alg[] = {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
                                       0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    struct der tbs = {.n = 0}, t = {.n = 0}, cert = {.n = 0};
    put(&tbs, "\xa0\x03\x02\x01\x02", 5);
    if (p->serial)
        put(&tbs, p->serial->b, p->serial->n);
    else
        put(&tbs, "\x02\x01\x01", 3);
    put(&tbs, ecdsa_sha256, sizeof(ecdsa_sha256));
    name_cn(&tbs, "test");
    if (p->validity) {
        put(&tbs, p->validity->b, p->validity->n);
    } else {
        t.n = 0;
        tlv(&t, 0x17, "200101000000Z", 13);
        tlv(&t, 0x17, "300101000000Z", 13);
        wrap(&tbs, 0x30, &t);
    }
    if (p->subject)
        put(&tbs, p->subject->b, p->subject->n);
    else
        name_cn(&tbs, "test");
    t.n = 0;
    put(&t, spki_alg, sizeof(spki_alg));
    uint8_t point[66] = {0x00, 0x04};
    memset(point + 2, 0x11, sizeof(point) - 2);
    tlv(&t, 0x03, point, sizeof(point));
    wrap(&tbs, 0x30, &t);
    wrap(&cert, 0x30, &tbs);
    put(&cert, ecdsa_sha256, sizeof(ecdsa_sha256));
    tlv(&cert, 0x03, "\x00\x30\x00", 3);
    out->n = 0;
    wrap(out, 0x30, &cert);
}

/* ---- tests ---- */

static void test_utf8_multivalued_email(void **state)
{
    (void)state;
    struct out o;
    run(cert_utf8, sizeof(cert_utf8), &o);
    assert_int_equal(o.rc, OT_OK);
    assert_string_equal(o.s,
                        "{\"subject\":\"DC=com, DC=example, O=Ünïcødé GmbH, CN=alice + UID=a1, "
                        "Email=alice@example.com\",\"issuerdn\":\"DC=com, DC=example, "
                        "O=Ünïcødé GmbH, CN=alice + UID=a1, Email=alice@example.com\","
                        "\"serial\":\"00:FF\",\"fingerprint\":\"12:5c:8f:ad:ad:da:5c:df:2f:"
                        "7b:c2:0c:d5:05:e8:f8:b9:5b:41:83\",\"notbefore\":\"2026-11-25T19:09:46\","
                        "\"notafter\":\"2036-11-22T19:09:46\"}");
}

static void test_bmp_t61_negative_serial(void **state)
{
    (void)state;
    struct out o;
    run(cert_bmp, sizeof(cert_bmp), &o);
    assert_int_equal(o.rc, OT_OK);
    /* T61String bytes as they are (0xe9 is written as \u00e9), BMPString as UTF-8. */
    assert_string_equal(o.s, "{\"subject\":\"C=JP, O=Caf\\u00e9, CN=日本語\",\"issuerdn\":"
                             "\"C=JP, O=Caf\\u00e9, CN=日本語\",\"serial\":\"FB\","
                             "\"fingerprint\":\"fc:e7:98:b1:1e:ad:02:9b:22:7a:3c:04:7b:a1:f8:"
                             "74:8a:d4:d8:ea\",\"notbefore\":\"2026-11-25T19:09:46\","
                             "\"notafter\":\"2026-12-25T19:09:46\"}");
}

struct time_case {
    uint8_t tag; /* 0x17 UTCTime, 0x18 GeneralizedTime */
    const char *text;
    const char *want; /* NULL: not written */
};

static void test_times(void **state)
{
    (void)state;
    static const struct time_case cases[] = {
        {0x17, "491231235959Z", "2049-12-31T23:59:59"},
        {0x17, "500101000000Z", "1950-01-01T00:00:00"},
        {0x17, "991231235959Z", "1999-12-31T23:59:59"},
        {0x17, "000229000000Z", "2000-02-29T00:00:00"},
        {0x17, "010229000000Z", NULL},
        {0x17, "4912312359Z", "2049-12-31T23:59:00"},
        {0x17, "200101000000+0100", "2019-12-31T23:00:00"},
        {0x17, "200101000000-1259", "2020-01-01T12:59:00"},
        {0x17, "200101000000+1300", NULL},
        {0x17, "200101240000Z", NULL},
        {0x17, "200101000060Z", NULL},
        {0x17, "200101000000", NULL},
        {0x17, "200101000000z", NULL},
        {0x17, "20010100000Z", NULL},
        {0x18, "20500101000000Z", "2050-01-01T00:00:00"},
        {0x18, "99991231235959Z", "9999-12-31T23:59:59"},
        {0x18, "99991231235959-0100", NULL},
        {0x18, "00000101000000Z", "0000-01-01T00:00:00"},
        {0x18, "18991231230000-0200", "1900-01-01T01:00:00"},
        {0x18, "19000101000000+0100", NULL},
        {0x18, "20200101000000.123+0100", "2019-12-31T23:00:00"},
        {0x18, "20200101000000.5Z", "2020-01-01T00:00:00"},
        {0x18, "20200101000000.Z", NULL},
        {0x18, "202001010000Z", "2020-01-01T00:00:00"},
        {0x18, "2020010100Z", NULL},
        {0x18, "21000229120000Z", NULL},
        {0x18, "20000229120000Z", "2000-02-29T12:00:00"},
        {0x18, "20201231233000-0045", "2021-01-01T00:15:00"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct time_case *c = &cases[i];
        struct der val = {.n = 0}, t = {.n = 0}, cert;
        tlv(&t, c->tag, c->text, strlen(c->text));
        tlv(&t, 0x17, "300101000000Z", 13);
        wrap(&val, 0x30, &t);
        struct parts p = {.validity = &val};
        build(&cert, &p);
        struct out o;
        run(cert.b, cert.n, &o);
        assert_int_equal(o.rc, OT_OK);
        assert_field(&o, "notbefore", c->want);
        assert_field(&o, "notafter", "2030-01-01T00:00:00");
    }
}

static void test_name_values(void **state)
{
    (void)state;
    struct der set = {.n = 0}, rdns = {.n = 0}, subj = {.n = 0}, cert;
    /* Multi-valued: CN=a + UID=b; an empty RDN is skipped; then O=o. */
    atv(&set, OID_CN, 3, 0x13, "a", 1);
    atv(&set, OID_UID, 10, 0x0c, "b", 1);
    wrap(&rdns, 0x31, &set);
    tlv(&rdns, 0x31, "", 0);
    set.n = 0;
    atv(&set, OID_O, 3, 0x0c, "o", 1);
    /* Non-string types as upper-case hex: BIT STRING without its unused bits. */
    atv(&set, "\x55\x04\x2d", 3, 0x03, "\x04\xab\xff", 3);
    /* A SEQUENCE value as its whole encoding. */
    atv(&set, "\x55\x04\x05", 3, 0x30, "\x02\x01\x05", 3);
    /* Unknown attribute types as dotted OIDs, arcs past 64 bits included. */
    atv(&set, "\x2a\x03\x04", 3, 0x16, "x", 1);
    atv(&set, "\x88\x37\x84\xfe\xa0\xec\xe4\xc6\xdf\xb2\xb6\x96\xf1\xe6\x82\x15", 16, 0x0c, "y", 1);
    /* BMPString and UniversalString to UTF-8. */
    atv(&set, OID_CN, 3, 0x1e, "\x00\xe9\x65\xe5", 4);
    atv(&set, OID_CN, 3, 0x1c, "\x00\x01\xf6\x00", 4);
    wrap(&rdns, 0x31, &set);
    wrap(&subj, 0x30, &rdns);
    struct parts p = {.subject = &subj};
    build(&cert, &p);
    struct out o;
    run(cert.b, cert.n, &o);
    assert_int_equal(o.rc, OT_OK);
    assert_field(&o, "subject",
                 "CN=a + UID=b, O=o + x500UniqueIdentifier=ABF0 + serialNumber=300302010"
                 "5 + 1.2.3.4=x + 2.999.12345678901234567890123456789=y + CN=é日 + CN=😀");
    assert_field(&o, "issuerdn", "CN=test");
}

/*
 * Attribute keys: X.520 types (2.5.4.x) by their last byte, including the
 * first and last known ones, unknown ones in the gaps and past the end, and
 * near misses of the 3-byte form; the other arcs by their whole encoding.
 */
static void test_attribute_keys(void **state)
{
    (void)state;
    static const struct {
        const char *oid;
        size_t n;
        const char *key;
    } keys[] = {
        {"\x55\x04\x03", 3, "CN"},
        {"\x55\x04\x36", 3, "dmdName"},
        {"\x55\x04\x41", 3, "pseudonym"},
        {"\x55\x04\x61", 3, "organizationIdentifier"},
        {"\x55\x04\x64", 3, "dnsName"},
        {"\x55\x04\x37", 3, "2.5.4.55"},
        {"\x55\x04\x65", 3, "2.5.4.101"},
        {"\x55\x04\x7f", 3, "2.5.4.127"},
        {"\x55\x04\x81\x00", 4, "2.5.4.128"},
        {"\x55\x05\x03", 3, "2.5.5.3"},
        {"\x56\x04\x03", 3, "2.6.4.3"},
        {"\x55\x04", 2, "2.5.4"},
        {"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", 9, "Email"},
        {"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x15", 9, "localKeyID"},
        {"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x16", 9, "1.2.840.113549.1.9.22"},
        {"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", 10, "DC"},
        {"\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x03", 11, "jurisdictionC"},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct der set = {.n = 0}, rdn = {.n = 0}, subj = {.n = 0}, cert;
        atv(&set, keys[i].oid, keys[i].n, 0x0c, "v", 1);
        wrap(&rdn, 0x31, &set);
        wrap(&subj, 0x30, &rdn);
        struct parts p = {.subject = &subj};
        build(&cert, &p);
        struct out o;
        run(cert.b, cert.n, &o);
        assert_int_equal(o.rc, OT_OK);
        char want[64];
        snprintf(want, sizeof(want), "%s=v", keys[i].key);
        assert_field(&o, "subject", want);
    }
}

static void test_name_rejects(void **state)
{
    (void)state;
    static const struct {
        uint8_t tag;
        const char *v;
        size_t n;
    } bad[] = {
        {0x0c, "\xc0\x80", 2},         /* overlong UTF-8 */
        {0x0c, "\xed\xa0\x80", 3},     /* UTF-8 surrogate */
        {0x1e, "\xd8\x00", 2},         /* BMPString surrogate */
        {0x1e, "\x00\x61\x00", 3},     /* odd BMPString */
        {0x1c, "\x00\x11\x00\x00", 4}, /* beyond U+10FFFF */
        {0x1a, "v", 1},                /* VisibleString: not a type OpenSSL takes here */
        {0x04, "o", 1},                /* OCTET STRING */
        {0x03, "\x08\xff", 2},         /* BIT STRING with 8 unused bits */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct der set = {.n = 0}, rdn = {.n = 0}, subj = {.n = 0}, cert;
        atv(&set, OID_CN, 3, bad[i].tag, bad[i].v, bad[i].n);
        wrap(&rdn, 0x31, &set);
        wrap(&subj, 0x30, &rdn);
        struct parts p = {.subject = &subj};
        build(&cert, &p);
        assert_rejected(cert.b, cert.n);
    }
}

static void test_serials(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        size_t n;
        const char *want; /* NULL: the certificate is rejected */
    } cases[] = {
        {"\x00\xff", 2, "00:FF"},        {"\xfb", 1, "FB"},     {"\x00", 1, "00"},
        {"\xff\x00\x00", 3, "FF:00:00"}, {"\x00\x01", 2, NULL}, /* not minimal */
        {"\xff\x80", 2, NULL},           {"", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct der ser = {.n = 0}, cert;
        tlv(&ser, 0x02, cases[i].v, cases[i].n);
        struct parts p = {.serial = &ser};
        build(&cert, &p);
        if (!cases[i].want) {
            assert_rejected(cert.b, cert.n);
            continue;
        }
        struct out o;
        run(cert.b, cert.n, &o);
        assert_int_equal(o.rc, OT_OK);
        assert_field(&o, "serial", cases[i].want);
    }
    /* A serial longer than 64 bytes is cut to 64. */
    uint8_t longer[70];
    for (size_t i = 0; i < sizeof(longer); i++)
        longer[i] = (uint8_t)(i + 1);
    struct der ser = {.n = 0}, cert;
    tlv(&ser, 0x02, longer, sizeof(longer));
    struct parts p = {.serial = &ser};
    build(&cert, &p);
    struct out o;
    run(cert.b, cert.n, &o);
    assert_int_equal(o.rc, OT_OK);
    char buf[512];
    const char *got = field(&o, "serial", buf, sizeof(buf));
    assert_non_null(got);
    assert_int_equal(strlen(got), 64 * 3 - 1);
    assert_memory_equal(got, "01:02:03", 8);
}

static void test_trailing_bytes_and_limits(void **state)
{
    (void)state;
    uint8_t buf[sizeof(cert_bmp) + 2];
    memcpy(buf, cert_bmp, sizeof(cert_bmp));
    buf[sizeof(cert_bmp)] = 0xde;
    buf[sizeof(cert_bmp) + 1] = 0xad;
    struct out o;
    run(buf, sizeof(buf), &o);
    assert_int_equal(o.rc, OT_OK);
    assert_field(&o, "serial", "FB");
    run(cert_bmp, 0, &o);
    assert_int_equal(o.rc, OT_EINVAL);
    assert_string_equal(o.s, "{}");
}

static void test_truncated_at_every_length(void **state)
{
    (void)state;
    for (size_t n = 1; n < sizeof(cert_utf8); n++)
        assert_rejected(cert_utf8, n);
    for (size_t n = 1; n < sizeof(cert_bmp); n++)
        assert_rejected(cert_bmp, n);
}

static void test_flipped_bytes_do_not_crash(void **state)
{
    (void)state;
    uint8_t buf[sizeof(cert_utf8)];
    for (size_t i = 0; i < sizeof(buf); i++) {
        for (unsigned v = 0; v < 256; v += 51) {
            memcpy(buf, cert_utf8, sizeof(buf));
            buf[i] = (uint8_t)(buf[i] ^ v ^ 0x80);
            struct out o;
            run(buf, sizeof(buf), &o);
            assert_true(o.rc == OT_OK || o.rc == OT_EINVAL);
            assert_non_null(strstr(o.s, "\"fingerprint\":"));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_multivalued_email),
        cmocka_unit_test(test_bmp_t61_negative_serial),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_name_values),
        cmocka_unit_test(test_attribute_keys),
        cmocka_unit_test(test_name_rejects),
        cmocka_unit_test(test_serials),
        cmocka_unit_test(test_trailing_bytes_and_limits),
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_flipped_bytes_do_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
