/*
 * /api/v1/tokens and /api/v1/tokens/{id}: API tokens.
 */
#ifndef NGX_HTTP_HRX_API_TOKENS_H
#define NGX_HTTP_HRX_API_TOKENS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_validate.h"


extern const ngx_http_hrx_field_t  ngx_http_hrx_token_create_schema[];

ngx_int_t ngx_http_hrx_api_tokens_list(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_tokens_create(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_tokens_delete(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_TOKENS_H */
