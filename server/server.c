/*
 * otasuke-server's configuration and life cycle (see server.h).
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "store/store.h"
#include "triage/triage.h"

struct ot_server {
    struct ot_server_conf conf;
    struct ot_store *store;
    struct ot_triage *triage;
    struct ot_pki pki;
    struct ot_api api;
    bool api_inited;
};

/* ---- configuration ---- */

enum key_type { K_STR, K_UINT, K_SIZE, K_DOUBLE, K_SAN, K_LEVEL };

struct key {
    const char *name;
    enum key_type type;
    size_t off;  /* offset in struct ot_server_conf */
    size_t size; /* K_STR: buffer size */
    uint64_t min, max;
    const char *help;
};

#define OFF(f)  offsetof(struct ot_server_conf, f)
#define AOFF(f) (offsetof(struct ot_server_conf, api) + offsetof(struct ot_api_conf, f))

static const struct key keys[] = {
    {"data", K_STR, OFF(data), sizeof(((struct ot_server_conf *)0)->data), 0, 0,
     "data folder (created 0700)"},
    {"store", K_STR, OFF(store), sizeof(((struct ot_server_conf *)0)->store), 0, 0,
     "store URL: sqlite:PATH or postgresql://... (empty: sqlite:DATA/otasuke.db)"},
    {"listen", K_STR, AOFF(listen), sizeof(((struct ot_api_conf *)0)->listen), 0, 0,
     "address and port to listen on (ADDR:PORT, [V6]:PORT)"},
    {"san", K_SAN, 0, 0, 0, 0,
     "extra names in the server certificate (repeatable, or comma-separated)"},
    {"threads", K_UINT, AOFF(threads), 0, 1, 256, "HTTP worker threads"},
    {"store.pool", K_UINT, OFF(store_pool), 0, 0, 512, "store connections (0: threads + 2)"},
    {"http.max-connections", K_UINT, AOFF(max_conns), 0, 1, 100000, "connections at once"},
    {"http.per-ip-connections", K_UINT, AOFF(per_ip_conns), 0, 0, 100000,
     "connections at once from one address (0: no limit)"},
    {"http.timeout", K_UINT, AOFF(timeout_s), 0, 1, 3600,
     "seconds before an idle connection closes"},
    {"http.drain", K_UINT, AOFF(drain_s), 0, 0, 600, "seconds a stop waits for requests in flight"},
    {"api.max-json", K_SIZE, AOFF(max_json), 0, 1024, (uint64_t)16 << 20,
     "largest JSON body of an admin or enrolment request"},
    {"ingest.max-body", K_SIZE, AOFF(max_body), 0, 1024, (uint64_t)1 << 30,
     "largest ingest body as sent (413 above)"},
    {"ingest.max-inflated", K_SIZE, AOFF(max_inflated), 0, 1024, (uint64_t)4 << 30,
     "largest ingest body after gzip (413 above)"},
    {"ingest.max-lines", K_SIZE, AOFF(max_lines), 0, 1, 10000000,
     "most lines in one ingest batch (413 above)"},
    {"ingest.rate", K_DOUBLE, AOFF(rate), 0, 0, 100000,
     "ingest requests per second per device (0: no limit)"},
    {"ingest.burst", K_DOUBLE, AOFF(burst), 0, 1, 100000, "ingest requests a device may burst"},
    {"triage.home-nets", K_STR, OFF(home_nets), sizeof(((struct ot_server_conf *)0)->home_nets), 0,
     0, "inside networks, comma-separated CIDRs (empty: RFC 1918 + ULA)"},
    {"triage.window", K_UINT, OFF(window_s), 0, 60, 30 * 86400,
     "seconds an open incident keeps taking alerts"},
    {"owner.time-zone", K_STR, AOFF(time_zone), sizeof(((struct ot_api_conf *)0)->time_zone), 0, 0,
     "time zone of the times in owner texts: JST, UTC or +HH:MM"},
    {"log-level", K_LEVEL, OFF(log_level), sizeof(((struct ot_server_conf *)0)->log_level), 0, 0,
     "error, warning, info or debug"},
};

void ot_server_conf_defaults(struct ot_server_conf *c)
{
    memset(c, 0, sizeof(*c));
    ot_strlcpy(c->data, "./otasuke-data", sizeof(c->data));
    ot_strlcpy(c->log_level, "info", sizeof(c->log_level));
    c->window_s = 86400;
    ot_api_conf_defaults(&c->api);
}

static int level_of(const char *v, enum ot_log_level *l)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(v, names[i]) == 0) {
            *l = (enum ot_log_level)i;
            return 0;
        }
    return OT_EINVAL;
}

static int add_sans(struct ot_server_conf *c, const char *v, char *err, size_t errlen)
{
    char buf[1024];
    if (!ot_strlcpy(buf, v, sizeof(buf))) {
        snprintf(err, errlen, "san: value too long");
        return OT_EINVAL;
    }
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (!ot_pki_san_valid(t)) {
            snprintf(err, errlen, "san: %s is not a host name or IP address", t);
            return OT_EINVAL;
        }
        bool dup = false;
        for (size_t i = 0; i < c->nsans; i++)
            dup |= strcmp(c->sans[i], t) == 0;
        if (dup)
            continue;
        if (c->nsans >= OT_PKI_MAX_SANS) {
            snprintf(err, errlen, "san: more than %d names", OT_PKI_MAX_SANS);
            return OT_ELIMIT;
        }
        ot_strlcpy(c->sans[c->nsans++], t, sizeof(c->sans[0]));
    }
    return 0;
}

/* See server.h. */
int ot_server_conf_set(struct ot_server_conf *c, const char *key, const char *v, char *err,
                       size_t errlen)
{
    const struct key *k = NULL;
    for (size_t i = 0; i < OT_ARRAY_SIZE(keys); i++)
        if (strcmp(keys[i].name, key) == 0)
            k = &keys[i];
    if (!k) {
        snprintf(err, errlen, "unknown key %s", key);
        return OT_EINVAL;
    }
    char *base = (char *)c;
    uint64_t u;
    switch (k->type) {
    case K_STR:
        if (!ot_strlcpy(base + k->off, v, k->size)) {
            snprintf(err, errlen, "%s: value longer than %zu bytes", key, k->size - 1);
            return OT_EINVAL;
        }
        return 0;
    case K_LEVEL: {
        enum ot_log_level l;
        if (level_of(v, &l) != 0) {
            snprintf(err, errlen, "%s: %s is not error, warning, info or debug", key, v);
            return OT_EINVAL;
        }
        ot_strlcpy(base + k->off, v, k->size);
        return 0;
    }
    case K_SAN:
        return add_sans(c, v, err, errlen);
    case K_UINT:
    case K_SIZE:
        if ((k->type == K_UINT ? ot_parse_u64(v, k->min, k->max, &u) : ot_parse_size(v, &u)) != 0 ||
            u < k->min || u > k->max) {
            snprintf(err, errlen, "%s: %s is not a%s number from %llu to %llu", key, v,
                     k->type == K_SIZE ? " size (k/M/G allowed) or" : "n integer",
                     (unsigned long long)k->min, (unsigned long long)k->max);
            return OT_EINVAL;
        }
        if (k->off == OFF(window_s))
            c->window_s = (int64_t)u;
        else if (k->type == K_UINT)
            *(unsigned *)(base + k->off) = (unsigned)u;
        else
            *(size_t *)(base + k->off) = (size_t)u;
        return 0;
    case K_DOUBLE: {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (errno || end == v || *end || !(d >= (double)k->min && d <= (double)k->max)) {
            snprintf(err, errlen, "%s: %s is not a number from %llu to %llu", key, v,
                     (unsigned long long)k->min, (unsigned long long)k->max);
            return OT_EINVAL;
        }
        *(double *)(base + k->off) = d;
        return 0;
    }
    }
    return OT_EINVAL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* See server.h.  '#' starts a comment outside quotes; values may be "quoted". */
int ot_server_conf_load(struct ot_server_conf *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return OT_EIO;
    }
    char line[4096];
    unsigned lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%u: line longer than %zu bytes", path, lineno,
                     sizeof(line) - 2);
            rc = OT_EINVAL;
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%u: expected key = value", path, lineno);
            rc = OT_EINVAL;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (*val == '"') {
            char *q = strchr(val + 1, '"');
            char *rest = q ? trim(q + 1) : NULL;
            if (!q || (*rest && *rest != '#')) {
                snprintf(err, errlen, "%s:%u: unterminated quote or text after it", path, lineno);
                rc = OT_EINVAL;
                break;
            }
            *q = '\0';
            val++;
        } else {
            char *hash = strchr(val, '#');
            if (hash) {
                *hash = '\0';
                val = trim(val);
            }
        }
        char why[512];
        if (ot_server_conf_set(c, key, val, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
            rc = OT_EINVAL;
            break;
        }
    }
    fclose(f);
    return rc;
}

int ot_server_conf_check(const struct ot_server_conf *c, char *err, size_t errlen)
{
    const char *l = c->api.listen;
    const char *colon = strrchr(l, ':');
    uint64_t port;
    if (!colon || colon == l || ot_parse_u64(colon + 1, 0, 65535, &port) != 0) {
        snprintf(err, errlen, "listen: %s is not ADDR:PORT", l);
        return OT_EINVAL;
    }
    if (!c->data[0]) {
        snprintf(err, errlen, "data: empty");
        return OT_EINVAL;
    }
    int off;
    char label[16];
    if (ot_api_time_zone(c->api.time_zone, &off, label) != 0) {
        snprintf(err, errlen, "owner.time-zone: %s is not JST, UTC or +HH:MM (-14:00 to +14:00)",
                 c->api.time_zone);
        return OT_EINVAL;
    }
    return 0;
}

void ot_server_store_url(const struct ot_server_conf *c, char *out, size_t len)
{
    if (c->store[0])
        ot_strlcpy(out, c->store, len);
    else if (snprintf(out, len, "sqlite:%s/otasuke.db", c->data) >= (int)len)
        out[0] = '\0'; /* a data path too long for the caller's buffer: no URL */
}

void ot_server_conf_print(const struct ot_server_conf *c, FILE *f)
{
    const char *base = (const char *)c;
    for (size_t i = 0; i < OT_ARRAY_SIZE(keys); i++) {
        const struct key *k = &keys[i];
        char v[2048] = "";
        switch (k->type) {
        case K_STR:
        case K_LEVEL:
            ot_strlcpy(v, base + k->off, sizeof(v));
            break;
        case K_SAN:
            for (size_t j = 0; j < c->nsans; j++) {
                size_t n = strlen(v);
                snprintf(v + n, sizeof(v) - n, "%s%s", j ? "," : "", c->sans[j]);
            }
            break;
        case K_UINT:
            if (k->off == OFF(window_s))
                snprintf(v, sizeof(v), "%lld", (long long)c->window_s);
            else
                snprintf(v, sizeof(v), "%u", *(const unsigned *)(base + k->off));
            break;
        case K_SIZE:
            snprintf(v, sizeof(v), "%zu", *(const size_t *)(base + k->off));
            break;
        case K_DOUBLE:
            snprintf(v, sizeof(v), "%g", *(const double *)(base + k->off));
            break;
        }
        if (k->off == OFF(store) && k->type == K_STR && !c->store[0])
            ot_server_store_url(c, v, sizeof(v));
        fprintf(f, "%-24s = %s   # %s\n", k->name, v, k->help);
    }
}

/* ---- data folder and admin key ---- */

static int make_data_dir(const char *dir, char *err, size_t errlen, bool *created)
{
    struct stat st;
    *created = false;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: not a folder", dir);
            return OT_EINVAL;
        }
        if (st.st_mode & 077)
            ot_warn("%s: readable by others (mode %03o); it holds private keys", dir,
                    (unsigned)(st.st_mode & 0777));
        return 0;
    }
    if (mkdir(dir, 0700) != 0) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        return OT_EIO;
    }
    *created = true;
    return 0;
}

static void hex32(const uint8_t h[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/*
 * The admin key: on first start a new key is written to DATA/admin.key
 * (0600, never again) and only its SHA-256 goes into the store.  A store
 * without the hash but a folder with the file (a new store for an old
 * folder) takes the file's key.
 */
static int ensure_admin_key(struct ot_server *s, FILE *out, char *err, size_t errlen)
{
    char path[OT_SERVER_PATH_MAX + 32], have[80] = "";
    snprintf(path, sizeof(path), "%s/admin.key", s->conf.data);
    struct ot_store_tx *tx;
    int rc = ot_store_begin(s->store, true, &tx);
    if (rc) {
        snprintf(err, errlen, "store: cannot begin a transaction: %s", ot_strerror(rc));
        return rc;
    }
    rc = ot_store_meta_get(tx, OT_API_META_ADMIN_HASH, have, sizeof(have));
    if (rc == 0) {
        ot_store_rollback(tx);
        if (access(path, F_OK) != 0)
            ot_warn("%s is missing; the store still knows the admin key's hash", path);
        return 0;
    }
    if (rc != OT_ENOENT)
        goto out_store;
    char key[128];
    uint8_t h[32];
    FILE *kf = fopen(path, "r");
    bool made = false;
    if (kf) {
        if (!fgets(key, sizeof(key), kf))
            key[0] = '\0';
        fclose(kf);
        key[strcspn(key, "\r\n")] = '\0';
        if (strncmp(key, "ota_", 4) != 0) {
            ot_store_rollback(tx);
            snprintf(err, errlen, "%s: not an admin key (ota_...)", path);
            return OT_EINVAL;
        }
        ot_api_sha256(key, strlen(key), h);
    } else {
        if (ot_api_secret_new("ota_", key, sizeof(key), h) != 0) {
            rc = OT_ENOMEM;
            goto out_store;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t n = strlen(key);
        key[n] = '\n';
        bool ok = fd >= 0 && write(fd, key, n + 1) == (ssize_t)(n + 1) && fsync(fd) == 0;
        if (fd >= 0)
            ok = close(fd) == 0 && ok;
        key[n] = '\0';
        if (!ok) {
            sodium_memzero(key, sizeof(key));
            ot_store_rollback(tx);
            snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
            return OT_EIO;
        }
        made = true;
    }
    sodium_memzero(key, sizeof(key));
    char hex[65];
    hex32(h, hex);
    rc = ot_store_meta_set(tx, OT_API_META_ADMIN_HASH, hex);
    if (!rc)
        rc = ot_store_meta_set(tx, "ca_sha256", s->pki.ca_pin);
    if (rc)
        goto out_store;
    rc = ot_store_commit(tx);
    if (rc) {
        snprintf(err, errlen, "store: cannot save the admin key hash: %s", ot_strerror(rc));
        return rc;
    }
    if (made)
        fprintf(out, "admin key:          %s (keep it secret; the server keeps only its hash)\n",
                path);
    return 0;

out_store:
    snprintf(err, errlen, "store: %s (%s)", ot_strerror(rc), ot_store_errmsg(tx));
    ot_store_rollback(tx);
    return rc;
}

/* ---- life cycle ---- */

static void apply_log_level(const struct ot_server_conf *c)
{
    enum ot_log_level l;
    if (level_of(c->log_level, &l) == 0)
        ot_log_set_level(l);
}

/* See server.h. */
int ot_server_open(const struct ot_server_conf *c, FILE *out, struct ot_server **sp, char *err,
                   size_t errlen)
{
    struct ot_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return OT_ENOMEM;
    }
    s->conf = *c;
    apply_log_level(c);
    bool created;
    int rc = ot_server_conf_check(c, err, errlen);
    if (!rc)
        rc = make_data_dir(c->data, err, errlen, &created);
    if (rc)
        goto out_fail;
    if (created)
        fprintf(out, "data folder:        %s (created, mode 0700)\n", c->data);
    const char *sans[OT_PKI_MAX_SANS];
    for (size_t i = 0; i < c->nsans; i++)
        sans[i] = c->sans[i];
    rc = ot_pki_load_or_create(c->data, sans, c->nsans, &s->pki, err, errlen);
    if (rc)
        goto out_fail;
    if (s->pki.ca_created)
        fprintf(out, "certificate authority: %s/ca.pem (SHA-256 %s)\n", c->data, s->pki.ca_pin);
    if (s->pki.cert_created)
        fprintf(out, "server certificate: %s/server.pem\n", c->data);
    char url[OT_SERVER_PATH_MAX + 16], why[256] = "";
    ot_server_store_url(c, url, sizeof(url));
    unsigned pool = c->store_pool ? c->store_pool : c->api.threads + 2;
    rc = ot_store_open(url, pool, &s->store, why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "store %s: %s", c->store[0] ? "(--store)" : url,
                 why[0] ? why : ot_strerror(rc));
        goto out_fail;
    }
    rc = ensure_admin_key(s, out, err, errlen);
    if (rc)
        goto out_fail;
    struct ot_triage_conf tc;
    ot_triage_conf_defaults(&tc);
    tc.window_us = c->window_s * 1000000;
    tc.home_nets = c->home_nets[0] ? c->home_nets : NULL;
    rc = ot_triage_new(&tc, &s->triage);
    if (rc) {
        snprintf(err, errlen, "triage.home-nets: %s", ot_strerror(rc));
        goto out_fail;
    }
    rc = ot_api_init(&s->api, &c->api, s->store, s->triage, &s->pki);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        goto out_fail;
    }
    s->api_inited = true;
    rc = ot_api_start(&s->api, err, errlen);
    if (rc)
        goto out_fail;
    ot_info("listening on https://%s (port %u), store %s, %u threads", c->api.listen,
            (unsigned)s->api.port, ot_store_kind(s->store) == OT_STORE_PG ? "postgresql" : "sqlite",
            c->api.threads);
    *sp = s;
    return 0;

out_fail:
    ot_server_close(s);
    return rc;
}

/* See server.h. */
void ot_server_reload(struct ot_server *s, const struct ot_server_conf *c)
{
    const struct ot_server_conf *o = &s->conf;
    if (strcmp(o->data, c->data) || strcmp(o->store, c->store) ||
        strcmp(o->api.listen, c->api.listen) || o->api.threads != c->api.threads ||
        o->nsans != c->nsans || memcmp(o->sans, c->sans, sizeof(o->sans)) ||
        o->api.max_conns != c->api.max_conns || o->api.timeout_s != c->api.timeout_s ||
        o->api.per_ip_conns != c->api.per_ip_conns || strcmp(o->home_nets, c->home_nets) ||
        o->window_s != c->window_s || o->store_pool != c->store_pool)
        ot_warn("data, store, listen, san, threads, http.*, store.pool and triage.* "
                "changes take effect at the next start");
    apply_log_level(c);
    ot_api_reload(&s->api, &c->api);
    ot_strlcpy(s->conf.log_level, c->log_level, sizeof(s->conf.log_level));
    s->conf.api.max_body = c->api.max_body;
    s->conf.api.max_inflated = c->api.max_inflated;
    s->conf.api.max_lines = c->api.max_lines;
    s->conf.api.max_json = c->api.max_json;
    s->conf.api.rate = c->api.rate;
    s->conf.api.burst = c->api.burst;
    s->conf.api.drain_s = c->api.drain_s;
    s->api.conf.drain_s = c->api.drain_s;
    ot_info("configuration reloaded: ingest.rate %g, ingest.burst %g, ingest.max-body %zu",
            c->api.rate, c->api.burst, c->api.max_body);
}

uint16_t ot_server_port(const struct ot_server *s)
{
    return s->api.port;
}

/* See server.h. */
void ot_server_close(struct ot_server *s)
{
    if (!s)
        return;
    if (s->api_inited) {
        ot_api_stop(&s->api);
        ot_info("stopped: %llu requests (%llu 4xx, %llu 5xx), events %llu accepted, %llu "
                "duplicates, %llu rejected, %llu alerts untriaged; %llu bodies too large, %llu "
                "rate-limited, %llu rate buckets recycled",
                (unsigned long long)atomic_load(&s->api.n.requests),
                (unsigned long long)atomic_load(&s->api.n.status_4xx),
                (unsigned long long)atomic_load(&s->api.n.status_5xx),
                (unsigned long long)atomic_load(&s->api.n.events_accepted),
                (unsigned long long)atomic_load(&s->api.n.events_duplicate),
                (unsigned long long)atomic_load(&s->api.n.events_rejected),
                (unsigned long long)atomic_load(&s->api.n.alerts_untriaged),
                (unsigned long long)atomic_load(&s->api.n.body_too_large),
                (unsigned long long)s->api.rate.refused, (unsigned long long)s->api.rate.evicted);
        ot_api_free(&s->api);
    }
    if (s->triage)
        ot_triage_free(s->triage);
    if (s->store)
        ot_store_close(s->store);
    ot_pki_free(&s->pki);
    free(s);
}
