/*
 * Tests of the resource descriptors (shm/hrx_resource.c): body checks and
 * the errors they name, the statements made for every resource, reach
 * SQL, permissions and the RFC 3339 parser.  The statements are only made
 * here; the integration tests run them against the real schema.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_resource.h"


static json_t *
parse(const char *text)
{
    json_t        *j;
    json_error_t   e;

    j = json_loads(text, JSON_ALLOW_NUL, &e);
    if (j == NULL) {
        fail_msg("bad test JSON: %s", e.text);
    }
    return j;
}


/* 0 when valid; else the error's code and field are compared */
static void
check(hrx_res_id_e id, int mode, const char *body, const char *code,
    const char *field)
{
    json_t         *j;
    hrx_res_err_t   err;
    int             rc;

    j = parse(body);
    memset(&err, 0, sizeof(err));
    rc = hrx_res_validate(hrx_res(id), j, mode, &err);
    json_decref(j);

    if (code == NULL) {
        if (rc != 0) {
            fail_msg("%s: unexpected %s on \"%s\": %s", body, err.code,
                     err.field, err.message);
        }
        return;
    }

    assert_int_equal(rc, -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field ? field : "");
    assert_true(err.message[0] != '\0');
}


static void
test_resource_validate_fields(void **state)
{
    (void) state;

    check(HRX_RES_LABEL, HRX_RES_CREATE, "{\"name\":\"VIP\"}", NULL, NULL);
    check(HRX_RES_LABEL, HRX_RES_CREATE,
          "{\"name\":\"VIP\",\"color\":\"#A0b1c2\"}", NULL, NULL);
    check(HRX_RES_LABEL, HRX_RES_CREATE, "{\"name\":\"VIP\",\"x\":1}",
          "unknown_field", "x");
    check(HRX_RES_LABEL, HRX_RES_CREATE, "{}", "required", "name");
    check(HRX_RES_LABEL, HRX_RES_CREATE, "{\"name\":null}", "required",
          "name");
    check(HRX_RES_LABEL, HRX_RES_CREATE, "{\"name\":7}", "invalid_type",
          "name");
    check(HRX_RES_LABEL, HRX_RES_CREATE, "{\"name\":\"\"}",
          "invalid_length", "name");
    check(HRX_RES_LABEL, HRX_RES_CREATE, "{\"name\":\"a\\u0000b\"}",
          "invalid_value", "name");
    check(HRX_RES_LABEL, HRX_RES_CREATE,
          "{\"name\":\"a\",\"color\":\"#12345z\"}", "invalid_value",
          "color");
    check(HRX_RES_LABEL, HRX_RES_CREATE, "[]", "invalid_type", NULL);

    /* update: what is absent stays; null clears, except what is required */
    check(HRX_RES_LABEL, HRX_RES_UPDATE, "{}", NULL, NULL);
    check(HRX_RES_LABEL, HRX_RES_UPDATE, "{\"color\":null}", NULL, NULL);
    check(HRX_RES_LABEL, HRX_RES_UPDATE, "{\"name\":null}", "required",
          "name");

    /* "id" belongs to a command's args, never to a body */
    check(HRX_RES_LABEL, HRX_RES_UPDATE, "{\"id\":3}", "unknown_field",
          "id");
    check(HRX_RES_LABEL, HRX_RES_UPDATE | HRX_RES_ARGS, "{\"id\":3}", NULL,
          NULL);

    /* characters, not bytes: 100 three-byte characters fit a label */
    {
        char  body[512], *p;
        int   i;

        p = body + sprintf(body, "{\"name\":\"");
        for (i = 0; i < 100; i++) {
            p += sprintf(p, "\xe3\x81\x82");
        }
        sprintf(p, "\"}");
        check(HRX_RES_LABEL, HRX_RES_CREATE, body, NULL, NULL);
    }

    check(HRX_RES_AGENT, HRX_RES_CREATE,
          "{\"name\":\"A\",\"email\":\"a@b\",\"status\":\"gone\"}",
          "invalid_value", "status");
    check(HRX_RES_AGENT, HRX_RES_CREATE,
          "{\"name\":\"A\",\"email\":\"a b@c\"}", "invalid_value", "email");
    check(HRX_RES_AGENT, HRX_RES_CREATE,
          "{\"name\":\"A\",\"email\":\"a@b\",\"route_to_agent\":1}",
          "invalid_type", "route_to_agent");
    check(HRX_RES_INTERVIEW, HRX_RES_CREATE,
          "{\"candidate_id\":0,\"starts_at\":\"2027-01-01T00:00:00Z\"}",
          "invalid_value", "candidate_id");
    check(HRX_RES_INTERVIEW, HRX_RES_CREATE,
          "{\"candidate_id\":1,\"starts_at\":\"2027-02-30T00:00:00Z\"}",
          "invalid_value", "starts_at");
    check(HRX_RES_ROLE, HRX_RES_CREATE,
          "{\"name\":\"r\",\"builtin\":true}", "read_only", "builtin");
    check(HRX_RES_ROLE, HRX_RES_CREATE,
          "{\"name\":\"r\",\"permissions\":[\"users.admin\",\"x\"]}",
          "invalid_value", "permissions[1]");
    check(HRX_RES_SAVED_SEARCH, HRX_RES_CREATE,
          "{\"search_group_id\":1,\"name\":\"s\",\"condition\":[]}",
          "invalid_type", "condition");
}


static void
test_resource_validate_nested(void **state)
{
    (void) state;

    check(HRX_RES_EVENT, HRX_RES_CREATE,
          "{\"event_group_id\":1,\"title\":\"t\",\"dates\":[{\"starts_at\":"
          "\"2027-01-01T10:00:00+09:00\",\"ends_at\":\"2027-01-01T11:00:00"
          "+09:00\",\"capacity\":3}]}", NULL, NULL);
    check(HRX_RES_EVENT, HRX_RES_CREATE,
          "{\"event_group_id\":1,\"title\":\"t\",\"dates\":[{\"starts_at\":"
          "\"2027-01-01T10:00:00Z\",\"capacity\":3},{\"id\":4,\"starts_at\":"
          "\"2027-01-01T10:00:00Z\",\"capacity\":0}]}",
          "invalid_value", "dates[1].capacity");
    check(HRX_RES_EVENT, HRX_RES_UPDATE,
          "{\"dates\":[{\"id\":4,\"starts_at\":\"2027-01-01T10:00:00Z\","
          "\"capacity\":1},{\"id\":4,\"starts_at\":\"2027-01-01T10:00:00Z\","
          "\"capacity\":1}]}", "invalid_value", "dates[1].id");
    check(HRX_RES_EVENT, HRX_RES_UPDATE, "{\"dates\":null}", "required",
          "dates");

    check(HRX_RES_MASTER_GROUP, HRX_RES_CREATE,
          "{\"name\":\"g\",\"member_ids\":[1,2],\"grants\":[{\"type\":"
          "\"form\",\"id\":1},{\"type\":\"template\",\"id\":1}]}", NULL,
          NULL);
    check(HRX_RES_MASTER_GROUP, HRX_RES_CREATE,
          "{\"name\":\"g\",\"member_ids\":[1,-2]}", "invalid_type",
          "member_ids[1]");
    check(HRX_RES_MASTER_GROUP, HRX_RES_CREATE,
          "{\"name\":\"g\",\"grants\":[{\"type\":\"user\",\"id\":1}]}",
          "invalid_value", "grants[0].type");

    check(HRX_RES_FORM, HRX_RES_CREATE,
          "{\"name\":\"f\",\"questions\":[{\"key\":\"a_1\",\"label\":\"A\","
          "\"type\":\"checkbox\",\"required\":false,\"choices\":[\"x\"]}]}",
          NULL, NULL);
    check(HRX_RES_FORM, HRX_RES_CREATE,
          "{\"name\":\"f\",\"questions\":[{\"key\":\"1a\",\"label\":\"A\","
          "\"type\":\"text\"}]}", "invalid_value", "questions[0].key");
    check(HRX_RES_FORM, HRX_RES_CREATE,
          "{\"name\":\"f\",\"questions\":[{\"key\":\"a\",\"label\":\"A\","
          "\"type\":\"date\",\"choices\":[\"x\"]}]}", "invalid_value",
          "questions[0].choices");
}


static void
test_resource_candidates(void **state)
{
    hrx_res_id_e  c = HRX_RES_CANDIDATE;

    (void) state;

    check(c, HRX_RES_CREATE, "{\"family_name\":\"山田\"}", NULL, NULL);
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"Yamada\",\"given_name\":\"Hanako\","
          "\"email\":\"h@example.jp\",\"phone\":\"+819012345678\","
          "\"country\":\"JP\",\"graduation_year\":2027,"
          "\"status\":\"offer\",\"label_ids\":[1,2],\"route\":\"agent\","
          "\"agent_id\":3,\"custom_fields\":{\"score\":8.5,\"a_b\":\"x\","
          "\"ok\":true},\"opted_out\":false,"
          "\"whatsapp_number\":\"+33612345678\"}", NULL, NULL);
    check(c, HRX_RES_CREATE, "{}", "required", "family_name");
    check(c, HRX_RES_CREATE, "{\"family_name\":\"x\",\"phone\":\"0901234\"}",
          "invalid_value", "phone");
    check(c, HRX_RES_CREATE, "{\"family_name\":\"x\",\"phone\":\"+0123456\"}",
          "invalid_value", "phone");
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"x\",\"whatsapp_number\":\"+81 90\"}",
          "invalid_value", "whatsapp_number");
    check(c, HRX_RES_CREATE, "{\"family_name\":\"x\",\"country\":\"jp\"}",
          "invalid_value", "country");
    check(c, HRX_RES_CREATE, "{\"family_name\":\"x\",\"country\":\"XX\"}",
          "invalid_value", "country");
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"x\",\"graduation_year\":1949}",
          "invalid_value", "graduation_year");
    check(c, HRX_RES_CREATE, "{\"family_name\":\"x\",\"status\":\"gone\"}",
          "invalid_value", "status");
    check(c, HRX_RES_CREATE, "{\"family_name\":\"x\",\"route\":\"agent\"}",
          "required", "agent_id");
    check(c, HRX_RES_CREATE, "{\"family_name\":\"x\",\"agent_id\":2}",
          "invalid_value", "agent_id");
    check(c, HRX_RES_UPDATE, "{\"agent_id\":2}", NULL, NULL);
    check(c, HRX_RES_UPDATE, "{\"route\":\"agent\",\"agent_id\":null}",
          "required", "agent_id");
    check(c, HRX_RES_UPDATE, "{\"route\":\"direct\",\"agent_id\":4}",
          "invalid_value", "agent_id");
    check(c, HRX_RES_UPDATE, "{\"family_name\":null}", "required",
          "family_name");
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"x\",\"custom_fields\":{\"Bad\":1}}",
          "invalid_value", "custom_fields.Bad");
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"x\",\"custom_fields\":{\"a\":null}}",
          "invalid_type", "custom_fields.a");
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"x\",\"custom_fields\":{\"a\":[1]}}",
          "invalid_type", "custom_fields.a");
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"x\",\"custom_fields\":[]}",
          "invalid_type", "custom_fields");
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"x\",\"label_ids\":[1,1]}",
          "invalid_value", "label_ids[1]");
    check(c, HRX_RES_CREATE,
          "{\"family_name\":\"x\",\"line_user_id\":\"U1\"}",
          "read_only", "line_user_id");
    check(c, HRX_RES_UPDATE,
          "{\"line_linked_at\":\"2027-01-01T00:00:00Z\"}",
          "read_only", "line_linked_at");
}


static void
test_resource_sql(void **state)
{
    char                    buf[HRX_SQL_SIZE];
    unsigned                i, k, aux;
    const hrx_res_t        *res;
    const hrx_res_field_t  *f;

    (void) state;

    for (i = 0; i < HRX_RES_MAX; i++) {
        res = hrx_res(i);
        assert_int_equal(res->id, i);

        for (k = HRX_SQL_GET; k <= HRX_SQL_DELETE; k++) {
            if (k == HRX_SQL_UNIQUE) {
                continue;
            }
            assert_int_equal(hrx_res_sql(res, k, 0, buf, sizeof(buf)), 0);
            /* every row is of one tenant */
            assert_non_null(strstr(buf, k == HRX_SQL_INSERT
                                        ? "VALUES (:tenant"
                                        : "tenant_id = :tenant"));
        }

        for (aux = 0, f = res->fields; f->name; f++, aux++) {
            assert_true(aux < HRX_RES_AUX_MAX);
            assert_int_equal(hrx_res_sql(res, HRX_SQL_UNIQUE, aux, buf,
                                         sizeof(buf)),
                             (f->flags & HRX_F_UNIQUE) ? 0 : -1);
            assert_int_equal(hrx_res_sql(res, HRX_SQL_LINK_ADD, aux, buf,
                                         sizeof(buf)),
                             f->type == HRX_FT_IDS ? 0 : -1);
        }

        assert_int_equal(hrx_res_sql(res, HRX_SQL_UNGRANT, 0, buf,
                                     sizeof(buf)),
                         res->reach == HRX_REACH_GRANT && res->via == NULL
                         ? 0 : -1);

        hrx_res_sql(res, HRX_SQL_LIST, 0, buf, sizeof(buf));
        if (res->reach == HRX_REACH_GRANT) {
            assert_non_null(strstr(buf, res->grant));
            assert_non_null(strstr(buf, ":actor"));
        }
    }

    /* too small a buffer is refused, never cut */
    assert_int_equal(hrx_res_sql(hrx_res(HRX_RES_EVENT), HRX_SQL_GET, 0,
                                 buf, 100), -1);
    assert_int_equal(hrx_sql_operate(buf, 50, "c"), -1);
    assert_int_equal(hrx_sql_operate(buf, sizeof(buf), "c"), 0);
    assert_non_null(strstr(buf, "c.candidate_group_id IS NULL"));
}


static void
test_resource_lookups(void **state)
{
    int  action;

    (void) state;

    assert_ptr_equal(hrx_res_by_path("/api/v1/events", 14),
                     hrx_res(HRX_RES_EVENT));
    assert_ptr_equal(hrx_res_by_path("/api/v1/events/{id}", 19),
                     hrx_res(HRX_RES_EVENT));
    assert_ptr_equal(hrx_res_by_path("/api/v1/event-groups", 20),
                     hrx_res(HRX_RES_EVENT_GROUP));
    assert_null(hrx_res_by_path("/api/v1/eventsx", 15));

    assert_ptr_equal(hrx_res_by_op("saved_search.update", &action),
                     hrx_res(HRX_RES_SAVED_SEARCH));
    assert_int_equal(action, HRX_RES_UPDATE);
    assert_null(hrx_res_by_op("user.create", &action));
    assert_null(hrx_res_by_op("label.rename", &action));
    assert_null(hrx_res_by_op("label", &action));

    assert_ptr_equal(hrx_res_by_grant("template"), hrx_res(HRX_RES_TEMPLATE));
    assert_null(hrx_res_by_grant("event"));

    assert_int_equal(hrx_perm_bits("[\"users.admin\",\"nope\",1]", 24),
                     HRX_PERM_USERS_ADMIN);
    assert_int_equal(hrx_perm_bits("not json", 8), 0);
    assert_string_equal(hrx_perm_name(HRX_PERM_TEMPLATES_MANAGE),
                        "templates.manage");
    assert_null(hrx_perm_name(0x80));
}


static void
test_resource_time(void **state)
{
    int64_t  ms;

    (void) state;

    assert_int_equal(hrx_time_parse("2026-11-21T09:30:00Z", &ms), 0);
    assert_int_equal(ms, 1795253400000LL);
    assert_int_equal(hrx_time_parse("2026-11-21T18:30:00.5+09:00", &ms), 0);
    assert_int_equal(ms, 1795253400500LL);
    assert_int_equal(hrx_time_parse("2028-02-29T00:00:00Z", &ms), 0);
    assert_int_equal(hrx_time_parse("2027-02-29T00:00:00Z", &ms), -1);
    assert_int_equal(hrx_time_parse("2026-11-21 09:30:00Z", &ms), -1);
    assert_int_equal(hrx_time_parse("2026-11-21T09:30:00", &ms), -1);
    assert_int_equal(hrx_time_parse("1970-01-01T00:00:00+09:00", &ms), -1);
    assert_int_equal(hrx_time_parse("2026-11-21T09:30:00Zjunk", &ms), -1);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_validate_fields),
        cmocka_unit_test(test_resource_validate_nested),
        cmocka_unit_test(test_resource_candidates),
        cmocka_unit_test(test_resource_sql),
        cmocka_unit_test(test_resource_lookups),
        cmocka_unit_test(test_resource_time),
    };

    return cmocka_run_group_tests_name("hrx_resource", tests, NULL, NULL);
}
