/*
 * ot-pcapgen: write synthetic classic pcap captures.
 *
 *   ot-pcapgen demo OUT.pcap     the project's demo capture (deterministic)
 *   ot-pcapgen bench OUT.pcap    a large mixed capture for the benchmark
 *   ot-pcapgen scenario NAME OUT.pcap   one attack (or look-alike) for the detection tests
 *
 * Only libc: the captures are built byte by byte (pcapgen-pkt.c,
 * pcapgen-proto.c) and checked against tshark by tests/tools/test_pcapgen.sh.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otasuke/error.h"
#include "otasuke/version.h"
#include "pcapgen.h"
#include "pcapgen-scenario.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: ot-pcapgen demo OUT.pcap\n"
            "       ot-pcapgen bench OUT.pcap [--packets N] [--flows F] [--seed S]\n"
            "       ot-pcapgen scenario NAME OUT.pcap [--count N] [--seed S]\n"
            "       ot-pcapgen scenario --list\n"
            "\n"
            "Writes a synthetic capture (classic pcap, Ethernet, microsecond timestamps,\n"
            "valid checksums, complete TCP conversations).  OUT.pcap may be - for stdout.\n"
            "\n"
            "  demo    about one minute of a small office network (192.168.1.0/24 and\n"
            "          fd6f:7461:7375:1::/64) from 2026-01-15T09:00:00Z: DHCP, ARP, DNS\n"
            "          (UDP, TCP, fragmented), HTTP, TLS 1.2 and 1.3, SSH, SMB2, RDP, FTP,\n"
            "          Telnet, POP3, IMAP, SMTP, ICMP, ICMPv6, a VLAN-tagged flow and a\n"
            "          port scan.  Always the same bytes.\n"
            "  bench   mixed traffic for benchmarks: TCP flows carrying HTTP and TLS,\n"
            "          DNS and other UDP, many hosts and flows.\n"
            "  scenario  one attack or its harmless look-alike, for the detection tests;\n"
            "          --count sets its size (ports probed, logins tried, ...), --list\n"
            "          names them with the family each should raise.\n"
            "\n"
            "bench options:\n"
            "  --packets N   exactly N packets (default %u, at most %u)\n"
            "  --flows F     about F flows (default N/10)\n"
            "  --seed S      random seed (default 1); same options, same file\n"
            "\n"
            "  -h, --help    this help\n"
            "  -V, --version print the version\n"
            "\n"
            "A one-line summary goes to standard error.  Exit status: 0 written,\n"
            "1 failed (the partial file is removed), 2 bad arguments.\n",
            OT_PG_BENCH_PACKETS, OT_PG_BENCH_MAX);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a bad command line; returns the exit status for it. */
static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("ot-pcapgen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'ot-pcapgen --help'.\n", stderr);
    return 2;
}

/* A whole decimal (or 0x hexadecimal) number within [MIN, MAX]. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!isdigit((unsigned char)s[0]))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static void iso_time(uint64_t ts_us, char *out, size_t cap)
{
    time_t s = (time_t)(ts_us / 1000000u);
    struct tm tm;
    gmtime_r(&s, &tm);
    char hms[32];
    if (strftime(hms, sizeof(hms), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        hms[0] = '\0';
    snprintf(out, cap, "%s.%03uZ", hms, (unsigned)(ts_us % 1000000u / 1000u));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void summary(const char *path, const struct ot_pg_summary *s, double elapsed)
{
    char from[48], to[48];
    iso_time(s->first_ts_us, from, sizeof(from));
    iso_time(s->last_ts_us, to, sizeof(to));
    fprintf(stderr,
            "ot-pcapgen: wrote %s: %llu packets, %llu flows, %llu bytes of frames, "
            "%s to %s (%.1f s) in %.2f s (%.2f M packets/s)\n",
            strcmp(path, "-") == 0 ? "standard output" : path, (unsigned long long)s->packets,
            (unsigned long long)s->conversations, (unsigned long long)s->bytes, from, to,
            (double)(s->last_ts_us - s->first_ts_us) / 1e6, elapsed,
            elapsed > 0 ? (double)s->packets / elapsed / 1e6 : 0.0);
}

/* Options after the command (before or after the operand); the one operand is the output path. */
static int parse_command(int argc, char **argv, bool bench, struct ot_pg_bench_opts *o,
                         const char **path)
{
    static const struct option longopts[] = {{"packets", required_argument, NULL, 'n'},
                                             {"flows", required_argument, NULL, 'f'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    bool flows_set = false;
    uint64_t v;
    int c, li;
    opterr = 0;
    while ((li = -1, c = getopt_long(argc, argv, ":h", longopts, &li)) != -1) {
        const char *opt = li >= 0 ? longopts[li].name : argv[optind - 1];
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (c == ':')
            return bad_usage("option '%s' needs a value", argv[optind - 1]);
        if (c == '?')
            return bad_usage("%s: unknown option '%s'", bench ? "bench" : "demo", opt);
        if (!bench)
            return bad_usage("demo: takes no options (got '--%s'): it is always the same capture",
                             opt);
        switch (c) {
        case 'n':
            if (!parse_u64(optarg, 1, OT_PG_BENCH_MAX, &v))
                return bad_usage("--packets: expected a number from 1 to 1000000000, got '%s'",
                                 optarg);
            o->packets = v;
            break;
        case 'f':
            if (!parse_u64(optarg, 1, OT_PG_BENCH_MAX, &v))
                return bad_usage("--flows: expected a number from 1 to 1000000000, got '%s'",
                                 optarg);
            o->flows = v;
            flows_set = true;
            break;
        default: /* 's' */
            if (!parse_u64(optarg, 0, UINT64_MAX, &v))
                return bad_usage("--seed: expected a number, got '%s'", optarg);
            o->seed = v;
            break;
        }
    }
    if (optind >= argc)
        return bad_usage("%s: missing the output file (OUT.pcap, or - for stdout)",
                         bench ? "bench" : "demo");
    if (optind + 1 < argc)
        return bad_usage("unexpected argument '%s'", argv[optind + 1]);
    *path = argv[optind];
    if (!flows_set)
        o->flows = o->packets / 10 ? o->packets / 10 : 1;
    if (o->flows > o->packets)
        o->flows = o->packets;
    return 0;
}

static const char *err_text(int rc)
{
    switch (rc) {
    case OT_ENOMEM:
        return "out of memory";
    case OT_EIO:
        return "write error";
    case OT_ELIMIT:
        return "a built message did not fit (bug)";
    case OT_EINVAL:
        return "invalid scenario (bug)";
    default:
        return "failed";
    }
}

static void list_scenarios(void)
{
    printf("%-28s %-22s %s\n", "scenario", "family", "--count (default)");
    for (const struct ot_pg_scenario *s = ot_pg_scenarios; s->name; s++)
        printf("%-28s %-22s %s (%u)\n", s->name, s->family, s->count_is, s->count_default);
}

/* ot-pcapgen scenario NAME OUT [--count N] [--seed S] | --list */
static int scenario_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"count", required_argument, NULL, 'c'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"list", no_argument, NULL, 'l'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct ot_pg_scenario_args a = {.seed = 1, .t0 = OT_PG_SCENARIO_T0};
    uint64_t v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return 0;
        case 'l':
            list_scenarios();
            return 0;
        case 'c':
            if (!parse_u64(optarg, 1, 1000000, &v))
                return bad_usage("--count: expected a number from 1 to 1000000, got '%s'", optarg);
            a.count = (uint32_t)v;
            break;
        case 's':
            if (!parse_u64(optarg, 0, UINT64_MAX, &v))
                return bad_usage("--seed: expected a number, got '%s'", optarg);
            a.seed = v;
            break;
        case ':':
            return bad_usage("option '%s' needs a value", argv[optind - 1]);
        default:
            return bad_usage("scenario: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return bad_usage("scenario: expected NAME OUT.pcap (see 'ot-pcapgen scenario --list')");
    const struct ot_pg_scenario *sc = ot_pg_scenario_find(argv[optind]);
    if (!sc)
        return bad_usage("scenario: unknown scenario '%s' (see 'ot-pcapgen scenario --list')",
                         argv[optind]);
    if (!a.count)
        a.count = sc->count_default;
    const char *path = argv[optind + 1];
    struct ot_pg_sink sk;
    double t0 = now_s();
    int rc = ot_pg_sink_open(&sk, path, true);
    if (rc == 0) {
        rc = sc->write(&sk, &a);
        int crc = ot_pg_sink_close(&sk);
        if (!rc)
            rc = crc;
    }
    if (rc) {
        fprintf(stderr, "ot-pcapgen: %s not written: %s\n", path, err_text(rc));
        return 1;
    }
    struct ot_pg_summary s = {.packets = sk.packets, .bytes = sk.bytes,
                              .first_ts_us = sk.first_ts, .last_ts_us = sk.last_ts};
    summary(path, &s, now_s() - t0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("ot-pcapgen %s\n", OT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "scenario") == 0)
        return scenario_main(argc - 1, argv + 1);
    bool bench = strcmp(cmd, "bench") == 0;
    if (!bench && strcmp(cmd, "demo") != 0)
        return bad_usage("unknown command '%s' (expected demo or bench)", cmd);

    struct ot_pg_bench_opts o = {.packets = OT_PG_BENCH_PACKETS, .seed = 1};
    const char *path = NULL;
    int rc = parse_command(argc - 1, argv + 1, bench, &o, &path);
    if (rc)
        return rc;

    struct ot_pg_summary s = {0};
    double t0 = now_s();
    rc = bench ? ot_pg_bench_write(path, &o, &s) : ot_pg_demo_write(path, &s);
    if (rc) {
        fprintf(stderr, "ot-pcapgen: %s not written: %s\n", path, err_text(rc));
        return 1;
    }
    summary(path, &s, now_s() - t0);
    return 0;
}
