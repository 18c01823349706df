/*
 * Telling workers which replies are ready (bells.c, shm/hrx_bell.h).
 */
#ifndef HRX_SCHED_BELLS_H
#define HRX_SCHED_BELLS_H

#include <stdint.h>

#include "hrx_shm.h"

void bells_start(hrx_shm_t *shm, const char *data_dir);
/* a reply was published into slot; bells_flush() after the batch tells
 * each worker that had one, in one write each */
void bells_note(uint32_t slot);
void bells_flush(void);
void bells_finish(void);

#endif /* HRX_SCHED_BELLS_H */
