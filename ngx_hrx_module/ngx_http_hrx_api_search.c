/*
 * Searches: a condition evaluated against the candidates the reader may
 * operate on.
 *
 *   POST /api/v1/searches/count                 {"condition"} -> {"count"}
 *   GET  /api/v1/saved-searches/{id}/count      -> {"count"}
 *   GET  /api/v1/saved-searches/{id}/candidates -> {"items","next_after"}
 *
 * On the event loop, everything that is quick: the condition compiled
 * (shm/hrx_search.h: pure, a 400 naming the node when it is wrong), its
 * has_label ids checked against the tenant's labels, the saved search
 * read through its descriptor (404 unless the reader reaches it, exactly
 * as GET /saved-searches/{id}).  The query itself walks every candidate
 * of the tenant -- 200 000 rows on a big tenant, with a regex per row --
 * so it runs on the nginx thread pool (hrx_thread_pool), never on the
 * event loop.
 *
 * The statement, with the compiled fragment first so that its plain "?"
 * are parameters 1..n and everything else is named:
 *
 *   SELECT count(*) FROM candidates c
 *    WHERE (<fragment>) AND c.tenant_id = :tenant AND <operate rule on c>
 *
 * and for a page, the rows picked the same way and rendered by the
 * candidates descriptor (HRX_SQL_OBJECT: the object GET /candidates/{id}
 * returns):
 *
 *   WITH page(id) AS (SELECT c.id FROM candidates c WHERE (<fragment>)
 *        AND c.tenant_id = :tenant AND c.id > :after AND <operate rule>
 *        ORDER BY c.id LIMIT :limit)
 *   SELECT t.id, <object of t> FROM page JOIN candidates t ON t.id = page.id
 *    ORDER BY t.id
 *
 * Connections.  A SQLite connection must not be used by two threads at
 * once, and the worker's own (ngx_http_hrx_db.c) belongs to the event
 * loop.  Each pool thread opens its own read-only connection the first
 * time it runs a search and keeps it in a thread-local variable (dropped
 * early after an error that is not "busy"); the worker closes them all
 * at exit, once nginx has ended the pool's threads (closing them from
 * each exiting thread would race with the process's exit handlers).
 * Like the worker's, it is read-only with query_only on, and has
 * hrx_regexp() registered.
 * Statements are prepared per request (each condition is its own SQL)
 * and finalized at once, so no read transaction outlives a request.
 *
 * A query that runs longer than NGX_HTTP_HRX_SEARCH_TIMEOUT is
 * interrupted (sqlite3_progress_handler) and answered 503: a pool thread
 * is never held by one search indefinitely.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <time.h>
#include <sqlite3.h>

#include "hrx_checks.h"
#include "hrx_prepare.h"
#include "hrx_resource.h"
#include "hrx_search.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_search.h"
#include "ngx_http_hrx_task.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reach.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_validate.h"


#define NGX_HTTP_HRX_SEARCH_TIMEOUT  30000      /* ms */
#define NGX_HTTP_HRX_SEARCH_SQL_MAX  (HRX_SQL_SIZE + 4096)


typedef enum {
    NGX_HTTP_HRX_SEARCH_COUNT = 0,
    NGX_HTTP_HRX_SEARCH_PAGE
} ngx_http_hrx_search_kind_e;


/* everything the thread touches: nothing of the request but this */
typedef struct {
    ngx_http_request_t          *request;
    ngx_http_hrx_search_kind_e   kind;
    const u_char                *db_path;
    hrx_search_t                *search;
    char                        *sql;           /* ngx_alloc()ed */
    ngx_http_hrx_auth_t          auth;          /* a copy */
    int64_t                      after;
    ngx_uint_t                   limit;

    /* results */
    ngx_int_t                    rc;    /* NGX_OK, NGX_BUSY (no database),
                                           NGX_AGAIN (timed out), NGX_ERROR */
    int64_t                      count;
    u_char                      *body;          /* malloc()ed page */
    size_t                       len;
    struct timespec              deadline;
    char                         errmsg[256];
} ngx_http_hrx_search_task_t;


typedef struct {
    ngx_http_request_t   *request;
    ngx_http_hrx_auth_t  *auth;
    ngx_int_t             rc;
    int64_t               id;
    char                  path[HRX_SEARCH_PATH_MAX];
} ngx_http_hrx_label_check_t;


static ngx_int_t ngx_http_hrx_search_compile(ngx_http_request_t *r,
    const json_t *cond, ngx_uint_t stored, hrx_search_t **out,
    ngx_int_t *sent);
static ngx_int_t ngx_http_hrx_search_labels(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, const json_t *cond, ngx_int_t *sent);
static int ngx_http_hrx_search_label(void *data, int64_t id,
    const char *path);
static ngx_int_t ngx_http_hrx_saved_search(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_http_hrx_search_kind_e kind);
static ngx_int_t ngx_http_hrx_search_start(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, hrx_search_t *s,
    ngx_http_hrx_search_kind_e kind, int64_t after, ngx_uint_t limit);
static char *ngx_http_hrx_search_sql(ngx_http_request_t *r,
    const hrx_search_t *s, ngx_http_hrx_search_kind_e kind);
static void ngx_http_hrx_search_cleanup(void *data);
static void ngx_http_hrx_search_thread(void *data, ngx_log_t *log);
static ngx_int_t ngx_http_hrx_search_resume(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_search_reply(ngx_http_request_t *r,
    ngx_http_hrx_search_task_t *t);


/* ---- handlers ----------------------------------------------------------- */

ngx_int_t
ngx_http_hrx_api_search_count(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    void          *it;
    ngx_int_t      sent;
    const char    *key;
    const json_t  *cond;
    hrx_search_t  *s;

    /* {"condition": ...} and nothing else */
    for (it = json_object_iter(ctx->body); it;
         it = json_object_iter_next(ctx->body, it))
    {
        key = json_object_iter_key(it);

        if (ngx_strcmp(key, "condition") != 0) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "unknown_field", key,
                                           "unknown field \"%s\"", key);
        }
    }

    cond = json_object_get(ctx->body, "condition");

    if (cond == NULL || json_is_null(cond)) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST, "required",
                                       "condition",
                                       "\"condition\" is required");
    }

    if (ngx_http_hrx_search_compile(r, cond, 0, &s, &sent) != NGX_OK) {
        return sent;
    }

    if (ngx_http_hrx_search_labels(r, ctx, cond, &sent) != NGX_OK) {
        hrx_search_free(s);
        return sent;
    }

    return ngx_http_hrx_search_start(r, ctx, s, NGX_HTTP_HRX_SEARCH_COUNT,
                                     0, 0);
}


ngx_int_t
ngx_http_hrx_api_saved_search_count(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_saved_search(r, ctx, NGX_HTTP_HRX_SEARCH_COUNT);
}


ngx_int_t
ngx_http_hrx_api_saved_search_candidates(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_saved_search(r, ctx, NGX_HTTP_HRX_SEARCH_PAGE);
}


/*
 * NGX_OK and the compiled condition, or NGX_ERROR with the answer sent
 * (*sent: what the handler returns): a 400 with the compiler's path,
 * code and message (stored: a condition that was accepted when saved and
 * no longer compiles, a 500).
 */
static ngx_int_t
ngx_http_hrx_search_compile(ngx_http_request_t *r, const json_t *cond,
    ngx_uint_t stored, hrx_search_t **out, ngx_int_t *sent)
{
    int                 rc;
    char                field[HRX_SEARCH_PATH_MAX];
    hrx_search_error_t  err;

    rc = hrx_search_compile(cond, out, &err);

    if (rc == HRX_SEARCH_OK) {
        return NGX_OK;
    }

    if (rc == HRX_SEARCH_NOMEM || stored) {
        *sent = ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "internal", NULL,
                                        "the saved condition does not "
                                        "compile: %s", err.message);
        return NGX_ERROR;
    }

    hrx_copy_utf8(field, sizeof(field), err.path);

    *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST, err.code,
                                    field, "%s", err.message);
    return NGX_ERROR;
}


/* every has_label a label of the tenant: NGX_OK, or NGX_ERROR with the
 * answer sent (*sent) */
static ngx_int_t
ngx_http_hrx_search_labels(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    const json_t *cond, ngx_int_t *sent)
{
    u_char                      *field;
    ngx_http_hrx_label_check_t   lc;

    lc.request = r;
    lc.auth = &ctx->auth;
    lc.rc = NGX_OK;

    if (hrx_condition_labels(cond, ngx_http_hrx_search_label, &lc) == 0) {
        return NGX_OK;
    }

    if (lc.rc != NGX_DECLINED) {
        *sent = ngx_http_hrx_send_found(r, lc.rc, NULL, "label");
        return NGX_ERROR;
    }

    field = ngx_pnalloc(r->pool, ngx_strlen(lc.path) + 1);
    if (field == NULL) {
        *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    ngx_memcpy(field, lc.path, ngx_strlen(lc.path) + 1);

    *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST, "invalid_value",
                                    (const char *) field,
                                    "\"%s\": the tenant has no label %L",
                                    field, lc.id);
    return NGX_ERROR;
}


static int
ngx_http_hrx_search_label(void *data, int64_t id, const char *path)
{
    ngx_http_hrx_label_check_t  *lc = data;

    lc->rc = ngx_http_hrx_reach_object(lc->request, lc->auth,
                                       hrx_res(HRX_RES_LABEL), id);

    if (lc->rc == NGX_OK) {
        return 0;
    }

    lc->id = id;
    hrx_copy_utf8(lc->path, sizeof(lc->path), path);

    return -1;
}


/* the saved search {id}, reached by the reader, and its condition run */
static ngx_int_t
ngx_http_hrx_saved_search(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_http_hrx_search_kind_e kind)
{
    int                  rc;
    json_t              *obj;
    int64_t              after;
    ngx_int_t            orc, sent;
    ngx_uint_t           limit;
    const char          *text;
    sqlite3_stmt        *st;
    hrx_search_t        *s;
    const hrx_res_t     *res;
    ngx_http_hrx_err_t   err;

    after = 0;
    limit = 0;

    if (kind == NGX_HTTP_HRX_SEARCH_PAGE
        && ngx_http_hrx_page_args(r, &limit, &after, &err) != NGX_OK)
    {
        return ngx_http_hrx_send_err(r, &err);
    }

    res = hrx_res(HRX_RES_SAVED_SEARCH);

    orc = ngx_http_hrx_db_res_stmt(r, res, HRX_SQL_GET, &st);
    if (orc != NGX_OK) {
        return ngx_http_hrx_send_found(r, orc, NULL, res->name);
    }

    ngx_http_hrx_reach_bind(st, &ctx->auth, ctx->auth.tenant_id);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), ctx->id);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        /* none in the tenant, or one the reader does not reach */
        ngx_http_hrx_db_done(st);
        return ngx_http_hrx_send_found(r, NGX_DECLINED, NULL, res->name);
    }

    if (rc != SQLITE_ROW) {
        orc = ngx_http_hrx_db_failed(r->connection->log, st, rc);
        return ngx_http_hrx_send_found(r, orc, NULL, res->name);
    }

    text = (const char *) sqlite3_column_text(st, 1);
    obj = text ? json_loadb(text, sqlite3_column_bytes(st, 1), 0, NULL)
               : NULL;

    ngx_http_hrx_db_done(st);

    if (obj == NULL) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the saved search cannot be read");
    }

    orc = ngx_http_hrx_search_compile(r, json_object_get(obj, "condition"),
                                      1, &s, &sent);
    json_decref(obj);

    if (orc != NGX_OK) {
        return sent;
    }

    return ngx_http_hrx_search_start(r, ctx, s, kind, after, limit);
}


/* ---- the thread task -------------------------------------------------- */

/* takes s: freed by the request's pool cleanup, with the rest of t */
static ngx_int_t
ngx_http_hrx_search_start(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    hrx_search_t *s, ngx_http_hrx_search_kind_e kind, int64_t after,
    ngx_uint_t limit)
{
    char                        *sql;
    ngx_pool_cleanup_t          *cln;
    ngx_http_hrx_main_conf_t    *hmcf;
    ngx_http_hrx_search_task_t  *t;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    sql = ngx_http_hrx_search_sql(r, s, kind);
    t = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_search_task_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (sql == NULL || t == NULL || cln == NULL) {
        ngx_free(sql);
        hrx_search_free(s);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    t->request = r;
    t->kind = kind;
    t->db_path = hmcf->db_path;
    t->search = s;
    t->sql = sql;
    t->auth = ctx->auth;
    t->after = after;
    t->limit = limit;
    t->rc = NGX_ERROR;

    cln->handler = ngx_http_hrx_search_cleanup;
    cln->data = t;

    return ngx_http_hrx_task_run(r, ctx, ngx_http_hrx_search_thread, NULL, t,
                                 ngx_http_hrx_search_resume,
                                 "too many searches are running; try again");
}


/* the request is going away: what the search and the task allocated */
static void
ngx_http_hrx_search_cleanup(void *data)
{
    ngx_http_hrx_search_task_t *t = data;

    hrx_search_free(t->search);
    ngx_free(t->sql);
    free(t->body);
}


/* the statement of a search, ngx_alloc()ed; NULL when it does not fit */
static char *
ngx_http_hrx_search_sql(ngx_http_request_t *r, const hrx_search_t *s,
    ngx_http_hrx_search_kind_e kind)
{
    int          n;
    char        *sql, *object;
    char         operate[2048];
    size_t       size;
    const char  *frag;

    if (hrx_sql_operate(operate, sizeof(operate), "c") != 0) {
        return NULL;
    }

    frag = hrx_search_sql(s);
    size = NGX_HTTP_HRX_SEARCH_SQL_MAX + ngx_strlen(frag);

    sql = ngx_alloc(size, r->connection->log);
    if (sql == NULL) {
        return NULL;
    }

    if (kind == NGX_HTTP_HRX_SEARCH_COUNT) {
        n = snprintf(sql, size, "SELECT count(*) FROM candidates c"
                     " WHERE (%s) AND c.tenant_id = :tenant AND %s",
                     frag, operate);

    } else {
        object = ngx_alloc(HRX_SQL_SIZE, r->connection->log);
        if (object == NULL) {
            ngx_free(sql);
            return NULL;
        }

        if (hrx_res_sql(hrx_res(HRX_RES_CANDIDATE), HRX_SQL_OBJECT, 0,
                        object, HRX_SQL_SIZE)
            != 0)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "hrx: no object SQL for candidates");
            ngx_free(object);
            ngx_free(sql);
            return NULL;
        }

        n = snprintf(sql, size, "WITH page(id) AS (SELECT c.id"
                     " FROM candidates c WHERE (%s)"
                     " AND c.tenant_id = :tenant AND c.id > :after AND %s"
                     " ORDER BY c.id LIMIT :limit)"
                     " SELECT t.id, %s FROM page JOIN candidates t"
                     " ON t.id = page.id ORDER BY t.id",
                     frag, operate, object);

        ngx_free(object);
    }

    if (n < 0 || (size_t) n >= size) {
        ngx_free(sql);
        return NULL;
    }

    return sql;
}


static int
ngx_http_hrx_search_progress(void *data)
{
    struct timespec              now;
    ngx_http_hrx_search_task_t  *t = data;

    (void) clock_gettime(CLOCK_MONOTONIC, &now);

    return now.tv_sec > t->deadline.tv_sec
           || (now.tv_sec == t->deadline.tv_sec
               && now.tv_nsec >= t->deadline.tv_nsec);
}


/* append to the page being built (malloc()ed, grown by doubling) */
static ngx_int_t
ngx_http_hrx_search_put(ngx_http_hrx_search_task_t *t, size_t *cap,
    const void *data, size_t len)
{
    u_char  *p;
    size_t   n;

    if (t->len + len > *cap) {
        for (n = *cap ? *cap : 4096; n < t->len + len; n *= 2) {
            /* void */
        }

        p = realloc(t->body, n);
        if (p == NULL) {
            return NGX_ERROR;
        }

        t->body = p;
        *cap = n;
    }

    ngx_memcpy(t->body + t->len, data, len);
    t->len += len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_hrx_search_rows(ngx_http_hrx_search_task_t *t, sqlite3_stmt *st,
    int *src)
{
    int            rc;
    u_char         tail[sizeof("],\"next_after\":}") + NGX_INT64_LEN];
    size_t         cap;
    int64_t        last;
    ngx_uint_t     n, more;
    const u_char  *text;

    cap = 0;
    n = 0;
    more = 0;
    last = 0;

    if (ngx_http_hrx_search_put(t, &cap, "{\"items\":[", 10) != NGX_OK) {
        *src = SQLITE_NOMEM;
        return NGX_ERROR;
    }

    for ( ;; ) {
        rc = sqlite3_step(st);

        if (rc == SQLITE_DONE) {
            break;
        }

        if (rc != SQLITE_ROW) {
            *src = rc;
            return NGX_ERROR;
        }

        /* the statement asks for limit + 1 rows: one more, another page */
        if (n == t->limit) {
            more = 1;
            break;
        }

        text = sqlite3_column_text(st, 1);

        if (text == NULL
            || (n && ngx_http_hrx_search_put(t, &cap, ",", 1) != NGX_OK)
            || ngx_http_hrx_search_put(t, &cap, text,
                                       sqlite3_column_bytes(st, 1))
               != NGX_OK)
        {
            *src = SQLITE_NOMEM;
            return NGX_ERROR;
        }

        last = sqlite3_column_int64(st, 0);
        n++;
    }

    if (more) {
        n = ngx_sprintf(tail, "],\"next_after\":%L}", last) - tail;

    } else {
        n = ngx_cpymem(tail, "],\"next_after\":null}",
                       sizeof("],\"next_after\":null}") - 1) - tail;
    }

    if (ngx_http_hrx_search_put(t, &cap, tail, n) != NGX_OK) {
        *src = SQLITE_NOMEM;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* in a pool thread: touches only t and this thread's connection */
static void
ngx_http_hrx_search_thread(void *data, ngx_log_t *log)
{
    ngx_http_hrx_search_task_t *t = data;

    int            rc, src, first;
    sqlite3       *db;
    sqlite3_stmt  *st;

    (void) log;

    db = ngx_http_hrx_db_thread(t->db_path, &t->rc, t->errmsg,
                                sizeof(t->errmsg));
    if (db == NULL) {
        return;
    }

    st = NULL;
    src = SQLITE_OK;

    rc = hrx_prepare(db, t->sql, 0, &st);

    if (rc != SQLITE_OK) {
        src = rc;
        goto failed;
    }

    /* the fragment comes first: its "?" are 1..n, the rest named */
    first = 1;

    if (sqlite3_bind_parameter_index(st, ":tenant")
        <= hrx_search_nbinds(t->search))
    {
        src = SQLITE_MISUSE;
        goto failed;
    }

    rc = hrx_search_bind(t->search, st, first);

    if (rc != SQLITE_OK) {
        src = rc;
        goto failed;
    }

    ngx_http_hrx_reach_bind(st, &t->auth, t->auth.tenant_id);

    if (t->kind == NGX_HTTP_HRX_SEARCH_PAGE) {
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":after"),
                           t->after);
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"),
                           (sqlite3_int64) t->limit + 1);
    }

    (void) clock_gettime(CLOCK_MONOTONIC, &t->deadline);
    t->deadline.tv_sec += NGX_HTTP_HRX_SEARCH_TIMEOUT / 1000;
    sqlite3_progress_handler(db, 10000, ngx_http_hrx_search_progress, t);

    if (t->kind == NGX_HTTP_HRX_SEARCH_COUNT) {
        rc = sqlite3_step(st);

        if (rc == SQLITE_ROW) {
            t->count = sqlite3_column_int64(st, 0);
            t->rc = NGX_OK;

        } else {
            src = rc;
        }

    } else if (ngx_http_hrx_search_rows(t, st, &src) == NGX_OK) {
        t->rc = NGX_OK;
    }

    sqlite3_progress_handler(db, 0, NULL, NULL);

    if (t->rc == NGX_OK) {
        sqlite3_finalize(st);
        return;
    }

failed:

    t->rc = (src == SQLITE_INTERRUPT) ? NGX_AGAIN : NGX_ERROR;

    ngx_snprintf((u_char *) t->errmsg, sizeof(t->errmsg) - 1, "%s (%d)%Z",
                 src == SQLITE_MISUSE ? "parameters out of order"
                                      : sqlite3_errmsg(db), src);

    sqlite3_finalize(st);

    free(t->body);
    t->body = NULL;
    t->len = 0;

    if (src != SQLITE_BUSY && src != SQLITE_LOCKED
        && src != SQLITE_INTERRUPT && src != SQLITE_NOMEM)
    {
        /* start again with a fresh connection next time */
        ngx_http_hrx_db_thread_drop(db);
    }
}


/* on the event loop when the task is done and the client still waits */
static ngx_int_t
ngx_http_hrx_search_resume(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_search_reply(r, ctx->task_data);
}


static ngx_int_t
ngx_http_hrx_search_reply(ngx_http_request_t *r,
    ngx_http_hrx_search_task_t *t)
{
    u_char  *p;

    switch (t->rc) {

    case NGX_OK:
        break;

    case NGX_BUSY:
        return ngx_http_hrx_send_found(r, NGX_BUSY, NULL, "candidate");

    case NGX_AGAIN:
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "hrx: search interrupted after %d ms",
                      NGX_HTTP_HRX_SEARCH_TIMEOUT);
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "search_timeout", NULL,
                                       "the search took longer than %d "
                                       "seconds: narrow the condition",
                                       NGX_HTTP_HRX_SEARCH_TIMEOUT / 1000);

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: search failed: %s", t->errmsg);
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the search failed");
    }

    if (t->kind == NGX_HTTP_HRX_SEARCH_COUNT) {
        p = ngx_pnalloc(r->pool, sizeof("{\"count\":}") + NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_hrx_send(r, NGX_HTTP_OK, p,
                                 ngx_sprintf(p, "{\"count\":%L}", t->count)
                                 - p);
    }

    p = ngx_pnalloc(r->pool, t->len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, t->body, t->len);

    return ngx_http_hrx_send(r, NGX_HTTP_OK, p, t->len);
}

