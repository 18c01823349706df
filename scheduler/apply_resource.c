/*
 * <resource>.create, .update and .delete for every resource of
 * shm/hrx_resource.h, driven by its descriptor.
 *
 * The worker has checked the body against the same descriptor, but the
 * ring is shared memory and the state may have moved since, so each
 * command is taken from the top, in this order:
 *
 *   1. the actor, now: still active, and its role still grants the
 *      resource's manage permission (403 naming the permission)
 *   2. update, delete: the row exists in the tenant and the actor
 *      reaches it (404 on "id" otherwise, as for a reader)
 *   3. the args, against the descriptor (400 naming the field)
 *   4. every reference (REF fields): exists in the tenant (404) and is
 *      reached by the actor (403), naming the field
 *   5. unique fields: free in the tenant, case aside (409 conflict)
 *   6. the resource's check hook (roles: the built-in admin role ...)
 *   7. the row (insert / update of the columns given, with updated_at
 *      and updated_by, the last editor), then the link sets (each id
 *      reached), then the write hook (grants, event dates ...)
 *
 * Delete: 1, 2, the check hook, then the rows that still use it
 * (descriptor deps: 409 in_use saying how many), then the grants on it,
 * then the row.  A foreign key that no dep names still stops it: that
 * is 409 in_use too, never a 500.
 *
 * The reply is {"id": n} (201 created, 200 updated) or 204: the worker
 * reads the object back from SQLite to answer, since the reply is
 * published only after the commit.  Objects can be large (a template's
 * body, fifty event dates) and a reply slot is not; the worker's read
 * renders them with the same SQL as any other read.
 */
#include <string.h>

#include "apply_reach.h"
#include "apply_resource.h"

static const apply_res_hooks_t apply_res_hooks[HRX_RES_MAX] = {
    [HRX_RES_ROLE] = { apply_role_check, apply_role_write },
    [HRX_RES_MASTER_GROUP] = { apply_master_group_check,
                               apply_master_group_write },
    [HRX_RES_EVENT] = { apply_event_check, apply_event_write },
    [HRX_RES_SAVED_SEARCH] = { apply_saved_search_check, NULL },
    [HRX_RES_CANDIDATE] = { NULL, apply_candidate_write },
};

const char *
apply_resource_type(const char *op)
{
    const hrx_res_t  *res;
    int               action;

    res = hrx_res_by_op(op, &action);
    return res ? res->name : NULL;
}

static int
apply_res_invalid(apply_ctx_t *ac, const hrx_res_err_t *err)
{
    apply_reject(ac, err->status, err->code,
                 err->field[0] ? err->field : NULL, "%s", err->message);
    return -1;
}

static int
apply_res_links_set(apply_ctx_t *ac, const store_reach_t *who,
    const hrx_res_t *res, const hrx_res_field_t *f, int64_t id,
    const json_t *ids, int fresh);

int
apply_res_links(apply_ctx_t *ac, const store_reach_t *who,
    const hrx_res_t *res, const hrx_res_field_t *f, int64_t id,
    const json_t *ids)
{
    return apply_res_links_set(ac, who, res, f, id, ids, 0);
}

static int
apply_res_links_set(apply_ctx_t *ac, const store_reach_t *who,
    const hrx_res_t *res, const hrx_res_field_t *f, int64_t id,
    const json_t *ids, int fresh)
{
    size_t  i;
    int     rc;

    for (i = 0; i < json_array_size(ids); i++) {
        if (apply_reach_ref(ac, who, hrx_res(f->ref),
                            json_integer_value(json_array_get(ids, i)),
                            f->name) != 0)
        {
            return -1;
        }
    }

    rc = store_res_links_set(ac->st, res, f, id, ids, ac->now, fresh);
    if (rc != STORE_OK) {
        apply_store_unexpected(ac, rc);
        return -1;
    }
    return 0;
}

/* 4: the REF fields present */
static int
apply_res_refs(apply_ctx_t *ac, const apply_res_op_t *op)
{
    const hrx_res_field_t  *f;
    const json_t           *v;

    for (f = op->res->fields; f->name; f++) {
        v = json_object_get(op->args, f->name);
        if (f->type != HRX_FT_REF || v == NULL || json_is_null(v)) {
            continue;
        }
        if (apply_reach_ref(ac, &op->who, hrx_res(f->ref),
                            json_integer_value(v), f->name) != 0)
        {
            return -1;
        }
    }
    return 0;
}

/* 5: the unique fields present */
static int
apply_res_unique(apply_ctx_t *ac, const apply_res_op_t *op)
{
    const hrx_res_field_t  *f;
    const json_t           *v;
    int                     rc;

    for (f = op->res->fields; f->name; f++) {
        v = json_object_get(op->args, f->name);
        if (!(f->flags & HRX_F_UNIQUE) || !json_is_string(v)) {
            continue;
        }
        rc = store_res_taken(ac->st, op->res, f, ac->cmd->tenant_id,
                             json_string_value(v), op->id);
        if (rc == STORE_ERROR) {
            apply_store_error(ac);
            return -1;
        }
        if (rc == 1) {
            apply_reject(ac, 409, "conflict", f->name,
                         "a %s with this %s exists in the tenant",
                         op->res->name, f->name);
            return -1;
        }
    }
    return 0;
}

/* the first unique field, for a UNIQUE violation the check did not see */
static const char *
apply_res_unique_field(const hrx_res_t *res)
{
    const hrx_res_field_t  *f;

    for (f = res->fields; f->name; f++) {
        if (f->flags & HRX_F_UNIQUE) {
            return f->name;
        }
    }
    return NULL;
}

/* 7: the row, the link sets, the write hook */
static int
apply_res_write(apply_ctx_t *ac, apply_res_op_t *op)
{
    const apply_res_hooks_t  *hooks;
    const hrx_res_field_t    *f;
    const json_t             *v;
    int                       rc;

    if (op->action == HRX_RES_CREATE) {
        rc = store_res_insert(ac->st, op->res, ac->cmd->tenant_id, op->args,
                              ac->now, ac->cmd->actor_id, &op->id);
        if (rc == STORE_OK) {
            ac->reply->object_id = op->id;
        }
    } else {
        rc = store_res_update(ac->st, op->res, ac->cmd->tenant_id, op->id,
                              op->args, ac->now, ac->cmd->actor_id);
    }

    if (rc == STORE_CONFLICT) {
        apply_reject(ac, 409, "conflict", apply_res_unique_field(op->res),
                     "a %s with these values exists in the tenant",
                     op->res->name);
        return -1;
    }
    if (rc != STORE_OK) {
        apply_store_unexpected(ac, rc);
        return -1;
    }

    for (f = op->res->fields; f->name; f++) {
        v = json_object_get(op->args, f->name);
        if (f->type != HRX_FT_IDS || v == NULL) {
            continue;
        }
        if (apply_res_links_set(ac, &op->who, op->res, f, op->id,
                                json_is_null(v) ? NULL : v,
                                op->action == HRX_RES_CREATE) != 0)
        {
            return -1;
        }
    }

    hooks = &apply_res_hooks[op->res->id];
    return hooks->write ? hooks->write(ac, op) : 0;
}

static apply_rc_e
apply_res_delete(apply_ctx_t *ac, apply_res_op_t *op)
{
    const hrx_res_dep_t  *dep;
    unsigned              i;
    int64_t               n;
    int                   rc;

    for (i = 0, dep = op->res->deps; dep && dep->table; i++, dep++) {
        rc = store_res_dep_count(ac->st, op->res, i, op->id, &n);
        if (rc != STORE_OK) {
            return apply_store_error(ac);
        }
        if (n > 0) {
            return apply_reject(ac, 409, "in_use", NULL,
                                "this %s is used by %lld %s", op->res->name,
                                (long long) n, dep->what);
        }
    }

    if (op->res->reach == HRX_REACH_GRANT && op->res->via == NULL
        && store_res_ungrant(ac->st, op->res, op->id) != STORE_OK)
    {
        return apply_store_error(ac);
    }

    rc = store_res_delete(ac->st, op->res, ac->cmd->tenant_id, op->id);
    if (rc == STORE_CONFLICT) {
        return apply_reject(ac, 409, "in_use", NULL,
                            "this %s is still used", op->res->name);
    }
    if (rc != STORE_OK) {
        return apply_store_error(ac);
    }
    return apply_reply_empty(ac);
}

/* 3 - 7 of a create or an update: who, id (update) and args are set */
int
apply_res_apply(apply_ctx_t *ac, apply_res_op_t *op)
{
    const apply_res_hooks_t  *hooks;
    hrx_res_err_t             err;

    hooks = &apply_res_hooks[op->res->id];

    if (hrx_res_validate(op->res, op->args, op->action | HRX_RES_ARGS, &err)
        != 0)
    {
        return apply_res_invalid(ac, &err);
    }

    if (apply_res_refs(ac, op) != 0
        || apply_res_unique(ac, op) != 0
        || (hooks->check && hooks->check(ac, op) != 0)
        || apply_res_write(ac, op) != 0)
    {
        return -1;
    }

    return 0;
}

apply_rc_e
apply_resource(apply_ctx_t *ac)
{
    const apply_res_hooks_t  *hooks;
    apply_res_op_t            op;
    json_t                   *reply;

    memset(&op, 0, sizeof(op));
    op.res = hrx_res_by_op(ac->cmd->op, &op.action);
    op.args = ac->cmd->args;

    if (op.res == NULL) {
        return apply_reject(ac, 400, "unknown_op", "op",
                            "unknown operation \"%s\"", ac->cmd->op);
    }
    hooks = &apply_res_hooks[op.res->id];

    /* 1 (an edit of a resource edited by reach: step 2 decides) */
    if (apply_reach_load(ac, &op.who, &op.perms) != 0
        || ((op.action != HRX_RES_UPDATE
             || !(op.res->flags & HRX_RES_EDIT_BY_REACH))
            && apply_reach_require(ac, op.perms, op.res->manage) != 0))
    {
        return ac->rc;
    }

    /* 2 */
    if (op.action != HRX_RES_CREATE) {
        if (apply_arg_id(ac, op.args, "id", 1, &op.id) < 0) {
            return ac->rc;
        }
        ac->reply->object_id = op.id;

        if (apply_reach_row(ac, &op.who, op.res, op.id) != 0) {
            return ac->rc;
        }
    }

    if (op.action == HRX_RES_DELETE) {
        if (hooks->check && hooks->check(ac, &op) != 0) {
            return ac->rc;
        }
        return apply_res_delete(ac, &op);
    }

    if (apply_res_apply(ac, &op) != 0) {
        return ac->rc;
    }

    reply = json_pack("{s:I}", "id", (json_int_t) op.id);
    return apply_reply_object(ac, op.action == HRX_RES_CREATE ? 201 : 200,
                              reply);
}
