/*
 * Sending responses: JSON bodies, the API's error shape, plain text.
 * Each returns what ngx_http_finalize_request() should get.
 */
#ifndef NGX_HTTP_HRX_REPLY_H
#define NGX_HTTP_HRX_REPLY_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>


/*
 * An error found by a check (validation, authentication ...), sent by
 * whoever asked for the check: the checks themselves never send.
 */
typedef struct {
    ngx_uint_t    status;
    const char   *code;
    const char   *field;          /* static or pool memory; NULL: null */
    u_char        message[256];
} ngx_http_hrx_err_t;

void ngx_http_hrx_err_set(ngx_http_hrx_err_t *err, ngx_uint_t status,
    const char *code, const char *field, const char *fmt, ...);
ngx_int_t ngx_http_hrx_send_err(ngx_http_request_t *r,
    ngx_http_hrx_err_t *err);

/* a JSON body as is (len 0: no body, e.g. 204) */
ngx_int_t ngx_http_hrx_send(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len);

/* serialises and json_decref()s obj; NULL obj: 500 */
ngx_int_t ngx_http_hrx_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *obj);

/*
 * {"error":{"code","message","field"}}; field may be NULL.  fmt takes
 * ngx_sprintf() formats (%s C string, %V ngx_str_t *, %L int64_t).
 */
ngx_int_t ngx_http_hrx_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *field, const char *fmt, ...);

ngx_int_t ngx_http_hrx_send_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *body, size_t len);

/*
 * The result of a read (ngx_http_hrx_db.h return codes): NGX_OK sends
 * obj (taken), NGX_DECLINED 404 not_found naming what, NGX_BUSY 503, else
 * 500.
 */
ngx_int_t ngx_http_hrx_send_found(ngx_http_request_t *r, ngx_int_t rc,
    json_t *obj, const char *what);

/* an extra response header; value must live as long as the request */
ngx_int_t ngx_http_hrx_add_header(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len);

/* a copy of a JSON value's serialisation in the request pool */
u_char *ngx_http_hrx_dump(ngx_http_request_t *r, json_t *obj, size_t *len);


#endif /* NGX_HTTP_HRX_REPLY_H */
