/*
 * Saved searches: what the descriptor does not say (a hook of
 * apply_resource.c).
 *
 * The condition's grammar is checked with the args (the descriptor's
 * .check is the search compiler, shm/hrx_checks.c), the same check the
 * worker ran; the ring is not trusted.  What needs the database is
 * checked here, race-free: every {"has_label": id} must name a label of
 * the tenant, else 400 invalid_value naming the node
 * ("condition.all[1].has_label").  A label deleted later does not make
 * the stored search invalid: it then matches nobody.
 */
#include <stdio.h>

#include "hrx_checks.h"
#include "apply_reach.h"
#include "apply_resource.h"

typedef struct {
    apply_ctx_t           *ac;
    const apply_res_op_t  *op;
} apply_label_check_t;

static int
apply_label_exists(void *data, int64_t id, const char *path)
{
    apply_label_check_t  *lc = data;
    int                   rc, reached;

    rc = store_res_reach(lc->ac->st, hrx_res(HRX_RES_LABEL), &lc->op->who, id,
                         &reached);
    if (rc == STORE_NOTFOUND) {
        apply_reject(lc->ac, 400, "invalid_value", path,
                     "\"%s\": the tenant has no label %lld", path,
                     (long long) id);
        return -1;
    }
    if (rc != STORE_OK) {
        apply_store_unexpected(lc->ac, rc);
        return -1;
    }
    return 0;
}

int
apply_saved_search_check(apply_ctx_t *ac, const apply_res_op_t *op)
{
    apply_label_check_t  lc;
    const json_t        *cond;

    if (op->action == HRX_RES_DELETE) {
        return 0;
    }

    cond = json_object_get(op->args, "condition");
    if (cond == NULL || json_is_null(cond)) {
        return 0;
    }

    lc.ac = ac;
    lc.op = op;
    return hrx_condition_labels(cond, apply_label_exists, &lc) == 0 ? 0 : -1;
}
