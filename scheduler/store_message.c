/*
 * The store, for the candidate's timeline (scheduler/apply_message.c and
 * the outbox's outcomes): its statements, kept in the store's
 * STORE_CACHE_MESSAGE slot like store_outbox.c's, prepared on first use,
 * reset and cleared after every use.  Every value is a bound parameter.
 *
 * A messages row and its outbox row are written in the same transaction
 * (the command's), so the timeline never shows a message that will not
 * be sent, nor is anything sent that the timeline does not show.  The
 * outcome reaches the messages row through outbox_id (index
 * messages_outbox) in the outbox's own transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_int.h"
#include "store_message.h"

enum {
    MESSAGE_STMT_CANDIDATE = 0,
    MESSAGE_STMT_LINE_STATE,
    MESSAGE_STMT_OUTBOX,
    MESSAGE_STMT_INSERT,
    MESSAGE_STMT_SETTLE,
    MESSAGE_STMT_BULK_LINE,
    MESSAGE_STMT_MAX
};

static const char *const store_message_sql[MESSAGE_STMT_MAX] = {
    [MESSAGE_STMT_CANDIDATE] =
        "SELECT c.family_name, c.given_name, c.email, c.line_user_id,"
        " a.id IS NOT NULL, a.status = 'active', a.route_to_agent,"
        " a.name, a.email"
        " FROM candidates c"
        " LEFT JOIN agents a ON c.route = 'agent' AND a.id = c.agent_id"
        "  AND a.tenant_id = c.tenant_id"
        " WHERE c.tenant_id = ?1 AND c.id = ?2",
    [MESSAGE_STMT_LINE_STATE] =
        "SELECT state = 'connected' FROM line_settings WHERE tenant_id = ?1",
    [MESSAGE_STMT_OUTBOX] =
        "INSERT INTO outbox (tenant_id, channel, candidate_id, recipient,"
        " sender, message_id, payload, next_attempt_at, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [MESSAGE_STMT_INSERT] =
        "INSERT INTO messages (tenant_id, candidate_id, channel, direction,"
        " kind, subject, body, outbox_id, state, send_at, created_at,"
        " created_by)"
        " VALUES (?1, ?2, ?3, 'out', 'text', ?4, ?5, ?6, 'queued', ?7, ?8,"
        " ?9)",
    [MESSAGE_STMT_SETTLE] =
        "UPDATE messages SET state = ?2, error = ?3"
        " WHERE outbox_id = ?1 AND direction = 'out' AND state = 'queued'",
    [MESSAGE_STMT_BULK_LINE] =
        "UPDATE bulk_action_results SET line = 0"
        " WHERE bulk_action_id = ?1 AND candidate_id = ?2",
};

/* -------------------------------------------------------------------- */
/* statements */

static sqlite3_stmt *
store_message_stmt(store_t *st, int id)
{
    return store_int_stmt(st, STORE_CACHE_MESSAGE, store_message_sql, MESSAGE_STMT_MAX,
                          (size_t) id);
}

static int
store_message_bind_failed(store_t *st, sqlite3_stmt *stmt, int rc,
    const char *what)
{
    store_int_error(st, rc, what);
    store_int_done(stmt);
    return STORE_ERROR;
}

/* run a statement that returns no row */
static int
store_message_exec(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    int  rc;

    rc = sqlite3_step(stmt);
    store_int_done(stmt);
    if (rc != SQLITE_DONE) {
        store_int_error(st, rc, what);
        return STORE_ERROR;
    }
    return STORE_OK;
}

/* bind text, NULL as NULL */
static int
store_message_text(sqlite3_stmt *stmt, int i, const char *s)
{
    return s != NULL ? sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT)
                     : sqlite3_bind_null(stmt, i);
}

/* -------------------------------------------------------------------- */
/* reads */

int
store_message_candidate(store_t *st, int64_t tenant_id, int64_t id,
    store_message_cand_t *c)
{
    sqlite3_stmt  *stmt;
    int            rc;

    memset(c, 0, sizeof(*c));

    stmt = store_message_stmt(st, MESSAGE_STMT_CANDIDATE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, tenant_id)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 2, id)) != SQLITE_OK)
    {
        return store_message_bind_failed(st, stmt, rc, "message candidate");
    }

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        store_int_done(stmt);
        return STORE_NOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        store_int_error(st, rc, "message candidate");
        store_int_done(stmt);
        return STORE_ERROR;
    }

    c->id = id;
    if (store_int_column_copy(stmt, 0, c->family_name, sizeof(c->family_name))
            != 0
        || store_int_column_copy(stmt, 1, c->given_name, sizeof(c->given_name))
           != 0
        || store_int_column_copy(stmt, 2, c->email, sizeof(c->email)) != 0
        || store_int_column_copy(stmt, 3, c->line_user_id,
                             sizeof(c->line_user_id)) != 0
        || store_int_column_copy(stmt, 7, c->agent_name, sizeof(c->agent_name))
           != 0
        || store_int_column_copy(stmt, 8, c->agent_email, sizeof(c->agent_email))
           != 0)
    {
        store_int_error(st, SQLITE_TOOBIG, "candidates: a stored value is "
                        "longer than its buffer");
        store_int_done(stmt);
        return STORE_ERROR;
    }
    c->agent = sqlite3_column_int(stmt, 4);
    c->agent_active = sqlite3_column_int(stmt, 5);
    c->agent_takes_mail = sqlite3_column_int(stmt, 6);

    store_int_done(stmt);
    return STORE_OK;
}

int
store_message_line_connected(store_t *st, int64_t tenant_id, int *connected)
{
    sqlite3_stmt  *stmt;
    int            rc;

    *connected = 0;

    stmt = store_message_stmt(st, MESSAGE_STMT_LINE_STATE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, tenant_id)) != SQLITE_OK) {
        return store_message_bind_failed(st, stmt, rc, "line state");
    }

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *connected = sqlite3_column_int(stmt, 0);
    } else if (rc != SQLITE_DONE) {
        store_int_error(st, rc, "line state");
        store_int_done(stmt);
        return STORE_ERROR;
    }
    store_int_done(stmt);
    return STORE_OK;
}

/* -------------------------------------------------------------------- */
/* writes */

int
store_message_outbox_queue(store_t *st, int64_t tenant_id,
    const char *channel, int64_t candidate_id, const char *recipient,
    const char *sender, const char *message_id, const void *payload,
    size_t len, int64_t next_attempt_at, int64_t now, int64_t *id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_message_stmt(st, MESSAGE_STMT_OUTBOX);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, tenant_id)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 2, channel, -1, SQLITE_STATIC))
           != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 3, candidate_id)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 4, recipient, -1, SQLITE_TRANSIENT))
           != SQLITE_OK
        || (rc = store_message_text(stmt, 5, sender)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 6, message_id, -1,
                                   SQLITE_TRANSIENT)) != SQLITE_OK
        || (rc = sqlite3_bind_blob64(stmt, 7, payload, len,
                                     SQLITE_TRANSIENT)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 8, next_attempt_at)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 9, now)) != SQLITE_OK)
    {
        return store_message_bind_failed(st, stmt, rc, "outbox queue");
    }
    if (store_message_exec(st, stmt, "outbox queue") != STORE_OK) {
        return STORE_ERROR;
    }
    *id = sqlite3_last_insert_rowid(store_int_db(st));
    return STORE_OK;
}

int
store_message_insert_out(store_t *st, const store_message_out_t *m,
    int64_t *id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_message_stmt(st, MESSAGE_STMT_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, m->tenant_id)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 2, m->candidate_id)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 3, m->channel, -1, SQLITE_STATIC))
           != SQLITE_OK
        || (rc = store_message_text(stmt, 4, m->subject)) != SQLITE_OK
        || (rc = store_message_text(stmt, 5, m->body)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 6, m->outbox_id)) != SQLITE_OK
        || (rc = m->send_at > 0 ? sqlite3_bind_int64(stmt, 7, m->send_at)
                                : sqlite3_bind_null(stmt, 7)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 8, m->created_at)) != SQLITE_OK
        || (rc = m->created_by > 0
                 ? sqlite3_bind_int64(stmt, 9, m->created_by)
                 : sqlite3_bind_null(stmt, 9)) != SQLITE_OK)
    {
        return store_message_bind_failed(st, stmt, rc, "message insert");
    }
    if (store_message_exec(st, stmt, "message insert") != STORE_OK) {
        return STORE_ERROR;
    }
    *id = sqlite3_last_insert_rowid(store_int_db(st));
    return STORE_OK;
}

int
store_message_settle(store_t *st, int64_t outbox_id, const char *state,
    const char *error)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_message_stmt(st, MESSAGE_STMT_SETTLE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, outbox_id)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC))
           != SQLITE_OK
        || (rc = store_message_text(stmt, 3, error)) != SQLITE_OK)
    {
        return store_message_bind_failed(st, stmt, rc, "message settle");
    }
    return store_message_exec(st, stmt, "message settle");
}

int
store_message_bulk_line_failed(store_t *st, int64_t bulk_action_id,
    int64_t candidate_id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_message_stmt(st, MESSAGE_STMT_BULK_LINE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, bulk_action_id)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 2, candidate_id)) != SQLITE_OK)
    {
        return store_message_bind_failed(st, stmt, rc, "bulk line");
    }
    return store_message_exec(st, stmt, "bulk line");
}
