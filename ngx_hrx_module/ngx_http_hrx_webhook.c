/*
 * The LINE webhook: POST /webhooks/line/{tenant_id} (docs/line.md, LN-2,
 * LN-13), a route of the hrx_api table without a session: LINE signs
 * instead.
 *
 * LINE waits at most 2 seconds for the answer, and a delivery must be
 * acknowledged only once it is durable.  So the worker does the least it
 * can: the body as it came (memory buffers, or read back from the temp
 * file nginx spilled it to), the tenant's channel secret, the signature
 * (base64 HMAC-SHA256 of the raw body, compared in constant time:
 * hrx_line_signature_ok), then the command line.webhook with the raw
 * bytes and the events taken out of them (hrx_line_events_extract: the
 * JSON is parsed here, on every core, rather than in the single writer),
 * and 200 {} once the scheduler replied -- after its commit.  A signed
 * body that is not a delivery is refused here, 400, nothing stored.
 *
 *   no LINE connected for the tenant   404 not_found (nothing to check
 *                                      the signature with)
 *   signature missing or wrong         401 invalid_signature, nothing
 *                                      stored
 *   body over 1 MiB                    413 (before it is read when
 *                                      Content-Length says so)
 *
 * The channel secret is stored sealed.  Opening it costs an AES-GCM
 * decryption, so each worker keeps the opened secret per tenant, keyed by
 * line_settings.updated_at: every request still reads the row's
 * updated_at (an indexed lookup by primary key), but the sealed blob is
 * read and opened again only when the settings changed -- a new secret
 * is used from the first delivery after the change.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_crypto.h"
#include "hrx_line.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_webhook.h"


#define NGX_HTTP_HRX_WEBHOOK_BODY_MAX    (1024 * 1024)
#define NGX_HTTP_HRX_WEBHOOK_SECRET_MAX  256
#define NGX_HTTP_HRX_WEBHOOK_CACHE       64      /* tenants, a power of 2 */


/* an opened channel secret of a tenant, as of updated_at */
typedef struct {
    int64_t              tenant_id;      /* 0: empty */
    int64_t              updated_at;
    size_t               len;
    u_char               secret[NGX_HTTP_HRX_WEBHOOK_SECRET_MAX + 1];
} ngx_http_hrx_webhook_secret_t;


static ngx_int_t ngx_http_hrx_webhook_secret(ngx_http_request_t *r,
    int64_t tenant_id, ngx_http_hrx_webhook_secret_t **out, ngx_int_t *rc);
static ngx_int_t ngx_http_hrx_webhook_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);


/* per worker: direct-mapped by tenant id, a collision evicts */
static ngx_http_hrx_webhook_secret_t
    ngx_http_hrx_webhook_cache[NGX_HTTP_HRX_WEBHOOK_CACHE];


ngx_int_t
ngx_http_hrx_webhook_line(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    u_char                         *body;
    char                            err[256];
    size_t                          len;
    json_t                         *v, *events;
    ngx_int_t                       rc;
    ngx_table_elt_t                *sig;
    ngx_http_hrx_webhook_secret_t  *s;

    s = NULL;

    if (ngx_http_hrx_webhook_secret(r, ctx->id, &s, &rc) != NGX_OK) {
        return rc;
    }

    body = ngx_http_hrx_webhook_body(r, NGX_HTTP_HRX_WEBHOOK_BODY_MAX,
                                     &len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (len > NGX_HTTP_HRX_WEBHOOK_BODY_MAX) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "body_too_large", NULL,
                                       "a delivery is at most %d bytes",
                                       NGX_HTTP_HRX_WEBHOOK_BODY_MAX);
    }

    sig = ngx_http_hrx_request_header(r, "X-Line-Signature",
                                      sizeof("X-Line-Signature") - 1);

    if (sig == NULL
        || !hrx_line_signature_ok((const char *) s->secret, s->len, body,
                                  len, (const char *) sig->value.data,
                                  sig->value.len))
    {
        return ngx_http_hrx_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                       "invalid_signature",
                                       "X-Line-Signature",
                                       "X-Line-Signature is %s",
                                       sig ? "not the body's signature "
                                             "with the channel secret"
                                           : "missing");
    }

    /* the ring carries text: LINE sends UTF-8 JSON */
    v = json_stringn((const char *) body, len);
    if (v == NULL) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_body", NULL,
                                       "the body is not UTF-8 text");
    }

    /* signed by the channel, but not a delivery: nothing is kept */
    events = hrx_line_events_extract(body, len, err, sizeof(err));
    if (events == NULL) {
        json_decref(v);
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_body", "body",
                                       "not a LINE webhook delivery: %s",
                                       err);
    }

    ctx->args = json_pack("{s:o, s:o}", "body", v, "events", events);
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_command(r, ctx, "line.webhook", ctx->id, 0,
                                ctx->args, ngx_http_hrx_webhook_done);
}


/* durable: what LINE expects */
static ngx_int_t
ngx_http_hrx_webhook_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    (void) ctx;

    if (status != NGX_HTTP_OK) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    return ngx_http_hrx_send(r, NGX_HTTP_OK, (u_char *) "{}", 2);
}


/*
 * The tenant's channel secret, opened: NGX_OK and *out, or NGX_DECLINED
 * with *rc what the handler returns (an error sent: 404 when LINE is not
 * connected).
 */
static ngx_int_t
ngx_http_hrx_webhook_secret(ngx_http_request_t *r, int64_t tenant_id,
    ngx_http_hrx_webhook_secret_t **out, ngx_int_t *rc)
{
    u_char                          aad[sizeof("line.channel_secret:")
                                        + NGX_INT64_LEN];
    u_char                         *buf;
    size_t                          n;
    int64_t                         known;
    ngx_int_t                       drc;
    ngx_http_hrx_main_conf_t       *hmcf;
    ngx_http_hrx_line_secrets_t     row;
    ngx_http_hrx_webhook_secret_t  *e;

    e = &ngx_http_hrx_webhook_cache[tenant_id
                                    & (NGX_HTTP_HRX_WEBHOOK_CACHE - 1)];

    known = (e->tenant_id == tenant_id) ? e->updated_at : -1;

    drc = ngx_http_hrx_db_line_secrets(r, tenant_id, known, &row);

    if (drc == NGX_OK && !row.connected) {
        drc = NGX_DECLINED;
    }

    if (drc == NGX_DECLINED) {
        *rc = ngx_http_hrx_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                      NULL, "no LINE channel is connected "
                                      "for tenant %L", tenant_id);
        return NGX_DECLINED;
    }

    if (drc != NGX_OK) {
        *rc = ngx_http_hrx_send_found(r, drc, NULL, "LINE settings");
        return NGX_DECLINED;
    }

    if (row.unchanged) {
        *out = e;
        return NGX_OK;
    }

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK) {
        *rc = ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "key_unavailable", NULL,
                                      "the key for secrets is not "
                                      "available (master.key)");
        return NGX_DECLINED;
    }

    if (row.channel_secret.len <= HRX_SEAL_OVERHEAD
        || row.channel_secret.len - HRX_SEAL_OVERHEAD
           > NGX_HTTP_HRX_WEBHOOK_SECRET_MAX)
    {
        goto broken;
    }

    buf = ngx_pnalloc(r->pool, row.channel_secret.len);
    if (buf == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    *ngx_sprintf(aad, "line.channel_secret:%L", tenant_id) = '\0';

    if (hrx_open(ngx_http_hrx_worker.seal_key, (const char *) aad,
                 row.channel_secret.data, row.channel_secret.len,
                 (char *) buf, &n)
        != 0)
    {
        goto broken;
    }

    ngx_explicit_memzero(e->secret, sizeof(e->secret));
    ngx_memcpy(e->secret, buf, n);
    e->secret[n] = '\0';
    e->len = n;
    e->tenant_id = tenant_id;
    e->updated_at = row.updated_at;

    ngx_explicit_memzero(buf, n);

    *out = e;
    return NGX_OK;

broken:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "hrx: the LINE channel secret of tenant %L does not open",
                  tenant_id);

    e->tenant_id = 0;

    *rc = ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "internal", NULL,
                                  "the channel secret cannot be read");
    return NGX_DECLINED;
}


/*
 * The whole body: a single memory buffer as it is, else the buffers
 * (memory, or a temp file nginx spilled it to) copied in order.  "" with
 * *len 0 when there is none; *len its size, and nothing copied, when it
 * is over the limit; NULL on failure.
 */
u_char *
ngx_http_hrx_webhook_body(ngx_http_request_t *r, size_t max, size_t *len)
{
    off_t         size;
    u_char       *buf, *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    *len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return (u_char *) "";
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        *len = cl->buf->last - cl->buf->pos;
        return *len ? cl->buf->pos : (u_char *) "";     /* pos may be NULL */
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        size += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    if ((size_t) size > max) {
        *len = (size_t) size;
        return (u_char *) "";
    }

    buf = ngx_pnalloc(r->pool, (size_t) size + 1);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "hrx: read %z of %O bytes of a webhook delivery "
                          "from \"%V\"", n, b->file_last - b->file_pos,
                          &b->file->name);
            return NULL;
        }

        p += n;
    }

    *len = (size_t) size;

    return buf;
}


void
ngx_http_hrx_webhook_exit(void)
{
    ngx_explicit_memzero(ngx_http_hrx_webhook_cache,
                         sizeof(ngx_http_hrx_webhook_cache));
}
