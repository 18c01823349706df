/*
 * The store, for WhatsApp (docs/whatsapp.md): the tenant's connected
 * numbers.  Same return codes and rules as store.h.
 */
#ifndef HRX_SCHED_STORE_WHATSAPP_H
#define HRX_SCHED_STORE_WHATSAPP_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_WA_SEALED_MAX   (2048 + 28)   /* a sealed secret, bytes */

/* a sealed secret as stored (hrx_seal() output) */
typedef struct {
    const void  *data;
    size_t       len;
} store_wa_blob_t;

/* what whatsapp_number.set stores: the secrets sealed by the worker */
typedef struct {
    int64_t           id;                  /* 0: a new number */
    const char       *nickname;
    const char       *waba_id;
    const char       *phone_number_id;
    store_wa_blob_t   access_token;
    store_wa_blob_t   app_secret;
    store_wa_blob_t   verify_token;
    const char       *display_phone_number; /* NULL: none */
    const char       *verified_name;
    const char       *quality_rating;
    const char       *unknown_senders;     /* candidate / contact */
} store_wa_number_set_t;

/* insert (s->id 0: *id the new row's) or replace number s->id of the
 * tenant: STORE_OK, STORE_NOTFOUND (no such number of the tenant),
 * STORE_CONFLICT (the phone number id is another row's) */
int store_wa_number_set(store_t *st, int64_t tenant_id,
    const store_wa_number_set_t *s, int64_t now, int64_t by, int64_t *id);
/* remove number id of the tenant: STORE_OK or STORE_NOTFOUND */
int store_wa_number_delete(store_t *st, int64_t tenant_id, int64_t id);

/* webhooks (WA-2): the tenant's number with this phone number id (and
 * *new_candidates 1 when its unknown senders become candidates), the
 * candidate with this E.164 whatsapp_number (STORE_OK with *id, or
 * STORE_NOTFOUND) */
int store_wa_number_of(store_t *st, int64_t tenant_id,
    const char *phone_number_id, int64_t *id, int *new_candidates);
/* the candidate an event's sender became (an unknown sender) */
int store_wa_event_candidate(store_t *st, int64_t event_id, int64_t cid);
int store_wa_candidate_of(store_t *st, int64_t tenant_id, const char *e164,
    int64_t *id);

/* number id is the tenant's: STORE_OK or STORE_NOTFOUND */
int store_wa_number_exists(store_t *st, int64_t tenant_id, int64_t id);

/* the raw delivery, as Meta signed it */
int store_wa_delivery_insert(store_t *st, int64_t tenant_id,
    int64_t number_id, const void *body, size_t len, int64_t now,
    int64_t *id);

/* one item of a delivery; NULL / 0 members are stored as NULL */
typedef struct {
    int64_t      delivery_id;
    int64_t      number_id;
    const char  *kind;                  /* message, status, template_status */
    const char  *dedup_key;
    const char  *wamid, *wa_id, *phone;
    int64_t      candidate_id;
    const char  *type, *text, *status;
    int64_t      error_code;
    const char  *error_title;
    const char  *template_id, *template_name, *language, *reason;
    int64_t      occurred_at;           /* ms */
} store_wa_event_t;

/* INSERT OR IGNORE on (tenant, kind, dedup_key): *inserted 0 for a
 * redelivered item, else 1 and *event_id the new row's */
int store_wa_event_insert(store_t *st, int64_t tenant_id,
    const store_wa_event_t *e, int *inserted, int64_t *event_id);

/* a timeline row (messages: channel whatsapp, direction in) */
int store_wa_timeline_insert(store_t *st, int64_t tenant_id,
    int64_t candidate_id, const char *kind, const char *body,
    int64_t event_id, int64_t at);

#endif
