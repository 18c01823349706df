/*
 * Tests of hrx_prepare() (shm/hrx_prepare.c): with HRX_SQL_LOG set before
 * the first call, each distinct text that prepared is in the file once,
 * NUL-terminated, however often it is prepared and from however many
 * threads; a text that does not prepare is not recorded, and the
 * statement is the one sqlite3_prepare_v3 makes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "hrx_prepare.h"

#define THREADS  4
#define TEXTS    300

/* a mkstemp() template: the X are replaced by the file made at setup */
static char  log_path[] = "/tmp/hrx-test-prepare-XXXXXX";


static void
prepare_many(sqlite3 *db, int rounds)
{
    sqlite3_stmt  *st;
    char           sql[64];
    int            i, r;

    for (r = 0; r < rounds; r++) {
        for (i = 0; i < TEXTS; i++) {
            snprintf(sql, sizeof(sql), "SELECT %d", i);
            assert_int_equal(hrx_prepare(db, sql, 0, &st), SQLITE_OK);
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            assert_int_equal(sqlite3_column_int(st, 0), i);
            sqlite3_finalize(st);
        }
    }
}


static void *
thread_main(void *arg)
{
    sqlite3  *db;

    (void) arg;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    prepare_many(db, 3);
    sqlite3_close(db);
    return NULL;
}


/* the records of the log: count them, check each is "SELECT <n>" */
static int
log_records(int *seen)
{
    FILE    *f;
    char     buf[64];
    size_t   len;
    int      c, n, v;

    f = fopen(log_path, "rb");
    assert_non_null(f);
    n = 0;
    len = 0;
    while ((c = fgetc(f)) != EOF) {
        if (c != '\0') {
            assert_true(len < sizeof(buf) - 1);
            buf[len++] = (char) c;
            continue;
        }
        buf[len] = '\0';
        len = 0;
        n++;
        if (strcmp(buf, "SELECT x FROM nowhere") == 0) {
            fail_msg("a statement that did not prepare was recorded");
        }
        if (strcmp(buf, "PRAGMA user_version") == 0) {
            continue;
        }
        assert_int_equal(sscanf(buf, "SELECT %d", &v), 1);
        assert_true(v >= 0 && v < TEXTS);
        seen[v]++;
    }
    assert_int_equal(len, 0);           /* no record without its NUL */
    fclose(f);
    return n;
}


static void
test_prepare_records_each_text_once(void **state)
{
    pthread_t      t[THREADS];
    sqlite3       *db;
    sqlite3_stmt  *st;
    int            seen[TEXTS], i;

    (void) state;

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);

    st = NULL;
    assert_int_not_equal(hrx_prepare(db, "SELECT x FROM nowhere", 0, &st),
                         SQLITE_OK);
    assert_null(st);

    assert_int_equal(hrx_prepare(db, "PRAGMA user_version",
                                 SQLITE_PREPARE_PERSISTENT, &st),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    sqlite3_finalize(st);

    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, NULL), 0);
    }
    prepare_many(db, 2);
    for (i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    sqlite3_close(db);

    memset(seen, 0, sizeof(seen));
    assert_int_equal(log_records(seen), TEXTS + 1);
    for (i = 0; i < TEXTS; i++) {
        assert_int_equal(seen[i], 1);
    }
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_records_each_text_once),
    };
    int  fd, rc;

    /* before the first hrx_prepare(): the process reads it once */
    fd = mkstemp(log_path);
    if (fd < 0) {
        return 1;
    }
    close(fd);
    setenv("HRX_SQL_LOG", log_path, 1);

    rc = cmocka_run_group_tests_name("prepare", tests, NULL, NULL);
    unlink(log_path);
    return rc;
}
