/*
 * The store's shared part: opening (URL → backend), the bounded connection
 * pool, transactions, schema migrations, the meta table and the query
 * helpers the domain files (store-tenants.c, store-triage.c) use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "store/store-int.h"

static const struct ot_sql SQL_META_GET = {OT_SQL_META_GET,
                                           "SELECT value FROM meta WHERE name = $1", NULL};
static const struct ot_sql SQL_META_SET = {
    OT_SQL_META_SET,
    "INSERT INTO meta (name, value) VALUES ($1, $2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    NULL};

#define META_SCHEMA_KEY "schema_version"

/*
 * Splits url into a backend and its target: "postgresql://…"/"postgres://…"
 * go to PostgreSQL whole; "sqlite:PATH" or a plain path to SQLite.
 */
static int parse_url(const char *url, enum ot_store_kind *kind, const char **target)
{
    if (!url || !*url)
        return OT_EINVAL;
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
        *kind = OT_STORE_PG;
        *target = url;
        return 0;
    }
    if (!strncmp(url, "sqlite:", 7))
        url += 7;
    if (!*url)
        return OT_EINVAL;
    *kind = OT_STORE_SQLITE;
    *target = url;
    return 0;
}

int ot_store_fail(struct ot_store_tx *tx, int err, const char *msg)
{
    if (msg)
        ot_strlcpy(tx->errmsg, msg, sizeof(tx->errmsg));
    if (err == OT_EAGAIN) {
        pthread_mutex_lock(&tx->st->mu);
        tx->st->stats.unavailable++;
        pthread_mutex_unlock(&tx->st->mu);
    }
    if (tx->active && !tx->failed && (err == OT_EAGAIN || tx->st->kind == OT_STORE_PG))
        tx->failed = err;
    return err;
}

void ot_store_count_truncated(struct ot_store *st)
{
    pthread_mutex_lock(&st->mu);
    st->stats.list_truncated++;
    pthread_mutex_unlock(&st->mu);
}

void ot_store_stats(struct ot_store *st, struct ot_store_stats *out)
{
    pthread_mutex_lock(&st->mu);
    *out = st->stats;
    pthread_mutex_unlock(&st->mu);
}

void ot_store_hex32(const uint8_t h[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[64] = '\0';
}

/* ---- query helpers ---- */

int ot_q_open(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n,
              struct ot_cur *cur)
{
    memset(cur, 0, sizeof(*cur));
    cur->tx = tx;
    cur->slot = -1;
    if (tx->failed)
        return tx->failed;
    return tx->st->ops->query(tx, q, p, n, cur);
}

int ot_q_next(struct ot_cur *cur)
{
    return cur->tx->st->ops->next(cur);
}

int64_t ot_q_int(const struct ot_cur *cur, int col)
{
    return cur->tx->st->ops->col_int(cur, col);
}

const char *ot_q_text(const struct ot_cur *cur, int col)
{
    return cur->tx->st->ops->col_text(cur, col);
}

void ot_q_text_copy(const struct ot_cur *cur, int col, char *dst, size_t cap)
{
    ot_strlcpy(dst, ot_q_text(cur, col), cap);
}

void ot_q_done(struct ot_cur *cur)
{
    if (cur->h)
        cur->tx->st->ops->done(cur);
    cur->h = NULL;
}

int ot_q_exec(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n)
{
    struct ot_cur cur;
    int rc = ot_q_open(tx, q, p, n, &cur);
    while (rc == 0 && (rc = ot_q_next(&cur)) == 1)
        rc = 0;
    ot_q_done(&cur);
    return rc;
}

int ot_q_int1(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n,
              int64_t *v)
{
    struct ot_cur cur;
    int rc = ot_q_open(tx, q, p, n, &cur);
    if (rc)
        goto out;
    rc = ot_q_next(&cur);
    if (rc == 1) {
        *v = ot_q_int(&cur, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = OT_ENOENT;
    }
out:
    ot_q_done(&cur);
    return rc;
}

/* A NUL-terminated text that fits a field of cap bytes; empty allowed when may_be_empty. */
bool ot_text_fits(const char *s, size_t cap, bool may_be_empty)
{
    if (!s)
        return false;
    size_t n = strnlen(s, cap);
    return n < cap && (may_be_empty || n > 0);
}

/*
 * Reads rows of q and hands each to fn, at most OT_STORE_LIST_MAX of them
 * (the statements ask for one more, to know; the cut is counted).  A
 * non-zero return of fn stops and is returned.
 */
int ot_q_each(struct ot_store_tx *tx, const struct ot_sql *q, const struct ot_sp *p, size_t n,
              int (*fn)(const struct ot_cur *cur, void *arg), void *arg)
{
    struct ot_cur cur;
    size_t rows = 0;
    int rc = ot_q_open(tx, q, p, n, &cur);
    while (rc == 0) {
        rc = ot_q_next(&cur);
        if (rc != 1)
            break;
        if (rows++ == OT_STORE_LIST_MAX) {
            ot_store_count_truncated(tx->st);
            rc = 0;
            break;
        }
        rc = fn(&cur, arg);
    }
    ot_q_done(&cur);
    return rc;
}

/* ---- the pool ---- */

/* Connects (or reconnects) a pooled connection; OT_EAGAIN when the database is away. */
static int conn_ensure(struct ot_store_tx *tx)
{
    struct ot_store *st = tx->st;
    if (tx->db && !tx->broken)
        return 0;
    bool again = tx->db != NULL;
    if (tx->db)
        st->ops->disconnect(tx);
    tx->broken = false;
    char err[256];
    int rc = st->ops->connect(tx, err, sizeof(err));
    if (rc) {
        ot_strlcpy(tx->errmsg, err, sizeof(tx->errmsg));
        pthread_mutex_lock(&st->mu);
        st->stats.unavailable++;
        pthread_mutex_unlock(&st->mu);
        return OT_EAGAIN;
    }
    if (again) {
        pthread_mutex_lock(&st->mu);
        st->stats.reconnects++;
        pthread_mutex_unlock(&st->mu);
    }
    return 0;
}

/* Takes a free connection, waiting while all are in use. */
static struct ot_store_tx *pool_take(struct ot_store *st)
{
    pthread_mutex_lock(&st->mu);
    st->stats.begins++;
    if (!st->free_list)
        st->stats.waits++;
    while (!st->free_list)
        pthread_cond_wait(&st->cv, &st->mu);
    struct ot_store_tx *tx = st->free_list;
    st->free_list = tx->next_free;
    tx->next_free = NULL;
    pthread_mutex_unlock(&st->mu);
    return tx;
}

/* Gives a connection back and wakes one waiter. */
static void pool_give(struct ot_store_tx *tx)
{
    struct ot_store *st = tx->st;
    tx->active = false;
    tx->failed = 0;
    tx->supp.customer_id = 0;
    tx->nalerts = 0;
    pthread_mutex_lock(&st->mu);
    st->stats.statements += tx->statements;
    tx->statements = 0;
    tx->next_free = st->free_list;
    st->free_list = tx;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

/*
 * Opens a transaction on tx's connection.  A connection found lost at BEGIN
 * (the server restarted while it sat in the pool) is reset and BEGIN tried
 * once more: nothing of this transaction had run yet.
 */
static int tx_begin(struct ot_store_tx *tx, bool write)
{
    const struct ot_store_ops *ops = tx->st->ops;
    int rc = conn_ensure(tx);
    if (rc)
        return rc;
    rc = ops->begin(tx, write);
    if (rc && tx->broken) {
        rc = conn_ensure(tx);
        if (rc)
            return rc;
        rc = ops->begin(tx, write);
    }
    if (rc)
        return rc;
    tx->active = true;
    tx->write = write;
    tx->failed = 0;
    tx->errmsg[0] = '\0';
    return 0;
}

int ot_store_begin(struct ot_store *st, bool write, struct ot_store_tx **out)
{
    struct ot_store_tx *tx = pool_take(st);
    int rc = tx_begin(tx, write);
    if (rc) {
        if (tx->errmsg[0])
            ot_debug("store: %s", tx->errmsg);
        pool_give(tx);
        return rc;
    }
    *out = tx;
    return 0;
}

int ot_store_commit(struct ot_store_tx *tx)
{
    const struct ot_store_ops *ops = tx->st->ops;
    int rc = ot_store_alerts_flush(tx);
    if (!rc)
        rc = tx->failed;
    if (rc) {
        ops->rollback(tx);
        goto out;
    }
    rc = ops->commit(tx);
    if (rc)
        ops->rollback(tx);
out:
    pool_give(tx);
    return rc;
}

void ot_store_rollback(struct ot_store_tx *tx)
{
    tx->st->ops->rollback(tx);
    pool_give(tx);
}

int ot_store_alerts_flush(struct ot_store_tx *tx)
{
    if (tx->failed)
        return tx->failed;
    if (!tx->nalerts || !tx->st->ops->alerts_flush)
        return 0;
    return tx->st->ops->alerts_flush(tx);
}

int ot_store_lock_customer(struct ot_store_tx *tx, int64_t customer_id)
{
    if (tx->failed)
        return tx->failed;
    return tx->st->ops->lock_customer(tx, customer_id);
}

const char *ot_store_errmsg(const struct ot_store_tx *tx)
{
    return tx->errmsg;
}

enum ot_store_kind ot_store_kind(const struct ot_store *st)
{
    return st->kind;
}

/* ---- meta ---- */

int ot_store_meta_get(struct ot_store_tx *tx, const char *key, char *val, size_t len)
{
    struct ot_sp p[] = {ot_sp_text(key)};
    struct ot_cur cur;
    int rc = ot_q_open(tx, &SQL_META_GET, p, 1, &cur);
    if (rc)
        goto out;
    rc = ot_q_next(&cur);
    if (rc == 1)
        rc = ot_strlcpy(val, ot_q_text(&cur, 0), len) ? 0 : OT_ELIMIT;
    else if (rc == 0)
        rc = OT_ENOENT;
out:
    ot_q_done(&cur);
    return rc;
}

int ot_store_meta_set(struct ot_store_tx *tx, const char *key, const char *val)
{
    struct ot_sp p[] = {ot_sp_text(key), ot_sp_text(val)};
    return ot_q_exec(tx, &SQL_META_SET, p, 2);
}

/* ---- opening ---- */

/*
 * Brings the schema to the newest version this build knows, in one write
 * transaction (PostgreSQL: under an advisory lock, so two servers starting
 * together do not both migrate).  A database newer than this build is
 * refused rather than guessed at.
 */
static int migrate(struct ot_store_tx *tx, char *err, size_t errlen)
{
    const struct ot_store_ops *ops = tx->st->ops;
    char buf[32];
    uint64_t version = 0;
    int rc = tx_begin(tx, true);
    if (rc) {
        snprintf(err, errlen, "cannot start the schema transaction: %s", tx->errmsg);
        return rc;
    }
    rc = ops->lock_schema(tx);
    if (!rc)
        rc = ops->exec(tx, "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, "
                           "value TEXT NOT NULL)");
    if (rc)
        goto out_fail;
    rc = ot_store_meta_get(tx, META_SCHEMA_KEY, buf, sizeof(buf));
    if (rc == 0) {
        if (ot_parse_u64(buf, 0, 1000000, &version)) {
            snprintf(err, errlen, "the database's schema version '%s' is not a number", buf);
            rc = OT_EINVAL;
            goto out_rollback;
        }
    } else if (rc != OT_ENOENT) {
        goto out_fail;
    }
    if (version > ops->nmigrations) {
        snprintf(err, errlen,
                 "the database's schema version %llu is newer than this server's (%u): "
                 "upgrade otasuke-server",
                 (unsigned long long)version, ops->nmigrations);
        rc = OT_EUNSUPP;
        goto out_rollback;
    }
    for (unsigned v = (unsigned)version; v < ops->nmigrations; v++) {
        rc = ops->exec(tx, ops->migrations[v]);
        if (rc) {
            snprintf(err, errlen, "schema step %u -> %u failed: %s", v, v + 1, tx->errmsg);
            goto out_rollback;
        }
        ot_info("store: schema %u -> %u", v, v + 1);
    }
    snprintf(buf, sizeof(buf), "%u", ops->nmigrations);
    rc = ot_store_meta_set(tx, META_SCHEMA_KEY, buf);
    if (rc)
        goto out_fail;
    rc = ops->commit(tx);
    if (rc)
        goto out_fail;
    tx->active = false;
    return 0;
out_fail:
    snprintf(err, errlen, "schema check failed: %s", tx->errmsg);
out_rollback:
    ops->rollback(tx);
    tx->active = false;
    tx->failed = 0;
    return rc;
}

int ot_store_open(const char *url, unsigned pool, struct ot_store **out, char *err, size_t errlen)
{
    enum ot_store_kind kind;
    const char *target;
    int rc;
    if (errlen)
        err[0] = '\0';
    if (parse_url(url, &kind, &target)) {
        snprintf(err, errlen, "store: '%s' is not sqlite:PATH, a path or postgresql://...",
                 url ? url : "");
        return OT_EINVAL;
    }
    if (pool < 1)
        pool = 1;
    if (pool > OT_STORE_POOL_MAX) {
        snprintf(err, errlen, "store: a pool of %u connections is more than %u", pool,
                 OT_STORE_POOL_MAX);
        return OT_EINVAL;
    }
    struct ot_store *st = calloc(1, sizeof(*st));
    if (!st)
        return OT_ENOMEM;
    st->kind = kind;
    st->ops = kind == OT_STORE_PG ? &ot_store_pg_ops : &ot_store_sqlite_ops;
    st->target = strdup(target);
    st->conns = calloc(pool, sizeof(*st->conns));
    if (!st->target || !st->conns) {
        rc = OT_ENOMEM;
        goto out_free;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_mutex_init(&st->write_mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    st->nconns = pool;
    for (unsigned i = pool; i-- > 0;) {
        st->conns[i].st = st;
        st->conns[i].next_free = st->free_list;
        st->free_list = &st->conns[i];
    }
    /* The first connection is made now (a wrong URL fails here); the others on first use. */
    rc = st->ops->connect(&st->conns[0], err, errlen);
    if (rc)
        goto out_close;
    rc = migrate(&st->conns[0], err, errlen);
    if (rc)
        goto out_close;
    *out = st;
    return 0;
out_close:
    ot_store_close(st);
    return rc;
out_free:
    free(st->target);
    free(st->conns);
    free(st);
    return rc;
}

void ot_store_close(struct ot_store *st)
{
    if (!st)
        return;
    for (unsigned i = 0; i < st->nconns; i++) {
        if (st->conns[i].db)
            st->ops->disconnect(&st->conns[i]);
        free(st->conns[i].alerts);
    }
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->write_mu);
    pthread_mutex_destroy(&st->mu);
    free(st->conns);
    free(st->target);
    free(st);
}
