/*
 * A LINE webhook body as the worker receives it (shm/hrx_line.c): the
 * event extraction that runs before the delivery is acknowledged, and the
 * per-event walk the scheduler runs after.  Both must agree: a body the
 * worker accepts is one the scheduler can walk, event for event.
 */
#include "fuzz.h"
#include "hrx_line.h"

static int
count_event(void *ctx, const hrx_line_event_t *ev)
{
    (void) ev;
    (*(size_t *) ctx)++;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t  *events;
    char     err[256];
    size_t   walked = 0;
    int      rc;

    err[0] = '\0';
    events = hrx_line_events_extract(data, size, err, sizeof(err));
    rc = hrx_line_events(data, size, count_event, &walked, err, sizeof(err));
    if (events == NULL) {
        FUZZ_CHECK(err[0] != '\0');
        FUZZ_CHECK(rc != 0);
        return 0;
    }
    FUZZ_CHECK(json_is_array(events));
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(walked == json_array_size(events));
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t  *e = json_array_get(events, i);
        json_t  *id = json_array_get(e, 0);

        /* what the scheduler stores and dedups by: never empty or long */
        FUZZ_CHECK(json_is_array(e) && json_array_size(e) == 7);
        FUZZ_CHECK(json_is_string(id));
        FUZZ_CHECK(json_string_length(id) > 0
                   && json_string_length(id) <= HRX_LINE_EVENT_ID_MAX);
    }
    json_decref(events);
    return 0;
}
