/*
 * X.509 certificate fields for the "tls" event (see tls-cert.h).
 *
 * This walks the DER itself instead of calling OpenSSL's d2i_X509: OpenSSL 3
 * decodes the public key through its provider machinery, taking locks, on
 * every certificate, and that cost 30% of all sensor instructions on a mixed
 * capture.  We only need the names, the serial and the validity.
 *
 * The output is the one the OpenSSL-based version wrote, byte for byte:
 *
 * - A certificate is accepted exactly when d2i_X509 accepted it, for DER and
 *   the BER liberties OpenSSL allows cheaply (long-form and non-minimal
 *   lengths, high tag numbers, SEQUENCE OF / SET OF with the constructed bit
 *   clear, trailing bytes after the certificate).  Indefinite lengths and
 *   constructed (segmented) strings, which d2i_X509 also accepts, are
 *   rejected here; no real certificate uses them.  Every field is checked as
 *   OpenSSL checks it: minimal INTEGERs, OBJECT IDENTIFIER encoding, BIT
 *   STRING unused bits, NULL/BOOLEAN lengths, BMPString/UniversalString
 *   lengths, the string types
 *   allowed in a name, and names whose strings do not convert to UTF-8.  The
 *   public key is not decoded (OpenSSL ignores failures there too).
 * - Names are rendered as Suricata (x509-parser) does: relative names in the
 *   order of the certificate joined by ", ", attributes of one multi-valued
 *   name joined by " + ", short keys CN/C/L/ST/O/OU/DC/Email, else OpenSSL's
 *   short name (table below), else the dotted OID (cut at 79 characters, "?"
 *   past 586 bytes, as OBJ_obj2txt does); BMPString and UniversalString as UTF-8, the other string
 *   types as their bytes, other types as upper-case hex.
 * - The serial is the INTEGER's content bytes exactly as encoded (a leading
 *   00 stays).
 * - Times are converted as ASN1_TIME_to_tm does (UTCTime years 50-99 are
 *   19xx, optional seconds, fractional seconds and +hhmm/-hhmm offsets applied
 *   to give UTC); a time that does not convert is left out.
 *
 * Nothing is allocated; lengths are checked against the enclosing element
 * before every read, and the walk has no recursion.
 */
#include "proto/tls-cert.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/json.h"
#include "core/sha1.h"
#include "core/util.h"
#include "otasuke/error.h"

/* Serial numbers are at most 20 bytes by RFC 5280; longer ones are cut. */
#define SERIAL_MAX 64
/* OpenSSL's X509_NAME_MAX: a longer encoded name does not decode. */
#define NAME_DER_MAX (1024 * 1024)
/* OBJ_obj2txt() into an 80-byte buffer: longer dotted OIDs are cut. */
#define OID_TXT_CAP 80
/* OBJ_obj2txt() refuses longer OIDs (128 sub-identifiers of 32 bits). */
#define OID_TXT_MAX_DER 586

/* Universal tag numbers. */
enum {
    TAG_BOOLEAN = 1,
    TAG_INTEGER = 2,
    TAG_BIT_STRING = 3,
    TAG_OCTET_STRING = 4,
    TAG_NULL = 5,
    TAG_OID = 6,
    TAG_OBJECT_DESCRIPTOR = 7,
    TAG_ENUMERATED = 10,
    TAG_UTF8STRING = 12,
    TAG_SEQUENCE = 16,
    TAG_SET = 17,
    TAG_NUMERICSTRING = 18,
    TAG_PRINTABLESTRING = 19,
    TAG_T61STRING = 20,
    TAG_IA5STRING = 22,
    TAG_UTCTIME = 23,
    TAG_GENERALIZEDTIME = 24,
    TAG_UNIVERSALSTRING = 28,
    TAG_BMPSTRING = 30,
};

#define CLASS_UNIVERSAL 0x00
#define CLASS_CONTEXT   0x80

/*
 * Universal tags OpenSSL accepts as the value of a name attribute
 * (B_ASN1_PRINTABLE through ASN1_tag2bit()): BIT STRING, ObjectDescriptor,
 * EXTERNAL, REAL, EMBEDDED PDV, UTF8String, RELATIVE-OID, TIME, 15, SEQUENCE,
 * NumericString, PrintableString, T61String, IA5String, UniversalString,
 * CHARACTER STRING, BMPString.
 */
#define NAME_VALUE_TAGS                                                                            \
    ((1u << 3) | (1u << 7) | (1u << 8) | (1u << 9) | (1u << 11) | (1u << 12) | (1u << 13) |        \
     (1u << 14) | (1u << 15) | (1u << 16) | (1u << 18) | (1u << 19) | (1u << 20) | (1u << 22) |    \
     (1u << 28) | (1u << 29) | (1u << 30))

/* One decoded header: the element is hdr + len bytes from its start. */
struct tlv {
    uint8_t cls; /* 0x00 universal, 0x40 application, 0x80 context, 0xc0 private */
    bool cons;
    uint32_t tag;
    const uint8_t *v; /* content */
    size_t len;
    size_t hdr;
};

/* The unread rest of an element's content. */
struct rd {
    const uint8_t *p;
    size_t n;
};

/*
 * Reads the header at the start of `r` as ASN1_get_object() does: high tag
 * numbers, long-form lengths with leading zeros, and OpenSSL's rule that a
 * long-form length must be followed by at least one byte.  Indefinite
 * lengths are refused.  Does not consume.
 */
static bool tlv_peek(const struct rd *r, struct tlv *t)
{
    const uint8_t *p = r->p;
    size_t max = r->n, o = 0;
    if (max >= 2 && (p[0] & 0x1f) != 0x1f && !(p[1] & 0x80)) {
        /* Most headers: a low tag number and a short-form length. */
        if (p[1] > max - 2)
            return false;
        t->cls = p[0] & 0xc0;
        t->cons = (p[0] & 0x20) != 0;
        t->tag = p[0] & 0x1f;
        t->v = p + 2;
        t->len = p[1];
        t->hdr = 2;
        return true;
    }
    if (max == 0)
        return false;
    uint8_t b = p[o++];
    t->cls = b & 0xc0;
    t->cons = (b & 0x20) != 0;
    if ((b & 0x1f) == 0x1f) {
        uint32_t l = 0;
        if (--max == 0)
            return false;
        while (p[o] & 0x80) {
            l = (l << 7) | (p[o++] & 0x7f);
            if (--max == 0 || l > (INT32_MAX >> 7))
                return false;
        }
        l = (l << 7) | (p[o++] & 0x7f);
        t->tag = l;
    } else {
        t->tag = b & 0x1f;
    }
    if (--max == 0)
        return false;
    uint8_t c = p[o++];
    max--;
    size_t len;
    if (c == 0x80) {
        return false;
    } else if (c & 0x80) {
        size_t k = c & 0x7f;
        if (max < k)
            return false;
        while (k > 0 && p[o] == 0) {
            o++;
            k--;
        }
        if (k > sizeof(uint64_t))
            return false;
        uint64_t l = 0;
        while (k > 0) {
            l = (l << 8) | p[o++];
            k--;
        }
        if (l > INT64_MAX || l > r->n - o)
            return false;
        len = (size_t)l;
    } else {
        len = c;
        if (len > r->n - o)
            return false;
    }
    t->v = p + o;
    t->len = len;
    t->hdr = o;
    return true;
}

static void rd_skip(struct rd *r, const struct tlv *t)
{
    r->p += t->hdr + t->len;
    r->n -= t->hdr + t->len;
}

static struct rd rd_of(const struct tlv *t)
{
    struct rd r = {t->v, t->len};
    return r;
}

/* An end-of-contents marker, which OpenSSL refuses in definite-length content. */
static bool rd_eoc(const struct rd *r)
{
    return r->n >= 2 && r->p[0] == 0 && r->p[1] == 0;
}

/* Reads and consumes a mandatory element with this class and tag. */
static bool rd_get(struct rd *r, uint8_t cls, uint32_t tag, struct tlv *t)
{
    if (rd_eoc(r) || !tlv_peek(r, t) || t->cls != cls || t->tag != tag)
        return false;
    rd_skip(r, t);
    return true;
}

/* An OPTIONAL element: 1 read, 0 absent, -1 malformed. */
static int rd_opt(struct rd *r, uint8_t cls, uint32_t tag, struct tlv *t)
{
    if (r->n == 0)
        return 0;
    if (rd_eoc(r) || !tlv_peek(r, t))
        return -1;
    if (t->cls != cls || t->tag != tag)
        return 0;
    rd_skip(r, t);
    return 1;
}

/* c2i_ASN1_INTEGER(): not empty, no redundant leading 00 or FF. */
static bool int_ok(const uint8_t *v, size_t n)
{
    if (n == 0)
        return false;
    if (n > 1 && ((v[0] == 0x00 && !(v[1] & 0x80)) || (v[0] == 0xff && (v[1] & 0x80))))
        return false;
    return true;
}

/* c2i_ASN1_OBJECT(): not empty, last byte ends a sub-identifier, no 0x80 padding. */
static bool oid_ok(const uint8_t *v, size_t n)
{
    if (n == 0 || (v[n - 1] & 0x80))
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] == 0x80 && (i == 0 || !(v[i - 1] & 0x80)))
            return false;
    return true;
}

/* c2i_ASN1_BIT_STRING(): the unused-bits byte is present and at most 7. */
static bool bits_ok(const uint8_t *v, size_t n)
{
    return n >= 1 && v[0] <= 7;
}

/*
 * The content checks OpenSSL's primitive decoder applies to a universal
 * type (asn1_d2i_ex_primitive, asn1_ex_c2i).  Constructed strings are BER
 * that OpenSSL reassembles; we refuse them.
 */
static bool univ_ok(const struct tlv *t)
{
    if (t->tag == TAG_SEQUENCE || t->tag == TAG_SET)
        return t->cons;
    if (t->cons)
        return false;
    switch (t->tag) {
    case TAG_OID:
        return oid_ok(t->v, t->len);
    case TAG_NULL:
        return t->len == 0;
    case TAG_BOOLEAN:
        return t->len == 1;
    case TAG_BIT_STRING:
        return bits_ok(t->v, t->len);
    case TAG_INTEGER:
    case TAG_ENUMERATED:
        return int_ok(t->v, t->len);
    case TAG_BMPSTRING:
        return (t->len & 1) == 0;
    case TAG_UNIVERSALSTRING:
        return (t->len & 3) == 0;
    default:
        return true;
    }
}

/* ANY (an AlgorithmIdentifier's parameters): a universal type or anything tagged. */
static bool any_ok(const struct tlv *t)
{
    return t->cls != CLASS_UNIVERSAL || univ_ok(t);
}

/* Checks a mandatory primitive of this universal tag (INTEGER, BIT STRING...). */
static bool rd_prim(struct rd *r, uint32_t tag, struct tlv *t)
{
    return rd_get(r, CLASS_UNIVERSAL, tag, t) && univ_ok(t);
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
static bool algor_ok(struct rd *r)
{
    struct tlv seq, t;
    if (!rd_get(r, CLASS_UNIVERSAL, TAG_SEQUENCE, &seq) || !seq.cons)
        return false;
    struct rd c = rd_of(&seq);
    if (!rd_prim(&c, TAG_OID, &t))
        return false;
    if (c.n == 0)
        return true;
    if (rd_eoc(&c) || !tlv_peek(&c, &t) || !any_ok(&t))
        return false;
    rd_skip(&c, &t);
    return c.n == 0;
}

/* ------------------------------------------------------------------------ */
/* Rendering names                                                          */

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

/* Upper-case hex, whole bytes only (the last byte of a BIT STRING masked). */
static void sb_hex(struct sbuf *s, const uint8_t *d, size_t n, uint8_t last_mask)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n && s->len + 2 <= s->cap; i++) {
        uint8_t b = i + 1 == n ? d[i] & last_mask : d[i];
        char h[2] = {hex[b >> 4], hex[b & 15]};
        sb_put(s, h, 2);
    }
}

/* Code point to UTF-8 (the caller has checked it is a valid scalar value). */
static void sb_utf8(struct sbuf *s, uint32_t c)
{
    uint8_t u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (uint8_t)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (uint8_t)(0xc0 | c >> 6);
        u[1] = (uint8_t)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (uint8_t)(0xe0 | c >> 12);
        u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | c >> 18);
        u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        u[3] = (uint8_t)(0x80 | (c & 0x3f));
        n = 4;
    }
    sb_put(s, u, n);
}

static bool scalar_ok(uint32_t c)
{
    return c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
}

/* UTF8_getc() plus is_unicode_valid(): well-formed, shortest form, scalar values. */
static bool utf8_ok(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        uint32_t c;
        size_t k;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xe0) == 0xc0) {
            k = 2;
            c = b & 0x1f;
        } else if ((b & 0xf0) == 0xe0) {
            k = 3;
            c = b & 0x0f;
        } else if ((b & 0xf8) == 0xf0) {
            k = 4;
            c = b & 0x07;
        } else {
            return false;
        }
        if (n - i < k)
            return false;
        for (size_t j = 1; j < k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return false;
            c = c << 6 | (p[i + j] & 0x3f);
        }
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < min[k] || !scalar_ok(c))
            return false;
        i += k;
    }
    return true;
}

/*
 * Checks one attribute value as d2i_X509 does (allowed tag, content, and
 * that x509_name_canon() can convert it to UTF-8) and renders it.
 */
static bool put_value(struct sbuf *s, const struct tlv *t)
{
    if (t->cls != CLASS_UNIVERSAL || t->tag > 30 || !(NAME_VALUE_TAGS & (1u << t->tag)) ||
        !univ_ok(t))
        return false;
    const uint8_t *d = t->v;
    size_t n = t->len;
    switch (t->tag) {
    case TAG_BMPSTRING:
        for (size_t i = 0; i < n; i += 2)
            if (!scalar_ok((uint32_t)d[i] << 8 | d[i + 1]))
                return false;
        for (size_t i = 0; i < n; i += 2)
            sb_utf8(s, (uint32_t)d[i] << 8 | d[i + 1]);
        return true;
    case TAG_UNIVERSALSTRING:
        for (size_t i = 0; i < n; i += 4)
            if (!scalar_ok((uint32_t)d[i] << 24 | (uint32_t)d[i + 1] << 16 |
                           (uint32_t)d[i + 2] << 8 | d[i + 3]))
                return false;
        for (size_t i = 0; i < n; i += 4)
            sb_utf8(s, (uint32_t)d[i] << 24 | (uint32_t)d[i + 1] << 16 | (uint32_t)d[i + 2] << 8 |
                           d[i + 3]);
        return true;
    case TAG_UTF8STRING:
        if (!utf8_ok(d, n))
            return false;
        sb_put(s, d, n);
        return true;
    case TAG_PRINTABLESTRING:
    case TAG_IA5STRING:
    case TAG_T61STRING:
    case TAG_NUMERICSTRING:
    case TAG_OBJECT_DESCRIPTOR:
        sb_put(s, d, n);
        return true;
    case TAG_BIT_STRING:
        /* OpenSSL keeps the bits without the unused-bits byte, the unused ones cleared. */
        sb_hex(s, d + 1, n - 1, (uint8_t)(0xff << d[0]));
        return true;
    case TAG_SEQUENCE:
        /* OpenSSL keeps a SEQUENCE value as its whole encoding. */
        sb_hex(s, d - t->hdr, t->hdr + n, 0xff);
        return true;
    default:
        sb_hex(s, d, n, 0xff);
        return true;
    }
}

/*
 * The attribute types that appear in X.500 names (X.520 2.5.4.*, PKCS #9
 * 1.2.840.113549.1.9.*, the pilot/COSINE 0.9.2342.19200300.100.1.* such as
 * UID and DC, and the EV jurisdiction fields 1.3.6.1.4.1.311.60.2.1.*) with
 * the short names OpenSSL 3.0 prints for them.  Any other OID in a name is
 * printed in dotted form; OpenSSL would print its name for OIDs it knows
 * from other arcs, which only mutated certificates have in their names.
 *
 * X.520 types, nearly every attribute of a real name, are looked up by the
 * last byte of their 3-byte encoding (55 04 xx); the others are sorted by
 * length then bytes for a binary search.
 */
/* clang-format off */
static const char *const x520_names[] = {
    [0x03] = "CN",
    [0x04] = "SN",
    [0x05] = "serialNumber",
    [0x06] = "C",
    [0x07] = "L",
    [0x08] = "ST",
    [0x09] = "street",
    [0x0a] = "O",
    [0x0b] = "OU",
    [0x0c] = "title",
    [0x0d] = "description",
    [0x0e] = "searchGuide",
    [0x0f] = "businessCategory",
    [0x10] = "postalAddress",
    [0x11] = "postalCode",
    [0x12] = "postOfficeBox",
    [0x13] = "physicalDeliveryOfficeName",
    [0x14] = "telephoneNumber",
    [0x15] = "telexNumber",
    [0x16] = "teletexTerminalIdentifier",
    [0x17] = "facsimileTelephoneNumber",
    [0x18] = "x121Address",
    [0x19] = "internationaliSDNNumber",
    [0x1a] = "registeredAddress",
    [0x1b] = "destinationIndicator",
    [0x1c] = "preferredDeliveryMethod",
    [0x1d] = "presentationAddress",
    [0x1e] = "supportedApplicationContext",
    [0x1f] = "member",
    [0x20] = "owner",
    [0x21] = "roleOccupant",
    [0x22] = "seeAlso",
    [0x23] = "userPassword",
    [0x24] = "userCertificate",
    [0x25] = "cACertificate",
    [0x26] = "authorityRevocationList",
    [0x27] = "certificateRevocationList",
    [0x28] = "crossCertificatePair",
    [0x29] = "name",
    [0x2a] = "GN",
    [0x2b] = "initials",
    [0x2c] = "generationQualifier",
    [0x2d] = "x500UniqueIdentifier",
    [0x2e] = "dnQualifier",
    [0x2f] = "enhancedSearchGuide",
    [0x30] = "protocolInformation",
    [0x31] = "distinguishedName",
    [0x32] = "uniqueMember",
    [0x33] = "houseIdentifier",
    [0x34] = "supportedAlgorithms",
    [0x35] = "deltaRevocationList",
    [0x36] = "dmdName",
    [0x41] = "pseudonym",
    [0x48] = "role",
    [0x61] = "organizationIdentifier",
    [0x62] = "c3",
    [0x63] = "n3",
    [0x64] = "dnsName",
};
/* clang-format on */

struct oid_name {
    uint8_t len;
    const char *der;
    const char *sn;
};

/* clang-format off */
static const struct oid_name oid_names[] = {
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", "Email"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x02", "unstructuredName"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03", "contentType"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04", "messageDigest"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05", "signingTime"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x06", "countersignature"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x07", "challengePassword"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x08", "unstructuredAddress"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x09", "extendedCertificateAttributes"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0e", "extReq"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0f", "SMIME-CAPS"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10", "SMIME"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x14", "friendlyName"},
    {9, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x15", "localKeyID"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01", "UID"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x02", "textEncodedORAddress"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x03", "mail"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x04", "info"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x05", "favouriteDrink"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x06", "roomNumber"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x07", "photo"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x08", "userClass"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x09", "host"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x0a", "manager"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x0b", "documentIdentifier"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x0c", "documentTitle"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x0d", "documentVersion"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x0e", "documentAuthor"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x0f", "documentLocation"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x14", "homeTelephoneNumber"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x15", "secretary"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x16", "otherMailbox"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x17", "lastModifiedTime"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x18", "lastModifiedBy"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", "DC"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x1a", "aRecord"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x1b", "pilotAttributeType27"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x1c", "mXRecord"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x1d", "nSRecord"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x1e", "sOARecord"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x1f", "cNAMERecord"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x25", "associatedDomain"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x26", "associatedName"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x27", "homePostalAddress"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x28", "personalTitle"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x29", "mobileTelephoneNumber"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x2a", "pagerTelephoneNumber"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x2b", "friendlyCountryName"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x2c", "uid"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x2d", "organizationalStatus"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x2e", "janetMailbox"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x2f", "mailPreferenceOption"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x30", "buildingName"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x31", "dSAQuality"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x32", "singleLevelQuality"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x33", "subtreeMinimumQuality"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x34", "subtreeMaximumQuality"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x35", "personalSignature"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x36", "dITRedirect"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x37", "audio"},
    {10, "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x38", "documentPublisher"},
    {11, "\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x01", "jurisdictionL"},
    {11, "\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x02", "jurisdictionST"},
    {11, "\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x03", "jurisdictionC"},
};
/* clang-format on */

static int oid_cmp(const uint8_t *d, size_t n, const struct oid_name *e)
{
    if (n != e->len)
        return n < e->len ? -1 : 1;
    return memcmp(d, e->der, n);
}

static const char *oid_short_name(const uint8_t *d, size_t n)
{
    if (n == 3 && d[0] == 0x55 && d[1] == 0x04)
        return d[2] < OT_ARRAY_SIZE(x520_names) ? x520_names[d[2]] : NULL;
    size_t lo = 0, hi = OT_ARRAY_SIZE(oid_names);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = oid_cmp(d, n, &oid_names[mid]);
        if (c == 0)
            return oid_names[mid].sn;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* A string cut at cap - 1 bytes, as OBJ_obj2txt() fills its buffer. */
struct tbuf {
    char *b;
    size_t len, cap;
};

static void tb_put(struct tbuf *t, const char *s, size_t n)
{
    size_t room = t->cap - 1 - t->len;
    if (n > room)
        n = room;
    memcpy(t->b + t->len, s, n);
    t->len += n;
    t->b[t->len] = '\0';
}

static void tb_u64(struct tbuf *t, uint64_t v)
{
    char d[21];
    size_t i = sizeof(d);
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    tb_put(t, d + i, sizeof(d) - i);
}

/* Limbs for a sub-identifier of up to OID_TXT_MAX_DER * 7 bits. */
#define BIG_LIMBS ((OID_TXT_MAX_DER * 7 + 31) / 32 + 1)

/*
 * Decimal of a sub-identifier too large for 64 bits (OpenSSL switches to a
 * BIGNUM there), minus `sub` (80 for a first sub-identifier).
 */
static void tb_big(struct tbuf *t, const uint8_t *v, size_t n, uint32_t sub)
{
    uint32_t a[BIG_LIMBS];
    size_t na = 1;
    a[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t carry = v[i] & 0x7f;
        for (size_t j = 0; j < na; j++) {
            uint64_t x = ((uint64_t)a[j] << 7) | carry;
            a[j] = (uint32_t)x;
            carry = (uint32_t)(x >> 32);
        }
        if (carry && na < BIG_LIMBS)
            a[na++] = carry;
    }
    for (size_t j = 0; j < na && sub; j++) {
        uint32_t old = a[j];
        a[j] = old - sub;
        sub = old < sub ? 1 : 0;
    }
    /* Base 10^9 digits, least significant first. */
    uint32_t dig[BIG_LIMBS * 32 / 29 + 2];
    size_t nd = 0;
    while (na > 0 && nd < sizeof(dig) / sizeof(dig[0])) {
        uint64_t rem = 0;
        for (size_t j = na; j-- > 0;) {
            uint64_t x = (rem << 32) | a[j];
            a[j] = (uint32_t)(x / 1000000000u);
            rem = x % 1000000000u;
        }
        dig[nd++] = (uint32_t)rem;
        while (na > 0 && a[na - 1] == 0)
            na--;
    }
    tb_u64(t, dig[nd - 1]);
    for (size_t j = nd - 1; j-- > 0;) {
        char d[9];
        uint32_t x = dig[j];
        for (int k = 8; k >= 0; k--) {
            d[k] = (char)('0' + x % 10);
            x /= 10;
        }
        tb_put(t, d, 9);
    }
}

/* OBJ_obj2txt(buf, 80, o, 1) for a valid OID: dotted, cut at 79 characters. */
static const char *oid_text(const uint8_t *v, size_t n, char *buf)
{
    struct tbuf t = {buf, 0, OID_TXT_CAP};
    buf[0] = '\0';
    if (n > OID_TXT_MAX_DER)
        return "?";
    bool first = true;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (v[i] & 0x80)
            i++;
        i++;
        size_t k = i - start;
        if (k <= 9) {
            uint64_t l = 0;
            for (size_t j = start; j < i; j++)
                l = l << 7 | (v[j] & 0x7f);
            if (first) {
                char c = l >= 80 ? '2' : (char)('0' + l / 40);
                l -= l >= 80 ? 80 : (l / 40) * 40;
                tb_put(&t, &c, 1);
            }
            tb_put(&t, ".", 1);
            tb_u64(&t, l);
        } else {
            if (first)
                tb_put(&t, "2", 1);
            tb_put(&t, ".", 1);
            tb_big(&t, v + start, k, first ? 80 : 0);
        }
        first = false;
    }
    return buf;
}

/* The key of an attribute: our short keys, OpenSSL's short name, else the dotted OID. */
static const char *attr_key(const uint8_t *v, size_t n, char *tmp)
{
    const char *sn = oid_short_name(v, n);
    return sn ? sn : oid_text(v, n, tmp);
}

/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName, RDN ::= SET OF
 * AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }.
 * Consumes the name from `r`, checks it as d2i_X509 does and renders it
 * into `s`.  OpenSSL does not look at the constructed bit of the SEQUENCE OF
 * and SET OF headers, so neither do we.
 */
static bool name_parse(struct rd *r, struct sbuf *s)
{
    struct rd win = *r;
    struct tlv nm, set, atv, oid, val;
    if (win.n > NAME_DER_MAX)
        win.n = NAME_DER_MAX;
    if (!rd_get(&win, CLASS_UNIVERSAL, TAG_SEQUENCE, &nm))
        return false;
    rd_skip(r, &nm);
    struct rd rdns = rd_of(&nm);
    size_t entries = 0;
    while (rdns.n > 0) {
        if (!rd_get(&rdns, CLASS_UNIVERSAL, TAG_SET, &set))
            return false;
        struct rd atvs = rd_of(&set);
        size_t in_set = 0;
        while (atvs.n > 0) {
            if (!rd_get(&atvs, CLASS_UNIVERSAL, TAG_SEQUENCE, &atv) || !atv.cons)
                return false;
            struct rd c = rd_of(&atv);
            if (!rd_prim(&c, TAG_OID, &oid))
                return false;
            if (rd_eoc(&c) || !tlv_peek(&c, &val))
                return false;
            rd_skip(&c, &val);
            if (c.n != 0)
                return false;
            if (entries > 0)
                sb_str(s, in_set > 0 ? " + " : ", ");
            char tmp[OID_TXT_CAP];
            sb_str(s, attr_key(oid.v, oid.len, tmp));
            sb_put(s, "=", 1);
            if (!put_value(s, &val))
                return false;
            entries++;
            in_set++;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Times                                                                    */

struct xtime {
    int year, mon, mday, hour, min, sec; /* mon 1..12 */
};

static bool leap_year(int y)
{
    return y % 400 == 0 || (y % 100 != 0 && y % 4 == 0);
}

static int month_days(int y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28 + leap_year(y) : mdays[m - 1];
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/*
 * Moves `t` by `off` seconds (|off| < one day) as OPENSSL_gmtime_adj() does,
 * which refuses results outside the years 1900-9999.
 */
static bool time_adj(struct xtime *t, long off)
{
    long s = t->hour * 3600L + t->min * 60L + t->sec + off;
    if (s >= 86400) {
        s -= 86400;
        if (++t->mday > month_days(t->year, t->mon)) {
            t->mday = 1;
            if (++t->mon > 12) {
                t->mon = 1;
                t->year++;
            }
        }
    } else if (s < 0) {
        s += 86400;
        if (--t->mday < 1) {
            if (--t->mon < 1) {
                t->mon = 12;
                t->year--;
            }
            t->mday = month_days(t->year, t->mon);
        }
    }
    if (t->year < 1900 || t->year > 9999)
        return false;
    t->hour = (int)(s / 3600);
    t->min = (int)(s / 60 % 60);
    t->sec = (int)(s % 60);
    return true;
}

/*
 * ASN1_TIME_to_tm() for a decoded UTCTime or GeneralizedTime (non-strict:
 * seconds optional, fractions, offsets).  Fields are two-digit pairs; for
 * GeneralizedTime the first two make the century.
 */
static bool time_conv(const struct tlv *tt, struct xtime *out)
{
    static const int min[9] = {0, 0, 1, 1, 0, 0, 0, 0, 0};
    static const int max[9] = {99, 99, 12, 31, 23, 59, 59, 12, 59};
    const uint8_t *a = tt->v;
    size_t l = tt->len, o = 0;
    bool utc = tt->tag == TAG_UTCTIME;
    int end = utc ? 6 : 7, btz = utc ? 5 : 6;
    if (l < (utc ? 11u : 13u))
        return false;
    struct xtime x = {0, 1, 1, 0, 0, 0};
    int i;
    for (i = 0; i < end; i++) {
        if (i == btz && (a[o] == 'Z' || a[o] == '+' || a[o] == '-'))
            break;
        if (!is_digit(a[o]) || ++o == l || !is_digit(a[o]))
            return false;
        int n = (a[o - 1] - '0') * 10 + (a[o] - '0');
        if (++o == l)
            return false;
        int i2 = utc ? i + 1 : i;
        if (n < min[i2] || n > max[i2])
            return false;
        switch (i2) {
        case 0:
            x.year = n * 100;
            break;
        case 1:
            x.year = utc ? (n < 50 ? 2000 + n : 1900 + n) : x.year + n;
            break;
        case 2:
            x.mon = n;
            break;
        case 3:
            if (n > month_days(x.year, x.mon))
                return false;
            x.mday = n;
            break;
        case 4:
            x.hour = n;
            break;
        case 5:
            x.min = n;
            break;
        default:
            x.sec = n;
            break;
        }
    }
    if (!utc && a[o] == '.') {
        if (++o == l)
            return false;
        size_t f = o;
        while (o < l && is_digit(a[o]))
            o++;
        if (f == o || o == l)
            return false;
    }
    if (a[o] == 'Z') {
        o++;
    } else if (a[o] == '+' || a[o] == '-') {
        long sign = a[o] == '-' ? 1 : -1;
        o++;
        if (o + 4 != l)
            return false;
        long off = 0;
        for (int k = 7; k <= 8; k++) {
            if (!is_digit(a[o]) || !is_digit(a[o + 1]))
                return false;
            int n = (a[o] - '0') * 10 + (a[o + 1] - '0');
            if (n < min[k] || n > max[k])
                return false;
            off += k == 7 ? n * 3600L : n * 60L;
            o += 2;
        }
        if (off && !time_adj(&x, off * sign))
            return false;
    } else {
        return false;
    }
    if (o != l)
        return false;
    *out = x;
    return true;
}

static void put_dec(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* The time as "YYYY-MM-DDTHH:MM:SS" into OUT (20 bytes); "" when it does not convert. */
static void format_time(const struct tlv *t, char out[20])
{
    struct xtime x;
    out[0] = '\0';
    if (!time_conv(t, &x))
        return;
    memcpy(out, "0000-00-00T00:00:00", 20);
    put_dec(out, x.year, 4);
    put_dec(out + 5, x.mon, 2);
    put_dec(out + 8, x.mday, 2);
    put_dec(out + 11, x.hour, 2);
    put_dec(out + 14, x.min, 2);
    put_dec(out + 17, x.sec, 2);
}

/* Time ::= CHOICE { UTCTime, GeneralizedTime } */
static bool time_parse(struct rd *r, struct tlv *t)
{
    if (rd_eoc(r) || !tlv_peek(r, t) || t->cls != CLASS_UNIVERSAL ||
        (t->tag != TAG_UTCTIME && t->tag != TAG_GENERALIZEDTIME) || !univ_ok(t))
        return false;
    rd_skip(r, t);
    return true;
}

/* ------------------------------------------------------------------------ */
/* The certificate                                                          */

/* The names are rendered into the caller's buffers (struct ot_tls_cert). */
struct cert {
    struct sbuf subj, iss;
    struct tlv not_before, not_after;
};

/* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
static bool extensions_ok(struct rd *r)
{
    struct tlv exp, list, ext, t;
    int got = rd_opt(r, CLASS_CONTEXT, 3, &exp);
    if (got <= 0)
        return got == 0;
    if (!exp.cons)
        return false;
    struct rd e = rd_of(&exp);
    if (!rd_get(&e, CLASS_UNIVERSAL, TAG_SEQUENCE, &list) || e.n != 0)
        return false;
    struct rd l = rd_of(&list);
    while (l.n > 0) {
        if (!rd_get(&l, CLASS_UNIVERSAL, TAG_SEQUENCE, &ext) || !ext.cons)
            return false;
        struct rd c = rd_of(&ext);
        if (!rd_prim(&c, TAG_OID, &t))
            return false;
        got = rd_opt(&c, CLASS_UNIVERSAL, TAG_BOOLEAN, &t);
        if (got < 0 || (got > 0 && !univ_ok(&t)))
            return false;
        if (!rd_prim(&c, TAG_OCTET_STRING, &t) || c.n != 0)
            return false;
    }
    return true;
}

/* issuerUniqueID [1] / subjectUniqueID [2] IMPLICIT BIT STRING OPTIONAL */
static bool unique_id_ok(struct rd *r, uint32_t tag)
{
    struct tlv t;
    int got = rd_opt(r, CLASS_CONTEXT, tag, &t);
    if (got <= 0)
        return got == 0;
    return !t.cons && bits_ok(t.v, t.len);
}

/*
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
 * TBSCertificate ::= SEQUENCE { [0] EXPLICIT version OPTIONAL, serialNumber,
 *   signature, issuer, validity, subject, subjectPublicKeyInfo,
 *   [1] issuerUniqueID OPTIONAL, [2] subjectUniqueID OPTIONAL,
 *   [3] EXPLICIT extensions OPTIONAL }
 * Bytes after the certificate are ignored, as d2i_X509 ignores them.
 */
static bool cert_parse(const uint8_t *der, size_t len, struct cert *c)
{
    struct rd all = {der, len};
    struct tlv cert, tbs, t;
    if (!rd_get(&all, CLASS_UNIVERSAL, TAG_SEQUENCE, &cert) || !cert.cons)
        return false;
    struct rd cr = rd_of(&cert);
    if (!rd_get(&cr, CLASS_UNIVERSAL, TAG_SEQUENCE, &tbs) || !tbs.cons)
        return false;
    struct rd r = rd_of(&tbs);
    int got = rd_opt(&r, CLASS_CONTEXT, 0, &t);
    if (got < 0)
        return false;
    if (got > 0) {
        struct rd v = rd_of(&t);
        struct tlv ver;
        if (!t.cons || !rd_prim(&v, TAG_INTEGER, &ver) || v.n != 0)
            return false;
    }
    if (!rd_prim(&r, TAG_INTEGER, &t) || !algor_ok(&r) || !name_parse(&r, &c->iss))
        return false;
    struct tlv val;
    if (!rd_get(&r, CLASS_UNIVERSAL, TAG_SEQUENCE, &val) || !val.cons)
        return false;
    struct rd vr = rd_of(&val);
    if (!time_parse(&vr, &c->not_before) || !time_parse(&vr, &c->not_after) || vr.n != 0)
        return false;
    if (!name_parse(&r, &c->subj))
        return false;
    struct tlv spki;
    if (!rd_get(&r, CLASS_UNIVERSAL, TAG_SEQUENCE, &spki) || !spki.cons)
        return false;
    struct rd kr = rd_of(&spki);
    if (!algor_ok(&kr) || !rd_prim(&kr, TAG_BIT_STRING, &t) || kr.n != 0)
        return false;
    if (!unique_id_ok(&r, 1) || !unique_id_ok(&r, 2) || !extensions_ok(&r) || r.n != 0)
        return false;
    return algor_ok(&cr) && rd_prim(&cr, TAG_BIT_STRING, &t) && cr.n == 0;
}

/* ------------------------------------------------------------------------ */
/* The serial, read as the OpenSSL-based version read it                    */

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
    uint8_t md[OT_SHA1_LEN];
    ot_sha1(der, len, md);
    return ot_tls_cert_write_sha1(w, der, len, md);
}

int ot_tls_cert_parse(const uint8_t *der, size_t len, struct ot_tls_cert *out)
{
    struct cert c;
    out->ok = false;
    out->subject_len = out->issuer_len = 0;
    out->not_before[0] = out->not_after[0] = '\0';
    /* A TLS certificate entry has a 24-bit length. */
    if (len == 0 || len > 0xffffff)
        return OT_EINVAL;
    c.subj = (struct sbuf){out->subject, 0, sizeof(out->subject)};
    c.iss = (struct sbuf){out->issuer, 0, sizeof(out->issuer)};
    if (!cert_parse(der, len, &c))
        return OT_EINVAL;
    out->ok = true;
    out->subject_len = c.subj.len;
    out->issuer_len = c.iss.len;
    format_time(&c.not_before, out->not_before);
    format_time(&c.not_after, out->not_after);
    return OT_OK;
}

void ot_tls_cert_write_parsed(struct ot_jw *w, const struct ot_tls_cert *c, const uint8_t *der,
                              size_t len, const uint8_t sha1[OT_SHA1_LEN])
{
    if (c->ok) {
        ot_jw_strn(w, "subject", c->subject, c->subject_len);
        ot_jw_strn(w, "issuerdn", c->issuer, c->issuer_len);
        write_serial(w, der, len);
    }
    ot_jw_hex(w, "fingerprint", sha1, OT_SHA1_LEN, ':');
    if (!c->ok)
        return;
    if (c->not_before[0])
        ot_jw_strn(w, "notbefore", c->not_before, 19);
    if (c->not_after[0])
        ot_jw_strn(w, "notafter", c->not_after, 19);
}

int ot_tls_cert_write_sha1(struct ot_jw *w, const uint8_t *der, size_t len,
                           const uint8_t sha1[OT_SHA1_LEN])
{
    if (len == 0 || len > 0xffffff)
        return OT_EINVAL;
    struct ot_tls_cert c;
    int rc = ot_tls_cert_parse(der, len, &c);
    ot_tls_cert_write_parsed(w, &c, der, len, sha1);
    return rc;
}
