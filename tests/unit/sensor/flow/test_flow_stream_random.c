/*
 * Randomised reassembly: a known byte string per direction is cut into
 * segments (plus retransmissions and overlapping re-cuts of the same bytes),
 * shuffled, and fed with random ISNs (some near the 2^32 wrap).  With room
 * enough to hold everything, each delivered stream must equal its original
 * exactly; with tight bounds, every delivered byte must still sit at its
 * original offset, and gaps must account for the rest.
 */
#include "flow-test.h"

struct rng {
    uint64_t s;
};

static uint32_t rnd(struct rng *g, uint32_t n)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return (uint32_t)((g->s >> 16) % n);
}

struct seg {
    int dir;
    uint32_t off, len;
};

#define MAX_SEGS 4096

/* Cut [0, n) into segments, then add duplicates and overlapping pieces. */
static size_t make_segments(struct rng *g, int dir, uint32_t n, struct seg *out, size_t cap)
{
    size_t k = 0;
    for (uint32_t off = 0; off < n && k < cap;) {
        uint32_t len = 1 + rnd(g, 1460);
        if (off + len > n)
            len = n - off;
        out[k++] = (struct seg){dir, off, len};
        off += len;
    }
    size_t base = k;
    size_t extra = rnd(g, (uint32_t)base + 1);
    for (size_t i = 0; i < extra && k < cap; i++) {
        if (rnd(g, 2)) {
            out[k++] = out[rnd(g, (uint32_t)base)]; /* exact retransmission */
        } else {
            uint32_t off = rnd(g, n);
            uint32_t len = 1 + rnd(g, 3000);
            if (off + len > n)
                len = n - off;
            out[k++] = (struct seg){dir, off, len}; /* a re-cut overlapping others */
        }
    }
    return k;
}

static void shuffle(struct rng *g, struct seg *s, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd(g, (uint32_t)i);
        struct seg t = s[i - 1];
        s[i - 1] = s[j];
        s[j] = t;
    }
}

static void run_round(uint64_t seed, uint32_t ooo_max, bool exact)
{
    struct rng g = {seed * 0x9e3779b97f4a7c15ULL + 1};
    struct ot_flow_config cfg;
    ot_flow_config_defaults(&cfg);
    cfg.stream_ooo_max = ooo_max;
    cfg.stream_depth = 1u << 20;
    struct rec *r = rec_new();
    struct ot_flow_table *t = table_new(r, &cfg);

    uint32_t n[2] = {1 + rnd(&g, 40000), 1 + rnd(&g, 20000)};
    uint8_t *orig[2];
    for (int d = 0; d < 2; d++) {
        orig[d] = malloc(n[d]);
        assert_non_null(orig[d]);
        for (uint32_t i = 0; i < n[d]; i++)
            orig[d][i] = (uint8_t)rnd(&g, 256);
    }
    struct seg *segs = calloc(MAX_SEGS, sizeof(*segs));
    assert_non_null(segs);
    size_t k = make_segments(&g, 0, n[0], segs, MAX_SEGS / 2);
    k += make_segments(&g, 1, n[1], segs + k, MAX_SEGS / 2);
    shuffle(&g, segs, k);

    struct conn c;
    uint32_t isn_c = rnd(&g, 4) == 0 ? 0xffffffffu - rnd(&g, 30000) : (uint32_t)g.s;
    uint32_t isn_s = rnd(&g, 4) == 0 ? 0xffffffffu - rnd(&g, 30000) : (uint32_t)(g.s >> 32);
    conn_init(&c, t, isn_c, isn_s);
    conn_handshake(&c);
    for (size_t i = 0; i < k; i++)
        conn_send(&c, segs[i].dir, OT_TH_ACK | OT_TH_PSH, segs[i].off,
                  orig[segs[i].dir] + segs[i].off, segs[i].len);
    ot_flow_flush(t, c.ts);

    assert_int_equal(r->n, 1);
    struct rec_flow *rf = &r->flows[0];
    assert_int_equal(rf->ends, 1);
    for (int d = 0; d < 2; d++) {
        if (exact) {
            assert_int_equal(rf->len[d], n[d]);
            assert_int_equal(rf->gaps[d], 0);
            assert_memory_equal(rf->buf[d], orig[d], n[d]);
            continue;
        }
        assert_true(rf->len[d] <= n[d]);
        uint64_t gap = 0;
        for (size_t i = 0; i < rf->len[d]; i++) {
            if (rf->mask[d][i])
                gap++;
            else if (rf->buf[d][i] != orig[d][i])
                fail_msg("seed %llu dir %d: byte %zu differs", (unsigned long long)seed, d, i);
        }
        assert_int_equal(gap, rf->gap_bytes[d]);
    }
    const struct ot_flow_stats *st = ot_flow_table_stats(t);
    assert_int_equal(st->tcp_ooo_memuse, 0);
    if (exact)
        assert_int_equal(st->tcp_ooo_dropped + st->tcp_reassembly_gaps, 0);
    ot_flow_table_free(t, c.ts);
    free(segs);
    free(orig[0]);
    free(orig[1]);
    rec_free(r);
}

static void test_random_exact(void **state)
{
    for (uint64_t seed = 1; seed <= 150; seed++)
        run_round(seed, 1u << 20, true);
}

static void test_random_tight_bounds(void **state)
{
    for (uint64_t seed = 1000; seed < 1150; seed++)
        run_round(seed, 1 + (uint32_t)(seed * 7919 % 8000), false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_exact),
        cmocka_unit_test(test_random_tight_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
