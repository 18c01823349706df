/*
 * The outbox sender.
 *
 * Other code decides to send mail by inserting an outbox row in the same
 * transaction as the decision (bulk_run.c); this file turns queued rows
 * into deliveries.  The database is touched only by the scheduler's one
 * thread, between batches of commands; the sending itself happens on a
 * small pool of threads of this file.  One turn of outbox_pump():
 *
 *   1. collect: take the attempts the sending threads finished and judge
 *      each (sent / failed / retry later).  Outcomes go into a small
 *      in-memory list; nothing is written yet.
 *   2. start: while fewer than --mail-concurrency rows are in flight or
 *      waiting for their outcome to be committed, load due rows, with the
 *      tenant's mail settings and opened SMTP password, and hand each to
 *      a sending thread: SMTP, or the .eml file of the file transport.
 *   3. commit: every outcome of the list in one transaction -- the outbox
 *      rows and, for mail of a bulk action, bulk_run_delivered() -- then,
 *      once durable, log them and let bulk_run publish progress.  Group
 *      commit, like the batch loop: a thousand deliveries do not cost a
 *      thousand fsyncs.
 *   4. wait: only while attempts are in flight, and only as long as the
 *      loop allows (a couple of ms), for a sending thread to finish one,
 *      so that commands from the ring are still picked up at once.
 *
 * Why threads, not one libcurl multi handle in the loop's thread: libcurl
 * (7.88) ends an SMTP transaction by blocking until the server answers
 * the end of the data (smtp_done), multi handle or not.  A server that
 * takes its time there -- content scanning, a stall -- would freeze the
 * whole loop, commands included, for up to --smtp-timeout-ms.  So each
 * thread owns one easy handle and runs one blocking transfer at a time:
 * a slow server holds one thread, nothing else.  The handle is reused, so
 * its open connection carries the next message to the same server.  The
 * threads never touch the database or the log; everything they need is
 * in the job, everything they learn goes back in it, under one mutex.
 *
 * Never twice while we live.  The database does not know what is in
 * flight (that is not worth an fsync, and a crash ends every transfer
 * anyway); this file does: a row in flight or with an uncommitted outcome
 * is never picked again.  When the commit fails (disk full, I/O error)
 * the transaction is rolled back, the outcomes stay in memory, no new row
 * is started, and the commit is tried again after a pause that doubles
 * from 100 ms to 5 s.  An outcome is lost only with the process.
 *
 * After a crash.  A kill -9 loses the outcomes of the attempts in flight
 * and of the list not yet committed: those rows are still queued and are
 * sent again, with the same bytes and so the same Message-ID, which lets
 * a receiving system see the duplicate for what it is.  That is the whole
 * price of not writing "in flight" to disk.  A clean stop abandons the
 * transfers in flight (within a second: libcurl's progress callback) and
 * commits every outcome it has.
 *
 * Outcomes (docs/bulk-actions.md, "Outbox and delivery"): accepted ->
 * sent; a 5xx reply -> failed at once (smtp_rejected, detail the server's
 * reply); anything else -> retried after retry_base_ms * 2^(attempts-1),
 * capped at an hour, until max_attempts, then failed (delivery_failed).
 *
 * LINE rows (docs/line.md, "Sending") go the same way through the same
 * threads: the job carries the tenant's opened access token instead of an
 * SMTP password, and mail_line_push() judges LINE's answer -- 2xx, or a
 * 409 for a retry key LINE already accepted, is sent; a 4xx other than
 * 429 fails at once (line_rejected, LINE's message); 429, 5xx and no
 * answer are retried, after Retry-After when LINE sent one, else on the
 * backoff above.  Every attempt of a row carries the row's message_id as
 * its X-Line-Retry-Key, so a retry after a lost answer never sends twice
 * (LN-11).  A tenant whose LINE is not connected (any more) fails its
 * rows at once.
 *
 * Who learns the outcome, in the same transaction: a bulk action's mail
 * row settles the candidate's result (bulk_run_delivered()); a bulk
 * action's LINE row does not -- results track the email (BA-13) -- but a
 * LINE push that finally failed clears the result's "line" flag; a row
 * of message.send settles its messages row (state sent / failed, error).
 *
 * Finding due rows costs a query, so it is not made every turn: only
 * when a slot is free and either the earliest known due time has come or
 * OUTBOX_RESCAN_MS have passed (rows queued by another transaction, whose
 * due time this file cannot know).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "hrx_shm.h"
#include "bulk_run.h"
#include "log.h"
#include "mail_transport.h"
#include "outbox.h"
#include "store_message.h"
#include "store_outbox.h"

#define OUTBOX_RESCAN_MS        250
#define OUTBOX_RETRY_CAP_MS     (3600 * 1000)
#define OUTBOX_BACKOFF_MIN_MS   100
#define OUTBOX_BACKOFF_MAX_MS   5000
#define OUTBOX_PASSWORD_MAX     1024
#define OUTBOX_NEVER            INT64_MAX

typedef enum {
    OUTBOX_SENT = 0,
    OUTBOX_FAILED,
    OUTBOX_RETRY
} outbox_final_e;

/*
 * One attempt handed to a sending thread.  FREE and DONE jobs belong to
 * the loop's thread, a RUNNING one to the thread that took it; the state
 * changes under ob.lock, which also orders what each side wrote before.
 */
typedef enum {
    JOB_FREE = 0,
    JOB_QUEUED,               /* waits for a thread */
    JOB_RUNNING,
    JOB_DONE                  /* result and detail are set */
} outbox_job_state_e;

typedef struct {
    outbox_job_state_e     state;
    store_outbox_row_t     row;
    int                    file;          /* file transport, else SMTP */
    int                    line;          /* a LINE push (row.line) */
    store_mail_settings_t  m;             /* SMTP */
    const char            *mail_from;     /* into row or m */
    char                   password[OUTBOX_PASSWORD_MAX + 1];
                                          /* or the LINE access token */
    mail_result_e          result;
    int64_t                retry_after;   /* LINE's Retry-After, ms; 0 */
    int                    aborted;       /* given up at a stop: unknown */
    char                   detail[MAIL_DETAIL_SIZE];
} outbox_job_t;

/* an outcome waiting for its commit */
typedef struct {
    int64_t          id;
    int64_t          tenant_id;
    int64_t          bulk_action_id;   /* 0: none */
    int64_t          candidate_id;
    int              line;             /* a LINE row */
    int64_t          attempts;         /* counting the one that ended */
    int64_t          at;               /* when it ended (sent_at) */
    int64_t          next_at;          /* OUTBOX_RETRY */
    outbox_final_e   final;
    int              changed;          /* the commit changed the row */
    const char      *reason;           /* OUTBOX_FAILED */
    char             detail[MAIL_DETAIL_SIZE];
} outbox_done_t;

typedef struct {
    store_t          *st;
    outbox_conf_t     conf;
    int               curl_ready;      /* curl_global_init succeeded */

    pthread_mutex_t   lock;
    pthread_cond_t    work;            /* a job is queued, or stop */
    pthread_cond_t    finished;        /* a job is done */
    int               sync_ready;
    _Atomic int       stop;
    pthread_t        *threads;
    uint32_t          nthreads;        /* started */

    outbox_job_t     *jobs;            /* conf.concurrency */
    uint32_t          nflight;         /* jobs not FREE */
    uint32_t          njobs_done;      /* jobs DONE (under lock) */
    outbox_done_t    *done;            /* conf.concurrency entries:
                                          nflight + ndone <= concurrency */
    uint32_t          ndone;
    int64_t          *ids;             /* scratch: due ids, held ids */
    int64_t          *held;

    int64_t           next_due;        /* earliest known due time */
    int64_t           last_scan;
    int64_t           commit_at;       /* not before: after a failure */
    uint32_t          backoff;         /* 0: commits work */
} outbox_t;

static outbox_t  ob;

/* -------------------------------------------------------------------- */
/* outcomes */

/* retry_base_ms * 2^(attempts-1), capped at an hour */
static int64_t
outbox_retry_delay(int64_t attempts)
{
    int64_t  d = ob.conf.retry_base_ms;
    int64_t  i;

    for (i = 1; i < attempts && d < OUTBOX_RETRY_CAP_MS; i++) {
        d *= 2;
    }
    return d < OUTBOX_RETRY_CAP_MS ? d : OUTBOX_RETRY_CAP_MS;
}

/*
 * The attempt of row ended with result: an outcome for the next commit.
 * retry_after: the wait the provider asked for (LINE's Retry-After, ms),
 * 0 for the backoff.
 */
static void
outbox_record(const store_outbox_row_t *row, mail_result_e result,
    const char *detail, int64_t retry_after, int64_t now)
{
    outbox_done_t  *d;

    /* the start never takes more than concurrency - nflight - ndone */
    d = &ob.done[ob.ndone++];
    memset(d, 0, sizeof(*d));
    d->id = row->id;
    d->tenant_id = row->tenant_id;
    d->bulk_action_id = row->bulk_action_id;
    d->candidate_id = row->candidate_id;
    d->line = row->line;
    d->attempts = row->attempts + 1;
    d->at = now;
    snprintf(d->detail, sizeof(d->detail), "%s", detail);

    switch (result) {

    case MAIL_SENT:
        d->final = OUTBOX_SENT;
        break;

    case MAIL_REJECTED:
        d->final = OUTBOX_FAILED;
        d->reason = row->line ? "line_rejected" : "smtp_rejected";
        break;

    default: /* MAIL_RETRY */
        if (d->attempts >= (int64_t) ob.conf.max_attempts) {
            d->final = OUTBOX_FAILED;
            d->reason = "delivery_failed";
        } else {
            d->final = OUTBOX_RETRY;
            d->next_at = now + (retry_after > 0
                                ? (retry_after < OUTBOX_RETRY_CAP_MS
                                   ? retry_after : OUTBOX_RETRY_CAP_MS)
                                : outbox_retry_delay(d->attempts));
        }
        break;
    }
}

/* the row's bulk action learns the final outcome; STORE_OK, or STORE_ERROR
 * when the database failed (the transaction must go) */
static int
outbox_tell_bulk(const outbox_done_t *d)
{
    store_t  *st = ob.st;
    int       delivered = d->final == OUTBOX_SENT;

    /*
     * A savepoint of its own: an error of bulk_run's statements that is
     * not the database's (a bug, a row in an unforeseen state) must not
     * hold back the outbox rows, or their mail would go out again.
     */
    if (store_savepoint(st) != STORE_OK) {
        return STORE_ERROR;
    }
    if (bulk_run_delivered(st, d->bulk_action_id, d->candidate_id,
                           delivered, delivered ? NULL : d->reason,
                           delivered ? NULL : d->detail, d->at)
        != STORE_OK)
    {
        if (store_db_failed(st)) {
            return STORE_ERROR;
        }
        log_error("outbox %" PRId64 ": bulk action %" PRId64 " candidate %"
                  PRId64 " not settled: %s", d->id, d->bulk_action_id,
                  d->candidate_id, store_errmsg(st));
        if (store_savepoint_rollback(st) != STORE_OK) {
            return STORE_ERROR;
        }
    }
    return store_savepoint_release(st);
}

/*
 * Who else learns a final outcome: a message.send row's messages row, and
 * for a bulk action's LINE row its result's "line" flag when the push
 * failed.  Like outbox_tell_bulk, in a savepoint of its own: only a
 * failure of the database holds back the outbox rows.
 */
static int
outbox_tell_message(const outbox_done_t *d)
{
    store_t  *st = ob.st;
    int       rc;

    if (d->bulk_action_id != 0 && (!d->line || d->final == OUTBOX_SENT)) {
        return STORE_OK;
    }
    if (store_savepoint(st) != STORE_OK) {
        return STORE_ERROR;
    }
    if (d->bulk_action_id != 0) {
        rc = store_message_bulk_line_failed(st, d->bulk_action_id,
                                            d->candidate_id);
    } else {
        rc = store_message_settle(st, d->id,
                                  d->final == OUTBOX_SENT ? "sent"
                                                          : "failed",
                                  d->final == OUTBOX_SENT ? NULL
                                                          : d->detail);
    }
    if (rc != STORE_OK) {
        if (store_db_failed(st)) {
            return STORE_ERROR;
        }
        log_error("outbox %" PRId64 ": its message was not settled: %s",
                  d->id, store_errmsg(st));
        if (store_savepoint_rollback(st) != STORE_OK) {
            return STORE_ERROR;
        }
    }
    return store_savepoint_release(st);
}

static void
outbox_log(const outbox_done_t *d)
{
    if (!d->changed) {
        log_info("outbox %" PRId64 " was settled meanwhile; this attempt's "
                 "outcome is dropped", d->id);
        return;
    }

    switch (d->final) {

    case OUTBOX_SENT:
        log_info("outbox %" PRId64 " sent%s (tenant %" PRId64 ", attempt %"
                 PRId64 ")%s%s", d->id, d->line ? " to LINE" : "",
                 d->tenant_id, d->attempts,
                 d->detail[0] ? ": " : "", d->detail);
        break;

    case OUTBOX_FAILED:
        log_warn("outbox %" PRId64 " failed (tenant %" PRId64 ", %s after %"
                 PRId64 " attempts): %s", d->id, d->tenant_id, d->reason,
                 d->attempts, d->detail);
        break;

    default:
        log_warn("outbox %" PRId64 " attempt %" PRId64 " of %u did not go "
                 "through, next in %" PRId64 " ms: %s", d->id, d->attempts,
                 ob.conf.max_attempts, d->next_at - d->at, d->detail);
        break;
    }
}

/*
 * Every outcome in the list, in one transaction.  Only the loop's thread
 * uses the database, and it calls the pump between batches: no other
 * transaction is open here.
 */
static void
outbox_commit(int64_t now)
{
    store_t        *st = ob.st;
    outbox_done_t  *d;
    uint32_t        i;
    int             rc;

    if (store_begin(st) != STORE_OK) {
        goto failed;
    }

    for (i = 0; i < ob.ndone; i++) {
        d = &ob.done[i];
        d->changed = 0;

        switch (d->final) {
        case OUTBOX_SENT:
            rc = store_outbox_sent(st, d->id, d->attempts, d->at,
                                   &d->changed);
            break;
        case OUTBOX_FAILED:
            rc = store_outbox_failed(st, d->id, d->attempts, d->detail,
                                     &d->changed);
            break;
        default:
            rc = store_outbox_retry(st, d->id, d->attempts, d->next_at,
                                    d->detail, &d->changed);
            break;
        }
        if (rc != STORE_OK) {
            goto failed;
        }

        /* a retry is no news for the action: its row stays pending;
         * its results track the mail, not the LINE push */
        if (d->changed && d->bulk_action_id != 0 && !d->line
            && d->final != OUTBOX_RETRY && outbox_tell_bulk(d) != STORE_OK)
        {
            goto failed;
        }
        if (d->changed && d->final != OUTBOX_RETRY
            && outbox_tell_message(d) != STORE_OK)
        {
            goto failed;
        }
    }

    if (store_commit(st) != STORE_OK) {
        goto failed;
    }

    if (ob.backoff) {
        log_info("outbox outcomes commit again");
    }
    ob.backoff = 0;
    ob.commit_at = 0;

    for (i = 0; i < ob.ndone; i++) {
        d = &ob.done[i];
        outbox_log(d);
        if (d->changed && d->final == OUTBOX_RETRY && d->next_at < ob.next_due)
        {
            ob.next_due = d->next_at;
        }
    }
    ob.ndone = 0;

    bulk_run_publish();
    return;

failed:
    log_error("cannot commit %u outbox outcomes: %s; kept, trying again",
              ob.ndone, store_errmsg(st));
    store_rollback(st);
    ob.backoff = ob.backoff ? ob.backoff * 2 : OUTBOX_BACKOFF_MIN_MS;
    if (ob.backoff > OUTBOX_BACKOFF_MAX_MS) {
        ob.backoff = OUTBOX_BACKOFF_MAX_MS;
    }
    ob.commit_at = now + ob.backoff;
}

/* -------------------------------------------------------------------- */
/* the sending threads */

/* one attempt, on a sending thread; no database, no log here */
static void
outbox_send(outbox_job_t *job, CURL *easy)
{
    mail_smtp_params_t  p;
    mail_line_params_t  lp;
    char                err[MAIL_DETAIL_SIZE];

    if (job->file && !job->line) {
        if (mail_file_write(ob.conf.data_dir, job->row.tenant_id, job->row.id,
                            job->row.payload, job->row.len, err, sizeof(err))
            == 0)
        {
            job->result = MAIL_SENT;
            snprintf(job->detail, sizeof(job->detail), "written to outbox/%"
                     PRId64 "/%" PRId64 ".eml", job->row.tenant_id,
                     job->row.id);
        } else {
            job->result = MAIL_RETRY;
            snprintf(job->detail, sizeof(job->detail), "%s", err);
        }
        return;
    }

    if (easy == NULL) {
        job->result = MAIL_RETRY;
        snprintf(job->detail, sizeof(job->detail),
                 "no libcurl handle (out of memory)");
        return;
    }

    if (job->line) {
        memset(&lp, 0, sizeof(lp));
        lp.api_url = ob.conf.line_api_url;
        lp.token = job->password;
        lp.retry_key = job->row.message_id;
        lp.timeout_ms = ob.conf.timeout_ms;
        lp.payload = job->row.payload;
        lp.len = job->row.len;
        lp.abort = &ob.stop;
        job->result = mail_line_push(easy, &lp, job->detail,
                                     sizeof(job->detail), &job->retry_after,
                                     &job->aborted);
        explicit_bzero(job->password, sizeof(job->password));
        return;
    }

    memset(&p, 0, sizeof(p));
    p.host = job->m.smtp_host;
    p.port = job->m.smtp_port;
    p.security = job->m.smtp_security[0] ? job->m.smtp_security : NULL;
    p.username = job->m.smtp_username;
    p.password = job->password;
    p.ca_file = ob.conf.ca_file;
    p.timeout_ms = ob.conf.timeout_ms;
    p.mail_from = job->mail_from;
    p.rcpt_to = job->row.recipient;
    p.payload = job->row.payload;
    p.len = job->row.len;
    p.abort = &ob.stop;

    job->result = mail_smtp_send(easy, &p, job->detail, sizeof(job->detail),
                                 &job->aborted);
    explicit_bzero(job->password, sizeof(job->password));
}

static void *
outbox_thread(void *arg)
{
    outbox_job_t  *job;
    CURL          *easy;
    uint32_t       i;

    (void) arg;

    /* NULL is reported per job: no thread may die silently */
    easy = curl_easy_init();

    pthread_mutex_lock(&ob.lock);
    for ( ;; ) {
        job = NULL;
        while (!atomic_load(&ob.stop)) {
            for (i = 0; i < ob.conf.concurrency; i++) {
                if (ob.jobs[i].state == JOB_QUEUED) {
                    job = &ob.jobs[i];
                    break;
                }
            }
            if (job != NULL) {
                break;
            }
            pthread_cond_wait(&ob.work, &ob.lock);
        }
        if (job == NULL) {
            break;                     /* stop; queued jobs stay queued */
        }

        job->state = JOB_RUNNING;
        pthread_mutex_unlock(&ob.lock);

        outbox_send(job, easy);

        pthread_mutex_lock(&ob.lock);
        job->state = JOB_DONE;
        ob.njobs_done++;
        pthread_cond_signal(&ob.finished);
    }
    pthread_mutex_unlock(&ob.lock);

    mail_smtp_handle_close(easy);
    return NULL;
}

static void
outbox_job_free(outbox_job_t *job)
{
    store_outbox_row_free(&job->row);
    explicit_bzero(job->password, sizeof(job->password));
    job->state = JOB_FREE;
    job->aborted = 0;
    job->line = 0;
    ob.nflight--;
}

/*
 * Judge the attempts the threads finished.  at_stop: the threads are
 * gone; an attempt given up, or never begun, has no outcome and its row
 * stays queued.  Returns how many were dropped that way.
 */
static uint32_t
outbox_collect(int64_t now, int at_stop)
{
    outbox_job_t  *job;
    uint32_t       i, dropped = 0;

    pthread_mutex_lock(&ob.lock);
    if (ob.njobs_done > 0 || at_stop) {
        for (i = 0; i < ob.conf.concurrency; i++) {
            job = &ob.jobs[i];
            if (job->state == JOB_DONE && !job->aborted) {
                outbox_record(&job->row, job->result, job->detail,
                              job->retry_after, now);
                outbox_job_free(job);
            } else if (at_stop && job->state != JOB_FREE) {
                dropped++;
                outbox_job_free(job);
            }
        }
        ob.njobs_done = 0;
    }
    pthread_mutex_unlock(&ob.lock);
    return dropped;
}

/* -------------------------------------------------------------------- */
/* starting attempts */

/* a free job, or NULL (a bug: the caller starts no more than the free
 * slots; the lock: threads write the states of the other jobs) */
static outbox_job_t *
outbox_free_job(void)
{
    outbox_job_t  *job = NULL;
    uint32_t       i;

    pthread_mutex_lock(&ob.lock);
    for (i = 0; i < ob.conf.concurrency; i++) {
        if (ob.jobs[i].state == JOB_FREE) {
            job = &ob.jobs[i];
            break;
        }
    }
    pthread_mutex_unlock(&ob.lock);
    return job;
}

/* hand job (row set) to a thread */
static void
outbox_queue_job(outbox_job_t *job)
{
    job->result = MAIL_RETRY;
    job->aborted = 0;
    job->retry_after = 0;
    job->detail[0] = '\0';

    pthread_mutex_lock(&ob.lock);
    job->state = JOB_QUEUED;
    pthread_cond_signal(&ob.work);
    pthread_mutex_unlock(&ob.lock);
    ob.nflight++;
}

/*
 * Start a LINE row (row is taken): the tenant's settings and opened
 * access token.  0, or -1 when the database failed.
 */
static int
outbox_start_line(store_outbox_row_t *row, int64_t now)
{
    outbox_job_t  *job;
    uint8_t        sealed[OUTBOX_PASSWORD_MAX + HRX_SEAL_OVERHEAD];
    size_t         slen = 0;
    char           err[MAIL_DETAIL_SIZE];
    int            rc, connected = 0;

    rc = store_outbox_line_settings(ob.st, row->tenant_id, &connected,
                                    sealed, sizeof(sealed), &slen);
    if (rc == STORE_ERROR) {
        if (store_db_failed(ob.st)) {
            log_error("cannot read the LINE settings of tenant %" PRId64
                      ": %s", row->tenant_id, store_errmsg(ob.st));
            store_outbox_row_free(row);
            return -1;
        }
        snprintf(err, sizeof(err), "LINE settings: %s", store_errmsg(ob.st));
        outbox_record(row, MAIL_RETRY, err, 0, now);
        store_outbox_row_free(row);
        return 0;
    }
    if (rc == STORE_NOTFOUND || !connected) {
        outbox_record(row, MAIL_REJECTED, "LINE is not connected for this "
                      "tenant", 0, now);
        store_outbox_row_free(row);
        explicit_bzero(sealed, sizeof(sealed));
        return 0;
    }

    job = outbox_free_job();
    if (job == NULL) {
        log_error("outbox: no free job for %" PRId64 " (a bug)", row->id);
        store_outbox_row_free(row);
        explicit_bzero(sealed, sizeof(sealed));
        return -1;
    }

    if (mail_line_token(ob.conf.seal_key, row->tenant_id, sealed, slen,
                        job->password, sizeof(job->password), err,
                        sizeof(err)) != 0)
    {
        outbox_record(row, MAIL_RETRY, err, 0, now);
        store_outbox_row_free(row);
        explicit_bzero(sealed, sizeof(sealed));
        return 0;
    }
    explicit_bzero(sealed, sizeof(sealed));

    job->row = *row;
    job->line = 1;
    job->file = 0;
    job->mail_from = NULL;
    outbox_queue_job(job);
    return 0;
}

/*
 * Start one row: load it, choose its transport, open its password, and
 * queue it for a thread.  0, or -1 when the database failed (stop
 * starting for now).  Every start ends in flight or in the outcome list,
 * never neither, so a row is not picked again before its attempt is
 * recorded.
 */
static int
outbox_start_one(int64_t id, int64_t now)
{
    store_mail_settings_t  m;
    store_outbox_row_t     row;
    outbox_job_t          *job = NULL;
    uint8_t                sealed[OUTBOX_PASSWORD_MAX + HRX_SEAL_OVERHEAD];
    size_t                 slen = 0;
    char                   err[MAIL_DETAIL_SIZE];
    int                    rc;

    rc = store_outbox_get(ob.st, id, &row);
    if (rc == STORE_NOTFOUND) {
        return 0;                      /* settled since the query */
    }
    if (rc != STORE_OK) {
        log_error("cannot load outbox %" PRId64 ": %s", id,
                  store_errmsg(ob.st));
        return -1;
    }
    if (row.line) {
        return outbox_start_line(&row, now);
    }

    rc = store_outbox_mail_settings(ob.st, row.tenant_id, &m, sealed,
                                    sizeof(sealed), &slen);
    if (rc == STORE_ERROR) {
        if (store_db_failed(ob.st)) {
            log_error("cannot read the mail settings of tenant %" PRId64
                      ": %s", row.tenant_id, store_errmsg(ob.st));
            store_outbox_row_free(&row);
            return -1;
        }
        snprintf(err, sizeof(err), "mail settings: %s", store_errmsg(ob.st));
        outbox_record(&row, MAIL_RETRY, err, 0, now);
        store_outbox_row_free(&row);
        return 0;
    }

    job = outbox_free_job();
    if (job == NULL) {
        log_error("outbox: no free job for %" PRId64 " (a bug)", id);
        store_outbox_row_free(&row);
        return -1;
    }

    job->file = rc == STORE_NOTFOUND || strcmp(m.transport, "smtp") != 0;
    if (!job->file) {
        job->password[0] = '\0';
        if (m.smtp_username[0] != '\0' && slen > 0
            && mail_smtp_password(ob.conf.seal_key, row.tenant_id, sealed,
                                  slen, job->password, sizeof(job->password),
                                  err, sizeof(err)) != 0)
        {
            outbox_record(&row, MAIL_RETRY, err, 0, now);
            store_outbox_row_free(&row);
            explicit_bzero(sealed, sizeof(sealed));
            return 0;
        }
        job->m = m;
    }
    explicit_bzero(sealed, sizeof(sealed));

    job->row = row;
    job->line = 0;
    /* the row's envelope sender; the tenant's From as a fallback */
    job->mail_from = job->row.sender != NULL && job->row.sender[0] != '\0'
                     ? job->row.sender : job->m.from_email;
    outbox_queue_job(job);
    return 0;
}

/* due rows into the free slots */
static void
outbox_start_due(int64_t now)
{
    uint32_t  free_slots, nheld = 0, i;
    size_t    n = 0;
    int64_t   at;
    int       rc;

    free_slots = ob.conf.concurrency - ob.nflight - ob.ndone;
    if (free_slots == 0 || ob.backoff != 0) {
        return;                        /* full, or outcomes wait to commit */
    }
    if (now < ob.next_due && now - ob.last_scan < OUTBOX_RESCAN_MS) {
        return;
    }
    ob.last_scan = now;

    pthread_mutex_lock(&ob.lock);
    for (i = 0; i < ob.conf.concurrency; i++) {
        if (ob.jobs[i].state != JOB_FREE) {
            ob.held[nheld++] = ob.jobs[i].row.id;
        }
    }
    pthread_mutex_unlock(&ob.lock);
    for (i = 0; i < ob.ndone; i++) {
        ob.held[nheld++] = ob.done[i].id;
    }

    if (store_outbox_due(ob.st, now, ob.held, nheld, ob.ids, free_slots, &n)
        != STORE_OK)
    {
        log_error("cannot look for due outbox rows: %s", store_errmsg(ob.st));
        ob.next_due = now + OUTBOX_IDLE_MS;
        return;
    }

    for (i = 0; i < n; i++) {
        if (outbox_start_one(ob.ids[i], now) != 0) {
            ob.next_due = now + OUTBOX_IDLE_MS;
            return;
        }
    }

    if (n == free_slots) {
        ob.next_due = now;             /* there may be more */
        return;
    }

    rc = store_outbox_next_due(ob.st, now, &at);
    if (rc == STORE_OK) {
        ob.next_due = at;
    } else if (rc == STORE_NOTFOUND) {
        ob.next_due = OUTBOX_NEVER;
    } else {
        log_error("cannot look for due outbox rows: %s", store_errmsg(ob.st));
        ob.next_due = now + OUTBOX_IDLE_MS;
    }
}

/* -------------------------------------------------------------------- */
/* the interface */

/* wait up to ms for a thread to finish an attempt */
static void
outbox_wait(uint32_t ms)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long) (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock(&ob.lock);
    while (ob.njobs_done == 0) {
        if (pthread_cond_timedwait(&ob.finished, &ob.lock, &ts) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&ob.lock);
}

uint32_t
outbox_pump(uint64_t now_ms, uint32_t max_wait_ms)
{
    int64_t  now = (int64_t) now_ms, wait;

    if (ob.jobs == NULL) {
        return OUTBOX_IDLE_MS;
    }

    if (ob.nflight > 0) {
        (void) outbox_collect(now, 0);
    }

    outbox_start_due(now);

    if (ob.ndone > 0 && now >= ob.commit_at) {
        outbox_commit(now);
    }

    if (ob.nflight > 0) {
        if (max_wait_ms > 0) {
            outbox_wait(max_wait_ms);
        }
        return 0;
    }

    if (ob.ndone > 0) {
        wait = ob.commit_at - now;     /* a failed commit's pause */
    } else {
        wait = ob.next_due - now;
        if (wait > ob.last_scan + OUTBOX_RESCAN_MS - now) {
            wait = ob.last_scan + OUTBOX_RESCAN_MS - now;
        }
    }
    if (wait < 1) {
        wait = 1;
    }
    return wait < OUTBOX_IDLE_MS ? (uint32_t) wait : OUTBOX_IDLE_MS;
}

uint32_t
outbox_in_flight(void)
{
    return ob.nflight;
}

int
outbox_start(store_t *st, const outbox_conf_t *conf)
{
    pthread_condattr_t  ca;
    sigset_t            all, old;
    CURLcode            rc;
    uint32_t            i;
    int                 err = 0;

    memset(&ob, 0, sizeof(ob));
    ob.st = st;
    ob.conf = *conf;
    if (ob.conf.concurrency == 0) {
        ob.conf.concurrency = 1;
    }
    if (ob.conf.max_attempts == 0) {
        ob.conf.max_attempts = 1;
    }

    /* before any thread: curl_global_init is not thread-safe */
    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        log_tell("cannot start libcurl: %s", curl_easy_strerror(rc));
        goto failed;
    }
    ob.curl_ready = 1;

    ob.jobs = calloc(ob.conf.concurrency, sizeof(outbox_job_t));
    ob.done = calloc(ob.conf.concurrency, sizeof(outbox_done_t));
    ob.ids = calloc(ob.conf.concurrency, sizeof(int64_t));
    ob.held = calloc(ob.conf.concurrency, sizeof(int64_t));
    ob.threads = calloc(ob.conf.concurrency, sizeof(pthread_t));
    if (ob.jobs == NULL || ob.done == NULL || ob.ids == NULL
        || ob.held == NULL || ob.threads == NULL)
    {
        log_tell("cannot start the outbox: out of memory");
        goto failed;
    }

    /* the pump's wait is measured on the monotonic clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&ob.lock, NULL);
    pthread_cond_init(&ob.work, NULL);
    pthread_cond_init(&ob.finished, &ca);
    pthread_condattr_destroy(&ca);
    ob.sync_ready = 1;

    /*
     * Signals go to the loop's thread only: SIGTERM must interrupt its
     * futex wait (main.c), which a handler run on a sending thread would
     * not.  The threads inherit the mask they are created with.
     */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (i = 0; i < ob.conf.concurrency; i++) {
        err = pthread_create(&ob.threads[i], NULL, outbox_thread, NULL);
        if (err != 0) {
            break;
        }
        ob.nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        log_tell("cannot start a mail thread: %s", strerror(err));
        goto failed;
    }

    ob.next_due = 0;                   /* look at once */
    if (ob.conf.line_api_url == NULL) {
        ob.conf.line_api_url = "https://api.line.me";
    }
    log_info("outbox: %u at once, retries from %u ms, %u attempts, "
             "%u ms per SMTP transfer or LINE push (%s)%s%s",
             ob.conf.concurrency, ob.conf.retry_base_ms, ob.conf.max_attempts,
             ob.conf.timeout_ms, ob.conf.line_api_url,
             ob.conf.ca_file ? ", CA file " : "",
             ob.conf.ca_file ? ob.conf.ca_file : "");
    return 0;

failed:
    outbox_finish();
    return -1;
}

void
outbox_finish(void)
{
    uint32_t  i, dropped = 0;

    if (ob.nthreads > 0) {
        /* transfers give up within a second (mail_smtp_send's abort) */
        pthread_mutex_lock(&ob.lock);
        atomic_store(&ob.stop, 1);
        pthread_cond_broadcast(&ob.work);
        pthread_mutex_unlock(&ob.lock);
        for (i = 0; i < ob.nthreads; i++) {
            pthread_join(ob.threads[i], NULL);
        }
        ob.nthreads = 0;
    }

    /* a clean stop keeps what it knows: no resend of what went out */
    if (ob.sync_ready) {
        dropped = outbox_collect((int64_t) hrx_wall_ms(), 1);
        if (ob.ndone > 0) {
            ob.commit_at = 0;
            outbox_commit((int64_t) hrx_wall_ms());
            if (ob.ndone > 0) {
                log_warn("outbox: %u outcomes could not be committed; those "
                         "rows will be sent again", ob.ndone);
            }
        }
    }
    if (dropped > 0) {
        log_info("outbox: %u attempts abandoned; their rows stay queued",
                 dropped);
    }

    if (ob.sync_ready) {
        pthread_cond_destroy(&ob.finished);
        pthread_cond_destroy(&ob.work);
        pthread_mutex_destroy(&ob.lock);
    }
    if (ob.curl_ready) {
        curl_global_cleanup();
    }
    free(ob.jobs);
    free(ob.done);
    free(ob.ids);
    free(ob.held);
    free(ob.threads);
    explicit_bzero(&ob, sizeof(ob));
}
