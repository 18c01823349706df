/*
 * LINE settings (docs/line.md, LN-1, LN-10): GET, PUT and DELETE
 * /api/v1/settings/line, and GET /api/v1/line/unlinked-events, all for
 * integrations.admin.
 *
 * PUT takes the Messaging API channel (id, secret, access token) and the
 * LINE Login channel (id, secret); a secret left out keeps the stored
 * one.  Before anything is stored the worker runs the connect check
 * against LINE (hrx_line_api_url), on the thread pool with libcurl's easy
 * interface (blocking calls, each bounded by a 10 s timeout: never on the
 * event loop):
 *
 *   1. POST /v2/oauth/verify (access_token): its client_id must be the
 *      channel id -- else access_token_mismatch, or channels_swapped
 *      when it is the LINE Login channel's id;
 *   2. POST /v2/oauth/accessToken (client_credentials with the channel
 *      id and secret) must succeed -- else channel_secret_wrong;
 *   3. GET /v2/bot/info with the access token: the bot's basic id and
 *      name, shown to the admin and used for the add-friend link;
 *   4. (first, without the network) the LINE Login channel id must not
 *      be the Messaging API channel's -- channels_swapped.
 *
 * A failed check is 422 line_check_failed with "reason" and the field at
 * fault; LINE not answering (network, timeout, 5xx) is 502
 * line_unreachable.  Nothing is stored then.  When the check passes, the
 * worker seals the three secrets (hrx_seal(), aad "line.<column>:<tenant>")
 * -- the secrets it checked, kept ones included, so that what is stored is
 * what was checked -- and sends line_settings.set with the bot's info;
 * the settings are read back after the reply.  No reply ever holds a
 * secret, only "secrets_set".
 *
 * DELETE sends line.disconnect, which the scheduler refuses (409
 * line_in_use, saying how many) while a candidate is linked (LN-10).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <pthread.h>
#include <curl/curl.h>

#include "hrx_crypto.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_line.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_task.h"
#include "ngx_http_hrx_validate.h"


#define NGX_HTTP_HRX_LINE_ID_MAX       32        /* digits */
#define NGX_HTTP_HRX_LINE_SECRET_MAX   256       /* bytes */
#define NGX_HTTP_HRX_LINE_TOKEN_MAX    1024      /* bytes */
#define NGX_HTTP_HRX_LINE_TIMEOUT      10000     /* ms, each request */
#define NGX_HTTP_HRX_LINE_CONNECT      5000      /* ms */
#define NGX_HTTP_HRX_LINE_REPLY_MAX    65536     /* bytes of an answer */


typedef enum {
    NGX_HTTP_HRX_LINE_OK = 0,
    NGX_HTTP_HRX_LINE_FAILED,          /* 422 line_check_failed */
    NGX_HTTP_HRX_LINE_UNREACHABLE,     /* 502 line_unreachable */
    NGX_HTTP_HRX_LINE_INTERNAL         /* 500 */
} ngx_http_hrx_line_outcome_e;


/* the connect check: what the pool thread reads and writes */
typedef struct {
    ngx_http_request_t          *request;

    /* in: NUL-terminated pool copies (wiped by the cleanup) */
    u_char                      *api_url;
    ngx_str_t                    channel_id;
    ngx_str_t                    login_channel_id;
    ngx_str_t                    channel_secret;
    ngx_str_t                    access_token;
    ngx_str_t                    login_channel_secret;

    /* out */
    ngx_http_hrx_line_outcome_e  outcome;
    const char                  *reason;
    const char                  *field;
    char                         message[256];
    char                         bot_basic_id[64];
    char                         bot_name[801];
} ngx_http_hrx_line_check_t;


/* an answer of LINE, at most NGX_HTTP_HRX_LINE_REPLY_MAX bytes */
typedef struct {
    char                         data[NGX_HTTP_HRX_LINE_REPLY_MAX + 1];
    size_t                       len;
} ngx_http_hrx_line_buf_t;


static ngx_int_t ngx_http_hrx_check_channel_id(json_t *value,
    const char **why);
static ngx_int_t ngx_http_hrx_check_secret(json_t *value, const char **why);
static ngx_int_t ngx_http_hrx_line_secret(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_http_hrx_line_secrets_t *stored,
    const char *name, ngx_str_t *sealed, ngx_str_t *out, ngx_int_t *rc);
static ngx_int_t ngx_http_hrx_line_open(ngx_http_request_t *r,
    int64_t tenant_id, const char *name, ngx_str_t *sealed, ngx_str_t *out,
    ngx_int_t *rc);
static json_t *ngx_http_hrx_line_seal(ngx_http_request_t *r,
    int64_t tenant_id, const char *name, ngx_str_t *plain);
static void ngx_http_hrx_line_thread(void *data, ngx_log_t *log);
static ngx_int_t ngx_http_hrx_line_resume(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_line_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);
static ngx_int_t ngx_http_hrx_line_send_settings(ngx_http_request_t *r,
    int64_t tenant_id);
static void ngx_http_hrx_line_cleanup(void *data);


const ngx_http_hrx_field_t  ngx_http_hrx_line_settings_schema[] = {
    { "channel_id", NGX_HTTP_HRX_STRING, 1, 1, NGX_HTTP_HRX_LINE_ID_MAX,
      ngx_http_hrx_check_channel_id, NULL },
    { "channel_secret", NGX_HTTP_HRX_STRING, 0, 1,
      NGX_HTTP_HRX_LINE_SECRET_MAX, ngx_http_hrx_check_secret, NULL },
    { "access_token", NGX_HTTP_HRX_STRING, 0, 1, NGX_HTTP_HRX_LINE_TOKEN_MAX,
      ngx_http_hrx_check_secret, NULL },
    { "login_channel_id", NGX_HTTP_HRX_STRING, 1, 1,
      NGX_HTTP_HRX_LINE_ID_MAX, ngx_http_hrx_check_channel_id, NULL },
    { "login_channel_secret", NGX_HTTP_HRX_STRING, 0, 1,
      NGX_HTTP_HRX_LINE_SECRET_MAX, ngx_http_hrx_check_secret, NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};


static pthread_once_t  ngx_http_hrx_curl_once = PTHREAD_ONCE_INIT;
static CURLcode        ngx_http_hrx_curl_init_rc = CURLE_FAILED_INIT;


/* ---- GET /api/v1/settings/line ---- */

ngx_int_t
ngx_http_hrx_api_line_get(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_line_send_settings(r, ctx->auth.tenant_id);
}


/* the settings with the URLs to paste into the LINE console (LN-1) */
static ngx_int_t
ngx_http_hrx_line_send_settings(ngx_http_request_t *r, int64_t tenant_id)
{
    u_char                    *p, *last;
    json_t                    *obj;
    ngx_int_t                  rc;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    obj = NULL;
    rc = ngx_http_hrx_db_line_settings(r, tenant_id, &obj);

    if (rc != NGX_OK) {
        return ngx_http_hrx_send_found(r, rc, obj, "LINE settings");
    }

    p = ngx_pnalloc(r->pool, hmcf->public_url.len + 64);
    if (p == NULL) {
        json_decref(obj);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_sprintf(p, "%V/webhooks/line/%L", &hmcf->public_url,
                       tenant_id);

    if (json_object_set_new(obj, "webhook_url",
                            json_stringn((char *) p, last - p))
        != 0)
    {
        json_decref(obj);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_sprintf(p, "%V/line/callback", &hmcf->public_url);

    if (json_object_set_new(obj, "callback_url",
                            json_stringn((char *) p, last - p))
        != 0)
    {
        json_decref(obj);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_send_json(r, NGX_HTTP_OK, obj);
}


/* ---- PUT /api/v1/settings/line ---- */

ngx_int_t
ngx_http_hrx_api_line_put(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_str_t                     id, login_id;
    ngx_pool_cleanup_t           *cln;
    ngx_http_hrx_loc_conf_t      *hlcf;
    ngx_http_hrx_line_check_t    *t;
    ngx_http_hrx_line_secrets_t   stored;

    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    id.data = (u_char *) ngx_http_hrx_json_str(ctx->body, "channel_id");
    id.len = ngx_strlen(id.data);
    login_id.data = (u_char *) ngx_http_hrx_json_str(ctx->body,
                                                     "login_channel_id");
    login_id.len = ngx_strlen(login_id.data);

    /* check 4 needs no network: first */
    if (id.len == login_id.len && ngx_strcmp(id.data, login_id.data) == 0) {
        return ngx_http_hrx_send_json(r, 422,
            json_pack("{s:{s:s, s:s, s:s, s:s}}", "error",
                      "code", "line_check_failed",
                      "reason", "channels_swapped",
                      "message", "the LINE Login channel id is the "
                                 "Messaging API channel's",
                      "field", "login_channel_id"));
    }

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_line_check_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (t == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    t->request = r;
    cln->handler = ngx_http_hrx_line_cleanup;
    cln->data = t;

    t->channel_id = id;
    t->login_channel_id = login_id;

    /* secrets left out: the stored ones (read only when needed) */
    ngx_memzero(&stored, sizeof(ngx_http_hrx_line_secrets_t));
    stored.updated_at = -1;

    if (ngx_http_hrx_line_secret(r, ctx, &stored, "channel_secret",
                                 &stored.channel_secret, &t->channel_secret,
                                 &rc)
        != NGX_OK
        || ngx_http_hrx_line_secret(r, ctx, &stored, "access_token",
                                    &stored.access_token, &t->access_token,
                                    &rc)
           != NGX_OK
        || ngx_http_hrx_line_secret(r, ctx, &stored, "login_channel_secret",
                                    &stored.login_channel_secret,
                                    &t->login_channel_secret, &rc)
           != NGX_OK)
    {
        return rc;
    }

    t->api_url = ngx_pnalloc(r->pool, hlcf->line_api_url.len + 1);
    if (t->api_url == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *ngx_cpymem(t->api_url, hlcf->line_api_url.data,
                hlcf->line_api_url.len) = '\0';

    t->outcome = NGX_HTTP_HRX_LINE_INTERNAL;

    return ngx_http_hrx_task_run(r, ctx, ngx_http_hrx_line_thread, NULL, t,
                                 ngx_http_hrx_line_resume,
                                 "too many requests are running; try "
                                 "again");
}


/*
 * The plaintext of a secret: the body's member, or when it is absent the
 * stored one, opened.  NGX_OK and *out (NUL-terminated), or NGX_DECLINED
 * with *rc what the handler returns (an error sent).
 */
static ngx_int_t
ngx_http_hrx_line_secret(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_http_hrx_line_secrets_t *stored, const char *name, ngx_str_t *sealed,
    ngx_str_t *out, ngx_int_t *rc)
{
    json_t     *v;
    ngx_int_t   drc;

    v = json_object_get(ctx->body, name);

    if (json_is_string(v)) {
        out->len = json_string_length(v);
        out->data = ngx_pnalloc(r->pool, out->len + 1);
        if (out->data == NULL) {
            *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_DECLINED;
        }

        *ngx_cpymem(out->data, json_string_value(v), out->len) = '\0';

        /* the parsed body is ours: no other copy outlives the request */
        ngx_explicit_memzero((char *) json_string_value(v), out->len);

        return NGX_OK;
    }

    if (stored->updated_at == -1) {
        drc = ngx_http_hrx_db_line_secrets(r, ctx->auth.tenant_id, -1,
                                           stored);

        if (drc == NGX_DECLINED) {
            stored->updated_at = 0;

        } else if (drc != NGX_OK) {
            *rc = ngx_http_hrx_send_found(r, drc, NULL, "LINE settings");
            return NGX_DECLINED;
        }
    }

    if (sealed->data == NULL) {
        *rc = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST, "required",
                                      name, "\"%s\" is required: none is "
                                      "stored yet", name);
        return NGX_DECLINED;
    }

    return ngx_http_hrx_line_open(r, ctx->auth.tenant_id, name, sealed, out,
                                  rc);
}


static ngx_int_t
ngx_http_hrx_line_open(ngx_http_request_t *r, int64_t tenant_id,
    const char *name, ngx_str_t *sealed, ngx_str_t *out, ngx_int_t *rc)
{
    u_char                    *aad;
    size_t                     n;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK) {
        *rc = ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "key_unavailable", NULL,
                                      "the key for secrets is not "
                                      "available (master.key)");
        return NGX_DECLINED;
    }

    aad = ngx_pnalloc(r->pool, sizeof("line.:") + 32 + NGX_INT64_LEN);
    out->data = ngx_pnalloc(r->pool, sealed->len + 1);

    if (aad == NULL || out->data == NULL || sealed->len <= HRX_SEAL_OVERHEAD)
    {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    *ngx_sprintf(aad, "line.%s:%L", name, tenant_id) = '\0';

    if (hrx_open(ngx_http_hrx_worker.seal_key, (const char *) aad,
                 sealed->data, sealed->len, (char *) out->data, &n)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: the stored LINE %s of tenant %L does not open",
                      name, tenant_id);

        *rc = ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "internal", name,
                                      "the stored %s cannot be opened; "
                                      "give it again", name);
        return NGX_DECLINED;
    }

    out->len = n;

    return NGX_OK;
}


/* a secret sealed for this tenant's row, as base64url; NULL on failure */
static json_t *
ngx_http_hrx_line_seal(ngx_http_request_t *r, int64_t tenant_id,
    const char *name, ngx_str_t *plain)
{
    u_char  *aad, *box, *text;
    size_t   n;

    aad = ngx_pnalloc(r->pool, sizeof("line.:") + 32 + NGX_INT64_LEN);
    box = ngx_pnalloc(r->pool, plain->len + HRX_SEAL_OVERHEAD);
    text = ngx_pnalloc(r->pool,
                       hrx_b64url_len(plain->len + HRX_SEAL_OVERHEAD) + 1);

    if (aad == NULL || box == NULL || text == NULL) {
        return NULL;
    }

    *ngx_sprintf(aad, "line.%s:%L", name, tenant_id) = '\0';

    if (hrx_seal(ngx_http_hrx_worker.seal_key, (const char *) aad,
                 plain->data, plain->len, box)
        != 0)
    {
        return NULL;
    }

    n = hrx_b64url_encode(box, plain->len + HRX_SEAL_OVERHEAD, (char *) text);

    return json_stringn((const char *) text, n);
}


/* ---- the connect check, on a pool thread ---- */

static void
ngx_http_hrx_curl_init(void)
{
    ngx_http_hrx_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}


static size_t
ngx_http_hrx_line_write(char *data, size_t size, size_t nmemb, void *userp)
{
    size_t                    n;
    ngx_http_hrx_line_buf_t  *b = userp;

    n = size * nmemb;

    if (n > NGX_HTTP_HRX_LINE_REPLY_MAX - b->len) {
        return 0;                   /* too long: CURLE_WRITE_ERROR */
    }

    ngx_memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';

    return n;
}


/*
 * One request: form (NULL: a GET) to api_url + path, with bearer (may be
 * NULL).  The HTTP status, or 0 when LINE could not be reached (message
 * set); b holds the answer.
 */
static long
ngx_http_hrx_line_call(ngx_http_hrx_line_check_t *t, const char *path,
    const char *form, const char *bearer, ngx_http_hrx_line_buf_t *b)
{
    long                status;
    char               *url, *auth;
    size_t              len;
    CURL               *c;
    CURLcode            rc;
    struct curl_slist  *headers;

    b->len = 0;
    b->data[0] = '\0';
    status = 0;
    headers = NULL;
    auth = NULL;

    len = ngx_strlen(t->api_url) + ngx_strlen(path) + 1;
    url = malloc(len);
    if (url == NULL) {
        ngx_cpystrn((u_char *) t->message, (u_char *) "out of memory",
                    sizeof(t->message));
        return -1;
    }

    ngx_cpystrn(ngx_cpymem(url, t->api_url, ngx_strlen(t->api_url)),
                (u_char *) path, ngx_strlen(path) + 1);

    c = curl_easy_init();
    if (c == NULL) {
        free(url);
        ngx_cpystrn((u_char *) t->message, (u_char *) "cannot start curl",
                    sizeof(t->message));
        return -1;
    }

    if (bearer) {
        len = sizeof("Authorization: Bearer ") + ngx_strlen(bearer);
        auth = malloc(len);
        if (auth == NULL) {
            status = -1;
            goto failed;
        }

        ngx_cpystrn(ngx_cpymem(auth, "Authorization: Bearer ",
                               sizeof("Authorization: Bearer ") - 1),
                    (u_char *) bearer, ngx_strlen(bearer) + 1);

        headers = curl_slist_append(headers, auth);
        if (headers == NULL) {
            status = -1;
            goto failed;
        }
    }

    (void) curl_easy_setopt(c, CURLOPT_URL, url);
    (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    (void) curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    (void) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                            (long) NGX_HTTP_HRX_LINE_TIMEOUT);
    (void) curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                            (long) NGX_HTTP_HRX_LINE_CONNECT);
    (void) curl_easy_setopt(c, CURLOPT_USERAGENT, "hrx");
    (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION,
                            ngx_http_hrx_line_write);
    (void) curl_easy_setopt(c, CURLOPT_WRITEDATA, b);

    if (headers) {
        (void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    }

    if (form) {
        (void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    }

    rc = curl_easy_perform(c);

    if (rc != CURLE_OK) {
        ngx_snprintf((u_char *) t->message, sizeof(t->message) - 1,
                     "LINE (%s) did not answer: %s%Z", t->api_url,
                     curl_easy_strerror(rc));

    } else {
        (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }

failed:

    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    free(url);

    if (auth) {
        ngx_explicit_memzero(auth, ngx_strlen(auth));
        free(auth);
    }

    return status;
}


/* form a=b&c=d with every value escaped; malloc()ed (wiped by caller) */
static char *
ngx_http_hrx_line_form(CURL *c, const char **kv)
{
    char    *form, *e;
    size_t   len, n, i;

    len = 1;

    for (i = 0; kv[i]; i += 2) {
        len += ngx_strlen(kv[i]) + 2 + 3 * ngx_strlen(kv[i + 1]);
    }

    form = malloc(len);
    if (form == NULL) {
        return NULL;
    }

    n = 0;

    for (i = 0; kv[i]; i += 2) {
        e = curl_easy_escape(c, kv[i + 1], 0);
        if (e == NULL) {
            free(form);
            return NULL;
        }

        n += ngx_snprintf((u_char *) form + n, len - n, "%s%s=%s",
                          i ? "&" : "", kv[i], e)
             - ((u_char *) form + n);

        ngx_explicit_memzero(e, ngx_strlen(e));
        curl_free(e);
    }

    form[n] = '\0';

    return form;
}


static void
ngx_http_hrx_line_fail(ngx_http_hrx_line_check_t *t, const char *reason,
    const char *field, const char *message)
{
    t->outcome = NGX_HTTP_HRX_LINE_FAILED;
    t->reason = reason;
    t->field = field;
    ngx_cpystrn((u_char *) t->message, (u_char *) message,
                sizeof(t->message));
}


/* a status LINE gave: 0 (network) and 5xx are "unreachable" */
static ngx_uint_t
ngx_http_hrx_line_down(ngx_http_hrx_line_check_t *t, long status)
{
    if (status == 0 || status >= 500 || status == 429) {
        t->outcome = NGX_HTTP_HRX_LINE_UNREACHABLE;

        if (status != 0) {
            ngx_snprintf((u_char *) t->message, sizeof(t->message) - 1,
                         "LINE answered %l; try again later%Z", status);
        }

        return 1;
    }

    if (status < 0) {
        t->outcome = NGX_HTTP_HRX_LINE_INTERNAL;
        return 1;
    }

    return 0;
}


static void
ngx_http_hrx_line_thread(void *data, ngx_log_t *log)
{
    ngx_http_hrx_line_check_t *t = data;

    long                      status;
    CURL                     *c;
    char                     *form;
    json_t                   *j;
    const char               *s, *kv[7];
    ngx_http_hrx_line_buf_t  *b;

    (void) pthread_once(&ngx_http_hrx_curl_once, ngx_http_hrx_curl_init);

    if (ngx_http_hrx_curl_init_rc != CURLE_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "hrx: curl_global_init: %s",
                      curl_easy_strerror(ngx_http_hrx_curl_init_rc));
        return;
    }

    b = malloc(sizeof(ngx_http_hrx_line_buf_t));
    c = curl_easy_init();           /* for escaping only */
    form = NULL;

    if (b == NULL || c == NULL) {
        goto done;
    }

    /* 1. the access token, and whose it is */

    kv[0] = "access_token";
    kv[1] = (const char *) t->access_token.data;
    kv[2] = NULL;

    form = ngx_http_hrx_line_form(c, kv);
    if (form == NULL) {
        goto done;
    }

    status = ngx_http_hrx_line_call(t, "/v2/oauth/verify", form, NULL, b);

    ngx_explicit_memzero(form, ngx_strlen(form));
    free(form);
    form = NULL;

    if (ngx_http_hrx_line_down(t, status)) {
        goto done;
    }

    if (status != 200) {
        ngx_http_hrx_line_fail(t, "access_token_invalid", "access_token",
                               "LINE does not accept the access token "
                               "(expired or revoked?)");
        goto done;
    }

    j = json_loadb(b->data, b->len, 0, NULL);
    s = json_string_value(json_object_get(j, "client_id"));

    if (s == NULL) {
        json_decref(j);
        t->outcome = NGX_HTTP_HRX_LINE_UNREACHABLE;
        ngx_cpystrn((u_char *) t->message,
                    (u_char *) "LINE's answer to the token check has no "
                    "client_id", sizeof(t->message));
        goto done;
    }

    if (ngx_strcmp(s, t->channel_id.data) != 0) {

        if (ngx_strcmp(s, t->login_channel_id.data) == 0) {
            ngx_http_hrx_line_fail(t, "channels_swapped", "channel_id",
                                   "the channel ids are swapped: the "
                                   "access token belongs to the LINE "
                                   "Login channel's id");
        } else {
            ngx_http_hrx_line_fail(t, "access_token_mismatch",
                                   "access_token",
                                   "the access token belongs to another "
                                   "channel");
        }

        json_decref(j);
        goto done;
    }

    json_decref(j);

    /* 2. the channel secret goes with the channel id */

    kv[0] = "grant_type";
    kv[1] = "client_credentials";
    kv[2] = "client_id";
    kv[3] = (const char *) t->channel_id.data;
    kv[4] = "client_secret";
    kv[5] = (const char *) t->channel_secret.data;
    kv[6] = NULL;

    form = ngx_http_hrx_line_form(c, kv);
    if (form == NULL) {
        goto done;
    }

    status = ngx_http_hrx_line_call(t, "/v2/oauth/accessToken", form, NULL,
                                    b);

    ngx_explicit_memzero(form, ngx_strlen(form));
    free(form);
    form = NULL;

    /* a token was issued: it is not kept (it expires by itself) */
    ngx_explicit_memzero(b->data, b->len);

    if (ngx_http_hrx_line_down(t, status)) {
        goto done;
    }

    if (status != 200) {
        ngx_http_hrx_line_fail(t, "channel_secret_wrong", "channel_secret",
                               "the channel secret is not this channel's");
        goto done;
    }

    /* 3. the bot */

    status = ngx_http_hrx_line_call(t, "/v2/bot/info", NULL,
                                    (const char *) t->access_token.data, b);

    if (ngx_http_hrx_line_down(t, status)) {
        goto done;
    }

    if (status != 200) {
        ngx_http_hrx_line_fail(t, "access_token_invalid", "access_token",
                               "LINE does not accept the access token for "
                               "the bot's information");
        goto done;
    }

    j = json_loadb(b->data, b->len, 0, NULL);

    s = json_string_value(json_object_get(j, "basicId"));
    if (s) {
        ngx_cpystrn((u_char *) t->bot_basic_id, (u_char *) s,
                    sizeof(t->bot_basic_id));
    }

    s = json_string_value(json_object_get(j, "displayName"));
    if (s) {
        ngx_cpystrn((u_char *) t->bot_name, (u_char *) s,
                    sizeof(t->bot_name));
    }

    json_decref(j);

    t->outcome = NGX_HTTP_HRX_LINE_OK;

done:

    if (c) {
        curl_easy_cleanup(c);
    }

    free(b);
}


/* ---- back on the event loop ---- */

static ngx_int_t
ngx_http_hrx_line_resume(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t                     *v;
    ngx_http_hrx_main_conf_t   *hmcf;
    ngx_http_hrx_line_check_t  *t;

    t = ctx->task_data;

    switch (t->outcome) {

    case NGX_HTTP_HRX_LINE_OK:
        break;

    case NGX_HTTP_HRX_LINE_FAILED:
        return ngx_http_hrx_send_json(r, 422,
            json_pack("{s:{s:s, s:s, s:s, s:s}}", "error",
                      "code", "line_check_failed", "reason", t->reason,
                      "message", t->message, "field", t->field));

    case NGX_HTTP_HRX_LINE_UNREACHABLE:
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_GATEWAY,
                                       "line_unreachable", NULL, "%s",
                                       t->message);

    default:
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the connect check could not run");
    }

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "key_unavailable", NULL,
                                       "the key for secrets is not "
                                       "available (master.key)");
    }

    ctx->args = json_pack("{s:s%, s:s%}",
                          "channel_id", t->channel_id.data,
                          t->channel_id.len,
                          "login_channel_id", t->login_channel_id.data,
                          t->login_channel_id.len);
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    v = ngx_http_hrx_line_seal(r, ctx->auth.tenant_id, "channel_secret",
                               &t->channel_secret);
    if (v == NULL || json_object_set_new(ctx->args, "channel_secret", v)) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    v = ngx_http_hrx_line_seal(r, ctx->auth.tenant_id, "access_token",
                               &t->access_token);
    if (v == NULL || json_object_set_new(ctx->args, "access_token", v)) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    v = ngx_http_hrx_line_seal(r, ctx->auth.tenant_id,
                               "login_channel_secret",
                               &t->login_channel_secret);
    if (v == NULL
        || json_object_set_new(ctx->args, "login_channel_secret", v))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* what LINE said, when it is usable text */
    v = json_string(t->bot_basic_id);
    if (t->bot_basic_id[0] && v) {
        (void) json_object_set_new(ctx->args, "bot_basic_id", v);

    } else {
        json_decref(v);
    }

    v = json_string(t->bot_name);
    if (t->bot_name[0] && v) {
        (void) json_object_set_new(ctx->args, "bot_name", v);

    } else {
        json_decref(v);
    }

    return ngx_http_hrx_command(r, ctx, "line_settings.set",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, ngx_http_hrx_line_done);
}


/* applied: the settings as GET shows them; refused: the reply as it is */
static ngx_int_t
ngx_http_hrx_line_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    if (status != NGX_HTTP_OK) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    return ngx_http_hrx_line_send_settings(r, ctx->auth.tenant_id);
}


/* the request is going away: no plaintext secret stays in its memory */
static void
ngx_http_hrx_line_cleanup(void *data)
{
    ngx_http_hrx_line_check_t *t = data;

    if (t->channel_secret.data) {
        ngx_explicit_memzero(t->channel_secret.data, t->channel_secret.len);
    }

    if (t->access_token.data) {
        ngx_explicit_memzero(t->access_token.data, t->access_token.len);
    }

    if (t->login_channel_secret.data) {
        ngx_explicit_memzero(t->login_channel_secret.data,
                             t->login_channel_secret.len);
    }
}


/* ---- DELETE /api/v1/settings/line ---- */

ngx_int_t
ngx_http_hrx_api_line_delete(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ctx->args = json_object();
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_command(r, ctx, "line.disconnect",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, NULL);
}


/* ---- GET /api/v1/line/unlinked-events ---- */

ngx_int_t
ngx_http_hrx_api_line_unlinked(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    json_t              *page;
    int64_t              after;
    ngx_int_t            rc;
    ngx_uint_t           limit;
    ngx_http_hrx_err_t   err;

    if (ngx_http_hrx_page_args(r, &limit, &after, &err) != NGX_OK) {
        return ngx_http_hrx_send_err(r, &err);
    }

    page = NULL;
    rc = ngx_http_hrx_db_line_unlinked(r, ctx->auth.tenant_id, after, limit,
                                       &page);

    return ngx_http_hrx_send_found(r, rc, page, "LINE events");
}


/* ---- value checks ---- */

static ngx_int_t
ngx_http_hrx_check_channel_id(json_t *value, const char **why)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *why = "must be the channel's id (digits, from the LINE "
                   "Developers console)";
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* printable ASCII, as LINE's secrets and tokens are */
static ngx_int_t
ngx_http_hrx_check_secret(json_t *value, const char **why)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    for (i = 0; i < len; i++) {
        if ((u_char) s[i] <= ' ' || (u_char) s[i] >= 0x7f) {
            *why = "must be printable ASCII without spaces, as LINE "
                   "shows it";
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}
