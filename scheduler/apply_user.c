/*
 * user.create and user.update.
 *
 * Users belong to one tenant; every lookup carries the command's tenant,
 * so an id of another tenant is simply "not found" (404), never a hint
 * that it exists elsewhere.  Email addresses are unique per tenant, case
 * aside (the column is COLLATE NOCASE), and checked here because only the
 * single writer can check them without a race.
 *
 * The rule that needs the most care is the last admin.  A tenant whose
 * last active user holding users.admin is disabled, or moved to a role
 * without it, has nobody left who can repair it.  So an update that takes
 * users.admin away from an active user (by status or by role) first
 * counts the other active users that hold it, and refuses with 409
 * last_admin when there are none.  Disabling a user also deletes its
 * sessions, in the same savepoint, so it is logged out everywhere the
 * moment the reply says "disabled".  (API tokens stay: the readers ignore
 * tokens of disabled users, and enabling the user again restores them.)
 *
 * Who may do it is re-checked against the current state: users.admin for
 * everything, or the user itself for its own name and password.
 *
 * master_group_ids (docs/data-model.md) replaces the user's master groups;
 * each must exist in the tenant.  The user object carries them, read
 * again after the change (apply_user_object).
 */
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "apply_reach.h"
#include "apply_resource.h"
#include "render.h"

int
apply_user_object(apply_ctx_t *ac, const store_user_t *u, json_t **out)
{
    const hrx_res_t  *res = hrx_res(HRX_RES_USER);
    char             *ids;
    json_t           *obj;
    int               rc;

    rc = store_res_links_get(ac->st, res,
                             hrx_res_field(res, "master_group_ids"), u->id,
                             &ids);
    if (rc != STORE_OK) {
        apply_store_error(ac);
        return -1;
    }

    obj = render_user(u);
    if (obj != NULL
        && json_object_set_new(obj, "master_group_ids",
                               json_loads(ids, 0, NULL)) != 0)
    {
        json_decref(obj);
        obj = NULL;
    }
    free(ids);

    if (obj == NULL) {
        apply_reject(ac, 500, "internal", NULL, "out of memory");
        return -1;
    }
    *out = obj;
    return 0;
}

/* master_group_ids of the args: 1 (*ids set), 0 (absent), -1 (reply set) */
static int
user_group_ids(apply_ctx_t *ac, const json_t *args, const json_t **ids)
{
    hrx_res_err_t  err;

    *ids = json_object_get(args, "master_group_ids");
    if (*ids == NULL) {
        return 0;
    }
    if (!json_is_null(*ids)
        && hrx_check_ids(*ids, "master_group_ids", APPLY_USER_GROUPS_MAX,
                         &err) != 0)
    {
        apply_reject(ac, err.status, err.code, err.field, "%s",
                     err.message);
        return -1;
    }
    return 1;
}

/* replace the user's master groups (each reached by the actor) */
static int
user_set_groups(apply_ctx_t *ac, int64_t user_id, const json_t *ids)
{
    const hrx_res_t  *res = hrx_res(HRX_RES_USER);
    store_reach_t     who;
    unsigned          perms;

    if (apply_reach_load(ac, &who, &perms) != 0) {
        return -1;
    }
    return apply_res_links(ac, &who, res,
                           hrx_res_field(res, "master_group_ids"), user_id,
                           json_is_null(ids) ? NULL : ids);
}

/* the role a new user gets: the one named, or the tenant's admin role */
static int
user_role(apply_ctx_t *ac, int64_t role_id, store_role_t *role)
{
    int  rc;

    if (role_id > 0) {
        rc = store_role_get(ac->st, ac->cmd->tenant_id, role_id, role);
    } else {
        rc = store_role_get_builtin_admin(ac->st, ac->cmd->tenant_id, role);
    }

    if (rc == STORE_NOTFOUND) {
        apply_reject(ac, 404, "not_found", "role_id",
                     role_id > 0 ? "no such role in this tenant"
                                 : "the tenant has no admin role");
        return -1;
    }
    if (rc != STORE_OK) {
        apply_store_error(ac);
        return -1;
    }
    return 0;
}

/* reply with the user as it is now */
static apply_rc_e
user_reply(apply_ctx_t *ac, int status, int64_t id)
{
    store_user_t  user;
    json_t       *obj;
    int           rc;

    rc = store_user_get(ac->st, ac->cmd->tenant_id, id, &user);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    if (apply_user_object(ac, &user, &obj) != 0) {
        return ac->rc;
    }
    return apply_reply_object(ac, status, obj);
}

apply_rc_e
apply_user_create(apply_ctx_t *ac)
{
    const json_t  *args = ac->cmd->args;
    const json_t  *groups;
    const char    *email, *name, *pw;
    store_role_t   role;
    int64_t        role_id, id;
    int            rc;

    if (apply_require(ac, PERM_USERS_ADMIN) < 0) {
        return ac->rc;
    }

    if (apply_arg_email(ac, args, NULL, "email", &email) < 0
        || apply_arg_string(ac, args, NULL, "name", 1, 1, 200, &name) < 0
        || apply_arg_password_hash(ac, args, NULL, &pw) < 0
        || apply_arg_id(ac, args, "role_id", 0, &role_id) < 0
        || user_group_ids(ac, args, &groups) < 0)
    {
        return ac->rc;
    }

    if (user_role(ac, role_id, &role) < 0) {
        return ac->rc;
    }

    rc = store_user_email_taken(ac->st, ac->cmd->tenant_id, email);
    if (rc == STORE_ERROR) {
        return apply_store_error(ac);
    }
    if (rc == 1) {
        return apply_reject(ac, 409, "conflict", "email",
                            "a user with this email exists in the tenant");
    }

    rc = store_user_insert(ac->st, ac->cmd->tenant_id, email, name, pw,
                           role.id, 0, ac->now, ac->cmd->actor_id, &id);
    if (rc == STORE_CONFLICT) {
        return apply_reject(ac, 409, "conflict", "email",
                            "a user with this email exists in the tenant");
    }
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    ac->reply->object_id = id;

    if (groups != NULL && user_set_groups(ac, id, groups) != 0) {
        return ac->rc;
    }
    return user_reply(ac, 201, id);
}

apply_rc_e
apply_user_update(apply_ctx_t *ac)
{
    const json_t  *args = ac->cmd->args;
    const json_t  *groups;
    const char    *name, *status, *pw, *field;
    store_user_t   actor, user;
    store_role_t   role;
    int64_t        id, role_id, others;
    int            rc, is_admin, was_admin, will_admin;

    if (apply_arg_id(ac, args, "id", 1, &id) < 0) {
        return ac->rc;
    }
    ac->reply->object_id = id;

    rc = store_user_get(ac->st, ac->cmd->tenant_id, id, &user);
    if (rc == STORE_ERROR) {
        return apply_store_error(ac);
    }
    if (rc == STORE_NOTFOUND) {
        return apply_reject(ac, 404, "not_found", "id", "no such user");
    }

    if (apply_arg_string(ac, args, NULL, "name", 0, 1, 200, &name) < 0
        || apply_arg_string(ac, args, NULL, "status", 0, 1, 16, &status) < 0
        || apply_arg_id(ac, args, "role_id", 0, &role_id) < 0
        || apply_arg_password_hash(ac, args, NULL, &pw) < 0
        || user_group_ids(ac, args, &groups) < 0)
    {
        return ac->rc;
    }
    if (status != NULL && strcmp(status, "active") != 0
        && strcmp(status, "disabled") != 0)
    {
        return apply_reject(ac, 400, "invalid_args", "status",
                            "status must be \"active\" or \"disabled\"");
    }

    /* users.admin may change anything; a user its own name and password */
    rc = apply_actor(ac, &actor);
    if (rc < 0) {
        return ac->rc;
    }
    is_admin = (rc == 0) || apply_actor_has(ac, &actor, PERM_USERS_ADMIN);
    if (!is_admin) {
        if (actor.id != user.id) {
            return apply_reject(ac, 403, "forbidden", NULL,
                                "this needs the %s permission",
                                PERM_USERS_ADMIN);
        }
        if (status != NULL || role_id != 0 || groups != NULL) {
            field = status != NULL ? "status"
                    : role_id != 0 ? "role_id" : "master_group_ids";
            return apply_reject(ac, 403, "forbidden", field,
                                "changing %s needs the %s permission",
                                field, PERM_USERS_ADMIN);
        }
    }

    /* the user's state after the update */
    if (role_id != 0) {
        if (user_role(ac, role_id, &role) < 0) {
            return ac->rc;
        }
    } else {
        role.id = user.role_id;
        memcpy(role.permissions, user.permissions, sizeof(role.permissions));
    }
    if (name == NULL) {
        name = user.name;
    }
    if (status == NULL) {
        status = user.status;
    }

    was_admin = strcmp(user.status, "active") == 0
                && apply_perms_have(user.permissions, PERM_USERS_ADMIN);
    will_admin = strcmp(status, "active") == 0
                 && apply_perms_have(role.permissions, PERM_USERS_ADMIN);

    if (was_admin && !will_admin) {
        rc = store_user_count_with_permission(ac->st, ac->cmd->tenant_id,
                                              PERM_USERS_ADMIN, user.id,
                                              &others);
        if (rc != STORE_OK) {
            return apply_store_error(ac);
        }
        if (others == 0) {
            return apply_reject(ac, 409, "last_admin",
                                strcmp(status, "active") != 0 ? "status"
                                                              : "role_id",
                                "this is the last active user of the "
                                "tenant who can administer users");
        }
    }

    rc = store_user_update(ac->st, ac->cmd->tenant_id, user.id, name, status,
                           role.id, pw, ac->now, ac->cmd->actor_id);
    if (rc != STORE_OK) {
        return apply_store_error(ac);
    }

    if (strcmp(status, "disabled") == 0
        && strcmp(user.status, "disabled") != 0)
    {
        rc = store_session_delete_user(ac->st, ac->cmd->tenant_id, user.id);
        if (rc != STORE_OK) {
            return apply_store_error(ac);
        }
    }

    if (groups != NULL && user_set_groups(ac, user.id, groups) != 0) {
        return ac->rc;
    }

    return user_reply(ac, 200, user.id);
}
