/*
 * Applying one command of a batch: dispatch by op, the per-command
 * savepoint, the audit row, and the helpers every apply_*.c shares
 * (argument checks, actor checks, replies).  See apply.c.
 */
#ifndef HRX_SCHED_APPLY_H
#define HRX_SCHED_APPLY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "hrx_codec.h"
#include "store.h"

typedef enum {
    APPLY_OK = 0,      /* applied: savepoint released */
    APPLY_REJECTED,    /* refused (4xx, or 500 for a bug): rolled back */
    APPLY_FAILED       /* the database failed: retry the whole batch */
} apply_rc_e;

/* what a command produced: the reply and what the audit row says */
typedef struct {
    int          status;           /* HTTP status */
    char        *body;             /* malloc()ed JSON; NULL: apply_reply_text */
    size_t       len;
    char         outcome[96];      /* "ok" or "rejected:<code>" */
    const char  *object_type;      /* static string or NULL */
    int64_t      object_id;        /* 0: unknown */
    char        *spool;            /* malloc()ed path of a file the loop
                                      removes once the batch is committed
                                      (candidate.import), or NULL */
} apply_reply_t;

/* handed to every op handler */
typedef struct {
    store_t              *st;
    const hrx_command_t  *cmd;
    uint64_t              pos;      /* ring position of the record */
    int64_t               now;      /* hrx_wall_ms() when applying began */
    apply_reply_t        *reply;
    apply_rc_e            rc;       /* set by helpers that return -1 */
} apply_ctx_t;

typedef apply_rc_e (*apply_handler_pt)(apply_ctx_t *ac);

/*
 * Apply one decoded command inside the open batch transaction: savepoint,
 * handler, release or roll back, audit row.  The reply is always set
 * (free it with apply_reply_free) unless APPLY_FAILED is returned.
 */
apply_rc_e apply_command(store_t *st, const hrx_command_t *cmd, uint64_t pos,
    apply_reply_t *reply);

/* a record that did not decode: 400 malformed_command and its audit row;
 * APPLY_REJECTED, or APPLY_FAILED when the audit row could not be written */
apply_rc_e apply_malformed(store_t *st, uint64_t pos, const char *why,
    apply_reply_t *reply);

/* the body to send: never NULL */
const char *apply_reply_text(const apply_reply_t *reply, size_t *len);
void apply_reply_free(apply_reply_t *reply);

/* ---- for the apply_*.c files ---- */

/* replies; each returns the rc the handler should return */
apply_rc_e apply_reply_object(apply_ctx_t *ac, int status, json_t *obj);
apply_rc_e apply_reply_empty(apply_ctx_t *ac);      /* 204, "" */
apply_rc_e apply_reject(apply_ctx_t *ac, int status, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* a refusal with a body of its own (steals body: an {"error": ...}
 * object with more than code, message and field) */
apply_rc_e apply_reject_object(apply_ctx_t *ac, int status, const char *code,
    json_t *body);
/* after a STORE_ERROR: APPLY_FAILED for a database failure, else a 500 */
apply_rc_e apply_store_error(apply_ctx_t *ac);
/* an unexpected store result (STORE_ERROR, or a row that must exist but
 * was not found): apply_store_error, or a 500 */
apply_rc_e apply_store_unexpected(apply_ctx_t *ac, int store_rc);

/*
 * Arguments.  Each returns 1 (present, *out set), 0 (absent or null, and
 * not required) or -1 (the reply is set and ac->rc holds what to return).
 * path names the enclosing object for error fields ("admin"), or NULL.
 */
int apply_arg_string(apply_ctx_t *ac, const json_t *args, const char *path,
    const char *key, int required, size_t min_chars, size_t max_chars,
    const char **out);
int apply_arg_id(apply_ctx_t *ac, const json_t *args, const char *key,
    int required, int64_t *out);                    /* integer > 0 */
int apply_arg_time(apply_ctx_t *ac, const json_t *args, const char *key,
    int required, int64_t *out);                    /* integer ms > 0 */
int apply_arg_object(apply_ctx_t *ac, const json_t *args, const char *key,
    int required, const json_t **out);
int apply_arg_email(apply_ctx_t *ac, const json_t *args, const char *path,
    const char *key, const char **out);             /* required */
int apply_arg_sha256_hex(apply_ctx_t *ac, const json_t *args,
    const char *key, const char **out);             /* required */
int apply_arg_password_hash(apply_ctx_t *ac, const json_t *args,
    const char *path, const char **out);            /* optional */

/*
 * The acting user, re-read now (a worker checked it, but it may have been
 * disabled or lost its role since).  apply_actor: 1 and *actor set for an
 * active user, 0 for the system (actor id 0), -1 (403 forbidden when the
 * user is gone or disabled).
 */
int apply_actor(apply_ctx_t *ac, store_user_t *actor);
/* whether an active actor holds perm in the command's tenant */
int apply_actor_has(const apply_ctx_t *ac, const store_user_t *actor,
    const char *perm);
/* 0 when the actor (or the system) holds perm, else -1 (403) */
int apply_require(apply_ctx_t *ac, const char *perm);

/* 1 when the stored permission list holds perm */
int apply_perms_have(const char *stored, const char *perm);

/* permissions (docs/commands.md) */
#define PERM_USERS_ADMIN   "users.admin"
extern const char *const apply_all_permissions_json;

/* the user object as the API returns it, with its master_group_ids:
 * 0, or -1 with the reply set */
int apply_user_object(apply_ctx_t *ac, const store_user_t *u, json_t **out);

/* handlers, one file per concern */
apply_rc_e apply_tenant_create(apply_ctx_t *ac);
apply_rc_e apply_user_create(apply_ctx_t *ac);
apply_rc_e apply_user_update(apply_ctx_t *ac);
apply_rc_e apply_session_create(apply_ctx_t *ac);
apply_rc_e apply_session_delete(apply_ctx_t *ac);
apply_rc_e apply_token_create(apply_ctx_t *ac);
apply_rc_e apply_token_delete(apply_ctx_t *ac);
apply_rc_e apply_candidate_import(apply_ctx_t *ac);
apply_rc_e apply_bulk_create(apply_ctx_t *ac);
apply_rc_e apply_bulk_update(apply_ctx_t *ac);
apply_rc_e apply_bulk_delete(apply_ctx_t *ac);
apply_rc_e apply_mail_settings_set(apply_ctx_t *ac);
apply_rc_e apply_line_settings_set(apply_ctx_t *ac);
apply_rc_e apply_line_disconnect(apply_ctx_t *ac);
apply_rc_e apply_line_webhook(apply_ctx_t *ac);
apply_rc_e apply_line_link(apply_ctx_t *ac);
apply_rc_e apply_whatsapp_number_set(apply_ctx_t *ac);
apply_rc_e apply_whatsapp_number_delete(apply_ctx_t *ac);
apply_rc_e apply_whatsapp_webhook(apply_ctx_t *ac);
apply_rc_e apply_message_send(apply_ctx_t *ac);

#endif /* HRX_SCHED_APPLY_H */
