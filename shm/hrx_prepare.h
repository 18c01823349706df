/*
 * The one place either process prepares an SQL statement.
 *
 * hrx_prepare() is sqlite3_prepare_v3(), plus a record of the text for the
 * query-plan test (tests/integration/test_query_plans.py): when the
 * environment variable HRX_SQL_LOG names a file, each distinct statement
 * text that prepared is appended to it once per process, followed by a
 * NUL byte.  Unset (production), it costs one pthread_once() check.
 *
 * Every prepare site goes through here, so a statement added anywhere is
 * seen by the test; the test also fails if a sqlite3_prepare call appears
 * elsewhere in the sources.  Safe from any thread (nginx's pool threads
 * prepare searches and imports).
 */
#ifndef HRX_PREPARE_H
#define HRX_PREPARE_H

#include <sqlite3.h>

/* sqlite3_prepare_v3(db, sql, -1, flags, stmt, NULL): its result */
int hrx_prepare(sqlite3 *db, const char *sql, unsigned flags,
    sqlite3_stmt **stmt);

#endif /* HRX_PREPARE_H */
