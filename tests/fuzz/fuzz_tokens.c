/*
 * Signed tokens that arrive from outside: link tokens (shm/hrx_token.c)
 * in /f/, /e/ and LINE friend links, and LINE Login id_tokens
 * (hrx_line_id_token_check, a JWT).  Byte 0 picks the check.
 *
 * Properties: bytes verify as a link token only when they are one we
 * make, byte for byte (a forgery would need the key, and no token has a
 * second spelling); a token made from any fields
 * verifies back to the same fields, and one changed byte of it does not;
 * an id_token is refused unless signed with the channel secret, and one
 * that is signed (the claims are the fuzzer's) is accepted only when its
 * claims meet every rule, checked here independently with jansson.
 */
#include "fuzz.h"
#include "hrx_token.h"
#include "hrx_line.h"

static const uint8_t  fuzz_key[HRX_KEY_SIZE] = "fuzz key fuzz key fuzz key fuzz";

#define FUZZ_NOW_MS    1796000000000LL
#define FUZZ_SECRET    "0123456789abcdef0123456789abcdef"
#define FUZZ_CHANNEL   "1650000000"
#define FUZZ_NONCE     "n0nce"

static void
fuzz_link_token(const uint8_t *data, size_t size)
{
    hrx_token_t  t, got;
    char         tok[HRX_TOKEN_MAX];
    int          n;

    /* bytes that verify are a token as we make it, byte for byte: no
     * second spelling of the same token (case, padding, trailing bytes) */
    if (hrx_token_verify(fuzz_key, (const char *) data, size, FUZZ_NOW_MS,
                         &got) != HRX_TOKEN_INVALID)
    {
        n = hrx_token_make(fuzz_key, &got, tok, sizeof(tok));
        FUZZ_CHECK(n >= 0 && (size_t) n == size
                   && memcmp(tok, data, size) == 0);
    }

    if (size < 1 + 4 * 8) {
        return;
    }
    memset(&t, 0, sizeof(t));
    t.kind = data[0] % (HRX_TOKEN_KIND_MAX + 1);
    memcpy(&t.tenant_id, data + 1, 8);
    memcpy(&t.candidate_id, data + 9, 8);
    memcpy(&t.object_id, data + 17, 8);
    memcpy(&t.nonce, data + 25, 8);
    t.expires_at = FUZZ_NOW_MS + 60000;
    n = hrx_token_make(fuzz_key, &t, tok, sizeof(tok));
    if (n < 0) {
        return;                       /* out of range: refused to make */
    }
    FUZZ_CHECK((size_t) n == strlen(tok));
    FUZZ_CHECK(hrx_token_verify(fuzz_key, tok, n, FUZZ_NOW_MS, &got)
               == HRX_TOKEN_OK);
    FUZZ_CHECK(got.kind == t.kind && got.tenant_id == t.tenant_id
               && got.candidate_id == t.candidate_id
               && got.object_id == t.object_id
               && got.expires_at == t.expires_at);
    FUZZ_CHECK(hrx_token_verify(fuzz_key, tok, n, t.expires_at, &got)
               == HRX_TOKEN_EXPIRED);
    if (size > 33) {
        size_t  at = data[33] % n;
        char    was = tok[at];

        tok[at] = (char) (data[size - 1] == (uint8_t) was
                          ? was ^ 1 : data[size - 1]);
        FUZZ_CHECK(hrx_token_verify(fuzz_key, tok, n, FUZZ_NOW_MS, &got)
                   == HRX_TOKEN_INVALID);
    }
}

/* the claims' own verdict: every rule of hrx_line_id_token_check */
static int
fuzz_claims_ok(const char *payload, size_t len)
{
    json_t  *c = json_loadb(payload, len, 0, NULL), *exp;
    int      ok;

    if (c == NULL || !json_is_object(c)) {
        json_decref(c);
        return 0;
    }
    exp = json_object_get(c, "exp");
    ok = json_is_string(json_object_get(c, "sub"))
         && json_is_string(json_object_get(c, "iss"))
         && strcmp(json_string_value(json_object_get(c, "iss")),
                   "https://access.line.me") == 0
         && json_is_string(json_object_get(c, "aud"))
         && strcmp(json_string_value(json_object_get(c, "aud")),
                   FUZZ_CHANNEL) == 0
         && json_is_string(json_object_get(c, "nonce"))
         && strcmp(json_string_value(json_object_get(c, "nonce")),
                   FUZZ_NONCE) == 0
         && json_is_integer(exp)
         && json_integer_value(exp) > FUZZ_NOW_MS / 1000;
    json_decref(c);
    return ok;
}

static void
fuzz_id_token(const uint8_t *data, size_t size)
{
    static const char  header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    uint8_t            mac[HRX_SHA256_SIZE];
    char              *jwt, *sub = NULL, err[256];
    size_t             n = 0, cap;
    int                rc;

    /* as it came: never valid without the secret */
    rc = hrx_line_id_token_check((const char *) data, size, FUZZ_SECRET,
                                 FUZZ_CHANNEL, FUZZ_NONCE, FUZZ_NOW_MS, &sub,
                                 err, sizeof(err));
    FUZZ_CHECK(rc != 0 && sub == NULL);

    /* the bytes as claims, signed with the secret */
    cap = hrx_b64url_len(sizeof(header)) + hrx_b64url_len(size)
          + hrx_b64url_len(sizeof(mac)) + 4;
    jwt = malloc(cap);
    FUZZ_CHECK(jwt != NULL);
    n += hrx_b64url_encode((const uint8_t *) header, sizeof(header) - 1, jwt);
    jwt[n++] = '.';
    n += hrx_b64url_encode(data, size, jwt + n);
    hrx_hmac_sha256((const uint8_t *) FUZZ_SECRET, strlen(FUZZ_SECRET), jwt,
                    n, mac);
    jwt[n++] = '.';
    n += hrx_b64url_encode(mac, sizeof(mac), jwt + n);
    jwt[n] = '\0';
    FUZZ_CHECK(n < cap);
    rc = hrx_line_id_token_check(jwt, n, FUZZ_SECRET, FUZZ_CHANNEL,
                                 FUZZ_NONCE, FUZZ_NOW_MS, &sub, err,
                                 sizeof(err));
    if (rc == 0) {
        FUZZ_CHECK(sub != NULL);
        FUZZ_CHECK(fuzz_claims_ok((const char *) data, size));
        free(sub);
    } else {
        FUZZ_CHECK(sub == NULL && err[0] != '\0');
    }
    free(jwt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    if (data[0] & 1) {
        fuzz_id_token(data + 1, size - 1);
    } else {
        fuzz_link_token(data + 1, size - 1);
    }
    return 0;
}
