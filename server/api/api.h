/*
 * The HTTP API of otasuke-server (docs/api.md): a request layer that knows
 * nothing of the network (ot_api_handle: route, authenticate, run the
 * handler, build the answer) and the libmicrohttpd front (api-http.c) that
 * feeds it.  The split lets the unit tests and fuzz/fuzz_api_request.c drive
 * every handler without TLS or sockets.
 *
 * Ownership: struct ot_api borrows the store, the triage engine and the PKI
 * material from its creator (server.c), which frees them after
 * ot_api_stop().  A struct ot_req is owned by whoever fills it; its answer
 * buffer is released with ot_req_done().
 */
#ifndef OT_SERVER_API_H
#define OT_SERVER_API_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/limits.h"
#include "api/router.h"
#include "core/json.h"
#include "store/store.h"

struct ot_triage;
struct ot_pki;

/* The API's settings; the ones marked (reload) change on SIGHUP. */
struct ot_api_conf {
    char listen[128];      /* ADDR:PORT or [V6]:PORT */
    unsigned threads;      /* libmicrohttpd thread pool */
    unsigned max_conns;    /* connections at once */
    unsigned per_ip_conns; /* connections at once from one address (0 = no limit) */
    unsigned timeout_s;    /* idle connection timeout */
    size_t max_body;       /* (reload) ingest body as received */
    size_t max_inflated;   /* (reload) ingest body after gzip */
    size_t max_lines;      /* (reload) ingest lines per batch */
    size_t max_json;       /* (reload) admin/enrol JSON body */
    double rate, burst;    /* (reload) ingest requests per second per device, bucket */
    unsigned drain_s;      /* graceful stop: wait this long for requests in flight */
    char time_zone[16];    /* owner.time-zone: of the times in owner texts (JST, UTC, +HH:MM) */
};
void ot_api_conf_defaults(struct ot_api_conf *c);

/*
 * A time zone as owner.time-zone takes it: "JST" (UTC+09:00, the default:
 * the service is for firms in Japan, and Japan has no daylight saving),
 * "UTC", or a fixed offset "+HH:MM" / "-HH:MM" (up to 14:00).  Fills the
 * offset in minutes and the label texts show ("JST", "UTC", "UTC+05:30").
 * 0, or -1 when it is none of these.
 */
int ot_api_time_zone(const char *tz, int *offset_min /* OUT */, char label[16] /* OUT */);
/* "2024-05-01 19:00 JST": a time for people to read in a text, in the zone `tz`. */
void ot_api_text_time(const char *tz, int64_t us, char *buf, size_t len);

struct ot_api_counters {
    atomic_uint_fast64_t requests, status_4xx, status_5xx, events_accepted, events_duplicate,
        events_rejected, alerts_untriaged, body_too_large;
};

struct ot_api {
    struct ot_api_conf conf; /* the size limits are read through the atomics below */
    atomic_size_t max_body, max_inflated, max_lines, max_json;
    struct ot_store *store;
    struct ot_triage *triage;
    const struct ot_pki *pki;
    struct ot_rate rate;
    struct ot_rate enroll_rate; /* all unauthenticated enrolments together: 10/s, burst 30 */
    struct ot_api_counters n;
    atomic_int in_flight; /* requests between their first byte and their answer */
    atomic_bool stopping;
    void *mhd;     /* struct MHD_Daemon */
    uint16_t port; /* bound port */
};

/* Sets up api (no network yet).  Borrowed: store, triage, pki. */
int ot_api_init(struct ot_api *api, const struct ot_api_conf *c, struct ot_store *store,
                struct ot_triage *triage, const struct ot_pki *pki);
/* Applies the (reload) settings of c. */
void ot_api_reload(struct ot_api *api, const struct ot_api_conf *c);
/* Starts the HTTPS listener; err gets a one-line reason on failure. */
int ot_api_start(struct ot_api *api, char *err, size_t errlen);
/*
 * Stops accepting connections, waits up to conf.drain_s for requests in
 * flight to be answered, then closes everything.
 */
void ot_api_stop(struct ot_api *api);
void ot_api_free(struct ot_api *api);

/* One request as the request layer sees it. */
struct ot_req {
    /* in */
    const char *method;
    const char *path;
    /* header and query lookups (NULL when absent) */
    const char *(*header)(void *ctx, const char *name);
    const char *(*query)(void *ctx, const char *name);
    void *ctx;
    const char *body;
    size_t body_len;
    int64_t now_us;
    /* out */
    unsigned status;
    struct ot_jw out; /* JSON answer (when raw is NULL) */
    const char *raw;  /* other answer (borrowed, lives as long as the api) */
    size_t raw_len;
    const char *content_type; /* of raw */
    unsigned retry_after;     /* seconds; 0 = no header */
    bool www_authenticate;    /* add WWW-Authenticate: Bearer */
    /* set while handling */
    struct ot_route_match m;
    struct ot_device dev; /* the caller, for device routes */
    char lang[8];
};

/* Prepares rq's answer buffer; rq's inputs are filled by the caller. */
int ot_req_init(struct ot_req *rq);
void ot_req_done(struct ot_req *rq);
/* Routes, authenticates and runs rq; always leaves a status and an answer in rq. */
void ot_api_handle(struct ot_api *api, struct ot_req *rq);

/* ---- shared by the handler files ---- */

/* Sets an error answer {"error": reason}. */
void ot_api_error(struct ot_req *rq, unsigned status, const char *reason);
/* RFC 3339 UTC with microseconds ("2024-01-02T03:04:05.123456Z"); buf >= 32 bytes. */
void ot_api_time(int64_t us, char *buf, size_t len);
/* Writes "key": time, or null when us is 0. */
void ot_api_jw_time(struct ot_jw *w, const char *key, int64_t us);
/* A new secret "<prefix><base64url of 32 random bytes>" and its SHA-256. */
int ot_api_secret_new(const char *prefix, char *out, size_t len, uint8_t hash[32]);
void ot_api_sha256(const char *s, size_t n, uint8_t out[32]);
/*
 * Parses rq's body as a JSON object into *obj (caller decrefs); on failure
 * answers 400 and returns false.
 */
bool ot_api_body_object(struct ot_req *rq, json_t **obj /* OUT */);
/*
 * String member key of obj into out (1..len-1 bytes, valid UTF-8 without
 * control characters).  Absent: "" when !required, else 400.  Answers 400
 * and returns false on a bad value.
 */
bool ot_api_body_str(struct ot_req *rq, json_t *obj, const char *key, bool required, char *out,
                     size_t len);
/* Integer member key of obj in [min, max]; absent -> dflt (or 400 when required). */
bool ot_api_body_int(struct ot_req *rq, json_t *obj, const char *key, bool required, int64_t min,
                     int64_t max, int64_t dflt, int64_t *out /* OUT */);
/* Query parameter as an id (1..INT64_MAX); 0 when absent; false (400 answered) when bad. */
bool ot_api_query_id(struct ot_req *rq, const char *name, int64_t *out /* OUT */);
/* Answers a store failure: 503 store unavailable with Retry-After, or 404/409 per err. */
void ot_api_store_error(struct ot_req *rq, int err, const char *what);

/* Writes an "audit" array member with the log entries of object; *rc gets the store's result. */
void ot_api_write_audit_items(struct ot_jw *w, struct ot_store_tx *tx, int64_t customer,
                              const char *object, int *rc);

/* Handlers (one per route), in api-ingest.c, api-enroll.c, api-admin.c, api-incident.c. */
void ot_api_h_health(struct ot_api *api, struct ot_req *rq);
void ot_api_h_ca(struct ot_api *api, struct ot_req *rq);
void ot_api_h_enroll(struct ot_api *api, struct ot_req *rq);
void ot_api_h_events(struct ot_api *api, struct ot_req *rq);
void ot_api_h_customer_add(struct ot_api *api, struct ot_req *rq);
void ot_api_h_customer_list(struct ot_api *api, struct ot_req *rq);
void ot_api_h_site_add(struct ot_api *api, struct ot_req *rq);
void ot_api_h_site_list(struct ot_api *api, struct ot_req *rq);
void ot_api_h_token_add(struct ot_api *api, struct ot_req *rq);
void ot_api_h_device_list(struct ot_api *api, struct ot_req *rq);
void ot_api_h_device_revoke(struct ot_api *api, struct ot_req *rq);
void ot_api_h_incident_list(struct ot_api *api, struct ot_req *rq);
void ot_api_h_incident_get(struct ot_api *api, struct ot_req *rq);
void ot_api_h_incident_status(struct ot_api *api, struct ot_req *rq);
void ot_api_h_funnel(struct ot_api *api, struct ot_req *rq);
void ot_api_h_suppression_add(struct ot_api *api, struct ot_req *rq);
void ot_api_h_suppression_list(struct ot_api *api, struct ot_req *rq);
void ot_api_h_suppression_delete(struct ot_api *api, struct ot_req *rq);
void ot_api_h_audit(struct ot_api *api, struct ot_req *rq);

/* The store meta key holding the admin key's SHA-256 (hex). */
#define OT_API_META_ADMIN_HASH "admin_key_sha256"

#endif
