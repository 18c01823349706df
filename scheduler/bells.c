/*
 * Ringing the workers' bells (shm/hrx_bell.h).
 *
 * While a batch is published, bells_note() is told each slot that got
 * its reply; the slot names its owner's pid, the bell table maps that to
 * a bell, and the slot's index joins that bell's list.  bells_flush(),
 * after the batch, writes each list to its worker's FIFO in one write():
 * one system call per worker per batch, however many replies.
 *
 * A list that outgrows one atomic FIFO write (PIPE_BUF), or a write that
 * finds the FIFO full, sets the bell's rescan flag first: the worker then
 * looks at all its parked requests, so nothing depends on every index
 * getting through.  A FIFO that cannot be opened (a worker of another
 * user, a missing file) marks the bell broken, once, and that worker
 * goes back to polling every millisecond; a worker that died is noticed
 * by EPIPE (SIGPIPE is ignored) and its FIFO closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bells.h"
#include "log.h"

#define BELLS_LIST  (PIPE_BUF / sizeof(uint32_t))

typedef struct {
    int32_t   pid;                /* the owner fd was opened for */
    int       fd;                 /* -1: not open */
    uint32_t  n;
    int       overflow;
    uint32_t  slots[BELLS_LIST];
} bells_one_t;

static struct {
    hrx_shm_t   *shm;
    char         tmp_dir[4096];
    bells_one_t  bell[HRX_BELLS];
    uint64_t     rung;            /* bit i: bell i has a list */
    int32_t      last_pid;        /* the last lookup, most batches */
    int          last_bell;
} bells;

void
bells_start(hrx_shm_t *shm, const char *data_dir)
{
    int  i;

    bells.shm = shm;
    if (snprintf(bells.tmp_dir, sizeof(bells.tmp_dir), "%s/tmp", data_dir)
        >= (int) sizeof(bells.tmp_dir))
    {
        bells.tmp_dir[0] = '\0';
    }
    for (i = 0; i < HRX_BELLS; i++) {
        bells.bell[i].fd = -1;
        bells.bell[i].pid = 0;
        bells.bell[i].n = 0;
        bells.bell[i].overflow = 0;
    }
    bells.rung = 0;
    bells.last_pid = 0;
    bells.last_bell = -1;
}

static int
bells_find(int32_t pid)
{
    int  i;

    if (pid == bells.last_pid && bells.last_bell >= 0
        && hrx_load_relaxed(&bells.shm->hdr->bells[bells.last_bell].pid)
           == pid)
    {
        return bells.last_bell;
    }
    for (i = 0; i < HRX_BELLS; i++) {
        if (hrx_load_acquire(&bells.shm->hdr->bells[i].pid) == pid) {
            bells.last_pid = pid;
            bells.last_bell = i;
            return i;
        }
    }
    return -1;
}

void
bells_note(uint32_t slot)
{
    bells_one_t  *b;
    int32_t       pid;
    int           i;

    if (bells.shm == NULL || slot >= bells.shm->slots.count) {
        return;
    }
    pid = hrx_load_relaxed(&hrx_slots_get(&bells.shm->slots, slot)
                           ->owner_pid);
    if (pid <= 0 || (i = bells_find(pid)) < 0) {
        return;                 /* that worker polls */
    }

    b = &bells.bell[i];
    if (b->n == BELLS_LIST) {
        b->overflow = 1;
    } else {
        b->slots[b->n++] = slot;
    }
    bells.rung |= (uint64_t) 1 << i;
}

static void
bells_close(bells_one_t *b)
{
    if (b->fd != -1) {
        (void) close(b->fd);
        b->fd = -1;
    }
}

/* bell i's FIFO, open for its current owner; -1 when it cannot be */
static int
bells_open(int i, int32_t owner)
{
    bells_one_t  *b = &bells.bell[i];
    char          path[4200];

    if (b->fd != -1 && b->pid == owner) {
        return b->fd;
    }
    bells_close(b);

    if (bells.tmp_dir[0] == '\0'
        || hrx_bell_path(path, sizeof(path), bells.tmp_dir, i) != 0)
    {
        return -1;
    }
    b->fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (b->fd == -1) {
        /* ENXIO: nobody reads it, its worker is gone; else tell it */
        if (errno != ENXIO) {
            log_warn("cannot open the bell %s of worker %d: %s; it polls",
                     path, (int) owner, strerror(errno));
            hrx_store_release(&bells.shm->hdr->bells[i].broken, 1);
        }
        return -1;
    }
    b->pid = owner;
    return b->fd;
}

void
bells_flush(void)
{
    bells_one_t  *b;
    hrx_bell_t   *sb;
    int32_t       owner;
    ssize_t       n;
    int           i, fd;

    while (bells.rung != 0) {
        i = __builtin_ctzll(bells.rung);
        bells.rung &= bells.rung - 1;
        b = &bells.bell[i];
        sb = &bells.shm->hdr->bells[i];

        owner = hrx_load_acquire(&sb->pid);
        fd = owner > 0 ? bells_open(i, owner) : -1;

        if (fd != -1) {
            if (b->overflow) {
                /* release: set before the worker can read the list */
                hrx_store_release(&sb->rescan, 1);
            }
            n = write(fd, b->slots, b->n * sizeof(uint32_t));
            if (n == -1 && errno == EAGAIN) {
                /* full: it has plenty to read, and will look at all */
                hrx_store_release(&sb->rescan, 1);
            } else if (n == -1) {
                /* EPIPE: the worker died; the next owner gets a new fd */
                bells_close(b);
            }
        }
        b->n = 0;
        b->overflow = 0;
    }
}

void
bells_finish(void)
{
    int  i;

    for (i = 0; i < HRX_BELLS; i++) {
        bells_close(&bells.bell[i]);
    }
    bells.shm = NULL;
}
