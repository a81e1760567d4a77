/*
 * Triage internals: the pure parts of triage (no store, no clock), so unit
 * tests can check them alone and the API can reuse them (CIDR checks of a
 * suppression rule, the catalogue key of a family).
 *
 *   triage-net.c        addresses, CIDRs, the home networks
 *   triage-rules.c      the family table (key entity, window), the alert
 *                       parser, entity choice, suppression matching
 *   triage-correlate.c  the correlation table and its time tests
 *   triage.c            the store-backed path (ot_triage_alert/_event)
 */
#ifndef OT_SERVER_TRIAGE_INT_H
#define OT_SERVER_TRIAGE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define OT_TRIAGE_HOUR_US ((int64_t)3600 * 1000000)
#define OT_TRIAGE_DAY_US  (24 * OT_TRIAGE_HOUR_US)

/* ---- addresses and CIDRs (triage-net.c) ---- */

/* An IPv4 (as ::ffff:a.b.c.d) or IPv6 address. */
struct ot_ipaddr {
    uint8_t b[16];
    bool v4;
};
/* A network: addr with all bits past `bits` cleared; bits counts from the IPv6 form. */
struct ot_cidr {
    struct ot_ipaddr addr;
    uint8_t bits; /* 0..128 (an IPv4 /n is 96 + n) */
};

/* Parses a bare IPv4 or IPv6 address; false when s is not one. */
bool ot_ipaddr_parse(const char *s, struct ot_ipaddr *out /* OUT */);
/*
 * The canonical text of a (IPv4 dotted quad, also for ::ffff:a.b.c.d; IPv6
 * as RFC 5952), so one host is one entity however the sender spelt it.
 * len >= 48.
 */
void ot_ipaddr_format(const struct ot_ipaddr *a, char *out, size_t len);
/*
 * Parses "ADDR" (a host: /32 or /128) or "ADDR/BITS".  Host bits set past
 * the prefix are an error (a rule "10.0.0.5/8" is a typo, not a network).
 * Returns 0 or OT_EINVAL.
 */
int ot_cidr_parse(const char *s, struct ot_cidr *out /* OUT */);
bool ot_cidr_contains(const struct ot_cidr *c, const struct ot_ipaddr *a);

#define OT_HOMENET_MAX 64
/* The networks that count as "inside" a customer's site. */
struct ot_homenet {
    struct ot_cidr nets[OT_HOMENET_MAX];
    size_t n;
};
/* RFC 1918, 169.254/16 (IPv4 link-local), fc00::/7 (ULA), fe80::/10. */
#define OT_HOMENET_DEFAULT                                                                         \
    "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16,fc00::/7,fe80::/10"
/*
 * Parses a comma-separated list of CIDRs (spaces allowed) into h; NULL or
 * "" gives OT_HOMENET_DEFAULT.  On a bad item or more than OT_HOMENET_MAX
 * returns OT_EINVAL / OT_ELIMIT and writes the reason (naming the item)
 * into err.
 */
int ot_homenet_parse(const char *list, struct ot_homenet *h /* OUT */, char *err, size_t errlen);
/* True when ip (text) is an address inside one of h's networks. */
bool ot_homenet_contains(const struct ot_homenet *h, const char *ip);

/* ---- families (triage-rules.c) ---- */

enum ot_triage_entity {
    OT_ENTITY_SOURCE = 1, /* src_ip: the attacker or the scanning host */
    OT_ENTITY_INSIDE,     /* the home-net end; src when both or neither are inside */
    OT_ENTITY_SERVER,     /* the home-net end; dest when neither is inside */
    OT_ENTITY_NETWORK,    /* the customer's network as a whole: "network" */
};

struct ot_triage_family {
    const char *family; /* alert.category slug; "other" for the fallback row */
    enum ot_triage_entity entity;
    int64_t window_us; /* 0 = the configured default window */
};

/* The row of family; the "other" row when family is unknown or NULL.  Never NULL. */
const struct ot_triage_family *ot_triage_family_find(const char *family);
/* The table (with "other" last) and its length, for tests and the catalogue check. */
const struct ot_triage_family *ot_triage_families(size_t *n /* OUT */);
/* True when family is one of the table's slugs (not the "other" fallback). */
bool ot_triage_family_known(const char *family);

/*
 * The key entity of an alert of family f between src and dest (dest may be
 * "" for one-sided alerts), written into out (at least 48 bytes).
 */
void ot_triage_entity_pick(const struct ot_triage_family *f, const struct ot_homenet *h,
                           const char *src, const char *dest, char *out, size_t len);

/* ---- alerts (triage-rules.c) ---- */

/* What triage reads of one alert event. */
struct ot_triage_in {
    struct ot_alert_row row; /* sid, severity, family, signature, addresses, ports, count, ts */
    int64_t first_seen;      /* alert.first_seen, else timestamp */
    int64_t last_seen;       /* alert.last_seen, else timestamp */
    bool login_success;      /* alert.evidence.login_result == "success" */
};

/*
 * Reads an alert event (the parsed NDJSON line) into in; the row's ids are
 * left 0.  Returns OT_EINVAL, with the reason in why, when a field triage
 * needs is missing or malformed: alert.category (a slug of [a-z0-9-], at
 * most 31 bytes), alert.signature_id (> 0), alert.severity (1..3 when
 * present; absent = 3), timestamp (RFC 3339), src_ip (an address), dest_ip
 * (an address when present), alert.count (>= 1 when present).  Addresses
 * are stored in canonical text (ot_ipaddr_format).
 */
int ot_triage_parse_alert(const json_t *ev, struct ot_triage_in *in /* OUT */, char *why,
                          size_t whylen);

/*
 * RFC 3339 ("2026-02-02T10:00:00.000000+0000", "...Z", "...+09:00") to
 * microseconds since the epoch, UTC.  Returns 0 or OT_EINVAL.
 */
int ot_triage_parse_time(const char *s, int64_t *us /* OUT */);

/*
 * True when rule s covers the alert: every non-empty field equals (sid,
 * family) or contains (src, dest as IP or CIDR) the alert's.  A rule whose
 * CIDR does not parse matches nothing (the API refuses such rules).
 */
bool ot_triage_suppression_match(const struct ot_suppression *s, const struct ot_alert_row *a);

/* ---- correlation (triage-correlate.c) ---- */

enum ot_corr_link {
    OT_CORR_SAME_ENTITY = 1, /* both incidents have the same key entity */
    OT_CORR_LOGIN, /* a successful login from the first's source to a server it attacked */
};

struct ot_triage_corr {
    const char *name;   /* "ioc-beacon", stored in incident.correlation */
    const char *first;  /* family */
    const char *second; /* family; NULL for OT_CORR_LOGIN (the second is a login) */
    enum ot_corr_link link;
    bool ordered;      /* first must begin before second ends */
    int severity;      /* raised to */
    int64_t window_us; /* the two may lie at most this far apart */
};

const struct ot_triage_corr *ot_triage_corr_rules(size_t *n /* OUT */);
/*
 * Iterates the rules whose first or second family is family: *iter starts at
 * 0; returns NULL at the end.  *other gets the partner family (NULL for a
 * login rule), *is_first whether family is the rule's first.
 */
const struct ot_triage_corr *ot_triage_corr_next(const char *family, size_t *iter,
                                                 const char **other /* OUT */,
                                                 bool *is_first /* OUT */);
/*
 * True when two incidents' spans [a_first, a_last] (of the rule's first
 * family) and [b_first, b_last] (its second) satisfy rule r's time tests:
 * at most window apart, and for ordered rules a began no later than b ended.
 */
bool ot_triage_corr_in_time(const struct ot_triage_corr *r, int64_t a_first, int64_t a_last,
                            int64_t b_first, int64_t b_last);

/* The login rule ("bruteforce-login"), or NULL. */
const struct ot_triage_corr *ot_triage_corr_login_rule(void);

/*
 * Reads a non-alert event for a successful login: type "login" with
 * login_result "success" in ftp/telnet/pop3/imap/smtp events, or an http
 * request with basic_auth answered 2xx/3xx.  Fills src/dest (48 bytes each)
 * and ts; false for every other event.
 */
bool ot_triage_login_success(const json_t *ev, char *src, char *dest, int64_t *ts /* OUT */);

#endif
