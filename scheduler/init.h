/*
 * hrx-scheduler --init: make a data directory ready to run.  See init.c.
 */
#ifndef HRX_SCHED_INIT_H
#define HRX_SCHED_INIT_H

/* the process exit code: 0, or 1 after telling why */
int init_data_dir(const char *dir, const char *admin_email, int log_stderr);

#endif /* HRX_SCHED_INIT_H */
