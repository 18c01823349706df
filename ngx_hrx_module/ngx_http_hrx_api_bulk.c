/*
 * Scheduled bulk actions (docs/bulk-actions.md, SPEC BA-1 ... BA-15).
 *
 *   GET    /api/v1/bulk-actions?view=reserved|history    list (BA-14)
 *   GET    /api/v1/bulk-actions/{id}                     + template, reasons
 *   GET    /api/v1/bulk-actions/{id}/results             paged by candidate
 *   POST   /api/v1/bulk-actions                          bulk_action.create
 *   PATCH  /api/v1/bulk-actions/{id}                     bulk_action.update
 *   DELETE /api/v1/bulk-actions/{id}                     bulk_action.delete
 *   POST   /api/v1/bulk-actions/dry-run                  evaluation now
 *
 * Reading needs only reach: an action is seen by whoever reaches its
 * saved search's search group, and is 404 by id for anybody else, like a
 * row of another tenant.  Changing needs candidates.operate_other and
 * bulk_actions.manage (BA-1, checked by the route before the body is
 * parsed).
 *
 * The scheduler is authoritative for every rule (it alone sees the state
 * race-free: BA-3's five reservations, the lock of BA-9 at the moment the
 * command applies).  The worker checks what it can beforehand so that a
 * client gets an early, clear error and nothing is sent: the body's
 * shape (unknown members, types, lengths, run_at as an RFC 3339 whole
 * minute), the references against the actor's reach (404 / 403 naming
 * the field, BA-6), what each kind may hold (BA-2), BA-4's ten minutes,
 * and for a change the action's state (409 locked / not_editable, BA-9).
 * The same codes as the scheduler's, in the same order, so that the
 * answer does not depend on who noticed.  A create or update is answered
 * with the action read back after the commit, as GET shows it.
 *
 * The dry run (BA-15) takes the body of a create (name and run_at
 * optional) and evaluates the action now, as its execution would with
 * the caller as the editor: hrx_bulk_evaluate() (shm/hrx_bulk.h), the
 * very code the scheduler runs at T, on the nginx thread pool over the
 * pool thread's own read-only connection (ngx_http_hrx_db_thread()),
 * rendering every message (a missing variable is only found so) without
 * keeping the texts.  Links in the texts are real signed tokens
 * (shm/hrx_token.h) under <hrx_public_url>, so lengths are what the
 * scheduler will measure.  A whole-action error (too_many_hits, event_full,
 * ...) is a 200 with "error" set: the dry run's answer, not a failure.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <time.h>
#include <sqlite3.h>

#include "hrx_bulk.h"
#include "hrx_resource.h"
#include "hrx_shm.h"
#include "hrx_token.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_bulk.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reach.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_task.h"
#include "ngx_http_hrx_validate.h"


#define NGX_HTTP_HRX_BULK_CREATE   0x01
#define NGX_HTTP_HRX_BULK_UPDATE   0x02
#define NGX_HTTP_HRX_BULK_DRY_RUN  0x04

#define NGX_HTTP_HRX_DRY_RUN_LIST     100      /* recipients, failures */
#define NGX_HTTP_HRX_DRY_RUN_TIMEOUT  30000    /* ms */


/* the members of a body */
typedef struct {
    const char    *name;
    ngx_uint_t     type;        /* NGX_HTTP_HRX_STRING, _INT, _BOOL */
    ngx_uint_t     required;    /* the modes it is required in */
    ngx_uint_t     clearable;   /* null clears it (an update) */
    ngx_uint_t     ref;         /* an id of res, reached by the actor */
    hrx_res_id_e   res;
    size_t         offset;      /* its int64_t in hrx_bulk_def_t */
} ngx_http_hrx_bulk_member_t;

#define NGX_HTTP_HRX_BULK_NEW  (NGX_HTTP_HRX_BULK_CREATE                      \
                                |NGX_HTTP_HRX_BULK_DRY_RUN)

static const ngx_http_hrx_bulk_member_t  ngx_http_hrx_bulk_members[] = {
    { "name", NGX_HTTP_HRX_STRING, NGX_HTTP_HRX_BULK_CREATE, 0, 0, 0, 0 },
    { "kind", NGX_HTTP_HRX_STRING, NGX_HTTP_HRX_BULK_NEW, 0, 0, 0, 0 },
    { "run_at", NGX_HTTP_HRX_STRING, NGX_HTTP_HRX_BULK_CREATE, 0, 0, 0, 0 },
    { "saved_search_id", NGX_HTTP_HRX_INT, NGX_HTTP_HRX_BULK_NEW, 0, 1,
      HRX_RES_SAVED_SEARCH, offsetof(hrx_bulk_def_t, saved_search_id) },
    { "template_id", NGX_HTTP_HRX_INT, NGX_HTTP_HRX_BULK_NEW, 0, 1,
      HRX_RES_TEMPLATE, offsetof(hrx_bulk_def_t, template_id) },
    { "form_id", NGX_HTTP_HRX_INT, 0, 1, 1,
      HRX_RES_FORM, offsetof(hrx_bulk_def_t, form_id) },
    { "event_id", NGX_HTTP_HRX_INT, 0, 1, 1,
      HRX_RES_EVENT, offsetof(hrx_bulk_def_t, event_id) },
    { "event_group_id", NGX_HTTP_HRX_INT, 0, 1, 1,
      HRX_RES_EVENT_GROUP, offsetof(hrx_bulk_def_t, event_group_id) },
    { "executed_label_id", NGX_HTTP_HRX_INT, 0, 1, 1,
      HRX_RES_LABEL, (size_t) -1 },
    { "also_line", NGX_HTTP_HRX_BOOL, 0, 0, 0, 0, 0 },
    { "status", NGX_HTTP_HRX_STRING, 0, 0, 0, 0, 0 },
    { NULL, 0, 0, 0, 0, 0, 0 }
};

#define ngx_http_hrx_bulk_def_id(def, m)                                      \
    ((int64_t *) ((char *) (def) + (m)->offset))


/* an action as a body makes it (an update: over its row) */
typedef struct {
    hrx_bulk_def_t   def;
    int64_t          run_at;
    int64_t          now;
    const char      *status;        /* the resulting one */
    unsigned         run_at_given:1;
} ngx_http_hrx_bulk_body_t;


/* a dry run: all the pool thread touches */
typedef struct {
    const u_char    *db_path;
    ngx_str_t        public_url;        /* configuration memory */
    hrx_bulk_def_t   def;
    int64_t          now;
    uint8_t          key[HRX_KEY_SIZE]; /* for link tokens */
    ngx_uint_t       line_connected;    /* friend links exist */

    /* built by the visits */
    json_t          *recipients;
    json_t          *failures;
    json_t          *reasons;

    /* results */
    ngx_int_t        rc;        /* NGX_OK, NGX_BUSY (no database),
                                   NGX_AGAIN (timed out), NGX_ERROR */
    char            *body;      /* malloc()ed JSON */
    size_t           len;
    struct timespec  deadline;
    char             errmsg[256];
} ngx_http_hrx_dry_run_t;


static ngx_int_t ngx_http_hrx_bulk_row(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, int64_t now, ngx_http_hrx_bulk_row_t *row,
    ngx_int_t *sent);
static ngx_int_t ngx_http_hrx_bulk_body(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t mode,
    const ngx_http_hrx_bulk_row_t *row, ngx_http_hrx_bulk_body_t *b,
    ngx_int_t *sent);
static ngx_int_t ngx_http_hrx_bulk_kind_members(ngx_http_request_t *r,
    const hrx_bulk_def_t *def, ngx_int_t *sent);
static json_t *ngx_http_hrx_bulk_args(ngx_http_hrx_ctx_t *ctx,
    ngx_http_hrx_bulk_body_t *b);
static ngx_int_t ngx_http_hrx_bulk_done(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_uint_t status, u_char *body, size_t len);
static size_t ngx_http_hrx_bulk_chars(const char *s, size_t len);

static void ngx_http_hrx_dry_run_cleanup(void *data);
static void ngx_http_hrx_dry_run_thread(void *data, ngx_log_t *log);
static int ngx_http_hrx_dry_run_link(void *data, int kind,
    int64_t candidate_id, int64_t object_id, char *buf, size_t size);
static int ngx_http_hrx_dry_run_visit(void *data,
    const hrx_bulk_recipient_t *rc);
static json_t *ngx_http_hrx_dry_run_texts(const char *code);
static ngx_int_t ngx_http_hrx_dry_run_resume(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);


/* ---- reads --------------------------------------------------------------- */

ngx_int_t
ngx_http_hrx_api_bulk_list(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t      *obj;
    ngx_int_t    rc;
    ngx_str_t    value;
    ngx_uint_t   view;

    view = NGX_HTTP_HRX_BULK_RESERVED;

    if (ngx_http_arg(r, (u_char *) "view", 4, &value) == NGX_OK) {

        if (value.len == 8 && ngx_strncmp(value.data, "reserved", 8) == 0) {
            view = NGX_HTTP_HRX_BULK_RESERVED;

        } else if (value.len == 7
                   && ngx_strncmp(value.data, "history", 7) == 0)
        {
            view = NGX_HTTP_HRX_BULK_HISTORY;

        } else {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "invalid_value", "view",
                                           "\"view\" must be \"reserved\" "
                                           "or \"history\"");
        }
    }

    obj = NULL;
    rc = ngx_http_hrx_db_bulk_list(r, &ctx->auth, view,
                                   (int64_t) hrx_wall_ms(), &obj);

    return ngx_http_hrx_send_found(r, rc, obj, "bulk action");
}


ngx_int_t
ngx_http_hrx_api_bulk_get(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t     *obj;
    ngx_int_t   rc;

    obj = NULL;
    rc = ngx_http_hrx_db_bulk_get(r, &ctx->auth, ctx->auth.tenant_id,
                                  ctx->id, (int64_t) hrx_wall_ms(), &obj,
                                  NULL);

    if (rc == NGX_OK) {
        rc = ngx_http_hrx_db_bulk_detail(r, ctx->auth.tenant_id, ctx->id,
                                         obj);
        if (rc != NGX_OK) {
            json_decref(obj);
            obj = NULL;
        }
    }

    return ngx_http_hrx_send_found(r, rc, obj, "bulk action");
}


ngx_int_t
ngx_http_hrx_api_bulk_results(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t              *page;
    int64_t              after;
    ngx_int_t            rc;
    ngx_str_t            value;
    ngx_uint_t           limit;
    const char          *state;
    ngx_http_hrx_err_t   err;

    state = NULL;

    if (ngx_http_arg(r, (u_char *) "state", 5, &value) == NGX_OK) {

        if (value.len == 6 && ngx_strncmp(value.data, "failed", 6) == 0) {
            state = "failed";

        } else if (value.len == 7
                   && ngx_strncmp(value.data, "reached", 7) == 0)
        {
            state = "reached";

        } else if (value.len == 7
                   && ngx_strncmp(value.data, "pending", 7) == 0)
        {
            state = "pending";

        } else {
            return ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                           "invalid_value", "state",
                                           "\"state\" must be \"failed\", "
                                           "\"reached\" or \"pending\"");
        }
    }

    if (ngx_http_hrx_page_args(r, &limit, &after, &err) != NGX_OK) {
        return ngx_http_hrx_send_err(r, &err);
    }

    /* the action reached by the reader, else 404 */
    rc = ngx_http_hrx_db_bulk_get(r, &ctx->auth, ctx->auth.tenant_id,
                                  ctx->id, (int64_t) hrx_wall_ms(), NULL,
                                  NULL);

    if (rc != NGX_OK) {
        return ngx_http_hrx_send_found(r, rc, NULL, "bulk action");
    }

    page = NULL;
    rc = ngx_http_hrx_db_bulk_results(r, ctx->id, state, after, limit,
                                      &page);

    return ngx_http_hrx_send_found(r, rc, page, "bulk action");
}


/* ---- changes ------------------------------------------------------------- */

ngx_int_t
ngx_http_hrx_api_bulk_create(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t                 sent;
    ngx_http_hrx_bulk_body_t  b;

    if (ngx_http_hrx_bulk_body(r, ctx, NGX_HTTP_HRX_BULK_CREATE, NULL, &b,
                               &sent)
        != NGX_OK)
    {
        return sent;
    }

    ctx->args = ngx_http_hrx_bulk_args(ctx, &b);
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_command(r, ctx, "bulk_action.create",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, ngx_http_hrx_bulk_done);
}


ngx_int_t
ngx_http_hrx_api_bulk_update(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t                 sent;
    ngx_http_hrx_bulk_row_t   row;
    ngx_http_hrx_bulk_body_t  b;

    if (ngx_http_hrx_bulk_row(r, ctx, (int64_t) hrx_wall_ms(), &row, &sent)
        != NGX_OK
        || ngx_http_hrx_bulk_body(r, ctx, NGX_HTTP_HRX_BULK_UPDATE, &row,
                                  &b, &sent)
           != NGX_OK)
    {
        return sent;
    }

    ctx->args = ngx_http_hrx_bulk_args(ctx, &b);

    if (ctx->args == NULL
        || json_object_set_new(ctx->args, "id", json_integer(ctx->id)) != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_command(r, ctx, "bulk_action.update",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, ngx_http_hrx_bulk_done);
}


ngx_int_t
ngx_http_hrx_api_bulk_delete(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t                sent;
    ngx_http_hrx_bulk_row_t  row;

    if (ngx_http_hrx_bulk_row(r, ctx, (int64_t) hrx_wall_ms(), &row, &sent)
        != NGX_OK)
    {
        return sent;
    }

    ctx->args = json_pack("{s:I}", "id", (json_int_t) ctx->id);
    if (ctx->args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_command(r, ctx, "bulk_action.delete",
                                ctx->auth.tenant_id, ctx->auth.user_id,
                                ctx->args, NULL);
}


/*
 * The action {id} as the actor sees it, if it may still change (BA-8,
 * BA-9): NGX_OK and *row, or NGX_DECLINED with the answer sent (*sent):
 * 404 when it is not reached, 409 not_editable once it started, 409
 * locked when it waits and runs in less than 11 minutes.
 */
static ngx_int_t
ngx_http_hrx_bulk_row(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    int64_t now, ngx_http_hrx_bulk_row_t *row, ngx_int_t *sent)
{
    ngx_int_t  rc;

    rc = ngx_http_hrx_db_bulk_get(r, &ctx->auth, ctx->auth.tenant_id,
                                  ctx->id, now, NULL, row);

    if (rc != NGX_OK) {
        *sent = ngx_http_hrx_send_found(r, rc, NULL, "bulk action");
        return NGX_DECLINED;
    }

    if (ngx_strcmp(row->status, "on_hold") == 0) {
        return NGX_OK;
    }

    if (ngx_strcmp(row->status, "waiting") != 0) {
        *sent = ngx_http_hrx_send_error(r, NGX_HTTP_CONFLICT, "not_editable",
                                        NULL, "the action is %s: it can no "
                                        "longer change", row->status);
        return NGX_DECLINED;
    }

    if (row->run_at - now < HRX_BULK_LOCK_MS) {
        *sent = ngx_http_hrx_send_error(r, NGX_HTTP_CONFLICT, "locked", NULL,
                                        "a waiting action is locked from 11 "
                                        "minutes before it runs (BA-9); put "
                                        "it on hold first if it must not "
                                        "run");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The body of a create, an update (over row) or a dry run, checked as far
 * as the worker can: NGX_OK and *b, or NGX_DECLINED with the answer sent
 * (*sent).  Nothing is sent to the scheduler after a refusal.
 */
static ngx_int_t
ngx_http_hrx_bulk_body(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t mode, const ngx_http_hrx_bulk_row_t *row,
    ngx_http_hrx_bulk_body_t *b, ngx_int_t *sent)
{
    json_t                            *v;
    size_t                             n;
    int64_t                            id;
    ngx_int_t                          rc;
    ngx_uint_t                         ok, check_run_at;
    const char                        *key, *s;
    const ngx_http_hrx_bulk_member_t  *m;

    ngx_memzero(b, sizeof(ngx_http_hrx_bulk_body_t));

    b->now = (int64_t) hrx_wall_ms();
    b->def.tenant_id = ctx->auth.tenant_id;
    b->def.editor_id = ctx->auth.user_id;
    b->status = "waiting";

    if (row) {
        b->def.kind = row->kind;
        b->def.form_id = row->form_id;
        b->def.event_id = row->event_id;
        b->def.event_group_id = row->event_group_id;
        b->run_at = row->run_at;
        b->status = row->status;
    }

    /* a member the API does not know */
    json_object_foreach(ctx->body, key, v) {

        for (m = ngx_http_hrx_bulk_members; m->name; m++) {
            if (ngx_strcmp(m->name, key) == 0) {
                break;
            }
        }

        if (m->name == NULL) {
            *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "unknown_field", key,
                                            "unknown field \"%s\"", key);
            return NGX_DECLINED;
        }
    }

    for (m = ngx_http_hrx_bulk_members; m->name; m++) {

        v = json_object_get(ctx->body, m->name);

        if (v == NULL || json_is_null(v)) {

            if (v && (mode & NGX_HTTP_HRX_BULK_UPDATE)) {
                if (m->clearable) {
                    if (m->offset != (size_t) -1) {
                        *ngx_http_hrx_bulk_def_id(&b->def, m) = 0;
                    }
                    continue;
                }

                if (m->type != NGX_HTTP_HRX_BOOL
                    && ngx_strcmp(m->name, "status") != 0)
                {
                    *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                    "required", m->name,
                                                    "\"%s\" cannot be "
                                                    "cleared", m->name);
                    return NGX_DECLINED;
                }
            }

            if (m->required & mode) {
                *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "required", m->name,
                                                "\"%s\" is required",
                                                m->name);
                return NGX_DECLINED;
            }

            continue;
        }

        switch (m->type) {
        case NGX_HTTP_HRX_STRING:
            ok = json_is_string(v);
            s = "a string";
            break;
        case NGX_HTTP_HRX_INT:
            ok = json_is_integer(v);
            s = "an integer id";
            break;
        default: /* NGX_HTTP_HRX_BOOL */
            ok = json_is_boolean(v);
            s = "true or false";
        }

        if (!ok) {
            *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_type", m->name,
                                            "\"%s\" must be %s", m->name, s);
            return NGX_DECLINED;
        }

        if (m->type == NGX_HTTP_HRX_INT) {
            id = json_integer_value(v);

            if (id <= 0) {
                *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_value", m->name,
                                                "\"%s\" must be a positive "
                                                "id", m->name);
                return NGX_DECLINED;
            }

            /* executed_label_id is not part of an evaluation */
            if (m->offset != (size_t) -1) {
                *ngx_http_hrx_bulk_def_id(&b->def, m) = id;
            }

            continue;
        }

        if (m->type == NGX_HTTP_HRX_BOOL) {
            b->def.also_line = json_is_true(v);
            continue;
        }

        s = json_string_value(v);

        if (ngx_strcmp(m->name, "name") == 0) {
            n = ngx_http_hrx_bulk_chars(s, json_string_length(v));

            if (n < 1 || n > 200) {
                *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_length", "name",
                                                "\"name\" must have 1 to 200 "
                                                "characters, not %uz", n);
                return NGX_DECLINED;
            }

        } else if (ngx_strcmp(m->name, "kind") == 0) {

            if (hrx_bulk_kind(s) == 0) {
                *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_value", "kind",
                                                "\"kind\" must be "
                                                "\"message\" or "
                                                "\"event_invitation\"");
                return NGX_DECLINED;
            }

            if (row && hrx_bulk_kind(s) != row->kind) {
                *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "immutable", "kind",
                                                "the kind of a bulk action "
                                                "never changes (BA-9)");
                return NGX_DECLINED;
            }

            b->def.kind = hrx_bulk_kind(s);

        } else if (ngx_strcmp(m->name, "run_at") == 0) {

            if (ngx_http_hrx_parse_time(s, &b->run_at) != NGX_OK) {
                *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_value", "run_at",
                                                "\"run_at\" must be an RFC "
                                                "3339 time such as \"2026-"
                                                "12-01T10:00:00+09:00\"");
                return NGX_DECLINED;
            }

            if (b->run_at % 60000 != 0) {
                *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_value", "run_at",
                                                "\"run_at\" must be a whole "
                                                "minute: scheduling is to "
                                                "the minute");
                return NGX_DECLINED;
            }

            b->run_at_given = 1;

        } else { /* status */

            if (ngx_strcmp(s, "waiting") != 0
                && ngx_strcmp(s, "on_hold") != 0)
            {
                *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_value", "status",
                                                "\"status\" can be set to "
                                                "\"waiting\" or "
                                                "\"on_hold\"");
                return NGX_DECLINED;
            }

            b->status = s;
        }
    }

    /* BA-6: every reference given must be reached by the actor now */
    for (m = ngx_http_hrx_bulk_members; m->name; m++) {

        if (!m->ref) {
            continue;
        }

        v = json_object_get(ctx->body, m->name);

        if (!json_is_integer(v)) {
            continue;
        }

        rc = ngx_http_hrx_reach_object(r, &ctx->auth, hrx_res(m->res),
                                       json_integer_value(v));

        if (rc != NGX_OK) {
            *sent = ngx_http_hrx_reach_send(r, rc, hrx_res(m->res), m->name);
            return NGX_DECLINED;
        }
    }

    if (ngx_http_hrx_bulk_kind_members(r, &b->def, sent) != NGX_OK) {
        return NGX_DECLINED;
    }

    /* BA-4: more than 10 minutes from now, when the action will wait */
    if (mode & NGX_HTTP_HRX_BULK_CREATE) {
        check_run_at = 1;

    } else if (mode & NGX_HTTP_HRX_BULK_UPDATE) {
        check_run_at = ngx_strcmp(b->status, "waiting") == 0
                       && (b->run_at_given
                           || ngx_strcmp(row->status, "on_hold") == 0);

    } else {
        check_run_at = b->run_at_given;
    }

    if (check_run_at && b->run_at <= b->now + HRX_BULK_MIN_LEAD_MS) {
        *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST, "too_soon",
                                        "run_at", "run_at must be more than "
                                        "10 minutes from now (BA-4)");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* BA-2: what each kind holds (the scheduler's rule, the same codes) */
static ngx_int_t
ngx_http_hrx_bulk_kind_members(ngx_http_request_t *r,
    const hrx_bulk_def_t *def, ngx_int_t *sent)
{
    if (def->kind == HRX_BULK_MESSAGE) {

        if (def->event_id || def->event_group_id) {
            *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "not_allowed",
                                            def->event_id
                                            ? "event_id" : "event_group_id",
                                            "a message action carries no "
                                            "event; an invitation is kind "
                                            "\"event_invitation\"");
            return NGX_DECLINED;
        }

        return NGX_OK;
    }

    if (def->form_id) {
        *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "not_allowed", "form_id",
                                        "an event invitation carries no "
                                        "custom form");
        return NGX_DECLINED;
    }

    if (def->event_id && def->event_group_id) {
        *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "not_allowed", "event_group_id",
                                        "an invitation names one event or "
                                        "one event group, not both");
        return NGX_DECLINED;
    }

    if (!def->event_id && !def->event_group_id) {
        *sent = ngx_http_hrx_send_error(r, NGX_HTTP_BAD_REQUEST, "required",
                                        "event_id", "an invitation needs "
                                        "event_id or event_group_id");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the command's args: the body as given, run_at in unix ms */
static json_t *
ngx_http_hrx_bulk_args(ngx_http_hrx_ctx_t *ctx, ngx_http_hrx_bulk_body_t *b)
{
    json_t  *args;

    args = json_deep_copy(ctx->body);
    if (args == NULL) {
        return NULL;
    }

    if (b->run_at_given
        && json_object_set_new(args, "run_at", json_integer(b->run_at)) != 0)
    {
        json_decref(args);
        return NULL;
    }

    return args;
}


/*
 * The scheduler answered a create or update with {"id"} after its commit:
 * the action as a read sees it now.  Errors go as they are.
 */
static ngx_int_t
ngx_http_hrx_bulk_done(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    json_t     *reply, *obj;
    int64_t     id;
    ngx_int_t   rc;

    if (status != NGX_HTTP_OK && status != NGX_HTTP_CREATED) {
        return ngx_http_hrx_send(r, status, body, len);
    }

    reply = json_loadb((const char *) body, len, 0, NULL);
    id = json_integer_value(json_object_get(reply, "id"));
    json_decref(reply);

    if (id <= 0) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "unexpected reply from the "
                                       "scheduler");
    }

    /* the writer reaches what it just wrote */
    obj = NULL;
    rc = ngx_http_hrx_db_bulk_get(r, NULL, ctx->auth.tenant_id, id,
                                  (int64_t) hrx_wall_ms(), &obj, NULL);

    if (rc != NGX_OK) {
        /* deleted since, or the read failed: committed all the same */
        return ngx_http_hrx_send(r, status, body, len);
    }

    return ngx_http_hrx_send_json(r, status, obj);
}


static size_t
ngx_http_hrx_bulk_chars(const char *s, size_t len)
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


/* ---- the dry run (BA-15) ------------------------------------------------ */

ngx_int_t
ngx_http_hrx_api_bulk_dry_run(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t                     sent;
    ngx_pool_cleanup_t           *cln;
    ngx_http_hrx_dry_run_t       *t;
    ngx_http_hrx_bulk_body_t      b;
    ngx_http_hrx_main_conf_t     *hmcf;
    ngx_http_hrx_line_secrets_t   line;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    if (ngx_http_hrx_bulk_body(r, ctx, NGX_HTTP_HRX_BULK_DRY_RUN, NULL, &b,
                               &sent)
        != NGX_OK)
    {
        return sent;
    }

    if (ngx_http_hrx_secret_keys(r->connection->log, hmcf) != NGX_OK) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "key_unavailable", NULL,
                                       "the key for links is not available "
                                       "(master.key)");
    }

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_dry_run_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (t == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the scheduler writes friend links only while LINE is connected */
    switch (ngx_http_hrx_db_line_secrets(r, b.def.tenant_id, 0, &line)) {
    case NGX_OK:
        t->line_connected = line.connected;
        break;
    case NGX_DECLINED:
        break;
    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    t->db_path = hmcf->db_path;
    t->public_url = hmcf->public_url;
    t->def = b.def;
    t->now = b.now;
    t->rc = NGX_ERROR;
    ngx_memcpy(t->key, ngx_http_hrx_worker.token_key, HRX_KEY_SIZE);

    cln->handler = ngx_http_hrx_dry_run_cleanup;
    cln->data = t;

    return ngx_http_hrx_task_run(r, ctx, ngx_http_hrx_dry_run_thread, NULL,
                                 t, ngx_http_hrx_dry_run_resume,
                                 "too many dry runs and searches are "
                                 "running; try again");
}


static void
ngx_http_hrx_dry_run_cleanup(void *data)
{
    ngx_http_hrx_dry_run_t *t = data;

    free(t->body);
    ngx_explicit_memzero(t->key, sizeof(t->key));
}


static int
ngx_http_hrx_dry_run_progress(void *data)
{
    struct timespec          now;
    ngx_http_hrx_dry_run_t  *t = data;

    (void) clock_gettime(CLOCK_MONOTONIC, &now);

    return now.tv_sec > t->deadline.tv_sec
           || (now.tv_sec == t->deadline.tv_sec
               && now.tv_nsec >= t->deadline.tv_nsec);
}


/* in a pool thread: touches only t and this thread's connection */
static void
ngx_http_hrx_dry_run_thread(void *data, ngx_log_t *log)
{
    ngx_http_hrx_dry_run_t *t = data;

    int                rc;
    json_t            *out, *error, *hits;
    sqlite3           *db;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    (void) log;

    db = ngx_http_hrx_db_thread(t->db_path, &t->rc, t->errmsg,
                                sizeof(t->errmsg));
    if (db == NULL) {
        return;
    }

    t->recipients = json_array();
    t->failures = json_array();
    t->reasons = json_object();

    if (t->recipients == NULL || t->failures == NULL || t->reasons == NULL) {
        goto failed;
    }

    ngx_memzero(&sum, sizeof(hrx_bulk_sum_t));
    ngx_memzero(&err, sizeof(hrx_bulk_error_t));

    (void) clock_gettime(CLOCK_MONOTONIC, &t->deadline);
    t->deadline.tv_sec += NGX_HTTP_HRX_DRY_RUN_TIMEOUT / 1000;
    sqlite3_progress_handler(db, 10000, ngx_http_hrx_dry_run_progress, t);

    rc = hrx_bulk_evaluate(db, &t->def, t->now, 0,
                           ngx_http_hrx_dry_run_link, t,
                           ngx_http_hrx_dry_run_visit, t, &sum, &err);

    sqlite3_progress_handler(db, 0, NULL, NULL);

    if (rc == HRX_BULK_DB_ERROR) {

        if (ngx_http_hrx_dry_run_progress(t)) {
            t->rc = NGX_AGAIN;

        } else {
            t->rc = NGX_ERROR;
            (void) ngx_snprintf((u_char *) t->errmsg, sizeof(t->errmsg) - 1,
                                "%s%Z", err.message);

            if (sqlite3_errcode(db) != SQLITE_BUSY
                && sqlite3_errcode(db) != SQLITE_LOCKED)
            {
                /* start again with a fresh connection next time */
                ngx_http_hrx_db_thread_drop(db);
            }
        }

        goto done;
    }

    if (rc == HRX_BULK_ABORTED) {
        (void) ngx_snprintf((u_char *) t->errmsg, sizeof(t->errmsg) - 1,
                            "the evaluation was aborted (out of memory or "
                            "no link)%Z");
        goto failed;
    }

    hits = sum.hits >= 0 ? json_integer(sum.hits) : json_null();

    if (rc == HRX_BULK_ACTION_ERROR) {
        error = json_pack("{s:s, s:o, s:s}",
                          "code", err.code ? err.code : "unknown",
                          "message", ngx_http_hrx_dry_run_texts(err.code
                                                                ? err.code
                                                                : "unknown"),
                          "detail", err.message);

        out = json_pack("{s:o, s:i, s:i, s:o, s:o, s:[], s:[]}",
                        "hits", hits, "would_receive", 0, "would_fail", 0,
                        "error", error, "reasons", json_object(),
                        "recipients", "failures");

    } else {
        out = json_pack("{s:o, s:I, s:I, s:n, s:O, s:O, s:O}",
                        "hits", hits,
                        "would_receive", (json_int_t) sum.deliverable,
                        "would_fail", (json_int_t) sum.failed,
                        "error",
                        "reasons", t->reasons,
                        "recipients", t->recipients,
                        "failures", t->failures);
    }

    if (out == NULL) {
        goto failed;
    }

    t->body = json_dumps(out, JSON_COMPACT);
    json_decref(out);

    if (t->body == NULL) {
        goto failed;
    }

    t->len = ngx_strlen(t->body);
    t->rc = NGX_OK;

    goto done;

failed:

    t->rc = NGX_ERROR;

    if (t->errmsg[0] == '\0') {
        (void) ngx_snprintf((u_char *) t->errmsg, sizeof(t->errmsg) - 1,
                            "out of memory%Z");
    }

done:

    json_decref(t->recipients);
    json_decref(t->failures);
    json_decref(t->reasons);
    t->recipients = NULL;
    t->failures = NULL;
    t->reasons = NULL;
}


/*
 * Links in the texts: real tokens (docs/bulk-actions.md, "Links in
 * mail"), so that the lengths measured are the ones the scheduler will
 * send; a friend link only while the tenant's LINE is connected, as the
 * scheduler does (docs/line.md).
 */
static int
ngx_http_hrx_dry_run_link(void *data, int kind, int64_t candidate_id,
    int64_t object_id, char *buf, size_t size)
{
    ngx_http_hrx_dry_run_t *t = data;

    int           n;
    char          tok[HRX_TOKEN_MAX];
    const char   *path;
    hrx_token_t   tk;

    ngx_memzero(&tk, sizeof(hrx_token_t));

    switch (kind) {

    case HRX_BULK_LINK_FORM:
        tk.kind = HRX_TOKEN_FORM;
        tk.expires_at = t->now + HRX_TOKEN_TTL_FORM_MS;
        path = "/f/";
        break;

    case HRX_BULK_LINK_EVENT:
        tk.kind = t->def.event_id ? HRX_TOKEN_EVENT : HRX_TOKEN_EVENT_GROUP;
        tk.expires_at = t->now + HRX_TOKEN_TTL_EVENT_MS;
        path = "/e/";
        break;

    default: /* HRX_BULK_LINK_LINE_FRIEND */
        if (!t->line_connected) {
            return 0;
        }
        tk.kind = HRX_TOKEN_LINE_FRIEND;
        tk.expires_at = t->now + HRX_TOKEN_TTL_LINE_FRIEND_MS;
        path = "/line/friend/";
        break;
    }

    tk.tenant_id = t->def.tenant_id;
    tk.candidate_id = candidate_id;
    tk.object_id = object_id;

    if (hrx_random_bytes(&tk.nonce, sizeof(tk.nonce)) != 0
        || hrx_token_make(t->key, &tk, tok, sizeof(tok)) < 0)
    {
        return -1;
    }

    n = snprintf(buf, size, "%.*s%s%s", (int) t->public_url.len,
                 (const char *) t->public_url.data, path, tok);

    return (n < 0 || (size_t) n >= size) ? -1 : 1;
}


/* each hit candidate: the first 100 of each list, every reason counted */
static int
ngx_http_hrx_dry_run_visit(void *data, const hrx_bulk_recipient_t *rc)
{
    ngx_http_hrx_dry_run_t *t = data;

    json_t      *item, *count;
    json_int_t   n;

    if (rc->reason == NULL) {

        if (json_array_size(t->recipients) >= NGX_HTTP_HRX_DRY_RUN_LIST) {
            return 0;
        }

        item = json_pack("{s:I, s:s, s:b, s:s?, s:b}",
                         "candidate_id", (json_int_t) rc->candidate_id,
                         "candidate_name",
                         rc->candidate_name ? rc->candidate_name : "",
                         "to_agent", rc->to_agent,
                         "email", rc->to_email,
                         "line", rc->line_user_id != NULL);

        if (item == NULL) {
            return -1;
        }

        return json_array_append_new(t->recipients, item) == 0 ? 0 : -1;
    }

    count = json_object_get(t->reasons, rc->reason);
    n = count ? json_integer_value(count) : 0;

    if (json_object_set_new(t->reasons, rc->reason, json_integer(n + 1))
        != 0)
    {
        return -1;
    }

    if (json_array_size(t->failures) >= NGX_HTTP_HRX_DRY_RUN_LIST) {
        return 0;
    }

    item = json_pack("{s:I, s:s, s:s, s:o, s:s?}",
                     "candidate_id", (json_int_t) rc->candidate_id,
                     "candidate_name",
                     rc->candidate_name ? rc->candidate_name : "",
                     "reason", rc->reason,
                     "message", ngx_http_hrx_dry_run_texts(rc->reason),
                     "detail", rc->detail);

    if (item == NULL) {
        return -1;
    }

    return json_array_append_new(t->failures, item) == 0 ? 0 : -1;
}


static json_t *
ngx_http_hrx_dry_run_texts(const char *code)
{
    char  en[512], ja[512];

    return json_pack("{s:s, s:s}",
                     "en", hrx_bulk_reason_text(code, "en", en, sizeof(en)),
                     "ja", hrx_bulk_reason_text(code, "ja", ja, sizeof(ja)));
}


/* on the event loop when the task is done and the client still waits */
static ngx_int_t
ngx_http_hrx_dry_run_resume(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    u_char                  *p;
    ngx_http_hrx_dry_run_t  *t;

    t = ctx->task_data;

    switch (t->rc) {

    case NGX_OK:
        break;

    case NGX_BUSY:
        return ngx_http_hrx_send_found(r, NGX_BUSY, NULL, "bulk action");

    case NGX_AGAIN:
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "hrx: dry run interrupted after %d ms",
                      NGX_HTTP_HRX_DRY_RUN_TIMEOUT);
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "search_timeout", NULL,
                                       "the dry run took longer than %d "
                                       "seconds: narrow the saved search",
                                       NGX_HTTP_HRX_DRY_RUN_TIMEOUT / 1000);

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "hrx: dry run failed: %s", t->errmsg);
        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "the dry run failed");
    }

    p = ngx_pnalloc(r->pool, t->len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, t->body, t->len);

    return ngx_http_hrx_send(r, NGX_HTTP_OK, p, t->len);
}
