/*
 * Parking.
 *
 * A request whose command is in the ring waits for its reply slot.  All
 * the parked requests of a worker are in one queue, checked together by
 * one timer that ticks every millisecond while the queue is not empty
 * (and is not armed at all otherwise): one cheap atomic load per parked
 * request per tick, no sleeping, no spinning, no event per request.
 *
 * A tick takes the requests whose reply is READY (the body is copied out
 * and the slot freed at once) or whose deadline (hrx_reply_timeout)
 * passed (the slot is abandoned: the scheduler frees it when it
 * publishes) out of the queue first, then finishes them one by one.
 * Finishing a request can run arbitrary nginx code (filters, logging,
 * posted requests); the queue is never walked while that happens.
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


#define NGX_HTTP_HRX_TICK  1


static void ngx_http_hrx_park_tick(ngx_event_t *ev);
static void ngx_http_hrx_park_cleanup(void *data);
static void ngx_http_hrx_park_finish(ngx_http_hrx_ctx_t *ctx);


void
ngx_http_hrx_park_init(ngx_cycle_t *cycle)
{
    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    ngx_queue_init(&w->parked);
    w->nparked = 0;

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

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    if (!w->timer.timer_set) {
        ngx_add_timer(&w->timer, NGX_HTTP_HRX_TICK);
    }

    return NGX_DONE;
}


static void
ngx_http_hrx_park_tick(ngx_event_t *ev)
{
    u_char                 *p;
    uint32_t                status, len;
    ngx_queue_t             done, *q, *next;
    const uint8_t          *body;
    ngx_http_hrx_ctx_t     *ctx;
    ngx_http_hrx_worker_t  *w;

    w = ev->data;

    ngx_queue_init(&done);

    for (q = ngx_queue_head(&w->parked);
         q != ngx_queue_sentinel(&w->parked);
         q = next)
    {
        next = ngx_queue_next(q);
        ctx = ngx_queue_data(q, ngx_http_hrx_ctx_t, queue);

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

        } else if ((ngx_msec_int_t) (ngx_current_msec - ctx->deadline) >= 0) {

            hrx_slots_abandon(&ctx->shm->slots, ctx->slot, ctx->gen);
            ctx->slot_held = 0;
            ctx->timed_out = 1;

            hrx_counter_add(ctx->shm, HRX_CTR_REPLY_TIMEOUTS, 1);

        } else {
            continue;
        }

        ngx_queue_remove(q);
        ngx_queue_insert_tail(&done, q);
    }

    /*
     * Finish them.  Each stays "parked" (counted, in the done queue) until
     * it is taken: if finishing one frees another, that one's cleanup
     * takes it out of the done queue.
     */

    while (!ngx_queue_empty(&done)) {
        q = ngx_queue_head(&done);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_hrx_ctx_t, queue);
        ctx->parked = 0;
        w->nparked--;

        ngx_http_hrx_park_finish(ctx);
    }

    if (!ngx_queue_empty(&w->parked) && !w->timer.timer_set) {
        ngx_add_timer(&w->timer, NGX_HTTP_HRX_TICK);
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

    if (ctx->slot_held) {
        /* the scheduler still applies the command; nobody reads the reply */
        hrx_slots_abandon(&ctx->shm->slots, ctx->slot, ctx->gen);
        ctx->slot_held = 0;
    }
}
