/*
 * Candidate import bodies (shm/hrx_import.c), CSV or JSON by the first
 * byte, as a worker reads them from the network: in pieces of any size.
 * Properties: feeding the body in one piece or cut at arbitrary points
 * gives the same rows, the same per-row errors and the same outcome
 * (nginx hands the thread pool whatever buffers it has); every row is an
 * object or a refusal that says why; a refusal of the whole has a code.
 */
#include "fuzz.h"
#include "hrx_import.h"

typedef struct {
    size_t    rows;
    uint64_t  digest;          /* FNV-1a over every row and error, in order */
} fuzz_rows_t;

static void
fuzz_digest(uint64_t *h, const char *s)
{
    for (; *s != '\0'; s++) {
        *h = (*h ^ (unsigned char) *s) * 1099511628211ULL;
    }
    *h = (*h ^ 0xff) * 1099511628211ULL;
}

static int
fuzz_row(void *data, size_t n, json_t *row, const hrx_res_err_t *err)
{
    fuzz_rows_t  *r = data;
    char         *text;

    FUZZ_CHECK(n == ++r->rows);              /* rows in order, from 1 */
    if (row == NULL) {
        FUZZ_CHECK(err != NULL && err->code != NULL);
        fuzz_digest(&r->digest, err->code);
        fuzz_digest(&r->digest, err->field);
        return 0;
    }
    FUZZ_CHECK(json_is_object(row));
    text = json_dumps(row, JSON_SORT_KEYS | JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    fuzz_digest(&r->digest, text);
    free(text);
    json_decref(row);                        /* the row is the caller's */
    return 0;
}

/* 0 accepted, else -1 with the refusal's code folded into r->digest */
static int
fuzz_import(hrx_import_format_e format, const uint8_t *body, size_t len,
    const uint8_t *cuts, size_t ncuts, fuzz_rows_t *r)
{
    hrx_import_t   *im;
    hrx_res_err_t   err;
    size_t          at = 0;
    int             rc = 0;

    memset(r, 0, sizeof(*r));
    r->digest = 14695981039346656037ULL;
    im = hrx_import_new(format, hrx_res(HRX_RES_CANDIDATE), fuzz_row, r);
    FUZZ_CHECK(im != NULL);
    for (size_t i = 0; at < len && rc == 0; i++) {
        size_t  piece = ncuts > 0 ? (size_t) cuts[i % ncuts] + 1 : len;

        if (piece > len - at) {
            piece = len - at;
        }
        memset(&err, 0, sizeof(err));
        rc = hrx_import_feed(im, body + at, piece, &err);
        at += piece;
    }
    if (rc == 0) {
        memset(&err, 0, sizeof(err));
        rc = hrx_import_finish(im, &err);
    }
    if (rc != 0) {
        FUZZ_CHECK(err.code != NULL && err.status >= 400);
        fuzz_digest(&r->digest, err.code);
    }
    /* every row counted was handed over (a refused body may have
     * counted the row it failed on) */
    FUZZ_CHECK(rc != 0 || hrx_import_rows(im) == r->rows);
    hrx_import_free(im);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hrx_import_format_e  format;
    fuzz_rows_t          whole, pieces;
    size_t               ncuts;
    int                  a, b;

    /* byte 0: format; byte 1: how many cut sizes follow; then the body */
    if (size < 2) {
        return 0;
    }
    format = (data[0] & 1) ? HRX_IMPORT_JSON : HRX_IMPORT_CSV;
    ncuts = data[1] % 16;
    if (ncuts > size - 2) {
        ncuts = size - 2;
    }
    a = fuzz_import(format, data + 2 + ncuts, size - 2 - ncuts, NULL, 0,
                    &whole);
    b = fuzz_import(format, data + 2 + ncuts, size - 2 - ncuts, data + 2,
                    ncuts, &pieces);
    FUZZ_CHECK(a == b);
    FUZZ_CHECK(whole.rows == pieces.rows);
    FUZZ_CHECK(whole.digest == pieces.digest);
    return 0;
}
