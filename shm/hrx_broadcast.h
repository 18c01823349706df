/*
 * Broadcast ring: the scheduler (one producer) publishes live events
 * (a message arrived, progress of a bulk action, ...) that any number of
 * workers read at their own pace for server-sent events.  Modelled on
 * Aeron's BroadcastTransmitter/Receiver: the producer never waits; a reader
 * that falls more than a ring behind is told it lapped and skips ahead.
 *
 * Framing is the command ring's (8-byte header, 8-aligned, padding at wrap).
 * The producer release-stores tail_intent before writing and tail after, so
 * a reader detects a record overwritten while it copied it.
 */
#ifndef HRX_BROADCAST_H
#define HRX_BROADCAST_H

#include <stdint.h>
#include "hrx_atomic.h"

typedef struct {
    HRX_ALIGN_HOT _Atomic uint64_t  tail_intent;
    HRX_ALIGN_HOT _Atomic uint64_t  tail;
    HRX_ALIGN_HOT _Atomic uint64_t  latest;   /* position of newest record */
} hrx_bcast_ctl_t;

#define HRX_BCAST_CTL_SIZE  sizeof(hrx_bcast_ctl_t)

typedef struct {
    hrx_bcast_ctl_t  *ctl;
    uint8_t          *data;
    uint64_t          capacity;     /* power of two */
    uint64_t          mask;
    uint32_t          max_payload;  /* capacity / 8 - header */
} hrx_bcast_t;

typedef struct {
    uint64_t  cursor;
    uint64_t  lapped;     /* times this reader fell behind */
} hrx_bcast_reader_t;

int hrx_bcast_attach(hrx_bcast_t *b, void *region, uint64_t capacity);

/* producer: 0, or -1 when the payload exceeds max_payload */
int hrx_bcast_publish(hrx_bcast_t *b, int32_t type, const void *payload,
    uint32_t len);

/* a new reader starts at the current tail: it sees only later events */
void hrx_bcast_reader_init(hrx_bcast_t *b, hrx_bcast_reader_t *r);

/*
 * 1: a record was copied into buf (type, len set);  0: nothing new;
 * -1: the reader lapped and was moved to the newest record (events lost);
 * -2: buf too small for the record (it is skipped).
 */
int hrx_bcast_receive(hrx_bcast_t *b, hrx_bcast_reader_t *r, int32_t *type,
    void *buf, uint32_t buf_size, uint32_t *len);

#endif /* HRX_BROADCAST_H */
