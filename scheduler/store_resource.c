/*
 * The store, second half: the resources of docs/data-model.md.
 *
 * store.c writes out each statement by hand; the resources would need the
 * same dozen statements fourteen times over, so here they are made from
 * the descriptors in shm/hrx_resource.c (hrx_res_sql()), the same code
 * that makes the worker's reads.  What that means for safety is the same
 * as in store.c: the text is made only from names written in those
 * tables, and every value from a command is a bound parameter (named:
 * :tenant, :id, :f_<column> ...).  Statements are prepared on first use,
 * kept for the store's life in a cache indexed by (resource, kind, field)
 * and reset after every use, like store.c's.
 *
 * The few statements that no descriptor describes (a master group's
 * grants, an event's dates) are written out below as in store.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "hrx_prepare.h"
#include "store_int.h"
#include "store_resource.h"

enum {
    RES_GRANTS_CLEAR = 0,
    RES_GRANT_ADD,
    RES_GROUP_OVERFULL,
    RES_DATES_GET,
    RES_DATE_INSERT,
    RES_DATE_UPDATE,
    RES_DATE_DELETE,
    RES_CANDIDATE_ROUTE,
    RES_SPECIAL_MAX
};

static const char *const store_res_special_sql[RES_SPECIAL_MAX] = {
    [RES_GRANTS_CLEAR] =
        "DELETE FROM master_group_grants WHERE master_group_id = ?1",
    [RES_GRANT_ADD] =
        "INSERT INTO master_group_grants (master_group_id, object_type,"
        " object_id) VALUES (?1, ?2, ?3)",
    [RES_GROUP_OVERFULL] =
        "SELECT m.user_id FROM user_master_groups m"
        " WHERE m.master_group_id = ?1 AND (SELECT count(*)"
        " FROM user_master_groups n WHERE n.user_id = m.user_id) > ?2"
        " LIMIT 1",
    [RES_DATES_GET] =
        "SELECT id, registered FROM event_dates WHERE event_id = ?1"
        " ORDER BY id",
    [RES_DATE_INSERT] =
        "INSERT INTO event_dates (event_id, starts_at, ends_at, capacity)"
        " VALUES (?1, ?2, ?3, ?4)",
    [RES_DATE_UPDATE] =
        "UPDATE event_dates SET starts_at = ?3, ends_at = ?4, capacity = ?5"
        " WHERE event_id = ?1 AND id = ?2",
    [RES_DATE_DELETE] =
        "DELETE FROM event_dates WHERE event_id = ?1 AND id = ?2",
    [RES_CANDIDATE_ROUTE] =
        "SELECT route = 'agent', agent_id IS NOT NULL FROM candidates"
        " WHERE tenant_id = ?1 AND id = ?2",
};

/*
 * The parameter indexes of an INSERT or UPDATE made from a descriptor,
 * looked up once: by name, each lookup is a scan of every parameter, and
 * an import binds some forty of them for each of its rows.
 */
typedef struct {
    int   ready;
    int   tenant;
    int   id;
    int   now;
    int   actor;
    int   h[HRX_RES_AUX_MAX];           /* :h_<field>, 0: none */
    int   f[HRX_RES_AUX_MAX];           /* :f_<field> */
} store_res_params_t;

typedef struct {
    sqlite3_stmt        *gen[HRX_RES_MAX][HRX_SQL_MAX][HRX_RES_AUX_MAX];
    sqlite3_stmt        *special[RES_SPECIAL_MAX];
    store_res_params_t   params[HRX_RES_MAX][2];   /* INSERT, UPDATE */
} store_res_cache_t;

/* -------------------------------------------------------------------- */
/* statements */

static store_res_cache_t *
store_res_cache(store_t *st)
{
    void  **slot;

    slot = store_int_cache(st, STORE_CACHE_RESOURCE);
    if (*slot == NULL) {
        *slot = calloc(1, sizeof(store_res_cache_t));
        if (*slot == NULL) {
            store_int_error(st, SQLITE_NOMEM, "statement cache");
        }
    }
    return *slot;
}

void
store_res_close(store_t *st)
{
    store_res_cache_t  *c;
    size_t              i, j, k;

    c = *store_int_cache(st, STORE_CACHE_RESOURCE);
    if (c == NULL) {
        return;
    }
    for (i = 0; i < HRX_RES_MAX; i++) {
        for (j = 0; j < HRX_SQL_MAX; j++) {
            for (k = 0; k < HRX_RES_AUX_MAX; k++) {
                sqlite3_finalize(c->gen[i][j][k]);
            }
        }
    }
    for (i = 0; i < RES_SPECIAL_MAX; i++) {
        sqlite3_finalize(c->special[i]);
    }
    free(c);
    *store_int_cache(st, STORE_CACHE_RESOURCE) = NULL;
}

static sqlite3_stmt *
store_res_prepare(store_t *st, sqlite3_stmt **slot, const char *sql)
{
    int  rc;

    if (*slot == NULL) {
        rc = hrx_prepare(store_int_db(st), sql, SQLITE_PREPARE_PERSISTENT,
                         slot);
        if (rc != SQLITE_OK) {
            store_int_error(st, rc, "prepare");
            *slot = NULL;
        }
    }
    return *slot;
}

/* the statement kind of res (aux: field or dep index), NULL on error */
static sqlite3_stmt *
store_res_stmt(store_t *st, const hrx_res_t *res, hrx_sql_e kind,
    unsigned aux)
{
    store_res_cache_t  *c;
    char                sql[HRX_SQL_SIZE];

    c = store_res_cache(st);
    if (c == NULL) {
        return NULL;
    }
    if (aux >= HRX_RES_AUX_MAX) {
        store_int_error(st, SQLITE_MISUSE, "statement index");
        return NULL;
    }
    if (c->gen[res->id][kind][aux] == NULL
        && hrx_res_sql(res, kind, aux, sql, sizeof(sql)) != 0)
    {
        store_int_error(st, SQLITE_MISUSE, "no such resource statement");
        return NULL;
    }
    return store_res_prepare(st, &c->gen[res->id][kind][aux], sql);
}

static sqlite3_stmt *
store_res_special(store_t *st, int id)
{
    store_res_cache_t  *c;

    c = store_res_cache(st);
    if (c == NULL) {
        return NULL;
    }
    return store_res_prepare(st, &c->special[id], store_res_special_sql[id]);
}

static void
store_res_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

/*
 * Step to the end (or the first row).  STORE_OK, STORE_CONFLICT for a
 * UNIQUE or FOREIGN KEY violation, STORE_ERROR; with id, the first
 * column of the first row (STORE_NOTFOUND when there was none).
 */
static int
store_res_run(store_t *st, sqlite3_stmt *stmt, const char *what,
    int64_t *id)
{
    int  rc;

    rc = sqlite3_step(stmt);

    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        if (id != NULL) {
            if (rc == SQLITE_DONE) {
                store_res_done(stmt);
                return STORE_NOTFOUND;
            }
            *id = sqlite3_column_int64(stmt, 0);
        }
        store_res_done(stmt);
        return STORE_OK;
    }

    store_int_error(st, rc, what);
    store_res_done(stmt);

    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
        || rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    {
        return STORE_CONFLICT;
    }
    return STORE_ERROR;
}

/* named parameters: statements made from descriptors use only some */
static int
bind_index(sqlite3_stmt *stmt, const char *name)
{
    return sqlite3_bind_parameter_index(stmt, name);
}

static void
bind_named_int(sqlite3_stmt *stmt, const char *name, int64_t v)
{
    int  i;

    i = bind_index(stmt, name);
    if (i > 0) {
        sqlite3_bind_int64(stmt, i, v);
    }
}

static void
store_res_bind_who(sqlite3_stmt *stmt, const store_reach_t *who)
{
    bind_named_int(stmt, ":tenant", who->tenant_id);
    bind_named_int(stmt, ":actor", who->user_id);
    bind_named_int(stmt, ":admin", who->admin ? 1 : 0);
    bind_named_int(stmt, ":operate_other", who->operate_other ? 1 : 0);
}

/* the parameter indexes of res's INSERT or UPDATE statement stmt */
static store_res_params_t *
store_res_params(store_t *st, const hrx_res_t *res, hrx_sql_e kind,
    sqlite3_stmt *stmt)
{
    store_res_cache_t       *c;
    store_res_params_t      *p;
    const hrx_res_field_t   *f;
    char                     name[96];
    unsigned                 i;

    c = store_res_cache(st);
    p = &c->params[res->id][kind == HRX_SQL_UPDATE];

    if (p->ready) {
        return p;
    }

    p->tenant = bind_index(stmt, ":tenant");
    p->id = bind_index(stmt, ":id");
    p->now = bind_index(stmt, ":now");
    p->actor = bind_index(stmt, ":actor");

    for (i = 0, f = res->fields; f->name && i < HRX_RES_AUX_MAX; i++, f++) {
        snprintf(name, sizeof(name), ":h_%s", f->name);
        p->h[i] = bind_index(stmt, name);
        snprintf(name, sizeof(name), ":f_%s", f->name);
        p->f[i] = bind_index(stmt, name);
    }

    p->ready = 1;
    return p;
}

static void
bind_at(sqlite3_stmt *stmt, int i, int64_t v)
{
    if (i > 0) {
        sqlite3_bind_int64(stmt, i, v);
    }
}

/*
 * The members of args that are columns of res: :f_<name> (the value, NULL
 * for null) and :h_<name> (1 when the member is present).  -1 only when
 * memory runs out or a value is not what validation let through.
 */
static int
store_res_bind_fields(store_t *st, sqlite3_stmt *stmt, const hrx_res_t *res,
    const json_t *args, const store_res_params_t *p)
{
    const hrx_res_field_t  *f;
    const json_t           *v;
    char                   *text;
    int64_t                 ms;
    int                     i;
    unsigned                k;

    for (k = 0, f = res->fields; f->name; k++, f++) {

        if (f->type == HRX_FT_IDS
            || (f->flags & (HRX_F_NOCOLUMN | HRX_F_READONLY)))
        {
            continue;
        }

        v = json_object_get(args, f->name);

        bind_at(stmt, p->h[k], v != NULL);

        i = p->f[k];
        if (i == 0 || v == NULL || json_is_null(v)) {
            continue;
        }

        switch (f->type) {

        case HRX_FT_STRING:
            sqlite3_bind_text(stmt, i, json_string_value(v),
                              (int) json_string_length(v), SQLITE_TRANSIENT);
            break;

        case HRX_FT_INT:
        case HRX_FT_REF:
            sqlite3_bind_int64(stmt, i, json_integer_value(v));
            break;

        case HRX_FT_BOOL:
            sqlite3_bind_int(stmt, i, json_is_true(v) ? 1 : 0);
            break;

        case HRX_FT_TIME:
            if (!json_is_string(v)
                || hrx_time_parse(json_string_value(v), &ms) != 0)
            {
                store_int_error(st, SQLITE_MISMATCH, f->name);
                return -1;
            }
            sqlite3_bind_int64(stmt, i, ms);
            break;

        default: /* HRX_FT_JSON */
            text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            if (text == NULL) {
                store_int_error(st, SQLITE_NOMEM, f->name);
                return -1;
            }
            sqlite3_bind_text(stmt, i, text, -1, free);
            break;
        }
    }

    return 0;
}

/* -------------------------------------------------------------------- */
/* rows */

int
store_res_reach(store_t *st, const hrx_res_t *res, const store_reach_t *who,
    int64_t id, int *reached)
{
    sqlite3_stmt  *stmt;
    int64_t        v;
    int            rc;

    stmt = store_res_stmt(st, res, HRX_SQL_REACH, 0);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    store_res_bind_who(stmt, who);
    bind_named_int(stmt, ":id", id);

    rc = store_res_run(st, stmt, "reach", &v);
    if (rc == STORE_OK) {
        *reached = v != 0;
    }
    return rc == STORE_CONFLICT ? STORE_ERROR : rc;
}

int
store_res_taken(store_t *st, const hrx_res_t *res, const hrx_res_field_t *f,
    int64_t tenant_id, const char *value, int64_t except_id)
{
    sqlite3_stmt  *stmt;
    int64_t        v;
    int            rc;

    stmt = store_res_stmt(st, res, HRX_SQL_UNIQUE,
                          (unsigned) (f - res->fields));
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_named_int(stmt, ":tenant", tenant_id);
    bind_named_int(stmt, ":id", except_id);
    sqlite3_bind_text(stmt, bind_index(stmt, ":value"), value, -1,
                      SQLITE_TRANSIENT);

    rc = store_res_run(st, stmt, "unique", &v);
    if (rc == STORE_OK) {
        return 1;
    }
    return rc == STORE_NOTFOUND ? 0 : STORE_ERROR;
}

int
store_res_insert(store_t *st, const hrx_res_t *res, int64_t tenant_id,
    const json_t *args, int64_t at, int64_t by, int64_t *id)
{
    sqlite3_stmt        *stmt;
    store_res_params_t  *p;
    int                  rc;

    stmt = store_res_stmt(st, res, HRX_SQL_INSERT, 0);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    p = store_res_params(st, res, HRX_SQL_INSERT, stmt);
    bind_at(stmt, p->tenant, tenant_id);
    bind_at(stmt, p->now, at);
    if (by != 0) {
        bind_at(stmt, p->actor, by);
    }
    if (store_res_bind_fields(st, stmt, res, args, p) != 0) {
        store_res_done(stmt);
        return STORE_ERROR;
    }

    rc = store_res_run(st, stmt, "insert", NULL);
    if (rc == STORE_OK) {
        *id = sqlite3_last_insert_rowid(store_int_db(st));
    }
    return rc;
}

int
store_res_update(store_t *st, const hrx_res_t *res, int64_t tenant_id,
    int64_t id, const json_t *args, int64_t at, int64_t by)
{
    sqlite3_stmt        *stmt;
    store_res_params_t  *p;

    stmt = store_res_stmt(st, res, HRX_SQL_UPDATE, 0);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    p = store_res_params(st, res, HRX_SQL_UPDATE, stmt);
    bind_at(stmt, p->tenant, tenant_id);
    bind_at(stmt, p->id, id);
    bind_at(stmt, p->now, at);
    if (by != 0) {
        bind_at(stmt, p->actor, by);
    }
    if (store_res_bind_fields(st, stmt, res, args, p) != 0) {
        store_res_done(stmt);
        return STORE_ERROR;
    }
    return store_res_run(st, stmt, "update", NULL);
}

int
store_res_delete(store_t *st, const hrx_res_t *res, int64_t tenant_id,
    int64_t id)
{
    sqlite3_stmt  *stmt;

    stmt = store_res_stmt(st, res, HRX_SQL_DELETE, 0);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_named_int(stmt, ":tenant", tenant_id);
    bind_named_int(stmt, ":id", id);
    return store_res_run(st, stmt, "delete", NULL);
}

int
store_res_dep_count(store_t *st, const hrx_res_t *res, unsigned dep,
    int64_t id, int64_t *n)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_res_stmt(st, res, HRX_SQL_DEP, dep);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_named_int(stmt, ":id", id);
    rc = store_res_run(st, stmt, "count users of a row", n);
    return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int
store_res_ungrant(store_t *st, const hrx_res_t *res, int64_t id)
{
    sqlite3_stmt  *stmt;

    stmt = store_res_stmt(st, res, HRX_SQL_UNGRANT, 0);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_named_int(stmt, ":id", id);
    return store_res_run(st, stmt, "delete grants", NULL) == STORE_OK
           ? STORE_OK : STORE_ERROR;
}

/*
 * Links to ids not given go, the given ones are added unless there: a
 * link that stays keeps its row (and its time, for link sets that have
 * one, such as the time a label was put on a candidate).
 */
int
store_res_links_set(store_t *st, const hrx_res_t *res,
    const hrx_res_field_t *f, int64_t id, const json_t *ids, int64_t at,
    int fresh)
{
    sqlite3_stmt  *stmt;
    unsigned       aux;
    size_t         i;
    char          *keep;
    int            rc;

    aux = (unsigned) (f - res->fields);

    if (fresh) {
        goto add;               /* a row just made has no links yet */
    }

    stmt = store_res_stmt(st, res, HRX_SQL_LINK_CLEAR, aux);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    keep = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
    if (ids != NULL && keep == NULL) {
        store_int_error(st, SQLITE_NOMEM, "links");
        store_res_done(stmt);
        return STORE_ERROR;
    }
    bind_named_int(stmt, ":id", id);
    sqlite3_bind_text(stmt, bind_index(stmt, ":keep"), keep ? keep : "[]",
                      -1, SQLITE_TRANSIENT);
    free(keep);
    if (store_res_run(st, stmt, "clear links", NULL) != STORE_OK) {
        return STORE_ERROR;
    }

add:

    for (i = 0; i < json_array_size(ids); i++) {
        stmt = store_res_stmt(st, res, HRX_SQL_LINK_ADD, aux);
        if (stmt == NULL) {
            return STORE_ERROR;
        }
        bind_named_int(stmt, ":id", id);
        bind_named_int(stmt, ":now", at);
        bind_named_int(stmt, ":other",
                       json_integer_value(json_array_get(ids, i)));
        rc = store_res_run(st, stmt, "add link", NULL);
        if (rc != STORE_OK) {
            return rc;
        }
    }
    return STORE_OK;
}

int
store_res_links_get(store_t *st, const hrx_res_t *res,
    const hrx_res_field_t *f, int64_t id, char **json)
{
    sqlite3_stmt         *stmt;
    const unsigned char  *s;
    int                   rc;

    stmt = store_res_stmt(st, res, HRX_SQL_LINK_GET,
                          (unsigned) (f - res->fields));
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    bind_named_int(stmt, ":id", id);

    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        store_int_error(st, rc, "get links");
        store_res_done(stmt);
        return STORE_ERROR;
    }
    s = sqlite3_column_text(stmt, 0);
    *json = strdup(s ? (const char *) s : "[]");
    store_res_done(stmt);
    if (*json == NULL) {
        store_int_error(st, SQLITE_NOMEM, "get links");
        return STORE_ERROR;
    }
    return STORE_OK;
}

/* -------------------------------------------------------------------- */
/* master group grants */

int
store_grants_set(store_t *st, int64_t group_id, const json_t *grants)
{
    sqlite3_stmt  *stmt;
    const json_t  *g;
    size_t         i;
    int            rc;

    stmt = store_res_special(st, RES_GRANTS_CLEAR);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, group_id);
    if (store_res_run(st, stmt, "clear grants", NULL) != STORE_OK) {
        return STORE_ERROR;
    }

    json_array_foreach(grants, i, g) {
        stmt = store_res_special(st, RES_GRANT_ADD);
        if (stmt == NULL) {
            return STORE_ERROR;
        }
        sqlite3_bind_int64(stmt, 1, group_id);
        sqlite3_bind_text(stmt, 2,
                          json_string_value(json_object_get(g, "type")), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_int64(stmt, 3,
                           json_integer_value(json_object_get(g, "id")));
        rc = store_res_run(st, stmt, "add grant", NULL);
        if (rc != STORE_OK) {
            return rc;
        }
    }
    return STORE_OK;
}

int
store_group_overfull(store_t *st, int64_t group_id, int64_t max,
    int64_t *user_id)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_res_special(st, RES_GROUP_OVERFULL);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, group_id);
    sqlite3_bind_int64(stmt, 2, max);
    rc = store_res_run(st, stmt, "count groups of members", user_id);
    return rc == STORE_CONFLICT ? STORE_ERROR : rc;
}

/* -------------------------------------------------------------------- */
/* event dates */

int
store_event_dates(store_t *st, int64_t event_id, store_event_date_t *out,
    size_t max, size_t *n)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_res_special(st, RES_DATES_GET);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, event_id);

    *n = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*n == max) {
            store_res_done(stmt);
            store_int_error(st, SQLITE_TOOBIG, "more event dates than "
                            "an event may have");
            return STORE_ERROR;
        }
        out[*n].id = sqlite3_column_int64(stmt, 0);
        out[*n].registered = sqlite3_column_int64(stmt, 1);
        (*n)++;
    }
    if (rc != SQLITE_DONE) {
        store_int_error(st, rc, "get event dates");
        store_res_done(stmt);
        return STORE_ERROR;
    }
    store_res_done(stmt);
    return STORE_OK;
}

static void
bind_time(sqlite3_stmt *stmt, int i, int64_t ms)
{
    if (ms > 0) {
        sqlite3_bind_int64(stmt, i, ms);
    } else {
        sqlite3_bind_null(stmt, i);
    }
}

int
store_event_date_insert(store_t *st, int64_t event_id, int64_t starts,
    int64_t ends, int64_t capacity)
{
    sqlite3_stmt  *stmt;

    stmt = store_res_special(st, RES_DATE_INSERT);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, event_id);
    sqlite3_bind_int64(stmt, 2, starts);
    bind_time(stmt, 3, ends);
    sqlite3_bind_int64(stmt, 4, capacity);
    return store_res_run(st, stmt, "insert event date", NULL) == STORE_OK
           ? STORE_OK : STORE_ERROR;
}

int
store_event_date_update(store_t *st, int64_t event_id, int64_t id,
    int64_t starts, int64_t ends, int64_t capacity)
{
    sqlite3_stmt  *stmt;

    stmt = store_res_special(st, RES_DATE_UPDATE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, event_id);
    sqlite3_bind_int64(stmt, 2, id);
    sqlite3_bind_int64(stmt, 3, starts);
    bind_time(stmt, 4, ends);
    sqlite3_bind_int64(stmt, 5, capacity);
    return store_res_run(st, stmt, "update event date", NULL) == STORE_OK
           ? STORE_OK : STORE_ERROR;
}

int
store_event_date_delete(store_t *st, int64_t event_id, int64_t id)
{
    sqlite3_stmt  *stmt;

    stmt = store_res_special(st, RES_DATE_DELETE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, event_id);
    sqlite3_bind_int64(stmt, 2, id);
    return store_res_run(st, stmt, "delete event date", NULL) == STORE_OK
           ? STORE_OK : STORE_ERROR;
}

/* -------------------------------------------------------------------- */
/* candidates */

int
store_candidate_route(store_t *st, int64_t tenant_id, int64_t id,
    int *agent, int *has_agent)
{
    sqlite3_stmt  *stmt;
    int            rc;

    stmt = store_res_special(st, RES_CANDIDATE_ROUTE);
    if (stmt == NULL) {
        return STORE_ERROR;
    }
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_int64(stmt, 2, id);

    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *agent = sqlite3_column_int(stmt, 0);
        *has_agent = sqlite3_column_int(stmt, 1);
        store_res_done(stmt);
        return STORE_OK;
    }
    if (rc == SQLITE_DONE) {
        store_res_done(stmt);
        return STORE_NOTFOUND;
    }
    store_int_error(st, rc, "candidate route");
    store_res_done(stmt);
    return STORE_ERROR;
}
