/*
 * Shared rig for the asset inventory tests: an inventory writing events to a
 * temporary file, a home-network hook (10/8, 192.168/16, fd00::/8,
 * fe80::/10), a new-device hook that counts, packets built by hand, and the
 * events read back with jansson.
 */
#ifndef OT_TESTS_ASSET_TEST_H
#define OT_TESTS_ASSET_TEST_H

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asset/asset.h"
#include "core/util.h"
#include "output/eve.h"

#define T0  1700000000000000ull /* 2023-11-14T22:13:20Z */
#define SEC 1000000ull

struct rig {
    struct ot_eve eve;
    char evpath[64];
    struct ot_asset_conf conf;
    struct ot_assets *as;
    unsigned new_calls;
    struct ot_asset_info last_new;
    char last_new_name[OT_ASSET_NAME_MAX + 1];
};

static inline bool rig_home(void *ctx, const struct ot_addr *a, bool v6)
{
    const uint8_t *b = a->u.b;
    if (!v6)
        return b[0] == 10 || (b[0] == 192 && b[1] == 168);
    return b[0] == 0xfd || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

static inline void rig_new(void *ctx, const struct ot_asset_info *a, uint64_t ts)
{
    struct rig *r = ctx;
    r->new_calls++;
    r->last_new = *a;
    ot_strlcpy(r->last_new_name, a->hostname, sizeof(r->last_new_name));
}

/* Defaults for tests: no registry, no state file. */
static inline void rig_conf(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    ot_asset_conf_defaults(&r->conf);
    r->conf.enabled = true;
    r->conf.oui_path[0] = 0;
}

/* Open with r->conf as set by the caller (after rig_conf). */
static inline void rig_open(struct rig *r)
{
    struct ot_eve_config ec;
    ot_eve_config_defaults(&ec);
    ec.sensor_id = "test-sensor";
    snprintf(r->evpath, sizeof(r->evpath), "/tmp/ot-asset-ev-XXXXXX");
    int fd = mkstemp(r->evpath);
    if (fd < 0)
        abort();
    close(fd);
    ec.path = r->evpath;
    if (ot_eve_open(&r->eve, &ec) != 0)
        abort();
    struct ot_asset_hooks h = {.ctx = r, .is_home = rig_home, .new_device = rig_new};
    if (ot_assets_new(&r->conf, &r->eve, &h, &r->as) != 0)
        abort();
}

static inline void rig_close(struct rig *r)
{
    ot_assets_free(r->as);
    r->as = NULL;
    ot_eve_close(&r->eve);
    unlink(r->evpath);
}

/* Every asset event written so far (JSON array; the caller frees it). */
static inline json_t *rig_events(struct rig *r)
{
    ot_eve_flush(&r->eve);
    json_t *arr = json_array();
    FILE *fp = fopen(r->evpath, "r");
    if (!fp)
        return arr;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0) {
        json_error_t err;
        json_t *ev = json_loads(line, JSON_ALLOW_NUL, &err);
        if (!ev) {
            fprintf(stderr, "invalid JSON line: %s (%s)\n", line, err.text);
            abort();
        }
        const char *t = json_string_value(json_object_get(ev, "event_type"));
        if (t && strcmp(t, "asset") == 0)
            json_array_append_new(arr, ev);
        else
            json_decref(ev);
    }
    free(line);
    fclose(fp);
    return arr;
}

static inline const char *ev_str(json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(ev, "asset"), key));
    return s ? s : "(absent)";
}

static inline json_t *ev_get(json_t *ev, const char *key)
{
    return json_object_get(json_object_get(ev, "asset"), key);
}

/* ips[i] of an event, or "(absent)". */
static inline const char *ev_ip(json_t *ev, size_t i)
{
    const char *s = json_string_value(json_array_get(ev_get(ev, "ips"), i));
    return s ? s : "(absent)";
}

static inline void rig_addr(struct ot_addr *a, const char *ip, bool *v6)
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

/* A TCP packet (no payload) from mac/src to dst. */
static inline void rig_pkt(struct ot_packet *p, const uint8_t *mac, const char *src,
                           const char *dst, uint64_t ts)
{
    static const uint8_t dmac[6] = {0x00, 0x0d, 0xb9, 0x00, 0x00, 0x01};
    memset(p, 0, sizeof(*p));
    bool v6, dv6;
    rig_addr(&p->src, src, &v6);
    rig_addr(&p->dst, dst, &dv6);
    if (v6 != dv6)
        abort();
    p->flags = (v6 ? OT_PKT_IPV6 : OT_PKT_IPV4) | OT_PKT_TCP | OT_PKT_HAS_MAC;
    p->eth_src = mac;
    p->eth_dst = dmac;
    p->ts_us = ts;
    p->ip_proto = 6;
    p->sp = 50000;
    p->dp = 443;
}

/* The same as a UDP datagram with a payload. */
static inline void rig_udp(struct ot_packet *p, const uint8_t *mac, const char *src,
                           const char *dst, uint16_t sp, uint16_t dp, const uint8_t *payload,
                           size_t len, uint64_t ts)
{
    rig_pkt(p, mac, src, dst, ts);
    p->flags = (p->flags & ~(uint32_t)OT_PKT_TCP) | OT_PKT_UDP;
    p->ip_proto = 17;
    p->sp = sp;
    p->dp = dp;
    p->payload = payload;
    p->payload_len = (uint32_t)len;
}

static inline void rig_seen(struct rig *r, const uint8_t *mac, const char *src, uint64_t ts)
{
    struct ot_packet p;
    rig_pkt(&p, mac, src, strchr(src, ':') ? "2001:db8::80" : "192.0.2.80", ts);
    ot_assets_packet(r->as, &p);
}

/* ot_assets_dhcp() with C strings (NULL = absent). */
static inline void rig_dhcp(struct rig *r, const uint8_t *mac, const char *name,
                            const struct ot_addr *yi, const char *vclass, uint64_t ts)
{
    ot_assets_dhcp(r->as, mac, name, name ? strlen(name) : 0, yi, vclass,
                   vclass ? strlen(vclass) : 0, ts);
}

/*
 * A DNS-format response (mDNS/LLMNR) with one A/AAAA answer per (name, ip)
 * pair; names are written whole (no compression).  Returns its length.
 */
static inline size_t rig_dns_answers(uint8_t *b, size_t cap, const char *const *names,
                                     const char *const *ips, size_t n)
{
    size_t o = 0;
    memset(b, 0, 12);
    b[2] = 0x84;
    b[7] = (uint8_t)n;
    o = 12;
    for (size_t i = 0; i < n; i++) {
        const char *s = names[i];
        while (*s) {
            size_t l = strcspn(s, ".");
            if (o + l + 1 >= cap)
                abort();
            b[o++] = (uint8_t)l;
            memcpy(b + o, s, l);
            o += l;
            s += l + (s[l] == '.');
        }
        b[o++] = 0;
        struct ot_addr a;
        bool v6;
        rig_addr(&a, ips[i], &v6);
        if (o + 10 + 16 > cap)
            abort();
        uint8_t rr[10] = {0, v6 ? 28 : 1, 0x80, 1, 0, 0, 0, 120, 0, v6 ? 16 : 4};
        memcpy(b + o, rr, 10);
        o += 10;
        memcpy(b + o, a.u.b, v6 ? 16 : 4);
        o += v6 ? 16 : 4;
    }
    return o;
}

/* A NetBIOS positive name query response: `name`<00> unique at `ip`. */
static inline size_t rig_nbns_answer(uint8_t *b, const char *name, const char *ip)
{
    static const uint8_t h[12] = {0x12, 0x34, 0x85, 0x00, 0, 0, 0, 1, 0, 0, 0, 0};
    memcpy(b, h, 12);
    size_t o = 12;
    uint8_t raw[16];
    memset(raw, ' ', 15);
    memcpy(raw, name, strlen(name));
    raw[15] = 0;
    b[o++] = 32;
    for (int i = 0; i < 16; i++) {
        b[o++] = (uint8_t)('A' + (raw[i] >> 4));
        b[o++] = (uint8_t)('A' + (raw[i] & 15));
    }
    b[o++] = 0;
    static const uint8_t rr[12] = {0, 0x20, 0, 1, 0, 4, 0x93, 0xe0, 0, 6, 0, 0};
    memcpy(b + o, rr, 12);
    o += 12;
    struct ot_addr a;
    bool v6;
    rig_addr(&a, ip, &v6);
    memcpy(b + o, a.u.b, 4);
    return o + 4;
}

#endif
