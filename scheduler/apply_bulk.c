/*
 * bulk_action.create, .update and .delete: the reservation rules of SPEC
 * BA-1 … BA-9 (docs/bulk-actions.md), decided here because only the
 * single writer sees the state race-free.
 *
 * "At most 5 reserved per tenant" (BA-3) is a count and an insert in the
 * same transaction of the one writer, so ten concurrent requests end with
 * exactly five reservations.  "More than 3000 hits" (BA-5) counts the
 * saved search now, with the same SQL the execution and the dry run use
 * (shm/hrx_bulk.c).  The worker checked the body's shape; everything is
 * checked again here (the ring is not trusted), and every reference is
 * checked against the actor's reach as it is now (BA-6).
 *
 * Editing (BA-9): a waiting action is locked from 11 minutes before T, an
 * action on hold never is; once it has started it cannot change.  The
 * kind never changes.  The actor becomes the last editor, whose reach
 * and permissions the execution uses (BA-11, BA-12).
 *
 * LINE (LN-12) is accepted only while the tenant has LINE connected:
 * otherwise also_line is refused (409 line_not_connected) with a clear
 * reason rather than silently ignored.  At T the run checks again
 * (bulk_run.c) and sends email only if LINE went away meanwhile.
 */
#include <string.h>

#include "hrx_bulk.h"
#include "apply_reach.h"
#include "bulk_run.h"
#include "store_bulk.h"
#include "store_message.h"

static const char *const  apply_bulk_members[] = {
    "id", "name", "kind", "run_at", "saved_search_id", "template_id",
    "form_id", "event_id", "event_group_id", "executed_label_id",
    "also_line", "status", NULL
};

/* the references a body may hold, with what they name */
typedef struct {
    const char    *key;
    hrx_res_id_e   res;
    size_t         offset;     /* int64_t member of store_bulk_t */
    int            required;
} apply_bulk_ref_t;

static const apply_bulk_ref_t  apply_bulk_refs[] = {
    { "saved_search_id", HRX_RES_SAVED_SEARCH,
      offsetof(store_bulk_t, saved_search_id), 1 },
    { "template_id", HRX_RES_TEMPLATE,
      offsetof(store_bulk_t, template_id), 1 },
    { "form_id", HRX_RES_FORM, offsetof(store_bulk_t, form_id), 0 },
    { "event_id", HRX_RES_EVENT, offsetof(store_bulk_t, event_id), 0 },
    { "event_group_id", HRX_RES_EVENT_GROUP,
      offsetof(store_bulk_t, event_group_id), 0 },
    { "executed_label_id", HRX_RES_LABEL,
      offsetof(store_bulk_t, executed_label_id), 0 },
    { NULL, 0, 0, 0 }
};

#define apply_bulk_ref(b, r)  ((int64_t *) ((char *) (b) + (r)->offset))

static int
apply_bulk_unknown(apply_ctx_t *ac, const json_t *args)
{
    const char  *key;
    json_t      *v;
    size_t       i;

    json_object_foreach((json_t *) args, key, v) {
        for (i = 0; apply_bulk_members[i] != NULL; i++) {
            if (strcmp(key, apply_bulk_members[i]) == 0) {
                break;
            }
        }
        if (apply_bulk_members[i] == NULL) {
            apply_reject(ac, 400, "unknown_field", key,
                         "%s is not a member of a bulk action", key);
            return -1;
        }
    }
    return 0;
}

/*
 * The members given in args, into b (create: b starts empty).  A
 * reference given as null clears an optional one.  0, or -1 with the
 * reply set.
 */
static int
apply_bulk_members_read(apply_ctx_t *ac, const json_t *args, int create,
    store_bulk_t *b)
{
    const apply_bulk_ref_t  *r;
    const json_t            *v;
    const char              *s;
    int64_t                  id;
    int                      rc;

    rc = apply_arg_string(ac, args, NULL, "name", create, 1, 200, &s);
    if (rc < 0) {
        return -1;
    }
    if (rc == 1) {
        strcpy(b->name, s);            /* 200 characters fit */
    }

    v = json_object_get(args, "kind");
    if (v != NULL) {
        if (!json_is_string(v) || hrx_bulk_kind(json_string_value(v)) == 0) {
            apply_reject(ac, 400, "invalid_value", "kind",
                         "kind must be \"message\" or \"event_invitation\"");
            return -1;
        }
        if (!create && hrx_bulk_kind(json_string_value(v)) != b->kind) {
            apply_reject(ac, 400, "immutable", "kind",
                         "the kind of a bulk action never changes (BA-9)");
            return -1;
        }
        b->kind = hrx_bulk_kind(json_string_value(v));
    } else if (create) {
        apply_reject(ac, 400, "required", "kind", "kind is required");
        return -1;
    }

    /* an absent member leaves what the action had (the helper writes 0) */
    rc = apply_arg_time(ac, args, "run_at", create, &id);
    if (rc < 0) {
        return -1;
    }
    if (rc == 1) {
        if (id % 60000 != 0) {
            apply_reject(ac, 400, "invalid_value", "run_at",
                         "run_at must be a whole minute: scheduling is to "
                         "the minute");
            return -1;
        }
        b->run_at = id;
    }

    for (r = apply_bulk_refs; r->key != NULL; r++) {
        v = json_object_get(args, r->key);
        if (v == NULL) {
            if (create && r->required) {
                apply_reject(ac, 400, "required", r->key, "%s is required",
                             r->key);
                return -1;
            }
            continue;
        }
        if (json_is_null(v)) {
            if (r->required) {
                apply_reject(ac, 400, "required", r->key,
                             "%s cannot be cleared", r->key);
                return -1;
            }
            *apply_bulk_ref(b, r) = 0;
            continue;
        }
        if (apply_arg_id(ac, args, r->key, 1, &id) < 0) {
            return -1;
        }
        *apply_bulk_ref(b, r) = id;
    }

    v = json_object_get(args, "also_line");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            apply_reject(ac, 400, "invalid_type", "also_line",
                         "also_line must be true or false");
            return -1;
        }
        b->also_line = json_is_true(v);
    }

    v = json_object_get(args, "status");
    if (v != NULL && !json_is_null(v)) {
        s = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(s, "waiting") != 0 && strcmp(s, "on_hold") != 0) {
            apply_reject(ac, 400, "invalid_value", "status",
                         "status can be set to \"waiting\" or \"on_hold\"");
            return -1;
        }
        strcpy(b->status, s);
    } else if (create) {
        strcpy(b->status, "waiting");
    }

    return 0;
}

/* BA-2: what each kind holds; the member at fault, or NULL */
static const char *
apply_bulk_kind_fault(const store_bulk_t *b, const char **code,
    const char **why)
{
    *code = "not_allowed";

    if (b->kind == HRX_BULK_MESSAGE) {
        *why = "a message action carries no event; an invitation is kind "
               "\"event_invitation\"";
        return b->event_id ? "event_id"
               : b->event_group_id ? "event_group_id" : NULL;
    }
    if (b->form_id) {
        *why = "an event invitation carries no custom form";
        return "form_id";
    }
    if (b->event_id && b->event_group_id) {
        *why = "an invitation names one event or one event group, not both";
        return "event_group_id";
    }
    if (!b->event_id && !b->event_group_id) {
        *code = "required";
        *why = "an invitation needs event_id or event_group_id";
        return "event_id";
    }
    return NULL;
}

/*
 * Everything create and update share, on the resulting action b: the
 * references given in args (BA-6), the kind's members, LINE, T (BA-4)
 * when it matters, and the hits of the search (BA-5) as the estimate.
 */
static int
apply_bulk_check(apply_ctx_t *ac, const store_reach_t *who,
    const json_t *args, const store_bulk_t *b, int check_run_at,
    int64_t *estimate)
{
    const apply_bulk_ref_t  *r;
    const char              *field, *code, *why;
    hrx_bulk_error_t         err;
    int64_t                  id;
    int                      rc, connected;

    for (r = apply_bulk_refs; r->key != NULL; r++) {
        id = *apply_bulk_ref(b, r);
        if (id != 0 && json_object_get(args, r->key) != NULL
            && apply_reach_ref(ac, who, hrx_res(r->res), id, r->key) != 0)
        {
            return -1;
        }
    }

    field = apply_bulk_kind_fault(b, &code, &why);
    if (field != NULL) {
        apply_reject(ac, 400, code, field, "%s", why);
        return -1;
    }

    if (b->also_line) {
        if (store_message_line_connected(ac->st, ac->cmd->tenant_id,
                                         &connected) != STORE_OK)
        {
            apply_store_error(ac);
            return -1;
        }
        if (!connected) {
            apply_reject(ac, 409, "line_not_connected", "also_line",
                         "LINE is not connected for this tenant: the action "
                         "can send email only");
            return -1;
        }
    }

    if (check_run_at && b->run_at <= ac->now + HRX_BULK_MIN_LEAD_MS) {
        apply_reject(ac, 400, "too_soon", "run_at",
                     "run_at must be more than 10 minutes from now (BA-4)");
        return -1;
    }

    rc = store_bulk_count_hits(ac->st, ac->cmd->tenant_id, b->saved_search_id,
                               estimate, &err);
    if (rc == HRX_BULK_DB_ERROR) {
        apply_store_error(ac);
        return -1;
    }
    if (rc != HRX_BULK_OK) {
        apply_reject(ac, 400, "invalid_value", "saved_search_id", "%s",
                     err.message);
        return -1;
    }
    if (*estimate > HRX_BULK_MAX_HITS) {
        apply_reject(ac, 400, "too_many_hits", "saved_search_id",
                     "the saved search hits %lld candidates; a bulk action "
                     "may reach at most %d (BA-5)", (long long) *estimate,
                     HRX_BULK_MAX_HITS);
        return -1;
    }
    return 0;
}

static int
apply_bulk_actor(apply_ctx_t *ac, store_reach_t *who)
{
    unsigned  perms;

    if (apply_reach_load(ac, who, &perms) != 0
        || apply_reach_require(ac, perms,
                               HRX_PERM_CANDIDATES_OPERATE_OTHER
                               | HRX_PERM_BULK_ACTIONS_MANAGE) != 0)
    {
        return -1;
    }
    return 0;
}

apply_rc_e
apply_bulk_create(apply_ctx_t *ac)
{
    const json_t   *args = ac->cmd->args;
    store_reach_t   who;
    store_bulk_t    b;
    int64_t         reserved, estimate, id;
    int             rc;

    if (apply_bulk_actor(ac, &who) != 0 || apply_bulk_unknown(ac, args) != 0) {
        return ac->rc;
    }
    if (json_object_get(args, "id") != NULL) {
        return apply_reject(ac, 400, "read_only", "id",
                            "id is given by hrx");
    }

    memset(&b, 0, sizeof(b));
    b.tenant_id = ac->cmd->tenant_id;
    if (apply_bulk_members_read(ac, args, 1, &b) != 0
        || apply_bulk_check(ac, &who, args, &b, 1, &estimate) != 0)
    {
        return ac->rc;
    }

    rc = store_bulk_count_reserved(ac->st, b.tenant_id, &reserved);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    if (reserved >= HRX_BULK_MAX_RESERVED) {
        return apply_reject(ac, 409, "limit_reached", NULL,
                            "the tenant already has %d reserved bulk "
                            "actions (waiting or on hold), the most it may "
                            "have (BA-3)", HRX_BULK_MAX_RESERVED);
    }

    rc = store_bulk_insert(ac->st, &b, estimate, ac->now, ac->cmd->actor_id,
                           &id);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    bulk_run_changed();          /* the loop wakes at its run_at */
    ac->reply->object_id = id;
    return apply_reply_object(ac, 201, json_pack("{sI}", "id",
                                                 (json_int_t) id));
}

/*
 * The action a command changes, if it may still change (BA-8, BA-9):
 * 0, or -1 with 404 (not in the tenant, or its search group not
 * reached), 409 not_editable (started) or 409 locked.
 */
static int
apply_bulk_load_editable(apply_ctx_t *ac, const store_reach_t *who,
    int64_t id, store_bulk_t *b)
{
    int  rc;

    rc = store_bulk_get(ac->st, ac->cmd->tenant_id, id, b);
    if (rc == STORE_NOTFOUND) {
        apply_reject(ac, 404, "not_found", "id", "no such bulk action");
        return -1;
    }
    if (rc != STORE_OK) {
        apply_store_unexpected(ac, rc);
        return -1;
    }
    if (apply_reach_row(ac, who, hrx_res(HRX_RES_SAVED_SEARCH),
                        b->saved_search_id) != 0)
    {
        return -1;                     /* 404: not revealed */
    }

    if (strcmp(b->status, "on_hold") == 0) {
        return 0;
    }
    if (strcmp(b->status, "waiting") != 0) {
        apply_reject(ac, 409, "not_editable", NULL,
                     "the action is %s: it can no longer change", b->status);
        return -1;
    }
    if (b->run_at - ac->now < HRX_BULK_LOCK_MS) {
        apply_reject(ac, 409, "locked", NULL,
                     "a waiting action is locked from 11 minutes before it "
                     "runs (BA-9); put it on hold first if it must not "
                     "run");
        return -1;
    }
    return 0;
}

apply_rc_e
apply_bulk_update(apply_ctx_t *ac)
{
    const json_t   *args = ac->cmd->args;
    store_reach_t   who;
    store_bulk_t    b;
    int64_t         id, estimate;
    int             was_on_hold, check_run_at, rc;

    if (apply_bulk_actor(ac, &who) != 0 || apply_bulk_unknown(ac, args) != 0
        || apply_arg_id(ac, args, "id", 1, &id) < 0)
    {
        return ac->rc;
    }
    ac->reply->object_id = id;

    if (apply_bulk_load_editable(ac, &who, id, &b) != 0) {
        return ac->rc;
    }
    was_on_hold = strcmp(b.status, "on_hold") == 0;

    if (apply_bulk_members_read(ac, args, 0, &b) != 0) {
        return ac->rc;
    }

    /* BA-4 again when the action will wait for a T it did not wait for */
    check_run_at = strcmp(b.status, "waiting") == 0
                   && (was_on_hold || json_object_get(args, "run_at"));

    if (apply_bulk_check(ac, &who, args, &b, check_run_at, &estimate) != 0) {
        return ac->rc;
    }

    rc = store_bulk_update(ac->st, &b, estimate, ac->now, ac->cmd->actor_id);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    bulk_run_changed();          /* the loop wakes at its run_at */
    return apply_reply_object(ac, 200, json_pack("{sI}", "id",
                                                 (json_int_t) id));
}

apply_rc_e
apply_bulk_delete(apply_ctx_t *ac)
{
    store_reach_t  who;
    store_bulk_t   b;
    int64_t        id;
    int            rc;

    if (apply_bulk_actor(ac, &who) != 0
        || apply_arg_id(ac, ac->cmd->args, "id", 1, &id) < 0)
    {
        return ac->rc;
    }
    ac->reply->object_id = id;

    if (apply_bulk_load_editable(ac, &who, id, &b) != 0) {
        return ac->rc;
    }

    rc = store_bulk_delete(ac->st, ac->cmd->tenant_id, id);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    bulk_run_changed();          /* the loop wakes at its run_at */
    return apply_reply_empty(ac);
}
