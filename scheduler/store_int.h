/*
 * The store's inside, for the files that make up the store with store.c
 * (store_resource.c, store_bulk.c, store_outbox.c, store_line.c,
 * store_line_link.c, store_message.c): the connection, the error slots,
 * and the statement cache and step helpers they share.  Nothing outside
 * the store includes this.
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
    STORE_CACHE_WHATSAPP,          /* store_whatsapp.c */
    STORE_CACHE_MAX
} store_cache_e;

void **store_int_cache(store_t *st, store_cache_e which);

/* store_resource.c's statements are shaped by the descriptors; it keeps
 * its own cache in its slot and finalizes it here (store_close) */
void store_res_close(store_t *st);

/*
 * The other files write their statements out in a table, sql[0..n-1],
 * and take statement id from their slot: prepared on first use with
 * SQLITE_PREPARE_PERSISTENT and kept until store_close.  NULL when it
 * cannot be prepared (the error is recorded).
 */
sqlite3_stmt *store_int_stmt(store_t *st, store_cache_e which,
    const char *const *sql, size_t n, size_t id);

/* after use: reset and clear the bindings (no cursor stays open) */
void store_int_done(sqlite3_stmt *stmt);
/* step to the end, then done: STORE_OK, STORE_CONFLICT (a constraint
 * failed), STORE_ERROR (recorded for what) */
int store_int_exec(store_t *st, sqlite3_stmt *stmt, const char *what);
/* step to the first row: STORE_OK (read it, then store_int_done),
 * STORE_NOTFOUND or STORE_ERROR (both already done) */
int store_int_row(store_t *st, sqlite3_stmt *stmt, const char *what);

/* bind an id (> 0) or NULL; a text or NULL (SQLITE_STATIC: the text must
 * outlive the step) */
void store_int_bind_id(sqlite3_stmt *stmt, int i, int64_t v);
void store_int_bind_text(sqlite3_stmt *stmt, int i, const char *s);
/* text column i into buf ("" for NULL); -1 when it does not fit, never
 * cut silently */
int store_int_column_copy(sqlite3_stmt *stmt, int i, char *buf,
    size_t size);

#endif /* HRX_SCHED_STORE_INT_H */
