/*
 * The store, for the outbox sender (scheduler/outbox.c): its statements,
 * kept in the store's STORE_CACHE_OUTBOX slot like store_resource.c's,
 * prepared on first use, reset and cleared after every use.  Every value
 * is a bound parameter.
 *
 * The sender keeps in memory which rows are in flight; the database does
 * not know (a transfer is not a state worth an fsync, and after a crash
 * nothing is in flight any more).  So "due" here means queued and due,
 * minus the ids the caller says it holds.  The query asks for that many
 * more rows than it needs and drops the held ones: simpler than shipping
 * a list of ids into SQL, and the list is never longer than the
 * concurrency limit.
 *
 * Every outcome update is guarded by state = 'queued': a row that was
 * settled some other way meanwhile is not overwritten, and the caller
 * learns (*changed) that it must not tell the row's bulk action again.
 */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_int.h"
#include "store_outbox.h"

enum {
    OUTBOX_STMT_DUE = 0,
    OUTBOX_STMT_NEXT_DUE,
    OUTBOX_STMT_GET,
    OUTBOX_STMT_SENT,
    OUTBOX_STMT_FAILED,
    OUTBOX_STMT_RETRY,
    OUTBOX_STMT_MAIL,
    OUTBOX_STMT_LINE,
    OUTBOX_STMT_MAX
};

/* "state = 'queued'" first: the partial index outbox_due serves both the
 * due and the next-due queries */
static const char *const store_outbox_sql[OUTBOX_STMT_MAX] = {
    [OUTBOX_STMT_DUE] =
        "SELECT id FROM outbox WHERE state = 'queued'"
        " AND next_attempt_at <= ?1"
        " ORDER BY next_attempt_at, id LIMIT ?2",
    [OUTBOX_STMT_NEXT_DUE] =
        "SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'"
        " AND next_attempt_at > ?1",
    [OUTBOX_STMT_GET] =
        "SELECT tenant_id, bulk_action_id, candidate_id, recipient, sender,"
        " message_id, payload, attempts, channel = 'line' FROM outbox"
        " WHERE id = ?1 AND state = 'queued'",
    [OUTBOX_STMT_SENT] =
        "UPDATE outbox SET state = 'sent', attempts = ?2, sent_at = ?3"
        " WHERE id = ?1 AND state = 'queued'",
    [OUTBOX_STMT_FAILED] =
        "UPDATE outbox SET state = 'failed', attempts = ?2, last_error = ?3"
        " WHERE id = ?1 AND state = 'queued'",
    [OUTBOX_STMT_RETRY] =
        "UPDATE outbox SET attempts = ?2, next_attempt_at = ?3,"
        " last_error = ?4 WHERE id = ?1 AND state = 'queued'",
    [OUTBOX_STMT_MAIL] =
        "SELECT transport, smtp_host, smtp_port, smtp_security,"
        " smtp_username, smtp_password, from_email, from_name, reply_to"
        " FROM mail_settings WHERE tenant_id = ?1",
    [OUTBOX_STMT_LINE] =
        "SELECT state = 'connected', access_token FROM line_settings"
        " WHERE tenant_id = ?1",
};

/* -------------------------------------------------------------------- */
/* statements */

static sqlite3_stmt *
store_outbox_stmt(store_t *st, int id)
{
    return store_int_stmt(st, STORE_CACHE_OUTBOX, store_outbox_sql, OUTBOX_STMT_MAX,
                          (size_t) id);
}

/* a bind failed: only SQLITE_NOMEM / SQLITE_TOOBIG can do that here */
static int
store_outbox_bind_failed(store_t *st, sqlite3_stmt *stmt, int rc,
    const char *what)
{
    store_int_error(st, rc, what);
    store_int_done(stmt);
    return STORE_ERROR;
}

/* -------------------------------------------------------------------- */
/* picking rows */

static int
store_outbox_held(const int64_t *skip, size_t nskip, int64_t id)
{
    size_t  i;

    for (i = 0; i < nskip; i++) {
        if (skip[i] == id) {
            return 1;
        }
    }
    return 0;
}

int
store_outbox_due(store_t *st, int64_t now, const int64_t *skip,
    size_t nskip, int64_t *ids, size_t max, size_t *n)
{
    sqlite3_stmt  *stmt;
    int64_t        id;
    int            rc;

    *n = 0;
    if (max == 0) {
        return STORE_OK;
    }

    stmt = store_outbox_stmt(st, OUTBOX_STMT_DUE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }

    /* enough rows to find max that are not held, even if every held one
     * is due and sorts first */
    if ((rc = sqlite3_bind_int64(stmt, 1, now)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 2, (int64_t) (max + nskip)))
           != SQLITE_OK)
    {
        return store_outbox_bind_failed(st, stmt, rc, "outbox due");
    }

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        id = sqlite3_column_int64(stmt, 0);
        if (store_outbox_held(skip, nskip, id)) {
            continue;
        }
        ids[(*n)++] = id;
        if (*n == max) {
            break;
        }
    }

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_int_error(st, rc, "outbox due");
        store_int_done(stmt);
        *n = 0;
        return STORE_ERROR;
    }
    store_int_done(stmt);
    return STORE_OK;
}

int
store_outbox_next_due(store_t *st, int64_t after, int64_t *at)
{
    sqlite3_stmt  *stmt;
    int            rc, found = 0;

    stmt = store_outbox_stmt(st, OUTBOX_STMT_NEXT_DUE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, after)) != SQLITE_OK) {
        return store_outbox_bind_failed(st, stmt, rc, "outbox next due");
    }

    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        store_int_error(st, rc, "outbox next due");
        store_int_done(stmt);
        return STORE_ERROR;
    }
    /* min() of no rows is one row holding NULL */
    if (sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
        *at = sqlite3_column_int64(stmt, 0);
        found = 1;
    }
    store_int_done(stmt);
    return found ? STORE_OK : STORE_NOTFOUND;
}

/* -------------------------------------------------------------------- */
/* one row */

/* a malloc()ed copy of a text column (NULL stays NULL); -1: no memory */
static int
store_outbox_strdup(sqlite3_stmt *stmt, int col, char **out)
{
    const unsigned char  *s;
    int                   n;

    *out = NULL;
    s = sqlite3_column_text(stmt, col);
    if (s == NULL) {
        return 0;
    }
    n = sqlite3_column_bytes(stmt, col);
    *out = malloc((size_t) n + 1);
    if (*out == NULL) {
        return -1;
    }
    memcpy(*out, s, (size_t) n);
    (*out)[n] = '\0';
    return 0;
}

int
store_outbox_get(store_t *st, int64_t id, store_outbox_row_t *row)
{
    sqlite3_stmt  *stmt;
    const void    *blob;
    int            rc, n;

    memset(row, 0, sizeof(*row));

    stmt = store_outbox_stmt(st, OUTBOX_STMT_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK) {
        return store_outbox_bind_failed(st, stmt, rc, "outbox get");
    }

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        store_int_done(stmt);
        return STORE_NOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        store_int_error(st, rc, "outbox get");
        store_int_done(stmt);
        return STORE_ERROR;
    }

    row->id = id;
    row->tenant_id = sqlite3_column_int64(stmt, 0);
    row->bulk_action_id = sqlite3_column_int64(stmt, 1);   /* NULL: 0 */
    row->candidate_id = sqlite3_column_int64(stmt, 2);
    row->attempts = sqlite3_column_int64(stmt, 7);
    row->line = sqlite3_column_int(stmt, 8);

    if (store_outbox_strdup(stmt, 3, &row->recipient) != 0
        || store_outbox_strdup(stmt, 4, &row->sender) != 0
        || store_outbox_strdup(stmt, 5, &row->message_id) != 0)
    {
        goto nomem;
    }

    /* the payload is a BLOB; a text value would read the same bytes */
    blob = sqlite3_column_blob(stmt, 6);
    n = sqlite3_column_bytes(stmt, 6);
    row->payload = malloc(n > 0 ? (size_t) n : 1);
    if (row->payload == NULL) {
        goto nomem;
    }
    if (n > 0) {
        memcpy(row->payload, blob, (size_t) n);
    }
    row->len = (size_t) n;

    if (row->recipient == NULL || row->message_id == NULL) {
        /* NOT NULL columns: only a column-read failure gets here */
        goto nomem;
    }

    store_int_done(stmt);
    return STORE_OK;

nomem:
    store_int_error(st, SQLITE_NOMEM, "outbox get");
    store_int_done(stmt);
    store_outbox_row_free(row);
    return STORE_ERROR;
}

void
store_outbox_row_free(store_outbox_row_t *row)
{
    free(row->recipient);
    free(row->sender);
    free(row->message_id);
    free(row->payload);
    row->recipient = NULL;
    row->sender = NULL;
    row->message_id = NULL;
    row->payload = NULL;
    row->len = 0;
}

/* -------------------------------------------------------------------- */
/* outcomes */

/* run an UPDATE; *changed = whether a row changed */
static int
store_outbox_update(store_t *st, sqlite3_stmt *stmt, const char *what,
    int *changed)
{
    int  rc;

    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        store_int_error(st, rc, what);
        store_int_done(stmt);
        return STORE_ERROR;
    }
    *changed = sqlite3_changes(store_int_db(st)) > 0;
    store_int_done(stmt);
    return STORE_OK;
}

int
store_outbox_sent(store_t *st, int64_t id, int64_t attempts, int64_t now,
    int *changed)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_outbox_stmt(st, OUTBOX_STMT_SENT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 2, attempts)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 3, now)) != SQLITE_OK)
    {
        return store_outbox_bind_failed(st, stmt, rc, "outbox sent");
    }
    return store_outbox_update(st, stmt, "outbox sent", changed);
}

int
store_outbox_failed(store_t *st, int64_t id, int64_t attempts,
    const char *error, int *changed)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_outbox_stmt(st, OUTBOX_STMT_FAILED);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 2, attempts)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 3, error, -1, SQLITE_TRANSIENT))
           != SQLITE_OK)
    {
        return store_outbox_bind_failed(st, stmt, rc, "outbox failed");
    }
    return store_outbox_update(st, stmt, "outbox failed", changed);
}

int
store_outbox_retry(store_t *st, int64_t id, int64_t attempts,
    int64_t next_attempt_at, const char *error, int *changed)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_outbox_stmt(st, OUTBOX_STMT_RETRY);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, id)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 2, attempts)) != SQLITE_OK
        || (rc = sqlite3_bind_int64(stmt, 3, next_attempt_at)) != SQLITE_OK
        || (rc = sqlite3_bind_text(stmt, 4, error, -1, SQLITE_TRANSIENT))
           != SQLITE_OK)
    {
        return store_outbox_bind_failed(st, stmt, rc, "outbox retry");
    }
    return store_outbox_update(st, stmt, "outbox retry", changed);
}

/* -------------------------------------------------------------------- */
/* mail settings */

int
store_outbox_mail_settings(store_t *st, int64_t tenant_id,
    store_mail_settings_t *m, uint8_t *sealed, size_t size,
    size_t *sealed_len)
{
    sqlite3_stmt  *stmt;
    const void    *blob;
    int            rc, n;

    memset(m, 0, sizeof(*m));
    *sealed_len = 0;

    stmt = store_outbox_stmt(st, OUTBOX_STMT_MAIL);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, tenant_id)) != SQLITE_OK) {
        return store_outbox_bind_failed(st, stmt, rc, "mail settings");
    }

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        store_int_done(stmt);
        return STORE_NOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        store_int_error(st, rc, "mail settings");
        store_int_done(stmt);
        return STORE_ERROR;
    }

    if (store_int_column_copy(stmt, 0, m->transport, sizeof(m->transport)) != 0
        || store_int_column_copy(stmt, 1, m->smtp_host, sizeof(m->smtp_host))
           != 0
        || store_int_column_copy(stmt, 3, m->smtp_security,
                             sizeof(m->smtp_security)) != 0
        || store_int_column_copy(stmt, 4, m->smtp_username,
                             sizeof(m->smtp_username)) != 0
        || store_int_column_copy(stmt, 6, m->from_email, sizeof(m->from_email))
           != 0
        || store_int_column_copy(stmt, 7, m->from_name, sizeof(m->from_name))
           != 0
        || store_int_column_copy(stmt, 8, m->reply_to, sizeof(m->reply_to)) != 0)
    {
        goto too_big;
    }
    m->smtp_port = sqlite3_column_int64(stmt, 2);

    if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
        blob = sqlite3_column_blob(stmt, 5);
        n = sqlite3_column_bytes(stmt, 5);
        if ((size_t) n > size) {
            goto too_big;
        }
        if (n > 0) {
            memcpy(sealed, blob, (size_t) n);
        }
        *sealed_len = (size_t) n;
        m->has_password = n > 0;
    }

    store_int_done(stmt);
    return STORE_OK;

too_big:
    /* never cut a value silently: a statement-level error */
    store_int_error(st, SQLITE_TOOBIG,
                    "mail_settings: a stored value is longer than its buffer");
    store_int_done(stmt);
    return STORE_ERROR;
}

/* -------------------------------------------------------------------- */
/* LINE settings */

int
store_outbox_line_settings(store_t *st, int64_t tenant_id, int *connected,
    uint8_t *sealed, size_t size, size_t *sealed_len)
{
    sqlite3_stmt  *stmt;
    const void    *blob;
    int            rc, n;

    *connected = 0;
    *sealed_len = 0;

    stmt = store_outbox_stmt(st, OUTBOX_STMT_LINE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    if ((rc = sqlite3_bind_int64(stmt, 1, tenant_id)) != SQLITE_OK) {
        return store_outbox_bind_failed(st, stmt, rc, "line settings");
    }

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        store_int_done(stmt);
        return STORE_NOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        store_int_error(st, rc, "line settings");
        store_int_done(stmt);
        return STORE_ERROR;
    }

    *connected = sqlite3_column_int(stmt, 0);
    blob = sqlite3_column_blob(stmt, 1);
    n = sqlite3_column_bytes(stmt, 1);
    if ((size_t) n > size) {
        store_int_error(st, SQLITE_TOOBIG, "line_settings: the stored access "
                        "token is longer than its buffer");
        store_int_done(stmt);
        return STORE_ERROR;
    }
    if (n > 0) {
        memcpy(sealed, blob, (size_t) n);
    }
    *sealed_len = (size_t) n;

    store_int_done(stmt);
    return STORE_OK;
}
