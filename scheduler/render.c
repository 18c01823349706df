/*
 * Rendering: rows to the JSON the API returns.
 *
 * The worker sends a reply body as it is, so the scheduler is where a
 * created or updated object takes its final shape: the same shapes the
 * module renders for reads, which is why times go through
 * hrx_json_time() from shm/hrx_codec.h (RFC 3339, UTC, seconds) and ids
 * that mean "nobody" (created_by of something the system made) become
 * null rather than 0.  Secrets never appear: a user has "has_password",
 * not its hash; a token has its display prefix, not its hash.
 *
 * Building JSON can only fail for lack of memory; each function then
 * returns NULL and the caller answers 500.  jansson's *_new functions
 * accept a NULL value and fail cleanly, so the objects are built in one
 * expression per field without a check after each.
 */
#include <jansson.h>

#include "hrx_codec.h"
#include "render.h"

/* 0 (SQL NULL) -> null */
static json_t *
render_id(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

static int
render_set(json_t *obj, const char *key, json_t *value)
{
    /* json_object_set_new steals value even when it fails */
    return json_object_set_new(obj, key, value);
}

json_t *
render_tenant(const store_tenant_t *t)
{
    json_t  *o;
    int      rc = 0;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    rc |= render_set(o, "id", json_integer(t->id));
    rc |= render_set(o, "slug", json_string(t->slug));
    rc |= render_set(o, "name", json_string(t->name));
    rc |= render_set(o, "time_zone", json_string(t->time_zone));
    rc |= render_set(o, "created_at", hrx_json_time(t->created_at));
    rc |= render_set(o, "created_by", render_id(t->created_by));
    rc |= render_set(o, "updated_at", hrx_json_time(t->updated_at));
    rc |= render_set(o, "updated_by", render_id(t->updated_by));

    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *
render_permissions(const char *stored)
{
    json_t  *a;

    a = json_loads(stored, JSON_REJECT_DUPLICATES, NULL);
    if (a == NULL || !json_is_array(a)) {
        json_decref(a);
        return json_array();
    }
    return a;
}

json_t *
render_user(const store_user_t *u)
{
    json_t  *o;
    int      rc = 0;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    rc |= render_set(o, "id", json_integer(u->id));
    rc |= render_set(o, "tenant_id", json_integer(u->tenant_id));
    rc |= render_set(o, "email", json_string(u->email));
    rc |= render_set(o, "name", json_string(u->name));
    rc |= render_set(o, "status", json_string(u->status));
    rc |= render_set(o, "role_id", json_integer(u->role_id));
    rc |= render_set(o, "role", json_string(u->role));
    rc |= render_set(o, "permissions", render_permissions(u->permissions));
    rc |= render_set(o, "platform_admin", json_boolean(u->platform_admin));
    rc |= render_set(o, "has_password", json_boolean(u->has_password));
    rc |= render_set(o, "created_at", hrx_json_time(u->created_at));
    rc |= render_set(o, "created_by", render_id(u->created_by));
    rc |= render_set(o, "updated_at", hrx_json_time(u->updated_at));
    rc |= render_set(o, "updated_by", render_id(u->updated_by));

    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *
render_token(const store_token_t *t)
{
    json_t  *o;
    int      rc = 0;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    rc |= render_set(o, "id", json_integer(t->id));
    rc |= render_set(o, "name", json_string(t->name));
    rc |= render_set(o, "prefix", json_string(t->prefix));
    rc |= render_set(o, "user_id", json_integer(t->user_id));
    rc |= render_set(o, "created_at", hrx_json_time(t->created_at));
    rc |= render_set(o, "expires_at", hrx_json_time(t->expires_at));

    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}
