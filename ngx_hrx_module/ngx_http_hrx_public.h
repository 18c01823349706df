/*
 * hrx_public: the candidate-facing pages that need no session (SPEC
 * UI-3), and the small HTML pages they answer with.
 */
#ifndef NGX_HTTP_HRX_PUBLIC_H
#define NGX_HTTP_HRX_PUBLIC_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


#define NGX_HTTP_HRX_LANG_JA   0
#define NGX_HTTP_HRX_LANG_EN   1
#define NGX_HTTP_HRX_LANGS     2


/* the content handler of hrx_public */
ngx_int_t ngx_http_hrx_public_handler(ngx_http_request_t *r);

/* ja or en, from Accept-Language (ja when the header is absent) */
ngx_uint_t ngx_http_hrx_page_lang(ngx_http_request_t *r);

/*
 * What a page says, in each language: title and text are hrx's own
 * (static, trusted, UTF-8); ok picks the look (done or error).
 */
typedef struct {
    ngx_uint_t    status;
    ngx_uint_t    ok;
    const char   *title[NGX_HTTP_HRX_LANGS];
    const char   *text[NGX_HTTP_HRX_LANGS];
} ngx_http_hrx_page_t;

/*
 * Sends page in lang, with "who" (the company the page speaks for: data,
 * escaped; may be NULL or empty) and an optional button (label static,
 * href data: escaped; NULL for none).  Headers: text/html; charset=utf-8,
 * Content-Security-Policy "default-src 'none'; style-src 'unsafe-inline'",
 * nosniff, no framing, no referrer, no-store.  Returns what
 * ngx_http_finalize_request() gets.
 */
ngx_int_t ngx_http_hrx_page_send(ngx_http_request_t *r,
    const ngx_http_hrx_page_t *page, ngx_uint_t lang, ngx_str_t *who,
    const char *button, ngx_str_t *href);

/* 302 to location (taken as is: the caller escaped it), no referrer */
ngx_int_t ngx_http_hrx_page_redirect(ngx_http_request_t *r,
    ngx_str_t *location);

/* s as HTML text: & < > " ' as entities, control characters dropped */
u_char *ngx_http_hrx_html_escape(ngx_pool_t *pool, ngx_str_t *s,
    size_t *len);


#endif /* NGX_HTTP_HRX_PUBLIC_H */
