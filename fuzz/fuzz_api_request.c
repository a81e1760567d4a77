/*
 * libFuzzer target for the API's request layer (server/api/api-core.c and
 * the handlers): routing, authentication, JSON bodies, query parameters and
 * ingest, against a real SQLite store in a temporary folder, without TLS or
 * sockets.
 *
 * Input: "METHOD PATH[?QUERY]\n", then "Name: value" header lines, a blank
 * line, and the body.  In header values "$ADMIN" and "$DEV" stand for the
 * admin key and a device credential made at start-up (through the API
 * itself: customer, site, token, enrolment), so the fuzzer reaches the
 * authenticated handlers.  Invariants: every answer has a status from 200
 * to 599; an error answer is {"error": "..."}; a JSON answer parses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api.h"
#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "pki/pki.h"
#include "triage/triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_KV 32

struct fake {
    const char *hk[MAX_KV], *hv[MAX_KV], *qk[MAX_KV], *qv[MAX_KV];
    size_t nh, nq;
};

static const char *find(const char *const *k, const char *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(k[i], name) == 0)
            return v[i];
    return NULL;
}

static const char *fake_header(void *ctx, const char *name)
{
    struct fake *f = ctx;
    return find(f->hk, f->hv, f->nh, name);
}

static const char *fake_query(void *ctx, const char *name)
{
    struct fake *f = ctx;
    return find(f->qk, f->qv, f->nq, name);
}

/* The harness's one server (libFuzzer calls the target many times in one process). */
static struct {
    bool ready;
    struct ot_store *store;
    struct ot_triage *triage;
    struct ot_pki pki;
    struct ot_api api;
    char admin[128];
    char dev[128];
    char dir[64];
    int64_t now;
} h;

/* Removes the temporary store at exit (the replay runs in the test suite). */
static void teardown(void)
{
    const char *files[] = {"fuzz.db", "fuzz.db-wal", "fuzz.db-shm", "fuzz.db-journal"};
    ot_api_free(&h.api);
    ot_triage_free(h.triage);
    ot_store_close(h.store);
    for (size_t i = 0; i < OT_ARRAY_SIZE(files); i++) {
        char p[128];
        snprintf(p, sizeof(p), "%s/%s", h.dir, files[i]);
        unlink(p);
    }
    rmdir(h.dir);
}

static unsigned call(const char *method, const char *path, const char *body, struct fake *f,
                     char *out, size_t outlen)
{
    struct ot_req rq = {.method = method,
                        .path = path,
                        .header = fake_header,
                        .query = fake_query,
                        .ctx = f,
                        .body = body,
                        .body_len = strlen(body),
                        .now_us = h.now += 100000};
    if (ot_req_init(&rq) != 0)
        return 0;
    ot_api_handle(&h.api, &rq);
    if (out)
        snprintf(out, outlen, "%.*s", (int)rq.out.len, rq.out.buf);
    unsigned st = rq.status;
    ot_req_done(&rq);
    return st;
}

/* Pulls a string member out of a JSON answer. */
static void member(const char *json, const char *key, char *out, size_t len)
{
    json_t *j = json_loads(json, 0, NULL);
    const char *v = json_string_value(json_object_get(j, key));
    ot_strlcpy(out, v ? v : "", len);
    json_decref(j);
}

static int setup(void)
{
    char dir[] = "/tmp/ot-fuzz-api-XXXXXX", url[128], err[256];
    if (!mkdtemp(dir))
        return -1;
    ot_strlcpy(h.dir, dir, sizeof(h.dir));
    snprintf(url, sizeof(url), "sqlite:%s/fuzz.db", dir);
    ot_log_set_level(OT_LOG_ERROR);
    if (ot_store_open(url, 2, &h.store, err, sizeof(err)) != 0)
        return -1;
    struct ot_triage_conf tc;
    ot_triage_conf_defaults(&tc);
    if (ot_triage_new(&tc, &h.triage) != 0)
        return -1;
    static char ca[] = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
    h.pki.ca_pem = ca;
    memset(h.pki.ca_pin, 'a', 64);
    struct ot_api_conf c;
    ot_api_conf_defaults(&c);
    c.max_lines = 50;
    c.max_inflated = 1 << 20;
    if (ot_api_init(&h.api, &c, h.store, h.triage, &h.pki) != 0)
        return -1;
    h.now = (int64_t)1700000000 * 1000000;
    uint8_t hash[32];
    char hex[65];
    ot_api_secret_new("ota_", h.admin, sizeof(h.admin), hash);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", hash[i]);
    struct ot_store_tx *tx;
    if (ot_store_begin(h.store, true, &tx) != 0)
        return -1;
    ot_store_meta_set(tx, OT_API_META_ADMIN_HASH, hex);
    if (ot_store_commit(tx) != 0)
        return -1;
    char auth[160], ans[4096], tok[256], body[512];
    snprintf(auth, sizeof(auth), "Bearer %s", h.admin);
    struct fake f = {.hk = {"Authorization"}, .hv = {auth}, .nh = 1};
    call("POST", "/api/v1/customers", "{\"name\":\"fuzz\"}", &f, ans, sizeof(ans));
    call("POST", "/api/v1/customers/1/sites", "{\"name\":\"site\"}", &f, ans, sizeof(ans));
    call("POST", "/api/v1/tokens", "{\"customer_id\":1,\"site_id\":1}", &f, ans, sizeof(ans));
    member(ans, "token", tok, sizeof(tok));
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"name\":\"dev\",\"kind\":\"sensor\"}", tok);
    struct fake none = {0};
    call("POST", "/api/v1/enroll", body, &none, ans, sizeof(ans));
    member(ans, "credential", h.dev, sizeof(h.dev));
    return h.dev[0] ? 0 : -1;
}

/* Replaces $ADMIN / $DEV in a header value (into buf). */
static const char *expand(const char *v, char *buf, size_t len)
{
    const char *a = strstr(v, "$ADMIN"), *d = strstr(v, "$DEV");
    if (!a && !d)
        return v;
    const char *at = a ? a : d, *with = a ? h.admin : h.dev;
    size_t skip = a ? 6 : 4;
    snprintf(buf, len, "%.*s%s%s", (int)(at - v), v, with, at + skip);
    return buf;
}

static void check_answer(unsigned st, const char *ans)
{
    if (st < 200 || st > 599)
        abort();
    if (st == 204 || ans[0] != '{')
        return;
    json_t *j = json_loads(ans, 0, NULL);
    if (!j)
        abort();
    if (st >= 400 && !json_is_string(json_object_get(j, "error")))
        abort();
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!h.ready) {
        if (setup() != 0)
            abort();
        h.ready = true;
        atexit(teardown);
    }
    if (size > 256 * 1024)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *body = strstr(text, "\n\n");
    if (body) {
        *body = '\0';
        body += 2;
    } else {
        body = text + strlen(text); /* also "" when a NUL cut the text */
    }
    char *save, *first = strtok_r(text, "\n", &save);
    struct fake f = {0};
    static char hbuf[MAX_KV][300];
    char *line;
    while ((line = strtok_r(NULL, "\n", &save)) && f.nh < MAX_KV) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        f.hk[f.nh] = line;
        f.hv[f.nh] = expand(v, hbuf[f.nh], sizeof(hbuf[0]));
        f.nh++;
    }
    char *sp = first ? strchr(first, ' ') : NULL;
    if (sp) {
        *sp = '\0';
        char *path = sp + 1, *q = strchr(path, '?');
        if (q) {
            *q++ = '\0';
            char *qs, *kv;
            for (kv = strtok_r(q, "&", &qs); kv && f.nq < MAX_KV; kv = strtok_r(NULL, "&", &qs)) {
                char *eq = strchr(kv, '=');
                if (eq)
                    *eq++ = '\0';
                f.qk[f.nq] = kv;
                f.qv[f.nq] = eq ? eq : "";
                f.nq++;
            }
        }
        static char ans[1 << 16];
        unsigned st = call(first, path, body, &f, ans, sizeof(ans));
        if (strlen(ans) < sizeof(ans) - 1)
            check_answer(st, ans);
    }
    free(text);
    return 0;
}
