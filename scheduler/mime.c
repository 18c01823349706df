/*
 * Email messages (mime.h).
 *
 * The outbox stores a message as the bytes it will send, so this file is
 * the one place that decides what those bytes are.  Three concerns shape
 * it.
 *
 * Nothing a candidate or an editor typed may add a header or end the
 * header block.  Every value is checked before a byte is written: a CR or
 * LF anywhere in a header value is refused (never stripped: a message
 * that silently differs from what was asked for is worse than one that
 * was not sent), addresses and the Message-ID must be single plain
 * addr-specs, and extra headers must be named "X-..." (or be
 * Auto-Submitted) with printable ASCII values.  What is not plain ASCII is
 * never written raw: text goes into RFC 2047 encoded-words and bodies into
 * base64, so the message is 7-bit clean for any SMTP server.
 *
 * Lines stay short.  Header values are written word by word; a word that
 * would take the line past 78 starts a continuation line (CRLF + space:
 * folding, which the reader undoes).  Text is written as it is only when
 * folding at its spaces keeps every line under 78 and a reader could not
 * take part of it for an encoded-word ("=?"); anything else is written as
 * encoded-words of at most 75 bytes, each holding whole UTF-8 characters
 * (RFC 2047 section 5) and sized to what is left of the line, so even a
 * 255-character Japanese subject folds below 78.  The hard limit of 998 is
 * checked as each word is placed.  Base64 bodies have 76-character lines.
 *
 * Multipart boundaries cannot collide with content: "=_" never occurs in
 * base64 ('=' is only trailing padding and '_' is not in its alphabet),
 * and 96 random bits make the rest unguessable.
 *
 * Date is written by hand in English, not with strftime(), whose names
 * follow the locale.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/evp.h>

#include "hrx_crypto.h"
#include "mime.h"

#define MIME_LINE_SOFT     78      /* RFC 5322 2.1.1 SHOULD */
#define MIME_LINE_HARD     998     /* RFC 5322 2.1.1 MUST */
#define MIME_EW_MAX        75      /* RFC 2047 2: one encoded-word */
#define MIME_EW_PREFIX     "=?UTF-8?B?"
#define MIME_EW_OVERHEAD   12      /* "=?UTF-8?B?" "?=" */
#define MIME_B64_CHUNK     57      /* bytes per 76-character line */
#define MIME_ADDR_MAX      254     /* RFC 5321 4.5.3.1.3 less "<>" */
#define MIME_MSGID_MAX     250
#define MIME_EXTRA_MAX     (sizeof(((mime_message_t *) 0)->headers)         \
                            / sizeof(((mime_message_t *) 0)->headers[0]))

/*
 * A word of plain text written as it is may be this long: "Reply-To: "
 * (the longest name before a phrase or subject, 10) plus the word fits
 * MIME_LINE_SOFT on the first line, so folding always keeps lines short.
 */
#define MIME_PLAIN_WORD    (MIME_LINE_SOFT - 10)

typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
    int      nomem;
} mime_buf_t;

/* one header field being written */
typedef struct {
    mime_buf_t  *b;
    size_t       col;      /* bytes on the current line */
    int          words;    /* words on it after the field name */
    int          overlong; /* a line passed MIME_LINE_HARD */
} mime_hdr_t;


static void mime_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


static void
mime_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


static int
mime_buf_add(mime_buf_t *b, const void *p, size_t n)
{
    char    *data;
    size_t   cap;

    if (b->nomem) {
        return -1;
    }

    /* + 1: room for the NUL that mime_build adds at the end */
    if (b->len + n + 1 > b->cap) {
        cap = b->cap ? b->cap : 1024;

        while (cap < b->len + n + 1) {
            cap *= 2;
        }

        data = realloc(b->data, cap);
        if (data == NULL) {
            b->nomem = 1;
            return -1;
        }

        b->data = data;
        b->cap = cap;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;

    return 0;
}


static int
mime_buf_str(mime_buf_t *b, const char *s)
{
    return mime_buf_add(b, s, strlen(s));
}


/*
 * The length of the UTF-8 character at p (1-4), or 0 when it is not one:
 * a stray continuation byte, a truncated sequence, an overlong form, a
 * surrogate or a code point past U+10FFFF.  Splitting encoded-words on
 * characters needs the text to be valid; text that is not is refused
 * rather than sent as mojibake.
 */
static size_t
mime_utf8_char(const unsigned char *p, size_t n)
{
    size_t    i, len;
    uint32_t  c;

    if (p[0] < 0x80) {
        return 1;
    }

    if (p[0] < 0xc2) {
        return 0;

    } else if (p[0] < 0xe0) {
        len = 2;
        c = p[0] & 0x1f;

    } else if (p[0] < 0xf0) {
        len = 3;
        c = p[0] & 0x0f;

    } else if (p[0] < 0xf5) {
        len = 4;
        c = p[0] & 0x07;

    } else {
        return 0;
    }

    if (n < len) {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = c << 6 | (p[i] & 0x3f);
    }

    if ((len == 3 && c < 0x800)
        || (len == 4 && (c < 0x10000 || c > 0x10ffff))
        || (c >= 0xd800 && c <= 0xdfff))
    {
        return 0;
    }

    return len;
}


/* a header text (subject, display name): valid UTF-8 without CR or LF */
static int
mime_text_check(const char *s, const char *what, char *err, size_t errlen)
{
    size_t                n, len, c;
    const unsigned char  *p;

    p = (const unsigned char *) s;
    len = strlen(s);

    for (n = 0; n < len; n += c) {
        if (p[n] == '\r' || p[n] == '\n') {
            mime_err(err, errlen, "the %s contains a line break", what);
            return -1;
        }

        c = mime_utf8_char(p + n, len - n);
        if (c == 0) {
            mime_err(err, errlen, "the %s is not valid UTF-8", what);
            return -1;
        }
    }

    return 0;
}


/*
 * Text that can be written as it is: printable ASCII, words separated by
 * single spaces (no leading or trailing one, which folding could leave on
 * a line of its own), each short enough to fit a line, and nothing a
 * reader might decode as an encoded-word.
 */
static int
mime_text_plain(const char *s)
{
    size_t       word;
    const char  *p;

    if (*s == ' ' || strstr(s, "=?") != NULL) {
        return 0;
    }

    word = 0;

    for (p = s; *p; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            return 0;
        }

        if (*p != ' ') {
            if (++word > MIME_PLAIN_WORD) {
                return 0;
            }

            continue;
        }

        if (word == 0 || p[1] == '\0') {
            return 0;
        }

        word = 0;
    }

    return 1;
}


/* RFC 5322 atext: what a display name may hold without quotes */
static int
mime_atext(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9')
           || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}


/*
 * A plain addr-spec: one '@' with something on both sides, printable
 * ASCII, and none of the characters that end or split an address in a
 * header (space, "<>,;:", quotes, parentheses, backslash).  Quoted local
 * parts and comments are legal but never needed here, and refusing them
 * keeps "an address" meaning one address.
 */
static int
mime_addr_ok(const char *s, size_t len)
{
    size_t  i, at, ats;

    if (len < 3 || len > MIME_ADDR_MAX) {
        return 0;
    }

    at = 0;
    ats = 0;

    for (i = 0; i < len; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f
            || strchr("<>,;:\"()\\", s[i]) != NULL)
        {
            return 0;
        }

        if (s[i] == '@') {
            at = i;
            ats++;
        }
    }

    return ats == 1 && at > 0 && at < len - 1;
}


static int
mime_msgid_ok(const char *s)
{
    size_t  len;

    len = strlen(s);

    return len <= MIME_MSGID_MAX && len >= 2 && s[0] == '<'
           && s[len - 1] == '>' && mime_addr_ok(s + 1, len - 2);
}


static void
mime_hdr_begin(mime_hdr_t *h, mime_buf_t *b, const char *name)
{
    h->b = b;
    h->col = strlen(name) + 1;
    h->words = 0;
    h->overlong = 0;

    mime_buf_str(b, name);
    mime_buf_add(b, ":", 1);
}


/*
 * Place one word after a space, folding first when it would take the
 * line past MIME_LINE_SOFT.  The first word stays on the field name's
 * line whatever its length (there is nothing to fold before it), and an
 * empty word never folds, so no line is ever only whitespace.
 */
static void
mime_hdr_word(mime_hdr_t *h, const char *p, size_t n)
{
    if (h->words > 0 && n > 0 && h->col + 1 + n > MIME_LINE_SOFT) {
        mime_buf_add(h->b, "\r\n", 2);
        h->col = 0;
    }

    mime_buf_add(h->b, " ", 1);
    mime_buf_add(h->b, p, n);

    h->col += 1 + n;
    h->words++;

    if (h->col > MIME_LINE_HARD) {
        h->overlong = 1;
    }
}


/* plain text: one word per space-separated run */
static void
mime_hdr_words(mime_hdr_t *h, const char *s)
{
    const char  *sp;

    for ( ;; ) {
        sp = strchr(s, ' ');

        if (sp == NULL) {
            mime_hdr_word(h, s, strlen(s));
            return;
        }

        mime_hdr_word(h, s, (size_t) (sp - s));
        s = sp + 1;
    }
}


/* the bytes of whole characters from s that one encoded-word of at most
 * room bytes holds */
static size_t
mime_ew_take(const unsigned char *s, size_t n, size_t room)
{
    size_t  take, c;

    take = 0;

    while (take < n) {
        c = mime_utf8_char(s + take, n - take);

        if (c == 0   /* not after mime_text_check(), but never loop */
            || MIME_EW_OVERHEAD + 4 * ((take + c + 2) / 3) > room) {
            break;
        }

        take += c;
    }

    return take;
}


/*
 * Text (already checked to be UTF-8) as a run of encoded-words, each
 * sized to fill what is left of the line, or a fresh line when not even
 * one character fits.  Readers drop the whitespace between adjacent
 * encoded-words, so spaces in the text are encoded inside the words.
 */
static void
mime_hdr_encoded(mime_hdr_t *h, const char *text)
{
    char                  word[MIME_EW_MAX + 8];
    size_t                n, take, room, len;
    const unsigned char  *s;

    s = (const unsigned char *) text;
    n = strlen(text);

    while (n > 0) {
        room = h->col + 1 < MIME_LINE_SOFT ? MIME_LINE_SOFT - h->col - 1 : 0;
        if (room > MIME_EW_MAX) {
            room = MIME_EW_MAX;
        }

        take = mime_ew_take(s, n, room);

        if (take == 0) {
            /* mime_hdr_word folds: this word does not fit the line */
            take = mime_ew_take(s, n, MIME_EW_MAX);
        }

        len = sizeof(MIME_EW_PREFIX) - 1;
        memcpy(word, MIME_EW_PREFIX, len);
        len += (size_t) EVP_EncodeBlock((unsigned char *) word + len, s,
                                        (int) take);
        memcpy(word + len, "?=", 2);
        len += 2;

        mime_hdr_word(h, word, len);

        s += take;
        n -= take;
    }
}


static int
mime_hdr_end(mime_hdr_t *h, const char *name, char *err, size_t errlen)
{
    if (h->overlong) {
        mime_err(err, errlen, "the %s header cannot be folded into lines "
                 "of at most %d characters", name, MIME_LINE_HARD);
        return -1;
    }

    mime_buf_add(h->b, "\r\n", 2);

    return 0;
}


/*
 * From or To: "name <addr>" or the bare address.  A display name of atoms
 * is written as it is, one with other printable ASCII (a comma in
 * "Acme, Inc." would split the address list) as a quoted-string, which
 * may fold at its spaces (RFC 5322 3.2.4), anything else as
 * encoded-words (B encoding is allowed in a phrase, RFC 2047 5(3)).
 */
static int
mime_hdr_mailbox(mime_buf_t *b, const char *field, const char *name,
    const char *addr, char *err, size_t errlen)
{
    int          atoms;
    char        *q, *w, what[32];
    size_t       len;
    mime_hdr_t   h;
    const char  *p;

    if (addr == NULL || !mime_addr_ok(addr, strlen(addr))) {
        mime_err(err, errlen, "the %s address is missing or not a single "
                 "plain address", field);
        return -1;
    }

    snprintf(what, sizeof(what), "%s display name", field);

    if (name != NULL && mime_text_check(name, what, err, errlen) != 0) {
        return -1;
    }

    mime_hdr_begin(&h, b, field);

    if (name == NULL || name[0] == '\0') {
        mime_hdr_word(&h, addr, strlen(addr));
        return mime_hdr_end(&h, field, err, errlen);
    }

    if (!mime_text_plain(name)) {
        mime_hdr_encoded(&h, name);

    } else {
        atoms = 1;

        for (p = name; *p; p++) {
            if (*p != ' ' && !mime_atext(*p)) {
                atoms = 0;
                break;
            }
        }

        if (atoms) {
            mime_hdr_words(&h, name);

        } else {
            len = strlen(name);

            q = malloc(2 * len + 3);
            if (q == NULL) {
                b->nomem = 1;
                return -1;
            }

            w = q;
            *w++ = '"';

            for (p = name; *p; p++) {
                if (*p == '"' || *p == '\\') {
                    *w++ = '\\';
                }

                *w++ = *p;
            }

            *w++ = '"';
            *w = '\0';

            mime_hdr_words(&h, q);
            free(q);
        }
    }

    len = strlen(addr);

    q = malloc(len + 3);
    if (q == NULL) {
        b->nomem = 1;
        return -1;
    }

    q[0] = '<';
    memcpy(q + 1, addr, len);
    q[len + 1] = '>';

    mime_hdr_word(&h, q, len + 2);
    free(q);

    return mime_hdr_end(&h, field, err, errlen);
}


/*
 * One of the caller's extra headers: "Name: value", where the name is
 * X-something or Auto-Submitted (RFC 3834, which has no field of its own
 * in mime_message_t) and the value printable ASCII; it is folded at its
 * spaces like any other.  Both passes check every header; auto_submitted
 * says which pass writes this one, so that Auto-Submitted comes before
 * the X- headers whatever the caller's order.
 */
static int
mime_hdr_extra(mime_buf_t *b, int idx, const char *line, int auto_submitted,
    char *err, size_t errlen)
{
    int          is_auto;
    char         name[80];
    size_t       n;
    mime_hdr_t   h;
    const char  *colon, *p, *v;

    colon = strchr(line, ':');
    n = colon ? (size_t) (colon - line) : 0;

    is_auto = n == sizeof("Auto-Submitted") - 1
              && strncasecmp(line, "Auto-Submitted", n) == 0;

    if (n < 3 || n >= sizeof(name)
        || (!is_auto && strncasecmp(line, "X-", 2) != 0))
    {
        mime_err(err, errlen, "extra header #%d is not \"X-Name: value\"",
                 idx + 1);
        return -1;
    }

    for (p = line; p < colon; p++) {
        if (*p <= 0x20 || *p >= 0x7f) {
            mime_err(err, errlen, "the name of extra header #%d has a "
                     "character that is not allowed", idx + 1);
            return -1;
        }
    }

    for (v = colon + 1; *v == ' '; v++) { /* void */ }

    for (p = v; *p; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            mime_err(err, errlen, "the %.*s header has a line break, a "
                     "control or a non-ASCII character", (int) n, line);
            return -1;
        }
    }

    if (is_auto != auto_submitted) {
        return 0;
    }

    memcpy(name, line, n);
    name[n] = '\0';

    mime_hdr_begin(&h, b, name);

    if (*v) {
        mime_hdr_words(&h, v);
    }

    return mime_hdr_end(&h, name, err, errlen);
}


static void
mime_date(int64_t ms, char *out, size_t size)
{
    static const char  *days[] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    };
    static const char  *months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };

    time_t     t;
    int64_t    sec;
    struct tm  tm;

    /* floor, so that a time before 1970 is not a second late */
    sec = ms / 1000 - (ms % 1000 < 0);
    t = (time_t) sec;

    if (gmtime_r(&t, &tm) == NULL) {
        t = 0;
        gmtime_r(&t, &tm);
    }

    snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
             days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}


/*
 * Text in its canonical form (RFC 2046 4.1.1): line breaks are CRLF.
 * Templates are typed in browsers and stored with bare LF; base64 would
 * carry those unchanged, and a strict reader may then show one long line.
 * A new buffer in *out (free()), or NULL when nothing needs changing.
 */
static int
mime_crlf(const char *p, size_t n, char **out, size_t *outlen)
{
    size_t  i, bare = 0, k;
    char   *q;

    *out = NULL;
    for (i = 0; i < n; i++) {
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
            bare++;
        }
    }
    if (bare == 0) {
        return 0;
    }

    q = malloc(n + bare);
    if (q == NULL) {
        return -1;
    }
    for (i = 0, k = 0; i < n; i++) {
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
            q[k++] = '\r';
        }
        q[k++] = p[i];
    }
    *out = q;
    *outlen = k;
    return 0;
}


/* a body part's content: base64 in lines of 76 */
static void
mime_body(mime_buf_t *b, const char *type, const char *p, size_t n)
{
    int     len;
    char    line[80];
    char   *canon;
    size_t  off, chunk;

    if (mime_crlf(p, n, &canon, &n) != 0) {
        b->nomem = 1;
        return;
    }
    if (canon != NULL) {
        p = canon;
    }

    mime_buf_str(b, "Content-Type: ");
    mime_buf_str(b, type);
    mime_buf_str(b, "; charset=UTF-8\r\n"
                    "Content-Transfer-Encoding: base64\r\n"
                    "\r\n");

    for (off = 0; off < n; off += chunk) {
        chunk = n - off < MIME_B64_CHUNK ? n - off : MIME_B64_CHUNK;

        len = EVP_EncodeBlock((unsigned char *) line,
                              (const unsigned char *) p + off, (int) chunk);

        mime_buf_add(b, line, (size_t) len);
        mime_buf_add(b, "\r\n", 2);
    }

    free(canon);
}


static size_t
mime_b64_size(size_t n)
{
    return (n + MIME_B64_CHUNK - 1) / MIME_B64_CHUNK * 78;
}


int
mime_build(const mime_message_t *m, char **out, size_t *outlen,
    char *err, size_t errlen)
{
    int          i, pass;
    char         date[96], boundary[32];
    size_t       cap;
    uint8_t      rnd[12];
    mime_buf_t   b;
    mime_hdr_t   h;

    *out = NULL;
    *outlen = 0;

    if (m->subject == NULL || m->body_text == NULL) {
        mime_err(err, errlen, "the message has no %s",
                 m->subject == NULL ? "subject" : "text body");
        return -1;
    }

    if (m->message_id == NULL || !mime_msgid_ok(m->message_id)) {
        mime_err(err, errlen, "the Message-ID is missing or not "
                 "\"<left@right>\"");
        return -1;
    }

    if (m->reply_to != NULL && !mime_addr_ok(m->reply_to,
                                             strlen(m->reply_to)))
    {
        mime_err(err, errlen, "the Reply-To address is not a single plain "
                 "address");
        return -1;
    }

    if (mime_text_check(m->subject, "subject", err, errlen) != 0) {
        return -1;
    }

    boundary[0] = '\0';

    if (m->body_html != NULL) {
        if (hrx_random_bytes(rnd, sizeof(rnd)) != 0) {
            mime_err(err, errlen, "no randomness for a MIME boundary");
            return -1;
        }

        memcpy(boundary, "=_hrx_", 6);
        for (i = 0; i < (int) sizeof(rnd); i++) {
            snprintf(boundary + 6 + 2 * i, 3, "%02x", rnd[i]);
        }
    }

    cap = 2048 + mime_b64_size(m->body_text_len)
          + (m->body_html ? mime_b64_size(m->body_html_len) : 0);

    memset(&b, 0, sizeof(b));

    b.data = malloc(cap);
    if (b.data == NULL) {
        mime_err(err, errlen, "out of memory");
        return -1;
    }

    b.cap = cap;

    mime_date(m->date_ms, date, sizeof(date));

    mime_buf_str(&b, "Date: ");
    mime_buf_str(&b, date);
    mime_buf_str(&b, "\r\nMessage-ID: ");
    mime_buf_str(&b, m->message_id);
    mime_buf_str(&b, "\r\nMIME-Version: 1.0\r\n");

    if (mime_hdr_mailbox(&b, "From", m->from_name, m->from_email, err,
                         errlen) != 0
        || mime_hdr_mailbox(&b, "To", m->to_name, m->to_email, err, errlen)
           != 0)
    {
        goto failed;
    }

    if (m->reply_to != NULL) {
        mime_buf_str(&b, "Reply-To: ");
        mime_buf_str(&b, m->reply_to);
        mime_buf_str(&b, "\r\n");
    }

    mime_hdr_begin(&h, &b, "Subject");

    if (m->subject[0] == '\0') {
        /* nothing: "Subject:" alone is an empty unstructured value */

    } else if (mime_text_plain(m->subject)) {
        mime_hdr_words(&h, m->subject);

    } else {
        mime_hdr_encoded(&h, m->subject);
    }

    if (mime_hdr_end(&h, "Subject", err, errlen) != 0) {
        goto failed;
    }

    /* pass 1: Auto-Submitted; pass 0: the X- headers, in the given order */
    for (pass = 1; pass >= 0; pass--) {
        for (i = 0; i < (int) MIME_EXTRA_MAX && m->headers[i]; i++) {
            if (mime_hdr_extra(&b, i, m->headers[i], pass, err, errlen)
                != 0)
            {
                goto failed;
            }
        }
    }

    if (m->body_html == NULL) {
        mime_body(&b, "text/plain", m->body_text, m->body_text_len);

    } else {
        mime_buf_str(&b, "Content-Type: multipart/alternative;\r\n"
                         " boundary=\"");
        mime_buf_str(&b, boundary);
        mime_buf_str(&b, "\"\r\n\r\n--");
        mime_buf_str(&b, boundary);
        mime_buf_str(&b, "\r\n");

        mime_body(&b, "text/plain", m->body_text, m->body_text_len);

        /* the CRLF before a delimiter belongs to it (RFC 2046 5.1.1):
         * base64 lines end in one already */
        mime_buf_str(&b, "--");
        mime_buf_str(&b, boundary);
        mime_buf_str(&b, "\r\n");

        mime_body(&b, "text/html", m->body_html, m->body_html_len);

        mime_buf_str(&b, "--");
        mime_buf_str(&b, boundary);
        mime_buf_str(&b, "--\r\n");
    }

    if (b.nomem) {
        goto failed;
    }

    b.data[b.len] = '\0';

    *out = b.data;
    *outlen = b.len;

    return 0;

failed:

    if (b.nomem) {
        mime_err(err, errlen, "out of memory");
    }

    free(b.data);

    return -1;
}


/* dot-atom-text (RFC 5322 3.2.3): atoms joined by single dots */
static int
mime_dot_atom(const char *s)
{
    const char  *p;

    if (*s == '\0' || *s == '.') {
        return 0;
    }

    for (p = s; *p; p++) {
        if (*p == '.') {
            if (p[1] == '.' || p[1] == '\0') {
                return 0;
            }

        } else if (!mime_atext(*p)) {
            return 0;
        }
    }

    return 1;
}


/*
 * "<left.RANDOM@host>": left names where the message came from (the bulk
 * action and candidate), RANDOM (96 bits, base64url, all atext) makes it
 * unique among every message ever sent from host.
 */
int
mime_message_id(const char *left, const char *host, char *buf, size_t size)
{
    int      n;
    char     r64[hrx_b64url_len(12) + 1];
    uint8_t  rnd[12];

    if (size > 0) {
        buf[0] = '\0';
    }

    if (host == NULL || !mime_dot_atom(host)
        || (left != NULL && left[0] != '\0' && !mime_dot_atom(left))
        || hrx_random_bytes(rnd, sizeof(rnd)) != 0)
    {
        return -1;
    }

    hrx_b64url_encode(rnd, sizeof(rnd), r64);

    if (left != NULL && left[0] != '\0') {
        n = snprintf(buf, size, "<%s.%s@%s>", left, r64, host);

    } else {
        n = snprintf(buf, size, "<%s@%s>", r64, host);
    }

    if (n < 0 || (size_t) n >= size || (size_t) n > MIME_MSGID_MAX) {
        if (size > 0) {
            buf[0] = '\0';
        }

        return -1;
    }

    return 0;
}
