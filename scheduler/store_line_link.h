/*
 * The store, for LINE friend registration (docs/line.md, "Friend
 * registration", LN-3…LN-5): the login states used once, the candidate's
 * link, and whether the tenant's LINE is connected (for the links in
 * mail).  Same return codes and rules as store.h.
 */
#ifndef HRX_SCHED_STORE_LINE_LINK_H
#define HRX_SCHED_STORE_LINE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_LINE_USER_SIZE  80      /* a LINE user id, NUL included */

/* *connected 1 when the tenant has line_settings in state connected,
 * else 0 (none stored counts as not connected): STORE_OK, STORE_ERROR */
int store_line_link_connected(store_t *st, int64_t tenant_id,
    int *connected);

/* records a login state's nonce as used: STORE_OK, STORE_CONFLICT (used
 * before), STORE_ERROR */
int store_line_link_use_state(store_t *st, const char *nonce,
    int64_t tenant_id, int64_t candidate_id, int64_t now);

/* the candidate's LINE user id ("" when not linked): STORE_OK,
 * STORE_NOTFOUND (no such candidate in the tenant), STORE_ERROR */
int store_line_link_candidate(store_t *st, int64_t tenant_id,
    int64_t candidate_id, char line_user_id[STORE_LINE_USER_SIZE]);

/* the candidate of the tenant linked to line_user_id: STORE_OK with *id,
 * STORE_NOTFOUND, STORE_ERROR */
int store_line_link_holder(store_t *st, int64_t tenant_id,
    const char *line_user_id, int64_t *candidate_id);

/* links an unlinked candidate: STORE_OK, STORE_NOTFOUND (gone or linked
 * meanwhile), STORE_CONFLICT (the LINE user holds another candidate),
 * STORE_ERROR */
int store_line_link_set(store_t *st, int64_t tenant_id,
    int64_t candidate_id, const char *line_user_id, int64_t now);

#endif /* HRX_SCHED_STORE_LINE_LINK_H */
