/*
 * LINE commands (docs/line.md): line_settings.set, line.disconnect and
 * line.webhook.
 *
 * line_settings.set stores what the worker's connect check accepted: the
 * channel ids, the bot's basic id and name, and the three secrets sealed
 * by the worker (hrx_seal(), aad "line.<column>:<tenant>"), because the
 * ring is a file-backed mapping and a plaintext secret there would reach
 * the disk.  They are stored as they came; the scheduler opens them only
 * to push (LN-11).  The state is "connected": the worker sends the
 * command only after the check passed (LN-1).
 *
 * line.disconnect is refused while a candidate of the tenant is linked to
 * LINE, saying how many (LN-10): their timelines would go silent.
 *
 * line.webhook is a delivery whose signature a worker verified (LN-2),
 * with the events the worker took out of it (hrx_line_events_extract:
 * the JSON is parsed on the workers' cores, not in the single writer).
 * Its raw body is stored first (line_deliveries), then one line_events
 * row per event, INSERT OR IGNORE on (tenant_id, webhook_event_id), so a
 * redelivery is stored once.  LINE gives every event a webhookEventId;
 * for an event without one the worker derived an id from its content
 * (SHA-256 of the event minus what changes when LINE redelivers it:
 * deliveryContext and replyToken), so that its redelivery is recognised
 * too.  The LINE
 * user is matched to the tenant's linked candidate now; an event of a
 * user linked to nobody is kept with candidate_id NULL (LN-6) and listed
 * for admins.  The timeline rows are made after the batch committed
 * (line_events.c): the reply, which the worker turns into LINE's 200,
 * waits only for what must be durable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrx_crypto.h"
#include "hrx_line.h"
#include "apply_reach.h"
#include "line_events.h"
#include "log.h"
#include "store_line.h"

#define LINE_ID_MAX          32         /* channel ids: digits */
#define LINE_BODY_MAX        (1024 * 1024)
#define LINE_EVENT_ID_MAX    HRX_LINE_EVENT_ID_MAX

_Static_assert(LINE_EVENT_ID_MAX < STORE_LINE_EVENT_ID_SIZE,
               "a webhookEventId the worker passes fits the store's row");

static const char *const  apply_line_members[] = {
    "channel_id", "channel_secret", "access_token", "login_channel_id",
    "login_channel_secret", "bot_basic_id", "bot_name", NULL
};

/* -------------------------------------------------------------------- */
/* settings */

static int
apply_line_channel_id(apply_ctx_t *ac, const char *key, const char **out)
{
    const char  *s;
    size_t       i;

    if (apply_arg_string(ac, ac->cmd->args, NULL, key, 1, 1, LINE_ID_MAX,
                         &s) < 0)
    {
        return -1;
    }
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9') {
            apply_reject(ac, 400, "invalid_value", key,
                         "%s must be the channel's number", key);
            return -1;
        }
    }
    *out = s;
    return 0;
}

/* a secret sealed by the worker, base64url, into buf */
static int
apply_line_sealed(apply_ctx_t *ac, const char *key, uint8_t *buf,
    store_line_blob_t *out)
{
    const json_t  *v;
    size_t         len = STORE_LINE_SEALED_MAX;

    v = json_object_get(ac->cmd->args, key);
    if (!json_is_string(v)
        || hrx_b64url_decode(json_string_value(v), json_string_length(v),
                             buf, &len) != 0
        || len <= HRX_SEAL_OVERHEAD)
    {
        apply_reject(ac, 400, "invalid_value", key,
                     "%s must be sealed by the worker", key);
        return -1;
    }
    out->data = buf;
    out->len = len;
    return 0;
}

#define apply_line_opt(s)  ((s)[0] ? (s) : NULL)

static json_t *
apply_line_object(const store_line_settings_t *s)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:o, s:o, s:o}",
        "state", s->state,
        "channel_id", s->channel_id,
        "login_channel_id", s->login_channel_id,
        "bot_basic_id", apply_line_opt(s->bot_basic_id),
        "bot_name", apply_line_opt(s->bot_name),
        "connected_at", hrx_json_time(s->connected_at),
        "updated_at", hrx_json_time(s->updated_at),
        "updated_by", s->updated_by > 0 ? json_integer(s->updated_by)
                                        : json_null());
}

apply_rc_e
apply_line_settings_set(apply_ctx_t *ac)
{
    const json_t           *args = ac->cmd->args;
    const char             *key;
    json_t                 *jv;
    store_reach_t           who;
    store_line_set_t        set;
    store_line_settings_t   s;
    unsigned                perms;
    size_t                  i;
    int                     rc;
    uint8_t                 secret[STORE_LINE_SEALED_MAX];
    uint8_t                 token[STORE_LINE_SEALED_MAX];
    uint8_t                 login[STORE_LINE_SEALED_MAX];

    if (apply_reach_load(ac, &who, &perms) != 0
        || apply_reach_require(ac, perms, HRX_PERM_INTEGRATIONS_ADMIN) != 0)
    {
        return ac->rc;
    }

    json_object_foreach((json_t *) args, key, jv) {
        for (i = 0; apply_line_members[i] != NULL; i++) {
            if (strcmp(key, apply_line_members[i]) == 0) {
                break;
            }
        }
        if (apply_line_members[i] == NULL) {
            return apply_reject(ac, 400, "unknown_field", key,
                                "%s is not a LINE setting", key);
        }
    }

    memset(&set, 0, sizeof(set));
    if (apply_line_channel_id(ac, "channel_id", &set.channel_id) != 0
        || apply_line_channel_id(ac, "login_channel_id",
                                 &set.login_channel_id) != 0
        || apply_line_sealed(ac, "channel_secret", secret,
                             &set.channel_secret) != 0
        || apply_line_sealed(ac, "access_token", token,
                             &set.access_token) != 0
        || apply_line_sealed(ac, "login_channel_secret", login,
                             &set.login_channel_secret) != 0
        || apply_arg_string(ac, args, NULL, "bot_basic_id", 0, 1,
                            STORE_LINE_ID_SIZE / 4, &set.bot_basic_id) < 0
        || apply_arg_string(ac, args, NULL, "bot_name", 0, 1, 200,
                            &set.bot_name) < 0)
    {
        return ac->rc;
    }

    if (strcmp(set.channel_id, set.login_channel_id) == 0) {
        return apply_reject(ac, 422, "line_check_failed", "login_channel_id",
                            "the LINE Login channel id is the Messaging "
                            "API channel's");
    }

    rc = store_line_settings_set(ac->st, ac->cmd->tenant_id, &set, ac->now,
                                 ac->cmd->actor_id);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    rc = store_line_settings_get(ac->st, ac->cmd->tenant_id, &s);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    ac->reply->object_id = ac->cmd->tenant_id;
    return apply_reply_object(ac, 200, apply_line_object(&s));
}

apply_rc_e
apply_line_disconnect(apply_ctx_t *ac)
{
    store_reach_t  who;
    unsigned       perms;
    int64_t        linked;
    int            rc, removed;

    if (apply_reach_load(ac, &who, &perms) != 0
        || apply_reach_require(ac, perms, HRX_PERM_INTEGRATIONS_ADMIN) != 0)
    {
        return ac->rc;
    }

    if (json_object_size(ac->cmd->args) != 0) {
        return apply_reject(ac, 400, "unknown_field", NULL,
                            "line.disconnect takes no arguments");
    }

    ac->reply->object_id = ac->cmd->tenant_id;

    rc = store_line_linked_count(ac->st, ac->cmd->tenant_id, &linked);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    if (linked > 0) {
        return apply_reject(ac, 409, "line_in_use", NULL,
                            "%lld candidate%s linked to LINE; LINE can be "
                            "disconnected once no candidate is",
                            (long long) linked,
                            linked == 1 ? " is" : "s are");
    }

    rc = store_line_settings_delete(ac->st, ac->cmd->tenant_id, &removed);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    return apply_reply_empty(ac);
}

/* -------------------------------------------------------------------- */
/* webhook */

typedef struct {
    apply_ctx_t   *ac;
    const char    *body;
    size_t         len;
    int64_t        delivery_id;
    int64_t        events;
    int64_t        stored;
    int            store_rc;        /* STORE_OK, or what failed */
} apply_line_hook_t;

static int
apply_line_event(void *data, const hrx_line_event_t *ev)
{
    apply_line_hook_t   *h = data;
    store_line_event_t   row;
    int64_t              cid;
    int                  rc, inserted;

    memset(&row, 0, sizeof(row));

    /* the worker derived an id where LINE gave none (hrx_line.c) */
    if (ev->webhook_event_id == NULL || ev->webhook_event_id[0] == '\0'
        || strlen(ev->webhook_event_id) > LINE_EVENT_ID_MAX)
    {
        return -1;
    }
    row.webhook_event_id = ev->webhook_event_id;

    row.type = (ev->type != NULL && ev->type[0] != '\0') ? ev->type
                                                          : "unknown";
    row.line_user_id = ev->user_id;
    row.message_type = ev->message_type;
    row.text = ev->text;
    row.occurred_at = ev->timestamp > 0 ? ev->timestamp : h->ac->now;
    row.redelivery = ev->redelivery;

    if (ev->user_id != NULL) {
        rc = store_line_candidate_of(h->ac->st, h->ac->cmd->tenant_id,
                                     ev->user_id, &cid);
        if (rc == STORE_OK) {
            row.candidate_id = cid;
        } else if (rc != STORE_NOTFOUND) {
            h->store_rc = rc;
            return -1;
        }
    }

    rc = store_line_event_insert(h->ac->st, h->ac->cmd->tenant_id,
                                 h->delivery_id, &row, &inserted);
    if (rc != STORE_OK) {
        h->store_rc = rc;
        return -1;
    }

    h->events++;
    h->stored += inserted;
    return 0;
}

/*
 * One element of "events" as the worker made it (hrx_line_events_extract):
 * [id, type, user_id, message_type, text, timestamp, redelivery].  0, or
 * -1 when it has another shape (a worker of another version: refused).
 */
static int
apply_line_event_of(const json_t *e, hrx_line_event_t *ev)
{
    const json_t  *v;
    const char   **text[5];
    size_t         i;

    memset(ev, 0, sizeof(*ev));
    text[0] = &ev->webhook_event_id;
    text[1] = &ev->type;
    text[2] = &ev->user_id;
    text[3] = &ev->message_type;
    text[4] = &ev->text;

    if (!json_is_array(e) || json_array_size(e) != 7) {
        return -1;
    }
    for (i = 0; i < 5; i++) {
        v = json_array_get(e, i);
        if (json_is_string(v)) {
            *text[i] = json_string_value(v);
        } else if (!json_is_null(v)) {
            return -1;
        }
    }
    v = json_array_get(e, 5);
    if (!json_is_integer(v)) {
        return -1;
    }
    ev->timestamp = json_integer_value(v);
    v = json_array_get(e, 6);
    if (!json_is_boolean(v)) {
        return -1;
    }
    ev->redelivery = json_is_true(v);
    ev->object = e;
    return 0;
}

apply_rc_e
apply_line_webhook(apply_ctx_t *ac)
{
    const json_t           *v, *events;
    store_line_settings_t   s;
    apply_line_hook_t       h;
    hrx_line_event_t        ev;
    size_t                  i;
    int                     rc;
    apply_rc_e              arc;

    /* only a worker that verified the signature sends it, as the system */
    if (ac->cmd->actor_id != 0) {
        return apply_reject(ac, 403, "forbidden", NULL,
                            "line.webhook comes from the webhook only");
    }

    v = json_object_get(ac->cmd->args, "body");
    events = json_object_get(ac->cmd->args, "events");
    if (!json_is_string(v) || !json_is_array(events)
        || json_object_size(ac->cmd->args) != 2)
    {
        return apply_reject(ac, 400, "invalid_args", "body",
                            "line.webhook takes the delivery's body, a "
                            "string, its events, an array, and nothing "
                            "else");
    }
    if (json_string_length(v) > LINE_BODY_MAX) {
        return apply_reject(ac, 413, "body_too_large", "body",
                            "a delivery is at most %d bytes", LINE_BODY_MAX);
    }
    rc = store_line_settings_get(ac->st, ac->cmd->tenant_id, &s);
    if (rc == STORE_NOTFOUND
        || (rc == STORE_OK && strcmp(s.state, "connected") != 0))
    {
        return apply_reject(ac, 404, "not_found", NULL,
                            "LINE is not connected for this tenant");
    }
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    memset(&h, 0, sizeof(h));
    h.ac = ac;
    h.body = json_string_value(v);
    h.len = json_string_length(v);
    h.store_rc = STORE_OK;

    rc = store_line_delivery_insert(ac->st, ac->cmd->tenant_id, h.body,
                                    h.len, ac->now, &h.delivery_id);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }
    ac->reply->object_id = h.delivery_id;

    /* the events as the worker took them out of the body it verified; a
     * refusal rolls back the command's savepoint, delivery included */
    for (i = 0; i < json_array_size(events); i++) {
        if (apply_line_event_of(json_array_get(events, i), &ev) != 0) {
            return apply_reject(ac, 400, "invalid_args", "events",
                                "event %zu is not [id, type, user, "
                                "message type, text, timestamp, "
                                "redelivery]", i);
        }
        if (apply_line_event(&h, &ev) != 0) {
            if (h.store_rc != STORE_OK) {
                return apply_store_unexpected(ac, h.store_rc);
            }
            return apply_reject(ac, 400, "invalid_args", "events",
                                "event %zu has no id", i);
        }
    }

    arc = apply_reply_object(ac, 200,
                             json_pack("{s:I, s:I, s:I}",
                                       "delivery_id",
                                       (json_int_t) h.delivery_id,
                                       "events", (json_int_t) h.events,
                                       "stored", (json_int_t) h.stored));
    if (arc == APPLY_OK) {
        /* timeline rows once the batch is durable */
        line_events_note();
    }
    return arc;
}
