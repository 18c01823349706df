/*
 * The store's inside, for the files that make up the store with store.c
 * (store_resource.c): the connection and the error slots.  Nothing
 * outside the store includes this.
 */
#ifndef HRX_SCHED_STORE_INT_H
#define HRX_SCHED_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

sqlite3 *store_int_db(store_t *st);
/* record SQLite's error rc for what (store_errmsg, store_db_failed) */
void store_int_error(store_t *st, int rc, const char *what);
/* a slot for store_resource.c's statements, NULL at first */
void **store_int_cache(store_t *st);

/* store_resource.c: finalize its statements (store_close) */
void store_res_close(store_t *st);

#endif /* HRX_SCHED_STORE_INT_H */
