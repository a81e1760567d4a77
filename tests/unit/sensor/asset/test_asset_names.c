/*
 * Name parsers (asset-names.c) on hand-made datagrams: NetBIOS name
 * decoding, NBNS registrations, responses and node status, mDNS responses
 * and probes, LLMNR responses, and hostile input (truncation, compression
 * loops, oversized names, control characters).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "asset/asset-names.h"
#include "otasuke/error.h"

struct msg {
    uint8_t b[1500];
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

static void raw(struct msg *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void hdr(struct msg *m, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
    m->n = 0;
    u16(m, 0x1234);
    u16(m, flags);
    u16(m, qd);
    u16(m, an);
    u16(m, ns);
    u16(m, ar);
}

/* "a.b.c" as labels, ending with the root. */
static void dname(struct msg *m, const char *s)
{
    while (*s) {
        size_t l = strcspn(s, ".");
        u8(m, (unsigned)l);
        raw(m, s, l);
        s += l;
        if (*s == '.')
            s++;
    }
    u8(m, 0);
}

static void rr_addr(struct msg *m, const char *name, int af, const char *ip, unsigned cls,
                    uint32_t ttl)
{
    if (name)
        dname(m, name);
    uint8_t a[16];
    assert_int_equal(inet_pton(af, ip, a), 1);
    u16(m, af == AF_INET ? 1 : 28);
    u16(m, cls);
    u32(m, ttl);
    u16(m, af == AF_INET ? 4 : 16);
    raw(m, a, af == AF_INET ? 4 : 16);
}

static void check_find(const struct ot_name_find *f, const char *name, const char *ip)
{
    assert_string_equal(f->name, name);
    if (!ip) {
        assert_true(f->self);
        return;
    }
    char t[64];
    assert_false(f->self);
    assert_non_null(inet_ntop(f->v6 ? AF_INET6 : AF_INET, f->addr.u.b, t, sizeof(t)));
    assert_string_equal(t, ip);
}

/* NetBIOS first-level encoding of a 15-character name + suffix. */
static void nb_encode(const char *name, uint8_t suffix, char out[33])
{
    uint8_t raw16[16];
    memset(raw16, ' ', 15);
    memcpy(raw16, name, strlen(name));
    raw16[15] = suffix;
    for (int i = 0; i < 16; i++) {
        out[2 * i] = (char)('A' + (raw16[i] >> 4));
        out[2 * i + 1] = (char)('A' + (raw16[i] & 15));
    }
    out[32] = 0;
}

static void nb_name(struct msg *m, const char *name, uint8_t suffix, const char *scope)
{
    char enc[33];
    nb_encode(name, suffix, enc);
    u8(m, 32);
    raw(m, enc, 32);
    if (scope)
        dname(m, scope);
    else
        u8(m, 0);
}

static void test_nbns_decode(void **unused)
{
    char enc[33], out[16];
    uint8_t suffix;
    nb_encode("MDJR98", 0x20, enc);
    assert_int_equal(ot_nbns_decode_name((const uint8_t *)enc, 32, out, &suffix), 6);
    assert_string_equal(out, "MDJR98");
    assert_int_equal(suffix, 0x20);
    /* "FHEPFCELEHFCEPFFFACACACACACACAAA" is WORKGROUP<00> (RFC 1001 style) */
    assert_int_equal(
        ot_nbns_decode_name((const uint8_t *)"FHEPFCELEHFCEPFFFACACACACACACAAA", 32, out, &suffix),
        9);
    assert_string_equal(out, "WORKGROUP");
    assert_int_equal(suffix, 0);
    /* Full 15 characters, nothing stripped; NUL padding stripped like spaces. */
    nb_encode("ABCDEFGHIJKLMNO", 0, enc);
    assert_int_equal(ot_nbns_decode_name((const uint8_t *)enc, 32, out, &suffix), 15);
    memcpy(enc + 8, "AAAAAAAAAAAAAAAAAAAAAA", 22); /* bytes 4..14 = NUL */
    assert_int_equal(ot_nbns_decode_name((const uint8_t *)enc, 32, out, &suffix), 4);
    assert_string_equal(out, "ABCD");
    /* Bad: wrong length, a letter past 'P'. */
    assert_int_equal(ot_nbns_decode_name((const uint8_t *)enc, 31, out, &suffix), OT_EINVAL);
    enc[3] = 'Q';
    assert_int_equal(ot_nbns_decode_name((const uint8_t *)enc, 32, out, &suffix), OT_EINVAL);
}

/* Registration: question name, then an additional record (pointer to it) with NB flags + address.
 */
static void nbns_reg(struct msg *m, const char *name, uint8_t suffix, unsigned nbflags,
                     const char *ip, unsigned opcode)
{
    hdr(m, opcode << 11 | 0x0110, 1, 0, 0, 1);
    nb_name(m, name, suffix, NULL);
    u16(m, 0x20);
    u16(m, 1);
    u16(m, 0xc00c);
    u16(m, 0x20);
    u16(m, 1);
    u32(m, 300000);
    u16(m, 6);
    u16(m, nbflags);
    uint8_t a[4];
    assert_int_equal(inet_pton(AF_INET, ip, a), 1);
    raw(m, a, 4);
}

static void test_nbns_registration(void **unused)
{
    struct msg m;
    struct ot_name_find f[OT_NAMES_MAX];
    nbns_reg(&m, "MDJR98", 0x00, 0x0000, "192.168.239.129", 5);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 1);
    check_find(&f[0], "MDJR98", "192.168.239.129");
    nbns_reg(&m, "MDJR98", 0x20, 0x6000, "192.168.239.129", 8); /* refresh, server suffix */
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 1);
    /* Not host names: a group, the messenger (user) suffix, a domain suffix. */
    nbns_reg(&m, "WORKGROUP", 0x00, 0x8000, "192.168.239.129", 5);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 0);
    nbns_reg(&m, "MARTIN ROSENAU", 0x03, 0x0000, "192.168.239.129", 5);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 0);
    nbns_reg(&m, "WORKGROUP", 0x1d, 0x0000, "192.168.239.129", 5);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 0);
    /* Release (opcode 6) and a query (opcode 0, QR clear) tell nothing. */
    nbns_reg(&m, "MDJR98", 0x00, 0x0000, "192.168.239.129", 6);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 0);
    nbns_reg(&m, "MDJR98", 0x00, 0x0000, "192.168.239.129", 0);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 0);
    /* __MSBROWSE__ (control bytes) is never a host name. */
    nbns_reg(&m, "\x01\x02__MSBROWSE__\x02", 0x01, 0x0000, "192.168.239.129", 5);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 0);
    /* With a scope id after the name. */
    hdr(&m, 5 << 11, 1, 0, 0, 1);
    nb_name(&m, "HOSTX", 0, "corp.example");
    u16(&m, 0x20);
    u16(&m, 1);
    u16(&m, 0xc00c);
    u16(&m, 0x20);
    u16(&m, 1);
    u32(&m, 1);
    u16(&m, 6);
    u16(&m, 0);
    raw(&m, "\x0a\x00\x00\x05", 4);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 1);
    check_find(&f[0], "HOSTX", "10.0.0.5");
    /* Truncated anywhere: malformed, nothing reported. */
    nbns_reg(&m, "MDJR98", 0x00, 0x0000, "192.168.239.129", 5);
    for (size_t cut = 0; cut < m.n; cut++)
        assert_true(ot_names_nbns(m.b, cut, f, OT_NAMES_MAX) <= 0);
}

static void test_nbns_response(void **unused)
{
    struct msg m;
    struct ot_name_find f[OT_NAMES_MAX];
    /* Positive name query response with two addresses (multi-homed), one a group entry. */
    hdr(&m, 0x8500, 0, 1, 0, 0);
    nb_name(&m, "GUNNAR", 0, NULL);
    u16(&m, 0x20);
    u16(&m, 1);
    u32(&m, 300000);
    u16(&m, 18);
    raw(&m, "\x00\x00\x0a\x00\x04\x18", 6);
    raw(&m, "\x60\x00\x0a\x00\x05\x18", 6);
    raw(&m, "\x80\x00\x0a\x00\x06\x18", 6);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 2);
    check_find(&f[0], "GUNNAR", "10.0.4.24");
    check_find(&f[1], "GUNNAR", "10.0.5.24");
    /* A negative response (rcode 3) says nothing. */
    m.b[3] |= 3;
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 0);

    /* Node status: the first unique <00> name of the table, as the sender's own. */
    hdr(&m, 0x8400, 0, 1, 0, 0);
    nb_name(&m, "*", 0, NULL);
    u16(&m, 0x21);
    u16(&m, 1);
    u32(&m, 0);
    static const struct {
        const char *n;
        uint8_t suffix;
        uint16_t flags;
    } tab[] = {
        {"VIGILANT_GROUP", 0x00, 0x8400},
        {"ADMIN", 0x03, 0x0400},
        {"GUNNAR", 0x00, 0x0400},
        {"GUNNAR", 0x20, 0x0400},
    };
    u16(&m, 1 + 18 * 4 + 46);
    u8(&m, 4);
    for (size_t i = 0; i < 4; i++) {
        char pad[16];
        memset(pad, ' ', 15);
        memcpy(pad, tab[i].n, strlen(tab[i].n));
        pad[15] = (char)tab[i].suffix;
        raw(&m, pad, 16);
        u16(&m, tab[i].flags);
    }
    for (int i = 0; i < 46; i++)
        u8(&m, i < 6 ? 0x11 : 0);
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 1);
    check_find(&f[0], "GUNNAR", NULL);
    /* A table that claims more names than its data holds: read what is there. */
    m.b[m.n - 46 - 18 * 4 - 1] = 200;
    assert_int_equal(ot_names_nbns(m.b, m.n, f, OT_NAMES_MAX), 1);
}

static void test_mdns_response(void **unused)
{
    struct msg m;
    struct ot_name_find f[OT_NAMES_MAX];
    hdr(&m, 0x8400, 0, 4, 0, 2);
    rr_addr(&m, "johanna-QEMU-Virtual-Machine.local", AF_INET6,
            "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4", 0x8001, 120);
    /* Compressed owner name: pointer to the first record's name. */
    u16(&m, 0xc00c);
    uint8_t a4[4] = {10, 0, 2, 7};
    u16(&m, 1);
    u16(&m, 0x8001);
    u32(&m, 120);
    u16(&m, 4);
    raw(&m, a4, 4);
    /* A PTR (ignored), a service name that is not a host (ignored: type). */
    dname(&m, "7.2.0.10.in-addr.arpa");
    u16(&m, 12);
    u16(&m, 0x8001);
    u32(&m, 120);
    u16(&m, 2);
    u16(&m, 0xc00c);
    /* Goodbye (TTL 0): ignored. */
    rr_addr(&m, "old-name.local", AF_INET, "10.0.2.8", 1, 0);
    /* Additional section: counted too in a response; a non-.local name is not. */
    rr_addr(&m, "printer.LOCAL", AF_INET, "10.0.2.9", 1, 120);
    rr_addr(&m, "www.example.com", AF_INET, "192.0.2.1", 1, 120);
    int n = ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX);
    assert_int_equal(n, 3);
    check_find(&f[0], "johanna-QEMU-Virtual-Machine", "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4");
    check_find(&f[1], "johanna-QEMU-Virtual-Machine", "10.0.2.7");
    check_find(&f[2], "printer", "10.0.2.9");
    /* Findings are capped at max. */
    assert_int_equal(ot_names_mdns(m.b, m.n, f, 2), 2);
    /* The same record twice is one finding. */
    hdr(&m, 0x8400, 0, 2, 0, 0);
    rr_addr(&m, "a.local", AF_INET, "10.0.0.1", 1, 10);
    rr_addr(&m, "a.local", AF_INET, "10.0.0.1", 1, 10);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), 1);
    /* Another opcode: nothing. */
    m.b[2] |= 0x28;
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), 0);
}

/* A probe: a query whose authority section holds the records the host wants. */
static void test_mdns_probe(void **unused)
{
    struct msg m;
    struct ot_name_find f[OT_NAMES_MAX];
    hdr(&m, 0x0000, 1, 1, 1, 0);
    dname(&m, "myhost.local");
    u16(&m, 255);
    u16(&m, 1);
    /* A known answer (another host's record the asker has cached): ignored. */
    rr_addr(&m, "otherhost.local", AF_INET, "10.0.0.9", 1, 100);
    /* Authority: the probe's own record. */
    u16(&m, 0xc00c);
    u16(&m, 1);
    u16(&m, 1);
    u32(&m, 120);
    u16(&m, 4);
    raw(&m, "\x0a\x00\x00\x03", 4);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), 1);
    check_find(&f[0], "myhost", "10.0.0.3");
}

static void test_llmnr(void **unused)
{
    struct msg m;
    struct ot_name_find f[OT_NAMES_MAX];
    hdr(&m, 0x8000, 1, 1, 0, 0);
    dname(&m, "hs2011");
    u16(&m, 1);
    u16(&m, 1);
    u16(&m, 0xc00c);
    u16(&m, 1);
    u16(&m, 1);
    u32(&m, 30);
    u16(&m, 4);
    raw(&m, "\xc0\xa8\x0a\x65", 4);
    assert_int_equal(ot_names_llmnr(m.b, m.n, f, OT_NAMES_MAX), 1);
    check_find(&f[0], "hs2011", "192.168.10.101");
    /* The query itself, and an error response, say nothing. */
    struct msg q = m;
    q.b[2] &= 0x7f;
    assert_int_equal(ot_names_llmnr(q.b, q.n, f, OT_NAMES_MAX), 0);
    q = m;
    q.b[3] |= 3;
    assert_int_equal(ot_names_llmnr(q.b, q.n, f, OT_NAMES_MAX), 0);
    /* AAAA answer, name kept as sent (no .local stripping for LLMNR). */
    hdr(&m, 0x8000, 0, 1, 0, 0);
    rr_addr(&m, "testhost.local", AF_INET6, "fe80::1", 1, 30);
    assert_int_equal(ot_names_llmnr(m.b, m.n, f, OT_NAMES_MAX), 1);
    check_find(&f[0], "testhost.local", "fe80::1");
    /* A wrong rdata length for the type is not an address (the rest is trailing data). */
    m.b[m.n - 17] = 4;
    assert_int_equal(ot_names_llmnr(m.b, m.n, f, OT_NAMES_MAX), 0);
}

static void test_hostile(void **unused)
{
    struct msg m;
    struct ot_name_find f[OT_NAMES_MAX];
    memset(&m, 0, sizeof(m));
    /* Shorter than a header. */
    assert_int_equal(ot_names_mdns(m.b, 11, f, OT_NAMES_MAX), OT_EINVAL);
    assert_int_equal(ot_names_llmnr(m.b, 0, f, OT_NAMES_MAX), OT_EINVAL);
    assert_int_equal(ot_names_nbns(m.b, 5, f, OT_NAMES_MAX), OT_EINVAL);
    /* Compression loop: a name pointing at itself. */
    hdr(&m, 0x8400, 0, 1, 0, 0);
    u16(&m, 0xc00c);
    u16(&m, 1);
    u16(&m, 1);
    u32(&m, 1);
    u16(&m, 4);
    raw(&m, "\x0a\0\0\1", 4);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), OT_EINVAL);
    /* Two pointers bouncing between each other, followed by a label. */
    hdr(&m, 0x8400, 0, 1, 0, 0);
    u8(&m, 1);
    u8(&m, 'a');
    u16(&m, 0xc00c);
    u16(&m, 1);
    u16(&m, 1);
    u32(&m, 1);
    u16(&m, 4);
    raw(&m, "\x0a\0\0\1", 4);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), OT_EINVAL);
    /* A pointer past the end, an extended label type. */
    hdr(&m, 0x8400, 0, 1, 0, 0);
    u16(&m, 0xc3ff);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), OT_EINVAL);
    hdr(&m, 0x8400, 0, 1, 0, 0);
    u8(&m, 0x41);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), OT_EINVAL);
    /* More records claimed than present. */
    hdr(&m, 0x8400, 0, 65535, 65535, 65535);
    rr_addr(&m, "a.local", AF_INET, "10.0.0.1", 1, 10);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), OT_EINVAL);
    /* A host name of 64 bytes (two labels; one label stops at 63): skipped, datagram fine. */
    char longname[80];
    memset(longname, 'x', 64);
    longname[40] = '.';
    memcpy(longname + 64, ".local", 7);
    hdr(&m, 0x8400, 0, 1, 0, 0);
    rr_addr(&m, longname, AF_INET, "10.0.0.1", 1, 10);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), 0);
    /* 63 bytes is fine. */
    memmove(longname + 63, longname + 64, 7);
    hdr(&m, 0x8400, 0, 1, 0, 0);
    rr_addr(&m, longname, AF_INET, "10.0.0.1", 1, 10);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), 1);
    assert_int_equal(strlen(f[0].name), 63);
    /* Control characters or a NUL in a name: skipped. */
    hdr(&m, 0x8400, 0, 2, 0, 0);
    rr_addr(&m, "ev\nil.local", AF_INET, "10.0.0.1", 1, 10);
    u8(&m, 3);
    raw(&m, "a\0b", 3);
    u8(&m, 5);
    raw(&m, "local", 5);
    u8(&m, 0);
    u16(&m, 1);
    u16(&m, 1);
    u32(&m, 10);
    u16(&m, 4);
    raw(&m, "\x0a\0\0\1", 4);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), 0);
    /* A name whose wire form passes 255 bytes through pointers: malformed. */
    hdr(&m, 0x8400, 0, 1, 0, 0);
    size_t start = m.n;
    for (int i = 0; i < 5; i++) {
        u8(&m, 60);
        for (int k = 0; k < 60; k++)
            u8(&m, 'y');
    }
    u16(&m, 0xc000 | (unsigned)start); /* loops back: 5 * 61 bytes per lap */
    u16(&m, 1);
    u16(&m, 1);
    u32(&m, 1);
    u16(&m, 4);
    raw(&m, "\x0a\0\0\1", 4);
    assert_int_equal(ot_names_mdns(m.b, m.n, f, OT_NAMES_MAX), OT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nbns_decode),   cmocka_unit_test(test_nbns_registration),
        cmocka_unit_test(test_nbns_response), cmocka_unit_test(test_mdns_response),
        cmocka_unit_test(test_mdns_probe),    cmocka_unit_test(test_llmnr),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
