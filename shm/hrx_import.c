/*
 * The import reader (see hrx_import.h).
 *
 * Why a reader of its own.  An import may be 100 000 rows and tens of
 * megabytes.  Parsing the body as one JSON tree (or splitting a CSV held
 * in memory) costs several times its size in memory, in a worker that
 * serves everyone else too.  So both formats are read as a stream of
 * bytes by small state machines that keep only the row being read: a
 * CSV record, or the text of one element of the "candidates" array,
 * which jansson then parses on its own.  The caller validates the row,
 * writes it where it goes and drops it before the next one is read.
 *
 * The bytes may arrive in pieces of any size (nginx's buffers, chunks
 * read from its temp file): every state survives the end of a piece,
 * including a CRLF, a doubled quote or a byte order mark cut in two.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hrx_import.h"


/* CSV states */
enum {
    HRX_CSV_FIELD = 0,      /* at the start of a field */
    HRX_CSV_PLAIN,          /* in an unquoted field */
    HRX_CSV_QUOTED,         /* in a quoted field */
    HRX_CSV_QUOTE,          /* a quote in a quoted field: "" or the end */
    HRX_CSV_CR              /* a record ended with CR: LF may follow */
};

/* JSON states, around the rows */
enum {
    HRX_JSON_START = 0,     /* before "{" */
    HRX_JSON_KEY_OR_END,    /* after "{" */
    HRX_JSON_KEY_NEXT,      /* after "," between members */
    HRX_JSON_KEY,           /* in a member name */
    HRX_JSON_COLON,
    HRX_JSON_VALUE,
    HRX_JSON_FIRST,         /* after "[" */
    HRX_JSON_NEXT,          /* after "," between rows */
    HRX_JSON_ROW,           /* in a row */
    HRX_JSON_AFTER_ROW,
    HRX_JSON_AFTER_MEMBER,
    HRX_JSON_DONE
};

#define HRX_JSON_DEPTH_MAX  64


typedef struct {
    const hrx_res_field_t  *f;          /* NULL: a custom field */
    char                   *key;        /* custom.<key>: the key */
} hrx_import_col_t;


struct hrx_import_s {
    hrx_import_format_e     format;
    const hrx_res_t        *res;
    hrx_import_row_pt       row;
    void                   *data;

    size_t                  rows;
    size_t                  offset;     /* bytes read before this piece */
    int                     failed;

    unsigned char           head[3];    /* until the BOM is decided */
    size_t                  nhead;
    int                     started;

    char                   *buf;        /* the row being read */
    size_t                  len;
    size_t                  cap;

    /* CSV */
    int                     cs;
    size_t                 *ends;       /* where each field ends in buf */
    size_t                  nfields;
    size_t                  capfields;
    int                     in_record;
    size_t                  line;       /* physical line, from 1 */
    size_t                  rec_line;   /* the line the record began on */
    hrx_import_col_t       *cols;
    size_t                  ncols;
    int                     header;     /* the header has been read */

    /* JSON */
    int                     js;
    int                     depth;
    int                     in_str;
    int                     esc;
    int                     scalar;
    int                     candidates; /* the member was seen */
    char                    key[16];
    size_t                  keylen;
};


static int hrx_import_bytes(hrx_import_t *im, const unsigned char *p,
    size_t len, hrx_res_err_t *err);


hrx_import_t *
hrx_import_new(hrx_import_format_e format, const hrx_res_t *res,
    hrx_import_row_pt row, void *data)
{
    hrx_import_t  *im;

    im = calloc(1, sizeof(hrx_import_t));
    if (im == NULL) {
        return NULL;
    }

    im->format = format;
    im->res = res;
    im->row = row;
    im->data = data;
    im->line = 1;

    return im;
}


void
hrx_import_free(hrx_import_t *im)
{
    size_t  i;

    if (im == NULL) {
        return;
    }

    for (i = 0; i < im->ncols; i++) {
        free(im->cols[i].key);
    }

    free(im->cols);
    free(im->ends);
    free(im->buf);
    free(im);
}


size_t
hrx_import_rows(const hrx_import_t *im)
{
    return im->rows;
}


int
hrx_import_name_valid(const char *name)
{
    size_t  i, n;

    n = strlen(name);

    if (n <= sizeof(".jsonl") - 1 || n > 80 + sizeof(".jsonl") - 1
        || strcmp(name + n - (sizeof(".jsonl") - 1), ".jsonl") != 0)
    {
        return 0;
    }

    for (i = 0; i < n - (sizeof(".jsonl") - 1); i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= 'A' && name[i] <= 'Z')
              || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '_' || name[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


const char *
hrx_import_field(const hrx_import_t *im, const char *field, char *buf,
    size_t size)
{
    const char  *p;

    if (im->format != HRX_IMPORT_CSV) {
        return field;
    }

    if (strncmp(field, "custom_fields.", sizeof("custom_fields.") - 1) == 0)
    {
        snprintf(buf, size, "custom.%s",
                 field + sizeof("custom_fields.") - 1);
        return buf;
    }

    p = strchr(field, '[');

    if (p != NULL) {
        snprintf(buf, size, "%.*s", (int) (p - field), field);
        return buf;
    }

    return field;
}


/* ---- feeding ---------------------------------------------------------- */

int
hrx_import_feed(hrx_import_t *im, const void *buf, size_t len,
    hrx_res_err_t *err)
{
    int                   rc;
    const unsigned char  *p;

    if (im->failed) {
        return hrx_res_fail(err, 400, "invalid_value", NULL,
                            "the import was refused already");
    }

    p = buf;

    if (!im->started) {
        while (im->nhead < 3 && len > 0) {
            im->head[im->nhead++] = *p++;
            len--;
        }

        if (im->nhead < 3) {
            return 0;
        }

        im->started = 1;

        /* UTF-8 byte order mark: skipped */
        if (!(im->head[0] == 0xef && im->head[1] == 0xbb
              && im->head[2] == 0xbf))
        {
            rc = hrx_import_bytes(im, im->head, 3, err);
            if (rc != 0) {
                return rc;
            }
        }

        im->offset = 3;
    }

    rc = hrx_import_bytes(im, p, len, err);

    im->offset += len;

    return rc;
}


static int
hrx_import_fail(hrx_import_t *im, hrx_res_err_t *err, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));


static int
hrx_import_fail(hrx_import_t *im, hrx_res_err_t *err, const char *code,
    const char *field, const char *fmt, ...)
{
    va_list  args;

    im->failed = 1;

    err->status = 400;
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");

    va_start(args, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, args);
    va_end(args);

    return -1;
}


/* one more byte of the row being read */
static int
hrx_import_add(hrx_import_t *im, unsigned char c, hrx_res_err_t *err)
{
    char    *p;
    size_t   cap;

    if (im->len == im->cap) {
        if (im->cap >= HRX_IMPORT_ROW_MAX) {
            return hrx_import_fail(im, err, "invalid_length", NULL,
                                   "row %zu is larger than %d bytes",
                                   im->rows + (im->format == HRX_IMPORT_CSV
                                               && !im->header ? 0 : 1),
                                   HRX_IMPORT_ROW_MAX);
        }

        cap = im->cap ? im->cap * 2 : 4096;

        p = realloc(im->buf, cap);
        if (p == NULL) {
            return hrx_import_fail(im, err, "internal", NULL,
                                   "out of memory");
        }

        im->buf = p;
        im->cap = cap;
    }

    im->buf[im->len++] = (char) c;

    return 0;
}


/* the row is complete: hand it over (the callee owns obj) */
static int
hrx_import_emit(hrx_import_t *im, json_t *obj, const hrx_res_err_t *rerr)
{
    if (im->row(im->data, im->rows, obj, rerr) != 0) {
        im->failed = 1;
        return -1;
    }

    return 0;
}


/* a row error: the row cannot be made into an object */
static int
hrx_import_row_error(hrx_import_t *im, const char *code, const char *field,
    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));


static int
hrx_import_row_error(hrx_import_t *im, const char *code, const char *field,
    const char *fmt, ...)
{
    va_list        args;
    hrx_res_err_t  rerr;

    rerr.status = 400;
    rerr.code = code;
    snprintf(rerr.field, sizeof(rerr.field), "%s", field ? field : "");

    va_start(args, fmt);
    vsnprintf(rerr.message, sizeof(rerr.message), fmt, args);
    va_end(args);

    return hrx_import_emit(im, NULL, &rerr);
}


static int
hrx_import_count(hrx_import_t *im, hrx_res_err_t *err)
{
    if (im->rows == HRX_IMPORT_ROWS_MAX) {
        return hrx_import_fail(im, err, "too_many_rows", NULL,
                               "an import holds at most %d rows",
                               HRX_IMPORT_ROWS_MAX);
    }

    im->rows++;

    return 0;
}


/* ---- CSV ---------------------------------------------------------------- */

static int
hrx_csv_end_field(hrx_import_t *im, hrx_res_err_t *err)
{
    size_t  *p, cap;

    if (im->nfields == im->capfields) {
        if (im->capfields >= HRX_IMPORT_COLUMNS_MAX) {
            return hrx_import_fail(im, err, "invalid_length", NULL,
                                   "line %zu has more than %d fields",
                                   im->rec_line, HRX_IMPORT_COLUMNS_MAX);
        }

        cap = im->capfields ? im->capfields * 2 : 32;

        p = realloc(im->ends, cap * sizeof(size_t));
        if (p == NULL) {
            return hrx_import_fail(im, err, "internal", NULL,
                                   "out of memory");
        }

        im->ends = p;
        im->capfields = cap;
    }

    im->ends[im->nfields++] = im->len;

    return 0;
}


static void
hrx_csv_cell(hrx_import_t *im, size_t i, const char **p, size_t *len)
{
    size_t  start;

    start = i ? im->ends[i - 1] : 0;

    /* a record of empty cells may come before any byte was buffered */
    *p = im->buf != NULL ? im->buf + start : "";
    *len = im->ends[i] - start;
}


/* without spaces and tabs around */
static void
hrx_trim(const char **p, size_t *len)
{
    while (*len && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }

    while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t')) {
        (*len)--;
    }
}


static int
hrx_csv_header(hrx_import_t *im, hrx_res_err_t *err)
{
    char                    name[128];
    size_t                  i, j, len;
    const char             *p;
    hrx_import_col_t       *col;
    const hrx_res_field_t  *f;

    im->cols = calloc(im->nfields, sizeof(hrx_import_col_t));
    if (im->cols == NULL) {
        return hrx_import_fail(im, err, "internal", NULL, "out of memory");
    }

    for (i = 0; i < im->nfields; i++) {
        hrx_csv_cell(im, i, &p, &len);
        hrx_trim(&p, &len);

        if (len == 0) {
            return hrx_import_fail(im, err, "invalid_value", NULL,
                                   "column %zu of the header row has no "
                                   "name", i + 1);
        }

        if (len >= sizeof(name) || memchr(p, '\0', len) != NULL) {
            return hrx_import_fail(im, err, "unknown_field", NULL,
                                   "column %zu of the header row is not a "
                                   "field", i + 1);
        }

        memcpy(name, p, len);
        name[len] = '\0';

        col = &im->cols[im->ncols++];

        if (strncmp(name, "custom.", sizeof("custom.") - 1) == 0) {
            p = name + sizeof("custom.") - 1;

            if (!hrx_custom_key_valid(p, strlen(p))) {
                return hrx_import_fail(im, err, "invalid_value", name,
                                       "column \"%s\": a custom field key "
                                       "is lowercase letters, digits and "
                                       "\"_\" (at most 40), starting with "
                                       "a letter", name);
            }

            col->key = strdup(p);
            if (col->key == NULL) {
                return hrx_import_fail(im, err, "internal", NULL,
                                       "out of memory");
            }

        } else {
            f = hrx_res_field(im->res, name);

            if (f == NULL) {
                return hrx_import_fail(im, err, "unknown_field", name,
                                       "column \"%s\" is not a field", name);
            }

            if (f->flags & HRX_F_READONLY) {
                return hrx_import_fail(im, err, "read_only", name,
                                       "column \"%s\" is read-only: it is "
                                       "set by hrx, never imported", name);
            }

            if (f->type == HRX_FT_JSON) {
                return hrx_import_fail(im, err, "invalid_value", name,
                                       "column \"%s\": give each key as a "
                                       "column \"custom.<key>\"", name);
            }

            col->f = f;
        }

        for (j = 0; j + 1 < im->ncols; j++) {
            if (col->f ? im->cols[j].f == col->f
                       : im->cols[j].key && strcmp(im->cols[j].key,
                                                   col->key) == 0)
            {
                return hrx_import_fail(im, err, "invalid_value", name,
                                       "column \"%s\" appears twice", name);
            }
        }
    }

    for (f = im->res->fields; f->name; f++) {
        if (!(f->flags & HRX_F_REQUIRED) || (f->flags & HRX_F_READONLY)) {
            continue;
        }

        for (j = 0; j < im->ncols && im->cols[j].f != f; j++) {
            /* void */
        }

        if (j == im->ncols) {
            return hrx_import_fail(im, err, "required", f->name,
                                   "the header row has no \"%s\" column",
                                   f->name);
        }
    }

    im->header = 1;

    return 0;
}


/* a decimal integer, nothing else: 0 and *v, or -1 */
static int
hrx_parse_int(const char *p, size_t len, int64_t *v)
{
    int       neg;
    size_t    i;
    uint64_t  n, lim;

    neg = (len > 0 && p[0] == '-');
    i = neg;

    if (i == len) {
        return -1;
    }

    lim = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
    n = 0;

    for ( /* void */ ; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        if (n > (lim - (uint64_t) (p[i] - '0')) / 10) {
            return -1;
        }

        n = n * 10 + (uint64_t) (p[i] - '0');
    }

    *v = neg ? (int64_t) (0 - n) : (int64_t) n;

    return 0;
}


static int
hrx_word(const char *p, size_t len, const char *w)
{
    return strlen(w) == len && strncasecmp(p, w, len) == 0;
}


/* a custom value: a number when written as one, true/false, a string */
static json_t *
hrx_csv_custom(const char *p, size_t len)
{
    char     num[64];
    size_t   i, digits;
    int64_t  v;

    if (hrx_word(p, len, "true")) {
        return json_true();
    }

    if (hrx_word(p, len, "false")) {
        return json_false();
    }

    /* -?(0|[1-9][0-9]*)(\.[0-9]+)? */
    i = (len > 0 && p[0] == '-');
    digits = 0;

    while (i < len && p[i] >= '0' && p[i] <= '9') {
        i++;
        digits++;
    }

    if (digits == 0 || (digits > 1 && p[i - digits] == '0')
        || len >= sizeof(num))
    {
        return json_stringn(p, len);
    }

    if (i == len) {
        if (hrx_parse_int(p, len, &v) == 0) {
            return json_integer(v);
        }

        return json_stringn(p, len);
    }

    if (p[i] != '.' || i + 1 == len) {
        return json_stringn(p, len);
    }

    for (i++; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return json_stringn(p, len);
        }
    }

    memcpy(num, p, len);
    num[len] = '\0';

    return json_real(strtod(num, NULL));
}


/* label_ids: "3;7;12" */
static json_t *
hrx_csv_ids(const char *p, size_t len)
{
    size_t       n;
    json_t      *a;
    int64_t      v;
    const char  *end, *q, *s;

    a = json_array();
    if (a == NULL) {
        return NULL;
    }

    end = p + len;

    for (s = p; s <= end; s = q + 1) {
        for (q = s; q < end && *q != ';'; q++) {
            /* void */
        }

        n = (size_t) (q - s);
        hrx_trim(&s, &n);

        if (hrx_parse_int(s, n, &v) != 0
            || json_array_append_new(a, json_integer(v)) != 0)
        {
            json_decref(a);
            return NULL;
        }
    }

    return a;
}


static int
hrx_csv_row(hrx_import_t *im, hrx_res_err_t *err)
{
    char                    field[160];
    size_t                  i, len;
    json_t                 *obj, *custom, *v;
    int64_t                 n;
    const char             *p;
    hrx_import_col_t       *col;
    const hrx_res_field_t  *f;

    if (hrx_import_count(im, err) != 0) {
        return -1;
    }

    if (im->nfields != im->ncols) {
        return hrx_import_row_error(im, "invalid_length", NULL,
                                    "row %zu (line %zu) has %zu fields, the "
                                    "header row %zu", im->rows, im->rec_line,
                                    im->nfields, im->ncols);
    }

    obj = json_object();
    custom = NULL;

    if (obj == NULL) {
        return hrx_import_fail(im, err, "internal", NULL, "out of memory");
    }

    for (i = 0; i < im->ncols; i++) {
        hrx_csv_cell(im, i, &p, &len);

        if (len == 0) {
            continue;
        }

        col = &im->cols[i];
        f = col->f;

        if (f == NULL) {
            snprintf(field, sizeof(field), "custom.%s", col->key);

            v = hrx_csv_custom(p, len);
            if (v == NULL) {
                goto utf8;
            }

            if (custom == NULL) {
                custom = json_object();

                if (custom == NULL
                    || json_object_set_new(obj, "custom_fields", custom)
                       != 0)
                {
                    json_decref(v);
                    goto nomem;
                }
            }

            if (json_object_set_new(custom, col->key, v) != 0) {
                goto nomem;
            }

            continue;
        }

        snprintf(field, sizeof(field), "%s", f->name);

        switch (f->type) {

        case HRX_FT_INT:
        case HRX_FT_REF:
            hrx_trim(&p, &len);

            if (hrx_parse_int(p, len, &n) != 0) {
                json_decref(obj);
                return hrx_import_row_error(im, "invalid_type", field,
                                            "\"%s\" must be %s", field,
                                            f->type == HRX_FT_REF
                                            ? "an id" : "an integer");
            }

            v = json_integer(n);
            break;

        case HRX_FT_BOOL:
            hrx_trim(&p, &len);

            if (hrx_word(p, len, "true") || hrx_word(p, len, "1")) {
                v = json_true();

            } else if (hrx_word(p, len, "false") || hrx_word(p, len, "0")) {
                v = json_false();

            } else {
                json_decref(obj);
                return hrx_import_row_error(im, "invalid_type", field,
                                            "\"%s\" must be true or false",
                                            field);
            }

            break;

        case HRX_FT_IDS:
            v = hrx_csv_ids(p, len);

            if (v == NULL) {
                json_decref(obj);
                return hrx_import_row_error(im, "invalid_type", field,
                                            "\"%s\" must be ids separated "
                                            "by \";\"", field);
            }

            break;

        default: /* STRING, TIME */
            v = json_stringn(p, len);

            if (v == NULL) {
                goto utf8;
            }
        }

        if (json_object_set_new(obj, f->name, v) != 0) {
            goto nomem;
        }
    }

    return hrx_import_emit(im, obj, NULL);

utf8:

    json_decref(obj);
    return hrx_import_row_error(im, "invalid_value", field,
                                "\"%s\" is not valid UTF-8", field);

nomem:

    json_decref(obj);
    return hrx_import_fail(im, err, "internal", NULL, "out of memory");
}


static int
hrx_csv_end_record(hrx_import_t *im, hrx_res_err_t *err)
{
    int  rc;

    if (hrx_csv_end_field(im, err) != 0) {
        return -1;
    }

    rc = im->header ? hrx_csv_row(im, err) : hrx_csv_header(im, err);

    im->len = 0;
    im->nfields = 0;
    im->in_record = 0;

    return rc;
}


static int
hrx_csv_bytes(hrx_import_t *im, const unsigned char *p, size_t len,
    hrx_res_err_t *err)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (!im->in_record && im->cs != HRX_CSV_CR) {
            if (c == '\n') {
                im->line++;             /* an empty line */
                continue;
            }

            if (c == '\r') {
                im->cs = HRX_CSV_CR;
                im->line++;
                continue;
            }

            im->in_record = 1;
            im->rec_line = im->line;
        }

        switch (im->cs) {

        case HRX_CSV_CR:
            im->cs = HRX_CSV_FIELD;

            if (c == '\n') {
                break;
            }

            i--;                        /* a record after a bare CR */
            break;

        case HRX_CSV_FIELD:
        case HRX_CSV_PLAIN:
            if (c == ',') {
                if (hrx_csv_end_field(im, err) != 0) {
                    return -1;
                }

                im->cs = HRX_CSV_FIELD;
                break;
            }

            if (c == '\r' || c == '\n') {
                im->line++;
                im->cs = (c == '\r') ? HRX_CSV_CR : HRX_CSV_FIELD;

                if (hrx_csv_end_record(im, err) != 0) {
                    return -1;
                }

                break;
            }

            if (c == '"' && im->cs == HRX_CSV_FIELD) {
                im->cs = HRX_CSV_QUOTED;
                break;
            }

            im->cs = HRX_CSV_PLAIN;

            if (hrx_import_add(im, c, err) != 0) {
                return -1;
            }

            break;

        case HRX_CSV_QUOTED:
            if (c == '"') {
                im->cs = HRX_CSV_QUOTE;
                break;
            }

            if (c == '\n') {
                im->line++;
            }

            if (hrx_import_add(im, c, err) != 0) {
                return -1;
            }

            break;

        default: /* HRX_CSV_QUOTE */
            if (c == '"') {
                im->cs = HRX_CSV_QUOTED;

                if (hrx_import_add(im, c, err) != 0) {
                    return -1;
                }

                break;
            }

            if (c == ',') {
                if (hrx_csv_end_field(im, err) != 0) {
                    return -1;
                }

                im->cs = HRX_CSV_FIELD;
                break;
            }

            if (c == '\r' || c == '\n') {
                im->line++;
                im->cs = (c == '\r') ? HRX_CSV_CR : HRX_CSV_FIELD;

                if (hrx_csv_end_record(im, err) != 0) {
                    return -1;
                }

                break;
            }

            return hrx_import_fail(im, err, "malformed_csv", NULL,
                                   "line %zu: a quote inside a quoted field "
                                   "must be doubled (\"\")", im->line);
        }
    }

    return 0;
}


static int
hrx_csv_finish(hrx_import_t *im, hrx_res_err_t *err)
{
    if (im->cs == HRX_CSV_QUOTED) {
        return hrx_import_fail(im, err, "malformed_csv", NULL,
                               "line %zu: the quoted field that begins "
                               "there is not closed", im->rec_line);
    }

    if (im->in_record && hrx_csv_end_record(im, err) != 0) {
        return -1;
    }

    if (!im->header) {
        return hrx_import_fail(im, err, "required", NULL,
                               "the CSV has no header row");
    }

    return 0;
}


/* ---- JSON --------------------------------------------------------------- */

static int
hrx_json_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}


static int
hrx_json_malformed(hrx_import_t *im, hrx_res_err_t *err, size_t at,
    const char *what)
{
    return hrx_import_fail(im, err, "malformed_json", NULL,
                           "malformed JSON at byte %zu: %s", at, what);
}


static int
hrx_json_row(hrx_import_t *im, hrx_res_err_t *err)
{
    json_t        *obj;
    json_error_t   jerr;

    if (hrx_import_count(im, err) != 0) {
        return -1;
    }

    obj = json_loadb(im->buf, im->len,
                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);

    im->len = 0;

    if (obj == NULL) {
        return hrx_import_fail(im, err, "malformed_json", NULL,
                               "malformed JSON in row %zu: %s", im->rows,
                               jerr.text);
    }

    if (!json_is_object(obj)) {
        json_decref(obj);
        return hrx_import_row_error(im, "invalid_type", NULL,
                                    "row %zu must be an object", im->rows);
    }

    return hrx_import_emit(im, obj, NULL);
}


static int
hrx_json_bytes(hrx_import_t *im, const unsigned char *p, size_t len,
    hrx_res_err_t *err)
{
    size_t         i, at;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = p[i];
        at = im->offset + i;

        switch (im->js) {

        case HRX_JSON_ROW:
            if (im->in_str) {
                if (im->esc) {
                    im->esc = 0;

                } else if (c == '\\') {
                    im->esc = 1;

                } else if (c == '"') {
                    im->in_str = 0;
                }

                if (hrx_import_add(im, c, err) != 0) {
                    return -1;
                }

                break;
            }

            if (im->scalar && im->depth == 0
                && (hrx_json_ws(c) || c == ',' || c == ']'))
            {
                /* the end of a row that is not an object: see it again */
                im->js = HRX_JSON_AFTER_ROW;
                i--;

                if (hrx_json_row(im, err) != 0) {
                    return -1;
                }

                break;
            }

            if (hrx_import_add(im, c, err) != 0) {
                return -1;
            }

            if (c == '"') {
                im->in_str = 1;

            } else if (c == '{' || c == '[') {
                if (++im->depth > HRX_JSON_DEPTH_MAX) {
                    return hrx_json_malformed(im, err, at,
                                              "nested too deeply");
                }

            } else if (c == '}' || c == ']') {
                if (--im->depth < 0) {
                    return hrx_json_malformed(im, err, at,
                                              "unexpected bracket");
                }

                if (im->depth == 0 && !im->scalar) {
                    im->js = HRX_JSON_AFTER_ROW;

                    if (hrx_json_row(im, err) != 0) {
                        return -1;
                    }
                }
            }

            break;

        case HRX_JSON_START:
            if (hrx_json_ws(c)) {
                break;
            }

            if (c != '{') {
                return hrx_import_fail(im, err, "invalid_type", NULL,
                                       "the body must be a JSON object "
                                       "{\"candidates\": [...]}");
            }

            im->js = HRX_JSON_KEY_OR_END;
            break;

        case HRX_JSON_KEY_OR_END:
        case HRX_JSON_KEY_NEXT:
            if (hrx_json_ws(c)) {
                break;
            }

            if (c == '}' && im->js == HRX_JSON_KEY_OR_END) {
                im->js = HRX_JSON_DONE;
                break;
            }

            if (c != '"') {
                return hrx_json_malformed(im, err, at, "a member name "
                                          "was expected");
            }

            im->js = HRX_JSON_KEY;
            im->keylen = 0;
            im->esc = 0;
            break;

        case HRX_JSON_KEY:
            if (!im->esc && c == '"') {
                im->js = HRX_JSON_COLON;
                break;
            }

            im->esc = !im->esc && c == '\\';

            if (im->keylen < sizeof(im->key) - 1) {
                im->key[im->keylen] = (char) c;
            }

            im->keylen++;
            break;

        case HRX_JSON_COLON:
            if (hrx_json_ws(c)) {
                break;
            }

            if (c != ':') {
                return hrx_json_malformed(im, err, at, "\":\" was expected");
            }

            im->js = HRX_JSON_VALUE;
            break;

        case HRX_JSON_VALUE:
            if (hrx_json_ws(c)) {
                break;
            }

            if (im->keylen != sizeof("candidates") - 1
                || memcmp(im->key, "candidates", im->keylen) != 0)
            {
                im->key[im->keylen < sizeof(im->key) ? im->keylen
                                                     : sizeof(im->key) - 1]
                    = '\0';

                return hrx_import_fail(im, err, "unknown_field", im->key,
                                       "unknown field \"%s%s\": the body is "
                                       "{\"candidates\": [...]}", im->key,
                                       im->keylen < sizeof(im->key)
                                       ? "" : "...");
            }

            if (im->candidates) {
                return hrx_json_malformed(im, err, at, "\"candidates\" is "
                                          "given twice");
            }

            if (c != '[') {
                return hrx_import_fail(im, err, "invalid_type",
                                       "candidates", "\"candidates\" must "
                                       "be an array of objects");
            }

            im->candidates = 1;
            im->js = HRX_JSON_FIRST;
            break;

        case HRX_JSON_FIRST:
        case HRX_JSON_NEXT:
            if (hrx_json_ws(c)) {
                break;
            }

            if (c == ']') {
                if (im->js == HRX_JSON_NEXT) {
                    return hrx_json_malformed(im, err, at, "a row was "
                                              "expected after \",\"");
                }

                im->js = HRX_JSON_AFTER_MEMBER;
                break;
            }

            /* a row begins: see c again as its first byte */
            im->js = HRX_JSON_ROW;
            im->len = 0;
            im->depth = 0;
            im->in_str = 0;
            im->esc = 0;
            im->scalar = (c != '{' && c != '[');
            i--;
            break;

        case HRX_JSON_AFTER_ROW:
            if (hrx_json_ws(c)) {
                break;
            }

            if (c == ',') {
                im->js = HRX_JSON_NEXT;

            } else if (c == ']') {
                im->js = HRX_JSON_AFTER_MEMBER;

            } else {
                return hrx_json_malformed(im, err, at, "\",\" or \"]\" was "
                                          "expected after a row");
            }

            break;

        case HRX_JSON_AFTER_MEMBER:
            if (hrx_json_ws(c)) {
                break;
            }

            if (c == ',') {
                im->js = HRX_JSON_KEY_NEXT;

            } else if (c == '}') {
                im->js = HRX_JSON_DONE;

            } else {
                return hrx_json_malformed(im, err, at, "\",\" or \"}\" was "
                                          "expected");
            }

            break;

        default: /* HRX_JSON_DONE */
            if (!hrx_json_ws(c)) {
                return hrx_json_malformed(im, err, at, "data after the "
                                          "object");
            }
        }
    }

    return 0;
}


static int
hrx_json_finish(hrx_import_t *im, hrx_res_err_t *err)
{
    if (im->js != HRX_JSON_DONE) {
        return hrx_import_fail(im, err, "malformed_json", NULL,
                               "malformed JSON: the body ends at byte %zu, "
                               "before the object does", im->offset);
    }

    if (!im->candidates) {
        return hrx_import_fail(im, err, "required", "candidates",
                               "\"candidates\" is required");
    }

    return 0;
}


/* ---- both ------------------------------------------------------------- */

static int
hrx_import_bytes(hrx_import_t *im, const unsigned char *p, size_t len,
    hrx_res_err_t *err)
{
    if (im->format == HRX_IMPORT_CSV) {
        return hrx_csv_bytes(im, p, len, err);
    }

    return hrx_json_bytes(im, p, len, err);
}


int
hrx_import_finish(hrx_import_t *im, hrx_res_err_t *err)
{
    int  rc;

    if (im->failed) {
        return hrx_res_fail(err, 400, "invalid_value", NULL,
                            "the import was refused already");
    }

    if (!im->started) {
        /* fewer than 3 bytes in all: no BOM to take off */
        im->started = 1;

        if (hrx_import_bytes(im, im->head, im->nhead, err) != 0) {
            return -1;
        }
    }

    rc = (im->format == HRX_IMPORT_CSV) ? hrx_csv_finish(im, err)
                                        : hrx_json_finish(im, err);
    if (rc != 0) {
        return -1;
    }

    if (im->rows == 0) {
        return hrx_import_fail(im, err, "invalid_length", NULL,
                               "the import holds no rows");
    }

    return 0;
}
