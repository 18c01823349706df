/*
 * Candidates: what their descriptor (shm/hrx_resource.c) does not say.
 *
 * Route and agent.  A candidate that came through an agent has route
 * "agent" and an agent_id; a direct one has neither.  The validator
 * decides it for a create and for an update giving both; an update giving
 * one of them (route "agent" alone, agent_id null alone) is checked here,
 * on the row as written, and refused and rolled back when the two no
 * longer agree (400 naming agent_id).
 *
 * candidate.import.  A worker read and validated every row of an import
 * (ngx_hrx_module/ngx_http_hrx_import.c) and wrote them, one JSON object
 * per line, to a spool file (spool.c) the command names with the number
 * of rows.  Here every row is applied as a candidate.create would be —
 * the same checks against the state as it is now (the actor still holds
 * candidates.operate_other, each reference still exists and is reached),
 * the same insert and labels — all inside the command's one savepoint:
 * the first row that fails rolls back every row before it, and the reply
 * is 400 invalid_rows naming that row (counted from 1) and its field.
 * All applied: 201 {"imported", "first_id", "last_id"}; the ids are
 * consecutive, since one writer inserts them in one transaction.
 *
 * Exactly once.  The file is removed by the loop only after the batch is
 * committed, and the ring position committed with the batch means the
 * command is never applied again, even if the scheduler dies before the
 * file is gone (the sweep removes it then).  If the batch is rolled back
 * instead, the same command reads the same file again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrx_import.h"
#include "hrx_shm.h"
#include "apply_reach.h"
#include "apply_resource.h"
#include "log.h"
#include "spool.h"

int
apply_candidate_write(apply_ctx_t *ac, const apply_res_op_t *op)
{
    int  rc, agent, has_agent;

    if (op->action != HRX_RES_UPDATE
        || (json_object_get(op->args, "route") == NULL
            && json_object_get(op->args, "agent_id") == NULL))
    {
        return 0;                 /* a create: the validator decided */
    }

    rc = store_candidate_route(ac->st, ac->cmd->tenant_id, op->id, &agent,
                               &has_agent);
    if (rc != STORE_OK) {
        apply_store_unexpected(ac, rc);
        return -1;
    }

    if (agent && !has_agent) {
        apply_reject(ac, 400, "required", "agent_id",
                     "\"agent_id\" is required when \"route\" is "
                     "\"agent\"");
        return -1;
    }

    if (!agent && has_agent) {
        apply_reject(ac, 400, "invalid_value", "agent_id",
                     "\"agent_id\" is only for \"route\": \"agent\"; give "
                     "\"agent_id\": null with \"route\": \"direct\"");
        return -1;
    }

    return 0;
}

/*
 * Row n failed (the reply holds its error): the command's refusal names
 * it.  A 500 or a database failure stays what it is.
 */
static apply_rc_e
apply_import_row_failed(apply_ctx_t *ac, size_t n)
{
    json_t        *old, *e, *body;
    const char    *field, *code, *message;
    const char    *text;
    size_t         len;
    char           msg[512];

    if (ac->rc == APPLY_FAILED || ac->reply->status >= 500) {
        return ac->rc;
    }

    text = apply_reply_text(ac->reply, &len);
    old = json_loadb(text, len, 0, NULL);
    e = json_object_get(old, "error");
    field = json_string_value(json_object_get(e, "field"));
    code = json_string_value(json_object_get(e, "code"));
    message = json_string_value(json_object_get(e, "message"));

    snprintf(msg, sizeof(msg), "row %zu: %s; nothing was imported", n,
             message ? message : "invalid");

    body = json_pack("{s:{s:s, s:s, s:n, s:[{s:I, s:s?, s:s, s:s}],"
                     " s:i}}", "error",
                     "code", "invalid_rows", "message", msg, "field",
                     "rows", "row", (json_int_t) n, "field", field,
                     "code", code ? code : "invalid_value",
                     "message", message ? message : "invalid",
                     "total_errors", 1);
    json_decref(old);

    return apply_reject_object(ac, 400, "invalid_rows", body);
}

apply_rc_e
apply_candidate_import(apply_ctx_t *ac)
{
    apply_res_op_t   op;
    json_error_t     jerr;
    const char      *name;
    char             path[4096], *line;
    size_t           cap, n;
    ssize_t          len;
    int64_t          rows, first, last;
    FILE            *fp;
    uint64_t         start;

    start = hrx_monotonic_ms();

    if (apply_arg_string(ac, ac->cmd->args, NULL, "file", 1, 1,
                         HRX_IMPORT_NAME_MAX, &name) < 0
        || apply_arg_id(ac, ac->cmd->args, "rows", 1, &rows) < 0)
    {
        return ac->rc;
    }

    if (spool_path(name, path, sizeof(path)) != 0) {
        return apply_reject(ac, 400, "invalid_args", "file",
                            "file is not the name of an import spool file");
    }

    /* from here on, whatever the outcome, the file goes with the commit */
    ac->reply->spool = strdup(path);
    if (ac->reply->spool == NULL) {
        return apply_reject(ac, 500, "internal", NULL, "out of memory");
    }

    if (rows > HRX_IMPORT_ROWS_MAX) {
        return apply_reject(ac, 400, "invalid_args", "rows",
                            "an import holds at most %d rows",
                            HRX_IMPORT_ROWS_MAX);
    }

    memset(&op, 0, sizeof(op));
    op.res = hrx_res(HRX_RES_CANDIDATE);
    op.action = HRX_RES_CREATE;

    if (apply_reach_load(ac, &op.who, &op.perms) != 0
        || apply_reach_require(ac, op.perms, op.res->manage) != 0)
    {
        return ac->rc;
    }

    fp = fopen(path, "re");
    if (fp == NULL) {
        log_error("%s at %llu: cannot open %s: %s", ac->cmd->op,
                  (unsigned long long) ac->pos, path, strerror(errno));
        return apply_reject(ac, 409, "import_gone", "file",
                            "the rows of this import are no longer there; "
                            "send it again");
    }

    line = NULL;
    cap = 0;
    n = 0;
    first = 0;
    last = 0;

    while ((len = getline(&line, &cap, fp)) > 0) {
        n++;

        if ((int64_t) n > rows) {
            break;
        }

        op.id = 0;
        op.args = json_loadb(line, (size_t) len, JSON_REJECT_DUPLICATES,
                             &jerr);

        if (!json_is_object(op.args)) {
            json_decref((json_t *) op.args);
            apply_reject(ac, 400, "invalid_value", NULL,
                         "row %zu of the spool file is not an object", n);
            apply_import_row_failed(ac, n);
            goto done;
        }

        if (apply_res_apply(ac, &op) != 0) {
            json_decref((json_t *) op.args);
            apply_import_row_failed(ac, n);
            goto done;
        }

        json_decref((json_t *) op.args);

        if (first == 0) {
            first = op.id;
        }
        last = op.id;
    }

    if (ferror(fp)) {
        log_error("%s at %llu: cannot read %s: %s", ac->cmd->op,
                  (unsigned long long) ac->pos, path, strerror(errno));
        apply_reject(ac, 500, "internal", NULL,
                     "the rows of this import cannot be read");
        goto done;
    }

    if ((int64_t) n != rows) {
        apply_reject(ac, 400, "invalid_args", "rows",
                     "the file holds %s rows than the %lld announced",
                     (int64_t) n > rows ? "more" : "fewer", (long long) rows);
        goto done;
    }

    ac->reply->object_id = first;

    log_info("%s at %llu: %zu candidates written in %llu ms",
             ac->cmd->op, (unsigned long long) ac->pos, n,
             (unsigned long long) (hrx_monotonic_ms() - start));

    apply_reply_object(ac, 201, json_pack("{s:I, s:I, s:I}",
                                          "imported", (json_int_t) n,
                                          "first_id", (json_int_t) first,
                                          "last_id", (json_int_t) last));

done:

    free(line);
    fclose(fp);

    return ac->rc;
}
