/*
 * Saved-search conditions: validation and compilation to SQL.
 *
 * A condition is a JSON tree written by recruiters in the search builder
 * and stored with the saved search; it is evaluated at execution time
 * (SPEC §0), so the same tree is compiled again for every count, list and
 * bulk action.  Compilation is pure and cheap: one walk that validates a
 * node and appends its SQL, so a condition that compiles is by
 * construction one that validated, and the first error stops the walk
 * with the path of the offending node ("condition.all[1].any[0].value").
 *
 * No byte of input ever reaches the SQL text.  Field names select a row of
 * hrx_search_fields (field -> column expression), operators select a fixed
 * template, and every value -- strings, numbers, times, the JSON path of a
 * custom field ("$.key", after the key matched ^[a-z][a-z0-9_]{0,39}$),
 * the list of an `in` -- becomes a typed bind.  The only literals in the
 * SQL ('agent', '', 'text', 'integer', 'real') are written in this file.
 *
 * Semantics, chosen to match what a recruiter reads in the builder:
 *
 * - NULL.  SQL's three-valued logic would make `not` lose every candidate
 *   whose column is NULL (NOT NULL is NULL).  Instead every negation is a
 *   true complement: `not X` compiles to `((X) IS NOT 1)`, so it matches
 *   exactly the candidates X does not, and `ne` is the complement of `eq`
 *   (`col IS NOT ?`): "school ne Tokyo" includes candidates without a
 *   school.  eq, in, range, contains never match NULL; regex gives 0 for
 *   NULL (so `not regex` matches it).  A custom key the candidate lacks
 *   is NULL.
 * - exists.  For text (and custom fields) an empty string counts as
 *   absent: `coalesce(col, '') <> ''`.  For numbers and ids: IS NOT NULL.
 * - contains.  `instr(lower(col), lower(?)) > 0` rather than LIKE: nothing
 *   to escape (% and _ in the value are plain characters, no ESCAPE clause
 *   to get wrong), and PRAGMA case_sensitive_like cannot change its
 *   meaning.  Both fold ASCII letters only (SQLite's lower() without ICU);
 *   Japanese text has no case, so this is what a recruiter expects.  An
 *   empty value is refused (it would match every non-empty column).
 *   That test is the meaning; how it is served: on a field of the FTS5
 *   trigram index candidate_text (the text columns; not status, route or
 *   custom fields), with a value of 3 characters or more (the index finds
 *   nothing shorter), and where the prefilter can lead the plan (reached
 *   from the root through `all` only, not under `not` or `any`), it
 *   becomes `(c.id IN (<MATCH of the value as one FTS5 phrase> UNION ALL
 *   <the ids not indexed yet>) AND <the test>)`.  That selects exactly
 *   what the test alone does because the prefilter holds every candidate
 *   the test can match.  A candidate is either indexed with its text of
 *   now or pending (the triggers of migration 5), and the index is a
 *   superset of the test: the trigram tokenizer maps each code point
 *   on its own to one lower-case code point (a Unicode table, A-Z to a-z
 *   among them), so wherever lower(col) holds lower(value), the folded
 *   column holds the folded value, and that is what the phrase of its
 *   trigrams matches; the index finds more (É for é, ＴＯＫＹＯ for tokyo)
 *   and the test drops those.  The prefilter is never NULL, so the pair
 *   is 1 exactly when the test is, and only "is it 1" matters to all, any
 *   and not (IS NOT 1).  It rests too on columns of valid UTF-8 without
 *   NUL (where the tokenizer would stop reading), which every writer's
 *   validation ensures.
 * - eq / ne / in compare as stored: email is COLLATE NOCASE in the schema
 *   (so these ignore its case), other text compares exactly.
 * - in.  `col IN (SELECT value FROM json_each(?))` with the list bound as
 *   one JSON array: a condition of 200 nodes of 500 values each would
 *   otherwise need 100 000 parameters, over SQLITE_MAX_VARIABLE_NUMBER.
 * - range is inclusive; a null bound is open; both null, or min > max, is
 *   refused rather than silently matching everything or nothing.
 * - created_at / updated_at take RFC 3339 date-times, converted to unix ms
 *   here (the schema stores ms).
 * - status and route values must be one of the schema's values, so a typo
 *   is a 400 instead of a search that silently finds nobody.
 * - custom.<key>: json_extract() gives text for strings, integer or real
 *   for numbers and 1/0 for booleans.  eq/ne with a boolean compile to
 *   json_type(...) = ? with "true"/"false" bound, so they match booleans
 *   only; eq/ne/in with a number compare numerically (and, as SQLite
 *   reads JSON, 1 equals true).  contains and regex see numbers as text.
 *   range takes two numbers or two strings (ISO dates stored as strings
 *   sort correctly) and only takes values of that JSON type (SQLite orders
 *   every number below every text, so "score >= 10" alone would take the
 *   string "5"; booleans stay out of numeric ranges).
 * - has_interview is any interview, past or future.
 *
 * hrx_regexp(pattern, value) is the SQL side of `regex`: PCRE2 with the
 * compiled pattern, its match data and match context cached per statement
 * in SQLite's auxdata (a bound pattern is constant for the statement, so
 * it is compiled once, not once per row), and match, depth and heap limits
 * so a pattern like (a+)+$ costs at most a bounded amount of work per row.
 * A row that hits a limit does not match, and is counted
 * (hrx_regexp_stats) so the worker can log it or tell the user.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include "hrx_atomic.h"
#include "hrx_search.h"


typedef enum {
    HRX_FT_TEXT = 0,
    HRX_FT_INT,             /* any integer */
    HRX_FT_ID,              /* integer >= 1 */
    HRX_FT_BOOL,            /* stored 0/1 */
    HRX_FT_TIME,            /* RFC 3339 in, unix ms stored */
    HRX_FT_CUSTOM           /* json_extract(c.custom_fields, '$.key') */
} hrx_search_ftype_t;

typedef enum {
    HRX_OP_EQ = 0,
    HRX_OP_NE,
    HRX_OP_IN,
    HRX_OP_RANGE,
    HRX_OP_CONTAINS,
    HRX_OP_REGEX,
    HRX_OP_EXISTS,
    HRX_OP_COUNT
} hrx_search_op_t;

#define HRX_OP(o)       (1u << HRX_OP_##o)
#define HRX_OPS_TEXT    (HRX_OP(EQ) | HRX_OP(NE) | HRX_OP(IN)                 \
                         | HRX_OP(CONTAINS) | HRX_OP(REGEX) | HRX_OP(EXISTS))
#define HRX_OPS_NUM     (HRX_OP(EQ) | HRX_OP(NE) | HRX_OP(IN)                 \
                         | HRX_OP(RANGE) | HRX_OP(EXISTS))
#define HRX_OPS_BOOL    (HRX_OP(EQ) | HRX_OP(NE) | HRX_OP(EXISTS))
#define HRX_OPS_ALL     ((1u << HRX_OP_COUNT) - 1)

typedef struct {
    const char          *name;
    const char          *column;    /* SQL over alias c */
    hrx_search_ftype_t   type;
    const char *const   *values;    /* allowed values (NULL-ended), or NULL */
    const char          *text;      /* column of candidate_text, or NULL */
} hrx_search_field_t;

static const char *const hrx_search_statuses[] = {
    "applied", "screening", "interview", "offer", "hired", "rejected",
    "withdrawn", NULL
};

static const char *const hrx_search_routes[] = { "direct", "agent", NULL };

/*
 * the only way a field name becomes SQL; text: its column in the FTS
 * index candidate_text (scheduler/schema.c, migration 5), NULL if none
 */
static const hrx_search_field_t hrx_search_fields[] = {
    { "family_name",        "c.family_name",        HRX_FT_TEXT, NULL,
      "family_name" },
    { "given_name",         "c.given_name",         HRX_FT_TEXT, NULL,
      "given_name" },
    { "family_name_kana",   "c.family_name_kana",   HRX_FT_TEXT, NULL,
      "family_name_kana" },
    { "given_name_kana",    "c.given_name_kana",    HRX_FT_TEXT, NULL,
      "given_name_kana" },
    { "email",              "c.email",              HRX_FT_TEXT, NULL,
      "email" },
    { "phone",              "c.phone",              HRX_FT_TEXT, NULL,
      "phone" },
    { "country",            "c.country",            HRX_FT_TEXT, NULL,
      "country" },
    { "graduation_year",    "c.graduation_year",    HRX_FT_INT,  NULL, NULL },
    { "school",             "c.school",             HRX_FT_TEXT, NULL,
      "school" },
    { "status",             "c.status",             HRX_FT_TEXT,
      hrx_search_statuses, NULL },
    { "candidate_group_id", "c.candidate_group_id", HRX_FT_ID,   NULL, NULL },
    { "owner_id",           "c.owner_id",           HRX_FT_ID,   NULL, NULL },
    { "route",              "c.route",              HRX_FT_TEXT,
      hrx_search_routes, NULL },
    { "agent_id",           "c.agent_id",           HRX_FT_ID,   NULL, NULL },
    { "job_opening_id",     "c.job_opening_id",     HRX_FT_ID,   NULL, NULL },
    { "opted_out",          "c.opted_out",          HRX_FT_BOOL, NULL, NULL },
    { "created_at",         "c.created_at",         HRX_FT_TIME, NULL, NULL },
    { "updated_at",         "c.updated_at",         HRX_FT_TIME, NULL, NULL },
    { NULL, NULL, HRX_FT_TEXT, NULL, NULL }
};

#define HRX_CUSTOM_PREFIX     "custom."
#define HRX_CUSTOM_COLUMN     "json_extract(c.custom_fields, ?)"
#define HRX_CUSTOM_TYPE       "json_type(c.custom_fields, ?)"
#define HRX_CUSTOM_KEY_MAX    40

/* the only way an operator becomes SQL (templates are in hrx_sc_leaf) */
static const char *const hrx_search_ops[HRX_OP_COUNT] = {
    "eq", "ne", "in", "range", "contains", "regex", "exists"
};

static const hrx_search_field_t hrx_search_custom_field = {
    "custom", HRX_CUSTOM_COLUMN, HRX_FT_CUSTOM, NULL, NULL
};

/*
 * has_label as IN rather than a correlated EXISTS: SQLite can then start
 * from the label's index (candidate_labels_label) and look candidates up
 * by rowid, instead of probing the label table once per candidate of the
 * tenant.  Neither column is ever NULL, so IN is never NULL and "not"
 * stays an exact complement.
 */
#define HRX_SQL_HAS_LABEL                                                     \
    "c.id IN (SELECT cl.candidate_id FROM candidate_labels cl"                \
    " WHERE cl.label_id = ?)"
#define HRX_SQL_HAS_INTERVIEW                                                 \
    "EXISTS (SELECT 1 FROM interviews i WHERE i.candidate_id = c.id)"

/*
 * The prefilter of `contains` (see the top): candidates whose column
 * holds the needle as the trigram index folds case, and those not in the
 * index yet (fewer than 256, migration 5), written so that SQLite can
 * start from them and look candidates up by id.
 */
#define HRX_SQL_TEXT_PREFILTER                                                \
    "c.id IN (SELECT ft.rowid FROM candidate_text ft WHERE ft."
#define HRX_SQL_TEXT_MATCH                                                    \
    " MATCH ? UNION ALL SELECT tp.id FROM candidate_text_pending tp)"
#define HRX_TEXT_MIN_CHARS    3     /* a trigram index finds nothing shorter */

#define HRX_PCRE2_OPTIONS     PCRE2_UTF


struct hrx_search_s {
    char                *sql;
    hrx_search_bind_t   *binds;
    int                  nbinds;
};

/* compile state */
typedef struct {
    char                *sql;
    size_t               len;
    size_t               cap;
    hrx_search_bind_t   *binds;
    int                  nbinds;
    int                  bcap;
    int                  nodes;
    int                  oom;
    unsigned             flags;     /* HRX_SEARCH_NO_TEXT_INDEX */
    int                  conj;      /* reached from the root through all */
    hrx_search_error_t  *err;
    size_t               plen;
    char                 path[HRX_SEARCH_PATH_MAX];
} hrx_sc_t;


static _Atomic uint64_t  hrx_regexp_compiles;
static _Atomic uint64_t  hrx_regexp_limit_hits;


static int hrx_sc_node(hrx_sc_t *sc, const json_t *node, int depth);
static int hrx_sc_fail(hrx_sc_t *sc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


/* output ------------------------------------------------------------------ */


static void
hrx_sc_put(hrx_sc_t *sc, const char *s)
{
    size_t   n, cap;
    char    *p;

    if (sc->oom) {
        return;
    }

    n = strlen(s);

    if (sc->len + n + 1 > sc->cap) {
        cap = sc->cap ? sc->cap : 256;

        while (cap < sc->len + n + 1) {
            cap *= 2;
        }

        p = realloc(sc->sql, cap);
        if (p == NULL) {
            sc->oom = 1;
            return;
        }

        sc->sql = p;
        sc->cap = cap;
    }

    memcpy(sc->sql + sc->len, s, n + 1);
    sc->len += n;
}


static hrx_search_bind_t *
hrx_sc_bind(hrx_sc_t *sc, hrx_search_bind_type_t type)
{
    int                 cap;
    hrx_search_bind_t  *b;

    if (sc->oom) {
        return NULL;
    }

    if (sc->nbinds == sc->bcap) {
        cap = sc->bcap ? sc->bcap * 2 : 16;
        b = realloc(sc->binds, (size_t) cap * sizeof(*b));
        if (b == NULL) {
            sc->oom = 1;
            return NULL;
        }

        sc->binds = b;
        sc->bcap = cap;
    }

    b = &sc->binds[sc->nbinds++];
    memset(b, 0, sizeof(*b));
    b->type = type;

    return b;
}


static void
hrx_sc_bind_int(hrx_sc_t *sc, int64_t v)
{
    hrx_search_bind_t  *b;

    b = hrx_sc_bind(sc, HRX_SEARCH_BIND_INT);
    if (b) {
        b->i = v;
    }
}


static void
hrx_sc_bind_text(hrx_sc_t *sc, const char *s, size_t len)
{
    hrx_search_bind_t  *b;

    b = hrx_sc_bind(sc, HRX_SEARCH_BIND_TEXT);
    if (b == NULL) {
        return;
    }

    b->text = malloc(len + 1);
    if (b->text == NULL) {
        /* the slot stays, typed TEXT with text NULL: freed as such */
        sc->oom = 1;
        return;
    }

    memcpy(b->text, s, len);
    b->text[len] = '\0';
    b->len = len;
}


/*
 * The needle of `contains` as one FTS5 string, which FTS5 reads as a
 * phrase: in double quotes, with a double quote doubled.  Nothing else
 * means anything inside one (no AND/OR/NOT/NEAR, column filter, prefix
 * '*', '^' or '-'), so every other character only reaches the tokenizer.
 */
static void
hrx_sc_bind_phrase(hrx_sc_t *sc, const char *s, size_t len)
{
    size_t              i, n;
    hrx_search_bind_t  *b;

    b = hrx_sc_bind(sc, HRX_SEARCH_BIND_TEXT);
    if (b == NULL) {
        return;
    }

    b->text = malloc(2 * len + 3);
    if (b->text == NULL) {
        sc->oom = 1;
        return;
    }

    n = 0;
    b->text[n++] = '"';

    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            b->text[n++] = '"';
        }

        b->text[n++] = s[i];
    }

    b->text[n++] = '"';
    b->text[n] = '\0';
    b->len = n;
}


/* a scalar value converted for its field: appends "?" and its bind */
typedef struct {
    hrx_search_bind_type_t   type;
    int64_t                  i;
    double                   d;
    const char              *s;
    size_t                   len;
    int                      boolean;   /* a custom-field true/false */
} hrx_sc_value_t;


static void
hrx_sc_put_value(hrx_sc_t *sc, const hrx_sc_value_t *v)
{
    hrx_search_bind_t  *b;

    hrx_sc_put(sc, "?");

    if (v->type == HRX_SEARCH_BIND_TEXT) {
        hrx_sc_bind_text(sc, v->s, v->len);
        return;
    }

    b = hrx_sc_bind(sc, v->type);
    if (b) {
        b->i = v->i;
        b->d = v->d;
    }
}


/* the column expression of a field; a custom field binds its JSON path */
static void
hrx_sc_put_column(hrx_sc_t *sc, const hrx_search_field_t *f,
    const char *jpath, size_t jlen)
{
    hrx_sc_put(sc, f->column);

    if (f->type == HRX_FT_CUSTOM) {
        hrx_sc_bind_text(sc, jpath, jlen);
    }
}


/* errors ------------------------------------------------------------------ */


static size_t
hrx_sc_path_push(hrx_sc_t *sc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


/* appends to the path (truncating at the buffer); returns the old length */
static size_t
hrx_sc_path_push(hrx_sc_t *sc, const char *fmt, ...)
{
    int      n;
    size_t   old;
    va_list  args;

    old = sc->plen;

    va_start(args, fmt);
    n = vsnprintf(sc->path + sc->plen, sizeof(sc->path) - sc->plen, fmt,
                  args);
    va_end(args);

    if (n > 0) {
        sc->plen += (size_t) n;

        if (sc->plen >= sizeof(sc->path)) {
            sc->plen = sizeof(sc->path) - 1;
        }
    }

    return old;
}


static void
hrx_sc_path_pop(hrx_sc_t *sc, size_t old)
{
    sc->plen = old;
    sc->path[old] = '\0';
}


/* always -1, for "return hrx_sc_fail(...)" */
static int
hrx_sc_fail(hrx_sc_t *sc, const char *code, const char *fmt, ...)
{
    int                  n;
    va_list              args;
    hrx_search_error_t  *err;

    err = sc->err;

    snprintf(err->path, sizeof(err->path), "%s", sc->path);
    err->code = code;

    n = snprintf(err->message, sizeof(err->message), "\"%s\" ", sc->path);
    if (n < 0 || (size_t) n >= sizeof(err->message)) {
        return -1;
    }

    va_start(args, fmt);
    vsnprintf(err->message + n, sizeof(err->message) - (size_t) n, fmt,
              args);
    va_end(args);

    return -1;
}


/*
 * User text quoted in a message: at most 60 bytes, cut on a UTF-8
 * character boundary, control characters shown as '?'.
 */
static const char *
hrx_sc_quote(const char *s, size_t len, char *buf, size_t size)
{
    size_t  i, n, max;

    max = size - 4;         /* room for "..." and NUL */
    if (max > 60) {
        max = 60;
    }

    n = len < max ? len : max;

    if (n < len) {
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    for (i = 0; i < n; i++) {
        buf[i] = ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    }

    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }

    buf[n] = '\0';

    return buf;
}


static size_t
hrx_sc_utf8_chars(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


/* values ------------------------------------------------------------------ */


/* a string value: at most HRX_SEARCH_MAX_STRING characters, no NUL */
static int
hrx_sc_string(hrx_sc_t *sc, const json_t *v, const char **s, size_t *len)
{
    if (!json_is_string(v)) {
        return hrx_sc_fail(sc, "invalid_type", "must be a string");
    }

    *s = json_string_value(v);
    *len = json_string_length(v);

    if (hrx_sc_utf8_chars(*s, *len) > HRX_SEARCH_MAX_STRING) {
        return hrx_sc_fail(sc, "invalid_value",
                           "must have at most %d characters",
                           HRX_SEARCH_MAX_STRING);
    }

    if (memchr(*s, '\0', *len) != NULL) {
        return hrx_sc_fail(sc, "invalid_value",
                           "must not contain a NUL character");
    }

    return 0;
}


static int
hrx_sc_enum(hrx_sc_t *sc, const hrx_search_field_t *f, const char *s,
    size_t len)
{
    size_t              n;
    char                q[64], list[160];
    const char *const  *e;

    for (e = f->values; *e; e++) {
        if (strlen(*e) == len && memcmp(*e, s, len) == 0) {
            return 0;
        }
    }

    list[0] = '\0';
    n = 0;

    for (e = f->values; *e; e++) {
        n += (size_t) snprintf(list + n, sizeof(list) - n, "%s%s",
                               e == f->values ? "" : ", ", *e);
        if (n >= sizeof(list)) {
            break;
        }
    }

    return hrx_sc_fail(sc, "invalid_value",
                       "must be one of %s for %s, not \"%s\"", list,
                       f->name, hrx_sc_quote(s, len, q, sizeof(q)));
}


/*
 * One scalar for eq / ne / in / range, converted for the field.  The path
 * already names the value.
 */
static int
hrx_sc_scalar(hrx_sc_t *sc, const hrx_search_field_t *f, const json_t *v,
    hrx_sc_value_t *out)
{
    char         q[64];
    const char  *s;
    size_t       len;

    memset(out, 0, sizeof(*out));

    switch (f->type) {

    case HRX_FT_TEXT:
        if (hrx_sc_string(sc, v, &s, &len) != 0) {
            return -1;
        }

        if (f->values && hrx_sc_enum(sc, f, s, len) != 0) {
            return -1;
        }

        out->type = HRX_SEARCH_BIND_TEXT;
        out->s = s;
        out->len = len;
        return 0;

    case HRX_FT_INT:
    case HRX_FT_ID:
        if (!json_is_integer(v)) {
            return hrx_sc_fail(sc, "invalid_type", "must be an integer");
        }

        if (f->type == HRX_FT_ID && json_integer_value(v) < 1) {
            return hrx_sc_fail(sc, "invalid_value",
                               "must be an id (an integer >= 1)");
        }

        out->type = HRX_SEARCH_BIND_INT;
        out->i = json_integer_value(v);
        return 0;

    case HRX_FT_BOOL:
        if (!json_is_boolean(v)) {
            return hrx_sc_fail(sc, "invalid_type", "must be true or false");
        }

        out->type = HRX_SEARCH_BIND_INT;
        out->i = json_is_true(v);
        return 0;

    case HRX_FT_TIME:
        if (!json_is_string(v)) {
            return hrx_sc_fail(sc, "invalid_type",
                               "must be an RFC 3339 date-time string");
        }

        s = json_string_value(v);
        len = json_string_length(v);

        if (hrx_search_parse_time(s, len, &out->i) != 0) {
            return hrx_sc_fail(sc, "invalid_value",
                               "must be an RFC 3339 date-time such as "
                               "2026-04-01T09:00:00+09:00, not \"%s\"",
                               hrx_sc_quote(s, len, q, sizeof(q)));
        }

        out->type = HRX_SEARCH_BIND_INT;
        return 0;

    default: /* HRX_FT_CUSTOM */
        if (json_is_string(v)) {
            if (hrx_sc_string(sc, v, &s, &len) != 0) {
                return -1;
            }

            out->type = HRX_SEARCH_BIND_TEXT;
            out->s = s;
            out->len = len;
            return 0;
        }

        if (json_is_integer(v)) {
            out->type = HRX_SEARCH_BIND_INT;
            out->i = json_integer_value(v);
            return 0;
        }

        if (json_is_real(v)) {
            out->type = HRX_SEARCH_BIND_DOUBLE;
            out->d = json_real_value(v);
            return 0;
        }

        if (json_is_boolean(v)) {
            out->type = HRX_SEARCH_BIND_TEXT;
            out->s = json_is_true(v) ? "true" : "false";
            out->len = strlen(out->s);
            out->boolean = 1;
            return 0;
        }

        return hrx_sc_fail(sc, "invalid_type",
                           "must be a string, a number or a boolean");
    }
}


/* < 0, 0, > 0 like strcmp; a and b are both numbers or both text */
static int
hrx_sc_compare(const hrx_sc_value_t *a, const hrx_sc_value_t *b)
{
    int     c;
    size_t  n;
    double  x, y;

    if (a->type == HRX_SEARCH_BIND_TEXT) {
        n = a->len < b->len ? a->len : b->len;
        c = memcmp(a->s, b->s, n);
        if (c != 0) {
            return c;
        }

        return (a->len > b->len) - (a->len < b->len);
    }

    if (a->type == HRX_SEARCH_BIND_INT && b->type == HRX_SEARCH_BIND_INT) {
        return (a->i > b->i) - (a->i < b->i);
    }

    x = a->type == HRX_SEARCH_BIND_INT ? (double) a->i : a->d;
    y = b->type == HRX_SEARCH_BIND_INT ? (double) b->i : b->d;

    return (x > y) - (x < y);
}


/* leaves ------------------------------------------------------------------ */


static int
hrx_sc_op_lookup(const char *s, size_t len)
{
    int  i;

    for (i = 0; i < HRX_OP_COUNT; i++) {
        if (strlen(hrx_search_ops[i]) == len
            && memcmp(hrx_search_ops[i], s, len) == 0)
        {
            return i;
        }
    }

    return -1;
}


static unsigned
hrx_sc_ops_of(hrx_search_ftype_t type)
{
    switch (type) {
    case HRX_FT_TEXT:
        return HRX_OPS_TEXT;
    case HRX_FT_BOOL:
        return HRX_OPS_BOOL;
    case HRX_FT_CUSTOM:
        return HRX_OPS_ALL;
    default:
        return HRX_OPS_NUM;
    }
}


static void
hrx_sc_ops_list(unsigned mask, char *buf, size_t size)
{
    int     i;
    size_t  n;

    n = 0;
    buf[0] = '\0';

    for (i = 0; i < HRX_OP_COUNT && n < size; i++) {
        if (mask & (1u << i)) {
            n += (size_t) snprintf(buf + n, size - n, "%s%s",
                                   n ? ", " : "", hrx_search_ops[i]);
        }
    }
}


/* custom.<key>: the key as the schema allows it */
static int
hrx_sc_custom_key(const char *k, size_t len)
{
    size_t  i;

    if (len == 0 || len > HRX_CUSTOM_KEY_MAX || k[0] < 'a' || k[0] > 'z') {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9')
              || k[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


static int
hrx_sc_in(hrx_sc_t *sc, const hrx_search_field_t *f, const json_t *value,
    const char *jpath, size_t jlen)
{
    char            *text;
    size_t           i, n, old;
    json_t          *list, *item;
    hrx_sc_value_t   v;

    if (!json_is_array(value)) {
        return hrx_sc_fail(sc, "invalid_type", "must be an array");
    }

    n = json_array_size(value);

    if (n < 1 || n > HRX_SEARCH_MAX_IN) {
        return hrx_sc_fail(sc, "invalid_value",
                           "must have 1 to %d values, not %zu",
                           HRX_SEARCH_MAX_IN, n);
    }

    list = json_array();
    if (list == NULL) {
        sc->oom = 1;
        return -1;
    }

    for (i = 0; i < n; i++) {
        old = hrx_sc_path_push(sc, "[%zu]", i);

        if (hrx_sc_scalar(sc, f, json_array_get(value, i), &v) != 0) {
            json_decref(list);
            return -1;
        }

        if (v.boolean) {
            json_decref(list);
            return hrx_sc_fail(sc, "invalid_type",
                               "must be a string or a number (use eq or ne "
                               "for a boolean)");
        }

        hrx_sc_path_pop(sc, old);

        switch (v.type) {
        case HRX_SEARCH_BIND_TEXT:
            item = json_stringn(v.s, v.len);
            break;
        case HRX_SEARCH_BIND_DOUBLE:
            item = json_real(v.d);
            break;
        default:
            item = json_integer(v.i);
        }

        if (json_array_append_new(list, item) != 0) {
            json_decref(list);
            sc->oom = 1;
            return -1;
        }
    }

    text = json_dumps(list, JSON_COMPACT);
    json_decref(list);

    if (text == NULL) {
        sc->oom = 1;
        return -1;
    }

    hrx_sc_put(sc, "(");
    hrx_sc_put_column(sc, f, jpath, jlen);
    hrx_sc_put(sc, " IN (SELECT value FROM json_each(?)))");
    hrx_sc_bind_text(sc, text, strlen(text));
    free(text);

    return sc->oom ? -1 : 0;
}


static int
hrx_sc_range(hrx_sc_t *sc, const hrx_search_field_t *f, const json_t *value,
    const char *jpath, size_t jlen)
{
    int              i, have[2];
    size_t           old;
    const json_t    *b;
    hrx_sc_value_t   v[2];

    if (!json_is_array(value)) {
        return hrx_sc_fail(sc, "invalid_type",
                           "must be an array [min, max] (either may be "
                           "null)");
    }

    if (json_array_size(value) != 2) {
        return hrx_sc_fail(sc, "invalid_value",
                           "must be [min, max] (either may be null)");
    }

    for (i = 0; i < 2; i++) {
        b = json_array_get(value, (size_t) i);
        have[i] = !json_is_null(b);

        if (!have[i]) {
            continue;
        }

        old = hrx_sc_path_push(sc, "[%d]", i);

        if (hrx_sc_scalar(sc, f, b, &v[i]) != 0) {
            return -1;
        }

        if (f->type == HRX_FT_CUSTOM) {
            if (v[i].boolean) {
                return hrx_sc_fail(sc, "invalid_type",
                                   "must be a number, a string or null");
            }

            if (i == 1 && have[0]
                && (v[0].type == HRX_SEARCH_BIND_TEXT)
                   != (v[1].type == HRX_SEARCH_BIND_TEXT))
            {
                return hrx_sc_fail(sc, "invalid_type",
                                   "must be of the same type as the "
                                   "minimum (both numbers or both "
                                   "strings)");
            }
        }

        hrx_sc_path_pop(sc, old);
    }

    if (!have[0] && !have[1]) {
        return hrx_sc_fail(sc, "invalid_value",
                           "needs a minimum, a maximum or both");
    }

    if (have[0] && have[1] && hrx_sc_compare(&v[0], &v[1]) > 0) {
        return hrx_sc_fail(sc, "invalid_value",
                           "has a minimum greater than its maximum");
    }

    hrx_sc_put(sc, "(");

    if (f->type == HRX_FT_CUSTOM) {
        /*
         * SQLite orders every number below every text, so "score >= 10"
         * alone would take the string "5"; compare like with like (and
         * leave booleans, read as 1/0, out of numeric ranges).
         */
        hrx_sc_put(sc, HRX_CUSTOM_TYPE);
        hrx_sc_bind_text(sc, jpath, jlen);
        hrx_sc_put(sc, v[have[0] ? 0 : 1].type == HRX_SEARCH_BIND_TEXT
                       ? " = 'text' AND " : " IN ('integer', 'real') AND ");
    }

    if (have[0]) {
        hrx_sc_put_column(sc, f, jpath, jlen);
        hrx_sc_put(sc, " >= ");
        hrx_sc_put_value(sc, &v[0]);
    }

    if (have[0] && have[1]) {
        hrx_sc_put(sc, " AND ");
    }

    if (have[1]) {
        hrx_sc_put_column(sc, f, jpath, jlen);
        hrx_sc_put(sc, " <= ");
        hrx_sc_put_value(sc, &v[1]);
    }

    hrx_sc_put(sc, ")");

    return sc->oom ? -1 : 0;
}


static int
hrx_sc_regex_check(hrx_sc_t *sc, const char *s, size_t len)
{
    int          errcode;
    char         msg[128];
    PCRE2_SIZE   erroff;
    pcre2_code  *re;

    re = pcre2_compile((PCRE2_SPTR) s, len, HRX_PCRE2_OPTIONS, &errcode,
                       &erroff, NULL);
    if (re != NULL) {
        pcre2_code_free(re);
        return 0;
    }

    if (errcode == PCRE2_ERROR_NOMEMORY) {
        sc->oom = 1;
        return -1;
    }

    if (pcre2_get_error_message(errcode, (PCRE2_UCHAR *) msg, sizeof(msg))
        < 0)
    {
        snprintf(msg, sizeof(msg), "error %d", errcode);
    }

    return hrx_sc_fail(sc, "invalid_value",
                       "is not a valid regular expression: %s at offset %zu",
                       msg, (size_t) erroff);
}


static int
hrx_sc_leaf(hrx_sc_t *sc, const json_t *node)
{
    int                        op;
    char                       ops[128], q[64], jpath[8 + HRX_CUSTOM_KEY_MAX];
    size_t                     old, len, jlen;
    unsigned                   mask;
    const char                *name, *s;
    const json_t              *jf, *jo, *value;
    hrx_sc_value_t             v;
    const hrx_search_field_t  *f;

    jf = json_object_get(node, "field");
    jo = json_object_get(node, "op");
    value = json_object_get(node, "value");

    /* field */
    old = hrx_sc_path_push(sc, ".field");

    if (jf == NULL || json_is_null(jf)) {
        return hrx_sc_fail(sc, "required", "is required");
    }

    if (!json_is_string(jf)) {
        return hrx_sc_fail(sc, "invalid_type", "must be a string");
    }

    name = json_string_value(jf);
    len = json_string_length(jf);
    jlen = 0;
    jpath[0] = '\0';

    if (len > sizeof(HRX_CUSTOM_PREFIX) - 1
        && memcmp(name, HRX_CUSTOM_PREFIX, sizeof(HRX_CUSTOM_PREFIX) - 1)
           == 0)
    {
        s = name + sizeof(HRX_CUSTOM_PREFIX) - 1;
        jlen = len - (sizeof(HRX_CUSTOM_PREFIX) - 1);

        if (!hrx_sc_custom_key(s, jlen)) {
            return hrx_sc_fail(sc, "invalid_value",
                               "has a custom field key \"%s\" that does not "
                               "match ^[a-z][a-z0-9_]{0,39}$",
                               hrx_sc_quote(s, jlen, q, sizeof(q)));
        }

        /* the JSON path is a bound value, never SQL text */
        memcpy(jpath, "$.", 2);
        memcpy(jpath + 2, s, jlen);
        jlen += 2;
        jpath[jlen] = '\0';

        f = &hrx_search_custom_field;

    } else {
        for (f = hrx_search_fields; f->name; f++) {
            if (strlen(f->name) == len && memcmp(f->name, name, len) == 0) {
                break;
            }
        }

        if (f->name == NULL) {
            return hrx_sc_fail(sc, "unknown_field",
                               "names no candidate field: \"%s\"",
                               hrx_sc_quote(name, len, q, sizeof(q)));
        }
    }

    hrx_sc_path_pop(sc, old);

    /* op */
    old = hrx_sc_path_push(sc, ".op");

    if (jo == NULL || json_is_null(jo)) {
        return hrx_sc_fail(sc, "required", "is required");
    }

    if (!json_is_string(jo)) {
        return hrx_sc_fail(sc, "invalid_type", "must be a string");
    }

    op = hrx_sc_op_lookup(json_string_value(jo), json_string_length(jo));
    mask = hrx_sc_ops_of(f->type);

    if (op < 0) {
        hrx_sc_ops_list(HRX_OPS_ALL, ops, sizeof(ops));
        return hrx_sc_fail(sc, "invalid_value", "must be one of %s, not "
                           "\"%s\"", ops,
                           hrx_sc_quote(json_string_value(jo),
                                        json_string_length(jo), q,
                                        sizeof(q)));
    }

    if (!(mask & (1u << op))) {
        hrx_sc_ops_list(mask, ops, sizeof(ops));
        return hrx_sc_fail(sc, "invalid_value",
                           "\"%s\" does not apply to %s (use %s)",
                           hrx_search_ops[op],
                           f->type == HRX_FT_CUSTOM ? "custom fields"
                                                    : f->name, ops);
    }

    hrx_sc_path_pop(sc, old);

    /* value */
    old = hrx_sc_path_push(sc, ".value");

    if (value == NULL || json_is_null(value)) {
        return hrx_sc_fail(sc, "required", "is required");
    }

    switch (op) {

    case HRX_OP_EQ:
    case HRX_OP_NE:
        if (hrx_sc_scalar(sc, f, value, &v) != 0) {
            return -1;
        }

        hrx_sc_put(sc, "(");

        if (v.boolean) {
            /* custom true/false: booleans only, not the numbers 1 and 0 */
            hrx_sc_put(sc, HRX_CUSTOM_TYPE);
            hrx_sc_bind_text(sc, jpath, jlen);
        } else {
            hrx_sc_put_column(sc, f, jpath, jlen);
        }

        /* ne is the complement of eq: IS NOT also matches NULL */
        hrx_sc_put(sc, op == HRX_OP_EQ ? " = " : " IS NOT ");
        hrx_sc_put_value(sc, &v);
        hrx_sc_put(sc, ")");
        break;

    case HRX_OP_IN:
        if (hrx_sc_in(sc, f, value, jpath, jlen) != 0) {
            return -1;
        }
        break;

    case HRX_OP_RANGE:
        if (hrx_sc_range(sc, f, value, jpath, jlen) != 0) {
            return -1;
        }
        break;

    case HRX_OP_CONTAINS:
        if (hrx_sc_string(sc, value, &s, &len) != 0) {
            return -1;
        }

        if (len == 0) {
            return hrx_sc_fail(sc, "invalid_value", "must not be empty");
        }

        hrx_sc_put(sc, "(");

        /*
         * Only where the prefilter can lead the plan: under not or any
         * SQLite would build it whole and probe it for every candidate,
         * which costs more than the plain test alone.
         */
        if (f->text != NULL && sc->conj
            && !(sc->flags & HRX_SEARCH_NO_TEXT_INDEX)
            && hrx_sc_utf8_chars(s, len) >= HRX_TEXT_MIN_CHARS)
        {
            hrx_sc_put(sc, HRX_SQL_TEXT_PREFILTER);
            hrx_sc_put(sc, f->text);
            hrx_sc_put(sc, HRX_SQL_TEXT_MATCH " AND ");
            hrx_sc_bind_phrase(sc, s, len);
        }

        hrx_sc_put(sc, "instr(lower(");
        hrx_sc_put_column(sc, f, jpath, jlen);
        hrx_sc_put(sc, "), lower(?)) > 0)");
        hrx_sc_bind_text(sc, s, len);
        break;

    case HRX_OP_REGEX:
        if (hrx_sc_string(sc, value, &s, &len) != 0
            || hrx_sc_regex_check(sc, s, len) != 0)
        {
            return -1;
        }

        /* the pattern's bind comes first: it is the first "?" */
        hrx_sc_put(sc, "(hrx_regexp(?, ");
        hrx_sc_bind_text(sc, s, len);
        hrx_sc_put_column(sc, f, jpath, jlen);
        hrx_sc_put(sc, "))");
        break;

    default: /* HRX_OP_EXISTS */
        if (!json_is_boolean(value)) {
            return hrx_sc_fail(sc, "invalid_type", "must be true or false");
        }

        if (f->type == HRX_FT_TEXT || f->type == HRX_FT_CUSTOM) {
            /* an empty string is no data */
            hrx_sc_put(sc, "(coalesce(");
            hrx_sc_put_column(sc, f, jpath, jlen);
            hrx_sc_put(sc, json_is_true(value) ? ", '') <> '')"
                                               : ", '') = '')");
        } else {
            hrx_sc_put(sc, "(");
            hrx_sc_put_column(sc, f, jpath, jlen);
            hrx_sc_put(sc, json_is_true(value) ? " IS NOT NULL)"
                                               : " IS NULL)");
        }
    }

    hrx_sc_path_pop(sc, old);

    return sc->oom ? -1 : 0;
}


/* nodes ------------------------------------------------------------------- */


typedef enum {
    HRX_NODE_ALL = 0,
    HRX_NODE_ANY,
    HRX_NODE_NOT,
    HRX_NODE_LEAF,
    HRX_NODE_HAS_LABEL,
    HRX_NODE_HAS_LINE_LINK,
    HRX_NODE_AGENT_ROUTE,
    HRX_NODE_HAS_INTERVIEW,
    HRX_NODE_COUNT
} hrx_search_node_t;

/* the key that makes a node of each kind, in the order they are tried */
static const char *const hrx_search_node_keys[HRX_NODE_COUNT] = {
    "all", "any", "not", "field", "has_label", "has_line_link",
    "agent_route", "has_interview"
};


static int
hrx_sc_key_allowed(hrx_search_node_t kind, const char *key)
{
    if (kind == HRX_NODE_LEAF) {
        return strcmp(key, "field") == 0 || strcmp(key, "op") == 0
               || strcmp(key, "value") == 0;
    }

    return strcmp(key, hrx_search_node_keys[kind]) == 0;
}


static int
hrx_sc_list(hrx_sc_t *sc, const json_t *list, const char *key,
    const char *joiner, int depth)
{
    int     conj;
    size_t  i, n, old, old2;

    old = hrx_sc_path_push(sc, ".%s", key);

    if (!json_is_array(list)) {
        return hrx_sc_fail(sc, "invalid_type", "must be an array of "
                           "conditions");
    }

    n = json_array_size(list);

    if (n < 1 || n > HRX_SEARCH_MAX_CHILDREN) {
        return hrx_sc_fail(sc, "invalid_value",
                           "must have 1 to %d conditions, not %zu",
                           HRX_SEARCH_MAX_CHILDREN, n);
    }

    /* the children of all, or of an any of one, are conjuncts as it is */
    conj = sc->conj;
    sc->conj = conj && (n == 1 || strcmp(joiner, " AND ") == 0);

    hrx_sc_put(sc, "(");

    for (i = 0; i < n; i++) {
        if (i) {
            hrx_sc_put(sc, joiner);
        }

        old2 = hrx_sc_path_push(sc, "[%zu]", i);

        if (hrx_sc_node(sc, json_array_get(list, i), depth + 1) != 0) {
            return -1;
        }

        hrx_sc_path_pop(sc, old2);
    }

    hrx_sc_put(sc, ")");
    hrx_sc_path_pop(sc, old);
    sc->conj = conj;

    return sc->oom ? -1 : 0;
}


static int
hrx_sc_bool_of(hrx_sc_t *sc, const json_t *v, const char *key, int *b)
{
    if (!json_is_boolean(v)) {
        hrx_sc_path_push(sc, ".%s", key);
        return hrx_sc_fail(sc, "invalid_type", "must be true or false");
    }

    *b = json_is_true(v);
    return 0;
}


static int
hrx_sc_node(hrx_sc_t *sc, const json_t *node, int depth)
{
    int                 b, kind, conj;
    char                q[64];
    size_t              old;
    void               *it;
    json_t             *obj;
    const char         *key;
    const json_t       *v;

    if (!json_is_object(node)) {
        return hrx_sc_fail(sc, "invalid_type", "must be an object");
    }

    if (++sc->nodes > HRX_SEARCH_MAX_NODES) {
        return hrx_sc_fail(sc, "invalid_value",
                           "is one node too many: a condition has at most "
                           "%d", HRX_SEARCH_MAX_NODES);
    }

    if (depth > HRX_SEARCH_MAX_DEPTH) {
        return hrx_sc_fail(sc, "invalid_value",
                           "nests too deep: a condition has at most %d "
                           "levels", HRX_SEARCH_MAX_DEPTH);
    }

    /* what kind of node: op or value alone still make a (bad) leaf */
    kind = -1;

    for (b = 0; b < HRX_NODE_COUNT; b++) {
        if (json_object_get(node, hrx_search_node_keys[b]) != NULL) {
            kind = b;
            break;
        }
    }

    if (kind < 0 && (json_object_get(node, "op") != NULL
                     || json_object_get(node, "value") != NULL))
    {
        kind = HRX_NODE_LEAF;
    }

    /* every key must belong to that kind (iterators want non-const) */
    obj = (json_t *) node;

    for (it = json_object_iter(obj); it != NULL;
         it = json_object_iter_next(obj, it))
    {
        key = json_object_iter_key(it);

        if (kind >= 0 && json_object_iter_key_len(it) == strlen(key)
            && hrx_sc_key_allowed(kind, key))
        {
            continue;
        }

        hrx_sc_path_push(sc, ".%s",
                         hrx_sc_quote(key, json_object_iter_key_len(it), q,
                                      sizeof(q)));

        if (kind < 0) {
            return hrx_sc_fail(sc, "unknown_field",
                               "is not a condition key (all, any, not, "
                               "field/op/value, has_label, has_line_link, "
                               "agent_route, has_interview)");
        }

        return hrx_sc_fail(sc, "unknown_field",
                           "cannot be combined with \"%s\" in one "
                           "condition", hrx_search_node_keys[kind]);
    }

    if (kind < 0) {
        return hrx_sc_fail(sc, "required",
                           "needs one of all, any, not, field, has_label, "
                           "has_line_link, agent_route, has_interview");
    }

    v = json_object_get(node, hrx_search_node_keys[kind]);

    switch (kind) {

    case HRX_NODE_ALL:
        return hrx_sc_list(sc, v, "all", " AND ", depth);

    case HRX_NODE_ANY:
        return hrx_sc_list(sc, v, "any", " OR ", depth);

    case HRX_NODE_NOT:
        old = hrx_sc_path_push(sc, ".not");

        /*
         * A true complement: NULL (unknown) counts as "not matched".  The
         * child's SQL is always parenthesized.
         */
        conj = sc->conj;
        sc->conj = 0;

        hrx_sc_put(sc, "(");
        if (hrx_sc_node(sc, v, depth + 1) != 0) {
            return -1;
        }
        hrx_sc_put(sc, " IS NOT 1)");

        sc->conj = conj;

        hrx_sc_path_pop(sc, old);
        break;

    case HRX_NODE_LEAF:
        return hrx_sc_leaf(sc, node);

    case HRX_NODE_HAS_LABEL:
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            hrx_sc_path_push(sc, ".has_label");
            return hrx_sc_fail(sc, json_is_integer(v) ? "invalid_value"
                                                      : "invalid_type",
                               "must be a label id (an integer >= 1)");
        }

        hrx_sc_put(sc, "(" HRX_SQL_HAS_LABEL ")");
        hrx_sc_bind_int(sc, json_integer_value(v));
        break;

    case HRX_NODE_HAS_LINE_LINK:
        if (hrx_sc_bool_of(sc, v, "has_line_link", &b) != 0) {
            return -1;
        }

        hrx_sc_put(sc, b ? "(c.line_user_id IS NOT NULL)"
                         : "(c.line_user_id IS NULL)");
        break;

    case HRX_NODE_AGENT_ROUTE:
        if (hrx_sc_bool_of(sc, v, "agent_route", &b) != 0) {
            return -1;
        }

        hrx_sc_put(sc, b ? "(c.route = 'agent')" : "(c.route <> 'agent')");
        break;

    default: /* HRX_NODE_HAS_INTERVIEW */
        if (hrx_sc_bool_of(sc, v, "has_interview", &b) != 0) {
            return -1;
        }

        hrx_sc_put(sc, b ? "(" HRX_SQL_HAS_INTERVIEW ")"
                         : "(NOT " HRX_SQL_HAS_INTERVIEW ")");
    }

    return sc->oom ? -1 : 0;
}


/* API --------------------------------------------------------------------- */


static void
hrx_search_binds_free(hrx_search_bind_t *binds, int n)
{
    int  i;

    if (binds == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        free(binds[i].text);
    }

    free(binds);
}


int
hrx_search_compile(const json_t *cond, hrx_search_t **out,
    hrx_search_error_t *err)
{
    return hrx_search_compile_flags(cond, 0, out, err);
}


int
hrx_search_compile_flags(const json_t *cond, unsigned flags,
    hrx_search_t **out, hrx_search_error_t *err)
{
    int            rc;
    hrx_sc_t       sc;
    hrx_search_t  *s;

    *out = NULL;
    memset(err, 0, sizeof(*err));
    memset(&sc, 0, sizeof(sc));

    sc.err = err;
    sc.flags = flags;
    sc.conj = 1;
    hrx_sc_path_push(&sc, "condition");

    if (cond == NULL) {
        hrx_sc_fail(&sc, "required", "is required");
        return HRX_SEARCH_INVALID;
    }

    rc = hrx_sc_node(&sc, cond, 1);

    if (rc == 0 && !sc.oom) {
        s = malloc(sizeof(*s));
        if (s != NULL) {
            s->sql = sc.sql;
            s->binds = sc.binds;
            s->nbinds = sc.nbinds;
            *out = s;
            return HRX_SEARCH_OK;
        }

        sc.oom = 1;
    }

    free(sc.sql);
    hrx_search_binds_free(sc.binds, sc.nbinds);

    if (sc.oom) {
        snprintf(err->path, sizeof(err->path), "condition");
        err->code = "internal_error";
        snprintf(err->message, sizeof(err->message),
                 "out of memory while compiling the condition");
        return HRX_SEARCH_NOMEM;
    }

    return HRX_SEARCH_INVALID;
}


const char *
hrx_search_sql(const hrx_search_t *s)
{
    return s->sql;
}


int
hrx_search_nbinds(const hrx_search_t *s)
{
    return s->nbinds;
}


const hrx_search_bind_t *
hrx_search_binds(const hrx_search_t *s)
{
    return s->binds;
}


int
hrx_search_bind(const hrx_search_t *s, sqlite3_stmt *stmt, int first_index)
{
    int                       i, rc;
    const hrx_search_bind_t  *b;

    for (i = 0; i < s->nbinds; i++) {
        b = &s->binds[i];

        switch (b->type) {
        case HRX_SEARCH_BIND_INT:
            rc = sqlite3_bind_int64(stmt, first_index + i, b->i);
            break;
        case HRX_SEARCH_BIND_DOUBLE:
            rc = sqlite3_bind_double(stmt, first_index + i, b->d);
            break;
        case HRX_SEARCH_BIND_TEXT:
            rc = sqlite3_bind_text64(stmt, first_index + i, b->text,
                                     (sqlite3_uint64) b->len,
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
            break;
        default:
            rc = sqlite3_bind_null(stmt, first_index + i);
        }

        if (rc != SQLITE_OK) {
            return rc;
        }
    }

    return SQLITE_OK;
}


void
hrx_search_free(hrx_search_t *s)
{
    if (s == NULL) {
        return;
    }

    free(s->sql);
    hrx_search_binds_free(s->binds, s->nbinds);
    free(s);
}


/* times ------------------------------------------------------------------- */


static int
hrx_digits(const char *s, int n, int *out)
{
    int  i, v;

    v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        v = v * 10 + (s[i] - '0');
    }

    *out = v;
    return 0;
}


/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static int64_t
hrx_days_from_civil(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


/*
 * RFC 3339 section 5.6 date-time: full-date "T" full-time, where "T" may
 * be "t" or a space (as the RFC allows), time-secfrac optional (digits
 * past milliseconds are dropped), time-offset "Z", "z" or +hh:mm / -hh:mm.
 * Seconds 60 (leap second) are refused: unix time has no such instant.
 */
int
hrx_search_parse_time(const char *s, size_t len, int64_t *ms)
{
    int      y, mo, d, h, mi, sec, oh, om, frac, n, mdays;
    size_t   i;
    int64_t  t;

    static const int  days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len < 20 || len > 64) {
        return -1;
    }

    if (hrx_digits(s, 4, &y) != 0 || s[4] != '-'
        || hrx_digits(s + 5, 2, &mo) != 0 || s[7] != '-'
        || hrx_digits(s + 8, 2, &d) != 0
        || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        || hrx_digits(s + 11, 2, &h) != 0 || s[13] != ':'
        || hrx_digits(s + 14, 2, &mi) != 0 || s[16] != ':'
        || hrx_digits(s + 17, 2, &sec) != 0)
    {
        return -1;
    }

    if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59) {
        return -1;
    }

    mdays = days[mo - 1];
    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        mdays = 29;
    }

    if (d < 1 || d > mdays) {
        return -1;
    }

    i = 19;
    frac = 0;

    if (i < len && s[i] == '.') {
        i++;
        n = 0;

        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (n < 3) {
                frac = frac * 10 + (s[i] - '0');
            }

            n++;
            i++;
        }

        if (n == 0) {
            return -1;
        }

        for ( /* void */ ; n < 3; n++) {
            frac *= 10;
        }
    }

    if (i >= len) {
        return -1;
    }

    oh = 0;
    om = 0;

    if (s[i] == 'Z' || s[i] == 'z') {
        i++;

    } else if (s[i] == '+' || s[i] == '-') {
        if (len - i != 6 || hrx_digits(s + i + 1, 2, &oh) != 0
            || s[i + 3] != ':' || hrx_digits(s + i + 4, 2, &om) != 0
            || oh > 23 || om > 59)
        {
            return -1;
        }

        if (s[i] == '-') {
            oh = -oh;
            om = -om;
        }

        i += 6;

    } else {
        return -1;
    }

    if (i != len) {
        return -1;
    }

    t = hrx_days_from_civil(y, mo, d) * 86400
        + (int64_t) h * 3600 + (int64_t) mi * 60 + sec
        - ((int64_t) oh * 3600 + (int64_t) om * 60);

    *ms = t * 1000 + frac;

    return 0;
}


/* hrx_regexp() ------------------------------------------------------------ */


typedef struct {
    pcre2_code           *re;
    pcre2_match_data     *md;
    pcre2_match_context  *mc;
} hrx_regexp_aux_t;


static void
hrx_regexp_aux_free(void *p)
{
    hrx_regexp_aux_t  *aux = p;

    if (aux == NULL) {
        return;
    }

    pcre2_match_context_free(aux->mc);
    pcre2_match_data_free(aux->md);
    pcre2_code_free(aux->re);
    free(aux);
}


static hrx_regexp_aux_t *
hrx_regexp_compile(sqlite3_context *ctx, sqlite3_value *pattern)
{
    int                errcode;
    char               msg[128], text[200];
    PCRE2_SIZE         erroff;
    hrx_regexp_aux_t  *aux;

    aux = calloc(1, sizeof(*aux));
    if (aux == NULL) {
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }

    aux->re = pcre2_compile(sqlite3_value_text(pattern),
                            (PCRE2_SIZE) sqlite3_value_bytes(pattern),
                            HRX_PCRE2_OPTIONS, &errcode, &erroff, NULL);
    if (aux->re == NULL) {
        if (pcre2_get_error_message(errcode, (PCRE2_UCHAR *) msg,
                                    sizeof(msg)) < 0)
        {
            snprintf(msg, sizeof(msg), "error %d", errcode);
        }

        snprintf(text, sizeof(text), "hrx_regexp: bad pattern: %s at "
                 "offset %zu", msg, (size_t) erroff);
        sqlite3_result_error(ctx, text, -1);
        hrx_regexp_aux_free(aux);
        return NULL;
    }

    aux->md = pcre2_match_data_create_from_pattern(aux->re, NULL);
    aux->mc = pcre2_match_context_create(NULL);

    if (aux->md == NULL || aux->mc == NULL) {
        sqlite3_result_error_nomem(ctx);
        hrx_regexp_aux_free(aux);
        return NULL;
    }

    pcre2_set_match_limit(aux->mc, HRX_REGEXP_MATCH_LIMIT);
    pcre2_set_depth_limit(aux->mc, HRX_REGEXP_DEPTH_LIMIT);
    pcre2_set_heap_limit(aux->mc, HRX_REGEXP_HEAP_LIMIT);

    hrx_fetch_add_relaxed(&hrx_regexp_compiles, 1);

    return aux;
}


/*
 * Why the auxdata dance: SQLite keeps auxdata for an argument that is
 * constant for the statement (a literal or a bound parameter) across rows,
 * so the pattern is compiled on the first row only.  sqlite3_set_auxdata()
 * may run the destructor at once (when it will not keep the value), so the
 * object is used first and handed over last.
 */
static void
hrx_regexp_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int                rc, cached;
    char               msg[128], text[200];
    hrx_regexp_aux_t  *aux;
    const uint8_t     *subject;

    (void) argc;

    if (sqlite3_value_type(argv[0]) == SQLITE_NULL
        || sqlite3_value_type(argv[1]) == SQLITE_NULL)
    {
        sqlite3_result_int(ctx, 0);
        return;
    }

    aux = sqlite3_get_auxdata(ctx, 0);
    cached = aux != NULL;

    if (!cached) {
        aux = hrx_regexp_compile(ctx, argv[0]);
        if (aux == NULL) {
            return;
        }
    }

    subject = sqlite3_value_text(argv[1]);
    if (subject == NULL) {
        if (!cached) {
            hrx_regexp_aux_free(aux);
        }

        sqlite3_result_error_nomem(ctx);
        return;
    }

    rc = pcre2_match(aux->re, subject,
                     (PCRE2_SIZE) sqlite3_value_bytes(argv[1]), 0, 0,
                     aux->md, aux->mc);

    if (rc >= 0) {
        sqlite3_result_int(ctx, 1);

    } else if (rc == PCRE2_ERROR_NOMATCH
               || (rc <= PCRE2_ERROR_UTF8_ERR1
                   && rc >= PCRE2_ERROR_UTF8_ERR21))
    {
        /* text that is not UTF-8 cannot match a UTF pattern */
        sqlite3_result_int(ctx, 0);

    } else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
               || rc == PCRE2_ERROR_HEAPLIMIT)
    {
        hrx_fetch_add_relaxed(&hrx_regexp_limit_hits, 1);
        sqlite3_result_int(ctx, 0);

    } else {
        if (pcre2_get_error_message(rc, (PCRE2_UCHAR *) msg, sizeof(msg))
            < 0)
        {
            snprintf(msg, sizeof(msg), "error %d", rc);
        }

        snprintf(text, sizeof(text), "hrx_regexp: %s", msg);
        sqlite3_result_error(ctx, text, -1);
    }

    if (!cached) {
        sqlite3_set_auxdata(ctx, 0, aux, hrx_regexp_aux_free);
    }
}


int
hrx_regexp_register(sqlite3 *db)
{
    int  flags;

    flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
#ifdef SQLITE_INNOCUOUS
    flags |= SQLITE_INNOCUOUS;
#endif

    return sqlite3_create_function_v2(db, "hrx_regexp", 2, flags, NULL,
                                      hrx_regexp_func, NULL, NULL, NULL);
}


void
hrx_regexp_stats(uint64_t *compiles, uint64_t *limit_hits)
{
    if (compiles) {
        *compiles = hrx_load_relaxed(&hrx_regexp_compiles);
    }

    if (limit_hits) {
        *limit_hits = hrx_load_relaxed(&hrx_regexp_limit_hits);
    }
}
