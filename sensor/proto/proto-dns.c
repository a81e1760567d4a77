/*
 * DNS over UDP and TCP (RFC 1035, RFC 7766), including mDNS (5353) and
 * LLMNR (5355), which share the message format and are labelled "dns" too.
 *
 * Events follow Suricata 7's EVE "version 2" DNS format (docs/events/dns.md):
 * one "query" event per question of a query message, one "answer" event per
 * response message with its answers and authorities.  Each event's src is the
 * sender of the message.
 *
 * UDP: each datagram is one message.  A malformed datagram is skipped; a flow
 * that sends BAD_RUN_MAX malformed messages in a row is not DNS and the parser
 * gives up (error).  TCP: 2-byte length prefix, any number of messages per
 * chunk, messages split at any byte.  A message that lies whole in one chunk
 * is parsed in place; only one that spans chunks is copied into a per
 * direction buffer (bounded by conf->max_buffer; a longer message is skipped
 * and counted).  After a gap the direction waits for a chunk that starts with
 * a plausible message and resynchronises there.
 */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"
#include "proto/proto.h"

#define DNS_HDR_LEN   12
#define NAME_MAX_TEXT 255 /* rendered name bound (RFC 1035 wire limit) */
#define NAME_MAX_HOPS 64  /* compression pointers followed per name: loop guard */
#define QD_EMIT_MAX   64  /* query events per message */
#define RR_EMIT_MAX   64  /* answers (and authorities) per answer event */
#define TXT_MAX       4096
#define SSHFP_MAX     64
#define BAD_RUN_MAX   8   /* malformed messages in a row before we give up */
#define QD_PLAUSIBLE  256 /* more questions than this: not DNS (probe) */

#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_Z  0x0040

enum {
    T_A = 1,
    T_NS = 2,
    T_CNAME = 5,
    T_SOA = 6,
    T_PTR = 12,
    T_MX = 15,
    T_TXT = 16,
    T_AAAA = 28,
    T_SRV = 33,
    T_DNAME = 39,
    T_SSHFP = 44,
};

/* One direction of a TCP stream. */
struct dns_dir {
    struct ot_pbuf buf; /* body of a message that spans chunks */
    uint32_t need;      /* its length (from the prefix) */
    uint32_t skip;      /* bytes of an over-limit message still to drop */
    uint8_t pfx[2];     /* length prefix split across chunks */
    uint8_t pfx_len;    /* 0, 1, or 2 (= collecting the body) */
    bool lost;          /* after a gap: waiting for a message boundary */
};

struct dns_state {
    struct dns_dir d[2];
    uint64_t tx_id;     /* query messages seen in this flow */
    uint32_t bad_run;   /* malformed messages in a row */
    uint64_t malformed; /* messages skipped as malformed */
    uint64_t oversize;  /* TCP messages skipped: longer than max_buffer */
};

/* A rendered domain name. */
struct dns_name {
    char s[NAME_MAX_TEXT + 1];
    size_t n;
    bool trunc; /* longer than NAME_MAX_TEXT: cut */
};

static bool is_dns_port(uint16_t p)
{
    return p == 53 || p == 5353 || p == 5355;
}

/* NetBIOS name service (DNS-shaped, but not DNS) and DHCP are never claimed. */
static bool is_excluded_port(uint16_t p)
{
    return p == 137 || p == 138 || p == 67 || p == 68;
}

/*
 * Decode the (possibly compressed) name at msg[*off], rendering it as
 * dot-separated labels (root = "").  *off moves past the name as it sits at
 * *off.  Rendering stops at NAME_MAX_TEXT bytes (out->trunc) but the walk
 * still finds the end.  Pointers may go forwards (some encoders do) but at
 * most NAME_MAX_HOPS are followed.  Returns 0, or -1 on a malformed name.
 */
static int read_name(const uint8_t *msg, size_t len, size_t *off, struct dns_name *out)
{
    size_t pos = *off, end = 0;
    unsigned hops = 0;
    bool jumped = false;
    out->n = 0;
    out->trunc = false;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
                return -1;
            size_t ptr = ((size_t)(l & 0x3f) << 8) | msg[pos + 1];
            if (!jumped) {
                end = pos + 2;
                jumped = true;
            }
            if (++hops > NAME_MAX_HOPS || ptr >= len)
                return -1;
            /* Once the end is known and the text is full, nothing more to learn. */
            if (out->trunc)
                break;
            pos = ptr;
            continue;
        }
        if (l & 0xc0) /* 0x40/0x80: obsolete extended label types */
            return -1;
        if (l == 0) {
            if (!jumped)
                end = pos + 1;
            break;
        }
        if (pos + 1 + l > len)
            return -1;
        if (!out->trunc) {
            size_t room = NAME_MAX_TEXT - out->n;
            size_t need = l + (out->n ? 1u : 0u);
            if (need > room) {
                need = room;
                out->trunc = true;
            }
            if (need && out->n) {
                out->s[out->n++] = '.';
                need--;
            }
            memcpy(out->s + out->n, msg + pos + 1, need);
            out->n += need;
            if (out->trunc && jumped)
                break;
        }
        pos += 1 + (size_t)l;
    }
    out->s[out->n] = 0;
    *off = end;
    return 0;
}

/* Step over a name without rendering it (sections we do not report). */
static int skip_name(const uint8_t *msg, size_t len, size_t *off)
{
    size_t pos = *off;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 2 > len)
                return -1;
            *off = pos + 2;
            return 0;
        }
        if (l & 0xc0)
            return -1;
        if (l == 0) {
            *off = pos + 1;
            return 0;
        }
        pos += 1 + (size_t)l;
    }
}

/* Skip one resource record; returns -1 when it does not fit. */
static int skip_rr(const uint8_t *msg, size_t len, size_t *off)
{
    if (skip_name(msg, len, off) != 0 || len - *off < 10)
        return -1;
    size_t rdlen = ot_be16(msg + *off + 8);
    if (len - *off - 10 < rdlen)
        return -1;
    *off += 10 + rdlen;
    return 0;
}

/* Record type mnemonics (IANA registry) below 66, then the few higher ones. */
static const char *const type_low[66] = {
    [1] = "A",       [2] = "NS",        [3] = "MD",          [4] = "MF",          [5] = "CNAME",
    [6] = "SOA",     [7] = "MB",        [8] = "MG",          [9] = "MR",          [10] = "NULL",
    [11] = "WKS",    [12] = "PTR",      [13] = "HINFO",      [14] = "MINFO",      [15] = "MX",
    [16] = "TXT",    [17] = "RP",       [18] = "AFSDB",      [19] = "X25",        [20] = "ISDN",
    [21] = "RT",     [22] = "NSAP",     [23] = "NSAP-PTR",   [24] = "SIG",        [25] = "KEY",
    [26] = "PX",     [27] = "GPOS",     [28] = "AAAA",       [29] = "LOC",        [30] = "NXT",
    [33] = "SRV",    [34] = "ATMA",     [35] = "NAPTR",      [36] = "KX",         [37] = "CERT",
    [38] = "A6",     [39] = "DNAME",    [41] = "OPT",        [42] = "APL",        [43] = "DS",
    [44] = "SSHFP",  [45] = "IPSECKEY", [46] = "RRSIG",      [47] = "NSEC",       [48] = "DNSKEY",
    [49] = "DHCID",  [50] = "NSEC3",    [51] = "NSEC3PARAM", [52] = "TLSA",       [53] = "SMIMEA",
    [55] = "HIP",    [59] = "CDS",      [60] = "CDNSKEY",    [61] = "OPENPGPKEY", [62] = "CSYNC",
    [63] = "ZONEMD", [64] = "SVCB",     [65] = "HTTPS",
};

static const char *const type_high[] = {
    /* 249 */ "TKEY", "TSIG", "IXFR", "AXFR", "MAILB", "MAILA", "ANY", "URI", "CAA",
};

/* Mnemonic of a record type; NULL when we have none. */
static const char *rrtype_name(uint16_t t)
{
    if (t < OT_ARRAY_SIZE(type_low))
        return type_low[t];
    if (t >= 249 && t < 249 + OT_ARRAY_SIZE(type_high))
        return type_high[t - 249];
    if (t == 99)
        return "SPF";
    return NULL;
}

/* Unknown types are written as their number, as Suricata does ("65534"). */
static void put_rrtype(struct ot_jw *w, const char *key, uint16_t t)
{
    const char *s = rrtype_name(t);
    if (s) {
        ot_jw_str(w, key, s);
        return;
    }
    char tmp[8];
    int n = snprintf(tmp, sizeof(tmp), "%u", (unsigned)t);
    ot_jw_strn(w, key, tmp, (size_t)n);
}

static void put_rcode(struct ot_jw *w, unsigned rcode)
{
    static const char *const names[16] = {
        "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
    };
    if (rcode < 16 && names[rcode]) {
        ot_jw_str(w, "rcode", names[rcode]);
        return;
    }
    char tmp[8];
    int n = snprintf(tmp, sizeof(tmp), "%u", rcode);
    ot_jw_strn(w, "rcode", tmp, (size_t)n);
}

static void put_name(struct ot_jw *w, const char *key, const struct dns_name *nm)
{
    ot_jw_strn(w, key, nm->s, nm->n);
}

/* An A or AAAA address as inet_ntop() writes it (ot_addr_fmt: no printf machinery). */
static void put_addr(struct ot_jw *w, const char *key, bool v6, const uint8_t *a)
{
    struct ot_addr ad;
    memset(&ad, 0, sizeof(ad));
    memcpy(ad.u.b, a, v6 ? 16 : 4);
    char tmp[48];
    ot_jw_strn(w, key, tmp, ot_addr_fmt(&ad, v6, tmp));
}

/* TXT: the character-strings concatenated (bounded), as one rdata string. */
static void put_txt(struct ot_jw *w, const uint8_t *rd, size_t rdlen)
{
    char buf[TXT_MAX];
    size_t n = 0, i = 0;
    bool cut = false;
    while (i < rdlen) {
        size_t l = rd[i++];
        if (l > rdlen - i)
            l = rdlen - i; /* a short last string: keep what is there */
        size_t take = l;
        if (take > sizeof(buf) - n) {
            take = sizeof(buf) - n;
            cut = true;
        }
        memcpy(buf + n, rd + i, take);
        n += take;
        i += l;
        if (cut)
            break;
    }
    ot_jw_strn(w, "rdata", buf, n);
    if (cut)
        ot_jw_bool(w, "rdata_truncated", true);
}

/*
 * Write the type-specific data of one record.  The record's framing is
 * already checked (rdlen fits); a malformed rdata just leaves it out.
 */
static void put_rdata(struct ot_jw *w, const uint8_t *msg, size_t len, uint16_t type, size_t rdoff,
                      size_t rdlen)
{
    const uint8_t *rd = msg + rdoff;
    struct dns_name a, b;
    size_t off = rdoff;
    switch (type) {
    case T_A:
        if (rdlen == 4)
            put_addr(w, "rdata", false, rd);
        break;
    case T_AAAA:
        if (rdlen == 16)
            put_addr(w, "rdata", true, rd);
        break;
    case T_NS:
    case T_CNAME:
    case T_PTR:
    case T_DNAME:
        if (read_name(msg, len, &off, &a) == 0)
            put_name(w, "rdata", &a);
        break;
    case T_MX:
        off += 2;
        if (rdlen >= 3 && read_name(msg, len, &off, &a) == 0) {
            put_name(w, "rdata", &a);
            ot_jw_u64(w, "mx_preference", ot_be16(rd));
        }
        break;
    case T_TXT:
        put_txt(w, rd, rdlen);
        break;
    case T_SOA:
        if (read_name(msg, len, &off, &a) != 0 || read_name(msg, len, &off, &b) != 0 ||
            off > rdoff + rdlen || rdoff + rdlen - off < 20)
            break;
        ot_jw_obj_open(w, "soa");
        put_name(w, "mname", &a);
        put_name(w, "rname", &b);
        ot_jw_u64(w, "serial", ot_be32(msg + off));
        ot_jw_u64(w, "refresh", ot_be32(msg + off + 4));
        ot_jw_u64(w, "retry", ot_be32(msg + off + 8));
        ot_jw_u64(w, "expire", ot_be32(msg + off + 12));
        ot_jw_u64(w, "minimum", ot_be32(msg + off + 16));
        ot_jw_obj_close(w);
        break;
    case T_SRV:
        off += 6;
        if (rdlen < 7 || read_name(msg, len, &off, &a) != 0)
            break;
        ot_jw_obj_open(w, "srv");
        ot_jw_u64(w, "priority", ot_be16(rd));
        ot_jw_u64(w, "weight", ot_be16(rd + 2));
        ot_jw_u64(w, "port", ot_be16(rd + 4));
        put_name(w, "name", &a);
        ot_jw_obj_close(w);
        break;
    case T_SSHFP:
        if (rdlen < 3)
            break;
        ot_jw_obj_open(w, "sshfp");
        ot_jw_hex(w, "fingerprint", rd + 2, OT_MIN(rdlen - 2, (size_t)SSHFP_MAX), ':');
        ot_jw_u64(w, "algo", rd[0]);
        ot_jw_u64(w, "type", rd[1]);
        ot_jw_obj_close(w);
        break;
    default:
        break;
    }
}

/*
 * Write up to RR_EMIT_MAX records of a section as an array `key` (left out
 * when no record could be read), stepping over the rest.  Returns 0, or -1
 * when the section is malformed (the records before the bad one are kept; the
 * caller stops there).
 */
static int put_section(struct ot_jw *w, const char *key, const uint8_t *msg, size_t len,
                       size_t *off, unsigned count)
{
    int rc = 0;
    unsigned i;
    for (i = 0; i < count && i < RR_EMIT_MAX; i++) {
        struct dns_name nm;
        size_t o = *off;
        if (read_name(msg, len, &o, &nm) != 0 || len - o < 10) {
            rc = -1;
            break;
        }
        uint16_t type = ot_be16(msg + o);
        uint32_t ttl = ot_be32(msg + o + 4);
        size_t rdlen = ot_be16(msg + o + 8);
        if (len - o - 10 < rdlen) {
            rc = -1;
            break;
        }
        if (i == 0)
            ot_jw_arr_open(w, key);
        ot_jw_obj_open(w, NULL);
        put_name(w, "rrname", &nm);
        if (nm.trunc)
            ot_jw_bool(w, "rrname_truncated", true);
        put_rrtype(w, "rrtype", type);
        ot_jw_u64(w, "ttl", ttl);
        put_rdata(w, msg, len, type, o + 10, rdlen);
        ot_jw_obj_close(w);
        *off = o + 10 + rdlen;
    }
    if (i > 0)
        ot_jw_arr_close(w);
    if (rc == 0 && i < count) {
        char tkey[32];
        snprintf(tkey, sizeof(tkey), "%s_truncated", key);
        ot_jw_bool(w, tkey, true);
        for (; i < count; i++) {
            if (skip_rr(msg, len, off) != 0)
                return -1;
        }
    }
    return rc;
}

/* One event per question (up to QD_EMIT_MAX). Returns 0, or -1 if malformed. */
static int log_query(struct ot_proto_ctx *ctx, struct ot_flow *f, struct dns_state *st, int dir,
                     const uint8_t *msg, size_t len)
{
    uint16_t id = ot_be16(msg), flags = ot_be16(msg + 2), qd = ot_be16(msg + 4);
    unsigned opcode = (flags >> 11) & 0xf;
    uint64_t tx = st->tx_id++;
    size_t off = DNS_HDR_LEN;
    for (unsigned i = 0; i < qd && i < QD_EMIT_MAX; i++) {
        struct dns_name nm;
        if (read_name(msg, len, &off, &nm) != 0 || len - off < 4)
            return -1;
        uint16_t type = ot_be16(msg + off);
        off += 4;
        if (ctx->sink) {
            struct ot_obs o = {.kind = OT_OBS_DNS_QUERY, .dir = dir};
            o.u.dns.qname = ot_str_make(nm.s, nm.n);
            o.u.dns.qtype = type;
            ot_proto_observe(ctx, f, &o);
        }
        struct ot_jw *w = ot_eve_begin(ctx->eve, "dns", ctx->ts_us, f, dir);
        ot_jw_obj_open(w, "dns");
        ot_jw_str(w, "type", "query");
        ot_jw_u64(w, "id", id);
        put_name(w, "rrname", &nm);
        if (nm.trunc)
            ot_jw_bool(w, "rrname_truncated", true);
        put_rrtype(w, "rrtype", type);
        ot_jw_u64(w, "tx_id", tx);
        ot_jw_u64(w, "opcode", opcode);
        if (flags & F_Z)
            ot_jw_bool(w, "z", true);
        ot_jw_obj_close(w);
        (void)ot_eve_end(ctx->eve);
    }
    return 0;
}

/*
 * Tell the detection stage about a response: its first question, rcode and
 * up to OT_OBS_DNS_MAX_ANSWERS answer records (addresses and target names).
 * `off` is where the answer section starts.
 */
static void observe_answer(struct ot_proto_ctx *ctx, const struct ot_flow *f, int dir,
                           const uint8_t *msg, size_t len, size_t off, const struct dns_name *q,
                           uint16_t qtype, unsigned rcode, unsigned an)
{
    struct ot_obs_dns_rr rrs[OT_OBS_DNS_MAX_ANSWERS];
    struct dns_name names[OT_OBS_DNS_MAX_ANSWERS];
    unsigned n = 0;
    memset(rrs, 0, sizeof(rrs));
    for (unsigned i = 0; i < an && n < OT_OBS_DNS_MAX_ANSWERS; i++) {
        struct dns_name nm;
        if (read_name(msg, len, &off, &nm) != 0 || len - off < 10)
            break;
        uint16_t type = ot_be16(msg + off);
        size_t rdlen = ot_be16(msg + off + 8);
        size_t rd = off + 10;
        if (len - rd < rdlen)
            break;
        struct ot_obs_dns_rr *r = &rrs[n];
        r->rtype = type;
        r->data_len = (uint32_t)rdlen;
        size_t o2 = rd;
        if (type == T_A && rdlen == 4) {
            memcpy(r->addr.u.b, msg + rd, 4);
        } else if (type == T_AAAA && rdlen == 16) {
            memcpy(r->addr.u.b, msg + rd, 16);
        } else if ((type == T_CNAME || type == T_NS || type == T_PTR) &&
                   read_name(msg, len, &o2, &names[n]) == 0) {
            r->name = ot_str_make(names[n].s, names[n].n);
        } else if (type == T_MX && rdlen >= 3) {
            o2 += 2;
            if (read_name(msg, len, &o2, &names[n]) == 0)
                r->name = ot_str_make(names[n].s, names[n].n);
        }
        n++;
        off = rd + rdlen;
    }
    struct ot_obs o = {.kind = OT_OBS_DNS_ANSWER, .dir = dir};
    if (q)
        o.u.dns.qname = ot_str_make(q->s, q->n);
    o.u.dns.qtype = qtype;
    o.u.dns.rcode = (uint8_t)rcode;
    o.u.dns.n_answers = (uint16_t)an;
    o.u.dns.n_rrs = (uint16_t)n;
    o.u.dns.rrs = rrs;
    ot_proto_observe(ctx, f, &o);
}

/* One event for the whole response. Returns 0, or -1 if its questions are malformed. */
static int log_answer(struct ot_proto_ctx *ctx, struct ot_flow *f, int dir, const uint8_t *msg,
                      size_t len)
{
    uint16_t id = ot_be16(msg), flags = ot_be16(msg + 2);
    unsigned qd = ot_be16(msg + 4), an = ot_be16(msg + 6), ns = ot_be16(msg + 8);
    struct dns_name q0;
    uint16_t q0type = 0;
    size_t off = DNS_HDR_LEN;
    for (unsigned i = 0; i < qd; i++) {
        int rc = i == 0 ? read_name(msg, len, &off, &q0) : skip_name(msg, len, &off);
        if (rc != 0 || len - off < 4)
            return -1;
        if (i == 0)
            q0type = ot_be16(msg + off);
        off += 4;
    }

    if (ctx->sink)
        observe_answer(ctx, f, dir, msg, len, off, qd ? &q0 : NULL, q0type, flags & 0xf, an);
    struct ot_jw *w = ot_eve_begin(ctx->eve, "dns", ctx->ts_us, f, dir);
    ot_jw_obj_open(w, "dns");
    ot_jw_u64(w, "version", 2);
    ot_jw_str(w, "type", "answer");
    ot_jw_u64(w, "id", id);
    /* The flags word in lower-case hex without leading zeros, as "%x" writes it. */
    static const char hx[] = "0123456789abcdef";
    char fl[4];
    size_t fn = 0;
    for (int sh = 12; sh >= 0; sh -= 4)
        if ((flags >> sh) || sh == 0)
            fl[fn++] = hx[(flags >> sh) & 15];
    ot_jw_strn(w, "flags", fl, fn);
    ot_jw_bool(w, "qr", true);
    ot_jw_bool(w, "aa", flags & F_AA);
    ot_jw_bool(w, "tc", flags & F_TC);
    ot_jw_bool(w, "rd", flags & F_RD);
    ot_jw_bool(w, "ra", flags & F_RA);
    if (flags & F_Z)
        ot_jw_bool(w, "z", true);
    ot_jw_u64(w, "opcode", (flags >> 11) & 0xf);
    if (qd) {
        put_name(w, "rrname", &q0);
        if (q0.trunc)
            ot_jw_bool(w, "rrname_truncated", true);
        put_rrtype(w, "rrtype", q0type);
    }
    put_rcode(w, flags & 0xf);
    if (put_section(w, "answers", msg, len, &off, an) == 0)
        (void)put_section(w, "authorities", msg, len, &off, ns);
    ot_jw_obj_close(w);
    (void)ot_eve_end(ctx->eve);
    return 0;
}

/*
 * Handle one complete message.  Returns 0, or OT_EINVAL once the flow has
 * sent BAD_RUN_MAX malformed messages in a row (it is not speaking DNS).
 */
static int handle_message(struct ot_proto_ctx *ctx, struct ot_flow *f, struct dns_state *st,
                          int dir, const uint8_t *msg, size_t len)
{
    int rc = -1;
    if (len >= DNS_HDR_LEN) {
        if (ot_be16(msg + 2) & F_QR)
            rc = log_answer(ctx, f, dir, msg, len);
        else
            rc = log_query(ctx, f, st, dir, msg, len);
    }
    if (rc == 0) {
        st->bad_run = 0;
        return 0;
    }
    st->malformed++;
    if (++st->bad_run >= BAD_RUN_MAX)
        return OT_EINVAL;
    return 0;
}

/*
 * Is this a plausible start of a DNS message of `total` bytes, of which
 * `avail` are here?  The section counts must fit `total`.  `strict` (not on a
 * DNS port): the whole message must be present, look like an ordinary query
 * or response, and every section must parse, ending exactly at its end.
 * Returns YES, NO, or MORE when the bytes ran out before a verdict.
 */
static enum ot_probe_result check_message(const uint8_t *m, size_t avail, size_t total, bool strict)
{
    bool complete = avail >= total;
    size_t len = complete ? total : avail;
    if (total < DNS_HDR_LEN)
        return OT_PROBE_NO;
    if (len < DNS_HDR_LEN)
        return OT_PROBE_MORE;
    uint16_t flags = ot_be16(m + 2);
    unsigned qd = ot_be16(m + 4), an = ot_be16(m + 6), ns = ot_be16(m + 8), ar = ot_be16(m + 10);
    unsigned opcode = (flags >> 11) & 0xf;
    unsigned rrs = an + ns + ar;
    bool qr = flags & F_QR;
    if (qd + rrs == 0 || (!qr && qd == 0) || qd > QD_PLAUSIBLE)
        return OT_PROBE_NO;
    if ((size_t)qd * 5 + (size_t)rrs * 11 > total - DNS_HDR_LEN)
        return OT_PROBE_NO;
    if (strict) {
        if (!complete || opcode != 0 || (flags & F_Z) || (flags & 0xf) > 5 || qd > 4)
            return OT_PROBE_NO;
    }
    size_t off = DNS_HDR_LEN;
    for (unsigned i = 0; i < qd; i++) {
        struct dns_name nm;
        if (read_name(m, len, &off, &nm) != 0 || len - off < 4)
            return complete ? OT_PROBE_NO : OT_PROBE_MORE;
        uint16_t cls = ot_be16(m + off + 2) & 0x7fff; /* mDNS: top bit = unicast reply */
        if (strict && cls != 1 && cls != 3 && cls != 4 && cls != 255)
            return OT_PROBE_NO;
        off += 4;
    }
    if (!strict)
        return OT_PROBE_YES;
    for (unsigned i = 0; i < rrs; i++) {
        if (skip_rr(m, len, &off) != 0)
            return OT_PROBE_NO;
    }
    return off == len ? OT_PROBE_YES : OT_PROBE_NO;
}

static enum ot_probe_result probe(const struct ot_flow *f, int dir, const uint8_t *data, size_t len)
{
    if (is_excluded_port(f->cli_port) || is_excluded_port(f->srv_port))
        return OT_PROBE_NO;
    bool port = is_dns_port(f->srv_port) || is_dns_port(f->cli_port);
    if (f->ip_proto != 6)
        return check_message(data, len, len, !port);

    /* TCP: the first chunk may hold only part of the length prefix or of the
     * message; the dispatcher re-probes with the next chunk alone, so MORE
     * cannot help.  On a DNS port a consistent start is enough. */
    if (len < 2)
        return port ? OT_PROBE_YES : OT_PROBE_NO;
    enum ot_probe_result r = check_message(data + 2, len - 2, ot_be16(data), !port);
    if (r == OT_PROBE_MORE)
        return port ? OT_PROBE_YES : OT_PROBE_NO;
    return r;
}

/* After a gap: does this chunk start with a plausible length-prefixed message? */
static bool tcp_resync_ok(const uint8_t *data, size_t len)
{
    if (len < 2 + DNS_HDR_LEN)
        return false;
    return check_message(data + 2, len - 2, ot_be16(data), false) != OT_PROBE_NO;
}

/* A length prefix is known: parse in place if the body is here, else start buffering. */
static int tcp_start_body(struct ot_proto_ctx *ctx, struct dns_dir *d, struct dns_state *st,
                          size_t mlen)
{
    if (mlen < DNS_HDR_LEN)
        return OT_EINVAL; /* framing is lost: cannot recover */
    d->pfx_len = 2;
    d->need = (uint32_t)mlen;
    d->buf.len = 0;
    if (mlen > ctx->conf->max_buffer) {
        st->oversize++;
        d->skip = (uint32_t)mlen;
        d->pfx_len = 0;
    }
    return 0;
}

static int parse_tcp(struct ot_proto_ctx *ctx, struct ot_flow *f, struct dns_state *st, int dir,
                     const uint8_t *data, size_t len)
{
    struct dns_dir *d = &st->d[dir];
    if (d->lost) {
        if (!tcp_resync_ok(data, len))
            return 0;
        d->lost = false;
    }
    while (len > 0) {
        if (d->skip) {
            size_t n = OT_MIN((size_t)d->skip, len);
            d->skip -= (uint32_t)n;
            data += n;
            len -= n;
            continue;
        }
        if (d->pfx_len == 0 && len >= 2) {
            size_t mlen = ot_be16(data);
            if (mlen >= DNS_HDR_LEN && len - 2 >= mlen) {
                /* Contiguous: no copy. */
                int rc = handle_message(ctx, f, st, dir, data + 2, mlen);
                if (rc < 0)
                    return rc;
                data += 2 + mlen;
                len -= 2 + mlen;
                continue;
            }
            int rc = tcp_start_body(ctx, d, st, mlen);
            if (rc < 0)
                return rc;
            data += 2;
            len -= 2;
            continue;
        }
        if (d->pfx_len < 2) {
            d->pfx[d->pfx_len++] = *data++;
            len--;
            if (d->pfx_len == 2) {
                int rc = tcp_start_body(ctx, d, st, ot_be16(d->pfx));
                if (rc < 0)
                    return rc;
            }
            continue;
        }
        size_t n = OT_MIN((size_t)(d->need - d->buf.len), len);
        int rc = ot_pbuf_append(&d->buf, data, n, ctx->conf->max_buffer);
        if (rc < 0)
            return rc;
        data += n;
        len -= n;
        if (d->buf.len == d->need) {
            rc = handle_message(ctx, f, st, dir, d->buf.data, d->need);
            d->pfx_len = 0;
            d->buf.len = 0;
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int parse(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state, int dir,
                 const uint8_t *data, size_t len, unsigned flags)
{
    struct dns_state *st = state;
    dir = dir ? 1 : 0;
    if (f->ip_proto != 6) {
        if (!data || len == 0)
            return 0;
        return handle_message(ctx, f, st, dir, data, len);
    }
    if (flags & OT_DATA_GAP) {
        struct dns_dir *d = &st->d[dir];
        d->buf.len = 0;
        d->pfx_len = 0;
        d->skip = 0;
        d->lost = true;
    }
    if (!data || len == 0)
        return 0;
    return parse_tcp(ctx, f, st, dir, data, len);
}

static void dns_close(struct ot_proto_ctx *ctx, struct ot_flow *f, void *state)
{
    struct dns_state *st = state;
    ot_pbuf_free(&st->d[0].buf);
    ot_pbuf_free(&st->d[1].buf);
}

const struct ot_proto_parser ot_proto_dns = {
    .id = OT_APP_DNS,
    .name = "dns",
    .transports = OT_PROTO_TCP | OT_PROTO_UDP,
    .state_size = sizeof(struct dns_state),
    .probe = probe,
    .parse = parse,
    .close = dns_close,
};
