/*
 * Reads for WhatsApp (docs/whatsapp.md).  Every statement is by primary
 * key or the index whatsapp_numbers_tenant.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sqlite3.h>

#include "ngx_http_hrx_db.h"
#include "ngx_http_hrx_db_whatsapp.h"


#define NGX_HTTP_HRX_WA_COLS                                                  \
    "id, nickname, waba_id, phone_number_id, display_phone_number,"           \
    " verified_name, quality_rating, unknown_senders, connected_at,"          \
    " created_at, updated_at, updated_by,"                                    \
    " length(access_token) > 0, length(app_secret) > 0,"                      \
    " length(verify_token) > 0"

static const char  ngx_http_hrx_wa_list_sql[] =
    "SELECT " NGX_HTTP_HRX_WA_COLS " FROM whatsapp_numbers"
    " WHERE tenant_id = ?1 ORDER BY id";

static const char  ngx_http_hrx_wa_get_sql[] =
    "SELECT " NGX_HTTP_HRX_WA_COLS " FROM whatsapp_numbers"
    " WHERE id = ?2 AND tenant_id = ?1";

/* ?1 = 0: any tenant's (the webhook finds the tenant by the number) */
static const char  ngx_http_hrx_wa_secrets_sql[] =
    "SELECT tenant_id, updated_at, phone_number_id, access_token,"
    " app_secret, verify_token FROM whatsapp_numbers"
    " WHERE id = ?2 AND (?1 = 0 OR tenant_id = ?1)";

static sqlite3_stmt  *ngx_http_hrx_wa_list_st;
static sqlite3_stmt  *ngx_http_hrx_wa_get_st;
static sqlite3_stmt  *ngx_http_hrx_wa_secrets_st;


static json_t *
ngx_http_hrx_wa_render(sqlite3_stmt *st)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o,"
                     " s:o, s:o, s:o, s:{s:b, s:b, s:b}}",
                     "id", (json_int_t) sqlite3_column_int64(st, 0),
                     "nickname", ngx_http_hrx_col_str(st, 1),
                     "waba_id", ngx_http_hrx_col_str(st, 2),
                     "phone_number_id", ngx_http_hrx_col_str(st, 3),
                     "display_phone_number",
                     ngx_http_hrx_col_str_null(st, 4),
                     "verified_name", ngx_http_hrx_col_str_null(st, 5),
                     "quality_rating", ngx_http_hrx_col_str_null(st, 6),
                     "unknown_senders", ngx_http_hrx_col_str(st, 7),
                     "state", "connected",
                     "connected_at", ngx_http_hrx_col_time(st, 8),
                     "created_at", ngx_http_hrx_col_time(st, 9),
                     "updated_at", ngx_http_hrx_col_time(st, 10),
                     "updated_by", ngx_http_hrx_col_id(st, 11),
                     "secrets_set",
                     "access_token", sqlite3_column_int(st, 12) != 0,
                     "app_secret", sqlite3_column_int(st, 13) != 0,
                     "verify_token", sqlite3_column_int(st, 14) != 0);
}


ngx_int_t
ngx_http_hrx_db_wa_numbers(ngx_http_request_t *r, int64_t tenant_id,
    json_t **out)
{
    int            rc;
    json_t        *items, *item;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_area_stmt(r, &ngx_http_hrx_wa_list_st,
                                    ngx_http_hrx_wa_list_sql, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    items = json_array();
    if (items == NULL) {
        return NGX_ERROR;
    }

    sqlite3_bind_int64(st, 1, tenant_id);

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        item = ngx_http_hrx_wa_render(st);

        if (item == NULL || json_array_append_new(items, item) != 0) {
            ngx_http_hrx_db_done(st);
            json_decref(items);
            return NGX_ERROR;
        }
    }

    if (rc != SQLITE_DONE) {
        json_decref(items);
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    ngx_http_hrx_db_done(st);

    *out = json_pack("{s:o}", "items", items);

    return *out ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_hrx_db_wa_number(ngx_http_request_t *r, int64_t tenant_id,
    int64_t id, json_t **out)
{
    int            rc;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    orc = ngx_http_hrx_db_area_stmt(r, &ngx_http_hrx_wa_get_st,
                                    ngx_http_hrx_wa_get_sql, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    *out = ngx_http_hrx_wa_render(st);

    ngx_http_hrx_db_done(st);

    return *out ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_hrx_db_wa_secrets(ngx_http_request_t *r, int64_t tenant_id,
    int64_t id, ngx_http_hrx_wa_secrets_t *out)
{
    int            rc;
    ngx_int_t      orc;
    sqlite3_stmt  *st;

    ngx_memzero(out, sizeof(ngx_http_hrx_wa_secrets_t));

    orc = ngx_http_hrx_db_area_stmt(r, &ngx_http_hrx_wa_secrets_st,
                                    ngx_http_hrx_wa_secrets_sql, &st);
    if (orc != NGX_OK) {
        return orc;
    }

    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);

    rc = sqlite3_step(st);

    if (rc == SQLITE_DONE) {
        ngx_http_hrx_db_done(st);
        return NGX_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        return ngx_http_hrx_db_failed(r->connection->log, st, rc);
    }

    out->tenant_id = sqlite3_column_int64(st, 0);
    out->updated_at = sqlite3_column_int64(st, 1);

    if (ngx_http_hrx_db_col_copy(r->pool, st, 2, &out->phone_number_id)
        != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 3, &out->access_token)
           != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 4, &out->app_secret)
           != NGX_OK
        || ngx_http_hrx_db_col_copy(r->pool, st, 5, &out->verify_token)
           != NGX_OK)
    {
        ngx_http_hrx_db_done(st);
        return NGX_ERROR;
    }

    ngx_http_hrx_db_done(st);

    return NGX_OK;
}
