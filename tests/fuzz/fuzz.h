/*
 * What every libFuzzer harness shares (tests/fuzz/README.md).
 *
 * A harness checks properties, not only "no crash": FUZZ_CHECK aborts
 * with the failed condition, so libFuzzer saves the input as a crash.
 * fuzz_fields cuts an input into NUL-separated fields, so one input can
 * drive several arguments.
 */
#ifndef HRX_FUZZ_H
#define HRX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

#define FUZZ_FIELDS_MAX  8

typedef struct {
    char    *field[FUZZ_FIELDS_MAX];   /* NUL-terminated copies */
    size_t   len[FUZZ_FIELDS_MAX];
    int      n;
} fuzz_fields_t;

/* up to max fields; missing ones are "" (so every field[i] is usable) */
static inline void
fuzz_fields(const uint8_t *data, size_t size, int max, fuzz_fields_t *f)
{
    size_t  start = 0;

    memset(f, 0, sizeof(*f));
    for (int i = 0; i < max && i < FUZZ_FIELDS_MAX; i++) {
        size_t  end = start;

        while (end < size && (i == max - 1 || data[end] != '\0')) {
            end++;
        }
        f->len[i] = start < size ? end - start : 0;
        f->field[i] = malloc(f->len[i] + 1);
        if (f->field[i] == NULL) {
            abort();
        }
        if (f->len[i] > 0) {
            memcpy(f->field[i], data + start, f->len[i]);
        }
        f->field[i][f->len[i]] = '\0';
        f->n = i + 1;
        start = end < size ? end + 1 : size;
    }
}

static inline void
fuzz_fields_free(fuzz_fields_t *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->field[i]);
    }
}

#endif /* HRX_FUZZ_H */
