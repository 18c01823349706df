/*
 * The saved-search compiler (shm/hrx_search.c) on conditions as a tenant
 * admin can send them.  A condition it accepts must compile to SQL that
 * SQLite prepares on the real schema with exactly the binds it declares:
 * a compiled string that does not prepare would be a 500 at every count.
 */
#include "fuzz.h"
#include <sqlite3.h>
#include "hrx_search.h"
#include "schema.h"

static sqlite3 *fuzz_db;

static void
fuzz_open_schema(void)
{
    FUZZ_CHECK(sqlite3_open(":memory:", &fuzz_db) == SQLITE_OK);
    FUZZ_CHECK(hrx_regexp_register(fuzz_db) == 0);
    for (int i = 0; i < store_migration_count; i++) {
        FUZZ_CHECK(sqlite3_exec(fuzz_db, store_migrations[i], NULL, NULL,
                                NULL) == SQLITE_OK);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t              *cond;
    hrx_search_t        *s = NULL;
    hrx_search_error_t   err;
    sqlite3_stmt        *stmt = NULL;
    char                *sql;
    int                  rc;

    if (fuzz_db == NULL) {
        fuzz_open_schema();
    }
    cond = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);
    if (cond == NULL) {
        return 0;
    }
    memset(&err, 0, sizeof(err));
    if (hrx_search_compile(cond, &s, &err) != 0) {
        FUZZ_CHECK(s == NULL);
        FUZZ_CHECK(err.code != NULL);        /* a refusal names a reason */
        json_decref(cond);
        return 0;
    }
    /* the compiled condition is a WHERE term over candidates c */
    sql = sqlite3_mprintf("SELECT count(*) FROM candidates c"
                          " WHERE c.tenant_id = ?1 AND (%s)",
                          hrx_search_sql(s));
    FUZZ_CHECK(sql != NULL);
    rc = sqlite3_prepare_v2(fuzz_db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "does not prepare: %s\n%s\n", sqlite3_errmsg(fuzz_db),
                sql);
    }
    FUZZ_CHECK(rc == SQLITE_OK);
    FUZZ_CHECK(sqlite3_bind_parameter_count(stmt)
               <= 1 + hrx_search_nbinds(s));
    FUZZ_CHECK(hrx_search_bind(s, stmt, 2) == 0);
    rc = sqlite3_step(stmt);
    FUZZ_CHECK(rc == SQLITE_ROW);            /* an empty store counts 0 */
    FUZZ_CHECK(sqlite3_column_int64(stmt, 0) == 0);

    sqlite3_finalize(stmt);
    sqlite3_free(sql);
    hrx_search_free(s);
    json_decref(cond);
    return 0;
}
