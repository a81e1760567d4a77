/*
 * X.509 certificate fields for the "tls" event (see tls-cert.h).
 *
 * Names are rendered the way Suricata (x509-parser) does: relative names in
 * the order of the certificate joined by ", ", attributes of one multi-valued
 * name joined by " + ", short keys CN/C/L/ST/O/OU/DC/Email, else OpenSSL's
 * short name, else the dotted OID; string values as their bytes, other types
 * as upper-case hex.  The serial is the INTEGER's content bytes exactly as
 * encoded (a leading 00 stays), which is why it is read from the DER here
 * rather than from OpenSSL's normalised ASN1_INTEGER.
 */
#include "proto/tls-cert.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "otasuke/error.h"

/* A rendered name longer than this is cut (real ones are a few hundred bytes). */
#define NAME_MAX_LEN 2048
/* Serial numbers are at most 20 bytes by RFC 5280; longer ones are cut. */
#define SERIAL_MAX 64

struct sbuf {
    char *b;
    size_t len, cap;
};

static void sb_put(struct sbuf *s, const void *p, size_t n)
{
    if (n > s->cap - s->len)
        n = s->cap - s->len;
    memcpy(s->b + s->len, p, n);
    s->len += n;
}

static void sb_str(struct sbuf *s, const char *str)
{
    sb_put(s, str, strlen(str));
}

static const char *attr_key(const ASN1_OBJECT *o, char *tmp, size_t cap)
{
    int nid = OBJ_obj2nid(o);
    switch (nid) {
    case NID_commonName:
        return "CN";
    case NID_countryName:
        return "C";
    case NID_localityName:
        return "L";
    case NID_stateOrProvinceName:
        return "ST";
    case NID_organizationName:
        return "O";
    case NID_organizationalUnitName:
        return "OU";
    case NID_domainComponent:
        return "DC";
    case NID_pkcs9_emailAddress:
        return "Email";
    case NID_undef:
        break;
    default: {
        const char *sn = OBJ_nid2sn(nid);
        if (sn)
            return sn;
        break;
    }
    }
    if (OBJ_obj2txt(tmp, (int)cap, o, 1) <= 0)
        return "?";
    return tmp;
}

static void put_value(struct sbuf *s, const ASN1_STRING *v)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *d = ASN1_STRING_get0_data(v);
    int n = ASN1_STRING_length(v);
    if (!d || n <= 0)
        return;
    switch (ASN1_STRING_type(v)) {
    case V_ASN1_BMPSTRING:
    case V_ASN1_UNIVERSALSTRING: {
        unsigned char *u = NULL;
        int un = ASN1_STRING_to_UTF8(&u, v);
        if (un > 0)
            sb_put(s, u, (size_t)un);
        OPENSSL_free(u);
        return;
    }
    case V_ASN1_UTF8STRING:
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_T61STRING:
    case V_ASN1_NUMERICSTRING:
    case V_ASN1_VISIBLESTRING:
    case V_ASN1_GENERALSTRING:
    case V_ASN1_GRAPHICSTRING:
    case V_ASN1_VIDEOTEXSTRING:
    case V_ASN1_OBJECT_DESCRIPTOR:
        sb_put(s, d, (size_t)n);
        return;
    default:
        for (int i = 0; i < n && s->len + 2 <= s->cap; i++) {
            char h[2] = {hex[d[i] >> 4], hex[d[i] & 15]};
            sb_put(s, h, 2);
        }
        return;
    }
}

static void write_name(struct ot_jw *w, const char *key, const X509_NAME *nm)
{
    char buf[NAME_MAX_LEN];
    struct sbuf s = {buf, 0, sizeof(buf)};
    int prev_set = -1;
    int cnt = X509_NAME_entry_count(nm);
    for (int i = 0; i < cnt; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
        if (!e)
            continue;
        int set = X509_NAME_ENTRY_set(e);
        if (i > 0)
            sb_str(&s, set == prev_set ? " + " : ", ");
        prev_set = set;
        char oid[80];
        sb_str(&s, attr_key(X509_NAME_ENTRY_get_object(e), oid, sizeof(oid)));
        sb_put(&s, "=", 1);
        put_value(&s, X509_NAME_ENTRY_get_data(e));
    }
    ot_jw_strn(w, key, buf, s.len);
}

static void write_time(struct ot_jw *w, const char *key, const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return;
    char buf[80];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    ot_jw_str(w, key, buf);
}

/* Reads one DER tag and definite length at *off; leaves *off at the content. */
static bool der_tl(const uint8_t *p, size_t n, size_t *off, uint8_t *tag, size_t *len)
{
    size_t o = *off;
    if (o + 2 > n)
        return false;
    *tag = p[o++];
    size_t l = p[o++];
    if (l & 0x80) {
        size_t k = l & 0x7f;
        if (k == 0 || k > 4 || o + k > n)
            return false;
        l = 0;
        for (size_t i = 0; i < k; i++)
            l = (l << 8) | p[o++];
    }
    if (l > n - o)
        return false;
    *off = o;
    *len = l;
    return true;
}

/* Certificate ::= SEQUENCE { tbs SEQUENCE { [0] version OPTIONAL, serial INTEGER, ... } } */
static bool der_serial(const uint8_t *p, size_t n, const uint8_t **ser, size_t *ser_len)
{
    size_t off = 0, len;
    uint8_t tag;
    if (!der_tl(p, n, &off, &tag, &len) || tag != 0x30)
        return false;
    if (!der_tl(p, n, &off, &tag, &len) || tag != 0x30)
        return false;
    size_t end = off + len;
    if (!der_tl(p, end, &off, &tag, &len))
        return false;
    if (tag == 0xa0) {
        off += len;
        if (!der_tl(p, end, &off, &tag, &len))
            return false;
    }
    if (tag != 0x02 || len == 0)
        return false;
    *ser = p + off;
    *ser_len = len;
    return true;
}

static void write_serial(struct ot_jw *w, const uint8_t *der, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const uint8_t *ser;
    size_t n;
    if (!der_serial(der, len, &ser, &n))
        return;
    if (n > SERIAL_MAX)
        n = SERIAL_MAX;
    char buf[SERIAL_MAX * 3];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf[o++] = ':';
        buf[o++] = hex[ser[i] >> 4];
        buf[o++] = hex[ser[i] & 15];
    }
    ot_jw_strn(w, "serial", buf, o);
}

int ot_tls_cert_write(struct ot_jw *w, const uint8_t *der, size_t len)
{
    /* A TLS certificate entry has a 24-bit length. */
    if (len == 0 || len > 0xffffff)
        return OT_EINVAL;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x) {
        write_name(w, "subject", X509_get_subject_name(x));
        write_name(w, "issuerdn", X509_get_issuer_name(x));
        write_serial(w, der, len);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(der, len, md, &mdlen, EVP_sha1(), NULL) == 1 && mdlen == 20)
        ot_jw_hex(w, "fingerprint", md, mdlen, ':');
    if (!x)
        return OT_EINVAL;
    write_time(w, "notbefore", X509_get0_notBefore(x));
    write_time(w, "notafter", X509_get0_notAfter(x));
    X509_free(x);
    return OT_OK;
}
