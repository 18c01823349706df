/*
 * The store, for the candidate's timeline and sending to it (docs/line.md,
 * "Sending"): the candidate as message.send needs it, queueing an outbox
 * row at a given time, the messages rows, and how their outcome is
 * recorded.  Same return codes and rules as store.h.
 */
#ifndef HRX_SCHED_STORE_MESSAGE_H
#define HRX_SCHED_STORE_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* LINE user ids are 33 characters */
#define STORE_MESSAGE_LINE_ID_SIZE  128

/* a candidate, for sending to it */
typedef struct {
    int64_t  id;
    char     family_name[STORE_NAME_SIZE];
    char     given_name[STORE_NAME_SIZE];        /* "" when none */
    char     email[STORE_EMAIL_SIZE];            /* "" when none */
    char     line_user_id[STORE_MESSAGE_LINE_ID_SIZE];
                                    /* "": not a LINE friend */
    int      agent;                 /* route 'agent' with an agent row */
    int      agent_active;
    int      agent_takes_mail;      /* route_to_agent: mail goes to it */
    char     agent_name[STORE_NAME_SIZE];
    char     agent_email[STORE_EMAIL_SIZE];
} store_message_cand_t;

/* candidate id of the tenant: STORE_OK, STORE_NOTFOUND, STORE_ERROR */
int store_message_candidate(store_t *st, int64_t tenant_id, int64_t id,
    store_message_cand_t *c);

/* *connected: the tenant's LINE settings say 'connected' (0 when it has
 * none) */
int store_message_line_connected(store_t *st, int64_t tenant_id,
    int *connected);

/* an outbox row of a candidate (no bulk action), queued and due at
 * next_attempt_at; *id the new row's */
int store_message_outbox_queue(store_t *st, int64_t tenant_id,
    const char *channel, int64_t candidate_id, const char *recipient,
    const char *sender, const char *message_id, const void *payload,
    size_t len, int64_t next_attempt_at, int64_t now, int64_t *id);

/* an outgoing timeline row, state queued */
typedef struct {
    int64_t      tenant_id;
    int64_t      candidate_id;
    const char  *channel;          /* "email" / "line" */
    const char  *subject;          /* NULL for LINE */
    const char  *body;
    int64_t      outbox_id;
    int64_t      send_at;          /* 0: NULL (now) */
    int64_t      created_at;
    int64_t      created_by;       /* 0: NULL (the system) */
} store_message_out_t;

int store_message_insert_out(store_t *st, const store_message_out_t *m,
    int64_t *id);

/* the outgoing message of outbox row outbox_id is state ("sent" /
 * "failed") with error (NULL: none); no such message is not an error */
int store_message_settle(store_t *st, int64_t outbox_id, const char *state,
    const char *error);

/* the LINE push of a bulk action's candidate finally failed: its result
 * row's "line" goes back to 0 (the email result is left alone) */
int store_message_bulk_line_failed(store_t *st, int64_t bulk_action_id,
    int64_t candidate_id);

#endif /* HRX_SCHED_STORE_MESSAGE_H */
