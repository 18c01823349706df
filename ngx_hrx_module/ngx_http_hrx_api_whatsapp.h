/*
 * WhatsApp numbers (docs/whatsapp.md, WA-1): the tenant's connected
 * WhatsApp Business numbers, the connect check against the Graph API,
 * disconnecting.  See ngx_http_hrx_api_whatsapp.c.
 */
#ifndef NGX_HTTP_HRX_API_WHATSAPP_H
#define NGX_HTTP_HRX_API_WHATSAPP_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_validate.h"


extern const ngx_http_hrx_field_t  ngx_http_hrx_wa_number_schema[];

/* /api/v1/settings/whatsapp/numbers[/{id}] (integrations.admin) */
ngx_int_t ngx_http_hrx_api_wa_list(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_wa_get(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_wa_create(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_wa_update(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_wa_delete(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_WHATSAPP_H */
