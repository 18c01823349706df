/*
 * Tests of the bulk-action evaluation (shm/hrx_bulk.c, SPEC BA-5, BA-10
 * ... BA-12) over the real schema: every migration of scheduler/schema.c
 * in an in-memory SQLite, one tenant's recruiting data written with plain
 * SQL (a second tenant for isolation), and hrx_bulk_evaluate() run as the
 * scheduler and the dry run call it.
 *
 * The seed (bulk_seed below), for the default action: editor user 1
 * (candidates.operate_other, no master group), saved search 1 =
 * "graduation_year eq 2027", template 1 = "Hello {氏名}" /
 * "Dear {candidate.family_name} {名|there}".  Its twelve hits, by id:
 *
 *    1  山田 太郎, direct, LINE U1, rich data      deliverable
 *    2  no email                                   no_email
 *    3  agent 1 (takes mail), LINE U3              to the agent, no LINE
 *    4  agent 2 (does not take mail), LINE U4      to the candidate
 *    5  agent 3 (disabled, takes mail)             agent_disabled
 *    6  candidate group 2 (Team B)                 deliverable / not_operable
 *    9  no given name                              "Solo", fallback "there"
 *   10  email ''                                   no_email
 *   11  agent 4 (disabled, does not take mail)     agent_disabled
 *   12  candidate group 1 (Team A)                 deliverable
 *   13  group 2, agent 3, no email                 agent_disabled / not_op.
 *   14  agent 1 (takes mail), no own email         to the agent
 *
 * 7 (graduates 2026) and 8 (tenant 2) are never hit.  User 3 is in master
 * group 1 (Team A) without operate_other; user 7 has users.admin; user 5
 * is a platform admin of tenant 2; user 2 is disabled.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_bulk.h"
#include "hrx_search.h"
#include "schema.h"      /* the real migrations, linked in */

/* 2026-11-01T00:00:00Z and instants around it (unix ms) */
#define NOW        1793491200000
#define PAST       1793404800000      /* a day before */
#define FUTURE     1795132800000      /* 2026-11-20T00:00:00Z */
#define T1         1796101200000      /* 2026-12-01T05:00:00Z */
#define T_LATER    1796432400000      /* 2026-12-05T01:00:00Z */

#define STR(x)   #x
#define XSTR(x)  STR(x)

#define COND_2027                                                             \
    "'{\"field\":\"graduation_year\",\"op\":\"eq\",\"value\":2027}'"

static const char  bulk_seed[] =
    "INSERT INTO tenants (id, slug, name, time_zone, created_at, updated_at)"
    " VALUES (1, 'acme', 'Acme & Co', 'Asia/Tokyo', 0, 0),"
    " (2, 'other', 'Other', 'UTC', 0, 0);"

    "INSERT INTO roles (id, tenant_id, name, permissions, created_at,"
    " updated_at) VALUES"
    " (1, 1, 'recruiter',"
    "  '[\"candidates.operate_other\",\"bulk_actions.manage\"]', 0, 0),"
    " (2, 1, 'grouped', '[\"bulk_actions.manage\"]', 0, 0),"
    " (3, 1, 'admin', '[\"users.admin\",\"bulk_actions.manage\"]', 0, 0),"
    " (4, 2, 'other', '[]', 0, 0);"

    "INSERT INTO users (id, tenant_id, email, name, role_id, platform_admin,"
    " status, created_at, updated_at) VALUES"
    " (1, 1, 'rita@acme.example', 'Rita Recruiter', 1, 0, 'active', 0, 0),"
    " (2, 1, 'dan@acme.example', 'Dan Disabled', 1, 0, 'disabled', 0, 0),"
    " (3, 1, 'gina@acme.example', 'Gina Grouped', 2, 0, 'active', 0, 0),"
    " (4, 1, 'oscar@acme.example', 'Oscar <Owner>', 1, 0, 'active', 0, 0),"
    " (5, 2, 'op@other.example', 'Platform Op', 4, 1, 'active', 0, 0),"
    " (6, 2, 'x@other.example', 'Other User', 4, 0, 'active', 0, 0),"
    " (7, 1, 'ada@acme.example', 'Ada Admin', 3, 0, 'active', 0, 0);"

    "INSERT INTO master_groups (id, tenant_id, name, created_at, updated_at)"
    " VALUES (1, 1, 'Team A', 0, 0), (2, 1, 'Team B', 0, 0);"
    "INSERT INTO user_master_groups VALUES (3, 1);"
    "INSERT INTO candidate_groups (id, tenant_id, name, created_at,"
    " updated_at) VALUES (1, 1, 'Group A', 0, 0), (2, 1, 'Group B', 0, 0);"
    "INSERT INTO search_groups (id, tenant_id, name, created_at, updated_at)"
    " VALUES (1, 1, 'Open', 0, 0), (2, 1, 'Team A only', 0, 0),"
    " (3, 1, 'Team B only', 0, 0), (4, 2, 'Elsewhere', 0, 0);"

    "INSERT INTO saved_searches (id, tenant_id, search_group_id, name,"
    " condition, created_at, updated_at) VALUES"
    " (1, 1, 1, '2027', " COND_2027 ", 0, 0),"
    " (2, 1, 2, '2027 A', " COND_2027 ", 0, 0),"
    " (3, 1, 3, '2027 B', " COND_2027 ", 0, 0),"
    " (4, 2, 4, '2027 other', " COND_2027 ", 0, 0),"
    " (5, 1, 1, 'broken',"
    "  '{\"field\":\"nonsense\",\"op\":\"eq\",\"value\":1}', 0, 0),"
    " (6, 1, 1, 'regex',"
    "  '{\"field\":\"email\",\"op\":\"regex\",\"value\":\"@example\\\\.jp$\"}',"
    "  0, 0),"
    " (7, 1, 1, 'nobody',"
    "  '{\"field\":\"graduation_year\",\"op\":\"eq\",\"value\":1999}', 0, 0),"
    " (8, 1, 1, 'not json', 'not json', 0, 0),"
    " (9, 1, 1, '2030', "
    "  '{\"field\":\"graduation_year\",\"op\":\"eq\",\"value\":2030}', 0, 0);"

    "INSERT INTO email_templates (id, tenant_id, name, subject, body_text,"
    " body_html, created_at, updated_at) VALUES"
    " (1, 1, 'default', 'Hello {氏名}',"
    "  'Dear {candidate.family_name} {名|there}', NULL, 0, 0),"
    " (2, 2, 'elsewhere', 'Hi', 'Body', NULL, 0, 0),"
    " (3, 1, 'team b', 'Hi', 'Body', NULL, 0, 0),"
    " (4, 1, 'broken', 'Hi {nonsense}', 'Body', NULL, 0, 0);"

    "INSERT INTO forms (id, tenant_id, name, questions, created_at,"
    " updated_at) VALUES (1, 1, 'Survey', '[]', 0, 0),"
    " (2, 1, 'Team B survey', '[]', 0, 0), (3, 2, 'Other', '[]', 0, 0);"

    "INSERT INTO event_groups (id, tenant_id, name, created_at, updated_at)"
    " VALUES (11, 1, 'Seminars', 0, 0), (12, 1, 'Team B events', 0, 0),"
    " (13, 1, 'Empty', 0, 0), (14, 1, 'Unpublished only', 0, 0),"
    " (15, 1, 'Full', 0, 0), (16, 2, 'Elsewhere', 0, 0);"
    "INSERT INTO events (id, tenant_id, event_group_id, title, published,"
    " created_at, updated_at) VALUES"
    " (1, 1, 11, 'Open seminar', 1, 0, 0),"
    " (2, 1, 11, 'Draft seminar', 0, 0, 0),"
    " (3, 1, 11, 'Full seminar', 1, 0, 0),"
    " (4, 1, 12, 'Team B seminar', 1, 0, 0),"
    " (5, 1, 14, 'Draft only', 0, 0, 0),"
    " (6, 1, 15, 'Full one', 1, 0, 0),"
    " (7, 1, 15, 'Draft with room', 0, 0, 0),"
    " (8, 2, 16, 'Elsewhere', 1, 0, 0);"
    "INSERT INTO event_dates (event_id, starts_at, capacity, registered)"
    " VALUES (1, " XSTR(PAST) ", 10, 0), (1, " XSTR(FUTURE) ", 10, 9),"
    " (2, " XSTR(FUTURE) ", 10, 0),"
    " (3, " XSTR(FUTURE) ", 5, 5), (3, " XSTR(PAST) ", 5, 0),"
    " (3, " XSTR(NOW) ", 5, 0),"
    " (4, " XSTR(FUTURE) ", 10, 0), (5, " XSTR(FUTURE) ", 10, 0),"
    " (6, " XSTR(FUTURE) ", 2, 2), (7, " XSTR(FUTURE) ", 10, 0),"
    " (8, " XSTR(FUTURE) ", 10, 0);"

    "INSERT INTO master_group_grants VALUES"
    " (1, 'candidate_group', 1), (2, 'candidate_group', 2),"
    " (1, 'search_group', 2), (2, 'search_group', 3),"
    " (2, 'template', 3), (2, 'form', 2), (2, 'event_group', 12);"

    "INSERT INTO agents (id, tenant_id, name, email, status, route_to_agent,"
    " created_at, updated_at) VALUES"
    " (1, 1, 'Agency <One>', 'desk@agency-one.example', 'active', 1, 0, 0),"
    " (2, 1, 'Agency Two', 'desk@agency-two.example', 'active', 0, 0, 0),"
    " (3, 1, 'Closed Agency', 'desk@closed.example', 'disabled', 1, 0, 0),"
    " (4, 1, 'Closed Quiet', 'desk@quiet.example', 'disabled', 0, 0, 0);"
    "INSERT INTO job_openings (id, tenant_id, title, created_at, updated_at)"
    " VALUES (1, 1, 'Engineer & <Designer>', 0, 0);"

    "INSERT INTO candidates (id, tenant_id, family_name, given_name,"
    " family_name_kana, given_name_kana, email, school, graduation_year,"
    " status, candidate_group_id, owner_id, route, agent_id, job_opening_id,"
    " line_user_id, created_at, updated_at) VALUES"
    " (1, 1, '山田', '太郎', 'ヤマダ', 'タロウ', 'taro@example.jp',"
    "  'Tokyo <Univ> & Co', 2027, 'screening', NULL, 4, 'direct', NULL, 1,"
    "  'U1', 0, 0),"
    " (2, 1, 'Nomail', 'Nina', NULL, NULL, NULL, NULL, 2027, 'applied',"
    "  NULL, NULL, 'direct', NULL, NULL, NULL, 0, 0),"
    " (3, 1, 'Agented', 'Alice', NULL, NULL, 'alice@example.com', NULL,"
    "  2027, 'applied', NULL, NULL, 'agent', 1, NULL, 'U3', 0, 0),"
    " (4, 1, 'Quiet', 'Quinn', NULL, NULL, 'quinn@example.com', NULL, 2027,"
    "  'applied', NULL, NULL, 'agent', 2, NULL, 'U4', 0, 0),"
    " (5, 1, 'Closed', 'Carl', NULL, NULL, 'carl@example.com', NULL, 2027,"
    "  'applied', NULL, NULL, 'agent', 3, NULL, NULL, 0, 0),"
    " (6, 1, 'Grouped', 'Bea', NULL, NULL, 'bea@example.com', NULL, 2027,"
    "  'applied', 2, NULL, 'direct', NULL, NULL, NULL, 0, 0),"
    " (7, 1, 'Young', 'Yuki', NULL, NULL, 'yuki@example.com', NULL, 2026,"
    "  'applied', NULL, NULL, 'direct', NULL, NULL, NULL, 0, 0),"
    " (8, 2, 'Elsewhere', 'Eve', NULL, NULL, 'eve@example.com', NULL, 2027,"
    "  'applied', NULL, NULL, 'direct', NULL, NULL, NULL, 0, 0),"
    " (9, 1, 'Solo', NULL, NULL, NULL, 'solo@example.com', NULL, 2027,"
    "  'applied', NULL, NULL, 'direct', NULL, NULL, NULL, 0, 0),"
    " (10, 1, 'Empty', 'Emma', NULL, NULL, '', NULL, 2027, 'applied', NULL,"
    "  NULL, 'direct', NULL, NULL, 'U10', 0, 0),"
    " (11, 1, 'Closed2', 'Cody', NULL, NULL, 'cody@example.com', NULL, 2027,"
    "  'applied', NULL, NULL, 'agent', 4, NULL, NULL, 0, 0),"
    " (12, 1, 'GroupA', 'Gus', NULL, NULL, 'gus@example.com', NULL, 2027,"
    "  'applied', 1, NULL, 'direct', NULL, NULL, NULL, 0, 0),"
    " (13, 1, 'Tangled', 'Tia', NULL, NULL, NULL, NULL, 2027, 'applied', 2,"
    "  NULL, 'agent', 3, NULL, NULL, 0, 0),"
    " (14, 1, 'Agentonly', 'Abe', NULL, NULL, NULL, NULL, 2027, 'applied',"
    "  NULL, NULL, 'agent', 1, NULL, NULL, 0, 0);"

    /* candidate 1: the next interview after now is T1; of the two at T1
     * the lower id; one exactly at now is not "after now" */
    "INSERT INTO interviews (tenant_id, candidate_id, starts_at, location,"
    " created_at, updated_at) VALUES"
    " (1, 1, " XSTR(PAST) ", 'Old room', 0, 0),"
    " (1, 1, " XSTR(NOW) ", 'Now room', 0, 0),"
    " (1, 1, " XSTR(T_LATER) ", 'Later room', 0, 0),"
    " (1, 1, " XSTR(T1) ", 'Room \"A\"', 0, 0),"
    " (1, 1, " XSTR(T1) ", 'Tie room', 0, 0);";


/* ---- fixtures and helpers ------------------------------------------------ */

static void
exec_ok(sqlite3 *db, const char *sql)
{
    char  *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("SQL failed: %s\n%s", msg ? msg : "?", sql);
    }
}


static int
bulk_setup(void **state)
{
    int       i;
    sqlite3  *db;

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(hrx_regexp_register(db), SQLITE_OK);

    for (i = 0; i < store_migration_count; i++) {
        exec_ok(db, store_migrations[i]);
    }

    exec_ok(db, "BEGIN");
    exec_ok(db, bulk_seed);
    exec_ok(db, "COMMIT");

    *state = db;
    return 0;
}


static int
bulk_teardown(void **state)
{
    assert_int_equal(sqlite3_close(*state), SQLITE_OK);
    return 0;
}


/* template 1's parts (html NULL: none) */
static void
template_set(sqlite3 *db, const char *subject, const char *text,
    const char *html)
{
    sqlite3_stmt  *st;

    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE email_templates"
                                        " SET subject = ?1, body_text = ?2,"
                                        " body_html = ?3 WHERE id = 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, subject, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);

    if (html) {
        sqlite3_bind_text(st, 3, html, -1, SQLITE_TRANSIENT);
    }

    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}


/* saved search 1's condition */
static void
search_set(sqlite3 *db, const char *cond)
{
    sqlite3_stmt  *st;

    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE saved_searches"
                                        " SET condition = ?1 WHERE id = 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, cond, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}


static hrx_bulk_def_t
def_message(void)
{
    hrx_bulk_def_t  def;

    memset(&def, 0, sizeof(def));
    def.tenant_id = 1;
    def.editor_id = 1;
    def.kind = HRX_BULK_MESSAGE;
    def.saved_search_id = 1;
    def.template_id = 1;

    return def;
}


/* what visit saw, copied */
typedef struct {
    int64_t   id;
    char     *name;
    char     *reason;
    char     *detail;
    int       to_agent;
    char     *email;
    char     *to_name;
    char     *line;
    char     *subject;
    char     *text;
    char     *html;
    size_t    subject_len;
    size_t    text_len;
    size_t    html_len;
} rec_t;

typedef struct {
    rec_t   *recs;
    size_t   n;
    size_t   cap;
    size_t   stop_at;       /* visit number (1-based) that returns -1 */
} col_t;


static char *
dup_or_null(const char *s)
{
    char  *p;

    if (s == NULL) {
        return NULL;
    }

    p = strdup(s);
    assert_non_null(p);

    return p;
}


static int
collect(void *ctx, const hrx_bulk_recipient_t *r)
{
    col_t  *c = ctx;
    rec_t  *x;

    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->recs = realloc(c->recs, c->cap * sizeof(rec_t));
        assert_non_null(c->recs);
    }

    x = &c->recs[c->n++];
    memset(x, 0, sizeof(*x));

    x->id = r->candidate_id;
    x->name = dup_or_null(r->candidate_name);
    x->reason = dup_or_null(r->reason);
    x->detail = dup_or_null(r->detail);
    x->to_agent = r->to_agent;
    x->email = dup_or_null(r->to_email);
    x->to_name = dup_or_null(r->to_name);
    x->line = dup_or_null(r->line_user_id);
    x->subject = dup_or_null(r->subject);
    x->text = dup_or_null(r->body_text);
    x->html = dup_or_null(r->body_html);
    x->subject_len = r->subject_len;
    x->text_len = r->body_text_len;
    x->html_len = r->body_html_len;

    /* the lengths are the texts' */
    if (r->subject) {
        assert_int_equal(strlen(r->subject), r->subject_len);
        assert_int_equal(strlen(r->body_text), r->body_text_len);
    }

    if (r->body_html) {
        assert_int_equal(strlen(r->body_html), r->body_html_len);
    }

    return (c->stop_at && c->n == c->stop_at) ? -1 : 0;
}


static void
col_free(col_t *c)
{
    size_t  i;

    for (i = 0; i < c->n; i++) {
        free(c->recs[i].name);
        free(c->recs[i].reason);
        free(c->recs[i].detail);
        free(c->recs[i].email);
        free(c->recs[i].to_name);
        free(c->recs[i].line);
        free(c->recs[i].subject);
        free(c->recs[i].text);
        free(c->recs[i].html);
    }

    free(c->recs);
    memset(c, 0, sizeof(*c));
}


static const rec_t *
col_find(const col_t *c, int64_t id)
{
    size_t  i;

    for (i = 0; i < c->n; i++) {
        if (c->recs[i].id == id) {
            return &c->recs[i];
        }
    }

    fail_msg("candidate %lld was not visited", (long long) id);
    return NULL;
}


/* a recorded link call */
typedef struct {
    int      kind;
    int64_t  candidate_id;
    int64_t  object_id;
} link_call_t;

typedef struct {
    link_call_t  calls[64];
    int          n;
    int          answer[4];     /* per kind: 1 a URL, 0 none, -1 failure */
} links_t;


static int
link_fn(void *ctx, int kind, int64_t candidate_id, int64_t object_id,
    char *buf, size_t size)
{
    links_t  *l = ctx;

    assert_true(kind >= HRX_BULK_LINK_FORM
                && kind <= HRX_BULK_LINK_LINE_FRIEND);

    if (l->n < 64) {
        l->calls[l->n].kind = kind;
        l->calls[l->n].candidate_id = candidate_id;
        l->calls[l->n].object_id = object_id;
        l->n++;
    }

    if (l->answer[kind] != 1) {
        return l->answer[kind];
    }

    /* a & to see it escaped in HTML */
    snprintf(buf, size, "https://hrx.example/%c/%lld-%lld?a=1&b=2",
             "?fel"[kind], (long long) candidate_id, (long long) object_id);

    return 1;
}


static void
links_init(links_t *l)
{
    memset(l, 0, sizeof(*l));
    l->answer[HRX_BULK_LINK_FORM] = 1;
    l->answer[HRX_BULK_LINK_EVENT] = 1;
    l->answer[HRX_BULK_LINK_LINE_FRIEND] = 1;
}


static int
links_count(const links_t *l, int kind, int64_t candidate_id)
{
    int  i, n;

    n = 0;

    for (i = 0; i < l->n; i++) {
        if (l->calls[i].kind == kind
            && (candidate_id == 0 || l->calls[i].candidate_id == candidate_id))
        {
            n++;
        }
    }

    return n;
}


/* run def, expect a whole-action error code: nobody visited */
static void
expect_action_error(sqlite3 *db, const hrx_bulk_def_t *def,
    const char *code)
{
    int               rc;
    col_t             col;
    hrx_bulk_sum_t    sum;
    hrx_bulk_error_t  err;

    memset(&col, 0, sizeof(col));

    rc = hrx_bulk_evaluate(db, def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);

    if (rc != HRX_BULK_ACTION_ERROR || err.code == NULL
        || strcmp(err.code, code) != 0)
    {
        fail_msg("expected %s, got rc %d code %s (%s)", code, rc,
                 err.code ? err.code : "NULL", err.message);
    }

    assert_true(err.message[0] != '\0');
    assert_int_equal(col.n, 0);
    assert_int_equal(sum.deliverable, 0);
    assert_int_equal(sum.failed, 0);

    /* only too_many_hits has counted */
    if (strcmp(code, "too_many_hits") != 0) {
        assert_int_equal(sum.hits, -1);
    }

    col_free(&col);
}


static void
expect_ok(sqlite3 *db, const hrx_bulk_def_t *def, int64_t hits)
{
    int               rc;
    col_t             col;
    hrx_bulk_sum_t    sum;
    hrx_bulk_error_t  err;

    memset(&col, 0, sizeof(col));

    rc = hrx_bulk_evaluate(db, def, NOW, 0, NULL, NULL, collect, &col, &sum,
                           &err);

    if (rc != HRX_BULK_OK) {
        fail_msg("expected OK, got rc %d code %s (%s)", rc,
                 err.code ? err.code : "NULL", err.message);
    }

    assert_null(err.code);
    assert_int_equal(sum.hits, hits);
    assert_int_equal(col.n, hits);

    col_free(&col);
}


/* ---- tests --------------------------------------------------------------- */

static void
test_bulk_kind(void **state)
{
    (void) state;

    assert_int_equal(hrx_bulk_kind("message"), HRX_BULK_MESSAGE);
    assert_int_equal(hrx_bulk_kind("event_invitation"),
                     HRX_BULK_EVENT_INVITATION);
    assert_int_equal(hrx_bulk_kind("Message"), 0);
    assert_int_equal(hrx_bulk_kind(""), 0);
    assert_int_equal(hrx_bulk_kind(NULL), 0);
    assert_string_equal(hrx_bulk_kind_name(HRX_BULK_MESSAGE), "message");
    assert_string_equal(hrx_bulk_kind_name(HRX_BULK_EVENT_INVITATION),
                        "event_invitation");
    assert_null(hrx_bulk_kind_name(0));
    assert_null(hrx_bulk_kind_name(3));
}


/* BA-10, BA-12: the default action, each hit's recipient or reason */
static void
test_bulk_recipients(void **state)
{
    int                rc;
    size_t             i;
    col_t              col;
    sqlite3           *db = *state;
    const rec_t       *r;
    hrx_bulk_def_t     def;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    static const int64_t  order[] = { 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13,
                                      14 };

    memset(&col, 0, sizeof(col));
    def = def_message();
    def.also_line = 1;

    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_null(err.code);

    /* every hit once, by id; never another tenant's or a non-match */
    assert_int_equal(sum.hits, 12);
    assert_int_equal(col.n, 12);

    for (i = 0; i < col.n; i++) {
        assert_int_equal(col.recs[i].id, order[i]);
    }

    assert_int_equal(sum.deliverable, 7);
    assert_int_equal(sum.failed, 5);
    assert_int_equal(sum.line, 2);

    /* direct, LINE friend: the candidate, and LINE too */
    r = col_find(&col, 1);
    assert_null(r->reason);
    assert_string_equal(r->name, "山田 太郎");
    assert_int_equal(r->to_agent, 0);
    assert_string_equal(r->email, "taro@example.jp");
    assert_string_equal(r->to_name, "山田 太郎");
    assert_string_equal(r->line, "U1");
    assert_string_equal(r->subject, "Hello 山田 太郎");
    assert_string_equal(r->text, "Dear 山田 太郎");
    assert_null(r->html);                   /* the template has no HTML */

    r = col_find(&col, 2);
    assert_string_equal(r->reason, "no_email");
    assert_null(r->email);
    assert_null(r->line);
    assert_null(r->subject);

    /* route_to_agent on: the agent's address, never LINE (U3 linked) */
    r = col_find(&col, 3);
    assert_null(r->reason);
    assert_int_equal(r->to_agent, 1);
    assert_string_equal(r->email, "desk@agency-one.example");
    assert_string_equal(r->to_name, "Agency <One>");
    assert_string_equal(r->name, "Agented Alice");
    assert_null(r->line);
    assert_string_equal(r->subject, "Hello Agented Alice");

    /* route_to_agent off: the candidate's own address, and LINE */
    r = col_find(&col, 4);
    assert_null(r->reason);
    assert_int_equal(r->to_agent, 0);
    assert_string_equal(r->email, "quinn@example.com");
    assert_string_equal(r->line, "U4");

    /* a disabled agent fails its candidates, taking their mail or not */
    r = col_find(&col, 5);
    assert_string_equal(r->reason, "agent_disabled");
    assert_string_equal(r->detail, "Closed Agency");
    assert_null(r->email);
    r = col_find(&col, 11);
    assert_string_equal(r->reason, "agent_disabled");
    assert_string_equal(r->detail, "Closed Quiet");

    /* operate_other: a group the editor does not reach is operated */
    r = col_find(&col, 6);
    assert_null(r->reason);
    assert_string_equal(r->email, "bea@example.com");

    /* no given name: the family name alone; the fallback fills {名} */
    r = col_find(&col, 9);
    assert_null(r->reason);
    assert_string_equal(r->name, "Solo");
    assert_string_equal(r->subject, "Hello Solo");
    assert_string_equal(r->text, "Dear Solo there");

    /* an empty address is no address; a failure gets no LINE either */
    r = col_find(&col, 10);
    assert_string_equal(r->reason, "no_email");
    assert_null(r->line);

    /* agent_disabled comes before no_email */
    r = col_find(&col, 13);
    assert_string_equal(r->reason, "agent_disabled");

    /* the agent takes the mail: the candidate's own address is not needed */
    r = col_find(&col, 14);
    assert_null(r->reason);
    assert_int_equal(r->to_agent, 1);
    assert_string_equal(r->email, "desk@agency-one.example");

    col_free(&col);

    /* also_line off: nobody gets LINE */
    def.also_line = 0;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_int_equal(sum.line, 0);

    for (i = 0; i < col.n; i++) {
        assert_null(col.recs[i].line);
    }

    col_free(&col);

    /* the agent's address is the one checked: an agent without one */
    exec_ok(db, "UPDATE agents SET email = '' WHERE id = 1");
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_string_equal(col_find(&col, 3)->reason, "no_email");
    assert_string_equal(col_find(&col, 14)->reason, "no_email");
    col_free(&col);
}


/* BA-12 not_operable, with the editor as it is now */
static void
test_bulk_operate(void **state)
{
    int                rc;
    col_t              col;
    sqlite3           *db = *state;
    hrx_bulk_def_t     def;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    memset(&col, 0, sizeof(col));

    /* user 3: Team A, no operate_other */
    def = def_message();
    def.editor_id = 3;

    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);

    /* the hits are the same set: the cap and the history count them */
    assert_int_equal(sum.hits, 12);
    assert_int_equal(col.n, 12);
    assert_string_equal(col_find(&col, 6)->reason, "not_operable");
    assert_null(col_find(&col, 6)->email);
    assert_string_equal(col_find(&col, 6)->name, "Grouped Bea");
    assert_null(col_find(&col, 12)->reason);        /* Group A: reached */
    assert_null(col_find(&col, 1)->reason);         /* no group */

    /* not_operable comes first: 13 is also agent_disabled, no email */
    assert_string_equal(col_find(&col, 13)->reason, "not_operable");
    assert_int_equal(sum.deliverable, 6);
    assert_int_equal(sum.failed, 6);
    col_free(&col);

    /* the role loses operate_other after saving: user 1 now fails too */
    exec_ok(db, "UPDATE roles SET permissions = '[\"bulk_actions.manage\"]'"
            " WHERE id = 1");
    def.editor_id = 1;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_string_equal(col_find(&col, 6)->reason, "not_operable");
    assert_string_equal(col_find(&col, 12)->reason, "not_operable");
    col_free(&col);

    /* users.admin reaches every group: operates on every candidate */
    def.editor_id = 7;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_null(col_find(&col, 6)->reason);
    assert_null(col_find(&col, 12)->reason);
    col_free(&col);

    /* a platform admin of another tenant holds every permission */
    def.editor_id = 5;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_null(col_find(&col, 6)->reason);
    assert_int_equal(sum.hits, 12);
    col_free(&col);
}


/* every merge variable, with the aliases, escaping and the interview */
static void
test_bulk_render(void **state)
{
    int                rc;
    col_t              col;
    links_t            links;
    sqlite3           *db = *state;
    const rec_t       *r;
    hrx_bulk_def_t     def;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    memset(&col, 0, sizeof(col));
    links_init(&links);

    search_set(db, "{\"field\":\"family_name\",\"op\":\"eq\","
               "\"value\":\"山田\"}");
    template_set(db,
                 "{会社名}: {氏名}様",
                 "{姓} {名} / {セイ} {メイ} / {candidate.email} / {学校名} / "
                 "{卒業年度} / {選考ステータス} / {求人名} / {担当者名} / "
                 "{次の面接日時} @ {次の面接場所} / {candidate.full_name} / "
                 "{agent.name|no agent} / {company.name} / {{braces}} / "
                 "{フォームURL} / {LINE友だち登録URL}",
                 "<p>{氏名} {学校名} {job.title} {担当者名|x}"
                 " {next_interview_location} {agent.name|<none>}"
                 " <a href=\"{form.url}\">form</a></p>");

    def = def_message();
    def.form_id = 1;
    def.also_line = 1;

    rc = hrx_bulk_evaluate(db, &def, NOW, 1, link_fn, &links, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_int_equal(sum.hits, 1);

    r = col_find(&col, 1);
    assert_null(r->reason);
    assert_string_equal(r->subject, "Acme & Co: 山田 太郎様");
    assert_string_equal(r->text,
                        "山田 太郎 / ヤマダ タロウ / taro@example.jp / "
                        "Tokyo <Univ> & Co / 2027 / screening / "
                        "Engineer & <Designer> / Oscar <Owner> / "
                        "2026-12-01 14:00 @ Room \"A\" / 山田 太郎 / "
                        "no agent / Acme & Co / {braces} / "
                        "https://hrx.example/f/1-1?a=1&b=2 / "
                        "https://hrx.example/l/1-0?a=1&b=2");

    /* values, fallbacks and links escaped; the template's markup not */
    assert_string_equal(r->html,
                        "<p>山田 太郎 Tokyo &lt;Univ&gt; &amp; Co"
                        " Engineer &amp; &lt;Designer&gt; Oscar &lt;Owner&gt;"
                        " Room &quot;A&quot; &lt;none&gt;"
                        " <a href=\"https://hrx.example/f/1-1?a=1&amp;b=2\">"
                        "form</a></p>");
    assert_string_equal(r->line, "U1");

    /* each link asked once for the candidate, used in text and HTML */
    assert_int_equal(links_count(&links, HRX_BULK_LINK_FORM, 1), 1);
    assert_int_equal(links_count(&links, HRX_BULK_LINK_LINE_FRIEND, 1), 1);
    assert_int_equal(links_count(&links, HRX_BULK_LINK_EVENT, 0), 0);
    assert_int_equal(links.calls[0].object_id, 1);
    col_free(&col);

    /* render off: decided the same, no texts handed over */
    links_init(&links);
    rc = hrx_bulk_evaluate(db, &def, NOW, 0, link_fn, &links, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_OK);
    r = col_find(&col, 1);
    assert_null(r->reason);
    assert_null(r->subject);
    assert_null(r->text);
    assert_null(r->html);
    assert_int_equal(r->subject_len, 0);
    assert_string_equal(r->email, "taro@example.jp");
    col_free(&col);

    /* after the interview at T1 has passed, the next one is T_LATER;
     * after that there is none: missing data */
    template_set(db, "Interview", "{次の面接日時} {次の面接場所}", NULL);
    rc = hrx_bulk_evaluate(db, &def, T1, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_string_equal(col_find(&col, 1)->text,
                        "2026-12-05 10:00 Later room");
    col_free(&col);

    rc = hrx_bulk_evaluate(db, &def, T_LATER, 1, NULL, NULL, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_string_equal(col_find(&col, 1)->reason,
                        "missing_variable:next_interview_at");
    col_free(&col);

    /* the tenant's zone, not the process's */
    exec_ok(db, "UPDATE tenants SET time_zone = 'Europe/Paris' WHERE id = 1");
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_string_equal(col_find(&col, 1)->text,
                        "2026-12-01 06:00 Room \"A\"");
    col_free(&col);
}


/* missing_variable:<name>: the first over subject, text, HTML; English */
static void
test_bulk_missing(void **state)
{
    size_t             i;
    col_t              col;
    sqlite3           *db = *state;
    hrx_bulk_def_t     def;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    static const struct {
        const char  *subject;
        const char  *text;
        const char  *html;
        const char  *reason;        /* of candidate 9: no school, job, ... */
    } cases[] = {
        { "{学校名}", "{求人名}", NULL, "missing_variable:candidate.school" },
        { "Hi", "{求人名} {学校名}", NULL, "missing_variable:job.title" },
        { "Hi", "Body", "<p>{担当者名}</p>", "missing_variable:owner.name" },
        { "Hi {名}", "Body", NULL, "missing_variable:candidate.given_name" },
        { "Hi", "{メイ}", NULL,
          "missing_variable:candidate.given_name_kana" },
        { "Hi", "{エージェント名}", NULL, "missing_variable:agent.name" },
        { "Hi", "{next_interview_location}", NULL,
          "missing_variable:next_interview_location" },
        /* the links: no form on the action, a message has no event, no
         * link function at all */
        { "Hi", "{フォームURL}", NULL, "missing_variable:form.url" },
        { "Hi", "{イベントURL}", NULL, "missing_variable:event.url" },
        { "Hi", "{line.friend_url}", NULL,
          "missing_variable:line.friend_url" },
        /* fallbacks cover it, even an empty one in the middle */
        { "{学校名|your school}", "{求人名|}x {担当者名|you}", "<b>{姓}</b>",
          NULL },
    };

    memset(&col, 0, sizeof(col));
    search_set(db, "{\"field\":\"family_name\",\"op\":\"eq\","
               "\"value\":\"Solo\"}");
    def = def_message();

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        template_set(db, cases[i].subject, cases[i].text, cases[i].html);

        assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL,
                                           collect, &col, &sum, &err),
                         HRX_BULK_OK);
        assert_int_equal(col.n, 1);

        if (cases[i].reason == NULL) {
            if (col.recs[0].reason) {
                fail_msg("case %zu: %s", i, col.recs[0].reason);
            }

        } else if (col.recs[0].reason == NULL
                   || strcmp(col.recs[0].reason, cases[i].reason) != 0)
        {
            fail_msg("case %zu: expected %s, got %s", i, cases[i].reason,
                     col.recs[0].reason ? col.recs[0].reason : "NULL");
        }

        if (cases[i].reason) {
            /* the address is known; nothing to send */
            assert_string_equal(col.recs[0].email, "solo@example.com");
            assert_null(col.recs[0].subject);
            assert_int_equal(sum.failed, 1);
            assert_int_equal(sum.deliverable, 0);
        }

        col_free(&col);
    }

    /* the last case: rendered with its fallbacks */
    template_set(db, cases[i - 1].subject, cases[i - 1].text,
                 cases[i - 1].html);
    assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL,
                                       collect, &col, &sum, &err),
                     HRX_BULK_OK);
    assert_string_equal(col.recs[0].subject, "your school");
    assert_string_equal(col.recs[0].text, "x you");
    assert_string_equal(col.recs[0].html, "<b>Solo</b>");
    col_free(&col);
}


static char *
repeat(const char *unit, size_t n, const char *tail)
{
    char    *s;
    size_t   i, ul;

    ul = strlen(unit);
    s = malloc(ul * n + strlen(tail) + 1);
    assert_non_null(s);

    for (i = 0; i < n; i++) {
        memcpy(s + i * ul, unit, ul);
    }

    strcpy(s + ul * n, tail);

    return s;
}


/* the one candidate's reason for subject and text, NULL if deliverable */
static void
expect_texts(sqlite3 *db, const char *subject, const char *text,
    const char *reason, const char *detail)
{
    col_t             col;
    hrx_bulk_def_t    def;
    hrx_bulk_sum_t    sum;
    hrx_bulk_error_t  err;

    memset(&col, 0, sizeof(col));
    template_set(db, subject, text, NULL);
    def = def_message();

    assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect,
                                       &col, &sum, &err),
                     HRX_BULK_OK);
    assert_int_equal(col.n, 1);

    if (reason == NULL) {
        if (col.recs[0].reason) {
            fail_msg("unexpected %s", col.recs[0].reason);
        }

    } else {
        assert_non_null(col.recs[0].reason);
        assert_string_equal(col.recs[0].reason, reason);

        if (detail) {
            assert_string_equal(col.recs[0].detail, detail);
        }
    }

    col_free(&col);
}


/* BA-12: empty and too long, in characters not bytes */
static void
test_bulk_lengths(void **state)
{
    char     *s;
    sqlite3  *db = *state;

    search_set(db, "{\"field\":\"family_name\",\"op\":\"eq\","
               "\"value\":\"Solo\"}");

    /* 255 three-byte characters: 765 bytes, still 255 characters */
    s = repeat("あ", 255, "");
    expect_texts(db, s, "Body", NULL, NULL);
    free(s);

    s = repeat("あ", 256, "");
    expect_texts(db, s, "Body", "subject_too_long", "256 characters");
    free(s);

    /* merged values count: 250 + "Solo" = 254, + 2 more = 256 */
    s = repeat("x", 250, "{姓}");
    expect_texts(db, s, "Body", NULL, NULL);
    free(s);

    s = repeat("x", 252, "{姓}");
    expect_texts(db, s, "Body", "subject_too_long", "256 characters");
    free(s);

    /* empty, also after merging, also only white space */
    expect_texts(db, "", "Body", "subject_empty", NULL);
    expect_texts(db, "{学校名|}", "Body", "subject_empty", NULL);
    expect_texts(db, " \t\xe3\x80\x80", "Body", "subject_empty", NULL);
    expect_texts(db, "Hi", "", "body_empty", NULL);
    expect_texts(db, "Hi", "{学校名|}\n\n ", "body_empty", NULL);

    /* the subject is checked before the body */
    expect_texts(db, "", "", "subject_empty", NULL);

    /* body: 100 000 characters pass, 100 001 do not */
    s = repeat("a", 99999, "あ");
    expect_texts(db, "Hi", s, NULL, NULL);
    free(s);

    s = repeat("あ", 100001, "");
    expect_texts(db, "Hi", s, "body_too_long", "100001 characters");
    free(s);

    s = repeat("a", 99997, "{姓}");
    expect_texts(db, "Hi", s, "body_too_long", "100001 characters");
    free(s);
}


/* BA-11: every whole-action error, in its order */
static void
test_bulk_action_errors(void **state)
{
    sqlite3         *db = *state;
    hrx_bulk_def_t   def;

    /* editor_disabled: disabled, gone, of another tenant */
    def = def_message();
    def.editor_id = 2;
    expect_action_error(db, &def, "editor_disabled");
    def.editor_id = 99;
    expect_action_error(db, &def, "editor_disabled");
    def.editor_id = 0;
    expect_action_error(db, &def, "editor_disabled");
    def.editor_id = 6;
    expect_action_error(db, &def, "editor_disabled");

    /* ... first of all */
    def.editor_id = 2;
    def.saved_search_id = 99;
    def.template_id = 99;
    expect_action_error(db, &def, "editor_disabled");

    /* search_unavailable: gone, another tenant's, group not reached,
     * condition that no longer compiles or is not JSON */
    def = def_message();
    def.saved_search_id = 99;
    expect_action_error(db, &def, "search_unavailable");
    def.saved_search_id = 4;
    expect_action_error(db, &def, "search_unavailable");
    def.saved_search_id = 3;                  /* Team B only */
    expect_action_error(db, &def, "search_unavailable");
    def.saved_search_id = 2;                  /* Team A only */
    expect_action_error(db, &def, "search_unavailable");
    def.editor_id = 3;                        /* in Team A */
    expect_ok(db, &def, 12);
    def.editor_id = 7;                        /* users.admin */
    def.saved_search_id = 3;
    expect_ok(db, &def, 12);
    def = def_message();
    def.saved_search_id = 5;
    expect_action_error(db, &def, "search_unavailable");
    def.saved_search_id = 8;
    expect_action_error(db, &def, "search_unavailable");

    /* ... before the template */
    def.template_id = 99;
    expect_action_error(db, &def, "search_unavailable");

    /* template_unavailable: gone, another tenant's, not reached, broken */
    def = def_message();
    def.template_id = 99;
    expect_action_error(db, &def, "template_unavailable");
    def.template_id = 2;
    expect_action_error(db, &def, "template_unavailable");
    def.template_id = 3;
    expect_action_error(db, &def, "template_unavailable");
    def.template_id = 4;
    expect_action_error(db, &def, "template_unavailable");
    def.template_id = 3;
    def.editor_id = 7;
    expect_ok(db, &def, 12);

    /* ... before the form */
    def = def_message();
    def.template_id = 99;
    def.form_id = 99;
    expect_action_error(db, &def, "template_unavailable");

    /* form_unavailable */
    def = def_message();
    def.form_id = 99;
    expect_action_error(db, &def, "form_unavailable");
    def.form_id = 3;
    expect_action_error(db, &def, "form_unavailable");
    def.form_id = 2;
    expect_action_error(db, &def, "form_unavailable");
    def.editor_id = 7;
    expect_ok(db, &def, 12);
    def.editor_id = 1;
    def.form_id = 1;
    expect_ok(db, &def, 12);

    /* a message checks no event, whatever is set */
    def = def_message();
    def.event_id = 99;
    def.event_group_id = 99;
    expect_ok(db, &def, 12);

    /* event_unavailable: gone, another tenant's, group not reached, none */
    def = def_message();
    def.kind = HRX_BULK_EVENT_INVITATION;
    def.event_id = 99;
    expect_action_error(db, &def, "event_unavailable");
    def.event_id = 8;
    expect_action_error(db, &def, "event_unavailable");
    def.event_id = 4;                         /* Team B events */
    expect_action_error(db, &def, "event_unavailable");
    def.editor_id = 7;
    expect_ok(db, &def, 12);
    def.editor_id = 1;
    def.event_id = 0;
    expect_action_error(db, &def, "event_unavailable");

    /* ... after the form */
    def.form_id = 99;
    expect_action_error(db, &def, "form_unavailable");
    def.form_id = 0;

    /* event_unpublished, event_full (a date at now or past has no room) */
    def.event_id = 2;
    expect_action_error(db, &def, "event_unpublished");
    def.event_id = 3;
    expect_action_error(db, &def, "event_full");
    def.event_id = 1;
    expect_ok(db, &def, 12);

    /* the last seat taken: full */
    exec_ok(db, "UPDATE event_dates SET registered = capacity"
            " WHERE event_id = 1");
    expect_action_error(db, &def, "event_full");
    exec_ok(db, "UPDATE event_dates SET registered = 9"
            " WHERE event_id = 1 AND starts_at > 0");

    /* event groups */
    def.event_id = 0;
    def.event_group_id = 99;
    expect_action_error(db, &def, "event_unavailable");
    def.event_group_id = 16;
    expect_action_error(db, &def, "event_unavailable");
    def.event_group_id = 12;
    expect_action_error(db, &def, "event_unavailable");
    def.event_group_id = 13;                  /* no event at all */
    expect_action_error(db, &def, "event_unpublished");
    def.event_group_id = 14;                  /* only unpublished ones */
    expect_action_error(db, &def, "event_unpublished");
    def.event_group_id = 15;                  /* room only in a draft */
    expect_action_error(db, &def, "event_full");
    def.event_group_id = 11;
    expect_ok(db, &def, 12);
    def.event_group_id = 12;
    def.editor_id = 7;
    expect_ok(db, &def, 12);

    /* a kind that is none: the caller's bug */
    {
        hrx_bulk_sum_t    sum;
        hrx_bulk_error_t  err;

        def = def_message();
        def.kind = 0;
        assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL,
                                           NULL, NULL, &sum, &err),
                         HRX_BULK_DB_ERROR);
        assert_string_equal(err.code, "internal_error");
    }
}


/* the links asked for an invitation, and a link that fails */
static void
test_bulk_links(void **state)
{
    int                rc;
    col_t              col;
    links_t            links;
    sqlite3           *db = *state;
    hrx_bulk_def_t     def;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    memset(&col, 0, sizeof(col));
    template_set(db, "Invitation {イベントURL}", "{event.url}",
                 "<a href=\"{event.url}\">x</a>");

    /* one event: its id; only candidates that get as far as rendering */
    links_init(&links);
    def = def_message();
    def.kind = HRX_BULK_EVENT_INVITATION;
    def.event_id = 1;

    rc = hrx_bulk_evaluate(db, &def, NOW, 1, link_fn, &links, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_int_equal(sum.deliverable, 7);
    assert_int_equal(links.n, 7);
    assert_int_equal(links_count(&links, HRX_BULK_LINK_EVENT, 0), 7);
    assert_int_equal(links_count(&links, HRX_BULK_LINK_EVENT, 2), 0);
    assert_int_equal(links.calls[0].object_id, 1);
    assert_string_equal(col_find(&col, 1)->subject,
                        "Invitation https://hrx.example/e/1-1?a=1&b=2");
    assert_string_equal(col_find(&col, 1)->html,
                        "<a href=\"https://hrx.example/e/1-1?a=1&amp;b=2\">"
                        "x</a>");
    col_free(&col);

    /* a group: the group's id */
    links_init(&links);
    def.event_id = 0;
    def.event_group_id = 11;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, link_fn, &links, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_int_equal(links.calls[0].kind, HRX_BULK_LINK_EVENT);
    assert_int_equal(links.calls[0].object_id, 11);
    assert_string_equal(col_find(&col, 9)->text,
                        "https://hrx.example/e/9-11?a=1&b=2");
    col_free(&col);

    /* a message never asks for an event link, even with an event set */
    links_init(&links);
    def = def_message();
    def.event_id = 1;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, link_fn, &links, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_int_equal(links.n, 0);
    assert_string_equal(col_find(&col, 1)->reason,
                        "missing_variable:event.url");
    assert_int_equal(sum.deliverable, 0);
    col_free(&col);

    /* no link to give (LINE not set up): missing data, or the fallback */
    links_init(&links);
    links.answer[HRX_BULK_LINK_FORM] = 0;
    template_set(db, "Hi", "{form.url} {line.friend_url|no LINE}", NULL);
    def.form_id = 1;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, link_fn, &links, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_string_equal(col_find(&col, 1)->reason,
                        "missing_variable:form.url");
    col_free(&col);

    links_init(&links);
    links.answer[HRX_BULK_LINK_LINE_FRIEND] = 0;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, link_fn, &links, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_string_equal(col_find(&col, 1)->text,
                        "https://hrx.example/f/1-1?a=1&b=2 no LINE");
    assert_int_equal(links_count(&links, HRX_BULK_LINK_LINE_FRIEND, 1), 1);
    col_free(&col);

    /* a link that fails stops everything at that candidate */
    links_init(&links);
    links.answer[HRX_BULK_LINK_FORM] = -1;
    rc = hrx_bulk_evaluate(db, &def, NOW, 1, link_fn, &links, collect, &col,
                           &sum, &err);
    assert_int_equal(rc, HRX_BULK_ABORTED);
    assert_int_equal(col.n, 0);               /* candidate 1 is the first */
    assert_int_equal(links.n, 1);
    assert_true(strstr(err.message, "candidate 1") != NULL);
    col_free(&col);
}


/* visit says stop */
static void
test_bulk_aborted(void **state)
{
    int                rc;
    col_t              col;
    sqlite3           *db = *state;
    hrx_bulk_def_t     def;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    memset(&col, 0, sizeof(col));
    col.stop_at = 3;
    def = def_message();

    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_ABORTED);
    assert_null(err.code);
    assert_int_equal(col.n, 3);
    assert_int_equal(col.recs[2].id, 3);
    assert_int_equal(sum.hits, 12);
    assert_int_equal(sum.deliverable + sum.failed, 3);
    assert_true(strstr(err.message, "candidate 3") != NULL);

    /* nothing left open: the read transaction is over */
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    col_free(&col);
}


/* BA-5: the 3000 cap, and hrx_bulk_count_hits */
static void
test_bulk_cap(void **state)
{
    int                rc;
    size_t             i;
    col_t              col;
    int64_t            hits;
    sqlite3           *db = *state;
    hrx_bulk_def_t     def;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    memset(&col, 0, sizeof(col));

    /* 3001 graduates of 2030, ids 1001 .. 4001, one of them in a group
     * the editor does not reach (it counts all the same) */
    exec_ok(db, "BEGIN");
    exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
            " FROM n WHERE i < 3001)"
            " INSERT INTO candidates (id, tenant_id, family_name, given_name,"
            " email, graduation_year, created_at, updated_at)"
            " SELECT 1000 + i, 1, 'Bulk', 'No' || i,"
            " 'bulk' || i || '@example.com', 2030, 0, 0 FROM n");
    exec_ok(db, "UPDATE candidates SET candidate_group_id = 2"
            " WHERE id = 1500");
    exec_ok(db, "COMMIT");

    def = def_message();
    def.saved_search_id = 9;
    def.editor_id = 3;
    def.saved_search_id = 9;

    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_ACTION_ERROR);
    assert_string_equal(err.code, "too_many_hits");
    assert_int_equal(sum.hits, 3001);
    assert_true(strstr(err.message, "3001") != NULL);
    assert_int_equal(col.n, 0);

    assert_int_equal(hrx_bulk_count_hits(db, 1, 9, &hits, &err),
                     HRX_BULK_OK);
    assert_int_equal(hits, 3001);

    /* the checks before the count win: not counted then */
    def.kind = HRX_BULK_EVENT_INVITATION;
    def.event_id = 2;
    expect_action_error(db, &def, "event_unpublished");
    def.kind = HRX_BULK_MESSAGE;
    def.event_id = 0;

    /* 3000 is allowed: every one visited, by id */
    exec_ok(db, "DELETE FROM candidates WHERE id = 2000");

    rc = hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect, &col, &sum,
                           &err);
    assert_int_equal(rc, HRX_BULK_OK);
    assert_int_equal(sum.hits, 3000);
    assert_int_equal(col.n, 3000);
    assert_int_equal(sum.deliverable, 2999);
    assert_int_equal(sum.failed, 1);
    assert_string_equal(col_find(&col, 1500)->reason, "not_operable");

    for (i = 1; i < col.n; i++) {
        assert_true(col.recs[i - 1].id < col.recs[i].id);
    }

    assert_int_equal(col.recs[0].id, 1001);
    assert_int_equal(col.recs[2999].id, 4001);
    assert_string_equal(col_find(&col, 4001)->text, "Dear Bulk No3001");
    col_free(&col);

    assert_int_equal(hrx_bulk_count_hits(db, 1, 9, &hits, &err),
                     HRX_BULK_OK);
    assert_int_equal(hits, 3000);
}


/* hrx_bulk_count_hits: every match of the tenant, no reach */
static void
test_bulk_count_hits(void **state)
{
    int64_t            hits;
    sqlite3           *db = *state;
    hrx_bulk_error_t   err;

    assert_int_equal(hrx_bulk_count_hits(db, 1, 1, &hits, &err),
                     HRX_BULK_OK);
    assert_int_equal(hits, 12);
    assert_null(err.code);

    /* a group nobody in particular reaches: counted all the same */
    assert_int_equal(hrx_bulk_count_hits(db, 1, 3, &hits, &err),
                     HRX_BULK_OK);
    assert_int_equal(hits, 12);

    assert_int_equal(hrx_bulk_count_hits(db, 2, 4, &hits, &err),
                     HRX_BULK_OK);
    assert_int_equal(hits, 1);

    assert_int_equal(hrx_bulk_count_hits(db, 1, 6, &hits, &err),
                     HRX_BULK_OK);
    assert_int_equal(hits, 1);                /* regex: taro@example.jp */

    assert_int_equal(hrx_bulk_count_hits(db, 1, 7, &hits, &err),
                     HRX_BULK_OK);
    assert_int_equal(hits, 0);

    /* gone, another tenant's, broken */
    assert_int_equal(hrx_bulk_count_hits(db, 1, 99, &hits, &err),
                     HRX_BULK_ACTION_ERROR);
    assert_string_equal(err.code, "search_unavailable");
    assert_int_equal(hrx_bulk_count_hits(db, 1, 4, &hits, &err),
                     HRX_BULK_ACTION_ERROR);
    assert_string_equal(err.code, "search_unavailable");
    assert_int_equal(hrx_bulk_count_hits(db, 1, 5, &hits, &err),
                     HRX_BULK_ACTION_ERROR);
    assert_string_equal(err.code, "search_unavailable");
    assert_true(strstr(err.message, "compiles") != NULL);
    assert_int_equal(hrx_bulk_count_hits(db, 1, 8, &hits, &err),
                     HRX_BULK_ACTION_ERROR);
    assert_string_equal(err.code, "search_unavailable");
}


/* a regex search, no hits, and the connections the two callers bring */
static void
test_bulk_connections(void **state)
{
    col_t              col;
    sqlite3           *db = *state;
    hrx_bulk_def_t     def;
    hrx_bulk_sum_t     sum;
    hrx_bulk_error_t   err;

    memset(&col, 0, sizeof(col));

    def = def_message();
    def.saved_search_id = 6;
    assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect,
                                       &col, &sum, &err),
                     HRX_BULK_OK);
    assert_int_equal(col.n, 1);
    assert_int_equal(col.recs[0].id, 1);
    col_free(&col);

    /* no hits is no error here (bulk_run settles it as no_hits) */
    def.saved_search_id = 7;
    assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect,
                                       &col, &sum, &err),
                     HRX_BULK_OK);
    assert_int_equal(sum.hits, 0);
    assert_int_equal(col.n, 0);

    /* the dry run's connection: read-only; no transaction left behind */
    exec_ok(db, "PRAGMA query_only = 1");
    def.saved_search_id = 1;
    assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect,
                                       &col, &sum, &err),
                     HRX_BULK_OK);
    assert_int_equal(col.n, 12);
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    col_free(&col);

    /* a whole-action error leaves none either */
    def.editor_id = 2;
    expect_action_error(db, &def, "editor_disabled");
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    exec_ok(db, "PRAGMA query_only = 0");

    /* the scheduler's: inside its transaction, which stays open */
    def.editor_id = 1;
    exec_ok(db, "BEGIN IMMEDIATE");
    assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 1, NULL, NULL, collect,
                                       &col, &sum, &err),
                     HRX_BULK_OK);
    assert_int_equal(sqlite3_get_autocommit(db), 0);
    exec_ok(db, "COMMIT");
    assert_int_equal(col.n, 12);
    col_free(&col);

    /* NULL visit: only the sums */
    assert_int_equal(hrx_bulk_evaluate(db, &def, NOW, 0, NULL, NULL, NULL,
                                       NULL, &sum, &err),
                     HRX_BULK_OK);
    assert_int_equal(sum.hits, 12);
    assert_int_equal(sum.deliverable, 7);
}


static int
utf8_valid(const char *s)
{
    const unsigned char  *p = (const unsigned char *) s;
    int                   n;

    while (*p) {
        n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2
            : (*p & 0xf8) == 0xf0 ? 3 : -1;

        if (n < 0) {
            return 0;
        }

        for (p++; n > 0; n--, p++) {
            if ((*p & 0xc0) != 0x80) {
                return 0;
            }
        }
    }

    return 1;
}


static void
test_bulk_reason_text(void **state)
{
    size_t  i;
    char    en[512], ja[512], small[10];

    static const char *const  codes[] = {
        "too_many_hits", "editor_disabled", "search_unavailable",
        "template_unavailable", "form_unavailable", "event_unavailable",
        "event_unpublished", "event_full", "no_hits", "nobody_reached",
        "no_email", "agent_disabled", "not_operable", "subject_empty",
        "subject_too_long", "body_empty", "body_too_long", "smtp_rejected",
        "delivery_failed", "invalid_message",
        "missing_variable:candidate.school"
    };

    (void) state;

    /* each code has its own sentence in both languages */
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_ptr_equal(hrx_bulk_reason_text(codes[i], "en", en,
                                              sizeof(en)),
                         en);
        hrx_bulk_reason_text(codes[i], "ja", ja, sizeof(ja));

        if (strncmp(en, "Not sent", 8) == 0
            || strstr(ja, "送信できませんでした（") != NULL
            || strcmp(en, ja) == 0 || en[0] == '\0' || !utf8_valid(ja))
        {
            fail_msg("%s: en \"%s\" ja \"%s\"", codes[i], en, ja);
        }
    }

    assert_string_equal(hrx_bulk_reason_text("too_many_hits", "en", en,
                                             sizeof(en)),
                        "The saved search hits more than 3000 candidates.");
    assert_string_equal(hrx_bulk_reason_text("no_email", "ja", ja,
                                             sizeof(ja)),
                        "送信先のメールアドレスがありません。");

    /* the variable is named: English name, and in Japanese its alias */
    hrx_bulk_reason_text("missing_variable:candidate.school", "en", en,
                         sizeof(en));
    assert_string_equal(en, "The merge variable {candidate.school} has no "
                        "data for this candidate.");
    hrx_bulk_reason_text("missing_variable:candidate.school", "ja", ja,
                         sizeof(ja));
    assert_string_equal(ja, "差し込み項目 {学校名}（{candidate.school}）の"
                        "データがありません。");
    hrx_bulk_reason_text("missing_variable:next_interview_at", "ja", ja,
                         sizeof(ja));
    assert_non_null(strstr(ja, "{次の面接日時}"));

    /* a name the registry does not know is quoted as it is */
    hrx_bulk_reason_text("missing_variable:some.thing", "ja", ja, sizeof(ja));
    assert_non_null(strstr(ja, "{some.thing}"));
    hrx_bulk_reason_text("missing_variable:some.thing", "en", en, sizeof(en));
    assert_non_null(strstr(en, "{some.thing}"));

    /* unknown code: a generic sentence quoting it; unknown language: en */
    assert_string_equal(hrx_bulk_reason_text("weird_code", "en", en,
                                             sizeof(en)),
                        "Not sent (weird_code).");
    hrx_bulk_reason_text("weird_code", "ja", ja, sizeof(ja));
    assert_non_null(strstr(ja, "weird_code"));
    hrx_bulk_reason_text(NULL, "en", en, sizeof(en));
    assert_string_equal(en, "Not sent ().");
    hrx_bulk_reason_text("event_full", "fr", en, sizeof(en));
    assert_string_equal(en, "Every date of the event is full or over.");
    hrx_bulk_reason_text("event_full", NULL, en, sizeof(en));
    assert_string_equal(en, "Every date of the event is full or over.");

    /* a short buffer is cut on a character, never inside one */
    hrx_bulk_reason_text("no_email", "ja", small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
    assert_true(utf8_valid(small));
    assert_string_equal(small, "送信先");
    hrx_bulk_reason_text("no_email", "ja", small, 0);    /* untouched */
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_bulk_kind),
        cmocka_unit_test_setup_teardown(test_bulk_recipients,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_operate,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_render,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_missing,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_lengths,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_action_errors,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_links,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_aborted,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_cap,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_count_hits,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_connections,
                                        bulk_setup, bulk_teardown),
        cmocka_unit_test(test_bulk_reason_text),
    };

    return cmocka_run_group_tests_name("hrx_bulk", tests, NULL, NULL);
}
