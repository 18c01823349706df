/*
 * Checks of descriptor fields (shm/hrx_resource.h) made by the other
 * shared libraries, so that the worker and the scheduler run the same:
 *
 *   hrx_check_condition  saved_searches.condition: the search compiler
 *                        (shm/hrx_search.h); the error names the node,
 *                        "condition.all[1].value", with the compiler's
 *                        code and message
 *   hrx_check_merge      email_templates.subject/body_text/body_html: the
 *                        merge parser (shm/hrx_merge.h), 400
 *                        unknown_variable / malformed_template naming the
 *                        field, the message naming the variable
 *
 * and what a condition references, for the checks that need the
 * database (a has_label id must be a label of the tenant):
 *
 *   hrx_condition_labels  every has_label of a condition with its path
 */
#ifndef HRX_CHECKS_H
#define HRX_CHECKS_H

#include <stdint.h>
#include <jansson.h>

#include "hrx_resource.h"


/* .check hooks (hrx_res_check_pt) */
int hrx_check_condition(const json_t *value, const char *field,
    hrx_res_err_t *err);
int hrx_check_merge(const json_t *value, const char *field,
    hrx_res_err_t *err);

/*
 * Calls fn(data, id, path) for each {"has_label": id} of cond, in
 * document order, path as the compiler names it
 * ("condition.any[0].has_label").  cond must have compiled
 * (hrx_search_compile); nodes of another shape are skipped.  Stops at
 * the first fn that does not return 0 and returns what it returned;
 * 0 when every call did.
 */
typedef int (*hrx_label_ref_pt)(void *data, int64_t id, const char *path);

int hrx_condition_labels(const json_t *cond, hrx_label_ref_pt fn,
    void *data);

/*
 * A copy of src into dst (size bytes, NUL-terminated), cut on a UTF-8
 * character boundary when it does not fit: text put in a JSON string
 * must stay valid UTF-8.
 */
void hrx_copy_utf8(char *dst, size_t size, const char *src);


#endif /* HRX_CHECKS_H */
