/*
 * /api/v1/users and /api/v1/users/{id}.
 */
#ifndef NGX_HTTP_HRX_API_USERS_H
#define NGX_HTTP_HRX_API_USERS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_validate.h"


extern const ngx_http_hrx_field_t  ngx_http_hrx_user_create_schema[];
extern const ngx_http_hrx_field_t  ngx_http_hrx_user_update_schema[];

ngx_int_t ngx_http_hrx_api_users_list(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_users_create(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_users_get(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_users_update(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_USERS_H */
