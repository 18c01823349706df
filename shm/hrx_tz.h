/*
 * Time zones without touching the process's TZ: a small reader of the
 * system's compiled tz database (TZif files under /usr/share/zoneinfo,
 * RFC 8536) and of the POSIX TZ rule in their footer.
 *
 * Why not localtime_r().  It only knows the process's zone; another zone
 * means setenv("TZ") + tzset(), which changes global state under every
 * thread of the process (nginx's thread pool, SQLite's getenv() calls)
 * and under nginx's own log times.  A tenant's time zone is data, so it
 * is read like data: the zone's file is parsed once, kept in a small
 * cache (guarded by a mutex, so any thread may ask), and an instant's
 * offset is a binary search over its transitions, or the footer rule for
 * instants after the last one (2037 on; and every instant for files
 * built "slim").
 *
 * Zone names are checked for shape first (letters, digits, "_+-/", no
 * "..", not absolute), so a name can never leave the zoneinfo directory.
 * A tzdata update is seen when the process restarts.
 */
#ifndef HRX_TZ_H
#define HRX_TZ_H

#include <stddef.h>
#include <stdint.h>

#define HRX_TZ_NAME_MAX  120

/*
 * The offset from UTC (seconds east: Asia/Tokyo +32400) of zone at unix
 * time t (seconds): 0, or -1 when the zone is not a valid name or its
 * file cannot be read or parsed.
 */
int hrx_tz_offset(const char *zone, int64_t t, int32_t *offset);

/*
 * Unix ms as "2026-12-01 14:00" in zone (to the minute, as SPEC §0
 * schedules): the length written (16), or -1 (bad zone, or size < 17).
 */
int hrx_tz_format(const char *zone, int64_t ms, char *buf, size_t size);

/*
 * The offset at t under a POSIX TZ rule ("JST-9", "CET-1CEST,M3.5.0,
 * M10.5.0/3"), as in a TZif footer: 0, or -1 when rule does not parse.
 */
int hrx_tz_posix_offset(const char *rule, int64_t t, int32_t *offset);

/* the name has the shape of a tz database name ("Asia/Tokyo") */
int hrx_tz_name_valid(const char *zone);

#endif /* HRX_TZ_H */
