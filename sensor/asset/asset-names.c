/*
 * Name parsers for the asset inventory: mDNS, LLMNR, NetBIOS name service.
 * See asset-names.h for what is read and why.
 */
#include "asset/asset-names.h"

#include <string.h>

#include "core/util.h"
#include "otasuke/error.h"

#define HDR_LEN        12
#define NAMES_MAX_HOPS 32  /* compression pointers followed per name */
#define WIRE_NAME_MAX  255 /* RFC 1035: a name's wire form */
#define NB_ENTRIES_MAX 16  /* NB addresses read per NetBIOS record */

#define F_QR 0x8000

enum {
    T_A = 1,
    T_AAAA = 28,
    T_NB = 0x20,
    T_NBSTAT = 0x21,
};

#define NB_GROUP 0x8000 /* NB_FLAGS / NAME_FLAGS: group name */

/* A name as read from the wire: labels joined by dots. */
struct wname {
    char s[WIRE_NAME_MAX + 1];
    size_t n;
    const uint8_t *first; /* the first label's bytes */
    size_t first_len;
};

/*
 * Read the (possibly compressed) name at msg[*off]; *off moves past it as it
 * sits there.  The wire bytes of the labels, pointers followed, may not pass
 * WIRE_NAME_MAX, so the text always fits.  Returns 0, or -1 when malformed.
 */
static int read_name(const uint8_t *msg, size_t len, size_t *off, struct wname *out)
{
    size_t pos = *off, end = 0, wire = 0;
    unsigned hops = 0;
    bool jumped = false;
    out->n = 0;
    out->first = NULL;
    out->first_len = 0;
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
            if (++hops > NAMES_MAX_HOPS || ptr >= len)
                return -1;
            pos = ptr;
            continue;
        }
        if (l & 0xc0)
            return -1;
        if (l == 0) {
            if (!jumped)
                end = pos + 1;
            break;
        }
        if (l > len - pos - 1)
            return -1;
        wire += 1u + l;
        if (wire > WIRE_NAME_MAX)
            return -1;
        if (!out->first) {
            out->first = msg + pos + 1;
            out->first_len = l;
        }
        if (out->n)
            out->s[out->n++] = '.';
        memcpy(out->s + out->n, msg + pos + 1, l);
        out->n += l;
        pos += 1u + l;
    }
    out->s[out->n] = 0;
    *off = end;
    return 0;
}

/* Step over a name (a pointer ends it). */
static int skip_name(const uint8_t *msg, size_t len, size_t *off)
{
    size_t pos = *off;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
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
        pos += 1u + l;
    }
}

/* Skip `n` questions (name, type, class). */
static int skip_questions(const uint8_t *msg, size_t len, size_t *off, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (skip_name(msg, len, off) != 0 || len - *off < 4)
            return -1;
        *off += 4;
    }
    return 0;
}

/* A resource record's fixed part, after its name. */
struct rr {
    uint16_t type, cls;
    uint32_t ttl;
    size_t rd, rdlen; /* rdata offset and length */
};

/* Read the fixed part at *off and move past the rdata. */
static int read_rr_tail(const uint8_t *msg, size_t len, size_t *off, struct rr *r)
{
    if (len - *off < 10)
        return -1;
    const uint8_t *p = msg + *off;
    r->type = ot_be16(p);
    r->cls = ot_be16(p + 2);
    r->ttl = ot_be32(p + 4);
    r->rdlen = ot_be16(p + 8);
    r->rd = *off + 10;
    if (len - r->rd < r->rdlen)
        return -1;
    *off = r->rd + r->rdlen;
    return 0;
}

bool ot_asset_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > OT_ASSET_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

/* Append a finding unless it is already there or out is full. Returns the new count. */
static size_t add_find(struct ot_name_find *out, size_t n, size_t max, const char *name,
                       size_t nlen, const uint8_t *addr, bool v6, bool self)
{
    if (n >= max || !ot_asset_name_ok(name, nlen))
        return n;
    struct ot_name_find f;
    memset(&f, 0, sizeof(f));
    memcpy(f.name, name, nlen);
    f.v6 = v6;
    f.self = self;
    if (!self)
        memcpy(f.addr.u.b, addr, v6 ? 16 : 4);
    for (size_t i = 0; i < n; i++) {
        if (out[i].self == f.self && out[i].v6 == f.v6 && ot_addr_eq(&out[i].addr, &f.addr) &&
            strcmp(out[i].name, f.name) == 0)
            return n;
    }
    out[n] = f;
    return n + 1;
}

/* Does `s` end in ".local" (any case)? Sets *base to the length before it. */
static bool ends_local(const char *s, size_t n, size_t *base)
{
    static const char suf[] = ".local";
    size_t m = sizeof(suf) - 1;
    if (n <= m)
        return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suf[i])
            return false;
    }
    *base = n - m;
    return true;
}

/* A/AAAA of class IN (cache-flush bit masked) with a usable address length. */
static bool is_addr_rr(const struct rr *r)
{
    if ((r->cls & 0x7fff) != 1)
        return false;
    return (r->type == T_A && r->rdlen == 4) || (r->type == T_AAAA && r->rdlen == 16);
}

int ot_names_mdns(const uint8_t *msg, size_t len, struct ot_name_find *out, size_t max)
{
    if (len < HDR_LEN)
        return OT_EINVAL;
    uint16_t flags = ot_be16(msg + 2);
    if ((flags >> 11) & 0xf)
        return 0; /* opcode other than a standard query */
    bool resp = flags & F_QR;
    unsigned count[3] = {ot_be16(msg + 6), ot_be16(msg + 8), ot_be16(msg + 10)};
    size_t off = HDR_LEN, n = 0;
    if (skip_questions(msg, len, &off, ot_be16(msg + 4)) != 0)
        return OT_EINVAL;
    for (int s = 0; s < 3; s++) {
        /* A query's answers are the asker's cache; its authority records a probe. */
        bool use = resp || s == 1;
        for (unsigned i = 0; i < count[s]; i++) {
            struct wname nm;
            struct rr r;
            if (read_name(msg, len, &off, &nm) != 0 || read_rr_tail(msg, len, &off, &r) != 0)
                return OT_EINVAL;
            size_t base;
            if (!use || !is_addr_rr(&r) || r.ttl == 0 || !ends_local(nm.s, nm.n, &base))
                continue;
            n = add_find(out, n, max, nm.s, base, msg + r.rd, r.type == T_AAAA, false);
        }
    }
    return (int)n;
}

int ot_names_llmnr(const uint8_t *msg, size_t len, struct ot_name_find *out, size_t max)
{
    if (len < HDR_LEN)
        return OT_EINVAL;
    uint16_t flags = ot_be16(msg + 2);
    if (!(flags & F_QR) || ((flags >> 11) & 0xf) || (flags & 0xf))
        return 0; /* a query, another opcode, or an error response */
    unsigned an = ot_be16(msg + 6);
    size_t off = HDR_LEN, n = 0;
    if (skip_questions(msg, len, &off, ot_be16(msg + 4)) != 0)
        return OT_EINVAL;
    for (unsigned i = 0; i < an; i++) {
        struct wname nm;
        struct rr r;
        if (read_name(msg, len, &off, &nm) != 0 || read_rr_tail(msg, len, &off, &r) != 0)
            return OT_EINVAL;
        if (is_addr_rr(&r))
            n = add_find(out, n, max, nm.s, nm.n, msg + r.rd, r.type == T_AAAA, false);
    }
    return (int)n;
}

int ot_nbns_decode_name(const uint8_t *enc, size_t len, char out[16], uint8_t *suffix)
{
    uint8_t raw[16];
    if (len != 32)
        return OT_EINVAL;
    for (size_t i = 0; i < 16; i++) {
        uint8_t hi = enc[2 * i], lo = enc[2 * i + 1];
        if (hi < 'A' || hi > 'P' || lo < 'A' || lo > 'P')
            return OT_EINVAL;
        raw[i] = (uint8_t)((hi - 'A') << 4 | (lo - 'A'));
    }
    size_t n = 15;
    while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == 0))
        n--;
    memcpy(out, raw, n);
    out[n] = 0;
    *suffix = raw[15];
    return (int)n;
}

/* A NetBIOS name that names a host: unique, workstation or server suffix, not a wildcard. */
static bool nb_host_name(const char *name, size_t n, uint8_t suffix, uint16_t nbflags)
{
    return !(nbflags & NB_GROUP) && (suffix == 0x00 || suffix == 0x20) && n > 0 && name[0] != '*';
}

/* The host name of an encoded RR/question name, if it is one (see nb_host_name). */
static bool nb_name(const struct wname *nm, char out[16], size_t *n, uint8_t *suffix)
{
    int l = nm->first ? ot_nbns_decode_name(nm->first, nm->first_len, out, suffix) : OT_EINVAL;
    if (l < 0)
        return false;
    *n = (size_t)l;
    return true;
}

/* Node status: NUM_NAMES, then 18 bytes a name (15 + suffix + flags). */
static size_t nbstat(const uint8_t *rd, size_t rdlen, struct ot_name_find *out, size_t n,
                     size_t max)
{
    if (rdlen < 1)
        return n;
    unsigned num = rd[0];
    for (unsigned i = 0; i < num && 1 + 18 * (size_t)(i + 1) <= rdlen; i++) {
        const uint8_t *e = rd + 1 + 18 * (size_t)i;
        size_t l = 15;
        while (l > 0 && (e[l - 1] == ' ' || e[l - 1] == 0))
            l--;
        if (nb_host_name((const char *)e, l, e[15], ot_be16(e + 16)))
            return add_find(out, n, max, (const char *)e, l, NULL, false, true);
    }
    return n;
}

/* Registration or refresh request: question name, address from the additional record. */
static int nbns_registration(const uint8_t *msg, size_t len, struct ot_name_find *out, size_t max)
{
    unsigned qd = ot_be16(msg + 4), an = ot_be16(msg + 6), ns = ot_be16(msg + 8);
    unsigned ar = ot_be16(msg + 10);
    size_t off = HDR_LEN, n = 0;
    struct wname q;
    if (qd != 1 || read_name(msg, len, &off, &q) != 0 || len - off < 4)
        return OT_EINVAL;
    bool nb = ot_be16(msg + off) == T_NB;
    off += 4;
    char name[16];
    size_t nl = 0;
    uint8_t suffix = 0;
    bool host = nb && nb_name(&q, name, &nl, &suffix);
    for (unsigned i = 0; i < an + ns + ar; i++) {
        struct rr r;
        if (skip_name(msg, len, &off) != 0 || read_rr_tail(msg, len, &off, &r) != 0)
            return OT_EINVAL;
        if (!host || i < an + ns || r.type != T_NB || r.rdlen < 6)
            continue;
        if (nb_host_name(name, nl, suffix, ot_be16(msg + r.rd)))
            n = add_find(out, n, max, name, nl, msg + r.rd + 2, false, false);
    }
    return (int)n;
}

/* Positive responses: NB records (name → addresses) and node status tables. */
static int nbns_response(const uint8_t *msg, size_t len, struct ot_name_find *out, size_t max)
{
    unsigned an = ot_be16(msg + 6);
    size_t off = HDR_LEN, n = 0;
    if (skip_questions(msg, len, &off, ot_be16(msg + 4)) != 0)
        return OT_EINVAL;
    for (unsigned i = 0; i < an; i++) {
        struct wname nm;
        struct rr r;
        if (read_name(msg, len, &off, &nm) != 0 || read_rr_tail(msg, len, &off, &r) != 0)
            return OT_EINVAL;
        if (r.type == T_NBSTAT) {
            n = nbstat(msg + r.rd, r.rdlen, out, n, max);
            continue;
        }
        char name[16];
        size_t nl = 0;
        uint8_t suffix = 0;
        if (r.type != T_NB || !nb_name(&nm, name, &nl, &suffix))
            continue;
        for (size_t k = 0; k + 6 <= r.rdlen && k < 6 * NB_ENTRIES_MAX; k += 6) {
            const uint8_t *e = msg + r.rd + k;
            if (nb_host_name(name, nl, suffix, ot_be16(e)))
                n = add_find(out, n, max, name, nl, e + 2, false, false);
        }
    }
    return (int)n;
}

int ot_names_nbns(const uint8_t *msg, size_t len, struct ot_name_find *out, size_t max)
{
    if (len < HDR_LEN)
        return OT_EINVAL;
    uint16_t flags = ot_be16(msg + 2);
    unsigned opcode = (flags >> 11) & 0xf;
    /* 0 query, 5 registration, 8 and 9 refresh, 15 multi-homed registration. */
    bool reg = opcode == 5 || opcode == 8 || opcode == 9 || opcode == 15;
    if (!(flags & F_QR))
        return reg ? nbns_registration(msg, len, out, max) : 0;
    if ((flags & 0xf) == 0 && (opcode == 0 || reg))
        return nbns_response(msg, len, out, max);
    return 0;
}
