/*
 * The store, for bulk actions: every statement written out below, values
 * bound, prepared on first use and kept in the STORE_CACHE_BULK slot (see
 * store.c for the reasons).  The evaluation itself (which candidates, who
 * fails and why) is shm/hrx_bulk.c's, shared with the workers' dry run;
 * here it only gets the connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_bulk.h"
#include "store_int.h"

enum {
    BULK_GET = 0,
    BULK_COUNT_RESERVED,
    BULK_INSERT,
    BULK_UPDATE,
    BULK_DELETE,
    BULK_NEXT_DUE,
    BULK_NEXT_RUN_AT,
    BULK_START,
    BULK_FINISH,
    BULK_RESULT_INSERT,
    BULK_RESULT_SETTLE,
    BULK_COUNTERS,
    BULK_LABEL,
    BULK_OUTBOX_QUEUE,
    BULK_MAIL_GET,
    BULK_MAIL_SET,
    BULK_STMT_MAX
};

#define BULK_COLUMNS                                                          \
    "SELECT b.id, b.tenant_id, b.name, b.kind, b.status, b.run_at,"          \
    " b.saved_search_id, s.search_group_id, b.template_id, b.form_id,"        \
    " b.event_id, b.event_group_id, b.executed_label_id, b.also_line,"        \
    " b.hits, b.reached, b.failed, b.pending, b.updated_by"                   \
    " FROM bulk_actions b LEFT JOIN saved_searches s"                         \
    "  ON s.id = b.saved_search_id AND s.tenant_id = b.tenant_id"

static const char *const store_bulk_sql[BULK_STMT_MAX] = {
    /* tenant 0: any (the scheduler's own work names actions by id) */
    [BULK_GET] = BULK_COLUMNS " WHERE b.id = ?2 AND ?1 IN (0, b.tenant_id)",

    [BULK_COUNT_RESERVED] =
        "SELECT count(*) FROM bulk_actions WHERE tenant_id = ?1"
        " AND status IN ('waiting','on_hold')",

    [BULK_INSERT] =
        "INSERT INTO bulk_actions (tenant_id, name, kind, status, run_at,"
        " saved_search_id, template_id, form_id, event_id, event_group_id,"
        " executed_label_id, also_line, estimate, created_at, created_by,"
        " updated_at, updated_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14, ?15, ?14, ?15)",

    [BULK_UPDATE] =
        "UPDATE bulk_actions SET name = ?3, status = ?4, run_at = ?5,"
        " saved_search_id = ?6, template_id = ?7, form_id = ?8,"
        " event_id = ?9, event_group_id = ?10, executed_label_id = ?11,"
        " also_line = ?12, estimate = ?13, updated_at = ?14,"
        " updated_by = ?15"
        " WHERE tenant_id = ?1 AND id = ?2",

    [BULK_DELETE] =
        "DELETE FROM bulk_actions WHERE tenant_id = ?1 AND id = ?2",

    [BULK_NEXT_DUE] =
        "SELECT id, tenant_id FROM bulk_actions"
        " WHERE status = 'waiting' AND run_at <= ?1"
        " ORDER BY run_at, id LIMIT 1",

    /* when the loop must look again (the bulk_actions_due index) */
    [BULK_NEXT_RUN_AT] =
        "SELECT run_at FROM bulk_actions WHERE status = 'waiting'"
        " ORDER BY run_at LIMIT 1",

    [BULK_START] =
        "UPDATE bulk_actions SET status = ?2, hits = ?3, failed = ?4,"
        " pending = ?5, reached = 0, started_at = ?6, late_ms = ?7,"
        " finished_at = ?8, error_code = ?9, error_message = ?10"
        " WHERE id = ?1",

    [BULK_FINISH] =
        "UPDATE bulk_actions SET status = ?2, error_code = ?3,"
        " error_message = ?4, finished_at = ?5"
        " WHERE id = ?1 AND status = 'running' AND pending = 0",

    [BULK_RESULT_INSERT] =
        "INSERT INTO bulk_action_results (bulk_action_id, candidate_id,"
        " candidate_name, to_agent, email, line, state, reason, detail)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",

    [BULK_RESULT_SETTLE] =
        "UPDATE bulk_action_results SET state = ?3, reason = ?4, detail = ?5"
        " WHERE bulk_action_id = ?1 AND candidate_id = ?2"
        " AND state = 'pending'",

    [BULK_COUNTERS] =
        "UPDATE bulk_actions SET pending = pending - 1,"
        " reached = reached + ?2, failed = failed + ?3 WHERE id = ?1",

    /* the candidate may have been deleted since T: then nothing */
    [BULK_LABEL] =
        "INSERT OR IGNORE INTO candidate_labels (candidate_id, label_id,"
        " labeled_at)"
        " SELECT c.id, l.id, ?4 FROM candidates c, labels l"
        " WHERE c.tenant_id = ?1 AND c.id = ?2"
        " AND l.tenant_id = ?1 AND l.id = ?3",

    [BULK_OUTBOX_QUEUE] =
        "INSERT INTO outbox (tenant_id, channel, bulk_action_id,"
        " candidate_id, recipient, sender, message_id, payload,"
        " next_attempt_at, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",

    [BULK_MAIL_GET] =
        "SELECT transport, smtp_host, smtp_port, smtp_security,"
        " smtp_username, smtp_password IS NOT NULL, from_email, from_name,"
        " reply_to FROM mail_settings WHERE tenant_id = ?1",

    /* ?11 = 1: keep the stored password (an upsert keeps the old row's) */
    [BULK_MAIL_SET] =
        "INSERT INTO mail_settings (tenant_id, transport, smtp_host,"
        " smtp_port, smtp_security, smtp_username, smtp_password,"
        " from_email, from_name, reply_to, updated_at, updated_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12, ?13)"
        " ON CONFLICT (tenant_id) DO UPDATE SET transport = excluded.transport,"
        " smtp_host = excluded.smtp_host, smtp_port = excluded.smtp_port,"
        " smtp_security = excluded.smtp_security,"
        " smtp_username = excluded.smtp_username,"
        " smtp_password = CASE WHEN ?11 THEN smtp_password"
        "  ELSE excluded.smtp_password END,"
        " from_email = excluded.from_email, from_name = excluded.from_name,"
        " reply_to = excluded.reply_to, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by",
};

/* -------------------------------------------------------------------- */
/* statements */

static sqlite3_stmt *
store_bulk_stmt(store_t *st, int id)
{
    return store_int_stmt(st, STORE_CACHE_BULK, store_bulk_sql, BULK_STMT_MAX,
                          (size_t) id);
}

static int
store_bulk_too_big(store_t *st, sqlite3_stmt *stmt, const char *what)
{
    store_int_done(stmt);
    store_int_error(st, SQLITE_TOOBIG, what);
    return STORE_ERROR;
}

/* -------------------------------------------------------------------- */
/* reservations */

int
store_bulk_get(store_t *st, int64_t tenant_id, int64_t id, store_bulk_t *b)
{
    sqlite3_stmt  *stmt;
    char           kind[32];
    int            rc;

    stmt = store_bulk_stmt(st, BULK_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);

    rc = store_int_row(st, stmt, "get bulk action");
    if (rc != STORE_OK) {
        return rc;
    }

    memset(b, 0, sizeof(*b));
    b->id = sqlite3_column_int64(stmt, 0);
    b->tenant_id = sqlite3_column_int64(stmt, 1);
    if (store_int_column_copy(stmt, 2, b->name, sizeof(b->name)) != 0
        || store_int_column_copy(stmt, 3, kind, sizeof(kind)) != 0
        || store_int_column_copy(stmt, 4, b->status, sizeof(b->status)) != 0)
    {
        return store_bulk_too_big(st, stmt, "get bulk action");
    }
    b->kind = hrx_bulk_kind(kind);
    b->run_at = sqlite3_column_int64(stmt, 5);
    b->saved_search_id = sqlite3_column_int64(stmt, 6);
    b->search_group_id = sqlite3_column_int64(stmt, 7);
    b->template_id = sqlite3_column_int64(stmt, 8);
    b->form_id = sqlite3_column_int64(stmt, 9);
    b->event_id = sqlite3_column_int64(stmt, 10);
    b->event_group_id = sqlite3_column_int64(stmt, 11);
    b->executed_label_id = sqlite3_column_int64(stmt, 12);
    b->also_line = sqlite3_column_int(stmt, 13);
    b->hits = sqlite3_column_type(stmt, 14) == SQLITE_NULL
              ? -1 : sqlite3_column_int64(stmt, 14);
    b->reached = sqlite3_column_int64(stmt, 15);
    b->failed = sqlite3_column_int64(stmt, 16);
    b->pending = sqlite3_column_int64(stmt, 17);
    b->updated_by = sqlite3_column_int64(stmt, 18);
    store_int_done(stmt);
    return STORE_OK;
}

int
store_bulk_count_reserved(store_t *st, int64_t tenant_id, int64_t *n)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_bulk_stmt(st, BULK_COUNT_RESERVED);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    rc = store_int_row(st, stmt, "count reserved bulk actions");
    if (rc != STORE_OK) {
        return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
    }
    *n = sqlite3_column_int64(stmt, 0);
    store_int_done(stmt);
    return STORE_OK;
}

/* ?3 .. ?13 of BULK_INSERT (after ?1 ?2) and BULK_UPDATE (?3 .. ?13) */
static void
store_bulk_bind_members(sqlite3_stmt *stmt, const store_bulk_t *b,
    int64_t estimate, int first)
{
    int  i = first;

    if (first == 2) {                       /* insert: ?2 name, ?3 kind */
        sqlite3_bind_text(stmt, i++, b->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, i++, hrx_bulk_kind_name(b->kind), -1,
                          SQLITE_STATIC);
    } else {                                /* update: ?3 name */
        sqlite3_bind_text(stmt, i++, b->name, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(stmt, i++, b->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, i++, b->run_at);
    sqlite3_bind_int64(stmt, i++, b->saved_search_id);
    sqlite3_bind_int64(stmt, i++, b->template_id);
    store_int_bind_id(stmt, i++, b->form_id);
    store_int_bind_id(stmt, i++, b->event_id);
    store_int_bind_id(stmt, i++, b->event_group_id);
    store_int_bind_id(stmt, i++, b->executed_label_id);
    sqlite3_bind_int(stmt, i++, b->also_line != 0);
    sqlite3_bind_int64(stmt, i, estimate);
}

int
store_bulk_insert(store_t *st, const store_bulk_t *b, int64_t estimate,
    int64_t at, int64_t by, int64_t *id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_bulk_stmt(st, BULK_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, b->tenant_id);
    store_bulk_bind_members(stmt, b, estimate, 2);
    sqlite3_bind_int64(stmt, 14, at);
    store_int_bind_id(stmt, 15, by);

    rc = store_int_exec(st, stmt, "insert bulk action");
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(store_int_db(st));
    }
    return rc;
}

int
store_bulk_update(store_t *st, const store_bulk_t *b, int64_t estimate,
    int64_t at, int64_t by)
{
    sqlite3_stmt  *stmt;

    stmt = store_bulk_stmt(st, BULK_UPDATE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, b->tenant_id);
    sqlite3_bind_int64(stmt, 2, b->id);
    store_bulk_bind_members(stmt, b, estimate, 3);
    sqlite3_bind_int64(stmt, 14, at);
    store_int_bind_id(stmt, 15, by);
    return store_int_exec(st, stmt, "update bulk action");
}

int
store_bulk_delete(store_t *st, int64_t tenant_id, int64_t id)
{
    sqlite3_stmt  *stmt;

    stmt = store_bulk_stmt(st, BULK_DELETE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);
    return store_int_exec(st, stmt, "delete bulk action");
}

/* -------------------------------------------------------------------- */
/* running */

int
store_bulk_next_due(store_t *st, int64_t now, int64_t *id,
    int64_t *tenant_id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_bulk_stmt(st, BULK_NEXT_DUE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, now);
    rc = store_int_row(st, stmt, "due bulk actions");
    if (rc != STORE_OK) {
        return rc;
    }
    *id = sqlite3_column_int64(stmt, 0);
    *tenant_id = sqlite3_column_int64(stmt, 1);
    store_int_done(stmt);
    return STORE_OK;
}

int
store_bulk_next_run_at(store_t *st, int64_t *at)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_bulk_stmt(st, BULK_NEXT_RUN_AT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    rc = store_int_row(st, stmt, "next bulk action");
    if (rc != STORE_OK) {
        return rc;
    }
    *at = sqlite3_column_int64(stmt, 0);
    store_int_done(stmt);
    return STORE_OK;
}

int
store_bulk_start(store_t *st, int64_t id, const char *status, int64_t hits,
    int64_t failed, int64_t pending, int64_t started_at, int64_t late_ms,
    int64_t finished_at, const char *error_code, const char *error_message)
{
    sqlite3_stmt  *stmt;

    stmt = store_bulk_stmt(st, BULK_START);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, status, -1, SQLITE_STATIC);
    if (hits >= 0) {
        sqlite3_bind_int64(stmt, 3, hits);
    }
    sqlite3_bind_int64(stmt, 4, failed);
    sqlite3_bind_int64(stmt, 5, pending);
    sqlite3_bind_int64(stmt, 6, started_at);
    store_int_bind_id(stmt, 7, late_ms);
    store_int_bind_id(stmt, 8, finished_at);
    store_int_bind_text(stmt, 9, error_code);
    store_int_bind_text(stmt, 10, error_message);
    return store_int_exec(st, stmt, "start bulk action");
}

int
store_bulk_finish(store_t *st, int64_t id, const char *status,
    const char *error_code, const char *error_message, int64_t finished_at)
{
    sqlite3_stmt  *stmt;

    stmt = store_bulk_stmt(st, BULK_FINISH);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text(stmt, 2, status, -1, SQLITE_STATIC);
    store_int_bind_text(stmt, 3, error_code);
    store_int_bind_text(stmt, 4, error_message);
    sqlite3_bind_int64(stmt, 5, finished_at);
    return store_int_exec(st, stmt, "finish bulk action");
}

int
store_bulk_result_insert(store_t *st, int64_t action_id,
    int64_t candidate_id, const char *candidate_name, int to_agent,
    const char *email, int line, const char *state, const char *reason,
    const char *detail)
{
    sqlite3_stmt  *stmt;

    stmt = store_bulk_stmt(st, BULK_RESULT_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, action_id);
    sqlite3_bind_int64(stmt, 2, candidate_id);
    sqlite3_bind_text(stmt, 3, candidate_name, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 4, to_agent != 0);
    store_int_bind_text(stmt, 5, email);
    sqlite3_bind_int(stmt, 6, line != 0);
    sqlite3_bind_text(stmt, 7, state, -1, SQLITE_STATIC);
    store_int_bind_text(stmt, 8, reason);
    store_int_bind_text(stmt, 9, detail);
    return store_int_exec(st, stmt, "insert bulk action result");
}

int
store_bulk_result_settle(store_t *st, int64_t action_id,
    int64_t candidate_id, int delivered, const char *reason,
    const char *detail, int *changed)
{
    sqlite3_stmt  *stmt;
    int            rc;

    *changed = 0;

    stmt = store_bulk_stmt(st, BULK_RESULT_SETTLE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, action_id);
    sqlite3_bind_int64(stmt, 2, candidate_id);
    sqlite3_bind_text(stmt, 3, delivered ? "reached" : "failed", -1,
                      SQLITE_STATIC);
    store_int_bind_text(stmt, 4, delivered ? NULL : reason);
    store_int_bind_text(stmt, 5, delivered ? NULL : detail);
    rc = store_int_exec(st, stmt, "settle bulk action result");
    if (rc != STORE_OK) {
        return rc;
    }
    if (sqlite3_changes(store_int_db(st)) == 0) {
        return STORE_OK;                   /* settled before: a resend */
    }
    *changed = 1;

    stmt = store_bulk_stmt(st, BULK_COUNTERS);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, action_id);
    sqlite3_bind_int(stmt, 2, delivered != 0);
    sqlite3_bind_int(stmt, 3, delivered == 0);
    return store_int_exec(st, stmt, "count bulk action result");
}

int
store_bulk_label(store_t *st, int64_t tenant_id, int64_t candidate_id,
    int64_t label_id, int64_t now)
{
    sqlite3_stmt  *stmt;

    stmt = store_bulk_stmt(st, BULK_LABEL);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, candidate_id);
    sqlite3_bind_int64(stmt, 3, label_id);
    sqlite3_bind_int64(stmt, 4, now);
    return store_int_exec(st, stmt, "label candidate");
}

/* SQLite's failure, as the store reports its own */
static void
store_bulk_eval_failed(store_t *st, int rc, const hrx_bulk_error_t *err)
{
    if (rc == HRX_BULK_DB_ERROR) {
        store_int_error(st, sqlite3_extended_errcode(store_int_db(st)),
                        err->message);
    }
}

int
store_bulk_evaluate(store_t *st, const hrx_bulk_def_t *def, int64_t now,
    int render, hrx_bulk_link_pt link, void *link_ctx,
    hrx_bulk_visit_pt visit, void *visit_ctx, hrx_bulk_sum_t *sum,
    hrx_bulk_error_t *err)
{
    int  rc;

    rc = hrx_bulk_evaluate(store_int_db(st), def, now, render, link,
                           link_ctx, visit, visit_ctx, sum, err);
    store_bulk_eval_failed(st, rc, err);
    return rc;
}

int
store_bulk_count_hits(store_t *st, int64_t tenant_id,
    int64_t saved_search_id, int64_t *hits, hrx_bulk_error_t *err)
{
    int  rc;

    rc = hrx_bulk_count_hits(store_int_db(st), tenant_id, saved_search_id,
                             hits, err);
    store_bulk_eval_failed(st, rc, err);
    return rc;
}

/* -------------------------------------------------------------------- */
/* outbox and mail settings */

int
store_outbox_queue(store_t *st, int64_t tenant_id, const char *channel,
    int64_t action_id, int64_t candidate_id, const char *recipient,
    const char *sender, const char *message_id, const void *payload,
    size_t len, int64_t now)
{
    sqlite3_stmt  *stmt;

    stmt = store_bulk_stmt(st, BULK_OUTBOX_QUEUE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, channel, -1, SQLITE_STATIC);
    store_int_bind_id(stmt, 3, action_id);
    store_int_bind_id(stmt, 4, candidate_id);
    sqlite3_bind_text(stmt, 5, recipient, -1, SQLITE_STATIC);
    store_int_bind_text(stmt, 6, sender);
    sqlite3_bind_text(stmt, 7, message_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 8, payload, len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 9, now);
    return store_int_exec(st, stmt, "queue outbox message");
}

int
store_mail_settings_get(store_t *st, int64_t tenant_id,
    store_mail_settings_t *m)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_bulk_stmt(st, BULK_MAIL_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    rc = store_int_row(st, stmt, "get mail settings");
    if (rc != STORE_OK) {
        return rc;
    }
    memset(m, 0, sizeof(*m));
    if (store_int_column_copy(stmt, 0, m->transport, sizeof(m->transport)) != 0
        || store_int_column_copy(stmt, 1, m->smtp_host, sizeof(m->smtp_host)) != 0
        || store_int_column_copy(stmt, 3, m->smtp_security, sizeof(m->smtp_security))
           != 0
        || store_int_column_copy(stmt, 4, m->smtp_username, sizeof(m->smtp_username))
           != 0
        || store_int_column_copy(stmt, 6, m->from_email, sizeof(m->from_email)) != 0
        || store_int_column_copy(stmt, 7, m->from_name, sizeof(m->from_name)) != 0
        || store_int_column_copy(stmt, 8, m->reply_to, sizeof(m->reply_to)) != 0)
    {
        return store_bulk_too_big(st, stmt, "get mail settings");
    }
    m->smtp_port = sqlite3_column_int64(stmt, 2);
    m->has_password = sqlite3_column_int(stmt, 5);
    store_int_done(stmt);
    return STORE_OK;
}

static void
bind_nonempty(sqlite3_stmt *stmt, int i, const char *s)
{
    store_int_bind_text(stmt, i, (s != NULL && s[0] != '\0') ? s : NULL);
}

int
store_mail_settings_set(store_t *st, int64_t tenant_id,
    const store_mail_settings_t *m, const void *password, size_t plen,
    int keep_password, int64_t at, int64_t by)
{
    sqlite3_stmt  *stmt;

    stmt = store_bulk_stmt(st, BULK_MAIL_SET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, m->transport, -1, SQLITE_STATIC);
    bind_nonempty(stmt, 3, m->smtp_host);
    store_int_bind_id(stmt, 4, m->smtp_port);
    bind_nonempty(stmt, 5, m->smtp_security);
    bind_nonempty(stmt, 6, m->smtp_username);
    if (password != NULL) {
        sqlite3_bind_blob64(stmt, 7, password, plen, SQLITE_STATIC);
    }
    sqlite3_bind_text(stmt, 8, m->from_email, -1, SQLITE_STATIC);
    bind_nonempty(stmt, 9, m->from_name);
    bind_nonempty(stmt, 10, m->reply_to);
    sqlite3_bind_int(stmt, 11, password == NULL && keep_password);
    sqlite3_bind_int64(stmt, 12, at);
    store_int_bind_id(stmt, 13, by);
    return store_int_exec(st, stmt, "set mail settings");
}
