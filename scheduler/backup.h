/*
 * --backup and --restore: a consistent copy of a data directory's state
 * (the database and the master key) while the scheduler runs, and a data
 * directory made from such a copy.  See backup.c.
 */
#ifndef HRX_SCHED_BACKUP_H
#define HRX_SCHED_BACKUP_H

/* exit codes as main's: 0 done, 1 failed (said why on stderr) */
int backup_make(const char *data_dir, const char *dest);
int backup_restore(const char *src, const char *data_dir);

#endif /* HRX_SCHED_BACKUP_H */
