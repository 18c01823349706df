/*
 * Tests of the time-zone reader (shm/hrx_tz.c): offsets of many zones at
 * many instants, 1971 to 2100 (so both the transitions of the TZif files
 * and the POSIX rule of their footer, 2038 on), against glibc's
 * localtime_r with TZ set -- which is fine in this single-threaded test
 * and exactly what the module must not do.  Also: the format of
 * hrx_tz_format, southern hemisphere, negative DST, 45-minute offsets,
 * names that must be refused, and the POSIX rule parser on strings no
 * installed zone uses (J and n dates, quoted names, default rules).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "hrx_tz.h"



static const char *const  zones[] = {
    "Asia/Tokyo", "America/New_York", "Europe/Paris", "Europe/London",
    "Europe/Dublin", "Australia/Sydney", "Australia/Lord_Howe",
    "America/Santiago", "Pacific/Chatham", "Asia/Kolkata",
    "America/Sao_Paulo", "Africa/Casablanca", "Pacific/Auckland",
    "America/St_Johns", "Asia/Tehran", "UTC", "Etc/GMT+5",
    "America/Los_Angeles", "Asia/Kathmandu", "Antarctica/Troll",
    NULL
};


static int
have_zone(const char *z)
{
    char  path[256];

    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", z);
    return access(path, R_OK) == 0;
}


static long
glibc_offset(const char *zone, int64_t t)
{
    time_t     tt;
    struct tm  tm;

    setenv("TZ", zone, 1);
    tzset();
    tt = (time_t) t;
    localtime_r(&tt, &tm);

    return tm.tm_gmtoff;
}


static void
test_tz_against_glibc(void **state)
{
    int       i, k, tested;
    int32_t   off;
    int64_t   t, lo, hi;
    uint64_t  x;

    (void) state;

    lo = 31536000;          /* 1971 */
    hi = 4102444800LL;      /* 2100 */
    x = 88172645463325252ULL;
    tested = 0;

    for (i = 0; zones[i]; i++) {
        if (!have_zone(zones[i])) {
            continue;
        }

        tested++;

        for (k = 0; k < 4000; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t = lo + (int64_t) (x % (uint64_t) (hi - lo));

            assert_int_equal(hrx_tz_offset(zones[i], t, &off), 0);

            if (off != glibc_offset(zones[i], t)) {
                fail_msg("%s at %lld: %d, glibc %ld", zones[i],
                         (long long) t, off, glibc_offset(zones[i], t));
            }
        }

        /* around every hour of one year, where transitions are */
        for (t = 2240611200LL; t < 2240611200LL + 366 * 86400; t += 1800) {
            assert_int_equal(hrx_tz_offset(zones[i], t, &off), 0);
            assert_int_equal(off, glibc_offset(zones[i], t));
        }
    }

    assert_true(tested >= 10);
    unsetenv("TZ");
}


static void
test_tz_format(void **state)
{
    char  buf[32];

    (void) state;

    /* 2026-12-01T05:00:00Z is 14:00 in Tokyo */
    assert_int_equal(hrx_tz_format("Asia/Tokyo", 1796101200000LL, buf,
                                   sizeof(buf)), 16);
    assert_string_equal(buf, "2026-12-01 14:00");

    /* seconds are cut, not rounded */
    assert_int_equal(hrx_tz_format("UTC", 1796101259999LL, buf,
                                   sizeof(buf)), 16);
    assert_string_equal(buf, "2026-12-01 05:00");

    /* New York, summer and winter */
    hrx_tz_format("America/New_York", 1783000800000LL, buf, sizeof(buf));
    assert_string_equal(buf, "2026-07-02 10:00");
    hrx_tz_format("America/New_York", 1796101200000LL, buf, sizeof(buf));
    assert_string_equal(buf, "2026-12-01 00:00");

    /* after 2037: the footer rule (summer in Sydney is January) */
    hrx_tz_format("Australia/Sydney", 2524608000000LL, buf, sizeof(buf));
    assert_string_equal(buf, "2050-01-01 11:00");

    assert_int_equal(hrx_tz_format("Asia/Tokyo", 0, buf, 16), -1);
}


static void
test_tz_bad_names(void **state)
{
    int32_t  off;

    (void) state;

    assert_int_equal(hrx_tz_offset("../../etc/passwd", 0, &off), -1);
    assert_int_equal(hrx_tz_offset("/etc/localtime", 0, &off), -1);
    assert_int_equal(hrx_tz_offset("Asia/../Asia/Tokyo", 0, &off), -1);
    assert_int_equal(hrx_tz_offset("Asia/.hidden", 0, &off), -1);
    assert_int_equal(hrx_tz_offset("", 0, &off), -1);
    assert_int_equal(hrx_tz_offset("Asia", 0, &off), -1);       /* a dir */
    assert_int_equal(hrx_tz_offset("Mars/Olympus_Mons", 0, &off), -1);
    assert_int_equal(hrx_tz_offset("Asia/Tokyo ", 0, &off), -1);
    assert_int_equal(hrx_tz_offset("zone.tab", 0, &off), -1);   /* not TZif */

    assert_true(hrx_tz_name_valid("America/Argentina/Buenos_Aires"));
    assert_true(hrx_tz_name_valid("Etc/GMT-14"));
    assert_false(hrx_tz_name_valid("Asia/Tokyo/"));
}


static int32_t
rule_off(const char *rule, int64_t t)
{
    int32_t  off;

    assert_int_equal(hrx_tz_posix_offset(rule, t, &off), 0);
    return off;
}


static void
test_tz_rules(void **state)
{
    int32_t  off;

    (void) state;

    assert_int_equal(rule_off("JST-9", 0), 32400);
    assert_int_equal(rule_off("<+0530>-5:30", 0), 19800);
    assert_int_equal(rule_off("<-0330>3:30", 0), -12600);

    /* dst without a rule: the US rule, one hour ahead; July and January */
    assert_int_equal(rule_off("EST5EDT", 1909137600), -4 * 3600);
    assert_int_equal(rule_off("EST5EDT", 1894665600), -5 * 3600);
    assert_int_equal(rule_off("AAA3BBB2", 1909137600), -2 * 3600);

    /* J: 1-365 never counting Feb 29 (2032 is leap: J60 is March 1) */
    assert_int_equal(rule_off("AAA3BBB,J60/0,J300/0", 1961719200 - 1),
                     -3 * 3600);
    assert_int_equal(rule_off("AAA3BBB,J60/0,J300/0", 1961722800),
                     -2 * 3600);
    /* n: 0-365 counting it (59 is February 29) */
    assert_int_equal(rule_off("AAA3BBB,59/0,300/0", 1961636400 - 1),
                     -3 * 3600);
    assert_int_equal(rule_off("AAA3BBB,59/0,300/0", 1961636400),
                     -2 * 3600);

    /* negative times: last Sunday of March 2031 at -2:00 = Mar 30 01:00Z */
    assert_int_equal(rule_off("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
                              1932598800 - 1), -3 * 3600);
    assert_int_equal(rule_off("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
                              1932598800), -2 * 3600);
    assert_int_equal(hrx_tz_posix_offset("XXX-1YYY,M3.5.0/167,M10.5.0", 0,
                                         &off), 0);

    assert_int_equal(hrx_tz_posix_offset("JS-9", 0, &off), -1);
    assert_int_equal(hrx_tz_posix_offset("JST", 0, &off), -1);
    assert_int_equal(hrx_tz_posix_offset("EST5EDT,M13.1.0,M11.1.0", 0, &off),
                     -1);
    assert_int_equal(hrx_tz_posix_offset("EST5EDT,M3.2.0", 0, &off), -1);
    assert_int_equal(hrx_tz_posix_offset("<A>5", 0, &off), -1);
    assert_int_equal(hrx_tz_posix_offset("EST5EDT,M3.2.0,M11.1.0x", 0,
                                         &off), -1);
    assert_int_equal(hrx_tz_posix_offset("EST5EDT,M3.2.0/168,M11.1.0", 0,
                                         &off), -1);
}


static void
test_tz_cache(void **state)
{
    int      i, k;
    int32_t  off;

    (void) state;

    /* more zones than the cache holds, twice: evictions stay correct */
    for (k = 0; k < 2; k++) {
        for (i = 0; zones[i]; i++) {
            if (have_zone(zones[i])) {
                assert_int_equal(hrx_tz_offset(zones[i], 1796101200, &off),
                                 0);
                assert_int_equal(off, glibc_offset(zones[i], 1796101200));
            }
        }
    }

    unsetenv("TZ");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_tz_against_glibc),
        cmocka_unit_test(test_tz_format),
        cmocka_unit_test(test_tz_bad_names),
        cmocka_unit_test(test_tz_rules),
        cmocka_unit_test(test_tz_cache),
    };

    return cmocka_run_group_tests_name("hrx_tz", tests, NULL, NULL);
}
