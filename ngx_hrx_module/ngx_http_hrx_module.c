/*
 * ngx_http_hrx_module: directives, configuration, worker start and exit.
 *
 * A worker maps <data_dir>/hrx.shm (the command ring and the reply slots
 * shared with hrx-scheduler), loads master.key to derive its CSRF key and
 * opens <data_dir>/hrx.db read-only.  None of them has to exist when nginx
 * starts: the scheduler may come up later, so each is retried lazily when a
 * request needs it.
 *
 *
 * Directives
 *
 *   Syntax:  hrx_data_dir path;
 *   Default: -
 *   Context: http
 *   The data directory shared with hrx-scheduler (hrx.shm, hrx.db,
 *   master.key).  Required when hrx_api is used anywhere.
 *
 *   Syntax:  hrx_api;
 *   Default: -
 *   Context: location
 *   Answers the hrx JSON API (/api/v1/...) in this location.  The module
 *   enforces hrx_body_limit itself, with a JSON error, so it switches
 *   client_max_body_size off for the location.
 *
 *   Syntax:  hrx_reply_timeout time;
 *   Default: hrx_reply_timeout 5s;
 *   Context: http, server, location
 *   How long a request waits for the scheduler's reply to its command
 *   before it is answered 504 reply_timeout.
 *
 *   Syntax:  hrx_scheduler_timeout time;
 *   Default: hrx_scheduler_timeout 3s;
 *   Context: http
 *   The scheduler counts as down (503 scheduler_unavailable) when its
 *   heartbeat is older than this.
 *
 *   Syntax:  hrx_body_limit size;
 *   Default: hrx_body_limit 1m;
 *   Context: http, server, location
 *   Largest request body accepted (413 body_too_large).
 *
 *   Syntax:  hrx_import_body_limit size;
 *   Default: hrx_import_body_limit 64m;
 *   Context: http, server, location
 *   Largest body of a bulk import (POST /api/v1/candidates/import, up to
 *   100 000 rows), which replaces hrx_body_limit for that route only.  An
 *   import is authenticated before its body is read.
 *
 *   Syntax:  hrx_import_timeout time;
 *   Default: hrx_import_timeout 60s;
 *   Context: http, server, location
 *   How long an import waits for the scheduler to apply it (it writes all
 *   its rows in one transaction) before it is answered 504.
 *
 *   Syntax:  hrx_events_keepalive time;
 *   Default: hrx_events_keepalive 15s;
 *   Context: http, server, location
 *   How often a server-sent event stream (GET /api/v1/events) that has
 *   nothing to say sends a comment, so that proxies keep it open and a
 *   client that went away is noticed; the session is checked again then.
 *
 *   Syntax:  hrx_events_max number;
 *   Default: hrx_events_max 1024;
 *   Context: http, server, location
 *   Server-sent event streams one worker keeps open; beyond, 503 busy.
 *
 *   Syntax:  hrx_session_ttl time;
 *   Default: hrx_session_ttl 12h;
 *   Context: http
 *   Lifetime of a login session (cookie Max-Age and sessions.expires_at).
 *
 *   Syntax:  hrx_cookie_secure auto | on | off;
 *   Default: hrx_cookie_secure auto;
 *   Context: http, server, location
 *   Whether the session cookie gets the Secure attribute; "auto": when the
 *   connection is TLS or the request has "X-Forwarded-Proto: https".
 *
 *   Syntax:  hrx_thread_pool name;
 *   Default: hrx_thread_pool default;
 *   Context: http
 *   The thread pool (thread_pool directive) password hashing, the
 *   reading of imports, searches (counts, saved-search pages) and the dry
 *   runs of bulk actions run on.
 *
 *   Syntax:  hrx_public;
 *   Default: -
 *   Context: location
 *   Serves the candidate-facing pages that need no session (LINE friend
 *   registration: /line/friend/<token>, /line/callback) in this
 *   location, as small HTML pages (ngx_http_hrx_public.c).
 *
 *   Syntax:  hrx_line_login_url url;
 *   Default: hrx_line_login_url https://access.line.me;
 *   Context: http, server, location
 *   LINE Login's authorize page, where /line/friend/<token> sends the
 *   candidate ({url}/oauth2/v2.1/authorize).
 *
 *   Syntax:  hrx_line_login_api_url url;
 *   Default: hrx_line_login_api_url https://api.line.me;
 *   Context: http, server, location
 *   LINE Login's API: the token exchange and the profile of the callback
 *   ({url}/oauth2/v2.1/token, {url}/v2/profile).
 *
 *   Syntax:  hrx_line_api_url url;
 *   Default: hrx_line_api_url https://api.line.me;
 *   Context: http, server, location
 *   LINE's Messaging API, for the connect check of PUT
 *   /api/v1/settings/line ({url}/v2/oauth/verify, /v2/oauth/accessToken,
 *   /v2/bot/info), made on the thread pool.
 *
 *   Syntax:  hrx_whatsapp_api_url url;
 *   Default: hrx_whatsapp_api_url https://graph.facebook.com;
 *   Syntax:  hrx_whatsapp_api_version version;
 *   Default: hrx_whatsapp_api_version v25.0;
 *   Context: http, server, location
 *   The WhatsApp Cloud API (Meta's Graph API) and the version in its
 *   paths, for the connect check of /api/v1/settings/whatsapp/numbers
 *   ({url}/{version}/{phone number id}, /{waba id}/phone_numbers), made
 *   on the thread pool (docs/whatsapp.md).
 *
 *   Syntax:  hrx_public_url url;
 *   Default: hrx_public_url http://127.0.0.1:8080;
 *   Context: http
 *   Where candidates open the links of mail (forms, events): the same as
 *   hrx-scheduler's --public-url, so that a dry run measures the texts
 *   the scheduler will send.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_import.h"
#include "hrx_token.h"
#include "hrx_whatsapp.h"
#include "ngx_http_hrx_module.h"

#if !(NGX_THREADS)
#error "hrx needs nginx built --with-threads (Debian's nginx is)"
#endif
#include "ngx_http_hrx_handler.h"
#include "ngx_http_hrx_park.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_api_search.h"
#include "ngx_http_hrx_events.h"
#include "ngx_http_hrx_webhook.h"
#include "ngx_http_hrx_public.h"


static ngx_int_t ngx_http_hrx_init_process(ngx_cycle_t *cycle);
static void ngx_http_hrx_exit_process(ngx_cycle_t *cycle);
static void *ngx_http_hrx_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_hrx_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_hrx_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_hrx_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_hrx_location(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static u_char *ngx_http_hrx_path(ngx_conf_t *cf, ngx_str_t *dir,
    const char *name);
static char *ngx_http_hrx_merge_url(ngx_conf_t *cf, ngx_str_t *url,
    ngx_str_t *prev, const char *dflt, const char *name);


static ngx_conf_enum_t  ngx_http_hrx_cookie_secure[] = {
    { ngx_string("auto"), NGX_HTTP_HRX_COOKIE_AUTO },
    { ngx_string("on"), NGX_HTTP_HRX_COOKIE_ON },
    { ngx_string("off"), NGX_HTTP_HRX_COOKIE_OFF },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_hrx_commands[] = {

    { ngx_string("hrx_data_dir"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_hrx_main_conf_t, data_dir),
      NULL },

    { ngx_string("hrx_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_hrx_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, enable),
      (void *) ngx_http_hrx_handler },

    { ngx_string("hrx_reply_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, reply_timeout),
      NULL },

    { ngx_string("hrx_scheduler_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_hrx_main_conf_t, scheduler_timeout),
      NULL },

    { ngx_string("hrx_body_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, body_limit),
      NULL },

    { ngx_string("hrx_import_body_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, import_limit),
      NULL },

    { ngx_string("hrx_import_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, import_timeout),
      NULL },

    { ngx_string("hrx_events_keepalive"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, events_keepalive),
      NULL },

    { ngx_string("hrx_events_max"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, events_max),
      NULL },

    { ngx_string("hrx_session_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_hrx_main_conf_t, session_ttl),
      NULL },

    { ngx_string("hrx_cookie_secure"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, cookie_secure),
      &ngx_http_hrx_cookie_secure },

    { ngx_string("hrx_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_hrx_main_conf_t, thread_pool_name),
      NULL },

    { ngx_string("hrx_public"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_hrx_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, public_pages),
      (void *) ngx_http_hrx_public_handler },

    { ngx_string("hrx_line_login_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, line_login_url),
      NULL },

    { ngx_string("hrx_line_login_api_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, line_login_api_url),
      NULL },

    { ngx_string("hrx_line_api_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, line_api_url),
      NULL },

    { ngx_string("hrx_whatsapp_api_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, wa_api_url),
      NULL },

    { ngx_string("hrx_whatsapp_api_version"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_hrx_loc_conf_t, wa_api_version),
      NULL },

    { ngx_string("hrx_public_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_hrx_main_conf_t, public_url),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_hrx_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_hrx_create_main_conf,         /* create main configuration */
    ngx_http_hrx_init_main_conf,           /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_hrx_create_loc_conf,          /* create location configuration */
    ngx_http_hrx_merge_loc_conf            /* merge location configuration */
};


ngx_module_t  ngx_http_hrx_module = {
    NGX_MODULE_V1,
    &ngx_http_hrx_module_ctx,              /* module context */
    ngx_http_hrx_commands,                 /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_hrx_init_process,             /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_hrx_exit_process,             /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_http_hrx_worker_t  ngx_http_hrx_worker;


static ngx_int_t
ngx_http_hrx_init_process(ngx_cycle_t *cycle)
{
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_hrx_module);

    if (hmcf == NULL || !hmcf->used) {
        return NGX_OK;
    }

    ngx_memzero(&ngx_http_hrx_worker, sizeof(ngx_http_hrx_worker_t));
    ngx_http_hrx_worker.shm.fd = -1;

    ngx_http_hrx_park_init(cycle);
    ngx_http_hrx_events_init(cycle);

    /* each may be missing until the scheduler has run: retried on use */
    (void) ngx_http_hrx_shm(cycle->log, hmcf);
    (void) ngx_http_hrx_csrf_key(cycle->log, hmcf);
    (void) ngx_http_hrx_db_open(cycle->log, hmcf);

    return NGX_OK;
}


static void
ngx_http_hrx_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_hrx_module);

    if (hmcf == NULL || !hmcf->used) {
        return;
    }

    ngx_http_hrx_park_exit(cycle);
    ngx_http_hrx_events_exit(cycle);
    ngx_http_hrx_db_close();
    ngx_http_hrx_db_thread_exit();
    ngx_http_hrx_webhook_exit();

    if (ngx_http_hrx_worker.shm_mapped) {
        hrx_shm_close(&ngx_http_hrx_worker.shm);
        ngx_http_hrx_worker.shm_mapped = 0;
    }

    ngx_explicit_memzero(ngx_http_hrx_worker.csrf_key, HRX_KEY_SIZE);
    ngx_explicit_memzero(ngx_http_hrx_worker.token_key, HRX_KEY_SIZE);
    ngx_explicit_memzero(ngx_http_hrx_worker.seal_key, HRX_KEY_SIZE);
}


/*
 * The shm file as this worker sees it.  Mapped on first use; a file that
 * is missing is normal (the scheduler has not run yet) and is not logged,
 * any other failure (e.g. a layout version mismatch) is logged once per
 * distinct message.  A mapping whose scheduler is gone is replaced when
 * the path now names another file (a new scheduler made a new one) — but
 * not while requests of this worker are parked on slots of the old file.
 */
hrx_shm_t *
ngx_http_hrx_shm(ngx_log_t *log, ngx_http_hrx_main_conf_t *hmcf)
{
    char                    err[256];
    ngx_file_info_t         fi;
    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    if (w->shm_mapped) {

        if (w->nparked != 0
            || hrx_shm_scheduler_alive(&w->shm, hmcf->scheduler_timeout)
            || !hrx_shm_replaced(&w->shm, (const char *) hmcf->shm_path))
        {
            return &w->shm;
        }

        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "hrx: \"%s\" was replaced, mapping the new file",
                      hmcf->shm_path);

        ngx_http_hrx_park_bell_close();
        hrx_shm_close(&w->shm);
        w->shm_mapped = 0;
    }

    if (ngx_file_info(hmcf->shm_path, &fi) == NGX_FILE_ERROR
        && ngx_errno == NGX_ENOENT)
    {
        return NULL;
    }

    if (hrx_shm_open((const char *) hmcf->shm_path, &w->shm, err,
                     sizeof(err))
        != 0)
    {
        if (ngx_strcmp(err, w->shm_err) != 0) {
            ngx_log_error(NGX_LOG_ERR, log, 0, "hrx: %s", err);
            (void) ngx_cpystrn((u_char *) w->shm_err, (u_char *) err,
                               sizeof(w->shm_err));
        }

        return NULL;
    }

    w->shm_mapped = 1;
    w->shm_err[0] = '\0';

    ngx_log_error(NGX_LOG_INFO, log, 0, "hrx: mapped \"%s\"", hmcf->shm_path);

    ngx_http_hrx_park_bell_open(log, (const char *) hmcf->tmp_dir);

    return &w->shm;
}


uint8_t *
ngx_http_hrx_csrf_key(ngx_log_t *log, ngx_http_hrx_main_conf_t *hmcf)
{
    char                    err[256];
    uint8_t                 master[HRX_KEY_SIZE];
    ngx_file_info_t         fi;
    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    if (w->key_loaded) {
        return w->csrf_key;
    }

    if (ngx_file_info(hmcf->key_path, &fi) == NGX_FILE_ERROR
        && ngx_errno == NGX_ENOENT)
    {
        return NULL;
    }

    if (hrx_master_key_load((const char *) hmcf->key_path, master, err,
                            sizeof(err))
        != 0)
    {
        if (ngx_strcmp(err, w->key_err) != 0) {
            ngx_log_error(NGX_LOG_ERR, log, 0, "hrx: %s", err);
            (void) ngx_cpystrn((u_char *) w->key_err, (u_char *) err,
                               sizeof(w->key_err));
        }

        return NULL;
    }

    if (hrx_derive_key(master, "hrx csrf v1", w->csrf_key) != 0) {
        ngx_explicit_memzero(master, sizeof(master));
        ngx_log_error(NGX_LOG_ERR, log, 0, "hrx: cannot derive the CSRF key");
        return NULL;
    }

    ngx_explicit_memzero(master, sizeof(master));
    w->key_loaded = 1;
    w->key_err[0] = '\0';

    return w->csrf_key;
}


ngx_int_t
ngx_http_hrx_secret_keys(ngx_log_t *log, ngx_http_hrx_main_conf_t *hmcf)
{
    char                    err[256];
    uint8_t                 master[HRX_KEY_SIZE];
    ngx_int_t               rc;
    ngx_http_hrx_worker_t  *w;

    w = &ngx_http_hrx_worker;

    if (w->secrets_loaded) {
        return NGX_OK;
    }

    if (hrx_master_key_load((const char *) hmcf->key_path, master, err,
                            sizeof(err))
        != 0)
    {
        if (ngx_strcmp(err, w->key_err) != 0) {
            ngx_log_error(NGX_LOG_ERR, log, 0, "hrx: %s", err);
            (void) ngx_cpystrn((u_char *) w->key_err, (u_char *) err,
                               sizeof(w->key_err));
        }

        return NGX_DECLINED;
    }

    rc = NGX_OK;

    if (hrx_token_key(master, w->token_key) != 0
        || hrx_derive_key(master, HRX_SEAL_KEY_LABEL, w->seal_key) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "hrx: cannot derive the token and sealing keys");
        ngx_explicit_memzero(w->token_key, HRX_KEY_SIZE);
        ngx_explicit_memzero(w->seal_key, HRX_KEY_SIZE);
        rc = NGX_DECLINED;

    } else {
        w->secrets_loaded = 1;
    }

    ngx_explicit_memzero(master, sizeof(master));

    return rc;
}


/*
 * hrx_api and hrx_public: the location's flag (cmd->offset) is set and
 * its content handler (cmd->post) installed.
 */
static char *
ngx_http_hrx_location(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_flag_t                *flag;
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_hrx_main_conf_t  *hmcf;

    flag = (ngx_flag_t *) ((char *) conf + cmd->offset);

    if (*flag != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    *flag = 1;

    hmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_hrx_module);
    hmcf->used = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = (ngx_http_handler_pt) cmd->post;

    return NGX_CONF_OK;
}


static void *
ngx_http_hrx_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_hrx_main_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_hrx_main_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->data_dir = { 0, NULL };
     *     conf->thread_pool_name = { 0, NULL };
     *     conf->public_url = { 0, NULL };
     *     conf->shm_path = NULL;
     *     conf->db_path = NULL;
     *     conf->key_path = NULL;
     *     conf->used = 0;
     */

    conf->scheduler_timeout = NGX_CONF_UNSET_MSEC;
    conf->session_ttl = NGX_CONF_UNSET_MSEC;

    return conf;
}


static char *
ngx_http_hrx_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_hrx_main_conf_t *hmcf = conf;

    ngx_conf_init_msec_value(hmcf->scheduler_timeout, 3000);
    ngx_conf_init_msec_value(hmcf->session_ttl, 12 * 60 * 60 * 1000);

    if (hmcf->thread_pool_name.data == NULL) {
        ngx_str_set(&hmcf->thread_pool_name, "default");
    }

    if (hmcf->public_url.data == NULL) {
        ngx_str_set(&hmcf->public_url, "http://127.0.0.1:8080");
    }

    while (hmcf->public_url.len > 0
           && hmcf->public_url.data[hmcf->public_url.len - 1] == '/')
    {
        hmcf->public_url.len--;
    }

    if (hmcf->public_url.len == 0 || hmcf->public_url.len > 512
        || (ngx_strncmp(hmcf->public_url.data, "http://", 7) != 0
            && ngx_strncmp(hmcf->public_url.data, "https://", 8) != 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"hrx_public_url\" must be an http:// or "
                           "https:// URL of at most 512 characters");
        return NGX_CONF_ERROR;
    }

    if (hmcf->session_ttl < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"hrx_session_ttl\" must be at least 1s");
        return NGX_CONF_ERROR;
    }

    if (!hmcf->used) {
        return NGX_CONF_OK;
    }

    if (hmcf->data_dir.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"hrx_api\" is used but \"hrx_data_dir\" is not "
                           "set in the http block");
        return NGX_CONF_ERROR;
    }

    hmcf->shm_path = ngx_http_hrx_path(cf, &hmcf->data_dir, HRX_SHM_FILE);
    hmcf->db_path = ngx_http_hrx_path(cf, &hmcf->data_dir, "hrx.db");
    hmcf->key_path = ngx_http_hrx_path(cf, &hmcf->data_dir,
                                       HRX_MASTER_KEY_FILE);
    hmcf->import_dir = ngx_http_hrx_path(cf, &hmcf->data_dir,
                                         HRX_IMPORT_DIR);
    hmcf->tmp_dir = ngx_http_hrx_path(cf, &hmcf->data_dir, "tmp");

    if (hmcf->shm_path == NULL || hmcf->db_path == NULL
        || hmcf->key_path == NULL || hmcf->import_dir == NULL
        || hmcf->tmp_dir == NULL)
    {
        return NGX_CONF_ERROR;
    }

#if (NGX_THREADS)
    hmcf->thread_pool = ngx_thread_pool_add(cf, &hmcf->thread_pool_name);
    if (hmcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }
#else
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"hrx_api\" needs nginx built --with-threads");
    return NGX_CONF_ERROR;
#endif

    return NGX_CONF_OK;
}


/* "<data_dir>/<name>", NUL-terminated, data_dir made absolute */
static u_char *
ngx_http_hrx_path(ngx_conf_t *cf, ngx_str_t *dir, const char *name)
{
    size_t     len;
    u_char    *p;
    ngx_str_t  full;

    len = ngx_strlen(name);

    full.len = dir->len + 1 + len;
    full.data = ngx_pnalloc(cf->pool, full.len + 1);
    if (full.data == NULL) {
        return NULL;
    }

    p = ngx_cpymem(full.data, dir->data, dir->len);
    *p++ = '/';
    p = ngx_cpymem(p, name, len);
    *p = '\0';

    if (ngx_conf_full_name(cf->cycle, &full, 0) != NGX_OK) {
        return NULL;
    }

    /* a copy with the NUL, whatever ngx_conf_full_name() allocated */
    p = ngx_pnalloc(cf->pool, full.len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, full.data, full.len) = '\0';

    return p;
}


static void *
ngx_http_hrx_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_hrx_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_hrx_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = NGX_CONF_UNSET;
    conf->reply_timeout = NGX_CONF_UNSET_MSEC;
    conf->body_limit = NGX_CONF_UNSET_SIZE;
    conf->cookie_secure = NGX_CONF_UNSET_UINT;
    conf->import_limit = NGX_CONF_UNSET_SIZE;
    conf->import_timeout = NGX_CONF_UNSET_MSEC;
    conf->events_keepalive = NGX_CONF_UNSET_MSEC;
    conf->events_max = NGX_CONF_UNSET_UINT;
    conf->public_pages = NGX_CONF_UNSET;

    /*
     * set by ngx_pcalloc():
     *
     *     conf->line_login_url = { 0, NULL };
     *     conf->line_login_api_url = { 0, NULL };
     *     conf->line_api_url = { 0, NULL };
 *     conf->wa_api_url = { 0, NULL };
 *     conf->wa_api_version = { 0, NULL };
     */

    return conf;
}


static char *
ngx_http_hrx_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_hrx_loc_conf_t *prev = parent;
    ngx_http_hrx_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    /* not inherited: the content handler is not either */
    if (conf->enable == NGX_CONF_UNSET) {
        conf->enable = 0;
    }

    ngx_conf_merge_msec_value(conf->reply_timeout, prev->reply_timeout,
                              5000);
    ngx_conf_merge_size_value(conf->body_limit, prev->body_limit,
                              1024 * 1024);
    ngx_conf_merge_uint_value(conf->cookie_secure, prev->cookie_secure,
                              NGX_HTTP_HRX_COOKIE_AUTO);
    ngx_conf_merge_size_value(conf->import_limit, prev->import_limit,
                              64 * 1024 * 1024);
    ngx_conf_merge_msec_value(conf->import_timeout, prev->import_timeout,
                              60000);
    ngx_conf_merge_msec_value(conf->events_keepalive, prev->events_keepalive,
                              15000);
    ngx_conf_merge_uint_value(conf->events_max, prev->events_max, 1024);

    if (conf->public_pages == NGX_CONF_UNSET) {
        conf->public_pages = 0;
    }

    if (ngx_http_hrx_merge_url(cf, &conf->line_login_url,
                               &prev->line_login_url,
                               "https://access.line.me",
                               "hrx_line_login_url")
        != NGX_CONF_OK
        || ngx_http_hrx_merge_url(cf, &conf->line_login_api_url,
                                  &prev->line_login_api_url,
                                  "https://api.line.me",
                                  "hrx_line_login_api_url")
           != NGX_CONF_OK
        || ngx_http_hrx_merge_url(cf, &conf->line_api_url,
                                  &prev->line_api_url,
                                  "https://api.line.me",
                                  "hrx_line_api_url")
           != NGX_CONF_OK
        || ngx_http_hrx_merge_url(cf, &conf->wa_api_url, &prev->wa_api_url,
                                  HRX_WA_API_URL, "hrx_whatsapp_api_url")
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_str_value(conf->wa_api_version, prev->wa_api_version,
                             HRX_WA_API_VERSION);

    if (!hrx_wa_api_version_valid((const char *) conf->wa_api_version.data,
                                  conf->wa_api_version.len))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"hrx_whatsapp_api_version\" must be like "
                           "v25.0, not \"%V\"", &conf->wa_api_version);
        return NGX_CONF_ERROR;
    }

    if (conf->events_keepalive < 100 || conf->events_max == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"hrx_events_keepalive\" must be at least 100ms "
                           "and \"hrx_events_max\" at least 1");
        return NGX_CONF_ERROR;
    }

    if (conf->body_limit == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"hrx_body_limit\" must not be 0");
        return NGX_CONF_ERROR;
    }

    if (conf->import_limit == 0 || conf->import_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"hrx_import_body_limit\" and "
                           "\"hrx_import_timeout\" must not be 0");
        return NGX_CONF_ERROR;
    }

    if (conf->enable) {
        /*
         * The core module's client_max_body_size check runs before the
         * content handler and answers with an HTML page; hrx_body_limit
         * is enforced by the module instead, so that the client gets the
         * API's JSON error.  The core module is merged before this one.
         */
        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
        clcf->client_max_body_size = 0;
    }

    return NGX_CONF_OK;
}


/* a provider base URL: inherited or the default, no trailing '/' */
static char *
ngx_http_hrx_merge_url(ngx_conf_t *cf, ngx_str_t *url, ngx_str_t *prev,
    const char *dflt, const char *name)
{
    if (url->data == NULL) {
        if (prev->data) {
            *url = *prev;

        } else {
            url->len = ngx_strlen(dflt);
            url->data = (u_char *) dflt;
        }
    }

    while (url->len > 0 && url->data[url->len - 1] == '/') {
        url->len--;
    }

    if (url->len == 0 || url->len > 512
        || (ngx_strncmp(url->data, "http://", 7) != 0
            && ngx_strncmp(url->data, "https://", 8) != 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" must be an http:// or https:// URL of "
                           "at most 512 characters", name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
