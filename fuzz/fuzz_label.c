/*
 * Fuzz target for the nDPI labeler (sensor/proto/label-ndpi.c): what it
 * holds back and when it hands packets to nDPI (the first payload packet
 * until the parsers have seen it, a TCP handshake, the packets of a UDP flow
 * without an answer), the unknown-service cache, and nDPI's dissectors on
 * arbitrary payloads.
 *
 * The input's first byte picks one of four labelers (made once and kept:
 * nDPI takes milliseconds to start), then a sequence of records:
 *
 *   [0] bit 0: direction; bits 1-2: which of 4 flows; bit 3: TCP, not UDP;
 *       bit 4: the flow ends after this packet; bits 5-7: TCP flags
 *       (SYN, ACK, FIN: one of eight combinations)
 *   [1] payload length (0-254); the payload bytes follow.  255: a payload
 *       of LONG_PAYLOAD bytes, the next 255 input bytes repeated (longer
 *       than the labeler holds back for an unanswered UDP flow)
 *   [2] time step, in units of 100 ms
 *
 * Each flow's packets run between the same two IPv4 ends, counted per
 * direction as the flow table counts them before it calls the labeler.  At
 * the end every flow is ended, and then nothing may be held any more
 * (stats.held_bytes is 0) and a held packet may never be more than the
 * labeler's bound; a broken promise aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l4-packet.h"
#include "proto/label.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_label: check failed: %s (line %d)\n", #c, __LINE__);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFLOWS       4
#define LONG_PAYLOAD 2100

static const uint8_t tcp_flags[8] = {
    OT_TH_SYN, OT_TH_SYN | OT_TH_ACK, OT_TH_ACK, OT_TH_ACK | OT_TH_PSH,
    OT_TH_FIN, OT_TH_FIN | OT_TH_ACK, OT_TH_RST, OT_TH_RST | OT_TH_ACK,
};

/* Four labelers: the default, a 256-byte hold bound, inspecting everything, no unknown cache. */
static struct ot_labeler *labelers[4];
static const uint64_t bound[4] = {UINT64_C(8) << 20, 256, UINT64_C(8) << 20, 0};

/* At exit, before the leak checker looks (it registered its own handler earlier). */
static void free_labelers(void)
{
    for (unsigned i = 0; i < 4; i++)
        ot_labeler_free(labelers[i]);
}

static struct ot_labeler *labeler(unsigned which)
{
    if (labelers[which])
        return labelers[which];
    if (!labelers[0] && !labelers[1] && !labelers[2] && !labelers[3])
        atexit(free_labelers);
    struct ot_labeler_conf c;
    ot_labeler_conf_defaults(&c);
    switch (which) {
    case 1:
        c.held_bytes = 256;
        c.max_packets = 2;
        break;
    case 2:
        c.unanswered_udp = true;
        c.parsed_flows = true;
        break;
    case 3:
        c.unknown_us = 0;
        c.max_packets = 8;
        c.held_bytes = 0;
        break;
    }
    CHECK(ot_labeler_new(&c, &labelers[which]) == 0);
    return labelers[which];
}

struct fflow {
    struct ot_flow *f;
    uint8_t cli[4], srv[4];
    uint16_t cli_port, srv_port;
    uint8_t proto; /* 0: not started */
};

static void flow_start(struct fflow *ff, unsigned idx, uint8_t proto, uint64_t ts)
{
    memset(ff->f, 0, sizeof(*ff->f));
    ff->proto = proto;
    uint8_t cli[4] = {192, 168, 1, (uint8_t)(10 + idx)}, srv[4] = {203, 0, 113, (uint8_t)idx};
    memcpy(ff->cli, cli, 4);
    memcpy(ff->srv, srv, 4);
    ff->cli_port = (uint16_t)(40000 + idx);
    ff->srv_port = (uint16_t)(idx == 0 ? 53 : idx == 1 ? 1900 : 41234 + idx);
    struct ot_flow *f = ff->f;
    memcpy(f->cli.u.b, cli, 4);
    memcpy(f->srv.u.b, srv, 4);
    f->cli_port = ff->cli_port;
    f->srv_port = ff->srv_port;
    f->ip_proto = proto;
    f->start_us = f->last_us = ts;
}

/* The packet of one record, built into buf (IPv4, then UDP or TCP, then the payload). */
static void build(const struct fflow *ff, int dir, uint8_t flags, const uint8_t *pl, uint32_t len,
                  uint64_t ts, uint8_t *buf, struct ot_packet *p)
{
    if (dir)
        ot_l4_packet(buf, ff->proto, ff->srv, ff->srv_port, ff->cli, ff->cli_port, flags, pl, len,
                     ts, p);
    else
        ot_l4_packet(buf, ff->proto, ff->cli, ff->cli_port, ff->srv, ff->srv_port, flags, pl, len,
                     ts, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct ot_labeler *l = labeler(data[0] & 3);
    const struct ot_label_stats *st = ot_labeler_stats(l);
    CHECK(st->held_bytes == 0);
    struct fflow flows[NFLOWS];
    for (unsigned i = 0; i < NFLOWS; i++) {
        flows[i].f = aligned_alloc(64, sizeof(struct ot_flow));
        CHECK(flows[i].f);
        flows[i].proto = 0;
    }
    static uint8_t buf[OT_L4_PACKET_HDR + LONG_PAYLOAD];
    static uint8_t longpl[LONG_PAYLOAD];
    uint64_t ts = UINT64_C(1700000000) * 1000000;
    size_t i = 1;
    while (i + 3 <= size) {
        uint8_t ctl = data[i], len = data[i + 1], step = data[i + 2];
        i += 3;
        if (len > size - i)
            len = (uint8_t)(size - i);
        const uint8_t *pl = data + i;
        i += len;
        uint32_t plen = len;
        if (len == 255) {
            for (size_t k = 0; k < LONG_PAYLOAD; k++)
                longpl[k] = pl[k % 255];
            pl = longpl;
            plen = LONG_PAYLOAD;
        }
        ts += (uint64_t)step * 100000;
        int dir = ctl & 1;
        unsigned idx = (ctl >> 1) & 3;
        uint8_t proto = (ctl & 8) ? 6 : 17;
        struct fflow *ff = &flows[idx];
        if (ff->proto != proto) {
            if (ff->proto)
                ot_labeler_flow_end(l, ff->f);
            flow_start(ff, idx, proto, ts);
        }
        struct ot_packet p;
        build(ff, dir, tcp_flags[ctl >> 5], pl, plen, ts, buf, &p);
        ff->f->pkts[dir]++;
        ff->f->bytes[dir] += p.ip_len;
        ff->f->last_us = ts;
        ot_labeler_packet(l, ff->f, dir, &p);
        CHECK(st->held_bytes <= bound[data[0] & 3]);
        if (ctl & 0x10) {
            ot_labeler_flow_end(l, ff->f);
            char name[64];
            ot_labeler_name(l, ff->f, name, sizeof(name));
            ff->proto = 0;
        }
    }
    for (unsigned k = 0; k < NFLOWS; k++) {
        if (flows[k].proto)
            ot_labeler_flow_end(l, flows[k].f);
        free(flows[k].f);
    }
    CHECK(st->held_bytes == 0);
    return 0;
}
