/*
 * Tests of the LINE helpers (shm/hrx_line.c, docs/line.md, SPEC LN-2,
 * LN-3, LN-13).
 *
 * Known answers come from elsewhere: the signature vector of LINE's own
 * Node.js SDK tests (secret "test_secret", body {"hello":"world"}), a
 * LINE-shaped delivery signed with the openssl CLI, and an id_token made
 * with Python's hmac and base64.  The rest builds bodies and tokens here
 * and checks every way they can be wrong.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_crypto.h"
#include "hrx_line.h"

#define APPLE      "\xf0\x9f\x8d\x8e"         /* U+1F34E: 4 bytes, 2 units */
#define A_HIRA     "\xe3\x81\x82"             /* あ: 3 bytes, 1 unit */
#define E_ACUTE    "\xc3\xa9"                 /* é: 2 bytes, 1 unit */

/* LINE's Node.js SDK, test/validate-signature.spec.ts */
#define SDK_SECRET  "test_secret"
#define SDK_BODY    "{\"hello\":\"world\"}"
#define SDK_SIG     "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM="

/* printf %s "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64 */
#define CLI_SECRET  "8c570fa6dd201bb328f1c1eac23a96d8"
#define CLI_BODY                                                          \
    "{\"destination\":\"U0123456789abcdef0123456789abcdef\",\"events\":"  \
    "[{\"type\":\"message\",\"message\":{\"type\":\"text\",\"id\":"       \
    "\"468789577898262530\",\"quoteToken\":\"q1\",\"text\":"              \
    "\"\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\"},"  \
    "\"webhookEventId\":\"01H810YECXQQZ37VAXPF6H9E6T\",\"deliveryContext\""\
    ":{\"isRedelivery\":false},\"timestamp\":1692251666727,\"source\":"   \
    "{\"type\":\"user\",\"userId\":\"U4af4980629e4c8b2d2c1f8c1b5c6d1f3\"}"\
    ",\"replyToken\":\"38ef843bde154d9b91c21320ffd17a0f\",\"mode\":"      \
    "\"active\"}]}"
#define CLI_SIG     "E1SfDJNPrtZey1AiFDsoBMxAIpf23rgwJ+ZFIuFYpDE="

/* Python: hmac.new(secret, header.payload, sha256), urlsafe_b64encode */
#define PY_SECRET   "a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define PY_JWT                                                            \
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."                               \
    "eyJpc3MiOiJodHRwczovL2FjY2Vzcy5saW5lLm1lIiwic3ViIjoiVTEyMzQ1Njc4OTBh"\
    "YmNkZWYxMjM0NTY3ODkwYWJjZGVmIiwiYXVkIjoiMTIzNDU2Nzg5MCIsImV4cCI6MTcw"\
    "MDAwMzYwMCwiaWF0IjoxNzAwMDAwMDAwLCJub25jZSI6IjA5ODc2NTQzMjFmZWRjYmEi"\
    "LCJhbXIiOlsicHdkIl0sIm5hbWUiOiJUYXJvIExpbmUifQ."                     \
    "6OTWZJYRaomBZyF0VrKc1Ny9Ug9ARDZr69423HWHnrQ"
#define PY_SUB      "U1234567890abcdef1234567890abcdef"
#define PY_AUD      "1234567890"
#define PY_NONCE    "0987654321fedcba"
#define PY_EXP_MS   1700003600000LL

/* the channel the built tokens are for */
#define LOGIN_SECRET  "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define LOGIN_ID      "2001234567"
#define NONCE         "n-7f3a9c"
#define NOW_MS        1750000000000LL
#define ISS           "https://access.line.me"

#define MAX_EVENTS    16


/* signatures */


static int
sig_ok(const char *secret, const char *body, const char *sig)
{
    return hrx_line_signature_ok(secret, strlen(secret), body, strlen(body),
                                 sig, sig ? strlen(sig) : 0);
}


static void
test_line_signature_known(void **state)
{
    char  out[HRX_LINE_SIGNATURE_MAX];

    (void) state;

    hrx_line_sign(SDK_SECRET, strlen(SDK_SECRET), SDK_BODY,
                  strlen(SDK_BODY), out);
    assert_string_equal(out, SDK_SIG);
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, SDK_SIG), 1);

    /* a real delivery's shape, UTF-8 text in it */
    hrx_line_sign(CLI_SECRET, strlen(CLI_SECRET), CLI_BODY,
                  strlen(CLI_BODY), out);
    assert_string_equal(out, CLI_SIG);
    assert_int_equal(sig_ok(CLI_SECRET, CLI_BODY, CLI_SIG), 1);

    /* an empty body has a signature too */
    hrx_line_sign(SDK_SECRET, strlen(SDK_SECRET), NULL, 0, out);
    assert_int_equal(strlen(out), 44);
    assert_int_equal(hrx_line_signature_ok(SDK_SECRET, strlen(SDK_SECRET),
                                           NULL, 0, out, strlen(out)), 1);
    assert_int_equal(hrx_line_signature_ok(SDK_SECRET, strlen(SDK_SECRET),
                                           "", 0, out, strlen(out)), 1);
}


static void
test_line_signature_wrong(void **state)
{
    char    sig[64], out[HRX_LINE_SIGNATURE_MAX];
    size_t  i;

    (void) state;

    /* the SDK's own negative case: three letters in another case */
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY,
                            "t7Hn4ZDHqs6e+wdvi5TyQivzie0DmMUmuXEBqyyE/tM="),
                     0);

    /* another secret, another body, one byte more or less of body */
    assert_int_equal(sig_ok("test_secreT", SDK_BODY, SDK_SIG), 0);
    assert_int_equal(sig_ok(CLI_SECRET, SDK_BODY, SDK_SIG), 0);
    assert_int_equal(sig_ok(SDK_SECRET, "{\"hello\":\"World\"}", SDK_SIG), 0);
    assert_int_equal(sig_ok(SDK_SECRET, "{\"hello\":\"world\"} ", SDK_SIG),
                     0);
    assert_int_equal(hrx_line_signature_ok(SDK_SECRET, strlen(SDK_SECRET),
                                           SDK_BODY, strlen(SDK_BODY) - 1,
                                           SDK_SIG, strlen(SDK_SIG)), 0);

    /* the signature of another delivery */
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, CLI_SIG), 0);

    /* every single character changed */
    for (i = 0; i < strlen(SDK_SIG); i++) {
        strcpy(sig, SDK_SIG);
        sig[i] = sig[i] == 'A' ? 'B' : 'A';
        assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, sig), 0);
    }

    /* a secret of no bytes signs nothing, and checks nothing */
    hrx_line_sign("", 0, SDK_BODY, strlen(SDK_BODY), out);
    assert_string_equal(out, "");
    assert_int_equal(sig_ok("", SDK_BODY, SDK_SIG), 0);
    assert_int_equal(hrx_line_signature_ok(NULL, 0, SDK_BODY,
                                           strlen(SDK_BODY), SDK_SIG,
                                           strlen(SDK_SIG)), 0);
}


static void
test_line_signature_malformed(void **state)
{
    char  sig[64];

    (void) state;

    /* missing */
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, NULL), 0);
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, ""), 0);

    /* truncated: no padding, one character short, the header cut in two */
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY,
                            "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM"), 0);
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY,
                            "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/t="), 0);
    assert_int_equal(hrx_line_signature_ok(SDK_SECRET, strlen(SDK_SECRET),
                                           SDK_BODY, strlen(SDK_BODY),
                                           SDK_SIG, 22), 0);
    assert_int_equal(hrx_line_signature_ok(SDK_SECRET, strlen(SDK_SECRET),
                                           SDK_BODY, strlen(SDK_BODY),
                                           SDK_SIG, 43), 0);

    /* longer: white space around it, twice the signature, a NUL after */
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, SDK_SIG " "), 0);
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, " " SDK_SIG), 0);
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, SDK_SIG "\n"), 0);
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, SDK_SIG SDK_SIG), 0);
    assert_int_equal(hrx_line_signature_ok(SDK_SECRET, strlen(SDK_SECRET),
                                           SDK_BODY, strlen(SDK_BODY),
                                           SDK_SIG "\0", 45), 0);

    /* the same MAC in other spellings: base64url, hex, sha256= prefix */
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY,
                            "t7Hn4ZDHqs6e-wdvI5TyQIvzie0DmMUmuXEBqyyE_tM="), 0);
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY,
                            "b7b1e7e190c7aace9efb076f2394f2408bf389ed"
                            "0398c526b97101ab2c84fed3"), 0);
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, "sha256=" SDK_SIG), 0);

    /* the unused low bits of the last character set: a lenient decoder
     * reads the same 32 bytes, the check must not */
    strcpy(sig, SDK_SIG);
    assert_int_equal(sig[42], 'M');
    sig[42] = 'N';
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, sig), 0);
    sig[42] = 'P';
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY, sig), 0);

    /* 44 characters that are not base64 at all */
    assert_int_equal(sig_ok(SDK_SECRET, SDK_BODY,
                            "********************************************"),
                     0);
    memset(sig, 0, sizeof(sig));
    assert_int_equal(hrx_line_signature_ok(SDK_SECRET, strlen(SDK_SECRET),
                                           SDK_BODY, strlen(SDK_BODY),
                                           sig, 44), 0);
}


/* webhook bodies */


typedef struct {
    char     *webhook_event_id, *type, *user_id, *message_type, *text;
    int64_t   timestamp;
    int       redelivery;
} copy_t;

typedef struct {
    copy_t  ev[MAX_EVENTS];
    int     n;
    int     stop_at;        /* -1: never */
} events_t;


static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}


static int
collect(void *ctx, const hrx_line_event_t *ev)
{
    copy_t    *c;
    events_t  *es;

    es = ctx;
    assert_true(es->n < MAX_EVENTS);

    if (es->n == es->stop_at) {
        es->n++;
        return -1;
    }

    c = &es->ev[es->n++];
    c->webhook_event_id = dup_or_null(ev->webhook_event_id);
    c->type = dup_or_null(ev->type);
    c->user_id = dup_or_null(ev->user_id);
    c->message_type = dup_or_null(ev->message_type);
    c->text = dup_or_null(ev->text);
    c->timestamp = ev->timestamp;
    c->redelivery = ev->redelivery;

    return 0;
}


static int
events_setup(void **state)
{
    events_t  *es;

    es = calloc(1, sizeof(events_t));
    if (es == NULL) {
        return -1;
    }

    es->stop_at = -1;
    *state = es;

    return 0;
}


static int
events_teardown(void **state)
{
    int       i;
    events_t  *es;

    es = *state;

    for (i = 0; i < es->n && i < MAX_EVENTS; i++) {
        free(es->ev[i].webhook_event_id);
        free(es->ev[i].type);
        free(es->ev[i].user_id);
        free(es->ev[i].message_type);
        free(es->ev[i].text);
    }

    free(es);

    return 0;
}


static int
parse(events_t *es, const char *body, char *err, size_t errlen)
{
    return hrx_line_events(body, strlen(body), collect, es, err, errlen);
}


static void
assert_null_or_string(const char *got, const char *want)
{
    if (want == NULL) {
        assert_null(got);

    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}


static void
assert_event(const copy_t *c, const char *id, const char *type,
    const char *user, const char *mtype, const char *text, int64_t ts,
    int redelivery)
{
    assert_null_or_string(c->webhook_event_id, id);
    assert_null_or_string(c->type, type);
    assert_null_or_string(c->user_id, user);
    assert_null_or_string(c->message_type, mtype);
    assert_null_or_string(c->text, text);
    assert_true(c->timestamp == ts);
    assert_int_equal(c->redelivery, redelivery);
}


#define DC_NO   "\"deliveryContext\":{\"isRedelivery\":false}"
#define DC_YES  "\"deliveryContext\":{\"isRedelivery\":true}"
#define SRC(u)  "\"source\":{\"type\":\"user\",\"userId\":\"" u "\"}"


static void
test_line_events_kinds(void **state)
{
    char       err[256];
    events_t  *es;

    static const char  body[] =
        "{\"destination\":\"Ubot\",\"events\":["
        /* 0: text, Japanese and an emoji in it */
        "{\"type\":\"message\",\"mode\":\"active\",\"timestamp\":1692251666727,"
        SRC("Ua") ",\"webhookEventId\":\"E0\"," DC_NO ",\"replyToken\":\"r\","
        "\"message\":{\"id\":\"1\",\"type\":\"text\",\"text\":"
        "\"\xe3\x81\x93\xe3\x82\x93 " APPLE "\\n\\\"ok\\\"\"}},"
        /* 1: sticker */
        "{\"type\":\"message\",\"timestamp\":2," SRC("Ua")
        ",\"webhookEventId\":\"E1\"," DC_NO ",\"message\":{\"id\":\"2\","
        "\"type\":\"sticker\",\"packageId\":\"446\",\"stickerId\":\"1988\","
        "\"stickerResourceType\":\"STATIC\"}},"
        /* 2: image */
        "{\"type\":\"message\",\"timestamp\":3," SRC("Ub")
        ",\"webhookEventId\":\"E2\"," DC_NO ",\"message\":{\"id\":\"3\","
        "\"type\":\"image\",\"contentProvider\":{\"type\":\"line\"}}},"
        /* 3: follow */
        "{\"type\":\"follow\",\"timestamp\":4," SRC("Uc")
        ",\"webhookEventId\":\"E3\"," DC_NO ",\"replyToken\":\"r\","
        "\"follow\":{\"isUnblocked\":false}},"
        /* 4: unfollow */
        "{\"type\":\"unfollow\",\"timestamp\":5," SRC("Uc")
        ",\"webhookEventId\":\"E4\"," DC_NO "},"
        /* 5: a redelivered text */
        "{\"type\":\"message\",\"timestamp\":6," SRC("Ua")
        ",\"webhookEventId\":\"E0\"," DC_YES ",\"message\":{\"id\":\"1\","
        "\"type\":\"text\",\"text\":\"again\"}},"
        /* 6: no webhookEventId, no source, no timestamp */
        "{\"type\":\"message\",\"message\":{\"type\":\"text\","
        "\"text\":\"x\"}},"
        /* 7: no type at all */
        "{\"webhookEventId\":\"E7\"," SRC("Ud") "},"
        /* 8: fields of the wrong JSON type read as absent */
        "{\"type\":\"message\",\"webhookEventId\":7,\"timestamp\":\"9\","
        "\"source\":{\"userId\":12},\"deliveryContext\":{\"isRedelivery\":1},"
        "\"message\":{\"type\":\"text\",\"text\":[\"x\"]}},"
        /* 9: text on a message that is not a text message is not passed */
        "{\"type\":\"message\",\"webhookEventId\":\"E9\",\"message\":"
        "{\"type\":\"file\",\"text\":\"not me\",\"fileName\":\"a.pdf\"}},"
        /* 10: a group source still names the user; an unknown kind */
        "{\"type\":\"postback\",\"webhookEventId\":\"E10\",\"timestamp\":11,"
        "\"source\":{\"type\":\"group\",\"groupId\":\"G\",\"userId\":\"Ue\"},"
        "\"postback\":{\"data\":\"a=b\"}},"
        /* 11: source and message that are not objects */
        "{\"type\":\"message\",\"webhookEventId\":\"E11\",\"source\":\"Uf\","
        "\"message\":\"hi\",\"deliveryContext\":true}"
        "]}";

    es = *state;

    assert_int_equal(parse(es, body, err, sizeof(err)), 0);
    assert_int_equal(es->n, 12);

    assert_event(&es->ev[0], "E0", "message", "Ua", "text",
                 "\xe3\x81\x93\xe3\x82\x93 " APPLE "\n\"ok\"",
                 1692251666727LL, 0);
    assert_event(&es->ev[1], "E1", "message", "Ua", "sticker", NULL, 2, 0);
    assert_event(&es->ev[2], "E2", "message", "Ub", "image", NULL, 3, 0);
    assert_event(&es->ev[3], "E3", "follow", "Uc", NULL, NULL, 4, 0);
    assert_event(&es->ev[4], "E4", "unfollow", "Uc", NULL, NULL, 5, 0);
    assert_event(&es->ev[5], "E0", "message", "Ua", "text", "again", 6, 1);
    assert_event(&es->ev[6], NULL, "message", NULL, "text", "x", 0, 0);
    assert_event(&es->ev[7], "E7", NULL, "Ud", NULL, NULL, 0, 0);
    assert_event(&es->ev[8], NULL, "message", NULL, "text", NULL, 0, 0);
    assert_event(&es->ev[9], "E9", "message", NULL, "file", NULL, 0, 0);
    assert_event(&es->ev[10], "E10", "postback", "Ue", NULL, NULL, 11, 0);
    assert_event(&es->ev[11], "E11", "message", NULL, NULL, NULL, 0, 0);
}


static void
test_line_events_empty(void **state)
{
    char       err[256];
    events_t  *es;

    es = *state;

    /* the console's "Verify" button */
    assert_int_equal(parse(es, "{\"destination\":\"U0\",\"events\":[]}", err,
                           sizeof(err)), 0);
    assert_int_equal(es->n, 0);

    /* white space around the object is JSON too */
    assert_int_equal(parse(es, " \n{\"events\":[]}\r\n", err, sizeof(err)),
                     0);
    assert_int_equal(es->n, 0);
}


static void
test_line_events_stop(void **state)
{
    char       err[256];
    events_t  *es;

    es = *state;
    es->stop_at = 1;

    assert_int_equal(parse(es, "{\"events\":[{\"type\":\"follow\"},"
                           "{\"type\":\"unfollow\"},{\"type\":\"follow\"}]}",
                           err, sizeof(err)), -1);

    /* the second said stop: the third was never seen */
    assert_int_equal(es->n, 2);
    assert_string_equal(es->ev[0].type, "follow");
    assert_non_null(strstr(err, "event 1"));
}


static void
test_line_events_malformed(void **state)
{
    int          i;
    char         err[256];
    events_t    *es;
    const char  *body = "{\"events\":[{\"type\":\"follow\"}]}";

    static const struct {
        const char  *body;
        const char  *says;
    } bad[] = {
        { "not json", "not JSON" },
        { "{\"events\":[", "not JSON" },
        { "{\"events\":[]} x", "not JSON" },
        { "{\"events\":[]}{}", "not JSON" },
        { "{\"events\":[{\"type\":\"follow\",}]}", "not JSON" },
        { "[]", "not a JSON object" },
        { "\"events\"", "not a JSON object" },
        { "null", "not a JSON object" },
        { "{}", "no \"events\" array" },
        { "{\"Events\":[]}", "no \"events\" array" },
        { "{\"events\":{}}", "no \"events\" array" },
        { "{\"events\":null}", "no \"events\" array" },
        { "{\"events\":\"[]\"}", "no \"events\" array" },
        /* one bad element stops the body before any event is passed */
        { "{\"events\":[1]}", "event 0" },
        { "{\"events\":[{\"type\":\"follow\"},\"x\"]}", "event 1" },
        { "{\"events\":[{\"type\":\"follow\"},{},[]]}", "event 2" },
        { "{\"events\":[{\"type\":\"follow\"},null]}", "event 1" },
        /* not UTF-8; a NUL in a string */
        { "{\"events\":[{\"type\":\"\xff\"}]}", "not JSON" },
        { "{\"events\":[{\"type\":\"\xe3\x81\"}]}", "not JSON" },
        { "{\"events\":[{\"type\":\"message\",\"message\":{\"type\":"
          "\"text\",\"text\":\"a\\u0000b\"}}]}", "not JSON" },
    };

    es = *state;

    for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++) {
        err[0] = '\0';
        assert_int_equal(parse(es, bad[i].body, err, sizeof(err)), -1);
        assert_int_equal(es->n, 0);

        if (strstr(err, bad[i].says) == NULL) {
            fail_msg("body %d: \"%s\" does not say \"%s\"", i, err,
                     bad[i].says);
        }
    }

    /* empty, and a body cut anywhere */
    assert_int_equal(hrx_line_events(NULL, 0, collect, es, err, sizeof(err)),
                     -1);
    assert_int_equal(hrx_line_events("", 0, collect, es, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "empty"));

    for (i = 1; i < (int) strlen(body); i++) {
        assert_int_equal(hrx_line_events(body, (size_t) i, collect, es, err,
                                         sizeof(err)), -1);
    }

    assert_int_equal(es->n, 0);

    /* err may be left out */
    assert_int_equal(parse(es, "[]", NULL, 0), -1);
}


/* push bodies */


/* LINE's count: UTF-16 code units of valid UTF-8 */
static size_t
units(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        if ((c & 0xc0) != 0x80) {
            n += c >= 0xf0 ? 2 : 1;
        }
    }

    return n;
}


static char *
repeat(const char *piece, size_t times)
{
    char    *s;
    size_t   n, i;

    n = strlen(piece);
    s = malloc(n * times + 1);
    assert_non_null(s);

    for (i = 0; i < times; i++) {
        memcpy(s + i * n, piece, n);
    }

    s[n * times] = '\0';

    return s;
}


static char *
concat(const char *a, const char *b)
{
    char    *s;
    size_t   n;

    n = strlen(a);
    s = malloc(n + strlen(b) + 1);
    assert_non_null(s);
    memcpy(s, a, n);
    strcpy(s + n, b);

    return s;
}


/*
 * Builds the push body of text and checks what every one must be: "to",
 * 1..5 text messages, each within LINE's count, together the text.
 * The units of each message go to lens[] (which may be NULL).
 */
static int
push(const char *text, size_t lens[HRX_LINE_PUSH_MAX])
{
    int          n, i;
    char        *all;
    size_t       len, off, tl;
    json_t      *body, *msgs, *m;
    const char  *t;

    len = strlen(text);
    body = hrx_line_push_body("U1234", text, len);
    if (body == NULL) {
        return 0;
    }

    assert_string_equal(json_string_value(json_object_get(body, "to")),
                        "U1234");
    assert_int_equal(json_object_size(body), 2);

    msgs = json_object_get(body, "messages");
    assert_true(json_is_array(msgs));
    n = (int) json_array_size(msgs);
    assert_in_range(n, 1, HRX_LINE_PUSH_MAX);

    all = malloc(len + 1);
    assert_non_null(all);
    off = 0;

    for (i = 0; i < n; i++) {
        m = json_array_get(msgs, (size_t) i);
        assert_int_equal(json_object_size(m), 2);
        assert_string_equal(json_string_value(json_object_get(m, "type")),
                            "text");

        t = json_string_value(json_object_get(m, "text"));
        assert_non_null(t);
        tl = json_string_length(json_object_get(m, "text"));
        assert_in_range(tl, 1, len - off);
        assert_in_range(units(t, tl), 1, HRX_LINE_TEXT_MAX);

        if (lens != NULL) {
            lens[i] = units(t, tl);
        }

        memcpy(all + off, t, tl);
        off += tl;
    }

    assert_int_equal(off, len);
    assert_memory_equal(all, text, len);

    free(all);
    json_decref(body);

    return n;
}


static void
test_line_push_body_short(void **state)
{
    char    *s;
    json_t  *body;

    (void) state;

    body = hrx_line_push_body("Uabc", "hi", 2);
    assert_non_null(body);
    s = json_dumps(body, JSON_COMPACT);
    assert_string_equal(s, "{\"to\":\"Uabc\",\"messages\":[{\"type\":\"text\","
                           "\"text\":\"hi\"}]}");
    free(s);
    json_decref(body);

    /* len, not the NUL, says where the text ends */
    body = hrx_line_push_body("Uabc", "hi there", 2);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(body, "messages"),
                                           0), "text")), "hi");
    json_decref(body);

    assert_int_equal(push("\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1"
                          "\xe3\x81\xaf " APPLE "\nline two\n", NULL), 1);
    assert_int_equal(push("\n", NULL), 1);
}


static void
test_line_push_body_boundaries(void **state)
{
    char    *s, *t;
    size_t   lens[HRX_LINE_PUSH_MAX];

    (void) state;

    /* ASCII: 5000 is one message, 5001 two */
    s = repeat("a", 5000);
    assert_int_equal(push(s, lens), 1);
    assert_int_equal(lens[0], 5000);
    t = concat(s, "b");
    assert_int_equal(push(t, lens), 2);
    assert_int_equal(lens[0], 5000);
    assert_int_equal(lens[1], 1);
    free(s);
    free(t);

    /* kana: 3 bytes, one character each (15000 bytes are one message) */
    s = repeat(A_HIRA, 5000);
    assert_int_equal(push(s, lens), 1);
    free(s);
    s = repeat(A_HIRA, 5001);
    assert_int_equal(push(s, lens), 2);
    assert_int_equal(lens[0], 5000);
    assert_int_equal(lens[1], 1);
    free(s);

    /* two bytes, one character */
    s = repeat(E_ACUTE, 5001);
    assert_int_equal(push(s, lens), 2);
    assert_int_equal(lens[0], 5000);
    free(s);

    /* emoji count two each, as LINE counts them: 2500 fill a message */
    s = repeat(APPLE, 2500);
    assert_int_equal(push(s, lens), 1);
    assert_int_equal(lens[0], 5000);
    free(s);
    s = repeat(APPLE, 2501);
    assert_int_equal(push(s, lens), 2);
    assert_int_equal(lens[0], 5000);
    assert_int_equal(lens[1], 2);
    free(s);

    /* an emoji across the 5000th unit goes whole to the next message */
    s = repeat(APPLE, 2500);
    t = concat("a", s);
    assert_int_equal(push(t, lens), 2);
    assert_int_equal(lens[0], 4999);
    assert_int_equal(lens[1], 2);
    free(s);
    free(t);

    /* bytes and characters apart: the cut still falls between kana
     * (push() reads every message back as UTF-8) */
    s = repeat(A_HIRA, 5000);
    t = concat("ab", s);
    assert_int_equal(push(t, lens), 2);
    assert_int_equal(lens[0], 5000);
    assert_int_equal(lens[1], 2);
    free(s);
    free(t);
}


static void
test_line_push_body_newlines(void **state)
{
    char    *a, *b, *s, *t;
    size_t   lens[HRX_LINE_PUSH_MAX];

    (void) state;

    a = repeat("a", 3000);
    b = repeat("b", 3000);

    /* a newline in the second half: the first message ends with it */
    s = concat(a, "\n");
    t = concat(s, b);
    assert_int_equal(push(t, lens), 2);
    assert_int_equal(lens[0], 3001);
    assert_int_equal(lens[1], 3000);
    free(s);
    free(t);

    /* the last of several newlines */
    s = concat(a, "\nxx\nyyy\n");
    t = concat(s, b);
    assert_int_equal(push(t, lens), 2);
    assert_int_equal(lens[0], 3008);
    free(s);
    free(t);

    /* a text that fits is not cut at its newlines */
    s = concat(a, "\n");
    t = concat(s, "tail");
    assert_int_equal(push(t, lens), 1);
    free(s);
    free(t);
    free(a);
    free(b);

    /* a newline in the first half is not worth a short message */
    a = repeat("a", 1000);
    b = repeat("b", 5000);
    s = concat(a, "\n");
    t = concat(s, b);
    assert_int_equal(push(t, lens), 2);
    assert_int_equal(lens[0], 5000);
    assert_int_equal(lens[1], 1001);
    free(s);
    free(t);
    free(a);
    free(b);

    /* the newline is the 5000th character: a full message ends with it */
    a = repeat("a", 4999);
    s = concat(a, "\nb");
    assert_int_equal(push(s, lens), 2);
    assert_int_equal(lens[0], 5000);
    assert_int_equal(lens[1], 1);
    free(s);
    free(a);

    /* the 5001st: the next message starts with it */
    a = repeat("a", 5000);
    s = concat(a, "\nb");
    assert_int_equal(push(s, lens), 2);
    assert_int_equal(lens[0], 5000);
    assert_int_equal(lens[1], 2);
    free(s);
    free(a);

    /* CRLF stays together; Japanese lines */
    a = repeat(A_HIRA, 2999);
    b = concat(a, "\r\n");
    s = concat(b, a);
    assert_int_equal(push(s, lens), 2);
    assert_int_equal(lens[0], 3001);
    free(s);
    free(b);
    free(a);
}


static void
test_line_push_body_limit(void **state)
{
    int      i;
    char    *s, *t, *line;
    size_t   lens[HRX_LINE_PUSH_MAX];

    (void) state;

    /* 25000 characters are five full messages; one more is refused */
    s = repeat("a", 25000);
    assert_int_equal(push(s, lens), 5);
    for (i = 0; i < 5; i++) {
        assert_int_equal(lens[i], 5000);
    }
    t = concat(s, "a");
    assert_int_equal(push(t, NULL), 0);
    free(s);
    free(t);

    s = repeat(A_HIRA, 25000);
    assert_int_equal(push(s, NULL), 5);
    free(s);
    s = repeat(A_HIRA, 25001);
    assert_int_equal(push(s, NULL), 0);
    free(s);

    /* 12500 emoji are 25000 units; 12501 are too many */
    s = repeat(APPLE, 12500);
    assert_int_equal(push(s, NULL), 5);
    free(s);
    s = repeat(APPLE, 12501);
    assert_int_equal(push(s, NULL), 0);
    free(s);

    /* 25000 units that would need a sixth message: an emoji at each cut
     * leaves 4999 units in every message */
    s = repeat(APPLE, 12499);
    t = concat("a", s);
    free(s);
    s = concat(t, "a");
    assert_int_equal(units(s, strlen(s)), 25000);
    assert_int_equal(push(s, NULL), 0);
    free(s);
    free(t);

    /*
     * Lines of 3000: cut at newlines they take nine messages, so the
     * text is cut as if it had none and fits in five.
     */
    line = repeat("x", 2999);
    t = concat(line, "\n");
    free(line);
    line = repeat(t, 8);
    free(t);
    s = repeat("y", 1000);
    t = line;
    line = concat(t, s);
    assert_int_equal(units(line, strlen(line)), 25000);
    assert_int_equal(push(line, lens), 5);
    for (i = 0; i < 5; i++) {
        assert_int_equal(lens[i], 5000);
    }
    free(line);
    free(s);
    free(t);

    /* with room to spare the newlines are used */
    line = repeat("x", 2999);
    t = concat(line, "\n");
    s = repeat(t, 5);
    assert_int_equal(push(s, lens), 5);
    for (i = 0; i < 5; i++) {
        assert_int_equal(lens[i], 3000);
    }
    free(s);
    free(t);
    free(line);
}


static void
test_line_push_body_invalid(void **state)
{
    size_t       i;

    static const char  *bad[] = {
        "\xff",
        "ok \xfe ok",
        "\x80",                         /* a continuation alone */
        "\xe3\x81",                     /* truncated */
        "ab\xe3\x81",
        "\xf0\x9f\x8d",
        "\xc0\xaf",                     /* overlong '/' */
        "\xe0\x80\xaf",
        "\xf0\x80\x80\xaf",
        "\xed\xa0\x80",                 /* a surrogate, U+D800 */
        "\xed\xbf\xbf",
        "\xf4\x90\x80\x80",             /* U+110000 */
        "\xf8\x88\x80\x80\x80",         /* five bytes */
        "\xe3\x41\x82",                 /* not a continuation */
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hrx_line_push_body("U1", bad[i], strlen(bad[i])) != NULL) {
            fail_msg("text %zu was accepted", i);
        }
    }

    /* the edges that are valid */
    assert_int_equal(push("\xf4\x8f\xbf\xbf", NULL), 1);        /* U+10FFFF */
    assert_int_equal(push("\xee\x80\x80", NULL), 1);            /* U+E000 */
    assert_int_equal(push("\xed\x9f\xbf", NULL), 1);            /* U+D7FF */

    /* empty text, a NUL in it, no recipient */
    assert_null(hrx_line_push_body("U1", "", 0));
    assert_null(hrx_line_push_body("U1", "a\0b", 3));
    assert_null(hrx_line_push_body("U1", "\0", 1));
    assert_null(hrx_line_push_body("U1", NULL, 0));
    assert_null(hrx_line_push_body(NULL, "hi", 2));
    assert_null(hrx_line_push_body("", "hi", 2));
    assert_null(hrx_line_push_body("U\xff", "hi", 2));
}


/* the id_token */


/* header.payload.signature, the signature made with secret */
static char *
jwt(const char *header, const char *payload, const char *secret)
{
    char     *s, *p;
    size_t    hl, pl;
    uint8_t   mac[HRX_SHA256_SIZE];

    hl = strlen(header);
    pl = strlen(payload);
    s = malloc(hrx_b64url_len(hl) + hrx_b64url_len(pl)
               + hrx_b64url_len(sizeof(mac)) + 3);
    assert_non_null(s);

    p = s + hrx_b64url_encode((const uint8_t *) header, hl, s);
    *p++ = '.';
    p += hrx_b64url_encode((const uint8_t *) payload, pl, p);

    hrx_hmac_sha256((const uint8_t *) secret, strlen(secret), s,
                    (size_t) (p - s), mac);
    *p++ = '.';
    hrx_b64url_encode(mac, sizeof(mac), p);

    return s;
}


#define HS256  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"


/* the base64url character whose value differs from c's in bit 0 */
static char
flip_low_bit(char c)
{
    static const char  b64url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    const char  *p;

    p = strchr(b64url, c);
    assert_non_null(p);

    return b64url[(p - b64url) ^ 1];
}


static char *
claims(const char *iss, const char *aud, const char *nonce, const char *sub,
    int64_t exp)
{
    static char  buf[1024];

    snprintf(buf, sizeof(buf), "{\"iss\":\"%s\",\"sub\":\"%s\",\"aud\":"
             "\"%s\",\"exp\":%lld,\"iat\":%lld,\"nonce\":\"%s\",\"amr\":"
             "[\"linesso\"],\"name\":\"\xe5\xb1\xb1\xe7\x94\xb0\"}", iss, sub,
             aud, (long long) exp,
             (long long) (exp > INT64_MIN + 3600 ? exp - 3600 : exp), nonce);

    return buf;
}


static int
check(const char *token, char **sub, char *err, size_t errlen)
{
    return hrx_line_id_token_check(token, strlen(token), LOGIN_SECRET,
                                   LOGIN_ID, NONCE, NOW_MS, sub, err,
                                   errlen);
}


/* refused, *sub left NULL, and err says why */
static void
refused(const char *token, const char *says)
{
    char  *sub, err[256];

    sub = (char *) "untouched";
    err[0] = '\0';

    assert_int_equal(check(token, &sub, err, sizeof(err)), -1);
    assert_null(sub);

    if (strstr(err, says) == NULL) {
        fail_msg("\"%s\" does not say \"%s\"", err, says);
    }
}


static void
test_line_id_token_valid(void **state)
{
    char  *t, *sub, err[256];

    (void) state;

    /* made by Python */
    sub = NULL;
    assert_int_equal(hrx_line_id_token_check(PY_JWT, strlen(PY_JWT),
                                             PY_SECRET, PY_AUD, PY_NONCE,
                                             PY_EXP_MS - 1, &sub, err,
                                             sizeof(err)), 0);
    assert_string_equal(sub, PY_SUB);
    free(sub);

    /* and one millisecond later it has expired */
    assert_int_equal(hrx_line_id_token_check(PY_JWT, strlen(PY_JWT),
                                             PY_SECRET, PY_AUD, PY_NONCE,
                                             PY_EXP_MS, &sub, err,
                                             sizeof(err)), -1);
    assert_null(sub);
    assert_non_null(strstr(err, "expired"));

    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "Uf00d", NOW_MS / 1000 + 1),
            LOGIN_SECRET);
    assert_int_equal(check(t, &sub, err, sizeof(err)), 0);
    assert_string_equal(sub, "Uf00d");
    free(sub);
    free(t);

    /* header without typ, in another order; an exp far away */
    t = jwt("{\"typ\":\"JWT\",\"kid\":\"x\",\"alg\":\"HS256\"}",
            claims(ISS, LOGIN_ID, NONCE, "Uf00d", INT64_MAX), LOGIN_SECRET);
    assert_int_equal(check(t, &sub, err, sizeof(err)), 0);
    free(sub);
    free(t);

    t = jwt("{\"alg\":\"HS256\"}",
            claims(ISS, LOGIN_ID, NONCE, "Uf00d", INT64_MAX / 1000 + 7),
            LOGIN_SECRET);
    assert_int_equal(check(t, &sub, err, sizeof(err)), 0);
    free(sub);
    free(t);
}


static void
test_line_id_token_signature(void **state)
{
    char    *t, *u, *dot;
    size_t   n;

    (void) state;

    /* another channel's secret */
    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            "another secret");
    refused(t, "signature");
    free(t);

    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            LOGIN_SECRET);
    n = strlen(t);

    /* one character of the signature changed */
    t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
    refused(t, "signature");
    t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';

    /* the last character's unused bits: same bytes to a lenient decoder */
    u = strdup(t);
    u[n - 1] = flip_low_bit(u[n - 1]);
    refused(u, "signature");
    free(u);

    /* the signature cut short, left out, padded, doubled */
    u = strdup(t);
    u[n - 1] = '\0';
    refused(u, "signature");
    dot = strrchr(u, '.');
    dot[1] = '\0';
    refused(u, "signature");
    free(u);
    u = concat(t, "=");
    refused(u, "signature");
    free(u);
    dot = strrchr(t, '.');
    u = concat(t, dot + 1);
    refused(u, "signature");
    free(u);

    /* the payload of another token under this token's signature */
    u = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "Uevil", NOW_MS / 1000 + 60),
            "another secret");
    memcpy(strrchr(u, '.'), strrchr(t, '.'), strlen(strrchr(t, '.')) + 1);
    refused(u, "signature");
    free(u);

    /* the Python token checked with the wrong secret */
    {
        char  *sub, err[256];

        assert_int_equal(hrx_line_id_token_check(PY_JWT, strlen(PY_JWT),
                                                 LOGIN_SECRET, PY_AUD,
                                                 PY_NONCE, PY_EXP_MS - 1,
                                                 &sub, err, sizeof(err)),
                         -1);
        assert_null(sub);
    }

    free(t);
}


static void
test_line_id_token_claims(void **state)
{
    char     *t;
    int64_t   later;

    (void) state;

    later = NOW_MS / 1000 + 60;

    t = jwt(HS256, claims(ISS, "1999999999", NONCE, "Ua", later),
            LOGIN_SECRET);
    refused(t, "another channel");
    free(t);

    /* the Messaging API channel's id is not the login channel's */
    t = jwt(HS256, claims(ISS, LOGIN_ID "0", NONCE, "Ua", later),
            LOGIN_SECRET);
    refused(t, "another channel");
    free(t);

    t = jwt(HS256, "{\"iss\":\"" ISS "\",\"sub\":\"Ua\",\"aud\":[\""
            LOGIN_ID "\"],\"exp\":9999999999,\"nonce\":\"" NONCE "\"}",
            LOGIN_SECRET);
    refused(t, "another channel");
    free(t);

    t = jwt(HS256, claims(ISS, LOGIN_ID, "n-other", "Ua", later),
            LOGIN_SECRET);
    refused(t, "nonce");
    free(t);

    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE "x", "Ua", later),
            LOGIN_SECRET);
    refused(t, "nonce");
    free(t);

    t = jwt(HS256, claims(ISS, LOGIN_ID, "", "Ua", later), LOGIN_SECRET);
    refused(t, "nonce");
    free(t);

    t = jwt(HS256, "{\"iss\":\"" ISS "\",\"sub\":\"Ua\",\"aud\":\""
            LOGIN_ID "\",\"exp\":9999999999}", LOGIN_SECRET);
    refused(t, "nonce");
    free(t);

    t = jwt(HS256, claims("https://evil.example", LOGIN_ID, NONCE, "Ua",
                          later), LOGIN_SECRET);
    refused(t, "issued");
    free(t);

    t = jwt(HS256, "{\"sub\":\"Ua\",\"aud\":\"" LOGIN_ID "\",\"exp\":"
            "9999999999,\"nonce\":\"" NONCE "\"}", LOGIN_SECRET);
    refused(t, "issued");
    free(t);

    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "", later), LOGIN_SECRET);
    refused(t, "no user");
    free(t);

    t = jwt(HS256, "{\"iss\":\"" ISS "\",\"aud\":\"" LOGIN_ID "\",\"exp\":"
            "9999999999,\"nonce\":\"" NONCE "\"}", LOGIN_SECRET);
    refused(t, "no user");
    free(t);
}


static void
test_line_id_token_expired(void **state)
{
    char  *t, *sub, err[256];

    (void) state;

    /* exp is in seconds: exactly now is too late */
    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000),
            LOGIN_SECRET);
    refused(t, "expired");
    assert_int_equal(hrx_line_id_token_check(t, strlen(t), LOGIN_SECRET,
                                             LOGIN_ID, NONCE, NOW_MS - 1,
                                             &sub, err, sizeof(err)), 0);
    free(sub);
    free(t);

    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 - 3600),
            LOGIN_SECRET);
    refused(t, "expired");
    free(t);

    /* exp in milliseconds by mistake would be far future; 0 and negative */
    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "Ua", 0), LOGIN_SECRET);
    refused(t, "expired");
    free(t);

    t = jwt(HS256, claims(ISS, LOGIN_ID, NONCE, "Ua", INT64_MIN + 1),
            LOGIN_SECRET);
    refused(t, "expired");
    free(t);

    t = jwt(HS256, "{\"iss\":\"" ISS "\",\"sub\":\"Ua\",\"aud\":\""
            LOGIN_ID "\",\"nonce\":\"" NONCE "\"}", LOGIN_SECRET);
    refused(t, "expiry");
    free(t);

    t = jwt(HS256, "{\"iss\":\"" ISS "\",\"sub\":\"Ua\",\"aud\":\""
            LOGIN_ID "\",\"exp\":\"9999999999\",\"nonce\":\"" NONCE "\"}",
            LOGIN_SECRET);
    refused(t, "expiry");
    free(t);

    t = jwt(HS256, "{\"iss\":\"" ISS "\",\"sub\":\"Ua\",\"aud\":\""
            LOGIN_ID "\",\"exp\":9999999999.5,\"nonce\":\"" NONCE "\"}",
            LOGIN_SECRET);
    refused(t, "expiry");
    free(t);
}


static void
test_line_id_token_alg(void **state)
{
    char  *t, *dot, body[2048];
    char   h[64], p[512];

    (void) state;

    /* alg none, without a signature, as the attack sends it */
    hrx_b64url_encode((const uint8_t *) "{\"alg\":\"none\"}", 14, h);
    strcpy(body, claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60));
    hrx_b64url_encode((const uint8_t *) body, strlen(body), p);
    snprintf(body, sizeof(body), "%s.%s.", h, p);
    refused(body, "none, not HS256");

    /* and with a valid HMAC of the secret: still not HS256 */
    t = jwt("{\"alg\":\"none\",\"typ\":\"JWT\"}",
            claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            LOGIN_SECRET);
    refused(t, "none, not HS256");
    dot = strrchr(t, '.');
    dot[1] = '\0';
    refused(t, "none, not HS256");
    free(t);

    t = jwt("{\"alg\":\"None\"}",
            claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            LOGIN_SECRET);
    refused(t, "not HS256");
    free(t);

    t = jwt("{\"alg\":\"hs256\"}",
            claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            LOGIN_SECRET);
    refused(t, "not HS256");
    free(t);

    t = jwt("{\"alg\":\"HS512\"}",
            claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            LOGIN_SECRET);
    refused(t, "not HS256");
    free(t);

    /* the secret as an "RS256/ES256 public key" */
    t = jwt("{\"alg\":\"ES256\"}",
            claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            LOGIN_SECRET);
    refused(t, "not HS256");
    free(t);

    t = jwt("{\"typ\":\"JWT\"}",
            claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            LOGIN_SECRET);
    refused(t, "no algorithm");
    free(t);

    t = jwt("{\"alg\":256}",
            claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60),
            LOGIN_SECRET);
    refused(t, "no algorithm");
    free(t);
}


static void
test_line_id_token_malformed(void **state)
{
    char        *t, *u, *big, *sub, err[256];
    size_t       n;
    const char  *payload;

    (void) state;

    refused("", "malformed");
    refused("abc", "malformed");
    refused("a.b", "malformed");
    refused("a.b.c.d", "malformed");
    refused("..", "malformed");
    refused("...", "malformed");
    refused("e30.e30.", "no algorithm");           /* {} has no alg */

    payload = claims(ISS, LOGIN_ID, NONCE, "Ua", NOW_MS / 1000 + 60);

    /* the header not JSON, not an object, not base64url, padded */
    t = jwt("not json", payload, LOGIN_SECRET);
    refused(t, "header");
    free(t);
    t = jwt("[\"HS256\"]", payload, LOGIN_SECRET);
    refused(t, "header");
    free(t);
    t = jwt(HS256, payload, LOGIN_SECRET);
    u = concat("=", t);
    refused(u, "header");
    free(u);
    u = strdup(t);
    u[3] = '+';
    refused(u, "header");
    free(u);

    /* a payload correctly signed that is not an object */
    free(t);
    t = jwt(HS256, "not json", LOGIN_SECRET);
    refused(t, "payload");
    free(t);
    t = jwt(HS256, "\"" ISS "\"", LOGIN_SECRET);
    refused(t, "payload");
    free(t);

    /* duplicate claims: the second "aud" would win in a lenient parser */
    t = jwt(HS256, "{\"iss\":\"" ISS "\",\"sub\":\"Ua\",\"aud\":\"x\","
            "\"aud\":\"" LOGIN_ID "\",\"exp\":9999999999,\"nonce\":\""
            NONCE "\"}", LOGIN_SECRET);
    refused(t, "payload");
    free(t);

    /* a NUL inside, and a length that stops short of the token */
    t = jwt(HS256, payload, LOGIN_SECRET);
    n = strlen(t);
    sub = NULL;
    assert_int_equal(hrx_line_id_token_check(t, n - 1, LOGIN_SECRET, LOGIN_ID,
                                             NONCE, NOW_MS, &sub, err,
                                             sizeof(err)), -1);
    assert_null(sub);
    u = malloc(n + 2);
    assert_non_null(u);
    memcpy(u, t, n + 1);
    u[n + 1] = '\0';
    u[10] = '\0';
    assert_int_equal(hrx_line_id_token_check(u, n, LOGIN_SECRET, LOGIN_ID,
                                             NONCE, NOW_MS, &sub, err,
                                             sizeof(err)), -1);
    assert_non_null(strstr(err, "malformed"));
    free(u);

    /* too long to be LINE's */
    big = repeat("a", 9000);
    u = concat(t, big);
    refused(u, "malformed");
    free(u);
    free(big);

    /* nothing to check against: refused whatever the token */
    assert_int_equal(hrx_line_id_token_check(t, n, LOGIN_SECRET, LOGIN_ID,
                                             "", NOW_MS, &sub, err,
                                             sizeof(err)), -1);
    assert_int_equal(hrx_line_id_token_check(t, n, LOGIN_SECRET, LOGIN_ID,
                                             NULL, NOW_MS, &sub, err,
                                             sizeof(err)), -1);
    assert_int_equal(hrx_line_id_token_check(t, n, "", LOGIN_ID, NONCE,
                                             NOW_MS, &sub, err, sizeof(err)),
                     -1);
    assert_int_equal(hrx_line_id_token_check(t, n, LOGIN_SECRET, "", NONCE,
                                             NOW_MS, &sub, err, sizeof(err)),
                     -1);
    assert_int_equal(hrx_line_id_token_check(NULL, 0, LOGIN_SECRET, LOGIN_ID,
                                             NONCE, NOW_MS, &sub, err,
                                             sizeof(err)), -1);
    assert_null(sub);

    /* and err may be left out */
    assert_int_equal(hrx_line_id_token_check("x", 1, LOGIN_SECRET, LOGIN_ID,
                                             NONCE, NOW_MS, &sub, NULL, 0),
                     -1);
    free(t);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_signature_known),
        cmocka_unit_test(test_line_signature_wrong),
        cmocka_unit_test(test_line_signature_malformed),
        cmocka_unit_test_setup_teardown(test_line_events_kinds,
                                        events_setup, events_teardown),
        cmocka_unit_test_setup_teardown(test_line_events_empty,
                                        events_setup, events_teardown),
        cmocka_unit_test_setup_teardown(test_line_events_stop,
                                        events_setup, events_teardown),
        cmocka_unit_test_setup_teardown(test_line_events_malformed,
                                        events_setup, events_teardown),
        cmocka_unit_test(test_line_push_body_short),
        cmocka_unit_test(test_line_push_body_boundaries),
        cmocka_unit_test(test_line_push_body_newlines),
        cmocka_unit_test(test_line_push_body_limit),
        cmocka_unit_test(test_line_push_body_invalid),
        cmocka_unit_test(test_line_id_token_valid),
        cmocka_unit_test(test_line_id_token_signature),
        cmocka_unit_test(test_line_id_token_claims),
        cmocka_unit_test(test_line_id_token_expired),
        cmocka_unit_test(test_line_id_token_alg),
        cmocka_unit_test(test_line_id_token_malformed),
    };

    return cmocka_run_group_tests_name("hrx_line", tests, NULL, NULL);
}
