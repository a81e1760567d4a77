/*
 * Inside the store: the pieces store.c shares with the two backends.
 *
 * The shared code (store.c, store-tenants.c, store-triage.c) speaks to a
 * backend through a small vtable: begin/commit/rollback, and query() with
 * $1..$n parameters (ints and texts) whose rows are read with typed column
 * getters.  Every statement is a struct ot_sql with a fixed id, so each
 * connection caches its prepared statements in an array indexed by that id
 * (bounded by OT_SQL_COUNT).  The SQL text is written once when both
 * dialects accept it, else once per backend.
 *
 * A struct ot_store_tx is one pooled connection; while a transaction runs it
 * belongs to one thread.
 */
#ifndef OT_SERVER_STORE_INT_H
#define OT_SERVER_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "otasuke/error.h"
#include "store/store.h"

/* Every prepared statement, one slot per connection each. */
enum ot_sql_id {
    OT_SQL_META_GET,
    OT_SQL_META_SET,
    OT_SQL_CUSTOMER_ADD,
    OT_SQL_CUSTOMER_GET,
    OT_SQL_CUSTOMER_LIST,
    OT_SQL_SITE_ADD,
    OT_SQL_SITE_GET,
    OT_SQL_SITE_LIST,
    OT_SQL_TOKEN_ADD,
    OT_SQL_TOKEN_CONSUME,
    OT_SQL_TOKEN_BY_HASH,
    OT_SQL_TOKEN_BIND,
    OT_SQL_DEVICE_ADD,
    OT_SQL_DEVICE_BY_CRED,
    OT_SQL_DEVICE_GET,
    OT_SQL_DEVICE_LIST,
    OT_SQL_DEVICE_REVOKE,
    OT_SQL_DEVICE_EXISTS,
    OT_SQL_DEVICE_SEEN,
    OT_SQL_EVENT_INSERT,
    OT_SQL_EVENT_ID,
    OT_SQL_EVENTS_BATCH,
    OT_SQL_EVENTS_IDS,
    OT_SQL_EVENTS_COUNT,
    OT_SQL_EVENTS_COUNT_ALL,
    OT_SQL_ALERT_ADD,
    OT_SQL_ALERT_LIST,
    OT_SQL_ALERT_LIST_INC,
    OT_SQL_INCIDENT_FIND_OPEN,
    OT_SQL_INCIDENT_FIND_RECENT,
    OT_SQL_INCIDENT_CREATE,
    OT_SQL_INCIDENT_UPDATE,
    OT_SQL_INCIDENT_GET,
    OT_SQL_INCIDENT_LIST,
    OT_SQL_INCIDENT_LIST_ALL,
    OT_SQL_SUPP_ADD,
    OT_SQL_SUPP_DELETE,
    OT_SQL_SUPP_LIST,
    OT_SQL_AUDIT_ADD,
    OT_SQL_AUDIT_LIST_OBJECT,
    OT_SQL_AUDIT_LIST,
    OT_SQL_AUDIT_LIST_ALL,
    OT_SQL_FUNNEL_EVENTS,
    OT_SQL_FUNNEL_EVENTS_ALL,
    OT_SQL_FUNNEL_ALERTS,
    OT_SQL_FUNNEL_ALERTS_ALL,
    OT_SQL_FUNNEL_OPEN,
    OT_SQL_FUNNEL_OPEN_ALL,
    OT_SQL_FUNNEL_FAMILIES,
    OT_SQL_FUNNEL_FAMILIES_ALL,
    OT_SQL_FUNNEL_RULES,
    OT_SQL_FUNNEL_RULES_ALL,
    OT_SQL_LOCK_CUSTOMER,
    OT_SQL_ALERTS_FLUSH,
    OT_SQL_COUNT
};

/* A statement: its cache slot and its text ($1..$n parameters). */
struct ot_sql {
    enum ot_sql_id id;
    const char *sqlite; /* SQLite's text */
    const char *pg;     /* PostgreSQL's text; NULL = the same as sqlite */
};

/* A parameter: an integer, a text (not NUL-terminated: s, n) or NULL. */
enum ot_sp_type { OT_SP_NULL, OT_SP_INT, OT_SP_TEXT };
struct ot_sp {
    enum ot_sp_type type;
    int64_t i;
    const char *s;
    size_t n;
};

static inline struct ot_sp ot_sp_int(int64_t v)
{
    return (struct ot_sp){.type = OT_SP_INT, .i = v};
}

static inline struct ot_sp ot_sp_text(const char *s)
{
    return (struct ot_sp){.type = OT_SP_TEXT, .s = s, .n = strlen(s)};
}

static inline struct ot_sp ot_sp_textn(const char *s, size_t n)
{
    return (struct ot_sp){.type = OT_SP_TEXT, .s = s, .n = n};
}

/*
 * A running query's rows.  The backend owns h (a sqlite3_stmt or a
 * PGresult); ot_cur_done() (always called, also after an error) releases it.
 */
struct ot_cur {
    struct ot_store_tx *tx;
    void *h;
    int row;   /* PostgreSQL: the current row, -1 before the first */
    int nrows; /* PostgreSQL: rows in the result */
    int slot;  /* SQLite: statement cache slot, -1 = not cached (finalize) */
};

struct ot_store_ops {
    const char *name;
    /* Opens tx->db for st (st->target); err gets a reason on failure. */
    int (*connect)(struct ot_store_tx *tx, char *err, size_t errlen);
    /* Closes tx->db and forgets its prepared statements. */
    void (*disconnect)(struct ot_store_tx *tx);
    int (*begin)(struct ot_store_tx *tx, bool write);
    int (*commit)(struct ot_store_tx *tx);
    void (*rollback)(struct ot_store_tx *tx);
    /* Runs statements without parameters or rows (schema scripts). */
    int (*exec)(struct ot_store_tx *tx, const char *sql);
    /* Serialises schema migrations across processes (inside a write tx). */
    int (*lock_schema)(struct ot_store_tx *tx);
    int (*lock_customer)(struct ot_store_tx *tx, int64_t customer_id);
    /* Runs q with p[0..n-1] bound to $1..$n; rows are read with next(). */
    int (*query)(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n,
                 struct ot_cur *cur /* OUT */);
    /* 1 = a row is ready, 0 = no more rows, < 0 = error. */
    int (*next)(struct ot_cur *cur);
    int64_t (*col_int)(const struct ot_cur *cur, int col);
    /* The column's text, "" for NULL; valid until the next next()/done(). */
    const char *(*col_text)(const struct ot_cur *cur, int col);
    void (*done)(struct ot_cur *cur);
    /*
     * Writes tx->alerts (queued by ot_store_alert_add) in one statement and
     * empties the queue; NULL = alert rows are written at once, one by one.
     */
    int (*alerts_flush)(struct ot_store_tx *tx);
    /* The events batch in one statement; NULL = the shared row-by-row path. */
    int (*events_insert)(struct ot_store_tx *tx, int64_t customer_id, int64_t device_id,
                         int64_t received_at, struct ot_store_event *ev, size_t n);
    /* Schema steps: steps[v] takes the schema from version v to v + 1. */
    const char *const *migrations;
    unsigned nmigrations;
};

/* Bound on suppression rules cached per transaction (more: read each time). */
#define OT_STORE_SUPP_CACHE 64
/* Bound on alert rows queued before a flush (PostgreSQL). */
#define OT_STORE_ALERT_QUEUE 256

/* One pooled connection, and the transaction running on it. */
struct ot_store_tx {
    struct ot_store *st;
    void *db;                  /* sqlite3 * or PGconn *; NULL = not connected */
    void *stmts[OT_SQL_COUNT]; /* SQLite: cached sqlite3_stmt *; PG: non-NULL = prepared */
    bool stmt_busy[OT_SQL_COUNT];
    bool active; /* a transaction is open */
    bool write;
    bool write_locked;   /* SQLite: holds st->write_mu */
    int failed;          /* first error that doomed the transaction, 0 = none */
    bool broken;         /* connection lost: reconnect before the next use */
    uint64_t statements; /* sent since the last pool_give (added to the stats there) */
    char errmsg[256];
    /*
     * Triage asks for a customer's suppression rules once per alert; the
     * first answer in a transaction is kept (customer_id 0 = nothing kept)
     * and dropped when the transaction adds or deletes a rule, or ends.
     */
    struct {
        int64_t customer_id;
        size_t n;
        struct ot_suppression rows[OT_STORE_SUPP_CACHE];
    } supp;
    /* Alert rows queued for ops->alerts_flush (allocated on first use, freed at close). */
    struct ot_alert_row *alerts;
    size_t nalerts;
    struct ot_store_tx *next_free;
};

struct ot_store {
    enum ot_store_kind kind;
    const struct ot_store_ops *ops;
    char *target; /* SQLite: the file path; PostgreSQL: the connection URL */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* SQLite: writers of this process queue here rather than poll the file lock. */
    pthread_mutex_t write_mu;
    unsigned nconns;
    struct ot_store_tx *conns;
    struct ot_store_tx *free_list;
    struct ot_store_stats stats; /* under mu */
};

extern const struct ot_store_ops ot_store_sqlite_ops;
extern const struct ot_store_ops ot_store_pg_ops;

/*
 * Records err as the transaction's failure when it dooms it (OT_EAGAIN, or any
 * error on PostgreSQL, where a failed statement aborts the transaction), with
 * the database's text; returns err.
 */
int ot_store_fail(struct ot_store_tx *tx, int err, const char *msg);
/* Counts a list that stopped at OT_STORE_LIST_MAX. */
void ot_store_count_truncated(struct ot_store *st);

/* Shared query helpers (store.c). */
int ot_q_open(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n,
              struct ot_cur *cur /* OUT */);
int ot_q_next(struct ot_cur *cur);
int64_t ot_q_int(const struct ot_cur *cur, int col);
const char *ot_q_text(const struct ot_cur *cur, int col);
void ot_q_text_copy(const struct ot_cur *cur, int col, char *dst, size_t cap);
void ot_q_done(struct ot_cur *cur);
/* Runs q to its end, ignoring rows. */
int ot_q_exec(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n);
/*
 * Runs q and reads its first row's first column into *v; OT_ENOENT when it
 * returns no row.
 */
int ot_q_int1(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n,
              int64_t *v /* OUT */);
/*
 * Reads rows of q and hands each to fn, at most OT_STORE_LIST_MAX of them
 * (list statements ask for one more, to know; the cut is counted in the
 * store's stats).  A non-zero return of fn stops and is returned.
 */
int ot_q_each(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n,
              int (*fn)(const struct ot_cur *cur, void *arg), void *arg);
/* A NUL-terminated text that fits a field of cap bytes; empty allowed when may_be_empty. */
bool ot_text_fits(const char *s, size_t cap, bool may_be_empty);
/* Writes queued alert rows (before reads of alerts and at commit). */
int ot_store_alerts_flush(struct ot_store_tx *tx);
/* The shared row-by-row events insert (SQLite). */
int ot_store_events_insert_rows(struct ot_store_tx *tx, int64_t customer_id, int64_t device_id,
                                int64_t received_at, struct ot_store_event *ev, size_t n);

/* Lowercase hex of a 32-byte hash into out[65]. */
void ot_store_hex32(const uint8_t h[32], char out[65]);

#endif
