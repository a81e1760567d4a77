/*
 * Test rig for the content detectors (dns-tunnel, dga, beacon,
 * cryptomining, rat): flows-rig.h's engine and flow builders, plus the
 * observations and first payloads those detectors read (DNS questions and
 * answers, TLS SNI, HTTP, the payload hook).
 */
#ifndef OT_TESTS_DETECT_CONTENT_RIG_H
#define OT_TESTS_DETECT_CONTENT_RIG_H

#include "flows-rig.h"

#define PC       "192.168.1.66"
#define RESOLVER "192.168.1.1"

/* A DNS flow from CLI to the resolver (port 53 unless PORT). */
static inline void dns_flow(struct rig *r, struct ot_flow *f, const char *cli, uint16_t port,
                            uint64_t t)
{
    udp_flow(r, f, cli, 53000, RESOLVER, port ? port : 53, t, 1, 1);
}

/* One question for NAME (client to server) at T. */
static inline void dns_query(struct rig *r, struct ot_flow *f, const char *name, uint16_t qtype,
                             uint64_t t)
{
    struct ot_obs o;
    memset(&o, 0, sizeof(o));
    o.kind = OT_OBS_DNS_QUERY;
    o.dir = 0;
    o.ts_us = t;
    o.u.dns.qname = ot_str_make(name, strlen(name));
    o.u.dns.qtype = qtype;
    f->last_us = t;
    ot_detect_observe(r->d, f, &o);
}

/* The answer to NAME with RCODE and N records RRS (server to client) at T. */
static inline void dns_answer(struct rig *r, struct ot_flow *f, const char *name, uint16_t qtype,
                              uint8_t rcode, const struct ot_obs_dns_rr *rrs, uint16_t n,
                              uint64_t t)
{
    struct ot_obs o;
    memset(&o, 0, sizeof(o));
    o.kind = OT_OBS_DNS_ANSWER;
    o.dir = 1;
    o.ts_us = t;
    o.u.dns.qname = ot_str_make(name, strlen(name));
    o.u.dns.qtype = qtype;
    o.u.dns.rcode = rcode;
    o.u.dns.n_answers = n;
    o.u.dns.n_rrs = n;
    o.u.dns.rrs = rrs;
    f->last_us = t;
    ot_detect_observe(r->d, f, &o);
}

/* A question and its answer: an A record, or NXDOMAIN when NX. */
static inline void dns_lookup(struct rig *r, const char *cli, const char *name, bool nx, uint64_t t)
{
    struct ot_flow f;
    dns_flow(r, &f, cli, 0, t);
    dns_query(r, &f, name, 1, t);
    struct ot_obs_dns_rr rr;
    memset(&rr, 0, sizeof(rr));
    rr.rtype = 1;
    rr.data_len = 4;
    dns_answer(r, &f, name, 1, nx ? 3 : 0, nx ? NULL : &rr, nx ? 0 : 1, t + 20000);
}

/* A TLS ClientHello naming SNI on flow F. */
static inline void tls_sni(struct rig *r, struct ot_flow *f, const char *sni, uint64_t t)
{
    struct ot_obs o;
    memset(&o, 0, sizeof(o));
    o.kind = OT_OBS_TLS;
    o.ts_us = t;
    o.u.tls.sni = ot_str_make(sni, strlen(sni));
    ot_detect_observe(r->d, f, &o);
}

/* The first payload of direction DIR of flow F (the bytes of a C string). */
static inline void first_payload(struct rig *r, const struct ot_flow *f, int dir, const void *p,
                                 size_t n)
{
    ot_detect_payload(r->d, f, dir, p, n);
}

/* Count alert lines by category. */
static inline size_t n_category(json_t *arr, const char *cat)
{
    size_t n = 0, i;
    json_t *ev;
    json_array_foreach(arr, i, ev)
    {
        const char *c = json_string_value(json_object_get(alert_of(ev), "category"));
        n += c && strcmp(c, cat) == 0;
    }
    return n;
}

#endif
