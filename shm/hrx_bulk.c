/*
 * Evaluating a bulk action: who it reaches now, who fails and why, and
 * what each recipient gets (docs/bulk-actions.md, SPEC BA-10 ... BA-12).
 *
 * The scheduler calls this at T and writes what it is told; a worker
 * calls it for the dry run and shows what it is told.  Both see the same
 * answer only if there is one piece of code that gives it, so every rule
 * of an execution lives here and nowhere else: the whole-action checks
 * (BA-11), the recipient of each candidate (BA-10), the per-candidate
 * failures (BA-12) and the rendering of the template.
 *
 * Whose rules.  An action is executed on behalf of its last editor, as
 * that user is *now*: a role may have lost candidates.operate_other, a
 * master group a grant, the user may have been disabled since the action
 * was saved.  So reach and the operate rule are the SQL everyone else
 * runs (hrx_sql_reach(), hrx_sql_operate() in shm/hrx_resource.c), bound
 * with the editor read afresh from users and roles, exactly as the
 * scheduler's apply does for a command (apply_reach_load()): a platform
 * admin holds every permission, anyone else what the role grants in its
 * own tenant.
 *
 * Hits and the operate rule.  A saved search counted in the builder
 * shows only the candidates the reader operates on; an execution does
 * not filter them out.  The hits are every candidate of the tenant the
 * condition matches, and one the editor may not operate on is a failure
 * with reason not_operable (BA-12: "the last editor lost permission to
 * operate that candidate's group"), so the history says who was left
 * out instead of silently shrinking the audience.  The 3000 cap (BA-5)
 * counts the same set.
 *
 * One snapshot.  The hits are counted first (a whole-action error
 * visits nobody, so the cap is known before the first visit) and listed
 * second.  The scheduler runs this inside its transaction; a dry run
 * comes on a connection in autocommit mode, where two statements could
 * see two states of the database, so then the evaluation holds a read
 * transaction of its own for its duration.
 *
 * Rendering.  The template is parsed once (hrx_merge_parse), rendered per
 * candidate with the values of the preview (ngx_http_hrx_api_merge.c and
 * its NGX_HTTP_HRX_SQL_MERGE_DATA statement: the same joins, the same
 * next interview, the same time zone formatting), so a preview, a dry
 * run and the mail itself agree.  The three links come from the caller
 * (tokens need the scheduler's key); each is asked at most once per
 * candidate, only when the template uses it and only for a candidate
 * that got that far, so subject, text and HTML carry the same URL.
 *
 * SQL.  Every statement is static text plus the reach and operate
 * expressions and the search compiler's fragment; every value is bound.
 * The fragment's plain "?" parameters come first in each statement that
 * holds one (SQLite numbers parameters in the order it reads them), the
 * rest are named (:tenant :actor :admin :operate_other :now :id).
 * Statements are prepared for the call and finalized before it returns:
 * this runs on nginx pool threads and in the scheduler, with no state
 * outside the call.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrx_bulk.h"
#include "hrx_checks.h"
#include "hrx_merge.h"
#include "hrx_prepare.h"
#include "hrx_resource.h"
#include "hrx_search.h"
#include "hrx_tz.h"


#define HRX_BULK_URL_MAX     2048   /* a link from the caller, with NUL */
#define HRX_BULK_EXPR_MAX    2048   /* a reach or operate expression */
#define HRX_BULK_SQL_MAX     8192   /* a statement without a fragment */
#define HRX_BULK_REASON_MAX  (sizeof("missing_variable:") + HRX_MERGE_NAME_MAX)

/* the parts of a template, in the order missing variables are reported */
enum {
    HRX_BULK_SUBJECT = 0,
    HRX_BULK_TEXT,
    HRX_BULK_HTML,
    HRX_BULK_PARTS
};

/* the links a template may use, indexed by hrx_bulk_link_e - 1 */
#define HRX_BULK_LINKS  3


/* one evaluation: what every step reads */
typedef struct {
    sqlite3                *db;
    const hrx_bulk_def_t   *def;
    int64_t                 now;
    hrx_bulk_error_t       *err;

    /* the editor as the reach SQL sees it */
    int64_t                 actor;
    int                     admin;
    int                     operate_other;

    char                   *company;        /* tenants.name */
    char                   *zone;           /* tenants.time_zone */

    hrx_search_t           *search;
    hrx_merge_template_t   *tpl[HRX_BULK_PARTS];  /* HTML may be NULL */
    int64_t                 event_object;   /* of the event link, or 0 */

    hrx_bulk_link_pt        link;
    void                   *link_ctx;
} hrx_bulk_ctx_t;


/* the columns of the hits statement (hrx_bulk_visit_all) */
enum {
    HRX_BC_ID = 0,
    HRX_BC_FAMILY_NAME,
    HRX_BC_GIVEN_NAME,
    HRX_BC_FAMILY_NAME_KANA,
    HRX_BC_GIVEN_NAME_KANA,
    HRX_BC_EMAIL,
    HRX_BC_SCHOOL,
    HRX_BC_GRADUATION_YEAR,
    HRX_BC_STATUS,
    HRX_BC_ROUTE_AGENT,
    HRX_BC_LINE_USER_ID,
    HRX_BC_OPERABLE,
    HRX_BC_AGENT_FOUND,
    HRX_BC_AGENT_NAME,
    HRX_BC_AGENT_EMAIL,
    HRX_BC_AGENT_ACTIVE,
    HRX_BC_AGENT_TAKES_MAIL,
    HRX_BC_JOB_TITLE,
    HRX_BC_OWNER_NAME,
    HRX_BC_INTERVIEW_AT,
    HRX_BC_INTERVIEW_LOCATION
};


/* one candidate being rendered: the merge callback's context */
typedef struct {
    hrx_bulk_ctx_t  *bc;
    int64_t          candidate_id;
    const char      *value[HRX_MERGE_COUNT];   /* NULL or "": no data */
    size_t           len[HRX_MERGE_COUNT];

    /* 0 not asked, 1 url holds the link, 2 none */
    int              link_state[HRX_BULK_LINKS];
    char             url[HRX_BULK_LINKS][HRX_BULK_URL_MAX];
    int              link_failed;              /* link() returned -1 */
    int              to_agent;                 /* mailed to the agent */
} hrx_bulk_cand_t;


static int hrx_bulk_fail(hrx_bulk_error_t *err, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int hrx_bulk_db_fail(hrx_bulk_ctx_t *bc, int rc, const char *what);
static int hrx_bulk_prepare(hrx_bulk_ctx_t *bc, const char *sql,
    int64_t id, sqlite3_stmt **st);
static int hrx_bulk_editor(hrx_bulk_ctx_t *bc);
static int hrx_bulk_tenant(hrx_bulk_ctx_t *bc);
static int hrx_bulk_load_search(hrx_bulk_ctx_t *bc, int64_t id);
static int hrx_bulk_template(hrx_bulk_ctx_t *bc);
static int hrx_bulk_row(hrx_bulk_ctx_t *bc, const char *sql, int64_t id,
    int *cols, int n);
static int hrx_bulk_form(hrx_bulk_ctx_t *bc);
static int hrx_bulk_event(hrx_bulk_ctx_t *bc);
static int hrx_bulk_count(hrx_bulk_ctx_t *bc, int64_t *hits);
static int hrx_bulk_visit_all(hrx_bulk_ctx_t *bc, int render,
    hrx_bulk_visit_pt visit, void *visit_ctx, hrx_bulk_sum_t *sum);
static int hrx_bulk_get(void *data, int id, const char **value,
    size_t *len);
static size_t hrx_bulk_chars(const char *s, size_t len);
static int hrx_bulk_blank(const char *s, size_t len);
static void hrx_bulk_ctx_free(hrx_bulk_ctx_t *bc);


/* ---- kinds --------------------------------------------------------------- */

int
hrx_bulk_kind(const char *s)
{
    if (s == NULL) {
        return 0;
    }

    if (strcmp(s, "message") == 0) {
        return HRX_BULK_MESSAGE;
    }

    if (strcmp(s, "event_invitation") == 0) {
        return HRX_BULK_EVENT_INVITATION;
    }

    return 0;
}


const char *
hrx_bulk_kind_name(int kind)
{
    switch (kind) {

    case HRX_BULK_MESSAGE:
        return "message";

    case HRX_BULK_EVENT_INVITATION:
        return "event_invitation";

    default:
        return NULL;
    }
}


/* ---- the evaluation ------------------------------------------------------ */

int
hrx_bulk_evaluate(sqlite3 *db, const hrx_bulk_def_t *def, int64_t now,
    int render, hrx_bulk_link_pt link, void *link_ctx,
    hrx_bulk_visit_pt visit, void *visit_ctx, hrx_bulk_sum_t *sum,
    hrx_bulk_error_t *err)
{
    int             rc, own_txn;
    int64_t         hits;
    hrx_bulk_ctx_t  bc;

    memset(sum, 0, sizeof(*sum));
    sum->hits = -1;
    err->code = NULL;
    err->message[0] = '\0';

    if (def->kind != HRX_BULK_MESSAGE
        && def->kind != HRX_BULK_EVENT_INVITATION)
    {
        /* the callers read kind from a CHECKed column: a bug, not data */
        err->code = "internal_error";
        snprintf(err->message, sizeof(err->message),
                 "bulk action of unknown kind %d", def->kind);
        return HRX_BULK_DB_ERROR;
    }

    memset(&bc, 0, sizeof(bc));
    bc.db = db;
    bc.def = def;
    bc.now = now;
    bc.err = err;
    bc.link = link;
    bc.link_ctx = link_ctx;

    /* one snapshot for the count and the list (see the top of the file) */
    own_txn = sqlite3_get_autocommit(db);

    if (own_txn) {
        rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            return hrx_bulk_db_fail(&bc, rc, "begin");
        }
    }

    /* the whole-action checks, in the order of hrx_bulk.h */
    rc = hrx_bulk_editor(&bc);

    if (rc == HRX_BULK_OK) {
        rc = hrx_bulk_tenant(&bc);
    }

    if (rc == HRX_BULK_OK) {
        rc = hrx_bulk_load_search(&bc, def->saved_search_id);
    }

    if (rc == HRX_BULK_OK) {
        rc = hrx_bulk_template(&bc);
    }

    if (rc == HRX_BULK_OK) {
        rc = hrx_bulk_form(&bc);
    }

    if (rc == HRX_BULK_OK) {
        rc = hrx_bulk_event(&bc);
    }

    if (rc == HRX_BULK_OK) {
        rc = hrx_bulk_count(&bc, &hits);
    }

    if (rc == HRX_BULK_OK) {
        sum->hits = hits;

        if (hits > HRX_BULK_MAX_HITS) {
            rc = hrx_bulk_fail(err, "too_many_hits",
                               "saved search %lld hits %lld candidates, "
                               "more than %d", (long long)
                               def->saved_search_id, (long long) hits,
                               HRX_BULK_MAX_HITS);
        }
    }

    if (rc == HRX_BULK_OK) {
        rc = hrx_bulk_visit_all(&bc, render, visit, visit_ctx, sum);
    }

    hrx_bulk_ctx_free(&bc);

    if (own_txn && !sqlite3_get_autocommit(db)) {
        /* nothing of ours to keep: a read; COMMIT ends it like autocommit
         * would have, ROLLBACK when even that fails */
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
    }

    return rc;
}


int
hrx_bulk_count_hits(sqlite3 *db, int64_t tenant_id, int64_t saved_search_id,
    int64_t *hits, hrx_bulk_error_t *err)
{
    int             rc;
    hrx_bulk_def_t  def;
    hrx_bulk_ctx_t  bc;

    *hits = 0;
    err->code = NULL;
    err->message[0] = '\0';

    memset(&def, 0, sizeof(def));
    def.tenant_id = tenant_id;
    def.saved_search_id = saved_search_id;

    /* the cap counts every candidate the condition matches, whoever
     * saves: read as the system (everything reached) */
    memset(&bc, 0, sizeof(bc));
    bc.db = db;
    bc.def = &def;
    bc.err = err;
    bc.admin = 1;
    bc.operate_other = 1;

    rc = hrx_bulk_load_search(&bc, saved_search_id);

    if (rc == HRX_BULK_OK) {
        rc = hrx_bulk_count(&bc, hits);
    }

    hrx_bulk_ctx_free(&bc);

    return rc;
}


static void
hrx_bulk_ctx_free(hrx_bulk_ctx_t *bc)
{
    int  i;

    hrx_search_free(bc->search);

    for (i = 0; i < HRX_BULK_PARTS; i++) {
        hrx_merge_free(bc->tpl[i]);
    }

    free(bc->company);
    free(bc->zone);
}


/* a whole-action error: HRX_BULK_ACTION_ERROR */
static int
hrx_bulk_fail(hrx_bulk_error_t *err, const char *code, const char *fmt, ...)
{
    char     text[1024];
    va_list  args;

    va_start(args, fmt);
    vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);

    err->code = code;
    hrx_copy_utf8(err->message, sizeof(err->message), text);

    return HRX_BULK_ACTION_ERROR;
}


static int
hrx_bulk_db_fail(hrx_bulk_ctx_t *bc, int rc, const char *what)
{
    char  text[1024];

    snprintf(text, sizeof(text), "%s: %s (%d)", what,
             rc == SQLITE_MISUSE ? "parameters out of order"
                                 : rc == SQLITE_NOMEM ? "out of memory"
                                 : sqlite3_errmsg(bc->db), rc);

    bc->err->code = "internal_error";
    hrx_copy_utf8(bc->err->message, sizeof(bc->err->message), text);

    return HRX_BULK_DB_ERROR;
}


static void
hrx_bulk_bind(sqlite3_stmt *st, const char *name, int64_t v)
{
    int  i;

    i = sqlite3_bind_parameter_index(st, name);

    if (i > 0) {
        sqlite3_bind_int64(st, i, v);
    }
}


/* prepares sql and binds every named parameter it uses */
static int
hrx_bulk_prepare(hrx_bulk_ctx_t *bc, const char *sql, int64_t id,
    sqlite3_stmt **st)
{
    int  rc;

    rc = hrx_prepare(bc->db, sql, 0, st);

    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return rc;
    }

    hrx_bulk_bind(*st, ":tenant", bc->def->tenant_id);
    hrx_bulk_bind(*st, ":actor", bc->actor);
    hrx_bulk_bind(*st, ":admin", bc->admin);
    hrx_bulk_bind(*st, ":operate_other", bc->operate_other);
    hrx_bulk_bind(*st, ":now", bc->now);
    hrx_bulk_bind(*st, ":id", id);

    return SQLITE_OK;
}


/* a malloc()ed copy of a text column, "" for NULL; NULL when out of
 * memory */
static char *
hrx_bulk_column_dup(sqlite3_stmt *st, int col)
{
    int          n;
    char        *p;
    const char  *s;

    s = (const char *) sqlite3_column_text(st, col);
    n = sqlite3_column_bytes(st, col);

    p = malloc(n + 1);
    if (p == NULL) {
        return NULL;
    }

    if (n > 0) {
        memcpy(p, s, n);
    }

    p[n] = '\0';

    return p;
}


/*
 * editor_disabled, or who the editor is for the reach SQL.  A user of
 * another tenant is "gone" from this one unless a platform admin (who
 * may act anywhere, with every permission: apply_reach_load()).
 */
static int
hrx_bulk_editor(hrx_bulk_ctx_t *bc)
{
    int            rc, active, platform;
    int64_t        tenant;
    unsigned       perms;
    const char    *p;
    sqlite3_stmt  *st;

    static const char  sql[] =
        "SELECT u.tenant_id, u.status = 'active', u.platform_admin,"
        " r.permissions FROM users u LEFT JOIN roles r ON r.id = u.role_id"
        " WHERE u.id = :id";

    rc = hrx_bulk_prepare(bc, sql, bc->def->editor_id, &st);
    if (rc != SQLITE_OK) {
        return hrx_bulk_db_fail(bc, rc, "editor");
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return hrx_bulk_fail(bc->err, "editor_disabled",
                             "the last editor (user %lld) no longer exists",
                             (long long) bc->def->editor_id);
    }

    if (rc != SQLITE_ROW) {
        rc = hrx_bulk_db_fail(bc, rc, "editor");
        sqlite3_finalize(st);
        return rc;
    }

    tenant = sqlite3_column_int64(st, 0);
    active = sqlite3_column_int(st, 1);
    platform = sqlite3_column_int(st, 2);
    p = (const char *) sqlite3_column_text(st, 3);
    perms = p ? hrx_perm_bits(p, sqlite3_column_bytes(st, 3)) : 0;

    sqlite3_finalize(st);

    if (!active) {
        return hrx_bulk_fail(bc->err, "editor_disabled",
                             "the last editor (user %lld) is disabled",
                             (long long) bc->def->editor_id);
    }

    if (platform) {
        perms = HRX_PERM_ALL;

    } else if (tenant != bc->def->tenant_id) {
        return hrx_bulk_fail(bc->err, "editor_disabled",
                             "the last editor (user %lld) is not a user of "
                             "this tenant", (long long) bc->def->editor_id);
    }

    bc->actor = bc->def->editor_id;
    bc->admin = (perms & HRX_PERM_USERS_ADMIN) != 0;
    bc->operate_other = (perms & HRX_PERM_CANDIDATES_OPERATE_OTHER) != 0;

    return HRX_BULK_OK;
}


/* company.name and the zone of next_interview_at */
static int
hrx_bulk_tenant(hrx_bulk_ctx_t *bc)
{
    int            rc;
    sqlite3_stmt  *st;

    static const char  sql[] =
        "SELECT name, time_zone FROM tenants WHERE id = :tenant";

    rc = hrx_bulk_prepare(bc, sql, 0, &st);
    if (rc != SQLITE_OK) {
        return hrx_bulk_db_fail(bc, rc, "tenant");
    }

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE) {
            /* the callers took the id from a row that references it */
            bc->err->code = "internal_error";
            snprintf(bc->err->message, sizeof(bc->err->message),
                     "no tenant %lld", (long long) bc->def->tenant_id);
            rc = HRX_BULK_DB_ERROR;

        } else {
            rc = hrx_bulk_db_fail(bc, rc, "tenant");
        }

        sqlite3_finalize(st);
        return rc;
    }

    bc->company = hrx_bulk_column_dup(st, 0);
    bc->zone = hrx_bulk_column_dup(st, 1);

    sqlite3_finalize(st);

    if (bc->company == NULL || bc->zone == NULL) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "tenant");
    }

    return HRX_BULK_OK;
}


/*
 * search_unavailable: the search is not in the tenant, its group is not
 * reached, or its condition no longer compiles (saved before a rule
 * changed, or edited by hand): nothing sensible could be sent then.
 */
static int
hrx_bulk_load_search(hrx_bulk_ctx_t *bc, int64_t id)
{
    int                  rc, reached;
    char                 reach[HRX_BULK_EXPR_MAX], sql[HRX_BULK_SQL_MAX];
    json_t              *cond;
    const char          *text;
    sqlite3_stmt        *st;
    json_error_t         jerr;
    hrx_search_error_t   serr;

    if (hrx_sql_reach(reach, sizeof(reach), "search_group",
                      "s.search_group_id") != 0)
    {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "search reach");
    }

    snprintf(sql, sizeof(sql), "SELECT s.condition, %s FROM saved_searches s"
             " WHERE s.id = :id AND s.tenant_id = :tenant", reach);

    rc = hrx_bulk_prepare(bc, sql, id, &st);
    if (rc != SQLITE_OK) {
        return hrx_bulk_db_fail(bc, rc, "saved search");
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return hrx_bulk_fail(bc->err, "search_unavailable",
                             "saved search %lld no longer exists",
                             (long long) id);
    }

    if (rc != SQLITE_ROW) {
        rc = hrx_bulk_db_fail(bc, rc, "saved search");
        sqlite3_finalize(st);
        return rc;
    }

    reached = sqlite3_column_int(st, 1);
    text = (const char *) sqlite3_column_text(st, 0);
    cond = text ? json_loadb(text, sqlite3_column_bytes(st, 0), 0, &jerr)
                : NULL;

    sqlite3_finalize(st);

    if (!reached) {
        json_decref(cond);
        return hrx_bulk_fail(bc->err, "search_unavailable",
                             "saved search %lld is outside the last "
                             "editor's master groups", (long long) id);
    }

    if (cond == NULL) {
        return hrx_bulk_fail(bc->err, "search_unavailable",
                             "the condition of saved search %lld is not "
                             "JSON", (long long) id);
    }

    rc = hrx_search_compile(cond, &bc->search, &serr);
    json_decref(cond);

    if (rc == HRX_SEARCH_NOMEM) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "saved search");
    }

    if (rc != HRX_SEARCH_OK) {
        return hrx_bulk_fail(bc->err, "search_unavailable",
                             "the condition of saved search %lld no longer "
                             "compiles: %s", (long long) id, serr.message);
    }

    return HRX_BULK_OK;
}


/*
 * template_unavailable: not in the tenant, not reached, or a part that no
 * longer parses (the preview answers such a template 409: it cannot be
 * rendered for anyone, so it fails the action, not each candidate).
 */
static int
hrx_bulk_template(hrx_bulk_ctx_t *bc)
{
    int                 rc, i, reached;
    char                reach[HRX_BULK_EXPR_MAX], sql[HRX_BULK_SQL_MAX];
    const char         *text;
    sqlite3_stmt       *st;
    hrx_merge_error_t   merr;

    static const char *const  parts[HRX_BULK_PARTS] = {
        "subject", "body_text", "body_html"
    };

    if (hrx_sql_reach(reach, sizeof(reach), "template", "t.id") != 0) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "template reach");
    }

    snprintf(sql, sizeof(sql), "SELECT t.subject, t.body_text, t.body_html,"
             " %s FROM email_templates t"
             " WHERE t.id = :id AND t.tenant_id = :tenant", reach);

    rc = hrx_bulk_prepare(bc, sql, bc->def->template_id, &st);
    if (rc != SQLITE_OK) {
        return hrx_bulk_db_fail(bc, rc, "template");
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return hrx_bulk_fail(bc->err, "template_unavailable",
                             "template %lld no longer exists",
                             (long long) bc->def->template_id);
    }

    if (rc != SQLITE_ROW) {
        rc = hrx_bulk_db_fail(bc, rc, "template");
        sqlite3_finalize(st);
        return rc;
    }

    reached = sqlite3_column_int(st, HRX_BULK_PARTS);

    if (!reached) {
        sqlite3_finalize(st);
        return hrx_bulk_fail(bc->err, "template_unavailable",
                             "template %lld is outside the last editor's "
                             "master groups",
                             (long long) bc->def->template_id);
    }

    rc = HRX_BULK_OK;

    for (i = 0; i < HRX_BULK_PARTS; i++) {
        text = (const char *) sqlite3_column_text(st, i);

        if (text == NULL) {
            if (i == HRX_BULK_HTML) {
                continue;                   /* no HTML part */
            }

            text = "";                      /* NOT NULL columns */
        }

        if (hrx_merge_parse(text, sqlite3_column_bytes(st, i), &bc->tpl[i],
                            &merr)
            == 0)
        {
            continue;
        }

        if (strcmp(merr.code, "internal_error") == 0) {
            rc = hrx_bulk_db_fail(bc, SQLITE_NOMEM, "template");

        } else {
            rc = hrx_bulk_fail(bc->err, "template_unavailable",
                               "the %s of template %lld no longer parses: "
                               "%s", parts[i],
                               (long long) bc->def->template_id,
                               merr.message);
        }

        break;
    }

    sqlite3_finalize(st);

    return rc;
}


/* one row of int columns for :id: 1, 0 (no row), or a DB error (< 0) */
static int
hrx_bulk_row(hrx_bulk_ctx_t *bc, const char *sql, int64_t id, int *cols,
    int n)
{
    int            rc, i;
    sqlite3_stmt  *st;

    rc = hrx_bulk_prepare(bc, sql, id, &st);
    if (rc != SQLITE_OK) {
        return -rc;
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        for (i = 0; i < n; i++) {
            cols[i] = sqlite3_column_int(st, i);
        }

        rc = 1;

    } else if (rc == SQLITE_DONE) {
        rc = 0;

    } else {
        rc = -rc;
    }

    sqlite3_finalize(st);

    return rc;
}


/* form_unavailable */
static int
hrx_bulk_form(hrx_bulk_ctx_t *bc)
{
    int   rc, reached = 0;
    char  reach[HRX_BULK_EXPR_MAX], sql[HRX_BULK_SQL_MAX];

    if (bc->def->form_id == 0) {
        return HRX_BULK_OK;
    }

    if (hrx_sql_reach(reach, sizeof(reach), "form", "f.id") != 0) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "form reach");
    }

    snprintf(sql, sizeof(sql), "SELECT %s FROM forms f"
             " WHERE f.id = :id AND f.tenant_id = :tenant", reach);

    rc = hrx_bulk_row(bc, sql, bc->def->form_id, &reached, 1);

    if (rc < 0) {
        return hrx_bulk_db_fail(bc, -rc, "form");
    }

    if (rc == 0) {
        return hrx_bulk_fail(bc->err, "form_unavailable",
                             "form %lld no longer exists",
                             (long long) bc->def->form_id);
    }

    if (!reached) {
        return hrx_bulk_fail(bc->err, "form_unavailable",
                             "form %lld is outside the last editor's master "
                             "groups", (long long) bc->def->form_id);
    }

    return HRX_BULK_OK;
}


/*
 * event_unavailable, event_unpublished, event_full.  An event is reached
 * through its event group.  A date "has room" when it starts after now
 * and registered < capacity; for a group only its published events
 * count, since an invitation to the group shows only those.
 */
static int
hrx_bulk_event(hrx_bulk_ctx_t *bc)
{
    int                    rc, cols[3] = { 0, 0, 0 };
    char                   reach[HRX_BULK_EXPR_MAX], sql[HRX_BULK_SQL_MAX];
    const hrx_bulk_def_t  *def;

    def = bc->def;

    /* a message never carries an event link, whatever else is set */
    if (def->kind != HRX_BULK_EVENT_INVITATION) {
        return HRX_BULK_OK;
    }

    if (def->event_id > 0) {
        if (hrx_sql_reach(reach, sizeof(reach), "event_group",
                          "e.event_group_id") != 0)
        {
            return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "event reach");
        }

        snprintf(sql, sizeof(sql), "SELECT %s, e.published,"
                 " EXISTS (SELECT 1 FROM event_dates d"
                 "  WHERE d.event_id = e.id AND d.starts_at > :now"
                 "  AND d.registered < d.capacity)"
                 " FROM events e WHERE e.id = :id AND e.tenant_id = :tenant",
                 reach);

        rc = hrx_bulk_row(bc, sql, def->event_id, cols, 3);

        if (rc < 0) {
            return hrx_bulk_db_fail(bc, -rc, "event");
        }

        if (rc == 0) {
            return hrx_bulk_fail(bc->err, "event_unavailable",
                                 "event %lld no longer exists",
                                 (long long) def->event_id);
        }

        if (!cols[0]) {
            return hrx_bulk_fail(bc->err, "event_unavailable",
                                 "the event group of event %lld is outside "
                                 "the last editor's master groups",
                                 (long long) def->event_id);
        }

        if (!cols[1]) {
            return hrx_bulk_fail(bc->err, "event_unpublished",
                                 "event %lld is not published",
                                 (long long) def->event_id);
        }

        if (!cols[2]) {
            return hrx_bulk_fail(bc->err, "event_full",
                                 "event %lld has no date after now with a "
                                 "free seat", (long long) def->event_id);
        }

        bc->event_object = def->event_id;

        return HRX_BULK_OK;
    }

    if (def->event_group_id <= 0) {
        return hrx_bulk_fail(bc->err, "event_unavailable",
                             "the invitation names no event");
    }

    if (hrx_sql_reach(reach, sizeof(reach), "event_group", "g.id") != 0) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "event group reach");
    }

    snprintf(sql, sizeof(sql), "SELECT %s,"
             " EXISTS (SELECT 1 FROM events e WHERE e.event_group_id = g.id"
             "  AND e.tenant_id = g.tenant_id AND e.published),"
             " EXISTS (SELECT 1 FROM events e"
             "  JOIN event_dates d ON d.event_id = e.id"
             "  WHERE e.event_group_id = g.id AND e.tenant_id = g.tenant_id"
             "  AND e.published AND d.starts_at > :now"
             "  AND d.registered < d.capacity)"
             " FROM event_groups g WHERE g.id = :id AND g.tenant_id = :tenant",
             reach);

    rc = hrx_bulk_row(bc, sql, def->event_group_id, cols, 3);

    if (rc < 0) {
        return hrx_bulk_db_fail(bc, -rc, "event group");
    }

    if (rc == 0) {
        return hrx_bulk_fail(bc->err, "event_unavailable",
                             "event group %lld no longer exists",
                             (long long) def->event_group_id);
    }

    if (!cols[0]) {
        return hrx_bulk_fail(bc->err, "event_unavailable",
                             "event group %lld is outside the last editor's "
                             "master groups",
                             (long long) def->event_group_id);
    }

    if (!cols[1]) {
        return hrx_bulk_fail(bc->err, "event_unpublished",
                             "event group %lld has no published event",
                             (long long) def->event_group_id);
    }

    if (!cols[2]) {
        return hrx_bulk_fail(bc->err, "event_full",
                             "no published event of event group %lld has a "
                             "date after now with a free seat",
                             (long long) def->event_group_id);
    }

    bc->event_object = def->event_group_id;

    return HRX_BULK_OK;
}


/*
 * Prepares a statement that holds the search fragment, binds the
 * fragment's values (its "?" must be 1..n: everything else is named and
 * comes after it) and the named parameters.
 */
static int
hrx_bulk_prepare_search(hrx_bulk_ctx_t *bc, const char *sql,
    sqlite3_stmt **st)
{
    int  rc;

    rc = hrx_bulk_prepare(bc, sql, 0, st);
    if (rc != SQLITE_OK) {
        return rc;
    }

    if (sqlite3_bind_parameter_index(*st, ":tenant")
        <= hrx_search_nbinds(bc->search))
    {
        sqlite3_finalize(*st);
        *st = NULL;
        return SQLITE_MISUSE;
    }

    rc = hrx_search_bind(bc->search, *st, 1);

    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
    }

    return rc;
}


/* the statement text around the fragment, malloc()ed; NULL if OOM */
static char *
hrx_bulk_search_sql(const hrx_bulk_ctx_t *bc, const char *fmt,
    const char *operate)
{
    int          n;
    char        *sql;
    size_t       size;
    const char  *frag;

    frag = hrx_search_sql(bc->search);
    size = strlen(fmt) + strlen(frag) + (operate ? strlen(operate) : 0) + 1;

    sql = malloc(size);
    if (sql == NULL) {
        return NULL;
    }

    n = operate ? snprintf(sql, size, fmt, frag, operate)
                : snprintf(sql, size, fmt, frag);

    if (n < 0 || (size_t) n >= size) {
        free(sql);
        return NULL;
    }

    return sql;
}


/* every candidate of the tenant the condition matches, operable or not */
static int
hrx_bulk_count(hrx_bulk_ctx_t *bc, int64_t *hits)
{
    int            rc;
    char          *sql;
    sqlite3_stmt  *st;

    sql = hrx_bulk_search_sql(bc, "SELECT count(*) FROM candidates c"
                              " WHERE (%s) AND c.tenant_id = :tenant", NULL);
    if (sql == NULL) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "count");
    }

    rc = hrx_bulk_prepare_search(bc, sql, &st);
    free(sql);

    if (rc != SQLITE_OK) {
        return hrx_bulk_db_fail(bc, rc, "count");
    }

    rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        rc = hrx_bulk_db_fail(bc, rc, "count");
        sqlite3_finalize(st);
        return rc;
    }

    *hits = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);

    return HRX_BULK_OK;
}


/*
 * The hits with everything a message to each needs, by id.  The values
 * are those of NGX_HTTP_HRX_SQL_MERGE_DATA (the preview): the job
 * opening, agent and owner of the candidate's own columns, the first
 * interview after now (ties by id).  The fragment sits in the CTE so
 * that it is the first thing SQLite reads.
 */
static const char  hrx_bulk_hits_sql[] =
    "WITH hit(id) AS (SELECT c.id FROM candidates c"
    " WHERE (%s) AND c.tenant_id = :tenant)"
    " SELECT c.id, c.family_name, c.given_name, c.family_name_kana,"
    " c.given_name_kana, c.email, c.school,"
    " CAST(c.graduation_year AS TEXT), c.status, c.route = 'agent',"
    " c.line_user_id, %s,"
    " a.id IS NOT NULL, a.name, a.email, a.status = 'active',"
    " a.route_to_agent, j.title, o.name, ni.starts_at, ni.location"
    " FROM hit JOIN candidates c ON c.id = hit.id"
    " LEFT JOIN agents a ON a.id = c.agent_id AND a.tenant_id = c.tenant_id"
    " LEFT JOIN job_openings j"
    "  ON j.id = c.job_opening_id AND j.tenant_id = c.tenant_id"
    " LEFT JOIN users o ON o.id = c.owner_id AND o.tenant_id = c.tenant_id"
    " LEFT JOIN interviews ni ON ni.id = (SELECT i.id FROM interviews i"
    "  WHERE i.candidate_id = c.id AND i.starts_at > :now"
    "  ORDER BY i.starts_at, i.id LIMIT 1)"
    " ORDER BY c.id";


static const char *
hrx_bulk_text(sqlite3_stmt *st, int col, size_t *len)
{
    const char  *s;

    s = (const char *) sqlite3_column_text(st, col);
    *len = s ? (size_t) sqlite3_column_bytes(st, col) : 0;

    return s;
}


/* "family given", the family name alone without a given name */
static char *
hrx_bulk_full_name(const char *family, size_t flen, const char *given,
    size_t glen, size_t *len)
{
    char  *p;

    p = malloc(flen + 1 + glen + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, family ? family : "", flen);
    *len = flen;

    if (glen > 0) {
        p[(*len)++] = ' ';
        memcpy(p + *len, given, glen);
        *len += glen;
    }

    p[*len] = '\0';

    return p;
}


/*
 * Renders the parts for one candidate: 0 and the texts (NULL for a part
 * the template lacks), reason set when it cannot be sent; -1 out of
 * memory.  The first missing variable over subject, text, HTML is the
 * reason, as the preview lists them.
 */
static int
hrx_bulk_render(hrx_bulk_cand_t *cd, char **text, size_t *len, char *reason,
    size_t size)
{
    int  i, missing[HRX_MERGE_COUNT], nmissing;

    reason[0] = '\0';

    for (i = 0; i < HRX_BULK_PARTS; i++) {
        if (cd->bc->tpl[i] == NULL) {
            continue;
        }

        if (hrx_merge_render(cd->bc->tpl[i], hrx_bulk_get, cd,
                             i == HRX_BULK_HTML, &text[i], &len[i], missing,
                             &nmissing)
            != 0)
        {
            return -1;
        }

        if (cd->link_failed) {
            return 0;
        }

        if (nmissing > 0 && reason[0] == '\0') {
            snprintf(reason, size, "missing_variable:%s",
                     hrx_merge_name(missing[0]));
        }
    }

    return 0;
}


/* the rules on the rendered texts (BA-12); NULL when they pass */
static const char *
hrx_bulk_check_texts(char **text, size_t *len, char *detail, size_t size)
{
    size_t  n;

    n = hrx_bulk_chars(text[HRX_BULK_SUBJECT], len[HRX_BULK_SUBJECT]);

    if (hrx_bulk_blank(text[HRX_BULK_SUBJECT], len[HRX_BULK_SUBJECT])) {
        return "subject_empty";
    }

    if (n > HRX_BULK_SUBJECT_MAX) {
        snprintf(detail, size, "%zu characters", n);
        return "subject_too_long";
    }

    n = hrx_bulk_chars(text[HRX_BULK_TEXT], len[HRX_BULK_TEXT]);

    if (hrx_bulk_blank(text[HRX_BULK_TEXT], len[HRX_BULK_TEXT])) {
        return "body_empty";
    }

    if (n > HRX_BULK_BODY_MAX) {
        snprintf(detail, size, "%zu characters", n);
        return "body_too_long";
    }

    return NULL;
}


/*
 * One hit candidate, its row current in st: decides its recipient or
 * reason, renders, visits.  HRX_BULK_OK, HRX_BULK_ABORTED, or
 * HRX_BULK_DB_ERROR (out of memory).
 */
static int
hrx_bulk_visit_one(hrx_bulk_ctx_t *bc, sqlite3_stmt *st, int render,
    hrx_bulk_visit_pt visit, void *visit_ctx, hrx_bulk_sum_t *sum)
{
    int                    i, rc, n;
    char                  *name, *text[HRX_BULK_PARTS];
    char                   reason[HRX_BULK_REASON_MAX], detail[256];
    char                   when[32];
    size_t                 len[HRX_BULK_PARTS], nlen, elen;
    int64_t                at;
    const char            *email, *line;
    hrx_bulk_cand_t        cd;
    hrx_bulk_recipient_t   r;

    memset(&r, 0, sizeof(r));
    memset(text, 0, sizeof(text));
    memset(len, 0, sizeof(len));
    memset(&cd, 0, sizeof(cd));

    cd.bc = bc;
    cd.candidate_id = sqlite3_column_int64(st, HRX_BC_ID);

#define HRX_BULK_VALUE(id, col)                                               \
    cd.value[id] = hrx_bulk_text(st, col, &cd.len[id])

    HRX_BULK_VALUE(HRX_MERGE_CANDIDATE_FAMILY_NAME, HRX_BC_FAMILY_NAME);
    HRX_BULK_VALUE(HRX_MERGE_CANDIDATE_GIVEN_NAME, HRX_BC_GIVEN_NAME);
    HRX_BULK_VALUE(HRX_MERGE_CANDIDATE_FAMILY_NAME_KANA,
                   HRX_BC_FAMILY_NAME_KANA);
    HRX_BULK_VALUE(HRX_MERGE_CANDIDATE_GIVEN_NAME_KANA,
                   HRX_BC_GIVEN_NAME_KANA);
    HRX_BULK_VALUE(HRX_MERGE_CANDIDATE_EMAIL, HRX_BC_EMAIL);
    HRX_BULK_VALUE(HRX_MERGE_CANDIDATE_SCHOOL, HRX_BC_SCHOOL);
    HRX_BULK_VALUE(HRX_MERGE_CANDIDATE_GRADUATION_YEAR,
                   HRX_BC_GRADUATION_YEAR);
    HRX_BULK_VALUE(HRX_MERGE_CANDIDATE_STATUS, HRX_BC_STATUS);
    HRX_BULK_VALUE(HRX_MERGE_JOB_TITLE, HRX_BC_JOB_TITLE);
    HRX_BULK_VALUE(HRX_MERGE_AGENT_NAME, HRX_BC_AGENT_NAME);
    HRX_BULK_VALUE(HRX_MERGE_OWNER_NAME, HRX_BC_OWNER_NAME);
    HRX_BULK_VALUE(HRX_MERGE_NEXT_INTERVIEW_LOCATION,
                   HRX_BC_INTERVIEW_LOCATION);

#undef HRX_BULK_VALUE

    cd.value[HRX_MERGE_COMPANY_NAME] = bc->company;
    cd.len[HRX_MERGE_COMPANY_NAME] = strlen(bc->company);

    name = hrx_bulk_full_name(cd.value[HRX_MERGE_CANDIDATE_FAMILY_NAME],
                              cd.len[HRX_MERGE_CANDIDATE_FAMILY_NAME],
                              cd.value[HRX_MERGE_CANDIDATE_GIVEN_NAME],
                              cd.len[HRX_MERGE_CANDIDATE_GIVEN_NAME], &nlen);
    if (name == NULL) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "candidate");
    }

    cd.value[HRX_MERGE_CANDIDATE_FULL_NAME] = name;
    cd.len[HRX_MERGE_CANDIDATE_FULL_NAME] = nlen;

    /* in the tenant's zone; no data rather than a time in the wrong one */
    if (sqlite3_column_type(st, HRX_BC_INTERVIEW_AT) != SQLITE_NULL) {
        at = sqlite3_column_int64(st, HRX_BC_INTERVIEW_AT);
        n = hrx_tz_format(bc->zone, at, when, sizeof(when));

        if (n > 0) {
            cd.value[HRX_MERGE_NEXT_INTERVIEW_AT] = when;
            cd.len[HRX_MERGE_NEXT_INTERVIEW_AT] = n;
        }
    }

    r.candidate_id = cd.candidate_id;
    r.candidate_name = name;
    reason[0] = '\0';
    detail[0] = '\0';

    /* BA-12, in the order of hrx_bulk.h: the first rule that fails */
    if (!sqlite3_column_int(st, HRX_BC_OPERABLE)) {
        r.reason = "not_operable";
        goto visit;
    }

    if (sqlite3_column_int(st, HRX_BC_ROUTE_AGENT)) {
        if (!sqlite3_column_int(st, HRX_BC_AGENT_FOUND)
            || !sqlite3_column_int(st, HRX_BC_AGENT_ACTIVE))
        {
            /* an agent named by candidates cannot be deleted; a missing
             * one can no more be routed through than a disabled one */
            r.reason = "agent_disabled";

            if (cd.value[HRX_MERGE_AGENT_NAME]) {
                hrx_copy_utf8(detail, sizeof(detail),
                              cd.value[HRX_MERGE_AGENT_NAME]);
                r.detail = detail;
            }

            goto visit;
        }

        r.to_agent = sqlite3_column_int(st, HRX_BC_AGENT_TAKES_MAIL) != 0;
    }

    cd.to_agent = r.to_agent;

    if (r.to_agent) {
        email = hrx_bulk_text(st, HRX_BC_AGENT_EMAIL, &elen);
        r.to_name = cd.value[HRX_MERGE_AGENT_NAME];

    } else {
        email = cd.value[HRX_MERGE_CANDIDATE_EMAIL];
        elen = cd.len[HRX_MERGE_CANDIDATE_EMAIL];
        r.to_name = name;
    }

    if (email == NULL || hrx_bulk_blank(email, elen)) {
        r.to_name = NULL;
        r.reason = "no_email";
        goto visit;
    }

    r.to_email = email;

    /* rendered even without render: missing data is only known so */
    if (hrx_bulk_render(&cd, text, len, reason, sizeof(reason)) != 0) {
        rc = hrx_bulk_db_fail(bc, SQLITE_NOMEM, "render");
        goto done;
    }

    if (cd.link_failed) {
        snprintf(bc->err->message, sizeof(bc->err->message),
                 "the link function failed for candidate %lld",
                 (long long) cd.candidate_id);
        rc = HRX_BULK_ABORTED;
        goto done;
    }

    if (reason[0] != '\0') {
        r.reason = reason;
        goto visit;
    }

    r.reason = hrx_bulk_check_texts(text, len, detail, sizeof(detail));

    if (r.reason != NULL) {
        r.detail = detail[0] ? detail : NULL;
        goto visit;
    }

    /* LN-8: never LINE to an agent; only to a linked candidate */
    line = (const char *) sqlite3_column_text(st, HRX_BC_LINE_USER_ID);

    if (bc->def->also_line && !r.to_agent && line && line[0]) {
        r.line_user_id = line;
    }

    if (render) {
        r.subject = text[HRX_BULK_SUBJECT];
        r.subject_len = len[HRX_BULK_SUBJECT];
        r.body_text = text[HRX_BULK_TEXT];
        r.body_text_len = len[HRX_BULK_TEXT];
        r.body_html = text[HRX_BULK_HTML];
        r.body_html_len = len[HRX_BULK_HTML];
    }

visit:

    if (r.reason) {
        sum->failed++;
        r.line_user_id = NULL;

    } else {
        sum->deliverable++;

        if (r.line_user_id) {
            sum->line++;
        }
    }

    rc = HRX_BULK_OK;

    if (visit != NULL && visit(visit_ctx, &r) != 0) {
        snprintf(bc->err->message, sizeof(bc->err->message),
                 "stopped by the caller at candidate %lld",
                 (long long) cd.candidate_id);
        rc = HRX_BULK_ABORTED;
    }

done:

    for (i = 0; i < HRX_BULK_PARTS; i++) {
        free(text[i]);
    }

    free(name);

    return rc;
}


static int
hrx_bulk_visit_all(hrx_bulk_ctx_t *bc, int render, hrx_bulk_visit_pt visit,
    void *visit_ctx, hrx_bulk_sum_t *sum)
{
    int            rc;
    char          *sql, operate[HRX_BULK_EXPR_MAX];
    sqlite3_stmt  *st;

    if (hrx_sql_operate(operate, sizeof(operate), "c") != 0) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "operate");
    }

    sql = hrx_bulk_search_sql(bc, hrx_bulk_hits_sql, operate);
    if (sql == NULL) {
        return hrx_bulk_db_fail(bc, SQLITE_NOMEM, "hits");
    }

    rc = hrx_bulk_prepare_search(bc, sql, &st);
    free(sql);

    if (rc != SQLITE_OK) {
        return hrx_bulk_db_fail(bc, rc, "hits");
    }

    for ( ;; ) {
        rc = sqlite3_step(st);

        if (rc == SQLITE_DONE) {
            rc = HRX_BULK_OK;
            break;
        }

        if (rc != SQLITE_ROW) {
            rc = hrx_bulk_db_fail(bc, rc, "hits");
            break;
        }

        rc = hrx_bulk_visit_one(bc, st, render, visit, visit_ctx, sum);

        if (rc != HRX_BULK_OK) {
            break;
        }
    }

    sqlite3_finalize(st);

    return rc;
}


/*
 * The merge callback: the candidate's values, and the links asked of the
 * caller once per candidate.  A message has no event link and an action
 * without a form no form link: both are then missing data, which the
 * template's author can cover with a fallback.
 */
static int
hrx_bulk_get(void *data, int id, const char **value, size_t *len)
{
    int               k, rc;
    int64_t           object;
    hrx_bulk_cand_t  *cd = data;
    hrx_bulk_ctx_t   *bc;

    bc = cd->bc;

    switch (id) {

    case HRX_MERGE_FORM_URL:
        k = HRX_BULK_LINK_FORM;
        object = bc->def->form_id;
        break;

    case HRX_MERGE_EVENT_URL:
        k = HRX_BULK_LINK_EVENT;
        object = bc->def->kind == HRX_BULK_EVENT_INVITATION
                 ? bc->event_object : 0;
        break;

    case HRX_MERGE_LINE_FRIEND_URL:
        /* never to an agent (LN-8): the link would let the agent's own
         * LINE account become the candidate's */
        if (cd->to_agent) {
            return 0;
        }
        k = HRX_BULK_LINK_LINE_FRIEND;
        object = -1;                        /* asked with object 0 */
        break;

    default:
        if (id < 0 || id >= HRX_MERGE_COUNT || cd->value[id] == NULL
            || cd->len[id] == 0)
        {
            return 0;
        }

        *value = cd->value[id];
        *len = cd->len[id];

        return 1;
    }

    k--;

    if (cd->link_state[k] == 0) {
        cd->link_state[k] = 2;

        if (bc->link != NULL && object != 0 && !cd->link_failed) {
            cd->url[k][0] = '\0';

            rc = bc->link(bc->link_ctx, k + 1, cd->candidate_id,
                          object < 0 ? 0 : object, cd->url[k],
                          HRX_BULK_URL_MAX);

            cd->url[k][HRX_BULK_URL_MAX - 1] = '\0';

            if (rc == 1 && cd->url[k][0] != '\0') {
                cd->link_state[k] = 1;

            } else if (rc < 0) {
                cd->link_failed = 1;
            }
        }
    }

    if (cd->link_state[k] != 1) {
        return 0;
    }

    *value = cd->url[k];
    *len = strlen(cd->url[k]);

    return 1;
}


/* characters (UTF-8 code points) of valid UTF-8 */
static size_t
hrx_bulk_chars(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        /* every byte that does not continue a sequence starts one */
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


/*
 * Nothing but white space (ASCII, and U+3000, the ideographic space of
 * Japanese text): a subject of "{candidate.school|} " renders as one
 * space, and a message is never sent with a blank (SPEC §0).
 */
static int
hrx_bulk_blank(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        switch (s[i]) {

        case ' ': case '\t': case '\r': case '\n': case '\f': case '\v':
            continue;

        default:
            if (i + 2 < len && (unsigned char) s[i] == 0xe3
                && (unsigned char) s[i + 1] == 0x80
                && (unsigned char) s[i + 2] == 0x80)
            {
                i += 2;
                continue;
            }

            return 0;
        }
    }

    return 1;
}


/* ---- reason texts -------------------------------------------------------- */

typedef struct {
    const char  *code;
    const char  *en;
    const char  *ja;
} hrx_bulk_reason_t;

static const hrx_bulk_reason_t  hrx_bulk_reasons[] = {

    /* whole action (BA-11), and after the fact */
    { "too_many_hits",
      "The saved search hits more than 3000 candidates.",
      "保存済み検索の該当者が3000人を超えています。" },
    { "editor_disabled",
      "The user who last edited the action is disabled or no longer "
      "exists.",
      "最終更新者のユーザーが無効化されているか、存在しません。" },
    { "search_unavailable",
      "The saved search was deleted, no longer works, or is outside the "
      "last editor's master groups.",
      "保存済み検索が削除されたか、使用できないか、最終更新者のマスターグループ"
      "の範囲外です。" },
    { "template_unavailable",
      "The email template was deleted, no longer works, or is outside the "
      "last editor's master groups.",
      "メールテンプレートが削除されたか、使用できないか、最終更新者のマスター"
      "グループの範囲外です。" },
    { "form_unavailable",
      "The custom form was deleted or is outside the last editor's master "
      "groups.",
      "カスタムフォームが削除されたか、最終更新者のマスターグループの"
      "範囲外です。" },
    { "event_unavailable",
      "The event was deleted or is outside the last editor's master "
      "groups.",
      "イベントが削除されたか、最終更新者のマスターグループの範囲外です。" },
    { "event_unpublished",
      "The event is not published.",
      "イベントが公開されていません。" },
    { "event_full",
      "Every date of the event is full or over.",
      "イベントの全日程が満席、または終了しています。" },
    { "no_hits",
      "No candidate matched the saved search.",
      "保存済み検索に該当する候補者がいませんでした。" },
    { "nobody_reached",
      "The message could not be sent to any candidate.",
      "どの候補者にも送信できませんでした。" },

    /* per candidate (BA-12), and from delivery */
    { "no_email",
      "There is no email address to send to.",
      "送信先のメールアドレスがありません。" },
    { "agent_disabled",
      "The candidate's agent is disabled.",
      "候補者のエージェントが無効になっています。" },
    { "not_operable",
      "The last editor may not operate on this candidate's group.",
      "最終更新者にはこの候補者のグループを操作する権限がありません。" },
    { "subject_empty",
      "The subject is empty.",
      "件名が空です。" },
    { "subject_too_long",
      "The subject is longer than 255 characters.",
      "件名が255文字を超えています。" },
    { "body_empty",
      "The body is empty.",
      "本文が空です。" },
    { "body_too_long",
      "The body is longer than 100,000 characters.",
      "本文が100,000文字を超えています。" },
    { "smtp_rejected",
      "The mail server refused the message.",
      "メールサーバーに受信を拒否されました。" },
    { "delivery_failed",
      "The message could not be delivered after several attempts.",
      "再送を繰り返しましたが配信できませんでした。" },
    /* the scheduler could not build the MIME message (bulk_run.c) */
    { "invalid_message",
      "The message could not be built (an address or header that is not "
      "valid).",
      "メッセージを作成できませんでした（アドレスまたはヘッダーが"
      "不正です）。" },

    { NULL, NULL, NULL }
};


const char *
hrx_bulk_reason_text(const char *code, const char *lang, char *buf,
    size_t size)
{
    int                       ja, id;
    char                      text[1024];
    const char               *name, *alias;
    const hrx_bulk_reason_t  *r;

    static const char  missing[] = "missing_variable:";

    if (size == 0) {
        return buf;
    }

    ja = lang != NULL && strcmp(lang, "ja") == 0;

    if (code == NULL) {
        code = "";
    }

    if (strncmp(code, missing, sizeof(missing) - 1) == 0) {
        name = code + sizeof(missing) - 1;
        id = hrx_merge_lookup(name, strlen(name));
        alias = id >= 0 ? hrx_merge_alias(id) : NULL;

        if (ja && alias) {
            snprintf(text, sizeof(text), "差し込み項目 {%s}（{%s}）のデータが"
                     "ありません。", alias, hrx_merge_name(id));

        } else if (ja) {
            snprintf(text, sizeof(text), "差し込み項目 {%s} のデータが"
                     "ありません。", name);

        } else {
            snprintf(text, sizeof(text), "The merge variable {%s} has no "
                     "data for this candidate.", name);
        }

        hrx_copy_utf8(buf, size, text);
        return buf;
    }

    for (r = hrx_bulk_reasons; r->code; r++) {
        if (strcmp(r->code, code) == 0) {
            hrx_copy_utf8(buf, size, ja ? r->ja : r->en);
            return buf;
        }
    }

    if (ja) {
        snprintf(text, sizeof(text), "送信できませんでした（%s）。", code);

    } else {
        snprintf(text, sizeof(text), "Not sent (%s).", code);
    }

    hrx_copy_utf8(buf, size, text);

    return buf;
}
