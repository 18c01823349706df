/*
 * The request body: size limit, reading (memory and temp file), media
 * type and JSON parsing.
 */
#ifndef NGX_HTTP_HRX_BODY_H
#define NGX_HTTP_HRX_BODY_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_reply.h"


/*
 * Check the announced size against limit (hrx_body_limit, or
 * hrx_import_body_limit for an import) and start reading; post runs once
 * the body is in.  Returns NGX_DONE, or what the content handler must
 * return (a 413 sent at once, an nginx error status).
 */
ngx_int_t ngx_http_hrx_body_read(ngx_http_request_t *r, size_t limit,
    ngx_http_client_body_handler_pt post);

/*
 * Parse the body that was read into ctx->body (a JSON object).  With
 * no_input an empty body is allowed (ctx->body stays NULL).  NGX_OK,
 * NGX_DECLINED with err set, or NGX_ERROR.
 */
ngx_int_t ngx_http_hrx_body_parse(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t no_input, ngx_http_hrx_err_t *err);


#endif /* NGX_HTTP_HRX_BODY_H */
