/*
 * WhatsApp numbers (docs/whatsapp.md, WA-1), for integrations.admin:
 *
 *   GET    /api/v1/settings/whatsapp/numbers          the tenant's numbers
 *   POST   /api/v1/settings/whatsapp/numbers          connect one
 *   GET    /api/v1/settings/whatsapp/numbers/{id}
 *   PUT    /api/v1/settings/whatsapp/numbers/{id}     change it
 *   DELETE /api/v1/settings/whatsapp/numbers/{id}?confirm=true
 *
 * A number is a nickname, the WhatsApp Business Account (WABA) id, the
 * phone number id, a system-user access token, the Meta app's secret
 * (which signs the webhooks) and the verify token of the webhook
 * handshake.  Before anything is stored the worker runs the connect check
 * against the Graph API (hrx_whatsapp_api_url, hrx_whatsapp_api_version),
 * on the thread pool with libcurl's easy interface (blocking calls, 10 s
 * each: never on the event loop), the token always in the Authorization
 * header, never in a URL:
 *
 *   1. GET /{phone number id}?fields=display_phone_number,verified_name,
 *      quality_rating&appsecret_proof=<hex HMAC-SHA256(app secret,
 *      token)>: the token can read the number, and the app secret is the
 *      app's whose token it is (Meta checks a proof it is given: "Invalid
 *      appsecret_proof provided in the API argument", code 100);
 *   2. GET /{waba id}/phone_numbers?fields=id (cursor pages): the number
 *      is one of that WABA's.
 *
 * Meta's error code says which field is wrong (190 the token, 100 with
 * appsecret_proof the app secret, 100 otherwise the id asked for, 10 and
 * 200-299 the token's permissions): 422 whatsapp_check_failed with
 * "reason" and "field".  Meta not answering, 5xx, 429 and its throttling
 * codes are 502 whatsapp_unreachable.  Nothing is stored then.
 *
 * When the check passes the worker seals the three secrets (hrx_seal(),
 * aad "whatsapp.<column>:<tenant>:<phone number id>"), kept ones
 * included, so what is stored is what was checked, and sends
 * whatsapp_number.set; the number is read back after the reply.  No reply
 * ever holds a secret, only "secrets_set".
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <pthread.h>
#include <curl/curl.h>

#include "hrx_crypto.h"
#include "hrx_whatsapp.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_whatsapp.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db_whatsapp.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_task.h"
#include "ngx_http_hrx_validate.h"


#define NGX_HTTP_HRX_WA_ID_MAX        32        /* digits */
#define NGX_HTTP_HRX_WA_TOKEN_MAX     2048      /* bytes */
#define NGX_HTTP_HRX_WA_SECRET_MAX    256
#define NGX_HTTP_HRX_WA_TIMEOUT       10000     /* ms, each request */
#define NGX_HTTP_HRX_WA_CONNECT       5000      /* ms */
#define NGX_HTTP_HRX_WA_REPLY_MAX     262144    /* bytes of an answer */
#define NGX_HTTP_HRX_WA_PAGES         20        /* of a WABA's numbers */


typedef enum {
    NGX_HTTP_HRX_WA_OK = 0,
    NGX_HTTP_HRX_WA_FAILED,            /* 422 whatsapp_check_failed */
    NGX_HTTP_HRX_WA_UNREACHABLE,       /* 502 whatsapp_unreachable */
    NGX_HTTP_HRX_WA_INTERNAL           /* 500 */
} ngx_http_hrx_wa_outcome_e;


/* the connect check: what the pool thread reads and writes */
typedef struct {
    /* in: NUL-terminated pool copies (secrets wiped by the cleanup) */
    int64_t                      id;            /* 0: a new number */
    u_char                      *base;          /* <url>/<version> */
    ngx_str_t                    nickname;
    ngx_str_t                    waba_id;
    ngx_str_t                    phone_number_id;
    ngx_str_t                    unknown_senders;
    ngx_str_t                    access_token;
    ngx_str_t                    app_secret;
    ngx_str_t                    verify_token;

    /* out */
    ngx_http_hrx_wa_outcome_e    outcome;
    const char                  *reason;
    const char                  *field;
    char                         message[256];
    char                         display_phone_number[64];
    char                         verified_name[256];
    char                         quality_rating[32];
} ngx_http_hrx_wa_check_t;


typedef struct {
    char                         data[NGX_HTTP_HRX_WA_REPLY_MAX + 1];
    size_t                       len;
} ngx_http_hrx_wa_buf_t;


static ngx_int_t ngx_http_hrx_wa_check_graph_id(json_t *value,
    const char **why);
static ngx_int_t ngx_http_hrx_wa_check_secret(json_t *value,
    const char **why);
static ngx_int_t ngx_http_hrx_wa_check_senders(json_t *value,
    const char **why);
static ngx_int_t ngx_http_hrx_wa_start(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, int64_t id);
static void ngx_http_hrx_wa_thread(void *data, ngx_log_t *log);
static ngx_int_t ngx_http_hrx_wa_resume(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_wa_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);
static ngx_int_t ngx_http_hrx_wa_send_number(ngx_http_request_t *r,
    int64_t tenant_id, int64_t id, ngx_uint_t status);
static void ngx_http_hrx_wa_cleanup(void *data);
static ngx_int_t ngx_http_hrx_wa_webhook_url(ngx_http_request_t *r,
    json_t *obj);


const ngx_http_hrx_field_t  ngx_http_hrx_wa_number_schema[] = {
    { "nickname", NGX_HTTP_HRX_STRING, 1, 1, 100, NULL, NULL },
    { "waba_id", NGX_HTTP_HRX_STRING, 1, 1, NGX_HTTP_HRX_WA_ID_MAX,
      ngx_http_hrx_wa_check_graph_id, NULL },
    { "phone_number_id", NGX_HTTP_HRX_STRING, 1, 1, NGX_HTTP_HRX_WA_ID_MAX,
      ngx_http_hrx_wa_check_graph_id, NULL },
    { "access_token", NGX_HTTP_HRX_STRING, 0, 1, NGX_HTTP_HRX_WA_TOKEN_MAX,
      ngx_http_hrx_wa_check_secret, NULL },
    { "app_secret", NGX_HTTP_HRX_STRING, 0, 1, NGX_HTTP_HRX_WA_SECRET_MAX,
      ngx_http_hrx_wa_check_secret, NULL },
    { "verify_token", NGX_HTTP_HRX_STRING, 0, 8, NGX_HTTP_HRX_WA_SECRET_MAX,
      ngx_http_hrx_wa_check_secret, NULL },
    { "unknown_senders", NGX_HTTP_HRX_STRING, 0, 1, 16,
      ngx_http_hrx_wa_check_senders, NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};


static const char *const  ngx_http_hrx_wa_secret_names[] = {
    "access_token", "app_secret", "verify_token"
};


static pthread_once_t  ngx_http_hrx_wa_curl_once = PTHREAD_ONCE_INIT;
static CURLcode        ngx_http_hrx_wa_curl_rc = CURLE_FAILED_INIT;


/* ---- reads ---- */

/* the webhook URL to paste into Meta's App Dashboard, on obj */
static ngx_int_t
ngx_http_hrx_wa_webhook_url(ngx_http_request_t *r, json_t *obj)
{
    u_char                    *p, *last;
    json_int_t                 id;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    id = json_integer_value(json_object_get(obj, "id"));

    p = ngx_pnalloc(r->pool, hmcf->public_url.len + 64);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, "%V/webhooks/whatsapp/%L", &hmcf->public_url,
                       (int64_t) id);

    return json_object_set_new(obj, "webhook_url",
                               json_stringn((char *) p, last - p)) == 0
           ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_hrx_api_wa_list(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    size_t      i;
    json_t     *obj, *item;
    ngx_int_t   rc;

    obj = NULL;
    rc = ngx_http_hrx_db_wa_numbers(r, ctx->auth.tenant_id, &obj);

    if (rc == NGX_OK) {
        json_array_foreach(json_object_get(obj, "items"), i, item) {
            if (ngx_http_hrx_wa_webhook_url(r, item) != NGX_OK) {
                json_decref(obj);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    return ngx_http_hrx_send_found(r, rc, obj, "WhatsApp numbers");
}


ngx_int_t
ngx_http_hrx_api_wa_get(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_wa_send_number(r, ctx->auth.tenant_id, ctx->id,
                                       NGX_HTTP_OK);
}


/* a number with its webhook URL */
static ngx_int_t
ngx_http_hrx_wa_send_number(ngx_http_request_t *r, int64_t tenant_id,
    int64_t id, ngx_uint_t status)
{
    json_t     *obj;
    ngx_int_t   rc;

    obj = NULL;
    rc = ngx_http_hrx_db_wa_number(r, tenant_id, id, &obj);

    if (rc != NGX_OK) {
        return ngx_http_hrx_send_found(r, rc, obj, "WhatsApp number");
    }

    if (ngx_http_hrx_wa_webhook_url(r, obj) != NGX_OK) {
        json_decref(obj);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_send_json(r, status, obj);
}


/* ---- POST and PUT ---- */

ngx_int_t
ngx_http_hrx_api_wa_create(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_uint_t  i;

    for (i = 0; i < 3; i++) {
        if (!json_is_string(json_object_get(ctx->body,
                                            ngx_http_hrx_wa_secret_names[i])))
        {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "required",
                                           ngx_http_hrx_wa_secret_names[i],
                                           "\"%s\" is required",
                                           ngx_http_hrx_wa_secret_names[i]);
        }
    }

    return ngx_http_hrx_wa_start(r, ctx, 0);
}


ngx_int_t
ngx_http_hrx_api_wa_update(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    return ngx_http_hrx_wa_start(r, ctx, ctx->id);
}


/* a body member (NUL-terminated pool copy; a secret is wiped in the
 * parsed body, which is ours) */
static ngx_int_t
ngx_http_hrx_wa_member(ngx_http_request_t *r, json_t *body, const char *name,
    ngx_uint_t secret, ngx_str_t *out)
{
    json_t  *v;

    v = json_object_get(body, name);

    if (!json_is_string(v)) {
        ngx_str_null(out);
        return NGX_OK;
    }

    out->len = json_string_length(v);
    out->data = ngx_pnalloc(r->pool, out->len + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    *ngx_cpymem(out->data, json_string_value(v), out->len) = '\0';

    if (secret) {
        ngx_explicit_memzero((char *) json_string_value(v), out->len);
    }

    return NGX_OK;
}


/* the stored secret, opened (aad "whatsapp.<name>:<tenant>:<pnid>") */
static ngx_int_t
ngx_http_hrx_wa_open(ngx_http_request_t *r, int64_t tenant_id,
    ngx_str_t *pnid, const char *name, ngx_str_t *sealed, ngx_str_t *out)
{
    u_char  *aad;
    size_t   n;

    aad = ngx_pnalloc(r->pool, sizeof("whatsapp.::") + 32 + NGX_INT64_LEN
                               + pnid->len);
    out->data = ngx_pnalloc(r->pool, sealed->len + 1);

    if (aad == NULL || out->data == NULL || sealed->len <= HRX_SEAL_OVERHEAD)
    {
        return NGX_ERROR;
    }

    *ngx_sprintf(aad, "whatsapp.%s:%L:%V", name, tenant_id, pnid) = '\0';

    if (hrx_open(ngx_http_hrx_worker.seal_key, (const char *) aad,
                 sealed->data, sealed->len, (char *) out->data, &n)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: the stored WhatsApp %s of tenant %L does not "
                      "open", name, tenant_id);
        return NGX_ERROR;
    }

    out->len = n;
    out->data[n] = '\0';

    return NGX_OK;
}


static json_t *
ngx_http_hrx_wa_seal(ngx_http_request_t *r, int64_t tenant_id,
    ngx_str_t *pnid, const char *name, ngx_str_t *plain)
{
    u_char  *aad, *box, *text;
    size_t   n;

    aad = ngx_pnalloc(r->pool, sizeof("whatsapp.::") + 32 + NGX_INT64_LEN
                               + pnid->len);
    box = ngx_pnalloc(r->pool, plain->len + HRX_SEAL_OVERHEAD);
    text = ngx_pnalloc(r->pool,
                       hrx_b64url_len(plain->len + HRX_SEAL_OVERHEAD) + 1);

    if (aad == NULL || box == NULL || text == NULL) {
        return NULL;
    }

    *ngx_sprintf(aad, "whatsapp.%s:%L:%V", name, tenant_id, pnid) = '\0';

    if (hrx_seal(ngx_http_hrx_worker.seal_key, (const char *) aad,
                 plain->data, plain->len, box)
        != 0)
    {
        return NULL;
    }

    n = hrx_b64url_encode(box, plain->len + HRX_SEAL_OVERHEAD, (char *) text);

    return json_stringn((const char *) text, n);
}


static ngx_int_t
ngx_http_hrx_wa_start(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    int64_t id)
{
    u_char                     *last;
    json_t                     *cur;
    ngx_str_t                  *plain[3], *sealed[3];
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    ngx_pool_cleanup_t         *cln;
    ngx_http_hrx_loc_conf_t    *hlcf;
    ngx_http_hrx_main_conf_t   *hmcf;
    ngx_http_hrx_wa_check_t    *t;
    ngx_http_hrx_wa_secrets_t   stored;

    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);
    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_wa_check_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (t == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_hrx_wa_cleanup;
    cln->data = t;
    t->id = id;

    if (ngx_http_hrx_wa_member(r, ctx->body, "nickname", 0, &t->nickname)
        != NGX_OK
        || ngx_http_hrx_wa_member(r, ctx->body, "waba_id", 0, &t->waba_id)
           != NGX_OK
        || ngx_http_hrx_wa_member(r, ctx->body, "phone_number_id", 0,
                                  &t->phone_number_id) != NGX_OK
        || ngx_http_hrx_wa_member(r, ctx->body, "unknown_senders", 0,
                                  &t->unknown_senders) != NGX_OK
        || ngx_http_hrx_wa_member(r, ctx->body, "access_token", 1,
                                  &t->access_token) != NGX_OK
        || ngx_http_hrx_wa_member(r, ctx->body, "app_secret", 1,
                                  &t->app_secret) != NGX_OK
        || ngx_http_hrx_wa_member(r, ctx->body, "verify_token", 1,
                                  &t->verify_token) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (id) {
        /* the number must be the tenant's; what is left out is kept */
        cur = NULL;
        rc = ngx_http_hrx_db_wa_number(r, ctx->auth.tenant_id, id, &cur);
        if (rc != NGX_OK) {
            return ngx_http_hrx_send_found(r, rc, cur, "WhatsApp number");
        }

        if (t->unknown_senders.data == NULL) {
            rc = ngx_http_hrx_wa_member(r, cur, "unknown_senders", 0,
                                        &t->unknown_senders);
            if (rc != NGX_OK) {
                json_decref(cur);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        json_decref(cur);

        rc = ngx_http_hrx_db_wa_secrets(r, ctx->auth.tenant_id, id, &stored);
        if (rc != NGX_OK) {
            return ngx_http_hrx_send_found(r, rc, NULL, "WhatsApp number");
        }

        plain[0] = &t->access_token;
        plain[1] = &t->app_secret;
        plain[2] = &t->verify_token;
        sealed[0] = &stored.access_token;
        sealed[1] = &stored.app_secret;
        sealed[2] = &stored.verify_token;

        for (i = 0; i < 3; i++) {
            if (plain[i]->data) {
                continue;
            }

            if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK)
            {
                return ngx_http_hrx_send_error(r,
                           NGX_HTTP_SERVICE_UNAVAILABLE, "key_unavailable",
                           NULL, "the key for secrets is not available "
                           "(master.key)");
            }

            if (ngx_http_hrx_wa_open(r, ctx->auth.tenant_id,
                                     &stored.phone_number_id,
                                     ngx_http_hrx_wa_secret_names[i],
                                     sealed[i], plain[i])
                != NGX_OK)
            {
                return ngx_http_hrx_send_error(r,
                           NGX_HTTP_INTERNAL_SERVER_ERROR, "internal",
                           ngx_http_hrx_wa_secret_names[i],
                           "the stored %s cannot be opened; give it again",
                           ngx_http_hrx_wa_secret_names[i]);
            }
        }
    }

    if (t->unknown_senders.data == NULL) {
        ngx_str_set(&t->unknown_senders, "candidate");
    }

    t->base = ngx_pnalloc(r->pool, hlcf->wa_api_url.len
                                   + hlcf->wa_api_version.len + 2);
    if (t->base == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_sprintf(t->base, "%V/%V", &hlcf->wa_api_url,
                       &hlcf->wa_api_version);
    *last = '\0';

    t->outcome = NGX_HTTP_HRX_WA_INTERNAL;

    return ngx_http_hrx_task_run(r, ctx, ngx_http_hrx_wa_thread, NULL, t,
                                 ngx_http_hrx_wa_resume,
                                 "too many requests are running; try "
                                 "again");
}


/* ---- the connect check, on a pool thread ---- */

static void
ngx_http_hrx_wa_curl_init(void)
{
    ngx_http_hrx_wa_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}


static size_t
ngx_http_hrx_wa_write(char *data, size_t size, size_t nmemb, void *userp)
{
    size_t                  n;
    ngx_http_hrx_wa_buf_t  *b = userp;

    n = size * nmemb;

    if (n > NGX_HTTP_HRX_WA_REPLY_MAX - b->len) {
        return 0;                   /* too long: CURLE_WRITE_ERROR */
    }

    ngx_memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';

    return n;
}


/*
 * GET base + path with the token as a Bearer header.  The HTTP status,
 * 0 when Meta could not be reached (message set), -1 out of memory; b
 * holds the answer.
 */
static long
ngx_http_hrx_wa_get(ngx_http_hrx_wa_check_t *t, const char *path,
    ngx_http_hrx_wa_buf_t *b)
{
    long                status;
    char               *url, *auth;
    size_t              len;
    CURL               *c;
    CURLcode            rc;
    struct curl_slist  *headers, *h;

    b->len = 0;
    b->data[0] = '\0';
    status = -1;
    headers = NULL;

    len = ngx_strlen(t->base) + ngx_strlen(path) + 1;
    url = malloc(len);
    len = sizeof("Authorization: Bearer ") + t->access_token.len;
    auth = malloc(len);
    c = curl_easy_init();

    if (url == NULL || auth == NULL || c == NULL) {
        goto done;
    }

    ngx_snprintf((u_char *) url, ngx_strlen(t->base) + ngx_strlen(path) + 1,
                 "%s%s%Z", t->base, path);
    ngx_snprintf((u_char *) auth, len, "Authorization: Bearer %V%Z",
                 &t->access_token);

    h = curl_slist_append(NULL, auth);
    if (h == NULL) {
        goto done;
    }

    headers = h;

    (void) curl_easy_setopt(c, CURLOPT_URL, url);
    (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    (void) curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    (void) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                            (long) NGX_HTTP_HRX_WA_TIMEOUT);
    (void) curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                            (long) NGX_HTTP_HRX_WA_CONNECT);
    (void) curl_easy_setopt(c, CURLOPT_USERAGENT, "hrx");
    (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ngx_http_hrx_wa_write);
    (void) curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    (void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

    rc = curl_easy_perform(c);

    if (rc != CURLE_OK) {
        status = 0;
        ngx_snprintf((u_char *) t->message, sizeof(t->message) - 1,
                     "WhatsApp (%s) did not answer: %s%Z", t->base,
                     curl_easy_strerror(rc));

    } else {
        (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }

done:

    curl_slist_free_all(headers);

    if (c) {
        curl_easy_cleanup(c);
    }

    free(url);

    if (auth) {
        ngx_explicit_memzero(auth, ngx_strlen(auth));
        free(auth);
    }

    return status;
}


static void
ngx_http_hrx_wa_fail(ngx_http_hrx_wa_check_t *t, const char *reason,
    const char *field, const char *message)
{
    t->outcome = NGX_HTTP_HRX_WA_FAILED;
    t->reason = reason;
    t->field = field;
    ngx_cpystrn((u_char *) t->message, (u_char *) message,
                sizeof(t->message));
}


/*
 * Meta refused a request about the object in field ("phone_number_id"
 * or "waba_id"): its error code says which value is wrong (Graph API
 * error object {"error":{"message","type","code",...}}).  1 when the
 * outcome is set.
 */
static ngx_uint_t
ngx_http_hrx_wa_refused(ngx_http_hrx_wa_check_t *t, long status,
    ngx_http_hrx_wa_buf_t *b, const char *field)
{
    json_t       *j, *e;
    json_int_t    code;
    const char   *msg;

    if (status == 0 || status >= 500 || status == 429) {
        t->outcome = NGX_HTTP_HRX_WA_UNREACHABLE;

        if (status != 0) {
            ngx_snprintf((u_char *) t->message, sizeof(t->message) - 1,
                         "WhatsApp answered %l; try again later%Z", status);
        }

        return 1;
    }

    if (status < 0) {
        t->outcome = NGX_HTTP_HRX_WA_INTERNAL;
        return 1;
    }

    if (status == 200) {
        return 0;
    }

    j = json_loadb(b->data, b->len, 0, NULL);
    e = json_object_get(j, "error");
    code = json_integer_value(json_object_get(e, "code"));
    msg = json_string_value(json_object_get(e, "message"));

    if (code == 190) {
        ngx_http_hrx_wa_fail(t, "access_token_invalid", "access_token",
                             "Meta does not accept the access token "
                             "(expired or revoked?)");

    } else if (code == 100 && msg && ngx_strstr(msg, "appsecret_proof")) {
        ngx_http_hrx_wa_fail(t, "app_secret_wrong", "app_secret",
                             "the app secret is not the secret of the app "
                             "that issued the access token");

    } else if (code == 100 && ngx_strcmp(field, "waba_id") == 0) {
        ngx_http_hrx_wa_fail(t, "waba_not_found", "waba_id",
                             "no WhatsApp Business Account with this id "
                             "can be read with this access token");

    } else if (code == 100) {
        ngx_http_hrx_wa_fail(t, "phone_number_not_found", "phone_number_id",
                             "no phone number with this id can be read "
                             "with this access token");

    } else if (code == 10 || (code >= 200 && code <= 299)) {
        ngx_http_hrx_wa_fail(t, "access_token_no_permission",
                             "access_token",
                             "the access token lacks the permission "
                             "whatsapp_business_management or "
                             "whatsapp_business_messaging for this number");

    } else if (code == 4 || code == 80007 || code == 1 || code == 2
               || code == 130429)
    {
        t->outcome = NGX_HTTP_HRX_WA_UNREACHABLE;
        ngx_snprintf((u_char *) t->message, sizeof(t->message) - 1,
                     "WhatsApp is busy (error %L); try again later%Z",
                     (int64_t) code);

    } else {
        t->outcome = NGX_HTTP_HRX_WA_FAILED;
        t->reason = "refused";
        t->field = field;
        ngx_snprintf((u_char *) t->message, sizeof(t->message) - 1,
                     "WhatsApp refused the check (HTTP %l, error %L)%Z",
                     status, (int64_t) code);
    }

    json_decref(j);

    return 1;
}


static void
ngx_http_hrx_wa_copy(json_t *obj, const char *key, char *buf, size_t size)
{
    const char  *s;

    s = json_string_value(json_object_get(obj, key));

    if (s) {
        ngx_cpystrn((u_char *) buf, (u_char *) s, size);
    }
}


static void
ngx_http_hrx_wa_thread(void *data, ngx_log_t *log)
{
    ngx_http_hrx_wa_check_t *t = data;

    long                    status;
    CURL                   *c;
    char                   *path, *after;
    json_t                 *j, *item;
    size_t                  i, size;
    ngx_uint_t              page, found;
    const char             *s;
    ngx_http_hrx_wa_buf_t  *b;
    char                    proof[HRX_WA_HMAC_HEX_SIZE];

    (void) pthread_once(&ngx_http_hrx_wa_curl_once,
                        ngx_http_hrx_wa_curl_init);

    if (ngx_http_hrx_wa_curl_rc != CURLE_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "hrx: curl_global_init: %s",
                      curl_easy_strerror(ngx_http_hrx_wa_curl_rc));
        return;
    }

    size = 512;
    b = malloc(sizeof(ngx_http_hrx_wa_buf_t));
    path = malloc(size);
    c = curl_easy_init();           /* for escaping only */
    after = NULL;

    if (b == NULL || path == NULL || c == NULL) {
        goto done;
    }

    hrx_wa_hmac_hex(t->app_secret.data, t->app_secret.len,
                    t->access_token.data, t->access_token.len, proof);

    /* 1. the number, read with the token, the app secret proven */

    ngx_snprintf((u_char *) path, size,
                 "/%V?fields=display_phone_number,verified_name,"
                 "quality_rating&appsecret_proof=%s%Z",
                 &t->phone_number_id, proof);

    status = ngx_http_hrx_wa_get(t, path, b);

    if (ngx_http_hrx_wa_refused(t, status, b, "phone_number_id")) {
        goto done;
    }

    j = json_loadb(b->data, b->len, 0, NULL);
    s = json_string_value(json_object_get(j, "id"));

    if (s == NULL || ngx_strcmp(s, t->phone_number_id.data) != 0) {
        json_decref(j);
        t->outcome = NGX_HTTP_HRX_WA_UNREACHABLE;
        ngx_cpystrn((u_char *) t->message,
                    (u_char *) "WhatsApp's answer about the phone number "
                    "is not about it", sizeof(t->message));
        goto done;
    }

    ngx_http_hrx_wa_copy(j, "display_phone_number", t->display_phone_number,
                         sizeof(t->display_phone_number));
    ngx_http_hrx_wa_copy(j, "verified_name", t->verified_name,
                         sizeof(t->verified_name));
    ngx_http_hrx_wa_copy(j, "quality_rating", t->quality_rating,
                         sizeof(t->quality_rating));
    json_decref(j);

    /* 2. the number is the WABA's: its numbers, page by page */

    found = 0;

    for (page = 0; page < NGX_HTTP_HRX_WA_PAGES && !found; page++) {
        ngx_snprintf((u_char *) path, size,
                     "/%V/phone_numbers?fields=id&limit=100"
                     "&appsecret_proof=%s%s%s%Z", &t->waba_id, proof,
                     after ? "&after=" : "", after ? after : "");

        if (after) {
            curl_free(after);
            after = NULL;
        }

        status = ngx_http_hrx_wa_get(t, path, b);

        if (ngx_http_hrx_wa_refused(t, status, b, "waba_id")) {
            goto done;
        }

        j = json_loadb(b->data, b->len, 0, NULL);

        json_array_foreach(json_object_get(j, "data"), i, item) {
            s = json_string_value(json_object_get(item, "id"));
            if (s && ngx_strcmp(s, t->phone_number_id.data) == 0) {
                found = 1;
            }
        }

        /* the next page by its cursor, never by a URL Meta gave */
        s = json_string_value(json_object_get(json_object_get(
                json_object_get(j, "paging"), "cursors"), "after"));

        if (!found && s && json_object_get(json_object_get(j, "paging"),
                                           "next")
            && ngx_strlen(s) < 256)
        {
            after = curl_easy_escape(c, s, 0);
        }

        json_decref(j);

        if (after == NULL) {
            break;
        }
    }

    if (!found) {
        ngx_http_hrx_wa_fail(t, "phone_number_not_in_waba",
                             "phone_number_id",
                             "this phone number is not one of this "
                             "WhatsApp Business Account's");
        goto done;
    }

    t->outcome = NGX_HTTP_HRX_WA_OK;

done:

    ngx_explicit_memzero(proof, sizeof(proof));

    if (after) {
        curl_free(after);
    }

    if (c) {
        curl_easy_cleanup(c);
    }

    free(path);
    free(b);
}


/* ---- back on the event loop ---- */

static ngx_int_t
ngx_http_hrx_wa_resume(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t                    *v;
    ngx_str_t                 *plain[3];
    ngx_uint_t                 i;
    ngx_http_hrx_wa_check_t   *t;
    ngx_http_hrx_main_conf_t  *hmcf;

    t = ctx->task_data;

    switch (t->outcome) {

    case NGX_HTTP_HRX_WA_OK:
        break;

    case NGX_HTTP_HRX_WA_FAILED:
        return ngx_http_hrx_send_json(r, 422,
            json_pack("{s:{s:s, s:s, s:s, s:s}}", "error",
                      "code", "whatsapp_check_failed", "reason", t->reason,
                      "message", t->message, "field", t->field));

    case NGX_HTTP_HRX_WA_UNREACHABLE:
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_GATEWAY,
                                       "whatsapp_unreachable", NULL, "%s",
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

    ctx->args = json_pack("{s:s%, s:s%, s:s%, s:s%}",
                          "nickname", t->nickname.data, t->nickname.len,
                          "waba_id", t->waba_id.data, t->waba_id.len,
                          "phone_number_id", t->phone_number_id.data,
                          t->phone_number_id.len,
                          "unknown_senders", t->unknown_senders.data,
                          t->unknown_senders.len);
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (t->id
        && json_object_set_new(ctx->args, "id", json_integer(t->id)) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    plain[0] = &t->access_token;
    plain[1] = &t->app_secret;
    plain[2] = &t->verify_token;

    for (i = 0; i < 3; i++) {
        v = ngx_http_hrx_wa_seal(r, ctx->auth.tenant_id, &t->phone_number_id,
                                 ngx_http_hrx_wa_secret_names[i], plain[i]);
        if (v == NULL
            || json_object_set_new(ctx->args,
                                   ngx_http_hrx_wa_secret_names[i], v))
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* what Meta said, when it is usable text */
    if (t->display_phone_number[0]) {
        (void) json_object_set_new(ctx->args, "display_phone_number",
                                   json_string(t->display_phone_number));
    }

    if (t->verified_name[0]) {
        (void) json_object_set_new(ctx->args, "verified_name",
                                   json_string(t->verified_name));
    }

    if (t->quality_rating[0]) {
        (void) json_object_set_new(ctx->args, "quality_rating",
                                   json_string(t->quality_rating));
    }

    return ngx_http_hrx_command(r, ctx, "whatsapp_number.set",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, ngx_http_hrx_wa_done);
}


/* applied: the number as GET shows it; refused: the reply as it is */
static ngx_int_t
ngx_http_hrx_wa_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    json_t   *j;
    int64_t   id;

    if (status != NGX_HTTP_OK && status != NGX_HTTP_CREATED) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    j = json_loadb((const char *) body, len, 0, NULL);
    id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);

    if (id <= 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_wa_send_number(r, ctx->auth.tenant_id, id, status);
}


/* the request is going away: no plaintext secret stays in its memory */
static void
ngx_http_hrx_wa_cleanup(void *data)
{
    ngx_http_hrx_wa_check_t *t = data;

    if (t->access_token.data) {
        ngx_explicit_memzero(t->access_token.data, t->access_token.len);
    }

    if (t->app_secret.data) {
        ngx_explicit_memzero(t->app_secret.data, t->app_secret.len);
    }

    if (t->verify_token.data) {
        ngx_explicit_memzero(t->verify_token.data, t->verify_token.len);
    }
}


/* ---- DELETE ---- */

ngx_int_t
ngx_http_hrx_api_wa_delete(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_str_t  confirm;

    if (ngx_http_arg(r, (u_char *) "confirm", 7, &confirm) != NGX_OK
        || confirm.len != 4 || ngx_strncmp(confirm.data, "true", 4) != 0)
    {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "confirmation_required", "confirm",
                                       "disconnecting needs ?confirm=true: "
                                       "its webhook then refuses Meta's "
                                       "deliveries (404) and nothing can "
                                       "be sent from this number; the "
                                       "messages already received stay");
    }

    ctx->args = json_pack("{s:I, s:b}", "id", (json_int_t) ctx->id,
                          "confirm", 1);
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_command(r, ctx, "whatsapp_number.delete",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, NULL);
}


/* ---- value checks ---- */

static ngx_int_t
ngx_http_hrx_wa_check_graph_id(json_t *value, const char **why)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *why = "must be Meta's id (digits, from WhatsApp Manager or the "
                   "App Dashboard)";
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_hrx_wa_check_secret(json_t *value, const char **why)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    for (i = 0; i < len; i++) {
        if ((u_char) s[i] <= ' ' || (u_char) s[i] >= 0x7f) {
            *why = "must be printable ASCII without spaces, as Meta shows "
                   "it";
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_hrx_wa_check_senders(json_t *value, const char **why)
{
    const char  *s;

    s = json_string_value(value);

    if (ngx_strcmp(s, "candidate") != 0 && ngx_strcmp(s, "contact") != 0) {
        *why = "must be \"candidate\" or \"contact\"";
        return NGX_DECLINED;
    }

    return NGX_OK;
}
