/*
 * Application labels from nDPI (Debian's libndpi), for the flows our own
 * parsers do not understand.
 *
 * Our parsers emit the metadata; nDPI only names the application
 * ("AnyDesk", "BitTorrent", "TLS.YouTube") and its category and flags its
 * flow risks, so that flows no parser understands still carry a label.
 * nDPI is the dearest stage of the sensor (15,000-35,000 instructions a
 * packet), so by default it sees:
 *   - no flow one of our parsers claimed (DNS, HTTP, SSH, SMB, TLS, ...):
 *     their label would mostly repeat app_proto.  The first payload packet
 *     of a flow is held back until the parsers have seen it, and so are a
 *     TCP flow's SYN, SYN-ACK and FIN/RST before it (headers only; they go
 *     to nDPI, in order, just before the first payload packet or at the
 *     flow's end), so a claimed flow costs nDPI nothing
 *     (ndpi.parsed-flows = yes: all flows).  TLS was the dearest of them
 *     (nDPI renders JA3 strings with snprintf and walks the certificate
 *     again); our TLS parser gives the detectors the SNI and the
 *     certificate names (AnyDesk's self-signed "CN=AnyDesk Client", which
 *     nDPI's TLS.AnyDesk label came from), so TLS flows go to nDPI only with
 *     ndpi.tls-flows = yes (SNI application names such as "TLS.YouTube",
 *     certificate risks);
 *   - at most `max_packets` packets of a flow (ndpi.max-packets, default 4),
 *     bare TCP ACKs never;
 *   - no new flow of a service nDPI could not name lately: once nDPI has
 *     seen payload of a flow and named nothing, new flows with the same
 *     client, server, server port and IP protocol skip it for `unknown_us`
 *     (ndpi.unknown-seconds, default 300) from that verdict, and have no
 *     label.  Flows nDPI ends up calling unknown are most of its cost (a
 *     third of it unknown UDP alone: games, scans, private protocols), and
 *     they come in runs between the same two ends.  The first flow after the
 *     window is inspected again, so a service that starts speaking something
 *     nDPI knows gets its label back; keyed by the client too, so one host's
 *     traffic never hides another's.  A fixed table (4,096 services);
 *   - no payload of a UDP flow that has had no answer: its packets are held
 *     back (copies, at most max_packets of them, each up to 2,048 bytes)
 *     until the first packet from the other side, and then go to nDPI in
 *     order ahead of it, so an answered flow gets the label it always got.
 *     A flow that ends unanswered is labelled from its ports and addresses
 *     (nDPI's guess, plus SSDP and DHCPv6, whose ports nDPI 4.2 does not
 *     list) without inspection (ndpi.unanswered-udp = yes: inspect them).
 *     Unanswered datagrams are scans, broadcasts, announcements and probes
 *     nobody took up; they were over a quarter of nDPI's cost on the bench
 *     capture (docs/configuration.md says what labels it changes there).
 *     The copies are bounded by held_bytes in all (ndpi.held-bytes); past
 *     it a packet goes to nDPI at once (counted: held_full).
 * The full-label behaviour of earlier versions: ndpi.parsed-flows = yes,
 * ndpi.max-packets = 12.
 * nDPI's per-flow state (about 700 bytes) is freed as soon as the label is
 * decided, so memory is bounded by the flows still being classified, plus
 * one held packet (64 KiB) per labeler, per TCP flow nDPI has not seen
 * yet, up to 4 held handshake headers (about 500 bytes, freed with the
 * flow), and the held packets of unanswered UDP flows (held_bytes in all).
 */
#ifndef OT_SENSOR_LABEL_H
#define OT_SENSOR_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "flow/flow.h"

struct ot_label_stats {
    uint64_t flows_classified; /* label found by inspection */
    uint64_t flows_guessed;    /* label guessed (by port) at give-up */
    uint64_t flows_unknown;
    uint64_t flows_skipped; /* left to our own parsers (ndpi.parsed-flows = no) */
    uint64_t packets_inspected;
    uint64_t alloc_failed;
    uint64_t flows_unknown_cached;   /* not inspected: their service was unknown lately */
    uint64_t unknown_cache_replaced; /* a fresh unknown-service entry overwritten by another */
    uint64_t flows_unanswered;       /* UDP flows that ended unanswered: labelled without nDPI */
    uint64_t held_full;  /* packets of unanswered flows inspected at once: held_bytes reached */
    uint64_t held_bytes; /* bytes held now for unanswered UDP flows */
};

/*
 * What nDPI's QUIC dissector read from a QUIC Initial (it decrypts the
 * client's first packet): strings as nDPI keeps them, NUL-terminated, ""
 * when absent.  Valid only during the callback.
 */
struct ot_label_quic {
    const char *sni;  /* server name */
    const char *alpn; /* ALPN protocols, comma-separated ("h3,h3-29") */
    const char *ua;   /* user agent (Google QUIC, or Chrome's IETF QUIC transport parameter) */
    const char *ja3;  /* JA3 of the ClientHello, MD5 in hex */
};

struct ot_labeler_conf {
    uint32_t max_packets; /* packets of a flow given to nDPI (>= 1) */
    bool parsed_flows;    /* also flows one of our parsers claimed */
    bool tls_flows;       /* TLS flows even when parsed_flows is off */
    uint64_t unknown_us;  /* skip flows of a service found unknown this recently (0: never) */
    bool unanswered_udp;  /* inspect UDP payload before the flow's first answer too */
    uint64_t held_bytes;  /* bound of the packets held for unanswered UDP flows */
    /*
     * Called once for a flow nDPI names QUIC and read a server name of, when
     * its label is decided (before nDPI's flow state is freed).  May be NULL.
     */
    void (*on_quic)(void *ctx, const struct ot_flow *f, const struct ot_label_quic *q,
                    uint64_t ts_us);
    void *ctx;
};

struct ot_labeler;

/*
 * Defaults: 4 packets, parsed flows (TLS too) left to the parsers, unknown
 * services 300 s, unanswered UDP flows labelled from their ports, 8 MiB held.
 */
void ot_labeler_conf_defaults(struct ot_labeler_conf *c /* OUT */);
int ot_labeler_new(const struct ot_labeler_conf *conf, struct ot_labeler **out /* OUT */);
void ot_labeler_free(struct ot_labeler *l);
/*
 * One packet of the flow (flow table on_packet callback).  May hold the
 * packet back until the next call or the flow's end (see above).
 */
void ot_labeler_packet(struct ot_labeler *l, struct ot_flow *f, int dir, const struct ot_packet *p);
/* Stop labelling this flow: no label (unless decided already), state released. */
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
