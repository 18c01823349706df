/*
 * Sending responses.
 *
 * Every API response carries Cache-Control: no-store (they hold personal
 * data and secrets) and, when JSON, "application/json; charset=utf-8".
 * A response may be sent before the request body was read (404, 405, 413,
 * 401 ...): the body is then discarded first, so a keep-alive connection
 * stays in step.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <stdlib.h>

#include "hrx_codec.h"
#include "ngx_http_hrx_reply.h"


static ngx_str_t  ngx_http_hrx_json_type =
    ngx_string("application/json; charset=utf-8");


ngx_int_t
ngx_http_hrx_add_header(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;
    h->value.len = len;
    h->value.data = value;

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_send_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (len) {
        r->headers_out.content_type = *content_type;
        r->headers_out.content_type_len = content_type->len;
        r->headers_out.content_type_lowcase = NULL;
    }

    if (ngx_http_hrx_add_header(r, "Cache-Control", (u_char *) "no-store",
                                sizeof("no-store") - 1)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_hrx_send(ngx_http_request_t *r, ngx_uint_t status, u_char *body,
    size_t len)
{
    return ngx_http_hrx_send_text(r, status, &ngx_http_hrx_json_type, body,
                                  len);
}


u_char *
ngx_http_hrx_dump(ngx_http_request_t *r, json_t *obj, size_t *len)
{
    char    *s;
    u_char  *p;
    size_t   n;

    s = json_dumps(obj, JSON_COMPACT);
    if (s == NULL) {
        return NULL;
    }

    n = ngx_strlen(s);

    p = ngx_pnalloc(r->pool, n);
    if (p != NULL) {
        ngx_memcpy(p, s, n);
        *len = n;
    }

    free(s);

    return p;
}


ngx_int_t
ngx_http_hrx_send_json(ngx_http_request_t *r, ngx_uint_t status, json_t *obj)
{
    u_char  *p;
    size_t   len;

    if (obj == NULL) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "out of memory");
    }

    p = ngx_http_hrx_dump(r, obj, &len);
    json_decref(obj);

    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_send(r, status, p, len);
}


ngx_int_t
ngx_http_hrx_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *field, const char *fmt, ...)
{
    char     *s;
    u_char   *p, msg[512];
    size_t    len;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg) - 1, fmt, args);
    va_end(args);
    *p = '\0';

    if (status == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: %ui %s: %s", status, code, msg);
    }

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE
        && ngx_http_hrx_add_header(r, "Retry-After", (u_char *) "1", 1)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s = hrx_error_json(code, (const char *) msg, field);
    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(s);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        free(s);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, s, len);
    free(s);

    return ngx_http_hrx_send(r, status, p, len);
}


void
ngx_http_hrx_err_set(ngx_http_hrx_err_t *err, ngx_uint_t status,
    const char *code, const char *field, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    err->status = status;
    err->code = code;
    err->field = field;

    va_start(args, fmt);
    p = ngx_vslprintf(err->message, err->message + sizeof(err->message) - 1,
                      fmt, args);
    va_end(args);
    *p = '\0';
}


ngx_int_t
ngx_http_hrx_send_err(ngx_http_request_t *r, ngx_http_hrx_err_t *err)
{
    if (err->status == NGX_HTTP_UNAUTHORIZED
        && ngx_http_hrx_add_header(r, "WWW-Authenticate", (u_char *) "Bearer",
                                   sizeof("Bearer") - 1)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_send_error(r, err->status, err->code, err->field,
                                   "%s", err->message);
}


ngx_int_t
ngx_http_hrx_send_found(ngx_http_request_t *r, ngx_int_t rc, json_t *obj,
    const char *what)
{
    switch (rc) {

    case NGX_OK:
        return ngx_http_hrx_send_json(r, NGX_HTTP_OK, obj);

    case NGX_DECLINED:
        return ngx_http_hrx_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                       "id", "no such %s", what);

    case NGX_BUSY:
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "database_unavailable", NULL,
                                       "the database does not exist yet");

    default:
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the database could not be read");
    }
}
