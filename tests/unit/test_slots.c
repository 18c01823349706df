/*
 * Tests of the reply slots (shm/hrx_slots.c): the state machine, the
 * generation guard, abandon, reclaim of dead owners and stale replies.
 * The slots live in an anonymous MAP_SHARED mapping so that a forked child
 * can claim one and die.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "hrx_slots.h"

#define COUNT  8
#define SIZE   256

typedef struct {
    void         *region;
    hrx_slots_t   slots;
} slots_state_t;


static int
slots_setup(void **state)
{
    slots_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);

    st->region = mmap(NULL, COUNT * SIZE, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(st->region != MAP_FAILED);

    assert_int_equal(hrx_slots_attach(&st->slots, st->region, COUNT, SIZE),
                     0);
    assert_int_equal(st->slots.max_body, SIZE - HRX_SLOT_HEADER_SIZE);

    *state = st;
    return 0;
}


static int
slots_teardown(void **state)
{
    slots_state_t  *st = *state;

    munmap(st->region, COUNT * SIZE);
    free(st);
    return 0;
}


static uint64_t
word_of(slots_state_t *st, uint32_t index)
{
    return hrx_load_acquire(&hrx_slots_get(&st->slots, index)->word);
}


static void
test_slots_attach_rejects(void **state)
{
    hrx_slots_t     s;
    slots_state_t  *st = *state;

    assert_int_equal(hrx_slots_attach(&s, st->region, 0, SIZE), -1);
    assert_int_equal(hrx_slots_attach(&s, st->region, COUNT, 100), -1);
    assert_int_equal(hrx_slots_attach(&s, st->region, COUNT, 300), -1);
    assert_int_equal(hrx_slots_attach(&s, (uint8_t *) st->region + 8, COUNT,
                                      SIZE), -1);
    assert_null(hrx_slots_get(&st->slots, COUNT));
}


static void
test_slots_claim_publish_poll_free(void **state)
{
    uint32_t        idx, gen, status, len;
    const uint8_t  *body;
    slots_state_t  *st = *state;

    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1000, &idx, &gen),
                     0);
    assert_true(idx < COUNT);
    assert_int_equal(gen, 1);
    assert_int_equal(word_of(st, idx), hrx_slot_word(1, HRX_SLOT_CLAIMED));
    assert_int_equal(hrx_slots_get(&st->slots, idx)->owner_pid, getpid());
    assert_int_equal(hrx_slots_get(&st->slots, idx)->claimed_at_ms, 1000);

    assert_int_equal(hrx_slots_poll(&st->slots, idx, gen, &status, &body,
                                    &len), 0);

    assert_int_equal(hrx_slots_publish(&st->slots, idx, gen, 201,
                                       "{\"id\":1}", 8), 1);
    assert_int_equal(word_of(st, idx), hrx_slot_word(1, HRX_SLOT_READY));

    assert_int_equal(hrx_slots_poll(&st->slots, idx, gen, &status, &body,
                                    &len), 1);
    assert_int_equal(status, 201);
    assert_int_equal(len, 8);
    assert_memory_equal(body, "{\"id\":1}", 8);

    /* a second reply for the same command is refused */
    assert_int_equal(hrx_slots_publish(&st->slots, idx, gen, 200, "x", 1), 0);

    hrx_slots_free(&st->slots, idx, gen);
    assert_int_equal(word_of(st, idx), hrx_slot_word(1, HRX_SLOT_FREE));
    assert_int_equal(hrx_slots_poll(&st->slots, idx, gen, &status, &body,
                                    &len), 0);

    /* an empty body (204) */
    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1000, &idx, &gen),
                     0);
    assert_int_equal(hrx_slots_publish(&st->slots, idx, gen, 204, NULL, 0),
                     1);
    assert_int_equal(hrx_slots_poll(&st->slots, idx, gen, &status, &body,
                                    &len), 1);
    assert_int_equal(status, 204);
    assert_int_equal(len, 0);

    /* out of range indexes are ignored */
    assert_int_equal(hrx_slots_publish(&st->slots, COUNT, 1, 200, "x", 1), 0);
    assert_int_equal(hrx_slots_poll(&st->slots, COUNT, 1, &status, &body,
                                    &len), 0);
    hrx_slots_free(&st->slots, COUNT, 1);
}


static void
test_slots_generation_guard(void **state)
{
    uint32_t        idx, gen1, gen2, idx2, status, len;
    const uint8_t  *body;
    hrx_slots_t     one;
    slots_state_t  *st = *state;

    /* a single slot, so the second claim must reuse it */
    assert_int_equal(hrx_slots_attach(&one, st->region, 1, SIZE), 0);

    assert_int_equal(hrx_slots_claim(&one, getpid(), 1, &idx, &gen1), 0);
    hrx_slots_free(&one, idx, gen1);    /* e.g. the client went away */

    assert_int_equal(hrx_slots_claim(&one, getpid(), 2, &idx2, &gen2), 0);
    assert_int_equal(idx2, idx);
    assert_int_equal(gen2, gen1 + 1);

    /* the reply to the first command arrives late: it must not land */
    assert_int_equal(hrx_slots_publish(&one, idx, gen1, 200, "stale", 5), 0);
    assert_int_equal(hrx_load_relaxed(&hrx_slots_get(&one, idx)->word),
                     hrx_slot_word(gen2, HRX_SLOT_CLAIMED));
    assert_int_equal(hrx_slots_poll(&one, idx, gen2, &status, &body, &len),
                     0);

    /* freeing or abandoning with the old generation changes nothing */
    hrx_slots_free(&one, idx, gen1);
    hrx_slots_abandon(&one, idx, gen1);
    assert_int_equal(hrx_load_relaxed(&hrx_slots_get(&one, idx)->word),
                     hrx_slot_word(gen2, HRX_SLOT_CLAIMED));

    assert_int_equal(hrx_slots_publish(&one, idx, gen2, 200, "fresh", 5), 1);
    assert_int_equal(hrx_slots_poll(&one, idx, gen1, &status, &body, &len),
                     0);
    assert_int_equal(hrx_slots_poll(&one, idx, gen2, &status, &body, &len),
                     1);
    assert_memory_equal(body, "fresh", 5);

    /* generation 0 is "nobody waits": never handed out */
    hrx_store_relaxed(&hrx_slots_get(&one, 0)->word,
                      hrx_slot_word(UINT32_MAX, HRX_SLOT_FREE));
    assert_int_equal(hrx_slots_claim(&one, getpid(), 3, &idx, &gen1), 0);
    assert_int_equal(gen1, 1);
    assert_int_equal(hrx_slots_publish(&one, idx, 0, 200, "x", 1), 0);
}


static void
test_slots_abandon_before_publish(void **state)
{
    uint32_t        idx, gen;
    slots_state_t  *st = *state;

    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &idx, &gen), 0);

    hrx_slots_abandon(&st->slots, idx, gen);
    assert_int_equal(word_of(st, idx), hrx_slot_word(gen, HRX_SLOT_ABANDONED));

    /* the scheduler's publish frees it instead of writing */
    assert_int_equal(hrx_slots_publish(&st->slots, idx, gen, 200, "x", 1), 0);
    assert_int_equal(word_of(st, idx), hrx_slot_word(gen, HRX_SLOT_FREE));
}


static void
test_slots_abandon_after_publish(void **state)
{
    uint32_t        idx, gen;
    slots_state_t  *st = *state;

    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &idx, &gen), 0);
    assert_int_equal(hrx_slots_publish(&st->slots, idx, gen, 200, "x", 1), 1);

    /* the reply came but nobody wants it: free at once */
    hrx_slots_abandon(&st->slots, idx, gen);
    assert_int_equal(word_of(st, idx), hrx_slot_word(gen, HRX_SLOT_FREE));
}


static void
test_slots_leave_while_writing(void **state)
{
    uint32_t        idx, gen;
    hrx_slot_t     *s;
    slots_state_t  *st = *state;

    /*
     * The scheduler owns a WRITING slot: a worker giving up can only mark
     * it abandoned; the scheduler frees it when its WRITING -> READY CAS
     * fails.  Put the slot in that state by hand.
     */
    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &idx, &gen), 0);
    s = hrx_slots_get(&st->slots, idx);

    hrx_store_relaxed(&s->word, hrx_slot_word(gen, HRX_SLOT_WRITING));
    hrx_slots_free(&st->slots, idx, gen);
    assert_int_equal(word_of(st, idx), hrx_slot_word(gen, HRX_SLOT_ABANDONED));

    hrx_store_relaxed(&s->word, hrx_slot_word(gen, HRX_SLOT_WRITING));
    hrx_slots_abandon(&st->slots, idx, gen);
    assert_int_equal(word_of(st, idx), hrx_slot_word(gen, HRX_SLOT_ABANDONED));

    /* reclaim never touches WRITING (publish runs in the same thread) */
    hrx_store_relaxed(&s->word, hrx_slot_word(gen, HRX_SLOT_WRITING));
    hrx_store_relaxed(&s->owner_pid, 0x7ffffff0);
    assert_int_equal(hrx_slots_reclaim(&st->slots, 1u << 30, 0), 0);
}


static void
test_slots_reclaim_dead_owner(void **state)
{
    int             status;
    pid_t           pid;
    uint32_t        idx, gen, i, n;
    slots_state_t  *st = *state;

    pid = fork();
    assert_true(pid >= 0);

    if (pid == 0) {
        _exit(hrx_slots_claim(&st->slots, getpid(), 5, &idx, &gen) == 0
              ? 0 : 1);
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* our own slot, owner alive, must survive */
    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 5, &idx, &gen), 0);

    n = 0;
    for (i = 0; i < COUNT; i++) {
        if (hrx_slot_state(word_of(st, i)) == HRX_SLOT_CLAIMED) {
            n++;
        }
    }
    assert_int_equal(n, 2);

    assert_int_equal(hrx_slots_reclaim(&st->slots, 10, 1000000), 1);
    assert_int_equal(word_of(st, idx), hrx_slot_word(gen, HRX_SLOT_CLAIMED));
    assert_int_equal(hrx_slots_reclaim(&st->slots, 10, 1000000), 0);

    n = 0;
    for (i = 0; i < COUNT; i++) {
        if (hrx_slot_state(word_of(st, i)) == HRX_SLOT_CLAIMED) {
            n++;
        }
    }
    assert_int_equal(n, 1);
}


static void
test_slots_reclaim_half_claimed(void **state)
{
    uint32_t        idx, gen;
    hrx_slot_t     *s;
    slots_state_t  *st = *state;

    /*
     * A claimer between its CAS and its owner_gen store: the slot still
     * shows the previous owner's (dead) pid.  It must not be reclaimed.
     */
    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &idx, &gen), 0);
    s = hrx_slots_get(&st->slots, idx);
    hrx_slots_free(&st->slots, idx, gen);

    hrx_store_relaxed(&s->owner_pid, 0x7ffffff0);       /* no such pid */
    hrx_store_relaxed(&s->word, hrx_slot_word(gen + 1, HRX_SLOT_CLAIMED));

    assert_int_equal(hrx_slots_reclaim(&st->slots, 10, 0), 0);

    /* once owner_gen says the pid is this generation's, it is */
    hrx_store_release(&s->owner_gen, gen + 1);
    assert_int_equal(hrx_slots_reclaim(&st->slots, 10, 1000000), 1);
    assert_int_equal(hrx_slot_state(hrx_load_relaxed(&s->word)),
                     HRX_SLOT_FREE);
}


static void
test_slots_reclaim_stale(void **state)
{
    uint32_t        idx, gen, idx2, gen2, idx3, gen3;
    slots_state_t  *st = *state;

    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1000, &idx, &gen),
                     0);
    assert_int_equal(hrx_slots_publish(&st->slots, idx, gen, 200, "x", 1), 1);

    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1000, &idx2,
                                     &gen2), 0);
    hrx_slots_abandon(&st->slots, idx2, gen2);

    /* a live worker still waiting is never stale */
    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1000, &idx3,
                                     &gen3), 0);

    assert_int_equal(hrx_slots_reclaim(&st->slots, 1500, 1000), 0);
    assert_int_equal(hrx_slots_reclaim(&st->slots, 2001, 1000), 2);

    assert_int_equal(word_of(st, idx), hrx_slot_word(gen, HRX_SLOT_FREE));
    assert_int_equal(word_of(st, idx2), hrx_slot_word(gen2, HRX_SLOT_FREE));
    assert_int_equal(word_of(st, idx3), hrx_slot_word(gen3,
                                                      HRX_SLOT_CLAIMED));
}


static void
test_slots_exhaustion(void **state)
{
    int             i;
    uint32_t        idx[COUNT], gen[COUNT], x, g;
    slots_state_t  *st = *state;

    for (i = 0; i < COUNT; i++) {
        assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &idx[i],
                                         &gen[i]), 0);
    }

    for (i = 1; i < COUNT; i++) {
        assert_int_not_equal(idx[i], idx[0]);
    }

    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &x, &g), -1);

    hrx_slots_free(&st->slots, idx[3], gen[3]);
    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &x, &g), 0);
    assert_int_equal(x, idx[3]);
    assert_int_equal(g, gen[3] + 1);
}


static void
test_slots_oversize_body(void **state)
{
    char            big[SIZE];
    uint32_t        idx, gen, status, len;
    json_t         *j;
    json_error_t    e;
    const uint8_t  *body;
    slots_state_t  *st = *state;

    memset(big, 'x', sizeof(big));

    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &idx, &gen), 0);
    assert_int_equal(hrx_slots_publish(&st->slots, idx, gen, 200, big,
                                       st->slots.max_body + 1), 1);
    assert_int_equal(hrx_slots_poll(&st->slots, idx, gen, &status, &body,
                                    &len), 1);
    assert_int_equal(status, 500);
    assert_true(len <= st->slots.max_body);

    j = json_loadb((const char *) body, len, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(j, "error"), "code")),
                        "reply_too_large");
    json_decref(j);

    /* exactly max_body fits as is */
    hrx_slots_free(&st->slots, idx, gen);
    assert_int_equal(hrx_slots_claim(&st->slots, getpid(), 1, &idx, &gen), 0);
    assert_int_equal(hrx_slots_publish(&st->slots, idx, gen, 200, big,
                                       st->slots.max_body), 1);
    assert_int_equal(hrx_slots_poll(&st->slots, idx, gen, &status, &body,
                                    &len), 1);
    assert_int_equal(status, 200);
    assert_int_equal(len, st->slots.max_body);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slots_attach_rejects,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_claim_publish_poll_free,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_generation_guard,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_abandon_before_publish,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_abandon_after_publish,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_leave_while_writing,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_reclaim_dead_owner,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_reclaim_half_claimed,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_reclaim_stale,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_exhaustion,
                                        slots_setup, slots_teardown),
        cmocka_unit_test_setup_teardown(test_slots_oversize_body,
                                        slots_setup, slots_teardown),
    };

    return cmocka_run_group_tests_name("hrx_slots", tests, NULL, NULL);
}
