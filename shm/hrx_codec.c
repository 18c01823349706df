/*
 * Command codec: JSON <-> MessagePack, and the command envelope.
 *
 * Encoding goes through msgpack-c's packer.  Decoding does not use
 * msgpack-c's unpacker: records come from other processes and will be
 * fuzzed, and that unpacker allocates a whole container from the count in
 * its header before it has seen the elements, and nests at most 32 deep.
 * A small reader over the bytes instead builds the jansson values directly,
 * checking every length against what is left of the buffer first, so a
 * hostile record costs at most a few allocations per byte it contains, and
 * every refusal says why in one sentence.
 *
 * Strict on purpose: one map with known keys only, no trailing bytes,
 * strings valid UTF-8, map keys strings and unique, integers within int64,
 * floats finite, no ext types, nesting at most HRX_CODEC_MAX_DEPTH.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hrx_codec.h"

#define HRX_CODEC_MAX_DEPTH  64     /* containers, the envelope included */


static void hrx_codec_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


static void
hrx_codec_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


/* op names: what docs/commands.md uses, e.g. "user.create" */
static int
hrx_op_valid(const char *op, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len >= HRX_OP_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = op[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/* encoding ---------------------------------------------------------------- */


static int
hrx_json_pack_depth(msgpack_packer *pk, const json_t *value, int depth)
{
    size_t       i, n, klen;
    void        *it;
    json_t      *obj;
    const char  *key;

    switch (json_typeof(value)) {

    case JSON_OBJECT:
        if (depth > HRX_CODEC_MAX_DEPTH) {
            return -1;
        }

        /* jansson's iterators take a non-const object; nothing changes */
        obj = (json_t *) value;

        if (msgpack_pack_map(pk, json_object_size(obj)) != 0) {
            return -1;
        }

        for (it = json_object_iter(obj); it != NULL;
             it = json_object_iter_next(obj, it))
        {
            key = json_object_iter_key(it);
            klen = json_object_iter_key_len(it);

            if (msgpack_pack_str(pk, klen) != 0
                || msgpack_pack_str_body(pk, key, klen) != 0
                || hrx_json_pack_depth(pk, json_object_iter_value(it),
                                       depth + 1) != 0)
            {
                return -1;
            }
        }

        return 0;

    case JSON_ARRAY:
        if (depth > HRX_CODEC_MAX_DEPTH) {
            return -1;
        }

        n = json_array_size(value);

        if (msgpack_pack_array(pk, n) != 0) {
            return -1;
        }

        for (i = 0; i < n; i++) {
            if (hrx_json_pack_depth(pk, json_array_get(value, i), depth + 1)
                != 0)
            {
                return -1;
            }
        }

        return 0;

    case JSON_STRING:
        n = json_string_length(value);

        return msgpack_pack_str(pk, n) != 0
               || msgpack_pack_str_body(pk, json_string_value(value), n) != 0
               ? -1 : 0;

    case JSON_INTEGER:
        return msgpack_pack_int64(pk, json_integer_value(value)) != 0 ? -1 : 0;

    case JSON_REAL:
        return msgpack_pack_double(pk, json_real_value(value)) != 0 ? -1 : 0;

    case JSON_TRUE:
        return msgpack_pack_true(pk) != 0 ? -1 : 0;

    case JSON_FALSE:
        return msgpack_pack_false(pk) != 0 ? -1 : 0;

    case JSON_NULL:
        return msgpack_pack_nil(pk) != 0 ? -1 : 0;
    }

    return -1;
}


int
hrx_json_pack(msgpack_packer *pk, const json_t *value)
{
    if (value == NULL) {
        return -1;
    }

    return hrx_json_pack_depth(pk, value, 1);
}


static int
hrx_pack_key(msgpack_packer *pk, const char *key)
{
    size_t  len = strlen(key);

    return msgpack_pack_str(pk, len) != 0
           || msgpack_pack_str_body(pk, key, len) != 0 ? -1 : 0;
}


int
hrx_command_encode(const hrx_command_t *cmd, msgpack_sbuffer *out)
{
    size_t          start, oplen;
    msgpack_packer  pk;

    oplen = strnlen(cmd->op, HRX_OP_MAX);

    if (!hrx_op_valid(cmd->op, oplen)
        || (cmd->args != NULL && !json_is_object(cmd->args)))
    {
        return -1;
    }

    start = out->size;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);

    if (msgpack_pack_map(&pk, cmd->gen != 0 ? 7 : 5) != 0
        || hrx_pack_key(&pk, "v") != 0
        || msgpack_pack_uint32(&pk, HRX_CODEC_VERSION) != 0
        || hrx_pack_key(&pk, "op") != 0
        || msgpack_pack_str(&pk, oplen) != 0
        || msgpack_pack_str_body(&pk, cmd->op, oplen) != 0
        || hrx_pack_key(&pk, "tenant") != 0
        || msgpack_pack_int64(&pk, cmd->tenant_id) != 0
        || hrx_pack_key(&pk, "actor") != 0
        || msgpack_pack_int64(&pk, cmd->actor_id) != 0)
    {
        goto failed;
    }

    if (cmd->gen != 0
        && (hrx_pack_key(&pk, "slot") != 0
            || msgpack_pack_uint32(&pk, cmd->slot) != 0
            || hrx_pack_key(&pk, "gen") != 0
            || msgpack_pack_uint32(&pk, cmd->gen) != 0))
    {
        goto failed;
    }

    if (hrx_pack_key(&pk, "args") != 0) {
        goto failed;
    }

    /* the envelope is depth 1, so args sit at depth 2 as in decode */
    if (cmd->args != NULL ? hrx_json_pack_depth(&pk, cmd->args, 2) != 0
                          : msgpack_pack_map(&pk, 0) != 0)
    {
        goto failed;
    }

    return 0;

failed:

    out->size = start;              /* leave no half record behind */
    return -1;
}


/* decoding ---------------------------------------------------------------- */


typedef struct {
    const uint8_t  *p;
    const uint8_t  *end;
    char           *err;
    size_t          errlen;
} hrx_mp_reader_t;


static int
hrx_mp_need(hrx_mp_reader_t *r, uint64_t n)
{
    if ((uint64_t) (r->end - r->p) < n) {
        hrx_codec_err(r->err, r->errlen, "the record is truncated");
        return -1;
    }

    return 0;
}


/* big-endian unsigned of n bytes (1, 2, 4, 8); hrx_mp_need() first */
static uint64_t
hrx_mp_be(hrx_mp_reader_t *r, unsigned n)
{
    unsigned  i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < n; i++) {
        v = (v << 8) | r->p[i];
    }

    r->p += n;

    return v;
}


static int
hrx_mp_uint(hrx_mp_reader_t *r, unsigned n, uint64_t *v)
{
    if (hrx_mp_need(r, n) != 0) {
        return -1;
    }

    *v = hrx_mp_be(r, n);

    return 0;
}


static json_t *hrx_mp_value(hrx_mp_reader_t *r, int depth);


static json_t *
hrx_mp_oom(hrx_mp_reader_t *r)
{
    hrx_codec_err(r->err, r->errlen, "out of memory decoding the record");
    return NULL;
}


static json_t *
hrx_mp_string(hrx_mp_reader_t *r, uint64_t n)
{
    json_t  *s;

    if (hrx_mp_need(r, n) != 0) {
        return NULL;
    }

    s = json_stringn((const char *) r->p, (size_t) n);

    if (s == NULL) {
        hrx_codec_err(r->err, r->errlen, "a string is not valid UTF-8");
        return NULL;
    }

    r->p += n;

    return s;
}


static json_t *
hrx_mp_array(hrx_mp_reader_t *r, uint64_t n, int depth)
{
    uint64_t   i;
    json_t    *a, *v;

    if (depth > HRX_CODEC_MAX_DEPTH) {
        hrx_codec_err(r->err, r->errlen, "the record nests deeper than %d "
                      "levels", HRX_CODEC_MAX_DEPTH);
        return NULL;
    }

    /* every element takes at least one byte: refuse impossible counts */
    if (hrx_mp_need(r, n) != 0) {
        return NULL;
    }

    a = json_array();
    if (a == NULL) {
        return hrx_mp_oom(r);
    }

    for (i = 0; i < n; i++) {
        v = hrx_mp_value(r, depth + 1);

        if (v == NULL) {
            json_decref(a);
            return NULL;
        }

        if (json_array_append_new(a, v) != 0) {
            json_decref(a);
            return hrx_mp_oom(r);
        }
    }

    return a;
}


/* a map key: str only (JSON keys are strings) */
static json_t *
hrx_mp_key(hrx_mp_reader_t *r)
{
    uint8_t   b;
    uint64_t  n;

    if (hrx_mp_need(r, 1) != 0) {
        return NULL;
    }

    b = *r->p++;

    if (b >= 0xa0 && b <= 0xbf) {
        n = b & 0x1f;

    } else if (b >= 0xd9 && b <= 0xdb) {
        if (hrx_mp_uint(r, 1u << (b - 0xd9), &n) != 0) {
            return NULL;
        }

    } else {
        hrx_codec_err(r->err, r->errlen, "a map key is not a string");
        return NULL;
    }

    return hrx_mp_string(r, n);
}


static json_t *
hrx_mp_map(hrx_mp_reader_t *r, uint64_t n, int depth)
{
    uint64_t   i;
    json_t    *m, *k, *v;

    if (depth > HRX_CODEC_MAX_DEPTH) {
        hrx_codec_err(r->err, r->errlen, "the record nests deeper than %d "
                      "levels", HRX_CODEC_MAX_DEPTH);
        return NULL;
    }

    if (n > UINT64_MAX / 2 || hrx_mp_need(r, 2 * n) != 0) {
        hrx_codec_err(r->err, r->errlen, "the record is truncated");
        return NULL;
    }

    m = json_object();
    if (m == NULL) {
        return hrx_mp_oom(r);
    }

    for (i = 0; i < n; i++) {
        k = hrx_mp_key(r);
        if (k == NULL) {
            goto failed;
        }

        if (json_object_getn(m, json_string_value(k), json_string_length(k))
            != NULL)
        {
            hrx_codec_err(r->err, r->errlen, "a map has a duplicate key");
            json_decref(k);
            goto failed;
        }

        v = hrx_mp_value(r, depth + 1);
        if (v == NULL) {
            json_decref(k);
            goto failed;
        }

        if (json_object_setn_new(m, json_string_value(k),
                                 json_string_length(k), v) != 0)
        {
            json_decref(k);
            json_decref(m);
            return hrx_mp_oom(r);
        }

        json_decref(k);
    }

    return m;

failed:

    json_decref(m);
    return NULL;
}


static json_t *
hrx_mp_real(hrx_mp_reader_t *r, double d)
{
    json_t  *v;

    v = json_real(d);               /* NULL for NaN and infinities */

    if (v == NULL) {
        hrx_codec_err(r->err, r->errlen, "a number is not finite");
    }

    return v;
}


static json_t *
hrx_mp_value(hrx_mp_reader_t *r, int depth)
{
    float     f;
    double    d;
    uint8_t   b;
    uint32_t  u32;
    uint64_t  n;
    json_t   *v;

    if (hrx_mp_need(r, 1) != 0) {
        return NULL;
    }

    b = *r->p++;

    if (b <= 0x7f) {
        v = json_integer(b);
        return v != NULL ? v : hrx_mp_oom(r);
    }

    if (b >= 0xe0) {
        v = json_integer((int8_t) b);
        return v != NULL ? v : hrx_mp_oom(r);
    }

    if (b <= 0x8f) {
        return hrx_mp_map(r, b & 0x0f, depth);
    }

    if (b <= 0x9f) {
        return hrx_mp_array(r, b & 0x0f, depth);
    }

    if (b <= 0xbf) {
        return hrx_mp_string(r, b & 0x1f);
    }

    v = NULL;

    switch (b) {

    case 0xc0:
        v = json_null();
        break;

    case 0xc2:
        v = json_false();
        break;

    case 0xc3:
        v = json_true();
        break;

    case 0xc4:                      /* bin 8/16/32: becomes a string */
    case 0xc5:
    case 0xc6:
        if (hrx_mp_uint(r, 1u << (b - 0xc4), &n) != 0) {
            return NULL;
        }

        return hrx_mp_string(r, n);

    case 0xca:
        if (hrx_mp_uint(r, 4, &n) != 0) {
            return NULL;
        }

        u32 = (uint32_t) n;
        memcpy(&f, &u32, sizeof(f));

        return hrx_mp_real(r, f);

    case 0xcb:
        if (hrx_mp_uint(r, 8, &n) != 0) {
            return NULL;
        }

        memcpy(&d, &n, sizeof(d));

        return hrx_mp_real(r, d);

    case 0xcc:                      /* uint 8/16/32/64 */
    case 0xcd:
    case 0xce:
    case 0xcf:
        if (hrx_mp_uint(r, 1u << (b - 0xcc), &n) != 0) {
            return NULL;
        }

        if (n > INT64_MAX) {
            hrx_codec_err(r->err, r->errlen, "an integer is out of range");
            return NULL;
        }

        v = json_integer((json_int_t) n);
        break;

    case 0xd0:                      /* int 8/16/32/64, sign-extended */
    case 0xd1:
    case 0xd2:
    case 0xd3:
        if (hrx_mp_uint(r, 1u << (b - 0xd0), &n) != 0) {
            return NULL;
        }

        switch (b) {
        case 0xd0:
            v = json_integer((int8_t) (uint8_t) n);
            break;
        case 0xd1:
            v = json_integer((int16_t) (uint16_t) n);
            break;
        case 0xd2:
            v = json_integer((int32_t) (uint32_t) n);
            break;
        default:
            v = json_integer((json_int_t) (int64_t) n);
            break;
        }

        break;

    case 0xd9:                      /* str 8/16/32 */
    case 0xda:
    case 0xdb:
        if (hrx_mp_uint(r, 1u << (b - 0xd9), &n) != 0) {
            return NULL;
        }

        return hrx_mp_string(r, n);

    case 0xdc:                      /* array 16/32 */
    case 0xdd:
        if (hrx_mp_uint(r, b == 0xdc ? 2 : 4, &n) != 0) {
            return NULL;
        }

        return hrx_mp_array(r, n, depth);

    case 0xde:                      /* map 16/32 */
    case 0xdf:
        if (hrx_mp_uint(r, b == 0xde ? 2 : 4, &n) != 0) {
            return NULL;
        }

        return hrx_mp_map(r, n, depth);

    default:                        /* 0xc1 (never used), ext types */
        hrx_codec_err(r->err, r->errlen, "the record holds a MessagePack "
                      "type JSON has no equivalent for (0x%02x)", b);
        return NULL;
    }

    return v != NULL ? v : hrx_mp_oom(r);
}


static int
hrx_field_known(const char *key, size_t len)
{
    static const char  *fields[] = {
        "v", "op", "tenant", "actor", "slot", "gen", "args"
    };

    size_t  i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strlen(fields[i]) == len && memcmp(fields[i], key, len) == 0) {
            return 1;
        }
    }

    return 0;
}


/* an int64 envelope field; 0 or -1 with the error set */
static int
hrx_field_int(json_t *v, const char *name, int64_t min, int64_t max,
    int64_t *out, char *err, size_t errlen)
{
    json_int_t  i;

    if (!json_is_integer(v)) {
        hrx_codec_err(err, errlen, "\"%s\" is not an integer", name);
        return -1;
    }

    i = json_integer_value(v);

    if (i < min || i > max) {
        hrx_codec_err(err, errlen, "\"%s\" is out of range", name);
        return -1;
    }

    *out = i;

    return 0;
}


int
hrx_command_decode(const uint8_t *buf, size_t len, hrx_command_t *cmd,
    char *err, size_t errlen)
{
    void             *it;
    int64_t           i;
    json_t           *env, *v;
    const char       *op;
    size_t            oplen;
    hrx_mp_reader_t   r;

    memset(cmd, 0, sizeof(*cmd));

    if (buf == NULL || len == 0) {
        hrx_codec_err(err, errlen, "the record is empty");
        return -1;
    }

    /* the envelope must be a map before anything is built */
    if (!((buf[0] >= 0x80 && buf[0] <= 0x8f) || buf[0] == 0xde
          || buf[0] == 0xdf))
    {
        hrx_codec_err(err, errlen, "the record is not a MessagePack map");
        return -1;
    }

    r.p = buf;
    r.end = buf + len;
    r.err = err;
    r.errlen = errlen;

    env = hrx_mp_value(&r, 1);
    if (env == NULL) {
        return -1;
    }

    if (r.p != r.end) {
        hrx_codec_err(err, errlen, "%zu trailing byte(s) after the record",
                      (size_t) (r.end - r.p));
        goto failed;
    }

    /* only known fields: a misspelt one must not be silently ignored */
    for (it = json_object_iter(env); it != NULL;
         it = json_object_iter_next(env, it))
    {
        if (!hrx_field_known(json_object_iter_key(it),
                             json_object_iter_key_len(it)))
        {
            hrx_codec_err(err, errlen, "the record has an unknown field");
            goto failed;
        }
    }

    v = json_object_get(env, "v");
    if (v == NULL) {
        hrx_codec_err(err, errlen, "the record has no \"v\" (codec version)");
        goto failed;
    }

    if (hrx_field_int(v, "v", 0, INT64_MAX, &i, err, errlen) != 0) {
        goto failed;
    }

    if (i != HRX_CODEC_VERSION) {
        hrx_codec_err(err, errlen, "the record has codec version %lld, this "
                      "build reads %d", (long long) i, HRX_CODEC_VERSION);
        goto failed;
    }

    v = json_object_get(env, "op");
    if (v == NULL) {
        hrx_codec_err(err, errlen, "the record has no \"op\"");
        goto failed;
    }

    if (!json_is_string(v)) {
        hrx_codec_err(err, errlen, "\"op\" is not a string");
        goto failed;
    }

    op = json_string_value(v);
    oplen = json_string_length(v);

    if (oplen >= HRX_OP_MAX) {
        hrx_codec_err(err, errlen, "\"op\" is longer than %d bytes",
                      HRX_OP_MAX - 1);
        goto failed;
    }

    if (!hrx_op_valid(op, oplen)) {
        hrx_codec_err(err, errlen, "\"op\" is empty or has a character other "
                      "than letters, digits, '.', '_' and '-'");
        goto failed;
    }

    memcpy(cmd->op, op, oplen);
    cmd->op[oplen] = '\0';

    v = json_object_get(env, "tenant");
    if (v == NULL) {
        hrx_codec_err(err, errlen, "the record has no \"tenant\"");
        goto failed;
    }

    if (hrx_field_int(v, "tenant", INT64_MIN, INT64_MAX, &cmd->tenant_id,
                      err, errlen) != 0)
    {
        goto failed;
    }

    v = json_object_get(env, "actor");
    if (v == NULL) {
        hrx_codec_err(err, errlen, "the record has no \"actor\"");
        goto failed;
    }

    if (hrx_field_int(v, "actor", INT64_MIN, INT64_MAX, &cmd->actor_id,
                      err, errlen) != 0)
    {
        goto failed;
    }

    if ((json_object_get(env, "slot") == NULL)
        != (json_object_get(env, "gen") == NULL))
    {
        hrx_codec_err(err, errlen, "\"slot\" and \"gen\" must come together");
        goto failed;
    }

    v = json_object_get(env, "slot");
    if (v != NULL) {
        if (hrx_field_int(v, "slot", 0, UINT32_MAX, &i, err, errlen) != 0) {
            goto failed;
        }

        cmd->slot = (uint32_t) i;

        if (hrx_field_int(json_object_get(env, "gen"), "gen", 0, UINT32_MAX,
                          &i, err, errlen) != 0)
        {
            goto failed;
        }

        cmd->gen = (uint32_t) i;
    }

    v = json_object_get(env, "args");
    if (v == NULL) {
        hrx_codec_err(err, errlen, "the record has no \"args\"");
        goto failed;
    }

    if (!json_is_object(v)) {
        hrx_codec_err(err, errlen, "\"args\" is not a map");
        goto failed;
    }

    cmd->args = json_incref(v);
    json_decref(env);

    return 0;

failed:

    json_decref(env);
    memset(cmd, 0, sizeof(*cmd));

    return -1;
}


/* msgpack_object -> JSON (for payloads unpacked with msgpack-c) ---------- */


static json_t *
hrx_json_unpack_depth(const msgpack_object *o, int depth)
{
    uint32_t                  i;
    json_t                   *v, *e;
    const msgpack_object_kv  *kv;

    switch (o->type) {

    case MSGPACK_OBJECT_NIL:
        return json_null();

    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);

    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX) {
            return NULL;
        }

        return json_integer((json_int_t) o->via.u64);

    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer(o->via.i64);

    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return json_real(o->via.f64);

    case MSGPACK_OBJECT_STR:
        return json_stringn(o->via.str.ptr, o->via.str.size);

    case MSGPACK_OBJECT_BIN:
        return json_stringn(o->via.bin.ptr, o->via.bin.size);

    case MSGPACK_OBJECT_ARRAY:
        if (depth > HRX_CODEC_MAX_DEPTH) {
            return NULL;
        }

        v = json_array();
        if (v == NULL) {
            return NULL;
        }

        for (i = 0; i < o->via.array.size; i++) {
            e = hrx_json_unpack_depth(&o->via.array.ptr[i], depth + 1);

            if (e == NULL || json_array_append_new(v, e) != 0) {
                json_decref(v);
                return NULL;
            }
        }

        return v;

    case MSGPACK_OBJECT_MAP:
        if (depth > HRX_CODEC_MAX_DEPTH) {
            return NULL;
        }

        v = json_object();
        if (v == NULL) {
            return NULL;
        }

        for (i = 0; i < o->via.map.size; i++) {
            kv = &o->via.map.ptr[i];

            if (kv->key.type != MSGPACK_OBJECT_STR
                || json_object_getn(v, kv->key.via.str.ptr,
                                    kv->key.via.str.size) != NULL)
            {
                json_decref(v);
                return NULL;
            }

            e = hrx_json_unpack_depth(&kv->val, depth + 1);

            if (e == NULL
                || json_object_setn_new(v, kv->key.via.str.ptr,
                                        kv->key.via.str.size, e) != 0)
            {
                json_decref(v);
                return NULL;
            }
        }

        return v;

    default:                        /* ext */
        return NULL;
    }
}


json_t *
hrx_json_unpack(const msgpack_object *obj)
{
    if (obj == NULL) {
        return NULL;
    }

    return hrx_json_unpack_depth(obj, 1);
}


/* shared JSON helpers ------------------------------------------------------ */


size_t
hrx_rfc3339(int64_t ms, char out[HRX_TIME_MAX])
{
    size_t     n;
    int64_t    secs;
    time_t     t;
    struct tm  tm;

    /* floor, so that -1 ms is 23:59:59 of the day before */
    secs = ms / 1000;
    if (ms % 1000 < 0) {
        secs--;
    }

    t = (time_t) secs;

    if (gmtime_r(&t, &tm) == NULL) {
        out[0] = '\0';
        return 0;
    }

    n = strftime(out, HRX_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (n == 0) {
        out[0] = '\0';
    }

    return n;
}


json_t *
hrx_json_time(int64_t ms)
{
    char  buf[HRX_TIME_MAX];

    if (ms <= 0 || hrx_rfc3339(ms, buf) == 0) {
        return json_null();
    }

    return json_string(buf);
}


/*
 * A JSON string from C text that should be UTF-8; bytes that are not
 * become '?' rather than losing the whole error body.
 */
static json_t *
hrx_json_text(const char *s)
{
    char    *copy;
    size_t   i;
    json_t  *v;

    if (s == NULL) {
        s = "";
    }

    v = json_string(s);
    if (v != NULL) {
        return v;
    }

    copy = strdup(s);
    if (copy == NULL) {
        return NULL;
    }

    for (i = 0; copy[i] != '\0'; i++) {
        if ((unsigned char) copy[i] >= 0x80) {
            copy[i] = '?';
        }
    }

    v = json_string(copy);
    free(copy);

    return v;
}


char *
hrx_error_json(const char *code, const char *message, const char *field)
{
    char    *s;
    json_t  *root, *e;

    root = json_object();
    e = json_object();

    if (root == NULL || e == NULL) {
        json_decref(root);
        json_decref(e);
        return NULL;
    }

    /* the *_set_new calls take the value's reference even on failure */
    if (json_object_set_new(root, "error", e) != 0) {
        json_decref(root);
        return NULL;
    }

    if (json_object_set_new(e, "code", hrx_json_text(code)) != 0
        || json_object_set_new(e, "message", hrx_json_text(message)) != 0
        || json_object_set_new(e, "field", field != NULL
                                           ? hrx_json_text(field)
                                           : json_null()) != 0)
    {
        json_decref(root);
        return NULL;
    }

    s = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    return s;
}
