/*
 * LINE: the webhook signature, webhook bodies, push bodies and the LINE
 * Login id_token (hrx_line.h, docs/line.md).
 *
 * Two base64 alphabets meet here.  X-Line-Signature is standard base64
 * with padding (44 characters for 32 bytes), made with EVP_EncodeBlock;
 * it is checked by encoding our own MAC and comparing the two strings in
 * constant time, rather than by decoding theirs: EVP_DecodeBlock skips
 * white space and ignores the unused bits of the last character, so
 * several spellings would decode to one MAC, while comparing the encoded
 * form accepts exactly one.  The JWT parts are base64url without padding
 * and go through the strict decoder of hrx_crypto.c for the same reason.
 *
 * "Characters" are LINE's: the Messaging API counts text in UTF-16 code
 * units, so a character of the BMP (kana, kanji, Latin) counts one and
 * one outside it (most emoji, some rare kanji) counts two.  Counting code
 * points instead would let a text full of emoji through our split and
 * have LINE refuse it with a 400.  Cuts still fall only between code
 * points, never inside a UTF-8 sequence or between two surrogates.
 *
 * Webhook bodies are parsed whole and checked for shape before the first
 * callback, so a caller that stores events in a transaction never sees
 * half of a body that turns out to be malformed.  Inside an event the
 * parser is lenient: a field that is missing or of the wrong type reads
 * as absent, because LINE adds event kinds and fields over time and a
 * signed delivery should still be recorded.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hrx_crypto.h"
#include "hrx_line.h"

#define HRX_LINE_SIG_LEN     44      /* base64 of 32 bytes, one '=' */
#define HRX_LINE_TOTAL_MAX   (HRX_LINE_PUSH_MAX * HRX_LINE_TEXT_MAX)
#define HRX_LINE_JWT_MAX     8192    /* LINE's are well under 1 KiB */
#define HRX_LINE_ISSUER      "https://access.line.me"

_Static_assert(HRX_LINE_SIG_LEN < HRX_LINE_SIGNATURE_MAX,
               "a signature and its NUL fit HRX_LINE_SIGNATURE_MAX");


static void hrx_line_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


static void
hrx_line_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


/*
 * HMAC-SHA256 that says when it failed.  hrx_hmac_sha256() zeroes its
 * output on failure instead, which is right for a key derivation but not
 * here: the base64 of 32 zero bytes is a string anyone can send.
 */
static int
hrx_line_hmac(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[HRX_SHA256_SIZE])
{
    unsigned int  outlen;

    if (keylen == 0 || keylen > INT_MAX) {
        return -1;
    }

    /* an empty body is a valid message; HMAC() wants a pointer anyway */
    if (HMAC(EVP_sha256(), key, (int) keylen,
             len ? data : (const void *) "", len, out, &outlen) == NULL
        || outlen != HRX_SHA256_SIZE)
    {
        return -1;
    }

    return 0;
}


/* the signature as LINE spells it: 44 characters and a NUL, or -1 */
static int
hrx_line_sign_b64(const char *secret, size_t secret_len, const void *body,
    size_t body_len, char out[HRX_LINE_SIGNATURE_MAX])
{
    uint8_t  mac[HRX_SHA256_SIZE];

    out[0] = '\0';

    if (secret == NULL || hrx_line_hmac(secret, secret_len, body, body_len,
                                        mac) != 0)
    {
        return -1;
    }

    /* EVP_EncodeBlock adds the NUL; it writes no newlines */
    if (EVP_EncodeBlock((unsigned char *) out, mac, sizeof(mac))
        != HRX_LINE_SIG_LEN)
    {
        out[0] = '\0';
        return -1;
    }

    return 0;
}


void
hrx_line_sign(const char *secret, size_t secret_len, const void *body,
    size_t body_len, char out[HRX_LINE_SIGNATURE_MAX])
{
    (void) hrx_line_sign_b64(secret, secret_len, body, body_len, out);
}


int
hrx_line_signature_ok(const char *secret, size_t secret_len,
    const void *body, size_t body_len, const char *sig, size_t sig_len)
{
    int   ok;
    char  want[HRX_LINE_SIGNATURE_MAX];

    /*
     * Every valid signature is 44 characters long, so refusing another
     * length early tells the sender nothing about the secret.
     */
    if (sig == NULL || sig_len != HRX_LINE_SIG_LEN) {
        return 0;
    }

    if (hrx_line_sign_b64(secret, secret_len, body, body_len, want) != 0) {
        return 0;
    }

    ok = hrx_ct_equal(want, sig, HRX_LINE_SIG_LEN);
    OPENSSL_cleanse(want, sizeof(want));

    return ok;
}


/* webhook bodies */


static const char *
hrx_line_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}


int
hrx_line_events(const void *body, size_t len, hrx_line_event_pt each,
    void *ctx, char *err, size_t errlen)
{
    int                rc;
    size_t             i, n;
    json_t            *root, *events, *e, *src, *msg, *dc, *ts;
    json_error_t       jerr;
    hrx_line_event_t   ev;

    if (body == NULL || len == 0) {
        hrx_line_err(err, errlen, "the webhook body is empty");
        return -1;
    }

    /*
     * No JSON_ALLOW_NUL: a "\u0000" in a text would otherwise cut the
     * C string handed to the caller short without anyone noticing.
     * JSON_DECODE_ANY only so that "null" is refused as not an object
     * rather than as not JSON.
     */
    root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        hrx_line_err(err, errlen, "the webhook body is not JSON: %s (at "
                     "byte %d)", jerr.text, jerr.position);
        return -1;
    }

    rc = -1;

    if (!json_is_object(root)) {
        hrx_line_err(err, errlen, "the webhook body is not a JSON object");
        goto done;
    }

    events = json_object_get(root, "events");
    if (!json_is_array(events)) {
        hrx_line_err(err, errlen, "the webhook body has no \"events\" array");
        goto done;
    }

    n = json_array_size(events);

    /* the whole shape first: nothing is passed on from a bad body */
    for (i = 0; i < n; i++) {
        if (!json_is_object(json_array_get(events, i))) {
            hrx_line_err(err, errlen, "event %zu of the webhook body is not "
                         "an object", i);
            goto done;
        }
    }

    /* an empty array is what the console's "Verify" button sends */
    for (i = 0; i < n; i++) {
        e = json_array_get(events, i);

        memset(&ev, 0, sizeof(ev));

        ev.object = e;
        ev.webhook_event_id = hrx_line_str(e, "webhookEventId");
        ev.type = hrx_line_str(e, "type");

        src = json_object_get(e, "source");
        ev.user_id = json_is_object(src) ? hrx_line_str(src, "userId") : NULL;

        msg = json_object_get(e, "message");
        if (json_is_object(msg)) {
            ev.message_type = hrx_line_str(msg, "type");

            if (ev.message_type != NULL
                && strcmp(ev.message_type, "text") == 0)
            {
                ev.text = hrx_line_str(msg, "text");
            }
        }

        ts = json_object_get(e, "timestamp");
        ev.timestamp = json_is_integer(ts) ? json_integer_value(ts) : 0;

        dc = json_object_get(e, "deliveryContext");
        ev.redelivery = json_is_object(dc)
                        && json_is_true(json_object_get(dc, "isRedelivery"));

        if (each(ctx, &ev) != 0) {
            hrx_line_err(err, errlen, "stopped at event %zu of the webhook "
                         "body", i);
            goto done;
        }
    }

    rc = 0;

done:

    json_decref(root);

    return rc;
}


/* push bodies */


/*
 * The length of the UTF-8 sequence at p (at most len bytes), or 0 when
 * it is not one: overlong forms, surrogates, values past U+10FFFF and
 * truncated sequences are all refused, as is NUL (the text ends up in C
 * strings on the way to LINE, and no one means to send one).
 */
static size_t
hrx_line_utf8_len(const unsigned char *p, size_t len)
{
    size_t    n, i;
    uint32_t  c, min;

    if (p[0] == 0) {
        return 0;
    }

    if (p[0] < 0x80) {
        return 1;
    }

    if ((p[0] & 0xe0) == 0xc0) {
        n = 2; c = p[0] & 0x1f; min = 0x80;

    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3; c = p[0] & 0x0f; min = 0x800;

    } else if ((p[0] & 0xf8) == 0xf0) {
        n = 4; c = p[0] & 0x07; min = 0x10000;

    } else {
        return 0;
    }

    if (n > len) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = c << 6 | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    return n;
}


/* UTF-16 code units of the (valid) sequence starting with byte b */
#define hrx_line_units(b)  ((b) >= 0xf0 ? 2 : 1)


/*
 * Cut p (valid UTF-8) into pieces of at most HRX_LINE_TEXT_MAX units:
 * each piece as long as it can be, or, with newline set, ending after the
 * last newline that leaves it at least half full.  The newline stays at
 * the end of its piece, so the pieces put together are the text again.
 * Fills cut[] with the end offset of each piece; the number of pieces, or
 * -1 when they would be more than HRX_LINE_PUSH_MAX.
 */
static int
hrx_line_cut(const unsigned char *p, size_t len, int newline,
    size_t cut[HRX_LINE_PUSH_MAX])
{
    int     pieces;
    size_t  start, i, units, nl, u;

    pieces = 0;
    start = 0;

    while (start < len) {
        if (pieces == HRX_LINE_PUSH_MAX) {
            return -1;
        }

        i = start;
        units = 0;
        nl = 0;

        while (i < len) {
            u = hrx_line_units(p[i]);
            if (units + u > HRX_LINE_TEXT_MAX) {
                break;
            }

            units += u;

            if (p[i] == '\n' && units >= HRX_LINE_TEXT_MAX / 2) {
                nl = i + 1;
            }

            /* the sequence was checked: its lead byte says how long */
            i += p[i] < 0x80 ? 1 : p[i] < 0xe0 ? 2 : p[i] < 0xf0 ? 3 : 4;
        }

        /* a newline is worth a shorter piece only when the rest does
         * not fit in this one anyway */
        if (i < len && newline && nl != 0) {
            i = nl;
        }

        cut[pieces++] = i;
        start = i;
    }

    return pieces;
}


json_t *
hrx_line_push_body(const char *to, const char *text, size_t len)
{
    int                   i, pieces;
    size_t                off, n, units, start;
    size_t                cut[HRX_LINE_PUSH_MAX];
    json_t               *body, *messages, *m;
    const unsigned char  *p;

    if (to == NULL || to[0] == '\0' || text == NULL || len == 0) {
        return NULL;
    }

    p = (const unsigned char *) text;
    units = 0;

    for (off = 0; off < len; off += n) {
        n = hrx_line_utf8_len(p + off, len - off);
        if (n == 0) {
            return NULL;
        }

        units += hrx_line_units(p[off]);
        if (units > HRX_LINE_TOTAL_MAX) {
            return NULL;
        }
    }

    /*
     * Cutting at newlines can cost a piece: a text near the limit that
     * fits only when every piece is full is cut without them.
     */
    pieces = hrx_line_cut(p, len, 1, cut);
    if (pieces < 0) {
        pieces = hrx_line_cut(p, len, 0, cut);
        if (pieces < 0) {
            return NULL;
        }
    }

    body = json_object();
    messages = json_array();

    if (body == NULL || messages == NULL
        || json_object_set_new(body, "to", json_string(to)) != 0
        || json_object_set(body, "messages", messages) != 0)
    {
        goto failed;
    }

    start = 0;

    for (i = 0; i < pieces; i++) {
        m = json_object();

        if (json_array_append_new(messages, m) != 0
            || json_object_set_new(m, "type", json_string("text")) != 0
            || json_object_set_new(m, "text",
                                   json_stringn(text + start,
                                                cut[i] - start)) != 0)
        {
            goto failed;
        }

        start = cut[i];
    }

    json_decref(messages);

    return body;

failed:

    /* set_new steals its value even when it fails: nothing else to free */
    json_decref(messages);
    json_decref(body);

    return NULL;
}


/* the LINE Login id_token */


/* a strict base64url part of a JWT, decoded into a new NUL-ended buffer */
static uint8_t *
hrx_line_b64url_part(const char *s, size_t len, size_t *outlen)
{
    size_t    n;
    uint8_t  *buf;

    if (len == 0) {
        return NULL;
    }

    n = len / 4 * 3 + 3;
    buf = malloc(n + 1);
    if (buf == NULL) {
        return NULL;
    }

    if (hrx_b64url_decode(s, len, buf, &n) != 0) {
        free(buf);
        return NULL;
    }

    buf[n] = '\0';
    *outlen = n;

    return buf;
}


/* a JWT part as a JSON object (RFC 7515 5.2: duplicate names refused) */
static json_t *
hrx_line_jwt_json(const char *s, size_t len)
{
    size_t    n;
    json_t   *j;
    uint8_t  *buf;

    buf = hrx_line_b64url_part(s, len, &n);
    if (buf == NULL) {
        return NULL;
    }

    j = json_loadb((const char *) buf, n, JSON_REJECT_DUPLICATES, NULL);
    free(buf);

    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }

    return j;
}


static int
hrx_line_str_equal(const char *a, const char *b)
{
    size_t  n;

    n = strlen(a);

    return n == strlen(b) && hrx_ct_equal(a, b, n);
}


/*
 * Checked in the order that teaches a forger least: the shape and the
 * algorithm (public, and needed to know how to verify), then the MAC
 * over "header.payload" as received, and only after the MAC matched
 * anything the payload says.  The algorithm is not taken from the
 * header: HS256 is the only one accepted, so "none" or an asymmetric
 * algorithm with the secret as a "public key" go nowhere.
 */
int
hrx_line_id_token_check(const char *jwt, size_t len,
    const char *channel_secret, const char *channel_id, const char *nonce,
    int64_t now_ms, char **sub, char *err, size_t errlen)
{
    int          rc;
    size_t       n;
    json_t      *header, *claims, *exp;
    int64_t      e;
    uint8_t      mac[HRX_SHA256_SIZE], got[HRX_SHA256_SIZE];
    const char  *dot1, *dot2, *end, *alg, *s;

    *sub = NULL;
    header = NULL;
    claims = NULL;
    rc = -1;

    if (channel_secret == NULL || channel_secret[0] == '\0'
        || channel_id == NULL || channel_id[0] == '\0'
        || nonce == NULL || nonce[0] == '\0')
    {
        hrx_line_err(err, errlen, "the id_token cannot be checked without "
                     "the channel secret, channel id and nonce");
        return -1;
    }

    if (jwt == NULL || len == 0 || len > HRX_LINE_JWT_MAX
        || memchr(jwt, '\0', len) != NULL)
    {
        hrx_line_err(err, errlen, "the id_token is malformed");
        return -1;
    }

    end = jwt + len;
    dot1 = memchr(jwt, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t) (end - dot1 - 1)) : NULL;

    if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t) (end - dot2 - 1))) {
        hrx_line_err(err, errlen, "the id_token is malformed: not three "
                     "parts");
        return -1;
    }

    header = hrx_line_jwt_json(jwt, (size_t) (dot1 - jwt));
    if (header == NULL) {
        hrx_line_err(err, errlen, "the id_token is malformed: its header is "
                     "not a base64url JSON object");
        goto done;
    }

    alg = hrx_line_str(header, "alg");
    if (alg == NULL || strcmp(alg, "HS256") != 0) {
        hrx_line_err(err, errlen, "the id_token is signed with %s, not HS256",
                     alg ? alg : "no algorithm");
        goto done;
    }

    /* a strict decode: one spelling per MAC */
    n = sizeof(got);
    if (hrx_b64url_decode(dot2 + 1, (size_t) (end - dot2 - 1), got, &n) != 0
        || n != sizeof(got))
    {
        hrx_line_err(err, errlen, "the id_token's signature does not verify");
        goto done;
    }

    if (hrx_line_hmac(channel_secret, strlen(channel_secret), jwt,
                      (size_t) (dot2 - jwt), mac) != 0
        || !hrx_ct_equal(mac, got, sizeof(mac)))
    {
        hrx_line_err(err, errlen, "the id_token's signature does not verify");
        goto done;
    }

    /* signed by LINE from here on: what it says can be believed */

    claims = hrx_line_jwt_json(dot1 + 1, (size_t) (dot2 - dot1 - 1));
    if (claims == NULL) {
        hrx_line_err(err, errlen, "the id_token is malformed: its payload is "
                     "not a base64url JSON object");
        goto done;
    }

    s = hrx_line_str(claims, "iss");
    if (s == NULL || strcmp(s, HRX_LINE_ISSUER) != 0) {
        hrx_line_err(err, errlen, "the id_token was not issued by "
                     HRX_LINE_ISSUER);
        goto done;
    }

    s = hrx_line_str(claims, "aud");
    if (s == NULL || strcmp(s, channel_id) != 0) {
        hrx_line_err(err, errlen, "the id_token is for another channel");
        goto done;
    }

    s = hrx_line_str(claims, "nonce");
    if (s == NULL || !hrx_line_str_equal(s, nonce)) {
        hrx_line_err(err, errlen, "the id_token's nonce is not this "
                     "login's");
        goto done;
    }

    exp = json_object_get(claims, "exp");
    if (!json_is_integer(exp)) {
        hrx_line_err(err, errlen, "the id_token has no expiry");
        goto done;
    }

    /* exp * 1000 > now_ms, without overflowing either way */
    e = json_integer_value(exp);
    if (e < INT64_MAX / 1000
        && (e <= INT64_MIN / 1000 || e * 1000 <= now_ms))
    {
        hrx_line_err(err, errlen, "the id_token has expired");
        goto done;
    }

    s = hrx_line_str(claims, "sub");
    if (s == NULL || s[0] == '\0') {
        hrx_line_err(err, errlen, "the id_token names no user");
        goto done;
    }

    *sub = strdup(s);
    if (*sub == NULL) {
        hrx_line_err(err, errlen, "out of memory");
        goto done;
    }

    rc = 0;

done:

    OPENSSL_cleanse(mac, sizeof(mac));
    json_decref(header);
    json_decref(claims);

    return rc;
}


int
hrx_line_derived_id(const json_t *event, char *out, size_t size)
{
    json_t    *copy;
    char      *text;
    uint8_t    md[HRX_SHA256_SIZE];
    size_t     i, n;

    copy = json_deep_copy(event);
    if (copy == NULL) {
        return -1;
    }
    json_object_del(copy, "deliveryContext");
    json_object_del(copy, "replyToken");
    text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    if (text == NULL) {
        return -1;
    }
    hrx_sha256(text, strlen(text), md);
    free(text);

    if (size < sizeof("sha256:") + 2 * HRX_SHA256_SIZE) {
        return -1;
    }
    n = (size_t) snprintf(out, size, "sha256:");
    for (i = 0; i < HRX_SHA256_SIZE; i++) {
        n += (size_t) snprintf(out + n, size - n, "%02x", md[i]);
    }
    return 0;
}

static int
hrx_line_extract_one(void *ctx, const hrx_line_event_t *ev)
{
    json_t      *events = ctx, *e;
    const char  *id = ev->webhook_event_id;
    char         derived[80];

    if (id == NULL || id[0] == '\0' || strlen(id) > HRX_LINE_EVENT_ID_MAX) {
        if (hrx_line_derived_id(ev->object, derived, sizeof(derived)) != 0) {
            return -1;
        }
        id = derived;
    }

    e = json_pack("[s, s?, s?, s?, s?, I, b]", id, ev->type, ev->user_id,
                  ev->message_type, ev->text, (json_int_t) ev->timestamp,
                  ev->redelivery);
    return (e == NULL || json_array_append_new(events, e) != 0) ? -1 : 0;
}

json_t *
hrx_line_events_extract(const void *body, size_t len, char *err,
    size_t errlen)
{
    json_t  *events;

    events = json_array();
    if (events == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (hrx_line_events(body, len, hrx_line_extract_one, events, err, errlen)
        != 0)
    {
        json_decref(events);
        return NULL;
    }
    return events;
}
