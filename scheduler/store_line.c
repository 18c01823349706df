/*
 * The store, for LINE (docs/line.md): every statement written out below,
 * values bound, prepared on first use and kept in the STORE_CACHE_LINE
 * slot (see store.c for the reasons).
 *
 * A webhook delivery is stored twice over, on purpose: the raw body in
 * line_deliveries (the source of truth, what LINE signed) and one
 * line_events row per event, whose UNIQUE (tenant_id, webhook_event_id)
 * with INSERT OR IGNORE is what stores a redelivery once.  Timeline rows
 * (messages) are made from the events of a delivery after the delivery's
 * batch committed (line_events.c), and the delivery is then marked
 * parsed in the same transaction: a crash in between parses it again,
 * never twice.
 */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_int.h"
#include "store_line.h"

enum {
    LINE_SETTINGS_GET = 0,
    LINE_SETTINGS_SET,
    LINE_SETTINGS_DELETE,
    LINE_LINKED_COUNT,
    LINE_CANDIDATE_OF,
    LINE_DELIVERY_INSERT,
    LINE_EVENT_INSERT,
    LINE_UNPARSED,
    LINE_TIMELINE,
    LINE_PARSED,
    LINE_STMT_MAX
};

static const char *const store_line_sql[LINE_STMT_MAX] = {
    [LINE_SETTINGS_GET] =
        "SELECT channel_id, login_channel_id, state, bot_basic_id, bot_name,"
        " connected_at, updated_at, updated_by"
        " FROM line_settings WHERE tenant_id = ?1",

    [LINE_SETTINGS_SET] =
        "INSERT INTO line_settings (tenant_id, channel_id, channel_secret,"
        " access_token, login_channel_id, login_channel_secret, state,"
        " bot_basic_id, bot_name, connected_at, updated_at, updated_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'connected', ?7, ?8, ?9, ?9, ?10)"
        " ON CONFLICT (tenant_id) DO UPDATE SET"
        " channel_id = excluded.channel_id,"
        " channel_secret = excluded.channel_secret,"
        " access_token = excluded.access_token,"
        " login_channel_id = excluded.login_channel_id,"
        " login_channel_secret = excluded.login_channel_secret,"
        " state = excluded.state, bot_basic_id = excluded.bot_basic_id,"
        " bot_name = excluded.bot_name,"
        " connected_at = excluded.connected_at,"
        " updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by",

    [LINE_SETTINGS_DELETE] =
        "DELETE FROM line_settings WHERE tenant_id = ?1",

    /* the partial index candidates_line_user serves it */
    [LINE_LINKED_COUNT] =
        "SELECT count(*) FROM candidates WHERE tenant_id = ?1"
        " AND line_user_id IS NOT NULL",

    [LINE_CANDIDATE_OF] =
        "SELECT id FROM candidates WHERE tenant_id = ?1"
        " AND line_user_id = ?2",

    [LINE_DELIVERY_INSERT] =
        "INSERT INTO line_deliveries (tenant_id, body, received_at)"
        " VALUES (?1, ?2, ?3)",

    [LINE_EVENT_INSERT] =
        "INSERT OR IGNORE INTO line_events (tenant_id, webhook_event_id,"
        " delivery_id, type, line_user_id, candidate_id, message_type, text,"
        " occurred_at, redelivery)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",

    [LINE_UNPARSED] =
        "SELECT id FROM line_deliveries WHERE parsed = 0 ORDER BY id"
        " LIMIT ?1",

    /*
     * LN-6: text with its text; any other message type is "unsupported"
     * and shows no text; follow and unfollow as they are.  Only events
     * of a candidate that still exists (the FOREIGN KEY would refuse the
     * others); events of other types stay in line_events only.
     */
    [LINE_TIMELINE] =
        "INSERT INTO messages (tenant_id, candidate_id, channel, direction,"
        " kind, body, line_event_id, created_at)"
        " SELECT e.tenant_id, e.candidate_id, 'line', 'in',"
        "  CASE WHEN e.type <> 'message' THEN e.type"
        "   WHEN e.message_type = 'text' THEN 'text'"
        "   ELSE 'unsupported' END,"
        "  CASE WHEN e.type = 'message' AND e.message_type = 'text'"
        "   THEN e.text END,"
        "  e.id, e.occurred_at"
        " FROM line_events e JOIN candidates c"
        "  ON c.id = e.candidate_id AND c.tenant_id = e.tenant_id"
        " WHERE e.delivery_id = ?1"
        "  AND e.type IN ('message', 'follow', 'unfollow')"
        " ORDER BY e.id"
        " RETURNING id, tenant_id, candidate_id",

    [LINE_PARSED] =
        "UPDATE line_deliveries SET parsed = 1 WHERE id = ?1",
};

/* -------------------------------------------------------------------- */
/* statements */

static sqlite3_stmt *
store_line_stmt(store_t *st, int id)
{
    return store_int_stmt(st, STORE_CACHE_LINE, store_line_sql, LINE_STMT_MAX,
                          (size_t) id);
}

/* -------------------------------------------------------------------- */
/* settings */

int
store_line_settings_get(store_t *st, int64_t tenant_id,
    store_line_settings_t *s)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_line_stmt(st, LINE_SETTINGS_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);

    rc = store_int_row(st, stmt, "get line settings");
    if (rc != STORE_OK) {
        return rc;
    }

    memset(s, 0, sizeof(*s));
    if (store_int_column_copy(stmt, 0, s->channel_id, sizeof(s->channel_id)) != 0
        || store_int_column_copy(stmt, 1, s->login_channel_id,
                       sizeof(s->login_channel_id)) != 0
        || store_int_column_copy(stmt, 2, s->state, sizeof(s->state)) != 0
        || store_int_column_copy(stmt, 3, s->bot_basic_id, sizeof(s->bot_basic_id))
           != 0
        || store_int_column_copy(stmt, 4, s->bot_name, sizeof(s->bot_name)) != 0)
    {
        store_int_done(stmt);
        store_int_error(st, SQLITE_TOOBIG, "get line settings");
        return STORE_ERROR;
    }
    s->connected_at = sqlite3_column_int64(stmt, 5);
    s->updated_at = sqlite3_column_int64(stmt, 6);
    s->updated_by = sqlite3_column_int64(stmt, 7);
    store_int_done(stmt);
    return STORE_OK;
}

int
store_line_settings_set(store_t *st, int64_t tenant_id,
    const store_line_set_t *s, int64_t now, int64_t by)
{
    sqlite3_stmt  *stmt;

    stmt = store_line_stmt(st, LINE_SETTINGS_SET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, s->channel_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 3, s->channel_secret.data,
                        s->channel_secret.len, SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 4, s->access_token.data, s->access_token.len,
                        SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, s->login_channel_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 6, s->login_channel_secret.data,
                        s->login_channel_secret.len, SQLITE_STATIC);
    store_int_bind_text(stmt, 7, s->bot_basic_id);
    store_int_bind_text(stmt, 8, s->bot_name);
    sqlite3_bind_int64(stmt, 9, now);
    store_int_bind_id(stmt, 10, by);
    return store_int_exec(st, stmt, "set line settings");
}

int
store_line_settings_delete(store_t *st, int64_t tenant_id, int *removed)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_line_stmt(st, LINE_SETTINGS_DELETE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    rc = store_int_exec(st, stmt, "delete line settings");
    *removed = (rc == STORE_OK && sqlite3_changes(store_int_db(st)) > 0);
    return rc;
}

int
store_line_linked_count(store_t *st, int64_t tenant_id, int64_t *n)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_line_stmt(st, LINE_LINKED_COUNT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    rc = store_int_row(st, stmt, "count linked candidates");
    if (rc != STORE_OK) {
        return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
    }
    *n = sqlite3_column_int64(stmt, 0);
    store_int_done(stmt);
    return STORE_OK;
}

/* -------------------------------------------------------------------- */
/* deliveries and events */

int
store_line_candidate_of(store_t *st, int64_t tenant_id,
    const char *line_user_id, int64_t *id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_line_stmt(st, LINE_CANDIDATE_OF);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, line_user_id, -1, SQLITE_STATIC);
    rc = store_int_row(st, stmt, "find the linked candidate");
    if (rc != STORE_OK) {
        return rc;
    }
    *id = sqlite3_column_int64(stmt, 0);
    store_int_done(stmt);
    return STORE_OK;
}

int
store_line_delivery_insert(store_t *st, int64_t tenant_id, const void *body,
    size_t len, int64_t now, int64_t *id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_line_stmt(st, LINE_DELIVERY_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    /* a zero-length blob must still be a blob, not NULL */
    sqlite3_bind_blob64(stmt, 2, len ? body : "", len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, now);
    rc = store_int_exec(st, stmt, "store a line delivery");
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(store_int_db(st));
    }
    return rc;
}

int
store_line_event_insert(store_t *st, int64_t tenant_id, int64_t delivery_id,
    const store_line_event_t *ev, int *inserted)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_line_stmt(st, LINE_EVENT_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, ev->webhook_event_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, delivery_id);
    sqlite3_bind_text(stmt, 4, ev->type, -1, SQLITE_STATIC);
    store_int_bind_text(stmt, 5, ev->line_user_id);
    store_int_bind_id(stmt, 6, ev->candidate_id);
    store_int_bind_text(stmt, 7, ev->message_type);
    store_int_bind_text(stmt, 8, ev->text);
    sqlite3_bind_int64(stmt, 9, ev->occurred_at);
    sqlite3_bind_int(stmt, 10, ev->redelivery != 0);
    rc = store_int_exec(st, stmt, "store a line event");
    *inserted = (rc == STORE_OK && sqlite3_changes(store_int_db(st)) > 0);
    return rc;
}

int
store_line_unparsed(store_t *st, int64_t *ids, size_t max, size_t *n)
{
    sqlite3_stmt  *stmt;
    int            rc;

    *n = 0;
    stmt = store_line_stmt(st, LINE_UNPARSED);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64) max);

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*n < max) {
            ids[(*n)++] = sqlite3_column_int64(stmt, 0);
        }
    }
    if (rc != SQLITE_DONE) {
        store_int_error(st, rc, "find unparsed line deliveries");
        store_int_done(stmt);
        return STORE_ERROR;
    }
    store_int_done(stmt);
    return STORE_OK;
}

int
store_line_delivery_parse(store_t *st, int64_t delivery_id,
    store_line_message_pt each, void *ctx)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_line_stmt(st, LINE_TIMELINE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, delivery_id);

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (each != NULL) {
            each(ctx, sqlite3_column_int64(stmt, 1),
                 sqlite3_column_int64(stmt, 2),
                 sqlite3_column_int64(stmt, 0));
        }
    }
    if (rc != SQLITE_DONE) {
        store_int_error(st, rc, "make timeline rows");
        store_int_done(stmt);
        return STORE_ERROR;
    }
    store_int_done(stmt);

    stmt = store_line_stmt(st, LINE_PARSED);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, delivery_id);
    return store_int_exec(st, stmt, "mark a line delivery parsed");
}
