/*
 * Reach at apply time.
 *
 * The worker read the actor's permissions when the request came in, but
 * the command is applied later: a role may have lost a permission, a
 * master group a grant, a user a membership.  So everything here is read
 * again from the state the command is applied to, in its transaction,
 * and the same SQL decides as for the readers (hrx_sql_reach() and
 * hrx_sql_operate() in shm/hrx_resource.c): a user reaches an object when
 * the user has users.admin, when nobody has a grant on it, or when one of
 * the user's master groups has; a user operates on a candidate without a
 * group, on one whose group it reaches, or on any with
 * candidates.operate_other.
 *
 * What a refusal says follows the contract: a row the tenant does not
 * have is 404 (another tenant's id looks exactly like a free one), a row
 * the actor may not use is 403 naming the field that referenced it, and
 * the row a command changes is 404 when the actor does not reach it, as
 * for a reader.
 */
#include <string.h>

#include "apply_reach.h"

int
apply_reach_load(apply_ctx_t *ac, store_reach_t *who, unsigned *perms)
{
    store_user_t  actor;
    int           rc;

    memset(who, 0, sizeof(*who));
    who->tenant_id = ac->cmd->tenant_id;

    rc = apply_actor(ac, &actor);
    if (rc < 0) {
        return -1;
    }

    if (rc == 0 || actor.platform_admin) {
        *perms = HRX_PERM_ALL;               /* the system, an operator */
    } else if (actor.tenant_id == ac->cmd->tenant_id) {
        *perms = hrx_perm_bits(actor.permissions,
                               strlen(actor.permissions));
    } else {
        *perms = 0;
    }

    who->user_id = (rc == 0) ? 0 : actor.id;
    who->admin = (*perms & HRX_PERM_USERS_ADMIN) != 0;
    who->operate_other = (*perms & HRX_PERM_CANDIDATES_OPERATE_OTHER) != 0;

    return 0;
}

int
apply_reach_require(apply_ctx_t *ac, unsigned perms, unsigned perm)
{
    if ((perms & perm) == perm) {
        return 0;
    }
    apply_reject(ac, 403, "forbidden", NULL, "this needs the %s permission",
                 hrx_perm_name(perm) ? hrx_perm_name(perm) : "?");
    return -1;
}

int
apply_reach_ref(apply_ctx_t *ac, const store_reach_t *who,
    const hrx_res_t *res, int64_t id, const char *field)
{
    int  rc, reached;

    rc = store_res_reach(ac->st, res, who, id, &reached);
    if (rc == STORE_ERROR) {
        apply_store_error(ac);
        return -1;
    }

    if (rc == STORE_NOTFOUND
        || (!reached && res->id == HRX_RES_CANDIDATE))
    {
        apply_reject(ac, 404, "not_found", field,
                     "%s: no %s %lld in this tenant", field, res->name,
                     (long long) id);
        return -1;
    }

    if (!reached) {
        apply_reject(ac, 403, "forbidden", field,
                     "%s: %s %lld is outside your master groups", field,
                     res->name, (long long) id);
        return -1;
    }

    return 0;
}

int
apply_reach_row(apply_ctx_t *ac, const store_reach_t *who,
    const hrx_res_t *res, int64_t id)
{
    int  rc, reached;

    rc = store_res_reach(ac->st, res, who, id, &reached);
    if (rc == STORE_ERROR) {
        apply_store_error(ac);
        return -1;
    }
    if (rc == STORE_NOTFOUND || !reached) {
        apply_reject(ac, 404, "not_found", "id", "no such %s", res->name);
        return -1;
    }
    return 0;
}
