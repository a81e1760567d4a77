/*
 * Inside the asset inventory: the table (asset.c) and the state file
 * (asset-state.c) share these.  Not for other modules; the fuzz target of
 * the state parser uses ot_assets_load_buf() and ot_assets_format_state().
 */
#ifndef OT_SENSOR_ASSET_INTERNAL_H
#define OT_SENSOR_ASSET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asset/asset-names.h"
#include "asset/asset.h"
#include "core/timefmt.h"

struct ot_oui;

/* What changed since an asset's last event (struct asset.dirty). */
#define CH_IPS     0x01
#define CH_NAME    0x02
#define CH_GATEWAY 0x04

struct asset_ip {
    struct ot_addr a;
    uint64_t last_us; /* last used; orders the list, the oldest is replaced */
    bool v6;
};

struct asset {
    uint8_t mac[6];
    bool seen_run;   /* seen in this run (else only known from the state) */
    bool from_state; /* the state file had it */
    bool gateway;
    bool announced; /* its first event of this run is written */
    uint8_t n_ips;
    uint8_t name_src; /* enum ot_asset_name_src */
    uint8_t dirty;    /* CH_* not yet in an event */
    uint8_t win_new;  /* addresses added in the current gateway window */
    struct asset_ip ips[OT_ASSET_MAX_IPS];
    char name[OT_ASSET_NAME_MAX + 1];
    char vclass[OT_ASSET_VCLASS_MAX + 1];
    const char *vendor; /* into the OUI registry; NULL = unknown */
    uint64_t first_us, last_us;
    uint64_t run_first_us;    /* first seen in this run */
    uint64_t win_start_us;    /* gateway detection window */
    uint64_t last_event_us;   /* when its last event was written (0 = none) */
    uint64_t evented_last_us; /* last_us as its last event said */
};

/* A DHCP client's name that arrived before the MAC had a home address. */
struct asset_pending {
    uint8_t mac[6];
    bool used;
    char name[OT_ASSET_NAME_MAX + 1];
    char vclass[OT_ASSET_VCLASS_MAX + 1];
};

#define PENDING_MAX 32

struct ot_assets {
    struct ot_asset_conf conf;
    struct ot_asset_hooks hooks;
    struct ot_eve *eve;
    struct ot_oui *oui;
    struct ot_timefmt tf;
    uint64_t seed; /* hash key, random per run */

    struct asset *a; /* a[0..n) in use */
    uint32_t n, cap;
    uint32_t *mh; /* MAC index: asset + 1, 0 = empty (linear probing) */
    uint32_t mh_mask;
    uint32_t *ih; /* address index: asset * OT_ASSET_MAX_IPS + slot + 1 */
    uint32_t ih_mask;
    uint32_t evictable;   /* entries not seen in this run */
    uint32_t pending_n;   /* entries with an event to write (first one, or changes) */
    uint32_t pending_lo;  /* no entry below this index is pending (a[] order is event order) */
    uint64_t next_due_us; /* no pending event may go out before (0 = none scheduled) */

    struct asset_pending pend[PENDING_MAX];
    uint32_t pend_next;

    uint64_t next_save_us;
    bool state_readonly; /* the file is of another version: never overwrite it */
    struct ot_asset_stats st;
    char *fmt_buf; /* last ot_assets_format_state() output */
};

/* A state file line, parsed. */
struct asset_rec {
    uint8_t mac[6];
    uint64_t first_us, last_us;
    uint8_t name_src;
    char name[OT_ASSET_NAME_MAX + 1];
    uint8_t n_ips;
    struct asset_ip ips[OT_ASSET_MAX_IPS]; /* in file order: most recent first */
};

/*
 * Put a record from the state into the table (not seen in this run).
 * Returns 0, OT_EEXIST (the MAC is there already), OT_ELIMIT (table full)
 * or OT_ENOMEM.
 */
int ot_asset_restore(struct ot_assets *as, const struct asset_rec *r);

/* Is the MAC a unicast, non-zero address? */
bool ot_asset_mac_ok(const uint8_t mac[6]);

/* Load conf.state_path (asset-state.c). Problems are reported and counted, never fatal. */
void ot_asset_state_load(struct ot_assets *as);
/* Write conf.state_path atomically. Returns 0 or OT_EIO/OT_ENOMEM (counted, reported). */
int ot_asset_state_save(struct ot_assets *as);

/*
 * Parse state-file text into the table; `name` prefixes reports
 * (NAME:LINE: reason).  Used by ot_asset_state_load() and the fuzz target.
 */
void ot_assets_load_buf(struct ot_assets *as, const char *buf, size_t len, const char *name);
/*
 * The state file's text for the table now.  *out is owned by `as` and
 * valid until the next call or ot_assets_free().  Returns 0 or OT_ENOMEM.
 */
int ot_assets_format_state(struct ot_assets *as, const char **out /* OUT */, size_t *len /* OUT */);

#endif
