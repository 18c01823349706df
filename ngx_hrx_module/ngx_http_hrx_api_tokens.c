/*
 * API tokens: "hrx_" + base64url(32 random bytes), made here and shown
 * once, in the reply to POST /api/v1/tokens.  The scheduler stores only
 * the token's SHA-256 (what the readers look it up by) and its first 12
 * characters, for people to recognise it in a list.  A token acts as the
 * user who made it.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_tokens.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_login.h"
#include "ngx_http_hrx_reply.h"


#define NGX_HTTP_HRX_PREFIX_LEN  12


const ngx_http_hrx_field_t  ngx_http_hrx_token_create_schema[] = {
    { "name", NGX_HTTP_HRX_STRING, 1, 1, 100, NULL, NULL },
    { "expires_at", NGX_HTTP_HRX_STRING, 0, 1, 64,
      ngx_http_hrx_check_future, NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};


static ngx_int_t ngx_http_hrx_tokens_created(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);


ngx_int_t
ngx_http_hrx_api_tokens_list(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t              *page;
    int64_t              after;
    ngx_int_t            rc;
    ngx_uint_t           limit;
    ngx_http_hrx_err_t   err;

    if (ngx_http_hrx_page_args(r, &limit, &after, &err) != NGX_OK) {
        return ngx_http_hrx_send_err(r, &err);
    }

    page = NULL;
    rc = ngx_http_hrx_db_tokens(r, ctx->auth.tenant_id, ctx->auth.user_id,
                                after, limit, &page);

    return ngx_http_hrx_send_found(r, rc, page, "user");
}


ngx_int_t
ngx_http_hrx_api_tokens_create(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    char         hash[NGX_HTTP_HRX_HASH_LEN + 1];
    json_t      *args;
    int64_t      expires_at;
    ngx_int_t    rc;
    const char  *exp;

    if (ngx_http_hrx_new_secret(r, "hrx_", &ctx->secret) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_hrx_hash_hex(ctx->secret.data, ctx->secret.len, hash);

    args = json_pack("{s:O, s:s, s:s#}",
                     "name", json_object_get(ctx->body, "name"),
                     "token_hash", hash,
                     "prefix", ctx->secret.data, NGX_HTTP_HRX_PREFIX_LEN);
    if (args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    exp = ngx_http_hrx_json_str(ctx->body, "expires_at");

    if (exp) {
        /* the schema's check has parsed it once already */
        if (ngx_http_hrx_parse_time(exp, &expires_at) != NGX_OK
            || json_object_set_new(args, "expires_at",
                                   json_integer(expires_at))
               != 0)
        {
            json_decref(args);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = ngx_http_hrx_command(r, ctx, "token.create", ctx->auth.tenant_id,
                              ctx->auth.user_id, args,
                              ngx_http_hrx_tokens_created);

    json_decref(args);

    return rc;
}


/* the scheduler's token object plus the secret, this once */
static ngx_int_t
ngx_http_hrx_tokens_created(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    json_t  *token;

    if (status != NGX_HTTP_CREATED) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    token = json_loadb((const char *) body, len, 0, NULL);

    if (!json_is_object(token)
        || json_object_set_new(token, "token",
                               json_stringn((const char *) ctx->secret.data,
                                            ctx->secret.len))
           != 0)
    {
        json_decref(token);
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the token was made but cannot be "
                                       "returned");
    }

    return ngx_http_hrx_send_json(r, NGX_HTTP_CREATED, token);
}


ngx_int_t
ngx_http_hrx_api_tokens_delete(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    json_t     *args;
    ngx_int_t   rc;

    args = json_pack("{s:I}", "id", (json_int_t) ctx->id);
    if (args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_hrx_command(r, ctx, "token.delete", ctx->auth.tenant_id,
                              ctx->auth.user_id, args, NULL);

    json_decref(args);

    return rc;
}
