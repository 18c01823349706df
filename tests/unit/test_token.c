/*
 * Tests of the signed link tokens (shm/hrx_token.c): round trips of every
 * kind, that no single changed character or bit is accepted, the wrong
 * key, expiry, and tokens that are well signed but say something verify
 * must still refuse (made here by hand from the layout in hrx_token.c,
 * with the real key, so only the checks after the MAC can stop them).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_token.h"

#define NOW       1767225600000LL            /* 2026-01-01T00:00:00Z */
#define TOK_LEN   80
#define TOK_RAW   60

typedef struct {
    uint8_t      key[HRX_KEY_SIZE];
    hrx_token_t  t;
    char         tok[HRX_TOKEN_MAX];
} token_state_t;

static const char  b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


static int
token_setup(void **state)
{
    uint8_t         master[HRX_KEY_SIZE];
    token_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);

    memset(master, 0x5a, sizeof(master));
    assert_int_equal(hrx_token_key(master, st->key), 0);

    st->t.kind = HRX_TOKEN_FORM;
    st->t.tenant_id = 3;
    st->t.candidate_id = 123456789;
    st->t.object_id = 42;
    st->t.expires_at = NOW + HRX_TOKEN_TTL_FORM_MS;
    assert_int_equal(hrx_random_bytes(&st->t.nonce, sizeof(st->t.nonce)),
                     0);

    assert_int_equal(hrx_token_make(st->key, &st->t, st->tok,
                                    sizeof(st->tok)), TOK_LEN);

    *state = st;
    return 0;
}


static int
token_teardown(void **state)
{
    free(*state);
    return 0;
}


static void
assert_token_equal(const hrx_token_t *a, const hrx_token_t *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->tenant_id, b->tenant_id);
    assert_int_equal(a->candidate_id, b->candidate_id);
    assert_int_equal(a->object_id, b->object_id);
    assert_int_equal(a->expires_at, b->expires_at);
    assert_int_equal(a->nonce, b->nonce);
}


/* a token of any content signed with key, bypassing hrx_token_make */
static void
forge(const uint8_t *key, uint8_t version, uint8_t kind, int64_t tenant,
    int64_t candidate, int64_t object, int64_t expires, char *out)
{
    int       i;
    int64_t   f[4] = { tenant, candidate, object, expires };
    size_t    j;
    uint8_t   raw[TOK_RAW], mac[HRX_SHA256_SIZE];
    uint64_t  v;

    raw[0] = version;
    raw[1] = kind;

    for (j = 0; j < 5; j++) {
        v = j < 4 ? (uint64_t) f[j] : 0x0123456789abcdefULL;

        for (i = 7; i >= 0; i--) {
            raw[2 + j * 8 + (size_t) i] = (uint8_t) v;
            v >>= 8;
        }
    }

    hrx_hmac_sha256(key, HRX_KEY_SIZE, raw, 42, mac);
    memcpy(raw + 42, mac, 18);
    hrx_b64url_encode(raw, sizeof(raw), out);
}


static void
test_token_round_trip(void **state)
{
    int             kind, n;
    char            tok[HRX_TOKEN_MAX];
    hrx_token_t     t, got;
    token_state_t  *st = *state;

    assert_int_equal(strlen(st->tok), TOK_LEN);
    assert_int_equal(strspn(st->tok, b64url), TOK_LEN);

    assert_int_equal(hrx_token_verify(st->key, st->tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_OK);
    assert_token_equal(&got, &st->t);

    /* every kind, and the extremes of every field */
    for (kind = HRX_TOKEN_FORM; kind < HRX_TOKEN_KIND_MAX; kind++) {
        t.kind = kind;
        t.tenant_id = kind == 1 ? 0 : INT64_MAX;
        t.candidate_id = kind == 2 ? 0 : INT64_MAX - kind;
        t.object_id = kind >= HRX_TOKEN_LINE_FRIEND ? 0 : 1;
        t.expires_at = kind == 3 ? INT64_MAX : NOW + 1;
        t.nonce = kind == 4 ? UINT64_MAX : (uint64_t) kind;

        n = hrx_token_make(st->key, &t, tok, sizeof(tok));
        assert_int_equal(n, TOK_LEN);
        assert_int_equal(hrx_token_verify(st->key, tok, (size_t) n, NOW,
                                          &got), HRX_TOKEN_OK);
        assert_token_equal(&got, &t);
    }

    /* the length is the caller's: a token inside a longer path */
    memcpy(tok, st->tok, TOK_LEN);
    memcpy(tok + TOK_LEN, "/rest", sizeof("/rest"));
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_OK);
}


static void
test_token_tamper_chars(void **state)
{
    char            tok[HRX_TOKEN_MAX], orig;
    size_t          i, c;
    hrx_token_t     got;
    token_state_t  *st = *state;

    memcpy(tok, st->tok, sizeof(tok));

    for (i = 0; i < TOK_LEN; i++) {
        orig = tok[i];

        /* every other base64url character, and some that are not */
        for (c = 0; c < sizeof(b64url) + 4; c++) {
            tok[i] = c < sizeof(b64url) - 1 ? b64url[c]
                     : "=+/. "[c - (sizeof(b64url) - 1)];

            if (tok[i] == orig) {
                continue;
            }

            got.kind = 99;
            if (hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got)
                != HRX_TOKEN_INVALID)
            {
                fail_msg("accepted with char %zu changed to '%c'", i, tok[i]);
            }

            /* nothing of a rejected token reaches the caller */
            assert_int_equal(got.kind, 0);
            assert_int_equal(got.candidate_id, 0);
        }

        tok[i] = orig;
    }

    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_OK);
}


static void
test_token_tamper_bytes(void **state)
{
    char            tok[HRX_TOKEN_MAX];
    size_t          i, n;
    uint8_t         raw[TOK_RAW];
    hrx_token_t     got;
    token_state_t  *st = *state;

    n = sizeof(raw);
    assert_int_equal(hrx_b64url_decode(st->tok, TOK_LEN, raw, &n), 0);
    assert_int_equal(n, TOK_RAW);

    /* the layout of hrx_token.c: version, kind, then big-endian fields */
    assert_int_equal(raw[0], 1);
    assert_int_equal(raw[1], HRX_TOKEN_FORM);
    assert_int_equal(raw[9], 3);
    assert_int_equal(raw[25], 42);

    for (i = 0; i < TOK_RAW * 8; i++) {
        raw[i / 8] ^= (uint8_t) (1u << (i % 8));
        hrx_b64url_encode(raw, sizeof(raw), tok);

        if (hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got)
            != HRX_TOKEN_INVALID)
        {
            fail_msg("accepted with bit %zu flipped", i);
        }

        raw[i / 8] ^= (uint8_t) (1u << (i % 8));
    }

    hrx_b64url_encode(raw, sizeof(raw), tok);
    assert_string_equal(tok, st->tok);
}


static void
test_token_wrong_key(void **state)
{
    uint8_t         master[HRX_KEY_SIZE], other[HRX_KEY_SIZE];
    hrx_token_t     got;
    token_state_t  *st = *state;

    /* another master key */
    memset(master, 0x5b, sizeof(master));
    assert_int_equal(hrx_token_key(master, other), 0);
    assert_int_equal(hrx_token_verify(other, st->tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);

    /* the same master, but the key of another purpose */
    memset(master, 0x5a, sizeof(master));
    assert_int_equal(hrx_derive_key(master, HRX_SEAL_KEY_LABEL, other), 0);
    assert_int_equal(hrx_token_verify(other, st->tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);

    /* the master itself */
    assert_int_equal(hrx_token_verify(master, st->tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);

    /* and the derivation is the documented one */
    assert_int_equal(hrx_derive_key(master, HRX_TOKEN_KEY_LABEL, other), 0);
    assert_memory_equal(other, st->key, HRX_KEY_SIZE);
}


static void
test_token_expired(void **state)
{
    hrx_token_t     got;
    token_state_t  *st = *state;

    /* valid up to the millisecond before expires_at */
    assert_int_equal(hrx_token_verify(st->key, st->tok, TOK_LEN,
                                      st->t.expires_at - 1, &got),
                     HRX_TOKEN_OK);

    memset(&got, 0, sizeof(got));
    assert_int_equal(hrx_token_verify(st->key, st->tok, TOK_LEN,
                                      st->t.expires_at, &got),
                     HRX_TOKEN_EXPIRED);
    assert_token_equal(&got, &st->t);

    assert_int_equal(hrx_token_verify(st->key, st->tok, TOK_LEN, INT64_MAX,
                                      &got), HRX_TOKEN_EXPIRED);
    assert_token_equal(&got, &st->t);

    /* an expired token with a bad signature is just invalid */
    st->tok[40] = st->tok[40] == 'A' ? 'B' : 'A';
    assert_int_equal(hrx_token_verify(st->key, st->tok, TOK_LEN, INT64_MAX,
                                      &got), HRX_TOKEN_INVALID);
    assert_int_equal(got.candidate_id, 0);
}


static void
test_token_bad_kind_version(void **state)
{
    char            tok[HRX_TOKEN_MAX];
    hrx_token_t     got;
    token_state_t  *st = *state;

    /* the forger agrees with hrx_token_make on a good token */
    forge(st->key, 1, HRX_TOKEN_EVENT, 3, 4, 5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_OK);
    assert_int_equal(got.kind, HRX_TOKEN_EVENT);
    assert_int_equal(got.nonce, 0x0123456789abcdefULL);

    /* well signed, but a version or kind this code does not know */
    forge(st->key, 0, HRX_TOKEN_EVENT, 3, 4, 5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);
    forge(st->key, 2, HRX_TOKEN_EVENT, 3, 4, 5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);
    forge(st->key, 1, 0, 3, 4, 5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);
    forge(st->key, 1, HRX_TOKEN_KIND_MAX, 3, 4, 5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);
    forge(st->key, 1, 255, 3, 4, 5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);

    /* negative fields, which make never writes */
    forge(st->key, 1, HRX_TOKEN_FORM, -1, 4, 5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);
    forge(st->key, 1, HRX_TOKEN_FORM, 3, INT64_MIN, 5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);
    forge(st->key, 1, HRX_TOKEN_FORM, 3, 4, -5, NOW + 1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);
    forge(st->key, 1, HRX_TOKEN_FORM, 3, 4, 5, -1, tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_INVALID);

    /* and make refuses the same */
    st->t.kind = 0;
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, sizeof(tok)), -1);
    assert_string_equal(tok, "");
    st->t.kind = HRX_TOKEN_KIND_MAX;
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, sizeof(tok)), -1);
    st->t.kind = HRX_TOKEN_FORM;
    st->t.tenant_id = -1;
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, sizeof(tok)), -1);
    st->t.tenant_id = 3;
    st->t.candidate_id = -1;
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, sizeof(tok)), -1);
    st->t.candidate_id = 4;
    st->t.object_id = -1;
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, sizeof(tok)), -1);
    st->t.object_id = 5;
    st->t.expires_at = -1;
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, sizeof(tok)), -1);
    st->t.expires_at = 0;
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, sizeof(tok)),
                     TOK_LEN);
}


static void
test_token_buffer(void **state)
{
    char            tok[HRX_TOKEN_MAX];
    token_state_t  *st = *state;

    /* exactly the token and its NUL, and one byte less */
    memset(tok, 'x', sizeof(tok));
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, TOK_LEN + 1),
                     TOK_LEN);
    assert_string_equal(tok, st->tok);
    assert_int_equal(tok[TOK_LEN], '\0');

    memset(tok, 'x', sizeof(tok));
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, TOK_LEN), -1);
    assert_int_equal(tok[0], '\0');
    assert_int_equal(tok[1], 'x');

    assert_int_equal(hrx_token_make(st->key, &st->t, tok, 1), -1);
    assert_int_equal(tok[0], '\0');
    assert_int_equal(hrx_token_make(st->key, &st->t, NULL, 0), -1);
}


static void
test_token_lengths(void **state)
{
    char            long_tok[2 * HRX_TOKEN_MAX + 1];
    size_t          len;
    hrx_token_t     got;
    token_state_t  *st = *state;

    /* every prefix of a good token, and extensions of it */
    for (len = 0; len < TOK_LEN; len++) {
        assert_int_equal(hrx_token_verify(st->key, st->tok, len, NOW, &got),
                         HRX_TOKEN_INVALID);
    }

    memset(long_tok, 'A', sizeof(long_tok) - 1);
    long_tok[sizeof(long_tok) - 1] = '\0';
    memcpy(long_tok, st->tok, TOK_LEN);

    for (len = TOK_LEN + 1; len < sizeof(long_tok); len++) {
        assert_int_equal(hrx_token_verify(st->key, long_tok, len, NOW, &got),
                         HRX_TOKEN_INVALID);
    }

    /* the whole token moved by one: still 80 characters, not a token */
    assert_int_equal(hrx_token_verify(st->key, long_tok + 1, TOK_LEN, NOW,
                                      &got), HRX_TOKEN_INVALID);

    assert_int_equal(hrx_token_verify(st->key, NULL, 0, NOW, &got),
                     HRX_TOKEN_INVALID);
    assert_int_equal(hrx_token_verify(st->key, "", 0, NOW, &got),
                     HRX_TOKEN_INVALID);

    /* URL-safe, and no '.' or '/' to confuse a path */
    assert_null(strpbrk(st->tok, "./+=%?#"));
    assert_true(strlen(st->tok) < HRX_TOKEN_MAX);
}


static void
test_token_nonce(void **state)
{
    char            tok[HRX_TOKEN_MAX];
    hrx_token_t     t, got;
    token_state_t  *st = *state;

    /* the same link twice differs only by its nonce, and both verify */
    t = st->t;
    t.nonce ^= 1;
    assert_int_equal(hrx_token_make(st->key, &t, tok, sizeof(tok)), TOK_LEN);
    assert_string_not_equal(tok, st->tok);
    assert_int_equal(hrx_token_verify(st->key, tok, TOK_LEN, NOW, &got),
                     HRX_TOKEN_OK);
    assert_int_equal(got.nonce, st->t.nonce ^ 1);

    /* and the same nonce makes the same token: make is a pure function */
    assert_int_equal(hrx_token_make(st->key, &st->t, tok, sizeof(tok)),
                     TOK_LEN);
    assert_string_equal(tok, st->tok);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_round_trip,
                                        token_setup, token_teardown),
        cmocka_unit_test_setup_teardown(test_token_tamper_chars,
                                        token_setup, token_teardown),
        cmocka_unit_test_setup_teardown(test_token_tamper_bytes,
                                        token_setup, token_teardown),
        cmocka_unit_test_setup_teardown(test_token_wrong_key,
                                        token_setup, token_teardown),
        cmocka_unit_test_setup_teardown(test_token_expired,
                                        token_setup, token_teardown),
        cmocka_unit_test_setup_teardown(test_token_bad_kind_version,
                                        token_setup, token_teardown),
        cmocka_unit_test_setup_teardown(test_token_buffer,
                                        token_setup, token_teardown),
        cmocka_unit_test_setup_teardown(test_token_lengths,
                                        token_setup, token_teardown),
        cmocka_unit_test_setup_teardown(test_token_nonce,
                                        token_setup, token_teardown),
    };

    return cmocka_run_group_tests_name("hrx_token", tests, NULL, NULL);
}
