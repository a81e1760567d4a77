#include "proto/label.h"

#include <arpa/inet.h>
#include <ndpi/ndpi_api.h>
#include <stdlib.h>
#include <string.h>

#include "otasuke/error.h"
#include "proto/label-ndpi-arena.h"
#include "proto/proto.h"

/*
 * nDPI 4.2's own NDPI_BITMASK_COMPARE, replaced.  Its dissector loop calls
 * this exported function twice per dissector on every packet of a flow it
 * has not named yet (about 500 calls a packet), through the PLT, with two
 * 64-byte protocol bitmasks passed by value; the library's version tests
 * the 16 words one at a time and, for the common answer "no bit in common",
 * runs all 16.  It was the largest single item of the sensor's profile
 * (113 M of 1,510 M instructions on the bench capture; 3.7 % of the wall
 * time in perf, docs/performance.md).
 *
 * Defined here, in the executable, it is the definition the dynamic linker
 * binds libndpi's own calls to (the library calls it through its PLT, as it
 * does every exported function).  Same arguments, same answer (1: some bit
 * set in both, 0: none), tested against the library's definition
 * (tests/unit/sensor/proto/test_label_ndpi.c).  The first 8 bytes alone
 * answer the dissector-selection test (every dissector's mask holds the
 * unknown protocol's bit); the rest is tested in one pass without a branch.
 * Loads are 8 bytes because the caller has just pushed the masks 8 bytes at
 * a time: 16-byte vector loads straddle two pushes, cannot be forwarded
 * from the store buffer and made the function slower in wall time (3.9 %)
 * though it ran a third of the instructions.  This version: 2.1 %.  Where
 * the symbol is not interposed (a library built with -Bsymbolic or hidden
 * visibility) nDPI keeps its own and nothing else changes;
 * test_bitmask_compare_interposed says which is the case.
 */

/* Bytes 8i..8i+7 of a mask, as one load. */
static inline uint64_t mask_word(const NDPI_PROTOCOL_BITMASK *m, unsigned i)
{
    uint64_t w;
    memcpy(&w, (const char *)m->fds_bits + 8 * i, sizeof(w));
    return w;
}

int NDPI_BITMASK_COMPARE(NDPI_PROTOCOL_BITMASK a, NDPI_PROTOCOL_BITMASK b)
{
    _Static_assert(sizeof(a.fds_bits) == 64, "64-byte masks");
    if (mask_word(&a, 0) & mask_word(&b, 0))
        return 1;
    uint64_t any = 0;
    for (unsigned i = 1; i < 8; i++)
        any |= mask_word(&a, i) & mask_word(&b, i);
    return any != 0;
}

/*
 * Names of the (master, app) pairs met so far.  Every flow event writes its
 * label and category, and nDPI renders the label with snprintf() (about
 * 1,000 instructions); a run meets a few hundred distinct pairs, so a small
 * direct-mapped cache of the rendered names answers nearly every lookup.
 */
#define NAME_CACHE_SIZE 256

struct label_name {
    uint32_t key; /* master << 16 | app; 0 = empty (unknown/unknown is never looked up) */
    uint8_t len;
    char name[63];        /* as ndpi_protocol2name() writes it */
    const char *category; /* ndpi_category_get_name(): nDPI's own string */
};

/*
 * The last payload packet of a flow no parser has claimed yet, held back
 * until the parsers have seen its payload (the flow table calls on_packet
 * before on_data).  The labeler inspects it, or drops it when a parser
 * claimed the flow and policy leaves such flows to the parser, at the next
 * packet of any flow or at the flow's end.  The first payload packet is
 * nDPI's dearest (every dissector runs on it), so a claimed flow costs nDPI
 * nothing past its handshake.
 */
struct held_packet {
    struct ot_flow *f; /* NULL: nothing held */
    uint32_t len;
    uint64_t ts_us;
    uint8_t l3[65535];
};

/*
 * The SYN, SYN-ACK (and any FIN/RST) of a TCP flow before its first payload,
 * held back with the flow: nDPI gets them just before the flow's first
 * payload packet (or at the flow's end), so it sees the same packets in the
 * same order, and a flow one of our parsers claims never costs nDPI its
 * handshake.  Only while nDPI has seen nothing of the flow; a packet that
 * does not fit sends the held ones and itself to nDPI at once.
 */
#define HS_MAX 4
#define HS_LEN 120 /* IP + TCP headers with options */

struct hs_packet {
    uint64_t ts_us;
    uint32_t len;
    uint8_t l3[HS_LEN];
};

struct held_handshake {
    unsigned n;
    struct hs_packet p[HS_MAX];
};

/*
 * The payload packets of a UDP flow that has had no answer yet (label.h),
 * held back in one block: records of (time, length, bytes), each padded to
 * 8 bytes.  Stored in the flow's ndpi_hs, which a UDP flow does not use for
 * a handshake.  A packet longer than UDP_HOLD_LEN is not held: it and the
 * ones before it go to nDPI at once.
 */
#define UDP_HOLD_LEN 2048

struct udp_rec {
    uint64_t ts_us;
    uint32_t len;
    uint32_t pad;
    uint8_t l3[];
};

struct held_udp {
    uint32_t n;    /* records */
    uint32_t used; /* bytes of data[] used */
    uint32_t cap;  /* bytes of data[] */
    uint32_t pad;
    uint8_t data[];
};

/* Bytes a record of a LEN-byte packet takes in held_udp.data. */
static inline uint32_t udp_rec_size(uint32_t len)
{
    return (uint32_t)sizeof(struct udp_rec) + ((len + 7) & ~7u);
}

/*
 * Services nDPI could not name lately (see label.h): after nDPI has seen
 * payload of a flow and named nothing, new flows with the same client,
 * server, server port and IP protocol skip it for conf.unknown_us from that
 * verdict.  Direct-mapped; a fresh entry overwritten by another service is
 * counted (unknown_cache_replaced).
 */
#define UNKNOWN_SLOTS 4096 /* 48 bytes each: 192 KiB */

struct unknown_entry {
    struct ot_addr cli, srv;
    uint64_t since_us; /* time of the verdict; 0: empty */
    uint16_t srv_port;
    uint8_t ip_proto;
};

struct ot_labeler {
    struct ndpi_detection_module_struct *mod;
    struct ot_labeler_conf conf;
    struct ot_label_stats st;
    struct held_packet *held; /* NULL when conf.parsed_flows (nothing is ever held) */
    /* NAME_CACHE_SIZE entries, behind a pointer: users holding a const labeler fill it too. */
    struct label_name *names;
    struct unknown_entry *unknown; /* UNKNOWN_SLOTS entries; NULL when conf.unknown_us is 0 */
    struct ot_ndpi_arena *arena;   /* the module's start-up allocations (label-ndpi-arena.h) */
    uint16_t ssdp, dhcpv6;         /* nDPI's ids, for unanswered flows on their ports */
    bool replaying;                /* sending held UDP packets to nDPI: hold none of them again */
};

void ot_labeler_conf_defaults(struct ot_labeler_conf *c)
{
    c->max_packets = 4;
    c->parsed_flows = false;
    c->tls_flows = false;
    c->unknown_us = 300 * UINT64_C(1000000);
    c->unanswered_udp = false;
    c->held_bytes = UINT64_C(8) << 20;
}

int ot_labeler_new(const struct ot_labeler_conf *conf, struct ot_labeler **out)
{
    struct ot_labeler *l = calloc(1, sizeof(*l));
    if (!l)
        return OT_ENOMEM;
    l->conf = *conf;
    /* ndpi_pkts counts to max_packets; NDPI_DONE (255) is taken. */
    if (l->conf.max_packets == 0)
        l->conf.max_packets = 1;
    if (l->conf.max_packets > 254)
        l->conf.max_packets = 254;
    l->names = calloc(NAME_CACHE_SIZE, sizeof(*l->names));
    if (!l->names)
        goto out_free;
    if (l->conf.unknown_us) {
        l->unknown = calloc(UNKNOWN_SLOTS, sizeof(*l->unknown));
        if (!l->unknown)
            goto out_free;
    }
    if (!l->conf.parsed_flows) {
        l->held = malloc(sizeof(*l->held));
        if (!l->held)
            goto out_free;
        l->held->f = NULL;
    }
    l->arena = ot_ndpi_arena_begin();
    l->mod = ndpi_init_detection_module(ndpi_no_prefs);
    if (l->mod) {
        NDPI_PROTOCOL_BITMASK all;
        NDPI_BITMASK_SET_ALL(all);
        ndpi_set_protocol_detection_bitmask2(l->mod, &all);
        ndpi_finalize_initialization(l->mod);
    }
    ot_ndpi_arena_end_fill(l->arena);
    if (!l->mod)
        goto out_free;
    l->ssdp = ndpi_get_proto_by_name(l->mod, "SSDP");
    l->dhcpv6 = ndpi_get_proto_by_name(l->mod, "DHCPV6");
    *out = l;
    return OT_OK;

out_free:
    ot_ndpi_arena_release(l->arena);
    free(l->unknown);
    free(l->held);
    free(l->names);
    free(l);
    return OT_ENOMEM;
}

void ot_labeler_free(struct ot_labeler *l)
{
    if (!l)
        return;
    ndpi_exit_detection_module(l->mod);
    ot_ndpi_arena_release(l->arena);
    free(l->unknown);
    free(l->held);
    free(l->names);
    free(l);
}

/* Held UDP packets of f (ndpi_hs of a UDP flow), or NULL. */
static inline struct held_udp *held_udp(const struct ot_flow *f)
{
    return f->ip_proto == 17 ? f->ndpi_hs : NULL;
}

static void release(struct ot_labeler *l, struct ot_flow *f)
{
    const struct held_udp *u = held_udp(f);
    if (u)
        l->st.held_bytes -= sizeof(*u) + u->cap;
    free(f->ndpi_hs);
    f->ndpi_hs = NULL;
    if (f->ndpi) {
        ndpi_free_flow(f->ndpi);
        f->ndpi = NULL;
    }
}

/* Did nDPI name something (an application or its master protocol)? */
static inline bool named(ndpi_protocol pr)
{
    return pr.app_protocol != NDPI_PROTOCOL_UNKNOWN || pr.master_protocol != NDPI_PROTOCOL_UNKNOWN;
}

static void store(struct ot_flow *f, ndpi_protocol pr)
{
    f->ndpi_master = pr.master_protocol;
    f->ndpi_app = pr.app_protocol;
    struct ndpi_flow_struct *nf = f->ndpi;
    if (nf)
        f->ndpi_risk = nf->risk;
}

/* A flow named QUIC whose server name nDPI read: tell conf.on_quic, before the state goes. */
static void report_quic(const struct ot_labeler *l, const struct ot_flow *f, ndpi_protocol pr,
                        uint64_t ts_us)
{
    const struct ndpi_flow_struct *nf = f->ndpi;
    if (!l->conf.on_quic || !nf ||
        (pr.master_protocol != NDPI_PROTOCOL_QUIC && pr.app_protocol != NDPI_PROTOCOL_QUIC) ||
        !nf->host_server_name[0])
        return;
    char ja3[sizeof(nf->protos.tls_quic.ja3_client)];
    memcpy(ja3, nf->protos.tls_quic.ja3_client, sizeof(ja3));
    ja3[sizeof(ja3) - 1] = '\0';
    char sni[sizeof(nf->host_server_name)];
    memcpy(sni, nf->host_server_name, sizeof(sni));
    sni[sizeof(sni) - 1] = '\0';
    struct ot_label_quic q = {
        .sni = sni,
        .alpn = nf->protos.tls_quic.alpn ? nf->protos.tls_quic.alpn : "",
        .ua = nf->http.user_agent ? nf->http.user_agent : "",
        .ja3 = ja3,
    };
    l->conf.on_quic(l->conf.ctx, f, &q, ts_us);
}

/* Mark the label decided: no more packets go to nDPI for this flow. */
#define NDPI_DONE 0xff

/* The flow's slot in the table of services nDPI could not name. */
static struct unknown_entry *unknown_slot(const struct ot_labeler *l, const struct ot_flow *f)
{
    uint64_t h = (f->cli.u.q[0] ^ f->cli.u.q[1] * 31) * UINT64_C(0x9e3779b97f4a7c15);
    h ^= (f->srv.u.q[0] ^ f->srv.u.q[1] * 31 ^ (uint64_t)f->srv_port << 8 ^ f->ip_proto) *
         UINT64_C(0xc2b2ae3d27d4eb4f);
    return &l->unknown[(h ^ h >> 29) & (UNKNOWN_SLOTS - 1)];
}

/* Is entry e's verdict younger than conf.unknown_us at now_us (a clock gone back ends it)? */
static bool unknown_fresh(const struct ot_labeler *l, const struct unknown_entry *e,
                          uint64_t now_us)
{
    return e->since_us && now_us >= e->since_us && now_us - e->since_us < l->conf.unknown_us;
}

static bool unknown_same(const struct unknown_entry *e, const struct ot_flow *f)
{
    return e->since_us && e->srv_port == f->srv_port && e->ip_proto == f->ip_proto &&
           ot_addr_eq(&e->srv, &f->srv) && ot_addr_eq(&e->cli, &f->cli);
}

/* Did nDPI name nothing for this flow's service within conf.unknown_us before ts_us? */
static bool recently_unknown(const struct ot_labeler *l, const struct ot_flow *f, uint64_t ts_us)
{
    const struct unknown_entry *e = unknown_slot(l, f);
    return unknown_same(e, f) && unknown_fresh(l, e, ts_us);
}

/* nDPI named nothing for this flow, having seen its payload: remember its service. */
static void remember_unknown(struct ot_labeler *l, const struct ot_flow *f, uint64_t now_us)
{
    struct unknown_entry *e = unknown_slot(l, f);
    if (!unknown_same(e, f) && unknown_fresh(l, e, now_us))
        l->st.unknown_cache_replaced++;
    e->cli = f->cli;
    e->srv = f->srv;
    e->srv_port = f->srv_port;
    e->ip_proto = f->ip_proto;
    e->since_us = now_us ? now_us : 1;
}

/*
 * One packet through nDPI; decides the label when nDPI is done or after
 * max_packets packets with payload (a TLS ClientHello split over segments
 * must not leave TLS on port 80 to the give-up's port guess "HTTP").
 */
static void inspect(struct ot_labeler *l, struct ot_flow *f, const uint8_t *l3, uint32_t caplen,
                    uint64_t ts_us, bool payload);

/* The held handshake to nDPI, in order (it may decide the label on one of them). */
static void replay_handshake(struct ot_labeler *l, struct ot_flow *f)
{
    struct held_handshake *hs = f->ndpi_hs;
    f->ndpi_hs = NULL;
    for (unsigned i = 0; i < hs->n && f->ndpi_pkts != NDPI_DONE; i++)
        inspect(l, f, hs->p[i].l3, hs->p[i].len, hs->p[i].ts_us, false);
    free(hs);
}

/* Hold a payload-less TCP packet of a flow nDPI has not seen yet; false: inspect it now. */
static bool hold_handshake(struct ot_labeler *l, struct ot_flow *f, const struct ot_packet *p)
{
    struct held_handshake *hs = f->ndpi_hs;
    if (f->ndpi)
        return false;
    if (!hs && p->l3_caplen <= HS_LEN) {
        hs = malloc(sizeof(*hs));
        if (!hs)
            return false;
        hs->n = 0;
        f->ndpi_hs = hs;
    }
    if (!hs)
        return false;
    if (hs->n == HS_MAX || p->l3_caplen > HS_LEN) {
        replay_handshake(l, f);
        return false;
    }
    struct hs_packet *h = &hs->p[hs->n++];
    h->ts_us = p->ts_us;
    h->len = p->l3_caplen;
    memcpy(h->l3, p->l3, h->len);
    return true;
}

/*
 * Hold a payload packet of a UDP flow that has had no answer (label.h);
 * false: it goes to nDPI now (policy, an answer came, too long, or the held
 * bytes are at their bound), after any held before it.  Once max_packets
 * are held the rest are dropped, as nDPI would not have seen them.
 */
static bool hold_unanswered(struct ot_labeler *l, struct ot_flow *f, const uint8_t *l3,
                            uint32_t caplen, uint64_t ts_us, bool payload)
{
    if (l->conf.unanswered_udp || l->replaying || f->ip_proto != 17 || f->pkts[1] || !payload ||
        f->ndpi || caplen > UDP_HOLD_LEN)
        return false;
    struct held_udp *u = f->ndpi_hs;
    if (u && u->n >= l->conf.max_packets)
        return true;
    uint32_t rec = udp_rec_size(caplen);
    uint32_t used = u ? u->used : 0, cap = u ? u->cap : 0;
    if (used + rec > cap) {
        uint32_t ncap = cap ? cap * 2 : 128;
        while (ncap < used + rec)
            ncap *= 2;
        uint64_t more = ncap - cap + (u ? 0 : sizeof(*u));
        if (l->st.held_bytes + more > l->conf.held_bytes) {
            l->st.held_full++;
            return false;
        }
        struct held_udp *nu = realloc(u, sizeof(*nu) + ncap);
        if (!nu)
            return false;
        if (!u)
            nu->n = nu->used = 0;
        l->st.held_bytes += more;
        nu->cap = ncap;
        f->ndpi_hs = u = nu;
    }
    struct udp_rec *r = (struct udp_rec *)(void *)(u->data + u->used);
    r->ts_us = ts_us;
    r->len = caplen;
    memcpy(r->l3, l3, caplen);
    u->used += rec;
    u->n++;
    return true;
}

/*
 * The held packets of an unanswered UDP flow to nDPI, in order, before the
 * packet that made it send them (the answer, one too long to hold, or one
 * past the held-bytes bound; see hold_unanswered()).  None is held again:
 * once nDPI has seen the flow, its later packets go to it as they come.
 */
static void replay_unanswered(struct ot_labeler *l, struct ot_flow *f)
{
    struct held_udp *u = f->ndpi_hs;
    f->ndpi_hs = NULL;
    l->st.held_bytes -= sizeof(*u) + u->cap;
    l->replaying = true;
    for (uint32_t i = 0, off = 0; i < u->n && f->ndpi_pkts != NDPI_DONE; i++) {
        const struct udp_rec *r = (const struct udp_rec *)(const void *)(u->data + off);
        off += udp_rec_size(r->len);
        inspect(l, f, r->l3, r->len, r->ts_us, true);
    }
    l->replaying = false;
    free(u);
}

/*
 * The label of a UDP flow that ended unanswered, without inspection: what
 * nDPI guesses from the ports and (IPv4) addresses, else SSDP or DHCPv6 by
 * their ports, which nDPI 4.2 does not list (they are the commonest
 * unanswered payloads it read).
 */
static ndpi_protocol guess_unanswered(const struct ot_labeler *l, const struct ot_flow *f)
{
    uint32_t cli = 0, srv = 0;
    if (!f->v6) {
        memcpy(&cli, f->cli.u.b, 4);
        memcpy(&srv, f->srv.u.b, 4);
        cli = ntohl(cli);
        srv = ntohl(srv);
    }
    ndpi_protocol pr =
        ndpi_guess_undetected_protocol(l->mod, NULL, 17, cli, f->cli_port, srv, f->srv_port);
    if (!named(pr)) {
        if (f->srv_port == 1900 || f->cli_port == 1900)
            pr.app_protocol = l->ssdp;
        else if (f->srv_port == 547 || f->srv_port == 546)
            pr.app_protocol = l->dhcpv6;
    }
    return pr;
}

static void inspect(struct ot_labeler *l, struct ot_flow *f, const uint8_t *l3, uint32_t caplen,
                    uint64_t ts_us, bool payload)
{
    /* The first packet nDPI would see of this flow (held handshake included). */
    if (!f->ndpi && l->unknown && recently_unknown(l, f, ts_us)) {
        release(l, f);
        f->ndpi_pkts = NDPI_DONE;
        l->st.flows_unknown_cached++;
        return;
    }
    if (hold_unanswered(l, f, l3, caplen, ts_us, payload))
        return;
    if (f->ndpi_hs) {
        if (held_udp(f))
            replay_unanswered(l, f);
        else
            replay_handshake(l, f);
        if (f->ndpi_pkts == NDPI_DONE)
            return;
    }
    if (!f->ndpi) {
        f->ndpi = calloc(1, SIZEOF_FLOW_STRUCT);
        if (!f->ndpi) {
            l->st.alloc_failed++;
            f->ndpi_pkts = NDPI_DONE;
            return;
        }
    }
    uint32_t len = caplen > 65535 ? 65535 : caplen;
    l->st.packets_inspected++;
    ndpi_protocol pr =
        ndpi_detection_process_packet(l->mod, f->ndpi, l3, (unsigned short)len, ts_us / 1000);
    if (payload)
        f->ndpi_pkts++;
    if (named(pr) && !ndpi_extra_dissection_possible(l->mod, f->ndpi)) {
        store(f, pr);
        report_quic(l, f, pr, ts_us);
        l->st.flows_classified++;
        release(l, f);
        f->ndpi_pkts = NDPI_DONE;
        return;
    }
    if (f->ndpi_pkts >= l->conf.max_packets)
        ot_labeler_flow_end(l, f);
}

/* Has one of our parsers claimed the flow, and does policy then leave it to that parser? */
static bool left_to_parser(const struct ot_labeler *l, const struct ot_flow *f)
{
    if (!f->parser || l->conf.parsed_flows)
        return false;
    /* TLS with nDPI on request: SNI and certificate labels (TLS.YouTube), certificate risks. */
    return !(l->conf.tls_flows && f->app_proto == OT_APP_TLS);
}

/* Inspect or drop the held packet, now that the parsers have seen its payload. */
static void release_held(struct ot_labeler *l)
{
    struct held_packet *h = l->held;
    struct ot_flow *f = h ? h->f : NULL;
    if (!f)
        return;
    h->f = NULL;
    if (f->ndpi_pkts == NDPI_DONE)
        return;
    if (left_to_parser(l, f))
        ot_labeler_stop(l, f);
    else
        inspect(l, f, h->l3, h->len, h->ts_us, true);
}

void ot_labeler_packet(struct ot_labeler *l, struct ot_flow *f, int dir, const struct ot_packet *p)
{
    release_held(l);
    if (f->ndpi_pkts == NDPI_DONE || !p->l3 || p->l3_caplen == 0)
        return;
    if (left_to_parser(l, f)) {
        ot_labeler_stop(l, f);
        return;
    }
    /*
     * Bare TCP ACKs tell nDPI nothing once the handshake is seen, yet cost
     * it thousands of instructions each: only SYNs, FINs/RSTs and segments
     * with payload go in, and the ones without payload only until the first
     * payload (they do not count towards max_packets, so this bounds them).
     */
    if (p->ip_proto == 6 && p->payload_len == 0 &&
        (f->ndpi_pkts > 0 || !(p->tcp_flags & (OT_TH_SYN | OT_TH_FIN | OT_TH_RST))))
        return;
    if (l->held && !f->parser && p->payload_len > 0) {
        struct held_packet *h = l->held;
        h->f = f;
        h->len = p->l3_caplen > sizeof(h->l3) ? (uint32_t)sizeof(h->l3) : p->l3_caplen;
        memcpy(h->l3, p->l3, h->len);
        h->ts_us = p->ts_us;
        /* inspect() looks the service up at the next packet: have its slot in cache by then. */
        if (!f->ndpi && l->unknown)
            __builtin_prefetch(unknown_slot(l, f));
        return;
    }
    if (l->held && !f->parser && p->ip_proto == 6 && p->payload_len == 0 && hold_handshake(l, f, p))
        return;
    inspect(l, f, p->l3, p->l3_caplen, p->ts_us, p->payload_len > 0);
}

void ot_labeler_stop(struct ot_labeler *l, struct ot_flow *f)
{
    if (l->held && l->held->f == f)
        l->held->f = NULL;
    if (f->ndpi_pkts == NDPI_DONE)
        return;
    release(l, f);
    f->ndpi_pkts = NDPI_DONE;
    l->st.flows_skipped++;
}

/*
 * The flow's label is pr, decided at its end or after max_packets (guessed:
 * from ports and addresses, not read from payload): keep it, count it,
 * remember a service nDPI saw payload of and could not name, and free
 * nDPI's state.
 */
static void decided(struct ot_labeler *l, struct ot_flow *f, ndpi_protocol pr, bool guessed)
{
    store(f, pr);
    report_quic(l, f, pr, f->last_us);
    if (!named(pr)) {
        l->st.flows_unknown++;
        /* Only after payload: a service that never answered has not been judged. */
        if (l->unknown && f->ndpi_pkts > 0)
            remember_unknown(l, f, f->last_us);
    } else if (guessed) {
        l->st.flows_guessed++;
    } else {
        l->st.flows_classified++;
    }
    release(l, f);
    f->ndpi_pkts = NDPI_DONE;
}

void ot_labeler_flow_end(struct ot_labeler *l, struct ot_flow *f)
{
    if (l->held && l->held->f == f)
        release_held(l);
    if (held_udp(f) && f->ndpi_pkts != NDPI_DONE) {
        /* Unanswered to the end (an answer would have sent the held packets on). */
        l->st.flows_unanswered++;
        decided(l, f, guess_unanswered(l, f), true);
        return;
    }
    if (f->ndpi_hs && f->ndpi_pkts != NDPI_DONE)
        replay_handshake(l, f);
    if (f->ndpi_pkts == NDPI_DONE || !f->ndpi) {
        release(l, f);
        return;
    }
    uint8_t guessed = 0;
    ndpi_protocol pr = ndpi_detection_giveup(l->mod, f->ndpi, 1, &guessed);
    decided(l, f, pr, guessed);
}

/* The cached names of a flow's label, or NULL when nDPI gave it none. */
static const struct label_name *label_names(const struct ot_labeler *l, const struct ot_flow *f)
{
    if (f->ndpi_master == NDPI_PROTOCOL_UNKNOWN && f->ndpi_app == NDPI_PROTOCOL_UNKNOWN)
        return NULL;
    uint32_t key = (uint32_t)f->ndpi_master << 16 | f->ndpi_app;
    struct label_name *e = &l->names[(key * 2654435761u) >> 24];
    if (e->key == key)
        return e;
    ndpi_protocol pr = {.master_protocol = f->ndpi_master, .app_protocol = f->ndpi_app};
    char buf[64];
    ndpi_protocol2name(l->mod, pr, buf, sizeof(buf));
    e->key = key;
    e->len = (uint8_t)strnlen(buf, sizeof(e->name));
    memcpy(e->name, buf, e->len);
    e->category = ndpi_category_get_name(l->mod, ndpi_get_proto_category(l->mod, pr));
    return e;
}

void ot_labeler_write(const struct ot_labeler *l, const struct ot_flow *f, struct ot_jw *w)
{
    const struct label_name *n = label_names(l, f);
    if (!n)
        return;
    ot_jw_strn(w, "app_label", n->name, n->len);
    ot_jw_str(w, "app_category", n->category);
    if (f->ndpi_risk) {
        ot_jw_arr_open(w, "risks");
        for (unsigned i = 1; i < NDPI_MAX_RISK && i < 64; i++)
            if (f->ndpi_risk & (1ULL << i))
                ot_jw_str(w, NULL, ndpi_risk2str((ndpi_risk_enum)i));
        ot_jw_arr_close(w);
    }
}

const struct ot_label_stats *ot_labeler_stats(const struct ot_labeler *l)
{
    return &l->st;
}

const char *ot_labeler_name(const struct ot_labeler *l, const struct ot_flow *f, char *buf,
                            size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    const struct label_name *n = label_names(l, f);
    if (!n)
        return buf;
    /* As ndpi_protocol2name() into buf would: cut to fit, always terminated. */
    size_t k = n->len < len - 1 ? n->len : len - 1;
    memcpy(buf, n->name, k);
    buf[k] = '\0';
    return buf;
}
