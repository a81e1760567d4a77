/*
 * Indicator sets at scale.
 *
 *   bench_indicators [-n COUNT] [-q QUERIES] [FILE]
 *
 * Without FILE: writes COUNT (default 1,000,000) mixed indicators to a temp
 * file (35% IPv4, 8% /24, 1% /20, 0.1% /16, 5% IPv6, 1% IPv6 /48, 31%
 * domains, 10% URLs, 4% JA3, 4% SHA-256; deterministic), loads it, and prints
 * load seconds and the RSS the set added (VmRSS from /proc/self/status before
 * and after load + finalize).  Then lookups per second, hits and misses, per
 * kind, against a 10-indicator set built by the same generator (one of each
 * kind, so both sets hold the same prefix lengths) and against the big set,
 * side by side.  Hit queries are drawn at random from each set; miss queries
 * from ranges the generator never uses.  Every hit/miss count is checked.
 *
 * With FILE: loads that file instead (format by extension) and prints only
 * the load figures.  Targets are printed next to the figures; nothing is
 * printed that was not measured.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "indicators/indicators.h"
#include "otasuke/error.h"

enum kind { K_IP4, K_IP6, K_DOMAIN, K_URL, K_JA3, K_SHA256, K_COUNT };
static const char *const kind_names[K_COUNT] = {"ipv4", "ipv6", "domain", "url", "ja3", "sha256"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* Anonymous memory on transparent huge pages, from smaps_rollup; -1 if unknown. */
static long huge_kib(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static const char *const tlds[] = {"com", "net", "org", "info", "xyz", "top", "ru", "io", "biz"};

static void label(char *out, uint64_t r, int len)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < len; i++) {
        out[i] = al[r % 36];
        r = r / 36 ? r / 36 : mix(r);
    }
    out[len] = '\0';
}

static int domain(char *out, size_t cap, uint64_t r)
{
    char l1[20], l2[20];
    label(l1, mix(r), 6 + (int)(r % 9));
    const char *tld = tlds[(r >> 8) % 9];
    if ((r >> 16) % 4 == 0) {
        label(l2, mix(r ^ 7), 3 + (int)((r >> 20) % 5));
        return snprintf(out, cap, "%s.%s.%s", l2, l1, tld);
    }
    return snprintf(out, cap, "%s.%s", l1, tld);
}

static void hex(char *out, uint64_t r, int digits)
{
    static const char h[] = "0123456789abcdef";
    for (int i = 0; i < digits; i++) {
        if (i % 16 == 0)
            r = mix(r + (uint64_t)i);
        out[i] = h[r & 15];
        r >>= 4;
    }
    out[digits] = '\0';
}

/* One query: an address, or host + text (for URLs, text is the target). */
struct query {
    uint8_t addr[16];
    char host[96];
    char text[160];
};

/* The i-th indicator, as a line, and a query that hits it.  `shape` picks
 * the kind (i % 100 for the big set). */
static enum kind gen(uint64_t i, unsigned shape, char *line, size_t cap, struct query *q)
{
    uint64_t r = mix(i * 0x100000001B3ULL + 17);
    memset(q, 0, sizeof(*q));
    if (shape < 45) {
        unsigned plen = 32;
        if (shape >= 35)
            plen = shape < 43 ? 24 : shape == 43 ? 20 : ((i / 100) % 10 == 0 ? 16 : 24);
        uint32_t a = ((uint32_t)(1 + r % 100) << 24) | (uint32_t)((r >> 8) & 0xffffff);
        uint32_t net = plen == 32 ? a : a & ~((1u << (32 - plen)) - 1);
        uint32_t member = net | (plen == 32 ? 0 : (uint32_t)(r >> 40) & ((1u << (32 - plen)) - 1));
        for (int k = 0; k < 4; k++)
            q->addr[k] = (uint8_t)(member >> (24 - 8 * k));
        if (plen == 32)
            snprintf(line, cap, "%u.%u.%u.%u", net >> 24, (net >> 16) & 255, (net >> 8) & 255,
                     net & 255);
        else
            snprintf(line, cap, "%u.%u.%u.%u/%u", net >> 24, (net >> 16) & 255, (net >> 8) & 255,
                     net & 255, plen);
        return K_IP4;
    }
    if (shape < 51) {
        uint64_t r2 = mix(r);
        uint16_t g[8] = {(uint16_t)(0x2a00 + (r & 0xff)),
                         (uint16_t)(r >> 8),
                         (uint16_t)(r >> 24),
                         (uint16_t)(r >> 40),
                         (uint16_t)(r2),
                         (uint16_t)(r2 >> 16),
                         (uint16_t)(r2 >> 32),
                         (uint16_t)(r2 >> 48)};
        bool net = shape == 50;
        for (int k = 0; k < 8; k++) {
            q->addr[2 * k] = (uint8_t)(g[k] >> 8);
            q->addr[2 * k + 1] = (uint8_t)g[k];
        }
        if (net)
            snprintf(line, cap, "%x:%x:%x::/48", g[0], g[1], g[2]);
        else
            snprintf(line, cap, "%x:%x:%x:%x:%x:%x:%x:%x", g[0], g[1], g[2], g[3], g[4], g[5], g[6],
                     g[7]);
        return K_IP6;
    }
    if (shape < 82) {
        char d[96];
        domain(d, sizeof(d), r);
        snprintf(line, cap, "%s", d);
        snprintf(q->text, sizeof(q->text), "www.%s", d);
        return K_DOMAIN;
    }
    if (shape < 92) {
        char d[96], w1[16], w2[16];
        domain(q->host, sizeof(q->host), r);
        label(w1, mix(r + 1), 4 + (int)(r % 6));
        label(w2, mix(r + 2), 5 + (int)((r >> 4) % 6));
        snprintf(d, sizeof(d), "/%s/%s.php", w1, w2);
        if (r & 1)
            snprintf(q->text, sizeof(q->text), "%s?id=%u", d, (unsigned)(r >> 32) % 100000);
        else
            snprintf(q->text, sizeof(q->text), "%s", d);
        snprintf(line, cap, "http://%s%s", q->host, q->text);
        return K_URL;
    }
    if (shape < 96) {
        hex(q->text, r, 32);
        snprintf(line, cap, "%s", q->text);
        return K_JA3;
    }
    hex(q->text, r, 64);
    snprintf(line, cap, "%s", q->text);
    return K_SHA256;
}

/* A query the generators never hit. */
static void miss(enum kind k, uint64_t r, struct query *q)
{
    memset(q, 0, sizeof(*q));
    switch (k) {
    case K_IP4:
        q->addr[0] = (uint8_t)(200 + r % 24); /* the generator uses 1-100 */
        q->addr[1] = (uint8_t)(r >> 8);
        q->addr[2] = (uint8_t)(r >> 16);
        q->addr[3] = (uint8_t)(r >> 24);
        break;
    case K_IP6:
        q->addr[0] = 0x2c;
        for (int i = 1; i < 16; i++)
            q->addr[i] = (uint8_t)(mix(r + (uint64_t)i));
        break;
    case K_DOMAIN: {
        char l[16];
        label(l, r, 10);
        snprintf(q->text, sizeof(q->text), "www.zz-miss-%s.%s", l, tlds[r % 9]);
        break;
    }
    case K_URL:
        domain(q->host, sizeof(q->host), mix(r));
        snprintf(q->text, sizeof(q->text), "/zz-miss/%u.php", (unsigned)r);
        break;
    case K_JA3: /* random 128- and 256-bit values: never equal to a listed one */
        hex(q->text, r ^ 0x5555, 32);
        break;
    case K_SHA256:
        hex(q->text, r ^ 0xAAAA, 64);
        break;
    default:
        break;
    }
}

static bool lookup(const struct ot_ioc_set *s, enum kind k, const struct query *q)
{
    switch (k) {
    case K_IP4:
        return ot_ioc_match_ip(s, q->addr, false, NULL);
    case K_IP6:
        return ot_ioc_match_ip(s, q->addr, true, NULL);
    case K_DOMAIN:
        return ot_ioc_match_domain(s, q->text, strlen(q->text), NULL);
    case K_URL:
        return ot_ioc_match_url(s, q->host, strlen(q->host), q->text, strlen(q->text), NULL);
    case K_JA3:
        return ot_ioc_match_hash(s, OT_IOC_JA3, q->text, strlen(q->text), NULL);
    case K_SHA256:
        return ot_ioc_match_hash(s, OT_IOC_SHA256, q->text, strlen(q->text), NULL);
    default:
        return false;
    }
}

/* Time n lookups; returns lookups per second, *hits how many matched. */
static double run(const struct ot_ioc_set *s, enum kind k, const struct query *qs, size_t n,
                  size_t *hits)
{
    size_t h = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++)
        h += lookup(s, k, &qs[i]);
    double el = now_s() - t0;
    *hits = h;
    return (double)n / el;
}

static int write_file(const char *path, uint64_t count)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    char line[512];
    struct query q;
    for (uint64_t i = 0; i < count; i++) {
        gen(i, (unsigned)(i % 100), line, sizeof(line), &q);
        fputs(line, f);
        fputc('\n', f);
    }
    return fclose(f);
}

/* The shapes of the 10-indicator set: one of each kind and prefix length. */
static const unsigned small_shapes[10] = {0, 35, 43, 44, 45, 50, 51, 82, 92, 96};
static const uint64_t small_index[10] = {0, 35, 43, 44, 45, 50, 51, 82, 92, 96};

static int lookups(const struct ot_ioc_set *big, uint64_t count, size_t nq)
{
    struct ot_ioc_set *small;
    char line[512];
    struct query q;
    if (ot_ioc_set_new(&small, 10) != 0)
        return 1;
    for (int i = 0; i < 10; i++) {
        gen(small_index[i], small_shapes[i], line, sizeof(line), &q);
        if (ot_ioc_set_add(small, OT_IOC_AUTO, line, strlen(line), NULL, NULL, 0) != 0) {
            fprintf(stderr, "bench_indicators: cannot add %s\n", line);
            return 1;
        }
    }
    ot_ioc_set_finalize(small);
    struct query *qs = malloc(nq * sizeof(*qs));
    if (!qs)
        return 1;
    int bad = 0;
    printf("\nlookups (%zu per cell, Mlookups/s, ns/lookup in brackets)\n", nq);
    char bh[32], bm[32];
    snprintf(bh, sizeof(bh), "%llu-set hit", (unsigned long long)count);
    snprintf(bm, sizeof(bm), "%llu-set miss", (unsigned long long)count);
    printf("%-8s %20s %20s %20s %20s %10s\n", "kind", "10-set hit", "10-set miss", bh, bm,
           "hit big/10");
    for (int k = 0; k < K_COUNT; k++) {
        double rate[4];
        for (int cell = 0; cell < 4; cell++) {
            bool is_small = cell < 2, is_hit = cell % 2 == 0;
            size_t filled = 0;
            uint64_t r = 12345 + (uint64_t)cell * 1000003ULL + (uint64_t)k;
            while (filled < nq) {
                r = mix(r);
                if (!is_hit) {
                    miss((enum kind)k, r, &qs[filled++]);
                    continue;
                }
                uint64_t i;
                unsigned shape;
                if (is_small) {
                    int j = (int)(r % 10);
                    i = small_index[j];
                    shape = small_shapes[j];
                } else {
                    i = r % count;
                    shape = (unsigned)(i % 100);
                }
                if (gen(i, shape, line, sizeof(line), &qs[filled]) == (enum kind)k)
                    filled++;
            }
            size_t hits;
            rate[cell] = run(is_small ? small : big, (enum kind)k, qs, nq, &hits);
            size_t want = is_hit ? nq : 0;
            if (hits != want) {
                fprintf(stderr, "bench_indicators: %s %s: %zu hits of %zu queries\n", kind_names[k],
                        is_hit ? "hit" : "miss", hits, nq);
                bad = 1;
            }
        }
        printf("%-8s", kind_names[k]);
        for (int cell = 0; cell < 4; cell++)
            printf("     %6.2f (%6.0f ns)", rate[cell] / 1e6, 1e9 / rate[cell]);
        printf("  %9.2fx\n", rate[0] / rate[2]);
    }
    printf("target: a lookup costs the same at 10 as at 1,000,000 indicators (both sets hold the "
           "same prefix lengths, so the probe count is equal; 'hit big/10' is the measured time "
           "ratio)\n");
    free(qs);
    ot_ioc_set_free(small);
    return bad;
}

int main(int argc, char **argv)
{
    uint64_t count = 1000000;
    size_t nq = 1000000;
    const char *file = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "n:q:")) != -1) {
        if (opt == 'n')
            count = strtoull(optarg, NULL, 10);
        else if (opt == 'q')
            nq = strtoull(optarg, NULL, 10);
        else {
            fprintf(stderr, "usage: bench_indicators [-n COUNT] [-q QUERIES] [FILE]\n");
            return 2;
        }
    }
    if (optind < argc)
        file = argv[optind];
    if (count == 0 || count > OT_IOC_DEFAULT_MAX || nq == 0) {
        fprintf(stderr, "bench_indicators: bad -n or -q\n");
        return 2;
    }
    char tmp[] = "/tmp/ot-bench-ioc-XXXXXX.txt";
    if (!file) {
        int fd = mkstemps(tmp, 4);
        if (fd < 0) {
            perror("mkstemps");
            return 1;
        }
        close(fd);
        double t0 = now_s();
        if (write_file(tmp, count) != 0) {
            perror(tmp);
            return 1;
        }
        printf("generated %llu indicators into %s in %.2f s\n", (unsigned long long)count, tmp,
               now_s() - t0);
    }
    const char *path = file ? file : tmp;

    struct ot_ioc_set *s;
    long before = rss_kib();
    double t0 = now_s();
    if (ot_ioc_set_new(&s, 0) != 0)
        return 1;
    struct ot_ioc_load_stats st;
    int rc = ot_ioc_load_file(s, path, NULL, &st);
    ot_ioc_set_finalize(s);
    double load_s = now_s() - t0;
    long after = rss_kib();
    if (!file)
        unlink(tmp);
    if (rc != 0) {
        fprintf(stderr, "bench_indicators: load failed: %s\n", ot_strerror(rc));
        return 1;
    }
    struct ot_ioc_set_info in;
    ot_ioc_set_info(s, &in);
    printf("load: lines=%llu loaded=%llu duplicates=%llu errors=%llu\n",
           (unsigned long long)st.lines, (unsigned long long)st.loaded,
           (unsigned long long)st.duplicates, (unsigned long long)st.errors);
    printf("load: types ip=%u cidr=%u domain=%u url=%u ja3=%u sha256=%u\n", in.by_type[OT_IOC_IP],
           in.by_type[OT_IOC_CIDR], in.by_type[OT_IOC_DOMAIN], in.by_type[OT_IOC_URL],
           in.by_type[OT_IOC_JA3], in.by_type[OT_IOC_SHA256]);
    printf("load_seconds=%.3f   (target < 2 s for 1,000,000)\n", load_s);
    printf("rss_added_mb=%.1f   (target < 150 MB for 1,000,000; VmRSS %.1f -> %.1f MB)\n",
           (double)(after - before) / 1024.0, (double)before / 1024.0, (double)after / 1024.0);
    printf("set_heap_mb=%.1f   (the set's own accounting; %.0f bytes per indicator)\n",
           (double)in.bytes / 1048576.0, (double)in.bytes / (in.count ? in.count : 1));
    if (huge_kib() >= 0)
        printf("anon_huge_pages_mb=%.1f\n", (double)huge_kib() / 1024.0);
    int bad = file ? 0 : lookups(s, count, nq);
    ot_ioc_set_free(s);
    return bad;
}
