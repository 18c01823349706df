/*
 * Work for one request on the nginx thread pool (hrx_thread_pool):
 * password hashing, bulk-import validation, search counts.  Anything that
 * can take milliseconds goes here so the event loop never waits on it.
 *
 * While the work runs the request is "blocked" (r->main->blocked, as for
 * nginx's own thread I/O): if the client goes away, nginx does not free
 * the request but swaps its write handler for its finalizer.  When the
 * work is done, on the event loop, done(data) runs first in every case
 * (to release what only the work used), then the request's write handler:
 * ours resumes the request with resume(r, ctx), whose return finalizes it
 * unless it is NGX_DONE; nginx's finalizer frees a terminated one.  So
 * data must live in r->pool, or be released by done or a pool cleanup.
 *
 * A graceful stop (nginx -s quit) lets a worker exit once no timer that
 * cannot be cancelled is left; a request waiting for the pool has none of
 * its own, so the worker would leave with the work unfinished and its
 * socket open ("open socket left in connection").  A guard timer, not
 * cancelable, runs from post to done so the worker waits for the work.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_task.h"


typedef struct {
    ngx_http_request_t          *request;
    ngx_http_hrx_task_work_pt    work;
    ngx_http_hrx_task_done_pt    done;
    void                        *data;
    ngx_event_t                  guard;     /* keeps a stopping worker */
} ngx_http_hrx_task_t;

/* long: it only has to exist; it is re-armed if the work takes longer */
#define NGX_HTTP_HRX_TASK_GUARD_MS  60000


static void ngx_http_hrx_task_thread(void *data, ngx_log_t *log);
static void ngx_http_hrx_task_event(ngx_event_t *ev);
static void ngx_http_hrx_task_resume(ngx_http_request_t *r);
static void ngx_http_hrx_task_guard(ngx_event_t *ev);


ngx_int_t
ngx_http_hrx_task_run(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_http_hrx_task_work_pt work, ngx_http_hrx_task_done_pt done,
    void *data, ngx_http_hrx_resume_pt resume, const char *busy_message)
{
    ngx_thread_task_t         *task;
    ngx_http_hrx_task_t       *t;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_hrx_task_t));
    if (task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    t = task->ctx;
    t->request = r;
    t->work = work;
    t->done = done;
    t->data = data;

    task->handler = ngx_http_hrx_task_thread;
    task->event.handler = ngx_http_hrx_task_event;
    task->event.data = t;

    if (ngx_thread_task_post(hmcf->thread_pool, task) != NGX_OK) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "busy", NULL, busy_message);
    }

    ctx->resume = resume;
    ctx->task_data = data;
    ctx->task_running = 1;

    t->guard.handler = ngx_http_hrx_task_guard;
    t->guard.data = t;
    t->guard.log = r->connection->log;
    t->guard.cancelable = 0;
    ngx_add_timer(&t->guard, NGX_HTTP_HRX_TASK_GUARD_MS);

    r->main->blocked++;
    r->aio = 1;

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_hrx_task_resume;

    return NGX_DONE;
}


static void
ngx_http_hrx_task_thread(void *data, ngx_log_t *log)
{
    ngx_http_hrx_task_t *t = data;

    t->work(t->data, log);

    /*
     * Free this thread's OpenSSL state (scrypt, random) now.  Left to the
     * thread-exit destructor, it races with OpenSSL's atexit cleanup when
     * the worker exits while pool threads are still ending, a double free
     * (openssl/openssl#6214, #17469).  OpenSSL sets it up again on next use.
     */
    OPENSSL_thread_stop();
}


/* on the event loop, when the work is done */
static void
ngx_http_hrx_task_event(ngx_event_t *ev)
{
    ngx_connection_t     *c;
    ngx_http_request_t   *r;
    ngx_http_hrx_ctx_t   *ctx;
    ngx_http_hrx_task_t  *t;

    t = ev->data;
    r = t->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (t->guard.timer_set) {
        ngx_del_timer(&t->guard);
    }

    r->main->blocked--;
    r->aio = 0;

    ctx = ngx_http_get_module_ctx(r, ngx_http_hrx_module);
    ctx->task_running = 0;

    if (t->done) {
        t->done(t->data);
    }

    /* ours, or nginx's finalizer if the request was terminated meanwhile */
    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_hrx_task_resume(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_hrx_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_hrx_module);

    if (ctx->task_running) {
        /* a write event while the work runs: nothing to do yet */
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;
    r->read_event_handler = ngx_http_block_reading;

    rc = ctx->resume(r, ctx);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static void
ngx_http_hrx_task_guard(ngx_event_t *ev)
{
    ngx_add_timer(ev, NGX_HTTP_HRX_TASK_GUARD_MS);
}
