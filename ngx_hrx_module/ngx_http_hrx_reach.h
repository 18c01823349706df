/*
 * Reach on the reading side (docs/data-model.md, "Who reaches what"):
 * helpers for every read that must leave out, or refuse, what the reader
 * does not reach.  See ngx_http_hrx_reach.c.
 */
#ifndef NGX_HTTP_HRX_REACH_H
#define NGX_HTTP_HRX_REACH_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sqlite3.h>

#include "hrx_resource.h"
#include "ngx_http_hrx_module.h"


/*
 * Bind :tenant, :actor, :admin and :operate_other of a statement whose
 * SQL uses hrx_sql_reach() / hrx_sql_operate() (shm/hrx_resource.h),
 * from who is asking; parameters the statement does not use are
 * skipped.  auth NULL: everything is reached (a read made for the writer
 * of a row just written).
 */
void ngx_http_hrx_reach_bind(sqlite3_stmt *st, ngx_http_hrx_auth_t *auth,
    int64_t tenant_id);

/*
 * Does the reader reach row id of res (its own tenant)?
 *   NGX_OK        yes
 *   NGX_DECLINED  the tenant has no such row
 *   NGX_ABORT     it exists, but is not reached (a candidate the reader
 *                 cannot operate on is NGX_DECLINED: never revealed)
 *   NGX_BUSY      no database yet
 *   NGX_ERROR
 */
ngx_int_t ngx_http_hrx_reach_object(ngx_http_request_t *r,
    ngx_http_hrx_auth_t *auth, const hrx_res_t *res, int64_t id);

/* the operate rule for one candidate: NGX_OK, NGX_DECLINED (absent or
 * not operable), NGX_BUSY, NGX_ERROR */
ngx_int_t ngx_http_hrx_reach_candidate(ngx_http_request_t *r,
    ngx_http_hrx_auth_t *auth, int64_t id);

/*
 * The answer for a reference that ngx_http_hrx_reach_object() refused:
 * NGX_DECLINED 404 not_found, NGX_ABORT 403 forbidden, both naming field;
 * NGX_BUSY 503; else 500.
 */
ngx_int_t ngx_http_hrx_reach_send(ngx_http_request_t *r, ngx_int_t rc,
    const hrx_res_t *res, const char *field);


#endif /* NGX_HTTP_HRX_REACH_H */
