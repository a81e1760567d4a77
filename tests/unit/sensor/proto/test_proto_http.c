/*
 * HTTP/1.x parser: request and response fields, pipelining, bodies
 * (Content-Length, chunked with extensions and trailers, until close, none
 * for HEAD/1xx/204/304), Basic credentials (user only), splits at every byte,
 * gaps, limits, malformed input, tunnels and the probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_http;

struct seg {
    int dir;
    const char *p;
    size_t n;
};

#define SEG(d, s)                                                                                  \
    {                                                                                              \
        (d), (s), sizeof(s) - 1                                                                    \
    }

enum split { WHOLE, AT, BYTES };

struct result {
    json_t *ev;
    uint64_t errors;
    char *raw; /* the whole output file */
};

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static struct result run_conf(const struct seg *segs, size_t nseg, enum split how, size_t which,
                              size_t at, uint32_t max_buffer)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.10", 50000, "93.184.216.34", 80, 6, true), 0);
    if (max_buffer)
        h.pe.conf.max_buffer = max_buffer;
    for (size_t i = 0; i < nseg; i++) {
        const struct seg *s = &segs[i];
        const uint8_t *p = (const uint8_t *)s->p;
        if (how == BYTES) {
            for (size_t k = 0; k < s->n; k++)
                ot_harness_feed(&h, s->dir, p + k, 1);
        } else if (how == AT && i == which && at > 0 && at < s->n) {
            ot_harness_feed(&h, s->dir, p, at);
            ot_harness_feed(&h, s->dir, p + at, s->n - at);
        } else {
            ot_harness_feed(&h, s->dir, p, s->n);
        }
    }
    ot_harness_finish(&h);
    struct result r;
    r.errors = h.pe.stats.errors[OT_APP_HTTP];
    r.ev = ot_harness_events(&h, "http");
    r.raw = slurp(h.path);
    ot_harness_cleanup(&h);
    return r;
}

static struct result run(const struct seg *segs, size_t nseg)
{
    return run_conf(segs, nseg, WHOLE, 0, 0, 0);
}

static void done(struct result *r)
{
    json_decref(r->ev);
    free(r->raw);
}

static json_t *http_at(const struct result *r, size_t i)
{
    json_t *o = json_object_get(json_array_get(r->ev, i), "http");
    assert_non_null(o);
    return o;
}

static const char *s_at(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static long long i_at(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    return json_integer_value(v);
}

/* All "http" objects, serialised with sorted keys, one per line (caller frees). */
static char *dump_all(json_t *ev)
{
    size_t cap = 65536, len = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    for (size_t i = 0; i < json_array_size(ev); i++) {
        char *s = json_dumps(json_object_get(json_array_get(ev, i), "http"), JSON_SORT_KEYS);
        len += (size_t)snprintf(out + len, cap - len, "%s\n", s);
        free(s);
    }
    return out;
}

/* Every split point of every segment, and byte by byte, gives the same events. */
static void check_splits(const struct seg *segs, size_t nseg, size_t want_events)
{
    struct result r = run(segs, nseg);
    assert_int_equal(json_array_size(r.ev), want_events);
    assert_int_equal(r.errors, 0);
    char *ref = dump_all(r.ev);
    done(&r);
    for (size_t i = 0; i < nseg; i++) {
        for (size_t k = 1; k < segs[i].n; k++) {
            r = run_conf(segs, nseg, AT, i, k, 0);
            char *got = dump_all(r.ev);
            if (strcmp(ref, got) != 0 || r.errors)
                fail_msg("split seg %zu at %zu:\n%s\n%s", i, k, ref, got);
            free(got);
            done(&r);
        }
    }
    r = run_conf(segs, nseg, BYTES, 0, 0, 0);
    char *got = dump_all(r.ev);
    assert_string_equal(ref, got);
    assert_int_equal(r.errors, 0);
    free(got);
    done(&r);
    free(ref);
}

/* ---- tests ---------------------------------------------------------------------- */

static enum ot_probe_result probe(int dir, const char *s)
{
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    return ot_proto_http.probe(&f, dir, (const uint8_t *)s, strlen(s));
}

static void test_probe(void **st)
{
    (void)st;
    assert_int_equal(probe(0, "GET / HTTP/1.1\r\n"), OT_PROBE_YES);
    assert_int_equal(probe(0, "POST /x HTTP/1.0\r\nHost: a\r\n"), OT_PROBE_YES);
    assert_int_equal(probe(0, "PROPFIND /dav HTTP/1.1\r\n"), OT_PROBE_YES);
    assert_int_equal(probe(0, "GET /partial-line-without-end"), OT_PROBE_YES);
    assert_int_equal(probe(0, "GET /\r\n"), OT_PROBE_YES); /* HTTP/0.9 */
    assert_int_equal(probe(1, "HTTP/1.1 200 OK\r\n"), OT_PROBE_YES);
    assert_int_equal(probe(1, "HTTP/1.0 404"), OT_PROBE_YES);
    /* Too short to tell. */
    assert_int_equal(probe(0, "G"), OT_PROBE_MORE);
    assert_int_equal(probe(0, "GET"), OT_PROBE_MORE);
    assert_int_equal(probe(0, "OPTIO"), OT_PROBE_MORE);
    assert_int_equal(probe(1, "HTTP/"), OT_PROBE_MORE);
    /* Not HTTP. */
    assert_int_equal(probe(1, "HTTP/2.0 200\r\n"), OT_PROBE_NO);
    /* Roles the wrong way round (a capture that starts mid-connection): still HTTP. */
    assert_int_equal(probe(1, "GET / HTTP/1.1\r\n"), OT_PROBE_YES);
    assert_int_equal(probe(0, "HTTP/1.1 200 OK\r\n"), OT_PROBE_YES);
    assert_int_equal(probe(0, "HTTP/1"), OT_PROBE_MORE);
    assert_int_equal(probe(0, "OPTIONS rtsp://cam/s RTSP/1.0\r\n"), OT_PROBE_NO);
    assert_int_equal(probe(0, "NOTIFY sip:bob@example.org SIP/2.0\r\n"), OT_PROBE_NO);
    assert_int_equal(probe(1, "RTSP/1.0 200 OK\r\n"), OT_PROBE_NO);
    const char *others[] = {"SSH-2.0-OpenSSH_9.6\r\n",  "220 ftp.example.org FTP\r\n",
                            "USER anonymous\r\n",       "EHLO client\r\n",
                            "* OK IMAP4rev1\r\n",       "+OK POP3 ready\r\n",
                            "a001 LOGIN joe secret\r\n"};
    for (size_t i = 0; i < OT_ARRAY_SIZE(others); i++)
        for (int dir = 0; dir < 2; dir++)
            assert_int_equal(probe(dir, others[i]), OT_PROBE_NO);
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    const uint8_t tls[] = {22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3};
    const uint8_t smb[] = {0, 0, 0, 0x85, 0xff, 'S', 'M', 'B'};
    for (int dir = 0; dir < 2; dir++) {
        assert_int_equal(ot_proto_http.probe(&f, dir, tls, sizeof(tls)), OT_PROBE_NO);
        assert_int_equal(ot_proto_http.probe(&f, dir, smb, sizeof(smb)), OT_PROBE_NO);
    }
}

/*
 * Methods not in the table: any token, but only with a whole well-formed
 * request line ending in HTTP/1.x, and never the tail of a known method (a
 * request line cut at its start).
 */
static void test_probe_extension_methods(void **st)
{
    (void)st;
    const char *yes[] = {
        "RPC_IN_DATA /rpc/rpcproxy.dll?MAIL.example.com:6001 HTTP/1.1\r\nHost: mail\r\n",
        "RPC_OUT_DATA /rpc/rpcproxy.dll?x:6004 HTTP/1.0\r\n",
        "QUERY /contacts HTTP/1.1\r\n",
        "M-SEARCH * HTTP/1.1\r\n",
        "GETX / HTTP/1.1\r\n",
        "get / HTTP/1.1\r\n", /* methods are case-sensitive: another method, not GET */
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(yes); i++)
        for (int dir = 0; dir < 2; dir++)
            if (probe(dir, yes[i]) != OT_PROBE_YES)
                fail_msg("not taken: %s", yes[i]);
    const char *more[] = {"Q",
                          "RPC_IN",
                          "RPC_IN_DATA ",
                          "RPC_IN_DATA /rpc",
                          "RPC_IN_DATA /rpc HTTP/1",
                          "RPC_IN_DATA /rpc HTTP/1.1\r",
                          "ET"};
    for (size_t i = 0; i < OT_ARRAY_SIZE(more); i++)
        if (probe(0, more[i]) != OT_PROBE_MORE)
            fail_msg("not MORE: %s", more[i]);
    const char *no[] = {
        /* The tails of known methods: a capture that starts inside a request line. */
        "T / HTTP/1.1\r\n",
        "ET / HTTP/1.1\r\n",
        "OST /form HTTP/1.1\r\n",
        "ONNECT db.example:443 HTTP/1.1\r\n",
        "SCRIBE /x HTTP/1.1\r\n",
        /* Not a well-formed request line. */
        "RPC_IN_DATA /rpc\r\n",               /* no version (0.9 only with known methods) */
        "RPC_IN_DATA /rpc HTTP/2.0\r\n",      /* not 1.x */
        "RPC_IN_DATA /rpc HTTP/1.1\n",        /* bare LF */
        "RPC_IN_DATA  /rpc HTTP/1.1\r\n",     /* two spaces */
        "RPC_IN_DATA /rpc HTTP/1.1 \r\n",     /* trailing space */
        "RPC_IN_DATA /a b HTTP/1.1\r\n",      /* a space in the target */
        "RPC_IN_DATA /\x01 HTTP/1.1\r\n",     /* a control byte */
        "RPC_IN_DATA /\xc3\xa9 HTTP/1.1\r\n", /* not ASCII */
        "RPC(IN) /rpc HTTP/1.1\r\n",          /* not a token */
        "RPC_IN_DATA /rpc HTTP/1.x\r\n",
        "ANNOUNCE rtsp://cam/s RTSP/1.0\r\n",
        "INVITE sip:bob@example.org SIP/2.0\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", /* the HTTP/2 preface */
        "hello world\r\n",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 / HTTP/1.1\r\n", /* method past 32 bytes */
        " RPC_IN_DATA /rpc HTTP/1.1\r\n",
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(no); i++)
        for (int dir = 0; dir < 2; dir++)
            if (probe(dir, no[i]) != OT_PROBE_NO)
                fail_msg("taken: %s", no[i]);
    /* The line is bounded: a target of 10,000 bytes is not looked through. */
    static char longline[10100];
    size_t n = (size_t)snprintf(longline, sizeof(longline), "RPC_IN_DATA /");
    memset(longline + n, 'a', 10000);
    memcpy(longline + n + 10000, " HTTP/1.1\r\n", 12);
    assert_int_equal(probe(0, longline), OT_PROBE_NO);
    longline[n + 100] = '\0';
    assert_int_equal(probe(0, longline), OT_PROBE_MORE);
}

#define REQ1                                                                                       \
    "GET /index.html?q=1 HTTP/1.1\r\n"                                                             \
    "Host: www.example.com:8080\r\n"                                                               \
    "User-Agent: Mozilla/5.0 (X11)\r\n"                                                            \
    "Referer: http://ref.example/\r\n"                                                             \
    "Accept: */*\r\n"                                                                              \
    "\r\n"
#define RESP1                                                                                      \
    "HTTP/1.1 200 OK\r\n"                                                                          \
    "Content-Type: text/html; charset=utf-8\r\n"                                                   \
    "Content-Length: 12\r\n"                                                                       \
    "\r\n"                                                                                         \
    "hello world!"

static void test_fields(void **st)
{
    (void)st;
    struct seg segs[] = {SEG(0, REQ1), SEG(1, RESP1)};
    struct result r = run(segs, 2);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 1);
    json_t *e0 = json_array_get(r.ev, 0);
    assert_string_equal(s_at(e0, "app_proto"), "http");
    assert_string_equal(s_at(e0, "src_ip"), "192.168.1.10");
    json_t *h = http_at(&r, 0);
    assert_string_equal(s_at(h, "hostname"), "www.example.com");
    assert_int_equal(i_at(h, "http_port"), 8080);
    assert_string_equal(s_at(h, "url"), "/index.html?q=1");
    assert_string_equal(s_at(h, "http_user_agent"), "Mozilla/5.0 (X11)");
    assert_string_equal(s_at(h, "http_refer"), "http://ref.example/");
    assert_string_equal(s_at(h, "http_method"), "GET");
    assert_string_equal(s_at(h, "protocol"), "HTTP/1.1");
    assert_string_equal(s_at(h, "http_content_type"), "text/html; charset=utf-8");
    assert_int_equal(i_at(h, "status"), 200);
    assert_int_equal(i_at(h, "length"), 12);
    assert_null(json_object_get(h, "basic_auth"));
    assert_null(json_object_get(h, "redirect"));
    done(&r);
}

static void test_splits(void **st)
{
    (void)st;
    struct seg segs[] = {SEG(0, REQ1), SEG(1, RESP1)};
    check_splits(segs, 2, 1);
}

/* Three pipelined requests, then three responses: chunked, HEAD, Content-Length. */
#define PIPE_REQ                                                                                   \
    "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"                                                           \
    "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"                                                          \
    "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nabcde"
#define PIPE_RESP                                                                                  \
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: a/b\r\n\r\n"                   \
    "5;ext=1\r\nhello\r\n"                                                                         \
    "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"                                                         \
    "0\r\nX-Trailer: yes\r\n\r\n"                                                                  \
    "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"                                              \
    "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 3\r\n\r\nxyz"

static void test_pipelining(void **st)
{
    (void)st;
    struct seg segs[] = {SEG(0, PIPE_REQ), SEG(1, PIPE_RESP)};
    struct result r = run(segs, 2);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 3);
    json_t *h = http_at(&r, 0);
    assert_string_equal(s_at(h, "url"), "/a");
    assert_int_equal(i_at(h, "status"), 200);
    assert_string_equal(s_at(h, "http_content_type"), "a/b");
    assert_null(json_object_get(h, "length")); /* chunked: not known at the head */
    h = http_at(&r, 1);
    assert_string_equal(s_at(h, "http_method"), "HEAD");
    assert_int_equal(i_at(h, "length"), 0); /* no body after a HEAD */
    h = http_at(&r, 2);
    assert_string_equal(s_at(h, "http_method"), "POST");
    assert_string_equal(s_at(h, "url"), "/c");
    assert_int_equal(i_at(h, "status"), 302);
    assert_string_equal(s_at(h, "redirect"), "/elsewhere");
    assert_int_equal(i_at(h, "request_body_len"), 5);
    assert_int_equal(i_at(h, "length"), 3);
    done(&r);
    check_splits(segs, 2, 3);
}

/* Interim 100, 204 and 304 without bodies, a chunked request, requests and responses interleaved.
 */
static void test_no_body_statuses(void **st)
{
    (void)st;
    struct seg segs[] = {
        SEG(0, "PUT /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
               "Transfer-Encoding: chunked\r\n\r\n"),
        SEG(1, "HTTP/1.1 100 Continue\r\n\r\n"),
        SEG(0, "3\r\nabc\r\n0\r\n\r\n"),
        SEG(1, "HTTP/1.1 204 No Content\r\n\r\n"),
        SEG(0, "GET /cached HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(1, "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"),
        SEG(0, "GET /last HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(1, "HTTP/1.1 200 OK\r\n\r\nbody until the end"),
    };
    struct result r = run(segs, OT_ARRAY_SIZE(segs));
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 3);
    assert_int_equal(i_at(http_at(&r, 0), "status"), 204);
    assert_string_equal(s_at(http_at(&r, 0), "url"), "/up");
    assert_int_equal(i_at(http_at(&r, 1), "status"), 304);
    assert_int_equal(i_at(http_at(&r, 1), "length"), 0);
    assert_int_equal(i_at(http_at(&r, 2), "status"), 200);
    assert_null(json_object_get(http_at(&r, 2), "length"));
    done(&r);
    check_splits(segs, OT_ARRAY_SIZE(segs), 3);
}

/* Basic credentials: the user goes out, the password never does. */
static void test_basic_auth(void **st)
{
    (void)st;
    /* "alice:S3cr3t-pw" */
    struct seg segs[] = {
        SEG(0, "GET /admin HTTP/1.1\r\nHost: router.local\r\n"
               "Authorization: Basic YWxpY2U6UzNjcjN0LXB3\r\n\r\n"),
        SEG(1, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
        SEG(0, "GET /admin HTTP/1.1\r\nHost: router.local\r\n"
               "Authorization: Bearer abc.def\r\n\r\n"),
        SEG(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        /* Undecodable credentials: flagged, no user. */
        SEG(0, "GET /x HTTP/1.1\r\nHost: router.local\r\nauthorization:   basic ***\r\n\r\n"),
    };
    struct result r = run(segs, OT_ARRAY_SIZE(segs));
    assert_int_equal(json_array_size(r.ev), 3);
    json_t *h = http_at(&r, 0);
    assert_true(json_is_true(json_object_get(h, "basic_auth")));
    assert_string_equal(s_at(h, "basic_auth_user"), "alice");
    assert_int_equal(i_at(h, "status"), 401);
    assert_null(json_object_get(http_at(&r, 1), "basic_auth"));
    h = http_at(&r, 2);
    assert_true(json_is_true(json_object_get(h, "basic_auth")));
    assert_null(json_object_get(h, "basic_auth_user"));
    assert_null(json_object_get(h, "status")); /* never answered: written at close */
    assert_null(strstr(r.raw, "S3cr3t"));
    assert_null(strstr(r.raw, "YWxpY2U6UzNjcjN0LXB3"));
    done(&r);
}

static void test_hosts(void **st)
{
    (void)st;
    struct seg segs[] = {
        SEG(0, "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"),
        SEG(0, "GET / HTTP/1.1\r\nHost: plain.example\r\n\r\n"),
        SEG(0, "GET / HTTP/1.1\r\nHost: bad.example:port\r\n\r\n"),
        SEG(0, "GET http://proxy.example:3128/p HTTP/1.1\r\n\r\n"),
        SEG(0, "CONNECT secure.example:443 HTTP/1.1\r\n\r\n"),
    };
    struct result r = run(segs, OT_ARRAY_SIZE(segs));
    assert_int_equal(json_array_size(r.ev), 5);
    assert_string_equal(s_at(http_at(&r, 0), "hostname"), "[2001:db8::1]");
    assert_int_equal(i_at(http_at(&r, 0), "http_port"), 8443);
    assert_string_equal(s_at(http_at(&r, 1), "hostname"), "plain.example");
    assert_null(json_object_get(http_at(&r, 1), "http_port"));
    assert_string_equal(s_at(http_at(&r, 2), "hostname"), "bad.example");
    assert_null(json_object_get(http_at(&r, 2), "http_port"));
    assert_string_equal(s_at(http_at(&r, 3), "hostname"), "proxy.example");
    assert_int_equal(i_at(http_at(&r, 3), "http_port"), 3128);
    assert_string_equal(s_at(http_at(&r, 3), "url"), "http://proxy.example:3128/p");
    assert_string_equal(s_at(http_at(&r, 4), "hostname"), "secure.example");
    assert_string_equal(s_at(http_at(&r, 4), "http_method"), "CONNECT");
    done(&r);
}

/* CONNECT answered 200 and a 101 upgrade: what follows is not HTTP and is not read. */
static void test_tunnels(void **st)
{
    (void)st;
    struct seg segs[] = {
        SEG(0, "CONNECT db.example:443 HTTP/1.1\r\nHost: db.example:443\r\n\r\n"),
        SEG(1, "HTTP/1.1 200 Connection established\r\n\r\n"),
        SEG(0, "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00 not http at all"),
        SEG(1, "\x16\x03\x03 still not http"),
    };
    struct result r = run(segs, OT_ARRAY_SIZE(segs));
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 1);
    assert_int_equal(i_at(http_at(&r, 0), "status"), 200);
    assert_int_equal(i_at(http_at(&r, 0), "http_port"), 443);
    done(&r);

    /* Plain HTTP through an accepted CONNECT is read on. */
    struct seg inner[] = {
        SEG(0, "CONNECT www.example.org:80 HTTP/1.1\r\nHost: www.example.org:80\r\n\r\n"),
        SEG(1, "HTTP/1.1 200 OK\r\n\r\n"),
        SEG(0, "GE"), /* too short to tell: the next piece decides */
        SEG(0, "T /inside HTTP/1.1\r\nHost: www.example.org\r\n\r\n"),
        SEG(1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    };
    r = run(inner, OT_ARRAY_SIZE(inner));
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 2);
    assert_string_equal(s_at(http_at(&r, 0), "http_method"), "CONNECT");
    assert_string_equal(s_at(http_at(&r, 1), "url"), "/inside");
    assert_int_equal(i_at(http_at(&r, 1), "length"), 2);
    done(&r);

    struct seg ws[] = {
        SEG(0, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n"),
        SEG(1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
        SEG(0, "\x81\x85\x01\x02\x03\x04garbage"),
    };
    r = run(ws, OT_ARRAY_SIZE(ws));
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 1);
    assert_int_equal(i_at(http_at(&r, 0), "status"), 101);
    done(&r);
}

/* More unanswered requests than the queue holds: all are written, answers stay matched. */
static void test_queue_overflow(void **st)
{
    (void)st;
    char req[2048], resp[2048];
    size_t rl = 0, sl = 0;
    for (int i = 0; i < 10; i++) {
        rl +=
            (size_t)snprintf(req + rl, sizeof(req) - rl, "GET /%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
        sl += (size_t)snprintf(resp + sl, sizeof(resp) - sl,
                               "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n", 200 + i);
    }
    struct seg segs[] = {{0, req, rl}, {1, resp, sl}};
    struct result r = run(segs, 2);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 10);
    for (size_t i = 0; i < 10; i++) {
        json_t *h = http_at(&r, i);
        char want[8];
        snprintf(want, sizeof(want), "/%zu", i);
        assert_string_equal(s_at(h, "url"), want);
        if (i < 2)
            assert_null(json_object_get(h, "status")); /* written early, answer skipped */
        else
            assert_int_equal(i_at(h, "status"), 200 + (long long)i);
    }
    done(&r);
}

static void test_header_limit(void **st)
{
    (void)st;
    static char big[20000];
    size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ");
    memset(big + n, 'a', sizeof(big) - n - 5);
    memcpy(big + sizeof(big) - 5, "\r\n\r\n", 4);
    struct seg segs[] = {{0, big, sizeof(big) - 1}};
    struct result r = run(segs, 1);
    assert_int_equal(r.errors, 1);
    assert_int_equal(json_array_size(r.ev), 0);
    done(&r);
    /* Split in pieces: the same bound applies across chunks. */
    r = run_conf(segs, 1, AT, 0, 9000, 0);
    assert_int_equal(r.errors, 1);
    done(&r);
    /* A smaller max_buffer is the bound when it is below 16 KiB. */
    struct seg small[] = {SEG(0, REQ1)};
    r = run_conf(small, 1, WHOLE, 0, 0, 40);
    assert_int_equal(r.errors, 1);
    done(&r);
}

/*
 * An unusable request Content-Length (junk, negative, past 2^64) must not
 * blind the parser to the connection: the request is logged as having no
 * body and the next request is still found.  Leading zeros are valid.
 */
static void test_odd_content_length(void **st)
{
    (void)st;
    const char *cls[] = {"12x", "-1", "18446744073709551616", "00000000000000000000000000000000"};
    for (size_t i = 0; i < OT_ARRAY_SIZE(cls); i++) {
        char req[256];
        snprintf(req, sizeof(req),
                 "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n\r\n"
                 "GET /next HTTP/1.1\r\nHost: h\r\n\r\n",
                 cls[i]);
        struct seg segs[] = {{0, req, strlen(req)}};
        struct result r = run(segs, 1);
        if (r.errors != 0 || json_array_size(r.ev) != 2)
            fail_msg("Content-Length %s: errors %llu, events %zu", cls[i],
                     (unsigned long long)r.errors, json_array_size(r.ev));
        assert_string_equal(s_at(http_at(&r, 0), "url"), "/a");
        assert_string_equal(s_at(http_at(&r, 1), "url"), "/next");
        done(&r);
    }
    /* Zero-padded, with a real body of 5 bytes before the next request. */
    const char *padded = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0000000000000000000005\r\n"
                         "\r\nhelloGET /after HTTP/1.1\r\nHost: h\r\n\r\n";
    struct seg segs[] = {{0, padded, strlen(padded)}};
    struct result r = run(segs, 1);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 2);
    assert_string_equal(s_at(http_at(&r, 1), "url"), "/after");
    done(&r);
}

static void test_malformed(void **st)
{
    (void)st;
    const char *bad[] = {
        "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1 extra\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\nGET / FTP/1.0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(bad); i++) {
        struct seg segs[] = {{0, bad[i], strlen(bad[i])}};
        struct result r = run(segs, 1);
        if (r.errors != 1)
            fail_msg("case %zu: errors %llu", i, (unsigned long long)r.errors);
        done(&r);
    }
    /* Bad responses: a broken status line, a chunk-size line past its bound. */
    static char longline[1500];
    memset(longline, '0', sizeof(longline) - 1);
    const char *bad_resp[] = {"HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 20\r\n\r\n", longline};
    for (size_t i = 0; i < OT_ARRAY_SIZE(bad_resp); i++) {
        char resp[2048];
        snprintf(resp, sizeof(resp), "%s%s",
                 i == 2 ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" : "",
                 bad_resp[i]);
        struct seg segs[] = {SEG(0, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"), {1, resp, strlen(resp)}};
        struct result r = run(segs, 2);
        if (r.errors != 1)
            fail_msg("response case %zu: errors %llu", i, (unsigned long long)r.errors);
        /* The request is still written (at close, or with the good head of case 2). */
        assert_int_equal(json_array_size(r.ev), 1);
        done(&r);
    }
    /*
     * Where a message should start, bytes that cannot start one (missed by the
     * capture, or not HTTP any more): no error, the side waits for a message.
     */
    struct seg resync[] = {
        SEG(0, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(1, "...middle of a body the capture missed the head of..."),
        SEG(0, "G@T / HTTP/1.1\r\n\r\n"),
        SEG(0, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    };
    struct result rs = run(resync, OT_ARRAY_SIZE(resync));
    assert_int_equal(rs.errors, 0);
    assert_int_equal(json_array_size(rs.ev), 2);
    assert_null(json_object_get(http_at(&rs, 0), "status")); /* its answer was lost */
    assert_string_equal(s_at(http_at(&rs, 1), "url"), "/2");
    assert_int_equal(i_at(http_at(&rs, 1), "status"), 200);
    done(&rs);

    /* Hostile bytes: the output stays valid JSON (the harness parses every line). */
    struct seg hostile[] = {
        {0, "GET /\xff\x01\"\\ HTTP/1.1\r\nHost: \xc3\x28\r\nUser-Agent: \x00\x7f\r\n\r\n", 48}};
    struct result r = run(hostile, 1);
    assert_int_equal(json_array_size(r.ev), 1);
    done(&r);
}

#define FEED(h, dir, str) ot_harness_feed((h), (dir), (str), strlen(str))

/* Gaps: skipped inside a body of known length; elsewhere the next message resumes. */
static void test_gaps(void **st)
{
    (void)st;
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    char body[100];
    memset(body, 'b', sizeof(body));
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.10", 50000, "93.184.216.34", 80, 6, true), 0);
    FEED(&h, 0, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n");
    ot_harness_feed(&h, 1, resp, strlen(resp));
    ot_harness_feed(&h, 1, body, 30);
    ot_harness_gap(&h, 1, 40); /* inside the body */
    ot_harness_feed(&h, 1, body, 30);
    FEED(&h, 0, "GET /2 HTTP/1.1\r\nHo");
    ot_harness_gap(&h, 0, 7); /* inside a head: lost */
    FEED(&h, 0, "garbage\r\n\r\n");
    FEED(&h, 0, "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n"); /* resumes */
    FEED(&h, 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_HTTP], 0);
    json_t *ev = ot_harness_events(&h, "http");
    assert_int_equal(json_array_size(ev), 2);
    json_t *a = json_object_get(json_array_get(ev, 0), "http");
    json_t *b = json_object_get(json_array_get(ev, 1), "http");
    assert_string_equal(s_at(a, "url"), "/1");
    assert_int_equal(i_at(a, "status"), 200);
    assert_string_equal(s_at(b, "url"), "/3");
    assert_int_equal(i_at(b, "status"), 404);
    json_decref(ev);
    ot_harness_cleanup(&h);

    /* A gap in a response head: waiting requests are written without answers. */
    assert_int_equal(ot_harness_init(&h, "192.168.1.10", 50000, "93.184.216.34", 80, 6, true), 0);
    FEED(&h, 0, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    FEED(&h, 1, "HTTP/1.1 2");
    ot_harness_gap(&h, 1, 50);
    FEED(&h, 1, "junk");
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_HTTP], 0);
    ev = ot_harness_events(&h, "http");
    assert_int_equal(json_array_size(ev), 1);
    assert_null(json_object_get(json_object_get(json_array_get(ev, 0), "http"), "status"));
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* A response seen without its request (the capture started late), and HTTP/0.9. */
static void test_odd_flows(void **st)
{
    (void)st;
    struct seg late[] = {SEG(1, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nabc")};
    struct result r = run(late, 1);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 1);
    json_t *h = http_at(&r, 0);
    assert_int_equal(i_at(h, "status"), 200);
    assert_string_equal(s_at(h, "protocol"), "HTTP/1.0");
    assert_null(json_object_get(h, "url"));
    done(&r);

    struct seg old[] = {SEG(0, "GET /old.html\r\n"), SEG(1, "<html>plain body</html>")};
    r = run(old, 2);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 1);
    h = http_at(&r, 0);
    assert_string_equal(s_at(h, "url"), "/old.html");
    assert_null(json_object_get(h, "protocol"));
    done(&r);

    /* A versionless request line followed by headers: read as a head (no protocol). */
    struct seg not09[] = {SEG(0, "GET /\nFake\nHost: localhost\nUser-Agent: myscript\n\n"),
                          SEG(1, "<!DOCTYPE HTML>")};
    r = run(not09, 2);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 1);
    h = http_at(&r, 0);
    assert_string_equal(s_at(h, "http_user_agent"), "myscript");
    assert_string_equal(s_at(h, "hostname"), "localhost");
    assert_null(json_object_get(h, "protocol"));
    done(&r);

    /*
     * The capture starts with a response, so the flow table takes the server
     * for the client: the requests come in direction 1 and are still matched.
     */
    struct seg swapped[] = {
        SEG(0, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ntail"),
        SEG(1, "GET /next HTTP/1.1\r\nHost: swapped.example\r\n\r\n"),
        SEG(0, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    };
    r = run(swapped, OT_ARRAY_SIZE(swapped));
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 2);
    assert_int_equal(i_at(http_at(&r, 0), "status"), 200);
    assert_null(json_object_get(http_at(&r, 0), "url"));
    h = http_at(&r, 1);
    assert_string_equal(s_at(h, "url"), "/next");
    assert_string_equal(s_at(h, "hostname"), "swapped.example");
    assert_int_equal(i_at(h, "status"), 404);
    /* The requesting side is written as the source. */
    assert_string_equal(s_at(json_array_get(r.ev, 1), "src_ip"), "93.184.216.34");
    done(&r);

    /* Blank lines between messages are skipped. */
    struct seg blank[] = {SEG(0, "POST /p HTTP/1.1\r\nContent-Length: 2\r\n\r\nok\r\n"
                                 "\r\nGET /q HTTP/1.1\r\n\r\n")};
    r = run(blank, 1);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 2);
    assert_string_equal(s_at(http_at(&r, 1), "url"), "/q");
    done(&r);
}

/*
 * RPC over HTTP (KI-5): RPC_IN_DATA announces a 1 GiB body and the server
 * answers before any of it is sent.  The request is an extension method; the
 * body is skipped by count; the event at the response head has both sides.
 */
#define RPC_IN_REQ                                                                                 \
    "RPC_IN_DATA /rpc/rpcproxy.dll?EXCH01.corp.example:6001 HTTP/1.1\r\n"                          \
    "Host: owa.corp.example\r\n"                                                                   \
    "User-Agent: MSRPC\r\n"                                                                        \
    "Content-Length: 1073741824\r\n"                                                               \
    "\r\n"
#define RPC_OUT_REQ                                                                                \
    "RPC_OUT_DATA /rpcwithcert/rpcproxy.dll?EXCH01.corp.example:6004 HTTP/1.1\r\n"                 \
    "Host: owa.corp.example\r\n"                                                                   \
    "Content-Length: 76\r\n"                                                                       \
    "\r\n"
#define RPC_RESP "HTTP/1.1 200 Success\r\nServer: test\r\n\r\n"

static void test_rpc_over_http(void **st)
{
    (void)st;
    char pdu[76];
    memset(pdu, 0x05, sizeof(pdu)); /* stands for RPC PDUs: never read */
    struct seg segs[] = {
        SEG(0, RPC_IN_REQ),
        SEG(1, RPC_RESP),
        {0, pdu, sizeof(pdu)},
        SEG(0, "GET /looks-like-a-request HTTP/1.1\r\n\r\n"), /* inside the 1 GiB body */
        {1, pdu, sizeof(pdu)},
    };
    struct result r = run(segs, OT_ARRAY_SIZE(segs));
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 1);
    json_t *h = http_at(&r, 0);
    assert_string_equal(s_at(h, "http_method"), "RPC_IN_DATA");
    assert_string_equal(s_at(h, "hostname"), "owa.corp.example");
    assert_string_equal(s_at(h, "url"), "/rpc/rpcproxy.dll?EXCH01.corp.example:6001");
    assert_string_equal(s_at(h, "http_user_agent"), "MSRPC");
    assert_string_equal(s_at(h, "protocol"), "HTTP/1.1");
    assert_int_equal(i_at(h, "status"), 200);
    assert_int_equal(i_at(h, "request_body_len"), 1073741824);
    assert_null(json_object_get(h, "length")); /* the response runs until the flow ends */
    assert_string_equal(s_at(json_array_get(r.ev, 0), "src_ip"), "192.168.1.10");
    done(&r);
    check_splits(segs, OT_ARRAY_SIZE(segs), 1);

    /* The other channel: a short request body, then the response announces 1 GiB. */
    struct seg out[] = {
        SEG(0, RPC_OUT_REQ),
        {0, pdu, sizeof(pdu)},
        SEG(1, "HTTP/1.1 200 Success\r\nContent-Length: 1073741824\r\n\r\n"),
        {1, pdu, sizeof(pdu)},
    };
    r = run(out, OT_ARRAY_SIZE(out));
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 1);
    h = http_at(&r, 0);
    assert_string_equal(s_at(h, "http_method"), "RPC_OUT_DATA");
    assert_string_equal(s_at(h, "url"), "/rpcwithcert/rpcproxy.dll?EXCH01.corp.example:6004");
    assert_int_equal(i_at(h, "status"), 200);
    assert_int_equal(i_at(h, "length"), 1073741824);
    done(&r);
    check_splits(out, OT_ARRAY_SIZE(out), 1);
}

/*
 * An extension method split over two segments at the start of the flow:
 * the second half alone ("_DATA /x HTTP/1.1") is a well-formed request line
 * too, so the dispatcher must try the held bytes with it first.
 */
static void test_extension_method_split(void **st)
{
    (void)st;
    struct seg segs[] = {SEG(0, RPC_IN_REQ), SEG(1, RPC_RESP)};
    const size_t cuts[] = {3, 6, 11, 12, 40, 64, 65};
    for (size_t i = 0; i < OT_ARRAY_SIZE(cuts); i++) {
        struct result r = run_conf(segs, 2, AT, 0, cuts[i], 0);
        assert_int_equal(r.errors, 0);
        assert_int_equal(json_array_size(r.ev), 1);
        json_t *h = http_at(&r, 0);
        if (!s_at(h, "http_method") || strcmp(s_at(h, "http_method"), "RPC_IN_DATA") != 0)
            fail_msg("cut at %zu: method %s", cuts[i], s_at(h, "http_method"));
        assert_string_equal(s_at(h, "hostname"), "owa.corp.example");
        assert_int_equal(i_at(h, "status"), 200);
        done(&r);
    }
    /* Later in the flow, at a message boundary: a pipelined request split the same way. */
    struct seg later[] = {
        SEG(0, "GET /first HTTP/1.1\r\nHost: h\r\n\r\nQUE"),
        SEG(0, "RY /search HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
        SEG(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        SEG(1, "HTTP/1.1 204 No Content\r\n\r\n"),
    };
    struct result r = run(later, OT_ARRAY_SIZE(later));
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 2);
    assert_string_equal(s_at(http_at(&r, 1), "http_method"), "QUERY");
    assert_string_equal(s_at(http_at(&r, 1), "url"), "/search");
    assert_int_equal(i_at(http_at(&r, 1), "status"), 204);
    done(&r);
    check_splits(later, OT_ARRAY_SIZE(later), 2);
}

/* Run one client chunk through the dispatcher: which protocol took the flow? */
static uint16_t claimed_by(const char *client)
{
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.10", 50000, "93.184.216.34", 80, 6, true), 0);
    ot_harness_feed(&h, 0, client, strlen(client));
    uint16_t app = h.flow.app_proto;
    ot_harness_finish(&h);
    ot_harness_cleanup(&h);
    return app;
}

/* A request for /1, bytes that are not a request, a request for /2: both written, no error. */
static void check_skipped(const struct seg *segs, size_t nseg)
{
    struct result r = run(segs, nseg);
    assert_int_equal(r.errors, 0);
    assert_int_equal(json_array_size(r.ev), 2);
    assert_string_equal(s_at(http_at(&r, 0), "url"), "/1");
    assert_string_equal(s_at(http_at(&r, 1), "url"), "/2");
    done(&r);
}

/*
 * What is not taken: a capture that starts inside a request line (the tail
 * of a known method), text that is not a request line, and, inside a flow,
 * such bytes where a request should start (the side waits for a real one).
 */
static void test_extension_not_claimed(void **st)
{
    (void)st;
    const char *tails[] = {
        "T /index.html HTTP/1.1\r\nHost: h\r\n\r\n",
        "ET /index.html HTTP/1.1\r\nHost: h\r\n\r\n",
        "OST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        "ONNECT db.example:443 HTTP/1.1\r\n\r\n",
        "Hello there, this is not a request line\r\n",
        "X-Forwarded-For: 10.0.0.1\r\nHost: h\r\n\r\n",
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(tails); i++)
        if (claimed_by(tails[i]) == OT_APP_HTTP)
            fail_msg("taken as HTTP: %s", tails[i]);
    assert_int_equal(claimed_by("RPC_IN_DATA /rpc HTTP/1.1\r\n\r\n"), OT_APP_HTTP);

    struct seg segs[] = {
        SEG(0, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        SEG(0, "T /cut HTTP/1.1\r\nHost: h\r\n\r\n"), /* not a request: the side waits */
        SEG(0, "PATCH /2 HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    };
    check_skipped(segs, OT_ARRAY_SIZE(segs));

    /* Collected over two chunks from a start that could have been a request line. */
    struct seg cut[] = {
        SEG(0, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(0, "FOO /a"),
        SEG(0, " b c\r\nHost: h\r\n\r\n"),
        SEG(0, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"),
    };
    check_skipped(cut, OT_ARRAY_SIZE(cut));

    /*
     * Text whose first chunk could start a method: given up on when its first
     * line ends, not collected as a head up to the limit (an error).
     */
    static char text[17000];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = i % 80 == 78 ? '\r' : i % 80 == 79 ? '\n' : (char)('a' + i % 26);
    struct seg prose[] = {
        SEG(0, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(0, "abc"),
        {0, text, sizeof(text)},
        SEG(0, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"),
    };
    check_skipped(prose, OT_ARRAY_SIZE(prose));

    /* After lost bytes only a known method resumes the side (a chunk starts anywhere there). */
    struct ot_harness h;
    assert_int_equal(ot_harness_init(&h, "192.168.1.10", 50000, "93.184.216.34", 80, 6, true), 0);
    FEED(&h, 0, "GET /1 HTTP/1.1\r\nHo");
    ot_harness_gap(&h, 0, 10);
    FEED(&h, 0, "RPC_IN_DATA /lost HTTP/1.1\r\n\r\n");
    FEED(&h, 0, "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
    ot_harness_finish(&h);
    json_t *ev = ot_harness_events(&h, "http");
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(s_at(json_object_get(json_array_get(ev, 0), "http"), "url"), "/3");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_probe_extension_methods),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_no_body_statuses),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_tunnels),
        cmocka_unit_test(test_queue_overflow),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_odd_content_length),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_odd_flows),
        cmocka_unit_test(test_rpc_over_http),
        cmocka_unit_test(test_extension_method_split),
        cmocka_unit_test(test_extension_not_claimed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
