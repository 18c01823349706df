/*
 * whatsapp.webhook (docs/whatsapp.md, WA-2, WA-13): a delivery whose
 * X-Hub-Signature-256 a worker verified with the number's app secret.
 *
 * The raw body comes inline ("body") or, when it is larger than a ring
 * record should be (Meta batches up to about 3 MB), in an import spool
 * file the worker wrote and fsync'd ("file", removed with the commit of
 * the batch: spool.c).  It is stored as it came (whatsapp_deliveries)
 * and, in the same transaction, every item of every entry[] and
 * changes[] becomes a whatsapp_events row with INSERT OR IGNORE on
 * (tenant, kind, dedup key): messages by wamid, statuses by wamid and
 * status, template status updates by template id, event and time -- so
 * a redelivery, or the same item in two deliveries, is stored once, and
 * a template's new status is in effect as soon as the 200 is sent.  The
 * scheduler parses the body itself (the worker parsed it too, to refuse
 * what is not a delivery): one code path for inline and spooled bodies,
 * hrx_wa_delivery_each() of shm/hrx_whatsapp.c for both.
 *
 * An item naming a phone number id that is not one of this tenant's
 * numbers is stored with number_id NULL and matched to nobody: a tenant's
 * app secret cannot put messages into another tenant's timeline.  A
 * message's sender is matched by E.164 number (hrx_wa_e164) to the
 * tenant's candidate with that whatsapp_number, and a new message of a
 * candidate becomes its timeline row (messages, channel whatsapp) in the
 * same transaction: acknowledged means in the timeline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrx_import.h"
#include "hrx_whatsapp.h"
#include "apply_reach.h"
#include "apply_resource.h"
#include "log.h"
#include "spool.h"
#include "store_whatsapp.h"

typedef struct {
    apply_ctx_t   *ac;
    int64_t        delivery_id;
    int64_t        items;
    int64_t        stored;
    int64_t        timeline;
    int64_t        created;
    int            store_rc;
} apply_wa_hook_t;

/*
 * An unknown sender becomes a candidate (the number's unknown_senders is
 * "candidate"): family name the WhatsApp profile name (at most 100
 * characters, cut on a character boundary) or, without one, the number;
 * whatsapp_number the E.164 number.  Made as the system, through the
 * resource code every candidate create goes through.  0, or -1 with the
 * reply set.
 */
static int
apply_wa_new_candidate(apply_ctx_t *ac, const char *profile,
    const char *e164, int64_t *id)
{
    apply_res_op_t   op;
    json_t          *args;
    char             name[401];
    size_t           i, chars;
    int              rc;

    chars = 0;
    i = 0;
    if (profile != NULL) {
        for (; profile[i] != '\0' && i < sizeof(name) - 5; i++) {
            if (((unsigned char) profile[i] & 0xc0) != 0x80
                && ++chars > 100)
            {
                break;
            }
            name[i] = profile[i];
        }
    }
    name[i] = '\0';
    /* trailing spaces only: a name of spaces is no name */
    while (i > 0 && name[i - 1] == ' ') {
        name[--i] = '\0';
    }

    args = json_pack("{s:s, s:s}", "family_name", i > 0 ? name : e164,
                     "whatsapp_number", e164);
    if (args == NULL) {
        apply_reject(ac, 500, "internal", NULL, "out of memory");
        return -1;
    }

    memset(&op, 0, sizeof(op));
    op.res = hrx_res(HRX_RES_CANDIDATE);
    op.action = HRX_RES_CREATE;
    op.args = args;

    rc = apply_reach_load(ac, &op.who, &op.perms);
    if (rc == 0) {
        rc = apply_res_apply(ac, &op);
    }
    json_decref(args);
    if (rc != 0) {
        return -1;
    }
    *id = op.id;
    return 0;
}

/*
 * The timeline's kind of a message: what it is, as WhatsApp names it
 * (the text shown is its text, caption or reply title); a type hrx does
 * not know, or Meta's "unsupported", is "unsupported" -- recorded, never
 * dropped.  Media are not fetched yet.
 */
static const char *
apply_wa_timeline_kind(const char *type)
{
    static const char *const  known[] = {
        "text", "image", "document", "audio", "video", "sticker",
        "location", "contacts", "button", "interactive", "reaction", NULL
    };
    size_t  i;

    for (i = 0; known[i] != NULL; i++) {
        if (strcmp(type, known[i]) == 0) {
            return known[i];
        }
    }
    return "unsupported";
}

static int
apply_wa_item(void *data, const hrx_wa_item_t *it)
{
    apply_wa_hook_t   *h = data;
    store_wa_event_t   e;
    char               key[HRX_WA_WAMID_MAX + 80], e164[17];
    int64_t            id;
    int                rc, inserted, new_candidates;

    memset(&e, 0, sizeof(e));
    e.delivery_id = h->delivery_id;
    e.occurred_at = it->timestamp > 0 ? it->timestamp * 1000 : h->ac->now;

    new_candidates = 0;

    if (it->phone_number_id != NULL) {
        rc = store_wa_number_of(h->ac->st, h->ac->cmd->tenant_id,
                                it->phone_number_id, &id, &new_candidates);
        if (rc == STORE_OK) {
            e.number_id = id;
        } else if (rc != STORE_NOTFOUND) {
            h->store_rc = rc;
            return -1;
        }
    }

    switch (it->kind) {

    case HRX_WA_MESSAGE:
        e.kind = "message";
        e.dedup_key = it->wamid;
        e.wamid = it->wamid;
        e.wa_id = it->from;
        e.type = it->type ? it->type : "unknown";
        e.text = it->text;
        e.error_code = it->error_code;
        e.error_title = it->error_title;
        if (hrx_wa_e164(it->from, e164) == 0) {
            e.phone = e164;
            if (e.number_id != 0) {
                rc = store_wa_candidate_of(h->ac->st, h->ac->cmd->tenant_id,
                                           e164, &id);
                if (rc == STORE_OK) {
                    e.candidate_id = id;
                } else if (rc != STORE_NOTFOUND) {
                    h->store_rc = rc;
                    return -1;
                }
            }
        }
        break;

    case HRX_WA_STATUS:
        snprintf(key, sizeof(key), "%s %s", it->wamid, it->status);
        e.kind = "status";
        e.dedup_key = key;
        e.wamid = it->wamid;
        e.wa_id = it->recipient;
        e.status = it->status;
        e.error_code = it->error_code;
        e.error_title = it->error_title;
        break;

    case HRX_WA_TEMPLATE:
        snprintf(key, sizeof(key), "%s %s %lld", it->template_id, it->event,
                 (long long) it->timestamp);
        e.kind = "template_status";
        e.dedup_key = key;
        e.template_id = it->template_id;
        e.template_name = it->template_name;
        e.language = it->language;
        e.status = it->event;
        e.reason = it->reason;
        break;
    }

    rc = store_wa_event_insert(h->ac->st, h->ac->cmd->tenant_id, &e,
                               &inserted, &id);
    if (rc != STORE_OK) {
        h->store_rc = rc;
        return -1;
    }
    h->items++;
    h->stored += inserted;

    /* a new message of a sender no candidate has: per the number */
    if (inserted && it->kind == HRX_WA_MESSAGE && e.candidate_id == 0
        && e.phone != NULL && e.number_id != 0 && new_candidates)
    {
        if (apply_wa_new_candidate(h->ac, it->profile_name, e.phone,
                                   &e.candidate_id) != 0)
        {
            return -1;              /* the reply is set */
        }
        rc = store_wa_event_candidate(h->ac->st, id, e.candidate_id);
        if (rc != STORE_OK) {
            h->store_rc = rc;
            return -1;
        }
        h->created++;
    }

    /* a new message of a known candidate: its timeline row, now */
    if (inserted && e.candidate_id != 0) {
        rc = store_wa_timeline_insert(h->ac->st, h->ac->cmd->tenant_id,
                                      e.candidate_id,
                                      apply_wa_timeline_kind(e.type),
                                      e.text, id, e.occurred_at);
        if (rc != STORE_OK) {
            h->store_rc = rc;
            return -1;
        }
        h->timeline++;
    }
    return 0;
}

/* the spooled body, read whole (at most HRX_WA_BODY_MAX); NULL: told */
static char *
apply_wa_read_file(apply_ctx_t *ac, const char *name, size_t *len)
{
    char   path[4096], *buf;
    FILE  *fp;
    long   size;

    if (!hrx_import_name_valid(name) || spool_path(name, path, sizeof(path))
        != 0)
    {
        apply_reject(ac, 400, "invalid_args", "file",
                     "file is not the name of a spool file");
        return NULL;
    }
    ac->reply->spool = strdup(path);
    if (ac->reply->spool == NULL) {
        apply_reject(ac, 500, "internal", NULL, "out of memory");
        return NULL;
    }
    fp = fopen(path, "re");
    if (fp == NULL) {
        log_error("whatsapp.webhook at %llu: cannot open %s: %s",
                  (unsigned long long) ac->pos, path, strerror(errno));
        apply_reject(ac, 409, "delivery_gone", "file",
                     "the spooled delivery is no longer there");
        return NULL;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0
        || size > HRX_WA_BODY_MAX || fseek(fp, 0, SEEK_SET) != 0)
    {
        fclose(fp);
        apply_reject(ac, 413, "body_too_large", "file",
                     "a delivery is at most %d bytes", HRX_WA_BODY_MAX);
        return NULL;
    }
    buf = malloc((size_t) size + 1);
    if (buf == NULL || fread(buf, 1, (size_t) size, fp) != (size_t) size) {
        free(buf);
        fclose(fp);
        apply_reject(ac, 500, "internal", "file",
                     "the spooled delivery cannot be read");
        return NULL;
    }
    fclose(fp);
    buf[size] = '\0';
    *len = (size_t) size;
    return buf;
}

apply_rc_e
apply_whatsapp_webhook(apply_ctx_t *ac)
{
    const json_t     *v, *f;
    const char       *body;
    char             *owned, err[200];
    size_t            len;
    int64_t           number_id, id;
    json_t           *root;
    json_error_t      jerr;
    apply_wa_hook_t   h;
    unsigned          skipped;
    int               rc;

    if (ac->cmd->actor_id != 0) {
        return apply_reject(ac, 403, "forbidden", NULL,
                            "whatsapp.webhook comes from the webhook only");
    }

    v = json_object_get(ac->cmd->args, "body");
    f = json_object_get(ac->cmd->args, "file");
    if (apply_arg_id(ac, ac->cmd->args, "number_id", 1, &number_id) < 0) {
        return ac->rc;
    }
    if (json_object_size(ac->cmd->args) != 2
        || !(json_is_string(v) || json_is_string(f)))
    {
        return apply_reject(ac, 400, "invalid_args", "body",
                            "whatsapp.webhook takes number_id and the body "
                            "or the file holding it");
    }

    owned = NULL;
    if (json_is_string(f)) {
        owned = apply_wa_read_file(ac, json_string_value(f), &len);
        if (owned == NULL) {
            return ac->rc;
        }
        body = owned;
    } else {
        body = json_string_value(v);
        len = json_string_length(v);
        if (len > HRX_WA_BODY_MAX) {
            return apply_reject(ac, 413, "body_too_large", "body",
                                "a delivery is at most %d bytes",
                                HRX_WA_BODY_MAX);
        }
    }

    /* the number may have been disconnected since the worker checked */
    rc = store_wa_number_exists(ac->st, ac->cmd->tenant_id, number_id);
    if (rc == STORE_NOTFOUND) {
        free(owned);
        return apply_reject(ac, 404, "not_found", "number_id",
                            "this WhatsApp number is not connected");
    }
    if (rc != STORE_OK) {
        free(owned);
        return apply_store_unexpected(ac, rc);
    }

    root = json_loadb(body, len, 0, &jerr);
    if (root == NULL) {
        free(owned);
        return apply_reject(ac, 400, "invalid_body", "body",
                            "not JSON: %s", jerr.text);
    }

    memset(&h, 0, sizeof(h));
    h.ac = ac;
    h.store_rc = STORE_OK;

    rc = store_wa_delivery_insert(ac->st, ac->cmd->tenant_id, number_id, body,
                                  len, ac->now, &id);
    free(owned);
    if (rc != STORE_OK) {
        json_decref(root);
        return apply_store_unexpected(ac, rc);
    }
    h.delivery_id = id;
    ac->reply->object_id = id;

    rc = hrx_wa_delivery_each(root, apply_wa_item, &h, &skipped, err,
                              sizeof(err));
    json_decref(root);
    if (rc != 0) {
        if (h.store_rc != STORE_OK) {
            return apply_store_unexpected(ac, h.store_rc);
        }
        if (ac->rc != APPLY_OK) {
            return ac->rc;          /* a candidate could not be made */
        }
        return apply_reject(ac, 400, "invalid_body", "body", "%s", err);
    }

    return apply_reply_object(ac, 200,
                              json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
                                        "delivery_id", (json_int_t) id,
                                        "items", (json_int_t) h.items,
                                        "stored", (json_int_t) h.stored,
                                        "timeline", (json_int_t) h.timeline,
                                        "candidates",
                                        (json_int_t) h.created,
                                        "skipped", (json_int_t) skipped));
}
