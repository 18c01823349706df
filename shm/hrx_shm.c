/*
 * The shared-memory file: layout, creation, validation, liveness, wake-ups.
 *
 * Layout (every region starts on a 4096-byte boundary):
 *
 *   0              hrx_shm_header_t
 *   ring_offset    hrx_ring_ctl_t, then ring_capacity bytes of records
 *   slots_offset   slot_count * slot_size bytes of reply slots
 *   bcast_offset   hrx_bcast_ctl_t, then bcast_capacity bytes
 *   file_size
 *
 * The offsets follow from the four sizes, so a reader recomputes them and
 * refuses a file whose stored offsets disagree: a file written by another
 * build, damaged, or truncated never gets mapped and misread.
 *
 * The scheduler builds a new file under a temporary name in the same
 * directory and renames it into place only when it is complete, so a
 * worker either finds no file or a whole one.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "hrx_shm.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
               "the shm layout needs lock-free 64-bit atomics");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
               "the shm layout needs lock-free 32-bit atomics");
_Static_assert(sizeof(hrx_slot_t) == HRX_SLOT_HEADER_SIZE,
               "a reply slot header is 64 bytes");

#define HRX_SHM_PAGE        4096
#define HRX_SHM_MIN_RING    1024
#define HRX_SHM_MAX_RING    ((uint64_t) 1 << 30)
#define HRX_SHM_MAX_SLOTS   (1u << 20)
#define HRX_SHM_MIN_SLOT    256
#define HRX_SHM_MAX_SLOT    (1u << 20)

#define hrx_shm_align(n)    (((n) + (HRX_SHM_PAGE - 1))                        \
                             & ~(uint64_t) (HRX_SHM_PAGE - 1))

#define HRX_SHM_REMOVE      ": stop nginx and hrx-scheduler and remove "


const char *const  hrx_counter_names[HRX_CTR_MAX] = {
    "commands_submitted",
    "commands_applied",
    "commands_rejected",
    "batches_committed",
    "replies_published",
    "records_unblocked",
    "slots_reclaimed",
    "events_published",
    "ring_full",
    "slots_exhausted",
    "scheduler_down",
    "reply_timeouts",
    "logins_ok",
    "logins_failed",
    "replies_by_bell",
    "replies_by_tick",
};

const char *const  hrx_counter_help[HRX_CTR_MAX] = {
    "Commands committed to the shared ring by nginx workers.",
    "Commands the scheduler applied successfully.",
    "Commands the scheduler refused (4xx replies).",
    "SQLite transactions (batches of commands) committed by the scheduler.",
    "Replies the scheduler published to reply slots.",
    "Ring records skipped because their producer died before committing.",
    "Reply slots reclaimed from dead workers or left stale.",
    "Live events published on the broadcast ring.",
    "Commands refused with 503 because the ring was full.",
    "Commands refused with 503 because no reply slot was free.",
    "Commands refused with 503 because the scheduler was not alive.",
    "Requests answered 504 because no reply came in time.",
    "Successful logins.",
    "Failed logins.",
    "Replies a worker took when the scheduler rang its bell.",
    "Replies a worker found on its timer (no bell, or a rescan).",
};


static void hrx_shm_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


static void
hrx_shm_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


void
hrx_shm_default_params(hrx_shm_params_t *p)
{
    p->ring_capacity = HRX_SHM_DEFAULT_RING;
    p->slot_count = HRX_SHM_DEFAULT_SLOTS;
    p->slot_size = HRX_SHM_DEFAULT_SLOT_SIZE;
    p->bcast_capacity = HRX_SHM_DEFAULT_BCAST;
}


static int
hrx_shm_pow2_ok(uint64_t n)
{
    return n >= HRX_SHM_MIN_RING && n <= HRX_SHM_MAX_RING
           && (n & (n - 1)) == 0;
}


/*
 * Check the four sizes and compute every offset from them into h.  what
 * starts the error sentence: the path, or "hrx shm parameters".
 */
static int
hrx_shm_layout(const hrx_shm_params_t *p, hrx_shm_header_t *h,
    const char *what, const char *tail, char *err, size_t errlen)
{
    uint64_t  off;

    if (!hrx_shm_pow2_ok(p->ring_capacity)) {
        hrx_shm_err(err, errlen, "%s: ring capacity %llu is not a power of "
                    "two between 1024 and %llu%s", what,
                    (unsigned long long) p->ring_capacity,
                    (unsigned long long) HRX_SHM_MAX_RING, tail);
        return -1;
    }

    if (!hrx_shm_pow2_ok(p->bcast_capacity)) {
        hrx_shm_err(err, errlen, "%s: broadcast capacity %llu is not a power "
                    "of two between 1024 and %llu%s", what,
                    (unsigned long long) p->bcast_capacity,
                    (unsigned long long) HRX_SHM_MAX_RING, tail);
        return -1;
    }

    if (p->slot_count == 0 || p->slot_count > HRX_SHM_MAX_SLOTS) {
        hrx_shm_err(err, errlen, "%s: slot count %u is not between 1 and "
                    "%u%s", what, p->slot_count, HRX_SHM_MAX_SLOTS, tail);
        return -1;
    }

    if (p->slot_size < HRX_SHM_MIN_SLOT || p->slot_size > HRX_SHM_MAX_SLOT
        || p->slot_size % HRX_CACHE_LINE != 0)
    {
        hrx_shm_err(err, errlen, "%s: slot size %u is not a multiple of 64 "
                    "between %u and %u%s", what, p->slot_size,
                    HRX_SHM_MIN_SLOT, HRX_SHM_MAX_SLOT, tail);
        return -1;
    }

    h->header_size = sizeof(hrx_shm_header_t);
    h->ring_capacity = p->ring_capacity;
    h->slot_count = p->slot_count;
    h->slot_size = p->slot_size;
    h->bcast_capacity = p->bcast_capacity;

    off = hrx_shm_align((uint64_t) sizeof(hrx_shm_header_t));
    h->ring_offset = off;

    off = hrx_shm_align(off + HRX_RING_CTL_SIZE + p->ring_capacity);
    h->slots_offset = off;

    off = hrx_shm_align(off + (uint64_t) p->slot_count * p->slot_size);
    h->bcast_offset = off;

    h->file_size = hrx_shm_align(off + HRX_BCAST_CTL_SIZE + p->bcast_capacity);

    return 0;
}


/* point the ring, slot and broadcast views into the mapping */
static int
hrx_shm_attach(hrx_shm_t *shm)
{
    uint8_t           *base;
    hrx_shm_header_t  *h;

    base = shm->base;
    h = shm->hdr;

    if (hrx_ring_attach(&shm->ring, base + h->ring_offset, h->ring_capacity)
        != 0
        || hrx_slots_attach(&shm->slots, base + h->slots_offset,
                            h->slot_count, h->slot_size) != 0
        || hrx_bcast_attach(&shm->bcast, base + h->bcast_offset,
                            h->bcast_capacity) != 0)
    {
        return -1;
    }

    return 0;
}


/*
 * Validate an existing file from a copy of its header read with pread
 * (touching a mapping past the end of a truncated file would be SIGBUS),
 * then map it.  Takes ownership of fd.
 */
static int
hrx_shm_map_existing(int fd, const char *path, hrx_shm_t *shm, char *err,
    size_t errlen)
{
    void              *base;
    ssize_t            n;
    struct stat        st;
    hrx_shm_params_t   p;
    hrx_shm_header_t   h, want;

    if (fstat(fd, &st) != 0) {
        hrx_shm_err(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        goto failed;
    }

    if (!S_ISREG(st.st_mode)) {
        hrx_shm_err(err, errlen, "%s is not a regular file", path);
        goto failed;
    }

    if ((uint64_t) st.st_size < sizeof(hrx_shm_header_t)) {
        hrx_shm_err(err, errlen, "%s is only %lld bytes, too small for an "
                    "hrx shm file (truncated or not one)" HRX_SHM_REMOVE "%s",
                    path, (long long) st.st_size, path);
        goto failed;
    }

    memset(&h, 0, sizeof(h));
    n = pread(fd, &h, sizeof(h), 0);

    if (n != (ssize_t) sizeof(h)) {
        hrx_shm_err(err, errlen, "cannot read the header of %s: %s", path,
                    n < 0 ? strerror(errno) : "short read");
        goto failed;
    }

    if (h.magic != HRX_SHM_MAGIC) {
        hrx_shm_err(err, errlen, "%s is not an hrx shm file (bad magic "
                    "number)" HRX_SHM_REMOVE "%s", path, path);
        goto failed;
    }

    if (h.layout_version != HRX_SHM_LAYOUT_VERSION) {
        hrx_shm_err(err, errlen, "%s has layout version %u, this build "
                    "expects %u" HRX_SHM_REMOVE "%s", path, h.layout_version,
                    HRX_SHM_LAYOUT_VERSION, path);
        goto failed;
    }

    if (h.header_size != sizeof(hrx_shm_header_t)) {
        hrx_shm_err(err, errlen, "%s has a header of %u bytes, this build "
                    "expects %zu" HRX_SHM_REMOVE "%s", path, h.header_size,
                    sizeof(hrx_shm_header_t), path);
        goto failed;
    }

    p.ring_capacity = h.ring_capacity;
    p.slot_count = h.slot_count;
    p.slot_size = h.slot_size;
    p.bcast_capacity = h.bcast_capacity;

    memset(&want, 0, sizeof(want));

    if (hrx_shm_layout(&p, &want, path, HRX_SHM_REMOVE, err, errlen) != 0) {
        /* the sentence ends "... and remove ": add the path */
        if (err != NULL && errlen != 0) {
            n = (ssize_t) strlen(err);
            snprintf(err + n, errlen - (size_t) n, "%s", path);
        }

        goto failed;
    }

    if (h.ring_offset != want.ring_offset
        || h.slots_offset != want.slots_offset
        || h.bcast_offset != want.bcast_offset
        || h.file_size != want.file_size)
    {
        hrx_shm_err(err, errlen, "%s has an inconsistent layout (offsets "
                    "%llu/%llu/%llu and size %llu do not follow from its "
                    "sizes)" HRX_SHM_REMOVE "%s", path,
                    (unsigned long long) h.ring_offset,
                    (unsigned long long) h.slots_offset,
                    (unsigned long long) h.bcast_offset,
                    (unsigned long long) h.file_size, path);
        goto failed;
    }

    if ((uint64_t) st.st_size != h.file_size) {
        hrx_shm_err(err, errlen, "%s is %lld bytes but its header says %llu "
                    "(truncated or damaged)" HRX_SHM_REMOVE "%s", path,
                    (long long) st.st_size,
                    (unsigned long long) h.file_size, path);
        goto failed;
    }

    base = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    if (base == MAP_FAILED) {
        hrx_shm_err(err, errlen, "cannot map %s: %s", path, strerror(errno));
        goto failed;
    }

    shm->fd = fd;
    shm->base = base;
    shm->size = h.file_size;
    shm->dev = st.st_dev;
    shm->ino = st.st_ino;
    shm->hdr = base;

    if (hrx_shm_attach(shm) != 0) {
        hrx_shm_err(err, errlen, "%s has an unusable layout" HRX_SHM_REMOVE
                    "%s", path, path);
        hrx_shm_close(shm);
        return -1;
    }

    return 0;

failed:

    close(fd);
    return -1;
}


static void
hrx_shm_init_struct(hrx_shm_t *shm)
{
    memset(shm, 0, sizeof(*shm));
    shm->fd = -1;
}


int
hrx_shm_open(const char *path, hrx_shm_t *shm, char *err, size_t errlen)
{
    int  fd;

    hrx_shm_init_struct(shm);

    fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd == -1) {
        hrx_shm_err(err, errlen, "cannot open %s: %s%s", path,
                    strerror(errno),
                    errno == ENOENT ? " (hrx-scheduler creates it: is it "
                                      "running?)" : "");
        return -1;
    }

    return hrx_shm_map_existing(fd, path, shm, err, errlen);
}


/*
 * Build the file under a temporary name, complete it, and rename it into
 * place.  Mode 0660: nginx workers may run as another user sharing a group
 * with the scheduler; others get nothing, since writing this file means
 * submitting commands as anyone.
 */
static int
hrx_shm_create(const char *path, const hrx_shm_params_t *p, hrx_shm_t *shm,
    char *err, size_t errlen)
{
    int                fd, rc;
    char              *tmp;
    void              *base;
    size_t             len;
    struct stat        st;
    hrx_shm_header_t   h, *hdr;

    memset(&h, 0, sizeof(h));

    if (hrx_shm_layout(p, &h, "hrx shm parameters", "", err, errlen) != 0) {
        return -1;
    }

    len = strlen(path);
    tmp = malloc(len + sizeof(".XXXXXX"));
    if (tmp == NULL) {
        hrx_shm_err(err, errlen, "cannot create %s: out of memory", path);
        return -1;
    }

    memcpy(tmp, path, len);
    memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));

    base = MAP_FAILED;

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd == -1) {
        hrx_shm_err(err, errlen, "cannot create a temporary file next to %s: "
                    "%s", path, strerror(errno));
        free(tmp);
        return -1;
    }

    if (fchmod(fd, 0660) != 0) {
        hrx_shm_err(err, errlen, "cannot chmod %s: %s", tmp, strerror(errno));
        goto failed;
    }

    /*
     * Reserve the blocks now: a sparse file on a full disk would turn a
     * later store into the mapping into SIGBUS.
     */
    rc = ftruncate(fd, (off_t) h.file_size) != 0 ? errno
         : posix_fallocate(fd, 0, (off_t) h.file_size);

    if (rc != 0) {
        hrx_shm_err(err, errlen, "cannot size %s to %llu bytes: %s", tmp,
                    (unsigned long long) h.file_size, strerror(rc));
        goto failed;
    }

    base = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        hrx_shm_err(err, errlen, "cannot map %s: %s", tmp, strerror(errno));
        goto failed;
    }

    /* the file is all zeroes: positions 0, slots FREE(0), no scheduler */
    hdr = base;
    hdr->magic = HRX_SHM_MAGIC;
    hdr->layout_version = HRX_SHM_LAYOUT_VERSION;
    hdr->header_size = h.header_size;
    hdr->file_size = h.file_size;
    hdr->ring_offset = h.ring_offset;
    hdr->ring_capacity = h.ring_capacity;
    hdr->slots_offset = h.slots_offset;
    hdr->slot_count = h.slot_count;
    hdr->slot_size = h.slot_size;
    hdr->bcast_offset = h.bcast_offset;
    hdr->bcast_capacity = h.bcast_capacity;
    hdr->created_at_ms = hrx_wall_ms();

    if (msync(base, h.file_size, MS_SYNC) != 0) {
        hrx_shm_err(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        goto failed;
    }

    if (fstat(fd, &st) != 0) {
        hrx_shm_err(err, errlen, "cannot stat %s: %s", tmp, strerror(errno));
        goto failed;
    }

    if (rename(tmp, path) != 0) {
        hrx_shm_err(err, errlen, "cannot rename %s to %s: %s", tmp, path,
                    strerror(errno));
        goto failed;
    }

    free(tmp);

    shm->fd = fd;
    shm->base = base;
    shm->size = h.file_size;
    shm->dev = st.st_dev;
    shm->ino = st.st_ino;
    shm->hdr = hdr;

    if (hrx_shm_attach(shm) != 0) {
        hrx_shm_err(err, errlen, "%s: the new layout is unusable", path);
        hrx_shm_close(shm);
        return -1;
    }

    return 0;

failed:

    if (base != MAP_FAILED) {
        munmap(base, h.file_size);
    }

    close(fd);
    unlink(tmp);
    free(tmp);

    return -1;
}


int
hrx_shm_create_or_open(const char *path, const hrx_shm_params_t *p,
    hrx_shm_t *shm, char *err, size_t errlen)
{
    int  fd;

    hrx_shm_init_struct(shm);

    fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd != -1) {
        return hrx_shm_map_existing(fd, path, shm, err, errlen);
    }

    if (errno != ENOENT) {
        hrx_shm_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }

    return hrx_shm_create(path, p, shm, err, errlen);
}


void
hrx_shm_close(hrx_shm_t *shm)
{
    if (shm->base != NULL) {
        munmap(shm->base, shm->size);
    }

    if (shm->fd != -1) {
        close(shm->fd);
    }

    hrx_shm_init_struct(shm);
}


/*
 * The file we mapped is no longer the one at path (the scheduler recreated
 * it, or it was removed): the caller should map the new one.
 */
int
hrx_shm_replaced(const hrx_shm_t *shm, const char *path)
{
    struct stat  st;

    if (stat(path, &st) != 0) {
        return 1;
    }

    return st.st_dev != shm->dev || st.st_ino != shm->ino;
}


int
hrx_shm_scheduler_alive(const hrx_shm_t *shm, uint64_t max_age_ms)
{
    int32_t   pid;
    uint64_t  beat, now;

    /* acquire: pairs with the scheduler's release-store of its pid */
    pid = hrx_load_acquire(&shm->hdr->scheduler_pid);

    if (pid <= 0) {
        return 0;
    }

    /* EPERM: it exists but runs as another user */
    if (kill((pid_t) pid, 0) != 0 && errno != EPERM) {
        return 0;
    }

    beat = hrx_load_acquire(&shm->hdr->heartbeat_ms);
    now = hrx_monotonic_ms();

    return now < beat || now - beat <= max_age_ms;
}


static long
hrx_futex(_Atomic uint32_t *addr, int op, uint32_t val,
    const struct timespec *timeout)
{
    /*
     * Not FUTEX_PRIVATE_FLAG: the word is in a MAP_SHARED file mapping and
     * the waiter and wakers are different processes.
     */
    return syscall(SYS_futex, (uint32_t *) (void *) addr, op, val, timeout,
                   NULL, 0);
}


/*
 * Why no wake-up is lost.  This is Dekker's pattern (store, full fence,
 * load on each side) between a producer and the consumer:
 *
 *   producer:  tail CAS (claim), header CAS     consumer:  sleeping = 1
 *              (commit)                                    seq_cst fence
 *              seq_cst fence                               seq = wake_seq
 *              read sleeping                               read tail and
 *                                                          the header at head
 *
 * With the seq_cst fences at least one side sees the other's write.  If
 * the producer reads sleeping == 0, the consumer's store of 1 comes later
 * in the single total order, so the consumer's reads see the producer's
 * claim and commit, and it does not sleep.  If the producer reads 1, it
 * bumps wake_seq and calls FUTEX_WAKE: either the consumer is already in
 * FUTEX_WAIT and is woken, or it reaches FUTEX_WAIT later with the old seq
 * and the kernel, which compares the word atomically with queueing the
 * waiter, returns EAGAIN at once.
 *
 * The consumer checks two things.  The tail moving past seen_tail covers
 * records claimed after the caller looked.  A record already claimed then
 * but committed later moves no tail, so the header at the ring's head is
 * checked as well: the scheduler releases every batch before it waits, so
 * the record it waits for is the one at head.  (A caller that waited with
 * a committed record at head unreleased would get no sleep at all.)
 */
void
hrx_shm_wake_consumer(hrx_shm_t *shm)
{
    hrx_shm_header_t  *hdr;

    hdr = shm->hdr;

    atomic_thread_fence(memory_order_seq_cst);

    if (atomic_load_explicit(&hdr->consumer_sleeping, memory_order_seq_cst)
        == 0)
    {
        return;
    }

    atomic_fetch_add_explicit(&hdr->wake_seq, 1, memory_order_seq_cst);
    (void) hrx_futex(&hdr->wake_seq, FUTEX_WAKE, 1, NULL);
}


/* a committed record (or padding) waits at head: peek would move on */
static int
hrx_shm_head_ready(hrx_ring_t *ring)
{
    int32_t            length;
    uint64_t           head, index;
    _Atomic uint64_t  *word;

    head = atomic_load_explicit(&ring->ctl->head, memory_order_relaxed);
    index = head & ring->mask;
    word = (_Atomic uint64_t *) (void *) (ring->data + index);

    /* the header's low half is its int32 length (hrx_ring.h) */
    length = (int32_t) (uint32_t) (atomic_load_explicit(word,
                                        memory_order_seq_cst) & 0xffffffffu);

    /* a damaged length must not turn the wait into a busy loop */
    return length >= HRX_RING_HEADER_SIZE
           && index + (uint64_t) length <= ring->capacity;
}


void
hrx_shm_wait(hrx_shm_t *shm, uint64_t seen_tail, uint32_t timeout_ms)
{
    uint32_t           seq;
    struct timespec    ts;
    hrx_shm_header_t  *hdr;

    hdr = shm->hdr;

    atomic_store_explicit(&hdr->consumer_sleeping, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);

    seq = atomic_load_explicit(&hdr->wake_seq, memory_order_seq_cst);

    if (atomic_load_explicit(&shm->ring.ctl->tail, memory_order_seq_cst)
        == seen_tail
        && !hrx_shm_head_ready(&shm->ring))
    {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long) (timeout_ms % 1000) * 1000000L;

        /* EAGAIN (woken before we slept), EINTR, ETIMEDOUT: all mean go */
        (void) hrx_futex(&hdr->wake_seq, FUTEX_WAIT, seq, &ts);
    }

    atomic_store_explicit(&hdr->consumer_sleeping, 0, memory_order_relaxed);
}


uint64_t
hrx_monotonic_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}


uint64_t
hrx_wall_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}
