/*
 * Evaluating a bulk action (docs/bulk-actions.md, SPEC BA-10 … BA-12):
 * who it reaches now, who fails and why, and what each recipient gets.
 *
 * One evaluation, two callers: the scheduler at T (render on, writing
 * outbox rows from the visits) and a worker's dry run (BA-15, on a pool
 * thread over a read-only connection).  So a dry run says exactly what
 * would happen if the action ran now.
 *
 *     hrx_bulk_def_t     def = { tenant, editor, kind, search, template, ... };
 *     hrx_bulk_error_t   err;
 *     hrx_bulk_sum_t     sum;
 *
 *     rc = hrx_bulk_evaluate(db, &def, now_ms, render, link, lctx,
 *                            visit, vctx, &sum, &err);
 *     HRX_BULK_OK            every hit candidate was visited once, in id
 *                            order; sum counts them
 *     HRX_BULK_ACTION_ERROR  a whole-action error (BA-11): err.code, and
 *                            sum.hits when it was counted; nobody visited
 *     HRX_BULK_ABORTED       visit or link returned -1 (err.code NULL,
 *                            err.message names the candidate)
 *     HRX_BULK_DB_ERROR      SQLite failed, out of memory, or def->kind
 *                            is not a kind (err.code "internal_error",
 *                            err.message says how)
 *
 * The statements are prepared on db for the call and finalized before it
 * returns (a dry run is rare, an execution once per action: no cache).
 * hrx_regexp_register(db) must have been called (regex conditions).
 * The hits are counted, then listed: on a connection in autocommit mode
 * (a dry run) the call holds a read transaction (BEGIN ... COMMIT) so both
 * see one snapshot, and visit must then not begin or end transactions on
 * db; inside the caller's transaction (the scheduler) it opens none.
 * Reach (search, template, form, event) and the operate rule are those of
 * the editor (the action's last editor) as it is now, from the same SQL
 * as everything else (hrx_sql_reach(), hrx_sql_operate()).
 */
#ifndef HRX_BULK_H
#define HRX_BULK_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define HRX_BULK_MAX_HITS         3000      /* BA-5 */
#define HRX_BULK_MAX_RESERVED     5         /* BA-3 */
#define HRX_BULK_MIN_LEAD_MS      (10LL * 60 * 1000)    /* BA-4: > this */
#define HRX_BULK_LOCK_MS          (11LL * 60 * 1000)    /* BA-9: < this */
#define HRX_BULK_LATE_MS          (60LL * 1000)         /* recorded late */
#define HRX_BULK_SUBJECT_MAX      255       /* characters, BA-12 */
#define HRX_BULK_BODY_MAX         100000    /* characters, BA-12 */
#define HRX_BULK_HISTORY_MS       (7LL * 24 * 3600 * 1000)   /* BA-14 */

typedef enum {
    HRX_BULK_MESSAGE = 1,
    HRX_BULK_EVENT_INVITATION = 2
} hrx_bulk_kind_e;

/* "message" / "event_invitation" -> kind, or 0 */
int hrx_bulk_kind(const char *s);
const char *hrx_bulk_kind_name(int kind);

typedef struct {
    int64_t  tenant_id;
    int64_t  editor_id;            /* the last editor: reach and operate */
    int      kind;                 /* hrx_bulk_kind_e */
    int64_t  saved_search_id;
    int64_t  template_id;
    int64_t  form_id;              /* 0: none (message only) */
    int64_t  event_id;             /* event_invitation: one of these two */
    int64_t  event_group_id;
    int      also_line;            /* LN-12: also to LINE friends */
} hrx_bulk_def_t;

typedef struct {
    const char  *code;             /* static: a reason code below */
    char         message[512];     /* English, for logs and error_message */
} hrx_bulk_error_t;

/* what the caller's link function is asked for (docs: "Links in mail") */
typedef enum {
    HRX_BULK_LINK_FORM = 1,        /* object: def->form_id */
    HRX_BULK_LINK_EVENT,           /* object: the event or event group */
    HRX_BULK_LINK_LINE_FRIEND      /* object: 0 */
} hrx_bulk_link_e;

/*
 * Writes the URL of link kind for candidate_id into buf (NUL-terminated):
 * 1, or 0 when there is none (e.g. LINE not set up: the variable is then
 * missing data), -1 on failure (aborts the evaluation: HRX_BULK_ABORTED).
 * NULL link function: every link is "none".  Asked only for a candidate
 * that got as far as rendering, only when the template uses the link, and
 * at most once per candidate and kind (subject, text and HTML share the
 * URL).  Never asked: HRX_BULK_LINK_FORM without def->form_id, and
 * HRX_BULK_LINK_EVENT for a message; those variables are missing data.
 * A dry run without real tokens passes a function writing a stand-in URL
 * (of about the real length), else every {form.url} fails its candidate.
 */
typedef int (*hrx_bulk_link_pt)(void *ctx, int kind, int64_t candidate_id,
    int64_t object_id, char *buf, size_t size);

typedef struct {
    int64_t      candidate_id;
    const char  *candidate_name;   /* "family given" (family alone when no
                                      given name) */
    const char  *reason;           /* NULL: deliverable; else a reason code
                                      ("missing_variable:<name>" included) */
    const char  *detail;           /* more about reason, or NULL */

    int          to_agent;         /* BA-10: mailed to the agent instead */
    const char  *to_email;         /* the address: deliverable, and the
                                      failures after no_email (missing
                                      variable, subject/body); else NULL */
    const char  *to_name;          /* its display name (the agent's or the
                                      candidate's), may be NULL */
    const char  *line_user_id;     /* deliverable, also_line, a LINE friend
                                      and not to an agent (LN-8): the id */

    /* rendered, when render was asked and reason is NULL */
    const char  *subject;   size_t  subject_len;
    const char  *body_text; size_t  body_text_len;
    const char  *body_html; size_t  body_html_len;   /* NULL: no HTML part */
} hrx_bulk_recipient_t;

/* 0 to go on, -1 to stop (HRX_BULK_ABORTED); pointers are valid only
 * during the call */
typedef int (*hrx_bulk_visit_pt)(void *ctx, const hrx_bulk_recipient_t *r);

typedef struct {
    int64_t  hits;                 /* candidates matching now; -1 unknown */
    int64_t  deliverable;
    int64_t  failed;
    int64_t  line;                 /* deliverable ones also to LINE */
} hrx_bulk_sum_t;

#define HRX_BULK_OK             0
#define HRX_BULK_ACTION_ERROR   1
#define HRX_BULK_ABORTED        2
#define HRX_BULK_DB_ERROR      -1

/*
 * Checks, in this order; the first that fails is the whole-action error:
 *   editor_disabled       the editor is gone or disabled (or a user of
 *                         another tenant who is not a platform admin)
 *   search_unavailable    the saved search is gone or its search group is
 *                         not reached by the editor (BA-6, BA-11), or its
 *                         condition no longer compiles
 *   template_unavailable  the template is gone or not reached, or a part
 *                         of it no longer parses
 *   form_unavailable      def->form_id set, and gone or not reached
 *   event_unavailable     the event (its event group) / the event group is
 *                         gone or not reached, or an invitation names
 *                         neither (event_id wins when both are set; a
 *                         message checks no event)
 *   event_unpublished     the event is unpublished (a group: none of its
 *                         events is published)
 *   event_full            no date after now with room (registered <
 *                         capacity) in the event (the group's published
 *                         events)
 *   too_many_hits         more than HRX_BULK_MAX_HITS candidates match
 * Hits are every candidate of the tenant the condition matches, whether
 * or not the editor operates on it (the cap counts them all).  Then each
 * hit candidate, by id; its first failing rule is its reason:
 *   not_operable          the editor does not operate on it (BA-12)
 *   agent_disabled        route agent, and the agent is disabled, whether
 *                         or not it takes its candidates' mail
 *   no_email              the address to use (candidate's, or the agent's
 *                         when the agent takes its mail) is empty
 *   missing_variable:<n>  variable n has no data and no fallback
 *                         ({line.friend_url} never has in mail to an agent:
 *                         LN-8)
 *   subject_empty / subject_too_long / body_empty / body_too_long
 *                         (body = body_text; lengths in characters, detail
 *                         "<n> characters"; white space alone, U+3000
 *                         included, is empty)
 * render = 0 still renders (a missing variable is only known so) but does
 * not hand the texts to visit.
 */
int hrx_bulk_evaluate(sqlite3 *db, const hrx_bulk_def_t *def, int64_t now,
    int render, hrx_bulk_link_pt link, void *link_ctx,
    hrx_bulk_visit_pt visit, void *visit_ctx, hrx_bulk_sum_t *sum,
    hrx_bulk_error_t *err);

/*
 * Counts the candidates the saved search hits now (BA-5 at save):
 * HRX_BULK_OK and *hits, or HRX_BULK_ACTION_ERROR (search_unavailable:
 * no such search in the tenant, or its condition no longer compiles) or
 * HRX_BULK_DB_ERROR.
 */
int hrx_bulk_count_hits(sqlite3 *db, int64_t tenant_id,
    int64_t saved_search_id, int64_t *hits, hrx_bulk_error_t *err);

/*
 * Readable text of a reason code (whole-action or per candidate; for
 * "missing_variable:<name>" the name is put in the text): lang "en" or
 * "ja".  Writes a NUL-terminated sentence into buf; an unknown code gets
 * a generic sentence that quotes it.  Returns buf.
 */
const char *hrx_bulk_reason_text(const char *code, const char *lang,
    char *buf, size_t size);

#endif /* HRX_BULK_H */
