/*
 * Live events: GET /api/v1/stream as server-sent events, read from the
 * shm broadcast ring.  See ngx_http_hrx_events.c.
 */
#ifndef NGX_HTTP_HRX_EVENTS_H
#define NGX_HTTP_HRX_EVENTS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


void ngx_http_hrx_events_init(ngx_cycle_t *cycle);
void ngx_http_hrx_events_exit(ngx_cycle_t *cycle);

/* GET /api/v1/stream: the user's live events, server-sent */
ngx_int_t ngx_http_hrx_api_stream(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_EVENTS_H */
