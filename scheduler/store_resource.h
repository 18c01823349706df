/*
 * The store, for the resources of shm/hrx_resource.h: statements made
 * from the descriptors (hrx_res_sql()) and the few written out for what
 * the descriptors do not say (grants, event dates).  Same return codes
 * as store.h; same rule: values are bound, never formatted into SQL.
 */
#ifndef HRX_SCHED_STORE_RESOURCE_H
#define HRX_SCHED_STORE_RESOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "hrx_resource.h"
#include "store.h"

/* who asks, for the reach expressions (:tenant :actor :admin
 * :operate_other, see hrx_sql_reach()) */
typedef struct {
    int64_t  tenant_id;
    int64_t  user_id;          /* 0: the system */
    int      admin;            /* reaches everything */
    int      operate_other;    /* operates on every candidate */
} store_reach_t;

typedef struct {
    int64_t  id;
    int64_t  registered;
} store_event_date_t;

/* row id of res in who's tenant: STORE_OK and *reached 0/1, or
 * STORE_NOTFOUND when the tenant has no such row */
int store_res_reach(store_t *st, const hrx_res_t *res,
    const store_reach_t *who, int64_t id, int *reached);
/* 1 when another row (not except_id) of the tenant has value in f */
int store_res_taken(store_t *st, const hrx_res_t *res,
    const hrx_res_field_t *f, int64_t tenant_id, const char *value,
    int64_t except_id);

/* the columns of res from args (validated by hrx_res_validate); an
 * update writes only the members present.  STORE_CONFLICT: UNIQUE */
int store_res_insert(store_t *st, const hrx_res_t *res, int64_t tenant_id,
    const json_t *args, int64_t at, int64_t by, int64_t *id);
int store_res_update(store_t *st, const hrx_res_t *res, int64_t tenant_id,
    int64_t id, const json_t *args, int64_t at, int64_t by);
/* STORE_CONFLICT: a foreign key still points at the row */
int store_res_delete(store_t *st, const hrx_res_t *res, int64_t tenant_id,
    int64_t id);
/* rows of res->deps[dep] that use row id */
int store_res_dep_count(store_t *st, const hrx_res_t *res, unsigned dep,
    int64_t id, int64_t *n);
/* master group grants on row id (it is being deleted) */
int store_res_ungrant(store_t *st, const hrx_res_t *res, int64_t id);

/* the link set of an HRX_FT_IDS field: replace (ids NULL: clear; links
 * that stay are kept, new ones made at at; fresh: row id was just made,
 * it has none); read as JSON text (malloc()ed, the caller frees) */
int store_res_links_set(store_t *st, const hrx_res_t *res,
    const hrx_res_field_t *f, int64_t id, const json_t *ids, int64_t at,
    int fresh);
int store_res_links_get(store_t *st, const hrx_res_t *res,
    const hrx_res_field_t *f, int64_t id, char **json);

/* master groups: replace the grants ([{"type","id"}], validated); a
 * member of group_id in more than max groups (STORE_OK, *user_id) */
int store_grants_set(store_t *st, int64_t group_id, const json_t *grants);
int store_group_overfull(store_t *st, int64_t group_id, int64_t max,
    int64_t *user_id);

/* event dates */
int store_event_dates(store_t *st, int64_t event_id,
    store_event_date_t *out, size_t max, size_t *n);
int store_event_date_insert(store_t *st, int64_t event_id, int64_t starts,
    int64_t ends, int64_t capacity);
int store_event_date_update(store_t *st, int64_t event_id, int64_t id,
    int64_t starts, int64_t ends, int64_t capacity);
int store_event_date_delete(store_t *st, int64_t event_id, int64_t id);

/* a candidate's route is "agent" (*agent), it has an agent_id */
int store_candidate_route(store_t *st, int64_t tenant_id, int64_t id,
    int *agent, int *has_agent);

#endif /* HRX_SCHED_STORE_RESOURCE_H */
