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
extern const struct ot_proto_parser ot_proto_quic;
extern const struct ot_proto_parser ot_proto_rsh;
extern const struct ot_proto_parser ot_proto_irc;

/* Probe order matters only where two probes could both say yes: specific first. */
const struct ot_proto_parser *const ot_proto_parsers[] = {
    &ot_proto_tls, &ot_proto_http, &ot_proto_ssh,    &ot_proto_smb,  &ot_proto_rdp,  &ot_proto_quic,
    &ot_proto_dns, &ot_proto_dhcp, &ot_proto_ftp,    &ot_proto_smtp, &ot_proto_pop3, &ot_proto_imap,
    &ot_proto_rsh, &ot_proto_irc,  &ot_proto_telnet, NULL,
};

static const char *const app_names[OT_APP__COUNT] = {
    [OT_APP_UNKNOWN] = "unknown", [OT_APP_DNS] = "dns",   [OT_APP_TLS] = "tls",
    [OT_APP_HTTP] = "http",       [OT_APP_SSH] = "ssh",   [OT_APP_DHCP] = "dhcp",
    [OT_APP_SMB] = "smb",         [OT_APP_RDP] = "rdp",   [OT_APP_FTP] = "ftp",
    [OT_APP_TELNET] = "telnet",   [OT_APP_POP3] = "pop3", [OT_APP_IMAP] = "imap",
    [OT_APP_SMTP] = "smtp",       [OT_APP_QUIC] = "quic", [OT_APP_IRC] = "irc",
    [OT_APP_RSH] = "rsh",
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
    conf->max_memory = 64u << 20;
}

/* The parsers' buffer budget (ot_proto_mem_take): the process's, set by the engine. */
static struct ot_proto_mem_stats pmem = {.limit = UINT64_MAX};

void ot_proto_engine_init(struct ot_proto_engine *pe, const struct ot_proto_conf *conf,
                          struct ot_eve *eve)
{
    memset(pe, 0, sizeof(*pe));
    pe->conf = *conf;
    pmem.limit = conf->max_memory;
    pe->ctx.eve = eve;
    pe->ctx.conf = &pe->conf;
    pe->probe_max_chunks = 3;
    size_t n[2] = {0, 0};
    for (const struct ot_proto_parser *const *pp = ot_proto_parsers; *pp; pp++)
        for (int t = 0; t < 2; t++)
            if (((*pp)->transports & (t ? OT_PROTO_UDP : OT_PROTO_TCP)) && n[t] < OT_APP__COUNT)
                pe->candidates[t][n[t]++] = *pp;
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

/*
 * TCP bytes held while no parser has claimed the flow, so that a probe can
 * see a header split over several small segments and the chosen parser
 * still gets the stream from its first byte.  Lives in f->app_state until a
 * parser is chosen (then app_state is the parser's).
 */
#define PROBE_BUF 256
struct probe_buf {
    uint16_t len[2];
    int8_t first_dir;
    uint8_t data[2][PROBE_BUF];
};

/* Ask every candidate parser about `data`. Returns the parser that said yes, or NULL. */
static const struct ot_proto_parser *ask(const struct ot_proto_engine *pe, const struct ot_flow *f,
                                         uint8_t transport, int dir, const uint8_t *data,
                                         size_t len, bool *more)
{
    const struct ot_proto_parser *const *pp = pe->candidates[transport == OT_PROTO_UDP];
    for (; *pp; pp++) {
        const struct ot_proto_parser *p = *pp;
        enum ot_probe_result r = p->probe(f, dir, data, len);
        if (r == OT_PROBE_YES)
            return p;
        if (r == OT_PROBE_MORE)
            *more = true;
    }
    return NULL;
}

static bool choose(struct ot_proto_engine *pe, struct ot_flow *f, const struct ot_proto_parser *p)
{
    void *st = calloc(1, p->state_size ? p->state_size : 1);
    f->app_flags |= APP_DONE;
    if (!st) {
        pe->stats.state_alloc_failed++;
        return false;
    }
    f->parser = p;
    f->app_state = st;
    f->app_proto = (uint16_t)p->id;
    pe->stats.flows[p->id]++;
    return true;
}

static void give_up(struct ot_flow *f)
{
    f->app_flags |= APP_DONE;
    free(f->app_state); /* the probe buffer, if any */
    f->app_state = NULL;
}

/*
 * The parser handed the connection to TLS (STARTTLS, CONNECT) and the client
 * now sends a ClientHello: end the old parser (it writes what it has) and
 * let the TLS parser read the rest of the flow.
 */
static void hand_over_to_tls(struct ot_proto_engine *pe, struct ot_flow *f, int dir,
                             const uint8_t *data, uint32_t len)
{
    const struct ot_proto_parser *old = f->parser;
    if (old == &ot_proto_tls || dir != 0 || !data ||
        ot_proto_tls.probe(f, dir, data, len) != OT_PROBE_YES)
        return;
    if (old->close)
        old->close(&pe->ctx, f, f->app_state);
    free(f->app_state);
    f->app_state = NULL;
    f->parser = NULL;
    f->app_proto_orig = f->app_proto;
    choose(pe, f, &ot_proto_tls);
}

static void feed(struct ot_proto_engine *pe, struct ot_flow *f, int dir, const uint8_t *data,
                 uint32_t len, unsigned flags)
{
    if (f->app_flags & APP_FAILED || len == 0)
        return;
    if (f->parser->handed_over && !(flags & OT_DATA_GAP) && f->parser->handed_over(f->app_state)) {
        hand_over_to_tls(pe, f, dir, data, len);
        if (!f->parser) /* the TLS state could not be allocated */
            return;
    }
    int rc = f->parser->parse(&pe->ctx, f, f->app_state, dir, data, len, flags);
    if (rc < 0) {
        pe->stats.errors[f->parser->id]++;
        f->app_flags |= APP_FAILED;
    }
}

/* UDP: every datagram is a whole message; probe each one on its own. */
static void probe_udp(struct ot_proto_engine *pe, struct ot_flow *f, int dir, const uint8_t *data,
                      uint32_t len)
{
    bool more = false;
    const struct ot_proto_parser *p = ask(pe, f, OT_PROTO_UDP, dir, data, len, &more);
    if (p) {
        if (choose(pe, f, p))
            feed(pe, f, dir, data, len, 0);
        return;
    }
    count_try(f, dir);
    if (!more && tries(f, dir) >= pe->probe_max_chunks)
        f->app_flags |= APP_DONE;
}

/* TCP: probe the stream's first bytes, buffering up to PROBE_BUF per direction. */
static void probe_tcp(struct ot_proto_engine *pe, struct ot_flow *f, int dir, const uint8_t *data,
                      uint32_t len, unsigned flags)
{
    struct probe_buf *pb = f->app_state;
    if (flags & OT_DATA_GAP) {
        if (pb)
            pb->len[dir] = 0; /* what we held is no longer contiguous with what follows */
        return;
    }
    bool more = false;
    if (!pb) {
        /* Fast path: the first chunk usually decides. */
        const struct ot_proto_parser *p = ask(pe, f, OT_PROTO_TCP, dir, data, len, &more);
        if (p) {
            if (choose(pe, f, p))
                feed(pe, f, dir, data, len, 0);
            return;
        }
        count_try(f, dir);
        pb = calloc(1, sizeof(*pb));
        if (!pb) {
            pe->stats.state_alloc_failed++;
            give_up(f);
            return;
        }
        pb->first_dir = (int8_t)dir;
        f->app_state = pb;
        uint32_t n = len < PROBE_BUF ? len : PROBE_BUF;
        memcpy(pb->data[dir], data, n);
        pb->len[dir] = (uint16_t)n;
        if (!more && len >= PROBE_BUF && tries(f, !dir) >= pe->probe_max_chunks)
            give_up(f);
        return;
    }
    /*
     * The held bytes with this chunk first: a header split over segments
     * is only whole there, and its second half alone may look like a
     * message of its own ("RPC_IN" + "_DATA / HTTP/1.1": a request with
     * method "_DATA").
     */
    uint32_t held = pb->len[dir];
    uint32_t room = PROBE_BUF - held;
    uint32_t n = len < room ? len : room;
    memcpy(pb->data[dir] + held, data, n);
    pb->len[dir] = (uint16_t)(held + n);
    const struct ot_proto_parser *p = NULL;
    if (held && n)
        p = ask(pe, f, OT_PROTO_TCP, dir, pb->data[dir], pb->len[dir], &more);
    if (p) {
        f->app_state = NULL;
        if (choose(pe, f, p)) {
            /* Replay what was held, the side that spoke first first, then the rest of this chunk.
             */
            int a = pb->first_dir, b = !pb->first_dir;
            feed(pe, f, a, pb->data[a], pb->len[a], 0);
            feed(pe, f, b, pb->data[b], pb->len[b], 0);
            feed(pe, f, dir, data + n, len - n, 0);
        }
        free(pb);
        return;
    }
    /*
     * Then the chunk alone: a protocol may start mid-stream after another
     * one (TLS after LDAP or PostgreSQL STARTTLS, HTTP after a SOCKS
     * handshake), and a chunk that begins a message on its own wins over the
     * held bytes before it.
     */
    p = ask(pe, f, OT_PROTO_TCP, dir, data, len, &more);
    if (p) {
        free(pb); /* the held bytes belong to what came before */
        f->app_state = NULL;
        if (choose(pe, f, p))
            feed(pe, f, dir, data, len, 0);
        return;
    }
    count_try(f, dir);
    bool full0 = pb->len[0] >= PROBE_BUF || tries(f, 0) >= pe->probe_max_chunks;
    bool full1 = pb->len[1] >= PROBE_BUF || tries(f, 1) >= pe->probe_max_chunks;
    if ((full0 && full1 && !more) || (pb->len[0] >= PROBE_BUF && pb->len[1] >= PROBE_BUF))
        give_up(f);
}

/* A flow no parser has claimed yet: probe it.  Out of line to keep ot_proto_on_data() small. */
__attribute__((noinline)) static void identify(struct ot_proto_engine *pe, struct ot_flow *f,
                                               int dir, const uint8_t *data, uint32_t len,
                                               unsigned flags)
{
    if (f->ip_proto == 6) {
        probe_tcp(pe, f, dir, data, len, flags);
    } else if (f->ip_proto == 17) {
        if (data && len)
            probe_udp(pe, f, dir, data, len);
    } else {
        f->app_flags |= APP_DONE;
    }
}

/*
 * Most calls are for flows that no parser took (APP_DONE): they return
 * before anything else is touched.
 */
void ot_proto_on_data(struct ot_proto_engine *pe, struct ot_flow *f, int dir, const uint8_t *data,
                      uint32_t len, unsigned flags, uint64_t ts_us)
{
    if (f->parser) {
        pe->ctx.ts_us = ts_us;
        feed(pe, f, dir, data, len, flags);
    } else if (!(f->app_flags & APP_DONE)) {
        pe->ctx.ts_us = ts_us;
        identify(pe, f, dir, data, len, flags);
    }
}

void ot_proto_on_end(struct ot_proto_engine *pe, struct ot_flow *f, uint64_t ts_us)
{
    if (!f->parser) {
        give_up(f);
        return;
    }
    pe->ctx.ts_us = ts_us;
    if (f->parser->close)
        f->parser->close(&pe->ctx, f, f->app_state);
    free(f->app_state);
    f->app_state = NULL;
    f->parser = NULL;
}

bool ot_proto_mem_take(size_t n)
{
    /* used may exceed a limit lowered by a later engine: then nothing more fits. */
    if (pmem.used > pmem.limit || n > pmem.limit - pmem.used) {
        pmem.refused++;
        return false;
    }
    pmem.used += n;
    if (pmem.used > pmem.peak)
        pmem.peak = pmem.used;
    return true;
}

void ot_proto_mem_give(size_t n)
{
    pmem.used = n <= pmem.used ? pmem.used - n : 0;
}

void ot_proto_mem_stats(struct ot_proto_mem_stats *st)
{
    *st = pmem;
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
        if (!ot_proto_mem_take(cap - b->cap))
            return OT_ELIMIT;
        uint8_t *nd = realloc(b->data, cap);
        if (!nd) {
            ot_proto_mem_give(cap - b->cap);
            return OT_ENOMEM;
        }
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
    ot_proto_mem_give(b->cap);
    free(b->data);
    memset(b, 0, sizeof(*b));
}
