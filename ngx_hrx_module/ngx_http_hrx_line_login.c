/*
 * LINE friend registration: the pages behind {line.friend_url}
 * (docs/line.md, "Friend registration", LN-3…LN-5; SPEC UI-3, UI-4).
 *
 *   GET /line/friend/<token>
 *       The link of the mail: an hrx link token (shm/hrx_token.h) of kind
 *       HRX_TOKEN_LINE_FRIEND naming the tenant and the candidate, valid
 *       7 days.  Checked in this order, each with a page of its own:
 *       not a valid token (tampered, cut, another kind) -> "This link is
 *       not valid"; expired -> "This link has expired"; the tenant or the
 *       candidate gone -> not valid; the candidate already linked -> the
 *       done page, nothing else; the tenant's LINE not connected -> an
 *       error page.  Otherwise a 302 to LINE Login's authorize page with
 *       a fresh signed state (below), the state's nonce and
 *       bot_prompt=aggressive (LINE offers to add the official account as
 *       a friend during the login).  Nothing is written: a mail scanner
 *       that follows the link changes nothing.
 *
 *   GET /line/callback?code=…&state=…   (or ?error=…&state=…)
 *       Where LINE Login sends the candidate back.  The state is checked
 *       (signature, expiry) on the event loop, then the database: the
 *       nonce used before -> "This link was already used"; candidate
 *       gone -> not valid; already linked -> done; LINE not connected ->
 *       error.  The login channel secret is opened (hrx_open(), aad
 *       "line.login_channel_secret:<tenant>") and the slow part runs on
 *       the thread pool with libcurl: the code is exchanged at
 *       {login_api}/oauth2/v2.1/token, the id_token checked
 *       (hrx_line_id_token_check(): HS256 with the secret, aud = the
 *       login channel, nonce = the state's, exp), and the profile read at
 *       {login_api}/v2/profile (its userId must be the id_token's sub).
 *       Back on the event loop, the command line.link {candidate_id,
 *       line_user_id, nonce} goes to the scheduler, which decides
 *       race-free (scheduler/apply_line_link.c): done, replayed (already
 *       used), the LINE account linked to another candidate, the
 *       candidate linked to another LINE account.
 *
 * The login state
 *
 * The OAuth "state" parameter is a token of its own, version 1: 60 bytes
 * written as 80 characters of base64url (no padding):
 *
 *     0   version      1       always 1
 *     1   tenant_id    8       big-endian
 *     9   candidate_id 8
 *     17  expires_at   8       unix ms: made + 10 minutes
 *     25  nonce        16      random
 *     41  mac          19      HMAC-SHA256(K, bytes 0..40), truncated
 *
 * K = HMAC-SHA256(token_key, "hrx line login state v1"), token_key being
 * the worker's link-token key (hrx_token_key() of master.key): the state
 * is signed by the same secret as the links, narrowed to this use, so a
 * state never verifies as a link token nor a link token as a state (and
 * their lengths differ as well).  60 bytes are whole base64 groups, so
 * every character carries signed bits.  The nonce, as 22 characters of
 * base64url, is the OpenID Connect nonce sent to LINE (the id_token must
 * carry it back) and the replay key: line.link records it in
 * line_login_states, and a callback whose nonce is there is "already
 * used".  The state binds the login to the candidate of the link: nobody
 * can make one for another candidate, or make one live longer.
 *
 * Everything a page shows from outside (the company name, the bot's
 * basic id in the add-friend link) goes through ngx_http_hrx_page_send(),
 * which escapes it; what LINE answered goes to the error log only.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "hrx_crypto.h"
#include "hrx_line.h"
#include "hrx_shm.h"
#include "hrx_token.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_public.h"
#include "ngx_http_hrx_task.h"
#include "ngx_http_hrx_line_login.h"


#define NGX_HTTP_HRX_STATE_VERSION   1
#define NGX_HTTP_HRX_STATE_BODY      41
#define NGX_HTTP_HRX_STATE_MAC       19
#define NGX_HTTP_HRX_STATE_BYTES     (NGX_HTTP_HRX_STATE_BODY               \
                                      + NGX_HTTP_HRX_STATE_MAC)
#define NGX_HTTP_HRX_STATE_CHARS     hrx_b64url_len(NGX_HTTP_HRX_STATE_BYTES)
#define NGX_HTTP_HRX_STATE_TTL_MS    (10 * 60 * 1000)
#define NGX_HTTP_HRX_STATE_LABEL     "hrx line login state v1"

#define NGX_HTTP_HRX_NONCE_BYTES     16
#define NGX_HTTP_HRX_NONCE_CHARS     hrx_b64url_len(NGX_HTTP_HRX_NONCE_BYTES)

#define NGX_HTTP_HRX_CODE_MAX        512       /* LINE's are ~20 chars */
#define NGX_HTTP_HRX_LINE_USER_MAX   79
#define NGX_HTTP_HRX_LINE_BODY_MAX   (64 * 1024)   /* a LINE answer */
#define NGX_HTTP_HRX_LINE_TIMEOUT    10000     /* ms, per request */
#define NGX_HTTP_HRX_ADD_FRIEND      "https://line.me/R/ti/p/"

_Static_assert(NGX_HTTP_HRX_STATE_BYTES % 3 == 0, "whole base64 groups");


/* what the thread found out */
typedef enum {
    NGX_HTTP_HRX_LL_OK = 0,
    NGX_HTTP_HRX_LL_UNREACHABLE,      /* network, timeout, LINE's 5xx */
    NGX_HTTP_HRX_LL_CLIENT,           /* invalid_client: the login channel
                                         id or secret stored is wrong */
    NGX_HTTP_HRX_LL_GRANT,            /* the code was refused (spent,
                                         expired) */
    NGX_HTTP_HRX_LL_ID_TOKEN,         /* the id_token does not check */
    NGX_HTTP_HRX_LL_PROFILE,          /* no profile, or another user's */
    NGX_HTTP_HRX_LL_INTERNAL          /* out of memory, curl setup */
} ngx_http_hrx_ll_result_e;


/* the pages */
typedef enum {
    NGX_HTTP_HRX_LP_INVALID = 0,
    NGX_HTTP_HRX_LP_EXPIRED,
    NGX_HTTP_HRX_LP_STATE_EXPIRED,
    NGX_HTTP_HRX_LP_USED,
    NGX_HTTP_HRX_LP_DONE,
    NGX_HTTP_HRX_LP_NOT_CONNECTED,
    NGX_HTTP_HRX_LP_CANCELLED,
    NGX_HTTP_HRX_LP_FAILED,
    NGX_HTTP_HRX_LP_SETTINGS,
    NGX_HTTP_HRX_LP_TAKEN,
    NGX_HTTP_HRX_LP_OTHER_LINK,
    NGX_HTTP_HRX_LP_BUSY,
    NGX_HTTP_HRX_LP_ERROR
} ngx_http_hrx_lp_e;


/* one request of the flow: in r->pool */
typedef struct {
    ngx_uint_t                   lang;
    int64_t                      tenant_id;
    int64_t                      candidate_id;
    char                         nonce[NGX_HTTP_HRX_NONCE_CHARS + 1];
    ngx_str_t                    company;
    ngx_str_t                    bot_basic_id;

    /* for the thread: NUL-terminated, read only there */
    char                        *token_url;
    char                        *profile_url;
    char                        *redirect_uri;
    char                        *client_id;
    char                        *code;
    u_char                      *secret;      /* zeroed by a cleanup */
    size_t                       secret_len;

    /* what the thread wrote */
    ngx_http_hrx_ll_result_e     result;
    char                         line_user_id[NGX_HTTP_HRX_LINE_USER_MAX
                                              + 1];
    char                         err[256];
} ngx_http_hrx_ll_t;


/* an answer of LINE being read (malloc()ed: on a pool thread) */
typedef struct {
    char    *data;
    size_t   len;
    size_t   size;
    int      too_big;
} ngx_http_hrx_ll_body_t;


static ngx_int_t ngx_http_hrx_ll_page(ngx_http_request_t *r,
    ngx_http_hrx_ll_t *ll, ngx_http_hrx_lp_e which);
static ngx_int_t ngx_http_hrx_ll_state_key(uint8_t key[HRX_SHA256_SIZE]);
static ngx_int_t ngx_http_hrx_ll_state_make(int64_t tenant_id,
    int64_t candidate_id, int64_t now, u_char *state, char *nonce);
static ngx_int_t ngx_http_hrx_ll_state_check(ngx_str_t *s, int64_t now,
    int64_t *tenant_id, int64_t *candidate_id, char *nonce);
static ngx_int_t ngx_http_hrx_ll_arg(ngx_http_request_t *r, char *name,
    size_t len, size_t max, ngx_str_t *value);
static u_char *ngx_http_hrx_ll_cstr(ngx_pool_t *pool, u_char *a, size_t alen,
    const char *b);
static ngx_int_t ngx_http_hrx_ll_open_secret(ngx_http_request_t *r,
    ngx_http_hrx_ll_t *ll, ngx_str_t *sealed);
static void ngx_http_hrx_ll_secret_cleanup(void *data);
static void ngx_http_hrx_ll_work(void *data, ngx_log_t *log);
static long ngx_http_hrx_ll_http(const char *url, const char *form,
    const char *bearer, ngx_http_hrx_ll_body_t *body, char *err,
    size_t errlen);
static size_t ngx_http_hrx_ll_write(char *p, size_t size, size_t n,
    void *data);
static ngx_int_t ngx_http_hrx_ll_resume(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_ll_linked(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);
static void ngx_http_hrx_ll_printable(char *s);
static void ngx_http_hrx_ll_err(ngx_http_hrx_ll_t *ll,
    ngx_http_hrx_ll_result_e result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


static ngx_uint_t  ngx_http_hrx_curl_ready;


static const ngx_http_hrx_page_t  ngx_http_hrx_ll_pages[] = {

    [NGX_HTTP_HRX_LP_INVALID] = { NGX_HTTP_NOT_FOUND, 0,
      { "このリンクは無効です", "This link is not valid" },
      { "リンクが正しくないか、既に使えなくなっています。"
        "最新のメールのリンクを開くか、採用担当者にお問い合わせください。",
        "The link is incomplete or no longer in use. Open the link in the "
        "latest email, or contact the recruiting team." } },

    [NGX_HTTP_HRX_LP_EXPIRED] = { 410, 0,
      { "このリンクの有効期限が切れています", "This link has expired" },
      { "LINE友だち登録のリンクは7日間有効です。"
        "採用担当者に新しいリンクをご依頼ください。",
        "LINE registration links are valid for 7 days. Ask the recruiting "
        "team for a new link." } },

    [NGX_HTTP_HRX_LP_STATE_EXPIRED] = { 410, 0,
      { "ログインの有効期限が切れています", "This login has expired" },
      { "LINEログインに時間がかかりすぎました。"
        "メールのリンクからもう一度お試しください。",
        "The LINE login took too long. Open the link in the email again." }
    },

    [NGX_HTTP_HRX_LP_USED] = { NGX_HTTP_CONFLICT, 0,
      { "このリンクは既に使用されています", "This link was already used" },
      { "このログインは完了済みです。"
        "もう一度登録するには、メールのリンクを開き直してください。",
        "This login has already been completed. To register again, open "
        "the link in the email again." } },

    [NGX_HTTP_HRX_LP_DONE] = { NGX_HTTP_OK, 1,
      { "LINE連携が完了しました", "Your LINE account is linked" },
      { "今後のご案内をLINEでもお届けします。"
        "公式アカウントを友だち追加してください。",
        "You will also receive updates on LINE. Add the official account "
        "as a friend." } },

    [NGX_HTTP_HRX_LP_NOT_CONNECTED] = { NGX_HTTP_SERVICE_UNAVAILABLE, 0,
      { "現在LINE連携はご利用いただけません",
        "LINE registration is not available" },
      { "この企業はLINE連携を行っていません。"
        "採用担当者にお問い合わせください。",
        "This company does not use LINE at the moment. Contact the "
        "recruiting team." } },

    [NGX_HTTP_HRX_LP_CANCELLED] = { NGX_HTTP_BAD_REQUEST, 0,
      { "LINEログインがキャンセルされました", "LINE login was cancelled" },
      { "LINEアカウントは連携されていません。"
        "連携するには、メールのリンクをもう一度開いてください。",
        "Your LINE account was not linked. To link it, open the link in "
        "the email again." } },

    [NGX_HTTP_HRX_LP_FAILED] = { NGX_HTTP_BAD_GATEWAY, 0,
      { "LINE連携に失敗しました", "LINE registration failed" },
      { "LINEとの通信に失敗しました。"
        "しばらくしてから、メールのリンクをもう一度開いてください。",
        "hrx could not complete the login with LINE. Open the link in the "
        "email again in a few minutes." } },

    [NGX_HTTP_HRX_LP_SETTINGS] = { NGX_HTTP_BAD_GATEWAY, 0,
      { "LINE連携に失敗しました", "LINE registration failed" },
      { "この企業のLINEログイン設定に誤りがあるため、連携できませんでした。"
        "お手数ですが採用担当者にお知らせください。",
        "This company's LINE Login settings are not correct, so your LINE "
        "account could not be linked. Please tell the recruiting team." } },

    [NGX_HTTP_HRX_LP_TAKEN] = { NGX_HTTP_CONFLICT, 0,
      { "このLINEアカウントは連携済みです",
        "This LINE account is already linked" },
      { "このLINEアカウントは別の応募者情報に連携されています。"
        "採用担当者にお問い合わせください。",
        "This LINE account is linked to another applicant. Contact the "
        "recruiting team." } },

    [NGX_HTTP_HRX_LP_OTHER_LINK] = { NGX_HTTP_CONFLICT, 0,
      { "別のLINEアカウントが連携済みです",
        "Another LINE account is already linked" },
      { "あなたの応募情報には別のLINEアカウントが連携されています。"
        "連携の変更は採用担当者にお問い合わせください。",
        "Your application is already linked to another LINE account. "
        "Contact the recruiting team to change it." } },

    [NGX_HTTP_HRX_LP_BUSY] = { NGX_HTTP_SERVICE_UNAVAILABLE, 0,
      { "ただいま混み合っています", "The service is busy" },
      { "しばらくしてから、もう一度お試しください。",
        "Please try again in a moment." } },

    [NGX_HTTP_HRX_LP_ERROR] = { NGX_HTTP_INTERNAL_SERVER_ERROR, 0,
      { "エラーが発生しました", "Something went wrong" },
      { "しばらくしてから、メールのリンクをもう一度開いてください。",
        "Open the link in the email again in a few minutes." } },
};

static const char  *ngx_http_hrx_ll_add_friend[NGX_HTTP_HRX_LANGS] = {
    "友だち追加", "Add friend"
};


/* ---- GET /line/friend/<token> ---- */

ngx_int_t
ngx_http_hrx_line_friend(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_str_t *token)
{
    u_char                        *p;
    size_t                         len;
    int64_t                        now;
    ngx_int_t                      rc;
    ngx_str_t                      location, redirect, client;
    hrx_token_t                    t;
    ngx_http_hrx_ll_t             *ll;
    ngx_http_hrx_loc_conf_t       *hlcf;
    ngx_http_hrx_main_conf_t      *hmcf;
    ngx_http_hrx_line_login_row_t  row;
    u_char                         state[NGX_HTTP_HRX_STATE_CHARS + 1];

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);
    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    ll = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_ll_t));
    if (ll == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ll->lang = ngx_http_hrx_page_lang(r);
    ctx->task_data = ll;

    if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_BUSY);
    }

    now = (int64_t) hrx_wall_ms();

    rc = hrx_token_verify(ngx_http_hrx_worker.token_key,
                          (const char *) token->data, token->len, now, &t);

    if (rc == HRX_TOKEN_INVALID || t.kind != HRX_TOKEN_LINE_FRIEND) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_INVALID);
    }

    if (rc == HRX_TOKEN_EXPIRED) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_EXPIRED);
    }

    /* rc == HRX_TOKEN_OK */

    rc = ngx_http_hrx_db_line_login(r, t.tenant_id, t.candidate_id, NULL,
                                    &row);

    if (rc == NGX_BUSY) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_BUSY);
    }

    if (rc == NGX_ERROR) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_ERROR);
    }

    if (rc == NGX_DECLINED || !row.candidate) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_INVALID);
    }

    ll->company = row.company;
    ll->bot_basic_id = row.bot_basic_id;

    if (row.line_user_id.len) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_DONE);
    }

    if (!row.connected || row.login_channel_id.len == 0) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_NOT_CONNECTED);
    }

    if (ngx_http_hrx_ll_state_make(t.tenant_id, t.candidate_id, now, state,
                                   ll->nonce)
        != NGX_OK)
    {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_ERROR);
    }

    /* the parameters LINE gets back: escaped as URI components */

    redirect.len = hmcf->public_url.len + sizeof("/line/callback") - 1;
    redirect.data = ngx_http_hrx_ll_cstr(r->pool, hmcf->public_url.data,
                                         hmcf->public_url.len,
                                         "/line/callback");
    if (redirect.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    client = row.login_channel_id;

    len = hlcf->line_login_url.len
          + sizeof("/oauth2/v2.1/authorize?response_type=code&client_id=")
          + client.len * 3
          + sizeof("&redirect_uri=") + redirect.len * 3
          + sizeof("&state=") + NGX_HTTP_HRX_STATE_CHARS
          + sizeof("&scope=profile%20openid&nonce=")
          + NGX_HTTP_HRX_NONCE_CHARS
          + sizeof("&bot_prompt=aggressive");

    location.data = ngx_pnalloc(r->pool, len);
    if (location.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(location.data, hlcf->line_login_url.data,
                   hlcf->line_login_url.len);
    p = ngx_cpymem(p, "/oauth2/v2.1/authorize?response_type=code&client_id=",
                   sizeof("/oauth2/v2.1/authorize?response_type=code"
                          "&client_id=") - 1);
    p = (u_char *) ngx_escape_uri(p, client.data, client.len,
                                  NGX_ESCAPE_URI_COMPONENT);
    p = ngx_cpymem(p, "&redirect_uri=", sizeof("&redirect_uri=") - 1);
    p = (u_char *) ngx_escape_uri(p, redirect.data, redirect.len,
                                  NGX_ESCAPE_URI_COMPONENT);
    p = ngx_cpymem(p, "&state=", sizeof("&state=") - 1);
    p = ngx_cpymem(p, state, NGX_HTTP_HRX_STATE_CHARS);
    p = ngx_cpymem(p, "&scope=profile%20openid&nonce=",
                   sizeof("&scope=profile%20openid&nonce=") - 1);
    p = ngx_cpymem(p, ll->nonce, NGX_HTTP_HRX_NONCE_CHARS);
    p = ngx_cpymem(p, "&bot_prompt=aggressive",
                   sizeof("&bot_prompt=aggressive") - 1);

    location.len = p - location.data;

    return ngx_http_hrx_page_redirect(r, &location);
}


/* ---- GET /line/callback ---- */

ngx_int_t
ngx_http_hrx_line_callback(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    size_t                          n;
    int64_t                         now;
    ngx_int_t                       rc;
    ngx_str_t                       state, code, error, *api;
    ngx_http_hrx_ll_t              *ll;
    ngx_http_hrx_loc_conf_t        *hlcf;
    ngx_http_hrx_main_conf_t       *hmcf;
    ngx_http_hrx_line_login_row_t   row;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);
    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    ll = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_ll_t));
    if (ll == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ll->lang = ngx_http_hrx_page_lang(r);
    ctx->task_data = ll;

    if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_BUSY);
    }

    now = (int64_t) hrx_wall_ms();

    if (ngx_http_hrx_ll_arg(r, "state", 5, NGX_HTTP_HRX_STATE_CHARS, &state)
        != NGX_OK)
    {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_INVALID);
    }

    rc = ngx_http_hrx_ll_state_check(&state, now, &ll->tenant_id,
                                     &ll->candidate_id, ll->nonce);

    if (rc == NGX_DECLINED) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_INVALID);
    }

    if (rc == NGX_ABORT) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_STATE_EXPIRED);
    }

    /* a genuine state: LINE (or the candidate) said no */
    if (ngx_http_hrx_ll_arg(r, "error", 5, 256, &error) == NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "hrx: LINE login of candidate %L (tenant %L) "
                      "ended with error \"%V\"", ll->candidate_id,
                      ll->tenant_id, &error);

        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_CANCELLED);
    }

    if (ngx_http_hrx_ll_arg(r, "code", 4, NGX_HTTP_HRX_CODE_MAX, &code)
        != NGX_OK)
    {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_INVALID);
    }

    for (n = 0; n < code.len; n++) {
        if (code.data[n] <= 0x20 || code.data[n] >= 0x7f) {
            return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_INVALID);
        }
    }

    rc = ngx_http_hrx_db_line_login(r, ll->tenant_id, ll->candidate_id,
                                    ll->nonce, &row);

    if (rc == NGX_BUSY) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_BUSY);
    }

    if (rc == NGX_ERROR) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_ERROR);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_INVALID);
    }

    ll->company = row.company;
    ll->bot_basic_id = row.bot_basic_id;

    if (row.nonce_used) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_USED);
    }

    if (!row.candidate) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_INVALID);
    }

    if (row.line_user_id.len) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_DONE);
    }

    if (!row.connected || row.login_channel_id.len == 0) {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_NOT_CONNECTED);
    }

    if (ngx_http_hrx_ll_open_secret(r, ll, &row.login_channel_secret)
        != NGX_OK)
    {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_ERROR);
    }

    ll->client_id = (char *) row.login_channel_id.data;
    ll->code = (char *) ngx_http_hrx_ll_cstr(r->pool, code.data, code.len,
                                             "");
    ll->redirect_uri = (char *) ngx_http_hrx_ll_cstr(r->pool,
                                                     hmcf->public_url.data,
                                                     hmcf->public_url.len,
                                                     "/line/callback");
    api = &hlcf->line_login_api_url;

    ll->token_url = (char *) ngx_http_hrx_ll_cstr(r->pool, api->data,
                                                  api->len,
                                                  "/oauth2/v2.1/token");
    ll->profile_url = (char *) ngx_http_hrx_ll_cstr(r->pool, api->data,
                                                    api->len, "/v2/profile");

    if (ll->code == NULL || ll->redirect_uri == NULL || ll->token_url == NULL
        || ll->profile_url == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * libcurl's global state, once per worker, here on the event loop
     * before any pool thread uses curl (7.84+ would also do it safely
     * on first use; this keeps older ones right).
     */
    if (!ngx_http_hrx_curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "hrx: curl_global_init() failed");
            return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_ERROR);
        }

        ngx_http_hrx_curl_ready = 1;
    }

    return ngx_http_hrx_task_run(r, ctx, ngx_http_hrx_ll_work, NULL, ll,
                                 ngx_http_hrx_ll_resume,
                                 "too many LINE logins at once; try again");
}


/* after the thread: the command, or the page of what went wrong */
static ngx_int_t
ngx_http_hrx_ll_resume(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t                    *args;
    hrx_shm_t                 *shm;
    ngx_int_t                  rc;
    ngx_http_hrx_ll_t         *ll;
    ngx_http_hrx_main_conf_t  *hmcf;

    ll = ctx->task_data;

    /* the secret is not needed any more */
    if (ll->secret) {
        ngx_explicit_memzero(ll->secret, ll->secret_len);
    }

    if (ll->result != NGX_HTTP_HRX_LL_OK) {
        ngx_http_hrx_ll_printable(ll->err);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "hrx: LINE login of candidate %L (tenant %L) "
                      "failed: %s", ll->candidate_id, ll->tenant_id,
                      ll->err);

        switch (ll->result) {
        case NGX_HTTP_HRX_LL_CLIENT:
            return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_SETTINGS);
        case NGX_HTTP_HRX_LL_GRANT:
            return ngx_http_hrx_ll_page(r, ll,
                                        NGX_HTTP_HRX_LP_STATE_EXPIRED);
        case NGX_HTTP_HRX_LL_INTERNAL:
            return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_ERROR);
        default:
            return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_FAILED);
        }
    }

    /* an HTML page rather than the API's JSON when nobody would answer */
    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);
    shm = ngx_http_hrx_shm(r->connection->log, hmcf);

    if (shm == NULL
        || !hrx_shm_scheduler_alive(shm, hmcf->scheduler_timeout))
    {
        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_BUSY);
    }

    args = json_pack("{s:I, s:s, s:s}",
                     "candidate_id", (json_int_t) ll->candidate_id,
                     "line_user_id", ll->line_user_id,
                     "nonce", ll->nonce);
    if (args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* encoded into the ring at once: args is not kept */
    rc = ngx_http_hrx_command(r, ctx, "line.link", ll->tenant_id, 0, args,
                              ngx_http_hrx_ll_linked);

    json_decref(args);

    return rc;
}


/* the scheduler's answer to line.link */
static ngx_int_t
ngx_http_hrx_ll_linked(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    json_t             *reply;
    const char         *code;
    ngx_http_hrx_ll_t  *ll;
    ngx_http_hrx_lp_e   which;

    ll = ctx->task_data;

    if (status == NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "hrx: candidate %L (tenant %L) linked to LINE",
                      ll->candidate_id, ll->tenant_id);

        return ngx_http_hrx_ll_page(r, ll, NGX_HTTP_HRX_LP_DONE);
    }

    code = "";
    reply = (body && len) ? json_loadb((const char *) body, len, 0, NULL)
                          : NULL;

    if (reply) {
        code = json_string_value(json_object_get(
                   json_object_get(reply, "error"), "code"));
        if (code == NULL) {
            code = "";
        }
    }

    if (status == NGX_HTTP_CONFLICT && ngx_strcmp(code, "replayed") == 0) {
        which = NGX_HTTP_HRX_LP_USED;

    } else if (status == NGX_HTTP_CONFLICT
               && ngx_strcmp(code, "line_user_taken") == 0)
    {
        which = NGX_HTTP_HRX_LP_TAKEN;

    } else if (status == NGX_HTTP_CONFLICT
               && ngx_strcmp(code, "already_linked") == 0)
    {
        which = NGX_HTTP_HRX_LP_OTHER_LINK;

    } else if (status == NGX_HTTP_NOT_FOUND) {
        which = NGX_HTTP_HRX_LP_INVALID;

    } else if (status == NGX_HTTP_SERVICE_UNAVAILABLE
               || status == NGX_HTTP_GATEWAY_TIME_OUT)
    {
        which = NGX_HTTP_HRX_LP_BUSY;

    } else {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: line.link of candidate %L (tenant %L) "
                      "answered %ui", ll->candidate_id, ll->tenant_id,
                      status);
        which = NGX_HTTP_HRX_LP_ERROR;
    }

    if (reply) {
        json_decref(reply);
    }

    return ngx_http_hrx_ll_page(r, ll, which);
}


static ngx_int_t
ngx_http_hrx_ll_page(ngx_http_request_t *r, ngx_http_hrx_ll_t *ll,
    ngx_http_hrx_lp_e which)
{
    u_char     *p;
    ngx_str_t   href;

    ngx_str_null(&href);

    if (which == NGX_HTTP_HRX_LP_DONE && ll->bot_basic_id.len) {
        href.data = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HRX_ADD_FRIEND)
                                         + ll->bot_basic_id.len * 3);
        if (href.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(href.data, NGX_HTTP_HRX_ADD_FRIEND,
                       sizeof(NGX_HTTP_HRX_ADD_FRIEND) - 1);
        p = (u_char *) ngx_escape_uri(p, ll->bot_basic_id.data,
                                      ll->bot_basic_id.len,
                                      NGX_ESCAPE_URI_COMPONENT);
        href.len = p - href.data;
    }

    return ngx_http_hrx_page_send(r, &ngx_http_hrx_ll_pages[which],
                                  ll->lang, &ll->company,
                                  href.len ? ngx_http_hrx_ll_add_friend[
                                                 ll->lang]
                                           : NULL,
                                  &href);
}


/* ---- the state ---- */

static ngx_int_t
ngx_http_hrx_ll_state_key(uint8_t key[HRX_SHA256_SIZE])
{
    hrx_hmac_sha256(ngx_http_hrx_worker.token_key, HRX_KEY_SIZE,
                    NGX_HTTP_HRX_STATE_LABEL,
                    sizeof(NGX_HTTP_HRX_STATE_LABEL) - 1, key);

    return NGX_OK;
}


static void
ngx_http_hrx_ll_put64(u_char *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (u_char) v;
        v >>= 8;
    }
}


static uint64_t
ngx_http_hrx_ll_get64(const u_char *p)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }

    return v;
}


/* state: NGX_HTTP_HRX_STATE_CHARS + 1 bytes, nonce: _NONCE_CHARS + 1 */
static ngx_int_t
ngx_http_hrx_ll_state_make(int64_t tenant_id, int64_t candidate_id,
    int64_t now, u_char *state, char *nonce)
{
    uint8_t  key[HRX_SHA256_SIZE], mac[HRX_SHA256_SIZE];
    uint8_t  raw[NGX_HTTP_HRX_STATE_BYTES];

    raw[0] = NGX_HTTP_HRX_STATE_VERSION;
    ngx_http_hrx_ll_put64(raw + 1, (uint64_t) tenant_id);
    ngx_http_hrx_ll_put64(raw + 9, (uint64_t) candidate_id);
    ngx_http_hrx_ll_put64(raw + 17,
                          (uint64_t) (now + NGX_HTTP_HRX_STATE_TTL_MS));

    if (hrx_random_bytes(raw + 25, NGX_HTTP_HRX_NONCE_BYTES) != 0) {
        return NGX_ERROR;
    }

    (void) ngx_http_hrx_ll_state_key(key);
    hrx_hmac_sha256(key, sizeof(key), raw, NGX_HTTP_HRX_STATE_BODY, mac);
    ngx_memcpy(raw + NGX_HTTP_HRX_STATE_BODY, mac, NGX_HTTP_HRX_STATE_MAC);

    OPENSSL_cleanse(key, sizeof(key));

    (void) hrx_b64url_encode(raw, sizeof(raw), (char *) state);
    (void) hrx_b64url_encode(raw + 25, NGX_HTTP_HRX_NONCE_BYTES, nonce);

    return NGX_OK;
}


/*
 * NGX_OK with the ids and the nonce; NGX_DECLINED: not a state of ours
 * (nothing is read from it before the MAC matched); NGX_ABORT: expired.
 */
static ngx_int_t
ngx_http_hrx_ll_state_check(ngx_str_t *s, int64_t now, int64_t *tenant_id,
    int64_t *candidate_id, char *nonce)
{
    int       ok;
    size_t    n;
    int64_t   tenant, candidate, expires;
    uint8_t   key[HRX_SHA256_SIZE], mac[HRX_SHA256_SIZE];
    uint8_t   raw[NGX_HTTP_HRX_STATE_BYTES];

    if (s->len != NGX_HTTP_HRX_STATE_CHARS) {
        return NGX_DECLINED;
    }

    n = sizeof(raw);

    if (hrx_b64url_decode((const char *) s->data, s->len, raw, &n) != 0
        || n != sizeof(raw) || raw[0] != NGX_HTTP_HRX_STATE_VERSION)
    {
        return NGX_DECLINED;
    }

    (void) ngx_http_hrx_ll_state_key(key);
    hrx_hmac_sha256(key, sizeof(key), raw, NGX_HTTP_HRX_STATE_BODY, mac);
    ok = hrx_ct_equal(mac, raw + NGX_HTTP_HRX_STATE_BODY,
                      NGX_HTTP_HRX_STATE_MAC);

    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(mac, sizeof(mac));

    if (!ok) {
        return NGX_DECLINED;
    }

    tenant = (int64_t) ngx_http_hrx_ll_get64(raw + 1);
    candidate = (int64_t) ngx_http_hrx_ll_get64(raw + 9);
    expires = (int64_t) ngx_http_hrx_ll_get64(raw + 17);

    if (tenant <= 0 || candidate <= 0) {
        return NGX_DECLINED;
    }

    if (expires <= now) {
        return NGX_ABORT;
    }

    *tenant_id = tenant;
    *candidate_id = candidate;
    (void) hrx_b64url_encode(raw + 25, NGX_HTTP_HRX_NONCE_BYTES, nonce);

    return NGX_OK;
}


/* ---- helpers ---- */

/* a query argument, unescaped, 1..max bytes: NGX_OK or NGX_DECLINED */
static ngx_int_t
ngx_http_hrx_ll_arg(ngx_http_request_t *r, char *name, size_t len,
    size_t max, ngx_str_t *value)
{
    u_char     *dst, *src;
    ngx_str_t   raw;

    if (ngx_http_arg(r, (u_char *) name, len, &raw) != NGX_OK
        || raw.len == 0 || raw.len > max * 3)
    {
        return NGX_DECLINED;
    }

    value->data = ngx_pnalloc(r->pool, raw.len + 1);
    if (value->data == NULL) {
        return NGX_DECLINED;
    }

    dst = value->data;
    src = raw.data;

    ngx_unescape_uri(&dst, &src, raw.len, NGX_UNESCAPE_URI);

    value->len = dst - value->data;
    *dst = '\0';

    if (value->len == 0 || value->len > max
        || ngx_strlchr(value->data, dst, '\0') != NULL)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* a .. b, NUL-terminated, in pool */
static u_char *
ngx_http_hrx_ll_cstr(ngx_pool_t *pool, u_char *a, size_t alen,
    const char *b)
{
    u_char  *s, *p;
    size_t   blen;

    blen = ngx_strlen(b);

    s = ngx_pnalloc(pool, alen + blen + 1);
    if (s == NULL) {
        return NULL;
    }

    p = ngx_cpymem(s, a, alen);
    p = ngx_cpymem(p, b, blen);
    *p = '\0';

    return s;
}


/* the login channel secret, opened into the pool (zeroed when the
 * request goes) */
static ngx_int_t
ngx_http_hrx_ll_open_secret(ngx_http_request_t *r, ngx_http_hrx_ll_t *ll,
    ngx_str_t *sealed)
{
    u_char              aad[64];
    size_t              n;
    ngx_pool_cleanup_t *cln;

    if (sealed->len <= HRX_SEAL_OVERHEAD) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: the LINE login channel secret of tenant %L is "
                      "missing", ll->tenant_id);
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    ll->secret = ngx_pnalloc(r->pool, sealed->len - HRX_SEAL_OVERHEAD + 1);
    if (ll->secret == NULL) {
        return NGX_ERROR;
    }

    ll->secret_len = sealed->len - HRX_SEAL_OVERHEAD + 1;

    cln->handler = ngx_http_hrx_ll_secret_cleanup;
    cln->data = ll;

    *ngx_snprintf(aad, sizeof(aad) - 1, "line.login_channel_secret:%L",
                  ll->tenant_id) = '\0';

    if (hrx_open(ngx_http_hrx_worker.seal_key, (const char *) aad,
                 sealed->data, sealed->len, (char *) ll->secret, &n)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: the LINE login channel secret of tenant %L "
                      "does not open (another master.key?)", ll->tenant_id);
        return NGX_ERROR;
    }

    ll->secret[n] = '\0';

    if (n == 0 || ngx_strlen(ll->secret) != n) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_hrx_ll_secret_cleanup(void *data)
{
    ngx_http_hrx_ll_t  *ll = data;

    if (ll->secret) {
        ngx_explicit_memzero(ll->secret, ll->secret_len);
    }
}


/* what LINE sent, as a log line: printable ASCII only */
static void
ngx_http_hrx_ll_printable(char *s)
{
    for (; *s; s++) {
        if ((u_char) *s < 0x20 || (u_char) *s >= 0x7f) {
            *s = '?';
        }
    }
}


/* ---- on a pool thread: LINE Login's token and profile endpoints ---- */

static void
ngx_http_hrx_ll_err(ngx_http_hrx_ll_t *ll, ngx_http_hrx_ll_result_e result,
    const char *fmt, ...)
{
    va_list  args;

    ll->result = result;

    va_start(args, fmt);
    (void) vsnprintf(ll->err, sizeof(ll->err), fmt, args);
    va_end(args);
}


static void
ngx_http_hrx_ll_work(void *data, ngx_log_t *log)
{
    ngx_http_hrx_ll_t *ll = data;

    long                     status;
    char                    *form, *e_code, *e_redirect, *e_client;
    char                    *e_secret, *bearer, *sub;
    char                     err[256];
    size_t                   n;
    CURL                    *curl;
    json_t                  *j, *pj;
    const char              *id_token, *access, *user, *what;
    ngx_http_hrx_ll_body_t   body;

    ngx_memzero(&body, sizeof(ngx_http_hrx_ll_body_t));
    form = NULL;
    bearer = NULL;
    sub = NULL;
    j = NULL;
    pj = NULL;
    e_code = NULL;
    e_redirect = NULL;
    e_client = NULL;
    e_secret = NULL;
    err[0] = '\0';

    ll->result = NGX_HTTP_HRX_LL_INTERNAL;
    ngx_cpystrn((u_char *) ll->err, (u_char *) "out of memory",
                sizeof(ll->err));

    /* the form of the token request */

    curl = curl_easy_init();
    if (curl == NULL) {
        goto done;
    }

    e_code = curl_easy_escape(curl, ll->code, 0);
    e_redirect = curl_easy_escape(curl, ll->redirect_uri, 0);
    e_client = curl_easy_escape(curl, ll->client_id, 0);
    e_secret = curl_easy_escape(curl, (char *) ll->secret, 0);

    curl_easy_cleanup(curl);

    if (e_code == NULL || e_redirect == NULL || e_client == NULL
        || e_secret == NULL)
    {
        goto done;
    }

    n = sizeof("grant_type=authorization_code&code=&redirect_uri="
               "&client_id=&client_secret=")
        + ngx_strlen(e_code) + ngx_strlen(e_redirect) + ngx_strlen(e_client)
        + ngx_strlen(e_secret);

    form = malloc(n);
    if (form == NULL) {
        goto done;
    }

    (void) snprintf(form, n, "grant_type=authorization_code&code=%s"
                    "&redirect_uri=%s&client_id=%s&client_secret=%s",
                    e_code, e_redirect, e_client, e_secret);

    /* 1. the code for tokens */

    status = ngx_http_hrx_ll_http(ll->token_url, form, NULL, &body, err,
                                  sizeof(err));

    OPENSSL_cleanse(form, ngx_strlen(form));

    if (status < 0) {
        ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_UNREACHABLE,
                            "token request: %s", err);
        goto done;
    }

    j = json_loadb(body.data ? body.data : "", body.len, 0, NULL);

    if (status != 200) {
        what = json_string_value(json_object_get(j, "error"));

        if (what && ngx_strcmp(what, "invalid_client") == 0) {
            ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_CLIENT,
                                "the token endpoint refused the login "
                                "channel (%s, status %ld): check its id "
                                "and secret", what, status);

        } else if (status >= 500 || status == 429) {
            ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_UNREACHABLE,
                                "the token endpoint answered %ld", status);

        } else {
            ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_GRANT,
                                "the token endpoint refused the code "
                                "(%.100s, status %ld)", what ? what : "?",
                                status);
        }

        goto done;
    }

    id_token = json_string_value(json_object_get(j, "id_token"));
    access = json_string_value(json_object_get(j, "access_token"));

    if (id_token == NULL || access == NULL || access[0] == '\0') {
        ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_ID_TOKEN,
                            "the token answer has no id_token or "
                            "access_token");
        goto done;
    }

    /* 2. the id_token: ours (aud), this login (nonce), fresh (exp) */

    if (hrx_line_id_token_check(id_token, ngx_strlen(id_token),
                                (const char *) ll->secret, ll->client_id,
                                ll->nonce, (int64_t) hrx_wall_ms(), &sub,
                                err, sizeof(err))
        != 0)
    {
        ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_ID_TOKEN,
                            "id_token: %s", err);
        goto done;
    }

    /* 3. the profile of the same user */

    n = sizeof("Authorization: Bearer ") + ngx_strlen(access);

    bearer = malloc(n);
    if (bearer == NULL) {
        goto done;
    }

    (void) snprintf(bearer, n, "Authorization: Bearer %s", access);

    free(body.data);
    ngx_memzero(&body, sizeof(ngx_http_hrx_ll_body_t));

    status = ngx_http_hrx_ll_http(ll->profile_url, NULL, bearer, &body, err,
                                  sizeof(err));

    if (status < 0) {
        ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_UNREACHABLE,
                            "profile request: %s", err);
        goto done;
    }

    if (status != 200) {
        ngx_http_hrx_ll_err(ll, status >= 500 ? NGX_HTTP_HRX_LL_UNREACHABLE
                                              : NGX_HTTP_HRX_LL_PROFILE,
                            "the profile endpoint answered %ld", status);
        goto done;
    }

    pj = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
    user = json_string_value(json_object_get(pj, "userId"));

    if (user == NULL || ngx_strcmp(user, sub) != 0) {
        ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_PROFILE,
                            "the profile is not the id_token's user");
        goto done;
    }

    n = ngx_strlen(user);

    if (n == 0 || n > NGX_HTTP_HRX_LINE_USER_MAX) {
        ngx_http_hrx_ll_err(ll, NGX_HTTP_HRX_LL_PROFILE,
                            "the LINE user id is %zu bytes long", n);
        goto done;
    }

    ngx_memcpy(ll->line_user_id, user, n + 1);
    ll->result = NGX_HTTP_HRX_LL_OK;
    ll->err[0] = '\0';

done:

    (void) log;

    if (e_secret) {
        OPENSSL_cleanse(e_secret, ngx_strlen(e_secret));
    }

    curl_free(e_code);
    curl_free(e_redirect);
    curl_free(e_client);
    curl_free(e_secret);
    free(form);

    if (bearer) {
        OPENSSL_cleanse(bearer, ngx_strlen(bearer));
        free(bearer);
    }

    free(sub);
    free(body.data);

    if (j) {
        json_decref(j);
    }

    if (pj) {
        json_decref(pj);
    }
}


/*
 * One request: POST form (application/x-www-form-urlencoded) or GET, with
 * an extra header; the HTTP status, or -1 with err set (network,
 * timeout, an answer over NGX_HTTP_HRX_LINE_BODY_MAX).  No redirects, no
 * signals (threads), http(s) only.
 */
static long
ngx_http_hrx_ll_http(const char *url, const char *form, const char *header,
    ngx_http_hrx_ll_body_t *body, char *err, size_t errlen)
{
    long                status;
    CURL               *curl;
    CURLcode            rc;
    struct curl_slist  *headers;
    char                ebuf[CURL_ERROR_SIZE];

    status = -1;
    headers = NULL;
    ebuf[0] = '\0';

    curl = curl_easy_init();
    if (curl == NULL) {
        (void) snprintf(err, errlen, "curl_easy_init() failed");
        return -1;
    }

    if (header) {
        headers = curl_slist_append(headers, header);
        if (headers == NULL) {
            (void) snprintf(err, errlen, "out of memory");
            goto done;
        }
    }

    (void) curl_easy_setopt(curl, CURLOPT_URL, url);
    (void) curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    (void) curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    (void) curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    (void) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                            (long) NGX_HTTP_HRX_LINE_TIMEOUT);
    (void) curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    (void) curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ebuf);
    (void) curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                            ngx_http_hrx_ll_write);
    (void) curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    (void) curl_easy_setopt(curl, CURLOPT_USERAGENT, "hrx");

    if (headers) {
        (void) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    }

    if (form) {
        (void) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
    }

    rc = curl_easy_perform(curl);

    if (rc != CURLE_OK) {
        (void) snprintf(err, errlen, "%s",
                        body->too_big ? "the answer is too large"
                        : ebuf[0] ? ebuf : curl_easy_strerror(rc));
        goto done;
    }

    (void) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

done:

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    return status;
}


static size_t
ngx_http_hrx_ll_write(char *p, size_t size, size_t n, void *data)
{
    ngx_http_hrx_ll_body_t *body = data;

    char    *d;
    size_t   len, want;

    len = size * n;

    if (body->len + len > NGX_HTTP_HRX_LINE_BODY_MAX) {
        body->too_big = 1;
        return 0;
    }

    if (body->len + len + 1 > body->size) {
        want = ngx_max(body->size * 2, body->len + len + 1);
        want = ngx_max(want, (size_t) 1024);

        d = realloc(body->data, want);
        if (d == NULL) {
            return 0;
        }

        body->data = d;
        body->size = want;
    }

    ngx_memcpy(body->data + body->len, p, len);
    body->len += len;
    body->data[body->len] = '\0';

    return len;
}
