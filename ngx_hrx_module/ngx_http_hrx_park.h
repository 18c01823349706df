/*
 * Parked requests: waiting for the scheduler's reply in a reply slot,
 * without blocking the worker.
 */
#ifndef NGX_HTTP_HRX_PARK_H
#define NGX_HTTP_HRX_PARK_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


void ngx_http_hrx_park_init(ngx_cycle_t *cycle);
void ngx_http_hrx_park_exit(ngx_cycle_t *cycle);

/* the shm was mapped: take a bell (hrx_bell.h) and read it; or close it
 * before the shm is unmapped.  Without one the worker polls every 1 ms. */
void ngx_http_hrx_park_bell_open(ngx_log_t *log, const char *data_dir);
void ngx_http_hrx_park_bell_close(void);

/*
 * Park r until the reply to the command in ctx->slot/ctx->gen arrives
 * (ctx->done then sends it) or hrx_reply_timeout passes (504).  Returns
 * NGX_DONE, or an error status for ngx_http_finalize_request().
 */
ngx_int_t ngx_http_hrx_park(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_PARK_H */
