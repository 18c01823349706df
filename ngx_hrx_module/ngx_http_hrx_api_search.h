/*
 * Saved-search conditions evaluated (docs/data-model.md, "Saved-search
 * conditions"): live counts for the search builder, and the count and
 * the candidates of a saved search.  The queries run on the nginx thread
 * pool; see ngx_http_hrx_api_search.c.
 */
#ifndef NGX_HTTP_HRX_API_SEARCH_H
#define NGX_HTTP_HRX_API_SEARCH_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* POST /api/v1/searches/count {"condition"} -> {"count"} */
ngx_int_t ngx_http_hrx_api_search_count(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* GET /api/v1/saved-searches/{id}/count -> {"count"} */
ngx_int_t ngx_http_hrx_api_saved_search_count(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* GET /api/v1/saved-searches/{id}/candidates?limit&after -> a page */
ngx_int_t ngx_http_hrx_api_saved_search_candidates(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_SEARCH_H */
