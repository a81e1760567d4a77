/*
 * Indicator sets: known-bad IPs, networks, domains, URLs, TLS client
 * fingerprints (JA3, JA4) and certificate / file digests, loaded from feed
 * files and matched against what the sensor sees.
 *
 * Life of a set:
 *
 *   ot_ioc_set_new()        one builder thread
 *   ot_ioc_load_file() ...  (or ot_ioc_load_buffer / ot_ioc_set_add)
 *   ot_ioc_set_finalize()   from here on the set is immutable
 *   ot_ioc_match_*()        any number of threads, no locks
 *   ot_ioc_set_free()       once no reader can still hold the pointer
 *
 * Reload is "build a new set, swap a pointer": a loader thread builds and
 * finalizes the new set while the workers keep reading the old one, then
 * publishes the new pointer (e.g. an _Atomic pointer with release/acquire)
 * and frees the old set when every worker has moved on (the caller's epoch
 * or quiescent-state scheme; this library keeps no reference counts).
 *
 * Memory: a set owns everything it returns.  The strings in a struct
 * ot_ioc_hit point into the set and stay valid until ot_ioc_set_free() (on a
 * set that is not finalized yet, only until the next add or the finalize,
 * which may move the storage).  Storage is three large arrays (one arena
 * holding records, keys and strings; one open-addressing hash table; one
 * interning table for category/source/file), never one allocation per
 * indicator, and it is bounded by the max_indicators given at creation.
 * Finalize moves the big arrays to transparent huge pages where the system
 * offers them.
 *
 * Lookups cost the same whatever the set's size: each is a fixed number of
 * hash probes (IP: one per prefix length present in the set; domain: one per
 * label of the name; URL: at most four; digests: one), issued together so
 * their cache misses overlap.
 *
 * The file formats, type detection and matching rules are in
 * docs/indicators.md.  Nothing here includes sensor headers: addresses are
 * raw network-order bytes (4 or 16) plus a v6 flag.
 */
#ifndef OT_INDICATORS_INDICATORS_H
#define OT_INDICATORS_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OT_IOC_MAX_LINE            4096 /* bytes per line (record, for CSV); longer is an error */
#define OT_IOC_DEFAULT_MAX         5000000 /* max_indicators when 0 is given */
#define OT_IOC_DEFAULT_CONFIDENCE  100
#define OT_IOC_DEFAULT_MAX_REPORTS 100 /* reported errors per load when 0 is given */

enum ot_ioc_type {
    OT_IOC_AUTO = 0, /* on input: detect from the value's shape */
    OT_IOC_IP,       /* one IPv4 or IPv6 address (hit.v6 says which) */
    OT_IOC_CIDR,     /* a network: address/prefix-length */
    OT_IOC_DOMAIN,   /* a name and all its subdomains */
    OT_IOC_URL,      /* a normalised URL (host + path + query) */
    OT_IOC_JA3,      /* TLS client fingerprint, 32 hex digits (MD5) */
    OT_IOC_JA4,      /* TLS client fingerprint, JA4 string */
    OT_IOC_SHA1,     /* certificate SHA-1 fingerprint, 40 hex digits */
    OT_IOC_SHA256,   /* SHA-256 digest (certificate or file), 64 hex digits */
    OT_IOC_TYPE_COUNT
};

/* Short lower-case name of a type ("ip", "cidr", "domain", "url", "ja3", "ja4",
 * "sha1", "sha256"; "auto" for OT_IOC_AUTO). Static storage. */
const char *ot_ioc_type_name(enum ot_ioc_type type);

/* Map a type name as found in a CSV "type" column to a type: the names above
 * plus common aliases (ipv4, ip-dst, hostname, fqdn, x509-fingerprint-sha1,
 * ja3-fingerprint-md5, ...; see docs/indicators.md), case-insensitive.
 * An empty name gives OT_IOC_AUTO.  OT_EINVAL for an unknown name. */
int ot_ioc_type_parse(const char *name, size_t len, enum ot_ioc_type *out /* OUT */);

/* Guess the type of a value from its shape alone (the detection rules of
 * docs/indicators.md).  OT_IOC_AUTO when it looks like none of them.  A
 * detected type does not mean the value is valid: adding it may still fail. */
enum ot_ioc_type ot_ioc_detect_type(const char *value, size_t len);

struct ot_ioc_set; /* opaque */

/* Create an empty set that will refuse to hold more than max_indicators
 * (0: OT_IOC_DEFAULT_MAX).  The caller owns *out and frees it with
 * ot_ioc_set_free().  OT_ENOMEM. */
int ot_ioc_set_new(struct ot_ioc_set **out /* OUT */, uint32_t max_indicators);

/* Release a set and every string it handed out.  NULL is accepted. */
void ot_ioc_set_free(struct ot_ioc_set *set);

/* Where an indicator came from.  The strings are copied (interned) by the set;
 * NULL category/source/file are stored as "". */
struct ot_ioc_meta {
    const char *category;
    const char *source;
    const char *file;
    uint32_t line;
    uint8_t confidence; /* 0..100 */
};

/* Add one indicator.  `type` OT_IOC_AUTO detects the type; any other type
 * checks the value is of that type (OT_IOC_IP also accepts a network,
 * OT_IOC_CIDR also a single address).  The value is kept as listed and is
 * normalised into its lookup key (see docs/indicators.md).
 * Returns 0; OT_EEXIST when the same key (same type family) is already in the
 * set (the first listing is kept); OT_EINVAL when the value is malformed, with
 * a one-line English reason written to `why` (may be NULL); OT_ELIMIT when
 * the set holds max_indicators already or its storage passed 4 GiB;
 * OT_EPERM after finalize; OT_ENOMEM. */
int ot_ioc_set_add(struct ot_ioc_set *set, enum ot_ioc_type type, const char *value, size_t len,
                   const struct ot_ioc_meta *meta, char *why /* OUT */, size_t why_cap);

/* Freeze the set (adds fail with OT_EPERM from now on) and give back unused
 * capacity.  After this the set is read-only and may be shared between
 * threads.  Returns 0 or OT_ENOMEM (the set stays usable either way). */
int ot_ioc_set_finalize(struct ot_ioc_set *set);

struct ot_ioc_set_info {
    uint32_t count;                      /* indicators held */
    uint32_t by_type[OT_IOC_TYPE_COUNT]; /* of which, per type */
    uint32_t max_indicators;
    size_t bytes; /* heap held by the set */
    bool finalized;
};

void ot_ioc_set_info(const struct ot_ioc_set *set, struct ot_ioc_set_info *out /* OUT */);

/* What a match returns: the indicator as it was listed and where. The
 * pointers belong to the set (see the top of this file). */
struct ot_ioc_hit {
    enum ot_ioc_type type;
    bool v6;            /* IP / CIDR: the family */
    uint8_t prefix_len; /* IP / CIDR: 32 or 128 for one address */
    uint8_t confidence;
    uint16_t port;     /* "ip:port" listings (Maltrail): the port; else 0 */
    uint32_t line;     /* line in `file` (CSV: first line of the record) */
    const char *value; /* as listed (after unquoting and trimming) */
    const char *category;
    const char *source;
    const char *file;
};

/* Longest-prefix match of one address (4 bytes, or 16 when v6) against the
 * listed addresses and networks of its family.  An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) that matches no IPv6 entry is tried as IPv4.
 * `hit` may be NULL. */
bool ot_ioc_match_ip(const struct ot_ioc_set *set, const uint8_t *addr, bool v6,
                     struct ot_ioc_hit *hit /* OUT */);

/* Match a DNS name (query name, TLS SNI, HTTP host without port): a listed
 * domain matches itself and every name below it; the most specific listed
 * suffix wins.  Case-insensitive; one trailing dot ignored. */
bool ot_ioc_match_domain(const struct ot_ioc_set *set, const char *name, size_t len,
                         struct ot_ioc_hit *hit /* OUT */);

/* Match an HTTP request as a parser sees it: `host` is the Host header (may
 * carry a port; may be empty), `target` the request-target ("/p?q", or the
 * absolute form "http://h/p?q", whose authority then replaces `host`).
 * Both are normalised like listed URLs.  Tried in order: host+path+query,
 * host+path (a listing without a query matches any query), then the same
 * for host-less listings ("/path" lines, which match on any host). */
bool ot_ioc_match_url(const struct ot_ioc_set *set, const char *host, size_t host_len,
                      const char *target, size_t target_len, struct ot_ioc_hit *hit /* OUT */);

/* Exact match of a fingerprint or digest given as text: type OT_IOC_JA3,
 * OT_IOC_JA4, OT_IOC_SHA1 or OT_IOC_SHA256; hex is case-insensitive and
 * SHA-1/SHA-256 may be colon-separated ("AB:CD:..."). */
bool ot_ioc_match_hash(const struct ot_ioc_set *set, enum ot_ioc_type type, const char *text,
                       size_t len, struct ot_ioc_hit *hit /* OUT */);

/* The same for a raw digest: JA3 16 bytes (the MD5), SHA-1 20, SHA-256 32. */
bool ot_ioc_match_digest(const struct ot_ioc_set *set, enum ot_ioc_type type, const uint8_t *digest,
                         size_t len, struct ot_ioc_hit *hit /* OUT */);

/* ---- Loading feed files ------------------------------------------------ */

/* Called once per problem: `line` 0 means the file as a whole.  `reason` is
 * one line of English without the "FILE:LINE: " prefix.  All strings are only
 * valid during the call. */
typedef void (*ot_ioc_report_fn)(void *ctx, const char *file, uint32_t line, const char *reason);

/* The default reporter: "FILE:LINE: reason" (or "FILE: reason") on stderr. */
void ot_ioc_report_stderr(void *ctx, const char *file, uint32_t line, const char *reason);

enum ot_ioc_format {
    OT_IOC_FMT_AUTO = 0, /* CSV when the name ends in ".csv" (any case), else plain */
    OT_IOC_FMT_PLAIN,
    OT_IOC_FMT_CSV,
};

/* Loader options; a NULL pointer or a zeroed struct means every default. */
struct ot_ioc_load_opts {
    enum ot_ioc_format format;
    const char *category;    /* NULL: the file's base name without extension */
    const char *source;      /* NULL: the file's base name */
    uint8_t confidence;      /* 1..100; 0: OT_IOC_DEFAULT_CONFIDENCE */
    ot_ioc_report_fn report; /* NULL: ot_ioc_report_stderr */
    void *report_ctx;
    uint32_t max_reports; /* problems passed to `report` per load (0: the
                           * default); the rest are counted and summed up in
                           * one last report */
};

/* Counts for one load (overwritten, not accumulated). */
struct ot_ioc_load_stats {
    uint64_t lines;      /* lines read, comments and blanks included */
    uint64_t loaded;     /* indicators added */
    uint64_t duplicates; /* values already in the set (first listing kept) */
    uint64_t errors;     /* lines (records) rejected, each reported as FILE:LINE */
};

/* Load a feed file (plain list or CSV, see docs/indicators.md) into a set
 * that is not finalized.  Malformed lines are reported and skipped; the rest
 * loads.  Returns 0 when the whole file was read (even with bad lines);
 * OT_ENOENT / OT_EIO when it cannot be opened or read (reported with line 0);
 * OT_ELIMIT when the set's max_indicators was reached (reported at the line
 * that did not fit; the rest of the file is not read); OT_EINVAL when a CSV
 * header names no value column (nothing loaded); OT_EPERM after finalize;
 * OT_ENOMEM.  `stats` (may be NULL) is filled in every case. */
int ot_ioc_load_file(struct ot_ioc_set *set, const char *path, const struct ot_ioc_load_opts *opts,
                     struct ot_ioc_load_stats *stats /* OUT */);

/* The same for a file already in memory: `name` stands for the file name (in
 * reports, hits, and the category/source/format defaults).  `data` need not
 * be NUL-terminated; the set copies what it keeps. */
int ot_ioc_load_buffer(struct ot_ioc_set *set, const char *name, const void *data, size_t len,
                       const struct ot_ioc_load_opts *opts,
                       struct ot_ioc_load_stats *stats /* OUT */);

#endif
