/*
 * Rows -> the JSON objects the API returns (docs/commands.md, "Objects as
 * returned").  Each returns a new reference, or NULL when out of memory.
 */
#ifndef HRX_SCHED_RENDER_H
#define HRX_SCHED_RENDER_H

#include <jansson.h>
#include "store.h"

json_t *render_tenant(const store_tenant_t *t);
json_t *render_user(const store_user_t *u);
json_t *render_token(const store_token_t *t);

/* a role's permission list (stored JSON text) as an array; [] if broken */
json_t *render_permissions(const char *stored);

#endif /* HRX_SCHED_RENDER_H */
