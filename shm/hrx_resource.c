/*
 * Resource descriptors (see hrx_resource.h): the tables, the checks of a
 * body against them, and the SQL made from them.
 *
 * Why tables.  Fourteen resources share one life cycle: a body checked
 * field by field, a row of the tenant written with its audit columns, a
 * name unique in the tenant, references that must exist in the tenant
 * and be reached by the actor, a list paged by id that leaves out what
 * the reader does not reach.  Written out per resource that is fourteen
 * copies of the same few hundred lines on each side of the ring, and the
 * copies drift.  Here each resource is a few lines of data, and both
 * processes run the same checks and the same statements.
 *
 * Why SQL renders the JSON.  A row leaves the database as the object the
 * API returns (json_object() over the row, sub-arrays as correlated
 * subqueries), so the worker sends it without building it in C, and the
 * shape exists once.  Times become RFC 3339 UTC with second precision,
 * exactly what hrx_json_time() writes.
 *
 * SQL text is made only from the names written in these tables; a value
 * from a request is always a bound parameter.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hrx_checks.h"
#include "hrx_resource.h"


/* ---- permissions ---------------------------------------------------- */

static const char *const  hrx_perm_names[] = {
    "candidates.operate_other",     /* 0x01 */
    "bulk_actions.manage",          /* 0x02 */
    "messages.view_reply",          /* 0x04 */
    "integrations.admin",           /* 0x08 */
    "templates.manage",             /* 0x10 */
    "campaigns.manage",             /* 0x20 */
    "users.admin",                  /* 0x40 */
    NULL
};


const char *
hrx_perm_name(unsigned bit)
{
    unsigned  i;

    for (i = 0; hrx_perm_names[i]; i++) {
        if (bit == (1u << i)) {
            return hrx_perm_names[i];
        }
    }

    return NULL;
}


static unsigned
hrx_perm_bit(const char *name)
{
    unsigned  i;

    for (i = 0; hrx_perm_names[i]; i++) {
        if (strcmp(name, hrx_perm_names[i]) == 0) {
            return 1u << i;
        }
    }

    return 0;
}


unsigned
hrx_perm_bits(const char *json, size_t len)
{
    size_t    i;
    json_t   *a, *v;
    unsigned  bits;

    a = json_loadb(json, len, 0, NULL);
    bits = 0;

    if (json_is_array(a)) {
        json_array_foreach(a, i, v) {
            if (json_is_string(v)) {
                bits |= hrx_perm_bit(json_string_value(v));
            }
        }
    }

    json_decref(a);

    return bits;
}


/* ---- checks ---------------------------------------------------------- */

int
hrx_res_fail(hrx_res_err_t *err, int status, const char *code,
    const char *field, const char *fmt, ...)
{
    va_list  args;

    err->status = status;
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");

    va_start(args, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, args);
    va_end(args);

    return -1;
}


/* "questions[2].key" */
static const char *
hrx_path(char *buf, size_t size, const char *base, size_t i,
    const char *member)
{
    if (member) {
        snprintf(buf, size, "%s[%zu].%s", base, i, member);
    } else {
        snprintf(buf, size, "%s[%zu]", base, i);
    }

    return buf;
}


static size_t
hrx_utf8_chars(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        /* count every byte that does not continue a sequence */
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


/* a string of min..max characters without NUL */
static int
hrx_check_string(const json_t *v, const char *field, int64_t min,
    int64_t max, hrx_res_err_t *err)
{
    size_t       len, n;
    const char  *s;

    if (!json_is_string(v)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be a string", field);
    }

    s = json_string_value(v);
    len = json_string_length(v);

    if (memchr(s, '\0', len) != NULL) {
        return hrx_res_fail(err, 400, "invalid_value", field,
                            "\"%s\" must not contain NUL", field);
    }

    n = hrx_utf8_chars(s, len);

    if ((int64_t) n < min || (int64_t) n > max) {
        return hrx_res_fail(err, 400, "invalid_length", field,
                            "\"%s\" must have %lld to %lld characters, "
                            "not %zu", field, (long long) min,
                            (long long) max, n);
    }

    return 0;
}


static int
hrx_check_int(const json_t *v, const char *field, int64_t min, int64_t max,
    hrx_res_err_t *err)
{
    json_int_t  n;

    if (!json_is_integer(v)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be an integer", field);
    }

    n = json_integer_value(v);

    if (n < min || n > max) {
        return hrx_res_fail(err, 400, "invalid_value", field,
                            "\"%s\" must be from %lld to %lld", field,
                            (long long) min, (long long) max);
    }

    return 0;
}


static int
hrx_check_time(const json_t *v, const char *field, int64_t *ms,
    hrx_res_err_t *err)
{
    int64_t  t;

    if (!json_is_string(v)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be a string", field);
    }

    if (hrx_time_parse(json_string_value(v), &t) != 0) {
        return hrx_res_fail(err, 400, "invalid_value", field,
                            "\"%s\" must be an RFC 3339 time such as "
                            "\"2026-11-21T09:30:00Z\"", field);
    }

    if (ms) {
        *ms = t;
    }

    return 0;
}


static int
hrx_check_bool(const json_t *v, const char *field, hrx_res_err_t *err)
{
    if (!json_is_boolean(v)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be true or false", field);
    }

    return 0;
}


/* obj holds no member other than those named */
static int
hrx_check_members(const json_t *obj, const char *field,
    const char *const *names, hrx_res_err_t *err)
{
    char          buf[160];
    void         *it;
    const char   *key;
    unsigned      i;

    for (it = json_object_iter((json_t *) obj); it;
         it = json_object_iter_next((json_t *) obj, it))
    {
        key = json_object_iter_key(it);

        for (i = 0; names[i]; i++) {
            if (strcmp(names[i], key) == 0) {
                break;
            }
        }

        if (names[i] == NULL) {
            snprintf(buf, sizeof(buf), "%s.%s", field, key);
            return hrx_res_fail(err, 400, "unknown_field", buf,
                                "unknown field \"%s\"", buf);
        }
    }

    return 0;
}


/* a member that must be present: *v set, or -1 (required) */
static int
hrx_member(const json_t *obj, const char *field, size_t i, const char *name,
    int required, const json_t **v, char *buf, size_t size,
    hrx_res_err_t *err)
{
    hrx_path(buf, size, field, i, name);

    *v = json_object_get(obj, name);

    if (*v && json_is_null(*v)) {
        *v = NULL;
    }

    if (*v == NULL && required) {
        return hrx_res_fail(err, 400, "required", buf,
                            "\"%s\" is required", buf);
    }

    return 0;
}


int
hrx_check_ids(const json_t *value, const char *field, int64_t max,
    hrx_res_err_t *err)
{
    char         buf[160];
    size_t       i, j;
    json_int_t   id;

    if (!json_is_array(value)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be an array of ids", field);
    }

    if ((int64_t) json_array_size(value) > max) {
        return hrx_res_fail(err, 400, "invalid_length", field,
                            "\"%s\" may hold at most %lld ids", field,
                            (long long) max);
    }

    for (i = 0; i < json_array_size(value); i++) {

        if (!json_is_integer(json_array_get(value, i))
            || json_integer_value(json_array_get(value, i)) <= 0)
        {
            hrx_path(buf, sizeof(buf), field, i, NULL);
            return hrx_res_fail(err, 400, "invalid_type", buf,
                                "\"%s\" must be a positive id", buf);
        }

        id = json_integer_value(json_array_get(value, i));

        for (j = 0; j < i; j++) {
            if (json_integer_value(json_array_get(value, j)) == id) {
                hrx_path(buf, sizeof(buf), field, i, NULL);
                return hrx_res_fail(err, 400, "invalid_value", buf,
                                    "\"%s\": id %lld is listed twice", buf,
                                    (long long) id);
            }
        }
    }

    return 0;
}


/*
 * The shape the mail code relies on: one "@", something on both sides,
 * no spaces or control characters (the module's check, for both sides).
 */
int
hrx_check_email(const json_t *value, const char *field, hrx_res_err_t *err)
{
    size_t       i, len, at;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);
    at = len;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] <= ' ' || s[i] == 0x7f) {
            return hrx_res_fail(err, 400, "invalid_value", field,
                                "\"%s\" must not contain spaces or control "
                                "characters", field);
        }

        if (s[i] == '@') {
            if (at != len) {
                return hrx_res_fail(err, 400, "invalid_value", field,
                                    "\"%s\" must contain exactly one \"@\"",
                                    field);
            }

            at = i;
        }
    }

    if (at == len || at == 0 || at == len - 1) {
        return hrx_res_fail(err, 400, "invalid_value", field,
                            "\"%s\" must be an email address "
                            "(name@domain)", field);
    }

    return 0;
}


/* #rrggbb */
static int
hrx_check_color(const json_t *value, const char *field, hrx_res_err_t *err)
{
    size_t       i;
    const char  *s;

    s = json_string_value(value);

    for (i = 1; i < 7; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
              || (s[i] >= 'A' && s[i] <= 'F')))
        {
            break;
        }
    }

    if (json_string_length(value) != 7 || s[0] != '#' || i != 7) {
        return hrx_res_fail(err, 400, "invalid_value", field,
                            "\"%s\" must be a color \"#rrggbb\"", field);
    }

    return 0;
}


/* roles.permissions: unique permission names */
static int
hrx_check_permissions(const json_t *value, const char *field,
    hrx_res_err_t *err)
{
    char      buf[160];
    size_t    i;
    json_t   *v;
    unsigned  bit, seen;

    if (!json_is_array(value)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be an array of permission names",
                            field);
    }

    seen = 0;

    json_array_foreach(value, i, v) {
        hrx_path(buf, sizeof(buf), field, i, NULL);

        if (!json_is_string(v)) {
            return hrx_res_fail(err, 400, "invalid_type", buf,
                                "\"%s\" must be a permission name", buf);
        }

        bit = hrx_perm_bit(json_string_value(v));

        if (bit == 0) {
            return hrx_res_fail(err, 400, "invalid_value", buf,
                                "\"%s\": unknown permission \"%.64s\"", buf,
                                json_string_value(v));
        }

        if (seen & bit) {
            return hrx_res_fail(err, 400, "invalid_value", buf,
                                "\"%s\": \"%s\" is listed twice", buf,
                                json_string_value(v));
        }

        seen |= bit;
    }

    return 0;
}


static const char *const  hrx_grant_types[] = {
    "search_group", "form", "event_group", "template", "candidate_group",
    NULL
};


/* master_groups.grants: [{"type", "id"}], each pair once */
static int
hrx_check_grants(const json_t *value, const char *field, hrx_res_err_t *err)
{
    char            buf[160];
    size_t          i, j;
    unsigned        k;
    const json_t   *g, *type, *id, *h;

    static const char *const  members[] = { "type", "id", NULL };

    if (!json_is_array(value)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be an array", field);
    }

    if (json_array_size(value) > 1000) {
        return hrx_res_fail(err, 400, "invalid_length", field,
                            "\"%s\" may hold at most 1000 grants", field);
    }

    for (i = 0; i < json_array_size(value); i++) {
        g = json_array_get(value, i);

        if (!json_is_object(g)) {
            hrx_path(buf, sizeof(buf), field, i, NULL);
            return hrx_res_fail(err, 400, "invalid_type", buf,
                                "\"%s\" must be an object", buf);
        }

        hrx_path(buf, sizeof(buf), field, i, NULL);

        if (hrx_check_members(g, buf, members, err) != 0
            || hrx_member(g, field, i, "type", 1, &type, buf, sizeof(buf),
                          err) != 0
            || hrx_check_string(type, buf, 1, 32, err) != 0)
        {
            return -1;
        }

        for (k = 0; hrx_grant_types[k]; k++) {
            if (strcmp(hrx_grant_types[k], json_string_value(type)) == 0) {
                break;
            }
        }

        if (hrx_grant_types[k] == NULL) {
            return hrx_res_fail(err, 400, "invalid_value", buf,
                                "\"%s\" must be one of search_group, form, "
                                "event_group, template, candidate_group",
                                buf);
        }

        if (hrx_member(g, field, i, "id", 1, &id, buf, sizeof(buf), err)
            != 0
            || hrx_check_int(id, buf, 1, INT64_MAX, err) != 0)
        {
            return -1;
        }

        for (j = 0; j < i; j++) {
            h = json_array_get(value, j);

            if (json_integer_value(json_object_get(h, "id"))
                    == json_integer_value(id)
                && strcmp(json_string_value(json_object_get(h, "type")),
                          json_string_value(type)) == 0)
            {
                hrx_path(buf, sizeof(buf), field, i, NULL);
                return hrx_res_fail(err, 400, "invalid_value", buf,
                                    "\"%s\" grants the same object twice",
                                    buf);
            }
        }
    }

    return 0;
}


#define HRX_EVENT_DATES_MAX    50
#define HRX_CAPACITY_MAX       100000

/* events.dates: [{"id"?, "starts_at", "ends_at"?, "capacity"}] */
static int
hrx_check_dates(const json_t *value, const char *field, hrx_res_err_t *err)
{
    char            buf[160];
    size_t          i, j;
    int64_t         starts, ends;
    const json_t   *d, *v;

    static const char *const  members[] = {
        "id", "starts_at", "ends_at", "capacity", NULL
    };

    if (!json_is_array(value)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be an array", field);
    }

    if (json_array_size(value) < 1
        || json_array_size(value) > HRX_EVENT_DATES_MAX)
    {
        return hrx_res_fail(err, 400, "invalid_length", field,
                            "\"%s\" must hold 1 to %d dates", field,
                            HRX_EVENT_DATES_MAX);
    }

    for (i = 0; i < json_array_size(value); i++) {
        d = json_array_get(value, i);
        hrx_path(buf, sizeof(buf), field, i, NULL);

        if (!json_is_object(d)) {
            return hrx_res_fail(err, 400, "invalid_type", buf,
                                "\"%s\" must be an object", buf);
        }

        if (hrx_check_members(d, buf, members, err) != 0) {
            return -1;
        }

        if (hrx_member(d, field, i, "id", 0, &v, buf, sizeof(buf), err)
            != 0
            || (v && hrx_check_int(v, buf, 1, INT64_MAX, err) != 0))
        {
            return -1;
        }

        for (j = 0; v && j < i; j++) {
            if (json_integer_value(json_object_get(json_array_get(value, j),
                                                   "id"))
                == json_integer_value(v))
            {
                return hrx_res_fail(err, 400, "invalid_value", buf,
                                    "\"%s\": date %lld is listed twice", buf,
                                    (long long) json_integer_value(v));
            }
        }

        if (hrx_member(d, field, i, "starts_at", 1, &v, buf, sizeof(buf),
                       err) != 0
            || hrx_check_time(v, buf, &starts, err) != 0
            || hrx_member(d, field, i, "ends_at", 0, &v, buf, sizeof(buf),
                          err) != 0
            || (v && hrx_check_time(v, buf, &ends, err) != 0))
        {
            return -1;
        }

        if (v && ends <= starts) {
            return hrx_res_fail(err, 400, "invalid_value", buf,
                                "\"%s\" must be after starts_at", buf);
        }

        if (hrx_member(d, field, i, "capacity", 1, &v, buf, sizeof(buf),
                       err) != 0
            || hrx_check_int(v, buf, 1, HRX_CAPACITY_MAX, err) != 0)
        {
            return -1;
        }
    }

    return 0;
}


static const char *const  hrx_question_types[] = {
    "text", "textarea", "choice", "checkbox", "date", NULL
};


/* ^[a-z][a-z0-9_]{0,39}$ */
static int
hrx_key_valid(const char *s, size_t len)
{
    size_t  i;

    if (len < 1 || len > 40 || s[0] < 'a' || s[0] > 'z') {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


static int
hrx_check_choices(const json_t *value, const char *field, hrx_res_err_t *err)
{
    char     buf[192];
    size_t   i, j;

    if (!json_is_array(value)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be an array of strings", field);
    }

    if (json_array_size(value) < 1 || json_array_size(value) > 100) {
        return hrx_res_fail(err, 400, "invalid_length", field,
                            "\"%s\" must hold 1 to 100 choices", field);
    }

    for (i = 0; i < json_array_size(value); i++) {
        hrx_path(buf, sizeof(buf), field, i, NULL);

        if (hrx_check_string(json_array_get(value, i), buf, 1, 200, err)
            != 0)
        {
            return -1;
        }

        for (j = 0; j < i; j++) {
            if (json_equal(json_array_get(value, i),
                           json_array_get(value, j)))
            {
                return hrx_res_fail(err, 400, "invalid_value", buf,
                                    "\"%s\" is listed twice", buf);
            }
        }
    }

    return 0;
}


/* forms.questions */
static int
hrx_check_questions(const json_t *value, const char *field,
    hrx_res_err_t *err)
{
    char            buf[160];
    size_t          i, j;
    unsigned        k;
    const char     *type;
    const json_t   *q, *v, *choices;

    static const char *const  members[] = {
        "key", "label", "type", "required", "choices", NULL
    };

    if (!json_is_array(value)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be an array", field);
    }

    if (json_array_size(value) < 1 || json_array_size(value) > 100) {
        return hrx_res_fail(err, 400, "invalid_length", field,
                            "\"%s\" must hold 1 to 100 questions", field);
    }

    for (i = 0; i < json_array_size(value); i++) {
        q = json_array_get(value, i);
        hrx_path(buf, sizeof(buf), field, i, NULL);

        if (!json_is_object(q)) {
            return hrx_res_fail(err, 400, "invalid_type", buf,
                                "\"%s\" must be an object", buf);
        }

        if (hrx_check_members(q, buf, members, err) != 0
            || hrx_member(q, field, i, "key", 1, &v, buf, sizeof(buf), err)
               != 0
            || hrx_check_string(v, buf, 1, 40, err) != 0)
        {
            return -1;
        }

        if (!hrx_key_valid(json_string_value(v), json_string_length(v))) {
            return hrx_res_fail(err, 400, "invalid_value", buf,
                                "\"%s\" must be lowercase letters, digits "
                                "and \"_\", starting with a letter", buf);
        }

        for (j = 0; j < i; j++) {
            if (json_equal(v, json_object_get(json_array_get(value, j),
                                              "key")))
            {
                return hrx_res_fail(err, 400, "invalid_value", buf,
                                    "\"%s\": key \"%s\" is used twice", buf,
                                    json_string_value(v));
            }
        }

        if (hrx_member(q, field, i, "label", 1, &v, buf, sizeof(buf), err)
            != 0
            || hrx_check_string(v, buf, 1, 200, err) != 0
            || hrx_member(q, field, i, "type", 1, &v, buf, sizeof(buf), err)
               != 0
            || hrx_check_string(v, buf, 1, 16, err) != 0)
        {
            return -1;
        }

        type = json_string_value(v);

        for (k = 0; hrx_question_types[k]; k++) {
            if (strcmp(hrx_question_types[k], type) == 0) {
                break;
            }
        }

        if (hrx_question_types[k] == NULL) {
            return hrx_res_fail(err, 400, "invalid_value", buf,
                                "\"%s\" must be one of text, textarea, "
                                "choice, checkbox, date", buf);
        }

        if (hrx_member(q, field, i, "required", 0, &v, buf, sizeof(buf),
                       err) != 0
            || (v && hrx_check_bool(v, buf, err) != 0)
            || hrx_member(q, field, i, "choices", 0, &choices, buf,
                          sizeof(buf), err) != 0)
        {
            return -1;
        }

        if (choices == NULL && strcmp(type, "choice") == 0) {
            return hrx_res_fail(err, 400, "required", buf,
                                "\"%s\" is required for a choice question",
                                buf);
        }

        if (choices && strcmp(type, "choice") != 0
            && strcmp(type, "checkbox") != 0)
        {
            return hrx_res_fail(err, 400, "invalid_value", buf,
                                "\"%s\" is only for choice and checkbox "
                                "questions", buf);
        }

        if (choices && hrx_check_choices(choices, buf, err) != 0) {
            return -1;
        }
    }

    return 0;
}


/* ---- candidates ------------------------------------------------------ */

/* E.164: ^\+[1-9][0-9]{6,14}$ (WhatsApp and SMS numbers) */
int
hrx_check_e164(const json_t *value, const char *field, hrx_res_err_t *err)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    for (i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            break;
        }
    }

    if (len < 8 || len > 16 || s[0] != '+' || s[1] == '0' || i != len) {
        return hrx_res_fail(err, 400, "invalid_value", field,
                            "\"%s\" must be an E.164 number: \"+\", the "
                            "country code and 6 to 14 more digits, such as "
                            "\"+819012345678\"", field);
    }

    return 0;
}


/* ISO 3166-1 alpha-2, the codes assigned (as zoneinfo's iso3166.tab) */
static const char  hrx_countries[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH "
    "BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL "
    "CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET "
    "FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU "
    "GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE "
    "KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC "
    "MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC "
    "NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT "
    "PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR "
    "SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA "
    "UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";


int
hrx_check_country(const json_t *value, const char *field, hrx_res_err_t *err)
{
    size_t       i;
    const char  *s;

    s = json_string_value(value);

    if (json_string_length(value) == 2
        && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z')
    {
        for (i = 0; i + 1 < sizeof(hrx_countries); i += 3) {
            if (hrx_countries[i] == s[0] && hrx_countries[i + 1] == s[1]) {
                return 0;
            }
        }
    }

    return hrx_res_fail(err, 400, "invalid_value", field,
                        "\"%s\" must be an ISO 3166-1 alpha-2 country code "
                        "in capitals, such as \"JP\"", field);
}


int
hrx_custom_key_valid(const char *s, size_t len)
{
    return hrx_key_valid(s, len);
}


/*
 * candidates.custom_fields: an object of at most 50 keys, each
 * ^[a-z][a-z0-9_]{0,39}$ (the saved-search compiler addresses them as
 * custom.<key>), each value a string (at most 1000 characters), a number
 * or true/false.  Errors name "custom_fields.<key>".
 */
int
hrx_check_custom_fields(const json_t *value, const char *field,
    hrx_res_err_t *err)
{
    char         buf[160];
    void        *it;
    size_t       len;
    json_t      *v;
    const char  *key;

    if (!json_is_object(value)) {
        return hrx_res_fail(err, 400, "invalid_type", field,
                            "\"%s\" must be an object", field);
    }

    if (json_object_size(value) > HRX_CUSTOM_FIELDS_MAX) {
        return hrx_res_fail(err, 400, "invalid_length", field,
                            "\"%s\" may hold at most %d keys", field,
                            HRX_CUSTOM_FIELDS_MAX);
    }

    for (it = json_object_iter((json_t *) value); it;
         it = json_object_iter_next((json_t *) value, it))
    {
        key = json_object_iter_key(it);
        v = json_object_iter_value(it);
        len = strlen(key);

        snprintf(buf, sizeof(buf), "%s.%.64s", field, key);

        if (!hrx_key_valid(key, len)) {
            return hrx_res_fail(err, 400, "invalid_value", buf,
                                "\"%s\": a key must be lowercase letters, "
                                "digits and \"_\" (at most 40), starting "
                                "with a letter", buf);
        }

        if (json_is_string(v)) {
            if (hrx_check_string(v, buf, 0, HRX_CUSTOM_VALUE_MAX, err) != 0)
            {
                return -1;
            }

        } else if (!json_is_number(v) && !json_is_boolean(v)) {
            return hrx_res_fail(err, 400, "invalid_type", buf,
                                "\"%s\" must be a string, a number, true "
                                "or false", buf);
        }
    }

    return 0;
}


/*
 * Route and agent: route "agent" needs agent_id; agent_id is for route
 * "agent" only.  What the body alone decides: a create (route absent is
 * "direct"), or an update giving both.  An update giving one of them is
 * checked against the row by the scheduler (apply_candidate_write).
 */
static int
hrx_check_candidate(const json_t *body, int mode, hrx_res_err_t *err)
{
    int            agent, create;
    const json_t  *route, *id;

    create = (mode & 0xff) == HRX_RES_CREATE;
    route = json_object_get(body, "route");
    id = json_object_get(body, "agent_id");

    if (route == NULL || json_is_null(route)) {
        if (!create) {
            return 0;
        }

        agent = 0;

    } else {
        agent = strcmp(json_string_value(route), "agent") == 0;
    }

    if (agent && (id == NULL ? create : json_is_null(id))) {
        return hrx_res_fail(err, 400, "required", "agent_id",
                            "\"agent_id\" is required when \"route\" is "
                            "\"agent\"");
    }

    if (!agent && id != NULL && !json_is_null(id)
        && (create || route != NULL))
    {
        return hrx_res_fail(err, 400, "invalid_value", "agent_id",
                            "\"agent_id\" is only for \"route\": \"agent\" "
                            "(the route is \"direct\")");
    }

    return 0;
}


/* ---- the descriptors ------------------------------------------------- */

static const char *const  hrx_status_values[] = {
    "active", "disabled", NULL
};

static const char *const  hrx_job_status_values[] = { "open", "closed", NULL };

#define HRX_NAME_FIELD(fl, maxlen)                                         \
    { .name = "name", .type = HRX_FT_STRING,                                  \
      .flags = HRX_F_REQUIRED | (fl), .min = 1, .max = (maxlen) }

#define HRX_END_FIELD  { .name = NULL }

/* the JSON of a time column, as hrx_json_time() writes it */
#define HRX_SQL_TIME(col)                                                     \
    "CASE WHEN " col " > 0 THEN strftime('%Y-%m-%dT%H:%M:%SZ', "              \
    col " / 1000, 'unixepoch') END"


static const hrx_res_field_t  hrx_role_fields[] = {
    HRX_NAME_FIELD(HRX_F_UNIQUE, 200),
    { .name = "permissions", .type = HRX_FT_JSON, .max = 4096,
      .dflt = "'[]'", .check = hrx_check_permissions },
    { .name = "builtin", .type = HRX_FT_BOOL, .flags = HRX_F_READONLY },
    HRX_END_FIELD
};

static const hrx_res_dep_t  hrx_role_deps[] = {
    { "users", "role_id", "users" },
    { NULL, NULL, NULL }
};

static const hrx_res_field_t  hrx_master_group_fields[] = {
    HRX_NAME_FIELD(HRX_F_UNIQUE, 200),
    { .name = "member_ids", .type = HRX_FT_IDS, .max = 5000,
      .ref = HRX_RES_USER, .link = "user_master_groups",
      .link_self = "master_group_id", .link_other = "user_id" },
    { .name = "grants", .type = HRX_FT_JSON, .flags = HRX_F_NOCOLUMN,
      .max = 1 << 20, .check = hrx_check_grants,
      .render =
        "json((SELECT json_group_array(json_object('type', g.object_type,"
        " 'id', g.object_id)) FROM (SELECT object_type, object_id"
        " FROM master_group_grants WHERE master_group_id = t.id"
        " ORDER BY object_type, object_id) g))" },
    HRX_END_FIELD
};

static const hrx_res_field_t  hrx_name_fields[] = {
    HRX_NAME_FIELD(HRX_F_UNIQUE, 200),
    HRX_END_FIELD
};

static const hrx_res_dep_t  hrx_candidate_group_deps[] = {
    { "candidates", "candidate_group_id", "candidates" },
    { NULL, NULL, NULL }
};

static const hrx_res_field_t  hrx_label_fields[] = {
    HRX_NAME_FIELD(HRX_F_UNIQUE, 100),
    { .name = "color", .type = HRX_FT_STRING, .min = 7, .max = 7,
      .check = hrx_check_color },
    HRX_END_FIELD
};

static const hrx_res_field_t  hrx_agent_fields[] = {
    HRX_NAME_FIELD(0, 200),
    { .name = "email", .type = HRX_FT_STRING, .flags = HRX_F_REQUIRED,
      .min = 3, .max = 254, .check = hrx_check_email },
    { .name = "status", .type = HRX_FT_STRING, .min = 1, .max = 16,
      .values = hrx_status_values, .dflt = "'active'" },
    { .name = "route_to_agent", .type = HRX_FT_BOOL, .dflt = "0" },
    HRX_END_FIELD
};

static const hrx_res_dep_t  hrx_agent_deps[] = {
    { "candidates", "agent_id", "candidates" },
    { NULL, NULL, NULL }
};

static const hrx_res_field_t  hrx_job_opening_fields[] = {
    { .name = "title", .type = HRX_FT_STRING, .flags = HRX_F_REQUIRED,
      .min = 1, .max = 200 },
    { .name = "status", .type = HRX_FT_STRING, .min = 1, .max = 16,
      .values = hrx_job_status_values, .dflt = "'open'" },
    { .name = "description", .type = HRX_FT_STRING, .max = 10000 },
    HRX_END_FIELD
};

static const hrx_res_dep_t  hrx_job_opening_deps[] = {
    { "candidates", "job_opening_id", "candidates" },
    { "interviews", "job_opening_id", "interviews" },
    { NULL, NULL, NULL }
};

static const hrx_res_field_t  hrx_interview_fields[] = {
    { .name = "candidate_id", .type = HRX_FT_REF, .flags = HRX_F_REQUIRED,
      .ref = HRX_RES_CANDIDATE },
    { .name = "job_opening_id", .type = HRX_FT_REF,
      .ref = HRX_RES_JOB_OPENING },
    { .name = "starts_at", .type = HRX_FT_TIME, .flags = HRX_F_REQUIRED },
    { .name = "location", .type = HRX_FT_STRING, .max = 500 },
    { .name = "interviewer_id", .type = HRX_FT_REF, .ref = HRX_RES_USER },
    HRX_END_FIELD
};

static const hrx_res_dep_t  hrx_search_group_deps[] = {
    { "saved_searches", "search_group_id", "saved searches" },
    { NULL, NULL, NULL }
};

static const hrx_res_field_t  hrx_saved_search_fields[] = {
    { .name = "search_group_id", .type = HRX_FT_REF,
      .flags = HRX_F_REQUIRED, .ref = HRX_RES_SEARCH_GROUP },
    HRX_NAME_FIELD(0, 200),
    { .name = "condition", .type = HRX_FT_JSON, .flags = HRX_F_REQUIRED,
      .max = 65536, .check = hrx_check_condition },
    HRX_END_FIELD
};

static const hrx_res_dep_t  hrx_event_group_deps[] = {
    { "events", "event_group_id", "events" },
    { NULL, NULL, NULL }
};

static const hrx_res_field_t  hrx_event_fields[] = {
    { .name = "event_group_id", .type = HRX_FT_REF,
      .flags = HRX_F_REQUIRED, .ref = HRX_RES_EVENT_GROUP },
    { .name = "title", .type = HRX_FT_STRING, .flags = HRX_F_REQUIRED,
      .min = 1, .max = 200 },
    { .name = "description", .type = HRX_FT_STRING, .max = 10000 },
    { .name = "location", .type = HRX_FT_STRING, .max = 500 },
    { .name = "published", .type = HRX_FT_BOOL, .dflt = "0" },
    { .name = "dates", .type = HRX_FT_JSON,
      .flags = HRX_F_REQUIRED | HRX_F_NOCOLUMN, .max = 1 << 20,
      .check = hrx_check_dates,
      .render =
        "json((SELECT json_group_array(json_object('id', d.id,"
        " 'starts_at', " HRX_SQL_TIME("d.starts_at") ","
        " 'ends_at', " HRX_SQL_TIME("d.ends_at") ","
        " 'capacity', d.capacity, 'registered', d.registered))"
        " FROM (SELECT * FROM event_dates WHERE event_id = t.id"
        " ORDER BY starts_at, id) d))" },
    HRX_END_FIELD
};

static const hrx_res_field_t  hrx_form_fields[] = {
    HRX_NAME_FIELD(0, 200),
    { .name = "questions", .type = HRX_FT_JSON, .flags = HRX_F_REQUIRED,
      .max = 1 << 20, .check = hrx_check_questions },
    HRX_END_FIELD
};

/*
 * Merge variables ({candidate.family_name}, ...) are checked by the merge
 * library (shm/hrx_merge.c) through hrx_check_merge (shm/hrx_checks.c);
 * the condition of a saved search by the search compiler through
 * hrx_check_condition.
 */
static const hrx_res_field_t  hrx_template_fields[] = {
    HRX_NAME_FIELD(HRX_F_UNIQUE, 200),
    { .name = "subject", .type = HRX_FT_STRING, .flags = HRX_F_REQUIRED,
      .min = 1, .max = 255, .check = hrx_check_merge },
    { .name = "body_text", .type = HRX_FT_STRING, .flags = HRX_F_REQUIRED,
      .min = 1, .max = 100000, .check = hrx_check_merge },
    { .name = "body_html", .type = HRX_FT_STRING, .max = 200000,
      .check = hrx_check_merge },
    HRX_END_FIELD
};

/* users are not a generic resource; their master groups are a link */
static const hrx_res_field_t  hrx_user_fields[] = {
    { .name = "master_group_ids", .type = HRX_FT_IDS, .max = 100,
      .ref = HRX_RES_MASTER_GROUP, .link = "user_master_groups",
      .link_self = "user_id", .link_other = "master_group_id" },
    HRX_END_FIELD
};

/*
 * Candidates (docs/data-model.md, "Candidates").  Reached by the operate
 * rule; created and deleted with candidates.operate_other, edited by
 * whoever operates on the row (HRX_RES_EDIT_BY_REACH).  label_ids is a
 * link set whose links keep the time they were made; custom_fields a JSON
 * column; route and agent_id are checked together (hrx_check_candidate,
 * and against the row by the scheduler).  line_* are set by LINE linking
 * only (line.link, scheduler/apply_line_link.c): read-only here, so no
 * body can set, change or clear them (LN-4, LN-5); line_friend is derived
 * from line_user_id.
 */
static const char *const  hrx_candidate_status_values[] = {
    "applied", "screening", "interview", "offer", "hired", "rejected",
    "withdrawn", NULL
};

static const char *const  hrx_route_values[] = { "direct", "agent", NULL };

static const hrx_res_field_t  hrx_candidate_fields[] = {
    { .name = "family_name", .type = HRX_FT_STRING, .flags = HRX_F_REQUIRED,
      .min = 1, .max = 100 },
    { .name = "given_name", .type = HRX_FT_STRING, .min = 1, .max = 100 },
    { .name = "family_name_kana", .type = HRX_FT_STRING, .min = 1,
      .max = 100 },
    { .name = "given_name_kana", .type = HRX_FT_STRING, .min = 1,
      .max = 100 },
    { .name = "email", .type = HRX_FT_STRING, .min = 3, .max = 254,
      .check = hrx_check_email },
    { .name = "phone", .type = HRX_FT_STRING, .min = 1, .max = 16,
      .check = hrx_check_e164 },
    { .name = "country", .type = HRX_FT_STRING, .min = 1, .max = 2,
      .check = hrx_check_country },
    { .name = "graduation_year", .type = HRX_FT_INT, .min = 1950,
      .max = 2100 },
    { .name = "school", .type = HRX_FT_STRING, .min = 1, .max = 200 },
    { .name = "status", .type = HRX_FT_STRING, .min = 1, .max = 16,
      .values = hrx_candidate_status_values, .dflt = "'applied'" },
    { .name = "label_ids", .type = HRX_FT_IDS,
      .max = HRX_CANDIDATE_LABELS_MAX, .ref = HRX_RES_LABEL,
      .link = "candidate_labels", .link_self = "candidate_id",
      .link_other = "label_id", .link_at = "labeled_at" },
    { .name = "candidate_group_id", .type = HRX_FT_REF,
      .ref = HRX_RES_CANDIDATE_GROUP },
    { .name = "owner_id", .type = HRX_FT_REF, .ref = HRX_RES_USER },
    { .name = "route", .type = HRX_FT_STRING, .min = 1, .max = 16,
      .values = hrx_route_values, .dflt = "'direct'" },
    { .name = "agent_id", .type = HRX_FT_REF, .ref = HRX_RES_AGENT },
    { .name = "job_opening_id", .type = HRX_FT_REF,
      .ref = HRX_RES_JOB_OPENING },
    { .name = "custom_fields", .type = HRX_FT_JSON, .max = 65536,
      .dflt = "'{}'", .check = hrx_check_custom_fields },
    { .name = "whatsapp_number", .type = HRX_FT_STRING, .min = 1,
      .max = 16, .check = hrx_check_e164 },
    { .name = "opted_out", .type = HRX_FT_BOOL, .dflt = "0" },
    { .name = "line_user_id", .type = HRX_FT_STRING,
      .flags = HRX_F_READONLY },
    { .name = "line_linked_at", .type = HRX_FT_TIME,
      .flags = HRX_F_READONLY },
    /* LN-5: "LINE friend" next to the email; derived, never stored */
    { .name = "line_friend", .type = HRX_FT_BOOL,
      .flags = HRX_F_READONLY | HRX_F_NOCOLUMN,
      .render = "json(CASE WHEN t.line_user_id IS NOT NULL THEN 'true'"
                " ELSE 'false' END)" },
    HRX_END_FIELD
};



const hrx_res_t  hrx_resources[HRX_RES_MAX] = {

    [HRX_RES_ROLE] = {
        HRX_RES_ROLE, "role", "/api/v1/roles", "roles",
        HRX_PERM_USERS_ADMIN, 0, HRX_REACH_ALL, NULL, NULL,
        hrx_role_fields, hrx_role_deps },

    [HRX_RES_MASTER_GROUP] = {
        HRX_RES_MASTER_GROUP, "master_group", "/api/v1/master-groups",
        "master_groups",
        HRX_PERM_USERS_ADMIN, HRX_PERM_USERS_ADMIN, HRX_REACH_ADMIN, NULL,
        NULL, hrx_master_group_fields, NULL },

    [HRX_RES_CANDIDATE_GROUP] = {
        HRX_RES_CANDIDATE_GROUP, "candidate_group",
        "/api/v1/candidate-groups", "candidate_groups",
        HRX_PERM_USERS_ADMIN, 0, HRX_REACH_GRANT, "candidate_group", NULL,
        hrx_name_fields, hrx_candidate_group_deps },

    [HRX_RES_LABEL] = {
        HRX_RES_LABEL, "label", "/api/v1/labels", "labels",
        HRX_PERM_CANDIDATES_OPERATE_OTHER, 0, HRX_REACH_ALL, NULL, NULL,
        hrx_label_fields, NULL },

    [HRX_RES_AGENT] = {
        HRX_RES_AGENT, "agent", "/api/v1/agents", "agents",
        HRX_PERM_CANDIDATES_OPERATE_OTHER, 0, HRX_REACH_ALL, NULL, NULL,
        hrx_agent_fields, hrx_agent_deps },

    [HRX_RES_JOB_OPENING] = {
        HRX_RES_JOB_OPENING, "job_opening", "/api/v1/job-openings",
        "job_openings",
        HRX_PERM_CANDIDATES_OPERATE_OTHER, 0, HRX_REACH_ALL, NULL, NULL,
        hrx_job_opening_fields, hrx_job_opening_deps },

    [HRX_RES_INTERVIEW] = {
        HRX_RES_INTERVIEW, "interview", "/api/v1/interviews", "interviews",
        HRX_PERM_CANDIDATES_OPERATE_OTHER, 0, HRX_REACH_CANDIDATE, NULL,
        "candidate_id", hrx_interview_fields, NULL },

    [HRX_RES_SEARCH_GROUP] = {
        HRX_RES_SEARCH_GROUP, "search_group", "/api/v1/search-groups",
        "search_groups",
        HRX_PERM_BULK_ACTIONS_MANAGE, 0, HRX_REACH_GRANT, "search_group",
        NULL, hrx_name_fields, hrx_search_group_deps },

    [HRX_RES_SAVED_SEARCH] = {
        HRX_RES_SAVED_SEARCH, "saved_search", "/api/v1/saved-searches",
        "saved_searches",
        HRX_PERM_BULK_ACTIONS_MANAGE, 0, HRX_REACH_GRANT, "search_group",
        "search_group_id", hrx_saved_search_fields, NULL },

    [HRX_RES_EVENT_GROUP] = {
        HRX_RES_EVENT_GROUP, "event_group", "/api/v1/event-groups",
        "event_groups",
        HRX_PERM_BULK_ACTIONS_MANAGE, 0, HRX_REACH_GRANT, "event_group",
        NULL, hrx_name_fields, hrx_event_group_deps },

    [HRX_RES_EVENT] = {
        HRX_RES_EVENT, "event", "/api/v1/events", "events",
        HRX_PERM_BULK_ACTIONS_MANAGE, 0, HRX_REACH_GRANT, "event_group",
        "event_group_id", hrx_event_fields, NULL },

    [HRX_RES_FORM] = {
        HRX_RES_FORM, "form", "/api/v1/forms", "forms",
        HRX_PERM_TEMPLATES_MANAGE, 0, HRX_REACH_GRANT, "form", NULL,
        hrx_form_fields, NULL },

    [HRX_RES_TEMPLATE] = {
        HRX_RES_TEMPLATE, "template", "/api/v1/templates", "email_templates",
        HRX_PERM_TEMPLATES_MANAGE, 0, HRX_REACH_GRANT, "template", NULL,
        hrx_template_fields, NULL },

    [HRX_RES_USER] = {
        HRX_RES_USER, "user", NULL, "users",
        HRX_PERM_USERS_ADMIN, 0, HRX_REACH_ALL, NULL, NULL,
        hrx_user_fields, NULL },

    [HRX_RES_CANDIDATE] = {
        HRX_RES_CANDIDATE, "candidate", "/api/v1/candidates", "candidates",
        HRX_PERM_CANDIDATES_OPERATE_OTHER, 0, HRX_REACH_CANDIDATE, NULL,
        NULL, hrx_candidate_fields, NULL, HRX_RES_EDIT_BY_REACH,
        hrx_check_candidate },
};


const hrx_res_t *
hrx_res_by_path(const char *path, size_t len)
{
    size_t      n;
    unsigned    i;
    const char  *p;

    for (i = 0; i < HRX_RES_MAX; i++) {
        p = hrx_resources[i].path;

        if (p == NULL) {
            continue;
        }

        n = strlen(p);

        if (len >= n && memcmp(path, p, n) == 0
            && (len == n || path[n] == '/'))
        {
            return &hrx_resources[i];
        }
    }

    return NULL;
}


const hrx_res_t *
hrx_res_by_grant(const char *type)
{
    unsigned  i;

    for (i = 0; i < HRX_RES_MAX; i++) {
        if (hrx_resources[i].reach == HRX_REACH_GRANT
            && hrx_resources[i].via == NULL
            && strcmp(hrx_resources[i].grant, type) == 0)
        {
            return &hrx_resources[i];
        }
    }

    return NULL;
}


const hrx_res_t *
hrx_res_by_op(const char *op, int *action)
{
    size_t       n;
    unsigned     i;
    const char  *dot;

    dot = strrchr(op, '.');
    if (dot == NULL) {
        return NULL;
    }

    if (strcmp(dot, ".create") == 0) {
        *action = HRX_RES_CREATE;
    } else if (strcmp(dot, ".update") == 0) {
        *action = HRX_RES_UPDATE;
    } else if (strcmp(dot, ".delete") == 0) {
        *action = HRX_RES_DELETE;
    } else {
        return NULL;
    }

    n = (size_t) (dot - op);

    for (i = 0; i < HRX_RES_MAX; i++) {
        /* only the resources served by the generic code */
        if (hrx_resources[i].path != NULL
            && strlen(hrx_resources[i].name) == n
            && memcmp(hrx_resources[i].name, op, n) == 0)
        {
            return &hrx_resources[i];
        }
    }

    return NULL;
}


const hrx_res_field_t *
hrx_res_field(const hrx_res_t *res, const char *name)
{
    const hrx_res_field_t  *f;

    for (f = res->fields; f->name; f++) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }

    return NULL;
}


/* ---- validation ------------------------------------------------------ */

/* "\"a\" or \"b\"", "one of a, b, c" */
static const char *
hrx_values_text(const char *const *values, char *buf, size_t size)
{
    size_t    n, len;
    unsigned  i;

    for (n = 0; values[n]; n++) {
        /* void */
    }

    if (n == 2) {
        snprintf(buf, size, "\"%s\" or \"%s\"", values[0], values[1]);
        return buf;
    }

    len = (size_t) snprintf(buf, size, "one of");

    for (i = 0; values[i] && len < size; i++) {
        len += (size_t) snprintf(buf + len, size - len, "%s %s",
                                 i ? "," : "", values[i]);
    }

    return buf;
}


static int
hrx_res_check_field(const hrx_res_field_t *f, const json_t *v,
    hrx_res_err_t *err)
{
    char         buf[160];
    size_t       i, n;
    const char  *s;

    switch (f->type) {

    case HRX_FT_STRING:
        if (hrx_check_string(v, f->name, f->min, f->max, err) != 0) {
            return -1;
        }

        if (f->values) {
            s = json_string_value(v);

            for (i = 0; f->values[i]; i++) {
                if (strcmp(f->values[i], s) == 0) {
                    break;
                }
            }

            if (f->values[i] == NULL) {
                return hrx_res_fail(err, 400, "invalid_value", f->name,
                                    "\"%s\" must be %s", f->name,
                                    hrx_values_text(f->values, buf,
                                                    sizeof(buf)));
            }
        }

        break;

    case HRX_FT_INT:
        if (hrx_check_int(v, f->name, f->min, f->max, err) != 0) {
            return -1;
        }

        break;

    case HRX_FT_BOOL:
        if (hrx_check_bool(v, f->name, err) != 0) {
            return -1;
        }

        break;

    case HRX_FT_TIME:
        if (hrx_check_time(v, f->name, NULL, err) != 0) {
            return -1;
        }

        break;

    case HRX_FT_REF:
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            return hrx_res_fail(err, 400, json_is_integer(v)
                                          ? "invalid_value" : "invalid_type",
                                f->name, "\"%s\" must be a positive id",
                                f->name);
        }

        break;

    case HRX_FT_IDS:
        return hrx_check_ids(v, f->name, f->max, err);

    default: /* HRX_FT_JSON */
        if (f->check(v, f->name, err) != 0) {
            return -1;
        }

        n = json_dumpb(v, NULL, 0, JSON_COMPACT);

        if ((int64_t) n > f->max) {
            return hrx_res_fail(err, 400, "invalid_length", f->name,
                                "\"%s\" is %zu bytes as JSON, more than "
                                "%lld", f->name, n, (long long) f->max);
        }

        return 0;
    }

    return f->check ? f->check(v, f->name, err) : 0;
}


int
hrx_res_validate(const hrx_res_t *res, const json_t *body, int mode,
    hrx_res_err_t *err)
{
    int                     update;
    void                   *it;
    const char             *key;
    const json_t           *v;
    const hrx_res_field_t  *f;

    if (!json_is_object(body)) {
        return hrx_res_fail(err, 400, "invalid_type", NULL,
                            "the body must be a JSON object");
    }

    update = (mode & 0xff) == HRX_RES_UPDATE;

    /* the first member not in the table */
    for (it = json_object_iter((json_t *) body); it;
         it = json_object_iter_next((json_t *) body, it))
    {
        key = json_object_iter_key(it);

        if ((mode & HRX_RES_ARGS) && strcmp(key, "id") == 0) {
            continue;
        }

        f = hrx_res_field(res, key);

        if (f == NULL) {
            return hrx_res_fail(err, 400, "unknown_field", key,
                                "unknown field \"%.100s\"", key);
        }

        if (f->flags & HRX_F_READONLY) {
            return hrx_res_fail(err, 400, "read_only", f->name,
                                "\"%s\" is read-only: it is set by hrx, "
                                "never by a request", f->name);
        }
    }

    for (f = res->fields; f->name; f++) {

        if (f->flags & HRX_F_READONLY) {
            continue;
        }

        v = json_object_get(body, f->name);

        if (v == NULL || json_is_null(v)) {

            if ((f->flags & HRX_F_REQUIRED) && (!update || v != NULL)) {
                return hrx_res_fail(err, 400, "required", f->name,
                                    update ? "\"%s\" cannot be cleared"
                                           : "\"%s\" is required", f->name);
            }

            continue;
        }

        if (hrx_res_check_field(f, v, err) != 0) {
            return -1;
        }
    }

    return res->check ? res->check(body, mode, err) : 0;
}


/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), "t" and "z" accepted */
static int
hrx_digits(const char **p, int n, int *out)
{
    int  v;

    v = 0;

    while (n--) {
        if (**p < '0' || **p > '9') {
            return -1;
        }

        v = v * 10 + (**p - '0');
        (*p)++;
    }

    *out = v;
    return 0;
}


int
hrx_time_parse(const char *s, int64_t *ms)
{
    int              year, mon, mday, hour, min, sec, oh, om, frac, digits;
    int64_t          off;
    struct tm        tm;
    const char      *p;
    static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31 };

    p = s;
    frac = 0;

    if (hrx_digits(&p, 4, &year) != 0 || *p++ != '-'
        || hrx_digits(&p, 2, &mon) != 0 || *p++ != '-'
        || hrx_digits(&p, 2, &mday) != 0 || (*p != 'T' && *p != 't'))
    {
        return -1;
    }

    p++;

    if (hrx_digits(&p, 2, &hour) != 0 || *p++ != ':'
        || hrx_digits(&p, 2, &min) != 0 || *p++ != ':'
        || hrx_digits(&p, 2, &sec) != 0)
    {
        return -1;
    }

    if (*p == '.') {
        p++;
        digits = 0;

        while (*p >= '0' && *p <= '9') {
            if (digits < 3) {
                frac = frac * 10 + (*p - '0');
            }

            digits++;
            p++;
        }

        if (digits == 0) {
            return -1;
        }

        for ( /* void */ ; digits < 3; digits++) {
            frac *= 10;
        }
    }

    off = 0;

    if (*p == 'Z' || *p == 'z') {
        p++;

    } else if (*p == '+' || *p == '-') {
        off = (*p == '-') ? -1 : 1;
        p++;

        if (hrx_digits(&p, 2, &oh) != 0 || *p++ != ':'
            || hrx_digits(&p, 2, &om) != 0 || oh > 23 || om > 59)
        {
            return -1;
        }

        off *= (oh * 60 + om) * 60;

    } else {
        return -1;
    }

    if (*p != '\0' || year < 1970 || mon < 1 || mon > 12 || mday < 1
        || mday > days[mon - 1] || hour > 23 || min > 59 || sec > 60)
    {
        return -1;
    }

    if (mon == 2 && mday == 29
        && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    {
        return -1;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec == 60 ? 59 : sec;

    *ms = ((int64_t) timegm(&tm) - off) * 1000 + frac;

    /* before 1970 after the offset, e.g. 1970-01-01T00:00:00+09:00 */
    return *ms > 0 ? 0 : -1;
}


/* ---- SQL --------------------------------------------------------------- */

typedef struct {
    char    *p;
    char    *end;
    int      full;
} hrx_sb_t;


static void hrx_sb_fmt(hrx_sb_t *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


static void
hrx_sb_fmt(hrx_sb_t *sb, const char *fmt, ...)
{
    int      n;
    va_list  args;

    if (sb->full) {
        return;
    }

    va_start(args, fmt);
    n = vsnprintf(sb->p, sb->end - sb->p, fmt, args);
    va_end(args);

    if (n < 0 || n >= sb->end - sb->p) {
        sb->full = 1;
        return;
    }

    sb->p += n;
}


/* text as it is (SQL written in the tables holds '%') */
static void
hrx_sb_add(hrx_sb_t *sb, const char *s)
{
    hrx_sb_fmt(sb, "%s", s);
}


#define HRX_SQL_REACH_PART(type, id)                                          \
    "(:admin OR NOT EXISTS (SELECT 1 FROM master_group_grants rg"             \
    " WHERE rg.object_type = '" type "' AND rg.object_id = " id ")"           \
    " OR EXISTS (SELECT 1 FROM master_group_grants rg"                        \
    " JOIN user_master_groups rm ON rm.master_group_id = rg.master_group_id"  \
    " WHERE rg.object_type = '" type "' AND rg.object_id = " id               \
    " AND rm.user_id = :actor))"


int
hrx_sql_reach(char *buf, size_t size, const char *type, const char *id)
{
    int  n;

    n = snprintf(buf, size, HRX_SQL_REACH_PART("%1$s", "%2$s"), type, id);

    return (n < 0 || (size_t) n >= size) ? -1 : 0;
}


int
hrx_sql_operate(char *buf, size_t size, const char *c)
{
    int   n;
    char  group[64], reach[1024];

    snprintf(group, sizeof(group), "%s.candidate_group_id", c);

    if (hrx_sql_reach(reach, sizeof(reach), "candidate_group", group) != 0) {
        return -1;
    }

    n = snprintf(buf, size, "(:operate_other OR %s.candidate_group_id IS NULL"
                 " OR %s)", c, reach);

    return (n < 0 || (size_t) n >= size) ? -1 : 0;
}


/* the reach of row t of res, as an SQL boolean */
static void
hrx_sb_reach(hrx_sb_t *sb, const hrx_res_t *res)
{
    char  id[64], expr[2048];

    switch (res->reach) {

    case HRX_REACH_ALL:
        hrx_sb_add(sb, "1");
        return;

    case HRX_REACH_ADMIN:
        hrx_sb_add(sb, ":admin");
        return;

    case HRX_REACH_GRANT:
        snprintf(id, sizeof(id), "t.%s", res->via ? res->via : "id");

        if (hrx_sql_reach(expr, sizeof(expr), res->grant, id) != 0) {
            sb->full = 1;
            return;
        }

        hrx_sb_add(sb, expr);
        return;

    default: /* HRX_REACH_CANDIDATE */
        if (res->via == NULL) {
            if (hrx_sql_operate(expr, sizeof(expr), "t") != 0) {
                sb->full = 1;
                return;
            }

            hrx_sb_add(sb, expr);
            return;
        }

        if (hrx_sql_operate(expr, sizeof(expr), "rc") != 0) {
            sb->full = 1;
            return;
        }

        hrx_sb_fmt(sb, "EXISTS (SELECT 1 FROM candidates rc"
                   " WHERE rc.id = t.%s AND %s)", res->via, expr);
        return;
    }
}


static int
hrx_field_column(const hrx_res_field_t *f)
{
    return f->type != HRX_FT_IDS && !(f->flags & HRX_F_NOCOLUMN);
}


static int
hrx_field_written(const hrx_res_field_t *f)
{
    return hrx_field_column(f) && !(f->flags & HRX_F_READONLY);
}


/* json_object(...) of row t */
static void
hrx_sb_object(hrx_sb_t *sb, const hrx_res_t *res)
{
    const hrx_res_field_t  *f;

    hrx_sb_add(sb, "json_object('id', t.id");

    for (f = res->fields; f->name; f++) {

        hrx_sb_fmt(sb, ", '%s', ", f->name);

        if (f->render) {
            hrx_sb_add(sb, f->render);
            continue;
        }

        switch (f->type) {

        case HRX_FT_BOOL:
            hrx_sb_fmt(sb, "json(CASE WHEN t.%s THEN 'true' ELSE 'false'"
                       " END)", f->name);
            break;

        case HRX_FT_TIME:
            hrx_sb_fmt(sb, "CASE WHEN t.%1$s > 0 THEN strftime("
                       "'%%Y-%%m-%%dT%%H:%%M:%%SZ', t.%1$s / 1000,"
                       " 'unixepoch') END", f->name);
            break;

        case HRX_FT_IDS:
            hrx_sb_fmt(sb, "json((SELECT json_group_array(x) FROM"
                       " (SELECT l.%s AS x FROM %s l WHERE l.%s = t.id"
                       " ORDER BY 1)))", f->link_other, f->link,
                       f->link_self);
            break;

        case HRX_FT_JSON:
            hrx_sb_fmt(sb, "json(t.%s)", f->name);
            break;

        default:
            hrx_sb_fmt(sb, "t.%s", f->name);
        }
    }

    hrx_sb_add(sb, ", 'created_at', " HRX_SQL_TIME("t.created_at")
               ", 'created_by', t.created_by"
               ", 'updated_at', " HRX_SQL_TIME("t.updated_at")
               ", 'updated_by', t.updated_by)");
}


/* a value to write: with a default when there is one */
static void
hrx_sb_value(hrx_sb_t *sb, const hrx_res_field_t *f)
{
    if (f->dflt) {
        hrx_sb_fmt(sb, "coalesce(:f_%s, %s)", f->name, f->dflt);
    } else {
        hrx_sb_fmt(sb, ":f_%s", f->name);
    }
}


static const hrx_res_field_t *
hrx_res_aux_field(const hrx_res_t *res, unsigned aux)
{
    unsigned  i;

    for (i = 0; res->fields[i].name; i++) {
        if (i == aux) {
            return &res->fields[i];
        }
    }

    return NULL;
}


int
hrx_res_sql(const hrx_res_t *res, hrx_sql_e kind, unsigned aux, char *buf,
    size_t size)
{
    unsigned                n;
    hrx_sb_t                sb;
    const hrx_res_dep_t    *dep;
    const hrx_res_field_t  *f;

    sb.p = buf;
    sb.end = buf + size;
    sb.full = 0;

    f = hrx_res_aux_field(res, aux);

    switch (kind) {

    case HRX_SQL_GET:
    case HRX_SQL_LIST:
        hrx_sb_add(&sb, "SELECT t.id, ");
        hrx_sb_object(&sb, res);
        hrx_sb_fmt(&sb, " FROM %s t WHERE t.tenant_id = :tenant AND ",
                   res->table);
        hrx_sb_add(&sb, kind == HRX_SQL_GET ? "t.id = :id AND "
                                            : "t.id > :after AND ");
        hrx_sb_reach(&sb, res);

        if (kind == HRX_SQL_LIST) {
            hrx_sb_add(&sb, " ORDER BY t.id LIMIT :limit");
        }

        break;

    case HRX_SQL_OBJECT:
        hrx_sb_object(&sb, res);
        break;

    case HRX_SQL_REACH:
        hrx_sb_add(&sb, "SELECT ");
        hrx_sb_reach(&sb, res);
        hrx_sb_fmt(&sb, " FROM %s t WHERE t.tenant_id = :tenant"
                   " AND t.id = :id", res->table);
        break;

    case HRX_SQL_UNIQUE:
        if (f == NULL || !(f->flags & HRX_F_UNIQUE)) {
            return -1;
        }

        hrx_sb_fmt(&sb, "SELECT 1 FROM %s WHERE tenant_id = :tenant"
                   " AND %s = :value COLLATE NOCASE AND id <> :id",
                   res->table, f->name);
        break;

    case HRX_SQL_INSERT:
        hrx_sb_fmt(&sb, "INSERT INTO %s (tenant_id", res->table);

        for (f = res->fields; f->name; f++) {
            if (hrx_field_written(f)) {
                hrx_sb_fmt(&sb, ", %s", f->name);
            }
        }

        hrx_sb_add(&sb, ", created_at, created_by, updated_at, updated_by)"
                   " VALUES (:tenant");

        for (f = res->fields; f->name; f++) {
            if (hrx_field_written(f)) {
                hrx_sb_add(&sb, ", ");
                hrx_sb_value(&sb, f);
            }
        }

        hrx_sb_add(&sb, ", :now, :actor, :now, :actor)");
        break;

    case HRX_SQL_UPDATE:
        hrx_sb_fmt(&sb, "UPDATE %s SET ", res->table);

        for (f = res->fields; f->name; f++) {
            if (hrx_field_written(f)) {
                hrx_sb_fmt(&sb, "%1$s = CASE WHEN :h_%1$s THEN ", f->name);
                hrx_sb_value(&sb, f);
                hrx_sb_fmt(&sb, " ELSE %s END, ", f->name);
            }
        }

        hrx_sb_add(&sb, "updated_at = :now, updated_by = :actor"
                   " WHERE tenant_id = :tenant AND id = :id");
        break;

    case HRX_SQL_DELETE:
        hrx_sb_fmt(&sb, "DELETE FROM %s WHERE tenant_id = :tenant"
                   " AND id = :id", res->table);
        break;

    case HRX_SQL_DEP:
        for (n = 0, dep = res->deps; dep && dep->table && n < aux; dep++) {
            n++;
        }

        if (dep == NULL || dep->table == NULL) {
            return -1;
        }

        hrx_sb_fmt(&sb, "SELECT count(*) FROM %s WHERE %s = :id",
                   dep->table, dep->column);
        break;

    case HRX_SQL_UNGRANT:
        if (res->reach != HRX_REACH_GRANT || res->via != NULL) {
            return -1;
        }

        hrx_sb_fmt(&sb, "DELETE FROM master_group_grants"
                   " WHERE object_type = '%s' AND object_id = :id",
                   res->grant);
        break;

    case HRX_SQL_LINK_GET:
    case HRX_SQL_LINK_CLEAR:
    case HRX_SQL_LINK_ADD:
        if (f == NULL || f->type != HRX_FT_IDS) {
            return -1;
        }

        if (kind == HRX_SQL_LINK_GET) {
            hrx_sb_fmt(&sb, "SELECT json_group_array(x) FROM (SELECT %s AS x"
                       " FROM %s WHERE %s = :id ORDER BY 1)",
                       f->link_other, f->link, f->link_self);

        } else if (kind == HRX_SQL_LINK_CLEAR) {
            hrx_sb_fmt(&sb, "DELETE FROM %s WHERE %s = :id AND %s NOT IN"
                       " (SELECT value FROM json_each(:keep))", f->link,
                       f->link_self, f->link_other);

        } else if (f->link_at) {
            hrx_sb_fmt(&sb, "INSERT OR IGNORE INTO %s (%s, %s, %s)"
                       " VALUES (:id, :other, :now)", f->link, f->link_self,
                       f->link_other, f->link_at);

        } else {
            hrx_sb_fmt(&sb, "INSERT OR IGNORE INTO %s (%s, %s)"
                       " VALUES (:id, :other)", f->link, f->link_self,
                       f->link_other);
        }

        break;

    default:
        return -1;
    }

    return sb.full ? -1 : 0;
}
