/*
 * TZif reader and POSIX TZ rules (see hrx_tz.h).
 *
 * TZif (RFC 8536): a v1 header and block with 32-bit times, then, from
 * version 2 on, a second header and block with 64-bit times, then a
 * footer "\n<POSIX TZ string>\n" that gives the rule for every instant
 * after the last transition.  Only the 64-bit block is used when there
 * is one; a v1-only file is read from its 32-bit block.  Leap-second
 * records ("right/" zones) are skipped: offsets are what matters here.
 *
 * The POSIX rule: std offset [dst [offset] [,start[/time],end[/time]]],
 * names either alphabetic or <quoted>, offsets west-positive ("JST-9" is
 * UTC+9), dates Mm.w.d, Jn (1-365, no Feb 29) or n (0-365), times
 * [+-]h[h][:mm[:ss]] up to 167 hours (RFC 8536 extension), default
 * 02:00.  A dst without a rule takes the US rule M3.2.0,M11.1.0, as
 * POSIX implementations do.  Negative DST (Europe/Dublin: "IST-1GMT0,
 * M10.5.0,M3.5.0/1") works since the rule only says which of the two
 * offsets applies between the two dates.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "hrx_tz.h"


#define HRX_TZ_DIR        "/usr/share/zoneinfo/"
#define HRX_TZ_FILE_MAX   (1 << 20)
#define HRX_TZ_CACHE      16


typedef struct {
    int       kind;         /* 'M', 'J' or 'n' */
    int       m, w, d;      /* M */
    int       n;            /* J, n */
    int32_t   time;         /* seconds after local midnight */
} hrx_tz_date_t;

typedef struct {
    int            valid;
    int32_t        std_off;     /* seconds east */
    int32_t        dst_off;
    int            has_dst;
    hrx_tz_date_t  start;
    hrx_tz_date_t  end;
} hrx_tz_rule_t;

typedef struct {
    char            name[HRX_TZ_NAME_MAX + 1];
    int64_t        *trans;      /* transition times, ascending */
    uint8_t        *idx;        /* the type from each transition on */
    int32_t        *off;        /* utoff of each type */
    size_t          ntrans;
    size_t          ntypes;
    hrx_tz_rule_t   rule;       /* the footer; valid 0: none */
    uint64_t        used;       /* for eviction */
} hrx_tz_zone_t;


static pthread_mutex_t  hrx_tz_lock = PTHREAD_MUTEX_INITIALIZER;
static hrx_tz_zone_t   *hrx_tz_cache[HRX_TZ_CACHE];
static uint64_t         hrx_tz_clock;


int
hrx_tz_name_valid(const char *zone)
{
    size_t       i, len;
    const char  *s;

    s = zone;
    len = strlen(s);

    if (len == 0 || len > HRX_TZ_NAME_MAX || s[0] == '/' || s[0] == '.'
        || strstr(s, "..") != NULL || strstr(s, "/.") != NULL
        || s[len - 1] == '/')
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
            || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '+'
            || s[i] == '-' || s[i] == '/')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


/* ---- calendar ---------------------------------------------------------- */

/* days since 1970-01-01 of y-m-d (proleptic Gregorian; H. Hinnant) */
static int64_t
hrx_tz_days(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static void
hrx_tz_civil(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t  era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}


static int
hrx_tz_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}


static int
hrx_tz_mdays(int64_t y, int m)
{
    static const int  mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                  30, 31 };

    return m == 2 && hrx_tz_leap(y) ? 29 : mdays[m - 1];
}


/* the day (days since the epoch) a rule date falls on in year y */
static int64_t
hrx_tz_rule_day(const hrx_tz_date_t *dt, int64_t y)
{
    int      n, wd, day;
    int64_t  first;

    switch (dt->kind) {

    case 'J':
        /* 1..365, February 29 never counted */
        n = dt->n - 1;
        if (hrx_tz_leap(y) && dt->n >= 60) {
            n++;
        }
        return hrx_tz_days(y, 1, 1) + n;

    case 'n':
        return hrx_tz_days(y, 1, 1) + dt->n;

    default: /* 'M' */
        first = hrx_tz_days(y, dt->m, 1);
        /* 1970-01-01 was a Thursday (4) */
        wd = (int) (((first % 7) + 7 + 4) % 7);
        day = 1 + (dt->d - wd + 7) % 7 + (dt->w - 1) * 7;

        while (day > hrx_tz_mdays(y, dt->m)) {
            day -= 7;
        }

        return first + day - 1;
    }
}


static int32_t
hrx_tz_rule_offset(const hrx_tz_rule_t *r, int64_t t)
{
    int      m, d;
    int64_t  y, start, end;

    if (!r->has_dst) {
        return r->std_off;
    }

    /* the year of t in standard time; transitions are near no new year */
    hrx_tz_civil((t + r->std_off) >= 0 ? (t + r->std_off) / 86400
                                       : ((t + r->std_off) - 86399) / 86400,
                 &y, &m, &d);

    /* start is in standard time, end in daylight time */
    start = hrx_tz_rule_day(&r->start, y) * 86400 + r->start.time
            - r->std_off;
    end = hrx_tz_rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;

    if (start < end) {
        return (t >= start && t < end) ? r->dst_off : r->std_off;
    }

    /* southern hemisphere (or negative DST): daylight across new year */
    return (t >= end && t < start) ? r->std_off : r->dst_off;
}


/* ---- POSIX TZ string ----------------------------------------------------- */

static int
hrx_tz_p_name(const char **p)
{
    const char  *s;

    s = *p;

    if (*s == '<') {
        for (s++; *s && *s != '>'; s++) {
            if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
                  || (*s >= '0' && *s <= '9') || *s == '+' || *s == '-'))
            {
                return -1;
            }
        }

        if (*s != '>' || s - *p < 4) {
            return -1;
        }

        *p = s + 1;
        return 0;
    }

    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
        s++;
    }

    if (s - *p < 3) {
        return -1;
    }

    *p = s;
    return 0;
}


static int
hrx_tz_p_num(const char **p, int min, int max, int *out)
{
    int  v, n;

    v = 0;

    for (n = 0; **p >= '0' && **p <= '9'; n++) {
        v = v * 10 + (**p - '0');
        (*p)++;

        if (v > max) {
            return -1;
        }
    }

    if (n == 0 || v < min) {
        return -1;
    }

    *out = v;
    return 0;
}


/* [+-]hh[:mm[:ss]] as seconds */
static int
hrx_tz_p_time(const char **p, int maxh, int32_t *out)
{
    int  sign, h, m, s;

    sign = 1;
    m = 0;
    s = 0;

    if (**p == '+' || **p == '-') {
        sign = (**p == '-') ? -1 : 1;
        (*p)++;
    }

    if (hrx_tz_p_num(p, 0, maxh, &h) != 0) {
        return -1;
    }

    if (**p == ':') {
        (*p)++;
        if (hrx_tz_p_num(p, 0, 59, &m) != 0) {
            return -1;
        }

        if (**p == ':') {
            (*p)++;
            if (hrx_tz_p_num(p, 0, 59, &s) != 0) {
                return -1;
            }
        }
    }

    *out = sign * (h * 3600 + m * 60 + s);
    return 0;
}


static int
hrx_tz_p_date(const char **p, hrx_tz_date_t *dt)
{
    if (**p == 'M') {
        (*p)++;
        dt->kind = 'M';

        if (hrx_tz_p_num(p, 1, 12, &dt->m) != 0 || *(*p)++ != '.'
            || hrx_tz_p_num(p, 1, 5, &dt->w) != 0 || *(*p)++ != '.'
            || hrx_tz_p_num(p, 0, 6, &dt->d) != 0)
        {
            return -1;
        }

    } else if (**p == 'J') {
        (*p)++;
        dt->kind = 'J';

        if (hrx_tz_p_num(p, 1, 365, &dt->n) != 0) {
            return -1;
        }

    } else {
        dt->kind = 'n';

        if (hrx_tz_p_num(p, 0, 365, &dt->n) != 0) {
            return -1;
        }
    }

    dt->time = 2 * 3600;

    if (**p == '/') {
        (*p)++;
        return hrx_tz_p_time(p, 167, &dt->time);
    }

    return 0;
}


static int
hrx_tz_parse_rule(const char *s, hrx_tz_rule_t *r)
{
    int32_t      off;
    const char  *p;

    memset(r, 0, sizeof(*r));
    p = s;

    if (hrx_tz_p_name(&p) != 0 || hrx_tz_p_time(&p, 24, &off) != 0) {
        return -1;
    }

    r->std_off = -off;

    if (*p == '\0') {
        r->valid = 1;
        return 0;
    }

    if (hrx_tz_p_name(&p) != 0) {
        return -1;
    }

    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;

    if (*p != ',' && *p != '\0') {
        if (hrx_tz_p_time(&p, 24, &off) != 0) {
            return -1;
        }
        r->dst_off = -off;
    }

    if (*p == '\0') {
        /* no rule: the US one */
        r->start = (hrx_tz_date_t) { 'M', 3, 2, 0, 0, 2 * 3600 };
        r->end = (hrx_tz_date_t) { 'M', 11, 1, 0, 0, 2 * 3600 };
        r->valid = 1;
        return 0;
    }

    if (*p++ != ',' || hrx_tz_p_date(&p, &r->start) != 0 || *p++ != ','
        || hrx_tz_p_date(&p, &r->end) != 0 || *p != '\0')
    {
        return -1;
    }

    r->valid = 1;
    return 0;
}


/* ---- TZif ---------------------------------------------------------------- */

static uint32_t
hrx_tz_be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static int64_t
hrx_tz_be64(const unsigned char *p)
{
    return (int64_t) ((uint64_t) hrx_tz_be32(p) << 32 | hrx_tz_be32(p + 4));
}


typedef struct {
    uint32_t  isut, isstd, leap, time, type, chars;
} hrx_tz_counts_t;


static int
hrx_tz_header(const unsigned char *p, size_t len, hrx_tz_counts_t *c)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0) {
        return -1;
    }

    c->isut = hrx_tz_be32(p + 20);
    c->isstd = hrx_tz_be32(p + 24);
    c->leap = hrx_tz_be32(p + 28);
    c->time = hrx_tz_be32(p + 32);
    c->type = hrx_tz_be32(p + 36);
    c->chars = hrx_tz_be32(p + 40);

    if (c->type == 0 || c->type > 256 || c->time > 100000
        || c->leap > 100000 || c->chars > 100000
        || (c->isut && c->isut != c->type)
        || (c->isstd && c->isstd != c->type))
    {
        return -1;
    }

    return 0;
}


static size_t
hrx_tz_block_len(const hrx_tz_counts_t *c, size_t tsize)
{
    return (size_t) c->time * tsize + c->time + (size_t) c->type * 6
           + c->chars + (size_t) c->leap * (tsize + 4) + c->isstd + c->isut;
}


static void
hrx_tz_zone_free(hrx_tz_zone_t *z)
{
    if (z) {
        free(z->trans);
        free(z->idx);
        free(z->off);
        free(z);
    }
}


static hrx_tz_zone_t *
hrx_tz_parse(const char *name, const unsigned char *p, size_t len)
{
    size_t            i, tsize, blen, flen;
    char              footer[256];
    const char       *nl;
    hrx_tz_zone_t    *z;
    hrx_tz_counts_t   c;
    const unsigned char  *b;

    if (hrx_tz_header(p, len, &c) != 0) {
        return NULL;
    }

    tsize = 4;
    b = p + 44;
    blen = hrx_tz_block_len(&c, 4);

    if ((size_t) (b - p) + blen > len) {
        return NULL;
    }

    if (p[4] >= '2') {
        /* the 64-bit block after the 32-bit one */
        p = b + blen;
        len -= (size_t) (p - (b - 44));

        if (hrx_tz_header(p, len, &c) != 0) {
            return NULL;
        }

        tsize = 8;
        b = p + 44;
        blen = hrx_tz_block_len(&c, 8);

        if (44 + blen > len) {
            return NULL;
        }
    }

    z = calloc(1, sizeof(hrx_tz_zone_t));
    if (z == NULL) {
        return NULL;
    }

    snprintf(z->name, sizeof(z->name), "%s", name);
    z->ntrans = c.time;
    z->ntypes = c.type;
    z->trans = calloc(c.time ? c.time : 1, sizeof(int64_t));
    z->idx = calloc(c.time ? c.time : 1, 1);
    z->off = calloc(c.type, sizeof(int32_t));

    if (z->trans == NULL || z->idx == NULL || z->off == NULL) {
        hrx_tz_zone_free(z);
        return NULL;
    }

    for (i = 0; i < c.time; i++) {
        z->trans[i] = tsize == 8 ? hrx_tz_be64(b + i * 8)
                                 : (int64_t) (int32_t) hrx_tz_be32(b + i * 4);

        if (i && z->trans[i] <= z->trans[i - 1]) {
            hrx_tz_zone_free(z);
            return NULL;
        }
    }

    b += (size_t) c.time * tsize;

    for (i = 0; i < c.time; i++) {
        z->idx[i] = b[i];

        if (b[i] >= c.type) {
            hrx_tz_zone_free(z);
            return NULL;
        }
    }

    b += c.time;

    for (i = 0; i < c.type; i++) {
        z->off[i] = (int32_t) hrx_tz_be32(b + i * 6);

        if (z->off[i] < -89999 || z->off[i] > 93599) {
            hrx_tz_zone_free(z);
            return NULL;
        }
    }

    b += blen - (size_t) c.time * tsize - c.time;

    /* the footer: "\n" TZ "\n" (version 2 on) */
    if (tsize == 8 && b < p + len && *b == '\n') {
        b++;
        nl = memchr(b, '\n', (size_t) (p + len - b));
        flen = nl ? (size_t) (nl - (const char *) b) : 0;

        if (nl && flen > 0 && flen < sizeof(footer)) {
            memcpy(footer, b, flen);
            footer[flen] = '\0';

            if (hrx_tz_parse_rule(footer, &z->rule) != 0) {
                z->rule.valid = 0;
            }
        }
    }

    return z;
}


static hrx_tz_zone_t *
hrx_tz_load(const char *name)
{
    int             fd;
    char            path[sizeof(HRX_TZ_DIR) + HRX_TZ_NAME_MAX];
    size_t          got;
    ssize_t         n;
    struct stat     sb;
    unsigned char  *buf;
    hrx_tz_zone_t  *z;

    snprintf(path, sizeof(path), HRX_TZ_DIR "%s", name);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }

    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 44
        || sb.st_size > HRX_TZ_FILE_MAX)
    {
        close(fd);
        return NULL;
    }

    buf = malloc((size_t) sb.st_size);
    if (buf == NULL) {
        close(fd);
        return NULL;
    }

    for (got = 0; got < (size_t) sb.st_size; got += (size_t) n) {
        n = read(fd, buf + got, (size_t) sb.st_size - got);

        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            break;
        }
    }

    close(fd);

    z = (got == (size_t) sb.st_size) ? hrx_tz_parse(name, buf, got) : NULL;
    free(buf);

    return z;
}


static int32_t
hrx_tz_zone_offset(const hrx_tz_zone_t *z, int64_t t)
{
    size_t  lo, hi, mid;

    if (z->ntrans == 0 || t < z->trans[0]) {
        if (z->ntrans == 0 && z->rule.valid) {
            return hrx_tz_rule_offset(&z->rule, t);
        }

        /* before the first transition: the first type (RFC 8536 3.2) */
        return z->off[0];
    }

    if (t >= z->trans[z->ntrans - 1] && z->rule.valid) {
        return hrx_tz_rule_offset(&z->rule, t);
    }

    /* the last transition <= t */
    lo = 0;
    hi = z->ntrans;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (z->trans[mid] <= t) {
            lo = mid;
        } else {
            hi = mid;
        }
    }

    return z->off[z->idx[lo]];
}


int
hrx_tz_offset(const char *zone, int64_t t, int32_t *offset)
{
    size_t          i, victim;
    hrx_tz_zone_t  *z;

    if (!hrx_tz_name_valid(zone)) {
        return -1;
    }

    pthread_mutex_lock(&hrx_tz_lock);

    z = NULL;
    victim = 0;

    for (i = 0; i < HRX_TZ_CACHE; i++) {
        if (hrx_tz_cache[i] && strcmp(hrx_tz_cache[i]->name, zone) == 0) {
            z = hrx_tz_cache[i];
            break;
        }

        if (hrx_tz_cache[i] == NULL
            || (hrx_tz_cache[victim]
                && hrx_tz_cache[i]->used < hrx_tz_cache[victim]->used))
        {
            victim = i;
        }
    }

    if (z == NULL) {
        z = hrx_tz_load(zone);

        if (z == NULL) {
            pthread_mutex_unlock(&hrx_tz_lock);
            return -1;
        }

        hrx_tz_zone_free(hrx_tz_cache[victim]);
        hrx_tz_cache[victim] = z;
    }

    z->used = ++hrx_tz_clock;
    *offset = hrx_tz_zone_offset(z, t);

    pthread_mutex_unlock(&hrx_tz_lock);

    return 0;
}


int
hrx_tz_posix_offset(const char *rule, int64_t t, int32_t *offset)
{
    hrx_tz_rule_t  r;

    if (hrx_tz_parse_rule(rule, &r) != 0) {
        return -1;
    }

    *offset = hrx_tz_rule_offset(&r, t);
    return 0;
}


int
hrx_tz_format(const char *zone, int64_t ms, char *buf, size_t size)
{
    int      m, d;
    int32_t  off;
    int64_t  t, y, days, secs;

    if (size < 17) {
        return -1;
    }

    t = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;

    if (hrx_tz_offset(zone, t, &off) != 0) {
        return -1;
    }

    t += off;
    days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    secs = t - days * 86400;

    hrx_tz_civil(days, &y, &m, &d);

    if (y < 0 || y > 9999) {
        return -1;
    }

    return snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", (int) y, m, d,
                    (int) (secs / 3600), (int) (secs % 3600 / 60));
}
