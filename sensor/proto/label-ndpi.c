#include "proto/label.h"

#include <ndpi/ndpi_api.h>
#include <stdlib.h>
#include <string.h>

#include "otasuke/error.h"

/*
 * Names of the (master, app) pairs met so far.  Every flow event writes its
 * label and category, and nDPI renders the label with snprintf() (about
 * 1,000 instructions); a run meets a few hundred distinct pairs, so a small
 * direct-mapped cache of the rendered names answers nearly every lookup.
 */
#define NAME_CACHE_SIZE 256

struct label_name {
    uint32_t key; /* master << 16 | app; 0 = empty (unknown/unknown is never looked up) */
    uint8_t len;
    char name[63];        /* as ndpi_protocol2name() writes it */
    const char *category; /* ndpi_category_get_name(): nDPI's own string */
};

struct ot_labeler {
    struct ndpi_detection_module_struct *mod;
    uint32_t max_packets;
    struct ot_label_stats st;
    /* NAME_CACHE_SIZE entries, behind a pointer so that users holding a const labeler fill it too. */
    struct label_name *names;
};

int ot_labeler_new(uint32_t max_packets, struct ot_labeler **out)
{
    struct ot_labeler *l = calloc(1, sizeof(*l));
    if (!l)
        return OT_ENOMEM;
    l->names = calloc(NAME_CACHE_SIZE, sizeof(*l->names));
    if (!l->names) {
        free(l);
        return OT_ENOMEM;
    }
    l->mod = ndpi_init_detection_module(ndpi_no_prefs);
    if (!l->mod) {
        free(l->names);
        free(l);
        return OT_ENOMEM;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(l->mod, &all);
    ndpi_finalize_initialization(l->mod);
    l->max_packets = max_packets;
    *out = l;
    return OT_OK;
}

void ot_labeler_free(struct ot_labeler *l)
{
    if (!l)
        return;
    ndpi_exit_detection_module(l->mod);
    free(l->names);
    free(l);
}

static void release(struct ot_flow *f)
{
    if (f->ndpi) {
        ndpi_free_flow(f->ndpi);
        f->ndpi = NULL;
    }
}

static void store(struct ot_flow *f, ndpi_protocol pr)
{
    f->ndpi_master = pr.master_protocol;
    f->ndpi_app = pr.app_protocol;
    struct ndpi_flow_struct *nf = f->ndpi;
    if (nf)
        f->ndpi_risk = nf->risk;
}

/* Mark the label decided: no more packets go to nDPI for this flow. */
#define NDPI_DONE 0xff

void ot_labeler_packet(struct ot_labeler *l, struct ot_flow *f, int dir, const struct ot_packet *p)
{
    if (f->ndpi_pkts == NDPI_DONE || !p->l3 || p->l3_caplen == 0)
        return;
    /*
     * Bare TCP ACKs tell nDPI nothing once the handshake is seen, yet cost
     * it thousands of instructions each: only SYNs, FINs/RSTs and segments
     * with payload go in.
     */
    if (p->ip_proto == 6 && p->payload_len == 0 &&
        !(p->tcp_flags & (OT_TH_SYN | OT_TH_FIN | OT_TH_RST)))
        return;
    if (!f->ndpi) {
        f->ndpi = calloc(1, SIZEOF_FLOW_STRUCT);
        if (!f->ndpi) {
            l->st.alloc_failed++;
            f->ndpi_pkts = NDPI_DONE;
            return;
        }
    }
    uint32_t len = p->l3_caplen > 65535 ? 65535 : p->l3_caplen;
    l->st.packets_inspected++;
    ndpi_protocol pr = ndpi_detection_process_packet(l->mod, f->ndpi, p->l3, (unsigned short)len,
                                                     p->ts_us / 1000);
    f->ndpi_pkts++;
    bool known = pr.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
                 pr.master_protocol != NDPI_PROTOCOL_UNKNOWN;
    if (known && !ndpi_extra_dissection_possible(l->mod, f->ndpi)) {
        store(f, pr);
        l->st.flows_classified++;
        release(f);
        f->ndpi_pkts = NDPI_DONE;
        return;
    }
    if (f->ndpi_pkts >= l->max_packets)
        ot_labeler_flow_end(l, f);
}

void ot_labeler_stop(struct ot_labeler *l, struct ot_flow *f)
{
    if (f->ndpi_pkts == NDPI_DONE)
        return;
    release(f);
    f->ndpi_pkts = NDPI_DONE;
    l->st.flows_skipped++;
}

void ot_labeler_flow_end(struct ot_labeler *l, struct ot_flow *f)
{
    if (f->ndpi_pkts == NDPI_DONE || !f->ndpi) {
        release(f);
        return;
    }
    uint8_t guessed = 0;
    ndpi_protocol pr = ndpi_detection_giveup(l->mod, f->ndpi, 1, &guessed);
    store(f, pr);
    if (pr.app_protocol == NDPI_PROTOCOL_UNKNOWN && pr.master_protocol == NDPI_PROTOCOL_UNKNOWN)
        l->st.flows_unknown++;
    else if (guessed)
        l->st.flows_guessed++;
    else
        l->st.flows_classified++;
    release(f);
    f->ndpi_pkts = NDPI_DONE;
}

/* The cached names of a flow's label, or NULL when nDPI gave it none. */
static const struct label_name *label_names(const struct ot_labeler *l, const struct ot_flow *f)
{
    if (f->ndpi_master == NDPI_PROTOCOL_UNKNOWN && f->ndpi_app == NDPI_PROTOCOL_UNKNOWN)
        return NULL;
    uint32_t key = (uint32_t)f->ndpi_master << 16 | f->ndpi_app;
    struct label_name *e = &l->names[(key * 2654435761u) >> 24];
    if (e->key == key)
        return e;
    ndpi_protocol pr = {.master_protocol = f->ndpi_master, .app_protocol = f->ndpi_app};
    char buf[64];
    ndpi_protocol2name(l->mod, pr, buf, sizeof(buf));
    e->key = key;
    e->len = (uint8_t)strnlen(buf, sizeof(e->name));
    memcpy(e->name, buf, e->len);
    e->category = ndpi_category_get_name(l->mod, ndpi_get_proto_category(l->mod, pr));
    return e;
}

void ot_labeler_write(const struct ot_labeler *l, const struct ot_flow *f, struct ot_jw *w)
{
    const struct label_name *n = label_names(l, f);
    if (!n)
        return;
    ot_jw_strn(w, "app_label", n->name, n->len);
    ot_jw_str(w, "app_category", n->category);
    if (f->ndpi_risk) {
        ot_jw_arr_open(w, "risks");
        for (unsigned i = 1; i < NDPI_MAX_RISK && i < 64; i++)
            if (f->ndpi_risk & (1ULL << i))
                ot_jw_str(w, NULL, ndpi_risk2str((ndpi_risk_enum)i));
        ot_jw_arr_close(w);
    }
}

const struct ot_label_stats *ot_labeler_stats(const struct ot_labeler *l)
{
    return &l->st;
}

const char *ot_labeler_name(const struct ot_labeler *l, const struct ot_flow *f, char *buf,
                            size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    const struct label_name *n = label_names(l, f);
    if (!n)
        return buf;
    /* As ndpi_protocol2name() into buf would: cut to fit, always terminated. */
    size_t k = n->len < len - 1 ? n->len : len - 1;
    memcpy(buf, n->name, k);
    buf[k] = '\0';
    return buf;
}
