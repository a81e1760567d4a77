/*
 * SSH parser: banners, HASSH from KEXINIT, splits at every byte, pre-banner
 * lines, gaps, malformed and oversized input, probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/util.h"
#include "proto-harness.h"

extern const struct ot_proto_parser ot_proto_ssh;

#define CLI_BANNER "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n"
#define SRV_BANNER "SSH-2.0-OpenSSH_7.4\r\n"

#define CLI_HASSH_STR                                                                              \
    "curve25519-sha256,diffie-hellman-group14-sha256;aes128-ctr,aes256-gcm@openssh.com;"           \
    "hmac-sha2-256;none,zlib@openssh.com"
#define CLI_HASSH     "7b3f76e580e44aea1e396d8af55a8228" /* md5 of the above (python hashlib) */
#define SRV_HASSH_STR "curve25519-sha256;chacha20-poly1305@openssh.com;hmac-sha2-512,hmac-sha1;none"
#define SRV_HASSH     "9da4e031acea5825fddd2daecd82aa01"

struct buf {
    uint8_t b[4096];
    size_t n;
};

static void put(struct buf *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof(o->b));
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put_str(struct buf *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_be32(struct buf *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(o, b, 4);
}

/* An SSH binary packet holding a KEXINIT with the ten given name-lists. */
static void put_kexinit(struct buf *o, const char *const lists[10])
{
    struct buf pl = {.n = 0};
    uint8_t msg = 20;
    put(&pl, &msg, 1);
    for (int i = 0; i < 16; i++) {
        uint8_t c = (uint8_t)(0xa0 + i); /* cookie */
        put(&pl, &c, 1);
    }
    for (int i = 0; i < 10; i++) {
        put_be32(&pl, (uint32_t)strlen(lists[i]));
        put_str(&pl, lists[i]);
    }
    uint8_t tail[5] = {0, 0, 0, 0, 0}; /* first_kex_packet_follows, reserved */
    put(&pl, tail, 5);
    uint8_t pad = (uint8_t)(8 - ((pl.n + 5) % 8));
    if (pad < 4)
        pad += 8;
    put_be32(o, (uint32_t)(pl.n + pad + 1));
    put(o, &pad, 1);
    put(o, pl.b, pl.n);
    uint8_t zeros[16] = {0};
    put(o, zeros, pad);
}

static const char *const cli_lists[10] = {
    "curve25519-sha256,diffie-hellman-group14-sha256",
    "ssh-ed25519",
    "aes128-ctr,aes256-gcm@openssh.com",
    "aes256-ctr",
    "hmac-sha2-256",
    "hmac-sha1",
    "none,zlib@openssh.com",
    "none",
    "",
    "",
};

static const char *const srv_lists[10] = {
    "curve25519-sha256",
    "rsa-sha2-512",
    "aes128-ctr",
    "chacha20-poly1305@openssh.com",
    "hmac-sha1",
    "hmac-sha2-512,hmac-sha1",
    "zlib",
    "none",
    "",
    "",
};

static void client_stream(struct buf *o)
{
    o->n = 0;
    put_str(o, CLI_BANNER);
    put_kexinit(o, cli_lists);
}

static void server_stream(struct buf *o)
{
    o->n = 0;
    put_str(o, SRV_BANNER);
    put_kexinit(o, srv_lists);
}

static void start(struct ot_harness *h)
{
    assert_int_equal(ot_harness_init(h, "10.0.0.1", 50000, "10.0.0.2", 22, 6, true), 0);
}

/*
 * Feed `o` in direction dir in pieces of `step` bytes (0: whole).  The first
 * piece is at least 4 bytes: the dispatcher probes each chunk on its own, so
 * a flow must start with enough bytes to be recognised.
 */
static void feed_steps(struct ot_harness *h, int dir, const struct buf *o, size_t step)
{
    if (step == 0) {
        ot_harness_feed(h, dir, o->b, o->n);
        return;
    }
    size_t first = OT_MIN(OT_MAX(step, (size_t)4), o->n);
    ot_harness_feed(h, dir, o->b, first);
    for (size_t i = first; i < o->n; i += step)
        ot_harness_feed(h, dir, o->b + i, OT_MIN(step, o->n - i));
}

static json_t *only_event(struct ot_harness *h)
{
    json_t *evs = ot_harness_events(h, "ssh");
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_incref(json_array_get(evs, 0));
    json_decref(evs);
    return ev;
}

static const char *sget(json_t *ev, const char *side, const char *k1, const char *k2)
{
    json_t *o = json_object_get(json_object_get(json_object_get(ev, "ssh"), side), k1);
    if (k2)
        o = json_object_get(o, k2);
    return json_string_value(o);
}

static void check_full(json_t *ev)
{
    assert_string_equal(json_string_value(json_object_get(ev, "app_proto")), "ssh");
    assert_string_equal(json_string_value(json_object_get(ev, "src_ip")), "10.0.0.1");
    assert_string_equal(sget(ev, "client", "proto_version", NULL), "2.0");
    assert_string_equal(sget(ev, "client", "software_version", NULL), "OpenSSH_8.9p1");
    assert_string_equal(sget(ev, "client", "comments", NULL), "Ubuntu-3");
    assert_string_equal(sget(ev, "client", "hassh", "hash"), CLI_HASSH);
    assert_string_equal(sget(ev, "client", "hassh", "string"), CLI_HASSH_STR);
    assert_string_equal(sget(ev, "server", "proto_version", NULL), "2.0");
    assert_string_equal(sget(ev, "server", "software_version", NULL), "OpenSSH_7.4");
    assert_null(sget(ev, "server", "comments", NULL));
    assert_string_equal(sget(ev, "server", "hassh", "hash"), SRV_HASSH);
    assert_string_equal(sget(ev, "server", "hassh", "string"), SRV_HASSH_STR);
}

static void test_full_exchange(void **unused)
{
    struct ot_harness h;
    struct buf c, s;
    client_stream(&c);
    server_stream(&s);
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    /* the event is written as soon as both KEXINITs are in, before close */
    ot_eve_flush(&h.eve);
    json_t *evs = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(evs), 1);
    json_decref(evs);
    /* later (encrypted) data is ignored */
    ot_harness_feed(&h, 0, "\x00\x00\x00\x0c garbage...", 16);
    ot_harness_finish(&h);
    json_t *ev = only_event(&h);
    check_full(ev);
    json_decref(ev);
    assert_int_equal(h.pe.stats.flows[OT_APP_SSH], 1);
    assert_int_equal(h.pe.stats.errors[OT_APP_SSH], 0);
    ot_harness_cleanup(&h);
}

/*
 * Every split point of each direction into two chunks, and byte by byte.  The
 * other direction goes first, whole, so that the flow is already recognised.
 */
static void test_split_everywhere(void **unused)
{
    struct buf st[2];
    client_stream(&st[0]);
    server_stream(&st[1]);
    for (int dir = 0; dir < 2; dir++) {
        const struct buf *o = &st[dir], *other = &st[!dir];
        for (size_t cut = 1; cut < o->n; cut++) {
            struct ot_harness h;
            start(&h);
            ot_harness_feed(&h, !dir, other->b, other->n);
            ot_harness_feed(&h, dir, o->b, cut);
            ot_harness_feed(&h, dir, o->b + cut, o->n - cut);
            ot_harness_finish(&h);
            json_t *ev = only_event(&h);
            check_full(ev);
            json_decref(ev);
            assert_int_equal(h.pe.stats.errors[OT_APP_SSH], 0);
            ot_harness_cleanup(&h);
        }
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, !dir, other->b, other->n);
        for (size_t i = 0; i < o->n; i++)
            ot_harness_feed(&h, dir, o->b + i, 1);
        ot_harness_finish(&h);
        json_t *ev = only_event(&h);
        check_full(ev);
        json_decref(ev);
        ot_harness_cleanup(&h);
    }
    /* both directions interleaved in 3-byte pieces after a 4-byte start */
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, st[0].b, 4);
    for (size_t i = 0; i < OT_MAX(st[0].n, st[1].n); i += 3) {
        if (i + 4 < st[0].n)
            ot_harness_feed(&h, 0, st[0].b + 4 + i, OT_MIN((size_t)3, st[0].n - 4 - i));
        if (i < st[1].n)
            ot_harness_feed(&h, 1, st[1].b + i, OT_MIN((size_t)3, st[1].n - i));
    }
    ot_harness_finish(&h);
    json_t *ev = only_event(&h);
    check_full(ev);
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* RFC 4253 4.2: the server may send other lines first. */
static void test_server_prebanner_lines(void **unused)
{
    struct ot_harness h;
    struct buf c, s = {.n = 0};
    client_stream(&c);
    put_str(&s, "Welcome to the lab\r\nAuthorised users only\n");
    put_str(&s, SRV_BANNER);
    put_kexinit(&s, srv_lists);
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    feed_steps(&h, 1, &s, 7);
    ot_harness_finish(&h);
    json_t *ev = only_event(&h);
    check_full(ev);
    json_decref(ev);
    ot_harness_cleanup(&h);

    /* the server speaks first, pre-banner text and banner in one chunk: probe says yes */
    start(&h);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_finish(&h);
    ev = only_event(&h);
    check_full(ev);
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* Banners only (a scanner): the event comes at close, without hassh. */
static void test_banners_only(void **unused)
{
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, CLI_BANNER, strlen(CLI_BANNER));
    ot_harness_feed(&h, 1, "SSH-1.99-Cisco-1.25\n", 20);
    ot_eve_flush(&h.eve);
    json_t *evs = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    ot_harness_finish(&h);
    json_t *ev = only_event(&h);
    assert_string_equal(sget(ev, "client", "software_version", NULL), "OpenSSH_8.9p1");
    assert_string_equal(sget(ev, "server", "proto_version", NULL), "1.99");
    assert_string_equal(sget(ev, "server", "software_version", NULL), "Cisco-1.25");
    assert_null(sget(ev, "client", "hassh", "hash"));
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* SSH-1 has no SSH-2 KEXINIT: that side is done after its banner. */
static void test_ssh1(void **unused)
{
    struct ot_harness h;
    struct buf s;
    server_stream(&s);
    start(&h);
    ot_harness_feed(&h, 0, "SSH-1.5-1.2.27\n\x00\x00\x01\x04garbage", 26);
    ot_harness_feed(&h, 1, s.b, s.n);
    /* both sides done: event written before close */
    ot_eve_flush(&h.eve);
    json_t *evs = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(evs), 1);
    json_decref(evs);
    ot_harness_finish(&h);
    json_t *ev = only_event(&h);
    assert_string_equal(sget(ev, "client", "proto_version", NULL), "1.5");
    assert_string_equal(sget(ev, "client", "software_version", NULL), "1.2.27");
    assert_null(sget(ev, "client", "hassh", "hash"));
    assert_string_equal(sget(ev, "server", "hassh", "hash"), SRV_HASSH);
    json_decref(ev);
    assert_int_equal(h.pe.stats.errors[OT_APP_SSH], 0);
    ot_harness_cleanup(&h);
}

/* A first packet that is not KEXINIT ends that side without a fingerprint. */
static void test_first_packet_not_kexinit(void **unused)
{
    struct ot_harness h;
    struct buf c = {.n = 0}, s;
    server_stream(&s);
    put_str(&c, CLI_BANNER);
    put(&c, "\x00\x00\x00\x0c\x0a\x15xxxxxxxxxx", 16); /* msg 21: NEWKEYS */
    start(&h);
    ot_harness_feed(&h, 0, c.b, c.n);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_harness_finish(&h);
    json_t *ev = only_event(&h);
    assert_null(sget(ev, "client", "hassh", "hash"));
    assert_string_equal(sget(ev, "server", "hassh", "hash"), SRV_HASSH);
    json_decref(ev);
    ot_harness_cleanup(&h);
}

static void test_banner_pieces(void **unused)
{
    static const struct {
        const char *line, *proto, *sw, *com;
    } cases[] = {
        {"SSH-2.0-PuTTY_Release_0.78\r\n", "2.0", "PuTTY_Release_0.78", NULL},
        {"SSH-2.0-dropbear_2022.83\n", "2.0", "dropbear_2022.83", NULL},
        {"SSH-2.0-libssh-0.9.6\r\n", "2.0", "libssh-0.9.6", NULL},
        {"SSH-2.0-x a b c\r\n", "2.0", "x", "a b c"},
        {"SSH-2.0\r\n", "2.0", NULL, NULL},
        {"SSH-\r\n", "", NULL, NULL},
    };
    for (size_t i = 0; i < OT_ARRAY_SIZE(cases); i++) {
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 0, cases[i].line, strlen(cases[i].line));
        ot_harness_finish(&h);
        json_t *ev = only_event(&h);
        assert_string_equal(sget(ev, "client", "proto_version", NULL), cases[i].proto);
        if (cases[i].sw)
            assert_string_equal(sget(ev, "client", "software_version", NULL), cases[i].sw);
        else
            assert_null(sget(ev, "client", "software_version", NULL));
        if (cases[i].com)
            assert_string_equal(sget(ev, "client", "comments", NULL), cases[i].com);
        else
            assert_null(sget(ev, "client", "comments", NULL));
        assert_null(json_object_get(json_object_get(ev, "ssh"), "server"));
        json_decref(ev);
        ot_harness_cleanup(&h);
    }
}

/* A banner longer than 255 bytes is kept truncated and flagged. */
static void test_long_banner(void **unused)
{
    struct ot_harness h;
    char line[400];
    memcpy(line, "SSH-2.0-", 8);
    memset(line + 8, 'A', 300);
    memcpy(line + 308, "\r\n", 2);
    start(&h);
    ot_harness_feed(&h, 0, line, 310);
    ot_harness_finish(&h);
    json_t *ev = only_event(&h);
    const char *sw = sget(ev, "client", "software_version", NULL);
    assert_non_null(sw);
    assert_int_equal(strlen(sw), 255 - 8);
    json_t *t =
        json_object_get(json_object_get(json_object_get(ev, "ssh"), "client"), "banner_truncated");
    assert_true(json_is_true(t));
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* Endless text with no banner from the server: an error, counted; the client side stays. */
static void test_no_banner_limit(void **unused)
{
    struct ot_harness h;
    char junk[1000];
    memset(junk, 'x', sizeof(junk));
    start(&h);
    ot_harness_feed(&h, 0, CLI_BANNER, strlen(CLI_BANNER));
    for (int i = 0; i < 10; i++)
        ot_harness_feed(&h, 1, junk, sizeof(junk));
    assert_int_equal(h.pe.stats.errors[OT_APP_SSH], 1);
    ot_harness_finish(&h);
    json_t *ev = only_event(&h);
    assert_string_equal(sget(ev, "client", "software_version", NULL), "OpenSSH_8.9p1");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* Malformed packets: absurd length, name-list past the end, padding past the end. */
static void test_malformed_packets(void **unused)
{
    struct buf good;
    client_stream(&good);
    size_t kex_at = strlen(CLI_BANNER);
    for (int variant = 0; variant < 4; variant++) {
        struct buf c = good;
        switch (variant) {
        case 0: /* packet_length 1 MiB */
            c.b[kex_at] = 0x00, c.b[kex_at + 1] = 0x10;
            break;
        case 1: /* first name-list claims 64 KiB */
            c.b[kex_at + 6 + 16 + 1] = 0xff;
            break;
        case 2: /* padding longer than the packet */
            c.b[kex_at + 4] = 0xff;
            break;
        case 3: /* packet_length 1 */
            c.b[kex_at] = 0, c.b[kex_at + 1] = 0, c.b[kex_at + 2] = 0, c.b[kex_at + 3] = 1;
            break;
        }
        for (size_t step = 0; step <= 3; step += 3) { /* whole, then 3-byte pieces */
            struct ot_harness h;
            start(&h);
            feed_steps(&h, 0, &c, step);
            assert_int_equal(h.pe.stats.errors[OT_APP_SSH], 1);
            ot_harness_finish(&h);
            json_t *ev = only_event(&h);
            assert_string_equal(sget(ev, "client", "software_version", NULL), "OpenSSH_8.9p1");
            assert_null(sget(ev, "client", "hassh", "hash"));
            json_decref(ev);
            ot_harness_cleanup(&h);
        }
    }
}

/* Truncated at every length: never a crash, never an error; the banner when complete. */
static void test_truncated(void **unused)
{
    struct buf c;
    client_stream(&c);
    for (size_t n = 1; n < c.n; n++) {
        struct ot_harness h;
        start(&h);
        ot_harness_feed(&h, 0, c.b, n);
        ot_harness_finish(&h);
        assert_int_equal(h.pe.stats.errors[OT_APP_SSH], 0);
        json_t *evs = ot_harness_events(&h, "ssh");
        /* the line is complete once its LF is in */
        assert_int_equal(json_array_size(evs), n >= strlen(CLI_BANNER) ? 1 : 0);
        json_decref(evs);
        ot_harness_cleanup(&h);
    }
}

/* A gap ends the direction politely; the event still comes. */
static void test_gap(void **unused)
{
    struct ot_harness h;
    struct buf s;
    server_stream(&s);
    start(&h);
    ot_harness_feed(&h, 0, CLI_BANNER, strlen(CLI_BANNER));
    ot_harness_gap(&h, 0, 100);
    ot_harness_feed(&h, 0, "\x00\x00\x01\x00zzzz", 8);
    ot_harness_feed(&h, 1, s.b, s.n);
    ot_eve_flush(&h.eve);
    json_t *evs = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(evs), 1); /* both sides done */
    json_decref(evs);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_SSH], 0);
    json_t *ev = only_event(&h);
    assert_string_equal(sget(ev, "client", "software_version", NULL), "OpenSSH_8.9p1");
    assert_null(sget(ev, "client", "hassh", "hash"));
    assert_string_equal(sget(ev, "server", "hassh", "hash"), SRV_HASSH);
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* A KEXINIT larger than max_buffer is not held: that side just has no fingerprint. */
static void test_buffer_limit(void **unused)
{
    struct ot_harness h;
    struct buf c;
    client_stream(&c);
    start(&h);
    h.pe.conf.max_buffer = 64;
    feed_steps(&h, 0, &c, 5);
    ot_harness_finish(&h);
    assert_int_equal(h.pe.stats.errors[OT_APP_SSH], 0);
    json_t *ev = only_event(&h);
    assert_string_equal(sget(ev, "client", "software_version", NULL), "OpenSSH_8.9p1");
    assert_null(sget(ev, "client", "hassh", "hash"));
    json_decref(ev);
    ot_harness_cleanup(&h);
}

/* Hostile bytes in the banner are escaped: the output stays valid JSON. */
static void test_hostile_banner(void **unused)
{
    struct ot_harness h;
    static const char line[] = "SSH-2.0-ev\"il\\\x01\xff\xc3 \"}\r\n";
    start(&h);
    ot_harness_feed(&h, 0, line, sizeof(line) - 1);
    ot_harness_finish(&h);
    json_t *ev = only_event(&h); /* aborts on invalid JSON */
    assert_non_null(sget(ev, "client", "software_version", NULL));
    assert_string_equal(sget(ev, "client", "comments", NULL), "\"}");
    json_decref(ev);
    ot_harness_cleanup(&h);
}

static enum ot_probe_result probe(int dir, const char *s, size_t n)
{
    struct ot_flow f;
    memset(&f, 0, sizeof(f));
    f.ip_proto = 6;
    f.srv_port = 22;
    return ot_proto_ssh.probe(&f, dir, (const uint8_t *)s, n);
}

static void test_probe(void **unused)
{
    assert_int_equal(probe(0, "SSH-2.0-x\r\n", 11), OT_PROBE_YES);
    assert_int_equal(probe(1, "SSH-", 4), OT_PROBE_YES);
    assert_int_equal(probe(0, "SS", 2), OT_PROBE_MORE);
    assert_int_equal(probe(1, "S", 1), OT_PROBE_MORE);
    assert_int_equal(probe(0, "SX", 2), OT_PROBE_NO);
    assert_int_equal(probe(1, "hello\r\nSSH-2.0-x\r\n", 18), OT_PROBE_YES);
    assert_int_equal(probe(0, "hello\r\nSSH-2.0-x\r\n", 18), OT_PROBE_NO);
    /* other protocols' first bytes */
    assert_int_equal(probe(0, "GET / HTTP/1.1\r\n", 16), OT_PROBE_NO);
    assert_int_equal(probe(1, "HTTP/1.1 200 OK\r\n\r\nSSH", 22), OT_PROBE_NO);
    assert_int_equal(probe(0, "\x16\x03\x01\x02\x00\x01", 6), OT_PROBE_NO);
    assert_int_equal(probe(0, "\x00\x00\x00\x54\xfeSMB", 8), OT_PROBE_NO);
    assert_int_equal(probe(0, "\x03\x00\x00\x13\x0e\xe0", 6), OT_PROBE_NO);
    assert_int_equal(probe(1, "220 ftp.example.com ready\r\n", 27), OT_PROBE_NO);
    assert_int_equal(probe(1, "+OK POP3 ready\r\n", 16), OT_PROBE_NO);
    assert_int_equal(probe(0, "\x12\x34\x01\x00\x00\x01", 6), OT_PROBE_NO);
    assert_int_equal(probe(0, "", 0), OT_PROBE_MORE);
}

/* The whole dispatcher: an HTTP flow is not claimed by ssh. */
static void test_not_claimed(void **unused)
{
    struct ot_harness h;
    start(&h);
    ot_harness_feed(&h, 0, "GET /SSH-2.0 HTTP/1.1\r\n\r\n", 25);
    assert_int_not_equal(h.flow.app_proto, OT_APP_SSH);
    ot_harness_finish(&h);
    json_t *evs = ot_harness_events(&h, "ssh");
    assert_int_equal(json_array_size(evs), 0);
    json_decref(evs);
    ot_harness_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_exchange),
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_server_prebanner_lines),
        cmocka_unit_test(test_banners_only),
        cmocka_unit_test(test_ssh1),
        cmocka_unit_test(test_first_packet_not_kexinit),
        cmocka_unit_test(test_banner_pieces),
        cmocka_unit_test(test_long_banner),
        cmocka_unit_test(test_no_banner_limit),
        cmocka_unit_test(test_malformed_packets),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_buffer_limit),
        cmocka_unit_test(test_hostile_banner),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_not_claimed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
