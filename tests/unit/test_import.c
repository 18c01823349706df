/*
 * Tests of the import reader (shm/hrx_import.c): CSV as RFC 4180 writes
 * it (quotes, doubled quotes, line breaks in fields, CRLF/LF/CR, a BOM),
 * the header and the values of each column type, the JSON envelope read
 * row by row, and every body fed whole and one byte at a time, so no
 * state depends on where nginx's buffers end.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_import.h"


typedef struct {
    json_t  *rows;      /* each row's JSON, or {"error": code, "field"} */
    int      stop_at;   /* the callback refuses row n (0: never) */
} collect_t;


static int
collect(void *data, size_t n, json_t *row, const hrx_res_err_t *err)
{
    collect_t  *c = data;

    assert_int_equal(n, json_array_size(c->rows) + 1);

    if (row == NULL) {
        row = json_pack("{s:s, s:s}", "error", err->code, "field",
                        err->field);
        assert_true(err->message[0] != '\0');
    }

    json_array_append_new(c->rows, row);

    return (c->stop_at != 0 && (size_t) c->stop_at == n) ? -1 : 0;
}


/* read body in pieces of step bytes (0: whole); the rows as JSON text */
static char *
run(hrx_import_format_e format, const char *body, size_t len, size_t step,
    hrx_res_err_t *err, int *rc)
{
    char          *out;
    size_t         off, n;
    collect_t      c;
    hrx_import_t  *im;

    c.rows = json_array();
    c.stop_at = 0;

    im = hrx_import_new(format, hrx_res(HRX_RES_CANDIDATE), collect, &c);
    assert_non_null(im);

    memset(err, 0, sizeof(*err));
    *rc = 0;

    for (off = 0; off < len && *rc == 0; off += n) {
        n = step ? step : len;
        if (n > len - off) {
            n = len - off;
        }
        *rc = hrx_import_feed(im, body + off, n, err);
    }

    if (*rc == 0) {
        *rc = hrx_import_finish(im, err);
    }

    if (*rc == 0) {
        assert_int_equal(hrx_import_rows(im), json_array_size(c.rows));
    }

    hrx_import_free(im);

    out = json_dumps(c.rows, JSON_COMPACT);
    json_decref(c.rows);

    return out;
}


/* the same rows whether fed whole or byte by byte */
static void
expect(hrx_import_format_e format, const char *body, const char *rows)
{
    int            rc;
    char          *got;
    size_t         step;
    hrx_res_err_t  err;

    for (step = 0; step <= 7; step += 1) {
        if (step == 2) {
            step = 7;
        }

        got = run(format, body, strlen(body), step, &err, &rc);

        if (rc != 0) {
            fail_msg("%s: step %zu: %s %s: %s", body, step, err.code,
                     err.field, err.message);
        }

        assert_string_equal(got, rows);
        free(got);
    }
}


/* the body is refused as a whole, fed whole and byte by byte */
static void
refuse(hrx_import_format_e format, const char *body, const char *code,
    const char *field)
{
    int            rc;
    char          *got;
    size_t         step;
    hrx_res_err_t  err;

    for (step = 0; step <= 1; step++) {
        got = run(format, body, strlen(body), step, &err, &rc);
        free(got);

        assert_int_equal(rc, -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, code);
        assert_string_equal(err.field, field ? field : "");
        assert_true(err.message[0] != '\0');
    }
}


#define CSV   HRX_IMPORT_CSV
#define JSON  HRX_IMPORT_JSON


static void
test_import_csv_quoting(void **state)
{
    (void) state;

    expect(CSV, "family_name,given_name\nYamada,Hanako\n",
           "[{\"family_name\":\"Yamada\",\"given_name\":\"Hanako\"}]");

    /* CRLF, no newline at the end, a BOM, Japanese */
    expect(CSV, "\xef\xbb\xbf" "family_name,school\r\n山田,東京大学\r\n"
           "佐藤,\"京都大学, 工学部\"",
           "[{\"family_name\":\"山田\",\"school\":\"東京大学\"},"
           "{\"family_name\":\"佐藤\",\"school\":\"京都大学, 工学部\"}]");

    /* doubled quotes, a line break inside quotes, an empty quoted field,
     * a quote inside an unquoted field */
    expect(CSV, "family_name,school,given_name\n"
           "\"O\"\"Neil\",\"line 1\r\nline 2\",\"\"\n"
           "5'10\",x,y\n",
           "[{\"family_name\":\"O\\\"Neil\",\"school\":\"line 1\\r\\nline 2\"},"
           "{\"family_name\":\"5'10\\\"\",\"school\":\"x\","
           "\"given_name\":\"y\"}]");

    /* empty lines are skipped; a bare CR ends a record */
    expect(CSV, "family_name\n\n\r\nA\rB\r\n\nC",
           "[{\"family_name\":\"A\"},{\"family_name\":\"B\"},"
           "{\"family_name\":\"C\"}]");

    /* header names are trimmed */
    expect(CSV, " family_name ,\tschool\nA,B\n",
           "[{\"family_name\":\"A\",\"school\":\"B\"}]");
}


static void
test_import_csv_types(void **state)
{
    (void) state;

    expect(CSV, "family_name,graduation_year,opted_out,label_ids,"
           "candidate_group_id,custom.score,custom.zip,custom.ok,"
           "custom.ratio,custom.note\n"
           "A, 2027 ,TRUE,3; 7;12,5,42,0123,false,-0.5,hello\n"
           "B,,0,,,,,,,\n",
           "[{\"family_name\":\"A\",\"graduation_year\":2027,"
           "\"opted_out\":true,\"label_ids\":[3,7,12],"
           "\"candidate_group_id\":5,\"custom_fields\":{\"score\":42,"
           "\"zip\":\"0123\",\"ok\":false,\"ratio\":-0.5,\"note\":\"hello\"}},"
           "{\"family_name\":\"B\",\"opted_out\":false}]");

    /* values of the wrong type: row errors naming the column */
    expect(CSV, "family_name,graduation_year,opted_out,label_ids,owner_id\n"
           "A,twenty,,,\n"
           "B,,yes,,\n"
           "C,,,1;;2,\n"
           "D,,,,1.5\n"
           "E,1,2\n"
           "F,\xff,,,\n",
           "[{\"error\":\"invalid_type\",\"field\":\"graduation_year\"},"
           "{\"error\":\"invalid_type\",\"field\":\"opted_out\"},"
           "{\"error\":\"invalid_type\",\"field\":\"label_ids\"},"
           "{\"error\":\"invalid_type\",\"field\":\"owner_id\"},"
           "{\"error\":\"invalid_length\",\"field\":\"\"},"
           "{\"error\":\"invalid_type\",\"field\":\"graduation_year\"}]");

    expect(CSV, "family_name,school\n\xff\xfe,x\n",
           "[{\"error\":\"invalid_value\",\"field\":\"family_name\"}]");
}


static void
test_import_csv_refused(void **state)
{
    (void) state;

    refuse(CSV, "", "required", NULL);
    refuse(CSV, "family_name\n", "invalid_length", NULL);
    refuse(CSV, "family_name,colour\nA,red\n", "unknown_field", "colour");
    refuse(CSV, "family_name,line_user_id\nA,U1\n", "read_only",
           "line_user_id");
    refuse(CSV, "family_name,custom_fields\nA,{}\n", "invalid_value",
           "custom_fields");
    refuse(CSV, "family_name,school,school\nA,B,C\n", "invalid_value",
           "school");
    refuse(CSV, "family_name,custom.a,custom.a\nA,B,C\n", "invalid_value",
           "custom.a");
    refuse(CSV, "family_name,custom.Bad\nA,B\n", "invalid_value",
           "custom.Bad");
    refuse(CSV, "given_name\nA\n", "required", "family_name");
    refuse(CSV, "family_name,\nA,B\n", "invalid_value", NULL);
    refuse(CSV, "family_name\n\"A\n", "malformed_csv", NULL);
    refuse(CSV, "family_name\n\"A\"B\n", "malformed_csv", NULL);
}


static void
test_import_json(void **state)
{
    (void) state;

    expect(JSON, "{\"candidates\": [{\"family_name\": \"A\", "
           "\"custom_fields\": {\"k\": \"}]\\\"{[\"}}, "
           "{\"family_name\": \"山田\", \"label_ids\": [1, 2]}]}",
           "[{\"family_name\":\"A\",\"custom_fields\":{\"k\":\"}]\\\"{[\"}},"
           "{\"family_name\":\"山田\",\"label_ids\":[1,2]}]");

    expect(JSON, "\xef\xbb\xbf\n { \"candidates\" : [ {\"family_name\":"
           "\"A\"} ] }\n", "[{\"family_name\":\"A\"}]");

    /* rows that are not objects are row errors */
    expect(JSON, "{\"candidates\":[1, \"x\" ,[2],null,"
           "{\"family_name\":\"B\"}]}",
           "[{\"error\":\"invalid_type\",\"field\":\"\"},"
           "{\"error\":\"invalid_type\",\"field\":\"\"},"
           "{\"error\":\"invalid_type\",\"field\":\"\"},"
           "{\"error\":\"invalid_type\",\"field\":\"\"},"
           "{\"family_name\":\"B\"}]");

    refuse(JSON, "[]", "invalid_type", NULL);
    refuse(JSON, "{}", "required", "candidates");
    refuse(JSON, "{\"candidates\":{}}", "invalid_type", "candidates");
    refuse(JSON, "{\"rows\":[]}", "unknown_field", "rows");
    refuse(JSON, "{\"candidates\":[]}", "invalid_length", NULL);
    refuse(JSON, "{\"candidates\":[{\"a\":1},]}", "malformed_json", NULL);
    refuse(JSON, "{\"candidates\":[{\"a\":1}]", "malformed_json", NULL);
    refuse(JSON, "{\"candidates\":[{\"a\":1}]} x", "malformed_json", NULL);
    refuse(JSON, "{\"candidates\":[{\"a\":}]}", "malformed_json", NULL);
    refuse(JSON, "{\"candidates\":[{\"a\":1,\"a\":2}]}", "malformed_json",
           NULL);
    refuse(JSON, "{\"candidates\":[{\"a\":1}],\"candidates\":[]}",
           "malformed_json", NULL);
}


static void
test_import_limits(void **state)
{
    int            rc;
    char          *body, *p, *got;
    size_t         i;
    hrx_res_err_t  err;

    (void) state;

    /* 100 000 rows are fine, one more is not */
    body = malloc(16 + 2 * (HRX_IMPORT_ROWS_MAX + 1));
    assert_non_null(body);
    p = body + sprintf(body, "family_name\n");

    for (i = 0; i < HRX_IMPORT_ROWS_MAX; i++) {
        *p++ = 'x';
        *p++ = '\n';
    }

    got = run(CSV, body, (size_t) (p - body), 0, &err, &rc);
    assert_int_equal(rc, 0);
    free(got);

    *p++ = 'y';
    got = run(CSV, body, (size_t) (p - body), 0, &err, &rc);
    assert_int_equal(rc, -1);
    assert_string_equal(err.code, "too_many_rows");
    free(got);
    free(body);

    /* a row of more than HRX_IMPORT_ROW_MAX bytes */
    body = malloc(HRX_IMPORT_ROW_MAX + 64);
    assert_non_null(body);
    p = body + sprintf(body, "family_name\n");
    memset(p, 'z', HRX_IMPORT_ROW_MAX + 1);
    p += HRX_IMPORT_ROW_MAX + 1;

    got = run(CSV, body, (size_t) (p - body), 4096, &err, &rc);
    assert_int_equal(rc, -1);
    assert_string_equal(err.code, "invalid_length");
    free(got);
    free(body);

    /* the callback stops the reader */
    {
        collect_t      c;
        hrx_import_t  *im;
        const char    *b = "family_name\nA\nB\nC\n";

        c.rows = json_array();
        c.stop_at = 2;
        im = hrx_import_new(CSV, hrx_res(HRX_RES_CANDIDATE), collect, &c);
        assert_int_equal(hrx_import_feed(im, b, strlen(b), &err), -1);
        assert_int_equal(json_array_size(c.rows), 2);
        hrx_import_free(im);
        json_decref(c.rows);
    }
}


static void
test_import_names(void **state)
{
    char           buf[64];
    hrx_import_t  *im;

    (void) state;

    assert_true(hrx_import_name_valid("123-1795253400000-0a1b2c3d.jsonl"));
    assert_false(hrx_import_name_valid(".jsonl"));
    assert_false(hrx_import_name_valid("../x.jsonl"));
    assert_false(hrx_import_name_valid("a/b.jsonl"));
    assert_false(hrx_import_name_valid("a.json"));
    assert_false(hrx_import_name_valid(".hidden.jsonl"));

    im = hrx_import_new(CSV, hrx_res(HRX_RES_CANDIDATE), collect, NULL);
    assert_string_equal(hrx_import_field(im, "custom_fields.score", buf,
                                         sizeof(buf)), "custom.score");
    assert_string_equal(hrx_import_field(im, "label_ids[3]", buf,
                                         sizeof(buf)), "label_ids");
    assert_string_equal(hrx_import_field(im, "email", buf, sizeof(buf)),
                        "email");
    hrx_import_free(im);

    im = hrx_import_new(JSON, hrx_res(HRX_RES_CANDIDATE), collect, NULL);
    assert_string_equal(hrx_import_field(im, "label_ids[3]", buf,
                                         sizeof(buf)), "label_ids[3]");
    hrx_import_free(im);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_csv_quoting),
        cmocka_unit_test(test_import_csv_types),
        cmocka_unit_test(test_import_csv_refused),
        cmocka_unit_test(test_import_json),
        cmocka_unit_test(test_import_limits),
        cmocka_unit_test(test_import_names),
    };

    return cmocka_run_group_tests_name("hrx_import", tests, NULL, NULL);
}
