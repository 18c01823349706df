/*
 * Field checks that use the search compiler and the merge parser (see
 * hrx_checks.h).  They sit in the descriptors' .check slots, so a saved
 * search or a template is checked identically by the worker (the request
 * body) and by the scheduler (the command's args: the ring is shared
 * memory and is never trusted).
 */

#include <stdio.h>
#include <string.h>

#include "hrx_checks.h"
#include "hrx_merge.h"
#include "hrx_search.h"


void
hrx_copy_utf8(char *dst, size_t size, const char *src)
{
    size_t  n;

    if (size == 0) {
        return;
    }

    n = strlen(src);

    if (n >= size) {
        n = size - 1;

        /* back off to the start of the character that does not fit */
        while (n > 0 && ((unsigned char) src[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    memcpy(dst, src, n);
    dst[n] = '\0';
}


int
hrx_check_condition(const json_t *value, const char *field,
    hrx_res_err_t *err)
{
    int                  rc;
    hrx_search_t        *s;
    hrx_search_error_t   serr;

    (void) field;     /* the compiler's paths start at "condition" */

    rc = hrx_search_compile(value, &s, &serr);

    if (rc == HRX_SEARCH_OK) {
        hrx_search_free(s);
        return 0;
    }

    err->status = (rc == HRX_SEARCH_NOMEM) ? 500 : 400;
    err->code = serr.code;
    hrx_copy_utf8(err->field, sizeof(err->field), serr.path);
    hrx_copy_utf8(err->message, sizeof(err->message), serr.message);

    return -1;
}


int
hrx_check_merge(const json_t *value, const char *field, hrx_res_err_t *err)
{
    char                   msg[sizeof(err->message)];
    hrx_merge_error_t      merr;
    hrx_merge_template_t  *t;

    if (hrx_merge_parse(json_string_value(value), json_string_length(value),
                        &t, &merr)
        == 0)
    {
        hrx_merge_free(t);
        return 0;
    }

    err->status = strcmp(merr.code, "internal_error") == 0 ? 500 : 400;
    err->code = merr.code;
    hrx_copy_utf8(err->field, sizeof(err->field), field);

    /* "subject: unknown merge variable \"foo\" at byte 6 (...)" */
    snprintf(msg, sizeof(msg), "%s: ", field);
    hrx_copy_utf8(msg + strlen(msg), sizeof(msg) - strlen(msg),
                  merr.message);
    hrx_copy_utf8(err->message, sizeof(err->message), msg);

    return -1;
}


/* ---- has_label references --------------------------------------------- */

typedef struct {
    hrx_label_ref_pt  fn;
    void             *data;
    char              path[HRX_SEARCH_PATH_MAX];
} hrx_label_walk_t;


static int
hrx_label_walk(hrx_label_walk_t *w, const json_t *node, size_t plen)
{
    int            rc;
    size_t         i, n;
    const char    *key;
    const json_t  *v, *list;

    static const char *const  lists[] = { "all", "any", NULL };

    if (!json_is_object(node) || plen >= sizeof(w->path) - 32) {
        return 0;
    }

    for (i = 0; lists[i]; i++) {
        key = lists[i];
        list = json_object_get(node, key);

        if (!json_is_array(list)) {
            continue;
        }

        json_array_foreach(list, n, v) {
            snprintf(w->path + plen, sizeof(w->path) - plen, ".%s[%zu]",
                     key, n);

            rc = hrx_label_walk(w, v, strlen(w->path));
            if (rc != 0) {
                return rc;
            }
        }

        w->path[plen] = '\0';
        return 0;
    }

    v = json_object_get(node, "not");

    if (v != NULL) {
        snprintf(w->path + plen, sizeof(w->path) - plen, ".not");
        rc = hrx_label_walk(w, v, strlen(w->path));
        w->path[plen] = '\0';
        return rc;
    }

    v = json_object_get(node, "has_label");

    if (json_is_integer(v)) {
        snprintf(w->path + plen, sizeof(w->path) - plen, ".has_label");
        rc = w->fn(w->data, json_integer_value(v), w->path);
        w->path[plen] = '\0';
        return rc;
    }

    return 0;
}


int
hrx_condition_labels(const json_t *cond, hrx_label_ref_pt fn, void *data)
{
    hrx_label_walk_t  w;

    w.fn = fn;
    w.data = data;
    snprintf(w.path, sizeof(w.path), "condition");

    return hrx_label_walk(&w, cond, strlen(w.path));
}
