/*
 * The store, for bulk actions (docs/bulk-actions.md): the reservations,
 * their per-candidate results, queueing their mail in the outbox, and the
 * tenant's mail settings.  Same return codes and rules as store.h.
 */
#ifndef HRX_SCHED_STORE_BULK_H
#define HRX_SCHED_STORE_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "hrx_bulk.h"
#include "store.h"

#define STORE_BULK_STATUS_SIZE  32

typedef struct {
    int64_t  id;
    int64_t  tenant_id;
    char     name[STORE_NAME_SIZE];
    int      kind;                        /* hrx_bulk_kind_e */
    char     status[STORE_BULK_STATUS_SIZE];
    int64_t  run_at;
    int64_t  saved_search_id;
    int64_t  search_group_id;             /* of the saved search */
    int64_t  template_id;
    int64_t  form_id;                     /* 0: NULL, and below */
    int64_t  event_id;
    int64_t  event_group_id;
    int64_t  executed_label_id;
    int      also_line;
    int64_t  hits;                        /* -1: NULL */
    int64_t  reached;
    int64_t  failed;
    int64_t  pending;
    int64_t  updated_by;                  /* the last editor; 0: system */
} store_bulk_t;

/* tenant_id 0: in whatever tenant (the scheduler's own work) */
int store_bulk_get(store_t *st, int64_t tenant_id, int64_t id,
    store_bulk_t *b);
/* actions waiting or on hold in the tenant (BA-3) */
int store_bulk_count_reserved(store_t *st, int64_t tenant_id, int64_t *n);
/* name, kind, run_at, the ids, also_line, status from b */
int store_bulk_insert(store_t *st, const store_bulk_t *b, int64_t estimate,
    int64_t at, int64_t by, int64_t *id);
int store_bulk_update(store_t *st, const store_bulk_t *b, int64_t estimate,
    int64_t at, int64_t by);
int store_bulk_delete(store_t *st, int64_t tenant_id, int64_t id);

/* the waiting action with the earliest run_at <= now: STORE_OK and *id
 * and *tenant_id, or STORE_NOTFOUND */
/* the earliest run_at of a waiting action; STORE_NOTFOUND: none waits */
int store_bulk_next_run_at(store_t *st, int64_t *at);
int store_bulk_next_due(store_t *st, int64_t now, int64_t *id,
    int64_t *tenant_id);
/* the action starts (status running, error or a final one); hits < 0,
 * late_ms <= 0, finished_at <= 0 and NULL codes store NULL */
int store_bulk_start(store_t *st, int64_t id, const char *status,
    int64_t hits, int64_t failed, int64_t pending, int64_t started_at,
    int64_t late_ms, int64_t finished_at, const char *error_code,
    const char *error_message);
/* a running action with nothing pending gets its final status */
int store_bulk_finish(store_t *st, int64_t id, const char *status,
    const char *error_code, const char *error_message, int64_t finished_at);

int store_bulk_result_insert(store_t *st, int64_t action_id,
    int64_t candidate_id, const char *candidate_name, int to_agent,
    const char *email, int line, const char *state, const char *reason,
    const char *detail);
/* a pending result becomes reached (delivered) or failed: *changed 1,
 * and the action's counters move; 0 when it was not pending */
int store_bulk_result_settle(store_t *st, int64_t action_id,
    int64_t candidate_id, int delivered, const char *reason,
    const char *detail, int *changed);
/* the executed label (BA-7), when the candidate and label still exist */
int store_bulk_label(store_t *st, int64_t tenant_id, int64_t candidate_id,
    int64_t label_id, int64_t now);

/* hrx_bulk_evaluate() / hrx_bulk_count_hits() on the store's connection;
 * their own return codes */
int store_bulk_evaluate(store_t *st, const hrx_bulk_def_t *def, int64_t now,
    int render, hrx_bulk_link_pt link, void *link_ctx,
    hrx_bulk_visit_pt visit, void *visit_ctx, hrx_bulk_sum_t *sum,
    hrx_bulk_error_t *err);
int store_bulk_count_hits(store_t *st, int64_t tenant_id,
    int64_t saved_search_id, int64_t *hits, hrx_bulk_error_t *err);

/* a message for the outbox (state queued, due now) */
int store_outbox_queue(store_t *st, int64_t tenant_id, const char *channel,
    int64_t action_id, int64_t candidate_id, const char *recipient,
    const char *sender, const char *message_id, const void *payload,
    size_t len, int64_t now);

/* the tenant's mail settings, as the outbox and the API see them */
typedef struct {
    char     transport[16];                /* "file" / "smtp" */
    char     smtp_host[256];
    int64_t  smtp_port;
    char     smtp_security[16];
    char     smtp_username[256];
    int      has_password;
    char     from_email[STORE_EMAIL_SIZE];
    char     from_name[STORE_NAME_SIZE];
    char     reply_to[STORE_EMAIL_SIZE];
} store_mail_settings_t;

int store_mail_settings_get(store_t *st, int64_t tenant_id,
    store_mail_settings_t *m);
/* insert or replace; password NULL with keep_password keeps the stored
 * one, NULL without clears it */
int store_mail_settings_set(store_t *st, int64_t tenant_id,
    const store_mail_settings_t *m, const void *password, size_t plen,
    int keep_password, int64_t at, int64_t by);

#endif /* HRX_SCHED_STORE_BULK_H */
