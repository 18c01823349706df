/*
 * What the module and the scheduler must do identically for WhatsApp
 * (docs/whatsapp.md).
 */
#ifndef HRX_WHATSAPP_H
#define HRX_WHATSAPP_H

#include <stddef.h>
#include <stdint.h>

#define HRX_WA_API_URL          "https://graph.facebook.com"
#define HRX_WA_API_VERSION      "v25.0"     /* Meta's current examples */
#define HRX_WA_API_VERSION_MAX  15

/* a Graph API version as Meta writes it in paths: "v" digits "." digits
 * (hrx_whatsapp_api_version, --whatsapp-api-version); 1 when it is one */
int hrx_wa_api_version_valid(const char *s, size_t len);

/* lowercase hex HMAC-SHA256(key, data) into out (64 characters + NUL):
 * the Graph API's appsecret_proof (key: the app secret, data: the access
 * token) and the X-Hub-Signature-256 of a webhook (data: the raw body) */
#define HRX_WA_HMAC_HEX_SIZE  65
void hrx_wa_hmac_hex(const void *key, size_t keylen, const void *data,
    size_t len, char out[HRX_WA_HMAC_HEX_SIZE]);

/* 1 when header (X-Hub-Signature-256, len bytes) is "sha256=" and the
 * lowercase hex HMAC-SHA256(app secret, body), compared in constant
 * time; 0 for anything else (missing, another prefix, a wrong length) */
int hrx_wa_signature_ok(const void *secret, size_t secretlen,
    const void *body, size_t bodylen, const char *header, size_t len);

#endif
