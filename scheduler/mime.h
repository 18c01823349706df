/*
 * An email message (RFC 5322 + MIME, RFC 2045-2047) from its parts, the
 * way the outbox stores it: rendered once, sent as bytes, so a resend
 * after a crash is byte-for-byte the same message with the same
 * Message-ID.
 *
 * What it writes:
 *   - CRLF line ends; no line longer than 998 bytes (header lines are
 *     folded below 78 where they can be);
 *   - Subject and display names RFC 2047 encoded-words ("=?UTF-8?B?...?=",
 *     split on character boundaries, each word <= 75 bytes) when they are
 *     not plain printable ASCII; addresses as given (checked: no CR, LF,
 *     '<', '>', ',', ';' or spaces, one '@');
 *   - Date (RFC 5322, "+0000"), Message-ID, MIME-Version, From, To,
 *     Reply-To (optional), Subject, Auto-Submitted: auto-generated
 *     (optional), extra "X-Hrx-*" headers given by the caller;
 *   - text only: one text/plain; charset=UTF-8 part, Content-Transfer-
 *     Encoding: base64 (76-character lines); with HTML a
 *     multipart/alternative of text/plain then text/html, with a random
 *     boundary that cannot occur in base64.
 */
#ifndef HRX_SCHED_MIME_H
#define HRX_SCHED_MIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char  *from_email;     /* required */
    const char  *from_name;      /* optional display name */
    const char  *to_email;       /* required */
    const char  *to_name;        /* optional */
    const char  *reply_to;       /* optional address */
    const char  *subject;        /* UTF-8, required (may be "") */
    const char  *message_id;     /* "<...@...>", required */
    int64_t      date_ms;        /* unix ms, the Date: header */
    const char  *body_text;      /* UTF-8, required */
    size_t       body_text_len;
    const char  *body_html;      /* UTF-8, optional (NULL: text only) */
    size_t       body_html_len;
    const char  *headers[8];     /* extra "Name: value" lines (no CRLF),
                                    NULL-terminated; names must start
                                    with "X-" */
} mime_message_t;

/*
 * 0 and a malloc()ed message in *out (*outlen bytes, NUL-terminated for
 * convenience), or -1 with a sentence in err (an address or header that
 * would break the message, out of memory).
 */
int mime_build(const mime_message_t *m, char **out, size_t *outlen,
    char *err, size_t errlen);

/* a new Message-ID "<left.random@host>" into buf: 0 / -1 (too small) */
int mime_message_id(const char *left, const char *host, char *buf,
    size_t size);

#endif /* HRX_SCHED_MIME_H */
