/*
 * Tests of the merge-variable registry and templates (shm/hrx_merge.c):
 * every variable by English name and by Japanese alias, fallbacks, missing
 * data, HTML escaping, literal braces, every parse error with its code and
 * offset, UTF-8, and sizes (100 000-character templates, thousands of
 * variables), plus a small random fuzz of the parser (no crash under ASan).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_merge.h"

/* a candidate: a value per id (NULL: no data), and how often get() ran */
typedef struct {
    const char  *values[HRX_MERGE_COUNT];
    int          calls[HRX_MERGE_COUNT];
} candidate_t;

/* the registry as the contract (docs/data-model.md) lists it */
static const struct {
    int          id;
    const char  *name;
    const char  *alias;
} registry[] = {
    { HRX_MERGE_CANDIDATE_FAMILY_NAME, "candidate.family_name", "姓" },
    { HRX_MERGE_CANDIDATE_GIVEN_NAME, "candidate.given_name", "名" },
    { HRX_MERGE_CANDIDATE_FULL_NAME, "candidate.full_name", "氏名" },
    { HRX_MERGE_CANDIDATE_FAMILY_NAME_KANA, "candidate.family_name_kana",
      "セイ" },
    { HRX_MERGE_CANDIDATE_GIVEN_NAME_KANA, "candidate.given_name_kana",
      "メイ" },
    { HRX_MERGE_CANDIDATE_EMAIL, "candidate.email", "メールアドレス" },
    { HRX_MERGE_CANDIDATE_SCHOOL, "candidate.school", "学校名" },
    { HRX_MERGE_CANDIDATE_GRADUATION_YEAR, "candidate.graduation_year",
      "卒業年度" },
    { HRX_MERGE_CANDIDATE_STATUS, "candidate.status", "選考ステータス" },
    { HRX_MERGE_JOB_TITLE, "job.title", "求人名" },
    { HRX_MERGE_AGENT_NAME, "agent.name", "エージェント名" },
    { HRX_MERGE_OWNER_NAME, "owner.name", "担当者名" },
    { HRX_MERGE_COMPANY_NAME, "company.name", "会社名" },
    { HRX_MERGE_NEXT_INTERVIEW_AT, "next_interview_at", "次の面接日時" },
    { HRX_MERGE_NEXT_INTERVIEW_LOCATION, "next_interview_location",
      "次の面接場所" },
    { HRX_MERGE_FORM_URL, "form.url", "フォームURL" },
    { HRX_MERGE_EVENT_URL, "event.url", "イベントURL" },
    { HRX_MERGE_LINE_FRIEND_URL, "line.friend_url", "LINE友だち登録URL" },
};

#define NREG  (sizeof(registry) / sizeof(registry[0]))


static int
get_value(void *ctx, int id, const char **value, size_t *len)
{
    candidate_t  *c = ctx;

    assert_true(id >= 0 && id < HRX_MERGE_COUNT);
    c->calls[id]++;

    if (c->values[id] == NULL) {
        return 0;
    }

    *value = c->values[id];
    *len = strlen(c->values[id]);
    return 1;
}


/* a candidate with every value: "v<id>" */
static void
full_candidate(candidate_t *c)
{
    int          i;
    static char  buf[HRX_MERGE_COUNT][8];

    memset(c, 0, sizeof(*c));

    for (i = 0; i < HRX_MERGE_COUNT; i++) {
        snprintf(buf[i], sizeof(buf[i]), "v%d", i);
        c->values[i] = buf[i];
    }
}


static hrx_merge_template_t *
parse_ok(const char *tmpl)
{
    hrx_merge_error_t      err;
    hrx_merge_template_t  *t;

    if (hrx_merge_parse(tmpl, strlen(tmpl), &t, &err) != 0) {
        fail_msg("%s: %s at %zu: %s", tmpl, err.code, err.offset,
                 err.message);
    }

    assert_non_null(t);
    return t;
}


/* renders tmpl for c; returns the output (free()) and fills missing */
static char *
render(const char *tmpl, candidate_t *c, int html, int *missing,
    int *nmissing)
{
    char                  *out;
    size_t                 len;
    hrx_merge_template_t  *t;

    t = parse_ok(tmpl);
    assert_int_equal(hrx_merge_render(t, get_value, c, html, &out, &len,
                                      missing, nmissing), 0);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    hrx_merge_free(t);

    return out;
}


static void
expect_render(const char *tmpl, candidate_t *c, int html,
    const char *expected, int expected_missing)
{
    int    missing[HRX_MERGE_COUNT], n;
    char  *out;

    n = -1;
    out = render(tmpl, c, html, missing, &n);

    if (strcmp(out, expected) != 0 || n != expected_missing) {
        fail_msg("%s:\n  expected \"%s\" (%d missing)\n  got      \"%s\" "
                 "(%d missing)", tmpl, expected, expected_missing, out, n);
    }

    free(out);
}


static void
expect_parse_error(const char *tmpl, const char *code, size_t offset,
    const char *name, const char *needle)
{
    hrx_merge_error_t      err;
    hrx_merge_template_t  *t;

    t = (hrx_merge_template_t *) 1;

    if (hrx_merge_parse(tmpl, strlen(tmpl), &t, &err) == 0) {
        fail_msg("%s: parsed, expected %s", tmpl, code);
    }

    assert_null(t);

    if (strcmp(err.code, code) != 0 || err.offset != offset
        || (name && strcmp(err.name, name) != 0)
        || (needle && strstr(err.message, needle) == NULL))
    {
        fail_msg("%s:\n  expected %s at %zu name \"%s\" (\"%s\")\n"
                 "  got      %s at %zu name \"%s\": %s", tmpl, code, offset,
                 name ? name : "", needle ? needle : "", err.code,
                 err.offset, err.name, err.message);
    }
}


/* the registry ------------------------------------------------------------ */


static void
test_merge_registry(void **state)
{
    size_t  i;

    (void) state;

    assert_int_equal(NREG, HRX_MERGE_COUNT);

    for (i = 0; i < NREG; i++) {
        assert_int_equal(registry[i].id, (int) i);
        assert_int_equal(hrx_merge_lookup(registry[i].name,
                                          strlen(registry[i].name)),
                         registry[i].id);
        assert_int_equal(hrx_merge_lookup(registry[i].alias,
                                          strlen(registry[i].alias)),
                         registry[i].id);
        assert_string_equal(hrx_merge_name(registry[i].id),
                            registry[i].name);
        assert_string_equal(hrx_merge_alias(registry[i].id),
                            registry[i].alias);
        assert_non_null(hrx_merge_description(registry[i].id));
        assert_true(strlen(hrx_merge_description(registry[i].id)) > 0);
    }

    /* stable ids: a few spelled out */
    assert_int_equal(HRX_MERGE_CANDIDATE_FAMILY_NAME, 0);
    assert_int_equal(HRX_MERGE_NEXT_INTERVIEW_AT, 13);
    assert_int_equal(HRX_MERGE_LINE_FRIEND_URL, 17);

    /* not names: prefixes, case, spaces, a length cut inside a name */
    assert_int_equal(hrx_merge_lookup("", 0), -1);
    assert_int_equal(hrx_merge_lookup("candidate", 9), -1);
    assert_int_equal(hrx_merge_lookup("candidate.", 10), -1);
    assert_int_equal(hrx_merge_lookup("Candidate.email", 15), -1);
    assert_int_equal(hrx_merge_lookup(" 姓", strlen(" 姓")), -1);
    assert_int_equal(hrx_merge_lookup("candidate.emailx", 15),
                     HRX_MERGE_CANDIDATE_EMAIL);
    assert_int_equal(hrx_merge_lookup("candidate.emai", 14), -1);
    assert_int_equal(hrx_merge_lookup("姓名", strlen("姓名")), -1);

    assert_null(hrx_merge_name(-1));
    assert_null(hrx_merge_name(HRX_MERGE_COUNT));
    assert_null(hrx_merge_alias(HRX_MERGE_COUNT));
    assert_null(hrx_merge_description(-1));
}


static void
test_merge_names_json(void **state)
{
    size_t   i;
    json_t  *arr, *o;

    (void) state;

    arr = hrx_merge_names_json();
    assert_non_null(arr);
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), HRX_MERGE_COUNT);

    for (i = 0; i < NREG; i++) {
        o = json_array_get(arr, i);
        assert_int_equal(json_object_size(o), 3);
        assert_string_equal(json_string_value(json_object_get(o, "name")),
                            registry[i].name);
        assert_string_equal(json_string_value(json_object_get(o, "alias")),
                            registry[i].alias);
        assert_true(json_is_string(json_object_get(o, "description")));
    }

    json_decref(arr);
}


/* rendering --------------------------------------------------------------- */


/* every variable by English name and by alias gives its value */
static void
test_merge_every_variable(void **state)
{
    char         tmpl[128], expected[64];
    size_t       i;
    candidate_t  c;

    (void) state;

    full_candidate(&c);

    for (i = 0; i < NREG; i++) {
        snprintf(tmpl, sizeof(tmpl), "<{%s}>", registry[i].name);
        snprintf(expected, sizeof(expected), "<v%d>", registry[i].id);
        expect_render(tmpl, &c, 0, expected, 0);

        snprintf(tmpl, sizeof(tmpl), "<{%s}>", registry[i].alias);
        expect_render(tmpl, &c, 0, expected, 0);

        snprintf(tmpl, sizeof(tmpl), "<{%s|fallback}>", registry[i].alias);
        expect_render(tmpl, &c, 0, expected, 0);
    }

    /* names and aliases mixed in one Japanese template */
    c.values[HRX_MERGE_CANDIDATE_FAMILY_NAME] = "山田";
    c.values[HRX_MERGE_CANDIDATE_GIVEN_NAME] = "太郎";
    c.values[HRX_MERGE_NEXT_INTERVIEW_AT] = "2026-12-01 14:00";
    expect_render("{姓} {candidate.given_name} 様\n面接日時: {次の面接日時}",
                  &c, 0, "山田 太郎 様\n面接日時: 2026-12-01 14:00", 0);
}


static void
test_merge_fallback(void **state)
{
    int          missing[HRX_MERGE_COUNT], n;
    char        *out;
    candidate_t  c;

    (void) state;

    memset(&c, 0, sizeof(c));
    c.values[HRX_MERGE_CANDIDATE_FAMILY_NAME] = "Smith";

    /* no data -> the fallback; data -> the value, fallback unused */
    expect_render("Hi {candidate.given_name|there}!", &c, 0, "Hi there!", 0);
    expect_render("Hi {candidate.family_name|there}!", &c, 0, "Hi Smith!",
                  0);

    /* an empty fallback: left out, and not missing */
    expect_render("School: {candidate.school|}.", &c, 0, "School: .", 0);

    /* a fallback holds anything but '}': '|', '{', spaces, newlines */
    expect_render("{名| a|b {c }", &c, 0, " a|b {c ", 0);
    expect_render("{名|line 1\nline 2}", &c, 0, "line 1\nline 2", 0);
    expect_render("{名|{{}", &c, 0, "{{", 0);

    /* a value of length 0 is no data: the fallback, or missing */
    c.values[HRX_MERGE_CANDIDATE_SCHOOL] = "";
    expect_render("[{学校名|none}]", &c, 0, "[none]", 0);
    n = -1;
    out = render("[{学校名}]", &c, 0, missing, &n);
    assert_string_equal(out, "[]");
    assert_int_equal(n, 1);
    assert_int_equal(missing[0], HRX_MERGE_CANDIDATE_SCHOOL);
    free(out);

    /* the same variable with and without a fallback: missing once */
    n = -1;
    out = render("{名|you} / {名}", &c, 0, missing, &n);
    assert_string_equal(out, "you / ");
    assert_int_equal(n, 1);
    assert_int_equal(missing[0], HRX_MERGE_CANDIDATE_GIVEN_NAME);
    free(out);
}


static void
test_merge_missing(void **state)
{
    int                    missing[HRX_MERGE_COUNT], n;
    char                  *out;
    size_t                 len;
    candidate_t            c;
    hrx_merge_template_t  *t;

    (void) state;

    memset(&c, 0, sizeof(c));
    c.values[HRX_MERGE_CANDIDATE_FAMILY_NAME] = "Smith";

    /* rendered with the variable left empty; every missing id once, in
     * order of first appearance; the English name for the failure */
    n = -1;
    out = render("Dear {名} {姓}, {会社名} {candidate.given_name} "
                 "{job.title|} {次の面接日時}", &c, 0, missing, &n);
    assert_string_equal(out, "Dear  Smith,    ");
    assert_int_equal(n, 3);
    assert_int_equal(missing[0], HRX_MERGE_CANDIDATE_GIVEN_NAME);
    assert_int_equal(missing[1], HRX_MERGE_COMPANY_NAME);
    assert_int_equal(missing[2], HRX_MERGE_NEXT_INTERVIEW_AT);
    assert_string_equal(hrx_merge_name(missing[0]), "candidate.given_name");
    free(out);

    /* get() is asked once per variable, however often it appears */
    assert_int_equal(c.calls[HRX_MERGE_CANDIDATE_GIVEN_NAME], 1);
    assert_int_equal(c.calls[HRX_MERGE_CANDIDATE_FAMILY_NAME], 1);
    assert_int_equal(c.calls[HRX_MERGE_JOB_TITLE], 1);
    assert_int_equal(c.calls[HRX_MERGE_CANDIDATE_EMAIL], 0);

    /* missing_ids and nmissing may be NULL; a NULL get means no data */
    t = parse_ok("{姓}{名|x}");
    assert_int_equal(hrx_merge_render(t, get_value, &c, 0, &out, &len, NULL,
                                      NULL), 0);
    assert_string_equal(out, "Smithx");
    free(out);

    n = -1;
    assert_int_equal(hrx_merge_render(t, NULL, NULL, 0, &out, &len, missing,
                                      &n), 0);
    assert_string_equal(out, "x");
    assert_int_equal(n, 1);
    assert_int_equal(missing[0], HRX_MERGE_CANDIDATE_FAMILY_NAME);
    free(out);
    hrx_merge_free(t);

    /* every variable missing: all 18 recorded, none twice */
    memset(&c, 0, sizeof(c));
    {
        char    tmpl[2048];
        size_t  i, k;

        k = 0;
        for (i = 0; i < NREG; i++) {
            k += (size_t) snprintf(tmpl + k, sizeof(tmpl) - k, "{%s}{%s}",
                                   registry[i].name, registry[i].alias);
        }

        n = -1;
        out = render(tmpl, &c, 0, missing, &n);
        assert_string_equal(out, "");
        assert_int_equal(n, HRX_MERGE_COUNT);
        for (i = 0; i < NREG; i++) {
            assert_int_equal(missing[i], (int) i);
        }
        free(out);
    }
}


static void
test_merge_escaping(void **state)
{
    candidate_t  c;

    (void) state;

    memset(&c, 0, sizeof(c));
    c.values[HRX_MERGE_CANDIDATE_FAMILY_NAME] = "<b>\"O'Neil\" & co</b>";
    c.values[HRX_MERGE_COMPANY_NAME] = "A&B";

    /* values escaped, the template's own markup not */
    expect_render("<p class=\"x\">{姓}</p>", &c, 1,
                  "<p class=\"x\">&lt;b&gt;&quot;O&#39;Neil&quot; &amp; co"
                  "&lt;/b&gt;</p>", 0);

    /* fallbacks escaped too */
    expect_render("<p>{名|<i>you & \"yours\"</i>}</p>", &c, 1,
                  "<p>&lt;i&gt;you &amp; &quot;yours&quot;&lt;/i&gt;</p>",
                  0);

    /* no escaping for plain text */
    expect_render("{姓} {名|<you>} {会社名}", &c, 0,
                  "<b>\"O'Neil\" & co</b> <you> A&B", 0);

    /* only the five characters; UTF-8 untouched */
    c.values[HRX_MERGE_CANDIDATE_FAMILY_NAME] = "山田 & 田中 ©";
    expect_render("{姓}", &c, 1, "山田 &amp; 田中 ©", 0);

    /* a value that is all escapes */
    c.values[HRX_MERGE_CANDIDATE_FAMILY_NAME] = "<<&&''\"\">>";
    expect_render("{姓}", &c, 1,
                  "&lt;&lt;&amp;&amp;&#39;&#39;&quot;&quot;&gt;&gt;", 0);
}


static void
test_merge_literal_braces(void **state)
{
    candidate_t  c;

    (void) state;

    memset(&c, 0, sizeof(c));
    c.values[HRX_MERGE_CANDIDATE_FAMILY_NAME] = "Smith";

    expect_render("{{", &c, 0, "{", 0);
    expect_render("}}", &c, 0, "}", 0);
    expect_render("a } b", &c, 0, "a } b", 0);
    expect_render("{{姓}}", &c, 0, "{姓}", 0);
    expect_render("{{{姓}}}", &c, 0, "{Smith}", 0);
    expect_render("}}}", &c, 0, "}}", 0);
    expect_render("body {{ color: red; }}", &c, 0, "body { color: red; }",
                  0);
    expect_render("{{{{", &c, 0, "{{", 0);
    /* literal braces around an escaped value are not escaped */
    expect_render("{{<{姓}>}}", &c, 1, "{<Smith>}", 0);
}


static void
test_merge_errors(void **state)
{
    hrx_merge_error_t      err;
    hrx_merge_template_t  *t;

    (void) state;

    /* unknown names, named, with the offset of their '{' */
    expect_parse_error("Hello {candidate.nickname}!", "unknown_variable", 6,
                       "candidate.nickname", "\"candidate.nickname\"");
    expect_parse_error("{姓} {苗字}", "unknown_variable", 6, "苗字",
                       "苗字");
    expect_parse_error("{ 姓 }", "unknown_variable", 0, " 姓 ", NULL);
    expect_parse_error("{Candidate.Email}", "unknown_variable", 0,
                       "Candidate.Email", NULL);
    expect_parse_error("{x|fallback}", "unknown_variable", 0, "x", NULL);
    expect_parse_error("{a{b}", "unknown_variable", 0, "a{b", NULL);
    expect_parse_error("body { color: red; }", "unknown_variable", 5,
                       " color: red; ", "{{");

    /* unclosed and empty */
    expect_parse_error("Hello {姓", "malformed_template", 6, NULL,
                       "byte 6");
    expect_parse_error("{", "malformed_template", 0, NULL, "unclosed");
    expect_parse_error("ab{名|fallback", "malformed_template", 2, NULL,
                       "fallback");
    expect_parse_error("{名\n}", "malformed_template", 0, NULL, NULL);
    expect_parse_error("body {\n  color: red;\n}", "malformed_template", 5,
                       NULL, "{{");
    expect_parse_error("{}", "malformed_template", 0, NULL, "empty");
    expect_parse_error("x {|y}", "malformed_template", 2, NULL, "empty");
    expect_parse_error("{{ {姓} {", "malformed_template", 9, NULL, NULL);

    /* a very long unknown name: kept cut on a character boundary */
    {
        char    tmpl[1024];
        size_t  i, k;

        k = 0;
        tmpl[k++] = '{';
        for (i = 0; i < 200; i++) {
            memcpy(tmpl + k, "あ", 3);
            k += 3;
        }
        tmpl[k++] = '}';
        tmpl[k] = '\0';

        assert_int_equal(hrx_merge_parse(tmpl, k, &t, &err), -1);
        assert_string_equal(err.code, "unknown_variable");
        assert_int_equal(strlen(err.name) % 3, 0);
        assert_true(strlen(err.name) > 100
                    && strlen(err.name) < HRX_MERGE_NAME_MAX);
        assert_int_equal(memcmp(err.name, "あああ", 9), 0);
    }

    /* the length is the length: bytes past it are not read */
    assert_int_equal(hrx_merge_parse("{姓}{", strlen("{姓}"), &t, &err), 0);
    hrx_merge_free(t);
    assert_int_equal(hrx_merge_parse("{姓}", 3, &t, &err), -1);
    assert_string_equal(err.code, "malformed_template");
}


static void
test_merge_utf8(void **state)
{
    candidate_t  c;

    (void) state;

    memset(&c, 0, sizeof(c));
    c.values[HRX_MERGE_CANDIDATE_GIVEN_NAME] = "ジョン";

    expect_render("{名|ご担当者}様", &c, 0, "ジョン様", 0);
    c.values[HRX_MERGE_CANDIDATE_GIVEN_NAME] = NULL;
    expect_render("{名|ご担当者}様", &c, 0, "ご担当者様", 0);
    expect_render("{名|👋 there}", &c, 0, "👋 there", 0);
    expect_render("{candidate.given_name|Émilie}, ça va ?", &c, 0,
                  "Émilie, ça va ?", 0);
    expect_render("{LINE友だち登録URL|—}", &c, 1, "—", 0);
}


static void
test_merge_no_variables(void **state)
{
    int                    k;
    candidate_t            c;
    hrx_merge_template_t  *t;

    (void) state;

    memset(&c, 0, sizeof(c));

    expect_render("", &c, 0, "", 0);
    expect_render("plain text, no braces & <tags>", &c, 1,
                  "plain text, no braces & <tags>", 0);
    expect_render("line 1\nline 2\n", &c, 0, "line 1\nline 2\n", 0);

    t = parse_ok("nothing here");
    for (k = -1; k <= HRX_MERGE_COUNT; k++) {
        assert_false(hrx_merge_uses(t, k));
    }
    hrx_merge_free(t);

    /* NUL bytes inside the length are text like any other */
    {
        char               *out;
        size_t              len;
        hrx_merge_error_t   err;

        assert_int_equal(hrx_merge_parse("a\0b{{", 5, &t, &err), 0);
        assert_int_equal(hrx_merge_render(t, get_value, &c, 0, &out, &len,
                                          NULL, NULL), 0);
        assert_int_equal(len, 4);
        assert_memory_equal(out, "a\0b{", 5);
        free(out);
        hrx_merge_free(t);
    }
}


static void
test_merge_uses(void **state)
{
    hrx_merge_template_t  *t;

    (void) state;

    t = parse_ok("{次の面接日時} {{form.url}} {event.url|none} {{{姓}}}");
    assert_true(hrx_merge_uses(t, HRX_MERGE_NEXT_INTERVIEW_AT));
    assert_true(hrx_merge_uses(t, HRX_MERGE_EVENT_URL));
    assert_true(hrx_merge_uses(t, HRX_MERGE_CANDIDATE_FAMILY_NAME));
    assert_false(hrx_merge_uses(t, HRX_MERGE_FORM_URL));
    assert_false(hrx_merge_uses(t, HRX_MERGE_CANDIDATE_GIVEN_NAME));
    assert_false(hrx_merge_uses(t, -1));
    assert_false(hrx_merge_uses(t, HRX_MERGE_COUNT));
    hrx_merge_free(t);
}


/* 100 000 characters of text, of braces, and of variables */
static void
test_merge_long(void **state)
{
    int          missing[HRX_MERGE_COUNT], n;
    char        *tmpl, *out, *expected;
    size_t       i, k, len;
    candidate_t  c;

    (void) state;

    memset(&c, 0, sizeof(c));
    c.values[HRX_MERGE_CANDIDATE_FULL_NAME] = "Yamada Taro";

    /* plain text with a variable at each end */
    len = 100000;
    tmpl = malloc(len + 64);
    expected = malloc(len + 64);
    assert_non_null(tmpl);
    assert_non_null(expected);

    k = (size_t) sprintf(tmpl, "{氏名}");
    for (i = 0; i < len; i++) {
        tmpl[k++] = (char) ('a' + i % 26);
    }
    k += (size_t) sprintf(tmpl + k, "{氏名}");

    k = (size_t) sprintf(expected, "Yamada Taro");
    for (i = 0; i < len; i++) {
        expected[k++] = (char) ('a' + i % 26);
    }
    sprintf(expected + k, "Yamada Taro");

    out = render(tmpl, &c, 0, missing, &n);
    assert_string_equal(out, expected);
    assert_int_equal(n, 0);
    free(out);

    /* 100 000 characters of "{{" and "}}": 50 000 braces */
    for (i = 0; i < len; i += 4) {
        memcpy(tmpl + i, "{{}}", 4);
    }
    tmpl[len] = '\0';

    out = render(tmpl, &c, 1, missing, &n);
    assert_int_equal(strlen(out), len / 2);
    for (i = 0; i < len / 2; i += 2) {
        assert_int_equal(out[i], '{');
        assert_int_equal(out[i + 1], '}');
    }
    free(out);

    /* an unclosed brace at the very end of 100 000 characters */
    memset(tmpl, 'x', len);
    tmpl[len - 1] = '{';
    tmpl[len] = '\0';
    expect_parse_error(tmpl, "malformed_template", len - 1, NULL, NULL);

    free(tmpl);
    free(expected);
}


/* thousands of variables, every one of them, with escaping */
static void
test_merge_many(void **state)
{
    int          missing[HRX_MERGE_COUNT], n, i, r;
    char        *tmpl, *out;
    size_t       k, cap, want;
    candidate_t  c;

    (void) state;

    full_candidate(&c);
    c.values[HRX_MERGE_CANDIDATE_EMAIL] = NULL;     /* missing */
    c.values[HRX_MERGE_COMPANY_NAME] = "A&B";       /* 7 bytes escaped */

    cap = 400000;
    tmpl = malloc(cap);
    assert_non_null(tmpl);
    k = 0;
    want = 0;

    for (r = 0; r < 500; r++) {
        for (i = 0; i < HRX_MERGE_COUNT; i++) {
            k += (size_t) snprintf(tmpl + k, cap - k, "{%s}",
                                   (r + i) % 2 ? registry[i].name
                                               : registry[i].alias);

            if (i == HRX_MERGE_CANDIDATE_EMAIL) {
                continue;
            }

            want += i == HRX_MERGE_COMPANY_NAME ? strlen("A&amp;B")
                                                : strlen(c.values[i]);
        }
    }

    assert_true(k > 100000 && k < cap);

    out = render(tmpl, &c, 1, missing, &n);
    assert_int_equal(strlen(out), want);
    assert_int_equal(n, 1);
    assert_int_equal(missing[0], HRX_MERGE_CANDIDATE_EMAIL);
    assert_int_equal(strncmp(out, "v0v1v2", 6), 0);
    assert_non_null(strstr(out, "v11A&amp;Bv13"));

    /* 9 000 occurrences, one get() per variable */
    for (i = 0; i < HRX_MERGE_COUNT; i++) {
        assert_int_equal(c.calls[i], 1);
    }

    free(out);
    free(tmpl);
}


/* random templates over the syntax's bytes: parse, render, no crash */
static void
test_merge_fuzz(void **state)
{
    int                    i, n, missing[HRX_MERGE_COUNT], ok;
    char                   tmpl[64], *out;
    size_t                 k, len, outlen;
    uint32_t               seed;
    candidate_t            c;
    hrx_merge_error_t      err;
    hrx_merge_template_t  *t;

    static const char *const atoms[] = {
        "{", "}", "|", "姓", "名", "a", "\n", "{姓}", "{名|", "{{", "}}",
        "<", "&", "\xe5",
    };

    (void) state;

    full_candidate(&c);
    c.values[HRX_MERGE_CANDIDATE_GIVEN_NAME] = NULL;
    seed = 12345;
    ok = 0;

    for (i = 0; i < 20000; i++) {
        len = 0;
        k = 0;

        while (len < 40) {
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 16) % 12 == 0) {
                break;
            }

            k = (seed >> 8) % (sizeof(atoms) / sizeof(atoms[0]));
            memcpy(tmpl + len, atoms[k], strlen(atoms[k]));
            len += strlen(atoms[k]);
        }

        if (hrx_merge_parse(tmpl, len, &t, &err) != 0) {
            assert_null(t);
            assert_true(strcmp(err.code, "unknown_variable") == 0
                        || strcmp(err.code, "malformed_template") == 0);
            assert_true(err.offset < len);
            assert_int_equal(tmpl[err.offset], '{');
            continue;
        }

        ok++;
        assert_int_equal(hrx_merge_render(t, get_value, &c, (int) (i & 1),
                                          &out, &outlen, missing, &n), 0);
        assert_true(n == 0 || (n == 1
                               && missing[0]
                                  == HRX_MERGE_CANDIDATE_GIVEN_NAME));
        free(out);
        hrx_merge_free(t);
    }

    /* both outcomes were exercised */
    assert_true(ok > 100 && ok < 20000);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_merge_registry),
        cmocka_unit_test(test_merge_names_json),
        cmocka_unit_test(test_merge_every_variable),
        cmocka_unit_test(test_merge_fallback),
        cmocka_unit_test(test_merge_missing),
        cmocka_unit_test(test_merge_escaping),
        cmocka_unit_test(test_merge_literal_braces),
        cmocka_unit_test(test_merge_errors),
        cmocka_unit_test(test_merge_utf8),
        cmocka_unit_test(test_merge_no_variables),
        cmocka_unit_test(test_merge_uses),
        cmocka_unit_test(test_merge_long),
        cmocka_unit_test(test_merge_many),
        cmocka_unit_test(test_merge_fuzz),
    };

    return cmocka_run_group_tests_name("hrx_merge", tests, NULL, NULL);
}
