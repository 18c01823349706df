/*
 * Reach at apply time: who the actor is now, and whether it reaches the
 * rows a command names (docs/data-model.md, "Who reaches what").  For
 * every apply_*.c that references recruiting data (candidates, bulk
 * actions ...); see apply_reach.c.
 */
#ifndef HRX_SCHED_APPLY_REACH_H
#define HRX_SCHED_APPLY_REACH_H

#include <stdint.h>

#include "hrx_resource.h"
#include "apply.h"
#include "store_resource.h"

/*
 * The acting user as it is now: who (for store_res_reach() and the
 * statements of hrx_sql_reach()) and *perms (HRX_PERM_* bits; every bit
 * for the system and for platform admins).  0, or -1 with the reply set
 * (403 when the actor is gone or disabled).
 */
int apply_reach_load(apply_ctx_t *ac, store_reach_t *who, unsigned *perms);

/* 0 when perms hold perm, else -1 with 403 forbidden naming it */
int apply_reach_require(apply_ctx_t *ac, unsigned perms, unsigned perm);

/*
 * A reference from the command to row id of res (field names it in the
 * error): 0 when it exists in the tenant and who reaches it; else -1
 * with the reply set: 404 not_found when the tenant has no such row,
 * 403 forbidden when who does not reach it — except candidates, which
 * are 404 then too (their existence is not revealed).
 */
int apply_reach_ref(apply_ctx_t *ac, const store_reach_t *who,
    const hrx_res_t *res, int64_t id, const char *field);

/* the row a command changes: 0, or -1 with 404 on "id" when the tenant
 * has no such row or who does not reach it */
int apply_reach_row(apply_ctx_t *ac, const store_reach_t *who,
    const hrx_res_t *res, int64_t id);

#endif /* HRX_SCHED_APPLY_REACH_H */
