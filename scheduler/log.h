/*
 * The scheduler's log: <data_dir>/logs/scheduler.log, one line per event,
 *   2026-11-21T04:30:00.123Z [info] text
 * optionally copied to stderr.  See log.c.
 */
#ifndef HRX_SCHED_LOG_H
#define HRX_SCHED_LOG_H

typedef enum {
    LL_INFO = 0,
    LL_WARN,
    LL_ERROR
} log_level_e;

/* 0, or -1 with errno set; until it succeeds lines go to stderr only */
int log_open(const char *path, int to_stderr);
/* SIGHUP: open the path again (logrotate moved the old file away) */
void log_reopen(void);
void log_close(void);

void log_write(log_level_e level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * An error the person at the terminal must see: "hrx-scheduler: text" on
 * stderr, and the same text as an [error] line in the log file.
 */
void log_tell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_info(...)   log_write(LL_INFO, __VA_ARGS__)
#define log_warn(...)   log_write(LL_WARN, __VA_ARGS__)
#define log_error(...)  log_write(LL_ERROR, __VA_ARGS__)

#endif /* HRX_SCHED_LOG_H */
