/*
 * The generic apply of the resources of shm/hrx_resource.h (label.create,
 * event.update, role.delete ...) and the hooks of the resources that need
 * more than their descriptor.  See apply_resource.c.
 */
#ifndef HRX_SCHED_APPLY_RESOURCE_H
#define HRX_SCHED_APPLY_RESOURCE_H

#include <stdint.h>
#include <jansson.h>

#include "hrx_resource.h"
#include "apply.h"
#include "store_resource.h"

/* the object_type of a resource op ("label" for "label.create"), or
 * NULL when op is not one */
const char *apply_resource_type(const char *op);

/* the handler of every resource op */
apply_rc_e apply_resource(apply_ctx_t *ac);

/* one resource command being applied, for the hooks */
typedef struct {
    const hrx_res_t  *res;
    int               action;      /* HRX_RES_CREATE, _UPDATE, _DELETE */
    int64_t           id;          /* the row (create: once written) */
    const json_t     *args;
    store_reach_t     who;
    unsigned          perms;       /* the actor's HRX_PERM_* bits */
} apply_res_op_t;

/*
 * Hooks: check runs before anything is written (update, delete: the row
 * exists and is reached), write after the row is written (create,
 * update).  0, or -1 with the reply set; everything the command wrote is
 * rolled back then.
 */
typedef int (*apply_res_hook_pt)(apply_ctx_t *ac, const apply_res_op_t *op);

typedef struct {
    apply_res_hook_pt  check;
    apply_res_hook_pt  write;
} apply_res_hooks_t;

/*
 * Steps 3 to 7 of apply_resource.c for one create or update whose op has
 * res, action, args, who, perms (and id for an update) set: the args,
 * references, unique fields, hooks, the row and its links.  0 (a create
 * sets op->id), or -1 with the reply set.  For commands that write many
 * rows at once (candidate.import).
 */
int apply_res_apply(apply_ctx_t *ac, apply_res_op_t *op);

/* apply_candidate.c: route and agent_id of the row as written */
int apply_candidate_write(apply_ctx_t *ac, const apply_res_op_t *op);

/* apply_resource_hooks.c */
int apply_role_check(apply_ctx_t *ac, const apply_res_op_t *op);
int apply_role_write(apply_ctx_t *ac, const apply_res_op_t *op);
int apply_master_group_check(apply_ctx_t *ac, const apply_res_op_t *op);
int apply_master_group_write(apply_ctx_t *ac, const apply_res_op_t *op);
int apply_event_check(apply_ctx_t *ac, const apply_res_op_t *op);
int apply_event_write(apply_ctx_t *ac, const apply_res_op_t *op);
/* apply_saved_search.c: has_label ids are labels of the tenant */
int apply_saved_search_check(apply_ctx_t *ac, const apply_res_op_t *op);

/*
 * The references of an HRX_FT_IDS field (ids, validated): each must be
 * reached by who (apply_reach_ref), then the link set is replaced.  For
 * resources and for users' master_group_ids.  0, or -1 (reply set).
 */
int apply_res_links(apply_ctx_t *ac, const store_reach_t *who,
    const hrx_res_t *res, const hrx_res_field_t *f, int64_t id,
    const json_t *ids);

/* a user may be in at most this many master groups (their ids travel in
 * every user object, which must fit a reply slot) */
#define APPLY_USER_GROUPS_MAX  100

#endif /* HRX_SCHED_APPLY_RESOURCE_H */
