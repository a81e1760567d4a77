/*
 * Asset inventory: which devices live on the home networks.
 *
 * An asset is a MAC address seen as the Ethernet source of a packet whose IP
 * source is in the home networks (hooks->is_home).  At the internet edge
 * every outside address arrives with the router's MAC, so outside hosts are
 * never assets; a tunnelled packet (outer MAC, inner IP) is never used to
 * create one.  Per asset the module keeps: the MAC, its vendor from the IEEE
 * registry (oui.h), up to OT_ASSET_MAX_IPS addresses (the most recently used
 * kept), a host name and where it came from (DHCP, mDNS, LLMNR, NetBIOS,
 * asset-names.h), the DHCP vendor class, first and last seen.
 *
 * Events (docs/events/asset.md): one "asset" event when a MAC is first seen
 * in this run (reason "seen"; OT_ASSET_FIRST_DELAY_S later, so that it
 * usually carries the name the host announces as it appears), one when it
 * changes (new address, host name learned or changed, gateway; reason
 * "changed"), rate-limited to one per asset per change_interval_s with the
 * changes in between merged; one a day while the asset stays active without
 * changes (reason "refresh"); and at ot_assets_finish() one per asset seen in
 * this run whose data moved since its last event (reason "final").
 *
 * State (docs/events/asset.md, "State file"): a small text file, loaded by
 * ot_assets_new(), saved atomically every save_interval_s of packet time and
 * by ot_assets_finish().  A MAC the state never had is "new": its events
 * carry "new": true and hooks->new_device is called once, with its first
 * event.  Without a state file every MAC is new at its first sighting in the
 * run.
 *
 * Memory: the table grows up to max_assets entries, about 520 bytes each
 * with its two hash indexes (2.1 MiB for the default 4096).  When it is
 * full, the entry unseen for longest among those loaded from the state and
 * not seen in this run is forgotten (stats.evicted); when every entry is
 * active, the new MAC is not tracked (stats.table_full).  The module owns
 * everything it allocates; ot_assets_free() releases it.  Time is packet time
 * throughout: the caller's clock, never the wall clock.
 */
#ifndef OT_SENSOR_ASSET_H
#define OT_SENSOR_ASSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

struct ot_eve;

#define OT_ASSET_MAX_IPS       8  /* addresses kept per asset */
#define OT_ASSET_NAME_MAX      63 /* host name bytes (one DNS label) */
#define OT_ASSET_VCLASS_MAX    47 /* DHCP vendor class bytes kept */
#define OT_ASSET_FIRST_DELAY_S 5  /* the first event waits this long for the host's name */

/* Where a host name came from, in increasing order of trust: a name from a
 * source is replaced only by one from the same or a more trusted source. */
enum ot_asset_name_src {
    OT_NAME_NONE = 0,
    OT_NAME_NETBIOS, /* NetBIOS name service, UDP 137 (15 characters, upper case) */
    OT_NAME_LLMNR,   /* LLMNR responses, UDP 5355 */
    OT_NAME_MDNS,    /* mDNS A/AAAA records of <name>.local, UDP 5353 */
    OT_NAME_DHCP,    /* DHCP option 12 */
    OT_NAME__COUNT
};

/* "dhcp", "mdns", "llmnr", "netbios" ("" for OT_NAME_NONE). */
const char *ot_asset_name_src_name(enum ot_asset_name_src s);

struct ot_asset_conf {
    bool enabled;
    char state_path[4096];      /* "" = no state file */
    char oui_path[4096];        /* IEEE registry; "" = no vendors (see oui.h) */
    uint32_t max_assets;        /* default 4096, at most OT_ASSET_MAX_ASSETS */
    uint32_t save_interval_s;   /* default 300; 0 = save only at finish */
    uint32_t change_interval_s; /* change events per asset at most this often (default 60) */
    /*
     * Not used by the module: the sensor's new-device policy (sensor.c).
     * When the state file holds no asset at start, new devices seen in the
     * first learning_s seconds of packet time are the baseline, not alerts
     * (default 86400; 0 = alert from the first packet).
     */
    uint32_t learning_s;
};

#define OT_ASSET_MAX_ASSETS (1u << 20)

/*
 * Defaults: disabled, no state file, max_assets 4096, save every 300 s,
 * change events at most once a minute, a day's learning, and oui_path the first of
 * /usr/share/ieee-data/oui.csv and oui.txt that exists (oui.csv when
 * neither does, so that ot_assets_new() warns about it).
 */
void ot_asset_conf_defaults(struct ot_asset_conf *c);

/* What the hooks see of an asset.  Pointers are valid during the call only. */
struct ot_asset_info {
    uint8_t mac[6];
    uint8_t n_ips;
    struct {
        struct ot_addr addr;
        bool v6;
    } ips[OT_ASSET_MAX_IPS]; /* most recently used first */
    const char *hostname;    /* "" when unknown */
    enum ot_asset_name_src hostname_source;
    const char *vendor;            /* NULL when unknown */
    const char *dhcp_vendor_class; /* "" when unknown */
    uint64_t first_seen_us, last_seen_us;
    bool is_new;  /* the state file never had this MAC */
    bool gateway; /* sends for many home addresses (a router or NAT): see asset.md */
};

/*
 * is_home: does the address belong to the home networks?  NULL = every
 * address does.  new_device: called once per MAC the state never had, with
 * its first event (OT_ASSET_FIRST_DELAY_S after its first sighting; may be
 * NULL).  Neither may call back into the module.
 */
struct ot_asset_hooks {
    void *ctx;
    bool (*is_home)(void *ctx, const struct ot_addr *a, bool v6);
    void (*new_device)(void *ctx, const struct ot_asset_info *a, uint64_t ts_us);
};

struct ot_asset_stats {
    uint64_t tracked;     /* entries in the table now (active and from the state) */
    uint64_t active;      /* entries seen in this run */
    uint64_t new_devices; /* MACs the state never had */
    uint64_t table_full;  /* sightings of a MAC not tracked because the table was full */
    uint64_t evicted;     /* state entries forgotten to make room */
    uint64_t names_seen[OT_NAME__COUNT];      /* name findings per source */
    uint64_t names_unattributed;              /* findings about an address no asset holds */
    uint64_t names_malformed[OT_NAME__COUNT]; /* name-protocol packets that did not parse */
    uint64_t events;                          /* asset events written */
    uint64_t changes_merged;    /* changes folded into a later event by the rate limit */
    uint64_t state_loaded;      /* entries read from the state file */
    uint64_t state_load_errors; /* corrupt lines (and an unreadable file) */
    uint64_t state_dropped;     /* valid lines past max_assets */
    uint64_t state_saves;
    uint64_t state_save_errors;
    uint64_t oui_entries; /* registry entries loaded */
};

struct ot_assets; /* opaque */

/*
 * Create the inventory: load the OUI registry (a missing or unreadable
 * registry is one warning, vendors are then omitted) and the state file (a
 * missing file is fine; a corrupt line is reported FILE:LINE: reason and
 * skipped; a file of another version is left alone and not overwritten).
 * `eve` may be NULL (no events).  `h` is copied; NULL = no hooks.
 * Returns 0, OT_EINVAL (bad conf) or OT_ENOMEM.
 */
int ot_assets_new(const struct ot_asset_conf *c, struct ot_eve *eve, const struct ot_asset_hooks *h,
                  struct ot_assets **out /* OUT */);

/*
 * One packet: the first packet of each direction of every flow, and every
 * UDP packet from port 5353, 137 or 5355 (the name protocols are read from
 * UDP packets whose *source* port is theirs: responses and announcements).
 * O(1) apart from the name parsers, which are bounded.
 */
void ot_assets_packet(struct ot_assets *as, const struct ot_packet *p);

/*
 * What the DHCP parser learned about a client: its hardware address
 * (chaddr), host name (option 12) and vendor class (option 60) as bytes
 * with their length (not NUL-terminated; NULL or 0 = absent; a trailing NUL
 * or dot is dropped), and the address it was given (yiaddr of a reply, when
 * not 0.0.0.0; NULL otherwise) -- the fields of struct ot_obs_dhcp.  With a
 * home address the MAC becomes an asset; without one, the name waits (32
 * clients at most) until the MAC is seen with a home address.
 */
void ot_assets_dhcp(struct ot_assets *as, const uint8_t mac[6], const char *hostname,
                    size_t hostname_len, const struct ot_addr *assigned_v4,
                    const char *vendor_class, size_t vendor_class_len, uint64_t ts_us);

/* Periodic work (call about once a second, packet time): due change events, saving. */
void ot_assets_tick(struct ot_assets *as, uint64_t now_us);

/* Final events and the last save. Returns 0 or the save's error (OT_EIO). */
int ot_assets_finish(struct ot_assets *as, uint64_t now_us);

void ot_assets_free(struct ot_assets *as);

const struct ot_asset_stats *ot_assets_stats(const struct ot_assets *as);

/*
 * The asset that most recently used an address (to enrich alerts with a
 * host name, say).  False when none does, or the holder is a gateway.
 * out's pointers stay valid until the next call into the module.
 */
bool ot_assets_find_ip(const struct ot_assets *as, const struct ot_addr *a, bool v6,
                       struct ot_asset_info *out /* OUT */);
/* The asset with this MAC, if tracked. */
bool ot_assets_find_mac(const struct ot_assets *as, const uint8_t mac[6],
                        struct ot_asset_info *out /* OUT */);

#endif
