/*
 * WhatsApp rules shared by the module and the scheduler
 * (docs/whatsapp.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

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

static const char *
hrx_wa_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* a timestamp Meta writes as a string of seconds (or an integer) */
static int64_t
hrx_wa_ts(const json_t *v)
{
    const char  *s;
    char        *end;
    long long    n;

    if (json_is_integer(v)) {
        return json_integer_value(v);
    }
    s = json_string_value(v);
    if (s == NULL || *s == '\0') {
        return 0;
    }
    n = strtoll(s, &end, 10);
    return (*end == '\0' && n > 0) ? (int64_t) n : 0;
}

/* what a message says, as text: the text, a caption, a reply's title */
static const char *
hrx_wa_message_text(const json_t *m, const char *type)
{
    const json_t  *body, *i;

    if (type == NULL) {
        return NULL;
    }
    body = json_object_get(m, type);
    if (strcmp(type, "text") == 0) {
        return hrx_wa_str(body, "body");
    }
    if (strcmp(type, "button") == 0) {
        return hrx_wa_str(body, "text");
    }
    if (strcmp(type, "interactive") == 0) {
        i = json_object_get(body, hrx_wa_str(body, "type") ? hrx_wa_str(body,
                            "type") : "");
        return hrx_wa_str(i, "title");
    }
    return hrx_wa_str(body, "caption");
}

static void
hrx_wa_first_error(const json_t *obj, hrx_wa_item_t *it)
{
    const json_t  *e;

    e = json_array_get(json_object_get(obj, "errors"), 0);
    if (json_is_object(e)) {
        it->error_code = json_integer_value(json_object_get(e, "code"));
        it->error_title = hrx_wa_str(e, "title");
        if (it->error_title == NULL) {
            it->error_title = hrx_wa_str(e, "message");
        }
    }
}

static int
hrx_wa_messages_value(const char *waba, const json_t *value,
    hrx_wa_item_cb cb, void *data, unsigned *skipped)
{
    const json_t   *a, *m, *contacts, *c;
    const char     *pnid;
    hrx_wa_item_t   it;
    size_t          i, k;

    pnid = hrx_wa_str(json_object_get(value, "metadata"), "phone_number_id");
    contacts = json_object_get(value, "contacts");

    a = json_object_get(value, "messages");
    json_array_foreach(a, i, m) {
        memset(&it, 0, sizeof(it));
        it.kind = HRX_WA_MESSAGE;
        it.waba_id = waba;
        it.phone_number_id = pnid;
        it.wamid = hrx_wa_str(m, "id");
        it.from = hrx_wa_str(m, "from");
        json_array_foreach(contacts, k, c) {
            if (it.from && hrx_wa_str(c, "wa_id")
                && strcmp(hrx_wa_str(c, "wa_id"), it.from) == 0)
            {
                it.profile_name = hrx_wa_str(json_object_get(c, "profile"),
                                             "name");
            }
        }
        it.type = hrx_wa_str(m, "type");
        it.text = hrx_wa_message_text(m, it.type);
        it.timestamp = hrx_wa_ts(json_object_get(m, "timestamp"));
        hrx_wa_first_error(m, &it);
        if (pnid == NULL || it.wamid == NULL || it.wamid[0] == '\0'
            || strlen(it.wamid) > HRX_WA_WAMID_MAX || it.from == NULL)
        {
            (*skipped)++;
            continue;
        }
        if (cb(data, &it) != 0) {
            return -1;
        }
    }

    a = json_object_get(value, "statuses");
    json_array_foreach(a, i, m) {
        memset(&it, 0, sizeof(it));
        it.kind = HRX_WA_STATUS;
        it.waba_id = waba;
        it.phone_number_id = pnid;
        it.wamid = hrx_wa_str(m, "id");
        it.status = hrx_wa_str(m, "status");
        it.recipient = hrx_wa_str(m, "recipient_id");
        it.timestamp = hrx_wa_ts(json_object_get(m, "timestamp"));
        hrx_wa_first_error(m, &it);
        if (pnid == NULL || it.wamid == NULL || it.wamid[0] == '\0'
            || strlen(it.wamid) > HRX_WA_WAMID_MAX || it.status == NULL
            || strlen(it.status) > 32)
        {
            (*skipped)++;
            continue;
        }
        if (cb(data, &it) != 0) {
            return -1;
        }
    }

    /* errors of the value itself (131000 ...): nothing to store per id */
    *skipped += (unsigned) json_array_size(json_object_get(value, "errors"));
    return 0;
}

static int
hrx_wa_template_value(const char *waba, int64_t time, const json_t *value,
    hrx_wa_item_cb cb, void *data, unsigned *skipped)
{
    const json_t   *id;
    hrx_wa_item_t   it;

    memset(&it, 0, sizeof(it));
    it.kind = HRX_WA_TEMPLATE;
    it.waba_id = waba;
    id = json_object_get(value, "message_template_id");
    if (json_is_integer(id)) {
        snprintf(it.template_id, sizeof(it.template_id), "%lld",
                 (long long) json_integer_value(id));
    } else if (json_is_string(id) && json_string_length(id) > 0
               && json_string_length(id) < sizeof(it.template_id))
    {
        strcpy(it.template_id, json_string_value(id));
    }
    it.template_name = hrx_wa_str(value, "message_template_name");
    it.language = hrx_wa_str(value, "message_template_language");
    it.event = hrx_wa_str(value, "event");
    it.reason = hrx_wa_str(value, "reason");
    it.timestamp = time;
    if (it.template_id[0] == '\0' || it.event == NULL
        || strlen(it.event) > 32)
    {
        (*skipped)++;
        return 0;
    }
    return cb(data, &it);
}

int
hrx_wa_delivery_each(json_t *root, hrx_wa_item_cb cb, void *data,
    unsigned *skipped, char *err, size_t errsize)
{
    const json_t  *entries, *e, *changes, *c, *value;
    const char    *obj, *field, *waba;
    size_t         i, k;

    *skipped = 0;
    obj = hrx_wa_str(root, "object");
    entries = json_object_get(root, "entry");
    if (!json_is_object(root) || obj == NULL
        || strcmp(obj, "whatsapp_business_account") != 0
        || !json_is_array(entries))
    {
        snprintf(err, errsize, "not a WhatsApp Business Account delivery "
                 "(object \"whatsapp_business_account\" and an entry "
                 "array)");
        return -1;
    }

    json_array_foreach(entries, i, e) {
        waba = hrx_wa_str(e, "id");
        changes = json_object_get(e, "changes");
        if (!json_is_array(changes)) {
            (*skipped)++;
            continue;
        }
        json_array_foreach(changes, k, c) {
            field = hrx_wa_str(c, "field");
            value = json_object_get(c, "value");
            if (field == NULL || !json_is_object(value)) {
                (*skipped)++;
            } else if (strcmp(field, "messages") == 0) {
                if (hrx_wa_messages_value(waba, value, cb, data, skipped)
                    != 0)
                {
                    return -2;
                }
            } else if (strcmp(field, "message_template_status_update")
                       == 0)
            {
                if (hrx_wa_template_value(waba,
                        hrx_wa_ts(json_object_get(e, "time")), value, cb,
                        data, skipped) != 0)
                {
                    return -2;
                }
            } else {
                (*skipped)++;           /* a field hrx does not use */
            }
        }
    }
    return 0;
}

int
hrx_wa_e164(const char *wa_id, char out[17])
{
    size_t  i, n;

    n = wa_id ? strlen(wa_id) : 0;
    if (n < 7 || n > 15 || wa_id[0] == '0') {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (wa_id[i] < '0' || wa_id[i] > '9') {
            return -1;
        }
    }
    out[0] = '+';
    memcpy(out + 1, wa_id, n + 1);
    return 0;
}
