/*
 * Merge templates (shm/hrx_merge.c): subjects and bodies a tenant saves,
 * rendered per candidate.  Field 0 is the template; field 1 holds the
 * candidate's values, one per variable id, separated by '\x01' (an empty
 * one is "no data").  Properties: parsing never crashes and refuses with
 * a code; each value asked for at most once per render; a rendered text
 * holds every plain (letters and digits) value of a variable it uses; a
 * variable reported missing is one the template uses and that has no
 * data, each once.
 */
#include "fuzz.h"
#include "hrx_merge.h"

typedef struct {
    const char  *value[HRX_MERGE_COUNT];
    size_t       len[HRX_MERGE_COUNT];
    int          asked[HRX_MERGE_COUNT];
} fuzz_candidate_t;

static int
fuzz_value(void *ctx, int id, const char **value, size_t *len)
{
    fuzz_candidate_t  *c = ctx;

    FUZZ_CHECK(id >= 0 && id < HRX_MERGE_COUNT);
    FUZZ_CHECK(c->asked[id]++ == 0);        /* at most once per render */
    if (c->value[id] == NULL) {
        return 0;
    }
    *value = c->value[id];
    *len = c->len[id];
    return 1;
}

static void
fuzz_split_values(char *s, size_t n, fuzz_candidate_t *c)
{
    size_t  start = 0;
    int     id = 0;

    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i <= n && id < HRX_MERGE_COUNT; i++) {
        if (i == n || s[i] == '\x01') {
            if (i > start) {
                c->value[id] = s + start;
                c->len[id] = i - start;
            }
            id++;
            start = i + 1;
        }
    }
}

/* letters and digits only: no trimming or escaping can change it */
static int
fuzz_plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9')))
        {
            return 0;
        }
    }
    return n > 0;
}

static void
fuzz_render(const hrx_merge_template_t *t, char *values, size_t n, int html)
{
    fuzz_candidate_t  c;
    char             *out = NULL;
    size_t            outlen = 0;
    int               missing[HRX_MERGE_COUNT], nmissing = -1;

    fuzz_split_values(values, n, &c);
    FUZZ_CHECK(hrx_merge_render(t, fuzz_value, &c, html, &out, &outlen,
                                missing, &nmissing) == 0);
    FUZZ_CHECK(out != NULL && strlen(out) <= outlen && out[outlen] == '\0');
    FUZZ_CHECK(nmissing >= 0 && nmissing <= HRX_MERGE_COUNT);
    for (int i = 0; i < nmissing; i++) {
        FUZZ_CHECK(hrx_merge_uses(t, missing[i]));
        FUZZ_CHECK(c.value[missing[i]] == NULL);
        for (int j = 0; j < i; j++) {
            FUZZ_CHECK(missing[j] != missing[i]);   /* each id once */
        }
    }
    for (int id = 0; id < HRX_MERGE_COUNT; id++) {
        if (c.value[id] != NULL && hrx_merge_uses(t, id)
            && fuzz_plain(c.value[id], c.len[id]))
        {
            FUZZ_CHECK(memmem(out, outlen, c.value[id], c.len[id]) != NULL);
        }
    }
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_fields_t          f;
    hrx_merge_template_t  *t = NULL;
    hrx_merge_error_t      err;

    fuzz_fields(data, size, 2, &f);
    memset(&err, 0, sizeof(err));
    if (hrx_merge_parse(f.field[0], f.len[0], &t, &err) != 0) {
        FUZZ_CHECK(t == NULL && err.code != NULL);
        FUZZ_CHECK(err.offset <= f.len[0]);
        FUZZ_CHECK(memchr(err.name, '\0', sizeof(err.name)) != NULL);
        fuzz_fields_free(&f);
        return 0;
    }
    fuzz_render(t, f.field[1], f.len[1], 0);
    fuzz_render(t, f.field[1], f.len[1], 1);
    hrx_merge_free(t);
    fuzz_fields_free(&f);
    return 0;
}
