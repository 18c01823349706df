/*
 * Saved-search conditions (docs/data-model.md, "Saved-search conditions"):
 * a JSON tree validated and compiled to a parameterized WHERE-clause
 * fragment over the candidates table, aliased `c`.
 *
 *     hrx_search_t        *s;
 *     hrx_search_error_t   err;
 *
 *     if (hrx_search_compile(cond, &s, &err) != HRX_SEARCH_OK) {
 *         400 {"error":{"code": err.code, "message": err.message,
 *                       "field": err.path}}
 *     }
 *     sql = "SELECT count(*) FROM candidates c WHERE c.tenant_id = ?1"
 *           " AND <operate rule> AND (" + hrx_search_sql(s) + ")";
 *     sqlite3_prepare_v2(db, sql, ...);
 *     sqlite3_bind_int64(stmt, 1, tenant_id);
 *     hrx_search_bind(s, stmt, 2);            binds ?2 .. ?(1 + nbinds)
 *     ...
 *     hrx_search_free(s);
 *
 * The fragment uses plain `?` placeholders, numbered by SQLite from left
 * to right, so everything before it in the statement must use plain `?`
 * (or `?NNN` numbered below first_index) and nothing after it may use a
 * plain `?` unless it counts the fragment's binds.  A regex condition needs
 * hrx_regexp_register() on the connection that prepares the statement; a
 * contains condition may read the FTS5 table candidate_text (migration 5),
 * which needs nothing on a connection but SQLite's FTS5 (built in).
 */
#ifndef HRX_SEARCH_H
#define HRX_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <sqlite3.h>

#define HRX_SEARCH_MAX_DEPTH     10     /* nodes on one root-to-leaf path */
#define HRX_SEARCH_MAX_NODES     200    /* every node, leaves included */
#define HRX_SEARCH_MAX_CHILDREN  50     /* all / any */
#define HRX_SEARCH_MAX_IN        500    /* values of one `in` */
#define HRX_SEARCH_MAX_STRING    1000   /* characters of a value or pattern */

/* PCRE2 limits of hrx_regexp(), per candidate row */
#define HRX_REGEXP_MATCH_LIMIT   100000
#define HRX_REGEXP_DEPTH_LIMIT   5000
#define HRX_REGEXP_HEAP_LIMIT    8192   /* KiB */

/* hrx_search_compile() results */
#define HRX_SEARCH_OK            0
#define HRX_SEARCH_INVALID      -1      /* err says what and where: a 400 */
#define HRX_SEARCH_NOMEM        -2      /* err.code "internal_error": a 500 */

#define HRX_SEARCH_PATH_MAX      256
#define HRX_SEARCH_MESSAGE_MAX   512

typedef struct {
    /* "condition.all[1].any[0].value"; the root is "condition" */
    char         path[HRX_SEARCH_PATH_MAX];
    /* static string: invalid_value, invalid_type, unknown_field, required,
     * internal_error */
    const char  *code;
    /* one sentence that names the path and what is wrong */
    char         message[HRX_SEARCH_MESSAGE_MAX];
} hrx_search_error_t;

typedef enum {
    HRX_SEARCH_BIND_NULL = 0,
    HRX_SEARCH_BIND_INT,
    HRX_SEARCH_BIND_DOUBLE,
    HRX_SEARCH_BIND_TEXT
} hrx_search_bind_type_t;

typedef struct {
    hrx_search_bind_type_t   type;
    int64_t                  i;         /* HRX_SEARCH_BIND_INT */
    double                   d;         /* HRX_SEARCH_BIND_DOUBLE */
    char                    *text;      /* HRX_SEARCH_BIND_TEXT, NUL-ended */
    size_t                   len;       /* bytes of text */
} hrx_search_bind_t;

typedef struct hrx_search_s  hrx_search_t;

/*
 * Validates cond (the value of "condition") and compiles it.  On
 * HRX_SEARCH_OK *out is a new object for hrx_search_free(); otherwise *out
 * is NULL and err is filled.  Pure: no database, no global state.
 */
int hrx_search_compile(const json_t *cond, hrx_search_t **out,
    hrx_search_error_t *err);

/* hrx_search_compile_flags() flags */
#define HRX_SEARCH_NO_TEXT_INDEX  0x1   /* contains without candidate_text */

/*
 * hrx_search_compile() with flags.  HRX_SEARCH_NO_TEXT_INDEX compiles
 * `contains` to the exact test alone, never reading the trigram index:
 * the same candidates, found by a scan (the tests compare the two).
 */
int hrx_search_compile_flags(const json_t *cond, unsigned flags,
    hrx_search_t **out, hrx_search_error_t *err);

/* the WHERE-clause fragment (parenthesized, NUL-terminated) */
const char *hrx_search_sql(const hrx_search_t *s);

/* how many `?` the fragment holds, and the values hrx_search_bind() binds */
int hrx_search_nbinds(const hrx_search_t *s);
const hrx_search_bind_t *hrx_search_binds(const hrx_search_t *s);

/*
 * Binds the values to parameters first_index .. first_index + nbinds - 1
 * (text is copied: SQLITE_TRANSIENT).  Returns SQLITE_OK or the first
 * sqlite3_bind_* error.
 */
int hrx_search_bind(const hrx_search_t *s, sqlite3_stmt *stmt,
    int first_index);

void hrx_search_free(hrx_search_t *s);

/*
 * Registers hrx_regexp(pattern, value) on db: 1 when the PCRE2 pattern
 * (compiled with PCRE2_UTF, as hrx_search_compile() checks it) matches
 * value, else 0.  NULL pattern or value -> 0.  A match that exceeds the
 * match, depth or heap limit -> 0 and counted (hrx_regexp_stats); an
 * invalid pattern or any other PCRE2 error fails the statement.  Returns
 * the sqlite3_create_function_v2() code.
 */
int hrx_regexp_register(sqlite3 *db);

/*
 * Process-wide counters since start: patterns compiled by hrx_regexp()
 * (once per statement thanks to the auxdata cache, not per row) and rows
 * given 0 because a limit was hit.  Either pointer may be NULL.
 */
void hrx_regexp_stats(uint64_t *compiles, uint64_t *limit_hits);

/*
 * RFC 3339 date-time ("2026-04-01T09:00:00+09:00", "...Z", fraction
 * allowed) -> unix ms.  0, or -1 when s is not one.
 */
int hrx_search_parse_time(const char *s, size_t len, int64_t *ms);

#endif /* HRX_SEARCH_H */
