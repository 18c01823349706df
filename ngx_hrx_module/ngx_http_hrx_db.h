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


#endif /* NGX_HTTP_HRX_DB_H */
