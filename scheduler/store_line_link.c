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

/* -------------------------------------------------------------------- */
/* statements */

static sqlite3_stmt *
store_line_link_stmt(store_t *st, int id)
{
    return store_int_stmt(st, STORE_CACHE_LINE_LINK, store_line_link_sql, LINK_STMT_MAX,
                          (size_t) id);
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

    rc = store_int_row(st, stmt, "get line state");
    if (rc == STORE_NOTFOUND) {
        return STORE_OK;
    }
    if (rc != STORE_OK) {
        return rc;
    }
    *connected = sqlite3_column_int(stmt, 0) != 0;
    store_int_done(stmt);
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

    return store_int_exec(st, stmt, "use line login state");
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

    rc = store_int_row(st, stmt, "get candidate line link");
    if (rc != STORE_OK) {
        return rc;
    }

    s = sqlite3_column_text(stmt, 0);
    n = (size_t) sqlite3_column_bytes(stmt, 0);
    if (s != NULL && n >= STORE_LINE_USER_SIZE) {
        /* never cut silently: a stored id this long is not LINE's */
        store_int_done(stmt);
        store_int_error(st, SQLITE_TOOBIG, "candidate line link");
        return STORE_ERROR;
    }
    if (s != NULL) {
        memcpy(line_user_id, s, n + 1);
    }
    store_int_done(stmt);
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

    rc = store_int_row(st, stmt, "find line user");
    if (rc != STORE_OK) {
        return rc;
    }
    *candidate_id = sqlite3_column_int64(stmt, 0);
    store_int_done(stmt);
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

    rc = store_int_exec(st, stmt, "link candidate to line");
    if (rc != STORE_OK) {
        return rc;
    }
    return sqlite3_changes(store_int_db(st)) == 0 ? STORE_NOTFOUND
                                                  : STORE_OK;
}
