/*
 * Tests of the OpenSSL wrappers (shm/hrx_crypto.c) against published
 * vectors where there are some: SHA-256 (FIPS 180-2), HMAC-SHA256
 * (RFC 4231), base64url (RFC 4648), HKDF computed independently from HMAC
 * (RFC 5869), scrypt against a hash made by Python's hashlib.scrypt,
 * AES-256-GCM sealing against NIST's GCM test case 14 (all-zero key, IV
 * and 16-byte plaintext) and every way a sealed value can be wrong.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "hrx_crypto.h"

typedef struct {
    char  dir[64];
    char  path[128];
    char  err[512];
} key_state_t;


static void
hex(const uint8_t *p, size_t n, char *out)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}


static void
test_crypto_sha256(void **state)
{
    char     h[65];
    uint8_t  out[HRX_SHA256_SIZE];

    (void) state;

    hrx_sha256("abc", 3, out);
    hex(out, sizeof(out), h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223"
                           "b00361a396177a9cb410ff61f20015ad");

    hrx_sha256("", 0, out);
    hex(out, sizeof(out), h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb924"
                           "27ae41e4649b934ca495991b7852b855");
}


static void
test_crypto_hmac(void **state)
{
    char     h[65];
    uint8_t  out[HRX_SHA256_SIZE], key[20];

    (void) state;

    /* RFC 4231 test case 2 */
    hrx_hmac_sha256((const uint8_t *) "Jefe", 4,
                    "what do ya want for nothing?", 28, out);
    hex(out, sizeof(out), h);
    assert_string_equal(h, "5bdcc146bf60754e6a042426089575c7"
                           "5a003f089d2739839dec58b964ec3843");

    /* RFC 4231 test case 1 */
    memset(key, 0x0b, sizeof(key));
    hrx_hmac_sha256(key, sizeof(key), "Hi There", 8, out);
    hex(out, sizeof(out), h);
    assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b"
                           "881dc200c9833da726e9376c2e32cff7");
}


static void
test_crypto_ct_equal(void **state)
{
    uint8_t  a[32], b[32];

    (void) state;

    memset(a, 7, sizeof(a));
    memcpy(b, a, sizeof(b));
    assert_int_equal(hrx_ct_equal(a, b, sizeof(a)), 1);

    b[31] ^= 1;
    assert_int_equal(hrx_ct_equal(a, b, sizeof(a)), 0);
    b[31] ^= 1;
    b[0] ^= 0x80;
    assert_int_equal(hrx_ct_equal(a, b, sizeof(a)), 0);

    assert_int_equal(hrx_ct_equal(a, b, 0), 1);
}


static void
test_crypto_random(void **state)
{
    uint8_t  a[32], b[32];

    (void) state;

    assert_int_equal(hrx_random_bytes(a, sizeof(a)), 0);
    assert_int_equal(hrx_random_bytes(b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(hrx_random_bytes(a, 0), 0);
}


static void
test_crypto_b64url(void **state)
{
    static const char  *vec[][2] = {
        { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
    };

    char      enc[160];
    size_t    i, n, len;
    uint8_t   in[100], dec[100];

    (void) state;

    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        len = strlen(vec[i][0]);
        assert_int_equal(hrx_b64url_encode((const uint8_t *) vec[i][0], len,
                                           enc), strlen(vec[i][1]));
        assert_string_equal(enc, vec[i][1]);
        assert_int_equal(strlen(enc), hrx_b64url_len(len));

        n = sizeof(dec);
        assert_int_equal(hrx_b64url_decode(enc, strlen(enc), dec, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(dec, vec[i][0], len);
    }

    /* the url-safe characters */
    in[0] = 0xfb;
    in[1] = 0xff;
    hrx_b64url_encode(in, 2, enc);
    assert_string_equal(enc, "-_8");

    /* round trips of every length */
    for (len = 0; len <= sizeof(in); len++) {
        assert_int_equal(hrx_random_bytes(in, len), 0);
        assert_int_equal(hrx_b64url_encode(in, len, enc),
                         hrx_b64url_len(len));

        n = sizeof(dec);
        assert_int_equal(hrx_b64url_decode(enc, strlen(enc), dec, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(dec, in, len);
    }

    /* rejects: padding, other alphabets, stray bits, impossible lengths */
    n = sizeof(dec);
    assert_int_equal(hrx_b64url_decode("Zg==", 4, dec, &n), -1);
    assert_int_equal(hrx_b64url_decode("Zm9v+A", 6, dec, &n), -1);
    assert_int_equal(hrx_b64url_decode("Zm9v/A", 6, dec, &n), -1);
    assert_int_equal(hrx_b64url_decode("Zm 9", 4, dec, &n), -1);
    assert_int_equal(hrx_b64url_decode("Zm\0v", 4, dec, &n), -1);
    assert_int_equal(hrx_b64url_decode("Z", 1, dec, &n), -1);
    assert_int_equal(hrx_b64url_decode("Zm9vY", 5, dec, &n), -1);
    assert_int_equal(hrx_b64url_decode("Zh", 2, dec, &n), -1);
    assert_int_equal(hrx_b64url_decode("Zm9", 3, dec, &n), -1);

    /* too small an output buffer */
    n = 2;
    assert_int_equal(hrx_b64url_decode("Zm9v", 4, dec, &n), -1);
    n = 3;
    assert_int_equal(hrx_b64url_decode("Zm9v", 4, dec, &n), 0);
    assert_int_equal(n, 3);
}


static void
test_crypto_hkdf(void **state)
{
    uint8_t  master[HRX_KEY_SIZE], other[HRX_KEY_SIZE];
    uint8_t  a[HRX_KEY_SIZE], b[HRX_KEY_SIZE], c[HRX_KEY_SIZE];
    uint8_t  prk[HRX_SHA256_SIZE], zero[HRX_SHA256_SIZE], info[64];
    uint8_t  okm[HRX_SHA256_SIZE];
    size_t   n;

    (void) state;

    memset(master, 0x42, sizeof(master));

    assert_int_equal(hrx_derive_key(master, "token:friend", a), 0);
    assert_int_equal(hrx_derive_key(master, "token:friend", b), 0);
    assert_memory_equal(a, b, sizeof(a));

    assert_int_equal(hrx_derive_key(master, "token:track", c), 0);
    assert_memory_not_equal(a, c, sizeof(a));

    memcpy(other, master, sizeof(other));
    other[0] ^= 1;
    assert_int_equal(hrx_derive_key(other, "token:friend", c), 0);
    assert_memory_not_equal(a, c, sizeof(a));

    /*
     * RFC 5869 by hand: no salt means a zero salt of hash length;
     * PRK = HMAC(salt, IKM); first block T(1) = HMAC(PRK, info || 0x01).
     */
    memset(zero, 0, sizeof(zero));
    hrx_hmac_sha256(zero, sizeof(zero), master, sizeof(master), prk);
    n = strlen("token:friend");
    memcpy(info, "token:friend", n);
    info[n] = 0x01;
    hrx_hmac_sha256(prk, sizeof(prk), info, n + 1, okm);
    assert_memory_equal(a, okm, sizeof(a));

    assert_int_equal(hrx_derive_key(master, NULL, c), -1);
}


static void
test_crypto_password(void **state)
{
    char  h1[HRX_PASSWORD_HASH_MAX], h2[HRX_PASSWORD_HASH_MAX];

    (void) state;

    assert_int_equal(hrx_password_hash("correct horse", 13, h1), 0);
    assert_int_equal(strncmp(h1, "scrypt$15$8$1$", 14), 0);
    assert_int_equal(strlen(h1), 14 + 22 + 1 + 43);

    assert_int_equal(hrx_password_verify("correct horse", 13, h1), 1);
    assert_int_equal(hrx_password_verify("correct horsE", 13, h1), 0);

    /* a fresh salt every time */
    assert_int_equal(hrx_password_hash("correct horse", 13, h2), 0);
    assert_string_not_equal(h1, h2);
}


static void
test_crypto_password_known(void **state)
{
    /* hashlib.scrypt(b"hunter2", salt=bytes(range(16)), n=1024, r=8, p=1) */
    static const char  known[] =
        "scrypt$10$8$1$AAECAwQFBgcICQoLDA0ODw$"
        "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII";

    (void) state;

    assert_int_equal(hrx_password_verify("hunter2", 7, known), 1);
    assert_int_equal(hrx_password_verify("hunter3", 7, known), 0);
    assert_int_equal(hrx_password_verify("hunter", 6, known), 0);

    /*
     * Note: scrypt keys PBKDF2-HMAC with the password, and HMAC pads keys
     * with zeros, so "hunter2" and "hunter2\0" are the same password.
     * Callers should refuse NUL bytes in passwords.
     */
    assert_int_equal(hrx_password_verify("hunter2\0", 8, known), 1);
    assert_int_equal(hrx_password_verify("", 0, known), 0);
}


static void
test_crypto_password_malformed(void **state)
{
    static const char  *bad[] = {
        "",
        "scrypt$",
        "bcrypt$10$8$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII",
        /* leading zero, out of range, missing field */
        "scrypt$010$8$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII",
        "scrypt$40$8$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII",
        "scrypt$10$0$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII",
        "scrypt$10$8$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII",
        "scrypt$-10$8$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII",
        /* too much memory: 128 * 16 * 2^20 */
        "scrypt$20$16$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII",
        /* salt and hash of the wrong size or alphabet */
        "scrypt$10$8$1$AAECAwQFBgcICQoLDA0O$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII",
        "scrypt$10$8$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gy",
        "scrypt$10$8$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6/vDJxvAFTl2yR3xWBXu_gyII",
        "scrypt$10$8$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyII$",
        "scrypt$10$8$1$AAECAwQFBgcICQoLDA0ODw$"
            "DXBGFk5ctjv6hJ1qqn6_vDJxvAFTl2yR3xWBXu_gyIJ",
    };

    size_t  i;

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hrx_password_verify("hunter2", 7, bad[i]) != -1) {
            fail_msg("accepted stored form #%zu: %s", i, bad[i]);
        }
    }

    assert_int_equal(hrx_password_verify("hunter2", 7, NULL), -1);
}


static void
test_crypto_seal_round_trip(void **state)
{
    char     out[300];
    size_t   n, len;
    uint8_t  key[HRX_KEY_SIZE], plain[256];
    uint8_t  s1[256 + HRX_SEAL_OVERHEAD], s2[256 + HRX_SEAL_OVERHEAD];

    (void) state;

    assert_int_equal(hrx_random_bytes(key, sizeof(key)), 0);

    /* lengths around the AES block size and beyond */
    for (len = 0; len <= sizeof(plain); len += (len < 40 ? 1 : 37)) {
        assert_int_equal(hrx_random_bytes(plain, len), 0);
        assert_int_equal(hrx_seal(key, "mail_settings.smtp_password:1",
                                  plain, len, s1), 0);

        memset(out, 'x', sizeof(out));
        n = 12345;
        assert_int_equal(hrx_open(key, "mail_settings.smtp_password:1", s1,
                                  len + HRX_SEAL_OVERHEAD, out, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(out, plain, len);
        assert_int_equal(out[len], '\0');
    }

    /* a fresh nonce every time: the same secret never seals the same */
    assert_int_equal(hrx_seal(key, "a", "hunter2", 7, s1), 0);
    assert_int_equal(hrx_seal(key, "a", "hunter2", 7, s2), 0);
    assert_memory_not_equal(s1, s2, 12);
    assert_memory_not_equal(s1 + 12, s2 + 12, 7 + 16);

    /* NULL aad is the empty aad */
    assert_int_equal(hrx_seal(key, NULL, "hunter2", 7, s1), 0);
    assert_int_equal(hrx_open(key, "", s1, 7 + HRX_SEAL_OVERHEAD, out, &n),
                     0);
    assert_string_equal(out, "hunter2");
    assert_int_equal(hrx_seal(key, "", "hunter2", 7, s1), 0);
    assert_int_equal(hrx_open(key, NULL, s1, 7 + HRX_SEAL_OVERHEAD, out,
                              &n), 0);
    assert_string_equal(out, "hunter2");
}


static void
test_crypto_seal_empty(void **state)
{
    char     out[1];
    size_t   n;
    uint8_t  key[HRX_KEY_SIZE], s[HRX_SEAL_OVERHEAD];

    (void) state;

    memset(key, 0x11, sizeof(key));

    /* an empty secret still carries a tag: it cannot be forged either */
    assert_int_equal(hrx_seal(key, "aad", NULL, 0, s), 0);
    out[0] = 'x';
    assert_int_equal(hrx_open(key, "aad", s, sizeof(s), out, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(out[0], '\0');

    assert_int_equal(hrx_open(key, "aaD", s, sizeof(s), out, &n), -1);
    s[sizeof(s) - 1] ^= 1;
    assert_int_equal(hrx_open(key, "aad", s, sizeof(s), out, &n), -1);
}


/*
 * The layout is what the header says: GCM test case 14 of McGrew and
 * Viega's spec (key 0^32, IV 0^12, P 0^16, no aad) opens, placed as
 * nonce | ciphertext | tag, and yields the zero plaintext.
 */
static void
test_crypto_seal_known(void **state)
{
    static const uint8_t  ct_tag[32] = {
        0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
        0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18,
        0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
        0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19,
    };

    char     out[17];
    size_t   n;
    uint8_t  key[HRX_KEY_SIZE], sealed[12 + 32], zero[16];

    (void) state;

    memset(key, 0, sizeof(key));
    memset(zero, 0, sizeof(zero));
    memset(sealed, 0, 12);
    memcpy(sealed + 12, ct_tag, sizeof(ct_tag));

    assert_int_equal(hrx_open(key, NULL, sealed, sizeof(sealed), out, &n),
                     0);
    assert_int_equal(n, 16);
    assert_memory_equal(out, zero, 16);
}


static void
test_crypto_seal_rejects(void **state)
{
    char     out[64];
    size_t   i, n, len;
    uint8_t  key[HRX_KEY_SIZE], other[HRX_KEY_SIZE];
    uint8_t  s[20 + HRX_SEAL_OVERHEAD];

    (void) state;

    assert_int_equal(hrx_random_bytes(key, sizeof(key)), 0);
    memcpy(other, key, sizeof(other));
    other[31] ^= 0x01;

    /* 20 bytes of it */
    len = sizeof(s);
    assert_int_equal(hrx_seal(key, "mail_settings.smtp_password:1",
                              "correct horse battery", 20, s), 0);

    /* wrong key, wrong aad (another tenant, another column, none) */
    n = 99;
    assert_int_equal(hrx_open(other, "mail_settings.smtp_password:1", s, len,
                              out, &n), -1);
    assert_int_equal(n, 99);
    assert_int_equal(hrx_open(key, "mail_settings.smtp_password:2", s, len,
                              out, &n), -1);
    assert_int_equal(hrx_open(key, "line.channel_secret:1", s, len, out, &n),
                     -1);
    assert_int_equal(hrx_open(key, NULL, s, len, out, &n), -1);

    /* one flipped bit anywhere: nonce, ciphertext or tag */
    for (i = 0; i < len * 8; i++) {
        s[i / 8] ^= (uint8_t) (1u << (i % 8));

        memset(out, 'x', sizeof(out));
        if (hrx_open(key, "mail_settings.smtp_password:1", s, len, out, &n)
            != -1)
        {
            fail_msg("opened with bit %zu flipped", i);
        }

        /* nothing of the unauthenticated plaintext is left behind */
        assert_null(memchr(out, 'o', 20));

        s[i / 8] ^= (uint8_t) (1u << (i % 8));
    }

    /* truncated, from either end, and shorter than nonce + tag */
    assert_int_equal(hrx_open(key, "mail_settings.smtp_password:1", s,
                              len - 1, out, &n), -1);
    assert_int_equal(hrx_open(key, "mail_settings.smtp_password:1", s + 1,
                              len - 1, out, &n), -1);
    for (i = 0; i < HRX_SEAL_OVERHEAD; i++) {
        assert_int_equal(hrx_open(key, "mail_settings.smtp_password:1", s, i,
                                  out, &n), -1);
    }

    /* and the untouched value still opens */
    assert_int_equal(hrx_open(key, "mail_settings.smtp_password:1", s, len,
                              out, &n), 0);
    assert_string_equal(out, "correct horse batter");
}


static int
key_setup(void **state)
{
    key_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);

    strcpy(st->dir, "/tmp/hrx-test-key-XXXXXX");
    assert_non_null(mkdtemp(st->dir));
    snprintf(st->path, sizeof(st->path), "%s/%s", st->dir,
             HRX_MASTER_KEY_FILE);

    *state = st;
    return 0;
}


static int
key_teardown(void **state)
{
    key_state_t  *st = *state;

    unlink(st->path);
    rmdir(st->dir);
    free(st);
    return 0;
}


static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int  fd;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t) len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}


static void
test_crypto_master_key_create_load(void **state)
{
    int           fd;
    uint8_t       k1[HRX_KEY_SIZE], k2[HRX_KEY_SIZE], raw[64];
    struct stat   sb;
    key_state_t  *st = *state;

    assert_int_equal(hrx_master_key_create(st->path, st->err,
                                           sizeof(st->err)), 0);

    assert_int_equal(stat(st->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, HRX_KEY_SIZE);

    fd = open(st->path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, raw, sizeof(raw)), HRX_KEY_SIZE);
    close(fd);

    assert_int_equal(hrx_master_key_load(st->path, k1, st->err,
                                         sizeof(st->err)), 0);
    assert_memory_equal(k1, raw, HRX_KEY_SIZE);

    /* never replaces an existing key */
    assert_int_equal(hrx_master_key_create(st->path, st->err,
                                           sizeof(st->err)), -1);
    assert_non_null(strstr(st->err, "already exists"));
    assert_int_equal(hrx_master_key_load(st->path, k2, st->err,
                                         sizeof(st->err)), 0);
    assert_memory_equal(k1, k2, HRX_KEY_SIZE);

    /* and leaves no temporary file behind */
    assert_int_equal(unlink(st->path), 0);
    assert_int_equal(rmdir(st->dir), 0);
    assert_int_equal(mkdir(st->dir, 0700), 0);
}


static void
test_crypto_master_key_rejects(void **state)
{
    uint8_t       k[HRX_KEY_SIZE], data[HRX_KEY_SIZE + 1];
    key_state_t  *st = *state;

    memset(data, 1, sizeof(data));

    assert_int_equal(hrx_master_key_load(st->path, k, st->err,
                                         sizeof(st->err)), -1);
    assert_non_null(strstr(st->err, st->path));

    write_file(st->path, data, HRX_KEY_SIZE, 0644);
    assert_int_equal(hrx_master_key_load(st->path, k, st->err,
                                         sizeof(st->err)), -1);
    assert_non_null(strstr(st->err, "chmod 600"));
    assert_non_null(strstr(st->err, "0644"));

    write_file(st->path, data, HRX_KEY_SIZE, 0640);
    assert_int_equal(hrx_master_key_load(st->path, k, st->err,
                                         sizeof(st->err)), -1);
    assert_non_null(strstr(st->err, "chmod 600"));

    write_file(st->path, data, HRX_KEY_SIZE - 1, 0600);
    assert_int_equal(hrx_master_key_load(st->path, k, st->err,
                                         sizeof(st->err)), -1);
    assert_non_null(strstr(st->err, "31 bytes, expected 32"));

    write_file(st->path, data, HRX_KEY_SIZE + 1, 0600);
    assert_int_equal(hrx_master_key_load(st->path, k, st->err,
                                         sizeof(st->err)), -1);

    /* 0400 is fine: only the owner can read it */
    write_file(st->path, data, HRX_KEY_SIZE, 0400);
    assert_int_equal(hrx_master_key_load(st->path, k, st->err,
                                         sizeof(st->err)), 0);
    assert_memory_equal(k, data, HRX_KEY_SIZE);

    /* a directory is not a key */
    assert_int_equal(hrx_master_key_load(st->dir, k, st->err,
                                         sizeof(st->err)), -1);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_sha256),
        cmocka_unit_test(test_crypto_hmac),
        cmocka_unit_test(test_crypto_ct_equal),
        cmocka_unit_test(test_crypto_random),
        cmocka_unit_test(test_crypto_b64url),
        cmocka_unit_test(test_crypto_hkdf),
        cmocka_unit_test(test_crypto_password),
        cmocka_unit_test(test_crypto_password_known),
        cmocka_unit_test(test_crypto_password_malformed),
        cmocka_unit_test(test_crypto_seal_round_trip),
        cmocka_unit_test(test_crypto_seal_empty),
        cmocka_unit_test(test_crypto_seal_known),
        cmocka_unit_test(test_crypto_seal_rejects),
        cmocka_unit_test_setup_teardown(test_crypto_master_key_create_load,
                                        key_setup, key_teardown),
        cmocka_unit_test_setup_teardown(test_crypto_master_key_rejects,
                                        key_setup, key_teardown),
    };

    return cmocka_run_group_tests_name("hrx_crypto", tests, NULL, NULL);
}
