/*
 * Submitting a command.
 *
 * The order matters: first make sure somebody will answer (the scheduler
 * is alive), then reserve where the answer goes (a reply slot), then
 * append the command to the ring.  Each step that fails undoes the ones
 * before and answers at once, with Retry-After for the conditions that
 * pass by themselves (scheduler restarting, ring or slots full), and
 * counts it in the shm counters.
 *
 * A scheduler that dies after the command is in the ring is not a reason
 * to give up on it: see ngx_http_hrx_park.c.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <msgpack.h>

#include "hrx_codec.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_command.h"
#include "ngx_http_hrx_park.h"
#include "ngx_http_hrx_reply.h"


/*
 * hrx_shm_scheduler_alive() asks the kernel (kill(pid, 0)) whether the
 * scheduler's process exists: a system call per command.  Requests that
 * one turn of the event loop handles share the answer: ngx_current_msec
 * moves on with every turn, so a scheduler that died is seen within a
 * millisecond, as before, and a storm of commands pays one call per
 * turn instead of one each.
 */
static int
ngx_http_hrx_command_scheduler_alive(const hrx_shm_t *shm, ngx_msec_t timeout)
{
    static ngx_msec_t  checked_at;
    static int32_t     checked_pid;
    static int         alive;
    int32_t            pid;

    pid = hrx_load_acquire(&shm->hdr->scheduler_pid);

    if (!alive || checked_at != ngx_current_msec || checked_pid != pid) {
        alive = hrx_shm_scheduler_alive(shm, timeout);
        checked_at = ngx_current_msec;
        checked_pid = pid;
    }
    return alive;
}


ngx_int_t
ngx_http_hrx_command(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    const char *op, int64_t tenant_id, int64_t actor_id, json_t *args,
    ngx_http_hrx_done_pt done)
{
    int64_t                    pos;
    uint32_t                   slot, gen;
    hrx_shm_t                 *shm;
    hrx_command_t              cmd;
    msgpack_sbuffer            sb;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    shm = ngx_http_hrx_shm(r->connection->log, hmcf);

    if (shm == NULL) {
        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "scheduler_unavailable", NULL,
                                       "the scheduler is not running");
    }

    if (!ngx_http_hrx_command_scheduler_alive(shm, hmcf->scheduler_timeout))
    {
        hrx_counter_add(shm, HRX_CTR_SCHEDULER_DOWN, 1);

        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "scheduler_unavailable", NULL,
                                       "the scheduler is not running");
    }

    if (hrx_slots_claim(&shm->slots, ngx_pid, hrx_monotonic_ms(), &slot,
                        &gen)
        != 0)
    {
        hrx_counter_add(shm, HRX_CTR_SLOTS_EXHAUSTED, 1);

        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "busy", NULL,
                                       "too many commands are waiting for "
                                       "a reply; try again");
    }

    ngx_memzero(&cmd, sizeof(hrx_command_t));
    (void) ngx_cpystrn((u_char *) cmd.op, (u_char *) op, HRX_OP_MAX);
    cmd.tenant_id = tenant_id;
    cmd.actor_id = actor_id;
    cmd.slot = slot;
    cmd.gen = gen;
    cmd.args = args;

    msgpack_sbuffer_init(&sb);

    if (hrx_command_encode(&cmd, &sb) != 0) {
        msgpack_sbuffer_destroy(&sb);
        hrx_slots_free(&shm->slots, slot, gen);

        return ngx_http_hrx_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "internal", NULL,
                                       "cannot encode the command");
    }

    pos = hrx_ring_write(&shm->ring, HRX_REC_COMMAND, sb.data,
                         (uint32_t) sb.size);

    msgpack_sbuffer_destroy(&sb);

    if (pos == HRX_RING_FULL) {
        hrx_slots_free(&shm->slots, slot, gen);
        hrx_counter_add(shm, HRX_CTR_RING_FULL, 1);

        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "busy", NULL,
                                       "the command queue is full; try "
                                       "again");
    }

    if (pos < 0) {
        hrx_slots_free(&shm->slots, slot, gen);

        if (pos == HRX_RING_OVERSIZE) {
            return ngx_http_hrx_send_error(r,
                                           NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                           "body_too_large", NULL,
                                           "the command is too large");
        }

        return ngx_http_hrx_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "busy", NULL,
                                       "the command could not be queued; "
                                       "try again");
    }

    hrx_counter_add(shm, HRX_CTR_COMMANDS_SUBMITTED, 1);
    hrx_shm_wake_consumer(shm);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "hrx: %s at ring %L, slot %uD gen %uD",
                   op, pos, slot, gen);

    ctx->shm = shm;
    ctx->slot = slot;
    ctx->gen = gen;
    ctx->slot_held = 1;
    ctx->done = done ? done : ngx_http_hrx_command_reply;

    return ngx_http_hrx_park(r, ctx);
}


ngx_int_t
ngx_http_hrx_command_reply(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx,
    ngx_uint_t status, u_char *body, size_t len)
{
    return ngx_http_hrx_send(r, status, body, len);
}
