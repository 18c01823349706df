/*
 * Command codec: how a worker's command travels through the ring.
 *
 * A command record (type HRX_REC_COMMAND) is one MessagePack map:
 *   "v"      uint   codec version (1)
 *   "op"     str    operation, e.g. "user.create" (docs/commands.md)
 *   "tenant" int    tenant id the command acts in (0: platform level)
 *   "actor"  int    user id that issued it (0: the system)
 *   "slot"   uint   reply slot index        \  absent (or gen 0) when
 *   "gen"    uint   reply slot generation   /  nobody waits for a reply
 *   "args"   map    the operation's arguments (validated JSON, re-encoded)
 *
 * Replies do not go through MessagePack: a reply slot holds an HTTP status
 * and the JSON body the worker sends as is.
 */
#ifndef HRX_CODEC_H
#define HRX_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <msgpack.h>

#define HRX_CODEC_VERSION  1
#define HRX_OP_MAX         64

typedef struct {
    char       op[HRX_OP_MAX];
    int64_t    tenant_id;
    int64_t    actor_id;
    uint32_t   slot;
    uint32_t   gen;
    json_t    *args;       /* owned reference (decode creates it) */
} hrx_command_t;

/* 0 on success; out is initialised by the caller (msgpack_sbuffer_init) */
int hrx_command_encode(const hrx_command_t *cmd, msgpack_sbuffer *out);

/*
 * 0 on success (cmd->args is a new reference the caller json_decref()s),
 * -1 with a sentence in err for a malformed record.
 */
int hrx_command_decode(const uint8_t *buf, size_t len, hrx_command_t *cmd,
    char *err, size_t errlen);

/* generic conversions; integers stay integers, binary becomes a string */
int hrx_json_pack(msgpack_packer *pk, const json_t *value);
json_t *hrx_json_unpack(const msgpack_object *obj);

/*
 * Shared JSON helpers, so both processes render the same shapes.
 * hrx_rfc3339: unix ms -> "2026-11-21T09:30:00Z" (UTC, seconds); returns
 * the length written (out needs 32 bytes).
 * hrx_error_json: {"error":{"code","message","field"}} as a new string the
 * caller free()s (field may be NULL -> null).
 */
#define HRX_TIME_MAX  32
size_t hrx_rfc3339(int64_t ms, char out[HRX_TIME_MAX]);
json_t *hrx_json_time(int64_t ms);        /* string, or null for ms <= 0 */
char *hrx_error_json(const char *code, const char *message,
    const char *field);

#endif /* HRX_CODEC_H */
