/*
 * What the descriptors do not say: the rules of roles, master groups and
 * events (hooks of apply_resource.c).
 *
 * Roles.  The built-in admin role (made with the tenant) is what a new
 * user gets by default and what keeps a tenant administrable, so it
 * cannot be deleted, renamed or lose users.admin (409 builtin).  Any
 * other change to a role's permissions is checked after it is written:
 * when no active user of the tenant holds users.admin any more, the
 * command is refused (409 last_admin) and rolled back, the same rule as
 * for disabling the last admin (apply_user.c).
 *
 * Master groups.  Grants name objects by type and id; each must exist in
 * the tenant (404 naming grants[i].id).  The grants are replaced as a
 * whole.  Members are a link set (generic); since every user object
 * carries its master_group_ids, a user may be in at most
 * APPLY_USER_GROUPS_MAX groups (409 too_many_groups on member_ids).
 *
 * Events.  Dates are replaced as a list: a date given with its id is
 * updated (it must be a date of this event, and its capacity cannot go
 * below its registrations), a date without id is added, and a date left
 * out is removed — unless someone registered for it (409 in_use).  An
 * event with registrations cannot be deleted either.
 */
#include <stdio.h>
#include <string.h>

#include "apply_reach.h"
#include "apply_resource.h"

#define APPLY_EVENT_DATES_MAX  64    /* more than the 50 a body may give */

/* -------------------------------------------------------------------- */
/* roles */

int
apply_role_check(apply_ctx_t *ac, const apply_res_op_t *op)
{
    store_role_t   role;
    const json_t  *name, *perms, *v;
    size_t         i;
    int            rc, admin;

    if (op->action == HRX_RES_CREATE) {
        return 0;
    }

    rc = store_role_get(ac->st, ac->cmd->tenant_id, op->id, &role);
    if (rc != STORE_OK) {
        apply_store_unexpected(ac, rc);
        return -1;
    }
    if (!role.builtin) {
        return 0;
    }

    if (op->action == HRX_RES_DELETE) {
        apply_reject(ac, 409, "builtin", NULL,
                     "the built-in admin role cannot be deleted");
        return -1;
    }

    name = json_object_get(op->args, "name");
    if (json_is_string(name) && strcmp(json_string_value(name), role.name))
    {
        apply_reject(ac, 409, "builtin", "name",
                     "the built-in admin role cannot be renamed");
        return -1;
    }

    perms = json_object_get(op->args, "permissions");
    if (perms == NULL) {
        return 0;
    }

    admin = 0;
    json_array_foreach(perms, i, v) {
        if (strcmp(json_string_value(v), "users.admin") == 0) {
            admin = 1;
        }
    }
    if (!admin) {
        apply_reject(ac, 409, "builtin", "permissions",
                     "the built-in admin role cannot lose users.admin");
        return -1;
    }
    return 0;
}

int
apply_role_write(apply_ctx_t *ac, const apply_res_op_t *op)
{
    int64_t  n;

    if (op->action != HRX_RES_UPDATE
        || json_object_get(op->args, "permissions") == NULL)
    {
        return 0;
    }

    if (store_user_count_with_permission(ac->st, ac->cmd->tenant_id,
                                         "users.admin", 0, &n) != STORE_OK)
    {
        apply_store_error(ac);
        return -1;
    }
    if (n == 0) {
        apply_reject(ac, 409, "last_admin", "permissions",
                     "no active user of the tenant would be left who can "
                     "administer users");
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------------------- */
/* master groups */

int
apply_master_group_check(apply_ctx_t *ac, const apply_res_op_t *op)
{
    const json_t     *grants, *g;
    const hrx_res_t  *target;
    size_t            i;
    char              field[64];

    grants = json_object_get(op->args, "grants");

    json_array_foreach(grants, i, g) {
        target = hrx_res_by_grant(json_string_value(json_object_get(g,
                                                                  "type")));
        snprintf(field, sizeof(field), "grants[%zu].id", i);

        if (target == NULL) {
            apply_reject(ac, 400, "invalid_value", field,
                         "%s: unknown grant type", field);
            return -1;
        }
        if (apply_reach_ref(ac, &op->who, target,
                            json_integer_value(json_object_get(g, "id")),
                            field) != 0)
        {
            return -1;
        }
    }
    return 0;
}

int
apply_master_group_write(apply_ctx_t *ac, const apply_res_op_t *op)
{
    const json_t  *grants;
    int64_t        user_id;
    int            rc;

    grants = json_object_get(op->args, "grants");
    if (grants != NULL) {
        rc = store_grants_set(ac->st, op->id,
                              json_is_null(grants) ? NULL : grants);
        if (rc != STORE_OK) {
            apply_store_unexpected(ac, rc);
            return -1;
        }
    }

    if (json_object_get(op->args, "member_ids") == NULL) {
        return 0;
    }

    rc = store_group_overfull(ac->st, op->id, APPLY_USER_GROUPS_MAX,
                              &user_id);
    if (rc == STORE_ERROR) {
        apply_store_error(ac);
        return -1;
    }
    if (rc == STORE_OK) {
        apply_reject(ac, 409, "too_many_groups", "member_ids",
                     "member_ids: user %lld would be in more than %d master "
                     "groups", (long long) user_id, APPLY_USER_GROUPS_MAX);
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------------------- */
/* events */

static int
apply_event_dates_get(apply_ctx_t *ac, int64_t event_id,
    store_event_date_t *dates, size_t *n)
{
    if (store_event_dates(ac->st, event_id, dates, APPLY_EVENT_DATES_MAX, n)
        != STORE_OK)
    {
        apply_store_error(ac);
        return -1;
    }
    return 0;
}

/* delete: nobody registered for any date */
int
apply_event_check(apply_ctx_t *ac, const apply_res_op_t *op)
{
    store_event_date_t  dates[APPLY_EVENT_DATES_MAX];
    size_t              n, i;

    if (op->action != HRX_RES_DELETE) {
        return 0;
    }
    if (apply_event_dates_get(ac, op->id, dates, &n) != 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (dates[i].registered > 0) {
            apply_reject(ac, 409, "in_use", NULL,
                         "date %lld of this event has %lld registrations",
                         (long long) dates[i].id,
                         (long long) dates[i].registered);
            return -1;
        }
    }
    return 0;
}

/* a date of the body: its times and capacity (validated) */
static void
apply_event_date(const json_t *d, int64_t *starts, int64_t *ends,
    int64_t *capacity)
{
    const json_t  *v;

    *ends = 0;
    (void) hrx_time_parse(json_string_value(json_object_get(d, "starts_at")),
                          starts);
    v = json_object_get(d, "ends_at");
    if (json_is_string(v)) {
        (void) hrx_time_parse(json_string_value(v), ends);
    }
    *capacity = json_integer_value(json_object_get(d, "capacity"));
}

int
apply_event_write(apply_ctx_t *ac, const apply_res_op_t *op)
{
    store_event_date_t  dates[APPLY_EVENT_DATES_MAX];
    const json_t       *given, *d, *v;
    size_t              n, i, j;
    int64_t             id, starts, ends, capacity;
    char                field[64];
    int                 rc;

    given = json_object_get(op->args, "dates");
    if (given == NULL) {
        return 0;
    }

    n = 0;
    if (op->action == HRX_RES_UPDATE
        && apply_event_dates_get(ac, op->id, dates, &n) != 0)
    {
        return -1;
    }

    /* dates left out go, unless someone registered */
    for (j = 0; j < n; j++) {
        json_array_foreach(given, i, d) {
            if (json_integer_value(json_object_get(d, "id")) == dates[j].id) {
                break;
            }
        }
        if (i < json_array_size(given)) {
            continue;
        }
        if (dates[j].registered > 0) {
            apply_reject(ac, 409, "in_use", "dates",
                         "dates: date %lld has %lld registrations and cannot "
                         "be removed", (long long) dates[j].id,
                         (long long) dates[j].registered);
            return -1;
        }
        if (store_event_date_delete(ac->st, op->id, dates[j].id)
            != STORE_OK)
        {
            apply_store_error(ac);
            return -1;
        }
    }

    json_array_foreach(given, i, d) {
        apply_event_date(d, &starts, &ends, &capacity);
        v = json_object_get(d, "id");

        if (v == NULL || json_is_null(v)) {
            rc = store_event_date_insert(ac->st, op->id, starts, ends,
                                         capacity);
        } else {
            id = json_integer_value(v);
            snprintf(field, sizeof(field), "dates[%zu].id", i);

            for (j = 0; j < n && dates[j].id != id; j++) {
                /* void */
            }
            if (j == n) {
                apply_reject(ac, 404, "not_found", field,
                             "%s: event date %lld is not a date of this "
                             "event", field, (long long) id);
                return -1;
            }
            if (capacity < dates[j].registered) {
                snprintf(field, sizeof(field), "dates[%zu].capacity", i);
                apply_reject(ac, 409, "capacity_below_registered", field,
                             "%s: %lld people registered for this date",
                             field, (long long) dates[j].registered);
                return -1;
            }
            rc = store_event_date_update(ac->st, op->id, id, starts, ends,
                                         capacity);
        }
        if (rc != STORE_OK) {
            apply_store_error(ac);
            return -1;
        }
    }
    return 0;
}
