/*
 * otasuke-server: the multi-tenant server (docs/server/operations.md).
 * Reads the configuration (defaults, -c file, then options), opens the
 * server, and waits for signals: SIGTERM/SIGINT stop gracefully, SIGHUP
 * re-reads the configuration.  Signals are blocked in every thread and
 * taken here with sigwait(), so no handler runs in a worker.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "otasuke/version.h"
#include "server.h"

#define MAX_OVERRIDES 64

/* Options given on the command line, as key/value pairs applied after the file. */
struct overrides {
    const char *key[MAX_OVERRIDES];
    const char *val[MAX_OVERRIDES];
    size_t n;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: otasuke-server [options]\n"
            "  --data DIR        data folder (default ./otasuke-data, created 0700)\n"
            "  --store URL       sqlite:PATH or postgresql://... (default sqlite:DIR/otasuke.db)\n"
            "  --listen ADDR:PORT  address to listen on (default 127.0.0.1:8443)\n"
            "  --san NAME        extra name in the server certificate (repeatable)\n"
            "  --threads N       HTTP worker threads (default 4)\n"
            "  -s KEY=VALUE      set any configuration key\n"
            "  -c FILE           configuration file (key = value lines)\n"
            "  -T                check the configuration, print it, and exit\n"
            "  -v                more log output (debug)\n"
            "  --help, --version\n"
            "Signals: TERM/INT stop after answering requests in flight; HUP re-reads -c FILE.\n");
}

static int add_override(struct overrides *o, const char *key, const char *val)
{
    if (o->n >= MAX_OVERRIDES) {
        fprintf(stderr, "otasuke-server: more than %d options\n", MAX_OVERRIDES);
        return OT_ELIMIT;
    }
    o->key[o->n] = key;
    o->val[o->n] = val;
    o->n++;
    return 0;
}

/* Builds the configuration: defaults, then the file, then the options. */
static int build_conf(struct ot_server_conf *c, const char *conf_path, const struct overrides *o,
                      bool verbose)
{
    char err[1024];
    ot_server_conf_defaults(c);
    if (conf_path && ot_server_conf_load(c, conf_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "otasuke-server: %s\n", err);
        return OT_EINVAL;
    }
    for (size_t i = 0; i < o->n; i++) {
        if (ot_server_conf_set(c, o->key[i], o->val[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "otasuke-server: %s\n", err);
            return OT_EINVAL;
        }
    }
    if (verbose)
        ot_strlcpy(c->log_level, "debug", sizeof(c->log_level));
    if (ot_server_conf_check(c, err, sizeof(err)) != 0) {
        fprintf(stderr, "otasuke-server: %s\n", err);
        return OT_EINVAL;
    }
    return 0;
}

/* Waits for signals until TERM/INT; HUP reloads. */
static void run(struct ot_server *s, const sigset_t *set, const char *conf_path,
                const struct overrides *o, bool verbose)
{
    for (;;) {
        int sig;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            struct ot_server_conf c;
            if (build_conf(&c, conf_path, o, verbose) == 0)
                ot_server_reload(s, &c);
            else
                ot_warn("configuration not reloaded (see the message above); the old one stays");
            continue;
        }
        ot_info("signal %d: stopping after requests in flight", sig);
        return;
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},    {"store", required_argument, NULL, 'S'},
        {"listen", required_argument, NULL, 'l'},  {"san", required_argument, NULL, 'N'},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
    };
    struct overrides o = {0};
    const char *conf_path = NULL;
    bool check = false, verbose = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:Ts:vhV", longopts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case 'd':
            rc = add_override(&o, "data", optarg);
            break;
        case 'S':
            rc = add_override(&o, "store", optarg);
            break;
        case 'l':
            rc = add_override(&o, "listen", optarg);
            break;
        case 'N':
            rc = add_override(&o, "san", optarg);
            break;
        case 't':
            rc = add_override(&o, "threads", optarg);
            break;
        case 's': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "otasuke-server: -s %s: expected KEY=VALUE\n", optarg);
                return 2;
            }
            *eq = '\0';
            rc = add_override(&o, optarg, eq + 1);
            break;
        }
        case 'c':
            conf_path = optarg;
            break;
        case 'T':
            check = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("otasuke-server %s\n", OT_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (rc)
            return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "otasuke-server: unexpected argument %s\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    struct ot_server_conf c;
    if (build_conf(&c, conf_path, &o, verbose) != 0)
        return 1;
    if (check) {
        ot_server_conf_print(&c, stdout);
        printf("configuration OK\n");
        return 0;
    }

    /* Block the signals before any thread starts, so every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct ot_server *s;
    char err[1024];
    if (ot_server_open(&c, stdout, &s, err, sizeof(err)) != 0) {
        fprintf(stderr, "otasuke-server: %s\n", err);
        return 1;
    }
    /* the bound port, which differs from the configured one with port 0 */
    char where[sizeof(c.api.listen)];
    ot_strlcpy(where, c.api.listen, sizeof(where));
    char *colon = strrchr(where, ':');
    if (colon)
        *colon = '\0';
    printf("listening:          https://%s:%u\n", where, (unsigned)ot_server_port(s));
    fflush(stdout);
    run(s, &set, conf_path, &o, verbose);
    ot_server_close(s);
    return 0;
}
