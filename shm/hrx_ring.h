/*
 * Multi-producer / single-consumer ring of variable-length records, modelled
 * on Aeron's ManyToOneRingBuffer.
 *
 * Positions (head, tail) are 64-bit byte counters that only grow; the index
 * into the data area is position & (capacity - 1).  Because they never wrap,
 * the scheduler can store the position it has applied up to in SQLite, in the
 * same transaction as the commands, and so apply every record exactly once
 * across crashes.
 *
 * Record = 8-byte header {int32 length, int32 type} + payload, aligned to 8.
 * The header is read and written as one 64-bit atomic word so that a producer
 * committing and the consumer unblocking can never interleave.
 *   length < 0   claimed, being written     length > 0   committed
 *   length == 0  nothing there (yet)        type == HRX_RING_PADDING  skip
 * length counts header + payload (unaligned); the next record starts at
 * align8(length).
 */
#ifndef HRX_RING_H
#define HRX_RING_H

#include <stddef.h>
#include <stdint.h>
#include "hrx_atomic.h"

#define HRX_RING_HEADER_SIZE   8
#define HRX_RING_ALIGNMENT     8
#define HRX_RING_PADDING       (-1)        /* record type of a skip record */

/* error returns of hrx_ring_claim() / hrx_ring_write() */
#define HRX_RING_FULL          (-1)
#define HRX_RING_OVERSIZE      (-2)

#define hrx_ring_align(n)  (((n) + (HRX_RING_ALIGNMENT - 1))                   \
                            & ~(uint64_t) (HRX_RING_ALIGNMENT - 1))

/* lives at the start of the ring's region in the shm file */
typedef struct {
    HRX_ALIGN_HOT _Atomic uint64_t  tail;        /* producers: CAS */
    HRX_ALIGN_HOT _Atomic uint64_t  head_cache;  /* producers' view of head */
    HRX_ALIGN_HOT _Atomic uint64_t  head;        /* consumer: release-store */
    _Atomic uint64_t                releasing;   /* consumer: head being
                                                    freed (see release) */
} hrx_ring_ctl_t;

#define HRX_RING_CTL_SIZE  sizeof(hrx_ring_ctl_t)

typedef struct {
    hrx_ring_ctl_t  *ctl;
    uint8_t         *data;
    uint64_t         capacity;     /* power of two */
    uint64_t         mask;
    uint32_t         max_payload;  /* capacity / 8 - header */
} hrx_ring_t;

/* the consumer is handed each committed, non-padding record */
typedef int (*hrx_ring_handler_pt)(void *ctx, int32_t type,
    const uint8_t *payload, uint32_t len, uint64_t pos);

/* attach a view to a region of HRX_RING_CTL_SIZE + capacity bytes */
int hrx_ring_attach(hrx_ring_t *ring, void *region, uint64_t capacity);

/* creator only, before any producer runs: head = tail = pos (8-aligned) */
void hrx_ring_reset(hrx_ring_t *ring, uint64_t pos);

/*
 * Producer.  claim returns the record's position (>= 0) and a pointer to its
 * payload, or HRX_RING_FULL / HRX_RING_OVERSIZE.  commit returns 0, or -1
 * when the consumer gave up on the record (it was unblocked as padding
 * because the producer took longer than the unblock timeout).
 */
int64_t hrx_ring_claim(hrx_ring_t *ring, int32_t type, uint32_t len,
    void **payload);
int hrx_ring_commit(hrx_ring_t *ring, int64_t pos);
int64_t hrx_ring_write(hrx_ring_t *ring, int32_t type, const void *payload,
    uint32_t len);   /* claim + copy + commit; same returns as claim */

/*
 * Consumer.  peek hands committed records from `from` to the handler, in
 * order, until it meets an uncommitted record, has handed max_records, or
 * passed max_bytes; it returns the position after the last record handed
 * (== from when nothing was ready).  It does not free anything: the
 * scheduler frees with release() only once the batch is durable.
 * A handler returning non-zero stops the peek before that record.
 */
uint64_t hrx_ring_peek(hrx_ring_t *ring, uint64_t from, uint32_t max_records,
    uint64_t max_bytes, hrx_ring_handler_pt handler, void *ctx);

/* zero [head, to) and release-store head = to */
void hrx_ring_release(hrx_ring_t *ring, uint64_t to);

/*
 * Consumer: the record at pos (where peek stopped, pos < tail) has stayed
 * uncommitted longer than the unblock timeout; its producer is presumed
 * dead.  Turns it (or the zeroed gap up to the next header) into padding.
 * Returns 1 if something was unblocked, 0 if the record got committed
 * meanwhile or there is nothing at pos.
 */
int hrx_ring_unblock(hrx_ring_t *ring, uint64_t pos);

uint64_t hrx_ring_head(const hrx_ring_t *ring);
uint64_t hrx_ring_tail(const hrx_ring_t *ring);

#endif /* HRX_RING_H */
