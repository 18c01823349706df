/*
 * LINE friend registration (docs/line.md, "Friend registration",
 * LN-3…LN-5): the pages a candidate opens from the link in a mail.
 */
#ifndef NGX_HTTP_HRX_LINE_LOGIN_H
#define NGX_HTTP_HRX_LINE_LOGIN_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* GET /line/friend/<token>: token is the rest of the path */
ngx_int_t ngx_http_hrx_line_friend(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_str_t *token);

/* GET /line/callback?code&state (or error&state) */
ngx_int_t ngx_http_hrx_line_callback(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_LINE_LOGIN_H */
