/*
 * Tests of the shm file (shm/hrx_shm.c): create and reopen, the startup
 * errors for foreign, old or damaged files, replacement detection,
 * scheduler liveness and the cross-process futex wake-up.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "hrx_shm.h"

typedef struct {
    char               dir[64];
    char               path[128];
    hrx_shm_params_t   params;
    char               err[512];
} shm_state_t;


static int
shm_setup(void **state)
{
    shm_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);

    strcpy(st->dir, "/tmp/hrx-test-shm-XXXXXX");
    assert_non_null(mkdtemp(st->dir));
    snprintf(st->path, sizeof(st->path), "%s/%s", st->dir, HRX_SHM_FILE);

    st->params.ring_capacity = 4096;
    st->params.slot_count = 16;
    st->params.slot_size = 256;
    st->params.bcast_capacity = 2048;

    *state = st;
    return 0;
}


static int
shm_teardown(void **state)
{
    shm_state_t  *st = *state;

    unlink(st->path);
    rmdir(st->dir);
    free(st);
    return 0;
}


static void
create(shm_state_t *st, hrx_shm_t *shm)
{
    st->err[0] = '\0';
    assert_int_equal(hrx_shm_create_or_open(st->path, &st->params, shm,
                                            st->err, sizeof(st->err)), 0);
}


/* overwrite bytes of the file on disk */
static void
poke(shm_state_t *st, off_t off, const void *data, size_t len)
{
    int  fd;

    fd = open(st->path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, off), (ssize_t) len);
    close(fd);
}


static void
expect_open_error(shm_state_t *st, const char *needle)
{
    hrx_shm_t  shm;

    st->err[0] = '\0';
    assert_int_equal(hrx_shm_open(st->path, &shm, st->err, sizeof(st->err)),
                     -1);

    if (strstr(st->err, needle) == NULL) {
        fail_msg("error \"%s\" lacks \"%s\"", st->err, needle);
    }

    /* the scheduler refuses it the same way */
    st->err[0] = '\0';
    assert_int_equal(hrx_shm_create_or_open(st->path, &st->params, &shm,
                                            st->err, sizeof(st->err)), -1);

    if (strstr(st->err, needle) == NULL) {
        fail_msg("error \"%s\" lacks \"%s\"", st->err, needle);
    }
}


static void
test_shm_create_and_reopen(void **state)
{
    int32_t          type;
    uint32_t         len, idx, gen;
    uint8_t          buf[64];
    struct stat      sb;
    hrx_shm_t        a, b;
    hrx_shm_params_t other;
    shm_state_t     *st = *state;

    create(st, &a);

    assert_int_equal(a.hdr->magic, HRX_SHM_MAGIC);
    assert_int_equal(a.hdr->layout_version, HRX_SHM_LAYOUT_VERSION);
    assert_int_equal(a.ring.capacity, 4096);
    assert_int_equal(a.slots.count, 16);
    assert_int_equal(a.slots.size, 256);
    assert_int_equal(a.bcast.capacity, 2048);
    assert_int_equal(a.hdr->ring_offset % 4096, 0);
    assert_int_equal(a.hdr->slots_offset % 4096, 0);
    assert_int_equal(a.hdr->bcast_offset % 4096, 0);
    assert_true(a.hdr->created_at_ms > 0);

    assert_int_equal(stat(st->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0660);
    assert_int_equal((uint64_t) sb.st_size, a.size);

    /* no temporary file left behind */
    {
        char  tmp[160];

        snprintf(tmp, sizeof(tmp), "%s.XXXXXX", st->path);
        assert_int_equal(access(tmp, F_OK), -1);
    }

    assert_int_equal(hrx_ring_write(&a.ring, HRX_REC_COMMAND, "cmd", 3), 0);
    assert_int_equal(hrx_slots_claim(&a.slots, getpid(), 1, &idx, &gen), 0);
    hrx_counter_add(&a, HRX_CTR_COMMANDS_SUBMITTED, 2);

    /* a worker maps the same memory */
    assert_int_equal(hrx_shm_open(st->path, &b, st->err, sizeof(st->err)), 0);
    assert_int_equal(b.size, a.size);
    assert_int_equal(b.ring.capacity, 4096);
    assert_int_equal(hrx_ring_tail(&b.ring), 16);
    assert_int_equal(hrx_load_relaxed(&b.hdr->counters
                                      [HRX_CTR_COMMANDS_SUBMITTED]), 2);
    assert_int_equal(hrx_slot_state(hrx_load_relaxed(
                         &hrx_slots_get(&b.slots, idx)->word)),
                     HRX_SLOT_CLAIMED);

    assert_int_equal(hrx_bcast_publish(&a.bcast, 4, "evt", 3), 0);
    {
        hrx_bcast_reader_t  r = { 0, 0 };

        assert_int_equal(hrx_bcast_receive(&b.bcast, &r, &type, buf,
                                           sizeof(buf), &len), 1);
        assert_int_equal(type, 4);
    }

    hrx_shm_close(&b);
    hrx_shm_close(&a);

    /* an existing file keeps its own sizes */
    other = st->params;
    other.ring_capacity = 8192;
    assert_int_equal(hrx_shm_create_or_open(st->path, &other, &a, st->err,
                                            sizeof(st->err)), 0);
    assert_int_equal(a.ring.capacity, 4096);
    assert_int_equal(hrx_ring_tail(&a.ring), 16);
    hrx_shm_close(&a);

    /* closing twice is harmless */
    hrx_shm_close(&a);
}


static void
test_shm_default_params(void **state)
{
    hrx_shm_t         shm;
    hrx_shm_params_t  p;
    shm_state_t      *st = *state;

    hrx_shm_default_params(&p);
    assert_int_equal(p.ring_capacity, HRX_SHM_DEFAULT_RING);
    assert_int_equal(p.slot_count, HRX_SHM_DEFAULT_SLOTS);

    assert_int_equal(hrx_shm_create_or_open(st->path, &p, &shm, st->err,
                                            sizeof(st->err)), 0);
    assert_int_equal(shm.ring.max_payload, HRX_SHM_DEFAULT_RING / 8 - 8);
    assert_true(shm.size > HRX_SHM_DEFAULT_RING
                + (uint64_t) HRX_SHM_DEFAULT_SLOTS * HRX_SHM_DEFAULT_SLOT_SIZE);
    hrx_shm_close(&shm);
}


static void
test_shm_bad_params(void **state)
{
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    st->params.ring_capacity = 5000;
    assert_int_equal(hrx_shm_create_or_open(st->path, &st->params, &shm,
                                            st->err, sizeof(st->err)), -1);
    assert_non_null(strstr(st->err, "ring capacity 5000"));
    assert_int_equal(access(st->path, F_OK), -1);

    st->params.ring_capacity = 4096;
    st->params.slot_size = 100;
    assert_int_equal(hrx_shm_create_or_open(st->path, &st->params, &shm,
                                            st->err, sizeof(st->err)), -1);
    assert_non_null(strstr(st->err, "slot size 100"));

    /* a NULL err is allowed */
    assert_int_equal(hrx_shm_create_or_open(st->path, &st->params, &shm,
                                            NULL, 0), -1);
}


static void
test_shm_missing(void **state)
{
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    assert_int_equal(hrx_shm_open(st->path, &shm, st->err, sizeof(st->err)),
                     -1);
    assert_non_null(strstr(st->err, st->path));
    assert_non_null(strstr(st->err, "No such file"));
}


static void
test_shm_wrong_magic(void **state)
{
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);
    hrx_shm_close(&shm);

    poke(st, 0, "NOTHRX!!", 8);
    expect_open_error(st, "not an hrx shm file");
    expect_open_error(st, st->path);
}


static void
test_shm_wrong_version(void **state)
{
    uint32_t      v = 99;
    char          want[80];
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);
    hrx_shm_close(&shm);

    poke(st, offsetof(hrx_shm_header_t, layout_version), &v, sizeof(v));
    snprintf(want, sizeof(want), "layout version 99, this build expects %d",
             HRX_SHM_LAYOUT_VERSION);
    expect_open_error(st, want);
    expect_open_error(st, "stop nginx and hrx-scheduler and remove");
    expect_open_error(st, st->path);
}


static void
test_shm_wrong_header_size(void **state)
{
    uint32_t      v = 64;
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);
    hrx_shm_close(&shm);

    poke(st, offsetof(hrx_shm_header_t, header_size), &v, sizeof(v));
    expect_open_error(st, "header of 64 bytes");
}


static void
test_shm_inconsistent_layout(void **state)
{
    uint64_t      v;
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);
    v = shm.hdr->slots_offset + 4096;
    hrx_shm_close(&shm);

    poke(st, offsetof(hrx_shm_header_t, slots_offset), &v, sizeof(v));
    expect_open_error(st, "inconsistent layout");

    /* a capacity that is not a power of two */
    assert_int_equal(unlink(st->path), 0);
    create(st, &shm);
    hrx_shm_close(&shm);

    v = 3000;
    poke(st, offsetof(hrx_shm_header_t, ring_capacity), &v, sizeof(v));
    expect_open_error(st, "ring capacity 3000");
    expect_open_error(st, st->path);
}


static void
test_shm_truncated(void **state)
{
    char          full[160];
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);
    hrx_shm_close(&shm);

    assert_int_equal(truncate(st->path, 8192), 0);
    expect_open_error(st, "truncated");
    snprintf(full, sizeof(full), "is 8192 bytes but its header says");
    expect_open_error(st, full);
    expect_open_error(st, st->path);

    /* too short even for a header */
    assert_int_equal(truncate(st->path, 10), 0);
    expect_open_error(st, "too small");
    expect_open_error(st, st->path);

    assert_int_equal(truncate(st->path, 0), 0);
    expect_open_error(st, "too small");
}


static void
test_shm_replaced(void **state)
{
    hrx_shm_t     a, b;
    shm_state_t  *st = *state;

    create(st, &a);
    assert_int_equal(hrx_shm_replaced(&a, st->path), 0);

    /* the scheduler removed it and made a new one */
    assert_int_equal(unlink(st->path), 0);
    assert_int_equal(hrx_shm_replaced(&a, st->path), 1);

    create(st, &b);
    assert_int_equal(hrx_shm_replaced(&a, st->path), 1);
    assert_int_equal(hrx_shm_replaced(&b, st->path), 0);

    /* the old mapping is still usable memory, just not the shared one */
    assert_int_equal(hrx_ring_write(&a.ring, 1, "x", 1), 0);
    assert_int_equal(hrx_ring_tail(&b.ring), 0);

    hrx_shm_close(&a);
    hrx_shm_close(&b);
}


static void
test_shm_scheduler_alive(void **state)
{
    int           status;
    pid_t         pid;
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);

    /* a fresh file: no scheduler */
    assert_int_equal(hrx_shm_scheduler_alive(&shm, 1000), 0);

    hrx_store_release(&shm.hdr->heartbeat_ms, hrx_monotonic_ms());
    hrx_store_release(&shm.hdr->scheduler_pid, (int32_t) getpid());
    assert_int_equal(hrx_shm_scheduler_alive(&shm, 1000), 1);

    /* alive but silent for too long */
    hrx_store_release(&shm.hdr->heartbeat_ms, hrx_monotonic_ms() - 5000);
    assert_int_equal(hrx_shm_scheduler_alive(&shm, 1000), 0);
    assert_int_equal(hrx_shm_scheduler_alive(&shm, 10000), 1);

    /* a dead pid, with a fresh heartbeat */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);

    hrx_store_release(&shm.hdr->heartbeat_ms, hrx_monotonic_ms());
    hrx_store_release(&shm.hdr->scheduler_pid, (int32_t) pid);
    assert_int_equal(hrx_shm_scheduler_alive(&shm, 1000), 0);

    /* pid 1 exists but may be another user's: EPERM still counts */
    hrx_store_release(&shm.hdr->scheduler_pid, 1);
    assert_int_equal(hrx_shm_scheduler_alive(&shm, 1000), 1);

    hrx_store_release(&shm.hdr->scheduler_pid, 0);
    assert_int_equal(hrx_shm_scheduler_alive(&shm, 1000), 0);

    hrx_shm_close(&shm);
}


static void
test_shm_wait_timeout(void **state)
{
    uint64_t      t0, dt;
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);

    t0 = hrx_monotonic_ms();
    hrx_shm_wait(&shm, hrx_ring_tail(&shm.ring), 100);
    dt = hrx_monotonic_ms() - t0;

    assert_true(dt >= 90);
    assert_true(dt < 2000);
    assert_int_equal(hrx_load_relaxed(&shm.hdr->consumer_sleeping), 0);

    /* the tail moved since the caller looked: no sleep at all */
    assert_int_equal(hrx_ring_write(&shm.ring, 1, "x", 1), 0);
    t0 = hrx_monotonic_ms();
    hrx_shm_wait(&shm, 0, 5000);
    assert_true(hrx_monotonic_ms() - t0 < 1000);

    /* nobody sleeps: a wake is a no-op */
    hrx_shm_wake_consumer(&shm);
    assert_int_equal(hrx_load_relaxed(&shm.hdr->wake_seq), 0);

    hrx_shm_close(&shm);
}


static void
test_shm_wait_sees_late_commit(void **state)
{
    void         *p;
    int64_t       pos;
    uint64_t      t0, seen;
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);

    /*
     * The scheduler read the tail while a record was claimed but not yet
     * committed; the commit (and its wake) came before it announced that
     * it sleeps.  The tail did not move: the header at head tells.
     */
    pos = hrx_ring_claim(&shm.ring, 1, 8, &p);
    assert_int_equal(pos, 0);
    seen = hrx_ring_tail(&shm.ring);

    t0 = hrx_monotonic_ms();
    hrx_shm_wait(&shm, seen, 100);
    assert_true(hrx_monotonic_ms() - t0 >= 90);      /* still uncommitted */

    memset(p, 1, 8);
    assert_int_equal(hrx_ring_commit(&shm.ring, pos), 0);
    hrx_shm_wake_consumer(&shm);                     /* nobody sleeps yet */

    t0 = hrx_monotonic_ms();
    hrx_shm_wait(&shm, seen, 5000);
    assert_true(hrx_monotonic_ms() - t0 < 1000);

    /* consumed and released: sleeps again */
    hrx_ring_release(&shm.ring, 16);
    t0 = hrx_monotonic_ms();
    hrx_shm_wait(&shm, seen, 100);
    assert_true(hrx_monotonic_ms() - t0 >= 90);

    hrx_shm_close(&shm);
}


/* child: wait until the parent sleeps, then wake it (optionally writing) */
static void
waker_main(hrx_shm_t *shm, int write_record)
{
    uint64_t         deadline;
    struct timespec  ts = { 0, 20 * 1000000L };

    deadline = hrx_monotonic_ms() + 10000;

    while (hrx_load_acquire(&shm->hdr->consumer_sleeping) == 0) {
        if (hrx_monotonic_ms() > deadline) {
            _exit(3);
        }

        nanosleep(&(struct timespec) { 0, 1000000L }, NULL);
    }

    /* let it get into FUTEX_WAIT */
    nanosleep(&ts, NULL);

    if (write_record && hrx_ring_write(&shm->ring, 1, "wake", 4) < 0) {
        _exit(2);
    }

    hrx_shm_wake_consumer(shm);
    _exit(0);
}


static void
test_shm_wait_woken_by_other_process(void **state)
{
    int           status, round;
    pid_t         pid;
    uint64_t      t0, dt;
    hrx_shm_t     shm;
    shm_state_t  *st = *state;

    create(st, &shm);

    for (round = 0; round < 2; round++) {
        pid = fork();
        assert_true(pid >= 0);

        if (pid == 0) {
            waker_main(&shm, round);
        }

        t0 = hrx_monotonic_ms();
        hrx_shm_wait(&shm, hrx_ring_tail(&shm.ring), 8000);
        dt = hrx_monotonic_ms() - t0;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);

        if (dt >= 5000) {
            fail_msg("round %d: woken after %llu ms, not by the wake", round,
                     (unsigned long long) dt);
        }

        assert_int_equal(hrx_load_relaxed(&shm.hdr->wake_seq),
                         (uint32_t) round + 1);
    }

    assert_int_equal(hrx_ring_tail(&shm.ring), 16);
    hrx_shm_close(&shm);
}


static void
test_shm_counter_names(void **state)
{
    int  i, j;

    (void) state;

    for (i = 0; i < HRX_CTR_MAX; i++) {
        assert_non_null(hrx_counter_names[i]);
        assert_non_null(hrx_counter_help[i]);
        assert_true(strlen(hrx_counter_help[i]) > 5);
        assert_int_equal(strspn(hrx_counter_names[i],
                                "abcdefghijklmnopqrstuvwxyz_"),
                         strlen(hrx_counter_names[i]));

        for (j = 0; j < i; j++) {
            assert_string_not_equal(hrx_counter_names[i],
                                    hrx_counter_names[j]);
        }
    }

    assert_string_equal(hrx_counter_names[HRX_CTR_COMMANDS_SUBMITTED],
                        "commands_submitted");
    assert_string_equal(hrx_counter_names[HRX_CTR_LOGINS_FAILED],
                        "logins_failed");
}


static void
test_shm_clocks(void **state)
{
    uint64_t  a, b;

    (void) state;

    a = hrx_monotonic_ms();
    b = hrx_monotonic_ms();
    assert_true(b >= a);

    /* after 2020-01-01 */
    assert_true(hrx_wall_ms() > 1577836800000ULL);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shm_create_and_reopen,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_default_params,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_bad_params,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_missing,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_wrong_magic,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_wrong_version,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_wrong_header_size,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_inconsistent_layout,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_truncated,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_replaced,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_scheduler_alive,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_wait_timeout,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_wait_sees_late_commit,
                                        shm_setup, shm_teardown),
        cmocka_unit_test_setup_teardown(test_shm_wait_woken_by_other_process,
                                        shm_setup, shm_teardown),
        cmocka_unit_test(test_shm_counter_names),
        cmocka_unit_test(test_shm_clocks),
    };

    return cmocka_run_group_tests_name("hrx_shm", tests, NULL, NULL);
}
