/*
 * How one message leaves the scheduler.
 *
 * File transport.  A tenant without SMTP settings gets its mail written
 * to <data_dir>/outbox/<tenant>/<outbox id>.eml, the way Redis writes a
 * file it must not lose: a temp file, fsync, rename over the final name,
 * fsync of the directory.  Once the row says "sent" the file is there
 * after a power cut, and a resend after a crash replaces the file with
 * the same bytes instead of adding a second one.
 *
 * SMTP.  One blocking transfer on the calling thread's easy handle.
 * libcurl speaks the protocol (EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO,
 * DATA with dot-stuffing); the payload is already a complete RFC 5322
 * message with CRLF line ends, read from memory by a read callback.
 * Blocking, on threads of outbox.c's own, because libcurl (7.88) cannot
 * do the end of an SMTP transaction without blocking anyway: after the
 * data it waits for the server's reply inside smtp_done(), even on a
 * multi handle, so one slow server would stall every other transfer of
 * that multi handle and the thread that drives it.
 *
 * Judging the end.  A rejected message (5xx) must fail at once with the
 * server's own words -- "550 5.1.1 no such user" is what a recruiter can
 * act on -- while a 4xx or a network problem is worth a retry.  libcurl
 * reports the last reply's code (CURLINFO_RESPONSE_CODE) but not its
 * text: its error string says "RCPT failed: 550" at best.  So the debug
 * callback keeps the last refusal the server sent (CURLINFO_HEADER_IN
 * lines, multi-line replies joined; not the "221 Bye" of the QUIT that
 * follows).  Only server lines are
 * looked at: the lines we send (HEADER_OUT) carry the AUTH exchange, and
 * no callback here ever sees or keeps them.
 *
 * LINE.  A push is one HTTPS POST of the JSON body the outbox row holds,
 * on the same kind of blocking easy handle, with the tenant's channel
 * access token and the row's X-Line-Retry-Key (SPEC LN-11).  The key is
 * what makes a retry safe: when an attempt reached LINE but its answer
 * was lost (a timeout, a dropped connection), the next attempt carries
 * the same key and LINE answers 409 "The retry key is already accepted"
 * instead of sending the message again -- which therefore means sent.
 * 429 and 5xx are worth a retry, after Retry-After when LINE gives one;
 * any other 4xx is the request's fault and fails at once with LINE's own
 * "message" (and the first of its "details", which names the property),
 * the text a recruiter sees in the timeline.  The token goes in a header
 * list of our own, wiped before it is freed; verbose output is off, so
 * libcurl never hands it to a callback.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "mail_transport.h"

/* a connection attempt gets at most this much of the transfer's time */
#define MAIL_CONNECT_TIMEOUT_MS  15000

/* what is kept of LINE's answer (its errors are small JSON objects) */
#define MAIL_LINE_ANSWER_MAX     8192
#define MAIL_LINE_RETRY_AFTER_MAX  (3600LL * 1000)

/* -------------------------------------------------------------------- */
/* file transport */

/* mkdir 0700 unless it is a directory already: 1 made, 0 was there, -1 */
static int
mail_mkdir(const char *path, char *err, size_t errlen)
{
    struct stat  sb;

    if (mkdir(path, 0700) == 0) {
        return 1;
    }
    if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        return 0;
    }
    snprintf(err, errlen, "cannot create %s: %s", path,
             errno == EEXIST ? "not a directory" : strerror(errno));
    return -1;
}

static int
mail_fsync_dir(const char *path, char *err, size_t errlen)
{
    int  fd;

    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1 || fsync(fd) == -1) {
        snprintf(err, errlen, "cannot sync %s: %s", path, strerror(errno));
        if (fd != -1) {
            close(fd);
        }
        return -1;
    }
    close(fd);
    return 0;
}

int
mail_file_write(const char *data_dir, int64_t tenant_id, int64_t id,
    const void *payload, size_t len, char *err, size_t errlen)
{
    const uint8_t  *p = payload;
    char            outbox[4096], dir[4096], tmp[4096], path[4096];
    ssize_t         n;
    size_t          off;
    int             fd = -1, made, rc = -1;

    if ((size_t) snprintf(outbox, sizeof(outbox), "%s/outbox", data_dir)
            >= sizeof(outbox)
        || (size_t) snprintf(dir, sizeof(dir), "%s/%" PRId64, outbox,
                             tenant_id) >= sizeof(dir)
        || (size_t) snprintf(path, sizeof(path), "%s/%" PRId64 ".eml", dir,
                             id) >= sizeof(path)
        || (size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path)
            >= sizeof(tmp))
    {
        snprintf(err, errlen, "the path under %s is too long", data_dir);
        return -1;
    }

    /* a directory made now must itself survive a crash: sync its parent */
    made = mail_mkdir(outbox, err, errlen);
    if (made < 0 || (made && mail_fsync_dir(data_dir, err, errlen) != 0)) {
        return -1;
    }
    made = mail_mkdir(dir, err, errlen);
    if (made < 0 || (made && mail_fsync_dir(outbox, err, errlen) != 0)) {
        return -1;
    }

    /* one scheduler per data dir (its lock): nobody else writes tmp */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }

    for (off = 0; off < len; off += (size_t) n) {
        n = write(fd, p + off, len - off);
        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }
            snprintf(err, errlen, "cannot write %s: %s", tmp,
                     strerror(errno));
            goto done;
        }
    }

    if (fsync(fd) == -1) {
        snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (close(fd) == -1) {
        fd = -1;
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    fd = -1;

    if (rename(tmp, path) == -1) {
        snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (mail_fsync_dir(dir, err, errlen) != 0) {
        /* renamed but maybe not durable: a retry writes it again */
        return -1;
    }
    rc = 0;

done:
    if (fd != -1) {
        close(fd);
    }
    if (rc != 0) {
        (void) unlink(tmp);
    }
    return rc;
}

/* -------------------------------------------------------------------- */
/* the SMTP password */

int
mail_smtp_password(const uint8_t key[HRX_KEY_SIZE], int64_t tenant_id,
    const uint8_t *sealed, size_t len, char *out, size_t size, char *err,
    size_t errlen)
{
    char    aad[64];
    size_t  n;

    if (len < HRX_SEAL_OVERHEAD || len - HRX_SEAL_OVERHEAD + 1 > size) {
        snprintf(err, errlen, "the stored SMTP password of tenant %" PRId64
                 " has a wrong length (%zu bytes)", tenant_id, len);
        return -1;
    }

    snprintf(aad, sizeof(aad), "mail_settings.smtp_password:%" PRId64,
             tenant_id);

    if (hrx_open(key, aad, sealed, len, out, &n) != 0) {
        explicit_bzero(out, size);
        snprintf(err, errlen, "the stored SMTP password of tenant %" PRId64
                 " does not open with this master key (set it again)",
                 tenant_id);
        return -1;
    }
    out[n] = '\0';
    return 0;
}

/* -------------------------------------------------------------------- */
/* SMTP */

/* one transfer's state, on the sending thread's stack */
typedef struct {
    const mail_smtp_params_t  *p;
    size_t                     off;        /* payload read so far */
    int                        cur_open;   /* cur holds a reply's first
                                              lines */
    char                       cur[MAIL_DETAIL_SIZE];    /* being read */
    char                       reply[MAIL_DETAIL_SIZE];  /* last complete */
    char                       err_reply[MAIL_DETAIL_SIZE];  /* last 4xx or
                                                           5xx one */
    char                       errbuf[CURL_ERROR_SIZE];
} mail_smtp_t;

/* the payload, from memory; libcurl adds the dot-stuffing and the end */
static size_t
mail_smtp_read(char *buf, size_t size, size_t nitems, void *ctx)
{
    mail_smtp_t  *t = ctx;
    size_t        n;

    n = size * nitems;
    if (n > t->p->len - t->off) {
        n = t->p->len - t->off;
    }
    memcpy(buf, (const uint8_t *) t->p->payload + t->off, n);
    t->off += n;
    return n;
}

/* append s (n bytes) to buf, cutting at its end, printable only */
static void
mail_smtp_append(char *buf, size_t size, const char *s, size_t n)
{
    size_t  len, i;

    len = strlen(buf);
    for (i = 0; i < n && len + 1 < size; i++) {
        buf[len++] = isprint((unsigned char) s[i]) ? s[i] : ' ';
    }
    buf[len] = '\0';
}

/*
 * One line of a reply, CRLF stripped.  "250-..." continues a reply,
 * "250 ..." (or a bare "250") ends it.  The joined text reads as one
 * sentence: the first line whole, the rest without their codes.
 */
static void
mail_smtp_line(mail_smtp_t *t, const char *s, size_t n)
{
    int  more;

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) {
        n--;
    }
    if (n == 0) {
        return;
    }

    more = n >= 4 && isdigit((unsigned char) s[0])
           && isdigit((unsigned char) s[1]) && isdigit((unsigned char) s[2])
           && s[3] == '-';

    if (!t->cur_open) {
        t->cur[0] = '\0';
        mail_smtp_append(t->cur, sizeof(t->cur), s, n);
        if (more) {
            t->cur[3] = ' ';
        }
    } else if (n > 4) {
        mail_smtp_append(t->cur, sizeof(t->cur), " ", 1);
        mail_smtp_append(t->cur, sizeof(t->cur), s + 4, n - 4);
    }

    t->cur_open = more;
    if (!more) {
        memcpy(t->reply, t->cur, sizeof(t->reply));
        /* after a refusal libcurl says QUIT, and "221 Bye" comes last */
        if (t->cur[0] == '4' || t->cur[0] == '5') {
            memcpy(t->err_reply, t->cur, sizeof(t->err_reply));
        }
    }
}

/* CURLOPT_DEBUGFUNCTION: server lines only (see the essay) */
static int
mail_smtp_debug(CURL *easy, curl_infotype type, char *data, size_t size,
    void *ctx)
{
    mail_smtp_t  *t = ctx;
    char         *nl;

    (void) easy;

    if (type != CURLINFO_HEADER_IN) {
        return 0;
    }

    /* libcurl passes one line at a time; split anyway, to be safe */
    while (size > 0) {
        nl = memchr(data, '\n', size);
        if (nl == NULL) {
            mail_smtp_line(t, data, size);
            break;
        }
        mail_smtp_line(t, data, (size_t) (nl - data) + 1);
        size -= (size_t) (nl - data) + 1;
        data = nl + 1;
    }
    return 0;
}

/* CURLOPT_XFERINFOFUNCTION: libcurl calls it at least once a second, even
 * while it blocks for the reply to the end of the data */
static int
mail_smtp_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
    mail_smtp_t  *t = ctx;

    (void) dltotal;
    (void) dlnow;
    (void) ultotal;
    (void) ulnow;

    return t->p->abort != NULL && atomic_load(t->p->abort) ? 1 : 0;
}

/*
 * A host name or an IP literal, nothing that could change the URL's
 * meaning ('/', '@', '?', '#', spaces).  The API checks it too; this is
 * the last line before a URL is made from it.
 */
static int
mail_smtp_host_ok(const char *h)
{
    size_t  i, n;

    n = strlen(h);
    if (n == 0 || n > 253) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!isalnum((unsigned char) h[i]) && h[i] != '.' && h[i] != '-'
            && h[i] != ':' && h[i] != '_')
        {
            return 0;
        }
    }
    return 1;
}

/* the options of one transfer on a reset handle; -1 with err */
static int
mail_smtp_setup(CURL *easy, mail_smtp_t *t, struct curl_slist *rcpt,
    char *err, size_t errlen)
{
    const mail_smtp_params_t  *p = t->p;
    CURLcode                   rc = CURLE_OK;
    const char                *scheme;
    char                       url[600];
    long                       connect_ms;
    int                        ssl_all;

    if (p->host == NULL || !mail_smtp_host_ok(p->host)) {
        snprintf(err, errlen, "SMTP host is not set or not a host name");
        return -1;
    }
    if (p->port < 1 || p->port > 65535) {
        snprintf(err, errlen, "SMTP port %" PRId64 " is out of range",
                 p->port);
        return -1;
    }

    if (p->security == NULL || strcmp(p->security, "starttls") == 0) {
        scheme = "smtp";
        ssl_all = 1;
    } else if (strcmp(p->security, "tls") == 0) {
        scheme = "smtps";
        ssl_all = 0;
    } else if (strcmp(p->security, "none") == 0) {
        scheme = "smtp";
        ssl_all = 0;
    } else {
        snprintf(err, errlen, "unknown SMTP security \"%s\"", p->security);
        return -1;
    }

    /* an IPv6 literal goes in brackets */
    snprintf(url, sizeof(url), "%s://%s%s%s:%" PRId64, scheme,
             strchr(p->host, ':') ? "[" : "", p->host,
             strchr(p->host, ':') ? "]" : "", p->port);

    connect_ms = p->timeout_ms < MAIL_CONNECT_TIMEOUT_MS
                 ? (long) p->timeout_ms : MAIL_CONNECT_TIMEOUT_MS;

#define MAIL_SETOPT(opt, val)                                                 \
    if (rc == CURLE_OK) {                                                     \
        rc = curl_easy_setopt(easy, opt, val);                                \
    }

    MAIL_SETOPT(CURLOPT_URL, url);
    MAIL_SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    MAIL_SETOPT(CURLOPT_NOSIGNAL, 1L);
    MAIL_SETOPT(CURLOPT_ERRORBUFFER, t->errbuf);
    MAIL_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    MAIL_SETOPT(CURLOPT_TIMEOUT_MS, (long) p->timeout_ms);
    /* the total timeout does not bound the QUIT of a connection libcurl
     * closes (after a refusal, or an old one it replaces): this does */
    MAIL_SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT,
                p->timeout_ms >= 2000 ? (long) (p->timeout_ms / 1000) : 1L);
    /* one open connection per handle: the next message to the same
     * server reuses it, and no more are kept than there are threads */
    MAIL_SETOPT(CURLOPT_MAXCONNECTS, 1L);
    if (ssl_all) {
        /* STARTTLS or nothing: never fall back to clear text */
        MAIL_SETOPT(CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
    }
    if (p->ca_file != NULL && p->ca_file[0] != '\0') {
        MAIL_SETOPT(CURLOPT_CAINFO, p->ca_file);
    }
    if (p->username != NULL && p->username[0] != '\0') {
        MAIL_SETOPT(CURLOPT_USERNAME, p->username);
        MAIL_SETOPT(CURLOPT_PASSWORD,
                    p->password != NULL ? p->password : "");
    }
    MAIL_SETOPT(CURLOPT_MAIL_FROM, p->mail_from != NULL ? p->mail_from : "");
    MAIL_SETOPT(CURLOPT_MAIL_RCPT, rcpt);
    MAIL_SETOPT(CURLOPT_UPLOAD, 1L);
    MAIL_SETOPT(CURLOPT_READFUNCTION, mail_smtp_read);
    MAIL_SETOPT(CURLOPT_READDATA, t);
    MAIL_SETOPT(CURLOPT_NOPROGRESS, 0L);
    MAIL_SETOPT(CURLOPT_XFERINFOFUNCTION, mail_smtp_progress);
    MAIL_SETOPT(CURLOPT_XFERINFODATA, t);
    /* the debug callback runs only with VERBOSE on; it replaces libcurl's
     * own printing, so nothing reaches stderr */
    MAIL_SETOPT(CURLOPT_DEBUGFUNCTION, mail_smtp_debug);
    MAIL_SETOPT(CURLOPT_DEBUGDATA, t);
    MAIL_SETOPT(CURLOPT_VERBOSE, 1L);

#undef MAIL_SETOPT

    if (rc != CURLE_OK) {
        snprintf(err, errlen, "cannot set up the SMTP transfer: %s",
                 curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

mail_result_e
mail_smtp_send(CURL *easy, const mail_smtp_params_t *p, char *detail,
    size_t size, int *aborted)
{
    mail_smtp_t         t;
    mail_result_e       result;
    struct curl_slist  *rcpt;
    CURLcode            rc;
    long                code = 0;

    *aborted = 0;
    memset(&t, 0, sizeof(t));
    t.p = p;

    /* options of the last message go; its connections stay */
    curl_easy_reset(easy);

    rcpt = curl_slist_append(NULL, p->rcpt_to);
    if (rcpt == NULL) {
        snprintf(detail, size, "out of memory");
        return MAIL_RETRY;
    }
    if (mail_smtp_setup(easy, &t, rcpt, detail, size) != 0) {
        result = MAIL_RETRY;
        goto done;
    }

    rc = curl_easy_perform(easy);

    if (rc == CURLE_OK) {
        snprintf(detail, size, "%s", t.reply);
        result = MAIL_SENT;
        goto done;
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        *aborted = 1;
        snprintf(detail, size, "abandoned: the scheduler stops");
        result = MAIL_RETRY;
        goto done;
    }

    /* the code of the last reply, whatever command it answered */
    (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);

    if (code >= 400 && code <= 599 && t.err_reply[0] != '\0') {
        snprintf(detail, size, "%s", t.err_reply);
    } else if (t.errbuf[0] != '\0') {
        snprintf(detail, size, "%s", t.errbuf);
    } else {
        snprintf(detail, size, "%s", curl_easy_strerror(rc));
    }
    /*
     * A 5xx refuses this message, except one that refuses our login: that
     * is the tenant's SMTP settings, not the recipient, and failing every
     * queued message at once for a mistyped password would lose a whole
     * bulk action; retried, it fails as delivery_failed with the server's
     * words after --max-attempts, or goes out once the settings are fixed.
     */
    result = (code >= 500 && code <= 599 && rc != CURLE_LOGIN_DENIED)
             ? MAIL_REJECTED : MAIL_RETRY;

done:
    /* nothing of this transfer may stay referenced by the handle: the
     * slist, t and the password are gone after we return */
    curl_easy_reset(easy);
    curl_slist_free_all(rcpt);
    return result;
}

/*
 * The scheduler stops: nothing is owed to the server any more.  libcurl
 * would say QUIT on the cached connection and wait for the answer for as
 * long as the last transfer allowed -- a server that stalls would hold
 * the stop for a minute.  A connection shut down first fails the QUIT at
 * once, and the server sees an ordinary dropped connection.
 */
void
mail_smtp_handle_close(CURL *easy)
{
    curl_socket_t  sock = CURL_SOCKET_BAD;

    if (easy == NULL) {
        return;
    }
    if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &sock) == CURLE_OK
        && sock != CURL_SOCKET_BAD)
    {
        (void) shutdown(sock, SHUT_RDWR);
    }
    curl_easy_cleanup(easy);
}

/* -------------------------------------------------------------------- */
/* LINE */

int
mail_line_retry_key(char out[MAIL_RETRY_KEY_SIZE])
{
    uint8_t  b[16];

    if (hrx_random_bytes(b, sizeof(b)) != 0) {
        return -1;
    }
    b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40);     /* version 4 */
    b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80);     /* RFC 4122 variant */

    snprintf(out, MAIL_RETRY_KEY_SIZE,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

int
mail_line_token(const uint8_t key[HRX_KEY_SIZE], int64_t tenant_id,
    const uint8_t *sealed, size_t len, char *out, size_t size, char *err,
    size_t errlen)
{
    char    aad[64];
    size_t  n;

    if (len < HRX_SEAL_OVERHEAD || len - HRX_SEAL_OVERHEAD + 1 > size) {
        snprintf(err, errlen, "the stored LINE access token of tenant %"
                 PRId64 " has a wrong length (%zu bytes)", tenant_id, len);
        return -1;
    }

    snprintf(aad, sizeof(aad), "line.access_token:%" PRId64, tenant_id);

    if (hrx_open(key, aad, sealed, len, out, &n) != 0) {
        explicit_bzero(out, size);
        snprintf(err, errlen, "the stored LINE access token of tenant %"
                 PRId64 " does not open with this master key (set it "
                 "again)", tenant_id);
        return -1;
    }
    out[n] = '\0';
    return 0;
}

/* one push's state, on the sending thread's stack */
typedef struct {
    const mail_line_params_t  *p;
    char                       answer[MAIL_LINE_ANSWER_MAX];
    size_t                     alen;
    int64_t                    retry_after_ms;     /* -1: none */
    char                       errbuf[CURL_ERROR_SIZE];
} mail_line_t;

/* CURLOPT_WRITEFUNCTION: keep the start of the answer */
static size_t
mail_line_write(char *buf, size_t size, size_t nitems, void *ctx)
{
    mail_line_t  *t = ctx;
    size_t        n, room;

    n = size * nitems;
    room = sizeof(t->answer) - 1 - t->alen;
    memcpy(t->answer + t->alen, buf, n < room ? n : room);
    t->alen += n < room ? n : room;
    t->answer[t->alen] = '\0';
    return n;
}

/* CURLOPT_HEADERFUNCTION: Retry-After in seconds (an HTTP date is not
 * what LINE sends; it is ignored) */
static size_t
mail_line_header(char *buf, size_t size, size_t nitems, void *ctx)
{
    mail_line_t  *t = ctx;
    size_t        n, i;
    int64_t       v;

    n = size * nitems;
    if (n > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
        i = 12;
        while (i < n && (buf[i] == ' ' || buf[i] == '\t')) {
            i++;
        }
        v = 0;
        while (i < n && isdigit((unsigned char) buf[i])
               && v <= MAIL_LINE_RETRY_AFTER_MAX)
        {
            v = v * 10 + (buf[i] - '0');
            i++;
        }
        if (i < n && (buf[i] == '\r' || buf[i] == '\n' || buf[i] == ' ')
            && v >= 0)
        {
            v *= 1000;
            t->retry_after_ms = v < MAIL_LINE_RETRY_AFTER_MAX
                                ? v : MAIL_LINE_RETRY_AFTER_MAX;
        }
    }
    return n;
}

static int
mail_line_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
    mail_line_t  *t = ctx;

    (void) dltotal;
    (void) dlnow;
    (void) ultotal;
    (void) ulnow;

    return t->p->abort != NULL && atomic_load(t->p->abort) ? 1 : 0;
}

/* LINE's "message" (and its first detail) into detail, else the status */
static void
mail_line_reason(const mail_line_t *t, long code, char *detail, size_t size)
{
    json_t      *root, *d0;
    const char  *msg, *dmsg, *prop;

    root = json_loadb(t->answer, t->alen, 0, NULL);
    msg = json_string_value(json_object_get(root, "message"));

    if (msg == NULL) {
        snprintf(detail, size, "LINE answered HTTP %ld", code);
        json_decref(root);
        return;
    }

    d0 = json_array_get(json_object_get(root, "details"), 0);
    dmsg = json_string_value(json_object_get(d0, "message"));
    prop = json_string_value(json_object_get(d0, "property"));

    if (dmsg != NULL && prop != NULL) {
        snprintf(detail, size, "%s: %s (%s)", msg, dmsg, prop);
    } else if (dmsg != NULL) {
        snprintf(detail, size, "%s: %s", msg, dmsg);
    } else {
        snprintf(detail, size, "%s", msg);
    }
    json_decref(root);
}

/* 409 meaning "this key went through before" (LINE's words) */
static int
mail_line_key_accepted(const mail_line_t *t)
{
    json_t      *root;
    const char  *msg;
    int          yes;

    root = json_loadb(t->answer, t->alen, 0, NULL);
    msg = json_string_value(json_object_get(root, "message"));
    yes = msg != NULL && strcasestr(msg, "retry key") != NULL
          && strcasestr(msg, "already accepted") != NULL;
    json_decref(root);
    return yes;
}

/* the header list, the token wiped from it before it is freed */
static void
mail_line_headers_free(struct curl_slist *h)
{
    struct curl_slist  *l;

    for (l = h; l != NULL; l = l->next) {
        explicit_bzero(l->data, strlen(l->data));
    }
    curl_slist_free_all(h);
}

mail_result_e
mail_line_push(CURL *easy, const mail_line_params_t *p, char *detail,
    size_t size, int64_t *retry_after_ms, int *aborted)
{
    mail_line_t         t;
    mail_result_e       result;
    struct curl_slist  *h = NULL, *l;
    CURLcode            rc = CURLE_OK;
    char                url[1024], line[2048];
    long                code = 0, connect_ms;

    *aborted = 0;
    *retry_after_ms = 0;
    memset(&t, 0, sizeof(t));
    t.p = p;
    t.retry_after_ms = -1;

    curl_easy_reset(easy);

    if ((size_t) snprintf(url, sizeof(url), "%s/v2/bot/message/push",
                          p->api_url) >= sizeof(url))
    {
        snprintf(detail, size, "the LINE API URL is too long");
        return MAIL_RETRY;
    }

    /* each append copies; a failed one leaves h as it was */
    l = curl_slist_append(h, "Content-Type: application/json");
    h = l ? l : h;
    if (l != NULL) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", p->token);
        l = curl_slist_append(h, line);
        explicit_bzero(line, sizeof(line));
    }
    if (l != NULL) {
        snprintf(line, sizeof(line), "X-Line-Retry-Key: %s", p->retry_key);
        l = curl_slist_append(h, line);
    }
    if (l == NULL) {
        mail_line_headers_free(h);
        snprintf(detail, size, "out of memory");
        return MAIL_RETRY;
    }

    connect_ms = p->timeout_ms < MAIL_CONNECT_TIMEOUT_MS
                 ? (long) p->timeout_ms : MAIL_CONNECT_TIMEOUT_MS;

#define MAIL_SETOPT(opt, val)                                                 \
    if (rc == CURLE_OK) {                                                     \
        rc = curl_easy_setopt(easy, opt, val);                                \
    }

    MAIL_SETOPT(CURLOPT_URL, url);
    MAIL_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    MAIL_SETOPT(CURLOPT_NOSIGNAL, 1L);
    MAIL_SETOPT(CURLOPT_ERRORBUFFER, t.errbuf);
    MAIL_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    MAIL_SETOPT(CURLOPT_TIMEOUT_MS, (long) p->timeout_ms);
    MAIL_SETOPT(CURLOPT_MAXCONNECTS, 1L);
    MAIL_SETOPT(CURLOPT_HTTPHEADER, h);
    MAIL_SETOPT(CURLOPT_POST, 1L);
    MAIL_SETOPT(CURLOPT_POSTFIELDS, p->payload);
    MAIL_SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) p->len);
    MAIL_SETOPT(CURLOPT_WRITEFUNCTION, mail_line_write);
    MAIL_SETOPT(CURLOPT_WRITEDATA, &t);
    MAIL_SETOPT(CURLOPT_HEADERFUNCTION, mail_line_header);
    MAIL_SETOPT(CURLOPT_HEADERDATA, &t);
    MAIL_SETOPT(CURLOPT_NOPROGRESS, 0L);
    MAIL_SETOPT(CURLOPT_XFERINFOFUNCTION, mail_line_progress);
    MAIL_SETOPT(CURLOPT_XFERINFODATA, &t);

#undef MAIL_SETOPT

    if (rc != CURLE_OK) {
        snprintf(detail, size, "cannot set up the LINE request: %s",
                 curl_easy_strerror(rc));
        result = MAIL_RETRY;
        goto done;
    }

    rc = curl_easy_perform(easy);

    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        *aborted = 1;
        snprintf(detail, size, "abandoned: the scheduler stops");
        result = MAIL_RETRY;
        goto done;
    }
    if (rc != CURLE_OK) {
        /* no answer: maybe LINE has it; the retry key settles that */
        snprintf(detail, size, "LINE: %s",
                 t.errbuf[0] ? t.errbuf : curl_easy_strerror(rc));
        result = MAIL_RETRY;
        goto done;
    }

    (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);

    if (code >= 200 && code <= 299) {
        snprintf(detail, size, "LINE accepted the push (HTTP %ld)", code);
        result = MAIL_SENT;

    } else if (code == 409 && mail_line_key_accepted(&t)) {
        snprintf(detail, size, "LINE had accepted this retry key before "
                 "(an earlier attempt's answer was lost)");
        result = MAIL_SENT;

    } else if (code == 429 || code >= 500) {
        mail_line_reason(&t, code, detail, size);
        if (t.retry_after_ms >= 0) {
            *retry_after_ms = t.retry_after_ms;
        }
        result = MAIL_RETRY;

    } else {
        mail_line_reason(&t, code, detail, size);
        result = MAIL_REJECTED;
    }

done:
    curl_easy_reset(easy);
    mail_line_headers_free(h);
    return result;
}
