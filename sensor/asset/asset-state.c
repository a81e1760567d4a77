/*
 * The asset state file: what the inventory remembers across runs.
 *
 * Text, one asset a line, fields separated by spaces (docs/events/asset.md):
 *
 *   otasuke-asset-state 1
 *   # mac first_seen_us last_seen_us hostname_source hostname ips
 *   00:11:32:17:49:f0 1700000000000000 1700000360000000 dhcp nas1
 * 192.168.1.20,fe80::211:32ff:fe17:49f0
 *
 * The first line that is not blank or a comment is the header; a file of
 * another version is left alone (not loaded, never overwritten).  Times are
 * microseconds since the epoch; the host name is percent-encoded (every byte
 * outside '!'..'~', and '%' and ','), "-" with source "-" when there is none;
 * addresses are comma-separated, most recently used first, "-" when none.
 * Fields after the sixth are ignored (room for later additions).  Lines are
 * written most recently seen first, so when a file holds more entries than
 * max_assets the ones kept are the most recent.
 *
 * A corrupt line is reported as FILE:LINE: reason (the first REPORT_MAX of
 * them; then one summary) and skipped.  Saving goes through
 * ot_file_replace_path() (transport/fsutil.h): a temporary file next to the
 * state file, fsynced, renamed over the old one, the folder fsynced, so a
 * crash leaves either the old file or the new one, never half.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asset/asset-internal.h"
#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "transport/fsutil.h"

#define STATE_MAGIC   "otasuke-asset-state"
#define STATE_VERSION 1
#define LINE_MAX_LEN  2048
#define REPORT_MAX    10
#define TIME_MAX      (1ull << 62) /* microseconds; far past any real clock */
#define FIELDS        6

struct loader {
    struct ot_assets *as;
    const char *name;
    unsigned reported;
    bool header_seen;
    bool stop;
};

static void bad(struct loader *ld, unsigned line, const char *why)
{
    ld->as->st.state_load_errors++;
    if (ld->reported++ < REPORT_MAX)
        ot_warn("%s:%u: %s", ld->name, line, why);
}

struct tok {
    const char *p;
    size_t n;
};

/* Split at spaces and tabs; returns the number of fields (at most max are kept). */
static unsigned split(const char *l, size_t n, struct tok *t, unsigned max)
{
    unsigned k = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (l[i] == ' ' || l[i] == '\t'))
            i++;
        if (i >= n)
            break;
        size_t s = i;
        while (i < n && l[i] != ' ' && l[i] != '\t')
            i++;
        if (k < max) {
            t[k].p = l + s;
            t[k].n = i - s;
        }
        k++;
    }
    return k;
}

/* A token into a C string: false when it does not fit or holds a NUL. */
static bool tokcpy(char *dst, size_t cap, const struct tok *t)
{
    if (t->n >= cap || memchr(t->p, 0, t->n))
        return false;
    memcpy(dst, t->p, t->n);
    dst[t->n] = 0;
    return true;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool parse_mac(const struct tok *t, uint8_t mac[6])
{
    if (t->n != 17)
        return false;
    for (int i = 0; i < 6; i++) {
        const char *p = t->p + 3 * i;
        int h = hexv(p[0]), l = hexv(p[1]);
        if (h < 0 || l < 0 || (i < 5 && p[2] != ':'))
            return false;
        mac[i] = (uint8_t)(h << 4 | l);
    }
    return true;
}

static bool parse_time(const struct tok *t, uint64_t *v)
{
    char b[24];
    return tokcpy(b, sizeof(b), t) && ot_parse_u64(b, 0, TIME_MAX, v) == OT_OK;
}

static bool parse_src(const struct tok *t, uint8_t *src)
{
    if (t->n == 1 && t->p[0] == '-') {
        *src = OT_NAME_NONE;
        return true;
    }
    for (int s = OT_NAME_NONE + 1; s < OT_NAME__COUNT; s++) {
        const char *nm = ot_asset_name_src_name((enum ot_asset_name_src)s);
        if (strlen(nm) == t->n && memcmp(nm, t->p, t->n) == 0) {
            *src = (uint8_t)s;
            return true;
        }
    }
    return false;
}

/* Percent-decode a host name; the raw bytes must be '!'..'~'. */
static const char *parse_name(const struct tok *t, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint8_t c = (uint8_t)t->p[i];
        if (c < 0x21 || c > 0x7e)
            return "bad character in host name";
        if (c == '%') {
            int h = i + 2 < t->n ? hexv(t->p[i + 1]) : -1;
            int l = h >= 0 ? hexv(t->p[i + 2]) : -1;
            if (l < 0)
                return "bad %-escape in host name";
            c = (uint8_t)(h << 4 | l);
            i += 2;
        }
        if (n >= OT_ASSET_NAME_MAX)
            return "host name too long";
        out[n++] = (char)c;
    }
    out[n] = 0;
    return ot_asset_name_ok(out, n) ? NULL : "unusable host name";
}

/* Comma-separated addresses (or "-"). Returns NULL or the reason. */
static const char *parse_ips(const struct tok *t, struct asset_rec *r)
{
    r->n_ips = 0;
    if (t->n == 1 && t->p[0] == '-')
        return NULL;
    size_t i = 0;
    while (i <= t->n) {
        const char *c = memchr(t->p + i, ',', t->n - i);
        size_t e = c ? (size_t)(c - t->p) : t->n;
        struct tok one = {t->p + i, e - i};
        char b[INET6_ADDRSTRLEN];
        if (r->n_ips == OT_ASSET_MAX_IPS)
            return "more than 8 addresses";
        struct asset_ip *ip = &r->ips[r->n_ips];
        memset(ip, 0, sizeof(*ip));
        if (!tokcpy(b, sizeof(b), &one))
            return "bad address";
        if (inet_pton(AF_INET, b, ip->a.u.b) == 1)
            ip->v6 = false;
        else if (inet_pton(AF_INET6, b, ip->a.u.b) == 1)
            ip->v6 = true;
        else
            return "bad address";
        for (uint32_t k = 0; k < r->n_ips; k++)
            if (r->ips[k].v6 == ip->v6 && ot_addr_eq(&r->ips[k].a, &ip->a))
                return "address repeated";
        /* File order is most recent first: keep it as an order of times. */
        ip->last_us = r->last_us > r->n_ips ? r->last_us - r->n_ips : 0;
        r->n_ips++;
        i = e + 1;
        if (!c)
            break;
    }
    return NULL;
}

static const char *parse_record(const struct tok *t, struct asset_rec *r)
{
    memset(r, 0, sizeof(*r));
    if (!parse_mac(&t[0], r->mac))
        return "bad MAC address";
    if (!ot_asset_mac_ok(r->mac))
        return "not a unicast MAC address";
    if (!parse_time(&t[1], &r->first_us) || !parse_time(&t[2], &r->last_us))
        return "bad time";
    if (r->first_us > r->last_us)
        return "first seen after last seen";
    if (!parse_src(&t[3], &r->name_src))
        return "unknown host name source";
    if (r->name_src == OT_NAME_NONE) {
        if (t[4].n != 1 || t[4].p[0] != '-')
            return "host name without a source";
    } else {
        const char *why = parse_name(&t[4], r->name);
        if (why)
            return why;
    }
    return parse_ips(&t[5], r);
}

/* The header line: "otasuke-asset-state VERSION". */
static void header(struct loader *ld, unsigned line, const char *l, size_t n)
{
    struct tok t[3];
    unsigned k = split(l, n, t, 3);
    char v[16];
    uint64_t ver;
    ld->header_seen = true;
    if (k != 2 || t[0].n != strlen(STATE_MAGIC) || memcmp(t[0].p, STATE_MAGIC, t[0].n) != 0 ||
        !tokcpy(v, sizeof(v), &t[1]) || ot_parse_u64(v, 0, UINT32_MAX, &ver) != OT_OK) {
        bad(ld, line, "not an asset state file (no \"" STATE_MAGIC " 1\" header); ignored");
        ld->stop = true;
        return;
    }
    if (ver != STATE_VERSION) {
        ld->as->st.state_load_errors++;
        ot_warn("%s:%u: asset state version %llu is not %d; the file is neither read nor "
                "overwritten",
                ld->name, line, (unsigned long long)ver, STATE_VERSION);
        ld->as->state_readonly = true;
        ld->stop = true;
    }
}

static void one_line(struct loader *ld, unsigned line, const char *l, size_t n)
{
    if (n > 0 && l[n - 1] == '\r')
        n--;
    size_t i = 0;
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i == n || l[i] == '#')
        return;
    if (!ld->header_seen) {
        header(ld, line, l, n);
        return;
    }
    if (n > LINE_MAX_LEN) {
        bad(ld, line, "line too long");
        return;
    }
    struct tok t[FIELDS];
    if (split(l, n, t, FIELDS) < FIELDS) {
        bad(ld, line, "fewer than 6 fields");
        return;
    }
    struct asset_rec r;
    const char *why = parse_record(t, &r);
    if (why) {
        bad(ld, line, why);
        return;
    }
    switch (ot_asset_restore(ld->as, &r)) {
    case OT_OK:
        ld->as->st.state_loaded++;
        break;
    case OT_EEXIST:
        bad(ld, line, "MAC address repeated (the first line counts)");
        break;
    case OT_ELIMIT:
        ld->as->st.state_dropped++;
        break;
    default:
        bad(ld, line, "out of memory");
        ld->stop = true;
        break;
    }
}

void ot_assets_load_buf(struct ot_assets *as, const char *buf, size_t len, const char *name)
{
    struct loader ld = {.as = as, .name = name};
    size_t pos = 0;
    unsigned line = 0;
    while (pos < len && !ld.stop) {
        const char *l = buf + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + 1;
        line++;
        one_line(&ld, line, l, n);
    }
    if (ld.reported > REPORT_MAX)
        ot_warn("%s: %u more corrupt lines not shown", name, ld.reported - REPORT_MAX);
    if (as->st.state_dropped)
        ot_warn("%s: %llu entries past max-assets (%u) were left out", name,
                (unsigned long long)as->st.state_dropped, as->conf.max_assets);
}

void ot_asset_state_load(struct ot_assets *as)
{
    const char *path = as->conf.state_path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            ot_info("%s: no asset state yet: every device is new", path);
            return;
        }
        ot_warn("%s: %s; starting with no known assets", path, strerror(errno));
        as->st.state_load_errors++;
        return;
    }
    struct stat st;
    size_t limit = (size_t)as->conf.max_assets * LINE_MAX_LEN + 65536;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > limit) {
        ot_warn("%s: not a regular file or larger than %zu bytes; starting with no known assets",
                path, limit);
        as->st.state_load_errors++;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        as->st.state_load_errors++;
        goto out;
    }
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    ot_assets_load_buf(as, buf, n, path);
    ot_info("%s: %llu known assets loaded", path, (unsigned long long)as->st.state_loaded);
out:
    free(buf);
    close(fd);
}

/* ---- writing ---------------------------------------------------------- */

struct order {
    uint64_t last_us;
    uint32_t idx;
    uint8_t mac[6];
};

/* Most recently seen first; ties by MAC so the output is deterministic. */
static int cmp_order(const void *x, const void *y)
{
    const struct order *a = x, *b = y;
    if (a->last_us != b->last_us)
        return a->last_us > b->last_us ? -1 : 1;
    return memcmp(a->mac, b->mac, 6);
}

static size_t put_name(char *o, const char *s)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *s; s++) {
        uint8_t c = (uint8_t)*s;
        if (c < 0x21 || c > 0x7e || c == '%' || c == ',') {
            o[n++] = '%';
            o[n++] = hx[c >> 4];
            o[n++] = hx[c & 15];
        } else {
            o[n++] = (char)c;
        }
    }
    return n;
}

/* One line; `o` has room for LINE_MAX_LEN bytes. Returns its length. */
static size_t put_line(char *o, const struct asset *x)
{
    size_t n = (size_t)snprintf(o, LINE_MAX_LEN, "%02x:%02x:%02x:%02x:%02x:%02x %llu %llu ",
                                x->mac[0], x->mac[1], x->mac[2], x->mac[3], x->mac[4], x->mac[5],
                                (unsigned long long)x->first_us, (unsigned long long)x->last_us);
    if (x->name_src) {
        const char *src = ot_asset_name_src_name((enum ot_asset_name_src)x->name_src);
        size_t l = strlen(src);
        memcpy(o + n, src, l);
        n += l;
        o[n++] = ' ';
        n += put_name(o + n, x->name);
    } else {
        memcpy(o + n, "- -", 3);
        n += 3;
    }
    o[n++] = ' ';
    /* Most recent first, as the event lists them. */
    uint8_t ord[OT_ASSET_MAX_IPS];
    uint32_t k = 0;
    for (uint32_t i = 0; i < x->n_ips; i++) {
        uint32_t j = k++;
        while (j > 0 && x->ips[ord[j - 1]].last_us < x->ips[i].last_us) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = (uint8_t)i;
    }
    for (uint32_t i = 0; i < k; i++) {
        if (i)
            o[n++] = ',';
        n += ot_addr_fmt(&x->ips[ord[i]].a, x->ips[ord[i]].v6, o + n);
    }
    if (!k)
        o[n++] = '-';
    o[n++] = '\n';
    return n;
}

int ot_assets_format_state(struct ot_assets *as, const char **out, size_t *len)
{
    static const char head[] = STATE_MAGIC " 1\n"
                                           "# mac first_seen_us last_seen_us hostname_source "
                                           "hostname ips (docs/events/asset.md)\n";
    struct order *ord = malloc(((size_t)as->n + 1) * sizeof(*ord));
    char *buf = malloc(sizeof(head) + (size_t)as->n * LINE_MAX_LEN);
    if (!ord || !buf) {
        free(ord);
        free(buf);
        return OT_ENOMEM;
    }
    for (uint32_t i = 0; i < as->n; i++) {
        ord[i].last_us = as->a[i].last_us;
        ord[i].idx = i;
        memcpy(ord[i].mac, as->a[i].mac, 6);
    }
    qsort(ord, as->n, sizeof(*ord), cmp_order);
    size_t n = sizeof(head) - 1;
    memcpy(buf, head, n);
    for (uint32_t i = 0; i < as->n; i++)
        n += put_line(buf + n, &as->a[ord[i].idx]);
    free(ord);
    free(as->fmt_buf);
    as->fmt_buf = buf;
    *out = buf;
    *len = n;
    return OT_OK;
}

int ot_asset_state_save(struct ot_assets *as)
{
    const char *path = as->conf.state_path;
    if (!path[0] || as->state_readonly)
        return OT_OK;
    const char *text, *what = "";
    size_t len;
    int rc = ot_assets_format_state(as, &text, &len);
    if (rc) {
        as->st.state_save_errors++;
        return rc;
    }
    if (ot_file_replace_path(path, text, len, 0600, &what) == OT_OK) {
        as->st.state_saves++;
        rc = OT_OK;
    } else {
        ot_warn("%s: saving the asset state failed (%s: %s)", path, what, strerror(errno));
        as->st.state_save_errors++;
        rc = OT_EIO;
    }
    free(as->fmt_buf);
    as->fmt_buf = NULL;
    return rc;
}
