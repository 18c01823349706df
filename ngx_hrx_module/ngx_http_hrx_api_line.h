/*
 * LINE settings (docs/line.md, LN-1, LN-10): the channels, the connect
 * check, disconnecting, and the events of unlinked LINE users.  See
 * ngx_http_hrx_api_line.c.
 */
#ifndef NGX_HTTP_HRX_API_LINE_H
#define NGX_HTTP_HRX_API_LINE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_validate.h"


extern const ngx_http_hrx_field_t  ngx_http_hrx_line_settings_schema[];

/* GET, PUT, DELETE /api/v1/settings/line (integrations.admin) */
ngx_int_t ngx_http_hrx_api_line_get(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_line_put(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_line_delete(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* GET /api/v1/line/unlinked-events (integrations.admin) */
ngx_int_t ngx_http_hrx_api_line_unlinked(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_LINE_H */
