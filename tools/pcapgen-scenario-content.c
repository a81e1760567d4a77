/*
 * ot-pcapgen scenarios for the content detectors: DNS tunnels and DGAs,
 * beacons, cryptomining and remote-access tools, each with harmless
 * look-alikes (CDN names, a browsing session, a mail server's blocklist
 * look-ups, irregular polling, NTP, JSON-RPC that is not Stratum).
 *
 * Hosts follow pcapgen-scenario.h: the office is 192.168.1.0/24 with its
 * resolver on the router 192.168.1.1; outside hosts use 198.51.100.0/24 and
 * 203.0.113.0/24; names live under example.net / example.com and other
 * reserved or vendor names.  Each --count maps to what a detector counts
 * (see each scenario's comment and docs/detections/), so a test can write a
 * capture just below and at a threshold.
 */
#include <stdio.h>
#include <string.h>

#include "otasuke/error.h"
#include "pcapgen-proto.h"
#include "pcapgen-scenario.h"

#define MS  1000u
#define SEC 1000000ull

/* Scenario-local declarations (the table in pcapgen-scenario.c declares them too). */
#define SCENARIO(fn) int fn(struct ot_pg_sink *sk, const struct ot_pg_scenario_args *a)
SCENARIO(ot_pg_sc_dns_tunnel);
SCENARIO(ot_pg_sc_dns_tunnel_txt);
SCENARIO(ot_pg_sc_dns_benign_cdn);
SCENARIO(ot_pg_sc_dns_benign_dnsbl);
SCENARIO(ot_pg_sc_dga);
SCENARIO(ot_pg_sc_dns_benign_browsing);
SCENARIO(ot_pg_sc_beacon);
SCENARIO(ot_pg_sc_beacon_benign_irregular);
SCENARIO(ot_pg_sc_ntp_periodic);
SCENARIO(ot_pg_sc_stratum);
SCENARIO(ot_pg_sc_jsonrpc_benign);
SCENARIO(ot_pg_sc_mining_pool_names);
SCENARIO(ot_pg_sc_rat_anydesk_sni);
SCENARIO(ot_pg_sc_rat_teamviewer_dns);
SCENARIO(ot_pg_sc_rat_vnc_banner);
SCENARIO(ot_pg_sc_rat_nomachine_banner);

static int host(struct ot_pg_host *h, const char *ip, uint8_t mac_last, uint8_t ttl)
{
    const uint8_t mac[6] = {0x02, 0x4f, 0x54, 0x00, 0x02, mac_last};
    return ot_pg_host_init(h, mac, ip, ttl);
}

static void rng_init(struct ot_pg_rng *r, const struct ot_pg_scenario_args *a, uint64_t salt)
{
    r->s = a->seed * 0x9e3779b97f4a7c15ull ^ (salt << 8);
}

/* --- DNS over UDP ---------------------------------------------------------- */

enum { ANS_NONE = 0, ANS_A, ANS_CNAME_A, ANS_TXT, ANS_NX };

/*
 * One lookup: the query from CLI (source port SPORT) to the resolver RES and,
 * 2-30 ms later, its answer: an A record, a CNAME to TARGET plus its A, a TXT
 * record of TXT_LEN bytes, NXDOMAIN, or nothing (ANS_NONE).
 */
static void dns_lookup(struct ot_pg_sink *sk, struct ot_pg_rng *r, uint64_t t,
                       struct ot_pg_host *cli, uint16_t sport, struct ot_pg_host *res,
                       const char *qname, uint16_t qtype, int ans, const char *target,
                       size_t txt_len)
{
    uint8_t mem[1500];
    struct ot_pg_buf b;
    struct ot_pg_dns m;
    uint16_t id = (uint16_t)ot_pg_rand(r);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, id, OT_PG_DNS_QUERY);
    ot_pg_dns_question(&m, qname, qtype);
    ot_pg_dns_end(&m);
    if (b.overflow) {
        ot_pg_sink_fail(sk, OT_ELIMIT);
        return;
    }
    ot_pg_udp(sk, t, cli, sport, res, 53, 0, b.p, b.len, 0);
    if (ans == ANS_NONE)
        return;
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, id, ans == ANS_NX ? OT_PG_DNS_NXDOMAIN : OT_PG_DNS_RESPONSE);
    ot_pg_dns_question(&m, qname, qtype);
    char ip[32];
    snprintf(ip, sizeof(ip), "203.0.113.%u", 10 + ot_pg_below(r, 200));
    if (ans == ANS_A) {
        ot_pg_dns_rr_addr(&m, qname, 300, ip);
    } else if (ans == ANS_CNAME_A) {
        ot_pg_dns_rr_name(&m, qname, OT_PG_DNS_CNAME, 300, target);
        ot_pg_dns_rr_addr(&m, target, 20, ip);
    } else if (ans == ANS_TXT) {
        char txt[1024];
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t n = txt_len < sizeof(txt) - 1 ? txt_len : sizeof(txt) - 1;
        for (size_t i = 0; i < n; i++)
            txt[i] = b64[ot_pg_below(r, 64)];
        txt[n] = '\0';
        ot_pg_dns_rr_txt(&m, qname, 0, txt);
    } else if (ans == ANS_NX) {
        ot_pg_dns_section(&m, OT_PG_DNS_SEC_NS);
        ot_pg_dns_rr_soa(&m, "net", 900, "a.gtld-servers.net", "nstld.verisign-grs.com",
                         1770026400);
    }
    ot_pg_dns_end(&m);
    if (b.overflow) {
        ot_pg_sink_fail(sk, OT_ELIMIT);
        return;
    }
    ot_pg_udp(sk, t + 2 * MS + ot_pg_below(r, 28 * MS), res, 53, cli, sport, 0, b.p, b.len, 0);
}

static void hex(struct ot_pg_rng *r, char *out, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[i] = digits[ot_pg_below(r, 16)];
    out[n] = '\0';
}

static uint16_t sport_of(struct ot_pg_rng *r)
{
    return (uint16_t)(32768 + ot_pg_below(r, 28000));
}

/*
 * dnscat2-style upstream: an office PC (192.168.1.23) asks the resolver for
 * COUNT distinct TXT names "<32 hex>.<12 hex>.t.example.net", one every
 * 500 ms, and gets short TXT answers (downstream acks).  COUNT = distinct
 * encoded names (dns-tunnel.names).
 */
SCENARIO(ot_pg_sc_dns_tunnel)
{
    struct ot_pg_host pc, res;
    struct ot_pg_rng r;
    rng_init(&r, a, 11);
    if (host(&pc, "192.168.1.23", 0x17, 128) || host(&res, "192.168.1.1", 0x01, 64))
        return OT_EINVAL;
    uint16_t sport = sport_of(&r);
    for (uint32_t i = 0; i < a->count; i++) {
        char h1[40], h2[16], name[96];
        hex(&r, h1, 32);
        hex(&r, h2, 12);
        snprintf(name, sizeof(name), "%s.%s.t.example.net", h1, h2);
        dns_lookup(sk, &r, a->t0 + (uint64_t)i * 500 * MS, &pc, sport, &res, name, OT_PG_DNS_TXT,
                   ANS_TXT, NULL, 24);
    }
    return OT_OK;
}

/*
 * A tunnel's downstream: short query names ("q0001.d.example.net", not
 * encoded) answered with 220-byte TXT records, COUNT distinct names one a
 * second.  COUNT = large TXT answers (dns-tunnel.txt-answers).
 */
SCENARIO(ot_pg_sc_dns_tunnel_txt)
{
    struct ot_pg_host pc, res;
    struct ot_pg_rng r;
    rng_init(&r, a, 12);
    if (host(&pc, "192.168.1.24", 0x18, 128) || host(&res, "192.168.1.1", 0x01, 64))
        return OT_EINVAL;
    uint16_t sport = sport_of(&r);
    for (uint32_t i = 0; i < a->count; i++) {
        char name[64];
        snprintf(name, sizeof(name), "q%04u.d.example.net", i);
        dns_lookup(sk, &r, a->t0 + (uint64_t)i * SEC, &pc, sport, &res, name, OT_PG_DNS_TXT,
                   ANS_TXT, NULL, 220);
    }
    return OT_OK;
}

/*
 * The look-alike: an office PC streaming and browsing resolves COUNT names
 * served by CDNs, one every 700 ms: CloudFront/Akamai/Fastly style names,
 * video-server names with odd labels (googlevideo, nflxvideo), cloud
 * hostnames with embedded addresses, all CNAME + A.  The names come from a
 * fixed set of 48, so only the query volume grows with COUNT.
 */
SCENARIO(ot_pg_sc_dns_benign_cdn)
{
    static const char *const names[] = {
        "d1a2b3c4d5e6f7.cloudfront.net",
        "d3k8q9w2e1r4t5.cloudfront.net",
        "dz9x8c7v6b5n4m.cloudfront.net",
        "e1234.dscb.akamaiedge.net",
        "e6789.a.akamaiedge.net",
        "a248.e.akamai.net",
        "img-prod.global.ssl.fastly.net",
        "static.global.ssl.fastly.net",
        "rr3---sn-5hne6nzk.googlevideo.com",
        "rr1---sn-oguelnzz.googlevideo.com",
        "rr5---sn-a5mekn6s.googlevideo.com",
        "rr2---sn-4g5edndd.googlevideo.com",
        "ipv4-c001-sjc001-ix.1.oca.nflxvideo.net",
        "ipv4-c017-tyo001-ix.1.oca.nflxvideo.net",
        "ipv6-c004-nrt002-ix.1.oca.nflxvideo.net",
        "ec2-54-238-12-77.ap-northeast-1.compute.amazonaws.com",
        "ec2-13-112-45-9.ap-northeast-1.compute.amazonaws.com",
        "s3.ap-northeast-1.amazonaws.com",
        "my-shop-assets-prod-20240101.s3.amazonaws.com",
        "fonts.gstatic.com",
        "www.gstatic.com",
        "i.ytimg.com",
        "yt3.ggpht.com",
        "scontent-nrt1-1.xx.fbcdn.net",
        "scontent-nrt1-2.cdninstagram.com",
        "pbs.twimg.com",
        "abs.twimg.com",
        "static.xx.fbcdn.net",
        "cdn.jsdelivr.net",
        "cdnjs.cloudflare.com",
        "ajax.googleapis.com",
        "tpc.googlesyndication.com",
        "securepubads.g.doubleclick.net",
        "pagead2.googlesyndication.com",
        "stats.g.doubleclick.net",
        "www.google-analytics.com",
        "prod.azureedge.net",
        "officecdn-microsoft-com.akamaized.net",
        "audio-ak-spotify-com.akamaized.net",
        "i.scdn.co",
        "p.typekit.net",
        "use.typekit.net",
        "cdn.shopify.com",
        "assets.squarespace.com",
        "images-fe.ssl-images-amazon.com",
        "m.media-amazon.com",
        "d2a1b2c3d4e5f6.cloudfront.net",
        "cdn.example.com",
    };
    const uint32_t n = sizeof(names) / sizeof(names[0]);
    struct ot_pg_host pc, res;
    struct ot_pg_rng r;
    rng_init(&r, a, 13);
    if (host(&pc, "192.168.1.31", 0x1f, 128) || host(&res, "192.168.1.1", 0x01, 64))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        const char *q = names[i % n];
        dns_lookup(sk, &r, a->t0 + (uint64_t)i * 700 * MS, &pc, sport_of(&r), &res, q, OT_PG_DNS_A,
                   ANS_CNAME_A, "edge.cdn-provider.example.net", 0);
    }
    return OT_OK;
}

/*
 * The office mail server (192.168.1.5) checks COUNT sending addresses
 * against DNS blocklists ("4.3.2.1.zen.spamhaus.org", mostly NXDOMAIN = not
 * listed), one every 300 ms: data in DNS names by design.
 */
SCENARIO(ot_pg_sc_dns_benign_dnsbl)
{
    static const char *const lists[] = {"zen.spamhaus.org", "bl.spamcop.net",
                                        "b.barracudacentral.org"};
    struct ot_pg_host mx, res;
    struct ot_pg_rng r;
    rng_init(&r, a, 14);
    if (host(&mx, "192.168.1.5", 0x05, 64) || host(&res, "192.168.1.1", 0x01, 64))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        char name[96];
        snprintf(name, sizeof(name), "%u.%u.%u.%u.%s", ot_pg_below(&r, 256), ot_pg_below(&r, 256),
                 100 + ot_pg_below(&r, 100), 1 + ot_pg_below(&r, 220), lists[i % 3]);
        dns_lookup(sk, &r, a->t0 + (uint64_t)i * 300 * MS, &mx, sport_of(&r), &res, name,
                   OT_PG_DNS_A, i % 10 == 9 ? ANS_A : ANS_NX, NULL, 0);
    }
    return OT_OK;
}

/* A random label of 12-17 letters, few vowels, a digit now and then (Conficker, Ramnit style). */
static void dga_label(struct ot_pg_rng *r, char *out)
{
    static const char letters[] = "bcdfghjklmnpqrstvwxzaeiouy";
    unsigned n = 12 + ot_pg_below(r, 6);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = ot_pg_below(r, 100);
        if (k < 8)
            out[i] = (char)('0' + ot_pg_below(r, 10));
        else if (k < 20)
            out[i] = letters[20 + ot_pg_below(r, 6)]; /* a vowel */
        else
            out[i] = letters[ot_pg_below(r, 20)];
    }
    out[n] = '\0';
}

/*
 * An infected PC (192.168.1.66) tries COUNT generated domains (.com, .net,
 * .org, .info, .biz), one every 2 s; three in four answer NXDOMAIN, the
 * fourth resolves (i % 4 == 3).  With the defaults (score 30, nx-weight 3)
 * the score after COUNT names is COUNT + 3 x NXDOMAINs: 8 names make 26, 9
 * make 30.
 */
SCENARIO(ot_pg_sc_dga)
{
    static const char *const tlds[] = {"com", "net", "org", "info", "biz"};
    struct ot_pg_host pc, res;
    struct ot_pg_rng r;
    rng_init(&r, a, 15);
    if (host(&pc, "192.168.1.66", 0x42, 128) || host(&res, "192.168.1.1", 0x01, 64))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        char label[32], name[64];
        dga_label(&r, label);
        snprintf(name, sizeof(name), "%s.%s", label, tlds[i % 5]);
        dns_lookup(sk, &r, a->t0 + (uint64_t)i * 2 * SEC, &pc, sport_of(&r), &res, name,
                   OT_PG_DNS_A, i % 4 == 3 ? ANS_A : ANS_NX, NULL, 0);
    }
    return OT_OK;
}

/*
 * The look-alike: an office PC browsing, COUNT look-ups one every 1.5 s
 * from a set of 64 ordinary names (news, shops, SaaS, Japanese sites, ad
 * and analytics hosts), a few of them typos that answer NXDOMAIN, plus
 * AAAA twins.
 */
SCENARIO(ot_pg_sc_dns_benign_browsing)
{
    static const char *const names[] = {
        "www.google.com",
        "www.youtube.com",
        "www.yahoo.co.jp",
        "news.yahoo.co.jp",
        "www.amazon.co.jp",
        "www.rakuten.co.jp",
        "item.rakuten.co.jp",
        "www.nikkei.com",
        "www3.nhk.or.jp",
        "www.asahi.com",
        "mainichi.jp",
        "www.itmedia.co.jp",
        "outlook.office365.com",
        "login.microsoftonline.com",
        "teams.microsoft.com",
        "www.office.com",
        "mail.google.com",
        "drive.google.com",
        "docs.google.com",
        "www.dropbox.com",
        "app.slack.com",
        "zoom.us",
        "www.chatwork.com",
        "cybozu.com",
        "kintone.cybozu.com",
        "www.freee.co.jp",
        "biz.moneyforward.com",
        "smarthr.jp",
        "www.mercari.com",
        "www.kakaku.com",
        "tabelog.com",
        "www.jalan.net",
        "www.jr-east.co.jp",
        "www.wikipedia.org",
        "ja.wikipedia.org",
        "github.com",
        "api.github.com",
        "stackoverflow.com",
        "www.linkedin.com",
        "twitter.com",
        "www.instagram.com",
        "www.facebook.com",
        "line.me",
        "www.apple.com",
        "www.icloud.com",
        "www.bing.com",
        "ocsp.digicert.com",
        "ocsp.pki.goog",
        "ctldl.windowsupdate.com",
        "www.msftconnecttest.com",
        "connectivitycheck.gstatic.com",
        "www.googletagmanager.com",
        "static.criteo.net",
        "cdn.taboola.com",
        "widgets.outbrain.com",
        "b.scorecardresearch.com",
        "ib.adnxs.com",
        "www.netflix.com",
        "open.spotify.com",
        "gogle.com.example.net",
        "wwww.nikkei.com",
        "www.amazn.co.jp",
        "intranet.example.com",
        "portal.example.com",
    };
    const uint32_t n = sizeof(names) / sizeof(names[0]);
    struct ot_pg_host pc, res;
    struct ot_pg_rng r;
    rng_init(&r, a, 16);
    if (host(&pc, "192.168.1.32", 0x20, 128) || host(&res, "192.168.1.1", 0x01, 64))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        const char *q = names[i % n];
        bool typo = strstr(q, "gogle") || strstr(q, "wwww") || strstr(q, "amazn");
        uint64_t t = a->t0 + (uint64_t)i * 1500 * MS;
        dns_lookup(sk, &r, t, &pc, sport_of(&r), &res, q, OT_PG_DNS_A, typo ? ANS_NX : ANS_A, NULL,
                   0);
        if (i % 3 == 0)
            dns_lookup(sk, &r, t + 400, &pc, sport_of(&r), &res, q, OT_PG_DNS_AAAA,
                       typo ? ANS_NX : ANS_NONE, NULL, 0);
    }
    return OT_OK;
}

/* --- beacons ---------------------------------------------------------------- */

/* One short TLS-looking check-in: handshake, 300 bytes up, 120 down, close. */
static void checkin(struct ot_pg_sink *sk, struct ot_pg_rng *r, struct ot_pg_host *cli,
                    uint16_t cport, struct ot_pg_host *srv, uint16_t sport, uint64_t t)
{
    uint8_t up[300], down[120];
    struct ot_pg_tcp c;
    ot_pg_tcp_init(&c, sk, cli, cport, srv, sport, (uint32_t)ot_pg_rand(r), (uint32_t)ot_pg_rand(r),
                   t);
    ot_pg_tcp_handshake(&c, 0, 40 * MS);
    ot_pg_fill(r, up, sizeof(up));
    up[0] = OT_PG_TLS_APPDATA;
    up[1] = 3;
    up[2] = 3;
    up[3] = (uint8_t)((sizeof(up) - 5) >> 8);
    up[4] = (uint8_t)(sizeof(up) - 5);
    ot_pg_tcp_send(&c, OT_PG_C2S, up, sizeof(up), 300);
    ot_pg_fill(r, down, sizeof(down));
    down[0] = OT_PG_TLS_APPDATA;
    down[1] = 3;
    down[2] = 3;
    down[3] = 0;
    down[4] = (uint8_t)(sizeof(down) - 5);
    ot_pg_tcp_send(&c, OT_PG_S2C, down, sizeof(down), c.rtt_us + 5 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 20 * MS);
}

/*
 * An implant on 192.168.1.42 checks in with 203.0.113.50:443 every 60 s
 * with up to +-1.5 s of jitter: COUNT check-ins (beacon.connections, 8 by
 * default; 8 check-ins span 7 minutes, past min-span).
 */
SCENARIO(ot_pg_sc_beacon)
{
    struct ot_pg_host pc, c2;
    struct ot_pg_rng r;
    rng_init(&r, a, 21);
    if (host(&pc, "192.168.1.42", 0x2a, 128) || host(&c2, "203.0.113.50", 0x01, 52))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t t = a->t0 + (uint64_t)i * 60 * SEC + ot_pg_below(&r, 3000) * MS;
        checkin(sk, &r, &pc, (uint16_t)(49152 + i), &c2, 443, t);
    }
    return OT_OK;
}

/*
 * The look-alike: the same host and server, COUNT connections at irregular
 * intervals (15-240 s, uniform), as a person using a web application does.
 */
SCENARIO(ot_pg_sc_beacon_benign_irregular)
{
    struct ot_pg_host pc, srv;
    struct ot_pg_rng r;
    rng_init(&r, a, 22);
    if (host(&pc, "192.168.1.42", 0x2a, 128) || host(&srv, "203.0.113.50", 0x01, 52))
        return OT_EINVAL;
    uint64_t t = a->t0;
    for (uint32_t i = 0; i < a->count; i++) {
        checkin(sk, &r, &pc, (uint16_t)(49152 + i), &srv, 443, t);
        t += (15 + ot_pg_below(&r, 226)) * SEC + ot_pg_below(&r, 1000) * MS;
    }
    return OT_OK;
}

/*
 * The look-alike: an office PC's NTP client polls 203.0.113.123 every 64 s,
 * each poll from a new source port (a new flow): COUNT polls.
 */
SCENARIO(ot_pg_sc_ntp_periodic)
{
    struct ot_pg_host pc, ntp;
    struct ot_pg_rng r;
    rng_init(&r, a, 23);
    if (host(&pc, "192.168.1.43", 0x2b, 128) || host(&ntp, "203.0.113.123", 0x01, 55))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        uint8_t pkt[48];
        memset(pkt, 0, sizeof(pkt));
        pkt[0] = 0x23; /* v4, client */
        ot_pg_fill(&r, pkt + 40, 8);
        uint64_t t = a->t0 + (uint64_t)i * 64 * SEC;
        uint16_t sport = (uint16_t)(50000 + i);
        ot_pg_udp(sk, t, &pc, sport, &ntp, 123, 0, pkt, sizeof(pkt), 0);
        pkt[0] = 0x24; /* v4, server */
        pkt[1] = 2;
        ot_pg_udp(sk, t + 15 * MS, &ntp, 123, &pc, sport, 0, pkt, sizeof(pkt), 0);
    }
    return OT_OK;
}

/* --- cryptomining ------------------------------------------------------------ */

static void tcp_exchange(struct ot_pg_sink *sk, struct ot_pg_rng *r, struct ot_pg_host *cli,
                         uint16_t cport, struct ot_pg_host *srv, uint16_t sport, uint64_t t,
                         const char *c2s, const char *s2c)
{
    struct ot_pg_tcp c;
    ot_pg_tcp_init(&c, sk, cli, cport, srv, sport, (uint32_t)ot_pg_rand(r), (uint32_t)ot_pg_rand(r),
                   t);
    ot_pg_tcp_handshake(&c, 0, 30 * MS);
    if (c2s)
        ot_pg_tcp_send(&c, OT_PG_C2S, c2s, strlen(c2s), 500);
    if (s2c)
        ot_pg_tcp_send(&c, OT_PG_S2C, s2c, strlen(s2c), c.rtt_us + 3 * MS);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 200);
    ot_pg_tcp_close(&c, OT_PG_C2S, 2 * SEC);
}

/*
 * COUNT office PCs (192.168.1.100 up) mine for a pool at 198.51.100.33:3333,
 * ten seconds apart: even ones log in like XMRig ("login" with "agent"),
 * odd ones speak Bitcoin Stratum ("mining.subscribe").  One alert per PC.
 */
SCENARIO(ot_pg_sc_stratum)
{
    static const char xmrig[] =
        "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":"
        "\"48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4f"
        "hdUyZijBGUicoD\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 "
        "gcc/12.2.0\",\"algo\":[\"rx/0\",\"cn/r\"]}}\n";
    static const char xmr_reply[] =
        "{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"8a2f3c\",\"job\":"
        "{\"blob\":\"0e0e8fb0e6a50600\",\"job_id\":\"314159\",\"target\":\"b88d0600\","
        "\"algo\":\"rx/0\"},\"status\":\"OK\"}}\n";
    static const char subscribe[] =
        "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/4.12.0\"]}\n";
    static const char sub_reply[] = "{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],["
                                    "\"mining.notify\",\"ae6812eb\"]],"
                                    "\"08000002\",4],\"error\":null}\n";
    struct ot_pg_host pool;
    struct ot_pg_rng r;
    rng_init(&r, a, 31);
    if (host(&pool, "198.51.100.33", 0x01, 50))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count && i < 150; i++) {
        struct ot_pg_host pc;
        char ip[32];
        snprintf(ip, sizeof(ip), "192.168.1.%u", 100 + i);
        if (host(&pc, ip, (uint8_t)(0x60 + i), 128))
            return OT_EINVAL;
        bool x = i % 2 == 0;
        tcp_exchange(sk, &r, &pc, (uint16_t)(40000 + i), &pool, 3333,
                     a->t0 + (uint64_t)i * 10 * SEC, x ? xmrig : subscribe,
                     x ? xmr_reply : sub_reply);
    }
    return OT_OK;
}

/*
 * The look-alike: JSON-RPC on port 3333 that is not mining (an "echo", and a
 * web application's "login" without miner fields), COUNT exchanges.
 */
SCENARIO(ot_pg_sc_jsonrpc_benign)
{
    static const char *const reqs[] = {
        "{\"jsonrpc\": \"2.0\", \"method\": \"echo\", \"params\": [\"Testing!\"], \"id\": 1}\n",
        ("{\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"user\":\"sato\","
         "\"password\":\"hunter2\"},\"id\":2}\n"),
        "{\"jsonrpc\":\"2.0\",\"method\":\"getStatus\",\"params\":[],\"id\":3}\n",
    };
    static const char reply[] = "{\"jsonrpc\":\"2.0\",\"result\":\"ok\",\"id\":1}\n";
    struct ot_pg_host pc, srv;
    struct ot_pg_rng r;
    rng_init(&r, a, 32);
    if (host(&pc, "192.168.1.44", 0x2c, 128) || host(&srv, "198.51.100.34", 0x01, 50))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++)
        tcp_exchange(sk, &r, &pc, (uint16_t)(41000 + i), &srv, 3333, a->t0 + (uint64_t)i * 5 * SEC,
                     reqs[i % 3], reply);
    return OT_OK;
}

/* One TLS ClientHello naming SNI, the server's first flight, and a close. */
static void tls_hello(struct ot_pg_sink *sk, struct ot_pg_rng *r, struct ot_pg_host *cli,
                      uint16_t cport, struct ot_pg_host *srv, uint16_t sport, const char *sni,
                      uint64_t t)
{
    static const char *const alpn[] = {"http/1.1"};
    uint8_t mem[2048], rnd[32], sid[32], key[32], blob[600];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_tcp_init(&c, sk, cli, cport, srv, sport, (uint32_t)ot_pg_rand(r), (uint32_t)ot_pg_rand(r),
                   t);
    ot_pg_tcp_handshake(&c, 0, 25 * MS);
    ot_pg_fill(r, rnd, 32);
    ot_pg_fill(r, sid, 32);
    ot_pg_fill(r, key, 32);
    struct ot_pg_tls_hello h = {.random = rnd,
                                .session_id = sid,
                                .sni = sni,
                                .alpn = alpn,
                                .n_alpn = 1,
                                .tls13 = true,
                                .key_share = key};
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_client_hello(&b, &h);
    if (b.overflow) {
        ot_pg_sink_fail(sk, OT_ELIMIT);
        return;
    }
    ot_pg_tcp_send(&c, OT_PG_C2S, b.p, b.len, 300);
    ot_pg_fill(r, rnd, 32);
    ot_pg_fill(r, key, 32);
    struct ot_pg_tls_server s = {
        .random = rnd, .session_id = sid, .cipher = 0x1301, .tls13 = true, .key_share = key};
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_server_hello(&b, &s);
    ot_pg_tls_change_cipher_spec(&b);
    ot_pg_fill(r, blob, sizeof(blob));
    ot_pg_tls_record(&b, OT_PG_TLS_APPDATA, blob, sizeof(blob));
    if (b.overflow) {
        ot_pg_sink_fail(sk, OT_ELIMIT);
        return;
    }
    ot_pg_tcp_send(&c, OT_PG_S2C, b.p, b.len, c.rtt_us + 2 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 3 * SEC);
}

/*
 * A miner set up for stratum over TLS: 192.168.1.45 looks up
 * "pool.supportxmr.com" then connects with SNI "gulf.moneroocean.stream",
 * COUNT times a minute apart (one DNS alert, one TLS alert).
 */
SCENARIO(ot_pg_sc_mining_pool_names)
{
    struct ot_pg_host pc, res, pool;
    struct ot_pg_rng r;
    rng_init(&r, a, 33);
    if (host(&pc, "192.168.1.45", 0x2d, 128) || host(&res, "192.168.1.1", 0x01, 64) ||
        host(&pool, "198.51.100.35", 0x01, 50))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t t = a->t0 + (uint64_t)i * 60 * SEC;
        dns_lookup(sk, &r, t, &pc, sport_of(&r), &res, "pool.supportxmr.com", OT_PG_DNS_A, ANS_A,
                   NULL, 0);
        tls_hello(sk, &r, &pc, (uint16_t)(42000 + i), &pool, 443, "gulf.moneroocean.stream",
                  t + 100 * MS);
    }
    return OT_OK;
}

/* --- remote-access tools ------------------------------------------------------ */

/*
 * An office PC (192.168.1.30) opens COUNT AnyDesk relay sessions over TLS
 * (SNI "relay-8f3a2b1c.net.anydesk.com"), a minute apart: one alert.
 */
SCENARIO(ot_pg_sc_rat_anydesk_sni)
{
    struct ot_pg_host pc, relay;
    struct ot_pg_rng r;
    rng_init(&r, a, 41);
    if (host(&pc, "192.168.1.30", 0x1e, 128) || host(&relay, "203.0.113.90", 0x01, 50))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++)
        tls_hello(sk, &r, &pc, (uint16_t)(43000 + i), &relay, 443, "relay-8f3a2b1c.net.anydesk.com",
                  a->t0 + (uint64_t)i * 60 * SEC);
    return OT_OK;
}

/* An office PC (192.168.1.33) resolves TeamViewer's servers COUNT times: one low alert. */
SCENARIO(ot_pg_sc_rat_teamviewer_dns)
{
    static const char *const names[] = {"router1.teamviewer.com", "master5.teamviewer.com",
                                        "ping3.teamviewer.com"};
    struct ot_pg_host pc, res;
    struct ot_pg_rng r;
    rng_init(&r, a, 42);
    if (host(&pc, "192.168.1.33", 0x21, 128) || host(&res, "192.168.1.1", 0x01, 64))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++)
        dns_lookup(sk, &r, a->t0 + (uint64_t)i * 5 * SEC, &pc, sport_of(&r), &res, names[i % 3],
                   OT_PG_DNS_A, ANS_A, NULL, 0);
    return OT_OK;
}

/*
 * COUNT VNC sessions from outside (198.51.100.20) to an office PC
 * (192.168.1.50:5900): the server's "RFB 003.008\n" banner, the client's
 * answer, the security types.  One alert, for the inside PC.
 */
SCENARIO(ot_pg_sc_rat_vnc_banner)
{
    struct ot_pg_host viewer, pc;
    struct ot_pg_rng r;
    rng_init(&r, a, 43);
    if (host(&viewer, "198.51.100.20", 0x01, 50) || host(&pc, "192.168.1.50", 0x32, 128))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        struct ot_pg_tcp c;
        ot_pg_tcp_init(&c, sk, &viewer, (uint16_t)(44000 + i), &pc, 5900, (uint32_t)ot_pg_rand(&r),
                       (uint32_t)ot_pg_rand(&r), a->t0 + (uint64_t)i * 30 * SEC);
        ot_pg_tcp_handshake(&c, 0, 60 * MS);
        ot_pg_tcp_send(&c, OT_PG_S2C, "RFB 003.008\n", 12, 2 * MS);
        ot_pg_tcp_send(&c, OT_PG_C2S, "RFB 003.008\n", 12, c.rtt_us + 1 * MS);
        static const uint8_t sec[] = {0x01, 0x02};
        ot_pg_tcp_send(&c, OT_PG_S2C, sec, sizeof(sec), 1 * MS);
        ot_pg_tcp_close(&c, OT_PG_C2S, 2 * SEC);
    }
    return OT_OK;
}

/* COUNT NoMachine sessions between two office PCs on port 4000 ("NXSH-" / "NXD-"). */
SCENARIO(ot_pg_sc_rat_nomachine_banner)
{
    struct ot_pg_host a1, b1;
    struct ot_pg_rng r;
    rng_init(&r, a, 44);
    if (host(&a1, "192.168.1.51", 0x33, 64) || host(&b1, "192.168.1.52", 0x34, 128))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++)
        tcp_exchange(sk, &r, &a1, (uint16_t)(45000 + i), &b1, 4000, a->t0 + (uint64_t)i * 30 * SEC,
                     "NXSH-8.10.1\n", "NXD-8.10.1\n");
    return OT_OK;
}
