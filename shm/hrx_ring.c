/*
 * Multi-producer / single-consumer ring, after Aeron's ManyToOneRingBuffer.
 *
 * Every record header is one 64-bit atomic word {int32 length, int32 type}
 * (length in the low half), so a header is always read and changed whole:
 * a producer committing and the consumer unblocking the same record meet in
 * one compare-and-swap and exactly one of them wins.
 *
 * Producers claim space with a CAS on the tail.  They look at head_cache,
 * not head, and read the consumer's head only when space looks short: the
 * head's cache line then moves only when the ring is nearly full.  A record
 * that does not fit before the end of the data area claims the gap as a
 * padding record too and starts again at index 0, so a record is never
 * split.
 *
 * The consumer never writes a header except to unblock.  After a batch is
 * durable it zeroes what it consumed and then release-stores head, so every
 * byte outside [head, tail) is zero: a zero header means "nothing there yet".
 *
 * One departure from Aeron, in how a claim that never got its header (its
 * producer died between the tail CAS and the header store) is skipped.
 * Aeron scans for the next non-zero word and pads up to it; a live producer
 * that claimed just after the dead one but had not yet stored its header
 * would then be covered by that padding, commit "successfully" and be lost.
 * Here a producer installs its header with a CAS from zero, and the consumer
 * turns the zero words into padding one by one with a CAS from zero too:
 * whoever gets a word first wins.  A producer that loses its header word
 * simply claims again; the consumer stops at the first word it cannot take,
 * which is always a header.  The dead region then becomes one padding
 * record (its first word is rewritten to span it all).
 *
 * A producer presumed dead may only have stalled.  If the consumer has
 * meanwhile skipped its space and zeroed it again, the producer's CAS from
 * zero would succeed on freed memory.  So release announces `releasing`
 * before it zeroes (with atomic stores, after a release fence), and a
 * producer checks `releasing` after each CAS from zero and in commit: a
 * claim the consumer has passed is taken back (CAS to zero) and retried.
 *
 * Limits, as in Aeron: a producer frozen (SIGSTOP, a debugger) longer than
 * the unblock timeout *after* installing its header has its record made
 * padding; its commit returns -1, but the payload bytes it writes after the
 * space was freed land in free space.  The unblock timeout must be far
 * longer than any record takes to write (the module encodes into its own
 * buffer and calls hrx_ring_write, so that is one memcpy).  A record type
 * must not be HRX_RING_PADDING: such a record would be skipped.
 */

#include <string.h>
#include "hrx_ring.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
               "the shm layout needs lock-free 64-bit atomics");
_Static_assert(HRX_RING_CTL_SIZE % HRX_RING_ALIGNMENT == 0,
               "ring data must start 8-aligned");
_Static_assert(HRX_RING_CTL_SIZE == 3 * 2 * HRX_CACHE_LINE,
               "releasing shares head's cache lines: the layout is unchanged");

#define HRX_RING_MIN_CAPACITY  1024


static inline uint64_t
hrx_ring_hdr(int32_t length, int32_t type)
{
    return ((uint64_t) (uint32_t) type << 32) | (uint32_t) length;
}


static inline int32_t
hrx_ring_hdr_length(uint64_t hdr)
{
    return (int32_t) (uint32_t) (hdr & 0xffffffffu);
}


static inline int32_t
hrx_ring_hdr_type(uint64_t hdr)
{
    return (int32_t) (uint32_t) (hdr >> 32);
}


static inline _Atomic uint64_t *
hrx_ring_word(const hrx_ring_t *ring, uint64_t index)
{
    return (_Atomic uint64_t *) (void *) (ring->data + index);
}


int
hrx_ring_attach(hrx_ring_t *ring, void *region, uint64_t capacity)
{
    memset(ring, 0, sizeof(*ring));

    if (region == NULL
        || (uintptr_t) region % _Alignof(hrx_ring_ctl_t) != 0
        || capacity < HRX_RING_MIN_CAPACITY
        || (capacity & (capacity - 1)) != 0
        || capacity > ((uint64_t) 1 << 30))
    {
        return -1;
    }

    ring->ctl = region;
    ring->data = (uint8_t *) region + HRX_RING_CTL_SIZE;
    ring->capacity = capacity;
    ring->mask = capacity - 1;
    ring->max_payload = (uint32_t) (capacity / 8) - HRX_RING_HEADER_SIZE;

    return 0;
}


void
hrx_ring_reset(hrx_ring_t *ring, uint64_t pos)
{
    pos = hrx_ring_align(pos);

    /* keeps "outside [head, tail) everything is zero" true from the start */
    memset(ring->data, 0, ring->capacity);

    hrx_store_relaxed(&ring->ctl->head_cache, pos);
    hrx_store_relaxed(&ring->ctl->tail, pos);
    hrx_store_relaxed(&ring->ctl->releasing, pos);

    /* release: pairs with a producer's acquire of head; nobody runs yet */
    hrx_store_release(&ring->ctl->head, pos);
}


/*
 * Re-read the consumer's head.  acquire: pairs with the release-store of
 * head in hrx_ring_release(), so the zeroing of the freed space is visible
 * before we write into it.  The value is then shared through head_cache
 * with release, so another producer that acquires head_cache inherits the
 * same guarantee.
 */
static uint64_t
hrx_ring_refresh_head(hrx_ring_t *ring)
{
    uint64_t  head;

    head = hrx_load_acquire(&ring->ctl->head);
    hrx_store_release(&ring->ctl->head_cache, head);

    return head;
}


int64_t
hrx_ring_claim(hrx_ring_t *ring, int32_t type, uint32_t len, void **payload)
{
    uint32_t           record_len;
    uint64_t           head, tail, required, padding, index, to_end;
    uint64_t           expected;
    _Atomic uint64_t  *word;

    if (len > ring->max_payload) {
        return HRX_RING_OVERSIZE;
    }

    record_len = len + HRX_RING_HEADER_SIZE;
    required = hrx_ring_align(record_len);

    for ( ;; ) {

        /*
         * head_cache first, tail second: head_cache never passes the tail
         * we read after it (it was copied from head, which never passes the
         * tail).  But it may be far behind it: if we stalled between the two
         * loads, tail - head can exceed the capacity.  So the test is
         * "used > capacity - required", which cannot wrap around, never
         * "required > capacity - used", which would then see a huge free
         * space and overwrite unconsumed records.
         * acquire: pairs with the release-store in hrx_ring_refresh_head().
         */
        head = hrx_load_acquire(&ring->ctl->head_cache);
        tail = hrx_load_acquire(&ring->ctl->tail);

        if (tail - head > ring->capacity - required) {
            head = hrx_ring_refresh_head(ring);

            if ((int64_t) (tail - head) < 0) {
                continue;           /* our tail is stale: others moved on */
            }

            if (tail - head > ring->capacity - required) {
                return HRX_RING_FULL;
            }
        }

        padding = 0;
        index = tail & ring->mask;
        to_end = ring->capacity - index;

        if (required > to_end) {

            /*
             * The record goes to index 0, so [0, required) must be free:
             * head must already be past it in the data area.
             */
            if (required > (head & ring->mask)) {
                head = hrx_ring_refresh_head(ring);

                if ((int64_t) (tail - head) < 0) {
                    continue;
                }

                if (required > (head & ring->mask)) {
                    return HRX_RING_FULL;
                }
            }

            padding = to_end;
        }

        /* acq_rel: orders our claim among the other producers' claims */
        if (!hrx_cas_acq_rel(&ring->ctl->tail, &tail,
                             tail + padding + required))
        {
            continue;
        }

        if (padding != 0) {
            /*
             * release: pairs with the consumer's acquire in peek.  If the
             * CAS fails, the consumer already turned the gap into padding
             * (we were presumed dead): the gap is skipped either way.  If
             * it succeeds on a zero that release stored after the consumer
             * passed the gap (see below), the header must not stay there:
             * a stray padding header in the next lap would hide records.
             */
            word = hrx_ring_word(ring, index);
            expected = 0;

            if (hrx_cas_acq_rel(word, &expected,
                                hrx_ring_hdr((int32_t) padding,
                                             HRX_RING_PADDING))
                && hrx_load_acquire(&ring->ctl->releasing) > tail)
            {
                expected = hrx_ring_hdr((int32_t) padding, HRX_RING_PADDING);
                (void) hrx_cas_acq_rel(word, &expected, 0);
            }

            tail += padding;
            index = 0;
        }

        /*
         * Install {-length, type}: "claimed, being written".  The CAS from
         * zero fails only when the consumer unblocked this space as padding
         * because we took longer than the unblock timeout to get here; the
         * space is skipped then, and we claim again.
         */
        word = hrx_ring_word(ring, index);
        expected = 0;

        if (!hrx_cas_acq_rel(word, &expected,
                             hrx_ring_hdr(-(int32_t) record_len, type)))
        {
            continue;
        }

        /*
         * Stalled long enough for the consumer to unblock this space, step
         * over it and start freeing (zeroing) it, the CAS above may have
         * found one of those new zeroes: our claim is void.  Take the
         * header back so the word stays zero for the next lap, and claim
         * again.  acquire: if our CAS read a zero stored by release, the
         * release fence there makes its `releasing` visible here.
         */
        if (hrx_load_acquire(&ring->ctl->releasing) > tail) {
            expected = hrx_ring_hdr(-(int32_t) record_len, type);
            (void) hrx_cas_acq_rel(word, &expected, 0);
            continue;
        }

        /*
         * Hardware store-store order: the header must be visible before any
         * payload byte, or the consumer's unblock scan could take a payload
         * word for a header.  Free on x86; dmb on arm64.
         */
        hrx_fence_release();

        *payload = ring->data + index + HRX_RING_HEADER_SIZE;

        return (int64_t) tail;
    }
}


int
hrx_ring_commit(hrx_ring_t *ring, int64_t pos)
{
    uint64_t           hdr;
    int32_t            length;
    _Atomic uint64_t  *word;

    if (pos < 0) {
        return -1;
    }

    word = hrx_ring_word(ring, (uint64_t) pos & ring->mask);

    /*
     * acquire: pairs with whatever release wrote this header; if it is not
     * our own {-length} any more, the consumer unblocked us.
     */
    hdr = hrx_load_acquire(word);
    length = hrx_ring_hdr_length(hdr);

    if (length >= 0) {
        return -1;                  /* made padding, or already freed */
    }

    /*
     * The consumer has moved past pos: the space was unblocked and freed
     * while we stalled, and our header landed on freed memory.  Take it
     * back (a CAS: the word may belong to a newer claim by now) so the next
     * lap finds zero there.  acquire: pairs with the release fence in
     * hrx_ring_release().
     */
    if (hrx_load_acquire(&ring->ctl->releasing) > (uint64_t) pos) {
        (void) hrx_cas_acq_rel(word, &hdr, 0);
        return -1;
    }

    /*
     * release (the CAS is acq_rel): the payload we wrote is visible before
     * the positive length.  Pairs with the consumer's acquire in peek.
     * The CAS fails when the consumer turned the record into padding first.
     */
    if (!hrx_cas_acq_rel(word, &hdr,
                         hrx_ring_hdr(-length, hrx_ring_hdr_type(hdr))))
    {
        return -1;
    }

    return 0;
}


int64_t
hrx_ring_write(hrx_ring_t *ring, int32_t type, const void *payload,
    uint32_t len)
{
    void     *p;
    int64_t   pos;

    pos = hrx_ring_claim(ring, type, len, &p);
    if (pos < 0) {
        return pos;
    }

    if (len != 0) {
        memcpy(p, payload, len);
    }

    /*
     * Unblocked between claim and commit (we stalled past the timeout):
     * the record was not delivered; the caller may try again.
     */
    if (hrx_ring_commit(ring, pos) != 0) {
        return HRX_RING_FULL;
    }

    return pos;
}


uint64_t
hrx_ring_peek(hrx_ring_t *ring, uint64_t from, uint32_t max_records,
    uint64_t max_bytes, hrx_ring_handler_pt handler, void *ctx)
{
    int32_t   length, type;
    uint32_t  handed;
    uint64_t  pos, index, hdr, limit;

    pos = from;
    handed = 0;

    /*
     * Never read a lap ahead of head: when the ring is full, the position
     * tail maps onto the unreleased record at head, whose header still
     * says "committed".  Everything in [tail, head + capacity) is zero.
     * relaxed: only the consumer writes head.
     */
    limit = hrx_load_relaxed(&ring->ctl->head) + ring->capacity;

    while (handed < max_records && pos - from < max_bytes && pos < limit) {

        index = pos & ring->mask;

        /*
         * acquire: pairs with the producer's release CAS in commit (or the
         * padding CAS in claim, or our own unblock), so the payload is
         * visible once the length is positive.
         */
        hdr = hrx_load_acquire(hrx_ring_word(ring, index));
        length = hrx_ring_hdr_length(hdr);

        if (length <= 0) {
            break;                  /* claimed, or nothing there yet */
        }

        if (length < HRX_RING_HEADER_SIZE
            || index + (uint64_t) length > ring->capacity)
        {
            break;                  /* cannot happen unless corrupted */
        }

        type = hrx_ring_hdr_type(hdr);

        if (type != HRX_RING_PADDING) {
            if (handler(ctx, type, ring->data + index + HRX_RING_HEADER_SIZE,
                        (uint32_t) length - HRX_RING_HEADER_SIZE, pos)
                != 0)
            {
                break;
            }

            handed++;
        }

        pos += hrx_ring_align((uint64_t) length);
    }

    return pos;
}


/* zero [index, index + len) of the data area; both are 8-aligned */
static void
hrx_ring_zero(hrx_ring_t *ring, uint64_t index, uint64_t len)
{
    uint64_t  off;

    for (off = 0; off < len; off += HRX_RING_ALIGNMENT) {
        hrx_store_relaxed(hrx_ring_word(ring, index + off), 0);
    }
}


void
hrx_ring_release(hrx_ring_t *ring, uint64_t to)
{
    uint64_t  head, len, index, first;

    /* relaxed: only the consumer writes head */
    head = hrx_load_relaxed(&ring->ctl->head);

    if (to <= head) {
        return;
    }

    len = to - head;
    if (len > ring->capacity) {
        len = ring->capacity;
    }

    index = head & ring->mask;
    first = ring->capacity - index;
    if (first > len) {
        first = len;
    }

    /*
     * A producer stalled between its tail CAS and its header CAS may find
     * its header word tombstoned by unblock and then zeroed here, and win
     * its CAS on space that is being freed.  So announce `releasing`
     * first, and zero with atomic stores after a release fence: a producer
     * whose CAS reads one of these zeroes then sees `releasing` (fence to
     * acquire synchronisation) and gives the claim up.
     */
    hrx_store_relaxed(&ring->ctl->releasing, to);
    hrx_fence_release();

    /* no producer claims [head, to) until it sees the new head */
    hrx_ring_zero(ring, index, first);
    if (len > first) {
        hrx_ring_zero(ring, 0, len - first);
    }

    /*
     * release: pairs with the producers' acquire of head (directly or via
     * head_cache): the zeroes are visible before they reuse the space.
     */
    hrx_store_release(&ring->ctl->head, to);
}


int
hrx_ring_unblock(hrx_ring_t *ring, uint64_t pos)
{
    int32_t            length;
    uint64_t           index, hdr, tail, limit, off, expected;
    _Atomic uint64_t  *word;

    index = pos & ring->mask;
    word = hrx_ring_word(ring, index);

    /* acquire: pairs with the producer's header CAS in claim/commit */
    hdr = hrx_load_acquire(word);
    length = hrx_ring_hdr_length(hdr);

    if (length < 0) {
        /*
         * Claimed, never committed: keep its length, make it padding.
         * Races with the producer's commit CAS; exactly one wins.
         */
        return hrx_cas_acq_rel(word, &hdr,
                               hrx_ring_hdr(-length, HRX_RING_PADDING));
    }

    if (hdr != 0) {
        return 0;                   /* committed meanwhile */
    }

    /* acquire: the tail covers claims whose headers we are about to see */
    tail = hrx_load_acquire(&ring->ctl->tail);

    if (pos >= tail) {
        return 0;                   /* nothing was ever claimed at pos */
    }

    /*
     * Nobody installed a header at pos.  Take every zero word from pos on
     * with a CAS from zero, up to the first word someone else holds (a
     * header: payload is written only after its header), the tail we read
     * (a record boundary), or the end of the data area (records never
     * cross it).  A producer that loses one of these words claims again.
     */
    limit = tail - pos;
    if (limit > ring->capacity - index) {
        limit = ring->capacity - index;
    }

    for (off = 0; off < limit; off += HRX_RING_ALIGNMENT) {
        expected = 0;

        if (!hrx_cas_acq_rel(hrx_ring_word(ring, index + off), &expected,
                             hrx_ring_hdr(HRX_RING_ALIGNMENT,
                                          HRX_RING_PADDING)))
        {
            break;
        }
    }

    if (off == 0) {
        return 0;                   /* the producer installed its header */
    }

    /*
     * One padding record over the whole dead region.  No producer can
     * touch these words now (they CAS from zero only); release: pairs with
     * our own acquire in the next peek, for symmetry.
     */
    if (off > HRX_RING_ALIGNMENT) {
        hrx_store_release(word,
                          hrx_ring_hdr((int32_t) off, HRX_RING_PADDING));
    }

    return 1;
}


uint64_t
hrx_ring_head(const hrx_ring_t *ring)
{
    /* acquire: pairs with the release-store in hrx_ring_release() */
    return hrx_load_acquire(&ring->ctl->head);
}


uint64_t
hrx_ring_tail(const hrx_ring_t *ring)
{
    /* acquire: pairs with the producers' acq_rel CAS on the tail */
    return hrx_load_acquire(&ring->ctl->tail);
}
