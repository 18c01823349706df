/*
 * Preparing statements, and the HRX_SQL_LOG record of them (see
 * hrx_prepare.h).
 *
 * The record is for a test, so it is kept simple and never fails the
 * prepare: the file is opened once (O_APPEND, so the processes of one
 * run share it without coordination, each record one write()), and a set
 * of 64-bit hashes of the texts already written keeps a statement that is
 * prepared over and over (a search, once per request) to one record per
 * process.  Out of memory only means a duplicate record.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrx_prepare.h"

static pthread_once_t   hrx_prepare_once = PTHREAD_ONCE_INIT;
static int              hrx_prepare_fd = -1;

static pthread_mutex_t  hrx_prepare_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t        *hrx_prepare_seen;       /* open addressing, 0: free */
static size_t           hrx_prepare_cap;        /* a power of two */
static size_t           hrx_prepare_n;

static void
hrx_prepare_open(void)
{
    const char  *path;

    path = getenv("HRX_SQL_LOG");
    if (path != NULL && path[0] != '\0') {
        hrx_prepare_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                              0600);
    }
}

static uint64_t
hrx_prepare_hash(const char *s)
{
    uint64_t  h = 0xcbf29ce484222325ULL;        /* FNV-1a */

    for ( /* void */ ; *s; s++) {
        h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
    }
    return h ? h : 1;
}

/* 1 when h was not in the set (and now is); under hrx_prepare_lock */
static int
hrx_prepare_add(uint64_t h)
{
    uint64_t  *t;
    size_t     i, j, cap;

    if (2 * (hrx_prepare_n + 1) > hrx_prepare_cap) {
        cap = hrx_prepare_cap ? 2 * hrx_prepare_cap : 256;
        t = calloc(cap, sizeof(uint64_t));
        if (t == NULL) {
            return 1;
        }
        for (i = 0; i < hrx_prepare_cap; i++) {
            if (hrx_prepare_seen[i] == 0) {
                continue;
            }
            for (j = hrx_prepare_seen[i] & (cap - 1); t[j] != 0;
                 j = (j + 1) & (cap - 1))
            {
                /* void */
            }
            t[j] = hrx_prepare_seen[i];
        }
        free(hrx_prepare_seen);
        hrx_prepare_seen = t;
        hrx_prepare_cap = cap;
    }

    for (i = h & (hrx_prepare_cap - 1); hrx_prepare_seen[i] != 0;
         i = (i + 1) & (hrx_prepare_cap - 1))
    {
        if (hrx_prepare_seen[i] == h) {
            return 0;
        }
    }
    hrx_prepare_seen[i] = h;
    hrx_prepare_n++;
    return 1;
}

static void
hrx_prepare_log(const char *sql)
{
    uint64_t  h;
    int       fresh;
    ssize_t   n;

    h = hrx_prepare_hash(sql);

    pthread_mutex_lock(&hrx_prepare_lock);
    fresh = hrx_prepare_add(h);
    pthread_mutex_unlock(&hrx_prepare_lock);

    if (fresh) {
        /* the text and its NUL in one write: records never interleave */
        n = write(hrx_prepare_fd, sql, strlen(sql) + 1);
        (void) n;
    }
}

int
hrx_prepare(sqlite3 *db, const char *sql, unsigned flags,
    sqlite3_stmt **stmt)
{
    int  rc;

    rc = sqlite3_prepare_v3(db, sql, -1, flags, stmt, NULL);

    pthread_once(&hrx_prepare_once, hrx_prepare_open);
    if (rc == SQLITE_OK && hrx_prepare_fd >= 0) {
        hrx_prepare_log(sql);
    }
    return rc;
}
