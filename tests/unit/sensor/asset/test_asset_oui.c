/*
 * OUI registry: CSV (quoted fields, fields spanning lines, the header), the
 * text listing (MA-L lines and MA-M/MA-S ranges), longest-prefix lookup,
 * names stored once, bad records counted, multicast and local MACs, missing
 * files, record shapes that the quick CSV path must hand to the general one,
 * many names, and the real ieee-data registry when installed (load time and
 * memory printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "asset/oui.h"
#include "otasuke/error.h"

static const char csv_mal[] =
    "Registry,Assignment,Organization Name,Organization Address\n"
    "MA-L,002272,American Micro-Fuel Device Corp.,2181 Buchanan Loop Ferndale WA US 98248 \n"
    "MA-L,F4BD9E,\"Cisco Systems, Inc\",80 West Tasman Drive San Jose CA US 94568 \n"
    "MA-L,70B3D5,IEEE Registration Authority,\"445 Hoes Lane\nPiscataway NJ US 08854 \"\n"
    "MA-L,00000C,\"Cisco Systems, Inc\",\"170 West Tasman Drive\r\nSan Jose CA US 95134 \"\r\n"
    "MA-L,ZZ0000,Broken Hex,somewhere\n"
    "MA-L,0011,Too Short,somewhere\n"
    "MA-L,ACDE48\n"
    "\n"
    "MA-L,0050C2,\"Quote \"\"Inc\"\"\",x\n";

static const char csv_mam[] = "Registry,Assignment,Organization Name,Organization Address\n"
                              "MA-M,70B3D59,Small Block Ltd,addr\n";

static const char csv_mas[] =
    "Registry,Assignment,Organization Name,Organization Address\n"
    "MA-S,70B3D5F2F,TELEPLATFORMS,\"Polbina st., 3/1 Moscow  RU 109388 \"\n";

static struct ot_oui *load_csv(void)
{
    struct ot_oui_src src[] = {
        {csv_mal, sizeof(csv_mal) - 1, true},
        {csv_mam, sizeof(csv_mam) - 1, true},
        {csv_mas, sizeof(csv_mas) - 1, true},
    };
    struct ot_oui *o;
    assert_int_equal(ot_oui_load_buffers(src, 3, &o), OT_OK);
    return o;
}

static void mac(uint8_t m[6], uint64_t v)
{
    for (int i = 5; i >= 0; i--, v >>= 8)
        m[i] = (uint8_t)v;
}

static const char *look(const struct ot_oui *o, uint64_t v)
{
    uint8_t m[6];
    mac(m, v);
    return ot_oui_lookup(o, m);
}

static void test_csv(void **unused)
{
    struct ot_oui *o = load_csv();
    assert_string_equal(look(o, 0x002272aabbccull), "American Micro-Fuel Device Corp.");
    assert_string_equal(look(o, 0xf4bd9e000001ull), "Cisco Systems, Inc");
    assert_string_equal(look(o, 0x00000c07ac01ull), "Cisco Systems, Inc");
    assert_string_equal(look(o, 0x0050c2123456ull), "Quote \"Inc\"");
    /* Longest prefix: 36 bits, then 28, then the IEEE's own 24-bit block. */
    assert_string_equal(look(o, 0x70b3d5f2f123ull), "TELEPLATFORMS");
    assert_string_equal(look(o, 0x70b3d5912345ull), "Small Block Ltd");
    assert_string_equal(look(o, 0x70b3d5012345ull), "IEEE Registration Authority");
    assert_null(look(o, 0x123456000000ull));
    const struct ot_oui_stats *st = ot_oui_stats(o);
    assert_int_equal(st->ma_l, 5);
    assert_int_equal(st->ma_m, 1);
    assert_int_equal(st->ma_s, 1);
    assert_int_equal(st->bad_records, 3); /* bad hex, short assignment, missing name */
    assert_int_equal(st->files, 3);
    /* The two Cisco rows share one stored name. */
    assert_ptr_equal(look(o, 0xf4bd9e000001ull), look(o, 0x00000c000001ull));
    ot_oui_free(o);
}

static void test_group_and_local(void **unused)
{
    struct ot_oui *o = load_csv();
    /* 01:00:0c... (multicast) and 02:00:0c... (locally administered) are not Cisco. */
    assert_non_null(look(o, 0x00000c000000ull));
    assert_null(look(o, 0x01000c000000ull));
    assert_null(look(o, 0x02000c000000ull));
    assert_null(ot_oui_lookup(NULL, (const uint8_t *)"\0\0\x0c\0\0\0"));
    ot_oui_free(o);
}

static const char txt_mal[] =
    "OUI/MA-L                                                    Organization\n"
    "company_id                                                  Organization\n"
    "\n"
    "00-22-72   (hex)\t\tAmerican Micro-Fuel Device Corp.\n"
    "002272     (base 16)\t\tAmerican Micro-Fuel Device Corp.\n"
    "\t\t\t\t2181 Buchanan Loop\n"
    "\n"
    "70-B3-D5   (hex)\t\tIEEE Registration Authority\n"
    "70B3D5     (base 16)\t\tIEEE Registration Authority\n";

static const char txt_mam[] = "74-1A-E0   (hex)\t\tPrivate\n"
                              "900000-9FFFFF     (base 16)\t\tPrivate\n"
                              "20-85-93   (hex)\t\tIOG Products LLC\n"
                              "B00000-BFFFFF     (base 16)\t\tIOG Products LLC\n"
                              "B00000-B00FFE     (base 16)\t\tBad Range\n";

static const char txt_iab[] =
    "00-50-C2                      (hex)                         DEUTA-WERKE GmbH          \n"
    "7D5000-7D5FFF                 (base 16)                     DEUTA-WERKE GmbH          \n";

static void test_txt(void **unused)
{
    struct ot_oui_src src[] = {
        {txt_mal, sizeof(txt_mal) - 1, false},
        {txt_mam, sizeof(txt_mam) - 1, false},
        {txt_iab, sizeof(txt_iab) - 1, false},
    };
    struct ot_oui *o;
    assert_int_equal(ot_oui_load_buffers(src, 3, &o), OT_OK);
    assert_string_equal(look(o, 0x002272000001ull), "American Micro-Fuel Device Corp.");
    assert_string_equal(look(o, 0x741ae0912345ull), "Private");
    assert_null(look(o, 0x741ae0812345ull));
    assert_string_equal(look(o, 0x208593b00001ull), "IOG Products LLC");
    assert_string_equal(look(o, 0x0050c27d5001ull), "DEUTA-WERKE GmbH"); /* trailing blanks cut */
    assert_null(look(o, 0x0050c27d6001ull));
    assert_int_equal(ot_oui_stats(o)->bad_records, 1);
    ot_oui_free(o);
}

static void test_empty_and_missing(void **unused)
{
    struct ot_oui *o = (struct ot_oui *)1;
    struct ot_oui_src src = {"Registry,Assignment\nnothing,here,at all\n", 39, true};
    assert_int_equal(ot_oui_load_buffers(&src, 1, &o), OT_EINVAL);
    assert_null(o);
    assert_int_equal(ot_oui_load("/nonexistent/ieee-data/oui.csv", &o), OT_ENOENT);
    assert_null(o);
    assert_int_equal(ot_oui_load("/", &o), OT_EIO); /* a folder */
}

/* A long name is cut at OT_OUI_NAME_MAX bytes, never inside a UTF-8 sequence. */
static void test_long_name(void **unused)
{
    char buf[600];
    int n = snprintf(buf, sizeof(buf), "MA-L,001122,");
    for (int i = 0; i < 126; i++)
        buf[n++] = 'x';
    memcpy(buf + n, "\xc3\xa9\xc3\xa9tail,addr\n", 13);
    n += 13;
    struct ot_oui_src src = {buf, (size_t)n, true};
    struct ot_oui *o;
    assert_int_equal(ot_oui_load_buffers(&src, 1, &o), OT_OK);
    const char *s = look(o, 0x001122000000ull);
    assert_non_null(s);
    assert_int_equal(strlen(s), 126); /* the two-byte é would pass 127: left out */
    ot_oui_free(o);
}

/*
 * Record shapes around the quick parser: each must give what the general CSV
 * parser gives (CRs dropped from plain fields, kept in quoted ones; quotes,
 * line ends and short records handled by the general parser).
 */
static void test_csv_shapes(void **unused)
{
    static const char csv[] =
        "Registry,Assignment,Organization Name,Organization Address\r\n"
        "MA-L,101111,Beta,x\r\n"
        "MA-L,202222,Gamma,x\r\n"
        "MA-L,202222,Beta,x\r\n"                   /* repeated: the name stored first wins */
        "MA-L,303333,Fo\ro Inc,addr\r\n"           /* CR inside a plain name: dropped */
        "MA-L,303334,\rLead,addr\r\n"              /* leading CR: dropped */
        "MA-L,404444,\"A\rB\",x\r\n"               /* CR inside quotes: kept */
        "MA-L,404445,Tab\tInside,x\r\n"            /* a tab inside: kept */
        "MA-L,505555,Multi,\"a \"\"b\"\"\nc\"\r\n" /* quoted address: "" and a line end */
        "MA-L,505556,Next,\"x\"\r\n"
        "MA-L,606666,Short\r\n" /* three fields */
        "MA-L,606667,\"Short Quoted\"\r\n"
        "MA-L,707777,Inch,12\" screen\r\n" /* a quote inside a plain address */
        "MA-L,707778,\"Co, \"\"X\"\"\",y\r\n"
        "MA-L,808888,Five,a,b,c\r\n"
        "MA-L,12345678,Eight Digits,x\r\n" /* bad: 8 digits */
        "MA-L,00227 ,Space,x\r\n"          /* bad: not hex */
        "MA-L,A8CDEF,   ,x\r\n"            /* bad: blank name */
        "MA-L,A8CDE0,\"\",x\r\n"           /* bad: empty name */
        "\r\n"
        "MA-M,A8CDEF1,  Trimmed  ,x\r\n"
        "MA-S,A8CDEF123,Small,x\r\n"
        "MA-L,909999,Open,\"never closed";
    struct ot_oui_src src = {csv, sizeof(csv) - 1, true};
    struct ot_oui *o;
    assert_int_equal(ot_oui_load_buffers(&src, 1, &o), OT_OK);
    assert_string_equal(look(o, 0x101111000000ull), "Beta");
    assert_string_equal(look(o, 0x202222000000ull), "Beta");
    assert_ptr_equal(look(o, 0x101111000000ull), look(o, 0x202222000000ull));
    assert_string_equal(look(o, 0x303333000000ull), "Foo Inc");
    assert_string_equal(look(o, 0x303334000000ull), "Lead");
    assert_string_equal(look(o, 0x404444000000ull), "A\rB");
    assert_string_equal(look(o, 0x404445000000ull), "Tab\tInside");
    assert_string_equal(look(o, 0x505555000000ull), "Multi");
    assert_string_equal(look(o, 0x505556000000ull), "Next");
    assert_string_equal(look(o, 0x606666000000ull), "Short");
    assert_string_equal(look(o, 0x606667000000ull), "Short Quoted");
    assert_string_equal(look(o, 0x707777000000ull), "Inch");
    assert_string_equal(look(o, 0x707778000000ull), "Co, \"X\"");
    assert_string_equal(look(o, 0x808888000000ull), "Five");
    assert_string_equal(look(o, 0xa8cdef100000ull), "Trimmed");
    assert_string_equal(look(o, 0xa8cdef123000ull), "Small");
    assert_null(look(o, 0xa8cdef000000ull));
    assert_string_equal(look(o, 0x909999000000ull), "Open");
    const struct ot_oui_stats *st = ot_oui_stats(o);
    assert_int_equal(st->ma_l, 14); /* 202222 once */
    assert_int_equal(st->ma_m, 1);
    assert_int_equal(st->ma_s, 1);
    assert_int_equal(st->bad_records, 4);
    ot_oui_free(o);
}

/* A NUL inside a name (plain or quoted) makes the record bad. */
static void test_csv_nul(void **unused)
{
    static const char csv[] = "MA-L,101111,Nu\0l,x\n"
                              "MA-L,202222,\"Q\0uoted\",x\n"
                              "MA-L,303333,Fine,x\n";
    struct ot_oui_src src = {csv, sizeof(csv) - 1, true};
    struct ot_oui *o;
    assert_int_equal(ot_oui_load_buffers(&src, 1, &o), OT_OK);
    assert_null(look(o, 0x101111000000ull));
    assert_null(look(o, 0x202222000000ull));
    assert_string_equal(look(o, 0x303333000000ull), "Fine");
    assert_int_equal(ot_oui_stats(o)->bad_records, 2);
    ot_oui_free(o);
}

/* Many names: the name set grows past its first size; each name stored once. */
static void test_many_names(void **unused)
{
    enum { N = 20000 };
    size_t cap = (size_t)N * 40, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (unsigned i = 0; i < N; i++) /* plain and quoted names in turn */
        len += (size_t)snprintf(buf + len, cap - len,
                                i % 2 ? "MA-L,%06X,\"Vendor %u\",x\n" : "MA-L,%06X,Vendor %u,x\n",
                                i, i % 7000);
    struct ot_oui_src src = {buf, len, true};
    struct ot_oui *o;
    assert_int_equal(ot_oui_load_buffers(&src, 1, &o), OT_OK);
    const struct ot_oui_stats *st = ot_oui_stats(o);
    assert_int_equal(st->ma_l, N);
    for (unsigned i = 0; i < N; i += 97) {
        char want[32];
        snprintf(want, sizeof(want), "Vendor %u", i % 7000);
        assert_string_equal(look(o, (uint64_t)i << 24), want);
    }
    assert_ptr_equal(look(o, 5ull << 24), look(o, 7005ull << 24));
    ot_oui_free(o);
    free(buf);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The registry Debian ships: every file, a few known owners; time and memory printed. */
static void test_real_registry(void **unused)
{
    const char *path = "/usr/share/ieee-data/oui.csv";
    if (access(path, R_OK) != 0) {
        printf("skip: %s not installed (Debian package ieee-data)\n", path);
        skip();
    }
    double t0 = now_ms();
    struct ot_oui *o;
    assert_int_equal(ot_oui_load(path, &o), OT_OK);
    double t1 = now_ms();
    const struct ot_oui_stats *st = ot_oui_stats(o);
    printf("ieee-data csv: %u MA-L, %u MA-M, %u MA-S/IAB from %u files, %u bad records; "
           "%.1f ms, %zu KiB\n",
           st->ma_l, st->ma_m, st->ma_s, st->files, st->bad_records, t1 - t0, st->bytes / 1024);
    assert_true(st->ma_l > 20000);
    assert_true(st->ma_m > 1000);
    assert_true(st->ma_s > 1000);
    assert_int_equal(st->files, 4);
    assert_non_null(strstr(look(o, 0x00000c000001ull), "Cisco"));
    assert_string_equal(look(o, 0x70b3d5f2f000ull), "TELEPLATFORMS");
    /* Lookup speed: a million lookups. */
    double t2 = now_ms();
    size_t hits = 0;
    uint64_t x = 0x123456789abcull;
    for (int i = 0; i < 1000000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint8_t m[6];
        mac(m, (x >> 16) & 0xfcffffffffffull);
        hits += ot_oui_lookup(o, m) != NULL;
    }
    printf("1M random lookups: %.1f ms (%zu hits)\n", now_ms() - t2, hits);
    ot_oui_free(o);

    if (access("/usr/share/ieee-data/oui.txt", R_OK) == 0) {
        t0 = now_ms();
        assert_int_equal(ot_oui_load("/usr/share/ieee-data/oui.txt", &o), OT_OK);
        st = ot_oui_stats(o);
        printf("ieee-data txt: %u MA-L, %u MA-M, %u MA-S/IAB, %u bad records; %.1f ms, %zu KiB\n",
               st->ma_l, st->ma_m, st->ma_s, st->bad_records, now_ms() - t0, st->bytes / 1024);
        assert_true(st->ma_l > 20000);
        assert_string_equal(look(o, 0x70b3d5f2f000ull), "TELEPLATFORMS");
        ot_oui_free(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),           cmocka_unit_test(test_group_and_local),
        cmocka_unit_test(test_txt),           cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_long_name),     cmocka_unit_test(test_csv_shapes),
        cmocka_unit_test(test_csv_nul),       cmocka_unit_test(test_many_names),
        cmocka_unit_test(test_real_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
