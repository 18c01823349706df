#ifndef NGX_HTTP_HRX_TASK_H
#define NGX_HTTP_HRX_TASK_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_hrx_module.h"


/* runs on a pool thread: touches only data, never the request */
typedef void (*ngx_http_hrx_task_work_pt)(void *data, ngx_log_t *log);

/* runs on the event loop when the work is done, whatever became of r */
typedef void (*ngx_http_hrx_task_done_pt)(void *data);


ngx_int_t ngx_http_hrx_task_run(ngx_http_request_t *r,
    ngx_http_hrx_ctx_t *ctx, ngx_http_hrx_task_work_pt work,
    ngx_http_hrx_task_done_pt done, void *data,
    ngx_http_hrx_resume_pt resume, const char *busy_message);


#endif /* NGX_HTTP_HRX_TASK_H */
