/*
 * The batch loop: drain the command ring, apply a batch in one
 * transaction, commit, publish the replies, release the ring.  See the
 * essay at the top of loop.c.
 */
#ifndef HRX_SCHED_LOOP_H
#define HRX_SCHED_LOOP_H

#include <signal.h>
#include <stdint.h>

#include "hrx_shm.h"
#include "store.h"

typedef struct {
    uint32_t  max_batch;            /* records per batch */
    uint32_t  unblock_timeout_ms;   /* before a dead producer's record is
                                       skipped */
    int       shm_sizes_given;      /* sizes came from the command line */
    uint32_t  crash_after_commit;   /* tests: _exit after this many
                                       commits, before publishing (0: no) */
} loop_conf_t;

/* set by signal handlers, read by the loop between batches */
extern volatile sig_atomic_t  loop_stop_requested;
extern volatile sig_atomic_t  loop_reopen_log_requested;

/*
 * Map (or create) the shm file, bring the ring to the position the
 * database says is applied, republish replies that a previous run
 * committed but may not have delivered, and announce this process in the
 * shm header.  0, or -1 after logging why.
 */
int loop_start(store_t *st, const char *shm_path,
    const hrx_shm_params_t *params, const loop_conf_t *conf,
    const char *data_dir);

/* run until a stop is requested; 0 */
int loop_run(void);

/* clear the pid in the shm header, unmap, free */
void loop_finish(void);

/* the shm loop_start mapped (bulk_run publishes progress on it); valid
 * until loop_finish */
hrx_shm_t *loop_shm(void);

#endif /* HRX_SCHED_LOOP_H */
