/*
 * The store, for the outbox sender (outbox.c): picking due rows, loading
 * one, recording what became of it, and the parts of a tenant's mail
 * settings only the sender needs (the sealed SMTP password, the sealed
 * LINE access token).  Same return codes and rules as store.h.  Email and
 * LINE rows share the table and this sender (docs/line.md, "Sending").
 */
#ifndef HRX_SCHED_STORE_OUTBOX_H
#define HRX_SCHED_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_bulk.h"

/* a queued row; the strings and payload are malloc()ed: free with
 * store_outbox_row_free() */
typedef struct {
    int64_t   id;
    int       line;               /* channel 'line', else 'email' */
    int64_t   tenant_id;
    int64_t   bulk_action_id;     /* 0: NULL */
    int64_t   candidate_id;       /* 0: NULL */
    char     *recipient;          /* address / LINE user id */
    char     *sender;             /* NULL: none stored */
    char     *message_id;         /* Message-ID / X-Line-Retry-Key */
    uint8_t  *payload;            /* MIME message / push JSON */
    size_t    len;
    int64_t   attempts;           /* made so far */
} store_outbox_row_t;

/*
 * Up to max ids of queued rows (both channels) due at now (next_attempt_at <= now),
 * oldest due first, leaving out the nskip ids in skip (those in flight
 * or with an outcome not yet committed).  *n gets how many.
 */
int store_outbox_due(store_t *st, int64_t now, const int64_t *skip,
    size_t nskip, int64_t *ids, size_t max, size_t *n);

/* the earliest next_attempt_at after `after` of a queued row:
 * STORE_OK and *at, or STORE_NOTFOUND */
int store_outbox_next_due(store_t *st, int64_t after, int64_t *at);

/* the row, if it is still queued: STORE_OK, STORE_NOTFOUND, STORE_ERROR */
int store_outbox_get(store_t *st, int64_t id, store_outbox_row_t *row);
void store_outbox_row_free(store_outbox_row_t *row);

/*
 * What became of a queued row after its attempt number `attempts`.  Each
 * changes only a row still queued; *changed says whether it did (a row
 * settled meanwhile is left alone, and its bulk action must not be told
 * twice).
 */
int store_outbox_sent(store_t *st, int64_t id, int64_t attempts,
    int64_t now, int *changed);
int store_outbox_failed(store_t *st, int64_t id, int64_t attempts,
    const char *error, int *changed);
int store_outbox_retry(store_t *st, int64_t id, int64_t attempts,
    int64_t next_attempt_at, const char *error, int *changed);

/*
 * The tenant's mail settings (store_bulk.h's struct) and the stored,
 * still sealed, SMTP password into sealed (size bytes; *sealed_len 0 when
 * none).  STORE_NOTFOUND when the tenant has no row (file transport);
 * STORE_ERROR also when a value does not fit.
 */
int store_outbox_mail_settings(store_t *st, int64_t tenant_id,
    store_mail_settings_t *m, uint8_t *sealed, size_t size,
    size_t *sealed_len);

/*
 * The tenant's LINE settings as the sender needs them: *connected (state
 * 'connected') and the sealed access token into sealed (size bytes).
 * STORE_NOTFOUND when the tenant has none; STORE_ERROR also when the
 * token does not fit.
 */
int store_outbox_line_settings(store_t *st, int64_t tenant_id,
    int *connected, uint8_t *sealed, size_t size, size_t *sealed_len);

#endif /* HRX_SCHED_STORE_OUTBOX_H */
