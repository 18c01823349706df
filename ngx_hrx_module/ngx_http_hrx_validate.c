/*
 * Request body validation against a field table.
 *
 * The worker checks everything that does not depend on the database's
 * state (syntax, types, unknown fields, sizes, value shapes) so that the
 * scheduler only ever sees well-formed commands, and the client learns
 * exactly which field is wrong.  Lengths count characters (jansson has
 * already checked that strings are UTF-8), not bytes.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <time.h>

#include "hrx_shm.h"
#include "hrx_resource.h"
#include "ngx_http_hrx_validate.h"


static size_t ngx_http_hrx_utf8_chars(const char *s, size_t len);
static const char *ngx_http_hrx_type_name(ngx_uint_t type);


#define NGX_HTTP_HRX_ZONEINFO  "/usr/share/zoneinfo/"


ngx_int_t
ngx_http_hrx_validate(ngx_pool_t *pool, json_t *obj,
    const ngx_http_hrx_field_t *schema, const char *path,
    ngx_http_hrx_err_t *err)
{
    size_t                       n, plen;
    u_char                      *name;
    json_t                      *value;
    ngx_int_t                    rc;
    const char                  *key, *why;
    const ngx_http_hrx_field_t  *f;

    plen = path ? ngx_strlen(path) : 0;

    /* the first field not in the table */
    json_object_foreach(obj, key, value) {

        for (f = schema; f->name; f++) {
            if (ngx_strcmp(f->name, key) == 0) {
                break;
            }
        }

        if (f->name == NULL) {
            n = ngx_strlen(key);
            name = ngx_pnalloc(pool, plen + 1 + n + 1);
            if (name == NULL) {
                return NGX_ERROR;
            }

            if (plen) {
                *ngx_sprintf(name, "%s.%s", path, key) = '\0';
            } else {
                *ngx_cpymem(name, key, n) = '\0';
            }

            ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST, "unknown_field",
                                 (const char *) name,
                                 "unknown field \"%s\"", name);
            return NGX_DECLINED;
        }
    }

    for (f = schema; f->name; f++) {

        n = ngx_strlen(f->name);
        name = ngx_pnalloc(pool, plen + 1 + n + 1);
        if (name == NULL) {
            return NGX_ERROR;
        }

        if (plen) {
            *ngx_sprintf(name, "%s.%s", path, f->name) = '\0';
        } else {
            *ngx_cpymem(name, f->name, n) = '\0';
        }

        value = json_object_get(obj, f->name);

        if (value == NULL || json_is_null(value)) {
            if (f->required) {
                ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST, "required",
                                     (const char *) name,
                                     "\"%s\" is required", name);
                return NGX_DECLINED;
            }

            continue;
        }

        switch (f->type) {

        case NGX_HTTP_HRX_STRING:
            rc = json_is_string(value);
            break;

        case NGX_HTTP_HRX_INT:
            rc = json_is_integer(value);
            break;

        case NGX_HTTP_HRX_BOOL:
            rc = json_is_boolean(value);
            break;

        case NGX_HTTP_HRX_ARRAY:
            rc = json_is_array(value);
            break;

        default: /* NGX_HTTP_HRX_OBJECT */
            rc = json_is_object(value);
        }

        if (!rc) {
            ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST, "invalid_type",
                                 (const char *) name,
                                 "\"%s\" must be %s", name,
                                 ngx_http_hrx_type_name(f->type));
            return NGX_DECLINED;
        }

        if (f->type == NGX_HTTP_HRX_STRING) {
            n = ngx_http_hrx_utf8_chars(json_string_value(value),
                                        json_string_length(value));

            if (n < f->min || (f->max && n > f->max)) {
                if (f->max) {
                    ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST,
                                         "invalid_length",
                                         (const char *) name,
                                         "\"%s\" must have %uz to %uz "
                                         "characters, not %uz",
                                         name, f->min, f->max, n);
                } else {
                    ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST,
                                         "invalid_length",
                                         (const char *) name,
                                         "\"%s\" must have at least %uz "
                                         "characters", name, f->min);
                }

                return NGX_DECLINED;
            }
        }

        if (f->type == NGX_HTTP_HRX_OBJECT && f->fields) {
            rc = ngx_http_hrx_validate(pool, value, f->fields,
                                       (const char *) name, err);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        if (f->check) {
            why = NULL;

            if (f->check(value, &why) != NGX_OK) {
                ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST,
                                     "invalid_value", (const char *) name,
                                     "\"%s\" %s", name,
                                     why ? why : "is not valid");
                return NGX_DECLINED;
            }
        }
    }

    return NGX_OK;
}


static const char *
ngx_http_hrx_type_name(ngx_uint_t type)
{
    switch (type) {
    case NGX_HTTP_HRX_STRING:
        return "a string";
    case NGX_HTTP_HRX_INT:
        return "an integer";
    case NGX_HTTP_HRX_BOOL:
        return "true or false";
    case NGX_HTTP_HRX_ARRAY:
        return "an array";
    default:
        return "an object";
    }
}


static size_t
ngx_http_hrx_utf8_chars(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        /* count every byte that does not continue a sequence */
        if (((u_char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


const char *
ngx_http_hrx_json_str(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}


/*
 * The shape the scheduler and the mail code rely on: one "@", something
 * on both sides, no spaces or control characters, a dot-free domain is
 * allowed (intranet hosts).
 */
ngx_int_t
ngx_http_hrx_check_email(json_t *value, const char **why)
{
    size_t       i, len, at;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    at = len;

    for (i = 0; i < len; i++) {
        if ((u_char) s[i] <= ' ' || s[i] == 0x7f) {
            *why = "must not contain spaces or control characters";
            return NGX_DECLINED;
        }

        if (s[i] == '@') {
            if (at != len) {
                *why = "must contain exactly one \"@\"";
                return NGX_DECLINED;
            }

            at = i;
        }
    }

    if (at == len || at == 0 || at == len - 1) {
        *why = "must be an email address (name@domain)";
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* ^[a-z0-9][a-z0-9-]{1,62}$ */
ngx_int_t
ngx_http_hrx_check_slug(json_t *value, const char **why)
{
    size_t       i, len;
    const char  *s;

    s = json_string_value(value);
    len = json_string_length(value);

    if (len < 2 || len > 63) {
        *why = "must have 2 to 63 characters";
        return NGX_DECLINED;
    }

    for (i = 0; i < len; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
            || (s[i] == '-' && i > 0))
        {
            continue;
        }

        *why = "must be lowercase letters, digits and \"-\", not starting "
               "with \"-\"";
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * An IANA time zone name, checked against the system's tz database
 * (tzdata): "Asia/Tokyo" is a file under /usr/share/zoneinfo.  The name
 * is checked for shape first, so it cannot walk out of that directory.
 */
ngx_int_t
ngx_http_hrx_check_time_zone(json_t *value, const char **why)
{
    size_t           i, len;
    u_char           path[sizeof(NGX_HTTP_HRX_ZONEINFO) + 128];
    const char      *s;
    ngx_file_info_t  fi;

    s = json_string_value(value);
    len = json_string_length(value);

    *why = "must be an IANA time zone name such as \"Asia/Tokyo\"";

    if (len == 0 || len > 120 || s[0] == '/' || s[0] == '.'
        || ngx_strstr(s, "..") != NULL || ngx_strstr(s, "/.") != NULL)
    {
        return NGX_DECLINED;
    }

    for (i = 0; i < len; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
            || (s[i] >= '0' && s[i] <= '9') || ngx_strchr("_+-/", s[i]))
        {
            continue;
        }

        return NGX_DECLINED;
    }

    if (ngx_file_info(NGX_HTTP_HRX_ZONEINFO, &fi) == NGX_FILE_ERROR) {
        /* no tz database installed: the shape is all we can check */
        return NGX_OK;
    }

    *ngx_sprintf(path, NGX_HTTP_HRX_ZONEINFO "%s", s) = '\0';

    if (ngx_file_info(path, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi)) {
        *why = "is not a known IANA time zone";
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_check_status(json_t *value, const char **why)
{
    const char  *s;

    s = json_string_value(value);

    if (ngx_strcmp(s, "active") == 0 || ngx_strcmp(s, "disabled") == 0) {
        return NGX_OK;
    }

    *why = "must be \"active\" or \"disabled\"";
    return NGX_DECLINED;
}


ngx_int_t
ngx_http_hrx_check_id(json_t *value, const char **why)
{
    if (json_integer_value(value) > 0) {
        return NGX_OK;
    }

    *why = "must be a positive id";
    return NGX_DECLINED;
}


ngx_int_t
ngx_http_hrx_check_future(json_t *value, const char **why)
{
    int64_t  ms;

    if (ngx_http_hrx_parse_time(json_string_value(value), &ms) != NGX_OK) {
        *why = "must be an RFC 3339 time such as \"2026-11-21T09:30:00Z\"";
        return NGX_DECLINED;
    }

    if (ms <= (int64_t) hrx_wall_ms()) {
        *why = "must be in the future";
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_check_ids(json_t *value, const char **why)
{
    hrx_res_err_t  err;

    if (hrx_check_ids(value, "", 100, &err) == 0) {
        return NGX_OK;
    }

    *why = "must hold at most 100 different positive ids";
    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_hrx_digits(const char **p, ngx_uint_t n, int *out)
{
    int  v;

    v = 0;

    while (n--) {
        if (**p < '0' || **p > '9') {
            return NGX_ERROR;
        }

        v = v * 10 + (**p - '0');
        (*p)++;
    }

    *out = v;
    return NGX_OK;
}


/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), "t" and "z" accepted */
ngx_int_t
ngx_http_hrx_parse_time(const char *s, int64_t *ms)
{
    int              year, mon, mday, hour, min, sec, oh, om, frac, digits;
    int64_t          t, off;
    struct tm        tm;
    const char      *p;
    static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31 };

    p = s;
    frac = 0;

    if (ngx_http_hrx_digits(&p, 4, &year) != NGX_OK || *p++ != '-'
        || ngx_http_hrx_digits(&p, 2, &mon) != NGX_OK || *p++ != '-'
        || ngx_http_hrx_digits(&p, 2, &mday) != NGX_OK
        || (*p != 'T' && *p != 't'))
    {
        return NGX_ERROR;
    }

    p++;

    if (ngx_http_hrx_digits(&p, 2, &hour) != NGX_OK || *p++ != ':'
        || ngx_http_hrx_digits(&p, 2, &min) != NGX_OK || *p++ != ':'
        || ngx_http_hrx_digits(&p, 2, &sec) != NGX_OK)
    {
        return NGX_ERROR;
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
            return NGX_ERROR;
        }

        while (digits < 3) {
            frac *= 10;
            digits++;
        }
    }

    off = 0;

    if (*p == 'Z' || *p == 'z') {
        p++;

    } else if (*p == '+' || *p == '-') {
        off = (*p == '-') ? -1 : 1;
        p++;

        if (ngx_http_hrx_digits(&p, 2, &oh) != NGX_OK || *p++ != ':'
            || ngx_http_hrx_digits(&p, 2, &om) != NGX_OK
            || oh > 23 || om > 59)
        {
            return NGX_ERROR;
        }

        off *= (oh * 60 + om) * 60;

    } else {
        return NGX_ERROR;
    }

    if (*p != '\0' || year < 1970 || mon < 1 || mon > 12 || mday < 1
        || mday > days[mon - 1] || hour > 23 || min > 59 || sec > 60)
    {
        return NGX_ERROR;
    }

    if (mon == 2 && mday == 29
        && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    {
        return NGX_ERROR;
    }

    ngx_memzero(&tm, sizeof(struct tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec == 60 ? 59 : sec;

    t = (int64_t) timegm(&tm);

    *ms = (t - off) * 1000 + frac;

    return NGX_OK;
}


/* a decimal without sign: NGX_OK and *v, or NGX_ERROR (also on overflow) */
static ngx_int_t
ngx_http_hrx_decimal(ngx_str_t *s, int64_t *v)
{
    size_t  i;

    if (s->len == 0 || s->len > 19) {
        return NGX_ERROR;
    }

    *v = 0;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return NGX_ERROR;
        }

        if (*v > (INT64_MAX - (s->data[i] - '0')) / 10) {
            return NGX_ERROR;
        }

        *v = *v * 10 + (s->data[i] - '0');
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_hrx_page_args(ngx_http_request_t *r, ngx_uint_t *limit,
    int64_t *after, ngx_http_hrx_err_t *err)
{
    int64_t    v;
    ngx_str_t  value;

    *limit = 50;
    *after = 0;

    if (ngx_http_arg(r, (u_char *) "limit", 5, &value) == NGX_OK) {
        if (ngx_http_hrx_decimal(&value, &v) != NGX_OK || v < 1 || v > 200) {
            ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST, "invalid_value",
                                 "limit",
                                 "\"limit\" must be an integer from 1 to 200");
            return NGX_DECLINED;
        }

        *limit = (ngx_uint_t) v;
    }

    if (ngx_http_arg(r, (u_char *) "after", 5, &value) == NGX_OK) {
        if (ngx_http_hrx_decimal(&value, &v) != NGX_OK) {
            ngx_http_hrx_err_set(err, NGX_HTTP_BAD_REQUEST, "invalid_value",
                                 "after",
                                 "\"after\" must be the id of the last item "
                                 "of the previous page");
            return NGX_DECLINED;
        }

        *after = v;
    }

    return NGX_OK;
}
