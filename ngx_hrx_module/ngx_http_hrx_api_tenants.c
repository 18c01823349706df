/*
 * Tenants.  Only platform admins (users.platform_admin = 1) list and
 * create tenants; everybody reads their own.  tenant.create makes the
 * tenant, its built-in admin role and its first user in one command; a
 * password for that user is hashed here first, like everywhere.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_tenants.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_login.h"
#include "ngx_http_hrx_reply.h"


static const ngx_http_hrx_field_t  ngx_http_hrx_tenant_admin_schema[] = {
    { "email", NGX_HTTP_HRX_STRING, 1, 1, 254, ngx_http_hrx_check_email,
      NULL },
    { "name", NGX_HTTP_HRX_STRING, 1, 1, 200, NULL, NULL },
    { "password", NGX_HTTP_HRX_STRING, 0, 10, 256, NULL, NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};

const ngx_http_hrx_field_t  ngx_http_hrx_tenant_create_schema[] = {
    { "slug", NGX_HTTP_HRX_STRING, 1, 2, 63, ngx_http_hrx_check_slug, NULL },
    { "name", NGX_HTTP_HRX_STRING, 1, 1, 200, NULL, NULL },
    { "time_zone", NGX_HTTP_HRX_STRING, 0, 1, 120,
      ngx_http_hrx_check_time_zone, NULL },
    { "admin", NGX_HTTP_HRX_OBJECT, 1, 0, 0, NULL,
      ngx_http_hrx_tenant_admin_schema },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};


static ngx_int_t ngx_http_hrx_tenants_hashed(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_tenants_submit(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


ngx_int_t
ngx_http_hrx_api_tenants_list(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
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
    rc = ngx_http_hrx_db_tenants(r, after, limit, &page);

    return ngx_http_hrx_send_found(r, rc, page, "tenant");
}


ngx_int_t
ngx_http_hrx_api_tenant_own(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t     *tenant;
    ngx_int_t   rc;

    tenant = NULL;
    rc = ngx_http_hrx_db_tenant(r, ctx->auth.tenant_id, &tenant);

    return ngx_http_hrx_send_found(r, rc, tenant, "tenant");
}


ngx_int_t
ngx_http_hrx_api_tenants_create(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    json_t  *admin, *pw;

    ctx->args = json_deep_copy(ctx->body);
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    admin = json_object_get(ctx->args, "admin");
    pw = json_object_get(json_object_get(ctx->body, "admin"), "password");

    (void) json_object_del(admin, "password");

    if (pw == NULL || json_is_null(pw)) {
        return ngx_http_hrx_tenants_submit(r, ctx);
    }

    return ngx_http_hrx_password_task(r, ctx, json_string_value(pw),
                                      json_string_length(pw), NULL,
                                      ngx_http_hrx_tenants_hashed);
}


static ngx_int_t
ngx_http_hrx_tenants_hashed(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t  *admin;

    admin = json_object_get(ctx->args, "admin");

    if (ctx->pw_result != 0
        || json_object_set_new(admin, "password_hash",
                               json_string(ctx->pw_hash))
           != 0)
    {
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the password could not be hashed");
    }

    return ngx_http_hrx_tenants_submit(r, ctx);
}


static ngx_int_t
ngx_http_hrx_tenants_submit(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_command(r, ctx, "tenant.create", ctx->auth.tenant_id,
                                ctx->auth.user_id, ctx->args, NULL);
}
