/*
 * Application labels for every flow, from nDPI (Debian's libndpi).
 *
 * Our own parsers emit the metadata; nDPI only names the application
 * ("TLS.YouTube", "AnyDesk", "BitTorrent") and its category and flags its
 * flow risks, so that flows no parser understands still carry a label.
 * nDPI sees at most `max_packets` packets of a flow; its per-flow state
 * (about 700 bytes) is freed as soon as the label is decided, so memory is
 * bounded by the flows still being classified.
 */
#ifndef OT_SENSOR_LABEL_H
#define OT_SENSOR_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "flow/flow.h"

struct ot_label_stats {
    uint64_t flows_classified; /* label found by inspection */
    uint64_t flows_guessed;    /* label guessed (by port) at give-up */
    uint64_t flows_unknown;
    uint64_t flows_skipped;    /* left to our own parsers (ndpi.parsed-flows = no) */
    uint64_t packets_inspected;
    uint64_t alloc_failed;
};

struct ot_labeler;

int ot_labeler_new(uint32_t max_packets, struct ot_labeler **out /* OUT */);
void ot_labeler_free(struct ot_labeler *l);
/* One packet of the flow (flow table on_packet callback). */
void ot_labeler_packet(struct ot_labeler *l, struct ot_flow *f, int dir, const struct ot_packet *p);
/* Stop labelling this flow (one of our parsers understood it): no label, state released. */
void ot_labeler_stop(struct ot_labeler *l, struct ot_flow *f);
/* The flow ends: decide its label if not done and release the nDPI state. */
void ot_labeler_flow_end(struct ot_labeler *l, struct ot_flow *f);
/* Adds "app_label", "app_category" and "risks" (when any) to the open object. */
void ot_labeler_write(const struct ot_labeler *l, const struct ot_flow *f, struct ot_jw *w);
const struct ot_label_stats *ot_labeler_stats(const struct ot_labeler *l);
/*
 * The flow's label as flow events write it ("TLS.AnyDesk", "TeamViewer"),
 * into buf; "" when nDPI has none (yet).  Final once ot_labeler_flow_end()
 * ran.  Returns buf.
 */
const char *ot_labeler_name(const struct ot_labeler *l, const struct ot_flow *f, char *buf,
                            size_t len);

#endif
