/*
 * Tests of the bell table (shm/hrx_bell.c): a worker claims a free bell,
 * gets its own back, takes over the bell of a worker that died, never one
 * of a live process, and releases only its own.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "hrx_bell.h"

static hrx_bell_t  bells[HRX_BELLS];


static int
bell_setup(void **state)
{
    (void) state;
    memset(bells, 0, sizeof(bells));
    return 0;
}


/* a pid that no process has: a child that has exited and was reaped */
static pid_t
dead_pid(void)
{
    pid_t  pid;

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        _exit(0);
    }
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return pid;
}


static void
test_bell_claim_free_and_own(void **state)
{
    (void) state;

    assert_int_equal(hrx_bell_claim(bells, 1000001), 0);
    assert_int_equal(hrx_bell_claim(bells, 1000002), 1);
    /* mapped again: the same bell */
    assert_int_equal(hrx_bell_claim(bells, 1000001), 0);
    assert_int_equal(bells[1].pid, 1000002);
}


static void
test_bell_all_taken_by_live(void **state)
{
    int  i;

    (void) state;

    /* this process and its parent are alive */
    for (i = 0; i < HRX_BELLS; i++) {
        bells[i].pid = (i % 2) ? getpid() : getppid();
    }
    assert_int_equal(hrx_bell_claim(bells, 1000003), -1);
}


static void
test_bell_takes_over_a_dead_owner(void **state)
{
    int  i;

    (void) state;

    for (i = 0; i < HRX_BELLS; i++) {
        bells[i].pid = getppid();
    }
    bells[17].pid = dead_pid();
    bells[17].rescan = 1;
    bells[17].broken = 1;

    assert_int_equal(hrx_bell_claim(bells, getpid()), 17);
    assert_int_equal(bells[17].pid, getpid());
    /* what was said of the dead owner is not said of us */
    assert_int_equal(bells[17].rescan, 0);
    assert_int_equal(bells[17].broken, 0);
}


static void
test_bell_release_only_own(void **state)
{
    (void) state;

    assert_int_equal(hrx_bell_claim(bells, 1000004), 0);
    hrx_bell_release(bells, 0, 1000005);
    assert_int_equal(bells[0].pid, 1000004);
    hrx_bell_release(bells, 0, 1000004);
    assert_int_equal(bells[0].pid, 0);
    hrx_bell_release(bells, -1, 1000004);
    hrx_bell_release(bells, HRX_BELLS, 1000004);
}


static void
test_bell_path(void **state)
{
    char  buf[64];

    (void) state;

    assert_int_equal(hrx_bell_path(buf, sizeof(buf), "/var/lib/hrx/tmp", 7),
                     0);
    assert_string_equal(buf, "/var/lib/hrx/tmp/bell.7");
    assert_int_equal(hrx_bell_path(buf, 10, "/var/lib/hrx/tmp", 7), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup(test_bell_claim_free_and_own, bell_setup),
        cmocka_unit_test_setup(test_bell_all_taken_by_live, bell_setup),
        cmocka_unit_test_setup(test_bell_takes_over_a_dead_owner,
                               bell_setup),
        cmocka_unit_test_setup(test_bell_release_only_own, bell_setup),
        cmocka_unit_test_setup(test_bell_path, bell_setup),
    };

    return cmocka_run_group_tests_name("hrx_bell", tests, NULL, NULL);
}
