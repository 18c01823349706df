/*
 * Health and metrics, read from the shm header: what a load balancer and
 * Prometheus look at.  Both work when the shm file is not mapped (the
 * scheduler never ran, or its file is unusable): zeros, "alive": false,
 * 503 for health.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "hrx_codec.h"
#include "ngx_http_hrx_module.h"
#include "ngx_http_hrx_api_health.h"
#include "ngx_http_hrx_reply.h"
#include "ngx_http_hrx_db.h"


typedef struct {
    ngx_uint_t  alive;
    int64_t     pid;
    int64_t     heartbeat_age;
    int64_t     started_at;
    uint64_t    capacity;
    uint64_t    head;
    uint64_t    tail;
    uint64_t    durable;
    uint64_t    slots_in_use;
} ngx_http_hrx_state_t;


static hrx_shm_t *ngx_http_hrx_state(ngx_http_request_t *r,
    ngx_http_hrx_state_t *st, ngx_uint_t slots);


static hrx_shm_t *
ngx_http_hrx_state(ngx_http_request_t *r, ngx_http_hrx_state_t *st,
    ngx_uint_t slots)
{
    uint32_t                   i;
    uint64_t                   hb, now;
    hrx_shm_t                 *shm;
    hrx_slot_t                *s;
    ngx_http_hrx_main_conf_t  *hmcf;

    ngx_memzero(st, sizeof(ngx_http_hrx_state_t));

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    shm = ngx_http_hrx_shm(r->connection->log, hmcf);
    if (shm == NULL) {
        return NULL;
    }

    st->alive = hrx_shm_scheduler_alive(shm, hmcf->scheduler_timeout);
    st->pid = hrx_load_relaxed(&shm->hdr->scheduler_pid);
    st->started_at = (int64_t) hrx_load_relaxed(&shm->hdr->started_at_ms);

    hb = hrx_load_relaxed(&shm->hdr->heartbeat_ms);
    now = hrx_monotonic_ms();
    st->heartbeat_age = (hb && now >= hb) ? (int64_t) (now - hb) : 0;

    st->capacity = shm->ring.capacity;
    st->head = hrx_ring_head(&shm->ring);
    st->tail = hrx_ring_tail(&shm->ring);
    st->durable = hrx_load_acquire(&shm->hdr->durable_pos);

    if (slots) {
        for (i = 0; i < shm->slots.count; i++) {
            s = hrx_slots_get(&shm->slots, i);

            if (hrx_slot_state(hrx_load_relaxed(&s->word)) != HRX_SLOT_FREE) {
                st->slots_in_use++;
            }
        }
    }

    return shm;
}


ngx_int_t
ngx_http_hrx_api_health(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    json_t                    *o;
    ngx_int_t                  db;
    ngx_http_hrx_state_t       st;
    ngx_http_hrx_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_hrx_module);

    (void) ngx_http_hrx_state(r, &st, 0);

    db = ngx_http_hrx_db_open(r->connection->log, hmcf);

    o = json_pack("{s:s, s:{s:b, s:I, s:I, s:o}, s:{s:I, s:I, s:I, s:I},"
                  " s:I, s:s}",
                  "status", st.alive ? "ok" : "unavailable",
                  "scheduler",
                      "alive", (int) st.alive,
                      "pid", (json_int_t) st.pid,
                      "heartbeat_age_ms", (json_int_t) st.heartbeat_age,
                      "started_at", hrx_json_time(st.started_at),
                  "ring",
                      "capacity_bytes", (json_int_t) st.capacity,
                      "depth_bytes", (json_int_t) (st.tail - st.head),
                      "head", (json_int_t) st.head,
                      "tail", (json_int_t) st.tail,
                  "durable_sequence", (json_int_t) st.durable,
                  "database", db == NGX_OK ? "ok" : "missing");

    return ngx_http_hrx_send_json(r, st.alive ? NGX_HTTP_OK
                                              : NGX_HTTP_SERVICE_UNAVAILABLE,
                                  o);
}


static u_char *
ngx_http_hrx_metric(u_char *p, u_char *last, const char *name,
    const char *type, const char *help, uint64_t value)
{
    return ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s %s\n%s %uL\n",
                        name, help, name, type, name, value);
}


ngx_int_t
ngx_http_hrx_api_metrics(ngx_http_request_t *r, ngx_http_hrx_ctx_t *ctx)
{
    u_char                *buf, *p, *last;
    size_t                 size;
    uint64_t               v;
    ngx_uint_t             i;
    hrx_shm_t             *shm;
    ngx_http_hrx_state_t   st;
    char                   name[128];

    static ngx_str_t  type = ngx_string("text/plain; version=0.0.4");

    shm = ngx_http_hrx_state(r, &st, 1);

    size = 1024 + HRX_CTR_MAX * 512;

    buf = ngx_pnalloc(r->pool, size);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = buf;
    last = buf + size;

    for (i = 0; i < HRX_CTR_MAX; i++) {
        v = shm ? hrx_load_relaxed(&shm->hdr->counters[i]) : 0;

        *ngx_snprintf((u_char *) name, sizeof(name) - 1, "hrx_%s_total",
                      hrx_counter_names[i]) = '\0';

        p = ngx_http_hrx_metric(p, last, name, "counter", hrx_counter_help[i],
                                v);
    }

    p = ngx_http_hrx_metric(p, last, "hrx_scheduler_up", "gauge",
                            "1 when the scheduler's heartbeat is fresh",
                            st.alive);
    p = ngx_http_hrx_metric(p, last, "hrx_ring_capacity_bytes", "gauge",
                            "size of the command ring", st.capacity);
    p = ngx_http_hrx_metric(p, last, "hrx_ring_depth_bytes", "gauge",
                            "bytes of commands not yet consumed",
                            st.tail - st.head);
    p = ngx_http_hrx_metric(p, last, "hrx_durable_sequence", "gauge",
                            "ring position committed to the database",
                            st.durable);
    p = ngx_http_hrx_metric(p, last, "hrx_reply_slots_in_use", "gauge",
                            "reply slots not free", st.slots_in_use);
    p = ngx_http_hrx_metric(p, last, "hrx_parked_requests", "gauge",
                            "requests of this worker waiting for a reply",
                            ngx_http_hrx_worker.nparked);

    return ngx_http_hrx_send_text(r, NGX_HTTP_OK, &type, buf, p - buf);
}
