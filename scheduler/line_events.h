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
 * In the batch's open transaction, before its commands: the deliveries
 * earlier batches stored become timeline rows, in a savepoint (a failure
 * is logged and rolls back only that).  line_events_batch_done() after
 * the batch: 1 committed (publish message.received), 0 rolled back.
 */
void line_events_in_batch(void);
void line_events_batch_done(int committed);

/*
 * When there are deliveries to parse and no batch: in transactions of their own (no
 * batch may be open), their events become timeline rows, and each row
 * made is published as message.received after its commit.  A failure
 * is logged and tried again on the next call.
 */
void line_events_run(void);

void line_events_finish(void);

#endif /* HRX_SCHED_LINE_EVENTS_H */
