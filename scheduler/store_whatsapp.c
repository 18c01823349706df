/*
 * The store, for WhatsApp (docs/whatsapp.md): every statement written out
 * below, values bound, prepared on first use and kept in the
 * STORE_CACHE_WHATSAPP slot (see store.c for the reasons).
 *
 * A number is always written whole: the worker's connect check passed on
 * exactly these values, and the three secrets are sealed to the phone
 * number id they were checked with.
 */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_int.h"
#include "store_whatsapp.h"

enum {
    WA_NUMBER_INSERT = 0,
    WA_NUMBER_UPDATE,
    WA_NUMBER_DELETE,
    WA_NUMBER_OF,
    WA_NUMBER_EXISTS,
    WA_CANDIDATE_OF,
    WA_DELIVERY_INSERT,
    WA_EVENT_INSERT,
    WA_TIMELINE,
    WA_EVENT_CANDIDATE,
    WA_STMT_MAX
};

static const char *const store_wa_sql[WA_STMT_MAX] = {
    [WA_NUMBER_INSERT] =
        "INSERT INTO whatsapp_numbers (tenant_id, nickname, waba_id,"
        " phone_number_id, access_token, app_secret, verify_token,"
        " display_phone_number, verified_name, quality_rating,"
        " unknown_senders, connected_at, created_at, updated_at, updated_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12,"
        " ?12, ?13)",

    /* by primary key, and only the tenant's own */
    [WA_NUMBER_UPDATE] =
        "UPDATE whatsapp_numbers SET nickname = ?2, waba_id = ?3,"
        " phone_number_id = ?4, access_token = ?5, app_secret = ?6,"
        " verify_token = ?7, display_phone_number = ?8, verified_name = ?9,"
        " quality_rating = ?10, unknown_senders = ?11, connected_at = ?12,"
        " updated_at = ?12, updated_by = ?13"
        " WHERE id = ?14 AND tenant_id = ?1",

    [WA_NUMBER_DELETE] =
        "DELETE FROM whatsapp_numbers WHERE id = ?2 AND tenant_id = ?1",

    /* the UNIQUE index on phone_number_id; only the tenant's own */
    [WA_NUMBER_OF] =
        "SELECT id, unknown_senders = 'candidate' FROM whatsapp_numbers"
        " WHERE phone_number_id = ?2 AND tenant_id = ?1",

    [WA_NUMBER_EXISTS] =
        "SELECT 1 FROM whatsapp_numbers WHERE id = ?1 AND tenant_id = ?2",

    /* the partial index candidates_whatsapp */
    [WA_CANDIDATE_OF] =
        "SELECT id FROM candidates WHERE tenant_id = ?1"
        " AND whatsapp_number = ?2 AND whatsapp_number IS NOT NULL"
        " ORDER BY id LIMIT 1",

    [WA_DELIVERY_INSERT] =
        "INSERT INTO whatsapp_deliveries (tenant_id, number_id, body,"
        " received_at) VALUES (?1, ?2, ?3, ?4)",

    [WA_EVENT_INSERT] =
        "INSERT OR IGNORE INTO whatsapp_events (tenant_id, delivery_id,"
        " number_id, kind, dedup_key, wamid, wa_id, phone, candidate_id,"
        " type, text, status, error_code, error_title, template_id,"
        " template_name, language, reason, occurred_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14, ?15, ?16, ?17, ?18, ?19)",

    /* an inbound message of a candidate into the timeline (WA-2) */
    [WA_TIMELINE] =
        "INSERT INTO messages (tenant_id, candidate_id, channel, direction,"
        " kind, body, whatsapp_event_id, created_at)"
        " VALUES (?1, ?2, 'whatsapp', 'in', ?3, ?4, ?5, ?6)",

    [WA_EVENT_CANDIDATE] =
        "UPDATE whatsapp_events SET candidate_id = ?2 WHERE id = ?1",
};

static sqlite3_stmt *
store_wa_stmt(store_t *st, int id)
{
    return store_int_stmt(st, STORE_CACHE_WHATSAPP, store_wa_sql,
                          WA_STMT_MAX, (size_t) id);
}

int
store_wa_number_set(store_t *st, int64_t tenant_id,
    const store_wa_number_set_t *s, int64_t now, int64_t by, int64_t *id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_wa_stmt(st, s->id ? WA_NUMBER_UPDATE : WA_NUMBER_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, s->nickname, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, s->waba_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, s->phone_number_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 5, s->access_token.data, s->access_token.len,
                        SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 6, s->app_secret.data, s->app_secret.len,
                        SQLITE_STATIC);
    sqlite3_bind_blob64(stmt, 7, s->verify_token.data, s->verify_token.len,
                        SQLITE_STATIC);
    store_int_bind_text(stmt, 8, s->display_phone_number);
    store_int_bind_text(stmt, 9, s->verified_name);
    store_int_bind_text(stmt, 10, s->quality_rating);
    sqlite3_bind_text(stmt, 11, s->unknown_senders, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 12, now);
    store_int_bind_id(stmt, 13, by);
    if (s->id) {
        sqlite3_bind_int64(stmt, 14, s->id);
    }

    rc = store_int_exec(st, stmt, "set whatsapp number");
    if (rc != STORE_OK) {
        return rc;
    }
    if (s->id == 0) {
        *id = sqlite3_last_insert_rowid(store_int_db(st));
        return STORE_OK;
    }
    *id = s->id;
    return sqlite3_changes(store_int_db(st)) > 0 ? STORE_OK : STORE_NOTFOUND;
}

int
store_wa_number_delete(store_t *st, int64_t tenant_id, int64_t id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_wa_stmt(st, WA_NUMBER_DELETE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);
    rc = store_int_exec(st, stmt, "delete whatsapp number");
    if (rc != STORE_OK) {
        return rc;
    }
    return sqlite3_changes(store_int_db(st)) > 0 ? STORE_OK : STORE_NOTFOUND;
}

/* one id column of the first row, or STORE_NOTFOUND */
static int
store_wa_lookup(store_t *st, int stmt_id, int64_t tenant_id,
    const char *key, int64_t *id, const char *what)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_wa_stmt(st, stmt_id);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    rc = store_int_row(st, stmt, what);
    if (rc != STORE_OK) {
        return rc;
    }
    *id = sqlite3_column_int64(stmt, 0);
    store_int_done(stmt);
    return STORE_OK;
}

int
store_wa_number_of(store_t *st, int64_t tenant_id,
    const char *phone_number_id, int64_t *id, int *new_candidates)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_wa_stmt(st, WA_NUMBER_OF);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, phone_number_id, -1, SQLITE_STATIC);
    rc = store_int_row(st, stmt, "find whatsapp number");
    if (rc != STORE_OK) {
        return rc;
    }
    *id = sqlite3_column_int64(stmt, 0);
    *new_candidates = sqlite3_column_int(stmt, 1);
    store_int_done(stmt);
    return STORE_OK;
}

int
store_wa_event_candidate(store_t *st, int64_t event_id, int64_t cid)
{
    sqlite3_stmt  *stmt;

    stmt = store_wa_stmt(st, WA_EVENT_CANDIDATE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, event_id);
    sqlite3_bind_int64(stmt, 2, cid);
    return store_int_exec(st, stmt, "match whatsapp event");
}

int
store_wa_candidate_of(store_t *st, int64_t tenant_id, const char *e164,
    int64_t *id)
{
    return store_wa_lookup(st, WA_CANDIDATE_OF, tenant_id, e164, id,
                           "find whatsapp candidate");
}

int
store_wa_delivery_insert(store_t *st, int64_t tenant_id, int64_t number_id,
    const void *body, size_t len, int64_t now, int64_t *id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_wa_stmt(st, WA_DELIVERY_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, number_id);
    sqlite3_bind_blob64(stmt, 3, len ? body : "", len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, now);
    rc = store_int_exec(st, stmt, "store whatsapp delivery");
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(store_int_db(st));
    }
    return rc;
}

static void
store_wa_bind_int_or_null(sqlite3_stmt *stmt, int i, int64_t v)
{
    if (v) {
        sqlite3_bind_int64(stmt, i, v);
    } else {
        sqlite3_bind_null(stmt, i);
    }
}

int
store_wa_event_insert(store_t *st, int64_t tenant_id,
    const store_wa_event_t *e, int *inserted, int64_t *event_id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_wa_stmt(st, WA_EVENT_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, e->delivery_id);
    store_int_bind_id(stmt, 3, e->number_id);
    sqlite3_bind_text(stmt, 4, e->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, e->dedup_key, -1, SQLITE_STATIC);
    store_int_bind_text(stmt, 6, e->wamid);
    store_int_bind_text(stmt, 7, e->wa_id);
    store_int_bind_text(stmt, 8, e->phone);
    store_int_bind_id(stmt, 9, e->candidate_id);
    store_int_bind_text(stmt, 10, e->type);
    store_int_bind_text(stmt, 11, e->text);
    store_int_bind_text(stmt, 12, e->status);
    store_wa_bind_int_or_null(stmt, 13, e->error_code);
    store_int_bind_text(stmt, 14, e->error_title);
    store_int_bind_text(stmt, 15, e->template_id);
    store_int_bind_text(stmt, 16, e->template_name);
    store_int_bind_text(stmt, 17, e->language);
    store_int_bind_text(stmt, 18, e->reason);
    sqlite3_bind_int64(stmt, 19, e->occurred_at);
    rc = store_int_exec(st, stmt, "store whatsapp event");
    *inserted = (rc == STORE_OK && sqlite3_changes(store_int_db(st)) > 0);
    if (*inserted) {
        *event_id = sqlite3_last_insert_rowid(store_int_db(st));
    }
    return rc;
}

int
store_wa_timeline_insert(store_t *st, int64_t tenant_id,
    int64_t candidate_id, const char *kind, const char *body,
    int64_t event_id, int64_t at)
{
    sqlite3_stmt  *stmt;

    stmt = store_wa_stmt(st, WA_TIMELINE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, candidate_id);
    sqlite3_bind_text(stmt, 3, kind, -1, SQLITE_STATIC);
    store_int_bind_text(stmt, 4, body);
    sqlite3_bind_int64(stmt, 5, event_id);
    sqlite3_bind_int64(stmt, 6, at);
    return store_int_exec(st, stmt, "store whatsapp timeline row");
}

int
store_wa_number_exists(store_t *st, int64_t tenant_id, int64_t id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_wa_stmt(st, WA_NUMBER_EXISTS);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, tenant_id);
    rc = store_int_row(st, stmt, "find whatsapp number");
    if (rc == STORE_OK) {
        store_int_done(stmt);
    }
    return rc;
}
