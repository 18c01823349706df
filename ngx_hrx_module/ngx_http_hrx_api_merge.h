/*
 * Merge variables (docs/data-model.md, "Merge variables"): the registry
 * and the preview of a template for one candidate.
 */
#ifndef NGX_HTTP_HRX_API_MERGE_H
#define NGX_HTTP_HRX_API_MERGE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_validate.h"


extern const ngx_http_hrx_field_t  ngx_http_hrx_preview_schema[];

/* GET /api/v1/merge-variables -> [{"name","alias","description"}] */
ngx_int_t ngx_http_hrx_api_merge_variables(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/* POST /api/v1/templates/{id}/preview {"candidate_id"}
 *   -> {"subject","body_text","body_html","missing"} */
ngx_int_t ngx_http_hrx_api_template_preview(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


#endif /* NGX_HTTP_HRX_API_MERGE_H */
