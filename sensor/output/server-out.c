#include "output/server-out.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "otasuke/error.h"
#include "transport/curl-dl.h"
#include "transport/enroll.h"
#include "transport/sender.h"

#define MAX_TYPES 32
#define TYPE_LEN  32

struct ot_server_out {
    struct ot_sender *sender;
    uint32_t drain_ms;
    unsigned n_types;
    char types[MAX_TYPES][TYPE_LEN];
    uint64_t submit_errors;
};

/*
 * Every event type the sensor writes (docs/events/: the CLI test checks
 * that each one documented there is accepted), so that a misspelt type is
 * refused instead of silently sending nothing.
 */
static const char *const known_types[] = {
    "alert", "asset", "dhcp", "dns", "flow", "ftp", "http",  "imap",   "irc", "pop3",
    "quic",  "rdp",   "rsh",  "smb", "smtp", "ssh", "stats", "telnet", "tls",
};

static bool known_type(const char *t, size_t n)
{
    for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
        if (strlen(known_types[i]) == n && memcmp(known_types[i], t, n) == 0)
            return true;
    return false;
}

/* Splits the comma list into o->types; OT_EINVAL (reason in err) on a bad entry. */
static int parse_types(struct ot_server_out *o, const char *list, char *err, size_t errlen)
{
    const char *p = list ? list : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n) {
            if (n >= TYPE_LEN || o->n_types == MAX_TYPES) {
                snprintf(err, errlen, "server.event-types: '%.*s' is too long or one too many",
                         (int)n, p);
                return OT_EINVAL;
            }
            if (!known_type(p, n)) {
                snprintf(err, errlen,
                         "server.event-types: '%.*s' is no event type the sensor writes (see "
                         "docs/events/)",
                         (int)n, p);
                return OT_EINVAL;
            }
            memcpy(o->types[o->n_types], p, n);
            o->types[o->n_types++][n] = '\0';
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (!o->n_types) {
        snprintf(err, errlen, "server.event-types is empty: nothing would be sent");
        return OT_EINVAL;
    }
    return 0;
}

/* The enrolment in c->state_dir into *en; else a reason in err. */
static int load_enrollment(const struct ot_server_out_conf *c, struct ot_enrollment *en, char *err,
                           size_t errlen)
{
    char why[256];
    int rc = ot_enroll_load(c->state_dir, en, why, sizeof(why));
    if (rc == OT_ENOENT)
        snprintf(err, errlen,
                 "not enrolled (no %s/%s): run `otasuke-sensor enroll URL TOKEN` first",
                 c->state_dir, OT_ENROLL_FILE);
    else if (rc)
        snprintf(err, errlen, "%s", why);
    return rc;
}

int ot_server_out_check(const struct ot_server_out_conf *c, char *err, size_t errlen)
{
    struct ot_server_out probe;
    memset(&probe, 0, sizeof(probe));
    int rc = parse_types(&probe, c->event_types, err, errlen);
    if (rc)
        return rc;
    struct ot_enrollment en;
    rc = load_enrollment(c, &en, err, errlen);
    if (rc)
        return rc;
    if (!ot_curl_load()) {
        snprintf(err, errlen,
                 "libcurl, which sends the events, cannot be loaded (install the Debian package "
                 "libcurl4)");
        return OT_ENOENT;
    }
    return OT_OK;
}

int ot_server_out_open(const struct ot_server_out_conf *c, struct ot_server_out **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    struct ot_server_out *o = calloc(1, sizeof(*o));
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return OT_ENOMEM;
    }
    int rc = parse_types(o, c->event_types, err, errlen);
    if (rc)
        goto out_free;
    struct ot_enrollment en;
    rc = load_enrollment(c, &en, err, errlen);
    if (rc)
        goto out_free;
    char spool[4200];
    snprintf(spool, sizeof(spool), "%s/spool", c->state_dir);
    struct ot_sender_config sc;
    ot_sender_config_init(&sc, en.url, en.credential, en.ca_file, spool);
    sc.spool_max_bytes = c->spool_max_bytes;
    rc = ot_sender_new(&sc, &o->sender);
    if (rc) {
        snprintf(err, errlen, "cannot open the spool %s: %s", spool, ot_strerror(rc));
        goto out_free;
    }
    rc = ot_sender_start(o->sender);
    if (rc) {
        snprintf(err, errlen, "cannot start the sender: %s", ot_strerror(rc));
        goto out_sender;
    }
    o->drain_ms = c->drain_ms;
    ot_info("server: sending %s events to %s as device %lld (spool %s)", c->event_types, en.url,
            (long long)en.device_id, spool);
    *out = o;
    return 0;

out_sender:
    ot_sender_free(o->sender);
out_free:
    free(o);
    return rc;
}

void ot_server_out_tee(void *ctx, const char *event_type, const char *line, size_t len)
{
    struct ot_server_out *o = ctx;
    for (unsigned i = 0; i < o->n_types; i++) {
        if (strcmp(o->types[i], event_type) == 0) {
            if (len && line[len - 1] == '\n')
                len--;
            if (ot_sender_submit(o->sender, line, len))
                o->submit_errors++;
            return;
        }
    }
}

void ot_server_out_write_stats(struct ot_server_out *o, struct ot_jw *w)
{
    struct ot_sender_stats st;
    ot_sender_stats(o->sender, &st);
    ot_jw_obj_open(w, "server");
    ot_jw_u64(w, "spooled", st.spool.appended);
    ot_jw_u64(w, "spool_refused", st.spool.refused + o->submit_errors);
    ot_jw_u64(w, "spool_dropped", st.spool.dropped);
    ot_jw_u64(w, "spool_bytes", st.spool.bytes_on_disk);
    ot_jw_u64(w, "requests", st.requests);
    ot_jw_u64(w, "accepted", st.accepted);
    ot_jw_u64(w, "duplicates", st.duplicates);
    ot_jw_u64(w, "rejected", st.rejected);
    ot_jw_u64(w, "throttled", st.throttled);
    ot_jw_u64(w, "server_errors", st.server_errors);
    ot_jw_u64(w, "network_errors", st.network_errors);
    ot_jw_u64(w, "last_status", st.last_status);
    ot_jw_obj_close(w);
}

void ot_server_out_close(struct ot_server_out *o)
{
    if (!o)
        return;
    ot_sender_stop(o->sender, o->drain_ms);
    struct ot_sender_stats st;
    ot_sender_stats(o->sender, &st);
    ot_info("server: %llu events accepted, %llu duplicates, %llu rejected, %llu still spooled",
            (unsigned long long)st.accepted, (unsigned long long)st.duplicates,
            (unsigned long long)st.rejected, (unsigned long long)st.spool.pending_lines);
    ot_sender_free(o->sender);
    free(o);
}
