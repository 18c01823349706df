/*
 * Single-process tests of the MPSC command ring (shm/hrx_ring.c): framing,
 * wrap-around padding, full and oversize, peek limits, release, unblock.
 * The multi-process behaviour is in test_ring_mp.c.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hrx_ring.h"

#define CAP       1024
#define MAX_SEEN  256

typedef struct {
    int32_t   type;
    uint32_t  len;
    uint64_t  pos;
    uint8_t   data[CAP];
} seen_record_t;

typedef struct {
    void           *region;
    hrx_ring_t      ring;
    uint32_t        count;
    int             stop_at;        /* handler refuses record #stop_at */
    seen_record_t   seen[MAX_SEEN];
} ring_state_t;


static int
collect(void *ctx, int32_t type, const uint8_t *payload, uint32_t len,
    uint64_t pos)
{
    ring_state_t   *st = ctx;
    seen_record_t  *r;

    if (st->stop_at >= 0 && (int) st->count == st->stop_at) {
        return 1;
    }

    assert_true(st->count < MAX_SEEN);
    r = &st->seen[st->count++];
    r->type = type;
    r->len = len;
    r->pos = pos;
    memcpy(r->data, payload, len);

    return 0;
}


static uint64_t
peek_all(ring_state_t *st, uint64_t from)
{
    st->count = 0;
    return hrx_ring_peek(&st->ring, from, UINT32_MAX, UINT64_MAX, collect, st);
}


static int
ring_setup(void **state)
{
    ring_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);

    assert_int_equal(posix_memalign(&st->region, 4096,
                                    HRX_RING_CTL_SIZE + CAP), 0);
    memset(st->region, 0xa5, HRX_RING_CTL_SIZE + CAP);   /* reset cleans */

    assert_int_equal(hrx_ring_attach(&st->ring, st->region, CAP), 0);
    hrx_ring_reset(&st->ring, 0);
    st->stop_at = -1;

    *state = st;
    return 0;
}


static int
ring_teardown(void **state)
{
    ring_state_t  *st = *state;

    free(st->region);
    free(st);
    return 0;
}


static void
fill(uint8_t *p, uint32_t len, uint32_t seed)
{
    uint32_t  i;

    for (i = 0; i < len; i++) {
        p[i] = (uint8_t) (seed * 31 + i * 7);
    }
}


static void
test_ring_attach_rejects(void **state)
{
    hrx_ring_t     r;
    ring_state_t  *st = *state;

    assert_int_equal(hrx_ring_attach(&r, st->region, 512), -1);
    assert_int_equal(hrx_ring_attach(&r, st->region, 1000), -1);
    assert_int_equal(hrx_ring_attach(&r, (uint8_t *) st->region + 8, CAP),
                     -1);
    assert_int_equal(hrx_ring_attach(&r, NULL, CAP), -1);
    assert_int_equal(hrx_ring_attach(&r, st->region, CAP), 0);
    assert_int_equal(r.max_payload, CAP / 8 - 8);
}


static void
test_ring_write_read_single(void **state)
{
    uint64_t       next;
    ring_state_t  *st = *state;

    assert_int_equal(hrx_ring_write(&st->ring, 7, "hello", 5), 0);
    assert_int_equal(hrx_ring_tail(&st->ring), 16);

    next = peek_all(st, 0);
    assert_int_equal(next, 16);
    assert_int_equal(st->count, 1);
    assert_int_equal(st->seen[0].type, 7);
    assert_int_equal(st->seen[0].len, 5);
    assert_int_equal(st->seen[0].pos, 0);
    assert_memory_equal(st->seen[0].data, "hello", 5);

    /* peek does not consume: the same record again */
    assert_int_equal(peek_all(st, 0), 16);
    assert_int_equal(st->count, 1);

    hrx_ring_release(&st->ring, next);
    assert_int_equal(hrx_ring_head(&st->ring), 16);
    assert_int_equal(peek_all(st, next), next);
    assert_int_equal(st->count, 0);

    /* an empty payload is a record too */
    assert_int_equal(hrx_ring_write(&st->ring, 3, NULL, 0), 16);
    assert_int_equal(peek_all(st, 16), 24);
    assert_int_equal(st->count, 1);
    assert_int_equal(st->seen[0].len, 0);
}


static void
test_ring_wrap_padding(void **state)
{
    int            batch, k;
    int64_t        pos;
    uint32_t       seq, rd, len, lens[16];
    uint64_t       from, last, padded;
    uint8_t        buf[CAP], want[CAP];
    ring_state_t  *st = *state;

    srand(1);
    seq = 0;
    rd = 0;
    from = 0;
    last = 0;
    padded = 0;

    while (hrx_ring_tail(&st->ring) < 50 * CAP) {
        batch = 1 + rand() % 4;

        for (k = 0; k < batch; k++) {
            len = (uint32_t) rand() % (st->ring.max_payload + 1);
            fill(buf, len, seq);
            pos = hrx_ring_write(&st->ring, (int32_t) (seq % 1000) + 1, buf,
                                 len);
            if (pos == HRX_RING_FULL) {
                break;
            }

            assert_true(pos >= 0);

            /* positions only grow; a gap means padding was claimed */
            assert_true((uint64_t) pos >= last);
            if ((uint64_t) pos != last) {
                padded++;
            }

            last = (uint64_t) pos + hrx_ring_align(len + 8);
            lens[seq % 16] = len;
            seq++;
        }

        from = hrx_ring_peek(&st->ring, from, UINT32_MAX, UINT64_MAX,
                             collect, st);

        for (k = 0; k < (int) st->count; k++) {
            len = lens[rd % 16];
            assert_int_equal(st->seen[k].type, (int32_t) (rd % 1000) + 1);
            assert_int_equal(st->seen[k].len, len);
            fill(want, len, rd);
            assert_memory_equal(st->seen[k].data, want, len);
            rd++;
        }

        st->count = 0;
        hrx_ring_release(&st->ring, from);
    }

    assert_int_equal(rd, seq);
    assert_true(padded > 10);
    assert_true(hrx_ring_head(&st->ring) >= 50 * CAP);
}


static void
test_ring_full(void **state)
{
    int            n;
    int64_t        pos;
    uint64_t       next;
    uint8_t        buf[120];
    ring_state_t  *st = *state;

    memset(buf, 1, sizeof(buf));

    /* 120 + 8 = 128: exactly 8 records fill 1024 bytes */
    for (n = 0; n < 8; n++) {
        assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 120), n * 128);
    }

    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 120), HRX_RING_FULL);
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 0), HRX_RING_FULL);

    /*
     * A full ring holds exactly one lap: position 1024 maps onto the
     * unreleased record at 0, which peek must not hand again.
     */
    assert_int_equal(peek_all(st, 0), 1024);
    assert_int_equal(st->count, 8);
    assert_int_equal(peek_all(st, 1024), 1024);
    assert_int_equal(st->count, 0);

    /* consuming is not enough: space comes back only on release */
    st->count = 0;
    next = hrx_ring_peek(&st->ring, 0, 2, UINT64_MAX, collect, st);
    assert_int_equal(next, 256);
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 120), HRX_RING_FULL);

    hrx_ring_release(&st->ring, next);
    pos = hrx_ring_write(&st->ring, 1, buf, 120);
    assert_int_equal(pos, 1024);
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 120), 1152);
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 1), HRX_RING_FULL);
}


static void
test_ring_full_stale_head_cache(void **state)
{
    int            n;
    uint8_t        buf[120];
    uint64_t       next;
    ring_state_t  *st = *state;

    memset(buf, 6, sizeof(buf));

    /* run the ring many laps on */
    next = 0;
    for (n = 0; n < 80; n++) {
        assert_true(hrx_ring_write(&st->ring, 1, buf, 120) >= 0);
        next = peek_all(st, next);
        hrx_ring_release(&st->ring, next);
    }

    for (n = 0; n < 8; n++) {
        assert_true(hrx_ring_write(&st->ring, 1, buf, 120) >= 0);
    }

    /*
     * A producer that read head_cache long ago and the tail just now sees
     * tail - head far above the capacity.  That must read as "look at the
     * real head" (full), not wrap around to a huge free space.
     */
    hrx_store_relaxed(&st->ring.ctl->head_cache, 0);

    /* the bug this guards against overran the ring, then spun: fail fast */
    alarm(10);
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 120), HRX_RING_FULL);
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 0), HRX_RING_FULL);
    alarm(0);
    assert_int_equal(hrx_load_relaxed(&st->ring.ctl->head_cache),
                     hrx_ring_head(&st->ring));

    assert_int_equal(peek_all(st, next), next + CAP);
    assert_int_equal(st->count, 8);
}


static void
test_ring_full_at_wrap(void **state)
{
    uint8_t        buf[120];
    uint64_t       next;
    ring_state_t  *st = *state;

    memset(buf, 2, sizeof(buf));

    /* 7 x 128 = 896; 128 bytes left at the end, head at 0 */
    for (int n = 0; n < 7; n++) {
        assert_true(hrx_ring_write(&st->ring, 1, buf, 120) >= 0);
    }

    /* a 96-byte record fits before the end; a 64-byte one needs index 0 */
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 88), 896);
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 56), HRX_RING_FULL);

    next = hrx_ring_peek(&st->ring, 0, 1, UINT64_MAX, collect, st);
    hrx_ring_release(&st->ring, next);          /* head index 128 */

    /* 32 bytes left at the end become padding; the record goes to 0 */
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 120), 1024);
    assert_int_equal(hrx_ring_tail(&st->ring), 1024 + 128);
}


static void
test_ring_oversize(void **state)
{
    void          *p;
    uint8_t        buf[CAP];
    ring_state_t  *st = *state;

    memset(buf, 3, sizeof(buf));

    assert_int_equal(st->ring.max_payload, 120);
    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 121),
                     HRX_RING_OVERSIZE);
    assert_int_equal(hrx_ring_claim(&st->ring, 1, UINT32_MAX, &p),
                     HRX_RING_OVERSIZE);
    assert_int_equal(hrx_ring_tail(&st->ring), 0);

    assert_int_equal(hrx_ring_write(&st->ring, 1, buf, 120), 0);
    assert_int_equal(peek_all(st, 0), 128);
    assert_int_equal(st->seen[0].len, 120);
    assert_memory_equal(st->seen[0].data, buf, 120);
}


static void
test_ring_peek_stops_at_uncommitted(void **state)
{
    void          *p;
    int64_t        a;
    ring_state_t  *st = *state;

    a = hrx_ring_claim(&st->ring, 5, 4, &p);
    assert_int_equal(a, 0);
    assert_int_equal(hrx_ring_write(&st->ring, 6, "next", 4), 16);

    /* A is claimed, not committed: B is not handed either */
    assert_int_equal(peek_all(st, 0), 0);
    assert_int_equal(st->count, 0);

    memcpy(p, "abcd", 4);
    assert_int_equal(hrx_ring_commit(&st->ring, a), 0);

    assert_int_equal(peek_all(st, 0), 32);
    assert_int_equal(st->count, 2);
    assert_int_equal(st->seen[0].type, 5);
    assert_memory_equal(st->seen[0].data, "abcd", 4);
    assert_int_equal(st->seen[1].type, 6);
    assert_int_equal(st->seen[1].pos, 16);

    /* a second commit of the same record is refused */
    assert_int_equal(hrx_ring_commit(&st->ring, a), -1);
}


static void
test_ring_peek_limits(void **state)
{
    int            i;
    uint64_t       next;
    ring_state_t  *st = *state;

    for (i = 0; i < 10; i++) {
        assert_int_equal(hrx_ring_write(&st->ring, i + 1, "12345678", 8),
                         i * 16);
    }

    st->count = 0;
    next = hrx_ring_peek(&st->ring, 0, 3, UINT64_MAX, collect, st);
    assert_int_equal(next, 48);
    assert_int_equal(st->count, 3);

    /* max_bytes: records are handed while less than 40 bytes passed */
    st->count = 0;
    next = hrx_ring_peek(&st->ring, 0, UINT32_MAX, 40, collect, st);
    assert_int_equal(st->count, 3);
    assert_int_equal(next, 48);

    /* one record is always handed, however small max_bytes is */
    st->count = 0;
    next = hrx_ring_peek(&st->ring, 16, UINT32_MAX, 1, collect, st);
    assert_int_equal(st->count, 1);
    assert_int_equal(next, 32);
    assert_int_equal(st->seen[0].type, 2);

    /* a handler returning non-zero stops before that record */
    st->count = 0;
    st->stop_at = 4;
    next = hrx_ring_peek(&st->ring, 0, UINT32_MAX, UINT64_MAX, collect, st);
    assert_int_equal(st->count, 4);
    assert_int_equal(next, 64);

    st->count = 0;
    st->stop_at = 0;
    assert_int_equal(hrx_ring_peek(&st->ring, 64, UINT32_MAX, UINT64_MAX,
                                   collect, st), 64);
}


static int
all_zero(const uint8_t *p, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }

    return 1;
}


static void
test_ring_release_zeroes(void **state)
{
    int            i;
    uint8_t        buf[120];
    uint64_t       next;
    ring_state_t  *st = *state;

    memset(buf, 0xff, sizeof(buf));

    for (i = 0; i < 6; i++) {
        assert_true(hrx_ring_write(&st->ring, 1, buf, 120) >= 0);
    }

    next = peek_all(st, 0);
    assert_int_equal(next, 768);

    hrx_ring_release(&st->ring, 384);
    assert_true(all_zero(st->ring.data, 384));
    assert_false(all_zero(st->ring.data + 384, 8));

    hrx_ring_release(&st->ring, next);
    assert_true(all_zero(st->ring.data, CAP));

    /* releasing an older position does nothing */
    hrx_ring_release(&st->ring, 100);
    assert_int_equal(hrx_ring_head(&st->ring), 768);

    /* a release across the end of the data area zeroes both pieces */
    for (i = 0; i < 4; i++) {
        assert_true(hrx_ring_write(&st->ring, 1, buf, 120) >= 0);
    }

    next = peek_all(st, next);
    assert_int_equal(next, 1280);
    hrx_ring_release(&st->ring, next);
    assert_true(all_zero(st->ring.data, CAP));
}


static void
test_ring_unblock_claimed(void **state)
{
    void          *p;
    int64_t        a;
    uint64_t       next;
    ring_state_t  *st = *state;

    a = hrx_ring_claim(&st->ring, 5, 20, &p);
    assert_int_equal(a, 0);
    assert_int_equal(hrx_ring_write(&st->ring, 6, "after", 5), 32);

    assert_int_equal(peek_all(st, 0), 0);

    /* the producer of A is presumed dead: A becomes padding */
    assert_int_equal(hrx_ring_unblock(&st->ring, 0), 1);
    assert_int_equal(hrx_ring_unblock(&st->ring, 0), 0);

    next = peek_all(st, 0);
    assert_int_equal(next, 48);
    assert_int_equal(st->count, 1);
    assert_int_equal(st->seen[0].type, 6);

    /* the late producer learns its record was dropped */
    memset(p, 0, 20);
    assert_int_equal(hrx_ring_commit(&st->ring, a), -1);

    /* a committed record is never unblocked */
    assert_int_equal(hrx_ring_unblock(&st->ring, 32), 0);
    assert_int_equal(peek_all(st, 32), 48);
    assert_int_equal(st->count, 1);

    /* nothing at or past the tail */
    assert_int_equal(hrx_ring_unblock(&st->ring, 48), 0);
}


static void
test_ring_commit_on_freed_space(void **state)
{
    void          *p;
    int64_t        a;
    ring_state_t  *st = *state;

    /*
     * A producer stalled between its tail CAS and its header CAS: the
     * consumer turned the space into padding, passed it and is freeing it
     * (releasing > pos) when the header CAS lands on a fresh zero.  The
     * commit must refuse and take the header back, so that the next lap
     * does not find a stray claimed header there.
     */
    a = hrx_ring_claim(&st->ring, 5, 20, &p);
    assert_int_equal(a, 0);
    hrx_store_relaxed(&st->ring.ctl->releasing, 64);

    assert_int_equal(hrx_ring_commit(&st->ring, a), -1);
    assert_true(all_zero(st->ring.data, CAP));
}


static void
test_ring_unblock_zero_header(void **state)
{
    uint64_t       next;
    ring_state_t  *st = *state;

    /*
     * A producer won the tail CAS for 40 bytes and died before storing
     * its header: simulate by moving the tail by hand.
     */
    hrx_store_relaxed(&st->ring.ctl->tail, 40);
    assert_int_equal(hrx_ring_write(&st->ring, 9, "live", 4), 40);

    assert_int_equal(peek_all(st, 0), 0);
    assert_int_equal(hrx_ring_unblock(&st->ring, 0), 1);

    next = peek_all(st, 0);
    assert_int_equal(next, 56);
    assert_int_equal(st->count, 1);
    assert_int_equal(st->seen[0].type, 9);
    assert_int_equal(st->seen[0].pos, 40);

    /* one padding record over the dead region, not five */
    assert_int_equal(hrx_load_relaxed((_Atomic uint64_t *)
                                      (void *) st->ring.data),
                     ((uint64_t) (uint32_t) HRX_RING_PADDING << 32) | 40);

    hrx_ring_release(&st->ring, next);
    assert_true(all_zero(st->ring.data, CAP));

    /* a dead claim with nothing after it: padded up to the tail */
    hrx_store_relaxed(&st->ring.ctl->tail, next + 24);
    assert_int_equal(hrx_ring_unblock(&st->ring, next), 1);
    assert_int_equal(peek_all(st, next), next + 24);
    assert_int_equal(st->count, 0);

    /* and the ring goes on */
    assert_int_equal(hrx_ring_write(&st->ring, 2, "ok", 2), next + 24);
    assert_int_equal(peek_all(st, next), next + 40);
    assert_int_equal(st->count, 1);
}


static void
test_ring_unblock_zero_header_at_end(void **state)
{
    uint8_t        buf[120];
    uint64_t       next;
    ring_state_t  *st = *state;

    memset(buf, 4, sizeof(buf));

    /*
     * A producer claimed the last 64 bytes as padding plus a record at 0,
     * then died before writing either header.  The scan must stop at the
     * end of the data area; the record at 0 is a second dead region.
     */
    hrx_ring_reset(&st->ring, 960);
    hrx_store_relaxed(&st->ring.ctl->tail, 1024 + 128);
    assert_int_equal(hrx_ring_write(&st->ring, 8, buf, 10), 1152);

    assert_int_equal(peek_all(st, 960), 960);
    assert_int_equal(hrx_ring_unblock(&st->ring, 960), 1);
    assert_int_equal(peek_all(st, 960), 1024);
    assert_int_equal(hrx_ring_unblock(&st->ring, 1024), 1);

    next = peek_all(st, 1024);
    assert_int_equal(next, 1152 + 24);
    assert_int_equal(st->count, 1);
    assert_int_equal(st->seen[0].type, 8);
}


static void
test_ring_positions_grow(void **state)
{
    int            i;
    int64_t        pos, prev;
    uint64_t       next;
    uint8_t        buf[100];
    ring_state_t  *st = *state;

    memset(buf, 5, sizeof(buf));
    prev = -1;
    next = 0;

    for (i = 0; i < 1000; i++) {
        pos = hrx_ring_write(&st->ring, 1, buf, (uint32_t) (i % 100));
        assert_true(pos > prev);
        prev = pos;

        next = peek_all(st, next);
        assert_int_equal(st->count, 1);
        assert_int_equal(st->seen[0].pos, (uint64_t) pos);
        hrx_ring_release(&st->ring, next);
    }

    assert_true(next > 40 * CAP);
    assert_int_equal(hrx_ring_head(&st->ring), hrx_ring_tail(&st->ring));
}


static void
test_ring_reset_nonzero(void **state)
{
    uint64_t       base, next;
    ring_state_t  *st = *state;

    assert_int_equal(hrx_ring_write(&st->ring, 1, "old", 3), 0);

    /* the scheduler resumes at the position it stored in SQLite */
    base = ((uint64_t) 1 << 40) + 1000;
    hrx_ring_reset(&st->ring, base);
    assert_int_equal(hrx_ring_head(&st->ring), base);
    assert_int_equal(hrx_ring_tail(&st->ring), base);
    assert_true(all_zero(st->ring.data, CAP));

    /* 1000 & 1023 leaves 24 bytes: a 16-byte record fits, the next wraps */
    assert_int_equal(hrx_ring_write(&st->ring, 1, "new", 3), (int64_t) base);
    assert_int_equal(hrx_ring_write(&st->ring, 2, "wrapped", 7),
                     (int64_t) (base + 24));

    next = peek_all(st, base);
    assert_int_equal(next, base + 24 + 16);
    assert_int_equal(st->count, 2);
    assert_memory_equal(st->seen[0].data, "new", 3);
    assert_memory_equal(st->seen[1].data, "wrapped", 7);

    /* an unaligned position is rounded up */
    hrx_ring_reset(&st->ring, 13);
    assert_int_equal(hrx_ring_tail(&st->ring), 16);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ring_attach_rejects,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_write_read_single,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_wrap_padding,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_full,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_full_stale_head_cache,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_full_at_wrap,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_oversize,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_peek_stops_at_uncommitted,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_peek_limits,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_release_zeroes,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_unblock_claimed,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_commit_on_freed_space,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_unblock_zero_header,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_unblock_zero_header_at_end,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_positions_grow,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_reset_nonzero,
                                        ring_setup, ring_teardown),
    };

    return cmocka_run_group_tests_name("hrx_ring", tests, NULL, NULL);
}
