/*
 * Fuzz target for the packet decoder (sensor/decode).
 *
 * One input is a sequence of frames decoded by one decoder, so fragment
 * reassembly sees many frames and its bounds (a small table here) are hit:
 *
 *   repeated: [sel: 1 byte][len: 2 bytes, big-endian][frame: len bytes]
 *
 * A len of 0xffff takes everything that is left, so frames above 64 KiB
 * (jumbograms, BIG TCP segments) can be expressed.
 *
 * sel & 0x0f picks the link type (see dlts[]); sel & 0x10 says the snap
 * length cut the frame (wirelen > caplen); sel >> 5 advances packet time by
 * that many 10-second steps (so reassembly timeouts fire).  A short last
 * record takes what is left.  Each frame is copied into a block of exactly
 * its length so AddressSanitizer sees any read past it.
 *
 * After each decode the result's promises are checked (payload inside the
 * frame or the decoder's own buffer, counters moved as decode.h says); a
 * broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[16] = {
    OT_DLT_EN10MB,    OT_DLT_EN10MB,     OT_DLT_EN10MB, OT_DLT_EN10MB,
    OT_DLT_LINUX_SLL, OT_DLT_LINUX_SLL2, OT_DLT_RAW,    OT_DLT_RAW_ALT,
    OT_DLT_IPV4,      OT_DLT_IPV6,       OT_DLT_NULL,   OT_DLT_LOOP,
    OT_DLT_PPP,       OT_DLT_NFLOG,      OT_DLT_C_HDLC, 147, /* unsupported */
};

static uint64_t counter_sum(const struct ot_decoder *d)
{
    uint64_t s = 0;
    for (int i = 0; i < OT_DEC__COUNT; i++)
        s += d->counters[i];
    return s;
}

static void check(const struct ot_decoder *d, enum ot_decode_result r, const struct ot_packet *p,
                  const uint8_t *frame, uint32_t caplen, uint64_t before)
{
    switch (r) {
    case OT_DECODE_ERROR:
    case OT_DECODE_SKIP:
        if (counter_sum(d) == before)
            abort(); /* every rejection or skip is counted */
        return;
    case OT_DECODE_HELD:
        return;
    case OT_DECODE_OK:
        break;
    default:
        abort();
    }
    if (!(p->flags & (OT_PKT_IPV4 | OT_PKT_IPV6)) ||
        ((p->flags & OT_PKT_IPV4) && (p->flags & OT_PKT_IPV6)))
        abort();
    if (p->tunnel_depth > OT_DECODE_MAX_TUNNEL_DEPTH || p->vlan_count > OT_VLAN_MAX)
        abort();
    if (p->payload_len && !p->payload)
        abort();
    if (p->payload && !(p->flags & OT_PKT_REASSEMBLED) &&
        (p->payload < frame || p->payload + p->payload_len > frame + caplen))
        abort();
    if (!p->l3 && !(p->flags & OT_PKT_REASSEMBLED))
        abort();
    if (p->l3 && !(p->flags & OT_PKT_REASSEMBLED) &&
        (p->l3 < frame || p->l3 + p->l3_caplen > frame + caplen))
        abort();
    if (p->l3 && p->payload &&
        (p->payload < p->l3 || p->payload + p->payload_len > p->l3 + p->l3_caplen))
        abort();
    if ((p->flags & OT_PKT_HAS_MAC) &&
        (p->eth_dst < frame || p->eth_dst + 12 > frame + caplen || p->eth_src != p->eth_dst + 6))
        abort();
    /* Read everything the packet points at. */
    volatile uint8_t sink = 0;
    for (uint32_t i = 0; i < p->payload_len; i++)
        sink ^= p->payload[i];
    for (uint32_t i = 0; p->l3 && i < p->l3_caplen; i++)
        sink ^= p->l3[i];
    (void)sink;
    char text[46];
    ot_addr_fmt(&p->src, (p->flags & OT_PKT_IPV6) != 0, text);
    ot_addr_fmt(&p->dst, (p->flags & OT_PKT_IPV6) != 0, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ot_decode_config cfg;
    ot_decode_config_defaults(&cfg);
    cfg.frag_max_datagrams = 8;
    cfg.frag_max_bytes = 256 * 1024;
    struct ot_decoder d;
    if (ot_decoder_init(&d, &cfg) != 0)
        return 0;

    uint64_t ts = 1700000000000000ull;
    size_t off = 0;
    while (off < size) {
        uint8_t sel = data[off++];
        size_t len = size - off;
        if (len >= 2) {
            size_t want = (size_t)data[off] << 8 | data[off + 1];
            off += 2;
            len = size - off;
            if (want < len && want != 0xffff)
                len = want;
        } else {
            off = size;
            len = 0;
        }
        uint8_t *frame = malloc(len ? len : 1);
        if (!frame)
            break;
        if (len)
            memcpy(frame, data + off, len);
        off += len;

        uint32_t caplen = (uint32_t)len;
        uint32_t wirelen = (sel & 0x10) ? caplen + 1 + (sel >> 5) * 100u : caplen;
        ts += (uint64_t)(sel >> 5) * 10000000u + 1;
        struct ot_packet p;
        uint64_t before = counter_sum(&d);
        enum ot_decode_result r = ot_decode(&d, dlts[sel & 0x0f], frame, caplen, wirelen, ts, &p);
        check(&d, r, &p, frame, caplen, before);
        free(frame);
    }
    ot_decoder_free(&d);
    return 0;
}
