/*
 * The WhatsApp webhook, per connected number (docs/whatsapp.md, WA-2,
 * WA-13).  See ngx_http_hrx_webhook_whatsapp.c.
 */
#ifndef NGX_HTTP_HRX_WEBHOOK_WHATSAPP_H
#define NGX_HTTP_HRX_WEBHOOK_WHATSAPP_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* GET /webhooks/whatsapp/{id}: Meta's verification handshake */
ngx_int_t ngx_http_hrx_webhook_wa_verify(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* POST /webhooks/whatsapp/{id}: a delivery, X-Hub-Signature-256 */
ngx_int_t ngx_http_hrx_webhook_wa(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_WEBHOOK_WHATSAPP_H */
