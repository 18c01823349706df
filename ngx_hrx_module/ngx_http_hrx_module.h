/*
 * ngx_http_hrx_module: hrx's JSON API inside nginx workers.
 *
 * Shared by every file of the module: the configuration structures, the
 * per-worker state (the mapped shm file, the CSRF key, the parked
 * requests) and the per-request context.
 */
#ifndef NGX_HTTP_HRX_MODULE_H
#define NGX_HTTP_HRX_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "hrx_shm.h"
#include "hrx_crypto.h"


#define NGX_HTTP_HRX_COOKIE_AUTO   0
#define NGX_HTTP_HRX_COOKIE_ON     1
#define NGX_HTTP_HRX_COOKIE_OFF    2

#define NGX_HTTP_HRX_SESSION_COOKIE  "hrx_session"


typedef struct {
    ngx_str_t            data_dir;
    ngx_msec_t           scheduler_timeout;
    ngx_msec_t           session_ttl;
    ngx_str_t            thread_pool_name;
    ngx_str_t            public_url;    /* links in mail, no trailing / */
#if (NGX_THREADS)
    ngx_thread_pool_t   *thread_pool;
#endif

    /* NUL-terminated paths under data_dir, set at init_main_conf */
    u_char              *shm_path;
    u_char              *db_path;
    u_char              *key_path;
    u_char              *import_dir;    /* HRX_IMPORT_DIR: spool files */
    u_char              *tmp_dir;       /* tmp: the bells' FIFOs */

    ngx_flag_t           used;          /* some location has hrx_api */
} ngx_http_hrx_main_conf_t;


typedef struct {
    ngx_flag_t           enable;        /* hrx_api */
    ngx_msec_t           reply_timeout;
    size_t               body_limit;
    ngx_uint_t           cookie_secure;
    size_t               import_limit;  /* body of an import */
    ngx_msec_t           import_timeout;    /* its reply */
    ngx_msec_t           events_keepalive;  /* SSE comment interval */
    ngx_uint_t           events_max;    /* SSE streams per worker */
    ngx_flag_t           public_pages;  /* hrx_public: candidate pages */
    ngx_str_t            line_login_url;      /* LINE Login authorize */
    ngx_str_t            line_login_api_url;  /* its token, profile */
    ngx_str_t            line_api_url;  /* Messaging API: connect check */
    ngx_str_t            wa_api_url;    /* WhatsApp Graph API: connect */
    ngx_str_t            wa_api_version;             /* check, v25.0 */
} ngx_http_hrx_loc_conf_t;


/* who is asking: filled by ngx_http_hrx_auth.c */
typedef struct {
    int64_t              user_id;
    int64_t              tenant_id;
    int64_t              expires_at;    /* session: ms; token: 0 = never */
    ngx_uint_t           perms;         /* NGX_HTTP_HRX_PERM_* bits */
    unsigned             platform_admin:1;
    unsigned             via_cookie:1;
    unsigned             via_token:1;
    ngx_str_t            cookie;        /* the session token (cookie auth) */
} ngx_http_hrx_auth_t;


typedef struct ngx_http_hrx_ctx_s  ngx_http_hrx_ctx_t;
typedef struct ngx_http_hrx_route_s  ngx_http_hrx_route_t;

/*
 * What to send when a command's reply arrives: returns what
 * ngx_http_finalize_request() gets (the rc of ngx_http_hrx_send*()).
 */
typedef ngx_int_t (*ngx_http_hrx_done_pt)(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);

/* continuation after a thread task: same return convention as a route */
typedef ngx_int_t (*ngx_http_hrx_resume_pt)(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


struct ngx_http_hrx_ctx_s {
    ngx_http_request_t          *request;
    const ngx_http_hrx_route_t  *route;
    int64_t                      id;        /* the {id} of the path */
    json_t                      *body;      /* parsed request body */
    ngx_http_hrx_auth_t          auth;

    /* parked: waiting for a reply slot (ngx_http_hrx_park.c) */
    ngx_queue_t                  queue;
    uint32_t                     slot;
    uint32_t                     gen;
    ngx_msec_t                   deadline;
    ngx_msec_t                   reply_timeout; /* 0: hrx_reply_timeout */
    ngx_http_hrx_done_pt         done;
    hrx_shm_t                   *shm;       /* the mapping the slot is in */
    ngx_uint_t                   reply_status;
    u_char                      *reply_body;
    size_t                       reply_len;

    /* thread task (ngx_http_hrx_task.c) */
    ngx_http_hrx_resume_pt       resume;
    void                        *task_data;

    /* per-route state kept across the wait */
    ngx_str_t                    secret;    /* session or API token */
    int64_t                      user_id;
    int64_t                      tenant_id;
    int64_t                      expires_at;
    ngx_str_t                    password;
    char                        *pw_stored; /* hash to verify against */
    int                          pw_result; /* verify: 1 ok; hash: 0 ok */
    char                         pw_hash[HRX_PASSWORD_HASH_MAX];
    json_t                      *args;      /* command args being built */
    void                        *import;    /* ngx_http_hrx_import.c */
    void                        *events;    /* ngx_http_hrx_events.c */

    unsigned                     parked:1;      /* in a park queue */
    unsigned                     slot_held:1;   /* slot claimed by us */
    unsigned                     timed_out:1;
    unsigned                     cleanup_set:1;
    unsigned                     task_running:1;
    unsigned                     user_ok:1;  /* login: account usable */
    unsigned                     authenticated:1;   /* auth ran */
};


/* per-worker state */
typedef struct {
    hrx_shm_t            shm;
    unsigned             shm_mapped:1;
    unsigned             key_loaded:1;
    char                 shm_err[256];   /* last shm error logged */
    char                 key_err[256];   /* last key error logged */
    uint8_t              csrf_key[HRX_KEY_SIZE];
    ngx_queue_t          parked;
    ngx_uint_t           nparked;
    ngx_event_t          timer;

    /* the bell (hrx_bell.h): its index in the shm (-1: none, the timer
     * polls every millisecond), its FIFO, and the parked request of each
     * reply slot (slot_count entries) */
    int                  bell;
    ngx_connection_t    *bell_conn;
    ngx_http_hrx_ctx_t **by_slot;
    uint32_t             nslots;

    /* keys derived from master.key: link tokens, secrets at rest */
    unsigned             secrets_loaded:1;
    uint8_t              token_key[HRX_KEY_SIZE];
    uint8_t              seal_key[HRX_KEY_SIZE];
} ngx_http_hrx_worker_t;


extern ngx_module_t           ngx_http_hrx_module;
extern ngx_http_hrx_worker_t  ngx_http_hrx_worker;


/* the shm file, mapped lazily; NULL when there is none usable */
hrx_shm_t *ngx_http_hrx_shm(ngx_log_t *log, ngx_http_hrx_main_conf_t *hmcf);

/* the CSRF key, loaded lazily; NULL when master.key cannot be read */
uint8_t *ngx_http_hrx_csrf_key(ngx_log_t *log,
    ngx_http_hrx_main_conf_t *hmcf);

/*
 * The keys for link tokens (hrx_token_key()) and for sealing secrets
 * (hrx_derive_key(master, HRX_SEAL_KEY_LABEL)), loaded once per worker
 * like the CSRF key: NGX_OK, or NGX_DECLINED when master.key cannot be
 * read (logged).
 */
ngx_int_t ngx_http_hrx_secret_keys(ngx_log_t *log,
    ngx_http_hrx_main_conf_t *hmcf);


#endif /* NGX_HTTP_HRX_MODULE_H */
