/*
 * Applying commands.
 *
 * A worker has already checked a command's syntax, types, sizes and the
 * permissions it could read before putting it in the ring.  What it could
 * not check race-free is anything that depends on the current state: does
 * the user still exist, is this email still free, is this the last admin,
 * is the actor still active and still an admin.  Only the single writer
 * sees the state as it is when the command takes effect, so those checks
 * happen here, in the same transaction as the write.  The argument checks
 * are repeated too, cheaply: the ring is shared memory that any worker can
 * write, and a malformed value must become a 400, never a crash or a row
 * that breaks the readers.
 *
 * Each command runs inside its own SAVEPOINT of the batch transaction.  A
 * handler that refuses returns APPLY_REJECTED after setting an error reply;
 * everything it wrote is rolled back to the savepoint and the batch goes
 * on.  A handler that meets a database failure (I/O, full disk, SQLite
 * having ended the transaction) returns APPLY_FAILED instead: the command
 * is not at fault, so it must not be answered; the loop rolls back the
 * whole batch and retries it later.  An error of one statement that is not
 * a database failure is a bug or bad data: that command gets a 500 and the
 * batch goes on, so one poisoned command cannot wedge the ring.
 *
 * Whatever the outcome, one audit_log row records the ring position, the
 * tenant, the actor, the op, the object and "ok" or "rejected:<code>".  It
 * is written after the savepoint is released or rolled back, so a rejected
 * command leaves exactly that row and nothing else.
 *
 * Handlers live in one file per concern (apply_tenant.c, apply_user.c,
 * apply_session.c, apply_token.c) and share the helpers below.  A helper
 * that sets an error reply returns -1 and leaves the handler's return value
 * in ac->rc, so handlers read as a list of checks:
 *
 *     if (apply_arg_id(ac, args, "id", 1, &id) < 0) {
 *         return ac->rc;
 *     }
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrx_crypto.h"
#include "hrx_shm.h"
#include "apply.h"
#include "apply_resource.h"
#include "log.h"

typedef struct {
    const char        *op;
    const char        *object_type;
    int                tenant_scoped;   /* the envelope tenant must exist */
    apply_handler_pt   handler;
} apply_op_t;

static const apply_op_t apply_ops[] = {
    { "tenant.create",   "tenant",  0, apply_tenant_create },
    { "user.create",     "user",    1, apply_user_create },
    { "user.update",     "user",    1, apply_user_update },
    { "session.create",  "session", 1, apply_session_create },
    { "session.delete",  "session", 1, apply_session_delete },
    { "token.create",    "token",   1, apply_token_create },
    { "token.delete",    "token",   1, apply_token_delete },
    { "candidate.import", "candidate", 1, apply_candidate_import },
    { "bulk_action.create", "bulk_action", 1, apply_bulk_create },
    { "bulk_action.update", "bulk_action", 1, apply_bulk_update },
    { "bulk_action.delete", "bulk_action", 1, apply_bulk_delete },
    { "mail_settings.set", "mail_settings", 1, apply_mail_settings_set },
    { "line_settings.set", "line_settings", 1, apply_line_settings_set },
    { "line.disconnect", "line_settings", 1, apply_line_disconnect },
    { "line.webhook",    "line_delivery", 1, apply_line_webhook },
    { "line.link",       "candidate", 1, apply_line_link },
    { "whatsapp_number.set", "whatsapp_number", 1,
      apply_whatsapp_number_set },
    { "whatsapp_number.delete", "whatsapp_number", 1,
      apply_whatsapp_number_delete },
    { "whatsapp.webhook", "whatsapp_delivery", 1, apply_whatsapp_webhook },
    { "message.send",    "message", 1, apply_message_send },
};

#define APPLY_NOPS  (sizeof(apply_ops) / sizeof(apply_ops[0]))

/* <resource>.create/.update/.delete of shm/hrx_resource.h: one handler,
 * the object_type is the resource's name (apply_resource.c) */
static const apply_op_t apply_resource_op = {
    NULL, NULL, 1, apply_resource
};

/* the built-in admin role holds every permission (SPEC §0) */
const char *const apply_all_permissions_json =
    "[\"candidates.operate_other\",\"bulk_actions.manage\","
    "\"messages.view_reply\",\"integrations.admin\",\"templates.manage\","
    "\"campaigns.manage\",\"users.admin\"]";

/* sent when even the error body cannot be built */
static const char apply_oom_body[] =
    "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\","
    "\"field\":null}}";

static const apply_op_t *
apply_find(const char *op)
{
    size_t  i;

    for (i = 0; i < APPLY_NOPS; i++) {
        if (strcmp(apply_ops[i].op, op) == 0) {
            return &apply_ops[i];
        }
    }
    return NULL;
}

/* -------------------------------------------------------------------- */
/* replies */

const char *
apply_reply_text(const apply_reply_t *reply, size_t *len)
{
    if (reply->body != NULL) {
        *len = reply->len;
        return reply->body;
    }
    if (reply->status == 204) {
        *len = 0;
        return "";
    }
    *len = sizeof(apply_oom_body) - 1;
    return apply_oom_body;
}

void
apply_reply_free(apply_reply_t *reply)
{
    free(reply->body);
    reply->body = NULL;
    reply->len = 0;
    free(reply->spool);
    reply->spool = NULL;
}

static void
apply_set_body(apply_reply_t *reply, char *body)
{
    free(reply->body);
    reply->body = body;
    reply->len = body ? strlen(body) : 0;
}

apply_rc_e
apply_reject(apply_ctx_t *ac, int status, const char *code,
    const char *field, const char *fmt, ...)
{
    char     msg[512];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    ac->reply->status = status;
    apply_set_body(ac->reply, hrx_error_json(code, msg, field));
    snprintf(ac->reply->outcome, sizeof(ac->reply->outcome), "rejected:%s",
             code);
    ac->rc = APPLY_REJECTED;
    return APPLY_REJECTED;
}

apply_rc_e
apply_reject_object(apply_ctx_t *ac, int status, const char *code,
    json_t *body)
{
    char  *text;

    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        return apply_reject(ac, status, code, NULL, "out of memory");
    }

    ac->reply->status = status;
    apply_set_body(ac->reply, text);
    snprintf(ac->reply->outcome, sizeof(ac->reply->outcome), "rejected:%s",
             code);
    ac->rc = APPLY_REJECTED;
    return APPLY_REJECTED;
}

apply_rc_e
apply_store_error(apply_ctx_t *ac)
{
    if (store_db_failed(ac->st)) {
        log_error("%s at %llu: database failure: %s", ac->cmd->op,
                  (unsigned long long) ac->pos, store_errmsg(ac->st));
        ac->rc = APPLY_FAILED;
        return APPLY_FAILED;
    }

    log_error("%s at %llu: rejected with 500: %s", ac->cmd->op,
              (unsigned long long) ac->pos, store_errmsg(ac->st));
    return apply_reject(ac, 500, "internal", NULL,
                        "the command failed; see the scheduler log");
}

apply_rc_e
apply_store_unexpected(apply_ctx_t *ac, int store_rc)
{
    if (store_rc == STORE_ERROR) {
        return apply_store_error(ac);
    }
    log_error("%s at %llu: unexpected store result %d", ac->cmd->op,
              (unsigned long long) ac->pos, store_rc);
    return apply_reject(ac, 500, "internal", NULL,
                        "the command failed; see the scheduler log");
}

/* steals obj (NULL: out of memory while rendering) */
apply_rc_e
apply_reply_object(apply_ctx_t *ac, int status, json_t *obj)
{
    char  *body;

    if (obj == NULL) {
        return apply_reject(ac, 500, "internal", NULL, "out of memory");
    }
    body = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (body == NULL) {
        return apply_reject(ac, 500, "internal", NULL, "out of memory");
    }

    ac->reply->status = status;
    apply_set_body(ac->reply, body);
    snprintf(ac->reply->outcome, sizeof(ac->reply->outcome), "ok");
    ac->rc = APPLY_OK;
    return APPLY_OK;
}

apply_rc_e
apply_reply_empty(apply_ctx_t *ac)
{
    ac->reply->status = 204;
    apply_set_body(ac->reply, NULL);
    snprintf(ac->reply->outcome, sizeof(ac->reply->outcome), "ok");
    ac->rc = APPLY_OK;
    return APPLY_OK;
}

/* -------------------------------------------------------------------- */
/* arguments */

static const char *
apply_field(char *buf, size_t size, const char *path, const char *key)
{
    if (path == NULL) {
        return key;
    }
    snprintf(buf, size, "%s.%s", path, key);
    return buf;
}

/* characters of valid UTF-8 (jansson guarantees validity) */
static size_t
utf8_chars(const char *s, size_t len)
{
    size_t  i, n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }
    return n;
}

int
apply_arg_string(apply_ctx_t *ac, const json_t *args, const char *path,
    const char *key, int required, size_t min_chars, size_t max_chars,
    const char **out)
{
    const json_t  *v;
    const char    *s, *field;
    size_t         len, n;
    char           buf[128];

    field = apply_field(buf, sizeof(buf), path, key);
    v = json_object_get(args, key);

    if (v == NULL || json_is_null(v)) {
        if (!required) {
            *out = NULL;
            return 0;
        }
        apply_reject(ac, 400, "invalid_args", field, "%s is required", field);
        return -1;
    }

    if (!json_is_string(v)) {
        apply_reject(ac, 400, "invalid_args", field, "%s must be a string",
                     field);
        return -1;
    }

    s = json_string_value(v);
    len = json_string_length(v);
    if (memchr(s, '\0', len) != NULL) {
        apply_reject(ac, 400, "invalid_args", field,
                     "%s must not contain NUL", field);
        return -1;
    }

    n = utf8_chars(s, len);
    if (n < min_chars || n > max_chars) {
        apply_reject(ac, 400, "invalid_args", field,
                     "%s must be %zu to %zu characters", field, min_chars,
                     max_chars);
        return -1;
    }

    *out = s;
    return 1;
}

static int
apply_arg_integer(apply_ctx_t *ac, const json_t *args, const char *key,
    int required, int64_t *out, const char *what)
{
    const json_t  *v;

    v = json_object_get(args, key);
    if (v == NULL || json_is_null(v)) {
        if (!required) {
            *out = 0;
            return 0;
        }
        apply_reject(ac, 400, "invalid_args", key, "%s is required", key);
        return -1;
    }

    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        apply_reject(ac, 400, "invalid_args", key, "%s must be %s", key,
                     what);
        return -1;
    }

    *out = json_integer_value(v);
    return 1;
}

int
apply_arg_id(apply_ctx_t *ac, const json_t *args, const char *key,
    int required, int64_t *out)
{
    return apply_arg_integer(ac, args, key, required, out,
                             "a positive integer id");
}

int
apply_arg_time(apply_ctx_t *ac, const json_t *args, const char *key,
    int required, int64_t *out)
{
    return apply_arg_integer(ac, args, key, required, out,
                             "a time in unix milliseconds");
}

int
apply_arg_object(apply_ctx_t *ac, const json_t *args, const char *key,
    int required, const json_t **out)
{
    const json_t  *v;

    v = json_object_get(args, key);
    if (v == NULL || json_is_null(v)) {
        if (!required) {
            *out = NULL;
            return 0;
        }
        apply_reject(ac, 400, "invalid_args", key, "%s is required", key);
        return -1;
    }
    if (!json_is_object(v)) {
        apply_reject(ac, 400, "invalid_args", key, "%s must be an object",
                     key);
        return -1;
    }
    *out = v;
    return 1;
}

int
apply_arg_email(apply_ctx_t *ac, const json_t *args, const char *path,
    const char *key, const char **out)
{
    const char  *s, *at;
    char         buf[128];

    if (apply_arg_string(ac, args, path, key, 1, 3, 254, &s) < 0) {
        return -1;
    }
    at = strchr(s, '@');
    if (at == NULL || at == s || at[1] == '\0') {
        apply_reject(ac, 400, "invalid_args",
                     apply_field(buf, sizeof(buf), path, key),
                     "%s is not an email address",
                     apply_field(buf, sizeof(buf), path, key));
        return -1;
    }
    *out = s;
    return 1;
}

int
apply_arg_sha256_hex(apply_ctx_t *ac, const json_t *args, const char *key,
    const char **out)
{
    const char  *s;
    size_t       i;

    if (apply_arg_string(ac, args, NULL, key, 1, 64, 64, &s) < 0) {
        return -1;
    }
    for (i = 0; i < 64; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            apply_reject(ac, 400, "invalid_args", key,
                         "%s must be 64 lowercase hex digits", key);
            return -1;
        }
    }
    *out = s;
    return 1;
}

/*
 * Only the stored form made by hrx_password_hash() is accepted: were a
 * worker ever to send a password instead of its hash by mistake, it must
 * not end up in the database in clear.
 */
int
apply_arg_password_hash(apply_ctx_t *ac, const json_t *args,
    const char *path, const char **out)
{
    const char  *s, *field;
    char         buf[128];
    int          rc;

    rc = apply_arg_string(ac, args, path, "password_hash", 0, 1,
                          HRX_PASSWORD_HASH_MAX - 1, &s);
    if (rc <= 0) {
        *out = NULL;
        return rc;
    }
    if (strncmp(s, "scrypt$", 7) != 0) {
        field = apply_field(buf, sizeof(buf), path, "password_hash");
        apply_reject(ac, 400, "invalid_args", field,
                     "%s is not a stored password hash", field);
        return -1;
    }
    *out = s;
    return 1;
}

/* -------------------------------------------------------------------- */
/* the actor */

int
apply_perms_have(const char *stored, const char *perm)
{
    json_t  *a, *v;
    size_t   i;
    int      found = 0;

    a = json_loads(stored, 0, NULL);
    if (a == NULL) {
        return 0;
    }
    json_array_foreach(a, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), perm) == 0) {
            found = 1;
            break;
        }
    }
    json_decref(a);
    return found;
}

int
apply_actor(apply_ctx_t *ac, store_user_t *actor)
{
    int  rc;

    if (ac->cmd->actor_id == 0) {
        return 0;
    }

    rc = store_user_get_any_tenant(ac->st, ac->cmd->actor_id, actor);
    if (rc == STORE_ERROR) {
        apply_store_error(ac);
        return -1;
    }
    if (rc == STORE_NOTFOUND || strcmp(actor->status, "active") != 0) {
        apply_reject(ac, 403, "forbidden", NULL,
                     "the acting user no longer exists or is disabled");
        return -1;
    }
    return 1;
}

/*
 * A platform admin (an operator of the whole install) may act in any
 * tenant with every permission; anyone else only in their own tenant, with
 * what their role grants.
 */
int
apply_actor_has(const apply_ctx_t *ac, const store_user_t *actor,
    const char *perm)
{
    if (actor->platform_admin) {
        return 1;
    }
    return actor->tenant_id == ac->cmd->tenant_id
           && apply_perms_have(actor->permissions, perm);
}

int
apply_require(apply_ctx_t *ac, const char *perm)
{
    store_user_t  actor;
    int           rc;

    rc = apply_actor(ac, &actor);
    if (rc <= 0) {
        return rc;            /* 0: the system; -1: reply set */
    }
    if (!apply_actor_has(ac, &actor, perm)) {
        apply_reject(ac, 403, "forbidden", NULL,
                     "this needs the %s permission", perm);
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------------------- */
/* dispatch */

static apply_rc_e
apply_dispatch(apply_ctx_t *ac, const apply_op_t *op)
{
    store_tenant_t  tenant;
    int             rc;

    if (op == NULL) {
        return apply_reject(ac, 400, "unknown_op", "op",
                            "unknown operation \"%s\"", ac->cmd->op);
    }

    if (!json_is_object(ac->cmd->args)) {
        return apply_reject(ac, 400, "invalid_args", NULL,
                            "args must be an object");
    }

    if (op->tenant_scoped) {
        if (ac->cmd->tenant_id <= 0) {
            return apply_reject(ac, 400, "invalid_args", NULL,
                                "%s needs a tenant", ac->cmd->op);
        }
        rc = store_tenant_get(ac->st, ac->cmd->tenant_id, &tenant);
        if (rc == STORE_ERROR) {
            return apply_store_error(ac);
        }
        if (rc == STORE_NOTFOUND) {
            return apply_reject(ac, 404, "not_found", NULL,
                                "tenant %lld does not exist",
                                (long long) ac->cmd->tenant_id);
        }
    }

    return op->handler(ac);
}

static apply_rc_e
apply_audit(store_t *st, const hrx_command_t *cmd, uint64_t pos,
    const char *op, const apply_reply_t *reply, int64_t at)
{
    store_audit_t  a;

    a.ring_pos = pos;
    a.has_ring_pos = 1;
    a.tenant_id = cmd ? cmd->tenant_id : 0;
    a.actor_id = cmd ? cmd->actor_id : 0;
    a.op = op;
    a.object_type = reply->object_type;
    a.object_id = reply->object_id;
    a.outcome = reply->outcome;
    a.at = at;

    if (store_audit_insert(st, &a) != STORE_OK) {
        log_error("%s at %llu: cannot write audit_log: %s", op,
                  (unsigned long long) pos, store_errmsg(st));
        return APPLY_FAILED;
    }
    return APPLY_OK;
}

apply_rc_e
apply_command(store_t *st, const hrx_command_t *cmd, uint64_t pos,
    apply_reply_t *reply)
{
    apply_ctx_t        ac;
    const apply_op_t  *op;
    apply_rc_e         rc;

    memset(reply, 0, sizeof(*reply));
    ac.st = st;
    ac.cmd = cmd;
    ac.pos = pos;
    ac.now = (int64_t) hrx_wall_ms();
    ac.reply = reply;
    ac.rc = APPLY_OK;

    op = apply_find(cmd->op);
    reply->object_type = op ? op->object_type : NULL;
    if (op == NULL && (reply->object_type = apply_resource_type(cmd->op))) {
        op = &apply_resource_op;
    }

    /* outside any command: a failure here concerns the whole batch */
    if (store_savepoint(st) != STORE_OK) {
        log_error("%s at %llu: SAVEPOINT: %s", cmd->op,
                  (unsigned long long) pos, store_errmsg(st));
        goto failed;
    }

    rc = apply_dispatch(&ac, op);

    switch (rc) {

    case APPLY_OK:
        if (store_savepoint_release(st) != STORE_OK) {
            log_error("%s at %llu: RELEASE: %s", cmd->op,
                      (unsigned long long) pos, store_errmsg(st));
            goto failed;
        }
        break;

    case APPLY_REJECTED:
        if (store_savepoint_rollback(st) != STORE_OK
            || store_savepoint_release(st) != STORE_OK)
        {
            log_error("%s at %llu: ROLLBACK TO: %s", cmd->op,
                      (unsigned long long) pos, store_errmsg(st));
            goto failed;
        }
        break;

    default: /* APPLY_FAILED: the loop rolls the batch back */
        goto failed;
    }

    if (apply_audit(st, cmd, pos, cmd->op, reply, ac.now) != APPLY_OK) {
        goto failed;
    }
    return rc;

failed:
    apply_reply_free(reply);
    return APPLY_FAILED;
}

apply_rc_e
apply_malformed(store_t *st, uint64_t pos, const char *why,
    apply_reply_t *reply)
{
    memset(reply, 0, sizeof(*reply));
    reply->status = 400;
    reply->body = hrx_error_json("malformed_command", why, NULL);
    reply->len = reply->body ? strlen(reply->body) : 0;
    snprintf(reply->outcome, sizeof(reply->outcome),
             "rejected:malformed_command");

    if (apply_audit(st, NULL, pos, "malformed", reply,
                    (int64_t) hrx_wall_ms()) != APPLY_OK)
    {
        apply_reply_free(reply);
        return APPLY_FAILED;
    }
    return APPLY_REJECTED;
}
