/*
 * MAC vendor lookup from the IEEE registration authority's registry, as the
 * Debian package ieee-data ships it in /usr/share/ieee-data/.
 *
 * ot_oui_load(path) reads one registry file: CSV ("Registry,Assignment,
 * Organization Name,Organization Address"; fields may be quoted and span
 * lines), chosen when the name ends in .csv or the file starts with that
 * header, else the text listing ("XXXXXX (base 16) Name" lines).  The length
 * of an assignment says its size: 6 hex digits a 24-bit MA-L (OUI), 7 a
 * 28-bit MA-M, 9 a 36-bit MA-S or IAB.  When the file is named oui.csv
 * (oui.txt), its siblings mam, oui36 and iab of the same kind are loaded too
 * if they exist, so the smaller blocks that the IEEE carved out of its own
 * OUIs (where the MA-L entry says only "IEEE Registration Authority") get their
 * real owner: ot_oui_lookup() tries 36, then 28, then 24 bits.
 *
 * Storage: one sorted array of 64-bit keys per size (prefix << 28 | offset
 * of the name) and one pool of distinct names, so memory is about 8 bytes an
 * entry plus the distinct names (stats.bytes).  A record that does not parse
 * is counted (stats.bad_records), never fatal.  Names are cut at
 * OT_OUI_NAME_MAX bytes.  The registry is read once; lookups are binary
 * searches and need no locking.
 */
#ifndef OT_SENSOR_OUI_H
#define OT_SENSOR_OUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OT_OUI_NAME_MAX 127
#define OT_OUI_FILE_MAX (64u << 20) /* a registry file larger than this is refused */

struct ot_oui_stats {
    uint32_t ma_l, ma_m, ma_s; /* entries of 24, 28 and 36 bits */
    uint32_t files;            /* files read */
    uint32_t bad_records;      /* records that did not parse (skipped) */
    size_t bytes;              /* memory held */
};

struct ot_oui; /* opaque */

/*
 * Load a registry file (and its siblings, see above).  Returns 0, OT_ENOENT
 * (no such file), OT_EIO (unreadable or too large), OT_EINVAL (no record
 * parsed) or OT_ENOMEM.  The caller frees *out with ot_oui_free().
 */
int ot_oui_load(const char *path, struct ot_oui **out /* OUT */);

/* One registry file's content, in memory. */
struct ot_oui_src {
    const char *data;
    size_t len;
    bool csv; /* else the text listing */
};

/*
 * Build a registry from file contents already in memory (ot_oui_load() reads
 * the files and calls this; tests call it directly).  Same results as
 * ot_oui_load() except OT_ENOENT/OT_EIO.
 */
int ot_oui_load_buffers(const struct ot_oui_src *src, size_t n, struct ot_oui **out /* OUT */);

/*
 * The organisation that owns the MAC's block, or NULL (unknown, or a
 * multicast or locally administered address, which the registry does not
 * cover).  The string lives as long as the registry.
 */
const char *ot_oui_lookup(const struct ot_oui *o, const uint8_t mac[6]);

const struct ot_oui_stats *ot_oui_stats(const struct ot_oui *o);

void ot_oui_free(struct ot_oui *o);

#endif
