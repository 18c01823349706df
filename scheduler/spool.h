/*
 * Import spool files: <data_dir>/tmp/import/<name>.jsonl, written by a
 * worker, read by candidate.import, removed after the commit of its batch
 * or, when that never happened, by the sweep.  See spool.c.
 */
#ifndef HRX_SCHED_SPOOL_H
#define HRX_SCHED_SPOOL_H

#include <stddef.h>
#include <stdint.h>

/* create the directory (if missing) and remember it; 0, or -1 (told) */
int spool_init(const char *data_dir);

/* the path of spool file name: 0, or -1 when name is not one (a path,
 * another kind of file) */
int spool_path(const char *name, char *out, size_t size);

/* remove spool files older than max_age_ms; returns how many */
unsigned spool_sweep(uint64_t max_age_ms);

#endif /* HRX_SCHED_SPOOL_H */
