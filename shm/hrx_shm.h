/*
 * The shared-memory file (<data_dir>/hrx.shm): the whole contract between
 * nginx workers and hrx-scheduler.
 *
 *   [ header | ring ctl + command ring | reply slots | bcast ctl + ring ]
 *
 * The scheduler creates the file (built under a temporary name and renamed,
 * so nobody ever maps a half-initialised file) and reuses an existing one
 * whose header it accepts.  Workers only open it.  Both sides check magic,
 * layout version and every size; a mismatch is a startup error that says
 * what differs.
 */
#ifndef HRX_SHM_H
#define HRX_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "hrx_atomic.h"
#include "hrx_bell.h"
#include "hrx_ring.h"
#include "hrx_slots.h"
#include "hrx_broadcast.h"

#define HRX_SHM_MAGIC           0x314d4853585248ULL   /* "HRXSHM1" */
#define HRX_SHM_LAYOUT_VERSION  2     /* 2: bells */
#define HRX_SHM_FILE            "hrx.shm"

/* record types in the command ring */
#define HRX_REC_COMMAND         1

/* defaults, overridable by hrx-scheduler options when it creates the file */
#define HRX_SHM_DEFAULT_RING        (8u << 20)
#define HRX_SHM_DEFAULT_SLOTS       4096
#define HRX_SHM_DEFAULT_SLOT_SIZE   4096
#define HRX_SHM_DEFAULT_BCAST       (1u << 20)

/*
 * Counters, each a relaxed atomic add.  The names and help texts (for
 * /api/v1/metrics) are in hrx_shm.c: hrx_counter_names/hrx_counter_help.
 */
typedef enum {
    HRX_CTR_COMMANDS_SUBMITTED = 0,   /* worker: record committed to ring */
    HRX_CTR_COMMANDS_APPLIED,         /* scheduler: command succeeded */
    HRX_CTR_COMMANDS_REJECTED,        /* scheduler: command refused (4xx) */
    HRX_CTR_BATCHES_COMMITTED,        /* scheduler: SQLite commits */
    HRX_CTR_REPLIES_PUBLISHED,        /* scheduler */
    HRX_CTR_RECORDS_UNBLOCKED,        /* scheduler: dead producer skipped */
    HRX_CTR_SLOTS_RECLAIMED,          /* scheduler */
    HRX_CTR_EVENTS_PUBLISHED,         /* scheduler: broadcast records */
    HRX_CTR_RING_FULL,                /* worker: 503, ring full */
    HRX_CTR_SLOTS_EXHAUSTED,          /* worker: 503, no reply slot */
    HRX_CTR_SCHEDULER_DOWN,           /* worker: 503, scheduler not alive */
    HRX_CTR_REPLY_TIMEOUTS,           /* worker: 504, no reply in time */
    HRX_CTR_LOGINS_OK,                /* worker */
    HRX_CTR_LOGINS_FAILED,            /* worker */
    HRX_CTR_REPLIES_BY_BELL,          /* worker: taken when the bell rang */
    HRX_CTR_REPLIES_BY_TICK,          /* worker: taken on the timer */
    HRX_CTR_MAX
} hrx_counter_e;

extern const char *const hrx_counter_names[HRX_CTR_MAX];
extern const char *const hrx_counter_help[HRX_CTR_MAX];

typedef struct {
    /* immutable after creation */
    uint64_t   magic;
    uint32_t   layout_version;
    uint32_t   header_size;
    uint64_t   file_size;
    uint64_t   ring_offset;        /* hrx_ring_ctl_t, then data */
    uint64_t   ring_capacity;
    uint64_t   slots_offset;
    uint32_t   slot_count;
    uint32_t   slot_size;
    uint64_t   bcast_offset;       /* hrx_bcast_ctl_t, then data */
    uint64_t   bcast_capacity;
    uint64_t   created_at_ms;      /* wall clock */

    /* scheduler liveness: written by the scheduler only */
    HRX_ALIGN_HOT _Atomic int32_t   scheduler_pid;   /* 0 when stopped */
    _Atomic uint64_t                heartbeat_ms;    /* hrx_monotonic_ms() */
    _Atomic uint64_t                started_at_ms;   /* wall clock */
    _Atomic uint64_t                durable_pos;     /* ring pos committed */
    _Atomic uint64_t                durable_batches;

    /* futex the scheduler sleeps on when the ring is empty */
    HRX_ALIGN_HOT _Atomic uint32_t  wake_seq;
    _Atomic uint32_t                consumer_sleeping;

    HRX_ALIGN_HOT _Atomic uint64_t  counters[HRX_CTR_MAX];

    /* one per worker that parks requests (hrx_bell.h) */
    hrx_bell_t                      bells[HRX_BELLS];
} hrx_shm_header_t;

typedef struct {
    uint64_t  ring_capacity;
    uint32_t  slot_count;
    uint32_t  slot_size;
    uint64_t  bcast_capacity;
} hrx_shm_params_t;

typedef struct {
    int                 fd;
    void               *base;
    size_t              size;
    dev_t               dev;       /* to notice the file being replaced */
    ino_t               ino;
    hrx_shm_header_t   *hdr;
    hrx_ring_t          ring;
    hrx_slots_t         slots;
    hrx_bcast_t         bcast;
} hrx_shm_t;

void hrx_shm_default_params(hrx_shm_params_t *p);

/*
 * scheduler: open path, or create it with params when it does not exist.
 * An existing file keeps its own sizes.  On error returns -1 with a
 * sentence in err.
 */
int hrx_shm_create_or_open(const char *path, const hrx_shm_params_t *p,
    hrx_shm_t *shm, char *err, size_t errlen);

/* worker: open an existing file; -1 with a sentence in err */
int hrx_shm_open(const char *path, hrx_shm_t *shm, char *err, size_t errlen);

void hrx_shm_close(hrx_shm_t *shm);

/* 1 when path now names another file than the one mapped */
int hrx_shm_replaced(const hrx_shm_t *shm, const char *path);

/*
 * 1 when the scheduler's pid is set, that process exists and its heartbeat
 * is younger than max_age_ms.
 */
int hrx_shm_scheduler_alive(const hrx_shm_t *shm, uint64_t max_age_ms);

/* producer side, after committing a record: wake a sleeping scheduler */
void hrx_shm_wake_consumer(hrx_shm_t *shm);

/*
 * scheduler: sleep until a producer wakes us or timeout_ms passes.  The
 * caller re-checks the ring after announcing it sleeps, so no wake-up is
 * lost: see the comment in hrx_shm.c.
 */
void hrx_shm_wait(hrx_shm_t *shm, uint64_t seen_tail, uint32_t timeout_ms);

static inline void
hrx_counter_add(hrx_shm_t *shm, hrx_counter_e c, uint64_t n)
{
    hrx_fetch_add_relaxed(&shm->hdr->counters[c], n);
}

uint64_t hrx_monotonic_ms(void);   /* CLOCK_MONOTONIC: system-wide */
uint64_t hrx_wall_ms(void);        /* CLOCK_REALTIME */

#endif /* HRX_SHM_H */
