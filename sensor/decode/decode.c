/*
 * The decoder's entry point and the dispatch by link type (those by
 * ethertype and by IP protocol are inline in decode-internal.h).  Each layer
 * lives in decode-<layer>.c with the shape declared in decode-internal.h;
 * adding one is a new file plus its row in one of the three switches.
 */
#include <stdlib.h>
#include <string.h>

#include "decode/decode-internal.h"
#include "otasuke/error.h"

const char *const ot_decode_counter_names[OT_DEC__COUNT] = {
#define OT_X_NAME(name) #name,
    OT_DECODE_COUNTERS(OT_X_NAME)
#undef OT_X_NAME
};

void ot_decode_config_defaults(struct ot_decode_config *cfg)
{
    cfg->frag_max_datagrams = 1024;
    cfg->frag_max_bytes = 8u << 20;
    cfg->frag_timeout_us = 30u * 1000000u;
}

/*
 * Set up `d` with `cfg` (defaults when NULL): zero counters, allocate the
 * reassembly table.  Returns 0, OT_EINVAL for a zero bound, OT_ENOMEM.
 * ot_decoder_free() releases what this allocated.
 */
int ot_decoder_init(struct ot_decoder *d, const struct ot_decode_config *cfg)
{
    struct ot_decode_config defaults;
    if (!cfg) {
        ot_decode_config_defaults(&defaults);
        cfg = &defaults;
    }
    memset(d, 0, sizeof(*d)); /* counters, and no on_lost until the caller sets one */
    d->cfg = *cfg;
    return ot_defrag_new(cfg, &d->defrag);
}

void ot_decoder_expire(struct ot_decoder *d, uint64_t now_us)
{
    if (d->defrag)
        ot_defrag_expire(d, d->defrag, now_us);
}

void ot_decoder_flush(struct ot_decoder *d)
{
    if (d->defrag)
        ot_defrag_flush(d, d->defrag);
}

/* Release the reassembly table and every fragment held.  Safe to call twice. */
void ot_decoder_free(struct ot_decoder *d)
{
    if (!d)
        return;
    ot_defrag_destroy(d->defrag);
    d->defrag = NULL;
}

bool ot_decode_linktype_supported(int dlt)
{
    switch (dlt) {
    case OT_DLT_NULL:
    case OT_DLT_EN10MB:
    case OT_DLT_RAW:
    case OT_DLT_RAW_ALT:
    case OT_DLT_LOOP:
    case OT_DLT_LINUX_SLL:
    case OT_DLT_IPV4:
    case OT_DLT_IPV6:
    case OT_DLT_LINUX_SLL2:
    case OT_DLT_PPP:
    case OT_DLT_PPP_SERIAL:
    case OT_DLT_C_HDLC:
    case OT_DLT_NFLOG:
        return true;
    }
    return false;
}

/*
 * Every field of p, set field by field: zeroing the struct with `= {0}` or
 * memset compiled to `rep stos`, which cost a quarter of the decode time.
 * The static assertion catches a field added to struct ot_packet and not here.
 */
_Static_assert(sizeof(struct ot_packet) == 144, "struct ot_packet changed: update packet_init()");

static inline void packet_init(struct ot_packet *p, uint64_t ts_us, uint32_t caplen,
                               uint32_t wirelen)
{
    p->ts_us = ts_us;
    p->caplen = caplen;
    p->wirelen = wirelen;
    p->flags = 0;
    p->eth_src = NULL;
    p->eth_dst = NULL;
    memset(p->vlan, 0, sizeof(p->vlan));
    p->vlan_count = 0;
    p->tunnel_depth = 0;
    p->l3 = NULL;
    p->l3_caplen = 0;
    p->src.u.q[0] = 0;
    p->src.u.q[1] = 0;
    p->dst.u.q[0] = 0;
    p->dst.u.q[1] = 0;
    p->ip_proto = 0;
    p->ttl = 0;
    p->ip_len = 0;
    p->sp = 0;
    p->dp = 0;
    p->tcp_flags = 0;
    p->icmp_type = 0;
    p->icmp_code = 0;
    p->tcp_win = 0;
    p->tcp_seq = 0;
    p->tcp_ack = 0;
    p->payload = NULL;
    p->payload_len = 0;
}

enum ot_decode_result ot_decode(struct ot_decoder *d, int dlt, const uint8_t *frame,
                                uint32_t caplen, uint32_t wirelen, uint64_t ts_us,
                                struct ot_packet *p /* OUT */)
{
    packet_init(p, ts_us, caplen, wirelen);
    if (OT_UNLIKELY(d->defrag && d->defrag->ndone))
        ot_defrag_release(d->defrag);

    switch (dlt) {
    case OT_DLT_EN10MB:
        return ot_decode_ethernet(d, p, frame, caplen, 0);
    case OT_DLT_RAW:
    case OT_DLT_RAW_ALT:
        return ot_decode_raw(d, p, frame, caplen, 0);
    case OT_DLT_LINUX_SLL:
        return ot_decode_sll(d, p, frame, caplen, 0);
    case OT_DLT_LINUX_SLL2:
        return ot_decode_sll2(d, p, frame, caplen, 0);
    case OT_DLT_IPV4:
        return ot_decode_ipv4(d, p, frame, caplen, 0);
    case OT_DLT_IPV6:
        return ot_decode_ipv6(d, p, frame, caplen, 0);
    case OT_DLT_NULL:
        return ot_decode_null(d, p, frame, caplen, 0);
    case OT_DLT_LOOP:
        return ot_decode_loop(d, p, frame, caplen, 0);
    case OT_DLT_PPP:
    case OT_DLT_PPP_SERIAL:
        return ot_decode_ppp(d, p, frame, caplen, 0);
    case OT_DLT_C_HDLC:
        return ot_decode_chdlc(d, p, frame, caplen, 0);
    case OT_DLT_NFLOG:
        return ot_decode_nflog(d, p, frame, caplen, 0);
    }
    return ot_dec_err(d, OT_DEC_unsupported_linktype);
}
