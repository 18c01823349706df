/*
 * LINE deliveries into the candidates' timelines, after the batch that
 * stored them committed, and the message.received live events.  See
 * line_events.c.
 */
#ifndef HRX_SCHED_LINE_EVENTS_H
#define HRX_SCHED_LINE_EVENTS_H

#include <stdint.h>

#include "hrx_shm.h"
#include "store.h"

/* broadcast record type of message.received */
#define LINE_EVENTS_BCAST_TYPE  2

/* at loop start: deliveries a previous run left unparsed are parsed on
 * the first call of line_events_run() */
void line_events_start(store_t *st, hrx_shm_t *shm);

/* a line.webhook was applied in the batch in hand (apply_line.c) */
void line_events_note(void);

/*
 * When there are deliveries to parse: in transactions of their own (no
 * batch may be open), their events become timeline rows, and each row
 * made is published as message.received after its commit.  A failure
 * is logged and tried again on the next call.
 */
void line_events_run(void);

void line_events_finish(void);

#endif /* HRX_SCHED_LINE_EVENTS_H */
