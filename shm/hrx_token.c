/*
 * Signed link tokens (hrx_token.h).
 *
 * Version 1 is 60 bytes, written as 80 characters of base64url:
 *
 *     0   version      1       always 1
 *     1   kind         1       hrx_token_kind_e
 *     2   tenant_id    8       big-endian, >= 0
 *     10  candidate_id 8
 *     18  object_id    8
 *     26  expires_at   8       unix ms
 *     34  nonce        8
 *     42  mac          18      HMAC-SHA256 of bytes 0..41, truncated
 *
 * Fixed widths keep parsing trivial: a token has one length, and anything
 * else is rejected before a byte of it is looked at.  The MAC is cut to
 * 18 bytes (144 bits, well past the 128 that makes forging hopeless) so
 * that 60 bytes are exactly 20 base64 groups: every character carries six
 * signed bits and no character has unused bits a forger could play with
 * (the strict decoder would refuse those anyway).
 *
 * The version byte is checked before the MAC only because it decides the
 * layout; it is public and says nothing about the key.  Everything else
 * (kind, ranges, expiry) is read only after the MAC matched, so an
 * invalid token teaches its maker nothing but "invalid".
 */

#include <string.h>
#include <openssl/crypto.h>

#include "hrx_token.h"

#define HRX_TOKEN_VERSION    1
#define HRX_TOKEN_BODY       42
#define HRX_TOKEN_MAC        18
#define HRX_TOKEN_BYTES      (HRX_TOKEN_BODY + HRX_TOKEN_MAC)
#define HRX_TOKEN_CHARS      hrx_b64url_len(HRX_TOKEN_BYTES)

_Static_assert(HRX_TOKEN_BYTES % 3 == 0, "whole base64 groups");
_Static_assert(HRX_TOKEN_CHARS < HRX_TOKEN_MAX, "fits HRX_TOKEN_MAX");


static void
hrx_token_put64(uint8_t *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (uint8_t) v;
        v >>= 8;
    }
}


static uint64_t
hrx_token_get64(const uint8_t *p)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }

    return v;
}


static void
hrx_token_mac(const uint8_t key[HRX_KEY_SIZE], const uint8_t *body,
    uint8_t mac[HRX_SHA256_SIZE])
{
    hrx_hmac_sha256(key, HRX_KEY_SIZE, body, HRX_TOKEN_BODY, mac);
}


int
hrx_token_make(const uint8_t key[HRX_KEY_SIZE], const hrx_token_t *t,
    char *out, size_t size)
{
    uint8_t  raw[HRX_TOKEN_BYTES], mac[HRX_SHA256_SIZE];

    if (size > 0) {
        out[0] = '\0';
    }

    /*
     * The verifier refuses what this refuses: a token that could never
     * be accepted is a bug better caught where it is made.  A negative
     * expires_at is a time before 1970, never a real expiry.
     */
    if (size < HRX_TOKEN_CHARS + 1
        || t->kind < HRX_TOKEN_FORM || t->kind >= HRX_TOKEN_KIND_MAX
        || t->tenant_id < 0 || t->candidate_id < 0 || t->object_id < 0
        || t->expires_at < 0)
    {
        return -1;
    }

    raw[0] = HRX_TOKEN_VERSION;
    raw[1] = (uint8_t) t->kind;
    hrx_token_put64(raw + 2, (uint64_t) t->tenant_id);
    hrx_token_put64(raw + 10, (uint64_t) t->candidate_id);
    hrx_token_put64(raw + 18, (uint64_t) t->object_id);
    hrx_token_put64(raw + 26, (uint64_t) t->expires_at);
    hrx_token_put64(raw + 34, t->nonce);

    hrx_token_mac(key, raw, mac);
    memcpy(raw + HRX_TOKEN_BODY, mac, HRX_TOKEN_MAC);

    return (int) hrx_b64url_encode(raw, sizeof(raw), out);
}


int
hrx_token_verify(const uint8_t key[HRX_KEY_SIZE], const char *s,
    size_t len, int64_t now_ms, hrx_token_t *t)
{
    int          rc;
    size_t       n;
    uint8_t      raw[HRX_TOKEN_BYTES], mac[HRX_SHA256_SIZE];
    hrx_token_t  v;

    memset(t, 0, sizeof(*t));

    if (s == NULL || len != HRX_TOKEN_CHARS) {
        return HRX_TOKEN_INVALID;
    }

    n = sizeof(raw);
    if (hrx_b64url_decode(s, len, raw, &n) != 0 || n != sizeof(raw)) {
        return HRX_TOKEN_INVALID;
    }

    if (raw[0] != HRX_TOKEN_VERSION) {
        return HRX_TOKEN_INVALID;
    }

    hrx_token_mac(key, raw, mac);
    rc = hrx_ct_equal(mac, raw + HRX_TOKEN_BODY, HRX_TOKEN_MAC);
    OPENSSL_cleanse(mac, sizeof(mac));

    if (!rc) {
        return HRX_TOKEN_INVALID;
    }

    /* signed by us, so these hold unless the key leaked or make changed */
    v.kind = raw[1];
    v.tenant_id = (int64_t) hrx_token_get64(raw + 2);
    v.candidate_id = (int64_t) hrx_token_get64(raw + 10);
    v.object_id = (int64_t) hrx_token_get64(raw + 18);
    v.expires_at = (int64_t) hrx_token_get64(raw + 26);
    v.nonce = hrx_token_get64(raw + 34);

    if (v.kind < HRX_TOKEN_FORM || v.kind >= HRX_TOKEN_KIND_MAX
        || v.tenant_id < 0 || v.candidate_id < 0 || v.object_id < 0
        || v.expires_at < 0)
    {
        return HRX_TOKEN_INVALID;
    }

    *t = v;

    return v.expires_at <= now_ms ? HRX_TOKEN_EXPIRED : HRX_TOKEN_OK;
}


int
hrx_token_key(const uint8_t master[HRX_KEY_SIZE], uint8_t key[HRX_KEY_SIZE])
{
    return hrx_derive_key(master, HRX_TOKEN_KEY_LABEL, key);
}
