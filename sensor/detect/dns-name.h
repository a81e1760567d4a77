/*
 * Domain-name helpers for the DNS-based detectors (dns-tunnel, dga,
 * cryptomining, rat): where the registered domain of a name starts, suffix
 * matching against small built-in lists, and names no detector should judge
 * (local, reverse, service-discovery).
 *
 * Names are as the DNS parser gives them (observe.h): dotted, without the
 * final dot, not NUL-terminated, any case.  Nothing here allocates.
 */
#ifndef OT_SENSOR_DNS_NAME_H
#define OT_SENSOR_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Offset in NAME where its registered domain starts: the last two labels,
 * or three under a two-level public suffix (co.jp, co.uk, com.au: any
 * two-letter country code under a generic second level such as co, com,
 * net, org, ac, ne, or, go), or one more label under a few well-known
 * shared hosting / dynamic-DNS suffixes (ddns.net, blogspot.com, ...).
 * A name of one or two labels is its own registered domain (offset 0).
 */
size_t ot_dn_registered(const char *name, size_t len);

/* True when NAME equals SUFFIX or ends with "." SUFFIX (ASCII case-insensitive). */
bool ot_dn_has_suffix(const char *name, size_t len, const char *suffix);
/* The same with the suffix's length given (SL = strlen(SUFFIX)). */
bool ot_dn_has_suffix_n(const char *name, size_t len, const char *suffix, size_t sl);

/* Index of the first entry of LIST (N strings) that NAME ends with, or -1. */
int ot_dn_match_list(const char *name, size_t len, const char *const *list, size_t n);

/*
 * A fixed set of suffixes, each with a value, for the lists the detectors try
 * every name against (mining pools, remote-access tools' domains, benign data
 * domains).  Matching hashes each suffix of the name that starts a label, from
 * the end, once: O(length of the name) instead of one comparison per entry
 * (the lists have 30-70 entries, tried on every query and SNI).  Same
 * semantics as ot_dn_has_suffix() on every entry.  Lives inline in the
 * detector's state (zeroed = empty); the entries' strings are not copied and
 * must outlive the set (string literals).
 */
#define OT_DN_SET_SLOTS 256 /* power of two; at most half are filled */

struct ot_dn_set_slot {
    uint64_t hash;
    const char *s; /* NULL: empty slot */
    uint32_t len;
    int32_t value;
};

struct ot_dn_set {
    struct ot_dn_set_slot slot[OT_DN_SET_SLOTS];
    uint32_t n;
    uint32_t max_len; /* longest entry: longer suffixes of a name need no lookup */
};

/*
 * Adds SUFFIX (non-empty) with VALUE (>= 0); a suffix already present keeps
 * the smaller value.  Returns 0, OT_EINVAL (empty, negative value) or
 * OT_ELIMIT (set full).
 */
int ot_dn_set_add(struct ot_dn_set *s, const char *suffix, int value);
/* The smallest value among the suffixes NAME equals or ends with "." plus; -1 if none. */
int ot_dn_set_match(const struct ot_dn_set *s, const char *name, size_t len);

/*
 * One name looked at by several detectors (the query name of a DNS
 * observation goes to dns-tunnel, dga, rat and cryptomining): what they all
 * ask of it is worked out once, on first use, and kept here.  The detection
 * engine keeps one per observation (ot_detect_name(), detect.h).  The name
 * is not copied: S must stay valid as long as the struct is used.
 */
#define OT_DN_NAME_MAX_LABELS 128 /* a DNS name (255 bytes) has at most 128 labels */

struct ot_dn_name {
    const char *s;
    size_t len;
    /* The rest is filled on demand by the functions below; do not read it directly. */
    uint8_t have;   /* which of these are filled (bits, dns-name.c) */
    bool ignored;   /* ot_dn_is_ignored() */
    size_t reg;     /* ot_dn_registered() */
    uint32_t n_sfx; /* suffixes starting a label, hashed as the suffix set does; */
                    /* UINT32_MAX: more than OT_DN_NAME_MAX_LABELS labels */
    uint32_t sfx_off[OT_DN_NAME_MAX_LABELS]; /* where each starts, last label first */
    uint64_t sfx_hash[OT_DN_NAME_MAX_LABELS];
};

/* Start looking at NAME (LEN bytes, as for the functions above). */
void ot_dn_name_init(struct ot_dn_name *n, const char *name, size_t len);
/* ot_dn_is_ignored(), ot_dn_registered() and ot_dn_set_match() of the name, each computed once. */
bool ot_dn_name_ignored(struct ot_dn_name *n);
size_t ot_dn_name_registered(struct ot_dn_name *n);
int ot_dn_set_match_name(const struct ot_dn_set *s, struct ot_dn_name *n);

/*
 * Names the DNS detectors leave alone: a single label, reverse lookups
 * (in-addr.arpa, ip6.arpa, all of .arpa), local and private-use names (.local, .lan,
 * .home.arpa, .localdomain, .internal, ...), and any name with a label that
 * starts with '_' (DNS-SD, SRV and DKIM/SPF look-ups).  All of .arpa is
 * infrastructure (in-addr, ip6, home, e164).
 */
bool ot_dn_is_ignored(const char *name, size_t len);

/* Longest label length and number of labels. */
void ot_dn_label_stats(const char *name, size_t len, size_t *longest, size_t *labels);

/* FNV-1a of the lower-cased name, for tables. */
uint64_t ot_dn_hash(const char *name, size_t len, uint64_t seed);

/* Copy NAME lower-cased into OUT (CAP bytes, NUL-terminated, truncated). Returns bytes copied. */
size_t ot_dn_copy_lower(char *out, size_t cap, const char *name, size_t len);

#endif
