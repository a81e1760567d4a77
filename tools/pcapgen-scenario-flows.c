/*
 * ot-pcapgen scenarios for the flow-shape detectors: scans and sweeps,
 * password guessing, exposed services and lateral movement, with their
 * harmless look-alikes (a busy web client, an outbound remote desktop).
 *
 * Hosts follow pcapgen-scenario.h: the office is 192.168.1.0/24 (targets
 * beyond 250 spill into 192.168.2.0/24 and up, still home), outside hosts
 * use 198.51.100.0/24 and 203.0.113.0/24.  Each scenario's --count maps
 * one to one to what its detector counts (every probe of a scan fails,
 * every guessing session is short), so a test can write count =
 * threshold - 1 and count = threshold and expect nothing, then one alert.
 */
#include <stdio.h>
#include <string.h>

#include "otasuke/error.h"
#include "pcapgen-proto.h"
#include "pcapgen-scenario.h"

#define MS  1000u
#define SEC 1000000u

/* Scenario-local declarations (the table in pcapgen-scenario.c declares them too). */
#define SCENARIO(fn) int fn(struct ot_pg_sink *sk, const struct ot_pg_scenario_args *a)
SCENARIO(ot_pg_sc_scan_horizontal);
SCENARIO(ot_pg_sc_scan_vertical);
SCENARIO(ot_pg_sc_scan_udp);
SCENARIO(ot_pg_sc_icmp_sweep);
SCENARIO(ot_pg_sc_busy_web_client);
SCENARIO(ot_pg_sc_bruteforce_ssh);
SCENARIO(ot_pg_sc_bruteforce_ssh_success);
SCENARIO(ot_pg_sc_bruteforce_ftp);
SCENARIO(ot_pg_sc_bruteforce_ftp_success);
SCENARIO(ot_pg_sc_bruteforce_rdp);
SCENARIO(ot_pg_sc_bruteforce_http);
SCENARIO(ot_pg_sc_exposure_rdp);
SCENARIO(ot_pg_sc_rdp_outbound);
SCENARIO(ot_pg_sc_lateral_smb);

/* A host: office hosts have their own MAC, remote ones show the router's. */
static int host(struct ot_pg_host *h, const char *ip, uint8_t mac_last, uint8_t ttl)
{
    const uint8_t mac[6] = {0x02, 0x4f, 0x54, 0x00, 0x01, mac_last};
    return ot_pg_host_init(h, mac, ip, ttl);
}

/* Office target number I (0-based): 192.168.1.1 upwards, skipping SKIP's last octet. */
static int office_host(struct ot_pg_host *h, uint32_t i, uint8_t skip)
{
    uint32_t net = 1 + i / 250, last = 1 + i % 250;
    if (net == 1 && last >= skip)
        last++; /* may reach 251: still a host address */
    char ip[32];
    snprintf(ip, sizeof(ip), "192.168.%u.%u", net, last);
    return host(h, ip, (uint8_t)(0x80 + (i & 0x3f)), 64);
}

static uint16_t eph(uint32_t i)
{
    return (uint16_t)(40000 + i % 20000);
}

static void rng_init(struct ot_pg_rng *r, const struct ot_pg_scenario_args *a, uint64_t salt)
{
    r->s = a->seed * 0x9e3779b97f4a7c15ull ^ salt;
}

/* Send a finished buffer; an overflow fails the capture. */
static void send_buf(struct ot_pg_tcp *c, int dir, const struct ot_pg_buf *b, uint32_t delay_us)
{
    if (b->overflow) {
        ot_pg_sink_fail(c->sk, OT_ELIMIT);
        return;
    }
    ot_pg_tcp_send(c, dir, b->p, b->len, delay_us);
}

static void send_str(struct ot_pg_tcp *c, int dir, const char *s, uint32_t delay_us)
{
    ot_pg_tcp_send(c, dir, s, strlen(s), delay_us);
}

/* A probe the server turns down with a RST (a closed port). */
static void tcp_rst_answer(struct ot_pg_tcp *c, uint32_t rtt_us)
{
    c->t += rtt_us;
    ot_pg_tcp_segment(c, OT_PG_S2C, c->t, OT_PG_TCP_RST | OT_PG_TCP_ACK, 0, c->nxt[0], NULL, 0);
}

/* ICMP destination unreachable (CODE 3: port) from SRC about a UDP datagram ORIG → SRC. */
static void icmp_unreachable(struct ot_pg_sink *sk, uint64_t ts, struct ot_pg_host *src,
                             const struct ot_pg_host *orig, uint16_t sport, uint16_t dport,
                             uint16_t udp_len)
{
    struct ot_pg_ip p;
    uint8_t *h = ot_pg_ip_begin(&p, sk, src, orig, 0, OT_PG_IPPROTO_ICMP);
    memset(h, 0, 8 + 20 + 8);
    h[0] = 3;
    h[1] = 3;
    uint8_t *ip = h + 8;
    ip[0] = 0x45;
    uint16_t tot = (uint16_t)(20 + udp_len);
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[8] = 64;
    ip[9] = OT_PG_IPPROTO_UDP;
    memcpy(ip + 12, orig->ip, 4);
    memcpy(ip + 16, src->ip, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)ip[i] << 8 | ip[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = (uint8_t)(~sum >> 8);
    ip[11] = (uint8_t)~sum;
    uint8_t *u = ip + 20;
    u[0] = (uint8_t)(sport >> 8);
    u[1] = (uint8_t)sport;
    u[2] = (uint8_t)(dport >> 8);
    u[3] = (uint8_t)dport;
    u[4] = (uint8_t)(udp_len >> 8);
    u[5] = (uint8_t)udp_len;
    ot_pg_ip_end(&p, ts, 8 + 20 + 8);
}

/* --- scans ---------------------------------------------------------------- */

/*
 * An infected office PC (192.168.1.66) looks for SMB on COUNT office hosts,
 * one SYN every 200 ms: two in three stay silent, the rest answer RST.
 */
SCENARIO(ot_pg_sc_scan_horizontal)
{
    struct ot_pg_host pc, target;
    struct ot_pg_rng r;
    rng_init(&r, a, 1);
    if (host(&pc, "192.168.1.66", 0x42, 128))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        if (office_host(&target, i, 66))
            return OT_EINVAL;
        struct ot_pg_tcp c;
        ot_pg_tcp_init(&c, sk, &pc, eph(i), &target, 445, (uint32_t)ot_pg_rand(&r), 0,
                       a->t0 + (uint64_t)i * 200 * MS);
        ot_pg_tcp_syn(&c, 0);
        if (i % 3 == 2)
            tcp_rst_answer(&c, 400);
    }
    return OT_OK;
}

/* Ports a scanner tries first, then the rest in order. */
static uint16_t scan_port(uint32_t i)
{
    static const uint16_t top[] = {21,   22,   23,  25,   53,   80,   110,  111,  135,
                                   139,  143,  443, 445,  993,  995,  1723, 3306, 3389,
                                   5900, 8080, 587, 8443, 1433, 5432, 6379, 9200, 27017};
    const uint32_t n = sizeof(top) / sizeof(top[0]);
    return i < n ? top[i] : (uint16_t)(10000 + i);
}

/*
 * An outside address (198.51.100.77) SYN-scans COUNT ports of the office
 * file server (192.168.1.10), 15 ms apart: the server answers RST on every
 * other port and drops the rest (all closed or filtered).
 */
SCENARIO(ot_pg_sc_scan_vertical)
{
    struct ot_pg_host scanner, srv;
    struct ot_pg_rng r;
    rng_init(&r, a, 2);
    if (host(&scanner, "198.51.100.77", 0x01, 47) || host(&srv, "192.168.1.10", 0x0a, 64))
        return OT_EINVAL;
    uint16_t sport = (uint16_t)(40000 + ot_pg_below(&r, 20000));
    for (uint32_t i = 0; i < a->count; i++) {
        struct ot_pg_tcp c;
        ot_pg_tcp_init(&c, sk, &scanner, sport, &srv, scan_port(i), (uint32_t)ot_pg_rand(&r), 0,
                       a->t0 + (uint64_t)i * 15 * MS);
        ot_pg_tcp_syn(&c, 0);
        if (i % 2 == 0)
            tcp_rst_answer(&c, 30 * MS);
    }
    return OT_OK;
}

/*
 * nmap -sU from an office PC (192.168.1.66) against the file server: COUNT
 * ports, one empty datagram each, 50 ms apart; the server says "port
 * unreachable" for every other one (ICMP) and nothing else.
 */
SCENARIO(ot_pg_sc_scan_udp)
{
    static const uint16_t top[] = {7,   9,   17,  19,  49,  53,  69,  111, 120,  123,  161,
                                   177, 389, 427, 443, 500, 520, 623, 631, 1434, 1701, 4500};
    const uint32_t n_top = sizeof(top) / sizeof(top[0]);
    struct ot_pg_host pc, srv;
    if (host(&pc, "192.168.1.66", 0x42, 128) || host(&srv, "192.168.1.10", 0x0a, 64))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        uint16_t port = i < n_top ? top[i] : (uint16_t)(20000 + i);
        uint64_t t = a->t0 + (uint64_t)i * 50 * MS;
        static const uint8_t empty[1] = {0}; /* nmap's empty probe; never NULL for memcpy */
        ot_pg_udp(sk, t, &pc, 51234, &srv, port, 0, empty, 0, 0);
        if (i % 2 == 1)
            icmp_unreachable(sk, t + 300, &srv, &pc, 51234, port, 8);
    }
    return OT_OK;
}

/* An office PC pings COUNT office hosts, 100 ms apart; every third one answers. */
SCENARIO(ot_pg_sc_icmp_sweep)
{
    static const char payload[] = "abcdefghijklmnopqrstuvwabcdefghi";
    struct ot_pg_host pc, target;
    if (host(&pc, "192.168.1.66", 0x42, 128))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        if (office_host(&target, i, 66))
            return OT_EINVAL;
        uint64_t t = a->t0 + (uint64_t)i * 100 * MS;
        ot_pg_icmp_echo(sk, t, &pc, &target, false, 1, (uint16_t)(i + 1), payload, 32);
        if (i % 3 == 0)
            ot_pg_icmp_echo(sk, t + 350, &target, &pc, true, 1, (uint16_t)(i + 1), payload, 32);
    }
    return OT_OK;
}

/* --- the harmless look-alike: a busy browser -------------------------------- */

/* One HTTPS exchange: ClientHello, a server flight, a few records each way, FIN. */
static void https_conversation(struct ot_pg_sink *sk, struct ot_pg_rng *r, struct ot_pg_host *cli,
                               uint16_t cport, struct ot_pg_host *srv, const char *sni, uint64_t t)
{
    static const char *const alpn[] = {"h2", "http/1.1"};
    uint8_t mem[2048], rnd[32], sid[32], key[32], blob[1200];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_tcp_init(&c, sk, cli, cport, srv, 443, (uint32_t)ot_pg_rand(r), (uint32_t)ot_pg_rand(r),
                   t);
    ot_pg_tcp_handshake(&c, 0, 18 * MS);
    ot_pg_fill(r, rnd, 32);
    ot_pg_fill(r, sid, 32);
    ot_pg_fill(r, key, 32);
    struct ot_pg_tls_hello h = {.random = rnd,
                                .session_id = sid,
                                .sni = sni,
                                .alpn = alpn,
                                .n_alpn = 2,
                                .tls13 = true,
                                .key_share = key};
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_client_hello(&b, &h);
    send_buf(&c, OT_PG_C2S, &b, 200);
    ot_pg_fill(r, rnd, 32);
    ot_pg_fill(r, key, 32);
    struct ot_pg_tls_server sh = {
        .random = rnd, .session_id = sid, .cipher = 0x1301, .tls13 = true, .key_share = key};
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_server_hello(&b, &sh);
    ot_pg_tls_change_cipher_spec(&b);
    ot_pg_fill(r, blob, 900);
    ot_pg_tls_record(&b, OT_PG_TLS_APPDATA, blob, 900);
    send_buf(&c, OT_PG_S2C, &b, c.rtt_us + 2 * MS);
    ot_pg_fill(r, blob, 400);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_change_cipher_spec(&b);
    ot_pg_tls_record(&b, OT_PG_TLS_APPDATA, blob, 120);
    ot_pg_tls_record(&b, OT_PG_TLS_APPDATA, blob + 120, 280);
    send_buf(&c, OT_PG_C2S, &b, 1 * MS);
    ot_pg_fill(r, blob, 1200);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_record(&b, OT_PG_TLS_APPDATA, blob, 1100);
    send_buf(&c, OT_PG_S2C, &b, c.rtt_us + 30 * MS);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 2 * SEC + ot_pg_below(r, 8 * SEC));
}

/*
 * One office PC browses: COUNT HTTPS connections over five minutes to 60
 * web servers (CDNs, trackers, APIs) on 443.  Every twentieth is a
 * preconnection the browser never used (handshake, then FIN after 10 s), and
 * three connections go to a server that no longer answers.  Many hosts,
 * one port, but almost nothing fails: no scan.
 */
SCENARIO(ot_pg_sc_busy_web_client)
{
    struct ot_pg_host pc, dead;
    struct ot_pg_host web[60];
    struct ot_pg_rng r;
    rng_init(&r, a, 5);
    if (host(&pc, "192.168.1.101", 0x65, 128) || host(&dead, "198.51.100.250", 0x01, 50))
        return OT_EINVAL;
    for (uint32_t k = 0; k < 60; k++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "%s.%u", k % 2 ? "203.0.113" : "198.51.100", 10 + k);
        if (host(&web[k], ip, 0x01, (uint8_t)(50 + k % 8)))
            return OT_EINVAL;
    }
    uint64_t span = 300ull * SEC;
    for (uint32_t i = 0; i < a->count; i++) {
        uint64_t t = a->t0 + span * i / (a->count ? a->count : 1);
        struct ot_pg_host *srv = &web[(i * 7 + i / 60) % 60];
        char sni[64];
        snprintf(sni, sizeof(sni), "cdn%u.example.com", (unsigned)(srv - web));
        if (i % 20 == 19) {
            struct ot_pg_tcp c;
            ot_pg_tcp_init(&c, sk, &pc, eph(i), srv, 443, (uint32_t)ot_pg_rand(&r),
                           (uint32_t)ot_pg_rand(&r), t);
            ot_pg_tcp_handshake(&c, 0, 20 * MS);
            ot_pg_tcp_close(&c, OT_PG_C2S, 10 * SEC);
        } else {
            https_conversation(sk, &r, &pc, eph(i), srv, sni, t);
        }
    }
    for (uint32_t i = 0; i < 3; i++) {
        struct ot_pg_tcp c;
        ot_pg_tcp_init(&c, sk, &pc, eph(a->count + i), &dead, 443, (uint32_t)ot_pg_rand(&r), 0,
                       a->t0 + (uint64_t)(10 + 90 * i) * SEC);
        ot_pg_tcp_syn(&c, 0);
        ot_pg_tcp_segment(&c, OT_PG_C2S, c.t + 1 * SEC, OT_PG_TCP_SYN, c.nxt[0] - 1, 0, NULL, 0);
    }
    return OT_OK;
}

/* --- password guessing ----------------------------------------------------- */

/* One SSH connection: banners, key exchange, LOGIN_PACKETS encrypted packets each way. */
static void ssh_session(struct ot_pg_sink *sk, struct ot_pg_rng *r, struct ot_pg_host *cli,
                        uint16_t cport, struct ot_pg_host *srv, uint64_t t, unsigned login_packets,
                        uint32_t gap_us)
{
    uint8_t mem[4096], cookie[16], q[32], hostkey[256], sig[256], pkt[256];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_tcp_init(&c, sk, cli, cport, srv, 22, (uint32_t)ot_pg_rand(r), (uint32_t)ot_pg_rand(r),
                   t);
    ot_pg_tcp_handshake(&c, 0, 25 * MS);
    send_str(&c, OT_PG_S2C, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n", c.rtt_us + 3 * MS);
    send_str(&c, OT_PG_C2S, "SSH-2.0-libssh_0.9.6\r\n", 300);
    ot_pg_fill(r, cookie, 16);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_kexinit(&b, cookie, false);
    send_buf(&c, OT_PG_C2S, &b, 100);
    ot_pg_fill(r, cookie, 16);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_kexinit(&b, cookie, true);
    send_buf(&c, OT_PG_S2C, &b, c.rtt_us + 200);
    ot_pg_fill(r, q, 32);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_ecdh_init(&b, q);
    send_buf(&c, OT_PG_C2S, &b, 500);
    ot_pg_fill(r, hostkey, sizeof(hostkey));
    ot_pg_fill(r, q, 32);
    ot_pg_fill(r, sig, sizeof(sig));
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_ecdh_reply(&b, hostkey, q, sig);
    ot_pg_ssh_newkeys(&b);
    send_buf(&c, OT_PG_S2C, &b, c.rtt_us + 2 * MS);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_newkeys(&b);
    send_buf(&c, OT_PG_C2S, &b, 400);
    for (unsigned i = 0; i < login_packets; i++) {
        size_t n = 52 + ot_pg_below(r, 100);
        ot_pg_fill(r, pkt, n);
        ot_pg_tcp_send(&c, OT_PG_C2S, pkt, n, i ? gap_us : 300);
        n = 36 + ot_pg_below(r, 60);
        ot_pg_fill(r, pkt, n);
        ot_pg_tcp_send(&c, OT_PG_S2C, pkt, n, c.rtt_us + 2 * MS);
    }
    ot_pg_tcp_close(&c, OT_PG_S2C, 5 * MS);
}

/*
 * An outside address guesses SSH passwords on the office server: COUNT
 * connections, 4 s apart, each trying a few passwords in about 2.5 s before
 * the server hangs up (all short sessions).
 */
SCENARIO(ot_pg_sc_bruteforce_ssh)
{
    struct ot_pg_host bot, srv;
    struct ot_pg_rng r;
    rng_init(&r, a, 6);
    if (host(&bot, "203.0.113.66", 0x01, 49) || host(&srv, "192.168.1.10", 0x0a, 64))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++)
        ssh_session(sk, &r, &bot, eph(i), &srv, a->t0 + (uint64_t)i * 4 * SEC, 3, 800 * MS);
    return OT_OK;
}

/* As bruteforce-ssh, then one session from the same source that lasts three minutes. */
SCENARIO(ot_pg_sc_bruteforce_ssh_success)
{
    struct ot_pg_host bot, srv;
    struct ot_pg_rng r;
    rng_init(&r, a, 7);
    if (host(&bot, "203.0.113.66", 0x01, 49) || host(&srv, "192.168.1.10", 0x0a, 64))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++)
        ssh_session(sk, &r, &bot, eph(i), &srv, a->t0 + (uint64_t)i * 4 * SEC, 3, 800 * MS);
    ssh_session(sk, &r, &bot, eph(a->count), &srv, a->t0 + (uint64_t)a->count * 4 * SEC + 5 * SEC,
                36, 5 * SEC);
    return OT_OK;
}

/*
 * FTP guessing from outside against the office server: COUNT failed logins,
 * three per connection (the server's limit), then with SUCCEED one that
 * works.  User names rotate through a short list.
 */
static int ftp_guess(struct ot_pg_sink *sk, const struct ot_pg_scenario_args *a, bool succeed)
{
    static const char *const users[] = {"admin", "administrator", "ftp", "user", "test"};
    struct ot_pg_host bot, srv;
    struct ot_pg_rng r;
    rng_init(&r, a, succeed ? 9 : 8);
    if (host(&bot, "198.51.100.23", 0x01, 51) || host(&srv, "192.168.1.10", 0x0a, 64))
        return OT_EINVAL;
    uint32_t left = a->count, conn = 0;
    uint64_t t = a->t0;
    while (left || succeed) {
        struct ot_pg_tcp c;
        char line[96];
        ot_pg_tcp_init(&c, sk, &bot, eph(conn), &srv, 21, (uint32_t)ot_pg_rand(&r),
                       (uint32_t)ot_pg_rand(&r), t);
        ot_pg_tcp_handshake(&c, 0, 22 * MS);
        send_str(&c, OT_PG_S2C, "220 (vsFTPd 3.0.5)\r\n", c.rtt_us + 2 * MS);
        uint32_t tries = left < 3 ? left : 3;
        for (uint32_t k = 0; k < tries; k++, left--) {
            snprintf(line, sizeof(line), "USER %s\r\n", users[(a->count - left) % 5]);
            send_str(&c, OT_PG_C2S, line, 80 * MS);
            send_str(&c, OT_PG_S2C, "331 Please specify the password.\r\n", c.rtt_us + 300);
            snprintf(line, sizeof(line), "PASS guess%u\r\n", a->count - left);
            send_str(&c, OT_PG_C2S, line, 60 * MS);
            send_str(&c, OT_PG_S2C, "530 Login incorrect.\r\n", c.rtt_us + 700 * MS);
        }
        if (!left && succeed && tries < 3) {
            send_str(&c, OT_PG_C2S, "USER backup\r\n", 80 * MS);
            send_str(&c, OT_PG_S2C, "331 Please specify the password.\r\n", c.rtt_us + 300);
            send_str(&c, OT_PG_C2S, "PASS backup2024\r\n", 60 * MS);
            send_str(&c, OT_PG_S2C, "230 Login successful.\r\n", c.rtt_us + 30 * MS);
            send_str(&c, OT_PG_C2S, "QUIT\r\n", 900 * MS);
            send_str(&c, OT_PG_S2C, "221 Goodbye.\r\n", c.rtt_us + 100);
            succeed = false;
        }
        ot_pg_tcp_close(&c, OT_PG_S2C, 5 * MS);
        t = c.t + 1 * SEC;
        conn++;
    }
    return OT_OK;
}

SCENARIO(ot_pg_sc_bruteforce_ftp)
{
    return ftp_guess(sk, a, false);
}

SCENARIO(ot_pg_sc_bruteforce_ftp_success)
{
    return ftp_guess(sk, a, true);
}

/* One RDP attempt: X.224 negotiation, a TLS/CredSSP exchange, the server hangs up. */
static void rdp_session(struct ot_pg_sink *sk, struct ot_pg_rng *r, struct ot_pg_host *cli,
                        uint16_t cport, struct ot_pg_host *srv, uint64_t t, uint32_t rounds,
                        uint32_t gap_us, const char *user)
{
    uint8_t mem[256], blob[1400];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_tcp_init(&c, sk, cli, cport, srv, 3389, (uint32_t)ot_pg_rand(r), (uint32_t)ot_pg_rand(r),
                   t);
    ot_pg_tcp_handshake(&c, 0, 24 * MS);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_rdp_connection_request(&b, user, 0x0000000b);
    send_buf(&c, OT_PG_C2S, &b, 200);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_rdp_connection_confirm(&b, 0x00000002);
    send_buf(&c, OT_PG_S2C, &b, c.rtt_us + 400);
    for (uint32_t i = 0; i < rounds; i++) {
        size_t n = 200 + ot_pg_below(r, 1000);
        ot_pg_fill(r, blob, n);
        ot_pg_tcp_send(&c, OT_PG_C2S, blob, n, i ? gap_us : 2 * MS);
        n = 100 + ot_pg_below(r, 1200);
        ot_pg_fill(r, blob, n);
        ot_pg_tcp_send(&c, OT_PG_S2C, blob, n, c.rtt_us + 5 * MS);
    }
    ot_pg_tcp_close(&c, OT_PG_S2C, 10 * MS);
}

/* RDP guessing from outside: COUNT short connections (about 1.5 s each), 3 s apart. */
SCENARIO(ot_pg_sc_bruteforce_rdp)
{
    struct ot_pg_host bot, srv;
    struct ot_pg_rng r;
    rng_init(&r, a, 10);
    if (host(&bot, "203.0.113.99", 0x01, 45) || host(&srv, "192.168.1.20", 0x14, 128))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++)
        rdp_session(sk, &r, &bot, eph(i), &srv, a->t0 + (uint64_t)i * 3 * SEC, 4, 300 * MS,
                    "administrator");
    return OT_OK;
}

/*
 * HTTP Basic guessing against the office NAS's web page: COUNT requests with
 * credentials answered 401, five per keep-alive connection.
 */
SCENARIO(ot_pg_sc_bruteforce_http)
{
    struct ot_pg_host bot, nas;
    struct ot_pg_rng r;
    rng_init(&r, a, 11);
    if (host(&bot, "198.51.100.45", 0x01, 52) || host(&nas, "192.168.1.30", 0x1e, 64))
        return OT_EINVAL;
    uint32_t left = a->count, conn = 0;
    uint64_t t = a->t0;
    while (left) {
        struct ot_pg_tcp c;
        ot_pg_tcp_init(&c, sk, &bot, eph(conn), &nas, 80, (uint32_t)ot_pg_rand(&r),
                       (uint32_t)ot_pg_rand(&r), t);
        ot_pg_tcp_handshake(&c, 0, 21 * MS);
        for (uint32_t k = 0; k < 5 && left; k++, left--) {
            char cred[64], b64[96], req[256];
            snprintf(cred, sizeof(cred), "admin:guess%u", a->count - left);
            if (ot_pg_base64(cred, b64, sizeof(b64)))
                return OT_ELIMIT;
            snprintf(req, sizeof(req),
                     "GET /admin/ HTTP/1.1\r\nHost: 192.168.1.30\r\nUser-Agent: Mozilla/5.0\r\n"
                     "Authorization: Basic %s\r\n\r\n",
                     b64);
            send_str(&c, OT_PG_C2S, req, k ? 300 * MS : 200);
            send_str(&c, OT_PG_S2C,
                     "HTTP/1.1 401 Unauthorized\r\nServer: lighttpd\r\n"
                     "WWW-Authenticate: Basic realm=\"NAS\"\r\nContent-Length: 0\r\n\r\n",
                     c.rtt_us + 3 * MS);
        }
        ot_pg_tcp_close(&c, OT_PG_C2S, 50 * MS);
        t = c.t + 500 * MS;
        conn++;
    }
    return OT_OK;
}

/* --- exposure ---------------------------------------------------------------- */

/*
 * The office terminal server (192.168.1.20) is port-forwarded: COUNT outside
 * clients get an RDP answer, a minute apart, each using it for 20 s.
 */
SCENARIO(ot_pg_sc_exposure_rdp)
{
    struct ot_pg_host srv, cli;
    struct ot_pg_rng r;
    rng_init(&r, a, 12);
    if (host(&srv, "192.168.1.20", 0x14, 128))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "203.0.113.%u", 100 + i % 150);
        if (host(&cli, ip, 0x01, 48))
            return OT_EINVAL;
        rdp_session(sk, &r, &cli, eph(i), &srv, a->t0 + (uint64_t)i * 60 * SEC, 10, 2 * SEC,
                    "staff");
    }
    return OT_OK;
}

/* The look-alike: an office PC uses RDP on an outside server, COUNT sessions a minute apart. */
SCENARIO(ot_pg_sc_rdp_outbound)
{
    struct ot_pg_host pc, srv;
    struct ot_pg_rng r;
    rng_init(&r, a, 13);
    if (host(&pc, "192.168.1.101", 0x65, 128) || host(&srv, "203.0.113.120", 0x01, 50))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++)
        rdp_session(sk, &r, &pc, eph(i), &srv, a->t0 + (uint64_t)i * 60 * SEC, 10, 2 * SEC,
                    "staff");
    return OT_OK;
}

/* --- lateral movement ---------------------------------------------------------- */

/*
 * An office PC (192.168.1.66) opens SMB on COUNT office hosts, 2 s apart
 * (PsExec-style spreading): each answers the SMB2 NEGOTIATE.
 */
SCENARIO(ot_pg_sc_lateral_smb)
{
    uint8_t mem[1024], guid[16], salt[32];
    struct ot_pg_host pc, target;
    struct ot_pg_rng r;
    rng_init(&r, a, 14);
    if (host(&pc, "192.168.1.66", 0x42, 128))
        return OT_EINVAL;
    for (uint32_t i = 0; i < a->count; i++) {
        if (office_host(&target, i, 66))
            return OT_EINVAL;
        struct ot_pg_buf b;
        struct ot_pg_tcp c;
        uint64_t t = a->t0 + (uint64_t)i * 2 * SEC;
        ot_pg_tcp_init(&c, sk, &pc, eph(i), &target, 445, (uint32_t)ot_pg_rand(&r),
                       (uint32_t)ot_pg_rand(&r), t);
        ot_pg_tcp_handshake(&c, 0, 300);
        ot_pg_fill(&r, guid, 16);
        ot_pg_fill(&r, salt, 32);
        ot_pg_buf_init(&b, mem, sizeof(mem));
        ot_pg_smb2_negotiate_request(&b, 0, guid, salt);
        send_buf(&c, OT_PG_C2S, &b, 150);
        ot_pg_fill(&r, guid, 16);
        ot_pg_fill(&r, salt, 32);
        ot_pg_buf_init(&b, mem, sizeof(mem));
        uint64_t ft = t * 10u + 116444736000000000ull;
        ot_pg_smb2_negotiate_response(&b, 0, guid, salt, ft, ft - 864000000000ull * 3);
        send_buf(&c, OT_PG_S2C, &b, c.rtt_us + 700);
        ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);
        ot_pg_tcp_close(&c, OT_PG_C2S, 600 * MS);
    }
    return OT_OK;
}
