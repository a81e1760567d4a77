/*
 * Triage, the store-backed path: one new alert → suppression → key entity →
 * the incident it joins or opens → correlation with the customer's other
 * incidents.  Runs inside the caller's ingest transaction (see triage.h);
 * the caller takes ot_store_lock_customer() first, so two processes never
 * open two incidents for one group.  The rules themselves are tables in
 * triage-rules.c and triage-correlate.c.
 *
 * The only state kept between calls is a bounded memory of recent successful
 * logins (for "bruteforce-login" when the login arrives before the guessing
 * alert: the sensor holds a merged alert line up to five minutes, while the
 * login event goes out at once).  It is per process, lost on restart, and
 * guarded by a mutex because ingest threads share one struct ot_triage.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otasuke/error.h"
#include "core/log.h"
#include "core/util.h"
#include "triage/triage.h"
#include "triage/triage-int.h"

#define LOGINS_MAX 1024

struct login_seen {
    int64_t customer_id; /* 0 = free slot */
    int64_t ts;
    int64_t incident_id; /* the cleartext-credentials incident it came with, 0 = an event */
    char src[48];
    char dest[48];
};

struct ot_triage {
    int64_t window_us;
    struct ot_homenet home;
    pthread_mutex_t lock; /* guards logins and stats */
    struct login_seen logins[LOGINS_MAX];
    size_t login_next;
    struct ot_triage_stats stats;
};

/* Fills c with the defaults: a 24 h window, the default home networks. */
void ot_triage_conf_defaults(struct ot_triage_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->window_us = OT_TRIAGE_DAY_US;
    c->home_nets = NULL;
}

/* Checks c and makes a triage context; the caller frees it with ot_triage_free(). */
int ot_triage_new(const struct ot_triage_conf *c, struct ot_triage **out)
{
    struct ot_triage *t;
    char err[160];
    int rc;

    *out = NULL;
    if (c->window_us <= 0) {
        ot_err("triage window must be positive");
        return OT_EINVAL;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        return OT_ENOMEM;
    t->window_us = c->window_us;
    rc = ot_homenet_parse(c->home_nets, &t->home, err, sizeof(err));
    if (rc != 0) {
        ot_err("%s", err);
        goto out_free;
    }
    if (pthread_mutex_init(&t->lock, NULL) != 0) {
        rc = OT_ENOMEM;
        goto out_free;
    }
    *out = t;
    return 0;

out_free:
    free(t);
    return rc;
}

/* Frees t (NULL is fine). */
void ot_triage_free(struct ot_triage *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* A copy of t's counters. */
void ot_triage_get_stats(struct ot_triage *t, struct ot_triage_stats *out)
{
    pthread_mutex_lock(&t->lock);
    *out = t->stats;
    pthread_mutex_unlock(&t->lock);
}

/* Adds one to the counter at field (a member of t->stats). */
#define COUNT(t, field)                                                                            \
    do {                                                                                           \
        pthread_mutex_lock(&(t)->lock);                                                            \
        (t)->stats.field++;                                                                        \
        pthread_mutex_unlock(&(t)->lock);                                                          \
    } while (0)

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- suppression ---- */

struct supp_ctx {
    const struct ot_alert_row *a;
    int64_t rule;
};

static int supp_cb(void *ctx, const struct ot_suppression *s)
{
    struct supp_ctx *c = ctx;

    if (!ot_triage_suppression_match(s, c->a))
        return 0;
    c->rule = s->id;
    return 1; /* stop: the first matching rule (lowest id) suppresses */
}

/* Sets *rule to the id of the customer's first rule covering a, 0 when none. */
static int find_suppression(struct ot_store_tx *tx, int64_t customer_id,
                            const struct ot_alert_row *a, int64_t *rule)
{
    struct supp_ctx c = {a, 0};
    int rc = ot_store_suppression_list(tx, customer_id, supp_cb, &c);

    *rule = c.rule;
    return rc < 0 ? rc : 0;
}

/* ---- grouping ---- */

/* Joins the alert into the customer's open incident of its group, or opens one. */
static int group(struct ot_triage *t, struct ot_store_tx *tx, const struct ot_triage_in *in,
                 struct ot_incident *inc, bool *created)
{
    const struct ot_alert_row *a = &in->row;
    const struct ot_triage_family *f = ot_triage_family_find(a->family);
    int64_t window = f->window_us ? f->window_us : t->window_us;
    int64_t now = now_us();
    int rc;

    rc = ot_store_incident_find_open(tx, a->customer_id, a->family, a->entity,
                                     in->first_seen - window, inc);
    if (rc == 0) {
        inc->alert_count++;
        inc->event_count += a->count;
        inc->severity = OT_MIN(inc->severity, a->severity);
        inc->first_seen = OT_MIN(inc->first_seen, in->first_seen);
        inc->last_seen = OT_MAX(inc->last_seen, in->last_seen);
        inc->updated_at = now;
        *created = false;
        return ot_store_incident_update(tx, inc);
    }
    if (rc != OT_ENOENT)
        return rc;
    memset(inc, 0, sizeof(*inc));
    inc->customer_id = a->customer_id;
    ot_strlcpy(inc->family, a->family, sizeof(inc->family));
    ot_strlcpy(inc->entity, a->entity, sizeof(inc->entity));
    inc->severity = a->severity;
    inc->status = OT_INC_NEW;
    inc->resolution = OT_RES_NONE;
    inc->first_seen = in->first_seen;
    inc->last_seen = in->last_seen;
    inc->alert_count = 1;
    inc->event_count = a->count;
    inc->created_at = now;
    inc->updated_at = now;
    *created = true;
    return ot_store_incident_create(tx, inc);
}

/* ---- correlation ---- */

/*
 * Raises the newer of two correlated incidents (the larger id) to rule r's
 * severity and records the rule and the other incident, once: an incident
 * keeps the first correlation it got.  *raised is set to r->name when
 * something changed.  newer is updated in place.
 */
static int raise_incident(struct ot_store_tx *tx, struct ot_incident *newer, int64_t other_id,
                          const struct ot_triage_corr *r, const char **raised)
{
    bool change = false;

    if (newer->severity > r->severity) {
        newer->severity = r->severity;
        change = true;
    }
    if (!newer->correlation[0]) {
        ot_strlcpy(newer->correlation, r->name, sizeof(newer->correlation));
        newer->related_id = other_id;
        change = true;
    }
    if (!change)
        return 0;
    newer->updated_at = now_us();
    *raised = r->name;
    return ot_store_incident_update(tx, newer);
}

/*
 * Applies rule r to the touched incident inc (open: it just took an alert)
 * and the partner oth: the newer is raised, unless it is resolved (a closed
 * incident changing silently helps nobody): then inc is.
 */
static int raise_pair(struct ot_store_tx *tx, struct ot_incident *inc, struct ot_incident *oth,
                      const struct ot_triage_corr *r, const char **raised)
{
    if (oth->id > inc->id && oth->status != OT_INC_RESOLVED)
        return raise_incident(tx, oth, inc->id, r, raised);
    return raise_incident(tx, inc, oth->id, r, raised);
}

/*
 * A login succeeded after the password guessing of the resolved incident
 * bf: the attack may have worked after all, so the incident is opened again
 * (status new, resolution cleared) with an audit entry saying why, and then
 * raised.  A closed incident raised silently would page nobody.
 */
static int reopen_for_login(struct ot_store_tx *tx, struct ot_incident *bf, const char *src,
                            const char *dest, int64_t ts, const struct ot_triage_corr *r,
                            const char **raised)
{
    /* The addresses come from a device's event: keep only address characters in the JSON. */
    char s_ip[64], d_ip[64];
    const char *in[2] = {src, dest};
    char *out[2] = {s_ip, d_ip};
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        for (const char *c = in[k]; *c && n < sizeof(s_ip) - 1; c++)
            if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F') ||
                *c == '.' || *c == ':')
                out[k][n++] = *c;
        out[k][n] = '\0';
    }
    struct ot_audit a;
    memset(&a, 0, sizeof(a));
    a.customer_id = bf->customer_id;
    a.at = now_us();
    ot_strlcpy(a.actor, "triage", sizeof(a.actor));
    ot_strlcpy(a.action, "incident.reopen", sizeof(a.action));
    snprintf(a.object, sizeof(a.object), "incident:%lld", (long long)bf->id);
    snprintf(a.detail, sizeof(a.detail),
             "{\"from\":\"resolved\",\"to\":\"new\",\"reason\":\"%s\",\"src_ip\":\"%s\","
             "\"dest_ip\":\"%s\",\"login_at_us\":%lld}",
             r->name, s_ip, d_ip, (long long)ts);
    int rc = ot_store_audit_add(tx, &a);
    if (rc != 0)
        return rc;
    bf->status = OT_INC_NEW;
    bf->resolution = OT_RES_NONE;
    if (bf->severity > r->severity)
        bf->severity = r->severity;
    if (!bf->correlation[0]) {
        ot_strlcpy(bf->correlation, r->name, sizeof(bf->correlation));
        bf->related_id = 0;
    }
    bf->updated_at = a.at;
    *raised = r->name;
    return ot_store_incident_update(tx, bf);
}

/* A partner someone closed as a false alarm correlates with nothing. */
static bool usable_partner(const struct ot_incident *oth)
{
    return !(oth->status == OT_INC_RESOLVED && oth->resolution == OT_RES_FALSE_POSITIVE);
}

/* Same-entity rules: the partner family's recent incident on inc's entity. */
static int corr_same_entity(struct ot_store_tx *tx, struct ot_incident *inc,
                            const struct ot_triage_corr *r, const char *other, bool is_first,
                            const char **raised)
{
    struct ot_incident oth;
    bool ok;
    int rc;

    rc = ot_store_incident_find_recent(tx, inc->customer_id, other, inc->entity,
                                       inc->first_seen - r->window_us, &oth);
    if (rc == OT_ENOENT)
        return 0;
    if (rc != 0)
        return rc;
    if (oth.id == inc->id || !usable_partner(&oth))
        return 0;
    if (is_first)
        ok = ot_triage_corr_in_time(r, inc->first_seen, inc->last_seen, oth.first_seen,
                                    oth.last_seen);
    else
        ok = ot_triage_corr_in_time(r, oth.first_seen, oth.last_seen, inc->first_seen,
                                    inc->last_seen);
    return ok ? raise_pair(tx, inc, &oth, r, raised) : 0;
}

struct dest_ctx {
    const char *dest;
    bool found;
};

static int dest_cb(void *ctx, const struct ot_alert_row *a)
{
    struct dest_ctx *c = ctx;

    if (strcmp(a->dest_ip, c->dest) != 0)
        return 0;
    c->found = true;
    return 1;
}

/* Sets *found when an alert of incident id (customer_id's) went to dest. */
static int incident_has_dest(struct ot_store_tx *tx, int64_t customer_id, int64_t id,
                             const char *dest, bool *found)
{
    struct dest_ctx c = {dest, false};
    int rc = ot_store_alert_list(tx, customer_id, id, dest_cb, &c);

    *found = c.found;
    return rc < 0 ? rc : 0;
}

/*
 * A successful login from src to dest at ts (from an event, or from the
 * cleartext-credentials alert of incident login_inc when not NULL): finds the
 * customer's password-guessing incident from src that attacked dest, and
 * raises the newer of the two (or the guessing incident, for an event).
 */
static int corr_login_to_bruteforce(struct ot_store_tx *tx, int64_t customer_id, const char *src,
                                    const char *dest, int64_t ts, struct ot_incident *login_inc,
                                    const char **raised)
{
    const struct ot_triage_corr *r = ot_triage_corr_login_rule();
    struct ot_incident bf;
    bool found;
    int rc;

    rc = ot_store_incident_find_recent(tx, customer_id, r->first, src, ts - r->window_us, &bf);
    if (rc == OT_ENOENT)
        return 0;
    if (rc != 0)
        return rc;
    if (!usable_partner(&bf) || !ot_triage_corr_in_time(r, bf.first_seen, bf.last_seen, ts, ts))
        return 0;
    rc = incident_has_dest(tx, customer_id, bf.id, dest, &found);
    if (rc != 0 || !found)
        return rc;
    if (login_inc)
        return raise_pair(tx, login_inc, &bf, r, raised);
    if (bf.status == OT_INC_RESOLVED)
        return reopen_for_login(tx, &bf, src, dest, ts, r, raised);
    return raise_incident(tx, &bf, 0, r, raised);
}

/* Remembers a successful login for guessing alerts that arrive after it. */
static void remember_login(struct ot_triage *t, int64_t customer_id, const char *src,
                           const char *dest, int64_t ts, int64_t incident_id)
{
    struct login_seen *l;

    pthread_mutex_lock(&t->lock);
    l = &t->logins[t->login_next];
    if (l->customer_id)
        t->stats.logins_forgotten++;
    l->customer_id = customer_id;
    l->ts = ts;
    l->incident_id = incident_id;
    ot_strlcpy(l->src, src, sizeof(l->src));
    ot_strlcpy(l->dest, dest, sizeof(l->dest));
    t->login_next = (t->login_next + 1) % LOGINS_MAX;
    t->stats.logins_seen++;
    pthread_mutex_unlock(&t->lock);
}

/*
 * A guessing alert (entity = its source) just joined bf: looks for a
 * remembered successful login from the source to the alert's server within
 * the rule's time; *hit gets it.
 */
static bool recall_login(struct ot_triage *t, const struct ot_incident *bf, const char *dest,
                         const struct ot_triage_corr *r, struct login_seen *hit)
{
    bool found = false;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < LOGINS_MAX && !found; i++) {
        const struct login_seen *l = &t->logins[i];
        if (l->customer_id != bf->customer_id || strcmp(l->src, bf->entity) != 0 ||
            strcmp(l->dest, dest) != 0)
            continue;
        if (ot_triage_corr_in_time(r, bf->first_seen, bf->last_seen, l->ts, l->ts)) {
            *hit = *l;
            found = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

/* Guessing incident bf was touched by an alert to dest: a login remembered from before? */
static int corr_bruteforce_to_login(struct ot_triage *t, struct ot_store_tx *tx,
                                    struct ot_incident *bf, const char *dest,
                                    const struct ot_triage_corr *r, const char **raised)
{
    struct login_seen hit;
    struct ot_incident li;
    int rc;

    if (!dest[0] || !recall_login(t, bf, dest, r, &hit))
        return 0;
    if (hit.incident_id == 0)
        return raise_incident(tx, bf, 0, r, raised);
    rc = ot_store_incident_get(tx, bf->customer_id, hit.incident_id, &li);
    if (rc == OT_ENOENT) /* its transaction was rolled back */
        return raise_incident(tx, bf, 0, r, raised);
    if (rc != 0)
        return rc;
    if (!usable_partner(&li))
        return 0;
    return raise_pair(tx, bf, &li, r, raised);
}

/* Runs every correlation rule that involves the family of incident inc. */
static int correlate(struct ot_triage *t, struct ot_store_tx *tx, struct ot_incident *inc,
                     const struct ot_triage_in *in, const char **raised)
{
    const struct ot_triage_corr *r;
    const char *other;
    bool is_first;
    size_t it = 0;
    int rc = 0;

    while (rc == 0 && (r = ot_triage_corr_next(inc->family, &it, &other, &is_first))) {
        if (r->link == OT_CORR_SAME_ENTITY)
            rc = corr_same_entity(tx, inc, r, other, is_first, raised);
        else if (r->link == OT_CORR_LOGIN && is_first)
            rc = corr_bruteforce_to_login(t, tx, inc, in->row.dest_ip, r, raised);
    }
    if (rc == 0 && in->login_success && in->row.dest_ip[0] &&
        strcmp(in->row.family, "cleartext-credentials") == 0) {
        remember_login(t, inc->customer_id, in->row.src_ip, in->row.dest_ip, in->last_seen,
                       inc->id);
        rc = corr_login_to_bruteforce(tx, inc->customer_id, in->row.src_ip, in->row.dest_ip,
                                      in->last_seen, inc, raised);
    }
    return rc;
}

/* ---- entry points ---- */

/* Triages one new alert of customer_id (see triage.h). */
int ot_triage_alert(struct ot_triage *t, struct ot_store_tx *tx, int64_t customer_id,
                    int64_t device_id, int64_t event_row, const json_t *event,
                    struct ot_triage_result *out)
{
    struct ot_triage_in in;
    struct ot_incident inc;
    int64_t rule = 0;
    char why[96];
    int rc;

    memset(out, 0, sizeof(*out));
    if (ot_triage_parse_alert(event, &in, why, sizeof(why)) != 0) {
        ot_debug("customer %lld event %lld not triaged: %s", (long long)customer_id,
                 (long long)event_row, why);
        COUNT(t, invalid);
        return OT_EINVAL;
    }
    in.row.id = event_row;
    in.row.customer_id = customer_id;
    in.row.device_id = device_id;

    rc = find_suppression(tx, customer_id, &in.row, &rule);
    if (rc != 0)
        return rc;
    if (rule) {
        in.row.suppressed_by = rule;
        out->suppressed_by = rule;
        COUNT(t, suppressed);
        return ot_store_alert_add(tx, &in.row);
    }

    ot_triage_entity_pick(ot_triage_family_find(in.row.family), &t->home, in.row.src_ip,
                          in.row.dest_ip, in.row.entity, sizeof(in.row.entity));
    rc = group(t, tx, &in, &inc, &out->created);
    if (rc != 0)
        return rc;
    in.row.incident_id = inc.id;
    out->incident_id = inc.id;
    rc = ot_store_alert_add(tx, &in.row);
    if (rc != 0)
        return rc;
    rc = correlate(t, tx, &inc, &in, &out->correlation);
    if (rc != 0)
        return rc;
    if (out->created)
        COUNT(t, created);
    else
        COUNT(t, joined);
    if (out->correlation)
        COUNT(t, correlated);
    return 0;
}

/* Looks at a non-alert event for a successful login that ends password guessing. */
int ot_triage_event(struct ot_triage *t, struct ot_store_tx *tx, int64_t customer_id,
                    const json_t *event)
{
    const char *raised = NULL;
    char src[48], dest[48];
    int64_t ts;
    int rc;

    if (!ot_triage_login_success(event, src, dest, &ts))
        return 0;
    remember_login(t, customer_id, src, dest, ts, 0);
    rc = corr_login_to_bruteforce(tx, customer_id, src, dest, ts, NULL, &raised);
    if (rc == 0 && raised)
        COUNT(t, correlated);
    return rc;
}
