/*
 * otasuke-sensor: watch a network (live or capture files) and write events.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "otasuke/version.h"
#include "output/server-out.h"
#include "sensor.h"
#include "transport/enroll.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static struct ot_capture *signal_capture; /* for pcap_breakloop from the handler */

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    ot_capture_break(signal_capture);
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: otasuke-sensor [options] -r FILE|FOLDER\n"
            "       otasuke-sensor [options] -i INTERFACE [-f FILTER]\n"
            "       otasuke-sensor enroll URL TOKEN [--state DIR] [--name NAME]\n"
            "\n"
            "Watches a network and writes one JSON event per line (Suricata EVE field names).\n"
            "\n"
            "  -r PATH          read a pcap/pcapng file, or every capture in a folder in name order\n"
            "  -i IFACE         capture live from an interface\n"
            "  -f FILTER        capture filter (BPF syntax)\n"
            "  -o FILE|-        write events to FILE (default: standard output)\n"
            "  -c FILE          configuration file (key = value lines, see docs/configuration.md)\n"
            "  -s KEY=VALUE     set one configuration key (wins over the file; repeatable)\n"
            "  -T               check the configuration and exit (with -v: print it)\n"
            "  -u USER          become USER once the capture is open\n"
            "  -d SECONDS       live capture: stop after SECONDS\n"
            "  --indicators FILE  load an indicator set (plain list or CSV; repeatable)\n"
            "  --allowlist FILE   suppress alerts matching its entries (repeatable)\n"
            "  --home-net LIST    home networks, e.g. 192.168.0.0/16,fd00::/8\n"
            "                     (default: the RFC 1918 ranges and IPv6 ULA)\n"
            "  --server         also send events to the server this sensor enrolled with\n"
            "                   (types in server.event-types; spooled on disk first)\n"
            "  --state DIR      enrolment and spool folder (default ./otasuke-sensor-state)\n"
            "  -q               no progress line and no summary\n"
            "  -v               more log output (repeat for debug)\n"
            "  -h, --help       this help\n"
            "  -V, --version    print the version\n");
}

/* Switch to an unprivileged user once everything privileged is open. */
static int drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        ot_err("run-as: no such user '%s'", user);
        return OT_EINVAL;
    }
    if (getuid() != 0 && geteuid() != 0) {
        ot_info("not running as root: staying user %u", (unsigned)getuid());
        return OT_OK;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        ot_err("cannot become user '%s': %s", user, strerror(errno));
        return OT_EPERM;
    }
    if (setuid(0) == 0) {
        ot_err("privileges could be regained after switching to '%s': refusing to run", user);
        return OT_EPERM;
    }
    ot_info("running as user '%s' (uid %u)", user, (unsigned)pw->pw_uid);
    return OT_OK;
}

/* The folder of `path` ("." for a bare name) into dir. */
static void folder_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/*
 * After switching user: the folders the sensor writes into later must be
 * writable by that user, or it would fail hours into the run (rotating its
 * output, saving the asset state, spooling for the server).  Says which.
 */
static int check_writable(const struct ot_sensor_config *cfg)
{
    char dirs[3][4096];
    const char *what[3];
    int n = 0;
    if (cfg->rotate_bytes && strcmp(cfg->output, "-") != 0) {
        folder_of(cfg->output, dirs[n], sizeof(dirs[n]));
        what[n++] = "output.rotate-size: the output's folder";
    }
    if (cfg->asset.enabled && cfg->asset.state_path[0]) {
        folder_of(cfg->asset.state_path, dirs[n], sizeof(dirs[n]));
        what[n++] = "asset.state-file: its folder";
    }
    if (cfg->server) {
        snprintf(dirs[n], sizeof(dirs[n]), "%s/spool", cfg->state_dir);
        what[n++] = "server: the spool folder";
    }
    for (int i = 0; i < n; i++)
        if (access(dirs[i], W_OK | X_OK) != 0) {
            ot_err("run-as: user '%s' cannot write to %s (%s): %s", cfg->run_as, dirs[i], what[i],
                   strerror(errno));
            return OT_EPERM;
        }
    return OT_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct ot_capture *cap, uint64_t packets, double t0)
{
    struct ot_capture_stats cs;
    ot_capture_stats(cap, &cs);
    double el = now_s() - t0;
    double pct = cs.bytes_total ? 100.0 * (double)cs.bytes_done / (double)cs.bytes_total : 0;
    fprintf(stderr, "\rotasuke-sensor: %5.1f%%  %llu packets  %.2f M packets/s   ", pct,
            (unsigned long long)packets, el > 0 ? (double)packets / el / 1e6 : 0.0);
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

/* -s KEY=VALUE: 0, 1 (the key or value was refused, reason printed) or 2 (not KEY=VALUE). */
static int set_option(struct ot_sensor_config *cfg, char *arg)
{
    char *eq = strchr(arg, '=');
    if (!eq) {
        fprintf(stderr, "-s: expected KEY=VALUE, got '%s'\n", arg);
        return 2;
    }
    *eq = '\0';
    int rc = ot_sensor_config_set(cfg, arg, eq + 1, "-s");
    *eq = '=';
    return rc ? 1 : 0;
}

enum { OPT_INDICATORS = 1000, OPT_ALLOWLIST, OPT_HOME_NET, OPT_STATE, OPT_SERVER, OPT_NAME };

struct opts {
    const char *config_path;
    bool check_only;
    bool quiet;
    int verbose;
};

static int parse_args(int argc, char **argv, struct ot_sensor_config *cfg, struct opts *o)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"indicators", required_argument, NULL, OPT_INDICATORS},
        {"allowlist", required_argument, NULL, OPT_ALLOWLIST},
        {"home-net", required_argument, NULL, OPT_HOME_NET},
        {"state", required_argument, NULL, OPT_STATE},
        {"server", no_argument, NULL, OPT_SERVER},
        {NULL, 0, NULL, 0}};
    /* First pass: only -c, so that the file is applied before other options. */
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "r:i:f:o:c:s:Tu:d:qvhV", longopts, NULL)) != -1)
        if (c == 'c')
            o->config_path = optarg;
    if (o->config_path && ot_sensor_config_load(cfg, o->config_path))
        return 1;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "r:i:f:o:c:s:Tu:d:qvhV", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'r':
            rc = ot_sensor_config_set(cfg, "read", optarg, "-r");
            break;
        case 'i':
            rc = ot_sensor_config_set(cfg, "interface", optarg, "-i");
            break;
        case 'f':
            rc = ot_sensor_config_set(cfg, "bpf", optarg, "-f");
            break;
        case 'o':
            rc = ot_sensor_config_set(cfg, "output", optarg, "-o");
            break;
        case 'u':
            rc = ot_sensor_config_set(cfg, "run-as", optarg, "-u");
            break;
        case 'd':
            rc = ot_sensor_config_set(cfg, "duration", optarg, "-d");
            break;
        case 's':
            rc = set_option(cfg, optarg);
            break;
        case OPT_INDICATORS:
            rc = ot_sensor_config_set(cfg, "indicators", optarg, "--indicators");
            break;
        case OPT_ALLOWLIST:
            rc = ot_sensor_config_set(cfg, "allowlist", optarg, "--allowlist");
            break;
        case OPT_HOME_NET:
            rc = ot_sensor_config_set(cfg, "home-net", optarg, "--home-net");
            break;
        case OPT_STATE:
            rc = ot_sensor_config_set(cfg, "state-dir", optarg, "--state");
            break;
        case OPT_SERVER:
            rc = ot_sensor_config_set(cfg, "server.enabled", "yes", "--server");
            break;
        case 'c':
            break;
        case 'T':
            o->check_only = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'v':
            o->verbose++;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("otasuke-sensor %s\n", OT_VERSION);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
        if (rc)
            return rc > 0 ? rc : 1;
    }
    if (optind < argc) {
        fprintf(stderr, "otasuke-sensor: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return 0;
}

/*
 * `otasuke-sensor enroll URL TOKEN`: trade a one-time token for this
 * device's credential, pinning the server's CA by the hash the token
 * carries (docs/server/design.md).  Writes DIR/enroll.json and DIR/ca.pem.
 */
static int enroll_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, OPT_STATE},
        {"name", required_argument, NULL, OPT_NAME},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct ot_sensor_config cfg;
    ot_sensor_config_defaults(&cfg);
    const char *name = NULL, *config_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:h", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_STATE:
            rc = ot_sensor_config_set(&cfg, "state-dir", optarg, "--state");
            break;
        case OPT_NAME:
            name = optarg;
            break;
        case 'c':
            config_path = optarg;
            rc = ot_sensor_config_load(&cfg, config_path);
            break;
        case 's':
            rc = set_option(&cfg, optarg);
            break;
        case 'h':
            printf("usage: otasuke-sensor enroll URL TOKEN [--state DIR] [--name NAME] [-c FILE]\n"
                   "\n"
                   "Trades the one-time TOKEN (from `otasuke token create`) for this sensor's\n"
                   "credential at the server URL (https://HOST:PORT).  The token carries the hash of\n"
                   "the server's certificate authority: a server whose CA does not match is refused.\n"
                   "Writes DIR/enroll.json (the credential, mode 0600) and DIR/ca.pem; then run the\n"
                   "sensor with --server (and the same --state) to send it events.\n");
            return 0;
        default:
            return 2;
        }
        if (rc)
            return rc > 0 ? rc : 1;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: otasuke-sensor enroll URL TOKEN [--state DIR] [--name NAME]\n");
        return 2;
    }
    char err[512];
    int rc = ot_enroll(argv[optind], argv[optind + 1], name, cfg.state_dir, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "otasuke-sensor: enrolment failed: %s\n", err);
        return 1;
    }
    struct ot_enrollment en;
    if (ot_enroll_load(cfg.state_dir, &en, err, sizeof(err)) == 0)
        printf("enrolled: device %lld of customer %lld (site %lld) at %s\n"
               "credential saved in %s/enroll.json; run the sensor with --server --state %s\n",
               (long long)en.device_id, (long long)en.customer_id, (long long)en.site_id, en.url,
               cfg.state_dir, cfg.state_dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "enroll") == 0)
        return enroll_main(argc - 1, argv + 1);
    struct ot_sensor_config cfg;
    ot_sensor_config_defaults(&cfg);
    struct opts o = {0};
    int rc = parse_args(argc, argv, &cfg, &o);
    if (rc)
        return rc;
    ot_log_set_level((enum ot_log_level)OT_MIN(cfg.log_level + (uint32_t)o.verbose, 3u));
    if (ot_sensor_config_check(&cfg))
        return 1;
    if (o.check_only) {
        if (o.verbose)
            ot_sensor_config_dump(&cfg, stdout);
        if (cfg.server) {
            struct ot_server_out_conf sc = {.state_dir = cfg.state_dir,
                                            .event_types = cfg.server_event_types};
            char why[512];
            if (ot_server_out_check(&sc, why, sizeof(why))) {
                fprintf(stderr, "otasuke-sensor: server output: %s\n", why);
                return 1;
            }
        }
        printf("otasuke-sensor: configuration OK\n");
        return 0;
    }

    struct ot_capture_config cc = {
        .read_path = cfg.read_path,
        .iface = cfg.iface,
        .bpf = cfg.bpf,
        .snaplen = cfg.snaplen,
        .buffer_mb = cfg.live_buffer_mb,
        .promisc = cfg.promisc,
    };
    struct ot_capture *cap;
    char err[4400];
    if (ot_capture_open(&cc, &cap, err, sizeof(err))) {
        fprintf(stderr, "otasuke-sensor: %s\n", err);
        return 1;
    }
    struct ot_sensor s;
    if (ot_sensor_init(&s, &cfg)) {
        ot_capture_close(cap);
        return 1;
    }
    s.capture = cap;
    if (cfg.run_as[0] && (drop_privileges(cfg.run_as) || check_writable(&cfg))) {
        ot_sensor_free(&s);
        ot_capture_close(cap);
        return 1;
    }

    signal_capture = cap;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A server connection closed under the sender must not kill the sensor. */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sh = {0};
    sh.sa_handler = on_hup;
    sh.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sh, NULL);

    bool live = ot_capture_live(cap);
    bool show_progress = !live && !o.quiet && cfg.progress && isatty(STDERR_FILENO);
    double t0 = now_s(), last_progress = t0;
    int exit_code = 0;
    struct ot_capture_pkt pkt;
    while (!stop_requested) {
        if (reload_requested) {
            reload_requested = 0;
            ot_sensor_reload(&s);
        }
        int r = ot_capture_next(cap, &pkt, err, sizeof(err));
        if (r == 1) {
            ot_sensor_packet(&s, pkt.dlt, pkt.data, pkt.caplen, pkt.wirelen, pkt.ts_us);
            if ((s.c.packets & (live ? 0x3f : 0xfff)) == 0) {
                double t = now_s();
                if (show_progress && t - last_progress >= 0.5) {
                    progress(cap, s.c.packets, t0);
                    last_progress = t;
                }
                if (live && cfg.duration_s && t - t0 >= cfg.duration_s)
                    break;
            }
            continue;
        }
        if (r < 0) {
            if (show_progress)
                fputc('\n', stderr);
            fprintf(stderr, "otasuke-sensor: %s\n", err);
            exit_code = 1;
            break;
        }
        if (!live)
            break;
        /* Live read timeout: let time advance for flow timeouts and check the duration. */
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        ot_sensor_tick(&s, (uint64_t)rt.tv_sec * 1000000u + (uint64_t)rt.tv_nsec / 1000u);
        if (cfg.duration_s && now_s() - t0 >= cfg.duration_s)
            break;
    }
    if (show_progress)
        fprintf(stderr, "\r%78s\r", "");
    if (ot_sensor_finish(&s)) {
        fprintf(stderr, "otasuke-sensor: writing events failed\n");
        exit_code = 1;
    }
    double el = now_s() - t0;
    if (!o.quiet) {
        const struct ot_flow_stats *fs = ot_flow_table_stats(s.flows);
        fprintf(stderr,
                "otasuke-sensor: %llu packets (%llu invalid), %llu flows (%llu evicted), "
                "%llu events (%llu alerts) in %.3f s (%.2f M packets/s), peak memory %ld MiB\n",
                (unsigned long long)s.c.packets, (unsigned long long)s.c.invalid,
                (unsigned long long)fs->created, (unsigned long long)fs->evicted,
                (unsigned long long)s.eve.stats.events,
                (unsigned long long)(s.detect ? ot_detect_stats(s.detect)->alerts_written : 0), el,
                el > 0 ? (double)s.c.packets / el / 1e6 : 0.0, peak_rss_kb() / 1024);
    }
    signal_capture = NULL;
    ot_sensor_free(&s);
    ot_capture_close(cap);
    return exit_code;
}
