/*
 * session.create and session.delete: logging in and out.
 *
 * The worker verifies the password (on its thread pool: scrypt is slow)
 * and only then asks for a session; by the time the command is applied
 * the user may have been disabled by a command earlier in the ring.  So
 * the user is looked up again here and a disabled (or vanished) user gets
 * 403 user_disabled instead of a session that the readers would ignore
 * anyway.  The cookie itself never reaches the scheduler: only its
 * SHA-256 in hex, which is what readers look sessions up by.
 *
 * Logging out is idempotent: 204 whether or not the session still existed
 * (it may have expired and been swept, or the user pressed twice).
 */
#include <string.h>

#include "apply.h"
#include "render.h"

apply_rc_e
apply_session_create(apply_ctx_t *ac)
{
    const json_t  *args = ac->cmd->args;
    const char    *hash, *agent, *ip;
    store_user_t   user;
    int64_t        user_id, expires_at, id;
    json_t        *obj;
    int            rc;

    if (apply_arg_id(ac, args, "user_id", 1, &user_id) < 0
        || apply_arg_sha256_hex(ac, args, "token_hash", &hash) < 0
        || apply_arg_time(ac, args, "expires_at", 1, &expires_at) < 0
        || apply_arg_string(ac, args, NULL, "user_agent", 0, 0, 512,
                            &agent) < 0
        || apply_arg_string(ac, args, NULL, "ip", 0, 1, 64, &ip) < 0)
    {
        return ac->rc;
    }

    if (expires_at <= ac->now) {
        return apply_reject(ac, 400, "invalid_args", "expires_at",
                            "expires_at must be in the future");
    }

    rc = store_user_get(ac->st, ac->cmd->tenant_id, user_id, &user);
    if (rc == STORE_ERROR) {
        return apply_store_error(ac);
    }
    if (rc == STORE_NOTFOUND || strcmp(user.status, "active") != 0) {
        return apply_reject(ac, 403, "user_disabled", NULL,
                            "this user is disabled");
    }

    rc = store_session_insert(ac->st, ac->cmd->tenant_id, user.id, hash,
                              ac->now, expires_at, agent, ip, &id);
    if (rc == STORE_CONFLICT) {
        return apply_reject(ac, 409, "conflict", "token_hash",
                            "a session with this token exists");
    }
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    ac->reply->object_id = id;

    if (apply_user_object(ac, &user, &obj) != 0) {
        return ac->rc;
    }
    obj = json_pack("{s:o, s:o}", "user", obj,
                    "expires_at", hrx_json_time(expires_at));
    return apply_reply_object(ac, 201, obj);
}

apply_rc_e
apply_session_delete(apply_ctx_t *ac)
{
    const char  *hash;
    int64_t      id = 0;
    int          rc;

    if (apply_arg_sha256_hex(ac, ac->cmd->args, "token_hash", &hash) < 0) {
        return ac->rc;
    }

    rc = store_session_delete(ac->st, ac->cmd->tenant_id, hash, &id);
    if (rc == STORE_ERROR) {
        return apply_store_error(ac);
    }
    ac->reply->object_id = (rc == STORE_OK) ? id : 0;

    return apply_reply_empty(ac);
}
