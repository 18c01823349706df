/*
 * The WhatsApp webhook (docs/whatsapp.md, WA-2, WA-13), one URL per
 * connected number, routes of the hrx_api table without a session:
 *
 *   GET  /webhooks/whatsapp/{id}   Meta's handshake: hub.mode=subscribe
 *                                  and hub.verify_token equal (constant
 *                                  time) to the number's verify token ->
 *                                  200 hub.challenge as text/plain;
 *                                  anything else 403.  No signature (Meta
 *                                  sends none on GET).
 *   POST /webhooks/whatsapp/{id}   a delivery: X-Hub-Signature-256 must
 *                                  be sha256=<lowercase hex HMAC-SHA256
 *                                  (app secret, raw body)>, compared in
 *                                  constant time on the bytes as they
 *                                  came (also when nginx spilled them to
 *                                  a temp file), else 401 and nothing
 *                                  stored; 200 only after the scheduler
 *                                  committed the raw delivery.
 *
 * A number that is not connected is 404.  A signed body that is not a
 * delivery (not JSON, not UTF-8, not "whatsapp_business_account" with an
 * entry array) is 400, nothing stored.  Meta batches: a body up to
 * HRX_WA_BODY_MAX (8 MiB; Meta's batches are reported up to about 3 MB)
 * is read.  One larger than HRX_WA_INLINE_MAX does not go through the
 * ring: a pool thread writes it to an import spool file (fsync'd, as an
 * import's rows are) and the command names the file, which the scheduler
 * removes with the commit.  The secrets are opened per request (one
 * AES-GCM open of a few bytes): a changed app secret is used at once.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <fcntl.h>
#include <unistd.h>

#include "hrx_crypto.h"
#include "hrx_import.h"
#include "hrx_whatsapp.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db_whatsapp.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_task.h"
#include "ngx_http_hrx_webhook.h"
#include "ngx_http_hrx_webhook_whatsapp.h"


#define NGX_HTTP_HRX_WA_SECRET_MAX   2048


/* a large delivery on its way to a spool file (pool thread) */
typedef struct {
    int64_t       tenant_id;
    int64_t       number_id;
    u_char       *body;
    size_t        len;
    const char   *dir;
    char          name[HRX_IMPORT_NAME_MAX];
    char          path[4096];
    ngx_uint_t    ok;
} ngx_http_hrx_wa_spool_t;


static ngx_int_t ngx_http_hrx_wa_secret(ngx_http_request_t *r,
    ngx_http_hrx_wa_secrets_t *row, const char *name, ngx_str_t *sealed,
    ngx_str_t *out);
static ngx_int_t ngx_http_hrx_wa_hook_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);
static void ngx_http_hrx_wa_spool_thread(void *data, ngx_log_t *log);
static ngx_int_t ngx_http_hrx_wa_spool_resume(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static int ngx_http_hrx_wa_count(void *data, const hrx_wa_item_t *item);


/* the number's row: NGX_OK, or NGX_DECLINED with *rc (an error sent) */
static ngx_int_t
ngx_http_hrx_wa_number_row(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_http_hrx_wa_secrets_t *row, ngx_int_t *rc)
{
    ngx_int_t  drc;

    drc = ngx_http_hrx_db_wa_secrets(r, 0, ctx->id, row);

    if (drc == NGX_DECLINED) {
        *rc = ngx_http_hrx_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                      NULL, "no WhatsApp number %L is "
                                      "connected", ctx->id);
        return NGX_DECLINED;
    }

    if (drc != NGX_OK) {
        *rc = ngx_http_hrx_send_found(r, drc, NULL, "WhatsApp number");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* a query argument, percent-decoded (NUL-terminated) into the pool */
static ngx_int_t
ngx_http_hrx_wa_arg(ngx_http_request_t *r, const char *name, ngx_str_t *out)
{
    u_char     *dst, *src;
    ngx_str_t   raw;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &raw) != NGX_OK) {
        ngx_str_null(out);
        return NGX_DECLINED;
    }

    out->data = ngx_pnalloc(r->pool, raw.len + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    dst = out->data;
    src = raw.data;
    ngx_unescape_uri(&dst, &src, raw.len, 0);
    out->len = dst - out->data;
    *dst = '\0';

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_webhook_wa_verify(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_str_t                   mode, token, challenge, verify, ct;
    ngx_http_hrx_wa_secrets_t   row;

    if (ngx_http_hrx_wa_number_row(r, ctx, &row, &rc) != NGX_OK) {
        return rc;
    }

    if (ngx_http_hrx_wa_arg(r, "hub.mode", &mode) == NGX_ERROR
        || ngx_http_hrx_wa_arg(r, "hub.verify_token", &token) == NGX_ERROR
        || ngx_http_hrx_wa_arg(r, "hub.challenge", &challenge) == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_hrx_wa_secret(r, &row, "verify_token", &row.verify_token,
                               &verify)
        != NGX_OK)
    {
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the verify token cannot be read");
    }

    rc = mode.data != NULL && mode.len == 9
         && ngx_strncmp(mode.data, "subscribe", 9) == 0
         && token.data != NULL && token.len == verify.len
         && hrx_ct_equal(token.data, verify.data, verify.len)
         && challenge.data != NULL && challenge.len > 0
         && challenge.len <= 1024;

    ngx_explicit_memzero(verify.data, verify.len);

    if (!rc) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                       "hub.verify_token",
                                       "hub.mode must be subscribe and "
                                       "hub.verify_token the number's "
                                       "verify token");
    }

    ngx_str_set(&ct, "text/plain; charset=utf-8");

    return ngx_http_hrx_send_text(r, NGX_HTTP_OK, &ct, challenge.data,
                                  challenge.len);
}


ngx_int_t
ngx_http_hrx_webhook_wa(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    u_char                     *body;
    char                        err[200];
    size_t                      len;
    json_t                     *root, *v;
    unsigned                    skipped;
    ngx_int_t                   rc;
    ngx_str_t                   secret;
    json_error_t                jerr;
    ngx_table_elt_t            *sig;
    ngx_http_hrx_wa_spool_t    *sp;
    ngx_http_hrx_main_conf_t   *hmcf;
    ngx_http_hrx_wa_secrets_t   row;

    if (ngx_http_hrx_wa_number_row(r, ctx, &row, &rc) != NGX_OK) {
        return rc;
    }

    body = ngx_http_hrx_webhook_body(r, HRX_WA_BODY_MAX, &len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (len > HRX_WA_BODY_MAX) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "body_too_large", NULL,
                                       "a delivery is at most %d bytes",
                                       HRX_WA_BODY_MAX);
    }

    if (ngx_http_hrx_wa_secret(r, &row, "app_secret", &row.app_secret,
                               &secret)
        != NGX_OK)
    {
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the app secret cannot be read");
    }

    sig = ngx_http_hrx_request_header(r, "X-Hub-Signature-256",
                                      sizeof("X-Hub-Signature-256") - 1);

    rc = sig != NULL
         && hrx_wa_signature_ok(secret.data, secret.len, body, len,
                                (const char *) sig->value.data,
                                sig->value.len);

    ngx_explicit_memzero(secret.data, secret.len);

    if (!rc) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                       "invalid_signature",
                                       "X-Hub-Signature-256",
                                       "X-Hub-Signature-256 is %s",
                                       sig ? "not the body's signature "
                                             "with the app secret"
                                           : "missing");
    }

    /* signed, but is it a delivery?  Refused before anything is kept */
    root = json_loadb((const char *) body, len, 0, &jerr);
    if (root == NULL) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_body", "body",
                                       "not JSON: %s", jerr.text);
    }

    rc = hrx_wa_delivery_each(root, ngx_http_hrx_wa_count, NULL, &skipped,
                              err, sizeof(err));
    json_decref(root);

    if (rc != 0) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_body", "body", "%s", err);
    }

    if (len <= HRX_WA_INLINE_MAX) {
        v = json_stringn((const char *) body, len);
        if (v == NULL) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "invalid_body", "body",
                                           "the body is not UTF-8 text");
        }

        ctx->args = json_pack("{s:I, s:o}", "number_id",
                              (json_int_t) ctx->id, "body", v);
        if (ctx->args == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_hrx_command(r, ctx, "whatsapp.webhook",
                                    row.tenant_id, 0, ctx->args,
                                    ngx_http_hrx_wa_hook_done);
    }

    /* too large for the ring: a spool file, written on a pool thread */
    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    sp = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_wa_spool_t));
    if (sp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sp->tenant_id = row.tenant_id;
    sp->number_id = ctx->id;
    sp->body = body;
    sp->len = len;
    sp->dir = (const char *) hmcf->import_dir;

    return ngx_http_hrx_task_run(r, ctx, ngx_http_hrx_wa_spool_thread, NULL,
                                 sp, ngx_http_hrx_wa_spool_resume,
                                 "too many requests are running; try "
                                 "again");
}


static int
ngx_http_hrx_wa_count(void *data, const hrx_wa_item_t *item)
{
    (void) data;
    (void) item;

    return 0;
}


/* durable: what Meta expects */
static ngx_int_t
ngx_http_hrx_wa_hook_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    (void) ctx;

    if (status != NGX_HTTP_OK) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    return ngx_http_hrx_send(r, NGX_HTTP_OK, (u_char *) "{}", 2);
}


static void
ngx_http_hrx_wa_spool_thread(void *data, ngx_log_t *log)
{
    ngx_http_hrx_wa_spool_t *sp = data;

    int       fd, dfd;
    u_char    rnd[8];
    size_t    i, off;
    ssize_t   n;

    if (mkdir(sp->dir, 0700) == -1 && errno != EEXIST) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno, "hrx: mkdir \"%s\"",
                      sp->dir);
        return;
    }

    if (hrx_random_bytes(rnd, sizeof(rnd)) != 0) {
        return;
    }

    /* a name hrx_import_name_valid() accepts */
    off = ngx_snprintf((u_char *) sp->name, sizeof(sp->name) - 1,
                       "wa-%P-%M-", ngx_getpid(), ngx_current_msec)
          - (u_char *) sp->name;

    for (i = 0; i < sizeof(rnd); i++) {
        off = ngx_snprintf((u_char *) sp->name + off,
                           sizeof(sp->name) - 1 - off, "%02xd", rnd[i])
              - (u_char *) sp->name;
    }

    ngx_snprintf((u_char *) sp->name + off, sizeof(sp->name) - off,
                 ".jsonl%Z");
    ngx_snprintf((u_char *) sp->path, sizeof(sp->path), "%s/%s%Z", sp->dir,
                 sp->name);

    fd = open(sp->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno, "hrx: open \"%s\"",
                      sp->path);
        return;
    }

    for (off = 0; off < sp->len; off += (size_t) n) {
        n = write(fd, sp->body + off, sp->len - off);
        if (n <= 0) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno, "hrx: write \"%s\"",
                          sp->path);
            (void) close(fd);
            (void) unlink(sp->path);
            return;
        }
    }

    if (fsync(fd) == -1 || close(fd) == -1) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno, "hrx: fsync \"%s\"",
                      sp->path);
        (void) unlink(sp->path);
        return;
    }

    dfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd == -1 || fsync(dfd) == -1) {
        if (dfd != -1) {
            (void) close(dfd);
        }
        (void) unlink(sp->path);
        return;
    }

    (void) close(dfd);

    sp->ok = 1;
}


static ngx_int_t
ngx_http_hrx_wa_spool_resume(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_http_hrx_wa_spool_t  *sp;

    sp = ctx->task_data;

    if (!sp->ok) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "unavailable", NULL,
                                       "the delivery could not be "
                                       "stored; Meta will send it again");
    }

    ctx->args = json_pack("{s:I, s:s}", "number_id",
                          (json_int_t) sp->number_id, "file", sp->name);
    if (ctx->args == NULL) {
        (void) unlink(sp->path);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* from here the scheduler removes the file (or the sweep does) */
    return ngx_http_hrx_command(r, ctx, "whatsapp.webhook", sp->tenant_id, 0,
                                ctx->args, ngx_http_hrx_wa_hook_done);
}


/* a stored secret of the number, opened (aad as the API sealed it) */
static ngx_int_t
ngx_http_hrx_wa_secret(ngx_http_request_t *r, ngx_http_hrx_wa_secrets_t *row,
    const char *name, ngx_str_t *sealed, ngx_str_t *out)
{
    u_char                    *aad;
    size_t                     n;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK
        || sealed->len <= HRX_SEAL_OVERHEAD
        || sealed->len - HRX_SEAL_OVERHEAD > NGX_HTTP_HRX_WA_SECRET_MAX)
    {
        return NGX_ERROR;
    }

    aad = ngx_pnalloc(r->pool, sizeof("whatsapp.::") + 32 + NGX_INT64_LEN
                               + row->phone_number_id.len);
    out->data = ngx_pnalloc(r->pool, sealed->len + 1);

    if (aad == NULL || out->data == NULL) {
        return NGX_ERROR;
    }

    *ngx_sprintf(aad, "whatsapp.%s:%L:%V", name, row->tenant_id,
                 &row->phone_number_id) = '\0';

    if (hrx_open(ngx_http_hrx_worker.seal_key, (const char *) aad,
                 sealed->data, sealed->len, (char *) out->data, &n)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: the WhatsApp %s of tenant %L does not open",
                      name, row->tenant_id);
        return NGX_ERROR;
    }

    out->len = n;
    out->data[n] = '\0';

    return NGX_OK;
}
