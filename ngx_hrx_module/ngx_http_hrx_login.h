/*
 * Login, logout, the current session, and password hashing on the
 * thread pool.
 */
#ifndef NGX_HTTP_HRX_LOGIN_H
#define NGX_HTTP_HRX_LOGIN_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_validate.h"


extern const ngx_http_hrx_field_t  ngx_http_hrx_login_schema[];
extern const ngx_http_hrx_field_t  ngx_http_hrx_no_input_schema[];

ngx_int_t ngx_http_hrx_api_login(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_logout(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
ngx_int_t ngx_http_hrx_api_session(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);

/*
 * scrypt on the thread pool: with stored, verify the password against it
 * (ctx->pw_result 1 match, 0 no, -1 malformed); without, hash it
 * (ctx->pw_hash, ctx->pw_result 0 or -1).  resume runs on the event loop
 * when done and returns like a route handler.  Returns NGX_DONE, or a
 * status for ngx_http_finalize_request().
 */
ngx_int_t ngx_http_hrx_password_task(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, const char *password, size_t len,
    char *stored, ngx_http_hrx_resume_pt resume);

/* prefix + base64url(32 random bytes), in the request pool */
ngx_int_t ngx_http_hrx_new_secret(ngx_http_request_t *r, const char *prefix,
    ngx_str_t *out);

/* counters that exist only when the shm file is mapped */
void ngx_http_hrx_count(ngx_http_request_t *r, hrx_counter_e c);


#endif /* NGX_HTTP_HRX_LOGIN_H */
