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
/* a slot per file of the store for its statements, NULL at first */
typedef enum {
    STORE_CACHE_RESOURCE = 0,      /* store_resource.c */
    STORE_CACHE_BULK,              /* store_bulk.c */
    STORE_CACHE_OUTBOX,            /* store_outbox.c */
    STORE_CACHE_LINE_LINK,         /* store_line_link.c */
    STORE_CACHE_MESSAGE,           /* store_message.c */
    STORE_CACHE_LINE,              /* store_line.c */
    STORE_CACHE_MAX
} store_cache_e;

void **store_int_cache(store_t *st, store_cache_e which);

/* each file's finalizer of its statements (store_close calls them) */
void store_res_close(store_t *st);
void store_bulk_close(store_t *st);
void store_outbox_close(store_t *st);
void store_line_close(store_t *st);
void store_message_close(store_t *st);
void store_line_link_close(store_t *st);

#endif /* HRX_SCHED_STORE_INT_H */
