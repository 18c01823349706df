/*
 * Inbound provider webhooks: POST /webhooks/line/{tenant_id}
 * (docs/line.md, LN-2, LN-13).  See ngx_http_hrx_webhook.c.
 */
#ifndef NGX_HTTP_HRX_WEBHOOK_H
#define NGX_HTTP_HRX_WEBHOOK_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* POST /webhooks/line/{id}: no session, the signature instead */
ngx_int_t ngx_http_hrx_webhook_line(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* the worker exits: forget the opened channel secrets */
void ngx_http_hrx_webhook_exit(void);

/*
 * The raw body of a webhook: a single memory buffer as it is, else the
 * buffers (memory, or the temp file nginx spilled it to) copied in
 * order.  "" with *len 0 when there is none; *len its size, and nothing
 * copied, when it is over max; NULL on failure.
 */
u_char *ngx_http_hrx_webhook_body(ngx_http_request_t *r, size_t max,
    size_t *len);


#endif /* NGX_HTTP_HRX_WEBHOOK_H */
