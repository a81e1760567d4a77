/*
 * The routing table and its matcher (see router.h).
 */
#include "api/router.h"

#include <stdbool.h>
#include <string.h>

#include "otasuke/error.h"

static const struct ot_route routes[OT_R_COUNT] = {
    {"GET", "/api/v1/health", OT_R_HEALTH, OT_AUTH_NONE, OT_BODY_NONE},
    {"GET", "/api/v1/ca", OT_R_CA, OT_AUTH_NONE, OT_BODY_NONE},
    {"POST", "/api/v1/enroll", OT_R_ENROLL, OT_AUTH_NONE, OT_BODY_JSON},
    {"POST", "/api/v1/events", OT_R_EVENTS, OT_AUTH_DEVICE, OT_BODY_NDJSON},
    {"POST", "/api/v1/customers", OT_R_CUSTOMER_ADD, OT_AUTH_ADMIN, OT_BODY_JSON},
    {"GET", "/api/v1/customers", OT_R_CUSTOMER_LIST, OT_AUTH_ADMIN, OT_BODY_NONE},
    {"POST", "/api/v1/customers/{}/sites", OT_R_SITE_ADD, OT_AUTH_ADMIN, OT_BODY_JSON},
    {"GET", "/api/v1/customers/{}/sites", OT_R_SITE_LIST, OT_AUTH_ADMIN, OT_BODY_NONE},
    {"POST", "/api/v1/tokens", OT_R_TOKEN_ADD, OT_AUTH_ADMIN, OT_BODY_JSON},
    {"GET", "/api/v1/devices", OT_R_DEVICE_LIST, OT_AUTH_ADMIN, OT_BODY_NONE},
    {"POST", "/api/v1/devices/{}/revoke", OT_R_DEVICE_REVOKE, OT_AUTH_ADMIN, OT_BODY_NONE},
    {"GET", "/api/v1/incidents", OT_R_INCIDENT_LIST, OT_AUTH_ADMIN, OT_BODY_NONE},
    {"GET", "/api/v1/incidents/{}", OT_R_INCIDENT_GET, OT_AUTH_ADMIN, OT_BODY_NONE},
    {"POST", "/api/v1/incidents/{}/status", OT_R_INCIDENT_STATUS, OT_AUTH_ADMIN, OT_BODY_JSON},
    {"GET", "/api/v1/funnel", OT_R_FUNNEL, OT_AUTH_ADMIN, OT_BODY_NONE},
    {"POST", "/api/v1/customers/{}/suppressions", OT_R_SUPPRESSION_ADD, OT_AUTH_ADMIN,
     OT_BODY_JSON},
    {"GET", "/api/v1/customers/{}/suppressions", OT_R_SUPPRESSION_LIST, OT_AUTH_ADMIN,
     OT_BODY_NONE},
    {"DELETE", "/api/v1/customers/{}/suppressions/{}", OT_R_SUPPRESSION_DELETE, OT_AUTH_ADMIN,
     OT_BODY_NONE},
    {"GET", "/api/v1/audit", OT_R_AUDIT, OT_AUTH_ADMIN, OT_BODY_NONE},
};

const struct ot_route *ot_routes(size_t *n)
{
    *n = OT_R_COUNT;
    return routes;
}

/* A positive decimal id of n bytes (no sign, no leading zero, fits in int64). */
static bool parse_id(const char *s, size_t n, int64_t *v)
{
    if (n == 0 || n > 19 || s[0] == '0')
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (x > (uint64_t)INT64_MAX)
        return false;
    *v = (int64_t)x;
    return true;
}

/* Matches path against one pattern, segment by segment, capturing the ids. */
static bool match(const char *pattern, const char *path, struct ot_route_match *m)
{
    const char *p = pattern, *s = path;
    m->nparam = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        const char *pe = strchr(p, '/'), *se = strchr(s, '/');
        size_t pn = pe ? (size_t)(pe - p) : strlen(p);
        size_t sn = se ? (size_t)(se - s) : strlen(s);
        if (pn == 2 && p[0] == '{' && p[1] == '}') {
            if (m->nparam >= OT_ROUTE_MAX_PARAMS || !parse_id(s, sn, &m->param[m->nparam]))
                return false;
            m->nparam++;
        } else if (pn != sn || memcmp(p, s, pn) != 0) {
            return false;
        }
        p += pn;
        s += sn;
    }
    return *p == '\0' && *s == '\0';
}

/* See router.h. */
int ot_route_find(const struct ot_route *table, size_t n, const char *method, const char *path,
                  struct ot_route_match *m)
{
    bool path_known = false;
    for (size_t i = 0; i < n; i++) {
        struct ot_route_match t;
        if (!match(table[i].pattern, path, &t))
            continue;
        path_known = true;
        if (strcmp(table[i].method, method) != 0)
            continue;
        *m = t;
        m->route = &table[i];
        return 0;
    }
    return path_known ? OT_EUNSUPP : OT_ENOENT;
}
