#include "sensor.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "proto/quic.h"

/* A datagram from a name protocol's port (mDNS, NetBIOS name service, LLMNR): the assets read it. */
static bool name_datagram(const struct ot_packet *p)
{
    return (p->flags & OT_PKT_UDP) && (p->sp == 5353 || p->sp == 137 || p->sp == 5355);
}

static void cb_packet(void *ctx, struct ot_flow *f, int dir, const struct ot_packet *p)
{
    struct ot_sensor *s = ctx;
    if (s->detect && f->pkts[0] + f->pkts[1] == 1)
        ot_detect_flow_start(s->detect, f, p);
    if (s->assets && (f->pkts[dir] == 1 || name_datagram(p)))
        ot_assets_packet(s->assets, p);
    if (!s->labeler)
        return;
    ot_labeler_packet(s->labeler, f, dir, p);
}

static void cb_data(void *ctx, struct ot_flow *f, int dir, const uint8_t *data, uint32_t len,
                    unsigned flags, uint64_t ts_us)
{
    struct ot_sensor *s = ctx;
    if (s->detect && data && len && !(f->detect_seen & (1u << dir))) {
        f->detect_seen |= (uint8_t)(1u << dir);
        ot_detect_payload(s->detect, f, dir, data, len);
    }
    if ((s->cfg->event_types & OT_EV_APP) || s->detect || s->assets)
        ot_proto_on_data(&s->pe, f, dir, data, len, flags, ts_us);
}

static void cb_end(void *ctx, struct ot_flow *f, enum ot_flow_end_reason reason, uint64_t now_us)
{
    struct ot_sensor *s = ctx;
    /*
     * The labeler first: a packet it still holds back is dropped when a
     * parser claimed the flow, which it can tell only before the parser's
     * state goes.
     */
    if (s->labeler)
        ot_labeler_flow_end(s->labeler, f);
    ot_proto_on_end(&s->pe, f, now_us);
    if (s->detect)
        ot_detect_flow_end(s->detect, f);
    if (s->cfg->event_types & OT_EV_FLOW)
        ot_eve_flow(&s->eve, f, ot_flow_end_reason_name(reason), s->labeler);
}

/* The parsers' observations: DHCP clients to the asset inventory, everything to the detectors. */
static void observe(void *ctx, const struct ot_flow *f, const struct ot_obs *o)
{
    struct ot_sensor *s = ctx;
    if (s->assets && o->kind == OT_OBS_DHCP && o->u.dhcp.client_mac) {
        const struct ot_obs_dhcp *d = &o->u.dhcp;
        ot_assets_dhcp(s->assets, d->client_mac, d->hostname.s, d->hostname.len, d->assigned,
                       d->vendor_class.s, d->vendor_class.len, o->ts_us);
    }
    if (s->detect)
        ot_detect_observe(s->detect, f, o);
}

/*
 * nDPI read the server name of a QUIC flow's ClientHello, for the QUIC
 * versions our parser (proto-quic.c) does not read (Google QUIC): what nDPI
 * kept goes through our parser's writer (the quic event, and the detectors).
 */
static void on_quic(void *ctx, const struct ot_flow *f, const struct ot_label_quic *q,
                    uint64_t ts_us)
{
    struct ot_sensor *s = ctx;
    struct ot_tls_client_hello ch;
    memset(&ch, 0, sizeof(ch));
    ch.sni_len = (uint16_t)strnlen(q->sni, sizeof(ch.sni));
    memcpy(ch.sni, q->sni, ch.sni_len);
    /* nDPI's "h3,h3-29" into the wire form the writer reads; whole names only. */
    for (const char *a = q->alpn; *a;) {
        size_t n = strcspn(a, ",");
        if (n <= 255 && ch.alpn_len + 1 + n <= sizeof(ch.alpn)) {
            ch.alpn[ch.alpn_len] = (uint8_t)n;
            memcpy(ch.alpn + ch.alpn_len + 1, a, n);
            ch.alpn_len = (uint16_t)(ch.alpn_len + 1 + n);
        }
        a += n + (a[n] == ',');
    }
    ot_strlcpy(ch.ja3_md5, q->ja3, sizeof(ch.ja3_md5));
    struct ot_proto_ctx pc = s->pe.ctx;
    pc.ts_us = ts_us;
    ot_quic_write(&pc, f, 0, &ch, q->ua);
}

/* Reassembly gave a fragmented datagram up: its addresses still go to the detectors. */
static void lost_datagram(void *ctx, const struct ot_lost_datagram *g)
{
    struct ot_sensor *s = ctx;
    if (s->detect)
        ot_detect_datagram(s->detect, g);
}

static bool asset_is_home(void *ctx, const struct ot_addr *a, bool v6)
{
    const struct ot_sensor *s = ctx;
    return ot_detect_conf_is_home(&s->cfg->detect, a, v6);
}

/*
 * The inventory met a MAC its state never had.  That is a new-device alert
 * only when "never" means something: with a state file, and (when the file
 * started empty) after the first asset.learning seconds, which are the
 * baseline of a sensor's first run.
 */
static void asset_new_device(void *ctx, const struct ot_asset_info *a, uint64_t ts_us)
{
    struct ot_sensor *s = ctx;
    if (!s->detect || !s->cfg->asset.state_path[0])
        return;
    if (s->asset_learning &&
        ts_us < s->c.first_ts_us + (uint64_t)s->cfg->asset.learning_s * 1000000u) {
        s->asset_baseline++;
        return;
    }
    static const struct ot_addr none;
    ot_detect_new_device(s->detect, a->mac, a->n_ips ? &a->ips[0].addr : &none,
                         a->n_ips ? a->ips[0].v6 : false, a->vendor, a->hostname, ts_us);
}

static int assets_init(struct ot_sensor *s)
{
    const struct ot_sensor_config *cfg = s->cfg;
    struct ot_asset_hooks h = {.ctx = s, .is_home = asset_is_home, .new_device = asset_new_device};
    int rc = ot_assets_new(&cfg->asset, &s->eve, &h, &s->assets);
    if (rc)
        return rc;
    const struct ot_asset_stats *st = ot_assets_stats(s->assets);
    if (!cfg->asset.state_path[0])
        ot_info("asset: no asset.state-file: every device is new in each run, so no new-device "
                "alerts");
    else if (st->state_loaded == 0 && cfg->asset.learning_s)
        s->asset_learning = true;
    if (s->asset_learning)
        ot_info("asset: %s holds no device: the first %u s are the baseline (no new-device "
                "alerts)", cfg->asset.state_path, cfg->asset.learning_s);
    return OT_OK;
}

int ot_sensor_init(struct ot_sensor *s, const struct ot_sensor_config *cfg)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    struct ot_eve_config ec;
    ot_eve_config_defaults(&ec);
    ec.path = cfg->output;
    ec.rotate_bytes = cfg->rotate_bytes;
    ec.rotate_keep = cfg->rotate_keep;
    ec.sensor_id = cfg->sensor_id;
    int rc = ot_eve_open(&s->eve, &ec);
    if (rc)
        return rc;
    if (cfg->server) {
        struct ot_server_out_conf sc = {.state_dir = cfg->state_dir,
                                        .event_types = cfg->server_event_types,
                                        .spool_max_bytes = cfg->server_spool_max,
                                        .drain_ms = cfg->server_drain_s * 1000u};
        char err[512];
        rc = ot_server_out_open(&sc, &s->server, err, sizeof(err));
        if (rc) {
            ot_err("server: %s", err);
            goto out_eve;
        }
        s->eve.tee = ot_server_out_tee;
        s->eve.tee_ctx = s->server;
    }
    rc = ot_decoder_init(&s->dec, &cfg->decode);
    if (rc)
        goto out_server;
    s->dec.on_lost = lost_datagram;
    s->dec.lost_ctx = s;
    if (cfg->ndpi) {
        struct ot_labeler_conf lc = {.max_packets = cfg->ndpi_max_packets,
                                     .parsed_flows = cfg->ndpi_parsed_flows,
                                     .tls_flows = cfg->ndpi_tls_flows,
                                     .unknown_us = (uint64_t)cfg->ndpi_unknown_s * 1000000u,
                                     .unanswered_udp = cfg->ndpi_unanswered_udp,
                                     .held_bytes = cfg->ndpi_held_bytes,
                                     .on_quic = on_quic,
                                     .ctx = s};
        rc = ot_labeler_new(&lc, &s->labeler);
        if (rc)
            goto out_dec;
    }
    struct ot_eve *app_eve = &s->eve;
    if (cfg->detect.enabled) {
        rc = ot_detect_new(&cfg->detect, &s->eve, &s->detect);
        if (rc)
            goto out_label;
        if (s->labeler)
            ot_detect_set_userdata(s->detect, "labeler", s->labeler);
        rc = ot_intel_load(&s->intel, cfg);
        if (rc)
            goto out_detect;
        ot_detect_set_userdata(s->detect, "indicators", s->intel.current);
        struct ot_detect_filter flt;
        ot_intel_filter(&s->intel, &flt);
        ot_detect_set_filter(s->detect, &flt);
    }
    if (cfg->asset.enabled) {
        rc = assets_init(s);
        if (rc)
            goto out_detect;
    }
    if (s->detect || s->assets) {
        s->obs.ctx = s;
        s->obs.observe = observe;
        if (!(cfg->event_types & OT_EV_APP)) {
            /* Parsers still run for the detectors; their events go nowhere. */
            struct ot_eve_config nc;
            ot_eve_config_defaults(&nc);
            nc.path = "/dev/null";
            nc.sensor_id = cfg->sensor_id;
            rc = ot_eve_open(&s->app_sink, &nc);
            if (rc)
                goto out_detect;
            s->app_sink_open = true;
            /* Event types sent to the server need not be written locally. */
            s->app_sink.tee = s->eve.tee;
            s->app_sink.tee_ctx = s->eve.tee_ctx;
            app_eve = &s->app_sink;
        }
    }
    ot_proto_engine_init(&s->pe, &cfg->proto, app_eve);
    if (s->detect || s->assets)
        s->pe.ctx.sink = &s->obs;
    struct ot_flow_callbacks cb = {
        .ctx = s, .on_packet = cb_packet, .on_data = cb_data, .on_end = cb_end};
    rc = ot_flow_table_new(&cfg->flow, &cb, &s->flows);
    if (rc)
        goto out_sink;
    return OT_OK;

out_sink:
    if (s->app_sink_open)
        ot_eve_close(&s->app_sink);
out_detect:
    ot_assets_free(s->assets);
    ot_detect_free(s->detect);
    ot_intel_free(&s->intel);
out_label:
    ot_labeler_free(s->labeler);
out_dec:
    ot_decoder_free(&s->dec);
out_server:
    ot_server_out_close(s->server);
    s->server = NULL;
out_eve:
    ot_eve_close(&s->eve);
    return rc;
}

void ot_sensor_reload(struct ot_sensor *s)
{
    if (s->detect)
        ot_intel_reload_start(&s->intel);
}

/* Flow timeouts once a second and periodic stats, both in packet time. */
static void timers(struct ot_sensor *s)
{
    struct ot_sensor_counters *c = &s->c;
    struct ot_ioc_set *set;
    if (s->detect && ot_intel_poll(&s->intel, &set))
        ot_detect_set_userdata(s->detect, "indicators", set);
    if (c->last_ts_us >= s->next_expire_us) {
        ot_flow_expire(s->flows, c->last_ts_us);
        ot_decoder_expire(&s->dec, c->last_ts_us);
        if (s->assets)
            ot_assets_tick(s->assets, c->last_ts_us);
        if (s->detect)
            ot_detect_tick(s->detect, c->last_ts_us);
        s->next_expire_us = c->last_ts_us + 1000000;
    }
    if (s->next_stats_us && c->last_ts_us >= s->next_stats_us) {
        ot_sensor_write_stats(s, c->last_ts_us, false);
        s->next_stats_us = c->last_ts_us + (uint64_t)s->cfg->stats_interval_s * 1000000u;
    }
}

void ot_sensor_packet(struct ot_sensor *s, int dlt, const uint8_t *frame, uint32_t caplen,
                      uint32_t wirelen, uint64_t ts_us)
{
    struct ot_sensor_counters *c = &s->c;
    if (c->packets == 0) {
        c->first_ts_us = ts_us;
        s->next_expire_us = ts_us + 1000000;
        if (s->cfg->stats_interval_s)
            s->next_stats_us = ts_us + (uint64_t)s->cfg->stats_interval_s * 1000000u;
    }
    c->packets++;
    c->bytes += wirelen;
    /* Packet time never runs backwards for our timers, even if the capture does. */
    if (ts_us > c->last_ts_us)
        c->last_ts_us = ts_us;

    struct ot_packet p;
    switch (ot_decode(&s->dec, dlt, frame, caplen, wirelen, ts_us, &p)) {
    case OT_DECODE_OK:
        c->decoded++;
        ot_flow_process(s->flows, &p);
        break;
    case OT_DECODE_SKIP:
        c->skipped++;
        break;
    case OT_DECODE_HELD:
        c->frag_held++;
        break;
    case OT_DECODE_ERROR:
        c->invalid++;
        break;
    }
    timers(s);
}

void ot_sensor_tick(struct ot_sensor *s, uint64_t now_us)
{
    struct ot_sensor_counters *c = &s->c;
    if (c->packets == 0 || now_us <= c->last_ts_us)
        return;
    c->last_ts_us = now_us;
    timers(s);
}

static void write_asset_stats(struct ot_jw *w, const struct ot_sensor *s)
{
    const struct ot_asset_stats *st = ot_assets_stats(s->assets);
    ot_jw_obj_open(w, "assets");
    ot_jw_u64(w, "tracked", st->tracked);
    ot_jw_u64(w, "active", st->active);
    ot_jw_u64(w, "new_devices", st->new_devices);
    ot_jw_u64(w, "baseline_devices", s->asset_baseline);
    ot_jw_u64(w, "table_full", st->table_full);
    ot_jw_u64(w, "evicted", st->evicted);
    ot_jw_obj_open(w, "names_seen");
    for (int i = 1; i < OT_NAME__COUNT; i++)
        ot_jw_u64(w, ot_asset_name_src_name((enum ot_asset_name_src)i), st->names_seen[i]);
    ot_jw_obj_close(w);
    ot_jw_obj_open(w, "names_malformed");
    for (int i = 1; i < OT_NAME__COUNT; i++)
        if (st->names_malformed[i])
            ot_jw_u64(w, ot_asset_name_src_name((enum ot_asset_name_src)i), st->names_malformed[i]);
    ot_jw_obj_close(w);
    ot_jw_u64(w, "names_unattributed", st->names_unattributed);
    ot_jw_u64(w, "events", st->events);
    ot_jw_u64(w, "changes_merged", st->changes_merged);
    ot_jw_u64(w, "state_loaded", st->state_loaded);
    ot_jw_u64(w, "state_load_errors", st->state_load_errors);
    ot_jw_u64(w, "state_dropped", st->state_dropped);
    ot_jw_u64(w, "state_saves", st->state_saves);
    ot_jw_u64(w, "state_save_errors", st->state_save_errors);
    ot_jw_u64(w, "oui_entries", st->oui_entries);
    ot_jw_obj_close(w);
}

static void write_detect_stats(struct ot_jw *w, const struct ot_detect *d,
                               const struct ot_intel *in)
{
    const struct ot_detect_stats *st = ot_detect_stats(d);
    ot_jw_obj_open(w, "detect");
    ot_jw_u64(w, "alerts_raised", st->alerts_raised);
    ot_jw_u64(w, "alerts_written", st->alerts_written);
    ot_jw_u64(w, "alerts_merged", st->alerts_merged);
    ot_jw_u64(w, "alerts_allowlisted", st->alerts_allowlisted);
    ot_jw_u64(w, "allowlist_rules", in->st.allow_rules);
    ot_jw_u64(w, "indicators", in->st.indicators);
    ot_jw_u64(w, "intel_loads", in->st.loads);
    ot_jw_u64(w, "intel_reload_failed", in->st.reload_failed);
    ot_jw_u64(w, "pending_full", st->pending_full);
    ot_jw_obj_open(w, "by_detector");
    for (size_t i = 0; ot_detectors[i] && i < OT_DETECT_MAX_DETECTORS; i++)
        if (st->by_detector[i])
            ot_jw_u64(w, ot_detectors[i]->name, st->by_detector[i]);
    ot_jw_obj_close(w);
    ot_jw_obj_open(w, "table_full");
    for (size_t i = 0; ot_detectors[i] && i < OT_DETECT_MAX_DETECTORS; i++)
        if (st->table_full[i])
            ot_jw_u64(w, ot_detectors[i]->name, st->table_full[i]);
    ot_jw_obj_close(w);
    ot_jw_obj_close(w);
}

void ot_sensor_write_stats(struct ot_sensor *s, uint64_t ts_us, bool final)
{
    if (!(s->cfg->event_types & OT_EV_STATS))
        return;
    const struct ot_sensor_counters *c = &s->c;
    struct ot_jw *w = ot_eve_begin(&s->eve, "stats", ts_us, NULL, 0);
    ot_jw_obj_open(w, "stats");
    ot_jw_bool(w, "final", final);
    ot_jw_u64(w, "uptime", c->packets ? (c->last_ts_us - c->first_ts_us) / 1000000 : 0);
    ot_jw_obj_open(w, "capture");
    ot_jw_u64(w, "packets", c->packets);
    ot_jw_u64(w, "bytes", c->bytes);
    if (s->capture) {
        struct ot_capture_stats cs;
        ot_capture_stats(s->capture, &cs);
        if (cs.live) {
            ot_jw_u64(w, "kernel_packets", cs.kernel_recv);
            ot_jw_u64(w, "kernel_drops", cs.kernel_drops);
        } else {
            ot_jw_u64(w, "files", cs.files);
        }
    }
    ot_jw_obj_close(w);
    ot_jw_obj_open(w, "decoder");
    ot_jw_u64(w, "ip", c->decoded);
    ot_jw_u64(w, "not_ip", c->skipped);
    ot_jw_u64(w, "invalid", c->invalid);
    ot_jw_u64(w, "fragments_held", c->frag_held);
    ot_jw_obj_open(w, "errors");
    for (int i = 0; i < OT_DEC__COUNT; i++)
        if (s->dec.counters[i])
            ot_jw_u64(w, ot_decode_counter_names[i], s->dec.counters[i]);
    ot_jw_obj_close(w);
    ot_jw_obj_close(w);
    const struct ot_flow_stats *fs = ot_flow_table_stats(s->flows);
    ot_jw_obj_open(w, "flow");
    ot_jw_u64(w, "created", fs->created);
    ot_jw_u64(w, "ended", fs->ended);
    ot_jw_u64(w, "active", fs->active);
    ot_jw_u64(w, "timed_out", fs->timed_out);
    ot_jw_u64(w, "evicted", fs->evicted);
    ot_jw_u64(w, "max_flows", s->cfg->flow.max_flows);
    ot_jw_obj_close(w);
    ot_jw_obj_open(w, "tcp");
    ot_jw_u64(w, "reassembly_gaps", fs->tcp_reassembly_gaps);
    ot_jw_u64(w, "ooo_dropped", fs->tcp_ooo_dropped);
    ot_jw_u64(w, "retransmits", fs->tcp_retransmits);
    ot_jw_u64(w, "overlaps", fs->tcp_overlaps);
    ot_jw_u64(w, "port_reuse", fs->tcp_reused);
    ot_jw_u64(w, "ooo_memuse", fs->tcp_ooo_memuse);
    ot_jw_obj_close(w);
    ot_jw_obj_open(w, "app_layer");
    ot_jw_obj_open(w, "flows");
    for (int i = 1; i < OT_APP__COUNT; i++)
        ot_jw_u64(w, ot_app_proto_name(i), s->pe.stats.flows[i]);
    ot_jw_obj_close(w);
    ot_jw_obj_open(w, "errors");
    for (int i = 1; i < OT_APP__COUNT; i++)
        if (s->pe.stats.errors[i])
            ot_jw_u64(w, ot_app_proto_name(i), s->pe.stats.errors[i]);
    ot_jw_obj_close(w);
    struct ot_proto_mem_stats pm;
    ot_proto_mem_stats(&pm);
    ot_jw_obj_open(w, "memory");
    ot_jw_u64(w, "used", pm.used);
    ot_jw_u64(w, "peak", pm.peak);
    ot_jw_u64(w, "refused", pm.refused);
    ot_jw_obj_close(w);
    ot_jw_obj_close(w);
    if (s->labeler) {
        const struct ot_label_stats *ls = ot_labeler_stats(s->labeler);
        ot_jw_obj_open(w, "labels");
        ot_jw_u64(w, "classified", ls->flows_classified);
        ot_jw_u64(w, "guessed", ls->flows_guessed);
        ot_jw_u64(w, "unknown", ls->flows_unknown);
        ot_jw_u64(w, "unknown_cached", ls->flows_unknown_cached);
        ot_jw_u64(w, "unknown_cache_replaced", ls->unknown_cache_replaced);
        ot_jw_u64(w, "left_to_parsers", ls->flows_skipped);
        ot_jw_u64(w, "packets_inspected", ls->packets_inspected);
        ot_jw_u64(w, "unanswered", ls->flows_unanswered);
        ot_jw_u64(w, "held_bytes", ls->held_bytes);
        ot_jw_u64(w, "held_full", ls->held_full);
        ot_jw_obj_close(w);
    }
    if (s->detect)
        write_detect_stats(w, s->detect, &s->intel);
    if (s->assets)
        write_asset_stats(w, s);
    ot_jw_obj_open(w, "output");
    ot_jw_u64(w, "events", s->eve.stats.events + 1);
    ot_jw_u64(w, "dropped_too_large", s->eve.stats.dropped_large);
    ot_jw_u64(w, "write_errors", s->eve.stats.write_errors);
    ot_jw_u64(w, "rotations", s->eve.stats.rotations);
    ot_jw_obj_close(w);
    if (s->server)
        ot_server_out_write_stats(s->server, w);
    ot_jw_obj_close(w);
    ot_eve_end(&s->eve);
}

int ot_sensor_finish(struct ot_sensor *s)
{
    uint64_t now = s->c.last_ts_us;
    ot_decoder_flush(&s->dec);
    ot_flow_flush(s->flows, now);
    /* Before the detectors finish: the last devices' new-device alerts go out with the rest. */
    if (s->assets && ot_assets_finish(s->assets, now) != OT_OK)
        ot_err("asset: the state file could not be saved (see above)");
    if (s->detect)
        ot_detect_finish(s->detect);
    ot_sensor_write_stats(s, now, true);
    int rc = ot_eve_flush(&s->eve);
    /* Last: the final stats go to the server too; then deliver within server.drain. */
    if (s->server) {
        s->eve.tee = NULL;
        s->app_sink.tee = NULL;
        ot_server_out_close(s->server);
        s->server = NULL;
    }
    return rc;
}

void ot_sensor_free(struct ot_sensor *s)
{
    ot_server_out_close(s->server);
    ot_flow_table_free(s->flows, s->c.last_ts_us);
    ot_assets_free(s->assets);
    ot_detect_free(s->detect);
    ot_intel_free(&s->intel);
    if (s->app_sink_open)
        ot_eve_close(&s->app_sink);
    ot_labeler_free(s->labeler);
    ot_decoder_free(&s->dec);
    ot_eve_close(&s->eve);
}
