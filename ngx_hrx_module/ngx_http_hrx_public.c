/*
 * hrx_public: pages a candidate opens from a mail, with no session.
 *
 * The location answers GET (and HEAD) only; a body, if any, is
 * discarded.  The path decides the page:
 *
 *     /line/friend/<token>    LINE friend registration: the landing
 *     /line/callback          and LINE Login's return
 *                             (ngx_http_hrx_line_login.c)
 *
 * anything else is a "not found" page.  The pages are small UTF-8 HTML
 * written here: no script, no external resource (the CSP says so), one
 * column that fits a phone, Japanese or English by Accept-Language.
 * Everything that came from outside -- a company name an admin typed, an
 * id LINE sent -- is escaped as text, never taken as markup (UI-4).
 *
 * A page handler may finish at once or take the request over (a thread
 * task, a command parked on its reply); either way it returns what
 * ngx_http_finalize_request() gets, NGX_DONE meaning "finalized later".
 * The request is held (r->main->count) for the time it runs, as nginx's
 * own body reading does, so both cases end the same way.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_public.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_line_login.h"


static ngx_int_t ngx_http_hrx_public_route(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_uint_t ngx_http_hrx_lang_q(u_char *p, u_char *last);


static ngx_str_t  ngx_http_hrx_html_type =
    ngx_string("text/html; charset=utf-8");

static const char  ngx_http_hrx_csp[] =
    "default-src 'none'; style-src 'unsafe-inline'";


static const ngx_http_hrx_page_t  ngx_http_hrx_page_not_found = {
    NGX_HTTP_NOT_FOUND, 0,
    { "ページが見つかりません", "Page not found" },
    { "URLをご確認ください。メールのリンクから開き直してください。",
      "Check the address, or open the link in the email again." }
};

static const ngx_http_hrx_page_t  ngx_http_hrx_page_not_allowed = {
    NGX_HTTP_NOT_ALLOWED, 0,
    { "このページは開けません", "This page cannot be opened this way" },
    { "メールのリンクからブラウザで開いてください。",
      "Open the link in the email with a browser." }
};


/*
 * The page look: one card, readable on a 320 px screen, LINE's green for
 * the done page and the add-friend button.
 */
static const char  ngx_http_hrx_page_head[] =
    "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
    "<title>%s</title>\n"
    "<style>\n"
    "html{-webkit-text-size-adjust:100%%}\n"
    "body{margin:0;padding:1rem;background:#f2f4f7;color:#1d2939;"
    "font:16px/1.6 system-ui,-apple-system,\"Hiragino Sans\","
    "\"Noto Sans JP\",\"Segoe UI\",sans-serif}\n"
    "main{max-width:30rem;margin:2rem auto;padding:1.5rem;"
    "background:#fff;border-radius:12px;"
    "box-shadow:0 1px 3px rgba(16,24,40,.1)}\n"
    "h1{font-size:1.25rem;line-height:1.4;margin:0 0 1rem}\n"
    ".ok h1{color:#067647}.err h1{color:#b42318}\n"
    "p{margin:0 0 1rem;overflow-wrap:anywhere}\n"
    ".who{color:#667085;font-size:.875rem;margin:1.5rem 0 0}\n"
    "a.btn{display:block;margin:1.5rem 0 0;padding:.875rem 1rem;"
    "border-radius:8px;background:#06c755;color:#fff;font-weight:600;"
    "text-align:center;text-decoration:none}\n"
    "</style>\n</head>\n<body>\n<main class=\"%s\">\n"
    "<h1>%s</h1>\n<p>%s</p>\n";

static const char  ngx_http_hrx_page_button[] =
    "<a class=\"btn\" href=\"";

static const char  ngx_http_hrx_page_who[] =
    "<p class=\"who\">";

static const char  ngx_http_hrx_page_tail[] =
    "</main>\n</body>\n</html>\n";


ngx_int_t
ngx_http_hrx_public_handler(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_hrx_ctx_t  *ctx;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_http_hrx_add_header(r, "Allow", (u_char *) "GET, HEAD",
                                    sizeof("GET, HEAD") - 1)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_hrx_page_send(r, &ngx_http_hrx_page_not_allowed,
                                      ngx_http_hrx_page_lang(r), NULL, NULL,
                                      NULL);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ngx_http_set_ctx(r, ctx, ngx_http_hrx_module);

    /* held until the page is sent, whenever that is (see above) */
    r->main->count++;

    rc = ngx_http_hrx_public_route(r, ctx);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_http_hrx_public_route(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_str_t  token;

    static const ngx_str_t  friend = ngx_string("/line/friend/");
    static const ngx_str_t  callback = ngx_string("/line/callback");

    if (r->uri.len > friend.len
        && ngx_strncmp(r->uri.data, friend.data, friend.len) == 0)
    {
        token.data = r->uri.data + friend.len;
        token.len = r->uri.len - friend.len;

        return ngx_http_hrx_line_friend(r, ctx, &token);
    }

    if (r->uri.len == callback.len
        && ngx_strncmp(r->uri.data, callback.data, callback.len) == 0)
    {
        return ngx_http_hrx_line_callback(r, ctx);
    }

    return ngx_http_hrx_page_send(r, &ngx_http_hrx_page_not_found,
                                  ngx_http_hrx_page_lang(r), NULL, NULL,
                                  NULL);
}


/*
 * Accept-Language: the language among ja and en with the higher q ("ja"
 * and "ja-JP" count as ja; on a tie, ja).  No header: ja, the language
 * of most candidates; a header naming neither: en.
 */
ngx_uint_t
ngx_http_hrx_page_lang(ngx_http_request_t *r)
{
    u_char           *p, *last, *item;
    ngx_uint_t        i, q, ja, en, seen;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    ja = 0;
    en = 0;
    seen = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != sizeof("Accept-Language") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Accept-Language",
                               sizeof("Accept-Language") - 1)
               != 0)
        {
            continue;
        }

        seen = 1;
        p = h[i].value.data;
        last = p + h[i].value.len;

        while (p < last) {

            while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
                p++;
            }

            item = p;

            while (p < last && *p != ',') {
                p++;
            }

            if (p - item < 2) {
                continue;
            }

            q = ngx_http_hrx_lang_q(item, p);

            if ((p - item == 2 || item[2] == '-' || item[2] == ';'
                 || item[2] == ' ')
                && ngx_strncasecmp(item, (u_char *) "ja", 2) == 0)
            {
                ja = ngx_max(ja, q);

            } else if ((p - item == 2 || item[2] == '-' || item[2] == ';'
                        || item[2] == ' ')
                       && ngx_strncasecmp(item, (u_char *) "en", 2) == 0)
            {
                en = ngx_max(en, q);
            }
        }
    }

    if (!seen || (ja == 0 && en == 0)) {
        return seen ? NGX_HTTP_HRX_LANG_EN : NGX_HTTP_HRX_LANG_JA;
    }

    return ja >= en ? NGX_HTTP_HRX_LANG_JA : NGX_HTTP_HRX_LANG_EN;
}


/* the q of one item ("ja-JP;q=0.8"), 0..1000; 1000 when absent */
static ngx_uint_t
ngx_http_hrx_lang_q(u_char *p, u_char *last)
{
    ngx_uint_t  q, scale;

    while (p < last && *p != ';') {
        p++;
    }

    while (p < last && (*p == ';' || *p == ' ')) {
        p++;
    }

    if (last - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') {
        return 1000;
    }

    p += 2;

    if (p < last && *p == '1') {
        return 1000;
    }

    if (p >= last || *p != '0') {
        return 0;
    }

    p++;

    if (p < last && *p == '.') {
        p++;
    }

    q = 0;

    for (scale = 100; scale > 0 && p < last && *p >= '0' && *p <= '9';
         scale /= 10)
    {
        q += (*p++ - '0') * scale;
    }

    return q;
}


u_char *
ngx_http_hrx_html_escape(ngx_pool_t *pool, ngx_str_t *s, size_t *len)
{
    u_char      *out, *o;
    size_t       n, i;

    n = 0;

    for (i = 0; i < s->len; i++) {
        switch (s->data[i]) {
        case '&':
            n += sizeof("&amp;") - 1;
            break;
        case '<':
        case '>':
            n += sizeof("&lt;") - 1;
            break;
        case '"':
        case '\'':
            n += sizeof("&#34;") - 1;
            break;
        default:
            n++;
        }
    }

    out = ngx_pnalloc(pool, n + 1);
    if (out == NULL) {
        return NULL;
    }

    o = out;

    for (i = 0; i < s->len; i++) {
        switch (s->data[i]) {
        case '&':
            o = ngx_cpymem(o, "&amp;", sizeof("&amp;") - 1);
            break;
        case '<':
            o = ngx_cpymem(o, "&lt;", sizeof("&lt;") - 1);
            break;
        case '>':
            o = ngx_cpymem(o, "&gt;", sizeof("&gt;") - 1);
            break;
        case '"':
            o = ngx_cpymem(o, "&#34;", sizeof("&#34;") - 1);
            break;
        case '\'':
            o = ngx_cpymem(o, "&#39;", sizeof("&#39;") - 1);
            break;
        default:
            if (s->data[i] < 0x20 || s->data[i] == 0x7f) {
                /* a control character: never shown */
                if (s->data[i] == '\t' || s->data[i] == '\n') {
                    *o++ = ' ';
                }
                break;
            }
            *o++ = s->data[i];
        }
    }

    *o = '\0';
    *len = o - out;

    return out;
}


static ngx_int_t
ngx_http_hrx_page_headers(ngx_http_request_t *r)
{
    if (ngx_http_hrx_add_header(r, "Content-Security-Policy",
                                (u_char *) ngx_http_hrx_csp,
                                sizeof(ngx_http_hrx_csp) - 1)
        != NGX_OK
        || ngx_http_hrx_add_header(r, "X-Content-Type-Options",
                                   (u_char *) "nosniff",
                                   sizeof("nosniff") - 1)
           != NGX_OK
        || ngx_http_hrx_add_header(r, "X-Frame-Options", (u_char *) "DENY",
                                   sizeof("DENY") - 1)
           != NGX_OK
        || ngx_http_hrx_add_header(r, "Referrer-Policy",
                                   (u_char *) "no-referrer",
                                   sizeof("no-referrer") - 1)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_page_send(ngx_http_request_t *r, const ngx_http_hrx_page_t *page,
    ngx_uint_t lang, ngx_str_t *who, const char *button, ngx_str_t *href)
{
    u_char      *body, *p, *w, *h;
    size_t       len, wlen, hlen;
    const char  *title, *text, *code;

    if (lang >= NGX_HTTP_HRX_LANGS) {
        lang = NGX_HTTP_HRX_LANG_JA;
    }

    title = page->title[lang];
    text = page->text[lang];
    code = (lang == NGX_HTTP_HRX_LANG_JA) ? "ja" : "en";

    w = NULL;
    wlen = 0;

    if (who && who->len) {
        w = ngx_http_hrx_html_escape(r->pool, who, &wlen);
        if (w == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    h = NULL;
    hlen = 0;

    if (button && href && href->len) {
        h = ngx_http_hrx_html_escape(r->pool, href, &hlen);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    len = sizeof(ngx_http_hrx_page_head) + ngx_strlen(title) * 2
          + ngx_strlen(text) + sizeof("err")
          + sizeof(ngx_http_hrx_page_who) + wlen + sizeof("</p>\n")
          + sizeof(ngx_http_hrx_page_button) + hlen + sizeof("\">")
          + (button ? ngx_strlen(button) : 0) + sizeof("</a>\n")
          + sizeof(ngx_http_hrx_page_tail);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_slprintf(body, body + len, ngx_http_hrx_page_head, code, title,
                     page->ok ? "ok" : "err", title, text);

    if (h) {
        p = ngx_cpymem(p, ngx_http_hrx_page_button,
                       sizeof(ngx_http_hrx_page_button) - 1);
        p = ngx_cpymem(p, h, hlen);
        p = ngx_cpymem(p, "\">", 2);
        p = ngx_cpymem(p, button, ngx_strlen(button));
        p = ngx_cpymem(p, "</a>\n", 5);
    }

    if (w) {
        p = ngx_cpymem(p, ngx_http_hrx_page_who,
                       sizeof(ngx_http_hrx_page_who) - 1);
        p = ngx_cpymem(p, w, wlen);
        p = ngx_cpymem(p, "</p>\n", 5);
    }

    p = ngx_cpymem(p, ngx_http_hrx_page_tail,
                   sizeof(ngx_http_hrx_page_tail) - 1);

    if (ngx_http_hrx_page_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_hrx_add_header(r, "Content-Language", (u_char *) code, 2)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_send_text(r, page->status, &ngx_http_hrx_html_type,
                                  body, p - body);
}


ngx_int_t
ngx_http_hrx_page_redirect(ngx_http_request_t *r, ngx_str_t *location)
{
    ngx_table_elt_t  *h;

    static u_char  body[] = "<!DOCTYPE html>\n<title>LINE</title>\n";

    if (ngx_http_hrx_page_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Location");
    h->value = *location;
    h->lowcase_key = NULL;

    r->headers_out.location = h;

    return ngx_http_hrx_send_text(r, NGX_HTTP_MOVED_TEMPORARILY,
                                  &ngx_http_hrx_html_type, body,
                                  sizeof(body) - 1);
}
