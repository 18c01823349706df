/*
 * Bulk actions at and after T (docs/bulk-actions.md, "Execution at T"):
 * running due actions, settling them as the outbox reports deliveries,
 * and publishing their progress.  See bulk_run.c.
 */
#ifndef HRX_SCHED_BULK_RUN_H
#define HRX_SCHED_BULK_RUN_H

#include <stdint.h>

#include "hrx_shm.h"
#include "store.h"
#include "store_bulk.h"

typedef struct {
    const char  *public_url;      /* links in mail: <public_url>/f/<token> */
    const char  *mail_host;       /* right-hand side of Message-IDs */
    uint8_t      token_key[32];   /* hrx_token_key() */
} bulk_run_conf_t;

/* 0 / -1 (logged) */
int bulk_run_start(store_t *st, hrx_shm_t *shm, const bulk_run_conf_t *conf);

/* run every action due at now (unix ms), each in a transaction of its
 * own; 0, or -1 when the database failed (logged; tried again later) */
int bulk_run_due(int64_t now_ms);

/* the unix ms at which an action is due next (INT64_MAX: none waits);
 * bulk_run_changed(): a command created, edited or deleted one (its batch
 * is in hand: the next look reads what it wrote) */
int64_t bulk_run_next_at(void);
void bulk_run_changed(void);

/*
 * Called by the outbox, inside its open transaction, for a row of bulk
 * action bulk_action_id that reached a final state: delivered (1), or
 * failed (0) with reason ("smtp_rejected" / "delivery_failed") and
 * detail.  Moves the results row and the counters, applies the executed
 * label, settles the action when it was the last one pending.
 * STORE_OK or STORE_ERROR.
 */
int bulk_run_delivered(store_t *st, int64_t bulk_action_id,
    int64_t candidate_id, int delivered, const char *reason,
    const char *detail, int64_t now_ms);

/* after the outbox's transaction committed: publish progress of the
 * actions bulk_run_delivered() touched since the last call */
void bulk_run_publish(void);

void bulk_run_finish(void);

/*
 * What a message to a candidate is sent with, for every sender of mail
 * (bulk actions here, message.send in apply_message.c): the tenant's mail
 * settings, or until it has some the defaults -- the file transport and
 * From "<tenant name>" <no-reply@<mail host>>.  STORE_OK or STORE_ERROR.
 */
int bulk_run_mail_settings(store_t *st, int64_t tenant_id,
    store_mail_settings_t *mail);

/* the right-hand side of Message-IDs (--mail-host, or this host's name) */
const char *bulk_run_mail_host(void);

#endif /* HRX_SCHED_BULK_RUN_H */
