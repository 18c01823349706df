/*
 * WAL checkpoints off the command loop (store_checkpoint.c).
 */
#ifndef HRX_SCHED_STORE_CHECKPOINT_H
#define HRX_SCHED_STORE_CHECKPOINT_H

#include "store.h"

/* a thread with its own connection to path checkpoints what st commits;
 * 0, or -1 (logged: st then checkpoints by itself, as SQLite does) */
int store_checkpoint_start(store_t *st, const char *path);
void store_checkpoint_stop(void);

#endif /* HRX_SCHED_STORE_CHECKPOINT_H */
