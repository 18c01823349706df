/*
 * tenant.create: a platform admin opens a new company.
 *
 * A tenant is never usable on its own: nobody could log in to it.  So the
 * same command creates the tenant, its built-in "admin" role holding every
 * permission, and its first user with that role, all inside the command's
 * savepoint: either the company exists with an admin who can log in, or
 * nothing was written.  The reply is the tenant object with the new user
 * under "admin", so the operator sees both ids at once.
 *
 * The slug is the tenant's name in URLs; its uniqueness is checked here,
 * race-free, and reported as 409 conflict on "slug".
 */
#include <string.h>

#include "apply.h"
#include "render.h"

/* ^[a-z0-9][a-z0-9-]{1,62}$ */
static int
tenant_slug_valid(const char *s)
{
    size_t  i, n = strlen(s);

    if (n < 2 || n > 63) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
            || (s[i] == '-' && i > 0))
        {
            continue;
        }
        return 0;
    }
    return 1;
}

/*
 * The worker checks the name against the IANA database; here only its
 * shape: "Asia/Tokyo", "America/Argentina/Buenos_Aires", "Etc/GMT+9".
 */
static int
tenant_time_zone_valid(const char *s)
{
    size_t  i, n = strlen(s);

    if (n == 0 || s[0] == '/' || strstr(s, "..") != NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
            || (s[i] >= '0' && s[i] <= '9') || strchr("_+-/", s[i]) != NULL)
        {
            continue;
        }
        return 0;
    }
    return 1;
}

apply_rc_e
apply_tenant_create(apply_ctx_t *ac)
{
    const json_t    *args = ac->cmd->args, *admin;
    const char      *slug, *name, *tz, *email, *admin_name, *pw;
    store_user_t     actor, user;
    store_tenant_t   tenant;
    int64_t          tenant_id, role_id, user_id, by;
    json_t          *obj, *user_obj;
    int              rc;

    rc = apply_actor(ac, &actor);
    if (rc < 0) {
        return ac->rc;
    }
    if (rc == 1 && !actor.platform_admin) {
        return apply_reject(ac, 403, "forbidden", NULL,
                            "only a platform admin creates tenants");
    }
    by = ac->cmd->actor_id;

    if (apply_arg_string(ac, args, NULL, "slug", 1, 2, 63, &slug) < 0
        || apply_arg_string(ac, args, NULL, "name", 1, 1, 200, &name) < 0
        || apply_arg_string(ac, args, NULL, "time_zone", 0, 1, 64, &tz) < 0
        || apply_arg_object(ac, args, "admin", 1, &admin) < 0
        || apply_arg_email(ac, admin, "admin", "email", &email) < 0
        || apply_arg_string(ac, admin, "admin", "name", 1, 1, 200,
                            &admin_name) < 0
        || apply_arg_password_hash(ac, admin, "admin", &pw) < 0)
    {
        return ac->rc;
    }

    if (!tenant_slug_valid(slug)) {
        return apply_reject(ac, 400, "invalid_args", "slug",
                            "slug must be lowercase letters, digits and "
                            "hyphens, 2 to 63, not starting with a hyphen");
    }
    if (tz == NULL) {
        tz = "Asia/Tokyo";
    } else if (!tenant_time_zone_valid(tz)) {
        return apply_reject(ac, 400, "invalid_args", "time_zone",
                            "time_zone must be an IANA time zone name");
    }

    rc = store_tenant_slug_taken(ac->st, slug);
    if (rc == STORE_ERROR) {
        return apply_store_error(ac);
    }
    if (rc == 1) {
        return apply_reject(ac, 409, "conflict", "slug",
                            "a tenant with slug \"%s\" exists", slug);
    }

    rc = store_tenant_insert(ac->st, slug, name, tz, ac->now, by, &tenant_id);
    if (rc == STORE_CONFLICT) {
        return apply_reject(ac, 409, "conflict", "slug",
                            "a tenant with slug \"%s\" exists", slug);
    }
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    ac->reply->object_id = tenant_id;

    rc = store_role_insert(ac->st, tenant_id, "admin",
                           apply_all_permissions_json, 1, ac->now, by,
                           &role_id);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    rc = store_user_insert(ac->st, tenant_id, email, admin_name, pw, role_id,
                           0, ac->now, by, &user_id);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    rc = store_tenant_get(ac->st, tenant_id, &tenant);
    if (rc == STORE_OK) {
        rc = store_user_get(ac->st, tenant_id, user_id, &user);
    }
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    if (apply_user_object(ac, &user, &user_obj) != 0) {
        return ac->rc;
    }
    obj = render_tenant(&tenant);
    if (obj == NULL) {
        json_decref(user_obj);
    } else if (json_object_set_new(obj, "admin", user_obj)) {
        json_decref(obj);
        obj = NULL;
    }
    return apply_reply_object(ac, 201, obj);
}
