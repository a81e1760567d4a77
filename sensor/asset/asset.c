/*
 * Asset inventory: the table, its two indexes, name attribution and the
 * asset events.  See asset.h for the contract, asset-state.c for the file.
 *
 * Table: a dense array a[0..n) that doubles up to max_assets, with two
 * open-addressing (linear probing) indexes keyed with a random per-run seed
 * so that spoofed MACs or addresses cannot be chosen to collide: the MAC
 * index (entry = asset + 1) and the address index (entry = asset * 8 + slot
 * + 1, pointing at the asset that used the address most recently).  Both are
 * at most half full; deletion shifts entries back, so there are no
 * tombstones.  An asset leaves the table only when it is evicted, and its
 * slot is reused at once, so the array stays dense.
 */
#include "asset/asset.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "asset/asset-internal.h"
#include "asset/asset-names.h"
#include "asset/oui.h"
#include "core/log.h"
#include "core/util.h"
#include "otasuke/error.h"
#include "output/eve.h"

#define INITIAL_CAP     64
#define REFRESH_US      (24ull * 3600 * 1000000) /* an active asset's event at least daily */
#define GATEWAY_WIN_US  (3600ull * 1000000)      /* gateway detection window */
#define GATEWAY_NEW_MAX OT_ASSET_MAX_IPS         /* more new addresses in a window: gateway */

#define PORT_MDNS  5353
#define PORT_NBNS  137
#define PORT_LLMNR 5355

static const char *const name_src_names[OT_NAME__COUNT] = {
    [OT_NAME_NONE] = "",     [OT_NAME_NETBIOS] = "netbios", [OT_NAME_LLMNR] = "llmnr",
    [OT_NAME_MDNS] = "mdns", [OT_NAME_DHCP] = "dhcp",
};

const char *ot_asset_name_src_name(enum ot_asset_name_src s)
{
    return (unsigned)s < OT_NAME__COUNT ? name_src_names[s] : "";
}

void ot_asset_conf_defaults(struct ot_asset_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->enabled = true; /* asset events by default; new-device alerts need a state file */
    c->max_assets = 4096;
    c->save_interval_s = 300;
    c->change_interval_s = 60;
    c->learning_s = 86400;
    const char *oui = "/usr/share/ieee-data/oui.csv";
    if (access(oui, R_OK) != 0 && access("/usr/share/ieee-data/oui.txt", R_OK) == 0)
        oui = "/usr/share/ieee-data/oui.txt";
    ot_strlcpy(c->oui_path, oui, sizeof(c->oui_path));
}

bool ot_asset_mac_ok(const uint8_t mac[6])
{
    if (mac[0] & 1) /* group (multicast, broadcast) */
        return false;
    return mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5];
}

/* A unicast source address a host could own (not unspecified, broadcast or multicast). */
static bool addr_ok(const struct ot_addr *a, bool v6)
{
    if (v6)
        return (a->u.q[0] || a->u.q[1]) && a->u.b[0] != 0xff;
    uint8_t b0 = a->u.b[0];
    if ((b0 & 0xf0) == 0xe0)
        return false;
    uint32_t w = a->u.w[0];
    return w != 0 && w != 0xffffffffu;
}

static bool is_home(const struct ot_assets *as, const struct ot_addr *a, bool v6)
{
    if (!addr_ok(a, v6))
        return false;
    return !as->hooks.is_home || as->hooks.is_home(as->hooks.ctx, a, v6);
}

/* ASCII case-insensitive equality (host names compare so). */
static bool name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
        if (!x)
            return true;
    }
}

/* ---- indexes ---------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint32_t mac_hash(const struct ot_assets *as, const uint8_t *mac)
{
    uint64_t k = 0;
    for (int i = 0; i < 6; i++)
        k = k << 8 | mac[i];
    return (uint32_t)mix(k ^ as->seed);
}

static uint32_t ip_hash(const struct ot_assets *as, const struct ot_addr *a, bool v6)
{
    return (uint32_t)mix(a->u.q[0] ^ mix(a->u.q[1] ^ as->seed ^ (uint64_t)v6));
}

static const struct asset_ip *ref_ip(const struct ot_assets *as, uint32_t ref)
{
    return &as->a[ref / OT_ASSET_MAX_IPS].ips[ref % OT_ASSET_MAX_IPS];
}

static uint32_t mh_home(const struct ot_assets *as, uint32_t ent)
{
    return mac_hash(as, as->a[ent - 1].mac);
}

static uint32_t ih_home(const struct ot_assets *as, uint32_t ent)
{
    const struct asset_ip *ip = ref_ip(as, ent - 1);
    return ip_hash(as, &ip->a, ip->v6);
}

/* Remove t[pos] from a linear-probing table, shifting later entries back. */
static void lp_delete(const struct ot_assets *as, uint32_t *t, uint32_t mask, uint32_t pos,
                      uint32_t (*home)(const struct ot_assets *, uint32_t))
{
    uint32_t i = pos, k = pos;
    t[i] = 0;
    for (;;) {
        k = (k + 1) & mask;
        if (!t[k])
            return;
        uint32_t h = home(as, t[k]) & mask;
        /* The entry at k may stay if its home lies cyclically in (i, k]. */
        bool stays = i <= k ? (i < h && h <= k) : (i < h || h <= k);
        if (stays)
            continue;
        t[i] = t[k];
        t[k] = 0;
        i = k;
    }
}

/* Index of the asset with this MAC, or -1; *pos gets its slot or the free one. */
static int64_t mac_find(const struct ot_assets *as, const uint8_t *mac, uint32_t *pos)
{
    uint32_t j = mac_hash(as, mac) & as->mh_mask;
    while (as->mh[j]) {
        if (memcmp(as->a[as->mh[j] - 1].mac, mac, 6) == 0) {
            *pos = j;
            return as->mh[j] - 1;
        }
        j = (j + 1) & as->mh_mask;
    }
    *pos = j;
    return -1;
}

static void mac_unindex(struct ot_assets *as, uint32_t idx)
{
    uint32_t pos;
    if (mac_find(as, as->a[idx].mac, &pos) == (int64_t)idx)
        lp_delete(as, as->mh, as->mh_mask, pos, mh_home);
}

/* The address index entry (ref + 1) for an address, or 0; *pos as mac_find. */
static uint32_t ip_find(const struct ot_assets *as, const struct ot_addr *a, bool v6, uint32_t *pos)
{
    uint32_t j = ip_hash(as, a, v6) & as->ih_mask;
    while (as->ih[j]) {
        const struct asset_ip *ip = ref_ip(as, as->ih[j] - 1);
        if (ip->v6 == v6 && ot_addr_eq(&ip->a, a)) {
            *pos = j;
            return as->ih[j];
        }
        j = (j + 1) & as->ih_mask;
    }
    *pos = j;
    return 0;
}

/* Point the address index at (idx, slot): the most recent user of the address. */
static void ip_index(struct ot_assets *as, uint32_t idx, uint32_t slot)
{
    const struct asset_ip *ip = &as->a[idx].ips[slot];
    uint32_t pos, ent = idx * OT_ASSET_MAX_IPS + slot + 1;
    uint32_t cur = ip_find(as, &ip->a, ip->v6, &pos);
    if (cur != ent)
        as->ih[pos] = ent;
}

/* Drop the index entry of (idx, slot) if it points there. */
static void ip_unindex(struct ot_assets *as, uint32_t idx, uint32_t slot)
{
    const struct asset_ip *ip = &as->a[idx].ips[slot];
    uint32_t pos, ent = idx * OT_ASSET_MAX_IPS + slot + 1;
    if (ip_find(as, &ip->a, ip->v6, &pos) == ent)
        lp_delete(as, as->ih, as->ih_mask, pos, ih_home);
}

static uint32_t pow2_at_least(uint64_t v)
{
    uint32_t p = 16;
    while (p < v)
        p <<= 1;
    return p;
}

/*
 * (Re)build both indexes for capacity `cap`.  Where several assets hold an
 * address, the one that used it last wins.
 */
static int rebuild_indexes(struct ot_assets *as, uint32_t cap)
{
    uint32_t ms = pow2_at_least((uint64_t)cap * 2);
    uint32_t is = pow2_at_least((uint64_t)cap * OT_ASSET_MAX_IPS * 2);
    uint32_t *mh = calloc(ms, sizeof(*mh)), *ih = calloc(is, sizeof(*ih));
    if (!mh || !ih) {
        free(mh);
        free(ih);
        return OT_ENOMEM;
    }
    free(as->mh);
    free(as->ih);
    as->mh = mh;
    as->mh_mask = ms - 1;
    as->ih = ih;
    as->ih_mask = is - 1;
    for (uint32_t i = 0; i < as->n; i++) {
        uint32_t pos;
        (void)mac_find(as, as->a[i].mac, &pos);
        as->mh[pos] = i + 1;
        for (uint32_t s = 0; s < as->a[i].n_ips; s++) {
            const struct asset_ip *ip = &as->a[i].ips[s];
            uint32_t cur = ip_find(as, &ip->a, ip->v6, &pos);
            if (!cur || ref_ip(as, cur - 1)->last_us < ip->last_us)
                as->ih[pos] = i * OT_ASSET_MAX_IPS + s + 1;
        }
    }
    return OT_OK;
}

/* ---- table ------------------------------------------------------------ */

/* Has the asset an event to write (its first one, or changes)? */
static bool is_pending(const struct asset *x)
{
    return (x->seen_run && !x->announced) || x->dirty;
}

static int grow(struct ot_assets *as)
{
    uint32_t ncap = as->cap * 2;
    if (ncap > as->conf.max_assets || ncap < as->cap)
        ncap = as->conf.max_assets;
    struct asset *na = realloc(as->a, (size_t)ncap * sizeof(*na));
    if (!na)
        return OT_ENOMEM;
    as->a = na;
    int rc = rebuild_indexes(as, ncap);
    if (rc)
        return rc;
    as->cap = ncap;
    return OT_OK;
}

/* Forget the state entry unseen for longest, to make room. Returns its slot or -1. */
static int64_t evict(struct ot_assets *as)
{
    int64_t best = -1;
    for (uint32_t i = 0; i < as->n; i++) {
        const struct asset *x = &as->a[i];
        if (!x->seen_run && (best < 0 || x->last_us < as->a[best].last_us))
            best = i;
    }
    if (best < 0)
        return -1;
    struct asset *x = &as->a[best];
    for (uint32_t s = 0; s < x->n_ips; s++)
        ip_unindex(as, (uint32_t)best, s);
    mac_unindex(as, (uint32_t)best);
    if (is_pending(x))
        as->pending_n--;
    as->evictable--;
    as->st.evicted++;
    return best;
}

/*
 * A new, empty entry for `mac` (not yet seen in this run).  Returns its
 * index, OT_ELIMIT when the table is full of active assets, or OT_ENOMEM.
 */
static int64_t create(struct ot_assets *as, const uint8_t *mac, uint64_t ts)
{
    int64_t idx;
    if (as->n < as->cap) {
        idx = as->n++;
    } else if (as->cap < as->conf.max_assets) {
        if (grow(as) != OT_OK)
            return OT_ENOMEM;
        idx = as->n++;
    } else {
        idx = as->evictable ? evict(as) : -1;
        if (idx < 0)
            return OT_ELIMIT;
    }
    as->st.tracked = as->n;
    struct asset *x = &as->a[idx];
    memset(x, 0, sizeof(*x));
    memcpy(x->mac, mac, 6);
    x->first_us = x->last_us = ts;
    x->vendor = ot_oui_lookup(as->oui, mac);
    uint32_t pos;
    (void)mac_find(as, mac, &pos);
    as->mh[pos] = (uint32_t)idx + 1;
    as->evictable++;
    return idx;
}

/* The asset for a MAC, created if new (then taking any pending DHCP name). -1 if full. */
static int64_t get_asset(struct ot_assets *as, const uint8_t *mac, uint64_t ts)
{
    uint32_t pos;
    int64_t idx = mac_find(as, mac, &pos);
    if (idx >= 0)
        return idx;
    idx = create(as, mac, ts);
    if (idx < 0) {
        as->st.table_full++;
        return -1;
    }
    struct asset *x = &as->a[idx];
    for (uint32_t i = 0; i < PENDING_MAX; i++) {
        struct asset_pending *p = &as->pend[i];
        if (!p->used || memcmp(p->mac, mac, 6) != 0)
            continue;
        if (p->name[0]) {
            memcpy(x->name, p->name, sizeof(x->name));
            x->name_src = OT_NAME_DHCP;
        }
        memcpy(x->vclass, p->vclass, sizeof(x->vclass));
        p->used = false;
        break;
    }
    return idx;
}

int ot_asset_restore(struct ot_assets *as, const struct asset_rec *r)
{
    uint32_t pos;
    if (mac_find(as, r->mac, &pos) >= 0)
        return OT_EEXIST;
    if (as->n == as->conf.max_assets)
        return OT_ELIMIT; /* the file is sorted most recent first: keep the head */
    int64_t idx = create(as, r->mac, r->first_us);
    if (idx < 0)
        return (int)idx;
    struct asset *x = &as->a[idx];
    x->from_state = true;
    x->last_us = x->evented_last_us = r->last_us;
    x->name_src = r->name_src;
    memcpy(x->name, r->name, sizeof(x->name));
    x->n_ips = r->n_ips;
    memcpy(x->ips, r->ips, sizeof(x->ips));
    for (uint32_t s = 0; s < x->n_ips; s++) {
        uint32_t cur = ip_find(as, &x->ips[s].a, x->ips[s].v6, &pos);
        if (!cur || ref_ip(as, cur - 1)->last_us < x->ips[s].last_us)
            as->ih[pos] = (uint32_t)idx * OT_ASSET_MAX_IPS + s + 1;
    }
    return OT_OK;
}

/*
 * Record that the asset used an address.  A new address replaces the least
 * recently used one when the list is full.  Returns the CH_* bits it changed.
 */
static unsigned add_ip(struct ot_assets *as, uint32_t idx, const struct ot_addr *addr, bool v6,
                       uint64_t ts)
{
    struct asset *x = &as->a[idx];
    uint32_t slot = OT_ASSET_MAX_IPS;
    for (uint32_t s = 0; s < x->n_ips; s++) {
        if (x->ips[s].v6 == v6 && ot_addr_eq(&x->ips[s].a, addr)) {
            slot = s;
            break;
        }
    }
    unsigned ch = 0;
    if (slot < OT_ASSET_MAX_IPS) {
        if (ts > x->ips[slot].last_us)
            x->ips[slot].last_us = ts;
    } else {
        if (x->n_ips < OT_ASSET_MAX_IPS) {
            slot = x->n_ips++;
        } else {
            slot = 0;
            for (uint32_t s = 1; s < OT_ASSET_MAX_IPS; s++)
                if (x->ips[s].last_us < x->ips[slot].last_us)
                    slot = s;
            ip_unindex(as, idx, slot);
        }
        x->ips[slot].a = *addr;
        x->ips[slot].v6 = v6;
        x->ips[slot].last_us = ts;
        if (ts >= x->win_start_us + GATEWAY_WIN_US || ts < x->win_start_us) {
            x->win_start_us = ts;
            x->win_new = 0;
        }
        if (x->win_new < 255)
            x->win_new++;
        if (!x->gateway && x->win_new > GATEWAY_NEW_MAX) {
            x->gateway = true;
            ch |= CH_GATEWAY;
        }
        if (!x->gateway)
            ch |= CH_IPS;
    }
    ip_index(as, idx, slot);
    return ch;
}

/* Learn a host name; a less trusted source never replaces a more trusted one. */
static unsigned set_name(struct asset *x, const char *name, enum ot_asset_name_src src)
{
    if (x->name_src > src)
        return 0;
    if (x->name_src && name_eq(x->name, name)) {
        if (src > x->name_src) { /* same name, better source: no event */
            ot_strlcpy(x->name, name, sizeof(x->name));
            x->name_src = (uint8_t)src;
        }
        return 0;
    }
    ot_strlcpy(x->name, name, sizeof(x->name));
    x->name_src = (uint8_t)src;
    return CH_NAME;
}

/* ---- events ----------------------------------------------------------- */

/* Slots of the asset's addresses, most recently used first. */
static uint32_t ip_order(const struct asset *x, uint8_t *ord)
{
    uint32_t n = x->n_ips;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i;
        while (j > 0 && x->ips[ord[j - 1]].last_us < x->ips[i].last_us) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = (uint8_t)i;
    }
    return n;
}

static void fill_info(const struct asset *x, struct ot_asset_info *o)
{
    memset(o, 0, sizeof(*o));
    memcpy(o->mac, x->mac, 6);
    uint8_t ord[OT_ASSET_MAX_IPS];
    o->n_ips = (uint8_t)ip_order(x, ord);
    for (uint32_t i = 0; i < o->n_ips; i++) {
        o->ips[i].addr = x->ips[ord[i]].a;
        o->ips[i].v6 = x->ips[ord[i]].v6;
    }
    o->hostname = x->name;
    o->hostname_source = (enum ot_asset_name_src)x->name_src;
    o->vendor = x->vendor;
    o->dhcp_vendor_class = x->vclass;
    o->first_seen_us = x->first_us;
    o->last_seen_us = x->last_us;
    o->is_new = !x->from_state;
    o->gateway = x->gateway;
}

static void put_time(struct ot_assets *as, struct ot_jw *w, const char *key, uint64_t us)
{
    char ts[OT_TS_LEN + 1];
    ot_jw_strn(w, key, ts, ot_timefmt_us(&as->tf, us, ts));
}

/* Write the asset's event; it then has nothing pending. */
static void emit(struct ot_assets *as, struct asset *x, uint64_t ts, const char *reason)
{
    if (as->eve) {
        struct ot_jw *w = ot_eve_begin(as->eve, "asset", ts, NULL, 0);
        ot_jw_obj_open(w, "asset");
        ot_jw_hex(w, "mac", x->mac, 6, ':');
        ot_jw_str(w, "reason", reason);
        ot_jw_arr_open(w, "ips");
        uint8_t ord[OT_ASSET_MAX_IPS];
        uint32_t n = ip_order(x, ord);
        for (uint32_t i = 0; i < n; i++) {
            char t[48];
            size_t l = ot_addr_fmt(&x->ips[ord[i]].a, x->ips[ord[i]].v6, t);
            ot_jw_strn(w, NULL, t, l);
        }
        ot_jw_arr_close(w);
        if (x->name_src) {
            ot_jw_str(w, "hostname", x->name);
            ot_jw_str(w, "hostname_source", ot_asset_name_src_name(x->name_src));
        }
        if (x->vendor)
            ot_jw_str(w, "vendor", x->vendor);
        if (x->vclass[0])
            ot_jw_str(w, "dhcp_vendor_class", x->vclass);
        put_time(as, w, "first_seen", x->first_us);
        put_time(as, w, "last_seen", x->last_us);
        ot_jw_bool(w, "new", !x->from_state);
        if (x->gateway)
            ot_jw_bool(w, "gateway", true);
        if (x->dirty) {
            ot_jw_arr_open(w, "changes");
            if (x->dirty & CH_IPS)
                ot_jw_str(w, NULL, "ips");
            if (x->dirty & CH_NAME)
                ot_jw_str(w, NULL, "hostname");
            if (x->dirty & CH_GATEWAY)
                ot_jw_str(w, NULL, "gateway");
            ot_jw_arr_close(w);
        }
        ot_jw_obj_close(w);
        (void)ot_eve_end(as->eve);
        as->st.events++;
    }
    if (is_pending(x))
        as->pending_n--;
    x->dirty = 0;
    x->announced = true;
    x->last_event_us = ts;
    x->evented_last_us = x->last_us;
}

/* When the asset's pending event may go out. */
static uint64_t due_of(const struct ot_assets *as, const struct asset *x)
{
    if (!x->announced)
        return x->run_first_us + OT_ASSET_FIRST_DELAY_S * 1000000ull;
    return x->last_event_us + (uint64_t)as->conf.change_interval_s * 1000000u;
}

static void schedule(struct ot_assets *as, uint64_t due)
{
    if (!as->next_due_us || due < as->next_due_us)
        as->next_due_us = due;
}

/* The first event of an asset in this run (and new_device for a MAC the state never had). */
static void announce(struct ot_assets *as, struct asset *x, uint64_t ts)
{
    if (!x->from_state) {
        as->st.new_devices++;
        if (as->hooks.new_device) {
            struct ot_asset_info info;
            fill_info(x, &info);
            as->hooks.new_device(as->hooks.ctx, &info, ts);
        }
    }
    x->dirty = 0; /* the first event says it all */
    emit(as, x, ts, "seen");
}

/*
 * After a packet (or DHCP message) touched asset idx with changes `ch`.  The
 * first sighting in this run starts the asset's OT_ASSET_FIRST_DELAY_S
 * grace, after which the "seen" event goes out (so that it usually carries
 * the name the host announces right after it appears).  Later, a change goes
 * out at once unless the asset's last event is younger than
 * change_interval_s; then it waits, merged with later ones, for a later
 * packet or ot_assets_tick().  An asset with nothing new for a day gets a
 * "refresh" event.
 */
static void settle(struct ot_assets *as, uint32_t idx, uint64_t ts, unsigned ch)
{
    struct asset *x = &as->a[idx];
    bool was = is_pending(x);
    if (!x->seen_run) {
        x->seen_run = true;
        x->run_first_us = ts;
        as->evictable--;
        as->st.active++;
    } else if (x->announced && ch) {
        if (ts < due_of(as, x))
            as->st.changes_merged++; /* waits for the rate limit */
        x->dirty |= (uint8_t)ch;
    }
    if (!was && is_pending(x)) {
        as->pending_n++;
        if (idx < as->pending_lo)
            as->pending_lo = idx;
    }
    uint64_t due = due_of(as, x);
    if (!x->announced) {
        if (ts >= due)
            announce(as, x, ts);
        else
            schedule(as, due);
    } else if (x->dirty) {
        if (ts >= due)
            emit(as, x, ts, "changed");
        else
            schedule(as, due);
    } else if (ts >= x->last_event_us + REFRESH_US) {
        emit(as, x, ts, "refresh");
    }
}

/* ---- packets ---------------------------------------------------------- */

static void touch(struct asset *x, uint64_t ts)
{
    if (ts > x->last_us)
        x->last_us = ts;
}

/*
 * Which asset a name finding is about: the sender's own (its source address,
 * or a record for the same name and that address in the same datagram, or
 * no address at all), else whoever used the address last, if that asset
 * is active in this run.  -1 when none (counted).  `extra_ip` is set when
 * the finding gives the sender an address it has not used yet.
 */
static int64_t attribute(struct ot_assets *as, const struct ot_packet *p, bool v6, int64_t self,
                         const struct ot_name_find *f, const struct ot_name_find *all, int n,
                         bool *extra_ip)
{
    *extra_ip = false;
    if (self >= 0) {
        if (f->self || (f->v6 == v6 && ot_addr_eq(&f->addr, &p->src)))
            return self;
        for (int i = 0; i < n; i++) {
            if (!all[i].self && all[i].v6 == v6 && ot_addr_eq(&all[i].addr, &p->src) &&
                strcmp(all[i].name, f->name) == 0) {
                *extra_ip = true;
                return self;
            }
        }
    }
    if (f->self)
        return -1;
    uint32_t pos, ent = ip_find(as, &f->addr, f->v6, &pos);
    if (!ent)
        return -1;
    uint32_t idx = (ent - 1) / OT_ASSET_MAX_IPS;
    return as->a[idx].seen_run ? (int64_t)idx : -1;
}

/*
 * Names from a UDP datagram of a name protocol (by its source port).
 * Changes to the sender are returned; other assets are settled here.
 */
static unsigned names(struct ot_assets *as, const struct ot_packet *p, bool v6, int64_t self)
{
    struct ot_name_find f[OT_NAMES_MAX];
    enum ot_asset_name_src src;
    int n;
    switch (p->sp) {
    case PORT_MDNS:
        src = OT_NAME_MDNS;
        n = ot_names_mdns(p->payload, p->payload_len, f, OT_NAMES_MAX);
        break;
    case PORT_LLMNR:
        src = OT_NAME_LLMNR;
        n = ot_names_llmnr(p->payload, p->payload_len, f, OT_NAMES_MAX);
        break;
    case PORT_NBNS:
        src = OT_NAME_NETBIOS;
        n = ot_names_nbns(p->payload, p->payload_len, f, OT_NAMES_MAX);
        break;
    default:
        return 0;
    }
    if (n < 0) {
        as->st.names_malformed[src]++;
        return 0;
    }
    unsigned self_ch = 0;
    for (int i = 0; i < n; i++) {
        as->st.names_seen[src]++;
        bool extra;
        int64_t t = attribute(as, p, v6, self, &f[i], f, n, &extra);
        if (t < 0 || as->a[t].gateway) {
            as->st.names_unattributed++;
            continue;
        }
        unsigned ch = 0;
        if (extra && is_home(as, &f[i].addr, f[i].v6))
            ch |= add_ip(as, (uint32_t)t, &f[i].addr, f[i].v6, p->ts_us);
        ch |= set_name(&as->a[t], f[i].name, src);
        if (t == self)
            self_ch |= ch;
        else if (ch)
            settle(as, (uint32_t)t, p->ts_us, ch);
    }
    return self_ch;
}

void ot_assets_packet(struct ot_assets *as, const struct ot_packet *p)
{
    bool v6 = p->flags & OT_PKT_IPV6;
    if (!as || !(p->flags & (OT_PKT_IPV4 | OT_PKT_IPV6)))
        return;
    int64_t idx = -1;
    unsigned ch = 0;
    if ((p->flags & OT_PKT_HAS_MAC) && !(p->flags & OT_PKT_TUNNELLED) &&
        ot_asset_mac_ok(p->eth_src) && is_home(as, &p->src, v6)) {
        idx = get_asset(as, p->eth_src, p->ts_us);
        if (idx >= 0) {
            touch(&as->a[idx], p->ts_us);
            ch |= add_ip(as, (uint32_t)idx, &p->src, v6, p->ts_us);
        }
    }
    if ((p->flags & OT_PKT_UDP) && p->payload && p->payload_len &&
        (p->sp == PORT_MDNS || p->sp == PORT_NBNS || p->sp == PORT_LLMNR))
        ch |= names(as, p, v6, idx);
    if (idx >= 0)
        settle(as, (uint32_t)idx, p->ts_us, ch);
}

/* Copy a DHCP vendor class, bounded; bytes that are not printable become '?'. */
static void copy_vclass(char *dst, const char *src, size_t n)
{
    while (n > 0 && src[n - 1] == 0)
        n--;
    if (n > OT_ASSET_VCLASS_MAX)
        n = OT_ASSET_VCLASS_MAX;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)src[i];
        dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    dst[n] = 0;
}

/* A DHCP host name we can keep in `out` (trailing NULs and dots dropped), or false. */
static bool dhcp_name(const char *h, size_t n, char *out)
{
    while (n > 0 && (h[n - 1] == 0 || h[n - 1] == '.'))
        n--;
    if (!ot_asset_name_ok(h, n))
        return false;
    memcpy(out, h, n);
    out[n] = 0;
    return true;
}

/* Keep a DHCP client's name until its MAC shows up with a home address. */
static void pend(struct ot_assets *as, const uint8_t mac[6], const char *name, const char *vclass)
{
    struct asset_pending *p = NULL;
    for (uint32_t i = 0; i < PENDING_MAX && !p; i++)
        if (as->pend[i].used && memcmp(as->pend[i].mac, mac, 6) == 0)
            p = &as->pend[i];
    if (!p) {
        p = &as->pend[as->pend_next];
        as->pend_next = (as->pend_next + 1) % PENDING_MAX;
        memset(p, 0, sizeof(*p));
        memcpy(p->mac, mac, 6);
        p->used = true;
    }
    if (name[0])
        memcpy(p->name, name, sizeof(p->name));
    if (vclass[0])
        memcpy(p->vclass, vclass, sizeof(p->vclass));
}

void ot_assets_dhcp(struct ot_assets *as, const uint8_t mac[6], const char *hostname,
                    size_t hostname_len, const struct ot_addr *assigned_v4,
                    const char *vendor_class, size_t vendor_class_len, uint64_t ts_us)
{
    if (!as || !mac || !ot_asset_mac_ok(mac))
        return;
    char name[OT_ASSET_NAME_MAX + 1] = "", vc[OT_ASSET_VCLASS_MAX + 1] = "";
    bool has_name = hostname && dhcp_name(hostname, hostname_len, name);
    if (has_name)
        as->st.names_seen[OT_NAME_DHCP]++;
    if (vendor_class)
        copy_vclass(vc, vendor_class, vendor_class_len);
    uint32_t pos;
    int64_t idx = mac_find(as, mac, &pos);
    bool home = assigned_v4 && is_home(as, assigned_v4, false);
    if (idx < 0 && home)
        idx = get_asset(as, mac, ts_us);
    if (idx < 0) {
        if (has_name || vc[0])
            pend(as, mac, name, vc);
        return;
    }
    struct asset *x = &as->a[idx];
    unsigned ch = 0;
    touch(x, ts_us);
    if (home)
        ch |= add_ip(as, (uint32_t)idx, assigned_v4, false, ts_us);
    if (has_name)
        ch |= set_name(x, name, OT_NAME_DHCP);
    if (vc[0])
        memcpy(x->vclass, vc, sizeof(x->vclass));
    settle(as, (uint32_t)idx, ts_us, ch);
}

/* ---- life cycle ------------------------------------------------------- */

/* Write the pending events whose time has come. */
/*
 * Write the pending events that are due, in table order, and schedule the
 * rest.  The scan starts at pending_lo and ends at the last pending entry:
 * once a second in packet time, it must not walk a table of thousands of
 * assets when a few recent ones wait.
 */
static void due_events(struct ot_assets *as, uint64_t now)
{
    as->next_due_us = 0;
    uint32_t left = as->pending_n, lo = as->n;
    for (uint32_t i = as->pending_lo; i < as->n && left; i++) {
        struct asset *x = &as->a[i];
        if (!is_pending(x))
            continue;
        left--;
        uint64_t due = due_of(as, x);
        if (now < due) {
            schedule(as, due);
            if (lo == as->n)
                lo = i;
        } else if (!x->announced) {
            announce(as, x, now);
        } else {
            emit(as, x, now, "changed");
        }
    }
    as->pending_lo = lo;
}

void ot_assets_tick(struct ot_assets *as, uint64_t now_us)
{
    if (!as)
        return;
    if (as->pending_n && now_us >= as->next_due_us)
        due_events(as, now_us);
    if (!as->conf.state_path[0] || !as->conf.save_interval_s)
        return;
    uint64_t iv = (uint64_t)as->conf.save_interval_s * 1000000u;
    if (!as->next_save_us) {
        as->next_save_us = now_us + iv;
    } else if (now_us >= as->next_save_us) {
        (void)ot_asset_state_save(as);
        as->next_save_us = now_us + iv;
    }
}

int ot_assets_finish(struct ot_assets *as, uint64_t now_us)
{
    if (!as)
        return OT_OK;
    for (uint32_t i = 0; i < as->n; i++) {
        struct asset *x = &as->a[i];
        if (!x->seen_run)
            continue;
        if (!x->announced)
            announce(as, x, now_us);
        else if (x->dirty || x->last_us > x->evented_last_us)
            emit(as, x, now_us, "final");
    }
    as->next_due_us = 0;
    if (!as->conf.state_path[0])
        return OT_OK;
    return ot_asset_state_save(as);
}

int ot_assets_new(const struct ot_asset_conf *c, struct ot_eve *eve, const struct ot_asset_hooks *h,
                  struct ot_assets **out)
{
    *out = NULL;
    if (c->max_assets == 0 || c->max_assets > OT_ASSET_MAX_ASSETS) {
        ot_err("asset max-assets must be 1..%u", OT_ASSET_MAX_ASSETS);
        return OT_EINVAL;
    }
    struct ot_assets *as = calloc(1, sizeof(*as));
    if (!as)
        return OT_ENOMEM;
    as->conf = *c;
    as->conf.state_path[sizeof(as->conf.state_path) - 1] = 0;
    as->conf.oui_path[sizeof(as->conf.oui_path) - 1] = 0;
    if (h)
        as->hooks = *h;
    as->eve = eve;
    ot_timefmt_init(&as->tf);
    if (getrandom(&as->seed, sizeof(as->seed), GRND_NONBLOCK) != (ssize_t)sizeof(as->seed))
        as->seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)as;
    as->cap = OT_MIN(INITIAL_CAP, as->conf.max_assets);
    as->a = calloc(as->cap, sizeof(*as->a));
    if (!as->a || rebuild_indexes(as, as->cap) != OT_OK) {
        ot_assets_free(as);
        return OT_ENOMEM;
    }
    if (as->conf.oui_path[0]) {
        int rc = ot_oui_load(as->conf.oui_path, &as->oui);
        if (rc == OT_ENOMEM) {
            ot_assets_free(as);
            return rc;
        }
        if (rc)
            ot_warn("%s: %s: asset events will carry no vendor", as->conf.oui_path,
                    ot_strerror(rc));
        else
            as->st.oui_entries = ot_oui_stats(as->oui)->ma_l + ot_oui_stats(as->oui)->ma_m +
                                 ot_oui_stats(as->oui)->ma_s;
    }
    if (as->conf.state_path[0])
        ot_asset_state_load(as);
    *out = as;
    return OT_OK;
}

void ot_assets_free(struct ot_assets *as)
{
    if (!as)
        return;
    ot_oui_free(as->oui);
    free(as->a);
    free(as->mh);
    free(as->ih);
    free(as->fmt_buf);
    free(as);
}

const struct ot_asset_stats *ot_assets_stats(const struct ot_assets *as)
{
    return &as->st;
}

bool ot_assets_find_ip(const struct ot_assets *as, const struct ot_addr *a, bool v6,
                       struct ot_asset_info *out)
{
    uint32_t pos, ent = ip_find(as, a, v6, &pos);
    if (!ent)
        return false;
    const struct asset *x = &as->a[(ent - 1) / OT_ASSET_MAX_IPS];
    if (x->gateway)
        return false;
    fill_info(x, out);
    return true;
}

bool ot_assets_find_mac(const struct ot_assets *as, const uint8_t mac[6], struct ot_asset_info *out)
{
    uint32_t pos;
    int64_t idx = mac_find(as, mac, &pos);
    if (idx < 0)
        return false;
    fill_info(&as->a[idx], out);
    return true;
}
