/*
 * Authentication (session cookie or API token), CSRF and permissions.
 */
#ifndef NGX_HTTP_HRX_AUTH_H
#define NGX_HTTP_HRX_AUTH_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_reply.h"


/* docs/commands.md "Permissions", one bit each */
#define NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER  0x01
#define NGX_HTTP_HRX_PERM_BULK_ACTIONS_MANAGE       0x02
#define NGX_HTTP_HRX_PERM_MESSAGES_VIEW_REPLY       0x04
#define NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN        0x08
#define NGX_HTTP_HRX_PERM_TEMPLATES_MANAGE          0x10
#define NGX_HTTP_HRX_PERM_CAMPAIGNS_MANAGE          0x20
#define NGX_HTTP_HRX_PERM_USERS_ADMIN               0x40
#define NGX_HTTP_HRX_PERM_ALL                       0x7f

/* a base64url CSRF token: 32 bytes -> 43 characters */
#define NGX_HTTP_HRX_CSRF_LEN   hrx_b64url_len(HRX_SHA256_SIZE)
/* a cookie token: 32 random bytes, base64url */
#define NGX_HTTP_HRX_TOKEN_LEN  hrx_b64url_len(32)
/* hex SHA-256 */
#define NGX_HTTP_HRX_HASH_LEN   (2 * HRX_SHA256_SIZE)


/*
 * Who is asking, from the Authorization header (Bearer hrx_...) or the
 * hrx_session cookie; for a mutating method authenticated by cookie also
 * the CSRF token.  NGX_OK (auth filled), NGX_DECLINED (err: 401
 * unauthenticated, 403 csrf_failed), NGX_ERROR.
 */
ngx_int_t ngx_http_hrx_authenticate(ngx_http_request_t *r,
    ngx_http_hrx_auth_t *auth, ngx_http_hrx_err_t *err);

/* NGX_OK when auth holds every bit of perms, else NGX_DECLINED (403) */
ngx_int_t ngx_http_hrx_require(ngx_http_hrx_auth_t *auth, ngx_uint_t perms,
    ngx_http_hrx_err_t *err);

/* a role's permissions (JSON array text) as bits; unknown names ignored */
ngx_uint_t ngx_http_hrx_perm_bits(const char *json, size_t len);

/* a request header by name (any case), or NULL */
ngx_table_elt_t *ngx_http_hrx_request_header(ngx_http_request_t *r,
    const char *name, size_t len);

/* lowercase hex SHA-256 of data: out gets NGX_HTTP_HRX_HASH_LEN + NUL */
void ngx_http_hrx_hash_hex(const u_char *data, size_t len, char *out);

/* the CSRF token of a session: out gets NGX_HTTP_HRX_CSRF_LEN + NUL */
ngx_int_t ngx_http_hrx_csrf_token(ngx_http_request_t *r, ngx_str_t *cookie,
    char *out);


#endif /* NGX_HTTP_HRX_AUTH_H */
