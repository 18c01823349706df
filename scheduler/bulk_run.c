/*
 * Bulk actions at and after T (docs/bulk-actions.md, "Execution at T").
 *
 * At T.  Every turn of the loop asks for a waiting action whose run_at
 * has come.  Each runs in a transaction of its own: evaluate the saved
 * search now (shm/hrx_bulk.c, the same evaluation as the dry run), and
 * for every hit candidate write its result row and, when it can be
 * reached, its whole mail message into the outbox -- the decision to send
 * and the message are committed together, so a crash either forgets the
 * run entirely (it is still waiting and runs again) or keeps every
 * message it decided on (the outbox sends them after the restart).  A
 * scheduler that was down at T runs the action when it comes back and
 * records how late (late_ms).
 *
 * Each message is rendered once, here, with its Message-ID and Date: a
 * resend after a crash is the same bytes, so a receiver that got it twice
 * sees the same Message-ID.
 *
 * LINE (LN-12).  An action with also_line gives a candidate who is a LINE
 * friend, and is not mailed through an agent (LN-8: the evaluation leaves
 * line_user_id NULL then), a LINE push of the rendered plain text too: a
 * second outbox row, written with the mail's, with a retry key fixed now
 * (docs/line.md, "Sending").  It is only queued while the tenant's LINE is
 * connected; a text too long for one push (5 messages) goes by email
 * only.  The candidate's result tracks the email (BA-13); its "line" flag
 * says a push was queued, and goes back to 0 if the push finally fails.
 *
 * After T.  The outbox reports each final delivery outcome inside its
 * own transaction (bulk_run_delivered()): the result row moves from
 * pending to reached or failed, the executed label goes on a reached
 * candidate (BA-7), the counters move, and the last outcome settles the
 * action's status (BA-8, BA-13).  The actions touched are published on
 * the broadcast ring after the commit, for the admin page's live progress
 * (BA-15).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "hrx_bulk.h"
#include "hrx_line.h"
#include "hrx_token.h"
#include "bulk_run.h"
#include "log.h"
#include "mail_transport.h"
#include "mime.h"
#include "store_bulk.h"
#include "store_message.h"
#include "store_line_link.h"

#define BULK_RUN_PER_TURN      4       /* actions started per call */
#define BULK_RUN_TOUCHED_MAX   64
#define BULK_RUN_EVENT_TYPE    1       /* broadcast: bulk_action.progress */
#define BULK_RUN_URL_MAX       1024

static struct {
    store_t          *st;
    hrx_shm_t        *shm;
    bulk_run_conf_t   conf;
    int64_t           touched[BULK_RUN_TOUCHED_MAX];
    size_t            ntouched;
    int64_t           next_at;        /* earliest waiting run_at, unix ms */
    int               next_stale;     /* a command changed the actions */
} run;

/* what a run's visits share */
typedef struct {
    const store_bulk_t           *b;
    const store_mail_settings_t  *mail;
    int64_t                       now;
    int                           line_ok;    /* also_line, connected */
    int64_t                       queued;
    int64_t                       line;       /* LINE pushes queued */
    int64_t                       failed;
    int                           store_failed;
} bulk_run_ctx_t;

int
bulk_run_start(store_t *st, hrx_shm_t *shm, const bulk_run_conf_t *conf)
{
    memset(&run, 0, sizeof(run));
    run.st = st;
    run.shm = shm;
    run.conf = *conf;
    run.next_stale = 1;
    return 0;
}

/*
 * When the loop must run bulk_run_due next: the earliest run_at of a
 * waiting action (one indexed row), looked up again only after a command
 * or a run changed the actions, so the loop can wake at T itself instead
 * of finding it on a once-a-second poll.  INT64_MAX: nothing waits.
 */
int64_t
bulk_run_next_at(void)
{
    int64_t  at;
    int      rc;

    if (run.next_stale && run.st != NULL) {
        rc = store_bulk_next_run_at(run.st, &at);
        if (rc == STORE_OK) {
            run.next_at = at;
            run.next_stale = 0;
        } else if (rc == STORE_NOTFOUND) {
            run.next_at = INT64_MAX;
            run.next_stale = 0;
        } else {
            /* the once-a-second look of the loop finds it instead */
            log_error("next bulk action: %s", store_errmsg(run.st));
            run.next_at = INT64_MAX;
        }
    }
    return run.next_at;
}

void
bulk_run_changed(void)
{
    run.next_stale = 1;
}

void
bulk_run_finish(void)
{
    memset(&run, 0, sizeof(run));
}

static void
bulk_run_touch(int64_t id)
{
    size_t  i;

    for (i = 0; i < run.ntouched; i++) {
        if (run.touched[i] == id) {
            return;
        }
    }
    if (run.ntouched < BULK_RUN_TOUCHED_MAX) {
        run.touched[run.ntouched++] = id;
    }
}

/* -------------------------------------------------------------------- */
/* one run */

static const hrx_bulk_def_t *
bulk_run_def(const store_bulk_t *b, hrx_bulk_def_t *def)
{
    memset(def, 0, sizeof(*def));
    def->tenant_id = b->tenant_id;
    def->editor_id = b->updated_by;
    def->kind = b->kind;
    def->saved_search_id = b->saved_search_id;
    def->template_id = b->template_id;
    def->form_id = b->form_id;
    def->event_id = b->event_id;
    def->event_group_id = b->event_group_id;
    def->also_line = b->also_line;
    return def;
}

/* the signed per-candidate links of {form.url}, {event.url} and
 * {line.friend_url} */
static int
bulk_run_link(void *data, int kind, int64_t candidate_id, int64_t object_id,
    char *buf, size_t size)
{
    bulk_run_ctx_t  *ctx = data;
    hrx_token_t      t;
    char             tok[HRX_TOKEN_MAX];
    const char      *path;
    int              n, connected;

    memset(&t, 0, sizeof(t));
    t.tenant_id = ctx->b->tenant_id;
    t.candidate_id = candidate_id;
    t.object_id = object_id;

    switch (kind) {
    case HRX_BULK_LINK_FORM:
        t.kind = HRX_TOKEN_FORM;
        t.expires_at = ctx->now + HRX_TOKEN_TTL_FORM_MS;
        path = "f";
        break;
    case HRX_BULK_LINK_EVENT:
        t.kind = ctx->b->event_id ? HRX_TOKEN_EVENT : HRX_TOKEN_EVENT_GROUP;
        t.expires_at = ctx->now + HRX_TOKEN_TTL_EVENT_MS;
        path = "e";
        break;
    case HRX_BULK_LINK_LINE_FRIEND:
        /* only while the tenant's LINE is connected: else missing data */
        if (store_line_link_connected(run.st, t.tenant_id, &connected)
            != STORE_OK)
        {
            return -1;
        }
        if (!connected) {
            return 0;
        }
        t.kind = HRX_TOKEN_LINE_FRIEND;
        t.object_id = 0;
        t.expires_at = ctx->now + HRX_TOKEN_TTL_LINE_FRIEND_MS;
        path = "line/friend";
        break;
    default:
        return 0;
    }

    if (hrx_random_bytes(&t.nonce, sizeof(t.nonce)) != 0
        || hrx_token_make(run.conf.token_key, &t, tok, sizeof(tok)) < 0)
    {
        return -1;
    }
    n = snprintf(buf, size, "%s/%s/%s", run.conf.public_url, path, tok);
    return (n < 0 || (size_t) n >= size) ? -1 : 1;
}

static int
bulk_run_fail(bulk_run_ctx_t *ctx, const hrx_bulk_recipient_t *r,
    const char *reason, const char *detail)
{
    if (store_bulk_result_insert(run.st, ctx->b->id, r->candidate_id,
                                 r->candidate_name, r->to_agent, r->to_email,
                                 0, "failed", reason, detail) != STORE_OK)
    {
        ctx->store_failed = 1;
        return -1;
    }
    ctx->failed++;
    return 0;
}

/*
 * The LINE push of a recipient who is a LINE friend (LN-12): 1 queued, 0
 * not (a text LINE cannot take: logged), -1 when the store failed.
 */
static int
bulk_run_line(bulk_run_ctx_t *ctx, const hrx_bulk_recipient_t *r)
{
    json_t  *body;
    char    *s;
    char     key[MAIL_RETRY_KEY_SIZE];
    int      rc;

    body = hrx_line_push_body(r->line_user_id, r->body_text,
                              r->body_text_len);
    if (body == NULL) {
        log_warn("bulk action %" PRId64 ": candidate %" PRId64 " gets "
                 "email only: the text does not fit one LINE push (%d "
                 "messages of %d characters)", ctx->b->id, r->candidate_id,
                 HRX_LINE_PUSH_MAX, HRX_LINE_TEXT_MAX);
        return 0;
    }
    s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (s == NULL || mail_line_retry_key(key) != 0) {
        free(s);
        return -1;
    }

    rc = store_outbox_queue(run.st, ctx->b->tenant_id, "line", ctx->b->id,
                            r->candidate_id, r->line_user_id, NULL, key, s,
                            strlen(s), ctx->now);
    free(s);
    if (rc != STORE_OK) {
        ctx->store_failed = 1;
        return -1;
    }
    ctx->line++;
    return 1;
}

/* one hit candidate: its result row, and its message into the outbox */
static int
bulk_run_visit(void *data, const hrx_bulk_recipient_t *r)
{
    bulk_run_ctx_t   *ctx = data;
    mime_message_t    m;
    char              left[64], msgid[256], header[64], err[256];
    char             *msg;
    size_t            len;
    int               rc, line = 0;

    if (r->reason != NULL) {
        return bulk_run_fail(ctx, r, r->reason, r->detail);
    }

    snprintf(left, sizeof(left), "ba%" PRId64 ".c%" PRId64, ctx->b->id,
             r->candidate_id);
    snprintf(header, sizeof(header), "X-Hrx-Bulk-Action: %" PRId64,
             ctx->b->id);
    if (mime_message_id(left, run.conf.mail_host, msgid, sizeof(msgid)) != 0)
    {
        return -1;
    }

    memset(&m, 0, sizeof(m));
    m.from_email = ctx->mail->from_email;
    m.from_name = ctx->mail->from_name[0] ? ctx->mail->from_name : NULL;
    m.reply_to = ctx->mail->reply_to[0] ? ctx->mail->reply_to : NULL;
    m.to_email = r->to_email;
    m.to_name = r->to_name;
    m.subject = r->subject;
    m.message_id = msgid;
    m.date_ms = ctx->now;
    m.body_text = r->body_text;
    m.body_text_len = r->body_text_len;
    m.body_html = r->body_html;
    m.body_html_len = r->body_html_len;
    m.headers[0] = header;

    if (mime_build(&m, &msg, &len, err, sizeof(err)) != 0) {
        /* an address stored before it was checked as strictly, say */
        return bulk_run_fail(ctx, r, "invalid_message", err);
    }

    rc = store_outbox_queue(run.st, ctx->b->tenant_id, "email", ctx->b->id,
                            r->candidate_id, r->to_email,
                            ctx->mail->from_email, msgid, msg, len,
                            ctx->now);
    free(msg);

    /* never to an agent (LN-8): the evaluation gives no LINE id then */
    if (rc == STORE_OK && ctx->line_ok && r->line_user_id != NULL
        && !r->to_agent)
    {
        line = bulk_run_line(ctx, r);
        if (line < 0) {
            return -1;
        }
    }

    if (rc != STORE_OK
        || store_bulk_result_insert(run.st, ctx->b->id, r->candidate_id,
                                    r->candidate_name, r->to_agent,
                                    r->to_email, line, "pending", NULL, NULL)
           != STORE_OK)
    {
        ctx->store_failed = 1;
        return -1;
    }
    ctx->queued++;
    return 0;
}

/* the From of the tenant's mail, or a default until it is set */
int
bulk_run_mail_settings(store_t *st, int64_t tenant_id,
    store_mail_settings_t *mail)
{
    store_tenant_t  t;
    int             rc;

    rc = store_mail_settings_get(st, tenant_id, mail);
    if (rc != STORE_NOTFOUND) {
        return rc;
    }

    memset(mail, 0, sizeof(*mail));
    strcpy(mail->transport, "file");
    snprintf(mail->from_email, sizeof(mail->from_email), "no-reply@%s",
             bulk_run_mail_host());
    rc = store_tenant_get(st, tenant_id, &t);
    if (rc == STORE_OK) {
        snprintf(mail->from_name, sizeof(mail->from_name), "%s", t.name);
    }
    return rc;
}

const char *
bulk_run_mail_host(void)
{
    return run.conf.mail_host != NULL ? run.conf.mail_host : "localhost";
}

/* inside an open transaction: 0, or -1 (roll back; logged) */
static int
bulk_run_one(int64_t id, int64_t tenant_id, int64_t now)
{
    store_bulk_t            b;
    store_mail_settings_t   mail;
    hrx_bulk_def_t          def;
    hrx_bulk_sum_t          sum;
    hrx_bulk_error_t        err;
    bulk_run_ctx_t          ctx;
    int64_t                 late;
    const char             *code;
    char                    text[512];
    int                     rc;

    if (store_bulk_get(run.st, tenant_id, id, &b) != STORE_OK
        || bulk_run_mail_settings(run.st, tenant_id, &mail) != STORE_OK)
    {
        log_error("bulk action %" PRId64 ": %s", id, store_errmsg(run.st));
        return -1;
    }

    late = now - b.run_at > HRX_BULK_LATE_MS ? now - b.run_at : 0;
    if (late) {
        log_warn("bulk action %" PRId64 " runs %" PRId64 " s late (the "
                 "scheduler was not running at its time)", id, late / 1000);
    }

    memset(&ctx, 0, sizeof(ctx));
    ctx.b = &b;
    ctx.mail = &mail;
    ctx.now = now;
    memset(&sum, 0, sizeof(sum));

    if (b.also_line) {
        if (store_message_line_connected(run.st, tenant_id, &ctx.line_ok)
            != STORE_OK)
        {
            log_error("bulk action %" PRId64 ": %s", id,
                      store_errmsg(run.st));
            return -1;
        }
        if (!ctx.line_ok) {
            log_warn("bulk action %" PRId64 ": LINE is not connected any "
                     "more; email only", id);
        }
    }

    rc = store_bulk_evaluate(run.st, bulk_run_def(&b, &def), now, 1,
                             bulk_run_link, &ctx, bulk_run_visit, &ctx, &sum,
                             &err);

    if (rc == HRX_BULK_DB_ERROR || ctx.store_failed) {
        log_error("bulk action %" PRId64 ": %s", id, store_errmsg(run.st));
        return -1;
    }
    if (rc == HRX_BULK_ABORTED) {
        log_error("bulk action %" PRId64 ": cannot render its messages "
                  "(out of memory?); it stays waiting", id);
        return -1;
    }

    if (rc == HRX_BULK_ACTION_ERROR) {
        log_info("bulk action %" PRId64 ": error %s: %s", id, err.code,
                 err.message);
        rc = store_bulk_start(run.st, id, "error", sum.hits, 0, 0, now, late,
                              now, err.code, err.message);

    } else if (ctx.queued == 0) {
        /* nobody to wait for: nobody was reached (BA-8 "error") */
        code = ctx.failed == 0 ? "no_hits" : "nobody_reached";
        log_info("bulk action %" PRId64 ": %" PRId64 " hits, none "
                 "reachable", id, sum.hits);
        rc = store_bulk_start(run.st, id, "error", sum.hits, ctx.failed, 0,
                              now, late, now, code,
                              hrx_bulk_reason_text(code, "en", text,
                                                   sizeof(text)));
    } else {
        log_info("bulk action %" PRId64 ": %" PRId64 " hits, %" PRId64
                 " messages queued (%" PRId64 " also to LINE), %" PRId64
                 " failed", id, sum.hits, ctx.queued, ctx.line, ctx.failed);
        rc = store_bulk_start(run.st, id, "running", sum.hits, ctx.failed,
                              ctx.queued, now, late, 0, NULL, NULL);
    }

    if (rc != STORE_OK) {
        log_error("bulk action %" PRId64 ": %s", id, store_errmsg(run.st));
        return -1;
    }
    bulk_run_touch(id);
    return 0;
}

int
bulk_run_due(int64_t now)
{
    int64_t  id, tenant_id;
    int      i, rc;

    run.next_stale = 1;

    for (i = 0; i < BULK_RUN_PER_TURN; i++) {
        if (store_begin(run.st) != STORE_OK) {
            log_error("cannot begin a bulk run: %s", store_errmsg(run.st));
            return -1;
        }

        rc = store_bulk_next_due(run.st, now, &id, &tenant_id);
        if (rc == STORE_NOTFOUND) {
            store_rollback(run.st);
            return 0;
        }
        if (rc != STORE_OK || bulk_run_one(id, tenant_id, now) != 0
            || store_commit(run.st) != STORE_OK)
        {
            if (rc != STORE_OK) {
                log_error("cannot look for due bulk actions: %s",
                          store_errmsg(run.st));
            }
            store_rollback(run.st);
            run.ntouched = 0;
            return -1;
        }
        bulk_run_publish();
    }
    return 0;
}

/* -------------------------------------------------------------------- */
/* after T */

int
bulk_run_delivered(store_t *st, int64_t bulk_action_id, int64_t candidate_id,
    int delivered, const char *reason, const char *detail, int64_t now)
{
    store_bulk_t   b;
    const char    *status, *code;
    char           text[512];
    int            changed, rc;

    rc = store_bulk_result_settle(st, bulk_action_id, candidate_id,
                                  delivered, reason, detail, &changed);
    if (rc != STORE_OK || !changed) {
        return rc == STORE_OK ? STORE_OK : STORE_ERROR;
    }

    rc = store_bulk_get(st, 0, bulk_action_id, &b);
    if (rc == STORE_NOTFOUND) {
        return STORE_OK;
    }
    if (rc != STORE_OK) {
        return STORE_ERROR;
    }
    bulk_run_touch(bulk_action_id);

    if (delivered && b.executed_label_id
        && store_bulk_label(st, b.tenant_id, candidate_id,
                            b.executed_label_id, now) != STORE_OK)
    {
        return STORE_ERROR;
    }

    if (b.pending > 0 || strcmp(b.status, "running") != 0) {
        return STORE_OK;
    }

    code = NULL;
    if (b.reached == 0) {
        status = "error";
        code = "nobody_reached";
    } else if (b.failed == 0) {
        status = "completed";
    } else {
        status = "completed_with_failures";
    }
    log_info("bulk action %" PRId64 ": %s, %" PRId64 " reached, %" PRId64
             " failed", b.id, status, b.reached, b.failed);

    return store_bulk_finish(st, b.id, status, code,
                             code ? hrx_bulk_reason_text(code, "en", text,
                                                         sizeof(text))
                                  : NULL,
                             now) == STORE_OK ? STORE_OK : STORE_ERROR;
}

void
bulk_run_publish(void)
{
    store_bulk_t   b;
    json_t        *ev;
    char          *s;
    size_t         i;

    for (i = 0; i < run.ntouched; i++) {
        if (store_bulk_get(run.st, 0, run.touched[i], &b) != STORE_OK) {
            continue;
        }
        ev = json_pack("{s:s, s:I, s:I, s:I, s:s, s:o, s:I, s:I, s:I}",
                       "type", "bulk_action.progress",
                       "tenant_id", (json_int_t) b.tenant_id,
                       "search_group_id", (json_int_t) b.search_group_id,
                       "id", (json_int_t) b.id,
                       "status", b.status,
                       "hits", b.hits >= 0 ? json_integer(b.hits)
                                           : json_null(),
                       "reached", (json_int_t) b.reached,
                       "failed", (json_int_t) b.failed,
                       "pending", (json_int_t) b.pending);
        s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        if (s != NULL
            && hrx_bcast_publish(&run.shm->bcast, BULK_RUN_EVENT_TYPE, s,
                                 (uint32_t) strlen(s)) == 0)
        {
            hrx_counter_add(run.shm, HRX_CTR_EVENTS_PUBLISHED, 1);
        }
        free(s);
        json_decref(ev);
    }
    run.ntouched = 0;
}
