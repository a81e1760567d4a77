/*
 * Test rig for the flow-shape detectors (scan, bruteforce, exposure,
 * lateral): the real engine with one detector switched on, writing to a
 * temporary EVE file, and builders for the flows those detectors judge
 * (struct ot_flow values as the flow table leaves them at flow end).
 */
#ifndef OT_TESTS_DETECT_FLOWS_RIG_H
#define OT_TESTS_DETECT_FLOWS_RIG_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "detect/detect.h"
#include "flow/flow.h"
#include "otasuke/error.h"
#include "output/eve.h"

#define SEC 1000000ull
#define T0  (1770026400ull * SEC) /* 2026-02-02T10:00:00Z */

struct rig {
    struct ot_eve eve;
    struct ot_detect *d;
    struct ot_detect_conf conf;
    char path[64];
    uint64_t next_id;
};

/* Defaults, with only detector ONLY switched on (NULL: all of them). */
static inline void rig_init(struct rig *r, const char *only)
{
    memset(r, 0, sizeof(*r));
    ot_detect_conf_defaults(&r->conf);
    for (size_t i = 0; ot_detectors[i] && i < OT_DETECT_MAX_DETECTORS; i++)
        r->conf.det_enabled[i] = !only || strcmp(ot_detectors[i]->name, only) == 0;
    r->next_id = 1;
}

static inline void rig_set(struct rig *r, const char *key, const char *value)
{
    char why[256];
    int rc = ot_detect_conf_set(&r->conf, key, value, why, sizeof(why));
    if (rc) {
        fprintf(stderr, "rig_set %s=%s: %s\n", key, value, why);
        abort();
    }
}

static inline void rig_open(struct rig *r)
{
    snprintf(r->path, sizeof(r->path), "/tmp/ot-detflows-XXXXXX");
    int fd = mkstemp(r->path);
    if (fd < 0)
        abort();
    close(fd);
    struct ot_eve_config ec;
    ot_eve_config_defaults(&ec);
    ec.path = r->path;
    ec.sensor_id = "t";
    if (ot_eve_open(&r->eve, &ec) != 0 || ot_detect_new(&r->conf, &r->eve, &r->d) != 0)
        abort();
}

/* Finish, free, and return the alerts written (a JSON array; the caller decrefs). */
static inline json_t *rig_close(struct rig *r)
{
    ot_detect_finish(r->d);
    ot_detect_free(r->d);
    r->d = NULL;
    if (ot_eve_close(&r->eve) != 0)
        abort();
    json_t *arr = json_array();
    FILE *fp = fopen(r->path, "r");
    if (!fp)
        abort();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0) {
        json_error_t err;
        json_t *ev = json_loads(line, JSON_ALLOW_NUL, &err);
        if (!ev) {
            fprintf(stderr, "invalid JSON: %s (%s)\n", line, err.text);
            abort();
        }
        const char *t = json_string_value(json_object_get(ev, "event_type"));
        if (t && strcmp(t, "alert") == 0)
            json_array_append(arr, ev);
        json_decref(ev);
    }
    free(line);
    fclose(fp);
    unlink(r->path);
    return arr;
}

static inline json_t *alert_of(json_t *ev)
{
    return json_object_get(ev, "alert");
}

static inline json_int_t alert_int(json_t *ev, const char *key)
{
    return json_integer_value(json_object_get(alert_of(ev), key));
}

static inline json_int_t ev_int(json_t *ev, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(alert_of(ev), "evidence"), key));
}

static inline const char *ev_str(json_t *ev, const char *key)
{
    return json_string_value(json_object_get(json_object_get(alert_of(ev), "evidence"), key));
}

static inline const char *top_str(json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

/* How many alert lines carry signature SID. */
static inline size_t n_sid(json_t *arr, json_int_t sid)
{
    size_t n = 0, i;
    json_t *ev;
    json_array_foreach(arr, i, ev) n += alert_int(ev, "signature_id") == sid;
    return n;
}

/* The first alert line with SID, or NULL. */
static inline json_t *get_sid(json_t *arr, json_int_t sid)
{
    size_t i;
    json_t *ev;
    json_array_foreach(arr, i, ev) if (alert_int(ev, "signature_id") == sid) return ev;
    return NULL;
}

/* ---- flows ---- */

static inline void addr_of(struct ot_addr *a, const char *ip, bool *v6)
{
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, ip, a->u.b) == 1) {
        *v6 = false;
        return;
    }
    if (inet_pton(AF_INET6, ip, a->u.b) == 1) {
        *v6 = true;
        return;
    }
    abort();
}

static inline void flow_init(struct rig *r, struct ot_flow *f, uint8_t proto, const char *cli,
                             uint16_t cport, const char *srv, uint16_t sport, uint64_t start_us)
{
    memset(f, 0, sizeof(*f));
    addr_of(&f->cli, cli, &f->v6);
    addr_of(&f->srv, srv, &f->v6);
    f->cli_port = cport;
    f->srv_port = sport;
    f->ip_proto = proto;
    f->flow_id = r->next_id++;
    snprintf(f->community_id, sizeof(f->community_id), "1:test%llu",
             (unsigned long long)f->flow_id);
    f->start_us = f->last_us = start_us;
}

/* What a TCP flow looked like when it ended. */
enum tcp_shape {
    TCP_SYN_SILENT,   /* SYN (and retries), no answer: filtered */
    TCP_SYN_RST,      /* SYN answered by RST: closed port */
    TCP_HALF_OPEN,    /* handshake, then the client sent nothing and reset it */
    TCP_UNUSED,       /* handshake, then the client sent nothing and closed it (FIN) */
    TCP_SESSION,      /* handshake, data both ways, FIN both ways */
    TCP_SESSION_OPEN, /* handshake, data both ways, still established (timed out) */
    TCP_NULL_PROBE,   /* no flags at all, answered RST */
    TCP_FIN_PROBE,    /* FIN alone, answered RST */
    TCP_BARE_ACK,     /* ACK alone (midstream), answered RST */
    TCP_SYNACK_ONLY,  /* only a SYN-ACK seen (backscatter) */
};

static inline void tcp_flow(struct rig *r, struct ot_flow *f, const char *cli, uint16_t cport,
                            const char *srv, uint16_t sport, uint64_t start_us, uint64_t dur_us,
                            enum tcp_shape shape)
{
    flow_init(r, f, 6, cli, cport, srv, sport, start_us);
    f->last_us = start_us + dur_us;
    const uint8_t SYN = OT_TH_SYN, ACK = OT_TH_ACK, RST = OT_TH_RST, FIN = OT_TH_FIN,
                  PSH = OT_TH_PSH;
    switch (shape) {
    case TCP_SYN_SILENT:
        f->tcp_flags[0] = SYN;
        f->pkts[0] = 3;
        f->tcp_saw_syn = true;
        break;
    case TCP_SYN_RST:
        f->tcp_flags[0] = SYN;
        f->tcp_flags[1] = RST | ACK;
        f->pkts[0] = f->pkts[1] = 1;
        f->state = OT_FLOW_CLOSED;
        f->tcp_saw_syn = true;
        break;
    case TCP_HALF_OPEN:
        f->tcp_flags[0] = SYN | ACK | RST;
        f->tcp_flags[1] = SYN | ACK;
        f->pkts[0] = 3;
        f->pkts[1] = 1;
        f->state = OT_FLOW_CLOSED;
        f->tcp_saw_syn = true;
        break;
    case TCP_UNUSED:
        f->tcp_flags[0] = SYN | ACK | FIN;
        f->tcp_flags[1] = SYN | ACK | FIN;
        f->pkts[0] = 3;
        f->pkts[1] = 2;
        f->state = OT_FLOW_CLOSED;
        f->tcp_saw_syn = true;
        break;
    case TCP_SESSION:
    case TCP_SESSION_OPEN:
        f->tcp_flags[0] = SYN | ACK | PSH | (shape == TCP_SESSION ? FIN : 0);
        f->tcp_flags[1] = SYN | ACK | PSH | (shape == TCP_SESSION ? FIN : 0);
        f->pkts[0] = 12;
        f->pkts[1] = 10;
        f->detect_seen = 3;
        f->state = shape == TCP_SESSION ? OT_FLOW_CLOSED : OT_FLOW_ESTABLISHED;
        f->tcp_saw_syn = true;
        break;
    case TCP_NULL_PROBE:
    case TCP_FIN_PROBE:
    case TCP_BARE_ACK:
        f->tcp_flags[0] = shape == TCP_NULL_PROBE ? 0 : shape == TCP_FIN_PROBE ? FIN : ACK;
        f->tcp_flags[1] = RST | ACK;
        f->pkts[0] = f->pkts[1] = 1;
        f->state = OT_FLOW_CLOSED;
        break;
    case TCP_SYNACK_ONLY:
        f->tcp_flags[1] = SYN | ACK;
        f->pkts[1] = 1;
        f->tcp_saw_syn = true;
        break;
    }
    f->bytes[0] = f->pkts[0] * 60;
    f->bytes[1] = f->pkts[1] * 60;
}

/* A UDP flow: the client sent PKTS datagrams, the server ANSWERS (0: none). */
static inline void udp_flow(struct rig *r, struct ot_flow *f, const char *cli, uint16_t cport,
                            const char *srv, uint16_t sport, uint64_t start_us, uint64_t pkts,
                            uint64_t answers)
{
    flow_init(r, f, 17, cli, cport, srv, sport, start_us);
    f->pkts[0] = pkts;
    f->pkts[1] = answers;
    f->detect_seen = (uint8_t)(1 | (answers ? 2 : 0));
    f->state = answers ? OT_FLOW_ESTABLISHED : OT_FLOW_NEW;
    f->last_us = start_us + 1000;
}

/* Start and end a flow, as the sensor would. */
static inline void run_flow(struct rig *r, const struct ot_flow *f)
{
    struct ot_packet p;
    memset(&p, 0, sizeof(p));
    p.ts_us = f->start_us;
    p.src = f->cli;
    p.dst = f->srv;
    p.sp = f->cli_port;
    p.dp = f->srv_port;
    p.ip_proto = f->ip_proto;
    p.flags = (f->v6 ? OT_PKT_IPV6 : OT_PKT_IPV4) | (f->ip_proto == 6    ? OT_PKT_TCP
                                                     : f->ip_proto == 17 ? OT_PKT_UDP
                                                                         : 0);
    p.tcp_flags = f->tcp_flags[0] & OT_TH_SYN;
    ot_detect_flow_start(r->d, f, &p);
    if (f->detect_seen & 1)
        ot_detect_payload(r->d, f, 0, (const uint8_t *)"x", 1);
    if (f->detect_seen & 2)
        ot_detect_payload(r->d, f, 1, (const uint8_t *)"y", 1);
    ot_detect_flow_end(r->d, f);
}

/* One ICMP echo request (REPLY: an echo reply instead) starting a flow. */
static inline void ping(struct rig *r, const char *src, const char *dst, uint64_t t, bool reply)
{
    struct ot_flow f;
    flow_init(r, &f, 1, src, reply ? 0 : 8, dst, 0, t);
    f.pkts[0] = 1;
    struct ot_packet p;
    memset(&p, 0, sizeof(p));
    p.ts_us = t;
    p.src = f.cli;
    p.dst = f.srv;
    p.ip_proto = f.v6 ? 58 : 1;
    f.ip_proto = p.ip_proto;
    p.icmp_type = f.v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
    p.sp = p.icmp_type;
    p.flags = (f.v6 ? OT_PKT_IPV6 : OT_PKT_IPV4) | OT_PKT_ICMP;
    ot_detect_flow_start(r->d, &f, &p);
    ot_detect_flow_end(r->d, &f);
}

/* A detector's table-full counter, by detector name. */
static inline uint64_t table_full(struct rig *r, const char *name)
{
    const struct ot_detect_stats *st = ot_detect_stats(r->d);
    for (size_t i = 0; ot_detectors[i] && i < OT_DETECT_MAX_DETECTORS; i++)
        if (strcmp(ot_detectors[i]->name, name) == 0)
            return st->table_full[i];
    return 0;
}

#endif
