/*
 * Logging.
 *
 * The scheduler is a daemon with nobody watching its terminal, so what it
 * did and why it refused something has to be in a file an operator can
 * tail: <data_dir>/logs/scheduler.log.  Each event is one line that starts
 * with a UTC timestamp to the millisecond and a level, so lines sort and
 * grep well next to nginx's error log:
 *
 *     2026-11-21T04:30:00.123Z [info] started pid 4242, ring at 0, /var/hrx
 *
 * The file is opened with O_APPEND and every line goes out in a single
 * write(2), so a line is never torn, even if someone else appends to the
 * same file.  logrotate renames the file and sends SIGHUP; the signal
 * handler only sets a flag and the loop calls log_reopen() between batches,
 * which opens the path again and swaps the descriptor (dup2), so no line is
 * lost to a closed descriptor.
 *
 * Until log_open() succeeds (argument errors, a data directory that does
 * not exist yet) lines go to stderr, which is the only place left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX  4096

static int    log_fd = -1;
static int    log_to_stderr = 1;
static char   log_path[4096];

static const char *const log_level_names[] = { "info", "warn", "error" };

int
log_open(const char *path, int to_stderr)
{
    int  fd;

    if (strlen(path) >= sizeof(log_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1) {
        return -1;
    }

    strcpy(log_path, path);
    log_fd = fd;
    log_to_stderr = to_stderr;
    return 0;
}

/*
 * Open the same path again and put the new file behind the old descriptor
 * number.  If the open fails we keep writing to the old file (possibly
 * renamed away): losing the log entirely would be worse.
 */
void
log_reopen(void)
{
    int  fd;

    if (log_fd == -1) {
        return;
    }

    fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1) {
        log_error("cannot reopen %s: %s", log_path, strerror(errno));
        return;
    }

    if (dup3(fd, log_fd, O_CLOEXEC) == -1) {
        log_error("cannot reopen %s: dup3: %s", log_path, strerror(errno));
    }
    close(fd);
    log_info("log reopened");
}

void
log_close(void)
{
    if (log_fd != -1) {
        close(log_fd);
        log_fd = -1;
    }
    log_to_stderr = 1;
}

static void
log_vwrite(log_level_e level, int to_stderr, const char *fmt, va_list ap)
{
    char            line[LOG_LINE_MAX];
    struct timeval  tv;
    struct tm       tm;
    size_t          n;
    int             r;
    int             saved = errno;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - n, ".%03dZ [%s] ",
                  (int) (tv.tv_usec / 1000), log_level_names[level]);

    r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);

    /* a line too long for the buffer is cut, never split in two */
    if (r < 0) {
        r = 0;
    }
    n += ((size_t) r < sizeof(line) - n - 1) ? (size_t) r
                                             : sizeof(line) - n - 2;
    line[n++] = '\n';

    if (log_fd != -1) {
        (void) !write(log_fd, line, n);
    }
    if (to_stderr) {
        (void) !write(STDERR_FILENO, line, n);
    }

    errno = saved;
}

static void
log_line(log_level_e level, int to_stderr, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    log_vwrite(level, to_stderr, fmt, ap);
    va_end(ap);
}

void
log_write(log_level_e level, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    log_vwrite(level, log_to_stderr || log_fd == -1, fmt, ap);
    va_end(ap);
}

/* stderr gets it in plain words, the file as a log line, once each */
void
log_tell(const char *fmt, ...)
{
    char     msg[LOG_LINE_MAX - 64];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    fprintf(stderr, "hrx-scheduler: %s\n", msg);
    if (log_fd != -1) {
        log_line(LL_ERROR, 0, "%s", msg);
    }
}
