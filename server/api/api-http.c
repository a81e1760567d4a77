/*
 * The libmicrohttpd front of the API: TLS with the server certificate held
 * in memory, a thread pool, connection limits and timeouts, bounded request
 * bodies, and the graceful stop.  Each request is handed whole to
 * ot_api_handle() (api-core.c).
 */
#include "api/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "pki/pki.h"

/* Per request, from its first call to MHD's "completed" notice. */
struct conn_req {
    struct ot_route_match m;
    bool routed;   /* the path matched a route */
    bool answered; /* a response was queued on the first call */
    bool too_big;  /* the body passed its limit: the rest is discarded */
    size_t limit;
    char *body;
    size_t len, cap;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *lookup_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static const char *lookup_query(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* Queues rq's answer (JSON or raw) with its headers. */
static enum MHD_Result send_answer(struct ot_api *api, struct MHD_Connection *c, struct ot_req *rq)
{
    struct MHD_Response *r;
    if (rq->raw)
        r = MHD_create_response_from_buffer(rq->raw_len, (void *)(uintptr_t)rq->raw,
                                            MHD_RESPMEM_PERSISTENT);
    else
        r = MHD_create_response_from_buffer(rq->status == 204 ? 0 : rq->out.len, rq->out.buf,
                                            MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (rq->status != 204)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                rq->raw ? rq->content_type : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (rq->retry_after) {
        char v[16];
        snprintf(v, sizeof(v), "%u", rq->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
    if (rq->www_authenticate)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (atomic_load(&api->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, rq->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* An error answer outside ot_api_handle (routing, body limits). */
static enum MHD_Result send_error(struct ot_api *api, struct MHD_Connection *c, unsigned status,
                                  const char *reason)
{
    struct ot_req rq = {0};
    if (ot_req_init(&rq) != 0)
        return MHD_NO;
    ot_api_error(&rq, status, reason);
    atomic_fetch_add(&api->n.requests, 1);
    atomic_fetch_add(status >= 500 ? &api->n.status_5xx : &api->n.status_4xx, 1);
    enum MHD_Result ret = send_answer(api, c, &rq);
    ot_req_done(&rq);
    return ret;
}

/* First call of a request: route it, choose the body limit, refuse early what we can. */
static enum MHD_Result first_call(struct ot_api *api, struct MHD_Connection *c, const char *url,
                                  const char *method, struct conn_req *cr)
{
    size_t n;
    const struct ot_route *t = ot_routes(&n);
    int rc = ot_route_find(t, n, method, url, &cr->m);
    cr->routed = rc == 0;
    if (rc) {
        cr->answered = true;
        return send_error(api, c, rc == OT_ENOENT ? 404 : 405,
                          rc == OT_ENOENT ? "no such endpoint"
                                          : "method not allowed on this endpoint");
    }
    cr->limit = cr->m.route->body == OT_BODY_NDJSON ? atomic_load(&api->max_body)
                                                    : atomic_load(&api->max_json);
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t declared;
    if (cl && ot_parse_u64(cl, 0, UINT64_MAX, &declared) == 0 && declared > cr->limit) {
        atomic_fetch_add(&api->n.body_too_large, 1);
        cr->answered = true;
        return send_error(api, c, 413, "request body too large");
    }
    return MHD_YES;
}

/* Adds an upload chunk to the body, or starts discarding once the limit is passed. */
static void take_chunk(struct ot_api *api, struct conn_req *cr, const char *data, size_t n)
{
    if (cr->too_big)
        return;
    if (n > cr->limit - cr->len) {
        cr->too_big = true;
        atomic_fetch_add(&api->n.body_too_large, 1);
        free(cr->body);
        cr->body = NULL;
        cr->len = cr->cap = 0;
        return;
    }
    if (cr->len + n + 1 > cr->cap) {
        size_t nc = cr->cap ? cr->cap : 4096;
        while (nc < cr->len + n + 1)
            nc *= 2;
        if (nc > cr->limit + 1)
            nc = cr->limit + 1;
        char *nb = realloc(cr->body, nc);
        if (!nb) {
            /* treated as too large: the client gets 413 and may split the batch */
            cr->too_big = true;
            free(cr->body);
            cr->body = NULL;
            cr->len = cr->cap = 0;
            return;
        }
        cr->body = nb;
        cr->cap = nc;
    }
    memcpy(cr->body + cr->len, data, n);
    cr->len += n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    struct ot_api *api = cls;
    struct conn_req *cr = *con_cls;
    if (!cr) {
        cr = calloc(1, sizeof(*cr));
        if (!cr)
            return MHD_NO;
        *con_cls = cr;
        atomic_fetch_add(&api->in_flight, 1);
        return first_call(api, c, url, method, cr);
    }
    if (cr->answered) {
        *upload_size = 0; /* MHD discards the rest and closes */
        return MHD_YES;
    }
    if (*upload_size > 0) {
        take_chunk(api, cr, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    cr->answered = true;
    if (cr->too_big)
        return send_error(api, c, 413, "request body too large");
    struct ot_req rq = {
        .method = method,
        .path = url,
        .header = lookup_header,
        .query = lookup_query,
        .ctx = c,
        .body = cr->body ? cr->body : "",
        .body_len = cr->len,
        .now_us = now_us(),
    };
    if (ot_req_init(&rq) != 0)
        return MHD_NO;
    ot_api_handle(api, &rq);
    enum MHD_Result ret = send_answer(api, c, &rq);
    ot_req_done(&rq);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct ot_api *api = cls;
    struct conn_req *cr = *con_cls;
    if (!cr)
        return;
    free(cr->body);
    free(cr);
    *con_cls = NULL;
    atomic_fetch_sub(&api->in_flight, 1);
}

/* libmicrohttpd's own messages, at debug level (its format strings are its own). */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    ot_debug("libmicrohttpd: %s", msg);
}

/* "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, bool *v6)
{
    char host[128];
    const char *port;
    memset(ss, 0, sizeof(*ss));
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof(host))
            return OT_EINVAL;
        memcpy(host, s + 1, (size_t)(e - s - 1));
        host[e - s - 1] = '\0';
        port = e + 2;
    } else {
        const char *e = strrchr(s, ':');
        if (!e || (size_t)(e - s) >= sizeof(host))
            return OT_EINVAL;
        memcpy(host, s, (size_t)(e - s));
        host[e - s] = '\0';
        port = e + 1;
    }
    uint64_t p;
    if (ot_parse_u64(port, 0, 65535, &p) != 0)
        return OT_EINVAL;
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        *sl = sizeof(*a4);
        *v6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        *sl = sizeof(*a6);
        *v6 = true;
        return 0;
    }
    return OT_EINVAL;
}

/* See api.h. */
int ot_api_start(struct ot_api *api, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    bool v6;
    if (parse_listen(api->conf.listen, &ss, &sl, &v6) != 0) {
        snprintf(err, errlen, "listen %s: not ADDR:PORT (an IP address and a port)",
                 api->conf.listen);
        return OT_EINVAL;
    }
    unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_EPOLL;
    if (v6)
        flags |= MHD_USE_IPv6;
    unsigned threads = api->conf.threads ? api->conf.threads : 1;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, api->pki->key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, api->pki->cert_pem},
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, api->conf.max_conns, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, api->conf.per_ip_conns, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, api->conf.timeout_s, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, api},
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, api},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, api, MHD_OPTION_ARRAY,
                                            opts, MHD_OPTION_END);
    if (!d) {
        snprintf(err, errlen,
                 "cannot listen on %s (address in use, not local, or TLS set-up failed)",
                 api->conf.listen);
        return OT_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    api->port = info ? info->port : 0;
    api->mhd = d;
    return 0;
}

/* See api.h. */
void ot_api_stop(struct ot_api *api)
{
    struct MHD_Daemon *d = api->mhd;
    if (!d)
        return;
    atomic_store(&api->stopping, true);
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    int64_t deadline = now_us() + (int64_t)api->conf.drain_s * 1000000;
    while (atomic_load(&api->in_flight) > 0 && now_us() < deadline) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&api->in_flight) > 0)
        ot_warn("%d requests still in flight after %u s: closing them",
                atomic_load(&api->in_flight), api->conf.drain_s);
    MHD_stop_daemon(d);
    api->mhd = NULL;
}
