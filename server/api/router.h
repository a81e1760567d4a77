/*
 * The API's routing table: one row per endpoint of docs/api.md, matched on
 * method and path.  Path segments written "{}" in a pattern capture a
 * positive decimal id (1 .. 2^63-1); anything else in that place does not
 * match.  Pure data and a matcher, so the unit test checks every documented
 * endpoint against it; the handlers are bound to the rows in api-http.c.
 */
#ifndef OT_SERVER_API_ROUTER_H
#define OT_SERVER_API_ROUTER_H

#include <stddef.h>
#include <stdint.h>

enum ot_route_id {
    OT_R_HEALTH = 0,
    OT_R_CA,
    OT_R_ENROLL,
    OT_R_EVENTS,
    OT_R_CUSTOMER_ADD,
    OT_R_CUSTOMER_LIST,
    OT_R_SITE_ADD,
    OT_R_SITE_LIST,
    OT_R_TOKEN_ADD,
    OT_R_DEVICE_LIST,
    OT_R_DEVICE_REVOKE,
    OT_R_INCIDENT_LIST,
    OT_R_INCIDENT_GET,
    OT_R_INCIDENT_STATUS,
    OT_R_FUNNEL,
    OT_R_SUPPRESSION_ADD,
    OT_R_SUPPRESSION_LIST,
    OT_R_SUPPRESSION_DELETE,
    OT_R_AUDIT,
    OT_R_COUNT
};

/* Who may call a route. */
enum ot_route_auth {
    OT_AUTH_NONE = 0, /* anyone (health, CA, enrolment with its token in the body) */
    OT_AUTH_DEVICE,   /* a device credential otd_... */
    OT_AUTH_ADMIN,    /* the admin key ota_... */
};

/* Which body a route reads (and its size limit). */
enum ot_route_body {
    OT_BODY_NONE = 0,
    OT_BODY_JSON,   /* small JSON object: api.max-json */
    OT_BODY_NDJSON, /* ingest batch: ingest.max-body, gzip allowed */
};

struct ot_route {
    const char *method;
    const char *pattern;
    enum ot_route_id id;
    enum ot_route_auth auth;
    enum ot_route_body body;
};

#define OT_ROUTE_MAX_PARAMS 2

struct ot_route_match {
    const struct ot_route *route;
    int64_t param[OT_ROUTE_MAX_PARAMS];
    unsigned nparam;
};

/* The table (OT_R_COUNT rows, in docs/api.md order). */
const struct ot_route *ot_routes(size_t *n /* OUT */);

/*
 * Finds the route of method and path in table[0..n).  Returns 0 and fills m;
 * OT_ENOENT when no pattern matches the path (404); OT_EUNSUPP when a
 * pattern matches but not with this method (405).
 */
int ot_route_find(const struct ot_route *table, size_t n, const char *method, const char *path,
                  struct ot_route_match *m /* OUT */);

#endif
