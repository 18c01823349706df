/*
 * How one message leaves: written to a file, sent in one SMTP
 * transaction, or pushed to LINE's Messaging API, and what the end of
 * that means.  No database and no scheduling here; outbox.c does both.
 * See mail_transport.c.
 */
#ifndef HRX_SCHED_MAIL_TRANSPORT_H
#define HRX_SCHED_MAIL_TRANSPORT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "hrx_crypto.h"

#define MAIL_DETAIL_SIZE  512
#define MAIL_RETRY_KEY_SIZE  37      /* a UUID, 36 characters and NUL */

typedef enum {
    MAIL_SENT = 0,        /* accepted: the row is sent */
    MAIL_RETRY,           /* 4xx, connection, timeout, local trouble */
    MAIL_REJECTED         /* a 5xx reply (LINE: a 4xx other than 429):
                             failed at once */
} mail_result_e;

/*
 * The file transport: payload to <data_dir>/outbox/<tenant_id>/<id>.eml,
 * durably (temp file, fsync, rename, fsync of the directory); the
 * directories are made 0700 as needed.  0, or -1 with a sentence in err.
 */
int mail_file_write(const char *data_dir, int64_t tenant_id, int64_t id,
    const void *payload, size_t len, char *err, size_t errlen);

/*
 * The SMTP password stored for tenant_id, opened with the seal key (aad
 * "mail_settings.smtp_password:<tenant_id>") into out (size bytes, NUL
 * added).  0, or -1 with a sentence in err (never the secret).  The
 * caller wipes out after use.
 */
int mail_smtp_password(const uint8_t key[HRX_KEY_SIZE], int64_t tenant_id,
    const uint8_t *sealed, size_t len, char *out, size_t size, char *err,
    size_t errlen);

typedef struct {
    const char  *host;
    int64_t      port;
    const char  *security;       /* "starttls" / "tls" / "none" */
    const char  *username;       /* NULL or "": no AUTH */
    const char  *password;       /* copied by libcurl; wipe after the call */
    const char  *ca_file;        /* NULL: the system's CAs */
    uint32_t     timeout_ms;     /* the whole transfer */
    const char  *mail_from;      /* envelope sender */
    const char  *rcpt_to;        /* envelope recipient */
    const void  *payload;
    size_t       len;
    const _Atomic int  *abort;   /* nonzero: give up (within a second) */
} mail_smtp_params_t;

/*
 * Send one message over SMTP on easy, a handle the calling thread owns
 * and reuses (curl_easy_reset keeps its open connections, so the next
 * message to the same server skips the TCP, TLS and AUTH round trips).
 * Blocks until the server answered, the timeout, or *abort.  Returns what
 * that means for the row and a detail (the server's reply, or why it
 * could not be reached) for the log and last_error; *aborted is set when
 * it was given up because of *abort (the outcome is then unknown).
 */
mail_result_e mail_smtp_send(CURL *easy, const mail_smtp_params_t *p,
    char *detail, size_t size, int *aborted);

/* the end of a handle mail_smtp_send used, at a stop: its open
 * connection is dropped without waiting for the server */
void mail_smtp_handle_close(CURL *easy);

/* -------------------------------------------------------------------- */
/* LINE (docs/line.md, "Sending"; SPEC LN-11, LN-13) */

/*
 * A new X-Line-Retry-Key: a random (version 4) UUID in lower case, fixed
 * when the outbox row is written and sent with every attempt of it, so
 * that LINE accepts the message once however often it is retried.
 * 0, or -1 when no randomness was to be had.
 */
int mail_line_retry_key(char out[MAIL_RETRY_KEY_SIZE]);

/*
 * The Messaging API channel access token stored for tenant_id, opened
 * with the seal key (aad "line.access_token:<tenant_id>") into out (size
 * bytes, NUL added).  0, or -1 with a sentence in err (never the
 * secret).  The caller wipes out after use.
 */
int mail_line_token(const uint8_t key[HRX_KEY_SIZE], int64_t tenant_id,
    const uint8_t *sealed, size_t len, char *out, size_t size, char *err,
    size_t errlen);

typedef struct {
    const char  *api_url;        /* "https://api.line.me", no trailing / */
    const char  *token;          /* the channel access token; wipe after */
    const char  *retry_key;      /* X-Line-Retry-Key */
    uint32_t     timeout_ms;     /* the whole request */
    const void  *payload;        /* the push body (JSON) */
    size_t       len;
    const _Atomic int  *abort;   /* nonzero: give up (within a second) */
} mail_line_params_t;

/*
 * POST {api_url}/v2/bot/message/push on easy (reset first; its open
 * connection is kept for the next request).  What the answer means:
 *   2xx                                    MAIL_SENT
 *   409 "The retry key is already accepted" MAIL_SENT (an earlier attempt
 *                                          got through, its answer was
 *                                          lost)
 *   429, 5xx, no answer, a timeout         MAIL_RETRY; *retry_after_ms is
 *                                          the Retry-After header's
 *                                          seconds in ms (0: none)
 *   any other status                       MAIL_REJECTED, detail LINE's
 *                                          "message" (and its first
 *                                          detail)
 * *aborted as for mail_smtp_send().
 */
mail_result_e mail_line_push(CURL *easy, const mail_line_params_t *p,
    char *detail, size_t size, int64_t *retry_after_ms, int *aborted);

#endif /* HRX_SCHED_MAIL_TRANSPORT_H */
