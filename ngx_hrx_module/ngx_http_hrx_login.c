/*
 * Login, logout and the current session.
 *
 * POST /api/v1/auth/login checks the password on the worker (scrypt, on
 * the nginx thread pool: ~50 ms of CPU must never stall the event loop),
 * then asks the scheduler for a session (session.create).  The cookie
 * token is made here and only its SHA-256 leaves the worker; the client
 * gets the token in an HttpOnly, SameSite=Strict cookie and the matching
 * CSRF token in the body.
 *
 * An unknown email, an account without a password, a wrong password and
 * a disabled user all get the same 401 invalid_credentials, after the
 * same amount of work: an unknown email is verified against a fixed
 * dummy hash with the same parameters, so timing does not tell which
 * emails exist.  The one exception is deliberate: an email that exists in
 * several tenants without a "tenant" in the request is answered 400
 * tenant_required, since the client has to choose.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_codec.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_login.h"
#include "ngx_http_hrx_task.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reply.h"


#define NGX_HTTP_HRX_UA_MAX  512

/* scrypt of a random password nobody knows, same N/r/p as real hashes */
static char  ngx_http_hrx_dummy_hash[] =
    "scrypt$15$8$1$iFdEHR4gyAxE_an4Wbc9og$"
    "CTw644vKQZLjVL0_hVetKcUypkVfzsrshhvCaB2y6IE";


const ngx_http_hrx_field_t  ngx_http_hrx_login_schema[] = {
    { "tenant", NGX_HTTP_HRX_STRING, 0, 1, 63, NULL, NULL },
    { "email", NGX_HTTP_HRX_STRING, 1, 1, 254, NULL, NULL },
    { "password", NGX_HTTP_HRX_STRING, 1, 1, 1024, NULL, NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};

const ngx_http_hrx_field_t  ngx_http_hrx_no_input_schema[] = {
    { NULL, 0, 0, 0, 0, NULL, NULL }
};


static ngx_int_t ngx_http_hrx_login_verified(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_login_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);
static ngx_int_t ngx_http_hrx_logout_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);
static ngx_int_t ngx_http_hrx_invalid_credentials(ngx_http_request_t *r);
static ngx_int_t ngx_http_hrx_set_cookie(ngx_http_request_t *r,
    ngx_str_t *token, time_t max_age);
static void ngx_http_hrx_pw_work(void *data, ngx_log_t *log);
static void ngx_http_hrx_pw_done(void *data);


ngx_int_t
ngx_http_hrx_api_login(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    char                       *stored;
    json_t                     *pw;
    ngx_int_t                   rc;
    ngx_uint_t                  n;
    const char                 *email, *slug;
    ngx_http_hrx_login_user_t   users[NGX_HTTP_HRX_LOGIN_MAX];

    email = ngx_http_hrx_json_str(ctx->body, "email");
    slug = ngx_http_hrx_json_str(ctx->body, "tenant");
    pw = json_object_get(ctx->body, "password");

    rc = ngx_http_hrx_db_login_users(r, email, slug, users, &n);

    if (rc == NGX_BUSY) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "database_unavailable", NULL,
                                       "the database does not exist yet");
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (n > 1 && slug == NULL) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "tenant_required", "tenant",
                                       "this email is used in several "
                                       "tenants: send the tenant's slug "
                                       "in \"tenant\"");
    }

    stored = ngx_http_hrx_dummy_hash;
    ctx->user_ok = 0;

    if (n == 1 && users[0].password_hash) {
        stored = users[0].password_hash;
        ctx->user_ok = users[0].active;
        ctx->user_id = users[0].id;
        ctx->tenant_id = users[0].tenant_id;
    }

    return ngx_http_hrx_password_task(r, ctx, json_string_value(pw),
                                      json_string_length(pw), stored,
                                      ngx_http_hrx_login_verified);
}


static ngx_int_t
ngx_http_hrx_login_verified(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    char                       hash[NGX_HTTP_HRX_HASH_LEN + 1];
    size_t                     len;
    json_t                    *args, *ua;
    ngx_int_t                  rc;
    ngx_str_t                 *agent;
    ngx_http_hrx_main_conf_t  *hmcf;

    if (ctx->pw_result != 1 || !ctx->user_ok) {
        return ngx_http_hrx_invalid_credentials(r);
    }

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    if (ngx_http_hrx_new_secret(r, "", &ctx->secret) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_hrx_hash_hex(ctx->secret.data, ctx->secret.len, hash);

    ctx->expires_at = (int64_t) hrx_wall_ms() + (int64_t) hmcf->session_ttl;

    args = json_pack("{s:I, s:s, s:I, s:s#}",
                     "user_id", (json_int_t) ctx->user_id,
                     "token_hash", hash,
                     "expires_at", (json_int_t) ctx->expires_at,
                     "ip", r->connection->addr_text.data,
                     (int) ngx_min(r->connection->addr_text.len, 64));
    if (args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->headers_in.user_agent) {
        agent = &r->headers_in.user_agent->value;
        len = ngx_min(agent->len, NGX_HTTP_HRX_UA_MAX);

        /* never cut a UTF-8 sequence; invalid UTF-8 is left out */
        while (len && len < agent->len && (agent->data[len] & 0xc0) == 0x80) {
            len--;
        }

        ua = json_stringn((const char *) agent->data, len);

        if (ua) {
            json_object_set_new(args, "user_agent", ua);
        }
    }

    rc = ngx_http_hrx_command(r, ctx, "session.create", ctx->tenant_id,
                              ctx->user_id, args, ngx_http_hrx_login_done);

    json_decref(args);

    return rc;
}


static ngx_int_t
ngx_http_hrx_login_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    char                       csrf[NGX_HTTP_HRX_CSRF_LEN + 1];
    json_t                    *reply, *user, *tenant, *out;
    ngx_int_t                  rc;
    ngx_http_hrx_main_conf_t  *hmcf;

    if (status == NGX_HTTP_FORBIDDEN) {
        /* user_disabled: disabled after the password was checked */
        return ngx_http_hrx_invalid_credentials(r);
    }

    if (status != NGX_HTTP_CREATED) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    reply = json_loadb((const char *) body, len, 0, NULL);
    user = json_object_get(reply, "user");

    if (user == NULL
        || ngx_http_hrx_csrf_token(r, &ctx->secret, csrf) != NGX_OK)
    {
        json_decref(reply);
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the session was made but cannot be "
                                       "returned");
    }

    tenant = NULL;
    rc = ngx_http_hrx_db_tenant(r, ctx->tenant_id, &tenant);
    if (rc != NGX_OK) {
        tenant = json_null();
    }

    out = json_pack("{s:O, s:o, s:s, s:o}",
                    "user", user,
                    "tenant", tenant,
                    "csrf_token", csrf,
                    "expires_at", hrx_json_time(ctx->expires_at));

    json_decref(reply);
    ngx_explicit_memzero(csrf, sizeof(csrf));

    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_hrx_set_cookie(r, &ctx->secret,
                                (time_t) (hmcf->session_ttl / 1000))
        != NGX_OK)
    {
        json_decref(out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_hrx_count(r, HRX_CTR_LOGINS_OK);

    return ngx_http_hrx_send_json(r, NGX_HTTP_OK, out);
}


static ngx_int_t
ngx_http_hrx_invalid_credentials(ngx_http_request_t *r)
{
    ngx_http_hrx_count(r, HRX_CTR_LOGINS_FAILED);

    return ngx_http_hrx_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                   "invalid_credentials", NULL,
                                   "wrong email or password");
}


ngx_int_t
ngx_http_hrx_api_logout(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    char        hash[NGX_HTTP_HRX_HASH_LEN + 1];
    json_t     *args;
    ngx_int_t   rc;

    if (!ctx->auth.via_cookie) {
        /* an API token has no session to end */
        return ngx_http_hrx_logout_done(r, ctx, NGX_HTTP_NO_CONTENT, NULL, 0);
    }

    ngx_http_hrx_hash_hex(ctx->auth.cookie.data, ctx->auth.cookie.len, hash);

    args = json_pack("{s:s}", "token_hash", hash);
    if (args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_hrx_command(r, ctx, "session.delete", ctx->auth.tenant_id,
                              ctx->auth.user_id, args,
                              ngx_http_hrx_logout_done);

    json_decref(args);

    return rc;
}


static ngx_int_t
ngx_http_hrx_logout_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    if (status != NGX_HTTP_NO_CONTENT) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    if (ngx_http_hrx_set_cookie(r, NULL, 0) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_send(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


ngx_int_t
ngx_http_hrx_api_session(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    char        csrf[NGX_HTTP_HRX_CSRF_LEN + 1];
    json_t     *user, *tenant, *out, *token;
    ngx_int_t   rc;

    rc = ngx_http_hrx_db_user(r, ctx->auth.tenant_id, ctx->auth.user_id,
                              &user);
    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_hrx_db_tenant(r, ctx->auth.tenant_id, &tenant);
    if (rc != NGX_OK) {
        json_decref(user);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    token = json_null();

    if (ctx->auth.via_cookie) {
        if (ngx_http_hrx_csrf_token(r, &ctx->auth.cookie, csrf) != NGX_OK) {
            json_decref(user);
            json_decref(tenant);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        token = json_string(csrf);
        ngx_explicit_memzero(csrf, sizeof(csrf));
    }

    out = json_pack("{s:o, s:o, s:o, s:o}",
                    "user", user,
                    "tenant", tenant,
                    "csrf_token", token,
                    "expires_at", hrx_json_time(ctx->auth.expires_at));

    return ngx_http_hrx_send_json(r, NGX_HTTP_OK, out);
}


/*
 * token NULL: the clearing cookie.  Secure: "on", or "auto" and the
 * client reached us over TLS (directly, or through a proxy that says so
 * in X-Forwarded-Proto).
 */
static ngx_int_t
ngx_http_hrx_set_cookie(ngx_http_request_t *r, ngx_str_t *token,
    time_t max_age)
{
    u_char                   *p, *v;
    size_t                    len;
    ngx_uint_t                secure;
    ngx_table_elt_t          *h;
    ngx_http_hrx_loc_conf_t  *hlcf;

    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    switch (hlcf->cookie_secure) {

    case NGX_HTTP_HRX_COOKIE_ON:
        secure = 1;
        break;

    case NGX_HTTP_HRX_COOKIE_OFF:
        secure = 0;
        break;

    default: /* NGX_HTTP_HRX_COOKIE_AUTO */
        secure = 0;

#if (NGX_HTTP_SSL)
        if (r->connection->ssl) {
            secure = 1;
        }
#endif

        h = ngx_http_hrx_request_header(r, "x-forwarded-proto",
                                        sizeof("x-forwarded-proto") - 1);

        if (h && h->value.len == 5
            && ngx_strncasecmp(h->value.data, (u_char *) "https", 5) == 0)
        {
            secure = 1;
        }
    }

    len = sizeof(NGX_HTTP_HRX_SESSION_COOKIE "=") - 1
          + (token ? token->len : 0)
          + sizeof("; Path=/; HttpOnly; SameSite=Strict; Max-Age=") - 1
          + NGX_TIME_T_LEN + sizeof("; Secure") - 1;

    v = ngx_pnalloc(r->pool, len);
    if (v == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(v, NGX_HTTP_HRX_SESSION_COOKIE "=%V; Path=/; HttpOnly; "
                    "SameSite=Strict; Max-Age=%T",
                    token ? token : &(ngx_str_t) ngx_null_string, max_age);

    if (secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    return ngx_http_hrx_add_header(r, "Set-Cookie", v, p - v);
}


ngx_int_t
ngx_http_hrx_new_secret(ngx_http_request_t *r, const char *prefix,
    ngx_str_t *out)
{
    size_t   n;
    u_char  *p;
    uint8_t  raw[32];

    n = ngx_strlen(prefix);

    p = ngx_pnalloc(r->pool, n + hrx_b64url_len(sizeof(raw)) + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (hrx_random_bytes(raw, sizeof(raw)) != 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "hrx: no random bytes");
        return NGX_ERROR;
    }

    ngx_memcpy(p, prefix, n);
    (void) hrx_b64url_encode(raw, sizeof(raw), (char *) p + n);
    ngx_explicit_memzero(raw, sizeof(raw));

    out->data = p;
    out->len = n + hrx_b64url_len(sizeof(raw));

    return NGX_OK;
}


void
ngx_http_hrx_count(ngx_http_request_t *r, hrx_counter_e c)
{
    hrx_shm_t                 *shm;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    shm = ngx_http_hrx_shm(r->connection->log, hmcf);

    if (shm) {
        hrx_counter_add(shm, c, 1);
    }
}


/*
 * The password work, on the thread pool (ngx_http_hrx_task.c).  It touches
 * nothing but the request's ctx fields made for it: the password copy,
 * the stored hash, the result.  The copy is wiped as soon as the work is
 * done, whether or not the client is still there.
 */

ngx_int_t
ngx_http_hrx_password_task(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    const char *password, size_t len, char *stored,
    ngx_http_hrx_resume_pt resume)
{
    ctx->password.data = ngx_pnalloc(r->pool, len ? len : 1);
    if (ctx->password.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->password.data, password, len);
    ctx->password.len = len;
    ctx->pw_stored = stored;
    ctx->pw_result = -1;

    return ngx_http_hrx_task_run(r, ctx, ngx_http_hrx_pw_work,
                                 ngx_http_hrx_pw_done, ctx, resume,
                                 "too many passwords are being checked; "
                                 "try again");
}


static void
ngx_http_hrx_pw_work(void *data, ngx_log_t *log)
{
    ngx_http_hrx_ctx_t *ctx = data;

    if (ctx->pw_stored) {
        ctx->pw_result = hrx_password_verify((const char *) ctx->password.data,
                                             ctx->password.len,
                                             ctx->pw_stored);

    } else {
        ctx->pw_result = hrx_password_hash((const char *) ctx->password.data,
                                           ctx->password.len, ctx->pw_hash);
    }
}


static void
ngx_http_hrx_pw_done(void *data)
{
    ngx_http_hrx_ctx_t *ctx = data;

    ngx_explicit_memzero(ctx->password.data, ctx->password.len);
}
