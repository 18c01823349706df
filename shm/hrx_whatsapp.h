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

/*
 * A webhook delivery (docs/whatsapp.md, WA-2): every entry[], changes[],
 * messages[], statuses[] -- never only the first.  hrx_wa_delivery_each
 * calls cb for each item it recognises (an inbound message, a status, a
 * template status update); other fields and items without the id they
 * are deduplicated by are counted in *skipped, never an error.  -1 (err
 * says why) when root is not a delivery at all: not an object, "object"
 * not "whatsapp_business_account", no "entry" array.  The strings point
 * into root.
 */
#define HRX_WA_BODY_MAX        (8 * 1024 * 1024)
#define HRX_WA_INLINE_MAX      (256 * 1024)  /* larger: a spool file */
#define HRX_WA_WAMID_MAX       128

typedef enum {
    HRX_WA_MESSAGE = 1,
    HRX_WA_STATUS,
    HRX_WA_TEMPLATE
} hrx_wa_kind_e;

typedef struct {
    hrx_wa_kind_e   kind;
    const char     *waba_id;            /* entry[].id */
    const char     *phone_number_id;    /* metadata; NULL for templates */
    const char     *wamid;              /* message or status id */
    const char     *from;               /* message: the sender's wa_id */
    const char     *profile_name;       /* value.contacts[] of from */
    const char     *type;               /* message: text, image, ... */
    const char     *text;               /* text body, caption, reply title */
    const char     *status;             /* sent, delivered, read, failed */
    const char     *recipient;          /* status: recipient_id */
    int64_t         error_code;         /* 0: none */
    const char     *error_title;
    char            template_id[24];    /* an integer in the JSON */
    const char     *template_name;
    const char     *language;
    const char     *event;              /* APPROVED, REJECTED, ... */
    const char     *reason;
    int64_t         timestamp;          /* seconds */
} hrx_wa_item_t;

typedef int (*hrx_wa_item_cb)(void *data, const hrx_wa_item_t *item);

struct json_t;
int hrx_wa_delivery_each(struct json_t *root, hrx_wa_item_cb cb, void *data,
    unsigned *skipped, char *err, size_t errsize);

/*
 * The E.164 form of a WhatsApp id: "+" and its digits when it is 7 to 15
 * digits without a leading 0 (Meta's wa_id is the number without "+";
 * a username-based id is not a phone number).  0 and out, or -1.
 */
int hrx_wa_e164(const char *wa_id, char out[17]);

#endif
