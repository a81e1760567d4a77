/*
 * EVE writer: common event header, a bounded JSON document per event, and a
 * buffered sink with size-based rotation.
 */
#include "output/eve.h"
#include "output/eve-text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "flow/flow.h"
#include "otasuke/error.h"
#include "proto/proto.h"

#define OBUF_CAP (256 * 1024)

void ot_eve_config_defaults(struct ot_eve_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = "-";
    cfg->rotate_bytes = 0;
    cfg->rotate_keep = 5;
    cfg->sensor_id = "otasuke-sensor";
    cfg->max_event_bytes = 256 * 1024;
}

static int open_path(struct ot_eve *e)
{
    e->fd = open(e->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (e->fd < 0) {
        ot_err("cannot open %s for writing: %s", e->path, strerror(errno));
        return OT_EIO;
    }
    off_t end = lseek(e->fd, 0, SEEK_END);
    e->file_bytes = end > 0 ? (uint64_t)end : 0;
    e->own_fd = true;
    return OT_OK;
}

int ot_eve_open(struct ot_eve *e, const struct ot_eve_config *cfg)
{
    memset(e, 0, sizeof(*e));
    e->fd = -1;
    ot_timefmt_init(&e->tf);
    if (!ot_strlcpy(e->sensor_id, cfg->sensor_id, sizeof(e->sensor_id))) {
        ot_err("sensor id longer than %zu bytes", sizeof(e->sensor_id) - 1);
        return OT_EINVAL;
    }
    /* `"sensor_id":"..."`, escaped once here for every event's header. */
    struct ot_jw sj;
    int jrc = ot_jw_init(&sj, sizeof(e->sensor_field), sizeof(e->sensor_field));
    if (jrc)
        return jrc;
    ot_jw_str(&sj, "sensor_id", e->sensor_id);
    memcpy(e->sensor_field, sj.buf, sj.len);
    e->sensor_field_len = sj.len;
    ot_jw_free(&sj);
    uint8_t rnd[8];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return OT_EIO;
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        e->run_id[2 * i] = hx[rnd[i] >> 4];
        e->run_id[2 * i + 1] = hx[rnd[i] & 15];
    }
    e->run_id[16] = '\0';
    e->rotate_bytes = cfg->rotate_bytes;
    e->rotate_keep = cfg->rotate_keep;
    int rc = ot_jw_init(&e->jw, cfg->max_event_bytes < 4096 ? cfg->max_event_bytes : 4096,
                        cfg->max_event_bytes);
    if (rc)
        return rc;
    e->obuf = malloc(OBUF_CAP);
    if (!e->obuf) {
        ot_jw_free(&e->jw);
        return OT_ENOMEM;
    }
    e->ocap = OBUF_CAP;
    if (!cfg->path || strcmp(cfg->path, "-") == 0) {
        e->fd = STDOUT_FILENO;
        return OT_OK;
    }
    e->path = strdup(cfg->path);
    if (!e->path)
        rc = OT_ENOMEM;
    else
        rc = open_path(e);
    if (rc) {
        free(e->path);
        free(e->obuf);
        ot_jw_free(&e->jw);
        e->path = NULL;
        e->obuf = NULL;
    }
    return rc;
}

static int write_all(struct ot_eve *e, const char *p, size_t n)
{
    if (ot_write_all(e->fd, p, n) == OT_OK)
        return OT_OK;
    if (e->stats.write_errors++ == 0)
        ot_err("writing events failed: %s", strerror(errno));
    return OT_EIO;
}

int ot_eve_flush(struct ot_eve *e)
{
    if (e->olen == 0)
        return OT_OK;
    int rc = write_all(e, e->obuf, e->olen);
    e->olen = 0;
    return rc;
}

/* name.N-1 → name.N, ..., name → name.1; then reopen name. */
static int rotate(struct ot_eve *e)
{
    int rc = ot_eve_flush(e);
    close(e->fd);
    e->fd = -1;
    size_t l = strlen(e->path) + 16;
    char *from = malloc(l), *to = malloc(l);
    if (!from || !to) {
        free(from);
        free(to);
        return OT_ENOMEM;
    }
    for (uint32_t i = e->rotate_keep; i >= 1; i--) {
        if (i == 1)
            snprintf(from, l, "%s", e->path);
        else
            snprintf(from, l, "%s.%u", e->path, i - 1);
        snprintf(to, l, "%s.%u", e->path, i);
        if (rename(from, to) != 0 && errno != ENOENT)
            ot_warn("rotating %s to %s: %s", from, to, strerror(errno));
    }
    free(from);
    free(to);
    if (e->rotate_keep == 0 && unlink(e->path) != 0)
        ot_warn("removing %s: %s", e->path, strerror(errno));
    e->stats.rotations++;
    int orc = open_path(e);
    e->file_bytes = 0;
    return rc ? rc : orc;
}

static int emit_line(struct ot_eve *e, const char *line, size_t n)
{
    if (e->fd < 0)
        return OT_EIO;
    if (e->rotate_bytes && e->file_bytes > 0 && e->file_bytes + n > e->rotate_bytes) {
        int rc = rotate(e);
        if (rc)
            return rc;
    }
    e->file_bytes += n;
    e->stats.bytes += n;
    if (n > e->ocap - e->olen) {
        int rc = ot_eve_flush(e);
        if (rc)
            return rc;
        if (n > e->ocap)
            return write_all(e, line, n);
    }
    memcpy(e->obuf + e->olen, line, n);
    e->olen += n;
    return OT_OK;
}

int ot_eve_close(struct ot_eve *e)
{
    int rc = ot_eve_flush(e);
    if (e->own_fd && e->fd >= 0 && close(e->fd) != 0)
        rc = OT_EIO;
    if (e->stats.write_errors)
        rc = OT_EIO;
    e->fd = -1;
    free(e->obuf);
    free(e->path);
    ot_jw_free(&e->jw);
    e->obuf = NULL;
    e->path = NULL;
    return rc;
}

const char *ot_ipproto_name(uint8_t proto, char *tmp)
{
    switch (proto) {
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 1:
        return "ICMP";
    case 58:
        return "IPv6-ICMP";
    case 47:
        return "GRE";
    case 132:
        return "SCTP";
    }
    char *o = tmp;
    if (proto >= 100)
        *o++ = (char)('0' + proto / 100);
    if (proto >= 10)
        *o++ = (char)('0' + proto / 10 % 10);
    *o++ = (char)('0' + proto % 10);
    *o = '\0';
    return tmp;
}

/* Bytes put_endpoints() writes at most: two addresses, two ports, the protocol. */
#define ENDPOINTS_MAX 256
/* Bytes the common header takes at most (the fast path of ot_eve_begin() bounds its names). */
#define HEADER_MAX (ENDPOINTS_MAX + 720 + 16 + 63 * 6)

/* The fields of ot_eve_endpoints() as JSON text at o (no leading comma); returns the end. */
static char *put_endpoints(char *o, const struct ot_flow *f, int dir)
{
    const struct ot_addr *sa = dir ? &f->srv : &f->cli;
    const struct ot_addr *da = dir ? &f->cli : &f->srv;
    uint16_t sp = dir ? f->srv_port : f->cli_port;
    uint16_t dp = dir ? f->cli_port : f->srv_port;
    bool ports = f->ip_proto == 6 || f->ip_proto == 17 || f->ip_proto == 132;
    o = OT_PUT_LIT(o, "\"src_ip\":\"");
    o += ot_addr_fmt(sa, f->v6, o);
    *o++ = '"';
    if (ports) {
        o = OT_PUT_LIT(o, ",\"src_port\":");
        o = ot_put_u64(o, sp);
    }
    o = OT_PUT_LIT(o, ",\"dest_ip\":\"");
    o += ot_addr_fmt(da, f->v6, o);
    *o++ = '"';
    if (ports) {
        o = OT_PUT_LIT(o, ",\"dest_port\":");
        o = ot_put_u64(o, dp);
    }
    char tmp[4];
    const char *pn = ot_ipproto_name(f->ip_proto, tmp);
    o = OT_PUT_LIT(o, ",\"proto\":\"");
    o = ot_put_bytes(o, pn, strlen(pn));
    *o++ = '"';
    return o;
}

void ot_eve_endpoints(struct ot_jw *w, const struct ot_flow *f, int dir)
{
    char buf[ENDPOINTS_MAX];
    ot_jw_fields(w, buf, (size_t)(put_endpoints(buf, f, dir) - buf));
}

/*
 * The header one field at a time, for what the fast path of ot_eve_begin()
 * does not take (an event type that needs escaping or is unusually long).
 */
static void begin_fields(struct ot_eve *e, struct ot_jw *w, const char *event_type, uint64_t ts_us,
                         const struct ot_flow *f, int dir, const char *id, size_t id_len)
{
    char ts[OT_TS_LEN + 1];
    ot_jw_strn(w, "timestamp", ts, ot_timefmt_us(&e->tf, ts_us, ts));
    if (f)
        ot_jw_u64(w, "flow_id", f->flow_id);
    ot_jw_str(w, "event_type", event_type);
    if (f) {
        if (f->vlan_count) {
            ot_jw_arr_open(w, "vlan");
            for (unsigned i = 0; i < f->vlan_count && i < OT_VLAN_MAX; i++)
                ot_jw_u64(w, NULL, f->vlan[i]);
            ot_jw_arr_close(w);
        }
        ot_eve_endpoints(w, f, dir);
        if (f->app_proto != OT_APP_UNKNOWN)
            ot_jw_str(w, "app_proto", ot_app_proto_name(f->app_proto));
        if (f->app_proto_orig != OT_APP_UNKNOWN)
            ot_jw_str(w, "app_proto_orig", ot_app_proto_name(f->app_proto_orig));
        if (f->community_id[0])
            ot_jw_str(w, "community_id", f->community_id);
    }
    ot_jw_strn(w, "event_id", id, id_len);
    ot_jw_fields(w, e->sensor_field, e->sensor_field_len);
}

/* Bytes put_event_id() writes at most: the run id, '-', 16 hex digits. */
#define EVENT_ID_MAX 33

/* event_id at o: run id + '-' + the sequence number in hex; unique across runs and sensors. */
static char *put_event_id(char *o, const char *run_id, uint64_t seq)
{
    static const char hx[] = "0123456789abcdef";
    memcpy(o, run_id, 16);
    o[16] = '-';
    char *end = o + 17 + ((unsigned)(67 - __builtin_clzll(seq | 1)) >> 2), *p = end;
    do {
        *--p = hx[seq & 15];
        seq >>= 4;
    } while (seq);
    return end;
}

/* Longest event type and application-protocol name the fast path takes. */
#define NAME_MAX_FAST 64

/*
 * The common header is written about twice per flow, so it is rendered in
 * one go straight into the writer's buffer (one bound check, no per-field
 * key lengths or escaping scans, no copy) rather than field by field:
 * every value in it is our own text (numbers, addresses, names, base64),
 * except sensor_id, which ot_eve_open() escaped once.  The output is exactly
 * what begin_fields() writes.
 */
struct ot_jw *ot_eve_begin(struct ot_eve *e, const char *event_type, uint64_t ts_us,
                           const struct ot_flow *f, int dir)
{
    e->cur_type = event_type;
    struct ot_jw *w = &e->jw;
    ot_jw_reset(w);
    ot_jw_obj_open(w, NULL);
    uint64_t seq = e->next_seq++;

    size_t et_len = strlen(event_type);
    const char *app = NULL, *orig = NULL;
    size_t app_len = 0, orig_len = 0;
    if (f && f->app_proto != OT_APP_UNKNOWN) {
        app = ot_app_proto_name(f->app_proto);
        app_len = strlen(app);
    }
    if (f && f->app_proto_orig != OT_APP_UNKNOWN) {
        orig = ot_app_proto_name(f->app_proto_orig);
        orig_len = strlen(orig);
    }
    if (et_len > NAME_MAX_FAST || app_len > NAME_MAX_FAST || orig_len > NAME_MAX_FAST ||
        !ot_jw_plain(event_type, et_len)) {
        char id[EVENT_ID_MAX];
        size_t id_len = (size_t)(put_event_id(id, e->run_id, seq) - id);
        begin_fields(e, w, event_type, ts_us, f, dir, id, id_len);
        return w;
    }

    /* In place in the writer's buffer, unless the header might pass its bound. */
    char buf[HEADER_MAX];
    char *start = ot_put_fields_begin(w, buf, sizeof(buf)), *o = start;
    o = OT_PUT_LIT(o, "\"timestamp\":\"");
    o += ot_timefmt_us(&e->tf, ts_us, o);
    *o++ = '"';
    if (f) {
        o = OT_PUT_LIT(o, ",\"flow_id\":");
        o = ot_put_u64(o, f->flow_id);
    }
    o = OT_PUT_LIT(o, ",\"event_type\":\"");
    o = ot_put_bytes(o, event_type, et_len);
    *o++ = '"';
    if (f) {
        if (f->vlan_count) {
            o = OT_PUT_LIT(o, ",\"vlan\":[");
            for (unsigned i = 0; i < f->vlan_count && i < OT_VLAN_MAX; i++) {
                if (i)
                    *o++ = ',';
                o = ot_put_u64(o, f->vlan[i]);
            }
            *o++ = ']';
        }
        *o++ = ',';
        o = put_endpoints(o, f, dir);
        if (app) {
            o = OT_PUT_LIT(o, ",\"app_proto\":\"");
            o = ot_put_bytes(o, app, app_len);
            *o++ = '"';
        }
        if (orig) {
            o = OT_PUT_LIT(o, ",\"app_proto_orig\":\"");
            o = ot_put_bytes(o, orig, orig_len);
            *o++ = '"';
        }
        if (f->community_id[0]) {
            /* "1:" and base64: nothing to escape; the field holds at most 63 bytes. */
            o = OT_PUT_LIT(o, ",\"community_id\":\"");
            o = ot_put_bytes(o, f->community_id, strnlen(f->community_id, sizeof(f->community_id)));
            *o++ = '"';
        }
    }
    o = OT_PUT_LIT(o, ",\"event_id\":\"");
    o = put_event_id(o, e->run_id, seq);
    *o++ = '"';
    *o++ = ',';
    o = ot_put_bytes(o, e->sensor_field, e->sensor_field_len);
    ot_put_fields_end(w, buf, start, o);
    return w;
}

int ot_eve_end(struct ot_eve *e)
{
    struct ot_jw *w = &e->jw;
    ot_jw_obj_close(w);
    ot_jw_putc(w, '\n');
    if (!ot_jw_ok(w) || w->depth != 0) {
        e->stats.dropped_large++;
        return OT_ELIMIT;
    }
    e->stats.events++;
    if (e->tee)
        e->tee(e->tee_ctx, e->cur_type, w->buf, w->len);
    return emit_line(e, w->buf, w->len);
}
