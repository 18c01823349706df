/*
 * message.send: a recruiter writes to one candidate (docs/line.md,
 * "Sending"; SPEC LN-7, LN-8, LN-9).
 *
 * One command, one transaction, everything or nothing: for each channel
 * the message goes to, an outbox row holding the message exactly as it
 * will leave (the MIME message rendered by mime.c, or the LINE push body
 * made by hrx_line_push_body()) and the timeline's messages row pointing
 * at it (state queued).  The outbox sends it when next_attempt_at comes:
 * now, or send_at for a scheduled message -- the same send_at for the
 * email and its LINE copy (LN-9) -- and records the outcome on the
 * messages row (outbox.c).  The reply is 201 {"ids": [...]} of the
 * messages rows (email first); the worker reads them back.
 *
 *   channel "line"                   LINE only (LN-7, the LINE view)
 *   channel "email"                  email; with also_line, the same text
 *                                    to LINE too (LN-7)
 *
 * The rules, checked here against the state the command applies to (the
 * worker checked the shape first):
 *   - the actor operates on the candidate (apply_reach_ref: 404 when not,
 *     the candidate's existence is not revealed);
 *   - LINE needs the tenant's LINE connected (409 line_not_connected), a
 *     candidate not mailed through its agent (400 agent_route: LN-8, an
 *     agent never gets LINE) and linked to a LINE user (400
 *     not_line_friend);
 *   - email goes to the agent when the candidate's agent takes its mail
 *     (BA-10's rule), fails when that agent is disabled (400
 *     agent_disabled, BA-12's rule) or when there is no address (400
 *     no_email).
 * There are no attachments in this command: the "attachments are not
 * sent to LINE" of LN-7 holds by construction.  And this is the only
 * command that queues LINE besides bulk actions: automatic system mail
 * (TR) has no way to ask for it (LN-8).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrx_line.h"
#include "apply_reach.h"
#include "bulk_run.h"
#include "mail_transport.h"
#include "mime.h"
#include "store_bulk.h"
#include "store_message.h"

#define APPLY_MESSAGE_TEXT_MAX     25000      /* characters (5 LINE pushes) */
#define APPLY_MESSAGE_SUBJECT_MAX  255        /* as BA-12 */
#define APPLY_MESSAGE_LATE_MS      60000      /* send_at this far in the
                                                 past: refused */

static const char *const  apply_message_members[] = {
    "candidate_id", "channel", "subject", "text", "also_line", "send_at",
    NULL
};

/* the command, checked */
typedef struct {
    int64_t                candidate_id;
    int                    email;          /* channel email, else line */
    int                    line;           /* a LINE push (channel line, or
                                              also_line) */
    const char            *subject;
    const char            *text;
    size_t                 text_len;
    int64_t                send_at;        /* 0: now */
    store_message_cand_t   c;
} apply_message_t;

static int
apply_message_args(apply_ctx_t *ac, apply_message_t *m)
{
    const json_t  *args = ac->cmd->args, *v;
    const char    *key, *channel;
    size_t         i;

    json_object_foreach((json_t *) args, key, v) {
        for (i = 0; apply_message_members[i] != NULL; i++) {
            if (strcmp(key, apply_message_members[i]) == 0) {
                break;
            }
        }
        if (apply_message_members[i] == NULL) {
            apply_reject(ac, 400, "unknown_field", key,
                         "%s is not a member of a message", key);
            return -1;
        }
    }

    if (apply_arg_id(ac, args, "candidate_id", 1, &m->candidate_id) < 0
        || apply_arg_string(ac, args, NULL, "channel", 1, 1, 16, &channel)
           < 0
        || apply_arg_string(ac, args, NULL, "text", 1, 1,
                            APPLY_MESSAGE_TEXT_MAX, &m->text) < 0
        || apply_arg_string(ac, args, NULL, "subject", 0, 0,
                            APPLY_MESSAGE_SUBJECT_MAX, &m->subject) < 0
        || apply_arg_time(ac, args, "send_at", 0, &m->send_at) < 0)
    {
        return -1;
    }
    m->text_len = json_string_length(json_object_get(args, "text"));

    if (strcmp(channel, "email") == 0) {
        m->email = 1;
    } else if (strcmp(channel, "line") != 0) {
        apply_reject(ac, 400, "invalid_value", "channel",
                     "channel must be \"email\" or \"line\"");
        return -1;
    }

    v = json_object_get(args, "also_line");
    if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
        apply_reject(ac, 400, "invalid_type", "also_line",
                     "also_line must be true or false");
        return -1;
    }
    m->line = !m->email || json_is_true(v);

    if (!m->email && json_is_true(v)) {
        apply_reject(ac, 400, "not_allowed", "also_line",
                     "also_line goes with an email; a LINE message goes to "
                     "LINE anyway");
        return -1;
    }
    if (!m->email && m->subject != NULL) {
        apply_reject(ac, 400, "not_allowed", "subject",
                     "a LINE message has no subject");
        return -1;
    }
    if (m->email && (m->subject == NULL || m->subject[0] == '\0')) {
        apply_reject(ac, 400, "required", "subject",
                     "an email needs a subject");
        return -1;
    }
    if (m->subject != NULL && strpbrk(m->subject, "\r\n") != NULL) {
        apply_reject(ac, 400, "invalid_value", "subject",
                     "the subject must be one line");
        return -1;
    }

    /* the worker asked for the future; the ring may have taken a moment */
    if (m->send_at != 0 && m->send_at < ac->now - APPLY_MESSAGE_LATE_MS) {
        apply_reject(ac, 400, "invalid_value", "send_at",
                     "send_at must be in the future");
        return -1;
    }
    return 0;
}

/* the LINE rules (LN-8, LN-12's "connected"); 0 or -1 with the reply */
static int
apply_message_line_ok(apply_ctx_t *ac, const apply_message_t *m)
{
    const char  *field = m->email ? "also_line" : "channel";
    int          connected;

    if (store_message_line_connected(ac->st, ac->cmd->tenant_id, &connected)
        != STORE_OK)
    {
        apply_store_error(ac);
        return -1;
    }
    if (!connected) {
        apply_reject(ac, 409, "line_not_connected", field,
                     "LINE is not connected for this tenant");
        return -1;
    }
    if (m->c.agent && m->c.agent_takes_mail) {
        apply_reject(ac, 400, "agent_route", field,
                     "this candidate's messages go to the agent %s, and an "
                     "agent is never sent LINE messages", m->c.agent_name);
        return -1;
    }
    if (m->c.line_user_id[0] == '\0') {
        apply_reject(ac, 400, "not_line_friend", field,
                     "this candidate is not linked to LINE");
        return -1;
    }
    return 0;
}

/* queue the email: 0 with *outbox_id, or -1 with the reply set */
static int
apply_message_email(apply_ctx_t *ac, const apply_message_t *m,
    int64_t *outbox_id)
{
    store_mail_settings_t  mail;
    mime_message_t         mm;
    const char            *to, *to_name;
    char                   left[64], msgid[256], header[64], err[256];
    char                   name[2 * STORE_NAME_SIZE];
    char                  *msg;
    size_t                 len;
    int                    rc;

    if (m->c.agent && !m->c.agent_active) {
        apply_reject(ac, 400, "agent_disabled", "candidate_id",
                     "the candidate applied through the agent %s, who is "
                     "disabled", m->c.agent_name);
        return -1;
    }

    if (m->c.agent && m->c.agent_takes_mail) {
        to = m->c.agent_email;             /* BA-10: the agent's address */
        to_name = m->c.agent_name;
    } else {
        to = m->c.email;
        snprintf(name, sizeof(name), "%s%s%s", m->c.family_name,
                 m->c.given_name[0] ? " " : "", m->c.given_name);
        to_name = name;
    }
    if (to[0] == '\0') {
        apply_reject(ac, 400, "no_email", "candidate_id",
                     "there is no email address to send to");
        return -1;
    }

    if (bulk_run_mail_settings(ac->st, ac->cmd->tenant_id, &mail)
        != STORE_OK)
    {
        apply_store_error(ac);
        return -1;
    }

    snprintf(left, sizeof(left), "m.c%" PRId64, m->candidate_id);
    snprintf(header, sizeof(header), "X-Hrx-Candidate: %" PRId64,
             m->candidate_id);
    if (mime_message_id(left, bulk_run_mail_host(), msgid, sizeof(msgid))
        != 0)
    {
        apply_reject(ac, 500, "internal", NULL, "cannot make a Message-ID");
        return -1;
    }

    memset(&mm, 0, sizeof(mm));
    mm.from_email = mail.from_email;
    mm.from_name = mail.from_name[0] ? mail.from_name : NULL;
    mm.reply_to = mail.reply_to[0] ? mail.reply_to : NULL;
    mm.to_email = to;
    mm.to_name = to_name[0] ? to_name : NULL;
    mm.subject = m->subject;
    mm.message_id = msgid;
    mm.date_ms = m->send_at ? m->send_at : ac->now;
    mm.body_text = m->text;
    mm.body_text_len = m->text_len;
    mm.headers[0] = header;

    if (mime_build(&mm, &msg, &len, err, sizeof(err)) != 0) {
        apply_reject(ac, 400, "invalid_message", "candidate_id", "%s", err);
        return -1;
    }

    rc = store_message_outbox_queue(ac->st, ac->cmd->tenant_id, "email",
                                    m->candidate_id, to, mail.from_email,
                                    msgid, msg, len,
                                    m->send_at ? m->send_at : ac->now,
                                    ac->now, outbox_id);
    free(msg);
    if (rc != STORE_OK) {
        apply_store_error(ac);
        return -1;
    }
    return 0;
}

/* queue the LINE push: 0 with *outbox_id, or -1 with the reply set */
static int
apply_message_line(apply_ctx_t *ac, const apply_message_t *m,
    int64_t *outbox_id)
{
    json_t  *body;
    char    *s;
    char     key[MAIL_RETRY_KEY_SIZE];
    int      rc;

    body = hrx_line_push_body(m->c.line_user_id, m->text, m->text_len);
    if (body == NULL) {
        apply_reject(ac, 400, "too_long_for_line", "text",
                     "the text does not fit one LINE push (%d messages of "
                     "%d characters; emoji count twice)", HRX_LINE_PUSH_MAX,
                     HRX_LINE_TEXT_MAX);
        return -1;
    }
    s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (s == NULL || mail_line_retry_key(key) != 0) {
        free(s);
        apply_reject(ac, 500, "internal", NULL, "out of memory");
        return -1;
    }

    rc = store_message_outbox_queue(ac->st, ac->cmd->tenant_id, "line",
                                    m->candidate_id, m->c.line_user_id, NULL,
                                    key, s, strlen(s),
                                    m->send_at ? m->send_at : ac->now,
                                    ac->now, outbox_id);
    free(s);
    if (rc != STORE_OK) {
        apply_store_error(ac);
        return -1;
    }
    return 0;
}

/* the timeline row of outbox row outbox_id: its id, or NULL with the
 * reply set */
static json_t *
apply_message_row(apply_ctx_t *ac, const apply_message_t *m, int email,
    int64_t outbox_id)
{
    store_message_out_t  row;
    int64_t              id;

    memset(&row, 0, sizeof(row));
    row.tenant_id = ac->cmd->tenant_id;
    row.candidate_id = m->candidate_id;
    row.channel = email ? "email" : "line";
    row.subject = email ? m->subject : NULL;
    row.body = m->text;
    row.outbox_id = outbox_id;
    row.send_at = m->send_at;
    row.created_at = ac->now;
    row.created_by = ac->cmd->actor_id;

    if (store_message_insert_out(ac->st, &row, &id) != STORE_OK) {
        apply_store_error(ac);
        return NULL;
    }
    if (ac->reply->object_id == 0) {
        ac->reply->object_id = id;
    }
    return json_integer(id);
}

apply_rc_e
apply_message_send(apply_ctx_t *ac)
{
    apply_message_t  m;
    store_reach_t    who;
    unsigned         perms;
    json_t          *items, *obj;
    int64_t          email_outbox = 0, line_outbox = 0;
    int              rc;

    memset(&m, 0, sizeof(m));

    if (apply_message_args(ac, &m) != 0
        || apply_reach_load(ac, &who, &perms) != 0
        || apply_reach_ref(ac, &who, hrx_res(HRX_RES_CANDIDATE),
                           m.candidate_id, "candidate_id") != 0)
    {
        return ac->rc;
    }

    rc = store_message_candidate(ac->st, ac->cmd->tenant_id, m.candidate_id,
                                 &m.c);
    if (rc != STORE_OK) {
        return apply_store_unexpected(ac, rc);
    }

    /* every refusal before anything is written */
    if (m.line && apply_message_line_ok(ac, &m) != 0) {
        return ac->rc;
    }
    if ((m.email && apply_message_email(ac, &m, &email_outbox) != 0)
        || (m.line && apply_message_line(ac, &m, &line_outbox) != 0))
    {
        return ac->rc;
    }

    items = json_array();
    if (items == NULL) {
        return apply_reject(ac, 500, "internal", NULL, "out of memory");
    }
    if (m.email) {
        obj = apply_message_row(ac, &m, 1, email_outbox);
        if (obj == NULL || json_array_append_new(items, obj) != 0) {
            json_decref(items);
            return obj == NULL && ac->rc != APPLY_OK
                   ? ac->rc
                   : apply_reject(ac, 500, "internal", NULL,
                                  "out of memory");
        }
    }
    if (m.line) {
        obj = apply_message_row(ac, &m, 0, line_outbox);
        if (obj == NULL || json_array_append_new(items, obj) != 0) {
            json_decref(items);
            return obj == NULL && ac->rc != APPLY_OK
                   ? ac->rc
                   : apply_reject(ac, 500, "internal", NULL,
                                  "out of memory");
        }
    }

    /* ids only: the worker reads the messages back (a reply slot would
     * not hold a long text twice) */
    return apply_reply_object(ac, 201, json_pack("{so}", "ids", items));
}
