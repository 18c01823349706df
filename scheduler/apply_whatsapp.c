/*
 * WhatsApp commands (docs/whatsapp.md): whatsapp_number.set and
 * whatsapp_number.delete.
 *
 * whatsapp_number.set stores what the worker's connect check accepted
 * against the Graph API (WA-1): the number's ids, what Meta said about it
 * (display number, verified name, quality rating) and the three secrets
 * sealed by the worker (hrx_seal(), aad "whatsapp.<column>:<tenant>:
 * <phone number id>"), because the ring is a file-backed mapping and a
 * plaintext secret there would reach the disk.  Without "id" it adds a
 * number, with it replaces that number of the tenant (404 for any other).
 * A phone number id already connected -- in this tenant or another --
 * is 409 phone_number_taken: a webhook names the phone number id, and it
 * must lead to one tenant only.
 *
 * whatsapp_number.delete needs "confirm": true (the worker refuses
 * earlier without it; the scheduler checks again, the rule is its own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrx_crypto.h"
#include "apply_reach.h"
#include "log.h"
#include "store_whatsapp.h"

#define WA_ID_MAX        32             /* Graph ids: digits */

static const char *const  apply_wa_members[] = {
    "id", "nickname", "waba_id", "phone_number_id", "access_token",
    "app_secret", "verify_token", "display_phone_number", "verified_name",
    "quality_rating", "unknown_senders", NULL
};

static int
apply_wa_members_known(apply_ctx_t *ac, const char *const *members)
{
    const char  *key;
    json_t      *jv;
    size_t       i;

    json_object_foreach((json_t *) ac->cmd->args, key, jv) {
        for (i = 0; members[i] != NULL; i++) {
            if (strcmp(key, members[i]) == 0) {
                break;
            }
        }
        if (members[i] == NULL) {
            apply_reject(ac, 400, "unknown_field", key,
                         "%s is not a WhatsApp number's member", key);
            return -1;
        }
    }
    return 0;
}

static int
apply_wa_graph_id(apply_ctx_t *ac, const char *key, const char **out)
{
    const char  *s;
    size_t       i;

    if (apply_arg_string(ac, ac->cmd->args, NULL, key, 1, 1, WA_ID_MAX,
                         &s) < 0)
    {
        return -1;
    }
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9') {
            apply_reject(ac, 400, "invalid_value", key,
                         "%s must be Meta's id (digits)", key);
            return -1;
        }
    }
    *out = s;
    return 0;
}

/* a secret sealed by the worker, base64url, into buf */
static int
apply_wa_sealed(apply_ctx_t *ac, const char *key, uint8_t *buf,
    store_wa_blob_t *out)
{
    const json_t  *v;
    size_t         len = STORE_WA_SEALED_MAX;

    v = json_object_get(ac->cmd->args, key);
    if (!json_is_string(v)
        || hrx_b64url_decode(json_string_value(v), json_string_length(v),
                             buf, &len) != 0
        || len <= HRX_SEAL_OVERHEAD)
    {
        apply_reject(ac, 400, "invalid_value", key,
                     "%s must be sealed by the worker", key);
        return -1;
    }
    out->data = buf;
    out->len = len;
    return 0;
}

apply_rc_e
apply_whatsapp_number_set(apply_ctx_t *ac)
{
    const json_t           *args = ac->cmd->args;
    store_reach_t           who;
    store_wa_number_set_t   set;
    unsigned                perms;
    int64_t                 id;
    int                     rc;
    uint8_t                 token[STORE_WA_SEALED_MAX];
    uint8_t                 secret[STORE_WA_SEALED_MAX];
    uint8_t                 verify[STORE_WA_SEALED_MAX];

    if (apply_reach_load(ac, &who, &perms) != 0
        || apply_reach_require(ac, perms, HRX_PERM_INTEGRATIONS_ADMIN) != 0
        || apply_wa_members_known(ac, apply_wa_members) != 0)
    {
        return ac->rc;
    }

    memset(&set, 0, sizeof(set));
    if (apply_arg_id(ac, args, "id", 0, &set.id) < 0
        || apply_arg_string(ac, args, NULL, "nickname", 1, 1, 100,
                            &set.nickname) < 0
        || apply_wa_graph_id(ac, "waba_id", &set.waba_id) != 0
        || apply_wa_graph_id(ac, "phone_number_id", &set.phone_number_id)
           != 0
        || apply_wa_sealed(ac, "access_token", token, &set.access_token) != 0
        || apply_wa_sealed(ac, "app_secret", secret, &set.app_secret) != 0
        || apply_wa_sealed(ac, "verify_token", verify, &set.verify_token)
           != 0
        || apply_arg_string(ac, args, NULL, "display_phone_number", 0, 1, 64,
                            &set.display_phone_number) < 0
        || apply_arg_string(ac, args, NULL, "verified_name", 0, 1, 200,
                            &set.verified_name) < 0
        || apply_arg_string(ac, args, NULL, "quality_rating", 0, 1, 32,
                            &set.quality_rating) < 0
        || apply_arg_string(ac, args, NULL, "unknown_senders", 1, 1, 16,
                            &set.unknown_senders) < 0)
    {
        return ac->rc;
    }

    if (strcmp(set.unknown_senders, "candidate") != 0
        && strcmp(set.unknown_senders, "contact") != 0)
    {
        return apply_reject(ac, 400, "invalid_value", "unknown_senders",
                            "unknown_senders must be \"candidate\" or "
                            "\"contact\"");
    }

    rc = store_wa_number_set(ac->st, ac->cmd->tenant_id, &set, ac->now,
                             ac->cmd->actor_id, &id);
    if (rc == STORE_NOTFOUND) {
        return apply_reject(ac, 404, "not_found", "id",
                            "no such WhatsApp number");
    }
    if (rc == STORE_CONFLICT) {
        return apply_reject(ac, 409, "phone_number_taken", "phone_number_id",
                            "this phone number id is already connected");
    }
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    ac->reply->object_id = id;
    return apply_reply_object(ac, set.id ? 200 : 201,
                              json_pack("{s:I}", "id", (json_int_t) id));
}

static const char *const  apply_wa_delete_members[] = {
    "id", "confirm", NULL
};

apply_rc_e
apply_whatsapp_number_delete(apply_ctx_t *ac)
{
    store_reach_t  who;
    unsigned       perms;
    int64_t        id;
    int            rc;

    if (apply_reach_load(ac, &who, &perms) != 0
        || apply_reach_require(ac, perms, HRX_PERM_INTEGRATIONS_ADMIN) != 0
        || apply_wa_members_known(ac, apply_wa_delete_members) != 0
        || apply_arg_id(ac, ac->cmd->args, "id", 1, &id) < 0)
    {
        return ac->rc;
    }

    if (!json_is_true(json_object_get(ac->cmd->args, "confirm"))) {
        return apply_reject(ac, 400, "confirmation_required", "confirm",
                            "disconnecting needs confirm=true");
    }

    ac->reply->object_id = id;

    rc = store_wa_number_delete(ac->st, ac->cmd->tenant_id, id);
    if (rc == STORE_NOTFOUND) {
        return apply_reject(ac, 404, "not_found", "id",
                            "no such WhatsApp number");
    }
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    return apply_reply_empty(ac);
}
