/*
 * Merge variables (docs/data-model.md, "Merge variables"): the registry,
 * and templates parsed once and rendered per candidate.
 *
 * Syntax: {name} or {name|fallback}, name an English name or its Japanese
 * alias exactly as in the registry (no spaces are trimmed); the fallback
 * is every byte up to the next '}' (it may be empty, and may hold '{' and
 * '|').  "{{" and "}}" are literal braces; a lone '}' is itself.
 *
 *     save:    hrx_merge_parse() == 0, or 400 with err.code / err.message
 *     render:  hrx_merge_parse(), then per candidate
 *              hrx_merge_render(t, get, ctx, is_html, &out, &n,
 *                               missing, &nmissing)
 *              nmissing > 0 and no preview -> the message fails with
 *              "missing_variable:" hrx_merge_name(missing[0])
 */
#ifndef HRX_MERGE_H
#define HRX_MERGE_H

#include <stddef.h>
#include <jansson.h>

/* stable ids: stored nowhere yet, but never renumber; add at the end */
enum {
    HRX_MERGE_CANDIDATE_FAMILY_NAME = 0,
    HRX_MERGE_CANDIDATE_GIVEN_NAME,
    HRX_MERGE_CANDIDATE_FULL_NAME,
    HRX_MERGE_CANDIDATE_FAMILY_NAME_KANA,
    HRX_MERGE_CANDIDATE_GIVEN_NAME_KANA,
    HRX_MERGE_CANDIDATE_EMAIL,
    HRX_MERGE_CANDIDATE_SCHOOL,
    HRX_MERGE_CANDIDATE_GRADUATION_YEAR,
    HRX_MERGE_CANDIDATE_STATUS,
    HRX_MERGE_JOB_TITLE,
    HRX_MERGE_AGENT_NAME,
    HRX_MERGE_OWNER_NAME,
    HRX_MERGE_COMPANY_NAME,
    HRX_MERGE_NEXT_INTERVIEW_AT,
    HRX_MERGE_NEXT_INTERVIEW_LOCATION,
    HRX_MERGE_FORM_URL,
    HRX_MERGE_EVENT_URL,
    HRX_MERGE_LINE_FRIEND_URL,
    HRX_MERGE_COUNT
};

#define HRX_MERGE_NAME_MAX     128     /* bytes of a name kept in an error */
#define HRX_MERGE_MESSAGE_MAX  256

typedef struct {
    /* static string: unknown_variable, malformed_template, internal_error */
    const char  *code;
    size_t       offset;       /* byte offset of the '{' at fault */
    char         name[HRX_MERGE_NAME_MAX];     /* the unknown name (UTF-8,
                                                  cut on a character) */
    char         message[HRX_MERGE_MESSAGE_MAX];
} hrx_merge_error_t;

typedef struct hrx_merge_template_s  hrx_merge_template_t;

/*
 * Gives the value of variable id for the render's candidate: 1 with *value
 * (valid until hrx_merge_render returns; need not be NUL-terminated) and
 * *len, or 0 when the candidate has no such data.  A value of length 0
 * counts as missing too: a message is never sent with a blank.  Called at
 * most once per id per render.
 */
typedef int (*hrx_merge_value_fn)(void *ctx, int id, const char **value,
    size_t *len);

/* id of an English name or Japanese alias (exact bytes), or -1 */
int hrx_merge_lookup(const char *name, size_t len);

/* the English name / the alias / a description of id; NULL if no such id */
const char *hrx_merge_name(int id);
const char *hrx_merge_alias(int id);
const char *hrx_merge_description(int id);

/*
 * 0 and a new template in *out (hrx_merge_free), or -1 with *out NULL and
 * err filled (an unknown name, an unclosed or empty '{', out of memory).
 */
int hrx_merge_parse(const char *tmpl, size_t len, hrx_merge_template_t **out,
    hrx_merge_error_t *err);

/* 1 when the template uses variable id (so the sender loads that data) */
int hrx_merge_uses(const hrx_merge_template_t *t, int id);

/*
 * Renders t.  *out is a new NUL-terminated string (free()) of *outlen
 * bytes.  html_escape: values and fallbacks have & < > " ' escaped, the
 * template's own text is left as written.  A variable without data takes
 * its fallback; without a fallback it renders empty and its id is
 * recorded: missing_ids (room for HRX_MERGE_COUNT ids, or NULL) gets each
 * such id once, in order of first appearance, and *nmissing their number.
 * 0, or -1 when out of memory (*out NULL).
 */
int hrx_merge_render(const hrx_merge_template_t *t, hrx_merge_value_fn get,
    void *ctx, int html_escape, char **out, size_t *outlen, int *missing_ids,
    int *nmissing);

void hrx_merge_free(hrx_merge_template_t *t);

/* new array of {"name","alias","description"} in id order, NULL if OOM */
json_t *hrx_merge_names_json(void);

#endif /* HRX_MERGE_H */
