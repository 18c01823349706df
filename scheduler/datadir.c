/*
 * The data directory and its lock.
 *
 * Everything hrx keeps lives under one directory: hrx.db (+ -wal, -shm),
 * hrx.shm, master.key, logs/, outbox/, tmp/.  The scheduler is the only
 * writer of the database, and the whole design (one transaction per batch,
 * the applied ring position stored with it) assumes there is exactly one.
 * Two schedulers on one directory would apply the same records twice.
 *
 * So the scheduler, in both run and --init mode, takes an exclusive
 * flock(2) on <dir>/scheduler.lock before it opens anything else, and
 * keeps the descriptor open until it exits.  flock rather than a pid file
 * alone: the kernel drops the lock when the process dies, however it
 * dies, so a stale file never blocks a restart and a live scheduler is
 * never mistaken for a dead one.  The pid written into the file is only
 * for the message that tells the operator who holds it.  The file is never
 * unlinked: removing it while another process waits on the old inode
 * would let two processes each hold "the" lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datadir.h"
#include "log.h"

int
datadir_path(char *out, size_t size, const char *dir, const char *name)
{
    int  n;

    n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t) n >= size) {
        log_tell("path too long: %s/%s", dir, name);
        return -1;
    }
    return 0;
}

int
datadir_mkdir(const char *path)
{
    struct stat  sb;

    if (mkdir(path, 0700) == 0) {
        return 0;
    }
    if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        return 0;
    }
    log_tell("cannot create directory %s: %s", path,
             errno == EEXIST ? "a file of that name exists" : strerror(errno));
    return -1;
}

int
datadir_lock(const char *dir)
{
    char     path[4096], buf[32];
    ssize_t  n;
    int      fd;

    if (datadir_path(path, sizeof(path), dir, DATADIR_LOCK) != 0) {
        return -1;
    }

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1) {
        log_tell("cannot open %s: %s", path, strerror(errno));
        return -1;
    }

    if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
        if (errno == EWOULDBLOCK) {
            n = pread(fd, buf, sizeof(buf) - 1, 0);
            buf[n > 0 ? n : 0] = '\0';
            log_tell("another scheduler (pid %ld) is running on %s",
                     strtol(buf, NULL, 10), dir);
        } else {
            log_tell("cannot lock %s: %s", path, strerror(errno));
        }
        close(fd);
        return -1;
    }

    n = snprintf(buf, sizeof(buf), "%ld\n", (long) getpid());
    if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, n, 0) != n) {
        log_tell("cannot write %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }

    return fd;
}
