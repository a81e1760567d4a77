/*
 * OUI registry: CSV (quoted fields, fields spanning lines, the header), the
 * text listing (MA-L lines and MA-M/MA-S ranges), longest-prefix lookup,
 * names stored once, bad records counted, multicast and local MACs, missing
 * files, and the real ieee-data registry when installed (load time and
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
        cmocka_unit_test(test_csv),       cmocka_unit_test(test_group_and_local),
        cmocka_unit_test(test_txt),       cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_long_name), cmocka_unit_test(test_real_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
