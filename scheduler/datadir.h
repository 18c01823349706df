/*
 * The data directory: file names in it and the lock that makes one
 * scheduler its only writer.  See datadir.c.
 */
#ifndef HRX_SCHED_DATADIR_H
#define HRX_SCHED_DATADIR_H

#include <stddef.h>

#define DATADIR_DB        "hrx.db"
#define DATADIR_LOCK      "scheduler.lock"
#define DATADIR_LOGS      "logs"
#define DATADIR_LOG_FILE  "logs/scheduler.log"
#define DATADIR_OUTBOX    "outbox"
#define DATADIR_TMP       "tmp"

/* dir/name into out; -1 (told) when it does not fit */
int datadir_path(char *out, size_t size, const char *dir, const char *name);

/* mkdir with mode 0700 unless it is a directory already; -1 (told) */
int datadir_mkdir(const char *path);

/*
 * Take the lock (flock on dir/scheduler.lock) and write our pid in it.
 * The descriptor stays open for the life of the process: the lock ends
 * with it.  -1 after telling why (another scheduler runs: its pid).
 */
int datadir_lock(const char *dir);

#endif /* HRX_SCHED_DATADIR_H */
