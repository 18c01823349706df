/*
 * The outbox sender (docs/bulk-actions.md, "Outbox and delivery";
 * docs/line.md, "Sending"): sends the rows other code queued in the
 * outbox table, mail and LINE pushes.  The database work
 * happens in the scheduler's one thread, the sending on a pool of
 * --mail-concurrency threads of outbox.c (libcurl blocks at the end of
 * every SMTP transaction; see outbox.c).
 *
 * The loop calls, every turn:
 *
 *     wait = outbox_pump(now_ms, max_wait_ms);
 *
 * which collects finished transfers, starts due rows up to the
 * concurrency limit, commits the outcomes together (one transaction: the
 * outbox rows and, for mail of a bulk action, bulk_run_delivered(), for
 * a message of a candidate's timeline its messages row), and
 * -- only while transfers are in flight -- waits for one to finish for at
 * most max_wait_ms.  It returns how long the loop may sleep before
 * the next call is needed: 0 while transfers are in flight (call again at
 * once), else the ms until the next queued row is due (capped at
 * OUTBOX_IDLE_MS, so rows queued by another transaction are noticed).
 */
#ifndef HRX_SCHED_OUTBOX_H
#define HRX_SCHED_OUTBOX_H

#include <stdint.h>

#include "hrx_crypto.h"
#include "store.h"

#define OUTBOX_IDLE_MS  1000

typedef struct {
    const char  *data_dir;        /* <data_dir>/outbox/ for the file
                                     transport */
    uint32_t     concurrency;     /* transfers at once (default 8) */
    uint32_t     retry_base_ms;   /* first retry after this (30000) */
    uint32_t     max_attempts;    /* then failed (8) */
    uint32_t     timeout_ms;      /* one SMTP transfer, all in (60000) */
    const char  *ca_file;         /* CURLOPT_CAINFO, or NULL (SMTP) */
    const char  *line_api_url;    /* pushes to <this>/v2/bot/message/push
                                     (https://api.line.me) */
    const char  *wa_api_url;      /* WhatsApp Cloud API base and */
    const char  *wa_api_version;  /* version: <url>/<version>/... */
    uint8_t      seal_key[HRX_KEY_SIZE];   /* opens smtp_password and the
                                              LINE access token */
} outbox_conf_t;

/* 0, or -1 after logging why (libcurl could not start) */
int outbox_start(store_t *st, const outbox_conf_t *conf);

uint32_t outbox_pump(uint64_t now_ms, uint32_t max_wait_ms);

/* transfers in flight now */
uint32_t outbox_in_flight(void);

/* abandon transfers in flight (their rows stay queued), free */
void outbox_finish(void);

#endif /* HRX_SCHED_OUTBOX_H */
