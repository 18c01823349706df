/*
 * mail_settings.set: how a tenant's mail leaves (docs/bulk-actions.md).
 *
 * The SMTP password arrives sealed: the worker encrypted it with a key
 * derived from master.key before the command entered the ring, because
 * the ring is a file-backed mapping and a plaintext secret there would
 * reach the disk.  It is stored as it came (AES-256-GCM, bound to this
 * tenant's row by its aad) and only the sender opens it.  Absent keeps
 * the stored password, null clears it; it is never in a reply.
 */
#include <string.h>

#include "hrx_crypto.h"
#include "apply_reach.h"
#include "store_bulk.h"

#define MAIL_SEALED_MAX  (512 + HRX_SEAL_OVERHEAD)

static const char *const  apply_mail_members[] = {
    "transport", "smtp_host", "smtp_port", "smtp_security", "smtp_username",
    "smtp_password", "from_email", "from_name", "reply_to", NULL
};

static int
apply_mail_string(apply_ctx_t *ac, const char *key, int required,
    size_t max, char *out, size_t size)
{
    const char  *s;
    int          rc;

    rc = apply_arg_string(ac, ac->cmd->args, NULL, key, required, 1, max, &s);
    if (rc < 0) {
        return -1;
    }
    out[0] = '\0';
    if (rc == 1) {
        if (strlen(s) >= size) {
            apply_reject(ac, 400, "too_long", key, "%s is too long", key);
            return -1;
        }
        strcpy(out, s);
    }
    return 0;
}

#define apply_mail_opt(s)  ((s)[0] ? (s) : NULL)

static json_t *
apply_mail_object(const store_mail_settings_t *m)
{
    return json_pack("{s:s, s:s?, s:o?, s:s?, s:s?, s:b, s:s, s:s?, s:s?}",
        "transport", m->transport,
        "smtp_host", apply_mail_opt(m->smtp_host),
        "smtp_port", m->smtp_port ? json_integer(m->smtp_port) : NULL,
        "smtp_security", apply_mail_opt(m->smtp_security),
        "smtp_username", apply_mail_opt(m->smtp_username),
        "password_set", m->has_password,
        "from_email", m->from_email,
        "from_name", apply_mail_opt(m->from_name),
        "reply_to", apply_mail_opt(m->reply_to));
}

apply_rc_e
apply_mail_settings_set(apply_ctx_t *ac)
{
    const json_t           *args = ac->cmd->args, *v;
    const char             *key, *s;
    store_reach_t           who;
    store_mail_settings_t   m;
    unsigned                perms;
    uint8_t                 sealed[MAIL_SEALED_MAX];
    size_t                  i, slen = 0;
    int64_t                 port = 0;
    int                     keep_password, have_password = 0, rc;
    json_t                 *jv;

    if (apply_reach_load(ac, &who, &perms) != 0
        || apply_reach_require(ac, perms, HRX_PERM_INTEGRATIONS_ADMIN) != 0)
    {
        return ac->rc;
    }

    json_object_foreach((json_t *) args, key, jv) {
        for (i = 0; apply_mail_members[i] != NULL; i++) {
            if (strcmp(key, apply_mail_members[i]) == 0) {
                break;
            }
        }
        if (apply_mail_members[i] == NULL) {
            return apply_reject(ac, 400, "unknown_field", key,
                                "%s is not a mail setting", key);
        }
    }

    memset(&m, 0, sizeof(m));
    if (apply_mail_string(ac, "transport", 1, 8, m.transport,
                          sizeof(m.transport)) != 0
        || apply_mail_string(ac, "smtp_host", 0, 253, m.smtp_host,
                             sizeof(m.smtp_host)) != 0
        || apply_mail_string(ac, "smtp_security", 0, 8, m.smtp_security,
                             sizeof(m.smtp_security)) != 0
        || apply_mail_string(ac, "smtp_username", 0, 254, m.smtp_username,
                             sizeof(m.smtp_username)) != 0
        || apply_mail_string(ac, "from_name", 0, 200, m.from_name,
                             sizeof(m.from_name)) != 0)
    {
        return ac->rc;
    }
    if (apply_arg_email(ac, args, NULL, "from_email", &s) < 0) {
        return ac->rc;
    }
    strcpy(m.from_email, s);
    if (json_object_get(args, "reply_to") != NULL
        && !json_is_null(json_object_get(args, "reply_to")))
    {
        if (apply_arg_email(ac, args, NULL, "reply_to", &s) < 0) {
            return ac->rc;
        }
        strcpy(m.reply_to, s);
    }

    if (strcmp(m.transport, "smtp") == 0) {
        if (m.smtp_host[0] == '\0') {
            return apply_reject(ac, 400, "required", "smtp_host",
                                "smtp_host is required for SMTP");
        }
        if (strcmp(m.smtp_security, "starttls") != 0
            && strcmp(m.smtp_security, "tls") != 0
            && strcmp(m.smtp_security, "none") != 0)
        {
            return apply_reject(ac, 400, "invalid_value", "smtp_security",
                                "smtp_security must be starttls, tls or "
                                "none");
        }
        if (apply_arg_id(ac, args, "smtp_port", 1, &port) < 0) {
            return ac->rc;
        }
        if (port > 65535) {
            return apply_reject(ac, 400, "invalid_value", "smtp_port",
                                "smtp_port must be 1..65535");
        }
        m.smtp_port = port;

    } else if (strcmp(m.transport, "file") != 0) {
        return apply_reject(ac, 400, "invalid_value", "transport",
                            "transport must be \"file\" or \"smtp\"");
    }

    v = json_object_get(args, "smtp_password");
    keep_password = (v == NULL);
    if (v != NULL && !json_is_null(v)) {
        slen = sizeof(sealed);
        if (!json_is_string(v)
            || hrx_b64url_decode(json_string_value(v), json_string_length(v),
                                 sealed, &slen) != 0
            || slen <= HRX_SEAL_OVERHEAD)
        {
            return apply_reject(ac, 400, "invalid_value", "smtp_password",
                                "smtp_password must be sealed by the "
                                "worker");
        }
        have_password = 1;
    }

    rc = store_mail_settings_set(ac->st, ac->cmd->tenant_id, &m,
                                 have_password ? sealed : NULL, slen,
                                 keep_password, ac->now, ac->cmd->actor_id);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    rc = store_mail_settings_get(ac->st, ac->cmd->tenant_id, &m);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    ac->reply->object_id = ac->cmd->tenant_id;
    return apply_reply_object(ac, 200, apply_mail_object(&m));
}
