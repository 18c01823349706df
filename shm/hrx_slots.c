/*
 * Reply slots.  Every transition is a CAS on the slot's word
 * (gen << 32 | state), and each state has one owner who alone may write the
 * slot's other fields:
 *
 *   FREE(g) --claim (worker)--> CLAIMED(g+1)
 *   CLAIMED(g) --publish (scheduler)--> WRITING(g) --> READY(g)
 *   READY(g) --free / abandon (worker)--> FREE(g)
 *   CLAIMED(g) --free--> FREE(g)          --abandon--> ABANDONED(g)
 *   WRITING(g) --free / abandon--> ABANDONED(g)
 *   ABANDONED(g) --publish or reclaim (scheduler)--> FREE(g)
 *   anything but FREE/WRITING --reclaim (scheduler)--> FREE(g)
 *
 * WRITING exists so that the scheduler writes the body only while it owns
 * the slot: a worker that gives up meanwhile turns WRITING into ABANDONED,
 * the scheduler's final WRITING -> READY CAS then fails and it frees the
 * slot instead.  A reply for an old generation never matches the word.
 *
 * owner_pid is written by the claimer after its CAS, so for a moment a
 * CLAIMED slot still shows the previous owner's pid.  The claimer therefore
 * release-stores owner_gen = g after owner_pid, and reclaim trusts owner_pid
 * only when it acquires owner_gen == the word's generation: otherwise a
 * live worker's fresh slot could be taken for a dead worker's one.
 */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include "hrx_slots.h"

#define HRX_SLOT_MIN_SIZE  256      /* the 500 error body must fit */

static const char  hrx_slot_too_large[] =
    "{\"error\":{\"code\":\"reply_too_large\","
    "\"message\":\"the reply does not fit in a reply slot\","
    "\"field\":null}}";

/* where claims start scanning: spreads workers over the slots */
static _Atomic uint32_t  hrx_slots_next;

/*
 * Slots this thread freed last, most recent on top.  Claiming one of
 * them again touches memory that is still in this core's caches; a probe
 * from the moving start below lands on a slot (a page of its own, with
 * the default size) that no core has touched for thousands of requests,
 * and the profile of the webhook had a tenth of a worker's time on that
 * first load.  Only a hint: the CAS decides, as for any other slot.
 */
#define HRX_SLOTS_HOT  32

static _Thread_local uint32_t  hrx_slots_hot[HRX_SLOTS_HOT];
static _Thread_local uint32_t  hrx_slots_nhot;


int
hrx_slots_attach(hrx_slots_t *slots, void *region, uint32_t count,
    uint32_t size)
{
    memset(slots, 0, sizeof(*slots));

    if (region == NULL
        || (uintptr_t) region % HRX_CACHE_LINE != 0
        || count == 0
        || size < HRX_SLOT_MIN_SIZE
        || size % HRX_CACHE_LINE != 0)
    {
        return -1;
    }

    slots->base = region;
    slots->count = count;
    slots->size = size;
    slots->max_body = size - HRX_SLOT_HEADER_SIZE;

    return 0;
}


hrx_slot_t *
hrx_slots_get(const hrx_slots_t *slots, uint32_t index)
{
    if (index >= slots->count) {
        return NULL;
    }

    return (hrx_slot_t *) (void *) (slots->base + (size_t) index * slots->size);
}


static inline uint8_t *
hrx_slot_body(hrx_slot_t *s)
{
    return (uint8_t *) s + HRX_SLOT_HEADER_SIZE;
}


/* claim slot n when it is free: 0 and its generation, or -1 */
static int
hrx_slots_try(hrx_slots_t *slots, uint32_t n, pid_t pid, uint64_t now_ms,
    uint32_t *gen)
{
    uint32_t     g;
    uint64_t     w;
    hrx_slot_t  *s;

    s = hrx_slots_get(slots, n);

    w = hrx_load_relaxed(&s->word);
    if (hrx_slot_state(w) != HRX_SLOT_FREE) {
        return -1;
    }

    /* generation 0 means "nobody waits for a reply" in the codec */
    g = hrx_slot_gen(w) + 1;
    if (g == 0) {
        g = 1;
    }

    /* acq_rel: pairs with the release of the CAS that freed the slot */
    if (!hrx_cas_acq_rel(&s->word, &w, hrx_slot_word(g, HRX_SLOT_CLAIMED))) {
        return -1;
    }

    hrx_store_relaxed(&s->owner_pid, (int32_t) pid);
    s->claimed_at_ms = now_ms;
    s->command_pos = 0;

    /* release: pairs with the acquire of owner_gen in reclaim */
    hrx_store_release(&s->owner_gen, g);

    *gen = g;
    return 0;
}

int
hrx_slots_claim(hrx_slots_t *slots, pid_t pid, uint64_t now_ms,
    uint32_t *index, uint32_t *gen)
{
    uint32_t  i, n, start;

    while (hrx_slots_nhot > 0) {
        n = hrx_slots_hot[--hrx_slots_nhot];
        if (n < slots->count && hrx_slots_try(slots, n, pid, now_ms, gen) == 0)
        {
            *index = n;
            return 0;
        }
    }

    start = hrx_fetch_add_relaxed(&hrx_slots_next, 1) + (uint32_t) pid;

    for (i = 0; i < slots->count; i++) {
        n = (start + i) % slots->count;
        if (hrx_slots_try(slots, n, pid, now_ms, gen) == 0) {
            *index = n;
            return 0;
        }
    }

    return -1;
}


int
hrx_slots_poll(hrx_slots_t *slots, uint32_t index, uint32_t gen,
    uint32_t *status, const uint8_t **body, uint32_t *len)
{
    hrx_slot_t  *s;

    s = hrx_slots_get(slots, index);
    if (s == NULL) {
        return 0;
    }

    /* acquire: pairs with the release CAS WRITING -> READY in publish */
    if (hrx_load_acquire(&s->word) != hrx_slot_word(gen, HRX_SLOT_READY)) {
        return 0;
    }

    /* READY(gen) is ours: nobody but us changes it now, except reclaim */
    *status = s->status;
    *len = s->length <= slots->max_body ? s->length : 0;
    *body = hrx_slot_body(s);

    return 1;
}


/*
 * The worker's two ways out.  CLAIMED goes straight to FREE on free (the
 * generation keeps a late reply out) and to ABANDONED on abandon; WRITING
 * belongs to the scheduler, so both only mark it ABANDONED and the
 * scheduler frees it.
 */
static void
hrx_slots_leave(hrx_slots_t *slots, uint32_t index, uint32_t gen,
    uint32_t claimed_to)
{
    uint32_t     to;
    uint64_t     w;
    hrx_slot_t  *s;

    s = hrx_slots_get(slots, index);
    if (s == NULL) {
        return;
    }

    w = hrx_load_acquire(&s->word);

    for ( ;; ) {
        if (hrx_slot_gen(w) != gen) {
            return;                 /* reclaimed and reused: not ours */
        }

        switch (hrx_slot_state(w)) {

        case HRX_SLOT_READY:
            to = HRX_SLOT_FREE;
            break;

        case HRX_SLOT_CLAIMED:
            to = claimed_to;
            break;

        case HRX_SLOT_WRITING:
            to = HRX_SLOT_ABANDONED;
            break;

        default:                    /* FREE, ABANDONED: nothing to do */
            return;
        }

        /* release: our reads of the body are done before anyone reuses it */
        if (hrx_cas_acq_rel(&s->word, &w, hrx_slot_word(gen, to))) {
            return;
        }

        /* w now holds the current word: the scheduler moved; look again */
    }
}


void
hrx_slots_free(hrx_slots_t *slots, uint32_t index, uint32_t gen)
{
    hrx_slots_leave(slots, index, gen, HRX_SLOT_FREE);

    if (hrx_slots_nhot == HRX_SLOTS_HOT) {
        memmove(hrx_slots_hot, hrx_slots_hot + 1,
                (HRX_SLOTS_HOT - 1) * sizeof(hrx_slots_hot[0]));
        hrx_slots_nhot--;
    }
    hrx_slots_hot[hrx_slots_nhot++] = index;
}


void
hrx_slots_abandon(hrx_slots_t *slots, uint32_t index, uint32_t gen)
{
    hrx_slots_leave(slots, index, gen, HRX_SLOT_ABANDONED);
}


int
hrx_slots_publish(hrx_slots_t *slots, uint32_t index, uint32_t gen,
    uint32_t status, const void *body, uint32_t len)
{
    uint64_t     w;
    hrx_slot_t  *s;

    s = hrx_slots_get(slots, index);
    if (s == NULL || gen == 0) {
        return 0;
    }

    /* acq_rel: we own the slot from here; pairs with the worker's CAS */
    w = hrx_slot_word(gen, HRX_SLOT_CLAIMED);

    if (!hrx_cas_acq_rel(&s->word, &w, hrx_slot_word(gen, HRX_SLOT_WRITING)))
    {
        if (w == hrx_slot_word(gen, HRX_SLOT_ABANDONED)) {
            (void) hrx_cas_acq_rel(&s->word, &w,
                                   hrx_slot_word(gen, HRX_SLOT_FREE));
        }

        return 0;                   /* abandoned, freed or reused */
    }

    if (len > slots->max_body) {
        status = 500;
        body = hrx_slot_too_large;
        len = sizeof(hrx_slot_too_large) - 1;
    }

    if (len != 0) {
        memcpy(hrx_slot_body(s), body, len);
    }

    s->status = status;
    s->length = len;

    /*
     * release: the body, status and length are visible before READY;
     * pairs with the acquire in poll.  Fails only when the worker
     * abandoned the slot while we wrote: then it is ours to free.
     */
    w = hrx_slot_word(gen, HRX_SLOT_WRITING);

    if (hrx_cas_acq_rel(&s->word, &w, hrx_slot_word(gen, HRX_SLOT_READY))) {
        return 1;
    }

    if (w == hrx_slot_word(gen, HRX_SLOT_ABANDONED)) {
        (void) hrx_cas_acq_rel(&s->word, &w,
                               hrx_slot_word(gen, HRX_SLOT_FREE));
    }

    return 0;
}


static int
hrx_slots_pid_dead(int32_t pid)
{
    return pid > 0 && kill((pid_t) pid, 0) == -1 && errno == ESRCH;
}


uint32_t
hrx_slots_reclaim(hrx_slots_t *slots, uint64_t now_ms, uint64_t max_age_ms)
{
    int          reclaim;
    uint32_t     i, state, gen, freed;
    uint64_t     w;
    hrx_slot_t  *s;

    freed = 0;

    for (i = 0; i < slots->count; i++) {
        s = hrx_slots_get(slots, i);

        w = hrx_load_acquire(&s->word);
        state = hrx_slot_state(w);
        gen = hrx_slot_gen(w);

        /* WRITING is our own (publish runs in this thread), never stale */
        if (state == HRX_SLOT_FREE || state == HRX_SLOT_WRITING) {
            continue;
        }

        /*
         * acquire: pairs with the release-store in claim; owner_pid and
         * claimed_at_ms belong to this generation only when it matches.
         * Until then the claimer is still between its CAS and that store.
         */
        if (hrx_load_acquire(&s->owner_gen) != gen) {
            continue;
        }

        reclaim = hrx_slots_pid_dead(hrx_load_relaxed(&s->owner_pid));

        if (!reclaim
            && (state == HRX_SLOT_READY || state == HRX_SLOT_ABANDONED)
            && now_ms > s->claimed_at_ms
            && now_ms - s->claimed_at_ms > max_age_ms)
        {
            reclaim = 1;
        }

        /* the CAS fails if the worker moved the slot meanwhile: fine */
        if (reclaim
            && hrx_cas_acq_rel(&s->word, &w, hrx_slot_word(gen, HRX_SLOT_FREE)))
        {
            freed++;
        }
    }

    return freed;
}
