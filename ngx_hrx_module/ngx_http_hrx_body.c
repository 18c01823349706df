/*
 * The request body.
 *
 * A body announced by Content-Length beyond hrx_body_limit is refused
 * before a byte of it is read (and then discarded, to keep the
 * connection usable).  A chunked body has no announced size: it is read,
 * then its total is checked.  nginx keeps a small body in memory and
 * writes a larger one (beyond client_body_buffer_size) to a temp file; the
 * buffers of either kind are concatenated here, in order.
 *
 * Only JSON is accepted: Content-Type application/json (parameters such
 * as charset allowed).  jansson parses with JSON_REJECT_DUPLICATES, so
 * {"email": 1, "email": 2} is malformed rather than silently the last
 * one; its error text, with line and column, goes to the client.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_body.h"
#include "ngx_http_hrx_reply.h"


static ngx_int_t ngx_http_hrx_body_is_json(ngx_http_request_t *r);
static u_char *ngx_http_hrx_body_concat(ngx_http_request_t *r, size_t limit,
    size_t *len);


ngx_int_t
ngx_http_hrx_body_read(ngx_http_request_t *r, size_t limit,
    ngx_http_client_body_handler_pt post)
{
    ngx_int_t  rc;

    if (r->headers_in.content_length_n > (off_t) limit) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "body_too_large", NULL,
                                       "the request body is larger than "
                                       "%uz bytes", limit);
    }

    rc = ngx_http_read_client_request_body(r, post);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_hrx_body_parse(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t no_input, ngx_http_hrx_err_t *err)
{
    size_t                    len;
    u_char                   *p;
    json_t                   *obj;
    json_error_t              jerr;
    ngx_http_hrx_loc_conf_t  *hlcf;

    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    p = ngx_http_hrx_body_concat(r, hlcf->body_limit, &len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (len > hlcf->body_limit) {
        ngx_http_hrx_err_set(err, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                             "body_too_large", NULL,
                             "the request body is larger than %uz bytes",
                             hlcf->body_limit);
        return NGX_DECLINED;
    }

    if (len == 0 && no_input) {
        return NGX_OK;
    }

    if (len > 0 && ngx_http_hrx_body_is_json(r) != NGX_OK) {
        ngx_http_hrx_err_set(err, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                             "unsupported_media_type", NULL,
                             "the request body must be JSON "
                             "(Content-Type: application/json)");
        return NGX_DECLINED;
    }

    obj = json_loadb((const char *) p, len, JSON_REJECT_DUPLICATES, &jerr);

    if (obj == NULL) {
        ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST, "malformed_json",
                             NULL, "malformed JSON: %s at line %d column %d",
                             jerr.text, jerr.line, jerr.column);
        return NGX_DECLINED;
    }

    if (!json_is_object(obj)) {
        json_decref(obj);
        ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST, "invalid_type", NULL,
                             "the request body must be a JSON object");
        return NGX_DECLINED;
    }

    /* freed by the request's pool cleanup (ngx_http_hrx_handler.c) */
    ctx->body = obj;

    return NGX_OK;
}


/* "application/json", any case, optionally followed by parameters */
static ngx_int_t
ngx_http_hrx_body_is_json(ngx_http_request_t *r)
{
    u_char     *p, *last;
    ngx_str_t  *type;

    if (r->headers_in.content_type == NULL) {
        return NGX_DECLINED;
    }

    type = &r->headers_in.content_type->value;
    p = type->data;
    last = p + type->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if ((size_t) (last - p) < sizeof("application/json") - 1
        || ngx_strncasecmp(p, (u_char *) "application/json",
                           sizeof("application/json") - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof("application/json") - 1;

    if (p == last || *p == ';' || *p == ' ' || *p == '\t') {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/*
 * The whole body in one buffer: memory buffers are copied, file buffers
 * (a body spilled to a temp file) read back.  Returns "" with *len 0 when
 * there is no body; a body over limit is not copied ("", *len its size).
 */
static u_char *
ngx_http_hrx_body_concat(ngx_http_request_t *r, size_t limit, size_t *len)
{
    off_t         size;
    u_char       *buf, *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    *len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return (u_char *) "";
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            size += b->file_last - b->file_pos;

        } else {
            size += b->last - b->pos;
        }
    }

    if (size == 0) {
        return (u_char *) "";
    }

    if (size > (off_t) limit) {
        *len = (size_t) size;
        return (u_char *) "";
    }

    buf = ngx_pnalloc(r->pool, (size_t) size);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                              b->file_pos);

            if (n == NGX_ERROR) {
                return NULL;
            }

            if (n != b->file_last - b->file_pos) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                              "hrx: read only %z of %O bytes of the body "
                              "from \"%V\"", n, b->file_last - b->file_pos,
                              &b->file->name);
                return NULL;
            }

            p += n;

        } else {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    *len = (size_t) size;

    return buf;
}
