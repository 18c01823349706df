/*
 * The module's store interface: every SQL statement the module runs is in
 * ngx_http_hrx_db.c, on a read-only connection.  Lookups return
 *
 *   NGX_OK        found (out set)
 *   NGX_DECLINED  no such row
 *   NGX_BUSY      no database yet (the scheduler has not created it)
 *   NGX_ERROR     SQLite failed (logged)
 */
#ifndef NGX_HTTP_HRX_DB_H
#define NGX_HTTP_HRX_DB_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <sqlite3.h>

#include "hrx_resource.h"
#include "ngx_http_hrx_module.h"


#define NGX_HTTP_HRX_LOGIN_MAX  4

/* a candidate account for a login */
typedef struct {
    int64_t      id;
    int64_t      tenant_id;
    ngx_uint_t   active;
    char        *password_hash;     /* pool copy, NULL when none */
} ngx_http_hrx_login_user_t;


/* open lazily; NGX_OK, NGX_BUSY (no database file yet), NGX_ERROR */
ngx_int_t ngx_http_hrx_db_open(ngx_log_t *log,
    ngx_http_hrx_main_conf_t *hmcf);
void ngx_http_hrx_db_close(void);

/* who holds a session / API token (by hex SHA-256), active and unexpired */
ngx_int_t ngx_http_hrx_db_session(ngx_http_request_t *r, const char *hash,
    int64_t now, ngx_http_hrx_auth_t *auth);
ngx_int_t ngx_http_hrx_db_api_token(ngx_http_request_t *r, const char *hash,
    int64_t now, ngx_http_hrx_auth_t *auth);

/* accounts with this email, in the tenant named by slug (may be NULL) */
ngx_int_t ngx_http_hrx_db_login_users(ngx_http_request_t *r,
    const char *email, const char *slug, ngx_http_hrx_login_user_t *out,
    ngx_uint_t *n);

/* objects as the API returns them (docs/commands.md), new references */
ngx_int_t ngx_http_hrx_db_user(ngx_http_request_t *r, int64_t tenant_id,
    int64_t id, json_t **out);
ngx_int_t ngx_http_hrx_db_tenant(ngx_http_request_t *r, int64_t id,
    json_t **out);

/* pages: {"items": [...], "next_after": id or null}, ordered by id */
ngx_int_t ngx_http_hrx_db_users(ngx_http_request_t *r, int64_t tenant_id,
    int64_t after, ngx_uint_t limit, json_t **out);
ngx_int_t ngx_http_hrx_db_tokens(ngx_http_request_t *r, int64_t tenant_id,
    int64_t user_id, int64_t after, ngx_uint_t limit, json_t **out);
ngx_int_t ngx_http_hrx_db_tenants(ngx_http_request_t *r, int64_t after,
    ngx_uint_t limit, json_t **out);

/*
 * What a template's merge variables are made of, for one candidate the
 * caller may operate on (docs/data-model.md, "Merge variables"): the
 * columns below as NUL-terminated pool copies (data NULL: SQL NULL).
 * The interview is the candidate's next one after now (unix ms).
 */
typedef enum {
    NGX_HTTP_HRX_MC_FAMILY_NAME = 0,
    NGX_HTTP_HRX_MC_GIVEN_NAME,
    NGX_HTTP_HRX_MC_FAMILY_NAME_KANA,
    NGX_HTTP_HRX_MC_GIVEN_NAME_KANA,
    NGX_HTTP_HRX_MC_EMAIL,
    NGX_HTTP_HRX_MC_SCHOOL,
    NGX_HTTP_HRX_MC_GRADUATION_YEAR,
    NGX_HTTP_HRX_MC_STATUS,
    NGX_HTTP_HRX_MC_JOB_TITLE,
    NGX_HTTP_HRX_MC_AGENT_NAME,
    NGX_HTTP_HRX_MC_OWNER_NAME,
    NGX_HTTP_HRX_MC_COMPANY_NAME,
    NGX_HTTP_HRX_MC_TIME_ZONE,
    NGX_HTTP_HRX_MC_INTERVIEW_AT,           /* unix ms, as text */
    NGX_HTTP_HRX_MC_INTERVIEW_LOCATION,
    NGX_HTTP_HRX_MERGE_COLS
} ngx_http_hrx_merge_col_e;

ngx_int_t ngx_http_hrx_db_merge_data(ngx_http_request_t *r,
    int64_t tenant_id, int64_t candidate_id, int64_t now, ngx_str_t *cols);

/*
 * For reads made from the resource descriptors (ngx_http_hrx_reach.c,
 * ngx_http_hrx_api_resource.c): the cached statement of kind
 * (HRX_SQL_GET, _LIST, _REACH) for res (NGX_OK, NGX_BUSY, NGX_ERROR);
 * after stepping, ngx_http_hrx_db_done() (reset, unbind) or, when a step
 * failed, ngx_http_hrx_db_failed() (logs; returns NGX_ERROR).
 */
ngx_int_t ngx_http_hrx_db_res_stmt(ngx_http_request_t *r,
    const hrx_res_t *res, ngx_uint_t kind, sqlite3_stmt **st);
void ngx_http_hrx_db_done(sqlite3_stmt *st);
ngx_int_t ngx_http_hrx_db_failed(ngx_log_t *log, sqlite3_stmt *st, int rc);

/*
 * For the per-area read files (ngx_http_hrx_db_whatsapp.c): sql prepared
 * on first use into *slot (the caller's static), kept and finalized with
 * the others when the connection closes.  NGX_OK, NGX_BUSY, NGX_ERROR;
 * then as above.  And the column renderings every read shares: text
 * ("" for NULL), an id (null for NULL or 0), a time (RFC 3339 or null),
 * text or null; a column copied into the pool (NUL-terminated, data
 * NULL for SQL NULL).
 */
ngx_int_t ngx_http_hrx_db_area_stmt(ngx_http_request_t *r,
    sqlite3_stmt **slot, const char *sql, sqlite3_stmt **st);
json_t *ngx_http_hrx_col_str(sqlite3_stmt *st, int col);
json_t *ngx_http_hrx_col_id(sqlite3_stmt *st, int col);
json_t *ngx_http_hrx_col_time(sqlite3_stmt *st, int col);
json_t *ngx_http_hrx_col_str_null(sqlite3_stmt *st, int col);
ngx_int_t ngx_http_hrx_db_col_copy(ngx_pool_t *pool, sqlite3_stmt *st,
    int i, ngx_str_t *out);


/*
 * A read-only connection of the calling pool thread, for work on the
 * thread pool (a dry run): opened on first use, with hrx_regexp()
 * registered and query_only on, and kept in a thread-local variable.
 * NULL with *rc NGX_BUSY (no database yet) or NGX_ERROR (err says why).
 * After a failure other than busy, ngx_http_hrx_db_thread_drop() so the
 * next task opens a fresh one; the worker closes them all at exit, after
 * nginx has ended the pool's threads (ngx_http_hrx_db_thread_exit()).
 */
sqlite3 *ngx_http_hrx_db_thread(const u_char *path, ngx_int_t *rc,
    char *err, size_t size);
void ngx_http_hrx_db_thread_drop(sqlite3 *db);
void ngx_http_hrx_db_thread_exit(void);


/* bulk actions (docs/bulk-actions.md) */

#define NGX_HTTP_HRX_BULK_RESERVED   0      /* waiting, on_hold, running */
#define NGX_HTTP_HRX_BULK_HISTORY    1      /* finished in the last 7 days */
#define NGX_HTTP_HRX_BULK_HISTORY_MAX  500  /* newest first, at most */

/* what a change is checked against before its command */
typedef struct {
    int64_t      id;
    int          kind;                  /* hrx_bulk_kind_e */
    char         status[32];
    int64_t      run_at;
    int64_t      form_id;               /* 0: none */
    int64_t      event_id;
    int64_t      event_group_id;
} ngx_http_hrx_bulk_row_t;

/*
 * Lists of the view (items only: {"items": [...]}), ordered as BA-14
 * says; only actions whose saved search's search group auth reaches.
 */
ngx_int_t ngx_http_hrx_db_bulk_list(ngx_http_request_t *r,
    ngx_http_hrx_auth_t *auth, ngx_uint_t view, int64_t now, json_t **out);

/*
 * One action of auth's tenant that auth reaches (auth NULL: of tenant_id,
 * reached by anybody: the read back of the writer), as the API object
 * (out may be NULL) and as a row (row may be NULL); now decides locked
 * and editable.
 */
ngx_int_t ngx_http_hrx_db_bulk_get(ngx_http_request_t *r,
    ngx_http_hrx_auth_t *auth, int64_t tenant_id, int64_t id, int64_t now,
    json_t **out, ngx_http_hrx_bulk_row_t *row);

/* adds "template" {id,name,subject} (null when gone) and "reasons"
 * {code: count} of the failed results to obj, the object of action id */
ngx_int_t ngx_http_hrx_db_bulk_detail(ngx_http_request_t *r,
    int64_t tenant_id, int64_t id, json_t *obj);

/* a page of results (state NULL: all) after candidate id after:
 * {"items","next_after"} */
ngx_int_t ngx_http_hrx_db_bulk_results(ngx_http_request_t *r,
    int64_t id, const char *state, int64_t after, ngx_uint_t limit,
    json_t **out);

/* the tenant's mail settings as the API returns them (never the
 * password: password_set); the defaults when the tenant has none */
ngx_int_t ngx_http_hrx_db_mail_settings(ngx_http_request_t *r,
    int64_t tenant_id, json_t **out);



/*
 * LINE friend registration (docs/line.md): what the pages of
 * ngx_http_hrx_line_login.c decide on, for a tenant (NGX_DECLINED: no
 * such tenant) and a candidate, strings as NUL-terminated pool copies
 * ({ 0, NULL } for NULL).  nonce NULL: nonce_used is 0.
 */
typedef struct {
    ngx_uint_t   candidate;             /* the candidate is in the tenant */
    ngx_str_t    line_user_id;          /* "" when not linked */
    ngx_uint_t   connected;             /* line_settings state connected */
    ngx_str_t    login_channel_id;
    ngx_str_t    login_channel_secret;  /* sealed (hrx_open) */
    ngx_str_t    bot_basic_id;
    ngx_str_t    company;               /* the tenant's name */
    ngx_uint_t   nonce_used;            /* in line_login_states */
} ngx_http_hrx_line_login_row_t;

ngx_int_t ngx_http_hrx_db_line_login(ngx_http_request_t *r,
    int64_t tenant_id, int64_t candidate_id, const char *nonce,
    ngx_http_hrx_line_login_row_t *out);


/*
 * LINE settings (ngx_http_hrx_api_line.c, ngx_http_hrx_webhook.c).
 *
 * The settings as GET /api/v1/settings/line shows them, without the
 * URLs (never a secret: "secrets_set"); "disconnected" and nulls when
 * the tenant has none.
 */
ngx_int_t ngx_http_hrx_db_line_settings(ngx_http_request_t *r,
    int64_t tenant_id, json_t **out);

/* the stored row with its secrets still sealed, pool copies ({ 0, NULL }
 * for NULL); when updated_at equals known the secrets are not read
 * (unchanged set: the caller's copy is current).  NGX_DECLINED: none */
typedef struct {
    ngx_uint_t   connected;
    ngx_uint_t   unchanged;
    int64_t      updated_at;
    ngx_str_t    channel_id;
    ngx_str_t    login_channel_id;
    ngx_str_t    channel_secret;        /* sealed (hrx_open) */
    ngx_str_t    access_token;          /* sealed */
    ngx_str_t    login_channel_secret;  /* sealed */
} ngx_http_hrx_line_secrets_t;

ngx_int_t ngx_http_hrx_db_line_secrets(ngx_http_request_t *r,
    int64_t tenant_id, int64_t known, ngx_http_hrx_line_secrets_t *out);

/* events of LINE users linked to no candidate of the tenant, a page
 * ({"items","next_after"}) by id */
ngx_int_t ngx_http_hrx_db_line_unlinked(ngx_http_request_t *r,
    int64_t tenant_id, int64_t after, ngx_uint_t limit, json_t **out);

/* a page of a candidate's timeline (messages rows) after message id
 * after, oldest first: {"items","next_after"} (docs/line.md) */
ngx_int_t ngx_http_hrx_db_messages(ngx_http_request_t *r,
    int64_t tenant_id, int64_t candidate_id, int64_t after,
    ngx_uint_t limit, json_t **out);

/* message id of the tenant, as the timeline shows it */
ngx_int_t ngx_http_hrx_db_message(ngx_http_request_t *r, int64_t tenant_id,
    int64_t id, json_t **out);

#endif /* NGX_HTTP_HRX_DB_H */
