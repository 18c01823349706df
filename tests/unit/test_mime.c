/*
 * Tests of the email message builder (scheduler/mime.c).
 *
 * Each message is taken apart again here, the way a mail reader would:
 * lines (CRLF only, none over 998, header lines under 78 where the input
 * allows), header fields unfolded and in order, encoded-words decoded
 * with OpenSSL's base64 (EVP_DecodeBlock) back to the exact UTF-8 given,
 * the multipart structure walked by its boundary and every body decoded
 * back to the exact bytes.  Then every way a value could add a header or
 * break the message is refused.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "hrx_crypto.h"
#include "mime.h"

#define DATE_MS     1767225600123LL          /* 2026-01-01T00:00:00.123Z */
#define MAX_HDRS    32

typedef struct {
    char  *name;
    char  *value;          /* unfolded, without the space after ':' */
} hdr_t;

typedef struct {
    char    *msg;
    size_t   len;
    hdr_t    hdrs[MAX_HDRS];
    int      nhdrs;
    char    *body;         /* after the blank line */
    char    *store;        /* the unfolded copy hdrs point into */
} parsed_t;

static const char  jp_subject[] =
    "【説明会のご案内】2027年卒業予定の皆さまへ：会社説明会（オンライン）を"
    "開催します";


static void
message_init(mime_message_t *m)
{
    memset(m, 0, sizeof(*m));

    m->from_email = "hr@acme.example";
    m->from_name = "Acme Recruiting";
    m->to_email = "taro@example.jp";
    m->subject = "Seminar invitation";
    m->message_id = "<ba1.c2.abc@acme.example>";
    m->date_ms = DATE_MS;
    m->body_text = "Hello,\r\nsee you there.\r\n";
    m->body_text_len = strlen(m->body_text);
}


/*
 * Every line ends in CRLF, with no CR or LF elsewhere, none is longer
 * than 998, and the header lines no longer than soft (0: unchecked).
 */
static void
check_lines(const char *msg, size_t len, size_t soft)
{
    int          in_headers;
    size_t       n;
    const char  *p, *end, *eol;

    p = msg;
    end = msg + len;
    in_headers = 1;

    assert_true(len >= 2);
    assert_memory_equal(end - 2, "\r\n", 2);
    assert_int_equal(strlen(msg), len);

    while (p < end) {
        eol = memchr(p, '\r', (size_t) (end - p));
        assert_non_null(eol);
        assert_int_equal(eol[1], '\n');

        n = (size_t) (eol - p);
        assert_null(memchr(p, '\n', n));

        if (n > 998) {
            fail_msg("a line of %zu bytes", n);
        }

        if (in_headers && soft && n > soft) {
            fail_msg("a header line of %zu bytes: %.*s", n, (int) n, p);
        }

        if (n == 0) {
            in_headers = 0;
        }

        p = eol + 2;
    }
}


/* header fields unfolded (RFC 5322 2.2.3: just remove each CRLF) */
static void
parse(parsed_t *pm)
{
    char  *s, *w, *line, *colon;

    pm->nhdrs = 0;

    pm->body = strstr(pm->msg, "\r\n\r\n");
    assert_non_null(pm->body);
    pm->body += 4;

    pm->store = malloc((size_t) (pm->body - pm->msg) + 1);
    assert_non_null(pm->store);

    /* unfold into store: drop every CRLF followed by a space */
    w = pm->store;

    for (s = pm->msg; s < pm->body - 2; s++) {
        if (s[0] == '\r' && s[1] == '\n' && s[2] == ' ') {
            s++;
            continue;
        }

        *w++ = *s;
    }

    *w = '\0';

    for (line = strtok(pm->store, "\r\n"); line != NULL;
         line = strtok(NULL, "\r\n"))
    {
        assert_true(pm->nhdrs < MAX_HDRS);

        colon = strchr(line, ':');
        assert_non_null(colon);
        *colon = '\0';

        /* a field name is printable ASCII without spaces */
        assert_int_equal(strcspn(line, " \t"), strlen(line));

        pm->hdrs[pm->nhdrs].name = line;
        pm->hdrs[pm->nhdrs].value = colon[1] == ' ' ? colon + 2 : colon + 1;
        pm->nhdrs++;
    }
}


static void
build(const mime_message_t *m, parsed_t *pm)
{
    char  err[256];

    memset(pm, 0, sizeof(*pm));
    err[0] = '\0';

    if (mime_build(m, &pm->msg, &pm->len, err, sizeof(err)) != 0) {
        fail_msg("mime_build: %s", err);
    }

    check_lines(pm->msg, pm->len, 78);
    parse(pm);
}


static void
parsed_free(parsed_t *pm)
{
    free(pm->msg);
    free(pm->store);
}


static const char *
header(const parsed_t *pm, const char *name)
{
    int          i;
    const char  *v;

    v = NULL;

    for (i = 0; i < pm->nhdrs; i++) {
        if (strcmp(pm->hdrs[i].name, name) == 0) {
            assert_null(v);      /* each at most once */
            v = pm->hdrs[i].value;
        }
    }

    return v;
}


/* standard base64 (padded) to bytes; the length, or -1 */
static int
b64_decode(const char *in, size_t len, unsigned char *out)
{
    int  n;

    if (len % 4 != 0) {
        return -1;
    }

    n = EVP_DecodeBlock(out, (const unsigned char *) in, (int) len);
    if (n < 0) {
        return -1;
    }

    /* EVP_DecodeBlock counts the padding as zero bytes */
    if (len > 0 && in[len - 1] == '=') {
        n--;
    }

    if (len > 1 && in[len - 2] == '=') {
        n--;
    }

    return n;
}


/*
 * An unfolded value that is all encoded-words (separated by spaces) back
 * to its text; each word must be at most 75 bytes and hold whole UTF-8
 * characters on its own.  The result is malloc()ed.
 */
static char *
decode_words(const char *value)
{
    int            n;
    char          *out, *o;
    size_t         wlen;
    const char    *p, *sp, *q;
    unsigned char  tmp[64];

    out = malloc(strlen(value) + 1);
    assert_non_null(out);
    o = out;

    p = value;

    while (*p) {
        sp = strchr(p, ' ');
        wlen = sp ? (size_t) (sp - p) : strlen(p);

        if (wlen > 75) {
            fail_msg("an encoded-word of %zu bytes", wlen);
        }

        assert_true(wlen > 12);
        assert_memory_equal(p, "=?UTF-8?B?", 10);
        assert_memory_equal(p + wlen - 2, "?=", 2);

        q = p + 10;
        n = b64_decode(q, wlen - 12, tmp);
        assert_true(n > 0);

        /* whole characters: the word alone is valid UTF-8 */
        assert_true((tmp[0] & 0xc0) != 0x80);
        if (tmp[n - 1] & 0x80) {
            size_t  back = 0;

            while (back < (size_t) n && (tmp[n - 1 - back] & 0xc0) == 0x80) {
                back++;
            }

            /* the lead byte says how many continuation bytes follow */
            assert_true(back < (size_t) n);
            assert_int_equal(back,
                             tmp[n - 1 - back] >= 0xf0 ? 3
                             : tmp[n - 1 - back] >= 0xe0 ? 2 : 1);
        }

        memcpy(o, tmp, (size_t) n);
        o += n;

        p += wlen;
        if (*p == ' ') {
            p++;
        }
    }

    *o = '\0';

    return out;
}


/* the value as a reader shows it: plain text as is, else decoded */
static char *
header_text(const parsed_t *pm, const char *name)
{
    char        *s;
    const char  *v;

    v = header(pm, name);
    assert_non_null(v);

    if (strncmp(v, "=?", 2) == 0) {
        return decode_words(v);
    }

    s = strdup(v);
    assert_non_null(s);

    return s;
}


static void
test_mime_headers_order(void **state)
{
    static const char  *order[] = {
        "Date", "Message-ID", "MIME-Version", "From", "To", "Reply-To",
        "Subject", "Auto-Submitted", "X-Hrx-Bulk-Action", "X-Hrx-Tenant",
        "Content-Type", "Content-Transfer-Encoding",
    };

    int             i;
    parsed_t        pm;
    mime_message_t  m;

    (void) state;

    message_init(&m);
    m.reply_to = "jobs@acme.example";
    m.headers[0] = "X-Hrx-Bulk-Action: 17";
    m.headers[1] = "Auto-Submitted: auto-generated";
    m.headers[2] = "X-Hrx-Tenant:3";

    build(&m, &pm);

    assert_int_equal(pm.nhdrs, sizeof(order) / sizeof(order[0]));
    for (i = 0; i < pm.nhdrs; i++) {
        assert_string_equal(pm.hdrs[i].name, order[i]);
    }

    assert_string_equal(header(&pm, "Date"),
                        "Thu, 01 Jan 2026 00:00:00 +0000");
    assert_string_equal(header(&pm, "Message-ID"),
                        "<ba1.c2.abc@acme.example>");
    assert_string_equal(header(&pm, "MIME-Version"), "1.0");
    assert_string_equal(header(&pm, "From"),
                        "Acme Recruiting <hr@acme.example>");
    assert_string_equal(header(&pm, "To"), "taro@example.jp");
    assert_string_equal(header(&pm, "Reply-To"), "jobs@acme.example");
    assert_string_equal(header(&pm, "Subject"), "Seminar invitation");
    assert_string_equal(header(&pm, "Auto-Submitted"), "auto-generated");
    assert_string_equal(header(&pm, "X-Hrx-Bulk-Action"), "17");
    assert_string_equal(header(&pm, "X-Hrx-Tenant"), "3");
    assert_string_equal(header(&pm, "Content-Type"),
                        "text/plain; charset=UTF-8");
    assert_string_equal(header(&pm, "Content-Transfer-Encoding"), "base64");

    /* the message starts with Date and has nothing before it */
    assert_memory_equal(pm.msg, "Date: ", 6);

    parsed_free(&pm);

    /* the optional ones are absent when not asked for */
    message_init(&m);
    m.from_name = NULL;
    build(&m, &pm);

    assert_int_equal(pm.nhdrs, 8);
    assert_null(header(&pm, "Reply-To"));
    assert_null(header(&pm, "Auto-Submitted"));
    assert_string_equal(header(&pm, "From"), "hr@acme.example");

    parsed_free(&pm);

    /* an empty display name is no display name */
    message_init(&m);
    m.from_name = "";
    m.to_name = "";
    build(&m, &pm);
    assert_string_equal(header(&pm, "From"), "hr@acme.example");
    assert_string_equal(header(&pm, "To"), "taro@example.jp");
    parsed_free(&pm);
}


static void
test_mime_date(void **state)
{
    static const struct {
        int64_t      ms;
        const char  *date;
    } vec[] = {
        { 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
        { 999, "Thu, 01 Jan 1970 00:00:00 +0000" },
        { -1, "Wed, 31 Dec 1969 23:59:59 +0000" },
        { 1709210096999LL, "Thu, 29 Feb 2024 12:34:56 +0000" },
        { 1798761599000LL, "Thu, 31 Dec 2026 23:59:59 +0000" },
        { 1783296000000LL, "Mon, 06 Jul 2026 00:00:00 +0000" },
    };

    size_t          i;
    parsed_t        pm;
    mime_message_t  m;

    (void) state;

    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        message_init(&m);
        m.date_ms = vec[i].ms;
        build(&m, &pm);
        assert_string_equal(header(&pm, "Date"), vec[i].date);
        parsed_free(&pm);
    }
}


static void
test_mime_subject_japanese(void **state)
{
    char            *s;
    parsed_t         pm;
    const char      *v;
    mime_message_t   m;

    (void) state;

    message_init(&m);
    m.subject = jp_subject;
    build(&m, &pm);

    v = header(&pm, "Subject");
    assert_memory_equal(v, "=?UTF-8?B?", 10);

    /* a reader shows exactly what was given */
    s = header_text(&pm, "Subject");
    assert_string_equal(s, jp_subject);
    free(s);

    /* and the raw message holds nothing but ASCII */
    for (s = pm.msg; *s; s++) {
        assert_true((unsigned char) *s < 0x80);
    }

    parsed_free(&pm);

    /* one character, and text with 4-byte characters and ASCII mixed */
    message_init(&m);
    m.subject = "\xe3\x81\x82";
    build(&m, &pm);
    assert_string_equal(header(&pm, "Subject"), "=?UTF-8?B?44GC?=");
    parsed_free(&pm);

    message_init(&m);
    m.subject = "Caf\xc3\xa9 \xf0\x9f\x8e\x89 party \xf0\x9f\x8e\x89"
                "\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89"
                "\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89"
                "\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89"
                "\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89 end";
    build(&m, &pm);
    s = header_text(&pm, "Subject");
    assert_string_equal(s, m.subject);
    free(s);
    parsed_free(&pm);
}


static void
test_mime_subject_long(void **state)
{
    int              i;
    char            *s, subject[2048], *p;
    parsed_t         pm;
    const char      *v;
    mime_message_t   m;

    (void) state;

    /* plain ASCII words: folded at spaces, unfolds to the same text */
    p = subject;
    for (i = 0; i < 60; i++) {
        p += sprintf(p, "%sword%d", i ? " " : "", i * 7919);
    }

    message_init(&m);
    m.subject = subject;
    build(&m, &pm);
    assert_string_equal(header(&pm, "Subject"), subject);
    assert_non_null(strstr(pm.msg, "\r\n word"));
    parsed_free(&pm);

    /* 255 Japanese characters (the longest subject a bulk action takes) */
    p = subject;
    for (i = 0; i < 255; i++) {
        memcpy(p, "\xe6\x97\xa5", 3);       /* 日 */
        p += 3;
    }
    *p = '\0';

    message_init(&m);
    m.subject = subject;
    build(&m, &pm);
    s = header_text(&pm, "Subject");
    assert_string_equal(s, subject);
    free(s);
    parsed_free(&pm);

    /* one 500-character word cannot fold: it is encoded, and then can */
    memset(subject, 'x', 500);
    subject[500] = '\0';

    message_init(&m);
    m.subject = subject;
    build(&m, &pm);
    v = header(&pm, "Subject");
    assert_memory_equal(v, "=?UTF-8?B?", 10);
    s = header_text(&pm, "Subject");
    assert_string_equal(s, subject);
    free(s);
    parsed_free(&pm);

    /* a very long plain subject: still < 998 per line, still exact */
    p = subject;
    for (i = 0; i < 300; i++) {
        p += sprintf(p, "%sab", i ? " " : "");
    }

    message_init(&m);
    m.subject = subject;
    build(&m, &pm);
    assert_string_equal(header(&pm, "Subject"), subject);
    parsed_free(&pm);
}


static void
test_mime_subject_spelling(void **state)
{
    static const char  *encoded[] = {
        "=?UTF-8?B?SGk=?=",              /* would be decoded by a reader */
        "price =?x",
        " leading space",
        "trailing space ",
        "two  spaces",
        "tab\there",
        "bell\x07",
        "del\x7f",
    };

    char            *s;
    size_t           i;
    parsed_t         pm;
    mime_message_t   m;

    (void) state;

    /* text a reader would not show as given is encoded, and decodes back */
    for (i = 0; i < sizeof(encoded) / sizeof(encoded[0]); i++) {
        message_init(&m);
        m.subject = encoded[i];
        build(&m, &pm);

        assert_memory_equal(header(&pm, "Subject"), "=?UTF-8?B?", 10);
        s = header_text(&pm, "Subject");
        assert_string_equal(s, encoded[i]);
        free(s);

        parsed_free(&pm);
    }

    /* an empty subject is an empty field, not a missing one */
    message_init(&m);
    m.subject = "";
    build(&m, &pm);
    assert_string_equal(header(&pm, "Subject"), "");
    assert_non_null(strstr(pm.msg, "\r\nSubject:\r\n"));
    parsed_free(&pm);

    /* ASCII punctuation is plain text */
    message_init(&m);
    m.subject = "Re: [hrx] 50% off? <b>Yes</b> \"quoted\" (c) a@b.c";
    build(&m, &pm);
    assert_string_equal(header(&pm, "Subject"), m.subject);
    parsed_free(&pm);
}


static void
test_mime_display_names(void **state)
{
    char            *s;
    parsed_t         pm;
    const char      *v;
    mime_message_t   m;

    (void) state;

    /* a comma would split the list: a quoted-string, with escapes */
    message_init(&m);
    m.from_name = "Acme, Inc. \"HR\" \\ Team";
    m.to_name = "Taro Yamada";
    build(&m, &pm);
    assert_string_equal(header(&pm, "From"),
                        "\"Acme, Inc. \\\"HR\\\" \\\\ Team\" <hr@acme.example>");
    assert_string_equal(header(&pm, "To"), "Taro Yamada <taro@example.jp>");
    parsed_free(&pm);

    /* Japanese: encoded-words then the address */
    message_init(&m);
    m.from_name = "株式会社アクメ 採用担当";
    m.to_name = "山田 太郎";
    build(&m, &pm);

    v = header(&pm, "To");
    assert_string_equal(v, "=?UTF-8?B?5bGx55SwIOWkqumDjg==?= "
                           "<taro@example.jp>");

    v = header(&pm, "From");
    s = strdup(v);
    assert_non_null(s);
    assert_non_null(strstr(s, " <hr@acme.example>"));
    *strstr(s, " <hr@acme.example>") = '\0';
    {
        char  *d = decode_words(s);

        assert_string_equal(d, "株式会社アクメ 採用担当");
        free(d);
    }
    free(s);
    parsed_free(&pm);

    /* a long name folds like a subject, and the address after it */
    message_init(&m);
    m.to_name = jp_subject;
    m.from_name = "The Quite Long Name of the Recruiting Department of "
                  "Acme Corporation Limited";
    build(&m, &pm);
    assert_non_null(strstr(header(&pm, "From"), " <hr@acme.example>"));
    assert_non_null(strstr(header(&pm, "To"), "?= <taro@example.jp>"));
    parsed_free(&pm);
}


static void
test_mime_injection(void **state)
{
    static const char  *bad_addr[] = {
        "", "a", "@b", "a@", "a@b@c", "ab", "a b@c", "a@b c",
        "a@b\r\nBcc: x@y", "a@b\n", "a@b\r", "<a@b>", "a@b>", "a,b@c",
        "a;b@c", "a@b:25", "\"a\"@b", "a(c)@b", "a\\b@c", "a\t@b",
        "t\xc3\xa4st@b", "a@b\x7f",
    };
    static const char  *bad_text[] = {
        "Hi\r\nBcc: victim@example.com", "Hi\nBcc: x@y", "Hi\rthere",
        "\r\n", "\n", "end\r\n\r\nbody",
        "bad \xff utf-8", "\xc3", "overlong \xc0\xaf", "\xed\xa0\x80",
        "\xf4\x90\x80\x80",
    };
    static const char  *bad_msgid[] = {
        "", "abc@x", "<abc>", "<@x>", "<a@>", "<a@x>\r\nBcc: y@z",
        "<a b@x>", "<a@x", "a@x>", "<a<b@x>", "<a@x>>",
    };
    static const char  *bad_extra[] = {
        "Bcc: x@y", "Subject: again", "X-Hrx: a\r\nBcc: x@y",
        "X-Hrx: a\nb", "X-Hrx: caf\xc3\xa9", "X-Hrx a", "X-: a",
        "X Hrx: a", "X-Hrx\x01: a", ": x", "", "X-Hrx: tab\there",
    };

    int             rc;
    char           *out, err[256];
    size_t          i, len;
    mime_message_t  m;

#define REFUSED(what)                                                         \
    do {                                                                      \
        out = (char *) 1;                                                     \
        err[0] = '\0';                                                        \
        rc = mime_build(&m, &out, &len, err, sizeof(err));                    \
        if (rc != -1) {                                                       \
            fail_msg("accepted %s #%zu", what, i);                            \
        }                                                                     \
        assert_null(out);                                                     \
        assert_true(strlen(err) > 0);                                         \
        assert_null(strpbrk(err, "\r\n"));                                    \
    } while (0)

    (void) state;

    for (i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++) {
        message_init(&m);
        m.to_email = bad_addr[i];
        REFUSED("to address");

        message_init(&m);
        m.from_email = bad_addr[i];
        REFUSED("from address");

        message_init(&m);
        m.reply_to = bad_addr[i];
        REFUSED("reply-to address");
    }

    for (i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
        message_init(&m);
        m.subject = bad_text[i];
        REFUSED("subject");

        message_init(&m);
        m.from_name = bad_text[i];
        REFUSED("from name");

        message_init(&m);
        m.to_name = bad_text[i];
        REFUSED("to name");
    }

    for (i = 0; i < sizeof(bad_msgid) / sizeof(bad_msgid[0]); i++) {
        message_init(&m);
        m.message_id = bad_msgid[i];
        REFUSED("message id");
    }

    for (i = 0; i < sizeof(bad_extra) / sizeof(bad_extra[0]); i++) {
        message_init(&m);
        m.headers[0] = "X-Hrx-Ok: 1";
        m.headers[1] = bad_extra[i];
        REFUSED("extra header");
    }

    /* required members */
    i = 0;
    message_init(&m);
    m.from_email = NULL;
    REFUSED("no from");
    message_init(&m);
    m.to_email = NULL;
    REFUSED("no to");
    message_init(&m);
    m.subject = NULL;
    REFUSED("no subject");
    message_init(&m);
    m.message_id = NULL;
    REFUSED("no message id");
    message_init(&m);
    m.body_text = NULL;
    REFUSED("no body");

    /* an extra header whose one word cannot fold under 998 */
    {
        char  big[1100];

        memcpy(big, "X-Hrx-Big: ", 11);
        memset(big + 11, 'a', sizeof(big) - 12);
        big[sizeof(big) - 1] = '\0';

        message_init(&m);
        m.headers[0] = big;
        REFUSED("overlong header");
    }

#undef REFUSED

    /* the addresses that are fine */
    message_init(&m);
    m.to_email = "first.last+tag@sub.example.co.jp";
    m.from_email = "o'brien_&-x=y@[192.0.2.1]";
    m.reply_to = "a@b";
    assert_int_equal(mime_build(&m, &out, &len, err, sizeof(err)), 0);
    free(out);

    /* a NULL err is fine too */
    message_init(&m);
    m.subject = "a\r\nb";
    assert_int_equal(mime_build(&m, &out, &len, NULL, 0), -1);
}


/* bare LF -> CRLF, as mime.c writes text; out has room for 2 * n */
static size_t
canonical(const char *p, size_t n, char *out)
{
    size_t  i, k = 0;

    for (i = 0; i < n; i++) {
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
            out[k++] = '\r';
        }
        out[k++] = p[i];
    }
    return k;
}


/* the part between two delimiters: its headers and decoded body */
static void
check_part(const char *part, size_t len, const char *type,
    const char *body, size_t body_len)
{
    int            n;
    char          *copy, *b64, *w, *p;
    unsigned char *dec;
    const char    *hend;
    char           ct[128];

    hend = strstr(part, "\r\n\r\n");
    assert_non_null(hend);
    assert_true((size_t) (hend - part) < len);

    snprintf(ct, sizeof(ct), "Content-Type: %s; charset=UTF-8\r\n"
             "Content-Transfer-Encoding: base64", type);
    assert_int_equal((size_t) (hend - part), strlen(ct));
    assert_memory_equal(part, ct, strlen(ct));

    /* the base64 lines, each at most 76, joined */
    copy = malloc(len + 1);
    b64 = malloc(len + 1);
    dec = malloc(len + 1);
    assert_non_null(copy);
    assert_non_null(b64);
    assert_non_null(dec);

    memcpy(copy, hend + 4, len - (size_t) (hend + 4 - part));
    copy[len - (size_t) (hend + 4 - part)] = '\0';

    w = b64;
    for (p = strtok(copy, "\r\n"); p != NULL; p = strtok(NULL, "\r\n")) {
        assert_true(strlen(p) <= 76);
        assert_int_equal(strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                   "opqrstuvwxyz0123456789+/="), strlen(p));
        memcpy(w, p, strlen(p));
        w += strlen(p);
    }
    *w = '\0';

    n = b64_decode(b64, strlen(b64), dec);
    assert_int_equal(n, body_len);
    assert_memory_equal(dec, body, body_len);

    free(copy);
    free(b64);
    free(dec);
}


static void
test_mime_multipart(void **state)
{
    char           *bnd, *delim, *p, *q, *parts[4];
    size_t          n, dlen;
    parsed_t        pm, pm2;
    const char     *ct;
    mime_message_t  m;

    (void) state;

    message_init(&m);
    m.body_text = "テキスト本文\r\n";
    m.body_text_len = strlen(m.body_text);
    m.body_html = "<p>HTML 本文</p>";
    m.body_html_len = strlen(m.body_html);
    build(&m, &pm);

    assert_null(header(&pm, "Content-Transfer-Encoding"));

    ct = header(&pm, "Content-Type");
    assert_non_null(ct);
    assert_int_equal(strncmp(ct, "multipart/alternative; boundary=\"", 33),
                     0);

    bnd = strdup(ct + 33);
    assert_non_null(bnd);
    assert_non_null(strchr(bnd, '"'));
    *strchr(bnd, '"') = '\0';

    /* "=_" cannot occur in base64; the rest is random */
    assert_int_equal(strncmp(bnd, "=_", 2), 0);
    assert_true(strlen(bnd) >= 20 && strlen(bnd) <= 70);

    /* delimiters at line starts: open, between, close, nothing after */
    dlen = strlen(bnd) + 4;
    delim = malloc(dlen + 1);
    assert_non_null(delim);
    snprintf(delim, dlen + 1, "\r\n--%s", bnd);

    n = 0;
    p = pm.body - 2;            /* the blank line's CRLF opens the first */

    while ((q = strstr(p, delim)) != NULL) {
        assert_true(n < 4);
        parts[n++] = q + dlen;
        p = q + dlen;
    }

    assert_int_equal(n, 3);
    assert_int_equal(parts[0], pm.body + dlen - 2);
    assert_memory_equal(parts[0], "\r\n", 2);
    assert_memory_equal(parts[1], "\r\n", 2);
    assert_string_equal(parts[2], "--\r\n");

    check_part(parts[0] + 2, (size_t) (parts[1] - dlen - parts[0] - 2),
               "text/plain", m.body_text, m.body_text_len);
    check_part(parts[1] + 2, (size_t) (parts[2] - dlen - parts[1] - 2),
               "text/html", m.body_html, m.body_html_len);

    /* another message, another boundary */
    build(&m, &pm2);
    assert_null(strstr(pm2.msg, bnd));
    parsed_free(&pm2);

    free(delim);
    free(bnd);
    parsed_free(&pm);

    /* an empty HTML part is still a part */
    message_init(&m);
    m.body_html = "";
    m.body_html_len = 0;
    build(&m, &pm);
    assert_non_null(strstr(header(&pm, "Content-Type"), "multipart"));
    assert_non_null(strstr(pm.msg, "text/html; charset=UTF-8\r\n"
                                   "Content-Transfer-Encoding: base64\r\n"
                                   "\r\n--=_"));
    parsed_free(&pm);
}


static void
test_mime_body(void **state)
{
    static const size_t  sizes[] = {
        0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 1000, 100000,
    };

    char           *body, *part, *canon;
    size_t          i, n, canon_n;
    parsed_t        pm;
    mime_message_t  m;

    (void) state;

    body = malloc(100000);
    canon = malloc(200000);
    assert_non_null(body);
    assert_non_null(canon);

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        n = sizes[i];

        /* any bytes, NUL and CR included, come back exactly, with each
         * bare LF made a CRLF (text's canonical form) */
        assert_int_equal(hrx_random_bytes(body, n), 0);
        canon_n = canonical(body, n, canon);

        message_init(&m);
        m.body_text = body;
        m.body_text_len = n;
        build(&m, &pm);

        /* text only: the last two header fields and the body are the
         * same as a part of a multipart */
        part = strstr(pm.msg, "\r\nContent-Type: text/plain") + 2;
        check_part(part, pm.len - (size_t) (part - pm.msg), "text/plain",
                   canon, canon_n);

        /* full lines are exactly 76 */
        if (n >= 57) {
            assert_memory_equal(pm.body + 76, "\r\n", 2);
        }

        parsed_free(&pm);
    }

    free(body);
    free(canon);

    /* a typed template's bare LF become CRLF; a CRLF stays one */
    message_init(&m);
    m.body_text = "a\nb\r\nc\n";
    m.body_text_len = strlen(m.body_text);
    build(&m, &pm);
    part = strstr(pm.msg, "\r\nContent-Type: text/plain") + 2;
    check_part(part, pm.len - (size_t) (part - pm.msg), "text/plain",
               "a\r\nb\r\nc\r\n", 9);
    parsed_free(&pm);

    /* a body in a Japanese text, as a mail reader would show it */
    message_init(&m);
    m.body_text = "山田様\r\n\r\n説明会のご案内です。\r\n";
    m.body_text_len = strlen(m.body_text);
    build(&m, &pm);
    assert_string_equal(pm.body, "5bGx55Sw5qeYDQoNCuiqrOaYjuS8muOBruOBlOahiOWG"
                                 "heOBp+OBmeOAgg0K\r\n");
    parsed_free(&pm);
}


static void
test_mime_message_id(void **state)
{
    char            id[128], id2[128], err[256], *out;
    size_t          len;
    const char     *dot;
    mime_message_t  m;

    (void) state;

    assert_int_equal(mime_message_id("ba12.c345", "mail.acme.example", id,
                                     sizeof(id)), 0);
    assert_int_equal(strncmp(id, "<ba12.c345.", 11), 0);
    assert_non_null(strstr(id, "@mail.acme.example>"));

    /* the random part: 16 base64url characters */
    dot = id + 11;
    assert_int_equal(strcspn(dot, "@"), 16);
    assert_int_equal(strspn(dot, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                 "opqrstuvwxyz0123456789-_"), 16);
    assert_int_equal(strlen(id), 11 + 16 + 19);

    assert_int_equal(mime_message_id("ba12.c345", "mail.acme.example", id2,
                                     sizeof(id2)), 0);
    assert_string_not_equal(id, id2);

    /* what it makes, mime_build takes */
    message_init(&m);
    m.message_id = id;
    assert_int_equal(mime_build(&m, &out, &len, err, sizeof(err)), 0);
    assert_non_null(strstr(out, id));
    free(out);

    /* no left part */
    assert_int_equal(mime_message_id(NULL, "h", id, sizeof(id)), 0);
    assert_int_equal(strlen(id), 1 + 16 + 3);
    assert_int_equal(mime_message_id("", "h", id, sizeof(id)), 0);
    assert_int_equal(strlen(id), 1 + 16 + 3);

    /* exactly big enough, one byte short */
    assert_int_equal(mime_message_id("l", "h", id, 1 + 2 + 16 + 3 + 1), 0);
    assert_int_equal(strlen(id), 22);
    memset(id, 'x', sizeof(id));
    assert_int_equal(mime_message_id("l", "h", id, 22), -1);
    assert_string_equal(id, "");
    assert_int_equal(mime_message_id("l", "h", id, 0), -1);

    /* left and host that would break the id */
    assert_int_equal(mime_message_id("l", NULL, id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("l", "", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("l", "a b", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("l", "a..b", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("l", ".a", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("l", "a.", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("l", "a>\r\nBcc: x", id, sizeof(id)),
                     -1);
    assert_int_equal(mime_message_id("l", "a@b", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("l", "host:8080", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("a@b", "h", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("a<b", "h", id, sizeof(id)), -1);
    assert_int_equal(mime_message_id("a\n", "h", id, sizeof(id)), -1);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mime_headers_order),
        cmocka_unit_test(test_mime_date),
        cmocka_unit_test(test_mime_subject_japanese),
        cmocka_unit_test(test_mime_subject_long),
        cmocka_unit_test(test_mime_subject_spelling),
        cmocka_unit_test(test_mime_display_names),
        cmocka_unit_test(test_mime_injection),
        cmocka_unit_test(test_mime_multipart),
        cmocka_unit_test(test_mime_body),
        cmocka_unit_test(test_mime_message_id),
    };

    return cmocka_run_group_tests_name("mime", tests, NULL, NULL);
}
