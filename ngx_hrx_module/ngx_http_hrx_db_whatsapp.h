/*
 * Reads for WhatsApp (docs/whatsapp.md), on the worker's read-only
 * connection: the tenant's numbers as the API shows them (never a
 * secret, only whether each is set), and a number's sealed secrets for
 * the connect check and the webhook.  Return codes as ngx_http_hrx_db.h:
 * NGX_OK, NGX_DECLINED (no such row), NGX_BUSY, NGX_ERROR.
 */
#ifndef NGX_HTTP_HRX_DB_WHATSAPP_H
#define NGX_HTTP_HRX_DB_WHATSAPP_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

/* {"items":[number, ...]}, oldest first */
ngx_int_t ngx_http_hrx_db_wa_numbers(ngx_http_request_t *r,
    int64_t tenant_id, json_t **out);
/* number id of the tenant */
ngx_int_t ngx_http_hrx_db_wa_number(ngx_http_request_t *r,
    int64_t tenant_id, int64_t id, json_t **out);

typedef struct {
    int64_t      tenant_id;
    int64_t      updated_at;
    ngx_str_t    phone_number_id;
    ngx_str_t    access_token;          /* sealed, as stored */
    ngx_str_t    app_secret;
    ngx_str_t    verify_token;
} ngx_http_hrx_wa_secrets_t;

/* number id's sealed secrets; tenant_id > 0 limits it to that tenant
 * (the API), 0 takes the number's own (the webhook) */
ngx_int_t ngx_http_hrx_db_wa_secrets(ngx_http_request_t *r,
    int64_t tenant_id, int64_t id, ngx_http_hrx_wa_secrets_t *out);

#endif
