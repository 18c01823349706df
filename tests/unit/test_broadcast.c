/*
 * Tests of the broadcast ring (shm/hrx_broadcast.c): order, wrap-around,
 * a reader lapped by the producer, a reader buffer too small.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_broadcast.h"

#define CAP  1024

typedef struct {
    void         *region;
    hrx_bcast_t   b;
} bcast_state_t;


static int
bcast_setup(void **state)
{
    bcast_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);

    assert_int_equal(posix_memalign(&st->region, 4096,
                                    HRX_BCAST_CTL_SIZE + CAP), 0);
    memset(st->region, 0, HRX_BCAST_CTL_SIZE + CAP);

    assert_int_equal(hrx_bcast_attach(&st->b, st->region, CAP), 0);

    *state = st;
    return 0;
}


static int
bcast_teardown(void **state)
{
    bcast_state_t  *st = *state;

    free(st->region);
    free(st);
    return 0;
}


static void
fill(char *p, uint32_t len, uint32_t seed)
{
    uint32_t  i;

    for (i = 0; i < len; i++) {
        p[i] = (char) ('a' + (seed + i) % 26);
    }
}


static void
test_bcast_attach_rejects(void **state)
{
    hrx_bcast_t     b;
    bcast_state_t  *st = *state;

    assert_int_equal(hrx_bcast_attach(&b, st->region, 1000), -1);
    assert_int_equal(hrx_bcast_attach(&b, st->region, 512), -1);
    assert_int_equal(hrx_bcast_attach(&b, NULL, CAP), -1);
    assert_int_equal(st->b.max_payload, CAP / 8 - 8);
}


static void
test_bcast_in_order(void **state)
{
    char                 buf[256];
    int32_t              type;
    uint32_t             len;
    hrx_bcast_reader_t   r, late;
    bcast_state_t       *st = *state;

    hrx_bcast_reader_init(&st->b, &r);
    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 0);

    assert_int_equal(hrx_bcast_publish(&st->b, 1, "one", 3), 0);
    assert_int_equal(hrx_bcast_publish(&st->b, 2, "two!", 4), 0);

    /* a reader that starts now sees only later events */
    hrx_bcast_reader_init(&st->b, &late);

    assert_int_equal(hrx_bcast_publish(&st->b, 3, "", 0), 0);

    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 1);
    assert_int_equal(type, 1);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "one", 3);

    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 1);
    assert_int_equal(type, 2);
    assert_memory_equal(buf, "two!", 4);

    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 1);
    assert_int_equal(type, 3);
    assert_int_equal(len, 0);

    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 0);

    assert_int_equal(hrx_bcast_receive(&st->b, &late, &type, buf,
                                       sizeof(buf), &len), 1);
    assert_int_equal(type, 3);
    assert_int_equal(hrx_bcast_receive(&st->b, &late, &type, buf,
                                       sizeof(buf), &len), 0);
    assert_int_equal(r.lapped, 0);
}


static void
test_bcast_wrap(void **state)
{
    char                 buf[256], want[256];
    int32_t              type;
    uint32_t             i, n, len;
    hrx_bcast_reader_t   r;
    bcast_state_t       *st = *state;

    hrx_bcast_reader_init(&st->b, &r);
    srand(7);

    for (i = 0; i < 2000; i++) {
        n = (uint32_t) rand() % (st->b.max_payload + 1);
        fill(want, n, i);
        assert_int_equal(hrx_bcast_publish(&st->b, (int32_t) i, want, n), 0);

        /* read every other round: two records in flight at times */
        if (i % 2 == 0) {
            continue;
        }

        assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf,
                                           sizeof(buf), &len), 1);
        assert_int_equal(type, (int32_t) i - 1);

        assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf,
                                           sizeof(buf), &len), 1);
        assert_int_equal(type, (int32_t) i);
        assert_int_equal(len, n);
        assert_memory_equal(buf, want, n);
    }

    assert_int_equal(r.lapped, 0);
    assert_true(hrx_load_relaxed(&st->b.ctl->tail) > 50 * CAP);
    assert_int_equal(r.cursor, hrx_load_relaxed(&st->b.ctl->tail));
}


static void
test_bcast_lapped(void **state)
{
    char                 buf[256], want[64];
    int32_t              type;
    uint32_t             i, len;
    hrx_bcast_reader_t   r;
    bcast_state_t       *st = *state;

    hrx_bcast_reader_init(&st->b, &r);

    /* 40 x 64 bytes: more than two laps past the slow reader */
    for (i = 0; i < 40; i++) {
        fill(want, 56, i);
        assert_int_equal(hrx_bcast_publish(&st->b, (int32_t) i, want, 56), 0);
    }

    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), -1);
    assert_int_equal(r.lapped, 1);

    /* moved to the newest record: it reads that one, then nothing */
    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 1);
    assert_int_equal(type, 39);
    fill(want, 56, 39);
    assert_memory_equal(buf, want, 56);
    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 0);

    /* and it keeps up with what comes next */
    assert_int_equal(hrx_bcast_publish(&st->b, 40, "next", 4), 0);
    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 1);
    assert_int_equal(type, 40);
    assert_memory_equal(buf, "next", 4);
    assert_int_equal(r.lapped, 1);
}


static void
test_bcast_lapped_exactly_one_lap(void **state)
{
    char                 buf[256], want[56];
    int32_t              type;
    uint32_t             i, len;
    hrx_bcast_reader_t   r;
    bcast_state_t       *st = *state;

    hrx_bcast_reader_init(&st->b, &r);
    memset(want, 'q', sizeof(want));

    /* 16 x 64 = one lap: the reader's first record is being overwritten */
    for (i = 0; i < 16; i++) {
        assert_int_equal(hrx_bcast_publish(&st->b, (int32_t) i, want, 56), 0);
    }

    /* conservative: a record a whole lap old counts as lost */
    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), -1);
    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 1);
    assert_int_equal(type, 15);

    /* one record less than a lap: nothing is lost */
    hrx_bcast_reader_init(&st->b, &r);

    for (i = 0; i < 15; i++) {
        assert_int_equal(hrx_bcast_publish(&st->b, (int32_t) i, want, 56), 0);
    }

    for (i = 0; i < 15; i++) {
        assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf,
                                           sizeof(buf), &len), 1);
        assert_int_equal(type, (int32_t) i);
    }

    assert_int_equal(r.lapped, 0);
}


static void
test_bcast_buffer_too_small(void **state)
{
    char                 buf[16];
    int32_t              type;
    uint32_t             len;
    hrx_bcast_reader_t   r;
    bcast_state_t       *st = *state;

    hrx_bcast_reader_init(&st->b, &r);

    assert_int_equal(hrx_bcast_publish(&st->b, 1, "0123456789abcdefXYZ", 19),
                     0);
    assert_int_equal(hrx_bcast_publish(&st->b, 2, "small", 5), 0);

    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), -2);

    /* the big record was skipped; the next one is read */
    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 1);
    assert_int_equal(type, 2);
    assert_memory_equal(buf, "small", 5);

    /* exactly buf_size fits */
    assert_int_equal(hrx_bcast_publish(&st->b, 3, "0123456789abcdef", 16), 0);
    assert_int_equal(hrx_bcast_receive(&st->b, &r, &type, buf, sizeof(buf),
                                       &len), 1);
    assert_int_equal(len, 16);
}


static void
test_bcast_oversize(void **state)
{
    char            big[CAP];
    bcast_state_t  *st = *state;

    memset(big, 'z', sizeof(big));
    assert_int_equal(hrx_bcast_publish(&st->b, 1, big, st->b.max_payload + 1),
                     -1);
    assert_int_equal(hrx_bcast_publish(&st->b, 1, big, st->b.max_payload), 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bcast_attach_rejects,
                                        bcast_setup, bcast_teardown),
        cmocka_unit_test_setup_teardown(test_bcast_in_order,
                                        bcast_setup, bcast_teardown),
        cmocka_unit_test_setup_teardown(test_bcast_wrap,
                                        bcast_setup, bcast_teardown),
        cmocka_unit_test_setup_teardown(test_bcast_lapped,
                                        bcast_setup, bcast_teardown),
        cmocka_unit_test_setup_teardown(test_bcast_lapped_exactly_one_lap,
                                        bcast_setup, bcast_teardown),
        cmocka_unit_test_setup_teardown(test_bcast_buffer_too_small,
                                        bcast_setup, bcast_teardown),
        cmocka_unit_test_setup_teardown(test_bcast_oversize,
                                        bcast_setup, bcast_teardown),
    };

    return cmocka_run_group_tests_name("hrx_broadcast", tests, NULL, NULL);
}
