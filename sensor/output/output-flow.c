/*
 * The flow event, in Suricata's EVE shape: one per flow, when it ends.
 *
 * It is the most frequent event (every flow has one), so its fixed fields
 * (counters, times, state, TCP flags) are rendered in one go per object,
 * straight into the JSON writer's buffer, instead of one call per field; the nDPI label fields
 * still go through the labeler.  The output is byte for byte what the field-by-field writer gave.
 */
#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "output/eve-text.h"
#include "output/eve.h"
#include "proto/label.h"

static const char hexdig[] = "0123456789abcdef";

/* `"key":"xx"`: one byte of TCP flags in lower-case hex, as ot_jw_hex() writes it. */
#define PUT_FLAGS(o, key, v)                                                                       \
    do {                                                                                           \
        (o) = OT_PUT_LIT((o), key);                                                                \
        *(o)++ = hexdig[(v) >> 4];                                                                 \
        *(o)++ = hexdig[(v)&15];                                                                   \
        *(o)++ = '"';                                                                              \
    } while (0)

void ot_eve_flow(struct ot_eve *e, const struct ot_flow *f, const char *reason,
                 const struct ot_labeler *l)
{
    struct ot_jw *w = ot_eve_begin(e, "flow", f->last_us, f, 0);
    /* Numbers take at most 20 bytes, timestamps OT_TS_LEN + 1, names are ours (short). */
    char buf[512];
    char *start, *o;
    if (f->ip_proto == 1 || f->ip_proto == 58) {
        /* The flow table keeps the first packet's ICMP type and code in the port fields. */
        o = start = ot_put_fields_begin(w, buf, sizeof(buf));
        o = OT_PUT_LIT(o, "\"icmp_type\":");
        o = ot_put_u64(o, f->cli_port);
        o = OT_PUT_LIT(o, ",\"icmp_code\":");
        o = ot_put_u64(o, f->srv_port);
        ot_put_fields_end(w, buf, start, o);
    }

    ot_jw_obj_open(w, "flow");
    o = start = ot_put_fields_begin(w, buf, sizeof(buf));
    o = OT_PUT_LIT(o, "\"pkts_toserver\":");
    o = ot_put_u64(o, f->pkts[0]);
    o = OT_PUT_LIT(o, ",\"pkts_toclient\":");
    o = ot_put_u64(o, f->pkts[1]);
    o = OT_PUT_LIT(o, ",\"bytes_toserver\":");
    o = ot_put_u64(o, f->bytes[0]);
    o = OT_PUT_LIT(o, ",\"bytes_toclient\":");
    o = ot_put_u64(o, f->bytes[1]);
    o = OT_PUT_LIT(o, ",\"start\":\"");
    o += ot_timefmt_us(&e->tf, f->start_us, o);
    o = OT_PUT_LIT(o, "\",\"end\":\"");
    o += ot_timefmt_us(&e->tf, f->last_us, o);
    o = OT_PUT_LIT(o, "\",\"age\":");
    o = ot_put_u64(o, (f->last_us - f->start_us) / 1000000);
    const char *state = ot_flow_state_name(f->state);
    o = OT_PUT_LIT(o, ",\"state\":\"");
    o = ot_put_bytes(o, state, strlen(state));
    o = OT_PUT_LIT(o, "\",\"reason\":\"");
    o = ot_put_bytes(o, reason, strnlen(reason, 64));
    *o++ = '"';
    ot_put_fields_end(w, buf, start, o);
    if (l)
        ot_labeler_write(l, f, w);
    ot_jw_obj_close(w);

    if (f->ip_proto == 6) {
        static const struct {
            uint8_t bit;
            char text[8];
        } names[] = {{OT_TH_FIN, ",\"fin\":"}, {OT_TH_SYN, ",\"syn\":"}, {OT_TH_RST, ",\"rst\":"},
                     {OT_TH_PSH, ",\"psh\":"}, {OT_TH_ACK, ",\"ack\":"}, {OT_TH_URG, ",\"urg\":"},
                     {OT_TH_ECE, ",\"ecn\":"}, {OT_TH_CWR, ",\"cwr\":"}};
        uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
        ot_jw_obj_open(w, "tcp");
        o = start = ot_put_fields_begin(w, buf, sizeof(buf));
        PUT_FLAGS(o, "\"tcp_flags\":\"", all);
        PUT_FLAGS(o, ",\"tcp_flags_ts\":\"", f->tcp_flags[0]);
        PUT_FLAGS(o, ",\"tcp_flags_tc\":\"", f->tcp_flags[1]);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (all & names[i].bit) {
                o = ot_put_bytes(o, names[i].text, 7);
                o = OT_PUT_LIT(o, "true");
            }
        o = OT_PUT_LIT(o, ",\"state\":\"");
        o = ot_put_bytes(o, state, strlen(state));
        *o++ = '"';
        ot_put_fields_end(w, buf, start, o);
        ot_jw_obj_close(w);
    }
    ot_eve_end(e);
}
