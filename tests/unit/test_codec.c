/*
 * Tests of the command codec (shm/hrx_codec.c): round trips, every kind of
 * malformed record refused with a sentence, a small random fuzz (no crash
 * under ASan), and the shared JSON helpers.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hrx_codec.h"

typedef struct {
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    char             err[256];
} codec_state_t;


static int
codec_setup(void **state)
{
    codec_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);
    msgpack_sbuffer_init(&st->sb);
    msgpack_packer_init(&st->pk, &st->sb, msgpack_sbuffer_write);

    *state = st;
    return 0;
}


static int
codec_teardown(void **state)
{
    codec_state_t  *st = *state;

    msgpack_sbuffer_destroy(&st->sb);
    free(st);
    return 0;
}


static json_t *
parse(const char *text)
{
    json_t        *j;
    json_error_t   e;

    j = json_loads(text, JSON_ALLOW_NUL, &e);
    if (j == NULL) {
        fail_msg("bad test JSON: %s", e.text);
    }

    return j;
}


static void
pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}


/* decode must fail, with a sentence containing needle */
static void
expect_reject(codec_state_t *st, const void *buf, size_t len,
    const char *needle)
{
    hrx_command_t  cmd;

    st->err[0] = '\0';
    memset(&cmd, 0x5a, sizeof(cmd));

    assert_int_equal(hrx_command_decode(buf, len, &cmd, st->err,
                                        sizeof(st->err)), -1);
    assert_null(cmd.args);

    if (st->err[0] == '\0' || strstr(st->err, needle) == NULL) {
        fail_msg("error \"%s\" lacks \"%s\"", st->err, needle);
    }
}


static void
test_codec_round_trip(void **state)
{
    json_t         *args;
    hrx_command_t   cmd, out;
    codec_state_t  *st = *state;

    args = parse("{\"i\": 1, \"neg\": -5, \"n8\": -200, \"n16\": -40000,"
                 " \"big\": 9223372036854775807,"
                 " \"min\": -9223372036854775808, \"u32\": 4294967296,"
                 " \"r\": 1.5, \"r2\": 2.0, \"tiny\": -1e-300,"
                 " \"t\": true, \"f\": false, \"n\": null,"
                 " \"s\": \"h\\u00e9llo \\u65e5\\u672c \\ud83c\\udf89\","
                 " \"nul\": \"a\\u0000b\", \"long\": \"" 
                 "0123456789012345678901234567890123456789\","
                 " \"a\": [1, [2, [3]], {\"x\": \"y\"}, []],"
                 " \"o\": {\"nested\": {\"deep\": []}, \"\": 0},"
                 " \"empty\": {}}");

    memset(&cmd, 0, sizeof(cmd));
    strcpy(cmd.op, "user.create");
    cmd.tenant_id = 42;
    cmd.actor_id = -7;
    cmd.slot = 4095;
    cmd.gen = 4000000000u;
    cmd.args = args;

    assert_int_equal(hrx_command_encode(&cmd, &st->sb), 0);

    assert_int_equal(hrx_command_decode((const uint8_t *) st->sb.data,
                                        st->sb.size, &out, st->err,
                                        sizeof(st->err)), 0);
    assert_string_equal(out.op, "user.create");
    assert_int_equal(out.tenant_id, 42);
    assert_int_equal(out.actor_id, -7);
    assert_int_equal(out.slot, 4095);
    assert_int_equal(out.gen, 4000000000u);
    assert_true(json_equal(out.args, args));

    /* types survive: 2.0 stays a real, 1 stays an integer */
    assert_true(json_is_real(json_object_get(out.args, "r2")));
    assert_true(json_is_integer(json_object_get(out.args, "i")));
    assert_int_equal(json_string_length(json_object_get(out.args, "nul")),
                     3);

    json_decref(out.args);

    /* without a reply slot, and without args */
    msgpack_sbuffer_clear(&st->sb);
    cmd.gen = 0;
    cmd.slot = 0;
    cmd.args = NULL;
    assert_int_equal(hrx_command_encode(&cmd, &st->sb), 0);
    assert_int_equal(hrx_command_decode((const uint8_t *) st->sb.data,
                                        st->sb.size, &out, st->err,
                                        sizeof(st->err)), 0);
    assert_int_equal(out.slot, 0);
    assert_int_equal(out.gen, 0);
    assert_true(json_is_object(out.args));
    assert_int_equal(json_object_size(out.args), 0);
    json_decref(out.args);

    json_decref(args);
}


static void
test_codec_encode_rejects(void **state)
{
    json_t         *arr;
    hrx_command_t   cmd;
    codec_state_t  *st = *state;

    memset(&cmd, 0, sizeof(cmd));

    /* empty op */
    assert_int_equal(hrx_command_encode(&cmd, &st->sb), -1);

    /* op without NUL in HRX_OP_MAX bytes */
    memset(cmd.op, 'a', sizeof(cmd.op));
    assert_int_equal(hrx_command_encode(&cmd, &st->sb), -1);

    strcpy(cmd.op, "bad op");
    assert_int_equal(hrx_command_encode(&cmd, &st->sb), -1);

    /* args must be an object */
    strcpy(cmd.op, "x.y");
    arr = json_array();
    cmd.args = arr;
    assert_int_equal(hrx_command_encode(&cmd, &st->sb), -1);
    json_decref(arr);

    /* nothing half-written was left in the buffer */
    assert_int_equal(st->sb.size, 0);
}


static void
test_codec_encode_too_deep(void **state)
{
    int             i;
    json_t         *args, *inner;
    hrx_command_t   cmd;
    codec_state_t  *st = *state;

    /* args at depth 2; 62 more arrays reach 64: accepted */
    args = json_object();
    inner = json_array();
    json_object_set_new(args, "a", inner);

    for (i = 0; i < 61; i++) {
        json_t  *next = json_array();

        json_array_append_new(inner, next);
        inner = next;
    }

    memset(&cmd, 0, sizeof(cmd));
    strcpy(cmd.op, "deep");
    cmd.args = args;

    assert_int_equal(hrx_command_encode(&cmd, &st->sb), 0);

    {
        hrx_command_t  out;

        assert_int_equal(hrx_command_decode((const uint8_t *) st->sb.data,
                                            st->sb.size, &out, st->err,
                                            sizeof(st->err)), 0);
        assert_true(json_equal(out.args, args));
        json_decref(out.args);
    }

    /* one more level is refused on both sides */
    json_array_append_new(inner, json_array());
    msgpack_sbuffer_clear(&st->sb);
    assert_int_equal(hrx_command_encode(&cmd, &st->sb), -1);

    json_decref(args);
}


/* a valid envelope with some fields replaced */
static void
pack_envelope(codec_state_t *st, int skip_op, int skip_args, int bad_op,
    int bad_args)
{
    msgpack_packer  *pk = &st->pk;

    msgpack_pack_map(pk, 5 - skip_op - skip_args);
    pack_str(pk, "v");
    msgpack_pack_uint8(pk, 1);

    if (!skip_op) {
        pack_str(pk, "op");

        if (bad_op == 1) {
            msgpack_pack_int(pk, 5);
        } else if (bad_op == 2) {
            /* 64 bytes: one more than fits with its NUL */
            pack_str(pk, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        } else if (bad_op == 3) {
            pack_str(pk, "");
        } else if (bad_op == 4) {
            pack_str(pk, "rm -rf");
        } else {
            pack_str(pk, "x.y");
        }
    }

    pack_str(pk, "tenant");
    msgpack_pack_int(pk, 1);
    pack_str(pk, "actor");
    msgpack_pack_int(pk, 2);

    if (!skip_args) {
        pack_str(pk, "args");

        if (bad_args) {
            msgpack_pack_array(pk, 1);
            msgpack_pack_int(pk, 1);
        } else {
            msgpack_pack_map(pk, 0);
        }
    }
}


static void
test_codec_rejects_envelope(void **state)
{
    hrx_command_t   cmd;
    codec_state_t  *st = *state;

    /* sanity: the builder makes a valid record */
    pack_envelope(st, 0, 0, 0, 0);
    assert_int_equal(hrx_command_decode((const uint8_t *) st->sb.data,
                                        st->sb.size, &cmd, st->err,
                                        sizeof(st->err)), 0);
    json_decref(cmd.args);

#define CASE(skip_op, skip_args, bad_op, bad_args, needle)                     \
    msgpack_sbuffer_clear(&st->sb);                                            \
    pack_envelope(st, skip_op, skip_args, bad_op, bad_args);                   \
    expect_reject(st, st->sb.data, st->sb.size, needle)

    CASE(1, 0, 0, 0, "no \"op\"");
    CASE(0, 1, 0, 0, "no \"args\"");
    CASE(0, 0, 1, 0, "\"op\" is not a string");
    CASE(0, 0, 2, 0, "\"op\" is longer than 63 bytes");
    CASE(0, 0, 3, 0, "\"op\" is empty");
    CASE(0, 0, 4, 0, "\"op\"");
    CASE(0, 0, 0, 1, "\"args\" is not a map");

#undef CASE
}


static void
test_codec_rejects_structure(void **state)
{
    size_t          i, len;
    uint8_t         buf[512];
    hrx_command_t   cmd;
    codec_state_t  *st = *state;

    expect_reject(st, NULL, 0, "empty");
    expect_reject(st, "", 0, "empty");

    /* not a map: an array, a string, an integer */
    expect_reject(st, "\x91\x01", 2, "not a MessagePack map");
    expect_reject(st, "\xa1x", 2, "not a MessagePack map");
    expect_reject(st, "\x05", 1, "not a MessagePack map");

    /* every truncation of a valid record */
    pack_envelope(st, 0, 0, 0, 0);
    len = st->sb.size;
    memcpy(buf, st->sb.data, len);

    for (i = 1; i < len; i++) {
        expect_reject(st, buf, i, "");
    }

    expect_reject(st, buf, len - 1, "truncated");

    /* trailing garbage */
    buf[len] = 0xc0;
    expect_reject(st, buf, len + 1, "1 trailing byte(s)");

    /* a map claiming 2^32-1 entries in a few bytes: no huge allocation */
    expect_reject(st, "\xdf\xff\xff\xff\xff\xa1v\x01", 8, "truncated");
    expect_reject(st, "\x81\xa4""args\xdd\xff\xff\xff\xff\x01", 12,
                  "truncated");

    /* 0xc1 is never used; ext types have no JSON form */
    expect_reject(st, "\x81\xa1v\xc1", 4, "0xc1");
    expect_reject(st, "\x81\xa1v\xd4\x01\x02", 6, "0xd4");

    /* v missing, wrong, not an integer */
    msgpack_sbuffer_clear(&st->sb);
    msgpack_pack_map(&st->pk, 1);
    pack_str(&st->pk, "op");
    pack_str(&st->pk, "x");
    expect_reject(st, st->sb.data, st->sb.size, "no \"v\"");

    msgpack_sbuffer_clear(&st->sb);
    msgpack_pack_map(&st->pk, 1);
    pack_str(&st->pk, "v");
    msgpack_pack_int(&st->pk, 2);
    expect_reject(st, st->sb.data, st->sb.size, "codec version 2");

    msgpack_sbuffer_clear(&st->sb);
    msgpack_pack_map(&st->pk, 1);
    pack_str(&st->pk, "v");
    msgpack_pack_double(&st->pk, 1.0);
    expect_reject(st, st->sb.data, st->sb.size, "\"v\" is not an integer");

    /* keys: not strings, duplicated, unknown */
    expect_reject(st, "\x81\x01\x01", 3, "key is not a string");
    expect_reject(st, "\x82\xa1v\x01\xa1v\x01", 7, "duplicate key");
    expect_reject(st, "\x81\xa3""foo\x01", 6, "unknown field");
    expect_reject(st, "\x81\xa3v\x00x\x01", 6, "unknown field");

    /* invalid UTF-8; a non-finite float; a uint64 past int64 */
    expect_reject(st, "\x81\xa2op\xa2\xff\xfe", 7, "UTF-8");
    expect_reject(st, "\x81\xa1v\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00", 12,
                  "not finite");
    expect_reject(st, "\x81\xa1v\xcf\xff\x00\x00\x00\x00\x00\x00\x00", 12,
                  "out of range");

    /* slot without gen; slot out of range */
    msgpack_sbuffer_clear(&st->sb);
    pack_envelope(st, 0, 0, 0, 0);
    memcpy(buf, st->sb.data, st->sb.size);
    buf[0] = 0x86;
    len = st->sb.size;
    memcpy(buf + len, "\xa4slot\x01", 6);
    expect_reject(st, buf, len + 6, "must come together");

    buf[0] = 0x87;
    memcpy(buf + len, "\xa4slot\xcf\x00\x00\x00\x01\x00\x00\x00\x00"
           "\xa3gen\x01", 19);
    expect_reject(st, buf, len + 19, "\"slot\" is out of range");

    memcpy(buf + len, "\xa4slot\x01\xa3gen\xff", 11);
    expect_reject(st, buf, len + 11, "\"gen\" is out of range");

    /* tenant not an integer */
    msgpack_sbuffer_clear(&st->sb);
    msgpack_pack_map(&st->pk, 4);
    pack_str(&st->pk, "v");
    msgpack_pack_int(&st->pk, 1);
    pack_str(&st->pk, "op");
    pack_str(&st->pk, "x");
    pack_str(&st->pk, "tenant");
    pack_str(&st->pk, "1");
    pack_str(&st->pk, "args");
    msgpack_pack_map(&st->pk, 0);
    expect_reject(st, st->sb.data, st->sb.size, "\"tenant\" is not an "
                  "integer");

    (void) cmd;
}


/* an envelope whose args hold `arrays` nested arrays: {"k": [[...]]} */
static size_t
nested_record(codec_state_t *st, uint8_t *buf, size_t arrays)
{
    size_t  i, len;

    msgpack_sbuffer_clear(&st->sb);
    pack_envelope(st, 0, 1, 0, 0);
    len = st->sb.size;
    memcpy(buf, st->sb.data, len);
    buf[0] = 0x85;                          /* args comes next */

    memcpy(buf + len, "\xa4""args\x81\xa1k", 8);
    len += 8;

    for (i = 0; i < arrays; i++) {
        buf[len++] = 0x91;
    }

    buf[len++] = 0xc0;

    return len;
}


static void
test_codec_rejects_deep_nesting(void **state)
{
    size_t          len;
    uint8_t         buf[256];
    hrx_command_t   cmd;
    codec_state_t  *st = *state;

    /* envelope 1, args 2, arrays 3..: 62 arrays reach depth 64 */
    len = nested_record(st, buf, 62);
    assert_int_equal(hrx_command_decode(buf, len, &cmd, st->err,
                                        sizeof(st->err)), 0);
    json_decref(cmd.args);

    /* (msgpack-c's own unpacker would already stop at 32) */
    len = nested_record(st, buf, 63);
    expect_reject(st, buf, len, "deeper than 64");

    len = nested_record(st, buf, 200);
    expect_reject(st, buf, len, "deeper than 64");
}


static uint32_t
xorshift(uint32_t *s)
{
    uint32_t  x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}


static void
test_codec_fuzz(void **state)
{
    int             i, j, ok;
    size_t          len;
    uint8_t         buf[256], base[256];
    uint32_t        rng = 12345;
    json_t         *args;
    hrx_command_t   cmd;
    codec_state_t  *st = *state;

    args = parse("{\"a\": [1, -2, 3.5, \"x\", {\"b\": null}], \"c\": true}");
    memset(&cmd, 0, sizeof(cmd));
    strcpy(cmd.op, "fuzz.me");
    cmd.gen = 3;
    cmd.args = args;
    assert_int_equal(hrx_command_encode(&cmd, &st->sb), 0);
    len = st->sb.size;
    assert_true(len < sizeof(base));
    memcpy(base, st->sb.data, len);
    json_decref(args);

    ok = 0;

    for (i = 0; i < 20000; i++) {
        size_t  n = len;

        memcpy(buf, base, len);

        /* a few random byte flips, and sometimes a random length */
        for (j = 0; j < 1 + (int) (xorshift(&rng) % 4); j++) {
            buf[xorshift(&rng) % len] = (uint8_t) xorshift(&rng);
        }

        if (xorshift(&rng) % 4 == 0) {
            n = xorshift(&rng) % sizeof(buf);
            for (j = (int) len; j < (int) n; j++) {
                buf[j] = (uint8_t) xorshift(&rng);
            }
        }

        st->err[0] = '\0';

        if (hrx_command_decode(buf, n, &cmd, st->err, sizeof(st->err)) == 0)
        {
            assert_true(json_is_object(cmd.args));
            assert_true(strlen(cmd.op) > 0 && strlen(cmd.op) < HRX_OP_MAX);
            json_decref(cmd.args);
            ok++;

        } else {
            assert_true(st->err[0] != '\0');
            assert_null(cmd.args);
        }
    }

    /* flips in payload bytes often keep it valid; most are refused */
    assert_true(ok > 0 && ok < 20000);

    /* pure noise */
    for (i = 0; i < 20000; i++) {
        for (j = 0; j < 64; j++) {
            buf[j] = (uint8_t) xorshift(&rng);
        }

        buf[0] = (uint8_t) (0x80 | (buf[0] & 0x0f));

        if (hrx_command_decode(buf, 1 + xorshift(&rng) % 64, &cmd, st->err,
                               sizeof(st->err)) == 0)
        {
            json_decref(cmd.args);
        }
    }
}


static void
test_codec_unpack_object(void **state)
{
    json_t            *in, *out;
    size_t             off;
    msgpack_unpacked   u;
    codec_state_t     *st = *state;

    in = parse("{\"k\": [1, -1, 18446744073709551615e0, \"s\", false, null,"
               " {\"z\": 0.25}]}");

    assert_int_equal(hrx_json_pack(&st->pk, in), 0);

    msgpack_unpacked_init(&u);
    off = 0;
    assert_int_equal(msgpack_unpack_next(&u, st->sb.data, st->sb.size, &off),
                     MSGPACK_UNPACK_SUCCESS);

    out = hrx_json_unpack(&u.data);
    assert_non_null(out);
    assert_true(json_equal(in, out));
    json_decref(out);

    /* a map with an integer key has no JSON form */
    msgpack_sbuffer_clear(&st->sb);
    msgpack_pack_map(&st->pk, 1);
    msgpack_pack_int(&st->pk, 1);
    msgpack_pack_int(&st->pk, 2);
    off = 0;
    assert_int_equal(msgpack_unpack_next(&u, st->sb.data, st->sb.size, &off),
                     MSGPACK_UNPACK_SUCCESS);
    assert_null(hrx_json_unpack(&u.data));

    /* binary becomes a string */
    msgpack_sbuffer_clear(&st->sb);
    msgpack_pack_bin(&st->pk, 3);
    msgpack_pack_bin_body(&st->pk, "abc", 3);
    off = 0;
    assert_int_equal(msgpack_unpack_next(&u, st->sb.data, st->sb.size, &off),
                     MSGPACK_UNPACK_SUCCESS);
    out = hrx_json_unpack(&u.data);
    assert_string_equal(json_string_value(out), "abc");
    json_decref(out);

    assert_null(hrx_json_unpack(NULL));
    assert_int_equal(hrx_json_pack(&st->pk, NULL), -1);

    msgpack_unpacked_destroy(&u);
    json_decref(in);
}


static void
test_codec_rfc3339(void **state)
{
    char     buf[HRX_TIME_MAX];
    json_t  *t;

    (void) state;

    assert_int_equal(hrx_rfc3339(0, buf), 20);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");

    hrx_rfc3339(1795253400000LL, buf);
    assert_string_equal(buf, "2026-11-21T09:30:00Z");

    /* milliseconds are cut, not rounded */
    hrx_rfc3339(1795253400999LL, buf);
    assert_string_equal(buf, "2026-11-21T09:30:00Z");

    hrx_rfc3339(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");

    /* absurd values do not overflow the buffer */
    hrx_rfc3339(INT64_MAX, buf);
    assert_true(strlen(buf) < HRX_TIME_MAX);
    hrx_rfc3339(INT64_MIN, buf);
    assert_true(strlen(buf) < HRX_TIME_MAX);

    t = hrx_json_time(1795253400000LL);
    assert_string_equal(json_string_value(t), "2026-11-21T09:30:00Z");
    json_decref(t);

    assert_true(json_is_null(hrx_json_time(0)));
    assert_true(json_is_null(hrx_json_time(-5)));
}


static void
test_codec_error_json(void **state)
{
    char          *s;
    json_t        *j, *e;
    json_error_t   je;

    (void) state;

    s = hrx_error_json("conflict", "say \"hi\"\\ \n\t</script> \xe6\x97\xa5",
                       "email");
    assert_non_null(s);
    assert_non_null(strstr(s, "\\\"hi\\\""));
    assert_non_null(strstr(s, "\\n"));
    assert_null(strchr(s, '\n'));
    assert_string_equal(s, "{\"error\":{\"code\":\"conflict\",\"message\":"
                        "\"say \\\"hi\\\"\\\\ \\n\\t</script> \xe6\x97\xa5\","
                        "\"field\":\"email\"}}");

    j = json_loads(s, 0, &je);
    assert_non_null(j);
    e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "say \"hi\"\\ \n\t</script> \xe6\x97\xa5");
    json_decref(j);
    free(s);

    s = hrx_error_json("not_found", "no such user", NULL);
    assert_string_equal(s, "{\"error\":{\"code\":\"not_found\",\"message\":"
                        "\"no such user\",\"field\":null}}");
    free(s);

    /* invalid UTF-8 is replaced, never emitted */
    s = hrx_error_json("bad", "x\xff" "y", NULL);
    assert_non_null(s);
    j = json_loads(s, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(j, "error"), "message")), "x?y");
    json_decref(j);
    free(s);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_codec_round_trip,
                                        codec_setup, codec_teardown),
        cmocka_unit_test_setup_teardown(test_codec_encode_rejects,
                                        codec_setup, codec_teardown),
        cmocka_unit_test_setup_teardown(test_codec_encode_too_deep,
                                        codec_setup, codec_teardown),
        cmocka_unit_test_setup_teardown(test_codec_rejects_envelope,
                                        codec_setup, codec_teardown),
        cmocka_unit_test_setup_teardown(test_codec_rejects_structure,
                                        codec_setup, codec_teardown),
        cmocka_unit_test_setup_teardown(test_codec_rejects_deep_nesting,
                                        codec_setup, codec_teardown),
        cmocka_unit_test_setup_teardown(test_codec_fuzz,
                                        codec_setup, codec_teardown),
        cmocka_unit_test_setup_teardown(test_codec_unpack_object,
                                        codec_setup, codec_teardown),
        cmocka_unit_test(test_codec_rfc3339),
        cmocka_unit_test(test_codec_error_json),
    };

    return cmocka_run_group_tests_name("hrx_codec", tests, NULL, NULL);
}
