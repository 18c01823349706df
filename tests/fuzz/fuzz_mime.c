/*
 * Building a message (scheduler/mime.c) from what tenants and candidates
 * typed: names, addresses, subject, text and HTML bodies.  Properties of
 * every message built: 7-bit bytes, CRLF line ends only, no line over 998
 * bytes (RFC 5322 2.1.1), and a header section with exactly one From, To,
 * Subject and Message-ID line, so no value can inject a header.
 */
#include "fuzz.h"
#include "mime.h"

static int
fuzz_header_count(const char *msg, size_t head, const char *name)
{
    size_t  n = strlen(name);
    int     count = 0;

    for (size_t i = 0; i + n <= head; i++) {
        if ((i == 0 || msg[i - 1] == '\n') && strncmp(msg + i, name, n) == 0) {
            count++;
        }
    }
    return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_fields_t   f;
    mime_message_t  m;
    char           *out = NULL, err[256];
    size_t          outlen = 0, line = 0, head;
    const char     *end;

    fuzz_fields(data, size, 7, &f);
    memset(&m, 0, sizeof(m));
    m.from_email = f.field[0][0] ? f.field[0] : "recruit@acme.example";
    m.from_name = f.field[1];
    m.to_email = f.field[2][0] ? f.field[2] : "cand@example.jp";
    m.to_name = f.field[3];
    m.subject = f.field[4];
    m.message_id = "<fuzz.1@acme.example>";
    m.date_ms = 1796000000000;
    m.body_text = f.field[5];
    m.body_text_len = f.len[5];
    if (f.len[6] > 0) {
        m.body_html = f.field[6];
        m.body_html_len = f.len[6];
    }
    err[0] = '\0';
    if (mime_build(&m, &out, &outlen, err, sizeof(err)) != 0) {
        FUZZ_CHECK(out == NULL && err[0] != '\0');
        fuzz_fields_free(&f);
        return 0;
    }
    for (size_t i = 0; i < outlen; i++) {
        unsigned char  c = (unsigned char) out[i];

        FUZZ_CHECK(c != 0 && c < 128);
        if (c == '\r') {
            FUZZ_CHECK(i + 1 < outlen && out[i + 1] == '\n');
        } else if (c == '\n') {
            FUZZ_CHECK(i > 0 && out[i - 1] == '\r');
            line = 0;
            continue;
        }
        FUZZ_CHECK(++line <= 998 + 1);       /* + the CR itself */
    }
    end = strstr(out, "\r\n\r\n");
    FUZZ_CHECK(end != NULL);
    head = (size_t) (end - out) + 2;
    FUZZ_CHECK(fuzz_header_count(out, head, "From:") == 1);
    FUZZ_CHECK(fuzz_header_count(out, head, "To:") == 1);
    FUZZ_CHECK(fuzz_header_count(out, head, "Subject:") == 1);
    FUZZ_CHECK(fuzz_header_count(out, head, "Message-ID:") == 1);
    FUZZ_CHECK(fuzz_header_count(out, head, "Bcc:") == 0);
    free(out);
    fuzz_fields_free(&f);
    return 0;
}
