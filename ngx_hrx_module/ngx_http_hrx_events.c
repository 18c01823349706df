/*
 * Live events: GET /api/v1/stream as server-sent events
 * (docs/bulk-actions.md, "Live progress").
 *
 * The scheduler publishes events on the broadcast ring of the shm file
 * (shm/hrx_broadcast.h): one producer that never waits, any number of
 * readers that each keep their own cursor.  Every stream of a worker has
 * its own reader, started at the ring's tail when the stream opens (it
 * sees only later events).  One per-worker timer, armed only while the
 * worker has streams, polls them all every NGX_HTTP_HRX_SSE_TICK ms --
 * the park timer's idea (ngx_http_hrx_park.c) at a calmer pace: no event
 * per stream, no thread, nothing when nobody listens.
 *
 * A record of type 1 (bulk_action.progress) is JSON with tenant_id and
 * search_group_id; a stream gets it when the tenant is the session's and
 * the user reaches the search group (users.admin reaches all), without
 * those two members:
 *
 *     event: bulk_action.progress
 *     data: {"type":"bulk_action.progress","id":3,"status":"running",...}
 *
 * A record of type 2 (message.received, docs/line.md) is JSON with
 * tenant_id and candidate_id; a stream gets it when the tenant is the
 * session's and the user may operate on the candidate (the operate rule,
 * ngx_http_hrx_reach_candidate()), without tenant_id:
 *
 *     event: message.received
 *     data: {"type":"message.received","candidate_id":7,"message_id":12,
 *            "channel":"line"}
 *
 * Records are decoded once per tick whoever reads them (a small cache
 * keyed by the record's bytes), and reach is asked once per user and
 * record.  A reader that fell a whole ring behind (or whose shm file was
 * replaced by a restarted scheduler) gets "event: lapped": events were
 * lost and the page reloads its data.  A stream with nothing to say gets
 * a ": keepalive" comment every hrx_events_keepalive (15 s), and the
 * session is checked again then: a signed-out, expired or disabled user's
 * stream ends.
 *
 * Output.  A stream lives for hours, so nothing may be allocated per
 * event from the request's pool: each stream writes into at most
 * NGX_HTTP_HRX_SSE_BUFS buffers of its own, recycled through free/busy
 * chains (ngx_chain_update_chains(), as upstream does).  A stream whose
 * previous output is not sent yet takes nothing from the ring (it falls
 * behind, and is told it lapped if it falls a ring behind); a client that
 * reads nothing for send_timeout is closed.  Each write is flushed
 * (chunked, "X-Accel-Buffering: no" for proxies in front).
 *
 * Closing.  The read handler is ngx_http_test_reading: a client that goes
 * away is noticed, nginx frees the request and the cleanup takes the
 * stream out of the worker's list.  The connection is marked idle, so a
 * graceful shutdown (nginx -s quit) closes streams at once instead of
 * waiting for them forever.  At most hrx_events_max streams per worker
 * (503 busy beyond).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_shm.h"
#include "hrx_resource.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_events.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_reach.h"
#include "ngx_http_hrx_reply.h"


#define NGX_HTTP_HRX_SSE_TICK      100      /* ms between polls */
#define NGX_HTTP_HRX_SSE_BUF       16384    /* one output buffer */
#define NGX_HTTP_HRX_SSE_TEXT_MAX  4096     /* one event, at most */
#define NGX_HTTP_HRX_SSE_BUFS      4        /* output buffers per stream */
#define NGX_HTTP_HRX_SSE_BURST     64       /* records per stream per tick */
#define NGX_HTTP_HRX_SSE_CACHE     16       /* records decoded per tick */
#define NGX_HTTP_HRX_SSE_MEMO      16       /* reach answers per record */

/* broadcast record types (the scheduler's) and their event names */
#define NGX_HTTP_HRX_EV_BULK_PROGRESS  1
#define NGX_HTTP_HRX_EV_MESSAGE_RECEIVED  2

#define NGX_HTTP_HRX_SSE_HELLO     ": hrx events\nretry: 3000\n\n"
#define NGX_HTTP_HRX_SSE_LAPPED    "event: lapped\ndata: {}\n\n"
#define NGX_HTTP_HRX_SSE_KEEPALIVE ": keepalive\n\n"


typedef struct {
    ngx_queue_t             queue;
    ngx_http_request_t     *request;
    ngx_http_hrx_ctx_t     *ctx;        /* who listens: ctx->auth */
    hrx_bcast_reader_t      reader;
    dev_t                   dev;        /* the shm file reader reads */
    ino_t                   ino;
    uint64_t                created;    /* (an inode number is reused) */
    ngx_msec_t              last_write;
    ngx_msec_t              keepalive;
    ngx_chain_t            *free;
    ngx_chain_t            *busy;
    ngx_uint_t              nbufs;
    ngx_int_t               finish;     /* NGX_ERROR, or NGX_OK: end it */
    unsigned                listed:1;   /* in the streams or done queue */
    unsigned                reading:1;  /* reader set on that file */
    unsigned                lapped:1;   /* "lapped" still to send */
} ngx_http_hrx_sse_t;


/* output being built by one poll */
typedef struct {
    ngx_chain_t            *out;
    ngx_chain_t           **last;
    ngx_buf_t              *buf;
} ngx_http_hrx_sse_out_t;


typedef struct {
    int64_t                 user_id;
    ngx_uint_t              reached;
} ngx_http_hrx_sse_memo_t;


/* a record as decoded once per tick, for every stream that reads it */
typedef struct {
    int32_t                  type;
    uint32_t                 len;
    u_char                  *payload;       /* a copy, ngx_alloc()ed */
    ngx_uint_t               deliver;       /* 0: for nobody */
    int64_t                  tenant_id;
    int64_t                  search_group_id;   /* 0: none */
    int64_t                  candidate_id;  /* message.received */
    u_char                  *text;          /* ngx_alloc()ed */
    size_t                   text_len;
    ngx_uint_t               nmemo;
    ngx_http_hrx_sse_memo_t  memo[NGX_HTTP_HRX_SSE_MEMO];
} ngx_http_hrx_sse_rec_t;


static void ngx_http_hrx_sse_cleanup(void *data);
static void ngx_http_hrx_sse_tick(ngx_event_t *ev);
static ngx_int_t ngx_http_hrx_sse_poll(ngx_http_hrx_sse_t *sse,
    hrx_shm_t *shm);
static void ngx_http_hrx_sse_attach(ngx_http_hrx_sse_t *sse, hrx_shm_t *shm);
static ngx_uint_t ngx_http_hrx_sse_blocked(ngx_http_hrx_sse_t *sse);
static ngx_int_t ngx_http_hrx_sse_reserve(ngx_http_hrx_sse_t *sse,
    ngx_http_hrx_sse_out_t *o, size_t len);
static ngx_uint_t ngx_http_hrx_sse_room(ngx_http_hrx_sse_t *sse,
    ngx_http_hrx_sse_out_t *o, size_t len);
static ngx_int_t ngx_http_hrx_sse_write(ngx_http_hrx_sse_t *sse,
    ngx_http_hrx_sse_out_t *o, const void *data, size_t len);
static ngx_int_t ngx_http_hrx_sse_send(ngx_http_hrx_sse_t *sse,
    ngx_http_hrx_sse_out_t *o);
static ngx_int_t ngx_http_hrx_sse_wait(ngx_http_hrx_sse_t *sse);
static void ngx_http_hrx_sse_writable(ngx_http_request_t *r);
static ngx_int_t ngx_http_hrx_sse_reauth(ngx_http_hrx_sse_t *sse);
static ngx_http_hrx_sse_rec_t *ngx_http_hrx_sse_record(int32_t type,
    const u_char *payload, uint32_t len);
static void ngx_http_hrx_sse_decode(ngx_http_hrx_sse_rec_t *rec);
static ngx_uint_t ngx_http_hrx_sse_for(ngx_http_hrx_sse_t *sse,
    ngx_http_hrx_sse_rec_t *rec);
static void ngx_http_hrx_sse_finish(ngx_http_hrx_sse_t *sse);
static void ngx_http_hrx_sse_cache_clear(void);


static ngx_queue_t             ngx_http_hrx_sse_streams;
static ngx_uint_t              ngx_http_hrx_sse_n;
static ngx_event_t             ngx_http_hrx_sse_timer;

static u_char                 *ngx_http_hrx_sse_scratch;
static uint32_t                ngx_http_hrx_sse_scratch_size;

static ngx_http_hrx_sse_rec_t  ngx_http_hrx_sse_cache[NGX_HTTP_HRX_SSE_CACHE];
static ngx_uint_t              ngx_http_hrx_sse_ncache;

/* tag of the stream's own buffers */
static ngx_buf_tag_t           ngx_http_hrx_sse_tag =
    (ngx_buf_tag_t) &ngx_http_hrx_sse_streams;


void
ngx_http_hrx_events_init(ngx_cycle_t *cycle)
{
    ngx_queue_init(&ngx_http_hrx_sse_streams);
    ngx_http_hrx_sse_n = 0;

    ngx_memzero(&ngx_http_hrx_sse_timer, sizeof(ngx_event_t));
    ngx_http_hrx_sse_timer.handler = ngx_http_hrx_sse_tick;
    ngx_http_hrx_sse_timer.log = cycle->log;
    ngx_http_hrx_sse_timer.data = &ngx_http_hrx_sse_streams;

    /* a worker that exits gracefully does not wait for this timer */
    ngx_http_hrx_sse_timer.cancelable = 1;
}


void
ngx_http_hrx_events_exit(ngx_cycle_t *cycle)
{
    (void) cycle;

    if (ngx_http_hrx_sse_timer.timer_set) {
        ngx_del_timer(&ngx_http_hrx_sse_timer);
    }

    ngx_http_hrx_sse_cache_clear();

    ngx_free(ngx_http_hrx_sse_scratch);
    ngx_http_hrx_sse_scratch = NULL;
    ngx_http_hrx_sse_scratch_size = 0;
}


ngx_int_t
ngx_http_hrx_api_stream(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t                  rc;
    ngx_http_cleanup_t        *cln;
    ngx_http_hrx_sse_t        *sse;
    ngx_http_hrx_sse_out_t     o;
    ngx_http_hrx_loc_conf_t   *hlcf;
    ngx_http_hrx_main_conf_t  *hmcf;

    static ngx_str_t  type = ngx_string("text/event-stream");

    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);
    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    if (ngx_http_hrx_sse_n >= hlcf->events_max) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "hrx: %ui event streams are open in this worker, "
                      "the most hrx_events_max allows", ngx_http_hrx_sse_n);

        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "busy", NULL,
                                       "too many live event streams are "
                                       "open; try again");
    }

    sse = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_sse_t));
    cln = ngx_http_cleanup_add(r, 0);

    if (sse == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sse->request = r;
    sse->ctx = ctx;
    sse->keepalive = hlcf->events_keepalive;
    sse->finish = NGX_OK;
    ctx->events = sse;

    cln->handler = ngx_http_hrx_sse_cleanup;
    cln->data = sse;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    r->headers_out.content_type = type;
    r->headers_out.content_type_len = type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (ngx_http_hrx_add_header(r, "Cache-Control", (u_char *) "no-store",
                                sizeof("no-store") - 1)
        != NGX_OK
        || ngx_http_hrx_add_header(r, "X-Accel-Buffering", (u_char *) "no",
                                   sizeof("no") - 1)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a stream ends by closing its connection */
    r->keepalive = 0;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_hrx_sse_writable;

    /* closed at once by a graceful shutdown (ngx_close_idle_connections) */
    r->connection->idle = 1;

    ngx_queue_insert_tail(&ngx_http_hrx_sse_streams, &sse->queue);
    sse->listed = 1;
    ngx_http_hrx_sse_n++;

    ngx_http_hrx_sse_attach(sse, ngx_http_hrx_shm(r->connection->log, hmcf));

    o.out = NULL;
    o.last = &o.out;
    o.buf = NULL;

    if (ngx_http_hrx_sse_write(sse, &o, NGX_HTTP_HRX_SSE_HELLO,
                               sizeof(NGX_HTTP_HRX_SSE_HELLO) - 1)
        != NGX_OK
        || ngx_http_hrx_sse_send(sse, &o) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!ngx_http_hrx_sse_timer.timer_set) {
        ngx_add_timer(&ngx_http_hrx_sse_timer, NGX_HTTP_HRX_SSE_TICK);
    }

    /* the request is the stream's until it ends */
    return NGX_DONE;
}


/* the request is freed (client gone, error, shutdown, end of stream) */
static void
ngx_http_hrx_sse_cleanup(void *data)
{
    ngx_http_hrx_sse_t  *sse = data;

    if (sse->listed) {
        ngx_queue_remove(&sse->queue);
        sse->listed = 0;
        ngx_http_hrx_sse_n--;
    }
}


/* the reader on the current shm file; a new file loses what came before */
static void
ngx_http_hrx_sse_attach(ngx_http_hrx_sse_t *sse, hrx_shm_t *shm)
{
    if (shm == NULL) {
        return;
    }

    if (sse->reading && sse->dev == shm->dev && sse->ino == shm->ino
        && sse->created == shm->hdr->created_at_ms)
    {

        /* acquire: pairs with the producer's release of tail */
        if (sse->reader.cursor
            <= hrx_load_acquire(&shm->bcast.ctl->tail))
        {
            return;
        }

        /* the ring started again (a scheduler made it anew) */
    }

    if (sse->reading) {
        sse->lapped = 1;
    }

    hrx_bcast_reader_init(&shm->bcast, &sse->reader);
    sse->dev = shm->dev;
    sse->ino = shm->ino;
    sse->created = shm->hdr->created_at_ms;
    sse->reading = 1;
}


static void
ngx_http_hrx_sse_tick(ngx_event_t *ev)
{
    uint32_t                   need;
    ngx_int_t                  rc;
    ngx_uint_t                 exiting;
    hrx_shm_t                 *shm;
    ngx_queue_t                done, *q, *next;
    ngx_http_hrx_sse_t        *sse;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_hrx_module);

    exiting = ngx_exiting || ngx_quit || ngx_terminate;

    shm = NULL;

    if (!exiting && hmcf != NULL) {
        shm = ngx_http_hrx_shm(ev->log, hmcf);
    }

    if (shm && ngx_http_hrx_sse_scratch_size < shm->bcast.max_payload) {
        need = shm->bcast.max_payload;

        ngx_free(ngx_http_hrx_sse_scratch);
        ngx_http_hrx_sse_scratch = ngx_alloc(need, ev->log);
        ngx_http_hrx_sse_scratch_size = ngx_http_hrx_sse_scratch ? need : 0;

        if (ngx_http_hrx_sse_scratch == NULL) {
            shm = NULL;
        }
    }

    ngx_queue_init(&done);

    for (q = ngx_queue_head(&ngx_http_hrx_sse_streams);
         q != ngx_queue_sentinel(&ngx_http_hrx_sse_streams);
         q = next)
    {
        next = ngx_queue_next(q);
        sse = ngx_queue_data(q, ngx_http_hrx_sse_t, queue);

        if (exiting) {
            sse->finish = NGX_OK;

        } else {
            rc = ngx_http_hrx_sse_poll(sse, shm);

            if (rc == NGX_OK) {
                continue;
            }

            /* NGX_DONE: the session ended; NGX_ERROR */
            sse->finish = (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
        }

        ngx_queue_remove(q);
        ngx_queue_insert_tail(&done, q);
    }

    ngx_http_hrx_sse_cache_clear();

    /*
     * Finish them.  Each stays listed (counted, in the done queue) until
     * it is taken: if finishing one frees another, that one's cleanup
     * takes it out of the done queue.
     */

    while (!ngx_queue_empty(&done)) {
        q = ngx_queue_head(&done);
        ngx_queue_remove(q);

        sse = ngx_queue_data(q, ngx_http_hrx_sse_t, queue);
        sse->listed = 0;
        ngx_http_hrx_sse_n--;

        ngx_http_hrx_sse_finish(sse);
    }

    if (!ngx_queue_empty(&ngx_http_hrx_sse_streams)
        && !ngx_http_hrx_sse_timer.timer_set)
    {
        ngx_add_timer(&ngx_http_hrx_sse_timer, NGX_HTTP_HRX_SSE_TICK);
    }
}


/*
 * One stream's turn: what the ring has for it, else a keepalive when it
 * is due.  NGX_OK; NGX_DONE: the session is over; NGX_ERROR.
 */
static ngx_int_t
ngx_http_hrx_sse_poll(ngx_http_hrx_sse_t *sse, hrx_shm_t *shm)
{
    int                      rc;
    int32_t                  type;
    uint32_t                 len;
    ngx_uint_t               i;
    ngx_http_hrx_sse_out_t   o;
    ngx_http_hrx_sse_rec_t  *rec;

    if (sse->request->connection->error) {
        return NGX_ERROR;
    }

    if (ngx_http_hrx_sse_blocked(sse)) {
        /* the client has not taken what it got: it takes nothing more */
        return NGX_OK;
    }

    o.out = NULL;
    o.last = &o.out;
    o.buf = NULL;

    ngx_http_hrx_sse_attach(sse, shm);

    /* a record is taken only when a whole event has room */

    for (i = 0;
         shm && sse->reading && i < NGX_HTTP_HRX_SSE_BURST
         && ngx_http_hrx_sse_room(sse, &o, NGX_HTTP_HRX_SSE_TEXT_MAX);
         i++)
    {
        if (sse->lapped) {
            if (ngx_http_hrx_sse_write(sse, &o, NGX_HTTP_HRX_SSE_LAPPED,
                                       sizeof(NGX_HTTP_HRX_SSE_LAPPED) - 1)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            sse->lapped = 0;
            continue;
        }

        rc = hrx_bcast_receive(&shm->bcast, &sse->reader, &type,
                               ngx_http_hrx_sse_scratch,
                               ngx_http_hrx_sse_scratch_size, &len);

        if (rc == 0) {
            break;
        }

        if (rc == -1) {
            /* fell a ring behind: moved on to the newest record */
            ngx_log_error(NGX_LOG_INFO, sse->request->connection->log, 0,
                          "hrx: event stream lapped");
            sse->lapped = 1;
            continue;
        }

        if (rc != 1) {
            /* -2: larger than a record can be: skipped */
            continue;
        }

        rec = ngx_http_hrx_sse_record(type, ngx_http_hrx_sse_scratch, len);

        if (rec == NULL || !ngx_http_hrx_sse_for(sse, rec)) {
            continue;
        }

        if (ngx_http_hrx_sse_write(sse, &o, rec->text, rec->text_len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (o.out == NULL) {

        if ((ngx_msec_int_t) (ngx_current_msec - sse->last_write)
            < (ngx_msec_int_t) sse->keepalive)
        {
            return NGX_OK;
        }

        if (ngx_http_hrx_sse_reauth(sse) != NGX_OK) {
            return NGX_DONE;
        }

        if (ngx_http_hrx_sse_write(sse, &o, NGX_HTTP_HRX_SSE_KEEPALIVE,
                                   sizeof(NGX_HTTP_HRX_SSE_KEEPALIVE) - 1)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_hrx_sse_send(sse, &o);
}


/* o can take len more bytes (the current buffer, or another one) */
static ngx_uint_t
ngx_http_hrx_sse_room(ngx_http_hrx_sse_t *sse, ngx_http_hrx_sse_out_t *o,
    size_t len)
{
    return (o->buf && (size_t) (o->buf->end - o->buf->last) >= len)
           || sse->free != NULL || sse->nbufs < NGX_HTTP_HRX_SSE_BUFS;
}


/* len bytes at the end of o (len <= NGX_HTTP_HRX_SSE_TEXT_MAX) */
static ngx_int_t
ngx_http_hrx_sse_write(ngx_http_hrx_sse_t *sse, ngx_http_hrx_sse_out_t *o,
    const void *data, size_t len)
{
    ngx_int_t  rc;

    rc = ngx_http_hrx_sse_reserve(sse, o, len);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    o->buf->last = ngx_cpymem(o->buf->last, data, len);

    return NGX_OK;
}


/* the stream's output is not all sent yet */
static ngx_uint_t
ngx_http_hrx_sse_blocked(ngx_http_hrx_sse_t *sse)
{
    ngx_http_request_t  *r;

    r = sse->request;

    return sse->busy != NULL || r->out != NULL || r->connection->buffered;
}


/*
 * A buffer with room for len more bytes at the end of o: NGX_OK, NGX_AGAIN
 * when the stream has all its buffers in use, NGX_ERROR.
 */
static ngx_int_t
ngx_http_hrx_sse_reserve(ngx_http_hrx_sse_t *sse, ngx_http_hrx_sse_out_t *o,
    size_t len)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = o->buf;

    if (b && (size_t) (b->end - b->last) >= len) {
        return NGX_OK;
    }

    if (sse->free == NULL && sse->nbufs >= NGX_HTTP_HRX_SSE_BUFS) {
        return NGX_AGAIN;
    }

    cl = ngx_chain_get_free_buf(sse->request->pool, &sse->free);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    b = cl->buf;

    if (b->start == NULL) {
        /* a new one: memory for the stream's whole life */
        b->start = ngx_palloc(sse->request->pool, NGX_HTTP_HRX_SSE_BUF);
        if (b->start == NULL) {
            return NGX_ERROR;
        }

        b->end = b->start + NGX_HTTP_HRX_SSE_BUF;
        b->temporary = 1;
        b->tag = ngx_http_hrx_sse_tag;
        sse->nbufs++;
    }

    b->pos = b->start;
    b->last = b->start;
    b->flush = 0;

    *o->last = cl;
    o->last = &cl->next;
    o->buf = b;

    return NGX_OK;
}


static ngx_int_t
ngx_http_hrx_sse_send(ngx_http_hrx_sse_t *sse, ngx_http_hrx_sse_out_t *o)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = sse->request;

    if (o->out == NULL) {
        return NGX_OK;
    }

    o->buf->flush = 1;

    rc = ngx_http_output_filter(r, o->out);

    ngx_chain_update_chains(r->pool, &sse->free, &sse->busy, &o->out,
                            ngx_http_hrx_sse_tag);

    sse->last_write = ngx_current_msec;

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    return ngx_http_hrx_sse_wait(sse);
}


/* output left: wait for the socket, at most send_timeout */
static ngx_int_t
ngx_http_hrx_sse_wait(ngx_http_hrx_sse_t *sse)
{
    ngx_event_t               *wev;
    ngx_http_request_t        *r;
    ngx_http_core_loc_conf_t  *clcf;

    r = sse->request;
    wev = r->connection->write;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (ngx_http_hrx_sse_blocked(sse)) {
        if (!wev->delayed && !wev->timer_set) {
            ngx_add_timer(wev, clcf->send_timeout);
        }

    } else if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the request's write handler: the socket takes more */
static void
ngx_http_hrx_sse_writable(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_event_t         *wev;
    ngx_connection_t    *c;
    ngx_http_hrx_ctx_t  *ctx;
    ngx_http_hrx_sse_t  *sse;

    c = r->connection;
    wev = c->write;
    ctx = ngx_http_get_module_ctx(r, ngx_http_hrx_module);
    sse = ctx->events;

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "hrx: event stream client timed out");
        c->timedout = 1;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    rc = ngx_http_output_filter(r, NULL);

    ngx_chain_update_chains(r->pool, &sse->free, &sse->busy, NULL,
                            ngx_http_hrx_sse_tag);

    if (rc == NGX_ERROR || ngx_http_hrx_sse_wait(sse) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


/*
 * Is the session (or API token) still good?  NGX_OK (auth refreshed:
 * permissions may have changed), NGX_DONE when the user signed out, the
 * session expired or the user was disabled.  A database that cannot be
 * read just now is not a reason to end the stream.
 */
static ngx_int_t
ngx_http_hrx_sse_reauth(ngx_http_hrx_sse_t *sse)
{
    ngx_int_t             rc;
    ngx_http_hrx_err_t    err;
    ngx_http_hrx_auth_t   auth;

    rc = ngx_http_hrx_authenticate(sse->request, &auth, &err);

    if (rc == NGX_OK && auth.user_id == sse->ctx->auth.user_id) {
        sse->ctx->auth = auth;
        return NGX_OK;
    }

    if (rc == NGX_OK
        || (rc == NGX_DECLINED && err.status == NGX_HTTP_UNAUTHORIZED))
    {
        ngx_log_error(NGX_LOG_INFO, sse->request->connection->log, 0,
                      "hrx: event stream ends: the session is over");
        return NGX_DONE;
    }

    return NGX_OK;
}


/* the record decoded, from the tick's cache when another stream read it */
static ngx_http_hrx_sse_rec_t *
ngx_http_hrx_sse_record(int32_t type, const u_char *payload, uint32_t len)
{
    ngx_uint_t               i, n;
    ngx_http_hrx_sse_rec_t  *rec;

    n = ngx_min(ngx_http_hrx_sse_ncache, NGX_HTTP_HRX_SSE_CACHE);

    for (i = 0; i < n; i++) {
        rec = &ngx_http_hrx_sse_cache[i];

        if (rec->type == type && rec->len == len
            && ngx_memcmp(rec->payload, payload, len) == 0)
        {
            return rec;
        }
    }

    /* a ring of entries: the oldest goes */
    rec = &ngx_http_hrx_sse_cache[ngx_http_hrx_sse_ncache
                                  % NGX_HTTP_HRX_SSE_CACHE];
    ngx_http_hrx_sse_ncache++;

    ngx_free(rec->payload);
    ngx_free(rec->text);
    ngx_memzero(rec, sizeof(ngx_http_hrx_sse_rec_t));

    rec->payload = ngx_alloc(len ? len : 1, ngx_cycle->log);
    if (rec->payload == NULL) {
        return NULL;
    }

    ngx_memcpy(rec->payload, payload, len);
    rec->type = type;
    rec->len = len;

    ngx_http_hrx_sse_decode(rec);

    return rec;
}


/*
 * A bulk_action.progress record: {"type","tenant_id","search_group_id",
 * "id","status",...} -> who may get it, and the event text without the
 * two routing members.  Anything else is for nobody.
 */
static void
ngx_http_hrx_sse_decode(ngx_http_hrx_sse_rec_t *rec)
{
    char          *data;
    size_t         n;
    json_t        *obj, *v;
    const char    *name;
    json_error_t   jerr;

    if (rec->type == NGX_HTTP_HRX_EV_BULK_PROGRESS) {
        name = "bulk_action.progress";

    } else if (rec->type == NGX_HTTP_HRX_EV_MESSAGE_RECEIVED) {
        name = "message.received";

    } else {
        return;
    }

    obj = json_loadb((const char *) rec->payload, rec->len, 0, &jerr);

    if (!json_is_object(obj)) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "hrx: a broadcast record of type %D is not a JSON "
                      "object: %s", rec->type, jerr.text);
        json_decref(obj);
        return;
    }

    v = json_object_get(obj, "tenant_id");
    rec->tenant_id = json_is_integer(v) ? json_integer_value(v) : 0;

    v = json_object_get(obj, "search_group_id");
    rec->search_group_id = json_is_integer(v) ? json_integer_value(v) : 0;

    v = json_object_get(obj, "candidate_id");
    rec->candidate_id = json_is_integer(v) ? json_integer_value(v) : 0;

    (void) json_object_del(obj, "tenant_id");
    (void) json_object_del(obj, "search_group_id");

    data = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);

    if (data == NULL || rec->tenant_id <= 0) {
        free(data);
        return;
    }

    n = sizeof("event: \ndata: \n\n") - 1 + ngx_strlen(name)
        + ngx_strlen(data);

    if (n > NGX_HTTP_HRX_SSE_TEXT_MAX) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "hrx: an event of %uz bytes is too large to stream",
                      n);
        free(data);
        return;
    }

    rec->text = ngx_alloc(n, ngx_cycle->log);

    if (rec->text != NULL) {
        rec->text_len = ngx_sprintf(rec->text, "event: %s\ndata: %s\n\n",
                                    name, data)
                        - rec->text;
        rec->deliver = 1;
    }

    free(data);
}


/* the stream's user gets the record: its tenant, a search group reached */
static ngx_uint_t
ngx_http_hrx_sse_for(ngx_http_hrx_sse_t *sse, ngx_http_hrx_sse_rec_t *rec)
{
    ngx_int_t             rc;
    ngx_uint_t            i, reached;
    ngx_http_hrx_auth_t  *auth;

    auth = &sse->ctx->auth;

    if (!rec->deliver || rec->tenant_id != auth->tenant_id) {
        return 0;
    }

    if (rec->type == NGX_HTTP_HRX_EV_MESSAGE_RECEIVED) {
        /* the operate rule, below: users.admin is not enough */
        if (rec->candidate_id <= 0) {
            return 0;
        }

    } else if (auth->perms & NGX_HTTP_HRX_PERM_USERS_ADMIN) {
        return 1;

    } else if (rec->search_group_id <= 0) {
        return 0;
    }

    for (i = 0; i < rec->nmemo; i++) {
        if (rec->memo[i].user_id == auth->user_id) {
            return rec->memo[i].reached;
        }
    }

    if (rec->type == NGX_HTTP_HRX_EV_MESSAGE_RECEIVED) {
        rc = ngx_http_hrx_reach_candidate(sse->request, auth,
                                          rec->candidate_id);

    } else {
        rc = ngx_http_hrx_reach_object(sse->request, auth,
                                       hrx_res(HRX_RES_SEARCH_GROUP),
                                       rec->search_group_id);
    }

    reached = (rc == NGX_OK);

    if (rec->nmemo < NGX_HTTP_HRX_SSE_MEMO
        && (rc == NGX_OK || rc == NGX_ABORT || rc == NGX_DECLINED))
    {
        rec->memo[rec->nmemo].user_id = auth->user_id;
        rec->memo[rec->nmemo].reached = reached;
        rec->nmemo++;
    }

    return reached;
}


/* end a stream taken out of the list: close it, or end it cleanly */
static void
ngx_http_hrx_sse_finish(ngx_http_hrx_sse_t *sse)
{
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = sse->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    if (sse->finish == NGX_ERROR || c->error) {
        rc = NGX_ERROR;

    } else {
        /* the last chunk: the client sees the stream end */
        rc = ngx_http_send_special(r, NGX_HTTP_LAST);
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_hrx_sse_cache_clear(void)
{
    ngx_uint_t               i;
    ngx_http_hrx_sse_rec_t  *rec;

    for (i = 0; i < NGX_HTTP_HRX_SSE_CACHE; i++) {
        rec = &ngx_http_hrx_sse_cache[i];

        ngx_free(rec->payload);
        ngx_free(rec->text);
        ngx_memzero(rec, sizeof(ngx_http_hrx_sse_rec_t));
    }

    ngx_http_hrx_sse_ncache = 0;
}
