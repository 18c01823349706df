/*
 * Broadcast ring, after Aeron's BroadcastTransmitter / BroadcastReceiver.
 *
 * One producer, any number of readers, nobody waits.  The producer simply
 * overwrites the oldest records; a reader finds out afterwards whether what
 * it read survived.  Before touching a record the producer release-stores
 * tail_intent = the position its write will reach; a reader that read a
 * record starting at cursor checks, after an acquire fence, that
 * tail_intent <= cursor + capacity - 1: if not, the producer may have
 * written over the record while the reader looked at it, and the copy is
 * thrown away.  The check is done before the header is trusted and again
 * after the payload is copied (a seqlock without a sequence word).
 *
 * Headers are single 64-bit words, read and written with atomic accesses
 * so they are never torn; payload bytes are copied racily and validated.
 * A reader that lapped jumps to `latest`, the start of the newest record.
 */

#include <string.h>
#include "hrx_broadcast.h"
#include "hrx_ring.h"               /* framing: header, alignment, padding */

#define HRX_BCAST_MIN_CAPACITY  1024


static inline uint64_t
hrx_bcast_hdr(int32_t length, int32_t type)
{
    return ((uint64_t) (uint32_t) type << 32) | (uint32_t) length;
}


static inline _Atomic uint64_t *
hrx_bcast_word(const hrx_bcast_t *b, uint64_t index)
{
    return (_Atomic uint64_t *) (void *) (b->data + index);
}


int
hrx_bcast_attach(hrx_bcast_t *b, void *region, uint64_t capacity)
{
    memset(b, 0, sizeof(*b));

    if (region == NULL
        || (uintptr_t) region % _Alignof(hrx_bcast_ctl_t) != 0
        || capacity < HRX_BCAST_MIN_CAPACITY
        || (capacity & (capacity - 1)) != 0
        || capacity > ((uint64_t) 1 << 30))
    {
        return -1;
    }

    b->ctl = region;
    b->data = (uint8_t *) region + HRX_BCAST_CTL_SIZE;
    b->capacity = capacity;
    b->mask = capacity - 1;
    b->max_payload = (uint32_t) (capacity / 8) - HRX_RING_HEADER_SIZE;

    return 0;
}


/*
 * Announce how far the coming write reaches.  The fence orders this store
 * before the header and payload stores that follow (store-store, which a
 * release store alone does not give); pairs with the reader's acquire
 * fence in hrx_bcast_valid().
 */
static inline void
hrx_bcast_intent(hrx_bcast_t *b, uint64_t intent)
{
    hrx_store_release(&b->ctl->tail_intent, intent);
    hrx_fence_release();
}


int
hrx_bcast_publish(hrx_bcast_t *b, int32_t type, const void *payload,
    uint32_t len)
{
    uint32_t  record_len;
    uint64_t  tail, index, aligned, to_end;

    if (len > b->max_payload) {
        return -1;
    }

    record_len = len + HRX_RING_HEADER_SIZE;
    aligned = hrx_ring_align(record_len);

    /* relaxed: we are the only writer of tail */
    tail = hrx_load_relaxed(&b->ctl->tail);
    index = tail & b->mask;
    to_end = b->capacity - index;

    if (to_end < aligned) {
        hrx_bcast_intent(b, tail + to_end + aligned);
        hrx_store_relaxed(hrx_bcast_word(b, index),
                          hrx_bcast_hdr((int32_t) to_end, HRX_RING_PADDING));
        tail += to_end;
        index = 0;

    } else {
        hrx_bcast_intent(b, tail + aligned);
    }

    hrx_store_relaxed(hrx_bcast_word(b, index),
                      hrx_bcast_hdr((int32_t) record_len, type));

    if (len != 0) {
        memcpy(b->data + index + HRX_RING_HEADER_SIZE, payload, len);
    }

    hrx_store_relaxed(&b->ctl->latest, tail);

    /* release: pairs with the reader's acquire of tail in receive */
    hrx_store_release(&b->ctl->tail, tail + aligned);

    return 0;
}


void
hrx_bcast_reader_init(hrx_bcast_t *b, hrx_bcast_reader_t *r)
{
    r->cursor = hrx_load_acquire(&b->ctl->tail);
    r->lapped = 0;
}


/*
 * The record at cursor has not been (and is not being) overwritten.
 * acquire fence: pairs with the release fence in hrx_bcast_intent(); if we
 * read anything the producer wrote after announcing an intent, we see that
 * intent here.
 */
static inline int
hrx_bcast_valid(hrx_bcast_t *b, uint64_t cursor)
{
    hrx_fence_acquire();

    return cursor + b->capacity > hrx_load_acquire(&b->ctl->tail_intent);
}


static int
hrx_bcast_lapped(hrx_bcast_t *b, hrx_bcast_reader_t *r)
{
    r->lapped++;

    /* acquire: latest was stored before the release of tail */
    r->cursor = hrx_load_acquire(&b->ctl->latest);

    return -1;
}


int
hrx_bcast_receive(hrx_bcast_t *b, hrx_bcast_reader_t *r, int32_t *type,
    void *buf, uint32_t buf_size, uint32_t *len)
{
    int32_t   length;
    uint64_t  tail, cursor, index, hdr, aligned;

    /* acquire: pairs with the release of tail in publish */
    tail = hrx_load_acquire(&b->ctl->tail);
    cursor = r->cursor;

    if (cursor >= tail) {
        return 0;
    }

    if (!hrx_bcast_valid(b, cursor)) {
        return hrx_bcast_lapped(b, r);
    }

    index = cursor & b->mask;
    hdr = hrx_load_relaxed(hrx_bcast_word(b, index));

    if ((int32_t) (uint32_t) (hdr >> 32) == HRX_RING_PADDING) {
        if (!hrx_bcast_valid(b, cursor)) {
            return hrx_bcast_lapped(b, r);
        }

        /* a valid padding record always runs to the end of the data */
        cursor += b->capacity - index;
        index = 0;

        if (cursor >= tail) {
            r->cursor = cursor;
            return 0;
        }

        hdr = hrx_load_relaxed(hrx_bcast_word(b, 0));
    }

    /* is the header we hold the one written for this cursor's lap? */
    if (!hrx_bcast_valid(b, cursor)) {
        return hrx_bcast_lapped(b, r);
    }

    length = (int32_t) (uint32_t) (hdr & 0xffffffffu);

    if (length < HRX_RING_HEADER_SIZE
        || (uint64_t) length - HRX_RING_HEADER_SIZE > b->max_payload
        || (int32_t) (uint32_t) (hdr >> 32) == HRX_RING_PADDING)
    {
        return hrx_bcast_lapped(b, r);     /* cannot happen unless torn */
    }

    aligned = hrx_ring_align((uint64_t) length);

    if ((uint32_t) length - HRX_RING_HEADER_SIZE > buf_size) {
        r->cursor = cursor + aligned;
        return -2;
    }

    *len = (uint32_t) length - HRX_RING_HEADER_SIZE;
    *type = (int32_t) (uint32_t) (hdr >> 32);

    if (*len != 0) {
        memcpy(buf, b->data + index + HRX_RING_HEADER_SIZE, *len);
    }

    /* the copy is good only if the producer did not reach it meanwhile */
    if (!hrx_bcast_valid(b, cursor)) {
        return hrx_bcast_lapped(b, r);
    }

    r->cursor = cursor + aligned;

    return 1;
}
