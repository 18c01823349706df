/*
 * LINE, the parts both processes need (docs/line.md): the webhook
 * signature, the webhook body as events, push payloads, and the LINE
 * Login id_token.  Pure functions over OpenSSL and jansson: no network,
 * no database, no global state (they run on nginx pool threads too).
 */
#ifndef HRX_LINE_H
#define HRX_LINE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define HRX_LINE_TEXT_MAX        5000    /* characters per text message
                                            (UTF-16 units, as LINE counts) */
#define HRX_LINE_PUSH_MAX        5       /* messages per push request */
#define HRX_LINE_SIGNATURE_MAX   64      /* base64 of 32 bytes is 44 */

/*
 * 1 when sig (the X-Line-Signature header, sig_len bytes) is
 * base64(HMAC-SHA256(secret, body)) spelled exactly as LINE does
 * (standard alphabet, padded: 44 characters); 0 otherwise (missing,
 * malformed, truncated or different, or an empty secret).  The secret is
 * the channel secret's characters as they are (not hex-decoded).  The
 * comparison takes the same time whatever the bytes.
 */
int hrx_line_signature_ok(const char *secret, size_t secret_len,
    const void *body, size_t body_len, const char *sig, size_t sig_len);

/* the signature of body, NUL-terminated (for tests and the fake); ""
 * when it cannot be made (empty secret, OpenSSL failure) */
void hrx_line_sign(const char *secret, size_t secret_len, const void *body,
    size_t body_len, char out[HRX_LINE_SIGNATURE_MAX]);

/*
 * One event of a webhook body, pointing into the parsed JSON: valid only
 * during the call of each() (copy what you keep).  A field missing from
 * the event, or of another JSON type than LINE's, reads as NULL / 0.
 */
typedef struct {
    const char  *webhook_event_id;    /* NULL: the event has none */
    const char  *type;                /* "message", "follow", ... */
    const char  *user_id;             /* source.userId, or NULL */
    const char  *message_type;        /* message.type, or NULL */
    const char  *text;                /* message.text of a text message,
                                         else NULL */
    int64_t      timestamp;           /* ms; 0 when absent */
    int          redelivery;          /* deliveryContext.isRedelivery */
    const json_t *object;             /* the event as parsed */
} hrx_line_event_t;

/*
 * Parses a webhook body and calls each(ctx, &ev) for every element of
 * "events" in order: 0 when all returned 0 (also for an empty array, what
 * the console's "Verify" button sends); -1 as soon as one returns
 * non-zero (err then says at which event).  -1 with a sentence in err,
 * before any call, when the body is not a JSON object with an "events"
 * array of objects (or not UTF-8, or holds a \u0000).  Events without a
 * webhookEventId or type are passed with those NULL: the caller decides.
 * The parsed JSON is freed before the return.
 */
typedef int (*hrx_line_event_pt)(void *ctx, const hrx_line_event_t *ev);

/* the longest webhookEventId kept as it is; longer ones are derived */
#define HRX_LINE_EVENT_ID_MAX  127

/*
 * An id for an event LINE sent without a usable webhookEventId: "sha256:"
 * and the hex SHA-256 of the event as canonical JSON (keys sorted,
 * compact), without the members a redelivery changes, so a redelivery
 * gets the same id.  0, or -1 when it cannot be dumped.
 */
int hrx_line_derived_id(const json_t *event, char *out, size_t size);

/*
 * What the worker extracts from a verified delivery for the scheduler
 * (line.webhook's "events"): an array with one
 * [id, type, user_id, message_type, text, timestamp, redelivery] per
 * event, the id derived where LINE gave none.  NULL with a sentence in
 * err when the body is not a delivery (hrx_line_events' rules).
 */
json_t *hrx_line_events_extract(const void *body, size_t len, char *err,
    size_t errlen);

int hrx_line_events(const void *body, size_t len, hrx_line_event_pt each,
    void *ctx, char *err, size_t errlen);

/*
 * Splits text into at most HRX_LINE_PUSH_MAX pieces of at most
 * HRX_LINE_TEXT_MAX characters each, cutting on UTF-8 character
 * boundaries (preferring the last newline in a piece's second half), and
 * makes the push body {"to": to, "messages": [{"type":"text","text":…}…]}.
 * Characters are counted as LINE counts them, in UTF-16 code units: one
 * for a character of the BMP (kana, kanji), two beyond it (most emoji).
 * A newline at a cut ends its piece, so the pieces put together are the
 * text.  A new object, or NULL when to or text is empty, text is not
 * UTF-8 or holds a NUL, is longer than 5 × 5000 characters, or (cuts
 * falling between characters, an emoji at each of them) would need a
 * sixth message.
 */
json_t *hrx_line_push_body(const char *to, const char *text, size_t len);

/*
 * The LINE Login id_token (a JWT signed HS256 with the login channel
 * secret): 0 with *sub (the LINE user id, malloc()ed: free it) when the
 * header's "alg" is "HS256" (nothing else, "none" least of all), the
 * signature verifies (constant time), "iss" is "https://access.line.me",
 * "aud" (a string) equals channel_id, "nonce" equals nonce, and "exp"
 * (integer seconds) is after now_ms; -1 with *sub NULL and a sentence in
 * err otherwise.  The claims are read only once the signature matched.
 */
int hrx_line_id_token_check(const char *jwt, size_t len,
    const char *channel_secret, const char *channel_id, const char *nonce,
    int64_t now_ms, char **sub, char *err, size_t errlen);

#endif /* HRX_LINE_H */
