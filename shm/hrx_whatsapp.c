/*
 * WhatsApp rules shared by the module and the scheduler
 * (docs/whatsapp.md).
 */
#include <string.h>

#include "hrx_crypto.h"
#include "hrx_whatsapp.h"

int
hrx_wa_api_version_valid(const char *s, size_t len)
{
    size_t  i, major = 0, minor = 0;
    int     dot = 0;

    if (len < 4 || len > HRX_WA_API_VERSION_MAX || s[0] != 'v') {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if (s[i] == '.') {
            if (dot++) {
                return 0;
            }
        } else if (s[i] >= '0' && s[i] <= '9') {
            if (dot) {
                minor++;
            } else {
                major++;
            }
        } else {
            return 0;
        }
    }
    return dot == 1 && major > 0 && minor > 0;
}

void
hrx_wa_hmac_hex(const void *key, size_t keylen, const void *data,
    size_t len, char out[HRX_WA_HMAC_HEX_SIZE])
{
    static const char  hex[] = "0123456789abcdef";
    uint8_t            mac[HRX_SHA256_SIZE];
    size_t             i;

    hrx_hmac_sha256(key, keylen, data, len, mac);
    for (i = 0; i < HRX_SHA256_SIZE; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 0x0f];
    }
    out[2 * HRX_SHA256_SIZE] = '\0';
}

int
hrx_wa_signature_ok(const void *secret, size_t secretlen, const void *body,
    size_t bodylen, const char *header, size_t len)
{
    static const char  prefix[] = "sha256=";
    char               want[HRX_WA_HMAC_HEX_SIZE];

    if (header == NULL || len != sizeof(prefix) - 1 + 2 * HRX_SHA256_SIZE
        || memcmp(header, prefix, sizeof(prefix) - 1) != 0)
    {
        return 0;
    }
    hrx_wa_hmac_hex(secret, secretlen, body, bodylen, want);
    return hrx_ct_equal(want, header + sizeof(prefix) - 1,
                        2 * HRX_SHA256_SIZE);
}
