/* Rate limiter (token bucket per device, bounded table) and bounded gzip inflation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "api/limits.h"
#include "otasuke/error.h"

static void test_bucket(void **state)
{
    struct ot_rate r;
    assert_int_equal(ot_rate_init(&r, 64, 2.0, 3.0), 0);
    unsigned ra = 0;
    int64_t t = 1000000000;
    /* burst of 3, then refused with a Retry-After of one second */
    for (int i = 0; i < 3; i++)
        assert_true(ot_rate_take(&r, 5, t, &ra));
    assert_false(ot_rate_take(&r, 5, t, &ra));
    assert_int_equal(ra, 1);
    assert_int_equal(r.refused, 1);
    /* another device is not affected */
    assert_true(ot_rate_take(&r, 6, t, &ra));
    /* half a second gives one token at 2/s */
    assert_true(ot_rate_take(&r, 5, t + 500000, &ra));
    assert_false(ot_rate_take(&r, 5, t + 500000, &ra));
    /* a long pause refills to the burst only */
    t += 100 * 1000000LL;
    for (int i = 0; i < 3; i++)
        assert_true(ot_rate_take(&r, 5, t, &ra));
    assert_false(ot_rate_take(&r, 5, t, &ra));
    /* a clock going backwards neither refills nor breaks */
    assert_false(ot_rate_take(&r, 5, t - 5000000, &ra));
    /* slow rates give longer Retry-After */
    ot_rate_set(&r, 0.1, 1);
    assert_true(ot_rate_take(&r, 77, t, &ra));
    assert_false(ot_rate_take(&r, 77, t, &ra));
    assert_int_equal(ra, 10);
    ot_rate_free(&r);
    /* rate 0 = off */
    assert_int_equal(ot_rate_init(&r, 8, 0, 1), 0);
    for (int i = 0; i < 100; i++)
        assert_true(ot_rate_take(&r, 1, t, &ra));
    ot_rate_free(&r);
}

static void test_table_bound(void **state)
{
    struct ot_rate r;
    assert_int_equal(ot_rate_init(&r, 8, 1.0, 1.0), 0);
    assert_int_equal(r.nslots, 8);
    unsigned ra;
    for (int64_t k = 1; k <= 1000; k++)
        assert_true(ot_rate_take(&r, k, k, &ra));
    assert_true(r.evicted >= 1000 - 8);
    ot_rate_free(&r);
}

/* gzip of in[0..n) into a malloc'd buffer. */
static unsigned char *gz(const void *in, size_t n, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *outlen = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void test_inflate(void **state)
{
    size_t plain_n = 1 << 20;
    char *plain = malloc(plain_n);
    for (size_t i = 0; i < plain_n; i++)
        plain[i] = (char)('a' + i % 26);
    size_t zn;
    unsigned char *z = gz(plain, plain_n, &zn);
    char *out;
    size_t outn;
    const char *why;
    assert_int_equal(ot_inflate_gzip(z, zn, plain_n, &out, &outn, &why), 0);
    assert_int_equal(outn, plain_n);
    assert_memory_equal(out, plain, plain_n);
    assert_int_equal(out[outn], '\0');
    free(out);
    /* one byte less allowed: too big */
    assert_int_equal(ot_inflate_gzip(z, zn, plain_n - 1, &out, &outn, &why), OT_INFLATE_TOO_BIG);
    assert_null(out);
    assert_string_equal(why, "inflated body too large");
    /* every truncation is "bad", never accepted */
    for (size_t cut = 0; cut < zn; cut += (cut < 40 ? 1 : 997)) {
        int rc = ot_inflate_gzip(z, cut, plain_n, &out, &outn, &why);
        assert_int_equal(rc, OT_INFLATE_BAD);
        assert_null(out);
    }
    assert_int_equal(ot_inflate_gzip(z, zn - 1, plain_n, &out, &outn, &why), OT_INFLATE_BAD);
    assert_string_equal(why, "truncated gzip body");
    /* corrupt body */
    z[zn / 2] ^= 0x55;
    assert_int_equal(ot_inflate_gzip(z, zn, plain_n * 4, &out, &outn, &why), OT_INFLATE_BAD);
    free(z);
    /* not gzip at all */
    assert_int_equal(ot_inflate_gzip("{}", 2, 100, &out, &outn, &why), OT_INFLATE_BAD);
    assert_string_equal(why, "body is not gzip");
    /* two members concatenated, and an empty member */
    size_t an, bn;
    unsigned char *a = gz("hello ", 6, &an), *b = gz("world", 5, &bn);
    unsigned char *ab = malloc(an + bn);
    memcpy(ab, a, an);
    memcpy(ab + an, b, bn);
    assert_int_equal(ot_inflate_gzip(ab, an + bn, 100, &out, &outn, &why), 0);
    assert_string_equal(out, "hello world");
    free(out);
    free(a);
    free(b);
    free(ab);
    a = gz("", 0, &an);
    assert_int_equal(ot_inflate_gzip(a, an, 100, &out, &outn, &why), 0);
    assert_int_equal(outn, 0);
    free(out);
    free(a);
    free(plain);
}

/* A gzip bomb: 64 MiB of zeros compresses to ~64 KiB; a 1 MiB bound stops it early. */
static void test_bomb(void **state)
{
    size_t n = 64u << 20;
    char *zeros = calloc(1, n);
    size_t zn;
    unsigned char *z = gz(zeros, n, &zn);
    free(zeros);
    char *out;
    size_t outn;
    assert_int_equal(ot_inflate_gzip(z, zn, 1 << 20, &out, &outn, NULL), OT_INFLATE_TOO_BIG);
    free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_table_bound),
        cmocka_unit_test(test_inflate),
        cmocka_unit_test(test_bomb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
