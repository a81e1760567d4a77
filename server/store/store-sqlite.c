/*
 * The SQLite backend: one database file in WAL mode with synchronous=FULL (a
 * commit is on disk when COMMIT returns), a busy timeout, BEGIN IMMEDIATE for
 * writers, and each connection's prepared statements cached by statement id.
 * The events batch goes through the shared row-by-row path with one cached
 * INSERT (store-events.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "store/store-int.h"

/* How long a writer waits for another connection's write lock before OT_EAGAIN. */
#define SQLITE_BUSY_MS 5000

static const char *const sqlite_migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE customers ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);"
    "CREATE TABLE sites ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, name TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, UNIQUE (customer_id, name));"
    "CREATE TABLE tokens ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, site_id INTEGER NOT NULL,"
    " kind TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, used_at INTEGER NOT NULL DEFAULT 0,"
    " device_id INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX tokens_customer ON tokens (customer_id);"
    "CREATE TABLE devices ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, site_id INTEGER NOT NULL,"
    " name TEXT NOT NULL, kind TEXT NOT NULL, cred_hash TEXT NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0,"
    " last_seen INTEGER NOT NULL DEFAULT 0, spool_dropped INTEGER NOT NULL DEFAULT 0,"
    " events INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX devices_customer ON devices (customer_id, id);"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, device_id INTEGER NOT NULL,"
    " event_id TEXT NOT NULL, event_type TEXT NOT NULL, ts INTEGER NOT NULL,"
    " received_at INTEGER NOT NULL, body TEXT NOT NULL, UNIQUE (customer_id, event_id));"
    "CREATE INDEX events_received ON events (customer_id, received_at);"
    "CREATE TABLE alerts ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, device_id INTEGER NOT NULL,"
    " ts INTEGER NOT NULL, sid INTEGER NOT NULL, severity INTEGER NOT NULL,"
    " family TEXT NOT NULL, signature TEXT NOT NULL, src_ip TEXT NOT NULL,"
    " dest_ip TEXT NOT NULL, src_port INTEGER NOT NULL, dest_port INTEGER NOT NULL,"
    " entity TEXT NOT NULL, count INTEGER NOT NULL, incident_id INTEGER NOT NULL,"
    " suppressed_by INTEGER NOT NULL);"
    "CREATE INDEX alerts_incident ON alerts (customer_id, incident_id);"
    "CREATE INDEX alerts_ts ON alerts (customer_id, ts);"
    "CREATE TABLE incidents ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, family TEXT NOT NULL,"
    " entity TEXT NOT NULL, severity INTEGER NOT NULL, status INTEGER NOT NULL,"
    " resolution INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " alert_count INTEGER NOT NULL, event_count INTEGER NOT NULL,"
    " correlation TEXT NOT NULL, related_id INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX incidents_group ON incidents (customer_id, family, entity, last_seen);"
    "CREATE INDEX incidents_customer ON incidents (customer_id, last_seen);"
    "CREATE INDEX incidents_last ON incidents (last_seen);"
    "CREATE TABLE suppressions ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, name TEXT NOT NULL,"
    " sid INTEGER NOT NULL, family TEXT NOT NULL, src TEXT NOT NULL, dest TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, UNIQUE (customer_id, name));"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, at INTEGER NOT NULL,"
    " actor TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL,"
    " detail TEXT NOT NULL);"
    "CREATE INDEX audit_customer ON audit (customer_id, id);"
    "CREATE INDEX audit_object ON audit (object, id);",
};

/*
 * SQLite result code -> ot_err.  Busy past the timeout, a full disk, I/O
 * errors, a file that cannot be opened or written: the database is
 * unavailable (OT_EAGAIN, the API answers 503).
 */
static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_PERM:
        return OT_EAGAIN;
    case SQLITE_NOMEM:
        return OT_ENOMEM;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return OT_EEXIST;
        return OT_EINVAL;
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        return OT_EINVAL;
    default:
        return OT_EIO;
    }
}

/* Records the connection's error for rc and returns it mapped. */
static int sq_fail(struct ot_store_tx *tx, int rc)
{
    return ot_store_fail(tx, map_rc(rc), tx->db ? sqlite3_errmsg(tx->db) : "no connection");
}

static int sq_exec(struct ot_store_tx *tx, const char *sql)
{
    int rc = sqlite3_exec(tx->db, sql, NULL, NULL, NULL);
    tx->statements++;
    return rc == SQLITE_OK ? 0 : sq_fail(tx, rc);
}

/*
 * Opens the file (created 0600 first: SQLite gives its -wal and -shm files
 * the database file's mode) and switches it to WAL with synchronous=FULL.
 */
static int sq_connect(struct ot_store_tx *tx, char *err, size_t errlen)
{
    const char *path = tx->st->target;
    sqlite3 *db = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "store: cannot open %s: %s", path, strerror(errno));
        return errno == ENOMEM ? OT_ENOMEM : OT_EAGAIN;
    }
    close(fd);
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        goto out_fail;
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
    sqlite3_stmt *s;
    rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
    if (rc != SQLITE_OK)
        goto out_fail;
    rc = sqlite3_step(s);
    bool wal = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW)
        goto out_fail;
    if (!wal) {
        snprintf(err, errlen, "store: %s: cannot switch to WAL mode", path);
        sqlite3_close(db);
        return OT_EIO;
    }
    rc = sqlite3_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto out_fail;
    tx->db = db;
    return 0;
out_fail:
    snprintf(err, errlen, "store: %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return map_rc(rc);
}

static void sq_disconnect(struct ot_store_tx *tx)
{
    for (int i = 0; i < OT_SQL_COUNT; i++) {
        sqlite3_finalize(tx->stmts[i]);
        tx->stmts[i] = NULL;
        tx->stmt_busy[i] = false;
    }
    sqlite3_close(tx->db);
    tx->db = NULL;
}

static void write_unlock(struct ot_store_tx *tx)
{
    if (tx->write_locked) {
        tx->write_locked = false;
        pthread_mutex_unlock(&tx->st->write_mu);
    }
}

/*
 * Writers of this process wait for each other on a mutex (woken at once)
 * instead of SQLite's sleeping retries; other processes are waited for by
 * the busy timeout.  Both waits end in OT_EAGAIN after SQLITE_BUSY_MS.
 */
static int sq_begin(struct ot_store_tx *tx, bool write)
{
    if (!write)
        return sq_exec(tx, "BEGIN");
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += SQLITE_BUSY_MS / 1000;
    until.tv_nsec += (long)(SQLITE_BUSY_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    if (pthread_mutex_timedlock(&tx->st->write_mu, &until))
        return ot_store_fail(tx, OT_EAGAIN, "another writer of this process held the database");
    tx->write_locked = true;
    int rc = sq_exec(tx, "BEGIN IMMEDIATE");
    if (rc)
        write_unlock(tx);
    return rc;
}

static int sq_commit(struct ot_store_tx *tx)
{
    int rc = sq_exec(tx, "COMMIT");
    if (!rc)
        write_unlock(tx);
    return rc; /* on failure the caller rolls back, which unlocks */
}

static void sq_rollback(struct ot_store_tx *tx)
{
    /* SQLite may have rolled back already (a full disk, an I/O error). */
    if (tx->db && !sqlite3_get_autocommit(tx->db))
        sqlite3_exec(tx->db, "ROLLBACK", NULL, NULL, NULL);
    write_unlock(tx);
}

static int sq_lock_noop(struct ot_store_tx *tx)
{
    return 0;
}

/* The write transaction (BEGIN IMMEDIATE) already holds the database's only write lock. */
static int sq_lock_customer(struct ot_store_tx *tx, int64_t customer_id)
{
    return 0;
}

/* Prepares q's text with $N written as ?N (the same numbered parameter in SQLite). */
static int sq_prepare(struct ot_store_tx *tx, const struct ot_sql *q, bool persistent,
                      sqlite3_stmt **out)
{
    size_t len = strlen(q->sqlite);
    char *sql = malloc(len + 1);
    if (!sql)
        return OT_ENOMEM;
    for (size_t i = 0; i <= len; i++)
        sql[i] = q->sqlite[i] == '$' ? '?' : q->sqlite[i];
    int rc = sqlite3_prepare_v3(tx->db, sql, (int)len, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
                                out, NULL);
    free(sql);
    return rc == SQLITE_OK ? 0 : sq_fail(tx, rc);
}

/*
 * Binds p to a statement from the connection's cache (a fresh one when the
 * cached one is in use by an outer query, e.g. a list whose callback reads).
 */
static int sq_query(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n,
                    struct ot_cur *cur)
{
    sqlite3_stmt *s = NULL;
    int rc;
    if (tx->stmts[q->id] && !tx->stmt_busy[q->id]) {
        s = tx->stmts[q->id];
        cur->slot = (int)q->id;
    } else {
        bool cache = !tx->stmts[q->id];
        rc = sq_prepare(tx, q, cache, &s);
        if (rc)
            return rc;
        if (cache) {
            tx->stmts[q->id] = s;
            cur->slot = (int)q->id;
        }
    }
    if (cur->slot >= 0)
        tx->stmt_busy[cur->slot] = true;
    cur->h = s;
    tx->statements++;
    int np = sqlite3_bind_parameter_count(s);
    for (size_t i = 0; i < n && (int)i < np; i++) {
        int col = (int)i + 1;
        switch (p[i].type) {
        case OT_SP_INT:
            rc = sqlite3_bind_int64(s, col, p[i].i);
            break;
        case OT_SP_TEXT:
            rc = sqlite3_bind_text64(s, col, p[i].s, p[i].n, SQLITE_STATIC, SQLITE_UTF8);
            break;
        default:
            rc = sqlite3_bind_null(s, col);
            break;
        }
        if (rc != SQLITE_OK)
            return sq_fail(tx, rc);
    }
    return 0;
}

static int sq_next(struct ot_cur *cur)
{
    int rc = sqlite3_step(cur->h);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sq_fail(cur->tx, rc);
}

static int64_t sq_col_int(const struct ot_cur *cur, int col)
{
    return sqlite3_column_int64(cur->h, col);
}

static const char *sq_col_text(const struct ot_cur *cur, int col)
{
    const unsigned char *t = sqlite3_column_text(cur->h, col);
    return t ? (const char *)t : "";
}

static void sq_done(struct ot_cur *cur)
{
    if (cur->slot >= 0) {
        sqlite3_reset(cur->h);
        sqlite3_clear_bindings(cur->h);
        cur->tx->stmt_busy[cur->slot] = false;
    } else {
        sqlite3_finalize(cur->h);
    }
}

const struct ot_store_ops ot_store_sqlite_ops = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .exec = sq_exec,
    .lock_schema = sq_lock_noop,
    .lock_customer = sq_lock_customer,
    .query = sq_query,
    .next = sq_next,
    .col_int = sq_col_int,
    .col_text = sq_col_text,
    .done = sq_done,
    .events_insert = NULL,
    .migrations = sqlite_migrations,
    .nmigrations = OT_ARRAY_SIZE(sqlite_migrations),
};
