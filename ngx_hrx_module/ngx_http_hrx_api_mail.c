/*
 * Mail settings: GET and PUT /api/v1/settings/mail (integrations.admin).
 *
 * PUT replaces the tenant's settings as a whole (a member left out is
 * stored empty), except the SMTP password, which is write-only:
 *
 *   "smtp_password" absent   the stored password is kept
 *   "smtp_password": null    it is removed
 *   "smtp_password": "..."   it is replaced
 *
 * The plaintext never enters the ring (a file-backed mapping: it would
 * reach the disk).  The worker seals it here with AES-256-GCM under a
 * key derived from master.key (hrx_seal(), HRX_SEAL_KEY_LABEL), bound to
 * where it is stored by the aad "mail_settings.smtp_password:<tenant>",
 * and sends command mail_settings.set with the sealed bytes as base64url;
 * the scheduler stores them as they came, and only its sender opens them.
 * No reply ever holds the password, only "password_set".
 *
 * The worker checks the body's shape (400 naming the field; nothing is
 * changed then); the scheduler checks it again.  After its reply the
 * settings are read back and sent as GET shows them.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_crypto.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_mail.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_validate.h"


#define NGX_HTTP_HRX_SMTP_PASSWORD_MAX  512     /* bytes */
#define NGX_HTTP_HRX_MAIL_AAD           "mail_settings.smtp_password:"


static ngx_int_t ngx_http_hrx_check_transport(json_t *value,
    const char **why);
static ngx_int_t ngx_http_hrx_check_host(json_t *value, const char **why);
static ngx_int_t ngx_http_hrx_check_port(json_t *value, const char **why);
static ngx_int_t ngx_http_hrx_check_security(json_t *value,
    const char **why);
static ngx_int_t ngx_http_hrx_check_text(json_t *value, const char **why);
static ngx_int_t ngx_http_hrx_check_password(json_t *value,
    const char **why);
static ngx_int_t ngx_http_hrx_mail_seal(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, json_t *pw, json_t **sealed);
static ngx_int_t ngx_http_hrx_mail_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);


const ngx_http_hrx_field_t  ngx_http_hrx_mail_settings_schema[] = {
    { "transport", NGX_HTTP_HRX_STRING, 1, 1, 8,
      ngx_http_hrx_check_transport, NULL },
    { "smtp_host", NGX_HTTP_HRX_STRING, 0, 1, 253,
      ngx_http_hrx_check_host, NULL },
    { "smtp_port", NGX_HTTP_HRX_INT, 0, 0, 0,
      ngx_http_hrx_check_port, NULL },
    { "smtp_security", NGX_HTTP_HRX_STRING, 0, 1, 8,
      ngx_http_hrx_check_security, NULL },
    { "smtp_username", NGX_HTTP_HRX_STRING, 0, 1, 254,
      ngx_http_hrx_check_text, NULL },
    { "smtp_password", NGX_HTTP_HRX_STRING, 0, 1,
      NGX_HTTP_HRX_SMTP_PASSWORD_MAX, ngx_http_hrx_check_password, NULL },
    { "from_email", NGX_HTTP_HRX_STRING, 1, 3, 254,
      ngx_http_hrx_check_email, NULL },
    { "from_name", NGX_HTTP_HRX_STRING, 0, 1, 200,
      ngx_http_hrx_check_text, NULL },
    { "reply_to", NGX_HTTP_HRX_STRING, 0, 3, 254,
      ngx_http_hrx_check_email, NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};


/* the members stored as given (null when absent), in the args' order */
static const char  *ngx_http_hrx_mail_members[] = {
    "transport", "smtp_host", "smtp_port", "smtp_security", "smtp_username",
    "from_email", "from_name", "reply_to", NULL
};


ngx_int_t
ngx_http_hrx_api_mail_get(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t     *obj;
    ngx_int_t   rc;

    obj = NULL;
    rc = ngx_http_hrx_db_mail_settings(r, ctx->auth.tenant_id, &obj);

    return ngx_http_hrx_send_found(r, rc, obj, "mail settings");
}


ngx_int_t
ngx_http_hrx_api_mail_put(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t       *v, *pw, *sealed;
    ngx_int_t     rc;
    ngx_uint_t    i;
    const char   *transport, *name;

    /* the schema checked each member; what SMTP needs besides */
    transport = ngx_http_hrx_json_str(ctx->body, "transport");

    if (ngx_strcmp(transport, "smtp") == 0) {

        if (ngx_http_hrx_json_str(ctx->body, "smtp_host") == NULL) {
            name = "smtp_host";

        } else if (!json_is_integer(json_object_get(ctx->body,
                                                    "smtp_port")))
        {
            name = "smtp_port";

        } else if (ngx_http_hrx_json_str(ctx->body, "smtp_security")
                   == NULL)
        {
            name = "smtp_security";

        } else {
            name = NULL;
        }

        if (name) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "required", name,
                                           "\"%s\" is required when "
                                           "\"transport\" is \"smtp\"",
                                           name);
        }
    }

    ctx->args = json_object();
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; ngx_http_hrx_mail_members[i]; i++) {
        v = json_object_get(ctx->body, ngx_http_hrx_mail_members[i]);

        if (json_object_set_new(ctx->args, ngx_http_hrx_mail_members[i],
                                v ? json_incref(v) : json_null())
            != 0)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    pw = json_object_get(ctx->body, "smtp_password");

    if (pw != NULL) {
        /* null clears the stored password; absent (no member) keeps it */
        sealed = json_null();

        if (json_is_string(pw)) {
            rc = ngx_http_hrx_mail_seal(r, ctx, pw, &sealed);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        if (json_object_set_new(ctx->args, "smtp_password", sealed) != 0) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_hrx_command(r, ctx, "mail_settings.set",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, ngx_http_hrx_mail_done);
}


/*
 * The password sealed for this tenant's row, as base64url: NGX_OK and
 * *sealed, or what the handler returns (an error sent).  The plaintext
 * in the parsed body is wiped once sealed.
 */
static ngx_int_t
ngx_http_hrx_mail_seal(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    json_t *pw, json_t **sealed)
{
    u_char                    *aad, *box, *text;
    size_t                     len, n;
    ngx_int_t                  rc;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "key_unavailable", NULL,
                                       "the key for secrets is not "
                                       "available (master.key)");
    }

    len = json_string_length(pw);

    aad = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HRX_MAIL_AAD) + NGX_INT64_LEN);
    box = ngx_pnalloc(r->pool, len + HRX_SEAL_OVERHEAD);
    text = ngx_pnalloc(r->pool, hrx_b64url_len(len + HRX_SEAL_OVERHEAD) + 1);

    if (aad == NULL || box == NULL || text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *ngx_sprintf(aad, NGX_HTTP_HRX_MAIL_AAD "%L", ctx->auth.tenant_id) = '\0';

    rc = NGX_OK;

    if (hrx_seal(ngx_http_hrx_worker.seal_key, (const char *) aad,
                 json_string_value(pw), len, box)
        != 0)
    {
        rc = ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal", NULL,
                                     "the password cannot be sealed");
    }

    /* the body is ours: no copy of the plaintext outlives the request */
    ngx_explicit_memzero((char *) json_string_value(pw), len);

    if (rc != NGX_OK) {
        return rc;
    }

    n = hrx_b64url_encode(box, len + HRX_SEAL_OVERHEAD, (char *) text);

    *sealed = json_stringn((const char *) text, n);

    return *sealed ? NGX_OK : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* applied: the settings as GET shows them; refused: the reply as it is */
static ngx_int_t
ngx_http_hrx_mail_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    json_t     *obj;
    ngx_int_t   rc;

    if (status != NGX_HTTP_OK) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    obj = NULL;
    rc = ngx_http_hrx_db_mail_settings(r, ctx->auth.tenant_id, &obj);

    if (rc != NGX_OK) {
        /* committed all the same: the scheduler's own rendering */
        return ngx_http_hrx_send(r, status, body, len);
    }

    return ngx_http_hrx_send_json(r, NGX_HTTP_OK, obj);
}


/* ---- value checks ---- */

static ngx_int_t
ngx_http_hrx_check_transport(json_t *value, const char **why)
{
    const char  *s;

    s = json_string_value(value);

    if (ngx_strcmp(s, "file") == 0 || ngx_strcmp(s, "smtp") == 0) {
        return NGX_OK;
    }

    *why = "must be \"file\" or \"smtp\"";
    return NGX_DECLINED;
}


/* a host name or an address: letters, digits, "." "-" ":" "[" "]" "_" */
static ngx_int_t
ngx_http_hrx_check_host(json_t *value, const char **why)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    for (i = 0; i < len; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
            || (s[i] >= '0' && s[i] <= '9')
            || (s[i] != '\0' && ngx_strchr(".-:[]_", s[i]) != NULL))
        {
            continue;
        }

        *why = "must be a host name or an IP address";
        return NGX_DECLINED;
    }

    if (s[0] == '.' || s[0] == '-') {
        *why = "must be a host name or an IP address";
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_hrx_check_port(json_t *value, const char **why)
{
    json_int_t  port;

    port = json_integer_value(value);

    if (port >= 1 && port <= 65535) {
        return NGX_OK;
    }

    *why = "must be a port number from 1 to 65535";
    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_hrx_check_security(json_t *value, const char **why)
{
    const char  *s;

    s = json_string_value(value);

    if (ngx_strcmp(s, "starttls") == 0 || ngx_strcmp(s, "tls") == 0
        || ngx_strcmp(s, "none") == 0)
    {
        return NGX_OK;
    }

    *why = "must be \"starttls\", \"tls\" or \"none\"";
    return NGX_DECLINED;
}


/* text that goes into a mail header or an SMTP command: one line */
static ngx_int_t
ngx_http_hrx_check_text(json_t *value, const char **why)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    for (i = 0; i < len; i++) {
        if ((u_char) s[i] < ' ' || s[i] == 0x7f) {
            *why = "must not contain line breaks or control characters";
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_hrx_check_password(json_t *value, const char **why)
{
    if (json_string_length(value) > NGX_HTTP_HRX_SMTP_PASSWORD_MAX) {
        *why = "must be at most 512 bytes";
        return NGX_DECLINED;
    }

    return ngx_http_hrx_check_text(value, why);
}
