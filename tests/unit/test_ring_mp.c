/*
 * Multi-process tests of the command ring: forked producers share an
 * anonymous MAP_SHARED mapping with the parent, which consumes and checks
 * that every record arrives exactly once, in order per producer, intact;
 * and that producers dying between claim and commit do not wedge it.
 *
 * Children never return into cmocka: they _exit() with a status the
 * parent checks.  Run under ASan only (valgrind serialises the processes
 * into something too slow to be useful here).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "hrx_ring.h"

#define MP_CAP            (16 * 1024)     /* small: many laps, full often */
#define MP_PRODUCERS      4
#define MP_PER_PRODUCER   100000
#define MP_MAX_FILLER     188          /* records up to 200 bytes */
#define MP_REC_DATA       1
#define MP_REC_DEAD       99
#define MP_UNBLOCK_MS     50
#define MP_DEADLINE_MS    60000

typedef struct {
    void       *region;
    size_t      size;
    hrx_ring_t  ring;
    pid_t       pids[MP_PRODUCERS + 2];
    int         npids;
} mp_state_t;

typedef struct {
    uint32_t  expected[MP_PRODUCERS];
    uint64_t  received;
    char      error[256];
} mp_check_t;


static uint64_t
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}


static uint32_t
xorshift(uint32_t *s)
{
    uint32_t  x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}


/* FNV-1a */
static uint32_t
checksum(const uint8_t *p, size_t n)
{
    size_t    i;
    uint32_t  h = 2166136261u;

    for (i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }

    return h;
}


/* record: u32 producer, u32 seq, u32 checksum, filler */
static uint32_t
make_record(uint8_t *buf, uint32_t producer, uint32_t seq, uint32_t *rng)
{
    uint32_t  i, n, sum;

    n = xorshift(rng) % (MP_MAX_FILLER + 1);

    for (i = 0; i < n; i++) {
        buf[12 + i] = (uint8_t) xorshift(rng);
    }

    sum = checksum(buf + 12, n);
    memcpy(buf, &producer, 4);
    memcpy(buf + 4, &seq, 4);
    memcpy(buf + 8, &sum, 4);

    return 12 + n;
}


static void
producer_main(hrx_ring_t *ring, uint32_t id, uint32_t count)
{
    int64_t   pos;
    uint32_t  seq, len, rng;
    uint8_t   buf[12 + MP_MAX_FILLER];

    rng = 0x9e3779b9u * (id + 1);

    for (seq = 0; seq < count; seq++) {
        len = make_record(buf, id, seq, &rng);

        /*
         * FULL also covers "unblocked before commit" (a live producer
         * preempted past the unblock timeout): the record was dropped and
         * is written again, so order per producer still holds.
         */
        while ((pos = hrx_ring_write(ring, MP_REC_DATA, buf, len))
               == HRX_RING_FULL)
        {
            sched_yield();
        }

        if (pos < 0) {
            _exit(2);
        }
    }

    _exit(0);
}


static int
check_record(void *ctx, int32_t type, const uint8_t *p, uint32_t len,
    uint64_t pos)
{
    uint32_t     producer, seq, sum;
    mp_check_t  *c = ctx;

    if (type != MP_REC_DATA || len < 12) {
        snprintf(c->error, sizeof(c->error), "record at %llu: type %d, "
                 "length %u", (unsigned long long) pos, type, len);
        return 1;
    }

    memcpy(&producer, p, 4);
    memcpy(&seq, p + 4, 4);
    memcpy(&sum, p + 8, 4);

    if (producer >= MP_PRODUCERS) {
        snprintf(c->error, sizeof(c->error), "record at %llu: producer %u",
                 (unsigned long long) pos, producer);
        return 1;
    }

    if (seq != c->expected[producer]) {
        snprintf(c->error, sizeof(c->error), "producer %u: got seq %u, "
                 "expected %u", producer, seq, c->expected[producer]);
        return 1;
    }

    if (checksum(p + 12, len - 12) != sum) {
        snprintf(c->error, sizeof(c->error), "producer %u seq %u: payload "
                 "damaged", producer, seq);
        return 1;
    }

    c->expected[producer]++;
    c->received++;

    return 0;
}


static int
mp_setup(void **state)
{
    mp_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);

    st->size = HRX_RING_CTL_SIZE + MP_CAP;
    st->region = mmap(NULL, st->size, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(st->region != MAP_FAILED);

    assert_int_equal(hrx_ring_attach(&st->ring, st->region, MP_CAP), 0);
    hrx_ring_reset(&st->ring, 0);

    *state = st;
    return 0;
}


static int
mp_teardown(void **state)
{
    int          i, status;
    mp_state_t  *st = *state;

    /* a failed test may leave children behind: end only ours */
    for (i = 0; i < st->npids; i++) {
        if (st->pids[i] > 0) {
            kill(st->pids[i], SIGKILL);
            waitpid(st->pids[i], &status, 0);
        }
    }

    munmap(st->region, st->size);
    free(st);
    return 0;
}


static pid_t
spawn_producer(mp_state_t *st, uint32_t id, uint32_t count)
{
    pid_t  pid;

    pid = fork();
    assert_true(pid >= 0);

    if (pid == 0) {
        producer_main(&st->ring, id, count);
    }

    st->pids[st->npids++] = pid;
    return pid;
}


/*
 * A producer that waits until the ring has moved past `after`, claims a
 * record and dies without committing it: by _exit() or by SIGKILL.
 */
static pid_t
spawn_dying_producer(mp_state_t *st, uint64_t after, int sigkill)
{
    void     *p;
    pid_t     pid;
    int64_t   pos;
    uint64_t  deadline;

    pid = fork();
    assert_true(pid >= 0);

    if (pid == 0) {
        deadline = now_ms() + MP_DEADLINE_MS;

        while (hrx_ring_tail(&st->ring) < after) {
            if (now_ms() > deadline) {
                _exit(3);
            }

            sched_yield();
        }

        while ((pos = hrx_ring_claim(&st->ring, MP_REC_DEAD, 64, &p))
               == HRX_RING_FULL)
        {
            sched_yield();
        }

        if (pos < 0) {
            _exit(2);
        }

        memset(p, 0xdd, 32);        /* half written */

        if (sigkill) {
            raise(SIGKILL);
        }

        _exit(0);
    }

    st->pids[st->npids++] = pid;
    return pid;
}


/*
 * The scheduler's loop in small: peek, release, and unblock a record that
 * has stayed uncommitted for unblock_ms (0: never unblock).
 */
static uint64_t
consume(mp_state_t *st, mp_check_t *c, uint64_t total, uint64_t unblock_ms)
{
    uint64_t  from, next, progress, deadline, unblocked;

    from = hrx_ring_head(&st->ring);
    progress = now_ms();
    deadline = progress + MP_DEADLINE_MS;
    unblocked = 0;

    while (c->received < total) {
        next = hrx_ring_peek(&st->ring, from, 4096, 1 << 20, check_record, c);

        if (c->error[0] != '\0') {
            fail_msg("%s", c->error);
        }

        if (next != from) {
            hrx_ring_release(&st->ring, next);
            from = next;
            progress = now_ms();
            continue;
        }

        if (now_ms() > deadline) {
            fail_msg("wedged at %llu (tail %llu) after %llu records",
                     (unsigned long long) from,
                     (unsigned long long) hrx_ring_tail(&st->ring),
                     (unsigned long long) c->received);
        }

        if (unblock_ms != 0 && hrx_ring_tail(&st->ring) > from
            && now_ms() - progress >= unblock_ms)
        {
            unblocked += (uint64_t) hrx_ring_unblock(&st->ring, from);
            progress = now_ms();
            continue;
        }

        sched_yield();
    }

    return unblocked;
}


static void
reap(mp_state_t *st, pid_t pid, int want_signal)
{
    int  i, status;

    assert_int_equal(waitpid(pid, &status, 0), pid);

    if (want_signal) {
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);

    } else {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }

    for (i = 0; i < st->npids; i++) {
        if (st->pids[i] == pid) {
            st->pids[i] = 0;
        }
    }
}


static void
test_ring_mp_exactly_once_in_order(void **state)
{
    int          i;
    pid_t        pids[MP_PRODUCERS];
    mp_check_t   c;
    mp_state_t  *st = *state;

    memset(&c, 0, sizeof(c));

    for (i = 0; i < MP_PRODUCERS; i++) {
        pids[i] = spawn_producer(st, (uint32_t) i, MP_PER_PRODUCER);
    }

    consume(st, &c, (uint64_t) MP_PRODUCERS * MP_PER_PRODUCER, 0);

    for (i = 0; i < MP_PRODUCERS; i++) {
        reap(st, pids[i], 0);
        assert_int_equal(c.expected[i], MP_PER_PRODUCER);
    }

    /* nothing more: the ring is drained and every byte zeroed again */
    assert_int_equal(hrx_ring_head(&st->ring), hrx_ring_tail(&st->ring));
    assert_true(hrx_ring_tail(&st->ring) > 100 * (uint64_t) MP_CAP);
}


static void
test_ring_mp_dead_producer(void **state)
{
    int          i;
    pid_t        pids[2], dead_exit, dead_kill;
    uint64_t     unblocked;
    mp_check_t   c;
    mp_state_t  *st = *state;

    const uint32_t  per = 20000;

    memset(&c, 0, sizeof(c));

    /* they die mid-stream: records of the live ones queue up behind */
    dead_exit = spawn_dying_producer(st, 16 * 1024, 0);
    dead_kill = spawn_dying_producer(st, 300 * 1024, 1);

    for (i = 0; i < 2; i++) {
        pids[i] = spawn_producer(st, (uint32_t) i, per);
    }

    unblocked = consume(st, &c, 2 * (uint64_t) per, MP_UNBLOCK_MS);

    reap(st, dead_exit, 0);
    reap(st, dead_kill, 1);

    for (i = 0; i < 2; i++) {
        reap(st, pids[i], 0);
        assert_int_equal(c.expected[i], per);
    }

    /* at least the two dead ones (a preempted live one may add more) */
    assert_true(unblocked >= 2);
    assert_int_equal(hrx_ring_head(&st->ring), hrx_ring_tail(&st->ring));
}


static void
test_ring_mp_dead_producer_is_last(void **state)
{
    int          status;
    pid_t        pid;
    uint64_t     unblocked;
    mp_check_t   c;
    mp_state_t  *st = *state;

    memset(&c, 0, sizeof(c));

    /* the dead claim is the newest record: padding up to the tail */
    pid = spawn_dying_producer(st, 0, 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    st->pids[--st->npids] = 0;

    assert_int_equal(hrx_ring_tail(&st->ring), 72);
    assert_int_equal(hrx_ring_peek(&st->ring, 0, 10, 1 << 20, check_record,
                                   &c), 0);

    assert_int_equal(hrx_ring_unblock(&st->ring, 0), 1);
    assert_int_equal(hrx_ring_peek(&st->ring, 0, 10, 1 << 20, check_record,
                                   &c), 72);

    /* a producer started afterwards is received */
    pid = spawn_producer(st, 0, 1000);
    unblocked = consume(st, &c, 1000, MP_UNBLOCK_MS);
    reap(st, pid, 0);
    assert_int_equal(c.expected[0], 1000);
    assert_int_equal(unblocked, 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ring_mp_exactly_once_in_order,
                                        mp_setup, mp_teardown),
        cmocka_unit_test_setup_teardown(test_ring_mp_dead_producer,
                                        mp_setup, mp_teardown),
        cmocka_unit_test_setup_teardown(test_ring_mp_dead_producer_is_last,
                                        mp_setup, mp_teardown),
    };

    return cmocka_run_group_tests_name("hrx_ring_mp", tests, NULL, NULL);
}
