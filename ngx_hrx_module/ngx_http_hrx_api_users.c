/*
 * Users of the caller's tenant.
 *
 * Reads come from SQLite, always filtered by the caller's tenant, so an
 * id of another tenant is simply not found.  Changes are user.create and
 * user.update commands; a password in the request is hashed (scrypt, on
 * the thread pool) before the command is made, so the clear password
 * never reaches the ring, and the command carries password_hash.
 *
 * Who may do what: users.admin lists and creates users and changes
 * anything; anyone may read and rename themselves and change their own
 * password.  The scheduler checks the same against the current state.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_users.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_login.h"
#include "ngx_http_hrx_reply.h"


const ngx_http_hrx_field_t  ngx_http_hrx_user_create_schema[] = {
    { "email", NGX_HTTP_HRX_STRING, 1, 1, 254, ngx_http_hrx_check_email,
      NULL },
    { "name", NGX_HTTP_HRX_STRING, 1, 1, 200, NULL, NULL },
    { "password", NGX_HTTP_HRX_STRING, 0, 10, 256, NULL, NULL },
    { "role_id", NGX_HTTP_HRX_INT, 0, 0, 0, ngx_http_hrx_check_id, NULL },
    { "master_group_ids", NGX_HTTP_HRX_ARRAY, 0, 0, 0,
      ngx_http_hrx_check_ids, NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};

const ngx_http_hrx_field_t  ngx_http_hrx_user_update_schema[] = {
    { "name", NGX_HTTP_HRX_STRING, 0, 1, 200, NULL, NULL },
    { "status", NGX_HTTP_HRX_STRING, 0, 1, 16, ngx_http_hrx_check_status,
      NULL },
    { "role_id", NGX_HTTP_HRX_INT, 0, 0, 0, ngx_http_hrx_check_id, NULL },
    { "password", NGX_HTTP_HRX_STRING, 0, 10, 256, NULL, NULL },
    { "master_group_ids", NGX_HTTP_HRX_ARRAY, 0, 0, 0,
      ngx_http_hrx_check_ids, NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};


static ngx_int_t ngx_http_hrx_users_submit(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_users_hashed(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_users_change(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


ngx_int_t
ngx_http_hrx_api_users_list(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
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
    rc = ngx_http_hrx_db_users(r, ctx->auth.tenant_id, after, limit, &page);

    return ngx_http_hrx_send_found(r, rc, page, "tenant");
}


ngx_int_t
ngx_http_hrx_api_users_get(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t              *user;
    ngx_int_t            rc;
    ngx_http_hrx_err_t   err;

    if (ctx->id != ctx->auth.user_id
        && ngx_http_hrx_require(&ctx->auth, NGX_HTTP_HRX_PERM_USERS_ADMIN,
                                &err)
           != NGX_OK)
    {
        return ngx_http_hrx_send_err(r, &err);
    }

    user = NULL;
    rc = ngx_http_hrx_db_user(r, ctx->auth.tenant_id, ctx->id, &user);

    return ngx_http_hrx_send_found(r, rc, user, "user");
}


ngx_int_t
ngx_http_hrx_api_users_create(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_users_change(r, ctx);
}


ngx_int_t
ngx_http_hrx_api_users_update(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    const char          *field;
    ngx_http_hrx_err_t   err;

    if (!(ctx->auth.perms & NGX_HTTP_HRX_PERM_USERS_ADMIN)) {

        if (ctx->id != ctx->auth.user_id) {
            (void) ngx_http_hrx_require(&ctx->auth,
                                        NGX_HTTP_HRX_PERM_USERS_ADMIN, &err);
            return ngx_http_hrx_send_err(r, &err);
        }

        field = json_object_get(ctx->body, "status") ? "status"
                : json_object_get(ctx->body, "role_id") ? "role_id"
                : json_object_get(ctx->body, "master_group_ids")
                  ? "master_group_ids" : NULL;

        if (field) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_FORBIDDEN,
                                           "forbidden", field,
                                           "changing %s needs the "
                                           "users.admin permission", field);
        }
    }

    return ngx_http_hrx_users_change(r, ctx);
}


/* both: the body becomes the command's args, the password its hash */
static ngx_int_t
ngx_http_hrx_users_change(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t  *pw;

    ctx->args = json_deep_copy(ctx->body);
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method == NGX_HTTP_PATCH
        && json_object_set_new(ctx->args, "id", json_integer(ctx->id)) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pw = json_object_get(ctx->body, "password");

    if (pw == NULL || json_is_null(pw)) {
        (void) json_object_del(ctx->args, "password");
        return ngx_http_hrx_users_submit(r, ctx);
    }

    (void) json_object_del(ctx->args, "password");

    return ngx_http_hrx_password_task(r, ctx, json_string_value(pw),
                                      json_string_length(pw), NULL,
                                      ngx_http_hrx_users_hashed);
}


static ngx_int_t
ngx_http_hrx_users_hashed(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    if (ctx->pw_result != 0
        || json_object_set_new(ctx->args, "password_hash",
                               json_string(ctx->pw_hash))
           != 0)
    {
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the password could not be hashed");
    }

    return ngx_http_hrx_users_submit(r, ctx);
}


static ngx_int_t
ngx_http_hrx_users_submit(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_command(r, ctx,
                                r->method == NGX_HTTP_POST ? "user.create"
                                                           : "user.update",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, NULL);
}
