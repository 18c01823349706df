/*
 * Small wrappers over OpenSSL 3 used by both processes: randomness,
 * SHA-256, HMAC, constant-time comparison, base64url, key derivation,
 * scrypt password hashes and the master key file.
 */
#ifndef HRX_CRYPTO_H
#define HRX_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define HRX_KEY_SIZE          32
#define HRX_SHA256_SIZE       32
#define HRX_MASTER_KEY_FILE   "master.key"

/* stored form: "scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url>" */
#define HRX_PASSWORD_HASH_MAX 160
#define HRX_SCRYPT_LOG2_N     15
#define HRX_SCRYPT_R          8
#define HRX_SCRYPT_P          1

int hrx_random_bytes(void *buf, size_t len);                  /* 0 / -1 */
void hrx_sha256(const void *data, size_t len, uint8_t out[HRX_SHA256_SIZE]);
void hrx_hmac_sha256(const uint8_t *key, size_t keylen, const void *data,
    size_t len, uint8_t out[HRX_SHA256_SIZE]);

/* 1 when equal; time depends on len only */
int hrx_ct_equal(const void *a, const void *b, size_t len);

/* unpadded base64url; out needs hrx_b64url_len(n) + 1 bytes (NUL added) */
#define hrx_b64url_len(n)  (((n) * 4 + 2) / 3)
size_t hrx_b64url_encode(const uint8_t *in, size_t len, char *out);
/* -1 on a bad character or when out (of *outlen bytes) is too small */
int hrx_b64url_decode(const char *in, size_t len, uint8_t *out,
    size_t *outlen);

/* HKDF-SHA256(master, info=label) -> 32 bytes; 0 / -1 */
int hrx_derive_key(const uint8_t master[HRX_KEY_SIZE], const char *label,
    uint8_t out[HRX_KEY_SIZE]);

/* 0 / -1; out gets a NUL-terminated stored form */
int hrx_password_hash(const char *pw, size_t len,
    char out[HRX_PASSWORD_HASH_MAX]);
/* 1 match, 0 no match, -1 malformed stored form */
int hrx_password_verify(const char *pw, size_t len, const char *stored);

/*
 * master key file: 32 random bytes, mode 0600.  load refuses a file of the
 * wrong size or readable by group/others; create writes a temp file, fsyncs,
 * renames and fsyncs the directory.  -1 with a sentence in err.
 */
int hrx_master_key_load(const char *path, uint8_t out[HRX_KEY_SIZE],
    char *err, size_t errlen);
int hrx_master_key_create(const char *path, char *err, size_t errlen);

/*
 * Secrets at rest (SMTP passwords, LINE channel secrets, ...):
 * AES-256-GCM under a key derived from master.key
 * (hrx_derive_key(master, HRX_SEAL_KEY_LABEL)), a random 12-byte nonce
 * per seal, and aad binding the value to where it is stored
 * ("mail_settings.smtp_password:<tenant id>"), so a sealed value copied
 * into another row or tenant does not open.
 *
 * Sealed form: nonce (12) | ciphertext (len) | tag (16): len +
 * HRX_SEAL_OVERHEAD bytes.
 */
#define HRX_SEAL_KEY_LABEL   "hrx secrets v1"
#define HRX_SEAL_OVERHEAD    28

/* 0 / -1 (out needs len + HRX_SEAL_OVERHEAD bytes) */
int hrx_seal(const uint8_t key[HRX_KEY_SIZE], const char *aad,
    const void *plain, size_t len, uint8_t *out);
/* 0 with *outlen = len - HRX_SEAL_OVERHEAD, or -1 (too short, wrong key
 * or aad, tampered); out needs len - HRX_SEAL_OVERHEAD (+1: a NUL is
 * added) bytes */
int hrx_open(const uint8_t key[HRX_KEY_SIZE], const char *aad,
    const uint8_t *sealed, size_t len, char *out, size_t *outlen);

#endif /* HRX_CRYPTO_H */
