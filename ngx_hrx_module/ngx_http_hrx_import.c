/*
 * Bulk import of candidates: POST /api/v1/candidates/import.
 *
 * A body of up to 100 000 rows (text/csv or {"candidates": [...]}, see
 * shm/hrx_import.h) is either imported whole or not at all.  The path:
 *
 *   1. before the body is read: authentication, candidates.operate_other
 *      (ngx_http_hrx_handler.c, NGX_HTTP_HRX_BULK), Content-Length
 *      against hrx_import_body_limit.  nginx keeps a large body in its
 *      temp file, not in memory.
 *   2. on the thread pool (hrx_thread_pool), never on the event loop:
 *      the body is read piece by piece (memory buffers, or the temp file
 *      in 256 KiB reads) through the streaming reader; every row goes
 *      through the validator of a single create (hrx_res_validate()),
 *      then its references are looked up on a read-only SQLite
 *      connection of the task's own (labels, candidate group — which the
 *      actor must reach —, owner, agent, job opening; each distinct id
 *      once), and a valid row is written at once, as one line of JSON,
 *      to a spool file <data>/tmp/import/<pid>-<ms>-<random>.jsonl.
 *      Memory is one row, the spool buffer and the set of ids seen,
 *      whatever the size of the import: nothing is held twice.
 *   3. any bad row: the spool file is removed and the client gets 400
 *      invalid_rows listing the first 100 bad rows ({row, field, code,
 *      message}, the row counted from 1) and total_errors.  Nothing was
 *      sent to the scheduler.
 *   4. all rows good: the file is fsync()ed (and its directory), then
 *      ONE command, candidate.import {"file", "rows"}, names it.  The
 *      scheduler reads the file and writes every row in that command's
 *      savepoint, checking each again against the state it applies to;
 *      it removes the file once its batch is committed (and sweeps files
 *      nobody removed, older than an hour).  Its reply, 201 {"imported",
 *      "first_id", "last_id"}, is what the client gets; the wait is
 *      hrx_import_timeout, not hrx_reply_timeout.
 *
 * The work runs through ngx_http_hrx_task.c (the request is blocked while
 * it runs: nginx does not free it if the client goes away).  The task
 * reads only what is set before it is posted and writes only the job;
 * it allocates with malloc() (the request's pool is not thread-safe) and
 * what it hands back is freed by the request's pool cleanup, which also
 * removes a spool file no command was sent for.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sqlite3.h>

#include "hrx_codec.h"
#include "hrx_crypto.h"
#include "hrx_import.h"
#include "hrx_prepare.h"
#include "hrx_resource.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_import.h"
#include "ngx_http_hrx_task.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_reply.h"


#define NGX_HTTP_HRX_IMPORT_CHUNK  (256 * 1024)   /* reads of the temp file */
#define NGX_HTTP_HRX_SPOOL_BUF     (256 * 1024)

/* a reference looked up: what it is */
#define NGX_HTTP_HRX_REF_REACHED   1
#define NGX_HTTP_HRX_REF_ABSENT    2
#define NGX_HTTP_HRX_REF_OUTSIDE   3


typedef struct {
    int64_t                      id;
    int                          res;       /* hrx_res_id_e, 0: free */
    int                          state;
} ngx_http_hrx_ref_t;


typedef struct {
    /* set on the event loop before the task is posted */
    ngx_chain_t                 *bufs;
    hrx_import_format_e          format;
    size_t                       limit;
    int64_t                      tenant_id;
    int64_t                      user_id;
    unsigned                     admin:1;
    unsigned                     operate_other:1;
    const char                  *db_path;
    const char                  *dir;
    ngx_pid_t                    pid;

    /* the task's result */
    ngx_uint_t                   status;    /* 0: every row spooled */
    char                        *body;      /* malloc()ed error body */
    size_t                       rows;
    uint64_t                     took;      /* ms */
    char                         why[256];  /* for the log, on a 5xx */
    char                         name[HRX_IMPORT_NAME_MAX];
    char                         path[1024];
    unsigned                     spooled:1; /* path exists */
    unsigned                     submitted:1;

    /* the task's own */
    const hrx_res_t             *res;
    hrx_import_t                *im;
    sqlite3                     *db;
    sqlite3_stmt                *reach[HRX_RES_MAX];
    ngx_http_hrx_ref_t          *refs;
    size_t                       nrefs;
    size_t                       caprefs;
    int                          fd;
    char                        *out;
    size_t                       outlen;
    json_t                      *errors;
    size_t                       nerrors;
} ngx_http_hrx_import_t;


static ngx_int_t ngx_http_hrx_import_format(ngx_http_request_t *r,
    hrx_import_format_e *format);
static void ngx_http_hrx_import_cleanup(void *data);
static void ngx_http_hrx_import_thread(void *data, ngx_log_t *log);
static ngx_int_t ngx_http_hrx_import_submit(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_import_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);

static void ngx_http_hrx_import_fail(ngx_http_hrx_import_t *job,
    ngx_uint_t status, const char *code, const char *fmt, ...);
static int ngx_http_hrx_import_row(void *data, size_t n, json_t *row,
    const hrx_res_err_t *err);
static int ngx_http_hrx_import_refs(ngx_http_hrx_import_t *job,
    const json_t *row, hrx_res_err_t *err);
static int ngx_http_hrx_import_open(ngx_http_hrx_import_t *job);
static int ngx_http_hrx_import_write(const char *buf, size_t size,
    void *data);
static int ngx_http_hrx_import_flush(ngx_http_hrx_import_t *job);
static int ngx_http_hrx_import_close(ngx_http_hrx_import_t *job);


ngx_int_t
ngx_http_hrx_api_candidates_import(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    off_t                       size;
    ngx_chain_t                *cl;
    ngx_pool_cleanup_t         *cln;
    hrx_import_format_e         format;
    ngx_http_hrx_import_t      *job;
    ngx_http_hrx_loc_conf_t    *hlcf;
    ngx_http_hrx_main_conf_t   *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);
    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    size = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            size += cl->buf->in_file ? cl->buf->file_last - cl->buf->file_pos
                                     : cl->buf->last - cl->buf->pos;
        }
    }

    if (size > (off_t) hlcf->import_limit) {
        /* chunked: no Content-Length was checked before reading */
        return ngx_http_hrx_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "body_too_large", NULL,
                                       "the request body is larger than "
                                       "%uz bytes", hlcf->import_limit);
    }

    if (ngx_http_hrx_import_format(r, &format) != NGX_OK) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                       "unsupported_media_type", NULL,
                                       "an import is text/csv (UTF-8) or "
                                       "application/json");
    }

    if (size == 0) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_length", NULL,
                                       "the import is empty");
    }

    job = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_import_t));
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->bufs = r->request_body->bufs;
    job->format = format;
    job->limit = hlcf->import_limit;
    job->tenant_id = ctx->auth.tenant_id;
    job->user_id = ctx->auth.user_id;
    job->admin = (ctx->auth.perms & NGX_HTTP_HRX_PERM_USERS_ADMIN) != 0;
    job->operate_other =
        (ctx->auth.perms & NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER) != 0;
    job->db_path = (const char *) hmcf->db_path;
    job->dir = (const char *) hmcf->import_dir;
    job->pid = ngx_pid;
    job->fd = -1;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_hrx_import_cleanup;
    cln->data = job;

    ctx->import = job;

    return ngx_http_hrx_task_run(r, ctx, ngx_http_hrx_import_thread, NULL,
                                 job, ngx_http_hrx_import_submit,
                                 "too much work is queued; try again");
}


/* text/csv (charset utf-8 or none) or application/json, any case */
static ngx_int_t
ngx_http_hrx_import_format(ngx_http_request_t *r, hrx_import_format_e *format)
{
    u_char     *p, *last, *q;
    ngx_str_t  *type;

    if (r->headers_in.content_type == NULL) {
        return NGX_DECLINED;
    }

    type = &r->headers_in.content_type->value;
    p = type->data;
    last = p + type->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    for (q = p; q < last && *q != ';' && *q != ' ' && *q != '\t'; q++) {
        /* void */
    }

    if (q - p == sizeof("application/json") - 1
        && ngx_strncasecmp(p, (u_char *) "application/json", q - p) == 0)
    {
        *format = HRX_IMPORT_JSON;
        return NGX_OK;
    }

    if (q - p != sizeof("text/csv") - 1
        || ngx_strncasecmp(p, (u_char *) "text/csv", q - p) != 0)
    {
        return NGX_DECLINED;
    }

    *format = HRX_IMPORT_CSV;

    /* a charset other than UTF-8 would make every name wrong */
    p = ngx_strlcasestrn(q, last, (u_char *) "charset=", 8 - 1);

    if (p == NULL) {
        return NGX_OK;
    }

    p += sizeof("charset=") - 1;

    if (p < last && *p == '"') {
        p++;
    }

    if (last - p >= 5 && ngx_strncasecmp(p, (u_char *) "utf-8", 5) == 0) {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* the request is going away: what the task handed back */
static void
ngx_http_hrx_import_cleanup(void *data)
{
    ngx_http_hrx_import_t  *job = data;

    if (job->spooled && !job->submitted) {
        /* never named by a command: nobody else will remove it */
        (void) unlink(job->path);
        job->spooled = 0;
    }

    free(job->body);
    job->body = NULL;
}


static ngx_int_t
ngx_http_hrx_import_submit(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    u_char                   *p;
    size_t                    len;
    json_t                   *args;
    ngx_int_t                 rc;
    ngx_http_hrx_import_t    *job;
    ngx_http_hrx_loc_conf_t  *hlcf;

    job = ctx->import;

    if (job->status != 0) {
        if (job->why[0]) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "hrx: import refused with %ui: %s", job->status,
                          job->why);
        }

        if (job->body == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = ngx_strlen(job->body);

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(p, job->body, len);

        return ngx_http_hrx_send(r, job->status, p, len);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "hrx: import of %uz rows read and spooled to \"%s\" in "
                  "%uL ms", job->rows, job->name, job->took);

    args = json_pack("{s:s, s:I}", "file", job->name,
                     "rows", (json_int_t) job->rows);
    if (args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    /* one transaction of up to 100 000 rows: longer than a reply */
    ctx->reply_timeout = hlcf->import_timeout;

    rc = ngx_http_hrx_command(r, ctx, "candidate.import", ctx->auth.tenant_id,
                              ctx->auth.user_id, args,
                              ngx_http_hrx_import_done);

    json_decref(args);

    if (ctx->done != NULL) {
        /* in the ring: the scheduler removes the file after its commit */
        job->submitted = 1;
    }

    return rc;
}


static ngx_int_t
ngx_http_hrx_import_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    return ngx_http_hrx_send(r, status, body, len);
}


/* ---- the task ------------------------------------------------------- */

static void
ngx_http_hrx_import_thread(void *data, ngx_log_t *log)
{
    u_char                 *chunk;
    off_t                   off, size;
    size_t                  n;
    ssize_t                 got;
    int                     rc;
    uint64_t                start;
    ngx_buf_t              *b;
    ngx_uint_t              i;
    ngx_chain_t            *cl;
    hrx_res_err_t           err;
    ngx_http_hrx_import_t  *job;

    job = data;
    start = hrx_monotonic_ms();
    chunk = NULL;
    job->res = hrx_res(HRX_RES_CANDIDATE);

    rc = sqlite3_open_v2(job->db_path, &job->db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc != SQLITE_OK
        || sqlite3_busy_timeout(job->db, 1000) != SQLITE_OK
        || sqlite3_exec(job->db, "PRAGMA query_only = 1", NULL, NULL, NULL)
           != SQLITE_OK)
    {
        ngx_http_hrx_import_fail(job, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "database_unavailable",
                                 "cannot open the database: %s",
                                 job->db ? sqlite3_errmsg(job->db)
                                         : sqlite3_errstr(rc));
        goto done;
    }

    job->im = hrx_import_new(job->format, job->res, ngx_http_hrx_import_row,
                             job);
    job->errors = json_array();
    chunk = malloc(NGX_HTTP_HRX_IMPORT_CHUNK);
    job->out = malloc(NGX_HTTP_HRX_SPOOL_BUF);

    if (job->im == NULL || job->errors == NULL || chunk == NULL
        || job->out == NULL)
    {
        ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal", "out of memory");
        goto done;
    }

    if (ngx_http_hrx_import_open(job) != 0) {
        goto done;
    }

    size = 0;
    rc = 0;

    for (cl = job->bufs; cl && rc == 0 && job->status == 0; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            size += b->last - b->pos;
            rc = hrx_import_feed(job->im, b->pos, b->last - b->pos, &err);
            continue;
        }

        for (off = b->file_pos; off < b->file_last && rc == 0; off += got) {
            n = ngx_min((off_t) NGX_HTTP_HRX_IMPORT_CHUNK,
                        b->file_last - off);

            got = pread(b->file->fd, chunk, n, off);

            if (got <= 0) {
                ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                         "internal", "cannot read the body "
                                         "from its temp file: %s",
                                         got == 0 ? "it ends early"
                                                  : strerror(errno));
                goto done;
            }

            size += got;
            rc = hrx_import_feed(job->im, chunk, (size_t) got, &err);
        }
    }

    if (job->status != 0) {
        goto done;
    }

    if (size > (off_t) job->limit) {
        ngx_http_hrx_import_fail(job, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                 "body_too_large", "the request body is "
                                 "larger than %zu bytes", job->limit);
        goto done;
    }

    if (rc == 0) {
        rc = hrx_import_finish(job->im, &err);
    }

    if (job->status != 0) {
        goto done;
    }

    if (rc != 0) {
        /* the body as a whole: malformed, a bad header, too many rows */
        job->status = err.status;
        job->body = hrx_error_json(err.code, err.message,
                                   err.field[0] ? err.field : NULL);
        goto done;
    }

    job->rows = hrx_import_rows(job->im);

    if (job->nerrors > 0) {
        ngx_http_hrx_import_fail(job, NGX_HTTP_BAD_REQUEST, "invalid_rows",
                                 "%zu of %zu rows are invalid; nothing was "
                                 "imported", job->nerrors, job->rows);
        goto done;
    }

    (void) ngx_http_hrx_import_close(job);

done:

    if (job->status != 0 && job->fd != -1) {
        (void) close(job->fd);
        job->fd = -1;
    }

    if (job->status != 0 && job->spooled) {
        (void) unlink(job->path);
        job->spooled = 0;
    }

    for (i = 0; i < HRX_RES_MAX; i++) {
        sqlite3_finalize(job->reach[i]);
        job->reach[i] = NULL;
    }

    sqlite3_close(job->db);
    job->db = NULL;

    hrx_import_free(job->im);
    job->im = NULL;
    json_decref(job->errors);
    job->errors = NULL;
    free(job->refs);
    job->refs = NULL;
    free(job->out);
    job->out = NULL;
    free(chunk);

    job->took = hrx_monotonic_ms() - start;
}


/*
 * The task's error: the body to send (invalid_rows with the rows listed
 * so far, or the API's error shape), and for a 5xx the reason to log.
 */
static void
ngx_http_hrx_import_fail(ngx_http_hrx_import_t *job, ngx_uint_t status,
    const char *code, const char *fmt, ...)
{
    char     msg[256], *text;
    json_t  *e;
    va_list  args;

    if (job->status != 0) {
        return;                         /* the first error stands */
    }

    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    job->status = status;

    if (status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_cpystrn((u_char *) job->why, (u_char *) msg, sizeof(job->why));
    }

    if (ngx_strcmp(code, "invalid_rows") != 0) {
        job->body = hrx_error_json(code, msg, NULL);
        return;
    }

    e = json_pack("{s:{s:s, s:s, s:n, s:O, s:I}}", "error",
                  "code", code, "message", msg, "field",
                  "rows", job->errors,
                  "total_errors", (json_int_t) job->nerrors);

    text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);

    job->body = text ? text : hrx_error_json(code, msg, NULL);
}


/* each row the reader made (or could not make) */
static int
ngx_http_hrx_import_row(void *data, size_t n, json_t *row,
    const hrx_res_err_t *rerr)
{
    ngx_http_hrx_import_t  *job = data;

    char            buf[160];
    json_t         *e;
    const char     *field;
    hrx_res_err_t   err;

    if (row == NULL) {
        err = *rerr;

    } else if (hrx_res_validate(job->res, row, HRX_RES_CREATE, &err) == 0
               && ngx_http_hrx_import_refs(job, row, &err) == 0)
    {
        if (job->nerrors == 0
            && json_dump_callback(row, ngx_http_hrx_import_write, job,
                                  JSON_COMPACT) != 0)
        {
            json_decref(row);

            if (job->status == 0) {
                ngx_http_hrx_import_fail(job,
                                         NGX_HTTP_INTERNAL_SERVER_ERROR,
                                         "internal", "cannot write the "
                                         "spool file");
            }

            return -1;
        }

        json_decref(row);

        if (job->nerrors == 0 && ngx_http_hrx_import_write("\n", 1, job)) {
            return -1;
        }

        return 0;

    } else if (job->status != 0) {
        json_decref(row);
        return -1;                      /* the database failed */
    }

    json_decref(row);

    job->nerrors++;

    if (job->nerrors > HRX_IMPORT_ERRORS_MAX) {
        return 0;                       /* counted, not listed */
    }

    field = err.field[0] ? hrx_import_field(job->im, err.field, buf,
                                            sizeof(buf))
                         : NULL;

    e = json_pack("{s:I, s:s?, s:s, s:s}", "row", (json_int_t) n,
                  "field", field, "code", err.code, "message", err.message);

    if (e == NULL || json_array_append_new(job->errors, e) != 0) {
        ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal", "out of memory");
        return -1;
    }

    return 0;
}


/*
 * The references of a valid row, as the scheduler will check them: the
 * row must exist in the tenant (404 not_found), a candidate group must be
 * reached by the actor (403 forbidden).  Each (resource, id) is looked up
 * once per import.  0, -1 with err set, or -1 with the job failed.
 */
static int
ngx_http_hrx_import_lookup(ngx_http_hrx_import_t *job, const hrx_res_t *res,
    int64_t id)
{
    int                  rc;
    char                 sql[HRX_SQL_SIZE];
    size_t               i, mask, cap;
    sqlite3_stmt        *st;
    ngx_http_hrx_ref_t  *refs, *ref;

    if (job->nrefs * 2 >= job->caprefs) {
        cap = job->caprefs ? job->caprefs * 2 : 256;

        refs = calloc(cap, sizeof(ngx_http_hrx_ref_t));
        if (refs == NULL) {
            ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal", "out of memory");
            return -1;
        }

        for (i = 0; i < job->caprefs; i++) {
            if (job->refs[i].res == 0) {
                continue;
            }

            ref = &refs[((uint64_t) job->refs[i].id * 31
                         + (uint64_t) job->refs[i].res) & (cap - 1)];

            while (ref->res != 0) {
                ref = (ref == &refs[cap - 1]) ? refs : ref + 1;
            }

            *ref = job->refs[i];
        }

        free(job->refs);
        job->refs = refs;
        job->caprefs = cap;
    }

    /* res ids start at 0: stored + 1, so that 0 means free */
    mask = job->caprefs - 1;
    ref = &job->refs[((uint64_t) id * 31 + (uint64_t) res->id + 1) & mask];

    while (ref->res != 0) {
        if (ref->res == (int) res->id + 1 && ref->id == id) {
            return ref->state;
        }

        ref = (ref == &job->refs[mask]) ? job->refs : ref + 1;
    }

    st = job->reach[res->id];

    if (st == NULL) {
        if (hrx_res_sql(res, HRX_SQL_REACH, 0, sql, sizeof(sql)) != 0
            || hrx_prepare(job->db, sql, 0, &job->reach[res->id])
               != SQLITE_OK)
        {
            ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal", "cannot prepare a lookup: "
                                     "%s", sqlite3_errmsg(job->db));
            return -1;
        }

        st = job->reach[res->id];
    }

#define ngx_http_hrx_import_bind(name, v)                                     \
    if (sqlite3_bind_parameter_index(st, name) > 0) {                         \
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), v);    \
    }

    ngx_http_hrx_import_bind(":tenant", job->tenant_id);
    ngx_http_hrx_import_bind(":actor", job->user_id);
    ngx_http_hrx_import_bind(":admin", job->admin);
    ngx_http_hrx_import_bind(":operate_other", job->operate_other);
    ngx_http_hrx_import_bind(":id", id);

#undef ngx_http_hrx_import_bind

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        ref->state = sqlite3_column_int(st, 0) ? NGX_HTTP_HRX_REF_REACHED
                                               : NGX_HTTP_HRX_REF_OUTSIDE;

    } else if (rc == SQLITE_DONE) {
        ref->state = NGX_HTTP_HRX_REF_ABSENT;

    } else {
        ngx_http_hrx_import_fail(job, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "database_unavailable", "cannot look up a "
                                 "reference: %s", sqlite3_errmsg(job->db));
        sqlite3_reset(st);
        return -1;
    }

    sqlite3_reset(st);

    ref->res = (int) res->id + 1;
    ref->id = id;
    job->nrefs++;

    return ref->state;
}


static int
ngx_http_hrx_import_refs(ngx_http_hrx_import_t *job, const json_t *row,
    hrx_res_err_t *err)
{
    int                     state;
    size_t                  i, n;
    int64_t                 id;
    const json_t           *v;
    const hrx_res_t        *ref;
    const hrx_res_field_t  *f;

    for (f = job->res->fields; f->name; f++) {

        if (f->type != HRX_FT_REF && f->type != HRX_FT_IDS) {
            continue;
        }

        v = json_object_get(row, f->name);
        if (v == NULL || json_is_null(v)) {
            continue;
        }

        ref = hrx_res(f->ref);
        n = json_is_array(v) ? json_array_size(v) : 1;

        for (i = 0; i < n; i++) {
            id = json_integer_value(json_is_array(v) ? json_array_get(v, i)
                                                     : v);

            state = ngx_http_hrx_import_lookup(job, ref, id);

            if (state < 0) {
                return -1;
            }

            if (state == NGX_HTTP_HRX_REF_ABSENT) {
                return hrx_res_fail(err, 404, "not_found", f->name,
                                    "%s: no %s %lld in this tenant",
                                    f->name, ref->name, (long long) id);
            }

            if (state == NGX_HTTP_HRX_REF_OUTSIDE) {
                return hrx_res_fail(err, 403, "forbidden", f->name,
                                    "%s: %s %lld is outside your master "
                                    "groups", f->name, ref->name,
                                    (long long) id);
            }
        }
    }

    return 0;
}


/* ---- the spool file --------------------------------------------------- */

static int
ngx_http_hrx_import_open(ngx_http_hrx_import_t *job)
{
    u_char   rnd[8];
    char     hex[2 * sizeof(rnd) + 1];
    size_t   i;

    if (mkdir(job->dir, 0700) == -1 && errno != EEXIST) {
        ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal", "cannot create %s: %s",
                                 job->dir, strerror(errno));
        return -1;
    }

    if (hrx_random_bytes(rnd, sizeof(rnd)) != 0) {
        ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal", "no random bytes");
        return -1;
    }

    for (i = 0; i < sizeof(rnd); i++) {
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    }

    snprintf(job->name, sizeof(job->name), "%ld-%llu-%s.jsonl",
             (long) job->pid, (unsigned long long) hrx_wall_ms(), hex);
    snprintf(job->path, sizeof(job->path), "%s/%s", job->dir, job->name);

    job->fd = open(job->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                   0600);

    if (job->fd == -1) {
        ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal", "cannot create %s: %s",
                                 job->path, strerror(errno));
        return -1;
    }

    job->spooled = 1;

    return 0;
}


/* json_dump_callback()'s writer, and the line ends */
static int
ngx_http_hrx_import_write(const char *buf, size_t size, void *data)
{
    ngx_http_hrx_import_t  *job = data;

    size_t  n;

    while (size > 0) {
        if (job->outlen == NGX_HTTP_HRX_SPOOL_BUF
            && ngx_http_hrx_import_flush(job) != 0)
        {
            return -1;
        }

        n = ngx_min(size, NGX_HTTP_HRX_SPOOL_BUF - job->outlen);
        memcpy(job->out + job->outlen, buf, n);

        job->outlen += n;
        buf += n;
        size -= n;
    }

    return 0;
}


static int
ngx_http_hrx_import_flush(ngx_http_hrx_import_t *job)
{
    size_t   done;
    ssize_t  n;

    for (done = 0; done < job->outlen; done += n) {
        n = write(job->fd, job->out + done, job->outlen - done);

        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal", "cannot write %s: %s",
                                     job->path, strerror(errno));
            return -1;
        }
    }

    job->outlen = 0;

    return 0;
}


/*
 * Durable before the command names it: the file's data, then its name
 * (the directory).  0, or -1 with the job failed.
 */
static int
ngx_http_hrx_import_close(ngx_http_hrx_import_t *job)
{
    int  fd;

    if (ngx_http_hrx_import_flush(job) != 0) {
        return -1;
    }

    if (fsync(job->fd) == -1) {
        ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal", "cannot fsync %s: %s",
                                 job->path, strerror(errno));
        return -1;
    }

    if (close(job->fd) == -1) {
        job->fd = -1;
        ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal", "cannot close %s: %s",
                                 job->path, strerror(errno));
        return -1;
    }

    job->fd = -1;

    fd = open(job->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd == -1 || fsync(fd) == -1) {
        ngx_http_hrx_import_fail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "internal", "cannot fsync %s: %s", job->dir,
                                 strerror(errno));
        if (fd != -1) {
            (void) close(fd);
        }

        return -1;
    }

    (void) close(fd);

    return 0;
}
