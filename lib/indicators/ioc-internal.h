/*
 * Internals of the indicator library, shared by its .c files only (the
 * public API is indicators.h and allowlist.h).
 *
 * A set is three flat allocations:
 *   arena  every record, key and string, addressed by 32-bit offsets
 *          (offset 0 is the empty string), so growing it by realloc moves no
 *          pointer anybody holds while building.  Each indicator is one
 *          entry: its 20-byte record followed by its key, so checking a key
 *          and reading its metadata touch the same cache line;
 *   tab    open-addressing hash table (linear probing, load <= 70%) over
 *          (kind, key) -> entry offset;
 *   itab   the same over interned strings (category, source, file, and the
 *          12-byte "origin" triples that records point to).
 * Once finalized, the big arrays are moved to transparent huge pages where
 * the system offers them (fewer TLB misses on random lookups).
 * Keys by kind: IP4/IP6 [prefix length][masked address]; DOMAIN the
 * lower-case name; URL "host[:port]/path[?query]"; JA3/SHA1/SHA256 lower-case
 * hex without colons; JA4 the lower-case string.
 */
#ifndef OT_INDICATORS_IOC_INTERNAL_H
#define OT_INDICATORS_IOC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "indicators/indicators.h"

enum ot_ioc_kind {
    OT_IOC_K_NONE = 0,
    OT_IOC_K_IP4,
    OT_IOC_K_IP6,
    OT_IOC_K_DOMAIN,
    OT_IOC_K_URL,
    OT_IOC_K_JA3,
    OT_IOC_K_JA4,
    OT_IOC_K_SHA1,
    OT_IOC_K_SHA256,
};

#define OT_IOC_WHY_LEN    192  /* reason buffers */
#define OT_IOC_DOMAIN_MAX 253  /* bytes of a name without the trailing dot */
#define OT_IOC_URL_MAX    8192 /* bytes of a normalised URL key */
#define OT_IOC_JA4_MAX    128

#define OT_IOC_V4_FILTER_BITS 20 /* see struct ot_ioc_set */

/* One indicator; its key follows it in the arena (ot_ioc_rec_key). */
struct ot_ioc_rec {
    uint32_t value;  /* arena offset of the value as listed, NUL-terminated */
    uint32_t origin; /* arena offset of uint32 [category, source, file] offsets */
    uint32_t line;
    uint16_t key_len;
    uint16_t port;
    uint8_t type; /* enum ot_ioc_type */
    uint8_t kind; /* enum ot_ioc_kind */
    uint8_t plen;
    uint8_t confidence;
};

static inline const char *ot_ioc_rec_key(const struct ot_ioc_rec *r)
{
    return (const char *)(r + 1);
}

struct ot_ioc_slot {
    uint32_t hash;
    uint32_t off; /* arena offset: tab of an entry, itab of a string; 0: empty */
};

struct ot_ioc_set {
    uint32_t n, max; /* indicators held, allowed */
    char *arena;
    size_t alen, acap;
    struct ot_ioc_slot *tab;
    uint32_t tmask, tused;
    struct ot_ioc_slot *itab;
    uint32_t imask, iused;
    uint64_t seed;
    uint8_t lens4[33], nlens4; /* IPv4 prefix lengths present, longest first */
    /*
     * IPv4 filters, so that a lookup probes the table only for the prefix
     * lengths that can match (ioc-ip.c): for each length up to
     * OT_IOC_V4_FILTER_BITS present, a bitmap of the networks held (exact);
     * for the longer lengths together, a bitmap of their first
     * OT_IOC_V4_FILTER_BITS bits.  At most 384 KiB; NULL until needed.
     */
    uint64_t *v4net[OT_IOC_V4_FILTER_BITS + 1];
    uint64_t *v4long;
    uint8_t lens6[129], nlens6;
    uint32_t by_type[OT_IOC_TYPE_COUNT];
    uint32_t last_origin; /* 0: none yet */
    bool frozen;
};

/* What ot_ioc_insert_ needs: the key, the value as listed, and the metadata. */
struct ot_ioc_new {
    enum ot_ioc_kind kind;
    enum ot_ioc_type type;
    const void *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    uint16_t port;
    uint8_t plen;
    const struct ot_ioc_meta *meta;
};

/* ioc-set.c */
uint32_t ot_ioc_hash_(uint64_t seed, unsigned kind, const void *key, size_t len);
int ot_ioc_insert_(struct ot_ioc_set *set, const struct ot_ioc_new *n);
const struct ot_ioc_rec *ot_ioc_find_(const struct ot_ioc_set *set, enum ot_ioc_kind kind,
                                      const void *key, size_t len);
uint32_t ot_ioc_hash_prefetch_(const struct ot_ioc_set *set, enum ot_ioc_kind kind, const void *key,
                               size_t len);
const struct ot_ioc_rec *ot_ioc_find_hashed_(const struct ot_ioc_set *set, enum ot_ioc_kind kind,
                                             const void *key, size_t len, uint32_t hash);
void ot_ioc_hit_fill_(const struct ot_ioc_set *set, const struct ot_ioc_rec *r,
                      struct ot_ioc_hit *hit);
void ot_ioc_ip_len_present_(struct ot_ioc_set *set, bool v6, uint8_t plen);

/* ioc-detect.c */
/* Writes "'value'" with unprintable bytes as \xNN and a long value cut with
 * "...", for reasons; always NUL-terminated (cap >= 8). */
void ot_ioc_quote_(char *dst, size_t cap, const char *s, size_t n);
/* The same, returning dst: for a reason built only when there is an error. */
const char *ot_ioc_quoted_(char *dst, size_t cap, const char *s, size_t n);
/* The type a value's shape says, or OT_IOC_AUTO with the reason in `why`. */
enum ot_ioc_type ot_ioc_detect_(const char *s, size_t n, char *why, size_t why_cap);

/* ioc-ip.c */
struct ot_ioc_ipspec {
    uint8_t addr[16];
    bool v6;
    bool net;     /* written with /len */
    uint8_t plen; /* 32 / 128 for one address */
    uint16_t port;
};
int ot_ioc_parse_ip4_(const char *s, size_t n, uint8_t out[4]);
int ot_ioc_parse_ip6_(const char *s, size_t n, uint8_t out[16]);
/* "a.b.c.d", "a.b.c.d/len", "v6", "v6/len", and with allow_port
 * "a.b.c.d:port", "[v6]:port", "[v6]".  Host bits of a network are cleared. */
int ot_ioc_parse_ipspec_(const char *s, size_t n, bool allow_port, struct ot_ioc_ipspec *out,
                         char *why, size_t why_cap);
void ot_ioc_mask_(uint8_t *addr, bool v6, unsigned plen);
bool ot_ioc_prefix_eq_(const uint8_t *net, const uint8_t *addr, bool v6, unsigned plen);
/* The IPv4 filters (struct ot_ioc_set): make room for a network of length
 * plen (0 or OT_ENOMEM), mark one as held, count and free their memory. */
int ot_ioc_v4_filter_reserve_(struct ot_ioc_set *set, unsigned plen);
void ot_ioc_v4_filter_add_(struct ot_ioc_set *set, const uint8_t addr[4], unsigned plen);
size_t ot_ioc_v4_filter_bytes_(const struct ot_ioc_set *set);
void ot_ioc_v4_filter_free_(struct ot_ioc_set *set);
int ot_ioc_add_ip_(struct ot_ioc_set *set, enum ot_ioc_type type, const char *s, size_t n,
                   const struct ot_ioc_meta *meta, char *why, size_t why_cap);

/* ioc-domain.c */
/* Normalise a listed domain (strip "*." / "." in front, one trailing dot,
 * lower-case) into out[OT_IOC_DOMAIN_MAX + 1] and check it. */
int ot_ioc_domain_norm_(const char *s, size_t n, char *out, size_t *out_len, char *why,
                        size_t why_cap);
/* Lower-case a looked-up name and drop one trailing dot; false when it is
 * empty or too long to be listed. */
bool ot_ioc_domain_key_(const char *s, size_t n, char *out, size_t *out_len);
/* Is `name` (normalised) equal to `dom` or below it? */
bool ot_ioc_domain_under_(const char *name, size_t nlen, const char *dom, size_t dlen);
int ot_ioc_add_domain_(struct ot_ioc_set *set, const char *s, size_t n,
                       const struct ot_ioc_meta *meta, char *why, size_t why_cap);

/* ioc-url.c */
int ot_ioc_add_url_(struct ot_ioc_set *set, const char *s, size_t n, const struct ot_ioc_meta *meta,
                    char *why, size_t why_cap);

/* ioc-hash.c */
int ot_ioc_add_hash_(struct ot_ioc_set *set, enum ot_ioc_type type, const char *s, size_t n,
                     const struct ot_ioc_meta *meta, char *why, size_t why_cap);
bool ot_ioc_ja4_shape_(const char *s, size_t n);

/* ioc-lines.c: splitting input into lines, reporting, file names. */
struct ot_ioc_reporter {
    ot_ioc_report_fn fn;
    void *ctx;
    const char *file;
    uint32_t max;
    uint32_t sent;
    uint64_t dropped;
};
void ot_ioc_reporter_init_(struct ot_ioc_reporter *r, const char *file, ot_ioc_report_fn fn,
                           void *ctx, uint32_t max);
void ot_ioc_report_(struct ot_ioc_reporter *r, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One closing line when reports were dropped. */
void ot_ioc_report_end_(struct ot_ioc_reporter *r);

/* Called per line without its "\n" / "\r\n" (and without a UTF-8 BOM on line
 * 1).  too_long: the line passed OT_IOC_MAX_LINE bytes and `line` holds only
 * its start.  A non-zero return stops the reading and is passed up. */
typedef int (*ot_ioc_line_fn)(void *ctx, uint32_t lineno, const char *line, size_t len,
                              bool too_long);

struct ot_ioc_lines {
    ot_ioc_line_fn fn;
    void *ctx;
    uint32_t lineno;
    size_t len;
    bool too_long;
    char buf[OT_IOC_MAX_LINE + 1]; /* + the '\r' of a CRLF line */
};

/* Feed `path` (when data is NULL: read in chunks, never whole) or the
 * buffer through the line splitter.  0, the callback's stop code, or
 * OT_ENOENT / OT_EIO (reported at line 0). */
int ot_ioc_read_lines_(const char *path, const void *data, size_t len, ot_ioc_line_fn fn, void *ctx,
                       struct ot_ioc_reporter *rep);

/* Default category and source for a file: base name without extension, and
 * base name.  Written into caller buffers, truncated to fit. */
void ot_ioc_name_defaults_(const char *path, char *category, size_t ccap, char *source,
                           size_t scap);

/* Shared by the loaders: trim ASCII blanks. */
void ot_ioc_trim_(const char **s, size_t *n);

/* ioc-load.c: one load of one file into a set. */
struct ot_ioc_load {
    struct ot_ioc_set *set;
    struct ot_ioc_reporter rep;
    struct ot_ioc_load_stats *st;
    const char *file;
    char category[256]; /* defaults for lines that do not say */
    char source[256];
    uint8_t confidence;
};

/* Add one value with the load's bookkeeping: counts, reports.  Returns 0 to
 * go on, or the code that must stop the load (OT_ELIMIT, OT_ENOMEM...). */
int ot_ioc_load_add_(struct ot_ioc_load *ld, uint32_t line, enum ot_ioc_type type,
                     const char *value, size_t len, const char *category, const char *source,
                     uint8_t confidence);
/* Report a rejected line and count it. */
void ot_ioc_load_error_(struct ot_ioc_load *ld, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ioc-load-plain.c, ioc-load-csv.c: path, or data/len when data != NULL. */
int ot_ioc_load_plain_(struct ot_ioc_load *ld, const char *path, const void *data, size_t len);
int ot_ioc_load_csv_(struct ot_ioc_load *ld, const char *path, const void *data, size_t len);

static inline bool ot_ioc_is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline unsigned char ot_ioc_lower(unsigned char c)
{
    return ot_ascii_lower(c);
}

#endif
