/*
 * Authentication, CSRF and permissions.
 *
 * Two credentials, never both: "Authorization: Bearer hrx_<43 base64url>"
 * (API tokens, for programs) or the hrx_session cookie (browsers).  When
 * an Authorization header is present it alone decides, so a broken token
 * is never rescued by a cookie that happens to be sent along.  Either is
 * looked up by the lowercase hex SHA-256 of its text (the database never
 * holds a usable secret), joined to an active user, unexpired.
 *
 * A cookie is sent by the browser on its own, so a mutating request
 * (POST, PUT, PATCH, DELETE) authenticated by cookie must also carry
 * X-CSRF-Token = base64url(HMAC-SHA256(csrf key, cookie token)), which a
 * page of another origin cannot read or compute; it is compared in
 * constant time.  A bearer token is never sent implicitly and needs none.
 *
 * Failures say little: 401 unauthenticated for any credential that is
 * missing, malformed, unknown, expired or of a disabled user.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_shm.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_db.h"


typedef struct {
    ngx_str_t   name;
    ngx_uint_t  bit;
} ngx_http_hrx_perm_t;


static ngx_http_hrx_perm_t  ngx_http_hrx_perms[] = {
    { ngx_string("candidates.operate_other"),
      NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER },
    { ngx_string("bulk_actions.manage"),
      NGX_HTTP_HRX_PERM_BULK_ACTIONS_MANAGE },
    { ngx_string("messages.view_reply"),
      NGX_HTTP_HRX_PERM_MESSAGES_VIEW_REPLY },
    { ngx_string("integrations.admin"), NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN },
    { ngx_string("templates.manage"), NGX_HTTP_HRX_PERM_TEMPLATES_MANAGE },
    { ngx_string("campaigns.manage"), NGX_HTTP_HRX_PERM_CAMPAIGNS_MANAGE },
    { ngx_string("users.admin"), NGX_HTTP_HRX_PERM_USERS_ADMIN },
    { ngx_null_string, 0 }
};


static ngx_int_t ngx_http_hrx_b64url_token(u_char *p, size_t len);
static ngx_int_t ngx_http_hrx_csrf_check(ngx_http_request_t *r,
    ngx_http_hrx_auth_t *auth, ngx_http_hrx_err_t *err);


static void
ngx_http_hrx_unauthenticated(ngx_http_hrx_err_t *err)
{
    ngx_http_hrx_err_set(err, NGX_HTTP_UNAUTHORIZED, "unauthenticated", NULL,
                         "sign in, or send an API token "
                         "(Authorization: Bearer hrx_...)");
}


ngx_int_t
ngx_http_hrx_authenticate(ngx_http_request_t *r, ngx_http_hrx_auth_t *auth,
    ngx_http_hrx_err_t *err)
{
    char              hash[NGX_HTTP_HRX_HASH_LEN + 1];
    u_char           *p, *last;
    int64_t           now;
    ngx_int_t         rc;
    ngx_str_t         value;
    ngx_table_elt_t  *h;

    static ngx_str_t  cookie_name = ngx_string(NGX_HTTP_HRX_SESSION_COOKIE);

    ngx_memzero(auth, sizeof(ngx_http_hrx_auth_t));

    now = (int64_t) hrx_wall_ms();

    h = r->headers_in.authorization;

    if (h) {
        p = h->value.data;
        last = p + h->value.len;

        if (h->value.len < sizeof("Bearer ") - 1
            || ngx_strncasecmp(p, (u_char *) "Bearer ",
                               sizeof("Bearer ") - 1)
               != 0)
        {
            ngx_http_hrx_unauthenticated(err);
            return NGX_DECLINED;
        }

        p += sizeof("Bearer ") - 1;

        while (p < last && *p == ' ') {
            p++;
        }

        while (last > p && last[-1] == ' ') {
            last--;
        }

        if ((size_t) (last - p) != 4 + NGX_HTTP_HRX_TOKEN_LEN
            || ngx_strncmp(p, "hrx_", 4) != 0
            || ngx_http_hrx_b64url_token(p + 4, NGX_HTTP_HRX_TOKEN_LEN)
               != NGX_OK)
        {
            ngx_http_hrx_unauthenticated(err);
            return NGX_DECLINED;
        }

        ngx_http_hrx_hash_hex(p, last - p, hash);

        rc = ngx_http_hrx_db_api_token(r, hash, now, auth);

        if (rc == NGX_DECLINED) {
            ngx_http_hrx_unauthenticated(err);
            return NGX_DECLINED;
        }

        if (rc == NGX_BUSY) {
            ngx_http_hrx_err_set(err, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "database_unavailable", NULL,
                                 "the database does not exist yet");
            return NGX_DECLINED;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        auth->via_token = 1;

        if (auth->platform_admin) {
            auth->perms = NGX_HTTP_HRX_PERM_ALL;
        }

        return NGX_OK;
    }

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies,
                                          &cookie_name, &value)
        == NGX_DECLINED
        || value.len != NGX_HTTP_HRX_TOKEN_LEN
        || ngx_http_hrx_b64url_token(value.data, value.len) != NGX_OK)
    {
        ngx_http_hrx_unauthenticated(err);
        return NGX_DECLINED;
    }

    ngx_http_hrx_hash_hex(value.data, value.len, hash);

    rc = ngx_http_hrx_db_session(r, hash, now, auth);

    if (rc == NGX_DECLINED) {
        ngx_http_hrx_unauthenticated(err);
        return NGX_DECLINED;
    }

    if (rc == NGX_BUSY) {
        ngx_http_hrx_err_set(err, NGX_HTTP_SERVICE_UNAVAILABLE,
                             "database_unavailable", NULL,
                             "the database does not exist yet");
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    auth->via_cookie = 1;
    auth->cookie = value;

    if (auth->platform_admin) {
        auth->perms = NGX_HTTP_HRX_PERM_ALL;
    }

    if (r->method & (NGX_HTTP_POST|NGX_HTTP_PUT|NGX_HTTP_PATCH
                     |NGX_HTTP_DELETE))
    {
        return ngx_http_hrx_csrf_check(r, auth, err);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_hrx_csrf_check(ngx_http_request_t *r, ngx_http_hrx_auth_t *auth,
    ngx_http_hrx_err_t *err)
{
    char              want[NGX_HTTP_HRX_CSRF_LEN + 1];
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    h = ngx_http_hrx_request_header(r, "x-csrf-token",
                                    sizeof("x-csrf-token") - 1);

    rc = ngx_http_hrx_csrf_token(r, &auth->cookie, want);

    if (rc != NGX_OK) {
        ngx_http_hrx_err_set(err, NGX_HTTP_SERVICE_UNAVAILABLE,
                             "csrf_unavailable", NULL,
                             "the CSRF key is not available (master.key)");
        return NGX_DECLINED;
    }

    if (h == NULL
        || h->value.len != NGX_HTTP_HRX_CSRF_LEN
        || !hrx_ct_equal(h->value.data, want, NGX_HTTP_HRX_CSRF_LEN))
    {
        ngx_explicit_memzero(want, sizeof(want));
        ngx_http_hrx_err_set(err, NGX_HTTP_FORBIDDEN, "csrf_failed", NULL,
                             "a request signed in by cookie must send the "
                             "session's X-CSRF-Token header");
        return NGX_DECLINED;
    }

    ngx_explicit_memzero(want, sizeof(want));

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_csrf_token(ngx_http_request_t *r, ngx_str_t *cookie, char *out)
{
    uint8_t                   *key, mac[HRX_SHA256_SIZE];
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    key = ngx_http_hrx_csrf_key(r->connection->log, hmcf);
    if (key == NULL) {
        return NGX_ERROR;
    }

    hrx_hmac_sha256(key, HRX_KEY_SIZE, cookie->data, cookie->len, mac);
    (void) hrx_b64url_encode(mac, sizeof(mac), out);
    ngx_explicit_memzero(mac, sizeof(mac));

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_require(ngx_http_hrx_auth_t *auth, ngx_uint_t perms,
    ngx_http_hrx_err_t *err)
{
    ngx_http_hrx_perm_t  *p;

    if ((auth->perms & perms) == perms) {
        return NGX_OK;
    }

    for (p = ngx_http_hrx_perms; p->name.len; p++) {
        if ((perms & p->bit) && !(auth->perms & p->bit)) {
            break;
        }
    }

    ngx_http_hrx_err_set(err, NGX_HTTP_FORBIDDEN, "forbidden", NULL,
                         "this needs the %V permission",
                         p->name.len ? &p->name : &ngx_http_hrx_perms[0].name);

    return NGX_DECLINED;
}


ngx_uint_t
ngx_http_hrx_perm_bits(const char *json, size_t len)
{
    size_t                i;
    json_t               *a, *v;
    ngx_uint_t            bits;
    ngx_http_hrx_perm_t  *p;

    a = json_loadb(json, len, 0, NULL);

    if (a == NULL || !json_is_array(a)) {
        json_decref(a);
        return 0;
    }

    bits = 0;

    json_array_foreach(a, i, v) {
        if (!json_is_string(v)) {
            continue;
        }

        for (p = ngx_http_hrx_perms; p->name.len; p++) {
            if (json_string_length(v) == p->name.len
                && ngx_strncmp(json_string_value(v), p->name.data,
                               p->name.len)
                   == 0)
            {
                bits |= p->bit;
            }
        }
    }

    json_decref(a);

    return bits;
}


void
ngx_http_hrx_hash_hex(const u_char *data, size_t len, char *out)
{
    uint8_t  md[HRX_SHA256_SIZE];

    hrx_sha256(data, len, md);
    *ngx_hex_dump((u_char *) out, md, sizeof(md)) = '\0';
}


static ngx_int_t
ngx_http_hrx_b64url_token(u_char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')
            || (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_')
        {
            continue;
        }

        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_table_elt_t *
ngx_http_hrx_request_header(ngx_http_request_t *r, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}

