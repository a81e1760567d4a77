/*
 * ot-pcapgen demo: the TCP applications of the office network (HTTP, TLS 1.2
 * and 1.3, SSH, SMB2, RDP, FTP, Telnet, POP3, IMAP, SMTP).
 *
 * Credentials in clear text, for the sensor to find:
 *   HTTP Basic demo/demo-pass, FTP alice/alice-ftp-pw, Telnet admin/telnet-pw,
 *   POP3 bob/bob-pop3-pw, IMAP carol/carol-imap-pw,
 *   SMTP AUTH LOGIN dave@example.com/dave-smtp-pw.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "otasuke/error.h"
#include "pcapgen-cert.h"
#include "pcapgen-demo.h"

#define UA_CHROME                                                                                  \
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "            \
    "Chrome/120.0.0.0 Safari/537.36"
#define LAN_RTT 300u     /* microseconds */
#define SEC     1000000u /* microseconds */
#define MS      1000u

static void http_date(uint64_t ts_us, char *out, size_t cap)
{
    time_t s = (time_t)(ts_us / OT_PG_US);
    struct tm tm;
    gmtime_r(&s, &tm);
    if (strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0 && cap)
        out[0] = '\0';
}

/* An HTML page of at least MIN_LEN bytes. */
static void html_page(struct ot_pg_buf *b, const char *title, size_t min_len)
{
    static const char *const items[] = {
        "The office network will be down for maintenance on Saturday from 08:00 to 10:00.",
        "Please lock your screen when you leave your desk and report lost access cards at once.",
        "The shared printer on the second floor now needs your access card to release print jobs.",
        "Quarterly reports are due on Friday; put them in the Finance share, not on USB keys.",
    };
    size_t start = b->len;
    ot_pg_putf(b,
               "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<title>%s</title>\n<link rel=\"stylesheet\" href=\"/static/site.css\">\n"
               "</head>\n<body>\n<h1>%s</h1>\n<ul>\n",
               title, title);
    for (unsigned i = 0; b->len - start + 40 < min_len && !b->overflow; i++)
        ot_pg_putf(b, "<li id=\"n%u\">Notice %u: %s</li>\n", i, i + 1, items[i % 4]);
    ot_pg_puts(b, "</ul>\n</body>\n</html>\n");
}

/* Response headers then BODY (given as bytes), with Content-Length. */
static void http_response(struct ot_pg_buf *b, uint64_t ts, const char *status, const char *ctype,
                          const char *extra, const uint8_t *body, size_t len)
{
    char date[64];
    http_date(ts, date, sizeof(date));
    ot_pg_putf(b,
               "HTTP/1.1 %s\r\nServer: nginx/1.24.0\r\nDate: %s\r\nContent-Type: %s\r\n"
               "Content-Length: %zu\r\nConnection: keep-alive\r\n%s\r\n",
               status, date, ctype, len, extra);
    ot_pg_put(b, body, len);
}

/*
 * Send DATA (four segments) from the server with the second segment delayed:
 * 1, 3 (previous segment not captured), the client's duplicate ACK, 2 (out of
 * order), 4; then a spurious retransmission of 4 after the server's RTO.
 */
static void send_reordered(struct ot_pg_demo *d, struct ot_pg_tcp *c, const struct ot_pg_buf *b,
                           uint32_t delay_us)
{
    const uint8_t ack = OT_PG_TCP_ACK, psh = OT_PG_TCP_ACK | OT_PG_TCP_PSH;
    uint32_t mss = c->mss, base = c->nxt[1], cack = c->nxt[0];
    if (b->overflow || b->len <= 3 * mss || b->len > 4 * mss) {
        ot_pg_sink_fail(&d->sk, OT_ELIMIT);
        return;
    }
    uint32_t len4 = (uint32_t)b->len - 3 * mss;
    uint64_t t = c->t + delay_us;
    ot_pg_tcp_segment(c, OT_PG_S2C, t, ack, base, cack, b->p, mss);
    ot_pg_tcp_segment(c, OT_PG_S2C, t + 12, ack, base + 2 * mss, cack, b->p + 2 * mss, mss);
    ot_pg_tcp_segment(c, OT_PG_C2S, t + 60, ack, cack, base + mss, NULL, 0);
    ot_pg_tcp_segment(c, OT_PG_C2S, t + 75, ack, cack, base + mss, NULL, 0);
    t += 1830;
    ot_pg_tcp_segment(c, OT_PG_S2C, t, ack, base + mss, cack, b->p + mss, mss);
    ot_pg_tcp_segment(c, OT_PG_C2S, t + 48, ack, cack, base + 3 * mss, NULL, 0);
    ot_pg_tcp_segment(c, OT_PG_S2C, t + 61, psh, base + 3 * mss, cack, b->p + 3 * mss, len4);
    ot_pg_tcp_segment(c, OT_PG_C2S, t + 110, ack, cack, base + 3 * mss + len4, NULL, 0);
    t += 210 * MS;
    ot_pg_tcp_segment(c, OT_PG_S2C, t, psh, base + 3 * mss, cack, b->p + 3 * mss, len4);
    ot_pg_tcp_segment(c, OT_PG_C2S, t + 52, ack, cack, base + 3 * mss + len4, NULL, 0);
    c->nxt[1] = base + (uint32_t)b->len;
    c->t = t + 52;
}

/* Browse www.example.com: the home page (reordered), /admin/ (401), /admin/ with Basic auth. */
void ot_pg_demo_http(struct ot_pg_demo *d, uint64_t t)
{
    uint8_t mem[8192], body[6144];
    struct ot_pg_buf b, page;
    struct ot_pg_tcp c;
    char auth[64];
    ot_pg_demo_tcp(d, &c, &d->pc1, &d->web, 80, t);
    ot_pg_tcp_handshake(&c, 0, 21 * MS);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_putf(&b,
               "GET / HTTP/1.1\r\nHost: www.example.com\r\nConnection: keep-alive\r\n"
               "Upgrade-Insecure-Requests: 1\r\nUser-Agent: %s\r\n"
               "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
               "image/webp,*/*;q=0.8\r\nReferer: http://search.example.net/search?q=example\r\n"
               "Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n",
               UA_CHROME);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 310);

    ot_pg_buf_init(&page, body, sizeof(body));
    html_page(&page, "Example Office Portal", 4700);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    http_response(&b, c.t, "200 OK", "text/html; charset=utf-8",
                  "Last-Modified: Wed, 14 Jan 2026 17:12:09 GMT\r\nETag: \"6967d0b9-1270\"\r\n",
                  page.p, page.len);
    send_reordered(d, &c, &b, c.rtt_us + 2400);

    static const char unauthorized[] =
        "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
        "<center><h1>401 Authorization Required</h1></center>\r\n"
        "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_putf(&b,
               "GET /admin/ HTTP/1.1\r\nHost: www.example.com\r\nConnection: keep-alive\r\n"
               "User-Agent: %s\r\nAccept: text/html,application/xhtml+xml\r\n"
               "Referer: http://www.example.com/\r\nAccept-Encoding: gzip, deflate\r\n"
               "Accept-Language: en-US,en;q=0.9\r\n\r\n",
               UA_CHROME);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 2300 * MS);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    http_response(&b, c.t, "401 Unauthorized", "text/html",
                  "WWW-Authenticate: Basic realm=\"Example admin\"\r\n",
                  (const uint8_t *)unauthorized, sizeof(unauthorized) - 1);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 700);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);

    if (ot_pg_base64("demo:demo-pass", auth, sizeof(auth)))
        ot_pg_sink_fail(&d->sk, OT_ELIMIT);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_putf(&b,
               "GET /admin/ HTTP/1.1\r\nHost: www.example.com\r\nConnection: keep-alive\r\n"
               "Cache-Control: max-age=0\r\nAuthorization: Basic %s\r\nUser-Agent: %s\r\n"
               "Accept: text/html,application/xhtml+xml\r\nReferer: http://www.example.com/\r\n"
               "Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n",
               auth, UA_CHROME);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 4100 * MS);
    ot_pg_buf_init(&page, body, sizeof(body));
    html_page(&page, "Administration - welcome, demo", 600);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    http_response(&b, c.t, "200 OK", "text/html; charset=utf-8", "Cache-Control: no-store\r\n",
                  page.p, page.len);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 3100);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 5200 * MS);
}

/* Upload a form to files.example.org (reached through a CNAME chain); chunked JSON back. */
void ot_pg_demo_http_post(struct ot_pg_demo *d, uint64_t t)
{
    static const char form[] = "name=quarterly-report.xlsx&folder=%2Fshared%2Ffinance&comment="
                               "Q4+figures+for+review&notify=alice%40example.com";
    static const char *const chunks[] = {
        "{\"status\":\"ok\",\"id\":\"c0ffee42\",",
        "\"name\":\"quarterly-report.xlsx\",\"folder\":\"/shared/finance\",\"size\":48213}\n",
    };
    uint8_t mem[4096];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    char date[64];
    ot_pg_demo_tcp(d, &c, &d->pc1, &d->files, 80, t);
    ot_pg_tcp_handshake(&c, 0, 33 * MS);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_putf(&b,
               "POST /api/v1/upload HTTP/1.1\r\nHost: files.example.org\r\n"
               "Connection: keep-alive\r\nContent-Length: %zu\r\nUser-Agent: %s\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
               "Origin: http://files.example.org\r\nReferer: http://files.example.org/upload\r\n"
               "Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n%s",
               sizeof(form) - 1, UA_CHROME, form);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 280);

    http_date(c.t, date, sizeof(date));
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_putf(&b,
               "HTTP/1.1 200 OK\r\nServer: Apache/2.4.58 (Debian)\r\nDate: %s\r\n"
               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
               "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
               date);
    for (size_t i = 0; i < 2; i++)
        ot_pg_putf(&b, "%zx\r\n%s\r\n", strlen(chunks[i]), chunks[i]);
    ot_pg_puts(&b, "0\r\n\r\n");
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 48 * MS);
    ot_pg_tcp_close(&c, OT_PG_S2C, 90);
}

/* A status page fetched from the printer, on the tagged VLAN 100. */
void ot_pg_demo_http_vlan(struct ot_pg_demo *d, uint64_t t)
{
    uint8_t mem[4096], body[2048];
    struct ot_pg_buf b, page;
    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->pc2, &d->printer, 80, t);
    c.vlan = 100;
    ot_pg_tcp_handshake(&c, 0, 520);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_putf(&b,
               "GET /status.html HTTP/1.1\r\nHost: 192.168.1.30\r\nConnection: keep-alive\r\n"
               "User-Agent: %s\r\nAccept: text/html\r\nReferer: http://192.168.1.30/\r\n"
               "Accept-Encoding: gzip, deflate\r\n\r\n",
               UA_CHROME);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 200);
    ot_pg_buf_init(&page, body, sizeof(body));
    html_page(&page, "Printer status: ready", 700);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    http_response(&b, c.t, "200 OK", "text/html", "", page.p, page.len);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 6 * MS);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 3 * SEC);
}

/* --- TLS ---------------------------------------------------------------- */

/* Five GREASE values as BoringSSL draws them (the two extension ones differ). */
static void grease(struct ot_pg_demo *d, uint16_t g[5])
{
    for (int i = 0; i < 5; i++) {
        uint32_t n = ot_pg_below(&d->rng, 16);
        g[i] = (uint16_t)((n << 12) | 0x0a00 | (n << 4) | 0x0a);
    }
    if (g[4] == g[1])
        g[4] ^= 0x1010;
}

/* Opaque (encrypted) records of TYPE with LEN random bytes each. */
static void encrypted(struct ot_pg_demo *d, struct ot_pg_buf *b, uint8_t type, size_t len)
{
    uint8_t tmp[4096];
    if (len > sizeof(tmp)) {
        b->overflow = true;
        return;
    }
    ot_pg_fill(&d->rng, tmp, len);
    ot_pg_tls_record(b, type, tmp, len);
}

/* https://portal.example.com/ with TLS 1.2 (ECDHE-RSA-AES128-GCM-SHA256, h2). */
void ot_pg_demo_tls12(struct ot_pg_demo *d, uint64_t t)
{
    static const char *const alpn[] = {"h2", "http/1.1"};
    uint8_t mem[8192];
    uint8_t crand[32], srand_[32], csid[32], ssid[32], cpub[32], spub[32], sig[256], ticket[192];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_fill(&d->rng, crand, 32);
    ot_pg_fill(&d->rng, csid, 32);
    ot_pg_fill(&d->rng, srand_, 32);
    ot_pg_fill(&d->rng, ssid, 32);
    ot_pg_fill(&d->rng, cpub, 32);
    ot_pg_fill(&d->rng, spub, 32);
    ot_pg_fill(&d->rng, sig, sizeof(sig));
    ot_pg_fill(&d->rng, ticket, sizeof(ticket));

    ot_pg_demo_tcp(d, &c, &d->pc1, &d->portal, 443, t);
    ot_pg_tcp_handshake(&c, 0, 24 * MS);
    struct ot_pg_tls_hello h = {.random = crand,
                                .session_id = csid,
                                .sni = "portal.example.com",
                                .alpn = alpn,
                                .n_alpn = 2};
    grease(d, h.grease);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_client_hello(&b, &h);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 900);

    struct ot_pg_tls_server s = {
        .random = srand_, .session_id = ssid, .cipher = 0xc02f, .alpn = "h2"};
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_server_hello(&b, &s);
    ot_pg_tls_certificate(&b, ot_pg_demo_cert, sizeof(ot_pg_demo_cert));
    ot_pg_tls_server_key_exchange(&b, spub, sig, sizeof(sig));
    ot_pg_tls_server_hello_done(&b);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 1800);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_client_key_exchange(&b, cpub);
    ot_pg_tls_change_cipher_spec(&b);
    encrypted(d, &b, OT_PG_TLS_HANDSHAKE, 40); /* Finished */
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 2100);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_new_session_ticket(&b, 300, ticket, sizeof(ticket));
    ot_pg_tls_change_cipher_spec(&b);
    encrypted(d, &b, OT_PG_TLS_HANDSHAKE, 40);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 900);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    encrypted(d, &b, OT_PG_TLS_APPDATA, 87);  /* HTTP/2 preface and SETTINGS */
    encrypted(d, &b, OT_PG_TLS_APPDATA, 310); /* HEADERS: GET / */
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 650);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    encrypted(d, &b, OT_PG_TLS_APPDATA, 58);
    encrypted(d, &b, OT_PG_TLS_APPDATA, 1391);
    encrypted(d, &b, OT_PG_TLS_APPDATA, 2840);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 17 * MS);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 60);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    encrypted(d, &b, OT_PG_TLS_APPDATA, 34); /* SETTINGS ACK */
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 1200);
    ot_pg_tcp_ack(&c, OT_PG_S2C, c.rtt_us + 40 * MS);

    ot_pg_buf_init(&b, mem, sizeof(mem));
    encrypted(d, &b, OT_PG_TLS_ALERT, 26); /* close_notify */
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 2 * SEC);
    ot_pg_tcp_close(&c, OT_PG_C2S, 30);
}

/* https://www.example.org/ with TLS 1.3 (TLS_AES_128_GCM_SHA256, X25519). */
void ot_pg_demo_tls13(struct ot_pg_demo *d, uint64_t t)
{
    static const char *const alpn[] = {"h2", "http/1.1"};
    uint8_t mem[8192];
    uint8_t crand[32], srand_[32], sid[32], cks[32], sks[32];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_fill(&d->rng, crand, 32);
    ot_pg_fill(&d->rng, sid, 32);
    ot_pg_fill(&d->rng, srand_, 32);
    ot_pg_fill(&d->rng, cks, 32);
    ot_pg_fill(&d->rng, sks, 32);

    ot_pg_demo_tcp(d, &c, &d->pc2, &d->www_org, 443, t);
    ot_pg_tcp_handshake(&c, 0, 17 * MS);
    struct ot_pg_tls_hello h = {.random = crand,
                                .session_id = sid,
                                .sni = "www.example.org",
                                .alpn = alpn,
                                .n_alpn = 2,
                                .tls13 = true,
                                .key_share = cks};
    grease(d, h.grease);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_client_hello(&b, &h);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 1100);

    struct ot_pg_tls_server s = {
        .random = srand_, .session_id = sid, .cipher = 0x1301, .tls13 = true, .key_share = sks};
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_server_hello(&b, &s);
    ot_pg_tls_change_cipher_spec(&b);
    encrypted(d, &b, OT_PG_TLS_APPDATA, 2785); /* EncryptedExtensions .. Finished */
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 1400);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_tls_change_cipher_spec(&b);
    encrypted(d, &b, OT_PG_TLS_APPDATA, 53); /* Finished */
    encrypted(d, &b, OT_PG_TLS_APPDATA, 93);
    encrypted(d, &b, OT_PG_TLS_APPDATA, 280);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 1500);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    encrypted(d, &b, OT_PG_TLS_APPDATA, 250); /* NewSessionTicket x2 */
    encrypted(d, &b, OT_PG_TLS_APPDATA, 250);
    encrypted(d, &b, OT_PG_TLS_APPDATA, 1210);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 9 * MS);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    encrypted(d, &b, OT_PG_TLS_APPDATA, 19); /* close_notify, as TLS 1.3 hides alerts */
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 1800 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 25);
}

/* --- SSH, SMB, RDP ------------------------------------------------------ */

/* The laptop logs in to the file server over the IPv6 ULA network. */
void ot_pg_demo_ssh(struct ot_pg_demo *d, uint64_t t)
{
    static const size_t sizes[][2] = {{44, 44}, {68, 52}, {116, 612}, {36, 84}, {36, 36}};
    uint8_t mem[4096];
    uint8_t cookie[16], qc[32], qs[32], hostkey[256], sig[256];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->laptop6, &d->fileserver6, 22, t);
    ot_pg_tcp_handshake(&c, 0, LAN_RTT);

    static const char server_banner[] = "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3\r\n";
    static const char client_banner[] = "SSH-2.0-OpenSSH_9.2p1\r\n";
    ot_pg_tcp_send(&c, OT_PG_S2C, server_banner, sizeof(server_banner) - 1, c.rtt_us + 4 * MS);
    ot_pg_tcp_send(&c, OT_PG_C2S, client_banner, sizeof(client_banner) - 1, 310);
    ot_pg_fill(&d->rng, cookie, 16);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_kexinit(&b, cookie, false);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 40);
    ot_pg_fill(&d->rng, cookie, 16);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_kexinit(&b, cookie, true);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 120);

    ot_pg_fill(&d->rng, qc, 32);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_ecdh_init(&b, qc);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 900);
    ot_pg_fill(&d->rng, hostkey, sizeof(hostkey));
    ot_pg_fill(&d->rng, qs, 32);
    ot_pg_fill(&d->rng, sig, sizeof(sig));
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_ecdh_reply(&b, hostkey, qs, sig);
    ot_pg_ssh_newkeys(&b);
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 2600);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_ssh_newkeys(&b);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 1100);

    /* chacha20-poly1305: encrypted length, padded payload, 16-byte tag */
    uint8_t pkt[1024];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        ot_pg_fill(&d->rng, pkt, sizes[i][0]);
        ot_pg_tcp_send(&c, OT_PG_C2S, pkt, sizes[i][0], i == 3 ? 3 * SEC : 700);
        ot_pg_fill(&d->rng, pkt, sizes[i][1]);
        ot_pg_tcp_send(&c, OT_PG_S2C, pkt, sizes[i][1], c.rtt_us + 900);
    }
    ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 1500 * MS);
}

/* Windows FILETIME: 100 ns ticks since 1601. */
static uint64_t filetime(uint64_t unix_us)
{
    return unix_us * 10u + 116444736000000000ull;
}

void ot_pg_demo_smb(struct ot_pg_demo *d, uint64_t t)
{
    uint8_t mem[1024];
    uint8_t guid[16], salt[32];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->pc1, &d->fileserver, 445, t);
    ot_pg_tcp_handshake(&c, 0, 260);
    ot_pg_fill(&d->rng, guid, 16);
    ot_pg_fill(&d->rng, salt, 32);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_smb2_negotiate_request(&b, 0, guid, salt);
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 150);
    ot_pg_fill(&d->rng, guid, 16);
    ot_pg_fill(&d->rng, salt, 32);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_smb2_negotiate_response(&b, 0, guid, salt, filetime(c.t),
                                  filetime(c.t - 86400ull * 12 * SEC));
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 700);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 1200 * MS);
}

void ot_pg_demo_rdp(struct ot_pg_demo *d, uint64_t t)
{
    uint8_t mem[256];
    struct ot_pg_buf b;
    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->pc2, &d->terminal, 3389, t);
    ot_pg_tcp_handshake(&c, 0, 280);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_rdp_connection_request(&b, "admin", 0x0000000b); /* TLS, CredSSP, CredSSP-EX */
    ot_pg_demo_send(d, &c, OT_PG_C2S, &b, 120);
    ot_pg_buf_init(&b, mem, sizeof(mem));
    ot_pg_rdp_connection_confirm(&b, 0x00000002); /* CredSSP */
    ot_pg_demo_send(d, &c, OT_PG_S2C, &b, c.rtt_us + 450);
    ot_pg_tcp_ack(&c, OT_PG_C2S, 40 * MS);
    ot_pg_tcp_close(&c, OT_PG_C2S, 900 * MS);
}

/* --- clear-text logins -------------------------------------------------- */

#define C(delay, text)                                                                             \
    {                                                                                              \
        OT_PG_C2S, (delay), (text), 0                                                              \
    }
#define S(delay, text)                                                                             \
    {                                                                                              \
        OT_PG_S2C, (delay), (text), 0                                                              \
    }
#define N(a) (sizeof(a) / sizeof((a)[0]))

void ot_pg_demo_ftp(struct ot_pg_demo *d, uint64_t t)
{
    static const struct ot_pg_say say[] = {
        S(2 * MS, "220 (vsFTPd 3.0.3)\r\n"),
        C(1400 * MS, "USER alice\r\n"),
        S(200, "331 Please specify the password.\r\n"),
        C(2100 * MS, "PASS alice-ftp-pw\r\n"),
        S(31 * MS, "230 Login successful.\r\n"),
        C(90 * MS, "SYST\r\n"),
        S(150, "215 UNIX Type: L8\r\n"),
        C(1300 * MS, "PWD\r\n"),
        S(120, "257 \"/home/alice\" is the current directory\r\n"),
        C(900 * MS, "QUIT\r\n"),
        S(100, "221 Goodbye.\r\n"),
    };
    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->pc2, &d->fileserver, 21, t);
    ot_pg_tcp_handshake(&c, 0, LAN_RTT);
    ot_pg_demo_converse(d, &c, say, N(say));
    ot_pg_tcp_close(&c, OT_PG_S2C, 60);
}

/* Character-at-a-time login to the router: echoed user name, silent password. */
void ot_pg_demo_telnet(struct ot_pg_demo *d, uint64_t t)
{
    static const char user[] = "admin", pass[] = "telnet-pw", cmd[] = "exit";
    static const struct ot_pg_say head[] = {
        {OT_PG_S2C, 3 * MS, "\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27", 12},
        {OT_PG_C2S, 150, "\xff\xfb\x18\xff\xfc\x20\xff\xfc\x23\xff\xfc\x27", 12},
        {OT_PG_S2C, 200, "\xff\xfa\x18\x01\xff\xf0", 6},
        {OT_PG_C2S, 90, "\xff\xfa\x18\x00XTERM-256COLOR\xff\xf0", 20},
        {OT_PG_S2C, 250, "\xff\xfb\x03\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x05\xff\xfd\x21", 15},
        {OT_PG_C2S, 110,
         "\xff\xfd\x03\xff\xfc\x01\xff\xfb\x1f\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0"
         "\xff\xfe\x05\xff\xfc\x21",
         24},
        {OT_PG_S2C, 200, "\xff\xfb\x01", 3},
        {OT_PG_C2S, 80, "\xff\xfd\x01", 3},
        S(9 * MS, "\r\nDebian GNU/Linux 12\r\noffice-router login: "),
    };
    struct ot_pg_say say[64];
    _Static_assert(
        N(head) + 2 * (sizeof(user) - 1) + (sizeof(pass) - 1) + 2 * (sizeof(cmd) - 1) + 7 <= N(say),
        "say[] too small");
    memcpy(say, head, sizeof(head));
    size_t n = N(head);
    for (size_t i = 0; i < sizeof(user) - 1; i++) {
        say[n++] = (struct ot_pg_say){OT_PG_C2S, (i ? 180u : 1900u) * MS, user + i, 1};
        say[n++] = (struct ot_pg_say){OT_PG_S2C, 60, user + i, 1};
    }
    say[n++] = (struct ot_pg_say)C(230 * MS, "\r\n");
    say[n++] = (struct ot_pg_say)S(4 * MS, "\r\nPassword: ");
    for (size_t i = 0; i < sizeof(pass) - 1; i++)
        say[n++] = (struct ot_pg_say){OT_PG_C2S, (i ? 150u : 1200u) * MS, pass + i, 1};
    say[n++] = (struct ot_pg_say)C(210 * MS, "\r\n");
    say[n++] = (struct ot_pg_say)S(
        380 * MS, "\r\nLinux office-router 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian "
                  "6.1.76-1 x86_64\r\n\r\nLast login: Wed Jan 14 17:02:41 CET 2026 from "
                  "192.168.1.103 on pts/0\r\nadmin@office-router:~$ ");
    for (size_t i = 0; i < sizeof(cmd) - 1; i++) {
        say[n++] = (struct ot_pg_say){OT_PG_C2S, (i ? 170u : 2600u) * MS, cmd + i, 1};
        say[n++] = (struct ot_pg_say){OT_PG_S2C, 70, cmd + i, 1};
    }
    say[n++] = (struct ot_pg_say)C(240 * MS, "\r\n");
    say[n++] = (struct ot_pg_say)S(3 * MS, "\r\nlogout\r\n");

    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->laptop, &d->router, 23, t);
    ot_pg_tcp_handshake(&c, 0, LAN_RTT);
    ot_pg_demo_converse(d, &c, say, n);
    ot_pg_tcp_close(&c, OT_PG_S2C, 400);
}

void ot_pg_demo_pop3(struct ot_pg_demo *d, uint64_t t)
{
    static const struct ot_pg_say say[] = {
        S(3 * MS, "+OK Dovecot (Debian) ready.\r\n"),
        C(30 * MS, "USER bob\r\n"),
        S(300, "+OK\r\n"),
        C(200, "PASS bob-pop3-pw\r\n"),
        S(28 * MS, "+OK Logged in.\r\n"),
        C(200, "STAT\r\n"),
        S(400, "+OK 2 4113\r\n"),
        C(300, "QUIT\r\n"),
        S(200, "+OK Logging out.\r\n"),
    };
    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->pc1, &d->mail, 110, t);
    ot_pg_tcp_handshake(&c, 0, 19 * MS);
    ot_pg_demo_converse(d, &c, say, N(say));
    ot_pg_tcp_close(&c, OT_PG_S2C, 50);
}

void ot_pg_demo_imap(struct ot_pg_demo *d, uint64_t t)
{
    static const struct ot_pg_say say[] = {
        S(3 * MS, "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ "
                  "AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\r\n"),
        C(40 * MS, "a001 LOGIN \"carol\" \"carol-imap-pw\"\r\n"),
        S(27 * MS, "a001 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT "
                   "SORT=DISPLAY THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE "
                   "UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH SEARCHRES "
                   "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY SPECIAL-USE] "
                   "Logged in\r\n"),
        C(400, "a002 SELECT INBOX\r\n"),
        S(900, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
               "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] "
               "Flags permitted.\r\n* 3 EXISTS\r\n* 0 RECENT\r\n"
               "* OK [UIDVALIDITY 1736899200] UIDs valid\r\n"
               "* OK [UIDNEXT 4] Predicted next UID\r\n"
               "a002 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"),
        C(1100 * MS, "a003 LOGOUT\r\n"),
        S(200, "* BYE Logging out\r\na003 OK Logout completed (0.001 + 0.000 secs).\r\n"),
    };
    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->pc1, &d->mail, 143, t);
    ot_pg_tcp_handshake(&c, 0, 19 * MS);
    ot_pg_demo_converse(d, &c, say, N(say));
    ot_pg_tcp_close(&c, OT_PG_S2C, 50);
}

void ot_pg_demo_smtp(struct ot_pg_demo *d, uint64_t t)
{
    char user[64], pass[64], b64[64], msg[1024];
    if (ot_pg_base64("dave@example.com", b64, sizeof(b64)) ||
        snprintf(user, sizeof(user), "%s\r\n", b64) >= (int)sizeof(user) ||
        ot_pg_base64("dave-smtp-pw", b64, sizeof(b64)) ||
        snprintf(pass, sizeof(pass), "%s\r\n", b64) >= (int)sizeof(pass)) {
        ot_pg_sink_fail(&d->sk, OT_ELIMIT);
        return;
    }
    char date[64];
    http_date(t, date, sizeof(date));
    int n =
        snprintf(msg, sizeof(msg),
                 "Date: %s\r\nFrom: Dave <dave@example.com>\r\nTo: Carol <carol@example.com>\r\n"
                 "Subject: Q4 figures\r\nMessage-ID: <20260115090046.1f2e@office-pc1>\r\n"
                 "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                 "Hi Carol,\r\n\r\nthe Q4 figures are in the Finance share.\r\n\r\n"
                 "Dave\r\n.\r\n",
                 date);
    if (n < 0 || (size_t)n >= sizeof(msg)) {
        ot_pg_sink_fail(&d->sk, OT_ELIMIT);
        return;
    }
    const struct ot_pg_say say[] = {
        S(4 * MS, "220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n"),
        C(20 * MS, "EHLO office-pc1\r\n"),
        S(300, "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
               "250-ETRN\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
               "250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"),
        C(300, "AUTH LOGIN\r\n"),
        S(200, "334 VXNlcm5hbWU6\r\n"),
        C(200, user),
        S(200, "334 UGFzc3dvcmQ6\r\n"),
        C(200, pass),
        S(35 * MS, "235 2.7.0 Authentication successful\r\n"),
        C(300, "MAIL FROM:<dave@example.com>\r\n"),
        S(300, "250 2.1.0 Ok\r\n"),
        C(200, "RCPT TO:<carol@example.com>\r\n"),
        S(2 * MS, "250 2.1.5 Ok\r\n"),
        C(200, "DATA\r\n"),
        S(200, "354 End data with <CR><LF>.<CR><LF>\r\n"),
        C(300, msg),
        S(9 * MS, "250 2.0.0 Ok: queued as 4D7F21C0A2\r\n"),
        C(300, "QUIT\r\n"),
        S(200, "221 2.0.0 Bye\r\n"),
    };
    struct ot_pg_tcp c;
    ot_pg_demo_tcp(d, &c, &d->pc1, &d->mail, 587, t);
    ot_pg_tcp_handshake(&c, 0, 19 * MS);
    ot_pg_demo_converse(d, &c, say, N(say));
    ot_pg_tcp_close(&c, OT_PG_S2C, 50);
}
