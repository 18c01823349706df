/*
 * line.link: a candidate linked to a LINE user (docs/line.md, "Friend
 * registration", LN-3…LN-5).
 *
 * The worker sends it from GET /line/callback once LINE Login vouched for
 * the user: the signed state named the tenant (the envelope's) and the
 * candidate, the id_token carried the state's nonce, the profile the
 * user id.  It acts as the system (actor 0): the candidate, not a user,
 * makes this change.
 *
 * The checks, in order, each deciding alone:
 *
 *   nonce used before            409 replayed (the same callback again:
 *                                a reload, a copied URL, an attacker)
 *   no such candidate            404 (deleted since the mail was sent)
 *   linked to this LINE user     200, already: true (a second run of the
 *                                flow changes nothing)
 *   linked to another LINE user  409 already_linked (a link is never
 *                                replaced, LN-5)
 *   the LINE user holds another  409 line_user_taken (one LINE account,
 *   candidate of the tenant      one candidate: the unique index says so)
 *
 * otherwise the candidate gets line_user_id and line_linked_at.  The
 * nonce is recorded in the command's savepoint, so it stays used only
 * when the command succeeds; a refused attempt leaves nothing behind (and
 * its code is spent at LINE anyway).
 */
#include <string.h>

#include "apply.h"
#include "store_line_link.h"

#define LINE_LINK_NONCE_MAX  64
#define LINE_LINK_USER_MAX   (STORE_LINE_USER_SIZE - 1)

/* base64url, or LINE's ids (letters and digits): 1 when s is made of
 * those only */
static int
apply_line_link_word(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
              || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
        {
            return 0;
        }
    }
    return 1;
}

static json_t *
apply_line_link_object(int64_t candidate_id, const char *line_user_id,
    int already)
{
    return json_pack("{s:I, s:s, s:b}", "candidate_id",
                     (json_int_t) candidate_id, "line_user_id",
                     line_user_id, "already", already);
}

apply_rc_e
apply_line_link(apply_ctx_t *ac)
{
    const json_t  *args = ac->cmd->args;
    const char    *user, *nonce;
    char           linked[STORE_LINE_USER_SIZE];
    int64_t        id, holder, tenant;
    int            rc;

    tenant = ac->cmd->tenant_id;

    if (ac->cmd->actor_id != 0) {
        return apply_reject(ac, 403, "forbidden", NULL,
                            "only the LINE Login callback links a "
                            "candidate");
    }

    if (apply_arg_id(ac, args, "candidate_id", 1, &id) < 0
        || apply_arg_string(ac, args, NULL, "line_user_id", 1, 1,
                            LINE_LINK_USER_MAX, &user) < 0
        || apply_arg_string(ac, args, NULL, "nonce", 1, 16,
                            LINE_LINK_NONCE_MAX, &nonce) < 0)
    {
        return ac->rc;
    }
    ac->reply->object_id = id;

    if (!apply_line_link_word(user)) {
        return apply_reject(ac, 400, "invalid_args", "line_user_id",
                            "a LINE user id is letters and digits");
    }
    if (!apply_line_link_word(nonce)) {
        return apply_reject(ac, 400, "invalid_args", "nonce",
                            "the nonce is base64url");
    }

    rc = store_line_link_use_state(ac->st, nonce, tenant, id, ac->now);
    if (rc == STORE_CONFLICT) {
        return apply_reject(ac, 409, "replayed", "nonce",
                            "this login was already used");
    }
    if (rc != STORE_OK) {
        return apply_store_error(ac);
    }

    rc = store_line_link_candidate(ac->st, tenant, id, linked);
    if (rc == STORE_NOTFOUND) {
        return apply_reject(ac, 404, "not_found", "candidate_id",
                            "no such candidate");
    }
    if (rc != STORE_OK) {
        return apply_store_error(ac);
    }

    if (linked[0] != '\0') {
        if (strcmp(linked, user) == 0) {
            return apply_reply_object(ac, 200,
                                      apply_line_link_object(id, user, 1));
        }
        return apply_reject(ac, 409, "already_linked", "candidate_id",
                            "the candidate is linked to another LINE "
                            "account");
    }

    rc = store_line_link_holder(ac->st, tenant, user, &holder);
    if (rc == STORE_OK) {
        return apply_reject(ac, 409, "line_user_taken", "line_user_id",
                            "this LINE account is linked to another "
                            "candidate");
    }
    if (rc != STORE_NOTFOUND) {
        return apply_store_error(ac);
    }

    rc = store_line_link_set(ac->st, tenant, id, user, ac->now);
    if (rc == STORE_CONFLICT) {
        return apply_reject(ac, 409, "line_user_taken", "line_user_id",
                            "this LINE account is linked to another "
                            "candidate");
    }
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    return apply_reply_object(ac, 200, apply_line_link_object(id, user, 0));
}
