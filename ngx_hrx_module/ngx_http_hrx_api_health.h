/*
 * GET /api/v1/health and GET /api/v1/metrics (no authentication).
 */
#ifndef NGX_HTTP_HRX_API_HEALTH_H
#define NGX_HTTP_HRX_API_HEALTH_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


ngx_int_t ngx_http_hrx_api_health(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_metrics(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_HEALTH_H */
