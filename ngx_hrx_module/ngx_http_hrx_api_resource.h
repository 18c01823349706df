/*
 * The generic handlers of the resources of shm/hrx_resource.h: roles,
 * master groups, labels, events ... each at /api/v1/<path> and
 * /api/v1/<path>/{id}; the route's path says which resource.
 */
#ifndef NGX_HTTP_HRX_API_RESOURCE_H
#define NGX_HTTP_HRX_API_RESOURCE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* route table entries: what follows method and path */
#define NGX_HTTP_HRX_RES_LIST                                                 \
    ngx_http_hrx_api_res_list, NGX_HTTP_HRX_AUTH, 0, NULL
#define NGX_HTTP_HRX_RES_CREATE                                               \
    ngx_http_hrx_api_res_create, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY, 0, NULL
#define NGX_HTTP_HRX_RES_GET                                                  \
    ngx_http_hrx_api_res_get, NGX_HTTP_HRX_AUTH, 0, NULL
#define NGX_HTTP_HRX_RES_UPDATE                                               \
    ngx_http_hrx_api_res_update, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY, 0, NULL
#define NGX_HTTP_HRX_RES_DELETE                                               \
    ngx_http_hrx_api_res_delete, NGX_HTTP_HRX_AUTH, 0, NULL


ngx_int_t ngx_http_hrx_api_res_list(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_res_get(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_res_create(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_res_update(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_res_delete(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_RESOURCE_H */
