/*
 * Parser registration table and dispatcher.
 *
 * Adding a protocol: write sensor/proto/proto-<name>.c exporting
 * `const struct ot_proto_parser ot_proto_<name>`, add its id to enum
 * ot_app_proto (proto.h) and one row below.
 */
#include "proto/dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "otasuke/error.h"

extern const struct ot_proto_parser ot_proto_dns;
extern const struct ot_proto_parser ot_proto_tls;
extern const struct ot_proto_parser ot_proto_http;
extern const struct ot_proto_parser ot_proto_ssh;
extern const struct ot_proto_parser ot_proto_dhcp;
extern const struct ot_proto_parser ot_proto_smb;
extern const struct ot_proto_parser ot_proto_rdp;
extern const struct ot_proto_parser ot_proto_ftp;
extern const struct ot_proto_parser ot_proto_telnet;
extern const struct ot_proto_parser ot_proto_pop3;
extern const struct ot_proto_parser ot_proto_imap;
extern const struct ot_proto_parser ot_proto_smtp;

/* Probe order matters only where two probes could both say yes: specific first. */
const struct ot_proto_parser *const ot_proto_parsers[] = {
    &ot_proto_tls,  &ot_proto_http, &ot_proto_ssh,    &ot_proto_smb,  &ot_proto_rdp,
    &ot_proto_dns,  &ot_proto_dhcp, &ot_proto_ftp,    &ot_proto_smtp, &ot_proto_pop3,
    &ot_proto_imap, &ot_proto_telnet, NULL,
};

static const char *const app_names[OT_APP__COUNT] = {
    [OT_APP_UNKNOWN] = "unknown", [OT_APP_DNS] = "dns",   [OT_APP_TLS] = "tls",
    [OT_APP_HTTP] = "http",       [OT_APP_SSH] = "ssh",   [OT_APP_DHCP] = "dhcp",
    [OT_APP_SMB] = "smb",         [OT_APP_RDP] = "rdp",   [OT_APP_FTP] = "ftp",
    [OT_APP_TELNET] = "telnet",   [OT_APP_POP3] = "pop3", [OT_APP_IMAP] = "imap",
    [OT_APP_SMTP] = "smtp",
};

const char *ot_app_proto_name(enum ot_app_proto id)
{
    if ((unsigned)id >= OT_APP__COUNT || !app_names[id])
        return "unknown";
    return app_names[id];
}

/* Bits of flow->app_flags owned by the dispatcher. */
#define APP_DONE      0x01 /* a parser was chosen, or we gave up looking */
#define APP_FAILED    0x02 /* the parser returned an error: feed it no more */
#define APP_TRIES_SH0 2    /* bits 2-3: probe attempts in dir 0 (saturating) */
#define APP_TRIES_SH1 4    /* bits 4-5: probe attempts in dir 1 */

void ot_proto_conf_defaults(struct ot_proto_conf *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->max_buffer = 64 * 1024;
}

void ot_proto_engine_init(struct ot_proto_engine *pe, const struct ot_proto_conf *conf,
                          struct ot_eve *eve)
{
    memset(pe, 0, sizeof(*pe));
    pe->conf = *conf;
    pe->ctx.eve = eve;
    pe->ctx.conf = &pe->conf;
    pe->probe_max_chunks = 3;
}

static unsigned tries(const struct ot_flow *f, int dir)
{
    return (f->app_flags >> (dir ? APP_TRIES_SH1 : APP_TRIES_SH0)) & 3;
}

static void count_try(struct ot_flow *f, int dir)
{
    unsigned sh = dir ? APP_TRIES_SH1 : APP_TRIES_SH0;
    unsigned t = (f->app_flags >> sh) & 3;
    if (t < 3)
        f->app_flags = (uint8_t)((f->app_flags & ~(3u << sh)) | ((t + 1) << sh));
}

/* Ask every candidate parser; choose the first that says yes. */
static void probe(struct ot_proto_engine *pe, struct ot_flow *f, int dir, const uint8_t *data,
                  uint32_t len)
{
    uint8_t transport = f->ip_proto == 6 ? OT_PROTO_TCP : f->ip_proto == 17 ? OT_PROTO_UDP : 0;
    if (!transport) {
        f->app_flags |= APP_DONE;
        return;
    }
    bool more = false;
    for (const struct ot_proto_parser *const *pp = ot_proto_parsers; *pp; pp++) {
        const struct ot_proto_parser *p = *pp;
        if (!(p->transports & transport))
            continue;
        enum ot_probe_result r = p->probe(f, dir, data, len);
        if (r == OT_PROBE_YES) {
            void *st = calloc(1, p->state_size ? p->state_size : 1);
            if (!st) {
                pe->stats.state_alloc_failed++;
                f->app_flags |= APP_DONE;
                return;
            }
            f->parser = p;
            f->app_state = st;
            f->app_proto = (uint16_t)p->id;
            f->app_flags |= APP_DONE;
            pe->stats.flows[p->id]++;
            return;
        }
        if (r == OT_PROBE_MORE)
            more = true;
    }
    count_try(f, dir);
    /* Give up once both sides have had their chances and nobody wants more. */
    bool exhausted = tries(f, 0) >= pe->probe_max_chunks && tries(f, 1) >= pe->probe_max_chunks;
    if (transport == OT_PROTO_UDP && !more && tries(f, dir) >= pe->probe_max_chunks)
        exhausted = true;
    if (exhausted)
        f->app_flags |= APP_DONE;
}

void ot_proto_on_data(struct ot_proto_engine *pe, struct ot_flow *f, int dir, const uint8_t *data,
                      uint32_t len, unsigned flags, uint64_t ts_us)
{
    if (f->app_flags & APP_FAILED)
        return;
    if (!f->parser) {
        if ((f->app_flags & APP_DONE) || !data || len == 0)
            return;
        probe(pe, f, dir, data, len);
        if (!f->parser)
            return;
    }
    pe->ctx.ts_us = ts_us;
    int rc = f->parser->parse(&pe->ctx, f, f->app_state, dir, data, len, flags);
    if (rc < 0) {
        pe->stats.errors[f->parser->id]++;
        f->app_flags |= APP_FAILED;
    }
}

void ot_proto_on_end(struct ot_proto_engine *pe, struct ot_flow *f, uint64_t ts_us)
{
    if (!f->parser)
        return;
    pe->ctx.ts_us = ts_us;
    if (f->parser->close)
        f->parser->close(&pe->ctx, f, f->app_state);
    free(f->app_state);
    f->app_state = NULL;
    f->parser = NULL;
}

int ot_pbuf_append(struct ot_pbuf *b, const uint8_t *data, size_t len, size_t max)
{
    if (len > max || b->len > max - len)
        return OT_ELIMIT;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + len)
            cap *= 2;
        if (cap > max)
            cap = max;
        uint8_t *nd = realloc(b->data, cap);
        if (!nd)
            return OT_ENOMEM;
        b->data = nd;
        b->cap = (uint32_t)cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += (uint32_t)len;
    return OT_OK;
}

void ot_pbuf_consume(struct ot_pbuf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= (uint32_t)n;
}

void ot_pbuf_free(struct ot_pbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}
