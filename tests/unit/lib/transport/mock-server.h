/*
 * A small test server for the transport tests, on libmicrohttpd: plain HTTP
 * or HTTPS (with a throw-away CA made by the `openssl` command) on
 * 127.0.0.1 with an ephemeral port.
 *
 * POST /api/v1/events: gunzips, splits lines, reads each event_id, keeps
 * the set of ids it stored (dedup like the real server) and answers
 * 200 {"accepted","duplicates","rejected"}; a script of forced answers
 * (503, 401, 429 + Retry-After, dropped connections, "store then drop")
 * and 413 rules (too many lines, a too long line) steer the sender.
 * GET /api/v1/ca and POST /api/v1/enroll serve the enrolment tests.
 *
 * Header-only; include after <cmocka.h>.
 */
#ifndef OT_TEST_MOCK_SERVER_H
#define OT_TEST_MOCK_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <zlib.h>

#define MOCK_SCRIPT_MAX 64
#define MOCK_REQ_MAX    4096
#define MOCK_BODY_MAX   (32u << 20)

enum {
    MOCK_OK = 0,         /* normal processing */
    MOCK_DROP = -1,      /* close the connection without an answer, store nothing */
    MOCK_STORE_DROP = -2 /* store the events, then close without an answer */
};

struct mock_server {
    struct MHD_Daemon *d;
    uint16_t port;
    char url[64];
    pthread_mutex_t mu;
    /* steering */
    int script[MOCK_SCRIPT_MAX]; /* answers for the next requests: MOCK_* or an HTTP status */
    unsigned nscript, script_pos;
    unsigned retry_after;      /* seconds, for scripted 429 */
    unsigned max_lines;        /* 413 when a batch has more lines (0 = no limit) */
    size_t max_line_bytes;     /* 413 when a line is longer (0 = no limit) */
    const char *reject_prefix; /* event_ids starting with this are rejected */
    bool always_401;
    unsigned delay_ms; /* sleep before answering an events POST */
    /* enrolment */
    char *ca_pem;             /* served by GET /api/v1/ca */
    const char *expect_token; /* POST /api/v1/enroll must carry this token */
    int enroll_status;        /* 0 = 201 */
    unsigned enroll_posts;
    char enroll_name[128];
    /* records */
    unsigned requests;
    uint64_t req_ms[MOCK_REQ_MAX];
    unsigned req_lines[MOCK_REQ_MAX];
    uint64_t dropped_sum; /* X-Otasuke-Dropped of accepted requests */
    char auth[256];
    char **ids;
    size_t nids, capids;
    uint64_t lines_total, duplicates, rejected;
};

struct mock_conn {
    char *body;
    size_t len, cap;
    bool too_big;
};

static inline uint64_t mock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline bool mock_has_id(struct mock_server *m, const char *id)
{
    for (size_t i = 0; i < m->nids; i++)
        if (strcmp(m->ids[i], id) == 0)
            return true;
    return false;
}

static inline void mock_add_id(struct mock_server *m, const char *id)
{
    if (m->nids == m->capids) {
        m->capids = m->capids ? m->capids * 2 : 256;
        m->ids = realloc(m->ids, m->capids * sizeof(*m->ids));
        assert_non_null(m->ids);
    }
    m->ids[m->nids++] = strdup(id);
}

/* gunzip into a new buffer; NULL on a bad stream. */
static inline char *mock_gunzip(const char *in, size_t len, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return NULL;
    size_t cap = len * 4 + 1024, n = 0;
    char *out = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int r;
    do {
        if (n == cap) {
            cap *= 2;
            out = realloc(out, cap);
        }
        z.next_out = (Bytef *)out + n;
        z.avail_out = (uInt)(cap - n);
        r = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
    } while (r == Z_OK);
    inflateEnd(&z);
    if (r != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *outlen = n;
    return out;
}

static inline enum MHD_Result mock_reply(struct MHD_Connection *c, unsigned status,
                                         const char *body, const char *hname, const char *hval)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (hname)
        MHD_add_response_header(r, hname, hval);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The events POST: returns the status to answer, or a MOCK_* drop code; fills *answer. */
static inline int mock_events(struct mock_server *m, struct MHD_Connection *c, struct mock_conn *mc,
                              char **answer)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
    const char *dh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Otasuke-Dropped");
    if (auth)
        snprintf(m->auth, sizeof(m->auth), "%s", auth);
    if (m->requests < MOCK_REQ_MAX)
        m->req_ms[m->requests] = mock_now_ms();
    unsigned reqno = m->requests++;
    int forced = MOCK_OK;
    if (m->script_pos < m->nscript)
        forced = m->script[m->script_pos++];
    if (m->always_401)
        forced = 401;
    if (forced > 0 && forced != 200)
        return forced;
    if (forced == MOCK_DROP)
        return MOCK_DROP;
    size_t n = mc->len;
    char *text = mc->body;
    char *plain = NULL;
    if (enc && strcmp(enc, "gzip") == 0) {
        plain = mock_gunzip(mc->body, mc->len, &n);
        if (!plain)
            return 400;
        text = plain;
    }
    /* First pass: the 413 rules. */
    unsigned lines = 0;
    for (size_t i = 0, start = 0; i < n; i++) {
        if (text[i] != '\n')
            continue;
        lines++;
        if (m->max_line_bytes && i - start > m->max_line_bytes) {
            free(plain);
            return 413;
        }
        start = i + 1;
    }
    if (reqno < MOCK_REQ_MAX)
        m->req_lines[reqno] = lines;
    if (m->max_lines && lines > m->max_lines) {
        free(plain);
        return 413;
    }
    json_t *rej = json_array();
    unsigned accepted = 0, dups = 0, lineno = 0;
    for (size_t i = 0, start = 0; i < n; i++) {
        if (text[i] != '\n')
            continue;
        lineno++;
        m->lines_total++;
        json_error_t je;
        json_t *ev = json_loadb(text + start, i - start, 0, &je);
        const char *id = json_string_value(json_object_get(ev, "event_id"));
        start = i + 1;
        if (!id ||
            (m->reject_prefix && strncmp(id, m->reject_prefix, strlen(m->reject_prefix)) == 0)) {
            json_array_append_new(rej, json_pack("{s:i, s:s}", "line", lineno, "reason",
                                                 id ? "test rejects it" : "no event_id"));
            m->rejected++;
        } else if (mock_has_id(m, id)) {
            dups++;
            m->duplicates++;
        } else {
            mock_add_id(m, id);
            accepted++;
        }
        json_decref(ev);
    }
    free(plain);
    if (dh)
        m->dropped_sum += strtoull(dh, NULL, 10);
    if (forced == MOCK_STORE_DROP) {
        json_decref(rej);
        return MOCK_DROP;
    }
    json_t *a =
        json_pack("{s:i, s:i, s:o}", "accepted", accepted, "duplicates", dups, "rejected", rej);
    *answer = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return 200;
}

static inline enum MHD_Result mock_enroll(struct mock_server *m, struct MHD_Connection *c,
                                          struct mock_conn *mc)
{
    m->enroll_posts++;
    json_error_t je;
    json_t *j = json_loadb(mc->body ? mc->body : "", mc->len, 0, &je);
    const char *tok = json_string_value(json_object_get(j, "token"));
    const char *name = json_string_value(json_object_get(j, "name"));
    snprintf(m->enroll_name, sizeof(m->enroll_name), "%s", name ? name : "");
    int st = m->enroll_status ? m->enroll_status : 201;
    if (st == 201 && (!tok || !m->expect_token || strcmp(tok, m->expect_token) != 0))
        st = 401;
    json_decref(j);
    switch (st) {
    case 201:
        return mock_reply(c, 201,
                          "{\"device_id\":7,\"customer_id\":3,\"site_id\":4,"
                          "\"credential\":\"otd_TestCredential-_0123456789\"}",
                          NULL, NULL);
    case 401:
        return mock_reply(c, 401, "{\"error\":\"unknown token\"}", NULL, NULL);
    case 409:
        return mock_reply(c, 409, "{\"error\":\"token already used\"}", NULL, NULL);
    case 410:
        return mock_reply(c, 410, "{\"error\":\"token expired\"}", NULL, NULL);
    default:
        return mock_reply(c, (unsigned)st, "{\"error\":\"test error\"}", NULL, NULL);
    }
}

static inline enum MHD_Result mock_handler(void *cls, struct MHD_Connection *c, const char *url,
                                           const char *method, const char *version,
                                           const char *upload, size_t *upload_size, void **con_cls)
{
    struct mock_server *m = cls;
    struct mock_conn *mc = *con_cls;
    if (!mc) {
        mc = calloc(1, sizeof(*mc));
        *con_cls = mc;
        return MHD_YES;
    }
    if (*upload_size) {
        if (mc->len + *upload_size > MOCK_BODY_MAX) {
            mc->too_big = true;
        } else {
            if (mc->len + *upload_size > mc->cap) {
                mc->cap = (mc->len + *upload_size) * 2;
                mc->body = realloc(mc->body, mc->cap);
            }
            memcpy(mc->body + mc->len, upload, *upload_size);
            mc->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/api/v1/ca") == 0) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            strlen(m->ca_pem ? m->ca_pem : ""), m->ca_pem ? m->ca_pem : "", MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(r, "Content-Type", "application/x-pem-file");
        enum MHD_Result ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    pthread_mutex_lock(&m->mu);
    enum MHD_Result ret;
    if (strcmp(method, "POST") == 0 && strcmp(url, "/api/v1/enroll") == 0) {
        ret = mock_enroll(m, c, mc);
        pthread_mutex_unlock(&m->mu);
        return ret;
    }
    if (strcmp(method, "POST") != 0 || strcmp(url, "/api/v1/events") != 0) {
        pthread_mutex_unlock(&m->mu);
        return mock_reply(c, 404, "{\"error\":\"not found\"}", NULL, NULL);
    }
    char *answer = NULL;
    int st = mc->too_big ? 413 : mock_events(m, c, mc, &answer);
    unsigned delay = m->delay_ms, ra = m->retry_after;
    pthread_mutex_unlock(&m->mu);
    if (delay)
        usleep(delay * 1000u);
    if (st == MOCK_DROP)
        return MHD_NO;
    char rabuf[16];
    snprintf(rabuf, sizeof(rabuf), "%u", ra);
    switch (st) {
    case 200:
        ret = mock_reply(c, 200, answer, NULL, NULL);
        break;
    case 429:
        ret = mock_reply(c, 429, "{\"error\":\"slow down\"}", "Retry-After", rabuf);
        break;
    case 401:
        ret = mock_reply(c, 401, "{\"error\":\"device revoked\"}", NULL, NULL);
        break;
    case 413:
        ret = mock_reply(c, 413, "{\"error\":\"too large\"}", NULL, NULL);
        break;
    default:
        ret = mock_reply(c, (unsigned)st, "{\"error\":\"store unavailable\"}", "Retry-After", "1");
        break;
    }
    free(answer);
    return ret;
}

static inline void mock_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                  enum MHD_RequestTerminationCode toe)
{
    struct mock_conn *mc = *con_cls;
    if (mc) {
        free(mc->body);
        free(mc);
        *con_cls = NULL;
    }
}

/* Start on 127.0.0.1, plain HTTP (key/cert NULL) or HTTPS with PEM key/cert in memory. */
static inline void mock_start(struct mock_server *m, const char *key_pem, const char *cert_pem)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->mu, NULL);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (key_pem) {
        flags |= MHD_USE_TLS;
        m->d = MHD_start_daemon(flags, 0, NULL, NULL, mock_handler, m, MHD_OPTION_SOCK_ADDR,
                                (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, mock_completed,
                                m, MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT,
                                cert_pem, MHD_OPTION_END);
    } else {
        m->d = MHD_start_daemon(flags, 0, NULL, NULL, mock_handler, m, MHD_OPTION_SOCK_ADDR,
                                (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, mock_completed,
                                m, MHD_OPTION_END);
    }
    assert_non_null(m->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    m->port = info->port;
    snprintf(m->url, sizeof(m->url), "%s://127.0.0.1:%u", key_pem ? "https" : "http", m->port);
}

static inline void mock_stop(struct mock_server *m)
{
    if (m->d)
        MHD_stop_daemon(m->d);
    for (size_t i = 0; i < m->nids; i++)
        free(m->ids[i]);
    free(m->ids);
    free(m->ca_pem);
    pthread_mutex_destroy(&m->mu);
}

static inline void mock_script(struct mock_server *m, const int *codes, unsigned n)
{
    pthread_mutex_lock(&m->mu);
    memcpy(m->script, codes, n * sizeof(int));
    m->nscript = n;
    m->script_pos = 0;
    pthread_mutex_unlock(&m->mu);
}

static inline size_t mock_unique(struct mock_server *m)
{
    pthread_mutex_lock(&m->mu);
    size_t n = m->nids;
    pthread_mutex_unlock(&m->mu);
    return n;
}

static inline unsigned mock_requests(struct mock_server *m)
{
    pthread_mutex_lock(&m->mu);
    unsigned n = m->requests;
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* ---- throw-away PKI with the openssl command ---- */

struct mock_pki {
    char dir[64];
    char ca_file[128];
    char *ca_pem, *key_pem, *cert_pem;
    char pin[65]; /* sha256 hex of the CA's DER */
};

static inline char *mock_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = '\0';
    fclose(f);
    return b;
}

/* Make a CA (prefix) and a server certificate for 127.0.0.1/localhost in a temp folder. */
static inline bool mock_pki_make(struct mock_pki *p)
{
    memset(p, 0, sizeof(*p));
    if (system("openssl version >/dev/null 2>&1") != 0)
        return false;
    snprintf(p->dir, sizeof(p->dir), "/tmp/ot-pki-XXXXXX");
    if (!mkdtemp(p->dir))
        return false;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "(cd %s && "
             "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key && "
             "openssl req -x509 -new -key ca.key -subj /CN=otasuke-test-ca -days 2 -out ca.pem "
             "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && "
             "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out srv.key && "
             "openssl req -new -key srv.key -subj /CN=localhost -out srv.csr && "
             "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext && "
             "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
             "-extfile ext -out srv.pem && "
             "openssl x509 -in ca.pem -outform DER | openssl dgst -sha256 -r | cut -c1-64 > pin"
             ") >/dev/null 2>&1",
             p->dir);
    if (system(cmd) != 0)
        return false;
    char path[160];
    snprintf(p->ca_file, sizeof(p->ca_file), "%s/ca.pem", p->dir);
    p->ca_pem = mock_slurp(p->ca_file);
    snprintf(path, sizeof(path), "%s/srv.key", p->dir);
    p->key_pem = mock_slurp(path);
    snprintf(path, sizeof(path), "%s/srv.pem", p->dir);
    p->cert_pem = mock_slurp(path);
    snprintf(path, sizeof(path), "%s/pin", p->dir);
    char *pin = mock_slurp(path);
    if (!p->ca_pem || !p->key_pem || !p->cert_pem || !pin || strlen(pin) < 64) {
        free(pin);
        return false;
    }
    memcpy(p->pin, pin, 64);
    p->pin[64] = '\0';
    free(pin);
    return true;
}

static inline void mock_pki_free(struct mock_pki *p)
{
    char cmd[128];
    if (p->dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", p->dir);
    }
    free(p->ca_pem);
    free(p->key_pem);
    free(p->cert_pem);
}

/* A fresh temp folder path (created). */
static inline void mock_tempdir(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/ot-transport-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static inline void mock_rmdir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
