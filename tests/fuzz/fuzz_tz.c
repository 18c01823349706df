/*
 * The TZif reader (shm/hrx_tz.c, RFC 8536) on arbitrary files, and its
 * POSIX TZ rule parser on arbitrary footers.  Zone files come from the
 * system, but a damaged or foreign one must not crash either process.
 * The reader is static, so this harness includes the source to reach it.
 * Properties: a parsed zone answers an offset for any instant, always
 * within a day (RFC 8536 bounds utoff to -89999..93599 seconds).
 */
#include "fuzz.h"
#include "../../shm/hrx_tz.c"

static const int64_t fuzz_instants[] = {
    INT64_MIN / 2, -2208988800, 0, 1796000000, 4102444800, INT64_MAX / 2,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hrx_tz_zone_t  *z;
    char            rule[64];
    int32_t         off;

    z = hrx_tz_parse("Fuzz/Zone", data, size);
    if (z != NULL) {
        for (size_t i = 0; i < sizeof(fuzz_instants) / sizeof(int64_t); i++) {
            off = hrx_tz_zone_offset(z, fuzz_instants[i]);
            FUZZ_CHECK(off > -90000 && off < 93600);
        }
        hrx_tz_zone_free(z);
    }

    /* the same bytes as a footer rule, e.g. "JST-9" or "EST5EDT,M3.2.0,M11.1.0" */
    if (size < sizeof(rule)) {
        memcpy(rule, data, size);
        rule[size] = '\0';
        if (hrx_tz_posix_offset(rule, 1796000000, &off) == 0) {
            FUZZ_CHECK(off > -90000 && off < 93600);
        }
    }
    return 0;
}
