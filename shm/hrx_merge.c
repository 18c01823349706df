/*
 * Merge variables: one registry and one template syntax for every sender.
 *
 * The registry is a fixed table: a stable id per variable, its English
 * name, its Japanese alias (both spellings give the same id) and a
 * description for GET /api/v1/merge-variables.  Which data a variable
 * stands for is the caller's business (the get callback); this file only
 * knows names, syntax and output.
 *
 * A template is parsed once -- on save, to refuse an unknown name before
 * anything is sent, and before a batch of messages -- into a list of parts:
 * literal text (with "{{" / "}}" already turned into single braces) and
 * variables (id, optional fallback).  Rendering is then a single pass per
 * candidate with no parsing and no lookups.
 *
 * The rules, chosen so a template means one thing:
 *
 * - {name}: the name is every byte up to '}' or '|', compared exactly
 *   (no trimming: "{ 姓 }" is the unknown name " 姓 ", and the error says
 *   so).  A newline ends the search for the closing brace: a '{' with no
 *   '}' on its line is reported at that '{' rather than swallowing text up
 *   to some later brace.  "{}" is malformed, not an unknown name.
 * - {name|fallback}: the fallback is every byte up to the next '}', so it
 *   can hold '|', '{', newlines and any UTF-8, but never '}'.  An empty
 *   fallback ({candidate.school|}) is allowed and means "leave it out when
 *   there is no data": an explicit choice, unlike a forgotten variable.
 * - "{{" and "}}" are literal braces; a lone '}' is itself (nothing else
 *   could be meant).  HTML templates with CSS blocks must double their
 *   braces; the unknown-variable message says so.
 * - A value of length 0 is missing: the message is never sent with a
 *   blank where a name should be (SPEC §0).
 * - html_escape escapes what comes from data or from the fallback, never
 *   the template's own markup.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hrx_merge.h"


typedef struct {
    const char  *name;
    const char  *alias;
    const char  *description;
} hrx_merge_var_t;

/* indexed by id; the order of the enum in hrx_merge.h */
static const hrx_merge_var_t  hrx_merge_vars[HRX_MERGE_COUNT] = {
    { "candidate.family_name", "姓", "The candidate's family name" },
    { "candidate.given_name", "名", "The candidate's given name" },
    { "candidate.full_name", "氏名",
      "Family name, a space, given name" },
    { "candidate.family_name_kana", "セイ",
      "The candidate's family name in kana" },
    { "candidate.given_name_kana", "メイ",
      "The candidate's given name in kana" },
    { "candidate.email", "メールアドレス",
      "The candidate's email address" },
    { "candidate.school", "学校名", "The candidate's school" },
    { "candidate.graduation_year", "卒業年度",
      "The candidate's graduation year" },
    { "candidate.status", "選考ステータス",
      "The candidate's selection status" },
    { "job.title", "求人名", "Title of the candidate's job opening" },
    { "agent.name", "エージェント名", "Name of the candidate's agent" },
    { "owner.name", "担当者名",
      "Name of the user who owns the candidate" },
    { "company.name", "会社名", "The company's (tenant's) name" },
    { "next_interview_at", "次の面接日時",
      "The candidate's next interview, in the company's time zone "
      "(2026-12-01 14:00)" },
    { "next_interview_location", "次の面接場所",
      "Location of the candidate's next interview" },
    { "form.url", "フォームURL", "Link to a custom form (bulk actions)" },
    { "event.url", "イベントURL",
      "Invitation link to an event (bulk actions)" },
    { "line.friend_url", "LINE友だち登録URL",
      "Link to add the company's LINE account as a friend" },
};

#define HRX_PART_TEXT  -1

/* hrx_merge_template_t.used has a bit per id */
_Static_assert(HRX_MERGE_COUNT <= 32, "more merge variables than bits");

typedef struct {
    int      id;            /* variable id, or HRX_PART_TEXT */
    int      has_fallback;
    size_t   off;           /* text: the literal; variable: the fallback */
    size_t   len;
} hrx_merge_part_t;

struct hrx_merge_template_s {
    char              *text;      /* literals and fallbacks, unescaped */
    hrx_merge_part_t  *parts;
    size_t             nparts;
    uint32_t           used;      /* bit per id */
};

typedef struct {
    char    *p;
    size_t   len;
    size_t   cap;
} hrx_merge_buf_t;


/* registry ---------------------------------------------------------------- */


int
hrx_merge_lookup(const char *name, size_t len)
{
    int  i;

    for (i = 0; i < HRX_MERGE_COUNT; i++) {
        if ((strlen(hrx_merge_vars[i].name) == len
             && memcmp(hrx_merge_vars[i].name, name, len) == 0)
            || (strlen(hrx_merge_vars[i].alias) == len
                && memcmp(hrx_merge_vars[i].alias, name, len) == 0))
        {
            return i;
        }
    }

    return -1;
}


const char *
hrx_merge_name(int id)
{
    return (id >= 0 && id < HRX_MERGE_COUNT) ? hrx_merge_vars[id].name
                                             : NULL;
}


const char *
hrx_merge_alias(int id)
{
    return (id >= 0 && id < HRX_MERGE_COUNT) ? hrx_merge_vars[id].alias
                                             : NULL;
}


const char *
hrx_merge_description(int id)
{
    return (id >= 0 && id < HRX_MERGE_COUNT)
           ? hrx_merge_vars[id].description : NULL;
}


json_t *
hrx_merge_names_json(void)
{
    int      i;
    json_t  *arr, *o;

    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }

    for (i = 0; i < HRX_MERGE_COUNT; i++) {
        o = json_object();

        if (o == NULL
            || json_object_set_new(o, "name",
                                   json_string(hrx_merge_vars[i].name)) != 0
            || json_object_set_new(o, "alias",
                                   json_string(hrx_merge_vars[i].alias)) != 0
            || json_object_set_new(o, "description",
                                   json_string(hrx_merge_vars[i].description))
               != 0
            || json_array_append_new(arr, o) != 0)
        {
            /* append_new consumed o only when it succeeded */
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }

    return arr;
}


/* parsing ----------------------------------------------------------------- */


/* copies at most size - 1 bytes of s, cut on a UTF-8 character boundary */
static void
hrx_merge_copy_name(char *dst, size_t size, const char *s, size_t len)
{
    size_t  n;

    n = len < size - 1 ? len : size - 1;

    if (n < len) {
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    memcpy(dst, s, n);
    dst[n] = '\0';
}


static int
hrx_merge_fail(hrx_merge_error_t *err, const char *code, size_t offset)
{
    err->code = code;
    err->offset = offset;
    return -1;
}


static hrx_merge_part_t *
hrx_merge_add_part(hrx_merge_template_t *t, size_t *cap)
{
    size_t             n;
    hrx_merge_part_t  *p;

    if (t->nparts == *cap) {
        n = *cap ? *cap * 2 : 16;
        p = realloc(t->parts, n * sizeof(*p));
        if (p == NULL) {
            return NULL;
        }

        t->parts = p;
        *cap = n;
    }

    p = &t->parts[t->nparts++];
    memset(p, 0, sizeof(*p));

    return p;
}


/*
 * One pass over the template.  The literal text is copied into t->text as
 * it will be output (a "{{" becomes "{"), next to the fallbacks, so that
 * t->text never needs more than len bytes.
 */
int
hrx_merge_parse(const char *tmpl, size_t len, hrx_merge_template_t **out,
    hrx_merge_error_t *err)
{
    int                    id;
    char                   c;
    size_t                 i, j, name_end, cap, tlen;
    hrx_merge_part_t      *p, *lit;
    hrx_merge_template_t  *t;

    *out = NULL;
    memset(err, 0, sizeof(*err));

    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        goto nomem;
    }

    t->text = malloc(len + 1);
    if (t->text == NULL) {
        goto nomem;
    }

    cap = 0;
    tlen = 0;
    lit = NULL;         /* the literal part being extended, if any */
    i = 0;

    while (i < len) {
        c = tmpl[i];

        if (c != '{' || (i + 1 < len && tmpl[i + 1] == '{')) {

            /* literal text: "{{" -> "{", "}}" -> "}", anything else as is */
            if (lit == NULL) {
                lit = hrx_merge_add_part(t, &cap);
                if (lit == NULL) {
                    goto nomem;
                }

                lit->id = HRX_PART_TEXT;
                lit->off = tlen;
            }

            t->text[tlen++] = c;
            lit->len++;

            i += ((c == '{' || c == '}') && i + 1 < len && tmpl[i + 1] == c)
                 ? 2 : 1;
            continue;
        }

        /* a variable: '{' name ['|' fallback] '}' */
        for (j = i + 1; j < len; j++) {
            if (tmpl[j] == '}' || tmpl[j] == '|' || tmpl[j] == '\n') {
                break;
            }
        }

        if (j == len || tmpl[j] == '\n') {
            hrx_merge_fail(err, "malformed_template", i);
            snprintf(err->message, sizeof(err->message),
                     "unclosed \"{\" at byte %zu (write {{ for a literal "
                     "brace)", i);
            goto failed;
        }

        name_end = j;

        if (name_end == i + 1) {
            hrx_merge_fail(err, "malformed_template", i);
            snprintf(err->message, sizeof(err->message),
                     "empty variable name at byte %zu (write {{ and }} for "
                     "literal braces)", i);
            goto failed;
        }

        id = hrx_merge_lookup(tmpl + i + 1, name_end - i - 1);

        if (id < 0) {
            hrx_merge_fail(err, "unknown_variable", i);
            hrx_merge_copy_name(err->name, sizeof(err->name), tmpl + i + 1,
                                name_end - i - 1);
            snprintf(err->message, sizeof(err->message),
                     "unknown merge variable \"%s\" at byte %zu (write {{ "
                     "and }} for literal braces)", err->name, i);
            goto failed;
        }

        p = hrx_merge_add_part(t, &cap);
        if (p == NULL) {
            goto nomem;
        }

        p->id = id;
        t->used |= (uint32_t) 1 << id;
        lit = NULL;

        if (tmpl[j] == '|') {
            for (j = name_end + 1; j < len && tmpl[j] != '}'; j++) {
                /* void */
            }

            if (j == len) {
                hrx_merge_fail(err, "malformed_template", i);
                snprintf(err->message, sizeof(err->message),
                         "unclosed \"{\" at byte %zu: the fallback after "
                         "\"|\" has no \"}\"", i);
                goto failed;
            }

            p->has_fallback = 1;
            p->off = tlen;
            p->len = j - name_end - 1;
            memcpy(t->text + tlen, tmpl + name_end + 1, p->len);
            tlen += p->len;
        }

        i = j + 1;
    }

    t->text[tlen] = '\0';
    *out = t;

    return 0;

nomem:

    err->code = "internal_error";
    snprintf(err->message, sizeof(err->message), "out of memory");

failed:

    hrx_merge_free(t);
    return -1;
}


int
hrx_merge_uses(const hrx_merge_template_t *t, int id)
{
    return id >= 0 && id < HRX_MERGE_COUNT && (t->used >> id) & 1;
}


void
hrx_merge_free(hrx_merge_template_t *t)
{
    if (t == NULL) {
        return;
    }

    free(t->parts);
    free(t->text);
    free(t);
}


/* rendering --------------------------------------------------------------- */


static int
hrx_merge_reserve(hrx_merge_buf_t *b, size_t n)
{
    size_t   cap;
    char    *p;

    if (b->len + n + 1 <= b->cap) {
        return 0;
    }

    cap = b->cap ? b->cap : 256;

    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            return -1;
        }

        cap *= 2;
    }

    p = realloc(b->p, cap);
    if (p == NULL) {
        return -1;
    }

    b->p = p;
    b->cap = cap;

    return 0;
}


static int
hrx_merge_append(hrx_merge_buf_t *b, const char *s, size_t n, int escape)
{
    size_t       i, start, rlen;
    const char  *r;

    if (!escape) {
        if (hrx_merge_reserve(b, n) != 0) {
            return -1;
        }

        memcpy(b->p + b->len, s, n);
        b->len += n;
        return 0;
    }

    start = 0;

    for (i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':  r = "&amp;";  break;
        case '<':  r = "&lt;";   break;
        case '>':  r = "&gt;";   break;
        case '"':  r = "&quot;"; break;
        case '\'': r = "&#39;";  break;
        default:   continue;
        }

        rlen = strlen(r);

        if (hrx_merge_reserve(b, i - start + rlen) != 0) {
            return -1;
        }

        memcpy(b->p + b->len, s + start, i - start);
        b->len += i - start;
        memcpy(b->p + b->len, r, rlen);
        b->len += rlen;
        start = i + 1;
    }

    return hrx_merge_append(b, s + start, n - start, 0);
}


int
hrx_merge_render(const hrx_merge_template_t *t, hrx_merge_value_fn get,
    void *ctx, int html_escape, char **out, size_t *outlen, int *missing_ids,
    int *nmissing)
{
    int                      nm;
    size_t                   i, vlen;
    const char              *v;
    hrx_merge_buf_t          b;
    const hrx_merge_part_t  *p;

    /* per id: 0 not asked yet, 1 has a value, 2 missing, 3 missing and
     * recorded; get() is asked once */
    struct {
        int          state;
        const char  *value;
        size_t       len;
    } cache[HRX_MERGE_COUNT];

    *out = NULL;
    *outlen = 0;
    nm = 0;
    memset(&b, 0, sizeof(b));
    memset(cache, 0, sizeof(cache));

    if (hrx_merge_reserve(&b, 0) != 0) {
        goto nomem;
    }

    for (i = 0; i < t->nparts; i++) {
        p = &t->parts[i];

        if (p->id == HRX_PART_TEXT) {
            if (hrx_merge_append(&b, t->text + p->off, p->len, 0) != 0) {
                goto nomem;
            }

            continue;
        }

        if (cache[p->id].state == 0) {
            v = NULL;
            vlen = 0;

            if (get != NULL && get(ctx, p->id, &v, &vlen) == 1
                && v != NULL && vlen > 0)
            {
                cache[p->id].state = 1;
                cache[p->id].value = v;
                cache[p->id].len = vlen;

            } else {
                cache[p->id].state = 2;
            }
        }

        if (cache[p->id].state == 1) {
            if (hrx_merge_append(&b, cache[p->id].value, cache[p->id].len,
                                 html_escape) != 0)
            {
                goto nomem;
            }

            continue;
        }

        if (p->has_fallback) {
            if (hrx_merge_append(&b, t->text + p->off, p->len, html_escape)
                != 0)
            {
                goto nomem;
            }

            continue;
        }

        /* missing, no fallback: left empty, recorded once */
        if (cache[p->id].state == 2) {
            cache[p->id].state = 3;

            if (missing_ids != NULL) {
                missing_ids[nm] = p->id;
            }

            nm++;
        }
    }

    b.p[b.len] = '\0';
    *out = b.p;
    *outlen = b.len;

    if (nmissing != NULL) {
        *nmissing = nm;
    }

    return 0;

nomem:

    free(b.p);

    if (nmissing != NULL) {
        *nmissing = 0;
    }

    return -1;
}
