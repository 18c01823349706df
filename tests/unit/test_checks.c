/*
 * Tests of shm/hrx_checks.c: the saved-search and template checks as the
 * descriptors run them (hrx_res_validate, both modes), the has_label
 * walker's paths, and UTF-8-safe truncation of error text.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_checks.h"
#include "hrx_resource.h"


static void
check(hrx_res_id_e id, int mode, const char *body, const char *code,
    const char *field)
{
    json_t         *b, *js;
    hrx_res_err_t   err;

    b = json_loads(body, 0, NULL);
    assert_non_null(b);

    memset(&err, 0, sizeof(err));

    if (code == NULL) {
        if (hrx_res_validate(hrx_res(id), b, mode, &err) != 0) {
            fail_msg("%s: %s %s %s", body, err.code, err.field, err.message);
        }

    } else {
        assert_int_equal(hrx_res_validate(hrx_res(id), b, mode, &err), -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, code);
        assert_string_equal(err.field, field);
        assert_true(strlen(err.message) > 0);
        /* the message is valid UTF-8 (it goes into a JSON string) */
        js = json_string(err.message);
        assert_non_null(js);
        json_decref(js);
    }

    json_decref(b);
}


static void
test_condition(void **state)
{
    (void) state;

    check(HRX_RES_SAVED_SEARCH, HRX_RES_CREATE,
          "{\"search_group_id\":1,\"name\":\"s\",\"condition\":"
          "{\"all\":[{\"field\":\"status\",\"op\":\"in\",\"value\":"
          "[\"applied\"]},{\"has_label\":3}]}}", NULL, NULL);
    check(HRX_RES_SAVED_SEARCH, HRX_RES_CREATE,
          "{\"search_group_id\":1,\"name\":\"s\",\"condition\":"
          "{\"all\":[{\"has_label\":3},{\"field\":\"email\",\"op\":"
          "\"regex\",\"value\":\"(\"}]}}",
          "invalid_value", "condition.all[1].value");
    check(HRX_RES_SAVED_SEARCH, HRX_RES_CREATE,
          "{\"search_group_id\":1,\"name\":\"s\",\"condition\":"
          "{\"any\":[{\"field\":\"shoe_size\",\"op\":\"eq\",\"value\":1}]}}",
          "unknown_field", "condition.any[0].field");
    check(HRX_RES_SAVED_SEARCH, HRX_RES_CREATE,
          "{\"search_group_id\":1,\"name\":\"s\",\"condition\":[]}",
          "invalid_type", "condition");
    /* the scheduler's mode: args carry the id */
    check(HRX_RES_SAVED_SEARCH, HRX_RES_UPDATE | HRX_RES_ARGS,
          "{\"id\":4,\"condition\":{\"not\":{\"has_label\":0}}}",
          "invalid_value", "condition.not.has_label");
    check(HRX_RES_SAVED_SEARCH, HRX_RES_UPDATE | HRX_RES_ARGS,
          "{\"id\":4,\"name\":\"only the name\"}", NULL, NULL);
}


static void
test_merge(void **state)
{
    json_t         *b;
    hrx_res_err_t   err;

    (void) state;

    check(HRX_RES_TEMPLATE, HRX_RES_CREATE,
          "{\"name\":\"t\",\"subject\":\"{姓}様\",\"body_text\":"
          "\"{candidate.given_name|there} {{x}}\",\"body_html\":"
          "\"<p>{会社名}</p>\"}", NULL, NULL);
    check(HRX_RES_TEMPLATE, HRX_RES_CREATE,
          "{\"name\":\"t\",\"subject\":\"Hi {candidate.shoe}\","
          "\"body_text\":\"x\"}", "unknown_variable", "subject");
    check(HRX_RES_TEMPLATE, HRX_RES_UPDATE,
          "{\"body_html\":\"<style>p {color: red}</style>\"}",
          "unknown_variable", "body_html");
    check(HRX_RES_TEMPLATE, HRX_RES_UPDATE | HRX_RES_ARGS,
          "{\"id\":1,\"body_text\":\"Dear {candidate.family_name\"}",
          "malformed_template", "body_text");
    check(HRX_RES_TEMPLATE, HRX_RES_UPDATE, "{\"body_text\":\"{}\"}",
          "malformed_template", "body_text");

    /* the message names the field and the variable */
    b = json_loads("{\"subject\":\"{未知の変数}\"}", 0, NULL);
    assert_int_equal(hrx_res_validate(hrx_res(HRX_RES_TEMPLATE), b,
                                      HRX_RES_UPDATE, &err), -1);
    assert_non_null(strstr(err.message, "subject"));
    assert_non_null(strstr(err.message, "未知の変数"));
    json_decref(b);
}


typedef struct {
    int      n;
    int64_t  ids[8];
    char     paths[8][64];
    int      stop_at;
} seen_t;


static int
collect(void *data, int64_t id, const char *path)
{
    seen_t  *s = data;

    if (s->n == s->stop_at) {
        return 7;
    }

    s->ids[s->n] = id;
    snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", path);
    s->n++;

    return 0;
}


static void
test_labels(void **state)
{
    json_t  *c;
    seen_t   s;

    (void) state;

    c = json_loads("{\"all\":[{\"field\":\"school\",\"op\":\"exists\","
                   "\"value\":true},{\"any\":[{\"has_label\":5},"
                   "{\"not\":{\"has_label\":6}}]},{\"has_label\":7}]}", 0,
                   NULL);
    assert_non_null(c);

    memset(&s, 0, sizeof(s));
    s.stop_at = -1;
    assert_int_equal(hrx_condition_labels(c, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.ids[0], 5);
    assert_string_equal(s.paths[0], "condition.all[1].any[0].has_label");
    assert_int_equal(s.ids[1], 6);
    assert_string_equal(s.paths[1], "condition.all[1].any[1].not.has_label");
    assert_int_equal(s.ids[2], 7);
    assert_string_equal(s.paths[2], "condition.all[2].has_label");

    /* the first refusal stops the walk and is returned */
    memset(&s, 0, sizeof(s));
    s.stop_at = 1;
    assert_int_equal(hrx_condition_labels(c, collect, &s), 7);
    assert_int_equal(s.n, 1);
    json_decref(c);

    c = json_loads("{\"has_label\":9}", 0, NULL);
    memset(&s, 0, sizeof(s));
    s.stop_at = -1;
    assert_int_equal(hrx_condition_labels(c, collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.paths[0], "condition.has_label");
    json_decref(c);
}


static void
test_copy_utf8(void **state)
{
    char  buf[6];

    (void) state;

    hrx_copy_utf8(buf, sizeof(buf), "abc");
    assert_string_equal(buf, "abc");
    /* "aあい": 1 + 3 + 3 bytes; 5 fit, but not the whole of "い" */
    hrx_copy_utf8(buf, sizeof(buf), "a\xe3\x81\x82\xe3\x81\x84");
    assert_string_equal(buf, "a\xe3\x81\x82");
    hrx_copy_utf8(buf, 1, "abc");
    assert_string_equal(buf, "");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_condition),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_copy_utf8),
    };

    return cmocka_run_group_tests_name("hrx_checks", tests, NULL, NULL);
}
