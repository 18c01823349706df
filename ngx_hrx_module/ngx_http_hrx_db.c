/*
 * The store interface of the module: all of its SQL.
 *
 * Each worker has one read-only connection (SQLITE_OPEN_READONLY plus
 * PRAGMA query_only) to the database the scheduler writes in WAL mode, so
 * reads never wait for the writer and see every committed batch — and
 * the scheduler publishes a reply only after its commit, so a client
 * always reads its own writes.  busy_timeout is short (100 ms): a reader
 * only waits during WAL recovery.
 *
 * The database may not exist when nginx starts (the scheduler creates
 * it): opening is retried on use.  Statements are prepared on first use
 * (SQLITE_PREPARE_PERSISTENT) and kept for the worker's life; every use
 * binds its parameters (never string building) and resets the statement
 * at once, so no read transaction stays open between requests (an open
 * one would pin an old snapshot and keep the WAL from being
 * checkpointed).
 *
 * Rows are rendered here into the JSON the API returns, the same shapes
 * the scheduler renders (scheduler/render.c): times through
 * hrx_json_time(), ids meaning "nobody" as null.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <pthread.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "hrx_bulk.h"
#include "hrx_codec.h"
#include "hrx_prepare.h"
#include "hrx_resource.h"
#include "hrx_search.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_reach.h"


enum {
    NGX_HTTP_HRX_SQL_SESSION = 0,
    NGX_HTTP_HRX_SQL_TOKEN,
    NGX_HTTP_HRX_SQL_LOGIN,
    NGX_HTTP_HRX_SQL_LOGIN_TENANT,
    NGX_HTTP_HRX_SQL_USER,
    NGX_HTTP_HRX_SQL_USERS,
    NGX_HTTP_HRX_SQL_TOKENS,
    NGX_HTTP_HRX_SQL_TENANT,
    NGX_HTTP_HRX_SQL_TENANTS,
    NGX_HTTP_HRX_SQL_MERGE_DATA,
    NGX_HTTP_HRX_SQL_BULK_TEMPLATE,
    NGX_HTTP_HRX_SQL_BULK_REASONS,
    NGX_HTTP_HRX_SQL_BULK_RESULTS,
    NGX_HTTP_HRX_SQL_MAIL_SETTINGS,
    NGX_HTTP_HRX_SQL_LINE_LOGIN,
    NGX_HTTP_HRX_SQL_LINE_SETTINGS,
    NGX_HTTP_HRX_SQL_LINE_SECRETS,
    NGX_HTTP_HRX_SQL_LINE_UNLINKED,
    NGX_HTTP_HRX_SQL_MESSAGES,
    NGX_HTTP_HRX_SQL_MESSAGE,
    NGX_HTTP_HRX_SQL_MAX
};


#define NGX_HTTP_HRX_USER_COLUMNS                                             \
    "SELECT u.id, u.tenant_id, u.email, u.name, u.status, u.role_id,"         \
    " r.name, r.permissions, u.platform_admin,"                               \
    " u.password_hash IS NOT NULL,"                                           \
    " u.created_at, u.created_by, u.updated_at, u.updated_by,"                \
    " (SELECT json_group_array(x) FROM (SELECT master_group_id AS x"          \
    "  FROM user_master_groups WHERE user_id = u.id ORDER BY 1))"             \
    " FROM users u JOIN roles r ON r.id = u.role_id"

#define NGX_HTTP_HRX_TENANT_COLUMNS                                           \
    "SELECT id, slug, name, time_zone, created_at, created_by, updated_at,"   \
    " updated_by FROM tenants"

#define NGX_HTTP_HRX_TOKEN_COLUMNS                                            \
    "SELECT id, name, prefix, user_id, created_at, expires_at"                \
    " FROM api_tokens"

/* the holder of a session or token: an active user, with its role */
#define NGX_HTTP_HRX_HOLDER                                                   \
    " JOIN users u ON u.id = x.user_id AND u.tenant_id = x.tenant_id"         \
    " JOIN roles r ON r.id = u.role_id"

static const char *const  ngx_http_hrx_sql[NGX_HTTP_HRX_SQL_MAX] = {

    [NGX_HTTP_HRX_SQL_SESSION] =
        "SELECT x.user_id, x.tenant_id, x.expires_at, u.platform_admin,"
        " r.permissions FROM sessions x" NGX_HTTP_HRX_HOLDER
        " WHERE x.token_hash = ?1 AND x.expires_at > ?2"
        " AND u.status = 'active'",

    [NGX_HTTP_HRX_SQL_TOKEN] =
        "SELECT x.user_id, x.tenant_id, x.expires_at, u.platform_admin,"
        " r.permissions FROM api_tokens x" NGX_HTTP_HRX_HOLDER
        " WHERE x.token_hash = ?1"
        " AND (x.expires_at IS NULL OR x.expires_at > ?2)"
        " AND u.status = 'active'",

    [NGX_HTTP_HRX_SQL_LOGIN] =
        "SELECT u.id, u.tenant_id, u.status = 'active', u.password_hash"
        " FROM users u WHERE u.email = ?1 ORDER BY u.id LIMIT ?2",

    [NGX_HTTP_HRX_SQL_LOGIN_TENANT] =
        "SELECT u.id, u.tenant_id, u.status = 'active', u.password_hash"
        " FROM users u JOIN tenants t ON t.id = u.tenant_id"
        " WHERE u.email = ?1 AND t.slug = ?3 ORDER BY u.id LIMIT ?2",

    [NGX_HTTP_HRX_SQL_USER] =
        NGX_HTTP_HRX_USER_COLUMNS " WHERE u.tenant_id = ?1 AND u.id = ?2",

    [NGX_HTTP_HRX_SQL_USERS] =
        NGX_HTTP_HRX_USER_COLUMNS " WHERE u.tenant_id = ?1 AND u.id > ?2"
        " ORDER BY u.id LIMIT ?3",

    [NGX_HTTP_HRX_SQL_TOKENS] =
        NGX_HTTP_HRX_TOKEN_COLUMNS " WHERE tenant_id = ?1 AND user_id = ?2"
        " AND id > ?3 ORDER BY id LIMIT ?4",

    [NGX_HTTP_HRX_SQL_TENANT] =
        NGX_HTTP_HRX_TENANT_COLUMNS " WHERE id = ?1",

    [NGX_HTTP_HRX_SQL_TENANTS] =
        NGX_HTTP_HRX_TENANT_COLUMNS " WHERE id > ?1 ORDER BY id LIMIT ?2",

    /* in the order of ngx_http_hrx_merge_col_e; ?3 is now (ms) */
    [NGX_HTTP_HRX_SQL_MERGE_DATA] =
        "SELECT c.family_name, c.given_name, c.family_name_kana,"
        " c.given_name_kana, c.email, c.school,"
        " CAST(c.graduation_year AS TEXT), c.status, j.title, a.name,"
        " u.name, t.name, t.time_zone,"
        " CAST(ni.starts_at AS TEXT), ni.location"
        " FROM candidates c JOIN tenants t ON t.id = c.tenant_id"
        " LEFT JOIN job_openings j"
        "  ON j.id = c.job_opening_id AND j.tenant_id = c.tenant_id"
        " LEFT JOIN agents a ON a.id = c.agent_id AND a.tenant_id = c.tenant_id"
        " LEFT JOIN users u ON u.id = c.owner_id AND u.tenant_id = c.tenant_id"
        " LEFT JOIN interviews ni ON ni.id = (SELECT i.id FROM interviews i"
        "  WHERE i.candidate_id = c.id AND i.starts_at > ?3"
        "  ORDER BY i.starts_at, i.id LIMIT 1)"
        " WHERE c.tenant_id = ?1 AND c.id = ?2",

    /* the template of an action, as it is now */
    [NGX_HTTP_HRX_SQL_BULK_TEMPLATE] =
        "SELECT id, name, subject FROM email_templates"
        " WHERE tenant_id = ?1 AND id = ?2",

    [NGX_HTTP_HRX_SQL_BULK_REASONS] =
        "SELECT reason, count(*) FROM bulk_action_results"
        " WHERE bulk_action_id = ?1 AND state = 'failed'"
        " GROUP BY reason ORDER BY reason",

    /* ?3 NULL: every state */
    [NGX_HTTP_HRX_SQL_BULK_RESULTS] =
        "SELECT candidate_id, candidate_name, to_agent, email, line, state,"
        " reason, detail FROM bulk_action_results"
        " WHERE bulk_action_id = ?1 AND candidate_id > ?2"
        " AND (?3 IS NULL OR state = ?3)"
        " ORDER BY candidate_id LIMIT ?4",

    /* never the password itself */
    [NGX_HTTP_HRX_SQL_MAIL_SETTINGS] =
        "SELECT transport, smtp_host, smtp_port, smtp_security,"
        " smtp_username,"
        " coalesce(length(smtp_password), 0) > 0,"
        " from_email, from_name, reply_to, updated_at, updated_by"
        " FROM mail_settings WHERE tenant_id = ?1",

    /* the friend registration pages (ngx_http_hrx_line_login.c): NULL
     * in column 1 is "no such candidate", in 2 "LINE not set up" */
    [NGX_HTTP_HRX_SQL_LINE_LOGIN] =
        "SELECT t.name,"
        " (SELECT coalesce(c.line_user_id, '') FROM candidates c"
        "  WHERE c.tenant_id = t.id AND c.id = ?2),"
        " s.state = 'connected', s.login_channel_id,"
        " s.login_channel_secret, s.bot_basic_id,"
        " EXISTS (SELECT 1 FROM line_login_states WHERE nonce = ?3)"
        " FROM tenants t LEFT JOIN line_settings s ON s.tenant_id = t.id"
        " WHERE t.id = ?1",

    /* LINE settings (ngx_http_hrx_api_line.c): never a secret, only
     * whether it is set; the count of linked candidates (LN-10) uses
     * the partial index candidates_line_user.  A tenant without
     * settings gives a row of NULLs */
    [NGX_HTTP_HRX_SQL_LINE_SETTINGS] =
        "SELECT s.state, s.channel_id, s.login_channel_id, s.bot_basic_id,"
        " s.bot_name, s.connected_at, s.updated_at, s.updated_by,"
        " coalesce(length(s.channel_secret), 0) > 0,"
        " coalesce(length(s.access_token), 0) > 0,"
        " coalesce(length(s.login_channel_secret), 0) > 0,"
        " (SELECT count(*) FROM candidates c WHERE c.tenant_id = ?1"
        "  AND c.line_user_id IS NOT NULL)"
        " FROM (SELECT ?1 AS tenant_id) x"
        " LEFT JOIN line_settings s ON s.tenant_id = x.tenant_id",

    /* the sealed secrets, for the connect check and the webhook's
     * signature; ?2: the blobs only when updated_at differs from it */
    [NGX_HTTP_HRX_SQL_LINE_SECRETS] =
        "SELECT state, updated_at, channel_id, login_channel_id,"
        " CASE WHEN updated_at = ?2 THEN NULL ELSE channel_secret END,"
        " CASE WHEN updated_at = ?2 THEN NULL ELSE access_token END,"
        " CASE WHEN updated_at = ?2 THEN NULL ELSE login_channel_secret END"
        " FROM line_settings WHERE tenant_id = ?1",

    /* events of LINE users linked to no candidate (LN-6), index
     * line_events_unlinked */
    [NGX_HTTP_HRX_SQL_LINE_UNLINKED] =
        "SELECT id, webhook_event_id, type, line_user_id, message_type,"
        " text, occurred_at, redelivery FROM line_events"
        " WHERE tenant_id = ?1 AND candidate_id IS NULL AND id > ?2"
        " ORDER BY id LIMIT ?3",

    /* a candidate's timeline, oldest first (index messages_candidate) */
    [NGX_HTTP_HRX_SQL_MESSAGES] =
        "SELECT id, candidate_id, channel, direction, kind, subject, body,"
        " state, error, send_at, created_at, created_by FROM messages"
        " WHERE candidate_id = ?2 AND tenant_id = ?1 AND id > ?3"
        " ORDER BY id LIMIT ?4",

    /* one, read back after message.send */
    [NGX_HTTP_HRX_SQL_MESSAGE] =
        "SELECT id, candidate_id, channel, direction, kind, subject, body,"
        " state, error, send_at, created_at, created_by FROM messages"
        " WHERE id = ?2 AND tenant_id = ?1",
};


/*
 * Bulk actions are read only where the reader reaches their saved
 * search's search group (BA-14): statements with the reach expression of
 * hrx_sql_reach() in place of the "%s", made on first use.  Named
 * parameters: :tenant :actor :admin (ngx_http_hrx_reach_bind()), :id,
 * :since, :limit.
 */
enum {
    NGX_HTTP_HRX_BSQL_RESERVED = NGX_HTTP_HRX_BULK_RESERVED,
    NGX_HTTP_HRX_BSQL_HISTORY = NGX_HTTP_HRX_BULK_HISTORY,
    NGX_HTTP_HRX_BSQL_GET,
    NGX_HTTP_HRX_BSQL_MAX
};

#define NGX_HTTP_HRX_BULK_COLUMNS                                             \
    "SELECT b.id, b.name, b.kind, b.status, b.run_at, b.saved_search_id,"     \
    " s.name, b.template_id, b.form_id, b.event_id, b.event_group_id,"        \
    " b.executed_label_id, b.also_line, b.estimate, b.started_at,"            \
    " b.finished_at, b.late_ms, b.error_code, b.error_message, b.hits,"       \
    " b.reached, b.failed, b.pending, b.created_at, b.created_by,"            \
    " b.updated_at, b.updated_by, u.name"                                     \
    " FROM bulk_actions b"                                                    \
    " LEFT JOIN saved_searches s"                                             \
    "  ON s.id = b.saved_search_id AND s.tenant_id = b.tenant_id"             \
    " LEFT JOIN users u ON u.id = b.updated_by AND u.tenant_id = b.tenant_id" \
    " WHERE b.tenant_id = :tenant AND %s"

static const char *const  ngx_http_hrx_bulk_sql[NGX_HTTP_HRX_BSQL_MAX] = {

    [NGX_HTTP_HRX_BSQL_RESERVED] =
        NGX_HTTP_HRX_BULK_COLUMNS
        " AND b.status IN ('waiting', 'on_hold', 'running')"
        " ORDER BY b.run_at, b.id",

    [NGX_HTTP_HRX_BSQL_HISTORY] =
        NGX_HTTP_HRX_BULK_COLUMNS
        " AND b.status IN ('completed', 'completed_with_failures', 'error')"
        " AND b.finished_at >= :since"
        " ORDER BY b.finished_at DESC, b.id DESC LIMIT :limit",

    [NGX_HTTP_HRX_BSQL_GET] =
        NGX_HTTP_HRX_BULK_COLUMNS " AND b.id = :id",
};


typedef json_t *(*ngx_http_hrx_render_pt)(sqlite3_stmt *st);


static sqlite3       *ngx_http_hrx_db;
static sqlite3_stmt  *ngx_http_hrx_stmts[NGX_HTTP_HRX_SQL_MAX];
static sqlite3_stmt  *ngx_http_hrx_bulk_stmts[NGX_HTTP_HRX_BSQL_MAX];

/* the statements of the per-area read files (ngx_http_hrx_db_area_stmt) */
#define NGX_HTTP_HRX_AREA_SLOTS  64
static sqlite3_stmt **ngx_http_hrx_area_slots[NGX_HTTP_HRX_AREA_SLOTS];
static ngx_uint_t     ngx_http_hrx_area_nslots;

/* made from the resource descriptors: reads only (get, list, reach) */
static sqlite3_stmt  *ngx_http_hrx_res_stmts[HRX_RES_MAX]
                                           [HRX_SQL_REACH + 1];


static ngx_int_t ngx_http_hrx_db_stmt(ngx_http_request_t *r, ngx_uint_t i,
    sqlite3_stmt **st);
static ngx_int_t ngx_http_hrx_db_holder(ngx_http_request_t *r, ngx_uint_t i,
    const char *hash, int64_t now, ngx_http_hrx_auth_t *auth);
static ngx_int_t ngx_http_hrx_db_one(ngx_http_request_t *r, sqlite3_stmt *st,
    ngx_http_hrx_render_pt render, json_t **out);
static ngx_int_t ngx_http_hrx_db_page(ngx_http_request_t *r, sqlite3_stmt *st,
    ngx_uint_t limit, ngx_http_hrx_render_pt render, json_t **out);
static json_t *ngx_http_hrx_render_user(sqlite3_stmt *st);
static json_t *ngx_http_hrx_render_tenant(sqlite3_stmt *st);
static json_t *ngx_http_hrx_render_token(sqlite3_stmt *st);
static ngx_int_t ngx_http_hrx_db_bulk_stmt(ngx_http_request_t *r,
    ngx_uint_t i, sqlite3_stmt **st);
static json_t *ngx_http_hrx_render_bulk(sqlite3_stmt *st, int64_t now,
    ngx_http_hrx_bulk_row_t *row);
static json_t *ngx_http_hrx_render_mail(sqlite3_stmt *st);


ngx_int_t
ngx_http_hrx_db_open(ngx_log_t *log, ngx_http_hrx_main_conf_t *hmcf)
{
    int              rc;
    char            *errmsg;
    sqlite3         *db;
    ngx_file_info_t  fi;

    if (ngx_http_hrx_db) {
        return NGX_OK;
    }

    if (ngx_file_info(hmcf->db_path, &fi) == NGX_FILE_ERROR
        && ngx_errno == NGX_ENOENT)
    {
        return NGX_BUSY;
    }

    db = NULL;

    rc = sqlite3_open_v2((const char *) hmcf->db_path, &db,
                         SQLITE_OPEN_READONLY, NULL);

    if (rc != SQLITE_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "hrx: cannot open \"%s\" read-only: %s",
                      hmcf->db_path,
                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NGX_ERROR;
    }

    (void) sqlite3_busy_timeout(db, 100);

    /* saved searches with a regex leaf (shm/hrx_search.h) */
    rc = hrx_regexp_register(db);

    if (rc != SQLITE_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "hrx: \"%s\": cannot register hrx_regexp: %s",
                      hmcf->db_path, sqlite3_errstr(rc));
        sqlite3_close(db);
        return NGX_ERROR;
    }

    errmsg = NULL;

    rc = sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, &errmsg);

    if (rc != SQLITE_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "hrx: \"%s\": PRAGMA query_only: %s", hmcf->db_path,
                      errmsg ? errmsg : sqlite3_errstr(rc));
        sqlite3_free(errmsg);
        sqlite3_close(db);
        return NGX_ERROR;
    }

    ngx_http_hrx_db = db;

    ngx_log_error(NGX_LOG_INFO, log, 0, "hrx: opened \"%s\" read-only",
                  hmcf->db_path);

    return NGX_OK;
}


void
ngx_http_hrx_db_close(void)
{
    ngx_uint_t  i, k;

    for (i = 0; i < ngx_http_hrx_area_nslots; i++) {
        if (*ngx_http_hrx_area_slots[i]) {
            sqlite3_finalize(*ngx_http_hrx_area_slots[i]);
            *ngx_http_hrx_area_slots[i] = NULL;
        }
    }

    ngx_http_hrx_area_nslots = 0;

    for (i = 0; i < NGX_HTTP_HRX_SQL_MAX; i++) {
        if (ngx_http_hrx_stmts[i]) {
            sqlite3_finalize(ngx_http_hrx_stmts[i]);
            ngx_http_hrx_stmts[i] = NULL;
        }
    }

    for (i = 0; i < NGX_HTTP_HRX_BSQL_MAX; i++) {
        if (ngx_http_hrx_bulk_stmts[i]) {
            sqlite3_finalize(ngx_http_hrx_bulk_stmts[i]);
            ngx_http_hrx_bulk_stmts[i] = NULL;
        }
    }

    for (i = 0; i < HRX_RES_MAX; i++) {
        for (k = 0; k <= HRX_SQL_REACH; k++) {
            if (ngx_http_hrx_res_stmts[i][k]) {
                sqlite3_finalize(ngx_http_hrx_res_stmts[i][k]);
                ngx_http_hrx_res_stmts[i][k] = NULL;
            }
        }
    }

    if (ngx_http_hrx_db) {
        sqlite3_close(ngx_http_hrx_db);
        ngx_http_hrx_db = NULL;
    }
}


static ngx_int_t
ngx_http_hrx_db_stmt(ngx_http_request_t *r, ngx_uint_t i, sqlite3_stmt **st)
{
    int                        rc;
    ngx_int_t                  orc;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    orc = ngx_http_hrx_db_open(r->connection->log, hmcf);
    if (orc != NGX_OK) {
        return orc;
    }

    if (ngx_http_hrx_stmts[i] == NULL) {
        rc = hrx_prepare(ngx_http_hrx_db, ngx_http_hrx_sql[i],
                         SQLITE_PREPARE_PERSISTENT, &ngx_http_hrx_stmts[i]);

        if (rc != SQLITE_OK) {
            /* e.g. the scheduler has not created the schema yet */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "hrx: cannot prepare a statement: %s",
                          sqlite3_errmsg(ngx_http_hrx_db));
            ngx_http_hrx_stmts[i] = NULL;
            return NGX_ERROR;
        }
    }

    *st = ngx_http_hrx_stmts[i];

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_db_area_stmt(ngx_http_request_t *r, sqlite3_stmt **slot,
    const char *sql, sqlite3_stmt **st)
{
    int                        rc;
    ngx_int_t                  orc;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    orc = ngx_http_hrx_db_open(r->connection->log, hmcf);
    if (orc != NGX_OK) {
        return orc;
    }

    if (*slot == NULL) {
        if (ngx_http_hrx_area_nslots == NGX_HTTP_HRX_AREA_SLOTS) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "hrx: too many area statements");
            return NGX_ERROR;
        }

        rc = hrx_prepare(ngx_http_hrx_db, sql, SQLITE_PREPARE_PERSISTENT,
                         slot);

        if (rc != SQLITE_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "hrx: cannot prepare a statement: %s",
                          sqlite3_errmsg(ngx_http_hrx_db));
            *slot = NULL;
            return NGX_ERROR;
        }

        ngx_http_hrx_area_slots[ngx_http_hrx_area_nslots++] = slot;
    }

    *st = *slot;

    return NGX_OK;
}


/*
 * A statement made by hrx_res_sql() (a read: HRX_SQL_GET, _LIST or
 * _REACH), prepared on first use and kept like the ones above.
 */
ngx_int_t
ngx_http_hrx_db_res_stmt(ngx_http_request_t *r, const hrx_res_t *res,
    ngx_uint_t kind, sqlite3_stmt **st)
{
    int                        rc;
    char                      *sql;
    ngx_int_t                  orc;
    sqlite3_stmt             **slot;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    orc = ngx_http_hrx_db_open(r->connection->log, hmcf);
    if (orc != NGX_OK) {
        return orc;
    }

    if (kind > HRX_SQL_REACH) {
        return NGX_ERROR;
    }

    slot = &ngx_http_hrx_res_stmts[res->id][kind];

    if (*slot == NULL) {
        sql = ngx_alloc(HRX_SQL_SIZE, r->connection->log);
        if (sql == NULL) {
            return NGX_ERROR;
        }

        if (hrx_res_sql(res, kind, 0, sql, HRX_SQL_SIZE) != 0) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "hrx: no statement %ui for %s", kind, res->name);
            ngx_free(sql);
            return NGX_ERROR;
        }

        rc = hrx_prepare(ngx_http_hrx_db, sql, SQLITE_PREPARE_PERSISTENT,
                         slot);
        ngx_free(sql);

        if (rc != SQLITE_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "hrx: cannot prepare a statement for %s: %s",
                          res->name, sqlite3_errmsg(ngx_http_hrx_db));
            *slot = NULL;
            return NGX_ERROR;
        }
    }

    *st = *slot;

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_db_failed(ngx_log_t *log, sqlite3_stmt *st, int rc)
{
    ngx_log_error(NGX_LOG_ERR, log, 0, "hrx: sqlite: %s (%d)",
                  sqlite3_errmsg(ngx_http_hrx_db), rc);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);

    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
        /* start again with a fresh connection on the next request */
        ngx_http_hrx_db_close();
    }

    return NGX_ERROR;
}


void
ngx_http_hrx_db_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}


static ngx_int_t
ngx_http_hrx_db_holder(ngx_http_request_t *r, ngx_uint_t i, const char *hash,
    int64_t now, ngx_http_hrx_auth_t *auth)
{
    int            rc;
    ngx_int_t      orc;
    const char    *perms;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_stmt(r, i, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    auth->user_id = sqlite3_column_int64(st, 0);
    auth->tenant_id = sqlite3_column_int64(st, 1);
    auth->expires_at = sqlite3_column_int64(st, 2);
    auth->platform_admin = sqlite3_column_int(st, 3) ? 1 : 0;

    perms = (const char *) sqlite3_column_text(st, 4);
    auth->perms = perms ? ngx_http_hrx_perm_bits(perms,
                                                 sqlite3_column_bytes(st, 4))
                        : 0;

    ngx_http_hrx_db_done(st);

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_db_session(ngx_http_request_t *r, const char *hash, int64_t now,
    ngx_http_hrx_auth_t *auth)
{
    return ngx_http_hrx_db_holder(r, NGX_HTTP_HRX_SQL_SESSION, hash, now,
                                  auth);
}


ngx_int_t
ngx_http_hrx_db_api_token(ngx_http_request_t *r, const char *hash,
    int64_t now, ngx_http_hrx_auth_t *auth)
{
    return ngx_http_hrx_db_holder(r, NGX_HTTP_HRX_SQL_TOKEN, hash, now, auth);
}


ngx_int_t
ngx_http_hrx_db_login_users(ngx_http_request_t *r, const char *email,
    const char *slug, ngx_http_hrx_login_user_t *out, ngx_uint_t *n)
{
    int                         rc, len;
    u_char                     *p;
    ngx_int_t                   orc;
    const u_char               *hash;
    sqlite3_stmt               *st;
    ngx_http_hrx_login_user_t  *u;

    *n = 0;

    orc = ngx_http_hrx_db_stmt(r, slug ? NGX_HTTP_HRX_SQL_LOGIN_TENANT
                                       : NGX_HTTP_HRX_SQL_LOGIN,
                               &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, NGX_HTTP_HRX_LOGIN_MAX);

    if (slug) {
        sqlite3_bind_text(st, 3, slug, -1, SQLITE_STATIC);
    }

    for ( ;; ) {
        rc = sqlite3_step(st);

        if (rc == SQLITE_DONE) {
            break;
        }

        if (rc != SQLITE_ROW) {
            return ngx_http_hrx_db_failed(r->connection->log, st, rc);
        }

        if (*n == NGX_HTTP_HRX_LOGIN_MAX) {
            break;
        }

        u = &out[(*n)++];

        u->id = sqlite3_column_int64(st, 0);
        u->tenant_id = sqlite3_column_int64(st, 1);
        u->active = sqlite3_column_int(st, 2) ? 1 : 0;
        u->password_hash = NULL;

        hash = sqlite3_column_text(st, 3);
        len = sqlite3_column_bytes(st, 3);

        if (hash && len > 0) {
            p = ngx_pnalloc(r->pool, len + 1);
            if (p == NULL) {
                ngx_http_hrx_db_done(st);
                return NGX_ERROR;
            }

            *ngx_cpymem(p, hash, len) = '\0';
            u->password_hash = (char *) p;
        }
    }

    ngx_http_hrx_db_done(st);

    return *n ? NGX_OK : NGX_DECLINED;
}


ngx_int_t
ngx_http_hrx_db_user(ngx_http_request_t *r, int64_t tenant_id, int64_t id,
    json_t **out)
{
    ngx_int_t      rc;
    sqlite3_stmt  *st;

    rc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_USER, &st);
    if (rc != NGX_OK) {
        return rc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);

    return ngx_http_hrx_db_one(r, st, ngx_http_hrx_render_user, out);
}


ngx_int_t
ngx_http_hrx_db_tenant(ngx_http_request_t *r, int64_t id, json_t **out)
{
    ngx_int_t      rc;
    sqlite3_stmt  *st;

    rc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_TENANT, &st);
    if (rc != NGX_OK) {
        return rc;
    }

    sqlite3_bind_int64(st, 1, id);

    return ngx_http_hrx_db_one(r, st, ngx_http_hrx_render_tenant, out);
}


ngx_int_t
ngx_http_hrx_db_users(ngx_http_request_t *r, int64_t tenant_id,
    int64_t after, ngx_uint_t limit, json_t **out)
{
    ngx_int_t      rc;
    sqlite3_stmt  *st;

    rc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_USERS, &st);
    if (rc != NGX_OK) {
        return rc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64) limit + 1);

    return ngx_http_hrx_db_page(r, st, limit, ngx_http_hrx_render_user, out);
}


ngx_int_t
ngx_http_hrx_db_tokens(ngx_http_request_t *r, int64_t tenant_id,
    int64_t user_id, int64_t after, ngx_uint_t limit, json_t **out)
{
    ngx_int_t      rc;
    sqlite3_stmt  *st;

    rc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_TOKENS, &st);
    if (rc != NGX_OK) {
        return rc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_int64(st, 3, after);
    sqlite3_bind_int64(st, 4, (sqlite3_int64) limit + 1);

    return ngx_http_hrx_db_page(r, st, limit, ngx_http_hrx_render_token, out);
}


ngx_int_t
ngx_http_hrx_db_tenants(ngx_http_request_t *r, int64_t after,
    ngx_uint_t limit, json_t **out)
{
    ngx_int_t      rc;
    sqlite3_stmt  *st;

    rc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_TENANTS, &st);
    if (rc != NGX_OK) {
        return rc;
    }

    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) limit + 1);

    return ngx_http_hrx_db_page(r, st, limit, ngx_http_hrx_render_tenant,
                                out);
}


ngx_int_t
ngx_http_hrx_db_merge_data(ngx_http_request_t *r, int64_t tenant_id,
    int64_t candidate_id, int64_t now, ngx_str_t *cols)
{
    int            rc;
    ngx_int_t      orc;
    ngx_uint_t     i;
    const u_char  *text;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_MERGE_DATA, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, candidate_id);
    sqlite3_bind_int64(st, 3, now);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    for (i = 0; i < NGX_HTTP_HRX_MERGE_COLS; i++) {
        text = sqlite3_column_text(st, i);
        cols[i].len = text ? (size_t) sqlite3_column_bytes(st, i) : 0;
        cols[i].data = NULL;

        if (text == NULL) {
            continue;
        }

        cols[i].data = ngx_pnalloc(r->pool, cols[i].len + 1);
        if (cols[i].data == NULL) {
            ngx_http_hrx_db_done(st);
            return NGX_ERROR;
        }

        *ngx_cpymem(cols[i].data, text, cols[i].len) = '\0';
    }

    ngx_http_hrx_db_done(st);

    return NGX_OK;
}


static ngx_int_t
ngx_http_hrx_db_one(ngx_http_request_t *r, sqlite3_stmt *st,
    ngx_http_hrx_render_pt render, json_t **out)
{
    int  rc;

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    *out = render(st);

    ngx_http_hrx_db_done(st);

    return *out ? NGX_OK : NGX_ERROR;
}


/* the statement asks for limit + 1 rows: one more means another page */
static ngx_int_t
ngx_http_hrx_db_page(ngx_http_request_t *r, sqlite3_stmt *st,
    ngx_uint_t limit, ngx_http_hrx_render_pt render, json_t **out)
{
    int         rc;
    json_t     *items, *item, *page;
    int64_t     last;
    ngx_uint_t  n, more;

    items = json_array();
    if (items == NULL) {
        ngx_http_hrx_db_done(st);
        return NGX_ERROR;
    }

    n = 0;
    more = 0;
    last = 0;

    for ( ;; ) {
        rc = sqlite3_step(st);

        if (rc == SQLITE_DONE) {
            break;
        }

        if (rc != SQLITE_ROW) {
            json_decref(items);
            return ngx_http_hrx_db_failed(r->connection->log, st, rc);
        }

        if (n == limit) {
            more = 1;
            break;
        }

        item = render(st);

        if (item == NULL || json_array_append_new(items, item) != 0) {
            json_decref(items);
            ngx_http_hrx_db_done(st);
            return NGX_ERROR;
        }

        last = sqlite3_column_int64(st, 0);
        n++;
    }

    ngx_http_hrx_db_done(st);

    page = json_pack("{s:o, s:o}", "items", items,
                     "next_after", more ? json_integer(last) : json_null());
    if (page == NULL) {
        return NGX_ERROR;
    }

    *out = page;

    return NGX_OK;
}


/* ---- rows to JSON ---- */

json_t *
ngx_http_hrx_col_str(sqlite3_stmt *st, int col)
{
    const char  *s;

    s = (const char *) sqlite3_column_text(st, col);

    return json_stringn(s ? s : "", s ? sqlite3_column_bytes(st, col) : 0);
}


/* an id that may mean "nobody": NULL or 0 -> null */
json_t *
ngx_http_hrx_col_id(sqlite3_stmt *st, int col)
{
    int64_t  id;

    id = sqlite3_column_int64(st, col);

    return id > 0 ? json_integer(id) : json_null();
}


json_t *
ngx_http_hrx_col_time(sqlite3_stmt *st, int col)
{
    return hrx_json_time(sqlite3_column_int64(st, col));
}


static json_t *
ngx_http_hrx_col_permissions(sqlite3_stmt *st, int col)
{
    json_t      *a;
    const char  *s;

    s = (const char *) sqlite3_column_text(st, col);

    a = s ? json_loadb(s, sqlite3_column_bytes(st, col),
                       JSON_REJECT_DUPLICATES, NULL)
          : NULL;

    if (a == NULL || !json_is_array(a)) {
        json_decref(a);
        return json_array();
    }

    return a;
}


static json_t *
ngx_http_hrx_render_user(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:I, s:o, s:o, s:b, s:b,"
                     " s:o, s:o, s:o, s:o, s:o}",
                     "id", (json_int_t) sqlite3_column_int64(st, 0),
                     "tenant_id", (json_int_t) sqlite3_column_int64(st, 1),
                     "email", ngx_http_hrx_col_str(st, 2),
                     "name", ngx_http_hrx_col_str(st, 3),
                     "status", ngx_http_hrx_col_str(st, 4),
                     "role_id", (json_int_t) sqlite3_column_int64(st, 5),
                     "role", ngx_http_hrx_col_str(st, 6),
                     "permissions", ngx_http_hrx_col_permissions(st, 7),
                     "platform_admin", sqlite3_column_int(st, 8) != 0,
                     "has_password", sqlite3_column_int(st, 9) != 0,
                     "created_at", ngx_http_hrx_col_time(st, 10),
                     "created_by", ngx_http_hrx_col_id(st, 11),
                     "updated_at", ngx_http_hrx_col_time(st, 12),
                     "updated_by", ngx_http_hrx_col_id(st, 13),
                     "master_group_ids",
                     ngx_http_hrx_col_permissions(st, 14));
}


static json_t *
ngx_http_hrx_render_tenant(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "id", (json_int_t) sqlite3_column_int64(st, 0),
                     "slug", ngx_http_hrx_col_str(st, 1),
                     "name", ngx_http_hrx_col_str(st, 2),
                     "time_zone", ngx_http_hrx_col_str(st, 3),
                     "created_at", ngx_http_hrx_col_time(st, 4),
                     "created_by", ngx_http_hrx_col_id(st, 5),
                     "updated_at", ngx_http_hrx_col_time(st, 6),
                     "updated_by", ngx_http_hrx_col_id(st, 7));
}


static json_t *
ngx_http_hrx_render_token(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:o, s:o, s:I, s:o, s:o}",
                     "id", (json_int_t) sqlite3_column_int64(st, 0),
                     "name", ngx_http_hrx_col_str(st, 1),
                     "prefix", ngx_http_hrx_col_str(st, 2),
                     "user_id", (json_int_t) sqlite3_column_int64(st, 3),
                     "created_at", ngx_http_hrx_col_time(st, 4),
                     "expires_at", ngx_http_hrx_col_time(st, 5));
}


/* ---- bulk actions and mail settings (docs/bulk-actions.md) ---- */

/* a statement of ngx_http_hrx_bulk_sql, made and prepared on first use */
static ngx_int_t
ngx_http_hrx_db_bulk_stmt(ngx_http_request_t *r, ngx_uint_t i,
    sqlite3_stmt **st)
{
    int                        rc, n;
    char                      *sql, reach[2048];
    ngx_int_t                  orc;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    orc = ngx_http_hrx_db_open(r->connection->log, hmcf);
    if (orc != NGX_OK) {
        return orc;
    }

    if (ngx_http_hrx_bulk_stmts[i] == NULL) {

        if (hrx_sql_reach(reach, sizeof(reach), "search_group",
                          "s.search_group_id")
            != 0)
        {
            return NGX_ERROR;
        }

        sql = ngx_alloc(HRX_SQL_SIZE, r->connection->log);
        if (sql == NULL) {
            return NGX_ERROR;
        }

        n = snprintf(sql, HRX_SQL_SIZE, ngx_http_hrx_bulk_sql[i], reach);

        if (n < 0 || n >= HRX_SQL_SIZE) {
            ngx_free(sql);
            return NGX_ERROR;
        }

        rc = hrx_prepare(ngx_http_hrx_db, sql, SQLITE_PREPARE_PERSISTENT,
                         &ngx_http_hrx_bulk_stmts[i]);
        ngx_free(sql);

        if (rc != SQLITE_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "hrx: cannot prepare a bulk-action statement: %s",
                          sqlite3_errmsg(ngx_http_hrx_db));
            ngx_http_hrx_bulk_stmts[i] = NULL;
            return NGX_ERROR;
        }
    }

    *st = ngx_http_hrx_bulk_stmts[i];

    return NGX_OK;
}


static void
ngx_http_hrx_db_bind(sqlite3_stmt *st, const char *name, int64_t v)
{
    int  i;

    i = sqlite3_bind_parameter_index(st, name);

    if (i > 0) {
        sqlite3_bind_int64(st, i, v);
    }
}


ngx_int_t
ngx_http_hrx_db_bulk_list(ngx_http_request_t *r, ngx_http_hrx_auth_t *auth,
    ngx_uint_t view, int64_t now, json_t **out)
{
    int            rc;
    json_t        *items, *item;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_bulk_stmt(r, view == NGX_HTTP_HRX_BULK_HISTORY
                                       ? NGX_HTTP_HRX_BSQL_HISTORY
                                       : NGX_HTTP_HRX_BSQL_RESERVED,
                                    &st);
    if (orc != NGX_OK) {
        return orc;
    }

    ngx_http_hrx_reach_bind(st, auth, auth->tenant_id);
    ngx_http_hrx_db_bind(st, ":since", now - HRX_BULK_HISTORY_MS);
    ngx_http_hrx_db_bind(st, ":limit", NGX_HTTP_HRX_BULK_HISTORY_MAX);

    items = json_array();
    if (items == NULL) {
        ngx_http_hrx_db_done(st);
        return NGX_ERROR;
    }

    for ( ;; ) {
        rc = sqlite3_step(st);

        if (rc == SQLITE_DONE) {
            break;
        }

        if (rc != SQLITE_ROW) {
            json_decref(items);
            return ngx_http_hrx_db_failed(r->connection->log, st, rc);
        }

        item = ngx_http_hrx_render_bulk(st, now, NULL);

        if (item == NULL || json_array_append_new(items, item) != 0) {
            json_decref(items);
            ngx_http_hrx_db_done(st);
            return NGX_ERROR;
        }
    }

    ngx_http_hrx_db_done(st);

    *out = json_pack("{s:o}", "items", items);

    return *out ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_hrx_db_bulk_get(ngx_http_request_t *r, ngx_http_hrx_auth_t *auth,
    int64_t tenant_id, int64_t id, int64_t now, json_t **out,
    ngx_http_hrx_bulk_row_t *row)
{
    int            rc;
    json_t        *obj;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_bulk_stmt(r, NGX_HTTP_HRX_BSQL_GET, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    ngx_http_hrx_reach_bind(st, auth, tenant_id);
    ngx_http_hrx_db_bind(st, ":id", id);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    obj = ngx_http_hrx_render_bulk(st, now, row);

    ngx_http_hrx_db_done(st);

    if (obj == NULL) {
        return NGX_ERROR;
    }

    if (out) {
        *out = obj;

    } else {
        json_decref(obj);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_db_bulk_detail(ngx_http_request_t *r, int64_t tenant_id,
    int64_t id, json_t *obj)
{
    int            rc;
    json_t        *tpl, *reasons;
    ngx_int_t      orc;
    const char    *reason;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_BULK_TEMPLATE, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2,
                       json_integer_value(json_object_get(obj,
                                                          "template_id")));

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        tpl = json_pack("{s:I, s:o, s:o}",
                        "id", (json_int_t) sqlite3_column_int64(st, 0),
                        "name", ngx_http_hrx_col_str(st, 1),
                        "subject", ngx_http_hrx_col_str(st, 2));

    } else if (rc == SQLITE_DONE) {
        tpl = json_null();

    } else {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    ngx_http_hrx_db_done(st);

    if (json_object_set_new(obj, "template", tpl) != 0) {
        return NGX_ERROR;
    }

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_BULK_REASONS, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, id);

    reasons = json_object();
    if (reasons == NULL) {
        ngx_http_hrx_db_done(st);
        return NGX_ERROR;
    }

    for ( ;; ) {
        rc = sqlite3_step(st);

        if (rc == SQLITE_DONE) {
            break;
        }

        if (rc != SQLITE_ROW) {
            json_decref(reasons);
            return ngx_http_hrx_db_failed(r->connection->log, st, rc);
        }

        reason = (const char *) sqlite3_column_text(st, 0);

        if (json_object_set_new(reasons, reason ? reason : "unknown",
                                json_integer(sqlite3_column_int64(st, 1)))
            != 0)
        {
            json_decref(reasons);
            ngx_http_hrx_db_done(st);
            return NGX_ERROR;
        }
    }

    ngx_http_hrx_db_done(st);

    return json_object_set_new(obj, "reasons", reasons) == 0
           ? NGX_OK : NGX_ERROR;
}


/* SQL NULL -> null, else the text / the integer */
json_t *
ngx_http_hrx_col_str_null(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        return json_null();
    }

    return ngx_http_hrx_col_str(st, col);
}


static json_t *
ngx_http_hrx_col_int_null(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        return json_null();
    }

    return json_integer(sqlite3_column_int64(st, col));
}


/* {"en","ja"}: the readable texts of a reason code (shm/hrx_bulk.h) */
static json_t *
ngx_http_hrx_reason_texts(const char *code)
{
    char  en[512], ja[512];

    return json_pack("{s:s, s:s}",
                     "en", hrx_bulk_reason_text(code, "en", en, sizeof(en)),
                     "ja", hrx_bulk_reason_text(code, "ja", ja, sizeof(ja)));
}


/* one bulk_action_results row, columns of NGX_HTTP_HRX_SQL_BULK_RESULTS */
static json_t *
ngx_http_hrx_render_bulk_result(sqlite3_stmt *st)
{
    json_t      *reason, *message;
    const char  *code;

    code = (const char *) sqlite3_column_text(st, 6);

    if (code) {
        reason = json_string(code);
        message = ngx_http_hrx_reason_texts(code);

    } else {
        reason = json_null();
        message = json_null();
    }

    return json_pack("{s:I, s:o, s:b, s:o, s:b, s:o, s:o, s:o, s:o}",
                     "candidate_id",
                     (json_int_t) sqlite3_column_int64(st, 0),
                     "candidate_name", ngx_http_hrx_col_str(st, 1),
                     "to_agent", sqlite3_column_int(st, 2) != 0,
                     "email", ngx_http_hrx_col_str_null(st, 3),
                     "line", sqlite3_column_int(st, 4) != 0,
                     "state", ngx_http_hrx_col_str(st, 5),
                     "reason", reason,
                     "message", message,
                     "detail", ngx_http_hrx_col_str_null(st, 7));
}


ngx_int_t
ngx_http_hrx_db_bulk_results(ngx_http_request_t *r, int64_t id,
    const char *state, int64_t after, ngx_uint_t limit, json_t **out)
{
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_BULK_RESULTS, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, after);

    if (state) {
        sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);

    } else {
        sqlite3_bind_null(st, 3);
    }

    sqlite3_bind_int64(st, 4, (sqlite3_int64) limit + 1);

    return ngx_http_hrx_db_page(r, st, limit,
                                ngx_http_hrx_render_bulk_result, out);
}


/*
 * The bulk-action object (docs/bulk-actions.md), columns in the order of
 * NGX_HTTP_HRX_BULK_COLUMNS.  locked (BA-9): waiting and T less than 11
 * minutes away; editable: waiting and not locked, or on hold.
 */
static json_t *
ngx_http_hrx_render_bulk(sqlite3_stmt *st, int64_t now,
    ngx_http_hrx_bulk_row_t *row)
{
    int          locked, editable, waiting;
    json_t      *obj, *error, *counts;
    int64_t      run_at;
    const char  *status, *kind, *code;

    kind = (const char *) sqlite3_column_text(st, 2);
    status = (const char *) sqlite3_column_text(st, 3);
    run_at = sqlite3_column_int64(st, 4);

    if (kind == NULL || status == NULL) {
        return NULL;
    }

    waiting = (ngx_strcmp(status, "waiting") == 0);
    locked = waiting && run_at - now < HRX_BULK_LOCK_MS;
    editable = (waiting && !locked) || ngx_strcmp(status, "on_hold") == 0;

    if (row) {
        row->id = sqlite3_column_int64(st, 0);
        row->kind = hrx_bulk_kind(kind);
        (void) ngx_cpystrn((u_char *) row->status, (u_char *) status,
                           sizeof(row->status));
        row->run_at = run_at;
        row->form_id = sqlite3_column_int64(st, 8);
        row->event_id = sqlite3_column_int64(st, 9);
        row->event_group_id = sqlite3_column_int64(st, 10);
    }

    code = (const char *) sqlite3_column_text(st, 17);

    if (code) {
        error = json_pack("{s:s, s:o, s:o}",
                          "code", code,
                          "message", ngx_http_hrx_reason_texts(code),
                          "detail", ngx_http_hrx_col_str_null(st, 18));

    } else {
        error = json_null();
    }

    counts = json_pack("{s:o, s:I, s:I, s:I}",
                       "hits", ngx_http_hrx_col_int_null(st, 19),
                       "reached", (json_int_t) sqlite3_column_int64(st, 20),
                       "failed", (json_int_t) sqlite3_column_int64(st, 21),
                       "pending", (json_int_t) sqlite3_column_int64(st, 22));

    obj = json_pack("{s:I, s:o, s:s, s:s, s:o, s:I, s:o, s:I, s:o, s:o,"
                    " s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o}",
                    "id", (json_int_t) sqlite3_column_int64(st, 0),
                    "name", ngx_http_hrx_col_str(st, 1),
                    "kind", kind,
                    "status", status,
                    "run_at", ngx_http_hrx_col_time(st, 4),
                    "saved_search_id",
                    (json_int_t) sqlite3_column_int64(st, 5),
                    "saved_search_name", ngx_http_hrx_col_str_null(st, 6),
                    "template_id", (json_int_t) sqlite3_column_int64(st, 7),
                    "form_id", ngx_http_hrx_col_id(st, 8),
                    "event_id", ngx_http_hrx_col_id(st, 9),
                    "event_group_id", ngx_http_hrx_col_id(st, 10),
                    "executed_label_id", ngx_http_hrx_col_id(st, 11),
                    "also_line", sqlite3_column_int(st, 12) != 0,
                    "estimate", ngx_http_hrx_col_int_null(st, 13),
                    "started_at", ngx_http_hrx_col_time(st, 14),
                    "finished_at", ngx_http_hrx_col_time(st, 15),
                    "late_ms", ngx_http_hrx_col_int_null(st, 16),
                    "error", error,
                    "counts", counts);

    if (obj == NULL) {
        return NULL;
    }

    if (json_object_set_new(obj, "locked", json_boolean(locked)) != 0
        || json_object_set_new(obj, "editable", json_boolean(editable)) != 0
        || json_object_set_new(obj, "created_at",
                               ngx_http_hrx_col_time(st, 23)) != 0
        || json_object_set_new(obj, "created_by",
                               ngx_http_hrx_col_id(st, 24)) != 0
        || json_object_set_new(obj, "updated_at",
                               ngx_http_hrx_col_time(st, 25)) != 0
        || json_object_set_new(obj, "updated_by",
                               ngx_http_hrx_col_id(st, 26)) != 0
        || json_object_set_new(obj, "updated_by_name",
                               ngx_http_hrx_col_str_null(st, 27)) != 0)
    {
        json_decref(obj);
        return NULL;
    }

    return obj;
}


ngx_int_t
ngx_http_hrx_db_mail_settings(ngx_http_request_t *r, int64_t tenant_id,
    json_t **out)
{
    int            rc;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_MAIL_SETTINGS, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);

        /* none stored: mail is written to files (docs/bulk-actions.md) */
        *out = json_pack("{s:s, s:n, s:n, s:n, s:n, s:b, s:n, s:n, s:n,"
                         " s:n, s:n}",
                         "transport", "file", "smtp_host", "smtp_port",
                         "smtp_security", "smtp_username",
                         "password_set", 0, "from_email", "from_name",
                         "reply_to", "updated_at", "updated_by");

        return *out ? NGX_OK : NGX_ERROR;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    *out = ngx_http_hrx_render_mail(st);

    ngx_http_hrx_db_done(st);

    return *out ? NGX_OK : NGX_ERROR;
}


static json_t *
ngx_http_hrx_render_mail(sqlite3_stmt *st)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o,"
                     " s:o}",
                     "transport", ngx_http_hrx_col_str(st, 0),
                     "smtp_host", ngx_http_hrx_col_str_null(st, 1),
                     "smtp_port", ngx_http_hrx_col_int_null(st, 2),
                     "smtp_security", ngx_http_hrx_col_str_null(st, 3),
                     "smtp_username", ngx_http_hrx_col_str_null(st, 4),
                     "password_set", sqlite3_column_int(st, 5) != 0,
                     "from_email", ngx_http_hrx_col_str_null(st, 6),
                     "from_name", ngx_http_hrx_col_str_null(st, 7),
                     "reply_to", ngx_http_hrx_col_str_null(st, 8),
                     "updated_at", ngx_http_hrx_col_time(st, 9),
                     "updated_by", ngx_http_hrx_col_id(st, 10));
}


/* ---- connections of the pool threads ---- */

/*
 * Each pool thread that needs the database keeps its own read-only
 * connection (a connection must not be used by two threads at once, and
 * the worker's belongs to the event loop).  Every one opened is also in
 * the registry, so that the worker closes them at exit, after nginx has
 * ended the pool's threads, rather than each thread while the process is
 * already running its exit handlers.
 */
static __thread sqlite3  *ngx_http_hrx_thread_db;

#define NGX_HTTP_HRX_THREAD_DBS  512

static pthread_mutex_t  ngx_http_hrx_thread_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3         *ngx_http_hrx_thread_dbs[NGX_HTTP_HRX_THREAD_DBS];


static void
ngx_http_hrx_db_thread_register(sqlite3 *db, sqlite3 *old)
{
    ngx_uint_t  i;

    (void) pthread_mutex_lock(&ngx_http_hrx_thread_lock);

    for (i = 0; i < NGX_HTTP_HRX_THREAD_DBS; i++) {
        if (ngx_http_hrx_thread_dbs[i] == old) {
            ngx_http_hrx_thread_dbs[i] = db;
            break;
        }
    }

    (void) pthread_mutex_unlock(&ngx_http_hrx_thread_lock);
}


sqlite3 *
ngx_http_hrx_db_thread(const u_char *path, ngx_int_t *orc, char *err,
    size_t size)
{
    int           rc;
    char         *errmsg;
    sqlite3      *db;
    struct stat   sb;

    if (ngx_http_hrx_thread_db) {
        return ngx_http_hrx_thread_db;
    }

    if (stat((const char *) path, &sb) != 0) {
        *orc = NGX_BUSY;
        return NULL;
    }

    db = NULL;
    errmsg = NULL;

    rc = sqlite3_open_v2((const char *) path, &db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc == SQLITE_OK) {
        (void) sqlite3_busy_timeout(db, 1000);

        rc = sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, &errmsg);
    }

    if (rc == SQLITE_OK) {
        rc = hrx_regexp_register(db);
    }

    if (rc != SQLITE_OK) {
        (void) ngx_snprintf((u_char *) err, size - 1,
                            "cannot open \"%s\" read-only: %s%Z", path,
                            errmsg ? errmsg
                                   : (db ? sqlite3_errmsg(db)
                                         : sqlite3_errstr(rc)));
        sqlite3_free(errmsg);
        sqlite3_close(db);
        *orc = NGX_ERROR;
        return NULL;
    }

    /* a full registry only means this one is not closed at exit */
    ngx_http_hrx_db_thread_register(db, NULL);
    ngx_http_hrx_thread_db = db;

    return db;
}


void
ngx_http_hrx_db_thread_drop(sqlite3 *db)
{
    ngx_http_hrx_db_thread_register(NULL, db);

    if (ngx_http_hrx_thread_db == db) {
        ngx_http_hrx_thread_db = NULL;
    }

    sqlite3_close_v2(db);
}


void
ngx_http_hrx_db_thread_exit(void)
{
    ngx_uint_t  i;

    (void) pthread_mutex_lock(&ngx_http_hrx_thread_lock);

    for (i = 0; i < NGX_HTTP_HRX_THREAD_DBS; i++) {
        if (ngx_http_hrx_thread_dbs[i]) {
            sqlite3_close_v2(ngx_http_hrx_thread_dbs[i]);
            ngx_http_hrx_thread_dbs[i] = NULL;
        }
    }

    (void) pthread_mutex_unlock(&ngx_http_hrx_thread_lock);
}


/* ---- LINE friend registration ---- */

/* a column as a NUL-terminated pool copy; { 0, NULL } for NULL */
ngx_int_t
ngx_http_hrx_db_col_copy(ngx_pool_t *pool, sqlite3_stmt *st, int i,
    ngx_str_t *out)
{
    size_t       n;
    const void  *p;

    ngx_str_null(out);

    if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        return NGX_OK;
    }

    p = sqlite3_column_blob(st, i);
    n = (size_t) sqlite3_column_bytes(st, i);

    out->data = ngx_pnalloc(pool, n + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    if (n) {
        ngx_memcpy(out->data, p, n);
    }

    out->data[n] = '\0';
    out->len = n;

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_db_line_login(ngx_http_request_t *r, int64_t tenant_id,
    int64_t candidate_id, const char *nonce,
    ngx_http_hrx_line_login_row_t *out)
{
    int            rc;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    ngx_memzero(out, sizeof(ngx_http_hrx_line_login_row_t));

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_LINE_LOGIN, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, candidate_id);

    if (nonce) {
        sqlite3_bind_text(st, 3, nonce, -1, SQLITE_STATIC);
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    out->candidate = sqlite3_column_type(st, 1) != SQLITE_NULL;
    out->connected = sqlite3_column_int(st, 2) != 0;
    out->nonce_used = sqlite3_column_int(st, 6) != 0;

    if (ngx_http_hrx_db_col_copy(r->pool, st, 0, &out->company) != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 1, &out->line_user_id)
           != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 3, &out->login_channel_id)
           != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 4,
                                    &out->login_channel_secret)
           != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 5, &out->bot_basic_id)
           != NGX_OK)
    {
        ngx_http_hrx_db_done(st);
        return NGX_ERROR;
    }

    ngx_http_hrx_db_done(st);

    return NGX_OK;
}


/* ---- LINE settings, secrets, unlinked events (docs/line.md) ---- */

ngx_int_t
ngx_http_hrx_db_line_settings(ngx_http_request_t *r, int64_t tenant_id,
    json_t **out)
{
    int            rc;
    json_t        *secrets;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_LINE_SETTINGS, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE) {
            ngx_http_hrx_db_done(st);
            return NGX_ERROR;
        }

        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    secrets = json_pack("{s:b, s:b, s:b}",
                        "channel_secret", sqlite3_column_int(st, 8) != 0,
                        "access_token", sqlite3_column_int(st, 9) != 0,
                        "login_channel_secret",
                        sqlite3_column_int(st, 10) != 0);

    *out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I}",
                     "state",
                     sqlite3_column_type(st, 0) == SQLITE_NULL
                     ? json_string("disconnected")
                     : ngx_http_hrx_col_str(st, 0),
                     "channel_id", ngx_http_hrx_col_str_null(st, 1),
                     "login_channel_id", ngx_http_hrx_col_str_null(st, 2),
                     "bot_basic_id", ngx_http_hrx_col_str_null(st, 3),
                     "bot_name", ngx_http_hrx_col_str_null(st, 4),
                     "connected_at", ngx_http_hrx_col_time(st, 5),
                     "updated_at", ngx_http_hrx_col_time(st, 6),
                     "updated_by", ngx_http_hrx_col_id(st, 7),
                     "secrets_set", secrets ? secrets : json_null(),
                     "linked_candidates",
                     (json_int_t) sqlite3_column_int64(st, 11));

    ngx_http_hrx_db_done(st);

    return (*out && secrets) ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_hrx_db_line_secrets(ngx_http_request_t *r, int64_t tenant_id,
    int64_t known, ngx_http_hrx_line_secrets_t *out)
{
    int            rc;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    ngx_memzero(out, sizeof(ngx_http_hrx_line_secrets_t));

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_LINE_SECRETS, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, known);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    out->connected = sqlite3_column_bytes(st, 0) == 9
                     && ngx_strncmp(sqlite3_column_text(st, 0),
                                    "connected", 9) == 0;
    out->updated_at = sqlite3_column_int64(st, 1);
    out->unchanged = (out->updated_at == known);

    if (ngx_http_hrx_db_col_copy(r->pool, st, 2, &out->channel_id) != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 3, &out->login_channel_id)
           != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 4, &out->channel_secret)
           != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 5, &out->access_token)
           != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 6,
                                    &out->login_channel_secret)
           != NGX_OK)
    {
        ngx_http_hrx_db_done(st);
        return NGX_ERROR;
    }

    ngx_http_hrx_db_done(st);

    return NGX_OK;
}


static json_t *
ngx_http_hrx_render_line_event(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
                     "id", (json_int_t) sqlite3_column_int64(st, 0),
                     "webhook_event_id", ngx_http_hrx_col_str(st, 1),
                     "type", ngx_http_hrx_col_str(st, 2),
                     "line_user_id", ngx_http_hrx_col_str_null(st, 3),
                     "message_type", ngx_http_hrx_col_str_null(st, 4),
                     "text", ngx_http_hrx_col_str_null(st, 5),
                     "occurred_at", ngx_http_hrx_col_time(st, 6),
                     "redelivery", sqlite3_column_int(st, 7) != 0);
}


ngx_int_t
ngx_http_hrx_db_line_unlinked(ngx_http_request_t *r, int64_t tenant_id,
    int64_t after, ngx_uint_t limit, json_t **out)
{
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_LINE_UNLINKED, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64) limit + 1);

    return ngx_http_hrx_db_page(r, st, limit,
                                ngx_http_hrx_render_line_event, out);
}


/* ---- the candidate's timeline (docs/line.md, "Sending") ---- */

/* a messages row as the API returns it (the same as message.send's) */
static json_t *
ngx_http_hrx_render_message(sqlite3_stmt *st)
{
    json_t  *subject, *body, *state, *error;

    subject = sqlite3_column_type(st, 5) == SQLITE_NULL
              ? json_null() : ngx_http_hrx_col_str(st, 5);
    body = sqlite3_column_type(st, 6) == SQLITE_NULL
           ? json_null() : ngx_http_hrx_col_str(st, 6);
    state = sqlite3_column_type(st, 7) == SQLITE_NULL
            ? json_null() : ngx_http_hrx_col_str(st, 7);
    error = sqlite3_column_type(st, 8) == SQLITE_NULL
            ? json_null() : ngx_http_hrx_col_str(st, 8);

    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                     " s:o, s:o}",
                     "id", (json_int_t) sqlite3_column_int64(st, 0),
                     "candidate_id",
                     (json_int_t) sqlite3_column_int64(st, 1),
                     "channel", ngx_http_hrx_col_str(st, 2),
                     "direction", ngx_http_hrx_col_str(st, 3),
                     "kind", ngx_http_hrx_col_str(st, 4),
                     "subject", subject,
                     "body", body,
                     "state", state,
                     "error", error,
                     "send_at", ngx_http_hrx_col_time(st, 9),
                     "created_at", ngx_http_hrx_col_time(st, 10),
                     "created_by", ngx_http_hrx_col_id(st, 11));
}


ngx_int_t
ngx_http_hrx_db_messages(ngx_http_request_t *r, int64_t tenant_id,
    int64_t candidate_id, int64_t after, ngx_uint_t limit, json_t **out)
{
    ngx_int_t      rc;
    sqlite3_stmt  *st;

    rc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_MESSAGES, &st);
    if (rc != NGX_OK) {
        return rc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, candidate_id);
    sqlite3_bind_int64(st, 3, after);
    sqlite3_bind_int64(st, 4, (sqlite3_int64) limit + 1);

    return ngx_http_hrx_db_page(r, st, limit, ngx_http_hrx_render_message,
                                out);
}


ngx_int_t
ngx_http_hrx_db_message(ngx_http_request_t *r, int64_t tenant_id,
    int64_t id, json_t **out)
{
    ngx_int_t      rc;
    sqlite3_stmt  *st;

    rc = ngx_http_hrx_db_stmt(r, NGX_HTTP_HRX_SQL_MESSAGE, &st);
    if (rc != NGX_OK) {
        return rc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);

    return ngx_http_hrx_db_one(r, st, ngx_http_hrx_render_message, out);
}
