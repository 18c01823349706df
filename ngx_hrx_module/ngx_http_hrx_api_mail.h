/*
 * Mail settings (docs/bulk-actions.md): how a tenant's mail leaves, file
 * transport or SMTP.  See ngx_http_hrx_api_mail.c.
 */
#ifndef NGX_HTTP_HRX_API_MAIL_H
#define NGX_HTTP_HRX_API_MAIL_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_validate.h"


extern const ngx_http_hrx_field_t  ngx_http_hrx_mail_settings_schema[];

/* GET /api/v1/settings/mail (integrations.admin) */
ngx_int_t ngx_http_hrx_api_mail_get(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* PUT /api/v1/settings/mail (integrations.admin) */
ngx_int_t ngx_http_hrx_api_mail_put(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_MAIL_H */
