/*
 * Resource descriptors: the recruiting data of docs/data-model.md as
 * tables, shared by both processes.
 *
 * One hrx_res_t per resource (labels, events, ...) says everything the
 * generic code needs: table, API path, fields (type, limits, required,
 * unique, reference to another resource), the permission that manages
 * it, how a user reaches it, and which rows keep it from being deleted.
 * From that:
 *
 *   hrx_res_validate()  checks a request body (the worker) and the same
 *                       args again (the scheduler), with the same errors
 *   hrx_res_sql()       writes every statement both sides run for the
 *                       resource: SQL text made only from the names in
 *                       these tables, values always bound as named
 *                       parameters, so input never becomes SQL
 *
 * The worker's generic handlers (ngx_http_hrx_api_resource.c) and the
 * scheduler's generic apply (scheduler/apply_resource.c) are driven by
 * these tables; what does not fit a table (roles' last admin, master
 * groups' grants, events' dates) is a per-resource hook there.
 *
 * Named parameters of the generated statements:
 *
 *   :tenant :id :after :limit      row selection
 *   :actor :admin :operate_other   who reads (see hrx_sql_reach())
 *   :now                           the time of a change (unix ms)
 *   :f_<column> / :h_<column>      a field's value / whether it is given
 *   :value :other                  unique check / link target
 *   :keep                          the links a link set keeps (JSON)
 */
#ifndef HRX_RESOURCE_H
#define HRX_RESOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>


/* permissions (docs/commands.md), one bit each; the module's
 * NGX_HTTP_HRX_PERM_* have the same values */
#define HRX_PERM_CANDIDATES_OPERATE_OTHER  0x01
#define HRX_PERM_BULK_ACTIONS_MANAGE       0x02
#define HRX_PERM_MESSAGES_VIEW_REPLY       0x04
#define HRX_PERM_INTEGRATIONS_ADMIN        0x08
#define HRX_PERM_TEMPLATES_MANAGE          0x10
#define HRX_PERM_CAMPAIGNS_MANAGE          0x20
#define HRX_PERM_USERS_ADMIN               0x40
#define HRX_PERM_ALL                       0x7f

/* the name of one permission bit, or NULL */
const char *hrx_perm_name(unsigned bit);
/* a role's permission list (JSON array text) as bits; unknown names and
 * broken text count as nothing */
unsigned hrx_perm_bits(const char *json, size_t len);


/* resources, in the order of hrx_resources[] */
typedef enum {
    HRX_RES_ROLE = 0,
    HRX_RES_MASTER_GROUP,
    HRX_RES_CANDIDATE_GROUP,
    HRX_RES_LABEL,
    HRX_RES_AGENT,
    HRX_RES_JOB_OPENING,
    HRX_RES_INTERVIEW,
    HRX_RES_SEARCH_GROUP,
    HRX_RES_SAVED_SEARCH,
    HRX_RES_EVENT_GROUP,
    HRX_RES_EVENT,
    HRX_RES_FORM,
    HRX_RES_TEMPLATE,
    HRX_RES_USER,           /* reference target only (users have their
                               own handlers) */
    HRX_RES_CANDIDATE,      /* generic, plus candidate.import */
    HRX_RES_MAX
} hrx_res_id_e;

/* field types */
typedef enum {
    HRX_FT_STRING = 1,   /* min..max characters; values: one of them */
    HRX_FT_INT,          /* min..max */
    HRX_FT_BOOL,         /* stored 0/1 */
    HRX_FT_TIME,         /* RFC 3339 in the API, unix ms in the column */
    HRX_FT_REF,          /* id of a row of resource ref, same tenant */
    HRX_FT_IDS,          /* unique ids of ref (at most max), stored in
                            the link table, not a column */
    HRX_FT_JSON          /* a JSON value checked by check, at most max
                            bytes; a column of JSON text unless
                            HRX_F_NOCOLUMN (then a hook stores it) */
} hrx_ftype_e;

/* field flags */
#define HRX_F_REQUIRED   0x01    /* on create; never null */
#define HRX_F_UNIQUE     0x02    /* per tenant, case-insensitive */
#define HRX_F_READONLY   0x04    /* rendered, never written by the API:
                                    given in a body, 400 read_only */
#define HRX_F_NOCOLUMN   0x08    /* written by a hook, rendered by render */

/* reach: who sees a row (docs/data-model.md "Who reaches what") */
typedef enum {
    HRX_REACH_ALL = 0,   /* every user of the tenant */
    HRX_REACH_ADMIN,     /* users.admin only */
    HRX_REACH_GRANT,     /* master group grants of type grant, on the row
                            itself or, with via, on the row via names */
    HRX_REACH_CANDIDATE  /* the operate rule: on the row (a candidate)
                            or, with via, on the candidate via names */
} hrx_reach_e;


/* an error of a check: what the API answers */
typedef struct {
    int          status;           /* 400, 403, 404, 409 */
    const char  *code;             /* static */
    char         field[128];       /* "" when no single field */
    char         message[256];
} hrx_res_err_t;

/* 0, or -1 with err set; field is the name to report (a path) */
typedef int (*hrx_res_check_pt)(const json_t *value, const char *field,
    hrx_res_err_t *err);

typedef struct {
    const char          *name;     /* API member and column; NULL ends */
    hrx_ftype_e          type;
    unsigned             flags;
    int64_t              min;      /* characters / value / items */
    int64_t              max;      /* characters / value / items / bytes */
    const char *const   *values;   /* allowed strings, NULL-terminated */
    const char          *dflt;     /* SQL literal for an absent value */
    hrx_res_check_pt     check;
    hrx_res_id_e         ref;      /* REF, IDS */
    const char          *link;     /* IDS: link table, */
    const char          *link_self;    /* its column naming this row */
    const char          *link_other;   /* and the one naming ref's */
    const char          *render;   /* NOCOLUMN: SQL of its JSON, over t */
    const char          *link_at;  /* IDS: a column of the link table set
                                      to :now when a link is added (a link
                                      kept by an update keeps its time) */
} hrx_res_field_t;

/* rows of another table that keep a row from being deleted */
typedef struct {
    const char  *table;
    const char  *column;
    const char  *what;         /* "users", for the message */
} hrx_res_dep_t;

/*
 * A check of the body as a whole, after every field passed its own:
 * rules between fields (a candidate's route and agent_id).  mode as for
 * hrx_res_validate(); 0, or -1 with err set.
 */
typedef int (*hrx_res_body_check_pt)(const json_t *body, int mode,
    hrx_res_err_t *err);

/* resource flags */
#define HRX_RES_EDIT_BY_REACH  0x01   /* update needs only reach (the
                                         operate rule), not manage */

typedef struct {
    hrx_res_id_e             id;
    const char              *name;     /* "label": ops label.create ...,
                                          audit object_type */
    const char              *path;     /* "/api/v1/labels"; NULL: none */
    const char              *table;
    unsigned                 manage;   /* HRX_PERM_* to create/update/
                                          delete */
    unsigned                 read;     /* HRX_PERM_* to read, or 0 */
    hrx_reach_e              reach;
    const char              *grant;    /* GRANT: object_type of grants */
    const char              *via;      /* GRANT/CANDIDATE: column */
    const hrx_res_field_t   *fields;
    const hrx_res_dep_t     *deps;     /* NULL-table-terminated, or NULL */
    unsigned                 flags;    /* HRX_RES_EDIT_BY_REACH */
    hrx_res_body_check_pt    check;    /* or NULL */
} hrx_res_t;

extern const hrx_res_t  hrx_resources[HRX_RES_MAX];

#define hrx_res(id)  (&hrx_resources[id])

/* the resource served under path ("/api/v1/labels" or ".../{id}") */
const hrx_res_t *hrx_res_by_path(const char *path, size_t len);
/* the resource whose grants have object_type type, or NULL */
const hrx_res_t *hrx_res_by_grant(const char *type);
/* "label.update" -> labels and HRX_RES_UPDATE; NULL when not ours */
const hrx_res_t *hrx_res_by_op(const char *op, int *action);
const hrx_res_field_t *hrx_res_field(const hrx_res_t *res,
    const char *name);

#define HRX_RES_CREATE  1
#define HRX_RES_UPDATE  2
#define HRX_RES_DELETE  3
/* flag for hrx_res_validate: args of a command, which carry "id" */
#define HRX_RES_ARGS    0x100

/*
 * Check a body for create or update (| HRX_RES_ARGS in the scheduler):
 * unknown members, read-only members, types, lengths, ranges, shapes,
 * required members, then the resource's body check.
 * A null is "absent" on create, "clear it" on update (refused for a
 * required field).  0, or -1 with err set (400, naming the field).
 */
int hrx_res_validate(const hrx_res_t *res, const json_t *body, int mode,
    hrx_res_err_t *err);

/* err helper: sets err, returns -1 */
int hrx_res_fail(hrx_res_err_t *err, int status, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* RFC 3339 date-time -> unix ms: 0, or -1 */
int hrx_time_parse(const char *s, int64_t *ms);

/* checks usable in other tables (and by other code) */
int hrx_check_ids(const json_t *value, const char *field, int64_t max,
    hrx_res_err_t *err);        /* an array of unique ids > 0 */
int hrx_check_email(const json_t *value, const char *field,
    hrx_res_err_t *err);
int hrx_check_e164(const json_t *value, const char *field,
    hrx_res_err_t *err);        /* "+819012345678" */
int hrx_check_country(const json_t *value, const char *field,
    hrx_res_err_t *err);        /* ISO 3166-1 alpha-2, "JP" */
int hrx_check_custom_fields(const json_t *value, const char *field,
    hrx_res_err_t *err);        /* candidates.custom_fields */

/* a custom field key: ^[a-z][a-z0-9_]{0,39}$ */
int hrx_custom_key_valid(const char *s, size_t len);

#define HRX_CUSTOM_FIELDS_MAX       50      /* keys */
#define HRX_CUSTOM_VALUE_MAX        1000    /* characters of a string */
#define HRX_CANDIDATE_LABELS_MAX    100


/* statements, generated by hrx_res_sql() */
typedef enum {
    HRX_SQL_GET = 0,     /* -> id, JSON text: one reached row (:id) */
    HRX_SQL_LIST,        /* -> id, JSON text: reached rows > :after */
    HRX_SQL_REACH,       /* -> reached 0/1 for row :id of the tenant */
    HRX_SQL_UNIQUE,      /* aux field: a row with :value, other than :id */
    HRX_SQL_INSERT,      /* the new row's id: sqlite3_last_insert_rowid
                            (no RETURNING: it costs a temp table a row) */
    HRX_SQL_UPDATE,      /* the :h_ given columns of row :id */
    HRX_SQL_DELETE,
    HRX_SQL_DEP,         /* aux dep: count of rows using :id */
    HRX_SQL_UNGRANT,     /* grants on row :id */
    HRX_SQL_LINK_GET,    /* aux field: JSON array of row :id's links */
    HRX_SQL_LINK_CLEAR,  /* aux field: the links of row :id to ids not
                            in :keep (a JSON array) */
    HRX_SQL_LINK_ADD,    /* aux field: :id -> :other, unless there */
    HRX_SQL_OBJECT,      /* not a statement: the json_object(...) of row
                            alias t, for statements of other code (a
                            search's page of candidates) */
    HRX_SQL_MAX
} hrx_sql_e;

#define HRX_RES_AUX_MAX  32          /* fields (or deps) per resource */
#define HRX_SQL_SIZE     16384       /* enough for any of them */

/* 0 and the statement in buf, or -1 (no such statement for res) */
int hrx_res_sql(const hrx_res_t *res, hrx_sql_e kind, unsigned aux,
    char *buf, size_t size);

/*
 * Reach as SQL, for statements of other code (candidates, searches):
 * boolean expressions using :actor, :admin and :operate_other, which the
 * caller binds (ngx_http_hrx_reach_bind(), store_reach_bind()).
 *
 * hrx_sql_reach:   the actor reaches the object whose id is the SQL
 *                  expression id, of grant type type ("search_group")
 * hrx_sql_operate: the actor operates on the candidate row alias c
 *
 * Both return 0, or -1 when buf is too small.
 */
int hrx_sql_reach(char *buf, size_t size, const char *type, const char *id);
int hrx_sql_operate(char *buf, size_t size, const char *c);


#endif /* HRX_RESOURCE_H */
