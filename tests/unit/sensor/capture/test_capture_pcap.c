/*
 * Capture files through our own reader (capture-pcap.c): every record as
 * written, in both byte orders and with nanosecond stamps, a capture filter,
 * files many times the reader's 512 KiB block with records up to 64 KiB
 * crossing its ends, and a damaged last record handed back to libpcap (which
 * reports it at the record's byte offset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "otasuke/error.h"

#define FRAME_MAX 65535 /* buffer size; frames are up to frame_max bytes */

static uint32_t frame_max = 1514;

struct writer {
    FILE *fp;
    bool swapped, nsec;
};

static void put32(struct writer *w, uint32_t v)
{
    if (w->swapped)
        v = __builtin_bswap32(v);
    assert_int_equal(fwrite(&v, 4, 1, w->fp), 1);
}

static void put16(struct writer *w, uint16_t v)
{
    if (w->swapped)
        v = __builtin_bswap16(v);
    assert_int_equal(fwrite(&v, 2, 1, w->fp), 1);
}

static void file_header(struct writer *w)
{
    put32(w, w->nsec ? 0xa1b23c4d : 0xa1b2c3d4);
    put16(w, 2);
    put16(w, 4);
    put32(w, 0);
    put32(w, 0);
    put32(w, frame_max > 1514 ? 262144 : 65535); /* snapshot length */
    put32(w, 1);                                 /* Ethernet */
}

/* Frame i: Ethernet, IPv4, UDP to port 53 (even i) or 80 (odd i), `len` bytes in all. */
static uint32_t frame_len(unsigned i)
{
    return 42 + (i * (frame_max > 1514 ? 7919u : 37u)) % (frame_max - 42);
}

static void make_frame(unsigned i, uint8_t *f)
{
    uint32_t len = frame_len(i);
    memset(f, 0, len);
    f[12] = 0x08; /* IPv4 */
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[2] = (uint8_t)((len - 14) >> 8);
    ip[3] = (uint8_t)(len - 14);
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10, ip[15] = 1;
    ip[16] = 10, ip[19] = 2;
    uint8_t *udp = ip + 20;
    udp[1] = 7;
    udp[3] = (i % 2) ? 80 : 53;
    udp[4] = (uint8_t)((len - 34) >> 8);
    udp[5] = (uint8_t)(len - 34);
    for (uint32_t k = 42; k < len; k++)
        f[k] = (uint8_t)(i + k);
}

static uint64_t frame_ts_us(unsigned i)
{
    return 1700000000ull * 1000000u + i * 1234567ull % 1000000u + i * 1000000ull;
}

/* A capture of n frames; with `cut`, a last record whose data is missing. */
static void write_capture(const char *path, unsigned n, bool swapped, bool nsec, bool cut)
{
    struct writer w = {.fp = fopen(path, "wb"), .swapped = swapped, .nsec = nsec};
    assert_non_null(w.fp);
    file_header(&w);
    static uint8_t f[FRAME_MAX];
    for (unsigned i = 0; i < n; i++) {
        uint64_t ts = frame_ts_us(i);
        make_frame(i, f);
        uint32_t len = frame_len(i);
        put32(&w, (uint32_t)(ts / 1000000u));
        put32(&w, (uint32_t)(ts % 1000000u) * (nsec ? 1000u : 1u));
        put32(&w, len);
        put32(&w, len + 4); /* as if 4 bytes of FCS were not captured */
        assert_int_equal(fwrite(f, 1, len, w.fp), len);
    }
    if (cut) {
        put32(&w, 1);
        put32(&w, 0);
        put32(&w, 100);
        put32(&w, 100);
        assert_int_equal(fwrite(f, 1, 10, w.fp), 10);
    }
    assert_int_equal(fclose(w.fp), 0);
}

static char last_err[512];

/* Read the capture back; every packet must be frame `step * k` for k = 0, 1, ... */
static int read_capture(const char *path, const char *bpf, unsigned step, unsigned *count)
{
    struct ot_capture_config cfg = {.read_path = path, .bpf = bpf};
    struct ot_capture *c;
    char err[512];
    assert_int_equal(ot_capture_open(&cfg, &c, err, sizeof(err)), OT_OK);
    struct ot_capture_pkt pkt;
    static uint8_t f[FRAME_MAX];
    int rc;
    unsigned k = 0;
    while ((rc = ot_capture_next(c, &pkt, err, sizeof(err))) == 1) {
        unsigned i = k++ * step;
        make_frame(i, f);
        assert_int_equal(pkt.caplen, frame_len(i));
        assert_int_equal(pkt.wirelen, frame_len(i) + 4);
        assert_int_equal(pkt.ts_us, frame_ts_us(i));
        assert_int_equal(pkt.dlt, 1);
        assert_memory_equal(pkt.data, f, pkt.caplen);
    }
    *count = k;
    if (rc < 0)
        snprintf(last_err, sizeof(last_err), "%s", err);
    ot_capture_close(c);
    return rc;
}

static char *tmp_path(void)
{
    static char path[] = "/tmp/ot-capture-test-XXXXXX";
    strcpy(path, "/tmp/ot-capture-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return path;
}

static void test_records_as_written(void **state)
{
    char *path = tmp_path();
    /* About 2.5 MiB: read pages are given back twice on the way. */
    for (int v = 0; v < 4; v++) {
        bool swapped = v & 1, nsec = v & 2;
        write_capture(path, 3500, swapped, nsec, false);
        unsigned n;
        assert_int_equal(read_capture(path, NULL, 1, &n), 0);
        assert_int_equal(n, 3500);
    }
    unlink(path);
}

static void test_filter(void **state)
{
    char *path = tmp_path();
    write_capture(path, 3500, false, false, false);
    unsigned n;
    assert_int_equal(read_capture(path, "udp dst port 53", 2, &n), 0);
    assert_int_equal(n, 1750);
    unlink(path);
}

/* The file offset just past frame n-1 (file header, then 16-byte record headers). */
static long offset_after(unsigned n)
{
    long off = 24;
    for (unsigned i = 0; i < n; i++)
        off += 16 + (long)frame_len(i);
    return off;
}

static void test_damaged_last_record(void **state)
{
    char *path = tmp_path();
    char want[64];
    /* A short file, and one whose damaged record comes after many blocks. */
    unsigned sizes[] = {100, 3000};
    for (unsigned k = 0; k < 2; k++) {
        write_capture(path, sizes[k], false, false, true);
        unsigned n;
        assert_int_equal(read_capture(path, NULL, 1, &n), OT_ETRUNC);
        assert_int_equal(n, sizes[k]);
        snprintf(want, sizeof(want), "at byte offset %ld:", offset_after(sizes[k]));
        assert_non_null(strstr(last_err, want));
    }
    unlink(path);
}

/* Records up to 64 KiB, snapshot 262,144: many cross the reader's block ends. */
static void test_large_records(void **state)
{
    char *path = tmp_path();
    frame_max = 65535;
    write_capture(path, 400, false, false, false); /* about 13 MiB */
    unsigned n;
    assert_int_equal(read_capture(path, NULL, 1, &n), 0);
    assert_int_equal(n, 400);
    write_capture(path, 400, true, true, true);
    assert_int_equal(read_capture(path, NULL, 1, &n), OT_ETRUNC);
    assert_int_equal(n, 400);
    frame_max = 1514;
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_as_written),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_damaged_last_record),
        cmocka_unit_test(test_large_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
