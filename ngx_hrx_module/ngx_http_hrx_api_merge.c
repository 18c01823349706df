/*
 * Merge variables: the registry (GET /api/v1/merge-variables) and the
 * preview of a template for one candidate (POST /api/v1/templates/{id}/
 * preview).
 *
 * The preview renders subject, body_text and body_html exactly as a
 * sender will (shm/hrx_merge.h: values and fallbacks HTML-escaped in
 * body_html only) and answers 200 even when data is missing: "missing"
 * lists, in order of first use, every variable that has neither data nor
 * a fallback -- what would make the message fail with
 * missing_variable:<name>.
 *
 * Where the values come from (ngx_http_hrx_db_merge_data(), one row):
 * the candidate's columns, its job opening's title, its agent's and its
 * owner's names, the tenant's name (company.name) and the candidate's
 * next interview after now: its start in the tenant's time zone as
 * "2026-12-01 14:00" (shm/hrx_tz.h reads the zone's tz database file;
 * the process's TZ is never touched) and its location.  form.url,
 * event.url and line.friend_url only exist when a bulk action sends (a
 * link per candidate), so a preview has no data for them.
 *
 * Reach: the template must be reached by the reader and the candidate
 * operable by it, else 404 (the template: as GET /templates/{id}; the
 * candidate: "candidate_id", never revealed).  A preview is a read: no
 * permission beyond that.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_merge.h"
#include "hrx_resource.h"
#include "hrx_tz.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_merge.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_reach.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_validate.h"


const ngx_http_hrx_field_t  ngx_http_hrx_preview_schema[] = {
    { "candidate_id", NGX_HTTP_HRX_INT, 1, 0, 0, ngx_http_hrx_check_id,
      NULL },
    { NULL, 0, 0, 0, 0, NULL, NULL }
};


typedef struct {
    ngx_str_t  values[HRX_MERGE_COUNT];     /* data NULL or len 0: none */
} ngx_http_hrx_merge_values_t;


static const char *const  ngx_http_hrx_template_parts[] = {
    "subject", "body_text", "body_html", NULL
};


static ngx_int_t ngx_http_hrx_preview_template(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, json_t **tpl, ngx_int_t *sent);
static ngx_int_t ngx_http_hrx_preview_values(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, int64_t candidate_id,
    ngx_http_hrx_merge_values_t *mv, ngx_int_t *sent);
static int ngx_http_hrx_merge_get(void *data, int id, const char **value,
    size_t *len);


ngx_int_t
ngx_http_hrx_api_merge_variables(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    (void) ctx;

    return ngx_http_hrx_send_json(r, NGX_HTTP_OK, hrx_merge_names_json());
}


ngx_int_t
ngx_http_hrx_api_template_preview(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx)
{
    int                           missing[HRX_MERGE_COUNT], nmissing, i, k;
    char                         *text;
    size_t                        len;
    json_t                       *tpl, *out, *names, *v;
    int64_t                       candidate_id;
    ngx_int_t                     rc, sent;
    ngx_uint_t                    part, seen;
    hrx_merge_error_t             merr;
    hrx_merge_template_t         *t;
    ngx_http_hrx_merge_values_t   mv;

    tpl = NULL;
    candidate_id = json_integer_value(json_object_get(ctx->body,
                                                      "candidate_id"));

    if (ngx_http_hrx_preview_template(r, ctx, &tpl, &sent) != NGX_OK) {
        return sent;
    }

    if (ngx_http_hrx_preview_values(r, ctx, candidate_id, &mv, &sent)
        != NGX_OK)
    {
        json_decref(tpl);
        return sent;
    }

    out = json_object();
    names = json_array();

    if (out == NULL || names == NULL) {
        goto nomem;
    }

    seen = 0;

    for (part = 0; ngx_http_hrx_template_parts[part]; part++) {
        v = json_object_get(tpl, ngx_http_hrx_template_parts[part]);

        if (!json_is_string(v)) {
            /* body_html is optional */
            if (json_object_set_new(out, ngx_http_hrx_template_parts[part],
                                    json_null())
                != 0)
            {
                goto nomem;
            }

            continue;
        }

        if (hrx_merge_parse(json_string_value(v), json_string_length(v), &t,
                            &merr)
            != 0)
        {
            json_decref(tpl);
            json_decref(out);
            json_decref(names);

            if (ngx_strcmp(merr.code, "internal_error") == 0) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            /* saved before merge variables were checked, or edited by hand */
            return ngx_http_hrx_send_error(r, NGX_HTTP_CONFLICT,
                                           merr.code,
                                           ngx_http_hrx_template_parts[part],
                                           "%s: %s",
                                           ngx_http_hrx_template_parts[part],
                                           merr.message);
        }

        rc = hrx_merge_render(t, ngx_http_hrx_merge_get, &mv,
                              part == 2, &text, &len, missing, &nmissing);
        hrx_merge_free(t);

        if (rc != 0) {
            goto nomem;
        }

        rc = json_object_set_new(out, ngx_http_hrx_template_parts[part],
                                 json_stringn(text, len));
        free(text);

        if (rc != 0) {
            goto nomem;
        }

        /* each variable once, in order of first use across the parts */
        for (i = 0; i < nmissing; i++) {
            k = missing[i];

            if (seen & (1u << k)) {
                continue;
            }

            seen |= 1u << k;

            if (json_array_append_new(names,
                                      json_string(hrx_merge_name(k)))
                != 0)
            {
                goto nomem;
            }
        }
    }

    json_decref(tpl);

    if (json_object_set_new(out, "missing", names) != 0) {
        json_decref(out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_hrx_send_json(r, NGX_HTTP_OK, out);

nomem:

    json_decref(tpl);
    json_decref(out);
    json_decref(names);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* the template {id} as the reader sees it: NGX_OK, or NGX_ERROR with
 * the answer sent (*sent: what the handler returns) */
static ngx_int_t
ngx_http_hrx_preview_template(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    json_t **tpl, ngx_int_t *sent)
{
    int               rc;
    ngx_int_t         orc;
    const char       *text;
    sqlite3_stmt     *st;
    const hrx_res_t  *res;

    *tpl = NULL;
    res = hrx_res(HRX_RES_TEMPLATE);

    orc = ngx_http_hrx_db_res_stmt(r, res, HRX_SQL_GET, &st);
    if (orc != NGX_OK) {
        *sent = ngx_http_hrx_send_found(r, orc, NULL, res->name);
        return NGX_ERROR;
    }

    ngx_http_hrx_reach_bind(st, &ctx->auth, ctx->auth.tenant_id);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), ctx->id);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        *sent = ngx_http_hrx_send_found(r, NGX_DECLINED, NULL, res->name);
        return NGX_ERROR;
    }

    if (rc != SQLITE_ROW) {
        orc = ngx_http_hrx_db_failed(r->connection->log, st, rc);
        *sent = ngx_http_hrx_send_found(r, orc, NULL, res->name);
        return NGX_ERROR;
    }

    text = (const char *) sqlite3_column_text(st, 1);
    *tpl = text ? json_loadb(text, sqlite3_column_bytes(st, 1), 0, NULL)
                : NULL;

    ngx_http_hrx_db_done(st);

    if (*tpl == NULL) {
        *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the candidate's values: NGX_OK, or NGX_ERROR with the answer sent */
static ngx_int_t
ngx_http_hrx_preview_values(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    int64_t candidate_id, ngx_http_hrx_merge_values_t *mv, ngx_int_t *sent)
{
    int        n;
    u_char    *p;
    int64_t    at;
    ngx_int_t  rc;
    ngx_str_t  cols[NGX_HTTP_HRX_MERGE_COLS], *v;

    rc = ngx_http_hrx_reach_candidate(r, &ctx->auth, candidate_id);
    if (rc != NGX_OK) {
        *sent = ngx_http_hrx_reach_send(r, rc, hrx_res(HRX_RES_CANDIDATE),
                                        "candidate_id");
        return NGX_ERROR;
    }

    rc = ngx_http_hrx_db_merge_data(r, ctx->auth.tenant_id, candidate_id,
                                    (int64_t) hrx_wall_ms(), cols);
    if (rc != NGX_OK) {
        /* deleted since the reach check: as if never there */
        *sent = rc == NGX_DECLINED
                ? ngx_http_hrx_reach_send(r, rc, hrx_res(HRX_RES_CANDIDATE),
                                          "candidate_id")
                : ngx_http_hrx_send_found(r, rc, NULL, "candidate");
        return NGX_ERROR;
    }

    ngx_memzero(mv, sizeof(ngx_http_hrx_merge_values_t));
    v = mv->values;

    v[HRX_MERGE_CANDIDATE_FAMILY_NAME] = cols[NGX_HTTP_HRX_MC_FAMILY_NAME];
    v[HRX_MERGE_CANDIDATE_GIVEN_NAME] = cols[NGX_HTTP_HRX_MC_GIVEN_NAME];
    v[HRX_MERGE_CANDIDATE_FAMILY_NAME_KANA] =
        cols[NGX_HTTP_HRX_MC_FAMILY_NAME_KANA];
    v[HRX_MERGE_CANDIDATE_GIVEN_NAME_KANA] =
        cols[NGX_HTTP_HRX_MC_GIVEN_NAME_KANA];
    v[HRX_MERGE_CANDIDATE_EMAIL] = cols[NGX_HTTP_HRX_MC_EMAIL];
    v[HRX_MERGE_CANDIDATE_SCHOOL] = cols[NGX_HTTP_HRX_MC_SCHOOL];
    v[HRX_MERGE_CANDIDATE_GRADUATION_YEAR] =
        cols[NGX_HTTP_HRX_MC_GRADUATION_YEAR];
    v[HRX_MERGE_CANDIDATE_STATUS] = cols[NGX_HTTP_HRX_MC_STATUS];
    v[HRX_MERGE_JOB_TITLE] = cols[NGX_HTTP_HRX_MC_JOB_TITLE];
    v[HRX_MERGE_AGENT_NAME] = cols[NGX_HTTP_HRX_MC_AGENT_NAME];
    v[HRX_MERGE_OWNER_NAME] = cols[NGX_HTTP_HRX_MC_OWNER_NAME];
    v[HRX_MERGE_COMPANY_NAME] = cols[NGX_HTTP_HRX_MC_COMPANY_NAME];
    v[HRX_MERGE_NEXT_INTERVIEW_LOCATION] =
        cols[NGX_HTTP_HRX_MC_INTERVIEW_LOCATION];

    /* family + " " + given; the family name alone without a given name */
    v[HRX_MERGE_CANDIDATE_FULL_NAME] = cols[NGX_HTTP_HRX_MC_FAMILY_NAME];

    if (cols[NGX_HTTP_HRX_MC_FAMILY_NAME].len
        && cols[NGX_HTTP_HRX_MC_GIVEN_NAME].len)
    {
        p = ngx_pnalloc(r->pool, cols[NGX_HTTP_HRX_MC_FAMILY_NAME].len + 1
                                 + cols[NGX_HTTP_HRX_MC_GIVEN_NAME].len);
        if (p == NULL) {
            *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_ERROR;
        }

        v[HRX_MERGE_CANDIDATE_FULL_NAME].data = p;
        v[HRX_MERGE_CANDIDATE_FULL_NAME].len =
            ngx_sprintf(p, "%V %V", &cols[NGX_HTTP_HRX_MC_FAMILY_NAME],
                        &cols[NGX_HTTP_HRX_MC_GIVEN_NAME])
            - p;
    }

    /* the next interview, in the tenant's time zone */
    if (cols[NGX_HTTP_HRX_MC_INTERVIEW_AT].data
        && cols[NGX_HTTP_HRX_MC_TIME_ZONE].data)
    {
        at = ngx_atoof(cols[NGX_HTTP_HRX_MC_INTERVIEW_AT].data,
                       cols[NGX_HTTP_HRX_MC_INTERVIEW_AT].len);

        p = ngx_pnalloc(r->pool, 32);
        if (p == NULL) {
            *sent = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_ERROR;
        }

        n = at > 0 ? hrx_tz_format((const char *)
                                   cols[NGX_HTTP_HRX_MC_TIME_ZONE].data,
                                   at, (char *) p, 32)
                   : -1;

        if (n > 0) {
            v[HRX_MERGE_NEXT_INTERVIEW_AT].data = p;
            v[HRX_MERGE_NEXT_INTERVIEW_AT].len = n;

        } else {
            /* no data rather than a time in the wrong zone */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "hrx: cannot show %L in time zone \"%V\"", at,
                          &cols[NGX_HTTP_HRX_MC_TIME_ZONE]);
        }
    }

    return NGX_OK;
}


static int
ngx_http_hrx_merge_get(void *data, int id, const char **value, size_t *len)
{
    ngx_http_hrx_merge_values_t  *mv = data;

    if (id < 0 || id >= HRX_MERGE_COUNT || mv->values[id].data == NULL
        || mv->values[id].len == 0)
    {
        return 0;
    }

    *value = (const char *) mv->values[id].data;
    *len = mv->values[id].len;

    return 1;
}
