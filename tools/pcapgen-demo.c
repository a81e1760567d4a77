/*
 * ot-pcapgen demo: about a minute of a small office network, deterministic.
 *
 * This file sets up the hosts and writes the network services (DHCP, ARP,
 * DNS, ICMP, a port scan) and the timeline; pcapgen-demo-apps.c writes the
 * TCP applications.  Every conversation is written on its own clock and the
 * sorted sink interleaves them by time.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "otasuke/error.h"
#include "pcapgen-demo.h"
#include "pcapgen.h"

/*
 * "Otasuke" + 1: the first seed from there whose capture, dumped with
 * `tshark -V`, has no "bad" inside a random hex field, so that grepping the
 * dump for "bad" stays a clean check.  Changing the scenario reshuffles the
 * random bytes: check that again (tests/tools/test_pcapgen.sh does not rely on it).
 */
#define DEMO_SEED 0x4f746173756b66ull
#define LAN_RTT   300u /* microseconds, host to host on the office LAN */

uint64_t ot_pg_demo_at(uint32_t ms)
{
    return OT_PG_BASE_TS_US + (uint64_t)ms * 1000u;
}

/*
 * Ephemeral source port: Windows (TTL 128 here) counts up from where it last
 * was, per machine; Linux picks one at random in 32768..60999.
 */
static uint16_t ephemeral(struct ot_pg_demo *d, const struct ot_pg_host *h)
{
    if (h->ttl != 128)
        return (uint16_t)(32768 + ot_pg_below(&d->rng, 60999 - 32768));
    uint16_t *p = &d->win_port[h->mac[5]];
    if (*p == 0)
        *p = (uint16_t)(49700 + 37u * h->mac[5]);
    return (*p)++;
}

void ot_pg_demo_tcp(struct ot_pg_demo *d, struct ot_pg_tcp *c, struct ot_pg_host *cli,
                    struct ot_pg_host *srv, uint16_t sport, uint64_t t)
{
    uint32_t isn_c = (uint32_t)ot_pg_rand(&d->rng), isn_s = (uint32_t)ot_pg_rand(&d->rng);
    ot_pg_tcp_init(c, &d->sk, cli, ephemeral(d, cli), srv, sport, isn_c, isn_s, t);
    d->conversations++;
}

void ot_pg_demo_send(struct ot_pg_demo *d, struct ot_pg_tcp *c, int dir, const struct ot_pg_buf *b,
                     uint32_t delay_us)
{
    if (b->overflow) {
        ot_pg_sink_fail(&d->sk, OT_ELIMIT);
        return;
    }
    ot_pg_tcp_send(c, dir, b->p, b->len, delay_us);
}

#define DELAYED_ACK_US 40000u

void ot_pg_demo_converse(struct ot_pg_demo *d, struct ot_pg_tcp *c, const struct ot_pg_say *s,
                         size_t n)
{
    uint64_t last = c->t; /* when the previous message went out */
    for (size_t i = 0; i < n; i++) {
        uint64_t due = last + s[i].delay_us + (s[i].dir == OT_PG_S2C ? c->rtt_us : 0);
        size_t len = s[i].len ? s[i].len : strlen(s[i].text);
        ot_pg_tcp_send(c, s[i].dir, s[i].text, len, (uint32_t)(due - c->t));
        last = c->t;
        if (i + 1 == n)
            break;
        /* The receiver acks on its delayed-ACK timer unless its next message comes first. */
        int rx = !s[i].dir;
        uint64_t ack_t = last + DELAYED_ACK_US + (rx == OT_PG_S2C ? c->rtt_us : 0);
        uint64_t next_t = last + s[i + 1].delay_us + (s[i + 1].dir == OT_PG_S2C ? c->rtt_us : 0);
        bool piggyback = s[i + 1].dir == rx ? s[i + 1].delay_us <= DELAYED_ACK_US : next_t <= ack_t;
        if (!piggyback)
            ot_pg_tcp_ack(c, rx, (uint32_t)(ack_t - c->t));
    }
}

/* --- hosts -------------------------------------------------------------- */

struct host_row {
    size_t off;
    uint8_t mac; /* last byte of 02:4f:54:00:01:xx; remote hosts show the router's */
    const char *ip;
    uint8_t ttl;
};

static const struct host_row host_rows[] = {
    {offsetof(struct ot_pg_demo, router), 0x01, "192.168.1.1", 64},
    {offsetof(struct ot_pg_demo, router6), 0x01, "fd6f:7461:7375:1::1", 64},
    {offsetof(struct ot_pg_demo, fileserver), 0x0a, "192.168.1.10", 64},
    {offsetof(struct ot_pg_demo, fileserver6), 0x0a, "fd6f:7461:7375:1::10", 64},
    {offsetof(struct ot_pg_demo, terminal), 0x14, "192.168.1.20", 128},
    {offsetof(struct ot_pg_demo, printer), 0x1e, "192.168.1.30", 64},
    {offsetof(struct ot_pg_demo, pc1), 0x65, "192.168.1.101", 128},
    {offsetof(struct ot_pg_demo, pc1_6), 0x65, "fd6f:7461:7375:1::101", 128},
    {offsetof(struct ot_pg_demo, pc1_unset), 0x65, "0.0.0.0", 128},
    {offsetof(struct ot_pg_demo, pc2), 0x66, "192.168.1.102", 128},
    {offsetof(struct ot_pg_demo, laptop), 0x67, "192.168.1.103", 64},
    {offsetof(struct ot_pg_demo, laptop6), 0x67, "fd6f:7461:7375:1::103", 64},
    {offsetof(struct ot_pg_demo, web), 0x01, "203.0.113.80", 54},
    {offsetof(struct ot_pg_demo, files), 0x01, "203.0.113.81", 54},
    {offsetof(struct ot_pg_demo, portal), 0x01, "203.0.113.43", 52},
    {offsetof(struct ot_pg_demo, www_org), 0x01, "198.51.100.20", 57},
    {offsetof(struct ot_pg_demo, mail), 0x01, "203.0.113.25", 54},
    {offsetof(struct ot_pg_demo, scanner), 0x01, "198.51.100.77", 47},
};

static int hosts_init(struct ot_pg_demo *d)
{
    for (size_t i = 0; i < sizeof(host_rows) / sizeof(host_rows[0]); i++) {
        const struct host_row *r = &host_rows[i];
        const uint8_t mac[6] = {0x02, 0x4f, 0x54, 0x00, 0x01, r->mac};
        struct ot_pg_host *h = (struct ot_pg_host *)((char *)d + r->off);
        if (ot_pg_host_init(h, mac, r->ip, r->ttl))
            return OT_EINVAL;
        h->ip_id = (uint16_t)ot_pg_rand(&d->rng);
    }
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return ot_pg_host_init(&d->broadcast, bcast, "255.255.255.255", 64);
}

/* --- DHCP --------------------------------------------------------------- */

static void dhcp_server_options(struct ot_pg_buf *b, const struct ot_pg_demo *d, uint8_t type)
{
    static const uint8_t lease[4] = {0, 1, 0x51, 0x80}, t1[4] = {0, 0, 0xa8, 0xc0},
                         t2[4] = {0, 1, 0x27, 0x50}, mask[4] = {255, 255, 255, 0},
                         bcast[4] = {192, 168, 1, 255};
    ot_pg_dhcp_opt(b, 53, &type, 1);
    ot_pg_dhcp_opt(b, 54, d->router.ip, 4);
    ot_pg_dhcp_opt(b, 51, lease, 4); /* 86400 s */
    ot_pg_dhcp_opt(b, 58, t1, 4);
    ot_pg_dhcp_opt(b, 59, t2, 4);
    ot_pg_dhcp_opt(b, 1, mask, 4);
    ot_pg_dhcp_opt(b, 28, bcast, 4);
    ot_pg_dhcp_opt(b, 3, d->router.ip, 4);
    ot_pg_dhcp_opt(b, 6, d->router.ip, 4);
    ot_pg_dhcp_opt(b, 15, "office.lan", 10);
}

/* A Windows client's options: client id, hostname, vendor class, parameter list. */
static void dhcp_client_options(struct ot_pg_buf *b, const struct ot_pg_demo *d, uint8_t type)
{
    static const uint8_t prl[] = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252};
    uint8_t cid[7] = {1};
    memcpy(cid + 1, d->pc1.mac, 6);
    ot_pg_dhcp_opt(b, 53, &type, 1);
    ot_pg_dhcp_opt(b, 61, cid, sizeof(cid));
    ot_pg_dhcp_opt(b, 50, d->pc1.ip, 4);
    if (type == 3)
        ot_pg_dhcp_opt(b, 54, d->router.ip, 4);
    ot_pg_dhcp_opt(b, 12, "office-pc1", 10);
    if (type == 3)
        ot_pg_dhcp_opt(b, 81, "\0\0\0office-pc1", 13);
    ot_pg_dhcp_opt(b, 60, "MSFT 5.0", 8);
    ot_pg_dhcp_opt(b, 55, prl, sizeof(prl));
}

/* office-pc1 boots: DISCOVER, OFFER, REQUEST, ACK. */
static void dhcp(struct ot_pg_demo *d, uint64_t t)
{
    uint8_t mem[600];
    struct ot_pg_buf b;
    uint32_t xid = (uint32_t)ot_pg_rand(&d->rng);
    static const uint8_t kinds[4] = {1, 2, 3, 5};
    static const uint32_t delay_us[4] = {0, 1250, 4100, 1180};
    for (int i = 0; i < 4; i++) {
        bool server = i == 1 || i == 3;
        t += delay_us[i];
        ot_pg_buf_init(&b, mem, sizeof(mem));
        if (server) {
            ot_pg_dhcp_begin(&b, 2, xid, 0, 0, NULL, d->pc1.ip, d->router.ip, d->pc1.mac);
            dhcp_server_options(&b, d, kinds[i]);
        } else {
            ot_pg_dhcp_begin(&b, 1, xid, (uint16_t)i, 0, NULL, NULL, NULL, d->pc1.mac);
            dhcp_client_options(&b, d, kinds[i]);
        }
        ot_pg_dhcp_end(&b);
        if (b.overflow)
            ot_pg_sink_fail(&d->sk, OT_ELIMIT);
        else if (server)
            ot_pg_udp(&d->sk, t, &d->router, 67, &d->pc1, 68, 0, b.p, b.len, 0);
        else
            ot_pg_udp(&d->sk, t, &d->pc1_unset, 68, &d->broadcast, 67, 0, b.p, b.len, 0);
    }
    d->conversations++;
}

/* --- DNS ---------------------------------------------------------------- */

struct rr {
    unsigned sec;
    const char *name;
    uint16_t type;
    uint32_t ttl;
    const char *data; /* address literal, target name, TXT text or SOA primary */
    uint16_t pref;    /* MX */
};

static void put_rr(struct ot_pg_dns *m, const struct rr *r)
{
    ot_pg_dns_section(m, r->sec);
    switch (r->type) {
    case OT_PG_DNS_A:
    case OT_PG_DNS_AAAA:
        ot_pg_dns_rr_addr(m, r->name, r->ttl, r->data);
        break;
    case OT_PG_DNS_MX:
        ot_pg_dns_rr_mx(m, r->name, r->ttl, r->pref, r->data);
        break;
    case OT_PG_DNS_TXT:
        ot_pg_dns_rr_txt(m, r->name, r->ttl, r->data);
        break;
    case OT_PG_DNS_SOA:
        ot_pg_dns_rr_soa(m, r->name, r->ttl, r->data, "hostmaster.example.com", 2026011501);
        break;
    default:
        ot_pg_dns_rr_name(m, r->name, r->type, r->ttl, r->data);
        break;
    }
}

/* One query from CLI to the resolver SRV and its answer LOOKUP_US later. */
static void dns_udp(struct ot_pg_demo *d, uint64_t t, struct ot_pg_host *cli,
                    struct ot_pg_host *srv, const char *qname, uint16_t qtype, uint16_t rflags,
                    const struct rr *rrs, size_t n, uint32_t lookup_us)
{
    uint8_t mem[2048];
    struct ot_pg_buf b;
    struct ot_pg_dns m;
    uint16_t id = (uint16_t)ot_pg_rand(&d->rng);
    uint16_t port = (uint16_t)(49152 + ot_pg_below(&d->rng, 16384));

    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, id, OT_PG_DNS_QUERY);
    ot_pg_dns_question(&m, qname, qtype);
    ot_pg_dns_end(&m);
    if (!b.overflow)
        ot_pg_udp(&d->sk, t, cli, port, srv, 53, 0, b.p, b.len, 0);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, id, rflags);
    ot_pg_dns_question(&m, qname, qtype);
    for (size_t i = 0; i < n; i++)
        put_rr(&m, &rrs[i]);
    ot_pg_dns_end(&m);
    if (b.overflow)
        ot_pg_sink_fail(&d->sk, OT_ELIMIT);
    else
        ot_pg_udp(&d->sk, t + lookup_us, srv, 53, cli, port, 0, b.p, b.len, 0);
    d->conversations++;
}

#define AN OT_PG_DNS_SEC_AN
#define NS OT_PG_DNS_SEC_NS
#define AR OT_PG_DNS_SEC_AR

static void dns_web(struct ot_pg_demo *d, uint64_t t)
{
    static const struct rr a[] = {{AN, "www.example.com", OT_PG_DNS_A, 3600, "203.0.113.80", 0}};
    static const struct rr aaaa[] = {
        {AN, "www.example.com", OT_PG_DNS_AAAA, 3600, "2001:db8:85a3::80", 0}};
    dns_udp(d, t, &d->pc1, &d->router, "www.example.com", OT_PG_DNS_A, OT_PG_DNS_RESPONSE, a, 1,
            18420);
    dns_udp(d, t + 310, &d->pc1_6, &d->router6, "www.example.com", OT_PG_DNS_AAAA,
            OT_PG_DNS_RESPONSE, aaaa, 1, 19105);
}

static void dns_cname_chain(struct ot_pg_demo *d, uint64_t t)
{
    static const struct rr an[] = {
        {AN, "files.example.org", OT_PG_DNS_CNAME, 300, "files.example.org.edgekey.example.net", 0},
        {AN, "files.example.org.edgekey.example.net", OT_PG_DNS_CNAME, 60,
         "e1234.a.cdn.example.net", 0},
        {AN, "e1234.a.cdn.example.net", OT_PG_DNS_A, 20, "203.0.113.81", 0},
    };
    dns_udp(d, t, &d->pc1, &d->router, "files.example.org", OT_PG_DNS_A, OT_PG_DNS_RESPONSE, an, 3,
            31877);
}

static void dns_lookup(struct ot_pg_demo *d, uint64_t t, struct ot_pg_host *cli, const char *name,
                       const char *ip, uint32_t lookup_us)
{
    const struct rr a[] = {{AN, name, OT_PG_DNS_A, 3600, ip, 0}};
    dns_udp(d, t, cli, &d->router, name, OT_PG_DNS_A, OT_PG_DNS_RESPONSE, a, 1, lookup_us);
}

/* The Linux laptop looks at example.com's mail setup and mistypes a name. */
static void dns_mail_records(struct ot_pg_demo *d, uint64_t t)
{
    static const struct rr mx[] = {
        {AN, "example.com", OT_PG_DNS_MX, 3600, "mail.example.com", 10},
        {AN, "example.com", OT_PG_DNS_MX, 3600, "mail2.example.com", 20},
        {AR, "mail.example.com", OT_PG_DNS_A, 3600, "203.0.113.25", 0},
        {AR, "mail2.example.com", OT_PG_DNS_A, 3600, "203.0.113.26", 0},
    };
    static const struct rr txt[] = {
        {AN, "example.com", OT_PG_DNS_TXT, 3600, "v=spf1 mx ip4:203.0.113.0/24 -all", 0},
        {AN, "example.com", OT_PG_DNS_TXT, 3600, "otasuke-demo-verification=5f1c2d9e", 0},
    };
    static const struct rr nx[] = {
        {NS, "example.com", OT_PG_DNS_SOA, 3600, "ns1.example.com", 0},
    };
    dns_udp(d, t, &d->laptop, &d->router, "example.com", OT_PG_DNS_MX, OT_PG_DNS_RESPONSE, mx, 4,
            24312);
    dns_udp(d, t + 210000, &d->laptop, &d->router, "example.com", OT_PG_DNS_TXT, OT_PG_DNS_RESPONSE,
            txt, 2, 22906);
    dns_udp(d, t + 420000, &d->laptop, &d->router, "nonexistent.example.com", OT_PG_DNS_A,
            OT_PG_DNS_NXDOMAIN, nx, 1, 27731);
}

/* A TXT answer too big for 512 bytes: truncated over UDP, asked again over TCP. */
static void dns_over_tcp(struct ot_pg_demo *d, uint64_t t)
{
    static const char *const name = "big.example.com";
    static const char *const txt[] = {
        "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwx1b8TtqVn2u4zVvI6gY0Lsv"
        "U3nYV0xZqkQ5b2H8l1xwz0Qm4fJxV9Ry3Qe2tI6cJQd8K1wT0oGx7pS3hZ9vLr2nY4eA6uB5sD1fG8jH",
        "k3lM9nO0pQ2rS4tU6vW8xY0zA2bC4dE6fG8hI0jK2lM4nO6pQ8rS0tU2vW4xY6zA8bC0dE2fG4hI6jK8lM0n"
        "O2pQ4rS6tU8vW0xY2zA4bC6dE8fG0hI2jK4lM6nO8pQ0rS2tU4vW6xY8zA0bC2dE4fG6hI8jK0lM2nO4p",
        "google-site-verification=0tAsUkE-dEmO-3xAmPlE-cOm-vErIfIcAtIoN-tOkEn-1234567890ab",
        "MS=ms12345678",
        "apple-domain-verification=Otasuke0Demo1Example2Com3",
        "docusign=1b0a6754-49b1-4db5-8540-d2c12664b289",
    };
    static const struct rr none[1] = {{AN, NULL, 0, 0, NULL, 0}};
    dns_udp(d, t, &d->laptop, &d->router, name, OT_PG_DNS_TXT, OT_PG_DNS_RESPONSE | OT_PG_DNS_TC,
            none, 0, 21544);

    struct ot_pg_tcp c;
    uint8_t mem[2048];
    struct ot_pg_buf b;
    struct ot_pg_dns m;
    uint16_t id = (uint16_t)ot_pg_rand(&d->rng);
    ot_pg_demo_tcp(d, &c, &d->laptop, &d->router, 53, t + 21800);
    ot_pg_tcp_handshake(&c, 0, LAN_RTT);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    size_t len = ot_pg_len_open(&b, 2);
    ot_pg_dns_begin(&m, &b, id, OT_PG_DNS_QUERY);
    ot_pg_dns_question(&m, name, OT_PG_DNS_TXT);
    ot_pg_dns_end(&m);
    ot_pg_len_close(&b, len, 2);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 60);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    len = ot_pg_len_open(&b, 2);
    ot_pg_dns_begin(&m, &b, id, OT_PG_DNS_RESPONSE);
    ot_pg_dns_question(&m, name, OT_PG_DNS_TXT);
    for (size_t i = 0; i < sizeof(txt) / sizeof(txt[0]); i++)
        ot_pg_dns_rr_txt(&m, name, 300, txt[i]);
    ot_pg_dns_end(&m);
    ot_pg_len_close(&b, len, 2);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, 1900);
    ot_pg_tcp_close(&c, OT_PG_C2S, 250);
}

/* DNSSEC keys with a 4096-byte EDNS buffer: the answer arrives as two IPv4 fragments. */
static void dns_fragmented(struct ot_pg_demo *d, uint64_t t)
{
    uint8_t mem[4096], key[8 + 512];
    struct ot_pg_buf b;
    struct ot_pg_dns m;
    uint16_t id = (uint16_t)ot_pg_rand(&d->rng);
    uint16_t port = (uint16_t)(32768 + ot_pg_below(&d->rng, 28000));

    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, id, OT_PG_DNS_QUERY | 0x0020); /* AD */
    ot_pg_dns_question(&m, "example.com", OT_PG_DNS_DNSKEY);
    ot_pg_dns_opt(&m, 4096);
    ot_pg_dns_end(&m);
    if (!b.overflow)
        ot_pg_udp(&d->sk, t, &d->laptop, port, &d->router, 53, 0, b.p, b.len, 0);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, id, OT_PG_DNS_RESPONSE);
    ot_pg_dns_question(&m, "example.com", OT_PG_DNS_DNSKEY);
    for (int i = 0; i < 4; i++) {
        size_t modulus = i < 2 ? 512 : 256; /* two KSKs (RSA-4096), two ZSKs (RSA-2048) */
        key[0] = 1;
        key[1] = i < 2 ? 1 : 0; /* flags 257 (SEP) or 256 */
        key[2] = 3;             /* protocol */
        key[3] = 8;             /* RSASHA256 */
        uint8_t *k = key + 4;
        k[0] = 3;
        k[1] = 0x01;
        k[2] = 0x00;
        k[3] = 0x01;
        ot_pg_fill(&d->rng, k + 4, modulus);
        k[4] |= 0x80;
        ot_pg_dns_rr(&m, "example.com", OT_PG_DNS_DNSKEY, 3600, key, 4 + 4 + modulus);
    }
    ot_pg_dns_opt(&m, 1232);
    ot_pg_dns_end(&m);
    if (b.overflow)
        ot_pg_sink_fail(&d->sk, OT_ELIMIT);
    else
        ot_pg_udp(&d->sk, t + 26310, &d->router, 53, &d->laptop, port, 0, b.p, b.len, 0);
    d->conversations++;
}

/* --- ICMP, ARP, scan -------------------------------------------------------- */

static void pings(struct ot_pg_demo *d, uint64_t t)
{
    static const char win_payload[] = "abcdefghijklmnopqrstuvwabcdefghi";
    for (uint16_t i = 0; i < 4; i++) {
        uint64_t ts = t + (uint64_t)i * 1000000u + i * 1370u;
        ot_pg_icmp_echo(&d->sk, ts, &d->pc1, &d->web, false, 1, (uint16_t)(0x31 + i), win_payload,
                        32);
        ot_pg_icmp_echo(&d->sk, ts + 21300 + i * 410u, &d->web, &d->pc1, true, 1,
                        (uint16_t)(0x31 + i), win_payload, 32);
    }
    d->conversations++;

    /* Linux ping6: a struct timeval, then the bytes 0x10 to 0x37. */
    uint16_t id = (uint16_t)ot_pg_rand(&d->rng);
    for (uint16_t i = 0; i < 3; i++) {
        uint64_t ts = t + 500000u + (uint64_t)i * 1000000u + i * 95u;
        uint8_t payload[56] = {0};
        uint64_t sec = ts / OT_PG_US, usec = ts % OT_PG_US;
        for (int k = 0; k < 8; k++) {
            payload[k] = (uint8_t)(sec >> (8 * k));
            payload[8 + k] = (uint8_t)(usec >> (8 * k));
        }
        for (int k = 16; k < 56; k++)
            payload[k] = (uint8_t)k;
        ot_pg_icmp_echo(&d->sk, ts, &d->laptop6, &d->fileserver6, false, id, (uint16_t)(i + 1),
                        payload, sizeof(payload));
        ot_pg_icmp_echo(&d->sk, ts + 212, &d->fileserver6, &d->laptop6, true, id, (uint16_t)(i + 1),
                        payload, sizeof(payload));
    }
    d->conversations++;
}

static void arp_pair(struct ot_pg_demo *d, uint64_t t, const struct ot_pg_host *who,
                     const struct ot_pg_host *has)
{
    ot_pg_arp(&d->sk, t, who, has, false);
    ot_pg_arp(&d->sk, t + 180, has, who, true);
}

/* An outside address probes the file server; nothing answers (it drops them). */
static void port_scan(struct ot_pg_demo *d, uint64_t t)
{
    static const uint16_t ports[] = {22, 23, 80, 443, 445, 1433, 3306, 3389, 5900, 8080};
    uint16_t sport = (uint16_t)(40000 + ot_pg_below(&d->rng, 20000));
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        struct ot_pg_tcp c;
        ot_pg_tcp_init(&c, &d->sk, &d->scanner, sport, &d->fileserver, ports[i],
                       (uint32_t)ot_pg_rand(&d->rng), 0, t + i * 15230u);
        ot_pg_tcp_syn(&c, 0);
        d->conversations++;
    }
}

/* --- the minute --------------------------------------------------------- */

static void timeline(struct ot_pg_demo *d)
{
    dhcp(d, ot_pg_demo_at(250));
    ot_pg_arp(&d->sk, ot_pg_demo_at(1300), &d->pc1_unset, &d->pc1, false); /* ARP probe */
    arp_pair(d, ot_pg_demo_at(1900), &d->pc1, &d->router);

    dns_web(d, ot_pg_demo_at(2000));
    ot_pg_demo_http(d, ot_pg_demo_at(2040));
    dns_cname_chain(d, ot_pg_demo_at(5000));
    ot_pg_demo_http_post(d, ot_pg_demo_at(5040));
    dns_lookup(d, ot_pg_demo_at(8000), &d->pc1, "portal.example.com", "203.0.113.43", 20731);
    ot_pg_demo_tls12(d, ot_pg_demo_at(8030));
    dns_lookup(d, ot_pg_demo_at(11000), &d->pc2, "www.example.org", "198.51.100.20", 16210);
    ot_pg_demo_tls13(d, ot_pg_demo_at(11020));

    dns_mail_records(d, ot_pg_demo_at(14000));
    dns_over_tcp(d, ot_pg_demo_at(15000));
    dns_fragmented(d, ot_pg_demo_at(16000));
    ot_pg_demo_ssh(d, ot_pg_demo_at(18000));
    arp_pair(d, ot_pg_demo_at(24000), &d->pc1, &d->fileserver);
    ot_pg_demo_smb(d, ot_pg_demo_at(24010));
    ot_pg_demo_rdp(d, ot_pg_demo_at(27000));
    ot_pg_demo_ftp(d, ot_pg_demo_at(30000));
    ot_pg_demo_telnet(d, ot_pg_demo_at(34000));

    dns_lookup(d, ot_pg_demo_at(40000), &d->pc1, "mail.example.com", "203.0.113.25", 19883);
    ot_pg_demo_pop3(d, ot_pg_demo_at(40030));
    ot_pg_demo_imap(d, ot_pg_demo_at(43000));
    ot_pg_demo_smtp(d, ot_pg_demo_at(46000));
    pings(d, ot_pg_demo_at(49000));
    ot_pg_demo_http_vlan(d, ot_pg_demo_at(53000));
    port_scan(d, ot_pg_demo_at(56000));
    dns_lookup(d, ot_pg_demo_at(59400), &d->pc2, "time.example.net", "198.51.100.123", 14077);
}

int ot_pg_demo_write(const char *path, struct ot_pg_summary *out)
{
    struct ot_pg_demo *d = calloc(1, sizeof(*d));
    if (!d)
        return OT_ENOMEM;
    d->rng.s = DEMO_SEED;
    int rc = ot_pg_sink_open(&d->sk, path, true);
    if (rc)
        goto out_free;
    rc = hosts_init(d);
    if (rc)
        ot_pg_sink_fail(&d->sk, rc);
    else
        timeline(d);
    *out = (struct ot_pg_summary){.packets = d->sk.packets,
                                  .bytes = d->sk.bytes,
                                  .conversations = d->conversations,
                                  .first_ts_us = d->sk.first_ts,
                                  .last_ts_us = d->sk.last_ts};
    rc = ot_pg_sink_close(&d->sk);
out_free:
    free(d);
    return rc;
}
