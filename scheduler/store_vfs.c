/*
 * A VFS shim that gathers the writes SQLite makes to the WAL file.
 *
 * SQLite appends a commit to the WAL one frame at a time, and each frame
 * as two writes: its 24-byte header, then the page.  A batch of commands
 * that dirties 60 pages is 120 pwrite() calls before the fsync, and on a
 * virtual machine a system call costs microseconds of its own: profiles
 * of the durable path (docs/performance.md) showed the scheduler spending
 * a fifth of its time in pwrite.  This shim keeps the writes that follow
 * each other in one buffer and hands them to the kernel in a few large
 * pwrites, at the latest when SQLite syncs the file.
 *
 * Why that changes nothing SQLite relies on.  A write that has returned
 * is durable only after xSync; until then a crash may lose it whether it
 * sat in our buffer or in the kernel's page cache, and SQLite's recovery
 * (frame checksums, the salt, the commit frame) already treats a torn
 * tail as never written.  Other connections read WAL frames only up to
 * the wal-index header's mxFrame, which the writer publishes after the
 * commit's xSync -- with synchronous=FULL, which the store always sets
 * (store.c refuses to run otherwise).  This connection's own reads, a
 * truncate, a size query, a lock change or a close first write the
 * buffer out, so every other method sees the file as if nothing had been
 * held back.
 *
 * Only the WAL is wrapped; the database file and everything else open
 * straight into the real VFS's structure (the shim's szOsFile is at least
 * the real one's), at no cost at all.
 */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_vfs.h"

/*
 * SQLite's unix VFS writes at most 128 KiB - 1 in one call (it masks the
 * length with 0x1ffff and reports a shorter write as a full disk), so a
 * buffer holds 30 frames of 4 KiB pages; a bigger commit is a few writes.
 */
#define STORE_VFS_BUFFER  (124u * 1024)

typedef struct {
    sqlite3_file    base;          /* methods: store_vfs_wal_methods */
    unsigned char  *buf;
    sqlite3_int64   buf_off;       /* file offset of buf[0] */
    size_t          buf_len;
    sqlite3_file   *real;          /* right after this struct */
} store_vfs_file_t;

static sqlite3_vfs  store_vfs;
static sqlite3_vfs *store_vfs_real;

/* -------------------------------------------------------------------- */
/* the buffer */

static int
store_vfs_flush(store_vfs_file_t *f)
{
    int  rc;

    if (f->buf_len == 0) {
        return SQLITE_OK;
    }
    rc = f->real->pMethods->xWrite(f->real, f->buf, (int) f->buf_len,
                                   f->buf_off);
    /* a failed write is SQLite's to report; the bytes are not retried */
    f->buf_len = 0;
    return rc;
}

static int
store_vfs_write(sqlite3_file *file, const void *data, int amt,
    sqlite3_int64 off)
{
    store_vfs_file_t  *f = (store_vfs_file_t *) file;
    int                rc;

    if (f->buf_len > 0
        && (off != f->buf_off + (sqlite3_int64) f->buf_len
            || f->buf_len + (size_t) amt > STORE_VFS_BUFFER))
    {
        rc = store_vfs_flush(f);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }

    if ((size_t) amt > STORE_VFS_BUFFER) {
        return f->real->pMethods->xWrite(f->real, data, amt, off);
    }

    if (f->buf_len == 0) {
        f->buf_off = off;
    }
    memcpy(f->buf + f->buf_len, data, (size_t) amt);
    f->buf_len += (size_t) amt;
    return SQLITE_OK;
}

/* -------------------------------------------------------------------- */
/* the other methods: write the buffer out, then do what the real does */

#define STORE_VFS_FLUSHED(call)                                              \
    store_vfs_file_t  *f = (store_vfs_file_t *) file;                        \
    int                rc = store_vfs_flush(f);                              \
    if (rc != SQLITE_OK) {                                                   \
        return rc;                                                           \
    }                                                                        \
    return f->real->pMethods->call

static int
store_vfs_close(sqlite3_file *file)
{
    store_vfs_file_t  *f = (store_vfs_file_t *) file;
    int                rc, rc2;

    rc = store_vfs_flush(f);
    rc2 = f->real->pMethods->xClose(f->real);
    sqlite3_free(f->buf);
    f->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int
store_vfs_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
    STORE_VFS_FLUSHED(xRead(f->real, data, amt, off));
}

static int
store_vfs_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    STORE_VFS_FLUSHED(xTruncate(f->real, size));
}

static int
store_vfs_sync(sqlite3_file *file, int flags)
{
    STORE_VFS_FLUSHED(xSync(f->real, flags));
}

static int
store_vfs_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    STORE_VFS_FLUSHED(xFileSize(f->real, size));
}

static int
store_vfs_lock(sqlite3_file *file, int level)
{
    STORE_VFS_FLUSHED(xLock(f->real, level));
}

static int
store_vfs_unlock(sqlite3_file *file, int level)
{
    STORE_VFS_FLUSHED(xUnlock(f->real, level));
}

static int
store_vfs_file_control(sqlite3_file *file, int op, void *arg)
{
    STORE_VFS_FLUSHED(xFileControl(f->real, op, arg));
}

static int
store_vfs_check_reserved_lock(sqlite3_file *file, int *out)
{
    store_vfs_file_t  *f = (store_vfs_file_t *) file;

    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
store_vfs_sector_size(sqlite3_file *file)
{
    store_vfs_file_t  *f = (store_vfs_file_t *) file;

    return f->real->pMethods->xSectorSize(f->real);
}

static int
store_vfs_device_characteristics(sqlite3_file *file)
{
    store_vfs_file_t  *f = (store_vfs_file_t *) file;

    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/*
 * A WAL file has no shared memory or memory map of its own (those belong
 * to the database file), so version 1 of the methods is all it needs.
 */
static const sqlite3_io_methods  store_vfs_wal_methods = {
    1,
    store_vfs_close,
    store_vfs_read,
    store_vfs_write,
    store_vfs_truncate,
    store_vfs_sync,
    store_vfs_file_size,
    store_vfs_lock,
    store_vfs_unlock,
    store_vfs_check_reserved_lock,
    store_vfs_file_control,
    store_vfs_sector_size,
    store_vfs_device_characteristics,
    NULL, NULL, NULL, NULL, NULL, NULL
};

/* -------------------------------------------------------------------- */
/* the VFS */

static int
store_vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
    int flags, int *out_flags)
{
    store_vfs_file_t  *f;
    int                rc;

    (void) vfs;

    if (!(flags & SQLITE_OPEN_WAL)) {
        /* everything but the WAL: the real file, in place */
        return store_vfs_real->xOpen(store_vfs_real, name, file, flags,
                                     out_flags);
    }

    f = (store_vfs_file_t *) file;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *) (f + 1);

    f->buf = sqlite3_malloc(STORE_VFS_BUFFER);
    if (f->buf == NULL) {
        return SQLITE_NOMEM;
    }

    rc = store_vfs_real->xOpen(store_vfs_real, name, f->real, flags,
                               out_flags);
    if (rc != SQLITE_OK) {
        sqlite3_free(f->buf);
        f->buf = NULL;
        return rc;            /* base.pMethods NULL: SQLite won't close */
    }
    f->base.pMethods = &store_vfs_wal_methods;
    return SQLITE_OK;
}

/* the rest of the VFS is the real one's */

static int
store_vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void) vfs;
    return store_vfs_real->xDelete(store_vfs_real, name, sync_dir);
}

static int
store_vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void) vfs;
    return store_vfs_real->xAccess(store_vfs_real, name, flags, out);
}

static int
store_vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n,
    char *out)
{
    (void) vfs;
    return store_vfs_real->xFullPathname(store_vfs_real, name, n, out);
}

static void *
store_vfs_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void) vfs;
    return store_vfs_real->xDlOpen(store_vfs_real, name);
}

static void
store_vfs_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
    (void) vfs;
    store_vfs_real->xDlError(store_vfs_real, n, msg);
}

static void
(*store_vfs_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void) vfs;
    return store_vfs_real->xDlSym(store_vfs_real, h, sym);
}

static void
store_vfs_dl_close(sqlite3_vfs *vfs, void *h)
{
    (void) vfs;
    store_vfs_real->xDlClose(store_vfs_real, h);
}

static int
store_vfs_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void) vfs;
    return store_vfs_real->xRandomness(store_vfs_real, n, out);
}

static int
store_vfs_sleep(sqlite3_vfs *vfs, int us)
{
    (void) vfs;
    return store_vfs_real->xSleep(store_vfs_real, us);
}

static int
store_vfs_current_time(sqlite3_vfs *vfs, double *t)
{
    (void) vfs;
    return store_vfs_real->xCurrentTime(store_vfs_real, t);
}

static int
store_vfs_get_last_error(sqlite3_vfs *vfs, int n, char *msg)
{
    (void) vfs;
    return store_vfs_real->xGetLastError(store_vfs_real, n, msg);
}

static int
store_vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *t)
{
    (void) vfs;
    return store_vfs_real->xCurrentTimeInt64(store_vfs_real, t);
}

const char *
store_vfs_register(void)
{
    sqlite3_vfs  *real;
    int           sz;

    if (store_vfs_real != NULL) {
        return STORE_VFS_NAME;
    }

    real = sqlite3_vfs_find(NULL);
    if (real == NULL || real->iVersion < 2) {
        return NULL;
    }

    sz = (int) sizeof(store_vfs_file_t) + real->szOsFile;
    if (sz < real->szOsFile) {
        return NULL;
    }

    store_vfs.iVersion = 2;
    store_vfs.szOsFile = sz;
    store_vfs.mxPathname = real->mxPathname;
    store_vfs.zName = STORE_VFS_NAME;
    store_vfs.xOpen = store_vfs_open;
    store_vfs.xDelete = store_vfs_delete;
    store_vfs.xAccess = store_vfs_access;
    store_vfs.xFullPathname = store_vfs_full_pathname;
    store_vfs.xDlOpen = store_vfs_dl_open;
    store_vfs.xDlError = store_vfs_dl_error;
    store_vfs.xDlSym = store_vfs_dl_sym;
    store_vfs.xDlClose = store_vfs_dl_close;
    store_vfs.xRandomness = store_vfs_randomness;
    store_vfs.xSleep = store_vfs_sleep;
    store_vfs.xCurrentTime = store_vfs_current_time;
    store_vfs.xGetLastError = store_vfs_get_last_error;
    store_vfs.xCurrentTimeInt64 = store_vfs_current_time_int64;

    store_vfs_real = real;
    if (sqlite3_vfs_register(&store_vfs, 0) != SQLITE_OK) {
        store_vfs_real = NULL;
        return NULL;
    }
    return STORE_VFS_NAME;
}
