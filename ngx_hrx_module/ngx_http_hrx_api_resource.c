/*
 * The resources of shm/hrx_resource.h, all through the same five
 * handlers: list, get, create, update, delete.
 *
 * Reads come from SQLite with statements made from the resource's
 * descriptor.  The database renders each row as the object the API
 * returns (json_object() in the statement), so a read is: bind the
 * tenant, the reader and the page, step, and send the text.  Rows the
 * reader does not reach (ngx_http_hrx_reach.c) are not in a list and are
 * 404 by id, exactly like rows of another tenant.
 *
 * Changes: the manage permission of the resource (403 naming it; an
 * update of a resource with HRX_RES_EDIT_BY_REACH needs only reach), the
 * body against the descriptor (hrx_res_validate(), 400 naming the
 * field), then the command <name>.create / .update / .delete with the
 * body as its args.  Everything that depends on the state (the row is
 * there and reached, references, unique names, the resource's own rules)
 * is decided by the scheduler, which sees it race-free.  Its reply to a
 * create or update is {"id": n}; the object is read back here, after the
 * commit, and sent with the scheduler's status (a reply slot is too
 * small for a template or an event with its dates).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_resource.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_resource.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_handler.h"
#include "ngx_http_hrx_reach.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_validate.h"


#if (NGX_HTTP_HRX_PERM_USERS_ADMIN != HRX_PERM_USERS_ADMIN                    \
     || NGX_HTTP_HRX_PERM_ALL != HRX_PERM_ALL                                 \
     || NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER                            \
        != HRX_PERM_CANDIDATES_OPERATE_OTHER)
#error "the permission bits of ngx_http_hrx_auth.h and hrx_resource.h differ"
#endif


static const hrx_res_t *ngx_http_hrx_res(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_res_change(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, int action);
static ngx_int_t ngx_http_hrx_res_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);
static ngx_int_t ngx_http_hrx_res_one(ngx_http_request_t *r,
    const hrx_res_t *res, ngx_http_hrx_auth_t *auth, int64_t id,
    ngx_str_t *out);


ngx_int_t
ngx_http_hrx_api_res_list(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    int                  rc;
    u_char              *p, *body;
    size_t               len;
    int64_t              after, last;
    ngx_int_t            orc;
    ngx_str_t           *row;
    ngx_uint_t           limit, n, i, more;
    ngx_array_t          rows;
    sqlite3_stmt        *st;
    const u_char        *text;
    const hrx_res_t     *res;
    ngx_http_hrx_err_t   err;

    res = ngx_http_hrx_res(r, ctx);
    if (res == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_hrx_require(&ctx->auth, res->read, &err) != NGX_OK
        || ngx_http_hrx_page_args(r, &limit, &after, &err) != NGX_OK)
    {
        return ngx_http_hrx_send_err(r, &err);
    }

    orc = ngx_http_hrx_db_res_stmt(r, res, HRX_SQL_LIST, &st);
    if (orc != NGX_OK) {
        return ngx_http_hrx_send_found(r, orc, NULL, res->name);
    }

    ngx_http_hrx_reach_bind(st, &ctx->auth, ctx->auth.tenant_id);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":after"),
                       after);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"),
                       (sqlite3_int64) limit + 1);

    if (ngx_array_init(&rows, r->pool, limit < 16 ? limit : 16,
                       sizeof(ngx_str_t))
        != NGX_OK)
    {
        ngx_http_hrx_db_done(st);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = 0;
    more = 0;
    last = 0;
    len = 0;

    for ( ;; ) {
        rc = sqlite3_step(st);

        if (rc == SQLITE_DONE) {
            break;
        }

        if (rc != SQLITE_ROW) {
            (void) ngx_http_hrx_db_failed(r->connection->log, st, rc);
            return ngx_http_hrx_send_found(r, NGX_ERROR, NULL, res->name);
        }

        if (n == limit) {
            more = 1;
            break;
        }

        row = ngx_array_push(&rows);
        text = sqlite3_column_text(st, 1);

        if (row == NULL || text == NULL) {
            ngx_http_hrx_db_done(st);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        row->len = sqlite3_column_bytes(st, 1);
        row->data = ngx_pnalloc(r->pool, row->len);

        if (row->data == NULL) {
            ngx_http_hrx_db_done(st);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(row->data, text, row->len);

        len += row->len + 1;
        last = sqlite3_column_int64(st, 0);
        n++;
    }

    ngx_http_hrx_db_done(st);

    len += sizeof("{\"items\":[],\"next_after\":}") - 1 + NGX_INT64_LEN;

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(body, "{\"items\":[", sizeof("{\"items\":[") - 1);

    row = rows.elts;

    for (i = 0; i < rows.nelts; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, row[i].data, row[i].len);
    }

    if (more) {
        p = ngx_sprintf(p, "],\"next_after\":%L}", last);

    } else {
        p = ngx_cpymem(p, "],\"next_after\":null}",
                       sizeof("],\"next_after\":null}") - 1);
    }

    return ngx_http_hrx_send(r, NGX_HTTP_OK, body, p - body);
}


ngx_int_t
ngx_http_hrx_api_res_get(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t            rc;
    ngx_str_t            obj;
    const hrx_res_t     *res;
    ngx_http_hrx_err_t   err;

    res = ngx_http_hrx_res(r, ctx);
    if (res == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_hrx_require(&ctx->auth, res->read, &err) != NGX_OK) {
        return ngx_http_hrx_send_err(r, &err);
    }

    rc = ngx_http_hrx_res_one(r, res, &ctx->auth, ctx->id, &obj);

    if (rc != NGX_OK) {
        return ngx_http_hrx_send_found(r, rc, NULL, res->name);
    }

    return ngx_http_hrx_send(r, NGX_HTTP_OK, obj.data, obj.len);
}


ngx_int_t
ngx_http_hrx_api_res_create(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_res_change(r, ctx, HRX_RES_CREATE);
}


ngx_int_t
ngx_http_hrx_api_res_update(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_res_change(r, ctx, HRX_RES_UPDATE);
}


ngx_int_t
ngx_http_hrx_api_res_delete(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_res_change(r, ctx, HRX_RES_DELETE);
}


/* the resource of the route: its path starts with the resource's */
static const hrx_res_t *
ngx_http_hrx_res(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    const hrx_res_t  *res;

    res = hrx_res_by_path((const char *) ctx->route->path.data,
                          ctx->route->path.len);

    if (res == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "hrx: no resource is served at \"%V\"",
                      &ctx->route->path);
    }

    return res;
}


static ngx_int_t
ngx_http_hrx_res_change(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    int action)
{
    u_char              *op;
    size_t               n;
    const char          *verb;
    hrx_res_err_t        herr;
    const hrx_res_t     *res;
    ngx_http_hrx_err_t   err;

    res = ngx_http_hrx_res(r, ctx);
    if (res == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a candidate is edited by whoever operates on it: the scheduler
     * answers 404 for one the actor does not */
    if ((action != HRX_RES_UPDATE || !(res->flags & HRX_RES_EDIT_BY_REACH))
        && ngx_http_hrx_require(&ctx->auth, res->manage, &err) != NGX_OK)
    {
        return ngx_http_hrx_send_err(r, &err);
    }

    if (action == HRX_RES_DELETE) {
        ctx->args = json_object();
        verb = ".delete";

    } else {
        if (hrx_res_validate(res, ctx->body, action, &herr) != 0) {
            return ngx_http_hrx_send_error(r, herr.status, herr.code,
                                           herr.field[0] ? herr.field : NULL,
                                           "%s", herr.message);
        }

        ctx->args = json_deep_copy(ctx->body);
        verb = (action == HRX_RES_CREATE) ? ".create" : ".update";
    }

    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (action != HRX_RES_CREATE
        && json_object_set_new(ctx->args, "id", json_integer(ctx->id)) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = ngx_strlen(res->name);

    op = ngx_pnalloc(r->pool, n + sizeof(".create"));
    if (op == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *ngx_sprintf(op, "%s%s", res->name, verb) = '\0';

    return ngx_http_hrx_command(r, ctx, (const char *) op,
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args,
                                action == HRX_RES_DELETE
                                ? NULL : ngx_http_hrx_res_done);
}


/*
 * The scheduler answered a create or update with {"id": n} after its
 * commit: send the object as a read sees it now.  Errors go as they are.
 */
static ngx_int_t
ngx_http_hrx_res_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    json_t           *reply;
    int64_t           id;
    ngx_int_t         rc;
    ngx_str_t         obj;
    const hrx_res_t  *res;

    if (status != NGX_HTTP_OK && status != NGX_HTTP_CREATED) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    res = ngx_http_hrx_res(r, ctx);

    reply = json_loadb((const char *) body, len, 0, NULL);
    id = json_integer_value(json_object_get(reply, "id"));
    json_decref(reply);

    if (res == NULL || id <= 0) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "unexpected reply from the "
                                       "scheduler");
    }

    /* the writer reaches what it just wrote */
    rc = ngx_http_hrx_res_one(r, res, NULL, id, &obj);

    if (rc != NGX_OK) {
        /*
         * Deleted by a later command already, or the read failed: the
         * change is committed all the same, so it is still a success,
         * with the id only.
         */
        return ngx_http_hrx_send(r, status, body, len);
    }

    return ngx_http_hrx_send(r, status, obj.data, obj.len);
}


/* one row as its JSON text (pool copy): NGX_OK, NGX_DECLINED ... */
static ngx_int_t
ngx_http_hrx_res_one(ngx_http_request_t *r, const hrx_res_t *res,
    ngx_http_hrx_auth_t *auth, int64_t id, ngx_str_t *out)
{
    int                  rc;
    ngx_int_t            orc;
    sqlite3_stmt        *st;
    const u_char        *text;
    ngx_http_hrx_ctx_t  *ctx;

    orc = ngx_http_hrx_db_res_stmt(r, res, HRX_SQL_GET, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_hrx_module);

    ngx_http_hrx_reach_bind(st, auth, ctx->auth.tenant_id);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), id);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    text = sqlite3_column_text(st, 1);
    out->len = sqlite3_column_bytes(st, 1);
    out->data = text ? ngx_pnalloc(r->pool, out->len) : NULL;

    if (out->data == NULL) {
        ngx_http_hrx_db_done(st);
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, text, out->len);

    ngx_http_hrx_db_done(st);

    return NGX_OK;
}
