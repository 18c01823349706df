/*
 * Thin wrappers over OpenSSL 3, so both processes hash, sign and derive
 * the same way and the choices (SHA-256, HKDF, scrypt parameters, the
 * stored password form) live in one place.
 *
 * Key derivation and scrypt go through the EVP_KDF interface; the KDF is
 * fetched per call, which is thread-safe (nginx runs password hashing on
 * its thread pool) and cheap next to the work itself.  base64url is
 * hand-rolled because OpenSSL's EVP_EncodeBlock knows only the padded
 * standard alphabet; the decoder is strict (no padding, no stray bits) so
 * a token has exactly one spelling.
 *
 * Secrets at rest are sealed with AES-256-GCM through EVP: an AEAD, so
 * one primitive gives secrecy and integrity, and the aad ties a sealed
 * value to the row it belongs to.  Nonces are random: 96 bits drawn per
 * seal are safe far beyond the number of secrets one key will ever seal.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include "hrx_crypto.h"

#define HRX_SALT_SIZE        16
#define HRX_SCRYPT_MAXMEM    ((uint64_t) 256 << 20)
#define HRX_SCRYPT_PREFIX    "scrypt$"
#define HRX_GCM_NONCE_SIZE   12
#define HRX_GCM_TAG_SIZE     16

_Static_assert(HRX_SEAL_OVERHEAD == HRX_GCM_NONCE_SIZE + HRX_GCM_TAG_SIZE,
               "sealed form is nonce | ciphertext | tag");


static void hrx_crypto_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


static void
hrx_crypto_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


int
hrx_random_bytes(void *buf, size_t len)
{
    size_t          n;
    unsigned char  *p;

    p = buf;

    while (len > 0) {
        n = len > INT_MAX ? INT_MAX : len;

        if (RAND_bytes(p, (int) n) != 1) {
            return -1;
        }

        p += n;
        len -= n;
    }

    return 0;
}


void
hrx_sha256(const void *data, size_t len, uint8_t out[HRX_SHA256_SIZE])
{
    if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1) {
        /* only on allocation failure; never leave stale bytes behind */
        memset(out, 0, HRX_SHA256_SIZE);
    }
}


void
hrx_hmac_sha256(const uint8_t *key, size_t keylen, const void *data,
    size_t len, uint8_t out[HRX_SHA256_SIZE])
{
    unsigned int  outlen;

    /* HMAC() takes the key length as int; keys here are 32 bytes */
    if (keylen > INT_MAX
        || HMAC(EVP_sha256(), key, (int) keylen, data, len, out, &outlen)
           == NULL)
    {
        memset(out, 0, HRX_SHA256_SIZE);
    }
}


int
hrx_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}


static const char  hrx_b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


size_t
hrx_b64url_encode(const uint8_t *in, size_t len, char *out)
{
    char      *p;
    uint32_t   v;
    size_t     i;

    p = out;

    for (i = 0; i + 3 <= len; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        *p++ = hrx_b64url_chars[v >> 18];
        *p++ = hrx_b64url_chars[(v >> 12) & 63];
        *p++ = hrx_b64url_chars[(v >> 6) & 63];
        *p++ = hrx_b64url_chars[v & 63];
    }

    if (len - i == 1) {
        v = (uint32_t) in[i] << 16;
        *p++ = hrx_b64url_chars[v >> 18];
        *p++ = hrx_b64url_chars[(v >> 12) & 63];

    } else if (len - i == 2) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
        *p++ = hrx_b64url_chars[v >> 18];
        *p++ = hrx_b64url_chars[(v >> 12) & 63];
        *p++ = hrx_b64url_chars[(v >> 6) & 63];
    }

    *p = '\0';

    return (size_t) (p - out);
}


static int
hrx_b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return -1;
}


int
hrx_b64url_decode(const char *in, size_t len, uint8_t *out, size_t *outlen)
{
    int       c;
    size_t    i, need, rest;
    uint32_t  v;
    uint8_t  *p;

    rest = len % 4;

    /* one character holds only 6 bits: no byte ends there */
    if (rest == 1) {
        return -1;
    }

    need = len / 4 * 3 + (rest == 0 ? 0 : rest - 1);
    if (need > *outlen) {
        return -1;
    }

    p = out;
    v = 0;

    for (i = 0; i < len; i++) {
        c = hrx_b64url_value(in[i]);
        if (c < 0) {
            return -1;
        }

        v = v << 6 | (uint32_t) c;

        if (i % 4 == 3) {
            *p++ = (uint8_t) (v >> 16);
            *p++ = (uint8_t) (v >> 8);
            *p++ = (uint8_t) v;
            v = 0;
        }
    }

    /* the unused low bits of the last character must be zero */
    if (rest == 2) {
        if (v & 0x0f) {
            return -1;
        }

        *p++ = (uint8_t) (v >> 4);

    } else if (rest == 3) {
        if (v & 0x03) {
            return -1;
        }

        *p++ = (uint8_t) (v >> 10);
        *p++ = (uint8_t) (v >> 2);
    }

    *outlen = (size_t) (p - out);

    return 0;
}


int
hrx_derive_key(const uint8_t master[HRX_KEY_SIZE], const char *label,
    uint8_t out[HRX_KEY_SIZE])
{
    int           rc;
    EVP_KDF      *kdf;
    EVP_KDF_CTX  *ctx;
    OSSL_PARAM    params[4];

    if (label == NULL) {
        return -1;
    }

    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf == NULL) {
        return -1;
    }

    ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);

    if (ctx == NULL) {
        return -1;
    }

    /* no salt: HKDF then uses a zero salt (RFC 5869 2.2) */
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                  (void *) master,
                                                  HRX_KEY_SIZE);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  (void *) label,
                                                  strlen(label));
    params[3] = OSSL_PARAM_construct_end();

    rc = EVP_KDF_derive(ctx, out, HRX_KEY_SIZE, params) == 1 ? 0 : -1;

    EVP_KDF_CTX_free(ctx);

    if (rc != 0) {
        OPENSSL_cleanse(out, HRX_KEY_SIZE);
    }

    return rc;
}


static int
hrx_scrypt(const char *pw, size_t len, const uint8_t *salt, size_t saltlen,
    unsigned log2n, uint32_t r, uint32_t p, uint8_t *out, size_t outlen)
{
    int           rc;
    uint64_t      n, maxmem;
    EVP_KDF      *kdf;
    EVP_KDF_CTX  *ctx;
    OSSL_PARAM    params[7];

    n = (uint64_t) 1 << log2n;
    maxmem = HRX_SCRYPT_MAXMEM;

    kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    if (kdf == NULL) {
        return -1;
    }

    ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);

    if (ctx == NULL) {
        return -1;
    }

    /* an empty password still needs a non-NULL buffer */
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                                  (void *) (len ? pw : ""),
                                                  len);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                  (void *) salt, saltlen);
    params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
    params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
    params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
    params[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
                                            &maxmem);
    params[6] = OSSL_PARAM_construct_end();

    rc = EVP_KDF_derive(ctx, out, outlen, params) == 1 ? 0 : -1;

    EVP_KDF_CTX_free(ctx);

    return rc;
}


int
hrx_password_hash(const char *pw, size_t len,
    char out[HRX_PASSWORD_HASH_MAX])
{
    int      n;
    char     salt64[hrx_b64url_len(HRX_SALT_SIZE) + 1];
    char     hash64[hrx_b64url_len(HRX_SHA256_SIZE) + 1];
    uint8_t  salt[HRX_SALT_SIZE], hash[HRX_SHA256_SIZE];

    out[0] = '\0';

    if (hrx_random_bytes(salt, sizeof(salt)) != 0
        || hrx_scrypt(pw, len, salt, sizeof(salt), HRX_SCRYPT_LOG2_N,
                      HRX_SCRYPT_R, HRX_SCRYPT_P, hash, sizeof(hash)) != 0)
    {
        return -1;
    }

    hrx_b64url_encode(salt, sizeof(salt), salt64);
    hrx_b64url_encode(hash, sizeof(hash), hash64);
    OPENSSL_cleanse(hash, sizeof(hash));

    n = snprintf(out, HRX_PASSWORD_HASH_MAX, HRX_SCRYPT_PREFIX "%d$%d$%d$%s$%s",
                 HRX_SCRYPT_LOG2_N, HRX_SCRYPT_R, HRX_SCRYPT_P, salt64,
                 hash64);

    if (n < 0 || n >= HRX_PASSWORD_HASH_MAX) {
        out[0] = '\0';
        return -1;
    }

    return 0;
}


/* a decimal in [min, max] without sign or leading zero, up to '$' */
static const char *
hrx_parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t  v;

    if (*s < '1' || *s > '9') {
        return NULL;
    }

    v = 0;

    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (uint64_t) (*s - '0');

        if (v > max) {
            return NULL;
        }

        s++;
    }

    if (v < min || *s != '$') {
        return NULL;
    }

    *out = (uint32_t) v;

    return s + 1;
}


int
hrx_password_verify(const char *pw, size_t len, const char *stored)
{
    int          rc;
    size_t       n;
    uint32_t     log2n, r, p;
    uint8_t      salt[HRX_SALT_SIZE], want[HRX_SHA256_SIZE];
    uint8_t      got[HRX_SHA256_SIZE];
    const char  *s, *end;

    if (stored == NULL
        || strncmp(stored, HRX_SCRYPT_PREFIX, sizeof(HRX_SCRYPT_PREFIX) - 1)
           != 0)
    {
        return -1;
    }

    /*
     * The parameters are read from the stored form so that they can be
     * raised later without invalidating old hashes, but only within bounds
     * that keep one verification from eating the machine.
     */
    s = stored + sizeof(HRX_SCRYPT_PREFIX) - 1;

    if ((s = hrx_parse_uint(s, 10, 20, &log2n)) == NULL
        || (s = hrx_parse_uint(s, 1, 16, &r)) == NULL
        || (s = hrx_parse_uint(s, 1, 16, &p)) == NULL)
    {
        return -1;
    }

    if (((uint64_t) 128 * r << log2n) > HRX_SCRYPT_MAXMEM / 2) {
        return -1;
    }

    end = strchr(s, '$');
    if (end == NULL || (size_t) (end - s) != hrx_b64url_len(sizeof(salt))) {
        return -1;
    }

    n = sizeof(salt);
    if (hrx_b64url_decode(s, (size_t) (end - s), salt, &n) != 0
        || n != sizeof(salt))
    {
        return -1;
    }

    s = end + 1;

    if (strlen(s) != hrx_b64url_len(sizeof(want))) {
        return -1;
    }

    n = sizeof(want);
    if (hrx_b64url_decode(s, strlen(s), want, &n) != 0 || n != sizeof(want)) {
        return -1;
    }

    if (hrx_scrypt(pw, len, salt, sizeof(salt), log2n, r, p, got,
                   sizeof(got)) != 0)
    {
        return -1;
    }

    rc = CRYPTO_memcmp(got, want, sizeof(got)) == 0;
    OPENSSL_cleanse(got, sizeof(got));

    return rc;
}


int
hrx_master_key_load(const char *path, uint8_t out[HRX_KEY_SIZE],
    char *err, size_t errlen)
{
    int          fd;
    size_t       got;
    ssize_t      n;
    struct stat  st;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        hrx_crypto_err(err, errlen, "cannot open master key %s: %s", path,
                       strerror(errno));
        return -1;
    }

    if (fstat(fd, &st) != 0) {
        hrx_crypto_err(err, errlen, "cannot stat master key %s: %s", path,
                       strerror(errno));
        goto failed;
    }

    if (!S_ISREG(st.st_mode)) {
        hrx_crypto_err(err, errlen, "master key %s is not a regular file",
                       path);
        goto failed;
    }

    if (st.st_mode & 077) {
        hrx_crypto_err(err, errlen, "master key %s has mode %04o, open to "
                       "group or others: chmod 600 %s", path,
                       (unsigned) (st.st_mode & 07777), path);
        goto failed;
    }

    if (st.st_size != HRX_KEY_SIZE) {
        hrx_crypto_err(err, errlen, "master key %s is %lld bytes, expected "
                       "%d", path, (long long) st.st_size, HRX_KEY_SIZE);
        goto failed;
    }

    for (got = 0; got < HRX_KEY_SIZE; got += (size_t) n) {
        n = read(fd, out + got, HRX_KEY_SIZE - got);

        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            hrx_crypto_err(err, errlen, "cannot read master key %s: %s",
                           path, n < 0 ? strerror(errno) : "short file");
            OPENSSL_cleanse(out, HRX_KEY_SIZE);
            goto failed;
        }
    }

    close(fd);
    return 0;

failed:

    close(fd);
    return -1;
}


/* make a rename durable: fsync the directory that holds path */
static int
hrx_fsync_dir(const char *path)
{
    int    fd, rc;
    char  *dir, *slash;

    dir = strdup(path);
    if (dir == NULL) {
        return -1;
    }

    slash = strrchr(dir, '/');

    if (slash == NULL) {
        strcpy(dir, ".");

    } else if (slash == dir) {
        dir[1] = '\0';

    } else {
        *slash = '\0';
    }

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);

    if (fd == -1) {
        return -1;
    }

    rc = fsync(fd);
    close(fd);

    return rc;
}


/*
 * Write 32 random bytes under a temporary name (mkstemp: O_EXCL, 0600),
 * fsync, and move it into place without ever replacing an existing key:
 * losing the master key loses every secret encrypted with it.
 */
int
hrx_master_key_create(const char *path, char *err, size_t errlen)
{
    int       fd;
    char     *tmp;
    size_t    len, put;
    ssize_t   n;
    uint8_t   key[HRX_KEY_SIZE];

    len = strlen(path);
    if (len == 0) {
        hrx_crypto_err(err, errlen, "cannot create a master key: no path");
        return -1;
    }

    tmp = malloc(len + sizeof(".XXXXXX"));
    if (tmp == NULL) {
        hrx_crypto_err(err, errlen, "cannot create master key %s: out of "
                       "memory", path);
        return -1;
    }

    memcpy(tmp, path, len);
    memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd == -1) {
        hrx_crypto_err(err, errlen, "cannot create a temporary file next to "
                       "%s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }

    if (fchmod(fd, 0600) != 0) {
        hrx_crypto_err(err, errlen, "cannot chmod %s: %s", tmp,
                       strerror(errno));
        goto failed;
    }

    if (hrx_random_bytes(key, sizeof(key)) != 0) {
        hrx_crypto_err(err, errlen, "cannot create master key %s: no "
                       "randomness from OpenSSL", path);
        goto failed;
    }

    for (put = 0; put < sizeof(key); put += (size_t) n) {
        n = write(fd, key + put, sizeof(key) - put);

        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            hrx_crypto_err(err, errlen, "cannot write %s: %s", tmp,
                           n < 0 ? strerror(errno) : "short write");
            goto failed;
        }
    }

    OPENSSL_cleanse(key, sizeof(key));

    if (fsync(fd) != 0) {
        hrx_crypto_err(err, errlen, "cannot fsync %s: %s", tmp,
                       strerror(errno));
        goto failed;
    }

    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {

        /* a filesystem without RENAME_NOREPLACE: link() never replaces */
        if (errno != EINVAL || link(tmp, path) != 0) {
            hrx_crypto_err(err, errlen, "cannot create master key %s: %s",
                           path, errno == EEXIST ? "it already exists"
                                                 : strerror(errno));
            goto failed;
        }

        unlink(tmp);
    }

    close(fd);
    free(tmp);

    if (hrx_fsync_dir(path) != 0) {
        hrx_crypto_err(err, errlen, "cannot fsync the directory of %s: %s",
                       path, strerror(errno));
        return -1;
    }

    return 0;

failed:

    OPENSSL_cleanse(key, sizeof(key));
    close(fd);
    unlink(tmp);
    free(tmp);

    return -1;
}


/*
 * Seal and open share the cipher setup; they differ only in direction and
 * in what happens to the tag.  aad NULL is the empty aad.  EVP takes
 * lengths as int: a secret anywhere near INT_MAX is a caller's bug.
 */
static EVP_CIPHER_CTX *
hrx_gcm_init(const uint8_t key[HRX_KEY_SIZE], const uint8_t *nonce,
    const char *aad, int enc)
{
    int              n;
    size_t           len;
    EVP_CIPHER_CTX  *ctx;

    len = aad ? strlen(aad) : 0;
    if (len > INT_MAX) {
        return NULL;
    }

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return NULL;
    }

    /* 12 bytes is GCM's default IV length: no EVP_CTRL_GCM_SET_IVLEN */
    if (EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, enc, NULL)
        != 1)
    {
        goto failed;
    }

    if (len > 0
        && EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *) aad,
                            (int) len) != 1)
    {
        goto failed;
    }

    return ctx;

failed:

    EVP_CIPHER_CTX_free(ctx);
    return NULL;
}


int
hrx_seal(const uint8_t key[HRX_KEY_SIZE], const char *aad,
    const void *plain, size_t len, uint8_t *out)
{
    int              n, rc;
    uint8_t         *nonce, *ct, *tag;
    EVP_CIPHER_CTX  *ctx;

    if (len > INT_MAX - HRX_SEAL_OVERHEAD) {
        return -1;
    }

    nonce = out;
    ct = out + HRX_GCM_NONCE_SIZE;
    tag = ct + len;

    if (hrx_random_bytes(nonce, HRX_GCM_NONCE_SIZE) != 0) {
        return -1;
    }

    ctx = hrx_gcm_init(key, nonce, aad, 1);
    if (ctx == NULL) {
        return -1;
    }

    rc = -1;

    /* an empty secret: no update, plain may be NULL */
    if (len > 0 && EVP_EncryptUpdate(ctx, ct, &n, plain, (int) len) != 1) {
        goto done;
    }

    /* GCM is a stream mode: final writes nothing */
    if (EVP_EncryptFinal_ex(ctx, ct + len, &n) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, HRX_GCM_TAG_SIZE,
                               tag) != 1)
    {
        goto done;
    }

    rc = 0;

done:

    EVP_CIPHER_CTX_free(ctx);

    if (rc != 0) {
        OPENSSL_cleanse(out, len + HRX_SEAL_OVERHEAD);
    }

    return rc;
}


int
hrx_open(const uint8_t key[HRX_KEY_SIZE], const char *aad,
    const uint8_t *sealed, size_t len, char *out, size_t *outlen)
{
    int              n, rc;
    size_t           plen;
    const uint8_t   *ct, *tag;
    EVP_CIPHER_CTX  *ctx;

    if (len < HRX_SEAL_OVERHEAD || len > INT_MAX) {
        return -1;
    }

    plen = len - HRX_SEAL_OVERHEAD;
    ct = sealed + HRX_GCM_NONCE_SIZE;
    tag = ct + plen;

    ctx = hrx_gcm_init(key, sealed, aad, 0);
    if (ctx == NULL) {
        return -1;
    }

    rc = -1;

    if (plen > 0
        && EVP_DecryptUpdate(ctx, (unsigned char *) out, &n, ct, (int) plen)
           != 1)
    {
        goto done;
    }

    /* the tag is checked by final: until it says yes, out is not a secret
     * but an attacker's choice, and is wiped below */
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, HRX_GCM_TAG_SIZE,
                            (void *) tag) != 1
        || EVP_DecryptFinal_ex(ctx, (unsigned char *) out + plen, &n) != 1)
    {
        goto done;
    }

    out[plen] = '\0';
    *outlen = plen;
    rc = 0;

done:

    EVP_CIPHER_CTX_free(ctx);

    if (rc != 0) {
        OPENSSL_cleanse(out, plen);
    }

    return rc;
}
