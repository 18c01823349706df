/*
 * Scheduled bulk actions (docs/bulk-actions.md, SPEC BA-1 ... BA-15):
 * the API, including the dry run on the thread pool.  See
 * ngx_http_hrx_api_bulk.c.
 */
#ifndef NGX_HTTP_HRX_API_BULK_H
#define NGX_HTTP_HRX_API_BULK_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* GET /api/v1/bulk-actions?view=reserved|history */
ngx_int_t ngx_http_hrx_api_bulk_list(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* GET /api/v1/bulk-actions/{id}: + template, reasons */
ngx_int_t ngx_http_hrx_api_bulk_get(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* GET /api/v1/bulk-actions/{id}/results?state&after&limit */
ngx_int_t ngx_http_hrx_api_bulk_results(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* POST /api/v1/bulk-actions, PATCH and DELETE /api/v1/bulk-actions/{id}
 * (candidates.operate_other + bulk_actions.manage, checked by the route) */
ngx_int_t ngx_http_hrx_api_bulk_create(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_bulk_update(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_bulk_delete(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* POST /api/v1/bulk-actions/dry-run (BA-15) */
ngx_int_t ngx_http_hrx_api_bulk_dry_run(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_BULK_H */
