/*
 * The command codec (shm/hrx_codec.c) on ring records as bytes.  A
 * worker that died mid-write or a future codec version must never crash
 * the scheduler: decode either refuses with a sentence or gives a
 * command that encodes and decodes back to the same command, byte for
 * byte.
 */
#include "fuzz.h"
#include "hrx_codec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hrx_command_t    cmd, again;
    msgpack_sbuffer  sb, sb2;
    char             err[256];

    memset(&cmd, 0, sizeof(cmd));
    err[0] = '\0';
    if (hrx_command_decode(data, size, &cmd, err, sizeof(err)) != 0) {
        FUZZ_CHECK(err[0] != '\0');          /* a refusal says why */
        FUZZ_CHECK(cmd.args == NULL);
        return 0;
    }
    FUZZ_CHECK(cmd.args != NULL);
    FUZZ_CHECK(memchr(cmd.op, '\0', sizeof(cmd.op)) != NULL);

    msgpack_sbuffer_init(&sb);
    FUZZ_CHECK(hrx_command_encode(&cmd, &sb) == 0);
    memset(&again, 0, sizeof(again));
    FUZZ_CHECK(hrx_command_decode((const uint8_t *) sb.data, sb.size, &again,
                                  err, sizeof(err)) == 0);
    FUZZ_CHECK(strcmp(cmd.op, again.op) == 0);
    FUZZ_CHECK(cmd.tenant_id == again.tenant_id);
    FUZZ_CHECK(cmd.actor_id == again.actor_id);
    /* generation 0 is "nobody waits": the slot is then not sent */
    FUZZ_CHECK(cmd.gen == again.gen);
    FUZZ_CHECK(cmd.gen == 0 || cmd.slot == again.slot);
    /* the encoding is a fixed point (json_equal cannot compare keys that
     * hold a NUL, which msgpack and jansson's *n calls carry) */
    msgpack_sbuffer_init(&sb2);
    FUZZ_CHECK(hrx_command_encode(&again, &sb2) == 0);
    FUZZ_CHECK(sb.size == sb2.size && memcmp(sb.data, sb2.data, sb.size) == 0);

    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&sb2);
    json_decref(cmd.args);
    json_decref(again.args);
    return 0;
}
