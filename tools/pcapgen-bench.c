/*
 * ot-pcapgen bench: a large capture of mixed traffic for the benchmark.
 *
 * A window of flows is in progress at once; each step picks one at random
 * and writes its next packet, so flows interleave as on a real link and the
 * file stays in time order.  Every flow is complete (TCP handshake to FIN
 * teardown, DNS query and answer): a new flow is only started when it fits
 * the packets left, so the capture has exactly --packets packets.  Payloads
 * point into shared blobs built once; per-flow bytes (requests, TLS hellos,
 * DNS messages) live in the flow's own buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otasuke/error.h"
#include "pcapgen-cert.h"
#include "pcapgen-pkt.h"
#include "pcapgen-proto.h"
#include "pcapgen.h"

#define WINDOW      4096u /* flows in progress at once */
#define FLOW_BUF    4096u /* per-flow message bytes */
#define MAX_MSG     6
#define MAX_PIECES  3
#define N_NAMES     4096u
#define N_SERVERS   8192u
#define N_CLIENTS   16384u
#define BLOB_SIZE   (2u << 20) /* each shared payload blob */
#define REC_FULL    (5u + 16384u)
#define MAX_SEGS    1400u /* largest response, in segments */
#define GAP_MEAN_US 20u   /* mean time between packets: 50,000 packets/s */

enum kind { K_HTTP, K_TLS13, K_TLS12, K_DNS, K_NTP, K_UDP, K_SYSLOG };

struct piece {
    const uint8_t *p;
    uint32_t len;
};

/* One application message: its bytes are the pieces in order. */
struct msg {
    uint8_t dir;
    uint8_t n;
    uint32_t len;
    struct piece pc[MAX_PIECES];
};

struct bflow {
    uint8_t kind;
    uint8_t phase;
    uint8_t nmsg, cur;
    bool ack_pending;
    uint8_t ack_dir;
    uint16_t segs;  /* segments of the current message written */
    uint32_t off;   /* bytes of the current message written */
    uint32_t left;  /* packets still to write */
    uint32_t udp_n; /* K_UDP: datagrams in all */
    struct ot_pg_host cli, srv;
    struct ot_pg_tcp tcp; /* hosts and ports, for UDP too */
    struct msg m[MAX_MSG];
    size_t used;
    uint8_t buf[FLOW_BUF];
};

struct server {
    uint8_t ip[16];
    bool v6;
    uint8_t ttl;
    uint16_t name;
};

struct bench {
    struct ot_pg_sink sk;
    struct ot_pg_rng rng;
    uint64_t target;   /* packets in all */
    uint64_t now;      /* timestamp of the last packet */
    uint64_t emitted;  /* packets written */
    uint64_t promised; /* packets still owed by the flows in progress */
    uint64_t flows;
    uint32_t seg_mean_milli; /* mean segments of a response, times 1000 */
    uint32_t long_milli;     /* share of TCP and multi-datagram UDP flows kept, of 1000 */
    uint32_t syslog_milli;   /* share of the rest turned into one-packet flows, of 1000 */
    uint64_t date_s;
    char date[40];
    char names[N_NAMES][40];
    struct server servers[N_SERVERS];
    uint32_t n_v4, n_v6; /* servers[0..n_v4) IPv4, then IPv6 */
    uint8_t *text, *noise, *records;
    struct bflow *fl;
    uint32_t active[WINDOW];
    uint32_t nactive;
    struct ot_pg_host resolver, resolver6, collector;
};

static const uint8_t router_mac[6] = {0x02, 0x4f, 0x54, 0x00, 0x01, 0x01};

/* --- shared data -------------------------------------------------------- */

static void make_names(struct bench *b)
{
    static const char *const sub[] = {"www", "api", "static", "img", "cdn", "login", "m", "assets"};
    static const char *const w1[] = {"blue",   "river", "stone",  "cloud", "north", "pixel",
                                     "maple",  "rapid", "silver", "quiet", "lumen", "delta",
                                     "harbor", "orbit", "cedar",  "ember"};
    static const char *const w2[] = {"works",  "labs",  "media", "shop",  "news", "hub",
                                     "apps",   "data",  "mail",  "games", "bank", "travel",
                                     "health", "photo", "code",  "cast"};
    static const char *const tld[] = {"com", "net", "org", "io", "co.uk", "de", "jp", "fr"};
    for (uint32_t i = 0; i < N_NAMES; i++)
        snprintf(b->names[i], sizeof(b->names[i]), "%s.%s%s.%s", sub[ot_pg_below(&b->rng, 8)],
                 w1[ot_pg_below(&b->rng, 16)], w2[ot_pg_below(&b->rng, 16)],
                 tld[ot_pg_below(&b->rng, 8)]);
}

/* A unicast IPv4 address outside private, shared, loopback, link-local and test ranges. */
static void public_v4(struct ot_pg_rng *r, uint8_t ip[4])
{
    for (;;) {
        uint32_t a = (uint32_t)ot_pg_rand(r);
        uint8_t o1 = (uint8_t)(a >> 24), o2 = (uint8_t)(a >> 16);
        if (o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224 || (o1 == 100 && (o2 & 0xc0) == 64) ||
            (o1 == 169 && o2 == 254) || (o1 == 172 && (o2 & 0xf0) == 16) ||
            (o1 == 192 && (o2 == 168 || o2 == 0)) || (o1 == 198 && (o2 & 0xfe) == 18) ||
            (uint8_t)a == 0 || (uint8_t)a == 255)
            continue;
        ip[0] = o1;
        ip[1] = o2;
        ip[2] = (uint8_t)(a >> 8);
        ip[3] = (uint8_t)a;
        return;
    }
}

static void make_servers(struct bench *b)
{
    b->n_v4 = N_SERVERS - N_SERVERS / 8;
    b->n_v6 = N_SERVERS / 8;
    for (uint32_t i = 0; i < N_SERVERS; i++) {
        struct server *s = &b->servers[i];
        memset(s->ip, 0, sizeof(s->ip));
        s->v6 = i >= b->n_v4;
        if (s->v6) {
            static const uint8_t pfx[4] = {0x20, 0x01, 0x0d, 0xb8};
            memcpy(s->ip, pfx, 4);
            ot_pg_fill(&b->rng, s->ip + 4, 12);
        } else {
            public_v4(&b->rng, s->ip);
        }
        s->ttl = (uint8_t)(40 + ot_pg_below(&b->rng, 20));
        s->name = (uint16_t)ot_pg_below(&b->rng, N_NAMES);
    }
}

/* Text for HTTP bodies, random bytes for ciphertext, full TLS application data records. */
static int make_blobs(struct bench *b)
{
    b->text = malloc(BLOB_SIZE);
    b->noise = malloc(BLOB_SIZE);
    b->records = malloc(BLOB_SIZE);
    if (!b->text || !b->noise || !b->records)
        return OT_ENOMEM;
    static const char *const words[] = {"the ",
                                        "network ",
                                        "sensor ",
                                        "flow ",
                                        "packet ",
                                        "event ",
                                        "office ",
                                        "report ",
                                        "alert ",
                                        "data ",
                                        "<p>",
                                        "</p>\n",
                                        "<div class=\"item\">",
                                        "</div>\n"};
    for (size_t i = 0; i < BLOB_SIZE;) {
        const char *w = words[ot_pg_below(&b->rng, 14)];
        size_t n = strlen(w);
        if (n > BLOB_SIZE - i)
            n = BLOB_SIZE - i;
        memcpy(b->text + i, w, n);
        i += n;
    }
    ot_pg_fill(&b->rng, b->noise, BLOB_SIZE);
    memcpy(b->records, b->noise, BLOB_SIZE);
    for (size_t i = 0; i + REC_FULL <= BLOB_SIZE; i += REC_FULL)
        memcpy(b->records + i, "\x17\x03\x03\x40\x00", 5);
    return OT_OK;
}

static const uint8_t *noise(struct bench *b, uint32_t len)
{
    return b->noise + ot_pg_below(&b->rng, BLOB_SIZE - len);
}

static const char *http_date(struct bench *b)
{
    uint64_t s = b->now / OT_PG_US;
    if (s != b->date_s || !b->date[0]) {
        time_t t = (time_t)s;
        struct tm tm;
        gmtime_r(&t, &tm);
        if (strftime(b->date, sizeof(b->date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
            b->date[0] = '\0';
        b->date_s = s;
    }
    return b->date;
}

/* --- flow set-up -------------------------------------------------------- */

/* Start a message of F from DIR; pieces follow with add_piece() / add_built(). */
static struct msg *msg_new(struct bflow *f, int dir)
{
    struct msg *m = &f->m[f->nmsg++];
    m->dir = (uint8_t)dir;
    m->n = 0;
    m->len = 0;
    return m;
}

static void add_piece(struct msg *m, const uint8_t *p, uint32_t len)
{
    if (len && m->n < MAX_PIECES) {
        m->pc[m->n++] = (struct piece){p, len};
        m->len += len;
    }
}

/* A buffer over the free part of the flow's own memory. */
static void fbuf(struct bflow *f, struct ot_pg_buf *ob)
{
    ot_pg_buf_init(ob, f->buf + f->used, FLOW_BUF - f->used);
}

/* Keep what OB holds as the next piece of M. */
static void add_built(struct bench *b, struct bflow *f, struct msg *m, struct ot_pg_buf *ob)
{
    if (ob->overflow) {
        ot_pg_sink_fail(&b->sk, OT_ELIMIT);
        return;
    }
    add_piece(m, ob->p, (uint32_t)ob->len);
    f->used += ob->len;
}

static void client_host(struct bench *b, struct ot_pg_host *h, bool v6)
{
    uint32_t c = ot_pg_below(&b->rng, N_CLIENTS);
    memset(h, 0, sizeof(*h));
    uint8_t mac[6] = {0x02, 0x4f, 0x54, 0x20, (uint8_t)(c >> 8), (uint8_t)c};
    memcpy(h->mac, mac, 6);
    h->ttl = (c & 3) ? 128 : 64; /* three Windows machines in four */
    h->ip_id = (uint16_t)ot_pg_rand(&b->rng);
    h->v6 = v6;
    if (v6) {
        static const uint8_t pfx[8] = {0xfd, 0x6f, 0x74, 0x61, 0x73, 0x75, 0x00, 0x20};
        memcpy(h->ip, pfx, 8);
        memcpy(h->ip + 8, mac, 6);
        h->ip[14] = (uint8_t)(c >> 3);
        h->ip[15] = (uint8_t)(c * 7);
    } else {
        h->ip[0] = 10;
        h->ip[1] = 20;
        h->ip[2] = (uint8_t)(1 + (c >> 8));
        h->ip[3] = (uint8_t)(1 + (c & 0xfe));
    }
}

static const struct server *pick_server(struct bench *b, bool v6)
{
    uint32_t i = v6 ? b->n_v4 + ot_pg_below(&b->rng, b->n_v6) : ot_pg_below(&b->rng, b->n_v4);
    return &b->servers[i];
}

static void server_host(struct ot_pg_host *h, const struct server *s)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->mac, router_mac, 6);
    memcpy(h->ip, s->ip, 16);
    h->v6 = s->v6;
    h->ttl = s->ttl;
    h->ip_id = (uint16_t)(s->name * 977u);
}

static uint16_t ephemeral(struct bench *b)
{
    return (uint16_t)(49152 + ot_pg_below(&b->rng, 16384));
}

/* Data segments of a large response, drawn around the mean. */
static uint32_t draw_segments(struct bench *b)
{
    uint32_t spread = 2 * (b->seg_mean_milli - 1000) + 1000;
    uint32_t s = 1 + ot_pg_below(&b->rng, spread) / 1000;
    return s > MAX_SEGS ? MAX_SEGS : s;
}

static void http_flow(struct bench *b, struct bflow *f, const struct server *s)
{
    static const char *const paths[] = {"/",
                                        "/index.html",
                                        "/static/app.js",
                                        "/img/logo.webp",
                                        "/css/site.css",
                                        "/api/v1/items",
                                        "/favicon.ico",
                                        "/news/latest"};
    static const char *const types[] = {"text/html; charset=utf-8",
                                        "text/html; charset=utf-8",
                                        "application/javascript",
                                        "image/webp",
                                        "text/css",
                                        "application/json",
                                        "image/x-icon",
                                        "text/html; charset=utf-8"};
    static const char *const agents[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        "curl/8.5.0",
    };
    struct ot_pg_buf ob;
    uint32_t p = ot_pg_below(&b->rng, 8);
    bool post = ot_pg_below(&b->rng, 100) < 8;
    const char *host = b->names[s->name];

    struct msg *m = msg_new(f, OT_PG_C2S);
    fbuf(f, &ob);
    if (post)
        ot_pg_putf(&ob,
                   "POST /api/v1/events HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n"
                   "Accept: */*\r\nConnection: keep-alive\r\n\r\nkind=view&item=%06u&ok=1",
                   host, agents[ot_pg_below(&b->rng, 4)], ot_pg_below(&b->rng, 1000000));
    else
        ot_pg_putf(&ob,
                   "GET %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
                   "Referer: http://%s/\r\nAccept-Encoding: gzip, deflate\r\n"
                   "Connection: keep-alive\r\n\r\n",
                   paths[p], p == 5 ? "?page=2" : "", host, agents[ot_pg_below(&b->rng, 4)], host);
    add_built(b, f, m, &ob);

    uint32_t roll = ot_pg_below(&b->rng, 100);
    uint32_t body = 0;
    const uint8_t *bytes = NULL;
    const char *status = "200 OK", *type = types[p];
    if (roll < 4) {
        status = "304 Not Modified";
    } else if (roll < 8) {
        status = "404 Not Found";
        type = "text/html";
        body = 150 + ot_pg_below(&b->rng, 200);
    } else if (p == 5) {
        fbuf(f, &ob); /* an API answer is real JSON, built here */
        ot_pg_puts(&ob, "{\"page\":2,\"items\":[");
        for (uint32_t i = 0, n = 3 + ot_pg_below(&b->rng, 20); i < n; i++) {
            uint32_t id = ot_pg_below(&b->rng, 1000000);
            ot_pg_putf(&ob, "%s{\"id\":%u,\"name\":\"item-%06u\",\"stock\":%u}", i ? "," : "", id,
                       id, ot_pg_below(&b->rng, 500));
        }
        ot_pg_puts(&ob, "]}\n");
        if (ob.overflow) {
            ot_pg_sink_fail(&b->sk, OT_ELIMIT);
            return;
        }
        bytes = ob.p;
        body = (uint32_t)ob.len;
        f->used += ob.len;
    } else {
        uint32_t segs = draw_segments(b);
        body = segs * 1460 - 260 - ot_pg_below(&b->rng, 1000);
        if ((int32_t)body < 0)
            body = 100 + ot_pg_below(&b->rng, 900);
    }
    if (!bytes)
        bytes = b->text + ot_pg_below(&b->rng, BLOB_SIZE - body);
    m = msg_new(f, OT_PG_S2C);
    fbuf(f, &ob);
    ot_pg_putf(&ob,
               "HTTP/1.1 %s\r\nServer: nginx\r\nDate: %s\r\nContent-Type: %s\r\n"
               "Content-Length: %u\r\nConnection: keep-alive\r\n\r\n",
               status, http_date(b), type, body);
    add_built(b, f, m, &ob);
    add_piece(m, bytes, body);
}

static void grease(struct bench *b, uint16_t g[5])
{
    for (int i = 0; i < 5; i++) {
        uint32_t n = ot_pg_below(&b->rng, 16);
        g[i] = (uint16_t)((n << 12) | 0x0a00 | (n << 4) | 0x0a);
    }
    if (g[4] == g[1])
        g[4] ^= 0x1010;
}

/* An application data record header for LEN bytes of ciphertext. */
static void record_header(struct ot_pg_buf *ob, uint32_t len)
{
    ot_pg_put(ob, "\x17\x03\x03", 3);
    ot_pg_put16(ob, len);
}

/* The response: full 16 KiB records, then a last shorter one. */
static void tls_response(struct bench *b, struct bflow *f)
{
    struct ot_pg_buf ob;
    uint32_t total = draw_segments(b) * 1460 - ot_pg_below(&b->rng, 900);
    uint32_t full = total / REC_FULL;
    if (full > BLOB_SIZE / REC_FULL)
        full = BLOB_SIZE / REC_FULL;
    uint32_t last = total - full * REC_FULL;
    if (last > REC_FULL)
        last = REC_FULL;
    last = last > 5 + 17 ? last - 5 : 17; /* ciphertext: at least a GCM tag and a byte */
    struct msg *m = msg_new(f, OT_PG_S2C);
    add_piece(m, b->records, full * REC_FULL);
    fbuf(f, &ob);
    record_header(&ob, last);
    add_built(b, f, m, &ob);
    add_piece(m, noise(b, last), last);
}

static void tls_flow(struct bench *b, struct bflow *f, const struct server *s, bool tls13)
{
    static const char *const alpn[] = {"h2", "http/1.1"};
    uint8_t rnd[5][32];
    struct ot_pg_buf ob;
    for (int i = 0; i < 5; i++)
        ot_pg_fill(&b->rng, rnd[i], 32);
    struct ot_pg_tls_hello h = {.random = rnd[0],
                                .session_id = rnd[1],
                                .sni = b->names[s->name],
                                .alpn = alpn,
                                .n_alpn = 2,
                                .tls13 = tls13,
                                .key_share = rnd[2]};
    grease(b, h.grease);
    struct msg *m = msg_new(f, OT_PG_C2S);
    fbuf(f, &ob);
    ot_pg_tls_client_hello(&ob, &h);
    add_built(b, f, m, &ob);

    struct ot_pg_tls_server sv = {.random = rnd[3],
                                  .session_id = tls13 ? rnd[1] : rnd[4],
                                  .cipher = tls13 ? 0x1301 : 0xc02f,
                                  .tls13 = tls13,
                                  .key_share = rnd[4],
                                  .alpn = "h2"};
    m = msg_new(f, OT_PG_S2C);
    fbuf(f, &ob);
    ot_pg_tls_server_hello(&ob, &sv);
    if (tls13) {
        uint32_t n = 2400 + ot_pg_below(&b->rng, 2400); /* EncryptedExtensions .. Finished */
        ot_pg_tls_change_cipher_spec(&ob);
        record_header(&ob, n);
        add_built(b, f, m, &ob);
        add_piece(m, noise(b, n), n);
        m = msg_new(f, OT_PG_C2S);
        fbuf(f, &ob);
        ot_pg_tls_change_cipher_spec(&ob);
        ot_pg_tls_record(&ob, OT_PG_TLS_APPDATA, noise(b, 53), 53);
    } else {
        ot_pg_tls_certificate(&ob, ot_pg_demo_cert, sizeof(ot_pg_demo_cert));
        ot_pg_tls_server_key_exchange(&ob, rnd[4], noise(b, 256), 256);
        ot_pg_tls_server_hello_done(&ob);
        add_built(b, f, m, &ob);
        m = msg_new(f, OT_PG_C2S);
        fbuf(f, &ob);
        ot_pg_tls_client_key_exchange(&ob, rnd[2]);
        ot_pg_tls_change_cipher_spec(&ob);
        ot_pg_tls_record(&ob, OT_PG_TLS_HANDSHAKE, noise(b, 40), 40);
        add_built(b, f, m, &ob);
        m = msg_new(f, OT_PG_S2C);
        fbuf(f, &ob);
        ot_pg_tls_new_session_ticket(&ob, 7200, noise(b, 192), 192);
        ot_pg_tls_change_cipher_spec(&ob);
        ot_pg_tls_record(&ob, OT_PG_TLS_HANDSHAKE, noise(b, 40), 40);
        add_built(b, f, m, &ob);
        m = msg_new(f, OT_PG_C2S);
        fbuf(f, &ob);
    }
    uint32_t req = 200 + ot_pg_below(&b->rng, 500);
    record_header(&ob, req);
    add_built(b, f, m, &ob);
    add_piece(m, noise(b, req), req);
    tls_response(b, f);
}

static void tcp_setup(struct bench *b, struct bflow *f, uint16_t dport)
{
    ot_pg_tcp_init(&f->tcp, &b->sk, &f->cli, ephemeral(b), &f->srv, dport,
                   (uint32_t)ot_pg_rand(&b->rng), (uint32_t)ot_pg_rand(&b->rng), 0);
}

/* Packets of a TCP flow: handshake, each message's segments and ACKs, teardown. */
static uint32_t tcp_packets(const struct bflow *f)
{
    uint32_t n = 6;
    for (unsigned i = 0; i < f->nmsg; i++) {
        uint32_t segs = (f->m[i].len + f->tcp.mss - 1) / f->tcp.mss;
        bool end_ack = i + 1 == f->nmsg || f->m[i + 1].dir == f->m[i].dir;
        n += segs + (segs - 1) / 2 + (end_ack ? 1 : 0);
    }
    return n;
}

static void dns_flow(struct bench *b, struct bflow *f, bool v6)
{
    struct ot_pg_buf ob;
    struct ot_pg_dns d;
    uint16_t id = (uint16_t)ot_pg_rand(&b->rng);
    bool aaaa = v6 || ot_pg_below(&b->rng, 4) == 0;
    uint16_t qtype = aaaa ? OT_PG_DNS_AAAA : OT_PG_DNS_A;
    const struct server *s = pick_server(b, aaaa);
    const char *name = b->names[s->name];
    uint32_t roll = ot_pg_below(&b->rng, 100);
    char nx[64], edge[64];

    if (roll < 5) {
        snprintf(nx, sizeof(nx), "wpad.%s", strchr(name, '.') + 1);
        name = nx;
    }
    struct msg *m = msg_new(f, OT_PG_C2S);
    fbuf(f, &ob);
    ot_pg_dns_begin(&d, &ob, id, OT_PG_DNS_QUERY);
    ot_pg_dns_question(&d, name, qtype);
    ot_pg_dns_end(&d);
    add_built(b, f, m, &ob);

    m = msg_new(f, OT_PG_S2C);
    fbuf(f, &ob);
    if (roll < 5) {
        ot_pg_dns_begin(&d, &ob, id, OT_PG_DNS_NXDOMAIN);
        ot_pg_dns_question(&d, name, qtype);
        ot_pg_dns_section(&d, OT_PG_DNS_SEC_NS);
        ot_pg_dns_rr_soa(&d, strchr(name, '.') + 1, 900, "ns1.example.net",
                         "hostmaster.example.net", 2026011500);
    } else {
        ot_pg_dns_begin(&d, &ob, id, OT_PG_DNS_RESPONSE);
        ot_pg_dns_question(&d, name, qtype);
        const char *owner = name;
        if (roll < 35) {
            snprintf(edge, sizeof(edge), "e%u.edge.example.net", ot_pg_below(&b->rng, 9999));
            ot_pg_dns_rr_name(&d, name, OT_PG_DNS_CNAME, 300, edge);
            owner = edge;
        }
        uint32_t n = 1 + ot_pg_below(&b->rng, 4);
        for (uint32_t i = 0; i < n; i++) {
            const struct server *a = i ? pick_server(b, aaaa) : s;
            ot_pg_dns_rr(&d, owner, qtype, 60 + ot_pg_below(&b->rng, 3540), a->ip, aaaa ? 16 : 4);
        }
    }
    ot_pg_dns_end(&d);
    add_built(b, f, m, &ob);
}

/* NTP client request (mode 3) and server reply (mode 4). */
static void ntp_flow(struct bench *b, struct bflow *f)
{
    struct ot_pg_buf ob;
    uint32_t secs = (uint32_t)(b->now / OT_PG_US + 2208988800u);
    for (int dir = 0; dir < 2; dir++) {
        struct msg *m = msg_new(f, dir);
        fbuf(f, &ob);
        ot_pg_put8(&ob, dir ? 0x24 : 0x23);
        ot_pg_put8(&ob, dir ? 2 : 0); /* stratum */
        ot_pg_put8(&ob, dir ? 3 : 6); /* poll */
        ot_pg_put8(&ob, 0xe9);        /* precision */
        ot_pg_put32(&ob, dir ? 0x00000329 : 0);
        ot_pg_put32(&ob, dir ? 0x00000a4c : 0);
        ot_pg_put(&ob, dir ? (const uint8_t *)"\xc0\x00\x02\x7b" : NULL, 4); /* reference */
        ot_pg_put32(&ob, dir ? secs - 600 : 0);                              /* reference ts */
        ot_pg_put32(&ob, 0);
        ot_pg_put32(&ob, dir ? secs : 0); /* originate */
        ot_pg_put32(&ob, dir ? 0x1b4e0000u : 0);
        ot_pg_put32(&ob, dir ? secs : 0); /* receive */
        ot_pg_put32(&ob, dir ? 0x1b52a000u : 0);
        ot_pg_put32(&ob, secs); /* transmit */
        ot_pg_put32(&ob, dir ? 0x1b53c000u : 0x1b4e0000u);
        add_built(b, f, m, &ob);
    }
}

static void syslog_flow(struct bench *b, struct bflow *f)
{
    struct ot_pg_buf ob;
    struct msg *m = msg_new(f, OT_PG_C2S);
    fbuf(f, &ob);
    ot_pg_putf(&ob, "<134>Jan 15 09:%02u:%02u host-%u sshd[%u]: Accepted publickey for backup",
               (unsigned)(b->now / OT_PG_US / 60 % 60), (unsigned)(b->now / OT_PG_US % 60),
               ot_pg_below(&b->rng, 900), 1000 + ot_pg_below(&b->rng, 60000));
    add_built(b, f, m, &ob);
}

/* Start a flow of KIND in F; returns its packet count. */
static uint32_t flow_build(struct bench *b, struct bflow *f, enum kind kind)
{
    /* One TCP or DNS flow in twelve runs over IPv6. */
    bool v6 = (kind <= K_TLS12 || kind == K_DNS) && ot_pg_below(&b->rng, 100) < 8;
    f->kind = (uint8_t)kind;
    f->phase = 0;
    f->nmsg = f->cur = 0;
    f->ack_pending = false;
    f->segs = 0;
    f->off = 0;
    f->used = 0;
    client_host(b, &f->cli, v6);
    switch (kind) {
    case K_HTTP:
    case K_TLS13:
    case K_TLS12: {
        const struct server *s = pick_server(b, v6);
        server_host(&f->srv, s);
        tcp_setup(b, f, kind == K_HTTP ? 80 : 443);
        if (kind == K_HTTP)
            http_flow(b, f, s);
        else
            tls_flow(b, f, s, kind == K_TLS13);
        return tcp_packets(f);
    }
    case K_DNS:
        f->srv = v6 ? b->resolver6 : b->resolver;
        tcp_setup(b, f, 53);
        dns_flow(b, f, v6);
        return 2;
    case K_NTP:
        server_host(&f->srv, pick_server(b, false));
        tcp_setup(b, f, 123);
        ntp_flow(b, f);
        return 2;
    case K_UDP:
        server_host(&f->srv, pick_server(b, false));
        /* Ports no dissector claims, so the payload stays opaque to tshark. */
        ot_pg_tcp_init(&f->tcp, &b->sk, &f->cli, (uint16_t)(50000 + ot_pg_below(&b->rng, 4000)),
                       &f->srv, (uint16_t)(38000 + ot_pg_below(&b->rng, 3000)), 0, 0, 0);
        f->udp_n = 4 + ot_pg_below(&b->rng, 9);
        return f->udp_n;
    default: /* K_SYSLOG */
        f->srv = b->collector;
        tcp_setup(b, f, 514);
        syslog_flow(b, f);
        return 1;
    }
}

/* A new flow that fits the packets left, or false when none does. */
static bool flow_new(struct bench *b, struct bflow *f)
{
    static const struct {
        uint8_t kind, weight;
    } mix[] = {{K_HTTP, 33}, {K_TLS13, 20}, {K_TLS12, 8}, {K_DNS, 28},
               {K_NTP, 4},   {K_UDP, 5},    {K_SYSLOG, 2}};
    uint64_t room = b->target - b->emitted - b->promised;
    if (room == 0)
        return false;
    uint32_t roll = ot_pg_below(&b->rng, 100), acc = 0;
    enum kind kind = K_DNS;
    for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
        acc += mix[i].weight;
        if (roll < acc) {
            kind = (enum kind)mix[i].kind;
            break;
        }
    }
    if ((kind <= K_TLS12 || kind == K_UDP) && ot_pg_below(&b->rng, 1000) >= b->long_milli)
        kind = K_DNS;
    if ((kind == K_DNS || kind == K_NTP) && ot_pg_below(&b->rng, 1000) < b->syslog_milli)
        kind = K_SYSLOG;
    uint32_t n = flow_build(b, f, kind);
    if (n > room)
        n = flow_build(b, f, room >= 2 ? K_DNS : K_SYSLOG);
    f->left = n;
    b->promised += n;
    b->flows++;
    return true;
}

/* --- writing ------------------------------------------------------------ */

/* The LEN bytes at OFF of M: a pointer into one piece, or copied into TMP. */
static const uint8_t *msg_bytes(const struct msg *m, uint32_t off, uint32_t len, uint8_t *tmp)
{
    unsigned i = 0;
    while (i < m->n && off >= m->pc[i].len)
        off -= m->pc[i++].len;
    if (i < m->n && off + len <= m->pc[i].len)
        return m->pc[i].p + off;
    for (uint32_t done = 0; done < len && i < m->n; i++, off = 0) {
        uint32_t k = m->pc[i].len - off;
        if (k > len - done)
            k = len - done;
        memcpy(tmp + done, m->pc[i].p + off, k);
        done += k;
    }
    return tmp;
}

static void tcp_step(struct bench *b, struct bflow *f)
{
    struct ot_pg_tcp *c = &f->tcp;
    const uint8_t A = OT_PG_TCP_ACK;
    uint8_t tmp[1500];
    switch (f->phase) {
    case 0:
        c->t = b->now;
        ot_pg_tcp_syn(c, 0);
        break;
    case 1:
        ot_pg_tcp_segment(c, 1, b->now, OT_PG_TCP_SYN | A, c->nxt[1]++, c->nxt[0], NULL, 0);
        break;
    case 2:
        ot_pg_tcp_segment(c, 0, b->now, A, c->nxt[0], c->nxt[1], NULL, 0);
        break;
    case 3:
        if (f->ack_pending) {
            int dir = f->ack_dir;
            ot_pg_tcp_segment(c, dir, b->now, A, c->nxt[dir], c->nxt[!dir], NULL, 0);
            f->ack_pending = false;
        } else {
            const struct msg *m = &f->m[f->cur];
            uint32_t n = m->len - f->off < c->mss ? m->len - f->off : c->mss;
            bool last = f->off + n == m->len;
            int dir = m->dir;
            ot_pg_tcp_segment(c, dir, b->now, last ? A | OT_PG_TCP_PSH : A, c->nxt[dir],
                              c->nxt[!dir], msg_bytes(m, f->off, n, tmp), n);
            c->nxt[dir] += n;
            f->off += n;
            f->segs++;
            f->ack_dir = (uint8_t)!dir;
            if (last) {
                f->cur++;
                f->off = 0;
                f->segs = 0;
                f->ack_pending = f->cur == f->nmsg || f->m[f->cur].dir == dir;
            } else {
                f->ack_pending = f->segs % 2 == 0;
            }
        }
        if (f->ack_pending || f->cur < f->nmsg)
            return; /* stay in the data phase */
        break;
    case 4:
    case 5: {
        int dir = f->phase == 5;
        ot_pg_tcp_segment(c, dir, b->now, OT_PG_TCP_FIN | A, c->nxt[dir]++, c->nxt[!dir], NULL, 0);
        break;
    }
    default:
        ot_pg_tcp_segment(c, 0, b->now, A, c->nxt[0], c->nxt[1], NULL, 0);
        break;
    }
    f->phase++;
}

static void udp_step(struct bench *b, struct bflow *f)
{
    struct ot_pg_tcp *c = &f->tcp;
    if (f->kind == K_UDP) {
        /* An application header ("OTGM", sequence) that no heuristic dissector takes. */
        uint8_t dgram[1200];
        int dir = (int)ot_pg_below(&b->rng, 2);
        uint32_t len = 60 + ot_pg_below(&b->rng, sizeof(dgram) - 60);
        uint32_t seq = f->udp_n - f->left;
        memcpy(dgram, noise(b, len), len);
        memcpy(dgram, "OTGM", 4);
        for (int i = 0; i < 4; i++)
            dgram[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
        ot_pg_udp(&b->sk, b->now, c->host[dir], c->port[dir], c->host[!dir], c->port[!dir], 0,
                  dgram, len, 0);
        return;
    }
    uint8_t tmp[1500];
    const struct msg *m = &f->m[f->cur++];
    int dir = m->dir;
    if (m->len > sizeof(tmp)) {
        ot_pg_sink_fail(&b->sk, OT_ELIMIT);
        return;
    }
    ot_pg_udp(&b->sk, b->now, c->host[dir], c->port[dir], c->host[!dir], c->port[!dir], 0,
              msg_bytes(m, 0, m->len, tmp), m->len, 0);
}

static void run(struct bench *b)
{
    for (uint32_t i = 0; i < WINDOW && flow_new(b, &b->fl[i]); i++)
        b->active[b->nactive++] = i;
    while (b->nactive && !b->sk.err) {
        uint32_t r = ot_pg_below(&b->rng, b->nactive);
        struct bflow *f = &b->fl[b->active[r]];
        b->now += 1 + ot_pg_below(&b->rng, 2 * GAP_MEAN_US - 1);
        if (f->kind <= K_TLS12)
            tcp_step(b, f);
        else
            udp_step(b, f);
        b->emitted++;
        b->promised--;
        if (--f->left == 0 && !flow_new(b, f))
            b->active[r] = b->active[--b->nactive];
    }
}

/*
 * Shape the mix so that flows average PACKETS/FLOWS packets: responses grow
 * with the average; below what the mix needs with one-segment responses
 * (7.96 packets), long flows give way to DNS, and below two packets to
 * one-packet syslog flows.
 */
static void tune_mix(struct bench *b, const struct ot_pg_bench_opts *o)
{
    uint64_t avg = o->packets * 1000u / o->flows; /* packets per flow, times 1000 */
    b->seg_mean_milli = 1000;
    b->long_milli = 1000;
    b->syslog_milli = 0;
    if (avg > 6960 + 915) {
        /* Per flow on average: 6.96 packets of overhead plus 0.915 per response segment. */
        uint64_t m = (avg - 6960) * 1000u / 915u;
        b->seg_mean_milli = m > MAX_SEGS * 500u ? MAX_SEGS * 500u : (uint32_t)m;
        return;
    }
    /* Long flows (61% + 5% of the mix) take 10.5 packets at least, short ones about 1.9. */
    b->long_milli = avg > 1900 ? (uint32_t)((avg - 1900) * 1000u / 8600u * 1000u / 660u) : 0;
    if (b->long_milli > 1000)
        b->long_milli = 1000;
    if (avg < 2000)
        b->syslog_milli = (uint32_t)(2000 - avg);
}

static int hosts_init(struct bench *b)
{
    static const uint8_t dns_mac[6] = {0x02, 0x4f, 0x54, 0x00, 0x20, 0x35};
    static const uint8_t log_mac[6] = {0x02, 0x4f, 0x54, 0x00, 0x20, 0x0a};
    if (ot_pg_host_init(&b->resolver, dns_mac, "10.20.0.53", 64) ||
        ot_pg_host_init(&b->resolver6, dns_mac, "fd6f:7461:7375:20::53", 64) ||
        ot_pg_host_init(&b->collector, log_mac, "10.20.0.10", 64))
        return OT_EINVAL;
    return OT_OK;
}

int ot_pg_bench_write(const char *path, const struct ot_pg_bench_opts *o, struct ot_pg_summary *out)
{
    struct bench *b = calloc(1, sizeof(*b));
    if (!b)
        return OT_ENOMEM;
    int rc = OT_ENOMEM;
    b->fl = calloc(WINDOW, sizeof(*b->fl));
    if (!b->fl)
        goto out_free;
    b->rng.s = o->seed * 0x9e3779b97f4a7c15ull + 0x4f7461737563ull;
    b->target = o->packets;
    b->now = OT_PG_BASE_TS_US;
    tune_mix(b, o);
    rc = make_blobs(b);
    if (rc)
        goto out_free;
    make_names(b);
    make_servers(b);
    rc = hosts_init(b);
    if (rc)
        goto out_free;
    rc = ot_pg_sink_open(&b->sk, path, false);
    if (rc)
        goto out_free;
    run(b);
    *out = (struct ot_pg_summary){.packets = b->sk.packets,
                                  .bytes = b->sk.bytes,
                                  .conversations = b->flows,
                                  .first_ts_us = b->sk.first_ts,
                                  .last_ts_us = b->sk.last_ts};
    rc = ot_pg_sink_close(&b->sk);
out_free:
    free(b->text);
    free(b->noise);
    free(b->records);
    free(b->fl);
    free(b);
    return rc;
}
