/*
 * A candidate's messages (docs/line.md, "Sending"): the timeline, and
 * sending by email and LINE.  See ngx_http_hrx_api_messages.c.
 */
#ifndef NGX_HTTP_HRX_API_MESSAGES_H
#define NGX_HTTP_HRX_API_MESSAGES_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* GET /api/v1/candidates/{id}/messages?after&limit */
ngx_int_t ngx_http_hrx_api_messages_list(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* POST /api/v1/candidates/{id}/messages -> message.send */
ngx_int_t ngx_http_hrx_api_messages_send(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_MESSAGES_H */
