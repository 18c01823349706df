/*
 * The store: every SQL statement of the scheduler lives in store.c, behind
 * typed functions, so that PostgreSQL can later sit behind this same
 * interface.  See the essay at the top of store.c.
 */
#ifndef HRX_SCHED_STORE_H
#define HRX_SCHED_STORE_H

#include <stddef.h>
#include <stdint.h>

/* return codes of every store_* function that can fail */
#define STORE_OK         0
#define STORE_NOTFOUND   1     /* a lookup found no row */
#define STORE_CONFLICT   2     /* an insert hit a UNIQUE constraint */
#define STORE_ERROR     (-1)   /* see store_errmsg() / store_db_failed() */

/*
 * Text buffers of the row structs.  The contract bounds every field in
 * characters (names 1-200, emails 254, ...); a UTF-8 character is at most
 * 4 bytes.  A stored value that does not fit is reported as STORE_ERROR,
 * never silently cut.
 */
#define STORE_SLUG_SIZE     64
#define STORE_EMAIL_SIZE    256
#define STORE_NAME_SIZE     (200 * 4 + 1)
#define STORE_TZ_SIZE       128
#define STORE_STATUS_SIZE   16
#define STORE_PERMS_SIZE    2048
#define STORE_PREFIX_SIZE   64

typedef struct store_s  store_t;

typedef struct {
    int64_t  id;
    char     slug[STORE_SLUG_SIZE];
    char     name[STORE_NAME_SIZE];
    char     time_zone[STORE_TZ_SIZE];
    int64_t  created_at;
    int64_t  created_by;       /* 0: NULL (the system) */
    int64_t  updated_at;
    int64_t  updated_by;
} store_tenant_t;

typedef struct {
    int64_t  id;
    int64_t  tenant_id;
    char     name[STORE_NAME_SIZE];
    char     permissions[STORE_PERMS_SIZE];   /* JSON array */
    int      builtin;
} store_role_t;

/* a user joined with its role (name and permissions) */
typedef struct {
    int64_t  id;
    int64_t  tenant_id;
    char     email[STORE_EMAIL_SIZE];
    char     name[STORE_NAME_SIZE];
    char     status[STORE_STATUS_SIZE];       /* "active" / "disabled" */
    int64_t  role_id;
    char     role[STORE_NAME_SIZE];
    char     permissions[STORE_PERMS_SIZE];   /* JSON array */
    int      platform_admin;
    int      has_password;
    int64_t  created_at;
    int64_t  created_by;
    int64_t  updated_at;
    int64_t  updated_by;
} store_user_t;

typedef struct {
    int64_t  id;
    int64_t  tenant_id;
    int64_t  user_id;
    char     name[STORE_NAME_SIZE];
    char     prefix[STORE_PREFIX_SIZE];
    int64_t  created_at;
    int64_t  expires_at;       /* 0: never */
} store_token_t;

typedef struct {
    uint64_t     ring_pos;
    int64_t      tenant_id;    /* 0: NULL */
    int64_t      actor_id;     /* 0: NULL */
    const char  *op;
    const char  *object_type;  /* NULL allowed */
    int64_t      object_id;    /* 0: NULL */
    const char  *outcome;      /* "ok" or "rejected:<code>" */
    int64_t      at;
    int          has_ring_pos; /* 0: not from the ring (--init) */
} store_audit_t;

/* a reply of the batch in hand, for store_replies_save */
typedef struct {
    uint32_t     slot;
    uint32_t     gen;
    int          status;
    const char  *body;
    size_t       len;
} store_reply_t;

/* called for each stored reply by store_replies_foreach */
typedef void (*store_reply_pt)(void *ctx, uint64_t ring_pos, uint32_t slot,
    uint32_t gen, int status, const char *body, size_t len);

/* open / schema */
store_t *store_open(const char *path, char *err, size_t errlen);
void store_close(store_t *st);
int store_migrate(store_t *st);
const char *store_errmsg(const store_t *st);
/* 1 when the last error concerns the database (I/O, full disk, lock,
 * corruption, no open transaction any more) rather than one statement */
int store_db_failed(const store_t *st);

/* transactions: one batch = BEGIN IMMEDIATE ... COMMIT, one command = a
 * savepoint inside it */
int store_begin(store_t *st);
int store_commit(store_t *st);
void store_rollback(store_t *st);
int store_savepoint(store_t *st);
int store_savepoint_release(store_t *st);
int store_savepoint_rollback(store_t *st);

/* meta */
int store_meta_get_ring_pos(store_t *st, uint64_t *pos);
int store_meta_set_ring_pos(store_t *st, uint64_t pos);

/* tenants and roles */
int store_tenant_insert(store_t *st, const char *slug, const char *name,
    const char *time_zone, int64_t at, int64_t by, int64_t *id);
int store_tenant_get(store_t *st, int64_t id, store_tenant_t *t);
int store_tenant_slug_taken(store_t *st, const char *slug);   /* 1 / 0 / -1 */
int store_role_insert(store_t *st, int64_t tenant_id, const char *name,
    const char *permissions, int builtin, int64_t at, int64_t by,
    int64_t *id);
int store_role_get(store_t *st, int64_t tenant_id, int64_t id,
    store_role_t *r);
int store_role_get_builtin_admin(store_t *st, int64_t tenant_id,
    store_role_t *r);

/* users */
int store_user_insert(store_t *st, int64_t tenant_id, const char *email,
    const char *name, const char *password_hash, int64_t role_id,
    int platform_admin, int64_t at, int64_t by, int64_t *id);
int store_user_get(store_t *st, int64_t tenant_id, int64_t id,
    store_user_t *u);
/* the actor of a command, in whatever tenant it lives */
int store_user_get_any_tenant(store_t *st, int64_t id, store_user_t *u);
int store_user_email_taken(store_t *st, int64_t tenant_id,
    const char *email);                                        /* 1 / 0 / -1 */
/* password_hash NULL keeps the stored one */
int store_user_update(store_t *st, int64_t tenant_id, int64_t id,
    const char *name, const char *status, int64_t role_id,
    const char *password_hash, int64_t at, int64_t by);
int store_user_count(store_t *st, int64_t *n);
/* active users of the tenant, other than except_id, whose role grants
 * permission */
int store_user_count_with_permission(store_t *st, int64_t tenant_id,
    const char *permission, int64_t except_id, int64_t *n);

/* sessions */
int store_session_insert(store_t *st, int64_t tenant_id, int64_t user_id,
    const char *token_hash, int64_t created_at, int64_t expires_at,
    const char *user_agent, const char *ip, int64_t *id);
/* STORE_OK with *id, or STORE_NOTFOUND when there was no such session */
int store_session_delete(store_t *st, int64_t tenant_id,
    const char *token_hash, int64_t *id);
int store_session_delete_user(store_t *st, int64_t tenant_id,
    int64_t user_id);
int store_session_delete_expired(store_t *st, int64_t now, int64_t *n);

/* API tokens */
int store_token_insert(store_t *st, int64_t tenant_id, int64_t user_id,
    const char *name, const char *token_hash, const char *prefix,
    int64_t created_at, int64_t expires_at, int64_t *id);
int store_token_get(store_t *st, int64_t tenant_id, int64_t id,
    store_token_t *t);
int store_token_delete(store_t *st, int64_t tenant_id, int64_t id);

/* audit_log */
int store_audit_insert(store_t *st, const store_audit_t *a);

/*
 * batch_replies: the replies of the batch in hand (ring_pos: where it
 * ends), replacing the previous batch's, in its transaction; and at
 * start, each reply of the last batch committed, for a worker that may
 * still wait on it.
 */
int store_replies_save(store_t *st, uint64_t ring_pos, const store_reply_t *r,
    size_t n, int64_t at);
int store_replies_foreach(store_t *st, store_reply_pt handler, void *ctx);

#endif /* HRX_SCHED_STORE_H */
