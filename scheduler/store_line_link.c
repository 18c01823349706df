/*
 * The store, for LINE friend registration: every statement written out
 * below, values bound, prepared on first use and kept in the
 * STORE_CACHE_LINE_LINK slot (see store.c for the reasons).
 *
 * The candidate's link is two columns of candidates (line_user_id,
 * line_linked_at), unique per tenant by the partial index
 * candidates_line_user; nothing but line.link writes them (LN-4, LN-5:
 * the resource descriptor has them read-only, so no API body can).
 */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_line_link.h"
#include "store_int.h"

enum {
    LINK_CONNECTED = 0,
    LINK_USE_STATE,
    LINK_CANDIDATE,
    LINK_HOLDER,
    LINK_SET,
    LINK_STMT_MAX
};

static const char *const store_line_link_sql[LINK_STMT_MAX] = {
    [LINK_CONNECTED] =
        "SELECT state = 'connected' FROM line_settings WHERE tenant_id = ?1",

    [LINK_USE_STATE] =
        "INSERT INTO line_login_states (nonce, tenant_id, candidate_id,"
        " used_at) VALUES (?1, ?2, ?3, ?4)",

    [LINK_CANDIDATE] =
        "SELECT coalesce(line_user_id, '') FROM candidates"
        " WHERE tenant_id = ?1 AND id = ?2",

    [LINK_HOLDER] =
        "SELECT id FROM candidates WHERE tenant_id = ?1"
        " AND line_user_id = ?2",

    /* only an unlinked candidate: a link is never moved or replaced */
    [LINK_SET] =
        "UPDATE candidates SET line_user_id = ?3, line_linked_at = ?4"
        " WHERE tenant_id = ?1 AND id = ?2 AND line_user_id IS NULL",
};

typedef struct {
    sqlite3_stmt  *stmt[LINK_STMT_MAX];
} store_line_link_cache_t;

/* -------------------------------------------------------------------- */
/* statements */

static sqlite3_stmt *
store_line_link_stmt(store_t *st, int id)
{
    void                     **slot;
    store_line_link_cache_t   *c;
    int                        rc;

    slot = store_int_cache(st, STORE_CACHE_LINE_LINK);
    if (*slot == NULL) {
        *slot = calloc(1, sizeof(store_line_link_cache_t));
        if (*slot == NULL) {
            store_int_error(st, SQLITE_NOMEM, "statement cache");
            return NULL;
        }
    }
    c = *slot;

    if (c->stmt[id] == NULL) {
        rc = sqlite3_prepare_v3(store_int_db(st), store_line_link_sql[id],
                                -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id],
                                NULL);
        if (rc != SQLITE_OK) {
            store_int_error(st, rc, "prepare");
            c->stmt[id] = NULL;
        }
    }
    return c->stmt[id];
}

void
store_line_link_close(store_t *st)
{
    store_line_link_cache_t  *c;
    size_t                    i;

    c = *store_int_cache(st, STORE_CACHE_LINE_LINK);
    if (c == NULL) {
        return;
    }
    for (i = 0; i < LINK_STMT_MAX; i++) {
        sqlite3_finalize(c->stmt[i]);
    }
    free(c);
    *store_int_cache(st, STORE_CACHE_LINE_LINK) = NULL;
}

static void
store_line_link_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

/* run to the end: STORE_OK, STORE_CONFLICT (a constraint), STORE_ERROR */
static int
store_line_link_exec(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    int  rc;

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        store_line_link_done(stmt);
        return STORE_OK;
    }
    store_int_error(st, rc, what);
    store_line_link_done(stmt);
    return (rc & 0xff) == SQLITE_CONSTRAINT ? STORE_CONFLICT : STORE_ERROR;
}

/* the first row: STORE_OK (the caller reads and calls done),
 * STORE_NOTFOUND, STORE_ERROR */
static int
store_line_link_row(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    int  rc;

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        return STORE_OK;
    }
    store_line_link_done(stmt);
    if (rc == SQLITE_DONE) {
        return STORE_NOTFOUND;
    }
    store_int_error(st, rc, what);
    return STORE_ERROR;
}

/* -------------------------------------------------------------------- */

int
store_line_link_connected(store_t *st, int64_t tenant_id, int *connected)
{
    sqlite3_stmt  *stmt;
    int            rc;

    *connected = 0;

    stmt = store_line_link_stmt(st, LINK_CONNECTED);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);

    rc = store_line_link_row(st, stmt, "get line state");
    if (rc == STORE_NOTFOUND) {
        return STORE_OK;
    }
    if (rc != STORE_OK) {
        return rc;
    }
    *connected = sqlite3_column_int(stmt, 0) != 0;
    store_line_link_done(stmt);
    return STORE_OK;
}

int
store_line_link_use_state(store_t *st, const char *nonce, int64_t tenant_id,
    int64_t candidate_id, int64_t now)
{
    sqlite3_stmt  *stmt;

    stmt = store_line_link_stmt(st, LINK_USE_STATE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_text(stmt, 1, nonce, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, tenant_id);
    sqlite3_bind_int64(stmt, 3, candidate_id);
    sqlite3_bind_int64(stmt, 4, now);

    return store_line_link_exec(st, stmt, "use line login state");
}

int
store_line_link_candidate(store_t *st, int64_t tenant_id,
    int64_t candidate_id, char line_user_id[STORE_LINE_USER_SIZE])
{
    sqlite3_stmt         *stmt;
    const unsigned char  *s;
    size_t                n;
    int                   rc;

    line_user_id[0] = '\0';

    stmt = store_line_link_stmt(st, LINK_CANDIDATE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, candidate_id);

    rc = store_line_link_row(st, stmt, "get candidate line link");
    if (rc != STORE_OK) {
        return rc;
    }

    s = sqlite3_column_text(stmt, 0);
    n = (size_t) sqlite3_column_bytes(stmt, 0);
    if (s != NULL && n >= STORE_LINE_USER_SIZE) {
        /* never cut silently: a stored id this long is not LINE's */
        store_line_link_done(stmt);
        store_int_error(st, SQLITE_TOOBIG, "candidate line link");
        return STORE_ERROR;
    }
    if (s != NULL) {
        memcpy(line_user_id, s, n + 1);
    }
    store_line_link_done(stmt);
    return STORE_OK;
}

int
store_line_link_holder(store_t *st, int64_t tenant_id,
    const char *line_user_id, int64_t *candidate_id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    *candidate_id = 0;

    stmt = store_line_link_stmt(st, LINK_HOLDER);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, line_user_id, -1, SQLITE_STATIC);

    rc = store_line_link_row(st, stmt, "find line user");
    if (rc != STORE_OK) {
        return rc;
    }
    *candidate_id = sqlite3_column_int64(stmt, 0);
    store_line_link_done(stmt);
    return STORE_OK;
}

int
store_line_link_set(store_t *st, int64_t tenant_id, int64_t candidate_id,
    const char *line_user_id, int64_t now)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_line_link_stmt(st, LINK_SET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, candidate_id);
    sqlite3_bind_text(stmt, 3, line_user_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, now);

    rc = store_line_link_exec(st, stmt, "link candidate to line");
    if (rc != STORE_OK) {
        return rc;
    }
    return sqlite3_changes(store_int_db(st)) == 0 ? STORE_NOTFOUND
                                                  : STORE_OK;
}
