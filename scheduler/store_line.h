/*
 * The store, for LINE (docs/line.md): the tenant's channel settings, the
 * raw webhook deliveries, their events and the timeline rows made from
 * them.  Same return codes and rules as store.h.
 */
#ifndef HRX_SCHED_STORE_LINE_H
#define HRX_SCHED_STORE_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_LINE_ID_SIZE      64         /* channel ids, basic id */
#define STORE_LINE_SEALED_MAX   (2048 + 28) /* a sealed secret, bytes */
#define STORE_LINE_EVENT_ID_SIZE  128
#define STORE_LINE_TYPE_SIZE    64

typedef struct {
    char      channel_id[STORE_LINE_ID_SIZE];
    char      login_channel_id[STORE_LINE_ID_SIZE];
    char      state[16];                   /* connected / disconnected */
    char      bot_basic_id[STORE_LINE_ID_SIZE];     /* "" when NULL */
    char      bot_name[STORE_NAME_SIZE];            /* "" when NULL */
    int64_t   connected_at;                /* 0: NULL */
    int64_t   updated_at;
    int64_t   updated_by;                  /* 0: NULL */
} store_line_settings_t;

/* a sealed secret as stored (hrx_seal() output) */
typedef struct {
    const void  *data;
    size_t       len;
} store_line_blob_t;

/* what line_settings.set stores: the secrets sealed by the worker */
typedef struct {
    const char         *channel_id;
    const char         *login_channel_id;
    store_line_blob_t   channel_secret;
    store_line_blob_t   access_token;
    store_line_blob_t   login_channel_secret;
    const char         *bot_basic_id;       /* NULL: none */
    const char         *bot_name;
} store_line_set_t;

/* the tenant's settings (never a secret): STORE_OK, STORE_NOTFOUND */
int store_line_settings_get(store_t *st, int64_t tenant_id,
    store_line_settings_t *s);
/* replace them, connected now */
int store_line_settings_set(store_t *st, int64_t tenant_id,
    const store_line_set_t *s, int64_t now, int64_t by);
/* remove them (*removed 1 when there were some) */
int store_line_settings_delete(store_t *st, int64_t tenant_id,
    int *removed);
/* candidates of the tenant with a LINE link (LN-10) */
int store_line_linked_count(store_t *st, int64_t tenant_id, int64_t *n);

/* the candidate of the tenant linked to a LINE user: STORE_OK with *id,
 * or STORE_NOTFOUND */
int store_line_candidate_of(store_t *st, int64_t tenant_id,
    const char *line_user_id, int64_t *id);

/* a raw delivery, unparsed: *id its row */
int store_line_delivery_insert(store_t *st, int64_t tenant_id,
    const void *body, size_t len, int64_t now, int64_t *id);

typedef struct {
    const char  *webhook_event_id;
    const char  *type;
    const char  *line_user_id;      /* NULL: none */
    int64_t      candidate_id;      /* 0: not linked */
    const char  *message_type;      /* NULL: none */
    const char  *text;              /* NULL: none */
    int64_t      occurred_at;
    int          redelivery;
} store_line_event_t;

/* INSERT OR IGNORE on (tenant_id, webhook_event_id): *inserted 0 for a
 * redelivery of an event already stored */
int store_line_event_insert(store_t *st, int64_t tenant_id,
    int64_t delivery_id, const store_line_event_t *ev, int *inserted);

/* the oldest unparsed deliveries: up to max ids into ids, *n of them */
int store_line_unparsed(store_t *st, int64_t *ids, size_t max, size_t *n);

/* one timeline row made from an event */
typedef void (*store_line_message_pt)(void *ctx, int64_t tenant_id,
    int64_t candidate_id, int64_t message_id);

/*
 * The timeline rows of delivery id (messages, direction in, channel line,
 * one per event of that delivery from a linked candidate that still
 * exists and has a kind: text, unsupported, follow, unfollow; created_at
 * the event's time), and the delivery marked parsed.  each() is called
 * for every row made.
 */
int store_line_delivery_parse(store_t *st, int64_t delivery_id,
    store_line_message_pt each, void *ctx);

#endif /* HRX_SCHED_STORE_LINE_H */
