/*
 * Bells: how the scheduler tells a worker that replies are ready.
 *
 * A worker that parks requests used to look at their slots on a 1 ms
 * timer: up to a millisecond late, and a scan of every parked request
 * per tick, whether anything was ready or not.  Now each worker owns a
 * bell: an entry in the shm header with its pid, and a FIFO,
 * <data_dir>/tmp/bell.<index>, that its event loop reads.  After a batch
 * is published the scheduler writes, in one write() per worker, the index
 * of every slot it answered for that worker; the worker's read handler
 * takes exactly those requests out of the queue -- O(ready), within
 * microseconds of the publish.
 *
 * A write of at most PIPE_BUF bytes to a FIFO is atomic, so the worker
 * reads whole indices.  When the FIFO is full (a worker that stopped
 * reading) or a batch holds more indices than one atomic write takes, the
 * scheduler sets the bell's "rescan" flag after writing what it could;
 * the worker then looks at all of its parked requests once.  Stale
 * indices (a slot given up since) are harmless: the worker checks the
 * slot's generation, as for any reply.
 *
 * The worker opens its FIFO read-write, so it never sees end-of-file when
 * a scheduler closes its end; the scheduler opens it write-only and
 * non-blocking, and a write to a FIFO whose worker died fails (EPIPE,
 * SIGPIPE ignored) instead of blocking.  A bell whose worker died is
 * taken over by the next worker that looks for one.  A worker without a
 * bell (all taken, or its FIFO could not be made) keeps the 1 ms timer.
 */
#ifndef HRX_BELL_H
#define HRX_BELL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hrx_atomic.h"

#define HRX_BELLS          64
#define HRX_BELL_FILE      "bell."       /* + index, under <data_dir>/tmp */

typedef struct {
    _Alignas(HRX_CACHE_LINE) _Atomic int32_t  pid;   /* owner; 0: free */
    _Atomic uint32_t               rescan;    /* look at every parked one */
    _Atomic uint32_t               broken;    /* the scheduler cannot ring
                                                 it: poll instead */
} hrx_bell_t;

/* worker: take a free bell, or one whose owner died; its index, or -1 */
int hrx_bell_claim(hrx_bell_t *bells, pid_t pid);
void hrx_bell_release(hrx_bell_t *bells, int index, pid_t pid);

/* "<tmp_dir>/bell.<index>" (tmp_dir: <data_dir>/tmp); -1 when it does
 * not fit */
int hrx_bell_path(char *buf, size_t size, const char *tmp_dir, int index);

#endif /* HRX_BELL_H */
