/*
 * Signed per-candidate link tokens (docs/bulk-actions.md, "Links in
 * mail"): the form link, the event invitation, the LINE friend link and,
 * later, tracking and unsubscribe links all carry one.
 *
 * A token names what it opens (kind, tenant, candidate, object) and until
 * when; it is signed with HMAC-SHA256 under a key derived from master.key
 * (hrx_derive_key(master, HRX_TOKEN_KEY_LABEL)), so nobody can make one
 * for another candidate or stretch its life.  It is URL-safe (base64url,
 * no padding), has no '.' or '/', and fits HRX_TOKEN_MAX bytes with its
 * NUL.  The format is versioned by its first byte so it can change.
 *
 *     char  tok[HRX_TOKEN_MAX];
 *     hrx_token_make(key, &t, tok, sizeof(tok));
 *     ...
 *     switch (hrx_token_verify(key, s, len, now_ms, &t)) {
 *     case HRX_TOKEN_OK:        use t
 *     case HRX_TOKEN_EXPIRED:   "this link has expired" (t is filled)
 *     default:                  "this link is not valid"
 *     }
 */
#ifndef HRX_TOKEN_H
#define HRX_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "hrx_crypto.h"

#define HRX_TOKEN_KEY_LABEL   "hrx link tokens v1"
#define HRX_TOKEN_MAX         128

/* validity of the links a bulk action mails; LN-3: 7 days for LINE */
#define HRX_TOKEN_TTL_FORM_MS         (30LL * 24 * 3600 * 1000)
#define HRX_TOKEN_TTL_EVENT_MS        (30LL * 24 * 3600 * 1000)
#define HRX_TOKEN_TTL_LINE_FRIEND_MS  (7LL * 24 * 3600 * 1000)

/* kinds: stable numbers, never renumber */
typedef enum {
    HRX_TOKEN_FORM = 1,           /* object: form id */
    HRX_TOKEN_EVENT = 2,          /* object: event id */
    HRX_TOKEN_EVENT_GROUP = 3,    /* object: event group id */
    HRX_TOKEN_LINE_FRIEND = 4,    /* object: 0 */
    HRX_TOKEN_UNSUBSCRIBE = 5,    /* object: 0 */
    HRX_TOKEN_KIND_MAX
} hrx_token_kind_e;

typedef struct {
    int       kind;               /* hrx_token_kind_e */
    int64_t   tenant_id;
    int64_t   candidate_id;
    int64_t   object_id;          /* 0: none */
    int64_t   expires_at;         /* unix ms */
    uint64_t  nonce;              /* random: two links differ */
} hrx_token_t;

#define HRX_TOKEN_OK        0
#define HRX_TOKEN_INVALID  -1     /* malformed, unknown version or kind,
                                     or the signature does not match */
#define HRX_TOKEN_EXPIRED  -2     /* valid signature, expires_at <= now */

/* writes the token (NUL-terminated); its length (80 in version 1), or -1
 * when out is too small or t is out of range (kind, a negative id or
 * expires_at).  t->nonce is used as given: the caller fills it from
 * hrx_random_bytes() */
int hrx_token_make(const uint8_t key[HRX_KEY_SIZE], const hrx_token_t *t,
    char *out, size_t size);

/* constant-time signature check; see the result codes above.  t is
 * filled for HRX_TOKEN_OK and HRX_TOKEN_EXPIRED, zeroed otherwise */
int hrx_token_verify(const uint8_t key[HRX_KEY_SIZE], const char *s,
    size_t len, int64_t now_ms, hrx_token_t *t);

/* the key for tokens from the master key: 0 / -1 */
int hrx_token_key(const uint8_t master[HRX_KEY_SIZE],
    uint8_t key[HRX_KEY_SIZE]);

#endif /* HRX_TOKEN_H */
