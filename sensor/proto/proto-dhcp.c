/*
 * DHCP and BOOTP over UDP (RFC 2131, RFC 2132, RFC 951).
 *
 * One "dhcp" event per message, with Suricata's extended DHCP field names
 * (docs/events/dhcp.md); src is the sender.  The options area is read from
 * the options field and, when option 52 (overload) says so, from the `file`
 * and then the `sname` fields.  Every option length is checked against its
 * area; a malformed option ends option parsing (the event keeps what was read
 * before it).  When an option appears twice the first one counts.
 *
 * Each datagram stands alone: a malformed one is skipped, and a flow that
 * sends BAD_RUN_MAX of them in a row is not DHCP (error).
 */
#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"

#define BOOTP_LEN   236 /* fixed header, up to and without the magic cookie */
#define DHCP_COOKIE 0x63825363u
#define BAD_RUN_MAX 8

/* Header offsets (RFC 2131 figure 1). */
#define O_OP     0
#define O_HTYPE  1
#define O_HLEN   2
#define O_XID    4
#define O_CIADDR 12
#define O_YIADDR 16
#define O_SIADDR 20
#define O_GIADDR 24
#define O_CHADDR 28
#define O_SNAME  44
#define O_FILE   108
#define O_COOKIE 236

enum {
    OPT_PAD = 0,
    OPT_SUBNET_MASK = 1,
    OPT_ROUTERS = 3,
    OPT_DNS_SERVERS = 6,
    OPT_HOSTNAME = 12,
    OPT_DOMAIN = 15,
    OPT_REQUESTED_IP = 50,
    OPT_LEASE_TIME = 51,
    OPT_OVERLOAD = 52,
    OPT_MSG_TYPE = 53,
    OPT_SERVER_ID = 54,
    OPT_PARAMS = 55,
    OPT_RENEWAL_TIME = 58,
    OPT_REBINDING_TIME = 59,
    OPT_VENDOR_CLASS = 60,
    OPT_CLIENT_ID = 61,
    OPT_END = 255,
};

/* The options we report: each has a slot (1-based in slot_of[], 0 = ignored). */
enum {
    S_SUBNET_MASK,
    S_ROUTERS,
    S_DNS_SERVERS,
    S_HOSTNAME,
    S_DOMAIN,
    S_REQUESTED_IP,
    S_LEASE_TIME,
    S_OVERLOAD,
    S_MSG_TYPE,
    S_SERVER_ID,
    S_PARAMS,
    S_RENEWAL_TIME,
    S_REBINDING_TIME,
    S_VENDOR_CLASS,
    S_CLIENT_ID,
    S__COUNT
};

static const uint8_t slot_of[256] = {
    [OPT_SUBNET_MASK] = S_SUBNET_MASK + 1,
    [OPT_ROUTERS] = S_ROUTERS + 1,
    [OPT_DNS_SERVERS] = S_DNS_SERVERS + 1,
    [OPT_HOSTNAME] = S_HOSTNAME + 1,
    [OPT_DOMAIN] = S_DOMAIN + 1,
    [OPT_REQUESTED_IP] = S_REQUESTED_IP + 1,
    [OPT_LEASE_TIME] = S_LEASE_TIME + 1,
    [OPT_OVERLOAD] = S_OVERLOAD + 1,
    [OPT_MSG_TYPE] = S_MSG_TYPE + 1,
    [OPT_SERVER_ID] = S_SERVER_ID + 1,
    [OPT_PARAMS] = S_PARAMS + 1,
    [OPT_RENEWAL_TIME] = S_RENEWAL_TIME + 1,
    [OPT_REBINDING_TIME] = S_REBINDING_TIME + 1,
    [OPT_VENDOR_CLASS] = S_VENDOR_CLASS + 1,
    [OPT_CLIENT_ID] = S_CLIENT_ID + 1,
};

/* An option's value inside the datagram; p NULL = absent. */
struct opt {
    const uint8_t *p;
    uint8_t len;
};

struct dhcp_msg {
    struct opt o[S__COUNT];
    bool bad_options; /* an option overran its area */
};

struct dhcp_state {
    uint32_t bad_run;   /* malformed datagrams in a row */
    uint64_t malformed; /* datagrams skipped */
};

static bool is_dhcp_port(uint16_t p)
{
    return p == 67 || p == 68;
}

/*
 * Walk one options area, keeping the first occurrence of each option we
 * report.  Returns false when an option's length overruns the area.
 */
static bool read_options(struct dhcp_msg *m, const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t code = p[i++];
        if (code == OPT_PAD)
            continue;
        if (code == OPT_END)
            return true;
        if (i >= len)
            return false;
        uint8_t l = p[i++];
        if (l > len - i)
            return false;
        unsigned sl = slot_of[code];
        if (sl && !m->o[sl - 1].p) {
            m->o[sl - 1].p = p + i;
            m->o[sl - 1].len = l;
        }
        i += l;
    }
    return true; /* no END: tolerated, as most stacks do */
}

/* Dotted quad, by the decoder's formatter (inet_ntop's text, no snprintf()). */
static void put_ip(struct ot_jw *w, const char *key, const uint8_t *a)
{
    struct ot_addr ad;
    memset(&ad, 0, sizeof(ad));
    memcpy(ad.u.b, a, 4);
    char tmp[48];
    ot_jw_strn(w, key, tmp, ot_addr_fmt(&ad, false, tmp));
}

static void put_opt_ip(struct ot_jw *w, const char *key, const struct opt *o)
{
    if (o->p && o->len == 4)
        put_ip(w, key, o->p);
}

static void put_opt_ips(struct ot_jw *w, const char *key, const struct opt *o)
{
    if (!o->p || o->len < 4)
        return;
    ot_jw_arr_open(w, key);
    for (size_t i = 0; i + 4 <= o->len; i += 4)
        put_ip(w, NULL, o->p + i);
    ot_jw_arr_close(w);
}

static void put_opt_u32(struct ot_jw *w, const char *key, const struct opt *o)
{
    if (o->p && o->len == 4)
        ot_jw_u64(w, key, ot_be32(o->p));
}

static void put_opt_str(struct ot_jw *w, const char *key, const struct opt *o)
{
    if (o->p && o->len > 0)
        ot_jw_strn(w, key, o->p, o->len);
}

static const char *msg_type_name(uint8_t t)
{
    static const char *const names[] = {
        NULL, "discover", "offer", "request", "decline", "ack", "nak", "release", "inform",
    };
    return t < OT_ARRAY_SIZE(names) && names[t] ? names[t] : "unknown";
}

/* Suricata names the parameters it knows and leaves the others out. */
static const char *param_name(uint8_t c)
{
    switch (c) {
    case 1:
        return "subnet_mask";
    case 3:
        return "router";
    case 6:
        return "dns_server";
    case 15:
        return "domain";
    case 35:
        return "arp_timeout";
    case 42:
        return "ntp_server";
    case 66:
        return "tftp_server_name";
    case 150:
        return "tftp_server_ip";
    default:
        return NULL;
    }
}

static void put_params(struct ot_jw *w, const struct opt *o)
{
    if (!o->p)
        return;
    ot_jw_arr_open(w, "params");
    for (size_t i = 0; i < o->len; i++) {
        const char *s = param_name(o->p[i]);
        if (s)
            ot_jw_str(w, NULL, s);
    }
    ot_jw_arr_close(w);
    /* Every code, in order: the usual DHCP fingerprint. */
    ot_jw_arr_open(w, "param_codes");
    for (size_t i = 0; i < o->len; i++)
        ot_jw_u64(w, NULL, o->p[i]);
    ot_jw_arr_close(w);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i])
            return false;
    }
    return true;
}

/* Write the event for a message whose header (and options) are parsed. */
static void log_message(struct ot_proto_ctx *ctx, struct ot_flow *f, int dir, const uint8_t *d,
                        const struct dhcp_msg *m, bool has_cookie)
{
    uint8_t op = d[O_OP];
    if (ctx->sink) {
        struct ot_obs o = {.kind = OT_OBS_DHCP, .dir = dir};
        struct ot_addr yi;
        memset(&yi, 0, sizeof(yi));
        memcpy(yi.u.b, d + O_YIADDR, 4);
        if (d[O_HTYPE] == 1 && d[O_HLEN] == 6)
            o.u.dhcp.client_mac = d + O_CHADDR;
        const struct opt *h = &m->o[S_HOSTNAME], *v = &m->o[S_VENDOR_CLASS];
        o.u.dhcp.hostname = ot_str_make((const char *)h->p, h->p ? h->len : 0);
        o.u.dhcp.vendor_class = ot_str_make((const char *)v->p, v->p ? v->len : 0);
        if (op == 2 && !all_zero(d + O_YIADDR, 4))
            o.u.dhcp.assigned = &yi;
        if (m->o[S_MSG_TYPE].p && m->o[S_MSG_TYPE].len == 1)
            o.u.dhcp.msg_type = m->o[S_MSG_TYPE].p[0];
        ot_proto_observe(ctx, f, &o);
    }
    struct ot_jw *w = ot_eve_begin(ctx->eve, "dhcp", ctx->ts_us, f, dir);
    ot_jw_obj_open(w, "dhcp");
    ot_jw_str(w, "type", op == 1 ? "request" : "reply");
    ot_jw_u64(w, "id", ot_be32(d + O_XID));
    ot_jw_hex(w, "client_mac", d + O_CHADDR, OT_MIN((size_t)d[O_HLEN], (size_t)16), ':');
    put_ip(w, "assigned_ip", d + O_YIADDR);
    put_ip(w, "client_ip", d + O_CIADDR);
    /* As Suricata: replies always carry relay and next server; we add a request's relay. */
    if (op == 2 || !all_zero(d + O_GIADDR, 4))
        put_ip(w, "relay_ip", d + O_GIADDR);
    if (op == 2)
        put_ip(w, "next_server_ip", d + O_SIADDR);
    if (!has_cookie) {
        ot_jw_bool(w, "bootp", true);
        ot_jw_obj_close(w);
        (void)ot_eve_end(ctx->eve);
        return;
    }
    const struct opt *o = m->o;
    if (o[S_MSG_TYPE].p && o[S_MSG_TYPE].len >= 1)
        ot_jw_str(w, "dhcp_type", msg_type_name(o[S_MSG_TYPE].p[0]));
    if (o[S_CLIENT_ID].p && o[S_CLIENT_ID].len >= 2)
        ot_jw_hex(w, "client_id", o[S_CLIENT_ID].p + 1, o[S_CLIENT_ID].len - 1u, ':');
    put_opt_str(w, "hostname", &o[S_HOSTNAME]);
    put_opt_ip(w, "requested_ip", &o[S_REQUESTED_IP]);
    put_opt_str(w, "vendor_class_identifier", &o[S_VENDOR_CLASS]);
    put_opt_ip(w, "server_id", &o[S_SERVER_ID]);
    put_opt_u32(w, "lease_time", &o[S_LEASE_TIME]);
    put_opt_u32(w, "renewal_time", &o[S_RENEWAL_TIME]);
    put_opt_u32(w, "rebinding_time", &o[S_REBINDING_TIME]);
    put_opt_ip(w, "subnet_mask", &o[S_SUBNET_MASK]);
    put_opt_ips(w, "routers", &o[S_ROUTERS]);
    put_opt_ips(w, "dns_servers", &o[S_DNS_SERVERS]);
    put_opt_str(w, "domain", &o[S_DOMAIN]);
    put_params(w, &o[S_PARAMS]);
    if (m->bad_options)
        ot_jw_bool(w, "options_malformed", true);
    ot_jw_obj_close(w);
    (void)ot_eve_end(ctx->eve);
}

/* Is this the fixed BOOTP header? (The cookie, or a DHCP port, proves the rest.) */
static bool header_ok(const uint8_t *d, size_t len)
{
    return len >= BOOTP_LEN && (d[O_OP] == 1 || d[O_OP] == 2) && d[O_HLEN] <= 16;
}

static bool has_cookie(const uint8_t *d, size_t len)
{
    return len >= O_COOKIE + 4 && ot_be32(d + O_COOKIE) == DHCP_COOKIE;
}

static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (!header_ok(data, len))
        return OT_PROBE_NO;
    if (has_cookie(data, len))
        return OT_PROBE_YES;
    /* Plain BOOTP has no cookie: only on its ports. */
    if (is_dhcp_port(f->srv_port) && is_dhcp_port(f->cli_port))
        return OT_PROBE_YES;
    return OT_PROBE_NO;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct dhcp_state *st = state;
    if (!data || len == 0)
        return 0;
    if (!header_ok(data, len)) {
        st->malformed++;
        return ++st->bad_run >= BAD_RUN_MAX ? OT_EINVAL : 0;
    }
    st->bad_run = 0;
    struct dhcp_msg m;
    memset(&m, 0, sizeof(m));
    bool cookie = has_cookie(data, len);
    if (cookie) {
        size_t ol = len - (O_COOKIE + 4);
        if (!read_options(&m, data + O_COOKIE + 4, ol))
            m.bad_options = true;
        /* Overload (RFC 2131 4.1): `file` is read before `sname`. */
        const struct opt *ov = &m.o[S_OVERLOAD];
        uint8_t v = ov->p && ov->len == 1 ? ov->p[0] : 0;
        if (!m.bad_options && (v & 1) && !read_options(&m, data + O_FILE, O_COOKIE - O_FILE))
            m.bad_options = true;
        if (!m.bad_options && (v & 2) && !read_options(&m, data + O_SNAME, O_FILE - O_SNAME))
            m.bad_options = true;
    }
    log_message(ctx, f, dir ? 1 : 0, data, &m, cookie);
    return 0;
}

const struct ot_proto_parser ot_proto_dhcp = {
    .id = OT_APP_DHCP,
    .name = "dhcp",
    .transports = OT_PROTO_UDP,
    .state_size = sizeof(struct dhcp_state),
    .probe = probe,
    .parse = parse,
};
