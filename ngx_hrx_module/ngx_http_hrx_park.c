/*
 * Parking.
 *
 * A request whose command is in the ring waits for its reply slot.  All
 * the parked requests of a worker are in one queue.  The scheduler rings
 * the worker's bell (hrx_bell.h) after it published replies: the FIFO's
 * read handler gets the index of each slot answered and takes exactly
 * those requests out -- microseconds after the publish, and a cost of
 * what is ready, not of what waits.  A timer still ticks while requests
 * are parked, every NGX_HTTP_HRX_TICK_BELL ms, for deadlines and for a
 * bell that said "look at them all" (a full FIFO); a worker without a
 * bell (none free, its FIFO could not be made, or the scheduler cannot
 * open it) ticks every millisecond and looks at every parked request, as
 * before the bells.
 *
 * Taking a request out: READY (the body is copied out and the slot freed
 * at once) or its deadline (hrx_reply_timeout) passed (the slot is
 * abandoned: the scheduler frees it when it publishes).  All those of one
 * event are moved to a done queue first, then finished one by one:
 * finishing a request can run arbitrary nginx code (filters, logging,
 * posted requests), and the queue is never walked while that happens.
 *
 * A parked request that the scheduler stops answering is NOT given up
 * early when the scheduler dies: its command is in the ring, and a
 * restarted scheduler applies it and publishes the reply into the same
 * slot (it keeps the replies of what it committed just before dying), so
 * the client still gets the true outcome if it comes within the timeout.
 * Answering 503 at that point could tell a client "not done" about a
 * command that is then applied.  Only the deadline ends the wait, with a
 * 504 that says the command may still be applied.
 *
 * While parked, the request's read handler is ngx_http_test_reading, so a
 * client that closes the connection is noticed; nginx then frees the
 * request, and the cleanup below takes it out of the queue and abandons
 * its slot.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_park.h"
#include "ngx_http_hrx_reply.h"


#define NGX_HTTP_HRX_TICK       1      /* ms, without a bell */
#define NGX_HTTP_HRX_TICK_BELL  50     /* ms, deadlines and rescans */


static void ngx_http_hrx_park_tick(ngx_event_t *ev);
static void ngx_http_hrx_park_bell_read(ngx_event_t *ev);
static ngx_int_t ngx_http_hrx_park_take(ngx_http_hrx_worker_t *w,
    ngx_http_hrx_ctx_t *ctx, ngx_queue_t *done, hrx_counter_e ready);
static void ngx_http_hrx_park_finish_done(ngx_http_hrx_worker_t *w,
    ngx_queue_t *done);
static ngx_msec_t ngx_http_hrx_park_interval(ngx_http_hrx_worker_t *w);
static void ngx_http_hrx_park_cleanup(void *data);
static void ngx_http_hrx_park_finish(ngx_http_hrx_ctx_t *ctx);


void
ngx_http_hrx_park_init(ngx_cycle_t *cycle)
{
    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    ngx_queue_init(&w->parked);
    w->nparked = 0;
    w->bell = -1;

    w->timer.handler = ngx_http_hrx_park_tick;
    w->timer.data = w;
    w->timer.log = cycle->log;

    /*
     * Not cancelable: a worker that stops gracefully (nginx -s quit)
     * answers its parked requests first -- the timer is armed only while
     * some wait, each for at most its reply timeout.  Cancelable, the
     * worker would exit under them and leave their sockets open.
     */
    w->timer.cancelable = 0;
}


/* the worker exits: give the slots of requests still parked back */
void
ngx_http_hrx_park_exit(ngx_cycle_t *cycle)
{
    ngx_queue_t            *q;
    ngx_http_hrx_ctx_t     *ctx;
    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    if (w->parked.next == NULL) {
        return;
    }

    while (!ngx_queue_empty(&w->parked)) {
        q = ngx_queue_head(&w->parked);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_hrx_ctx_t, queue);
        ctx->parked = 0;
        w->nparked--;

        if (ctx->slot_held) {
            hrx_slots_abandon(&ctx->shm->slots, ctx->slot, ctx->gen);
            ctx->slot_held = 0;
        }
    }

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    ngx_http_hrx_park_bell_close();
}


ngx_int_t
ngx_http_hrx_park(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_http_cleanup_t       *cln;
    ngx_http_hrx_worker_t    *w;
    ngx_http_hrx_loc_conf_t  *hlcf;

    w = &ngx_http_hrx_worker;
    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    if (!ctx->cleanup_set) {
        cln = ngx_http_cleanup_add(r, 0);
        if (cln == NULL) {
            hrx_slots_abandon(&ctx->shm->slots, ctx->slot, ctx->gen);
            ctx->slot_held = 0;
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cln->handler = ngx_http_hrx_park_cleanup;
        cln->data = ctx;
        ctx->cleanup_set = 1;
    }

    ctx->deadline = ngx_current_msec + (ctx->reply_timeout
                                        ? ctx->reply_timeout
                                        : hlcf->reply_timeout);
    ctx->timed_out = 0;

    ngx_queue_insert_tail(&w->parked, &ctx->queue);
    ctx->parked = 1;
    w->nparked++;
    if (w->by_slot != NULL && ctx->slot < w->nslots) {
        w->by_slot[ctx->slot] = ctx;
    }

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    if (!w->timer.timer_set) {
        ngx_add_timer(&w->timer, ngx_http_hrx_park_interval(w));
    }

    return NGX_DONE;
}


static ngx_msec_t
ngx_http_hrx_park_interval(ngx_http_hrx_worker_t *w)
{
    return w->bell >= 0 ? NGX_HTTP_HRX_TICK_BELL : NGX_HTTP_HRX_TICK;
}


/* ready (counted as ready says) or past its deadline: into done (1);
 * still waiting (0) */
static ngx_int_t
ngx_http_hrx_park_take(ngx_http_hrx_worker_t *w, ngx_http_hrx_ctx_t *ctx,
    ngx_queue_t *done, hrx_counter_e ready)
{
    u_char          *p;
    uint32_t         status, len;
    const uint8_t   *body;

    if (hrx_slots_poll(&ctx->shm->slots, ctx->slot, ctx->gen, &status,
                       &body, &len))
    {
        /* READY: take the reply out and free the slot now */

        p = ngx_pnalloc(ctx->request->pool, len ? len : 1);

        if (p == NULL) {
            ctx->reply_status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            ctx->reply_len = 0;

        } else {
            ngx_memcpy(p, body, len);
            ctx->reply_status = status;
            ctx->reply_body = p;
            ctx->reply_len = len;
        }

        hrx_slots_free(&ctx->shm->slots, ctx->slot, ctx->gen);
        ctx->slot_held = 0;

        hrx_counter_add(ctx->shm, ready, 1);

    } else if ((ngx_msec_int_t) (ngx_current_msec - ctx->deadline) >= 0) {

        hrx_slots_abandon(&ctx->shm->slots, ctx->slot, ctx->gen);
        ctx->slot_held = 0;
        ctx->timed_out = 1;

        hrx_counter_add(ctx->shm, HRX_CTR_REPLY_TIMEOUTS, 1);

    } else {
        return 0;
    }

    if (w->by_slot != NULL && ctx->slot < w->nslots
        && w->by_slot[ctx->slot] == ctx)
    {
        w->by_slot[ctx->slot] = NULL;
    }
    ngx_queue_remove(&ctx->queue);
    ngx_queue_insert_tail(done, &ctx->queue);
    return 1;
}


static void
ngx_http_hrx_park_take_all(ngx_http_hrx_worker_t *w, ngx_queue_t *done)
{
    ngx_queue_t         *q, *next;
    ngx_http_hrx_ctx_t  *ctx;

    for (q = ngx_queue_head(&w->parked);
         q != ngx_queue_sentinel(&w->parked);
         q = next)
    {
        next = ngx_queue_next(q);
        ctx = ngx_queue_data(q, ngx_http_hrx_ctx_t, queue);
        (void) ngx_http_hrx_park_take(w, ctx, done, HRX_CTR_REPLIES_BY_TICK);
    }
}


static void
ngx_http_hrx_park_tick(ngx_event_t *ev)
{
    ngx_queue_t             done;
    ngx_http_hrx_worker_t  *w;

    w = ev->data;

    /* the scheduler could not open our FIFO: poll from now on */
    if (w->bell >= 0 && w->shm_mapped
        && hrx_load_acquire(&w->shm.hdr->bells[w->bell].broken))
    {
        ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                      "hrx: the scheduler cannot ring this worker's bell; "
                      "polling every %d ms", NGX_HTTP_HRX_TICK);
        ngx_http_hrx_park_bell_close();
    }

    if (w->bell >= 0) {
        (void) hrx_exchange(&w->shm.hdr->bells[w->bell].rescan, 0);
    }

    ngx_queue_init(&done);
    ngx_http_hrx_park_take_all(w, &done);
    ngx_http_hrx_park_finish_done(w, &done);
}


/* the FIFO is readable: the slots the scheduler answered for us */
static void
ngx_http_hrx_park_bell_read(ngx_event_t *ev)
{
    ssize_t                 n;
    uint32_t                idx[256], i, k;
    ngx_queue_t             done;
    ngx_connection_t       *c;
    ngx_http_hrx_ctx_t     *ctx;
    ngx_http_hrx_worker_t  *w;

    c = ev->data;
    w = &ngx_http_hrx_worker;

    ngx_queue_init(&done);

    for ( ;; ) {
        n = read(c->fd, idx, sizeof(idx));

        if (n <= 0) {
            /* EAGAIN: all read (edge-triggered, so read to the end) */
            break;
        }

        k = (uint32_t) n / sizeof(uint32_t);
        for (i = 0; i < k; i++) {
            if (idx[i] >= w->nslots) {
                continue;
            }
            ctx = w->by_slot[idx[i]];
            if (ctx != NULL && ctx->parked) {
                (void) ngx_http_hrx_park_take(w, ctx, &done,
                                              HRX_CTR_REPLIES_BY_BELL);
            }
        }
    }

    /* set before the scheduler wrote what it could: look at them all */
    if (w->bell >= 0 && w->shm_mapped
        && hrx_exchange(&w->shm.hdr->bells[w->bell].rescan, 0))
    {
        ngx_http_hrx_park_take_all(w, &done);
    }

    ngx_http_hrx_park_finish_done(w, &done);

    if (w->bell_conn != NULL
        && ngx_handle_read_event(w->bell_conn->read, 0) != NGX_OK)
    {
        ngx_http_hrx_park_bell_close();
    }
}


static void
ngx_http_hrx_park_finish_done(ngx_http_hrx_worker_t *w, ngx_queue_t *done)
{
    ngx_queue_t         *q;
    ngx_http_hrx_ctx_t  *ctx;

    /*
     * Each stays "parked" (counted, in the done queue) until it is taken:
     * if finishing one frees another, that one's cleanup takes it out of
     * the done queue.
     */

    while (!ngx_queue_empty(done)) {
        q = ngx_queue_head(done);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_hrx_ctx_t, queue);
        ctx->parked = 0;
        w->nparked--;

        ngx_http_hrx_park_finish(ctx);
    }

    if (!ngx_queue_empty(&w->parked) && !w->timer.timer_set) {
        ngx_add_timer(&w->timer, ngx_http_hrx_park_interval(w));
    }
}


/*
 * The bell of this worker in the shm just mapped: claim an entry, make
 * and open its FIFO, read it on the event loop.  On any failure the
 * worker simply polls every millisecond (logged once).
 */
void
ngx_http_hrx_park_bell_open(ngx_log_t *log, const char *data_dir)
{
    int                     fd;
    char                    path[NGX_MAX_PATH];
    ngx_connection_t       *c;
    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    if (w->bell >= 0 || !w->shm_mapped) {
        return;
    }

    w->nslots = w->shm.slots.count;
    w->by_slot = ngx_calloc(w->nslots * sizeof(ngx_http_hrx_ctx_t *), log);
    if (w->by_slot == NULL) {
        return;
    }

    w->bell = hrx_bell_claim(w->shm.hdr->bells, ngx_pid);
    if (w->bell < 0) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "hrx: all %d bells are taken; this worker polls its "
                      "replies every %d ms", HRX_BELLS, NGX_HTTP_HRX_TICK);
        goto failed;
    }

    if (hrx_bell_path(path, sizeof(path), data_dir, w->bell) != 0
        || (mkfifo(path, 0660) == -1 && ngx_errno != NGX_EEXIST))
    {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "hrx: cannot make the bell \"%s\"; polling replies "
                      "every %d ms", path, NGX_HTTP_HRX_TICK);
        goto failed;
    }

    /* read-write: never end-of-file when a writer closes */
    fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "hrx: cannot open the bell \"%s\"; polling replies "
                      "every %d ms", path, NGX_HTTP_HRX_TICK);
        goto failed;
    }

    c = ngx_get_connection(fd, log);
    if (c == NULL) {
        (void) close(fd);
        goto failed;
    }

    c->data = c;
    c->read->handler = ngx_http_hrx_park_bell_read;
    c->read->log = log;
    c->write->log = log;
    w->bell_conn = c;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        goto failed;
    }

    /* what a previous owner left unread belongs to nobody */
    ngx_http_hrx_park_bell_read(c->read);
    return;

failed:

    ngx_http_hrx_park_bell_close();
}


void
ngx_http_hrx_park_bell_close(void)
{
    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    if (w->bell_conn != NULL) {
        ngx_close_connection(w->bell_conn);
        w->bell_conn = NULL;
    }
    if (w->bell >= 0 && w->shm_mapped) {
        hrx_bell_release(w->shm.hdr->bells, w->bell, ngx_pid);
    }
    w->bell = -1;

    if (w->by_slot != NULL) {
        ngx_free(w->by_slot);
        w->by_slot = NULL;
        w->nslots = 0;
    }
}


static void
ngx_http_hrx_park_finish(ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    r->read_event_handler = ngx_http_block_reading;

    if (ctx->timed_out) {
        rc = ngx_http_hrx_send_error(r, NGX_HTTP_GATEWAY_TIME_OUT,
                                     "reply_timeout", NULL,
                                     "no reply from the scheduler in time; "
                                     "the command was queued and may still "
                                     "be applied");

    } else if (ctx->reply_status == NGX_HTTP_INTERNAL_SERVER_ERROR
               && ctx->reply_body == NULL)
    {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    } else {
        rc = ctx->done(r, ctx, ctx->reply_status, ctx->reply_body,
                       ctx->reply_len);
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/* the request is freed (client gone, worker shutting down) while parked */
static void
ngx_http_hrx_park_cleanup(void *data)
{
    ngx_http_hrx_ctx_t  *ctx = data;

    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    if (ctx->parked) {
        ngx_queue_remove(&ctx->queue);
        ctx->parked = 0;
        w->nparked--;
    }
    if (w->by_slot != NULL && ctx->slot < w->nslots
        && w->by_slot[ctx->slot] == ctx)
    {
        w->by_slot[ctx->slot] = NULL;
    }

    if (ctx->slot_held) {
        /* the scheduler still applies the command; nobody reads the reply */
        hrx_slots_abandon(&ctx->shm->slots, ctx->slot, ctx->gen);
        ctx->slot_held = 0;
    }
}
