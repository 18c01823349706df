/*
 * hrx-sql-dump: every statement the resource descriptors make
 * (hrx_res_sql() of shm/hrx_resource.c, for every resource, kind and
 * field or dep, as the generic code uses them: a resource without a path
 * is only a reference target), each followed by a NUL, on stdout.  The
 * query-plan test (test_query_plans.py) checks them alongside the
 * statements the two processes were seen to prepare, so a descriptor's
 * statement that no test happens to run is checked too.
 */
#include <stdio.h>
#include <string.h>

#include "hrx_resource.h"

int
main(void)
{
    static char  sql[HRX_SQL_SIZE];
    unsigned     r, k, aux;

    for (r = 0; r < HRX_RES_MAX; r++) {
        for (k = 0; k < HRX_SQL_MAX; k++) {
            if (k == HRX_SQL_OBJECT) {
                continue;       /* an expression, not a statement */
            }
            if (hrx_res(r)->path == NULL && k != HRX_SQL_REACH) {
                continue;       /* only a reference target: looked up */
            }
            for (aux = 0; aux < HRX_RES_AUX_MAX; aux++) {
                if (hrx_res_sql(hrx_res(r), (hrx_sql_e) k, aux, sql,
                                sizeof(sql))
                    == 0)
                {
                    fwrite(sql, 1, strlen(sql) + 1, stdout);
                }
            }
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
