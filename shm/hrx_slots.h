/*
 * Reply slots: how the scheduler answers one particular request.
 *
 * A worker claims a free slot before it submits a command and puts the
 * slot's index and generation in the command.  After the batch holding that
 * command is committed, the scheduler writes the reply (HTTP status + JSON
 * body) into the slot and marks it READY; the worker's park timer sees it,
 * sends the response and frees the slot.
 *
 * State and generation share one 64-bit atomic word (gen << 32 | state), so
 * a reply for an old generation can never land in a slot that was reused.
 * A worker whose client went away marks its slot ABANDONED; the scheduler
 * frees abandoned slots when it publishes.  Slots of dead workers (owner
 * pid gone) and stale READY/ABANDONED slots are reclaimed by the scheduler.
 */
#ifndef HRX_SLOTS_H
#define HRX_SLOTS_H

#include <stdint.h>
#include <sys/types.h>
#include "hrx_atomic.h"

enum {
    HRX_SLOT_FREE = 0,
    HRX_SLOT_CLAIMED,      /* worker waits for the reply */
    HRX_SLOT_READY,        /* reply written, worker not yet taken it */
    HRX_SLOT_ABANDONED,    /* worker stopped waiting; scheduler frees */
    HRX_SLOT_WRITING       /* scheduler is writing the reply (publish) */
};

#define HRX_SLOT_HEADER_SIZE  64

typedef struct {
    _Atomic uint64_t  word;          /* gen << 32 | state */
    _Atomic int32_t   owner_pid;
    uint32_t          status;        /* HTTP status of the reply */
    uint32_t          length;        /* bytes of JSON body */
    _Atomic uint32_t  owner_gen;     /* gen owner_pid was set for */
    uint64_t          claimed_at_ms; /* hrx_monotonic_ms() */
    uint64_t          command_pos;   /* ring position, for diagnostics */
    uint8_t           pad[HRX_SLOT_HEADER_SIZE - 40];
    /* body follows: slot_size - HRX_SLOT_HEADER_SIZE bytes */
} hrx_slot_t;

typedef struct {
    uint8_t   *base;
    uint32_t   count;
    uint32_t   size;        /* bytes per slot, header included, 64-aligned */
    uint32_t   max_body;    /* size - HRX_SLOT_HEADER_SIZE */
} hrx_slots_t;

#define hrx_slot_word(gen, state)  (((uint64_t) (gen) << 32) | (state))
#define hrx_slot_state(word)       ((uint32_t) ((word) & 0xffffffffu))
#define hrx_slot_gen(word)         ((uint32_t) ((word) >> 32))

int hrx_slots_attach(hrx_slots_t *slots, void *region, uint32_t count,
    uint32_t size);
hrx_slot_t *hrx_slots_get(const hrx_slots_t *slots, uint32_t index);

/* worker: 0 and index/gen, or -1 when every slot is taken */
int hrx_slots_claim(hrx_slots_t *slots, pid_t pid, uint64_t now_ms,
    uint32_t *index, uint32_t *gen);

/*
 * worker: 1 when the reply is ready (status, body pointer and length are
 * set; the body stays valid until hrx_slots_free), 0 when not yet.
 */
int hrx_slots_poll(hrx_slots_t *slots, uint32_t index, uint32_t gen,
    uint32_t *status, const uint8_t **body, uint32_t *len);
void hrx_slots_free(hrx_slots_t *slots, uint32_t index, uint32_t gen);
void hrx_slots_abandon(hrx_slots_t *slots, uint32_t index, uint32_t gen);

/*
 * scheduler: write the reply; a body longer than max_body is replaced by a
 * 500 error body.  Returns 1 published, 0 the slot was abandoned or reused
 * (nothing to do, slot freed if abandoned).
 */
int hrx_slots_publish(hrx_slots_t *slots, uint32_t index, uint32_t gen,
    uint32_t status, const void *body, uint32_t len);

/*
 * scheduler: free slots whose owner process no longer exists, and READY or
 * ABANDONED slots older than max_age_ms.  Returns how many were freed.
 */
uint32_t hrx_slots_reclaim(hrx_slots_t *slots, uint64_t now_ms,
    uint64_t max_age_ms);

#endif /* HRX_SLOTS_H */
