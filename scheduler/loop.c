/*
 * The batch loop.
 *
 * nginx workers append commands to a shared ring; this loop is their only
 * consumer and the only writer of the database.  One turn of the loop:
 *
 *   1. peek: hand every committed record from the ring's head (up to
 *      --max-batch records or LOOP_BATCH_BYTES) to a handler that decodes
 *      it into the batch array.  Nothing is freed in the ring yet.
 *   2. apply: BEGIN IMMEDIATE; each command in its own savepoint
 *      (apply.c) with its audit row; the replies workers wait for, all in
 *      the one row of batch_replies; then meta.ring_pos = the position
 *      after the batch; COMMIT.  With synchronous=FULL that COMMIT is the one fsync the
 *      whole batch pays: under load, batches grow and the cost per command
 *      shrinks (group commit, the way Redis writes its AOF once per turn
 *      of the event loop before replying).
 *   3. publish: only now, with the batch durable, write each reply into
 *      its slot, advance durable_pos in the shm header, and release the
 *      records (hrx_ring_release), which frees their space for producers.
 *
 * Exactly once.  Ring positions are 64-bit byte counters that never wrap,
 * and the position applied up to is written in the same transaction as the
 * commands.  After a crash the database therefore says precisely which
 * records are in it: at startup the ring is released up to meta.ring_pos
 * (records the previous run committed but did not release) and applying
 * resumes from there.  No record is applied twice and none is lost, since
 * records are released only after their commit.  A worker that was
 * waiting for a reply the dead scheduler committed but never published
 * gets it from batch_replies, which startup republishes: only the last
 * batch committed can be unpublished, since a batch is published before
 * the next begins.  A publish is a no-op unless that slot still waits
 * with that generation.
 *
 * Failure.  A rejected command is its own business (its savepoint is
 * rolled back and it gets a 4xx).  A failure of the database itself (disk
 * full, I/O error, the COMMIT failing) fails the batch: it is rolled back,
 * nothing is published or released, and the same records are applied
 * again after a pause that doubles from 100 ms to 5 s.  They are still in
 * the ring, so nothing is lost while the disk is full; producers see the
 * ring fill up and answer 503 instead.
 *
 * Idle.  When the ring holds nothing committed the loop sleeps on a futex
 * in the shm header (hrx_shm_wait) for at most LOOP_IDLE_WAIT_MS, or less
 * when the outbox has a row due sooner; a producer that commits a record
 * wakes it.  The timeout keeps the heartbeat fresh and the periodic work
 * going; an idle scheduler costs ten wake-ups a second and no CPU to
 * speak of.
 *
 * Mail.  The outbox sender (outbox.c) does its database work in this
 * thread: every turn, after the batch if there was one, outbox_pump()
 * collects the attempts its sending threads finished, commits their
 * outcomes in one transaction of its own (no batch is open then), and
 * hands them due rows.  While attempts are in flight the loop must not
 * sleep on the futex -- nothing would wake it when a server answers -- so
 * an idle turn waits instead inside the pump, for a finished attempt, for
 * at most LOOP_MAIL_POLL_MS: a server's reply and a command in the ring
 * are then both noticed within a couple of milliseconds.  A turn that had
 * a batch does not wait there at all.
 *
 * Dead producers.  A worker killed between claiming space and committing
 * its record leaves a claimed record that peek will never pass.  When
 * peek stops at the same position, with the tail beyond it, for longer
 * than --unblock-timeout-ms, the record is turned into padding
 * (hrx_ring_unblock, Aeron's unblock) and counted.  A live but slow
 * producer would see its commit refused and report the failure.
 *
 * Periodic work, whether the ring is busy or idle: run the bulk actions
 * whose time has come (bulk_run_due, each in a transaction of its own),
 * as soon as the earliest waiting run_at passes -- an idle turn sleeps no
 * longer than until then -- and once a second in any case; and, at most
 * once a second,
 * free reply slots of dead workers and replies nobody collected
 * (hrx_slots_reclaim), and, every LOOP_CLEANUP_MS, delete expired sessions
 * in a small transaction of its own, and import spool files nobody removed (spool.c) once the
 * records that were in the ring at start are applied.
 *
 * LINE deliveries.  A line.webhook stores the raw delivery and its events
 * inside the batch -- what LINE's 200 waits for -- and nothing more.  The
 * next batch turns the events of unparsed deliveries into timeline rows
 * before its commands (line_events_in_batch), and message.received goes
 * out after its commit; an idle turn with deliveries left does it in a
 * transaction of its own (line_events_run), as the periodic work does
 * for deliveries a crash or a failure left unparsed (line_events.c).
 *
 * Import spool files.  A candidate.import names a file of rows; its reply
 * carries the file's path, and the file is removed after the commit and
 * before the reply is published, so a client that got its answer never
 * leaves one behind, and a rolled-back batch finds it again.
 *
 * Stopping.  SIGTERM and SIGINT only set a flag.  The loop notices it
 * between batches, so the batch in hand is committed and published before
 * the process clears its pid from the shm header and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <msgpack.h>

#include "hrx_codec.h"
#include "hrx_shm.h"
#include "apply.h"
#include "bells.h"
#include "bulk_run.h"
#include "hrx_import.h"
#include "line_events.h"
#include "log.h"
#include "loop.h"
#include "outbox.h"
#include "spool.h"

#define LOOP_BATCH_BYTES      (4u << 20)
#define LOOP_IDLE_WAIT_MS     100
#define LOOP_PERIODIC_MS      1000
#define LOOP_CLEANUP_MS       30000
#define LOOP_SLOT_MAX_AGE_MS  60000
#define LOOP_BACKOFF_MIN_MS   100
#define LOOP_BACKOFF_MAX_MS   5000
#define LOOP_MAIL_POLL_MS     2

/* one record of the batch in hand */
typedef struct {
    uint64_t        pos;          /* ring position of the record */
    hrx_command_t   cmd;          /* cmd.args owned when decoded */
    int             decoded;
    int             has_slot;     /* a worker waits in cmd.slot/cmd.gen */
    int             has_result;   /* reply below is set */
    apply_rc_e      rc;
    apply_reply_t   reply;
    char            why[160];     /* why it did not decode */
} loop_cmd_t;

typedef struct {
    store_t       *st;
    hrx_shm_t      shm;
    int            shm_mapped;
    loop_conf_t    conf;

    loop_cmd_t    *cmds;          /* conf.max_batch entries */
    store_reply_t *replies;       /* as many: the batch's, for the store */
    uint32_t       ncmds;
    uint64_t       batch_bytes;   /* peek budget, never above capacity */

    uint64_t       head;          /* applied and released up to here */
    uint64_t       last_periodic; /* hrx_monotonic_ms() */
    uint64_t       last_cleanup;

    uint64_t       sweep_from;    /* sweep spool files once applied
                                     up to here (the tail at start) */

    int            stuck;         /* peek stopped at stuck_pos ... */
    uint64_t       stuck_pos;
    uint64_t       stuck_since;   /* ... since then (monotonic ms) */
} loop_t;

volatile sig_atomic_t  loop_stop_requested;
volatile sig_atomic_t  loop_reopen_log_requested;

static loop_t  loop;

/* -------------------------------------------------------------------- */
/* small helpers */

static void
loop_heartbeat(void)
{
    hrx_store_release(&loop.shm.hdr->heartbeat_ms, hrx_monotonic_ms());
}

/*
 * Sleep ms, in steps short enough to keep the heartbeat fresh and notice
 * a stop request.  Used only to back off after a failed batch.
 */
static void
loop_sleep(uint32_t ms)
{
    struct timespec  ts;
    uint32_t         step;

    while (ms > 0 && !loop_stop_requested) {
        step = ms < LOOP_IDLE_WAIT_MS ? ms : LOOP_IDLE_WAIT_MS;
        ts.tv_sec = 0;
        ts.tv_nsec = (long) step * 1000000L;
        nanosleep(&ts, NULL);
        loop_heartbeat();
        ms -= step;
    }
}

static int
loop_slot_valid(uint32_t slot, uint32_t gen)
{
    return gen != 0 && slot < loop.shm.slots.count;
}

/*
 * A record that does not decode may still name the reply slot its worker
 * waits on.  Read just "slot" and "gen" from whatever map there is, so
 * that worker gets a 400 now instead of a timeout later.  A slot that is
 * not waiting with that generation ignores the publish anyway.
 */
static void
loop_salvage_slot(const uint8_t *buf, size_t len, loop_cmd_t *c)
{
    msgpack_unpacked   u;
    msgpack_object_kv *kv;
    uint32_t           i;
    int                have_slot = 0, have_gen = 0;

    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, (const char *) buf, len, NULL)
            == MSGPACK_UNPACK_SUCCESS
        && u.data.type == MSGPACK_OBJECT_MAP)
    {
        for (i = 0; i < u.data.via.map.size; i++) {
            kv = &u.data.via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR
                || kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER
                || kv->val.via.u64 > UINT32_MAX)
            {
                continue;
            }
            if (kv->key.via.str.size == 4
                && memcmp(kv->key.via.str.ptr, "slot", 4) == 0)
            {
                c->cmd.slot = (uint32_t) kv->val.via.u64;
                have_slot = 1;
            } else if (kv->key.via.str.size == 3
                       && memcmp(kv->key.via.str.ptr, "gen", 3) == 0)
            {
                c->cmd.gen = (uint32_t) kv->val.via.u64;
                have_gen = 1;
            }
        }
    }
    msgpack_unpacked_destroy(&u);

    c->has_slot = have_slot && have_gen
                  && loop_slot_valid(c->cmd.slot, c->cmd.gen);
}

/* -------------------------------------------------------------------- */
/* collecting a batch */

/*
 * The peek handler: copy what the batch needs out of the ring.  Decoding
 * happens here, once per attempt; the record itself stays in the ring
 * until the batch is durable.
 */
static int
loop_collect(void *ctx, int32_t type, const uint8_t *payload, uint32_t len,
    uint64_t pos)
{
    loop_cmd_t  *c;

    (void) ctx;

    if (loop.ncmds == loop.conf.max_batch) {
        return 1;                      /* stop before this record */
    }

    c = &loop.cmds[loop.ncmds++];
    memset(c, 0, sizeof(*c));
    c->pos = pos;

    if (type != HRX_REC_COMMAND) {
        snprintf(c->why, sizeof(c->why),
                 "record type %d is not a command", (int) type);

    } else if (hrx_command_decode(payload, len, &c->cmd, c->why,
                                  sizeof(c->why)) == 0)
    {
        c->decoded = 1;
        c->has_slot = loop_slot_valid(c->cmd.slot, c->cmd.gen);
        if (c->cmd.gen != 0 && !c->has_slot) {
            log_warn("%s at %llu names reply slot %u, beyond the %u slots; "
                     "no reply", c->cmd.op, (unsigned long long) pos,
                     c->cmd.slot, loop.shm.slots.count);
        }
        return 0;
    }

    /* decode failed: hrx_command_decode owns nothing on failure */
    c->cmd.args = NULL;
    loop_salvage_slot(payload, len, c);
    log_warn("malformed command at %llu (%u bytes): %s",
             (unsigned long long) pos, len, c->why);
    return 0;
}

/* free what the batch in hand owns */
static void
loop_batch_clear(void)
{
    uint32_t  i;

    for (i = 0; i < loop.ncmds; i++) {
        json_decref(loop.cmds[i].cmd.args);
        loop.cmds[i].cmd.args = NULL;
        apply_reply_free(&loop.cmds[i].reply);
    }
    loop.ncmds = 0;
}

/* -------------------------------------------------------------------- */
/* applying a batch */

/*
 * Apply the batch in hand and commit it with meta.ring_pos = end.  0 when
 * it is durable; -1 when it was rolled back (a database failure; logged)
 * and must be tried again.
 */
static int
loop_apply(uint64_t end)
{
    loop_cmd_t     *c;
    store_reply_t  *r;
    uint32_t        i, nreplies = 0;

    if (store_begin(loop.st) != STORE_OK) {
        log_error("cannot begin a batch: %s", store_errmsg(loop.st));
        goto failed;
    }

    /* timeline rows of deliveries earlier batches stored (line_events.c) */
    line_events_in_batch();

    for (i = 0; i < loop.ncmds; i++) {
        c = &loop.cmds[i];

        if (c->decoded) {
            c->rc = apply_command(loop.st, &c->cmd, c->pos, &c->reply);
        } else {
            c->rc = apply_malformed(loop.st, c->pos, c->why, &c->reply);
        }
        if (c->rc == APPLY_FAILED) {
            goto failed;               /* apply.c logged why */
        }
        c->has_result = 1;

        if (c->has_slot) {
            r = &loop.replies[nreplies++];
            r->slot = c->cmd.slot;
            r->gen = c->cmd.gen;
            r->status = c->reply.status;
            r->body = apply_reply_text(&c->reply, &r->len);
        }
    }

    if (nreplies > 0
        && store_replies_save(loop.st, end, loop.replies, nreplies,
                              (int64_t) hrx_wall_ms()) != STORE_OK)
    {
        log_error("cannot store the replies of the batch at %llu: %s",
                  (unsigned long long) loop.head, store_errmsg(loop.st));
        goto failed;
    }

    if (store_meta_set_ring_pos(loop.st, end) != STORE_OK) {
        log_error("cannot store ring_pos: %s", store_errmsg(loop.st));
        goto failed;
    }

    if (store_commit(loop.st) != STORE_OK) {
        log_error("cannot commit a batch of %u commands: %s", loop.ncmds,
                  store_errmsg(loop.st));
        goto failed;
    }

    return 0;

failed:
    store_rollback(loop.st);
    line_events_batch_done(0);
    for (i = 0; i < loop.ncmds; i++) {
        apply_reply_free(&loop.cmds[i].reply);
        loop.cmds[i].has_result = 0;
    }
    return -1;
}

/* the batch is durable: answer, announce, free the ring */
static void
loop_publish(uint64_t end)
{
    hrx_shm_t   *shm = &loop.shm;
    loop_cmd_t  *c;
    const char  *body;
    size_t       len;
    uint64_t     applied = 0, rejected = 0, replies = 0;
    uint32_t     i;

    /* files of imports committed (or refused) in this batch: before any
     * reply is out */
    for (i = 0; i < loop.ncmds; i++) {
        c = &loop.cmds[i];

        if (c->reply.spool != NULL && unlink(c->reply.spool) == -1
            && errno != ENOENT)
        {
            log_warn("cannot remove %s: %s", c->reply.spool,
                     strerror(errno));
        }
    }

    /* durable first: a client that has its reply reads no older position
     * (its worker is woken within microseconds, by the bell) */
    hrx_store_release(&shm->hdr->durable_pos, end);
    hrx_store_release(&shm->hdr->durable_batches,
                      hrx_load_relaxed(&shm->hdr->durable_batches) + 1);

    for (i = 0; i < loop.ncmds; i++) {
        c = &loop.cmds[i];

        if (c->rc == APPLY_OK) {
            applied++;
        } else {
            rejected++;
        }

        if (c->has_slot) {
            body = apply_reply_text(&c->reply, &len);
            if (hrx_slots_publish(&shm->slots, c->cmd.slot, c->cmd.gen,
                                  c->reply.status, body, (uint32_t) len))
            {
                replies++;
                bells_note(c->cmd.slot);
            }
        }
    }

    hrx_counter_add(shm, HRX_CTR_COMMANDS_APPLIED, applied);
    hrx_counter_add(shm, HRX_CTR_COMMANDS_REJECTED, rejected);
    hrx_counter_add(shm, HRX_CTR_BATCHES_COMMITTED, 1);
    hrx_counter_add(shm, HRX_CTR_REPLIES_PUBLISHED, replies);

    /* each worker that has replies now learns which, in one write: last,
     * so what a client reads after its reply (metrics too) is current */
    bells_flush();

    hrx_ring_release(&shm->ring, end);
    loop.head = end;

    line_events_batch_done(1);
}

/* -------------------------------------------------------------------- */
/* periodic work */

/* expired sessions: a small write transaction of its own */
static void
loop_cleanup(void)
{
    int64_t  now = (int64_t) hrx_wall_ms(), sessions = 0;

    if (store_begin(loop.st) != STORE_OK
        || store_session_delete_expired(loop.st, now, &sessions) != STORE_OK
        || store_commit(loop.st) != STORE_OK)
    {
        log_error("cleanup failed: %s", store_errmsg(loop.st));
        store_rollback(loop.st);
        return;
    }

    if (sessions > 0) {
        log_info("deleted %lld expired sessions", (long long) sessions);
    }
}

static void
loop_periodic(uint64_t now)
{
    uint32_t  n;
    int64_t   wall = (int64_t) hrx_wall_ms();
    int       second = (now - loop.last_periodic >= LOOP_PERIODIC_MS);

    /*
     * A bulk action's time: at once, not at the next second's look; and
     * once a second in any case, for actions written behind our back or
     * left due by a failure (logged there).
     */
    if (second || wall >= bulk_run_next_at()) {
        (void) bulk_run_due(wall);
    }

    if (!second) {
        return;
    }
    loop.last_periodic = now;

    /* LINE deliveries a failed or interrupted parse left (logged) */
    line_events_run();

    n = hrx_slots_reclaim(&loop.shm.slots, now, LOOP_SLOT_MAX_AGE_MS);
    if (n > 0) {
        hrx_counter_add(&loop.shm, HRX_CTR_SLOTS_RECLAIMED, n);
        log_info("reclaimed %u reply slots", n);
    }

    if (now - loop.last_cleanup >= LOOP_CLEANUP_MS) {
        loop.last_cleanup = now;
        loop_cleanup();

        if (loop.head >= loop.sweep_from) {
            (void) spool_sweep(HRX_IMPORT_ORPHAN_MS);
        }
    }
}

/*
 * peek stopped at pos with nothing to hand while the tail is beyond it: a
 * record there is claimed but not committed.  Give its producer
 * --unblock-timeout-ms, then skip the record.
 */
static void
loop_check_stuck(uint64_t pos, uint64_t tail, uint64_t now)
{
    if (tail <= pos) {
        loop.stuck = 0;
        return;
    }

    if (!loop.stuck || loop.stuck_pos != pos) {
        loop.stuck = 1;
        loop.stuck_pos = pos;
        loop.stuck_since = now;
        return;
    }

    if (now - loop.stuck_since < loop.conf.unblock_timeout_ms) {
        return;
    }

    if (hrx_ring_unblock(&loop.shm.ring, pos)) {
        hrx_counter_add(&loop.shm, HRX_CTR_RECORDS_UNBLOCKED, 1);
        log_warn("a producer died between claim and commit at %llu; "
                 "skipped", (unsigned long long) pos);
    }
    loop.stuck = 0;
}

/* -------------------------------------------------------------------- */
/* the loop */

/* how long an idle turn may sleep: not past the outbox's next row
 * (outbox_wait), nor past the next bulk action's time */
static uint32_t
loop_wait_ms(uint32_t outbox_wait)
{
    int64_t   next, wall;
    uint32_t  wait;

    wait = outbox_wait < LOOP_IDLE_WAIT_MS ? outbox_wait : LOOP_IDLE_WAIT_MS;
    next = bulk_run_next_at();
    wall = (int64_t) hrx_wall_ms();
    if (next != INT64_MAX && next - wall < (int64_t) wait) {
        wait = next > wall ? (uint32_t) (next - wall) : 1;
    }
    return wait;
}

int
loop_run(void)
{
    hrx_ring_t  *ring = &loop.shm.ring;
    uint64_t     now, tail, end;
    uint32_t     backoff = 0, wait;

    while (!loop_stop_requested) {

        if (loop_reopen_log_requested) {
            loop_reopen_log_requested = 0;
            log_reopen();
        }

        loop_heartbeat();
        now = hrx_monotonic_ms();
        loop_periodic(now);

        /* tail first: a record committed after the peek changes it, and
         * then the wait below returns at once */
        tail = hrx_ring_tail(ring);
        end = hrx_ring_peek(ring, loop.head, loop.conf.max_batch,
                            loop.batch_bytes, loop_collect, NULL);

        if (end == loop.head) {
            loop_check_stuck(end, tail, now);

            /* no batch to carry them: LINE deliveries into the timeline
             * in a transaction of their own (line_events.c) */
            line_events_run();

            /* 0: transfers in flight, the pump has waited on them */
            wait = outbox_pump(hrx_wall_ms(), LOOP_MAIL_POLL_MS);
            if (wait > 0) {
                hrx_shm_wait(&loop.shm, tail, loop_wait_ms(wait));
            }
            continue;
        }
        loop.stuck = 0;

        /*
         * end > head with no command happens when only padding was
         * passed; committing the new position then is cheap and keeps
         * meta.ring_pos equal to the ring's head.
         */
        if (loop_apply(end) != 0) {
            loop_batch_clear();
            backoff = backoff ? backoff * 2 : LOOP_BACKOFF_MIN_MS;
            if (backoff > LOOP_BACKOFF_MAX_MS) {
                backoff = LOOP_BACKOFF_MAX_MS;
            }
            log_error("batch at %llu rolled back; retrying in %u ms",
                      (unsigned long long) loop.head, backoff);
            loop_sleep(backoff);
            continue;
        }

        if (backoff) {
            log_info("batches commit again");
            backoff = 0;
        }

        /* --crash-after-commit: the moment a crash test needs to hit */
        if (loop.conf.crash_after_commit != 0
            && --loop.conf.crash_after_commit == 0)
        {
            log_warn("--crash-after-commit: exiting before publishing the "
                     "batch at %llu", (unsigned long long) loop.head);
            _exit(3);
        }
        loop_publish(end);
        loop_batch_clear();

        /* between batches, without waiting: more commands may be there */
        (void) outbox_pump(hrx_wall_ms(), 0);
    }

    return 0;
}

/* -------------------------------------------------------------------- */
/* start and finish */

typedef struct {
    uint32_t  seen;
    uint32_t  published;
} loop_republish_t;

static void
loop_republish_one(void *ctx, uint64_t pos, uint32_t slot, uint32_t gen,
    int status, const char *body, size_t len)
{
    loop_republish_t  *r = ctx;

    (void) pos;
    r->seen++;
    if (!loop_slot_valid(slot, gen)) {
        return;
    }
    if (hrx_slots_publish(&loop.shm.slots, slot, gen, (uint32_t) status,
                          body ? body : "", (uint32_t) len))
    {
        r->published++;
        bells_note(slot);
    }
}

/*
 * Bring the ring and the database to agree; returns the position applying
 * resumes from.  The cases, with P = meta.ring_pos:
 *   - a new file: its ring starts at P, so positions keep growing;
 *   - head < P <= tail: the previous run committed up to P and died
 *     before releasing; release now, never apply those again;
 *   - head == P: a clean stop;
 *   - head > P: records were released that the database does not have
 *     (a database restored from a backup): they are gone; go on from head;
 *   - tail < P: the file is older than the database (restored, or copied
 *     from elsewhere): nothing in it can be trusted; make a new one.
 */
static int
loop_recover_ring(const char *path, const hrx_shm_params_t *params,
    int created, uint64_t ring_pos, uint64_t *start)
{
    hrx_ring_t  *ring = &loop.shm.ring;
    uint64_t     head, tail;
    char         err[512];

    if (!created) {
        head = hrx_ring_head(ring);
        tail = hrx_ring_tail(ring);

        if (ring_pos <= tail) {
            if (head < ring_pos) {
                log_info("releasing %llu bytes of the ring that the previous "
                         "scheduler committed (%llu..%llu)",
                         (unsigned long long) (ring_pos - head),
                         (unsigned long long) head,
                         (unsigned long long) ring_pos);
                hrx_ring_release(ring, ring_pos);
                *start = ring_pos;

            } else if (head > ring_pos) {
                log_warn("the ring's head %llu is past the position the "
                         "database has applied (%llu): commands in between "
                         "were released but are not in the database "
                         "(restored from a backup?); going on from %llu",
                         (unsigned long long) head,
                         (unsigned long long) ring_pos,
                         (unsigned long long) head);
                *start = head;

            } else {
                *start = head;
            }
            return 0;
        }

        log_warn("%s ends at %llu, before the position the database has "
                 "applied (%llu): replacing it", path,
                 (unsigned long long) tail, (unsigned long long) ring_pos);
        hrx_shm_close(&loop.shm);
        loop.shm_mapped = 0;
        if (unlink(path) == -1 && errno != ENOENT) {
            log_tell("cannot remove %s: %s", path, strerror(errno));
            return -1;
        }
        if (hrx_shm_create_or_open(path, params, &loop.shm, err, sizeof(err))
            != 0)
        {
            log_tell("%s", err);
            return -1;
        }
        loop.shm_mapped = 1;
    }

    hrx_ring_reset(ring, ring_pos);
    *start = ring_pos;
    return 0;
}

int
loop_start(store_t *st, const char *shm_path, const hrx_shm_params_t *params,
    const loop_conf_t *conf, const char *data_dir)
{
    hrx_shm_header_t  *hdr;
    loop_republish_t   rp = { 0, 0 };
    struct stat        sb;
    uint64_t           ring_pos, start;
    int                created;
    char               err[512];

    memset(&loop, 0, sizeof(loop));
    loop.st = st;
    loop.conf = *conf;

    loop.cmds = calloc(conf->max_batch, sizeof(loop_cmd_t));
    loop.replies = calloc(conf->max_batch, sizeof(store_reply_t));
    if (loop.cmds == NULL || loop.replies == NULL) {
        log_tell("out of memory for a batch of %u", conf->max_batch);
        goto failed;
    }

    if (store_meta_get_ring_pos(st, &ring_pos) != STORE_OK) {
        log_tell("cannot read ring_pos: %s", store_errmsg(st));
        goto failed;
    }

    /* we hold the data directory's lock and workers never create it */
    created = (stat(shm_path, &sb) == -1 && errno == ENOENT);

    if (hrx_shm_create_or_open(shm_path, params, &loop.shm, err, sizeof(err))
        != 0)
    {
        log_tell("%s", err);
        goto failed;
    }
    loop.shm_mapped = 1;

    hdr = loop.shm.hdr;
    if (!created && conf->shm_sizes_given
        && (hdr->ring_capacity != params->ring_capacity
            || hdr->slot_count != params->slot_count
            || hdr->slot_size != params->slot_size))
    {
        log_info("%s exists and keeps its sizes: ring %llu bytes, %u slots "
                 "of %u bytes (remove it while nothing runs to change them)",
                 shm_path, (unsigned long long) hdr->ring_capacity,
                 hdr->slot_count, hdr->slot_size);
    }

    if (loop_recover_ring(shm_path, params, created, ring_pos, &start) != 0) {
        goto failed;
    }
    hdr = loop.shm.hdr;
    loop.head = start;
    loop.sweep_from = hrx_ring_tail(&loop.shm.ring);

    if (spool_init(data_dir) != 0) {
        goto failed;
    }

    /*
     * A full ring holds exactly capacity bytes from head; peek must not
     * read further, or it would meet the first records again (the same
     * index one lap later) and hand them a second time.
     */
    loop.batch_bytes = LOOP_BATCH_BYTES;
    if (loop.batch_bytes > loop.shm.ring.capacity) {
        loop.batch_bytes = loop.shm.ring.capacity;
    }

    bells_start(&loop.shm, data_dir);

    if (store_replies_foreach(st, loop_republish_one, &rp) != STORE_OK) {
        log_tell("cannot read batch_replies: %s", store_errmsg(st));
        goto failed;
    }
    bells_flush();
    if (rp.published > 0) {
        hrx_counter_add(&loop.shm, HRX_CTR_REPLIES_PUBLISHED, rp.published);
        log_info("republished %u of %u stored replies", rp.published,
                 rp.seen);
    }

    /* everything a worker reads before it sees our pid */
    hrx_store_release(&hdr->heartbeat_ms, hrx_monotonic_ms());
    hrx_store_release(&hdr->started_at_ms, hrx_wall_ms());
    hrx_store_release(&hdr->durable_pos, start);
    hrx_store_release(&hdr->scheduler_pid, (int32_t) getpid());

    loop.last_periodic = hrx_monotonic_ms();
    loop.last_cleanup = 0;     /* first cleanup soon after start */

    line_events_start(st, &loop.shm);

    log_info("started pid %d, ring at %llu, %s", (int) getpid(),
             (unsigned long long) start, data_dir);
    return 0;

failed:
    loop_finish();
    return -1;
}

hrx_shm_t *
loop_shm(void)
{
    return &loop.shm;
}

void
loop_finish(void)
{
    line_events_finish();
    bells_finish();
    if (loop.shm_mapped) {
        loop_batch_clear();
        hrx_store_release(&loop.shm.hdr->scheduler_pid, 0);
        hrx_shm_close(&loop.shm);
        loop.shm_mapped = 0;
    }
    free(loop.cmds);
    loop.cmds = NULL;
    free(loop.replies);
    loop.replies = NULL;
}
