/*
 * Import spool files.
 *
 * An import of 100 000 rows does not fit a ring record, so the worker
 * that validated it writes the rows to a file under tmp/import/ (fsync'd,
 * a name of its own making) and the command candidate.import names the
 * file (shm/hrx_import.h).  Who removes it:
 *
 *   - the loop, after the batch holding the command is committed and
 *     before the reply is published, whatever the command's outcome: a
 *     client told "imported" never leaves a file behind;
 *   - nobody, when the batch is rolled back to be tried again: the file
 *     is read again with the same records;
 *   - the sweep, for files nobody will remove: the scheduler died
 *     between the commit and the unlink (the ring position stored with
 *     the batch means the command is never applied again, so its file is
 *     only litter), or a worker died before it sent the command.  A file
 *     is swept once it is older than HRX_IMPORT_ORPHAN_MS (an hour: far
 *     longer than any import takes to be written and applied), and only
 *     after the records that were in the ring at start were applied, so a
 *     command still waiting there never loses its file.
 *
 * Names come from the ring, which any worker can write: only a plain
 * name of the shape the workers make (hrx_import_name_valid) is ever
 * turned into a path here, so a command cannot name a file elsewhere.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hrx_import.h"
#include "datadir.h"
#include "log.h"
#include "spool.h"

static char  spool_dir[4096];

int
spool_init(const char *data_dir)
{
    char  path[4096];

    if (datadir_path(path, sizeof(path), data_dir, DATADIR_TMP) != 0
        || datadir_mkdir(path) != 0
        || datadir_path(spool_dir, sizeof(spool_dir), data_dir,
                        HRX_IMPORT_DIR) != 0
        || datadir_mkdir(spool_dir) != 0)
    {
        spool_dir[0] = '\0';
        return -1;
    }
    return 0;
}

int
spool_path(const char *name, char *out, size_t size)
{
    int  n;

    if (spool_dir[0] == '\0' || !hrx_import_name_valid(name)) {
        return -1;
    }
    n = snprintf(out, size, "%s/%s", spool_dir, name);
    return (n < 0 || (size_t) n >= size) ? -1 : 0;
}

unsigned
spool_sweep(uint64_t max_age_ms)
{
    DIR            *d;
    struct dirent  *e;
    struct stat     sb;
    char            path[4096 + 256];
    unsigned        n = 0;
    time_t          now;

    if (spool_dir[0] == '\0') {
        return 0;
    }

    d = opendir(spool_dir);
    if (d == NULL) {
        log_warn("cannot sweep %s: %s", spool_dir, strerror(errno));
        return 0;
    }

    now = time(NULL);

    while ((e = readdir(d)) != NULL) {
        if (!hrx_import_name_valid(e->d_name)
            || spool_path(e->d_name, path, sizeof(path)) != 0
            || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)
            || sb.st_mtime > now
            || (uint64_t) (now - sb.st_mtime) * 1000 < max_age_ms)
        {
            continue;
        }
        if (unlink(path) == 0) {
            n++;
        } else if (errno != ENOENT) {
            log_warn("cannot remove %s: %s", path, strerror(errno));
        }
    }

    closedir(d);

    if (n > 0) {
        log_info("removed %u import spool files nobody removed", n);
    }
    return n;
}
