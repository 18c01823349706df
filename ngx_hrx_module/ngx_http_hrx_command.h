/*
 * Submitting a command to the scheduler through the shm ring.
 */
#ifndef NGX_HTTP_HRX_COMMAND_H
#define NGX_HTTP_HRX_COMMAND_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_hrx_module.h"


/*
 * Encode {op, tenant, actor, args} (args borrowed), append it to the ring
 * and park r; done (NULL: ngx_http_hrx_command_reply) sends the reply
 * when it arrives.  Returns NGX_DONE, or what ngx_http_finalize_request()
 * gets when the command could not be submitted (503 scheduler_unavailable
 * or busy with Retry-After, 413, 500).
 */
ngx_int_t ngx_http_hrx_command(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    const char *op, int64_t tenant_id, int64_t actor_id, json_t *args,
    ngx_http_hrx_done_pt done);

/* the default completion: the scheduler's status and body as they are */
ngx_int_t ngx_http_hrx_command_reply(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);


#endif /* NGX_HTTP_HRX_COMMAND_H */
