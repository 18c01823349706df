/*
 * WAL checkpoints on a thread of their own.
 *
 * By default SQLite checkpoints inside the COMMIT that brings the WAL past
 * 1000 pages: that commit copies every page in the WAL back into the
 * database file and fsyncs it, while the command loop -- and every worker
 * parked on a reply of that batch -- waits.  Profiles of the durable path
 * showed a checkpoint every dozen batches, each worth several batches of
 * work (docs/performance.md).
 *
 * Here the loop's connection does not checkpoint by itself (its WAL hook
 * replaces the automatic one).  After a commit that leaves
 * STORE_CHECKPOINT_PAGES or more in the WAL, the hook wakes this thread,
 * which runs PASSIVE checkpoints on a connection of its own -- copying
 * what readers allow without taking any lock the writer needs, on the
 * other core -- until what is left to copy is small.
 *
 * The WAL file is only started over from its beginning by a write
 * transaction that begins with every frame copied, and under steady load
 * the writer is always a few frames ahead of any checkpoint running
 * beside it: left to the thread alone, the WAL grows without end (a
 * first version grew it to 150 MB in a minute).  So once the thread
 * reports it has caught up, the next commit's hook copies the few frames
 * left itself, on the writer's thread, which makes the next batch start
 * the WAL over.  The hook does inline only that remainder, never the bulk.
 *
 * Durability does not move: a commit is durable in the WAL, and a
 * checkpoint syncs the database file before SQLite lets the WAL be reused.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "store_checkpoint.h"
#include "store_int.h"

#define STORE_CHECKPOINT_PAGES  1000
/* the thread stops once no more than this is left for the writer */
#define STORE_CHECKPOINT_LEFT   128

static struct {
    pthread_t        thread;
    pthread_mutex_t  lock;
    pthread_cond_t   cond;
    sqlite3         *db;           /* the thread's own connection */
    sqlite3         *writer;       /* whose WAL hook we set */
    int              requested;
    int              busy;         /* the thread is checkpointing */
    int              caught_up;    /* it left STORE_CHECKPOINT_LEFT or less */
    _Atomic int      stop;         /* read by the thread between runs */
    int              running;
    unsigned long    runs;         /* on the thread */
    unsigned long    finishes;     /* remainders copied by the writer */
} ck = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
};

/* the writer's thread, after each commit: cheap unless a run is due */
static int
store_checkpoint_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
    int  finish = 0;

    (void) ctx;

    if (pages < STORE_CHECKPOINT_PAGES) {
        return SQLITE_OK;
    }

    pthread_mutex_lock(&ck.lock);
    if (ck.caught_up && !ck.busy) {
        ck.caught_up = 0;
        finish = 1;
    } else if (!ck.requested && !ck.busy) {
        ck.requested = 1;
        pthread_cond_signal(&ck.cond);
    }
    pthread_mutex_unlock(&ck.lock);

    if (finish) {
        /* the remainder: a few frames, then the WAL starts over */
        (void) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
                                         NULL, NULL);
        ck.finishes++;
    }
    return SQLITE_OK;
}

static void *
store_checkpoint_thread(void *arg)
{
    int  rc, log_pages, done_pages;

    (void) arg;

    for ( ;; ) {
        pthread_mutex_lock(&ck.lock);
        while (!ck.requested && !ck.stop) {
            pthread_cond_wait(&ck.cond, &ck.lock);
        }
        ck.requested = 0;
        if (ck.stop) {
            pthread_mutex_unlock(&ck.lock);
            break;
        }
        ck.busy = 1;
        pthread_mutex_unlock(&ck.lock);

        do {
            rc = sqlite3_wal_checkpoint_v2(ck.db, NULL,
                                           SQLITE_CHECKPOINT_PASSIVE,
                                           &log_pages, &done_pages);
            ck.runs++;
        } while (rc == SQLITE_OK && log_pages - done_pages
                                    > STORE_CHECKPOINT_LEFT
                 && !ck.stop);

        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            /* the next commit over the mark asks again */
            log_warn("WAL checkpoint: %s (%d)", sqlite3_errmsg(ck.db), rc);
        }

        pthread_mutex_lock(&ck.lock);
        ck.busy = 0;
        ck.caught_up = (rc == SQLITE_OK);
        pthread_mutex_unlock(&ck.lock);
    }
    return NULL;
}

int
store_checkpoint_start(store_t *st, const char *path)
{
    int  rc;

    rc = sqlite3_open_v2(path, &ck.db, SQLITE_OPEN_READWRITE
                         | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        /* the database file must be on disk before the WAL is reused */
        rc = sqlite3_exec(ck.db, "PRAGMA synchronous=FULL", NULL, NULL,
                          NULL);
    }
    if (rc != SQLITE_OK) {
        log_error("cannot open %s for checkpoints: %s", path,
                  ck.db ? sqlite3_errmsg(ck.db) : sqlite3_errstr(rc));
        sqlite3_close(ck.db);
        ck.db = NULL;
        return -1;
    }

    ck.stop = 0;
    ck.requested = 0;
    if (pthread_create(&ck.thread, NULL, store_checkpoint_thread, NULL) != 0)
    {
        log_error("cannot start the checkpoint thread");
        sqlite3_close(ck.db);
        ck.db = NULL;
        return -1;
    }
    ck.running = 1;

    ck.writer = store_int_db(st);
    sqlite3_wal_hook(ck.writer, store_checkpoint_hook, NULL);
    return 0;
}

void
store_checkpoint_stop(void)
{
    if (!ck.running) {
        return;
    }
    /* the writer checkpoints by itself again, e.g. when it closes */
    sqlite3_wal_autocheckpoint(ck.writer, STORE_CHECKPOINT_PAGES);

    pthread_mutex_lock(&ck.lock);
    ck.stop = 1;
    pthread_cond_signal(&ck.cond);
    pthread_mutex_unlock(&ck.lock);
    pthread_join(ck.thread, NULL);
    ck.running = 0;

    sqlite3_close(ck.db);
    ck.db = NULL;
    log_info("WAL checkpoints: %lu on the checkpoint thread, %lu remainders "
             "on the writer", ck.runs, ck.finishes);
}
