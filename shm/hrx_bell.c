/*
 * Bells (hrx_bell.h): the table in the shm header.  Which process rings
 * which FIFO is the business of each side (the module's park, the
 * scheduler's bells.c); here only who owns an entry.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "hrx_bell.h"

int
hrx_bell_claim(hrx_bell_t *bells, pid_t pid)
{
    int32_t  owner;
    int      i, pass;

    /* free ones first; then ones whose owner is gone */
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < HRX_BELLS; i++) {
            owner = hrx_load_acquire(&bells[i].pid);

            if (owner == (int32_t) pid) {
                return i;              /* ours already (mapped again) */
            }
            if (pass == 0 ? owner != 0
                          : owner == 0 || kill((pid_t) owner, 0) == 0
                            || errno != ESRCH)
            {
                continue;
            }
            if (hrx_cas_acq_rel(&bells[i].pid, &owner, (int32_t) pid)) {
                /* what the scheduler said of the previous owner */
                hrx_store_release(&bells[i].rescan, 0);
                hrx_store_release(&bells[i].broken, 0);
                return i;
            }
        }
    }
    return -1;
}

void
hrx_bell_release(hrx_bell_t *bells, int index, pid_t pid)
{
    int32_t  owner = (int32_t) pid;

    if (index >= 0 && index < HRX_BELLS) {
        (void) hrx_cas_acq_rel(&bells[index].pid, &owner, 0);
    }
}

int
hrx_bell_path(char *buf, size_t size, const char *tmp_dir, int index)
{
    int  n;

    n = snprintf(buf, size, "%s/" HRX_BELL_FILE "%d", tmp_dir, index);
    return (n < 0 || (size_t) n >= size) ? -1 : 0;
}
