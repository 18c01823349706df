/*
 * The content handler of hrx_api: the route table and the steps every
 * request goes through (route, body size, authentication, CSRF,
 * permission, body, validation, the route's own handler).
 */
#ifndef NGX_HTTP_HRX_HANDLER_H
#define NGX_HTTP_HRX_HANDLER_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_validate.h"


/* route flags */
#define NGX_HTTP_HRX_AUTH        0x01   /* a session or an API token */
#define NGX_HTTP_HRX_BODY        0x02   /* a JSON object body */
#define NGX_HTTP_HRX_NO_INPUT    0x04   /* an empty body, or {} */
#define NGX_HTTP_HRX_PLATFORM    0x08   /* platform admins only */
#define NGX_HTTP_HRX_BULK        0x10   /* a large body the handler reads
                                           itself (an import): auth and
                                           permission before it is read,
                                           hrx_import_body_limit */
#define NGX_HTTP_HRX_BIG_BODY    0x20   /* a provider's batched webhook:
                                           up to HRX_WA_BODY_MAX, read
                                           raw (no NGX_HTTP_HRX_BODY) */

/*
 * A route handler returns NGX_DONE when it took the request over (parked
 * on a reply slot, or waiting for a thread task): it finalizes it itself
 * later.  Anything else is handed to ngx_http_finalize_request().
 */
typedef ngx_int_t (*ngx_http_hrx_route_pt)(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

struct ngx_http_hrx_route_s {
    ngx_uint_t                    method;
    ngx_str_t                     path;      /* "{id}" matches an id */
    ngx_http_hrx_route_pt         handler;
    ngx_uint_t                    flags;
    ngx_uint_t                    perm;      /* NGX_HTTP_HRX_PERM_* bits */
    const ngx_http_hrx_field_t   *schema;    /* for NGX_HTTP_HRX_BODY */
};


ngx_int_t ngx_http_hrx_handler(ngx_http_request_t *r);

/* finish a request from an event that is not its own (timer, thread) */
void ngx_http_hrx_finalize(ngx_http_request_t *r, ngx_int_t rc);


#endif /* NGX_HTTP_HRX_HANDLER_H */
