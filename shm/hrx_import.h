/*
 * Bulk import of candidates (docs/data-model.md, "Candidates"): the
 * reader that turns a request body, fed in pieces as it comes from
 * nginx's buffers or its temp file, into one JSON object per row, and
 * the spool file names both processes agree on.
 *
 *     im = hrx_import_new(HRX_IMPORT_CSV, hrx_res(HRX_RES_CANDIDATE),
 *                         row, data);
 *     while (more bytes)
 *         if (hrx_import_feed(im, p, n, &err) != 0) -> 400 err, stop
 *     if (hrx_import_finish(im, &err) != 0) -> 400 err
 *     hrx_import_free(im);
 *
 * row(data, n, obj, err) is called for every row in order, n counting
 * from 1: obj is a new object (a body as POST /api/v1/candidates takes
 * it, not yet validated: the caller runs hrx_res_validate()), or NULL
 * with err saying why the row could not be made into one (a CSV value of
 * the wrong type, a wrong number of fields, a JSON row that is not an
 * object).  Errors of the body as a whole (malformed CSV or JSON, a bad
 * header, too many rows) come back from feed / finish instead.
 *
 * CSV (RFC 4180): fields separated by ",", records by CRLF, LF or CR;
 * a field in double quotes may hold commas, quotes (doubled) and line
 * breaks; a quote inside an unquoted field is taken as it is.  UTF-8,
 * with or without a byte order mark.  The first record names the
 * columns: the fields of the resource (not read-only ones), "custom.<key>"
 * for custom_fields.  Empty lines are skipped; an empty cell is an absent
 * value.  Cells of integer and id columns are integers, of true/false
 * columns true, false, 1 or 0 (any case); label_ids are ids separated by
 * ";"; a custom value is a number when it is written as one (no leading
 * zero, "-12", "3.5"), true or false for those words, else a string.
 *
 * JSON: {"candidates": [ {...}, ... ]}.  Only the structure around the
 * rows is scanned here; each row is parsed on its own (jansson), so the
 * body is never held as one tree: memory is one row at a time.
 */
#ifndef HRX_IMPORT_H
#define HRX_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "hrx_resource.h"


#define HRX_IMPORT_DIR         "tmp/import"   /* under the data dir */
#define HRX_IMPORT_ROWS_MAX    100000
#define HRX_IMPORT_ROW_MAX     (1 << 20)      /* bytes of one row */
#define HRX_IMPORT_ERRORS_MAX  100            /* rows listed in a 400 */
#define HRX_IMPORT_COLUMNS_MAX 256
#define HRX_IMPORT_NAME_MAX    96             /* a spool file's name */

/* spool files older than this are swept by the scheduler */
#define HRX_IMPORT_ORPHAN_MS   (60 * 60 * 1000)

typedef enum {
    HRX_IMPORT_CSV = 1,
    HRX_IMPORT_JSON
} hrx_import_format_e;

typedef struct hrx_import_s  hrx_import_t;

typedef int (*hrx_import_row_pt)(void *data, size_t n, json_t *row,
    const hrx_res_err_t *err);

/* NULL when memory runs out */
hrx_import_t *hrx_import_new(hrx_import_format_e format,
    const hrx_res_t *res, hrx_import_row_pt row, void *data);

/*
 * 0, or -1 with err set (400: the body is refused as a whole) or when
 * row returned non-zero (err then says nothing: the caller knows why).
 */
int hrx_import_feed(hrx_import_t *im, const void *buf, size_t len,
    hrx_res_err_t *err);
/* end of the body: the last row, then the checks of the whole */
int hrx_import_finish(hrx_import_t *im, hrx_res_err_t *err);

/* rows handed so far */
size_t hrx_import_rows(const hrx_import_t *im);

/*
 * The name to report for a field of a row: for CSV the column
 * ("custom.<key>" for "custom_fields.<key>", "label_ids" for
 * "label_ids[2]"); for JSON field itself.
 */
const char *hrx_import_field(const hrx_import_t *im, const char *field,
    char *buf, size_t size);

void hrx_import_free(hrx_import_t *im);

/*
 * A spool file name as the worker makes them: 1 to 80 of [A-Za-z0-9_-]
 * then ".jsonl" — never a path.
 */
int hrx_import_name_valid(const char *name);


#endif /* HRX_IMPORT_H */
