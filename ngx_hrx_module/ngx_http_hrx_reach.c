/*
 * Reach on the reading side.
 *
 * The rules are SQL (hrx_sql_reach() and hrx_sql_operate() in
 * shm/hrx_resource.c), the same text the scheduler runs when it applies
 * a command, so a reader and the writer never disagree on who reaches
 * what: a user reaches an object when it has users.admin, when nobody has
 * a grant on it, or when one of its master groups has one; it operates
 * on a candidate without a group, on one whose group it reaches, or on
 * any with candidates.operate_other.  Objects reached through another
 * (saved searches through their search group, events through their
 * event group, interviews through their candidate) are in the
 * descriptors.
 *
 * For code that reads recruiting data:
 *
 *   - a list or a search: put the expression in the WHERE clause
 *     (hrx_sql_reach(buf, size, "search_group", "t.search_group_id"))
 *     and bind it with ngx_http_hrx_reach_bind();
 *   - one object by id from the path: ngx_http_hrx_reach_object() and a
 *     404 unless NGX_OK (an object the reader does not reach is not
 *     found, as for a list);
 *   - a reference in a body (a template of a preview, a search of a
 *     count): ngx_http_hrx_reach_object() and ngx_http_hrx_reach_send()
 *     for the 404 / 403 naming the field;
 *   - a candidate: ngx_http_hrx_reach_candidate().
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_reach.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reply.h"


static void
ngx_http_hrx_reach_int(sqlite3_stmt *st, const char *name, int64_t v)
{
    int  i;

    i = sqlite3_bind_parameter_index(st, name);

    if (i > 0) {
        sqlite3_bind_int64(st, i, v);
    }
}


void
ngx_http_hrx_reach_bind(sqlite3_stmt *st, ngx_http_hrx_auth_t *auth,
    int64_t tenant_id)
{
    ngx_http_hrx_reach_int(st, ":tenant", tenant_id);
    ngx_http_hrx_reach_int(st, ":actor", auth ? auth->user_id : 0);
    ngx_http_hrx_reach_int(st, ":admin",
                           auth == NULL
                           || (auth->perms & NGX_HTTP_HRX_PERM_USERS_ADMIN));
    ngx_http_hrx_reach_int(st, ":operate_other",
                           auth == NULL
                           || (auth->perms
                               & NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER));
}


ngx_int_t
ngx_http_hrx_reach_object(ngx_http_request_t *r, ngx_http_hrx_auth_t *auth,
    const hrx_res_t *res, int64_t id)
{
    int            rc, reached;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_res_stmt(r, res, HRX_SQL_REACH, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    ngx_http_hrx_reach_bind(st, auth, auth->tenant_id);
    ngx_http_hrx_reach_int(st, ":id", id);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    reached = sqlite3_column_int(st, 0);

    ngx_http_hrx_db_done(st);

    if (reached) {
        return NGX_OK;
    }

    return res->id == HRX_RES_CANDIDATE ? NGX_DECLINED : NGX_ABORT;
}


ngx_int_t
ngx_http_hrx_reach_candidate(ngx_http_request_t *r,
    ngx_http_hrx_auth_t *auth, int64_t id)
{
    return ngx_http_hrx_reach_object(r, auth, hrx_res(HRX_RES_CANDIDATE),
                                     id);
}


ngx_int_t
ngx_http_hrx_reach_send(ngx_http_request_t *r, ngx_int_t rc,
    const hrx_res_t *res, const char *field)
{
    switch (rc) {

    case NGX_DECLINED:
        return ngx_http_hrx_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                       field, "%s: no such %s", field,
                                       res->name);

    case NGX_ABORT:
        return ngx_http_hrx_send_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                       field, "%s: this %s is outside your "
                                       "master groups", field, res->name);

    default:
        return ngx_http_hrx_send_found(r, rc, NULL, res->name);
    }
}
