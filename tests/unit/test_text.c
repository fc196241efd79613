/* Unit tests for dns/text.c: the presentation-format lexer, unescaping and quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/text.h"
#include "util/err.h"

static void assert_tok(const struct dns_tok *t, const char *text, size_t offset, bool quoted)
{
    assert_int_equal(t->len, strlen(text));
    assert_memory_equal(t->text, text, t->len);
    assert_int_equal(t->offset, offset);
    assert_int_equal(t->quoted, quoted);
}

static void test_tokenize_basic(void **state)
{
    (void)state;
    struct dns_tok t[8];
    size_t n = 99, off = 99;
    const char *s = " a\t\"b c\"  d\\ e \"x\\\"y\"\r\n";
    assert_int_equal(dns_text_tokenize(s, strlen(s), t, 8, &n, &off), 0);
    assert_int_equal(n, 4);
    assert_tok(&t[0], "a", 1, false);
    assert_tok(&t[1], "b c", 3, true);     /* the offset is the opening quote's */
    assert_tok(&t[2], "d\\ e", 10, false); /* an escaped blank stays inside, still escaped */
    assert_tok(&t[3], "x\\\"y", 15, true);

    assert_int_equal(dns_text_tokenize("", 0, t, 8, &n, &off), 0);
    assert_int_equal(n, 0);
    assert_int_equal(dns_text_tokenize(" \t\r\n", 4, t, 8, &n, &off), 0);
    assert_int_equal(n, 0);
}

static void test_tokenize_quotes(void **state)
{
    (void)state;
    struct dns_tok t[8];
    size_t n, off;
    /* An empty quoted string is a token. */
    assert_int_equal(dns_text_tokenize("\"\"", 2, t, 8, &n, &off), 0);
    assert_int_equal(n, 1);
    assert_tok(&t[0], "", 0, true);
    /* Quotes end an unquoted token, so key="v w" gives two adjacent tokens. */
    const char *s = "alpn=\"h2 h3\" \"a\"\"b\"";
    assert_int_equal(dns_text_tokenize(s, strlen(s), t, 8, &n, &off), 0);
    assert_int_equal(n, 4);
    assert_tok(&t[0], "alpn=", 0, false);
    assert_tok(&t[1], "h2 h3", 5, true);
    assert_int_equal(t[0].offset + t[0].len, t[1].offset);
    assert_tok(&t[2], "a", 13, true);
    assert_tok(&t[3], "b", 16, true);
    /* An escaped quote does not start a string. */
    assert_int_equal(dns_text_tokenize("a\\\"b", 4, t, 8, &n, &off), 0);
    assert_int_equal(n, 1);
    assert_tok(&t[0], "a\\\"b", 0, false);
    /* Parentheses and semicolons are ordinary here. */
    assert_int_equal(dns_text_tokenize("(a;b)", 5, t, 8, &n, &off), 0);
    assert_int_equal(n, 1);
}

static void test_tokenize_errors(void **state)
{
    (void)state;
    struct dns_tok t[2];
    size_t n, off = 0;
    assert_int_equal(dns_text_tokenize("a \"bc", 5, t, 2, &n, &off), ERR_SYNTAX);
    assert_int_equal(off, 2);
    /* A backslash just before the end cannot escape the closing quote. */
    assert_int_equal(dns_text_tokenize("x \"bc\\\"", 7, t, 2, &n, &off), ERR_SYNTAX);
    assert_int_equal(off, 2);
    assert_int_equal(dns_text_tokenize("abc d\\", 6, t, 2, &n, &off), ERR_SYNTAX);
    assert_int_equal(off, 5);
    assert_int_equal(dns_text_tokenize("a b c", 5, t, 2, &n, &off), ERR_LIMIT);
    assert_int_equal(off, 4);
    assert_int_equal(dns_text_tokenize("a b", 3, t, 2, &n, NULL), 0);
    assert_int_equal(n, 2);
}

static void test_next(void **state)
{
    (void)state;
    struct dns_tok t;
    size_t pos = 0;
    const char *s = "one \"two\"";
    assert_int_equal(dns_text_next(s, strlen(s), &pos, &t), 1);
    assert_tok(&t, "one", 0, false);
    assert_int_equal(pos, 3);
    assert_int_equal(dns_text_next(s, strlen(s), &pos, &t), 1);
    assert_tok(&t, "two", 4, true);
    assert_int_equal(pos, 9);
    assert_int_equal(dns_text_next(s, strlen(s), &pos, &t), 0);
    assert_int_equal(dns_text_next(s, strlen(s), &pos, &t), 0);
}

static void test_unescape(void **state)
{
    (void)state;
    uint8_t out[32];
    const char *s = "a\\.b\\\\c\\\"d\\065\\255\\000z";
    static const uint8_t want[] = {'a', '.', 'b', '\\', 'c', '"', 'd', 'A', 255, 0, 'z'};
    assert_int_equal(dns_text_unescape(s, strlen(s), out, sizeof(out)), sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    assert_int_equal(dns_text_unescape("", 0, out, sizeof(out)), 0);
    /* Exactly three digits, at most 255. */
    assert_int_equal(dns_text_unescape("\\256", 4, out, sizeof(out)), ERR_SYNTAX);
    assert_int_equal(dns_text_unescape("\\12", 3, out, sizeof(out)), ERR_SYNTAX);
    assert_int_equal(dns_text_unescape("\\1a2", 4, out, sizeof(out)), ERR_SYNTAX);
    assert_int_equal(dns_text_unescape("ab\\", 3, out, sizeof(out)), ERR_SYNTAX);
    assert_int_equal(dns_text_unescape("abc", 3, out, 3), 3);
    assert_int_equal(dns_text_unescape("abc", 3, out, 2), ERR_SPACE);
    assert_int_equal(dns_text_unescape("\\065\\066", 8, out, 1), ERR_SPACE);
}

static void test_unescape_byte(void **state)
{
    (void)state;
    const char *s = "x\\,\\044";
    size_t pos = 0, len = strlen(s);
    assert_int_equal(dns_text_unescape_byte(s, len, &pos), 'x');
    assert_int_equal(pos, 1);
    assert_int_equal(dns_text_unescape_byte(s, len, &pos), ',');
    assert_int_equal(pos, 3);
    assert_int_equal(dns_text_unescape_byte(s, len, &pos), ',');
    assert_int_equal(pos, 7);
    pos = 0;
    assert_int_equal(dns_text_unescape_byte("\\", 1, &pos), ERR_SYNTAX);
}

static void test_quote(void **state)
{
    (void)state;
    char out[64];
    static const uint8_t in[] = {'a', '"', 'b', '\\', 0, 0x7f, 0x1f, ' ', 0xff};
    const char *want = "\"a\\\"b\\\\\\000\\127\\031 \\255\"";
    assert_int_equal(dns_text_quote(in, sizeof(in), out, sizeof(out)), strlen(want));
    assert_string_equal(out, want);
    assert_int_equal(dns_text_quote(NULL, 0, out, 3), 2);
    assert_string_equal(out, "\"\"");
    assert_int_equal(dns_text_quote(NULL, 0, out, 2), ERR_SPACE);
    /* The exact size fits; one byte less does not. */
    assert_int_equal(dns_text_quote(in, sizeof(in), out, strlen(want) + 1), strlen(want));
    assert_int_equal(dns_text_quote(in, sizeof(in), out, strlen(want)), ERR_SPACE);
    assert_int_equal(dns_text_quote((const uint8_t *)"ab", 2, out, 5), 4);
    assert_int_equal(dns_text_quote((const uint8_t *)"ab", 2, out, 4), ERR_SPACE);
}

/* quote, then tokenize and unescape, gives every byte value back. */
static void test_quote_roundtrip(void **state)
{
    (void)state;
    uint8_t in[256], back[256];
    char text[1100];
    struct dns_tok t[2];
    size_t n;
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)i;
    int len = dns_text_quote(in, sizeof(in), text, sizeof(text));
    assert_true(len > 0);
    assert_int_equal(dns_text_tokenize(text, (size_t)len, t, 2, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_true(t[0].quoted);
    assert_int_equal(dns_text_unescape(t[0].text, t[0].len, back, sizeof(back)), 256);
    assert_memory_equal(back, in, 256);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize_basic),  cmocka_unit_test(test_tokenize_quotes),
        cmocka_unit_test(test_tokenize_errors), cmocka_unit_test(test_next),
        cmocka_unit_test(test_unescape),        cmocka_unit_test(test_unescape_byte),
        cmocka_unit_test(test_quote),           cmocka_unit_test(test_quote_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
