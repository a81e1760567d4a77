/*
 * ot-pcapgen scenario for the asset inventory (sensor/asset/): an office
 * whose devices make themselves known the ways real ones do, each through
 * one name protocol, with MACs from real IEEE blocks so that vendors show.
 *
 *   device 1  00:11:32 (Synology)        DHCP DISCOVER/OFFER/REQUEST/ACK, host
 *             192.168.1.20                 name "nas1", vendor class "udhcp 1.23.1"
 *   device 2  b8:27:eb (Raspberry Pi)    mDNS announcement "printer2.local" A
 *             192.168.1.21
 *   device 3  00:1b:63 (Apple)           NetBIOS name registration DESKTOP3<00>
 *             192.168.1.22
 *   device 4  f4:f5:d8 (Google)          LLMNR answer "laptop4" to device 1's query
 *             192.168.1.23
 *   device 5+ 3c:5a:b4 (Google)          one DNS look-up each, no name
 *             192.168.1.(30+N)
 *
 * and the router (02:4f:54:00:01:01, 192.168.1.1, locally administered: no
 * vendor), which answers DHCP and DNS.  --count is the number of devices
 * (default 4); the first N of the list above take part, always with the
 * same MACs, so the capture of count N+1 holds exactly one device more
 * than the capture of count N (the new-device tests rely on it).
 */
#include <stdio.h>
#include <string.h>

#include "otasuke/error.h"
#include "pcapgen-proto.h"
#include "pcapgen-scenario.h"

#define MS  1000u
#define SEC 1000000u

#define SCENARIO(fn) int fn(struct ot_pg_sink *sk, const struct ot_pg_scenario_args *a)
SCENARIO(ot_pg_sc_assets_office);

#define MAX_DEVICES 200

static const uint8_t router_mac[6] = {0x02, 0x4f, 0x54, 0x00, 0x01, 0x01};

static int dev(struct ot_pg_host *h, const uint8_t oui[3], uint8_t n, const char *ip)
{
    const uint8_t mac[6] = {oui[0], oui[1], oui[2], 0xaa, 0x00, n};
    return ot_pg_host_init(h, mac, ip, 64);
}

/* A multicast or broadcast destination: its group MAC. */
static int group(struct ot_pg_host *h, const char *ip)
{
    uint8_t mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t a[4];
    if (sscanf(ip, "%hhu.%hhu.%hhu.%hhu", &a[0], &a[1], &a[2], &a[3]) != 4)
        return OT_EINVAL;
    if (a[0] >= 224 && a[0] <= 239) {
        mac[0] = 0x01, mac[1] = 0x00, mac[2] = 0x5e;
        mac[3] = a[1] & 0x7f, mac[4] = a[2], mac[5] = a[3];
    }
    return ot_pg_host_init(h, mac, ip, 255);
}

static bool sent(struct ot_pg_sink *sk, const struct ot_pg_buf *b)
{
    if (b->overflow) {
        ot_pg_sink_fail(sk, OT_ELIMIT);
        return false;
    }
    return true;
}

/* Device 1 gets its address: DISCOVER, OFFER, REQUEST, ACK, as udhcpc does it. */
static void dhcp(struct ot_pg_sink *sk, uint64_t t, struct ot_pg_host *cli,
                 struct ot_pg_host *router)
{
    struct ot_pg_host unset, bcast;
    if (ot_pg_host_init(&unset, cli->mac, "0.0.0.0", 64) || group(&bcast, "255.255.255.255")) {
        ot_pg_sink_fail(sk, OT_EINVAL);
        return;
    }
    static const uint8_t kinds[4] = {1, 2, 3, 5};
    static const uint8_t mask[4] = {255, 255, 255, 0}, lease[4] = {0, 1, 0x51, 0x80};
    for (int i = 0; i < 4; i++) {
        uint8_t mem[600];
        struct ot_pg_buf b;
        ot_pg_buf_init(&b, mem, sizeof(mem));
        bool server = kinds[i] == 2 || kinds[i] == 5;
        t += server ? 1200 : 3 * MS;
        ot_pg_dhcp_begin(&b, server ? 2 : 1, 0x5a17c0de, 0, 0, NULL, server ? cli->ip : NULL,
                         server ? router->ip : NULL, cli->mac);
        ot_pg_dhcp_opt(&b, 53, &kinds[i], 1);
        if (server) {
            ot_pg_dhcp_opt(&b, 54, router->ip, 4);
            ot_pg_dhcp_opt(&b, 51, lease, 4);
            ot_pg_dhcp_opt(&b, 1, mask, 4);
            ot_pg_dhcp_opt(&b, 3, router->ip, 4);
        } else {
            if (kinds[i] == 3) {
                ot_pg_dhcp_opt(&b, 50, cli->ip, 4);
                ot_pg_dhcp_opt(&b, 54, router->ip, 4);
            }
            ot_pg_dhcp_opt(&b, 12, "nas1", 4);
            ot_pg_dhcp_opt(&b, 60, "udhcp 1.23.1", 12);
        }
        ot_pg_dhcp_end(&b);
        if (!sent(sk, &b))
            return;
        if (server)
            ot_pg_udp(sk, t, router, 67, cli, 68, 0, b.p, b.len, 0);
        else
            ot_pg_udp(sk, t, &unset, 68, &bcast, 67, 0, b.p, b.len, 0);
    }
}

/* A look-up of www.example.com from CLI and the router's answer. */
static void dns(struct ot_pg_sink *sk, uint64_t t, struct ot_pg_host *cli, uint16_t id,
                struct ot_pg_host *router)
{
    uint8_t mem[512];
    struct ot_pg_buf b;
    struct ot_pg_dns m;
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, id, OT_PG_DNS_QUERY);
    ot_pg_dns_question(&m, "www.example.com", OT_PG_DNS_A);
    ot_pg_dns_end(&m);
    if (!sent(sk, &b))
        return;
    uint16_t sport = (uint16_t)(40000 + id);
    ot_pg_udp(sk, t, cli, sport, router, 53, 0, b.p, b.len, 0);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, id, OT_PG_DNS_RESPONSE);
    ot_pg_dns_question(&m, "www.example.com", OT_PG_DNS_A);
    ot_pg_dns_rr_addr(&m, "www.example.com", 300, "203.0.113.80");
    ot_pg_dns_end(&m);
    if (sent(sk, &b))
        ot_pg_udp(sk, t + 9 * MS, router, 53, cli, sport, 0, b.p, b.len, 0);
}

/* Device 2 announces its name on mDNS (an unsolicited response, RFC 6762 8.3). */
static void mdns(struct ot_pg_sink *sk, uint64_t t, struct ot_pg_host *h)
{
    struct ot_pg_host grp;
    if (group(&grp, "224.0.0.251")) {
        ot_pg_sink_fail(sk, OT_EINVAL);
        return;
    }
    uint8_t mem[512];
    struct ot_pg_buf b;
    struct ot_pg_dns m;
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, 0, 0x8400); /* QR, AA */
    ot_pg_dns_rr_addr(&m, "printer2.local", 120, "192.168.1.21");
    ot_pg_dns_end(&m);
    if (sent(sk, &b))
        ot_pg_udp(sk, t, h, 5353, &grp, 5353, 0, b.p, b.len, 0);
}

/* NetBIOS first-level encoding of a 15-character name and its suffix (RFC 1001 14.1). */
static void nb_encode(const char *name, uint8_t suffix, char out[33])
{
    uint8_t raw[16];
    memset(raw, ' ', 15);
    memcpy(raw, name, strnlen(name, 15));
    raw[15] = suffix;
    for (int i = 0; i < 16; i++) {
        out[2 * i] = (char)('A' + (raw[i] >> 4));
        out[2 * i + 1] = (char)('A' + (raw[i] & 15));
    }
    out[32] = 0;
}

/* Device 3 registers DESKTOP3<00> by broadcast (a B-node booting). */
static void nbns(struct ot_pg_sink *sk, uint64_t t, struct ot_pg_host *h)
{
    struct ot_pg_host bcast;
    if (group(&bcast, "192.168.1.255")) {
        ot_pg_sink_fail(sk, OT_EINVAL);
        return;
    }
    char enc[33];
    nb_encode("DESKTOP3", 0x00, enc);
    uint8_t mem[512];
    struct ot_pg_buf b;
    struct ot_pg_dns m;
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, 0x8012, 0x2910); /* registration, RD, broadcast */
    ot_pg_dns_question(&m, enc, 0x20);        /* NB */
    ot_pg_dns_section(&m, OT_PG_DNS_SEC_AR);
    const uint8_t rd[6] = {0x00, 0x00, 192, 168, 1, 22}; /* unique, B-node */
    ot_pg_dns_rr(&m, enc, 0x20, 300000, rd, sizeof(rd));
    ot_pg_dns_end(&m);
    if (sent(sk, &b))
        ot_pg_udp(sk, t, h, 137, &bcast, 137, 0, b.p, b.len, 0);
}

/* Device 1 asks LLMNR for "laptop4"; device 4 answers (RFC 4795). */
static void llmnr(struct ot_pg_sink *sk, uint64_t t, struct ot_pg_host *asker,
                  struct ot_pg_host *h)
{
    struct ot_pg_host grp;
    if (group(&grp, "224.0.0.252")) {
        ot_pg_sink_fail(sk, OT_EINVAL);
        return;
    }
    uint8_t mem[512];
    struct ot_pg_buf b;
    struct ot_pg_dns m;
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, 0x4c4d, 0x0000);
    ot_pg_dns_question(&m, "laptop4", OT_PG_DNS_A);
    ot_pg_dns_end(&m);
    if (!sent(sk, &b))
        return;
    ot_pg_udp(sk, t, asker, 53535, &grp, 5355, 0, b.p, b.len, 0);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_dns_begin(&m, &b, 0x4c4d, 0x8000);
    ot_pg_dns_question(&m, "laptop4", OT_PG_DNS_A);
    ot_pg_dns_rr_addr(&m, "laptop4", 30, "192.168.1.23");
    ot_pg_dns_end(&m);
    if (sent(sk, &b))
        ot_pg_udp(sk, t + 2 * MS, h, 5355, asker, 53535, 0, b.p, b.len, 0);
}

/*
 * An office of COUNT devices making themselves known one after another,
 * ten seconds apart, each then using the network once more a minute later.
 */
SCENARIO(ot_pg_sc_assets_office)
{
    static const uint8_t synology[3] = {0x00, 0x11, 0x32}, rpi[3] = {0xb8, 0x27, 0xeb},
                         apple[3] = {0x00, 0x1b, 0x63}, google[3] = {0xf4, 0xf5, 0xd8},
                         google2[3] = {0x3c, 0x5a, 0xb4};
    if (a->count > MAX_DEVICES)
        return OT_ELIMIT;
    struct ot_pg_host router, d[5];
    if (ot_pg_host_init(&router, router_mac, "192.168.1.1", 64) ||
        dev(&d[1], synology, 1, "192.168.1.20") || dev(&d[2], rpi, 2, "192.168.1.21") ||
        dev(&d[3], apple, 3, "192.168.1.22") || dev(&d[4], google, 4, "192.168.1.23"))
        return OT_EINVAL;
    uint64_t t = a->t0;
    for (uint32_t i = 1; i <= a->count; i++, t += 10 * SEC) {
        switch (i) {
        case 1:
            dhcp(sk, t, &d[1], &router);
            dns(sk, t + SEC, &d[1], 1, &router);
            break;
        case 2:
            mdns(sk, t, &d[2]);
            dns(sk, t + SEC, &d[2], 2, &router);
            break;
        case 3:
            nbns(sk, t, &d[3]);
            dns(sk, t + SEC, &d[3], 3, &router);
            break;
        case 4:
            llmnr(sk, t, &d[1], &d[4]); /* device 1 asks: it is there, count >= 4 */
            break;
        default: {
            struct ot_pg_host h;
            char ip[32];
            snprintf(ip, sizeof(ip), "192.168.1.%u", 30 + i);
            if (dev(&h, google2, (uint8_t)i, ip))
                return OT_EINVAL;
            dns(sk, t, &h, (uint16_t)i, &router);
            break;
        }
        }
    }
    /* A minute later the named devices are still around. */
    for (uint32_t i = 1; i <= a->count && i <= 4; i++)
        dns(sk, t + 60 * SEC + i * SEC, &d[i], (uint16_t)(100 + i), &router);
    return OT_OK;
}
