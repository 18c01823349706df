/*
 * POST /api/v1/candidates/import: CSV or JSON, up to 100 000 rows, read
 * and validated on the thread pool, spooled to a file the scheduler
 * applies in one command.  See ngx_http_hrx_import.c.
 */
#ifndef NGX_HTTP_HRX_IMPORT_H
#define NGX_HTTP_HRX_IMPORT_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* a route handler (NGX_HTTP_HRX_BULK: the body is read, not parsed) */
ngx_int_t ngx_http_hrx_api_candidates_import(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_IMPORT_H */
