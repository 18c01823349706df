/*
 * LINE deliveries into the timeline (docs/line.md, LN-6).
 *
 * line.webhook (apply_line.c) stores a delivery and its events inside the
 * command batch, and nothing more: its reply is what LINE waits for, at
 * most 2 seconds (LN-13), so the batch does only what must be durable
 * before the 200.  Everything that can come a moment later happens here,
 * after the batch committed, in a transaction of its own: the events of
 * each unparsed delivery become rows of the candidate's timeline
 * (messages, channel line, direction in: a text with its text, other
 * message types as "unsupported" without any, follow and unfollow as
 * such), and the delivery is marked parsed in the same transaction.  A
 * crash between the two transactions leaves the delivery unparsed, and
 * the next start parses it: never lost, never twice.
 *
 * Under load that transaction is the next command batch: before its
 * commands, line_events_in_batch() parses what earlier batches stored,
 * in a savepoint of its own, so the timeline costs no COMMIT (no fsync)
 * of its own -- the profile of docs/performance.md had the second commit
 * at a fifth of the scheduler's time.  A failure there rolls back only
 * that savepoint and leaves the deliveries for the next try.  When no
 * batch follows, the loop's idle turn calls line_events_run(), which
 * makes a transaction of its own.  Either way a delivery's timeline rows
 * follow it by at most one turn of the loop.
 *
 * Several deliveries go into one transaction (group commit, as for the
 * batch), at most LINE_EVENTS_PER_TXN, and a call makes at most
 * LINE_EVENTS_TXNS of them, so a backlog after a restart does not hold
 * up the command ring.
 *
 * After each commit, every timeline row made is published on the
 * broadcast ring as message.received (type 2), for the admin page of
 * users who may see the candidate (the events stream filters).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "line_events.h"
#include "log.h"
#include "store_line.h"

#define LINE_EVENTS_PER_TXN   64
#define LINE_EVENTS_TXNS      4

typedef struct {
    int64_t  tenant_id;
    int64_t  candidate_id;
    int64_t  message_id;
} line_events_msg_t;

static struct {
    store_t            *st;
    hrx_shm_t          *shm;
    int                 pending;
    line_events_msg_t  *msgs;           /* made in the open transaction */
    size_t              nmsgs;
    size_t              cap;
    int                 oom;
} le;

void
line_events_start(store_t *st, hrx_shm_t *shm)
{
    free(le.msgs);
    memset(&le, 0, sizeof(le));
    le.st = st;
    le.shm = shm;
    le.pending = 1;                 /* whatever a previous run left */
}

void
line_events_finish(void)
{
    free(le.msgs);
    memset(&le, 0, sizeof(le));
}

void
line_events_note(void)
{
    le.pending = 1;
}

static void
line_events_made(void *ctx, int64_t tenant_id, int64_t candidate_id,
    int64_t message_id)
{
    line_events_msg_t  *m;
    size_t              cap;

    (void) ctx;

    if (le.nmsgs == le.cap) {
        cap = le.cap ? le.cap * 2 : 64;
        m = realloc(le.msgs, cap * sizeof(*m));
        if (m == NULL) {
            le.oom = 1;             /* the rows are made; only not told */
            return;
        }
        le.msgs = m;
        le.cap = cap;
    }
    m = &le.msgs[le.nmsgs++];
    m->tenant_id = tenant_id;
    m->candidate_id = candidate_id;
    m->message_id = message_id;
}

static void
line_events_publish(void)
{
    line_events_msg_t  *m;
    char                buf[256];
    size_t              i;
    int                 n;

    for (i = 0; i < le.nmsgs; i++) {
        m = &le.msgs[i];
        n = snprintf(buf, sizeof(buf),
                     "{\"type\":\"message.received\",\"tenant_id\":%" PRId64
                     ",\"candidate_id\":%" PRId64 ",\"message_id\":%" PRId64
                     ",\"channel\":\"line\"}",
                     m->tenant_id, m->candidate_id, m->message_id);
        if (n > 0 && (size_t) n < sizeof(buf)
            && hrx_bcast_publish(&le.shm->bcast, LINE_EVENTS_BCAST_TYPE, buf,
                                 (uint32_t) n) == 0)
        {
            hrx_counter_add(le.shm, HRX_CTR_EVENTS_PUBLISHED, 1);
        }
    }
    if (le.oom) {
        log_warn("out of memory: some message.received events were not "
                 "published");
        le.oom = 0;
    }
    le.nmsgs = 0;
}

/* up to LINE_EVENTS_PER_TXN deliveries in the open transaction, *n of
 * them: 1 when there may be more, 0 when done, -1 failed (the error is in
 * the store) */
static int
line_events_parse_some(size_t *n)
{
    int64_t  ids[LINE_EVENTS_PER_TXN];
    size_t   i;

    if (store_line_unparsed(le.st, ids, LINE_EVENTS_PER_TXN, n)
        != STORE_OK)
    {
        return -1;
    }
    for (i = 0; i < *n; i++) {
        if (store_line_delivery_parse(le.st, ids[i], line_events_made, NULL)
            != STORE_OK)
        {
            return -1;
        }
    }
    return *n == LINE_EVENTS_PER_TXN;
}

void
line_events_in_batch(void)
{
    size_t  made, n;
    int     rc;

    if (!le.pending || le.st == NULL) {
        return;
    }
    if (store_savepoint(le.st) != STORE_OK) {
        log_error("cannot parse LINE deliveries: %s", store_errmsg(le.st));
        return;
    }

    made = le.nmsgs;
    rc = line_events_parse_some(&n);
    if (rc < 0) {
        log_error("cannot parse LINE deliveries: %s", store_errmsg(le.st));
        (void) store_savepoint_rollback(le.st);
        le.nmsgs = made;
        return;
    }
    if (store_savepoint_release(le.st) != STORE_OK) {
        /* the batch fails with it: line_events_batch_done(0) */
        return;
    }
    if (rc == 0) {
        le.pending = 0;
    }
}

void
line_events_batch_done(int committed)
{
    if (!committed) {
        le.nmsgs = 0;
        le.oom = 0;
        le.pending = 1;             /* the rollback undid the parse too */
        return;
    }
    line_events_publish();
}

/* one transaction: 1 when there may be more, 0 when done, -1 failed */
static int
line_events_txn(void)
{
    size_t  n;
    int     rc;

    if (store_begin(le.st) != STORE_OK) {
        log_error("cannot begin parsing LINE deliveries: %s",
                  store_errmsg(le.st));
        return -1;
    }

    rc = line_events_parse_some(&n);
    if (rc < 0) {
        goto failed;
    }
    if (n == 0) {
        store_rollback(le.st);
        return 0;
    }
    if (store_commit(le.st) != STORE_OK) {
        goto failed;
    }

    line_events_publish();
    return rc;

failed:
    log_error("cannot parse LINE deliveries: %s", store_errmsg(le.st));
    store_rollback(le.st);
    le.nmsgs = 0;
    le.oom = 0;
    return -1;
}

void
line_events_run(void)
{
    int  i, rc;

    if (!le.pending || le.st == NULL) {
        return;
    }

    for (i = 0; i < LINE_EVENTS_TXNS; i++) {
        rc = line_events_txn();
        if (rc < 0) {
            return;                 /* still pending: next call */
        }
        if (rc == 0) {
            le.pending = 0;
            return;
        }
    }
    /* more left: still pending, the next turn goes on */
}
