/*
 * A candidate's messages (docs/line.md, "Sending"; SPEC LN-7 ... LN-9).
 *
 *   GET  /api/v1/candidates/{id}/messages?after&limit   the timeline
 *   POST /api/v1/candidates/{id}/messages               message.send
 *
 * Both need the operate rule on the candidate (the same as reading it):
 * a candidate the reader cannot operate on is 404, as one of another
 * tenant.  The timeline is every messages row of the candidate, in and
 * out, email and LINE, oldest first by id, paged like every list
 * ({"items","next_after"}): a client that shows the newest holds the last
 * id and asks for what came after it.
 *
 * Sending is checked strictly here -- unknown members, types, text 1 to
 * 25000 characters, subject at most 255 and one line, send_at an RFC
 * 3339 time in the future, what goes with which channel -- so that a
 * malformed request never reaches the ring; everything that depends on
 * state (LINE connected, the candidate linked, routed to an agent, an
 * address to mail) is the scheduler's to decide, race-free.  It answers
 * with the ids of the messages it wrote (a text of 25000 characters would
 * not fit a reply slot twice); the worker reads them back after the
 * commit and answers 201 {"items": [message, ...]}: the email first, then
 * the LINE copy, as the timeline shows them.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_shm.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_messages.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reach.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_validate.h"


#define NGX_HTTP_HRX_MESSAGE_TEXT_MAX     25000
#define NGX_HTTP_HRX_MESSAGE_SUBJECT_MAX  255


static const char  *ngx_http_hrx_message_members[] = {
    "channel", "subject", "text", "also_line", "send_at", NULL
};


static size_t ngx_http_hrx_message_chars(const char *s, size_t len);
static ngx_int_t ngx_http_hrx_message_candidate(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_int_t *sent);
static ngx_int_t ngx_http_hrx_message_sent(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);


ngx_int_t
ngx_http_hrx_api_messages_list(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    json_t              *page;
    int64_t              after;
    ngx_int_t            rc;
    ngx_uint_t           limit;
    ngx_http_hrx_err_t   err;

    if (ngx_http_hrx_page_args(r, &limit, &after, &err) != NGX_OK) {
        return ngx_http_hrx_send_err(r, &err);
    }

    if (ngx_http_hrx_message_candidate(r, ctx, &rc) != NGX_OK) {
        return rc;
    }

    page = NULL;
    rc = ngx_http_hrx_db_messages(r, ctx->auth.tenant_id, ctx->id, after,
                                  limit, &page);

    return ngx_http_hrx_send_found(r, rc, page, "candidate");
}


ngx_int_t
ngx_http_hrx_api_messages_send(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    json_t       *v, *args;
    size_t        n;
    int64_t       send_at;
    ngx_int_t     rc;
    ngx_uint_t    i, email, also_line;
    const char   *key, *channel, *subject, *text, *s;

    /* a member the API does not know */
    json_object_foreach(ctx->body, key, v) {

        for (i = 0; ngx_http_hrx_message_members[i]; i++) {
            if (ngx_strcmp(ngx_http_hrx_message_members[i], key) == 0) {
                break;
            }
        }

        if (ngx_http_hrx_message_members[i] == NULL) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "unknown_field", key,
                                           "unknown field \"%s\"", key);
        }
    }

    /* types: strings but also_line; null is absent */
    for (i = 0; ngx_http_hrx_message_members[i]; i++) {
        key = ngx_http_hrx_message_members[i];
        v = json_object_get(ctx->body, key);

        if (v == NULL || json_is_null(v)) {
            continue;
        }

        if (ngx_strcmp(key, "also_line") == 0) {
            if (!json_is_boolean(v)) {
                return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                               "invalid_type", key,
                                               "\"also_line\" must be true "
                                               "or false");
            }
            continue;
        }

        if (!json_is_string(v)) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "invalid_type", key,
                                           "\"%s\" must be a string", key);
        }

        if (ngx_strlen(json_string_value(v)) != json_string_length(v)) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "invalid_value", key,
                                           "\"%s\" must not contain NUL",
                                           key);
        }
    }

    channel = ngx_http_hrx_json_str(ctx->body, "channel");
    subject = ngx_http_hrx_json_str(ctx->body, "subject");
    text = ngx_http_hrx_json_str(ctx->body, "text");
    also_line = json_is_true(json_object_get(ctx->body, "also_line"));

    if (channel == NULL) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST, "required",
                                       "channel", "\"channel\" is required");
    }

    if (ngx_strcmp(channel, "email") == 0) {
        email = 1;

    } else if (ngx_strcmp(channel, "line") == 0) {
        email = 0;

    } else {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_value", "channel",
                                       "\"channel\" must be \"email\" or "
                                       "\"line\"");
    }

    if (text == NULL) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST, "required",
                                       "text", "\"text\" is required");
    }

    n = ngx_http_hrx_message_chars(text, ngx_strlen(text));

    if (n < 1 || n > NGX_HTTP_HRX_MESSAGE_TEXT_MAX) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_length", "text",
                                       "\"text\" must have 1 to %d "
                                       "characters, not %uz",
                                       NGX_HTTP_HRX_MESSAGE_TEXT_MAX, n);
    }

    if (email) {
        if (subject == NULL || subject[0] == '\0') {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "required", "subject",
                                           "an email needs a \"subject\"");
        }

        n = ngx_http_hrx_message_chars(subject, ngx_strlen(subject));

        if (n > NGX_HTTP_HRX_MESSAGE_SUBJECT_MAX) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "invalid_length", "subject",
                                           "\"subject\" must have at most "
                                           "%d characters, not %uz",
                                           NGX_HTTP_HRX_MESSAGE_SUBJECT_MAX,
                                           n);
        }

        for (s = subject; *s; s++) {
            if (*s == '\r' || *s == '\n') {
                return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                               "invalid_value", "subject",
                                               "\"subject\" must be one "
                                               "line");
            }
        }

    } else {
        if (subject != NULL) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "not_allowed", "subject",
                                           "a LINE message has no subject");
        }

        if (also_line) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "not_allowed", "also_line",
                                           "\"also_line\" goes with an "
                                           "email");
        }
    }

    send_at = 0;
    s = ngx_http_hrx_json_str(ctx->body, "send_at");

    if (s != NULL) {
        if (ngx_http_hrx_parse_time(s, &send_at) != NGX_OK) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "invalid_value", "send_at",
                                           "\"send_at\" must be an RFC 3339 "
                                           "time such as \"2026-12-01T10:"
                                           "00:00+09:00\"");
        }

        if (send_at <= (int64_t) hrx_wall_ms()) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "invalid_value", "send_at",
                                           "\"send_at\" must be in the "
                                           "future");
        }
    }

    if (ngx_http_hrx_message_candidate(r, ctx, &rc) != NGX_OK) {
        return rc;
    }

    args = json_pack("{s:I, s:s, s:s, s:b}",
                     "candidate_id", (json_int_t) ctx->id,
                     "channel", channel,
                     "text", text,
                     "also_line", (int) also_line);
    if (args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if ((email
         && json_object_set_new(args, "subject", json_string(subject)) != 0)
        || (send_at
            && json_object_set_new(args, "send_at", json_integer(send_at))
               != 0))
    {
        json_decref(args);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->args = args;

    return ngx_http_hrx_command(r, ctx, "message.send", ctx->auth.tenant_id,
                                ctx->auth.user_id, ctx->args,
                                ngx_http_hrx_message_sent);
}


/* the scheduler answered {"ids": [...]} after its commit: the messages as
 * the timeline shows them; errors go as they are */
static ngx_int_t
ngx_http_hrx_message_sent(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    json_t     *reply, *ids, *items, *obj;
    size_t      i;
    int64_t     id;
    ngx_int_t   rc;

    if (status != NGX_HTTP_CREATED) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    reply = json_loadb((const char *) body, len, 0, NULL);
    ids = json_object_get(reply, "ids");
    items = json_array();

    if (!json_is_array(ids) || json_array_size(ids) == 0 || items == NULL) {
        json_decref(reply);
        json_decref(items);
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "unexpected reply from the "
                                       "scheduler");
    }

    for (i = 0; i < json_array_size(ids); i++) {
        id = json_integer_value(json_array_get(ids, i));
        obj = NULL;

        rc = ngx_http_hrx_db_message(r, ctx->auth.tenant_id, id, &obj);

        if (rc != NGX_OK || json_array_append_new(items, obj) != 0) {
            json_decref(reply);
            json_decref(items);
            return ngx_http_hrx_send_found(r, rc == NGX_OK ? NGX_ERROR : rc,
                                           NULL, "message");
        }
    }

    json_decref(reply);

    return ngx_http_hrx_send_json(r, NGX_HTTP_CREATED,
                                  json_pack("{s:o}", "items", items));
}


/*
 * The candidate {id}, operable by the reader: NGX_OK, or NGX_DECLINED
 * with the answer sent (*sent: 404 when not operable or absent, 503,
 * 500).
 */
static ngx_int_t
ngx_http_hrx_message_candidate(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_int_t *sent)
{
    ngx_int_t  rc;

    rc = ngx_http_hrx_reach_candidate(r, &ctx->auth, ctx->id);

    if (rc == NGX_OK) {
        return NGX_OK;
    }

    *sent = ngx_http_hrx_send_found(r, rc == NGX_ABORT ? NGX_DECLINED : rc,
                                    NULL, "candidate");
    return NGX_DECLINED;
}


/* characters of UTF-8 (jansson checked the encoding) */
static size_t
ngx_http_hrx_message_chars(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (((u_char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}
