/*
 * The content handler of hrx_api.
 *
 * Every request goes through the same steps, in this order:
 *
 *   route       method + path from the table below: unknown path 404
 *               not_found, known path with another method 405 + Allow
 *   size        Content-Length over hrx_body_limit: 413 before reading
 *               (an import, NGX_HTTP_HRX_BULK: auth and permission come
 *               first, then hrx_import_body_limit)
 *   body        read (ngx_http_read_client_request_body); the rest runs
 *               in the post handler
 *   auth        session cookie or API token (401), CSRF for mutating
 *               requests authenticated by cookie (403), the route's
 *               permission (403)
 *   parse       JSON object body (413, 415, 400)
 *   validate    the route's schema (400, naming the field)
 *   handler     the route's own code: a read answered from SQLite, or a
 *               command submitted to the scheduler and parked
 *
 * Authentication comes before parsing so that an anonymous client learns
 * nothing about the input rules; the size check comes first of all so
 * that nobody can make a worker read a large body.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_handler.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_body.h"
#include "ngx_http_hrx_auth.h"
#include "ngx_http_hrx_api_health.h"
#include "ngx_http_hrx_login.h"
#include "ngx_http_hrx_api_tenants.h"
#include "ngx_http_hrx_api_users.h"
#include "ngx_http_hrx_api_tokens.h"
#include "ngx_http_hrx_api_resource.h"
#include "ngx_http_hrx_api_search.h"
#include "ngx_http_hrx_api_merge.h"
#include "ngx_http_hrx_import.h"
#include "ngx_http_hrx_api_bulk.h"
#include "ngx_http_hrx_api_messages.h"
#include "ngx_http_hrx_api_mail.h"
#include "ngx_http_hrx_api_line.h"
#include "ngx_http_hrx_api_whatsapp.h"
#include "ngx_http_hrx_webhook_whatsapp.h"
#include "hrx_whatsapp.h"
#include "ngx_http_hrx_webhook.h"
#include "ngx_http_hrx_events.h"


static void ngx_http_hrx_body_ready(ngx_http_request_t *r);
static ngx_int_t ngx_http_hrx_run(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx);
static ngx_int_t ngx_http_hrx_auth_step(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_int_t *rc);
static ngx_int_t ngx_http_hrx_match(ngx_str_t *pattern, ngx_str_t *uri,
    int64_t *id);
static void ngx_http_hrx_ctx_cleanup(void *data);


static ngx_http_hrx_route_t  ngx_http_hrx_routes[] = {

    { NGX_HTTP_GET, ngx_string("/api/v1/health"),
      ngx_http_hrx_api_health, 0, 0, NULL },

    { NGX_HTTP_GET, ngx_string("/api/v1/metrics"),
      ngx_http_hrx_api_metrics, 0, 0, NULL },

    { NGX_HTTP_POST, ngx_string("/api/v1/auth/login"),
      ngx_http_hrx_api_login, NGX_HTTP_HRX_BODY, 0,
      ngx_http_hrx_login_schema },

    { NGX_HTTP_POST, ngx_string("/api/v1/auth/logout"),
      ngx_http_hrx_api_logout, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_NO_INPUT, 0,
      ngx_http_hrx_no_input_schema },

    { NGX_HTTP_GET, ngx_string("/api/v1/auth/session"),
      ngx_http_hrx_api_session, NGX_HTTP_HRX_AUTH, 0, NULL },

    { NGX_HTTP_GET, ngx_string("/api/v1/tenants"),
      ngx_http_hrx_api_tenants_list,
      NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_PLATFORM, 0, NULL },

    { NGX_HTTP_POST, ngx_string("/api/v1/tenants"),
      ngx_http_hrx_api_tenants_create,
      NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_PLATFORM|NGX_HTTP_HRX_BODY, 0,
      ngx_http_hrx_tenant_create_schema },

    { NGX_HTTP_GET, ngx_string("/api/v1/tenant"),
      ngx_http_hrx_api_tenant_own, NGX_HTTP_HRX_AUTH, 0, NULL },

    { NGX_HTTP_GET, ngx_string("/api/v1/users"),
      ngx_http_hrx_api_users_list, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_USERS_ADMIN, NULL },

    { NGX_HTTP_POST, ngx_string("/api/v1/users"),
      ngx_http_hrx_api_users_create, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      NGX_HTTP_HRX_PERM_USERS_ADMIN, ngx_http_hrx_user_create_schema },

    { NGX_HTTP_GET, ngx_string("/api/v1/users/{id}"),
      ngx_http_hrx_api_users_get, NGX_HTTP_HRX_AUTH, 0, NULL },

    { NGX_HTTP_PATCH, ngx_string("/api/v1/users/{id}"),
      ngx_http_hrx_api_users_update, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY, 0,
      ngx_http_hrx_user_update_schema },

    { NGX_HTTP_GET, ngx_string("/api/v1/tokens"),
      ngx_http_hrx_api_tokens_list, NGX_HTTP_HRX_AUTH, 0, NULL },

    { NGX_HTTP_POST, ngx_string("/api/v1/tokens"),
      ngx_http_hrx_api_tokens_create, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY, 0,
      ngx_http_hrx_token_create_schema },

    { NGX_HTTP_DELETE, ngx_string("/api/v1/tokens/{id}"),
      ngx_http_hrx_api_tokens_delete, NGX_HTTP_HRX_AUTH, 0, NULL },

    /*
     * Recruiting data (docs/data-model.md): the generic handlers of
     * ngx_http_hrx_api_resource.c, driven by shm/hrx_resource.c.
     */

    { NGX_HTTP_GET, ngx_string("/api/v1/roles"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/roles"), NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/roles/{id}"), NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/roles/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/roles/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/master-groups"),
      NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/master-groups"),
      NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/master-groups/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/master-groups/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/master-groups/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/candidate-groups"),
      NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/candidate-groups"),
      NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/candidate-groups/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/candidate-groups/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/candidate-groups/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/labels"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/labels"), NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/labels/{id}"), NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/labels/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/labels/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/agents"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/agents"), NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/agents/{id}"), NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/agents/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/agents/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/job-openings"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/job-openings"),
      NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/job-openings/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/job-openings/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/job-openings/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/interviews"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/interviews"),
      NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/interviews/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/interviews/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/interviews/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/search-groups"),
      NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/search-groups"),
      NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/search-groups/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/search-groups/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/search-groups/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/saved-searches"),
      NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/saved-searches"),
      NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/saved-searches/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/saved-searches/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/saved-searches/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    /* searches evaluated (ngx_http_hrx_api_search.c: thread pool) */
    { NGX_HTTP_POST, ngx_string("/api/v1/searches/count"),
      ngx_http_hrx_api_search_count, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY, 0,
      NULL },
    { NGX_HTTP_GET, ngx_string("/api/v1/saved-searches/{id}/count"),
      ngx_http_hrx_api_saved_search_count, NGX_HTTP_HRX_AUTH, 0, NULL },
    { NGX_HTTP_GET, ngx_string("/api/v1/saved-searches/{id}/candidates"),
      ngx_http_hrx_api_saved_search_candidates, NGX_HTTP_HRX_AUTH, 0, NULL },

    { NGX_HTTP_GET, ngx_string("/api/v1/event-groups"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/event-groups"),
      NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/event-groups/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/event-groups/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/event-groups/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/events"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/events"), NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/events/{id}"), NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/events/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/events/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/forms"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/forms"), NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/forms/{id}"), NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/forms/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/forms/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    { NGX_HTTP_GET, ngx_string("/api/v1/templates"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/templates"), NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/templates/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/templates/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/templates/{id}"),
      NGX_HTTP_HRX_RES_DELETE },

    /* candidates: generic, plus the bulk import (ngx_http_hrx_import.c) */
    { NGX_HTTP_GET, ngx_string("/api/v1/candidates"), NGX_HTTP_HRX_RES_LIST },
    { NGX_HTTP_POST, ngx_string("/api/v1/candidates"),
      NGX_HTTP_HRX_RES_CREATE },
    { NGX_HTTP_GET, ngx_string("/api/v1/candidates/{id}"),
      NGX_HTTP_HRX_RES_GET },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/candidates/{id}"),
      NGX_HTTP_HRX_RES_UPDATE },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/candidates/{id}"),
      NGX_HTTP_HRX_RES_DELETE },
    { NGX_HTTP_POST, ngx_string("/api/v1/candidates/import"),
      ngx_http_hrx_api_candidates_import,
      NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BULK,
      NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER, NULL },

    /* a candidate's timeline and sending (ngx_http_hrx_api_messages.c) */
    { NGX_HTTP_GET, ngx_string("/api/v1/candidates/{id}/messages"),
      ngx_http_hrx_api_messages_list, NGX_HTTP_HRX_AUTH, 0, NULL },
    { NGX_HTTP_POST, ngx_string("/api/v1/candidates/{id}/messages"),
      ngx_http_hrx_api_messages_send, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      0, NULL },

    /* merge variables (ngx_http_hrx_api_merge.c) */
    { NGX_HTTP_GET, ngx_string("/api/v1/merge-variables"),
      ngx_http_hrx_api_merge_variables, NGX_HTTP_HRX_AUTH, 0, NULL },
    { NGX_HTTP_POST, ngx_string("/api/v1/templates/{id}/preview"),
      ngx_http_hrx_api_template_preview, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      0, ngx_http_hrx_preview_schema },

    /* scheduled bulk actions (ngx_http_hrx_api_bulk.c) */
    { NGX_HTTP_GET, ngx_string("/api/v1/bulk-actions"),
      ngx_http_hrx_api_bulk_list, NGX_HTTP_HRX_AUTH, 0, NULL },
    { NGX_HTTP_POST, ngx_string("/api/v1/bulk-actions"),
      ngx_http_hrx_api_bulk_create, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER
      |NGX_HTTP_HRX_PERM_BULK_ACTIONS_MANAGE, NULL },
    { NGX_HTTP_POST, ngx_string("/api/v1/bulk-actions/dry-run"),
      ngx_http_hrx_api_bulk_dry_run, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER
      |NGX_HTTP_HRX_PERM_BULK_ACTIONS_MANAGE, NULL },
    { NGX_HTTP_GET, ngx_string("/api/v1/bulk-actions/{id}"),
      ngx_http_hrx_api_bulk_get, NGX_HTTP_HRX_AUTH, 0, NULL },
    { NGX_HTTP_PATCH, ngx_string("/api/v1/bulk-actions/{id}"),
      ngx_http_hrx_api_bulk_update, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER
      |NGX_HTTP_HRX_PERM_BULK_ACTIONS_MANAGE, NULL },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/bulk-actions/{id}"),
      ngx_http_hrx_api_bulk_delete, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_CANDIDATES_OPERATE_OTHER
      |NGX_HTTP_HRX_PERM_BULK_ACTIONS_MANAGE, NULL },
    { NGX_HTTP_GET, ngx_string("/api/v1/bulk-actions/{id}/results"),
      ngx_http_hrx_api_bulk_results, NGX_HTTP_HRX_AUTH, 0, NULL },

    /* mail settings (ngx_http_hrx_api_mail.c) */
    { NGX_HTTP_GET, ngx_string("/api/v1/settings/mail"),
      ngx_http_hrx_api_mail_get, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, NULL },
    { NGX_HTTP_PUT, ngx_string("/api/v1/settings/mail"),
      ngx_http_hrx_api_mail_put, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN,
      ngx_http_hrx_mail_settings_schema },

    /* live events, server-sent (ngx_http_hrx_events.c) */
    { NGX_HTTP_GET, ngx_string("/api/v1/stream"),
      ngx_http_hrx_api_stream, NGX_HTTP_HRX_AUTH, 0, NULL },

    /* LINE settings (ngx_http_hrx_api_line.c) */
    { NGX_HTTP_GET, ngx_string("/api/v1/settings/line"),
      ngx_http_hrx_api_line_get, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, NULL },
    { NGX_HTTP_PUT, ngx_string("/api/v1/settings/line"),
      ngx_http_hrx_api_line_put, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN,
      ngx_http_hrx_line_settings_schema },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/settings/line"),
      ngx_http_hrx_api_line_delete, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, NULL },
    { NGX_HTTP_GET, ngx_string("/api/v1/line/unlinked-events"),
      ngx_http_hrx_api_line_unlinked, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, NULL },

    /* WhatsApp numbers (ngx_http_hrx_api_whatsapp.c) */
    { NGX_HTTP_GET, ngx_string("/api/v1/settings/whatsapp/numbers"),
      ngx_http_hrx_api_wa_list, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, NULL },
    { NGX_HTTP_POST, ngx_string("/api/v1/settings/whatsapp/numbers"),
      ngx_http_hrx_api_wa_create, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, ngx_http_hrx_wa_number_schema },
    { NGX_HTTP_GET, ngx_string("/api/v1/settings/whatsapp/numbers/{id}"),
      ngx_http_hrx_api_wa_get, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, NULL },
    { NGX_HTTP_PUT, ngx_string("/api/v1/settings/whatsapp/numbers/{id}"),
      ngx_http_hrx_api_wa_update, NGX_HTTP_HRX_AUTH|NGX_HTTP_HRX_BODY,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, ngx_http_hrx_wa_number_schema },
    { NGX_HTTP_DELETE, ngx_string("/api/v1/settings/whatsapp/numbers/{id}"),
      ngx_http_hrx_api_wa_delete, NGX_HTTP_HRX_AUTH,
      NGX_HTTP_HRX_PERM_INTEGRATIONS_ADMIN, NULL },

    /*
     * The LINE webhook (ngx_http_hrx_webhook.c), served where a location
     * has hrx_api for /webhooks/: no session, LINE's signature instead;
     * the body is left raw (no NGX_HTTP_HRX_BODY) for the signature.
     */
    { NGX_HTTP_POST, ngx_string("/webhooks/line/{id}"),
      ngx_http_hrx_webhook_line, 0, 0, NULL },

    /* WhatsApp (ngx_http_hrx_webhook_whatsapp.c), per connected number:
     * the GET handshake with the verify token, POST signed with the
     * app secret (X-Hub-Signature-256), bodies up to HRX_WA_BODY_MAX */
    { NGX_HTTP_GET, ngx_string("/webhooks/whatsapp/{id}"),
      ngx_http_hrx_webhook_wa_verify, 0, 0, NULL },
    { NGX_HTTP_POST, ngx_string("/webhooks/whatsapp/{id}"),
      ngx_http_hrx_webhook_wa, NGX_HTTP_HRX_BIG_BODY, 0, NULL },

    { 0, ngx_null_string, NULL, 0, 0, NULL }
};


static ngx_str_t  ngx_http_hrx_method_names[] = {
    ngx_string("GET"), ngx_string("POST"), ngx_string("PUT"),
    ngx_string("PATCH"), ngx_string("DELETE")
};

static ngx_uint_t  ngx_http_hrx_methods[] = {
    NGX_HTTP_GET, NGX_HTTP_POST, NGX_HTTP_PUT, NGX_HTTP_PATCH,
    NGX_HTTP_DELETE
};


ngx_int_t
ngx_http_hrx_handler(ngx_http_request_t *r)
{
    u_char                   *p, *last;
    int64_t                   id;
    ngx_int_t                 rc;
    ngx_uint_t                i, allowed;
    ngx_pool_cleanup_t       *cln;
    ngx_http_hrx_ctx_t       *ctx;
    ngx_http_hrx_route_t     *route, *rt;
    ngx_http_hrx_loc_conf_t  *hlcf;

    route = NULL;
    allowed = 0;
    id = 0;

    for (rt = ngx_http_hrx_routes; rt->handler; rt++) {

        if (ngx_http_hrx_match(&rt->path, &r->uri, &id) != NGX_OK) {
            continue;
        }

        if (rt->method == r->method) {
            route = rt;
            break;
        }

        allowed |= rt->method;
    }

    if (route == NULL) {

        if (allowed == 0) {
            return ngx_http_hrx_send_error(r, NGX_HTTP_NOT_FOUND,
                                           "not_found", NULL,
                                           "no such resource: %V", &r->uri);
        }

        p = ngx_pnalloc(r->pool, sizeof("GET, POST, PUT, PATCH, DELETE"));
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        last = p;

        for (i = 0; i < sizeof(ngx_http_hrx_methods)
                        / sizeof(ngx_http_hrx_methods[0]); i++)
        {
            if (!(allowed & ngx_http_hrx_methods[i])) {
                continue;
            }

            if (last != p) {
                last = ngx_cpymem(last, ", ", 2);
            }

            last = ngx_cpymem(last, ngx_http_hrx_method_names[i].data,
                              ngx_http_hrx_method_names[i].len);
        }

        if (ngx_http_hrx_add_header(r, "Allow", p, last - p) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_hrx_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                       "method_not_allowed", NULL,
                                       "%V is not allowed on %V",
                                       &r->method_name, &r->uri);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_hrx_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->route = route;
    ctx->id = id;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_hrx_ctx_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_hrx_module);

    hlcf = ngx_http_get_module_loc_conf(r, ngx_http_hrx_module);

    if (route->flags & NGX_HTTP_HRX_BIG_BODY) {
        return ngx_http_hrx_body_read(r, ngx_max(hlcf->body_limit,
                                                 HRX_WA_BODY_MAX),
                                      ngx_http_hrx_body_ready);
    }

    if (!(route->flags & NGX_HTTP_HRX_BULK)) {
        return ngx_http_hrx_body_read(r, hlcf->body_limit,
                                      ngx_http_hrx_body_ready);
    }

    /* a large body is read only for someone allowed to send it */
    if (ngx_http_hrx_auth_step(r, ctx, &rc) != NGX_OK) {
        return rc;
    }

    return ngx_http_hrx_body_read(r, hlcf->import_limit,
                                  ngx_http_hrx_body_ready);
}


/* the post handler of the body: the request is ours until finalized */
static void
ngx_http_hrx_body_ready(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_hrx_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_hrx_module);

    rc = ngx_http_hrx_run(r, ctx);

    if (rc == NGX_DONE) {
        /* parked, or a thread task runs: finalized when it is done */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_hrx_run(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    ngx_int_t                    rc;
    ngx_http_hrx_err_t           err;
    const ngx_http_hrx_route_t  *route;

    route = ctx->route;

    if (ngx_http_hrx_auth_step(r, ctx, &rc) != NGX_OK) {
        return rc;
    }

    if (route->flags & (NGX_HTTP_HRX_BODY|NGX_HTTP_HRX_NO_INPUT)) {

        rc = ngx_http_hrx_body_parse(r, ctx,
                                     route->flags & NGX_HTTP_HRX_NO_INPUT,
                                     &err);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_hrx_send_err(r, &err);
        }

        if (ctx->body && route->schema) {
            rc = ngx_http_hrx_validate(r->pool, ctx->body, route->schema,
                                       NULL, &err);

            if (rc == NGX_ERROR) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (rc == NGX_DECLINED) {
                return ngx_http_hrx_send_err(r, &err);
            }
        }
    }

    return route->handler(r, ctx);
}


/*
 * The route's authentication, platform and permission checks, once:
 * NGX_OK, or NGX_DECLINED with *rc what the request is finalized with
 * (the error was sent).
 */
static ngx_int_t
ngx_http_hrx_auth_step(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_int_t *rc)
{
    ngx_http_hrx_err_t           err;
    const ngx_http_hrx_route_t  *route;

    route = ctx->route;

    if (!(route->flags & NGX_HTTP_HRX_AUTH) || ctx->authenticated) {
        return NGX_OK;
    }

    *rc = ngx_http_hrx_authenticate(r, &ctx->auth, &err);

    if (*rc == NGX_ERROR) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    if (*rc == NGX_DECLINED) {
        *rc = ngx_http_hrx_send_err(r, &err);
        return NGX_DECLINED;
    }

    if ((route->flags & NGX_HTTP_HRX_PLATFORM) && !ctx->auth.platform_admin)
    {
        *rc = ngx_http_hrx_send_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                      NULL, "only a platform admin may do "
                                      "this");
        return NGX_DECLINED;
    }

    if (route->perm
        && ngx_http_hrx_require(&ctx->auth, route->perm, &err) != NGX_OK)
    {
        *rc = ngx_http_hrx_send_err(r, &err);
        return NGX_DECLINED;
    }

    ctx->authenticated = 1;

    return NGX_OK;
}


void
ngx_http_hrx_finalize(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/*
 * pattern "/api/v1/users/{id}": {id} matches one path segment holding a
 * positive integer that fits int64; anything else does not match (404).
 */
static ngx_int_t
ngx_http_hrx_match(ngx_str_t *pattern, ngx_str_t *uri, int64_t *id)
{
    u_char   *p, *pe, *u, *ue, *s;
    int64_t   v;

    p = pattern->data;
    pe = p + pattern->len;
    u = uri->data;
    ue = u + uri->len;

    while (p < pe) {

        if (pe - p >= 4 && ngx_strncmp(p, "{id}", 4) == 0) {
            s = u;
            v = 0;

            while (u < ue && *u != '/') {
                if (*u < '0' || *u > '9') {
                    return NGX_DECLINED;
                }

                if (v > (INT64_MAX - (*u - '0')) / 10) {
                    return NGX_DECLINED;
                }

                v = v * 10 + (*u - '0');
                u++;
            }

            if (u == s || v <= 0) {
                return NGX_DECLINED;
            }

            *id = v;
            p += 4;
            continue;
        }

        if (u == ue || *p != *u) {
            return NGX_DECLINED;
        }

        p++;
        u++;
    }

    return u == ue ? NGX_OK : NGX_DECLINED;
}


/* the request's pool is going away: JSON held by the context */
static void
ngx_http_hrx_ctx_cleanup(void *data)
{
    ngx_http_hrx_ctx_t  *ctx = data;

    if (ctx->body) {
        json_decref(ctx->body);
        ctx->body = NULL;
    }

    if (ctx->args) {
        json_decref(ctx->args);
        ctx->args = NULL;
    }

    if (ctx->password.data) {
        ngx_explicit_memzero(ctx->password.data, ctx->password.len);
    }

    ngx_explicit_memzero(ctx->pw_hash, sizeof(ctx->pw_hash));
}
