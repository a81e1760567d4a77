/*
 * Allowlists: rules that suppress alerts an operator has judged harmless
 * (the office's backup server scanning its own network, a monitoring host,
 * one noisy signature towards one partner).
 *
 * File format (also in docs/indicators.md), one rule per line:
 *
 *   # comment; blank lines are ignored; "# ..." after a rule is a comment
 *   192.0.2.10                 an address: any alert involving it
 *   198.51.100.0/24            a network (IPv4 or IPv6 CIDR)
 *   backup.example.com         a domain and everything below it
 *   sid:2100498                one signature, wherever it fires
 *   sid:2100498 192.0.2.10     two terms: the alert must match both
 *   10.0.0.5 203.0.113.0/24    two addresses: two different addresses of
 *                              the alert must match, one term each
 *
 * Terms are separated by blanks; at most two per rule; "sid:" is
 * case-insensitive and takes a number 1..4294967295.  A domain term matches
 * case-insensitively, itself and its subdomains, as in indicator sets.
 * Malformed lines are reported as "FILE:LINE: reason" and skipped.
 *
 * An allowlist is built by one thread and then only read (queries take a
 * const pointer and change nothing), so readers need no lock as long as
 * nobody adds to it meanwhile; reload = build a new one and swap pointers, as
 * for indicator sets.  Queries scan the rules (O(rules x alert terms)): they
 * are meant for alerts, which are rare, not for every packet.
 */
#ifndef OT_INDICATORS_ALLOWLIST_H
#define OT_INDICATORS_ALLOWLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "indicators/indicators.h"

#define OT_ALLOW_DEFAULT_MAX 100000 /* rules, when 0 is given */

struct ot_allowlist; /* opaque */

/* An address of the alert: 4 bytes (or 16 when v6), network order. */
struct ot_allow_addr {
    const uint8_t *addr;
    bool v6;
};

/* Which rule suppressed an alert.  Strings belong to the allowlist. */
struct ot_allow_hit {
    const char *file;
    uint32_t line;
    const char *rule; /* the rule's text, comment removed */
};

/* Create an empty allowlist holding at most max_rules (0: the default).
 * The caller frees it with ot_allowlist_free().  OT_ENOMEM. */
int ot_allowlist_new(struct ot_allowlist **out /* OUT */, uint32_t max_rules);

void ot_allowlist_free(struct ot_allowlist *al);

/* Add one rule written as a line of the file format (a comment or blank line
 * adds nothing and returns 0).  `file` and `line` are what a match reports.
 * OT_EINVAL with a reason in `why` (may be NULL); OT_ELIMIT when full;
 * OT_ENOMEM. */
int ot_allowlist_add(struct ot_allowlist *al, const char *text, size_t len, const char *file,
                     uint32_t line, char *why /* OUT */, size_t why_cap);

/* Load a file, or a buffer standing for the file `name`.  Only the report
 * fields of `opts` are used (NULL: report to stderr).  Counts in `stats`
 * (loaded = rules; duplicates stay 0).  Returns as ot_ioc_load_file(). */
int ot_allowlist_load_file(struct ot_allowlist *al, const char *path,
                           const struct ot_ioc_load_opts *opts,
                           struct ot_ioc_load_stats *stats /* OUT */);
int ot_allowlist_load_buffer(struct ot_allowlist *al, const char *name, const void *data,
                             size_t len, const struct ot_ioc_load_opts *opts,
                             struct ot_ioc_load_stats *stats /* OUT */);

uint32_t ot_allowlist_count(const struct ot_allowlist *al);

/* Is an alert with signature id `sid` (0: none), these addresses and these
 * domain names (NUL-terminated; DNS query, SNI, HTTP host...) suppressed?
 * The first rule in load order that matches wins and is described in `hit`
 * (may be NULL). */
bool ot_allowlist_match(const struct ot_allowlist *al, uint32_t sid,
                        const struct ot_allow_addr *addrs, size_t n_addrs,
                        const char *const *domains, size_t n_domains,
                        struct ot_allow_hit *hit /* OUT */);

#endif
