/*
 * --backup DEST and --restore SRC.
 *
 * The state of an install is two files: hrx.db and master.key (without
 * the key, every sealed secret in the database is lost).  Logs, outbox/
 * (the file transport's output) and tmp/ are not state.
 *
 * A backup runs beside the scheduler, from another process, and never
 * takes the data directory's lock.  It copies the database with SQLite's
 * online backup API in a single step: one read transaction, so the copy
 * is the database as of one commit, and (WAL) the scheduler keeps
 * committing meanwhile.  Stepping page by page instead would restart
 * whenever the scheduler commits, which under load could be forever.
 * Everything acknowledged before the backup's read transaction began is
 * in the copy; the copy is checked (quick_check) and synced before the
 * command says it is done.
 *
 * A restore makes a data directory from a backup: only onto a directory
 * without a database or key (it never overwrites an install), and it
 * takes the lock so no scheduler starts on it halfway.  The scheduler
 * then migrates the copy if it is from an older version, as it would the
 * original.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "hrx_crypto.h"
#include "backup.h"
#include "datadir.h"

#define BACKUP_PATH_MAX  4096

static int
backup_fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "hrx-scheduler: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 1;
}

static int
backup_fsync_path(const char *path, int flags)
{
    int  fd, rc;

    fd = open(path, flags | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* sqlite3_exec callback: the first column of the first row */
static int
backup_first_row(void *ctx, int ncols, char **values, char **names)
{
    char  *out = ctx;

    (void) names;
    if (out[0] == '\0' && ncols > 0 && values[0] != NULL) {
        snprintf(out, 256, "%s", values[0]);
    }
    return 0;
}

/* the whole database src into a new file dst, as of one read transaction */
static int
backup_copy_db(const char *src, const char *dst)
{
    sqlite3         *from = NULL, *to = NULL;
    sqlite3_backup  *b;
    char             verdict[256];
    int              rc = 1, step;

    if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        backup_fail("cannot open %s: %s", src, sqlite3_errmsg(from));
        goto done;
    }
    /* the scheduler's checkpoints hold the write lock only briefly */
    sqlite3_busy_timeout(from, 10000);
    if (sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK)
    {
        backup_fail("cannot create %s: %s", dst, sqlite3_errmsg(to));
        goto done;
    }
    b = sqlite3_backup_init(to, "main", from, "main");
    if (b == NULL) {
        backup_fail("cannot back up %s: %s", src, sqlite3_errmsg(to));
        goto done;
    }
    step = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (step != SQLITE_DONE) {
        backup_fail("backup of %s failed: %s", src, sqlite3_errstr(step));
        goto done;
    }
    verdict[0] = '\0';
    if (sqlite3_exec(to, "PRAGMA quick_check", backup_first_row, verdict,
                     NULL) != SQLITE_OK
        || strcmp(verdict, "ok") != 0)
    {
        backup_fail("the copy %s fails its check: %s", dst,
                    verdict[0] ? verdict : sqlite3_errmsg(to));
        goto done;
    }
    rc = 0;

done:
    sqlite3_close(to);
    sqlite3_close(from);
    if (rc == 0 && backup_fsync_path(dst, O_RDONLY) != 0) {
        rc = backup_fail("cannot sync %s: %s", dst, strerror(errno));
    }
    return rc;
}

/* the master key, checked, into a new 0600 file */
static int
backup_copy_key(const char *src, const char *dst)
{
    uint8_t  key[HRX_KEY_SIZE];
    char     err[256];
    char     buf[512];
    ssize_t  n;
    int      in, out, rc = 1;

    if (hrx_master_key_load(src, key, err, sizeof(err)) != 0) {
        return backup_fail("%s%s", err, "");
    }
    OPENSSL_cleanse(key, sizeof(key));

    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in == -1) {
        return backup_fail("cannot read %s: %s", src, strerror(errno));
    }
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out == -1) {
        close(in);
        return backup_fail("cannot create %s: %s", dst, strerror(errno));
    }
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        if (write(out, buf, (size_t) n) != n) {
            n = -1;
            break;
        }
    }
    if (n == 0 && fsync(out) == 0) {
        rc = 0;
    } else {
        backup_fail("cannot copy %s: %s", src, strerror(errno));
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    close(in);
    close(out);
    return rc;
}

/* a directory to write into: created 0700, or existing and empty */
static int
backup_empty_dir(const char *dir)
{
    char  path[BACKUP_PATH_MAX];

    if (mkdir(dir, 0700) == 0) {
        return 0;
    }
    if (errno != EEXIST) {
        return backup_fail("cannot create %s: %s", dir, strerror(errno));
    }
    if (datadir_path(path, sizeof(path), dir, DATADIR_DB) != 0) {
        return 1;
    }
    if (access(path, F_OK) == 0) {
        return backup_fail("%s already holds %s: nothing is overwritten", dir,
                           DATADIR_DB);
    }
    if (datadir_path(path, sizeof(path), dir, HRX_MASTER_KEY_FILE) != 0) {
        return 1;
    }
    if (access(path, F_OK) == 0) {
        return backup_fail("%s already holds %s: nothing is overwritten", dir,
                           HRX_MASTER_KEY_FILE);
    }
    return 0;
}

static int
backup_copy_state(const char *from_dir, const char *to_dir)
{
    char  src[BACKUP_PATH_MAX], dst[BACKUP_PATH_MAX];

    if (datadir_path(src, sizeof(src), from_dir, HRX_MASTER_KEY_FILE) != 0
        || datadir_path(dst, sizeof(dst), to_dir, HRX_MASTER_KEY_FILE) != 0
        || backup_copy_key(src, dst) != 0)
    {
        return 1;
    }
    if (datadir_path(src, sizeof(src), from_dir, DATADIR_DB) != 0
        || datadir_path(dst, sizeof(dst), to_dir, DATADIR_DB) != 0)
    {
        return 1;
    }
    if (access(src, R_OK) != 0) {
        return backup_fail("%s: %s", src, strerror(errno));
    }
    if (backup_copy_db(src, dst) != 0) {
        unlink(dst);
        return 1;
    }
    if (backup_fsync_path(to_dir, O_RDONLY | O_DIRECTORY) != 0) {
        return backup_fail("cannot sync %s: %s", to_dir, strerror(errno));
    }
    return 0;
}

int
backup_make(const char *data_dir, const char *dest)
{
    if (backup_empty_dir(dest) != 0 || backup_copy_state(data_dir, dest) != 0)
    {
        return 1;
    }
    printf("backup of %s written to %s (%s, %s)\n", data_dir, dest,
           DATADIR_DB, HRX_MASTER_KEY_FILE);
    return 0;
}

int
backup_restore(const char *src, const char *data_dir)
{
    static const char *const  subdirs[] = {
        DATADIR_LOGS, DATADIR_OUTBOX, DATADIR_TMP
    };
    char  path[BACKUP_PATH_MAX];
    int   lock_fd;

    if (backup_empty_dir(data_dir) != 0) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        if (datadir_path(path, sizeof(path), data_dir, subdirs[i]) != 0
            || datadir_mkdir(path) != 0)
        {
            return 1;
        }
    }
    lock_fd = datadir_lock(data_dir);
    if (lock_fd == -1) {
        return 1;
    }
    if (backup_copy_state(src, data_dir) != 0) {
        close(lock_fd);
        return 1;
    }
    close(lock_fd);
    printf("%s restored from %s: start hrx-scheduler --data-dir %s\n",
           data_dir, src, data_dir);
    return 0;
}
