#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"

void ot_sensor_config_defaults(struct ot_sensor_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    ot_strlcpy(cfg->sensor_id, "otasuke-sensor", sizeof(cfg->sensor_id));
    ot_strlcpy(cfg->output, "-", sizeof(cfg->output));
    cfg->rotate_keep = 5;
    cfg->stats_interval_s = 60;
    cfg->snaplen = 65535;
    cfg->live_buffer_mb = 32;
    cfg->promisc = true;
    cfg->progress = true;
    cfg->ndpi = true;
    cfg->ndpi_max_packets = 4;       /* as ot_labeler_conf_defaults() */
    cfg->ndpi_parsed_flows = false;
    cfg->ndpi_tls_flows = false;
    cfg->ndpi_unknown_s = 300; /* as ot_labeler_conf_defaults() */
    cfg->ndpi_unanswered_udp = false;
    cfg->ndpi_held_bytes = UINT64_C(8) << 20;
    cfg->log_level = OT_LOG_INFO;
    cfg->event_types = OT_EV_FLOW | OT_EV_STATS | OT_EV_APP;
    ot_decode_config_defaults(&cfg->decode);
    ot_flow_config_defaults(&cfg->flow);
    ot_proto_conf_defaults(&cfg->proto);
    ot_detect_conf_defaults(&cfg->detect);
    ot_asset_conf_defaults(&cfg->asset);
    cfg->max_indicators = 5000000;
    ot_strlcpy(cfg->state_dir, "otasuke-sensor-state", sizeof(cfg->state_dir));
    ot_strlcpy(cfg->server_event_types, "alert,asset,stats", sizeof(cfg->server_event_types));
    cfg->server_spool_max = 256ull << 20;
    cfg->server_drain_s = 30;
}

enum kind { K_STR, K_U32, K_SIZE64, K_SIZE32, K_BOOL, K_LOGLEVEL, K_EVENTS, K_FILES };

struct key {
    const char *name;
    enum kind kind;
    size_t off;
    size_t size; /* string capacity */
    uint64_t min, max;
    const char *help;
};

#define OFF(f) offsetof(struct ot_sensor_config, f)
#define STR(n, f, h)           {n, K_STR, OFF(f), sizeof(((struct ot_sensor_config *)0)->f), 0, 0, h}
#define U32(n, f, lo, hi, h)   {n, K_U32, OFF(f), 0, lo, hi, h}
#define SZ32(n, f, lo, hi, h)  {n, K_SIZE32, OFF(f), 0, lo, hi, h}
#define SZ64(n, f, lo, hi, h)  {n, K_SIZE64, OFF(f), 0, lo, hi, h}
#define BOOL(n, f, h)          {n, K_BOOL, OFF(f), 0, 0, 1, h}

static const struct key keys[] = {
    STR("sensor-id", sensor_id, "name of this sensor in every event"),
    STR("read", read_path, "capture file or folder to read (like -r)"),
    STR("interface", iface, "interface to capture from (like -i)"),
    STR("bpf", bpf, "capture filter (BPF syntax)"),
    STR("output", output, "events file, or - for standard output"),
    SZ64("output.rotate-size", rotate_bytes, 0, UINT64_MAX, "rotate the events file past this size (0: never)"),
    U32("output.rotate-keep", rotate_keep, 0, 1000, "rotated files kept"),
    STR("run-as", run_as, "user to become after the capture is open (empty: stay)"),
    U32("stats-interval", stats_interval_s, 0, 86400, "seconds between stats events (0: at the end only)"),
    U32("duration", duration_s, 0, 31536000, "live capture: stop after this many seconds (0: never)"),
    U32("capture.snaplen", snaplen, 64, 262144, "bytes captured per packet"),
    U32("capture.buffer-mb", live_buffer_mb, 1, 4096, "kernel capture buffer, MiB"),
    BOOL("capture.promisc", promisc, "promiscuous mode"),
    BOOL("progress", progress, "progress line on a terminal during file runs"),
    BOOL("ndpi", ndpi, "label every flow with nDPI"),
    U32("ndpi.max-packets", ndpi_max_packets, 1, 255, "packets per flow given to nDPI"),
    BOOL("ndpi.parsed-flows", ndpi_parsed_flows, "also label flows our parsers understood (yes: slower)"),
    BOOL("ndpi.tls-flows", ndpi_tls_flows, "label TLS flows even when parsed-flows is no (SNI/certificate labels, risks; slower)"),
    U32("ndpi.unknown-seconds", ndpi_unknown_s, 0, 86400, "skip nDPI for new flows of a client to a server port it could not name this recently (0: never)"),
    BOOL("ndpi.unanswered-udp", ndpi_unanswered_udp, "inspect UDP flows that get no answer (no: label them from their ports; yes: slower)"),
    SZ64("ndpi.held-bytes", ndpi_held_bytes, 0, UINT64_C(1) << 32, "packets of unanswered UDP flows held back for nDPI, in all (past it: inspected at once)"),
    {"log-level", K_LOGLEVEL, OFF(log_level), 0, 0, 3, "error, warning, info or debug"},
    {"events", K_EVENTS, OFF(event_types), 0, 0, 0, "event kinds written: flow,stats,app"},
    U32("defrag.max-datagrams", decode.frag_max_datagrams, 1, 1u << 22, "IP datagrams in reassembly at once"),
    SZ32("defrag.max-bytes", decode.frag_max_bytes, 65536, UINT32_MAX, "memory for held fragments"),
    U32("defrag.timeout-us", decode.frag_timeout_us, 1000, 600000000, "drop incomplete datagrams after (microseconds)"),
    U32("flow.max-flows", flow.max_flows, 16, 1u << 26, "flows tracked at once (memory cap)"),
    U32("flow.timeout.new", flow.timeout_new_s, 1, 86400, "seconds before a one-sided flow ends"),
    U32("flow.timeout.established", flow.timeout_est_s, 1, 86400, "seconds before an idle established flow ends"),
    U32("flow.timeout.closed", flow.timeout_closed_s, 0, 86400, "seconds a closing/closed TCP flow lingers"),
    U32("flow.timeout.udp", flow.timeout_udp_s, 1, 86400, "seconds before an idle UDP/ICMP flow ends"),
    SZ32("stream.depth", flow.stream_depth, 0, UINT32_MAX, "TCP bytes per direction given to parsers"),
    SZ32("stream.ooo-max", flow.stream_ooo_max, 0, UINT32_MAX, "out-of-order TCP bytes held per direction"),
    SZ64("stream.memcap", flow.stream_memcap, 0, UINT64_MAX, "out-of-order TCP bytes held in all"),
    U32("community-id.seed", flow.community_id_seed, 0, 65535, "Community ID seed"),
    SZ32("app.max-buffer", proto.max_buffer, 1024, 16u << 20, "bytes a parser may hold per direction"),
    SZ64("app.max-memory", proto.max_memory, 1u << 20, UINT64_MAX, "bytes the parsers of all flows may hold together"),
    {"indicators", K_FILES, OFF(indicators), OFF(n_indicators), 0, 0, "indicator file (repeat the key for more; like --indicators)"},
    {"allowlist", K_FILES, OFF(allowlists), OFF(n_allowlists), 0, 0, "allowlist file (repeat the key for more; like --allowlist)"},
    U32("indicators.max", max_indicators, 1, 100000000, "indicators loaded in all (more are refused with an error)"),
    BOOL("asset.enabled", asset.enabled, "keep the asset inventory: asset events, new-device alerts"),
    STR("asset.state-file", asset.state_path, "assets known across runs (empty: none; then no new-device alerts)"),
    STR("asset.oui-file", asset.oui_path, "IEEE registry for vendors (Debian ieee-data; empty: no vendors)"),
    U32("asset.max-assets", asset.max_assets, 1, OT_ASSET_MAX_ASSETS, "devices tracked at once (memory cap, about 520 bytes each)"),
    U32("asset.save-interval", asset.save_interval_s, 0, 86400, "seconds of packet time between state saves (0: at the end only)"),
    U32("asset.change-interval", asset.change_interval_s, 0, 86400, "seconds between two change events of one asset"),
    U32("asset.learning", asset.learning_s, 0, 31536000, "with an empty state: seconds whose new devices are the baseline, not alerts"),
    STR("state-dir", state_dir, "folder for the enrolment (enroll.json, ca.pem) and the server spool (like --state)"),
    BOOL("server.enabled", server, "send events to the server this sensor enrolled with (like --server)"),
    STR("server.event-types", server_event_types, "event types sent to the server, comma-separated"),
    SZ64("server.spool-max", server_spool_max, 1u << 20, UINT64_MAX, "disk spool bound; when full the oldest events are dropped and counted"),
    U32("server.drain", server_drain_s, 0, 3600, "seconds allowed at exit to deliver what is spooled"),
};

static const struct key *find_key(const char *name)
{
    for (size_t i = 0; i < OT_ARRAY_SIZE(keys); i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int parse_events(const char *v, uint32_t *out)
{
    uint32_t m = 0;
    char tmp[256];
    if (!ot_strlcpy(tmp, v, sizeof(tmp)))
        return OT_EINVAL;
    char *save = NULL;
    for (char *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (!strcmp(t, "flow"))
            m |= OT_EV_FLOW;
        else if (!strcmp(t, "stats"))
            m |= OT_EV_STATS;
        else if (!strcmp(t, "app"))
            m |= OT_EV_APP;
        else if (!strcmp(t, "all"))
            m |= OT_EV_FLOW | OT_EV_STATS | OT_EV_APP;
        else
            return OT_EINVAL;
    }
    *out = m;
    return OT_OK;
}

int ot_sensor_config_set(struct ot_sensor_config *cfg, const char *name, const char *value,
                         const char *where)
{
    const struct key *k = find_key(name);
    if (!k) {
        char why[256] = "";
        int rc = ot_detect_conf_set(&cfg->detect, name, value, why, sizeof(why));
        if (rc == OT_OK)
            return OT_OK;
        if (rc != OT_ENOENT) {
            fprintf(stderr, "%s: %s: %s\n", where, name, why);
            return OT_EINVAL;
        }
        fprintf(stderr, "%s: unknown setting '%s' (see docs/configuration.md)\n", where, name);
        return OT_EINVAL;
    }
    char *base = (char *)cfg + k->off;
    uint64_t v;
    bool b;
    switch (k->kind) {
    case K_STR:
        if (!ot_strlcpy(base, value, k->size)) {
            fprintf(stderr, "%s: %s: value longer than %zu bytes\n", where, name, k->size - 1);
            return OT_EINVAL;
        }
        return OT_OK;
    case K_U32:
        if (ot_parse_u64(value, k->min, k->max, &v)) {
            fprintf(stderr, "%s: %s: expected a whole number from %llu to %llu, got '%s'\n",
                    where, name, (unsigned long long)k->min, (unsigned long long)k->max, value);
            return OT_EINVAL;
        }
        *(uint32_t *)(void *)base = (uint32_t)v;
        return OT_OK;
    case K_SIZE32:
    case K_SIZE64:
        if (ot_parse_size(value, &v) || v < k->min || v > k->max) {
            fprintf(stderr, "%s: %s: expected a size (e.g. 65536, 64k, 8M) from %llu to %llu, got '%s'\n",
                    where, name, (unsigned long long)k->min, (unsigned long long)k->max, value);
            return OT_EINVAL;
        }
        if (k->kind == K_SIZE32)
            *(uint32_t *)(void *)base = (uint32_t)v;
        else
            *(uint64_t *)(void *)base = v;
        return OT_OK;
    case K_BOOL:
        if (ot_parse_bool(value, &b)) {
            fprintf(stderr, "%s: %s: expected yes or no, got '%s'\n", where, name, value);
            return OT_EINVAL;
        }
        *(bool *)(void *)base = b;
        return OT_OK;
    case K_LOGLEVEL: {
        static const char *const lv[] = {"error", "warning", "info", "debug"};
        for (uint32_t i = 0; i < 4; i++)
            if (!strcmp(value, lv[i])) {
                cfg->log_level = i;
                return OT_OK;
            }
        fprintf(stderr, "%s: %s: expected error, warning, info or debug, got '%s'\n", where,
                name, value);
        return OT_EINVAL;
    }
    case K_FILES: {
        /* k->size holds the offset of the count. */
        uint32_t *count = (uint32_t *)(void *)((char *)cfg + k->size);
        char(*list)[1024] = (char(*)[1024])(void *)base;
        if (*count >= OT_MAX_INDICATOR_FILES) {
            fprintf(stderr, "%s: %s: at most %d files\n", where, name, OT_MAX_INDICATOR_FILES);
            return OT_EINVAL;
        }
        if (!*value || !ot_strlcpy(list[*count], value, sizeof(list[0]))) {
            fprintf(stderr, "%s: %s: expected a file name shorter than %zu bytes\n", where, name,
                    sizeof(list[0]));
            return OT_EINVAL;
        }
        (*count)++;
        return OT_OK;
    }
    case K_EVENTS:
        if (parse_events(value, &cfg->event_types)) {
            fprintf(stderr, "%s: %s: expected a list of flow, stats, app, all; got '%s'\n",
                    where, name, value);
            return OT_EINVAL;
        }
        return OT_OK;
    }
    return OT_EINVAL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int ot_sensor_config_load(struct ot_sensor_config *cfg, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "%s: cannot open configuration: %s\n", path, strerror(errno));
        return OT_EIO;
    }
    char line[8192];
    unsigned lineno = 0;
    int rc = OT_OK;
    while (fgets(line, sizeof(line), fp)) {
        lineno++;
        char where[4200];
        snprintf(where, sizeof(where), "%s:%u", path, lineno);
        if (!strchr(line, '\n') && !feof(fp)) {
            fprintf(stderr, "%s: line longer than %zu bytes\n", where, sizeof(line) - 2);
            rc = OT_EINVAL;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            fprintf(stderr, "%s: expected 'key = value', got '%s'\n", where, s);
            rc = OT_EINVAL;
            continue;
        }
        *eq = '\0';
        char *key = trim(s);
        char *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = '\0';
            val++;
        }
        if (ot_sensor_config_set(cfg, key, val, where))
            rc = OT_EINVAL;
    }
    if (ferror(fp)) {
        fprintf(stderr, "%s: read error\n", path);
        rc = OT_EIO;
    }
    fclose(fp);
    return rc;
}

/* The state file's folder must exist, or every save would fail. */
static int check_asset(const struct ot_asset_conf *a)
{
    if (!a->enabled || !a->state_path[0])
        return OT_OK;
    char dir[sizeof(a->state_path)];
    ot_strlcpy(dir, a->state_path, sizeof(dir));
    char *slash = strrchr(dir, '/');
    if (!slash)
        ot_strlcpy(dir, ".", sizeof(dir));
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "configuration: asset.state-file: folder '%s' does not exist\n", dir);
        return OT_EINVAL;
    }
    if (slash && !slash[1]) {
        fprintf(stderr, "configuration: asset.state-file: '%s' names a folder, not a file\n",
                a->state_path);
        return OT_EINVAL;
    }
    return OT_OK;
}

int ot_sensor_config_check(const struct ot_sensor_config *cfg)
{
    if (cfg->read_path[0] && cfg->iface[0]) {
        fprintf(stderr, "configuration: give either a capture to read or an interface, not both\n");
        return OT_EINVAL;
    }
    if (!cfg->sensor_id[0]) {
        fprintf(stderr, "configuration: sensor-id must not be empty\n");
        return OT_EINVAL;
    }
    if (cfg->flow.stream_ooo_max > cfg->flow.stream_memcap) {
        fprintf(stderr, "configuration: stream.ooo-max is larger than stream.memcap\n");
        return OT_EINVAL;
    }
    return check_asset(&cfg->asset);
}

void ot_sensor_config_dump(const struct ot_sensor_config *cfg, void *fpv)
{
    FILE *fp = fpv;
    for (size_t i = 0; i < OT_ARRAY_SIZE(keys); i++) {
        const struct key *k = &keys[i];
        const char *base = (const char *)cfg + k->off;
        fprintf(fp, "%-28s = ", k->name);
        switch (k->kind) {
        case K_STR:
            fprintf(fp, "%s", base);
            break;
        case K_U32:
        case K_SIZE32:
            fprintf(fp, "%u", *(const uint32_t *)(const void *)base);
            break;
        case K_SIZE64:
            fprintf(fp, "%llu", (unsigned long long)*(const uint64_t *)(const void *)base);
            break;
        case K_BOOL:
            fprintf(fp, "%s", *(const bool *)(const void *)base ? "yes" : "no");
            break;
        case K_LOGLEVEL: {
            static const char *const lv[] = {"error", "warning", "info", "debug"};
            fprintf(fp, "%s", lv[cfg->log_level & 3]);
            break;
        }
        case K_FILES: {
            uint32_t n = *(const uint32_t *)(const void *)((const char *)cfg + k->size);
            const char(*list)[1024] = (const char(*)[1024])(const void *)base;
            for (uint32_t j = 0; j < n; j++)
                fprintf(fp, "%s%s", j ? "," : "", list[j]);
            break;
        }
        case K_EVENTS:
            fprintf(fp, "%s%s%s", cfg->event_types & OT_EV_FLOW ? "flow," : "",
                    cfg->event_types & OT_EV_STATS ? "stats," : "",
                    cfg->event_types & OT_EV_APP ? "app" : "");
            break;
        }
        fprintf(fp, "   # %s\n", k->help);
    }
    ot_detect_conf_dump(&cfg->detect, fp);
}
