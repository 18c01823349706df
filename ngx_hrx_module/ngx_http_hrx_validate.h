/*
 * Request body validation: a schema is a table of fields, each with its
 * type, whether it is required, length bounds and an optional value
 * check.  The first problem found becomes the error the client gets,
 * naming the field: unknown_field, required, invalid_type,
 * invalid_length, invalid_value (all 400).
 */
#ifndef NGX_HTTP_HRX_VALIDATE_H
#define NGX_HTTP_HRX_VALIDATE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_hrx_reply.h"


#define NGX_HTTP_HRX_STRING   1
#define NGX_HTTP_HRX_INT      2
#define NGX_HTTP_HRX_BOOL     3
#define NGX_HTTP_HRX_OBJECT   4
#define NGX_HTTP_HRX_ARRAY    5    /* shape left to check */

/* NGX_OK, or NGX_DECLINED with *why saying what is wrong */
typedef ngx_int_t (*ngx_http_hrx_check_pt)(json_t *value, const char **why);

typedef struct ngx_http_hrx_field_s  ngx_http_hrx_field_t;

struct ngx_http_hrx_field_s {
    const char                   *name;     /* NULL ends the table */
    ngx_uint_t                    type;
    ngx_uint_t                    required;
    size_t                        min;      /* characters, for strings */
    size_t                        max;      /* 0: no bound */
    ngx_http_hrx_check_pt         check;
    const ngx_http_hrx_field_t   *fields;   /* for NGX_HTTP_HRX_OBJECT */
};


/* NGX_OK, or NGX_DECLINED with err set; a JSON null counts as absent */
ngx_int_t ngx_http_hrx_validate(ngx_pool_t *pool, json_t *obj,
    const ngx_http_hrx_field_t *schema, const char *path,
    ngx_http_hrx_err_t *err);

/* value checks */
ngx_int_t ngx_http_hrx_check_email(json_t *value, const char **why);
ngx_int_t ngx_http_hrx_check_slug(json_t *value, const char **why);
ngx_int_t ngx_http_hrx_check_time_zone(json_t *value, const char **why);
ngx_int_t ngx_http_hrx_check_status(json_t *value, const char **why);
ngx_int_t ngx_http_hrx_check_id(json_t *value, const char **why);
ngx_int_t ngx_http_hrx_check_future(json_t *value, const char **why);
/* an array of at most 100 unique ids > 0 (master_group_ids) */
ngx_int_t ngx_http_hrx_check_ids(json_t *value, const char **why);

/* RFC 3339 date-time -> unix ms; NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_hrx_parse_time(const char *s, int64_t *ms);

/*
 * ?limit=1..200 (default 50) and ?after=<id> (default 0) of a list:
 * NGX_OK, or NGX_DECLINED with err set (400 invalid_value)
 */
ngx_int_t ngx_http_hrx_page_args(ngx_http_request_t *r, ngx_uint_t *limit,
    int64_t *after, ngx_http_hrx_err_t *err);

/* a JSON string member, or NULL */
const char *ngx_http_hrx_json_str(json_t *obj, const char *key);


#endif /* NGX_HTTP_HRX_VALIDATE_H */
