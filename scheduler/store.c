/*
 * The store: SQLite, owned by this process alone.
 *
 * Every statement the scheduler runs is written out below, in one table,
 * and reached only through typed functions (store_user_insert(), ...).
 * Nothing else in the scheduler includes sqlite3.h.  Two reasons: a reader
 * can audit all the SQL in one screenful, and the day the store becomes
 * PostgreSQL (ARCHITECTURE.md, "Scaling out") only this file changes.  No
 * statement is ever assembled from input: values travel as bound
 * parameters, and the only string formatting is the schema version number
 * of a migration, a constant of this file.
 *
 * Connection settings.  WAL lets the nginx workers read while we write;
 * synchronous=FULL makes COMMIT wait for fsync, which is what "durable"
 * means in a reply, and since a whole batch of commands shares one COMMIT
 * the fsync is paid once per batch (group commit).  foreign_keys=ON
 * because SQLite leaves it off by default.
 *
 * Statements are prepared on first use (a migration must have created the
 * tables first) with SQLITE_PREPARE_PERSISTENT, kept for the life of the
 * connection, and reset and cleared after every use, so a statement never
 * holds a read cursor open between batches.
 *
 * Schema changes are numbered migrations.  PRAGMA user_version holds the
 * last one applied; each runs in its own transaction together with the
 * version bump, so a crash leaves the schema at one version or the next,
 * never in between.  A database newer than this binary is refused.
 *
 * Errors.  A function returns STORE_ERROR and the store remembers SQLite's
 * extended code and message.  The batch loop needs to tell two kinds
 * apart (store_db_failed): an error of one statement (a constraint we did
 * not foresee, a type mismatch: a bug, or bad data in one command) rejects
 * that command only, while an error of the database (I/O, disk full, lock,
 * corruption, or SQLite having rolled the transaction back by itself)
 * means the whole batch must be retried later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "hrx_prepare.h"
#include "hrx_search.h"
#include "schema.h"
#include "store.h"
#include "store_int.h"
#include "store_vfs.h"

enum {
    STMT_BEGIN = 0,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_SAVEPOINT,
    STMT_SAVEPOINT_RELEASE,
    STMT_SAVEPOINT_ROLLBACK,
    STMT_USER_VERSION,
    STMT_META_GET,
    STMT_META_SET,
    STMT_TENANT_INSERT,
    STMT_TENANT_GET,
    STMT_TENANT_SLUG_TAKEN,
    STMT_ROLE_INSERT,
    STMT_ROLE_GET,
    STMT_ROLE_GET_BUILTIN_ADMIN,
    STMT_USER_INSERT,
    STMT_USER_GET,
    STMT_USER_GET_ANY_TENANT,
    STMT_USER_EMAIL_TAKEN,
    STMT_USER_UPDATE,
    STMT_USER_COUNT,
    STMT_USER_COUNT_WITH_PERMISSION,
    STMT_SESSION_INSERT,
    STMT_SESSION_DELETE,
    STMT_SESSION_DELETE_USER,
    STMT_SESSION_DELETE_EXPIRED,
    STMT_TOKEN_INSERT,
    STMT_TOKEN_GET,
    STMT_TOKEN_DELETE,
    STMT_AUDIT_INSERT,
    STMT_REPLIES_SAVE,
    STMT_REPLIES_GET,
    STMT_MAX
};

#define USER_COLUMNS                                                          \
    "SELECT u.id, u.tenant_id, u.email, u.name, u.status, u.role_id,"         \
    " r.name, r.permissions, u.platform_admin, u.password_hash IS NOT NULL,"  \
    " u.created_at, u.created_by, u.updated_at, u.updated_by"                 \
    " FROM users u JOIN roles r ON r.id = u.role_id"

#define ROLE_COLUMNS                                                          \
    "SELECT id, tenant_id, name, permissions, builtin FROM roles"

static const char *const store_sql[STMT_MAX] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_SAVEPOINT] = "SAVEPOINT cmd",
    [STMT_SAVEPOINT_RELEASE] = "RELEASE cmd",
    [STMT_SAVEPOINT_ROLLBACK] = "ROLLBACK TO cmd",
    [STMT_USER_VERSION] = "PRAGMA user_version",

    [STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [STMT_META_SET] =
        "INSERT INTO meta (key, value) VALUES (?1, ?2)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",

    [STMT_TENANT_INSERT] =
        "INSERT INTO tenants (slug, name, time_zone, created_at, created_by,"
        " updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?5)"
        " RETURNING id",
    [STMT_TENANT_GET] =
        "SELECT id, slug, name, time_zone, created_at, created_by,"
        " updated_at, updated_by FROM tenants WHERE id = ?1",
    [STMT_TENANT_SLUG_TAKEN] = "SELECT 1 FROM tenants WHERE slug = ?1",

    [STMT_ROLE_INSERT] =
        "INSERT INTO roles (tenant_id, name, permissions, builtin,"
        " created_at, created_by, updated_at, updated_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?6) RETURNING id",
    [STMT_ROLE_GET] = ROLE_COLUMNS " WHERE tenant_id = ?1 AND id = ?2",
    [STMT_ROLE_GET_BUILTIN_ADMIN] =
        ROLE_COLUMNS " WHERE tenant_id = ?1 AND builtin = 1 AND name = 'admin'",

    [STMT_USER_INSERT] =
        "INSERT INTO users (tenant_id, email, name, password_hash, role_id,"
        " platform_admin, created_at, created_by, updated_at, updated_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, ?8) RETURNING id",
    [STMT_USER_GET] = USER_COLUMNS " WHERE u.tenant_id = ?1 AND u.id = ?2",
    [STMT_USER_GET_ANY_TENANT] = USER_COLUMNS " WHERE u.id = ?1",
    [STMT_USER_EMAIL_TAKEN] =
        "SELECT 1 FROM users WHERE tenant_id = ?1 AND email = ?2",
    [STMT_USER_UPDATE] =
        "UPDATE users SET name = ?3, status = ?4, role_id = ?5,"
        " password_hash = coalesce(?6, password_hash),"
        " updated_at = ?7, updated_by = ?8"
        " WHERE tenant_id = ?1 AND id = ?2",
    [STMT_USER_COUNT] = "SELECT count(*) FROM users",
    [STMT_USER_COUNT_WITH_PERMISSION] =
        "SELECT count(*) FROM users u JOIN roles r ON r.id = u.role_id"
        " WHERE u.tenant_id = ?1 AND u.id <> ?3 AND u.status = 'active'"
        " AND EXISTS (SELECT 1 FROM json_each(r.permissions)"
        "             WHERE json_each.value = ?2)",

    [STMT_SESSION_INSERT] =
        "INSERT INTO sessions (token_hash, user_id, tenant_id, created_at,"
        " expires_at, user_agent, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " RETURNING id",
    [STMT_SESSION_DELETE] =
        "DELETE FROM sessions WHERE tenant_id = ?1 AND token_hash = ?2"
        " RETURNING id",
    [STMT_SESSION_DELETE_USER] =
        "DELETE FROM sessions WHERE tenant_id = ?1 AND user_id = ?2",
    [STMT_SESSION_DELETE_EXPIRED] =
        "DELETE FROM sessions WHERE expires_at <= ?1",

    [STMT_TOKEN_INSERT] =
        "INSERT INTO api_tokens (tenant_id, user_id, name, token_hash, prefix,"
        " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " RETURNING id",
    [STMT_TOKEN_GET] =
        "SELECT id, tenant_id, user_id, name, prefix, created_at, expires_at"
        " FROM api_tokens WHERE tenant_id = ?1 AND id = ?2",
    [STMT_TOKEN_DELETE] =
        "DELETE FROM api_tokens WHERE tenant_id = ?1 AND id = ?2",

    [STMT_AUDIT_INSERT] =
        "INSERT INTO audit_log (ring_pos, tenant_id, actor_id, op,"
        " object_type, object_id, outcome, at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",

    /* one row: the replies of the last batch (store_replies_save) */
    [STMT_REPLIES_SAVE] =
        "INSERT INTO batch_replies (id, ring_pos, replies, at)"
        " VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET"
        " ring_pos = excluded.ring_pos, replies = excluded.replies,"
        " at = excluded.at",
    [STMT_REPLIES_GET] =
        "SELECT ring_pos, replies FROM batch_replies WHERE id = 1",
};



#define STORE_SCHEMA_VERSION  store_migration_count

struct store_s {
    sqlite3       *db;
    sqlite3_stmt  *stmts[STMT_MAX];
    int            errcode;          /* extended SQLite code of last error */
    int            in_txn;           /* between store_begin and its end */
    char           errmsg[512];
    void          *caches[STORE_CACHE_MAX];   /* the other store files'
                                                statements */
};

static void store_int_cache_close(store_t *st, store_cache_e which);

/* -------------------------------------------------------------------- */
/* helpers */

static void
store_set_error(store_t *st, int rc, const char *what)
{
    st->errcode = rc;
    snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s (%d)", what,
             sqlite3_errmsg(st->db), rc);
}

/*
 * The cached statement for id, prepared on first use.  NULL on error
 * (recorded in the store).
 */
static sqlite3_stmt *
store_stmt(store_t *st, int id)
{
    int  rc;

    if (st->stmts[id] == NULL) {
        rc = hrx_prepare(st->db, store_sql[id], SQLITE_PREPARE_PERSISTENT,
                         &st->stmts[id]);
        if (rc != SQLITE_OK) {
            store_set_error(st, rc, "prepare");
            st->stmts[id] = NULL;
            return NULL;
        }
    }
    return st->stmts[id];
}

/* after every use: no cursor stays open, no value stays bound */
static void
store_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

/*
 * Step a statement that must end with SQLITE_DONE (or yield a first row
 * that the caller does not need).  Returns STORE_OK, STORE_CONFLICT on a
 * UNIQUE / PRIMARY KEY violation, STORE_ERROR otherwise.  Resets it.
 */
static int
store_exec(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    int  rc;

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        store_done(stmt);
        return STORE_OK;
    }

    store_set_error(st, rc, what);
    store_done(stmt);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return STORE_CONFLICT;
    }
    return STORE_ERROR;
}

/*
 * Step an INSERT ... RETURNING id (or a DELETE ... RETURNING id) and read
 * the id.  STORE_NOTFOUND when no row was returned.
 */
static int
store_exec_returning(store_t *st, sqlite3_stmt *stmt, const char *what,
    int64_t *id)
{
    int  rc;

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
        store_done(stmt);
        return STORE_OK;
    }
    if (rc == SQLITE_DONE) {
        store_done(stmt);
        return STORE_NOTFOUND;
    }

    store_set_error(st, rc, what);
    store_done(stmt);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return STORE_CONFLICT;
    }
    return STORE_ERROR;
}

/* step a query expected to return one row: STORE_OK (row ready),
 * STORE_NOTFOUND or STORE_ERROR (both reset) */
static int
store_step_row(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    int  rc;

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        return STORE_OK;
    }
    if (rc == SQLITE_DONE) {
        store_done(stmt);
        return STORE_NOTFOUND;
    }
    store_set_error(st, rc, what);
    store_done(stmt);
    return STORE_ERROR;
}

/* NULL binds SQL NULL */
static int
bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
    if (s == NULL) {
        return sqlite3_bind_null(stmt, i);
    }
    return sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
}

/* ids and times: 0 binds SQL NULL (the system; no expiry) */
static int
bind_id(sqlite3_stmt *stmt, int i, int64_t v)
{
    if (v == 0) {
        return sqlite3_bind_null(stmt, i);
    }
    return sqlite3_bind_int64(stmt, i, v);
}

/* copy a text column; -1 when it does not fit (never cut silently) */
static int
column_text(sqlite3_stmt *stmt, int col, char *buf, size_t size)
{
    const unsigned char  *s;
    int                   n;

    s = sqlite3_column_text(stmt, col);
    n = sqlite3_column_bytes(stmt, col);
    if (s == NULL) {
        buf[0] = '\0';
        return 0;
    }
    if ((size_t) n >= size) {
        return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 0;
}

/* a row whose text would not fit its buffer: a statement-level error */
static int
store_too_big(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    st->errcode = SQLITE_TOOBIG;
    snprintf(st->errmsg, sizeof(st->errmsg),
             "%s: a stored value is longer than its buffer", what);
    store_done(stmt);
    return STORE_ERROR;
}

/* -------------------------------------------------------------------- */
/* open, close, migrate */

static int
store_pragma(store_t *st, const char *sql, const char *expect)
{
    sqlite3_stmt  *stmt;
    const char    *v;
    int            rc, ok;

    rc = hrx_prepare(st->db, sql, 0, &stmt);
    if (rc != SQLITE_OK) {
        store_set_error(st, rc, sql);
        return STORE_ERROR;
    }
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_set_error(st, rc, sql);
        sqlite3_finalize(stmt);
        return STORE_ERROR;
    }
    ok = 1;
    if (expect != NULL) {
        v = (rc == SQLITE_ROW) ? (const char *) sqlite3_column_text(stmt, 0)
                               : NULL;
        ok = (v != NULL && strcmp(v, expect) == 0);
        if (!ok) {
            st->errcode = SQLITE_ERROR;
            snprintf(st->errmsg, sizeof(st->errmsg),
                     "%s returned \"%s\", expected \"%s\"", sql,
                     v ? v : "(nothing)", expect);
        }
    }
    sqlite3_finalize(stmt);
    return ok ? STORE_OK : STORE_ERROR;
}

store_t *
store_open(const char *path, char *err, size_t errlen)
{
    store_t  *st;
    int       rc;

    st = calloc(1, sizeof(store_t));
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    /* store_vfs.c: a few large pwrites per commit; needs synchronous=FULL */
    rc = sqlite3_open_v2(path, &st->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                         | SQLITE_OPEN_NOMUTEX, store_vfs_register());
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        goto failed;
    }

    /*
     * Nobody else writes (the data directory's lock sees to that), so
     * waiting on a lock only happens when an operator holds one with the
     * sqlite3 shell.  Wait briefly, then let the loop back off and retry:
     * blocking here longer would leave the heartbeat stale.
     */
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, 1000);

    /*
     * Every command runs in a savepoint, so every statement keeps the
     * pages it changes in a sub-journal until the savepoint is released.
     * That journal is a temp file by default: an import of 100 000
     * candidates (one command) made 1.4 million small writes to it.  In
     * memory it costs what the command changes, and the page cache (64
     * MiB instead of 2) keeps such a batch from spilling to the WAL
     * before its commit.  Pages that are not in the cache are read
     * through a memory map rather than one pread each.
     */
    if (store_pragma(st, "PRAGMA journal_mode=WAL", "wal") != STORE_OK
        || store_pragma(st, "PRAGMA synchronous=FULL", NULL) != STORE_OK
        || store_pragma(st, "PRAGMA synchronous", "2") != STORE_OK
        || store_pragma(st, "PRAGMA mmap_size=1073741824", NULL) != STORE_OK
        || store_pragma(st, "PRAGMA foreign_keys=ON", NULL) != STORE_OK
        || store_pragma(st, "PRAGMA temp_store=MEMORY", NULL) != STORE_OK
        || store_pragma(st, "PRAGMA cache_size=-65536", NULL) != STORE_OK)
    {
        snprintf(err, errlen, "%s: %s", path, st->errmsg);
        goto failed;
    }

    /*
     * Saved searches with a regex leaf call hrx_regexp() (shm/hrx_search.h);
     * the scheduler evaluates them once bulk actions run here (BA-5).
     */
    rc = hrx_regexp_register(st->db);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot register hrx_regexp: %s", path,
                 sqlite3_errstr(rc));
        goto failed;
    }

    return st;

failed:
    sqlite3_close(st->db);
    free(st);
    return NULL;
}

void
store_close(store_t *st)
{
    int  i;

    if (st == NULL) {
        return;
    }
    store_res_close(st);
    for (i = STORE_CACHE_RESOURCE + 1; i < STORE_CACHE_MAX; i++) {
        store_int_cache_close(st, (store_cache_e) i);
    }
    for (i = 0; i < STMT_MAX; i++) {
        sqlite3_finalize(st->stmts[i]);
    }
    if (sqlite3_close(st->db) != SQLITE_OK) {
        /* a statement we did not finalize: a bug, but exit anyway */
        sqlite3_close_v2(st->db);
    }
    free(st);
}

const char *
store_errmsg(const store_t *st)
{
    return st->errmsg;
}

int
store_db_failed(const store_t *st)
{
    /* SQLite rolls a transaction back by itself after some errors */
    if (st->in_txn && sqlite3_get_autocommit(st->db)) {
        return 1;
    }

    switch (st->errcode & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_INTERRUPT:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOTADB:
        return 1;
    default:
        return 0;
    }
}

static int
store_user_version(store_t *st, int *version)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_USER_VERSION);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if (store_step_row(st, stmt, "user_version") != STORE_OK) {
        return STORE_ERROR;
    }
    *version = sqlite3_column_int(stmt, 0);
    store_done(stmt);
    return STORE_OK;
}

int
store_migrate(store_t *st)
{
    char  sql[64], what[64];
    int   version, rc;

    if (store_user_version(st, &version) != STORE_OK) {
        return STORE_ERROR;
    }

    if (version > STORE_SCHEMA_VERSION) {
        st->errcode = SQLITE_ERROR;
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "the database has schema version %d, newer than this "
                 "hrx-scheduler knows (%d): refusing to touch it",
                 version, STORE_SCHEMA_VERSION);
        return STORE_ERROR;
    }

    for ( /* void */ ; version < STORE_SCHEMA_VERSION; version++) {

        snprintf(what, sizeof(what), "migration %d", version + 1);

        rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            store_set_error(st, rc, what);
            return STORE_ERROR;
        }

        rc = sqlite3_exec(st->db, store_migrations[version], NULL, NULL,
                          NULL);
        if (rc != SQLITE_OK) {
            goto failed;
        }

        /* a constant of this file, not input: formatting is safe here */
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
        rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            goto failed;
        }

        rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            goto failed;
        }
    }

    return STORE_OK;

failed:
    store_set_error(st, rc, what);
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return STORE_ERROR;
}

/* -------------------------------------------------------------------- */
/* transactions */

static int
store_simple(store_t *st, int id, const char *what)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, id);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    return store_exec(st, stmt, what) == STORE_OK ? STORE_OK : STORE_ERROR;
}

/*
 * IMMEDIATE takes the write lock at BEGIN rather than at the first write,
 * so a lock problem shows up before any command is applied.
 */
int
store_begin(store_t *st)
{
    if (store_simple(st, STMT_BEGIN, "BEGIN") != STORE_OK) {
        return STORE_ERROR;
    }
    st->in_txn = 1;
    return STORE_OK;
}

int
store_commit(store_t *st)
{
    if (store_simple(st, STMT_COMMIT, "COMMIT") != STORE_OK) {
        return STORE_ERROR;
    }
    st->in_txn = 0;
    return STORE_OK;
}

/* after a failed batch; a transaction SQLite already ended is fine */
void
store_rollback(store_t *st)
{
    if (!sqlite3_get_autocommit(st->db)) {
        (void) store_simple(st, STMT_ROLLBACK, "ROLLBACK");
    }
    st->in_txn = 0;
}

int
store_savepoint(store_t *st)
{
    return store_simple(st, STMT_SAVEPOINT, "SAVEPOINT");
}

int
store_savepoint_release(store_t *st)
{
    return store_simple(st, STMT_SAVEPOINT_RELEASE, "RELEASE");
}

int
store_savepoint_rollback(store_t *st)
{
    return store_simple(st, STMT_SAVEPOINT_ROLLBACK, "ROLLBACK TO");
}

/* -------------------------------------------------------------------- */
/* meta */

int
store_meta_get_ring_pos(store_t *st, uint64_t *pos)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_stmt(st, STMT_META_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_text(stmt, 1, "ring_pos");
    rc = store_step_row(st, stmt, "meta ring_pos");
    if (rc == STORE_NOTFOUND) {
        *pos = 0;
        return STORE_OK;
    }
    if (rc != STORE_OK) {
        return rc;
    }
    *pos = (uint64_t) sqlite3_column_int64(stmt, 0);
    store_done(stmt);
    return STORE_OK;
}

int
store_meta_set_ring_pos(store_t *st, uint64_t pos)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_META_SET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_text(stmt, 1, "ring_pos");
    sqlite3_bind_int64(stmt, 2, (int64_t) pos);
    return store_exec(st, stmt, "set ring_pos") == STORE_OK ? STORE_OK
                                                            : STORE_ERROR;
}

/* -------------------------------------------------------------------- */
/* tenants and roles */

int
store_tenant_insert(store_t *st, const char *slug, const char *name,
    const char *time_zone, int64_t at, int64_t by, int64_t *id)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_TENANT_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_text(stmt, 1, slug);
    bind_text(stmt, 2, name);
    bind_text(stmt, 3, time_zone);
    sqlite3_bind_int64(stmt, 4, at);
    bind_id(stmt, 5, by);
    return store_exec_returning(st, stmt, "insert tenant", id);
}

int
store_tenant_get(store_t *st, int64_t id, store_tenant_t *t)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_stmt(st, STMT_TENANT_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, id);
    rc = store_step_row(st, stmt, "get tenant");
    if (rc != STORE_OK) {
        return rc;
    }

    t->id = sqlite3_column_int64(stmt, 0);
    if (column_text(stmt, 1, t->slug, sizeof(t->slug)) != 0
        || column_text(stmt, 2, t->name, sizeof(t->name)) != 0
        || column_text(stmt, 3, t->time_zone, sizeof(t->time_zone)) != 0)
    {
        return store_too_big(st, stmt, "get tenant");
    }
    t->created_at = sqlite3_column_int64(stmt, 4);
    t->created_by = sqlite3_column_int64(stmt, 5);
    t->updated_at = sqlite3_column_int64(stmt, 6);
    t->updated_by = sqlite3_column_int64(stmt, 7);
    store_done(stmt);
    return STORE_OK;
}

/* 1 taken, 0 free, STORE_ERROR */
static int
store_exists(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    int  rc;

    rc = store_step_row(st, stmt, what);
    if (rc == STORE_OK) {
        store_done(stmt);
        return 1;
    }
    return rc == STORE_NOTFOUND ? 0 : STORE_ERROR;
}

int
store_tenant_slug_taken(store_t *st, const char *slug)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_TENANT_SLUG_TAKEN);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_text(stmt, 1, slug);
    return store_exists(st, stmt, "tenant slug");
}

int
store_role_insert(store_t *st, int64_t tenant_id, const char *name,
    const char *permissions, int builtin, int64_t at, int64_t by,
    int64_t *id)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_ROLE_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    bind_text(stmt, 2, name);
    bind_text(stmt, 3, permissions);
    sqlite3_bind_int(stmt, 4, builtin ? 1 : 0);
    sqlite3_bind_int64(stmt, 5, at);
    bind_id(stmt, 6, by);
    return store_exec_returning(st, stmt, "insert role", id);
}

static int
store_role_row(store_t *st, sqlite3_stmt *stmt, const char *what,
    store_role_t *r)
{
    int  rc;

    rc = store_step_row(st, stmt, what);
    if (rc != STORE_OK) {
        return rc;
    }
    r->id = sqlite3_column_int64(stmt, 0);
    r->tenant_id = sqlite3_column_int64(stmt, 1);
    if (column_text(stmt, 2, r->name, sizeof(r->name)) != 0
        || column_text(stmt, 3, r->permissions, sizeof(r->permissions)) != 0)
    {
        return store_too_big(st, stmt, what);
    }
    r->builtin = sqlite3_column_int(stmt, 4);
    store_done(stmt);
    return STORE_OK;
}

int
store_role_get(store_t *st, int64_t tenant_id, int64_t id, store_role_t *r)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_ROLE_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);
    return store_role_row(st, stmt, "get role", r);
}

int
store_role_get_builtin_admin(store_t *st, int64_t tenant_id, store_role_t *r)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_ROLE_GET_BUILTIN_ADMIN);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    return store_role_row(st, stmt, "get admin role", r);
}

/* -------------------------------------------------------------------- */
/* users */

int
store_user_insert(store_t *st, int64_t tenant_id, const char *email,
    const char *name, const char *password_hash, int64_t role_id,
    int platform_admin, int64_t at, int64_t by, int64_t *id)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_USER_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    bind_text(stmt, 2, email);
    bind_text(stmt, 3, name);
    bind_text(stmt, 4, password_hash);
    sqlite3_bind_int64(stmt, 5, role_id);
    sqlite3_bind_int(stmt, 6, platform_admin ? 1 : 0);
    sqlite3_bind_int64(stmt, 7, at);
    bind_id(stmt, 8, by);
    return store_exec_returning(st, stmt, "insert user", id);
}

static int
store_user_row(store_t *st, sqlite3_stmt *stmt, const char *what,
    store_user_t *u)
{
    int  rc;

    rc = store_step_row(st, stmt, what);
    if (rc != STORE_OK) {
        return rc;
    }
    u->id = sqlite3_column_int64(stmt, 0);
    u->tenant_id = sqlite3_column_int64(stmt, 1);
    if (column_text(stmt, 2, u->email, sizeof(u->email)) != 0
        || column_text(stmt, 3, u->name, sizeof(u->name)) != 0
        || column_text(stmt, 4, u->status, sizeof(u->status)) != 0
        || column_text(stmt, 6, u->role, sizeof(u->role)) != 0
        || column_text(stmt, 7, u->permissions, sizeof(u->permissions)) != 0)
    {
        return store_too_big(st, stmt, what);
    }
    u->role_id = sqlite3_column_int64(stmt, 5);
    u->platform_admin = sqlite3_column_int(stmt, 8);
    u->has_password = sqlite3_column_int(stmt, 9);
    u->created_at = sqlite3_column_int64(stmt, 10);
    u->created_by = sqlite3_column_int64(stmt, 11);
    u->updated_at = sqlite3_column_int64(stmt, 12);
    u->updated_by = sqlite3_column_int64(stmt, 13);
    store_done(stmt);
    return STORE_OK;
}

int
store_user_get(store_t *st, int64_t tenant_id, int64_t id, store_user_t *u)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_USER_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);
    return store_user_row(st, stmt, "get user", u);
}

int
store_user_get_any_tenant(store_t *st, int64_t id, store_user_t *u)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_USER_GET_ANY_TENANT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, id);
    return store_user_row(st, stmt, "get actor", u);
}

int
store_user_email_taken(store_t *st, int64_t tenant_id, const char *email)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_USER_EMAIL_TAKEN);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    bind_text(stmt, 2, email);
    return store_exists(st, stmt, "user email");
}

int
store_user_update(store_t *st, int64_t tenant_id, int64_t id,
    const char *name, const char *status, int64_t role_id,
    const char *password_hash, int64_t at, int64_t by)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_USER_UPDATE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);
    bind_text(stmt, 3, name);
    bind_text(stmt, 4, status);
    sqlite3_bind_int64(stmt, 5, role_id);
    bind_text(stmt, 6, password_hash);
    sqlite3_bind_int64(stmt, 7, at);
    bind_id(stmt, 8, by);
    return store_exec(st, stmt, "update user") == STORE_OK ? STORE_OK
                                                           : STORE_ERROR;
}

static int
store_count(store_t *st, sqlite3_stmt *stmt, const char *what, int64_t *n)
{
    if (store_step_row(st, stmt, what) != STORE_OK) {
        return STORE_ERROR;
    }
    *n = sqlite3_column_int64(stmt, 0);
    store_done(stmt);
    return STORE_OK;
}

int
store_user_count(store_t *st, int64_t *n)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_USER_COUNT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    return store_count(st, stmt, "count users", n);
}

int
store_user_count_with_permission(store_t *st, int64_t tenant_id,
    const char *permission, int64_t except_id, int64_t *n)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_USER_COUNT_WITH_PERMISSION);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    bind_text(stmt, 2, permission);
    sqlite3_bind_int64(stmt, 3, except_id);
    return store_count(st, stmt, "count users with permission", n);
}

/* -------------------------------------------------------------------- */
/* sessions */

int
store_session_insert(store_t *st, int64_t tenant_id, int64_t user_id,
    const char *token_hash, int64_t created_at, int64_t expires_at,
    const char *user_agent, const char *ip, int64_t *id)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_SESSION_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_text(stmt, 1, token_hash);
    sqlite3_bind_int64(stmt, 2, user_id);
    sqlite3_bind_int64(stmt, 3, tenant_id);
    sqlite3_bind_int64(stmt, 4, created_at);
    sqlite3_bind_int64(stmt, 5, expires_at);
    bind_text(stmt, 6, user_agent);
    bind_text(stmt, 7, ip);
    return store_exec_returning(st, stmt, "insert session", id);
}

int
store_session_delete(store_t *st, int64_t tenant_id, const char *token_hash,
    int64_t *id)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_SESSION_DELETE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    bind_text(stmt, 2, token_hash);
    return store_exec_returning(st, stmt, "delete session", id);
}

int
store_session_delete_user(store_t *st, int64_t tenant_id, int64_t user_id)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_SESSION_DELETE_USER);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, user_id);
    return store_exec(st, stmt, "delete user sessions") == STORE_OK
           ? STORE_OK : STORE_ERROR;
}

int
store_session_delete_expired(store_t *st, int64_t now, int64_t *n)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_SESSION_DELETE_EXPIRED);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, now);
    if (store_exec(st, stmt, "delete expired sessions") != STORE_OK) {
        return STORE_ERROR;
    }
    *n = sqlite3_changes64(st->db);
    return STORE_OK;
}

/* -------------------------------------------------------------------- */
/* API tokens */

int
store_token_insert(store_t *st, int64_t tenant_id, int64_t user_id,
    const char *name, const char *token_hash, const char *prefix,
    int64_t created_at, int64_t expires_at, int64_t *id)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_TOKEN_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, user_id);
    bind_text(stmt, 3, name);
    bind_text(stmt, 4, token_hash);
    bind_text(stmt, 5, prefix);
    sqlite3_bind_int64(stmt, 6, created_at);
    bind_id(stmt, 7, expires_at);
    return store_exec_returning(st, stmt, "insert token", id);
}

int
store_token_get(store_t *st, int64_t tenant_id, int64_t id, store_token_t *t)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_stmt(st, STMT_TOKEN_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);
    rc = store_step_row(st, stmt, "get token");
    if (rc != STORE_OK) {
        return rc;
    }
    t->id = sqlite3_column_int64(stmt, 0);
    t->tenant_id = sqlite3_column_int64(stmt, 1);
    t->user_id = sqlite3_column_int64(stmt, 2);
    if (column_text(stmt, 3, t->name, sizeof(t->name)) != 0
        || column_text(stmt, 4, t->prefix, sizeof(t->prefix)) != 0)
    {
        return store_too_big(st, stmt, "get token");
    }
    t->created_at = sqlite3_column_int64(stmt, 5);
    t->expires_at = sqlite3_column_int64(stmt, 6);
    store_done(stmt);
    return STORE_OK;
}

int
store_token_delete(store_t *st, int64_t tenant_id, int64_t id)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_TOKEN_DELETE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);
    return store_exec(st, stmt, "delete token") == STORE_OK ? STORE_OK
                                                            : STORE_ERROR;
}

/* -------------------------------------------------------------------- */
/* audit_log and batch_replies */

int
store_audit_insert(store_t *st, const store_audit_t *a)
{
    sqlite3_stmt  *stmt;

    stmt = store_stmt(st, STMT_AUDIT_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if (a->has_ring_pos) {
        sqlite3_bind_int64(stmt, 1, (int64_t) a->ring_pos);
    } else {
        sqlite3_bind_null(stmt, 1);
    }
    bind_id(stmt, 2, a->tenant_id);
    bind_id(stmt, 3, a->actor_id);
    bind_text(stmt, 4, a->op);
    bind_text(stmt, 5, a->object_type);
    bind_id(stmt, 6, a->object_id);
    bind_text(stmt, 7, a->outcome);
    sqlite3_bind_int64(stmt, 8, a->at);
    return store_exec(st, stmt, "insert audit_log") == STORE_OK ? STORE_OK
                                                                : STORE_ERROR;
}

/*
 * The replies of a batch, packed into one row that replaces the previous
 * batch's.  Only the last batch committed can have replies a worker still
 * waits for: every earlier one was published before the next batch
 * began.  One row per batch, rather than a row per command kept for
 * minutes and deleted in bulk, keeps this at one statement per batch and
 * a table that never grows.  Per reply, little-endian: slot, gen,
 * status, length (4 bytes each), then the body.
 */
#define STORE_REPLY_HEAD  16

static void
store_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
    p[2] = (unsigned char) (v >> 16);
    p[3] = (unsigned char) (v >> 24);
}

static uint32_t
store_get_u32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}

int
store_replies_save(store_t *st, uint64_t ring_pos, const store_reply_t *r,
    size_t n, int64_t at)
{
    sqlite3_stmt   *stmt;
    unsigned char  *blob, *p;
    size_t          size, i;
    int             rc;

    size = 0;
    for (i = 0; i < n; i++) {
        size += STORE_REPLY_HEAD + r[i].len;
    }

    stmt = store_stmt(st, STMT_REPLIES_SAVE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    blob = malloc(size ? size : 1);
    if (blob == NULL) {
        st->errcode = SQLITE_NOMEM;
        snprintf(st->errmsg, sizeof(st->errmsg),
                 "out of memory for %zu bytes of replies", size);
        return STORE_ERROR;
    }
    for (p = blob, i = 0; i < n; i++) {
        store_put_u32(p, r[i].slot);
        store_put_u32(p + 4, r[i].gen);
        store_put_u32(p + 8, (uint32_t) r[i].status);
        store_put_u32(p + 12, (uint32_t) r[i].len);
        memcpy(p + STORE_REPLY_HEAD, r[i].body, r[i].len);
        p += STORE_REPLY_HEAD + r[i].len;
    }

    sqlite3_bind_int64(stmt, 1, (int64_t) ring_pos);
    sqlite3_bind_blob64(stmt, 2, blob, size, free);
    sqlite3_bind_int64(stmt, 3, at);
    rc = store_exec(st, stmt, "save the batch's replies");
    return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int
store_replies_foreach(store_t *st, store_reply_pt handler, void *ctx)
{
    sqlite3_stmt         *stmt;
    const unsigned char  *p, *end;
    uint64_t              pos;
    uint32_t              len;
    int                   rc;

    stmt = store_stmt(st, STMT_REPLIES_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    rc = store_step_row(st, stmt, "read the last batch's replies");
    if (rc != STORE_OK) {
        return rc == STORE_NOTFOUND ? STORE_OK : STORE_ERROR;
    }

    pos = (uint64_t) sqlite3_column_int64(stmt, 0);
    p = sqlite3_column_blob(stmt, 1);
    end = p + sqlite3_column_bytes(stmt, 1);

    while (p != NULL && end - p >= STORE_REPLY_HEAD) {
        len = store_get_u32(p + 12);
        if ((size_t) (end - p - STORE_REPLY_HEAD) < len) {
            break;                  /* cannot happen: we wrote it whole */
        }
        handler(ctx, pos, store_get_u32(p), store_get_u32(p + 4),
                (int) store_get_u32(p + 8),
                (const char *) p + STORE_REPLY_HEAD, len);
        p += STORE_REPLY_HEAD + len;
    }
    store_done(stmt);
    return STORE_OK;
}

/* -------------------------------------------------------------------- */
/* for store_resource.c (store_int.h) */

sqlite3 *
store_int_db(store_t *st)
{
    return st->db;
}

void
store_int_error(store_t *st, int rc, const char *what)
{
    store_set_error(st, rc, what);
}

void **
store_int_cache(store_t *st, store_cache_e which)
{
    return &st->caches[which];
}

/* -------------------------------------------------------------------- */
/* for the other store files: a table of statements per cache slot */

typedef struct {
    size_t         n;
    sqlite3_stmt  *stmt[];
} store_int_stmts_t;

sqlite3_stmt *
store_int_stmt(store_t *st, store_cache_e which, const char *const *sql,
    size_t n, size_t id)
{
    store_int_stmts_t  *c;
    int                 rc;

    c = st->caches[which];
    if (c == NULL) {
        c = calloc(1, sizeof(store_int_stmts_t) + n * sizeof(sqlite3_stmt *));
        if (c == NULL) {
            store_set_error(st, SQLITE_NOMEM, "statement cache");
            return NULL;
        }
        c->n = n;
        st->caches[which] = c;
    }

    if (id >= c->n) {
        store_set_error(st, SQLITE_MISUSE, "statement index");
        return NULL;
    }

    if (c->stmt[id] == NULL) {
        rc = hrx_prepare(st->db, sql[id], SQLITE_PREPARE_PERSISTENT,
                         &c->stmt[id]);
        if (rc != SQLITE_OK) {
            store_set_error(st, rc, "prepare");
            c->stmt[id] = NULL;
        }
    }
    return c->stmt[id];
}

static void
store_int_cache_close(store_t *st, store_cache_e which)
{
    store_int_stmts_t  *c = st->caches[which];
    size_t              i;

    if (c == NULL) {
        return;
    }
    for (i = 0; i < c->n; i++) {
        sqlite3_finalize(c->stmt[i]);
    }
    free(c);
    st->caches[which] = NULL;
}

void
store_int_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

int
store_int_exec(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    int  rc;

    rc = sqlite3_step(stmt);
    store_int_done(stmt);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        return STORE_OK;
    }
    store_set_error(st, rc, what);
    return (rc & 0xff) == SQLITE_CONSTRAINT ? STORE_CONFLICT : STORE_ERROR;
}

int
store_int_row(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    int  rc;

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        return STORE_OK;
    }
    store_int_done(stmt);
    if (rc == SQLITE_DONE) {
        return STORE_NOTFOUND;
    }
    store_set_error(st, rc, what);
    return STORE_ERROR;
}

void
store_int_bind_id(sqlite3_stmt *stmt, int i, int64_t v)
{
    if (v > 0) {
        sqlite3_bind_int64(stmt, i, v);
    } else {
        sqlite3_bind_null(stmt, i);
    }
}

void
store_int_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
    if (s != NULL) {
        sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(stmt, i);
    }
}

int
store_int_column_copy(sqlite3_stmt *stmt, int i, char *buf, size_t size)
{
    const unsigned char  *s = sqlite3_column_text(stmt, i);
    size_t                n = (size_t) sqlite3_column_bytes(stmt, i);

    if (s == NULL) {
        buf[0] = '\0';
        return 0;
    }
    if (n >= size) {
        return -1;
    }
    memcpy(buf, s, n + 1);
    return 0;
}
